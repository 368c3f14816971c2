/* SPDX-License-Identifier: MIT */
/* The CLI's issue-6 parts: run's --sampling/--antithetic/--target-ci, and the sweep, tornado,
 * sobol and plot subcommands. CLI code only (flags, tables, files, exit codes): everything
 * they compute comes from sim/study/sens.h and sim/result/plot.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/cli/cli.h"
#include "sim/engine/engine.h"
#include "sim/engine/checkpoint.h"
#include "sim/base/error.h"
#include "sim/engine/mpi.h"
#include "sim/result/output.h"
#include "sim/result/plot.h"
#include "sim/result/report.h"
#include "sim/engine/sampling.h"
#include "sim/input/scenario.h"
#include "sim/study/sens.h"

/* ---- run: --sampling, --antithetic, --target-ci ---- */

/* Handles one of the issue-6 flags; returns 1 if c was one (with *rc an exit code on error). */
int cli_sens_flag(const char *cmd, int c, const char *arg, cli_sens_flags *f, int *rc)
{
    *rc = 0;
    switch (c) {
    case CLI_OPT_SAMPLING:
        f->sampling = cx_sampling_find(arg);
        if (f->sampling < 0)
            *rc = cli_usage_error(cmd, "--sampling: expected mc, lhs or sobol, got '%s'", arg);
        return 1;
    case CLI_OPT_ANTITHETIC:
        f->antithetic = true;
        return 1;
    case CLI_OPT_TARGET_CI:
        f->target = arg;
        return 1;
    default:
        return 0;
    }
}

void cli_sens_setup_free(cli_sens_setup *s)
{
    cx_sampling_source_free(s->ss);
    s->ss = NULL;
}

/* Applies the flags (or the scenario's run group) to o. Returns 0 or an exit code. */
int cli_sens_setup_run(cli_sens_setup *s, const cli_sens_flags *f, const cx_scenario *sc,
                       cx_engine_opts *o)
{
    memset(s, 0, sizeof *s);
    s->sampling = f->sampling >= 0 ? (cx_sampling)f->sampling : sc->sampling;
    s->antithetic = f->antithetic || sc->antithetic;
    snprintf(s->sampling_name, sizeof s->sampling_name, "%s%s", cx_sampling_names[s->sampling],
             s->antithetic ? "+antithetic" : "");
    if (f->target) {
        char err[256];
        if (cx_target_ci_parse(&s->target, f->target, err, sizeof err) < 0)
            return cli_usage_error("run", "%s", err);
        s->has_target = true;
        o->stop = cx_target_ci_stop;
        o->cb_ctx = &s->target;
        o->stop_needs_accum = true;
    }
    if (s->sampling != CX_SAMPLING_MC || s->antithetic) {
        int rc = cx_sampling_source_new(&s->ss, &s->src, sc, s->sampling, s->antithetic,
                                        CX_BLOCK_PATHS);
        if (rc < 0) {
            fprintf(stderr, "capexsim: sampling: %s\n", cx_strerror(rc));
            return EXIT_FAILURE;
        }
        o->source = &s->src;
        /* blocks are the independent replicates of the error bars (sim/result/report.c) */
        o->n_rep_q = cx_report_replicate_levels(o->rep_q, s->has_target ? s->target.q : NAN);
    }
    return 0;
}

/* Adds "histograms" (for `capexsim plot`) and "target_ci" to the run's JSON. */
void cli_sens_add_json(const cli_sens_setup *s, json_t *doc, const cx_run *run)
{
    json_t *h = json_object();
    if (h) {
        static const int which[] = {CX_M_CAPEX_BURDEN, CX_M_REVENUE_TOTAL};
        for (size_t i = 0; i < sizeof which / sizeof *which; i++) {
            json_t *one = cx_plot_histogram_json(run->accum->metric[which[i]], 40);
            if (one) json_object_set_new(h, cx_metric_names[which[i]], one);
        }
        json_object_set_new(doc, "histograms", h);
    }
    json_object_set_new(doc, "antithetic", json_boolean(s->antithetic));
    if (s->has_target) {
        double v, lo, hi;
        bool met = cx_target_ci_met_accum(run->accum, &s->target, &v, &lo, &hi);
        json_t *t = json_pack("{s:s, s:f, s:f, s:b, s:I}", "metric",
                              cx_metric_names[s->target.metric], "q", s->target.q, "rel",
                              s->target.rel, "met", met, "paths", (json_int_t)run->paths_done);
        if (t) {
            json_object_set_new(t, "value", isfinite(v) ? json_real(v) : json_null());
            json_object_set_new(t, "ci95", json_pack("[o,o]", isfinite(lo) ? json_real(lo) : json_null(),
                                                     isfinite(hi) ? json_real(hi) : json_null()));
            json_object_set_new(doc, "target_ci", t);
        }
    }
}

