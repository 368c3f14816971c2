/* SPDX-License-Identifier: MIT */
/* Accumulators of per-path results: sketches, exact counts, and block-ordered moments. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sim/engine/accum.h"
#include "sim/base/error.h"

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

void cx_wmoments_add(cx_wmoments *m, double x, double w)
{
    /* West (1979): weighted incremental mean and M2 */
    m->n++;
    double w_new = m->w + w;
    double delta = x - m->mean;
    double r = delta * w / w_new;
    m->mean += r;
    m->m2 += m->w * delta * r;
    m->w = w_new;
}

double cx_wmoments_dev2(const cx_wmoments *m, double c)
{
    double d = m->mean - c;
    return m->m2 + m->w * d * d;
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

int cx_block_moments_keep_values(cx_block_moments *b, int cap)
{
    if (cap < 1) return CX_ERR_RANGE;
    free(b->vals);
    /* not cleared: a block's values are written before they are read (vals_ok) */
    b->vals = malloc((size_t)CX_N_METRICS * (size_t)cap * sizeof *b->vals);
    b->cap = b->vals ? cap : 0;
    b->vals_ok = 0;
    return b->vals ? 0 : CX_ERR_NOMEM;
}

void cx_block_moments_clear(cx_block_moments *b)
{
    free(b->vals);
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
    /* not cleared (3 MB a thread in the engine): a column is written (cx_accum_buf_put)
     * before anything reads it, and the padding is never read */
    b->val = aligned_alloc(64, (size_t)b->n_series * b->stride * sizeof *b->val);
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

/*
 * moments_add_row of rows i .. i + ROWS_AT_ONCE - 1 (stride st apart), side by side: each
 * row's sums take its values in the same order, so the bits are the same, but the rows'
 * chains of dependent additions overlap instead of waiting on each other (a row alone is
 * bound by the latency of one addition a value).
 */
#define ROWS_AT_ONCE 4
static void moments_add_rows(cx_block_moments *bm, int i, const double *x, size_t st, int n)
{
    double k[ROWS_AT_ONCE], s1[ROWS_AT_ONCE], s2[ROWS_AT_ONCE];
    for (int r = 0; r < ROWS_AT_ONCE; r++) {
        k[r] = bm->shift[i + r];
        s1[r] = bm->s1[i + r];
        s2[r] = bm->s2[i + r];
    }
    for (int p = 0; p < n; p++)
        for (int r = 0; r < ROWS_AT_ONCE; r++) {
            double d = x[(size_t)r * st + (size_t)p] - k[r];
            s1[r] += d;
            s2[r] += d * d;
        }
    for (int r = 0; r < ROWS_AT_ONCE; r++) {
        bm->s1[i + r] = s1[r];
        bm->s2[i + r] = s2[r];
    }
}

#if defined(__SSE2__)
/*
 * moments_add_row of rows i .. i + 7, two rows a vector (SSE2, baseline on x86-64): lane r
 * of a vector takes row r's values in path order with the same subtraction, additions and
 * multiplication as moments_add_row, so every row's sums have the same bits; eight rows give
 * four independent chains a path, and half the instructions of scalar code.
 */
#define ROWS_SSE2 8
static void moments_add_rows_sse2(cx_block_moments *bm, int i, const double *x, size_t st,
                                  int n)
{
    __m128d k[4], s1[4], s2[4];
    const double *row[ROWS_SSE2];
    for (int r = 0; r < ROWS_SSE2; r++) row[r] = x + (size_t)r * st;
    for (int v = 0; v < 4; v++) {
        k[v] = _mm_loadu_pd(bm->shift + i + 2 * v);
        s1[v] = _mm_loadu_pd(bm->s1 + i + 2 * v);
        s2[v] = _mm_loadu_pd(bm->s2 + i + 2 * v);
    }
    for (int p = 0; p < n; p++)
        for (int v = 0; v < 4; v++) {
            const __m128d xv = _mm_loadh_pd(_mm_load_sd(row[2 * v] + p), row[2 * v + 1] + p);
            const __m128d d = _mm_sub_pd(xv, k[v]);
            s1[v] = _mm_add_pd(s1[v], d);
            s2[v] = _mm_add_pd(s2[v], _mm_mul_pd(d, d));
        }
    for (int v = 0; v < 4; v++) {
        _mm_storeu_pd(bm->s1 + i + 2 * v, s1[v]);
        _mm_storeu_pd(bm->s2 + i + 2 * v, s2[v]);
    }
}
#endif

static inline void swap_dbl(double *v, int i, int j)
{
    double t = v[i];
    v[i] = v[j];
    v[j] = t;
}

/*
 * Puts at v[k[0]], ..., v[k[nk-1]] (ascending 0-based positions inside [lo, hi)) the values a
 * full ascending sort of v[lo..hi) would put there. Quickselect on several ranks at once with
 * a three-way partition, so runs of equal values (atoms such as 0 or a count) cost one pass.
 * No NaN in v. Recursion only into the left part.
 */
static void select_ranks(double *v, int lo, int hi, const int *k, int nk)
{
    while (nk > 0 && hi - lo > 1) {
        double a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi - 1];
        double p = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        int lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (v[i] < p) swap_dbl(v, lt++, i++);
            else if (v[i] > p) swap_dbl(v, i, --gt);
            else i++;
        }
        int na = 0;
        while (na < nk && k[na] < lt) na++;
        int nb = na;
        while (nb < nk && k[nb] < gt) nb++;
        select_ranks(v, lo, lt, k, na);
        k += nb;
        nk -= nb;
        lo = gt;
    }
}

