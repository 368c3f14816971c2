/* SPDX-License-Identifier: MIT */
/* Tests for sim/sampler: copula rank correlations, non-PD pairs, map() marginals, normal-score tables. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/input/dist.h"
#include "sim/base/error.h"
#include "sim/rng/normal.h"
#include "sim/rng/pcg.h"
#include "sim/input/sampler.h"

#define N_PATHS 400000
/* Tolerance for an achieved Spearman correlation (issue 2). The sampling SE of Spearman's
 * rho is at most ~ 1/sqrt(n - 1) = 0.0016 here, so 0.01 is > 6 SE. */
#define RHO_TOL 0.01

static void setup(void)
{
    gsl_set_error_handler_off();
}

TestSuite(sampler, .init = setup);

/* Five inputs of different families; index 4 is fixed. */
enum { NIN = 6 };
static void make_inputs(cx_dist d[NIN])
{
    const char *why;
    cr_assert(eq(int, cx_dist_lognormal_median_p90(&d[0], 10, 16, &why), 0));
    cr_assert(eq(int, cx_dist_beta(&d[1], 3, 4, &why), 0));
    cr_assert(eq(int, cx_dist_triangular(&d[2], 0, 2, 9, &why), 0));
    cr_assert(eq(int, cx_dist_pert(&d[3], 7, 9, 12, 4, &why), 0));
    cr_assert(eq(int, cx_dist_fixed(&d[4], 2.5, &why), 0));
    cr_assert(eq(int, cx_dist_gamma(&d[5], 2, 1.5, &why), 0));
}

/* n paths of all inputs, column-major: cols[i * n + p]. */
static double *draw_paths(const cx_sampler *s, size_t n, unsigned long seed)
{
    int k = cx_sampler_n(s);
    double *cols = malloc(n * (size_t)k * sizeof *cols);
    double *x = malloc((size_t)k * sizeof *x);
    double *work = malloc(((size_t)cx_sampler_work_size(s) + 1) * sizeof *work);
    cr_assert(cols && x && work);
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng_set(r, seed);
    for (size_t p = 0; p < n; p++) {
        cx_sampler_draw(s, r, x, work);
        for (int i = 0; i < k; i++)
            cols[(size_t)i * n + p] = x[i];
    }
    gsl_rng_free(r);
    free(x);
    free(work);
    return cols;
}

static double spearman(const double *a, const double *b, size_t n)
{
    double *w = malloc(2 * n * sizeof *w);
    cr_assert_not_null(w);
    double rs = gsl_stats_spearman(a, 1, b, 1, n, w);
    free(w);
    return rs;
}

Test(sampler, pair_correlations_hit_their_targets, .timeout = 120)
{
    cx_dist d[NIN];
    make_inputs(d);
    /* A 3x3 block (0, 1, 2) with a negative pair, and a separate pair (3, 5). */
    const cx_corr pairs[] = {
        {0, 1, 0.6, 1}, {1, 2, -0.3, 2}, {0, 2, 0.2, 3}, {3, 5, -0.7, 4},
    };
    cx_sampler *s;
    int bad = 99;
    cr_assert(eq(int, cx_sampler_new(&s, d, NIN, pairs, 4, &bad), 0));
    cr_assert(eq(int, bad, -1));
    cr_assert(eq(int, cx_sampler_n(s), NIN));
    cr_assert(eq(int, cx_sampler_work_size(s), 5)); /* inputs 0, 1, 2, 3, 5 */
    const size_t n = N_PATHS;
    double *c = draw_paths(s, n, 11u);
    for (int k = 0; k < 4; k++) {
        double rs = spearman(c + (size_t)pairs[k].a * n, c + (size_t)pairs[k].b * n, n);
        cr_assert(le(dbl, fabs(rs - pairs[k].rho), RHO_TOL), "pair %d: Spearman %.4f vs %.2f",
                  k, rs, pairs[k].rho);
    }
    /* Pairs not given are 0 (MODEL.md): the two blocks are independent of each other.
     * Under independence Spearman's rho ~ N(0, 1/(n-1)): 5 SE = 5/sqrt(n-1) = 0.0079. */
    const int other[][2] = {{0, 3}, {1, 5}, {2, 3}, {2, 5}};
    for (int k = 0; k < 4; k++) {
        double rs = spearman(c + (size_t)other[k][0] * n, c + (size_t)other[k][1] * n, n);
        cr_assert(le(dbl, fabs(rs), 5.0 / sqrt(n - 1.0)), "inputs %d, %d: %.4f", other[k][0],
                  other[k][1], rs);
    }
    /* The fixed input copies its value; correlated marginals keep their means (5 SE). */
    for (size_t p = 0; p < n; p++)
        cr_assert(c[4 * n + p] == 2.5);
    for (int i = 0; i < NIN; i++) {
        if (i == 4)
            continue;
        double m = gsl_stats_mean(c + (size_t)i * n, 1, n);
        double se = sqrt(cx_dist_variance(&d[i]) / n);
        cr_assert(le(dbl, fabs(m - cx_dist_mean(&d[i])), 5 * se), "input %d mean %.5g vs %.5g",
                  i, m, cx_dist_mean(&d[i]));
    }
    free(c);
    cx_sampler_free(s);
    for (int i = 0; i < NIN; i++)
        cx_dist_clear(&d[i]);
}

Test(sampler, strong_pairs_and_a_clamped_marginal, .timeout = 120)
{
    /* Strong targets, one negative, in two separate blocks. Input 0 is clamped at
     * min = -3: only P(Z < -3) = 0.13% of draws tie there, which moves Spearman by far less
     * than the tolerance. */
    const char *why;
    cx_dist d[4];
    cr_assert(eq(int, cx_dist_normal(&d[0], 0, 1, &why), 0));
    d[0].min = -3;
    cr_assert(eq(int, cx_dist_gamma(&d[1], 0.7, 2, &why), 0));
    cr_assert(eq(int, cx_dist_uniform(&d[2], -1, 1, &why), 0));
    cr_assert(eq(int, cx_dist_lognormal(&d[3], 0, 1, &why), 0));
    const cx_corr pairs[] = {{0, 1, 0.9, 1}, {3, 2, -0.8, 2}};
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, pairs, 2, &bad), 0));
    const size_t n = N_PATHS;
    double *c = draw_paths(s, n, 12u);
    double r01 = spearman(c, c + n, n), r32 = spearman(c + 3 * n, c + 2 * n, n);
    cr_assert(le(dbl, fabs(r01 - 0.9), RHO_TOL), "%.4f", r01);
    cr_assert(le(dbl, fabs(r32 + 0.8), RHO_TOL), "%.4f", r32);
    double lo = gsl_stats_min(c, 1, n);
    cr_assert(eq(dbl, lo, -3.0));
    free(c);
    cx_sampler_free(s);
}