/* One line on stderr saying whether --target-ci was met and after how many paths. */
void cli_sens_report_target(const cli_sens_setup *s, const cx_run *run, bool quiet)
{
    if (!s->has_target || quiet)
        return;
    double v, lo, hi;
    bool met = cx_target_ci_met_accum(run->accum, &s->target, &v, &lo, &hi);
    fprintf(stderr,
            "capexsim: --target-ci %s:%g:%g %s after %" PRIu64 " paths: Q = %.6g, 95%% CI "
            "[%.6g, %.6g] (width %.3g%% of Q)\n",
            cx_metric_names[s->target.metric], s->target.q, s->target.rel,
            met ? "met" : "NOT met", run->paths_done, v, lo, hi,
            v != 0 ? 100.0 * (hi - lo) / fabs(v) : NAN);
}

/* ---- sweep, tornado, sobol: shared flags ---- */

typedef cli_study_args study_args;

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
           "  -q, --quiet       no table on stdout%s (default: off)\n"
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
           strcmp(cmd, "sweep") ? "" : " and no progress line",
           strcmp(cmd, "sweep") ? "" : cli_ckpt_help);
}

/* Returns -1 after --help (exit 0), an exit code > 0 on error, 0 to go on. */
static int study_parse(const char *cmd, int argc, char **argv, study_args *a, bool metric,
                       const char *what, const char *paths_default)
{
    static const struct option longopts[] = {
        {"paths", required_argument, NULL, 'n'},     {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},   {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},       {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},            {"metric", required_argument, NULL, 'm'},
        {"sampling", required_argument, NULL, CLI_OPT_SAMPLING},  {"antithetic", no_argument, NULL, CLI_OPT_ANTITHETIC},
        CLI_CKPT_LONGOPTS, {NULL, 0, NULL, 0}};
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
            if (strcmp(cmd, "sweep") != 0) /* issue 12: run and sweep only */
                return cli_usage_error(cmd, "%s: only run and sweep take it", argv[optind - 1]);
            continue;
        }
        if (cli_common_flag(cmd, c, optarg, &a->co, &rc)) {
            if (rc) return rc;
            continue;
        }
        switch (c) {
        case 'm':
            if (!metric) return cli_usage_error(cmd, "unknown option '--metric'");
            if (cx_metric_find(optarg) < 0)
                return cli_usage_error(cmd, "--metric: unknown metric '%s'", optarg);
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
        (rc = cli_check_output("--csv", a->co.csv, NULL)))
        return rc;
    return 0;
}

static int write_json_doc(const char *path, json_t *doc)
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
static int study_exit(bool complete, uint64_t done, uint64_t requested, const char *what)
{
    if (complete) return 0;
    fprintf(stderr, "capexsim: interrupted: reported %" PRIu64 " of %" PRIu64 " %s\n", done,
            requested, what);
    return CLI_EXIT_INTERRUPTED;
}

/* The metric of a study: the --metric flag, else the scenario's tornado.metric or
 * sobol.metric (scenario_metric, NULL when unset), else capex_burden. */
static int study_metric(const char *flag, const char *scenario_metric)
{
    return cx_metric_find(flag ? flag : scenario_metric ? scenario_metric : "capex_burden");
}

static int nothing_done(void)
{
    fprintf(stderr, "capexsim: interrupted before any path completed\n");
    return CLI_EXIT_INTERRUPTED;
}