/* q_out[j] := the q[j]-quantile (rank ceil(m q[j]) among the m non-NaN values) of x[0..n-1];
 * NAN when all are NaN. w: n doubles of scratch. */
static void quantiles_of(const double *x, int n, const double *q, int nq, double *w,
                         double *q_out)
{
    int m = 0;
    for (int p = 0; p < n; p++)
        if (!isnan(x[p])) w[m++] = x[p];
    int k[CX_REP_MAX_Q], order[CX_REP_MAX_Q], nk = 0;
    /* positions in ascending order (levels need not be sorted; equal ranks are fine) */
    for (int j = 0; j < nq; j++) {
        int r = m ? (int)cx_sketch_rank((uint64_t)m, q[j]) - 1 : 0;
        int at = nk++;
        while (at > 0 && k[at - 1] > r) {
            k[at] = k[at - 1];
            order[at] = order[at - 1];
            at--;
        }
        k[at] = r;
        order[at] = j;
    }
    if (m) select_ranks(w, 0, m, k, nk);
    for (int t = 0; t < nk; t++) q_out[order[t]] = m ? w[k[t]] : NAN;
}

void cx_block_moments_add_buf(cx_block_moments *bm, const cx_accum_buf *b, int first, int n)
{
    if (n <= 0) return;
    if (bm->cap) {
        /* a block in several calls (or larger than promised) cannot be kept whole */
        bm->vals_ok = bm->n == 0 && n <= bm->cap;
        if (bm->vals_ok)
            for (int i = 0; i < CX_N_METRICS; i++)
                memcpy(bm->vals + (size_t)i * (size_t)bm->cap,
                       b->val + (size_t)i * b->stride + (size_t)first, (size_t)n * sizeof(double));
    }
    if (bm->n == 0)
        /* the block's first path is the shift of every series (cx_block_moments_add) */
        for (int i = 0; i < b->n_series; i++) {
            double v = b->val[(size_t)i * b->stride + (size_t)first];
            bm->shift[i] = isfinite(v) ? v : 0;
        }
    bm->n += (uint64_t)n;
    const double *row = b->val + (size_t)first;
    int i = 0;
#if defined(__SSE2__)
    for (; i + ROWS_SSE2 <= b->n_series; i += ROWS_SSE2)
        moments_add_rows_sse2(bm, i, row + (size_t)i * b->stride, b->stride, n);
#endif
    for (; i + ROWS_AT_ONCE <= b->n_series; i += ROWS_AT_ONCE)
        moments_add_rows(bm, i, row + (size_t)i * b->stride, b->stride, n);
    for (; i < b->n_series; i++) moments_add_row(bm, i, row + (size_t)i * b->stride, n);
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
    free(a->pool);
    free(a->work);
    cx_breakdown_free(a->bd);
    free(a);
}

