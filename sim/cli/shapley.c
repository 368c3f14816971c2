/* SPDX-License-Identifier: MIT */
/* `capexsim shapley`: Shapley effects of every uncertain input and the two per-month streams. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/app/clash.h"
#include "sim/app/common.h"
#include "sim/app/shapley_exec.h"
#include "sim/app/interrupt.h"
#include "sim/app/progress.h"
#include "sim/app/study.h"
#include "sim/base/error.h"
#include "sim/cli/commands.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/study/shapley.h"

static void help(void)
{
    printf("Usage: capexsim shapley [SCENARIO] [options]\n"
           "Shapley effects of every uncertain scalar input and of the two per-month streams\n"
           "(price path, deal events) for a metric, as shares of its variance (they sum to 1),\n"
           "ranked: Song, Nelson and Staum (2016) random permutations, N_o = 1, N_i = 3,\n"
           "conditional samples drawn exactly\n"
           "under the scenario's Gaussian copula, so correlated inputs share what they explain.\n"
           "Each permutation costs 3 (d - 1) paths (d players), plus %d paths for the variance.\n\n"
           "  -n, --paths N     permutations m (default %d; at least %d)\n"
           "  -s, --seed S      seed of the block streams (default: run.seed, else %llu)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -m, --metric NAME metric to study (default: sobol.metric, else capex_burden)\n"
           "      --crn         common random numbers across the steps of a permutation:\n"
           "                    the same expectations, much narrower CIs for inputs with small\n"
           "                    effects (default: off, the published independent steps)\n"
           "  -j, --json FILE   write the result as JSON to FILE (default: none)\n"
           "  -c, --csv FILE    write the result as a CSV table to FILE (default: none)\n"
           "  -q, --quiet       no table on stdout and no progress (default: off)\n"
           "%s"
           "%s"
           "  -h, --help        this help\n\n"
           "The result for a seed is the same, bit for bit, for any number of threads.\n"
           "See docs/sensitivity.md for what the numbers mean. Ctrl-C stops at the next block\n"
           "and reports what is complete (exit code 130).\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted.\n",
           CX_SHAPLEY_VAR_PER_PERM, CX_SHAPLEY_DEFAULT_PERMS,
           CX_SHAPLEY_MIN_BLOCKS * CX_SHAPLEY_BLOCK_PERMS, (unsigned long long)CX_DEFAULT_SEED,
           cli_default_threads(), cli_progress_help, cli_ckpt_study_help);
}

/* The flags into *co and *metric. @return -1 after --help, an exit code, or 0 and *path. */
enum { OPT_CRN = 1000 };

static int parse(int argc, char **argv, cli_shapley_args *a)
{
    cli_common *co = &a->co;
    static const struct option longopts[] = {
        {"paths", required_argument, NULL, 'n'},   {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {"metric", required_argument, NULL, 'm'},
        {"crn", no_argument, NULL, OPT_CRN},       CLI_PROGRESS_LONGOPTS, CLI_CKPT_LONGOPTS,
        {NULL, 0, NULL, 0}};
    int c, rc;
    memset(a, 0, sizeof *a);
    a->ck = (cli_ckpt_args)CLI_CKPT_ARGS_INIT;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:s:t:j:c:qhm:", longopts, NULL)) != -1) {
        if (cli_common_flag("shapley", c, optarg, co, &rc) ||
            cli_ckpt_flag("shapley", c, optarg, &a->ck, &rc)) {
            if (rc) return rc;
            continue;
        }
        switch (c) {
        case 'm':
            if (cx_metric_find(optarg) < 0)
                return cli_usage_error("shapley", "--metric: unknown metric '%s'", optarg);
            a->metric = optarg;
            break;
        case OPT_CRN: a->crn = true; break;
        case 'h': help(); return -1;
        case ':': return cli_usage_error("shapley", "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error("shapley", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("shapley", "one scenario at most, got '%s' too", argv[optind + 1]);
    a->path = optind < argc ? argv[optind] : NULL;
    if ((rc = cli_check_output("--json", co->json, NULL)) ||
        (rc = cli_check_output("--csv", co->csv, NULL)) ||
        (rc = cli_check_clash(a->path, a->ck.file, co->json, co->csv, NULL, NULL)))
        return rc;
    return 0;
}

int cli_cmd_shapley(int argc, char **argv)
{
    cli_shapley_args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    return cli_shapley_exec(&a);
}
