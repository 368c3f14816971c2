/* SPDX-License-Identifier: MIT */
/* Independent uniforms for a block of paths: plain MC, Latin hypercube, scrambled Sobol, antithetic. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>

#include "sim/engine/engine.h"
#include "sim/base/error.h"
#include "sim/input/sampler.h"
#include "sim/engine/sampling.h"

/*
 * Values handed to inverse CDFs must stay inside (0, 1). Every generator below keeps its
 * uniforms in [U_MIN, U_MAX]; both ends are exact doubles and 1 - u of either is the other,
 * so antithetic partners stay inside too.
 */
#define U_MIN 0x1.0p-53
#define U_MAX (1.0 - 0x1.0p-53)

/* Sobol points are kept as 52-bit binary fractions: GSL's have 30 bits, so this is exact. */
#define SOBOL_BITS 52

struct cx_sampling_plan {
    cx_sampling method;
    bool antithetic;
    int dim;
    int block_paths;
    int sobol_dim;       /* dimensions taken from the Sobol sequence: min(dim, 40) */
    uint64_t *sobol;     /* [block_paths][sobol_dim] 52-bit fractions; NULL unless Sobol */
};

const char *const cx_sampling_names[3] = {"mc", "lhs", "sobol"};

int cx_sampling_find(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, cx_sampling_names[i]) == 0)
            return i;
    return -1;
}

int cx_sampling_plan_new(cx_sampling_plan **out, cx_sampling method, bool antithetic, int dim,
                         int block_paths)
{
    *out = NULL;
    if (dim < 0 || block_paths < 1 ||
        (method != CX_SAMPLING_MC && method != CX_SAMPLING_LHS && method != CX_SAMPLING_SOBOL))
        return CX_ERR_RANGE;
    cx_sampling_plan *p = calloc(1, sizeof *p);
    if (!p)
        return CX_ERR_NOMEM;
    p->method = method;
    p->antithetic = antithetic;
    p->dim = dim;
    p->block_paths = block_paths;
    if (method == CX_SAMPLING_SOBOL && dim > 0) {
        unsigned max_dim = gsl_qrng_sobol->max_dimension;
        p->sobol_dim = dim < (int)max_dim ? dim : (int)max_dim;
        p->sobol = calloc((size_t)block_paths * (size_t)p->sobol_dim, sizeof *p->sobol);
        gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)p->sobol_dim);
        double x[40];
        if (!p->sobol || !q) {
            gsl_qrng_free(q);
            cx_sampling_plan_free(p);
            return CX_ERR_NOMEM;
        }
        /* Row 0 is the origin (GSL starts at the second point of the sequence), so the
         * first 2^k rows are the sequence's (t, k, s)-net. */
        for (int i = 1; i < block_paths; i++) {
            if (gsl_qrng_get(q, x) != 0) {
                gsl_qrng_free(q);
                cx_sampling_plan_free(p);
                return CX_ERR_INTERNAL;
            }
            for (int j = 0; j < p->sobol_dim; j++)
                p->sobol[(size_t)i * (size_t)p->sobol_dim + (size_t)j] =
                    (uint64_t)(x[j] * 0x1.0p52);
        }
        gsl_qrng_free(q);
    }
    *out = p;
    return 0;
}

void cx_sampling_plan_free(cx_sampling_plan *p)
{
    if (!p)
        return;
    free(p->sobol);
    free(p);
}

int cx_sampling_plan_dim(const cx_sampling_plan *p) { return p->dim; }
int cx_sampling_plan_block_paths(const cx_sampling_plan *p) { return p->block_paths; }
cx_sampling cx_sampling_plan_method(const cx_sampling_plan *p) { return p->method; }
bool cx_sampling_plan_antithetic(const cx_sampling_plan *p) { return p->antithetic; }

bool cx_sampling_plan_needs_block(const cx_sampling_plan *p)
{
    return p->method != CX_SAMPLING_MC || p->antithetic;
}

