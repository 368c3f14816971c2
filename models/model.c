/* SPDX-License-Identifier: MIT */
/* The model of MODEL.md compiled from a scenario; the scratch of a batch; metric names. */

/*
 * Where the model lives (one concept a file, each opening with what it holds):
 *   models/supply.c   tranches: when online, capacity and committed cost
 *   models/demand.c   MSL, RecSys and TaaS demand
 *   models/market.c   the price path and the buyers' hazard
 *   models/deals.c    signed and spot deals, buyers' notices, clawback
 *   models/month.c    the nine steps of a month, for a batch of paths in lanes; draw order
 *   models/lanes_tmpl.c  the regular steps across lanes, built per instruction set
 * This file checks what a scenario needs before it runs (deal slots, horizon) and sizes the
 * per-thread scratch.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/lanes.h"
#include "models/trace.h"
#include "sim/base/error.h"
#include "sim/rng/pcg.h"
#include "sim/base/simd.h"

/* The most deal slots a lane may need before cx_model_new refuses the scenario. */
#define CX_MAX_DEAL_SLOTS 1000000

const char *const cx_metric_names[CX_N_METRICS] = {
    "capex_burden",   "revenue_total",  "revenue_deals",     "revenue_taas",
    "revenue_iaas",   "revenue_recsys", "committed_cost",    "idle_gw_mean",
    "idle_gw_peak",   "msl_shortfall",  "oversold_gw_peak",  "msl_success",
    "deals_signed",   "deals_cancelled", "deals_clawed_back", "capex_burden_pv",
    "revenue_total_pv",
};

const char *const cx_qseries_names[CX_N_QSERIES] = {
    "idle_gw_mean", "revenue", "burden_cumulative",
};

int cx_metric_find(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < CX_N_METRICS; i++)
        if (strcmp(name, cx_metric_names[i]) == 0)
            return i;
    return -1;
}

int cx_metric_count(const cx_scenario *sc)
{
    return sc->has_discount ? CX_N_METRICS : CX_N_BASE_METRICS;
}

/* The kernels for the SIMD path cx_simd_level() chose (sim/base/simd.h). */
static const cx_lane_kernels *cx_lane_kernels_pick(void)
{
#if defined(__x86_64__)
    switch (cx_simd_level()) {
    case CX_SIMD_AVX512: return &cx_lane_kernels_avx512;
    case CX_SIMD_AVX2: return &cx_lane_kernels_avx2;
    default: break;
    }
#endif
    return &cx_lane_kernels_scalar;
}

static bool term_is_default(const cx_scenario *sc, cx_in in)
{
    return !sc->inputs[in].from_config;
}

/* "FILE:LINE: KEY: detail", the project's config error shape. */
static void set_err(char *err, size_t err_len, const char *path, int line, const char *key,
                    const char *detail)
{
    if (err != NULL && err_len > 0)
        snprintf(err, err_len, "%s:%d: %s: %s", path, line, key, detail);
}

/* A config line for messages about the spot group: its per-offer gw is not a scalar
 * input and carries no line, so the first spot input that came from the config stands in. */
static int spot_line(const cx_scenario *sc)
{
    const cx_spot *sp = &sc->deals.spot;
    cx_in ins[] = { sp->start_month, sp->offers_per_month, sp->term_months, sp->notice_days,
                    sp->max_external_gw };
    int best = 0;
    for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
        int l = sc->inputs[ins[i]].line;
        if (l > 0 && (best == 0 || l < best))
            best = l;
    }
    return best;
}

void cx_model_free(cx_model *m)
{
    if (m == NULL)
        return;
    free(m->tranche_term_default);
    free(m->deal_term_default);
    free(m->sched_inv_len);
    free(m->discount);
    free(m);
}

