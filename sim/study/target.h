/* SPDX-License-Identifier: MIT */
/* --target-ci METRIC:Q:REL: stop a run once a quantile's 95% CI is narrow enough. */
#ifndef CX_SIM_STUDY_TARGET_H
#define CX_SIM_STUDY_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/accum.h"
#include "sim/engine/engine.h"
#include "sim/engine/sketch.h"

typedef struct cx_target_ci {
    int metric;   /* cx_metric */
    double q;     /* in (0, 1) */
    double rel;   /* > 0 */
} cx_target_ci;

/* Parses "capex_burden:0.95:0.01". @return 0 or CX_ERR_USAGE with a message in err. */
int cx_target_ci_parse(cx_target_ci *t, const char *text, char *err, size_t err_len);
/* MODEL.md, "Statistics": CI ranks floor/ceil(n q -+ 1.96 sqrt(n q (1 - q))), clipped. */
void cx_target_ci_ranks(uint64_t n, double q, uint64_t *lo, uint64_t *hi);
/*
 * True when the 95% CI of the q-quantile held in sk is narrower than rel x |quantile|
 * (hi - lo < rel |value|). Writes the value and the interval when the pointers are not NULL.
 */
bool cx_target_ci_met(const cx_sketch *sk, const cx_target_ci *t, double *value, double *lo,
                      double *hi);
/*
 * As cx_target_ci_met, with the interval the report gives (cx_report_quantile_ci): from
 * independent blocks when acc keeps replicates (Latin hypercube, Sobol, antithetic), else
 * the order-statistic interval of acc's sketch. False while the interval is not a full one.
 */
bool cx_target_ci_met_accum(const cx_accum *acc, const cx_target_ci *t, double *value,
                            double *lo, double *hi);
/* The engine's stop predicate (cx_engine_opts.stop with stop_needs_accum): ctx is a
 * const cx_target_ci *; uses cx_target_ci_met_accum. */
bool cx_target_ci_stop(void *ctx, const cx_engine_progress *p);

#endif
