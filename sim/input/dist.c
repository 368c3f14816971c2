/* SPDX-License-Identifier: MIT */
/* Distributions of scalar inputs: validation, sampling, CDF, quantile, clamped moments. */
/*
 * A clamped input is Y = min(max(X, lo), hi) for the family's X (MODEL.md, "Uncertain
 * inputs": "the sample is clamped"). Clamping is monotone, so Y's quantile is the clamped
 * quantile of X and Y's CDF is X's CDF inside [lo, hi), 0 below lo and 1 from hi on.
 * Y's mean and variance are those of X when the clamps do not cut the support; otherwise
 * they are E[Y^k] = lo^k F(lo) + hi^k (1 - F(hi)) + int_{F(lo)}^{F(hi)} Q(u)^k du,
 * integrated with GSL's QAGS (which copes with the integrable end-point singularities of
 * unbounded quantile functions). Discrete families sum exactly.
 *
 * Sampling is the hot path (once per input per path): a switch on the family, no
 * allocation, derived constants (PERT shapes, triangular split) computed at init.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>

#include "sim/input/dist.h"
#include "sim/base/error.h"
#include "sim/rng/normal.h"
#include "sim/rng/pcg.h"

const char *const cx_dist_family_names[CX_DIST_N_FAMILIES] = {
    "fixed", "uniform", "triangular", "pert", "normal",
    "lognormal", "beta", "gamma", "bernoulli", "discrete",
};

/* ---- initialisers ---- */

static void reset(cx_dist *d, cx_dist_family family)
{
    memset(d, 0, sizeof *d);
    d->family = family;
    d->min = -INFINITY;
    d->max = INFINITY;
}

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return CX_ERR_RANGE;
}

static int ok(const char **why)
{
    if (why)
        *why = NULL;
    return 0;
}

#define FINITE_OR_FAIL(x)                                                                  \
    do {                                                                                   \
        if (!isfinite(x))                                                                  \
            return fail(why, "values must be finite");                                     \
    } while (0)

int cx_dist_fixed(cx_dist *d, double value, const char **why)
{
    reset(d, CX_DIST_FIXED);
    FINITE_OR_FAIL(value);
    d->p[0] = value;
    return ok(why);
}

int cx_dist_uniform(cx_dist *d, double low, double high, const char **why)
{
    reset(d, CX_DIST_UNIFORM);
    FINITE_OR_FAIL(low);
    FINITE_OR_FAIL(high);
    if (!(low <= high))
        return fail(why, "low must be <= high");
    d->p[0] = low;
    d->p[1] = high;
    return ok(why);
}

/* Shared checks of (low, mode, high). */
static int check_lmh(double low, double mode, double high, const char **why)
{
    FINITE_OR_FAIL(low);
    FINITE_OR_FAIL(mode);
    FINITE_OR_FAIL(high);
    if (!(low <= high))
        return fail(why, "low must be <= high");
    if (!(mode >= low && mode <= high))
        return fail(why, "mode must be within [low, high]");
    return 0;
}

int cx_dist_triangular(cx_dist *d, double low, double mode, double high, const char **why)
{
    reset(d, CX_DIST_TRIANGULAR);
    int rc = check_lmh(low, mode, high, why);
    if (rc)
        return rc;
    d->p[0] = low;
    d->p[1] = mode;
    d->p[2] = high;
    double w = high - low;
    d->k[0] = w > 0 ? (mode - low) / w : 0.0; /* F(mode) */
    d->k[1] = w * (mode - low);
    d->k[2] = w * (high - mode);
    return ok(why);
}

int cx_dist_pert(cx_dist *d, double low, double mode, double high, double lambda,
                 const char **why)
{
    reset(d, CX_DIST_PERT);
    int rc = check_lmh(low, mode, high, why);
    if (rc)
        return rc;
    FINITE_OR_FAIL(lambda);
    if (!(lambda > 0))
        return fail(why, "lambda must be > 0");
    d->p[0] = low;
    d->p[1] = mode;
    d->p[2] = high;
    d->p[3] = lambda;
    double w = high - low;
    if (w > 0) {
        d->alpha = 1.0 + lambda * (mode - low) / w;
        d->beta = 1.0 + lambda * (high - mode) / w;
    } else {
        d->alpha = d->beta = 1.0; /* a point: every formula below multiplies by w = 0 */
    }
    return ok(why);
}

