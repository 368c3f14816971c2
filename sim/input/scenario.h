/* SPDX-License-Identifier: MIT */
/* A validated, immutable scenario loaded from a libconfig file (MODEL.md, "Config shape"). */
#ifndef CX_SIM_SCENARIO_H
#define CX_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/input/dist.h"
#include "sim/input/sampler.h"

/*
 * Every number of the model is a scalar input: an index into the path's input vector x[]
 * (x[i] is sampled once per path from inputs[i].dist). Fields a config leaves out get a
 * fixed input holding the MODEL.md default, so every cx_in below is a valid index and a
 * sweep can vary any of them by name. "Unlimited" defaults are fixed at +INFINITY.
 */
typedef int cx_in;

#define CX_MAX_HORIZON 240 /* months */
#define CX_MAX_QUARTERS ((CX_MAX_HORIZON + 2) / 3)

typedef struct cx_input {
    char *name;      /* dotted name, e.g. "msl.p_success", "supply.tranches.campuses.gw" */
    cx_dist dist;
    int line;        /* config line (0 for a default) */
    bool from_config;/* false: a default MODEL.md fills in */
    bool uncertain;  /* !cx_dist_is_fixed(&dist): shown in tornado/Sobol */
    /* An outcome drawn once per path (msl.success, taas.launch, deals.signed.NAME.happens):
     * its input is the uniform u, the outcome is u < x[outcome_p] (MODEL.md's law), and its
     * law is uniform(0, 1), or fixed at 1/2 when outcome_p is fixed at 0 or 1 (the outcome
     * is then certain and draws nothing). Not a config key. */
    bool outcome;
    cx_in outcome_p; /* the probability input, when outcome */
} cx_input;

/* The law of an outcome input whose probability input has law p (cx_input.outcome):
 * uniform(0, 1), or fixed at 1/2 when p is fixed at 0 or 1. @return 0 or as cx_dist_*. */
int cx_outcome_dist(cx_dist *d, const cx_dist *p);

typedef enum cx_tranche_kind { CX_KIND_OWNED, CX_KIND_COLO, CX_KIND_NEOCLOUD } cx_tranche_kind;
extern const char *const cx_tranche_kind_names[3];

typedef struct cx_tranche {
    char *name;
    cx_tranche_kind kind;
    cx_in gw, start_month, delay_months, term_months, cost_per_gw_year;
} cx_tranche;

typedef struct cx_sched_point {
    int month;   /* fixed, strictly increasing */
    cx_in gw;
} cx_sched_point;

/* Internal uses, in MODEL.md order; allocation.priority permutes them. */
enum { CX_USE_MSL, CX_USE_RECSYS, CX_USE_TAAS, CX_N_USES };
extern const char *const cx_use_names[CX_N_USES];

typedef struct cx_msl {
    bool present;
    int n_sched;
    cx_sched_point *sched;
    cx_in p_success, decision_month, success_multiplier, failure_multiplier;
    cx_in success;   /* the outcome msl.success (u; success iff u < p_success) */
    bool clawback;
} cx_msl;

typedef struct cx_recsys {
    bool present;
    cx_in base_gw, scale_multiple, ramp_months, ad_revenue_base, uplift_per_doubling;
    bool clawback;
} cx_recsys;

typedef struct cx_taas {
    bool present;
    cx_in p_launch, launch_month, target_gw, ramp_months, revenue_per_gw_year;
    cx_in launch;    /* the outcome taas.launch (u; launch iff u < p_launch) */
    bool clawback;
} cx_taas;

typedef struct cx_market {
    cx_in price0, drift, vol;
} cx_market;

typedef struct cx_signed_deal {
    char *name;
    cx_in p_signed, start_month, gw, price_per_gw_year, term_months, notice_days;
    cx_in happens;   /* the outcome deals.signed.NAME.happens (u; iff u < p_signed) */
    bool cancellable;
} cx_signed_deal;

typedef struct cx_spot {
    bool present;
    cx_in start_month, offers_per_month, term_months, notice_days, max_external_gw;
    cx_dist gw;      /* per offer, drawn from the stream; not a scalar input */
    cx_dist premium; /* per offer, drawn from the stream; not a scalar input */
} cx_spot;

typedef struct cx_deals {
    int n_signed;
    cx_signed_deal *signed_deals;
    cx_spot spot;
    cx_in hazard_base, hazard_price;
} cx_deals;

typedef struct cx_iaas {
    bool enabled;
    cx_in max_gw, discount;
} cx_iaas;

/*
 * sobol.groups (issue 20 item 4): named groups of inputs that `capexsim sobol` reports as group
 * indices. Each member is an input's dotted name, a dotted prefix ("msl" holds every
 * "msl.*" input) or a pattern with '*' ('?', '[...]'), as fnmatch(3) without flags: "supply.*",
 * "deals.signed.*.happens" (cx_input_name_matches). The loader checks that every member
 * matches some input, that each group holds an uncertain input, that no input is in two
 * groups and that names are unique.
 */
