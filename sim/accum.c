/* SPDX-License-Identifier: MIT */
/* Accumulators of per-path results: sketches, exact counts, and block-ordered moments. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/accum.h"
#include "sim/error.h"

void cx_moments_merge(cx_moments *dst, const cx_moments *src)
{
    if (src->n == 0) return;
    if (dst->n == 0) {
        *dst = *src;
        return;
    }
    /* Chan, Golub and LeVeque (1979), pairwise update */
    double na = (double)dst->n, nb = (double)src->n, n = na + nb;
    double delta = src->mean - dst->mean;
    dst->mean += delta * (nb / n);
    dst->m2 += src->m2 + delta * delta * (na * nb / n);
    dst->n += src->n;
}

double cx_moments_sd(const cx_moments *m)
{
    if (m->n < 2) return NAN;
    double v = m->m2 / (double)(m->n - 1);
    return sqrt(v > 0 ? v : 0);
}

static void *alloc_lines(size_t bytes)
{
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p) memset(p, 0, bytes ? bytes : 64);
    return p;
}

int cx_block_moments_init(cx_block_moments *b, int n_quarters)
{
    memset(b, 0, sizeof *b);
    b->n_series = CX_N_METRICS + CX_N_QSERIES * n_quarters;
    size_t n = (size_t)b->n_series;
    /* cache-line aligned and padded: slots of a round buffer are written by different threads */
    b->shift = alloc_lines(n * sizeof *b->shift);
    b->s1 = alloc_lines(n * sizeof *b->s1);
    b->s2 = alloc_lines(n * sizeof *b->s2);
    b->out = alloc_lines(n * sizeof *b->out);
    if (!b->shift || !b->s1 || !b->s2 || !b->out) {
        cx_block_moments_clear(b);
        return CX_ERR_NOMEM;
    }
    return 0;
}

void cx_block_moments_clear(cx_block_moments *b)
{
    free(b->shift);
    free(b->s1);
    free(b->s2);
    free(b->out);
    memset(b, 0, sizeof *b);
}

void cx_block_moments_reset(cx_block_moments *b)
{
    size_t n = (size_t)b->n_series;
    b->n = 0;
    memset(b->s1, 0, n * sizeof *b->s1);
    memset(b->s2, 0, n * sizeof *b->s2);
}

static inline void add_one(cx_block_moments *b, int i, double x)
{
    double d = x - b->shift[i];
    b->s1[i] += d;
    b->s2[i] += d * d;
}

void cx_block_moments_add(cx_block_moments *b, const cx_path_result *res, int n_quarters)
{
    if (b->n == 0) {
        /* the block's first path is the shift of every series */
        memcpy(b->shift, res->metric, CX_N_METRICS * sizeof *b->shift);
        for (int s = 0; s < CX_N_QSERIES; s++)
            memcpy(b->shift + CX_N_METRICS + s * n_quarters, res->quarter[s],
                   (size_t)n_quarters * sizeof *b->shift);
        for (int i = 0; i < b->n_series; i++)
            if (!isfinite(b->shift[i])) b->shift[i] = 0;
    }
    b->n++;
    for (int i = 0; i < CX_N_METRICS; i++) add_one(b, i, res->metric[i]);
    for (int s = 0; s < CX_N_QSERIES; s++) {
        int base = CX_N_METRICS + s * n_quarters;
        for (int q = 0; q < n_quarters; q++) add_one(b, base + q, res->quarter[s][q]);
    }
}

int cx_accum_buf_init(cx_accum_buf *b, int n_quarters, int cap)
{
    memset(b, 0, sizeof *b);
    if (n_quarters < 0 || n_quarters > CX_MAX_QUARTERS || cap < 1) return CX_ERR_RANGE;
    b->n_quarters = n_quarters;
    b->n_series = CX_N_METRICS + CX_N_QSERIES * n_quarters;
    b->cap = cap;
    /* whole lines plus one, so that consecutive rows start in different L1 sets */
    b->stride = ((size_t)cap + 7) / 8 * 8 + 8;
    b->val = alloc_lines((size_t)b->n_series * b->stride * sizeof *b->val);
    if (!b->val) {
        cx_accum_buf_clear(b);
        return CX_ERR_NOMEM;
    }
    return 0;
}

void cx_accum_buf_clear(cx_accum_buf *b)
{
    free(b->val);
    memset(b, 0, sizeof *b);
}

/* bm's sums += row i's n values, as cx_block_moments_add would add them path by path. */
static void moments_add_row(cx_block_moments *bm, int i, const double *x, int n)
{
    double k = bm->shift[i], s1 = bm->s1[i], s2 = bm->s2[i];
    for (int p = 0; p < n; p++) {
        double d = x[p] - k;
        s1 += d;
        s2 += d * d;
    }
    bm->s1[i] = s1;
    bm->s2[i] = s2;
}

void cx_block_moments_add_buf(cx_block_moments *bm, const cx_accum_buf *b, int first, int n)
{
    if (n <= 0) return;
    if (bm->n == 0)
        /* the block's first path is the shift of every series (cx_block_moments_add) */
        for (int i = 0; i < b->n_series; i++) {
            double v = b->val[(size_t)i * b->stride + (size_t)first];
            bm->shift[i] = isfinite(v) ? v : 0;
        }
    bm->n += (uint64_t)n;
    for (int i = 0; i < b->n_series; i++)
        moments_add_row(bm, i, b->val + (size_t)i * b->stride + (size_t)first, n);
}

