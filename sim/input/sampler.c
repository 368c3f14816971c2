/* SPDX-License-Identifier: MIT */
/* Per-path scalar inputs: independent draws, or a Gaussian copula for rank correlations. */
/*
 * MODEL.md, "Correlation": a target Spearman rho between two inputs becomes the normal
 * correlation r = 2 sin(pi rho / 6) (for a Gaussian copula, Spearman = (6/pi) asin(r/2)).
 * The inputs named in any pair form the "correlated set" of m inputs; their m x m matrix
 * (unit diagonal, r for each pair, 0 elsewhere) is factored once, R = L L^T (GSL Cholesky).
 * Per path: z ~ N(0, I_m) (cx_normal, sim/rng/normal.h), y = L z, x = F^-1(Phi(y)).
 *
 * Normal-score tables. F^-1(Phi(z)) of a beta, PERT or gamma costs an iterative solver in
 * GSL (~16,000 instructions for a beta), and their exact samplers two gamma variates each;
 * together they were ~60% of a path's instructions (issue 5's profile). So cx_sampler_new
 * tabulates, once per distinct shape, the smooth function T(z) = F^-1(Phi(z)) of the
 * standardised family (beta(a, b) on [0, 1] for beta and PERT, gamma(k, 1), and Phi itself
 * for a correlated uniform) on a uniform grid of z in [-TAB_Z, TAB_Z], with the exact node
 * values (GSL's Pinv for z <= 0, Qinv of Phi(-z) for z > 0, so the upper tail keeps its
 * precision) and the exact slopes dT/dz = phi(z) / f(T(z)) (f: GSL's pdf). Between nodes,
 * the cubic Hermite interpolant; outside the grid (probability 1.6e-16 per draw), the exact
 * quantile. An input is then x = offset + scale T(z), clamped: for an input in no pair z
 * is one cx_normal (so the marginal is F up to the table's error), in the copula z is
 * the correlated normal y.
 *
 * Error bound: the Hermite error in a cell is T''''(xi) h^4 s^2 (1-s)^2 / 24, largest at the
 * cell midpoint. The build starts at TAB_N0 cells and doubles: the exact values at the
 * midpoints of the current grid are the new nodes of the next one, and the build stops when
 * the current grid misses every one of those midpoints by at most TAB_TOL x the standardised
 * sd, then keeps the doubled grid, whose error is about 16 times smaller (h^4). A shape that
 * needs more than TAB_NMAX cells gets no table and keeps its exact sampler and quantile.
 * tests/test_sampler.c checks |T(z) - F^-1(Phi(z))| <= 1e-9 sd at 2 x 10^5 points off the
 * grid for every tabulated family, extreme shapes included. Measured worst errors are
 * printed by that test; for the default scenario's shapes they are below 1e-12 sd.
 *
 * Normal and lognormal inputs need no table (x = mean + sd y, exp(mu + sigma y)); the
 * others (triangular, discrete, bernoulli, and uniform outside the copula) keep their exact
 * samplers from one uniform, which cost less than a normal variate. Fixed inputs copy their
 * (clamped) value.
 *
 * Draws of one path (issue 23 item 8: keyed by name). The path's key pk is one output of
 * the block stream; input i's stream on the path is keyed by (pk, its name key): its first
 * 64-bit output is cx_keyed_first(pk, key) and further outputs come from the pcg64
 * cx_pcg64_keyed continues it with (sim/rng/pcg.h). An input takes from its stream: one
 * cx_normal (a correlated input: its copula normal z, before y = L z; a tabulated one: its
 * score), one uniform (uniform, triangular), or the draws of cx_dist_sample (the rest, on
 * the continuing pcg64); fixed inputs take nothing. A ziggurat normal whose first output
 * fails its fast test continues on the pcg64 too. The order in which the code visits the
 * inputs changes nothing: no input's draws depend on another's.
 *
 * Batches (issue 9). cx_sampler_draw_batch takes those draws path after path, but leaves each raw draw in the path's row and maps them afterwards input by input
 * over the batch: an input's table and constants then serve the whole batch from cache and
 * registers, and the dispatch on its kind is paid once per batch. cx_sampler_draw and
 * cx_sampler_draw_sliced are the same code with a batch of one path, so a path's inputs
 * are the same bits however it is drawn.
 *
 * The raw draw of a normal or a uniform input (without slices) is its stream's first 64-bit
 * output b itself: one ziggurat attempt and one cx_pcg64_uniform both take one output, so
 * the draw loop is the same for both and needs no dispatch. Whether the attempt succeeds is
 * decided at once, on integers (cx_normal_fast_limit: b >> 11 below a limit of layer
 * b & 255; a uniform's limit accepts every b), since a failed attempt takes more outputs
 * before the next input's; such a normal (about 1.5%) is finished there by the slow path
 * and its score kept aside, to replace the map's value of its place after the maps. The
 * maps make the score, (b >> 11) times layer b & 255's width with bit 8's sign, or the
 * uniform, (b >> 11) 2^-53, from the output: the same bits as cx_normal and
 * cx_pcg64_uniform.
 */
#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#include "sim/base/error.h"
#include "sim/rng/normal.h"
#include "sim/rng/pcg.h"
#include "sim/input/sampler.h"

#define PI 3.14159265358979323846

/* Grid of the normal-score tables: z in [-TAB_Z, TAB_Z]; P(|Z| > 8.25) = 1.6e-16. */
#define TAB_Z 8.25
#define TAB_N0 64
#define TAB_NMAX 16384
/* Build tolerance at the midpoints of the half-size grid, times the standardised sd. The kept
 * grid (twice as fine) misses by about 1/16 of it: ~6e-11 sd, inside the 1e-9 sd that
 * tests/test_sampler.c asserts; the default scenario's tables are then 1,024 cells (32 KB),
 * and all of them fit in a 512 KB L2 cache together (issue 9's profile: lookups in 19 tables
 * of 64 to 128 KB took 14% of the time for 3% of the instructions). */
#define TAB_TOL 1e-9
/* |z| below this is on every table's grid: (z + TAB_Z) inv_h < n (16.25 / 16.5 of it). A
 * column of such scores skips the grid check (map_column). */
#define TAB_SAFE_Z 8.0

/* How an input's value comes from its normal score z. */
enum { MAP_FIXED, MAP_EXACT, MAP_TABLE, MAP_NORMAL, MAP_LOGNORMAL };
/* What an input not in the copula takes from the stream (cx_dist_sample_inline's draws):
 * a normal score (tabulated), one uniform (uniform, triangular), or its exact sampler. */
enum { DRAW_NORMAL, DRAW_UNIFORM, DRAW_SAMPLE };
/* Standardised shapes of the tables. */
enum { STD_BETA, STD_GAMMA, STD_PHI };

