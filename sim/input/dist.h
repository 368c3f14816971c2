/* SPDX-License-Identifier: MIT */
/* Probability distributions of scalar inputs: sampler, CDF, inverse CDF, mean, variance. */
#ifndef CX_SIM_DIST_H
#define CX_SIM_DIST_H

#include <stdbool.h>

#include <math.h>

#include <gsl/gsl_rng.h>

#include "sim/rng/pcg.h"

/* MODEL.md, "Uncertain inputs": every family, with its config parameter names. */
typedef enum cx_dist_family {
    CX_DIST_FIXED,      /* value */
    CX_DIST_UNIFORM,    /* low, high */
    CX_DIST_TRIANGULAR, /* low, mode, high */
    CX_DIST_PERT,       /* low, mode, high, lambda (default 4) */
    CX_DIST_NORMAL,     /* mean, sd */
    CX_DIST_LOGNORMAL,  /* mu, sigma (median/p90 converted at init) */
    CX_DIST_BETA,       /* alpha, beta */
    CX_DIST_GAMMA,      /* shape, scale */
    CX_DIST_BERNOULLI,  /* p */
    CX_DIST_DISCRETE,   /* values, weights */
    CX_DIST_N_FAMILIES
} cx_dist_family;

/* Config names of the families ("fixed", "uniform", ...), indexed by cx_dist_family. */
extern const char *const cx_dist_family_names[CX_DIST_N_FAMILIES];

/*
 * A distribution. Plain data; the discrete family owns two heap arrays (values sorted
 * ascending, cumulative weights normalised to end at 1), released by cx_dist_clear.
 * min/max clamp every sample and quantile (-INFINITY/+INFINITY when absent).
 */
typedef struct cx_dist {
    cx_dist_family family;
    double p[4];         /* family parameters, in the order listed above */
    double alpha, beta;  /* derived shape for PERT (scaled beta on [low, high]) */
    double min, max;     /* clamps */
    int n;               /* discrete: number of values */
    double *values;      /* discrete: sorted ascending */
    double *cum;         /* discrete: cumulative weights, cum[n-1] == 1 */
    double k[3];         /* derived constants set at init, so sampling stays cheap
                            (triangular: CDF at the mode, (high-low)(mode-low),
                            (high-low)(high-mode)); added by H1 */
} cx_dist;

/*
 * Initialisers. Each checks its parameters and returns CX_ERR_RANGE with a short reason in
 * *why (a static string such as "sd must be > 0") when they are invalid; d is then unusable
 * but safe to cx_dist_clear. Clamps start absent; set d->min/d->max after init, then call
 * cx_dist_check_clamps.
 */
int cx_dist_fixed(cx_dist *d, double value, const char **why);
int cx_dist_uniform(cx_dist *d, double low, double high, const char **why);
int cx_dist_triangular(cx_dist *d, double low, double mode, double high, const char **why);
int cx_dist_pert(cx_dist *d, double low, double mode, double high, double lambda,
                 const char **why);
int cx_dist_normal(cx_dist *d, double mean, double sd, const char **why);
int cx_dist_lognormal(cx_dist *d, double mu, double sigma, const char **why);
/* median > 0 and p90 > median. */
int cx_dist_lognormal_median_p90(cx_dist *d, double median, double p90, const char **why);
int cx_dist_beta(cx_dist *d, double alpha, double beta, const char **why);
int cx_dist_gamma(cx_dist *d, double shape, double scale, const char **why);
int cx_dist_bernoulli(cx_dist *d, double p, const char **why);
/* Copies values and weights (weights >= 0, finite, sum > 0); may return CX_ERR_NOMEM. */
int cx_dist_discrete(cx_dist *d, const double *values, const double *weights, int n,
                     const char **why);
/* min <= max, both not NaN. */
int cx_dist_check_clamps(const cx_dist *d, const char **why);
/* Releases the discrete arrays; safe on any initialised or zeroed cx_dist. */
void cx_dist_clear(cx_dist *d);
/* Deep copy (discrete arrays duplicated). */
int cx_dist_copy(cx_dist *dst, const cx_dist *src);

