/* SPDX-License-Identifier: MIT */
/* The outcome breakdown's accumulators: metrics split by each once-per-path outcome. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/error.h"
#include "sim/engine/breakdown.h"

const int cx_bd_metric[CX_BD_N_METRICS] = {CX_M_CAPEX_BURDEN, CX_M_REVENUE_TOTAL,
                                           CX_M_CAPEX_BURDEN_PV, CX_M_REVENUE_TOTAL_PV};

#define FX 0x1p32  /* sums of x and x^2 */
#define FXP 0x1p16 /* block products */

int cx_breakdown_new(cx_breakdown **out, int n_out, const int *input, const int *prob,
                     double alpha)
{
    *out = NULL;
    if (n_out < 1 || n_out > CX_BD_MAX_OUTCOMES) return CX_ERR_RANGE;
    cx_breakdown *bd = calloc(1, sizeof *bd);
    if (!bd) return CX_ERR_NOMEM;
    bd->n_out = n_out;
    bd->alpha = alpha;
    memcpy(bd->input, input, (size_t)n_out * sizeof *input);
    memcpy(bd->prob, prob, (size_t)n_out * sizeof *prob);
    int rc = CX_ERR_NOMEM;
    bd->cell = calloc((size_t)n_out * CX_BD_N_METRICS, sizeof *bd->cell);
    if (!bd->cell) goto fail;
    for (int c = 0; c < n_out * CX_BD_N_METRICS; c++)
        if ((rc = cx_sketch_new(&bd->cell[c].sk, alpha)) < 0) goto fail;
    *out = bd;
    return 0;
fail:
    cx_breakdown_free(bd);
    return rc;
}

void cx_breakdown_free(cx_breakdown *bd)
{
    if (!bd) return;
    for (int c = 0; bd->cell && c < bd->n_out * CX_BD_N_METRICS; c++)
        cx_sketch_free(bd->cell[c].sk);
    free(bd->cell);
    free(bd);
}

void cx_breakdown_reset(cx_breakdown *bd)
{
    if (!bd) return;
    for (int c = 0; c < bd->n_out * CX_BD_N_METRICS; c++) {
        cx_bd_cell *e = &bd->cell[c];
        cx_sketch *sk = e->sk;
        memset(e, 0, sizeof *e);
        e->sk = sk;
        cx_sketch_reset(sk);
    }
}

bool cx_breakdown_same_shape(const cx_breakdown *a, const cx_breakdown *b)
{
    if (!a || !b) return a == b;
    return a->n_out == b->n_out && memcmp(&a->alpha, &b->alpha, sizeof a->alpha) == 0 &&
           memcmp(a->input, b->input, (size_t)a->n_out * sizeof *a->input) == 0 &&
           memcmp(a->prob, b->prob, (size_t)a->n_out * sizeof *a->prob) == 0;
}

void cx_bd_shape_of(cx_bd_shape *s, const cx_scenario *sc)
{
    s->n_out = 0;
    for (int i = 0; i < sc->n_inputs && s->n_out < CX_BD_MAX_OUTCOMES; i++) {
        const cx_input *in = &sc->inputs[i];
        if (!in->outcome || !in->uncertain || in->outcome_p < 0) continue;
        s->input[s->n_out] = i;
        s->prob[s->n_out++] = in->outcome_p;
    }
}

bool cx_breakdown_has_shape(const cx_breakdown *bd, const cx_bd_shape *s)
{
    if (!bd) return s->n_out == 0;
    return bd->n_out == s->n_out &&
           memcmp(bd->input, s->input, (size_t)s->n_out * sizeof *s->input) == 0 &&
           memcmp(bd->prob, s->prob, (size_t)s->n_out * sizeof *s->prob) == 0;
}

long double cx_bd_ld(cx_i128 v, double scale)
{
    /* the high and low parts apart, so that no bits are lost before the division */
    const cx_i128 two64 = (cx_i128)1 << 64;
    cx_i128 hi = v / two64, lo = v % two64;
    return ((long double)hi * 0x1p64L + (long double)lo) / (long double)scale;
}

static cx_i128 fxp(double v)
{
    return (cx_i128)nearbyint(v * FXP);
}

/* A block's total as fixed point (2^-32): the block's double sum, rounded once. */
static cx_i128 fx(double v)
{
    return (cx_i128)nearbyint(v * FX);
}

