/* SPDX-License-Identifier: MIT */
/* Statistics of a run from its merged accumulators (MODEL.md, "What a run reports"). */
#ifndef CX_SIM_REPORT_H
#define CX_SIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "models/model.h"
#include "sim/engine/accum.h"

/* The percentiles reported, in percent: p1 p5 p10 p25 p50 p75 p90 p95 p99. */
#define CX_N_PCT 9
extern const int cx_report_pct[CX_N_PCT];

/*
 * The metrics whose every value is an integer (MODEL.md, "Per-path metrics": msl_success is
 * 0/1, deals_signed, deals_cancelled and deals_clawed_back are counts). Their percentiles and
 * CI ends are exact integers (cx_sketch_int_value_at_rank) rather than bucket
 * representatives such as 6.004; the one place that says which metrics are integers.
 */
extern const bool cx_report_integer_metric[CX_N_METRICS];
/* Value of rank k of a sketch of metric (cx_metric): exact for integer metrics where the
 * bucket allows (cx_sketch_int_value_at_rank), else within the sketch's relative error. */
double cx_report_metric_at_rank(const cx_sketch *sk, int metric, uint64_t k);

/*
 * Bounds on the exact value of rank k of a sketch of metric: the edges of the bucket that
 * holds it (cx_sketch_bounds_at_rank); for integer metrics rounded inwards to the integers
 * the bucket can hold (the single integer where there is one). lo <= exact <= hi always.
 * @return as cx_sketch_bounds_at_rank: false when the sketch cannot resolve rank k.
 */
bool cx_report_metric_bounds_at_rank(const cx_sketch *sk, int metric, uint64_t k, double *lo,
                                     double *hi);

/* How an interval was made (MODEL.md, "A reported interval must hold what it claims"). */
typedef enum cx_interval_method {
    CX_INTERVAL_IID,         /* independent paths: se = sd / sqrt(n), order-statistic CIs */
    CX_INTERVAL_REPLICATES,  /* independent blocks: batch means (se), sectioning (CIs) */
} cx_interval_method;

typedef struct cx_metric_stats {
    uint64_t n;
    double mean, se, sd, min, max;  /* sd with n - 1; NAN where undefined (n < 2) */
    double pct[CX_N_PCT];           /* value of rank ceil(n q), within the sketch's error
                                       (exact for cx_report_integer_metric); NAN when
                                       unresolved */
    /* MODEL.md, "A reported interval must hold what it claims" / issue 11: nothing
     * non-finite or out of range is reported silently */
    uint64_t n_nan;                 /* NaN values: not in n, so not in the percentiles; the
                                       mean, sd and se are then NAN */
    uint64_t n_inf;                 /* infinite values (in n) */
    uint64_t n_out_of_range;        /* finite values with |x| >= CX_SKETCH_MAX_ABS (in n) */
    unsigned unresolved;            /* bit j: percentile j lies in a bucket that holds values
                                       beyond the sketch's range; pct[j] is then NAN and the
                                       value only known to lie in [pct_lo[j], pct_hi[j]] */
    double pct_lo[CX_N_PCT], pct_hi[CX_N_PCT]; /* edges of the bucket holding percentile j */
    /* 95% CI: lower edge of the bucket holding rank lo, upper edge of the bucket holding
     * rank hi (plain MC), so that it contains the exact order statistics */
    double ci_lo[CX_N_PCT], ci_hi[CX_N_PCT];
} cx_metric_stats;

typedef struct cx_quarter_stats {
    double mean, p5, p50, p95;      /* a percentile the sketch cannot resolve is NAN */
    uint64_t n_nonfinite;           /* NaN and infinite values */
    uint64_t n_out_of_range;        /* finite values with |x| >= CX_SKETCH_MAX_ABS */
} cx_quarter_stats;

/*
 * The outcome breakdown (issue 20 item 3; sim/engine/breakdown.h, docs/report.md): one metric
 * given one group of paths, 0 "fails" (the outcome's uniform >= its probability) or 1
 * "succeeds". Each figure with its 95% CI [lo, hi]; NAN where undefined (an empty group,
 * values not finite, fewer than 2 blocks for a replicate interval).
 */
typedef struct cx_bd_group {
    uint64_t n;                        /* paths in the group (finite values) */
    double share, share_lo, share_hi;  /* n / all paths with finite values */
    double mean, mean_lo, mean_hi, sd;
    double p50, p50_lo, p50_hi;
    double p95, p95_lo, p95_hi;
    double cvar95, cvar95_lo, cvar95_hi;
} cx_bd_group;

typedef struct cx_bd_stats {
    int metric;                        /* cx_metric */
    uint64_t n_bad;                    /* NaN, infinite or huge values: means undefined */
    uint64_t blocks;                   /* blocks behind the replicate intervals */
    cx_bd_group g[2];
    /* between-group variance / total variance (population variances over the paths):
     * p (1 - p) (m1 - m0)^2 / Var, the first-order index of the outcome from the split */
    double var_share, var_share_lo, var_share_hi;
} cx_bd_stats;

typedef struct cx_bd_outcome {
    int input, prob;                   /* input indices: the outcome, its probability */
    const char *name, *prob_name;      /* borrowed from the scenario (cx_report_set_scenario);
                                          NULL before */
    cx_bd_stats m[CX_BD_N_METRICS];    /* in cx_bd_metric's order */
} cx_bd_outcome;