typedef struct cx_sobol_group_spec {
    char *name;
    int n;
    char **members;
    int line;        /* the group's line in the file */
} cx_sobol_group_spec;

/* Whether input `name` is `pattern`: the name itself, a dotted prefix of it, or a pattern
 * with '*', '?' or '[' that fnmatch(3) matches against the whole name. */
bool cx_input_name_matches(const char *name, const char *pattern);

/* Sampling of scalar inputs (issue 6). */
typedef enum cx_sampling { CX_SAMPLING_MC, CX_SAMPLING_LHS, CX_SAMPLING_SOBOL } cx_sampling;

/* sweep = { inputs = ( { name = "..."; values = [...]; } or { name; from; to; steps; } ) } */
typedef struct cx_sweep_axis {
    char *name;      /* dotted input name */
    cx_in input;     /* its index */
    int n;
    double *values;
} cx_sweep_axis;

/*
 * optimize = { decisions = (...); objective = {...}; constraints = (...); } (issue 21).
 * A statistic of one metric over the paths: mean, the q-quantile (pNN), the mean of the
 * worst 5% (cvar95: the highest values) or P(metric > threshold) (p_exceed).
 */
typedef enum cx_opt_stat_kind {
    CX_OPT_MEAN, CX_OPT_QUANTILE, CX_OPT_CVAR95, CX_OPT_P_EXCEED
} cx_opt_stat_kind;

typedef struct cx_opt_stat {
    int metric;              /* index in MODEL.md's metric list (models/model.h's order) */
    cx_opt_stat_kind kind;
    double q;                /* CX_OPT_QUANTILE: in (0, 1) */
    double threshold;        /* CX_OPT_P_EXCEED */
    char label[24];          /* as written: "mean", "p95", "cvar95", "p_exceed" */
} cx_opt_stat;

#define CX_OPT_MAX_DECISIONS 4   /* the engine's fixed-input slots (CX_ENGINE_MAX_FIXED) */
#define CX_OPT_MAX_CONSTRAINTS 8

typedef struct cx_opt_decision {
    cx_in input;             /* a fixed input set in the file; its name is inputs[input].name;
                                -1 for a deal's switch */
    int switch_deal;         /* >= 0: "deals.signed.NAME.cancellable" of signed deal k, a
                                0/1 decision (low 0, high 1, integer); -1 otherwise */
    double low, high;        /* low < high; integers when integer */
    bool integer;
} cx_opt_decision;

typedef struct cx_opt_constraint {
    cx_opt_stat stat;
    double bound;
    bool upper;              /* true: stat <= bound (max = ...); false: stat >= bound */
} cx_opt_constraint;

typedef struct cx_optimize {
    int n_decisions;
    cx_opt_decision decision[CX_OPT_MAX_DECISIONS];
    cx_opt_stat objective;
    bool maximize;
    int n_constraints;
    cx_opt_constraint constraint[CX_OPT_MAX_CONSTRAINTS];
} cx_optimize;

typedef struct cx_scenario {
    char *path;            /* file it came from ("<built-in>" for the embedded default) */
    char *name;            /* `name` key, or the file's base name without .cfg */
    char *description;     /* `description` key or NULL */
    char sha256[65];       /* SHA-256 of the text read, every @include expanded (the file's
                              bytes when it has none), hex (docs/limits.md) */
    char *text;            /* that text, NUL-terminated (issue 22: results embed it) */
    int horizon_months;
    /* `start = "YYYY-MM"`: the calendar month of month 0 (MODEL.md, Calendar); labels only.
     * start_year is 0 where the key is absent. */
    int start_year, start_month; /* start_month 1 .. 12 */

    /* run group; 0 where absent (command-line flags override) */
    uint64_t run_paths, run_seed;
    int run_threads;
    bool has_paths, has_seed;
    cx_sampling sampling;
    bool antithetic;

    int n_inputs;
    cx_input *inputs;
    cx_sampler *sampler;   /* built from inputs + correlations at load (validates the copula) */
    cx_dist *dists_;       /* private: contiguous shallow copies of inputs[i].dist that the
                              sampler borrows (discrete arrays stay owned by inputs) */
    int n_corr;
    cx_corr *corr;

    int n_tranches;
    cx_tranche *tranches;
    cx_msl msl;
    cx_recsys recsys;
    cx_taas taas;
    cx_market market;
    cx_deals deals;
    cx_iaas iaas;
    int priority[CX_N_USES]; /* use ids in allocation order */

    int n_thresholds;
    double *thresholds;     /* report.thresholds, $B */
    double relative_error;  /* report.relative_error, default 0.001 */
    bool has_discount;      /* report.discount_rate given: the present-value metrics exist */
    double discount_rate;   /* report.discount_rate, annual effective, >= 0 (MODEL.md,
                               Present value) */

    /* sensitivity groups (issue 6) */
    int n_sweep;            /* 0, 1 or 2 axes */
    cx_sweep_axis sweep[2];
    char *tornado_metric;   /* tornado.metric, default "capex_burden" */
    char *sobol_metric;     /* sobol.metric, default "capex_burden" */
    uint64_t sobol_paths;   /* sobol.paths (base samples), 0 if absent */
    int n_sobol_groups;     /* sobol.groups, 0 if absent */
    cx_sobol_group_spec *sobol_groups;
    /* values outside their plausible range (cx_plausible_ranges), one line each:
     * "FILE:LINE: KEY: VALUE is outside the plausible range [LO, HI] UNIT (hint)"; not copied
     * by cx_scenario_with_fixed */
    int n_warnings;
    char **warnings;
    cx_optimize *optimize;  /* the optimize group (issue 21), NULL if absent; owned */
} cx_scenario;

