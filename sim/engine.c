/* SPDX-License-Identifier: MIT */
/* The engine: runs paths in fixed-size blocks on OpenMP threads, bit-reproducibly. */

/*
 * Flow of a run (see engine.h for why it is thread-count independent):
 *   for each round of blocks (round_size):
 *     parallel, dynamic schedule over the round's blocks:
 *       seed the thread's gsl_rng to stream (seed, b); for each path of the block:
 *       inputs -> model -> the thread's value buffer (+ the block's observer state);
 *       at block end, the block's moments from the buffer into its slot; when the buffer is
 *       full and at the round's end, the buffer into the thread's accumulator (integers)
 *     one thread: fold the slots into the total in block order; with a stop predicate, move
 *     the threads' integer state into the total too; progress; stop predicate
 *   merge the threads' integer state.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if CX_HAVE_OPENMP
#include <omp.h>
#define OMP(x) _Pragma(#x)
#else
#define OMP(x)
#endif

#include "sim/engine.h"
#include "sim/error.h"
#include "sim/pcg.h"
#include "sim/sampler.h"

/* Everything one thread touches in the per-path loop; aligned so threads share no line. */
typedef struct thread_ctx {
    gsl_rng *r;
    cx_scratch *scratch;
    double *x;          /* CX_MODEL_LANES rows of n_inputs: a batch's scalar inputs */
    void *src_state;
    cx_accum *acc;
    cx_accum_buf buf;   /* the values of its latest paths: moments per block, acc in batches */
    cx_path_result res[CX_MODEL_LANES];
    cx_pcg32 streams[CX_MODEL_LANES];
} thread_ctx;

