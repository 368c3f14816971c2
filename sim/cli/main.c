/* SPDX-License-Identifier: MIT */
/* The capexsim command line: a thin layer of flags, files and signals over the library. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#if CX_HAVE_OPENMP
#include <omp.h>
#endif

#include "models/model.h"
#include "sim/cli/cli.h"
#include "sim/cli/cli_compare.h"
#include "sim/engine/engine.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/engine/mpi.h"
#include "sim/result/output.h"
#include "sim/result/report.h"
#include "sim/input/scenario.h"
#include "sim/base/simd.h"

atomic_int cli_interrupt, cli_signal;

static void on_sigint(int sig)
{
    if (atomic_load(&cli_signal)) {
        /* second Ctrl-C: end now, with the default action (exit status 128 + SIGINT) */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    atomic_store(&cli_signal, 1);
    /* in an MPI job the ranks agree on cli_interrupt (sim/engine/mpi.h); alone it is this flag */
    if (cx_mpi_size() == 1) atomic_store(&cli_interrupt, 1);
}

void cli_catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    /* mpirun passes Ctrl-C on to the ranks as SIGTERM */
    if (cx_mpi_size() > 1) sigaction(SIGTERM, &sa, NULL);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    char msg[2048];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cx_err_one_line(msg, sizeof msg); /* an argument with a newline or an escape stays one line */
    fprintf(stderr, "capexsim: %s", msg);
    fprintf(stderr, "\nTry 'capexsim %s%s--help' for more information.\n", cmd ? cmd : "",
            cmd ? " " : "");
    return CLI_EXIT_USAGE;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                     const char *what, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno || v < min || v > max) {
        cli_usage_error(cmd, "%s: expected %s, got '%s'", opt, what, s);
        return -1;
    }
    *out = v;
    return 0;
}

bool cli_common_flag(const char *cmd, int c, const char *arg, cli_common *o, int *rc)
{
    *rc = 0;
    switch (c) {
    case 'n':
        if (cli_parse_u64(cmd, "--paths", arg, 1, UINT64_MAX / 128, "a positive integer",
                          &o->paths) < 0)
            *rc = CLI_EXIT_USAGE;
        o->has_paths = true;
        return true;
    case 's':
        if (cli_parse_u64(cmd, "--seed", arg, 0, UINT64_MAX, "a non-negative integer",
                          &o->seed) < 0)
            *rc = CLI_EXIT_USAGE;
        o->has_seed = true;
        return true;
    case 't':
        if (cli_parse_u64(cmd, "--threads", arg, 1, 4096, "an integer from 1 to 4096",
                          &o->threads) < 0)
            *rc = CLI_EXIT_USAGE;
        return true;
    case 'j': o->json = arg; return true;
    case 'c': o->csv = arg; return true;
    case 'q': o->quiet = true; return true;
    default: return false;
    }
}

