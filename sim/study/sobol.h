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
 * A sample is one row: f(A), f(B) and the d values f(AB_i) (an "index" may also swap a set
 * of columns: a group). With V the variance of the 2N values f(A), f(B), m their mean and
 * D_i = f(AB_i) - f(A):
 *   first order  S_i  = sum (f(B) - m) D_i / (N V)     (Saltelli et al. 2010, centred)
 *   total effect ST_i = sum D_i^2 / (2 N V)             (Jansen 1999)
 * Both sums vanish term by term where input i has no effect (D_i = 0), so the noise of an
 * index shrinks with the index: an unimportant input's S1 cannot stray far below 0 (Jansen's
 * first order, 1 - sum (f(B) - f(AB_i))^2 / 2NV, has noise of order 1 / sqrt(N) whatever
 * the index, and gave most of 50 inputs a negative S1 at N = 4096).
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
/* The design: blocks, threads, ranks and the target half-width, for any function         */
/* ------------------------------------------------------------------------------------- */

/* The fewest blocks that give a CI: 8 batches of one block, Student's t with 7 df. */
#define CX_SOBOL_MIN_BLOCKS 8
/* Base samples by default (cx_study_opts.paths = 0): every 95% half-width <= 0.03 on the
 * shipped scenarios (docs/sensitivity.md, "Default size"). */
#define CX_SOBOL_DEFAULT_PATHS 16384
/* A warning is raised for an index whose 95% CI is wider than this (half-width). */
#define CX_SOBOL_WARN_HALF_WIDTH 0.05

/*
 * One base sample: ua and ub are its rows of A and B (d uniforms each), key 64 random bits
 * of the block's stream for anything else random (the model's per-month noise). Writes
 * *fa = f(A), *fb = f(B) and fab[k] = f at the k-th swap point (n_idx of them). thread is
 * the calling thread's number (0 .. threads - 1), for per-thread scratch. Must not fail.
 */
typedef void (*cx_sobol_sample_fn)(void *ctx, int thread, const double *ua, const double *ub,
                                   uint64_t key, double *fa, double *fb, double *fab);

typedef struct cx_sobol_design {
    int d;                 /* columns of A and B */
    int n_idx;             /* indices: swap points per base sample */
    cx_sobol_sample_fn fn;
    void *ctx;
    uint64_t base;         /* base samples N (at least CX_SOBOL_MIN_BLOCKS blocks) */
    uint64_t seed;
    int threads;           /* >= 1 */
    int block_paths;       /* base samples per block (>= 1) */
    cx_sampling sampling;  /* of the 2d-dimensional points (A, B) */
    /* > 0: after the first N, add base samples in stages (each adds half the blocks done,
     * at least one) until every 95% half-width is at most target_ci or max_base is reached;
     * stages are whole blocks, so N is rounded up to whole blocks */
    double target_ci;
    uint64_t max_base;     /* with target_ci: the most base samples (0: 64 N) */
    const atomic_int *interrupt; /* as cx_study_opts */
    const cx_engine_comm *comm;  /* as cx_study_opts */
    /* as cx_study_opts (NULL: none): base samples folded of those the stage asks for (with
     * target_ci, of the most it may run) */
    cx_study_progress_fn progress;
    void *progress_ctx;
    /* issue 23, as cx_study_opts (one process): saved between rounds (the folded accumulator,
     * the stage schedule, and at an interrupt the round's done blocks), resumed from */
    const struct cx_study_ckpt *ckpt;
} cx_sobol_design;

typedef struct cx_sobol_outcome {
    cx_sobol_summary sum;
    bool complete;         /* every block asked for ran (false after an interrupt) */
    int stages;            /* times the sample was checked against target_ci (1 without) */
    bool target_met;       /* every half-width <= target_ci (false without a target) */
    double max_half_width; /* the widest 95% half-width of any S1 or ST */
    double elapsed_before; /* seconds of the sessions before this one (a checkpoint's) */
} cx_sobol_outcome;

/*
 * Runs the design: block b draws its points from cx_pcg64_stream(seed, b) (A and B as the
 * two halves of one 2d-dimensional plan), then one key per base sample; blocks run over the
 * threads in rounds and are folded in block order, so idx (n_idx) and *out are the same bytes
 * for any thread count or number of ranks.
 * @return 0; CX_ERR_USAGE when N is below CX_SOBOL_MIN_BLOCKS blocks (no CI: the message
 * names the minimum); CX_ERR_RANGE, CX_ERR_NOMEM, CX_ERR_INTERNAL; a message in err.
 */
int cx_sobol_design_run(const cx_sobol_design *des, cx_sobol_index *idx, cx_sobol_outcome *out,
                        char *err, size_t err_len);

/* Half-widths of idx's 95% CIs: the larger of S1's and ST's (NAN when there is none). */
double cx_sobol_half_width(const cx_sobol_index *x);