int cx_dist_normal(cx_dist *d, double mean, double sd, const char **why)
{
    reset(d, CX_DIST_NORMAL);
    FINITE_OR_FAIL(mean);
    FINITE_OR_FAIL(sd);
    if (!(sd > 0))
        return fail(why, "sd must be > 0");
    d->p[0] = mean;
    d->p[1] = sd;
    return ok(why);
}

int cx_dist_lognormal(cx_dist *d, double mu, double sigma, const char **why)
{
    reset(d, CX_DIST_LOGNORMAL);
    FINITE_OR_FAIL(mu);
    FINITE_OR_FAIL(sigma);
    if (!(sigma > 0))
        return fail(why, "sigma must be > 0");
    d->p[0] = mu;
    d->p[1] = sigma;
    return ok(why);
}

int cx_dist_lognormal_median_p90(cx_dist *d, double median, double p90, const char **why)
{
    reset(d, CX_DIST_LOGNORMAL);
    FINITE_OR_FAIL(median);
    FINITE_OR_FAIL(p90);
    if (!(median > 0))
        return fail(why, "median must be > 0");
    if (!(p90 > median))
        return fail(why, "p90 must be > median");
    /* median = e^mu; p90 = e^(mu + sigma z_0.9). */
    double mu = log(median);
    double sigma = (log(p90) - mu) / gsl_cdf_ugaussian_Pinv(0.9);
    return cx_dist_lognormal(d, mu, sigma, why);
}

int cx_dist_beta(cx_dist *d, double alpha, double beta, const char **why)
{
    reset(d, CX_DIST_BETA);
    FINITE_OR_FAIL(alpha);
    FINITE_OR_FAIL(beta);
    if (!(alpha > 0))
        return fail(why, "alpha must be > 0");
    if (!(beta > 0))
        return fail(why, "beta must be > 0");
    d->p[0] = alpha;
    d->p[1] = beta;
    return ok(why);
}

int cx_dist_gamma(cx_dist *d, double shape, double scale, const char **why)
{
    reset(d, CX_DIST_GAMMA);
    FINITE_OR_FAIL(shape);
    FINITE_OR_FAIL(scale);
    if (!(shape > 0))
        return fail(why, "shape must be > 0");
    if (!(scale > 0))
        return fail(why, "scale must be > 0");
    d->p[0] = shape;
    d->p[1] = scale;
    return ok(why);
}

int cx_dist_bernoulli(cx_dist *d, double p, const char **why)
{
    reset(d, CX_DIST_BERNOULLI);
    FINITE_OR_FAIL(p);
    if (!(p >= 0 && p <= 1))
        return fail(why, "p must be within [0, 1]");
    d->p[0] = p;
    return ok(why);
}

typedef struct vw {
    double v, w;
} vw;

static int cmp_vw(const void *a, const void *b)
{
    double x = ((const vw *)a)->v, y = ((const vw *)b)->v;
    return (x > y) - (x < y);
}

int cx_dist_discrete(cx_dist *d, const double *values, const double *weights, int n,
                     const char **why)
{
    reset(d, CX_DIST_DISCRETE);
    if (n < 1 || !values || !weights)
        return fail(why, "values must not be empty");
    double total = 0;
    for (int i = 0; i < n; i++) {
        FINITE_OR_FAIL(values[i]);
        FINITE_OR_FAIL(weights[i]);
        if (weights[i] < 0)
            return fail(why, "weights must be >= 0");
        total += weights[i];
    }
    if (!(total > 0) || !isfinite(total))
        return fail(why, "weights must sum to > 0");

    vw *t = malloc((size_t)n * sizeof *t);
    d->values = malloc((size_t)n * sizeof *d->values);
    d->cum = malloc((size_t)n * sizeof *d->cum);
    if (!t || !d->values || !d->cum) {
        free(t);
        cx_dist_clear(d);
        d->family = CX_DIST_DISCRETE;
        if (why)
            *why = "out of memory";
        return CX_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++)
        t[i] = (vw){values[i], weights[i]};
    /* MODEL.md, "Correlation": values sorted ascending so F^-1 is monotone. */
    qsort(t, (size_t)n, sizeof *t, cmp_vw);
    /* Sum in sorted order again: the partial sum at the last positive weight then equals
     * the total exactly, so cum reaches exactly 1 there. */
    total = 0;
    for (int i = 0; i < n; i++)
        total += t[i].w;
    double acc = 0;
    for (int i = 0; i < n; i++) {
        acc += t[i].w;
        d->values[i] = t[i].v;
        d->cum[i] = acc / total;
    }
    d->cum[n - 1] = 1.0;
    d->n = n;
    free(t);
    return ok(why);
}

