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
 * Issue 12 adds, at the round boundaries only: a checkpoint save (cx_engine_ckpt; resumed
 * runs start from a saved cx_engine_state), and processes (cx_engine_comm: each rank runs a
 * contiguous share of the round's blocks; rank 0 gathers the blocks' slots and the ranks'
 * integer state, folds, decides and tells the others).
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

#include "sim/engine/engine.h"
#include "sim/base/error.h"
#include "sim/rng/pcg.h"
#include "sim/input/sampler.h"

/* Everything one thread touches in the per-path loop; aligned so threads share no line. */
typedef struct thread_ctx {
    gsl_rng *r;
    cx_scratch *scratch;
    double *x;          /* CX_MODEL_LANES rows of n_inputs: a batch's scalar inputs */
    void *src_state;
    cx_accum *acc;
    cx_accum_buf buf;   /* the values of its latest paths: moments per block, acc in batches */
    cx_path_result res[CX_MODEL_LANES];
    cx_path_streams streams[CX_MODEL_LANES];
    /* the outcome breakdown (opts.breakdown): the block's outcome bits, and scratch */
    uint32_t bits[CX_BLOCK_PATHS];
    double split[CX_BLOCK_PATHS];
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

/* A thread's: the rows that hold the fixed inputs' values (default_fill_batch), scratch. */
typedef struct default_state {
    const double *x;
    int rows;
    double work[];   /* a batch's: CX_MODEL_LANES x cx_sampler_work_size */
} default_state;

static int default_thread_new(void *ctx, void **state)
{
    const default_src *d = ctx;
    int n = CX_MODEL_LANES * cx_sampler_work_size(d->sampler);
    *state = alloc_lines(sizeof(default_state) + (size_t)(n > 0 ? n : 1) * sizeof(double));
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
    default_state *st = state;
    cx_sampler_draw(d->sampler, r, x, st->work);
}

/* A batch of rows at once: the same numbers as default_fill path by path, each input's
 * inverse CDF run over the batch (cx_sampler_draw_batch). The fixed inputs' values go into
 * the thread's rows once: besides this, only the fixed-input overrides write there (the
 * model and the observer read them), and an override writes the same value after every
 * fill. */
static void default_fill_batch(void *ctx, void *state, uint64_t b, int i0, int nb, gsl_rng *r,
                               double *x, size_t x_stride)
{
    (void)b;
    (void)i0;
    const default_src *d = ctx;
    default_state *st = state;
    const bool set = st->x == x && st->rows >= nb;
    cx_sampler_draw_batch(d->sampler, NULL, r, nb, x, x_stride, set, st->work);
    if (!set) {
        st->x = x;
        st->rows = nb;
    }
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
 * by side (cx_model_batch; path i of the block draws from its own streams (seed, b, i, group), so a
 * path's result does not depend on the batch it runs in). Allocates nothing. Ctrl-C (intr)
 * is looked at before every batch: once it is set the block is abandoned, its paths taken
 * back out of the thread's buffer, and it counts as not run (a block is the unit of
 * reproducibility; a resumed run runs it again whole).
 * @return true when the block ran to its end. */
static bool run_block(const cx_engine_opts *o, const cx_input_source *src, const cx_model *m,
                      const cx_scenario *sc, thread_ctx *t, int tid, slot *s, uint64_t b,
                      const atomic_int *intr)
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
        /* a shared read once a batch, relaxed: the flag is written once, by the handler */
        if (intr && atomic_load_explicit(intr, memory_order_relaxed)) {
            t->buf.n = first;
            return false;
        }
        const int nb = s->n - i0 < CX_MODEL_LANES ? s->n - i0 : CX_MODEL_LANES;
        /* inputs from the block stream, in path order (as before batching) */
        if (src->fill_batch)
            src->fill_batch(src->ctx, t->src_state, b, i0, nb, t->r, t->x, stride);
        for (int i = 0; i < nb; i++) {
            double *x = t->x + (size_t)i * stride;
            if (!src->fill_batch) src->fill(src->ctx, t->src_state, b, i0 + i, t->r, x);
            for (int k = 0; k < o->n_fixed; k++) x[o->fixed_input[k]] = o->fixed_value[k];
            if (t->acc->bd) t->bits[i0 + i] = cx_breakdown_bits(t->acc->bd, x);
        }
        for (int i = 0; i < nb; i++) {
            cx_pcg32_group_stream(&t->streams[i].price, o->seed, b, (uint64_t)(i0 + i),
                                  CX_MODEL_STREAM_PRICE);
            cx_pcg32_group_stream(&t->streams[i].events, o->seed, b, (uint64_t)(i0 + i),
                                  CX_MODEL_STREAM_EVENTS);
        }
        cx_model_batch(m, t->x, stride, nb, t->streams, t->scratch, t->res, NULL);
        for (int i = 0; i < nb; i++) {
            cx_accum_buf_put(&t->buf, &t->res[i]);
            if (obs) obs->path(obs->ctx, s->obs, tid, t->x + (size_t)i * stride, &t->res[i]);
        }
    }
    /* the block's moments now, from its rows while they are in cache; the sketches later */
    cx_block_moments_add_buf(&s->bm, &t->buf, first, s->n);
    cx_block_moments_finish(&s->bm);
    /* the outcome breakdown: integer state, the whole block at once */
    if (t->acc->bd)
        cx_breakdown_add_block(t->acc->bd, t->buf.val + first, t->buf.stride, s->n, t->bits,
                               t->split);
    return true;
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

/* ---- issue 12: rounds shared by processes; checkpoints and resumption ---- */

/* The blocks [lo, hi) of a round of rn that this rank runs: contiguous, sizes within one. */
static void rank_range(int rn, const cx_engine_comm *cm, int *lo, int *hi)
{
    const int64_t r = cm ? cm->rank : 0, n = cm ? cm->size : 1;
    *lo = (int)((int64_t)rn * r / n);
    *hi = (int)((int64_t)rn * (r + 1) / n);
}

static void put_vals(cx_wbuf *w, const cx_block_moments *bm, int n);
static void get_vals(cx_rbuf *r, cx_block_moments *bm, int n);

/*
 * Rank 0 receives the partials (moments, observer state) of the blocks that the other ranks
 * ran in this round and marks them done; blocks done before a resumption (pre) are not sent.
 * Message of a rank: count, then (block, moments, observer bytes) for each block it ran.
 */
static int gather_slots(const cx_engine_comm *cm, const cx_engine_opts *o, slot *slots, int rn,
                        int lo, int hi, const unsigned char *pre, int ns)
{
    cx_wbuf w = {0}, all = {0};
    const size_t ob = o->observer ? o->observer->block_bytes : 0;
    uint32_t cnt = 0;
    if (cm->rank != 0)
        for (int j = lo; j < hi; j++) cnt += slots[j].done && !(pre && pre[j]);
    cx_wbuf_u32(&w, cnt);
    for (int j = lo; cm->rank != 0 && j < hi; j++) {
        if (!slots[j].done || (pre && pre[j])) continue;
        cx_wbuf_u32(&w, (uint32_t)j);
        cx_moments_serialise(slots[j].bm.out, ns, &w);
        put_vals(&w, &slots[j].bm, slots[j].n);
        cx_wbuf_put(&w, slots[j].obs, ob);
    }
    int rc = w.err ? w.err : cm->gather(cm->ctx, &w, &all);
    if (rc == 0 && cm->rank == 0) {
        cx_rbuf r;
        cx_rbuf_init(&r, all.p, all.n);
        for (int k = 0; k < cm->size && !r.err; k++) {
            uint32_t c = cx_rbuf_u32(&r);
            for (uint32_t i = 0; i < c && !r.err; i++) {
                uint32_t j = cx_rbuf_u32(&r);
                if (j >= (uint32_t)rn) {
                    r.err = CX_ERR_INTERNAL;
                    break;
                }
                cx_moments_deserialise(slots[j].bm.out, ns, &r);
                slots[j].bm.n = (uint64_t)slots[j].n; /* as the rank that ran it had it */
                get_vals(&r, &slots[j].bm, slots[j].n);
                cx_rbuf_get(&r, slots[j].obs, ob);
                slots[j].done = 1;
            }
        }
        if (r.err || cx_rbuf_left(&r)) rc = CX_ERR_INTERNAL;
    }
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&all);
    return rc;
}

