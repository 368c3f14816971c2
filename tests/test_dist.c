/* SPDX-License-Identifier: MIT */
/* Tests for sim/dist: moments and KS of 10^6 draws, round trips, clamps, validation. */
#include <float.h>
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

#include "sim/input/dist.h"
#include "sim/base/error.h"
#include "sim/rng/pcg.h"

#define N_DRAWS 1000000
/* Kolmogorov-Smirnov critical value at alpha = 0.01: 1.628 / sqrt(n) (asymptotic). */
#define KS_C001 1.628

/* A family, its parameters and optional clamps. LN_P90 marks lognormal by median/p90. */
enum { LN_P90 = 100 };
typedef struct dcase {
    const char *name;
    int fam;
    double a, b, c, e;
    double min, max;
} dcase;

static const double dvals[] = {5.0, 1.0, 3.0, 2.0};
static const double dwts[] = {1.0, 2.0, 3.0, 0.0}; /* 2.0 has weight 0: never drawn */

static void build(const dcase *k, cx_dist *d)
{
    const char *why = NULL;
    int rc;
    switch (k->fam) {
    case CX_DIST_FIXED: rc = cx_dist_fixed(d, k->a, &why); break;
    case CX_DIST_UNIFORM: rc = cx_dist_uniform(d, k->a, k->b, &why); break;
    case CX_DIST_TRIANGULAR: rc = cx_dist_triangular(d, k->a, k->b, k->c, &why); break;
    case CX_DIST_PERT: rc = cx_dist_pert(d, k->a, k->b, k->c, k->e, &why); break;
    case CX_DIST_NORMAL: rc = cx_dist_normal(d, k->a, k->b, &why); break;
    case CX_DIST_LOGNORMAL: rc = cx_dist_lognormal(d, k->a, k->b, &why); break;
    case LN_P90: rc = cx_dist_lognormal_median_p90(d, k->a, k->b, &why); break;
    case CX_DIST_BETA: rc = cx_dist_beta(d, k->a, k->b, &why); break;
    case CX_DIST_GAMMA: rc = cx_dist_gamma(d, k->a, k->b, &why); break;
    case CX_DIST_BERNOULLI: rc = cx_dist_bernoulli(d, k->a, &why); break;
    default: rc = cx_dist_discrete(d, dvals, dwts, 4, &why); break;
    }
    cr_assert(eq(int, rc, 0), "%s: %s", k->name, why ? why : "?");
    d->min = k->min;
    d->max = k->max;
    cr_assert(eq(int, cx_dist_check_clamps(d, &why), 0), "%s", k->name);
}

