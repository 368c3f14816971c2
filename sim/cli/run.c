/* SPDX-License-Identifier: MIT */
/* `capexsim run`: its flags and help; cli_run_exec (sim/app/run_exec.c) runs it. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "sim/app/ckpt.h"
#include "sim/app/common.h"
#include "sim/app/export.h"
#include "sim/app/progress.h"
#include "sim/app/run_exec.h"
#include "sim/app/sens.h"
#include "sim/cli/commands.h"
#include "sim/engine/engine.h"
#include "sim/engine/mpi.h"
#include "sim/study/sens.h"

static void run_help(void)
{
    printf("Usage: capexsim run [SCENARIO] [options]\n"
           "Runs the Monte Carlo paths of SCENARIO (default: the built-in %s scenario)\n"
           "and prints a report; flags override the scenario's run group.\n\n"
           "  -n, --paths N     paths to run (default: run.paths, else %llu)\n"
           "  -s, --seed S      seed of the block streams (default: run.seed, else %llu)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores;\n"
           "                    at most one per block of %d paths and %d per core)\n"
           "  -j, --json FILE   write the JSON report to FILE (default: none)\n"
           "  -c, --csv DIR     write DIR/quarters.csv (quarterly series) and DIR/metrics.csv\n"
           "                    (every metric's statistics and percentiles with CIs) (default: none)\n"
           "  -q, --quiet       no table on stdout and no progress (default: off)\n"
           "%s"
           "      --sampling M  scalar inputs by mc, lhs (Latin hypercube) or sobol (scrambled\n"
           "                    Sobol points) (default: run.sampling, else mc)\n"
           "      --antithetic  antithetic pairs of scalar inputs (default: run.antithetic, else off)\n"
           "      --target-ci METRIC:Q:REL  stop once the 95%% CI of METRIC's Q-quantile is\n"
           "                    narrower than REL of its value, e.g. capex_burden:0.95:0.01;\n"
           "                    --paths is then the limit. Checked every %d paths up to %d,\n"
           "                    then after every 1/%d of the paths done (at most every %d),\n"
           "                    at the same paths for any thread count (default: off)\n"
           "      --export-paths FILE  one CSV row per path, in path order: path index, every\n"
           "                    uncertain input, every metric; gzip when FILE ends in .gz\n"
           "                    (default: none; docs/analyst.md)\n"
           "      --export-max N  export only the first N paths (default: all)\n"
           "      --force       export even when its estimated size exceeds the free space of\n"
           "                    its file system (default: refused, exit 2)\n"
           "%s"
           "      --strict      values outside their plausible range (docs/model.md) are\n"
           "                    errors, exit 2 (default: warnings on stderr and in the JSON)\n"
           "  -h, --help        this help\n\n"
           "The result for a seed is the same, bit for bit, for any number of threads.\n"
           "Ctrl-C or SIGTERM stops at the next block and reports the paths done (\"complete\":\n"
           "false, exit code 130); a second one ends at once (leaving no temporary file).\n"
           "A run that --target-ci stopped is complete (\"stopped\": \"target met\").\n"
           "A failed write of the export (a full disk) stops the run at once; the other\n"
           "outputs are still written and the exit code is 1.\n"
           "With --checkpoint, Ctrl-C also saves the checkpoint, and 'capexsim resume FILE'\n"
           "(or the same command again) finishes the run with the same bytes.\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted.\n",
           "meta-2026h1", (unsigned long long)CX_DEFAULT_PATHS,
           (unsigned long long)CX_DEFAULT_SEED, cli_default_threads(), CX_BLOCK_PATHS,
           CLI_THREADS_PER_CORE, cli_progress_help,
           CX_BLOCK_PATHS * CX_STOP_ROUND_MIN,
           CX_BLOCK_PATHS * CX_STOP_ROUND_MIN * CX_STOP_ROUND_DIV, CX_STOP_ROUND_DIV,
           CX_BLOCK_PATHS * CX_ROUND_BLOCKS, cli_ckpt_help);
}

int cli_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"paths", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"sampling", required_argument, NULL, CLI_OPT_SAMPLING}, {"antithetic", no_argument, NULL, CLI_OPT_ANTITHETIC},
        {"target-ci", required_argument, NULL, CLI_OPT_TARGET_CI},
        {"export-paths", required_argument, NULL, CLI_OPT_EXPORT_PATHS}, /* issue 14 */
        {"export-max", required_argument, NULL, CLI_OPT_EXPORT_MAX},
        {"force", no_argument, NULL, CLI_OPT_FORCE}, /* issue 25 */
        CLI_CKPT_LONGOPTS, /* issue 12 */
        {"strict", no_argument, NULL, CLI_OPT_STRICT}, CLI_PROGRESS_LONGOPTS, /* issue 23 */
        {NULL, 0, NULL, 0}};
    cli_run_args a = {.sf = {.sampling = -1}, .ck = CLI_CKPT_ARGS_INIT};
    int c, rc_flag = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:s:t:j:c:qh", longopts, NULL)) != -1) {
        if (cli_sens_flag("run", c, optarg, &a.sf, &rc_flag) ||
            cli_export_flag("run", c, optarg, &a.ef, &rc_flag) ||
            cli_ckpt_flag("run", c, optarg, &a.ck, &rc_flag)) {
            if (rc_flag) return rc_flag;
            continue;
        }
        if (cli_common_flag("run", c, optarg, &a.co, &rc_flag)) {
            if (rc_flag) return rc_flag;
            continue;
        }
        switch (c) {
        case 'h': run_help(); return 0;
        case CLI_OPT_STRICT: a.strict = true; break;
        case ':':
            return cli_usage_error("run", "%s: missing argument", argv[optind - 1]);
        default:
            return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("run", "one scenario at most, got '%s' too", argv[optind + 1]);
    a.path = optind < argc ? argv[optind] : NULL;
    if (a.ef.force && !a.ef.path)
        return cli_usage_error("run", "--force: needs --export-paths FILE");
    if (a.ef.has_max && !a.ef.path)
        return cli_usage_error("run", "--export-max: needs --export-paths FILE");
    /* issue 12: the export's rows are the observer's, neither saved nor shared by ranks */
    if (a.ef.path && a.ck.file)
        return cli_usage_error("run", "--export-paths and --checkpoint do not go together");
    if (a.ef.path && cx_mpi_size() > 1)
        return cli_usage_error("run", "--export-paths runs in one process, not under MPI");
    return cli_run_exec(&a);
}