/*
 * The ranks' integer state into rank 0's total (integer additions: any order); the other
 * ranks' `pending` is emptied once sent. On rank 0 `pending` is scratch for one message.
 */
static int gather_counts(const cx_engine_comm *cm, cx_accum *total, cx_accum *pending)
{
    cx_wbuf w = {0}, all = {0};
    if (cm->rank != 0) cx_accum_serialise(pending, &w);
    int rc = w.err ? w.err : cm->gather(cm->ctx, &w, &all);
    if (rc == 0 && cm->rank == 0) {
        cx_rbuf r;
        cx_rbuf_init(&r, all.p, all.n);
        while (rc == 0 && cx_rbuf_left(&r) > 0) {
            if (cx_accum_deserialise(pending, &r) < 0) rc = CX_ERR_INTERNAL;
            else rc = cx_accum_merge(total, pending);
        }
        if (r.err) rc = CX_ERR_INTERNAL;
    } else if (rc == 0) {
        cx_accum_reset(pending);
    }
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&all);
    return rc;
}

/* Rank 0's result (counts, flags, the merged total) to every rank, so that each returns the
 * same run: callers need not know which rank they are on (a sweep builds every point's
 * report everywhere). A few MB once per run. */
static int share_outcome(const cx_engine_comm *cm, cx_run *run)
{
    cx_wbuf w = {0};
    if (cm->rank == 0) {
        cx_wbuf_u64(&w, run->paths_done);
        cx_wbuf_u64(&w, run->blocks_done);
        cx_wbuf_u8(&w, run->interrupted);
        cx_wbuf_u8(&w, run->stopped);
        cx_accum_serialise(run->accum, &w);
    }
    uint64_t n = w.err ? 0 : w.n;
    int rc = cm->bcast(cm->ctx, &n, sizeof n);
    if (rc == 0 && n == 0) rc = CX_ERR_NOMEM; /* rank 0 could not say: every rank fails */
    if (rc == 0 && cm->rank != 0) {
        if (!(w.p = malloc(n))) rc = CX_ERR_NOMEM; /* MPI aborts the job on a failed rank */
        w.n = w.cap = n;
    }
    if (rc == 0 && (rc = cm->bcast(cm->ctx, w.p, n)) == 0 && cm->rank != 0) {
        cx_rbuf r;
        cx_rbuf_init(&r, w.p, w.n);
        run->paths_done = cx_rbuf_u64(&r);
        run->blocks_done = cx_rbuf_u64(&r);
        run->interrupted = cx_rbuf_u8(&r) != 0;
        run->stopped = cx_rbuf_u8(&r) != 0;
        if (cx_accum_deserialise(run->accum, &r) < 0 || cx_rbuf_left(&r)) rc = CX_ERR_INTERNAL;
    }
    cx_wbuf_clear(&w);
    return rc;
}

