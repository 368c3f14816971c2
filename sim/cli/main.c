/* SPDX-License-Identifier: MIT */
/* The capexsim command line: a dispatch table from command name to its function in sim/cli/
 * (one file a command) and its line of --help. What the commands share is sim/app/. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sim/app/common.h"
#include "sim/base/simd.h"
#include "sim/cli/commands.h"
#include "sim/engine/mpi.h"

/* The commands, in the order --help lists them; a new command adds its line here. */
typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the subcommand's name */
    const char *summary;
    bool mpi; /* spreads its work over the ranks of an MPI job (the others run alone) */
} command;

static const command commands[] = {
    {"run", cli_cmd_run, "run the Monte Carlo paths of a scenario and report", true},
    {"check", cli_cmd_check, "validate a scenario file and summarise it", false},
    {"resume", cli_cmd_resume, "finish a run, sweep or study from its --checkpoint file", true},
    {"sweep", cli_cmd_sweep, "run a scenario at each point of its sweep group", true},
    {"tornado", cli_cmd_tornado,
     "mean and P50 of a metric by lowest/highest decile of each input", true},
    {"sobol", cli_cmd_sobol,
     "Sobol first-order and total-effect indices of every uncertain input", true},
    {"shapley", cli_cmd_shapley,
     "Shapley effects of every uncertain input (correlation-aware shares)", false},
    {"plot", cli_cmd_plot, "PNG and SVG plots of a result JSON (gnuplot)", false},
    {"compare", cli_cmd_compare,
     "compare two results: same risk picture, or moved beyond the noise", false},
    {"batch", cli_cmd_batch, "several scenarios side by side, common random numbers", false},
    {"stress", cli_cmd_stress,
     "a scenario with inputs held to percentile slices vs its baseline", false},
    {"optimize", cli_cmd_optimize,
     "choose fixed inputs to optimise a statistic under risk limits (NLopt)", true},
    {"rerun", cli_cmd_rerun, "run a result's study again from the scenario it embeds", true},
    {"report", cli_cmd_report, "one self-contained HTML page of result JSON files", false},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void main_help(void)
{
    printf("Usage: capexsim COMMAND [ARGS]\n"
           "Monte Carlo risk simulator for AI-compute capacity portfolios.\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nOptions:\n"
           "  -h, --help     this help\n"
           "  -V, --version  print the version\n\n"
           "'capexsim COMMAND --help' lists a command's options and their defaults.\n");
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (cx_mpi_init(&argc, &argv) < 0) return EXIT_FAILURE;
    /* a file size limit (ulimit -f) is a write error like a full disk, not a kill (issue 25) */
    signal(SIGXFSZ, SIG_IGN);
    int rc = cli_dispatch(argc, argv);
    cx_mpi_finalize();
    /* what went to stdout is checked too: `capexsim run > /dev/full` fails (issue 25) */
    errno = 0;
    bool bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = true;
        e = errno;
    }
    if (bad) {
        fprintf(stderr, "capexsim: standard output: %s\n", strerror(e ? e : EIO));
        if (rc == 0 || rc == CLI_EXIT_INTERRUPTED) rc = EXIT_FAILURE;
    }
    return rc;
}

/* The command line after MPI has started (if it had to); rerun comes back here with the
 * command line it rebuilds from a result. */
int cli_dispatch(int argc, char **argv)
{
    if (argc < 2) {
        main_help();
        return CLI_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
        main_help();
        return 0;
    }
    /* the SIMD path, once, before any thread (sim/base/simd.h); a bad CAPEXSIM_SIMD is a usage
     * error */
    char simd_err[160];
    if (cx_simd_init(simd_err, sizeof simd_err) < 0) {
        fprintf(stderr, "capexsim: %s\n", simd_err);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
        printf("capexsim %s (%s; %s)\n", CX_VERSION, CX_COMPILER, CX_CFLAGS);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(a, commands[i].name)) {
            if (!commands[i].mpi && cx_mpi_size() > 1) {
                if (cx_mpi_rank() == 0)
                    fprintf(stderr, "capexsim %s: runs in one process, not under MPI (run it "
                                    "without mpirun, or with -np 1)\n", a);
                return CLI_EXIT_USAGE;
            }
            return commands[i].fn(argc - 1, argv + 1);
        }
    if (a[0] == '-') return cli_usage_error(NULL, "unknown option '%s'", a);
    return cli_usage_error(NULL, "unknown command '%s'", a);
}