#define NOCL -INFINITY, INFINITY
static dcase cases[] = {
    {"fixed", CX_DIST_FIXED, 3.5, 0, 0, 0, NOCL},
    {"uniform", CX_DIST_UNIFORM, 2, 5, 0, 0, NOCL},
    {"triangular", CX_DIST_TRIANGULAR, 1, 2, 6, 0, NOCL},
    {"triangular-mode-at-low", CX_DIST_TRIANGULAR, 0, 0, 1, 0, NOCL},
    {"pert", CX_DIST_PERT, 7, 9, 12, 4, NOCL},
    {"pert-lambda2", CX_DIST_PERT, 0, 1, 10, 2, NOCL},
    {"normal", CX_DIST_NORMAL, 10, 2, 0, 0, NOCL},
    {"lognormal", CX_DIST_LOGNORMAL, 1.0, 0.5, 0, 0, NOCL},
    {"lognormal-median-p90", LN_P90, 10, 16, 0, 0, NOCL},
    {"beta", CX_DIST_BETA, 3, 4, 0, 0, NOCL},
    {"beta-u-shaped", CX_DIST_BETA, 0.5, 0.5, 0, 0, NOCL},
    {"gamma", CX_DIST_GAMMA, 2.5, 1.5, 0, 0, NOCL},
    {"gamma-shape-below-1", CX_DIST_GAMMA, 0.5, 2, 0, 0, NOCL},
    {"bernoulli", CX_DIST_BERNOULLI, 0.3, 0, 0, 0, NOCL},
    {"discrete", CX_DIST_DISCRETE, 0, 0, 0, 0, NOCL},
    /* Clamped: moments are those of the clamped variable. */
    {"uniform-max", CX_DIST_UNIFORM, 0, 10, 0, 0, -INFINITY, 4},
    {"triangular-min-max", CX_DIST_TRIANGULAR, 0, 2, 9, 0, 1, 6},
    {"pert-min", CX_DIST_PERT, 0, 1, 10, 4, 2, INFINITY},
    {"normal-min-max", CX_DIST_NORMAL, 0, 1, 0, 0, -0.5, 1},
    {"normal-min", CX_DIST_NORMAL, 0, 3, 0, 0, 0, INFINITY},
    {"lognormal-max", CX_DIST_LOGNORMAL, 0, 1, 0, 0, -INFINITY, 3},
    {"beta-min-max", CX_DIST_BETA, 2, 5, 0, 0, 0.1, 0.5},
    {"gamma-min", CX_DIST_GAMMA, 2, 1, 0, 0, 1, INFINITY},
    {"bernoulli-max", CX_DIST_BERNOULLI, 0.6, 0, 0, 0, -INFINITY, 0.5},
    {"discrete-min-max", CX_DIST_DISCRETE, 0, 0, 0, 0, 1.5, 4},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static bool is_discrete(const dcase *k)
{
    return k->fam == CX_DIST_BERNOULLI || k->fam == CX_DIST_DISCRETE ||
           k->fam == CX_DIST_FIXED;
}

static void setup(void)
{
    gsl_set_error_handler_off();
}

TestSuite(dist, .init = setup);

/* Kolmogorov-Smirnov distance of sorted draws x[n] from the clamped CDF. Equal draws
 * (atoms at the clamps) are handled as one step: the empirical CDF just before and just
 * after the value is compared with F just below and at the value. */
static double ks_distance(const cx_dist *d, const double *x, size_t n)
{
    double dmax = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j + 1 < n && x[j + 1] == x[i])
            j++;
        double f_at = cx_dist_cdf(d, x[i]);
        double f_below = cx_dist_cdf(d, nextafter(x[i], -INFINITY));
        dmax = fmax(dmax, fabs((double)(j + 1) / n - f_at));
        dmax = fmax(dmax, fabs((double)i / n - f_below));
        i = j + 1;
    }
    return dmax;
}

/* The test for every family: 10^6 draws, mean and variance within 5 SE, KS at
 * alpha 0.01 (continuous parts) or frequencies within 5 SE (discrete), clamps hold. */
static void check_draws(const dcase *k)
{
    cx_dist d;
    build(k, &d);
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng_set(r, 20260703u);
    double *x = malloc(N_DRAWS * sizeof *x);
    cr_assert_not_null(x);
    double lo = cx_dist_lower(&d), hi = cx_dist_upper(&d);
    size_t outside = 0;
    for (size_t i = 0; i < N_DRAWS; i++) {
        x[i] = cx_dist_sample(&d, r);
        outside += !(x[i] >= lo && x[i] <= hi && x[i] >= d.min && x[i] <= d.max);
    }
    cr_assert(eq(sz, outside, 0), "%s: draws outside [%g, %g]", k->name, lo, hi);

    const double n = N_DRAWS;
    double mean = cx_dist_mean(&d), var = cx_dist_variance(&d);
    cr_assert(isfinite(mean) && isfinite(var) && var >= 0, "%s", k->name);
    double s1 = 0;
    for (size_t i = 0; i < N_DRAWS; i++)
        s1 += x[i];
    double m = s1 / n, m2 = 0, m4 = 0;
    for (size_t i = 0; i < N_DRAWS; i++) {
        double t = (x[i] - m) * (x[i] - m);
        m2 += t;
        m4 += t * t;
    }
    double s2 = m2 / (n - 1);
    m4 /= n;
    double se_mean = sqrt(var / n);
    double se_var = sqrt(fmax(m4 - (m2 / n) * (m2 / n), 0) / n);
    cr_assert(le(dbl, fabs(m - mean), 5 * se_mean), "%s: mean %.6g vs %.6g (SE %.3g)",
              k->name, m, mean, se_mean);
    cr_assert(le(dbl, fabs(s2 - var), 5 * se_var + 1e-12 * var),
              "%s: variance %.6g vs %.6g (SE %.3g)", k->name, s2, var, se_var);

    if (is_discrete(k)) {
        /* Frequencies of each distinct clamped value against the clamped CDF's jumps. */
        gsl_sort(x, 1, N_DRAWS);
        size_t i = 0;
        int groups = 0;
        while (i < N_DRAWS) {
            size_t j = i;
            while (j + 1 < N_DRAWS && x[j + 1] == x[i])
                j++;
            double p = cx_dist_cdf(&d, x[i]) - cx_dist_cdf(&d, nextafter(x[i], -INFINITY));
            double f = (double)(j - i + 1) / n;
            double se = sqrt(p * (1 - p) / n);
            cr_assert(le(dbl, fabs(f - p), 5 * se), "%s: P(%g) %.6g vs %.6g", k->name, x[i],
                      f, p);
            groups++;
            i = j + 1;
        }
        cr_assert(ge(int, groups, 1));
    } else {
        gsl_sort(x, 1, N_DRAWS);
        double dks = ks_distance(&d, x, N_DRAWS);
        cr_assert(lt(dbl, dks, KS_C001 / sqrt(n)), "%s: KS D = %.5f >= %.5f", k->name, dks,
                  KS_C001 / sqrt(n));
    }
    free(x);
    gsl_rng_free(r);
    cx_dist_clear(&d);
}

