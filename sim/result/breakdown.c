/* SPDX-License-Identifier: MIT */
/* The outcome breakdown's statistics: each metric given each outcome, and the variance share. */

/*
 * From one cell of sim/engine/breakdown.h (one outcome, one metric), with N paths of finite
 * values, n1 of them in group 1 (succeeds) and n0 in group 0 (fails):
 * - group means m_g = s_g / n_g and sds from the exact fixed-point sums of x and x^2;
 * - the variance share S = p (1 - p) (m1 - m0)^2 / V, p = n1 / N, V = the population variance
 *   of all N values: the between-group variance over the total, i.e. the first-order index
 *   of the outcome (Var E[X | outcome] / Var X) estimated from the split; it is also the
 *   squared correlation of X with the outcome's indicator I;
 * - its CI by the delta method. S is a smooth function of the means z = (a, b, c, d) of
 *   (I, I X, X, X^2): S = (b - a c)^2 / (a (1 - a) (d - c^2)). The covariance of z-bar comes
 *   from the blocks, which are independent replicates under every sampling method (plain MC,
 *   LHS, Sobol, antithetic): with T_b the block's totals of (I, I X, X, X^2) and n_b its
 *   paths, Cov(z-bar) = B / (B - 1) sum_b (T_b - n_b z)(T_b - n_b z)' / N^2 (the cluster
 *   formula, as sim/result/report.c's replicate_se for one mean), expanded into the kept sums
 *   sum T_b T_b', sum n_b T_b, sum n_b^2. Then Var S = g' Cov g with g the gradient of S at z,
 *   and the interval is S +- t(0.975, B - 1) sqrt(Var S), clipped to [0, 1].
 * - the group means' and shares' CIs: plain MC, m_g +- 1.96 sd_g / sqrt(n_g) and
 *   p +- 1.96 sqrt(p (1 - p) / N); under LHS, Sobol or antithetic sampling the same delta
 *   method on the cluster covariance (m1 = b / a, m0 = (c - b) / (1 - a)), with Student's t;
 * - P50 and P95 by group: the group's sketch (group 0's: the run's sketch of the metric less
 *   group 1's, exact counts), with the order-statistic interval of MODEL.md (bucket edges); CVaR95 by group: the mean of the group's worst 5% (cx_sketch_top_mean),
 *   its CI from the asymptotic variance of that estimator, (V_t + 0.95 (CVaR - VaR)^2) /
 *   (0.05 n) with V_t the variance of the worst 5% (Manistre and Hancock 2005), widened by the
 *   sketch's relative error; given when the group has at least 200 paths (10 in its tail).
 *   These two treat the paths as independent, also under LHS, Sobol and antithetic sampling,
 *   where they are approximate (docs/report.md).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "sim/base/error.h"
#include "sim/result/report.h"

#define FX 0x1p32
#define FXP 0x1p16
#define Z975 1.959963984540054

void cx_report_bd_labels(const char *name, const char **fails, const char **succeeds)
{
    size_t n = name ? strlen(name) : 0;
    *fails = "fails";
    *succeeds = "succeeds";
    if (n >= 7 && strcmp(name + n - 7, ".launch") == 0) {
        *fails = "no launch";
        *succeeds = "launches";
    } else if (n >= 8 && strcmp(name + n - 8, ".happens") == 0) {
        *fails = "does not happen";
        *succeeds = "happens";
    }
}

int cx_report_bd_index(int metric)
{
    for (int j = 0; j < CX_BD_N_METRICS; j++)
        if (cx_bd_metric[j] == metric) return j;
    return -1;
}

int cx_report_bd_top(const cx_report *r, int metric)
{
    int j = cx_report_bd_index(metric), best = -1;
    for (int k = 0; j >= 0 && k < r->n_bd; k++) {
        double s = r->bd[k].m[j].var_share;
        if (isfinite(s) && (best < 0 || s > r->bd[best].m[j].var_share)) best = k;
    }
    return best;
}

static void set_ci(double *lo, double *hi, double x, double h, double min, double max)
{
    if (!isfinite(x) || !isfinite(h)) {
        *lo = *hi = NAN;
        return;
    }
    *lo = x - h < min ? min : x - h;
    *hi = x + h > max ? max : x + h;
}

/* P50, P95 and CVaR95 of one group's sketch, with their CIs. */
static void group_tail(cx_bd_group *g, const cx_sketch *sk, int metric, double alpha)
{
    const uint64_t n = sk ? cx_sketch_count(sk) : 0;
    const int pct[2] = {50, 95};
    double *val[2] = {&g->p50, &g->p95}, *lo[2] = {&g->p50_lo, &g->p95_lo},
           *hi[2] = {&g->p50_hi, &g->p95_hi};
    for (int j = 0; j < 2; j++) {
        *val[j] = *lo[j] = *hi[j] = NAN;
        if (n == 0) continue;
        double a, b;
        if (!cx_report_metric_bounds_at_rank(sk, metric, cx_report_rank(n, pct[j]), &a, &b))
            continue;
        *val[j] = cx_report_metric_at_rank(sk, metric, cx_report_rank(n, pct[j]));
        uint64_t rl, rh;
        cx_report_ci_ranks(n, pct[j], &rl, &rh);
        cx_report_metric_bounds_at_rank(sk, metric, rl, lo[j], &b);
        cx_report_metric_bounds_at_rank(sk, metric, rh, &a, hi[j]);
    }
    g->cvar95 = g->cvar95_lo = g->cvar95_hi = NAN;
    if (n == 0 || sk->clamped) return;
    const double k = 0.05 * (double)n;
    double t, t2;
    cx_sketch_top_moments(sk, k, &t, &t2);
    g->cvar95 = cx_sketch_top_mean(sk, k);
    if (n < 200 || !isfinite(g->p95)) return;
    double vt = t2 - t * t, d = t - g->p95;
    vt = vt > 0 ? vt : 0;
    double se = sqrt((vt + 0.95 * d * d) / k);
    set_ci(&g->cvar95_lo, &g->cvar95_hi, g->cvar95, Z975 * se + alpha * fabs(g->cvar95),
           sk->min, sk->max);
}

