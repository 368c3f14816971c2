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
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/progress.h"
#include "sim/app/provenance.h"
#include "sim/app/study.h"
#include "sim/base/error.h"
#include "sim/cli/commands.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
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
           "  -h, --help        this help\n\n"
           "The result for a seed is the same, bit for bit, for any number of threads.\n"
           "See docs/sensitivity.md for what the numbers mean. Ctrl-C stops at the next block\n"
           "and reports what is complete (exit code 130).\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted.\n",
           CX_SHAPLEY_VAR_PER_PERM, CX_SHAPLEY_DEFAULT_PERMS,
           CX_SHAPLEY_MIN_BLOCKS * CX_SHAPLEY_BLOCK_PERMS, (unsigned long long)CX_DEFAULT_SEED,
           cli_default_threads(), cli_progress_help);
}

/* The flags into *co and *metric. @return -1 after --help, an exit code, or 0 and *path. */
enum { OPT_CRN = 1000 };

static int parse(int argc, char **argv, cli_common *co, const char **metric, const char **path,
                 cx_shapley_args *args)
{
    static const struct option longopts[] = {
        {"paths", required_argument, NULL, 'n'},   {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {"metric", required_argument, NULL, 'm'},
        {"crn", no_argument, NULL, OPT_CRN},       CLI_PROGRESS_LONGOPTS,
        {NULL, 0, NULL, 0}};
    int c, rc;
    memset(co, 0, sizeof *co);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:s:t:j:c:qhm:", longopts, NULL)) != -1) {
        if (cli_common_flag("shapley", c, optarg, co, &rc)) {
            if (rc) return rc;
            continue;
        }
        switch (c) {
        case 'm':
            if (cx_metric_find(optarg) < 0)
                return cli_usage_error("shapley", "--metric: unknown metric '%s'", optarg);
            *metric = optarg;
            break;
        case OPT_CRN: args->crn = true; break;
        case 'h': help(); return -1;
        case ':': return cli_usage_error("shapley", "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error("shapley", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("shapley", "one scenario at most, got '%s' too", argv[optind + 1]);
    *path = optind < argc ? argv[optind] : NULL;
    if ((rc = cli_check_output("--json", co->json, NULL)) ||
        (rc = cli_check_output("--csv", co->csv, NULL)))
        return rc;
    return 0;
}

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

int cli_cmd_shapley(int argc, char **argv)
{
    cli_common co;
    const char *metric = NULL, *path = NULL;
    cx_shapley_args args = {0};
    int rc = parse(argc, argv, &co, &metric, &path, &args);
    if (rc) return rc < 0 ? 0 : rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(path, &sc, &m))) return rc;
    cx_engine_opts eo;
    cx_engine_opts_init(&eo, sc);
    const uint64_t perms = co.has_paths ? co.paths : CX_SHAPLEY_DEFAULT_PERMS;
    cx_study_opts o = {.paths = perms, .seed = co.has_seed ? co.seed : eo.seed,
                       .threads = cli_threads(co.threads, sc, perms, CX_SHAPLEY_BLOCK_PERMS),
                       .metric = cli_study_metric(metric, sc->sobol_metric),
                       .interrupt = &cli_interrupt};
    char err[512] = "";
    cx_shapley_report *r = NULL;
    int exit_code = EXIT_FAILURE;
    cli_progress pr; /* issue 23 */
    cli_progress_init(&pr, &co, true, "permutations");
    if (cli_progress_on(&pr)) {
        o.progress = cli_progress_count;
        o.progress_ctx = &pr;
    }
    cli_catch_sigint();
    rc = cx_shapley_run(&r, sc, m, &o, &args, err, sizeof err);
    cli_progress_end(&pr, rc == 0 && r->out.complete);
    if (rc < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_RANGE || rc == CX_ERR_USAGE ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    if (r->out.perms == 0) {
        exit_code = cli_nothing_done();
        goto done;
    }
    if (!co.quiet) print_table(r, sc);
    if (co.json &&
        (exit_code = cli_write_result(
             co.json, cx_shapley_report_json(r, sc),
             json_pack("{s:s, s:I, s:o, s:s, s:b}", "command", "shapley", "paths",
                       (json_int_t)o.paths, "seed", cx_output_u64(o.seed), "metric",
                       cx_metric_names[o.metric], "crn", args.crn),
             sc)))
        goto done;
    if (co.csv && cx_shapley_report_csv(r, sc, co.csv) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    exit_code = cli_study_exit(r->out.complete, r->out.perms, r->requested, "permutations");
done:
    cx_shapley_report_free(r);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}