void cx_accum_add_buf(cx_accum *a, cx_accum_buf *b)
{
    const int n = b->n;
    if (n == 0) return;
    a->paths += (uint64_t)n;
    for (int i = 0; i < CX_N_METRICS; i++)
        cx_sketch_add_n(a->metric[i], b->val + (size_t)i * b->stride, (size_t)n);
    for (int i = 0; i < CX_N_QSERIES * a->n_quarters; i++)
        cx_sketch_add_n(a->quarter[i], b->val + (size_t)(CX_N_METRICS + i) * b->stride,
                        (size_t)n);
    const double *burden = b->val + (size_t)CX_M_CAPEX_BURDEN * b->stride;
    for (int j = 0; j < a->n_thresholds; j++) {
        const double t = a->thresholds[j];
        uint64_t c = 0;
        for (int p = 0; p < n; p++) c += burden[p] > t;
        a->exceed[j] += c;
    }
    b->n = 0;
}

void cx_block_moments_finish(cx_block_moments *b)
{
    double n = (double)b->n;
    for (int i = 0; i < b->n_series; i++) {
        cx_moments *o = &b->out[i];
        o->n = b->n;
        if (b->n == 0) {
            o->mean = o->m2 = 0;
            continue;
        }
        double m1 = b->s1[i] / n;
        o->mean = b->shift[i] + m1;
        double m2 = b->s2[i] - b->s1[i] * m1;
        o->m2 = m2 > 0 ? m2 : 0;
    }
}

int cx_accum_new(cx_accum **out, int n_quarters, const double *thresholds, int n_thresholds,
                 double alpha)
{
    *out = NULL;
    if (n_quarters < 0 || n_quarters > CX_MAX_QUARTERS || n_thresholds < 0) return CX_ERR_RANGE;
    cx_accum *a = calloc(1, sizeof *a);
    if (!a) return CX_ERR_NOMEM;
    int rc = CX_ERR_NOMEM;
    a->n_quarters = n_quarters;
    a->n_thresholds = n_thresholds;
    a->relative_error = alpha;
    size_t nq = (size_t)CX_N_QSERIES * (size_t)n_quarters;
    a->thresholds = calloc((size_t)n_thresholds + 1, sizeof *a->thresholds);
    a->exceed = calloc((size_t)n_thresholds + 1, sizeof *a->exceed);
    a->quarter = calloc(nq + 1, sizeof *a->quarter);
    a->mom_quarter = calloc(nq + 1, sizeof *a->mom_quarter);
    if (!a->thresholds || !a->exceed || !a->quarter || !a->mom_quarter) goto fail;
    if (n_thresholds) memcpy(a->thresholds, thresholds, (size_t)n_thresholds * sizeof *thresholds);
    for (int i = 0; i < CX_N_METRICS; i++)
        if ((rc = cx_sketch_new(&a->metric[i], alpha)) < 0) goto fail;
    for (size_t i = 0; i < nq; i++)
        if ((rc = cx_sketch_new(&a->quarter[i], alpha)) < 0) goto fail;
    *out = a;
    return 0;
fail:
    cx_accum_free(a);
    return rc;
}

void cx_accum_free(cx_accum *a)
{
    if (!a) return;
    for (int i = 0; i < CX_N_METRICS; i++) cx_sketch_free(a->metric[i]);
    if (a->quarter)
        for (int i = 0; i < CX_N_QSERIES * a->n_quarters; i++) cx_sketch_free(a->quarter[i]);
    free(a->quarter);
    free(a->thresholds);
    free(a->exceed);
    free(a->mom_quarter);
    free(a);
}

void cx_accum_reset(cx_accum *a)
{
    a->paths = 0;
    for (int i = 0; i < CX_N_METRICS; i++) cx_sketch_reset(a->metric[i]);
    for (int i = 0; i < CX_N_QSERIES * a->n_quarters; i++) cx_sketch_reset(a->quarter[i]);
    memset(a->exceed, 0, (size_t)a->n_thresholds * sizeof *a->exceed);
    memset(a->mom_metric, 0, sizeof a->mom_metric);
    memset(a->mom_quarter, 0, (size_t)(CX_N_QSERIES * a->n_quarters) * sizeof *a->mom_quarter);
}

int cx_accum_merge(cx_accum *dst, const cx_accum *src)
{
    if (dst->n_quarters != src->n_quarters || dst->n_thresholds != src->n_thresholds)
        return CX_ERR_RANGE;
    int rc;
    for (int i = 0; i < CX_N_METRICS; i++)
        if ((rc = cx_sketch_merge(dst->metric[i], src->metric[i])) < 0) return rc;
    for (int i = 0; i < CX_N_QSERIES * dst->n_quarters; i++)
        if ((rc = cx_sketch_merge(dst->quarter[i], src->quarter[i])) < 0) return rc;
    for (int j = 0; j < dst->n_thresholds; j++) dst->exceed[j] += src->exceed[j];
    dst->paths += src->paths;
    return 0;
}

void cx_accum_merge_block(cx_accum *dst, const cx_block_moments *b)
{
    for (int i = 0; i < CX_N_METRICS; i++) cx_moments_merge(&dst->mom_metric[i], &b->out[i]);
    for (int i = 0; i < CX_N_QSERIES * dst->n_quarters; i++)
        cx_moments_merge(&dst->mom_quarter[i], &b->out[CX_N_METRICS + i]);
}
