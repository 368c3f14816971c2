/* SPDX-License-Identifier: MIT */
/* The model of MODEL.md: one path, month by month, from a scenario and its scalar inputs. */
#ifndef CX_MODELS_MODEL_H
#define CX_MODELS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/rng/pcg.h"

#include "sim/input/scenario.h"

/* Per-path metrics (MODEL.md, "Per-path metrics"), in report order. */
enum cx_metric {
    CX_M_CAPEX_BURDEN,
    CX_M_REVENUE_TOTAL,
    CX_M_REVENUE_DEALS,
    CX_M_REVENUE_TAAS,
    CX_M_REVENUE_IAAS,
    CX_M_REVENUE_RECSYS,
    CX_M_COMMITTED_COST,
    CX_M_IDLE_GW_MEAN,
    CX_M_IDLE_GW_PEAK,
    CX_M_MSL_SHORTFALL,
    CX_M_OVERSOLD_GW_PEAK,
    CX_M_MSL_SUCCESS,
    CX_M_DEALS_SIGNED,
    CX_M_DEALS_CANCELLED,
    CX_M_DEALS_CLAWED_BACK,
    /* MODEL.md, Present value: only with report.discount_rate (cx_metric_count); 0 on
     * every path without it, and left out of every output */
    CX_M_CAPEX_BURDEN_PV,
    CX_M_REVENUE_TOTAL_PV,
    CX_N_METRICS
};
/* "capex_burden", "revenue_total", ... indexed by cx_metric. */
extern const char *const cx_metric_names[CX_N_METRICS];
/* Index of a metric by name, or -1. */
int cx_metric_find(const char *name);
/* The metrics every scenario reports: those before the present values. */
#define CX_N_BASE_METRICS CX_M_CAPEX_BURDEN_PV
/* How many metrics sc reports, the first ones of cx_metric: CX_N_METRICS with
 * report.discount_rate, else CX_N_BASE_METRICS. */
int cx_metric_count(const cx_scenario *sc);

/* Quarterly series (MODEL.md): mean idle GW, revenue in the quarter, cumulative burden. */
enum cx_qseries { CX_Q_IDLE_GW_MEAN, CX_Q_REVENUE, CX_Q_BURDEN_CUMULATIVE, CX_N_QSERIES };
extern const char *const cx_qseries_names[CX_N_QSERIES];

typedef struct cx_path_result {
    double metric[CX_N_METRICS];
    double quarter[CX_N_QSERIES][CX_MAX_QUARTERS]; /* first cx_model_quarters() used */
} cx_path_result;

/* Compiled, read-only form of a scenario: shared by all threads. */
typedef struct cx_model cx_model;
/* Per-thread scratch: deal slots and other state for one path at a time. */
typedef struct cx_scratch cx_scratch;
/* Optional per-month trace for tests (models/trace.h); NULL in production runs. */
typedef struct cx_trace cx_trace;

/*
 * Compiles sc (borrowed; must outlive the model). Fails with CX_ERR_CONFIG and a message
 * "FILE:LINE: KEY: ..." in err when the scenario could exceed the scratch it sizes (for
 * example spot offers whose size has no positive lower bound).
 * @note the caller frees *out with cx_model_free.
 */
int cx_model_new(cx_model **out, const cx_scenario *sc, char *err, size_t err_len);
void cx_model_free(cx_model *m);
/* Number of quarters in the series: ceil(horizon / 3). */
int cx_model_quarters(const cx_model *m);

/* The SIMD path the model's kernels run on: "scalar", "avx2" or "avx512" (sim/base/simd.h). */
const char *cx_model_simd(const cx_model *m);

/* @note the caller frees *out with cx_scratch_free (no-op on NULL). */
int cx_scratch_new(cx_scratch **out, const cx_model *m);
void cx_scratch_free(cx_scratch *s);

/* Paths a batch runs side by side (cx_model_batch). */
#define CX_MODEL_LANES 64

/* A path's per-month randomness, in two named groups (issue 20 item 2), each its own
 * stream so that studies can swap one without the other: the price path (step 1's shocks)
 * and the deal events (buyer-notice thresholds, spot offer counts, sizes and premiums). */
enum { CX_MODEL_STREAM_PRICE = 0, CX_MODEL_STREAM_EVENTS = 1 }; /* cx_pcg32_group_stream */
typedef struct cx_path_streams {
    cx_pcg32 price;
    cx_pcg32 events;
} cx_path_streams;

/*
 * Runs n (1 .. CX_MODEL_LANES) paths side by side: path i has the scalar inputs
 * x[i * x_stride .. + sc->n_inputs - 1] (its once-per-path outcomes included: msl.success,
 * taas.launch, deals.signed.NAME.happens) and draws its per-month randomness only from
 * streams[i] (draw order: models/month.c), so its result depends on nothing else: not on n,
 * its lane, or the SIMD path. out[i] gets path i's metrics; trace, if not NULL, gets path
 * 0's months and events. Pure: no allocation, no I/O, no globals; writes only *s,
 * out[0 .. n-1] and *trace.
 */
void cx_model_batch(const cx_model *m, const double *x, size_t x_stride, int n,
                    const cx_path_streams *streams, cx_scratch *s, cx_path_result *out,
                    cx_trace *trace);

/* The streams that cx_model_path gives a path keyed by `key` (one output of its r): the
 * price path cx_pcg32_group_stream(key, 0, 0, 0), the deal events group 1 of the same.
 * For drivers that batch such paths. */
void cx_model_streams_of_key(cx_path_streams *g, uint64_t key);
/* The price path of the path keyed price_key and the deal events of the one keyed
 * events_key (Sobol's designs swap one group at a time); _of_key(k) is _of_keys(k, k). */
void cx_model_streams_of_keys(cx_path_streams *g, uint64_t price_key, uint64_t events_key);

/*
 * Runs one path: x holds the path's scalar inputs (sc->n_inputs values), r is the path's
 * stream: the path's own stream is keyed by r's next output (one draw of r), so successive
 * calls on one r give independent paths and a copy of r replays one. cx_model_batch of one
 * lane. Pure: no allocation, no I/O, no globals; writes only *r, *s, *out and *trace.
 */
void cx_model_path(const cx_model *m, const double *x, gsl_rng *r, cx_scratch *s,
                   cx_path_result *out, cx_trace *trace);

#endif
