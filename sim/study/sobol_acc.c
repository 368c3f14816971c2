/* SPDX-License-Identifier: MIT */
/* The Sobol estimator core: running sums per block, batches, indices and CIs. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#if CX_HAVE_OPENMP
#include <omp.h>
#endif

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/engine/engine.h"
#include "sim/rng/pcg.h"
#include "sim/result/report.h"
#include "sim/input/sampler.h"
#include "sim/engine/sampling.h"
#include "sim/result/output.h"
#include "sim/study/sens.h"
#include "sim/study/study_internal.h"
#include "sim/engine/sketch.h"

/* ------------------------------------------------------------------------------------- */
/* Sobol estimator core                                                                   */
/* ------------------------------------------------------------------------------------- */

/*
 * Record layout: n, mean, M2 (Welford over f(A) and f(B)), spare, then per index i with
 * D_i = f(AB_i) - f(A): bd[i] = sum f(B) D_i, dd[i] = sum D_i, tt[i] = sum D_i^2.
 * Saltelli (2010) first order: V_i = E[f(B) D_i] = E[(f(B) - c) D_i] for any constant c,
 * since E[D_i] = 0; with c the mean of f the summand is small where input i does not act
 * (D_i = 0 when the input has no effect), so its noise shrinks with the index instead of
 * staying of order V, as 1 - E[(f(B) - f(AB_i))^2] / 2V (Jansen's first order) does.
 * bd - mean dd is that centred sum. Jansen (1999) total effect: E[D_i^2] / 2V.
 */
enum { R_N, R_MEAN, R_M2, R_HEAD = 4 };

/*
 * Memory bounded whatever N is: records exist for one round of blocks only (the slots);
 * cx_sobol_acc_fold folds them in block order into the total and into the batches, then
 * empties them. Batches: each holds `bsize` consecutive non-empty blocks (bsize = 1, 2, 4,
 * ...); when CX_SOBOL_MAX_BATCHES batches are full and another block arrives, adjacent pairs
 * are combined (bsize doubles), so there are never more than CX_SOBOL_MAX_BATCHES full
 * batches plus the one being filled. Which blocks share a batch depends only on the sequence
 * of non-empty blocks, never on rounds or threads.
 */
struct cx_sobol_acc {
    int d, n_slots;
    size_t stride;   /* doubles per slot record, a multiple of a cache line */
    size_t sz;       /* doubles per record in use: R_HEAD + 3d */
    double *rec;     /* n_slots records */
    double *tot;     /* every folded block */
    double *bat;     /* CX_SOBOL_MAX_BATCHES full batches, then the one being filled */
    int n_full;      /* full batches */
    int cur_blocks;  /* blocks in the batch being filled */
    uint64_t bsize;  /* blocks per full batch */
};

int cx_sobol_acc_new(cx_sobol_acc **out, int d, int n_slots)
{
    *out = NULL;
    if (d < 1 || n_slots < 1)
        return CX_ERR_RANGE;
    cx_sobol_acc *a = calloc(1, sizeof *a);
    if (!a)
        return CX_ERR_NOMEM;
    a->d = d;
    a->n_slots = n_slots;
    a->sz = (size_t)R_HEAD + 3 * (size_t)d;
    size_t per_line = CACHE_LINE / sizeof(double);
    a->stride = (a->sz + per_line - 1) / per_line * per_line;
    size_t bytes = a->stride * sizeof(double) * (size_t)n_slots;
    a->rec = aligned_alloc(CACHE_LINE, bytes);
    a->tot = calloc(a->sz, sizeof(double));
    a->bat = calloc(a->sz * (CX_SOBOL_MAX_BATCHES + 1), sizeof(double));
    if (!a->rec || !a->tot || !a->bat) {
        cx_sobol_acc_free(a);
        return CX_ERR_NOMEM;
    }
    memset(a->rec, 0, bytes);
    a->bsize = 1;
    *out = a;
    return 0;
}

double *cx_sobol_acc_slot(cx_sobol_acc *a, int slot)
{
    return a->rec + (size_t)slot * a->stride;
}

size_t cx_sobol_acc_slot_bytes(const cx_sobol_acc *a)
{
    return a->sz * sizeof(double);
}

void cx_sobol_acc_free(cx_sobol_acc *a)
{
    if (!a)
        return;
    free(a->rec);
    free(a->tot);
    free(a->bat);
    free(a);
}

static void welford(double *r, double v)
{
    r[R_N] += 1.0;
    double delta = v - r[R_MEAN];
    r[R_MEAN] += delta / r[R_N];
    r[R_M2] += delta * (v - r[R_MEAN]);
}

