/* SPDX-License-Identifier: MIT */
/* The CLI's issue-14 parts: run's --export-paths, and the batch and stress subcommands. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/study/batch.h"
#include "sim/cli/cli.h"
#include "sim/engine/engine.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/result/export.h"
#include "sim/result/output.h"
#include "sim/result/report.h"
#include "sim/input/scenario.h"
#include "sim/study/stress.h"

/* ---- run: --export-paths, --export-max ---- */

/* Rows of one round kept in memory at most (about; at least CX_STOP_ROUND_MIN blocks). */
#define EXPORT_ROUND_BYTES ((size_t)64 << 20)

int cli_export_flag(const char *cmd, int c, const char *arg, cli_export_flags *f, int *rc)
{
    *rc = 0;
    switch (c) {
    case CLI_OPT_EXPORT_PATHS:
        if (!arg[0])
            *rc = cli_usage_error(cmd, "--export-paths: expected a file name");
        f->path = arg;
        return 1;
    case CLI_OPT_EXPORT_MAX:
        if (cli_parse_u64(cmd, "--export-max", arg, 1, UINT64_MAX, "a positive integer",
                          &f->max) < 0)
            *rc = CLI_EXIT_USAGE;
        f->has_max = true;
        return 1;
    default:
        return 0;
    }
}

int cli_export_setup(cx_export **e, const cli_export_flags *f, const cx_scenario *sc,
                     cx_engine_opts *o)
{
    *e = NULL;
    if (!f->path)
        return 0;
    if (o->observer) {
        fprintf(stderr, "capexsim: --export-paths: the run already has an observer\n");
        return EXIT_FAILURE;
    }
    int rc = cx_export_new(e, sc, f->path, f->has_max ? f->max : UINT64_MAX);
    if (rc < 0) {
        fprintf(stderr, "capexsim: --export-paths: %s: %s\n", f->path,
                rc == CX_ERR_IO ? strerror(errno) : cx_strerror(rc));
        return rc == CX_ERR_IO ? CLI_EXIT_USAGE : EXIT_FAILURE;
    }
    o->observer = cx_export_observer(*e);
    /* a stop predicate keeps the engine's own round schedule (it decides where a run stops) */
    if (!o->stop && !o->round_blocks)
        o->round_blocks = cx_export_round_blocks(*e, EXPORT_ROUND_BYTES);
    return 0;
}

int cli_export_finish(cx_export *e, const cli_export_flags *f)
{
    if (cx_export_finish(e) < 0) {
        fprintf(stderr, "capexsim: --export-paths: %s: %s\n", f->path, strerror(errno));
        return EXIT_FAILURE;
    }
    return 0;
}

/* ---- batch and stress: shared parts ---- */

/* One run of a batch or stress study: its scenario, and what the run left. */
typedef struct study_run {
    const char *label;          /* column heading: scenario name, "baseline", "stressed" */
    cx_scenario *sc;            /* borrowed */
    cx_model *m;                /* borrowed */
    cx_run *run;
    cx_report *rep;
    cx_sections *sec;
    json_t *doc;                /* the run's report, as `run --json` writes it */
    bool same_inputs;           /* paired with the first run (common random numbers) */
} study_run;

typedef struct study_flags {
    const char **paths_in;      /* scenario files (batch) */
    int n_in;
    cli_common co;
    cli_sens_flags sf;
    const char **inputs;        /* stress: --input texts */
    int n_inputs;
    const char *case_name;      /* stress: --case */
} study_flags;

static void study_run_clear(study_run *r)
{
    json_decref(r->doc);
    cx_report_free(r->rep);
    cx_run_free(r->run);
    cx_sections_free(r->sec);
    r->doc = NULL;
    r->rep = NULL;
    r->run = NULL;
    r->sec = NULL;
}

