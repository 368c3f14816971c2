/* SPDX-License-Identifier: MIT */
/* `capexsim optimize`: its flags, progress line and table; cx_opt_run (sim/study/) solves. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/provenance.h"
#include "sim/app/study.h"
#include "sim/base/error.h"
#include "sim/cli/commands.h"
#include "sim/engine/mpi.h"
#include "sim/result/output.h"
#include "sim/study/optimize.h"

#define OPT_DEFAULT_PATHS 16384

enum { OPT_CHECK_PATHS = 256, OPT_CHECK_SEED, OPT_STARTS, OPT_MAX_EVALS, OPT_FRONTIER };

static void optimize_help(void)
{
    printf("Usage: capexsim optimize [SCENARIO] [options]\n"
           "Chooses the values of the scenario's optimize.decisions that maximise (or minimise)\n"
           "its objective statistic subject to its constraints: sample-average approximation on\n"
           "common random numbers (every evaluation runs the same seed and paths), solved with\n"
           "NLopt's COBYLA from several starts (all-integer small grids: enumeration). Then the\n"
           "best point, the runner-up from another start and the scenario's own values are re-run\n"
           "on a fresh seed with more paths: statistics with 95%% CIs and paired differences.\n\n"
           "Options:\n"
           "  -n, --paths N        paths of the search sample (default %d)\n"
           "  -s, --seed S         seed of the search sample (default: run.seed, else %llu)\n"
           "      --check-paths N  paths of the fresh-seed check (default 4 x --paths)\n"
           "      --check-seed S   seed of the check (default: the search seed + 1)\n"
           "      --starts K       COBYLA starts: the scenario's values, then Halton points\n"
           "                       (default %d)\n"
           "      --max-evals N    evaluations a start may use (default 30 + 20 x decisions)\n"
           "      --frontier K     also K levels of the first constraint's bound, from its\n"
           "                       tightest feasible to its loosest useful value (K >= 2)\n"
           "  -t, --threads T      threads (default: run.threads, else all cores)\n"
           "  -j, --json FILE      write the result as JSON (docs/schema/optimize.schema.json)\n"
           "  -q, --quiet          no table, no progress\n"
           "  -h, --help           this help\n\n"
           "Under mpirun (an MPI build) each evaluation's paths are spread over the ranks; the\n"
           "result is the same as one process's, and rank 0 alone prints and writes.\n",
           OPT_DEFAULT_PATHS, (unsigned long long)CX_DEFAULT_SEED, CX_OPT_DEFAULT_STARTS);
}

static const cx_scenario *progress_sc;

/* "evaluations 37  start 2/4  best revenue_total mean 123.4 at (1.5, 2)" on stderr. */
static void progress_line(void *ctx, const cx_opt_progress *p)
{
    (void)ctx;
    fprintf(stderr, "\r\033[Kevaluations %" PRIu64 "  start %d/%d  ", p->evaluations,
            p->start + 1 > 0 ? p->start + 1 : 1, p->n_starts);
    if (p->best) {
        fprintf(stderr, "best feasible %.6g at (", p->best->stat[0]);
        for (int d = 0; d < progress_sc->optimize->n_decisions; d++)
            fprintf(stderr, "%s%.6g", d ? ", " : "", p->best->x[d]);
        fputc(')', stderr);
    } else {
        fputs("no feasible point yet", stderr);
    }
    fflush(stderr);
}

static void print_ci(const cx_opt_ci *c)
{
    if (isnan(c->lo))
        printf("  %12.6g %27s", c->value, "");
    else
        printf("  %12.6g [%12.6g, %12.6g]", c->value, c->lo, c->hi);
}

static void stat_label(char *buf, size_t n, const cx_opt_stat *st)
{
    if (st->kind == CX_OPT_P_EXCEED)
        snprintf(buf, n, "%s P(> %g)", cx_metric_names[st->metric], st->threshold);
    else
        snprintf(buf, n, "%s %s", cx_metric_names[st->metric], st->label);
}

/* One column per point: baseline, best, runner-up. */
static void print_points(const cx_opt_result *r, const cx_scenario *sc)
{
    const cx_optimize *sp = sc->optimize;
    const cx_opt_check *col[3] = {&r->base_chk, &r->best_chk, r->has_runner ? &r->runner_chk : NULL};
    const char *head[3] = {"baseline", "best", "runner-up"};
    char lab[96], name[256];
    printf("%-36s", "");
    for (int c = 0; c < 3; c++)
        if (col[c]) printf("  %-40s", head[c]);
    putchar('\n');
    for (int d = 0; d < sp->n_decisions; d++) {
        printf("%-36s", cx_opt_decision_name(sc, d, name, sizeof name));
        for (int c = 0; c < 3; c++)
            if (col[c]) printf("  %12.6g %27s", col[c]->x[d], "");
        putchar('\n');
    }
    for (int k = 0; k <= sp->n_constraints; k++) {
        const cx_opt_stat *st = k == 0 ? &sp->objective : &sp->constraint[k - 1].stat;
        stat_label(lab, sizeof lab, st);
        if (k > 0) {
            size_t l = strlen(lab);
            snprintf(lab + l, sizeof lab - l, " %s %g", sp->constraint[k - 1].upper ? "<=" : ">=",
                     sp->constraint[k - 1].bound);
        }
        printf("%-36s", lab);
        for (int c = 0; c < 3; c++)
            if (col[c]) print_ci(&col[c]->stat[k]);
        putchar('\n');
    }
}

