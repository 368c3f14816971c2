/* SPDX-License-Identifier: MIT */
/* Stress analysis (issue 14): inputs held to percentile slices of their own distributions. */
#ifndef CX_SIM_STRESS_H
#define CX_SIM_STRESS_H

#include <stddef.h>

#include "sim/engine/engine.h"
#include "sim/input/sampler.h"
#include "sim/input/scenario.h"

/* One stressed input: its index and the slice [lo, hi] of its uniform; or an outcome input
 * (cx_input.outcome) held to one outcome on every path: outcome 0 fails, 1 succeeds (-1: a
 * slice). An outcome is held by drawing its uniform u as usual (so the baseline and the
 * stressed run share it) and taking, on each path with probability p, p + (1 - p) u (fails:
 * u's law given failure) or p u (succeeds: its law given success; a path with p = 0 cannot
 * succeed and still fails). */
typedef struct cx_stress_input {
    int input;
    double lo, hi;
    int outcome;
} cx_stress_input;

/* A named stress case: a list of stressed inputs (each input at most once). */
typedef struct cx_stress_case {
    char *name;
    int n;
    cx_stress_input *in;
} cx_stress_case;

/*
 * Checks one stressed input of sc: a known, uncertain scalar input, 0 <= lo < hi <= 1, not
 * already in c. On error writes a one-line message (without the file or flag: the caller
 * adds it) and returns CX_ERR_USAGE.
 * @return 0, CX_ERR_USAGE, CX_ERR_NOMEM.
 */
int cx_stress_case_add(cx_stress_case *c, const cx_scenario *sc, const char *name, double lo,
                       double hi, char *err, size_t err_len);
/* Outcome input NAME held to value (0 fails, 1 succeeds) on every path; messages as
 * cx_stress_case_add (also for a name that is not an outcome, or a value not 0 or 1). */
int cx_stress_case_add_outcome(cx_stress_case *c, const cx_scenario *sc, const char *name,
                               double value, char *err, size_t err_len);
/* "NAME:LO:HI" (the --input flag), or "NAME=0|1" for an outcome (--outcome), added to c;
 * messages as cx_stress_case_add. */
int cx_stress_case_add_text(cx_stress_case *c, const cx_scenario *sc, const char *text,
                            char *err, size_t err_len);
/* Frees what c holds (not c itself) and zeroes it. */
void cx_stress_case_clear(cx_stress_case *c);

/*
 * The scenario's `stress` group (from sc->text, the text it was loaded from with every
 * @include expanded, else its file sc->path; the built-in scenario has none):
 *   stress = { cases = ( { name = "msl-wins"; inputs = ( { name = "msl.p_success";
 *                                                          lo = 0.9; hi = 1.0; } ); } ); };
 * *cases (n of them; none: NULL, 0) are checked as cx_stress_case_add does; messages are
 * "FILE:LINE: stress.cases.NAME...: message".
 * @return 0, CX_ERR_CONFIG, CX_ERR_IO, CX_ERR_NOMEM. @note free with cx_stress_cases_free.
 */
int cx_stress_cases_load(cx_stress_case **cases, int *n, const cx_scenario *sc, char *err,
                         size_t err_len);
void cx_stress_cases_free(cx_stress_case *cases, int n);

/* An input source that draws with slices (cx_sampler_draw_sliced). */
typedef struct cx_stress_source {
    const cx_sampler *sampler;
    cx_slice *slice;      /* n_inputs, owned */
    int n_out;            /* outcomes held (stressed run only) */
    int (*out)[3];        /* n_out, owned: the outcome input, its probability input, 0 or 1 */
} cx_stress_source;

/*
 * Fills *src for the scenario with the slices of c: stressed = false gives the baseline (the
 * same inputs drawn through their normal scores, slices [0, 1]), true the stressed run.
 * @return 0 or CX_ERR_NOMEM. @note free ctx with cx_stress_source_clear.
 */
int cx_stress_source_init(cx_input_source *src, cx_stress_source *ctx, const cx_scenario *sc,
                          const cx_stress_case *c, bool stressed);
void cx_stress_source_clear(cx_stress_source *ctx);

#endif
