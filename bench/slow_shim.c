/* SPDX-License-Identifier: MIT */
/* A test-only LD_PRELOAD shim that adds a known extra cost to every exp() and log() call. */
/*
 * The benchmark gate's test (tests/bench_gate.sh) needs a slowdown it knows, made in the real
 * binary without touching the engine: this shim forwards exp and log to libm after a loop of
 * CX_SLOW_SPIN iterations (default 0) that the compiler cannot remove. The test measures the
 * instructions it adds per iteration and sets CX_SLOW_SPIN for a 10% slowdown. Never linked
 * into capexsim.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

static long spin = -1;

static void slow(void)
{
    if (spin < 0) {
        const char *s = getenv("CX_SLOW_SPIN");
        spin = s ? atol(s) : 0;
    }
    for (volatile long i = 0; i < spin; i++) {
    }
}

double exp(double x);
double log(double x);

double exp(double x)
{
    static double (*real)(double);
    if (!real) real = (double (*)(double))dlsym(RTLD_NEXT, "exp");
    slow();
    return real(x);
}

double log(double x)
{
    static double (*real)(double);
    if (!real) real = (double (*)(double))dlsym(RTLD_NEXT, "log");
    slow();
    return real(x);
}