/* One draw, clamped. Exact sampler of the family (ziggurat normal for normal/lognormal). */
double cx_dist_sample(const cx_dist *d, gsl_rng *r);
/* d's clamps applied to x (NaN passes through). */
static inline double cx_dist_clamp(const cx_dist *d, double x)
{
    return x < d->min ? d->min : (x > d->max ? d->max : x);
}

/* Unclamped inverse CDF of a triangular d at u, from the constants in d->k. */
static inline double cx_dist_triangular_inv(const cx_dist *d, double u)
{
    if (u < d->k[0])
        return d->p[0] + sqrt(u * d->k[1]);
    return d->p[2] - sqrt((1.0 - u) * d->k[2]);
}

/*
 * The families whose draw is one uniform through the inverse CDF (fixed, uniform,
 * triangular), inline: sets *out from one cx_pcg32_uniform of g and returns true; returns
 * false (drawing nothing) for the other families. The same values as cx_dist_sample_inline
 * gives from a pcg64 uniform.
 */
static inline bool cx_dist_from_uniform_inline(const cx_dist *d, cx_pcg32 *g, double *out)
{
    switch (d->family) {
    case CX_DIST_FIXED:
        *out = cx_dist_clamp(d, d->p[0]);
        return true;
    case CX_DIST_UNIFORM:
        *out = cx_dist_clamp(d, d->p[0] + (d->p[1] - d->p[0]) * cx_pcg32_uniform(g));
        return true;
    case CX_DIST_TRIANGULAR:
        *out = cx_dist_clamp(d, cx_dist_triangular_inv(d, cx_pcg32_uniform(g)));
        return true;
    default:
        return false;
    }
}

/*
 * cx_dist_sample for hot loops: the same draws and the same value, bit for bit, with the
 * uniform, triangular and fixed families inline (one cx_pcg64_uniform, no call) when r was
 * made from cx_gsl_rng_pcg64; other families and streams call cx_dist_sample. Added by H8.
 */
static inline double cx_dist_sample_inline(const cx_dist *d, gsl_rng *r)
{
    if (r->type == cx_gsl_rng_pcg64) {
        switch (d->family) {
        case CX_DIST_FIXED:
            return cx_dist_clamp(d, d->p[0]);
        case CX_DIST_UNIFORM:
            return cx_dist_clamp(d, d->p[0] + (d->p[1] - d->p[0]) *
                                                  cx_pcg64_uniform(cx_rng_pcg64(r)));
        case CX_DIST_TRIANGULAR:
            return cx_dist_clamp(d, cx_dist_triangular_inv(d, cx_pcg64_uniform(cx_rng_pcg64(r))));
        default:
            break;
        }
    }
    return cx_dist_sample(d, r);
}

/* Inverse CDF at u in (0, 1), clamped; for discrete/bernoulli the smallest value whose
 * cumulative weight is >= u (MODEL.md). */
double cx_dist_quantile(const cx_dist *d, double u);
/*
 * Polishes a gamma(shape, scale) quantile x0 by Newton steps on GSL's CDF: towards P(x) =
 * target, or Q(x) = target when upper (precise in the upper tail). GSL's gamma inverse CDFs
 * sometimes stop far from the root for large shapes. Added by H5 (issue 5).
 */
double cx_gamma_polish(double x0, double target, bool upper, double shape, double scale);
/* CDF of the clamped distribution at x. */
double cx_dist_cdf(const cx_dist *d, double x);
/* Mean and variance of the clamped distribution (analytic without clamps). */
double cx_dist_mean(const cx_dist *d);
double cx_dist_variance(const cx_dist *d);
double cx_dist_median(const cx_dist *d);
/* Lower and upper ends of the support after clamping (may be infinite). */
double cx_dist_lower(const cx_dist *d);
double cx_dist_upper(const cx_dist *d);
/* True when the distribution is a single point (fixed, or clamps/params that pin it). */
bool cx_dist_is_fixed(const cx_dist *d);

#endif
