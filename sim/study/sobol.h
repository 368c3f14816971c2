/* SPDX-License-Identifier: MIT */
/* Sobol indices: the estimator core (generic in the function) and the study on the model. */
#ifndef CX_SIM_STUDY_SOBOL_H
#define CX_SIM_STUDY_SOBOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/input/scenario.h"
#include "sim/study/study.h"

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
/* The study on the model                                                                 */
/* ------------------------------------------------------------------------------------- */

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

/* The JSON document (a new reference) and the CSV table of the study. */
json_t *cx_sobol_report_json(const cx_sobol_report *r, const cx_scenario *sc);
/* One row per input; the last column, "complete", is the report's (true/false) on every row,
 * so that a table cut short by an interrupt says so.
 * @return 0 or CX_ERR_IO; written to a temporary name and renamed. */
int cx_sobol_report_csv(const cx_sobol_report *r, const cx_scenario *sc, const char *path);

#endif