int cli_default_threads(void)
{
#if CX_HAVE_OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

int cli_threads(uint64_t flag, const cx_scenario *sc, uint64_t paths, uint64_t block_paths)
{
    uint64_t t = flag ? flag : sc->run_threads > 0 ? (uint64_t)sc->run_threads
                                                   : (uint64_t)cli_default_threads();
    /* More threads than blocks idle; more than CLI_THREADS_PER_CORE per core only cost
     * memory (each holds its own buffers). Results do not depend on the count. */
    uint64_t blocks = block_paths ? paths / block_paths + (paths % block_paths != 0) : t;
    uint64_t cores = (uint64_t)(cli_default_threads() > 0 ? cli_default_threads() : 1);
    if (t > blocks) t = blocks;
    if (t > CLI_THREADS_PER_CORE * cores) t = CLI_THREADS_PER_CORE * cores;
    return t < 1 ? 1 : (int)t;
}

int cli_load(const char *path, cx_scenario **sc, cx_model **m)
{
    char err[1024] = "";
    int rc = path ? cx_scenario_load(sc, path, err, sizeof err)
                  : cx_scenario_load_default(sc, err, sizeof err);
    if (rc < 0) {
        if (err[0])
            fprintf(stderr, "capexsim: %s\n", err);
        else
            fprintf(stderr, "capexsim: %s: %s\n", path ? path : "<built-in>", cx_strerror(rc));
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    err[0] = 0;
    if ((rc = cx_model_new(m, *sc, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        cx_scenario_free(*sc);
        *sc = NULL;
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_check_output(const char *opt, const char *path, const char *dir_file)
{
    char err[1024] = "";
    if (!path)
        return 0;
    int rc = dir_file ? cx_file_check_dir(path, dir_file, err, sizeof err)
                      : cx_file_check(path, err, sizeof err);
    if (rc == 0)
        return 0;
    fprintf(stderr, "capexsim: %s: %s\n", opt, err[0] ? err : cx_strerror(rc));
    return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
}

void cli_progress(void *ctx, const cx_engine_progress *p)
{
    (void)ctx;
    double rate = p->elapsed_s > 0 ? (double)p->paths_done / p->elapsed_s : 0;
    double eta = rate > 0 ? (double)(p->paths_total - p->paths_done) / rate : 0;
    fprintf(stderr, "\r%" PRIu64 " / %" PRIu64 " paths  %.0f paths/s  ETA %.0f s   ",
            p->paths_done, p->paths_total, rate, eta);
    fflush(stderr);
}

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
           "  -c, --csv DIR     write the quarterly series to DIR/quarters.csv (default: none)\n"
           "  -q, --quiet       no table on stdout and no progress line (default: off)\n"
           "      --sampling M  scalar inputs by mc, lhs (Latin hypercube) or sobol (scrambled\n"
           "                    Sobol points) (default: run.sampling, else mc)\n"
           "      --antithetic  antithetic pairs of scalar inputs (default: run.antithetic, else off)\n"
           "      --target-ci METRIC:Q:REL  stop once the 95%% CI of METRIC's Q-quantile is\n"
           "                    narrower than REL of its value, e.g. capex_burden:0.95:0.01;\n"
           "                    --paths is then the limit. Checked every %d paths up to %d,\n"
           "                    then after every 1/%d of the paths done (at most every %d),\n"
           "                    at the same paths for any thread count (default: off)\n"
           "      --export-paths FILE  one CSV row per path, in path order: path index, every\n"
           "                    uncertain input, every metric (default: none; docs/analyst.md)\n"
           "      --export-max N  export only the first N paths (default: all)\n"
           "%s"
           "  -h, --help        this help\n\n"
           "The result for a seed is the same, bit for bit, for any number of threads.\n"
           "Ctrl-C stops at the next block and reports the paths done (\"complete\": false,\n"
           "exit code 130); a second Ctrl-C ends at once.\n"
           "With --checkpoint, Ctrl-C also saves the checkpoint, and 'capexsim resume FILE'\n"
           "(or the same command again) finishes the run with the same bytes.\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted.\n",
           "meta-2026h1", (unsigned long long)CX_DEFAULT_PATHS,
           (unsigned long long)CX_DEFAULT_SEED, cli_default_threads(), CX_BLOCK_PATHS,
           CLI_THREADS_PER_CORE,
           CX_BLOCK_PATHS * CX_STOP_ROUND_MIN,
           CX_BLOCK_PATHS * CX_STOP_ROUND_MIN * CX_STOP_ROUND_DIV, CX_STOP_ROUND_DIV,
           CX_BLOCK_PATHS * CX_ROUND_BLOCKS, cli_ckpt_help);
}

static int cmd_run(int argc, char **argv)
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
        CLI_CKPT_LONGOPTS, /* issue 12 */
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
        case ':':
            return cli_usage_error("run", "%s: missing argument", argv[optind - 1]);
        default:
            return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("run", "one scenario at most, got '%s' too", argv[optind + 1]);
    a.path = optind < argc ? argv[optind] : NULL;
    if (a.ef.has_max && !a.ef.path)
        return cli_usage_error("run", "--export-max: needs --export-paths FILE");
    /* issue 12: the export's rows are the observer's, neither saved nor shared by ranks */
    if (a.ef.path && a.ck.file)
        return cli_usage_error("run", "--export-paths and --checkpoint do not go together");
    if (a.ef.path && cx_mpi_size() > 1)
        return cli_usage_error("run", "--export-paths runs in one process, not under MPI");
    return cli_run_exec(&a);
}

int cli_run_exec(const cli_run_args *a)
{
    /* with MPI, rank 0 alone writes (the table, files, messages); every rank runs */
    const bool root = cx_mpi_rank() == 0;
    const bool quiet = a->co.quiet || !root;
    const char *json_path = root ? a->co.json : NULL, *csv_dir = root ? a->co.csv : NULL;
    cx_export *exp = NULL;
    int rc;
    /* output targets are checked before the run, not discovered after it */
    if ((rc = cli_check_output("--json", json_path, NULL)) ||
        (rc = cli_check_output("--csv", csv_dir, "quarters.csv")) ||
        (rc = cli_check_output("--export-paths", a->ef.path, NULL)))
        return rc;

    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a->path, &sc, &m))) return rc;

    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    if (a->co.has_paths) o.paths = a->co.paths;
    o.threads = cli_threads(a->co.threads, sc, o.paths, CX_BLOCK_PATHS);
    if (a->co.has_seed) o.seed = a->co.seed;
    if (isatty(STDERR_FILENO) && !quiet) o.progress = cli_progress;
    o.interrupt = &cli_interrupt;
    o.comm = cx_mpi_comm(&cli_signal, &cli_interrupt);
    cli_sens_setup setup;
    cli_ckpt ck = {0};
    if ((rc = cli_sens_setup_run(&setup, &a->sf, sc, &o)) != 0 ||
        (rc = cli_export_setup(&exp, &a->ef, sc, &o)) != 0 ||
        (rc = cli_ckpt_setup(&ck, "run", &a->ck, a->path, sc, m, setup.sampling,
                             setup.antithetic, a->sf.target, json_path, csv_dir, quiet, &o)) != 0) {
        cx_export_free(exp);
        cli_ckpt_free(&ck);
        cli_sens_setup_free(&setup);
        cx_model_free(m);
        cx_scenario_free(sc);
        return rc;
    }

    cli_catch_sigint();

    cx_run *run = NULL;
    cx_report *rep = NULL;
    json_t *doc = NULL;
    int exit_code = EXIT_FAILURE;
    if ((rc = cx_engine_run(&run, sc, m, &o)) < 0) {
        if (o.progress) fputs("\r\033[K", stderr);
        cli_ckpt_run_failed(&ck, rc);
        goto done;
    }
    if (o.progress) fputs("\r\033[K", stderr);
    if (exp && cli_export_finish(exp, &a->ef) != 0) goto done;
    if (run->paths_done == 0) {
        if (root) fprintf(stderr, "capexsim: interrupted before any path completed\n");
        exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if ((rc = cx_report_new(&rep, run->accum)) < 0) {
        fprintf(stderr, "capexsim: report: %s\n", cx_strerror(rc));
        goto done;
    }
    if (root) cx_output_warnings(stderr, rep); /* non-finite or out-of-range values (issue 11) */
    cx_run_info info = {sc->name,        sc->sha256,       setup.sampling_name, o.seed,
                        run->paths_done, o.paths,          run->threads,   run->elapsed_s,
                        run->complete,   CX_BLOCK_PATHS};
    if (!quiet) cx_output_table(stdout, rep, &info);
    if (json_path) {
        if (!(doc = cx_output_json(rep, &info))) {
            fprintf(stderr, "capexsim: out of memory building the JSON report\n");
            goto done;
        }
        cli_sens_add_json(&setup, doc, run);
        if (cx_mpi_built()) json_object_set_new(doc, "ranks", json_integer(run->ranks));
        if (cx_output_write_json(json_path, doc) < 0) {
            fprintf(stderr, "capexsim: %s: %s\n", json_path, strerror(errno));
            goto done;
        }
    }
    if (csv_dir && cx_output_write_csv(csv_dir, rep) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", csv_dir, strerror(errno));
        goto done;
    }
    cli_sens_report_target(&setup, run, quiet);
    if (run->interrupted) {
        if (root)
            fprintf(stderr, "capexsim: interrupted: reported %" PRIu64 " of %" PRIu64 " paths\n",
                run->paths_done, o.paths);
        exit_code = CLI_EXIT_INTERRUPTED;
    } else {
        exit_code = 0;
    }
done:
    json_decref(doc);
    cx_report_free(rep);
    cx_run_free(run);
    cx_export_free(exp);
    cli_sens_setup_free(&setup);
    cli_ckpt_free(&ck);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            printf("Usage: capexsim check FILE\n"
                   "Loads and validates a scenario and prints a summary of it.\n\n"
                   "  -h, --help        this help\n\n"
                   "Exit codes: 0 valid, 2 invalid (the message names file, line and key).\n");
            return 0;
        }
        return cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind != 1) return cli_usage_error("check", "expected one scenario FILE");
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    int rc = cli_load(argv[optind], &sc, &m);
    if (rc) return rc;
    cx_scenario_print_summary(sc, stdout);
    cx_model_free(m);
    cx_scenario_free(sc);
    return 0;
}

