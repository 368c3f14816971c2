/* SPDX-License-Identifier: MIT */
/* Optimisation of fixed inputs (issue 21): sample-average approximation, NLopt's COBYLA. */
#ifndef CX_SIM_STUDY_OPTIMIZE_H
#define CX_SIM_STUDY_OPTIMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sim/engine/engine.h"
#include "sim/input/scenario.h"

/*
 * The statistics of a point: slot 0 is the objective's statistic, slot 1 + j constraint j's
 * (sc->optimize's order). CX_OPT_N_STATS slots at most.
 */
#define CX_OPT_N_STATS (1 + CX_OPT_MAX_CONSTRAINTS)

/* A statistic with its 95% confidence interval. */
typedef struct cx_opt_ci {
    double value, lo, hi;
} cx_opt_ci;

/* A point evaluated on the search sample (the search seed and paths). */
typedef struct cx_opt_point {
    double x[CX_OPT_MAX_DECISIONS];
    double stat[CX_OPT_N_STATS];
    double violation;  /* sum of the constraints' violations, each relative to its bound */
    int start;         /* the start that found it (-1: the scenario's own values) */
} cx_opt_point;

/* A point re-run on the check sample (a fresh seed, more paths). */
typedef struct cx_opt_check {
    double x[CX_OPT_MAX_DECISIONS];
    cx_opt_ci stat[CX_OPT_N_STATS];
    bool holds[CX_OPT_MAX_CONSTRAINTS]; /* the whole 95% CI meets the bound */
    bool meets[CX_OPT_MAX_CONSTRAINTS]; /* the point estimate meets the bound */
} cx_opt_check;

typedef struct cx_opt_frontier_pt {
    double bound;          /* constraint 0's bound at this level */
    bool found;            /* a point feasible on the search sample */
    cx_opt_point point;
    cx_opt_check check;
} cx_opt_frontier_pt;

typedef struct cx_opt_result {
    const cx_optimize *spec;    /* borrowed from the scenario */
    const char *method;         /* "cobyla", "enumeration" or "cobyla+rounding" */
    int starts;
    bool found;                 /* a feasible point on the search sample */
    cx_opt_point best;          /* the best feasible (else the least infeasible) point */
    bool has_runner;
    cx_opt_point runner;        /* the best point from another start, distinct from best */
    cx_opt_point baseline;      /* the scenario's own values on the search sample */
    bool checked;               /* the check below ran (not after an interrupt) */
    cx_opt_check best_chk, runner_chk, base_chk;
    cx_opt_ci diff_runner[CX_OPT_N_STATS]; /* best - runner-up, paired on the check sample */
    cx_opt_ci diff_base[CX_OPT_N_STATS];   /* best - baseline, paired */
    int n_frontier;
    cx_opt_frontier_pt *frontier;
    uint64_t evaluations;       /* engine runs on the search sample (repeats are cached) */
    uint64_t seed, paths, check_seed, check_paths;
    bool interrupted;
    double setup_s, search_s, check_s, elapsed_s;
} cx_opt_result;

/* What the progress callback is told after each evaluation. */
typedef struct cx_opt_progress {
    uint64_t evaluations;
    int start, n_starts;        /* the start running (0-based); n_starts total */
    bool found;
    const cx_opt_point *best;   /* best feasible so far (NULL when none) */
    /* the search's budget (the grid, or starts x --max-evals, and the baseline): COBYLA
     * often ends sooner; rounding's polish and a frontier may run past it */
    uint64_t max_evaluations;
} cx_opt_progress;

typedef struct cx_opt_opts {
    cx_engine_opts engine;      /* paths, seed, threads and interrupt of the search */
    uint64_t check_paths;       /* 0: 4 x engine.paths */
    uint64_t check_seed;        /* 0: engine.seed + 1 */
    int starts;                 /* COBYLA starts; 0: CX_OPT_DEFAULT_STARTS */
    int max_evals;              /* evaluations a start may use; 0: 30 + 20 x decisions */
    int frontier;               /* levels of constraint 0's bound; 0: none, else >= 2 */
    int enum_max;               /* all-integer grids up to this many points are enumerated;
                                   0: CX_OPT_ENUM_MAX, < 0: never (COBYLA and rounding) */
    void (*progress)(void *ctx, const cx_opt_progress *p);
    void *ctx;
} cx_opt_opts;

#define CX_OPT_DEFAULT_STARTS 4
/* All-integer decisions with at most this many grid points are enumerated. */
#define CX_OPT_ENUM_MAX 256
/* Sections of the check sample behind a paired difference of a quantile or tail statistic. */
#define CX_OPT_SECTIONS 20

/*
 * Solves sc->optimize: every evaluation runs the engine on the same seed and paths (common
 * random numbers), so the sample-average objective and constraints are deterministic
 * functions of the decisions; COBYLA from several starts (or enumeration), then the best
 * point, the runner-up and the scenario's own values re-run on check_seed at check_paths.
 * The scenario is compiled once: decisions reach the paths through the engine's fixed-input
 * override, on a model built with each decision at its high (so that sizes fit every value);
 * a deal's cancellable switch (a flag of the model) gets one compiled copy per setting.
 * @return 0 (also after an interrupt: r->interrupted, the best point so far, no check);
 * CX_ERR_CONFIG (no optimize group, a scenario that does not compile), CX_ERR_NOMEM,
 * CX_ERR_RANGE; a message in err.
 * @note free *out with cx_opt_result_free.
 */
int cx_opt_run(cx_opt_result **out, const cx_scenario *sc, const cx_opt_opts *o, char *err,
               size_t err_len);
void cx_opt_result_free(cx_opt_result *r);

/* The dotted name of decision d ("deals.signed.NAME.cancellable" for a deal's switch, written
 * to buf; else the input's name). */
const char *cx_opt_decision_name(const cx_scenario *sc, int d, char *buf, size_t n);

/* The result as JSON (docs/schema/optimize.schema.json): the same bytes for any thread count
 * except the "timing" object. @return a new reference or NULL (no memory). */
json_t *cx_opt_result_json(const cx_opt_result *r, const cx_scenario *sc);

/*
 * An evaluator on its own (tests, benchmarks): the scenario compiled once, then one engine
 * run per call. cx_opt_eval_at writes the statistics of x (CIs on this sample) to *chk.
 * @return 0, CX_ERR_INTERRUPTED-like codes from the engine, CX_ERR_NOMEM, CX_ERR_CONFIG.
 * @note free with cx_opt_evaluator_free.
 */
typedef struct cx_opt_evaluator cx_opt_evaluator;
int cx_opt_evaluator_new(cx_opt_evaluator **out, const cx_scenario *sc, const cx_engine_opts *o,
                         char *err, size_t err_len);
int cx_opt_eval_at(cx_opt_evaluator *ev, const double *x, cx_opt_check *chk);
void cx_opt_evaluator_free(cx_opt_evaluator *ev);

#endif
