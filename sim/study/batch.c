/* SPDX-License-Identifier: MIT */
/* Paired differences of headline statistics between runs with common random numbers (issue 14). */
/*
 * Sectioning (batch means over blocks; see batch.h). Each block's burden and revenue values
 * are kept in the block's slot of the engine's round buffer (16 KiB a block) and folded by
 * merge_block, in block order on one thread, into its section: a quantile sketch of each
 * metric (for P5, P50, P95, CVaR95), plain sums for the means (the same fold for any thread
 * count) and exact exceedance counts. Memory: 2 K sketches per run, whatever the paths.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "models/model.h"
#include "sim/study/batch.h"
#include "sim/base/error.h"
#include "sim/engine/sketch.h"

const char *const cx_headline_names[CX_N_HEADLINE] = {
    "burden_mean", "burden_p5",    "burden_p50", "burden_p95",
    "burden_cvar95", "revenue_mean", "revenue_p50",
};

typedef struct block_vals {
    int n;
    int pad;
    double burden[CX_BLOCK_PATHS];
    double revenue[CX_BLOCK_PATHS];
} block_vals;

typedef struct section {
    cx_sketch *burden, *revenue;
    uint64_t n;
    double sum_burden, sum_revenue;
    uint64_t *exceed;      /* n_thr */
} section;

struct cx_sections {
    cx_observer obs;
    uint64_t blocks;
    int k;
    int n_thr;
    double *thr;
    section *sec;
    uint64_t *exceed_all;  /* n_thr */
    uint64_t n_all;
    /* the first `kept` paths' burden and revenue, in path order (cx_paired_corr) */
    double *keep_burden, *keep_revenue;
    uint64_t n_keep, kept;
};

static void block_init(void *ctx, void *bstate, uint64_t b)
{
    (void)ctx;
    (void)b;
    ((block_vals *)bstate)->n = 0;
}

static void path(void *ctx, void *bstate, int tid, const double *x, const cx_path_result *res)
{
    (void)ctx;
    (void)tid;
    (void)x;
    block_vals *v = bstate;
    if (v->n < CX_BLOCK_PATHS) {
        v->burden[v->n] = res->metric[CX_M_CAPEX_BURDEN];
        v->revenue[v->n] = res->metric[CX_M_REVENUE_TOTAL];
        v->n++;
    }
}

static void merge_block(void *ctx, const void *bstate, uint64_t b)
{
    cx_sections *s = ctx;
    const block_vals *v = bstate;
    uint64_t k = b * (uint64_t)s->k / s->blocks;
    if (k >= (uint64_t)s->k)
        k = (uint64_t)s->k - 1;
    section *c = &s->sec[k];
    /* blocks merge in block order, so the kept paths are the first ones, in path order */
    for (int i = 0; i < v->n && b * CX_BLOCK_PATHS + (uint64_t)i < s->n_keep; i++) {
        s->keep_burden[b * CX_BLOCK_PATHS + (uint64_t)i] = v->burden[i];
        s->keep_revenue[b * CX_BLOCK_PATHS + (uint64_t)i] = v->revenue[i];
        s->kept = b * CX_BLOCK_PATHS + (uint64_t)i + 1;
    }
    for (int i = 0; i < v->n; i++) {
        double bu = v->burden[i], re = v->revenue[i];
        cx_sketch_add(c->burden, bu);
        cx_sketch_add(c->revenue, re);
        c->sum_burden += bu;
        c->sum_revenue += re;
        /* MODEL.md, "Statistics": P(burden > x) is strict */
        for (int j = 0; j < s->n_thr; j++)
            if (bu > s->thr[j]) {
                c->exceed[j]++;
                s->exceed_all[j]++;
            }
    }
    c->n += (uint64_t)v->n;
    s->n_all += (uint64_t)v->n;
}

/* ---- checkpoints (issue 23) ---- */
/* The merged state: u64 n_all, the thresholds' exceedance counts, then per section: u64 n,
 * f64 sum_burden, f64 sum_revenue, its exceedance counts, its two sketches; then u64 kept and
 * the first kept paths' burden and revenue (cx_paired_corr). */
