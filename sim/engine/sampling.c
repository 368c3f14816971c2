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
#include "sim/rng/sobol.h"
#include "sim/engine/sampling.h"

/*
 * Values handed to inverse CDFs must stay inside (0, 1). Every generator below keeps its
 * uniforms in [U_MIN, U_MAX]; both ends are exact doubles and 1 - u of either is the other,
 * so antithetic partners stay inside too.
 */
#define U_MIN 0x1.0p-53
#define U_MAX (1.0 - 0x1.0p-53)

/* Sobol points are kept as 52-bit binary fractions: GSL's have 30 bits, so this is exact, and
 * sim/rng/sobol.c makes 52. */
#define SOBOL_BITS CX_SOBOL_BITS
/* Dimensions from GSL's gsl_qrng_sobol (its max_dimension); those past it from sim/rng/sobol.h. */
#define GSL_SOBOL_DIMS 40

_Static_assert(CX_SAMPLING_SOBOL_DIMS == CX_SOBOL_JK_DIMS,
               "the plan's Sobol dimensions are GSL's 40 and Joe and Kuo's 40..1111 less one");

struct cx_sampling_plan {
    cx_sampling method;
    bool antithetic;
    int dim;
    int block_paths;
    int sobol_dim;       /* dimensions from the Sobol sequence: min(dim, CX_SAMPLING_SOBOL_DIMS) */
    uint64_t *sobol;     /* [block_paths][sobol_dim] 52-bit fractions; NULL unless Sobol */
    uint64_t *keys;      /* [dim] each dimension's name key (cx_sampling_plan_set_keys) */
};

const char *const cx_sampling_names[3] = {"mc", "lhs", "sobol"};

int cx_sampling_find(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, cx_sampling_names[i]) == 0)
            return i;
    return -1;
}

/*
 * The Joe and Kuo dimension (sim/rng/sobol.h) behind the plan's dimension j >= GSL_SOBOL_DIMS
 * (0-based): their dimensions from 40 on, in order, less 46. GSL's 40 dimensions are generated
 * by Joe and Kuo's first 39 primitive polynomials and by 369 (x^8 + x^6 + x^5 + x^4 + 1, GSL's
 * dimension 39), which is Joe and Kuo's dimension 46; skipping it keeps every polynomial once
 * among the plan's dimensions, as Sobol's construction asks (tests/test_sobol.c checks this
 * against GSL's points). So the plan's dimensions 41..46 (1-based) are Joe and Kuo's 40..45,
 * and its dimension k >= 47 is their k, up to 1111.
 */
static int jk_dim(int j)
{
    return j < 46 ? j : j + 1;
}

/*
 * Fills p->sobol (block_paths rows of sobol_dim 52-bit fractions, zeroed) with the first
 * block_paths points: GSL's sequence in dimensions 1..40 (GSL starts at the second point, so
 * row 0 stays the origin and the first 2^k rows are the sequence's net), Joe and Kuo's
 * dimensions past 40 (their row 0 is the origin too).
 * @return 0, CX_ERR_NOMEM, CX_ERR_INTERNAL.
 */