int cli_cmd_tornado(int argc, char **argv)
{
    study_args a;
    int rc = study_parse("tornado", argc, argv, &a, true,
                         "For every uncertain scalar input: the mean and P50 of a metric over the\n"
                         "paths where the input is in its lowest decile and in its highest, ranked\n"
                         "by swing |mean high - mean low|; all in one run.",
                         "paths (default: run.paths, else 1000000)");
    if (rc) return rc < 0 ? 0 : rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a.path, &sc, &m))) return rc;
    cx_engine_opts eo;
    cx_engine_opts_init(&eo, sc);
    cx_study_opts o = {.paths = a.co.has_paths ? a.co.paths : eo.paths,
                       .seed = a.co.has_seed ? a.co.seed : eo.seed,
                       .threads = cli_threads(a.co.threads, sc, a.co.has_paths ? a.co.paths : eo.paths,
                                              CX_SENS_BLOCK_PATHS),
                       .sampling = a.sf.sampling >= 0 ? (cx_sampling)a.sf.sampling : sc->sampling,
                       .antithetic = a.sf.antithetic || sc->antithetic,
                       .metric = study_metric(a.metric, sc->tornado_metric),
                       .interrupt = cx_mpi_size() > 1 ? &cli_signal : &cli_interrupt,
                       .comm = cx_mpi_comm(&cli_signal, &cli_interrupt)};
    char err[512] = "";
    cx_tornado_report *t = NULL;
    int exit_code = EXIT_FAILURE;
    cli_catch_sigint();
    if ((rc = cx_tornado_run(&t, sc, m, &o, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_RANGE ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    const bool root = cx_mpi_rank() == 0; /* with MPI, rank 0 alone writes */
    if (t->paths == 0) {
        exit_code = root ? nothing_done() : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!root) {
        exit_code = t->complete ? 0 : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet) {
        printf("Tornado of %s (%s): %" PRIu64 " paths%s, seed %" PRIu64 ", %s%s, %d threads, "
               "%.2f s\nmean %.6g, P50 %.6g\n\n%4s  %-44s %12s %12s %12s %12s %12s\n",
               cx_metric_names[t->metric], sc->name, t->paths,
               t->complete ? "" : " (incomplete)", t->seed,
               cx_sampling_names[t->sampling], t->antithetic ? "+antithetic" : "", t->threads,
               t->elapsed_s, t->mean, t->p50, "rank", "input", "mean low", "mean high", "swing",
               "P50 low", "P50 high");
        for (int i = 0; i < t->d; i++) {
            const cx_tornado_row *r = &t->rows[i];
            printf("%4d  %-44s %12.6g %12.6g %12.6g %12.6g %12.6g\n", i + 1,
                   sc->inputs[r->input].name, r->mean_low, r->mean_high, r->swing, r->p50_low,
                   r->p50_high);
        }
    }
    if (a.co.json && (exit_code = write_json_doc(a.co.json, cx_tornado_report_json(t, sc)))) goto done;
    if (a.co.csv && cx_tornado_report_csv(t, sc, a.co.csv) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a.co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    exit_code = study_exit(t->complete, t->paths, t->requested, "paths");
done:
    cx_tornado_report_free(t);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}

int cli_cmd_sobol(int argc, char **argv)
{
    study_args a;
    int rc = study_parse("sobol", argc, argv, &a, true,
                         "First-order (S1) and total-effect (ST) Sobol indices of every uncertain\n"
                         "scalar input for a metric: Saltelli sampling, Jansen estimators, 95% CIs\n"
                         "from batch means over blocks. Each base sample costs d + 3 paths.",
                         "base samples (default: sobol.paths, else 4096)");
    if (rc) return rc < 0 ? 0 : rc;
    if (a.sf.antithetic) return cli_usage_error("sobol", "--antithetic does not apply to Saltelli samples");
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a.path, &sc, &m))) return rc;
    cx_engine_opts eo;
    cx_engine_opts_init(&eo, sc);
    uint64_t base = a.co.has_paths ? a.co.paths : sc->sobol_paths ? sc->sobol_paths : 4096;
    cx_study_opts o = {.paths = base,
                       .seed = a.co.has_seed ? a.co.seed : eo.seed,
                       .threads = cli_threads(a.co.threads, sc, base, CX_SENS_BLOCK_PATHS),
                       .sampling = a.sf.sampling >= 0 ? (cx_sampling)a.sf.sampling : sc->sampling,
                       .metric = study_metric(a.metric, sc->sobol_metric),
                       .interrupt = cx_mpi_size() > 1 ? &cli_signal : &cli_interrupt,
                       .comm = cx_mpi_comm(&cli_signal, &cli_interrupt)};
    char err[512] = "";
    cx_sobol_report *s = NULL;
    int exit_code = EXIT_FAILURE;
    cli_catch_sigint();
    if ((rc = cx_sobol_run(&s, sc, m, &o, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_RANGE ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    const bool root = cx_mpi_rank() == 0; /* with MPI, rank 0 alone writes */
    if (s->sum.n == 0) {
        exit_code = root ? nothing_done() : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!root) {
        exit_code = s->complete ? 0 : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet) {
        printf("Sobol indices of %s (%s): %" PRIu64 " base samples%s, %" PRIu64
               " paths, seed %" PRIu64 ", %s, %d threads, %.2f s\nmean %.6g, variance %.6g; "
               "95%% CIs from %d batches\n\n%-44s %22s %22s\n",
               cx_metric_names[s->metric], sc->name, s->sum.n,
               s->complete ? "" : " (incomplete)", s->evaluations, s->seed,
               cx_sampling_names[s->sampling], s->threads, s->elapsed_s, s->sum.mean,
               s->sum.variance, s->sum.batches, "input", "S1 [95% CI]", "ST [95% CI]");
        for (int i = 0; i <= s->d; i++) {
            const cx_sobol_index *x = &s->idx[i];
            printf("%-44s %6.3f [%6.3f,%6.3f] %6.3f [%6.3f,%6.3f]\n",
                   i < s->d ? sc->inputs[s->input[i]].name : CX_SOBOL_NOISE_NAME, x->s1,
                   x->s1_lo, x->s1_hi, x->st, x->st_lo, x->st_hi);
        }
        printf("\nCorrelated inputs: an index measures the input's own independent factor "
               "(docs/sensitivity.md).\n");
    }
    if (a.co.json && (exit_code = write_json_doc(a.co.json, cx_sobol_report_json(s, sc)))) goto done;
    if (a.co.csv && cx_sobol_report_csv(s, sc, a.co.csv) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a.co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    exit_code = study_exit(s->complete, s->sum.n, s->requested, "base samples");
done:
    cx_sobol_report_free(s);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}

/* The progress line of a sweep: the engine reports each point's run; a report with all of
 * a point's paths done ends that point. */
typedef struct sweep_progress {
    int n_points, point;
} sweep_progress;

static void sweep_progress_line(void *ctx, const cx_engine_progress *p)
{
    sweep_progress *s = ctx;
    double rate = p->elapsed_s > 0 ? (double)p->paths_done / p->elapsed_s : 0;
    double left = (double)(p->paths_total - p->paths_done) +
                  (double)(s->n_points - s->point - 1) * (double)p->paths_total;
    fprintf(stderr, "\rpoint %d / %d: %" PRIu64 " / %" PRIu64 " paths  %.0f paths/s  ETA %.0f s   ",
            s->point + 1, s->n_points, p->paths_done, p->paths_total, rate,
            rate > 0 ? left / rate : 0);
    fflush(stderr);
    if (p->paths_done == p->paths_total) s->point++;
}

int cli_cmd_sweep(int argc, char **argv)
{
    study_args a;
    int rc = study_parse("sweep", argc, argv, &a, false,
                         "Runs the scenario at every point of its sweep group (one or two inputs\n"
                         "fixed at listed values) with common random numbers: the same seed and\n"
                         "block streams at every point. Reports mean, P5, P50, P95 of every metric.",
                         "paths per point (default: run.paths, else 1000000)");
    if (rc) return rc < 0 ? 0 : rc;
    return cli_sweep_exec(&a);
}

int cli_sweep_exec(const study_args *ap)
{
    const study_args a = *ap;
    /* with MPI, rank 0 alone writes (the table, files, messages); every rank runs */
    const bool root = cx_mpi_rank() == 0;
    const char *json_out = root ? a.co.json : NULL, *csv_out = root ? a.co.csv : NULL;
    int rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a.path, &sc, &m))) return rc;
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    if (a.co.has_paths) o.paths = a.co.paths;
    o.threads = cli_threads(a.co.threads, sc, o.paths, CX_BLOCK_PATHS);
    if (a.co.has_seed) o.seed = a.co.seed;
    o.interrupt = &cli_interrupt;
    o.comm = cx_mpi_comm(&cli_signal, &cli_interrupt);
    const cx_sampling sampling = a.sf.sampling >= 0 ? (cx_sampling)a.sf.sampling : sc->sampling;
    const bool antithetic = a.sf.antithetic || sc->antithetic;
    cli_ckpt ck = {0};
    if ((rc = cli_ckpt_setup(&ck, "sweep", &a.ck, a.path, sc, m, sampling, antithetic, NULL,
                             a.co.json, a.co.csv, a.co.quiet || !root, &o)) != 0) {
        cli_ckpt_free(&ck);
        cx_model_free(m);
        cx_scenario_free(sc);
        return rc;
    }
    sweep_progress sp = {sc->n_sweep >= 1 ? sc->sweep[0].n : 0, 0};
    if (sc->n_sweep > 1) sp.n_points *= sc->sweep[1].n;
    if (isatty(STDERR_FILENO) && !a.co.quiet && root) {
        o.progress = sweep_progress_line;
        o.cb_ctx = &sp;
    }
    char err[512] = "";
    cx_sweep_report *r = NULL;
    int exit_code = EXIT_FAILURE;
    cli_catch_sigint();
    if ((rc = cx_sweep_run(&r, sc, &o, sampling, antithetic, err, sizeof err)) < 0) {
        if (o.progress) fputs("\r\033[K", stderr);
        const char *why = ck.ck ? cx_ckpt_error(ck.ck) : "";
        if (root || why[0] || err[0])
            fprintf(stderr, "capexsim: %s\n", why[0] ? why : err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_CONFIG ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    if (o.progress) fputs("\r\033[K", stderr);
    if (r->n_points == 0) {
        exit_code = root ? nothing_done() : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet && root) {
        printf("Sweep of %s: %d points x %" PRIu64 " paths, seed %" PRIu64 ", %.2f s%s\n\n",
               sc->name, r->n_points, r->paths, r->seed, r->elapsed_s,
               r->complete ? "" : " (incomplete: interrupted)");
        for (int k = 0; k < r->n_axes; k++) printf("%-28s ", r->axis[k].name);
        printf("%12s %12s %12s %12s %14s\n", "burden mean", "burden P5", "burden P50",
               "burden P95", "revenue mean");
        for (int i = 0; i < r->n_points; i++) {
            const cx_report *p = r->pt[i].report;
            for (int k = 0; k < r->n_axes; k++) printf("%-28.6g ", r->pt[i].value[k]);
            const cx_metric_stats *b = &p->metric[CX_M_CAPEX_BURDEN];
            printf("%12.6g %12.6g %12.6g %12.6g %14.6g", b->mean, b->pct[1], b->pct[4],
                   b->pct[7], p->metric[CX_M_REVENUE_TOTAL].mean);
            if (!r->pt[i].complete) printf("  (partial: %" PRIu64 " paths)", p->paths);
            putchar('\n');
        }
    }
    if (json_out && (exit_code = write_json_doc(json_out, cx_sweep_report_json(r, sc)))) goto done;
    if (csv_out && cx_sweep_report_csv(r, csv_out) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a.co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    if (!r->complete) {
        int full = 0;
        for (int i = 0; i < r->n_points; i++) full += r->pt[i].complete;
        if (root)
            fprintf(stderr, "capexsim: interrupted: reported %d finished point%s%s\n", full,
                    full == 1 ? "" : "s",
                    full < r->n_points ? ", then the partial point" : "");
        exit_code = CLI_EXIT_INTERRUPTED;
    } else {
        exit_code = 0;
    }
done:
    cx_sweep_report_free(r);
    cli_ckpt_free(&ck);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}

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
                   "Writes PNG and SVG plots of a result of run, tornado, sobol or sweep\n"
                   "(run --json ..., and so on) with gnuplot (Debian package gnuplot-nox).\n\n"
                   "  -o, --out DIR     directory for the plots (default: plots)\n"
                   "  -h, --help        this help\n\n"
                   "A run gives burden_hist, revenue_hist, fan_idle_gw and fan_burden; a tornado\n"
                   "gives tornado; Sobol indices give sobol; a sweep gives sweep_capex_burden and\n"
                   "sweep_revenue_total. The result is read as untrusted input: its strings\n"
                   "become labels only, and its size is bounded (docs/limits.md).\n"
                   "Exit codes: 0 ok, 1 runtime failure, 2 usage error or a file that is not a\n"
                   "capexsim result, 130 interrupted.\n");
            return 0;
        case ':': return cli_usage_error("plot", "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error("plot", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) return cli_usage_error("plot", "expected one RESULT.json");
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
