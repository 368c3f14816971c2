/* SPDX-License-Identifier: MIT */
/* A mergeable quantile sketch with a guaranteed relative error (DDSketch-style log buckets). */

/*
 * Bucket index without log(). Write x > 0 as x = 2^e (1 + m), 0 <= m < 1, as its IEEE bits
 * do, and let L(x) = e + m: a continuous, strictly increasing, piecewise-linear
 * approximation of log2 x (DDSketch's "linearly interpolated mapping"). Bucket k holds the
 * x with (k - 1) / s < L(x) <= k / s.
 *
 * Why every bucket is narrow enough: on one octave, log2 x = e + log2(1 + m) and
 * d(log2 x) / dL = 1 / ((1 + m) ln 2) <= 1 / ln 2; across octaves L and log2 agree at the
 * powers of two, so for any x1 < x2, log2(x2 / x1) <= (L(x2) - L(x1)) / ln 2. Two values of
 * one bucket have L(x2) - L(x1) < 1 / s, hence ln(x2 / x1) < 1 / s. With
 * s = (1 + 1e-6) / ln(gamma), gamma = (1 + alpha) / (1 - alpha), every bucket's ratio
 * hi / lo is below gamma (the 1e-6 margin absorbs the rounding of L * s, which is ~1e-12).
 * The representative is the harmonic mean v = 2 lo hi / (lo + hi): for lo <= x <= hi,
 * |v - x| / x <= (hi - lo) / (hi + lo) = (r - 1) / (r + 1) < (gamma - 1) / (gamma + 1) = alpha.
 * The linear log costs ~1.44x more buckets than an exact log, and is several times faster.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sim/base/error.h"
#include "sim/base/simd.h"
#include "sim/engine/sketch.h"
#include "sim/engine/sketch_kernels.h"

#define L_MIN (-40) /* log2 of CX_SKETCH_MIN_ABS */
#define L_MAX 50    /* log2 of CX_SKETCH_MAX_ABS */
/* sink counters after the pos array, for cx_sketch_add_n's zero-bucket values; always 0
 * outside cx_sketch_add_n */
#define SINKS 8

int cx_sketch_new(cx_sketch **out, double alpha)
{
    *out = NULL;
    /* below 1e-6 the bucket count (about 90 / alpha) would pass 2^26 and soon overflow */
    if (!(alpha >= 1e-6 && alpha < 0.5)) return CX_ERR_RANGE;
    cx_sketch *sk = calloc(1, sizeof *sk);
    if (!sk) return CX_ERR_NOMEM;
    double gamma = (1 + alpha) / (1 - alpha);
    sk->alpha = alpha;
    sk->scale = (1 + 1e-6) / log(gamma);
    sk->kmin = (int)ceil(L_MIN * sk->scale);
    int kmax = (int)ceil(L_MAX * sk->scale);
    sk->nb = kmax - sk->kmin + 1;
    /* one block, [neg | pos | SINKS sink slots | neg_carry | pos_carry], so that
     * cx_sketch_add_n reaches every bucket and the sinks from one base (the chunk pass); calloc:
     * pages of buckets never touched are never made resident (the carries' pages, in
     * particular, until 2^31 values have been counted) */
    sk->neg = calloc(4 * (size_t)sk->nb + SINKS, sizeof *sk->neg);
    if (!sk->neg) {
        cx_sketch_free(sk);
        return CX_ERR_NOMEM;
    }
    sk->pos = sk->neg + sk->nb;
    sk->neg_carry = sk->neg + 2 * (size_t)sk->nb + SINKS;
    sk->pos_carry = sk->neg_carry + sk->nb;
    sk->chunk = cx_sketch_chunk_c;
#if defined(__x86_64__)
    /* the chunk pass for the SIMD path chosen at start-up (sim/base/simd.h): same slots */
    if (cx_simd_level() >= CX_SIMD_AVX2) sk->chunk = cx_sketch_chunk_avx2;
#endif
    cx_sketch_reset(sk);
    *out = sk;
    return 0;
}

void cx_sketch_free(cx_sketch *sk)
{
    if (!sk) return;
    free(sk->neg); /* the whole block (cx_sketch_new) */
    free(sk);
}

void cx_sketch_reset(cx_sketch *sk)
{
    if (sk->pos_lo <= sk->pos_hi)
        memset(sk->pos + sk->pos_lo, 0, (size_t)(sk->pos_hi - sk->pos_lo + 1) * sizeof *sk->pos);
    if (sk->neg_lo <= sk->neg_hi)
        memset(sk->neg + sk->neg_lo, 0, (size_t)(sk->neg_hi - sk->neg_lo + 1) * sizeof *sk->neg);
    if (sk->carried) {
        if (sk->pos_lo <= sk->pos_hi)
            memset(sk->pos_carry + sk->pos_lo, 0,
                   (size_t)(sk->pos_hi - sk->pos_lo + 1) * sizeof *sk->pos_carry);
        if (sk->neg_lo <= sk->neg_hi)
            memset(sk->neg_carry + sk->neg_lo, 0,
                   (size_t)(sk->neg_hi - sk->neg_lo + 1) * sizeof *sk->neg_carry);
    }
    sk->carried = false;
    sk->lo_bound = 0;
    sk->pos_lo = sk->neg_lo = sk->nb;
    sk->pos_hi = sk->neg_hi = -1;
    sk->zero = sk->count = sk->nan = sk->clamped = sk->inf = 0;
    sk->min = INFINITY;
    sk->max = -INFINITY;
}

