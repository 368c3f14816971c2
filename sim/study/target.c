/* SPDX-License-Identifier: MIT */
/* --target-ci: the quantile CI check that stops a run. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#if CX_HAVE_OPENMP
#include <omp.h>
#endif

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/engine/engine.h"
#include "sim/rng/pcg.h"
#include "sim/result/report.h"
#include "sim/input/sampler.h"
#include "sim/input/scenario.h"
#include "sim/engine/sampling.h"
#include "sim/result/output.h"
#include "sim/study/sens.h"
#include "sim/study/study_internal.h"
#include "sim/engine/sketch.h"

/* ------------------------------------------------------------------------------------- */
/* --target-ci                                                                            */
/* ------------------------------------------------------------------------------------- */

int cx_target_ci_parse(cx_target_ci *t, const char *text, char *err, size_t err_len)
{
    const char *c2 = strrchr(text, ':');
    const char *c1 = NULL;
    for (const char *p = text; c2 && p < c2; p++)
        if (*p == ':')
            c1 = p;
    if (!c1 || !c2) {
        cx_set_err(err, err_len, "--target-ci: expected METRIC:Q:REL (e.g. capex_burden:0.95:0.01), "
                              "got '%s'", text);
        return CX_ERR_USAGE;
    }
    char name[64];
    size_t nl = (size_t)(c1 - text);
    if (nl == 0 || nl >= sizeof name) {
        cx_set_err(err, err_len, "--target-ci: bad metric name in '%s'", text);
        return CX_ERR_USAGE;
    }
    memcpy(name, text, nl);
    name[nl] = '\0';
    t->metric = cx_metric_find(name);
    if (t->metric < 0) {
        char hint[1024];
        cx_set_err(err, err_len, "--target-ci: unknown metric '%s' (%s)", name,
                   cx_name_hint(name, cx_metric_names, CX_N_METRICS, hint, sizeof hint));
        return CX_ERR_USAGE;
    }
    char q_text[64];
    size_t ql = (size_t)(c2 - c1 - 1);
    if (ql == 0 || ql >= sizeof q_text) {
        cx_set_err(err, err_len, "--target-ci: bad quantile in '%s'", text);
        return CX_ERR_USAGE;
    }
    memcpy(q_text, c1 + 1, ql);
    q_text[ql] = '\0';
    char *end;
    errno = 0;
    t->q = strtod(q_text, &end);
    if (errno || *end || !(t->q > 0.0 && t->q < 1.0)) {
        cx_set_err(err, err_len, "--target-ci: the quantile must be a number in (0, 1), got '%s'",
                q_text);
        return CX_ERR_USAGE;
    }
    errno = 0;
    t->rel = strtod(c2 + 1, &end);
    if (errno || *end || c2[1] == '\0' || !(t->rel > 0.0) || !isfinite(t->rel)) {
        cx_set_err(err, err_len, "--target-ci: REL must be a number > 0, got '%s'", c2 + 1);
        return CX_ERR_USAGE;
    }
    return 0;
}

void cx_target_ci_ranks(uint64_t n, double q, uint64_t *lo, uint64_t *hi)
{
    double nq = (double)n * q, h = 1.96 * sqrt(nq * (1.0 - q));
    double l = floor(nq - h), u = ceil(nq + h);
    *lo = l < 1.0 ? 1 : (uint64_t)l;
    *hi = u > (double)n ? n : (uint64_t)u;
}

bool cx_target_ci_met(const cx_sketch *sk, const cx_target_ci *t, double *value, double *lo,
                      double *hi)
{
    uint64_t n = cx_sketch_count(sk);
    double v = cx_report_metric_at_rank(sk, t->metric, cx_sketch_rank(n, t->q));
    double nq = (double)n * t->q, h = 1.96 * sqrt(nq * (1.0 - t->q));
    uint64_t rl, rh;
    cx_target_ci_ranks(n, t->q, &rl, &rh);
    /* the same interval as the report's (bucket edges: report.c, metric_stats) */
    double a, b, x;
    cx_report_metric_bounds_at_rank(sk, t->metric, rl, &a, &x);
    cx_report_metric_bounds_at_rank(sk, t->metric, rh, &x, &b);
    if (value)
        *value = v;
    if (lo)
        *lo = a;
    if (hi)
        *hi = b;
    /* An interval clipped at rank 1 or n is not a 95% interval yet: keep going. */
    if (n == 0 || nq - h < 1.0 || nq + h > (double)n)
        return false;
    return b - a < t->rel * fabs(v);
}

bool cx_target_ci_met_accum(const cx_accum *acc, const cx_target_ci *t, double *value,
                            double *lo, double *hi)
{
    double v, a, b;
    bool full = cx_report_quantile_ci(acc, t->metric, t->q, &v, &a, &b);
    if (value) *value = v;
    if (lo) *lo = a;
    if (hi) *hi = b;
    return full && b - a < t->rel * fabs(v);
}

bool cx_target_ci_stop(void *ctx, const cx_engine_progress *p)
{
    const cx_target_ci *t = ctx;
    return p->accum && cx_target_ci_met_accum(p->accum, t, NULL, NULL, NULL);
}
