/* SPDX-License-Identifier: MIT */
/* Executes a Shapley study with its table and outputs: `capexsim shapley`, and `capexsim
 * resume` of a Shapley study's checkpoint (issue 23). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/app/ckpt.h"
#include "sim/app/clash.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/progress.h"
#include "sim/app/provenance.h"
#include "sim/app/shapley_exec.h"
#include "sim/app/study.h"
#include "sim/base/error.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
#include "sim/study/shapley.h"

static void print_table(const cx_shapley_report *r, const cx_scenario *sc)
{
    const cx_shapley_outcome *o = &r->out;
    printf("Shapley effects of %s (%s): %" PRIu64 " permutations%s, %" PRIu64 " paths, seed %"
           PRIu64 ", %d threads, %.2f s\nmean %.6g, variance %.6g [%.6g, %.6g]; shares sum to "
           "%.3f; 95%% CIs from %d batches%s\n\n%-44s %22s\n",
           cx_metric_names[r->metric], sc->name, o->perms, o->complete ? "" : " (incomplete)",
           o->evaluations, r->seed, r->threads, r->elapsed_s, o->mean, o->variance, o->var_lo,
           o->var_hi, o->sum_share, o->batches,
           r->crn ? "; common random numbers across steps" : "", "player", "share [95% CI]");
    for (int k = 0; k < r->n_players; k++) {
        const cx_shapley_effect *e = &r->eff[r->rank[k]];
        printf("%-44s %6.3f [%6.3f,%6.3f]\n", cx_shapley_player_name(r, sc, r->rank[k]),
               e->share, e->lo, e->hi);
    }
}

int cli_shapley_exec(const cli_shapley_args *ap)
{
    const cli_shapley_args a = *ap;
    int rc;
    /* resume comes here without the command's parse: its outputs are checked here too */
    if ((rc = cli_check_resume_outputs(a.ck.resuming, a.path, a.ck.file, a.co.json, a.co.csv)))
        return rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a.path, &sc, &m))) return rc;
    cx_engine_opts eo;
    cx_engine_opts_init(&eo, sc);
    const uint64_t perms = a.co.has_paths ? a.co.paths : CX_SHAPLEY_DEFAULT_PERMS;
    cx_study_opts o = {.paths = perms, .seed = a.co.has_seed ? a.co.seed : eo.seed,
                       .threads = cli_threads(a.co.threads, sc, perms, CX_SHAPLEY_BLOCK_PERMS),
                       .metric = cli_study_metric(a.metric, sc->sobol_metric),
                       .interrupt = &cli_interrupt};
    char err[512] = "";
    cx_shapley_report *r = NULL;
    int exit_code = EXIT_FAILURE;
    const cx_shapley_args args = {.crn = a.crn};
    /* issue 23: the study's own options are part of its checkpoint's identity */
    char opts_text[96];
    snprintf(opts_text, sizeof opts_text, "metric=%s\ncrn=%d", cx_metric_names[o.metric],
             a.crn ? 1 : 0);
    const cli_study_id sid = {opts_text, cx_shapley_state_max(sc), a.co.json, a.co.csv,
                              a.co.quiet};
    cli_ckpt ck = {0};
    if ((exit_code = cli_ckpt_setup_study(&ck, "shapley", &a.ck, a.path, sc, &sid, &o)) != 0)
        goto done;
    exit_code = EXIT_FAILURE;
    cli_progress pr; /* issue 23 */
    cli_progress_init(&pr, &a.co, true, "permutations");
    if (cli_progress_on(&pr)) {
        o.progress = cli_progress_count;
        o.progress_ctx = &pr;
    }
    cli_catch_sigint();
    rc = cx_shapley_run(&r, sc, m, &o, &args, err, sizeof err);
    cli_progress_end(&pr, rc == 0 && r->out.complete);
    if (rc < 0) {
        const char *why = ck.ck ? cx_ckpt_error(ck.ck) : "";
        fprintf(stderr, "capexsim: %s\n", why[0] ? why : err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_RANGE || rc == CX_ERR_USAGE || rc == CX_ERR_CONFIG
                        ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    if (r->out.perms == 0) {
        exit_code = cli_nothing_done();
        goto done;
    }
    if (!a.co.quiet) print_table(r, sc);
    if (a.co.json &&
        (exit_code = cli_write_result(
             a.co.json, cx_shapley_report_json(r, sc),
             json_pack("{s:s, s:I, s:o, s:s, s:b}", "command", "shapley", "paths",
                       (json_int_t)o.paths, "seed", cx_output_u64(o.seed), "metric",
                       cx_metric_names[o.metric], "crn", args.crn),
             sc)))
        goto done;
    if (a.co.csv && cx_shapley_report_csv(r, sc, a.co.csv) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a.co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    exit_code = cli_study_exit(r->out.complete, r->out.perms, r->requested, "permutations");
done:
    cx_shapley_report_free(r);
    cli_ckpt_free(&ck);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}
