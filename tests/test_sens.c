/* SPDX-License-Identifier: MIT */
/* Tests of sampling plans (LHS, Sobol, antithetic), Sobol indices, tornado and --target-ci. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>

#include "models/model.h"
#include "sim/engine/engine.h"
#include "sim/base/error.h"
#include "sim/rng/pcg.h"
#include "sim/result/report.h"
#include "sim/input/scenario.h"
#include "sim/engine/sampling.h"
#include "sim/study/sens.h"
#include "sim/engine/sketch.h"

static void setup(void)
{
    gsl_set_error_handler_off();
}

/* ---- sampling plans ---- */

/* Fills block b of a plan and returns the uniforms (caller frees). */
static double *fill(const cx_sampling_plan *p, uint64_t seed, uint64_t b, int n)
{
    double *u = malloc((size_t)n * (size_t)cx_sampling_plan_dim(p) * sizeof *u);
    cr_assert(u != NULL);
    cx_pcg64 g;
    cx_pcg64_stream(&g, seed, b);
    cx_sampling_fill_block(p, &g, n, u);
    return u;
}

/* True when rows[0..m) of column j (rows step apart) put exactly one value in each of the m
 * intervals [k/m, (k+1)/m), all inside (0, 1). */
static bool stratified(const double *u, int dim, int j, int m, int step)
{
    int *hit = calloc((size_t)m, sizeof *hit);
    bool ok = true;
    for (int i = 0; i < m; i++) {
        double v = u[(size_t)i * (size_t)step * (size_t)dim + (size_t)j];
        if (!(v > 0.0 && v < 1.0)) {
            ok = false;
            break;
        }
        int k = (int)floor(v * m);
        if (hit[k]++) {
            ok = false;
            break;
        }
    }
    free(hit);
    return ok;
}

Test(sampling, lhs_is_exactly_stratified_per_block, .init = setup)
{
    cx_sampling_plan *p;
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_LHS, false, 7, 1000), 0));
    /* Full blocks and a short last block (37 paths: 37 strata). */
    int sizes[] = {1000, 37, 1};
    for (int s = 0; s < 3; s++)
        for (uint64_t b = 0; b < 3; b++) {
            double *u = fill(p, 11, b, sizes[s]);
            for (int j = 0; j < 7; j++)
                cr_assert(stratified(u, 7, j, sizes[s], 1), "n %d block %llu dim %d", sizes[s],
                          (unsigned long long)b, j);
            free(u);
        }
    /* The permutations differ between dimensions and blocks (not the identity). */
    double *u0 = fill(p, 11, 0, 1000), *u1 = fill(p, 11, 1, 1000);
    int same = 0;
    for (int i = 0; i < 1000; i++)
        same += (int)floor(u0[i * 7] * 1000) == (int)floor(u1[i * 7] * 1000);
    cr_assert(lt(int, same, 20), "blocks 0 and 1 share %d strata positions", same);
    free(u0);
    free(u1);
    cx_sampling_plan_free(p);
}

Test(sampling, lhs_antithetic_pairs, .init = setup)
{
    cx_sampling_plan *p;
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_LHS, true, 3, 100), 0));
    double *u = fill(p, 5, 2, 99); /* odd: the last path has no partner */
    for (int i = 0; 2 * i + 1 < 99; i++)
        for (int j = 0; j < 3; j++)
            cr_assert(eq(dbl, u[(2 * i + 1) * 3 + j], 1.0 - u[2 * i * 3 + j]));
    /* The base points (even rows, 50 of them) are a Latin hypercube of 50 strata. */
    for (int j = 0; j < 3; j++)
        cr_assert(stratified(u, 3, j, 50, 2));
    free(u);
    cx_sampling_plan_free(p);
}

Test(sampling, mc_antithetic_pairs_and_range, .init = setup)
{
    cx_sampling_plan *p;
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_MC, true, 4, 64), 0));
    cr_assert(cx_sampling_plan_needs_block(p));
    double *u = fill(p, 9, 0, 64);
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 4; j++) {
            double a = u[2 * i * 4 + j], b = u[(2 * i + 1) * 4 + j];
            cr_assert(a > 0.0 && a < 1.0 && b > 0.0 && b < 1.0);
            cr_assert(eq(dbl, b, 1.0 - a));
        }
    free(u);
    cx_sampling_plan_free(p);
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_MC, false, 4, 64), 0));
    cr_assert(not(cx_sampling_plan_needs_block(p)));
    cx_sampling_plan_free(p);
}

Test(sampling, sobol_points_are_nets_per_block, .init = setup)
{
    /* 45 dimensions: 40 from GSL's Sobol sequence, 5 from Joe and Kuo's (tests/test_sobol.c). */
    int dim = 45, n = 1024;
    cx_sampling_plan *p;
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_SOBOL, false, dim, n), 0));
    for (uint64_t b = 0; b < 3; b++) {
        double *u = fill(p, 3, b, n);
        for (int j = 0; j < dim; j++)
            cr_assert(stratified(u, dim, j, n, 1), "block %llu dim %d",
                      (unsigned long long)b, j);
        /* Dimensions 0 and 1 of Sobol's sequence are a (0, 10, 2)-net: each of the 32 x 32
         * squares holds exactly one of the 1024 points; a digital shift keeps that. A Latin
         * hypercube would leave about 1024 / e = 377 squares empty. */
        int hit[32][32] = {{0}};
        for (int i = 0; i < n; i++)
            hit[(int)(u[i * dim] * 32)][(int)(u[i * dim + 1] * 32)]++;
        for (int a = 0; a < 32; a++)
            for (int c = 0; c < 32; c++)
                cr_assert(eq(int, hit[a][c], 1));
        free(u);
    }
    /* Blocks are different random shifts of the same points. */
    double *u0 = fill(p, 3, 0, n), *u1 = fill(p, 3, 1, n);
    cr_assert(u0[0] != u1[0]);
    free(u0);
    free(u1);
    cx_sampling_plan_free(p);
}

