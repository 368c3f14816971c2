/* SPDX-License-Identifier: MIT */
/* Tests for sim/sampler: copula rank correlations, non-PD pairs, map() marginals, independence. */
#include <math.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/dist.h"
#include "sim/error.h"
#include "sim/pcg.h"
#include "sim/sampler.h"

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

Test(sampler, map_gives_exact_marginals, .timeout = 60)
{
    cx_dist d[NIN];
    make_inputs(d);
    const cx_corr pairs[] = {{1, 3, 0.5, 1}};
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, d, NIN, pairs, 1, &bad), 0));
    double u[NIN], x[NIN], work[2];
    /* Inputs in no pair: exactly the quantile of their own uniform. The first copula row
     * has L[0][0] = 1, so input 1 is F^-1(Phi(Phi^-1(u))) = F^-1(u) up to rounding.
     * Fixed input 4: its value. */
    for (int t = 1; t < 100; t++) {
        for (int i = 0; i < NIN; i++)
            u[i] = fmod(t * (0.01 + 0.1237 * i) + 0.005, 1.0);
        cx_sampler_map(s, u, x, work);
        for (int i = 0; i < NIN; i++) {
            if (i == 4)
                cr_assert(eq(dbl, x[i], 2.5));
            else if (i != 1 && i != 3)
                cr_assert(eq(dbl, x[i], cx_dist_quantile(&d[i], u[i])), "input %d", i);
        }
        double q1 = cx_dist_quantile(&d[1], u[1]);
        cr_assert(le(dbl, fabs(x[1] - q1), 1e-9), "u %.4f: %.15g vs %.15g", u[1], x[1], q1);
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

Test(sampler, no_pairs_uses_exact_samplers)
{
    /* Without correlations the sampler draws each input with cx_dist_sample in input order
     * from the same stream, and needs no scratch. */
    cx_dist d[NIN];
    make_inputs(d);
    cx_sampler *s;
    int bad;
    cr_assert(eq(int, cx_sampler_new(&s, d, NIN, NULL, 0, &bad), 0));
    cr_assert(eq(int, cx_sampler_work_size(s), 0));
    gsl_rng *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng_set(r1, 3u);
    gsl_rng_set(r2, 3u);
    double x[NIN];
    for (int t = 0; t < 1000; t++) {
        cx_sampler_draw(s, r1, x, NULL);
        for (int i = 0; i < NIN; i++)
            cr_assert(eq(dbl, x[i], cx_dist_sample(&d[i], r2)), "input %d", i);
    }
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