static void sections_save(void *ctx, cx_wbuf *w)
{
    const cx_sections *s = ctx;
    cx_wbuf_u64(w, s->n_all);
    for (int j = 0; j < s->n_thr; j++)
        cx_wbuf_u64(w, s->exceed_all[j]);
    for (int k = 0; k < s->k; k++) {
        const section *c = &s->sec[k];
        cx_wbuf_u64(w, c->n);
        cx_wbuf_f64(w, c->sum_burden);
        cx_wbuf_f64(w, c->sum_revenue);
        for (int j = 0; j < s->n_thr; j++)
            cx_wbuf_u64(w, c->exceed[j]);
        cx_sketch_serialise(c->burden, w);
        cx_sketch_serialise(c->revenue, w);
    }
    cx_wbuf_u64(w, s->kept);
    cx_wbuf_put(w, s->keep_burden, (size_t)s->kept * sizeof *s->keep_burden);
    cx_wbuf_put(w, s->keep_revenue, (size_t)s->kept * sizeof *s->keep_revenue);
}

/* sections_save's bytes into s, checked: every count adds up (a section's sketches hold its
 * paths, the sections the total, the exceedances at most the paths and adding up). */
static int sections_load(void *ctx, cx_rbuf *r)
{
    cx_sections *s = ctx;
    s->n_all = cx_rbuf_u64(r);
    for (int j = 0; j < s->n_thr; j++)
        s->exceed_all[j] = cx_rbuf_u64(r);
    uint64_t total = 0;
    for (int k = 0; k < s->k && !r->err; k++) {
        section *c = &s->sec[k];
        c->n = cx_rbuf_u64(r);
        c->sum_burden = cx_rbuf_f64(r);
        c->sum_revenue = cx_rbuf_f64(r);
        for (int j = 0; j < s->n_thr; j++)
            c->exceed[j] = cx_rbuf_u64(r);
        if (r->err || cx_sketch_deserialise(c->burden, r) < 0 ||
            cx_sketch_deserialise(c->revenue, r) < 0)
            return CX_ERR_RANGE;
        if (cx_sketch_count(c->burden) + c->burden->nan != c->n ||
            cx_sketch_count(c->revenue) + c->revenue->nan != c->n || c->n > s->n_all - total)
            return CX_ERR_RANGE;
        total += c->n;
    }
    if (r->err || total != s->n_all)
        return CX_ERR_RANGE;
    /* the kept paths: the first ones merged, as many as there is room for */
    s->kept = cx_rbuf_u64(r);
    if (r->err || s->kept != (s->n_all < s->n_keep ? s->n_all : s->n_keep))
        return CX_ERR_RANGE;
    cx_rbuf_get(r, s->keep_burden, (size_t)s->kept * sizeof *s->keep_burden);
    cx_rbuf_get(r, s->keep_revenue, (size_t)s->kept * sizeof *s->keep_revenue);
    if (r->err)
        return CX_ERR_RANGE;
    for (int j = 0; j < s->n_thr; j++) {
        uint64_t sum = 0;
        for (int k = 0; k < s->k; k++) {
            if (s->sec[k].exceed[j] > s->sec[k].n)
                return CX_ERR_RANGE;
            sum += s->sec[k].exceed[j];
        }
        if (sum != s->exceed_all[j])
            return CX_ERR_RANGE;
    }
    return 0;
}

/* A done block's state holds all its paths' values. */
static bool sections_check_block(void *ctx, const void *bstate, uint64_t b, int paths)
{
    (void)ctx;
    (void)b;
    block_vals v;
    memcpy(&v, bstate, sizeof v.n); /* the bytes may be unaligned in no way, but are untrusted */
    return v.n == paths && paths >= 0 && paths <= CX_BLOCK_PATHS;
}

size_t cx_sections_block_bytes(void)
{
    return sizeof(block_vals);
}

size_t cx_sections_state_max(uint64_t paths, int n_thr, double alpha)
{
    cx_sketch *sk = NULL;
    if (cx_sketch_new(&sk, alpha) < 0)
        return 0;
    const size_t nb = (size_t)sk->nb;
    cx_sketch_free(sk);
    const uint64_t blocks = (paths + CX_BLOCK_PATHS - 1) / CX_BLOCK_PATHS;
    const size_t k = blocks < CX_BATCH_SECTIONS ? (size_t)blocks : CX_BATCH_SECTIONS;
    const size_t nt = n_thr > 0 ? (size_t)n_thr : 0;
    /* as sim/engine/checkpoint.c bounds a sketch: every bucket of both signs, and counters */
    const size_t sketch = 256 + 2 * (8 + 8 * nb);
    const size_t keep = paths < CX_BATCH_CORR_PATHS ? (size_t)paths : CX_BATCH_CORR_PATHS;
    return 16 + 8 * nt + k * (24 + 8 * nt + 2 * sketch) + 16 * keep;
}

void cx_sections_free(cx_sections *s)
{
    if (!s)
        return;
    for (int k = 0; s->sec && k < s->k; k++) {
        cx_sketch_free(s->sec[k].burden);
        cx_sketch_free(s->sec[k].revenue);
        free(s->sec[k].exceed);
    }
    free(s->sec);
    free(s->thr);
    free(s->exceed_all);
    free(s->keep_burden);
    free(s->keep_revenue);
    free(s);
}

