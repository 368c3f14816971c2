/* SPDX-License-Identifier: MIT */
/* What sweep, tornado and sobol share: their flags and help, the metric they study, writing
 * their JSON, and their exit codes after Ctrl-C. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/clash.h"
#include "sim/app/progress.h"
#include "sim/app/study.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"

static void study_help(const char *cmd, const char *what, const char *paths_default,
                       bool metric)
{
    printf("Usage: capexsim %s [SCENARIO] [options]\n%s\n\n"
           "  -n, --paths N     %s\n"
           "  -s, --seed S      seed of the block streams (default: run.seed, else %llu)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores;\n"
           "                    at most one per block and %d per core)\n"
           "  -j, --json FILE   write the result as JSON to FILE (default: none)\n"
           "  -c, --csv FILE    write the result as a CSV table to FILE (default: none)\n"
           "      --sampling M  mc, lhs or sobol (default: run.sampling, else mc)\n"
           "%s"
           "%s"
           "%s"
           "  -q, --quiet       no table on stdout and no progress (default: off)\n"
           "%s"
           "%s"
           "  -h, --help        this help\n\n"
           "The result for a seed is the same, bit for bit, for any number of threads.\n"
           "See docs/sensitivity.md for what the numbers mean.\n"
           "Ctrl-C stops at the next block and reports what is complete (\"complete\": false\n"
           "in the JSON, a complete column in the CSV; exit code 130); a second Ctrl-C ends\n"
           "at once.\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted.\n",
           cmd, what, paths_default, (unsigned long long)CX_DEFAULT_SEED, cli_default_threads(),
           CLI_THREADS_PER_CORE,
           strcmp(cmd, "sobol") ? "      --antithetic  antithetic pairs of scalar inputs (default: run.antithetic,\n"
                                  "                    else off)\n" : "",
           !metric ? ""
           : strcmp(cmd, "sobol") ? "  -m, --metric NAME metric to study (default: tornado.metric, else capex_burden)\n"
                                  : "  -m, --metric NAME metric to study (default: sobol.metric, else capex_burden)\n",
           strcmp(cmd, "sobol") ? ""
           : "      --target-ci W  add base samples (half the samples done at each stage)\n"
             "                    until every 95% half-width is at most W; --paths is then\n"
             "                    where it starts, --max-paths the most (default: off)\n"
             "      --max-paths N  with --target-ci: the most base samples (default: 64 x the start)\n"
             "      --order O     rows by st (total effect, largest first) or input (scenario\n"
             "                    order) (default: st)\n",
           cli_progress_help,
           !strcmp(cmd, "sweep") ? cli_ckpt_help
           : !strcmp(cmd, "tornado") || !strcmp(cmd, "sobol") ? cli_ckpt_study_help : "");
}

/* sobol's own flags: --target-ci W, --max-paths N, --order st|input. @return 0 or an exit code. */
static int sobol_flag(int c, const char *arg, cli_study_args *a)
{
    if (c == CLI_OPT_STUDY_ORDER) {
        if (strcmp(arg, "st") == 0) a->sobol_order = 0;
        else if (strcmp(arg, "input") == 0) a->sobol_order = 1;
        else return cli_usage_error("sobol", "--order: '%s' is not st or input", arg);
        return 0;
    }
    if (c == CLI_OPT_STUDY_MAX)
        return cli_parse_u64("sobol", "--max-paths", arg, 1, UINT64_MAX / 128, "a positive integer",
                             &a->sobol_max) < 0 ? CLI_EXIT_USAGE : 0;
    char *end = NULL;
    errno = 0;
    double w = strtod(arg, &end);
    if (errno || end == arg || *end || !(w >= 0.001 && w < 1))
        return cli_usage_error("sobol", "--target-ci: '%s' is not a half-width in [0.001, 1) "
                               "(the 95%% CI half-width every index must reach, e.g. 0.02)", arg);
    a->sobol_target = w;
    return 0;
}