/*
 * Runs r->sc with the common opts o (paths, seed, threads) and the input source src (NULL:
 * the scenario's sampling, as `run` does), with a sections observer for the paired
 * differences. Fills r->run, r->rep, r->doc. @return 0, CLI_EXIT_INTERRUPTED when Ctrl-C
 * stopped it (what ran is reported), or an exit code after a message.
 */
static int study_run_one(study_run *r, const cx_engine_opts *common, const cli_sens_flags *sf,
                         const cx_input_source *src, const char *sampling_name,
                         const double *thr, int n_thr)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, r->sc);
    o.paths = common->paths;
    o.seed = common->seed;
    o.threads = common->threads;
    o.interrupt = &cli_interrupt;
    cli_sens_setup setup;
    int rc = cli_sens_setup_run(&setup, sf, r->sc, &o);
    if (rc) {
        cli_sens_setup_free(&setup);
        return rc;
    }
    if (src) {
        o.source = src;
        setup.antithetic = false;
        snprintf(setup.sampling_name, sizeof setup.sampling_name, "%s", sampling_name);
    }
    int exit_code = EXIT_FAILURE;
    if ((rc = cx_sections_new(&r->sec, o.paths, thr, n_thr, r->sc->relative_error)) < 0) {
        fprintf(stderr, "capexsim: %s\n", cx_strerror(rc));
        goto done;
    }
    o.observer = cx_sections_observer(r->sec);
    if ((rc = cx_engine_run(&r->run, r->sc, r->m, &o)) < 0) {
        fprintf(stderr, "capexsim: %s: run failed: %s\n", r->label, cx_strerror(rc));
        goto done;
    }
    if (r->run->paths_done == 0) {
        exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if ((rc = cx_report_new(&r->rep, r->run->accum)) < 0) {
        fprintf(stderr, "capexsim: report: %s\n", cx_strerror(rc));
        goto done;
    }
    cx_run_info info = {r->sc->name,          r->sc->sha256, setup.sampling_name,
                        o.seed,               r->run->paths_done, o.paths,
                        r->run->threads,      r->run->elapsed_s, r->run->complete,
                        CX_BLOCK_PATHS};
    if (!(r->doc = cx_output_json(r->rep, &info))) {
        fprintf(stderr, "capexsim: out of memory building the JSON report\n");
        goto done;
    }
    cli_sens_add_json(&setup, r->doc, r->run);
    exit_code = r->run->interrupted ? CLI_EXIT_INTERRUPTED : 0;
done:
    cli_sens_setup_free(&setup);
    return exit_code;
}

/* Values of statistic h for a table cell: P(burden > x) as a probability, the rest in $B. */
static void print_stat_name(int h, const double *thr)
{
    static const char *const label[CX_N_HEADLINE] = {
        "burden mean ($B)", "burden P5",   "burden P50", "burden P95",
        "burden CVaR95",    "revenue mean ($B)", "revenue P50"};
    if (h < CX_N_HEADLINE)
        printf("%-22s", label[h]);
    else {
        char b[64];
        snprintf(b, sizeof b, "P(burden > %g)", thr[h - CX_N_HEADLINE]);
        printf("%-22s", b);
    }
}

static int n_stats(int n_thr)
{
    return CX_N_HEADLINE + n_thr;
}