#define LOW_MASK 0x7fffffffu /* a low part's remainder after a carry */

static void carry_range(uint32_t *lo, uint32_t *carry, int from, int to)
{
    for (int i = from; i <= to; i++) {
        carry[i] += lo[i] >> 31;
        lo[i] &= LOW_MASK;
    }
}

void cx_sketch_carry(cx_sketch *sk)
{
    carry_range(sk->pos, sk->pos_carry, sk->pos_lo, sk->pos_hi);
    carry_range(sk->neg, sk->neg_carry, sk->neg_lo, sk->neg_hi);
    sk->carried = true;
    sk->lo_bound = LOW_MASK;
}

/* The count of bucket i of one sign (lo, carry: that sign's arrays). */
static inline uint64_t bucket_count(const cx_sketch *sk, const uint32_t *lo,
                                    const uint32_t *carry, int i)
{
    return sk->carried ? ((uint64_t)carry[i] << 31) + lo[i] : lo[i];
}

/*
 * ceil(L(|x|) * scale) as cx_sketch_key computes it, as a double, in double arithmetic only
 * so that the compiler can vectorise it with SSE2 (no int conversion, no branch): with E the
 * biased exponent and m the mantissa fraction, 2^52 + E and 1 + m are built from the bits,
 * and (E - 1024) + (1 + m) is the exact value (e - 1) + (1 + m) = e + m rounded once,
 * exactly as (double)e + m is rounded in cx_sketch_key: the same double y. Its ceiling: r,
 * y rounded to an integer by the 1.5 x 2^52 shift (exact for |y| < 2^51), plus one where
 * r < y; that is ceil(y), as cx_sketch_key's truncation plus one where it fell below y.
 * Any bits give a finite y of modest size (NaN, infinities, zeros and denormals too);
 * callers ignore the keys of values outside [CX_SKETCH_MIN_ABS, CX_SKETCH_MAX_ABS).
 */
static inline double key_as_double(double x, double scale)
{
    uint64_t bits, eb, mb;
    memcpy(&bits, &x, sizeof bits);
    eb = ((bits >> 52) & 0x7ff) | 0x4330000000000000ULL;
    mb = (bits & 0xfffffffffffffULL) | 0x3ff0000000000000ULL;
    double e52, one_m;
    memcpy(&e52, &eb, sizeof e52);
    memcpy(&one_m, &mb, sizeof one_m);
    const double y = ((e52 - (0x1p52 + 1024.0)) + one_m) * scale;
    const double r = (y + 0x1.8p52) - 0x1.8p52;
    return r + (r < y ? 1.0 : 0.0);
}

#define ADD_CHUNK CX_SKETCH_CHUNK

/* (double)(j % SINKS) for j < ADD_CHUNK: which sink a zero-bucket value of a chunk counts in */
#define SINK4(b) (b), (b) + 1, (b) + 2, (b) + 3
#define SINK8 SINK4(0.0), SINK4(4.0)
#define SINK32 SINK8, SINK8, SINK8, SINK8
static _Alignas(16) const double sink_of[ADD_CHUNK] = {SINK32, SINK32, SINK32, SINK32,
                                          SINK32, SINK32, SINK32, SINK32};

/* gcc vectorises the chunk pass only under `omp simd` (its min and max of doubles are
 * reductions it may not reorder otherwise); clang (the fuzz build) decides alone */
#if defined(__clang__)
#define CHUNK_SIMD
#else
#define CHUNK_SIMD _Pragma("omp simd reduction(min : mn, slot_lo) reduction(max : mx, slot_hi)")
#endif


/*
 * The chunk pass (cx_sketch_chunk_c here, cx_sketch_chunk_avx2 in sim/engine/sketch_avx2.c):
 * slot[j] := the counter of x[j] in the sketch's counts block (cx_sketch_new's layout:
 * pos[i] at nb + i, then SINKS sinks from 2 nb), computed as a double holding an integer and
 * stored as an int32, for a value that is a number with -CX_SKETCH_MIN_ABS < x <
 * CX_SKETCH_MAX_ABS (the fast path: a positive bucket or the zero bucket; a zero-bucket
 * value counts in a sink, in turn, so that a run of zeros is not one chain of increments of
 * one counter); plus the chunk's min and max value and min and max slot. NaN and infinities
 * have keys far beyond the block (exponent 1024 against at most 50), so they show in
 * slot_hi. Pure double arithmetic with selects of constants. Only meaningful when the
 * caller's checks pass (cx_sketch_add_n).
 *
 * chunk_tail is that pass in plain C over x[j0 .. len - 1], carrying the extremes in *out:
 * the whole pass where SSE2 is missing (gcc vectorises it under `omp simd`), and the last
 * value of an odd chunk after the SSE2 pass.
 */
