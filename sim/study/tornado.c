/* SPDX-License-Identifier: MIT */
/* Tornado: the metric in the lowest and highest decile of each input, JSON and CSV. */
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
#include "sim/base/csv.h"
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
/* Tornado                                                                                */
/* ------------------------------------------------------------------------------------- */

/* Fixed-point sums at 2^-32: integer additions, so the total cannot depend on the order of
 * the paths; |x| up to 2^62 and any count below 2^32 paths per 2^30 of magnitude fit. */
#define FX_SCALE 0x1p32

static void fx_add(cx_study_worker *w, int slot, double v)
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
static void tornado_put(cx_wbuf *w, const cx_study_worker *x, int d)
{
    cx_wbuf_u8(w, x->overflow);
    cx_wbuf_put(w, x->n, (size_t)2 * (size_t)d * sizeof *x->n);
    cx_wbuf_put(w, x->sum, ((size_t)2 * (size_t)d + 1) * sizeof *x->sum);
    for (int i = 0; i < 2 * d + 1; i++)
        cx_sketch_serialise(x->sk[i], w);
}

/* tornado_put's bytes added to x (as += for counts and sums; tmp: a worker for the bytes). */
static int tornado_add(cx_rbuf *r, cx_study_worker *x, cx_study_worker *tmp, int d)
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
static int tornado_share(const cx_engine_comm *cm, cx_study_worker *w0, int d, const cx_scenario *sc,
                         const cx_model *m)
{
    cx_wbuf w = {0}, all = {0};
    cx_study_worker *tmp = NULL;
    int rc = 0;
    if (cm->rank != 0)
        tornado_put(&w, w0, d);
    else if ((rc = cx_study_worker_new(&tmp, sc, m, 1, 1, d, true)) != 0)
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
        if ((rc = cx_study_worker_new(&tmp, sc, m, 1, 1, d, true)) == 0) {
            cx_rbuf r;
            cx_rbuf_init(&r, w.p, w.n);
            rc = tornado_add(&r, w0, tmp, d);
            if (rc == 0 && cx_rbuf_left(&r))
                rc = CX_ERR_INTERNAL;
        }
    }
    cx_study_worker_free(tmp, d);
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&all);
    return rc;
}

/* What every block of a tornado needs (read-only while the blocks run). */
typedef struct tornado_job {
    const cx_scenario *sc;
    const cx_model *m;
    const cx_study_opts *opts;
    const cx_sampling_plan *plan;
    const int *in;       /* the d uncertain inputs */
    const double *thr;   /* 2d: each input's low and high decile thresholds */
    const int *outp;     /* d: an outcome's probability input (low: fails, high: succeeds),
                          * else -1 */
    int d, bp, metric;
    bool block_u;        /* the plan fills a block of uniforms (else exact samplers) */
    int64_t share_lo, share_hi; /* this rank's blocks, for progress (all of them alone) */
} tornado_job;

/*
 * Runs the paths of one block b (in batches of paths side by side, cx_model_batch) and marks,
 * per path and input, whether the input fell in its low or high decile. Each path draws its
 * inputs, then one output that keys its model stream, as cx_model_path would. @return false
 * when Ctrl-C cut the block short (nothing of it may be counted).
 */
