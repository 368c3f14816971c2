/* SPDX-License-Identifier: MIT */
/* Tests of the quantile sketch: relative-error bound against exact order statistics, merges. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/base/error.h"
#include "sim/base/simd.h"
#include "sim/engine/sketch.h"
#include "sim/engine/sketch_kernels.h"

#define N_BIG 1000000

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Shapes of data; each fills v[n] from r (a GSL generator independent of the project's). */
typedef void (*shape_fn)(gsl_rng *r, double *v, size_t n);

static void lognormal_heavy(gsl_rng *r, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) v[i] = gsl_ran_lognormal(r, 1.0, 2.5);
}
static void pareto(gsl_rng *r, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) v[i] = gsl_ran_pareto(r, 1.1, 0.01);
}
static void both_signs(gsl_rng *r, double *v, size_t n)
{
    /* a normal around 0 and a heavy negative tail: values of either sign and near zero */
    for (size_t i = 0; i < n; i++)
        v[i] = (i % 3 == 0) ? -gsl_ran_lognormal(r, 2.0, 2.0) : gsl_ran_gaussian(r, 50.0);
}
static void point_masses(gsl_rng *r, double *v, size_t n)
{
    /* 30% exact zeros, 20% at 5, 10% at -2.5, 5% tiny (below the zero floor), rest lognormal */
    for (size_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        v[i] = u < 0.30 ? 0.0 : u < 0.50 ? 5.0 : u < 0.60 ? -2.5 : u < 0.65 ? 1e-14 * u
                                                                  : gsl_ran_lognormal(r, 0, 1);
    }
}
static void constant(gsl_rng *r, double *v, size_t n)
{
    (void)r;
    for (size_t i = 0; i < n; i++) v[i] = 3.7;
}
static void wide_range(gsl_rng *r, double *v, size_t n)
{
    /* log-uniform over 1e-11 .. 1e14, both signs */
    for (size_t i = 0; i < n; i++) {
        double x = pow(10.0, gsl_ran_flat(r, -11, 14));
        v[i] = gsl_rng_uniform(r) < 0.5 ? -x : x;
    }
}

/* Asserts every tested rank is within the bound; returns the worst relative error seen. */
static double check_shape(shape_fn f, double alpha, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double *v = malloc(N_BIG * sizeof *v);
    cr_assert(v != NULL);
    f(r, v, N_BIG);
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, alpha), 0));
    for (size_t i = 0; i < N_BIG; i++) cx_sketch_add(sk, v[i]);
    qsort(v, N_BIG, sizeof *v, cmp_dbl);
    cr_assert(eq(u64, cx_sketch_count(sk), N_BIG));
    cr_assert(eq(dbl, sk->min, v[0]));
    cr_assert(eq(dbl, sk->max, v[N_BIG - 1]));
    double worst = 0;
    /* 1000 quantiles evenly spread, plus the extremes and the tails in detail */
    for (int j = 0; j <= 1030; j++) {
        double q = j <= 1000 ? j / 1000.0 : 1 - pow(10.0, -(j - 1000) / 5.0);
        uint64_t k = cx_sketch_rank(N_BIG, q);
        double exact = v[k - 1], got = cx_sketch_quantile(sk, q);
        double err = fabs(got - exact);
        /* zero bucket: |x| < 2^-40 is returned as 0 */
        double bound = fabs(exact) < CX_SKETCH_MIN_ABS ? CX_SKETCH_MIN_ABS : alpha * fabs(exact);
        cr_assert(le(dbl, err, bound), "q=%g rank %llu: got %.17g, exact %.17g", q,
                  (unsigned long long)k, got, exact);
        if (exact != 0) worst = fmax(worst, err / fabs(exact));
        /* the bucket's edges hold the exact order statistic and are one bucket apart */
        double lo, hi;
        cr_assert(cx_sketch_bounds_at_rank(sk, k, &lo, &hi));
        cr_assert(le(dbl, lo, exact), "q=%g: lower edge %.17g > exact %.17g", q, lo, exact);
        cr_assert(ge(dbl, hi, exact), "q=%g: upper edge %.17g < exact %.17g", q, hi, exact);
        double width = fabs(exact) < CX_SKETCH_MIN_ABS ? 2 * CX_SKETCH_MIN_ABS
                                                        : 2 * alpha / (1 - alpha) * fabs(exact);
        cr_assert(le(dbl, hi - lo, width * (1 + 1e-9)), "q=%g: [%.17g, %.17g] wider than a bucket",
                  q, lo, hi);
    }
    cx_sketch_free(sk);
    free(v);
    gsl_rng_free(r);
    return worst;
}

Test(sketch, lognormal_heavy_tail)
{
    double w = check_shape(lognormal_heavy, 0.001, 1);
    cr_log_info("lognormal worst relative error %g", w);
    /* a bound that is never approached would hint at a test that cannot fail */
    cr_assert(gt(dbl, w, 0.0001));
}
Test(sketch, pareto) { check_shape(pareto, 0.001, 2); }
Test(sketch, both_signs) { check_shape(both_signs, 0.001, 3); }
Test(sketch, point_masses_and_zeros) { check_shape(point_masses, 0.001, 4); }
Test(sketch, constant_is_exact) { check_shape(constant, 0.001, 5); }
Test(sketch, wide_range_coarse_alpha) { check_shape(wide_range, 0.01, 6); }
Test(sketch, wide_range_fine_alpha) { check_shape(wide_range, 0.0001, 7); }