int cx_model_new(cx_model **out, const cx_scenario *sc, char *err, size_t err_len)
{
    *out = NULL;
    if (err != NULL && err_len > 0)
        err[0] = '\0';
    cx_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return CX_ERR_NOMEM;
    int rc = CX_ERR_NOMEM;
    m->sc = sc;
    m->horizon = sc->horizon_months;
    m->quarters = (sc->horizon_months + 2) / 3;
    if (m->horizon < 1 || m->horizon > CX_MAX_HORIZON) {
        char d[96];
        snprintf(d, sizeof d, "must be 1 to %d months, got %d", CX_MAX_HORIZON, m->horizon);
        set_err(err, err_len, sc->path ? sc->path : "<scenario>", 0, "horizon_months", d);
        rc = CX_ERR_CONFIG;
        goto fail;
    }

    m->tranche_term_default = calloc((size_t)sc->n_tranches + 1, sizeof(bool));
    m->deal_term_default = calloc((size_t)sc->deals.n_signed + 1, sizeof(bool));
    m->sched_inv_len = calloc((size_t)sc->msl.n_sched + 1, sizeof(double));
    if (!m->tranche_term_default || !m->deal_term_default || !m->sched_inv_len)
        goto fail;
    for (int i = 0; i < sc->n_tranches; i++)
        m->tranche_term_default[i] = term_is_default(sc, sc->tranches[i].term_months);
    for (int i = 0; i < sc->deals.n_signed; i++)
        m->deal_term_default[i] = term_is_default(sc, sc->deals.signed_deals[i].term_months);
    if (sc->msl.present)
        for (int k = 0; k + 1 < sc->msl.n_sched; k++)
            m->sched_inv_len[k] = 1.0 / (sc->msl.sched[k + 1].month - sc->msl.sched[k].month);

    /* MODEL.md, Present value: month t's amount counts (1 + r)^(-(t + 1) / 12), one table
     * for every path (pow(1, x) is exactly 1, so r = 0 leaves each amount's bits) */
    if (sc->has_discount) {
        if (!(m->discount = malloc((size_t)m->horizon * sizeof *m->discount)))
            goto fail;
        for (int t = 0; t < m->horizon; t++)
            m->discount[t] = pow(1.0 + sc->discount_rate, -(double)(t + 1) / 12.0);
    }

    /* MODEL.md, Clawback: the uses marked clawback = true (a missing use has no demand). */
    m->clawback[CX_USE_MSL] = sc->msl.present && sc->msl.clawback;
    m->clawback[CX_USE_RECSYS] = sc->recsys.present && sc->recsys.clawback;
    m->clawback[CX_USE_TAAS] = sc->taas.present && sc->taas.clawback;

    /* The price matters to IaaS revenue, spot prices, and the price term of the hazard. */
    bool any_cancellable = false;
    for (int i = 0; i < sc->deals.n_signed; i++)
        any_cancellable |= sc->deals.signed_deals[i].cancellable;
    const cx_dist *hp = &sc->inputs[sc->deals.hazard_price].dist;
    bool hp_zero = cx_dist_is_fixed(hp) && cx_dist_lower(hp) == 0.0;
    m->price_used = sc->iaas.enabled || sc->deals.spot.present || (any_cancellable && !hp_zero);
    m->level_used = sc->iaas.enabled || sc->deals.spot.present;
    m->spot_term_default = sc->deals.spot.present && term_is_default(sc, sc->deals.spot.term_months);
    m->k = cx_lane_kernels_pick();

    /* Deal slots: every signed deal, plus the spot deals that can be active at once. A spot
     * offer is signed only if it fits in capacity left after internal uses, so right after
     * a signing all active deals together hold at most C(t) <= the sum of the tranches'
     * largest gw; and at most max_external_gw. Each spot deal holds at least the smallest
     * offer, so (bound / smallest offer) spot deals can be active at once. */
    m->deal_slots = sc->deals.n_signed;
    if (sc->deals.spot.present) {
        const char *path = sc->path ? sc->path : "<scenario>";
        int line = spot_line(sc);
        double lo = cx_dist_lower(&sc->deals.spot.gw);
        m->spot_gw_lower = lo;
        if (!(lo > 0.0)) {
            char d[256];
            snprintf(d, sizeof d,
                     "spot offers need a positive smallest size so that deal slots can be "
                     "sized, got a lower bound of %g: add a min clamp (e.g. min = 0.01)", lo);
            set_err(err, err_len, path, line, "deals.spot.gw", d);
            rc = CX_ERR_CONFIG;
            goto fail;
        }
        double cap = 0.0;
        for (int i = 0; i < sc->n_tranches; i++) {
            double u = cx_dist_upper(&sc->inputs[sc->tranches[i].gw].dist);
            if (u > 0.0)
                cap += u;
        }
        double ext = cx_dist_upper(&sc->inputs[sc->deals.spot.max_external_gw].dist);
        double bound = fmin(cap, ext);
        if (!isfinite(bound)) {
            set_err(err, err_len, path, line, "deals.spot.gw",
                    "the number of active spot deals has no bound: capacity has no upper "
                    "bound (a tranche gw without max) and max_external_gw is unlimited; add a "
                    "max clamp to the tranche gw or set deals.spot.max_external_gw");
            rc = CX_ERR_CONFIG;
            goto fail;
        }
        double n_spot = floor((fmax(0.0, bound) + CX_GW_EPS) / lo) + 1.0;
        if (n_spot + m->deal_slots > CX_MAX_DEAL_SLOTS) {
            char d[256];
            snprintf(d, sizeof d,
                     "up to %.0f spot deals could be active at once (%g GW / smallest offer "
                     "%g GW), more than %d: raise the min clamp of the offer size",
                     n_spot, bound, lo, CX_MAX_DEAL_SLOTS);
            set_err(err, err_len, path, line, "deals.spot.gw", d);
            rc = CX_ERR_CONFIG;
            goto fail;
        }
        m->deal_slots += (int)n_spot;
    }
    *out = m;
    return 0;
fail:
    cx_model_free(m);
    return rc;
}

