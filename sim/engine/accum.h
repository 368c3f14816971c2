/* SPDX-License-Identifier: MIT */
/* Accumulators of per-path results: sketches, exact counts, and block-ordered moments. */
#ifndef CX_SIM_ACCUM_H
#define CX_SIM_ACCUM_H

#include <stdint.h>

#include "models/model.h"
#include "sim/base/serial.h"
#include "sim/engine/breakdown.h"
#include "sim/engine/sketch.h"

/*
 * Two kinds of state, kept apart because they merge differently:
 * - integer state (sketches with their exact min/max, exceedance counts): merging adds
 *   integers, so per-thread copies may be merged in any order, after the run;
 * - floating-point moments (count, mean, M2): their sums depend on the order of additions,
 *   so they are kept per block (cx_block_moments) and merged into the run's total strictly in
 *   block order (cx_moments_merge). The bits of the mean and sd then depend only on the
 *   seed and the block size, not on which thread or process ran a block.
 */

/* Count, mean and sum of squared deviations of a set of values. */
typedef struct cx_moments {
    uint64_t n;
    double mean, m2;
} cx_moments;

/*
 * dst := dst (+) src by Chan et al.'s pairwise formula. Deterministic for given inputs but not
 * associative in floating point: call it in block order. Merging an empty src leaves dst's
 * bits unchanged; merging into an empty dst copies src.
 */
void cx_moments_merge(cx_moments *dst, const cx_moments *src);
/* Sample sd (n - 1); NAN when n < 2. */
double cx_moments_sd(const cx_moments *m);

/*
 * Weighted moments of replicate estimates: sum of weights w, weighted mean and weighted sum of
 * squared deviations m2 (West's update), n replicates. Deterministic for given inputs; add
 * in block order.
 */
typedef struct cx_wmoments {
    uint64_t n;
    double w, mean, m2;
} cx_wmoments;

/* m (+)= x with weight w > 0. A non-finite x makes mean and m2 NaN for good. */
void cx_wmoments_add(cx_wmoments *m, double x, double w);
/* sum of w_b (x_b - c)^2 over the replicates added: m2 + w (mean - c)^2. */
double cx_wmoments_dev2(const cx_wmoments *m, double c);

/*
 * Replicate statistics (MODEL.md, "A reported interval must hold what it claims"). Under
 * Latin hypercube, Sobol or antithetic sampling the paths of a block are not independent, but
 * blocks are independent randomisations of the same design. So the run's total can keep the
 * mean of every metric in each block (batch means: the se of a mean), and the quantiles of
 * every metric in each batch of CX_REP_BATCH_BLOCKS consecutive blocks, pooled (sectioning:
 * the CI of a quantile), at up to CX_REP_MAX_Q levels, all folded in block order.
 * Why batches of blocks for quantiles and not single blocks: under stratification a block's
 * quantile rests on the one point of its stratum, whose spread understates that of the
 * pooled estimate (which is an interior order statistic among the B points of that stratum);
 * pooling 16 blocks brings a batch's quantile close to the pooled estimate's behaviour.
 */
#define CX_REP_MAX_Q 12
#define CX_REP_BATCH_BLOCKS 16

/*
 * The moments of one block of paths, accumulated by the thread that runs the block. Values
 * are summed as deviations from the block's first path (a shift that removes most of the
 * cancellation of sum-of-squares), then turned into mean and M2 at block end.
 */
typedef struct cx_block_moments {
    uint64_t n;
    int n_series;          /* CX_N_METRICS + CX_N_QSERIES x quarters */
    double *shift, *s1, *s2;
    cx_moments *out;       /* filled by cx_block_moments_finish */
    /* the block's values, kept for replicate quantiles (cx_block_moments_keep_values) */
    int cap;               /* most paths of a block; 0 when values are not kept */
    int vals_ok;           /* vals holds the whole block (one cx_block_moments_add_buf call) */
    double *vals;          /* CX_N_METRICS rows of cap values */
} cx_block_moments;

/* Space for n_quarters; the caller owns b (a slot of a round buffer). */
int cx_block_moments_init(cx_block_moments *b, int n_quarters);
void cx_block_moments_clear(cx_block_moments *b);
void cx_block_moments_reset(cx_block_moments *b);
/*
 * Keeps the metrics' values of the block (at most cap paths) for the run's replicate
 * quantiles; cx_block_moments_add_buf must then get the whole block in one call (otherwise
 * the block's values are marked unusable). @return 0, CX_ERR_RANGE, CX_ERR_NOMEM.
 * cx_block_moments_clear frees the space.
 */