Test(sampler, non_positive_definite_names_the_pair)
{
    cx_dist d[4];
    const char *why;
    for (int i = 0; i < 4; i++)
        cr_assert(eq(int, cx_dist_normal(&d[i], 0, 1, &why), 0));
    cx_sampler *s = (cx_sampler *)&why;
    int bad = -7;

    /* rho = 0.6 gives r = 2 sin(0.1 pi) = 0.618034. With AB = BC = r the matrix
     * [[1, r, 0], [r, 1, r], [0, r, 1]] has det 1 - 2 r^2 = 0.236 > 0 (and positive leading
     * minors): positive definite. Adding AC = -r: det = 1 + 2 r r (-r) - 3 r^2
     * = 1 - 0.472 - 1.146 = -0.618 < 0, so pair 2 breaks it. */
    const cx_corr p1[] = {{0, 1, 0.6, 10}, {1, 2, 0.6, 11}, {0, 2, -0.6, 12}};
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, p1, 3, &bad), CX_ERR_CONFIG));
    cr_assert(eq(int, bad, 2));
    cr_assert_null(s);
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, p1, 2, &bad), 0));
    cr_assert(eq(int, bad, -1));
    cx_sampler_free(s);

    /* rho = 0.95 gives r = 2 sin(0.95 pi / 6) = 0.95547. AB = r alone is fine; with
     * AC = r too, [[1, r, r], [r, 1, 0], [r, 0, 1]] has det 1 - 2 r^2 = -0.826 < 0: pair 1
     * breaks it, even though a later pair (C, D) is harmless. */
    const cx_corr p2[] = {{0, 1, 0.95, 1}, {0, 2, 0.95, 2}, {2, 3, 0.1, 3}};
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, p2, 3, &bad), CX_ERR_CONFIG));
    cr_assert(eq(int, bad, 1));

    /* Order matters: the same three pairs as p1 with the negative one first fail at the
     * last pair added (index 2). */
    const cx_corr p3[] = {{0, 2, -0.6, 1}, {0, 1, 0.6, 2}, {1, 2, 0.6, 3}};
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, p3, 3, &bad), CX_ERR_CONFIG));
    cr_assert(eq(int, bad, 2));

    /* Malformed pairs: same input twice, index out of range, |rho| > 1, NaN, duplicate. */
    const cx_corr self[] = {{1, 1, 0.5, 1}};
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, self, 1, &bad), CX_ERR_RANGE));
    cr_assert(eq(int, bad, 0));
    const cx_corr range[] = {{0, 1, 0.5, 1}, {0, 4, 0.5, 2}};
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, range, 2, &bad), CX_ERR_RANGE));
    cr_assert(eq(int, bad, 1));
    const cx_corr big[] = {{0, 1, 1.5, 1}};
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, big, 1, &bad), CX_ERR_RANGE));
    const cx_corr nan[] = {{0, 1, NAN, 1}};
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, nan, 1, &bad), CX_ERR_RANGE));
    const cx_corr dup[] = {{0, 1, 0.5, 1}, {1, 0, 0.2, 2}};
    cr_assert(eq(int, cx_sampler_new(&s, d, 4, dup, 2, &bad), CX_ERR_RANGE));
    cr_assert(eq(int, bad, 1));
    cx_sampler_free(NULL);
}

/* The families whose inputs go through a normal-score table (sampler.c). */
static int tabulated(const cx_dist *d)
{
    return d->family == CX_DIST_BETA || d->family == CX_DIST_PERT || d->family == CX_DIST_GAMMA;
}

/* ---- replay of keyed draws by hand (sampler.h, issue 23 item 8) ---- */

/* PCG64's multiplier's inverse mod 2^128 (Newton: each step doubles the correct bits). */
static cx_u128 pcg64_mult_inverse(void)
{
    const cx_u128 m = CX_PCG64_MULT;
    cx_u128 x = m;
    for (int i = 0; i < 7; i++)
        x *= 2 - m * x;
    return x;
}

/* Sets g (its increment kept) so that its next output is `out`. */
static void next_output_is(cx_pcg64 *g, uint64_t out)
{
    const uint64_t hi = 0x0123456789abcdefULL;
    const unsigned rot = (unsigned)(hi >> 58);
    const uint64_t x = (out << rot) | (out >> ((64u - rot) & 63u));
    const cx_u128 after = ((cx_u128)hi << 64) | (hi ^ x);
    g->state = (after - g->inc) * pcg64_mult_inverse();
}

/* A normal from the keyed stream whose first output is b: the ziggurat's fast path on b,
 * else its slow path on the pcg64 that continues the stream (sim/rng/pcg.h). */
static double keyed_normal(uint64_t b)
{
    double z;
    if (cx_normal_fast(b, &z))
        return z;
    cx_pcg64 g;
    cx_pcg64_keyed(&g, b);
    return cx_normal_slow(&g, b);
}

/* Input i (not fixed, in no pair) of the path with key pk, by hand: a tabulated input
 * T(z) of one keyed normal; a uniform or triangular one its inverse CDF of the stream's
 * first output (cx_dist_sample_inline on a carrier whose next output is it); the others
 * cx_dist_sample_inline on the continuing pcg64. carrier: any pcg64 gsl_rng. */
static double keyed_value(const cx_sampler *s, const cx_dist *d, int i, uint64_t pk,
                          gsl_rng *carrier)
{
    const uint64_t b = cx_keyed_first(pk, cx_sampler_key(s, i));
    if (tabulated(d))
        return cx_sampler_value_at_z(s, i, keyed_normal(b));
    if (d->family == CX_DIST_UNIFORM || d->family == CX_DIST_TRIANGULAR)
        next_output_is(cx_rng_pcg64(carrier), b);
    else
        cx_pcg64_keyed(cx_rng_pcg64(carrier), b);
    return cx_dist_sample_inline(d, carrier);
}

