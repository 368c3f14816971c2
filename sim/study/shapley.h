/* SPDX-License-Identifier: MIT */
/* Shapley effects: the estimator core (generic in the function) and the study on the model. */
#ifndef CX_SIM_STUDY_SHAPLEY_H
#define CX_SIM_STUDY_SHAPLEY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/input/scenario.h"
#include "sim/study/study.h"

/*
 * Shapley effects (Owen 2014; Song, Nelson and Staum 2016; Iooss and Prieur 2019): with the
 * cost c(J) = E[Var(Y | X_{-J})] of a set J of players (c(empty) = 0, c(all) = Var Y), player
 * i's effect is the average over the d! orders of the players of c(P ∪ {i}) - c(P), P the
 * players before i. The effects are >= 0, sum to Var Y and need no independence: correlated
 * inputs share what they explain instead of double-counting it (Sobol) or crediting it to
 * whichever comes first.
 *
 * Players. The first n_gauss are the normal scores of a Gaussian copula with correlation
 * matrix corr (each mapped to an input by the function); the next n_stream are independent
 * random streams, each given to the function as a 64-bit key (the model's per-month noise):
 * holding such a player fixed is reusing its key, resampling it is a fresh key.
 *
 * The estimator is Song, Nelson and Staum's random-permutation algorithm (their Algorithm with
 * N_v, m, N_o, N_i): m random orders; along each order, for j = 1 .. d - 1, one outer sample
 * of the players after position j (N_o = 1) and N_i = 3 inner samples of the first j given
 * them, whose sample variance estimates c(first j); the last step uses Var Y estimated from
 * N_v separate samples. See shapley.c for the conditional sampling and the intervals.
 */

#define CX_SHAPLEY_N_INNER 3        /* N_i: inner samples per step (Song et al.'s advice) */
#define CX_SHAPLEY_BLOCK_PERMS 16   /* permutations per block (a block is one stream) */
#define CX_SHAPLEY_VAR_PER_PERM 8   /* N_v = 8 m samples for Var Y */
#define CX_SHAPLEY_MIN_BLOCKS 8     /* the fewest blocks that give a CI (t with 7 df) */
#define CX_SHAPLEY_MAX_BATCHES 32   /* replicates behind the CIs: consecutive blocks */
/* Permutations by default: every share's 95% half-width <= 0.025 on meta-2026h1, 1.27 M paths
 * (docs/sensitivity.md, "Shapley effects", "Default size and time") */
#define CX_SHAPLEY_DEFAULT_PERMS 8192

typedef struct cx_shapley_effect {
    double effect;         /* the Shapley effect, in the metric's units squared */
    double share;          /* effect / Var Y */
    double se, lo, hi;     /* the share's standard error and 95% CI */
} cx_shapley_effect;

/*
 * n points: z holds n rows of n_gauss normal scores (row-major), keys n rows of n_stream
 * keys; writes y[0 .. n - 1]. thread: the caller's thread (0 .. threads - 1), for scratch.
 * Must not fail; n <= cx_shapley_max_points(design).
 */
typedef void (*cx_shapley_fn)(void *ctx, int thread, int n, const double *z,
                              const uint64_t *keys, double *y);

typedef struct cx_shapley_design {
    int n_gauss;           /* >= 0 */
    const double *corr;    /* n_gauss x n_gauss, row-major, positive definite; NULL: identity */
    int n_stream;          /* >= 0; n_gauss + n_stream >= 2 */
    cx_shapley_fn fn;
    void *ctx;
    uint64_t perms;        /* m (at least CX_SHAPLEY_MIN_BLOCKS blocks) */
    uint64_t seed;
    int threads;           /* >= 1 */
    int block_perms;       /* 0: CX_SHAPLEY_BLOCK_PERMS */
    /* common random numbers across a permutation's steps: the steps of one permutation use
     * one outer draw and N_i inner draws between them, each step taking the outer draw for
     * its held players and the inner ones for the rest, so steps j - 1 and j differ only in
     * player pi_j's draw. Every step's points keep their law (each C_j is unbiased, as in
     * Song et al.), but C_j - C_{j-1} no longer carries two independent errors: an input
     * with little effect gets an increment near 0 instead of one of order Var Y. false: the
     * published algorithm (independent steps). */
    bool crn;
    const atomic_int *interrupt; /* non-zero: stop after the blocks started (NULL: none) */
    /* permutations folded of perms, between rounds (sim/study/study.h; NULL: none) */
    cx_study_progress_fn progress;
    void *progress_ctx;
    /* issue 23, as cx_study_opts: saved between rounds (the batches folded after the blocks
     * before the next one, and at an interrupt the round's done block records), resumed */
    const struct cx_study_ckpt *ckpt;
} cx_shapley_design;