/* Paths of block b of a run of `paths` paths. */
static int block_paths(uint64_t paths, uint64_t b)
{
    uint64_t left = paths - b * CX_BLOCK_PATHS;
    return left < CX_BLOCK_PATHS ? (int)left : CX_BLOCK_PATHS;
}

/* A state to resume from must fit this run: its blocks, its round sizes, its shape. */
static int resume_check(const cx_engine_opts *o, const cx_engine_state *st, uint64_t nblocks,
                        int ns, int vals_cap)
{
    if (!st->accum || st->next_block > nblocks || st->blocks_done > st->next_block ||
        st->paths_done > o->paths || st->partial_n < 0 ||
        (st->stopped && st->partial_n) || !(st->elapsed_s >= 0))
        return CX_ERR_RANGE;
    const size_t ob = o->observer ? o->observer->block_bytes : 0;
    if (st->obs_block != ob || (ob && !st->obs) || (ob && st->partial_n && !st->obs_blocks))
        return CX_ERR_CONFIG;
    if (st->partial_n == 0) return 0;
    uint64_t rs = round_size(o, st->next_block);
    uint64_t rn = nblocks - st->next_block < rs ? nblocks - st->next_block : rs;
    if ((uint64_t)st->partial_n != rn || st->n_series != ns || !st->done || !st->paths ||
        !st->mom || st->vals_cap != vals_cap || (vals_cap && (!st->vals_ok || !st->vals)))
        return CX_ERR_RANGE;
    for (int j = 0; j < st->partial_n; j++)
        if (st->done[j] > 1 ||
            (st->done[j] && st->paths[j] != block_paths(o->paths, st->next_block + (uint64_t)j)))
            return CX_ERR_RANGE;
    /* an observer's block states: whole blocks that merge_block may read (untrusted bytes) */
    for (int j = 0; ob && j < st->partial_n; j++)
        if (st->done[j] &&
            !o->observer->check_block(o->observer->ctx, st->obs_blocks + (size_t)j * ob,
                                      st->next_block + (uint64_t)j, st->paths[j]))
            return CX_ERR_CONFIG;
    return 0;
}

/* The run's total from a state: its integer state, moments and replicate statistics, bit
 * for bit (through their bytes, so that nothing is left out). */
static int resume_accum(cx_accum *total, const cx_accum *from)
{
    if (total->n_rq != from->n_rq || !cx_breakdown_same_shape(total->bd, from->bd))
        return CX_ERR_RANGE;
    cx_wbuf w = {0};
    cx_accum_serialise(from, &w);
    int rc = w.err;
    if (rc == 0) {
        cx_rbuf r;
        cx_rbuf_init(&r, w.p, w.n);
        rc = cx_accum_deserialise(total, &r);
    }
    cx_wbuf_clear(&w);
    return rc;
}

/* A block's kept values (replicate statistics), as bytes: a flag, then the values. */
static void put_vals(cx_wbuf *w, const cx_block_moments *bm, int n)
{
    if (!bm->cap) return;
    cx_wbuf_u8(w, (uint8_t)(bm->vals_ok != 0));
    if (bm->vals_ok)
        for (int i = 0; i < CX_N_METRICS; i++)
            cx_wbuf_put(w, bm->vals + (size_t)i * (size_t)bm->cap, (size_t)n * sizeof(double));
}

