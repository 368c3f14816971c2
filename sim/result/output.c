/* SPDX-License-Identifier: MIT */
/* Writers of a report: a table on a stream, JSON (jansson) and CSV files written atomically. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/result/output.h"
#include "sim/base/simd.h"
#include "sim/base/version.h"

/* A number, or null where it is not finite (JSON has no NaN or Inf). */
static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *cx_output_u64(uint64_t x)
{
    if (x <= (uint64_t)INT64_MAX) return json_integer((json_int_t)x);
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)x); /* beyond JSON's safe integers */
    return json_string(buf);
}

uint64_t cx_output_u64_of(const json_t *v)
{
    if (json_is_integer(v)) return json_integer_value(v) < 0 ? 0 : (uint64_t)json_integer_value(v);
    if (!json_is_string(v)) return 0;
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    return s[0] >= '0' && s[0] <= '9' && !*end && !errno ? (uint64_t)x : 0;
}

#define u64 cx_output_u64

/* json_object_set_new that remembers a failure; jansson steals the value either way. */
static void put(json_t *obj, const char *key, json_t *v, int *bad)
{
    if (!v || json_object_set_new(obj, key, v) < 0) *bad = 1;
}

/* Series `which` of cx_report_warning is one the writers show (not an absent metric). */
static bool shown(const cx_report *r, int which)
{
    return which >= CX_N_METRICS || which < r->n_metrics;
}

static json_t *metric_json(const cx_metric_stats *st, cx_interval_method method, int *bad)
{
    json_t *o = json_object(), *pct = json_object(), *ci = json_object();
    if (!o || !pct || !ci) {
        json_decref(o);
        json_decref(pct);
        json_decref(ci);
        *bad = 1;
        return NULL;
    }
    put(o, "mean", num(st->mean), bad);
    put(o, "se", num(st->se), bad);
    put(o, "sd", num(st->sd), bad);
    put(o, "min", num(st->min), bad);
    put(o, "max", num(st->max), bad);
    for (int j = 0; j < CX_N_PCT; j++) {
        char key[8];
        snprintf(key, sizeof key, "p%d", cx_report_pct[j]);
        put(pct, key, num(st->pct[j]), bad);
        json_t *pair = json_array();
        if (!pair || json_array_append_new(pair, num(st->ci_lo[j])) < 0 ||
            json_array_append_new(pair, num(st->ci_hi[j])) < 0)
            *bad = 1;
        put(ci, key, pair, bad);
    }
    put(o, "percentiles", pct, bad);
    put(o, "ci95", ci, bad);
    /* nothing non-finite or out of range silently (issue 11) */
    put(o, "n", u64(st->n), bad);
    put(o, "n_nan", u64(st->n_nan), bad);
    put(o, "n_inf", u64(st->n_inf), bad);
    put(o, "n_out_of_range", u64(st->n_out_of_range), bad);
    json_t *unres = json_array();
    for (int j = 0; unres && j < CX_N_PCT; j++)
        if (st->unresolved & (1u << j)) {
            char key[8];
            snprintf(key, sizeof key, "p%d", cx_report_pct[j]);
            if (json_array_append_new(unres, json_string(key)) < 0) *bad = 1;
        }
    put(o, "unresolved_percentiles", unres, bad);
    /* which method made each interval (MODEL.md, "A reported interval must hold what it
     * claims") */
    put(o, "se_method", json_string(method == CX_INTERVAL_IID ? "iid" : "batch_means"), bad);
    put(o, "ci95_method",
        json_string(method == CX_INTERVAL_IID ? "order_statistics" : "sectioning"), bad);
    return o;
}

