/* SPDX-License-Identifier: MIT */
/* `capexsim compare NEW BASE`: flags, the table, the JSON file and the exit code (issue 13). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/app/clash.h"
#include "sim/app/common.h"
#include "sim/base/error.h"
#include "sim/cli/commands.h"
#include "sim/result/compare.h"
#include "sim/result/output.h"

/* Exit codes of compare (issue 13): 0 same, 1 different, 2 bad input. */
#define CMP_EXIT_SAME 0
#define CMP_EXIT_DIFFERENT 1
#define CMP_EXIT_BAD 2

enum { OPT_ALLOW_SEED = 256, OPT_ALLOW_SCENARIO, OPT_ALPHA, OPT_ALL };

static void compare_help(void)
{
    printf("Usage: capexsim compare NEW.json BASE.json [options]\n"
           "Compares two results of capexsim run, sweep, sobol, batch or stress\n"
           "(statistically) or of any command (--exact) and says whether NEW differs from\n"
           "BASE beyond the noise.\n\n"
           "  -e, --exact          same values apart from timing and provenance fields\n"
           "                       (elapsed_s, paths_per_s, threads, version, compiler, ...)\n"
           "                       (default: statistical)\n"
           "  -a, --alpha A        family-wise false-alarm rate over all statistics, Holm\n"
           "                       correction (default: 0.01)\n"
           "      --allow-seed     compare results of different seeds (default: refused)\n"
           "      --allow-scenario compare results of different scenarios, by SHA-256\n"
           "                       (default: refused)\n"
           "  -j, --json FILE      write the comparison as JSON to FILE (default: none)\n"
           "  -n, --top N          rows in the table, worst first (default: 10)\n"
           "      --all            every row in the table\n"
           "  -q, --quiet          no table (default: off)\n"
           "  -h, --help           this help\n\n"
           "Means are compared by their standard errors, percentiles by their 95%% CIs,\n"
           "exceedance probabilities as proportions, CVaR95 and the quarterly series by\n"
           "derived standard errors (docs/ci.md). Sweeps: means of every point; sobol: S1,\n"
           "ST by their se; batch and stress: run by run, each run of BASE against NEW's run\n"
           "of the same scenario name (baseline, stressed); tornado: --exact only.\n"
           "Exit codes: 0 same, 1 different, 2 bad input (unreadable, not a capexsim result,\n"
           "results of different studies, or different scenarios/seeds without the flag).\n");
}

int cli_cmd_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"exact", no_argument, NULL, 'e'},
        {"alpha", required_argument, NULL, 'a'},
        {"allow-seed", no_argument, NULL, OPT_ALLOW_SEED},
        {"allow-scenario", no_argument, NULL, OPT_ALLOW_SCENARIO},
        {"json", required_argument, NULL, 'j'},
        {"top", required_argument, NULL, 'n'},
        {"all", no_argument, NULL, OPT_ALL},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    cx_compare_opts o;
    cx_compare_opts_init(&o);
    const char *json_path = NULL;
    uint64_t top = 10;
    bool quiet = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":ea:j:n:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': o.exact = true; break;
        case 'a': {
            char *end;
            errno = 0;
            double a = strtod(optarg, &end);
            if (end == optarg || *end || errno || !(a > 0 && a < 1))
                return cli_usage_error("compare", "--alpha: expected a number in (0, 1), got '%s'",
                                       optarg);
            o.alpha = a;
            break;
        }
        case OPT_ALLOW_SEED: o.allow_seed = true; break;
        case OPT_ALLOW_SCENARIO: o.allow_scenario = true; break;
        case 'j': json_path = optarg; break;
        case 'n':
            if (cli_parse_u64("compare", "--top", optarg, 1, 1000000, "a positive integer", &top) < 0)
                return CMP_EXIT_BAD;
            break;
        case OPT_ALL: top = 0; break;
        case 'q': quiet = true; break;
        case 'h': compare_help(); return 0;
        case ':': return cli_usage_error("compare", "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error("compare", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("compare", "expected two result files, NEW and BASE");
    int crc = cli_check_output("--json", json_path, NULL); /* before any work (issue 11) */
    if (crc)
        return crc;
    cli_files fs = CLI_FILES_INIT; /* issue 25: the JSON never replaces NEW or BASE */
    cli_files_add(&fs, "NEW", argv[optind], false);
    cli_files_add(&fs, "BASE", argv[optind + 1], false);
    cli_files_add(&fs, "--json", json_path, true);
    crc = cli_files_check(&fs);
    cli_files_free(&fs);
    if (crc)
        return crc;

    char err[1200] = "";
    cx_compare_result *r = NULL;
    int rc = cx_compare_files(&r, argv[optind], argv[optind + 1], &o, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        return CMP_EXIT_BAD;
    }
    int exit_code = r->n_different ? CMP_EXIT_DIFFERENT : CMP_EXIT_SAME;
    if (!quiet) cx_compare_table(stdout, r, (int)top);
    if (json_path) {
        json_t *doc = cx_compare_json(r);
        if (!doc) {
            fprintf(stderr, "capexsim: out of memory building the JSON comparison\n");
            exit_code = CMP_EXIT_BAD;
        } else if (cx_output_write_json(json_path, doc) < 0) {
            fprintf(stderr, "capexsim: %s: %s\n", json_path, strerror(errno));
            exit_code = CMP_EXIT_BAD;
        }
        json_decref(doc);
    }
    cx_compare_free(r);
    return exit_code;
}