Test(sampling, bad_plans, .init = setup)
{
    cx_sampling_plan *p = (cx_sampling_plan *)1;
    cr_assert(eq(int, cx_sampling_plan_new(&p, CX_SAMPLING_LHS, false, 3, 0), CX_ERR_RANGE));
    cr_assert(p == NULL);
    cr_assert(eq(int, cx_sampling_plan_new(&p, (cx_sampling)7, false, 3, 8), CX_ERR_RANGE));
    cr_assert(eq(int, cx_sampling_find("lhs"), CX_SAMPLING_LHS));
    cr_assert(eq(int, cx_sampling_find("sobol"), CX_SAMPLING_SOBOL));
    cr_assert(eq(int, cx_sampling_find("halton"), -1));
    cx_sampling_plan_free(NULL);
}

Test(sampling, bounded_is_uniform, .init = setup)
{
    /* 60000 draws in [0, 6): each face expects 10000, sd sqrt(60000 (1/6)(5/6)) = 91.3;
     * 5 SE = 456. */
    cx_pcg64 g;
    cx_pcg64_stream(&g, 1, 0);
    int count[6] = {0};
    for (int i = 0; i < 60000; i++) {
        uint64_t v = cx_sampling_bounded(&g, 6);
        cr_assert(lt(u64, v, 6));
        count[v]++;
    }
    for (int k = 0; k < 6; k++)
        cr_assert(lt(dbl, fabs(count[k] - 10000.0), 456.0), "face %d: %d", k, count[k]);
}

/* ---- Sobol indices: the estimator core on functions with known indices ---- */

/*
 * Ishigami, a = 7, b = 0.1, x_i uniform on [-pi, pi]. Analytic (Sobol' and Levitan 1999):
 *   V1 = 1/2 (1 + b pi^4 / 5)^2, V2 = a^2 / 8, V13 = b^2 pi^8 (1/18 - 1/50), V = V1 + V2 + V13
 * With pi^4 = 97.409, pi^8 = 9488.5: V1 = 0.5 x 2.9482^2 = 4.3459, V2 = 6.125,
 * V13 = 0.01 x 9488.5 x 0.035556 = 3.3737, V = 13.845:
 *   S1 = 0.3139, S2 = 0.4424, S3 = 0, ST1 = 0.5576, ST2 = 0.4424, ST3 = 0.2437.
 */
#define PI 3.14159265358979323846

static double ishigami(const double *u)
{
    double x1 = -PI + 2 * PI * u[0], x2 = -PI + 2 * PI * u[1],
           x3 = -PI + 2 * PI * u[2];
    return sin(x1) + 7.0 * sin(x2) * sin(x2) + 0.1 * pow(x3, 4) * sin(x1);
}

/* Runs N rows of Saltelli samples in blocks of bp through the core, with plan `method`. */
static void saltelli(double (*f)(const double *), int d, cx_sampling method, int n_rows, int bp,
                     cx_sobol_index *idx, cx_sobol_summary *sum)
{
    cx_sampling_plan *p;
    cx_sobol_acc *acc;
    int nb = n_rows / bp;
    cr_assert(eq(int, cx_sampling_plan_new(&p, method, false, 2 * d, bp), 0));
    cr_assert(eq(int, cx_sobol_acc_new(&acc, d, nb), 0));
    double *u = malloc((size_t)bp * 2 * (size_t)d * sizeof *u);
    double ab[16], fab[8];
    for (int b = 0; b < nb; b++) {
        cx_pcg64 g;
        cx_pcg64_stream(&g, 2026, (uint64_t)b);
        cx_sampling_fill_block(p, &g, bp, u);
        for (int k = 0; k < bp; k++) {
            const double *a = u + (size_t)k * 2 * (size_t)d, *bb = a + d;
            for (int i = 0; i < d; i++) {
                memcpy(ab, a, (size_t)d * sizeof *ab);
                ab[i] = bb[i];
                fab[i] = f(ab);
            }
            cx_sobol_acc_add(acc, b, f(a), f(bb), fab);
        }
    }
    cx_sobol_acc_result(acc, idx, sum);
    free(u);
    cx_sobol_acc_free(acc);
    cx_sampling_plan_free(p);
}

static void check_indices(const cx_sobol_index *idx, const double *s1, const double *st, int d,
                          double max_se)
{
    for (int i = 0; i < d; i++) {
        /* The SE must be small enough for the test to mean something, and the estimates
         * within 5 SE of the analytic values. */
        cr_assert(lt(dbl, idx[i].s1_se, max_se), "S%d se %g", i + 1, idx[i].s1_se);
        cr_assert(lt(dbl, idx[i].st_se, max_se), "ST%d se %g", i + 1, idx[i].st_se);
        cr_assert(le(dbl, fabs(idx[i].s1 - s1[i]), 5 * idx[i].s1_se), "S%d = %g +- %g, want %g",
                  i + 1, idx[i].s1, idx[i].s1_se, s1[i]);
        cr_assert(le(dbl, fabs(idx[i].st - st[i]), 5 * idx[i].st_se),
                  "ST%d = %g +- %g, want %g", i + 1, idx[i].st, idx[i].st_se, st[i]);
        cr_assert(idx[i].s1_lo <= idx[i].s1 && idx[i].s1 <= idx[i].s1_hi);
        cr_assert(idx[i].st_lo <= idx[i].st && idx[i].st <= idx[i].st_hi);
    }
}

static const double ishi_s1[3] = {0.3139, 0.4424, 0.0};
static const double ishi_st[3] = {0.5576, 0.4424, 0.2437};

Test(sobol, ishigami_mc, .init = setup)
{
    cx_sobol_index idx[3];
    cx_sobol_summary sum;
    saltelli(ishigami, 3, CX_SAMPLING_MC, 1 << 15, 1 << 10, idx, &sum);
    cr_assert(eq(u64, sum.n, 1u << 15));
    /* 2^15 rows in blocks of 2^10: 32 blocks, one batch each (CX_SOBOL_MAX_BATCHES = 32
     * full batches are only combined when a 33rd block arrives) */
    cr_assert(eq(int, sum.batches, 32));
    /* V = 13.845; its estimate from 2^16 values is within a few percent. */
    cr_assert(lt(dbl, fabs(sum.variance - 13.845), 0.05 * 13.845));
    check_indices(idx, ishi_s1, ishi_st, 3, 0.03);
}