static inline void chunk_tail(const double *restrict x, int j0, int len, double scale,
                              double off, double sink0, int32_t *restrict slot,
                              cx_sketch_scan *out)
{
    double mn = out->min, mx = out->max, slot_lo = out->slot_lo, slot_hi = out->slot_hi;
    CHUNK_SIMD
    for (int j = j0; j < len; j++) {
        const double v = x[j];
        const double key = key_as_double(v, scale);
        /* the select arms are constants or computed beforehand, or gcc sees control flow;
         * every term is an integer below 2^53, so the slot is exact either way */
        const double zf = fabs(v) < CX_SKETCH_MIN_ABS ? 1.0 : 0.0;
        const double b = key + off;
        const double zs = sink0 + sink_of[j];
        const double at = b + (zs - b) * zf;
        slot[j] = (int32_t)at;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        slot_lo = at < slot_lo ? at : slot_lo;
        slot_hi = at > slot_hi ? at : slot_hi;
    }
    out->min = mn;
    out->max = mx;
    out->slot_lo = slot_lo;
    out->slot_hi = slot_hi;
}

#if defined(__SSE2__)
/*
 * The chunk pass with SSE2 intrinsics (baseline on x86-64, so no dispatch): the same operations
 * on the same doubles, two values a vector, so the same slots, extremes and bits as
 * chunk_tail; the slots are converted to int32 in the vector. Written out by hand
 * because gcc keeps the vectorised loop's four reductions in memory (a store and a load a
 * vector each) and converts every slot back one at a time.
 */
void cx_sketch_chunk_c(const double *restrict x, int len, double scale, double off,
                       double sink0, int32_t *restrict slot, cx_sketch_scan *out)
{
    const __m128i exp_or = _mm_set1_epi64x(0x4330000000000000LL);
    const __m128i mant_and = _mm_set1_epi64x(0xfffffffffffffLL);
    const __m128i mant_or = _mm_set1_epi64x(0x3ff0000000000000LL);
    const __m128d abs_and = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
    const __m128d e_bias = _mm_set1_pd(0x1p52 + 1024.0), vscale = _mm_set1_pd(scale);
    const __m128d magic = _mm_set1_pd(0x1.8p52), one = _mm_set1_pd(1.0);
    const __m128d voff = _mm_set1_pd(off);
    const __m128d vsink0 = _mm_set1_pd(sink0), min_abs = _mm_set1_pd(CX_SKETCH_MIN_ABS);
    __m128d mn = _mm_set1_pd(INFINITY), mx = _mm_set1_pd(-INFINITY);
    __m128d slo = mn, shi = mx;
    int j = 0;
    for (; j + 2 <= len; j += 2) {
        const __m128d v = _mm_loadu_pd(x + j);
        const __m128d a = _mm_and_pd(v, abs_and);
        const __m128i ai = _mm_castpd_si128(a);
        /* key_as_double: the biased exponent (no sign bit: |v|) and 1 + m */
        const __m128d e52 = _mm_castsi128_pd(_mm_or_si128(_mm_srli_epi64(ai, 52), exp_or));
        const __m128d one_m = _mm_castsi128_pd(_mm_or_si128(_mm_and_si128(ai, mant_and), mant_or));
        const __m128d y = _mm_mul_pd(_mm_add_pd(_mm_sub_pd(e52, e_bias), one_m), vscale);
        const __m128d r = _mm_sub_pd(_mm_add_pd(y, magic), magic);
        const __m128d key = _mm_add_pd(r, _mm_and_pd(_mm_cmplt_pd(r, y), one));
        const __m128d b = _mm_add_pd(key, voff);
        /* a zero-bucket value: its sink (b + (zs - b) is zs, exactly, in the portable loop) */
        const __m128d z = _mm_cmplt_pd(a, min_abs);
        const __m128d zs = _mm_add_pd(vsink0, _mm_load_pd(sink_of + j));
        const __m128d at = _mm_or_pd(_mm_andnot_pd(z, b), _mm_and_pd(z, zs));
        _mm_storel_epi64((__m128i *)(slot + j), _mm_cvttpd_epi32(at));
        /* mn < v ? mn : v (in place): the portable loop's min, but for the sign of a zero
         * (the caller adds +0.0) and NaN (a chunk with a NaN goes down the slow path, slot_hi
         * telling: `at` is never NaN) */
        mn = _mm_min_pd(mn, v);
        mx = _mm_max_pd(mx, v);
        slo = _mm_min_pd(slo, at);
        shi = _mm_max_pd(shi, at);
    }
    double m2[2], x2[2], l2[2], h2[2];
    _mm_storeu_pd(m2, mn);
    _mm_storeu_pd(x2, mx);
    _mm_storeu_pd(l2, slo);
    _mm_storeu_pd(h2, shi);
    double mnd = m2[1] < m2[0] ? m2[1] : m2[0], mxd = x2[1] > x2[0] ? x2[1] : x2[0];
    double lo = l2[1] < l2[0] ? l2[1] : l2[0], hi = h2[1] > h2[0] ? h2[1] : h2[0];
    /* an odd chunk's last value */
    *out = (cx_sketch_scan){ .min = mnd, .max = mxd, .slot_lo = lo, .slot_hi = hi };
    chunk_tail(x, j, len, scale, off, sink0, slot, out);
}
#else
void cx_sketch_chunk_c(const double *restrict x, int len, double scale, double off,
                       double sink0, int32_t *restrict slot, cx_sketch_scan *out)
{
    *out = (cx_sketch_scan){ .min = INFINITY, .max = -INFINITY, .slot_lo = INFINITY,
                             .slot_hi = -INFINITY };
    chunk_tail(x, 0, len, scale, off, sink0, slot, out);
}
#endif

