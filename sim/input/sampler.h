/* SPDX-License-Identifier: MIT */
/* Per-path scalar inputs: independent draws, or a Gaussian copula for rank correlations. */
#ifndef CX_SIM_SAMPLER_H
#define CX_SIM_SAMPLER_H

#include <stdbool.h>

#include <gsl/gsl_rng.h>

#include "sim/input/dist.h"

/* A Spearman rank correlation between scalar inputs a and b (indices), from the config. */
typedef struct cx_corr {
    int a, b;
    double rho;   /* target Spearman correlation, in [-1, 1] */
    int line;     /* config line, for messages */
} cx_corr;

typedef struct cx_sampler cx_sampler;

/*
 * Builds the sampler for n scalar inputs with distributions dists[i] (borrowed: they must
 * outlive the sampler), input i keyed by a hash of i (cx_sampler_new_keyed below: by name). Correlated inputs go through a Gaussian copula: r = 2 sin(pi rho / 6),
 * Cholesky (GSL) of the matrix. Beta, PERT and gamma inputs (and uniforms in the copula)
 * map a normal score through a table of F^-1(Phi(z)) built here (error <= 1e-9 sd, see
 * sampler.c); other inputs in no pair use their exact sampler.
 * @return 0; CX_ERR_NOMEM; CX_ERR_CONFIG when the matrix is not positive definite, with
 *         *bad_pair set to the index of the first pair (adding pairs in config order) after
 *         which the Cholesky fails (MODEL.md, "Correlation").
 */
int cx_sampler_new(cx_sampler **out, const cx_dist *dists, int n, const cx_corr *pairs,
                   int n_pairs, int *bad_pair);
/* No-op on NULL. */
void cx_sampler_free(cx_sampler *s);
/* Number of inputs. */
int cx_sampler_n(const cx_sampler *s);
/* Doubles of scratch that draw/map need in `work`. */
int cx_sampler_work_size(const cx_sampler *s);

/*
 * Keyed draws (issue 23 item 8). Each input draws from a stream of its own: the path's key
 * is one 64-bit output of r (the block stream, advanced by exactly one output per path),
 * and input i's stream on that path is keyed by (path key, the input's name key)
 * (cx_keyed_first, sim/rng/pcg.h). The copula's normal of a correlated input comes from
 * that input's stream too. So adding, removing or reordering other inputs leaves every
 * input's draws unchanged (a changed correlation matrix still changes the correlated
 * values: y = L z mixes the normals).
 *
 * Name keys: 64 bits of the SHA-256 of each input's dotted name (the scenario loader
 * passes them to cx_sampler_new_keyed; keys[n] is read during the call only);
 * cx_sampler_new keys input i by a hash of i. The copula's rows stay in input order, so
 * reordering correlated inputs among themselves changes L and their values.
 */
int cx_sampler_new_keyed(cx_sampler **out, const cx_dist *dists, int n, const cx_corr *pairs,
                         int n_pairs, const uint64_t *keys, int *bad_pair);
/* Input i's name key. */
uint64_t cx_sampler_key(const cx_sampler *s, int i);

/* One path's inputs into x[n], from the stream only: the path's key is one output of r,
 * each input then draws from its keyed stream (above). No allocation, no shared writes.
 * r must hold a cx_pcg64 (cx_gsl_rng_pcg64, as for cx_model_path); after the call r has
 * advanced by exactly one output (its state in between is scratch for exact samplers). */
void cx_sampler_draw(const cx_sampler *s, gsl_rng *r, double *x, double *work);
/*
 * One path's inputs from n independent uniforms u[i] in (0, 1) (Latin hypercube, Sobol
 * points, antithetic pairs): correlated inputs go through the copula, then every input
 * through its inverse CDF.
 */
void cx_sampler_map(const cx_sampler *s, const double *u, double *x, double *work);

/*
 * Input i's value at normal score z, F^-1(Phi(z)) clamped, computed the way draw and map
 * compute it (from the input's normal-score table when it has one; see sampler.c). For tests
 * and benchmarks. Added by H5 (issue 5).
 */
double cx_sampler_value_at_z(const cx_sampler *s, int i, double z);
/*
 * The table's build error for input i, in the input's units: the worst miss, at the cell
 * midpoints, of the half-size grid (the table's own error is about 16 times smaller);
 * -1 when input i uses no table. Added by H5 (issue 5).
 */
double cx_sampler_table_error(const cx_sampler *s, int i);

/*
 * Stress analysis (issue 14): a percentile slice [lo, hi] of an input's own distribution.
 * An input with on = true is drawn through its normal score z (the copula's correlated
 * normal, or one cx_normal of its own when it is in no pair) whatever its family; its uniform
 * Phi(z) is mapped onto [lo, hi] (u' = lo + (hi - lo) Phi(z)) and the value is F^-1(u'),
 * clamped. lo = 0, hi = 1 gives the unstressed input drawn the same way, so a baseline and a
 * stressed run with the same inputs "on" use the same draws (common random numbers), and the
 * copula is kept: u' is a monotone function of the same correlated normal.
 */
typedef struct cx_slice {
    bool on;
    double lo, hi;   /* 0 <= lo < hi <= 1 */
} cx_slice;

/* cx_sampler_draw with slices (slice[n]); inputs with on = false are drawn as there. */
void cx_sampler_draw_sliced(const cx_sampler *s, const cx_slice *slice, gsl_rng *r, double *x,
                            double *work);

/*
 * nb >= 1 paths' inputs at once: path p's into x[p * x_stride .. + n - 1] (x_stride >= n),
 * the same numbers, bit for bit, and the same stream use as nb calls of cx_sampler_draw
 * (slice NULL) or cx_sampler_draw_sliced (slice[n]) one path after the other; faster, since
 * each input's map runs over the batch (sampler.c). fixed_set: the rows already hold the
 * fixed inputs' values (cx_sampler_fixed_rows, or an earlier call on the same rows) and
 * nothing wrote other values there since; they are then not written again (a caller that
 * reuses its rows saves a copy of every row per batch). The inputs that are not fixed are
 * written on every call. work holds nb x cx_sampler_work_size(s) doubles. No allocation,
 * no shared writes. Added for issue 9.
 */
void cx_sampler_draw_batch(const cx_sampler *s, const cx_slice *slice, gsl_rng *r, int nb,
                           double *x, size_t x_stride, bool fixed_set, double *work);
/* The fixed inputs' values into rows x[p * x_stride ..], p < nb (the other inputs' places
 * get 0). Draws nothing. */
void cx_sampler_fixed_rows(const cx_sampler *s, int nb, double *x, size_t x_stride);

#endif