/* The side-by-side table and the paired differences against the first run. */
static void print_table(const study_run *r, int n, const double *thr, int n_thr)
{
    int w = 14, wd = 34;
    for (int i = 0; i < n; i++) {
        int l = (int)strlen(r[i].label);
        if (l > w) w = l;
        if (l > wd) wd = l;
    }
    printf("%-22s", "statistic");
    for (int i = 0; i < n; i++)
        printf("  %*s", w, r[i].label);
    putchar('\n');
    for (int h = 0; h < n_stats(n_thr); h++) {
        print_stat_name(h, thr);
        for (int i = 0; i < n; i++)
            printf("  %*.6g", w, cx_sections_full(r[i].sec, r[i].rep, h));
        putchar('\n');
    }
    bool any = false;
    for (int i = 1; i < n; i++)
        any |= r[i].same_inputs && r[i].run->complete && r[0].run->complete;
    if (!any) {
        if (n > 1)
            printf("\nNo paired differences: no complete run shares %s's uncertain inputs.\n",
                   r[0].label);
        return;
    }
    printf("\nPaired differences vs %s (common random numbers; 95%% CI by sectioning over %d "
           "sections of blocks):\n%-22s",
           r[0].label, cx_sections_k(r[0].sec), "statistic");
    for (int i = 1; i < n; i++)
        if (r[i].same_inputs)
            printf("  %*s", wd, r[i].label);
    putchar('\n');
    for (int h = 0; h < n_stats(n_thr); h++) {
        print_stat_name(h, thr);
        for (int i = 1; i < n; i++) {
            if (!r[i].same_inputs)
                continue;
            cx_paired_diff d;
            char cell[96];
            if (!r[i].run->complete || !r[0].run->complete ||
                cx_paired_diff_of(&d, r[i].sec, r[i].rep, r[0].sec, r[0].rep, h) < 0)
                snprintf(cell, sizeof cell, "-");
            else if (isfinite(d.lo))
                snprintf(cell, sizeof cell, "%+.4g [%+.4g, %+.4g]", d.diff, d.lo, d.hi);
            else
                snprintf(cell, sizeof cell, "%+.4g", d.diff);
            printf("  %*s", wd, cell);
        }
        putchar('\n');
    }
    for (int i = 1; i < n; i++)
        if (!r[i].same_inputs)
            printf("(%s: different uncertain inputs, not paired)\n", r[i].label);
}

static json_t *jnum_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* {"burden_mean": {"diff", "se", "ci95": [lo, hi]}, ..., "exceed_10": {...}} of r - base. */
static json_t *diffs_json(const study_run *r, const study_run *base, const double *thr,
                          int n_thr)
{
    json_t *o = json_object();
    for (int h = 0; o && h < n_stats(n_thr); h++) {
        cx_paired_diff d;
        if (cx_paired_diff_of(&d, r->sec, r->rep, base->sec, base->rep, h) < 0)
            continue;
        char key[64];
        if (h < CX_N_HEADLINE)
            snprintf(key, sizeof key, "%s", cx_headline_names[h]);
        else
            snprintf(key, sizeof key, "exceed_%g", thr[h - CX_N_HEADLINE]);
        json_object_set_new(o, key,
                            json_pack("{s:o, s:o, s:[o,o]}", "diff", jnum_or_null(d.diff), "se",
                                      jnum_or_null(d.se), "ci95", jnum_or_null(d.lo),
                                      jnum_or_null(d.hi)));
    }
    return o;
}

/* The paired block of r against base, or null when they are not paired or not complete. */
static json_t *paired_json(const study_run *r, const study_run *base, const double *thr,
                           int n_thr)
{
    if (!r->same_inputs || !r->run->complete || !base->run->complete)
        return json_null();
    return json_pack("{s:s, s:s, s:i, s:s, s:o}", "scenario", r->label, "versus", base->label,
                     "sections", cx_sections_k(base->sec), "method",
                     "sectioning: t interval from the differences of sections of blocks",
                     "diffs", diffs_json(r, base, thr, n_thr));
}

static json_t *headline_json(const study_run *r, const double *thr, int n_thr)
{
    json_t *o = json_object();
    for (int h = 0; o && h < n_stats(n_thr); h++) {
        char key[64];
        if (h < CX_N_HEADLINE)
            snprintf(key, sizeof key, "%s", cx_headline_names[h]);
        else
            snprintf(key, sizeof key, "exceed_%g", thr[h - CX_N_HEADLINE]);
        json_object_set_new(o, key, jnum_or_null(cx_sections_full(r->sec, r->rep, h)));
    }
    return o;
}

/* CSV: one row per run; headline statistics, then the paired difference and its CI. */
typedef struct csv_ctx {
    const study_run *r;
    int n;
    const double *thr;
    int n_thr;
} csv_ctx;