json_t *cx_output_json(const cx_report *r, const cx_run_info *info)
{
    int bad = 0;
    json_t *doc = json_object();
    if (!doc) return NULL;
    /* MODEL.md, "What a run reports": these keys, in this order */
    put(doc, "scenario", json_string(info->scenario ? info->scenario : ""), &bad);
    put(doc, "scenario_sha256", json_string(info->scenario_sha256 ? info->scenario_sha256 : ""),
        &bad);
    put(doc, "seed", u64(info->seed), &bad);
    put(doc, "paths", u64(info->paths), &bad);
    put(doc, "threads", json_integer(info->threads), &bad);
    put(doc, "version", json_string(CX_VERSION), &bad);
    put(doc, "git_commit", json_string(cx_git_commit), &bad);
    put(doc, "elapsed_s", num(info->elapsed_s), &bad);
    put(doc, "paths_per_s",
        num(info->elapsed_s > 0 ? (double)info->paths / info->elapsed_s : 0.0), &bad);
    put(doc, "complete", json_boolean(info->complete), &bad);
    put(doc, "paths_requested", u64(info->paths_requested), &bad);
    put(doc, "compiler", json_string(CX_COMPILER), &bad);
    put(doc, "compiler_flags", json_string(CX_CFLAGS), &bad);
    /* which SIMD path ran (sim/base/simd.h); every path gives the same bytes otherwise */
    put(doc, "simd", json_string(cx_simd_name(cx_simd_level())), &bad);
    put(doc, "relative_error", num(r->relative_error), &bad);
    put(doc, "block_paths", json_integer(info->block_paths), &bad);
    put(doc, "sampling", json_string(info->sampling ? info->sampling : "mc"), &bad);
    put(doc, "interval_method",
        json_string(r->interval_method == CX_INTERVAL_IID ? "iid" : "batch_means"), &bad);
    if (r->interval_method == CX_INTERVAL_REPLICATES) {
        /* blocks behind each se, batches of blocks behind each percentile CI */
        put(doc, "interval_replicates", u64(r->replicates), &bad);
        put(doc, "interval_batches", u64(r->replicate_batches), &bad);
        put(doc, "interval_batch_blocks", json_integer(CX_REP_BATCH_BLOCKS), &bad);
    }

    /* MODEL.md, Present value and Calendar: only where the scenario asks */
    if (r->n_metrics > CX_N_BASE_METRICS) put(doc, "discount_rate", num(r->discount_rate), &bad);
    char lab[40];
    if (cx_report_month_label(r, 0, lab, sizeof lab)) put(doc, "start", json_string(lab), &bad);

    json_t *metrics = json_object();
    put(doc, "metrics", metrics, &bad);
    for (int i = 0; metrics && i < r->n_metrics; i++)
        put(metrics, cx_metric_names[i], metric_json(&r->metric[i], r->interval_method, &bad),
            &bad);

    json_t *exc = json_object();
    put(doc, "burden_exceedance", exc, &bad);
    for (int j = 0; exc && j < r->n_thresholds; j++) {
        char key[32];
        snprintf(key, sizeof key, "%g", r->thresholds[j]);
        put(exc, key, num(r->exceed[j]), &bad);
    }
    put(doc, "burden_cvar95", num(r->burden_cvar95), &bad);

    json_t *warn = json_array();
    put(doc, "warnings", warn, &bad);
    for (int w = 0; warn && w < CX_N_METRICS + CX_N_QSERIES; w++) {
        char line[512];
        if (shown(r, w) && cx_report_warning(r, w, line, sizeof line) &&
            json_array_append_new(warn, json_string(line)) < 0)
            bad = 1;
    }

    json_t *quarters = json_object();
    put(doc, "quarters", quarters, &bad);
    for (int s = 0; quarters && s < CX_N_QSERIES; s++) {
        json_t *arr = json_array();
        put(quarters, cx_qseries_names[s], arr, &bad);
        for (int q = 0; arr && q < r->n_quarters; q++) {
            const cx_quarter_stats *qs = &r->quarter[s][q];
            json_t *o = json_object();
            if (!o) {
                bad = 1;
                break;
            }
            put(o, "mean", num(qs->mean), &bad);
            put(o, "p5", num(qs->p5), &bad);
            put(o, "p50", num(qs->p50), &bad);
            put(o, "p95", num(qs->p95), &bad);
            if (cx_report_quarter_label(r, q, lab, sizeof lab))
                put(o, "label", json_string(lab), &bad);
            if (json_array_append_new(arr, o) < 0) bad = 1;
        }
    }
    if (bad) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

int cx_output_add_scenario(json_t *doc, const cx_scenario *sc)
{
    int bad = 0;
    put(doc, "scenario_path", json_string(sc->path ? sc->path : ""), &bad);
    put(doc, "scenario_description", sc->description ? json_string(sc->description)
                                                     : json_null(), &bad);
    put(doc, "horizon_months", json_integer(sc->horizon_months), &bad);
    put(doc, "scenario_text", json_string(sc->text ? sc->text : ""), &bad);
    return bad ? CX_ERR_NOMEM : 0;
}

/* The words of one option: key (as a flag) and v, recursing into an array. */
static int option_words(const char *key, const json_t *v,
                        int (*word)(void *ctx, const char *w), void *ctx)
{
    char flag[64], num[32];
    int rc = 0;
    if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) if (!rc) rc = option_words(key, x, word, ctx);
        return rc;
    }
    if (json_is_false(v) || json_is_null(v)) return 0; /* a flag not given */
    snprintf(flag, sizeof flag, "--%s", key);
    for (char *c = flag; *c; c++)
        if (*c == '_') *c = '-';
    if ((rc = word(ctx, flag)) || json_is_true(v)) return rc;
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) { /* the fewest digits that read back as the same double */
        for (int d = 15; d <= 17; d++) {
            snprintf(num, sizeof num, "%.*g", d, json_real_value(v));
            if (strtod(num, NULL) == json_real_value(v)) break;
        }
    } else if (!json_is_string(v)) {
        snprintf(num, sizeof num, "?");
    }
    return word(ctx, json_is_string(v) ? json_string_value(v) : num);
}

