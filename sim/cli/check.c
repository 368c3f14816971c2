/* SPDX-License-Identifier: MIT */
/* `capexsim check FILE`: loads and validates a scenario and prints its summary. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "models/model.h"
#include "sim/app/common.h"
#include "sim/cli/commands.h"
#include "sim/input/scenario.h"

int cli_cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"strict", no_argument, NULL, CLI_OPT_STRICT},
                                             {NULL, 0, NULL, 0}};
    int c;
    bool strict = false;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == CLI_OPT_STRICT) {
            strict = true;
            continue;
        }
        if (c == 'h') {
            printf("Usage: capexsim check [--strict] FILE\n"
                   "Loads and validates a scenario and prints a summary of it. Values outside\n"
                   "their plausible range (docs/model.md) are warnings on stderr, one line each.\n\n"
                   "      --strict      those values are errors, exit 2 (default: warnings)\n"
                   "  -h, --help        this help\n\n"
                   "Exit codes: 0 valid, 2 invalid (the message names file, line and key).\n");
            return 0;
        }
        return cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind != 1) return cli_usage_error("check", "expected one scenario FILE");
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    int rc = cli_load_checked(argv[optind], strict, true, &sc, &m);
    if (rc) return rc;
    cx_scenario_print_summary(sc, stdout);
    cx_model_free(m);
    cx_scenario_free(sc);
    return 0;
}