typedef enum cx_sobol_order {
    CX_SOBOL_BY_ST = 0,    /* total effect, largest first; NaN last; ties in config order */
    CX_SOBOL_BY_INPUT = 1, /* config (input) order */
} cx_sobol_order;

/* rank[k] = the index (0 .. n - 1) shown k-th in the given order. */
void cx_sobol_rank(const cx_sobol_index *idx, int n, cx_sobol_order order, int *rank);

/*
 * Warnings on n indices named names[i], appended to *list (n_list strings, each malloc'd; the
 * array grows by realloc): a 95% CI wider than CX_SOBOL_WARN_HALF_WIDTH, or an S1 below 0
 * beyond its CI (s1_hi < 0). @return 0 or CX_ERR_NOMEM. @note free each string and the list.
 */
int cx_sobol_warnings(const cx_sobol_index *idx, int n, const char *const *names,
                      char ***list, int *n_list);

/* ------------------------------------------------------------------------------------- */
/* The study on the model                                                                 */
/* ------------------------------------------------------------------------------------- */

/* The per-month randomness of a path, as pseudo-inputs of Sobol results (issue 20 item 2):
 * the price path and the deal events, each its own stream (cx_path_streams). Index d + k of
 * a report is cx_sobol_noise_names[k]. */
#define CX_SOBOL_N_NOISE 2
extern const char *const cx_sobol_noise_names[CX_SOBOL_N_NOISE];

typedef struct cx_sobol_report {
    int metric;
    int d;                 /* uncertain inputs */
    int *input;            /* their scenario indices, in input order */
    cx_sobol_index *idx;   /* d + CX_SOBOL_N_NOISE + n_groups: the inputs, the per-month
                            * groups (price path, deal events), the groups */
    int n_groups;
    char **group_name;     /* n_groups */
    int *group_size;       /* n_groups: uncertain inputs in each */
    int **group_member;    /* n_groups arrays of indices into input[] */
    cx_sobol_order order;
    int *rank;             /* d + CX_SOBOL_N_NOISE: rows in display order (indices into idx) */
    int *group_rank;       /* n_groups: groups in display order (0 .. n_groups - 1) */
    char **warnings;       /* n_warnings strings, for the command line to print */
    int n_warnings;
    double target_ci;      /* opts->sobol.target_ci (0: none) */
    cx_sobol_outcome outcome;
    cx_sobol_summary sum;
    uint64_t seed;
    int threads, block_paths;
    cx_sampling sampling;
    uint64_t evaluations;  /* model paths run: N (d + 4 + groups) */
    uint64_t requested;    /* base samples asked for (opts->paths) */
    bool complete;         /* every block ran (false after an interrupt) */
    double elapsed_s;
} cx_sobol_report;

/*
 * Sobol indices of every uncertain scalar input of sc for opts->metric. Swaps are done on
 * the independent uniforms before the copula: with correlated inputs, index i measures the
 * i-th independent factor of the Cholesky decomposition (inputs in sampler order), i.e. the
 * part of input i not explained by the correlated inputs before it.
 * The per-month randomness of a path is two more inputs, its price path (index d) and its
 * deal events (index d + 1), each a stream of its own (cx_path_streams): f(A) and every
 * f(AB_i) share A's streams (so total effects compare paths that differ in x_i only), f(B)
 * has B's, and f(x_A, price_B, events_A) and f(x_A, price_A, events_B) give the two groups'
 * own indices: d + 4 model paths per sample. (Sharing the streams with f(B) too would make
 * f(A) and f(B) correlated and add the common-noise share to every first-order index.)
 * Groups (opts->sobol.groups) swap all their inputs at once: one more evaluation each, giving
 * the group's closed first-order and total indices. opts->paths = 0 takes
 * CX_SOBOL_DEFAULT_PATHS; opts->sobol.target_ci adds samples (cx_sobol_design).
 * @return as cx_sobol_design_run, and CX_ERR_USAGE for a group that names no uncertain input.
 * @return 0, CX_ERR_NOMEM, CX_ERR_RANGE (no uncertain input, 0 paths), CX_ERR_INTERNAL; on
 * failure a message in err. @note free *out with cx_sobol_report_free.
 */
int cx_sobol_run(cx_sobol_report **out, const cx_scenario *sc, const cx_model *m,
                 const cx_study_opts *opts, char *err, size_t err_len);
void cx_sobol_report_free(cx_sobol_report *r);
/* The most bytes a Sobol checkpoint's state can take for sc (issue 23): what bounds the file
 * before it is read. */
size_t cx_sobol_state_max(const cx_scenario *sc);

/* The JSON document (a new reference) and the CSV table of the study. */
json_t *cx_sobol_report_json(const cx_sobol_report *r, const cx_scenario *sc);
/* One row per input; the last column, "complete", is the report's (true/false) on every row,
 * so that a table cut short by an interrupt says so.
 * @return 0 or CX_ERR_IO; written to a temporary name and renamed. */
int cx_sobol_report_csv(const cx_sobol_report *r, const cx_scenario *sc, const char *path);

#endif