static void get_vals(cx_rbuf *r, cx_block_moments *bm, int n)
{
    if (!bm->cap) return;
    bm->vals_ok = cx_rbuf_u8(r) == 1;
    if (bm->vals_ok && n <= bm->cap)
        for (int i = 0; i < CX_N_METRICS; i++)
            cx_rbuf_get(r, bm->vals + (size_t)i * (size_t)bm->cap, (size_t)n * sizeof(double));
}

/* Saves the state at a round boundary: blocks before next folded, none pending. */
static int save_state(const cx_engine_opts *o, const cx_run *run, uint64_t next, bool final,
                      double elapsed_s)
{
    cx_engine_state st = {next, run->paths_done, run->blocks_done, run->stopped, elapsed_s,
                          run->accum, 0, 0, NULL, NULL, NULL, 0, NULL, NULL,
                          NULL, 0, 0, NULL};
    cx_wbuf w = {0};
    if (o->observer) {
        o->observer->save(o->observer->ctx, &w);
        if (w.err) return w.err;
        st.obs = w.p;
        st.obs_n = w.n;
        st.obs_block = o->observer->block_bytes;
    }
    int rc = o->ckpt->save(o->ckpt->ctx, &st, final);
    cx_wbuf_clear(&w);
    return rc;
}

/* Saves the state of an interrupted round (starting at b0) before its done blocks fold. */
static int save_partial(const cx_engine_opts *o, const cx_run *run, const slot *slots, int rn,
                        uint64_t b0, int ns, double elapsed_s)
{
    cx_engine_state st = {b0, run->paths_done, run->blocks_done, false, elapsed_s, run->accum,
                          rn, ns, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL};
    const size_t cap = (size_t)slots[0].bm.cap, vn = (size_t)CX_N_METRICS * cap;
    const size_t ob = o->observer ? o->observer->block_bytes : 0;
    cx_wbuf w = {0};
    if (ob) {
        o->observer->save(o->observer->ctx, &w);
        st.obs = w.p;
        st.obs_n = w.n;
        st.obs_block = ob;
        st.obs_blocks = calloc((size_t)rn, ob);
    }
    st.done = calloc((size_t)rn, 1);
    st.paths = calloc((size_t)rn, sizeof *st.paths);
    st.mom = calloc((size_t)rn * (size_t)ns, sizeof *st.mom);
    st.vals_cap = (int)cap;
    if (cap) {
        st.vals_ok = calloc((size_t)rn, 1);
        st.vals = calloc((size_t)rn * vn, sizeof *st.vals);
    }
    int rc = CX_ERR_NOMEM;
    if (st.done && st.paths && st.mom && (!cap || (st.vals_ok && st.vals)) &&
        (!ob || (!w.err && st.obs_blocks))) {
        for (int j = 0; j < rn; j++) {
            if (!slots[j].done) continue;
            st.done[j] = 1;
            st.paths[j] = slots[j].n;
            memcpy(st.mom + (size_t)j * (size_t)ns, slots[j].bm.out, (size_t)ns * sizeof *st.mom);
            if (cap && (st.vals_ok[j] = slots[j].bm.vals_ok != 0))
                memcpy(st.vals + (size_t)j * vn, slots[j].bm.vals, vn * sizeof *st.vals);
            if (ob) memcpy(st.obs_blocks + (size_t)j * ob, slots[j].obs, ob);
        }
        rc = o->ckpt->save(o->ckpt->ctx, &st, true);
    }
    free(st.done);
    free(st.paths);
    free(st.mom);
    free(st.vals_ok);
    free(st.vals);
    free(st.obs_blocks);
    cx_wbuf_clear(&w);
    return rc;
}

/* ---- a run, from its options to its result ---- */

/* One run's working state, from its start to its end: what the round loop reads and writes.
 * Set up by run_setup, torn down by run_teardown; per-path work never reads it (run_block
 * takes its own arguments, as before). */
typedef struct run_ctx {
    const cx_engine_opts *o;
    const cx_scenario *sc;
    const cx_model *m;
    const cx_input_source *src;
    const cx_engine_comm *cm;   /* NULL on one process */
    bool root;                  /* this process folds and reports: rank 0, or the only one */
    int nt, nq, ns, round_slots;
    uint64_t nblocks;
    cx_run *run;
    thread_ctx **tc;
    slot *slots;
    cx_accum *pending;          /* rank 0: a message's integer state; the others: theirs */
    cx_accum *mine;             /* where this process drains its threads' integer state */
    const cx_engine_state *st;  /* the state resumed from, or NULL */
    const atomic_int *intr;
    double t0, elapsed0, last_save;
    bool saved;                 /* a final checkpoint is written already */
} run_ctx;