/* Subcommands; sweep, tornado, sobol and plot (issue 6) add their lines here. */
typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the subcommand's name */
    const char *summary;
    bool mpi; /* spreads its work over the ranks of an MPI job (the others run alone) */
} command;

static const command commands[] = {
    {"run", cmd_run, "run the Monte Carlo paths of a scenario and report", true},
    {"check", cmd_check, "validate a scenario file and summarise it", false},
    {"resume", cli_cmd_resume, "finish a run or sweep from its --checkpoint file", true},
    {"sweep", cli_cmd_sweep, "run a scenario at each point of its sweep group", true},
    {"tornado", cli_cmd_tornado,
     "mean and P50 of a metric by lowest/highest decile of each input", true},
    {"sobol", cli_cmd_sobol,
     "Sobol first-order and total-effect indices of every uncertain input", true},
    {"plot", cli_cmd_plot, "PNG and SVG plots of a result JSON (gnuplot)", false},
    {"compare", cli_cmd_compare,
     "compare two results: same risk picture, or moved beyond the noise", false},
    {"batch", cli_cmd_batch, "several scenarios side by side, common random numbers", false},
    {"stress", cli_cmd_stress,
     "a scenario with inputs held to percentile slices vs its baseline", false},
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

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (cx_mpi_init(&argc, &argv) < 0) return EXIT_FAILURE;
    int rc = dispatch(argc, argv);
    cx_mpi_finalize();
    return rc;
}

/* The command line after MPI has started (if it had to). */
static int dispatch(int argc, char **argv)
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