Test(sketch, constant_answers_exactly)
{
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    for (int i = 0; i < 1000; i++) cx_sketch_add(sk, 3.7);
    /* min = max = 3.7, and every answer is clamped to [min, max] */
    cr_assert(eq(dbl, cx_sketch_quantile(sk, 0.5), 3.7));
    cr_assert(eq(dbl, cx_sketch_top_mean(sk, 50), 3.7));
    cx_sketch_free(sk);
}

Test(sketch, every_value_within_alpha)
{
    /* one value per sketch: the bucket representative itself, before any clamping */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cx_sketch *sk, *other;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&other, 0.001), 0));
    for (int i = 0; i < 200000; i++) {
        double x = pow(2.0, gsl_ran_flat(r, -39.9, 49.9)), y = x * 1.5; /* y keeps the max away */
        cx_sketch_reset(sk);
        cx_sketch_add(sk, x);
        cx_sketch_add(sk, 0.0);
        cx_sketch_add(sk, y);
        double got = cx_sketch_value_at_rank(sk, 2);
        cr_assert(le(dbl, fabs(got - x), 0.001 * x), "x=%.17g got %.17g", x, got);
    }
    cx_sketch_free(sk);
    cx_sketch_free(other);
    gsl_rng_free(r);
}

Test(sketch, counts_exact_and_clamped)
{
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    for (int i = 0; i < 10; i++) cx_sketch_add(sk, 0.0);
    for (int i = 0; i < 7; i++) cx_sketch_add(sk, -1e-13);
    for (int i = 0; i < 3; i++) cx_sketch_add(sk, 1e20);
    cx_sketch_add(sk, -INFINITY);
    cx_sketch_add(sk, NAN);
    cr_assert(eq(u64, cx_sketch_count(sk), 21));
    cr_assert(eq(u64, sk->zero, 17));
    cr_assert(eq(u64, sk->clamped, 4));
    cr_assert(eq(u64, sk->nan, 1));
    /* the largest rank answers the exact max, the smallest the exact min */
    cr_assert(eq(dbl, cx_sketch_value_at_rank(sk, 21), 1e20));
    cr_assert(eq(dbl, cx_sketch_value_at_rank(sk, 1), -INFINITY));
    cr_assert(eq(dbl, cx_sketch_value_at_rank(sk, 2), 0.0));
    cx_sketch_free(sk);
}

Test(sketch, rank_ceil_nq)
{
    /* MODEL.md: rank ceil(n q), clipped to [1, n] */
    cr_assert(eq(u64, cx_sketch_rank(10, 0.7), 7));   /* 10 x 0.7 = 7.000000000000001 in doubles */
    cr_assert(eq(u64, cx_sketch_rank(100, 0.29), 29));
    cr_assert(eq(u64, cx_sketch_rank(100, 0.291), 30)); /* 29.1 -> 30 */
    cr_assert(eq(u64, cx_sketch_rank(3, 0.5), 2));    /* 1.5 -> 2 */
    cr_assert(eq(u64, cx_sketch_rank(4, 0.5), 2));    /* 2 -> 2 */
    cr_assert(eq(u64, cx_sketch_rank(1, 0.01), 1));
    cr_assert(eq(u64, cx_sketch_rank(5, 0.0), 1));
    cr_assert(eq(u64, cx_sketch_rank(5, 1.0), 5));
    cr_assert(eq(u64, cx_sketch_rank(1000000, 0.99), 990000));
}

Test(sketch, top_mean_fractional_boundary)
{
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    for (int i = 1; i <= 100; i++) cx_sketch_add(sk, (double)i);
    /* top 5: (100 + 99 + 98 + 97 + 96) / 5 = 98 */
    double m5 = cx_sketch_top_mean(sk, 5);
    cr_assert(le(dbl, fabs(m5 - 98.0), 0.001 * 98.0));
    /* top 4.5: (100 + 99 + 98 + 97 + 0.5 x 96) / 4.5 = 442 / 4.5 = 98.2222... */
    double m45 = cx_sketch_top_mean(sk, 4.5);
    cr_assert(le(dbl, fabs(m45 - 442.0 / 4.5), 0.001 * 98.3));
    cx_sketch_free(sk);
}

