/* SPDX-License-Identifier: MIT */
/* Statistics of a run from its merged accumulators (MODEL.md, "What a run reports"). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "sim/base/error.h"
#include "sim/result/report.h"

const int cx_report_pct[CX_N_PCT] = {1, 5, 10, 25, 50, 75, 90, 95, 99};

const bool cx_report_integer_metric[CX_N_METRICS] = {
    [CX_M_MSL_SUCCESS] = true,
    [CX_M_DEALS_SIGNED] = true,
    [CX_M_DEALS_CANCELLED] = true,
    [CX_M_DEALS_CLAWED_BACK] = true,
};

double cx_report_metric_at_rank(const cx_sketch *sk, int metric, uint64_t k)
{
    bool integer = metric >= 0 && metric < CX_N_METRICS && cx_report_integer_metric[metric];
    return integer ? cx_sketch_int_value_at_rank(sk, k) : cx_sketch_value_at_rank(sk, k);
}

bool cx_report_metric_bounds_at_rank(const cx_sketch *sk, int metric, uint64_t k, double *lo,
                                     double *hi)
{
    bool resolved = cx_sketch_bounds_at_rank(sk, k, lo, hi);
    bool integer = metric >= 0 && metric < CX_N_METRICS && cx_report_integer_metric[metric];
    if (integer && isfinite(*lo) && isfinite(*hi)) {
        /* every value is an integer: the exact one lies in [ceil(lo), floor(hi)] */
        double a = ceil(*lo), b = floor(*hi);
        if (a <= b) {
            *lo = a;
            *hi = b;
        }
    }
    return resolved;
}

uint64_t cx_report_rank(uint64_t n, int pct)
{
    /* integer arithmetic: n q is exact, so ceil never sees a rounding error */
    uint64_t k = (n * (uint64_t)pct + 99) / 100;
    return k < 1 ? 1 : k > n ? n : k;
}

void cx_report_ci_ranks(uint64_t n, int pct, uint64_t *lo, uint64_t *hi)
{
    /* MODEL.md, "Statistics": distribution-free order-statistic interval */
    double q = pct / 100.0, nq = (double)(n * (uint64_t)pct) / 100.0;
    double h = 1.96 * sqrt(nq * (1 - q));
    double l = floor(nq - h), u = ceil(nq + h);
    *lo = l < 1 ? 1 : l > (double)n ? n : (uint64_t)l;
    *hi = u < 1 ? 1 : u > (double)n ? n : (uint64_t)u;
}

void cx_report_free(cx_report *r)
{
    if (!r) return;
    free(r->thresholds);
    free(r->exceed);
    for (int s = 0; s < CX_N_QSERIES; s++) free(r->quarter[s]);
    free(r->bd);
    free(r);
}

int cx_report_replicate_levels(double *q, double extra)
{
    int n = 0;
    for (int j = 0; j < CX_N_PCT; j++) q[n++] = cx_report_pct[j] / 100.0;
    if (extra > 0 && extra < 1) {
        bool have = false;
        for (int j = 0; j < n; j++) have |= q[j] == extra;
        if (!have) q[n++] = extra;
    }
    return n;
}

/*
 * Replicates (MODEL.md, "A reported interval must hold what it claims"). The mean: B
 * independent blocks of n_b paths, N = sum n_b; the mean over all paths is the weighted mean
 * sum (n_b / N) m_b of the block means, so its variance is estimated by the cluster formula
 * B / (B - 1) sum (n_b / N)^2 (m_b - m)^2 (for equal blocks: the spread of the block means
 * around m, / B (B - 1): batch means).
 * A quantile (sectioning, Asmussen and Glynn): K full batches of CX_REP_BATCH_BLOCKS blocks,
 * P paths in all, each batch's own quantile x_k; the variance of one batch's quantile is
 * estimated by sum (x_k - x)^2 / (K - 1) around the estimate x over all N paths, and scaled
 * from a batch (P / K paths) to N paths. Centring on x rather than on the mean of the x_k
 * (which are biased at O(1 / batch)) lets that bias widen, never shift, the interval. The
 * blocks after the last full batch count in x but not in the variance.
 * Intervals use Student's t with B - 1 (K - 1) degrees of freedom.
 */
