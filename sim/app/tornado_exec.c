/* SPDX-License-Identifier: MIT */
/* Executes a tornado study with its table and outputs: `capexsim tornado`, and `capexsim
 * resume` of a tornado's checkpoint (issue 23). */
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
#include "sim/app/study.h"
#include "sim/app/tornado_exec.h"
#include "sim/base/error.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/engine.h"
#include "sim/engine/mpi.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
#include "sim/study/sens.h"

int cli_tornado_exec(const cli_study_args *ap)
{
    const cli_study_args a = *ap;
    int rc;
    /* resume comes here without cli_study_parse: its outputs are checked here too */
    if ((rc = cli_check_resume_outputs(a.ck.resuming, a.path, a.ck.file, a.co.json, a.co.csv)))
        return rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a.path, &sc, &m))) return rc;
    cx_engine_opts eo;
    cx_engine_opts_init(&eo, sc);
    cx_study_opts o = {.paths = a.co.has_paths ? a.co.paths : eo.paths,
                       .seed = a.co.has_seed ? a.co.seed : eo.seed,
                       .threads = cli_threads(a.co.threads, sc, a.co.has_paths ? a.co.paths : eo.paths,
                                              CX_SENS_BLOCK_PATHS),
                       .sampling = a.sf.sampling >= 0 ? (cx_sampling)a.sf.sampling : sc->sampling,
                       .antithetic = a.sf.antithetic || sc->antithetic,
                       .metric = cli_study_metric(a.metric, sc->tornado_metric),
                       .interrupt = cx_mpi_size() > 1 ? &cli_signal : &cli_interrupt,
                       .comm = cx_mpi_comm(&cli_signal, &cli_interrupt)};
    char err[512] = "";
    cx_tornado_report *t = NULL;
    int exit_code = EXIT_FAILURE;
    /* issue 23: the study's own option (the metric) is part of its checkpoint's identity */
    char opts_text[64];
    snprintf(opts_text, sizeof opts_text, "metric=%s", cx_metric_names[o.metric]);
    const cli_study_id sid = {opts_text, cx_tornado_state_max(sc, (uint32_t)a.ck.round_blocks),
                              a.co.json, a.co.csv, a.co.quiet};
    cli_ckpt ck = {0};
    if ((exit_code = cli_ckpt_setup_study(&ck, "tornado", &a.ck, a.path, sc, &sid, &o)) != 0)
        goto done;
    exit_code = EXIT_FAILURE;
    cli_progress pr; /* issue 23 */
    cli_progress_init(&pr, &a.co, cx_mpi_rank() == 0, "paths");
    if (cli_progress_on(&pr)) {
        o.progress = cli_progress_count;
        o.progress_ctx = &pr;
    }
    cli_catch_sigint();
    rc = cx_tornado_run(&t, sc, m, &o, err, sizeof err);
    cli_progress_end(&pr, rc == 0 && t->complete);
    if (rc < 0) {
        const char *why = ck.ck ? cx_ckpt_error(ck.ck) : "";
        fprintf(stderr, "capexsim: %s\n", why[0] ? why : err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_RANGE || rc == CX_ERR_CONFIG ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    const bool root = cx_mpi_rank() == 0; /* with MPI, rank 0 alone writes */
    if (t->paths == 0) {
        exit_code = root ? cli_nothing_done() : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!root) {
        exit_code = t->complete ? 0 : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet) {
        printf("Tornado of %s (%s): %" PRIu64 " paths%s, seed %" PRIu64 ", %s%s, %d threads, "
               "%.2f s\nmean %.6g, P50 %.6g\nlow: the paths with the input <= x low (its lowest "
               "decile); high: >= x high (its highest);\nan outcome (msl.success, ...): low where "
               "it fails, high where it succeeds\n\n%4s  %-44s %10s %10s %12s %12s %12s %12s "
               "%12s\n",
               cx_metric_names[t->metric], sc->name, t->paths,
               t->complete ? "" : " (incomplete)", t->seed,
               cx_sampling_names[t->sampling], t->antithetic ? "+antithetic" : "", t->threads,
               t->elapsed_s, t->mean, t->p50, "rank", "input", "x low", "x high", "mean low",
               "mean high", "swing", "P50 low", "P50 high");
        for (int i = 0; i < t->d; i++) {
            const cx_tornado_row *r = &t->rows[i];
            char lo[32], hi[32];
            if (sc->inputs[r->input].outcome) {
                snprintf(lo, sizeof lo, "fails");
                snprintf(hi, sizeof hi, "succeeds");
            } else {
                snprintf(lo, sizeof lo, "%.4g", r->x_low);
                snprintf(hi, sizeof hi, "%.4g", r->x_high);
            }
            printf("%4d  %-44s %10s %10s %12.6g %12.6g %12.6g %12.6g %12.6g\n", i + 1,
                   sc->inputs[r->input].name, lo, hi, r->mean_low, r->mean_high, r->swing,
                   r->p50_low, r->p50_high);
        }
    }
    if (a.co.json &&
        (exit_code = cli_write_result(
             a.co.json, cx_tornado_report_json(t, sc),
             json_pack("{s:s, s:I, s:o, s:s, s:b, s:s}", "command", "tornado", "paths",
                       (json_int_t)o.paths, "seed", cx_output_u64(o.seed), "sampling",
                       cx_sampling_names[o.sampling], "antithetic", o.antithetic, "metric",
                       cx_metric_names[o.metric]),
             sc)))
        goto done;
    if (a.co.csv && cx_tornado_report_csv(t, sc, a.co.csv) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a.co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    exit_code = cli_study_exit(t->complete, t->paths, t->requested, "paths");
done:
    cx_tornado_report_free(t);
    cli_ckpt_free(&ck);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}