static int sobol_points(cx_sampling_plan *p)
{
    int sd = p->sobol_dim;
    int gd = sd < GSL_SOBOL_DIMS ? sd : GSL_SOBOL_DIMS;
    double x[GSL_SOBOL_DIMS];
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)gd);
    if (!q)
        return CX_ERR_NOMEM;
    for (int i = 1; i < p->block_paths; i++) {
        if (gsl_qrng_get(q, x) != 0) {
            gsl_qrng_free(q);
            return CX_ERR_INTERNAL;
        }
        for (int j = 0; j < gd; j++)
            p->sobol[(size_t)i * (size_t)sd + (size_t)j] = (uint64_t)(x[j] * 0x1.0p52);
    }
    gsl_qrng_free(q);
    for (int j = GSL_SOBOL_DIMS; j < sd; j++)
        if (cx_sobol_jk_points(jk_dim(j), p->block_paths, p->sobol + j, (size_t)sd) != 0)
            return CX_ERR_INTERNAL;
    return 0;
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
    p->keys = malloc((size_t)(dim > 0 ? dim : 1) * sizeof *p->keys);
    if (!p->keys) {
        free(p);
        return CX_ERR_NOMEM;
    }
    for (int j = 0; j < dim; j++)
        p->keys[j] = cx_mix64((uint64_t)j ^ 0x452821e638d01377ULL);
    if (method == CX_SAMPLING_SOBOL && dim > 0) {
        p->sobol_dim = dim < CX_SAMPLING_SOBOL_DIMS ? dim : CX_SAMPLING_SOBOL_DIMS;
        p->sobol = calloc((size_t)block_paths * (size_t)p->sobol_dim, sizeof *p->sobol);
        int rc = p->sobol ? sobol_points(p) : CX_ERR_NOMEM;
        if (rc != 0) {
            cx_sampling_plan_free(p);
            return rc;
        }
    }
    *out = p;
    return 0;
}

void cx_sampling_plan_free(cx_sampling_plan *p)
{
    if (!p)
        return;
    free(p->sobol);
    free(p->keys);
    free(p);
}

void cx_sampling_plan_set_keys(cx_sampling_plan *p, const uint64_t *keys)
{
    memcpy(p->keys, keys, (size_t)p->dim * sizeof *keys);
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

/* A uniform in (0, 1) from a 64-bit output, as cx_pcg64_uniform_pos makes it. */
static double uniform_pos_b(uint64_t b)
{
    return ((double)(b >> 12) + 0.5) * 0x1.0p-52;
}

/*
 * Latin hypercube column j over the m base rows (row i lives at u[i * step * dim]): stratum
 * values (k + jitter) / m, then a Fisher-Yates shuffle of the column; jitters and shuffle
 * from the column's own stream, keyed by (the block's key bk, the dimension's name key).
 */
static void lhs_column(const cx_sampling_plan *p, uint64_t bk, int m, int step, int j,
                       double *u)
{
    const int dim = p->dim;
    cx_pcg64 col, *g = &col;
    cx_pcg64_keyed(g, cx_keyed_first(bk, p->keys[j]));
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
        /* base row i: the key of its path, one output of g; each dimension's uniform from
         * the first output of its keyed stream (cx_keyed_first) */
        for (int i = 0; i < m; i++) {
            const uint64_t pk = cx_pcg64_next(g);
            for (int j = 0; j < dim; j++)
                u[(size_t)i * stride + (size_t)j] =
                    clamp_open(uniform_pos_b(cx_keyed_first(pk, p->keys[j])));
        }
        break;
    case CX_SAMPLING_LHS: {
        const uint64_t bk = cx_pcg64_next(g);   /* the block's key */
        for (int j = 0; j < dim; j++)
            lhs_column(p, bk, m, step, j, u);
        break;
    }
    case CX_SAMPLING_SOBOL: {
        int sd = p->sobol_dim;
        /* One shift a dimension, drawn in dimension order before any Latin hypercube column. */
        for (int j = 0; j < sd; j++) {
            uint64_t shift = cx_pcg64_next(g) >> (64 - SOBOL_BITS);
            for (int i = 0; i < m; i++) {
                /* (v + 1/2) / 2^52 is exact and keeps v's interval at any k <= 52. */
                uint64_t v = p->sobol[(size_t)i * (size_t)sd + (size_t)j] ^ shift;
                u[(size_t)i * stride + (size_t)j] = ((double)v + 0.5) * 0x1.0p-52;
            }
        }
        if (sd < dim) {
            const uint64_t bk = cx_pcg64_next(g);
            for (int j = sd; j < dim; j++)
                lhs_column(p, bk, m, step, j, u);
        }
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
    /* each dimension keyed by its input's name (Latin hypercube, MC with antithetic pairs) */
    for (int k = 0; k < s->d; k++)
        s->plan->keys[k] = cx_sampler_key(sc->sampler, s->idx[k]);
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
