/* SPDX-License-Identifier: MIT */
/* The sketch's chunk pass (cx_sketch_add_n's vector part): its C reference and SIMD versions. */
#ifndef CX_SIM_SKETCH_KERNELS_H
#define CX_SIM_SKETCH_KERNELS_H

#include <stdint.h>

/*
 * Internal to sim/engine/sketch.c and its SIMD files (and the test that compares them). A chunk
 * pass maps a chunk of len <= CX_SKETCH_CHUNK values x to their counters' positions in a
 * sketch's counts block, slot[j], computed as doubles holding integers (exact) and stored as
 * int32: for |x[j]| < CX_SKETCH_MIN_ABS the sink sink0 + j % 8, otherwise
 * ceil(L(|x[j]|) * scale) + off, with L and the ceiling computed as sim/engine/sketch.c's
 * key_as_double does (the same double operations in the same order, so every version gives
 * the same slots, bit for bit, for any input bits). It also finds the chunk's least and
 * greatest value (exact, but for the sign of a zero; meaningless when a value is NaN, which
 * the slots show: a NaN's slot is far above any bucket) and least and greatest slot.
 */
#define CX_SKETCH_CHUNK 256

typedef struct cx_sketch_scan {
    double min, max;         /* of the values */
    double slot_lo, slot_hi; /* of the slots */
} cx_sketch_scan;

typedef void (*cx_sketch_chunk_fn)(const double *restrict x, int len, double scale, double off,
                                   double sink0, int32_t *restrict slot, cx_sketch_scan *out);

/* The C reference (SSE2 intrinsics where the target has them: x86-64). */
void cx_sketch_chunk_c(const double *restrict x, int len, double scale, double off, double sink0,
                       int32_t *restrict slot, cx_sketch_scan *out);
#if defined(__x86_64__)
/* AVX2, four values a vector (sim/engine/sketch_avx2.c); only where cx_simd_supported(AVX2). */
void cx_sketch_chunk_avx2(const double *restrict x, int len, double scale, double off,
                          double sink0, int32_t *restrict slot, cx_sketch_scan *out);
#endif

#endif