static double replicate_se(const cx_accum *acc, const cx_wmoments *wm, double x, uint64_t n)
{
    uint64_t b = acc->rep_blocks;
    if (b < 2 || n == 0) return NAN;
    double nn = (double)n;
    double v = (double)b / (double)(b - 1) * cx_wmoments_dev2(wm, x) / (nn * nn);
    return sqrt(v > 0 ? v : 0);
}

static double sectioning_se(const cx_accum *acc, const cx_wmoments *wm, double x, uint64_t n)
{
    uint64_t k = acc->rep_batches;
    if (k < 2 || n == 0) return NAN;
    double per_batch = (double)acc->rep_batch_paths / (double)k;
    double v = cx_wmoments_dev2(wm, x) / (double)(k - 1) * per_batch / (double)n;
    return sqrt(v > 0 ? v : 0);
}

static double t975(uint64_t b)
{
    return b >= 2 ? gsl_cdf_tdist_Pinv(0.975, (double)(b - 1)) : NAN;
}

/* The point estimate, CI and whether it is a full interval, for level q (index rj among the
 * replicate levels, or -1 for iid), from the run's accumulator. */
static bool quantile_ci(const cx_accum *acc, int metric, double q, int rj, double *value,
                        double *lo, double *hi)
{
    const cx_sketch *sk = acc->metric[metric];
    uint64_t n = cx_sketch_count(sk);
    uint64_t k = cx_sketch_rank(n, q);
    *value = cx_report_metric_at_rank(sk, metric, k);
    if (n == 0) {
        *lo = *hi = NAN;
        return false;
    }
    if (acc->n_rq == 0) {
        /* MODEL.md, "Statistics": ranks floor/ceil(n q -+ 1.96 sqrt(n q (1 - q))), clipped */
        double nq = (double)n * q, h = 1.96 * sqrt(nq * (1 - q));
        double l = floor(nq - h), u = ceil(nq + h);
        uint64_t rl = l < 1 ? 1 : l > (double)n ? n : (uint64_t)l;
        uint64_t rh = u < 1 ? 1 : u > (double)n ? n : (uint64_t)u;
        double x;
        bool ok = cx_report_metric_bounds_at_rank(sk, metric, rl, lo, &x);
        ok &= cx_report_metric_bounds_at_rank(sk, metric, rh, &x, hi);
        return ok && nq - h >= 1 && nq + h <= (double)n;
    }
    uint64_t nm = acc->mom_metric[metric].n;
    double se = rj >= 0 ? sectioning_se(acc, &acc->rep_q[metric][rj], *value, nm) : NAN;
    double a, b;
    bool ok = cx_report_metric_bounds_at_rank(sk, metric, k, &a, &b);
    if (!isfinite(se)) {
        *lo = *hi = NAN;
        return false;
    }
    double h = t975(acc->rep_batches) * se;
    *lo = a - h < sk->min ? sk->min : a - h;
    *hi = b + h > sk->max ? sk->max : b + h;
    return ok;
}

bool cx_report_quantile_ci(const cx_accum *acc, int metric, double q, double *value, double *lo,
                           double *hi)
{
    int rj = acc->n_rq ? cx_accum_replicate_index(acc, q) : -1;
    return quantile_ci(acc, metric, q, rj, value, lo, hi);
}

static void metric_stats(cx_metric_stats *st, int metric, const cx_accum *acc)
{
    const cx_sketch *sk = acc->metric[metric];
    const cx_moments *mom = &acc->mom_metric[metric];
    uint64_t n = cx_sketch_count(sk);
    st->n = n;
    st->mean = mom->n ? mom->mean : NAN;
    st->sd = cx_moments_sd(mom);
    if (acc->n_rq)
        st->se = replicate_se(acc, &acc->rep_mean[metric], st->mean, mom->n);
    else
        st->se = mom->n >= 2 ? st->sd / sqrt((double)mom->n) : NAN;
    st->min = n ? sk->min : NAN;
    st->max = n ? sk->max : NAN;
    st->n_nan = sk->nan;
    st->n_inf = sk->inf;
    st->n_out_of_range = sk->clamped - sk->inf;
    st->unresolved = 0;
    for (int j = 0; j < CX_N_PCT; j++) {
        uint64_t k = cx_report_rank(n, cx_report_pct[j]);
        st->pct[j] = cx_report_metric_at_rank(sk, metric, k);
        /* never a percentile the sketch cannot resolve as if it could */
        if (!cx_report_metric_bounds_at_rank(sk, metric, k, &st->pct_lo[j], &st->pct_hi[j]) &&
            n) {
            st->unresolved |= 1u << j;
            st->pct[j] = NAN;
        }
        if (acc->n_rq) {
            /* replicates: sectioning around the bucket that holds the estimate */
            double v, q = cx_report_pct[j] / 100.0;
            quantile_ci(acc, metric, q, cx_accum_replicate_index(acc, q), &v, &st->ci_lo[j],
                        &st->ci_hi[j]);
            continue;
        }
        uint64_t lo, hi;
        cx_report_ci_ranks(n, cx_report_pct[j], &lo, &hi);
        /* MODEL.md, "A reported interval must hold what it claims": bucket edges */
        double a, b;
        cx_report_metric_bounds_at_rank(sk, metric, lo, &a, &b);
        st->ci_lo[j] = a;
        cx_report_metric_bounds_at_rank(sk, metric, hi, &a, &b);
        st->ci_hi[j] = b;
    }
}