void cx_sobol_acc_add(cx_sobol_acc *a, int slot, double fa, double fb, const double *fab)
{
    double *r = a->rec + (size_t)slot * a->stride;
    welford(r, fa);
    welford(r, fb);
    double *bd = r + R_HEAD, *dd = bd + a->d, *tt = dd + a->d;
    for (int i = 0; i < a->d; i++) {
        double di = fab[i] - fa;
        bd[i] += fb * di;
        dd[i] += di;
        tt[i] += di * di;
    }
}

/* dst += src: Chan et al.'s pairwise combination of (n, mean, M2), plain sums for the rest. */
static void combine(double *dst, const double *src, int d)
{
    double na = dst[R_N], nb = src[R_N];
    if (nb == 0.0)
        return;
    double n = na + nb, delta = src[R_MEAN] - dst[R_MEAN];
    dst[R_MEAN] += delta * nb / n;
    dst[R_M2] += src[R_M2] + delta * delta * na * nb / n;
    dst[R_N] = n;
    for (int i = 0; i < 3 * d; i++)
        dst[R_HEAD + i] += src[R_HEAD + i];
}

/* One non-empty block record into the total and the batches (see the struct). */
static void fold_block(cx_sobol_acc *a, const double *r)
{
    const size_t sz = a->sz;
    combine(a->tot, r, a->d);
    if (a->cur_blocks == 0 && a->n_full == CX_SOBOL_MAX_BATCHES) {
        /* pairs (0,1), (2,3), ... become batches 0, 1, ...: bsize doubles */
        for (int g = 0; g < CX_SOBOL_MAX_BATCHES / 2; g++) {
            double *dst = a->bat + (size_t)g * sz;
            if (g > 0)
                memcpy(dst, a->bat + (size_t)(2 * g) * sz, sz * sizeof(double));
            combine(dst, a->bat + (size_t)(2 * g + 1) * sz, a->d);
        }
        a->n_full = CX_SOBOL_MAX_BATCHES / 2;
        a->bsize *= 2;
        memset(a->bat + (size_t)a->n_full * sz, 0,
               (CX_SOBOL_MAX_BATCHES + 1 - (size_t)a->n_full) * sz * sizeof(double));
    }
    combine(a->bat + (size_t)a->n_full * sz, r, a->d);
    if ((uint64_t)++a->cur_blocks == a->bsize) {
        a->n_full++;
        a->cur_blocks = 0;
    }
}

void cx_sobol_acc_fold(cx_sobol_acc *a, int n)
{
    if (n > a->n_slots)
        n = a->n_slots;
    for (int j = 0; j < n; j++) {
        double *r = a->rec + (size_t)j * a->stride;
        if (r[R_N] > 0.0)
            fold_block(a, r);
        memset(r, 0, a->sz * sizeof(double));
    }
}

/* Point estimates of one combined record; V from the 2n values. */
static void estimate(const double *r, int d, double *s1, double *st)
{
    double samples = r[R_N] / 2.0;
    double v = r[R_N] > 1.0 ? r[R_M2] / (r[R_N] - 1.0) : NAN;
    for (int i = 0; i < d; i++) {
        if (!(v > 0.0)) {
            s1[i] = st[i] = NAN;
            continue;
        }
        const double bd = r[R_HEAD + i], dd = r[R_HEAD + d + i], tt = r[R_HEAD + 2 * d + i];
        s1[i] = (bd - r[R_MEAN] * dd) / (samples * v);
        st[i] = tt / (2.0 * samples * v);
    }
}