uint64_t cx_sampling_bounded(cx_pcg64 *g, uint64_t bound)
{
    /* Lemire (2019): the high word of x * bound is uniform once the low word's biased
     * range [0, 2^64 mod bound) is rejected. */
    cx_u128 m = (cx_u128)cx_pcg64_next(g) * bound;
    uint64_t lo = (uint64_t)m;
    if (lo < bound) {
        uint64_t threshold = (0 - bound) % bound;
        while (lo < threshold) {
            m = (cx_u128)cx_pcg64_next(g) * bound;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

static double clamp_open(double u)
{
    return u < U_MIN ? U_MIN : (u > U_MAX ? U_MAX : u);
}

/*
 * Latin hypercube column j over the m base rows (row i lives at u[i * step * dim]): stratum
 * values (k + jitter) / m, then a Fisher-Yates shuffle of the column.
 */
static void lhs_column(cx_pcg64 *g, int m, int dim, int step, int j, double *u)
{
    size_t stride = (size_t)step * (size_t)dim;
    for (int i = 0; i < m; i++)
        u[(size_t)i * stride + (size_t)j] =
            clamp_open(((double)i + cx_pcg64_uniform_pos(g)) / (double)m);
    for (int i = m - 1; i > 0; i--) {
        size_t k = (size_t)cx_sampling_bounded(g, (uint64_t)i + 1);
        double t = u[(size_t)i * stride + (size_t)j];
        u[(size_t)i * stride + (size_t)j] = u[k * stride + (size_t)j];
        u[k * stride + (size_t)j] = t;
    }
}

void cx_sampling_fill_block(const cx_sampling_plan *p, cx_pcg64 *g, int n, double *u)
{
    int dim = p->dim;
    if (n <= 0 || dim == 0)
        return;
    /* Base points go to rows 0, step, 2 step, ...; with antithetic pairs the odd rows
     * are filled from them at the end. */
    int step = p->antithetic ? 2 : 1;
    int m = p->antithetic ? (n + 1) / 2 : n;
    size_t stride = (size_t)step * (size_t)dim;

    switch (p->method) {
    case CX_SAMPLING_MC:
        for (int i = 0; i < m; i++)
            for (int j = 0; j < dim; j++)
                u[(size_t)i * stride + (size_t)j] = clamp_open(cx_pcg64_uniform_pos(g));
        break;
    case CX_SAMPLING_LHS:
        for (int j = 0; j < dim; j++)
            lhs_column(g, m, dim, step, j, u);
        break;
    case CX_SAMPLING_SOBOL: {
        int sd = p->sobol_dim;
        uint64_t shift[40];
        for (int j = 0; j < sd; j++)
            shift[j] = cx_pcg64_next(g) >> (64 - SOBOL_BITS);
        for (int i = 0; i < m; i++) {
            const uint64_t *pt = p->sobol + (size_t)i * (size_t)sd;
            for (int j = 0; j < sd; j++) {
                /* (v + 1/2) / 2^52 is exact and keeps v's interval at any k <= 52. */
                uint64_t v = pt[j] ^ shift[j];
                u[(size_t)i * stride + (size_t)j] = ((double)v + 0.5) * 0x1.0p-52;
            }
        }
        for (int j = sd; j < dim; j++)
            lhs_column(g, m, dim, step, j, u);
        break;
    }
    }

    if (p->antithetic)
        for (int i = 0; 2 * i + 1 < n; i++)
            for (int j = 0; j < dim; j++)
                u[(size_t)(2 * i + 1) * (size_t)dim + (size_t)j] =
                    1.0 - u[(size_t)(2 * i) * (size_t)dim + (size_t)j];
}

/* ---- the engine's input source ---- */

struct cx_sampling_source {
    cx_sampling_plan *plan;
    const cx_sampler *sampler;
    int n_inputs, d;
    int *idx; /* uncertain inputs, in input order */
};

typedef struct source_thread {
    double *u;     /* block_paths x d */
    double *ufull; /* n_inputs */
    double *work;
} source_thread;

static int source_thread_new(void *ctx, void **state)
{
    const cx_sampling_source *s = ctx;
    source_thread *t = calloc(1, sizeof *t);
    int ws = cx_sampler_work_size(s->sampler);
    if (!t)
        return CX_ERR_NOMEM;
    t->u = malloc((size_t)s->plan->block_paths * (size_t)(s->d > 0 ? s->d : 1) * sizeof(double));
    t->ufull = malloc((size_t)(s->n_inputs > 0 ? s->n_inputs : 1) * sizeof(double));
    t->work = malloc((size_t)(ws > 0 ? ws : 1) * sizeof(double));
    if (!t->u || !t->ufull || !t->work) {
        free(t->u);
        free(t->ufull);
        free(t->work);
        free(t);
        return CX_ERR_NOMEM;
    }
    for (int i = 0; i < s->n_inputs; i++)
        t->ufull[i] = 0.5;
    *state = t;
    return 0;
}

static void source_thread_free(void *ctx, void *state)
{
    (void)ctx;
    source_thread *t = state;
    if (!t)
        return;
    free(t->u);
    free(t->ufull);
    free(t->work);
    free(t);
}

/* The block's uniforms come first from its stream; the paths' per-month draws follow. */
static void source_block_begin(void *ctx, void *state, uint64_t b, int n, gsl_rng *r)
{
    (void)b;
    const cx_sampling_source *s = ctx;
    source_thread *t = state;
    cx_sampling_fill_block(s->plan, cx_rng_pcg64(r), n, t->u);
}

static void source_fill(void *ctx, void *state, uint64_t b, int i, gsl_rng *r, double *x)
{
    (void)b;
    (void)r;
    const cx_sampling_source *s = ctx;
    source_thread *t = state;
    const double *row = t->u + (size_t)i * (size_t)s->d;
    for (int k = 0; k < s->d; k++)
        t->ufull[s->idx[k]] = row[k];
    cx_sampler_map(s->sampler, t->ufull, x, t->work);
}

int cx_sampling_source_new(cx_sampling_source **out, struct cx_input_source *src,
                           const cx_scenario *sc, cx_sampling method, bool antithetic,
                           int block_paths)
{
    *out = NULL;
    cx_sampling_source *s = calloc(1, sizeof *s);
    if (!s)
        return CX_ERR_NOMEM;
    s->sampler = sc->sampler;
    s->n_inputs = sc->n_inputs;
    s->idx = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof(int));
    if (!s->idx) {
        free(s);
        return CX_ERR_NOMEM;
    }
    for (int i = 0; i < sc->n_inputs; i++)
        if (sc->inputs[i].uncertain)
            s->idx[s->d++] = i;
    int rc = cx_sampling_plan_new(&s->plan, method, antithetic, s->d, block_paths);
    if (rc != 0) {
        cx_sampling_source_free(s);
        return rc;
    }
    *src = (cx_input_source){s, source_thread_new, source_thread_free, source_block_begin,
                             source_fill, NULL};
    *out = s;
    return 0;
}

void cx_sampling_source_free(cx_sampling_source *s)
{
    if (!s)
        return;
    cx_sampling_plan_free(s->plan);
    free(s->idx);
    free(s);
}