int cx_accum_want_breakdown(cx_accum *a, int n_out, const int *input, const int *prob)
{
    cx_breakdown *bd;
    int rc = cx_breakdown_new(&bd, n_out, input, prob, a->relative_error);
    if (rc < 0) return rc;
    cx_breakdown_free(a->bd);
    a->bd = bd;
    return 0;
}

int cx_accum_want_replicates(cx_accum *a, const double *q, int n_q, int block_paths)
{
    if (n_q < 1 || n_q > CX_REP_MAX_Q || block_paths < 1 ||
        block_paths > INT32_MAX / CX_REP_BATCH_BLOCKS)
        return CX_ERR_RANGE;
    for (int j = 0; j < n_q; j++)
        if (!(q[j] > 0 && q[j] < 1)) return CX_ERR_RANGE;
    free(a->pool);
    free(a->work);
    a->batch_cap = CX_REP_BATCH_BLOCKS * block_paths;
    a->pool = malloc((size_t)CX_N_METRICS * (size_t)a->batch_cap * sizeof *a->pool);
    a->work = malloc((size_t)a->batch_cap * sizeof *a->work);
    if (!a->pool || !a->work) {
        free(a->pool);
        free(a->work);
        a->pool = a->work = NULL;
        a->n_rq = 0;
        return CX_ERR_NOMEM;
    }
    memcpy(a->rq, q, (size_t)n_q * sizeof *q);
    a->n_rq = n_q;
    cx_accum_reset(a);
    return 0;
}

int cx_accum_replicate_index(const cx_accum *a, double q)
{
    for (int j = 0; j < a->n_rq; j++)
        if (a->rq[j] == q) return j;
    return -1;
}

void cx_accum_reset(cx_accum *a)
{
    a->paths = 0;
    a->rep_blocks = a->rep_batches = a->rep_batch_paths = 0;
    a->pool_n = a->pool_blocks = 0;
    a->pool_ok = 1;
    memset(a->rep_mean, 0, sizeof a->rep_mean);
    memset(a->rep_q, 0, sizeof a->rep_q);
    for (int i = 0; i < CX_N_METRICS; i++) cx_sketch_reset(a->metric[i]);
    for (int i = 0; i < CX_N_QSERIES * a->n_quarters; i++) cx_sketch_reset(a->quarter[i]);
    memset(a->exceed, 0, (size_t)a->n_thresholds * sizeof *a->exceed);
    memset(a->mom_metric, 0, sizeof a->mom_metric);
    memset(a->mom_quarter, 0, (size_t)(CX_N_QSERIES * a->n_quarters) * sizeof *a->mom_quarter);
    cx_breakdown_reset(a->bd);
}

int cx_accum_merge(cx_accum *dst, const cx_accum *src)
{
    if (dst->n_quarters != src->n_quarters || dst->n_thresholds != src->n_thresholds ||
        !cx_breakdown_same_shape(dst->bd, src->bd))
        return CX_ERR_RANGE;
    int rc;
    for (int i = 0; i < CX_N_METRICS; i++)
        if ((rc = cx_sketch_merge(dst->metric[i], src->metric[i])) < 0) return rc;
    for (int i = 0; i < CX_N_QSERIES * dst->n_quarters; i++)
        if ((rc = cx_sketch_merge(dst->quarter[i], src->quarter[i])) < 0) return rc;
    for (int j = 0; j < dst->n_thresholds; j++) dst->exceed[j] += src->exceed[j];
    if ((rc = cx_breakdown_merge(dst->bd, src->bd)) < 0) return rc;
    dst->paths += src->paths;
    return 0;
}