Test(sampler, map_gives_exact_marginals, .timeout = 60)
{
    cx_dist d[NIN];
    make_inputs(d);
    const cx_corr pairs[] = {{1, 3, 0.5, 1}};
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, d, NIN, pairs, 1, &bad), 0));
    double u[NIN], x[NIN], work[2];
    /* Inputs in no pair: the quantile of their own uniform, exactly for the families that
     * have no table (lognormal 0, triangular 2), within the table bound (1e-9 sd, sampler.c)
     * for gamma 5. The first copula row has L[0][0] = 1, so input 1 is F^-1(Phi(Phi^-1(u)))
     * = F^-1(u) within the same bound. Fixed input 4: its value. */
    for (int t = 1; t < 100; t++) {
        for (int i = 0; i < NIN; i++)
            u[i] = fmod(t * (0.01 + 0.1237 * i) + 0.005, 1.0);
        cx_sampler_map(s, u, x, work);
        for (int i = 0; i < NIN; i++) {
            double q = cx_dist_quantile(&d[i], u[i]);
            if (i == 4)
                cr_assert(eq(dbl, x[i], 2.5));
            else if (i == 0 || i == 2)
                cr_assert(eq(dbl, x[i], q), "input %d", i);
            else if (i != 3)
                cr_assert(le(dbl, fabs(x[i] - q), 1e-9 * sqrt(cx_dist_variance(&d[i]))),
                          "input %d, u %.4f: %.15g vs %.15g", i, u[i], x[i], q);
        }
    }
    /* Correlated input 3 (second copula row): over uniform points its marginal is still
     * exact. 10^5 pseudo-random uniform vectors: KS against its CDF at alpha 0.01. */
    const size_t n = 100000;
    double *c3 = malloc(n * sizeof *c3), *c1 = malloc(n * sizeof *c1);
    cr_assert(c3 && c1);
    cx_pcg64 g;
    cx_pcg64_stream(&g, 5u, 0u);
    for (size_t p = 0; p < n; p++) {
        for (int i = 0; i < NIN; i++)
            u[i] = cx_pcg64_uniform_pos(&g);
        cx_sampler_map(s, u, x, work);
        c3[p] = x[3];
        c1[p] = x[1];
    }
    double rs = spearman(c1, c3, n);
    cr_assert(le(dbl, fabs(rs - 0.5), RHO_TOL), "mapped Spearman %.4f", rs);
    gsl_sort(c3, 1, n);
    double dks = 0;
    for (size_t p = 0; p < n; p++) {
        double f = cx_dist_cdf(&d[3], c3[p]);
        dks = fmax(dks, fmax((double)(p + 1) / n - f, f - (double)p / n));
    }
    cr_assert(lt(dbl, dks, 1.628 / sqrt((double)n)), "KS D = %.5f", dks);
    free(c1);
    free(c3);
    cx_sampler_free(s);
    for (int i = 0; i < NIN; i++)
        cx_dist_clear(&d[i]);
}

Test(sampler, no_pairs_draw_order)
{
    /* Without correlations the sampler needs no scratch; a path takes one output of the
     * block stream, its key, and each input draws from its keyed stream: one cx_normal
     * (sim/rng/normal.h) for a tabulated input (beta 1, PERT 3, gamma 5: x = T(z)),
     * cx_dist_sample's draws for the others (lognormal 0, triangular 2); fixed 4 draws
     * nothing. Replaying the keys by hand gives the same values bit for bit. */
    cx_dist d[NIN];
    make_inputs(d);
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, d, NIN, NULL, 0, &bad), 0));
    cr_assert(eq(int, cx_sampler_work_size(s), 0));
    for (int i = 0; i < NIN; i++)
        cr_assert(eq(int, cx_sampler_table_error(s, i) >= 0, tabulated(&d[i])), "input %d", i);
    gsl_rng *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng_set(r1, 3u);
    gsl_rng_set(r2, 3u);
    cx_pcg64 blk = *cx_rng_pcg64(r2);
    double x[NIN];
    for (int t = 0; t < 1000; t++) {
        cx_sampler_draw(s, r1, x, NULL);
        const uint64_t pk = cx_pcg64_next(&blk);
        for (int i = 0; i < NIN; i++) {
            double want = i == 4 ? 2.5 : keyed_value(s, &d[i], i, pk, r2);
            cr_assert(eq(dbl, x[i], want), "input %d", i);
        }
    }
    /* the block stream moved by one output a path */
    cr_assert(cx_rng_pcg64(r1)->state == blk.state);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    cx_sampler_free(s);

    /* An empty sampler is valid. */
    cr_assert(eq(int, cx_sampler_new(&s, NULL, 0, NULL, 0, &bad), 0));
    cr_assert(eq(int, cx_sampler_n(s), 0));
    cx_sampler_free(s);
    for (int i = 0; i < NIN; i++)
        cx_dist_clear(&d[i]);
}

/*
 * How far x is from the exact quantile F^-1(Phi(z)), in x's units, by one Newton step on
 * the CDF: |F(x) - Phi(z)| / f(x), with the upper tails Q = 1 - F and Phi(-z) in the upper
 * half so that neither loses digits to 1 - u. GSL's CDFs are the oracle rather than its
 * inverse CDFs, because the inverses are themselves iterative and, for large gamma shapes,
 * sometimes stop far from the root (gamma(1000, 0.01) near z = 1.98: off by 1.1, 3 sd).
 */
static double quantile_miss(const cx_dist *d, double z, double x)
{
    double lo = 0, w = 1, a = 0, b = 0, tail, f;
    switch (d->family) {
    case CX_DIST_PERT:
    case CX_DIST_BETA: {
        if (d->family == CX_DIST_PERT) {
            lo = d->p[0];
            w = d->p[2] - d->p[0];
            a = d->alpha;
            b = d->beta;
        } else {
            a = d->p[0];
            b = d->p[1];
        }
        double y = (x - lo) / w;
        tail = z <= 0 ? gsl_cdf_beta_P(y, a, b) : gsl_cdf_beta_Q(y, a, b);
        f = gsl_ran_beta_pdf(y, a, b) / w;
        break;
    }
    case CX_DIST_GAMMA:
        tail = z <= 0 ? gsl_cdf_gamma_P(x, d->p[0], d->p[1]) : gsl_cdf_gamma_Q(x, d->p[0], d->p[1]);
        f = gsl_ran_gamma_pdf(x, d->p[0], d->p[1]);
        break;
    case CX_DIST_UNIFORM:
        w = d->p[1] - d->p[0];
        tail = z <= 0 ? (x - d->p[0]) / w : (d->p[1] - x) / w;
        f = 1.0 / w;
        break;
    default:
        return NAN;
    }
    double g = z <= 0 ? gsl_cdf_ugaussian_P(z) : gsl_cdf_ugaussian_Q(z);
    return fabs(tail - g) / f;
}