/* The options fit the scenario and each other (engine.h: cx_engine_run's CX_ERR_RANGE). */
static int check_opts(const cx_scenario *sc, const cx_engine_opts *o)
{
    if (o->paths == 0 || o->threads < 1 || o->n_fixed < 0 || o->n_fixed > CX_ENGINE_MAX_FIXED ||
        o->round_blocks < 0 || o->round_blocks > CX_MAX_ROUND_BLOCKS || o->n_rep_q < 0 ||
        o->n_rep_q > CX_REP_MAX_Q)
        return CX_ERR_RANGE;
    for (int k = 0; k < o->n_fixed; k++)
        if (o->fixed_input[k] < 0 || o->fixed_input[k] >= sc->n_inputs) return CX_ERR_RANGE;
    if (o->observer && (!o->observer->block_init || !o->observer->path ||
                        !o->observer->merge_block))
        return CX_ERR_RANGE;
    /* an observer's merged state is its own: shared between processes only when it is all
     * per-block state (engine.h: it travels with the blocks to rank 0); saved only when it
     * can save, load and check it (issue 23), in one process */
    if (o->observer && o->comm && o->comm->size > 1 &&
        (!o->observer->shareable || o->observer->start))
        return CX_ERR_RANGE;
    if (o->observer && o->ckpt &&
        ((o->comm && o->comm->size > 1) || !o->observer->save || !o->observer->load ||
         !o->observer->check_block))
        return CX_ERR_RANGE;
    if (o->ckpt && (!o->ckpt->save || !(o->ckpt->every_s >= 0))) return CX_ERR_RANGE;
    if (o->comm && (o->comm->size < 1 || o->comm->rank < 0 || o->comm->rank >= o->comm->size ||
                    (o->comm->size > 1 && (!o->comm->gather || !o->comm->bcast))))
        return CX_ERR_RANGE;
    return 0;
}

/* Each thread's state (stream, scratch, input rows, accumulator, buffer, source state), all
 * of it before the parallel region. On failure what was made stays in e->tc for
 * run_teardown. */
static int threads_new(run_ctx *e)
{
    const cx_scenario *sc = e->sc;
    const cx_input_source *src = e->src;
    int rc = CX_ERR_NOMEM;
    for (int t = 0; t < e->nt; t++) {
        thread_ctx *c = e->tc[t] = alloc_lines(sizeof *c);
        if (!c) return rc;
        if (!(c->r = gsl_rng_alloc(cx_gsl_rng_pcg64))) return rc;
        if ((rc = cx_scratch_new(&c->scratch, e->m)) < 0) return rc;
        rc = CX_ERR_NOMEM;
        if (!(c->x = alloc_lines((size_t)CX_MODEL_LANES * (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) *
                                 sizeof *c->x)))
            return rc;
        if ((rc = cx_accum_new(&c->acc, e->nq, sc->thresholds, sc->n_thresholds,
                               sc->relative_error)) < 0)
            return rc;
        if ((rc = cx_accum_buf_init(&c->buf, e->nq, CX_ACCUM_BATCH_BLOCKS * CX_BLOCK_PATHS)) < 0)
            return rc;
        if (src->thread_new && (rc = src->thread_new(src->ctx, &c->src_state)) < 0) return rc;
        rc = CX_ERR_NOMEM;
    }
    return 0;
}

/* The round buffer's slots: each block's moments (and kept values, observer state). */
static int slots_new(run_ctx *e)
{
    const cx_engine_opts *o = e->o;
    int rc;
    for (int j = 0; j < e->round_slots; j++) {
        if ((rc = cx_block_moments_init(&e->slots[j].bm, e->nq)) < 0) return rc;
        if (o->n_rep_q &&
            (rc = cx_block_moments_keep_values(&e->slots[j].bm, CX_BLOCK_PATHS)) < 0)
            return rc;
        if (o->observer && !(e->slots[j].obs = alloc_lines(o->observer->block_bytes)))
            return CX_ERR_NOMEM;
    }
    return 0;
}

/*
 * The outcome breakdown (opts.breakdown): the scenario's uncertain outcome inputs, the first
 * CX_BD_MAX_OUTCOMES of them in input order, kept by the run's total, each thread's
 * accumulator and the pending integer state of processes (the latter made by run_setup
 * after this). A scenario without outcomes keeps none.
 */
static int breakdown_setup(run_ctx *e)
{
    cx_bd_shape sh;
    cx_bd_shape_of(&sh, e->sc);
    if (sh.n_out == 0) return 0;
    int rc = cx_accum_want_breakdown(e->run->accum, sh.n_out, sh.input, sh.prob);
    for (int t = 0; rc == 0 && t < e->nt; t++)
        rc = cx_accum_want_breakdown(e->tc[t]->acc, sh.n_out, sh.input, sh.prob);
    return rc;
}

/* Everything a run needs before its first round: the result, the threads' state, the
 * round's slots, the observer's start and, with processes, the pending integer state.
 * On failure what was made stays in e for run_teardown. */
