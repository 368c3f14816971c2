/* SPDX-License-Identifier: MIT */
/* PCG random number generators (O'Neill 2014): pcg32 and pcg64, streams per block. */
#ifndef CX_SIM_PCG_H
#define CX_SIM_PCG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef unsigned __int128 cx_u128;

/* pcg32: XSH-RR output, 64-bit state. inc is odd. */
typedef struct cx_pcg32 {
    uint64_t state;
    uint64_t inc;
} cx_pcg32;

/* pcg64: XSL-RR output, 128-bit state. inc is odd. */
typedef struct cx_pcg64 {
    cx_u128 state;
    cx_u128 inc;
} cx_pcg64;

/* Seeds as the reference pcg32_srandom_r(initstate, initseq). */
void cx_pcg32_seed(cx_pcg32 *g, uint64_t initstate, uint64_t initseq);
/* Seeds as the reference pcg64_srandom_r(initstate, initseq). */
void cx_pcg64_seed(cx_pcg64 *g, cx_u128 initstate, cx_u128 initseq);
/* Jump ahead by delta steps in O(log delta) (Brown 1994). */
void cx_pcg32_advance(cx_pcg32 *g, uint64_t delta);
void cx_pcg64_advance(cx_pcg64 *g, cx_u128 delta);

#define CX_PCG32_MULT 6364136223846793005ULL
#define CX_PCG64_MULT                                                                   \
    (((cx_u128)2549297995355413924ULL << 64) | (cx_u128)4865540595714422341ULL)

/* pcg32's XSH-RR output for the state before a step (vector loops over lanes use
 * cx_pcg32_output_lanes, the same function written for them). */