static void print_table(const cx_opt_result *r, const cx_scenario *sc)
{
    const cx_optimize *sp = sc->optimize;
    char lab[96], name[256];
    printf("Optimize %s: %s, %d start%s, %" PRIu64 " evaluations in %.2f s (%.1f /s)\n"
           "search: %" PRIu64 " paths, seed %" PRIu64 "; check: %" PRIu64 " paths, seed %" PRIu64
           "%s\n\n",
           sc->name, r->method, r->starts, r->starts == 1 ? "" : "s", r->evaluations,
           r->search_s, r->search_s > 0 ? (double)r->evaluations / r->search_s : 0.0, r->paths,
           r->seed, r->check_paths, r->check_seed,
           r->interrupted ? " (interrupted: best point so far, not checked)" : "");
    stat_label(lab, sizeof lab, &sp->objective);
    if (!r->found)
        printf("No point met every constraint on the search sample; the least infeasible is shown.\n");
    if (!r->checked) {
        printf("best: (");
        for (int d = 0; d < sp->n_decisions; d++)
            printf("%s%s = %.6g", d ? ", " : "", cx_opt_decision_name(sc, d, name, sizeof name),
                   r->best.x[d]);
        printf(")  %s %.6g on the search sample\n", lab, r->best.stat[0]);
        return;
    }
    printf("Fresh-seed check (value [95%% CI]):\n");
    print_points(r, sc);
    printf("\nPaired differences on the check sample (common random numbers):\n");
    printf("%-36s  %-40s  %-40s\n", "", "best - baseline", r->has_runner ? "best - runner-up" : "");
    for (int k = 0; k <= sp->n_constraints; k++) {
        stat_label(lab, sizeof lab, k == 0 ? &sp->objective : &sp->constraint[k - 1].stat);
        printf("%-36s", lab);
        print_ci(&r->diff_base[k]);
        if (r->has_runner) print_ci(&r->diff_runner[k]);
        putchar('\n');
    }
    for (int k = 0; k < sp->n_constraints; k++) {
        const cx_opt_constraint *c = &sp->constraint[k];
        stat_label(lab, sizeof lab, &c->stat);
        if (!r->best_chk.holds[k])
            printf("\nNote: at the best point, %s %s %g is not met with 95%% confidence on the "
                   "fresh seed (CI [%.6g, %.6g]%s).", lab, c->upper ? "<=" : ">=", c->bound,
                   r->best_chk.stat[1 + k].lo, r->best_chk.stat[1 + k].hi,
                   r->best_chk.meets[k] ? "; the estimate itself meets it" : "; the estimate misses it");
    }
    putchar('\n');
}

static void print_frontier(const cx_opt_result *r, const cx_scenario *sc)
{
    const cx_optimize *sp = sc->optimize;
    char lab[96];
    if (r->n_frontier == 0) return;
    stat_label(lab, sizeof lab, &sp->constraint[0].stat);
    printf("\nFrontier: objective against the bound on %s (fresh-seed CIs)\n", lab);
    if (r->n_frontier == 1)
        printf("(one level: the bound cannot bind; its tightest feasible value is its value at "
               "the optimum without it)\n");
    printf("%12s", "bound");
    for (int d = 0; d < sp->n_decisions; d++) {
        char name[256];
        printf(" %14.14s", cx_opt_decision_name(sc, d, name, sizeof name));
    }
    printf("  %-40s  %-40s\n", "objective", "constraint");
    for (int i = 0; i < r->n_frontier; i++) {
        const cx_opt_frontier_pt *f = &r->frontier[i];
        printf("%12.6g", f->bound);
        for (int d = 0; d < sp->n_decisions; d++) printf(" %14.6g", f->point.x[d]);
        print_ci(&f->check.stat[0]);
        print_ci(&f->check.stat[1]);
        printf("%s\n", f->found ? "" : "  (infeasible)");
    }
}