/* One cell's block from its totals: counts and sums by group, the block products. */
static void add_totals(cx_bd_cell *e, uint64_t nb, uint64_t n1, double s, double q, double s1,
                       double q1)
{
    e->n[1] += n1;
    e->n[0] += nb - n1;
    const cx_i128 fs = fx(s), fs1 = fx(s1), fq = fx(q), fq1 = fx(q1);
    e->s[1] += fs1;
    e->s[0] += fs - fs1;
    e->q[1] += fq1;
    e->q[0] += fq - fq1;
    if (nb == 0) return;
    e->blocks++;
    /* T_b = (n1, S1, S, Q) as the fixed-point values just added, products at 2^-16 */
    const double t[4] = {(double)n1, (double)cx_bd_ld(fs1, FX), (double)cx_bd_ld(fs, FX),
                         (double)cx_bd_ld(fq, FX)};
    int at = 0;
    for (int i = 0; i < 4; i++) {
        for (int j = i; j < 4; j++) e->tt[at++] += fxp(t[i] * t[j]);
        e->nt[i] += fxp((double)nb * t[i]);
    }
    e->nn += (cx_i128)nb * (cx_i128)nb;
}

/* One metric of a block (values in row) into its cells of every outcome (cell k at
 * e[k * CX_BD_N_METRICS]): one pass for the sums in double, in path order (a block's sums
 * depend only on the block), then each outcome's group-1 sketch. */
static void add_metric(const cx_breakdown *bd, cx_bd_cell *e, const double *row, int n,
                       const uint32_t *bits, double *split)
{
    double s = 0, q = 0, s1[CX_BD_MAX_OUTCOMES] = {0}, q1[CX_BD_MAX_OUTCOMES] = {0};
    uint64_t nb = 0, n1[CX_BD_MAX_OUTCOMES] = {0}, bad = 0;
    const int K = bd->n_out;
    for (int p = 0; p < n; p++) {
        const double x = row[p];
        if (!(fabs(x) < CX_BD_MAX_ABS)) {
            bad++;
            continue;
        }
        const double xx = x * x;
        nb++;
        s += x;
        q += xx;
        for (uint32_t b = bits[p]; b; b &= b - 1) {
            const int k = __builtin_ctz(b);
            s1[k] += x;
            q1[k] += xx;
            n1[k]++;
        }
    }
    for (int k = 0; k < K; k++) {
        cx_bd_cell *c = &e[k * CX_BD_N_METRICS];
        c->bad += bad;
        add_totals(c, nb, n1[k], s, q, s1[k], q1[k]);
        /* group 1's sketch: the block's values where the outcome succeeds (NaN and all) */
        int i1 = 0;
        for (int p = 0; p < n; p++) {
            split[i1] = row[p];
            i1 += (int)((bits[p] >> k) & 1u);
        }
        cx_sketch_add_n(c->sk, split, (size_t)i1);
    }
}

void cx_breakdown_add_block(cx_breakdown *bd, const double *rows, size_t stride, int n,
                            const uint32_t *bits, double *split)
{
    for (int j = 0; j < CX_BD_N_METRICS; j++)
        add_metric(bd, &bd->cell[j], rows + (size_t)cx_bd_metric[j] * stride, n, bits, split);
}

int cx_breakdown_merge(cx_breakdown *dst, const cx_breakdown *src)
{
    if (!cx_breakdown_same_shape(dst, src)) return CX_ERR_RANGE;
    if (!dst) return 0;
    for (int c = 0; c < dst->n_out * CX_BD_N_METRICS; c++) {
        cx_bd_cell *d = &dst->cell[c];
        const cx_bd_cell *s = &src->cell[c];
        int rc = cx_sketch_merge(d->sk, s->sk);
        if (rc < 0) return rc;
        for (int g = 0; g < 2; g++) {
            d->n[g] += s->n[g];
            d->s[g] += s->s[g];
            d->q[g] += s->q[g];
        }
        d->bad += s->bad;
        d->blocks += s->blocks;
        for (int i = 0; i < 10; i++) d->tt[i] += s->tt[i];
        for (int i = 0; i < 4; i++) d->nt[i] += s->nt[i];
        d->nn += s->nn;
    }
    return 0;
}

static void put_i128(cx_wbuf *w, cx_i128 v)
{
    unsigned __int128 u = (unsigned __int128)v;
    cx_wbuf_u64(w, (uint64_t)u);
    cx_wbuf_u64(w, (uint64_t)(u >> 64));
}