int cx_block_moments_keep_values(cx_block_moments *b, int cap);
/* Adds one path. No allocation. (Values are kept only by cx_block_moments_add_buf.) */
void cx_block_moments_add(cx_block_moments *b, const cx_path_result *res, int n_quarters);
/* Turns the sums into out[]. */
void cx_block_moments_finish(cx_block_moments *b);

/*
 * All statistics of a run (or of one thread's share of its integer state).
 * metric[i] / quarter[s * n_quarters + q]: sketches (with exact min and max);
 * exceed[j]: number of paths with capex_burden > thresholds[j] (strict; MODEL.md,
 * "Statistics"); mom_metric / mom_quarter: moments, filled only in the run's total.
 */
typedef struct cx_accum {
    int n_quarters;
    int n_thresholds;
    double *thresholds;
    double relative_error;
    uint64_t paths;        /* paths whose integer state is in here */
    cx_sketch *metric[CX_N_METRICS];
    cx_sketch **quarter;   /* CX_N_QSERIES x n_quarters */
    uint64_t *exceed;
    cx_moments mom_metric[CX_N_METRICS];
    cx_moments *mom_quarter; /* CX_N_QSERIES x n_quarters */
    /* replicate statistics (cx_accum_want_replicates), folded by cx_accum_merge_block in
     * block order; n_rq = 0 when not kept (plain Monte Carlo) */
    int n_rq;
    double rq[CX_REP_MAX_Q];
    uint64_t rep_blocks;                 /* blocks folded */
    cx_wmoments rep_mean[CX_N_METRICS];  /* block means, weight n_b^2 */
    int batch_cap;                       /* paths a batch can hold */
    int pool_n, pool_blocks, pool_ok;    /* the batch being filled */
    double *pool;                        /* CX_N_METRICS rows of batch_cap values */
    double *work;                        /* batch_cap doubles of scratch */
    uint64_t rep_batches;                /* full batches folded */
    uint64_t rep_batch_paths;            /* paths in them */
    cx_wmoments rep_q[CX_N_METRICS][CX_REP_MAX_Q]; /* batch quantiles, weight 1 */
    /* the outcome breakdown (cx_accum_want_breakdown; integer state), NULL when not kept */
    cx_breakdown *bd;
} cx_accum;

/*
 * thresholds (copied) are capex-burden levels in $B; alpha is the sketches' relative error.
 * @return 0, CX_ERR_NOMEM, CX_ERR_RANGE (bad alpha or n_quarters).
 * @note the caller frees *out with cx_accum_free.
 */
int cx_accum_new(cx_accum **out, int n_quarters, const double *thresholds, int n_thresholds,
                 double alpha);
void cx_accum_free(cx_accum *a);
void cx_accum_reset(cx_accum *a);
/*
 * Keeps replicate statistics at the quantile levels q[0..n_q-1] (each in (0, 1),
 * 1 <= n_q <= CX_REP_MAX_Q), fed by blocks of at most block_paths paths that keep their
 * values (cx_block_moments_keep_values). @return 0, CX_ERR_RANGE, CX_ERR_NOMEM.
 */
int cx_accum_want_replicates(cx_accum *a, const double *q, int n_q, int block_paths);
/*
 * Keeps the outcome breakdown (sim/engine/breakdown.h) of n_out outcomes: input[k] < prob[k]
 * on a path means outcome k succeeds. Its state is integer state: cx_accum_merge adds it,
 * cx_accum_reset clears it, the bytes of cx_accum_serialise carry it. The engine feeds it
 * block by block (cx_breakdown_add_block). @return 0, CX_ERR_RANGE, CX_ERR_NOMEM.
 */
int cx_accum_want_breakdown(cx_accum *a, int n_out, const int *input, const int *prob);
/* Index of level q among a's replicate levels (exact comparison), or -1. */
int cx_accum_replicate_index(const cx_accum *a, double q);

/* Adds one path's integer state (sketches, counts). No allocation, no locks. */
static inline void cx_accum_add(cx_accum *a, const cx_path_result *res)
{
    a->paths++;
    for (int i = 0; i < CX_N_METRICS; i++) cx_sketch_add(a->metric[i], res->metric[i]);
    for (int s = 0; s < CX_N_QSERIES; s++)
        for (int q = 0; q < a->n_quarters; q++)
            cx_sketch_add(a->quarter[s * a->n_quarters + q], res->quarter[s][q]);
    double burden = res->metric[CX_M_CAPEX_BURDEN];
    for (int j = 0; j < a->n_thresholds; j++) a->exceed[j] += burden > a->thresholds[j];
}