/*
 * cx_sketch_add's logic for x[0..n-1], with the sketch's scalar state in locals: the path
 * for chunks that hold a NaN, an infinity, a value beyond CX_SKETCH_MAX_ABS or a negative
 * value outside the zero bucket (none of which the fast path handles).
 */
typedef struct add_state {
    int pos_lo, pos_hi, neg_lo, neg_hi;
    uint64_t count, nan, zero, clamped, inf;
    double min, max;
} add_state;

static void add_slow(const cx_sketch *sk, add_state *st, const double *x, int n)
{
    uint32_t *const pos = sk->pos, *const neg = sk->neg;
    const int top = sk->nb - 1;
    for (int j = 0; j < n; j++) {
        double v = x[j];
        if (isnan(v)) {
            st->nan++;
            continue;
        }
        st->count++;
        if (v < st->min) st->min = v + 0.0; /* no -0.0: see cx_sketch_add */
        if (v > st->max) st->max = v + 0.0;
        double av = fabs(v);
        if (av < CX_SKETCH_MIN_ABS) {
            st->zero++;
            continue;
        }
        int i;
        if (av >= CX_SKETCH_MAX_ABS) {
            st->clamped++;
            st->inf += isinf(v) != 0;
            i = top;
        } else {
            i = cx_sketch_key(sk, av) - sk->kmin;
        }
        if (v > 0) {
            pos[i]++;
            if (i < st->pos_lo) st->pos_lo = i;
            if (i > st->pos_hi) st->pos_hi = i;
        } else {
            neg[i]++;
            if (i < st->neg_lo) st->neg_lo = i;
            if (i > st->neg_hi) st->neg_hi = i;
        }
    }
}

void cx_sketch_add_n(cx_sketch *sk, const double *x, size_t n)
{
    /*
     * Per chunk of ADD_CHUNK values, the chunk pass (sk->chunk: vectorised, branch-free,
     * sim/engine/sketch_kernels.h) gives every value its counter and the chunk's extremes; then a
     * plain loop increments the counters, with no test at all (no branch to mispredict on
     * zero or not). The used range of positive
     * buckets is the least positive slot (the sinks lie above every bucket) up to the key of
     * the max (the key is non-decreasing in |x|). The fast path takes chunks of numbers in
     * (-CX_SKETCH_MIN_ABS, CX_SKETCH_MAX_ABS): no NaN and no infinity (slot_hi stays inside
     * the block), no value beyond the range and no negative value outside the zero bucket;
     * any other chunk goes through add_slow (cx_sketch_add's logic).
     * The result is the state of n calls of cx_sketch_add: counts are integers (any order),
     * the used ranges are minima and maxima of keys, and min and max are the extremes with
     * zero normalised to +0.0 (cx_sketch_add gives +0.0 whichever zero comes first).
     */
    uint32_t *const cnt = sk->neg; /* the block: neg, pos, sinks (cx_sketch_new) */
    const int nb = sk->nb;
    add_state st = {sk->pos_lo, sk->pos_hi, sk->neg_lo, sk->neg_hi, 0, 0, 0, 0, 0,
                    sk->min, sk->max};
    int32_t slot[ADD_CHUNK];
    for (size_t j0 = 0; j0 < n; j0 += ADD_CHUNK) {
        const int len = (int)(n - j0 < ADD_CHUNK ? n - j0 : ADD_CHUNK);
        const double *xc = x + j0;
        if (sk->lo_bound > UINT32_MAX - (uint32_t)len) {
            /* room in the low parts for this chunk (rare: after 2^31 values) */
            sk->pos_lo = st.pos_lo;
            sk->pos_hi = st.pos_hi;
            sk->neg_lo = st.neg_lo;
            sk->neg_hi = st.neg_hi;
            cx_sketch_carry(sk);
        }
        sk->lo_bound += (uint32_t)len;
        cx_sketch_scan cs;
        sk->chunk(xc, len, sk->scale, (double)nb - (double)sk->kmin, (double)(2 * nb), slot, &cs);
        if (!(cs.slot_hi < 2 * nb + SINKS) || !(cs.max < CX_SKETCH_MAX_ABS) ||
            !(cs.min > -CX_SKETCH_MIN_ABS)) {
            add_slow(sk, &st, xc, len);
            continue;
        }
        /* a chunk of one bucket (a constant run, frequent for counts and 0/1 outcomes)
         * would be one chain of increments of one word: add its length once instead */
        if (cs.slot_lo == cs.slot_hi)
            cnt[(int64_t)cs.slot_lo] += (uint32_t)len;
        else {
            /* unrolled: the loop's own instructions were half of these five a value */
#pragma GCC unroll 8
            for (int j = 0; j < len; j++) cnt[slot[j]]++;
        }
        st.count += (uint64_t)len;
        if (cs.slot_lo < 2 * nb) { /* a positive bucket in use */
            const int lo = (int)cs.slot_lo - nb;
            const int hi = cx_sketch_key(sk, cs.max) - sk->kmin;
            if (lo < st.pos_lo) st.pos_lo = lo;
            if (hi > st.pos_hi) st.pos_hi = hi;
        }
        if (cs.min < st.min) st.min = cs.min + 0.0; /* no -0.0: see cx_sketch_add */
        if (cs.max > st.max) st.max = cs.max + 0.0;
    }
    /* the zero-bucket values of fast chunks are in the sinks */
    for (int s = 0; s < SINKS; s++) st.zero += cnt[2 * nb + s];
    memset(cnt + 2 * nb, 0, SINKS * sizeof *cnt);
    sk->pos_lo = st.pos_lo;
    sk->pos_hi = st.pos_hi;
    sk->neg_lo = st.neg_lo;
    sk->neg_hi = st.neg_hi;
    sk->count += st.count;
    sk->nan += st.nan;
    sk->zero += st.zero;
    sk->clamped += st.clamped;
    sk->inf += st.inf;
    sk->min = st.min;
    sk->max = st.max;
}