int cli_study_parse(const char *cmd, int argc, char **argv, cli_study_args *a, bool metric,
                    const char *what, const char *paths_default)
{
    static const struct option longopts[] = {
        {"paths", required_argument, NULL, 'n'},     {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},   {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},       {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},            {"metric", required_argument, NULL, 'm'},
        {"sampling", required_argument, NULL, CLI_OPT_SAMPLING},  {"antithetic", no_argument, NULL, CLI_OPT_ANTITHETIC},
        {"target-ci", required_argument, NULL, CLI_OPT_TARGET_CI},
        {"max-paths", required_argument, NULL, CLI_OPT_STUDY_MAX},
        {"order", required_argument, NULL, CLI_OPT_STUDY_ORDER},
        CLI_CKPT_LONGOPTS, CLI_PROGRESS_LONGOPTS, {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->sf.sampling = -1;
    a->ck = (cli_ckpt_args)CLI_CKPT_ARGS_INIT;
    int c, rc;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:s:t:j:c:qhm:", longopts, NULL)) != -1) {
        if (c != CLI_OPT_TARGET_CI && cli_sens_flag(cmd, c, optarg, &a->sf, &rc)) {
            if (rc) return rc;
            continue;
        }
        if (cli_ckpt_flag(cmd, c, optarg, &a->ck, &rc)) {
            if (rc) return rc;
            /* issue 12: run and sweep; issue 23: the studies, one at a time */
            if (strcmp(cmd, "sweep") != 0 && strcmp(cmd, "tornado") != 0 &&
                strcmp(cmd, "sobol") != 0)
                return cli_usage_error(cmd, "--checkpoint, --checkpoint-every, --round-blocks: "
                                       "only run, sweep, tornado, sobol, shapley and stress "
                                       "take them");
            continue;
        }
        if (cli_common_flag(cmd, c, optarg, &a->co, &rc)) {
            if (rc) return rc;
            continue;
        }
        if (c == CLI_OPT_TARGET_CI || c == CLI_OPT_STUDY_MAX || c == CLI_OPT_STUDY_ORDER) {
            if (strcmp(cmd, "sobol") != 0)
                return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            if ((rc = sobol_flag(c, optarg, a)) != 0) return rc;
            continue;
        }
        switch (c) {
        case 'm':
            if (!metric) return cli_usage_error(cmd, "unknown option '--metric'");
            if (cx_metric_find(optarg) < 0) {
                char hint[1024];
                return cli_usage_error(cmd, "--metric: unknown metric '%s' (%s)", optarg,
                                       cx_name_hint(optarg, cx_metric_names, CX_N_METRICS, hint,
                                                    sizeof hint));
            }
            a->metric = optarg;
            break;
        case 'h': study_help(cmd, what, paths_default, metric); return -1;
        case ':': return cli_usage_error(cmd, "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error(cmd, "one scenario at most, got '%s' too", argv[optind + 1]);
    a->path = optind < argc ? argv[optind] : NULL;
    /* output targets are checked before the study, not discovered after it */
    if ((rc = cli_check_output("--json", a->co.json, NULL)) ||
        (rc = cli_check_output("--csv", a->co.csv, NULL)) ||
        (rc = cli_check_clash(a->path, a->ck.file, a->co.json, a->co.csv, NULL, NULL)))
        return rc;
    return 0;
}

/* The metric of a study: the --metric flag, else the scenario's tornado.metric or
 * sobol.metric (scenario_metric, NULL when unset), else capex_burden. */
int cli_study_metric(const char *flag, const char *scenario_metric)
{
    return cx_metric_find(flag ? flag : scenario_metric ? scenario_metric : "capex_burden");
}

int cli_write_json_doc(const char *path, json_t *doc)
{
    if (!doc) {
        fprintf(stderr, "capexsim: out of memory building the JSON result\n");
        return EXIT_FAILURE;
    }
    int rc = cx_output_write_json(path, doc);
    json_decref(doc);
    if (rc < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", path, strerror(errno));
        return EXIT_FAILURE;
    }
    return 0;
}

/*
 * Ctrl-C, as in run: the first stops the study at the next block boundary and what is
 * complete is reported ("complete": false) with exit code 130; a second ends at once.
 * The exit code of a study that wrote its outputs: 0, or 130 with a line on stderr when an
 * interrupt cut it short.
 */
int cli_study_exit(bool complete, uint64_t done, uint64_t requested, const char *what)
{
    if (complete) return 0;
    fprintf(stderr, "capexsim: interrupted: reported %" PRIu64 " of %" PRIu64 " %s\n", done,
            requested, what);
    return CLI_EXIT_INTERRUPTED;
}

int cli_nothing_done(void)
{
    fprintf(stderr, "capexsim: interrupted before any path completed\n");
    return CLI_EXIT_INTERRUPTED;
}