typedef struct qtable {
    int shape;      /* STD_* */
    double a, b;    /* beta(a, b); gamma(a, 1); unused for Phi */
    int n;          /* cells */
    double inv_h;   /* cells per unit of z */
    double err;     /* worst midpoint miss of the half-size grid, standardised units */
    double *c;      /* 4 per cell: T = c0 + s (c1 + s (c2 + s c3)), s in [0, 1) */
} qtable;

/* A cell of the draw table (cx_sampler.zig): an output b whose cell this is gives the
 * value (b >> 11) w when b >> 11 < lim; otherwise (a normal outside its layer's box, about
 * 1.5% of them) the ziggurat's slow path finishes it. */
typedef struct zcell {
    double w;
    uint64_t lim;
} zcell;

/* The draw table's 512 cells, by bits 0 .. 8 of b, are the ziggurat's fast path: layer
 * b & 255, with the sign of bit 8 in w (u (-w) is -(u w), the same bits as cx_normal_fast's
 * flip of the sign bit). */
#define ZIG_CELLS 512

/* An own input's draw (an input in no pair, not fixed, that draws a normal or a uniform),
 * without slices: its output b goes into its place `at` in the row as it is, and the draw
 * is finished when b < bar[b & 255] (cx_sampler.bar), else when b_done says so. The maps
 * turn b into the normal score or the uniform (draw_rows). */
typedef struct own_step {
    const uint64_t *bar;
    uint64_t key;   /* the input's name key (cx_keyed_first) */
    int32_t at;
} own_step;

/* A normal that its fast test did not finish (about 1.5% of them): the slow path's score z
 * for input i of row p, put in after the maps (draw_rows). */
typedef struct late {
    int32_t p, i;
    double z;
} late;
/* Lates a batch keeps at once (4 KB on the stack); a batch whose paths could give more is
 * mapped in parts. */
#define LATE_CAP 256

typedef struct input {
    int map;             /* MAP_* */
    int slot;            /* copula row, or -1 */
    int tab;             /* MAP_TABLE: index into tables */
    double off, scale;   /* TABLE: off + scale T(z); NORMAL: mean, sd; LOGNORMAL: mu, sigma */
    double min, max;     /* clamps */
    double value;        /* MAP_FIXED */
    int draw;            /* DRAW_*, for an input in no pair */
    uint64_t key;        /* name key of the input's stream (cx_sampler_set_keys) */
} input;

struct cx_sampler {
    int n;                 /* inputs */
    const cx_dist *dists;  /* borrowed */
    int m;                 /* inputs in the correlated set */
    int *slot;             /* per input: row of the copula, else -1 (used while factoring) */
    input *in;             /* per input */
    double *chol;          /* m x m, row-major; lower triangle holds L */
    uint64_t *slot_key;    /* per copula row: its input's name key */
    /* L's nonzeros, row by row (row i: nz_at[i] .. nz_at[i + 1] - 1): the draws' product */
    int *nz_at, *nz_col;
    double *nz_val;
    int n_tab;
    qtable *tab;
    /* A row gets fixed_x (every fixed input's value, 0 elsewhere; once for rows that a
     * caller reuses, cx_sampler_draw_batch's fixed_set), then only the act[0 .. n_act-1]
     * inputs that are not fixed are visited, in input order: most inputs of a scenario are
     * bare numbers, and skipping them one by one cost more than the copy. */
    double *fixed_x;
    int *act;
    int n_act;
    /* the act inputs in no pair, in input order (the ones that draw from the stream), and
     * their DRAW_* */
    int *own;
    unsigned char *own_draw;
    int n_own;
    /* The draws of a path without slices (draw_own_raw): step[k] for own input k, the k of
     * each own input that takes its exact sampler (DRAW_SAMPLE), in order, then n_own: the
     * steps between two of them run as one loop with no dispatch. */
    own_step *step;
    int *stop;
    int n_normal;   /* own inputs that draw a normal */
    zcell zig[ZIG_CELLS];
    /* The fast test on b itself, for a normal (bar[0]) and a uniform (bar[1]): b >> 11 < K
     * is b < K 2^11 for K = cx_normal_fast_limit(...) < 2^53, so bar[0][j] = K 2^11; a limit
     * of 2^53 (every u, and every uniform) does not fit, and its bar, 2^64 - 2^11, lets
     * all but u = 2^53 - 1 through, which b_done then decides. */
    uint64_t bar[2][256];
    double zw[ZIG_CELLS];   /* the cells' w alone, for the maps of raw rows */
};