Test(sobol, ishigami_lhs_and_sobol, .init = setup)
{
    cx_sobol_index idx[3];
    cx_sobol_summary sum;
    saltelli(ishigami, 3, CX_SAMPLING_LHS, 1 << 14, 1 << 9, idx, &sum);
    check_indices(idx, ishi_s1, ishi_st, 3, 0.03);
    saltelli(ishigami, 3, CX_SAMPLING_SOBOL, 1 << 14, 1 << 9, idx, &sum);
    check_indices(idx, ishi_s1, ishi_st, 3, 0.03);
}

/* f = 1 x1 + 2 x2 + 3 x3 + 0 x4 with independent uniforms: additive, so S_i = ST_i =
 * a_i^2 / sum a^2 = 1/14, 4/14, 9/14, 0. */
static double linear(const double *u)
{
    return 1.0 * u[0] + 2.0 * u[1] + 3.0 * u[2] + 0.0 * u[3];
}

Test(sobol, linear_model, .init = setup)
{
    cx_sobol_index idx[4];
    cx_sobol_summary sum;
    saltelli(linear, 4, CX_SAMPLING_MC, 1 << 14, 1 << 9, idx, &sum);
    const double s[4] = {1.0 / 14, 4.0 / 14, 9.0 / 14, 0.0};
    check_indices(idx, s, s, 4, 0.03);
    /* x4 does nothing: f(A) == f(AB_4) exactly, so its total effect is exactly 0. */
    cr_assert(eq(dbl, idx[3].st, 0.0));
}

Test(sobol, constant_function_gives_nan, .init = setup)
{
    cx_sobol_acc *acc;
    cr_assert(eq(int, cx_sobol_acc_new(&acc, 2, 4), 0));
    double fab[2] = {1.0, 1.0};
    for (int b = 0; b < 4; b++)
        for (int k = 0; k < 10; k++)
            cx_sobol_acc_add(acc, b, 1.0, 1.0, fab);
    cx_sobol_index idx[2];
    cx_sobol_summary sum;
    cx_sobol_acc_result(acc, idx, &sum);
    cr_assert(eq(dbl, sum.variance, 0.0));
    cr_assert(isnan(idx[0].s1) && isnan(idx[1].st));
    cx_sobol_acc_free(acc);
}

/* One block record of `rows` made-up samples: f(A), f(B) and f(AB_i) from g. */
static void fake_block(cx_sobol_acc *acc, int slot, cx_pcg64 *g, int rows, int d)
{
    double fab[4];
    for (int k = 0; k < rows; k++) {
        double fa = cx_pcg64_uniform(g), fb = cx_pcg64_uniform(g);
        for (int i = 0; i < d; i++) fab[i] = 0.5 * fa + 0.5 * cx_pcg64_uniform(g);
        cx_sobol_acc_add(acc, slot, fa, fb, fab);
    }
}

Test(sobol, rounds_bound_memory_and_change_no_bit, .init = setup)
{
    /* 800 blocks (the last one short, one empty, as after an interrupt), through 8 slots
     * folded 100 times, and through 800 slots folded once: the same bits. Batches: 32 of one
     * block at block 32; the 33rd block combines them into 16 of 2; 32 of 2 at 64, 16 of 4 at
     * 65, ..., 32 of 16 at 512, 16 of 32 at 513 (counting non-empty blocks); the other
     * 799 - 512 = 287 non-empty blocks fill 8 more batches of 32 (256 blocks) and leave 31,
     * at least half of 32: a batch of its own. 16 + 8 + 1 = 25. */
    enum { D = 3, NB = 800, SLOTS = 8, ROWS = 20 };
    cx_sobol_acc *small, *big;
    cr_assert(eq(int, cx_sobol_acc_new(&small, D, SLOTS), 0));
    cr_assert(eq(int, cx_sobol_acc_new(&big, D, NB), 0));
    for (int b = 0; b < NB; b++) {
        int rows = b == NB - 1 ? 7 : b == 300 ? 0 : ROWS;
        cx_pcg64 g1, g2;
        cx_pcg64_stream(&g1, 77, (uint64_t)b);
        g2 = g1;
        fake_block(small, b % SLOTS, &g1, rows, D);
        fake_block(big, b, &g2, rows, D);
        if (b % SLOTS == SLOTS - 1)
            cx_sobol_acc_fold(small, SLOTS);
    }
    cx_sobol_index i1[D], i2[D];
    cx_sobol_summary s1, s2;
    cx_sobol_acc_result(small, i1, &s1);
    cx_sobol_acc_result(big, i2, &s2);
    cr_assert(eq(int, s1.batches, 25));
    cr_assert(eq(u64, s1.n, (uint64_t)(NB - 2) * ROWS + 7));
    cr_assert(eq(int, memcmp(&s1, &s2, sizeof s1), 0));
    cr_assert(eq(int, memcmp(i1, i2, sizeof i1), 0));
    for (int i = 0; i < D; i++) {
        cr_assert(gt(dbl, i1[i].s1_se, 0.0));
        cr_assert(i1[i].st_lo < i1[i].st && i1[i].st < i1[i].st_hi);
    }
    cx_sobol_acc_free(small);
    cx_sobol_acc_free(big);
}

Test(sobol, partial_batch_small_joins_the_last, .init = setup)
{
    /* 33 blocks: 16 batches of 2 and one block left, half a batch: a batch of its own (17).
     * 34 blocks: 17 batches of 2. 35 blocks: 17 of 2 and one block, again its own (18).
     * 66 blocks: 16 of 4 and 2 blocks (half of 4): 17. 65 blocks: 16 of 4 and one block
     * (a quarter): joins the last batch, 16. */
    const int blocks[5] = {33, 34, 35, 66, 65}, want[5] = {17, 17, 18, 17, 16};
    for (int c = 0; c < 5; c++) {
        cx_sobol_acc *acc;
        cr_assert(eq(int, cx_sobol_acc_new(&acc, 2, 4), 0));
        for (int b = 0; b < blocks[c]; b++) {
            cx_pcg64 g;
            cx_pcg64_stream(&g, 78, (uint64_t)b);
            fake_block(acc, b % 4, &g, 10, 2);
            if (b % 4 == 3)
                cx_sobol_acc_fold(acc, 4);
        }
        cx_sobol_index idx[2];
        cx_sobol_summary sum;
        cx_sobol_acc_result(acc, idx, &sum);
        cr_assert(eq(int, sum.batches, want[c]), "%d blocks: %d batches, want %d", blocks[c],
                  sum.batches, want[c]);
        cx_sobol_acc_free(acc);
    }
}