/* Where a quantity's plausible range ends relative to the horizon (H months). */
typedef enum cx_horizon_end {
    CX_H_NONE,   /* hi as given */
    CX_H_BEFORE, /* hi = H - 1: a month that still falls inside the horizon */
    CX_H_AT      /* hi = H: a length of at most the horizon */
} cx_horizon_end;
/* One row of the table of plausible ranges (issue 23 item 2): a value of a key matching `key`
 * ('*' stands for a tranche's or deal's name or a schedule index) outside [lo, hi] is a
 * warning (an error under --strict). docs/model.md prints the same table. */
typedef struct cx_plausible_range {
    const char *key;
    const char *unit;
    double lo, hi;
    cx_horizon_end horizon; /* when not CX_H_NONE, replaces hi */
    const char *why;        /* the likely mistake, for the message */
} cx_plausible_range;
extern const cx_plausible_range cx_plausible_ranges[];
extern const int cx_n_plausible_ranges;
/* The row for a dotted input name, or NULL when the key has no plausible range. */
const cx_plausible_range *cx_plausible_find(const char *name);
/* The row's ends for a horizon of horizon_months. */
void cx_plausible_bounds(const cx_plausible_range *r, int horizon_months, double *lo,
                         double *hi);

/*
 * Loads and validates a scenario file. On failure returns CX_ERR_CONFIG (or CX_ERR_IO for a
 * file that cannot be read, CX_ERR_NOMEM) and writes one line to err (no trailing newline):
 * "FILE:LINE: KEY: what was expected, got what" (for example
 * "s.cfg:12: msl.p_success: a probability must be in [0, 1], got 1.5"), or for unknown keys
 * "s.cfg:5: msl.p_sucess: unknown key (did you mean 'msl.p_success'?)". *out is NULL then.
 * A required top-level group that is missing has no line: "s.cfg: market: missing ...".
 * A file that cannot be read gives "FILE: cannot read: <strerror>" and CX_ERR_IO.
 * @note the caller frees *out with cx_scenario_free.
 */
int cx_scenario_load(cx_scenario **out, const char *path, char *err, size_t err_len);
/* The same from text in memory; `name` stands for the file in messages. */
int cx_scenario_load_string(cx_scenario **out, const char *text, const char *name, char *err,
                            size_t err_len);
/* The default scenario built into the binary (configs/meta-2026h1.cfg). */
int cx_scenario_load_default(cx_scenario **out, char *err, size_t err_len);
/* No-op on NULL. */
void cx_scenario_free(cx_scenario *sc);
/* Hex SHA-256 of len bytes of text, as sc->sha256 is of sc->text (64 digits and a NUL). */
void cx_scenario_sha256(const char *text, size_t len, char hex[65]);

/*
 * For an unknown name: "did you mean 'X'?" when one of names[0..n) is a likely misspelling of
 * word, else "expected one of A, B, ..." (cut with " ..." to fit). @return buf (len bytes).
 */
const char *cx_name_hint(const char *word, const char *const *names, int n, char *buf,
                         size_t len);
/* Case-insensitive edit distance (swaps of neighbours count one) of two names. */
int cx_levenshtein(const char *a, const char *b);
/* Index of the input with this dotted name, or -1. */
int cx_scenario_find_input(const cx_scenario *sc, const char *name);
/*
 * A copy of sc with input `in` fixed at value (for sweeps): same layout, same indices.
 * @note the caller frees *out with cx_scenario_free.
 */
int cx_scenario_with_fixed(cx_scenario **out, const cx_scenario *sc, cx_in in, double value);

/* One-screen summary for `capexsim check`: tranches, uses, deals, uncertain inputs with
 * families and medians. */
void cx_scenario_print_summary(const cx_scenario *sc, void *file /* FILE * */);

#endif