Test(sampler, tables_match_the_exact_quantile, .timeout = 60)
{
    /* Every tabulated family, shapes from the default scenario and extreme ones (U-shaped,
     * J-shaped, near-normal, heavy-tailed), each as a correlated input (so a uniform gets
     * its Phi table too). At 2 x 10^5 points that fall between the grid nodes (the grid
     * has a power-of-two number of cells on [-8.25, 8.25]; the points are offset by 0.37 of
     * their own spacing, an irrational-looking fraction), the value must be within
     * 1e-9 sd of the exact quantile. The build stops at 1e-9 sd at the midpoints of the
     * half-size grid, so the bound holds with a margin of ~16 (h^4). */
    const char *why;
    struct {
        cx_dist_family f;
        double p[3];
    } cases[] = {
        {CX_DIST_BETA, {3, 4}},        {CX_DIST_BETA, {0.5, 0.5}},   {CX_DIST_BETA, {0.2, 3}},
        {CX_DIST_BETA, {30, 2}},       {CX_DIST_BETA, {1, 1}},       {CX_DIST_BETA, {200, 300}},
        {CX_DIST_BETA, {0.05, 0.05}},
        {CX_DIST_PERT, {7, 9, 12}},    {CX_DIST_PERT, {0, 0, 1}},    {CX_DIST_PERT, {0, 1, 1}},
        {CX_DIST_PERT, {-0.35, -0.12, 0.10}},                        {CX_DIST_PERT, {180, 230, 300}},
        {CX_DIST_GAMMA, {2, 1.5}},     {CX_DIST_GAMMA, {0.3, 1}},    {CX_DIST_GAMMA, {0.7, 2}},
        {CX_DIST_GAMMA, {50, 1}},      {CX_DIST_GAMMA, {1000, 0.01}},
        {CX_DIST_UNIFORM, {-1, 1}},    {CX_DIST_UNIFORM, {0.1, 0.6}},
    };
    const int npts = 200000;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cx_dist dd[2];
        const double *p = cases[k].p;
        switch (cases[k].f) {
        case CX_DIST_BETA:
            cr_assert(eq(int, cx_dist_beta(&dd[0], p[0], p[1], &why), 0));
            break;
        case CX_DIST_PERT:
            cr_assert(eq(int, cx_dist_pert(&dd[0], p[0], p[1], p[2], 4, &why), 0));
            break;
        case CX_DIST_GAMMA:
            cr_assert(eq(int, cx_dist_gamma(&dd[0], p[0], p[1], &why), 0));
            break;
        default:
            cr_assert(eq(int, cx_dist_uniform(&dd[0], p[0], p[1], &why), 0));
            break;
        }
        cr_assert(eq(int, cx_dist_normal(&dd[1], 0, 1, &why), 0));
        const cx_corr pair = {0, 1, 0.1, 1};
        cx_sampler *s;
        int bad;
        cr_assert(eq(int, cx_sampler_new(&s, dd, 2, &pair, 1, &bad), 0));
        double sd = sqrt(cx_dist_variance(&dd[0]));
        cr_assert(ge(dbl, cx_sampler_table_error(s, 0), 0.0), "case %zu has no table", k);
        /* the build tolerance (TAB_TOL in sim/input/sampler.c); the bound that matters is below */
        cr_assert(le(dbl, cx_sampler_table_error(s, 0), 1e-9 * sd), "case %zu", k);
        double worst = 0, worst_z = 0;
        for (int i = 0; i < npts; i++) {
            double z = -8.25 + 16.5 * (i + 0.37) / npts;
            double e = quantile_miss(&dd[0], z, cx_sampler_value_at_z(s, 0, z));
            if (!(e <= worst)) {
                worst = e;
                worst_z = z;
            }
        }
        fprintf(stderr, "# %s(%g, %g, %g): worst miss %.2e sd at z = %.3f\n",
                cx_dist_family_names[cases[k].f], p[0], p[1], p[2], worst / sd, worst_z);
        cr_assert(le(dbl, worst, 1e-9 * sd), "case %zu: %.3g sd at z = %.4f", k, worst / sd,
                  worst_z);
        /* Beyond the grid the exact quantile takes over, continuing the table. */
        double in = cx_sampler_value_at_z(s, 0, -8.2499999), out = cx_sampler_value_at_z(s, 0, -8.2500001);
        cr_assert(le(dbl, out, in), "case %zu", k);
        cx_sampler_free(s);
    }
    /* A shape too sharp for TAB_NMAX cells keeps its exact quantile: beta(0.01, 0.01). */
    cx_dist dd[2];
    cr_assert(eq(int, cx_dist_beta(&dd[0], 0.01, 0.01, &why), 0));
    cr_assert(eq(int, cx_dist_normal(&dd[1], 0, 1, &why), 0));
    const cx_corr pair = {0, 1, 0.1, 1};
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, dd, 2, &pair, 1, &bad), 0));
    cr_assert(eq(dbl, cx_sampler_table_error(s, 0), -1.0));
    for (double z = -3; z <= 3; z += 0.25)
        cr_assert(eq(dbl, cx_sampler_value_at_z(s, 0, z),
                     cx_dist_quantile(&dd[0], gsl_cdf_ugaussian_P(z))));
    cx_sampler_free(s);
}