/* ---- tornado deciles ---- */

Test(tornado, decile_thresholds, .init = setup)
{
    const char *why;
    cx_dist d;
    cr_assert(eq(int, cx_dist_uniform(&d, 0.0, 10.0, &why), 0));
    double lo, hi;
    cx_tornado_thresholds(&d, &lo, &hi);
    cr_assert(epsilon_eq(dbl, lo, 1.0, 1e-12));
    cr_assert(epsilon_eq(dbl, hi, 9.0, 1e-6));
    /* Bernoulli(0.7): P(0) = 0.3 straddles 10%, P(1) straddles 90%: all zeros are "low",
     * all ones "high". */
    cr_assert(eq(int, cx_dist_bernoulli(&d, 0.7, &why), 0));
    cx_tornado_thresholds(&d, &lo, &hi);
    cr_assert(eq(dbl, lo, 0.0));
    cr_assert(eq(dbl, hi, 1.0));
    /* Discrete {1: 0.05, 2: 0.9, 3: 0.05}: F(1) = 0.05 < 0.1, so low is x <= 2; the smallest
     * value with F > 0.9 is 2 (F = 0.95): high is x >= 2. The middle atom is in both. */
    double v[3] = {1, 2, 3}, w[3] = {0.05, 0.9, 0.05};
    cr_assert(eq(int, cx_dist_discrete(&d, v, w, 3, &why), 0));
    cx_tornado_thresholds(&d, &lo, &hi);
    cr_assert(eq(dbl, lo, 2.0));
    cr_assert(eq(dbl, hi, 2.0));
    cx_dist_clear(&d);
}

/* ---- --target-ci ---- */

Test(target_ci, parse, .init = setup)
{
    cx_target_ci t;
    char err[200];
    cr_assert(eq(int, cx_target_ci_parse(&t, "capex_burden:0.95:0.01", err, sizeof err), 0));
    cr_assert(eq(int, t.metric, CX_M_CAPEX_BURDEN));
    cr_assert(eq(dbl, t.q, 0.95));
    cr_assert(eq(dbl, t.rel, 0.01));
    const char *bad[] = {"capex_burden", "capex_burden:0.95", "nope:0.5:0.1",
                         "capex_burden:1.5:0.1", "capex_burden:0.5:0", "capex_burden:0.5:x",
                         "capex_burden::0.1", ":0.5:0.1", "capex_burden:0.5:"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert(eq(int, cx_target_ci_parse(&t, bad[i], err, sizeof err), CX_ERR_USAGE), "%s",
                  bad[i]);
        cr_assert(strstr(err, "--target-ci") != NULL);
    }
}

Test(target_ci, ranks_and_predicate, .init = setup)
{
    /* n = 1000, q = 0.95: n q = 950, sqrt(950 x 0.05) = 6.8920, x 1.96 = 13.508:
     * ranks floor(936.49) = 936 and ceil(963.51) = 964. */
    uint64_t lo, hi;
    cx_target_ci_ranks(1000, 0.95, &lo, &hi);
    cr_assert(eq(u64, lo, 936));
    cr_assert(eq(u64, hi, 964));
    /* Clipping: n = 10, q = 0.95: 9.5 +- 1.35 -> 8 and 11 -> 10. */
    cx_target_ci_ranks(10, 0.95, &lo, &hi);
    cr_assert(eq(u64, lo, 8));
    cr_assert(eq(u64, hi, 10));

    /* Values 1..1000: P95 = 950 (rank 950), CI [936, 964] (width 28 within 0.1%):
     * 28 / 950 = 2.9%, so REL 0.03 is met and 0.029 is not (sketch error 0.1% either way is
     * 2 x 0.001 x 964 = 1.9 at most: 26.1 .. 29.9; pick margins beyond it: 0.033, 0.026). */
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    for (int i = 1; i <= 1000; i++)
        cx_sketch_add(sk, (double)i);
    cx_target_ci t = {CX_M_CAPEX_BURDEN, 0.95, 0.033};
    double v, a, b;
    cr_assert(cx_target_ci_met(sk, &t, &v, &a, &b));
    cr_assert(lt(dbl, fabs(v - 950.0), 1.0));
    cr_assert(lt(dbl, fabs(a - 936.0), 1.0));
    cr_assert(lt(dbl, fabs(b - 964.0), 1.0));
    t.rel = 0.026;
    cr_assert(not(cx_target_ci_met(sk, &t, NULL, NULL, NULL)));
    /* A tiny sample whose interval is clipped at the maximum never meets a target. */
    cx_sketch_reset(sk);
    for (int i = 1; i <= 10; i++)
        cx_sketch_add(sk, 100.0);
    t.rel = 10.0;
    cr_assert(not(cx_target_ci_met(sk, &t, NULL, NULL, NULL)));
    cx_sketch_free(sk);
}

/* ---- studies on a small scenario (engine, model, loader) ---- */

/*
 * One tranche whose size is very uncertain (1 to 5 GW) against a fixed 1 GW of MSL demand:
 * idle = gw - 1, burden = idle x cost. The size dominates; the cost (9.9 to 10.1) barely
 * matters; the market drift matters not at all for burden.
 */
static const char *small_cfg =
    "horizon_months = 12;\n"
    "supply = { tranches = ( { name = \"a\"; gw = { dist = \"uniform\"; low = 1.0; high = 5.0; };\n"
    "  cost_per_gw_year = { dist = \"uniform\"; low = 9.9; high = 10.1; }; } ); };\n"
    "msl = { schedule = ( (0, 1.0) ); };\n"
    "market = { price0 = 12.0; drift = { dist = \"uniform\"; low = -0.2; high = 0.2; }; vol = 0.2; };\n"
    "sweep = { inputs = ( { name = \"supply.tranches.a.cost_per_gw_year\"; values = [8.0, 12.0]; } ); };\n";