Test(sketch, merge_order_and_grouping_give_identical_sketches)
{
    enum { N = 200000, PARTS = 7 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *v = malloc(N * sizeof *v);
    both_signs(r, v, N);
    for (int i = 0; i < N; i += 10) v[i] = 0; /* zeros too */
    cx_sketch *whole, *part[PARTS], *a, *b, *c;
    cr_assert(eq(int, cx_sketch_new(&whole, 0.001), 0));
    for (int i = 0; i < N; i++) cx_sketch_add(whole, v[i]);
    for (int p = 0; p < PARTS; p++) {
        cr_assert(eq(int, cx_sketch_new(&part[p], 0.001), 0));
        /* uneven, interleaved split */
        for (int i = 0; i < N; i++)
            if ((i * 31 + i / 1000) % PARTS == p) cx_sketch_add(part[p], v[i]);
    }
    cr_assert(eq(int, cx_sketch_new(&a, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&b, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&c, 0.001), 0));
    for (int p = 0; p < PARTS; p++) cx_sketch_merge(a, part[p]);          /* forward */
    for (int p = PARTS - 1; p >= 0; p--) cx_sketch_merge(b, part[p]);     /* backward */
    cx_sketch_merge(part[1], part[0]);                                    /* a tree */
    cx_sketch_merge(part[3], part[2]);
    cx_sketch_merge(part[5], part[4]);
    cx_sketch_merge(part[3], part[1]);
    cx_sketch_merge(part[6], part[5]);
    cx_sketch_merge(c, part[6]);
    cx_sketch_merge(c, part[3]);
    cr_assert(cx_sketch_equal(whole, a));
    cr_assert(cx_sketch_equal(whole, b));
    cr_assert(cx_sketch_equal(whole, c));
    for (int j = 1; j < 100; j++)
        cr_assert(eq(dbl, cx_sketch_quantile(a, j / 100.0), cx_sketch_quantile(c, j / 100.0)));
    /* the test can fail: one more value breaks equality */
    cx_sketch_add(c, 1.0);
    cr_assert(not(cx_sketch_equal(whole, c)));
    /* a sketch of another alpha refuses to merge */
    cx_sketch *other;
    cr_assert(eq(int, cx_sketch_new(&other, 0.01), 0));
    cr_assert(lt(int, cx_sketch_merge(a, other), 0));
    cx_sketch_free(other);
    for (int p = 0; p < PARTS; p++) cx_sketch_free(part[p]);
    cx_sketch_free(whole);
    cx_sketch_free(a);
    cx_sketch_free(b);
    cx_sketch_free(c);
    free(v);
    gsl_rng_free(r);
}

Test(sketch, memory_does_not_grow_with_n)
{
    cx_sketch *small, *big;
    cr_assert(eq(int, cx_sketch_new(&small, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&big, 0.001), 0));
    size_t before = cx_sketch_bytes(big);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int i = 0; i < 10; i++) cx_sketch_add(small, 1.0 + i);
    for (int i = 0; i < 3 * N_BIG; i++) cx_sketch_add(big, gsl_ran_lognormal(r, 0, 3));
    cr_assert(eq(sz, cx_sketch_bytes(big), before));
    cr_assert(eq(sz, cx_sketch_bytes(big), cx_sketch_bytes(small)));
    /* the fixed size: 2 signs x ~90 / ln((1+a)/(1-a)) buckets x 8 bytes, under 1 MB */
    cr_assert(lt(sz, cx_sketch_bytes(big), (size_t)1 << 20));
    cx_sketch_free(small);
    cx_sketch_free(big);
    gsl_rng_free(r);
}

Test(sketch, bad_alpha_and_empty)
{
    cx_sketch *sk = (cx_sketch *)1;
    cr_assert(lt(int, cx_sketch_new(&sk, 0.0), 0));
    cr_assert(sk == NULL);
    cr_assert(lt(int, cx_sketch_new(&sk, 0.6), 0));
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    cr_assert(isnan(cx_sketch_quantile(sk, 0.5)));
    cr_assert(isnan(cx_sketch_top_mean(sk, 1)));
    cx_sketch_free(sk);
    cx_sketch_free(NULL);
}

/*
 * Integer-valued data (counts): every bucket below 1 / (2 alpha) = 500 holds at most one
 * integer, so the integer query gives the exact order statistic at every rank, of either sign;
 * where a bucket spans several integers (around 10^6 at alpha = 0.001, buckets are ~2000 wide)
 * it falls back to the representative.
 */
