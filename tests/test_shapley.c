/* SPDX-License-Identifier: MIT */
/* Tests of the Shapley effects (sim/study/shapley*.c): known answers, sums, threads, the model. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/input/scenario.h"
#include "sim/rng/normal.h"
#include "sim/rng/pcg.h"
#include "sim/study/shapley.h"

/*
 * Statistical checks use fixed seeds and a tolerance of 5 standard errors, the estimator's
 * own (from its batches), and each also asserts that standard error is small, so that no
 * check passes by a wide interval. 5 SE: about 6e-7 two-sided per check under normality;
 * this file makes 24 such checks, each estimator (independent steps, and common random
 * numbers) taking 12: 3 shares and the variance of the linear Gaussian, 4 shares of the
 * additive function, 4 shares on the model; a false failure is then about 1.4e-5 for a seed
 * (fixed, so a pass stays a pass). The model check adds 1e-3 for its closed form's own
 * approximation (the cost's direct part, ~1e-4 of the variance).
 */
#define N_SE 5.0

static void setup(void)
{
    gsl_set_error_handler_off();
}

/* A plain function of the players for the design. */
typedef struct plain {
    int g, s;
    double (*f)(const struct plain *p, const double *z, const uint64_t *keys);
    double b[4], sd[4];
} plain;

static void plain_fn(void *ctx, int thread, int n, const double *z, const uint64_t *keys,
                     double *y)
{
    (void)thread;
    const plain *p = ctx;
    for (int i = 0; i < n; i++)
        y[i] = p->f(p, z + (size_t)i * (size_t)p->g, keys + (size_t)i * (size_t)p->s);
}

