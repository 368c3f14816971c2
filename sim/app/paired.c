/* SPDX-License-Identifier: MIT */
/* What batch and stress share: each run with a sections observer, the side-by-side table with
 * paired differences (common random numbers, 95% CIs by sectioning), their JSON and CSV, and
 * their flags. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/app/clash.h"
#include "sim/app/interrupt.h"
#include "sim/app/paired.h"
#include "sim/base/csv.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/engine/checkpoint.h"
#include "sim/result/output.h"

void cli_pair_run_clear(cli_pair_run *r)
{
    json_decref(r->doc);
    free(r->full);
    free(r->diff);
    free(r->has_diff);
    r->full = NULL;
    r->diff = NULL;
    r->has_diff = NULL;
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
int cli_pair_run_one(cli_pair_run *r, const cx_engine_opts *common, const cli_sens_flags *sf,
                         const cx_input_source *src, const char *sampling_name,
                         const double *thr, int n_thr)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, r->sc);
    o.paths = common->paths;
    o.seed = common->seed;
    o.threads = common->threads;
    o.ckpt = common->ckpt;  /* stress --checkpoint (issue 23); its runs in order */
    o.round_blocks = common->round_blocks;
    o.interrupt = &cli_interrupt;
    o.breakdown = true; /* each run's JSON is what `run --json` writes (issue 20 item 3) */
    cli_sens_setup setup;
    int rc = cli_sens_setup_run(&setup, sf, r->sc, &o);
    if (rc) {
        cli_sens_setup_free(&setup);
        return rc;
    }
    /* the caller's hooks between rounds: progress, and a stop predicate (stress runs its two
     * runs in turns and stops both at the same round after Ctrl-C, in place of the engine's
     * stop at the next block: sim/cli/stress.c) */
    o.progress = common->progress;
    o.progress_ctx = common->progress_ctx;
    if (common->stop) {
        o.stop = common->stop;
        o.cb_ctx = common->cb_ctx;
        o.interrupt = NULL;
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
        const char *why = o.ckpt ? cx_ckpt_error(o.ckpt->ctx) : "";
        if (why[0])
            fprintf(stderr, "capexsim: %s\n", why);
        else if (rc == CX_ERR_CONFIG && o.ckpt) /* the engine refused the observer's state */
            fprintf(stderr, "capexsim: %s: damaged checkpoint (%s run, observer state: not as "
                    "written)\n", cx_ckpt_path(o.ckpt->ctx), r->label);
        else
            fprintf(stderr, "capexsim: %s: run failed: %s\n", r->label, cx_strerror(rc));
        if (rc == CX_ERR_CONFIG) exit_code = CLI_EXIT_USAGE;
        goto done;
    }
    r->paths_done = r->run->paths_done;
    r->paths_requested = o.paths;
    r->seed = o.seed;
    r->complete = r->run->complete;
    r->elapsed_s = r->run->elapsed_s;
    if (r->run->paths_done == 0) {
        exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if ((rc = cx_report_new(&r->rep, r->run->accum)) < 0) {
        fprintf(stderr, "capexsim: report: %s\n", cx_strerror(rc));
        goto done;
    }
    cx_report_set_scenario(r->rep, r->sc);
    cx_run_info info = {r->sc->name,          r->sc->sha256, setup.sampling_name,
                        o.seed,               r->run->paths_done, o.paths,
                        r->run->threads,      r->run->elapsed_s, r->run->complete,
                        CX_BLOCK_PATHS};
    if (!(r->doc = cx_output_json(r->rep, &info))) {
        fprintf(stderr, "capexsim: out of memory building the JSON report\n");
        goto done;
    }
    cli_sens_add_json(&setup, r->doc, r->run);
    if (cli_sens_add_provenance(&setup, r->doc, r->sc, &o) != 0) goto done;
    /* the run's accumulators (about 28 MB: a sketch per metric and quarterly series) are not
     * needed past its report and JSON: freed now, so a batch's memory stays flat in the
     * number of scenarios (issue 25); the table and the pairing use the report and sections */
    cx_accum_free(r->run->accum);
    r->run->accum = NULL;
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

int cli_pair_summarise(cli_pair_run *r, const cli_pair_run *base, int n_thr)
{
    const int n = n_stats(n_thr);
    r->full = calloc((size_t)n, sizeof *r->full);
    r->diff = calloc((size_t)n, sizeof *r->diff);
    r->has_diff = calloc((size_t)n, sizeof *r->has_diff);
    if (!r->full || !r->diff || !r->has_diff) {
        fprintf(stderr, "capexsim: out of memory\n");
        return EXIT_FAILURE;
    }
    /* issue 23 item 8: any two complete runs of the same seed (common to the study) and
     * paths pair path by path; the inputs they share draw the same values */
    r->paired = r != base && r->complete && base->complete && r->paths_done == base->paths_done;
    r->corr_burden = r->corr_revenue = NAN;
    r->corr_paths = 0;
    if (r->paired) {
        (void)cx_paired_corr(&r->corr_burden, r->sec, base->sec, CX_M_CAPEX_BURDEN);
        (void)cx_paired_corr(&r->corr_revenue, r->sec, base->sec, CX_M_REVENUE_TOTAL);
        r->corr_paths = cx_paired_corr_paths(r->sec, base->sec);
    }
    for (int h = 0; h < n; h++) {
        r->full[h] = cx_sections_full(r->sec, r->rep, h);
        r->has_diff[h] = r->paired &&
                         cx_paired_diff_of(&r->diff[h], r->sec, r->rep, base->sec, base->rep, h) == 0;
    }
    if (r != base) {
        cx_sections_free(r->sec);
        cx_report_free(r->rep);
        r->sec = NULL;
        r->rep = NULL;
    }
    return 0;
}

/* How well each run pairs with the first: the correlations across paired paths, and a
 * line for each run that is not paired or whose inputs differ. */
static void print_pairing(const cli_pair_run *r, int n, int wd)
{
    printf("%-22s", "pairing: corr burden");
    for (int i = 1; i < n; i++)
        if (r[i].paired)
            printf("  %*.4f", wd, r[i].corr_burden);
    printf("\n%-22s", "         corr revenue");
    for (int i = 1; i < n; i++)
        if (r[i].paired)
            printf("  %*.4f", wd, r[i].corr_revenue);
    uint64_t cp = 0;
    for (int i = 1; i < n && !cp; i++)
        cp = r[i].paired ? r[i].corr_paths : 0;
    printf("\n(correlation of the metric across paired paths, over the first %llu paths)\n",
           (unsigned long long)cp);
    for (int i = 1; i < n; i++) {
        if (!r[i].paired)
            printf("(%s: not paired: %s)\n", r[i].label,
                   !r[i].complete || !r[0].complete ? "a run is incomplete"
                                                               : "different paths");
        else if (!r[i].same_inputs)
            printf("(%s: uncertain inputs differ from %s's; paired by path, the shared "
                   "inputs keep their draws)\n", r[i].label, r[0].label);
    }
}

/* The side-by-side table and the paired differences against the first run. */
void cli_pair_print_table(const cli_pair_run *r, int n, const double *thr, int n_thr)
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
            printf("  %*.6g", w, r[i].full[h]);
        putchar('\n');
    }
    bool any = false;
    for (int i = 1; i < n; i++)
        any |= r[i].paired;
    if (!any) {
        if (n > 1)
            printf("\nNo paired differences: no complete run of %s's paths besides it.\n",
                   r[0].label);
        return;
    }
    printf("\nPaired differences vs %s (path i with path i, same seed; 95%% CI by sectioning "
           "over %d sections of blocks):\n%-22s",
           r[0].label, cx_sections_k(r[0].sec), "statistic");
    for (int i = 1; i < n; i++)
        if (r[i].paired)
            printf("  %*s", wd, r[i].label);
    putchar('\n');
    for (int h = 0; h < n_stats(n_thr); h++) {
        print_stat_name(h, thr);
        for (int i = 1; i < n; i++) {
            if (!r[i].paired)
                continue;
            const cx_paired_diff d = r[i].diff[h];
            char cell[96];
            if (!r[i].has_diff[h])
                snprintf(cell, sizeof cell, "-");
            else if (isfinite(d.lo))
                snprintf(cell, sizeof cell, "%+.4g [%+.4g, %+.4g]", d.diff, d.lo, d.hi);
            else
                snprintf(cell, sizeof cell, "%+.4g", d.diff);
            printf("  %*s", wd, cell);
        }
        putchar('\n');
    }
    print_pairing(r, n, wd);
}

