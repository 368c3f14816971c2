/* SPDX-License-Identifier: MIT */
/* Options shared by the tornado and Sobol studies, and writing a study's JSON. */
#ifndef CX_SIM_STUDY_STUDY_H
#define CX_SIM_STUDY_STUDY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "sim/engine/engine.h"
#include "sim/engine/sampling.h"

#define CX_SENS_BLOCK_PATHS 256 /* default paths (tornado) or base samples (Sobol) per block */

/* A group of inputs for Sobol indices: members are input names or dotted prefixes ("msl"
 * takes every "msl.*" input); only uncertain inputs count. */
typedef struct cx_sobol_group {
    const char *name;
    int n;
    const char *const *members;
} cx_sobol_group;

/* Options of the Sobol study only (zero: the defaults). */
typedef struct cx_sobol_args {
    double target_ci;     /* > 0: add base samples until every 95% half-width <= this */
    uint64_t max_paths;   /* with target_ci: the most base samples (0: 64 x paths) */
    int order;            /* cx_sobol_order: 0 by total effect, 1 config order */
    int n_groups;
    const cx_sobol_group *groups; /* borrowed */
} cx_sobol_args;

/* Progress of a study (issue 23): called between rounds of blocks by the thread that folds
 * them (rank 0's share under MPI), never from the per-path loop, with the units done and
 * asked for (tornado: paths; Sobol: base samples; Shapley: permutations). It only reads the
 * counts: nothing it does changes a result. */
typedef void (*cx_study_progress_fn)(void *ctx, uint64_t done, uint64_t total);
/*
 * A study's checkpoint (issue 23), as its driver sees it: the driver runs its blocks in
 * rounds and, between rounds (every every_s seconds), at an interrupt and at the end, hands
 * its state (its merged accumulators after the blocks done, and its own schedule) to save;
 * given a state, it checks every field against its shape and the other fields and goes on
 * from there, so the result is the same bytes as a study never stopped, at any thread count.
 * The file around the state (identity, SHA-256, lock) is sim/engine/checkpoint.h's.
 */
typedef struct cx_study_ckpt {
    void *ctx;
    const char *name;            /* the file, for messages */
    double every_s;              /* seconds between saves (0: after every round) */
    uint32_t round_blocks;       /* blocks a round (0: the study's default) */
    const unsigned char *state;  /* the state to go on from (untrusted), NULL: none */
    size_t state_n;
    int (*save)(void *ctx, const void *p, size_t n); /* @return 0 or an error */
} cx_study_ckpt;

typedef struct cx_study_opts {
    uint64_t paths;      /* tornado: paths; Sobol: base samples N (each costs d + 4 paths) */
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
    cx_sobol_args sobol;  /* Sobol only */
    cx_study_progress_fn progress; /* NULL: none */
    void *progress_ctx;
    const cx_study_ckpt *ckpt; /* issue 23: tornado, alone (no comm); NULL: none */
} cx_study_opts;

/* Writes j to path (indent 2) through a temporary file and a rename. @return 0, CX_ERR_IO. */
int cx_sens_write_json(const json_t *j, const char *path);

#endif