int cx_output_option_words(const json_t *options, const char *paths,
                           int (*word)(void *ctx, const char *w), void *ctx)
{
    const char *key;
    const json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)options, key, v) {
        if (rc || strcmp(key, "command") == 0) continue;
        if (strcmp(key, "paths") == 0 && paths) {
            if (!(rc = word(ctx, "--paths"))) rc = word(ctx, paths);
        } else {
            rc = option_words(key, v, word, ctx);
        }
    }
    return rc;
}

static int json_writer(FILE *f, const void *ctx)
{
    if (json_dumpf((const json_t *)ctx, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) < 0)
        return CX_ERR_IO;
    return fputc('\n', f) == EOF ? CX_ERR_IO : 0;
}

int cx_output_write_json(const char *path, const json_t *doc)
{
    return cx_file_write_atomic(path, json_writer, doc);
}

static int csv_writer(FILE *f, const void *ctx)
{
    const cx_report *r = ctx;
    char lab[40];
    /* MODEL.md, Calendar: a last column with the quarter's label where there is one */
    bool cal = cx_report_quarter_label(r, 0, lab, sizeof lab);
    fprintf(f, "quarter,series,mean,p5,p50,p95%s\n", cal ? ",label" : "");
    for (int s = 0; s < CX_N_QSERIES; s++)
        for (int q = 0; q < r->n_quarters; q++) {
            const cx_quarter_stats *qs = &r->quarter[s][q];
            fprintf(f, "%d,%s,%.17g,%.17g,%.17g,%.17g", q + 1, cx_qseries_names[s], qs->mean,
                    qs->p5, qs->p50, qs->p95);
            if (cx_report_quarter_label(r, q, lab, sizeof lab)) fprintf(f, ",%s", lab);
            fputc('\n', f);
        }
    return ferror(f) ? CX_ERR_IO : 0;
}