static int run_setup(run_ctx *e)
{
    const cx_engine_opts *o = e->o;
    const cx_scenario *sc = e->sc;
    e->run = calloc(1, sizeof *e->run);
    e->tc = calloc((size_t)e->nt, sizeof *e->tc);
    e->slots = aligned_alloc(64, ((size_t)e->round_slots * sizeof *e->slots + 63) / 64 * 64);
    if (!e->run || !e->tc || !e->slots) return CX_ERR_NOMEM;
    memset(e->slots, 0, (size_t)e->round_slots * sizeof *e->slots);
    e->run->threads = e->nt;
    int rc;
    if ((rc = cx_accum_new(&e->run->accum, e->nq, sc->thresholds, sc->n_thresholds,
                           sc->relative_error)) < 0)
        return rc;
    if (o->n_rep_q &&
        (rc = cx_accum_want_replicates(e->run->accum, o->rep_q, o->n_rep_q, CX_BLOCK_PATHS)) < 0)
        return rc;
    if ((rc = threads_new(e)) < 0 || (rc = slots_new(e)) < 0) return rc;
    if (o->breakdown && (rc = breakdown_setup(e)) < 0) return rc;
    if (o->observer && o->observer->start && (rc = o->observer->start(o->observer->ctx, e->nt)) < 0)
        return rc;
    /* issue 12: a run shared by processes (rank 0 folds and reports), resumed from a state */
    e->run->ranks = e->cm ? e->cm->size : 1;
    if (e->cm && (rc = cx_accum_new(&e->pending, e->nq, sc->thresholds, sc->n_thresholds,
                                    sc->relative_error)) < 0)
        return rc;
    if (e->pending && e->run->accum->bd) {
        const cx_breakdown *bd = e->run->accum->bd;
        if ((rc = cx_accum_want_breakdown(e->pending, bd->n_out, bd->input, bd->prob)) < 0)
            return rc;
    }
    e->mine = e->root ? e->run->accum : e->pending;
    e->ns = e->slots[0].bm.n_series;
    return 0;
}

/* Frees what run_setup made (any part of it); the result too unless keep_run. */
static void run_teardown(run_ctx *e, bool keep_run)
{
    cx_accum_free(e->pending);
    for (int t = 0; e->tc && t < e->nt; t++) {
        thread_ctx *c = e->tc[t];
        if (!c) continue;
        if (c->r) gsl_rng_free(c->r);
        cx_scratch_free(c->scratch);
        free(c->x);
        cx_accum_free(c->acc);
        cx_accum_buf_clear(&c->buf);
        if (c->src_state && e->src->thread_free) e->src->thread_free(e->src->ctx, c->src_state);
        free(c);
    }
    free(e->tc);
    if (e->slots) {
        for (int j = 0; j < e->round_slots; j++) {
            cx_block_moments_clear(&e->slots[j].bm);
            free(e->slots[j].obs);
        }
        free(e->slots);
    }
    if (!keep_run) cx_run_free(e->run);
}

/* Resumes from the checkpoint's state, if it has one: *b0 is the first block to run. */
static int resume_begin(run_ctx *e, uint64_t *b0)
{
    const cx_engine_opts *o = e->o;
    int rc;
    *b0 = 0;
    if (o->ckpt && o->ckpt->begin && (rc = o->ckpt->begin(o->ckpt->ctx, &e->st)) < 0) return rc;
    const cx_engine_state *st = e->st;
    if (!st) return 0;
    if ((rc = resume_check(o, st, e->nblocks, e->ns, e->slots[0].bm.cap)) < 0) return rc;
    *b0 = st->next_block;
    e->run->paths_done = st->paths_done;
    e->run->blocks_done = st->blocks_done;
    e->run->stopped = st->stopped;
    if (e->root && (rc = resume_accum(e->run->accum, st->accum)) < 0) return rc;
    if (o->observer) {
        cx_rbuf r;
        cx_rbuf_init(&r, st->obs, st->obs_n);
        if (o->observer->load(o->observer->ctx, &r) < 0 || r.err || cx_rbuf_left(&r))
            return CX_ERR_CONFIG; /* a damaged observer state (the checkpoint's) */
    }
    e->elapsed0 = st->elapsed_s;
    return 0;
}

/* The slots of the round of rn blocks from b0: their sizes, and the blocks done before a
 * resumption (pre) with their moments and kept values as saved. */
static void round_load(run_ctx *e, uint64_t b0, int rn, const unsigned char *pre)
{
    const cx_engine_state *st = e->st;
    const int ns = e->ns;
    slot *slots = e->slots;
    for (int j = 0; j < rn; j++) {
        uint64_t b = b0 + (uint64_t)j, first = b * CX_BLOCK_PATHS;
        uint64_t left = e->o->paths - first;
        slots[j].n = left < CX_BLOCK_PATHS ? (int)left : CX_BLOCK_PATHS;
        slots[j].done = pre ? pre[j] : 0;
        if (pre && pre[j] && e->root) {
            memcpy(slots[j].bm.out, st->mom + (size_t)j * (size_t)ns,
                   (size_t)ns * sizeof *slots[j].bm.out);
            /* the block's kept values (replicate statistics), as saved */
            const size_t vn = (size_t)CX_N_METRICS * (size_t)slots[j].bm.cap;
            slots[j].bm.n = (uint64_t)slots[j].n;
            slots[j].bm.vals_ok = vn && st->vals_ok[j];
            if (slots[j].bm.vals_ok)
                memcpy(slots[j].bm.vals, st->vals + (size_t)j * vn, vn * sizeof(double));
            /* the block's observer state, as saved (checked by resume_check) */
            if (st->obs_block)
                memcpy(slots[j].obs, st->obs_blocks + (size_t)j * st->obs_block, st->obs_block);
        }
    }
}