typedef struct cx_shapley_outcome {
    uint64_t perms;        /* permutations done */
    uint64_t var_samples;  /* N_v */
    uint64_t evaluations;  /* function values: m N_i (d - 1) + N_v */
    double mean, variance; /* of Y over the N_v samples */
    double var_lo, var_hi; /* the variance's 95% CI */
    double sum_share, sum_lo, sum_hi; /* sum of the shares and its 95% CI (1 by construction) */
    double max_half_width; /* widest 95% half-width of a share */
    int batches;           /* replicates behind the CIs */
    bool complete;         /* every block ran */
    double elapsed_before; /* seconds of the sessions before this one (a checkpoint's) */
} cx_shapley_outcome;

/* The most points one call of the function gets: N_i (d - 1), at least 64. */
int cx_shapley_max_points(const cx_shapley_design *des);

/*
 * Runs the design. Block b (CX_SHAPLEY_BLOCK_PERMS permutations and their N_v share) draws
 * everything from cx_pcg64_stream(seed, b); blocks run over the threads and their sums are
 * folded in block order, so eff[n_gauss + n_stream] and *out are the same bytes for any thread
 * count. 95% CIs by linearisation over up to CX_SHAPLEY_MAX_BATCHES batches of consecutive
 * blocks (independent replicates), Student's t.
 * @return 0; CX_ERR_USAGE when m is below CX_SHAPLEY_MIN_BLOCKS blocks (the message names
 * the minimum); CX_ERR_RANGE (bad design, corr not positive definite), CX_ERR_NOMEM; a message
 * in err.
 */
int cx_shapley_design_run(const cx_shapley_design *des, cx_shapley_effect *eff,
                          cx_shapley_outcome *out, char *err, size_t err_len);

/* rank[k] = the player (0 .. n - 1) shown k-th: by share, largest first, NaN last, ties in
 * player order. */
void cx_shapley_rank(const cx_shapley_effect *eff, int n, int *rank);

/* ------------------------------------------------------------------------------------- */
/* The study on the model                                                                 */
/* ------------------------------------------------------------------------------------- */

/* The per-month randomness of a path, as players after the inputs (one stream today; a model
 * that splits its noise into several streams lists one name each here and keys each). */
#define CX_SHAPLEY_NOISE_PLAYERS 2 /* the price path, the deal events */
extern const char *const cx_shapley_noise_names[CX_SHAPLEY_NOISE_PLAYERS];

/* Options of the Shapley study (NULL: the defaults). */
typedef struct cx_shapley_args {
    bool crn;              /* cx_shapley_design.crn (default false) */
} cx_shapley_args;

typedef struct cx_shapley_report {
    int metric;
    int d;                 /* uncertain inputs */
    int *input;            /* d: their scenario indices, in input order */
    int n_players;         /* d + CX_SHAPLEY_NOISE_PLAYERS */
    cx_shapley_effect *eff; /* n_players: the inputs, then the noise */
    int *rank;             /* n_players: rows in display order */
    cx_shapley_outcome out;
    uint64_t seed, requested;
    int threads, block_perms;
    bool crn;
    double elapsed_s;
} cx_shapley_report;

/* A player's name: an input's dotted name or a noise name. */
const char *cx_shapley_player_name(const cx_shapley_report *r, const cx_scenario *sc, int p);

/*
 * Shapley effects of every uncertain scalar input of sc, and of the per-month noise, for
 * opts->metric: the players' normal scores under the scenario's Gaussian copula (correlation
 * 2 sin(pi rho / 6) per pair, MODEL.md), each mapped through its input's inverse CDF
 * (cx_sampler_value_at_z); the noise keys the path's stream (cx_model_stream_of_key).
 * opts->paths is m (0: CX_SHAPLEY_DEFAULT_PERMS); sampling, antithetic and sobol are ignored;
 * args (NULL: defaults) may ask for common random numbers.
 * @return as cx_shapley_design_run; CX_ERR_RANGE for an unknown metric or no uncertain
 * input; a message in err. @note free *out with cx_shapley_report_free.
 */
int cx_shapley_run(cx_shapley_report **out, const cx_scenario *sc, const cx_model *m,
                   const cx_study_opts *opts, const cx_shapley_args *args, char *err,
                   size_t err_len);
void cx_shapley_report_free(cx_shapley_report *r);
/* The most bytes a Shapley checkpoint's state can take for sc (issue 23). */
size_t cx_shapley_state_max(const cx_scenario *sc);

/* The JSON document (a new reference; NULL when out of memory). */
json_t *cx_shapley_report_json(const cx_shapley_report *r, const cx_scenario *sc);
/* One row per player in display order. @return 0 or CX_ERR_IO (temporary name, renamed). */
int cx_shapley_report_csv(const cx_shapley_report *r, const cx_scenario *sc, const char *path);

#endif