Test(sampler, tabulated_marginals_mean_variance_ks, .timeout = 120)
{
    /* Draws of tabulated inputs in no pair (beta, PERT, gamma, a clamped PERT) have their
     * family's mean (5 SE), variance (5 SE of the sample variance, from the sample's
     * fourth central moment) and pass KS at alpha = 0.001 (D < 1.949 / sqrt(n)). */
    const char *why;
    enum { K = 5 };
    cx_dist d[K];
    cr_assert(eq(int, cx_dist_beta(&d[0], 3, 4, &why), 0));
    cr_assert(eq(int, cx_dist_pert(&d[1], 7, 9, 12, 4, &why), 0));
    cr_assert(eq(int, cx_dist_gamma(&d[2], 0.7, 2, &why), 0));
    cr_assert(eq(int, cx_dist_beta(&d[3], 0.5, 0.5, &why), 0));
    cr_assert(eq(int, cx_dist_pert(&d[4], 0, 1, 4, 4, &why), 0));
    d[4].max = 2.5; /* a clamp inside the support: mass 0.046 at 2.5 */
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, d, K, NULL, 0, &bad), 0));
    const size_t n = N_PATHS;
    double *c = draw_paths(s, n, 21u);
    for (int i = 0; i < K; i++) {
        double *v = c + (size_t)i * n;
        cr_assert(ge(dbl, cx_sampler_table_error(s, i), 0.0), "input %d", i);
        double m = gsl_stats_mean(v, 1, n), var = gsl_stats_variance_m(v, 1, n, m);
        double m4 = 0;
        for (size_t p = 0; p < n; p++)
            m4 += pow(v[p] - m, 4);
        m4 /= n;
        double se_m = sqrt(cx_dist_variance(&d[i]) / n), se_v = sqrt((m4 - var * var) / n);
        cr_assert(le(dbl, fabs(m - cx_dist_mean(&d[i])), 5 * se_m), "input %d mean %.6g vs %.6g",
                  i, m, cx_dist_mean(&d[i]));
        cr_assert(le(dbl, fabs(var - cx_dist_variance(&d[i])), 5 * se_v),
                  "input %d variance %.6g vs %.6g", i, var, cx_dist_variance(&d[i]));
        gsl_sort(v, 1, n);
        double dks = 0;
        for (size_t p = 0; p < n; p++) {
            /* at the clamp the CDF jumps: compare both sides of the atom */
            double f = cx_dist_cdf(&d[i], v[p]);
            double f_lo = v[p] == d[i].max ? cx_dist_cdf(&d[i], nextafter(v[p], 0)) : f;
            dks = fmax(dks, fmax((double)(p + 1) / n - f, f_lo - (double)p / n));
        }
        cr_assert(lt(dbl, dks, 1.949 / sqrt((double)n)), "input %d: KS D = %.5f", i, dks);
    }
    free(c);
    cx_sampler_free(s);
}

/*
 * cx_sampler_draw_batch against path-by-path draws (issue 9): for batches of 1, 5, 64 and
 * 100 paths, in rows wider than the inputs, the same values bit for bit and the same stream
 * use as cx_sampler_draw (no slices) and cx_sampler_draw_sliced (slices), on inputs of
 * every kind: tabulated in and out of the copula, uniform in (a table of Phi) and out of
 * it (one uniform), triangular, normal and lognormal in and out of it, a discrete and a
 * Bernoulli (exact samplers), a fixed input in a pair, and a clamped PERT. The columns of
 * the batch past the inputs keep what they held.
 */
enum { NB_IN = 14, NB_PAD = 3 };
static void make_batch_inputs(cx_dist d[NB_IN])
{
    const char *why;
    static const double vals[] = {3, 1, 2}, wts[] = {0.2, 0.5, 0.3};
    cr_assert(eq(int, cx_dist_lognormal_median_p90(&d[0], 10, 16, &why), 0));   /* pair */
    cr_assert(eq(int, cx_dist_beta(&d[1], 3, 4, &why), 0));                     /* pair */
    cr_assert(eq(int, cx_dist_triangular(&d[2], 0, 2, 9, &why), 0));
    cr_assert(eq(int, cx_dist_pert(&d[3], 7, 9, 12, 4, &why), 0));
    cr_assert(eq(int, cx_dist_fixed(&d[4], 2.5, &why), 0));                     /* pair */
    cr_assert(eq(int, cx_dist_gamma(&d[5], 2, 1.5, &why), 0));
    cr_assert(eq(int, cx_dist_uniform(&d[6], -1, 3, &why), 0));
    cr_assert(eq(int, cx_dist_uniform(&d[7], 0, 10, &why), 0));                 /* pair */
    cr_assert(eq(int, cx_dist_normal(&d[8], 5, 2, &why), 0));
    cr_assert(eq(int, cx_dist_discrete(&d[9], vals, wts, 3, &why), 0));
    cr_assert(eq(int, cx_dist_bernoulli(&d[10], 0.3, &why), 0));
    cr_assert(eq(int, cx_dist_pert(&d[11], 0, 1, 5, 4, &why), 0));
    d[11].max = 2.0; /* clamped */
    cr_assert(eq(int, cx_dist_normal(&d[12], 0, 1, &why), 0));                  /* pair */
    cr_assert(eq(int, cx_dist_triangular(&d[13], 1, 1.5, 4, &why), 0));        /* pair */
}

static void batch_matches_paths(const cx_sampler *s, const cx_slice *slice, int nb)
{
    const size_t stride = NB_IN + NB_PAD;
    const int ws = cx_sampler_work_size(s);
    double *xb = malloc((size_t)nb * stride * sizeof *xb);
    double *x1 = malloc(NB_IN * sizeof *x1);
    double *wb = malloc((size_t)(nb * ws + 1) * sizeof *wb), *w1 = malloc((size_t)(ws + 1) * sizeof *w1);
    cr_assert(xb && x1 && wb && w1);
    gsl_rng *rb = gsl_rng_alloc(cx_gsl_rng_pcg64), *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng_set(rb, 17u + (unsigned long)nb);
    gsl_rng_set(r1, 17u + (unsigned long)nb);
    for (size_t k = 0; k < (size_t)nb * stride; k++)
        xb[k] = -123.0;
    for (int rep = 0; rep < 50; rep++) {
        /* the fixed values written by the first batch stay (fixed_set) */
        cx_sampler_draw_batch(s, slice, rb, nb, xb, stride, rep > 0, wb);
        for (int p = 0; p < nb; p++) {
            if (slice)
                cx_sampler_draw_sliced(s, slice, r1, x1, w1);
            else
                cx_sampler_draw(s, r1, x1, w1);
            const double *row = xb + (size_t)p * stride;
            cr_assert(eq(int, memcmp(row, x1, NB_IN * sizeof *x1), 0),
                      "batch of %d, path %d differs from the path drawn alone", nb, p);
            for (int k = NB_IN; k < (int)stride; k++)
                cr_assert(eq(dbl, row[k], -123.0));
        }
        const cx_pcg64 *gb = cx_rng_pcg64(rb), *g1 = cx_rng_pcg64(r1);
        cr_assert(gb->state == g1->state, "batch of %d: the stream moved differently", nb);
    }
    gsl_rng_free(rb);
    gsl_rng_free(r1);
    free(xb);
    free(x1);
    free(wb);
    free(w1);
}

