/* SPDX-License-Identifier: MIT */
/* `capexsim plot RESULT.json`: PNG and SVG plots of a result with gnuplot (sim/result/plot.h). */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/app/clash.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/base/error.h"
#include "sim/cli/commands.h"
#include "sim/result/plot.h"

static void plot_signal(int sig)
{
    (void)sig;
    atomic_store(&cli_interrupt, 1);
}

int cli_cmd_plot(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *out = "plots";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h':
            printf("Usage: capexsim plot RESULT.json [--out DIR]\n"
                   "Writes PNG and SVG plots of a result of run, tornado, sobol, shapley, sweep,\n"
                   "batch, stress or optimize (run --json ..., and so on) with gnuplot (Debian\n"
                   "package gnuplot-nox).\n\n"
                   "  -o, --out DIR     directory for the plots (default: plots)\n"
                   "  -h, --help        this help\n\n"
                   "A run gives burden_hist, revenue_hist, fan_idle_gw and fan_burden; a tornado\n"
                   "gives tornado; Sobol indices give sobol; a sweep gives sweep_capex_burden and\n"
                   "sweep_revenue_total; optimize gives optimize_best (best point, baseline and\n"
                   "runner-up with CIs) and, with --frontier, optimize_frontier. The result is read\n"
                   "as untrusted input: its strings\n"
                   "become labels only, and its size is bounded (docs/limits.md).\n"
                   "Exit codes: 0 ok, 1 runtime failure, 2 usage error or a file that is not a\n"
                   "capexsim result, 130 interrupted.\n");
            return 0;
        case ':': return cli_usage_error("plot", "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error("plot", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) return cli_usage_error("plot", "expected one RESULT.json");
    int crc = cli_check_plot_clash(argv[optind], out); /* issue 25: no output over an input */
    if (crc) return crc;
    char err[1024] = "";
    int n = 0;
    /* Ctrl-C, SIGTERM or SIGHUP stop gnuplot and remove the temporary files (no restart,
     * so the wait for gnuplot sees them). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plot_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    cx_plot_opts po = {.interrupt = &cli_interrupt};
    int rc = cx_plot_result(argv[optind], out, &po, &n, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        return rc == CX_ERR_INTERRUPTED                      ? CLI_EXIT_INTERRUPTED
               : rc == CX_ERR_USAGE || rc == CX_ERR_CONFIG ? CLI_EXIT_USAGE
                                                             : EXIT_FAILURE;
    }
    printf("wrote %d plot files to %s\n", n, out);
    return 0;
}