static inline uint32_t cx_pcg32_output(uint64_t old)
{
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* The same output as cx_pcg32_output, written for vector loops over lanes (models/
 * lanes_tmpl.c): the 32-bit rotation as one 64-bit shift of two copies side by side, so the
 * lanes stay 64 bits wide (the rotation above makes gcc pack them to 32 bits and back, six
 * shuffles a lane; scalar code keeps the rotation, which is one instruction).
 * tests/test_pcg.c checks that the two agree. */
static inline uint32_t cx_pcg32_output_lanes(uint64_t old)
{
    uint64_t xorshifted = ((old >> 18u) ^ old) >> 27u; /* the low 32 bits count */
    uint64_t twice = (xorshifted << 32) | (xorshifted & 0xffffffffu);
    return (uint32_t)(twice >> (old >> 59u));
}

static inline uint32_t cx_pcg32_next(cx_pcg32 *g)
{
    uint64_t old = g->state;
    g->state = old * CX_PCG32_MULT + g->inc;
    return cx_pcg32_output(old);
}

static inline uint64_t cx_pcg64_next(cx_pcg64 *g)
{
    g->state = g->state * CX_PCG64_MULT + g->inc;
    uint64_t hi = (uint64_t)(g->state >> 64), lo = (uint64_t)g->state;
    uint64_t x = hi ^ lo;
    unsigned rot = (unsigned)(g->state >> 122u);
    return (x >> rot) | (x << ((-rot) & 63u));
}

/* A uniform double in [0, 1) with 53 random bits. */
static inline double cx_pcg64_uniform(cx_pcg64 *g)
{
    return (double)(cx_pcg64_next(g) >> 11) * 0x1.0p-53;
}

/* A uniform double in (0, 1): never 0, for logs and inverse CDFs. 52 bits plus a half:
 * with 53 bits, (2^53 - 1) + 0.5 rounds to 2^53 and the result would be exactly 1. */
static inline double cx_pcg64_uniform_pos(cx_pcg64 *g)
{
    return ((double)(cx_pcg64_next(g) >> 12) + 0.5) * 0x1.0p-52;
}

/*
 * Path streams (issue 9): each path of a run draws its model randomness (MSL and TaaS draws,
 * signed deals, price shocks, notices, spot offers) from its own pcg32, so that a batch of
 * paths can run side by side in SIMD lanes and each lane still sees exactly the draws it
 * would see alone. Why pcg32 (XSH-RR, 64-bit state): its 64-bit multiply is one vector
 * instruction with AVX-512 and a few with AVX2, where pcg64's 128-bit multiply is not; a
 * stream per path needs no more than its 2^64 period. A 64-bit output is two outputs, the
 * first in the high half.
 */
/* The stream of path `path` (0-based within its block) of block `block`, seed `seed`: a
 * pure function of the three, distinct for distinct paths of one run. */
void cx_pcg32_path_stream(cx_pcg32 *g, uint64_t seed, uint64_t block, uint64_t path);
/* Stream `group` of that path (issue 20 item 2: the price path is group 0, the path stream
 * itself; the deal events are group 1): a pure function of the four, distinct groups give
 * unrelated streams. */
void cx_pcg32_group_stream(cx_pcg32 *g, uint64_t seed, uint64_t block, uint64_t path,
                           unsigned group);

static inline uint64_t cx_pcg32_next64(cx_pcg32 *g)
{
    uint64_t hi = cx_pcg32_next(g);
    return (hi << 32) | cx_pcg32_next(g);
}

/* A uniform double in [0, 1) with 53 random bits (two outputs). */
static inline double cx_pcg32_uniform(cx_pcg32 *g)
{
    return (double)(cx_pcg32_next64(g) >> 11) * 0x1.0p-53;
}

/* A uniform double in (0, 1), as cx_pcg64_uniform_pos. */
static inline double cx_pcg32_uniform_pos(cx_pcg32 *g)
{
    return ((double)(cx_pcg32_next64(g) >> 12) + 0.5) * 0x1.0p-52;
}

/* SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijection on 64 bits with full
 * avalanche, so nearby inputs give unrelated outputs. */
static inline uint64_t cx_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/*
 * Keyed input streams (issue 23 item 8). A scalar input's draws on a path come from a
 * stream of their own, keyed by the path's key (one 64-bit output of the block stream per
 * path, in path order: a pure function of (seed, path)) and the input's name key (64 bits
 * of the SHA-256 of its dotted name, cx_sampler_set_keys): so adding, removing or
 * reordering other inputs leaves an input's draws as they were. The stream's first
 * 64-bit output is cx_keyed_first(path key, name key) = mix64(path key + name key), the
 * SplitMix64 step (state + gamma) with the name key as the gamma: one mix, about what a
 * pcg64 step costs, so the common draw (one output: a ziggurat normal that passes its
 * fast test, a uniform) costs what it did. A draw that needs more outputs (the ziggurat's
 * slow path, an exact sampler) continues on cx_pcg64_keyed(first output): a pcg64 whose
 * 128-bit state comes from two more mixes of that output and whose increment is PCG's
 * default one, so every keyed stream is a random place on the same 2^128 cycle.
 */
static inline uint64_t cx_keyed_first(uint64_t path_key, uint64_t name_key)
{
    return cx_mix64(path_key + name_key);
}

/* The pcg64 that continues the keyed stream whose first output was `first`. */
void cx_pcg64_keyed(cx_pcg64 *g, uint64_t first);

/*
 * The stream for block `block` of a run with seed `seed`: a pure function of (seed, block).
 * State and increment both come from a strong 64-bit mixer of (seed, block), so that blocks
 * never share an increment pattern (LCG streams that differ only in increment are correlated).
 */
void cx_pcg64_stream(cx_pcg64 *g, uint64_t seed, uint64_t block);

/* GSL wrappers: gsl_rng_alloc(cx_gsl_rng_pcg64) gives a gsl_rng whose state is a cx_pcg64,
 * so every gsl_ran_* sampler can draw from it. gsl_rng_set(r, s) seeds stream (s, 0). */
extern const gsl_rng_type *cx_gsl_rng_pcg32;
extern const gsl_rng_type *cx_gsl_rng_pcg64;

/* The cx_pcg64 inside a gsl_rng made from cx_gsl_rng_pcg64, for inline draws in hot loops. */
static inline cx_pcg64 *cx_rng_pcg64(gsl_rng *r)
{
    return (cx_pcg64 *)r->state;
}

#endif