static int csv_writer(FILE *f, const void *vctx)
{
    const csv_ctx *c = vctx;
    fputs("run,scenario,paths,seed", f);
    for (int h = 0; h < n_stats(c->n_thr); h++) {
        char key[64];
        if (h < CX_N_HEADLINE)
            snprintf(key, sizeof key, "%s", cx_headline_names[h]);
        else
            snprintf(key, sizeof key, "exceed_%g", c->thr[h - CX_N_HEADLINE]);
        fprintf(f, ",%s", key);
    }
    for (int h = 0; h < n_stats(c->n_thr); h++) {
        char key[64];
        if (h < CX_N_HEADLINE)
            snprintf(key, sizeof key, "%s", cx_headline_names[h]);
        else
            snprintf(key, sizeof key, "exceed_%g", c->thr[h - CX_N_HEADLINE]);
        fprintf(f, ",diff_%s,diff_%s_lo,diff_%s_hi", key, key, key);
    }
    fputs(",complete\n", f);
    for (int i = 0; i < c->n; i++) {
        const study_run *r = &c->r[i];
        /* labels and names come from config files: quote them */
        fprintf(f, "\"%s\",\"%s\",%llu,%llu", r->label, r->sc->name,
                (unsigned long long)r->run->paths_done,
                (unsigned long long)json_integer_value(json_object_get(r->doc, "seed")));
        for (int h = 0; h < n_stats(c->n_thr); h++)
            fprintf(f, ",%.17g", cx_sections_full(r->sec, r->rep, h));
        bool paired = i > 0 && r->same_inputs && r->run->complete && c->r[0].run->complete;
        for (int h = 0; h < n_stats(c->n_thr); h++) {
            cx_paired_diff d;
            if (paired && cx_paired_diff_of(&d, r->sec, r->rep, c->r[0].sec, c->r[0].rep, h) == 0)
                fprintf(f, ",%.17g,%.17g,%.17g", d.diff, d.lo, d.hi);
            else
                fputs(",,,", f);
        }
        fprintf(f, ",%s\n", r->run->complete ? "true" : "false");
    }
    return ferror(f) ? CX_ERR_IO : 0;
}

static int write_outputs(const study_flags *a, json_t *doc, const study_run *r, int n,
                         const double *thr, int n_thr)
{
    int rc = 0;
    if (a->co.json) {
        if (!doc) {
            fprintf(stderr, "capexsim: out of memory building the JSON result\n");
            rc = EXIT_FAILURE;
        } else if (cx_output_write_json(a->co.json, doc) < 0) {
            fprintf(stderr, "capexsim: %s: %s\n", a->co.json, strerror(errno));
            rc = EXIT_FAILURE;
        }
    }
    if (!rc && a->co.csv) {
        csv_ctx c = {r, n, thr, n_thr};
        if (cx_file_write_atomic(a->co.csv, csv_writer, &c) < 0) {
            fprintf(stderr, "capexsim: %s: %s\n", a->co.csv, strerror(errno));
            rc = EXIT_FAILURE;
        }
    }
    return rc;
}