/* This process's blocks [lo, hi) of the round from b0 on the threads, dynamic schedule. */
static void round_run(const run_ctx *e, uint64_t b0, int lo, int hi)
{
    const cx_engine_opts *o = e->o;
    const cx_input_source *src = e->src;
    const cx_model *m = e->m;
    const cx_scenario *sc = e->sc;
    thread_ctx **tc = e->tc;
    slot *slots = e->slots;
    const atomic_int *intr = e->intr;
    OMP(omp parallel num_threads(e->nt))
    {
#if CX_HAVE_OPENMP
        const int tid = omp_get_thread_num();
#else
        const int tid = 0;
#endif
        OMP(omp for schedule(dynamic, 1))
        for (int j = lo; j < hi; j++) {
            if (slots[j].done) continue; /* resumed: ran before the checkpoint */
            /* a shared read once a block (and once a batch in run_block), relaxed */
            if (intr && atomic_load_explicit(intr, memory_order_relaxed)) continue;
            slots[j].done = run_block(o, src, m, sc, tc[tid], tid, &slots[j],
                                      b0 + (uint64_t)j, intr);
        }
        /* each thread empties its own buffer into its own accumulator (no barrier needed
         * before: nothing else reads either), so that drain_threads sees every path */
        cx_accum_add_buf(tc[tid]->acc, &tc[tid]->buf);
    }
}

/* After a round's blocks ran: rank 0 gathers the slots, decides whether the round was
 * interrupted and whether the integer state is needed now (the others follow), and an
 * interrupted round is saved as it stands before its done blocks fold. *due: a periodic
 * checkpoint is due after this round. */
static int round_settle(run_ctx *e, uint64_t b0, int rn, int lo, int hi,
                        const unsigned char *pre, bool *due)
{
    const cx_engine_opts *o = e->o;
    const cx_engine_comm *cm = e->cm;
    cx_run *run = e->run;
    int rc;
    if (cm && (rc = gather_slots(cm, o, e->slots, rn, lo, hi, pre, e->ns)) < 0) return rc;
    unsigned char ctl[2] = {0, 0};
    *due = false;
    if (e->root) {
        for (int j = 0; j < rn; j++) ctl[0] |= !e->slots[j].done;
        *due = o->ckpt && now_s() - e->last_save >= o->ckpt->every_s &&
               b0 + (uint64_t)rn < e->nblocks;
        ctl[1] = o->stop_needs_accum || (o->ckpt && (ctl[0] || *due));
    }
    if (cm && (rc = cm->bcast(cm->ctx, ctl, sizeof ctl)) < 0) return rc;
    if (ctl[1]) {
        if ((rc = drain_threads(e->mine, e->tc, e->nt)) < 0) return rc;
        if (cm && (rc = gather_counts(cm, run->accum, e->pending)) < 0) return rc;
    }
    if (ctl[0]) {
        run->interrupted = true;
        if (e->root && o->ckpt) {
            if ((rc = save_partial(o, run, e->slots, rn, b0, e->ns,
                                   e->elapsed0 + now_s() - e->t0)) < 0)
                return rc;
            e->saved = true;
        }
    }
    return 0;
}

/* Folds the round's done blocks into the total in block order (rank 0): the bits do not
 * depend on who ran them. */
static void round_fold(run_ctx *e, uint64_t b0, int rn)
{
    const cx_engine_opts *o = e->o;
    cx_run *run = e->run;
    for (int j = 0; e->root && j < rn; j++) {
        if (!e->slots[j].done) continue;
        cx_accum_merge_block(run->accum, &e->slots[j].bm);
        if (o->observer)
            o->observer->merge_block(o->observer->ctx, e->slots[j].obs, b0 + (uint64_t)j);
        run->paths_done += (uint64_t)e->slots[j].n;
        run->blocks_done++;
    }
}

/* Progress, and the stop predicate (rank 0 asks it, the others follow): *stop says to stop
 * after this round. */
