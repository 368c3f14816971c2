/* SPDX-License-Identifier: MIT */
/* Tests of the Sobol points past GSL's 40 dimensions (sim/rng/sobol.c) and of the plan using them. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_qrng.h>

#include "sim/base/error.h"
#include "sim/rng/pcg.h"
#include "sim/rng/sobol.h"
#include "sim/engine/sampling.h"
#include "tests/sobol_scipy_points.h"

static void setup(void)
{
    gsl_set_error_handler_off();
}

/* The plan's documented dimension map (sim/engine/sampling.h): its dimension k (1-based)
 * > 40 is Joe and Kuo's k - 1 up to 46, then k. */
static int jk_of_plan(int k)
{
    return k <= 46 ? k - 1 : k;
}

/* Points 0..n-1 of GSL's Sobol sequence in `dim` dimensions as 52-bit fractions, row-major,
 * row 0 the origin (GSL starts at point 1). Caller frees. */
static uint64_t *gsl_points(int dim, int n)
{
    uint64_t *x = calloc((size_t)n * (size_t)dim, sizeof *x);
    double y[40];
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)dim);
    cr_assert(x != NULL && q != NULL);
    for (int i = 1; i < n; i++) {
        cr_assert(eq(int, gsl_qrng_get(q, y), 0));
        for (int j = 0; j < dim; j++)
            x[(size_t)i * (size_t)dim + (size_t)j] = (uint64_t)(y[j] * 0x1.0p52);
    }
    gsl_qrng_free(q);
    return x;
}

/* True when rows 0..m-1 of column j put exactly one value in each [k/m, (k+1)/m), in (0, 1). */
static bool stratified(const double *u, int dim, int j, int m)
{
    int *hit = calloc((size_t)m, sizeof *hit);
    bool ok = hit != NULL;
    for (int i = 0; ok && i < m; i++) {
        double v = u[(size_t)i * (size_t)dim + (size_t)j];
        if (!(v > 0.0 && v < 1.0) || hit[(int)floor(v * m)]++)
            ok = false;
    }
    free(hit);
    return ok;
}

/*
 * Block b of a Sobol plan with its digital shift taken off: the unshifted points as 52-bit
 * fractions. fill_block draws one shift a Sobol dimension, in order, first from the block's
 * stream (next >> 12) and writes ((v ^ shift) + 1/2) / 2^52, which is exact. Caller frees.
 */
static uint64_t *unshifted(const cx_sampling_plan *p, uint64_t seed, uint64_t b, int n)
{
    int dim = cx_sampling_plan_dim(p);
    int sd = dim < CX_SAMPLING_SOBOL_DIMS ? dim : CX_SAMPLING_SOBOL_DIMS;
    double *u = malloc((size_t)n * (size_t)dim * sizeof *u);
    uint64_t *v = malloc((size_t)n * (size_t)dim * sizeof *v);
    cr_assert(u != NULL && v != NULL);
    cx_pcg64 g;
    cx_pcg64_stream(&g, seed, b);
    cx_sampling_fill_block(p, &g, n, u);
    cx_pcg64_stream(&g, seed, b);
    for (int j = 0; j < sd; j++) {
        uint64_t shift = cx_pcg64_next(&g) >> 12;
        for (int i = 0; i < n; i++) {
            double w = u[(size_t)i * (size_t)dim + (size_t)j] * 0x1.0p52 - 0.5;
            cr_assert(w == floor(w), "dim %d row %d is not a shifted 52-bit point", j + 1, i);
            v[(size_t)i * (size_t)dim + (size_t)j] = (uint64_t)w ^ shift;
        }
    }
    free(u);
    return v;
}

/* ---- the generator against SciPy's, an independent implementation ---- */

Test(sobol, directions_match_scipy, .init = setup)
{
    for (int k = 0; k < SCIPY_N_DIMS; k++) {
        uint64_t v[CX_SOBOL_BITS];
        cr_assert(eq(int, cx_sobol_jk_directions(scipy_dims[k], v), 0));
        for (int b = 0; b < CX_SOBOL_BITS; b++)
            cr_assert(eq(u64, v[b], scipy_directions[k][b]), "dimension %d v_%d", scipy_dims[k],
                      b + 1);
    }
}

Test(sobol, points_match_scipy, .init = setup)
{
    uint64_t x[SCIPY_N_POINTS];
    for (int k = 0; k < SCIPY_N_DIMS; k++) {
        cr_assert(eq(int, cx_sobol_jk_points(scipy_dims[k], SCIPY_N_POINTS, x, 1), 0));
        for (int i = 0; i < SCIPY_N_POINTS; i++)
            cr_assert(eq(u64, x[i], scipy_points[k][i]), "dimension %d point %d", scipy_dims[k],
                      i);
    }
}