Test(sampler, batch_draws_the_same_numbers_as_paths, .timeout = 60)
{
    cx_dist d[NB_IN];
    make_batch_inputs(d);
    const cx_corr pairs[] = {{0, 1, 0.4, 1}, {4, 7, 0.3, 2}, {12, 13, -0.5, 3}, {1, 12, 0.2, 4}};
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, d, NB_IN, pairs, 4, &bad), 0));
    cx_slice slice[NB_IN] = {{0}};
    /* on: a tabulated input in a pair and out of one, exact samplers, a uniform, a clamp */
    const int on[] = {1, 2, 3, 6, 9, 11, 13};
    for (size_t k = 0; k < sizeof on / sizeof *on; k++)
        slice[on[k]] = (cx_slice){true, 0.1 * (double)k, 0.35 + 0.09 * (double)k};
    slice[3].lo = 0.0; /* a whole lower tail */
    const int nbs[] = {1, 5, 64, 100};
    for (int k = 0; k < 4; k++) {
        batch_matches_paths(s, NULL, nbs[k]);
        batch_matches_paths(s, slice, nbs[k]);
    }
    cx_sampler_free(s);
    /* no pairs: no scratch needed */
    cr_assert(eq(int, cx_sampler_new(&s, d, NB_IN, NULL, 0, &bad), 0));
    cr_assert(eq(int, cx_sampler_work_size(s), 0));
    batch_matches_paths(s, NULL, 64);
    batch_matches_paths(s, slice, 7);
    cx_sampler_free(s);
    for (int i = 0; i < NB_IN; i++)
        cx_dist_clear(&d[i]);
}

/*
 * The ziggurat's fast test on integers (cx_normal_fast_limit, used by the sampler's draws):
 * for every layer the limit K splits the 53-bit u exactly where cx_normal_fast's product
 * test does (u = K - 1 accepted, u = K not), and on 10^6 random outputs the two tests agree.
 */
Test(sampler, normal_fast_limit_is_the_fast_test)
{
    for (int i = 0; i < 256; i++) {
        uint64_t k = cx_normal_fast_limit(i);
        double z;
        cr_assert(le(u64, k, (uint64_t)1 << 53), "layer %d", i);
        if (k > 0)
            cr_assert(cx_normal_fast(((k - 1) << 11) | (uint64_t)i, &z), "layer %d: K - 1", i);
        if (k < (uint64_t)1 << 53)
            cr_assert(not(cx_normal_fast((k << 11) | (uint64_t)i, &z)), "layer %d: K", i);
    }
    cr_assert(eq(u64, cx_normal_fast_limit(255), 0));
    cx_pcg64 g;
    cx_pcg64_stream(&g, 5, 1);
    for (int t = 0; t < 1000000; t++) {
        uint64_t b = cx_pcg64_next(&g);
        double z;
        cr_assert(eq(int, cx_normal_fast(b, &z), (b >> 11) < cx_normal_fast_limit((int)(b & 255))));
    }
}

/*
 * The draws of inputs in no pair, replayed by hand from the same stream (the order at the top
 * of sim/input/sampler.c): a tabulated input takes one cx_normal and T(z), a uniform or triangular
 * one cx_pcg64_uniform through its inverse CDF, the others cx_dist_sample; fixed inputs draw
 * nothing. Enough paths (10^5, over 10^6 normals) that the ziggurat's wedges and tails
 * occur, in batches of 64 and of 1.
 */
static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

Test(sampler, draws_replay_by_hand, .timeout = 120)
{
    enum { NR = 12 };
    cx_dist d[NR];
    const char *why;
    static const double vals[] = {3, 1, 2}, wts[] = {0.2, 0.5, 0.3};
    cr_assert(eq(int, cx_dist_pert(&d[0], 7, 9, 12, 4, &why), 0));
    cr_assert(eq(int, cx_dist_uniform(&d[1], -1, 3, &why), 0));
    cr_assert(eq(int, cx_dist_triangular(&d[2], 0, 2, 9, &why), 0));
    cr_assert(eq(int, cx_dist_beta(&d[3], 3, 4, &why), 0));
    cr_assert(eq(int, cx_dist_triangular(&d[4], 1, 1.5, 4, &why), 0));
    d[4].min = 1.2; /* clamped */
    cr_assert(eq(int, cx_dist_fixed(&d[5], 2.5, &why), 0));
    cr_assert(eq(int, cx_dist_normal(&d[6], 5, 2, &why), 0));
    cr_assert(eq(int, cx_dist_gamma(&d[7], 2, 1.5, &why), 0));
    cr_assert(eq(int, cx_dist_uniform(&d[8], 0, 10, &why), 0));
    d[8].max = 9.0; /* clamped */
    cr_assert(eq(int, cx_dist_discrete(&d[9], vals, wts, 3, &why), 0));
    cr_assert(eq(int, cx_dist_pert(&d[10], 0, 1, 5, 4, &why), 0));
    d[10].max = 2.0; /* clamped */
    cr_assert(eq(int, cx_dist_pert(&d[11], 0.002, 0.01, 0.03, 4, &why), 0));
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, d, NR, NULL, 0, &bad), 0));
    gsl_rng *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng_set(r1, 99u);
    gsl_rng_set(r2, 99u);
    cx_pcg64 blk = *cx_rng_pcg64(r2);
    enum { NBATCH = 64 };
    double *xb = malloc(NBATCH * NR * sizeof *xb);
    cr_assert(xb != NULL);
    long normals = 0;
    long bad_at = -1, paths = 0;
    for (int t = 0; t < 6400; t++) {
        const int nb = t % 2 ? NBATCH : 1;
        cx_sampler_draw_batch(s, NULL, r1, nb, xb, NR, false, NULL);
        for (int p = 0; p < nb; p++) {
            const uint64_t pk = cx_pcg64_next(&blk);
            for (int i = 0; i < NR; i++) {
                double want = i == 5 ? 2.5 : keyed_value(s, &d[i], i, pk, r2);
                normals += tabulated(&d[i]);
                if (bad_at < 0 && bits_of(xb[p * NR + i]) != bits_of(want))
                    bad_at = paths * NR + i;
            }
            paths++;
        }
    }
    cr_assert(eq(i64, bad_at, -1), "first difference at path %ld, input %ld", bad_at / NR,
              bad_at % NR);
    cr_assert(gt(i64, normals, 1000000));
    cr_assert(cx_rng_pcg64(r1)->state == blk.state);
    free(xb);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    cx_sampler_free(s);
    for (int i = 0; i < NR; i++)
        cx_dist_clear(&d[i]);
}