void cx_sobol_acc_result(cx_sobol_acc *a, cx_sobol_index *idx, cx_sobol_summary *sum)
{
    cx_sobol_acc_fold(a, a->n_slots);
    const int d = a->d;
    const size_t sz = a->sz;
    memset(sum, 0, sizeof *sum);
    for (int i = 0; i < d; i++)
        idx[i] = (cx_sobol_index){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    /* Batches for the CIs: the full ones, and the one being filled: on its own when it holds
     * at least half a batch, else combined into the last full one (so no batch is smaller
     * than half the others); with no full batch, it is the only one. */
    int k = a->n_full;
    double *bat = malloc(sz * (CX_SOBOL_MAX_BATCHES + 1) * sizeof *bat);
    double *est = malloc((size_t)2 * (size_t)d * (CX_SOBOL_MAX_BATCHES + 2) * sizeof *est);
    if (!bat || !est) {
        free(bat);
        free(est);
        return;
    }
    memcpy(bat, a->bat, sz * (CX_SOBOL_MAX_BATCHES + 1) * sizeof *bat);
    if (a->cur_blocks > 0) {
        if (k == 0 || 2 * (uint64_t)a->cur_blocks >= a->bsize)
            k++;
        else
            combine(bat + (size_t)(k - 1) * sz, bat + (size_t)k * sz, d);
    }
    double *s1 = est + (size_t)k * 2 * (size_t)d, *st = s1 + d;
    estimate(a->tot, d, s1, st);
    sum->n = (uint64_t)(a->tot[R_N] / 2.0);
    sum->mean = a->tot[R_MEAN];
    sum->variance = a->tot[R_N] > 1.0 ? a->tot[R_M2] / (a->tot[R_N] - 1.0) : NAN;
    sum->batches = k >= 2 ? k : 0;
    for (int g = 0; g < k; g++)
        estimate(bat + (size_t)g * sz, d, est + (size_t)g * 2 * (size_t)d,
                 est + (size_t)g * 2 * (size_t)d + d);
    /*
     * Batch means with batches of unequal size N_g (N = sum N_g): each batch estimate e_g has
     * variance ~ sigma^2 / N_g, so sigma^2 ~ sum N_g (e_g - e_w)^2 / (K - 1) with e_w the
     * N_g-weighted mean, and the whole estimate's variance is sigma^2 / N. With equal sizes
     * this is the usual sd(e_g)^2 / K.
     */
    double t = k >= 2 ? gsl_cdf_tdist_Pinv(0.975, (double)(k - 1)) : NAN;
    double n_all = a->tot[R_N] / 2.0;
    for (int i = 0; i < d; i++) {
        cx_sobol_index *x = &idx[i];
        x->s1 = s1[i];
        x->st = st[i];
        if (k < 2)
            continue;
        for (int which = 0; which < 2; which++) {
            double m = 0.0, ss = 0.0;
            for (int g = 0; g < k; g++)
                m += bat[(size_t)g * sz + R_N] / 2.0 *
                     est[(size_t)g * 2 * (size_t)d + (size_t)which * (size_t)d + (size_t)i];
            m /= n_all;
            for (int g = 0; g < k; g++) {
                double e =
                    est[(size_t)g * 2 * (size_t)d + (size_t)which * (size_t)d + (size_t)i] - m;
                ss += bat[(size_t)g * sz + R_N] / 2.0 * e * e;
            }
            double se = sqrt(ss / ((k - 1) * n_all));
            double c = which == 0 ? x->s1 : x->st;
            if (which == 0) {
                x->s1_se = se;
                x->s1_lo = c - t * se;
                x->s1_hi = c + t * se;
            } else {
                x->st_se = se;
                x->st_lo = c - t * se;
                x->st_hi = c + t * se;
            }
        }
    }
    free(bat);
    free(est);
}

/* ---- checkpoints (issue 23) ---- */

void cx_sobol_acc_put(const cx_sobol_acc *a, cx_wbuf *w)
{
    cx_wbuf_u32(w, (uint32_t)a->n_full);
    cx_wbuf_u32(w, (uint32_t)a->cur_blocks);
    cx_wbuf_u64(w, a->bsize);
    cx_wbuf_put(w, a->tot, a->sz * sizeof(double));
    cx_wbuf_put(w, a->bat, a->sz * (CX_SOBOL_MAX_BATCHES + 1) * sizeof(double));
}

const char *cx_sobol_acc_get(cx_sobol_acc *a, cx_rbuf *r, uint64_t blocks, double values,
                             char *why, size_t why_len)
{
    uint32_t n_full = cx_rbuf_u32(r), cur = cx_rbuf_u32(r);
    uint64_t bsize = cx_rbuf_u64(r);
    cx_rbuf_get(r, a->tot, a->sz * sizeof(double));
    cx_rbuf_get(r, a->bat, a->sz * (CX_SOBOL_MAX_BATCHES + 1) * sizeof(double));
    if (r->err)
        return "accumulator";
    /* batches of bsize blocks (a power of two), n_full of them full and cur blocks in the
     * next: every block folded, once */
    if (n_full > CX_SOBOL_MAX_BATCHES || bsize == 0 || bsize > ((uint64_t)1 << 40) ||
        (bsize & (bsize - 1)) || cur >= bsize || n_full * bsize + cur != blocks) {
        cx_set_err(why, why_len, "%u full of %llu blocks and %u, for %llu blocks folded",
                   (unsigned)n_full, (unsigned long long)bsize, (unsigned)cur,
                   (unsigned long long)blocks);
        return "batches";
    }
    double sum = 0.0;
    for (uint32_t g = 0; g <= n_full && g <= CX_SOBOL_MAX_BATCHES; g++)
        sum += a->bat[(size_t)g * a->sz + R_N];
    if (a->tot[R_N] != values || sum != values) {
        cx_set_err(why, why_len, "%.17g values (batches: %.17g), the blocks folded hold %.17g",
                   a->tot[R_N], sum, values);
        return "values counted";
    }
    for (size_t i = 0; i < a->sz * (CX_SOBOL_MAX_BATCHES + 1); i++)
        if (!isfinite(a->bat[i]) || (i < a->sz && !isfinite(a->tot[i]))) {
            cx_set_err(why, why_len, "not finite");
            return "accumulator";
        }
    a->n_full = (int)n_full;
    a->cur_blocks = (int)cur;
    a->bsize = bsize;
    return NULL;
}
