/* SPDX-License-Identifier: MIT */
/* Standard normal variates on cx_pcg64: an inline 256-layer ziggurat (Marsaglia & Tsang 2000). */
#ifndef CX_SIM_NORMAL_H
#define CX_SIM_NORMAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sim/rng/pcg.h"

/*
 * The ziggurat covers the half density f(x) = exp(-x^2 / 2), x >= 0, with 256 layers of
 * equal area V: layer i is the rectangle [0, x_i] x [f(x_i), f(x_{i+1})], with
 * x_1 = r = 3.6541528853610088 and x_256 = 0; the base layer 0 is [0, r] x [0, f(r)] plus the
 * tail beyond r, given the virtual width x_0 = V / f(r). Tables: sim/rng/normal.c.
 *
 * One attempt takes one 64-bit output b of the stream and uses disjoint bits of it (Doornik
 * 2005: the layer and the value must not share bits): the layer i = bits 0..7, the sign =
 * bit 8, the value u = bits 11..63 as a 53-bit uniform in [0, 1); z = u x_i. If z < x_{i+1}
 * the point lies under the curve whatever its height: return +-z (about 99% of attempts).
 * Otherwise cx_normal_slow finishes the attempt: in layer 0 it draws from the tail by
 * Marsaglia's method (1964), otherwise it draws one uniform for the height in the wedge and
 * accepts z if the height is below f(z); a rejected attempt starts again with a new output.
 * The result is exact up to the tables' rounding (every layer's area is V within 3e-14 of
 * V, see sim/rng/normal.c) and the 53-bit grid of u.
 *
 * Stream use, in order: per attempt one output; a wedge test then one uniform
 * (cx_pcg64_uniform); a tail sample pairs of cx_pcg64_uniform_pos until one is accepted.
 */

/* Fast-path data of layer i: w = x_i 2^-53 (so z = (b >> 11) w), edge = x_{i+1}. */
typedef struct cx_normal_layer {
    double w, edge;
} cx_normal_layer;

extern const cx_normal_layer cx_normal_layers[256];
/* f(x_i) = exp(-x_i^2 / 2) for i = 0 .. 256 (f[0] is never used by the sampler). */
extern const double cx_normal_f[257];
/* r = x_1, where the tail begins, and V, the area of every layer. */
#define CX_NORMAL_R 0x1.d3bb48209ad33p+1
#define CX_NORMAL_V 0x1.43016a5a43732p-8

/* The rest of an attempt whose fast test failed (b: its output), then further attempts.
 * Out of line: it runs for about 1% of the normals. */
double cx_normal_slow(cx_pcg64 *g, uint64_t b);

/* cx_normal_slow for a path stream (cx_pcg32, 64-bit outputs by cx_pcg32_next64): the same
 * algorithm and stream use. */
double cx_normal_slow32(cx_pcg32 *g, uint64_t b);

/* The fast path of an attempt from its 64 bits b: sets *z and returns true when the point
 * lies in its layer's box (about 99%), else false (the slow path finishes it). */
static inline bool cx_normal_fast(uint64_t b, double *z)
{
    const cx_normal_layer *l = &cx_normal_layers[b & 255u];
    double v = (double)(b >> 11) * l->w;
    /* -v when bit 8 is set, as a flip of the sign bit (exactly what negation does): the
     * sign is a coin toss, and compiled as a branch it was mispredicted half the time */
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits ^= (b & 256u) << 55;
    memcpy(z, &bits, sizeof bits);
    return v < l->edge;
}

/*
 * The fast test of layer i (0 <= i < 256) on integers: the least u in [0, 2^53] with
 * (double)u * cx_normal_layers[i].w >= cx_normal_layers[i].edge (2^53 when there is none).
 * Rounding keeps order, so the product grows with u, and for an output b with u = b >> 11,
 * u < cx_normal_fast_limit(i) exactly when cx_normal_fast(b, ...) accepts: a caller that
 * tabulates the limits tests an attempt with one integer compare, ahead of its product
 * (sim/input/sampler.c). Layer 255 (edge 0) gives 0: every attempt there goes to the wedge. O(53)
 * products; no allocation.
 */
uint64_t cx_normal_fast_limit(int i);

/* A standard normal variate from g. */
static inline double cx_normal(cx_pcg64 *g)
{
    uint64_t b = cx_pcg64_next(g);
    double z;
    if (__builtin_expect(cx_normal_fast(b, &z), 1))
        return z;
    return cx_normal_slow(g, b);
}

/* A standard normal variate from a path stream. */
static inline double cx_normal32(cx_pcg32 *g)
{
    uint64_t b = cx_pcg32_next64(g);
    double z;
    if (__builtin_expect(cx_normal_fast(b, &z), 1))
        return z;
    return cx_normal_slow32(g, b);
}

#endif
