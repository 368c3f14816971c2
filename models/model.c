/* SPDX-License-Identifier: MIT */
/* The model of MODEL.md: a scenario compiled once, then one path run month by month. */

/*
 * How a path runs. cx_model_new checks the scenario and sizes the deal slots; everything
 * that depends on sampled inputs (rounded months, notice months, ramps) is worked out at
 * the start of each path from x[], because every month-valued input may be random.
 *
 * A path has three passes over the months (per-month arrays in cx_scratch.mo):
 *   1. what no deal can change, one tight loop per quantity: log P(t) and P(t) (MODEL.md,
 *      one month, step 1; exp() for every month in one loop when IaaS or spot deals use the
 *      level, which cost less than calls spread through the month loop), capacity and
 *      committed cost (summed again only in months where a tranche comes online or goes
 *      offline, next_cap), and the demands of step 5 (the RecSys ramp multiplies by
 *      M^(1/R) each month instead of calling pow());
 *   2. the month loop, MODEL.md's steps 2 to 9 in order: deals, notices, allocation,
 *      clawback, spot offers, IaaS; it leaves each month's idle GW, deal and IaaS revenue
 *      and allocations. Reserved GW and deal revenue are summed again only when the set
 *      of deals changed; deals are removed only in months where one ends (next_end), by a
 *      stable compaction, so the slots stay in the order the deals began;
 *   3. the month's burden and revenue and the path's sums, in month order.
 *
 * Random draws of a path, in this order (the order defines results for a seed):
 *   1. one uniform for MSL success (if `msl` is present): success iff u < p_success;
 *   2. one uniform for the TaaS launch (if `taas` is present): launch iff u < p_launch;
 *   3. one uniform per signed deal, config order: the deal happens iff u < p_signed;
 *   4. one standard normal (cx_normal, sim/normal.h) for the price shock of each month
 *      t = 1 .. H-1, in month order, all before month 0 runs, when the path's vol is not 0
 *      and the price matters to the scenario (IaaS, spot deals, or a cancellable signed
 *      deal with a hazard_price that is not fixed at 0);
 *   then, for each month t = 0 .. H-1:
 *   5. when a cancellable deal begins (step 2 for a signed deal, in config order; step 7
 *      for a spot deal, right after its premium) and the path's hazards are not both 0:
 *      one uniform u in (0, 1), its survival threshold (below).
 *   6. (t >= spot start) the number of offers ~ Poisson(offers_per_month): one uniform
 *      by inversion of the Poisson CDF when the mean is <= 12, else gsl_ran_poisson; when an
 *      offer could still be signed (what is left and the external cap both leave room for
 *      the smallest possible offer; otherwise every offer would be rejected, so none are
 *      drawn); then per offer its gw (cx_dist_sample_inline: cx_dist_sample's draws) and,
 *      only if the offer is signed, its premium (likewise).
 *
 * Counterparty notices (MODEL.md, Counterparty cancellation) are an independent Bernoulli
 * draw with probability h(t) for each eligible deal each month. Drawing one uniform per
 * month and deal dominated the run time, so each deal instead draws one uniform u when it
 * becomes eligible and receives notice in the first month t where the survival product
 * prod (1 - h(s)) over its eligible months falls to u or below. That event has exactly
 * the same law: given survival through t-1, it happens in month t with probability
 * 1 - (S(t) / S(t-1)) = h(t), independently across deals. The product is shared by all
 * deals (hz_surv); each deal stores u times the product before its first eligible month
 * (hz_at), so a month costs one multiply and one compare unless some deal gets notice.
 */

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "models/model.h"
#include "models/trace.h"
#include "sim/dist.h"
#include "sim/error.h"
#include "sim/normal.h"
#include "sim/pcg.h"

/* A month that never comes (a term to the end of the horizon and beyond). Half of INT_MAX
 * leaves room to add two such months without overflow. */
#define NEVER (1 << 29)
/* MODEL.md, Details: every comparison of GW allows 1e-9 GW, so that no result depends on
 * binary rounding or on the order of a sum. */
#define GW_EPS 1e-9
/* The most deal slots a scenario may need before cx_model_new refuses it. */
#define MAX_DEAL_SLOTS 1000000