static bool tornado_block_paths(const tornado_job *jb, cx_study_worker *w, int64_t b, int n)
{
    const int d = jb->d;
    cx_pcg64 *g = cx_rng_pcg64(w->r);
    cx_pcg64_stream(g, jb->opts->seed, (uint64_t)b);
    if (jb->block_u)
        cx_sampling_fill_block(jb->plan, g, n, w->ublock);
    const size_t ni = (size_t)(jb->sc->n_inputs > 0 ? jb->sc->n_inputs : 1);
    for (int p0 = 0; p0 < n; p0 += CX_MODEL_LANES) {
        /* Ctrl-C within the block: it is dropped whole (nothing of it was counted) */
        if (jb->opts->interrupt &&
            atomic_load_explicit(jb->opts->interrupt, memory_order_relaxed))
            return false;
        const int nb = n - p0 < CX_MODEL_LANES ? n - p0 : CX_MODEL_LANES;
        for (int i = 0; i < nb; i++) {
            double *x = w->xb + (size_t)i * ni;
            if (jb->block_u) {
                const double *row = w->ublock + (size_t)(p0 + i) * (size_t)d;
                for (int k = 0; k < d; k++)
                    w->ufull[jb->in[k]] = row[k];
                cx_sampler_map(jb->sc->sampler, w->ufull, x, w->work);
            } else {
                cx_sampler_draw(jb->sc->sampler, w->r, x, w->work);
            }
            cx_model_streams_of_key(&w->streams[i], cx_pcg64_next(g));
        }
        cx_model_batch(jb->m, w->xb, ni, nb, w->streams, w->scr, w->resb, NULL);
        for (int i = 0; i < nb; i++) {
            const double *x = w->xb + (size_t)i * ni;
            unsigned char *lh = w->tlh + (size_t)(p0 + i) * (size_t)d;
            w->tf[p0 + i] = w->resb[i].metric[jb->metric];
            for (int k = 0; k < d; k++) {
                double xv = x[jb->in[k]];
                if (jb->outp[k] >= 0) {
                    /* an outcome (u < p): its two groups are its two outcomes */
                    unsigned char ok = xv < x[jb->outp[k]];
                    lh[k] = (unsigned char)(ok ? 2 : 1);
                    continue;
                }
                lh[k] = (unsigned char)((xv <= jb->thr[2 * k]) |
                                        (xv >= jb->thr[2 * k + 1]) << 1);
            }
        }
    }
    return true;
}

