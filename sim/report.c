/* SPDX-License-Identifier: MIT */
/* Statistics of a run from its merged accumulators (MODEL.md, "What a run reports"). */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "sim/error.h"
#include "sim/report.h"

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
    free(r);
}

static void metric_stats(cx_metric_stats *st, int metric, const cx_sketch *sk,
                         const cx_moments *mom)
{
    uint64_t n = cx_sketch_count(sk);
    st->n = n;
    st->mean = mom->n ? mom->mean : NAN;
    st->sd = cx_moments_sd(mom);
    st->se = mom->n >= 2 ? st->sd / sqrt((double)mom->n) : NAN;
    st->min = n ? sk->min : NAN;
    st->max = n ? sk->max : NAN;
    for (int j = 0; j < CX_N_PCT; j++) {
        uint64_t lo, hi;
        st->pct[j] = cx_report_metric_at_rank(sk, metric, cx_report_rank(n, cx_report_pct[j]));
        cx_report_ci_ranks(n, cx_report_pct[j], &lo, &hi);
        /* MODEL.md, "A reported interval must hold what it claims": bucket edges */
        double a, b;
        cx_report_metric_bounds_at_rank(sk, metric, lo, &a, &b);
        st->ci_lo[j] = a;
        cx_report_metric_bounds_at_rank(sk, metric, hi, &a, &b);
        st->ci_hi[j] = b;
    }
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
    for (int i = 0; i < CX_N_METRICS; i++)
        metric_stats(&r->metric[i], i, acc->metric[i], &acc->mom_metric[i]);
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
            qs->p5 = cx_sketch_value_at_rank(sk, cx_report_rank(n, 5));
            qs->p50 = cx_sketch_value_at_rank(sk, cx_report_rank(n, 50));
            qs->p95 = cx_sketch_value_at_rank(sk, cx_report_rank(n, 95));
        }
    *out = r;
    return 0;
}