/* One row per metric: the moments, then every percentile with its 95% CI (issue 22). Metric
 * names are plain identifiers: nothing to quote. Empty cells where a figure is not finite. */
static int metrics_csv_writer(FILE *f, const void *ctx)
{
    const cx_report *r = ctx;
    fprintf(f, "metric,n,mean,se,sd,min,max");
    for (int j = 0; j < CX_N_PCT; j++)
        fprintf(f, ",p%d,p%d_ci95_lo,p%d_ci95_hi", cx_report_pct[j], cx_report_pct[j],
                cx_report_pct[j]);
    fputc('\n', f);
    for (int i = 0; i < CX_N_METRICS; i++) {
        const cx_metric_stats *m = &r->metric[i];
        double v[5 + 3 * CX_N_PCT] = {m->mean, m->se, m->sd, m->min, m->max};
        for (int j = 0; j < CX_N_PCT; j++) {
            v[5 + 3 * j] = m->pct[j];
            v[6 + 3 * j] = m->ci_lo[j];
            v[7 + 3 * j] = m->ci_hi[j];
        }
        fprintf(f, "%s,%llu", cx_metric_names[i], (unsigned long long)m->n);
        for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
            if (isfinite(v[k])) fprintf(f, ",%.17g", v[k]);
            else fputc(',', f);
        }
        fputc('\n', f);
    }
    return ferror(f) ? CX_ERR_IO : 0;
}

static int write_in(const char *dir, const char *name, int (*writer)(FILE *, const void *),
                    const cx_report *r)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path) return CX_ERR_NOMEM;
    snprintf(path, len, "%s/%s", dir, name);
    int rc = cx_file_write_atomic(path, writer, r);
    free(path);
    return rc;
}

int cx_output_write_csv(const char *dir, const cx_report *r)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return CX_ERR_IO;
    int rc = write_in(dir, "quarters.csv", csv_writer, r);
    return rc ? rc : write_in(dir, "metrics.csv", metrics_csv_writer, r);
}

int cx_output_warnings(FILE *f, const cx_report *r)
{
    int n = 0;
    for (int w = 0; w < CX_N_METRICS + CX_N_QSERIES; w++) {
        char line[512];
        if (shown(r, w) && cx_report_warning(r, w, line, sizeof line)) {
            fprintf(f, "capexsim: warning: %s\n", line);
            n++;
        }
    }
    return n;
}

/* A table cell: the number, or "n/a" where it is NaN. */
static const char *cell(char *buf, size_t len, double v, int digits)
{
    if (isnan(v)) snprintf(buf, len, "n/a");
    else snprintf(buf, len, "%.*g", digits, v);
    return buf;
}

/* A percentile's cell: its value, or for one the sketch cannot resolve the bound it knows
 * (">=1.124e+15": the lower edge of the outermost bucket). */
static const char *pct_cell(char *buf, size_t len, const cx_metric_stats *m, int j)
{
    if (!(m->unresolved & (1u << j))) return cell(buf, len, m->pct[j], 4);
    /* nudged by 1e-3 towards zero before rounding to 4 digits (an error of at most 5e-4),
     * so the printed bound never claims more than the sketch knows */
    if (m->pct_lo[j] > 0) snprintf(buf, len, ">=%.4g", m->pct_lo[j] * (1 - 1e-3));
    else snprintf(buf, len, "<=%.4g", m->pct_hi[j] * (1 - 1e-3));
    return buf;
}