Test(sketch, integer_values_exact_order_statistics)
{
    enum { N = 5000 };
    static double v[N];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    for (int i = 0; i < N; i++) {
        /* 0..20 with uneven weights (binomial), a few negative counts and a tail up to 499 */
        int x = (int)gsl_ran_binomial(r, 0.3, 20);
        if (i % 50 == 0) x = -(int)gsl_ran_binomial(r, 0.5, 30);
        if (i % 97 == 0) x = 400 + (int)gsl_rng_uniform_int(r, 100);
        v[i] = x;
        cx_sketch_add(sk, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_dbl);
    int inexact = 0;
    for (uint64_t k = 1; k <= N; k++) {
        double got = cx_sketch_int_value_at_rank(sk, k);
        cr_assert(eq(dbl, got, v[k - 1]), "rank %llu: got %.17g, exact %.17g",
                  (unsigned long long)k, got, v[k - 1]);
        inexact += cx_sketch_value_at_rank(sk, k) != v[k - 1];
    }
    /* the representatives alone are not integers (6.004, ...): the query is what makes it exact */
    cr_assert(gt(int, inexact, N / 2));
    cx_sketch_free(sk);

    /* large counts: a bucket around 10^6 spans ~2000 integers, so the representative */
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    for (int i = 0; i < 100; i++) cx_sketch_add(sk, 1000000.0 + i);
    cx_sketch_add(sk, 0.0);
    cx_sketch_add(sk, 3e6);
    for (uint64_t k = 1; k <= 102; k++)
        cr_assert(eq(dbl, cx_sketch_int_value_at_rank(sk, k), cx_sketch_value_at_rank(sk, k)));
    cr_assert(eq(dbl, cx_sketch_int_value_at_rank(sk, 1), 0.0));
    cx_sketch_free(sk);
    gsl_rng_free(r);
}

Test(sketch, add_n_equals_adding_one_by_one)
{
    /* every kind of value: both signs, zeros of both signs, below CX_SKETCH_MIN_ABS, beyond
     * CX_SKETCH_MAX_ABS, infinities, NaN; fed one by one and in uneven batches */
    enum { N = 50000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *v = malloc(N * sizeof *v);
    both_signs(r, v, N);
    const double special[] = {0.0, -0.0, 1e-13, -1e-14, 1e20, -1e20, INFINITY, -INFINITY, NAN,
                              0x1p50, -0x1p50, 0x1p-40, 3.5};
    const int n_special = (int)(sizeof special / sizeof special[0]);
    for (int i = 0; i < N; i += 7) v[i] = special[(i / 7) % n_special];
    cx_sketch *one, *batch;
    cr_assert(eq(int, cx_sketch_new(&one, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&batch, 0.001), 0));
    for (int i = 0; i < N; i++) cx_sketch_add(one, v[i]);
    for (int i = 0, len = 1; i < N; i += len, len = len * 3 % 1001 + 1)
        cx_sketch_add_n(batch, v + i, (size_t)(i + len <= N ? len : N - i));
    cx_sketch_add_n(batch, v, 0);
    cr_assert(cx_sketch_equal(one, batch)); /* counts, ranges, min and max bit for bit */
    cr_assert(eq(u64, one->nan, batch->nan));
    cr_assert(gt(u64, batch->nan, 0));
    cr_assert(gt(u64, batch->clamped, 0));
    cr_assert(eq(u64, cx_sketch_count(batch), cx_sketch_count(one)));
    /* every octave the sketch covers, and beyond, at 1e-4 (another scale): the batched key
     * computation must give cx_sketch_key's bucket for every value */
    cx_sketch *one4, *batch4;
    cr_assert(eq(int, cx_sketch_new(&one4, 0.0001), 0));
    cr_assert(eq(int, cx_sketch_new(&batch4, 0.0001), 0));
    for (int i = 0; i < N; i++) {
        double u = gsl_rng_uniform(r);
        v[i] = ldexp(1.0 + u, (i % 101) - 45) * (i % 2 ? -1.0 : 1.0);
    }
    v[1] = nextafter(1.0, 2.0); /* mantissa ends and bucket edges */
    v[2] = nextafter(2.0, 0.0);
    for (int i = 0; i < N; i++) cx_sketch_add(one4, v[i]);
    cx_sketch_add_n(batch4, v, N);
    cr_assert(cx_sketch_equal(one4, batch4));
    cx_sketch_free(one4);
    cx_sketch_free(batch4);
    /* the comparison can fail */
    double extra = 2.0;
    cx_sketch_add_n(batch, &extra, 1);
    cr_assert(not(cx_sketch_equal(one, batch)));
    /* signed zeros: min and max keep +0.0 whichever zero came first, in both insert paths,
     * so merged results cannot depend on which thread saw which zero */
    const double zeros[3] = {-0.0, 0.0, -0.0};
    cx_sketch_reset(one);
    cx_sketch_reset(batch);
    for (int i = 0; i < 3; i++) cx_sketch_add(one, zeros[i]);
    cx_sketch_add_n(batch, zeros, 3);
    cr_assert(cx_sketch_equal(one, batch));
    cr_assert(eq(int, signbit(batch->min) || signbit(batch->max), 0));
    cr_assert(eq(int, signbit(one->min) || signbit(one->max), 0));
    cx_sketch_free(one);
    cx_sketch_free(batch);
    free(v);
    gsl_rng_free(r);
}

/* A thread that saw -0.0 and one that saw +0.0 must merge to the same exact min/max bytes in
 * either order, through both insert paths. */
Test(sketch, signed_zeros_merge_to_the_same_bytes)
{
    cx_sketch *a, *b, *m1, *m2;
    cr_assert(eq(int, cx_sketch_new(&a, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&b, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&m1, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&m2, 0.001), 0));
    const double neg[2] = {-0.0, -0.0};
    cx_sketch_add(a, -0.0);
    cx_sketch_add_n(a, neg, 2);
    cx_sketch_add(b, 0.0);
    cx_sketch_merge(m1, a);
    cx_sketch_merge(m1, b);
    cx_sketch_merge(m2, b);
    cx_sketch_merge(m2, a);
    cr_assert(eq(int, signbit(m1->min) != 0, 0));
    cr_assert(eq(int, signbit(m1->max) != 0, 0));
    cr_assert(eq(int, memcmp(&m1->min, &m2->min, sizeof(double)), 0));
    cr_assert(eq(int, memcmp(&m1->max, &m2->max, sizeof(double)), 0));
    cx_sketch_free(a);
    cx_sketch_free(b);
    cx_sketch_free(m1);
    cx_sketch_free(m2);
}

/*
 * Bucket edges hold the value whatever it is: every power of two from 2^-40 to 2^49 and its
 * neighbours one ulp away (where L(x) is exact and keys change), and values spread over each
 * octave, each between a smaller min and a larger max so that the clamp does not decide.
 */
Test(sketch, bounds_hold_every_value)
{
    cx_sketch *sk;
    for (int a = 0; a < 3; a++) {
        static const double alphas[3] = {0.01, 0.001, 0.0001};
        cr_assert(eq(int, cx_sketch_new(&sk, alphas[a]), 0));
        for (int e = -40; e < 50; e++)
            for (int j = -1; j < 40; j++) {
                double x = ldexp(1.0, e);
                if (j == -1) x = nextafter(x, 0);
                else if (j == 1) x = nextafter(x, INFINITY);
                else if (j > 1) x = ldexp(1.0 + (j - 1) / 39.0 + 1e-7 * j, e);
                if (!(x >= CX_SKETCH_MIN_ABS && x < CX_SKETCH_MAX_ABS)) continue;
                for (int sign = -1; sign <= 1; sign += 2) {
                    cx_sketch_reset(sk);
                    cx_sketch_add(sk, -1e300);
                    cx_sketch_add(sk, sign * x);
                    cx_sketch_add(sk, 1e300 * 0.5);
                    double lo, hi;
                    cx_sketch_bounds_at_rank(sk, 2, &lo, &hi);
                    cr_assert(lo <= sign * x && sign * x <= hi,
                              "alpha %g: %.17g outside [%.17g, %.17g]", alphas[a], sign * x, lo,
                              hi);
                    cr_assert(lo < hi);
                }
            }
        cx_sketch_free(sk);
    }
}

/* Ranks in an outermost bucket that holds out-of-range values are not resolved: the bounds
 * run from that bucket's lower edge to the exact max (infinite here). */
Test(sketch, bounds_of_out_of_range_ranks)
{
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    for (int i = 1; i <= 8; i++) cx_sketch_add(sk, (double)i);
    cx_sketch_add(sk, 3e20);
    cx_sketch_add(sk, INFINITY);
    double lo, hi;
    cr_assert(cx_sketch_bounds_at_rank(sk, 8, &lo, &hi));
    cr_assert(le(dbl, lo, 8.0));
    cr_assert(ge(dbl, hi, 8.0));
    cr_assert(not(cx_sketch_bounds_at_rank(sk, 9, &lo, &hi)));
    cr_assert(le(dbl, lo, 3e20));
    cr_assert(ge(dbl, lo, CX_SKETCH_MAX_ABS * 0.99));
    cr_assert(eq(dbl, hi, INFINITY));
    cr_assert(not(cx_sketch_bounds_at_rank(sk, 10, &lo, &hi)));
    /* and the negative side */
    cx_sketch_add(sk, -5e16);
    cr_assert(not(cx_sketch_bounds_at_rank(sk, 1, &lo, &hi)));
    cr_assert(eq(dbl, lo, -5e16));
    cr_assert(ge(dbl, hi, -5e16));
    cx_sketch_reset(sk);
    cr_assert(not(cx_sketch_bounds_at_rank(sk, 1, &lo, &hi)));
    cr_assert(isnan(lo) && isnan(hi));
    cx_sketch_free(sk);
}

/*
 * cx_sketch_add_n against cx_sketch_add on random values mixed with every special kind:
 * zeros of both signs, subnormals, the CX_SKETCH_MIN_ABS (2^-40) and CX_SKETCH_MAX_ABS (2^50)
 * boundaries and their neighbours, infinities, NaN, negatives. The batched path takes whole
 * chunks of plain values down its vector path and chunks holding a special value down its
 * one-by-one path, so the specials come sparse (most chunks clean), dense, and alone, in
 * batches of uneven lengths; every field must agree.
 */
static void assert_same_state(const cx_sketch *one, const cx_sketch *batch)
{
    cr_assert(cx_sketch_equal(one, batch));
    cr_assert(eq(u64, batch->count, one->count));
    cr_assert(eq(u64, batch->nan, one->nan));
    cr_assert(eq(u64, batch->zero, one->zero));
    cr_assert(eq(u64, batch->clamped, one->clamped));
    cr_assert(eq(u64, batch->inf, one->inf));
    cr_assert(eq(int, memcmp(&batch->min, &one->min, sizeof(double)), 0));
    cr_assert(eq(int, memcmp(&batch->max, &one->max, sizeof(double)), 0));
    cr_assert(eq(int, batch->pos_lo, one->pos_lo));
    cr_assert(eq(int, batch->pos_hi, one->pos_hi));
    cr_assert(eq(int, batch->neg_lo, one->neg_lo));
    cr_assert(eq(int, batch->neg_hi, one->neg_hi));
}

Test(sketch, add_n_matches_add_on_special_values)
{
    enum { N = 40000 };
    const double special[] = {
        0.0, -0.0, 0x1p-1074, -0x1p-1074, 0x1p-1030, -0x1.8p-1023, DBL_MIN, -DBL_MIN,
        0x1p-40, -0x1p-40, nextafter(0x1p-40, 0.0), -nextafter(0x1p-40, 0.0),
        nextafter(0x1p-40, 1.0), -nextafter(0x1p-40, 1.0), 0x1p50, -0x1p50,
        nextafter(0x1p50, 0.0), -nextafter(0x1p50, 0.0), nextafter(0x1p50, INFINITY), DBL_MAX,
        -DBL_MAX, INFINITY, -INFINITY, NAN, -NAN, 1.0, -1.0, 3.0, -2.5, 1e-13, -1e-14};
    const int n_special = (int)(sizeof special / sizeof special[0]);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    double *v = malloc(N * sizeof *v);
    cr_assert(not(eq(ptr, v, NULL)));
    /* density of specials: none, one in 3000 (most chunks clean), one in 40, one in 2 */
    const unsigned every[] = {0, 3000, 40, 2};
    for (int alpha_i = 0; alpha_i < 2; alpha_i++) {
        const double alpha = alpha_i ? 0.0001 : 0.001;
        for (int d = 0; d < 4; d++) {
            for (int i = 0; i < N; i++) {
                double u = gsl_rng_uniform(r);
                /* positive lognormal mostly (the engine's values), some zeros, few negatives */
                v[i] = u < 0.15 ? 0.0 : u < 0.2 ? -gsl_ran_lognormal(r, 0, 3)
                                                : gsl_ran_lognormal(r, 0, 6);
                if (every[d] && gsl_rng_uniform_int(r, every[d]) == 0)
                    v[i] = special[gsl_rng_uniform_int(r, (unsigned long)n_special)];
            }
            cx_sketch *one, *batch;
            cr_assert(eq(int, cx_sketch_new(&one, alpha), 0));
            cr_assert(eq(int, cx_sketch_new(&batch, alpha), 0));
            for (int i = 0; i < N; i++) cx_sketch_add(one, v[i]);
            for (int i = 0, len = 1; i < N; i += len, len = len * 7 % 2049 + 1)
                cx_sketch_add_n(batch, v + i, (size_t)(i + len <= N ? len : N - i));
            assert_same_state(one, batch);
            /* all the specials, one at a time and all together, after the random values */
            for (int k = 0; k < n_special; k++) {
                cx_sketch_add(one, special[k]);
                cx_sketch_add_n(batch, &special[k], 1);
                assert_same_state(one, batch);
            }
            cx_sketch_add_n(batch, special, (size_t)n_special);
            for (int k = 0; k < n_special; k++) cx_sketch_add(one, special[k]);
            assert_same_state(one, batch);
            /* positive values only (no NaN, no negative bucket): the vector path alone */
            cx_sketch_reset(one);
            cx_sketch_reset(batch);
            for (int i = 0; i < N; i++) v[i] = fabs(v[i]) < 0x1p50 ? fabs(v[i]) : 1.0;
            for (int i = 0; i < N; i++) cx_sketch_add(one, v[i]);
            cx_sketch_add_n(batch, v, N);
            assert_same_state(one, batch);
            cr_assert(gt(u64, batch->zero, 0));
            /* constant runs (one counter for a whole chunk), then a chunk with one change */
            for (int i = 0; i < 3000; i++) v[i] = i < 2900 ? 7.0 : 7.5;
            for (int i = 0; i < 3000; i++) cx_sketch_add(one, v[i]);
            cx_sketch_add_n(batch, v, 3000);
            assert_same_state(one, batch);
            cx_sketch_free(one);
            cx_sketch_free(batch);
        }
    }
    free(v);
    gsl_rng_free(r);
}

/*
 * Counts past 32 bits. The low parts of the counts are 32-bit and carry into the high parts
 * (cx_sketch_carry); 2^32 real additions take too long for a test, so a sketch is put in the
 * state n additions of x would leave (white box: the low part of x's bucket, count and
 * lo_bound set to n) and the additions, merges and round trips that must carry follow.
 */
static void pretend_added(cx_sketch *sk, double x, uint32_t n)
{
    cx_sketch_add(sk, x);
    int i = cx_sketch_key(sk, x) - sk->kmin;
    sk->pos[i] = n;
    sk->count = n;
    sk->lo_bound = n;
}

/* The count of the lowest positive bucket in use, as a checkpoint writes it. */
static uint64_t first_pos_count(const cx_sketch *sk)
{
    cx_wbuf w = {0};
    cx_sketch_serialise(sk, &w);
    cr_assert(eq(int, w.err, 0));
    /* alpha, kmin, nb, 5 counters, min, max, then the positive range's length and start */
    const size_t at = 8 + 4 + 4 + 5 * 8 + 2 * 8 + 4 + 4;
    cr_assert(ge(sz, w.n, at + 8));
    uint64_t c;
    memcpy(&c, w.p + at, sizeof c);
    cx_wbuf_clear(&w);
    return c;
}

Test(sketch, counts_past_32_bits_carry_exactly)
{
    const uint64_t base = UINT32_MAX - 10;
    cx_sketch *a, *b, *c, *d, *e, *f;
    cr_assert(eq(int, cx_sketch_new(&a, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&b, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&c, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&d, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&e, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&f, 0.001), 0));
    double v[150];
    for (int k = 0; k < 150; k++) v[k] = k < 100 ? 3.0 : 7.0;
    /* one value at a time and in a batch: the low part of 3.0's bucket passes UINT32_MAX */
    pretend_added(a, 3.0, (uint32_t)base);
    pretend_added(b, 3.0, (uint32_t)base);
    for (int k = 0; k < 150; k++) cx_sketch_add(a, v[k]);
    cx_sketch_add_n(b, v, 150);
    cr_assert(a->carried && b->carried);
    cr_assert(eq(u64, first_pos_count(a), base + 100));
    cr_assert(eq(u64, cx_sketch_count(a), base + 150));
    cr_assert(cx_sketch_equal(a, b));
    /* ranks on either side of the 3.0 / 7.0 boundary, beyond 2^32 */
    cr_assert(le(dbl, fabs(cx_sketch_value_at_rank(a, base + 100) - 3.0), 0.001 * 3.0));
    cr_assert(le(dbl, fabs(cx_sketch_value_at_rank(a, base + 101) - 7.0), 0.001 * 7.0));
    /* merges: a carried source, then two uncarried sketches whose low parts overflow together */
    cr_assert(eq(int, cx_sketch_merge(c, a), 0));
    cr_assert(eq(int, cx_sketch_merge(c, b), 0));
    cr_assert(eq(u64, first_pos_count(c), 2 * (base + 100)));
    cr_assert(eq(u64, cx_sketch_count(c), 2 * (base + 150)));
    pretend_added(d, 3.0, (uint32_t)base);
    pretend_added(e, 3.0, 1000);
    cr_assert(eq(int, d->carried || e->carried, 0));
    cr_assert(eq(int, cx_sketch_merge(d, e), 0));
    cr_assert(eq(u64, first_pos_count(d), base + 1000));
    /* a round trip keeps the whole counts, and so does adding after it */
    cx_wbuf w = {0};
    cx_sketch_serialise(c, &w);
    cx_rbuf r;
    cx_rbuf_init(&r, w.p, w.n);
    cr_assert(eq(int, cx_sketch_deserialise(f, &r), 0));
    cr_assert(cx_sketch_equal(c, f));
    cx_sketch_add_n(c, v, 150);
    for (int k = 0; k < 150; k++) cx_sketch_add(f, v[k]);
    cr_assert(cx_sketch_equal(c, f));
    cr_assert(eq(u64, first_pos_count(f), 2 * (base + 100) + 100));
    /* reset clears the carries: a fresh count */
    cx_sketch_reset(a);
    cr_assert(eq(int, a->carried, 0));
    cx_sketch_add(a, 3.0);
    cr_assert(eq(u64, first_pos_count(a), 1));
    cx_wbuf_clear(&w);
    cx_sketch_free(a);
    cx_sketch_free(b);
    cx_sketch_free(c);
    cx_sketch_free(d);
    cx_sketch_free(e);
    cx_sketch_free(f);
}

/*
 * checkasm-style: every chunk pass (the C reference and, where the CPU has it, AVX2) on the
 * same inputs (random values of every kind, specials, raw random bit patterns, every length
 * from 1 to CX_SKETCH_CHUNK) gives the same slots and extremes, and the slot of every value
 * is the one cx_sketch_key gives (a bucket) or its sink (the zero bucket).
 */
static double bits_to_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

Test(sketch, chunk_kernels_agree_with_the_reference)
{
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    const double off = (double)sk->nb - (double)sk->kmin, sink0 = 2.0 * sk->nb;
    cx_sketch_chunk_fn kern[2] = {cx_sketch_chunk_c, NULL};
#if defined(__x86_64__)
    if (cx_simd_supported(CX_SIMD_AVX2)) kern[1] = cx_sketch_chunk_avx2;
#endif
    const double special[] = {0.0, -0.0, 0x1p-1074, DBL_MIN, 0x1p-40,
                              nextafter(0x1p-40, 0.0), nextafter(0x1p-40, 1.0), 0x1p50,
                              nextafter(0x1p50, 0.0), DBL_MAX, INFINITY, -INFINITY, NAN, 1.0,
                              -3.0, 1e-13};
    const int n_special = (int)(sizeof special / sizeof special[0]);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 21);
    double x[CX_SKETCH_CHUNK];
    int32_t slot[2][CX_SKETCH_CHUNK];
    long checked = 0;
    for (int round = 0; round < 2000; round++) {
        const int len = round < CX_SKETCH_CHUNK ? round + 1 : CX_SKETCH_CHUNK;
        const int kind = round % 4;
        for (int j = 0; j < len; j++) {
            const double u = gsl_rng_uniform(r);
            if (kind == 0) /* the engine's kind of values: positive, some zeros */
                x[j] = u < 0.2 ? 0.0 : gsl_ran_lognormal(r, 0, 6);
            else if (kind == 1) /* raw bits: any exponent, sign, NaN payload */
                x[j] = bits_to_double(((uint64_t)gsl_rng_get(r) << 32) ^ gsl_rng_get(r));
            else if (kind == 2) /* values next to bucket edges (ties of the ceiling) */
                x[j] = nextafter(exp2((floor(u * 80) - 40) + floor(gsl_rng_uniform(r) * 8) / 8),
                                 gsl_rng_uniform(r) < 0.5 ? 0.0 : INFINITY);
            else
                x[j] = u < 0.3 ? special[gsl_rng_uniform_int(r, (unsigned long)n_special)]
                               : gsl_ran_lognormal(r, 0, 3);
        }
        cx_sketch_scan sc[2];
        int nan = 0;
        for (int j = 0; j < len; j++) nan |= isnan(x[j]);
        for (int k = 0; k < 2; k++) {
            if (!kern[k]) continue;
            kern[k](x, len, sk->scale, off, sink0, slot[k], &sc[k]);
            /* the reference's definition of each slot */
            for (int j = 0; j < len; j++) {
                const double ax = fabs(x[j]);
                int32_t want;
                if (ax < CX_SKETCH_MIN_ABS) want = (int32_t)sink0 + j % 8;
                else if (ax < CX_SKETCH_MAX_ABS) want = sk->nb + cx_sketch_key(sk, ax) - sk->kmin;
                else continue; /* a slow-path value: only its being beyond the buckets counts */
                cr_assert(eq(i32, slot[k][j], want), "kernel %d, x = %a", k, x[j]);
                checked++;
            }
            if (!nan) {
                double mn = INFINITY, mx = -INFINITY;
                for (int j = 0; j < len; j++) {
                    mn = fmin(mn, x[j]);
                    mx = fmax(mx, x[j]);
                }
                cr_assert(sc[k].min == mn && sc[k].max == mx);
            } else {
                cr_assert(gt(dbl, sc[k].slot_hi, 2.0 * sk->nb + 8));
            }
        }
        if (kern[1]) {
            cr_assert(eq(int, memcmp(slot[0], slot[1], (size_t)len * sizeof(int32_t)), 0));
            cr_assert(eq(int, memcmp(&sc[0].slot_lo, &sc[1].slot_lo, sizeof(double)), 0));
            cr_assert(eq(int, memcmp(&sc[0].slot_hi, &sc[1].slot_hi, sizeof(double)), 0));
            if (!nan) cr_assert(sc[0].min == sc[1].min && sc[0].max == sc[1].max);
        }
    }
    cr_assert(gt(long, checked, 100000));
    gsl_rng_free(r);
    cx_sketch_free(sk);
}

/* cx_sketch_subtract (issue 20 item 3: a group's sketch as the run's less the other group's):
 * the counts of a - b are those of a sketch of the values not in b, at every rank, for
 * both signs, zeros, NaN and out-of-range values, also past a carry; b not inside a is
 * refused. */
Test(sketch, subtract_is_the_complement)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    cx_sketch *a, *b, *c, *d;
    cr_assert(eq(int, cx_sketch_new(&a, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&b, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&c, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&d, 0.001), 0));
    for (int i = 0; i < 200000; i++) {
        double x = gsl_ran_gaussian(r, 30.0) + 10;
        if (i % 1000 == 0) x = 0;
        if (i % 4999 == 0) x = NAN;
        if (i % 7919 == 0) x = 1e300;
        cx_sketch_add(a, x);
        if (gsl_rng_uniform(r) < 0.3) cx_sketch_add(b, x);
        else cx_sketch_add(c, x);
    }
    cr_assert(eq(int, cx_sketch_subtract(d, a, b), 0));
    cr_assert(eq(u64, d->count, c->count));
    cr_assert(eq(u64, d->nan, c->nan));
    cr_assert(eq(u64, d->zero, c->zero));
    cr_assert(eq(u64, d->clamped, c->clamped));
    for (uint64_t k = 1; k <= c->count; k += 97) {
        double lo1, hi1, lo2, hi2;
        cx_sketch_bounds_at_rank(c, k, &lo1, &hi1);
        cx_sketch_bounds_at_rank(d, k, &lo2, &hi2);
        cr_assert(eq(dbl, lo1, lo2), "rank %llu", (unsigned long long)k);
        cr_assert(eq(dbl, hi1, hi2), "rank %llu", (unsigned long long)k);
    }
    /* past a carry: a's counts in carried form */
    cx_sketch_carry(a);
    cr_assert(eq(int, cx_sketch_subtract(d, a, b), 0));
    cr_assert(eq(u64, d->count, c->count));
    /* b is not inside c (it has values c lacks): refused, d left empty */
    cr_assert(eq(int, cx_sketch_subtract(d, c, b), CX_ERR_RANGE));
    cr_assert(eq(u64, d->count, 0));
    cr_assert(eq(int, cx_sketch_subtract(d, b, a), CX_ERR_RANGE));
    cx_sketch_free(a);
    cx_sketch_free(b);
    cx_sketch_free(c);
    cx_sketch_free(d);
    gsl_rng_free(r);
}