/* The design on p: crn as cx_shapley_design.crn (both are checked wherever it matters). */
static int run_plain(plain *p, const double *corr, uint64_t perms, uint64_t seed, int threads,
                     bool crn, cx_shapley_effect *eff, cx_shapley_outcome *out)
{
    char err[512] = "";
    cx_shapley_design des = {.n_gauss = p->g, .corr = corr, .n_stream = p->s, .fn = plain_fn,
                             .ctx = p, .perms = perms, .seed = seed, .threads = threads,
                             .crn = crn};
    int rc = cx_shapley_design_run(&des, eff, out, err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    return rc;
}

/* ---- (a) a linear function of correlated Gaussian inputs: exact effects ---- */

/* Y = sum b_i X_i, X_i = sd_i z_i, z ~ N(0, R). */
static double linear(const plain *p, const double *z, const uint64_t *keys)
{
    (void)keys;
    double y = 0.0;
    for (int i = 0; i < p->g; i++)
        y += p->b[i] * p->sd[i] * z[i];
    return y;
}

/* c(J) = E[Var(Y | X_K)] = b_J' (S_JJ - S_JK S_KK^-1 S_KJ) b_J (K the rest; constant in X_K
 * for Gaussians), S = cov(X), with S_KK inverted by LU (not the estimator's Cholesky). */
static double cost(const plain *p, const double *R, unsigned J)
{
    const int d = p->g;
    int jj[4], kk[4], nj = 0, nk = 0;
    for (int i = 0; i < d; i++) {
        if (J >> i & 1u)
            jj[nj++] = i;
        else
            kk[nk++] = i;
    }
    if (nj == 0)
        return 0.0;
#define COV(a, b) (R[(a) * d + (b)] * p->sd[a] * p->sd[b])
    double S[4][4];
    for (int a = 0; a < nj; a++)
        for (int b = 0; b < nj; b++)
            S[a][b] = COV(jj[a], jj[b]);
    if (nk > 0) {
        gsl_matrix *kkm = gsl_matrix_alloc((size_t)nk, (size_t)nk), *inv = gsl_matrix_alloc((size_t)nk, (size_t)nk);
        gsl_permutation *perm = gsl_permutation_alloc((size_t)nk);
        int sign;
        for (int a = 0; a < nk; a++)
            for (int b = 0; b < nk; b++)
                gsl_matrix_set(kkm, (size_t)a, (size_t)b, COV(kk[a], kk[b]));
        gsl_linalg_LU_decomp(kkm, perm, &sign);
        gsl_linalg_LU_invert(kkm, perm, inv);
        for (int a = 0; a < nj; a++)
            for (int b = 0; b < nj; b++)
                for (int u = 0; u < nk; u++)
                    for (int v = 0; v < nk; v++)
                        S[a][b] -= COV(jj[a], kk[u]) * gsl_matrix_get(inv, (size_t)u, (size_t)v) *
                                   COV(kk[v], jj[b]);
        gsl_matrix_free(kkm);
        gsl_matrix_free(inv);
        gsl_permutation_free(perm);
    }
#undef COV
    double c = 0.0;
    for (int a = 0; a < nj; a++)
        for (int b = 0; b < nj; b++)
            c += p->b[jj[a]] * S[a][b] * p->b[jj[b]];
    return c;
}

/* Exact Shapley effects by enumerating subsets: Sh_i = sum over J without i of
 * |J|! (d - |J| - 1)! / d! (c(J + i) - c(J)). */
static void exact_shapley(const plain *p, const double *R, double *sh)
{
    const int d = p->g;
    double fact[5] = {1, 1, 2, 6, 24};
    for (int i = 0; i < d; i++) {
        sh[i] = 0.0;
        for (unsigned J = 0; J < 1u << d; J++) {
            if (J >> i & 1u)
                continue;
            const int k = __builtin_popcount(J);
            sh[i] += fact[k] * fact[d - k - 1] / fact[d] * (cost(p, R, J | 1u << i) - cost(p, R, J));
        }
    }
}

Test(shapley, enumeration_matches_iooss_prieur_closed_form, .init = setup)
{
    /* Iooss and Prieur (2019), d = 3, X1 independent, corr(X2, X3) = rho */
    const double rho = 0.6;
    plain p = {.g = 3, .f = linear, .b = {1.0, -0.5, 2.0}, .sd = {1.5, 1.0, 0.7}};
    const double R[9] = {1, 0, 0, 0, 1, rho, 0, rho, 1};
    double sh[3];
    exact_shapley(&p, R, sh);
    const double b2 = p.b[1] * p.sd[1], b3 = p.b[2] * p.sd[2];
    const double want[3] = {p.b[0] * p.b[0] * p.sd[0] * p.sd[0],
                            b2 * b2 * (1 - rho * rho / 2) + rho * rho * b3 * b3 / 2 + rho * b2 * b3,
                            b3 * b3 * (1 - rho * rho / 2) + rho * rho * b2 * b2 / 2 + rho * b2 * b3};
    for (int i = 0; i < 3; i++)
        cr_assert(fabs(sh[i] - want[i]) < 1e-12, "Sh_%d %.15g, closed form %.15g", i, sh[i], want[i]);
}

Test(shapley, linear_correlated_gaussian_known_answer, .init = setup)
{
    plain p = {.g = 3, .f = linear, .b = {1.0, 1.0, 1.0}, .sd = {1.0, 1.0, 2.0}};
    const double R[9] = {1, 0.3, 0, 0.3, 1, 0.7, 0, 0.7, 1};
    double sh[3], V = 0.0;
    exact_shapley(&p, R, sh);
    for (int i = 0; i < 3; i++)
        V += sh[i];
    cx_shapley_effect eff[3];
    cx_shapley_outcome out;
    for (int crn = 0; crn < 2; crn++) {
    run_plain(&p, R, 1u << 15, 7, 2, crn, eff, &out);
    for (int i = 0; i < 3; i++) {
        cr_log_info("linear (crn %d): player %d share %.4f exact %.4f se %.4f", crn, i,
                    eff[i].share, sh[i] / V, eff[i].se);
        cr_assert(eff[i].se < 0.01, "player %d: se %g", i, eff[i].se);
        cr_assert(fabs(eff[i].share - sh[i] / V) < N_SE * eff[i].se,
                  "player %d: share %.4f, exact %.4f (se %.4f)", i, eff[i].share, sh[i] / V, eff[i].se);
    }
    const double vse = (out.var_hi - out.var_lo) / 2 / 1.96;
    cr_assert(fabs(out.variance - V) < N_SE * vse, "variance %g, exact %g (se %g)", out.variance, V, vse);
    }
}

/* ---- (b) independent inputs: an additive function's effects are its first-order indices ---- */

/* z1 + z2^2 + 2 sin(z3) + 0.5 N(key): variances 1, 2, 2 (1 - e^-2), 0.25. */
static double additive(const plain *p, const double *z, const uint64_t *keys)
{
    (void)p;
    cx_pcg64 g;
    cx_pcg64_stream(&g, keys[0], 0);
    return z[0] + z[1] * z[1] + 2.0 * sin(z[2]) + 0.5 * cx_normal(&g);
}

Test(shapley, independent_additive_equals_first_order, .init = setup)
{
    plain p = {.g = 3, .s = 1, .f = additive};
    const double v[4] = {1.0, 2.0, 2.0 * (1.0 - exp(-2.0)), 0.25};
    const double V = v[0] + v[1] + v[2] + v[3];
    cx_shapley_effect eff[4];
    cx_shapley_outcome out;
    for (int crn = 0; crn < 2; crn++) {
        run_plain(&p, NULL, 1u << 14, 11, 2, crn, eff, &out);
        for (int i = 0; i < 4; i++) {
            cr_log_info("additive (crn %d): player %d share %.4f S1 %.4f se %.4f", crn, i,
                        eff[i].share, v[i] / V, eff[i].se);
            cr_assert(eff[i].se < 0.015, "player %d: se %g", i, eff[i].se);
            cr_assert(fabs(eff[i].share - v[i] / V) < N_SE * eff[i].se,
                      "player %d: share %.4f, S1 %.4f (se %.4f)", i, eff[i].share, v[i] / V,
                      eff[i].se);
        }
    }
}

/* ---- (c) the effects sum to the variance; (d) the same bytes for any thread count ---- */

Test(shapley, effects_sum_to_the_variance, .init = setup)
{
    plain p = {.g = 3, .s = 1, .f = additive};
    cx_shapley_effect eff[4];
    cx_shapley_outcome out;
    run_plain(&p, NULL, 1000, 5, 1, true, eff, &out);
    double sum = 0.0, sum_share = 0.0;
    for (int i = 0; i < 4; i++) {
        sum += eff[i].effect;
        sum_share += eff[i].share;
    }
    cr_assert(fabs(sum - out.variance) <= 1e-12 * out.variance, "%.17g vs %.17g", sum, out.variance);
    cr_assert(fabs(sum_share - 1.0) <= 1e-12 && fabs(out.sum_share - 1.0) <= 1e-12);
    cr_assert(out.sum_hi - out.sum_lo < 1e-9, "the sum's CI [%g, %g]", out.sum_lo, out.sum_hi);
    cr_assert(eq(u64, out.perms, 1000));
    cr_assert(eq(u64, out.var_samples, 1000 * CX_SHAPLEY_VAR_PER_PERM));
    cr_assert(eq(u64, out.evaluations, 1000 * (3 * 3 + CX_SHAPLEY_VAR_PER_PERM)));
    cr_assert(eq(int, out.batches, CX_SHAPLEY_MAX_BATCHES));
}

Test(shapley, same_bytes_for_any_thread_count, .init = setup)
{
    plain p = {.g = 3, .s = 1, .f = additive};
    const double R[9] = {1, 0.5, 0, 0.5, 1, -0.2, 0, -0.2, 1};
    cx_shapley_effect e1[4], e[4];
    cx_shapley_outcome o1, o;
    /* 9 blocks (the last of 5) over 1, 2, 3 and 5 threads; 300 blocks: two rounds */
    const uint64_t sizes[2] = {8 * CX_SHAPLEY_BLOCK_PERMS + 5, 300 * CX_SHAPLEY_BLOCK_PERMS};
    for (int s = 0; s < 4; s++) {
        run_plain(&p, R, sizes[s % 2], 99, 1, s >= 2, e1, &o1);
        const int threads[3] = {2, 3, 5};
        for (int t = 0; t < 3; t++) {
            run_plain(&p, R, sizes[s % 2], 99, threads[t], s >= 2, e, &o);
            cr_assert(eq(int, memcmp(e1, e, sizeof e), 0), "%d threads", threads[t]);
            cr_assert(eq(int, memcmp(&o1, &o, sizeof o), 0), "%d threads", threads[t]);
        }
    }
}

/* ---- (f) bad input ---- */

Test(shapley, too_few_permutations_and_bad_matrices_are_refused, .init = setup)
{
    plain p = {.g = 3, .s = 1, .f = additive};
    cx_shapley_effect eff[4];
    cx_shapley_outcome out;
    char err[512] = "";
    cx_shapley_design des = {.n_gauss = 3, .n_stream = 1, .fn = plain_fn, .ctx = &p,
                             .perms = CX_SHAPLEY_MIN_BLOCKS * CX_SHAPLEY_BLOCK_PERMS - 1,
                             .seed = 1, .threads = 1};
    cr_assert(eq(int, cx_shapley_design_run(&des, eff, &out, err, sizeof err), CX_ERR_USAGE));
    cr_assert(strstr(err, "at least 128") != NULL, "%s", err);
    const double bad[9] = {1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1};
    des.perms = 128;
    des.corr = bad;
    err[0] = '\0';
    cr_assert(eq(int, cx_shapley_design_run(&des, eff, &out, err, sizeof err), CX_ERR_RANGE));
    cr_assert(strstr(err, "positive definite") != NULL, "%s", err);
}

/* ---- (e) the model: a small scenario with a known answer ---- */

/*
 * A 12-month scenario whose burden is (gw - 1) x cost, gw uniform on [1, 5] and cost uniform
 * on [9.9, 10.1], rank-correlated 0.8; the market's drift is uncertain and acts on nothing
 * here, nor does the per-month noise. The cost's own part of the variance is ~1e-4 of it, so
 * Y is a function of gw alone to that accuracy, and for Y = h(X1) with X2 correlated the
 * Shapley effects are Sh_2 = Var(E[Y | X2]) / 2 and Sh_1 = V - Sh_2 (two players; the others
 * get 0). With uniforms through a Gaussian copula (normal correlation r),
 * E[U1 | z2] = Phi(a z2), a^2 = r^2 / (2 - r^2), and Var(Phi(aZ)) = asin(r^2 / 2) / (2 pi):
 * Var(E[Y | X2]) / V = (6 / pi) asin(r^2 / 2). (Sobol indices with the swaps before the
 * copula give the cost ~0: its part is credited to the gw, which comes first.)
 */
static const char *small_cfg =
    "horizon_months = 12;\n"
    "supply = { tranches = ( { name = \"a\"; gw = { dist = \"uniform\"; low = 1.0; high = 5.0; };\n"
    "  cost_per_gw_year = { dist = \"uniform\"; low = 9.9; high = 10.1; }; } ); };\n"
    "msl = { schedule = ( (0, 1.0) ); };\n"
    "market = { price0 = 12.0; drift = { dist = \"uniform\"; low = -0.2; high = 0.2; }; vol = 0.2; };\n"
    "correlations = ( (\"supply.tranches.a.gw\", \"supply.tranches.a.cost_per_gw_year\", 0.8) );\n";

static int player(const cx_shapley_report *r, const cx_scenario *sc, const char *name)
{
    for (int p = 0; p < r->n_players; p++)
        if (strcmp(cx_shapley_player_name(r, sc, p), name) == 0)
            return p;
    cr_assert(false, "no player %s", name);
    return -1;
}

Test(shapley, model_small_scenario_known_answer_any_threads, .init = setup)
{
    cx_scenario *sc;
    cx_model *m;
    char err[512] = "";
    cr_assert(eq(int, cx_scenario_load_string(&sc, small_cfg, "small.cfg", err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0), "%s", err);
    for (int crn = 0; crn < 2; crn++) {
    cx_study_opts o = {.paths = 1u << 13, .seed = 3, .threads = 1, .metric = CX_M_CAPEX_BURDEN};
    const cx_shapley_args args = {.crn = crn};
    cx_shapley_report *r1, *r2;
    cr_assert(eq(int, cx_shapley_run(&r1, sc, m, &o, &args, err, sizeof err), 0), "%s", err);
    o.threads = 2;
    cr_assert(eq(int, cx_shapley_run(&r2, sc, m, &o, &args, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, r1->n_players, 5));
    cr_assert(eq(int, memcmp(r1->eff, r2->eff, (size_t)r1->n_players * sizeof *r1->eff), 0));
    cr_assert(eq(int, memcmp(r1->rank, r2->rank, (size_t)r1->n_players * sizeof *r1->rank), 0));
    const double r = 2.0 * sin(3.14159265358979323846 * 0.8 / 6.0), eta2 = 6.0 / 3.14159265358979323846 * asin(r * r / 2.0);
    const int gw = player(r1, sc, "supply.tranches.a.gw");
    const int cost = player(r1, sc, "supply.tranches.a.cost_per_gw_year");
    const int drift = player(r1, sc, "market.drift"), price = player(r1, sc, "(price path)");
    const int events = player(r1, sc, "(deal events)");
    const double want[5][2] = {{gw, 1.0 - eta2 / 2}, {cost, eta2 / 2}, {drift, 0.0}, {price, 0.0},
                               {events, 0.0}};
    for (int k = 0; k < 5; k++) {
        const cx_shapley_effect *e = &r1->eff[(int)want[k][0]];
        cr_log_info("model (crn %d): %s share %.4f want %.4f se %.4f", crn, cx_shapley_player_name(r1, sc, (int)want[k][0]),
                    e->share, want[k][1], e->se);
        cr_assert(e->se < 0.02, "%s: se %g", cx_shapley_player_name(r1, sc, (int)want[k][0]), e->se);
        cr_assert(fabs(e->share - want[k][1]) < N_SE * e->se + 1e-3, "%s: %.4f, want %.4f (se %.4f)",
                  cx_shapley_player_name(r1, sc, (int)want[k][0]), e->share, want[k][1], e->se);
    }
    cr_assert(eq(int, r1->rank[0], gw));
    cr_assert(eq(int, r1->rank[1], cost));
    cr_assert(r1->out.complete);
    json_t *j = cx_shapley_report_json(r1, sc);
    cr_assert(j != NULL);
    cr_assert(eq(str, (char *)json_string_value(json_object_get(j, "study")), "shapley"));
    cr_assert(eq(sz, json_array_size(json_object_get(j, "indices")), 5));
    json_decref(j);
    o.metric = -1;
    cx_shapley_report *bad = NULL;
    cr_assert(eq(int, cx_shapley_run(&bad, sc, m, &o, NULL, err, sizeof err), CX_ERR_RANGE));
    cr_assert(bad == NULL);
    cx_shapley_report_free(r1);
    cx_shapley_report_free(r2);
    }
    cx_model_free(m);
    cx_scenario_free(sc);
}
