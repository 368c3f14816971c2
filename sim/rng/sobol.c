/* SPDX-License-Identifier: MIT */
/* Sobol points from Joe and Kuo's direction numbers, for dimensions GSL's Sobol does not have. */
/*
 * Why this is written here: GSL's gsl_qrng_sobol, the project's quasi-random source, stops at
 * 40 dimensions (its Niederreiter generator at 12; its Halton is not a Sobol sequence), and
 * no C library in Debian 12 goes further: Boost.Random's sobol is C++ and rocRAND's needs
 * AMD's HIP runtime. A Sobol sequence is small, though: a table of initial direction numbers
 * (Joe and Kuo's, sim/rng/sobol_dirs.c), Sobol's recurrence for the rest, and Antonov and
 * Saleev's Gray-code order, in which each point is the previous one XOR one direction number.
 *
 * Direction numbers are kept to CX_SOBOL_BITS = 52 bits rather than GSL's 30 or sobol.cc's 32,
 * because the sampling plan keeps points as 52-bit fractions (sim/engine/sampling.c): the
 * leading 32 bits are sobol.cc's points, and the further bits carry the same recurrence, so
 * the first 2^k points are a net at every k <= 52.
 */
#include "config.h"

#include <stdint.h>

#include "sim/base/error.h"
#include "sim/rng/sobol.h"

uint32_t cx_sobol_jk_poly(int d)
{
    if (d < 1 || d > CX_SOBOL_JK_DIMS)
        return 0;
    if (d == 1)
        return 1;
    const cx_sobol_jk_row *r = &cx_sobol_jk_table[d - 2];
    return (UINT32_C(1) << r->s) | ((uint32_t)r->a << 1) | 1u;
}

int cx_sobol_jk_directions(int d, uint64_t v[CX_SOBOL_BITS])
{
    if (d < 1 || d > CX_SOBOL_JK_DIMS)
        return CX_ERR_RANGE;
    if (d == 1) {
        for (int k = 1; k <= CX_SOBOL_BITS; k++)
            v[k - 1] = UINT64_C(1) << (CX_SOBOL_BITS - k);
        return 0;
    }
    const cx_sobol_jk_row *r = &cx_sobol_jk_table[d - 2];
    int s = r->s;
    for (int k = 1; k <= s && k <= CX_SOBOL_BITS; k++)
        v[k - 1] = (uint64_t)r->m[k - 1] << (CX_SOBOL_BITS - k);
    /* Sobol's recurrence on the scaled numbers (sobol.cc's form): v_k = v_(k-s) ^ (v_(k-s) >> s)
     * ^ the v_(k-j) whose a_j is 1, j = 1..s-1 (a_1 is a's bit s - 2). */
    for (int k = s + 1; k <= CX_SOBOL_BITS; k++) {
        uint64_t x = v[k - s - 1] ^ (v[k - s - 1] >> s);
        for (int j = 1; j < s; j++)
            if ((r->a >> (s - 1 - j)) & 1u)
                x ^= v[k - j - 1];
        v[k - 1] = x;
    }
    return 0;
}

int cx_sobol_jk_points(int d, int n, uint64_t *x, size_t stride)
{
    uint64_t v[CX_SOBOL_BITS];
    if (n < 0 || cx_sobol_jk_directions(d, v) != 0)
        return CX_ERR_RANGE;
    uint64_t cur = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            /* the lowest zero bit of i - 1; n <= INT_MAX < 2^52 keeps it inside v */
            unsigned c = (unsigned)__builtin_ctz(~(unsigned)(i - 1));
            cur ^= v[c];
        }
        x[(size_t)i * stride] = cur;
    }
    return 0;
}
