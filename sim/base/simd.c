/* SPDX-License-Identifier: MIT */
/* CPU detection and the CAPEXSIM_SIMD override (sim/base/simd.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/error.h"
#include "sim/base/simd.h"

static const char *const names[CX_SIMD_N] = { "scalar", "avx2", "avx512" };
static int chosen = -1;

const char *cx_simd_name(cx_simd s)
{
    return (unsigned)s < CX_SIMD_N ? names[s] : "?";
}

int cx_simd_supported(cx_simd s)
{
    switch (s) {
    case CX_SIMD_SCALAR:
        return 1;
#if defined(__x86_64__) && defined(__GNUC__)
    case CX_SIMD_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("bmi2");
    case CX_SIMD_AVX512:
        __builtin_cpu_init();
        return cx_simd_supported(CX_SIMD_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd");
#endif
    default:
        return 0;
    }
}

int cx_simd_init(char *err, size_t err_len)
{
    cx_simd best = CX_SIMD_SCALAR;
    for (int s = CX_SIMD_N - 1; s > 0; s--)
        if (cx_simd_supported((cx_simd)s)) {
            best = (cx_simd)s;
            break;
        }
    chosen = (int)best;
    const char *want = getenv("CAPEXSIM_SIMD");
    if (want == NULL || want[0] == '\0')
        return 0;
    for (int s = 0; s < CX_SIMD_N; s++) {
        if (strcmp(want, names[s]) != 0)
            continue;
        if (!cx_simd_supported((cx_simd)s)) {
            if (err != NULL && err_len > 0)
                snprintf(err, err_len, "CAPEXSIM_SIMD=%s: this CPU cannot run it (it can run "
                         "up to %s)", names[s], names[best]);
            return CX_ERR_USAGE;
        }
        chosen = s;
        return 0;
    }
    if (err != NULL && err_len > 0)
        snprintf(err, err_len, "CAPEXSIM_SIMD=%.40s: unknown SIMD path (expected scalar, avx2 "
                 "or avx512)", want);
    return CX_ERR_USAGE;
}

cx_simd cx_simd_level(void)
{
    if (chosen < 0)
        (void)cx_simd_init(NULL, 0);
    return (cx_simd)chosen;
}