int cx_dist_check_clamps(const cx_dist *d, const char **why)
{
    if (isnan(d->min) || isnan(d->max))
        return fail(why, "values must be finite");
    if (!(d->min <= d->max))
        return fail(why, "min must be <= max");
    if (d->min == INFINITY || d->max == -INFINITY)
        return fail(why, "values must be finite");
    return ok(why);
}

void cx_dist_clear(cx_dist *d)
{
    if (!d)
        return;
    free(d->values);
    free(d->cum);
    d->values = NULL;
    d->cum = NULL;
    d->n = 0;
}

int cx_dist_copy(cx_dist *dst, const cx_dist *src)
{
    *dst = *src;
    dst->values = NULL;
    dst->cum = NULL;
    if (src->family != CX_DIST_DISCRETE || src->n == 0)
        return 0;
    size_t bytes = (size_t)src->n * sizeof(double);
    dst->values = malloc(bytes);
    dst->cum = malloc(bytes);
    if (!dst->values || !dst->cum) {
        cx_dist_clear(dst);
        return CX_ERR_NOMEM;
    }
    memcpy(dst->values, src->values, bytes);
    memcpy(dst->cum, src->cum, bytes);
    return 0;
}

/* ---- sampling ---- */

static inline double clamp(const cx_dist *d, double x)
{
    return cx_dist_clamp(d, x);
}

/* A uniform in [0, 1): inline for our pcg64 (no function-pointer call), else GSL's. */
static inline double uniform01(gsl_rng *r)
{
    if (r->type == cx_gsl_rng_pcg64)
        return cx_pcg64_uniform(cx_rng_pcg64(r));
    return gsl_rng_uniform(r);
}

/* A standard normal: the inline ziggurat for our pcg64 (sim/rng/normal.h), else GSL's. */
static inline double normal01(gsl_rng *r)
{
    if (r->type == cx_gsl_rng_pcg64)
        return cx_normal(cx_rng_pcg64(r));
    return gsl_ran_gaussian_ziggurat(r, 1.0);
}