Test(sobol, bad_dimensions, .init = setup)
{
    uint64_t v[CX_SOBOL_BITS], x[4] = {7, 7, 7, 7};
    cr_assert(eq(u32, cx_sobol_jk_poly(0), 0));
    cr_assert(eq(u32, cx_sobol_jk_poly(CX_SOBOL_JK_DIMS + 1), 0));
    cr_assert(eq(u32, cx_sobol_jk_poly(1), 1));
    cr_assert(eq(u32, cx_sobol_jk_poly(2), 3));
    cr_assert(eq(u32, cx_sobol_jk_poly(46), 369));
    cr_assert(eq(int, cx_sobol_jk_directions(0, v), CX_ERR_RANGE));
    cr_assert(eq(int, cx_sobol_jk_points(CX_SOBOL_JK_DIMS + 1, 4, x, 1), CX_ERR_RANGE));
    cr_assert(eq(int, cx_sobol_jk_points(3, -1, x, 1), CX_ERR_RANGE));
    cr_assert(eq(u64, x[0], 7));
}

/* ---- what GSL's first 40 dimensions are, and why the plan keeps them ---- */

/*
 * GSL's dimensions are not Joe and Kuo's: GSL takes Bratley and Fox's initial numbers (from
 * Sobol and Levitan), Joe and Kuo searched for better two-dimensional projections. Over 1024
 * points only dimensions 1 and 2 agree. This is why the plan keeps GSL for dimensions 1..40
 * (runs with at most 40 uncertain inputs give the same bytes as before) and takes Joe and
 * Kuo's numbers only past them.
 */
Test(sobol, gsl_and_joe_kuo_agree_only_in_dimensions_1_and_2, .init = setup)
{
    int n = 1024;
    cr_assert(eq(u32, gsl_qrng_sobol->max_dimension, 40)); /* the plan's GSL_SOBOL_DIMS */
    uint64_t *g = gsl_points(40, n), x[1024];
    for (int d = 1; d <= 40; d++) {
        cr_assert(eq(int, cx_sobol_jk_points(d, n, x, 1), 0));
        bool same = true;
        for (int i = 0; i < n; i++)
            same = same && x[i] == g[(size_t)i * 40 + (size_t)(d - 1)];
        cr_assert(eq(int, same, d <= 2), "dimension %d", d);
    }
    free(g);
}

/* Sobol's recurrence for polynomial `poly` (degree s) holds for m_1..m_kmax. */
static bool recurrence_holds(uint32_t poly, const uint64_t *m, int kmax)
{
    int s = 0;
    while (poly >> (s + 1))
        s++;
    if (s == 0) { /* the van der Corput sequence: every m_k is 1 */
        for (int k = 1; k <= kmax; k++)
            if (m[k] != 1)
                return false;
        return true;
    }
    for (int k = s + 1; k <= kmax; k++) {
        uint64_t r = m[k - s] ^ (m[k - s] << s);
        for (int j = 1; j < s; j++)
            if ((poly >> (s - j)) & 1u)
                r ^= m[k - j] << j;
        if (r != m[k])
            return false;
    }
    return true;
}

/*
 * The primitive polynomial behind each of GSL's dimensions, read from its points: point 2^(k-1)
 * is v_k ^ v_(k-1) in Gray-code order, so 2^17 points give m_1..m_18, which satisfy Sobol's
 * recurrence for exactly one of Joe and Kuo's 1111 polynomials (checked). GSL's 40 are Joe and
 * Kuo's dimensions 1..39 and 46; with the plan's map past 40, no polynomial appears twice
 * among the plan's CX_SAMPLING_SOBOL_DIMS dimensions.
 */
Test(sobol, gsl_polynomials_and_the_plan_uses_each_once, .init = setup)
{
    enum { KMAX = 18 };
    int n = 1 << (KMAX - 1);
    uint64_t m[40][KMAX + 1];
    double y[40];
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, 40);
    cr_assert(q != NULL);
    uint64_t prev[40] = {0};
    for (int i = 1; i <= n; i++) {
        cr_assert(eq(int, gsl_qrng_get(q, y), 0));
        if ((i & (i - 1)) != 0)
            continue;
        int k = 1;
        while ((1 << (k - 1)) < i)
            k++;
        for (int j = 0; j < 40; j++) {
            uint64_t x = (uint64_t)(y[j] * 0x1.0p30);          /* GSL keeps 30 bits */
            uint64_t vk = k == 1 ? x : x ^ prev[j];               /* v_k as a 30-bit fraction */
            prev[j] = vk;
            m[j][k] = vk >> (30 - k);
            cr_assert(eq(u64, vk & ((UINT64_C(1) << (30 - k)) - 1), 0));
        }
    }
    gsl_qrng_free(q);

    static bool used[CX_SOBOL_JK_DIMS + 1];
    for (int j = 0; j < 40; j++) {
        int found = 0, which = 0;
        for (int d = 1; d <= CX_SOBOL_JK_DIMS; d++)
            if (recurrence_holds(cx_sobol_jk_poly(d), m[j], KMAX)) {
                found++;
                which = d;
            }
        cr_assert(eq(int, found, 1), "GSL dimension %d", j + 1);
        cr_assert(which <= 39 || which == 46, "GSL dimension %d has Joe and Kuo's %d", j + 1, which);
        cr_assert(not(used[which]));
        used[which] = true;
    }
    for (int k = 41; k <= CX_SAMPLING_SOBOL_DIMS; k++) {
        int d = jk_of_plan(k);
        cr_assert(d >= 1 && d <= CX_SOBOL_JK_DIMS);
        cr_assert(not(used[d]), "plan dimension %d reuses Joe and Kuo's %d", k, d);
        used[d] = true;
    }
}