static int round_progress(run_ctx *e, bool *stop)
{
    const cx_engine_opts *o = e->o;
    cx_run *run = e->run;
    unsigned char s = 0;
    if (e->root && (o->progress || o->stop)) {
        cx_engine_progress p = {run->paths_done, o->paths, run->blocks_done,
                                e->elapsed0 + now_s() - e->t0, NULL};
        if (o->stop_needs_accum) p.accum = run->accum;
        if (o->progress) o->progress(o->progress_ctx ? o->progress_ctx : o->cb_ctx, &p);
        s = o->stop && run->paths_done < o->paths && o->stop(o->cb_ctx, &p);
    }
    int rc;
    if (e->cm && o->stop && (rc = e->cm->bcast(e->cm->ctx, &s, 1)) < 0) return rc;
    *stop = s;
    return 0;
}

/* The rounds from *b0 until every block ran, the run stopped or was interrupted; *b0 is
 * then the first block not folded. */
static int run_rounds(run_ctx *e, uint64_t *b0)
{
    const cx_engine_opts *o = e->o;
    const cx_engine_state *st = e->st;
    cx_run *run = e->run;
    int rc;
    while (*b0 < e->nblocks && !run->stopped) {
        const uint64_t rs = round_size(o, *b0);
        const int rn = e->nblocks - *b0 < rs ? (int)(e->nblocks - *b0) : (int)rs;
        /* the done blocks of an interrupted round, when resuming at it */
        const unsigned char *pre = st && st->partial_n && *b0 == st->next_block ? st->done : NULL;
        round_load(e, *b0, rn, pre);
        int lo, hi;
        rank_range(rn, e->cm, &lo, &hi);
        round_run(e, *b0, lo, hi);
        bool due, stop;
        if ((rc = round_settle(e, *b0, rn, lo, hi, pre, &due)) < 0) return rc;
        round_fold(e, *b0, rn);
        if (run->interrupted) break;
        *b0 += (uint64_t)rn;
        if ((rc = round_progress(e, &stop)) < 0) return rc;
        if (stop) {
            run->stopped = true;
            break;
        }
        if (e->root && due) {
            if ((rc = save_state(o, run, *b0, false, e->elapsed0 + now_s() - e->t0)) < 0)
                return rc;
            e->last_save = now_s();
        }
    }
    return 0;
}

/* After the last round: the threads' and ranks' integer state into the total, rank 0's
 * result to every rank, the ranks' signals agreed, and the final checkpoint (b0: the first
 * block not folded). */
static int run_finish(run_ctx *e, uint64_t b0)
{
    const cx_engine_opts *o = e->o;
    const cx_engine_comm *cm = e->cm;
    cx_run *run = e->run;
    int rc;
    run->elapsed_s = e->elapsed0 + now_s() - e->t0;
    if ((rc = drain_threads(e->mine, e->tc, e->nt)) < 0) return rc;
    if (cm && (rc = gather_counts(cm, run->accum, e->pending)) < 0) return rc;
    if (cm && (rc = share_outcome(cm, run)) < 0) return rc;
    if (cm && cm->any && cm->interrupt &&
        cm->any(cm->signal && atomic_load(cm->signal) != 0))
        atomic_store(cm->interrupt, 1);
    run->complete = run->paths_done == o->paths;
    if (e->root && o->ckpt && !e->saved &&
        (rc = save_state(o, run, b0, true, run->elapsed_s)) < 0)
        return rc;
    return 0;
}

int cx_engine_run(cx_run **out, const cx_scenario *sc, const cx_model *m,
                  const cx_engine_opts *o)
{
    *out = NULL;
    int rc = check_opts(sc, o);
    if (rc < 0) return rc;
    default_src dsrc = {sc->sampler};
    cx_input_source def = {&dsrc, default_thread_new, default_thread_free, NULL, default_fill,
                           default_fill_batch};
    run_ctx e = {.o = o, .sc = sc, .m = m, .src = o->source ? o->source : &def};
#if CX_HAVE_OPENMP
    e.nt = o->threads;
#else
    e.nt = 1;
#endif
    e.nq = cx_model_quarters(m);
    e.nblocks = (o->paths + CX_BLOCK_PATHS - 1) / CX_BLOCK_PATHS;
    const uint64_t max_round = o->round_blocks > 0 ? (uint64_t)o->round_blocks : CX_ROUND_BLOCKS;
    e.round_slots = e.nblocks < max_round ? (int)e.nblocks : (int)max_round;
    e.cm = o->comm && o->comm->size > 1 ? o->comm : NULL;
    e.root = !e.cm || e.cm->rank == 0;

    uint64_t b0 = 0;
    if ((rc = run_setup(&e)) < 0 || (rc = resume_begin(&e, &b0)) < 0) goto done;
    /* with processes, each checks its own signal; they agree on it at the end */
    e.intr = e.cm && e.cm->signal ? e.cm->signal : o->interrupt;
    e.t0 = e.last_save = now_s();
    if ((rc = run_rounds(&e, &b0)) < 0) goto done;
    rc = run_finish(&e, b0);

done:
    run_teardown(&e, rc == 0);
    if (rc == 0) *out = e.run;
    return rc < 0 ? rc : 0;
}