int cx_sections_new(cx_sections **out, uint64_t paths, const double *thr, int n_thr,
                    double alpha)
{
    *out = NULL;
    if (paths == 0 || n_thr < 0)
        return CX_ERR_RANGE;
    cx_sections *s = calloc(1, sizeof *s);
    if (!s)
        return CX_ERR_NOMEM;
    s->blocks = (paths + CX_BLOCK_PATHS - 1) / CX_BLOCK_PATHS;
    s->k = s->blocks < CX_BATCH_SECTIONS ? (int)s->blocks : CX_BATCH_SECTIONS;
    s->n_thr = n_thr;
    size_t nt = n_thr > 0 ? (size_t)n_thr : 1;
    s->thr = calloc(nt, sizeof *s->thr);
    s->exceed_all = calloc(nt, sizeof *s->exceed_all);
    s->sec = calloc((size_t)s->k, sizeof *s->sec);
    s->n_keep = paths < CX_BATCH_CORR_PATHS ? paths : CX_BATCH_CORR_PATHS;
    s->keep_burden = malloc((size_t)s->n_keep * sizeof *s->keep_burden);
    s->keep_revenue = malloc((size_t)s->n_keep * sizeof *s->keep_revenue);
    int rc = CX_ERR_NOMEM;
    if (!s->thr || !s->exceed_all || !s->sec || !s->keep_burden || !s->keep_revenue)
        goto fail;
    if (n_thr > 0)
        memcpy(s->thr, thr, (size_t)n_thr * sizeof *thr);
    for (int k = 0; k < s->k; k++) {
        section *c = &s->sec[k];
        if ((rc = cx_sketch_new(&c->burden, alpha)) < 0 ||
            (rc = cx_sketch_new(&c->revenue, alpha)) < 0)
            goto fail;
        rc = CX_ERR_NOMEM;
        if (!(c->exceed = calloc(nt, sizeof *c->exceed)))
            goto fail;
    }
    s->obs = (cx_observer){.ctx = s,
                           .block_bytes = sizeof(block_vals),
                           .block_init = block_init,
                           .path = path,
                           .merge_block = merge_block,
                           .save = sections_save,
                           .load = sections_load,
                           .check_block = sections_check_block};
    *out = s;
    return 0;
fail:
    cx_sections_free(s);
    return rc;
}

const cx_observer *cx_sections_observer(cx_sections *s)
{
    return &s->obs;
}

int cx_sections_n_stats(const cx_sections *s)
{
    return CX_N_HEADLINE + s->n_thr;
}

int cx_sections_k(const cx_sections *s)
{
    return s->k;
}

/* Value of percentile pct among the values of sk, as the report computes it. */
static double pct_of(const cx_sketch *sk, int metric, int pct)
{
    return cx_report_metric_at_rank(sk, metric, cx_report_rank(cx_sketch_count(sk), pct));
}

double cx_sections_stat(const cx_sections *s, int k, int h)
{
    const section *c = &s->sec[k];
    if (c->n == 0 || h < 0 || h >= cx_sections_n_stats(s))
        return NAN;
    switch (h) {
    case CX_H_BURDEN_MEAN: return c->sum_burden / (double)c->n;
    case CX_H_BURDEN_P5: return pct_of(c->burden, CX_M_CAPEX_BURDEN, 5);
    case CX_H_BURDEN_P50: return pct_of(c->burden, CX_M_CAPEX_BURDEN, 50);
    case CX_H_BURDEN_P95: return pct_of(c->burden, CX_M_CAPEX_BURDEN, 95);
    case CX_H_BURDEN_CVAR95: return cx_sketch_top_mean(c->burden, 0.05 * (double)c->n);
    case CX_H_REVENUE_MEAN: return c->sum_revenue / (double)c->n;
    case CX_H_REVENUE_P50: return pct_of(c->revenue, CX_M_REVENUE_TOTAL, 50);
    default: return (double)c->exceed[h - CX_N_HEADLINE] / (double)c->n;
    }
}