void cx_accum_merge_block(cx_accum *dst, const cx_block_moments *b)
{
    for (int i = 0; i < CX_N_METRICS; i++) cx_moments_merge(&dst->mom_metric[i], &b->out[i]);
    for (int i = 0; i < CX_N_QSERIES * dst->n_quarters; i++)
        cx_moments_merge(&dst->mom_quarter[i], &b->out[CX_N_METRICS + i]);
    if (!dst->n_rq || b->n == 0) return;
    /* replicates: block means with weight n_b^2 (sim/result/report.c, replicate_se) */
    double w = (double)b->n * (double)b->n;
    dst->rep_blocks++;
    for (int i = 0; i < CX_N_METRICS; i++) cx_wmoments_add(&dst->rep_mean[i], b->out[i].mean, w);
    /* the block's values join the batch being filled */
    int n = (int)b->n;
    if (!b->cap || !b->vals_ok || dst->pool_n + n > dst->batch_cap) {
        dst->pool_ok = 0;
    } else {
        for (int i = 0; i < CX_N_METRICS; i++)
            memcpy(dst->pool + (size_t)i * (size_t)dst->batch_cap + (size_t)dst->pool_n,
                   b->vals + (size_t)i * (size_t)b->cap, (size_t)n * sizeof(double));
        dst->pool_n += n;
    }
    if (++dst->pool_blocks < CX_REP_BATCH_BLOCKS) return;
    /* a full batch: its quantiles, each an estimate from independent paths of the design */
    for (int i = 0; i < CX_N_METRICS; i++) {
        double qv[CX_REP_MAX_Q];
        if (dst->pool_ok)
            quantiles_of(dst->pool + (size_t)i * (size_t)dst->batch_cap, dst->pool_n, dst->rq,
                         dst->n_rq, dst->work, qv);
        for (int j = 0; j < dst->n_rq; j++)
            cx_wmoments_add(&dst->rep_q[i][j], dst->pool_ok ? qv[j] : NAN, 1.0);
    }
    dst->rep_batches++;
    dst->rep_batch_paths += (uint64_t)dst->pool_n;
    dst->pool_n = dst->pool_blocks = 0;
    dst->pool_ok = 1;
}

/* ---- checkpoints and MPI messages (issue 12) ---- */

void cx_moments_serialise(const cx_moments *m, int n, cx_wbuf *w)
{
    for (int i = 0; i < n; i++) {
        cx_wbuf_u64(w, m[i].n);
        cx_wbuf_f64(w, m[i].mean);
        cx_wbuf_f64(w, m[i].m2);
    }
}

int cx_moments_deserialise(cx_moments *m, int n, cx_rbuf *r)
{
    for (int i = 0; i < n; i++) {
        m[i].n = cx_rbuf_u64(r);
        m[i].mean = cx_rbuf_f64(r);
        m[i].m2 = cx_rbuf_f64(r);
        /* M2 may be NaN or infinite when the values are (cx_moments_merge of non-finite
         * values); a negative M2 or state in an empty set cannot come from the merges */
        if (m[i].m2 < 0 || (m[i].n == 0 && (m[i].mean != 0 || m[i].m2 != 0))) {
            if (!r->err) r->err = CX_ERR_RANGE;
        }
    }
    return r->err ? CX_ERR_RANGE : 0;
}

static void wmoments_put(cx_wbuf *w, const cx_wmoments *m)
{
    cx_wbuf_u64(w, m->n);
    cx_wbuf_f64(w, m->w);
    cx_wbuf_f64(w, m->mean);
    cx_wbuf_f64(w, m->m2);
}