static void add_range(uint32_t *restrict dst, const uint32_t *restrict src, int from, int to)
{
    for (int i = from; i <= to; i++) dst[i] += src[i];
}

/* dst's buckets from..to of one sign += src's, as whole counts (dst carried: the low parts
 * below 2^31 on return). */
static void merge_wide(const cx_sketch *src, uint32_t *lo, uint32_t *carry,
                       const uint32_t *src_lo, const uint32_t *src_carry, int from, int to)
{
    for (int i = from; i <= to; i++) {
        uint64_t c = ((uint64_t)carry[i] << 31) + lo[i] + bucket_count(src, src_lo, src_carry, i);
        carry[i] = (uint32_t)(c >> 31);
        lo[i] = (uint32_t)(c & LOW_MASK);
    }
}

int cx_sketch_merge(cx_sketch *dst, const cx_sketch *src)
{
    if (dst->alpha != src->alpha || dst->nb != src->nb) return CX_ERR_RANGE;
    if (!src->carried && src->lo_bound <= UINT32_MAX - dst->lo_bound) {
        /* the sums of low parts fit in 32 bits (add_range: the bounds in locals, as the
         * stores could alias the int fields) */
        add_range(dst->pos, src->pos, src->pos_lo, src->pos_hi);
        add_range(dst->neg, src->neg, src->neg_lo, src->neg_hi);
        dst->lo_bound += src->lo_bound;
    } else {
        /* whole counts, split again: every low part of dst ends below 2^31 */
        cx_sketch_carry(dst);
        merge_wide(src, dst->pos, dst->pos_carry, src->pos, src->pos_carry, src->pos_lo,
                   src->pos_hi);
        merge_wide(src, dst->neg, dst->neg_carry, src->neg, src->neg_carry, src->neg_lo,
                   src->neg_hi);
    }
    if (src->pos_lo < dst->pos_lo) dst->pos_lo = src->pos_lo;
    if (src->pos_hi > dst->pos_hi) dst->pos_hi = src->pos_hi;
    if (src->neg_lo < dst->neg_lo) dst->neg_lo = src->neg_lo;
    if (src->neg_hi > dst->neg_hi) dst->neg_hi = src->neg_hi;
    dst->zero += src->zero;
    dst->count += src->count;
    dst->nan += src->nan;
    dst->clamped += src->clamped;
    dst->inf += src->inf;
    if (src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
    return 0;
}

/* One sign of dst := a - b, bucket by bucket over a's range (carried form); the used range
 * tightened to the non-empty buckets. @return false when b holds more than a somewhere. */
static bool sub_range(const cx_sketch *a, const cx_sketch *b, uint32_t *lo, uint32_t *carry,
                      const uint32_t *a_lo, const uint32_t *a_carry, const uint32_t *b_lo,
                      const uint32_t *b_carry, int from, int to, int b_from, int b_to, int *out_lo,
                      int *out_hi)
{
    if (b_from <= b_to && (b_from < from || b_to > to)) return false;
    for (int i = from; i <= to; i++) {
        uint64_t ca = bucket_count(a, a_lo, a_carry, i);
        uint64_t cb = i >= b_from && i <= b_to ? bucket_count(b, b_lo, b_carry, i) : 0;
        if (cb > ca) return false;
        uint64_t c = ca - cb;
        carry[i] = (uint32_t)(c >> 31);
        lo[i] = (uint32_t)(c & LOW_MASK);
        if (c && i < *out_lo) *out_lo = i;
        if (c && i > *out_hi) *out_hi = i;
    }
    return true;
}

int cx_sketch_subtract(cx_sketch *dst, const cx_sketch *a, const cx_sketch *b)
{
    if (dst->alpha != a->alpha || dst->nb != a->nb || b->alpha != a->alpha || b->nb != a->nb ||
        b->count > a->count || b->nan > a->nan || b->zero > a->zero || b->clamped > a->clamped ||
        b->inf > a->inf)
        return CX_ERR_RANGE;
    cx_sketch_reset(dst);
    int plo = dst->nb, phi = -1, nlo = dst->nb, nhi = -1;
    if (!sub_range(a, b, dst->pos, dst->pos_carry, a->pos, a->pos_carry, b->pos, b->pos_carry,
                   a->pos_lo, a->pos_hi, b->pos_lo, b->pos_hi, &plo, &phi) ||
        !sub_range(a, b, dst->neg, dst->neg_carry, a->neg, a->neg_carry, b->neg, b->neg_carry,
                   a->neg_lo, a->neg_hi, b->neg_lo, b->neg_hi, &nlo, &nhi)) {
        /* the carried form was written over a's range: clear it all */
        memset(dst->pos, 0, (size_t)dst->nb * sizeof *dst->pos);
        memset(dst->neg, 0, (size_t)dst->nb * sizeof *dst->neg);
        memset(dst->pos_carry, 0, (size_t)dst->nb * sizeof *dst->pos_carry);
        memset(dst->neg_carry, 0, (size_t)dst->nb * sizeof *dst->neg_carry);
        return CX_ERR_RANGE;
    }
    /* the buckets between a's range and the tightened one are zero: fine as they are */
    dst->carried = true;
    dst->lo_bound = LOW_MASK;
    dst->pos_lo = plo;
    dst->pos_hi = phi;
    dst->neg_lo = nlo;
    dst->neg_hi = nhi;
    dst->zero = a->zero - b->zero;
    dst->count = a->count - b->count;
    dst->nan = a->nan - b->nan;
    dst->clamped = a->clamped - b->clamped;
    dst->inf = a->inf - b->inf;
    dst->min = dst->count ? a->min : INFINITY;
    dst->max = dst->count ? a->max : -INFINITY;
    return 0;
}

uint64_t cx_sketch_count(const cx_sketch *sk)
{
    return sk->count;
}

/* Inverse of L: the x with L(x) = y. */
static double l_inverse(double y)
{
    double e = floor(y);
    return ldexp(1 + (y - e), (int)e);
}

/* Representative (> 0) of bucket index i: harmonic mean of its ends (see the top). */
static double bucket_value(const cx_sketch *sk, int i)
{
    int k = i + sk->kmin;
    double lo = l_inverse((k - 1) / sk->scale), hi = l_inverse(k / sk->scale);
    return 2 * lo * hi / (lo + hi);
}

static double clamp(const cx_sketch *sk, double v)
{
    return v < sk->min ? sk->min : v > sk->max ? sk->max : v;
}

/* Answer for positive bucket i: the outermost bucket also holds the out-of-range values, and
 * answers the exact max for them (the best guess there is, and exact when they are few). */
static double pos_value(const cx_sketch *sk, int i)
{
    if (i == sk->nb - 1 && sk->clamped) return sk->max;
    return clamp(sk, bucket_value(sk, i));
}

static double neg_value(const cx_sketch *sk, int i)
{
    if (i == sk->nb - 1 && sk->clamped) return sk->min;
    return clamp(sk, -bucket_value(sk, i));
}

/* Where the value of rank k (1 <= k <= count) lies: -1 (negative bucket *i), 0 (the zero
 * bucket) or +1 (positive bucket *i). */
static int locate(const cx_sketch *sk, uint64_t k, int *i)
{
    uint64_t seen = 0;
    /* ascending order: most negative first */
    for (*i = sk->neg_hi; *i >= sk->neg_lo; (*i)--) {
        seen += bucket_count(sk, sk->neg, sk->neg_carry, *i);
        if (seen >= k) return -1;
    }
    seen += sk->zero;
    if (seen >= k) return 0;
    for (*i = sk->pos_lo; *i <= sk->pos_hi; (*i)++) {
        seen += bucket_count(sk, sk->pos, sk->pos_carry, *i);
        if (seen >= k) return 1;
    }
    *i = sk->pos_hi; /* not reached: the counts add up to count */
    return 1;
}

double cx_sketch_value_at_rank(const cx_sketch *sk, uint64_t k)
{
    if (sk->count == 0) return NAN;
    if (k < 1) k = 1;
    if (k > sk->count) k = sk->count;
    int i, sign = locate(sk, k, &i);
    return sign < 0 ? neg_value(sk, i) : sign > 0 ? pos_value(sk, i) : clamp(sk, 0.0);
}

/* Relative widening of bucket edges: the keys' rounding moves a value across an edge by at
 * most ~1e-14 relative (L to ~1.4e-14 absolute, times scale, then 2^L) */
#define EDGE_SLACK 1e-12

bool cx_sketch_bounds_at_rank(const cx_sketch *sk, uint64_t k, double *lo, double *hi)
{
    if (sk->count == 0) {
        *lo = *hi = NAN;
        return false;
    }
    if (k < 1) k = 1;
    if (k > sk->count) k = sk->count;
    int i, sign = locate(sk, k, &i);
    double a, b; /* edges of |x| */
    bool resolved = true;
    if (sign == 0) {
        *lo = -CX_SKETCH_MIN_ABS;
        *hi = CX_SKETCH_MIN_ABS;
    } else {
        int key = i + sk->kmin;
        a = l_inverse((key - 1) / sk->scale) * (1 - EDGE_SLACK);
        b = l_inverse(key / sk->scale) * (1 + EDGE_SLACK);
        if (i == sk->nb - 1 && sk->clamped) {
            /* the outermost bucket: values up to the exact extreme, infinities included */
            b = INFINITY;
            resolved = false;
        }
        *lo = sign > 0 ? a : -b;
        *hi = sign > 0 ? b : -a;
    }
    *lo = clamp(sk, *lo);
    *hi = clamp(sk, *hi);
    return resolved;
}

/*
 * The one integer m >= 1 whose key is bucket i's, or 0 when the bucket can hold none or
 * several. The bucket holds the x with L(x) in ((k - 1) / s, k / s], roughly (lo, hi]; a span
 * of 2 or more holds at least two integers. Narrower spans are settled by computing the key
 * of each candidate integer with the very function that cx_sketch_add uses, so rounding at
 * the bucket's ends cannot put an integer in the wrong bucket.
 */
static double bucket_integer(const cx_sketch *sk, int i)
{
    int key = i + sk->kmin;
    double lo = l_inverse((key - 1) / sk->scale), hi = l_inverse(key / sk->scale);
    if (!(hi - lo < 2) || hi >= CX_SKETCH_MAX_ABS) return 0;
    double found = 0;
    int n = 0;
    for (double m = floor(lo); m <= ceil(hi); m++)
        if (m >= 1 && cx_sketch_key(sk, m) == key) {
            found = m;
            n++;
        }
    return n == 1 ? found : 0;
}

double cx_sketch_int_value_at_rank(const cx_sketch *sk, uint64_t k)
{
    if (sk->count == 0) return NAN;
    if (k < 1) k = 1;
    if (k > sk->count) k = sk->count;
    int i, sign = locate(sk, k, &i);
    if (sign == 0) return clamp(sk, 0.0);
    /* the outermost bucket also holds the out-of-range values: keep its exact min/max */
    if (i == sk->nb - 1 && sk->clamped) return sign > 0 ? sk->max : sk->min;
    double m = bucket_integer(sk, i);
    if (m == 0) return sign > 0 ? pos_value(sk, i) : neg_value(sk, i);
    return clamp(sk, sign > 0 ? m : -m);
}

uint64_t cx_sketch_rank(uint64_t n, double q)
{
    if (n == 0) return 0;
    double r = (double)n * q;
    if (!(r > 1)) return 1;
    if (r >= (double)n) return n;
    uint64_t k = (uint64_t)ceil(r);
    /* n q that rounding pushed just above an integer is that integer */
    if ((double)(k - 1) >= r * (1 - 4 * DBL_EPSILON)) k--;
    return k < 1 ? 1 : k > n ? n : k;
}

double cx_sketch_quantile(const cx_sketch *sk, double q)
{
    if (sk->count == 0) return NAN;
    return cx_sketch_value_at_rank(sk, cx_sketch_rank(sk->count, q));
}

double cx_sketch_top_mean(const cx_sketch *sk, double k)
{
    if (sk->count == 0 || !(k > 0)) return NAN;
    if (k > (double)sk->count) k = (double)sk->count;
    double left = k, sum = 0;
    /* descending order: largest positive first */
    for (int i = sk->pos_hi; i >= sk->pos_lo && left > 0; i--) {
        const uint64_t n = bucket_count(sk, sk->pos, sk->pos_carry, i);
        if (!n) continue;
        double c = (double)n, w = c < left ? c : left;
        sum += w * pos_value(sk, i);
        left -= w;
    }
    if (left > 0) {
        double w = (double)sk->zero < left ? (double)sk->zero : left;
        sum += w * clamp(sk, 0.0);
        left -= w;
    }
    for (int i = sk->neg_lo; i <= sk->neg_hi && left > 0; i++) {
        const uint64_t n = bucket_count(sk, sk->neg, sk->neg_carry, i);
        if (!n) continue;
        double c = (double)n, w = c < left ? c : left;
        sum += w * neg_value(sk, i);
        left -= w;
    }
    return sum / k;
}

void cx_sketch_top_moments(const cx_sketch *sk, double k, double *mean, double *mean_sq)
{
    *mean = *mean_sq = NAN;
    if (sk->count == 0 || !(k > 0)) return;
    if (k > (double)sk->count) k = (double)sk->count;
    double left = k, s1 = 0, s2 = 0;
    for (int i = sk->pos_hi; i >= sk->pos_lo && left > 0; i--) {
        const uint64_t n = bucket_count(sk, sk->pos, sk->pos_carry, i);
        if (!n) continue;
        double c = (double)n, w = c < left ? c : left, v = pos_value(sk, i);
        s1 += w * v;
        s2 += w * v * v;
        left -= w;
    }
    if (left > 0) {
        double w = (double)sk->zero < left ? (double)sk->zero : left, v = clamp(sk, 0.0);
        s1 += w * v;
        s2 += w * v * v;
        left -= w;
    }
    for (int i = sk->neg_lo; i <= sk->neg_hi && left > 0; i++) {
        const uint64_t n = bucket_count(sk, sk->neg, sk->neg_carry, i);
        if (!n) continue;
        double c = (double)n, w = c < left ? c : left, v = neg_value(sk, i);
        s1 += w * v;
        s2 += w * v * v;
        left -= w;
    }
    *mean = s1 / k;
    *mean_sq = s2 / k;
}

bool cx_sketch_equal(const cx_sketch *a, const cx_sketch *b)
{
    if (a->alpha != b->alpha || a->nb != b->nb || a->zero != b->zero || a->count != b->count ||
        a->nan != b->nan || a->clamped != b->clamped || a->inf != b->inf ||
        a->pos_lo != b->pos_lo ||
        a->pos_hi != b->pos_hi || a->neg_lo != b->neg_lo || a->neg_hi != b->neg_hi)
        return false;
    if (memcmp(&a->min, &b->min, sizeof a->min) || memcmp(&a->max, &b->max, sizeof a->max))
        return false;
    for (int i = a->pos_lo; i <= a->pos_hi; i++)
        if (bucket_count(a, a->pos, a->pos_carry, i) != bucket_count(b, b->pos, b->pos_carry, i))
            return false;
    for (int i = a->neg_lo; i <= a->neg_hi; i++)
        if (bucket_count(a, a->neg, a->neg_carry, i) != bucket_count(b, b->neg, b->neg_carry, i))
            return false;
    return true;
}

size_t cx_sketch_bytes(const cx_sketch *sk)
{
    return (4 * (size_t)sk->nb + SINKS) * sizeof *sk->pos;
}

/* ---- checkpoints and MPI messages (issue 12) ---- */

void cx_sketch_serialise(const cx_sketch *sk, cx_wbuf *w)
{
    cx_wbuf_f64(w, sk->alpha);
    cx_wbuf_u32(w, (uint32_t)sk->kmin);
    cx_wbuf_u32(w, (uint32_t)sk->nb);
    cx_wbuf_u64(w, sk->zero);
    cx_wbuf_u64(w, sk->count);
    cx_wbuf_u64(w, sk->nan);
    cx_wbuf_u64(w, sk->clamped);
    cx_wbuf_u64(w, sk->inf);
    cx_wbuf_f64(w, sk->min);
    cx_wbuf_f64(w, sk->max);
    const uint32_t *arr[2] = {sk->pos, sk->neg}, *carry[2] = {sk->pos_carry, sk->neg_carry};
    const int lo[2] = {sk->pos_lo, sk->neg_lo}, hi[2] = {sk->pos_hi, sk->neg_hi};
    for (int s = 0; s < 2; s++) {
        if (lo[s] > hi[s]) {
            cx_wbuf_u32(w, 0); /* no bucket in use */
            continue;
        }
        cx_wbuf_u32(w, (uint32_t)(hi[s] - lo[s] + 1));
        cx_wbuf_u32(w, (uint32_t)lo[s]);
        /* whole counts, 64 bits each in the host's order, as many at once as fit */
        uint64_t c[256];
        for (int i = lo[s]; i <= hi[s];) {
            int m = 0;
            for (; m < 256 && i <= hi[s]; m++, i++) c[m] = bucket_count(sk, arr[s], carry[s], i);
            cx_wbuf_put(w, c, (size_t)m * sizeof *c);
        }
    }
}

int cx_sketch_deserialise(cx_sketch *sk, cx_rbuf *r)
{
    cx_sketch_reset(sk);
    double alpha = cx_rbuf_f64(r);
    uint32_t kmin = cx_rbuf_u32(r), nb = cx_rbuf_u32(r);
    if (r->err || memcmp(&alpha, &sk->alpha, sizeof alpha) != 0 || (int)kmin != sk->kmin ||
        (int)nb != sk->nb)
        goto bad;
    sk->zero = cx_rbuf_u64(r);
    sk->count = cx_rbuf_u64(r);
    sk->nan = cx_rbuf_u64(r);
    sk->clamped = cx_rbuf_u64(r);
    sk->inf = cx_rbuf_u64(r);
    sk->min = cx_rbuf_f64(r);
    sk->max = cx_rbuf_f64(r);
    uint64_t total = sk->zero;
    uint32_t *arr[2] = {sk->pos, sk->neg}, *carry[2] = {sk->pos_carry, sk->neg_carry};
    int *lo[2] = {&sk->pos_lo, &sk->neg_lo}, *hi[2] = {&sk->pos_hi, &sk->neg_hi};
    for (int s = 0; s < 2; s++) {
        uint32_t len = cx_rbuf_u32(r);
        if (len == 0) continue;
        uint32_t first = cx_rbuf_u32(r);
        if (r->err || first >= nb || len > nb - first ||
            (size_t)len * sizeof(uint64_t) > cx_rbuf_left(r))
            goto bad;
        /* the range, set first, is what reset clears should the counts be bad */
        *lo[s] = (int)first;
        *hi[s] = (int)(first + len - 1);
        for (uint32_t i = first; i < first + len; i++) {
            uint64_t c = cx_rbuf_u64(r);
            /* the range must start and end on used buckets, as cx_sketch_add leaves it */
            if ((c == 0 && (i == first || i == first + len - 1)) || c >> 31 > UINT32_MAX ||
                total + c < total)
                goto bad;
            /* split as cx_sketch_carry leaves counts (carried first, so reset clears them) */
            arr[s][i] = (uint32_t)(c & LOW_MASK);
            if (c >> 31) {
                sk->carried = true;
                carry[s][i] = (uint32_t)(c >> 31);
            }
            total += c;
        }
    }
    sk->lo_bound = total < LOW_MASK ? (uint32_t)total : LOW_MASK; /* every low part <= both */
    if (r->err || total != sk->count || sk->clamped > sk->count || sk->inf > sk->clamped ||
        (sk->count > 0 && !(sk->min <= sk->max)) ||
        (sk->count == 0 && !(sk->min == INFINITY && sk->max == -INFINITY)))
        goto bad;
    return 0;
bad:
    if (!r->err) r->err = CX_ERR_RANGE;
    cx_sketch_reset(sk);
    return CX_ERR_RANGE;
}