/* Smallest i with cum[i] > u (sampling, u in [0, 1)) or cum[i] >= u (quantile). */
static int discrete_index(const cx_dist *d, double u, int inclusive)
{
    int lo = 0, hi = d->n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int right = inclusive ? d->cum[mid] >= u : d->cum[mid] > u;
        if (right)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static inline double triangular_inv(const cx_dist *d, double u)
{
    return cx_dist_triangular_inv(d, u);
}

double cx_dist_sample(const cx_dist *d, gsl_rng *r)
{
    double x;
    switch (d->family) {
    case CX_DIST_FIXED:
        x = d->p[0];
        break;
    case CX_DIST_UNIFORM:
        x = d->p[0] + (d->p[1] - d->p[0]) * uniform01(r);
        break;
    case CX_DIST_TRIANGULAR:
        x = triangular_inv(d, uniform01(r));
        break;
    case CX_DIST_PERT:
        x = d->p[0] + (d->p[2] - d->p[0]) * gsl_ran_beta(r, d->alpha, d->beta);
        break;
    case CX_DIST_NORMAL:
        x = d->p[0] + d->p[1] * normal01(r);
        break;
    case CX_DIST_LOGNORMAL:
        /* Not gsl_ran_lognormal: that is Box-Muller, 2 to 3 times slower (issue 2). */
        x = exp(d->p[0] + d->p[1] * normal01(r));
        break;
    case CX_DIST_BETA:
        x = gsl_ran_beta(r, d->p[0], d->p[1]);
        break;
    case CX_DIST_GAMMA:
        x = gsl_ran_gamma(r, d->p[0], d->p[1]);
        break;
    case CX_DIST_BERNOULLI:
        x = uniform01(r) < d->p[0] ? 1.0 : 0.0;
        break;
    case CX_DIST_DISCRETE:
        x = d->values[discrete_index(d, uniform01(r), 0)];
        break;
    default:
        x = NAN;
        break;
    }
    return clamp(d, x);
}

/* ---- support, quantile, CDF (unclamped, then clamped) ---- */

static void support(const cx_dist *d, double *lo, double *hi)
{
    switch (d->family) {
    case CX_DIST_FIXED:
        *lo = *hi = d->p[0];
        return;
    case CX_DIST_UNIFORM:
        *lo = d->p[0];
        *hi = d->p[1];
        return;
    case CX_DIST_TRIANGULAR:
    case CX_DIST_PERT:
        *lo = d->p[0];
        *hi = d->p[2];
        return;
    case CX_DIST_NORMAL:
        *lo = -INFINITY;
        *hi = INFINITY;
        return;
    case CX_DIST_LOGNORMAL:
    case CX_DIST_GAMMA:
        *lo = 0.0;
        *hi = INFINITY;
        return;
    case CX_DIST_BETA:
        *lo = 0.0;
        *hi = 1.0;
        return;
    case CX_DIST_BERNOULLI:
        *lo = d->p[0] < 1 ? 0.0 : 1.0;
        *hi = d->p[0] > 0 ? 1.0 : 0.0;
        return;
    case CX_DIST_DISCRETE: {
        int i = 0;
        while (i < d->n - 1 && !(d->cum[i] > 0))
            i++;
        int j = d->n - 1;
        while (j > 0 && !(d->cum[j] > d->cum[j - 1]))
            j--;
        *lo = d->values[i];
        *hi = d->values[j];
        return;
    }
    default:
        *lo = *hi = NAN;
        return;
    }
}

double cx_dist_lower(const cx_dist *d)
{
    double lo, hi;
    support(d, &lo, &hi);
    return clamp(d, lo);
}

double cx_dist_upper(const cx_dist *d)
{
    double lo, hi;
    support(d, &lo, &hi);
    return clamp(d, hi);
}

bool cx_dist_is_fixed(const cx_dist *d)
{
    return cx_dist_lower(d) == cx_dist_upper(d);
}

/*
 * Newton steps on the gamma CDF from x0 towards F(x) = u (lower half, P) or Q(x) = q (upper
 * half, q = 1 - u given exactly). GSL's gamma Pinv/Qinv are iterative and for large shapes
 * sometimes stop far from the root without an error (gamma(1000, 0.01) near u = 0.976 gave
 * 9.53 for 10.637, three sd off; found by the sampler's table tests, issue 5); GSL's CDFs
 * are accurate there, so a few steps on them restore the root (from the mean when GSL
 * returned NaN).
 */
double cx_gamma_polish(double x0, double target, bool upper, double shape, double scale)
{
    double x = x0;
    if (!(x > 0) || !isfinite(x))
        x = shape * scale; /* GSL gave up (NaN): start from the mean */
    /* g(x) = P(x) - target or target - Q(x): increasing, with slope f(x). Newton inside a
     * bracket [lo, hi] of the root, bisecting (or doubling while hi is open) whenever a step
     * would leave it: a far start in a tail, where f is tiny, cannot throw x away. */
    double lo = 0.0, hi = INFINITY;
    for (int it = 0; it < 200; it++) {
        double g = upper ? target - gsl_cdf_gamma_Q(x, shape, scale)
                         : gsl_cdf_gamma_P(x, shape, scale) - target;
        if (g == 0)
            break;
        if (g < 0)
            lo = x;
        else
            hi = x;
        double f = gsl_ran_gamma_pdf(x, shape, scale);
        double nx = x - g / f;
        if (!(nx > lo && nx < hi) || (hi == INFINITY && nx > 2.0 * x))
            nx = hi < INFINITY ? 0.5 * (lo + hi) : 2.0 * x;
        double step = fabs(nx - x);
        x = nx;
        if (step <= 4 * DBL_EPSILON * x || !(hi - lo > 4 * DBL_EPSILON * x))
            break;
    }
    return x;
}

/* Unclamped quantile for u in (0, 1). */
static double raw_quantile(const cx_dist *d, double u)
{
    switch (d->family) {
    case CX_DIST_FIXED:
        return d->p[0];
    case CX_DIST_UNIFORM:
        return d->p[0] + (d->p[1] - d->p[0]) * u;
    case CX_DIST_TRIANGULAR:
        return triangular_inv(d, u);
    case CX_DIST_PERT:
        return d->p[0] + (d->p[2] - d->p[0]) * gsl_cdf_beta_Pinv(u, d->alpha, d->beta);
    case CX_DIST_NORMAL:
        return d->p[0] + d->p[1] * gsl_cdf_ugaussian_Pinv(u);
    case CX_DIST_LOGNORMAL:
        return exp(d->p[0] + d->p[1] * gsl_cdf_ugaussian_Pinv(u));
    case CX_DIST_BETA:
        return gsl_cdf_beta_Pinv(u, d->p[0], d->p[1]);
    case CX_DIST_GAMMA:
        if (u <= 0.5)
            return cx_gamma_polish(gsl_cdf_gamma_Pinv(u, d->p[0], d->p[1]), u, false, d->p[0],
                                   d->p[1]);
        return cx_gamma_polish(gsl_cdf_gamma_Qinv(1.0 - u, d->p[0], d->p[1]), 1.0 - u, true,
                               d->p[0], d->p[1]);
    case CX_DIST_BERNOULLI:
        /* Values {0, 1} with cumulative weights {1 - p, 1} (MODEL.md, "Correlation"). */
        return u <= 1.0 - d->p[0] ? 0.0 : 1.0;
    case CX_DIST_DISCRETE:
        return d->values[discrete_index(d, u, 1)];
    default:
        return NAN;
    }
}

double cx_dist_quantile(const cx_dist *d, double u)
{
    if (isnan(u))
        return NAN;
    if (u <= 0)
        return cx_dist_lower(d);
    if (u >= 1)
        return cx_dist_upper(d);
    double x = raw_quantile(d, u);
    if (isnan(x)) {
        /* GSL's beta and gamma Pinv give up (NaN) in far tails such as u = 1e-300 with a
         * shape below 1, where the true quantile underflows to the support's end: use it. */
        double lo, hi;
        support(d, &lo, &hi);
        x = u < 0.5 ? lo : hi;
    }
    return clamp(d, x);
}

/* Unclamped CDF P(X <= x). */
static double raw_cdf(const cx_dist *d, double x)
{
    switch (d->family) {
    case CX_DIST_FIXED:
        return x < d->p[0] ? 0.0 : 1.0;
    case CX_DIST_UNIFORM:
        if (x < d->p[0])
            return 0.0;
        if (x >= d->p[1])
            return 1.0;
        return (x - d->p[0]) / (d->p[1] - d->p[0]);
    case CX_DIST_TRIANGULAR:
        if (x < d->p[0])
            return 0.0;
        if (x >= d->p[2])
            return 1.0;
        if (x <= d->p[1])
            return (x - d->p[0]) * (x - d->p[0]) / d->k[1];
        return 1.0 - (d->p[2] - x) * (d->p[2] - x) / d->k[2];
    case CX_DIST_PERT:
        if (x < d->p[0])
            return 0.0;
        if (x >= d->p[2])
            return 1.0;
        return gsl_cdf_beta_P((x - d->p[0]) / (d->p[2] - d->p[0]), d->alpha, d->beta);
    case CX_DIST_NORMAL:
        return gsl_cdf_ugaussian_P((x - d->p[0]) / d->p[1]);
    case CX_DIST_LOGNORMAL:
        return x <= 0 ? 0.0 : gsl_cdf_ugaussian_P((log(x) - d->p[0]) / d->p[1]);
    case CX_DIST_BETA:
        return gsl_cdf_beta_P(x, d->p[0], d->p[1]);
    case CX_DIST_GAMMA:
        return x <= 0 ? 0.0 : gsl_cdf_gamma_P(x, d->p[0], d->p[1]);
    case CX_DIST_BERNOULLI:
        return x < 0 ? 0.0 : (x < 1 ? 1.0 - d->p[0] : 1.0);
    case CX_DIST_DISCRETE: {
        if (x < d->values[0])
            return 0.0;
        int lo = 0, hi = d->n - 1; /* largest i with values[i] <= x */
        while (lo < hi) {
            int mid = hi - (hi - lo) / 2;
            if (d->values[mid] <= x)
                lo = mid;
            else
                hi = mid - 1;
        }
        return d->cum[lo];
    }
    default:
        return NAN;
    }
}

double cx_dist_cdf(const cx_dist *d, double x)
{
    if (isnan(x))
        return NAN;
    if (x < d->min)
        return 0.0;
    if (x >= d->max)
        return 1.0;
    return raw_cdf(d, x);
}

double cx_dist_median(const cx_dist *d)
{
    return cx_dist_quantile(d, 0.5);
}

/* ---- moments ---- */

static void raw_moments(const cx_dist *d, double *mean, double *var)
{
    const double *p = d->p;
    switch (d->family) {
    case CX_DIST_FIXED:
        *mean = p[0];
        *var = 0;
        return;
    case CX_DIST_UNIFORM:
        *mean = 0.5 * (p[0] + p[1]);
        *var = (p[1] - p[0]) * (p[1] - p[0]) / 12.0;
        return;
    case CX_DIST_TRIANGULAR: {
        double a = p[0], c = p[1], b = p[2];
        *mean = (a + b + c) / 3.0;
        *var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0;
        return;
    }
    case CX_DIST_PERT: {
        double w = p[2] - p[0], s = d->alpha + d->beta;
        *mean = p[0] + w * d->alpha / s;
        *var = w * w * d->alpha * d->beta / (s * s * (s + 1.0));
        return;
    }
    case CX_DIST_NORMAL:
        *mean = p[0];
        *var = p[1] * p[1];
        return;
    case CX_DIST_LOGNORMAL: {
        double s2 = p[1] * p[1];
        *mean = exp(p[0] + 0.5 * s2);
        *var = expm1(s2) * exp(2.0 * p[0] + s2);
        return;
    }
    case CX_DIST_BETA: {
        double s = p[0] + p[1];
        *mean = p[0] / s;
        *var = p[0] * p[1] / (s * s * (s + 1.0));
        return;
    }
    case CX_DIST_GAMMA:
        *mean = p[0] * p[1];
        *var = p[0] * p[1] * p[1];
        return;
    default:
        *mean = *var = NAN;
        return;
    }
}

/* Exact moments of a clamped discrete variable (bernoulli and discrete). */
static void discrete_moments(const cx_dist *d, double *mean, double *var)
{
    double m = 0, prev = 0;
    int n = d->family == CX_DIST_BERNOULLI ? 2 : d->n;
    for (int pass = 0; pass < 2; pass++) {
        double s = 0;
        prev = 0;
        for (int i = 0; i < n; i++) {
            double v, c;
            if (d->family == CX_DIST_BERNOULLI) {
                v = (double)i;
                c = i == 0 ? 1.0 - d->p[0] : 1.0;
            } else {
                v = d->values[i];
                c = d->cum[i];
            }
            double w = c - prev;
            prev = c;
            if (!(w > 0))
                continue;
            double y = clamp(d, v);
            s += pass == 0 ? w * y : w * (y - m) * (y - m);
        }
        if (pass == 0)
            m = s;
        else
            *var = s;
    }
    *mean = m;
}

typedef struct integrand {
    const cx_dist *d;
    double centre;
    int power;
} integrand;

static double quantile_power(double u, void *params)
{
    const integrand *f = params;
    double y = raw_quantile(f->d, u) - f->centre;
    return f->power == 1 ? y : y * y;
}

/* int_a^b (Q(u) - centre)^power du by adaptive Gauss-Kronrod with extrapolation. The
 * result is the routine's best estimate even when it reports a tolerance it could not
 * reach (roundoff limits it near 1e-12 relative). */
static double integrate_quantile(const cx_dist *d, double a, double b, double centre,
                                 int power)
{
    if (!(b > a))
        return 0.0;
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    if (!w)
        return NAN;
    integrand par = {d, centre, power};
    gsl_function f = {quantile_power, &par};
    double result = NAN, err = 0;
    (void)gsl_integration_qags(&f, a, b, 0.0, 1e-10, 200, w, &result, &err);
    gsl_integration_workspace_free(w);
    return result;
}

/* Mean and variance of the clamped variable (see the note at the top of the file). */
static void moments(const cx_dist *d, double *mean, double *var)
{
    double lo, hi;
    support(d, &lo, &hi);
    double cl = clamp(d, lo), ch = clamp(d, hi);
    if (cl == ch) {
        *mean = cl;
        *var = 0;
        return;
    }
    if (d->family == CX_DIST_BERNOULLI || d->family == CX_DIST_DISCRETE) {
        discrete_moments(d, mean, var);
        return;
    }
    if (!(d->min > lo) && !(d->max < hi)) {
        raw_moments(d, mean, var);
        return;
    }
    /* Continuous family with a clamp inside the support: masses at the clamps plus the
     * quantile integral between them. */
    double a = d->min > lo ? raw_cdf(d, d->min) : 0.0;
    double b = d->max < hi ? raw_cdf(d, d->max) : 1.0;
    double m = integrate_quantile(d, a, b, 0.0, 1);
    if (a > 0)
        m += d->min * a;
    if (b < 1)
        m += d->max * (1.0 - b);
    double v = integrate_quantile(d, a, b, m, 2);
    if (a > 0)
        v += (d->min - m) * (d->min - m) * a;
    if (b < 1)
        v += (d->max - m) * (d->max - m) * (1.0 - b);
    *mean = m;
    *var = v;
}

double cx_dist_mean(const cx_dist *d)
{
    double m, v;
    moments(d, &m, &v);
    return m;
}

double cx_dist_variance(const cx_dist *d)
{
    double m, v;
    moments(d, &m, &v);
    return v;
}
