/* SPDX-License-Identifier: MIT */
/* `capexsim stress SCENARIO`: inputs held to percentile slices against the unstressed baseline. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/paired.h"
#include "sim/app/progress.h"
#include "sim/app/stress_exec.h"
#include "sim/base/error.h"
#include "sim/cli/commands.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
#include "sim/study/batch.h"
#include "sim/study/stress.h"

static void stress_help(void)
{
    printf("Usage: capexsim stress SCENARIO [--input NAME:LO:HI]... [--outcome NAME=0|1]...\n"
           "       [--case NAME] [options]\n"
           "Holds each named uncertain input to the slice [LO, HI] of its own distribution\n"
           "(percentiles as fractions: msl.p_success:0.9:1 is its top decile; the input's\n"
           "uniform is mapped onto [LO, HI] before its inverse CDF, so rank correlations hold)\n"
           "and runs it against the unstressed baseline with common random numbers.\n"
           "Without --input, runs the case --case NAME (default: the first) of the scenario's\n"
           "stress group: stress = { cases = ( { name = \"...\"; inputs = ( { name = \"...\";\n"
           "lo = 0.9; hi = 1.0; } ); } ); };\n\n"
           "  -i, --input NAME:LO:HI  stress input NAME (repeatable; 0 <= LO < HI <= 1)\n"
           "  -o, --outcome NAME=0|1  hold a once-per-path outcome (msl.success, taas.launch,\n"
           "                    deals.signed.NAME.happens) on every path: 0 fails, 1 succeeds\n"
           "                    (its uniform u becomes p + (1 - p) u or p u: the law given the\n"
           "                    outcome, from the baseline's u; a path with p = 0 cannot\n"
           "                    succeed); repeatable, with --input too\n"
           "  -k, --case NAME   a case of the scenario's stress group (default: the first)\n"
           "  -n, --paths N     paths per run (default: run.paths, else %llu)\n"
           "  -s, --seed S      seed of both runs (default: run.seed, else %llu)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -j, --json FILE   write {\"study\": \"stress\", \"baseline\": ..., \"stressed\": ...}\n"
           "                    (run reports) and the paired differences to FILE (default: none)\n"
           "  -c, --csv FILE    two rows: baseline and stressed, with the differences (default: none)\n"
           "  -q, --quiet       no table on stdout and no progress (default: off)\n"
           "%s"
           "%s"
           "  -h, --help        this help\n\n"
           "The two runs take turns, a round of blocks each; Ctrl-C stops both after the same\n"
           "round, so both columns hold the same paths (\"complete\": false, \"paths_done\").\n"
           "Both runs draw scalar inputs by plain Monte Carlo (the scenario's run.sampling does\n"
           "not apply). `capexsim plot` on the JSON overlays the two burden CDFs.\n"
           "With --checkpoint FILE, `capexsim resume FILE` finishes a stress that was stopped\n"
           "(the same bytes as one never stopped; one process only); the two runs then go\n"
           "one after the other, since a checkpoint holds one run in progress.\n"
           "See docs/analyst.md. Exit codes: 0 ok, 1 runtime failure, 2 usage or config\n"
           "error (unknown input or outcome, fixed input, bad slice), 130 interrupted.\n",
           (unsigned long long)CX_DEFAULT_PATHS, (unsigned long long)CX_DEFAULT_SEED,
           cli_default_threads(), cli_progress_help, cli_ckpt_help);
}

int cli_cmd_stress(int argc, char **argv)
{
    cli_pair_flags a = {.sf = {.sampling = CX_SAMPLING_MC}};
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    if (!inputs) return EXIT_FAILURE;
    a.inputs = inputs;
    int rc = cli_pair_flags_parse("stress", argc, argv, &a, stress_help);
    if (rc == 0) rc = cli_stress_exec(&a);
    free(inputs);
    return rc < 0 ? 0 : rc;
}