int cx_model_quarters(const cx_model *m)
{
    return m->quarters;
}

const char *cx_model_simd(const cx_model *m)
{
    return m->k->name;
}

static void *alloc_lanes(size_t rows, size_t elem)
{
    size_t bytes = (rows > 0 ? rows : 1) * CX_LANES * elem;
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes);
    if (p != NULL)
        memset(p, 0, bytes);
    return p;
}

void cx_scratch_free(cx_scratch *s)
{
    if (s == NULL)
        return;
    free(s->deals);
    free(s->tr_on);
    free(s->tr_off);
    free(s->tr_gw);
    free(s->tr_cost);
    free(s->tr_span);
    free(s->msl_g);
    free(s->sd_begin);
    free(s->sd_start);
    free(s->sd_term_end);
    free(s->sd_notice);
    if (s->r != NULL)
        gsl_rng_free(s->r);
    free(s);
}

int cx_scratch_new(cx_scratch **out, const cx_model *m)
{
    *out = NULL;
    size_t bytes = (sizeof(cx_scratch) + 63) / 64 * 64;
    cx_scratch *s = aligned_alloc(64, bytes);
    if (s == NULL)
        return CX_ERR_NOMEM;
    memset(s, 0, sizeof *s);
    const cx_scenario *sc = m->sc;
    s->m = m;
    s->n_tr = sc->n_tranches;
    s->n_sched = sc->msl.present ? sc->msl.n_sched : 0;
    s->n_signed = sc->deals.n_signed;
    s->slots = m->deal_slots;
    s->h = m->horizon;
    s->deals = calloc(((size_t)m->deal_slots + 1) * CX_LANES, sizeof(cx_deal));
    s->tr_on = alloc_lanes((size_t)s->n_tr, sizeof(double));
    s->tr_off = alloc_lanes((size_t)s->n_tr, sizeof(double));
    s->tr_gw = alloc_lanes((size_t)s->n_tr, sizeof(double));
    s->tr_cost = alloc_lanes((size_t)s->n_tr, sizeof(double));
    s->tr_span = calloc(4 * (size_t)(s->n_tr > 0 ? s->n_tr : 1), sizeof(double));
    s->msl_g = alloc_lanes((size_t)s->n_sched, sizeof(double));
    s->sd_begin = alloc_lanes((size_t)s->n_signed, sizeof(int32_t));
    s->sd_start = alloc_lanes((size_t)s->n_signed, sizeof(int32_t));
    s->sd_term_end = alloc_lanes((size_t)s->n_signed, sizeof(int32_t));
    s->sd_notice = alloc_lanes((size_t)s->n_signed, sizeof(int32_t));
    s->r = gsl_rng_alloc(cx_gsl_rng_pcg32);
    if (!s->deals || !s->tr_on || !s->tr_off || !s->tr_gw || !s->tr_cost || !s->tr_span ||
        !s->msl_g || !s->sd_begin || !s->sd_start || !s->sd_term_end || !s->sd_notice || !s->r) {
        cx_scratch_free(s);
        return CX_ERR_NOMEM;
    }
    *out = s;
    return 0;
}

int cx_trace_new(cx_trace **out, int max_events)
{
    *out = NULL;
    if (max_events < 0)
        return CX_ERR_RANGE;
    cx_trace *t = calloc(1, sizeof *t);
    if (t == NULL)
        return CX_ERR_NOMEM;
    t->events = calloc((size_t)max_events + 1, sizeof(cx_trace_event));
    if (t->events == NULL) {
        free(t);
        return CX_ERR_NOMEM;
    }
    t->cap_events = max_events;
    *out = t;
    return 0;
}

void cx_trace_free(cx_trace *t)
{
    if (t == NULL)
        return;
    free(t->events);
    free(t);
}