/* The value of rank k, or NAN where the sketch cannot resolve it (out-of-range values). */
static double resolved_value(const cx_sketch *sk, uint64_t k)
{
    double lo, hi;
    if (!cx_sketch_bounds_at_rank(sk, k, &lo, &hi)) return NAN;
    return cx_sketch_value_at_rank(sk, k);
}

int cx_report_new(cx_report **out, const cx_accum *acc)
{
    *out = NULL;
    if (acc->paths == 0) return CX_ERR_RANGE;
    cx_report *r = calloc(1, sizeof *r);
    if (!r) return CX_ERR_NOMEM;
    r->paths = acc->paths;
    r->relative_error = acc->relative_error;
    r->n_thresholds = acc->n_thresholds;
    r->n_quarters = acc->n_quarters;
    r->thresholds = calloc((size_t)acc->n_thresholds + 1, sizeof *r->thresholds);
    r->exceed = calloc((size_t)acc->n_thresholds + 1, sizeof *r->exceed);
    for (int s = 0; s < CX_N_QSERIES; s++)
        r->quarter[s] = calloc((size_t)acc->n_quarters + 1, sizeof *r->quarter[s]);
    if (!r->thresholds || !r->exceed || !r->quarter[0] || !r->quarter[1] || !r->quarter[2]) {
        cx_report_free(r);
        return CX_ERR_NOMEM;
    }
    r->n_metrics = CX_N_BASE_METRICS;
    r->horizon_months = 3 * acc->n_quarters;
    r->interval_method = acc->n_rq ? CX_INTERVAL_REPLICATES : CX_INTERVAL_IID;
    r->replicates = acc->n_rq ? acc->rep_blocks : 0;
    r->replicate_batches = acc->n_rq ? acc->rep_batches : 0;
    for (int i = 0; i < CX_N_METRICS; i++) metric_stats(&r->metric[i], i, acc);
    /* MODEL.md, "Statistics": P(burden > x) is strict; counted exactly per path */
    for (int j = 0; j < acc->n_thresholds; j++) {
        r->thresholds[j] = acc->thresholds[j];
        r->exceed[j] = (double)acc->exceed[j] / (double)acc->paths;
    }
    /* CVaR95: mean of the worst 5% (the largest burdens), the boundary path weighted by the
     * fraction of it that 0.05 n covers; from the sketch, so within its relative error */
    const cx_sketch *burden = acc->metric[CX_M_CAPEX_BURDEN];
    r->burden_cvar95 = cx_sketch_top_mean(burden, 0.05 * (double)cx_sketch_count(burden));
    for (int s = 0; s < CX_N_QSERIES; s++)
        for (int q = 0; q < acc->n_quarters; q++) {
            int k = s * acc->n_quarters + q;
            const cx_sketch *sk = acc->quarter[k];
            cx_quarter_stats *qs = &r->quarter[s][q];
            uint64_t n = cx_sketch_count(sk);
            qs->mean = acc->mom_quarter[k].n ? acc->mom_quarter[k].mean : NAN;
            qs->p5 = resolved_value(sk, cx_report_rank(n, 5));
            qs->p50 = resolved_value(sk, cx_report_rank(n, 50));
            qs->p95 = resolved_value(sk, cx_report_rank(n, 95));
            qs->n_nonfinite = sk->nan + sk->inf;
            qs->n_out_of_range = sk->clamped - sk->inf;
        }
    if (cx_report_breakdown(r, acc) < 0) {
        cx_report_free(r);
        return CX_ERR_NOMEM;
    }
    *out = r;
    return 0;
}

