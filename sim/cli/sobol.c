/* SPDX-License-Identifier: MIT */
/* `capexsim sobol`: first-order and total-effect Sobol indices of every uncertain input. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/study.h"
#include "sim/base/error.h"
#include "sim/cli/commands.h"
#include "sim/engine/engine.h"
#include "sim/engine/mpi.h"
#include "sim/input/scenario.h"
#include "sim/study/sens.h"

int cli_cmd_sobol(int argc, char **argv)
{
    cli_study_args a;
    int rc = cli_study_parse("sobol", argc, argv, &a, true,
                         "First-order (S1) and total-effect (ST) Sobol indices of every uncertain\n"
                         "scalar input for a metric: Saltelli sampling, Jansen estimators, 95% CIs\n"
                         "from batch means over blocks. Each base sample costs d + 3 paths.",
                         "base samples (default: sobol.paths, else 4096)");
    if (rc) return rc < 0 ? 0 : rc;
    if (a.sf.antithetic) return cli_usage_error("sobol", "--antithetic does not apply to Saltelli samples");
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a.path, &sc, &m))) return rc;
    cx_engine_opts eo;
    cx_engine_opts_init(&eo, sc);
    uint64_t base = a.co.has_paths ? a.co.paths : sc->sobol_paths ? sc->sobol_paths : 4096;
    cx_study_opts o = {.paths = base,
                       .seed = a.co.has_seed ? a.co.seed : eo.seed,
                       .threads = cli_threads(a.co.threads, sc, base, CX_SENS_BLOCK_PATHS),
                       .sampling = a.sf.sampling >= 0 ? (cx_sampling)a.sf.sampling : sc->sampling,
                       .metric = cli_study_metric(a.metric, sc->sobol_metric),
                       .interrupt = cx_mpi_size() > 1 ? &cli_signal : &cli_interrupt,
                       .comm = cx_mpi_comm(&cli_signal, &cli_interrupt)};
    char err[512] = "";
    cx_sobol_report *s = NULL;
    int exit_code = EXIT_FAILURE;
    cli_catch_sigint();
    if ((rc = cx_sobol_run(&s, sc, m, &o, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_RANGE ? CLI_EXIT_USAGE : EXIT_FAILURE;
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
    if (!a.co.quiet) {
        printf("Sobol indices of %s (%s): %" PRIu64 " base samples%s, %" PRIu64
               " paths, seed %" PRIu64 ", %s, %d threads, %.2f s\nmean %.6g, variance %.6g; "
               "95%% CIs from %d batches\n\n%-44s %22s %22s\n",
               cx_metric_names[s->metric], sc->name, s->sum.n,
               s->complete ? "" : " (incomplete)", s->evaluations, s->seed,
               cx_sampling_names[s->sampling], s->threads, s->elapsed_s, s->sum.mean,
               s->sum.variance, s->sum.batches, "input", "S1 [95% CI]", "ST [95% CI]");
        for (int i = 0; i <= s->d; i++) {
            const cx_sobol_index *x = &s->idx[i];
            printf("%-44s %6.3f [%6.3f,%6.3f] %6.3f [%6.3f,%6.3f]\n",
                   i < s->d ? sc->inputs[s->input[i]].name : CX_SOBOL_NOISE_NAME, x->s1,
                   x->s1_lo, x->s1_hi, x->st, x->st_lo, x->st_hi);
        }
        printf("\nCorrelated inputs: an index measures the input's own independent factor "
               "(docs/sensitivity.md).\n");
    }
    if (a.co.json && (exit_code = cli_write_json_doc(a.co.json, cx_sobol_report_json(s, sc)))) goto done;
    if (a.co.csv && cx_sobol_report_csv(s, sc, a.co.csv) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a.co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    exit_code = cli_study_exit(s->complete, s->sum.n, s->requested, "base samples");
done:
    cx_sobol_report_free(s);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}
