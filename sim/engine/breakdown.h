/* SPDX-License-Identifier: MIT */
/* The outcome breakdown's accumulators: metrics split by each once-per-path outcome. */
#ifndef CX_SIM_BREAKDOWN_H
#define CX_SIM_BREAKDOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/model.h"
#include "sim/base/serial.h"
#include "sim/engine/sketch.h"

/*
 * Issue 20 item 3: for each outcome input (msl.success, taas.launch, deals.signed.NAME.happens;
 * the outcome "succeeds" on a path when x[input] < x[probability input], MODEL.md's law) and
 * each of the breakdown's metrics, the paths are split in two groups (0: fails, 1: succeeds).
 * What is kept is all integer state, so that it merges in any order (threads, ranks) and
 * travels with the accumulator (checkpoints, MPI messages) without a block-ordered fold:
 * - per group: a count and fixed-point sums of x and x^2 (a block's sums in double, in path
 *   order, rounded once to 2^-32; values with |x| >= CX_BD_MAX_ABS or not finite are counted
 *   in `bad` and make that metric's means undefined);
 * - a quantile sketch of group 1 (P50, P95, CVaR95); group 0's is the run's sketch of the
 *   metric less group 1's (cx_sketch_subtract), so only one sketch a cell costs time;
 * - per block, sums of products of the block's totals T_b = (n1, S1, S, Q) (paths that
 *   succeed, their sum, the sum and the sum of squares over the block) and of n_b T_b and
 *   n_b^2, in fixed point at 2^-16: the cluster covariance of the block means (blocks are
 *   independent replicates under every sampling method), from which the delta method gives
 *   the CI of the share of variance the outcome explains (and, under LHS, Sobol or
 *   antithetic sampling, of the group means). docs/report.md derives it.
 * Fixed-point sums of integers are exact, so the bytes of a run do not depend on who ran
 * which block or in which order the parts were merged.
 */
#define CX_BD_MAX_OUTCOMES 32
#define CX_BD_N_METRICS 4
#define CX_BD_MAX_ABS 0x1p16
/* The metrics broken down: capex_burden, revenue_total, capex_burden_pv, revenue_total_pv
 * (the last two reported only with report.discount_rate). */
extern const int cx_bd_metric[CX_BD_N_METRICS];

__extension__ typedef __int128 cx_i128;

/* One outcome and one metric. */
typedef struct cx_bd_cell {
    uint64_t n[2];          /* finite values by group */
    uint64_t bad;           /* NaN, infinite or |x| >= CX_BD_MAX_ABS, any group */
    uint64_t blocks;        /* blocks with at least one finite value */
    cx_i128 s[2], q[2];     /* sum x, sum x^2 by group, at 2^-32 */
    cx_i128 tt[10];         /* sum over blocks of T_b T_b' (upper triangle, row major), 2^-16 */
    cx_i128 nt[4];          /* sum over blocks of n_b T_b, 2^-16 */
    cx_i128 nn;             /* sum over blocks of n_b^2 */
    cx_sketch *sk;          /* group 1's values (group 0: the run's sketch less these) */
} cx_bd_cell;

typedef struct cx_breakdown {
    int n_out;
    int input[CX_BD_MAX_OUTCOMES];  /* the outcome inputs (their uniform) */
    int prob[CX_BD_MAX_OUTCOMES];   /* their probability inputs */
    double alpha;                   /* the sketches' relative error */
    cx_bd_cell *cell;               /* n_out x CX_BD_N_METRICS, outcome-major */
} cx_breakdown;

/* Which outcomes a breakdown covers: n_out outcome inputs and their probability inputs. */
typedef struct cx_bd_shape {
    int n_out;
    int input[CX_BD_MAX_OUTCOMES], prob[CX_BD_MAX_OUTCOMES];
} cx_bd_shape;

/* The outcomes a run of sc breaks down: its uncertain outcome inputs, the first
 * CX_BD_MAX_OUTCOMES in input order (n_out 0 when it has none). */
void cx_bd_shape_of(cx_bd_shape *s, const cx_scenario *sc);
/* Whether bd covers exactly the outcomes of s (a NULL bd: s has none). */
bool cx_breakdown_has_shape(const cx_breakdown *bd, const cx_bd_shape *s);

/*
 * n_out (1 .. CX_BD_MAX_OUTCOMES) outcomes: input[k] and prob[k] as above; alpha the sketches'
 * relative error. @return 0, CX_ERR_RANGE, CX_ERR_NOMEM. @note free with cx_breakdown_free.
 */
int cx_breakdown_new(cx_breakdown **out, int n_out, const int *input, const int *prob,
                     double alpha);
void cx_breakdown_free(cx_breakdown *bd);
void cx_breakdown_reset(cx_breakdown *bd);
/* Same outcomes and alpha. */
bool cx_breakdown_same_shape(const cx_breakdown *a, const cx_breakdown *b);

/* The outcomes of one path as bits (bit k: outcome k succeeds), from its inputs x. */
static inline uint32_t cx_breakdown_bits(const cx_breakdown *bd, const double *x)
{
    uint32_t bits = 0;
    for (int k = 0; k < bd->n_out; k++)
        bits |= (uint32_t)(x[bd->input[k]] < x[bd->prob[k]]) << k;
    return bits;
}

/*
 * Adds one block of n paths (1 .. CX_BLOCK_PATHS): metric i's value of path p is
 * rows[i * stride + p] (rows as cx_accum_buf's, from the block's first path), its outcomes
 * bits[p]; split is scratch of n doubles. Call once per whole block (the block products
 * need the block's totals). No allocation.
 */
void cx_breakdown_add_block(cx_breakdown *bd, const double *rows, size_t stride, int n,
                            const uint32_t *bits, double *split);

/* dst += src (same shape). @return 0 or CX_ERR_RANGE. */
int cx_breakdown_merge(cx_breakdown *dst, const cx_breakdown *src);

/*
 * Bytes for checkpoints and messages: u32 n_out (0 for bd NULL), the outcomes, alpha, then
 * every cell. cx_breakdown_deserialise reads them into *bd: with *bd NULL it makes one of
 * the shape read (none when n_out is 0); else the shape must be *bd's. The alpha read must
 * be alpha, the owner's relative error (bytes from a checkpoint are untrusted: a sketch is
 * never made of an alpha they name).
 * @return 0, CX_ERR_RANGE (damaged or another shape), CX_ERR_NOMEM.
 */
void cx_breakdown_serialise(const cx_breakdown *bd, cx_wbuf *w);
int cx_breakdown_deserialise(cx_breakdown **bd, cx_rbuf *r, double alpha);
/* The most bytes cx_breakdown_serialise writes for n_out outcomes, sketches of nb buckets. */
size_t cx_breakdown_bytes_max(int n_out, size_t nb);

/* A fixed-point value as a long double (scale: 2^-32 for sums, 2^-16 for products). */
long double cx_bd_ld(cx_i128 v, double scale);

#endif