static json_t *jnum_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* {"burden_mean": {"diff", "se", "ci95": [lo, hi]}, ..., "exceed_10": {...}} of r - base. */
static json_t *diffs_json(const cli_pair_run *r, const cli_pair_run *base, const double *thr,
                          int n_thr)
{
    json_t *o = json_object();
    for (int h = 0; o && h < n_stats(n_thr); h++) {
        (void)base;
        if (!r->has_diff[h])
            continue;
        const cx_paired_diff d = r->diff[h];
        char key[64];
        if (h < CX_N_HEADLINE)
            snprintf(key, sizeof key, "%s", cx_headline_names[h]);
        else
            snprintf(key, sizeof key, "exceed_%g", thr[h - CX_N_HEADLINE]);
        json_object_set_new(o, key,
                            json_pack("{s:o, s:o, s:[o,o], s:o}", "diff", jnum_or_null(d.diff),
                                      "se", jnum_or_null(d.se), "ci95", jnum_or_null(d.lo),
                                      jnum_or_null(d.hi), "se_unpaired",
                                      jnum_or_null(d.se_unpaired)));
    }
    return o;
}

/* The paired block of r against base, or null when they are not paired or not complete. */
json_t *cli_pair_json(const cli_pair_run *r, const cli_pair_run *base, const double *thr,
                           int n_thr)
{
    if (!r->paired)
        return json_null();
    return json_pack("{s:s, s:s, s:i, s:s, s:b, s:{s:o, s:o, s:I}, s:o}", "scenario", r->label,
                     "versus", base->label, "sections", cx_sections_k(base->sec), "method",
                     "sectioning: t interval from the differences of sections of blocks",
                     "same_inputs", r->same_inputs, "correlation", "capex_burden",
                     jnum_or_null(r->corr_burden), "revenue_total",
                     jnum_or_null(r->corr_revenue), "paths", (json_int_t)r->corr_paths,
                     "diffs", diffs_json(r, base, thr, n_thr));
}