/* A whole block's n paths into the thread's sums and sketches (integer state: any order). */
static void tornado_block_count(cx_study_worker *w, int d, int n)
{
    for (int i = 0; i < n; i++) {
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

/* Blocks per round: progress is reported between rounds (integer state: where rounds end
 * changes no result). */
#define TORNADO_ROUND_BLOCKS 256

/* The blocks [blo, bhi) over nt threads, in rounds; with done (bhi - blo flags), the blocks
 * flagged are skipped and each block counted is flagged. @return whether every block ran (no
 * interrupt). */
static bool tornado_blocks(const tornado_job *jb, cx_study_worker **ws, int nt, int64_t blo,
                           int64_t bhi, unsigned char *done)
{
    const cx_study_opts *opts = jb->opts;
    /* set (relaxed) by whichever thread first sees the interrupt: later blocks are skipped */
    atomic_int stopped = 0;
    (void)nt;
    for (int64_t r0 = blo; r0 < bhi && !atomic_load(&stopped); r0 += TORNADO_ROUND_BLOCKS) {
        const int64_t r1 = bhi - r0 < TORNADO_ROUND_BLOCKS ? bhi : r0 + TORNADO_ROUND_BLOCKS;
#if CX_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
        for (int64_t b = r0; b < r1; b++) {
            if (done && done[b - blo])
                continue;
            if (atomic_load_explicit(&stopped, memory_order_relaxed) ||
                (opts->interrupt && atomic_load_explicit(opts->interrupt, memory_order_relaxed))) {
                atomic_store_explicit(&stopped, 1, memory_order_relaxed);
                continue;
            }
            cx_study_worker *w = ws[cx_study_thread_id()];
            uint64_t first = (uint64_t)b * (uint64_t)jb->bp;
            int n = (int)(opts->paths - first < (uint64_t)jb->bp ? opts->paths - first
                                                                  : (uint64_t)jb->bp);
            if (tornado_block_paths(jb, w, b, n)) {
                tornado_block_count(w, jb->d, n);
                if (done)
                    done[b - blo] = 1;
            } else {
                atomic_store_explicit(&stopped, 1, memory_order_relaxed);
            }
        }
        /* this rank's share [share_lo, share_hi) done to r1, as paths */
        const int64_t slo = jb->share_lo, shi = jb->share_hi;
        if (opts->progress && !atomic_load(&stopped))
            opts->progress(opts->progress_ctx,
                           r1 == shi ? opts->paths
                                     : (uint64_t)((double)(r1 - slo) / (double)(shi - slo) *
                                                  (double)opts->paths),
                           opts->paths);
    }
    return !atomic_load(&stopped);
}

/* Every thread's state into thread 0's: integer additions only. @return 0 or an error. */
static int tornado_merge_threads(cx_study_worker **ws, int nt, int d)
{
    cx_study_worker *w0 = ws[0];
    int rc = 0;
    for (int t = 1; t < nt && rc == 0; t++) {
        w0->overflow |= ws[t]->overflow;
        for (int s = 0; s < 2 * d + 1 && rc == 0; s++) {
            if (s < 2 * d)
                w0->n[s] += ws[t]->n[s];
            w0->sum[s] += ws[t]->sum[s];
            rc = cx_sketch_merge(w0->sk[s], ws[t]->sk[s]);
        }
    }
    return rc;
}

/* ---- checkpoints (issue 23) ---------------------------------------------------------- */
/*
 * A tornado's state is order-free integer state (counts, fixed-point sums, sketch counts),
 * so its checkpoint is the merged state of a set of blocks and the set: the prefix
 * [0, next) and, after an interrupt cut a round short, the blocks of that round done past
 * the prefix. A resumed study runs the other blocks into the same state: the same integers,
 * the same bytes as a study never stopped. The state (after the file's command byte):
 *   u32 block_paths, u32 inputs (d), u32 metric, u32 round_blocks, u64 next,
 *   u32 blocks done past next, u64 each (increasing), f64 elapsed_s, tornado_put's bytes.
 */
typedef struct tornado_ck {
    uint64_t next;      /* blocks [0, next) are done */
    uint64_t *extra;    /* blocks done past next (round_blocks of room), increasing */
    uint32_t n_extra;
    uint32_t rb;        /* blocks a round */
    double elapsed;     /* seconds of the sessions before this one */
} tornado_ck;

/* Paths of block b of a tornado of `paths` paths in blocks of bp. */
static uint64_t tornado_block_n(uint64_t paths, int bp, uint64_t b)
{
    uint64_t first = b * (uint64_t)bp;
    return paths - first < (uint64_t)bp ? paths - first : (uint64_t)bp;
}

size_t cx_tornado_state_max(const cx_scenario *sc, uint32_t round_blocks)
{
    int d = 0;
    for (int i = 0; i < sc->n_inputs; i++)
        d += sc->inputs[i].uncertain;
    cx_sketch *sk = NULL;
    if (cx_sketch_new(&sk, sc->relative_error > 0 ? sc->relative_error : 0.001) < 0)
        return 0;
    const size_t nb = (size_t)sk->nb;
    cx_sketch_free(sk);
    const size_t rb = round_blocks ? round_blocks : CX_TORNADO_ROUND_BLOCKS;
    const size_t slots = 2 * (size_t)d + 1;
    /* as sim/engine/checkpoint.c bounds a sketch: every bucket of both signs, and counters */
    return 64 + 8 * rb + 1 + slots * (8 + 16) + slots * (256 + 2 * (8 + 8 * nb));
}

static void tornado_state_put(cx_wbuf *w, const tornado_job *jb, const tornado_ck *tc,
                              double elapsed, const cx_study_worker *w0)
{
    cx_wbuf_u32(w, (uint32_t)jb->bp);
    cx_wbuf_u32(w, (uint32_t)jb->d);
    cx_wbuf_u32(w, (uint32_t)jb->metric);
    cx_wbuf_u32(w, tc->rb);
    cx_wbuf_u64(w, tc->next);
    cx_wbuf_u32(w, tc->n_extra);
    for (uint32_t i = 0; i < tc->n_extra; i++)
        cx_wbuf_u64(w, tc->extra[i]);
    cx_wbuf_f64(w, elapsed);
    tornado_put(w, w0, jb->d);
}

/* The first field of a tornado state that disagrees with the study or with the other
 * fields (NULL: none), with the detail in why; w0 then holds the state's totals. */
static const char *tornado_state_check(const tornado_job *jb, cx_rbuf *r, tornado_ck *tc,
                                       cx_study_worker *w0, uint64_t nblocks, char *why,
                                       size_t why_len)
{
    const uint64_t paths = jb->opts->paths;
    const int d = jb->d;
    const uint32_t want[4] = {(uint32_t)jb->bp, (uint32_t)d, (uint32_t)jb->metric, tc->rb};
    static const char *const names[4] = {"block_paths", "inputs", "metric", "round_blocks"};
    for (int i = 0; i < 4; i++) {
        uint32_t v = cx_rbuf_u32(r);
        if (!r->err && v != want[i]) {
            cx_set_err(why, why_len, "%u, this study has %u", (unsigned)v, (unsigned)want[i]);
            return names[i];
        }
    }
    tc->next = cx_rbuf_u64(r);
    if (!r->err && tc->next > nblocks) {
        cx_set_err(why, why_len, "%llu, the study has %llu blocks",
                   (unsigned long long)tc->next, (unsigned long long)nblocks);
        return "next_block";
    }
    uint32_t ne = cx_rbuf_u32(r);
    const uint64_t round_end = nblocks - tc->next < tc->rb ? nblocks : tc->next + tc->rb;
    uint64_t done_paths = tc->next * (uint64_t)jb->bp < paths ? tc->next * (uint64_t)jb->bp
                                                               : paths;
    if (!r->err && ne > tc->rb) {
        cx_set_err(why, why_len, "%u, a round has %u blocks", (unsigned)ne, (unsigned)tc->rb);
        return "blocks done past next_block";
    }
    for (uint32_t i = 0; i < ne && !r->err; i++) {
        uint64_t b = cx_rbuf_u64(r);
        uint64_t lo = i ? tc->extra[i - 1] + 1 : tc->next + 1;
        if (!r->err && (b < lo || b >= round_end)) {
            cx_set_err(why, why_len, "%llu, expected %llu to %llu (the round in progress, "
                       "increasing)", (unsigned long long)b, (unsigned long long)lo,
                       (unsigned long long)round_end - 1);
            return "blocks done past next_block";
        }
        tc->extra[i] = b;
        done_paths += tornado_block_n(paths, jb->bp, b);
    }
    tc->n_extra = ne;
    tc->elapsed = cx_rbuf_f64(r);
    if (!r->err && !(tc->elapsed >= 0 && tc->elapsed < 1e12)) {
        cx_set_err(why, why_len, "%g seconds", tc->elapsed);
        return "elapsed_s";
    }
    uint8_t overflow = cx_rbuf_u8(r);
    w0->overflow = overflow == 1;
    if (!r->err && overflow > 1) {
        cx_set_err(why, why_len, "%u, expected 0 or 1", (unsigned)overflow);
        return "overflow";
    }
    cx_rbuf_get(r, w0->n, (size_t)2 * (size_t)d * sizeof *w0->n);
    cx_rbuf_get(r, w0->sum, ((size_t)2 * (size_t)d + 1) * sizeof *w0->sum);
    for (int i = 0; i < 2 * d + 1 && !r->err; i++)
        if (cx_sketch_deserialise(w0->sk[i], r) < 0) {
            cx_set_err(why, why_len, "sketch %d: not as written", i);
            return "sketches";
        }
    if (r->err || cx_rbuf_left(r) != 0) {
        cx_set_err(why, why_len, "%zu bytes, not what its fields take", r->n);
        return "state length";
    }
    /* the counts against the blocks done: every path once in the total, a decile group's
     * count in its sketch and at most the paths done */
    const cx_sketch *all = w0->sk[2 * d];
    if (cx_sketch_count(all) + all->nan != done_paths) {
        cx_set_err(why, why_len, "%llu, the blocks done hold %llu",
                   (unsigned long long)(cx_sketch_count(all) + all->nan),
                   (unsigned long long)done_paths);
        return "paths counted";
    }
    for (int i = 0; i < 2 * d; i++) {
        const cx_sketch *sk = w0->sk[i];
        if (w0->n[i] > done_paths || cx_sketch_count(sk) + sk->nan != w0->n[i]) {
            cx_set_err(why, why_len, "group %d counts %llu paths (sketch: %llu), of %llu done",
                       i, (unsigned long long)w0->n[i],
                       (unsigned long long)(cx_sketch_count(sk) + sk->nan),
                       (unsigned long long)done_paths);
            return "decile counts";
        }
    }
    return NULL;
}

/* Zeroes a worker's tornado state (once merged into the total). */
static void tornado_reset(cx_study_worker *w, int d)
{
    w->overflow = false;
    memset(w->n, 0, (size_t)2 * (size_t)d * sizeof *w->n);
    memset(w->sum, 0, ((size_t)2 * (size_t)d + 1) * sizeof *w->sum);
    for (int i = 0; i < 2 * d + 1; i++)
        cx_sketch_reset(w->sk[i]);
}

static int tornado_merge_threads(cx_study_worker **ws, int nt, int d);

static int tornado_save(const tornado_job *jb, const tornado_ck *tc, double elapsed,
                        const cx_study_worker *w0)
{
    const cx_study_ckpt *ck = jb->opts->ckpt;
    cx_wbuf w = {0};
    tornado_state_put(&w, jb, tc, elapsed, w0);
    int rc = w.err ? w.err : ck->save(ck->ctx, w.p, w.n);
    cx_wbuf_clear(&w);
    return rc;
}

/*
 * The blocks not yet done, in rounds of tc->rb; after each round the threads' state goes
 * into ws[0] (the total) and, once every_s seconds have passed, at an interrupt and at the
 * end, to the checkpoint. @return 0 or an error; *complete: every block done.
 */
static int tornado_rounds(const tornado_job *jb, cx_study_worker **ws, int nt,
                          uint64_t nblocks, tornado_ck *tc, bool *complete)
{
    const cx_study_ckpt *ck = jb->opts->ckpt;
    unsigned char *done = malloc(tc->rb);
    if (!done)
        return CX_ERR_NOMEM;
    const double t0 = cx_study_now_s();
    double last = t0;
    int rc = 0;
    *complete = tc->next == nblocks;
    while (rc == 0 && tc->next < nblocks) {
        const uint64_t lo = tc->next, hi = nblocks - lo < tc->rb ? nblocks : lo + tc->rb;
        memset(done, 0, tc->rb);
        for (uint32_t i = 0; i < tc->n_extra; i++)
            done[tc->extra[i] - lo] = 1;
        const bool all = tornado_blocks(jb, ws, nt, (int64_t)lo, (int64_t)hi, done);
        if ((rc = tornado_merge_threads(ws, nt, jb->d)) != 0)
            break;
        for (int t = 1; t < nt; t++)
            tornado_reset(ws[t], jb->d);
        uint64_t k = 0;
        while (lo + k < hi && done[k])
            k++;
        tc->next = lo + k;
        tc->n_extra = 0;
        for (uint64_t j = k; j < hi - lo; j++)
            if (done[j])
                tc->extra[tc->n_extra++] = lo + j;
        *complete = tc->next == nblocks;
        const double now = cx_study_now_s();
        if (!all || *complete || now - last >= ck->every_s) {
            rc = tornado_save(jb, tc, tc->elapsed + (now - t0), ws[0]);
            last = now;
        }
        if (!all)
            break;
    }
    tc->elapsed += cx_study_now_s() - t0;
    free(done);
    return rc;
}

/*
 * The tornado's blocks with opts->ckpt: from its state if it has one (checked first: a
 * damaged state is CX_ERR_CONFIG with one line in err), in rounds, saving as it goes.
 * @return 0 or an error; rep->complete and *elapsed (the earlier sessions' seconds) set.
 */
static int tornado_ckpt_drive(const tornado_job *jb, cx_study_worker **ws, int nt,
                              uint64_t nblocks, cx_tornado_report *rep, double *elapsed,
                              char *err, size_t err_len)
{
    const cx_study_ckpt *ck = jb->opts->ckpt;
    if (jb->opts->comm && jb->opts->comm->size > 1) {
        cx_set_err(err, err_len, "tornado: --checkpoint: one process only (not under MPI)");
        return CX_ERR_RANGE;
    }
    tornado_ck tc = {.rb = ck->round_blocks ? ck->round_blocks : CX_TORNADO_ROUND_BLOCKS};
    if (!(tc.extra = calloc(tc.rb, sizeof *tc.extra)))
        return CX_ERR_NOMEM;
    int rc = 0;
    if (ck->state) {
        cx_rbuf r;
        cx_rbuf_init(&r, ck->state, ck->state_n);
        char why[256] = "not as written";
        const char *field = tornado_state_check(jb, &r, &tc, ws[0], nblocks, why, sizeof why);
        if (field || r.err) {
            cx_set_err(err, err_len, "%s: damaged checkpoint (tornado state, %s: %s)", ck->name,
                       field ? field : "fields", why);
            free(tc.extra);
            return CX_ERR_CONFIG;
        }
    }
    *elapsed = tc.elapsed;
    bool complete = false;
    rc = tornado_rounds(jb, ws, nt, nblocks, &tc, &complete);
    if (rc != 0)
        cx_set_err(err, err_len, "tornado: cannot save the checkpoint: %s", cx_strerror(rc));
    rep->complete = complete;
    free(tc.extra);
    return rc;
}

/* The report's totals and rows from the merged state w0, rows ranked by swing. */
static void tornado_fill_rows(cx_tornado_report *rep, const cx_study_worker *w0,
                              const tornado_job *jb)
{
    const int d = jb->d, metric = jb->metric;
    const cx_sketch *all = w0->sk[2 * d];
    rep->paths = cx_sketch_count(all) + all->nan;
    rep->mean = w0->overflow ? NAN : fx_mean(w0->sum[2 * d], rep->paths);
    rep->p50 = p50(all, metric);
    for (int k = 0; k < d; k++) {
        cx_tornado_row *row = &rep->rows[k];
        row->input = jb->in[k];
        row->x_low = jb->thr[2 * k];
        row->x_high = jb->thr[2 * k + 1];
        row->n_low = w0->n[2 * k];
        row->n_high = w0->n[2 * k + 1];
        row->mean_low = w0->overflow ? NAN : fx_mean(w0->sum[2 * k], row->n_low);
        row->mean_high = w0->overflow ? NAN : fx_mean(w0->sum[2 * k + 1], row->n_high);
        row->p50_low = p50(w0->sk[2 * k], metric);
        row->p50_high = p50(w0->sk[2 * k + 1], metric);
        row->swing = fabs(row->mean_high - row->mean_low);
    }
    qsort(rep->rows, (size_t)d, sizeof *rep->rows, row_cmp);
}

/* A report with the options' fields and rows for d inputs. @return NULL when out of memory. */
static cx_tornado_report *tornado_report_new(const cx_study_opts *opts, int d, int nt, int bp)
{
    cx_tornado_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return NULL;
    rep->d = d;
    rep->metric = opts->metric;
    rep->seed = opts->seed;
    rep->threads = nt;
    rep->block_paths = bp;
    rep->sampling = opts->sampling;
    rep->antithetic = opts->antithetic;
    rep->requested = opts->paths;
    rep->rows = calloc((size_t)d, sizeof *rep->rows);
    if (!rep->rows) {
        free(rep);
        return NULL;
    }
    return rep;
}

int cx_tornado_run(cx_tornado_report **out, const cx_scenario *sc, const cx_model *m,
                   const cx_study_opts *opts, char *err, size_t err_len)
{
    *out = NULL;
    double t0 = cx_study_now_s();
    int bp = opts->block_paths > 0 ? opts->block_paths : CX_SENS_BLOCK_PATHS;
    int rc = cx_study_check_opts(opts, "tornado", "paths", err, err_len);
    if (rc == 0)
        rc = cx_study_check_metric(sc, opts->metric, "tornado", err, err_len);
    if (rc != 0)
        return rc;
    int *in = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof(int));
    if (!in)
        return CX_ERR_NOMEM;
    int d = cx_study_uncertain_inputs(sc, in);
    if (d == 0) {
        cx_set_err(err, err_len, "tornado: the scenario has no uncertain scalar input");
        free(in);
        return CX_ERR_RANGE;
    }
    uint64_t nblocks64 = (opts->paths + (uint64_t)bp - 1) / (uint64_t)bp;
    int nt = cx_study_thread_count(opts->threads);
    double before = 0; /* seconds of the sessions before this one (a checkpoint's) */
    bool said = false; /* err holds the message */
    cx_tornado_report *rep = tornado_report_new(opts, d, nt, bp);
    double *thr = malloc((size_t)2 * (size_t)d * sizeof *thr);
    int *outp = malloc((size_t)d * sizeof *outp);
    cx_sampling_plan *plan = NULL;
    cx_study_worker **ws = calloc((size_t)nt, sizeof *ws);
    rc = (rep && thr && outp && ws) ? 0 : CX_ERR_NOMEM;
    if (rc == 0)
        rc = cx_sampling_plan_new(&plan, opts->sampling, opts->antithetic, d, bp);
    for (int t = 0; rc == 0 && t < nt; t++)
        rc = cx_study_worker_new(&ws[t], sc, m, bp, d, d, true);
    if (rc != 0)
        goto done;
    for (int k = 0; k < d; k++) {
        const cx_input *x = &sc->inputs[in[k]];
        outp[k] = x->outcome ? x->outcome_p : -1;
        if (x->outcome) {
            /* the row compares the outcome's two values: 0 (fails) with 1 (succeeds) */
            thr[2 * k] = 0.0;
            thr[2 * k + 1] = 1.0;
        } else {
            cx_tornado_thresholds(&x->dist, &thr[2 * k], &thr[2 * k + 1]);
        }
    }

    tornado_job jb = {.sc = sc, .m = m, .opts = opts, .plan = plan, .in = in, .thr = thr,
                      .outp = outp,
                      .d = d, .bp = bp, .metric = opts->metric,
                      .block_u = cx_sampling_plan_needs_block(plan),
                      .share_lo = 0, .share_hi = (int64_t)nblocks64};
    const cx_engine_comm *cm = opts->comm && opts->comm->size > 1 ? opts->comm : NULL;
    if (opts->ckpt) {
        rc = tornado_ckpt_drive(&jb, ws, nt, nblocks64, rep, &before, err, err_len);
        said = rc != 0;
    } else {
        int64_t blo, bhi; /* this rank's blocks (all of them alone) */
        cx_study_rank_share(cm, (int64_t)nblocks64, &blo, &bhi);
        jb.share_lo = blo;
        jb.share_hi = bhi;
        rep->complete = tornado_blocks(&jb, ws, nt, blo, bhi, NULL);
        rc = tornado_merge_threads(ws, nt, d);
    }
    if (rc != 0)
        goto done;
    if (cm) {
        /* integer state: every rank's into rank 0's, then rank 0's to all (any order) */
        if ((rc = tornado_share(cm, ws[0], d, sc, m)) != 0)
            goto done;
        rep->complete = !cx_study_any_stopped(cm, !rep->complete);
    }
    tornado_fill_rows(rep, ws[0], &jb);

done:
    if (ws)
        for (int t = 0; t < nt; t++)
            cx_study_worker_free(ws[t], d);
    free(ws);
    free(thr);
    free(outp);
    free(in);
    cx_sampling_plan_free(plan);
    if (rc != 0) {
        if (!said)
            cx_set_err(err, err_len, "tornado: %s", cx_strerror(rc));
        cx_tornado_report_free(rep);
        return rc;
    }
    rep->elapsed_s = cx_study_now_s() - t0 + before;
    *out = rep;
    return 0;
}

json_t *cx_tornado_report_json(const cx_tornado_report *r, const cx_scenario *sc)
{
    json_t *j = cx_study_json_header("tornado", sc, r->metric, r->seed, r->threads, r->block_paths,
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
    json_object_set_new(j, "mean", cx_study_json_num(r->mean));
    json_object_set_new(j, "p50", cx_study_json_num(r->p50));
    for (int i = 0; i < r->d; i++) {
        const cx_tornado_row *x = &r->rows[i];
        json_t *o = json_pack(
            "{s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "input",
            sc->inputs[x->input].name, "x_low", cx_study_json_num(x->x_low), "x_high", cx_study_json_num(x->x_high),
            "n_low", (json_int_t)x->n_low, "n_high", (json_int_t)x->n_high, "mean_low",
            cx_study_json_num(x->mean_low), "mean_high", cx_study_json_num(x->mean_high), "p50_low", cx_study_json_num(x->p50_low),
            "p50_high", cx_study_json_num(x->p50_high), "swing", cx_study_json_num(x->swing));
        if (o)
            json_array_append_new(arr, o);
    }
    json_object_set_new(j, "tornado", arr);
    return j;
}

int cx_tornado_report_csv(const cx_tornado_report *r, const cx_scenario *sc, const char *path)
{
    char *tmp;
    FILE *f = cx_study_open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    fprintf(f, "rank,input,x_low,x_high,n_low,n_high,mean_low,mean_high,p50_low,p50_high,"
               "swing,complete\n");
    for (int i = 0; i < r->d; i++) {
        const cx_tornado_row *x = &r->rows[i];
        fprintf(f, "%d,", i + 1);
        cx_csv_text(f, sc->inputs[x->input].name); /* issue 25: safe in a spreadsheet */
        fprintf(f, ",%.17g,%.17g,%llu,%llu,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n",
                x->x_low, x->x_high, (unsigned long long)x->n_low,
                (unsigned long long)x->n_high, x->mean_low, x->mean_high, x->p50_low,
                x->p50_high, x->swing, r->complete ? "true" : "false");
    }
    return cx_study_close_tmp(f, tmp, path, true);
}
