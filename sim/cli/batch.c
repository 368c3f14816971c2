/* SPDX-License-Identifier: MIT */
/* `capexsim batch SCENARIO...`: several scenarios side by side on common random numbers. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim/app/batch_exec.h"
#include "sim/app/ckpt.h"
#include "sim/app/common.h"
#include "sim/app/paired.h"
#include "sim/app/progress.h"
#include "sim/cli/commands.h"
#include "sim/engine/engine.h"

static void batch_help(void)
{
    printf("Usage: capexsim batch SCENARIO... [options]\n"
           "Runs each scenario with the same seed and paths (common random numbers: each input\n"
           "draws from a stream keyed by the path and its dotted name, so inputs the scenarios\n"
           "share draw the same values, even in a variant that adds a tranche or a deal) and\n"
           "prints them side by side: burden mean, P5, P50, P95, CVaR95, revenue mean and P50,\n"
           "P(burden > x) for the first scenario's report.thresholds. Every complete run also\n"
           "gets the paired difference (path i with path i) of each statistic with its 95%% CI,\n"
           "and the correlation of burden and revenue across paired paths.\n\n"
           "  -n, --paths N     paths per run (default: the first scenario's run.paths, else %llu)\n"
           "  -s, --seed S      seed of every run (default: the first scenario's run.seed, else %llu)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -j, --json FILE   write {\"study\": \"batch\", \"runs\": [...], \"paired\": [...]} to FILE\n"
           "                    (each run as `capexsim run SCENARIO --paths N --seed S --json`\n"
           "                    writes it) (default: none)\n"
           "  -c, --csv FILE    one row per run: statistics and paired differences (default: none)\n"
           "      --sampling M  mc, lhs or sobol (default: each scenario's run.sampling, else mc)\n"
           "      --antithetic  antithetic pairs of scalar inputs (default: run.antithetic, else off)\n"
           "  -q, --quiet       no table on stdout and no progress (default: off)\n"
           "%s"
           "%s"
           "  -h, --help        this help\n\n"
           "`capexsim plot` on the JSON overlays the burden CDFs. See docs/analyst.md.\n"
           "Ctrl-C stops at the next block; the runs done are written (\"complete\": false on a\n"
           "partial one; the heading and each run's \"paths\" say how many ran), exit code 130.\n"
           "With --checkpoint FILE, `capexsim resume FILE` finishes a batch that was stopped\n"
           "(the same bytes as one never stopped; one process only; the runs done are kept\n"
           "as their states and read back, not run again).\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted.\n",
           (unsigned long long)CX_DEFAULT_PATHS, (unsigned long long)CX_DEFAULT_SEED,
           cli_default_threads(), cli_progress_help, cli_ckpt_help);
}

int cli_cmd_batch(int argc, char **argv)
{
    cli_pair_flags a = {.sf = {.sampling = -1}};
    const char *none[1] = {NULL};
    a.inputs = none;
    int rc = cli_pair_flags_parse("batch", argc, argv, &a, batch_help);
    if (rc) return rc < 0 ? 0 : rc;
    return cli_batch_exec(&a);
}