static cx_scenario *load_small(void)
{
    cx_scenario *sc;
    char err[512];
    int rc = cx_scenario_load_string(&sc, small_cfg, "small.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    return sc;
}

Test(studies, tornado_ranks_the_dominant_input_first_any_threads, .init = setup)
{
    cx_scenario *sc = load_small();
    cx_model *m;
    char err[512];
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0), "%s", err);
    cx_tornado_report *t1, *t2;
    /* Blocks of 200 antithetic paths: 100 Latin hypercube strata per block, of which 10 are
     * below u = 0.1 and 10 above 0.9 (whose partners 1 - u fall below 0.1). */
    cx_study_opts o = {.paths = 20000, .seed = 3, .threads = 1, .metric = CX_M_CAPEX_BURDEN,
                       .sampling = CX_SAMPLING_LHS, .antithetic = true, .block_paths = 200};
    cr_assert(eq(int, cx_tornado_run(&t1, sc, m, &o, err, sizeof err), 0), "%s", err);
    o.threads = 2;
    cr_assert(eq(int, cx_tornado_run(&t2, sc, m, &o, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, t1->d, 3));
    cr_assert(eq(str, sc->inputs[t1->rows[0].input].name, "supply.tranches.a.gw"));
    /* Low decile: gw in [1, 1.4], idle mean 0.2 GW, burden 0.2 x 10 = 2 $B; high decile:
     * gw in [4.6, 5], idle 3.8 GW, 38 $B. 2000 paths each (Latin hypercube: exactly). */
    cr_assert(eq(u64, t1->rows[0].n_low, 2000));
    cr_assert(eq(u64, t1->rows[0].n_high, 2000));
    cr_assert(lt(dbl, fabs(t1->rows[0].mean_low - 2.0), 0.05));
    cr_assert(lt(dbl, fabs(t1->rows[0].mean_high - 38.0), 0.1));
    /* Bit for bit the same with 1 and 2 threads. */
    cr_assert(eq(u64, t1->paths, 20000));
    cr_assert(eq(dbl, t1->mean, t2->mean));
    for (int k = 0; k < t1->d; k++) {
        cr_assert(eq(int, t1->rows[k].input, t2->rows[k].input));
        cr_assert(eq(dbl, t1->rows[k].mean_low, t2->rows[k].mean_low));
        cr_assert(eq(dbl, t1->rows[k].p50_high, t2->rows[k].p50_high));
    }
    cx_tornado_report_free(t1);
    cx_tornado_report_free(t2);
    cx_model_free(m);
    cx_scenario_free(sc);
}

Test(studies, sobol_on_the_model_any_threads, .init = setup)
{
    cx_scenario *sc = load_small();
    cx_model *m;
    char err[512];
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0), "%s", err);
    cx_sobol_report *s1, *s2;
    cx_study_opts o = {.paths = 4096, .seed = 5, .threads = 1, .metric = CX_M_CAPEX_BURDEN,
                       .sampling = CX_SAMPLING_SOBOL};
    cr_assert(eq(int, cx_sobol_run(&s1, sc, m, &o, err, sizeof err), 0), "%s", err);
    o.threads = 2;
    cr_assert(eq(int, cx_sobol_run(&s2, sc, m, &o, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, s1->d, 3));
    /* d inputs, the price path and the deal events, A and B: d + 4 paths a sample */
    cr_assert(eq(u64, s1->evaluations, 4096u * 7u));
    /* burden = 10 (gw - 1) c/10 with gw ~ U(1, 5), c ~ U(9.9, 10.1): Var from gw is
     * 100 x 16/12 = 133.3; from c about 2^2 x (0.2^2/12) = 0.013: S_gw = 0.9999. Drift and
     * the noise do not touch burden: their indices are 0 (total effect exactly 0). */
    int gw = -1;
    for (int i = 0; i < s1->d; i++)
        if (strcmp(sc->inputs[s1->input[i]].name, "supply.tranches.a.gw") == 0)
            gw = i;
    cr_assert(ge(int, gw, 0));
    cr_assert(lt(dbl, fabs(s1->idx[gw].s1 - 1.0), 5 * s1->idx[gw].s1_se + 1e-3));
    cr_assert(lt(dbl, fabs(s1->idx[gw].st - 1.0), 5 * s1->idx[gw].st_se + 1e-3));
    /* the per-month groups: the price path and the deal events */
    cr_assert(eq(str, (char *)cx_sobol_noise_names[0], "(price path)"));
    cr_assert(eq(str, (char *)cx_sobol_noise_names[1], "(deal events)"));
    cr_assert(eq(dbl, s1->idx[s1->d].st, 0.0));
    cr_assert(eq(dbl, s1->idx[s1->d + 1].st, 0.0));
    for (int i = 0; i < s1->d + CX_SOBOL_N_NOISE; i++) {
        cr_assert(eq(dbl, s1->idx[i].s1, s2->idx[i].s1));
        cr_assert(eq(dbl, s1->idx[i].st_hi, s2->idx[i].st_hi));
    }
    cx_sobol_report_free(s1);
    cx_sobol_report_free(s2);
    cx_model_free(m);
    cx_scenario_free(sc);
}

Test(studies, sweep_point_equals_a_separate_run, .init = setup)
{
    cx_scenario *sc = load_small();
    char err[512] = "";
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 3000;
    o.seed = 8;
    o.threads = 2;
    for (int s = 0; s < 2; s++) {
        cx_sampling method = s == 0 ? CX_SAMPLING_MC : CX_SAMPLING_LHS;
        cx_sweep_report *r;
        cr_assert(eq(int, cx_sweep_run(&r, sc, &o, method, s == 1, err, sizeof err), 0), "%s",
                  err);
        cr_assert(eq(int, r->n_points, 2));
        /* The second point, run on its own (1 thread) with the input fixed at 12. */
        cx_scenario *fixed;
        int in = cx_scenario_find_input(sc, "supply.tranches.a.cost_per_gw_year");
        cr_assert(eq(int, cx_scenario_with_fixed(&fixed, sc, in, 12.0), 0));
        cx_engine_opts o1 = o;
        o1.threads = 1;
        cx_run *run;
        cr_assert(eq(int, cx_sens_engine_run(&run, fixed, &o1, method, s == 1, err, sizeof err),
                     0));
        cx_report *rep;
        cr_assert(eq(int, cx_report_new(&rep, run->accum), 0));
        cr_assert(eq(dbl, r->pt[1].value[0], 12.0));
        for (int k = 0; k < CX_N_METRICS; k++)
            cr_assert(memcmp(&rep->metric[k], &r->pt[1].report->metric[k],
                             sizeof rep->metric[k]) == 0,
                      "metric %d", k);
        /* Common random numbers: burden scales with the cost exactly (idle does not move),
         * so the means are in the ratio 12 / 8. */
        double b8 = r->pt[0].report->metric[CX_M_CAPEX_BURDEN].mean;
        double b12 = r->pt[1].report->metric[CX_M_CAPEX_BURDEN].mean;
        cr_assert(lt(dbl, fabs(b12 / b8 - 1.5), 1e-9));
        cx_report_free(rep);
        cx_run_free(run);
        cx_scenario_free(fixed);
        cx_sweep_report_free(r);
    }
    cx_scenario_free(sc);
}

