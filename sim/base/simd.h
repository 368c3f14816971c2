/* SPDX-License-Identifier: MIT */
/* Which SIMD path runs: chosen once from the CPU's flags, or forced by CAPEXSIM_SIMD. */
#ifndef CX_SIM_SIMD_H
#define CX_SIM_SIMD_H

#include <stddef.h>

/*
 * dav1d's pattern: one init picks the implementations from the CPU's flags masked by the
 * user's choice, and the hot loops call through a table (models/lanes.h), never testing
 * flags themselves. Every path gives the same bits (tests/test_lanes.c), so the choice
 * changes only the speed. Non-x86 builds have only the scalar path.
 */
typedef enum cx_simd { CX_SIMD_SCALAR, CX_SIMD_AVX2, CX_SIMD_AVX512, CX_SIMD_N } cx_simd;

/*
 * Chooses the path: the best the CPU has, or the one the environment variable
 * CAPEXSIM_SIMD names (scalar, avx2, avx512). Call once at start-up, before any thread.
 * @return 0; CX_ERR_USAGE with a one-line message in err for an unknown name or a path this
 * CPU cannot run (the best path is chosen anyway).
 */
int cx_simd_init(char *err, size_t err_len);
/* The chosen path (cx_simd_init with no message if it was not called). */
cx_simd cx_simd_level(void);
/* "scalar", "avx2", "avx512". */
const char *cx_simd_name(cx_simd s);
/* Whether this CPU (and build) can run s. */
int cx_simd_supported(cx_simd s);

#endif
