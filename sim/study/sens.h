/* SPDX-License-Identifier: MIT */
/* Sensitivity studies: Sobol indices (Saltelli/Jansen), tornado by deciles, --target-ci. */
#ifndef CX_SIM_SENS_H
#define CX_SIM_SENS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/engine/engine.h"
#include "sim/result/report.h"
#include "sim/input/scenario.h"
#include "sim/engine/sketch.h"

/* ------------------------------------------------------------------------------------- */
/* Sobol indices: the estimator core, generic in the function (tests use Ishigami).       */
/* ------------------------------------------------------------------------------------- */

/*
 * Saltelli sampling: two independent matrices A and B of base samples (rows of d
 * independent uniforms), and for each i the matrix AB_i = A with column i taken from B.
 * A sample is one row: f(A), f(B) and the d values f(AB_i). Jansen's estimators, with V the
 * variance of the 2N values f(A), f(B):
 *   first order  S_i  = 1 - sum (f(B) - f(AB_i))^2 / (2 N V)
 *   total effect ST_i = sum (f(A) - f(AB_i))^2 / (2 N V)
 * Only running sums are kept, one record per block of a round: a block is filled by the one
 * thread that runs it (lock-free), and after each round the records are folded in block
 * order into the total (bit-reproducible for any thread count and round size), so memory
 * does not grow with N. Confidence intervals come from batch means: consecutive blocks form
 * batches of 1, 2, 4, ... blocks, adjacent batches being combined pairwise whenever
 * CX_SOBOL_MAX_BATCHES are full and another block arrives; so a run ends with between
 * CX_SOBOL_MAX_BATCHES / 2 and CX_SOBOL_MAX_BATCHES batches (one per block below that),
 * each an independent replicate. The standard error is that of the size-weighted batch
 * estimates (the sd of the batch estimates / sqrt(batches) for equal sizes); the interval
 * uses Student's t.
 */
#define CX_SOBOL_MAX_BATCHES 32
/* Blocks per round of the Sobol driver (records in memory at once). */
#define CX_SOBOL_ROUND_BLOCKS 256

typedef struct cx_sobol_acc cx_sobol_acc;

typedef struct cx_sobol_index {
    double s1, s1_se, s1_lo, s1_hi; /* first order, its standard error and 95% CI */
    double st, st_se, st_lo, st_hi; /* total effect */
} cx_sobol_index;

typedef struct cx_sobol_summary {
    uint64_t n;       /* base samples (rows) */
    double mean;      /* mean of f over A and B */
    double variance;  /* V */
    int batches;      /* batches behind the CIs (0: no CI, fewer than 2 non-empty blocks) */
} cx_sobol_summary;

/*
 * d >= 1 indices, n_slots >= 1 block records (one round's blocks); memory is fixed by d and
 * n_slots, never by the number of samples.
 * @return 0, CX_ERR_RANGE, CX_ERR_NOMEM. @note free with cx_sobol_acc_free.
 */
int cx_sobol_acc_new(cx_sobol_acc **out, int d, int n_slots);
void cx_sobol_acc_free(cx_sobol_acc *a);
/* Adds one sample to slot `slot`'s block record: fa = f(A), fb = f(B), fab[i] = f(AB_i).
 * O(d), no allocation; only that slot's record is written. */
void cx_sobol_acc_add(cx_sobol_acc *a, int slot, double fa, double fb, const double *fab);
/*
 * Folds slots 0 .. n - 1 (the next blocks, in block order; empty ones are skipped) into the
 * total and the batches, and empties them for the next round. One thread.
 */
void cx_sobol_acc_fold(cx_sobol_acc *a, int n);
/*
 * Folds every slot (cx_sobol_acc_fold(a, n_slots)), then writes idx[d] and *sum from all the
 * blocks folded so far. CIs are NAN when fewer than two batches hold samples; every index is
 * NAN when V is 0.
 */
void cx_sobol_acc_result(cx_sobol_acc *a, cx_sobol_index *idx, cx_sobol_summary *sum);

/* ------------------------------------------------------------------------------------- */
/* Study drivers on the model                                                             */
/* ------------------------------------------------------------------------------------- */

