/* SPDX-License-Identifier: MIT */
/* The Sobol design for any function: blocks over threads and ranks, target half-width, ranks. */
#include "config.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if CX_HAVE_OPENMP
#include <omp.h>
#endif

#include "sim/base/error.h"
#include "sim/base/serial.h"
#include "sim/engine/sampling.h"
#include "sim/rng/pcg.h"
#include "sim/study/sobol.h"
#include "sim/study/study.h"
#include "sim/study/study_internal.h"

/*
 * Base samples are cut into blocks of block_paths; block b draws everything from
 * cx_pcg64_stream(seed, b): its points of A and B, then one key per base sample. Blocks run
 * in rounds of at most CX_SOBOL_ROUND_BLOCKS; block b0 + j fills slot j of the accumulator,
 * and after the round the slots are folded in block order (one thread), so memory does not
 * grow with N and the bits depend neither on the threads nor on where rounds or stages end.
 * With a target half-width the blocks run in stages: the first ends at N, each next one
 * adds half the blocks done (at least one); after each stage rank 0 checks every 95%
 * half-width and tells the others whether to go on. The stage ends depend only on N.
 */

/* Rank 0 receives the records of the round's blocks [lo, hi) of every other rank (empty
 * records too: the fold skips them), into the same slots. */
static int gather_round(const cx_engine_comm *cm, cx_sobol_acc *a, int rn)
{
    int64_t lo, hi;
    cx_study_rank_share(cm, rn, &lo, &hi);
    cx_wbuf w = {0}, all = {0};
    if (cm->rank != 0)
        for (int64_t j = lo; j < hi; j++)
            cx_wbuf_put(&w, cx_sobol_acc_slot(a, (int)j), cx_sobol_acc_slot_bytes(a));
    int rc = w.err ? w.err : cm->gather(cm->ctx, &w, &all);
    if (rc == 0 && cm->rank == 0) {
        /* rank 0 sent nothing; rank k's blocks follow in rank order */
        int64_t from, to;
        cx_study_rank_share(cm, rn, &from, &to);
        size_t off = 0, one = cx_sobol_acc_slot_bytes(a);
        for (int64_t j = to; j < rn && rc == 0; j++, off += one) {
            if (off + one > all.n) rc = CX_ERR_INTERNAL;
            else memcpy(cx_sobol_acc_slot(a, (int)j), all.p + off, one);
        }
        if (off != all.n) rc = CX_ERR_INTERNAL;
    }
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&all);
    return rc;
}

/* What the blocks of a design share while they run. */
typedef struct design_run {
    const cx_sobol_design *des;
    const cx_sampling_plan *plan;
    cx_sobol_acc *acc;
    double **scratch;   /* per thread: block_paths x 2d uniforms, then fab (n_idx) */
    uint64_t total;     /* base samples of the last block's end */
    atomic_int stopped; /* set (relaxed) by whichever thread first sees the interrupt */
    /* checkpoints (issue 23): the stage in progress [start, end) after `stages` stages,
     * when the last save was, and the seconds of the sessions before this one */
    int64_t stage_start, stage_end, cap_blocks;
    int stages;
    double t0, last_save, elapsed0;
    int rc_save;
} design_run;

static int save_state(design_run *r, int64_t next, int rn);

static bool interrupted(const cx_sobol_design *des)
{
    return des->interrupt && atomic_load_explicit(des->interrupt, memory_order_relaxed);
}

/* Block b into slot j. @return false when Ctrl-C cut it short (its record is then emptied:
 * it folds as a block that did not run). */
static bool run_block(design_run *r, int thread, int64_t b, int j)
{
    const cx_sobol_design *des = r->des;
    const int d = des->d, bp = des->block_paths;
    uint64_t first = (uint64_t)b * (uint64_t)bp;
    int n = (int)(r->total - first < (uint64_t)bp ? r->total - first : (uint64_t)bp);
    double *u = r->scratch[thread], *fab = u + (size_t)bp * 2 * (size_t)d;
    cx_pcg64 g;
    cx_pcg64_stream(&g, des->seed, (uint64_t)b);
    cx_sampling_fill_block(r->plan, &g, n, u);
    for (int k = 0; k < n; k++) {
        if (interrupted(des)) {
            memset(cx_sobol_acc_slot(r->acc, j), 0, cx_sobol_acc_slot_bytes(r->acc));
            return false;
        }
        const double *row = u + (size_t)k * 2 * (size_t)d;
        double fa, fb;
        des->fn(des->ctx, thread, row, row + d, cx_pcg64_next(&g), &fa, &fb, fab);
        cx_sobol_acc_add(r->acc, j, fa, fb, fab);
    }
    return true;
}

