/* SPDX-License-Identifier: MIT */
/* A mergeable quantile sketch with a guaranteed relative error (DDSketch-style log buckets). */
#ifndef CX_SIM_SKETCH_H
#define CX_SIM_SKETCH_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim/base/serial.h"

/*
 * Values are counted in logarithmic buckets, one array for positive and one for negative
 * values, plus a zero bucket. Every value |x| in [CX_SKETCH_MIN_ABS, CX_SKETCH_MAX_ABS) is
 * returned within relative error alpha: |returned - x| <= alpha |x|. Values with
 * |x| < CX_SKETCH_MIN_ABS (2^-40, about 9.1e-13) count in the zero bucket and are returned
 * as 0 (an absolute error below 1e-12 in $B, GW or counts). Values with |x| >= CX_SKETCH_MAX_ABS
 * (2^50, about 1.1e15, infinities included) count in the outermost bucket of their sign and in
 * `clamped`; that bucket then answers the exact max (or min). The exact min and max are
 * tracked, and every answer is clamped to [min, max].
 * NaN values are counted in `nan` only: they take no part in count or quantiles.
 *
 * Counts are integers, so merging adds integers: the result cannot depend on the order or
 * grouping of merges (unlike float sums). Memory is fixed by alpha alone (about
 * 2 x 90 / ln((1+alpha)/(1-alpha)) buckets of 8 bytes, a 32-bit low part and a 32-bit carry:
 * 720 kB of address space at alpha = 0.001), never
 * by the number of values; the arrays come from calloc, so pages never touched cost no RSS,
 * and merge/quantile walk only the index range in use.
 *
 * The struct is public so that cx_sketch_add can be inlined in the per-path loop; treat the
 * fields as private. The bucket arrays are one allocation, neg then pos then a few sink
 * counters that only cx_sketch_add_n uses (sketch.c), so neg is its base, then the carry
 * arrays neg_carry and pos_carry.
 *
 * A bucket's count is carry * 2^31 + low: the low parts are 32-bit, so the counters that
 * every value increments take half the cache lines of 64-bit ones (the accumulation is bound
 * by those lines), and the carries, which only cx_sketch_carry writes, stay untouched (and
 * their pages never resident) until some 2^31 values have been counted. `lo_bound` bounds
 * every low part; before an addition would take it past UINT32_MAX, cx_sketch_carry moves
 * each low part's multiples of 2^31 into its carry (low parts then below 2^31). Counts up
 * to 2^63 per bucket are exact.
 */
#define CX_SKETCH_MIN_ABS 0x1p-40
#define CX_SKETCH_MAX_ABS 0x1p50

struct cx_sketch_scan;

typedef struct cx_sketch {
    double alpha;          /* guaranteed relative error */
    double scale;          /* buckets per unit of the approximate log2 (see sketch.c) */
    int kmin;              /* key of bucket 0 */
    int nb;                /* buckets per sign */
    uint32_t *pos, *neg;   /* low parts of the counts, nb each */
    uint32_t *pos_carry, *neg_carry; /* high parts, in units of 2^31, nb each */
    uint32_t lo_bound;     /* no low part exceeds it */
    bool carried;          /* some carry may be non-zero (else the carry arrays are all 0) */
    int pos_lo, pos_hi;    /* used index range, lo > hi when empty */
    int neg_lo, neg_hi;
    uint64_t zero;         /* |x| < CX_SKETCH_MIN_ABS */
    uint64_t count;        /* all values but NaN */
    uint64_t nan;          /* NaN values seen (not in count) */
    uint64_t clamped;      /* values with |x| >= CX_SKETCH_MAX_ABS (infinities included) */
    uint64_t inf;          /* infinite values (also in clamped) */
    double min, max;       /* exact, over non-NaN values */
    /* cx_sketch_add_n's chunk pass, chosen by cx_sketch_new (sim/engine/sketch_kernels.h) */
    void (*chunk)(const double *restrict x, int len, double scale, double off, double sink0,
                  int32_t *restrict slot, struct cx_sketch_scan *out);
} cx_sketch;

/*
 * A sketch with relative error alpha in [1e-6, 0.5).
 * @return 0, CX_ERR_RANGE for a bad alpha, CX_ERR_NOMEM.
 * @note the caller frees *out with cx_sketch_free.
 */