typedef struct cx_report {
    uint64_t paths;
    double relative_error;
    /* how se and the percentile CIs were made (CX_INTERVAL_REPLICATES): replicates, the
     * independent blocks behind each se (fewer than 2: se NAN); replicate_batches, the full
     * batches of CX_REP_BATCH_BLOCKS blocks behind each percentile CI (fewer than 2: NAN) */
    cx_interval_method interval_method;
    uint64_t replicates;
    uint64_t replicate_batches;
    cx_metric_stats metric[CX_N_METRICS];
    /* metrics the writers show: the first n_metrics (cx_metric_count); CX_N_BASE_METRICS
     * until cx_report_set_scenario says otherwise */
    int n_metrics;
    double discount_rate;           /* report.discount_rate where n_metrics has the PVs */
    /* MODEL.md, Calendar: month 0's year and month (1 .. 12), start_year 0 without `start`;
     * the horizon, for the last quarter's last month */
    int start_year, start_month, horizon_months;
    int n_thresholds;
    double *thresholds;             /* $B */
    double *exceed;                 /* P(capex_burden > thresholds[j]), strict */
    double burden_cvar95;           /* mean of the worst 5% of capex_burden */
    int n_quarters;
    cx_quarter_stats *quarter[CX_N_QSERIES]; /* n_quarters each */
    /* the outcome breakdown where the run kept one (cx_engine_opts.breakdown), else 0 / NULL */
    int n_bd;
    cx_bd_outcome *bd;
} cx_report;

/*
 * The breakdown's statistics from acc->bd into r->bd (sim/result/breakdown.c): called by
 * cx_report_new. @return 0 or CX_ERR_NOMEM.
 */
int cx_report_breakdown(cx_report *r, const cx_accum *acc);
/* The outcome with the largest variance share of metric (cx_metric), or -1 (none defined). */
int cx_report_bd_top(const cx_report *r, int metric);
/* Words for an outcome's two groups, from its input's name: "fails"/"succeeds" (msl.success
 * and any other), "no launch"/"launches" (taas.launch), "does not happen"/"happens"
 * (deals.signed.NAME.happens). */
void cx_report_bd_labels(const char *name, const char **fails, const char **succeeds);
/* Index of metric in cx_bd_metric, or -1. */
int cx_report_bd_index(int metric);

/*
 * One line (no newline) describing what is wrong with series `which` of r: metric i for
 * 0 <= which < CX_N_METRICS, quarterly series s for which = CX_N_METRICS + s: its NaN,
 * infinite and out-of-range values and the percentiles that are not resolved. Writes buf.
 * @return false (and an empty buf) when there is nothing to say.
 */
bool cx_report_warning(const cx_report *r, int which, char *buf, size_t len);

/*
 * Statistics from a merged accumulator (integer state and moments of the same paths).
 * @return 0, CX_ERR_NOMEM, CX_ERR_RANGE when acc holds no path.
 * @note the caller frees *out with cx_report_free.
 */
int cx_report_new(cx_report **out, const cx_accum *acc);
void cx_report_free(cx_report *r);
/* What the writers take from the run's scenario: which metrics it reports (the present
 * values with report.discount_rate) and its calendar (`start`). Changes no statistic. */
void cx_report_set_scenario(cx_report *r, const cx_scenario *sc);

/*
 * MODEL.md, Calendar: the label of quarter q (0-based; months 3q .. 3q+2, the last one cut
 * at the horizon) into buf: "2026Q3" when month 0 starts a calendar quarter, else its first
 * and last months "2026-08..2026-10". @return false (buf empty) without a calendar.
 */
bool cx_report_quarter_label(const cx_report *r, int q, char *buf, size_t len);
/* The calendar month of month t, "2026-07", into buf; @return false (buf empty) without one. */
bool cx_report_month_label(const cx_report *r, int t, char *buf, size_t len);

/*
 * The levels at which the engine keeps replicate quantiles (cx_accum_want_replicates) for a
 * report: the reported percentiles pct / 100, plus `extra` (a --target-ci level) when it is in
 * (0, 1) and not among them. Writes q[CX_REP_MAX_Q]; @return the number of levels.
 */
int cx_report_replicate_levels(double *q, double extra);

/*
 * The 95% CI of metric's q-quantile as the report makes it: with acc keeping replicates
 * (acc->n_rq > 0), sectioning over batches of blocks (q must be one of acc's levels); else the
 * order-statistic interval. Both end at bucket edges. *value is the point estimate.
 * @return true when the interval is a full 95% interval: false when its ranks are clipped at
 * 1 or n (iid), when fewer than 2 full batches or q is not a kept level (replicates; NANs
 * then), or when the sketch cannot resolve the quantile.
 */
bool cx_report_quantile_ci(const cx_accum *acc, int metric, double q, double *value, double *lo,
                           double *hi);

/* MODEL.md, "Statistics": rank of percentile pct (1..99) among n, ceil(n pct / 100), exact. */
uint64_t cx_report_rank(uint64_t n, int pct);
/* The CI ranks floor(n q - 1.96 sqrt(n q (1 - q))) and ceil(n q + 1.96 sqrt(...)), clipped
 * to [1, n], for q = pct / 100. */
void cx_report_ci_ranks(uint64_t n, int pct, uint64_t *lo, uint64_t *hi);

#endif