/* One block's floating-point partials, in the round buffer. */
typedef struct slot {
    cx_block_moments bm;
    void *obs;      /* observer's per-block state */
    int n;          /* paths in the block */
    int done;
    char pad[64];   /* keeps the next slot's header off this one's line */
} slot;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *alloc_lines(size_t bytes)
{
    bytes = (bytes + 63) / 64 * 64;
    if (!bytes) bytes = 64;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

/* The default input source: the exact samplers (or the copula), from the block stream. */
typedef struct default_src {
    const cx_sampler *sampler;
} default_src;

static int default_thread_new(void *ctx, void **state)
{
    const default_src *d = ctx;
    int n = cx_sampler_work_size(d->sampler);
    *state = alloc_lines((size_t)(n > 0 ? n : 1) * sizeof(double));
    return *state ? 0 : CX_ERR_NOMEM;
}

static void default_thread_free(void *ctx, void *state)
{
    (void)ctx;
    free(state);
}

static void default_fill(void *ctx, void *state, uint64_t b, int i, gsl_rng *r, double *x)
{
    (void)b;
    (void)i;
    const default_src *d = ctx;
    cx_sampler_draw(d->sampler, r, x, state);
}

void cx_engine_opts_init(cx_engine_opts *o, const cx_scenario *sc)
{
    memset(o, 0, sizeof *o);
    o->paths = sc && sc->has_paths && sc->run_paths ? sc->run_paths : CX_DEFAULT_PATHS;
    o->seed = sc && sc->has_seed ? sc->run_seed : CX_DEFAULT_SEED;
    o->threads = sc && sc->run_threads > 0 ? sc->run_threads : 1;
}

void cx_run_free(cx_run *r)
{
    if (!r) return;
    cx_accum_free(r->accum);
    free(r);
}

/* Runs block b (n paths) on thread t into slot s, in batches of CX_MODEL_LANES paths side
 * by side (cx_model_batch; path i of the block draws from its own stream (seed, b, i), so a
 * path's result does not depend on the batch it runs in). Allocates nothing. */
static void run_block(const cx_engine_opts *o, const cx_input_source *src, const cx_model *m,
                      const cx_scenario *sc, thread_ctx *t, int tid, slot *s, uint64_t b)
{
    const size_t stride = (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1);
    cx_pcg64_stream(cx_rng_pcg64(t->r), o->seed, b);
    if (src->block_begin) src->block_begin(src->ctx, t->src_state, b, s->n, t->r);
    cx_block_moments_reset(&s->bm);
    const cx_observer *obs = o->observer;
    if (obs) obs->block_init(obs->ctx, s->obs, b);
    /* room for the whole block in the buffer (its capacity is a multiple of the block) */
    if (t->buf.cap - t->buf.n < s->n) cx_accum_add_buf(t->acc, &t->buf);
    const int first = t->buf.n;
    for (int i0 = 0; i0 < s->n; i0 += CX_MODEL_LANES) {
        const int nb = s->n - i0 < CX_MODEL_LANES ? s->n - i0 : CX_MODEL_LANES;
        /* inputs path by path from the block stream, in path order (as before batching) */
        for (int i = 0; i < nb; i++) {
            double *x = t->x + (size_t)i * stride;
            src->fill(src->ctx, t->src_state, b, i0 + i, t->r, x);
            for (int k = 0; k < o->n_fixed; k++) x[o->fixed_input[k]] = o->fixed_value[k];
        }
        for (int i = 0; i < nb; i++)
            cx_pcg32_path_stream(&t->streams[i], o->seed, b, (uint64_t)(i0 + i));
        cx_model_batch(m, t->x, stride, nb, t->streams, t->scratch, t->res, NULL);
        for (int i = 0; i < nb; i++) {
            cx_accum_buf_put(&t->buf, &t->res[i]);
            if (obs) obs->path(obs->ctx, s->obs, tid, t->x + (size_t)i * stride, &t->res[i]);
        }
    }
    /* the block's moments now, from its rows while they are in cache; the sketches later */
    cx_block_moments_add_buf(&s->bm, &t->buf, first, s->n);
    cx_block_moments_finish(&s->bm);
}

/*
 * total's integer state += the threads' (integer additions: order-free), and the threads'
 * emptied, so that this may run after every round and once more at the end. Moments are not
 * touched: cx_accum_merge adds integer state only.
 */
static int drain_threads(cx_accum *dst, thread_ctx **tc, int nt)
{
    for (int t = 0; t < nt; t++) {
        int rc = cx_accum_merge(dst, tc[t]->acc);
        if (rc < 0) return rc;
        cx_accum_reset(tc[t]->acc);
    }
    return 0;
}

/* Blocks in the round that starts after `done` blocks (engine.h: the stop schedule). */
static uint64_t round_size(const cx_engine_opts *o, uint64_t done)
{
    if (o->round_blocks > 0) return (uint64_t)o->round_blocks;
    if (!o->stop) return CX_ROUND_BLOCKS;
    uint64_t r = done / CX_STOP_ROUND_DIV;
    return r < CX_STOP_ROUND_MIN ? CX_STOP_ROUND_MIN : r > CX_ROUND_BLOCKS ? CX_ROUND_BLOCKS : r;
}

int cx_engine_run(cx_run **out, const cx_scenario *sc, const cx_model *m,
                  const cx_engine_opts *o)
{
    *out = NULL;
    if (o->paths == 0 || o->threads < 1 || o->n_fixed < 0 || o->n_fixed > CX_ENGINE_MAX_FIXED ||
        o->round_blocks < 0 || o->round_blocks > CX_MAX_ROUND_BLOCKS || o->n_rep_q < 0 ||
        o->n_rep_q > CX_REP_MAX_Q)
        return CX_ERR_RANGE;
    for (int k = 0; k < o->n_fixed; k++)
        if (o->fixed_input[k] < 0 || o->fixed_input[k] >= sc->n_inputs) return CX_ERR_RANGE;
    if (o->observer && (!o->observer->block_init || !o->observer->path ||
                        !o->observer->merge_block))
        return CX_ERR_RANGE;
#if CX_HAVE_OPENMP
    int nt = o->threads;
#else
    int nt = 1;
#endif
    const int nq = cx_model_quarters(m);
    const uint64_t nblocks = (o->paths + CX_BLOCK_PATHS - 1) / CX_BLOCK_PATHS;
    const uint64_t max_round = o->round_blocks > 0 ? (uint64_t)o->round_blocks : CX_ROUND_BLOCKS;
    const int round_slots = nblocks < max_round ? (int)nblocks : (int)max_round;

    default_src dsrc = {sc->sampler};
    cx_input_source def = {&dsrc, default_thread_new, default_thread_free, NULL, default_fill};
    const cx_input_source *src = o->source ? o->source : &def;

    int rc = CX_ERR_NOMEM;
    cx_run *run = calloc(1, sizeof *run);
    thread_ctx **tc = calloc((size_t)nt, sizeof *tc);
    slot *slots = aligned_alloc(64, ((size_t)round_slots * sizeof *slots + 63) / 64 * 64);
    if (!run || !tc || !slots) goto done;
    memset(slots, 0, (size_t)round_slots * sizeof *slots);
    run->threads = nt;
    if ((rc = cx_accum_new(&run->accum, nq, sc->thresholds, sc->n_thresholds,
                           sc->relative_error)) < 0)
        goto done;
    if (o->n_rep_q &&
        (rc = cx_accum_want_replicates(run->accum, o->rep_q, o->n_rep_q, CX_BLOCK_PATHS)) < 0)
        goto done;
    /* per-thread state, all of it before the parallel region */
    rc = CX_ERR_NOMEM;
    for (int t = 0; t < nt; t++) {
        thread_ctx *c = tc[t] = alloc_lines(sizeof *c);
        if (!c) goto done;
        if (!(c->r = gsl_rng_alloc(cx_gsl_rng_pcg64))) goto done;
        if ((rc = cx_scratch_new(&c->scratch, m)) < 0) goto done;
        rc = CX_ERR_NOMEM;
        if (!(c->x = alloc_lines((size_t)CX_MODEL_LANES * (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) *
                                 sizeof *c->x)))
            goto done;
        if ((rc = cx_accum_new(&c->acc, nq, sc->thresholds, sc->n_thresholds,
                               sc->relative_error)) < 0)
            goto done;
        if ((rc = cx_accum_buf_init(&c->buf, nq, CX_ACCUM_BATCH_BLOCKS * CX_BLOCK_PATHS)) < 0)
            goto done;
        if (src->thread_new && (rc = src->thread_new(src->ctx, &c->src_state)) < 0) goto done;
        rc = CX_ERR_NOMEM;
    }
    for (int j = 0; j < round_slots; j++) {
        if ((rc = cx_block_moments_init(&slots[j].bm, nq)) < 0) goto done;
        if (o->n_rep_q && (rc = cx_block_moments_keep_values(&slots[j].bm, CX_BLOCK_PATHS)) < 0)
            goto done;
        rc = CX_ERR_NOMEM;
        if (o->observer && !(slots[j].obs = alloc_lines(o->observer->block_bytes))) goto done;
    }
    if (o->observer && o->observer->start && (rc = o->observer->start(o->observer->ctx, nt)) < 0)
        goto done;

    double t0 = now_s();
    run->complete = true;
    for (uint64_t b0 = 0, rs; b0 < nblocks; b0 += rs) {
        rs = round_size(o, b0);
        const int rn = nblocks - b0 < rs ? (int)(nblocks - b0) : (int)rs;
        for (int j = 0; j < rn; j++) {
            uint64_t b = b0 + (uint64_t)j, first = b * CX_BLOCK_PATHS;
            uint64_t left = o->paths - first;
            slots[j].n = left < CX_BLOCK_PATHS ? (int)left : CX_BLOCK_PATHS;
            slots[j].done = 0;
        }
        OMP(omp parallel num_threads(nt))
        {
#if CX_HAVE_OPENMP
            const int tid = omp_get_thread_num();
#else
            const int tid = 0;
#endif
            OMP(omp for schedule(dynamic, 1))
            for (int j = 0; j < rn; j++) {
                /* the only shared read in the loop: once per block, relaxed */
                if (o->interrupt && atomic_load_explicit(o->interrupt, memory_order_relaxed))
                    continue;
                run_block(o, src, m, sc, tc[tid], tid, &slots[j], b0 + (uint64_t)j);
                slots[j].done = 1;
            }
            /* each thread empties its own buffer into its own accumulator (no barrier needed
             * before: nothing else reads either), so that drain_threads sees every path */
            cx_accum_add_buf(tc[tid]->acc, &tc[tid]->buf);
        }
        /* fold the round's blocks in block order: the bits do not depend on who ran them */
        for (int j = 0; j < rn; j++) {
            if (!slots[j].done) {
                run->interrupted = true;
                continue;
            }
            cx_accum_merge_block(run->accum, &slots[j].bm);
            if (o->observer)
                o->observer->merge_block(o->observer->ctx, slots[j].obs, b0 + (uint64_t)j);
            run->paths_done += (uint64_t)slots[j].n;
            run->blocks_done++;
        }
        if (run->interrupted) break;
        if (o->progress || o->stop) {
            cx_engine_progress p = {run->paths_done, o->paths, run->blocks_done, now_s() - t0,
                                    NULL};
            if (o->stop_needs_accum) {
                if ((rc = drain_threads(run->accum, tc, nt)) < 0) goto done;
                p.accum = run->accum;
            }
            if (o->progress) o->progress(o->cb_ctx, &p);
            if (o->stop && run->paths_done < o->paths && o->stop(o->cb_ctx, &p)) {
                run->stopped = true;
                break;
            }
        }
    }
    run->elapsed_s = now_s() - t0;
    run->complete = run->paths_done == o->paths;
    if ((rc = drain_threads(run->accum, tc, nt)) < 0) goto done;
    rc = 0;

done:
    for (int t = 0; tc && t < nt; t++) {
        thread_ctx *c = tc[t];
        if (!c) continue;
        if (c->r) gsl_rng_free(c->r);
        cx_scratch_free(c->scratch);
        free(c->x);
        cx_accum_free(c->acc);
        cx_accum_buf_clear(&c->buf);
        if (c->src_state && src->thread_free) src->thread_free(src->ctx, c->src_state);
        free(c);
    }
    free(tc);
    if (slots) {
        for (int j = 0; j < round_slots; j++) {
            cx_block_moments_clear(&slots[j].bm);
            free(slots[j].obs);
        }
        free(slots);
    }
    if (rc < 0) {
        cx_run_free(run);
        return rc;
    }
    *out = run;
    return 0;
}