static void wmoments_get(cx_rbuf *r, cx_wmoments *m)
{
    m->n = cx_rbuf_u64(r);
    m->w = cx_rbuf_f64(r);
    m->mean = cx_rbuf_f64(r);
    m->m2 = cx_rbuf_f64(r);
}

/*
 * The replicate statistics written after the moments. An accumulator that keeps none takes
 * on the levels written (cx_accum_want_replicates); one that keeps them must keep the same.
 */
static int get_replicates(cx_accum *a, cx_rbuf *r)
{
    uint32_t n_rq = cx_rbuf_u32(r);
    if (r->err || n_rq > CX_REP_MAX_Q) return CX_ERR_RANGE;
    if (n_rq == 0) return a->n_rq == 0 ? 0 : CX_ERR_RANGE;
    double rq[CX_REP_MAX_Q];
    for (uint32_t j = 0; j < n_rq; j++) rq[j] = cx_rbuf_f64(r);
    uint32_t cap = cx_rbuf_u32(r);
    if (r->err || cap == 0 || cap % CX_REP_BATCH_BLOCKS) return CX_ERR_RANGE;
    if (a->n_rq == 0) {
        for (uint32_t j = 0; j < n_rq; j++)
            if (!(rq[j] > 0 && rq[j] < 1)) return CX_ERR_RANGE;
        int rc = cx_accum_want_replicates(a, rq, (int)n_rq, (int)(cap / CX_REP_BATCH_BLOCKS));
        if (rc < 0) return rc;
    }
    if ((uint32_t)a->n_rq != n_rq || (uint32_t)a->batch_cap != cap ||
        memcmp(rq, a->rq, n_rq * sizeof *rq) != 0)
        return CX_ERR_RANGE;
    a->rep_blocks = cx_rbuf_u64(r);
    for (int i = 0; i < CX_N_METRICS; i++) wmoments_get(r, &a->rep_mean[i]);
    uint32_t pool_n = cx_rbuf_u32(r), pool_blocks = cx_rbuf_u32(r);
    uint8_t ok = cx_rbuf_u8(r);
    if (r->err || pool_n > cap || pool_blocks >= CX_REP_BATCH_BLOCKS || ok > 1)
        return CX_ERR_RANGE;
    a->pool_n = (int)pool_n;
    a->pool_blocks = (int)pool_blocks;
    a->pool_ok = ok;
    for (int i = 0; i < CX_N_METRICS; i++)
        cx_rbuf_get(r, a->pool + (size_t)i * cap, (size_t)pool_n * sizeof *a->pool);
    a->rep_batches = cx_rbuf_u64(r);
    a->rep_batch_paths = cx_rbuf_u64(r);
    for (int i = 0; i < CX_N_METRICS; i++)
        for (int j = 0; j < a->n_rq; j++) wmoments_get(r, &a->rep_q[i][j]);
    return r->err ? CX_ERR_RANGE : 0;
}

/* The replicate statistics (cx_accum_want_replicates): levels, block means, the batch being
 * filled (its values), the batch quantiles. First after the shape, so that a reader can take
 * on the levels (which resets the accumulator) before anything else is read. */
static void put_replicates(const cx_accum *a, cx_wbuf *w)
{
    cx_wbuf_u32(w, (uint32_t)a->n_rq);
    if (!a->n_rq) return;
    for (int j = 0; j < a->n_rq; j++) cx_wbuf_f64(w, a->rq[j]);
    cx_wbuf_u32(w, (uint32_t)a->batch_cap);
    cx_wbuf_u64(w, a->rep_blocks);
    for (int i = 0; i < CX_N_METRICS; i++) wmoments_put(w, &a->rep_mean[i]);
    cx_wbuf_u32(w, (uint32_t)a->pool_n);
    cx_wbuf_u32(w, (uint32_t)a->pool_blocks);
    cx_wbuf_u8(w, (uint8_t)(a->pool_ok != 0));
    for (int i = 0; i < CX_N_METRICS; i++)
        cx_wbuf_put(w, a->pool + (size_t)i * (size_t)a->batch_cap,
                    (size_t)a->pool_n * sizeof *a->pool);
    cx_wbuf_u64(w, a->rep_batches);
    cx_wbuf_u64(w, a->rep_batch_paths);
    for (int i = 0; i < CX_N_METRICS; i++)
        for (int j = 0; j < a->n_rq; j++) wmoments_put(w, &a->rep_q[i][j]);
}