/* quantile(cdf(x)) = x inside the continuous support, cdf(quantile(u)) = u; for discrete
 * families quantile(u) is the smallest value whose cumulative weight is >= u. */
static void check_round_trips(const dcase *k)
{
    cx_dist d;
    build(k, &d);
    double lo = cx_dist_lower(&d), hi = cx_dist_upper(&d);
    for (int i = 1; i < 200; i++) {
        double u = i / 200.0;
        double q = cx_dist_quantile(&d, u);
        cr_assert(q >= lo && q <= hi && q >= d.min && q <= d.max, "%s: Q(%g) = %g", k->name,
                  u, q);
        double f = cx_dist_cdf(&d, q);
        if (is_discrete(k)) {
            /* F(q) >= u and, just below q, F < u: q is the smallest such value. */
            cr_assert(ge(dbl, f, u - 1e-15), "%s", k->name);
            cr_assert(lt(dbl, cx_dist_cdf(&d, nextafter(q, -INFINITY)), u), "%s", k->name);
        } else if (q > lo && q < hi) {
            /* Away from the atoms at the clamps, F(Q(u)) = u. */
            cr_assert(le(dbl, fabs(f - u), 1e-9), "%s: F(Q(%g)) = %.15g", k->name, u, f);
            double q2 = cx_dist_quantile(&d, f);
            cr_assert(le(dbl, fabs(q2 - q), 1e-8 * (1 + fabs(q))), "%s: Q(F(%g)) = %.15g",
                      k->name, q, q2);
        }
        /* Monotone. */
        if (i > 1)
            cr_assert(ge(dbl, q, cx_dist_quantile(&d, (i - 1) / 200.0)));
    }
    cr_assert(eq(dbl, cx_dist_quantile(&d, 0.0), lo));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 1.0), hi));
    cr_assert(eq(dbl, cx_dist_median(&d), cx_dist_quantile(&d, 0.5)));
    cr_assert(eq(dbl, cx_dist_cdf(&d, hi), 1.0));
    if (isfinite(lo))
        cr_assert(eq(dbl, cx_dist_cdf(&d, nextafter(lo, -INFINITY)), 0.0), "%s", k->name);
    cx_dist_clear(&d);
}

/* One named test per case and check (Criterion 2.4.1 reports a failed assertion in a
 * ParameterizedTest as a crash without its message, so the cases are spelled out). */