/*
 * A thread's buffer of per-path values for batched accumulation: up to `cap` paths, stored
 * series by series (row s holds series s of paths 0..n-1; series as in cx_block_moments:
 * the metrics, then each quarterly series by quarter). Feeding the sketches and the block
 * moments a row at a time keeps one sketch's buckets in cache for the whole row, instead of
 * touching all CX_N_METRICS + CX_N_QSERIES x quarters sketches (more than L2 holds) on every
 * path. Rows are padded by one cache line so that the rows' n-th values (written together
 * by cx_accum_buf_put) do not all fall in the same L1 set.
 * Batching changes no result: a sketch's values arrive in the same order, counts are
 * integers, and each block-moment series is summed in the same path order.
 */
typedef struct cx_accum_buf {
    int n_series;
    int n_quarters;
    int cap;               /* paths per batch */
    int n;                 /* paths held */
    size_t stride;         /* doubles per row */
    double *val;           /* n_series rows of stride doubles, cache-line aligned */
} cx_accum_buf;

/*
 * Space for cap >= 1 paths of n_quarters quarters; the caller owns b (per-thread state).
 * @return 0, CX_ERR_RANGE, CX_ERR_NOMEM (b then cleared). @note release with
 * cx_accum_buf_clear (a no-op on a cleared or zeroed b).
 */
int cx_accum_buf_init(cx_accum_buf *b, int n_quarters, int cap);
void cx_accum_buf_clear(cx_accum_buf *b);

/* Stores one path's values as the next column; the caller flushes before b->n == b->cap. */
static inline void cx_accum_buf_put(cx_accum_buf *b, const cx_path_result *res)
{
    double *v = b->val + b->n;
    const size_t st = b->stride;
    for (int i = 0; i < CX_N_METRICS; i++) v[(size_t)i * st] = res->metric[i];
    v += (size_t)CX_N_METRICS * st;
    for (int s = 0; s < CX_N_QSERIES; s++)
        for (int q = 0; q < b->n_quarters; q++, v += st) *v = res->quarter[s][q];
    b->n++;
}

/*
 * bm's sums += buffered paths first .. first + n - 1 (as cx_block_moments_add of each path in
 * that order: the same bits). b and bm must have the same quarters. No allocation.
 */
void cx_block_moments_add_buf(cx_block_moments *bm, const cx_accum_buf *b, int first, int n);

/*
 * a's integer state += every buffered path (as cx_accum_add of each path in order: the same
 * bits), then empties b. a and b must have the same quarters. No allocation.
 */
void cx_accum_add_buf(cx_accum *a, cx_accum_buf *b);

/* dst += src's integer state (any order). @return 0 or CX_ERR_RANGE on a shape mismatch. */
int cx_accum_merge(cx_accum *dst, const cx_accum *src);
/* dst's moments (+)= one block's, and its replicate statistics when dst keeps them (the
 * block's mean; its values join the batch being filled, whose quantiles are folded when it
 * has CX_REP_BATCH_BLOCKS blocks); call in block order. */
void cx_accum_merge_block(cx_accum *dst, const cx_block_moments *b);

/*
 * Checkpoints and MPI messages (issue 12). cx_accum_serialise writes a's shape (quarters,
 * thresholds, alpha), its integer state (paths, sketches, exceedance counts) and its
 * moments, and its replicate statistics if it keeps them; cx_accum_deserialise replaces a's
 * state with that, after checking the shape is a's own (an accumulator made by cx_accum_new
 * with the same arguments; one without replicate statistics takes on those read, one with
 * them must have the same levels; likewise for the outcome breakdown) and every value read (sim/base/serial.h: errors in w->err /
 * r->err).
 * @return 0, or CX_ERR_RANGE (damaged, or another shape: a is then reset).
 */
void cx_accum_serialise(const cx_accum *a, cx_wbuf *w);
int cx_accum_deserialise(cx_accum *a, cx_rbuf *r);
/* n moments (n, mean, M2) as their bits, and back (CX_ERR_RANGE when damaged: a count of
 * 0 with a non-zero mean or M2, or a negative or NaN M2). */
void cx_moments_serialise(const cx_moments *m, int n, cx_wbuf *w);
int cx_moments_deserialise(cx_moments *m, int n, cx_rbuf *r);

#endif