void cx_accum_serialise(const cx_accum *a, cx_wbuf *w)
{
    cx_wbuf_u32(w, (uint32_t)a->n_quarters);
    cx_wbuf_u32(w, (uint32_t)a->n_thresholds);
    cx_wbuf_f64(w, a->relative_error);
    for (int j = 0; j < a->n_thresholds; j++) cx_wbuf_f64(w, a->thresholds[j]);
    put_replicates(a, w);
    cx_wbuf_u64(w, a->paths);
    for (int i = 0; i < CX_N_METRICS; i++) cx_sketch_serialise(a->metric[i], w);
    for (int i = 0; i < CX_N_QSERIES * a->n_quarters; i++) cx_sketch_serialise(a->quarter[i], w);
    for (int j = 0; j < a->n_thresholds; j++) cx_wbuf_u64(w, a->exceed[j]);
    cx_moments_serialise(a->mom_metric, CX_N_METRICS, w);
    cx_moments_serialise(a->mom_quarter, CX_N_QSERIES * a->n_quarters, w);
    cx_breakdown_serialise(a->bd, w);
}

int cx_accum_deserialise(cx_accum *a, cx_rbuf *r)
{
    cx_accum_reset(a);
    uint32_t nq = cx_rbuf_u32(r), nt = cx_rbuf_u32(r);
    double alpha = cx_rbuf_f64(r);
    if (r->err || nq != (uint32_t)a->n_quarters || nt != (uint32_t)a->n_thresholds ||
        memcmp(&alpha, &a->relative_error, sizeof alpha) != 0)
        goto bad;
    for (int j = 0; j < a->n_thresholds; j++) {
        double t = cx_rbuf_f64(r);
        if (memcmp(&t, &a->thresholds[j], sizeof t) != 0) goto bad;
    }
    if (get_replicates(a, r) < 0) goto bad;
    a->paths = cx_rbuf_u64(r);
    for (int i = 0; i < CX_N_METRICS; i++)
        if (cx_sketch_deserialise(a->metric[i], r) < 0) goto bad;
    for (int i = 0; i < CX_N_QSERIES * a->n_quarters; i++)
        if (cx_sketch_deserialise(a->quarter[i], r) < 0) goto bad;
    for (int j = 0; j < a->n_thresholds; j++) {
        a->exceed[j] = cx_rbuf_u64(r);
        if (a->exceed[j] > a->paths) goto bad;
    }
    if (cx_moments_deserialise(a->mom_metric, CX_N_METRICS, r) < 0 ||
        cx_moments_deserialise(a->mom_quarter, CX_N_QSERIES * a->n_quarters, r) < 0)
        goto bad;
    if (cx_breakdown_deserialise(&a->bd, r, a->relative_error) < 0) goto bad;
    /* every path is in every sketch, NaN or not */
    for (int c = 0; a->bd && c < a->bd->n_out * CX_BD_N_METRICS; c++)
        if (a->bd->cell[c].n[0] + a->bd->cell[c].n[1] + a->bd->cell[c].bad != a->paths) goto bad;
    for (int i = 0; i < CX_N_METRICS; i++)
        if (a->metric[i]->count + a->metric[i]->nan != a->paths) goto bad;
    if (r->err) goto bad;
    return 0;
bad:
    if (!r->err) r->err = CX_ERR_RANGE;
    cx_accum_reset(a);
    return CX_ERR_RANGE;
}