Test(studies, target_ci_stops_when_met, .init = setup)
{
    cx_scenario *sc = load_small();
    char err[512] = "";
    cx_target_ci t;
    cr_assert(eq(int, cx_target_ci_parse(&t, "capex_burden:0.95:0.01", err, sizeof err), 0));
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 100000000; /* far more than needed: the predicate must stop it */
    o.seed = 1;
    o.threads = 2;
    o.stop = cx_target_ci_stop;
    o.cb_ctx = &t;
    o.stop_needs_accum = true;
    cx_run *run;
    cr_assert(eq(int, cx_sens_engine_run(&run, sc, &o, CX_SAMPLING_MC, false, err, sizeof err),
                 0), "%s", err);
    cr_assert(run->stopped);
    cr_assert(not(run->complete));
    cr_assert(lt(u64, run->paths_done, o.paths));
    double v, lo, hi;
    cr_assert(cx_target_ci_met(run->accum->metric[CX_M_CAPEX_BURDEN], &t, &v, &lo, &hi));
    cr_assert(lt(dbl, hi - lo, 0.01 * fabs(v)));
    cx_run_free(run);
    cx_scenario_free(sc);
}

/* ------------------------------------------------------------------------------------- */
/* The Sobol design on plain functions (issue 20 item 4): the same core as the model path */
/* ------------------------------------------------------------------------------------- */

/* A plain function of d uniforms, with index k < d swapping column k and index d + g
 * swapping every column of group g (a bit mask). */
typedef struct plain_fn {
    double (*f)(const double *u);
    int d, n_groups;
    unsigned group[4];
} plain_fn;

static void plain_sample(void *ctx, int thread, const double *ua, const double *ub,
                         uint64_t key, double *fa, double *fb, double *fab)
{
    const plain_fn *p = ctx;
    double u[8];
    (void)thread;
    (void)key;
    *fa = p->f(ua);
    *fb = p->f(ub);
    for (int k = 0; k < p->d + p->n_groups; k++) {
        for (int c = 0; c < p->d; c++) {
            bool swap = k < p->d ? c == k : (p->group[k - p->d] >> c) & 1u;
            u[c] = swap ? ub[c] : ua[c];
        }
        fab[k] = p->f(u);
    }
}

/* f = sum w_c x_c with x_c ~ U(0, 1) independent: S1_c = ST_c = w_c^2 / sum w^2, exactly
 * (no interactions): weights 1, 2, 3, 4 give 1/30, 4/30, 9/30, 16/30. */
static double linear4(const double *u)
{
    return 1.0 * u[0] + 2.0 * u[1] + 3.0 * u[2] + 4.0 * u[3];
}

static int design_run(const plain_fn *p, uint64_t base, int threads, cx_sampling method,
                      double target, cx_sobol_index *idx, cx_sobol_outcome *out, char *err)
{
    cx_sobol_design des = {.d = p->d, .n_idx = p->d + p->n_groups, .fn = plain_sample,
                           .ctx = (void *)p, .base = base, .seed = 2026, .threads = threads,
                           .block_paths = 256, .sampling = method, .target_ci = target};
    return cx_sobol_design_run(&des, idx, out, err, 512);
}

/* Every index within 4 standard errors of its exact value (two-sided 6e-5 each: a 95% CI
 * would miss one of a dozen checks one time in two), and its SE a real one. */
static void within_se(const cx_sobol_index *x, double s1, double st, const char *what)
{
    cr_assert(gt(dbl, x->s1_se, 0.0), "%s", what);
    cr_assert(gt(dbl, x->st_se, 0.0), "%s", what);
    cr_assert(le(dbl, fabs(x->s1 - s1), 4.0 * x->s1_se), "%s S1 %g, exact %g, se %g", what,
              x->s1, s1, x->s1_se);
    cr_assert(le(dbl, fabs(x->st - st), 4.0 * x->st_se), "%s ST %g, exact %g, se %g", what,
              x->st, st, x->st_se);
}

Test(sobol_design, linear_sum_exact_indices, .init = setup)
{
    plain_fn p = {.f = linear4, .d = 4};
    cx_sobol_index idx[4];
    cx_sobol_outcome out;
    char err[512];
    cr_assert(eq(int, design_run(&p, 8192, 2, CX_SAMPLING_MC, 0, idx, &out, err), 0), "%s", err);
    const double w2[4] = {1, 4, 9, 16};
    for (int c = 0; c < 4; c++)
        within_se(&idx[c], w2[c] / 30.0, w2[c] / 30.0, "linear");
    cr_assert(eq(int, out.sum.batches, 32));
    cr_assert(eq(int, out.stages, 1));
}