/*
 * Batches of paths with many tabulated inputs, replayed by hand: 200 normals a path make a
 * batch of 64 paths finish its slow normals (about 1.5% of them) in several parts, and 300
 * take the draws that keep values in the rows (sampler.c, draw_rows); the same numbers.
 */
Test(sampler, many_normals_replay_by_hand, .timeout = 60)
{
    const int sizes[] = {200, 300};
    for (int t = 0; t < 2; t++) {
        const int n = sizes[t];
        cx_dist *d = calloc((size_t)n, sizeof *d);
        cr_assert(d != NULL);
        const char *why;
        for (int i = 0; i < n; i++) {
            if (i % 10 == 3)
                cr_assert(eq(int, cx_dist_uniform(&d[i], 0, 1 + i, &why), 0));
            else
                cr_assert(eq(int, cx_dist_pert(&d[i], 7, 9 + (i % 3), 12, 4, &why), 0));
        }
        cx_sampler *s;
        int bad;
        cr_assert(eq(int, cx_sampler_new(&s, d, n, NULL, 0, &bad), 0));
        gsl_rng *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
        gsl_rng_set(r1, 7u + (unsigned long)n);
        gsl_rng_set(r2, 7u + (unsigned long)n);
        cx_pcg64 blk = *cx_rng_pcg64(r2);
        enum { NBATCH = 64 };
        double *xb = malloc((size_t)NBATCH * (size_t)n * sizeof *xb);
        cr_assert(xb != NULL);
        long bad_at = -1;
        for (int rep = 0; rep < 20; rep++) {
            cx_sampler_draw_batch(s, NULL, r1, NBATCH, xb, (size_t)n, rep > 0, NULL);
            for (int p = 0; p < NBATCH; p++) {
                const uint64_t pk = cx_pcg64_next(&blk);
                for (int i = 0; i < n; i++) {
                    double want = keyed_value(s, &d[i], i, pk, r2);
                    if (bad_at < 0 && bits_of(xb[(size_t)p * (size_t)n + (size_t)i]) != bits_of(want))
                        bad_at = ((long)rep * NBATCH + p) * n + i;
                }
            }
        }
        cr_assert(eq(i64, bad_at, -1), "%d inputs: first difference at path %ld, input %ld", n,
                  bad_at / n, bad_at % n);
        cr_assert(cx_rng_pcg64(r1)->state == blk.state);
        free(xb);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
        cx_sampler_free(s);
        for (int i = 0; i < n; i++)
            cx_dist_clear(&d[i]);
        free(d);
    }
}

/* The inverse of cx_mix64 (each step of it is a bijection): for choosing a path key whose
 * keyed stream starts with a given output. */
static uint64_t unxorshift(uint64_t y, int k)
{
    uint64_t x = y;
    for (int sh = k; sh < 64; sh += k)
        x ^= y >> sh;
    return x;
}

static uint64_t inverse64(uint64_t m)
{
    uint64_t x = m;
    for (int i = 0; i < 6; i++)
        x *= 2 - m * x;
    return x;
}

static uint64_t unmix64(uint64_t z)
{
    z = unxorshift(z, 31);
    z *= inverse64(0x94d049bb133111ebULL);
    z = unxorshift(z, 27);
    z *= inverse64(0xbf58476d1ce4e5b9ULL);
    return unxorshift(z, 30);
}

/* Sets the block stream g so that the next path's input `key` starts its stream with b. */
static void next_keyed_output_is(cx_pcg64 *g, uint64_t key, uint64_t b)
{
    next_output_is(g, unmix64(b) - key);
}

/*
 * The draws at the edges of their tests, against replay by hand: a uniform from the largest
 * output (u = 2^53 - 1), and for every ziggurat layer an attempt just inside its box and
 * just outside it (u = K - 1 and K, cx_normal_fast_limit), each sign; the sampler tests an
 * output on integers (sampler.c), so these are the outputs where it could part from
 * cx_normal and cx_pcg64_uniform. The block stream is set so that the path's key makes
 * the input's keyed stream start with the output under test.
 */
Test(sampler, edge_outputs_replay_by_hand)
{
    cx_dist d[2];
    const char *why;
    cr_assert(eq(int, cx_dist_uniform(&d[0], 0, 1, &why), 0));
    cr_assert(eq(int, cx_dist_pert(&d[1], 7, 9, 12, 4, &why), 0));
    cx_sampler *su, *sn;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&su, &d[0], 1, NULL, 0, &bad), 0));
    cr_assert(eq(int, cx_sampler_new(&sn, &d[1], 1, NULL, 0, &bad), 0));
    gsl_rng *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng_set(r1, 11u);
    gsl_rng_set(r2, 11u);
    cx_pcg64 *g1 = cx_rng_pcg64(r1), *g2 = cx_rng_pcg64(r2);
    double x;
    /* the test helper itself: the next output is the one asked for */
    next_output_is(g1, 0xfedcba9876543210ULL);
    cr_assert(eq(u64, cx_pcg64_next(g1), 0xfedcba9876543210ULL));
    const uint64_t ku = cx_sampler_key(su, 0), kn = cx_sampler_key(sn, 0);
    next_keyed_output_is(g1, ku, 0x0123456789abcdefULL);
    cr_assert(eq(u64, cx_keyed_first(cx_pcg64_next(g1), ku), 0x0123456789abcdefULL));

    const uint64_t tops[] = {UINT64_MAX, (((uint64_t)1 << 53) - 1) << 11, 0, 2047};
    for (int t = 0; t < 4; t++) {
        next_keyed_output_is(g1, ku, tops[t]);
        cx_pcg64 blk = *g1;
        cx_sampler_draw_batch(su, NULL, r1, 1, &x, 1, false, NULL);
        next_output_is(g2, tops[t]);
        cr_assert(eq(u64, bits_of(x), bits_of(cx_dist_sample_inline(&d[0], r2))), "output %d", t);
        (void)cx_pcg64_next(&blk);
        cr_assert(g1->state == blk.state);
    }
    for (int j = 0; j < 512; j++) {
        const uint64_t k = cx_normal_fast_limit(j & 255);
        for (int side = 0; side < 2; side++) {
            const uint64_t u = side ? k : k - 1;
            if (u >= (uint64_t)1 << 53)
                continue; /* K = 0 has no u = K - 1; K = 2^53 no u = K */
            const uint64_t b = (u << 11) | (uint64_t)j;
            next_keyed_output_is(g1, kn, b);
            cx_pcg64 blk = *g1;
            cx_sampler_draw_batch(sn, NULL, r1, 1, &x, 1, false, NULL);
            double want = cx_sampler_value_at_z(sn, 0, keyed_normal(b));
            cr_assert(eq(u64, bits_of(x), bits_of(want)), "cell %d, u = K%s", j, side ? "" : " - 1");
            (void)cx_pcg64_next(&blk);
            cr_assert(g1->state == blk.state, "cell %d", j);
        }
    }
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    cx_sampler_free(su);
    cx_sampler_free(sn);
    cx_dist_clear(&d[0]);
    cx_dist_clear(&d[1]);
}

