/* SPDX-License-Identifier: MIT */
/* Tornado: the metric in the lowest and highest decile of each uncertain input. */
#ifndef CX_SIM_STUDY_TORNADO_H
#define CX_SIM_STUDY_TORNADO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/input/dist.h"
#include "sim/input/scenario.h"
#include "sim/study/study.h"

typedef struct cx_tornado_row {
    int input;              /* scenario index */
    double x_low, x_high;   /* decile thresholds: low is x <= x_low, high is x >= x_high;
                             * for an outcome input (cx_input.outcome) 0 and 1: low is the
                             * paths where it fails, high where it succeeds */
    uint64_t n_low, n_high;
    double mean_low, mean_high, p50_low, p50_high;
    double swing;           /* |mean_high - mean_low| */
} cx_tornado_row;

typedef struct cx_tornado_report {
    int metric;
    int d;
    cx_tornado_row *rows;   /* sorted by swing, largest first (ties: input order) */
    uint64_t paths;         /* paths run (fewer than requested after an interrupt) */
    uint64_t requested;     /* opts->paths */
    double mean, p50;       /* of the metric over all paths; NAN when no path ran */
    uint64_t seed;
    int threads, block_paths;
    cx_sampling sampling;
    bool antithetic;
    bool complete;          /* every block ran (false after an interrupt) */
    double elapsed_s;
} cx_tornado_report;

/*
 * Decile groups of an input with distribution dist: low is x <= F^-1(0.1), high is
 * x >= F^-1(0.9+) (the smallest value with F(x) > 0.9). For continuous inputs these are the
 * lowest and highest 10% of paths; a discrete or Bernoulli value whose probability straddles
 * 10% (or 90%) belongs to the group entirely, so groups of such inputs hold more than 10%
 * (a Bernoulli compares all zeros with all ones).
 */
void cx_tornado_thresholds(const cx_dist *dist, double *x_low, double *x_high);

/*
 * Tornado of every uncertain scalar input for opts->metric, in one run of opts->paths paths:
 * per thread and per input, an exact fixed-point sum and count and a cx_sketch (relative
 * error sc->relative_error) for each decile group; merged after the parallel region (integer
 * additions: independent of the order and of the thread count).
 * @note free *out with cx_tornado_report_free.
 */
int cx_tornado_run(cx_tornado_report **out, const cx_scenario *sc, const cx_model *m,
                   const cx_study_opts *opts, char *err, size_t err_len);
void cx_tornado_report_free(cx_tornado_report *r);
/* Blocks a tornado round when checkpointing (opts->ckpt->round_blocks 0). */
#define CX_TORNADO_ROUND_BLOCKS 1024u
/* The most bytes a tornado checkpoint's state can take for sc (its uncertain inputs and
 * relative error) and round_blocks (0: the default): what bounds the file before it is read. */
size_t cx_tornado_state_max(const cx_scenario *sc, uint32_t round_blocks);

/* The JSON document (a new reference) and the CSV table (as cx_sobol_report_csv). */
json_t *cx_tornado_report_json(const cx_tornado_report *r, const cx_scenario *sc);
int cx_tornado_report_csv(const cx_tornado_report *r, const cx_scenario *sc, const char *path);

#endif