Test(sobol_design, ishigami_and_its_groups, .init = setup)
{
    /* groups {x1, x3} (mask 5) and {x1, x2} (mask 3): closed first order S1 + S3 + S13 =
     * 0.3139 + 0 + 0.2437 = 0.5576 and S1 + S2 = 0.7563 (S12 = 0); total effects
     * 1 - S2 = 0.5576 and 1 - S3 = 1 (the Ishigami values above). */
    plain_fn p = {.f = ishigami, .d = 3, .n_groups = 2, .group = {5u, 3u}};
    cx_sobol_index idx[5];
    cx_sobol_outcome out;
    char err[512];
    cr_assert(eq(int, design_run(&p, 16384, 2, CX_SAMPLING_MC, 0, idx, &out, err), 0), "%s",
              err);
    const double V = 13.8446, V1 = 4.3459, V2 = 6.125, V13 = 3.3737;
    within_se(&idx[0], V1 / V, (V1 + V13) / V, "x1");
    within_se(&idx[1], V2 / V, V2 / V, "x2");
    within_se(&idx[2], 0.0, V13 / V, "x3");
    within_se(&idx[3], (V1 + V13) / V, (V1 + V13) / V, "group x1 x3");
    within_se(&idx[4], (V1 + V2) / V, 1.0, "group x1 x2");
}

Test(sobol_design, too_few_samples_is_a_usage_error_naming_the_minimum, .init = setup)
{
    plain_fn p = {.f = linear4, .d = 4};
    cx_sobol_index idx[4];
    cx_sobol_outcome out;
    char err[512] = "";
    /* 8 blocks of 256 = 2048 at least */
    cr_assert(eq(int, design_run(&p, 2047, 1, CX_SAMPLING_MC, 0, idx, &out, err),
                 CX_ERR_USAGE));
    cr_assert(not(eq(ptr, strstr(err, "2048"), NULL)), "%s", err);
    cr_assert(eq(int, design_run(&p, 10, 1, CX_SAMPLING_MC, 0, idx, &out, err), CX_ERR_USAGE));
    cr_assert(eq(int, design_run(&p, 2048, 1, CX_SAMPLING_MC, 0, idx, &out, err), 0), "%s", err);
    for (int c = 0; c < 4; c++)
        cr_assert(not(isnan(cx_sobol_half_width(&idx[c]))));
}

Test(sobol_design, ranked_by_total_effect_or_config_order, .init = setup)
{
    plain_fn p = {.f = linear4, .d = 4};
    cx_sobol_index idx[4];
    cx_sobol_outcome out;
    char err[512];
    cr_assert(eq(int, design_run(&p, 4096, 1, CX_SAMPLING_MC, 0, idx, &out, err), 0), "%s", err);
    int rank[4];
    cx_sobol_rank(idx, 4, CX_SOBOL_BY_ST, rank);
    for (int k = 0; k < 4; k++)
        cr_assert(eq(int, rank[k], 3 - k));
    cx_sobol_rank(idx, 4, CX_SOBOL_BY_INPUT, rank);
    for (int k = 0; k < 4; k++)
        cr_assert(eq(int, rank[k], k));
    /* NaN last, ties in index order */
    cx_sobol_index t[3] = {{.st = NAN}, {.st = 0.5}, {.st = 0.5}};
    cx_sobol_rank(t, 3, CX_SOBOL_BY_ST, rank);
    cr_assert(eq(int, rank[0], 1));
    cr_assert(eq(int, rank[1], 2));
    cr_assert(eq(int, rank[2], 0));
}

Test(sobol_design, same_bytes_for_any_thread_count_and_target_stages, .init = setup)
{
    plain_fn p = {.f = ishigami, .d = 3, .n_groups = 1, .group = {5u}};
    cx_sobol_index a[4], b[4], c[4];
    cx_sobol_outcome oa, ob, oc;
    char err[512];
    cr_assert(eq(int, design_run(&p, 2048, 1, CX_SAMPLING_SOBOL, 0.02, a, &oa, err), 0), "%s",
              err);
    cr_assert(eq(int, design_run(&p, 2048, 3, CX_SAMPLING_SOBOL, 0.02, b, &ob, err), 0), "%s",
              err);
    cr_assert(eq(int, memcmp(a, b, sizeof a), 0));
    cr_assert(eq(int, memcmp(&oa, &ob, sizeof oa), 0));
    /* the stages went on until the target was met, and the result is that of a plain run
     * of the final size (stages are whole blocks) */
    cr_assert(oa.target_met);
    cr_assert(gt(int, oa.stages, 1));
    cr_assert(le(dbl, oa.max_half_width, 0.02));
    cr_assert(eq(u64, oa.sum.n % 256, 0));
    cr_assert(eq(int, design_run(&p, oa.sum.n, 2, CX_SAMPLING_SOBOL, 0, c, &oc, err), 0), "%s",
              err);
    cr_assert(eq(int, memcmp(a, c, sizeof a), 0));
}