#define CX_SENS_BLOCK_PATHS 256 /* default paths (tornado) or base samples (Sobol) per block */

typedef struct cx_study_opts {
    uint64_t paths;      /* tornado: paths; Sobol: base samples N (each costs d + 3 paths) */
    uint64_t seed;
    int threads;         /* 0: all cores */
    int block_paths;     /* 0: CX_SENS_BLOCK_PATHS */
    cx_sampling sampling;
    bool antithetic;     /* tornado only; Saltelli rows are not paired */
    int metric;          /* cx_metric */
    /* optional (a SIGINT handler sets it): non-zero stops at the next block boundary; the
     * blocks already started finish and the report holds them (complete = false) */
    const atomic_int *interrupt;
    /* issue 12: the processes of an MPI job (engine.h), NULL alone: each rank runs a
     * contiguous share of the blocks, rank 0 merges (in block order where it matters), and
     * every rank returns rank 0's report; with comm, `interrupt` is this rank's own flag */
    const cx_engine_comm *comm;
} cx_study_opts;

/* Name of the pseudo-input for the per-month randomness in Sobol results. */
#define CX_SOBOL_NOISE_NAME "(per-month noise)"

typedef struct cx_sobol_report {
    int metric;
    int d;                 /* uncertain inputs */
    int *input;            /* their scenario indices, in input order */
    cx_sobol_index *idx;   /* d + 1: the inputs, then the per-month noise */
    cx_sobol_summary sum;
    uint64_t seed;
    int threads, block_paths;
    cx_sampling sampling;
    uint64_t evaluations;  /* model paths run: N (d + 3) */
    uint64_t requested;    /* base samples asked for (opts->paths) */
    bool complete;         /* every block ran (false after an interrupt) */
    double elapsed_s;
} cx_sobol_report;

/*
 * Sobol indices of every uncertain scalar input of sc for opts->metric. Swaps are done on
 * the independent uniforms before the copula: with correlated inputs, index i measures the
 * i-th independent factor of the Cholesky decomposition (inputs in sampler order), i.e. the
 * part of input i not explained by the correlated inputs before it.
 * The per-month randomness of a path is one more input (index d, CX_SOBOL_NOISE_NAME): f(A)
 * and every f(AB_i) share A's noise stream (so total effects compare paths that differ in
 * x_i only), f(B) has its own, and one more evaluation f(x_A, noise_B) gives the noise's own
 * indices: d + 3 model paths per sample. (Sharing one stream with f(B) too would make f(A)
 * and f(B) correlated and add the common-noise share to every first-order index.)
 * @return 0, CX_ERR_NOMEM, CX_ERR_RANGE (no uncertain input, 0 paths), CX_ERR_INTERNAL; on
 * failure a message in err. @note free *out with cx_sobol_report_free.
 */
int cx_sobol_run(cx_sobol_report **out, const cx_scenario *sc, const cx_model *m,
                 const cx_study_opts *opts, char *err, size_t err_len);
void cx_sobol_report_free(cx_sobol_report *r);