#define CASE_TESTS(i, id)                                                                  \
    Test(dist, draws_##id, .timeout = 60) { check_draws(&cases[i]); }                    \
    Test(dist, round_trip_##id) { check_round_trips(&cases[i]); }
CASE_TESTS(0, fixed)
CASE_TESTS(1, uniform)
CASE_TESTS(2, triangular)
CASE_TESTS(3, triangular_mode_at_low)
CASE_TESTS(4, pert)
CASE_TESTS(5, pert_lambda2)
CASE_TESTS(6, normal)
CASE_TESTS(7, lognormal)
CASE_TESTS(8, lognormal_median_p90)
CASE_TESTS(9, beta)
CASE_TESTS(10, beta_u_shaped)
CASE_TESTS(11, gamma)
CASE_TESTS(12, gamma_shape_below_1)
CASE_TESTS(13, bernoulli)
CASE_TESTS(14, discrete)
CASE_TESTS(15, uniform_max)
CASE_TESTS(16, triangular_min_max)
CASE_TESTS(17, pert_min)
CASE_TESTS(18, normal_min_max)
CASE_TESTS(19, normal_min)
CASE_TESTS(20, lognormal_max)
CASE_TESTS(21, beta_min_max)
CASE_TESTS(22, gamma_min)
CASE_TESTS(23, bernoulli_max)
CASE_TESTS(24, discrete_min_max)

_Static_assert(N_CASES == 25, "one CASE_TESTS line per case");

Test(dist, known_answers)
{
    const char *why;
    cx_dist d;
    /* Lognormal by median 10, p90 16: mu = ln 10 = 2.302585093, sigma = ln 1.6 / z_0.9 =
     * 0.4700036292 / 1.2815515655 = 0.3667479. Back: Q(0.5) = 10, Q(0.9) = 16. */
    cr_assert(eq(int, cx_dist_lognormal_median_p90(&d, 10, 16, &why), 0));
    cr_assert(le(dbl, fabs(d.p[0] - 2.302585092994046), 1e-12));
    cr_assert(le(dbl, fabs(d.p[1] - 0.4700036292457356 / 1.2815515655446004), 1e-12));
    cr_assert(le(dbl, fabs(cx_dist_median(&d) - 10), 1e-9));
    cr_assert(le(dbl, fabs(cx_dist_quantile(&d, 0.9) - 16), 1e-9));

    /* PERT(7, 9, 12, lambda 4): alpha = 1 + 4 (9-7)/5 = 2.6, beta = 1 + 4 (12-9)/5 = 3.4;
     * mean = (7 + 4*9 + 12)/6 = 55/6; variance = 25 * 2.6*3.4 / (36 * 7) = 0.876984. */
    cr_assert(eq(int, cx_dist_pert(&d, 7, 9, 12, 4, &why), 0));
    cr_assert(le(dbl, fabs(d.alpha - 2.6), 1e-12));
    cr_assert(le(dbl, fabs(d.beta - 3.4), 1e-12));
    cr_assert(le(dbl, fabs(cx_dist_mean(&d) - 55.0 / 6.0), 1e-12));
    cr_assert(le(dbl, fabs(cx_dist_variance(&d) - 25 * 2.6 * 3.4 / (36.0 * 7.0)), 1e-12));

    /* Triangular(1, 2, 6): mean 9/3 = 3; variance (1+36+4-6-2-12)/18 = 21/18;
     * F(2) = (2-1)^2 / (5*1) = 0.2; Q(0.2) = 2. */
    cr_assert(eq(int, cx_dist_triangular(&d, 1, 2, 6, &why), 0));
    cr_assert(le(dbl, fabs(cx_dist_mean(&d) - 3), 1e-12));
    cr_assert(le(dbl, fabs(cx_dist_variance(&d) - 21.0 / 18.0), 1e-12));
    cr_assert(le(dbl, fabs(cx_dist_cdf(&d, 2) - 0.2), 1e-15));
    cr_assert(le(dbl, fabs(cx_dist_quantile(&d, 0.2) - 2), 1e-12));

    /* Uniform(0, 10) clamped at max 4: Y = min(X, 4).
     * E[Y] = int_0^4 x/10 dx + 4 * 0.6 = 0.8 + 2.4 = 3.2;
     * E[Y^2] = int_0^4 x^2/10 dx + 16 * 0.6 = 64/30 + 9.6; Var = E[Y^2] - 3.2^2 = 1.49333. */
    cr_assert(eq(int, cx_dist_uniform(&d, 0, 10, &why), 0));
    d.max = 4;
    cr_assert(le(dbl, fabs(cx_dist_mean(&d) - 3.2), 1e-9));
    cr_assert(le(dbl, fabs(cx_dist_variance(&d) - (64.0 / 30 + 9.6 - 3.2 * 3.2)), 1e-9));
    cr_assert(le(dbl, fabs(cx_dist_cdf(&d, 3.9999) - 0.39999), 1e-15));
    cr_assert(eq(dbl, cx_dist_cdf(&d, 4), 1.0));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 0.7), 4.0));
    cr_assert(eq(dbl, cx_dist_upper(&d), 4.0));

    /* Standard normal clamped to [-0.5, 1]:
     * E[Y] = -0.5 Phi(-0.5) + 1 (1 - Phi(1)) + phi(-0.5) - phi(1)  (int z phi = -phi). */
    cr_assert(eq(int, cx_dist_normal(&d, 0, 1, &why), 0));
    d.min = -0.5;
    d.max = 1;
    double phi_a = exp(-0.125) / sqrt(2 * 3.14159265358979323846), phi_b = exp(-0.5) / sqrt(2 * 3.14159265358979323846);
    double ey = -0.5 * gsl_cdf_ugaussian_P(-0.5) + gsl_cdf_ugaussian_Q(1) + phi_a - phi_b;
    /* E[Y^2] = 0.25 Phi(-0.5) + (1 - Phi(1)) + int_{-0.5}^{1} z^2 phi
     *        = ... + [Phi(1) - Phi(-0.5)] + (-0.5 phi(-0.5) - 1 phi(1))
     * (int z^2 phi = Phi - z phi). */
    double ey2 = 0.25 * gsl_cdf_ugaussian_P(-0.5) + gsl_cdf_ugaussian_Q(1) +
                 (gsl_cdf_ugaussian_P(1) - gsl_cdf_ugaussian_P(-0.5)) +
                 (-0.5 * phi_a - 1.0 * phi_b);
    cr_assert(le(dbl, fabs(cx_dist_mean(&d) - ey), 1e-9), "%.12g vs %.12g",
              cx_dist_mean(&d), ey);
    cr_assert(le(dbl, fabs(cx_dist_variance(&d) - (ey2 - ey * ey)), 1e-9));

    /* Bernoulli(0.3): values 0, 1 with cumulative weights 0.7, 1: Q(0.7) = 0, Q(0.71) = 1. */
    cr_assert(eq(int, cx_dist_bernoulli(&d, 0.3, &why), 0));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 0.7), 0.0));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 0.71), 1.0));
    cr_assert(le(dbl, fabs(cx_dist_variance(&d) - 0.21), 1e-15));

    /* Discrete {5:1, 1:2, 3:3, 2:0} sorts to 1, 2, 3, 5 with cum 2/6, 2/6, 5/6, 1.
     * mean = (1*2 + 3*3 + 5*1)/6 = 16/6; E[X^2] = (2 + 27 + 25)/6 = 9;
     * var = 9 - (8/3)^2 = 17/9. Q(1/3) = 1 (cum 1/3 >= 1/3), Q(0.34) = 3 (2 has no weight). */
    cr_assert(eq(int, cx_dist_discrete(&d, dvals, dwts, 4, &why), 0));
    cr_assert(eq(dbl, d.values[0], 1.0));
    cr_assert(eq(dbl, d.values[3], 5.0));
    cr_assert(eq(dbl, d.cum[3], 1.0));
    cr_assert(le(dbl, fabs(cx_dist_mean(&d) - 16.0 / 6.0), 1e-12));
    cr_assert(le(dbl, fabs(cx_dist_variance(&d) - 17.0 / 9.0), 1e-12));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 1.0 / 3.0), 1.0));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 0.34), 3.0));
    cr_assert(eq(dbl, cx_dist_lower(&d), 1.0));
    cr_assert(eq(dbl, cx_dist_upper(&d), 5.0));
    cr_assert(eq(dbl, cx_dist_cdf(&d, 2.5), 2.0 / 6.0));
    cx_dist copy;
    cr_assert(eq(int, cx_dist_copy(&copy, &d), 0));
    cx_dist_clear(&d);
    cr_assert(eq(dbl, cx_dist_quantile(&copy, 0.9), 5.0));
    cx_dist_clear(&copy);
    cx_dist_clear(&copy); /* idempotent */
}