void cx_sampler_free(cx_sampler *s)
{
    if (!s)
        return;
    for (int k = 0; k < s->n_tab; k++)
        free(s->tab[k].c);
    free(s->tab);
    free(s->fixed_x);
    free(s->act);
    free(s->own);
    free(s->own_draw);
    free(s->step);
    free(s->stop);
    free(s->in);
    free(s->slot);
    free(s->slot_key);
    free(s->chol);
    free(s->nz_at);
    free(s->nz_col);
    free(s->nz_val);
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

/* ---- normal-score tables ---- */

/* Exact T(z) of a standardised shape: lower half through Phi and Pinv, upper half through
 * Phi(-z) and Qinv, so that neither tail loses its digits to 1 - u. GSL's beta and gamma
 * inverses give NaN where the true value underflows to the support's end: use that end. */
static double std_quantile(int shape, double a, double b, double z)
{
    double x;
    if (isnan(z))
        return NAN;
    if (z <= 0) {
        double u = gsl_cdf_ugaussian_P(z);
        x = shape == STD_BETA ? gsl_cdf_beta_Pinv(u, a, b)
            : shape == STD_GAMMA ? cx_gamma_polish(gsl_cdf_gamma_Pinv(u, a, 1.0), u, false, a, 1.0)
                                 : u;
        if (isnan(x))
            x = 0.0;
    } else {
        double q = gsl_cdf_ugaussian_Q(z);
        x = shape == STD_BETA ? gsl_cdf_beta_Qinv(q, a, b)
            : shape == STD_GAMMA ? cx_gamma_polish(gsl_cdf_gamma_Qinv(q, a, 1.0), q, true, a, 1.0)
                                 : 1.0 - q;
        if (isnan(x))
            x = shape == STD_GAMMA ? INFINITY : 1.0;
    }
    return x;
}

/* dT/dz = phi(z) / f(T(z)); NaN where the density is 0 (an infinite slope). */
static double std_slope(int shape, double a, double b, double z, double x)
{
    double f = shape == STD_BETA ? gsl_ran_beta_pdf(x, a, b)
               : shape == STD_GAMMA ? gsl_ran_gamma_pdf(x, a, 1.0) : 1.0;
    if (f == INFINITY)
        return 0.0;
    if (!(f > 0))
        return NAN;
    return gsl_ran_ugaussian_pdf(z) / f;
}

/* Cubic Hermite through (0, x0) and (1, x1) with slopes m0, m1 (per cell), at s. */
static inline double hermite(double x0, double m0, double x1, double m1, double s)
{
    double dx = x1 - x0;
    double c2 = 3.0 * dx - 2.0 * m0 - m1, c3 = m0 + m1 - 2.0 * dx;
    return x0 + s * (m0 + s * (c2 + s * c3));
}

/* Fills t for the shape (see the note at the top). @return 0, CX_ERR_NOMEM, or
 * CX_ERR_RANGE when the shape needs more than TAB_NMAX cells or has non-finite values
 * (the input then keeps its exact sampler). */
static int table_build(qtable *t, int shape, double a, double b, double sd)
{
    int rc = CX_ERR_NOMEM;
    int n = TAB_N0;
    double *x = malloc((size_t)(n + 1) * sizeof *x), *d = malloc((size_t)(n + 1) * sizeof *d);
    double *x2 = NULL, *d2 = NULL;
    if (!x || !d)
        goto done;
    for (int i = 0; i <= n; i++) {
        double z = -TAB_Z + 2.0 * TAB_Z * i / n;
        x[i] = std_quantile(shape, a, b, z);
        d[i] = std_slope(shape, a, b, z, x[i]);
    }
    for (;;) {
        double h = 2.0 * TAB_Z / n, err = 0.0;
        x2 = malloc((size_t)(2 * n + 1) * sizeof *x2);
        d2 = malloc((size_t)(2 * n + 1) * sizeof *d2);
        if (!x2 || !d2)
            goto done;
        for (int i = 0; i < n; i++) {
            double z = -TAB_Z + 2.0 * TAB_Z * (2 * i + 1) / (2 * n);
            double xm = std_quantile(shape, a, b, z);
            double e = fabs(hermite(x[i], d[i] * h, x[i + 1], d[i + 1] * h, 0.5) - xm);
            if (!(e <= err))
                err = isnan(e) ? INFINITY : e;
            x2[2 * i] = x[i];
            d2[2 * i] = d[i];
            x2[2 * i + 1] = xm;
            d2[2 * i + 1] = std_slope(shape, a, b, z, xm);
        }
        x2[2 * n] = x[n];
        d2[2 * n] = d[n];
        free(x);
        free(d);
        x = x2;
        d = d2;
        x2 = d2 = NULL;
        n *= 2;
        if (err <= TAB_TOL * sd) {
            t->err = err;
            break;
        }
        if (n >= TAB_NMAX) {
            rc = CX_ERR_RANGE;
            goto done;
        }
    }
    for (int i = 0; i <= n; i++)
        if (!isfinite(x[i]) || !isfinite(d[i])) {
            rc = CX_ERR_RANGE;
            goto done;
        }
    /* on cache lines: a cell (32 bytes) then never straddles two of them */
    t->c = aligned_alloc(64, (size_t)n * 4 * sizeof *t->c);
    if (!t->c)
        goto done;
    double h = 2.0 * TAB_Z / n;
    for (int i = 0; i < n; i++) {
        double m0 = d[i] * h, m1 = d[i + 1] * h, dx = x[i + 1] - x[i];
        double *c = t->c + 4 * i;
        c[0] = x[i];
        c[1] = m0;
        c[2] = 3.0 * dx - 2.0 * m0 - m1;
        c[3] = m0 + m1 - 2.0 * dx;
    }
    t->shape = shape;
    t->a = a;
    t->b = b;
    t->n = n;
    t->inv_h = n / (2.0 * TAB_Z);
    rc = 0;
done:
    free(x);
    free(d);
    free(x2);
    free(d2);
    return rc;
}

/* The grid position of z: cell (int) p, at s = p - cell within it. */
static inline double table_pos(const qtable *t, double z)
{
    return (z + TAB_Z) * t->inv_h;
}

static inline bool table_has(const qtable *t, double p)
{
    return p >= 0.0 && p < t->n;
}

/* T(z) for a z on the grid (table_has). */
static inline double table_cell(const qtable *t, double z)
{
    double p = table_pos(t, z);
    int64_t i = (int64_t)p;
    double s = p - (double)i;
    const double *c = t->c + 4 * i;
    return c[0] + s * (c[1] + s * (c[2] + s * c[3]));
}

static inline double table_eval(const qtable *t, double z)
{
    if (!table_has(t, table_pos(t, z)))
        return std_quantile(t->shape, t->a, t->b, z); /* off the grid (or NaN): exact */
    return table_cell(t, z);
}

/* Shape parameters equal up to rounding: PERT(8, 10, 13) and PERT(9, 11, 14) both give
 * beta(2.6, 3.4), but as 2.6000000000000001 and 2.6000000000000005. A relative difference of
 * 1e-12 moves T(z) by about that much of its sd, far inside the tables' 1e-9 bound. */
static bool same_param(double a, double b)
{
    return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

/* The table for a shape, shared by every input of that shape (parameters equal up to
 * rounding): its index, or < 0 when the shape gets none (CX_ERR_RANGE) or memory ran out
 * (CX_ERR_NOMEM). */
static int table_for(cx_sampler *s, int shape, double a, double b, double sd)
{
    for (int k = 0; k < s->n_tab; k++)
        if (s->tab[k].shape == shape && same_param(s->tab[k].a, a) && same_param(s->tab[k].b, b))
            return s->tab[k].c ? k : CX_ERR_RANGE;
    qtable *grown = realloc(s->tab, (size_t)(s->n_tab + 1) * sizeof *grown);
    if (!grown)
        return CX_ERR_NOMEM;
    s->tab = grown;
    qtable *t = &s->tab[s->n_tab++];
    memset(t, 0, sizeof *t);
    int rc = table_build(t, shape, a, b, sd);
    /* a failed shape stays in the list (c == NULL) so it is not tried again */
    t->shape = shape;
    t->a = a;
    t->b = b;
    return rc ? rc : s->n_tab - 1;
}

/* Chooses how input i maps a normal score (see the note at the top). */
static int plan_input(cx_sampler *s, int i)
{
    const cx_dist *d = &s->dists[i];
    input *in = &s->in[i];
    in->min = d->min;
    in->max = d->max;
    in->map = MAP_EXACT;
    if (cx_dist_is_fixed(d)) {
        in->map = MAP_FIXED;
        in->value = cx_dist_lower(d);
        return 0;
    }
    int shape = -1;
    double a = 0, b = 0, sd = 0;
    switch (d->family) {
    case CX_DIST_NORMAL:
    case CX_DIST_LOGNORMAL:
        in->map = d->family == CX_DIST_NORMAL ? MAP_NORMAL : MAP_LOGNORMAL;
        in->off = d->p[0];
        in->scale = d->p[1];
        return 0;
    case CX_DIST_PERT:
    case CX_DIST_BETA: {
        shape = STD_BETA;
        a = d->family == CX_DIST_PERT ? d->alpha : d->p[0];
        b = d->family == CX_DIST_PERT ? d->beta : d->p[1];
        double ab = a + b;
        sd = sqrt(a * b / (ab * ab * (ab + 1.0)));
        in->off = d->family == CX_DIST_PERT ? d->p[0] : 0.0;
        in->scale = d->family == CX_DIST_PERT ? d->p[2] - d->p[0] : 1.0;
        break;
    }
    case CX_DIST_GAMMA:
        shape = STD_GAMMA;
        a = d->p[0];
        sd = sqrt(a);
        in->off = 0.0;
        in->scale = d->p[1];
        break;
    case CX_DIST_UNIFORM:
        /* outside the copula one uniform is cheaper than a normal and a table */
        if (in->slot < 0)
            return 0;
        shape = STD_PHI;
        sd = sqrt(1.0 / 12.0);
        in->off = d->p[0];
        in->scale = d->p[1] - d->p[0];
        break;
    default:
        return 0; /* triangular, bernoulli, discrete: exact */
    }
    int k = table_for(s, shape, a, b, sd);
    if (k == CX_ERR_NOMEM)
        return k;
    if (k >= 0) {
        in->map = MAP_TABLE;
        in->tab = k;
    }
    return 0;
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

/*
 * The first pair after which the matrix stops being positive definite, adding pairs in config
 * order (MODEL.md, "Correlation"), without a factorisation per pair. U = L' (row j of U is
 * column j of L, so the inner loops run over contiguous memory) starts as the identity; each
 * pair (a, b, r) adds r (e_a e_b' + e_b e_a') = (r/2) (u u' - v v') with u = e_a + e_b and
 * v = e_a - e_b: a rank-one update (always positive definite), then a rank-one downdate,
 * which breaks down (a pivot^2 <= 0) exactly when the matrix with the pair is not positive
 * definite. The work follows the nonzeros: rows are numbered by the last pair each input is
 * in (an input many pairs share, a hub, comes late and causes little fill), columns where the
 * vector is 0 are skipped, and each row of U keeps the extent of its nonzeros (ext), so a
 * chain or a star of pairs costs O(m) or less per pair; no pair costs more than O(m^2).
 * Returns the pair's index, n_pairs - 1 when rounding lets every prefix through (the full
 * matrix failed, so the last pair is the one), or CX_ERR_NOMEM.
 */
static int first_bad_pair(int n, const cx_corr *pairs, int n_pairs)
{
    int *last = malloc((size_t)(n > 0 ? n : 1) * sizeof *last);
    int *row = malloc((size_t)(n > 0 ? n : 1) * sizeof *row);
    int m = 0;
    if (!last || !row) {
        free(last);
        free(row);
        return CX_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++)
        last[i] = row[i] = -1;
    for (int k = 0; k < n_pairs; k++)
        last[pairs[k].a] = last[pairs[k].b] = k;
    /* rows by last appearance: walking the pairs, an input gets its row at its last pair */
    for (int k = 0; k < n_pairs; k++) {
        if (last[pairs[k].a] == k)
            row[pairs[k].a] = m++;
        if (last[pairs[k].b] == k)
            row[pairs[k].b] = m++;
    }
    free(last);
    size_t mm = (size_t)(m > 0 ? m : 1);
    double *u = calloc(mm * mm, sizeof *u), *x = calloc(mm, sizeof *x);
    int *ext = malloc(mm * sizeof *ext);
    if (!u || !x || !ext) {
        free(row);
        free(u);
        free(x);
        free(ext);
        return CX_ERR_NOMEM;
    }
    for (size_t i = 0; i < mm; i++) {
        u[i * mm + i] = 1.0;
        ext[i] = (int)i;
    }
    int bad = -1;
    for (int k = 0; k < n_pairs && bad < 0; k++) {
        int ia = row[pairs[k].a], ib = row[pairs[k].b];
        double r = 2.0 * sin(PI * pairs[k].rho / 6.0);
        if (r == 0.0)
            continue;
        double sg = sqrt(fabs(r) / 2.0);
        for (int pass = 0; pass < 2 && bad < 0; pass++) {
            /* pass 0: update with the positive part, pass 1: downdate with the negative one */
            double sgn = pass == 0 ? 1.0 : -1.0;
            int lo = ia < ib ? ia : ib, hi = ia < ib ? ib : ia; /* x is 0 outside [lo, hi] */
            x[ia] = sg;
            x[ib] = (r > 0) == (pass == 0) ? sg : -sg;
            for (int j = lo; j <= hi; j++) {
                double xj = x[j];
                if (xj == 0.0)
                    continue;
                double *uj = u + (size_t)j * mm, d = uj[j];
                double t = d * d + sgn * xj * xj;
                if (!(t > 0.0)) {
                    bad = k;
                    break;
                }
                double rr = sqrt(t), ic = d / rr, sn = xj / d;
                uj[j] = rr;
                int end = ext[j] > hi ? ext[j] : hi;
                for (int i = j + 1; i <= end; i++) {
                    uj[i] = (uj[i] + sgn * sn * x[i]) * ic;
                    x[i] = x[i] * rr / d - sn * uj[i];
                }
                ext[j] = hi = end;
            }
            for (int i = lo; i <= hi; i++)
                x[i] = 0.0;
        }
    }
    free(row);
    free(u);
    free(x);
    free(ext);
    return bad >= 0 ? bad : n_pairs - 1;
}

/* Each pair names two different inputs, once, with a finite rho in [-1, 1].
 * @return 0, or CX_ERR_RANGE with the first bad pair in *bad_pair (when not NULL) */
static int check_pairs(int n, const cx_corr *pairs, int n_pairs, int *bad_pair)
{
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
    return 0;
}

/* The copula's Cholesky factor of the s->m inputs in pairs (s->slot set), dense in s->chol
 * and by rows of non-zeros (nz_at, nz_col, nz_val). GSL's error handler must be off.
 * @return 0; CX_ERR_CONFIG with the pair after which the factorisation fails in *bad_pair;
 * CX_ERR_NOMEM */
static int copula_factor(cx_sampler *s, const cx_corr *pairs, int n_pairs, int *bad_pair)
{
    if (s->m <= 0)
        return 0;
    size_t m = (size_t)s->m;
    int rc = CX_ERR_NOMEM;
    s->chol = calloc(m * m, sizeof *s->chol);
    gsl_matrix *a = gsl_matrix_alloc(m, m);
    if (!s->chol || !a)
        goto done;
    if (factor(a, s, pairs, n_pairs) != 0) {
        /* MODEL.md, "Correlation": name the first pair after which the Cholesky
         * fails, adding pairs in config order (first_bad_pair: updates of one
         * factor, not a factorisation per pair). */
        int k = first_bad_pair(s->n, pairs, n_pairs);
        if (k < 0) {
            rc = k;
            goto done;
        }
        if (bad_pair)
            *bad_pair = k;
        rc = CX_ERR_CONFIG;
        goto done;
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j <= i; j++)
            s->chol[i * m + j] = gsl_matrix_get(a, i, j);
    s->nz_at = malloc((m + 1) * sizeof *s->nz_at);
    s->nz_col = malloc(m * (m + 1) / 2 * sizeof *s->nz_col);
    s->nz_val = malloc(m * (m + 1) / 2 * sizeof *s->nz_val);
    if (!s->nz_at || !s->nz_col || !s->nz_val)
        goto done;
    int q = 0;
    for (size_t i = 0; i < m; i++) {
        s->nz_at[i] = q;
        for (size_t j = 0; j <= i; j++)
            if (s->chol[i * m + j] != 0.0) {
                s->nz_col[q] = (int)j;
                s->nz_val[q++] = s->chol[i * m + j];
            }
    }
    s->nz_at[m] = q;
    rc = 0;
done:
    gsl_matrix_free(a);
    return rc;
}

/* How each planned input is drawn, and the lists the draw loops walk: the fixed inputs'
 * values, the active inputs, the inputs outside the copula (own) and how each is drawn.
 * @return 0, CX_ERR_NOMEM */
static int plan_draws(cx_sampler *s)
{
    const int n = s->n;
    size_t nn = n > 0 ? (size_t)n : 1;
    s->fixed_x = calloc(nn, sizeof *s->fixed_x);
    s->act = malloc(nn * sizeof *s->act);
    s->own = malloc(nn * sizeof *s->own);
    s->own_draw = malloc(nn * sizeof *s->own_draw);
    s->step = malloc(nn * sizeof *s->step);
    s->stop = malloc((nn + 1) * sizeof *s->stop);
    if (!s->fixed_x || !s->act || !s->own || !s->own_draw || !s->step || !s->stop)
        return CX_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        input *in = &s->in[i];
        int fam = s->dists[i].family;
        in->draw = in->map == MAP_TABLE ? DRAW_NORMAL
                   : fam == CX_DIST_UNIFORM || fam == CX_DIST_TRIANGULAR ? DRAW_UNIFORM
                                                                          : DRAW_SAMPLE;
        if (in->map == MAP_FIXED) {
            s->fixed_x[i] = in->value;
            continue;
        }
        s->act[s->n_act++] = i;
        if (in->slot < 0) {
            s->own[s->n_own] = i;
            s->own_draw[s->n_own++] = (unsigned char)in->draw;
        }
    }
    return 0;
}

/* The ziggurat cells and bars the batch draws use, and the own inputs' steps: each with its
 * bars, and where the runs of normal and uniform draws stop at a sampled one. */
static void plan_steps(cx_sampler *s)
{
    for (int j = 0; j < ZIG_CELLS; j++) {
        const cx_normal_layer *l = &cx_normal_layers[j & 255];
        s->zig[j] = (zcell){j & 256 ? -l->w : l->w, cx_normal_fast_limit(j & 255)};
        s->zw[j] = s->zig[j].w;
    }
    for (int j = 0; j < 256; j++) {
        const uint64_t k = s->zig[j].lim, top = ((uint64_t)1 << 53) - 1;
        s->bar[0][j] = (k < top ? k : top) << 11;
        s->bar[1][j] = top << 11;
    }
    int n_stop = 0;
    for (int k = 0; k < s->n_own; k++) {
        const int draw = s->own_draw[k];
        s->step[k] = (own_step){s->bar[draw == DRAW_NORMAL ? 0 : 1], s->in[s->own[k]].key,
                                s->own[k]};
        s->n_normal += draw == DRAW_NORMAL;
        if (draw == DRAW_SAMPLE)
            s->stop[n_stop++] = k;
    }
    s->stop[n_stop] = s->n_own;
}

/* The copula's rows: the inputs named in a pair, in input order (docs/sensitivity.md: a
 * Sobol index of a correlated input measures its own factor, the part the inputs before it
 * do not explain); a fixed input in a pair keeps its row (the pair still belongs to the
 * matrix the config describes) but still just copies its value. Sets s->slot, s->m. */
static void assign_slots(cx_sampler *s, const cx_corr *pairs, int n_pairs)
{
    for (int i = 0; i < s->n; i++)
        s->slot[i] = -1;
    for (int k = 0; k < n_pairs; k++) {
        s->slot[pairs[k].a] = 0;
        s->slot[pairs[k].b] = 0;
    }
    for (int i = 0; i < s->n; i++)
        if (s->slot[i] >= 0)
            s->slot[i] = s->m++;
}

int cx_sampler_new(cx_sampler **out, const cx_dist *dists, int n, const cx_corr *pairs,
                   int n_pairs, int *bad_pair)
{
    return cx_sampler_new_keyed(out, dists, n, pairs, n_pairs, NULL, bad_pair);
}

int cx_sampler_new_keyed(cx_sampler **out, const cx_dist *dists, int n, const cx_corr *pairs,
                         int n_pairs, const uint64_t *keys, int *bad_pair)
{
    int rc = CX_ERR_NOMEM;
    gsl_error_handler_t *old_handler = NULL;
    *out = NULL;
    if (bad_pair)
        *bad_pair = -1;
    if (n < 0 || n_pairs < 0 || (n > 0 && !dists) || (n_pairs > 0 && !pairs))
        return CX_ERR_RANGE;
    if ((rc = check_pairs(n, pairs, n_pairs, bad_pair)) < 0)
        return rc;

    cx_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return CX_ERR_NOMEM;
    s->n = n;
    s->dists = dists;
    size_t nn = n > 0 ? (size_t)n : 1;
    rc = CX_ERR_NOMEM;
    s->slot = malloc(nn * sizeof *s->slot);
    s->in = calloc(nn, sizeof *s->in);
    if (!s->slot || !s->in)
        goto done;
    /* without names, inputs are keyed by their index */
    for (int i = 0; i < n; i++)
        s->in[i].key = keys ? keys[i] : cx_mix64((uint64_t)i ^ 0xa4093822299f31d0ULL);
    assign_slots(s, pairs, n_pairs);

    /* GSL's inverse CDFs and the Cholesky report trouble by return value, not abort. */
    old_handler = gsl_set_error_handler_off();
    if ((rc = copula_factor(s, pairs, n_pairs, bad_pair)) < 0)
        goto done;
    rc = CX_ERR_NOMEM;
    s->slot_key = calloc(s->m > 0 ? (size_t)s->m : 1, sizeof *s->slot_key);
    if (!s->slot_key)
        goto done;
    for (int i = 0; i < n; i++) {
        s->in[i].slot = s->slot[i];
        if (s->slot[i] >= 0)
            s->slot_key[s->slot[i]] = s->in[i].key;
        if ((rc = plan_input(s, i)) < 0)
            goto done;
    }
    if ((rc = plan_draws(s)) < 0)
        goto done;
    plan_steps(s);
    rc = 0;

done:
    if (old_handler)
        gsl_set_error_handler(old_handler);
    if (rc) {
        cx_sampler_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

uint64_t cx_sampler_key(const cx_sampler *s, int i)
{
    return s->in[i].key;
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

/* mul_chol for finite z (the draws' normals), over L's nonzeros only: the same bits. The
 * sum starts at +0 and is never -0 (x + (-x) and +0 + -0 are +0), so a skipped term 0 z[j],
 * which is +-0 for a finite z[j], would not have changed it. */
static inline void mul_chol_nz(const cx_sampler *s, double *z)
{
    const int *at = s->nz_at, *col = s->nz_col;
    const double *val = s->nz_val;
    for (int i = s->m - 1; i >= 0; i--) {
        double y = 0;
        for (int q = at[i]; q < at[i + 1]; q++)
            y += val[q] * z[col[q]];
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

static inline double clamp(const input *in, double x)
{
    return x < in->min ? in->min : (x > in->max ? in->max : x);
}

/* The maps of a normal score z, one per MAP_*: from_z and the column loops of draw_rows
 * share them, so a value is computed one way whichever calls it. */
static inline double table_value(const input *in, const qtable *t, double z)
{
    return clamp(in, in->off + in->scale * table_eval(t, z));
}

static inline double normal_value(const input *in, double z)
{
    return clamp(in, in->off + in->scale * z);
}

static inline double lognormal_value(const input *in, double z)
{
    return clamp(in, exp(in->off + in->scale * z));
}

static inline double exact_value(const cx_dist *d, double z)
{
    return cx_dist_quantile(d, copula_u(z));
}

/* Input i's value at normal score z: F^-1(Phi(z)), clamped. */
static inline double from_z(const cx_sampler *s, int i, double z)
{
    const input *in = &s->in[i];
    switch (in->map) {
    case MAP_FIXED:
        return in->value;
    case MAP_TABLE:
        return table_value(in, &s->tab[in->tab], z);
    case MAP_NORMAL:
        return normal_value(in, z);
    case MAP_LOGNORMAL:
        return lognormal_value(in, z);
    default:
        return exact_value(&s->dists[i], z);
    }
}

/* ---- drawing paths ---- */

/* The normal score of u' = lo + (hi - lo) Phi(z), computed from the nearer tail so that a
 * slice at either end keeps its digits; z itself when the slice is [0, 1]. */
static double slice_z(double z, double lo, double hi)
{
    if (lo <= 0.0 && hi >= 1.0)
        return z;
    double zz;
    if (z <= 0.0) {
        double u = lo + (hi - lo) * gsl_cdf_ugaussian_P(z);
        zz = u < 0.5 ? gsl_cdf_ugaussian_Pinv(u < DBL_TRUE_MIN ? DBL_TRUE_MIN : u)
                     : gsl_cdf_ugaussian_Qinv(1.0 - u);
    } else {
        double q = (1.0 - hi) + (hi - lo) * gsl_cdf_ugaussian_Q(z);   /* 1 - u' */
        zz = q < 0.5 ? gsl_cdf_ugaussian_Qinv(q < DBL_TRUE_MIN ? DBL_TRUE_MIN : q)
                     : gsl_cdf_ugaussian_Pinv(1.0 - q);
    }
    return zz;
}

/* The normal score, or the uniform, of an own input's raw output (own_step), from its row. */
static inline uint64_t raw_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static inline double raw_normal(const double *zw, double v)
{
    const uint64_t b = raw_bits(v);
    return (double)(int64_t)(b >> 11) * zw[b & 511];
}

/* A uniform in [0, 1) from an output b, as cx_pcg64_uniform makes it from its output. */
static inline double raw_uniform_b(uint64_t b)
{
    return (double)(int64_t)(b >> 11) * 0x1.0p-53;
}

static inline double raw_uniform(double v)
{
    return raw_uniform_b(raw_bits(v));
}

/* T(z) of every z[p * zs] (p < nb) through input in's table into x[p * xs]; z may be x. raw:
 * z holds own outputs (raw_normal; their scores lie within 3.7 of 0, on the grid). */
static inline __attribute__((always_inline)) void map_table(const input *inp, const qtable *tab,
                                                            const double *zw, const double *z,
                                                            size_t zs, double *x, size_t xs,
                                                            int nb, bool raw)
{
    const input in = *inp;
    const qtable t = *tab;
    if (in.min == -INFINITY && in.max == INFINITY) {
        /* no clamps: clamp() gives x itself for every x, NaN included */
        for (int p = 0; p < nb; p++) {
            const double zp = raw ? raw_normal(zw, z[p * zs]) : z[p * zs];
            x[p * xs] = in.off + in.scale * table_cell(&t, zp);
        }
    } else {
        for (int p = 0; p < nb; p++) {
            const double zp = raw ? raw_normal(zw, z[p * zs]) : z[p * zs];
            x[p * xs] = clamp(&in, in.off + in.scale * table_cell(&t, zp));
        }
    }
}

/* Column z[p * zs] (p < nb) of normal scores through input i's map into x[p * xs]; z may
 * be x. on_grid: every |z| < TAB_SAFE_Z (the draws know it), so a table lookup needs no
 * grid check; otherwise the column is checked first. The input and its table are copied to
 * locals: x's stores cannot alias them, so the loops keep them in registers. */
static void map_column(const cx_sampler *s, int i, const double *z, size_t zs, double *x,
                       size_t xs, int nb, bool on_grid)
{
    const input in = s->in[i];
    switch (in.map) {
    case MAP_TABLE: {
        const qtable t = s->tab[in.tab];
        if (!on_grid) {
            on_grid = true;
            for (int p = 0; p < nb; p++)
                if (!(fabs(z[p * zs]) < TAB_SAFE_Z))
                    on_grid = false;
        }
        if (on_grid) {
            map_table(&in, &t, s->zw, z, zs, x, xs, nb, false);
        } else {
            /* a score off the grid (about 1e-15 of them), or NaN: table_value checks each */
            for (int p = 0; p < nb; p++)
                x[p * xs] = table_value(&in, &t, z[p * zs]);
        }
        break;
    }
    case MAP_NORMAL:
        for (int p = 0; p < nb; p++)
            x[p * xs] = normal_value(&in, z[p * zs]);
        break;
    case MAP_LOGNORMAL:
        for (int p = 0; p < nb; p++)
            x[p * xs] = lognormal_value(&in, z[p * zs]);
        break;
    default:
        for (int p = 0; p < nb; p++)
            x[p * xs] = exact_value(&s->dists[i], z[p * zs]);
        break;
    }
}

/* Column x[p * xs] of uniforms (raw: own outputs, raw_uniform) of a DRAW_UNIFORM input
 * through its inverse CDF, in place: cx_dist_sample_inline's expressions, so the values are
 * its values. The triangular's two branches (cx_dist_triangular_inv) are one expression on
 * selected operands, the same operations. No clamp where the input has none (cx_dist_clamp
 * is then x itself). */
static inline __attribute__((always_inline)) void map_uniforms(const cx_dist *dist, double *x,
                                                               size_t xs, int nb, bool raw)
{
    const cx_dist d = *dist;
    const bool clamps = !(d.min == -INFINITY && d.max == INFINITY);
    if (d.family == CX_DIST_UNIFORM) {
        const double lo = d.p[0], w = d.p[1] - d.p[0];
        if (clamps)
            for (int p = 0; p < nb; p++)
                x[p * xs] = cx_dist_clamp(&d, lo + w * (raw ? raw_uniform(x[p * xs]) : x[p * xs]));
        else
            for (int p = 0; p < nb; p++)
                x[p * xs] = lo + w * (raw ? raw_uniform(x[p * xs]) : x[p * xs]);
        return;
    }
    for (int p = 0; p < nb; p++) {
        const double u = raw ? raw_uniform(x[p * xs]) : x[p * xs];
        const bool low = u < d.k[0];
        const double r = sqrt(low ? u * d.k[1] : (1.0 - u) * d.k[2]);
        const double v = low ? d.p[0] + r : d.p[2] - r;
        x[p * xs] = clamps ? cx_dist_clamp(&d, v) : v;
    }
}

/* The rest of a normal whose fast test failed (about 1.5% of them): st is the stream's copy
 * in registers, the slow path (out of line) runs on g itself. */
static inline double normal_rest(cx_pcg64 *st, cx_pcg64 *g, uint64_t b)
{
    *g = *st;
    double z = cx_normal_slow(g, b);
    *st = *g;
    return z;
}

/* The rest of a normal of a keyed stream whose first output b failed its fast test: the
 * slow path on the stream that continues it (cx_pcg64_keyed). */
static inline double keyed_rest(cx_pcg64 *g, uint64_t b)
{
    cx_pcg64 st;
    cx_pcg64_keyed(&st, b);
    return normal_rest(&st, g, b);
}

/* cx_normal on the keyed stream whose first output is b, through the draw table; a score
 * that may be off the tables' grid sets *wild. g: the carrier of the slow path. */
static inline double normal_draw(const zcell *zig, uint64_t b, cx_pcg64 *g, bool *wild)
{
    const zcell *c = &zig[b & 511];
    const uint64_t u = b >> 11;
    if (__builtin_expect(u < c->lim, 1))
        return (double)(int64_t)u * c->w;
    double z = keyed_rest(g, b);
    if (!(fabs(z) < TAB_SAFE_Z))
        *wild = true;
    return z;
}

/* An exact sampler's draw (DRAW_SAMPLE) of input i on path key pk: on the pcg64 of its
 * keyed stream (cx_pcg64_keyed of the stream's first output), r as the carrier. */
static inline double sample_on(const cx_sampler *s, int i, gsl_rng *r, uint64_t pk)
{
    cx_pcg64 *g = cx_rng_pcg64(r);
    cx_pcg64_keyed(g, cx_keyed_first(pk, s->in[i].key));
    return cx_dist_sample(&s->dists[i], r);
}

/* The copula's m normals of the path with key pk into zp, each from its input's keyed
 * stream, then y = L z. */
static inline __attribute__((always_inline)) void draw_copula(const cx_sampler *s, uint64_t pk,
                                                              cx_pcg64 *g, double *zp,
                                                              bool *wild)
{
    for (int k = 0; k < s->m; k++)
        zp[k] = normal_draw(s->zig, cx_keyed_first(pk, s->slot_key[k]), g, wild);
    if (s->m > 0)
        mul_chol_nz(s, zp);
}

/* The exact test for an output b that did not pass its bar (own_step): a uniform is
 * always done, a normal when b >> 11 is below its layer's limit (a limit of 2^53). */
static bool b_done(const cx_sampler *s, const uint64_t *bar, uint64_t b)
{
    return bar == s->bar[1] || (b >> 11) < s->zig[b & 255].lim;
}

/*
 * A path's own inputs (those in no pair, not fixed) in input order, as outputs (the raw
 * rows, own_step): each own output b in its place in row xp, as it is; a normal that its
 * fast test does not finish is finished now (the stream's order) and listed in lt[nl ..]
 * as row p's; an exact sampler's value in its place. Returns the new count of lates. The
 * steps between two exact samplers are one loop with no dispatch.
 */
static inline __attribute__((always_inline)) int draw_own_raw(const cx_sampler *s, gsl_rng *r,
                                                              uint64_t pk, double *xp,
                                                              late *lt, int nl, int p)
{
    cx_pcg64 *g = cx_rng_pcg64(r);
    const own_step *step = s->step;
    const int *stop = s->stop;
    const int n_own = s->n_own;
    int k = 0;
    for (;;) {
        for (const int end = *stop++; k < end; k++) {
            const uint64_t b = cx_keyed_first(pk, step[k].key);
            if (__builtin_expect(b >= step[k].bar[b & 255], 0) && !b_done(s, step[k].bar, b))
                lt[nl++] = (late){p, step[k].at, keyed_rest(g, b)};
            memcpy(xp + step[k].at, &b, sizeof b);
        }
        if (k == n_own)
            break;
        xp[step[k].at] = sample_on(s, step[k].at, r, pk);
        k++;
    }
    return nl;
}

/* A path's own inputs with slices (NULL: none), as values: a normal score, a uniform, or an
 * exact sampler's value in each place; a sliced input takes a normal score whatever its
 * kind. */
static inline __attribute__((always_inline)) void draw_own_values(const cx_sampler *s,
                                                                  const cx_slice *slice,
                                                                  gsl_rng *r, uint64_t pk,
                                                                  double *xp, bool *wild)
{
    cx_pcg64 *g = cx_rng_pcg64(r);
    for (int k = 0; k < s->n_own; k++) {
        const int i = s->own[k];
        const int draw = slice && slice[i].on ? DRAW_NORMAL : s->own_draw[k];
        const uint64_t b = cx_keyed_first(pk, s->in[i].key);
        if (draw == DRAW_NORMAL)
            xp[i] = normal_draw(s->zig, b, g, wild);
        else if (draw == DRAW_UNIFORM)
            xp[i] = raw_uniform_b(b);
        else
            xp[i] = sample_on(s, i, r, pk);
    }
}

/*
 * The maps of nb drawn rows, input by input over the batch's column: one input's table and
 * constants stay in cache and registers for nb lookups, and the dispatch on the input's kind
 * is paid once per batch, not once per path. raw: the rows hold own outputs (draw_own_raw),
 * and the lates lt[0 .. nl-1] are put in after the maps; else the rows hold values
 * (draw_own_values), own scores off the grid only if wild. The copula's products are in
 * work rows, checked; a slice moves the normal score before the map.
 */
static void map_rows(const cx_sampler *s, const cx_slice *slice, int nb, double *x, size_t xs,
                     double *work, bool raw, bool wild, const late *lt, int nl)
{
    const int m = s->m;
    for (int k = 0; k < s->n_act; k++) {
        const int i = s->act[k];
        const input *in = &s->in[i];
        double *xi = x + i;
        /* where the input's normal scores are, if it has them */
        double *z = in->slot >= 0 ? work + in->slot : xi;
        const size_t zs = in->slot >= 0 ? (size_t)m : xs;
        if (slice && slice[i].on) {
            for (int p = 0; p < nb; p++)
                z[p * zs] = slice_z(z[p * zs], slice[i].lo, slice[i].hi);
            map_column(s, i, z, zs, xi, xs, nb, false);
        } else if (in->slot >= 0) {
            map_column(s, i, z, zs, xi, xs, nb, false);
        } else if (in->draw == DRAW_NORMAL) {
            if (raw)
                map_table(in, &s->tab[in->tab], s->zw, xi, xs, xi, xs, nb, true);
            else
                map_column(s, i, xi, xs, xi, xs, nb, !wild);
        } else if (in->draw == DRAW_UNIFORM) {
            if (raw)
                map_uniforms(&s->dists[i], xi, xs, nb, true);
            else
                map_uniforms(&s->dists[i], xi, xs, nb, false);
        }
        /* DRAW_SAMPLE: the row holds the value */
    }
    for (int q = 0; q < nl; q++)
        x[(size_t)lt[q].p * xs + (size_t)lt[q].i] = from_z(s, lt[q].i, lt[q].z);
}

/*
 * nb paths' inputs into rows x[p * xs .. + n - 1], p < nb, with slices (NULL: none). What
 * cx_sampler_draw, cx_sampler_draw_sliced and cx_sampler_draw_batch all run: the same
 * numbers for a path whether it is drawn alone or in a batch.
 *
 * Two passes: the draws path by path, in the stream's order (the note at the top): the m
 * copula normals into work row p and their Cholesky product, then each own input's draw in
 * its place in row p; then the maps (map_rows). Without slices the rows take the own
 * outputs as they are and the maps make the scores and uniforms from them (draw_own_raw):
 * a draw is then one output, one compare and one store, whatever its kind.
 */
static void draw_rows(const cx_sampler *s, const cx_slice *slice, gsl_rng *r, int nb,
                      double *x, size_t xs, bool fixed_set, double *work)
{
    const size_t m = (size_t)s->m;
    cx_pcg64 *g = cx_rng_pcg64(r);
    cx_pcg64 blk = *g;   /* the block stream: one output, the path's key, per path */
    bool wild = false;   /* a normal score may be off the grid */
    if (!fixed_set)
        cx_sampler_fixed_rows(s, nb, x, xs);
    if (slice || s->n_normal > LATE_CAP) {
        for (int p = 0; p < nb; p++) {
            const uint64_t pk = cx_pcg64_next(&blk);
            draw_copula(s, pk, g, work + (size_t)p * m, &wild);
            draw_own_values(s, slice, r, pk, x + (size_t)p * xs, &wild);
        }
        *g = blk;
        map_rows(s, slice, nb, x, xs, work, false, wild, NULL, 0);
        return;
    }
    late lt[LATE_CAP];
    int nl = 0, p0 = 0;
    for (int p = 0; p < nb; p++) {
        if (nl > LATE_CAP - s->n_normal) {
            map_rows(s, NULL, p - p0, x + (size_t)p0 * xs, xs, work + (size_t)p0 * m, true,
                     false, lt, nl);
            nl = 0;
            p0 = p;
        }
        const uint64_t pk = cx_pcg64_next(&blk);
        draw_copula(s, pk, g, work + (size_t)p * m, &wild);
        nl = draw_own_raw(s, r, pk, x + (size_t)p * xs, lt, nl, p - p0);
    }
    *g = blk;
    map_rows(s, NULL, nb - p0, x + (size_t)p0 * xs, xs, work + (size_t)p0 * m, true, false, lt,
             nl);
}

void cx_sampler_fixed_rows(const cx_sampler *s, int nb, double *x, size_t x_stride)
{
    if (s->n > 0)
        for (int p = 0; p < nb; p++)
            memcpy(x + (size_t)p * x_stride, s->fixed_x, (size_t)s->n * sizeof *x);
}

void cx_sampler_draw(const cx_sampler *s, gsl_rng *r, double *x, double *work)
{
    draw_rows(s, NULL, r, 1, x, 0, false, work);
}

void cx_sampler_draw_batch(const cx_sampler *s, const cx_slice *slice, gsl_rng *r, int nb,
                           double *x, size_t x_stride, bool fixed_set, double *work)
{
    draw_rows(s, slice, r, nb, x, x_stride, fixed_set, work);
}

void cx_sampler_draw_sliced(const cx_sampler *s, const cx_slice *slice, gsl_rng *r, double *x,
                            double *work)
{
    draw_rows(s, slice, r, 1, x, 0, false, work);
}

void cx_sampler_map(const cx_sampler *s, const double *u, double *x, double *work)
{
    for (int i = 0; i < s->n; i++) {
        const input *in = &s->in[i];
        if (in->slot >= 0)
            work[in->slot] = gsl_cdf_ugaussian_Pinv(u[i]);
        else if (in->map == MAP_FIXED)
            x[i] = in->value;
        else if (in->map == MAP_TABLE)
            x[i] = from_z(s, i, gsl_cdf_ugaussian_Pinv(u[i]));
        else
            x[i] = cx_dist_quantile(&s->dists[i], u[i]);
    }
    if (s->m > 0) {
        mul_chol(s, work);
        for (int i = 0; i < s->n; i++)
            if (s->in[i].slot >= 0)
                x[i] = from_z(s, i, work[s->in[i].slot]);
    }
}

double cx_sampler_value_at_z(const cx_sampler *s, int i, double z)
{
    return from_z(s, i, z);
}

double cx_sampler_table_error(const cx_sampler *s, int i)
{
    const input *in = &s->in[i];
    if (in->map != MAP_TABLE)
        return -1.0;
    return fabs(in->scale) * s->tab[in->tab].err;
}
