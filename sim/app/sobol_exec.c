/* SPDX-License-Identifier: MIT */
/* Executes a Sobol study with its table and outputs: `capexsim sobol`, and `capexsim resume`
 * of a Sobol study's checkpoint (issue 23). */
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
#include "sim/app/sobol_exec.h"
#include "sim/app/study.h"
#include "sim/base/error.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/engine.h"
#include "sim/engine/mpi.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
#include "sim/study/sens.h"

/* The table: inputs (and the price path and deal events) in the report's order, then the
 * groups. */
static void print_table(const cx_sobol_report *s, const cx_scenario *sc)
{
    printf("Sobol indices of %s (%s): %" PRIu64 " base samples%s, %" PRIu64
           " paths, seed %" PRIu64 ", %s, %d threads, %.2f s\nmean %.6g, variance %.6g; "
           "95%% CIs from %d batches",
           cx_metric_names[s->metric], sc->name, s->sum.n, s->complete ? "" : " (incomplete)",
           s->evaluations, s->seed, cx_sampling_names[s->sampling], s->threads, s->elapsed_s,
           s->sum.mean, s->sum.variance, s->sum.batches);
    if (s->target_ci > 0)
        printf("; target half-width %.3g %s after %d stages (widest %.3g)", s->target_ci,
               s->outcome.target_met ? "met" : "NOT met", s->outcome.stages,
               s->outcome.max_half_width);
    printf("\nrows ranked by %s\n\n%-44s %22s %22s\n",
           s->order == CX_SOBOL_BY_INPUT ? "scenario order" : "total effect (ST)", "input",
           "S1 [95% CI]", "ST [95% CI]");
    for (int k = 0; k < s->d + CX_SOBOL_N_NOISE; k++) {
        int i = s->rank[k];
        const cx_sobol_index *x = &s->idx[i];
        printf("%-44s %6.3f [%6.3f,%6.3f] %6.3f [%6.3f,%6.3f]\n",
               i < s->d ? sc->inputs[s->input[i]].name : cx_sobol_noise_names[i - s->d],
               x->s1, x->s1_lo, x->s1_hi, x->st, x->st_lo, x->st_hi);
    }
    for (int k = 0; k < s->n_groups; k++) {
        int g = s->group_rank[k];
        const cx_sobol_index *x = &s->idx[s->d + CX_SOBOL_N_NOISE + g];
        char name[64];
        snprintf(name, sizeof name, "group %s (%d inputs)", s->group_name[g], s->group_size[g]);
        printf("%-44s %6.3f [%6.3f,%6.3f] %6.3f [%6.3f,%6.3f]\n", name, x->s1, x->s1_lo,
               x->s1_hi, x->st, x->st_lo, x->st_hi);
    }
    printf("\nCorrelated inputs: an index measures the input's own independent factor "
           "(docs/sensitivity.md).\n");
}