/* Progress (issue 23): the round of rn blocks from b0 done to fraction f (of this rank's
 * share), as base samples of the most asked for. Reads counts only. */
static void report(const design_run *r, int64_t b0, int rn, double f)
{
    const double blocks = (double)b0 + f * (double)rn;
    const double done = blocks * (double)r->des->block_paths;
    r->des->progress(r->des->progress_ctx,
                     done < (double)r->total ? (uint64_t)done : r->total, r->total);
}

/* Blocks a round: CX_SOBOL_ROUND_BLOCKS, or fewer with a checkpoint's --round-blocks. */
static int64_t round_blocks(const cx_sobol_design *des)
{
    const uint32_t rb = des->ckpt ? des->ckpt->round_blocks : 0;
    return rb > 0 && rb < CX_SOBOL_ROUND_BLOCKS ? (int64_t)rb : CX_SOBOL_ROUND_BLOCKS;
}

/* Blocks [b0, b_end) in rounds, folded in block order. @return 0 or an error of the ranks. */
static int run_blocks(design_run *r, int64_t b0, int64_t b_end)
{
    const cx_sobol_design *des = r->des;
    const cx_engine_comm *cm = des->comm && des->comm->size > 1 ? des->comm : NULL;
    const int64_t R = round_blocks(des);
    for (; b0 < b_end && !atomic_load(&r->stopped); b0 += R) {
        const int rn = (int)(b_end - b0 < R ? b_end - b0 : R);
        int64_t jlo, jhi; /* this rank's blocks of the round (all of them alone) */
        cx_study_rank_share(cm, rn, &jlo, &jhi);
        atomic_int ran = 0; /* this round's blocks done here, for progress */
#if CX_HAVE_OPENMP
#pragma omp parallel for num_threads(des->threads) schedule(dynamic, 1)
#endif
        for (int j = (int)jlo; j < (int)jhi; j++) {
            if (cx_sobol_acc_slot(r->acc, j)[0] > 0.0)
                continue; /* done before the checkpoint it was resumed from */
            if (atomic_load_explicit(&r->stopped, memory_order_relaxed) || interrupted(des)) {
                atomic_store_explicit(&r->stopped, 1, memory_order_relaxed);
                continue;
            }
            const int thread = cx_study_thread_id();
            if (!run_block(r, thread, b0 + j, j))
                atomic_store_explicit(&r->stopped, 1, memory_order_relaxed);
            const int k = atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed) + 1;
            if (des->progress && thread == 0) /* the thread that folds, between its blocks */
                report(r, b0, rn, (double)k / (double)(jhi - jlo));
        }
        if (cm) {
            /* rank 0 folds every rank's records in block order; all stop together */
            int rc = gather_round(cm, r->acc, rn);
            if (rc != 0)
                return rc;
            atomic_store(&r->stopped, cx_study_any_stopped(cm, atomic_load(&r->stopped)));
        }
        int rc = 0;
        /* a round cut short is saved as it stands, its done blocks' records with it */
        if (des->ckpt && atomic_load(&r->stopped))
            rc = save_state(r, b0, rn);
        cx_sobol_acc_fold(r->acc, rn);
        if (des->progress && !atomic_load(&r->stopped))
            report(r, b0, rn, 1.0);
        if (rc == 0 && des->ckpt && !atomic_load(&r->stopped) &&
            cx_study_now_s() - r->last_save >= des->ckpt->every_s)
            rc = save_state(r, b0 + rn, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- checkpoints (issue 23) ---------------------------------------------------------- */
/*
 * The state (after the file's command byte): u32 block_paths, u32 indices, u32 d, u64 base,
 * f64 target_ci, u64 cap (blocks), u32 stages done, u64 stage start, u64 stage end, u64 next
 * (blocks before it folded), f64 elapsed_s, the accumulator (cx_sobol_acc_put), u32 records
 * of the round from next done before an interrupt, then each: u32 slot, its record.
 */
static uint64_t block_n(const design_run *r, int64_t b)
{
    const uint64_t bp = (uint64_t)r->des->block_paths, first = (uint64_t)b * bp;
    return r->total - first < bp ? r->total - first : bp;
}

/* The base samples of blocks [0, b). */
static uint64_t samples_before(const design_run *r, int64_t b)
{
    const uint64_t n = (uint64_t)b * (uint64_t)r->des->block_paths;
    return n < r->total ? n : r->total;
}

/* Saves the state with the blocks before next folded and, rn > 0, the done records of the
 * round of rn blocks from next (not yet folded). */
static int save_state(design_run *r, int64_t next, int rn)
{
    const cx_sobol_design *des = r->des;
    cx_wbuf w = {0};
    cx_wbuf_u32(&w, (uint32_t)des->block_paths);
    cx_wbuf_u32(&w, (uint32_t)des->n_idx);
    cx_wbuf_u32(&w, (uint32_t)des->d);
    cx_wbuf_u64(&w, des->base);
    cx_wbuf_f64(&w, des->target_ci);
    cx_wbuf_u64(&w, (uint64_t)r->cap_blocks);
    cx_wbuf_u32(&w, (uint32_t)r->stages);
    cx_wbuf_u64(&w, (uint64_t)r->stage_start);
    cx_wbuf_u64(&w, (uint64_t)r->stage_end);
    cx_wbuf_u64(&w, (uint64_t)next);
    cx_wbuf_f64(&w, r->elapsed0 + cx_study_now_s() - r->t0);
    cx_sobol_acc_put(r->acc, &w);
    uint32_t n = 0;
    for (int j = 0; j < rn; j++)
        n += cx_sobol_acc_slot(r->acc, j)[0] > 0.0;
    cx_wbuf_u32(&w, n);
    for (int j = 0; j < rn; j++)
        if (cx_sobol_acc_slot(r->acc, j)[0] > 0.0) {
            cx_wbuf_u32(&w, (uint32_t)j);
            cx_wbuf_put(&w, cx_sobol_acc_slot(r->acc, j), cx_sobol_acc_slot_bytes(r->acc));
        }
    int rc = w.err ? w.err : des->ckpt->save(des->ckpt->ctx, w.p, w.n);
    cx_wbuf_clear(&w);
    r->last_save = cx_study_now_s();
    r->rc_save = rc;
    return rc;
}

/* The end of the stage after one that ends at end (the schedule: half the blocks done more,
 * at least one, at most cap). */
static int64_t stage_after(int64_t end, int64_t cap)
{
    end += end / 2 > 0 ? end / 2 : 1;
    return end < cap ? end : cap;
}

/* Reads and checks the state at rb into r (the accumulator, the schedule, the slots): NULL or
 * the field that disagrees with the design or the other fields; *next: the first block not
 * folded. end0: the first stage's end. */
static const char *load_state(design_run *r, cx_rbuf *rb, int64_t end0, int64_t *next,
                              char *why, size_t why_len)
{
    const cx_sobol_design *des = r->des;
    const uint32_t want[3] = {(uint32_t)des->block_paths, (uint32_t)des->n_idx, (uint32_t)des->d};
    static const char *const names[3] = {"block_paths", "indices", "inputs"};
    for (int i = 0; i < 3; i++) {
        uint32_t v = cx_rbuf_u32(rb);
        if (!rb->err && v != want[i]) {
            cx_set_err(why, why_len, "%u, this study has %u", (unsigned)v, (unsigned)want[i]);
            return names[i];
        }
    }
    uint64_t base = cx_rbuf_u64(rb);
    double target = cx_rbuf_f64(rb);
    uint64_t cap = cx_rbuf_u64(rb);
    if (!rb->err && (base != des->base || !(target == des->target_ci) ||
                     cap != (uint64_t)r->cap_blocks)) {
        cx_set_err(why, why_len, "%llu base samples, target %g, %llu blocks at most; this "
                   "study: %llu, %g, %lld", (unsigned long long)base, target,
                   (unsigned long long)cap, (unsigned long long)des->base, des->target_ci,
                   (long long)r->cap_blocks);
        return "design";
    }
    uint32_t stages = cx_rbuf_u32(rb);
    uint64_t start = cx_rbuf_u64(rb), end = cx_rbuf_u64(rb), nx = cx_rbuf_u64(rb);
    r->elapsed0 = cx_rbuf_f64(rb);
    if (rb->err)
        return "fields";
    /* the stage schedule depends on N alone: the stage after `stages` of them */
    int64_t s0 = 0, s1 = end0;
    uint32_t k = 0;
    for (; k < stages && s1 < r->cap_blocks && des->target_ci > 0.0; k++) {
        s0 = s1;
        s1 = stage_after(s1, r->cap_blocks);
    }
    if (k != stages || (int64_t)start != s0 || (int64_t)end != s1) {
        cx_set_err(why, why_len, "stage %u of blocks [%llu, %llu), the schedule has [%lld, %lld)",
                   (unsigned)stages, (unsigned long long)start, (unsigned long long)end,
                   (long long)s0, (long long)s1);
        return "stage";
    }
    if (nx < start || nx > end) {
        cx_set_err(why, why_len, "%llu, outside the stage [%llu, %llu)",
                   (unsigned long long)nx, (unsigned long long)start, (unsigned long long)end);
        return "next_block";
    }
    if (!(r->elapsed0 >= 0 && r->elapsed0 < 1e12)) {
        cx_set_err(why, why_len, "%g seconds", r->elapsed0);
        return "elapsed_s";
    }
    const char *f = cx_sobol_acc_get(r->acc, rb, nx, 2.0 * (double)samples_before(r, (int64_t)nx),
                                     why, why_len);
    if (f)
        return f;
    const int64_t R = round_blocks(des);
    const int64_t rn = (int64_t)end - (int64_t)nx < R ? (int64_t)end - (int64_t)nx : R;
    uint32_t n = cx_rbuf_u32(rb);
    for (uint32_t i = 0, last = 0; i < n && !rb->err; i++) {
        uint32_t j = cx_rbuf_u32(rb);
        if (rb->err || (int64_t)j >= rn || (i > 0 && j <= last)) {
            cx_set_err(why, why_len, "slot %u, the round has %lld (increasing)", (unsigned)j,
                       (long long)rn);
            return "round in progress";
        }
        last = j;
        double *rec = cx_sobol_acc_slot(r->acc, (int)j);
        cx_rbuf_get(rb, rec, cx_sobol_acc_slot_bytes(r->acc));
        if (!rb->err && rec[0] != 2.0 * (double)block_n(r, (int64_t)nx + j)) {
            cx_set_err(why, why_len, "block %lld holds %.17g values, it has %llu",
                       (long long)nx + j, rec[0],
                       (unsigned long long)(2 * block_n(r, (int64_t)nx + j)));
            return "round in progress";
        }
    }
    if (rb->err || cx_rbuf_left(rb) != 0) {
        cx_set_err(why, why_len, "%zu bytes, not what its fields take", rb->n);
        return "state length";
    }
    r->stages = (int)stages;
    r->stage_start = (int64_t)start;
    r->stage_end = (int64_t)end;
    *next = (int64_t)nx;
    return NULL;
}

double cx_sobol_half_width(const cx_sobol_index *x)
{
    double a = (x->s1_hi - x->s1_lo) / 2.0, b = (x->st_hi - x->st_lo) / 2.0;
    if (isnan(a) || isnan(b))
        return NAN;
    return a > b ? a : b;
}

/* The widest half-width of n indices (NAN when any has none). */
static double widest(const cx_sobol_index *idx, int n)
{
    double w = 0.0;
    for (int i = 0; i < n; i++) {
        double h = cx_sobol_half_width(&idx[i]);
        if (isnan(h))
            return NAN;
        w = h > w ? h : w;
    }
    return w;
}

/* The checks of a design before anything runs. @return 0, CX_ERR_RANGE or CX_ERR_USAGE. */
static int check_design(const cx_sobol_design *des, char *err, size_t err_len)
{
    if (des->d < 1 || des->n_idx < 1 || des->threads < 1 || des->block_paths < 1 || !des->fn ||
        !(des->target_ci >= 0.0)) {
        cx_set_err(err, err_len, "sobol: bad design (d %d, indices %d)", des->d, des->n_idx);
        return CX_ERR_RANGE;
    }
    const uint64_t bp = (uint64_t)des->block_paths, min = CX_SOBOL_MIN_BLOCKS * bp;
    if (des->base < min) {
        cx_set_err(err, err_len,
                   "sobol: %llu base samples give no 95%% confidence interval: at least %llu "
                   "are needed (%d blocks of %d: the intervals come from batch means over "
                   "blocks)",
                   (unsigned long long)des->base, (unsigned long long)min,
                   CX_SOBOL_MIN_BLOCKS, des->block_paths);
        return CX_ERR_USAGE;
    }
    uint64_t cap = des->target_ci > 0.0 && des->max_base > des->base ? des->max_base : des->base;
    if (cap / bp + 1 > (uint64_t)INT32_MAX) {
        cx_set_err(err, err_len, "sobol: too many base samples");
        return CX_ERR_RANGE;
    }
    return 0;
}

/* Whether to run another stage: rank 0 decides (the others folded only their blocks). */
static int next_stage(design_run *r, cx_sobol_index *idx, cx_sobol_outcome *out, bool *go)
{
    const cx_sobol_design *des = r->des;
    cx_sobol_acc_result(r->acc, idx, &out->sum);
    out->max_half_width = widest(idx, des->n_idx);
    out->target_met = des->target_ci > 0.0 && out->max_half_width <= des->target_ci;
    int flag = des->target_ci > 0.0 && !out->target_met && !atomic_load(&r->stopped);
    const cx_engine_comm *cm = des->comm && des->comm->size > 1 ? des->comm : NULL;
    int rc = cm ? cm->bcast(cm->ctx, &flag, sizeof flag) : 0;
    *go = flag != 0;
    return rc;
}

/* Per-thread scratch for the blocks. @return 0 or CX_ERR_NOMEM. */
static int scratch_new(design_run *r)
{
    const cx_sobol_design *des = r->des;
    r->scratch = calloc((size_t)des->threads, sizeof *r->scratch);
    if (!r->scratch)
        return CX_ERR_NOMEM;
    size_t per = (size_t)des->block_paths * 2 * (size_t)des->d + (size_t)des->n_idx;
    for (int t = 0; t < des->threads; t++)
        if (!(r->scratch[t] = malloc(per * sizeof(double))))
            return CX_ERR_NOMEM;
    return 0;
}

/* The checkpoint's state into r: CX_ERR_CONFIG with one line in err when it disagrees. */
static int resume_state(design_run *r, int64_t end0, int64_t *b0, char *err, size_t err_len)
{
    const cx_study_ckpt *ck = r->des->ckpt;
    if (r->des->comm && r->des->comm->size > 1) {
        cx_set_err(err, err_len, "sobol: --checkpoint: one process only (not under MPI)");
        return CX_ERR_RANGE;
    }
    cx_rbuf rb;
    cx_rbuf_init(&rb, ck->state, ck->state_n);
    char why[256] = "not as written";
    const char *field = load_state(r, &rb, end0, b0, why, sizeof why);
    if (!field)
        return 0;
    cx_set_err(err, err_len, "%s: damaged checkpoint (sobol state, %s: %s)", ck->name, field, why);
    return CX_ERR_CONFIG;
}

int cx_sobol_design_run(const cx_sobol_design *des, cx_sobol_index *idx, cx_sobol_outcome *out,
                        char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    int rc = check_design(des, err, err_len);
    if (rc != 0)
        return rc;
    const uint64_t bp = (uint64_t)des->block_paths;
    const bool target = des->target_ci > 0.0;
    uint64_t cap = des->base;
    if (target)
        cap = des->max_base ? (des->max_base > des->base ? des->max_base : des->base)
                            : 64 * des->base;
    const int64_t cap_blocks = (int64_t)((cap + bp - 1) / bp);
    int64_t end = (int64_t)((des->base + bp - 1) / bp);
    design_run r = {.des = des, .total = target ? cap : des->base};
    cx_sampling_plan *plan = NULL;
    /* A and B are the two halves of one 2d-dimensional point set. */
    rc = cx_sampling_plan_new(&plan, des->sampling, false, 2 * des->d, des->block_paths);
    r.plan = plan;
    if (rc == 0)
        rc = cx_sobol_acc_new(&r.acc, des->n_idx,
                              end < CX_SOBOL_ROUND_BLOCKS && !target ? (int)end
                                                                      : CX_SOBOL_ROUND_BLOCKS);
    if (rc == 0)
        rc = scratch_new(&r);
    r.cap_blocks = cap_blocks;
    r.stage_end = end;
    r.t0 = r.last_save = cx_study_now_s();
    int64_t b0 = 0;
    if (rc == 0 && des->ckpt && des->ckpt->state)
        rc = resume_state(&r, end, &b0, err, err_len);
    end = r.stage_end;
    out->stages = r.stages;
    for (; rc == 0;) {
        r.stages = out->stages;
        r.stage_end = end;
        if ((rc = run_blocks(&r, b0, end)) != 0)
            break;
        out->stages++;
        bool go = false;
        if ((rc = next_stage(&r, idx, out, &go)) != 0 || !go || end >= cap_blocks)
            break;
        b0 = r.stage_start = end;
        end = stage_after(end, cap_blocks);
    }
    out->complete = !atomic_load(&r.stopped);
    /* the final save: the last stage, every block of it folded */
    if (rc == 0 && des->ckpt && out->complete) {
        r.stages = out->stages - 1;
        rc = save_state(&r, end, 0);
    }
    if (r.rc_save)
        cx_set_err(err, err_len, "sobol: cannot save the checkpoint: %s", cx_strerror(r.rc_save));
    const cx_engine_comm *cm = des->comm && des->comm->size > 1 ? des->comm : NULL;
    if (rc == 0 && cm) {
        /* rank 0's result (the others folded only their own blocks) to every rank */
        if ((rc = cm->bcast(cm->ctx, idx, (size_t)des->n_idx * sizeof *idx)) == 0)
            rc = cm->bcast(cm->ctx, out, sizeof *out);
    }
    for (int t = 0; r.scratch && t < des->threads; t++)
        free(r.scratch[t]);
    free(r.scratch);
    cx_sobol_acc_free(r.acc);
    cx_sampling_plan_free(plan);
    if (rc != 0 && !(err && err[0]))
        cx_set_err(err, err_len, "sobol: %s", cx_strerror(rc));
    out->elapsed_before = r.elapsed0;
    return rc;
}

/* ---- ranking and warnings ---- */

/* Whether index a is shown after index b: by total effect, largest first, NaN last, ties in
 * index order. */
static bool after(const cx_sobol_index *idx, int a, int b)
{
    const double x = idx[a].st, y = idx[b].st;
    if (isnan(x) != isnan(y))
        return isnan(x);
    if (!isnan(x) && x != y)
        return x < y;
    return a > b;
}

void cx_sobol_rank(const cx_sobol_index *idx, int n, cx_sobol_order order, int *rank)
{
    for (int i = 0; i < n; i++)
        rank[i] = i;
    if (order == CX_SOBOL_BY_INPUT)
        return;
    /* insertion sort: n is small (inputs), and qsort would need the indices in a global */
    for (int i = 1; i < n; i++) {
        int v = rank[i], k = i;
        while (k > 0 && after(idx, rank[k - 1], v)) {
            rank[k] = rank[k - 1];
            k--;
        }
        rank[k] = v;
    }
}

/* Appends a formatted warning. @return 0 or CX_ERR_NOMEM. */
static int add_warning(char ***list, int *n, const char *text)
{
    char **l = realloc(*list, ((size_t)*n + 1) * sizeof *l);
    if (!l)
        return CX_ERR_NOMEM;
    *list = l;
    if (!(l[*n] = strdup(text)))
        return CX_ERR_NOMEM;
    (*n)++;
    return 0;
}

int cx_sobol_warnings(const cx_sobol_index *idx, int n, const char *const *names,
                      char ***list, int *n_list)
{
    char buf[512];
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const cx_sobol_index *x = &idx[i];
        double h = cx_sobol_half_width(x);
        if (!(h <= CX_SOBOL_WARN_HALF_WIDTH)) {
            snprintf(buf, sizeof buf,
                     "%s: 95%% CI half-width %.3f is above %.2f (S1 [%.3f, %.3f], ST [%.3f, "
                     "%.3f]): add base samples (--paths, or a target half-width)",
                     names[i], h, CX_SOBOL_WARN_HALF_WIDTH, x->s1_lo, x->s1_hi, x->st_lo,
                     x->st_hi);
            rc = add_warning(list, n_list, buf);
        }
        if (rc == 0 && x->s1_hi < 0.0) {
            snprintf(buf, sizeof buf,
                     "%s: S1 = %.3f is below 0 beyond its 95%% CI [%.3f, %.3f]: more than "
                     "sampling noise (a model that is not a function of its inputs?)",
                     names[i], x->s1, x->s1_lo, x->s1_hi);
            rc = add_warning(list, n_list, buf);
        }
    }
    return rc;
}
