/* SPDX-License-Identifier: MIT */
/* Independent uniforms for a block of paths: plain MC, Latin hypercube, scrambled Sobol, antithetic. */
#ifndef CX_SIM_SAMPLING_H
#define CX_SIM_SAMPLING_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/rng/pcg.h"
#include "sim/input/scenario.h"

/*
 * Scalar inputs of a path are `dim` independent uniforms in (0, 1) that cx_sampler_map sends
 * through the copula and the inverse CDFs. A plan says how a block of paths gets them, from
 * the block's own stream only, so a run stays bit-reproducible for any thread count:
 *
 * Keys (issue 23 item 8): each dimension has a name key (cx_sampling_plan_set_keys: the
 * sampling source uses its input's, cx_sampler_key; by default a hash of its index), so
 * that under MC and LHS a dimension's uniforms do not depend on the other dimensions:
 *
 * - CX_SAMPLING_MC: independent uniforms: base row i takes one output of the block's
 *   stream, its path key pk, and dimension j's uniform comes from cx_keyed_first(pk, key j).
 * - CX_SAMPLING_LHS: Latin hypercube within the block: for each dimension, a random
 *   permutation of the block's n strata [k/n, (k+1)/n) with a uniform jitter inside each, so
 *   every block is exactly stratified in every margin (and so is the whole run). The block
 *   takes one output of its stream, its key bk; dimension j's jitters and permutation come
 *   from the keyed stream cx_pcg64_keyed(cx_keyed_first(bk, key j)).
 * - CX_SAMPLING_SOBOL: the first n points of a Sobol sequence under a random digital shift
 *   per block and per dimension (XOR of the 52 bits of the binary fraction). Dimensions 1..40
 *   are GSL's gsl_qrng_sobol (with the origin put back in front since GSL skips it);
 *   dimensions 41..CX_SAMPLING_SOBOL_DIMS are Joe and Kuo's (sim/rng/sobol.h: their
 *   dimensions 40..1111 less 46, whose polynomial GSL already uses), so every dimension has
 *   its own primitive polynomial. Each block is an independent randomized-QMC replicate:
 *   unbiased, and blocks give honest error bars. When n is a power of two every margin of
 *   every block is exactly stratified into n intervals. Dimensions past
 *   CX_SAMPLING_SOBOL_DIMS (1111) use the Latin hypercube (keyed, as above; their block key
 *   is the output after the shifts). Sobol dimensions are positional: the plan's dimension
 *   j is the j-th uncertain input in input order, and its shift is the block stream's j-th
 *   output; a variant that adds or removes an uncertain input shifts the dimensions of the
 *   inputs after it, so Sobol runs pair across variants only by path index (no common
 *   draws for those inputs).
 * - antithetic: paths 2k and 2k+1 of a block take u and 1 - u in every dimension; the base
 *   points u (ceil(n/2) of them) come from the method above. Only the scalar inputs are
 *   antithetic: per-month randomness (price shocks, arrivals, cancellations) is not.
 *
 * The plan is built once, is read-only afterwards and is shared by all threads.
 */
typedef struct cx_sampling_plan cx_sampling_plan;

/* Dimensions CX_SAMPLING_SOBOL covers with Sobol points; further ones get a Latin hypercube. */
#define CX_SAMPLING_SOBOL_DIMS 1111

/* Config/CLI names "mc", "lhs", "sobol", indexed by cx_sampling. */
extern const char *const cx_sampling_names[3];
/* cx_sampling by name; -1 if unknown. */
int cx_sampling_find(const char *name);

/*
 * A plan for `dim` dimensions and blocks of at most block_paths paths.
 * @return 0; CX_ERR_RANGE for dim < 0 or block_paths < 1 or an unknown method; CX_ERR_NOMEM.
 * @note the caller frees *out with cx_sampling_plan_free.
 */
int cx_sampling_plan_new(cx_sampling_plan **out, cx_sampling method, bool antithetic, int dim,
                         int block_paths);
/* No-op on NULL. */
void cx_sampling_plan_free(cx_sampling_plan *p);
/* Each dimension's name key (keys[dim], copied); set before any fill. */
void cx_sampling_plan_set_keys(cx_sampling_plan *p, const uint64_t *keys);

int cx_sampling_plan_dim(const cx_sampling_plan *p);
int cx_sampling_plan_block_paths(const cx_sampling_plan *p);
cx_sampling cx_sampling_plan_method(const cx_sampling_plan *p);
bool cx_sampling_plan_antithetic(const cx_sampling_plan *p);
/*
 * False for plain MC without antithetic pairs: an engine may then draw inputs path by path
 * with the exact samplers (cx_sampler_draw) and needs no block of uniforms.
 */
bool cx_sampling_plan_needs_block(const cx_sampling_plan *p);

/*
 * Fills u[i * dim + j], i < n (n <= block_paths; a short last block is allowed), j < dim,
 * with uniforms in (0, 1), drawing only from g (the block's stream). Allocates nothing,
 * writes only u and *g. The caller owns u (n * dim doubles, per thread).
 */
void cx_sampling_fill_block(const cx_sampling_plan *p, cx_pcg64 *g, int n, double *u);

/*
 * An input source for the engine (cx_input_source of sim/engine/engine.h) that gives each block
 * the uniforms of `method` (and antithetic pairs) for sc's uncertain inputs, mapped through
 * cx_sampler_map; fixed inputs get u = 1/2 (their value whatever u). Blocks of block_paths
 * paths (the engine's CX_BLOCK_PATHS). *src is filled to point into *out.
 * @return 0, CX_ERR_NOMEM, CX_ERR_RANGE. @note free *out with cx_sampling_source_free after
 * the run (not before: src->ctx points into it).
 */
typedef struct cx_sampling_source cx_sampling_source;
struct cx_input_source;
int cx_sampling_source_new(cx_sampling_source **out, struct cx_input_source *src,
                           const cx_scenario *sc, cx_sampling method, bool antithetic,
                           int block_paths);
void cx_sampling_source_free(cx_sampling_source *s);

/* An unbiased integer in [0, bound) from g (Lemire's multiply-and-reject); bound >= 1. */
uint64_t cx_sampling_bounded(cx_pcg64 *g, uint64_t bound);

#endif