Test(dist, far_tails_stay_in_the_support)
{
    /* The copula feeds Phi(z) for any z: from the smallest double up to 1 - 2^-53. Every
     * quantile there must be a number inside the support (GSL's Pinv returns NaN for some
     * of these; the true values underflow to the support's end). */
    const dcase tails[] = {
        {"beta-half", CX_DIST_BETA, 0.5, 0.5, 0, 0, NOCL},
        {"beta-skew", CX_DIST_BETA, 30, 0.2, 0, 0, NOCL},
        {"gamma-half", CX_DIST_GAMMA, 0.5, 2, 0, 0, NOCL},
        {"pert", CX_DIST_PERT, 7, 9, 12, 4, NOCL},
        {"lognormal", CX_DIST_LOGNORMAL, 0, 2, 0, 0, NOCL},
        {"normal", CX_DIST_NORMAL, 0, 1, 0, 0, NOCL},
    };
    const double us[] = {DBL_TRUE_MIN, 1e-300, 1e-20, 1e-9, 0.5, 1 - 1e-9, 1 - DBL_EPSILON / 2};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        cx_dist d;
        build(&tails[i], &d);
        double prev = -INFINITY;
        for (size_t j = 0; j < sizeof us / sizeof us[0]; j++) {
            double q = cx_dist_quantile(&d, us[j]);
            cr_assert(isfinite(q), "%s: Q(%g) = %g", tails[i].name, us[j], q);
            cr_assert(q >= cx_dist_lower(&d) && q <= cx_dist_upper(&d), "%s", tails[i].name);
            cr_assert(q >= prev, "%s: not monotone at %g", tails[i].name, us[j]);
            prev = q;
        }
    }
}

