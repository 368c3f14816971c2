/* SPDX-License-Identifier: MIT */
/* Tests for sim/pcg: published vectors, jump-ahead, block streams, GSL wrappers. */
#include <math.h>
#include <stdint.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/rng/pcg.h"

/* pcg-c's demo (pcg32-demo.c, pcg64-demo.c): seed 42, stream 54. */
static const uint32_t vec32[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                  0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
static const uint64_t vec64[6] = {0x86b1da1d72062b68ULL, 0x1304aa46c9853d39ULL,
                                  0xa3670e9e0dd50358ULL, 0xf9090e529a7dae00ULL,
                                  0xc85b9fd837996f2cULL, 0x606121f8e3919196ULL};

static void setup(void)
{
    gsl_set_error_handler_off();
}

TestSuite(pcg, .init = setup);

Test(pcg, pcg32_published_vector)
{
    cx_pcg32 g;
    cx_pcg32_seed(&g, 42u, 54u);
    for (int i = 0; i < 6; i++)
        cr_assert(eq(u32, cx_pcg32_next(&g), vec32[i]), "output %d", i);
}

/* The lanes' form of the output (sim/rng/pcg.h) is the same function: on the published
 * stream's states, on every rotation (top five bits) with random low bits, and on states
 * whose xorshift has all or no low bits set. */
Test(pcg, pcg32_output_lanes_matches_output)
{
    cx_pcg32 g;
    cx_pcg32_seed(&g, 42u, 54u);
    for (int i = 0; i < 6; i++) {
        cr_assert(eq(u32, cx_pcg32_output_lanes(g.state), vec32[i]), "output %d", i);
        cx_pcg32_next(&g);
    }
    cx_pcg64 r;
    cx_pcg64_seed(&r, 7u, 1u);
    for (int i = 0; i < 1000000; i++) {
        uint64_t st = cx_pcg64_next(&r);
        if (i < 64)
            st = (st & ~(UINT64_C(31) << 59)) | ((uint64_t)(i & 31) << 59);
        cr_assert(eq(u32, cx_pcg32_output_lanes(st), cx_pcg32_output(st)), "state %016llx",
                  (unsigned long long)st);
    }
    const uint64_t edge[] = { 0, ~UINT64_C(0), UINT64_C(1) << 59, ~UINT64_C(0) >> 5,
                              UINT64_C(0xffffffff) << 27, UINT64_C(0x8000000000000000) };
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        cr_assert(eq(u32, cx_pcg32_output_lanes(edge[i]), cx_pcg32_output(edge[i])), "edge %zu", i);
}

Test(pcg, pcg64_published_vector)
{
    cx_pcg64 g;
    cx_pcg64_seed(&g, 42u, 54u);
    for (int i = 0; i < 6; i++)
        cr_assert(eq(u64, cx_pcg64_next(&g), vec64[i]), "output %d", i);
}

Test(pcg, pcg32_advance_equals_steps)
{
    cx_pcg32 a, b;
    cx_pcg32_seed(&a, 42u, 54u);
    b = a;
    const uint64_t deltas[] = {0, 1, 2, 3, 7, 100, 1000, 12345};
    uint64_t done = 0;
    for (size_t k = 0; k < sizeof deltas / sizeof deltas[0]; k++) {
        for (; done < deltas[k]; done++)
            (void)cx_pcg32_next(&a);
        cx_pcg32 c = b;
        cx_pcg32_advance(&c, deltas[k]);
        cr_assert(eq(u64, c.state, a.state), "delta %llu", (unsigned long long)deltas[k]);
        cr_assert(eq(u32, cx_pcg32_next(&c), cx_pcg32_next(&(cx_pcg32){a.state, a.inc})));
    }
    /* Advancing 2 and then 4 skips the first six published outputs. */
    cx_pcg32 d;
    cx_pcg32_seed(&d, 42u, 54u);
    cx_pcg32_advance(&d, 2);
    cr_assert(eq(u32, cx_pcg32_next(&d), vec32[2]));
    cx_pcg32_advance(&d, 2);
    cr_assert(eq(u32, cx_pcg32_next(&d), vec32[5]));
}

Test(pcg, pcg64_advance_equals_steps)
{
    cx_pcg64 a, b;
    cx_pcg64_seed(&a, 42u, 54u);
    b = a;
    const uint64_t deltas[] = {0, 1, 2, 5, 64, 999, 4096, 54321};
    uint64_t done = 0;
    for (size_t k = 0; k < sizeof deltas / sizeof deltas[0]; k++) {
        for (; done < deltas[k]; done++)
            (void)cx_pcg64_next(&a);
        cx_pcg64 c = b;
        cx_pcg64_advance(&c, deltas[k]);
        cr_assert(c.state == a.state, "delta %llu", (unsigned long long)deltas[k]);
    }
    cx_pcg64 d;
    cx_pcg64_seed(&d, 42u, 54u);
    cx_pcg64_advance(&d, 3);
    cr_assert(eq(u64, cx_pcg64_next(&d), vec64[3]));
}

Test(pcg, advance_wraps_around_the_period)
{
    /* The period is 2^64 (pcg32) and 2^128 (pcg64): advancing k and then 2^N - k (which
     * unsigned arithmetic writes as -k) is a full period and returns to the start. */
    cx_pcg32 a, a0;
    cx_pcg32_seed(&a, 42u, 54u);
    a0 = a;
    const uint64_t k32 = 0x9e3779b97f4a7c15ULL;
    cx_pcg32_advance(&a, k32);
    cr_assert(a.state != a0.state);
    cx_pcg32_advance(&a, (uint64_t)0 - k32);
    cr_assert(eq(u64, a.state, a0.state));

    cx_pcg64 b, b0;
    cx_pcg64_seed(&b, 42u, 54u);
    b0 = b;
    const cx_u128 k64 = ((cx_u128)0xfedcba9876543210ULL << 64) | 0x0123456789abcdefULL;
    cx_pcg64_advance(&b, k64);
    cr_assert(b.state != b0.state);
    cx_pcg64_advance(&b, (cx_u128)0 - k64);
    cr_assert(b.state == b0.state);
    /* 2^64 steps exactly, as two halves, equals one jump of 2^64. */
    cx_pcg64 c = b0, e = b0;
    cx_pcg64_advance(&c, (cx_u128)1 << 64);
    cx_pcg64_advance(&e, (cx_u128)1 << 63);
    cx_pcg64_advance(&e, (cx_u128)1 << 63);
    cr_assert(c.state == e.state);
    cr_assert(c.state != b0.state);
}

Test(pcg, streams_are_pure_and_distinct)
{
    cx_pcg64 a, b;
    cx_pcg64_stream(&a, 20260703u, 17u);
    cx_pcg64_stream(&b, 20260703u, 17u);
    cr_assert(a.state == b.state && a.inc == b.inc);
    for (int i = 0; i < 100; i++)
        cr_assert(eq(u64, cx_pcg64_next(&a), cx_pcg64_next(&b)));
    cr_assert(a.inc & 1u, "increment must be odd");

    /* Neighbouring blocks and seeds: different states, increments and first outputs. */
    enum { NB = 256 };
    uint64_t first[2 * NB];
    cx_pcg64 g[2 * NB];
    for (int i = 0; i < NB; i++) {
        cx_pcg64_stream(&g[i], 1u, (uint64_t)i);
        cx_pcg64_stream(&g[NB + i], 2u, (uint64_t)i);
    }
    for (int i = 0; i < 2 * NB; i++) {
        cr_assert(g[i].inc & 1u);
        cx_pcg64 t = g[i];
        first[i] = cx_pcg64_next(&t);
    }
    for (int i = 0; i < 2 * NB; i++)
        for (int j = i + 1; j < 2 * NB; j++) {
            cr_assert(g[i].state != g[j].state, "streams %d and %d share a state", i, j);
            cr_assert(g[i].inc != g[j].inc, "streams %d and %d share an increment", i, j);
            cr_assert(first[i] != first[j]);
        }
}

Test(pcg, neighbouring_streams_are_uncorrelated)
{
    /* Pearson correlation of 10^5 uniforms from blocks 0 and 1: for independent streams it
     * is ~ N(0, 1/n), so |r| < 5 / sqrt(n) = 0.0158. */
    cx_pcg64 a, b;
    cx_pcg64_stream(&a, 7u, 0u);
    cx_pcg64_stream(&b, 7u, 1u);
    const int n = 100000;
    double sab = 0, sa = 0, sb = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        double x = cx_pcg64_uniform(&a), y = cx_pcg64_uniform(&b);
        sa += x;
        sb += y;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    double cov = sab / n - (sa / n) * (sb / n);
    double r = cov / sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
    cr_assert(lt(dbl, fabs(r), 5.0 / sqrt(n)), "r = %g", r);
}

Test(pcg, gsl_wrappers_match_inline)
{
    gsl_rng *r32 = gsl_rng_alloc(cx_gsl_rng_pcg32);
    gsl_rng *r64 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cr_assert_not_null(r32);
    cr_assert_not_null(r64);
    cr_assert_str_eq(gsl_rng_name(r32), "pcg32");
    cr_assert_str_eq(gsl_rng_name(r64), "pcg64");
    cr_assert(eq(u64, gsl_rng_max(r32), 0xffffffffUL));
    cr_assert(eq(u64, gsl_rng_max(r64), 0xffffffffffffffffUL));
    cr_assert(eq(u64, gsl_rng_min(r64), 0));
    cr_assert(eq(sz, gsl_rng_size(r64), sizeof(cx_pcg64)));

    /* gsl_rng_set(r32, s) seeds pcg32 with (s, 54): the published vector again. */
    gsl_rng_set(r32, 42u);
    for (int i = 0; i < 6; i++)
        cr_assert(eq(u64, gsl_rng_get(r32), vec32[i]));

    /* gsl_rng_set(r64, s) is stream (s, 0). */
    gsl_rng_set(r64, 99u);
    cx_pcg64 g;
    cx_pcg64_stream(&g, 99u, 0u);
    for (int i = 0; i < 100; i++)
        cr_assert(eq(u64, gsl_rng_get(r64), cx_pcg64_next(&g)));
    for (int i = 0; i < 100; i++)
        cr_assert(eq(dbl, gsl_rng_uniform(r64), cx_pcg64_uniform(&g)));
    /* The inline accessor reaches the same state. */
    cr_assert(cx_rng_pcg64(r64)->state == g.state);
    cr_assert(eq(u64, cx_pcg64_next(cx_rng_pcg64(r64)), cx_pcg64_next(&g)));
    /* A GSL sampler runs on it. */
    double z = gsl_ran_gaussian_ziggurat(r64, 1.0);
    cr_assert(isfinite(z));
    gsl_rng_free(r32);
    gsl_rng_free(r64);
}

Test(pcg, uniforms_in_range)
{
    cx_pcg64 g;
    cx_pcg64_stream(&g, 3u, 4u);
    double lo = 1, hi = 0, sum = 0;
    const int n = 1000000;
    for (int i = 0; i < n; i++) {
        double u = cx_pcg64_uniform(&g);
        cr_assert(u >= 0.0 && u < 1.0);
        double v = cx_pcg64_uniform_pos(&g);
        cr_assert(v > 0.0 && v < 1.0);
        lo = fmin(lo, u);
        hi = fmax(hi, u);
        sum += u;
    }
    /* Mean of n uniforms: 0.5 with SE sqrt(1/12 / n). */
    cr_assert(lt(dbl, fabs(sum / n - 0.5), 5.0 * sqrt(1.0 / 12.0 / n)));
    cr_assert(lt(dbl, lo, 1e-4));
    cr_assert(gt(dbl, hi, 1.0 - 1e-4));
    /* Extremes of the maps: all-zero and all-one 53-bit words. */
    cr_assert(eq(dbl, (double)(0xffffffffffffffffULL >> 11) * 0x1.0p-53, 1.0 - 0x1.0p-53));
    /* uniform_pos maps 52-bit words w to (w + 0.5) / 2^52: extremes 2^-53 and 1 - 2^-53. */
    cr_assert(eq(dbl, (0.0 + 0.5) * 0x1.0p-52, 0x1.0p-53));
    cr_assert(eq(dbl, ((double)(0xffffffffffffffffULL >> 12) + 0.5) * 0x1.0p-52, 1.0 - 0x1.0p-53));

    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg32);
    gsl_rng_set(r, 1u);
    for (int i = 0; i < 100000; i++) {
        double u = gsl_rng_uniform(r);
        cr_assert(u >= 0.0 && u < 1.0);
        double v = gsl_rng_uniform_pos(r);
        cr_assert(v > 0.0 && v < 1.0);
    }
    gsl_rng_free(r);
}

/* Issue 20 item 2: group 0 of a path is its path stream, bit for bit; group 1 (the deal
 * events) is another stream, and a pure function of (seed, block, path, group). */
Test(pcg, group_streams)
{
    cx_pcg32 a, b, c, d;
    cx_pcg32_path_stream(&a, 5, 6, 7);
    cx_pcg32_group_stream(&b, 5, 6, 7, 0);
    cr_assert(eq(u64, a.state, b.state));
    cr_assert(eq(u64, a.inc, b.inc));
    cx_pcg32_group_stream(&c, 5, 6, 7, 1);
    cx_pcg32_group_stream(&d, 5, 6, 7, 1);
    cr_assert(eq(u64, c.state, d.state));
    cr_assert(eq(u64, c.inc, d.inc));
    cr_assert(not(eq(u64, c.inc, a.inc)));
    cr_assert(not(eq(u32, cx_pcg32_next(&c), cx_pcg32_next(&a))));
}