/* The cluster covariance of z-bar (see the top of the file) into c[4][4]; false with fewer
 * than 2 blocks. */
static bool cluster_cov(const cx_bd_cell *e, long double n, const long double z[4],
                        long double c[4][4])
{
    if (e->blocks < 2) return false;
    long double tt[4][4], nt[4], nn = cx_bd_ld(e->nn, 1.0);
    int at = 0;
    for (int i = 0; i < 4; i++) {
        for (int j = i; j < 4; j++) tt[i][j] = tt[j][i] = cx_bd_ld(e->tt[at++], FXP);
        nt[i] = cx_bd_ld(e->nt[i], FXP);
    }
    const long double b = (long double)e->blocks, f = b / (b - 1) / (n * n);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            c[i][j] = f * (tt[i][j] - z[i] * nt[j] - nt[i] * z[j] + z[i] * z[j] * nn);
    return true;
}

/* g' c g, or NAN when negative by rounding beyond a hair. */
static double quad(const long double g[4], long double c[4][4])
{
    long double v = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) v += g[i] * c[i][j] * g[j];
    return v >= 0 ? (double)v : NAN;
}

/* Means, shares, the variance share and their CIs of one cell. */
static void cell_moments(cx_bd_stats *st, const cx_bd_cell *e, bool replicates)
{
    long double n[2], s[2], m2[2];
    const long double big_n = (long double)(e->n[0] + e->n[1]);
    for (int g = 0; g < 2; g++) {
        cx_bd_group *gr = &st->g[g];
        n[g] = (long double)e->n[g];
        s[g] = cx_bd_ld(e->s[g], FX);
        m2[g] = n[g] > 0 ? cx_bd_ld(e->q[g], FX) - s[g] * s[g] / n[g] : 0;
        gr->n = e->n[g];
        gr->share = big_n > 0 ? (double)(n[g] / big_n) : NAN;
        gr->mean = n[g] > 0 && !e->bad ? (double)(s[g] / n[g]) : NAN;
        gr->sd = n[g] > 1 && !e->bad ? sqrt((double)(m2[g] > 0 ? m2[g] / (n[g] - 1) : 0)) : NAN;
        double h = Z975 * gr->sd / sqrt((double)n[g]);
        set_ci(&gr->mean_lo, &gr->mean_hi, gr->mean, replicates ? NAN : h, -INFINITY, INFINITY);
        double p = gr->share;
        set_ci(&gr->share_lo, &gr->share_hi, p,
               replicates ? NAN : Z975 * sqrt(p * (1 - p) / (double)big_n), 0, 1);
    }
    st->var_share = st->var_share_lo = st->var_share_hi = NAN;
    if (e->bad || n[0] == 0 || n[1] == 0) return;
    const long double sum = s[0] + s[1], q = cx_bd_ld(e->q[0] + e->q[1], FX);
    const long double var = (q - sum * sum / big_n) / big_n;
    const long double a = n[1] / big_n, dm = s[1] / n[1] - s[0] / n[0];
    if (!(var > 0)) return;
    const long double sh = a * (1 - a) * dm * dm / var;
    st->var_share = (double)(sh > 1 ? 1 : sh);
    /* the delta method on the cluster covariance of z = (a, b, c, d) */
    const long double z[4] = {a, s[1] / big_n, sum / big_n, q / big_n};
    long double c[4][4];
    if (!cluster_cov(e, big_n, z, c)) return;
    const double t = gsl_cdf_tdist_Pinv(0.975, (double)(e->blocks - 1));
    const long double num = z[1] - z[0] * z[2], d1 = z[0] * (1 - z[0]), d2 = z[3] - z[2] * z[2];
    const long double gs[4] = {-2 * z[2] * num / (d1 * d2) - sh * (1 - 2 * z[0]) / d1,
                               2 * num / (d1 * d2), -2 * z[0] * num / (d1 * d2) + 2 * z[2] * sh / d2,
                               -sh / d2};
    set_ci(&st->var_share_lo, &st->var_share_hi, st->var_share, t * sqrt(quad(gs, c)), 0, 1);
    if (!replicates) return;
    const long double gm1[4] = {-z[1] / (z[0] * z[0]), 1 / z[0], 0, 0};
    const long double gm0[4] = {(z[2] - z[1]) / ((1 - z[0]) * (1 - z[0])), -1 / (1 - z[0]),
                                1 / (1 - z[0]), 0};
    const long double ga[4] = {1, 0, 0, 0};
    set_ci(&st->g[1].mean_lo, &st->g[1].mean_hi, st->g[1].mean, t * sqrt(quad(gm1, c)),
           -INFINITY, INFINITY);
    set_ci(&st->g[0].mean_lo, &st->g[0].mean_hi, st->g[0].mean, t * sqrt(quad(gm0, c)),
           -INFINITY, INFINITY);
    const double hs = t * sqrt(quad(ga, c));
    set_ci(&st->g[1].share_lo, &st->g[1].share_hi, st->g[1].share, hs, 0, 1);
    set_ci(&st->g[0].share_lo, &st->g[0].share_hi, st->g[0].share, hs, 0, 1);
}