Test(dist, is_fixed_and_support)
{
    const char *why;
    cx_dist d;
    cr_assert(eq(int, cx_dist_fixed(&d, 2, &why), 0));
    cr_assert(cx_dist_is_fixed(&d));
    cr_assert(eq(dbl, cx_dist_mean(&d), 2.0));
    cr_assert(eq(dbl, cx_dist_variance(&d), 0.0));
    cr_assert(eq(int, cx_dist_uniform(&d, 3, 3, &why), 0));
    cr_assert(cx_dist_is_fixed(&d));
    cr_assert(eq(int, cx_dist_pert(&d, 4, 4, 4, 4, &why), 0));
    cr_assert(cx_dist_is_fixed(&d));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 0.3), 4.0));
    cr_assert(eq(dbl, cx_dist_mean(&d), 4.0));
    cr_assert(eq(int, cx_dist_bernoulli(&d, 1.0, &why), 0));
    cr_assert(cx_dist_is_fixed(&d));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 1e-12), 1.0));
    cr_assert(eq(int, cx_dist_bernoulli(&d, 0.0, &why), 0));
    cr_assert(eq(dbl, cx_dist_quantile(&d, 1 - 1e-12), 0.0));
    cr_assert(eq(int, cx_dist_normal(&d, 0, 1, &why), 0));
    cr_assert(not(cx_dist_is_fixed(&d)));
    cr_assert(eq(dbl, cx_dist_lower(&d), -INFINITY));
    d.min = d.max = 1.5; /* clamps pin it */
    cr_assert(cx_dist_is_fixed(&d));
    cr_assert(eq(dbl, cx_dist_mean(&d), 1.5));
    cr_assert(eq(int, cx_dist_beta(&d, 2, 2, &why), 0));
    d.min = 3; /* clamp above the support pins every draw at 3 */
    cr_assert(cx_dist_is_fixed(&d));
    cr_assert(eq(dbl, cx_dist_mean(&d), 3.0));
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cr_assert(eq(dbl, cx_dist_sample(&d, r), 3.0));
    gsl_rng_free(r);
    for (int f = 0; f < CX_DIST_N_FAMILIES; f++)
        cr_assert_not_null(cx_dist_family_names[f]);
    cr_assert_str_eq(cx_dist_family_names[CX_DIST_PERT], "pert");
    cr_assert_str_eq(cx_dist_family_names[CX_DIST_DISCRETE], "discrete");
}

/* ---- parameter validation ---- */

