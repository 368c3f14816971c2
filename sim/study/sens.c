/* SPDX-License-Identifier: MIT */
/* Sensitivity studies: Sobol indices (Saltelli/Jansen), tornado by deciles, --target-ci. */
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
#include "sim/engine/sketch.h"

/*
 * Both drivers follow the engine's shape: paths (or Saltelli rows) are cut into fixed-size
 * blocks; block b draws everything from the stream cx_pcg64_stream(seed, b); threads take
 * blocks dynamically and own all they write (scratch, stream, accumulators). Results cannot
 * depend on which thread ran a block: Sobol keeps one record per block of a round and folds
 * them in block order after the round; the tornado adds integers only (counts, fixed-point sums, sketch counts).
 */

#define CACHE_LINE 64

/* The checks every study makes of its options before it allocates: a known metric and at
 * least one path (`unit` names them in the message). @return 0, or CX_ERR_RANGE with
 * "study: ..." in err. */
static int check_opts(const cx_study_opts *opts, const char *study, const char *unit, char *err,
                      size_t err_len)
{
    if (opts->metric < 0 || opts->metric >= CX_N_METRICS) {
        cx_set_err(err, err_len, "%s: unknown metric", study);
        return CX_ERR_RANGE;
    }
    if (opts->paths == 0) {
        cx_set_err(err, err_len, "%s: the number of %s must be > 0", study, unit);
        return CX_ERR_RANGE;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int thread_count(int requested)
{
#if CX_HAVE_OPENMP
    return requested > 0 ? requested : omp_get_max_threads();
#else
    (void)requested;
    return 1;
#endif
}

static int thread_id(void)
{
#if CX_HAVE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Indices of the uncertain inputs, in input order; returns how many. */
static int uncertain_inputs(const cx_scenario *sc, int *idx)
{
    int d = 0;
    for (int i = 0; i < sc->n_inputs; i++)
        if (sc->inputs[i].uncertain)
            idx[d++] = i;
    return d;
}

/* ------------------------------------------------------------------------------------- */
/* Sobol estimator core                                                                   */
/* ------------------------------------------------------------------------------------- */

/* Record layout: n, mean, M2 (Welford over f(A) and f(B)), spare, d1[d], d2[d]. */
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
    size_t sz;       /* doubles per record in use: R_HEAD + 2d */
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
    a->sz = (size_t)R_HEAD + 2 * (size_t)d;
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
    double *d1 = r + R_HEAD, *d2 = d1 + a->d;
    for (int i = 0; i < a->d; i++) {
        double e1 = fb - fab[i], e2 = fa - fab[i];
        d1[i] += e1 * e1;
        d2[i] += e2 * e2;
    }
}

/* dst += src: Chan et al.'s pairwise combination of (n, mean, M2), plain sums for d1, d2. */
static void combine(double *dst, const double *src, int d)
{
    double na = dst[R_N], nb = src[R_N];
    if (nb == 0.0)
        return;
    double n = na + nb, delta = src[R_MEAN] - dst[R_MEAN];
    dst[R_MEAN] += delta * nb / n;
    dst[R_M2] += src[R_M2] + delta * delta * na * nb / n;
    dst[R_N] = n;
    for (int i = 0; i < 2 * d; i++)
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
        s1[i] = 1.0 - r[R_HEAD + i] / (2.0 * samples * v);
        st[i] = r[R_HEAD + d + i] / (2.0 * samples * v);
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

/* ------------------------------------------------------------------------------------- */
/* Per-thread state shared by both drivers                                                */
/* ------------------------------------------------------------------------------------- */

typedef struct worker {
    cx_scratch *scr;
    gsl_rng *r;
    double *ublock;    /* block_paths x dim uniforms */
    double *ufull;     /* n_inputs: one path's uniforms, fixed inputs at 1/2 */
    double *uab;       /* n_inputs: AB_i */
    double *ub;        /* n_inputs: B */
    double *x;         /* n_inputs */
    double *xb;        /* CX_MODEL_LANES rows of n_inputs: a batch of paths */
    double *um;        /* (n_inputs + 3) rows of n_inputs: one Sobol path's points */
    const cx_pcg64 **noise; /* n_inputs + 3: their noise streams */
    cx_path_result *resb; /* CX_MODEL_LANES */
    cx_pcg32 streams[CX_MODEL_LANES];
    double *work;      /* sampler scratch */
    double *fab;       /* d */
    cx_path_result res;
    /* tornado */
    double *tf;        /* block_paths: the block's metric values, kept until it is whole */
    unsigned char *tlh; /* block_paths x d: bit 0 low decile, bit 1 high decile */
    uint64_t *n;       /* 2d: low, high per input */
    __int128 *sum;     /* 2d + 1 (the last: all paths) */
    cx_sketch **sk;    /* 2d + 1 */
    bool overflow;
    int status;
} worker;

static void worker_free(worker *w, int d)
{
    if (!w)
        return;
    cx_scratch_free(w->scr);
    if (w->r)
        gsl_rng_free(w->r);
    free(w->ublock);
    free(w->ufull);
    free(w->uab);
    free(w->ub);
    free(w->x);
    free(w->xb);
    free(w->um);
    free(w->noise);
    free(w->resb);
    free(w->work);
    free(w->fab);
    free(w->tf);
    free(w->tlh);
    free(w->n);
    free(w->sum);
    if (w->sk)
        for (int i = 0; i < 2 * d + 1; i++)
            cx_sketch_free(w->sk[i]);
    free(w->sk);
    free(w);
}

static int worker_new(worker **out, const cx_scenario *sc, const cx_model *m, int block_paths,
                      int dim, int d, bool tornado)
{
    worker *w = aligned_alloc(CACHE_LINE, (sizeof(worker) + CACHE_LINE - 1) / CACHE_LINE *
                                              CACHE_LINE);
    *out = NULL;
    if (!w)
        return CX_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    size_t ni = (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1);
    int ws = cx_sampler_work_size(sc->sampler);
    int rc = cx_scratch_new(&w->scr, m);
    w->r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    w->ublock = malloc((size_t)block_paths * (size_t)(dim > 0 ? dim : 1) * sizeof(double));
    w->ufull = malloc(ni * sizeof(double));
    w->uab = malloc(ni * sizeof(double));
    w->ub = malloc(ni * sizeof(double));
    w->x = malloc(ni * sizeof(double));
    w->xb = malloc(CX_MODEL_LANES * ni * sizeof(double));
    w->um = malloc((ni + 3) * ni * sizeof(double));
    w->noise = malloc((ni + 3) * sizeof *w->noise);
    w->resb = malloc(CX_MODEL_LANES * sizeof *w->resb);
    w->work = malloc((size_t)(ws > 0 ? ws : 1) * sizeof(double));
    w->fab = malloc((size_t)(d > 0 ? d : 1) * sizeof(double));
    if (rc == 0 && tornado) {
        w->n = calloc((size_t)2 * (size_t)d, sizeof *w->n);
        w->sum = calloc((size_t)2 * (size_t)d + 1, sizeof *w->sum);
        w->sk = calloc((size_t)2 * (size_t)d + 1, sizeof *w->sk);
        w->tf = malloc((size_t)block_paths * sizeof *w->tf);
        w->tlh = malloc((size_t)block_paths * (size_t)d);
        if (!w->n || !w->sum || !w->sk || !w->tf || !w->tlh)
            rc = CX_ERR_NOMEM;
        for (int i = 0; rc == 0 && i < 2 * d + 1; i++)
            rc = cx_sketch_new(&w->sk[i], sc->relative_error > 0 ? sc->relative_error : 0.001);
    }
    if (rc == 0 && (!w->r || !w->ublock || !w->ufull || !w->uab || !w->ub || !w->x || !w->xb || !w->um || !w->noise ||
                    !w->resb ||
                    !w->work || !w->fab))
        rc = CX_ERR_NOMEM;
    if (rc != 0) {
        worker_free(w, d);
        return rc;
    }
    for (size_t i = 0; i < ni; i++)
        w->ufull[i] = w->uab[i] = w->ub[i] = 0.5;
    *out = w;
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Processes (MPI, issue 12): which blocks a rank runs, and what rank 0 receives          */
/* ------------------------------------------------------------------------------------- */

/* The blocks [lo, hi) of n that this rank runs (contiguous shares, sizes within one). */
static void rank_share(const cx_engine_comm *cm, int64_t n, int64_t *lo, int64_t *hi)
{
    const int64_t r = cm ? cm->rank : 0, k = cm ? cm->size : 1;
    *lo = n * r / k;
    *hi = n * (r + 1) / k;
}

/* Whether any rank was stopped (collective); alone, its own flag. */
static bool any_stopped(const cx_engine_comm *cm, bool stopped)
{
    return cm && cm->any ? cm->any(stopped) : stopped;
}

/* Sobol: rank 0 receives the records of the round's blocks [lo, hi) of every other rank
 * (empty records too: the fold skips them), into the same slots. */
static int sobol_gather_round(const cx_engine_comm *cm, cx_sobol_acc *a, int rn)
{
    int64_t lo, hi;
    rank_share(cm, rn, &lo, &hi);
    cx_wbuf w = {0}, all = {0};
    if (cm->rank != 0)
        for (int64_t j = lo; j < hi; j++)
            cx_wbuf_put(&w, a->rec + (size_t)j * a->stride, a->sz * sizeof(double));
    int rc = w.err ? w.err : cm->gather(cm->ctx, &w, &all);
    if (rc == 0 && cm->rank == 0) {
        /* rank 0 sent nothing; rank k's blocks follow in rank order */
        int64_t from, to;
        rank_share(cm, rn, &from, &to);
        size_t off = 0, one = a->sz * sizeof(double);
        for (int64_t j = to; j < rn && rc == 0; j++, off += one) {
            if (off + one > all.n) rc = CX_ERR_INTERNAL;
            else memcpy(a->rec + (size_t)j * a->stride, all.p + off, one);
        }
        if (off != all.n) rc = CX_ERR_INTERNAL;
    }
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&all);
    return rc;
}

/* ------------------------------------------------------------------------------------- */
/* Sobol driver                                                                           */
/* ------------------------------------------------------------------------------------- */

/* f at n_eval points u[e] (rows of w->um) with the noise streams noise[e], in batches of
 * lanes: the same values as one cx_model_path call per point with a copy of its noise. */
static void eval_many(const cx_scenario *sc, const cx_model *m, worker *w, int n_eval,
                      const cx_pcg64 *const *noise, int metric, double *f)
{
    const size_t ni = (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1);
    for (int e0 = 0; e0 < n_eval; e0 += CX_MODEL_LANES) {
        const int nb = n_eval - e0 < CX_MODEL_LANES ? n_eval - e0 : CX_MODEL_LANES;
        for (int i = 0; i < nb; i++) {
            cx_sampler_map(sc->sampler, w->um + (size_t)(e0 + i) * ni, w->xb + (size_t)i * ni,
                           w->work);
            cx_pcg64 nz = *noise[e0 + i];
            cx_model_stream_of_key(&w->streams[i], cx_pcg64_next(&nz));
        }
        cx_model_batch(m, w->xb, ni, nb, w->streams, w->scr, w->resb, NULL);
        for (int i = 0; i < nb; i++)
            f[e0 + i] = w->resb[i].metric[metric];
    }
}

void cx_sobol_report_free(cx_sobol_report *r)
{
    if (!r)
        return;
    free(r->input);
    free(r->idx);
    free(r);
}

int cx_sobol_run(cx_sobol_report **out, const cx_scenario *sc, const cx_model *m,
                 const cx_study_opts *opts, char *err, size_t err_len)
{
    *out = NULL;
    double t0 = now_s();
    int bp = opts->block_paths > 0 ? opts->block_paths : CX_SENS_BLOCK_PATHS;
    int rc = check_opts(opts, "sobol", "base samples", err, err_len);
    if (rc != 0)
        return rc;
    cx_sobol_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return CX_ERR_NOMEM;
    rep->input = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof(int));
    if (!rep->input) {
        cx_sobol_report_free(rep);
        return CX_ERR_NOMEM;
    }
    int d = uncertain_inputs(sc, rep->input);
    if (d == 0) {
        cx_set_err(err, err_len, "sobol: the scenario has no uncertain scalar input");
        cx_sobol_report_free(rep);
        return CX_ERR_RANGE;
    }
    rep->d = d;
    rep->metric = opts->metric;
    rep->seed = opts->seed;
    rep->block_paths = bp;
    rep->sampling = opts->sampling;
    rep->requested = opts->paths;
    rep->idx = calloc((size_t)d + 1, sizeof *rep->idx);
    uint64_t nblocks64 = (opts->paths + (uint64_t)bp - 1) / (uint64_t)bp;
    if (!rep->idx || nblocks64 > (uint64_t)INT32_MAX) {
        cx_sobol_report_free(rep);
        return rep->idx ? CX_ERR_RANGE : CX_ERR_NOMEM;
    }
    int nblocks = (int)nblocks64;
    int nt = thread_count(opts->threads);
    rep->threads = nt;

    cx_sampling_plan *plan = NULL;
    cx_sobol_acc *acc = NULL;
    worker **ws = calloc((size_t)nt, sizeof *ws);
    rc = ws ? 0 : CX_ERR_NOMEM;
    /* A and B are the two halves of one 2d-dimensional point set. */
    if (rc == 0)
        rc = cx_sampling_plan_new(&plan, opts->sampling, false, 2 * d, bp);
    const int round = nblocks < CX_SOBOL_ROUND_BLOCKS ? nblocks : CX_SOBOL_ROUND_BLOCKS;
    if (rc == 0)
        rc = cx_sobol_acc_new(&acc, d + 1, round);
    for (int t = 0; rc == 0 && t < nt; t++)
        rc = worker_new(&ws[t], sc, m, bp, 2 * d, d + 3, false);
    if (rc != 0)
        goto done;

    const int *in = rep->input;
    int metric = opts->metric;
    /* set (relaxed) by whichever thread first sees the interrupt: later blocks are skipped */
    atomic_int stopped = 0;
    /* Rounds of `round` blocks, like the engine's: block b0 + j fills slot j; after the
     * round the slots are folded in block order (one thread), so memory does not grow with
     * the number of blocks and the bits do not depend on the threads or on the round size. */
    const cx_engine_comm *cm = opts->comm && opts->comm->size > 1 ? opts->comm : NULL;
    for (int b0 = 0; b0 < nblocks && !atomic_load(&stopped); b0 += round) {
        const int rn = nblocks - b0 < round ? nblocks - b0 : round;
        int64_t jlo, jhi; /* this rank's blocks of the round (all of them alone) */
        rank_share(cm, rn, &jlo, &jhi);
#if CX_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
        for (int j = (int)jlo; j < (int)jhi; j++) {
            if (atomic_load_explicit(&stopped, memory_order_relaxed) ||
                (opts->interrupt &&
                 atomic_load_explicit(opts->interrupt, memory_order_relaxed))) {
                atomic_store_explicit(&stopped, 1, memory_order_relaxed);
                continue;
            }
            const int b = b0 + j;
            worker *w = ws[thread_id()];
            uint64_t first = (uint64_t)b * (uint64_t)bp;
            int n = (int)(opts->paths - first < (uint64_t)bp ? opts->paths - first : (uint64_t)bp);
            cx_pcg64 g;
            cx_pcg64_stream(&g, opts->seed, (uint64_t)b);
            cx_sampling_fill_block(plan, &g, n, w->ublock);
            for (int k = 0; k < n; k++) {
                /* Ctrl-C within the block (a base sample is d + 3 evaluations): the block's
                 * record is emptied, so it folds as a block that did not run */
                if (opts->interrupt &&
                    atomic_load_explicit(opts->interrupt, memory_order_relaxed)) {
                    atomic_store_explicit(&stopped, 1, memory_order_relaxed);
                    memset(acc->rec + (size_t)j * acc->stride, 0, acc->sz * sizeof(double));
                    break;
                }
                const double *row = w->ublock + (size_t)k * 2 * (size_t)d;
                /* The per-month noise is one more input, drawn like the others: A's stream
                 * for f(A) and every f(AB_i), B's own stream for f(B), and the extra
                 * evaluation f(x_A, noise_B) gives the noise's own indices (index d). */
                cx_pcg64 noise_a, noise_b;
                uint64_t key = cx_pcg64_next(&g);
                cx_pcg64_stream(&noise_a, key, 0);
                cx_pcg64_stream(&noise_b, key, 1);
                for (int i = 0; i < d; i++) {
                    w->ufull[in[i]] = row[i];
                    w->ub[in[i]] = row[d + i];
                }
                /* the d + 3 points of this path, evaluated side by side: AB_0 .. AB_{d-1}
                 * and (A, noise B) in fab[0 .. d], then A and B */
                const size_t ni = (size_t)sc->n_inputs;
                const cx_pcg64 **noise = w->noise;
                for (int i = 0; i < d; i++) {
                    double *u = w->um + (size_t)i * ni;
                    memcpy(u, w->ufull, ni * sizeof(double));
                    u[in[i]] = row[d + i];
                    noise[i] = &noise_a;
                }
                memcpy(w->um + (size_t)d * ni, w->ufull, ni * sizeof(double));
                noise[d] = &noise_b;
                memcpy(w->um + (size_t)(d + 1) * ni, w->ufull, ni * sizeof(double));
                noise[d + 1] = &noise_a;
                memcpy(w->um + (size_t)(d + 2) * ni, w->ub, ni * sizeof(double));
                noise[d + 2] = &noise_b;
                eval_many(sc, m, w, d + 3, noise, metric, w->fab);
                cx_sobol_acc_add(acc, j, w->fab[d + 1], w->fab[d + 2], w->fab);
            }
        }
        if (cm) {
            /* rank 0 folds every rank's records in block order; all stop together */
            if ((rc = sobol_gather_round(cm, acc, rn)) != 0)
                goto done;
            atomic_store(&stopped, any_stopped(cm, atomic_load(&stopped)));
        }
        cx_sobol_acc_fold(acc, rn);
    }
    rep->complete = !atomic_load(&stopped);
    cx_sobol_acc_result(acc, rep->idx, &rep->sum);
    if (cm) {
        /* rank 0's result (the others folded only their own blocks) to every rank */
        if ((rc = cm->bcast(cm->ctx, rep->idx, (size_t)(d + 1) * sizeof *rep->idx)) != 0 ||
            (rc = cm->bcast(cm->ctx, &rep->sum, sizeof rep->sum)) != 0)
            goto done;
    }
    rep->evaluations = rep->sum.n * (uint64_t)(d + 3);

done:
    if (ws)
        for (int t = 0; t < nt; t++)
            worker_free(ws[t], d + 3);
    free(ws);
    cx_sobol_acc_free(acc);
    cx_sampling_plan_free(plan);
    if (rc != 0) {
        cx_set_err(err, err_len, "sobol: %s", cx_strerror(rc));
        cx_sobol_report_free(rep);
        return rc;
    }
    rep->elapsed_s = now_s() - t0;
    *out = rep;
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Tornado                                                                                */
/* ------------------------------------------------------------------------------------- */

/* Fixed-point sums at 2^-32: integer additions, so the total cannot depend on the order of
 * the paths; |x| up to 2^62 and any count below 2^32 paths per 2^30 of magnitude fit. */
#define FX_SCALE 0x1p32

static void fx_add(worker *w, int slot, double v)
{
    if (!(fabs(v) < 0x1p62)) {
        w->overflow = true;
        return;
    }
    w->sum[slot] += (__int128)nearbyint(v * FX_SCALE);
}

static double fx_mean(__int128 s, uint64_t n)
{
    if (n == 0)
        return NAN;
    /* Split so that no precision is lost converting a large __int128 to double. */
    __int128 q = s / (__int128)n, r = s % (__int128)n;
    return ((double)q + (double)r / (double)n) / FX_SCALE;
}

void cx_tornado_thresholds(const cx_dist *dist, double *x_low, double *x_high)
{
    *x_low = cx_dist_quantile(dist, 0.1);
    *x_high = cx_dist_quantile(dist, nextafter(0.9, 1.0));
}

void cx_tornado_report_free(cx_tornado_report *r)
{
    if (!r)
        return;
    free(r->rows);
    free(r);
}

/* Median of a metric's sketch: an exact integer for integer-valued metrics. */
static double p50(const cx_sketch *sk, int metric)
{
    return cx_report_metric_at_rank(sk, metric, cx_sketch_rank(cx_sketch_count(sk), 0.5));
}

static int row_cmp(const void *pa, const void *pb)
{
    const cx_tornado_row *a = pa, *b = pb;
    bool na = isnan(a->swing), nb = isnan(b->swing);
    if (na != nb)
        return na ? 1 : -1;
    if (!na && a->swing != b->swing)
        return a->swing > b->swing ? -1 : 1;
    return (a->input > b->input) - (a->input < b->input);
}

/* A worker's tornado state as bytes: overflow, counts, fixed-point sums, sketches. */
static void tornado_put(cx_wbuf *w, const worker *x, int d)
{
    cx_wbuf_u8(w, x->overflow);
    cx_wbuf_put(w, x->n, (size_t)2 * (size_t)d * sizeof *x->n);
    cx_wbuf_put(w, x->sum, ((size_t)2 * (size_t)d + 1) * sizeof *x->sum);
    for (int i = 0; i < 2 * d + 1; i++)
        cx_sketch_serialise(x->sk[i], w);
}

/* tornado_put's bytes added to x (as += for counts and sums; tmp: a worker for the bytes). */
static int tornado_add(cx_rbuf *r, worker *x, worker *tmp, int d)
{
    tmp->overflow = cx_rbuf_u8(r) != 0;
    cx_rbuf_get(r, tmp->n, (size_t)2 * (size_t)d * sizeof *tmp->n);
    cx_rbuf_get(r, tmp->sum, ((size_t)2 * (size_t)d + 1) * sizeof *tmp->sum);
    int rc = 0;
    for (int i = 0; i < 2 * d + 1 && rc == 0; i++)
        if ((rc = cx_sketch_deserialise(tmp->sk[i], r)) == 0)
            rc = cx_sketch_merge(x->sk[i], tmp->sk[i]);
    if (r->err || rc != 0)
        return CX_ERR_INTERNAL;
    x->overflow |= tmp->overflow;
    for (int i = 0; i < 2 * d + 1; i++) {
        if (i < 2 * d)
            x->n[i] += tmp->n[i];
        x->sum[i] += tmp->sum[i];
    }
    return 0;
}

/* Every rank's merged worker into rank 0's, then rank 0's total to every rank. */
static int tornado_share(const cx_engine_comm *cm, worker *w0, int d, const cx_scenario *sc,
                         const cx_model *m)
{
    cx_wbuf w = {0}, all = {0};
    worker *tmp = NULL;
    int rc = 0;
    if (cm->rank != 0)
        tornado_put(&w, w0, d);
    else if ((rc = worker_new(&tmp, sc, m, 1, 1, d, true)) != 0)
        return rc; /* MPI ends the job when a rank leaves its collectives */
    if (rc == 0)
        rc = w.err ? w.err : cm->gather(cm->ctx, &w, &all);
    if (rc == 0 && cm->rank == 0) {
        cx_rbuf r;
        cx_rbuf_init(&r, all.p, all.n);
        while (rc == 0 && cx_rbuf_left(&r) > 0)
            rc = tornado_add(&r, w0, tmp, d);
        cx_wbuf_clear(&w);
        tornado_put(&w, w0, d);
    }
    uint64_t n = w.err ? 0 : w.n;
    if (rc == 0)
        rc = cm->bcast(cm->ctx, &n, sizeof n);
    if (rc == 0 && cm->rank != 0) {
        cx_wbuf_clear(&w);
        unsigned char *p = malloc(n ? n : 1);
        if (!p)
            rc = CX_ERR_NOMEM;
        w.p = p;
        w.n = w.cap = n;
    }
    if (rc == 0)
        rc = cm->bcast(cm->ctx, w.p, n);
    if (rc == 0 && cm->rank != 0) {
        /* replace this rank's state with rank 0's total */
        memset(w0->n, 0, (size_t)2 * (size_t)d * sizeof *w0->n);
        memset(w0->sum, 0, ((size_t)2 * (size_t)d + 1) * sizeof *w0->sum);
        w0->overflow = false;
        for (int i = 0; i < 2 * d + 1; i++)
            cx_sketch_reset(w0->sk[i]);
        if ((rc = worker_new(&tmp, sc, m, 1, 1, d, true)) == 0) {
            cx_rbuf r;
            cx_rbuf_init(&r, w.p, w.n);
            rc = tornado_add(&r, w0, tmp, d);
            if (rc == 0 && cx_rbuf_left(&r))
                rc = CX_ERR_INTERNAL;
        }
    }
    worker_free(tmp, d);
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&all);
    return rc;
}

int cx_tornado_run(cx_tornado_report **out, const cx_scenario *sc, const cx_model *m,
                   const cx_study_opts *opts, char *err, size_t err_len)
{
    *out = NULL;
    double t0 = now_s();
    int bp = opts->block_paths > 0 ? opts->block_paths : CX_SENS_BLOCK_PATHS;
    int rc = check_opts(opts, "tornado", "paths", err, err_len);
    if (rc != 0)
        return rc;
    int *in = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof(int));
    cx_tornado_report *rep = calloc(1, sizeof *rep);
    if (!in || !rep) {
        free(in);
        free(rep);
        return CX_ERR_NOMEM;
    }
    int d = uncertain_inputs(sc, in);
    if (d == 0) {
        cx_set_err(err, err_len, "tornado: the scenario has no uncertain scalar input");
        free(in);
        free(rep);
        return CX_ERR_RANGE;
    }
    uint64_t nblocks64 = (opts->paths + (uint64_t)bp - 1) / (uint64_t)bp;
    int nt = thread_count(opts->threads);
    rep->d = d;
    rep->metric = opts->metric;
    rep->seed = opts->seed;
    rep->threads = nt;
    rep->block_paths = bp;
    rep->sampling = opts->sampling;
    rep->antithetic = opts->antithetic;
    rep->requested = opts->paths;
    rep->rows = calloc((size_t)d, sizeof *rep->rows);
    double *thr = malloc((size_t)2 * (size_t)d * sizeof *thr);
    cx_sampling_plan *plan = NULL;
    worker **ws = calloc((size_t)nt, sizeof *ws);
    cx_sketch *all = NULL;
    rc = (rep->rows && thr && ws) ? 0 : CX_ERR_NOMEM;
    if (rc == 0)
        rc = cx_sampling_plan_new(&plan, opts->sampling, opts->antithetic, d, bp);
    for (int t = 0; rc == 0 && t < nt; t++)
        rc = worker_new(&ws[t], sc, m, bp, d, d, true);
    if (rc != 0)
        goto done;
    for (int k = 0; k < d; k++)
        cx_tornado_thresholds(&sc->inputs[in[k]].dist, &thr[2 * k], &thr[2 * k + 1]);

    bool block_u = cx_sampling_plan_needs_block(plan);
    int metric = opts->metric;
    /* set (relaxed) by whichever thread first sees the interrupt: later blocks are skipped */
    atomic_int stopped = 0;
    const cx_engine_comm *cm = opts->comm && opts->comm->size > 1 ? opts->comm : NULL;
    int64_t blo, bhi; /* this rank's blocks (all of them alone) */
    rank_share(cm, (int64_t)nblocks64, &blo, &bhi);
#if CX_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
    for (int64_t b = blo; b < bhi; b++) {
        if (atomic_load_explicit(&stopped, memory_order_relaxed) ||
            (opts->interrupt && atomic_load_explicit(opts->interrupt, memory_order_relaxed))) {
            atomic_store_explicit(&stopped, 1, memory_order_relaxed);
            continue;
        }
        worker *w = ws[thread_id()];
        uint64_t first = (uint64_t)b * (uint64_t)bp;
        int n = (int)(opts->paths - first < (uint64_t)bp ? opts->paths - first : (uint64_t)bp);
        cx_pcg64 *g = cx_rng_pcg64(w->r);
        cx_pcg64_stream(g, opts->seed, (uint64_t)b);
        if (block_u)
            cx_sampling_fill_block(plan, g, n, w->ublock);
        /* in batches of paths side by side (cx_model_batch); each path draws its inputs,
         * then one output that keys its model stream, as cx_model_path would */
        const size_t ni = (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1);
        bool whole = true;
        for (int p0 = 0; p0 < n; p0 += CX_MODEL_LANES) {
            /* Ctrl-C within the block: it is dropped whole (nothing of it was counted) */
            if (opts->interrupt && atomic_load_explicit(opts->interrupt, memory_order_relaxed)) {
                atomic_store_explicit(&stopped, 1, memory_order_relaxed);
                whole = false;
                break;
            }
            const int nb = n - p0 < CX_MODEL_LANES ? n - p0 : CX_MODEL_LANES;
            for (int i = 0; i < nb; i++) {
                double *x = w->xb + (size_t)i * ni;
                if (block_u) {
                    const double *row = w->ublock + (size_t)(p0 + i) * (size_t)d;
                    for (int k = 0; k < d; k++)
                        w->ufull[in[k]] = row[k];
                    cx_sampler_map(sc->sampler, w->ufull, x, w->work);
                } else {
                    cx_sampler_draw(sc->sampler, w->r, x, w->work);
                }
                cx_model_stream_of_key(&w->streams[i], cx_pcg64_next(g));
            }
            cx_model_batch(m, w->xb, ni, nb, w->streams, w->scr, w->resb, NULL);
            for (int i = 0; i < nb; i++) {
                const double *x = w->xb + (size_t)i * ni;
                unsigned char *lh = w->tlh + (size_t)(p0 + i) * (size_t)d;
                w->tf[p0 + i] = w->resb[i].metric[metric];
                for (int k = 0; k < d; k++) {
                    double xv = x[in[k]];
                    lh[k] = (unsigned char)((xv <= thr[2 * k]) | (xv >= thr[2 * k + 1]) << 1);
                }
            }
        }
        /* the whole block into the thread's sums and sketches (integer state: any order) */
        for (int i = 0; whole && i < n; i++) {
            const double f = w->tf[i];
            const unsigned char *lh = w->tlh + (size_t)i * (size_t)d;
            fx_add(w, 2 * d, f);
            cx_sketch_add(w->sk[2 * d], f);
            for (int k = 0; k < d; k++) {
                if (lh[k] & 1) {
                    w->n[2 * k]++;
                    fx_add(w, 2 * k, f);
                    cx_sketch_add(w->sk[2 * k], f);
                }
                if (lh[k] & 2) {
                    w->n[2 * k + 1]++;
                    fx_add(w, 2 * k + 1, f);
                    cx_sketch_add(w->sk[2 * k + 1], f);
                }
            }
        }
    }
    rep->complete = !atomic_load(&stopped);

    /* Merge into thread 0's accumulators: integer additions only. */
    worker *w0 = ws[0];
    for (int t = 1; t < nt && rc == 0; t++) {
        w0->overflow |= ws[t]->overflow;
        for (int s = 0; s < 2 * d + 1 && rc == 0; s++) {
            if (s < 2 * d)
                w0->n[s] += ws[t]->n[s];
            w0->sum[s] += ws[t]->sum[s];
            rc = cx_sketch_merge(w0->sk[s], ws[t]->sk[s]);
        }
    }
    if (rc != 0)
        goto done;
    if (cm) {
        /* integer state: every rank's into rank 0's, then rank 0's to all (any order) */
        if ((rc = tornado_share(cm, w0, d, sc, m)) != 0)
            goto done;
        rep->complete = !any_stopped(cm, !rep->complete);
    }
    all = w0->sk[2 * d];
    rep->paths = cx_sketch_count(all) + all->nan;
    rep->mean = w0->overflow ? NAN : fx_mean(w0->sum[2 * d], rep->paths);
    rep->p50 = p50(all, metric);
    for (int k = 0; k < d; k++) {
        cx_tornado_row *row = &rep->rows[k];
        row->input = in[k];
        row->x_low = thr[2 * k];
        row->x_high = thr[2 * k + 1];
        row->n_low = w0->n[2 * k];
        row->n_high = w0->n[2 * k + 1];
        row->mean_low = w0->overflow ? NAN : fx_mean(w0->sum[2 * k], row->n_low);
        row->mean_high = w0->overflow ? NAN : fx_mean(w0->sum[2 * k + 1], row->n_high);
        row->p50_low = p50(w0->sk[2 * k], metric);
        row->p50_high = p50(w0->sk[2 * k + 1], metric);
        row->swing = fabs(row->mean_high - row->mean_low);
    }
    qsort(rep->rows, (size_t)d, sizeof *rep->rows, row_cmp);

done:
    if (ws)
        for (int t = 0; t < nt; t++)
            worker_free(ws[t], d);
    free(ws);
    free(thr);
    free(in);
    cx_sampling_plan_free(plan);
    if (rc != 0) {
        cx_set_err(err, err_len, "tornado: %s", cx_strerror(rc));
        cx_tornado_report_free(rep);
        return rc;
    }
    rep->elapsed_s = now_s() - t0;
    *out = rep;
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* JSON and CSV                                                                           */
/* ------------------------------------------------------------------------------------- */

/* jansson refuses NaN and infinities: they become null. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *header(const char *study, const cx_scenario *sc, int metric, uint64_t seed,
                      int threads, int block_paths, cx_sampling sampling, double elapsed,
                      bool complete)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:s, s:s, s:o, s:b}", "study", study,
                     "scenario", sc->name ? sc->name : "", "scenario_sha256", sc->sha256,
                     "metric", cx_metric_names[metric], "seed", (json_int_t)seed, "threads",
                     threads, "block_paths", block_paths, "sampling",
                     cx_sampling_names[sampling], "version", CX_VERSION, "elapsed_s",
                     num(elapsed), "complete", complete);
}

json_t *cx_sobol_report_json(const cx_sobol_report *r, const cx_scenario *sc)
{
    json_t *j = header("sobol", sc, r->metric, r->seed, r->threads, r->block_paths, r->sampling,
                       r->elapsed_s, r->complete);
    json_t *arr = json_array();
    if (!j || !arr) {
        json_decref(j);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(j, "base_samples", json_integer((json_int_t)r->sum.n));
    json_object_set_new(j, "base_samples_requested", json_integer((json_int_t)r->requested));
    json_object_set_new(j, "evaluations", json_integer((json_int_t)r->evaluations));
    json_object_set_new(j, "mean", num(r->sum.mean));
    json_object_set_new(j, "variance", num(r->sum.variance));
    json_object_set_new(j, "ci_batches", json_integer(r->sum.batches));
    json_object_set_new(
        j, "note",
        json_string("Jansen estimators on Saltelli samples; 95% CIs from batch means over "
                    "independent blocks. Swaps act on the independent uniforms before the "
                    "copula: for correlated inputs an index measures the input's own "
                    "Cholesky factor (the part not explained by correlated inputs earlier in "
                    "input order). The per-month randomness of a path (price shocks, "
                    "arrivals, cancellations) is treated as one more input, listed last as "
                    "\"(per-month noise)\"."));
    for (int i = 0; i <= r->d; i++) {
        const cx_sobol_index *x = &r->idx[i];
        json_t *o = json_pack("{s:s, s:o, s:o, s:[o,o], s:o, s:o, s:[o,o]}", "input",
                              i < r->d ? sc->inputs[r->input[i]].name : CX_SOBOL_NOISE_NAME, "s1", num(x->s1), "s1_se",
                              num(x->s1_se), "s1_ci95", num(x->s1_lo), num(x->s1_hi), "st",
                              num(x->st), "st_se", num(x->st_se), "st_ci95", num(x->st_lo),
                              num(x->st_hi));
        if (o)
            json_array_append_new(arr, o);
    }
    json_object_set_new(j, "indices", arr);
    return j;
}

json_t *cx_tornado_report_json(const cx_tornado_report *r, const cx_scenario *sc)
{
    json_t *j = header("tornado", sc, r->metric, r->seed, r->threads, r->block_paths,
                       r->sampling, r->elapsed_s, r->complete);
    json_t *arr = json_array();
    if (!j || !arr) {
        json_decref(j);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(j, "paths", json_integer((json_int_t)r->paths));
    json_object_set_new(j, "paths_requested", json_integer((json_int_t)r->requested));
    json_object_set_new(j, "antithetic", json_boolean(r->antithetic));
    json_object_set_new(j, "mean", num(r->mean));
    json_object_set_new(j, "p50", num(r->p50));
    for (int i = 0; i < r->d; i++) {
        const cx_tornado_row *x = &r->rows[i];
        json_t *o = json_pack(
            "{s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "input",
            sc->inputs[x->input].name, "x_low", num(x->x_low), "x_high", num(x->x_high),
            "n_low", (json_int_t)x->n_low, "n_high", (json_int_t)x->n_high, "mean_low",
            num(x->mean_low), "mean_high", num(x->mean_high), "p50_low", num(x->p50_low),
            "p50_high", num(x->p50_high), "swing", num(x->swing));
        if (o)
            json_array_append_new(arr, o);
    }
    json_object_set_new(j, "tornado", arr);
    return j;
}

/* Opens a temporary file next to path; *tmp receives its name (caller frees). */
static FILE *open_tmp(const char *path, char **tmp)
{
    *tmp = cx_file_tmp_template(path); /* short name in path's folder (issue 11) */
    if (!*tmp)
        return NULL;
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        free(*tmp);
        *tmp = NULL;
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    return f;
}

/* Closes f and renames tmp to path, or removes tmp when anything failed. */
static int close_tmp(FILE *f, char *tmp, const char *path, bool ok)
{
    ok = !ferror(f) && ok;
    ok = (fclose(f) == 0) && ok;
    ok = ok && cx_file_replaceable(path); /* never onto a link, FIFO or device */
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? 0 : CX_ERR_IO;
}

int cx_sens_write_json(const json_t *j, const char *path)
{
    char *tmp;
    FILE *f = open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    bool ok = json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) == 0;
    ok = fputc('\n', f) != EOF && ok;
    return close_tmp(f, tmp, path, ok);
}

int cx_sobol_report_csv(const cx_sobol_report *r, const cx_scenario *sc, const char *path)
{
    char *tmp;
    FILE *f = open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    fprintf(f, "input,s1,s1_se,s1_lo,s1_hi,st,st_se,st_lo,st_hi,complete\n");
    for (int i = 0; i <= r->d; i++) {
        const cx_sobol_index *x = &r->idx[i];
        fprintf(f, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n",
                i < r->d ? sc->inputs[r->input[i]].name : CX_SOBOL_NOISE_NAME, x->s1,
                x->s1_se, x->s1_lo, x->s1_hi, x->st, x->st_se, x->st_lo, x->st_hi,
                r->complete ? "true" : "false");
    }
    return close_tmp(f, tmp, path, true);
}

int cx_tornado_report_csv(const cx_tornado_report *r, const cx_scenario *sc, const char *path)
{
    char *tmp;
    FILE *f = open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    fprintf(f, "rank,input,x_low,x_high,n_low,n_high,mean_low,mean_high,p50_low,p50_high,"
               "swing,complete\n");
    for (int i = 0; i < r->d; i++) {
        const cx_tornado_row *x = &r->rows[i];
        fprintf(f, "%d,%s,%.17g,%.17g,%llu,%llu,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n", i + 1,
                sc->inputs[x->input].name, x->x_low, x->x_high, (unsigned long long)x->n_low,
                (unsigned long long)x->n_high, x->mean_low, x->mean_high, x->p50_low,
                x->p50_high, x->swing, r->complete ? "true" : "false");
    }
    return close_tmp(f, tmp, path, true);
}

/* ------------------------------------------------------------------------------------- */
/* --target-ci                                                                            */
/* ------------------------------------------------------------------------------------- */

int cx_target_ci_parse(cx_target_ci *t, const char *text, char *err, size_t err_len)
{
    const char *c2 = strrchr(text, ':');
    const char *c1 = NULL;
    for (const char *p = text; c2 && p < c2; p++)
        if (*p == ':')
            c1 = p;
    if (!c1 || !c2) {
        cx_set_err(err, err_len, "--target-ci: expected METRIC:Q:REL (e.g. capex_burden:0.95:0.01), "
                              "got '%s'", text);
        return CX_ERR_USAGE;
    }
    char name[64];
    size_t nl = (size_t)(c1 - text);
    if (nl == 0 || nl >= sizeof name) {
        cx_set_err(err, err_len, "--target-ci: bad metric name in '%s'", text);
        return CX_ERR_USAGE;
    }
    memcpy(name, text, nl);
    name[nl] = '\0';
    t->metric = cx_metric_find(name);
    if (t->metric < 0) {
        cx_set_err(err, err_len, "--target-ci: unknown metric '%s'", name);
        return CX_ERR_USAGE;
    }
    char q_text[64];
    size_t ql = (size_t)(c2 - c1 - 1);
    if (ql == 0 || ql >= sizeof q_text) {
        cx_set_err(err, err_len, "--target-ci: bad quantile in '%s'", text);
        return CX_ERR_USAGE;
    }
    memcpy(q_text, c1 + 1, ql);
    q_text[ql] = '\0';
    char *end;
    errno = 0;
    t->q = strtod(q_text, &end);
    if (errno || *end || !(t->q > 0.0 && t->q < 1.0)) {
        cx_set_err(err, err_len, "--target-ci: the quantile must be a number in (0, 1), got '%s'",
                q_text);
        return CX_ERR_USAGE;
    }
    errno = 0;
    t->rel = strtod(c2 + 1, &end);
    if (errno || *end || c2[1] == '\0' || !(t->rel > 0.0) || !isfinite(t->rel)) {
        cx_set_err(err, err_len, "--target-ci: REL must be a number > 0, got '%s'", c2 + 1);
        return CX_ERR_USAGE;
    }
    return 0;
}

void cx_target_ci_ranks(uint64_t n, double q, uint64_t *lo, uint64_t *hi)
{
    double nq = (double)n * q, h = 1.96 * sqrt(nq * (1.0 - q));
    double l = floor(nq - h), u = ceil(nq + h);
    *lo = l < 1.0 ? 1 : (uint64_t)l;
    *hi = u > (double)n ? n : (uint64_t)u;
}

bool cx_target_ci_met(const cx_sketch *sk, const cx_target_ci *t, double *value, double *lo,
                      double *hi)
{
    uint64_t n = cx_sketch_count(sk);
    double v = cx_report_metric_at_rank(sk, t->metric, cx_sketch_rank(n, t->q));
    double nq = (double)n * t->q, h = 1.96 * sqrt(nq * (1.0 - t->q));
    uint64_t rl, rh;
    cx_target_ci_ranks(n, t->q, &rl, &rh);
    /* the same interval as the report's (bucket edges: report.c, metric_stats) */
    double a, b, x;
    cx_report_metric_bounds_at_rank(sk, t->metric, rl, &a, &x);
    cx_report_metric_bounds_at_rank(sk, t->metric, rh, &x, &b);
    if (value)
        *value = v;
    if (lo)
        *lo = a;
    if (hi)
        *hi = b;
    /* An interval clipped at rank 1 or n is not a 95% interval yet: keep going. */
    if (n == 0 || nq - h < 1.0 || nq + h > (double)n)
        return false;
    return b - a < t->rel * fabs(v);
}

bool cx_target_ci_met_accum(const cx_accum *acc, const cx_target_ci *t, double *value,
                            double *lo, double *hi)
{
    double v, a, b;
    bool full = cx_report_quantile_ci(acc, t->metric, t->q, &v, &a, &b);
    if (value) *value = v;
    if (lo) *lo = a;
    if (hi) *hi = b;
    return full && b - a < t->rel * fabs(v);
}

bool cx_target_ci_stop(void *ctx, const cx_engine_progress *p)
{
    const cx_target_ci *t = ctx;
    return p->accum && cx_target_ci_met_accum(p->accum, t, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------------------------- */
/* Sweeps                                                                                 */
/* ------------------------------------------------------------------------------------- */

int cx_sens_engine_run(cx_run **run, const cx_scenario *sc, const cx_engine_opts *opts,
                       cx_sampling sampling, bool antithetic, char *err, size_t err_len)
{
    *run = NULL;
    cx_model *m = NULL;
    cx_sampling_source *ss = NULL;
    cx_input_source src;
    cx_engine_opts o = *opts;
    int rc = cx_model_new(&m, sc, err, err_len);
    if (rc != 0)
        return rc;
    if (sampling != CX_SAMPLING_MC || antithetic) {
        rc = cx_sampling_source_new(&ss, &src, sc, sampling, antithetic, CX_BLOCK_PATHS);
        o.source = &src;
        /* blocks are the independent replicates of the error bars (sim/result/report.c) */
        if (o.n_rep_q == 0) o.n_rep_q = cx_report_replicate_levels(o.rep_q, NAN);
    }
    if (rc == 0)
        rc = cx_engine_run(run, sc, m, &o);
    if (rc != 0)
        cx_set_err(err, err_len, "%s", cx_strerror(rc));
    cx_sampling_source_free(ss);
    cx_model_free(m);
    return rc;
}

void cx_sweep_report_free(cx_sweep_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_points; i++)
        cx_report_free(r->pt[i].report);
    free(r->pt);
    free(r);
}

int cx_sweep_run(cx_sweep_report **out, const cx_scenario *sc, const cx_engine_opts *base,
                 cx_sampling sampling, bool antithetic, char *err, size_t err_len)
{
    *out = NULL;
    if (sc->n_sweep < 1 || sc->n_sweep > 2) {
        cx_set_err(err, err_len, "%s: no sweep group (sweep = { inputs = ( { name = ...; "
                              "values = [...]; } ); })", sc->path ? sc->path : "scenario");
        return CX_ERR_CONFIG;
    }
    double t0 = now_s();
    cx_sweep_report *r = calloc(1, sizeof *r);
    if (!r)
        return CX_ERR_NOMEM;
    r->n_axes = sc->n_sweep;
    r->axis = sc->sweep;
    int n1 = sc->sweep[0].n, n2 = sc->n_sweep > 1 ? sc->sweep[1].n : 1;
    r->pt = calloc((size_t)n1 * (size_t)n2, sizeof *r->pt);
    if (!r->pt) {
        free(r);
        return CX_ERR_NOMEM;
    }
    r->seed = base->seed;
    r->paths = base->paths;
    r->threads = base->threads;
    r->sampling = sampling;
    r->antithetic = antithetic;
    r->complete = true;
    int rc = 0;
    for (int i = 0; i < n1 && rc == 0 && r->complete; i++)
        for (int j = 0; j < n2 && rc == 0 && r->complete; j++) {
            cx_sweep_point *p = &r->pt[r->n_points];
            cx_scenario *s1 = NULL, *s2 = NULL;
            cx_run *run = NULL;
            if (base->interrupt && atomic_load(base->interrupt)) {
                r->complete = false; /* interrupted between points */
                break;
            }
            p->value[0] = sc->sweep[0].values[i];
            rc = cx_scenario_with_fixed(&s1, sc, sc->sweep[0].input, p->value[0]);
            if (rc == 0 && sc->n_sweep > 1) {
                p->value[1] = sc->sweep[1].values[j];
                rc = cx_scenario_with_fixed(&s2, s1, sc->sweep[1].input, p->value[1]);
            }
            if (rc == 0)
                rc = cx_sens_engine_run(&run, s2 ? s2 : s1, base, sampling, antithetic, err,
                                        err_len);
            if (rc == 0 && run->paths_done == 0)
                r->complete = false; /* interrupted before its first block: no point */
            else if (rc == 0 && (rc = cx_report_new(&p->report, run->accum)) == 0) {
                p->complete = run->complete;
                r->complete = run->complete;
                r->n_points++;
            }
            cx_run_free(run);
            cx_scenario_free(s2);
            cx_scenario_free(s1);
        }
    if (rc != 0) {
        if (err && !err[0])
            cx_set_err(err, err_len, "sweep: %s", cx_strerror(rc));
        cx_sweep_report_free(r);
        return rc;
    }
    r->elapsed_s = now_s() - t0;
    *out = r;
    return 0;
}

/* Index of percentile pct in cx_report_pct. */
static int pct_index(int pct)
{
    for (int k = 0; k < CX_N_PCT; k++)
        if (cx_report_pct[k] == pct)
            return k;
    return 0;
}

json_t *cx_sweep_report_json(const cx_sweep_report *r, const cx_scenario *sc)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:s, s:b, s:s, s:o, s:b}", "study",
                          "sweep", "scenario", sc->name ? sc->name : "", "scenario_sha256",
                          sc->sha256, "seed", (json_int_t)r->seed, "paths",
                          (json_int_t)r->paths, "threads", r->threads, "sampling",
                          cx_sampling_names[r->sampling], "antithetic", r->antithetic,
                          "version", CX_VERSION, "elapsed_s", num(r->elapsed_s), "complete",
                          r->complete);
    json_t *axes = json_array(), *pts = json_array();
    /* which formula made each point's se (MODEL.md, "A reported interval must hold what it
     * claims"): batch means over blocks under LHS, Sobol or antithetic sampling */
    if (j)
        json_object_set_new(j, "se_method",
                            json_string(r->sampling != CX_SAMPLING_MC || r->antithetic
                                            ? "batch_means"
                                            : "iid"));
    if (!j || !axes || !pts) {
        json_decref(j);
        json_decref(axes);
        json_decref(pts);
        return NULL;
    }
    for (int a = 0; a < r->n_axes; a++) {
        json_t *vals = json_array();
        for (int k = 0; k < r->axis[a].n; k++)
            json_array_append_new(vals, num(r->axis[a].values[k]));
        json_array_append_new(axes, json_pack("{s:s, s:o}", "name", r->axis[a].name, "values",
                                              vals));
    }
    int i5 = pct_index(5), i50 = pct_index(50), i95 = pct_index(95);
    for (int i = 0; i < r->n_points; i++) {
        const cx_sweep_point *p = &r->pt[i];
        json_t *vals = json_array(), *ms = json_object();
        for (int a = 0; a < r->n_axes; a++)
            json_array_append_new(vals, num(p->value[a]));
        for (int k = 0; k < CX_N_METRICS; k++) {
            const cx_metric_stats *st = &p->report->metric[k];
            json_object_set_new(ms, cx_metric_names[k],
                                json_pack("{s:o, s:o, s:o, s:o, s:o}", "mean", num(st->mean),
                                          "se", num(st->se), "p5", num(st->pct[i5]), "p50",
                                          num(st->pct[i50]), "p95", num(st->pct[i95])));
        }
        json_array_append_new(pts, json_pack("{s:o, s:I, s:b, s:o}", "values", vals, "paths",
                                             (json_int_t)p->report->paths, "complete",
                                             p->complete, "metrics", ms));
    }
    json_object_set_new(j, "axes", axes);
    json_object_set_new(j, "points", pts);
    return j;
}

int cx_sweep_report_csv(const cx_sweep_report *r, const char *path)
{
    char *tmp;
    FILE *f = open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    for (int a = 0; a < r->n_axes; a++)
        fprintf(f, "%s,", r->axis[a].name);
    fprintf(f, "metric,mean,se,p5,p50,p95,complete\n");
    int i5 = pct_index(5), i50 = pct_index(50), i95 = pct_index(95);
    for (int i = 0; i < r->n_points; i++) {
        const cx_sweep_point *p = &r->pt[i];
        for (int k = 0; k < CX_N_METRICS; k++) {
            const cx_metric_stats *st = &p->report->metric[k];
            for (int a = 0; a < r->n_axes; a++)
                fprintf(f, "%.17g,", p->value[a]);
            fprintf(f, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n", cx_metric_names[k], st->mean,
                    st->se, st->pct[i5], st->pct[i50], st->pct[i95],
                    p->complete ? "true" : "false");
        }
    }
    return close_tmp(f, tmp, path, true);
}