static cx_i128 get_i128(cx_rbuf *r)
{
    unsigned __int128 lo = cx_rbuf_u64(r), hi = cx_rbuf_u64(r);
    return (cx_i128)(lo | hi << 64);
}

void cx_breakdown_serialise(const cx_breakdown *bd, cx_wbuf *w)
{
    cx_wbuf_u32(w, bd ? (uint32_t)bd->n_out : 0);
    if (!bd) return;
    for (int k = 0; k < bd->n_out; k++) {
        cx_wbuf_u32(w, (uint32_t)bd->input[k]);
        cx_wbuf_u32(w, (uint32_t)bd->prob[k]);
    }
    cx_wbuf_f64(w, bd->alpha);
    for (int c = 0; c < bd->n_out * CX_BD_N_METRICS; c++) {
        const cx_bd_cell *e = &bd->cell[c];
        for (int g = 0; g < 2; g++) {
            cx_wbuf_u64(w, e->n[g]);
            put_i128(w, e->s[g]);
            put_i128(w, e->q[g]);
        }
        cx_sketch_serialise(e->sk, w);
        cx_wbuf_u64(w, e->bad);
        cx_wbuf_u64(w, e->blocks);
        for (int i = 0; i < 10; i++) put_i128(w, e->tt[i]);
        for (int i = 0; i < 4; i++) put_i128(w, e->nt[i]);
        put_i128(w, e->nn);
    }
}

/* A cell's counts must agree with its sketch (group 1's values, finite ones among them). */
static bool cell_ok(const cx_bd_cell *e)
{
    const uint64_t in_sk = e->sk->count + e->sk->nan;
    return e->n[1] <= in_sk && in_sk - e->n[1] <= e->bad && e->q[0] >= 0 && e->q[1] >= 0 &&
           e->nn >= 0;
}

int cx_breakdown_deserialise(cx_breakdown **bd, cx_rbuf *r, double want_alpha)
{
    uint32_t n_out = cx_rbuf_u32(r);
    if (r->err || n_out > CX_BD_MAX_OUTCOMES) return CX_ERR_RANGE;
    if (n_out == 0) return *bd ? CX_ERR_RANGE : 0;
    int input[CX_BD_MAX_OUTCOMES], prob[CX_BD_MAX_OUTCOMES];
    for (uint32_t k = 0; k < n_out; k++) {
        uint32_t a = cx_rbuf_u32(r), b = cx_rbuf_u32(r);
        if (a > INT32_MAX || b > INT32_MAX) return CX_ERR_RANGE;
        input[k] = (int)a;
        prob[k] = (int)b;
    }
    double alpha = cx_rbuf_f64(r);
    if (r->err || memcmp(&alpha, &want_alpha, sizeof alpha) != 0) return CX_ERR_RANGE;
    int rc;
    if (!*bd && (rc = cx_breakdown_new(bd, (int)n_out, input, prob, alpha)) < 0) return rc;
    cx_breakdown *b = *bd;
    if (b->n_out != (int)n_out || memcmp(&alpha, &b->alpha, sizeof alpha) != 0 ||
        memcmp(input, b->input, n_out * sizeof *input) != 0 ||
        memcmp(prob, b->prob, n_out * sizeof *prob) != 0)
        return CX_ERR_RANGE;
    for (int c = 0; c < b->n_out * CX_BD_N_METRICS && !r->err; c++) {
        cx_bd_cell *e = &b->cell[c];
        for (int g = 0; g < 2; g++) {
            e->n[g] = cx_rbuf_u64(r);
            e->s[g] = get_i128(r);
            e->q[g] = get_i128(r);
        }
        if (cx_sketch_deserialise(e->sk, r) < 0) return CX_ERR_RANGE;
        e->bad = cx_rbuf_u64(r);
        e->blocks = cx_rbuf_u64(r);
        for (int i = 0; i < 10; i++) e->tt[i] = get_i128(r);
        for (int i = 0; i < 4; i++) e->nt[i] = get_i128(r);
        e->nn = get_i128(r);
        if (!r->err && !cell_ok(e)) return CX_ERR_RANGE;
    }
    return r->err ? CX_ERR_RANGE : 0;
}

size_t cx_breakdown_bytes_max(int n_out, size_t nb)
{
    const size_t sketch = 96 + 2 * (8 + 8 * nb);
    const size_t cell = 2 * (8 + 32) + sketch + 16 + 15 * 16;
    return 4 + (size_t)n_out * (8 + CX_BD_N_METRICS * cell) + 8;
}