/* The flags into o and *path. @return 0, -1 after --help, or an exit code. */
static int parse(int argc, char **argv, cli_common *co, cx_opt_opts *o, const char **path)
{
    static const struct option longopts[] = {
        {"paths", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"json", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
        {"check-paths", required_argument, NULL, OPT_CHECK_PATHS},
        {"check-seed", required_argument, NULL, OPT_CHECK_SEED},
        {"starts", required_argument, NULL, OPT_STARTS},
        {"max-evals", required_argument, NULL, OPT_MAX_EVALS},
        {"frontier", required_argument, NULL, OPT_FRONTIER}, {NULL, 0, NULL, 0}};
    int c, rc = 0;
    uint64_t v;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:s:t:j:qh", longopts, NULL)) != -1) {
        if (c != 'c' && cli_common_flag("optimize", c, optarg, co, &rc)) {
            if (rc) return rc;
            continue;
        }
        switch (c) {
        case OPT_CHECK_PATHS:
        case OPT_CHECK_SEED:
        case OPT_STARTS:
        case OPT_MAX_EVALS:
        case OPT_FRONTIER: {
            static const char *const names[] = {"--check-paths", "--check-seed", "--starts",
                                                "--max-evals", "--frontier"};
            static const uint64_t lo[] = {1, 1, 1, 1, 2}, hi[] = {UINT64_MAX / 128, UINT64_MAX,
                                                                  64, 100000, 100};
            int i = c - OPT_CHECK_PATHS;
            if (cli_parse_u64("optimize", names[i], optarg, lo[i], hi[i], "a positive integer in range", &v) < 0)
                return CLI_EXIT_USAGE;
            if (c == OPT_CHECK_PATHS) o->check_paths = v;
            else if (c == OPT_CHECK_SEED) o->check_seed = v;
            else if (c == OPT_STARTS) o->starts = (int)v;
            else if (c == OPT_MAX_EVALS) o->max_evals = (int)v;
            else o->frontier = (int)v;
            break;
        }
        case 'h': optimize_help(); return -1;
        case ':': return cli_usage_error("optimize", "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error("optimize", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("optimize", "one scenario at most, got '%s' too", argv[optind + 1]);
    *path = optind < argc ? argv[optind] : NULL;
    return cli_check_output("--json", co->json, NULL);
}

int cli_cmd_optimize(int argc, char **argv)
{
    cli_common co = {0};
    cx_opt_opts o = {0};
    const char *path = NULL;
    int rc = parse(argc, argv, &co, &o, &path);
    if (rc) return rc < 0 ? 0 : rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(path, &sc, &m))) return rc;
    cx_model_free(m);
    cx_engine_opts_init(&o.engine, sc);
    o.engine.paths = co.has_paths ? co.paths : OPT_DEFAULT_PATHS;
    if (co.has_seed) o.engine.seed = co.seed;
    o.engine.threads = cli_threads(co.threads, sc, o.engine.paths, CX_BLOCK_PATHS);
    o.engine.interrupt = &cli_interrupt;
    /* MPI: each evaluation's blocks over the ranks, as run does; every rank takes the same
     * steps (rank 0's statistics), rank 0 alone prints and writes */
    o.engine.comm = cx_mpi_comm(&cli_signal, &cli_interrupt);
    const bool root = cx_mpi_rank() == 0;
    progress_sc = sc;
    if (root && isatty(STDERR_FILENO) && !co.quiet) o.progress = progress_line;
    char err[512] = "";
    cx_opt_result *r = NULL;
    int exit_code = EXIT_FAILURE;
    cli_catch_sigint();
    if ((rc = cx_opt_run(&r, sc, &o, err, sizeof err)) < 0) {
        if (o.progress) fputs("\r\033[K", stderr);
        if (root) fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_CONFIG ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    if (o.progress) fputs("\r\033[K", stderr);
    if (r->interrupted && r->evaluations == 0) {
        exit_code = root ? cli_nothing_done() : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!root) { /* the same result as rank 0's; rank 0 reports it */
        exit_code = r->interrupted ? CLI_EXIT_INTERRUPTED : 0;
        goto done;
    }
    if (!co.quiet) {
        print_table(r, sc);
        print_frontier(r, sc);
    }
    if (co.json &&
        (exit_code = cli_write_result(
             co.json, cx_opt_result_json(r, sc),
             json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "command", "optimize",
                       "paths", (json_int_t)o.engine.paths, "seed", cx_output_u64(o.engine.seed),
                       "check_paths", o.check_paths ? cx_output_u64(o.check_paths) : json_null(),
                       "check_seed", o.check_seed ? cx_output_u64(o.check_seed) : json_null(),
                       "starts", o.starts ? json_integer(o.starts) : json_null(),
                       "max_evals", o.max_evals ? json_integer(o.max_evals) : json_null(),
                       "frontier", o.frontier ? json_integer(o.frontier) : json_null()),
             sc)))
        goto done;
    if (r->interrupted) {
        fprintf(stderr, "capexsim: interrupted: reported the best point of %" PRIu64
                        " evaluations\n", r->evaluations);
        exit_code = CLI_EXIT_INTERRUPTED;
    } else {
        exit_code = 0;
    }
done:
    cx_opt_result_free(r);
    cx_scenario_free(sc);
    return exit_code;
}