/*
 * Keyed draws (issue 23 item 8): a sampler with more inputs, inserted anywhere, draws the
 * same values for the inputs it shares with another (same keys, same laws), bit for bit:
 * tabulated, uniform, exact-sampler (discrete, lognormal) and correlated ones (the pair
 * keeps its relative order; another pair added elsewhere), with and without slices, on the
 * same block streams.
 */
Test(sampler, shared_inputs_keep_their_draws_when_inputs_are_added, .timeout = 60)
{
    enum { NA = 5, NB = 9, NP = 3000 };
    cx_dist a[NA], b[NB];
    const char *why;
    static const double vals[] = {3, 1, 2}, wts[] = {0.2, 0.5, 0.3};
    /* a: P, U, D, C1, C2 (C1 and C2 correlated) */
    cr_assert(eq(int, cx_dist_pert(&a[0], 7, 9, 12, 4, &why), 0));
    cr_assert(eq(int, cx_dist_uniform(&a[1], -1, 3, &why), 0));
    cr_assert(eq(int, cx_dist_discrete(&a[2], vals, wts, 3, &why), 0));
    cr_assert(eq(int, cx_dist_beta(&a[3], 3, 4, &why), 0));
    cr_assert(eq(int, cx_dist_lognormal(&a[4], 0.5, 0.4, &why), 0));
    const uint64_t ka[NA] = {11, 22, 33, 44, 55};
    /* b: new, P, new, U, D, C1, new (exact sampler), C2, new */
    const int at[NA] = {1, 3, 4, 5, 7};
    uint64_t kb[NB] = {901, 0, 902, 0, 0, 0, 903, 0, 904};
    cr_assert(eq(int, cx_dist_pert(&b[0], 0, 1, 2, 4, &why), 0));
    cr_assert(eq(int, cx_dist_normal(&b[2], 0, 1, &why), 0));
    cr_assert(eq(int, cx_dist_discrete(&b[6], vals, wts, 3, &why), 0));
    cr_assert(eq(int, cx_dist_triangular(&b[8], 0, 1, 3, &why), 0));
    for (int i = 0; i < NA; i++) {
        cr_assert(eq(int, cx_dist_copy(&b[at[i]], &a[i]), 0));
        kb[at[i]] = ka[i];
    }
    /* b also correlates two of its new inputs, ahead of the shared pair: the copula's rows
     * of the shared pair move, its block of L does not (no pair links the two blocks) */
    const cx_corr pa[] = {{3, 4, 0.6, 1}}, pb[] = {{0, 2, 0.3, 1}, {5, 7, 0.6, 2}};
    cx_sampler *sa, *sb;
    int bad;
    cr_assert(eq(int, cx_sampler_new_keyed(&sa, a, NA, pa, 1, ka, &bad), 0));
    cr_assert(eq(int, cx_sampler_new_keyed(&sb, b, NB, pb, 2, kb, &bad), 0));
    cx_slice sla[NA] = {{0}}, slb[NB] = {{0}};
    sla[0] = slb[1] = (cx_slice){true, 0.2, 0.9};
    for (int sliced = 0; sliced < 2; sliced++) {
        gsl_rng *ra = gsl_rng_alloc(cx_gsl_rng_pcg64), *rb = gsl_rng_alloc(cx_gsl_rng_pcg64);
        gsl_rng_set(ra, 5u);
        gsl_rng_set(rb, 5u);
        double *xa = malloc(64 * NA * sizeof *xa), *xb = malloc(64 * NB * sizeof *xb);
        double *wa = malloc(64 * 2 * sizeof *wa), *wb = malloc(64 * 4 * sizeof *wb);
        cr_assert(xa && xb && wa && wb);
        long bad_at = -1;
        for (int p0 = 0; p0 < NP; p0 += 64) {
            cx_sampler_draw_batch(sa, sliced ? sla : NULL, ra, 64, xa, NA, false, wa);
            cx_sampler_draw_batch(sb, sliced ? slb : NULL, rb, 64, xb, NB, false, wb);
            for (int p = 0; p < 64; p++)
                for (int i = 0; i < NA; i++)
                    if (bad_at < 0 && bits_of(xa[p * NA + i]) != bits_of(xb[p * NB + at[i]]))
                        bad_at = (long)(p0 + p) * NA + i;
        }
        cr_assert(eq(i64, bad_at, -1), "sliced %d: path %ld, input %ld", sliced, bad_at / NA,
                  bad_at % NA);
        cr_assert(cx_rng_pcg64(ra)->state == cx_rng_pcg64(rb)->state);
        free(xa);
        free(xb);
        free(wa);
        free(wb);
        gsl_rng_free(ra);
        gsl_rng_free(rb);
    }
    cx_sampler_free(sa);
    cx_sampler_free(sb);
    for (int i = 0; i < NA; i++)
        cx_dist_clear(&a[i]);
    for (int i = 0; i < NB; i++)
        cx_dist_clear(&b[i]);
}
