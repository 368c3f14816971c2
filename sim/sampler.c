/* SPDX-License-Identifier: MIT */
/* Per-path scalar inputs: exact independent draws, or a Gaussian copula for rank correlations. */
/*
 * MODEL.md, "Correlation": a target Spearman rho between two inputs becomes the normal
 * correlation r = 2 sin(pi rho / 6) (for a Gaussian copula, Spearman = (6/pi) asin(r/2)).
 * The inputs named in any pair form the "correlated set" of m inputs; their m x m matrix
 * (unit diagonal, r for each pair, 0 elsewhere) is factored once, R = L L^T (GSL Cholesky).
 * Per path: z ~ N(0, I_m) (ziggurat), y = L z, u = Phi(y), x = F^-1(u). Inputs in no pair
 * use their family's exact sampler; fixed inputs copy their (clamped) value.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#include "sim/error.h"
#include "sim/sampler.h"

#define PI 3.14159265358979323846

enum { KIND_FIXED, KIND_INDEP, KIND_CORR };

struct cx_sampler {
    int n;                 /* inputs */
    const cx_dist *dists;  /* borrowed */
    int m;                 /* inputs in the correlated set */
    int *kind;             /* per input: KIND_* */
    int *slot;             /* per input: row of the copula (KIND_CORR), else -1 */
    double *value;         /* per input: the value of a fixed input */
    double *chol;          /* m x m, row-major; lower triangle holds L */
};

void cx_sampler_free(cx_sampler *s)
{
    if (!s)
        return;
    free(s->kind);
    free(s->slot);
    free(s->value);
    free(s->chol);
    free(s);
}

int cx_sampler_n(const cx_sampler *s)
{
    return s->n;
}

int cx_sampler_work_size(const cx_sampler *s)
{
    return s->m;
}

/* R for pairs 0 .. n_use-1 into a (identity elsewhere), then Cholesky in place.
 * @return 0 when R is positive definite (a's lower triangle then holds L). */
static int factor(gsl_matrix *a, const cx_sampler *s, const cx_corr *pairs, int n_use)
{
    gsl_matrix_set_identity(a);
    for (int k = 0; k < n_use; k++) {
        double r = 2.0 * sin(PI * pairs[k].rho / 6.0);
        int i = s->slot[pairs[k].a], j = s->slot[pairs[k].b];
        gsl_matrix_set(a, (size_t)i, (size_t)j, r);
        gsl_matrix_set(a, (size_t)j, (size_t)i, r);
    }
    return gsl_linalg_cholesky_decomp1(a);
}

int cx_sampler_new(cx_sampler **out, const cx_dist *dists, int n, const cx_corr *pairs,
                   int n_pairs, int *bad_pair)
{
    int rc = CX_ERR_NOMEM;
    gsl_matrix *a = NULL;
    gsl_error_handler_t *old_handler = NULL;
    int handler_saved = 0;
    *out = NULL;
    if (bad_pair)
        *bad_pair = -1;
    if (n < 0 || n_pairs < 0 || (n > 0 && !dists) || (n_pairs > 0 && !pairs))
        return CX_ERR_RANGE;

    /* Each pair names two different inputs, once, with a finite rho in [-1, 1]. */
    for (int k = 0; k < n_pairs; k++) {
        const cx_corr *p = &pairs[k];
        int bad = p->a < 0 || p->a >= n || p->b < 0 || p->b >= n || p->a == p->b ||
                  !(p->rho >= -1.0 && p->rho <= 1.0);
        for (int q = 0; q < k && !bad; q++)
            bad = (pairs[q].a == p->a && pairs[q].b == p->b) ||
                  (pairs[q].a == p->b && pairs[q].b == p->a);
        if (bad) {
            if (bad_pair)
                *bad_pair = k;
            return CX_ERR_RANGE;
        }
    }

    cx_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return CX_ERR_NOMEM;
    s->n = n;
    s->dists = dists;
    size_t nn = n > 0 ? (size_t)n : 1;
    s->kind = malloc(nn * sizeof *s->kind);
    s->slot = malloc(nn * sizeof *s->slot);
    s->value = calloc(nn, sizeof *s->value);
    if (!s->kind || !s->slot || !s->value)
        goto done;
    for (int i = 0; i < n; i++) {
        s->slot[i] = -1;
        s->kind[i] = cx_dist_is_fixed(&dists[i]) ? KIND_FIXED : KIND_INDEP;
        if (s->kind[i] == KIND_FIXED)
            s->value[i] = cx_dist_lower(&dists[i]);
    }
    for (int k = 0; k < n_pairs; k++) {
        s->slot[pairs[k].a] = 0;
        s->slot[pairs[k].b] = 0;
    }
    /* Copula rows in input order; a fixed input in a pair keeps its row (the pair still
     * belongs to the matrix the config describes) but still just copies its value. */
    for (int i = 0; i < n; i++)
        if (s->slot[i] >= 0) {
            s->slot[i] = s->m++;
            if (s->kind[i] != KIND_FIXED)
                s->kind[i] = KIND_CORR;
        }

    if (s->m > 0) {
        size_t m = (size_t)s->m;
        s->chol = calloc(m * m, sizeof *s->chol);
        a = gsl_matrix_alloc(m, m);
        if (!s->chol || !a)
            goto done;
        /* A non-positive-definite matrix is a config error, not an abort. */
        old_handler = gsl_set_error_handler_off();
        handler_saved = 1;
        if (factor(a, s, pairs, n_pairs) != 0) {
            /* MODEL.md, "Correlation": name the first pair after which the Cholesky
             * fails, adding pairs in config order. The full matrix failed, so re-factor
             * after each added pair; the cost is O(pairs m^3) once, at load time. */
            int k = 0;
            while (k < n_pairs - 1 && factor(a, s, pairs, k + 1) == 0)
                k++;
            if (bad_pair)
                *bad_pair = k;
            rc = CX_ERR_CONFIG;
            goto done;
        }
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j <= i; j++)
                s->chol[i * m + j] = gsl_matrix_get(a, i, j);
    }
    rc = 0;