void cx_output_table(FILE *f, const cx_report *r, const cx_run_info *info)
{
    fprintf(f, "scenario %s  seed %llu  paths %llu%s  threads %d  %.2f s (%.0f paths/s)\n",
            info->scenario, (unsigned long long)info->seed, (unsigned long long)info->paths,
            info->complete ? "" : " (incomplete)", info->threads, info->elapsed_s,
            info->elapsed_s > 0 ? (double)info->paths / info->elapsed_s : 0.0);
    fprintf(f, "\n%-18s %11s %9s %11s %11s %11s %11s %11s %11s\n", "metric", "mean", "se", "sd",
            "min", "p5", "p50", "p95", "max");
    int flagged = 0;
    for (int i = 0; i < r->n_metrics; i++) {
        const cx_metric_stats *m = &r->metric[i];
        char c[8][32], name[32];
        bool flag = m->n_nan || m->n_inf || m->n_out_of_range || m->unresolved;
        flagged += flag;
        snprintf(name, sizeof name, "%s%s", cx_metric_names[i], flag ? "*" : "");
        fprintf(f, "%-18s %11s %9s %11s %11s %11s %11s %11s %11s\n", name,
                cell(c[0], 32, m->mean, 4), cell(c[1], 32, m->se, 3),
                cell(c[2], 32, m->sd, 4), cell(c[3], 32, m->min, 4),
                pct_cell(c[4], 32, m, 1), pct_cell(c[5], 32, m, 4), pct_cell(c[6], 32, m, 7),
                cell(c[7], 32, m->max, 4));
    }
    if (flagged)
        for (int i = 0; i < r->n_metrics; i++) {
            char line[512];
            if (cx_report_warning(r, i, line, sizeof line)) fprintf(f, "* %s\n", line);
        }
    fprintf(f, "\ncapex burden CVaR95: %.4g $B", r->burden_cvar95);
    for (int j = 0; j < r->n_thresholds; j++)
        fprintf(f, "%s P(> %g) = %.4f", j ? "," : ";", r->thresholds[j], r->exceed[j]);
    if (r->n_metrics > CX_N_BASE_METRICS)
        fprintf(f, "\npresent values (*_pv) at %g a year, to month 0", r->discount_rate);
    /* MODEL.md, Calendar: each quarter's label beside its number where there is one */
    char lab[40];
    int lw = cx_report_quarter_label(r, 0, lab, sizeof lab) ? (int)strlen(lab) + 1 : 0;
    if (cx_report_month_label(r, 0, lab, sizeof lab))
        fprintf(f, "\nmonth 0 is %s", lab);
    fprintf(f, "\n\n%-*s %26s %26s %26s\n", 8 + lw, "quarter", "idle GW mean (p5..p95)",
            "revenue $B (p5..p95)", "cum. burden $B (p5..p95)");
    for (int q = 0; q < r->n_quarters; q++) {
        if (lw) {
            cx_report_quarter_label(r, q, lab, sizeof lab);
            fprintf(f, "%-3d %-*s", q + 1, 4 + lw, lab);
        } else {
            fprintf(f, "%-8d", q + 1);
        }
        for (int s = 0; s < CX_N_QSERIES; s++) {
            const cx_quarter_stats *qs = &r->quarter[s][q];
            char a[3][32], txt[100];
            snprintf(txt, sizeof txt, "%s (%s..%s)", cell(a[0], 32, qs->mean, 3),
                     cell(a[1], 32, qs->p5, 3), cell(a[2], 32, qs->p95, 3));
            fprintf(f, " %26s", txt);
        }
        fputc('\n', f);
    }
    fprintf(f, "\npercentiles within %g relative error; ", r->relative_error);
    if (r->interval_method == CX_INTERVAL_IID)
        fprintf(f, "se = sd / sqrt(n); 95%% CIs are order-statistic intervals to bucket edges\n");
    else
        fprintf(f, "under %s sampling the paths of a block are not\n"
                   "independent: se from %llu independent blocks (batch means), 95%% CIs from %llu\n"
                   "batches of %d blocks (sectioning); null/nan where there are fewer than 2\n",
                info->sampling ? info->sampling : "this", (unsigned long long)r->replicates,
                (unsigned long long)r->replicate_batches, CX_REP_BATCH_BLOCKS);
}