json_t *cli_pair_headline_json(const cli_pair_run *r, const double *thr, int n_thr)
{
    json_t *o = json_object();
    for (int h = 0; o && h < n_stats(n_thr); h++) {
        char key[64];
        if (h < CX_N_HEADLINE)
            snprintf(key, sizeof key, "%s", cx_headline_names[h]);
        else
            snprintf(key, sizeof key, "exceed_%g", thr[h - CX_N_HEADLINE]);
        json_object_set_new(o, key, jnum_or_null(r->full[h]));
    }
    return o;
}

/* CSV: one row per run; headline statistics, then the paired difference and its CI. */
typedef struct csv_ctx {
    const cli_pair_run *r;
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
        const cli_pair_run *r = &c->r[i];
        /* labels and names come from config files: quoted, quotes doubled, formulas
         * neutralised; the seed as unsigned 64 bits (issue 25) */
        cx_csv_text_quoted(f, r->label);
        putc(',', f);
        cx_csv_text_quoted(f, r->name);
        fprintf(f, ",%llu,%llu", (unsigned long long)r->paths_done, (unsigned long long)r->seed);
        for (int h = 0; h < n_stats(c->n_thr); h++)
            fprintf(f, ",%.17g", r->full[h]);
        for (int h = 0; h < n_stats(c->n_thr); h++) {
            const cx_paired_diff d = r->diff[h];
            if (i > 0 && r->has_diff[h])
                fprintf(f, ",%.17g,%.17g,%.17g", d.diff, d.lo, d.hi);
            else
                fputs(",,,", f);
        }
        fprintf(f, ",%s\n", r->complete ? "true" : "false");
    }
    return ferror(f) ? CX_ERR_IO : 0;
}