int cx_sketch_new(cx_sketch **out, double alpha);
/* No-op on NULL. */
void cx_sketch_free(cx_sketch *sk);
/* Empties the sketch (walks only the used range). */
void cx_sketch_reset(cx_sketch *sk);

/*
 * The bucket key of |x| > 0: ceil(L(|x|) * scale), where L is the piecewise-linear log2 read
 * from the IEEE bits (exponent + mantissa fraction); no call to log(). Exposed for tests.
 */
static inline int cx_sketch_key(const cx_sketch *sk, double ax)
{
    uint64_t bits;
    memcpy(&bits, &ax, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    double m = (double)(bits & 0xfffffffffffffULL) * 0x1p-52;
    double y = ((double)e + m) * sk->scale;
    /* ceil without a libm call (baseline x86-64 has no roundsd): truncation is the ceiling
     * for y <= 0, and one below it for a positive non-integer */
    int k = (int)y;
    return k + ((double)k < y);
}

/*
 * Moves the multiples of 2^31 of every low part into its carry, so that 2^31 more values can
 * be counted in the low parts (see the struct). Called by the additions when lo_bound is
 * reached; any reader sees the same counts before and after. No allocation.
 */
void cx_sketch_carry(cx_sketch *sk);

/* Adds one value. No allocation, no locks; O(1). */
static inline void cx_sketch_add(cx_sketch *sk, double x)
{
    if (isnan(x)) {
        sk->nan++;
        return;
    }
    sk->count++;
    /* + 0.0 turns -0.0 into +0.0, so the exact min and max never depend on which zero a
     * thread saw first (merges then give the same bytes for any thread count) */
    if (x < sk->min) sk->min = x + 0.0;
    if (x > sk->max) sk->max = x + 0.0;
    double ax = fabs(x);
    if (ax < CX_SKETCH_MIN_ABS) {
        sk->zero++;
        return;
    }
    int i;
    if (ax >= CX_SKETCH_MAX_ABS) {
        sk->clamped++;
        sk->inf += isinf(x) != 0;
        i = sk->nb - 1;
    } else {
        i = cx_sketch_key(sk, ax) - sk->kmin;
    }
    if (sk->lo_bound == UINT32_MAX) cx_sketch_carry(sk);
    sk->lo_bound++;
    if (x > 0) {
        sk->pos[i]++;
        if (i < sk->pos_lo) sk->pos_lo = i;
        if (i > sk->pos_hi) sk->pos_hi = i;
    } else {
        sk->neg[i]++;
        if (i < sk->neg_lo) sk->neg_lo = i;
        if (i > sk->neg_hi) sk->neg_hi = i;
    }
}

/*
 * Adds x[0..n-1]: the same state, bit for bit, as n calls of cx_sketch_add in that order
 * (counts, used ranges, counters, and min and max with +0.0 for a zero of either sign).
 * Faster for a batch: chunks of plain values (no NaN, infinity, |x| >= CX_SKETCH_MAX_ABS or
 * negative value outside the zero bucket) take a vectorised, branch-free path; other chunks
 * take cx_sketch_add's logic. No allocation, no locks.
 */
void cx_sketch_add_n(cx_sketch *sk, const double *x, size_t n);

/*
 * dst += src. Both must have the same alpha. Integer additions only: the result does not
 * depend on the order of merges.
 * @return 0, CX_ERR_RANGE when the alphas differ (dst unchanged).
 */
int cx_sketch_merge(cx_sketch *dst, const cx_sketch *src);

/* Number of non-NaN values. */
uint64_t cx_sketch_count(const cx_sketch *sk);
/*
 * dst := a - b, the values of a that are not in b, when b holds a subset of a's values (the
 * paths of one group of a run against all of them: issue 20 item 3). The counts are exact;
 * the exact min and max of the difference are not known, so dst takes a's (every answer is
 * still within the relative error: only the clamping is looser). All three of one alpha.
 * @return 0, or CX_ERR_RANGE (another alpha, or b holds more than a somewhere: dst then
 * empty).
 */
int cx_sketch_subtract(cx_sketch *dst, const cx_sketch *a, const cx_sketch *b);

/*
 * The value of rank k (1 = smallest) among the values added, within relative error alpha
 * (zero bucket: 0), clamped to [min, max]. NAN when empty; k is clipped to [1, count].
 */
double cx_sketch_value_at_rank(const cx_sketch *sk, uint64_t k);

/*
 * Bounds on the exact value of rank k (k clipped to [1, count]): *lo is the lower edge and
 * *hi the upper edge of the bucket that holds rank k, clamped to [min, max], so that
 * *lo <= the exact order statistic <= *hi whatever the values were (MODEL.md, "A reported
 * interval must hold what it claims"). The edges are widened by 1e-12 relative to absorb the
 * rounding of the bucket keys; the zero bucket's edges are -+CX_SKETCH_MIN_ABS. For the
 * outermost bucket of a sign that also holds out-of-range values (`clamped`), the outer
 * bound is the exact max (or min), possibly infinite.
 * @return true when the sketch resolves the value of rank k (within alpha); false when rank k
 * lies in an outermost bucket holding out-of-range values (|x| >= CX_SKETCH_MAX_ABS or
 * infinite): its value is then only known to lie in [*lo, *hi]. When empty: false, NANs.
 */
bool cx_sketch_bounds_at_rank(const cx_sketch *sk, uint64_t k, double *lo, double *hi);

/*
 * As cx_sketch_value_at_rank, for a sketch whose every value is an integer (a count, a 0/1
 * outcome): when the bucket holding rank k can hold exactly one integer (true of every bucket
 * below 1 / (2 alpha) in magnitude: 500 at alpha = 0.001), that integer is the exact order
 * statistic and is returned; otherwise (a bucket wide enough for several integers) the
 * bucket's representative, as cx_sketch_value_at_rank. Values that are not integers break the
 * premise: the answer is then the integer of their bucket, within 1 of them.
 */
double cx_sketch_int_value_at_rank(const cx_sketch *sk, uint64_t k);

/*
 * MODEL.md, "Statistics": the q-quantile is the value of rank ceil(n q), clipped to [1, n].
 * n q within a few ulp above an integer counts as that integer (10 x 0.7 is rank 7, not 8).
 */
uint64_t cx_sketch_rank(uint64_t n, double q);
double cx_sketch_quantile(const cx_sketch *sk, double q);

/*
 * Mean of the k largest values (k > 0, fractional allowed: the boundary value has weight
 * k - floor(k)), each value taken as its bucket's representative clamped to [min, max].
 * Error: at most alpha times the mean of |x| over those values (plus 1e-12 for the zero
 * bucket). NAN when empty or k <= 0; k is clipped to count.
 */
double cx_sketch_top_mean(const cx_sketch *sk, double k);

/*
 * The mean and the mean of squares of the k largest values, as cx_sketch_top_mean takes them
 * (the same representatives and boundary weight): for the CI of a CVaR (issue 20 item 3).
 * NAN in both when empty or k <= 0.
 */
void cx_sketch_top_moments(const cx_sketch *sk, double k, double *mean, double *mean_sq);

/* True when a and b hold the same counts, min and max (bit for bit). */
bool cx_sketch_equal(const cx_sketch *a, const cx_sketch *b);
/* Bytes allocated for the bucket arrays (fixed by alpha). */
size_t cx_sketch_bytes(const cx_sketch *sk);

/*
 * Checkpoints and MPI messages (issue 12): the sketch's state (its alpha, the used bucket
 * ranges and their counts, the counters, the exact min and max), in the order
 * cx_sketch_deserialise reads it. Only the used ranges are written, so an empty sketch
 * costs some 100 bytes whatever alpha is. Errors are w->err (cx_wbuf).
 */
void cx_sketch_serialise(const cx_sketch *sk, cx_wbuf *w);
/*
 * Replaces sk's state with one written by cx_sketch_serialise for a sketch of the same
 * alpha. Checks what it reads (same alpha and bucket layout, ranges inside the arrays,
 * counts adding up), so damaged input gives an error, never a crash.
 * @return 0, or CX_ERR_RANGE (damaged or another alpha: sk is then empty).
 */
int cx_sketch_deserialise(cx_sketch *sk, cx_rbuf *r);

#endif