done:
    if (handler_saved)
        gsl_set_error_handler(old_handler);
    gsl_matrix_free(a);
    if (rc) {
        cx_sampler_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* y = L z in place: row i of L z needs z[0..i] only, so going from the last row up
 * leaves every z[j] a later row needs untouched. */
static void mul_chol(const cx_sampler *s, double *z)
{
    const int m = s->m;
    for (int i = m - 1; i >= 0; i--) {
        const double *row = s->chol + (size_t)i * (size_t)m;
        double y = 0;
        for (int j = 0; j <= i; j++)
            y += row[j] * z[j];
        z[i] = y;
    }
}

/* Phi(y) kept inside (0, 1): Phi underflows to 0 below y ~ -38.5 and rounds to 1 above
 * y ~ 8.3, where F^-1 would be infinite for unbounded families. The cut changes the
 * copula only beyond 8.3 standard deviations (probability ~ 5e-17). */
static inline double copula_u(double y)
{
    double u = gsl_cdf_ugaussian_P(y);
    if (u < DBL_TRUE_MIN)
        u = DBL_TRUE_MIN;
    if (u > 1.0 - DBL_EPSILON / 2)
        u = 1.0 - DBL_EPSILON / 2;
    return u;
}

static void finish(const cx_sampler *s, double *x, const double *z)
{
    for (int i = 0; i < s->n; i++)
        if (s->kind[i] == KIND_CORR)
            x[i] = cx_dist_quantile(&s->dists[i], copula_u(z[s->slot[i]]));
}

void cx_sampler_draw(const cx_sampler *s, gsl_rng *r, double *x, double *work)
{
    if (s->m > 0) {
        for (int k = 0; k < s->m; k++)
            work[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
        mul_chol(s, work);
    }
    for (int i = 0; i < s->n; i++) {
        if (s->kind[i] == KIND_FIXED)
            x[i] = s->value[i];
        else if (s->kind[i] == KIND_INDEP)
            x[i] = cx_dist_sample(&s->dists[i], r);
    }
    if (s->m > 0)
        finish(s, x, work);
}

void cx_sampler_map(const cx_sampler *s, const double *u, double *x, double *work)
{
    for (int i = 0; i < s->n; i++) {
        if (s->kind[i] == KIND_FIXED)
            x[i] = s->value[i];
        else if (s->kind[i] == KIND_INDEP)
            x[i] = cx_dist_quantile(&s->dists[i], u[i]);
        else
            work[s->slot[i]] = gsl_cdf_ugaussian_Pinv(u[i]);
    }
    if (s->m > 0) {
        mul_chol(s, work);
        finish(s, x, work);
    }
}