double cx_sections_full(const cx_sections *s, const cx_report *r, int h)
{
    const cx_metric_stats *b = &r->metric[CX_M_CAPEX_BURDEN], *v = &r->metric[CX_M_REVENUE_TOTAL];
    switch (h) {
    case CX_H_BURDEN_MEAN: return b->mean;
    case CX_H_BURDEN_P5: return b->pct[1];
    case CX_H_BURDEN_P50: return b->pct[4];
    case CX_H_BURDEN_P95: return b->pct[7];
    case CX_H_BURDEN_CVAR95: return r->burden_cvar95;
    case CX_H_REVENUE_MEAN: return v->mean;
    case CX_H_REVENUE_P50: return v->pct[4];
    default:
        if (h < CX_N_HEADLINE || h >= cx_sections_n_stats(s) || s->n_all == 0)
            return NAN;
        return (double)s->exceed_all[h - CX_N_HEADLINE] / (double)s->n_all;
    }
}

int cx_paired_diff_of(cx_paired_diff *out, const cx_sections *a, const cx_report *ra,
                      const cx_sections *b, const cx_report *rb, int h)
{
    if (a->k != b->k || a->blocks != b->blocks || a->n_all != b->n_all ||
        h >= cx_sections_n_stats(a) || h >= cx_sections_n_stats(b))
        return CX_ERR_RANGE;
    out->diff = cx_sections_full(a, ra, h) - cx_sections_full(b, rb, h);
    out->se = out->lo = out->hi = out->se_unpaired = NAN;
    int k = a->k;
    if (k < 2)
        return 0;
    /* as if unpaired: the two runs' section spreads added */
    double va = 0, vb = 0, ma = 0, mb = 0;
    for (int i = 0; i < k; i++) {
        ma += cx_sections_stat(a, i, h);
        mb += cx_sections_stat(b, i, h);
    }
    ma /= k;
    mb /= k;
    for (int i = 0; i < k; i++) {
        double da = cx_sections_stat(a, i, h) - ma, db = cx_sections_stat(b, i, h) - mb;
        va += da * da;
        vb += db * db;
    }
    out->se_unpaired = sqrt((va + vb) / (k - 1)) / sqrt((double)k);
    /* sd of the section differences (two-pass: the differences are small against the
     * statistics, so no cancellation trouble) */
    double mean = 0, ss = 0;
    for (int i = 0; i < k; i++)
        mean += cx_sections_stat(a, i, h) - cx_sections_stat(b, i, h);
    mean /= k;
    for (int i = 0; i < k; i++) {
        double d = cx_sections_stat(a, i, h) - cx_sections_stat(b, i, h) - mean;
        ss += d * d;
    }
    out->se = sqrt(ss / (k - 1)) / sqrt((double)k);
    double t = gsl_cdf_tdist_Pinv(0.975, (double)(k - 1));
    out->lo = out->diff - t * out->se;
    out->hi = out->diff + t * out->se;
    return 0;
}

int cx_paired_corr(double *out, const cx_sections *a, const cx_sections *b, int metric)
{
    *out = NAN;
    if (a->n_all != b->n_all || (metric != CX_M_CAPEX_BURDEN && metric != CX_M_REVENUE_TOTAL))
        return CX_ERR_RANGE;
    const uint64_t n = a->kept < b->kept ? a->kept : b->kept;
    if (n < 2)
        return 0;
    const bool bu = metric == CX_M_CAPEX_BURDEN;
    const double *x = bu ? a->keep_burden : a->keep_revenue;
    const double *y = bu ? b->keep_burden : b->keep_revenue;
    /* a constant metric (sd 0) has no correlation: NaN, not GSL's 0/0 */
    if (gsl_stats_sd(x, 1, (size_t)n) == 0.0 || gsl_stats_sd(y, 1, (size_t)n) == 0.0)
        return 0;
    *out = gsl_stats_correlation(x, 1, y, 1, (size_t)n);
    return 0;
}

uint64_t cx_paired_corr_paths(const cx_sections *a, const cx_sections *b)
{
    return a->kept < b->kept ? a->kept : b->kept;
}

bool cx_batch_same_inputs(const cx_scenario *a, const cx_scenario *b)
{
    int i = 0, j = 0;
    for (;;) {
        while (i < a->n_inputs && !a->inputs[i].uncertain)
            i++;
        while (j < b->n_inputs && !b->inputs[j].uncertain)
            j++;
        if (i == a->n_inputs || j == b->n_inputs)
            break;
        if (strcmp(a->inputs[i].name, b->inputs[j].name) ||
            a->inputs[i].dist.family != b->inputs[j].dist.family)
            return false;
        i++;
        j++;
    }
    if (i != a->n_inputs || j != b->n_inputs || a->n_corr != b->n_corr)
        return false;
    for (int k = 0; k < a->n_corr; k++)
        if (strcmp(a->inputs[a->corr[k].a].name, b->inputs[b->corr[k].a].name) ||
            strcmp(a->inputs[a->corr[k].b].name, b->inputs[b->corr[k].b].name))
            return false;
    return true;
}