typedef struct cx_tornado_row {
    int input;              /* scenario index */
    double x_low, x_high;   /* decile thresholds: low is x <= x_low, high is x >= x_high */
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

/* JSON documents (new references) and CSV tables of the studies. */
json_t *cx_sobol_report_json(const cx_sobol_report *r, const cx_scenario *sc);
json_t *cx_tornado_report_json(const cx_tornado_report *r, const cx_scenario *sc);
/* One row per input; the last column, "complete", is the report's (true/false) on every row,
 * so that a table cut short by an interrupt says so.
 * @return 0 or CX_ERR_IO; written to a temporary name and renamed. */
int cx_sobol_report_csv(const cx_sobol_report *r, const cx_scenario *sc, const char *path);
int cx_tornado_report_csv(const cx_tornado_report *r, const cx_scenario *sc, const char *path);
/* Writes j to path (indent 2) through a temporary file and a rename. @return 0, CX_ERR_IO. */
int cx_sens_write_json(const json_t *j, const char *path);

/* ------------------------------------------------------------------------------------- */
/* Sweeps                                                                                 */
/* ------------------------------------------------------------------------------------- */

typedef struct cx_sweep_point {
    double value[2];       /* the axes' values (value[1] unused with one axis) */
    cx_report *report;     /* the full statistics of the run at this point */
    bool complete;
} cx_sweep_point;

typedef struct cx_sweep_report {
    int n_axes;
    const cx_sweep_axis *axis; /* borrowed from the scenario */
    int n_points;              /* axis 0 outer, axis 1 inner */
    cx_sweep_point *pt;
    uint64_t seed, paths;
    int threads;
    cx_sampling sampling;
    bool antithetic, complete;
    double elapsed_s;
} cx_sweep_report;

/*
 * Runs the engine at every point of sc's sweep group: the scenario with the axes' inputs
 * fixed at the point's values (cx_scenario_with_fixed), with base's paths, seed, threads and
 * interrupt, and the sampling method given (a source built per point, since fixing an input
 * changes the uncertain set). Every point uses the same seed and block streams (common
 * random numbers), so a point is, byte for byte, a separate run of that fixed scenario.
 * @return 0; CX_ERR_CONFIG (no sweep group), CX_ERR_NOMEM, ...; a message in err.
 * After an interrupt (base->interrupt) it stops: the points finished are kept, then the point
 * the interrupt cut short (complete = false) if any of its blocks ran; r->complete is false.
 * Every point holds at least one path.
 * @note free *out with cx_sweep_report_free.
 */
int cx_sweep_run(cx_sweep_report **out, const cx_scenario *sc, const cx_engine_opts *base,
                 cx_sampling sampling, bool antithetic, char *err, size_t err_len);
void cx_sweep_report_free(cx_sweep_report *r);
/* {"study": "sweep", ..., "axes": [{name, values}], "points": [{values, complete, metrics:
 * {name: {mean, se, p5, p50, p95}}}]} */
json_t *cx_sweep_report_json(const cx_sweep_report *r, const cx_scenario *sc);
/* Long table: axis names..., metric, mean, se, p5, p50, p95, complete (true/false: the
 * point's). @return 0 or CX_ERR_IO. */
int cx_sweep_report_csv(const cx_sweep_report *r, const char *path);

/*
 * One run of the engine on sc with the given sampling (the engine's default exact samplers
 * for plain MC): a helper shared by sweeps and the CLI. *run as cx_engine_run.
 */
int cx_sens_engine_run(cx_run **run, const cx_scenario *sc, const cx_engine_opts *opts,
                       cx_sampling sampling, bool antithetic, char *err, size_t err_len);

/* ------------------------------------------------------------------------------------- */
/* --target-ci METRIC:Q:REL                                                               */
/* ------------------------------------------------------------------------------------- */

typedef struct cx_target_ci {
    int metric;   /* cx_metric */
    double q;     /* in (0, 1) */
    double rel;   /* > 0 */
} cx_target_ci;

/* Parses "capex_burden:0.95:0.01". @return 0 or CX_ERR_USAGE with a message in err. */
int cx_target_ci_parse(cx_target_ci *t, const char *text, char *err, size_t err_len);
/* MODEL.md, "Statistics": CI ranks floor/ceil(n q -+ 1.96 sqrt(n q (1 - q))), clipped. */
void cx_target_ci_ranks(uint64_t n, double q, uint64_t *lo, uint64_t *hi);
/*
 * True when the 95% CI of the q-quantile held in sk is narrower than rel x |quantile|
 * (hi - lo < rel |value|). Writes the value and the interval when the pointers are not NULL.
 */
bool cx_target_ci_met(const cx_sketch *sk, const cx_target_ci *t, double *value, double *lo,
                      double *hi);
/*
 * As cx_target_ci_met, with the interval the report gives (cx_report_quantile_ci): from
 * independent blocks when acc keeps replicates (Latin hypercube, Sobol, antithetic), else
 * the order-statistic interval of acc's sketch. False while the interval is not a full one.
 */
bool cx_target_ci_met_accum(const cx_accum *acc, const cx_target_ci *t, double *value,
                            double *lo, double *hi);
/* The engine's stop predicate (cx_engine_opts.stop with stop_needs_accum): ctx is a
 * const cx_target_ci *; uses cx_target_ci_met_accum. */
bool cx_target_ci_stop(void *ctx, const cx_engine_progress *p);

#endif
