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
} cx_input;

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
    bool clawback;
} cx_taas;

typedef struct cx_market {
    cx_in price0, drift, vol;
} cx_market;

typedef struct cx_signed_deal {
    char *name;
    cx_in p_signed, start_month, gw, price_per_gw_year, term_months, notice_days;
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

/* Sampling of scalar inputs (issue 6). */
typedef enum cx_sampling { CX_SAMPLING_MC, CX_SAMPLING_LHS, CX_SAMPLING_SOBOL } cx_sampling;

/* sweep = { inputs = ( { name = "..."; values = [...]; } or { name; from; to; steps; } ) } */
typedef struct cx_sweep_axis {
    char *name;      /* dotted input name */
    cx_in input;     /* its index */
    int n;
    double *values;
} cx_sweep_axis;

typedef struct cx_scenario {
    char *path;            /* file it came from ("<built-in>" for the embedded default) */
    char *name;            /* `name` key, or the file's base name without .cfg */
    char *description;     /* `description` key or NULL */
    char sha256[65];       /* SHA-256 of the text read, every @include expanded (the file's
                              bytes when it has none), hex (docs/limits.md) */
    char *text;            /* that text, NUL-terminated (issue 22: results embed it) */
    int horizon_months;

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

    /* sensitivity groups (issue 6) */
    int n_sweep;            /* 0, 1 or 2 axes */
    cx_sweep_axis sweep[2];
    char *tornado_metric;   /* tornado.metric, default "capex_burden" */
    char *sobol_metric;     /* sobol.metric, default "capex_burden" */
    uint64_t sobol_paths;   /* sobol.paths (base samples), 0 if absent */
} cx_scenario;

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