int cli_pair_write_outputs(const cli_pair_flags *a, json_t *doc, const cli_pair_run *r, int n,
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
int cli_pair_flags_parse(const char *cmd, int argc, char **argv, cli_pair_flags *a,
                             void (*help)(void))
{
    static const struct option longopts[] = {
        {"paths", required_argument, NULL, 'n'},   {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {"input", required_argument, NULL, 'i'},
        {"case", required_argument, NULL, 'k'},   {"outcome", required_argument, NULL, 'o'},
        {"sampling", required_argument, NULL, CLI_OPT_SAMPLING},
        {"antithetic", no_argument, NULL, CLI_OPT_ANTITHETIC}, CLI_PROGRESS_LONGOPTS,
        CLI_CKPT_LONGOPTS, {NULL, 0, NULL, 0}};
    const bool stress = strcmp(cmd, "stress") == 0;
    a->ck = (cli_ckpt_args)CLI_CKPT_ARGS_INIT;
    int c, rc;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:s:t:j:c:qhi:k:o:", longopts, NULL)) != -1) {
        if (!stress && cli_sens_flag(cmd, c, optarg, &a->sf, &rc)) {
            if (rc) return rc;
            continue;
        }
        if (cli_common_flag(cmd, c, optarg, &a->co, &rc)) {
            if (rc) return rc;
            continue;
        }
        if (cli_ckpt_flag(cmd, c, optarg, &a->ck, &rc)) {
            if (rc) return rc;
            continue;
        }
        switch (c) {
        case 'i':
            if (!stress) return cli_usage_error(cmd, "unknown option '--input'");
            a->inputs[a->n_inputs++] = optarg;
            break;
        case 'o': /* an outcome fixed on every path: NAME=0|1 (cx_stress_case_add_text) */
            if (!stress) return cli_usage_error(cmd, "unknown option '--outcome'");
            if (!strchr(optarg, '='))
                return cli_usage_error(cmd, "--outcome: expected NAME=0|1 (0: fails, 1: "
                                            "succeeds), got '%s'", optarg);
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
    /* output targets are checked before the first run, not discovered after the last (issue 25) */
    if ((rc = cli_check_output("--json", a->co.json, NULL)) ||
        (rc = cli_check_output("--csv", a->co.csv, NULL)))
        return rc;
    cli_files fs = CLI_FILES_INIT;
    for (int i = 0; i < a->n_in; i++) cli_files_add_scenario(&fs, a->paths_in[i]);
    cli_files_add(&fs, "--json", a->co.json, true);
    cli_files_add(&fs, "--csv", a->co.csv, true);
    cli_files_add(&fs, "--checkpoint", a->ck.file, true);
    rc = cli_files_check(&fs);
    cli_files_free(&fs);
    return rc;
}

/* Paths, seed and threads common to every run of a study: the flags, else sc's. */
void cli_pair_common_opts(cx_engine_opts *o, const cli_pair_flags *a, const cx_scenario *sc)
{
    cx_engine_opts_init(o, sc);
    if (a->co.has_paths) o->paths = a->co.paths;
    if (a->co.has_seed) o->seed = a->co.seed;
    o->threads = cli_threads(a->co.threads, sc, o->paths, CX_BLOCK_PATHS);
}

int cli_pair_exit_code(const cli_pair_run *r, int n, int rc)
{
    if (rc == CLI_EXIT_INTERRUPTED) {
        int done = 0, part = -1;
        for (int i = 0; i < n; i++) {
            done += r[i].complete;
            if (r[i].paths_done && !r[i].complete) part = i;
        }
        /* what ran, not what was asked for (issue 23) */
        char ran[320] = "";
        if (part >= 0)
            snprintf(ran, sizeof ran, "; %s ran %llu of %llu paths (\"complete\": false)",
                     r[part].label, (unsigned long long)r[part].paths_done,
                     (unsigned long long)r[part].paths_requested);
        fprintf(stderr, "capexsim: interrupted: %d of %d runs complete%s%s\n", done, n, ran,
                done + (part >= 0) < n ? "; the rest did not run" : "");
    }
    return rc;
}