void cx_report_set_scenario(cx_report *r, const cx_scenario *sc)
{
    r->n_metrics = cx_metric_count(sc);
    r->discount_rate = sc->has_discount ? sc->discount_rate : 0.0;
    r->start_year = sc->start_year;
    r->start_month = sc->start_month;
    r->horizon_months = sc->horizon_months;
    for (int k = 0; k < r->n_bd; k++) {
        cx_bd_outcome *o = &r->bd[k];
        if (o->input < sc->n_inputs) o->name = sc->inputs[o->input].name;
        if (o->prob < sc->n_inputs) o->prob_name = sc->inputs[o->prob].name;
    }
}

bool cx_report_month_label(const cx_report *r, int t, char *buf, size_t len)
{
    buf[0] = 0;
    if (r->start_year <= 0 || t < 0) return false;
    int k = r->start_month - 1 + t; /* months since January of the start year */
    snprintf(buf, len, "%04d-%02d", r->start_year + k / 12, k % 12 + 1);
    return true;
}

bool cx_report_quarter_label(const cx_report *r, int q, char *buf, size_t len)
{
    buf[0] = 0;
    if (r->start_year <= 0 || q < 0) return false;
    if ((r->start_month - 1) % 3 == 0) {
        /* month 0 starts a calendar quarter, so every quarter of the run is one */
        int k = r->start_month - 1 + 3 * q;
        snprintf(buf, len, "%04dQ%d", r->start_year + k / 12, k % 12 / 3 + 1);
        return true;
    }
    int last = 3 * q + 2 < r->horizon_months - 1 ? 3 * q + 2 : r->horizon_months - 1;
    char a[16], b[16];
    cx_report_month_label(r, 3 * q, a, sizeof a);
    cx_report_month_label(r, last > 3 * q ? last : 3 * q, b, sizeof b);
    snprintf(buf, len, "%s..%s", a, b);
    return true;
}

bool cx_report_warning(const cx_report *r, int which, char *buf, size_t len)
{
    buf[0] = 0;
    if (which < 0 || which >= CX_N_METRICS + CX_N_QSERIES) return false;
    size_t at = 0;
#define ADD(...)                                                                             \
    do {                                                                                     \
        int w_ = snprintf(buf + at, len - at, __VA_ARGS__);                                  \
        if (w_ > 0) at = at + (size_t)w_ < len ? at + (size_t)w_ : len - 1;                 \
    } while (0)
    if (which < CX_N_METRICS) {
        const cx_metric_stats *st = &r->metric[which];
        if (!st->n_nan && !st->n_inf && !st->n_out_of_range && !st->unresolved) return false;
        ADD("%s: of %llu paths", cx_metric_names[which], (unsigned long long)r->paths);
        if (st->n_nan) ADD(", %llu NaN (left out of the percentiles)", (unsigned long long)st->n_nan);
        if (st->n_inf) ADD(", %llu infinite", (unsigned long long)st->n_inf);
        if (st->n_out_of_range)
            ADD(", %llu beyond the sketch's range (|x| >= %.3g)",
                (unsigned long long)st->n_out_of_range, CX_SKETCH_MAX_ABS);
        if (st->n_nan || st->n_inf) ADD("; mean, sd and se not finite");
        if (st->unresolved) {
            ADD("; not resolved:");
            for (int j = 0; j < CX_N_PCT; j++)
                if (st->unresolved & (1u << j)) ADD(" p%d", cx_report_pct[j]);
        }
    } else {
        int s = which - CX_N_METRICS;
        uint64_t nf = 0, oor = 0;
        int unres = 0;
        for (int q = 0; q < r->n_quarters; q++) {
            const cx_quarter_stats *qs = &r->quarter[s][q];
            nf += qs->n_nonfinite;
            oor += qs->n_out_of_range;
            unres += isnan(qs->p5) + isnan(qs->p50) + isnan(qs->p95);
        }
        if (!nf && !oor && !unres) return false;
        ADD("quarters %s: %llu NaN or infinite values, %llu beyond the sketch's range; %d "
            "quarterly percentiles not resolved", cx_qseries_names[s], (unsigned long long)nf,
            (unsigned long long)oor, unres);
    }
#undef ADD
    return true;
}