/* Flags of batch and stress. Returns -1 after --help, an exit code > 0, or 0. */
static int study_flags_parse(const char *cmd, int argc, char **argv, study_flags *a,
                             void (*help)(void))
{
    static const struct option longopts[] = {
        {"paths", required_argument, NULL, 'n'},   {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {"input", required_argument, NULL, 'i'},
        {"case", required_argument, NULL, 'k'},
        {"sampling", required_argument, NULL, CLI_OPT_SAMPLING},
        {"antithetic", no_argument, NULL, CLI_OPT_ANTITHETIC},
        {NULL, 0, NULL, 0}};
    const bool stress = strcmp(cmd, "stress") == 0;
    int c, rc;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:s:t:j:c:qhi:k:", longopts, NULL)) != -1) {
        if (!stress && cli_sens_flag(cmd, c, optarg, &a->sf, &rc)) {
            if (rc) return rc;
            continue;
        }
        if (cli_common_flag(cmd, c, optarg, &a->co, &rc)) {
            if (rc) return rc;
            continue;
        }
        switch (c) {
        case 'i':
            if (!stress) return cli_usage_error(cmd, "unknown option '--input'");
            a->inputs[a->n_inputs++] = optarg;
            break;
        case 'k':
            if (!stress) return cli_usage_error(cmd, "unknown option '--case'");
            a->case_name = optarg;
            break;
        case 'h': help(); return -1;
        case ':': return cli_usage_error(cmd, "%s: missing argument", argv[optind - 1]);
        default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    a->paths_in = (const char **)argv + optind;
    a->n_in = argc - optind;
    return 0;
}

/* Paths, seed and threads common to every run of a study: the flags, else sc's. */
static void common_opts(cx_engine_opts *o, const study_flags *a, const cx_scenario *sc)
{
    cx_engine_opts_init(o, sc);
    if (a->co.has_paths) o->paths = a->co.paths;
    if (a->co.has_seed) o->seed = a->co.seed;
    o->threads = cli_threads(a->co.threads, sc, o->paths, CX_BLOCK_PATHS);
}

static int study_exit_code(const study_run *r, int n, int rc)
{
    if (rc == CLI_EXIT_INTERRUPTED) {
        int done = 0;
        for (int i = 0; i < n; i++)
            done += r[i].run && r[i].run->complete;
        fprintf(stderr, "capexsim: interrupted: %d of the runs complete%s\n", done,
                done < n ? "; the rest not reported or partial (\"complete\": false)" : "");
    }
    return rc;
}

/* ---- batch ---- */

static void batch_help(void)
{
    printf("Usage: capexsim batch SCENARIO... [options]\n"
           "Runs each scenario with the same seed and paths (common random numbers: block b\n"
           "draws from the stream (seed, b) in every run) and prints them side by side:\n"
           "burden mean, P5, P50, P95, CVaR95, revenue mean and P50, P(burden > x) for the\n"
           "first scenario's report.thresholds. Runs that share the first scenario's uncertain\n"
           "inputs also get the paired difference of each statistic with its 95%% CI.\n\n"
           "  -n, --paths N     paths per run (default: the first scenario's run.paths, else %llu)\n"
           "  -s, --seed S      seed of every run (default: the first scenario's run.seed, else %llu)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -j, --json FILE   write {\"study\": \"batch\", \"runs\": [...], \"paired\": [...]} to FILE\n"
           "                    (each run as `capexsim run SCENARIO --paths N --seed S --json`\n"
           "                    writes it) (default: none)\n"
           "  -c, --csv FILE    one row per run: statistics and paired differences (default: none)\n"
           "      --sampling M  mc, lhs or sobol (default: each scenario's run.sampling, else mc)\n"
           "      --antithetic  antithetic pairs of scalar inputs (default: run.antithetic, else off)\n"
           "  -q, --quiet       no table on stdout (default: off)\n"
           "  -h, --help        this help\n\n"
           "`capexsim plot` on the JSON overlays the burden CDFs. See docs/analyst.md.\n"
           "Ctrl-C stops at the next block; the runs done are written (\"complete\": false on a\n"
           "partial one), exit code 130.\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted.\n",
           (unsigned long long)CX_DEFAULT_PATHS, (unsigned long long)CX_DEFAULT_SEED,
           cli_default_threads());
}

int cli_cmd_batch(int argc, char **argv)
{
    study_flags a = {.sf = {.sampling = -1}};
    const char *none[1] = {NULL};
    a.inputs = none;
    int rc = study_flags_parse("batch", argc, argv, &a, batch_help);
    if (rc) return rc < 0 ? 0 : rc;
    if (a.n_in < 1) return cli_usage_error("batch", "expected one or more SCENARIO files");
    study_run *r = calloc((size_t)a.n_in, sizeof *r);
    if (!r) {
        fprintf(stderr, "capexsim: out of memory\n");
        return EXIT_FAILURE;
    }
    int exit_code = EXIT_FAILURE, n_done = 0;
    json_t *doc = NULL;
    /* every scenario is loaded and checked before any path runs */
    for (int i = 0; i < a.n_in; i++) {
        if ((rc = cli_load(a.paths_in[i], &r[i].sc, &r[i].m))) {
            exit_code = rc;
            goto done;
        }
        r[i].label = r[i].sc->name;
        r[i].same_inputs = i == 0 || cx_batch_same_inputs(r[0].sc, r[i].sc);
    }
    cx_engine_opts common;
    common_opts(&common, &a, r[0].sc);
    const double *thr = r[0].sc->thresholds;
    const int n_thr = r[0].sc->n_thresholds;
    cli_catch_sigint();
    rc = 0;
    for (int i = 0; i < a.n_in && !rc; i++) {
        if (!a.co.quiet && isatty(STDERR_FILENO))
            fprintf(stderr, "\rrun %d / %d: %s ...\033[K", i + 1, a.n_in, r[i].label);
        rc = study_run_one(&r[i], &common, &a.sf, NULL, NULL, thr, n_thr);
        if (r[i].doc) n_done = i + 1;
        if (rc && rc != CLI_EXIT_INTERRUPTED) {
            exit_code = rc;
            goto done;
        }
    }
    if (!a.co.quiet && isatty(STDERR_FILENO)) fputs("\r\033[K", stderr);
    if (n_done == 0) {
        fprintf(stderr, "capexsim: interrupted before any path completed\n");
        exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet) {
        double el = 0;
        for (int i = 0; i < n_done; i++) el += r[i].run->elapsed_s;
        printf("Batch: %d scenario%s x %" PRIu64 " paths, seed %" PRIu64 ", %d threads, %.2f s%s\n\n",
               n_done, n_done == 1 ? "" : "s", common.paths, common.seed, common.threads, el,
               rc ? " (incomplete: interrupted)" : "");
        print_table(r, n_done, thr, n_thr);
    }
    if (a.co.json || a.co.csv) {
        doc = json_pack("{s:s, s:I, s:I, s:i, s:s, s:b, s:i}", "study", "batch", "seed",
                        (json_int_t)common.seed, "paths", (json_int_t)common.paths, "threads",
                        common.threads, "version", CX_VERSION, "complete", !rc, "block_paths",
                        CX_BLOCK_PATHS);
        json_t *thr_j = json_array(), *runs = json_array(), *paired = json_array(),
               *table = json_array();
        for (int j = 0; j < n_thr; j++) json_array_append_new(thr_j, json_real(thr[j]));
        for (int i = 0; i < n_done; i++) {
            json_array_append(runs, r[i].doc);
            json_array_append_new(table, json_pack("{s:s, s:o}", "scenario", r[i].label,
                                                   "stats", headline_json(&r[i], thr, n_thr)));
            if (i > 0) json_array_append_new(paired, paired_json(&r[i], &r[0], thr, n_thr));
        }
        if (doc) {
            json_object_set_new(doc, "thresholds", thr_j);
            json_object_set_new(doc, "table", table);
            json_object_set_new(doc, "paired", paired);
            json_object_set_new(doc, "runs", runs);
        }
        if ((exit_code = write_outputs(&a, doc, r, n_done, thr, n_thr))) goto done;
    }
    exit_code = study_exit_code(r, a.n_in, rc);
done:
    json_decref(doc);
    for (int i = 0; i < a.n_in; i++) {
        study_run_clear(&r[i]);
        cx_model_free(r[i].m);
        cx_scenario_free(r[i].sc);
    }
    free(r);
    return exit_code;
}

/* ---- stress ---- */

static void stress_help(void)
{
    printf("Usage: capexsim stress SCENARIO [--input NAME:LO:HI]... [--case NAME] [options]\n"
           "Holds each named uncertain input to the slice [LO, HI] of its own distribution\n"
           "(percentiles as fractions: msl.p_success:0.9:1 is its top decile; the input's\n"
           "uniform is mapped onto [LO, HI] before its inverse CDF, so rank correlations hold)\n"
           "and runs it against the unstressed baseline with common random numbers.\n"
           "Without --input, runs the case --case NAME (default: the first) of the scenario's\n"
           "stress group: stress = { cases = ( { name = \"...\"; inputs = ( { name = \"...\";\n"
           "lo = 0.9; hi = 1.0; } ); } ); };\n\n"
           "  -i, --input NAME:LO:HI  stress input NAME (repeatable; 0 <= LO < HI <= 1)\n"
           "  -k, --case NAME   a case of the scenario's stress group (default: the first)\n"
           "  -n, --paths N     paths per run (default: run.paths, else %llu)\n"
           "  -s, --seed S      seed of both runs (default: run.seed, else %llu)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -j, --json FILE   write {\"study\": \"stress\", \"baseline\": ..., \"stressed\": ...}\n"
           "                    (run reports) and the paired differences to FILE (default: none)\n"
           "  -c, --csv FILE    two rows: baseline and stressed, with the differences (default: none)\n"
           "  -q, --quiet       no table on stdout (default: off)\n"
           "  -h, --help        this help\n\n"
           "Both runs draw scalar inputs by plain Monte Carlo (the scenario's run.sampling does\n"
           "not apply). `capexsim plot` on the JSON overlays the two burden CDFs.\n"
           "See docs/analyst.md. Exit codes: 0 ok, 1 runtime failure, 2 usage or config\n"
           "error (unknown input, fixed input, bad slice), 130 interrupted.\n",
           (unsigned long long)CX_DEFAULT_PATHS, (unsigned long long)CX_DEFAULT_SEED,
           cli_default_threads());
}

/* The case to run: from --input flags, else the scenario's stress group. */
static int stress_case(cx_stress_case *out, const study_flags *a, const cx_scenario *sc)
{
    char err[1024] = "";
    int rc;
    if (a->n_inputs > 0) {
        if (a->case_name)
            return cli_usage_error("stress", "--case and --input do not go together");
        if (!(out->name = strdup("inputs"))) return EXIT_FAILURE;
        for (int k = 0; k < a->n_inputs; k++)
            if ((rc = cx_stress_case_add_text(out, sc, a->inputs[k], err, sizeof err)) < 0) {
                if (rc == CX_ERR_NOMEM) return EXIT_FAILURE;
                fprintf(stderr, "capexsim: --input: %s\n", err);
                return CLI_EXIT_USAGE;
            }
        return 0;
    }
    cx_stress_case *cases = NULL;
    int n = 0;
    if ((rc = cx_stress_cases_load(&cases, &n, sc, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    int pick = -1;
    for (int i = 0; i < n && pick < 0; i++)
        if (!a->case_name || strcmp(cases[i].name, a->case_name) == 0) pick = i;
    if (pick < 0) {
        char names[512] = "";
        for (int i = 0; i < n; i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, cases[i].name, sizeof names - strlen(names) - 1);
        }
        if (a->case_name)
            rc = cli_usage_error("stress", "--case: no case '%s' in %s (cases: %s)",
                                 a->case_name, sc->path, n ? names : "none");
        else
            rc = cli_usage_error("stress", "no --input and no stress group in %s", sc->path);
        cx_stress_cases_free(cases, n);
        return rc;
    }
    *out = cases[pick];
    memset(&cases[pick], 0, sizeof cases[pick]);
    cx_stress_cases_free(cases, n);
    return 0;
}

int cli_cmd_stress(int argc, char **argv)
{
    study_flags a = {.sf = {.sampling = CX_SAMPLING_MC}};
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    if (!inputs) return EXIT_FAILURE;
    a.inputs = inputs;
    int rc = study_flags_parse("stress", argc, argv, &a, stress_help);
    if (rc) {
        free(inputs);
        return rc < 0 ? 0 : rc;
    }
    if (a.n_in != 1) {
        free(inputs);
        return cli_usage_error("stress", "expected one SCENARIO file");
    }
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    cx_stress_case cs = {0};
    cx_stress_source src_ctx[2] = {{0}};
    cx_input_source src[2];
    study_run r[2] = {{.label = "baseline"}, {.label = "stressed"}};
    json_t *doc = NULL;
    int exit_code;
    if ((exit_code = cli_load(a.paths_in[0], &sc, &m))) goto done;
    if ((exit_code = stress_case(&cs, &a, sc))) goto done;
    exit_code = EXIT_FAILURE;
    for (int i = 0; i < 2; i++) {
        if (cx_stress_source_init(&src[i], &src_ctx[i], sc, &cs, i == 1) < 0) goto done;
        r[i].sc = sc;
        r[i].m = m;
        r[i].same_inputs = true;
    }
    cx_engine_opts common;
    common_opts(&common, &a, sc);
    const double *thr = sc->thresholds;
    const int n_thr = sc->n_thresholds;
    cli_catch_sigint();
    int n_done = 0;
    rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        rc = study_run_one(&r[i], &common, &a.sf, &src[i], i ? "mc+stress" : "mc", thr, n_thr);
        if (r[i].doc) n_done = i + 1;
        if (rc && rc != CLI_EXIT_INTERRUPTED) {
            exit_code = rc;
            goto done;
        }
    }
    if (n_done == 0) {
        fprintf(stderr, "capexsim: interrupted before any path completed\n");
        exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet) {
        printf("Stress of %s, case %s: %" PRIu64 " paths, seed %" PRIu64 ", %d threads%s\n",
               sc->name, cs.name, common.paths, common.seed, common.threads,
               rc ? " (incomplete: interrupted)" : "");
        for (int k = 0; k < cs.n; k++)
            printf("  %s held to percentiles [%g, %g]\n", sc->inputs[cs.in[k].input].name,
                   cs.in[k].lo, cs.in[k].hi);
        putchar('\n');
        print_table(r, n_done, thr, n_thr);
    }
    if (a.co.json || a.co.csv) {
        json_t *ins = json_array();
        for (int k = 0; k < cs.n; k++)
            json_array_append_new(ins, json_pack("{s:s, s:f, s:f}", "name",
                                                 sc->inputs[cs.in[k].input].name, "lo",
                                                 cs.in[k].lo, "hi", cs.in[k].hi));
        doc = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:i, s:s, s:b}", "study", "stress",
                        "scenario", sc->name, "case", cs.name, "inputs", ins, "seed",
                        (json_int_t)common.seed, "paths", (json_int_t)common.paths, "threads",
                        common.threads, "version", CX_VERSION, "complete", !rc);
        if (doc) {
            json_t *thr_j = json_array();
            for (int j = 0; j < n_thr; j++) json_array_append_new(thr_j, json_real(thr[j]));
            json_object_set_new(doc, "thresholds", thr_j);
            json_object_set(doc, "baseline", r[0].doc);
            json_object_set(doc, "stressed", n_done > 1 ? r[1].doc : json_null());
            json_object_set_new(doc, "paired", n_done > 1 ? paired_json(&r[1], &r[0], thr, n_thr)
                                                          : json_null());
        }
        if ((exit_code = write_outputs(&a, doc, r, n_done, thr, n_thr))) goto done;
    }
    exit_code = study_exit_code(r, 2, rc);
done:
    json_decref(doc);
    for (int i = 0; i < 2; i++) {
        study_run_clear(&r[i]);
        cx_stress_source_clear(&src_ctx[i]);
    }
    cx_stress_case_clear(&cs);
    cx_model_free(m);
    cx_scenario_free(sc);
    free(inputs);
    return exit_code;
}