const char *const cx_metric_names[CX_N_METRICS] = {
    "capex_burden",   "revenue_total",  "revenue_deals",     "revenue_taas",
    "revenue_iaas",   "revenue_recsys", "committed_cost",    "idle_gw_mean",
    "idle_gw_peak",   "msl_shortfall",  "oversold_gw_peak",  "msl_success",
    "deals_signed",   "deals_cancelled", "deals_clawed_back",
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

/* ------------------------------------------------------------------------------------ */
/* Compiled scenario                                                                      */

struct cx_model {
    const cx_scenario *sc;
    int horizon, quarters;
    /* A term left out of the config runs to the end of the horizon (MODEL.md, Details). */
    bool *tranche_term_default;
    bool *deal_term_default;
    bool spot_term_default;
    /* 1 / (month[k+1] - month[k]) of the MSL schedule: schedule months are fixed. */
    double *sched_inv_len;
    bool clawback[CX_N_USES];
    bool price_used;      /* the price affects some output: draw its shocks */
    double spot_gw_lower; /* smallest spot offer (> 0 when spot deals exist) */
    int deal_slots;       /* signed deals + the most spot deals that can be active */
};

/* Per-month arrays of a path in cx_scratch.mo, MO_N rows of h doubles: what the month loop
 * reads (price, capacity, demands) and what it leaves for the sums after it. */
enum {
    MO_LOGP, MO_PRICE, MO_CAP, MO_COST, MO_BPG,
    MO_DMSL, MO_DREC, MO_DTAAS, MO_L2REC, MO_AMSL, MO_AREC, MO_ATAAS,
    MO_IDLE, MO_RD, MO_IAAS, MO_N
};

struct cx_scratch {
    int cap;          /* deal slots */
    int h;            /* months */
    double *mo;       /* MO_N x h, see MO_LOGP */
    int n_tranches, n_signed;
    struct deal *deals;
    int *tr_on, *tr_off;       /* per tranche: online for tr_on <= t < tr_off */
    double *tr_gw, *tr_cost;   /* per tranche: gw, gw x cost per GW-year */
    int *sd_begin;             /* per signed deal: begin month, or NEVER */
    int *sd_start;             /* per signed deal: configured (rounded) start month */
    int *sd_term_end, *sd_notice;
};

/* One active deal. */
typedef struct deal {
    double gw;
    double price;       /* $B per GW-year */
    double rev_m;       /* gw x price / 12: revenue of one month, $B */
    int start;          /* month it began (clawback tie-break) */
    int end;            /* removed at the start of this month: min(term end, notice end) */
    int term_end;
    int notice_m;       /* notice months */
    int id;             /* trace id; also the last clawback tie-break */
    double hz_at;       /* survival threshold: buyer notice when the product <= hz_at */
    unsigned char cancellable, noticed;
} deal;

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
        double n_spot = floor((fmax(0.0, bound) + GW_EPS) / lo) + 1.0;
        if (n_spot + m->deal_slots > MAX_DEAL_SLOTS) {
            char d[256];
            snprintf(d, sizeof d,
                     "up to %.0f spot deals could be active at once (%g GW / smallest offer "
                     "%g GW), more than %d: raise the min clamp of the offer size",
                     n_spot, bound, lo, MAX_DEAL_SLOTS);
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

void cx_scratch_free(cx_scratch *s)
{
    if (s == NULL)
        return;
    free(s->deals);
    free(s->mo);
    free(s->tr_on);
    free(s->tr_off);
    free(s->tr_gw);
    free(s->tr_cost);
    free(s->sd_begin);
    free(s->sd_start);
    free(s->sd_term_end);
    free(s->sd_notice);
    free(s);
}

int cx_scratch_new(cx_scratch **out, const cx_model *m)
{
    *out = NULL;
    cx_scratch *s = calloc(1, sizeof *s);
    if (s == NULL)
        return CX_ERR_NOMEM;
    size_t nt = (size_t)m->sc->n_tranches + 1, nd = (size_t)m->sc->deals.n_signed + 1;
    s->cap = m->deal_slots;
    s->n_tranches = m->sc->n_tranches;
    s->n_signed = m->sc->deals.n_signed;
    s->deals = calloc((size_t)m->deal_slots + 1, sizeof(deal));
    s->h = m->horizon;
    s->mo = calloc((size_t)MO_N * (size_t)m->horizon, sizeof(double));
    s->tr_on = calloc(nt, sizeof(int));
    s->tr_off = calloc(nt, sizeof(int));
    s->tr_gw = calloc(nt, sizeof(double));
    s->tr_cost = calloc(nt, sizeof(double));
    s->sd_begin = calloc(nd, sizeof(int));
    s->sd_start = calloc(nd, sizeof(int));
    s->sd_term_end = calloc(nd, sizeof(int));
    s->sd_notice = calloc(nd, sizeof(int));
    if (!s->deals || !s->mo || !s->tr_on || !s->tr_off || !s->tr_gw || !s->tr_cost || !s->sd_begin ||
        !s->sd_start || !s->sd_term_end || !s->sd_notice) {
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

/* ------------------------------------------------------------------------------------ */
/* Path helpers                                                                           */

/* v when c holds, else +0.0, by masking its bits (pos_part without SSE2). */
static inline double keep_if(bool c, double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    b &= -(uint64_t)c;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* max(0, a) as MODEL.md's clamps write it: a when a > 0, else +0.0 (also for NaN and
 * -0.0). MAXSD returns its first operand when it is greater, else its second: exactly
 * this, in one instruction. */
static inline double pos_part(double a)
{
#if defined(__SSE2__)
    return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(a), _mm_setzero_pd()));
#else
    return keep_if(a > 0.0, a);
#endif
}

/* MODEL.md, Details: a random month-valued input rounds half away from zero. Infinite or
 * huge values become NEVER so that sums of months cannot overflow. */
static inline int month_of(double v)
{
    if (!(v < 1e8))
        return NEVER;
    if (v <= -1e8)
        return -NEVER;
    /* round() without the libm call: truncate toward zero, then step away from zero on a
     * fraction of at least one half (v - i is exact for |v| < 2^52). */
    int i = (int)v;
    double f = v - (double)i;
    /* comparisons as 0/1, not branches: the fraction is random per path */
    return i + (f >= 0.5) - (f <= -0.5);
}

/* A term in months from its input; a term left out of the config runs past the horizon
 * (MODEL.md: "default: to the horizon"; a sweep may still set it below the horizon). */
static inline int term_of(double v, bool is_default, int horizon)
{
    if (is_default && !(v < horizon))
        return NEVER;
    return month_of(v);
}

/* MODEL.md, Units and time: notice months = max(1, ceil(days / 30)). */
static inline int notice_months_of(double days)
{
    double mo = ceil(days / 30.0);
    if (!(mo < 1e8))
        return NEVER;
    return mo < 1.0 ? 1 : (int)mo;
}

static inline void trace_event(cx_trace *tr, int month, cx_trace_event_kind kind, const deal *d,
                               int n_signed, double amount)
{
    if (tr->n_events >= tr->cap_events) {
        tr->lost_events++;
        return;
    }
    cx_trace_event *e = &tr->events[tr->n_events++];
    e->month = month;
    e->kind = kind;
    e->deal = d->id;
    e->spot = d->id >= n_signed;
    e->gw = d->gw;
    e->price_per_gw_year = d->price;
    e->amount = amount;
    e->end_month = d->end;
}

/* Sums capacity and committed cost of the tranches online in month t, and returns the
 * next month (> t) in which the set of online tranches changes. */
static int capacity_at(const cx_scratch *s, int t, double *cap, double *cost_year)
{
    double c = 0.0, k = 0.0;
    int next = NEVER;
    for (int i = 0; i < s->n_tranches; i++) {
        int on = s->tr_on[i], off = s->tr_off[i];
        if (on <= t && t < off) {
            c += s->tr_gw[i];
            k += s->tr_cost[i];
            if (off < next)
                next = off;
        } else if (on > t && on < off && on < next) {
            next = on;
        }
    }
    *cap = c;
    *cost_year = k;
    return next;
}

/* Largest mean for which offers are counted by inversion (below); above it, GSL. */
#define POISSON_INVERSION_MAX 12.0

/* A Poisson(lambda) count by inversion of its CDF from one uniform, given
 * exp_neg = exp(-lambda): exact, and one uniform for the usual zero-or-one offer a month,
 * where gsl_ran_poisson costs ~100 instructions. Only for lambda <= POISSON_INVERSION_MAX. */
static inline int poisson_small(cx_pcg64 *g, double lambda, double exp_neg)
{
    double u = cx_pcg64_uniform(g);
    double p = exp_neg, cdf = exp_neg;
    int k = 0;
    /* the cap only guards against a CDF that rounding keeps below u: beyond 200 the
     * tail of Poisson(12) is far below 2^-53 */
    while (u >= cdf && k < 200) {
        k++;
        p *= lambda / k;
        cdf += p;
    }
    return k;
}

/* The owner gives notice on the cheapest deal not under notice (ties: earliest start, then
 * lowest id). Returns its slot, or -1 when no cancellable deal is left. */
static int cheapest_free(const deal *d, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (!d[i].cancellable || d[i].noticed)
            continue;
        if (best < 0 || d[i].price < d[best].price ||
            (d[i].price == d[best].price &&
             (d[i].start < d[best].start ||
              (d[i].start == d[best].start && d[i].id < d[best].id))))
            best = i;
    }
    return best;
}

/* ------------------------------------------------------------------------------------ */
/* One path                                                                               */

void cx_model_path(const cx_model *m, const double *x, gsl_rng *r, cx_scratch *s,
                   cx_path_result *out, cx_trace *tr)
{
    const cx_scenario *sc = m->sc;
    const int H = m->horizon;
    cx_pcg64 *g = cx_rng_pcg64(r);
    const int n_signed = sc->deals.n_signed;
    deal *const dl = s->deals;
    int nd = 0; /* active deals */

    /* ---- path-level draws and inputs (draws 1 to 3 of the header) ---- */
    /* MODEL.md, MSL: one success draw per path. */
    const bool msl_on = sc->msl.present;
    bool msl_ok = false;
    if (msl_on)
        msl_ok = cx_pcg64_uniform(g) < x[sc->msl.p_success];
    /* MODEL.md, TaaS: launch is one draw per path. */
    bool taas_on = false;
    if (sc->taas.present)
        taas_on = cx_pcg64_uniform(g) < x[sc->taas.p_launch];
    /* MODEL.md, Signed deals: p_signed drawn once per path, config order. */
    int next_sign = NEVER;
    for (int i = 0; i < n_signed; i++) {
        const cx_signed_deal *sd = &sc->deals.signed_deals[i];
        bool happens = cx_pcg64_uniform(g) < x[sd->p_signed];
        int start = month_of(x[sd->start_month]);
        int term = term_of(x[sd->term_months], m->deal_term_default[i], H);
        int term_end = start + term;
        /* A deal that started before month 0 is already running at month 0. */
        int begin = start < 0 ? 0 : start;
        if (!happens || begin >= H || term_end <= begin)
            begin = NEVER;
        s->sd_begin[i] = begin;
        s->sd_start[i] = start;
        s->sd_term_end[i] = term_end;
        s->sd_notice[i] = notice_months_of(x[sd->notice_days]);
        if (begin < next_sign)
            next_sign = begin;
    }

    /* Supply: MODEL.md, Supply. Online for start + delay <= t < start + delay + term. */
    for (int i = 0; i < sc->n_tranches; i++) {
        const cx_tranche *tc = &sc->tranches[i];
        int on = month_of(x[tc->start_month]) + month_of(x[tc->delay_months]);
        int term = term_of(x[tc->term_months], m->tranche_term_default[i], H);
        s->tr_on[i] = on;
        s->tr_off[i] = on + term;
        s->tr_gw[i] = x[tc->gw];
        s->tr_cost[i] = x[tc->gw] * x[tc->cost_per_gw_year];
    }

    /* MSL schedule and multiplier. */
    const int n_sched = msl_on ? sc->msl.n_sched : 0;
    const cx_sched_point *sched = sc->msl.sched;
    int msl_decision = msl_on ? month_of(x[sc->msl.decision_month]) : NEVER;
    double msl_mult = msl_on ? (msl_ok ? x[sc->msl.success_multiplier]
                                       : x[sc->msl.failure_multiplier])
                             : 1.0;

    /* RecSys: r(t) = b M^min(1, t/R), kept as a running product. */
    const bool rec_on = sc->recsys.present;
    double rec_b = 0, rec_full = 0, rec_step = 1, rec_l2_full = 0, rec_l2_step = 0,
           rec_k = 0, rec_d = 0, rec_ramp = 0;
    if (rec_on) {
        rec_b = x[sc->recsys.base_gw];
        double mult = x[sc->recsys.scale_multiple];
        rec_ramp = x[sc->recsys.ramp_months];
        rec_full = rec_b * mult;
        rec_l2_full = log2(mult);
        if (rec_ramp > 0.0) {
            rec_step = pow(mult, 1.0 / rec_ramp);
            rec_l2_step = rec_l2_full / rec_ramp;
            rec_d = rec_b; /* M^0 at t = 0 */
        } else {
            rec_d = rec_full;
        }
        /* uplift per month = ad_revenue_base / 12 x uplift_per_doubling x log2(a / b) */
        rec_k = x[sc->recsys.ad_revenue_base] / 12.0 * x[sc->recsys.uplift_per_doubling];
        if (!(rec_b > 0.0))
            rec_k = 0.0; /* base_gw must be > 0 (MODEL.md); earn nothing rather than NaN */
    }

    /* TaaS: target x min(1, (t - L) / ramp) from the launch month L. */
    int taas_launch = taas_on ? month_of(x[sc->taas.launch_month]) : NEVER;
    double taas_target = 0, taas_inv_ramp = 0, taas_rev = 0;
    bool taas_instant = true;
    if (taas_on) {
        taas_target = x[sc->taas.target_gw];
        double ramp = x[sc->taas.ramp_months];
        taas_instant = !(ramp > 0.0);
        taas_inv_ramp = taas_instant ? 0.0 : 1.0 / ramp;
        taas_rev = x[sc->taas.revenue_per_gw_year] / 12.0;
    }

    /* Market: log P(t) is the state (MODEL.md, Market price). All shocks are drawn here,
     * before the month loop (header, draw 4), and P(t) = exp(log P(t)) is taken for every
     * month in one tight loop when IaaS or spot deals use the level. */
    const double price0 = x[sc->market.price0];
    const bool price_pos = price0 > 0.0;
    const double logp0 = price_pos ? log(price0) : 0.0;
    const double vol = x[sc->market.vol];
    const double log_drift = (x[sc->market.drift] - 0.5 * vol * vol) / 12.0;
    const double log_sd = vol / sqrt(12.0);
    const bool price_moves = m->price_used && price_pos && (log_drift != 0.0 || log_sd != 0.0);
    double *const lp = s->mo + (size_t)MO_LOGP * s->h;
    double *const pr = s->mo + (size_t)MO_PRICE * s->h;
    const bool level_used = sc->iaas.enabled || sc->deals.spot.present || tr != NULL;
    {
        double logp = logp0;
        lp[0] = logp0;
        if (price_moves && log_sd != 0.0) {
            for (int t = 1; t < H; t++) {
                logp += log_drift;
                logp += log_sd * cx_normal(g);
                lp[t] = logp;
            }
        } else if (price_moves) {
            for (int t = 1; t < H; t++) {
                logp += log_drift;
                lp[t] = logp;
            }
        } else {
            for (int t = 1; t < H; t++)
                lp[t] = logp0;
        }
        if (level_used) {
            pr[0] = price0;
            if (price_moves)
                for (int t = 1; t < H; t++)
                    pr[t] = exp(lp[t]);
            else
                for (int t = 1; t < H; t++)
                    pr[t] = price0;
        }
    }

    /* Hazard: MODEL.md, Counterparty cancellation. */
    const double hz_base = x[sc->deals.hazard_base], hz_price = x[sc->deals.hazard_price];
    const bool hz_any = hz_base != 0.0 || hz_price != 0.0;
    /* Survival product of the months since it was last restarted, and the largest
     * threshold of a deal waiting on it (0: none waits). */
    double hz_surv = 1.0, hz_max = 0.0;

    /* Spot deals. */
    const bool spot_on = sc->deals.spot.present;
    int spot_start = NEVER, spot_term = NEVER, spot_notice = 1;
    double spot_lambda = 0, spot_max_ext = 0;
    const double spot_lo = m->spot_gw_lower;
    if (spot_on) {
        spot_start = month_of(x[sc->deals.spot.start_month]);
        if (spot_start < 0)
            spot_start = 0;
        spot_term = term_of(x[sc->deals.spot.term_months], !sc->inputs[sc->deals.spot.term_months].from_config, H);
        spot_notice = notice_months_of(x[sc->deals.spot.notice_days]);
        spot_lambda = x[sc->deals.spot.offers_per_month];
        spot_max_ext = x[sc->deals.spot.max_external_gw];
        if (!(spot_lambda > 0.0) || spot_term <= 0)
            spot_start = NEVER;
    }
    int spot_id = n_signed;
    const bool spot_small = spot_lambda <= POISSON_INVERSION_MAX;
    const double spot_exp_neg = spot_small ? exp(-spot_lambda) : 0.0;

    /* IaaS. */
    const bool iaas_on = sc->iaas.enabled;
    const double iaas_max = iaas_on ? x[sc->iaas.max_gw] : 0.0;
    const double iaas_k = iaas_on ? (1.0 - x[sc->iaas.discount]) / 12.0 : 0.0;

    /* ---- per-month inputs that no deal can change, one tight loop each ---- */
    /* Step 1: capacity and committed cost; they change only when a tranche comes online or
     * goes offline (next_cap). */
    double *const capm = s->mo + (size_t)MO_CAP * s->h;
    double *const costm = s->mo + (size_t)MO_COST * s->h;
    double *const bpg = s->mo + (size_t)MO_BPG * s->h;
    {
        double cap = 0, cost_year = 0, cost_m = 0, burden_per_gw = 0;
        int next_cap = 0;
        for (int t = 0; t < H; t++) {
            if (t == next_cap) {
                next_cap = capacity_at(s, t, &cap, &cost_year);
                cost_m = cost_year / 12.0;
                /* u(t) / 12 = Cost(t) / C(t): burden of one idle GW for the month */
                burden_per_gw = cap > 0.0 ? cost_m / cap : 0.0;
            }
            capm[t] = cap;
            costm[t] = cost_m;
            bpg[t] = burden_per_gw;
        }
    }

    /* Step 5's demands (MODEL.md, Demand), by use id. */
    double *const dem[CX_N_USES] = {s->mo + (size_t)MO_DMSL * s->h,
                                    s->mo + (size_t)MO_DREC * s->h,
                                    s->mo + (size_t)MO_DTAAS * s->h};
    double *const alc[CX_N_USES] = {s->mo + (size_t)MO_AMSL * s->h,
                                    s->mo + (size_t)MO_AREC * s->h,
                                    s->mo + (size_t)MO_ATAAS * s->h};
    double *const rec_l2m = s->mo + (size_t)MO_L2REC * s->h;
    /* MSL: base schedule m(t), flat outside its points, multiplier from the decision.
     * One loop per schedule segment (sched[seg].month <= t < sched[seg+1].month), then the
     * multiplier from the decision month on: the same operations per month as a per-month
     * search for the segment, without its branches. */
    {
        double *d = dem[CX_USE_MSL];
        int t = 0;
        if (n_sched > 0) {
            /* flat at the first point before it */
            const double g_first = x[sched[0].gw];
            for (int e = sched[0].month < H ? sched[0].month : H; t < e; t++)
                d[t] = g_first;
            for (int seg = 0; seg + 1 < n_sched && t < H; seg++) {
                const int m0 = sched[seg].month;
                const int e = sched[seg + 1].month < H ? sched[seg + 1].month : H;
                const double g0 = x[sched[seg].gw], g1 = x[sched[seg + 1].gw];
                const double inv_len = m->sched_inv_len[seg];
                for (; t < e; t++)
                    d[t] = g0 + (g1 - g0) * (double)(t - m0) * inv_len;
            }
            /* flat at the last point after it */
            const double g_last = x[sched[n_sched - 1].gw];
            for (; t < H; t++)
                d[t] = g_last;
            for (t = msl_decision > 0 ? msl_decision : 0; t < H; t++)
                d[t] *= msl_mult;
        } else {
            for (; t < H; t++)
                d[t] = 0.0;
        }
    }
    /* RecSys: the geometric ramp, and log2 of its multiple (the uplift when fully
     * allocated). One loop for the ramp's months and one for the full multiple after it,
     * the same operations per month as testing t < R in every month. */
    {
        double *d = dem[CX_USE_RECSYS];
        int t = 0;
        if (rec_on && rec_ramp > 0.0) {
            d[0] = rec_d; /* M^0 */
            rec_l2m[0] = (double)t * rec_l2_step;
            /* for whole t, t < R iff t < ceil(R): the test without a conversion a month */
            const int ramp_end = rec_ramp < (double)H ? (int)ceil(rec_ramp) : H;
            for (t = 1; t < ramp_end; t++) {
                rec_d *= rec_step;
                d[t] = rec_d;
                rec_l2m[t] = (double)t * rec_l2_step;
            }
            for (; t < H; t++) {
                d[t] = rec_full;
                rec_l2m[t] = rec_l2_full;
            }
        } else {
            /* no ramp: the full multiple (rec_d = rec_full) from month 0; no RecSys: 0 */
            const double l2 = rec_on ? rec_l2_full : 0.0;
            for (; t < H; t++) {
                d[t] = rec_d;
                rec_l2m[t] = l2;
            }
        }
    }
    /* TaaS: linear ramp from the launch month. 0 before it; then target x f while
     * f = (t - L) / ramp < 1 (f only grows with t), then the target. */
    {
        double *d = dem[CX_USE_TAAS];
        int t = 0;
        for (int e = taas_launch < 0 ? 0 : (taas_launch < H ? taas_launch : H); t < e; t++)
            d[t] = 0.0;
        if (!taas_instant) {
            for (; t < H; t++) {
                double f = (double)(t - taas_launch) * taas_inv_ramp;
                if (!(f < 1.0))
                    break;
                d[t] = taas_target * f;
            }
        }
        for (; t < H; t++)
            d[t] = taas_target;
    }

    /* Allocation order and clawback flags. */
    const double *dprio[CX_N_USES];
    double *aprio[CX_N_USES];
    for (int i = 0; i < CX_N_USES; i++) {
        dprio[i] = dem[sc->priority[i]];
        aprio[i] = alc[sc->priority[i]];
    }
    const double *claw_d[CX_N_USES], *claw_a[CX_N_USES];
    int n_claw = 0;
    for (int u = 0; u < CX_N_USES; u++)
        if (m->clawback[u]) {
            claw_d[n_claw] = dem[u];
            claw_a[n_claw++] = alc[u];
        }

    /* What the month loop leaves for the sums after it. */
    double *const idlem = s->mo + (size_t)MO_IDLE * s->h;
    double *const rdm = s->mo + (size_t)MO_RD * s->h;
    double *const iaasm = s->mo + (size_t)MO_IAAS * s->h;

    double oversold_peak = 0;
    int n_signed_count = 0, n_cancelled = 0, n_clawed = 0;
    int next_end = NEVER;
    double reserved = 0, deals_rev_m = 0;
    bool dirty = true;

    if (tr != NULL) {
        tr->months = H;
        tr->n_events = 0;
        tr->lost_events = 0;
    }

    for (int t = 0; t < H; t++) {
        /* Step 1: capacity, committed cost and price are in capm, costm, lp, pr. */

        /* Step 2: deals that end now leave (stable, so slots keep their begin order);
         * signed deals that start now begin. */
        if (t >= next_end) {
            int k = 0;
            next_end = NEVER;
            for (int i = 0; i < nd; i++) {
                if (dl[i].end <= t) {
                    if (tr != NULL)
                        trace_event(tr, t, CX_EV_END, &dl[i], n_signed, 0.0);
                    continue;
                }
                if (dl[i].end < next_end)
                    next_end = dl[i].end;
                dl[k++] = dl[i];
            }
            nd = k;
            dirty = true;
        }
        if (t == next_sign) {
            next_sign = NEVER;
            for (int i = 0; i < n_signed; i++) {
                int b = s->sd_begin[i];
                if (b == t && nd < s->cap) {
                    const cx_signed_deal *sd = &sc->deals.signed_deals[i];
                    deal *d = &dl[nd++];
                    d->gw = x[sd->gw];
                    d->price = x[sd->price_per_gw_year];
                    d->rev_m = d->gw * d->price / 12.0;
                    /* MODEL.md, Clawback ties: the configured start month (may be < 0) */
                    d->start = s->sd_start[i];
                    d->term_end = s->sd_term_end[i];
                    d->end = d->term_end;
                    d->notice_m = s->sd_notice[i];
                    d->id = i;
                    d->cancellable = sd->cancellable;
                    d->noticed = 0;
                    /* Buyer notice: survive each month with probability 1 - h(t), drawn
                     * once as a threshold on the survival product (header, draw 5). */
                    d->hz_at = 0.0;
                    if (hz_any && d->cancellable) {
                        d->hz_at = cx_pcg64_uniform_pos(g) * hz_surv;
                        if (d->hz_at > hz_max)
                            hz_max = d->hz_at;
                    }
                    if (d->end < next_end)
                        next_end = d->end;
                    /* MODEL.md, Details: signed deals that begin inside the horizon. */
                    if (s->sd_start[i] >= 0)
                        n_signed_count++;
                    dirty = true;
                    if (tr != NULL)
                        trace_event(tr, t, CX_EV_BEGIN, d, n_signed, 0.0);
                } else if (b > t && b < next_sign) {
                    next_sign = b;
                }
            }
        }

        /* Step 3: counterparty notices. A cancellable deal not under notice gets notice in
         * month t with probability h(t); drawn through its survival threshold (header). */
        if (hz_max > 0.0) {
            double fall = logp0 - lp[t]; /* ln(P(0) / P(t)) */
            fall = pos_part(fall);
            double h = hz_base + hz_price * fall; /* MODEL.md: clamped to [0, 1] */
            if (h >= 1.0) {
                hz_surv = 0.0; /* every eligible deal gets notice */
            } else if (h > 0.0) {
                hz_surv *= 1.0 - h;
            }
            if (hz_surv <= hz_max) {
                double new_max = 0.0;
                for (int i = 0; i < nd; i++) {
                    deal *d = &dl[i];
                    if (!d->cancellable || d->noticed)
                        continue;
                    if (hz_surv <= d->hz_at) {
                        int e = t + d->notice_m;
                        d->noticed = 1;
                        if (e < d->end)
                            d->end = e;
                        if (d->end < next_end)
                            next_end = d->end;
                        n_cancelled++;
                        if (tr != NULL)
                            trace_event(tr, t, CX_EV_NOTICE_BUYER, d, n_signed, 0.0);
                    } else if (d->hz_at > new_max) {
                        new_max = d->hz_at;
                    }
                }
                hz_max = new_max;
            }
            if (hz_max == 0.0) {
                hz_surv = 1.0; /* no deal waits on the product: start it afresh */
            } else if (hz_surv < 0x1p-900) {
                /* keep the product away from underflow; thresholds scale with it */
                hz_surv *= 0x1p900;
                for (int i = 0; i < nd; i++)
                    dl[i].hz_at *= 0x1p900;
                hz_max *= 0x1p900;
            }
        }

        /* Step 4: reserved and available capacity. */
        if (dirty) {
            double dsum = 0.0, rsum = 0.0;
            for (int i = 0; i < nd; i++) {
                dsum += dl[i].gw;
                rsum += dl[i].rev_m;
            }
            reserved = dsum;
            deals_rev_m = rsum;
            dirty = false;
        }
        double avail = capm[t] - reserved;
        double oversold = 0.0;
        if (!(avail > 0.0)) {
            /* MODEL.md, Details: D(t) > C(t) beyond the 1e-9 GW tolerance */
            oversold = -avail > GW_EPS ? -avail : 0.0;
            avail = 0.0;
        }
        if (oversold > oversold_peak)
            oversold_peak = oversold;

        /* Step 5: internal uses, in priority order. */
        double left = avail;
        for (int k = 0; k < CX_N_USES; k++) {
            double dk = dprio[k][t];
            double a = dk < left ? dk : left;
            a = pos_part(a); /* if (!(a > 0)) a = 0, without a branch */
            aprio[k][t] = a;
            left -= a;
        }
        left = pos_part(left);

        /* Step 6: clawback notices for the shortfall of clawback uses. */
        double claw_short = 0.0;
        if (n_claw > 0) {
            for (int k = 0; k < n_claw; k++)
                claw_short += claw_d[k][t] - claw_a[k][t];
            /* MODEL.md, Details: a shortfall counts only beyond 1e-9 GW, and is covered
             * once the GW under notice reaches it less 1e-9 */
            if (claw_short > GW_EPS && nd > 0) {
                double covered = 0.0;
                for (int i = 0; i < nd; i++)
                    if (dl[i].noticed)
                        covered += dl[i].gw;
                while (covered < claw_short - GW_EPS) {
                    int i = cheapest_free(dl, nd);
                    if (i < 0)
                        break;
                    deal *d = &dl[i];
                    int e = t + d->notice_m;
                    d->noticed = 2;
                    if (e < d->end)
                        d->end = e;
                    if (d->end < next_end)
                        next_end = d->end;
                    covered += d->gw;
                    n_clawed++;
                    if (tr != NULL)
                        trace_event(tr, t, CX_EV_NOTICE_OWNER, d, n_signed, 0.0);
                }
            }
        }

        /* Step 7: spot offers against what is left after step 5. */
        double spot_gw = 0.0, spot_rev = 0.0;
        int offers = 0, signed_now = 0;
        /* the same tests as for an offer of the smallest size (MODEL.md, Details) */
        if (t >= spot_start && spot_lo <= left + GW_EPS &&
            reserved + spot_lo <= spot_max_ext + GW_EPS) {
            offers = spot_small ? poisson_small(g, spot_lambda, spot_exp_neg)
                                : (int)gsl_ran_poisson(r, spot_lambda);
            double ext = reserved;
            for (int k = 0; k < offers; k++) {
                double ogw = cx_dist_sample_inline(&sc->deals.spot.gw, r);
                /* MODEL.md, Details: fits when gw <= left + 1e-9 and the cap holds when
                 * ext + gw <= max + 1e-9; offers of gw <= 0 are rejected */
                if (!(ogw > 0.0) || !(ogw <= left + GW_EPS) ||
                    !(ext + ogw <= spot_max_ext + GW_EPS) || nd >= s->cap)
                    continue;
                double prem = cx_dist_sample_inline(&sc->deals.spot.premium, r);
                deal *d = &dl[nd++];
                d->gw = ogw;
                d->price = pr[t] * prem;
                d->rev_m = d->gw * d->price / 12.0;
                d->start = t;
                d->term_end = t + spot_term;
                d->end = d->term_end;
                d->notice_m = spot_notice;
                d->id = spot_id++;
                d->cancellable = 1;
                d->noticed = 0;
                /* first counterparty month is t + 1: the product already holds month t */
                d->hz_at = 0.0;
                if (hz_any) {
                    d->hz_at = cx_pcg64_uniform_pos(g) * hz_surv;
                    if (d->hz_at > hz_max)
                        hz_max = d->hz_at;
                }
                if (d->end < next_end)
                    next_end = d->end;
                left -= ogw;
                ext += ogw;
                spot_gw += ogw;
                spot_rev += d->rev_m; /* earns from month t */
                signed_now++;
                if (tr != NULL)
                    trace_event(tr, t, CX_EV_BEGIN, d, n_signed, 0.0);
            }
            if (signed_now > 0) {
                n_signed_count += signed_now;
                dirty = true;
            }
            left = pos_part(left);
        }

        /* Step 8: IaaS resale of what is left. */
        double iaas_gw = 0.0, iaas_rev = 0.0;
        if (iaas_on && left > 0.0) {
            iaas_gw = pos_part(left < iaas_max ? left : iaas_max);
            iaas_rev = iaas_gw * pr[t] * iaas_k;
            left = pos_part(left - iaas_gw);
        }

        /* Step 9: idle (burden and the sums follow the loop). */
        idlem[t] = left;
        rdm[t] = deals_rev_m + spot_rev;
        iaasm[t] = iaas_rev;

        if (tr != NULL) {
            cx_trace_month *tm = &tr->month[t];
            tm->reserved_gw = reserved;
            tm->reserved_end_gw = reserved + spot_gw;
            tm->available_gw = avail;
            tm->oversold_gw = oversold;
            tm->clawback_short_gw = claw_short;
            tm->spot_gw = spot_gw;
            tm->iaas_gw = iaas_gw;
            tm->n_active = nd;
            tm->spot_offers = offers;
            tm->spot_signed = signed_now;
            for (int i = 0; i < nd; i++)
                trace_event(tr, t, CX_EV_EARN, &dl[i], n_signed, dl[i].rev_m);
        }
    }

    /* ---- the month's burden and revenue, and the path's sums, in month order ---- */
    double burden = 0, rev_deals = 0, rev_taas = 0, rev_iaas = 0, rev_recsys = 0, cost = 0;
    double idle_sum = 0, idle_peak = 0, msl_short = 0;
    double q_idle = 0, q_rev = 0;
    int q = 0, q_len = 0;
    const double *const a_msl = alc[CX_USE_MSL], *const a_rec = alc[CX_USE_RECSYS],
                        *const a_taas = alc[CX_USE_TAAS], *const d_msl = dem[CX_USE_MSL],
                        *const d_rec = dem[CX_USE_RECSYS];
    for (int t = 0; t < H; t++) {
        double idle = idlem[t];
        double burden_t = idle * bpg[t]; /* MODEL.md, one month, step 9 */
        double rd = rdm[t];
        double rt = a_taas[t] * taas_rev;
        double rr = 0.0;
        double ar = a_rec[t];
        if (rec_k != 0.0 && ar > 0.0) {
            /* log2 of the allocation over the base; the ramp's own log2 when fully met */
            double l2 = ar == d_rec[t] ? rec_l2m[t] : log2(ar / rec_b);
            if (l2 > 0.0) /* log2(max(1, a / b)) */
                rr = rec_k * l2;
        }
        double ri = iaasm[t];
        double rev_m = rd + rt + ri + rr;

        burden += burden_t;
        cost += costm[t];
        rev_deals += rd;
        rev_taas += rt;
        rev_iaas += ri;
        rev_recsys += rr;
        idle_sum += idle;
        if (idle > idle_peak)
            idle_peak = idle;
        msl_short += d_msl[t] - a_msl[t];

        /* Quarterly series: months 3q .. 3q+2. */
        q_idle += idle;
        q_rev += rev_m;
        q_len++;
        if (q_len == 3 || t == H - 1) {
            out->quarter[CX_Q_IDLE_GW_MEAN][q] = q_idle / q_len;
            out->quarter[CX_Q_REVENUE][q] = q_rev;
            out->quarter[CX_Q_BURDEN_CUMULATIVE][q] = burden;
            q++;
            q_idle = 0.0;
            q_rev = 0.0;
            q_len = 0;
        }

        if (tr != NULL) {
            cx_trace_month *tm = &tr->month[t];
            double cap = capm[t];
            tm->capacity_gw = cap;
            tm->cost_b = costm[t];
            tm->unit_cost = cap > 0.0 ? costm[t] * 12.0 / cap : 0.0;
            tm->price = pr[t];
            for (int u = 0; u < CX_N_USES; u++) {
                tm->demand_gw[u] = dem[u][t];
                tm->alloc_gw[u] = alc[u][t];
            }
            tm->idle_gw = idle;
            tm->burden_b = burden_t;
            tm->rev_deals_b = rd;
            tm->rev_taas_b = rt;
            tm->rev_iaas_b = ri;
            tm->rev_recsys_b = rr;
            tm->rev_total_b = rev_m;
            tm->taas_launched = taas_on;
        }
    }

    double *mt = out->metric;
    mt[CX_M_CAPEX_BURDEN] = burden;
    mt[CX_M_REVENUE_DEALS] = rev_deals;
    mt[CX_M_REVENUE_TAAS] = rev_taas;
    mt[CX_M_REVENUE_IAAS] = rev_iaas;
    mt[CX_M_REVENUE_RECSYS] = rev_recsys;
    mt[CX_M_REVENUE_TOTAL] = rev_deals + rev_taas + rev_iaas + rev_recsys;
    mt[CX_M_COMMITTED_COST] = cost;
    mt[CX_M_IDLE_GW_MEAN] = idle_sum / H;
    mt[CX_M_IDLE_GW_PEAK] = idle_peak;
    mt[CX_M_MSL_SHORTFALL] = msl_short / 12.0;
    mt[CX_M_OVERSOLD_GW_PEAK] = oversold_peak;
    /* MODEL.md: 0/1; a scenario without MSL has no frontier success to report. */
    mt[CX_M_MSL_SUCCESS] = msl_ok ? 1.0 : 0.0;
    mt[CX_M_DEALS_SIGNED] = n_signed_count;
    mt[CX_M_DEALS_CANCELLED] = n_cancelled;
    mt[CX_M_DEALS_CLAWED_BACK] = n_clawed;
}