/* ---- the plan ---- */

Test(sobol, plan_is_gsl_then_joe_kuo, .init = setup)
{
    int dim = CX_SAMPLING_SOBOL_DIMS, n = 1024;
    cx_sampling_plan *p;
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_SOBOL, false, dim, n), 0));
    uint64_t *v = unshifted(p, 11, 3, n), *g = gsl_points(40, n), *x = malloc(n * sizeof *x);
    cr_assert(x != NULL);
    /* dimensions 1..40: GSL's points, exactly, origin first */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 40; j++)
            cr_assert(eq(u64, v[(size_t)i * (size_t)dim + (size_t)j], g[(size_t)i * 40 + (size_t)j]),
                      "row %d dim %d", i, j + 1);
    /* dimensions past 40: Joe and Kuo's under the documented map */
    for (int k = 41; k <= dim; k++) {
        cr_assert(eq(int, cx_sobol_jk_points(jk_of_plan(k), n, x, 1), 0));
        for (int i = 0; i < n; i++)
            cr_assert(eq(u64, v[(size_t)i * (size_t)dim + (size_t)(k - 1)], x[i]), "row %d dim %d",
                      i, k);
    }
    /* and so SciPy's, where the fixture has them (plan 41 is Joe and Kuo's 40, ...) */
    int checked = 0;
    for (int k = 41; k <= dim; k++)
        for (int f = 0; f < SCIPY_N_DIMS; f++)
            if (scipy_dims[f] == jk_of_plan(k)) {
                checked++;
                for (int i = 0; i < SCIPY_N_POINTS; i++)
                    cr_assert(eq(u64, v[(size_t)i * (size_t)dim + (size_t)(k - 1)],
                                 scipy_points[f][i]), "row %d dim %d", i, k);
            }
    cr_assert(eq(int, checked, SCIPY_N_DIMS));
    free(v);
    free(g);
    free(x);
    cx_sampling_plan_free(p);
}

/* Every margin of a power-of-two block is one point a stratum, past 40 and past the table. */
Test(sobol, every_margin_of_a_power_of_two_block_is_stratified, .init = setup)
{
    int dim = CX_SAMPLING_SOBOL_DIMS + 4, bp = 1024;
    cx_sampling_plan *p;
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_SOBOL, false, dim, bp), 0));
    double *u = malloc((size_t)bp * (size_t)dim * sizeof *u);
    cr_assert(u != NULL);
    int sizes[] = {1024, 256, 2};
    for (int s = 0; s < 3; s++)
        for (uint64_t b = 0; b < 2; b++) {
            cx_pcg64 g;
            cx_pcg64_stream(&g, 5, b);
            cx_sampling_fill_block(p, &g, sizes[s], u);
            for (int j = 0; j < dim; j++)
                cr_assert(stratified(u, dim, j, sizes[s]), "n %d block %d dim %d", sizes[s],
                          (int)b, j + 1);
        }
    free(u);
    cx_sampling_plan_free(p);
}

/* Runs with at most 40 Sobol dimensions draw exactly what they drew before: one shift a
 * dimension from the block's stream, then nothing. */
Test(sobol, at_most_40_dimensions_draw_as_before, .init = setup)
{
    int dim = 40, n = 64;
    cx_sampling_plan *p;
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_SOBOL, false, dim, n), 0));
    double u[64 * 40];
    cx_pcg64 g, h;
    cx_pcg64_stream(&g, 2, 9);
    cx_pcg64_stream(&h, 2, 9);
    cx_sampling_fill_block(p, &g, n, u);
    for (int j = 0; j < dim; j++)
        (void)cx_pcg64_next(&h);
    cr_assert(eq(u64, cx_pcg64_next(&g), cx_pcg64_next(&h)));
    cx_sampling_plan_free(p);
}
