/* SPDX-License-Identifier: MIT */
/* The sketch's chunk pass with AVX2 (built with -mavx2, run only where the CPU has it). */

/*
 * cx_sketch_chunk_c's operations four values a vector (sim/engine/sketch_kernels.h): the key from
 * the IEEE bits of |x| (biased exponent as 2^52 + E, 1 + m, one subtraction, one addition,
 * one multiplication, all rounded as in the reference), its ceiling by the 1.5 x 2^52 shift
 * and a compare, the zero-bucket select, int32 slots. Three-operand instructions and four
 * lanes take about a third of the reference's instructions a value.
 */
#include "config.h"

#include <immintrin.h>
#include <math.h>

#include "sim/engine/sketch.h"
#include "sim/engine/sketch_kernels.h"

void cx_sketch_chunk_avx2(const double *restrict x, int len, double scale, double off,
                          double sink0, int32_t *restrict slot, cx_sketch_scan *out)
{
    const __m256i exp_or = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256i mant_and = _mm256_set1_epi64x(0xfffffffffffffLL);
    const __m256i mant_or = _mm256_set1_epi64x(0x3ff0000000000000LL);
    const __m256d abs_and = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256d e_bias = _mm256_set1_pd(0x1p52 + 1024.0), vscale = _mm256_set1_pd(scale);
    const __m256d magic = _mm256_set1_pd(0x1.8p52), one = _mm256_set1_pd(1.0);
    const __m256d voff = _mm256_set1_pd(off), min_abs = _mm256_set1_pd(CX_SKETCH_MIN_ABS);
    /* sinks sink0 + j % 8: lanes 0-3 then 4-7 */
    const __m256d sink_a = _mm256_add_pd(_mm256_set1_pd(sink0), _mm256_setr_pd(0, 1, 2, 3));
    const __m256d sink_b = _mm256_add_pd(_mm256_set1_pd(sink0), _mm256_setr_pd(4, 5, 6, 7));
    __m256d mn = _mm256_set1_pd(INFINITY), mx = _mm256_set1_pd(-INFINITY);
    __m256d slo = mn, shi = mx;
#define STEP(J, SINK)                                                                         \
    do {                                                                                      \
        const __m256d v = _mm256_loadu_pd(x + (J));                                           \
        const __m256d a = _mm256_and_pd(v, abs_and);                                          \
        const __m256i ai = _mm256_castpd_si256(a);                                            \
        const __m256d e52 =                                                                   \
            _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(ai, 52), exp_or));          \
        const __m256d one_m =                                                                 \
            _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(ai, mant_and), mant_or));    \
        const __m256d y =                                                                     \
            _mm256_mul_pd(_mm256_add_pd(_mm256_sub_pd(e52, e_bias), one_m), vscale);          \
        const __m256d r = _mm256_sub_pd(_mm256_add_pd(y, magic), magic);                      \
        const __m256d key =                                                                   \
            _mm256_add_pd(r, _mm256_and_pd(_mm256_cmp_pd(r, y, _CMP_LT_OQ), one));            \
        const __m256d b = _mm256_add_pd(key, voff);                                           \
        const __m256d z = _mm256_cmp_pd(a, min_abs, _CMP_LT_OQ);                              \
        const __m256d at = _mm256_blendv_pd(b, (SINK), z);                                    \
        _mm_storeu_si128((__m128i *)(slot + (J)), _mm256_cvttpd_epi32(at));                   \
        mn = _mm256_min_pd(mn, v);                                                            \
        mx = _mm256_max_pd(mx, v);                                                            \
        slo = _mm256_min_pd(slo, at);                                                         \
        shi = _mm256_max_pd(shi, at);                                                         \
    } while (0)
    int j = 0;
    for (; j + 8 <= len; j += 8) {
        STEP(j, sink_a);
        STEP(j + 4, sink_b);
    }
    if (j + 4 <= len) {
        STEP(j, sink_a);
        j += 4;
    }
#undef STEP
    double m4[4], x4[4], l4[4], h4[4];
    _mm256_storeu_pd(m4, mn);
    _mm256_storeu_pd(x4, mx);
    _mm256_storeu_pd(l4, slo);
    _mm256_storeu_pd(h4, shi);
    cx_sketch_scan s = {m4[0], x4[0], l4[0], h4[0]};
    for (int k = 1; k < 4; k++) {
        s.min = m4[k] < s.min ? m4[k] : s.min;
        s.max = x4[k] > s.max ? x4[k] : s.max;
        s.slot_lo = l4[k] < s.slot_lo ? l4[k] : s.slot_lo;
        s.slot_hi = h4[k] > s.slot_hi ? h4[k] : s.slot_hi;
    }
    if (j < len) {
        /* the last len % 4 values by the reference: j is a multiple of 4, so its sinks
         * sink0 + (j & 7) + (0, 1, 2) are the values' own j % 8 */
        cx_sketch_scan t;
        cx_sketch_chunk_c(x + j, len - j, scale, off, sink0 + (double)(j & 7), slot + j, &t);
        s.min = t.min < s.min ? t.min : s.min;
        s.max = t.max > s.max ? t.max : s.max;
        s.slot_lo = t.slot_lo < s.slot_lo ? t.slot_lo : s.slot_lo;
        s.slot_hi = t.slot_hi > s.slot_hi ? t.slot_hi : s.slot_hi;
    }
    *out = s;
}