Test(sobol_design, warnings_for_wide_or_negative_indices, .init = setup)
{
    cx_sobol_index x[3] = {
        {.s1 = 0.1, .s1_lo = 0.09, .s1_hi = 0.11, .st = 0.1, .st_lo = 0.09, .st_hi = 0.11},
        {.s1 = 0.1, .s1_lo = 0.0, .s1_hi = 0.2, .st = 0.1, .st_lo = 0.09, .st_hi = 0.11},
        {.s1 = -0.1, .s1_lo = -0.12, .s1_hi = -0.08, .st = 0.0, .st_lo = 0.0, .st_hi = 0.0}};
    const char *names[3] = {"ok", "wide", "negative"};
    char **list = NULL;
    int n = 0;
    cr_assert(eq(int, cx_sobol_warnings(x, 3, names, &list, &n), 0));
    cr_assert(eq(int, n, 2));
    cr_assert(not(eq(ptr, strstr(list[0], "wide"), NULL)), "%s", list[0]);
    cr_assert(not(eq(ptr, strstr(list[1], "negative"), NULL)), "%s", list[1]);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* The model study's JSON, without the keys that may differ between thread counts. */
static char *sobol_json_text(const cx_sobol_report *s, const cx_scenario *sc)
{
    json_t *j = cx_sobol_report_json(s, sc);
    json_object_del(j, "threads");
    json_object_del(j, "elapsed_s");
    char *t = json_dumps(j, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(j);
    return t;
}

Test(studies, sobol_model_json_bytes_groups_and_usage_error, .init = setup)
{
    cx_scenario *sc = load_small();
    cx_model *m;
    char err[512] = "";
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0), "%s", err);
    const char *const cost[] = {"supply.tranches.a.cost_per_gw_year", "market"};
    const cx_sobol_group groups[] = {{.name = "cost and market", .n = 2, .members = cost}};
    cx_study_opts o = {.paths = 4096, .seed = 5, .threads = 1, .metric = CX_M_CAPEX_BURDEN,
                       .sobol = {.n_groups = 1, .groups = groups}};
    cx_sobol_report *s1, *s2, *bad = NULL;
    cr_assert(eq(int, cx_sobol_run(&s1, sc, m, &o, err, sizeof err), 0), "%s", err);
    o.threads = 2;
    cr_assert(eq(int, cx_sobol_run(&s2, sc, m, &o, err, sizeof err), 0), "%s", err);
    char *t1 = sobol_json_text(s1, sc), *t2 = sobol_json_text(s2, sc);
    cr_assert(eq(str, t1, t2));
    free(t1);
    free(t2);
    /* ranked by ST: gw first; the group (cost and drift: burden = (gw - 1) cost) holds
     * cost's share: its closed S1 = its ST = 1 - S_gw, close to 0; evaluations d + 4 + 1 */
    cr_assert(eq(str, sc->inputs[s1->input[s1->rank[0]]].name, "supply.tranches.a.gw"));
    cr_assert(eq(int, s1->n_groups, 1));
    cr_assert(eq(int, s1->group_size[0], 2));
    cr_assert(eq(u64, s1->evaluations, 4096u * 8u));
    const cx_sobol_index *g = &s1->idx[s1->d + CX_SOBOL_N_NOISE], *gw = &s1->idx[s1->rank[0]];
    cr_assert(le(dbl, fabs(g->st - (1.0 - gw->s1)), 4.0 * (g->st_se + gw->s1_se) + 1e-3));
    /* below 8 blocks: a usage error naming the minimum, never NaN intervals */
    o.paths = 10;
    err[0] = '\0';
    cr_assert(eq(int, cx_sobol_run(&bad, sc, m, &o, err, sizeof err), CX_ERR_USAGE));
    cr_assert(eq(ptr, bad, NULL));
    cr_assert(not(eq(ptr, strstr(err, "2048"), NULL)), "%s", err);
    cx_sobol_report_free(s1);
    cx_sobol_report_free(s2);
    cx_model_free(m);
    cx_scenario_free(sc);
}

/*
 * Issue 20: on the default scenario (configs/meta-2026h1.cfg) whether MSL succeeds is the
 * largest driver of capex_burden, and both studies say so by name. Tornado: msl.success's row
 * compares the paths where it fails (low) with those where it succeeds (high), so its two
 * groups partition the paths and their means recombine to the overall mean; failure leaves
 * MSL's capacity idle (mean low > mean high). Measured at 100,000 paths: 68.2 vs 12.5 $B,
 * swing 55.7. Sobol: msl.success has the largest total effect, its CI clear of the next row
 * (measured at 16,384 base samples: ST 0.512 [0.495, 0.529], msl.p_success 0.308).
 * Both: the same bytes at 1 and 2 threads.
 */
Test(studies, msl_success_drives_the_burden_on_the_default_scenario, .init = setup)
{
    cx_scenario *sc;
    cx_model *m;
    char err[512];
    cr_assert(eq(int, cx_scenario_load_default(&sc, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0), "%s", err);
    const int u = cx_scenario_find_input(sc, "msl.success");
    cr_assert(u >= 0);
    cx_study_opts o = {.paths = 20000, .seed = 7, .threads = 1, .metric = CX_M_CAPEX_BURDEN};
    cx_tornado_report *t1, *t2;
    cr_assert(eq(int, cx_tornado_run(&t1, sc, m, &o, err, sizeof err), 0), "%s", err);
    o.threads = 2;
    cr_assert(eq(int, cx_tornado_run(&t2, sc, m, &o, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, memcmp(t1->rows, t2->rows, (size_t)t1->d * sizeof *t1->rows), 0));
    const cx_tornado_row *r = &t1->rows[0];
    cr_assert(eq(int, r->input, u), "first row: %s", sc->inputs[r->input].name);
    cr_assert(eq(dbl, r->x_low, 0.0));
    cr_assert(eq(dbl, r->x_high, 1.0));
    cr_assert(eq(u64, r->n_low + r->n_high, t1->paths));
    double mix = (r->mean_low * (double)r->n_low + r->mean_high * (double)r->n_high) /
                 (double)t1->paths;
    cr_assert(lt(dbl, fabs(mix - t1->mean), 1e-9 * t1->mean), "%.12g vs %.12g", mix, t1->mean);
    cr_assert(gt(dbl, r->mean_low, r->mean_high));
    cx_tornado_report_free(t1);
    cx_tornado_report_free(t2);

    cx_sobol_report *s1, *s2;
    o.paths = 2048;
    o.threads = 1;
    cr_assert(eq(int, cx_sobol_run(&s1, sc, m, &o, err, sizeof err), 0), "%s", err);
    o.threads = 2;
    cr_assert(eq(int, cx_sobol_run(&s2, sc, m, &o, err, sizeof err), 0), "%s", err);
    const int nn = s1->d + CX_SOBOL_N_NOISE;
    cr_assert(eq(int, memcmp(s1->idx, s2->idx, (size_t)nn * sizeof *s1->idx), 0));
    const cx_sobol_index *top = &s1->idx[s1->rank[0]], *next = &s1->idx[s1->rank[1]];
    cr_assert(lt(int, s1->rank[0], s1->d));
    cr_assert(eq(int, s1->input[s1->rank[0]], u), "first: %s",
                 s1->rank[0] < s1->d ? sc->inputs[s1->input[s1->rank[0]]].name : "noise");
    cr_assert(gt(dbl, top->st_lo, next->st_hi), "ST %.3f [%.3f, %.3f], next %.3f [%.3f, %.3f]",
              top->st, top->st_lo, top->st_hi, next->st, next->st_lo, next->st_hi);
    /* the two per-month groups are rows of their own */
    for (int k = 0; k < CX_SOBOL_N_NOISE; k++)
        cr_assert(isfinite(s1->idx[s1->d + k].st));
    cx_sobol_report_free(s1);
    cx_sobol_report_free(s2);
    cx_model_free(m);
    cx_scenario_free(sc);
}