int cx_report_breakdown(cx_report *r, const cx_accum *acc)
{
    const cx_breakdown *bd = acc->bd;
    r->n_bd = 0;
    if (!bd) return 0;
    cx_sketch *rest = NULL; /* group 0's values: the run's sketch less group 1's */
    if (cx_sketch_new(&rest, acc->relative_error) < 0) return CX_ERR_NOMEM;
    if (!(r->bd = calloc((size_t)bd->n_out, sizeof *r->bd))) {
        cx_sketch_free(rest);
        return CX_ERR_NOMEM;
    }
    r->n_bd = bd->n_out;
    for (int k = 0; k < bd->n_out; k++) {
        cx_bd_outcome *o = &r->bd[k];
        o->input = bd->input[k];
        o->prob = bd->prob[k];
        for (int j = 0; j < CX_BD_N_METRICS; j++) {
            const cx_bd_cell *e = &bd->cell[k * CX_BD_N_METRICS + j];
            cx_bd_stats *st = &o->m[j];
            st->metric = cx_bd_metric[j];
            st->n_bad = e->bad;
            st->blocks = e->blocks;
            cell_moments(st, e, acc->n_rq > 0);
            group_tail(&st->g[1], e->sk, st->metric, acc->relative_error);
            if (cx_sketch_subtract(rest, acc->metric[st->metric], e->sk) == 0)
                group_tail(&st->g[0], rest, st->metric, acc->relative_error);
            else
                group_tail(&st->g[0], NULL, st->metric, acc->relative_error);
        }
    }
    cx_sketch_free(rest);
    return 0;
}