int cli_sobol_exec(const cli_study_args *ap)
{
    const cli_study_args a = *ap;
    int rc;
    if (a.sf.antithetic) return cli_usage_error("sobol", "--antithetic does not apply to Saltelli samples");
    /* resume comes here without cli_study_parse: its outputs are checked here too */
    if ((rc = cli_check_resume_outputs(a.ck.resuming, a.path, a.ck.file, a.co.json, a.co.csv)))
        return rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a.path, &sc, &m))) return rc;
    cx_engine_opts eo;
    cx_engine_opts_init(&eo, sc);
    uint64_t base = a.co.has_paths ? a.co.paths : sc->sobol_paths ? sc->sobol_paths
                                                                   : CX_SOBOL_DEFAULT_PATHS;
    cx_study_opts o = {.paths = base,
                       .seed = a.co.has_seed ? a.co.seed : eo.seed,
                       .threads = cli_threads(a.co.threads, sc, base, CX_SENS_BLOCK_PATHS),
                       .sampling = a.sf.sampling >= 0 ? (cx_sampling)a.sf.sampling : sc->sampling,
                       .metric = cli_study_metric(a.metric, sc->sobol_metric),
                       .interrupt = cx_mpi_size() > 1 ? &cli_signal : &cli_interrupt,
                       .comm = cx_mpi_comm(&cli_signal, &cli_interrupt),
                       .sobol = {.target_ci = a.sobol_target, .max_paths = a.sobol_max,
                                 .order = a.sobol_order}};
    /* the scenario's sobol.groups (issue 20 item 4), checked by the loader */
    cx_sobol_group *groups = calloc((size_t)sc->n_sobol_groups + 1, sizeof *groups);
    char err[512] = "";
    cx_sobol_report *s = NULL;
    int exit_code = EXIT_FAILURE;
    cli_ckpt ck = {0};
    if (!groups) {
        fprintf(stderr, "capexsim: %s\n", cx_strerror(CX_ERR_NOMEM));
        goto done;
    }
    for (int g = 0; g < sc->n_sobol_groups; g++)
        groups[g] = (cx_sobol_group){sc->sobol_groups[g].name, sc->sobol_groups[g].n,
                                     (const char *const *)sc->sobol_groups[g].members};
    o.sobol.n_groups = sc->n_sobol_groups;
    o.sobol.groups = groups;
    /* issue 23: the study's own options are part of its checkpoint's identity */
    char opts_text[160];
    snprintf(opts_text, sizeof opts_text, "metric=%s\ntarget_ci=%.17g\nmax_paths=%llu\norder=%s",
             cx_metric_names[o.metric], a.sobol_target, (unsigned long long)a.sobol_max,
             a.sobol_order ? "input" : "st");
    const cli_study_id sid = {opts_text, cx_sobol_state_max(sc), a.co.json, a.co.csv,
                              a.co.quiet};
    if ((exit_code = cli_ckpt_setup_study(&ck, "sobol", &a.ck, a.path, sc, &sid, &o)) != 0)
        goto done;
    exit_code = EXIT_FAILURE;
    cli_progress pr; /* issue 23 */
    cli_progress_init(&pr, &a.co, cx_mpi_rank() == 0, "base samples");
    if (cli_progress_on(&pr)) {
        o.progress = cli_progress_count;
        o.progress_ctx = &pr;
    }
    cli_catch_sigint();
    rc = cx_sobol_run(&s, sc, m, &o, err, sizeof err);
    cli_progress_end(&pr, rc == 0 && s->complete);
    if (rc < 0) {
        const char *why = ck.ck ? cx_ckpt_error(ck.ck) : "";
        fprintf(stderr, "capexsim: %s\n", why[0] ? why : err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_RANGE || rc == CX_ERR_USAGE || rc == CX_ERR_CONFIG
                        ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    const bool root = cx_mpi_rank() == 0; /* with MPI, rank 0 alone writes */
    if (s->sum.n == 0) {
        exit_code = root ? cli_nothing_done() : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!root) {
        exit_code = s->complete ? 0 : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet) print_table(s, sc);
    for (int i = 0; i < s->n_warnings; i++)
        fprintf(stderr, "capexsim: warning: %s\n", s->warnings[i]);
    if (a.co.json &&
        (exit_code = cli_write_result(
             a.co.json, cx_sobol_report_json(s, sc),
             json_pack("{s:s, s:I, s:o, s:s, s:s, s:o, s:o, s:s}", "command", "sobol", "paths",
                       (json_int_t)o.paths, "seed", cx_output_u64(o.seed), "sampling",
                       cx_sampling_names[o.sampling], "metric", cx_metric_names[o.metric],
                       "target_ci", a.sobol_target > 0 ? json_real(a.sobol_target) : json_null(),
                       "max_paths", a.sobol_max ? cx_output_u64(a.sobol_max) : json_null(),
                       "order", a.sobol_order ? "input" : "st"),
             sc)))
        goto done;
    if (a.co.csv && cx_sobol_report_csv(s, sc, a.co.csv) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a.co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    exit_code = cli_study_exit(s->complete, s->sum.n, s->requested, "base samples");
done:
    free(groups);
    cx_sobol_report_free(s);
    cli_ckpt_free(&ck);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}