typedef struct bad {
    int fam;
    double a, b, c, e;
    const char *why;
} bad;

Test(dist, validation_rejects_bad_parameters)
{
    const bad table[] = {
        {CX_DIST_FIXED, NAN, 0, 0, 0, "values must be finite"},
        {CX_DIST_FIXED, INFINITY, 0, 0, 0, "values must be finite"},
        {CX_DIST_UNIFORM, 2, 1, 0, 0, "low must be <= high"},
        {CX_DIST_UNIFORM, 0, NAN, 0, 0, "values must be finite"},
        {CX_DIST_UNIFORM, -INFINITY, 1, 0, 0, "values must be finite"},
        {CX_DIST_TRIANGULAR, 0, 2, 1, 0, "mode must be within [low, high]"},
        {CX_DIST_TRIANGULAR, 0, -1, 1, 0, "mode must be within [low, high]"},
        {CX_DIST_TRIANGULAR, 3, 2, 1, 0, "low must be <= high"},
        {CX_DIST_PERT, 0, 5, 4, 4, "mode must be within [low, high]"},
        {CX_DIST_PERT, 0, 1, 4, 0, "lambda must be > 0"},
        {CX_DIST_PERT, 0, 1, 4, NAN, "values must be finite"},
        {CX_DIST_NORMAL, 0, 0, 0, 0, "sd must be > 0"},
        {CX_DIST_NORMAL, 0, -1, 0, 0, "sd must be > 0"},
        {CX_DIST_NORMAL, NAN, 1, 0, 0, "values must be finite"},
        {CX_DIST_LOGNORMAL, 0, 0, 0, 0, "sigma must be > 0"},
        {LN_P90, 0, 1, 0, 0, "median must be > 0"},
        {LN_P90, 10, 10, 0, 0, "p90 must be > median"},
        {LN_P90, 10, INFINITY, 0, 0, "values must be finite"},
        {CX_DIST_BETA, 0, 1, 0, 0, "alpha must be > 0"},
        {CX_DIST_BETA, 1, -2, 0, 0, "beta must be > 0"},
        {CX_DIST_GAMMA, 0, 1, 0, 0, "shape must be > 0"},
        {CX_DIST_GAMMA, 1, 0, 0, 0, "scale must be > 0"},
        {CX_DIST_BERNOULLI, 1.5, 0, 0, 0, "p must be within [0, 1]"},
        {CX_DIST_BERNOULLI, -0.1, 0, 0, 0, "p must be within [0, 1]"},
        {CX_DIST_BERNOULLI, NAN, 0, 0, 0, "values must be finite"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const bad *t = &table[i];
        cx_dist d;
        const char *why = NULL;
        int rc;
        switch (t->fam) {
        case CX_DIST_FIXED: rc = cx_dist_fixed(&d, t->a, &why); break;
        case CX_DIST_UNIFORM: rc = cx_dist_uniform(&d, t->a, t->b, &why); break;
        case CX_DIST_TRIANGULAR: rc = cx_dist_triangular(&d, t->a, t->b, t->c, &why); break;
        case CX_DIST_PERT: rc = cx_dist_pert(&d, t->a, t->b, t->c, t->e, &why); break;
        case CX_DIST_NORMAL: rc = cx_dist_normal(&d, t->a, t->b, &why); break;
        case CX_DIST_LOGNORMAL: rc = cx_dist_lognormal(&d, t->a, t->b, &why); break;
        case LN_P90: rc = cx_dist_lognormal_median_p90(&d, t->a, t->b, &why); break;
        case CX_DIST_BETA: rc = cx_dist_beta(&d, t->a, t->b, &why); break;
        case CX_DIST_GAMMA: rc = cx_dist_gamma(&d, t->a, t->b, &why); break;
        default: rc = cx_dist_bernoulli(&d, t->a, &why); break;
        }
        cr_assert(eq(int, rc, CX_ERR_RANGE), "case %zu", i);
        cr_assert_not_null(why, "case %zu", i);
        cr_assert_str_eq(why, t->why, "case %zu", i);
        cx_dist_clear(&d);
    }

    cx_dist d;
    const char *why = NULL;
    const double v[] = {1, 2}, w0[] = {0, 0}, wneg[] = {1, -1}, wnan[] = {1, NAN};
    const double vinf[] = {1, INFINITY}, w1[] = {1, 1};
    cr_assert(eq(int, cx_dist_discrete(&d, v, w0, 2, &why), CX_ERR_RANGE));
    cr_assert_str_eq(why, "weights must sum to > 0");
    cr_assert(eq(int, cx_dist_discrete(&d, v, wneg, 2, &why), CX_ERR_RANGE));
    cr_assert_str_eq(why, "weights must be >= 0");
    cr_assert(eq(int, cx_dist_discrete(&d, v, wnan, 2, &why), CX_ERR_RANGE));
    cr_assert_str_eq(why, "values must be finite");
    cr_assert(eq(int, cx_dist_discrete(&d, vinf, w1, 2, &why), CX_ERR_RANGE));
    cr_assert_str_eq(why, "values must be finite");
    cr_assert(eq(int, cx_dist_discrete(&d, v, w1, 0, &why), CX_ERR_RANGE));
    cr_assert_str_eq(why, "values must not be empty");
    cx_dist_clear(&d);

    cr_assert(eq(int, cx_dist_normal(&d, 0, 1, &why), 0));
    d.min = 2;
    d.max = 1;
    cr_assert(eq(int, cx_dist_check_clamps(&d, &why), CX_ERR_RANGE));
    cr_assert_str_eq(why, "min must be <= max");
    d.min = NAN;
    cr_assert(eq(int, cx_dist_check_clamps(&d, &why), CX_ERR_RANGE));
    cr_assert_str_eq(why, "values must be finite");
    d.min = 1;
    d.max = 1;
    cr_assert(eq(int, cx_dist_check_clamps(&d, &why), 0));
}

Test(dist, gamma_quantile_of_large_shapes)
{
    /* GSL's gamma Pinv/Qinv stop far from the root for some large shapes (gamma(1000, 0.01)
     * at u = 0.97643 gave 11.83 for 10.64; at shape 5000 NaN or 35 for ~50), so the quantile
     * polishes them on the CDF. Check every u = i / 20000 by one Newton step on the CDF
     * (P below the median, Q above): |F(x) - u| / f(x) <= 1e-9 sd. */
    const double shapes[] = {0.3, 2, 50, 1000, 5000};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        cx_dist d;
        const char *why;
        cr_assert(eq(int, cx_dist_gamma(&d, shapes[k], 0.01, &why), 0));
        double sd = sqrt(cx_dist_variance(&d));
        for (int i = 1; i < 20000; i++) {
            double u = i / 20000.0, x = cx_dist_quantile(&d, u);
            double r = u <= 0.5 ? gsl_cdf_gamma_P(x, shapes[k], 0.01) - u
                                : (1.0 - u) - gsl_cdf_gamma_Q(x, shapes[k], 0.01);
            double miss = fabs(r) / gsl_ran_gamma_pdf(x, shapes[k], 0.01);
            cr_assert(le(dbl, miss, 1e-9 * sd), "shape %g, u %.5f: x %.12g misses by %.3g sd",
                      shapes[k], u, x, miss / sd);
        }
    }
}

/* cx_dist_sample_inline is cx_dist_sample for hot loops: for every family, clamped or not,
 * the same values bit for bit from the same stream, which it leaves in the same state. */
Test(dist, sample_inline_matches_sample)
{
    gsl_rng *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cr_assert(r1 != NULL && r2 != NULL);
    for (size_t c = 0; c < N_CASES; c++) {
        cx_dist d;
        build(&cases[c], &d);
        gsl_rng_set(r1, 11u + c);
        gsl_rng_set(r2, 11u + c);
        for (int k = 0; k < 10000; k++) {
            double a = cx_dist_sample(&d, r1), b = cx_dist_sample_inline(&d, r2);
            cr_assert(a == b || (isnan(a) && isnan(b)), "%s draw %d: %.17g vs %.17g",
                      cases[c].name, k, a, b);
        }
        cr_assert(cx_rng_pcg64(r1)->state == cx_rng_pcg64(r2)->state, "%s", cases[c].name);
        cx_dist_clear(&d);
    }
    gsl_rng_free(r1);
    gsl_rng_free(r2);
}
