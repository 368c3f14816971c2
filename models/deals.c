/* SPDX-License-Identifier: MIT */
/* Deals: signed and spot deals, buyers' notices and the owner's clawback, per lane
 * (MODEL.md, External deals; one month, steps 2, 3, 4, 6 and 7). */

/*
 * A lane keeps its active deals in its own slots, in the order they began (removal is a
 * stable compaction), so the sums over deals are always in the same order. Everything here
 * runs for one lane at a time and only when that lane has something to do: the month loop
 * (models/month.c) tests cheap per-lane conditions (a deal ends or begins this month, the
 * survival product fell to a deal's threshold, a clawback use is short, an offer could fit)
 * and calls in for the lanes where one holds.
 *
 * Buyer notices (MODEL.md, Counterparty cancellation) are an independent Bernoulli draw
 * with probability h(t) for each eligible deal each month. Drawing one uniform per month
 * and deal would dominate the run time, so each deal instead draws one uniform u when it
 * becomes eligible and receives notice in the first month t where the survival product
 * prod (1 - h(s)) over its eligible months falls to u or below. That event has exactly the
 * same law: given survival through t-1, it happens in month t with probability
 * 1 - S(t) / S(t-1) = h(t), independently across deals. The product is shared by a lane's
 * deals (hz_surv); each deal stores u times the product before its first eligible month
 * (hz_at), so a month costs one multiply and one compare unless some deal gets notice.
 *
 * Spot offers: Poisson(offers_per_month) a month, by inversion of its CDF from one uniform
 * when the mean is <= 12 (one uniform for the usual zero-or-one offer), else GSL's sampler;
 * offers are only drawn when the smallest possible offer could still be signed (otherwise
 * every offer would be rejected, so the results are the same without the draws).
 */

#include <math.h>
#include <stddef.h>

#include <gsl/gsl_randist.h>

#include "models/lanes.h"
#include "models/trace.h"
#include "sim/input/dist.h"
#include "sim/rng/pcg.h"


static inline cx_deal *lane_deals(const cx_scratch *s, int l)
{
    return s->deals + (size_t)l * (size_t)s->slots;
}

static inline size_t sd_at(int i, int l)
{
    return (size_t)i * CX_LANES + (size_t)l;
}

/* MODEL.md, Units and time: notice months = max(1, ceil(days / 30)). */
static inline int notice_months_of(double days)
{
    double mo = ceil(days / 30.0);
    if (!(mo < 1e8))
        return CX_NEVER;
    return mo < 1.0 ? 1 : (int)mo;
}

static void trace_event(cx_trace *tr, int month, cx_trace_event_kind kind, const cx_deal *d,
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

void cx_deals_setup(cx_scratch *s, int l, const double *x)
{
    const cx_model *m = s->m;
    const cx_scenario *sc = m->sc;
    const int H = m->horizon;
    int next_sign = CX_NEVER;
    for (int i = 0; i < s->n_signed; i++) {
        const cx_signed_deal *sd = &sc->deals.signed_deals[i];
        /* MODEL.md, Signed deals: happens with probability p_signed, once per path; the
         * uniform is the input deals.signed.NAME.happens */
        bool happens = x[sd->happens] < x[sd->p_signed];
        int start = cx_month_of(x[sd->start_month]);
        int term = cx_term_of(x[sd->term_months], m->deal_term_default[i], H);
        int term_end = start + term;
        /* MODEL.md, Details: a deal that started before month 0 runs from month 0 if its
         * term, counted from its start, has not ended. */
        int begin = start < 0 ? 0 : start;
        if (!happens || begin >= H || term_end <= begin)
            begin = CX_NEVER;
        s->sd_begin[sd_at(i, l)] = begin;
        s->sd_start[sd_at(i, l)] = start;
        s->sd_term_end[sd_at(i, l)] = term_end;
        s->sd_notice[sd_at(i, l)] = notice_months_of(x[sd->notice_days]);
        if (begin < next_sign)
            next_sign = begin;
    }
    s->next_sign[l] = next_sign;
    s->next_end[l] = CX_NEVER;
    s->nd[l] = 0;
    s->n_summed[l] = 0;
    s->reserved[l] = 0.0;
    s->deals_rev_m[l] = 0.0;
    s->spot_id[l] = s->n_signed;

    /* Spot deals. */
    s->spot_start[l] = CX_NEVER;
    s->spot_term[l] = CX_NEVER;
    s->spot_notice[l] = 1;
    s->spot_lambda[l] = 0.0;
    s->spot_exp_neg[l] = 1.0;
    s->spot_max_ext[l] = 0.0;
    if (sc->deals.spot.present) {
        const cx_spot *sp = &sc->deals.spot;
        int start = cx_month_of(x[sp->start_month]);
        int term = cx_term_of(x[sp->term_months], m->spot_term_default, H);
        double lambda = x[sp->offers_per_month];
        s->spot_start[l] = start < 0 ? 0 : start;
        s->spot_term[l] = term;
        s->spot_notice[l] = notice_months_of(x[sp->notice_days]);
        s->spot_lambda[l] = lambda;
        s->spot_exp_neg[l] = lambda <= CX_POISSON_INVERSION_MAX ? exp(-lambda) : 0.0;
        s->spot_max_ext[l] = x[sp->max_external_gw];
        if (!(lambda > 0.0) || term <= 0)
            s->spot_start[l] = CX_NEVER;
    }

    /* IaaS. */
    s->iaas_max[l] = sc->iaas.enabled ? x[sc->iaas.max_gw] : 0.0;
    s->iaas_k[l] = sc->iaas.enabled ? (1.0 - x[sc->iaas.discount]) / 12.0 : 0.0;
}

/* A new deal's buyer-notice threshold (header), drawn when it becomes eligible. */
static void arm_hazard(cx_scratch *s, int l, cx_deal *d, cx_pcg32 *g)
{
    d->hz_at = 0.0;
    if (d->cancellable && (s->hz_base[l] != 0.0 || s->hz_price[l] != 0.0)) {
        d->hz_at = cx_pcg32_uniform_pos(g) * s->hz_surv[l];
        /* the larger, as a max rather than a branch (it is taken about half the time) */
        s->hz_max[l] = d->hz_at > s->hz_max[l] ? d->hz_at : s->hz_max[l];
    }
}

void cx_deals_end(cx_scratch *s, int l, int t, cx_trace *tr)
{
    cx_deal *dl = lane_deals(s, l);
    const int nd = s->nd[l];
    int k = 0, next_end = CX_NEVER;
    double gw = 0.0, rev = 0.0; /* step 4's sums over the deals that stay, in slot order */
    for (int i = 0; i < nd; i++) {
        if (dl[i].end <= t) {
            if (tr != NULL)
                trace_event(tr, t, CX_EV_END, &dl[i], s->n_signed, 0.0);
            continue;
        }
        if (dl[i].end < next_end)
            next_end = dl[i].end;
        gw += dl[i].gw;
        rev += dl[i].rev_m;
        dl[k++] = dl[i];
    }
    s->nd[l] = k;
    s->next_end[l] = next_end;
    s->reserved[l] = gw;
    s->deals_rev_m[l] = rev;
    s->n_summed[l] = k;
}

void cx_deals_begin(cx_scratch *s, int l, const double *x, int t, cx_trace *tr)
{
    const cx_scenario *sc = s->m->sc;
    cx_deal *dl = lane_deals(s, l);
    int nd = s->nd[l];
    cx_pcg32 g = cx_lane_events_stream(s, l);
    int next_sign = CX_NEVER;
    for (int i = 0; i < s->n_signed; i++) {
        int b = s->sd_begin[sd_at(i, l)];
        if (b == t && nd < s->slots) {
            const cx_signed_deal *sd = &sc->deals.signed_deals[i];
            cx_deal *d = &dl[nd++];
            d->gw = x[sd->gw];
            d->price = x[sd->price_per_gw_year];
            d->rev_m = d->gw * d->price / 12.0;
            /* MODEL.md, Clawback ties: the configured start month (may be < 0) */
            d->start = s->sd_start[sd_at(i, l)];
            d->term_end = s->sd_term_end[sd_at(i, l)];
            d->end = d->term_end;
            d->notice_m = s->sd_notice[sd_at(i, l)];
            d->id = i;
            d->cancellable = sd->cancellable;
            d->noticed = 0;
            /* may get notice in the month it begins (header, draw 5) */
            arm_hazard(s, l, d, &g);
            if (d->end < s->next_end[l])
                s->next_end[l] = d->end;
            /* MODEL.md, Details: signed deals that begin inside the horizon */
            if (d->start >= 0)
                s->n_signed_count[l]++;
            if (tr != NULL)
                trace_event(tr, t, CX_EV_BEGIN, d, s->n_signed, 0.0);
        } else if (b > t && b < next_sign) {
            next_sign = b;
        }
    }
    s->next_sign[l] = next_sign;
    s->est[l] = g.state;
    s->nd[l] = nd;
}

void cx_deals_buyer_notices(cx_scratch *s, int l, int t, double surv, cx_trace *tr)
{
    cx_deal *dl = lane_deals(s, l);
    double hz_max = s->hz_max[l];
    if (surv <= hz_max) {
        double new_max = 0.0;
        for (int i = 0; i < s->nd[l]; i++) {
            cx_deal *d = &dl[i];
            if (!d->cancellable || d->noticed)
                continue;
            if (surv <= d->hz_at) {
                int e = t + d->notice_m;
                d->noticed = 1;
                if (e < d->end)
                    d->end = e;
                if (d->end < s->next_end[l])
                    s->next_end[l] = d->end;
                s->n_cancelled[l]++;
                if (tr != NULL)
                    trace_event(tr, t, CX_EV_NOTICE_BUYER, d, s->n_signed, 0.0);
            } else if (d->hz_at > new_max) {
                new_max = d->hz_at;
            }
        }
        hz_max = new_max;
    }
    if (hz_max == 0.0) {
        surv = 1.0; /* no deal waits on the product: start it afresh */
    } else if (surv < 0x1p-900) {
        /* keep the product away from underflow; thresholds scale with it */
        surv *= 0x1p900;
        for (int i = 0; i < s->nd[l]; i++)
            dl[i].hz_at *= 0x1p900;
        hz_max *= 0x1p900;
    }
    s->hz_surv[l] = surv;
    s->hz_max[l] = hz_max;
}

/* Step 4's sums over the lane's deals in slot order. reserved and deals_rev_m always hold
 * the sums over the first n_summed slots (cx_deals_end sums the deals that stay as it
 * moves them); deals are only added after those, and a deal's gw and rev_m never change:
 * so going on from the kept sums gives the same bits as summing from the first slot, in a
 * loop over the few new deals only. */
void cx_deals_reserve(cx_scratch *s, int l)
{
    const cx_deal *dl = lane_deals(s, l);
    int i = s->n_summed[l];
    double gw = i > 0 ? s->reserved[l] : 0.0, rev = i > 0 ? s->deals_rev_m[l] : 0.0;
    for (; i < s->nd[l]; i++) {
        gw += dl[i].gw;
        rev += dl[i].rev_m;
    }
    s->reserved[l] = gw;
    s->deals_rev_m[l] = rev;
    s->n_summed[l] = s->nd[l];
}

/* The owner gives notice on the cheapest deal not under notice (MODEL.md, Clawback ties:
 * earliest start, then lowest id: signed deals in config order before spot deals in signing
 * order). Returns its slot, or -1 when no cancellable deal is left. */
static int cheapest_free(const cx_deal *d, int n)
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

void cx_deals_clawback(cx_scratch *s, int l, int t, cx_trace *tr)
{
    cx_deal *dl = lane_deals(s, l);
    const int nd = s->nd[l];
    const double short_gw = s->claw_short[l];
    /* MODEL.md, Details: covered once the GW under notice reaches the shortfall less 1e-9 */
    double covered = 0.0;
    for (int i = 0; i < nd; i++)
        if (dl[i].noticed)
            covered += dl[i].gw;
    while (covered < short_gw - CX_GW_EPS) {
        int i = cheapest_free(dl, nd);
        if (i < 0)
            break;
        cx_deal *d = &dl[i];
        int e = t + d->notice_m;
        d->noticed = 2;
        if (e < d->end)
            d->end = e;
        if (d->end < s->next_end[l])
            s->next_end[l] = d->end;
        covered += d->gw;
        s->n_clawed[l]++;
        if (tr != NULL)
            trace_event(tr, t, CX_EV_NOTICE_OWNER, d, s->n_signed, 0.0);
    }
}

/* A Poisson(lambda) count by inversion of its CDF at the uniform u, given
 * exp_neg = exp(-lambda). Only for lambda <= CX_POISSON_INVERSION_MAX. */
static int poisson_small(double u, double lambda, double exp_neg)
{
    double p = exp_neg, cdf = exp_neg;
    int k = 0;
    /* the cap only guards against a CDF that rounding keeps below u: beyond 200 the tail
     * of Poisson(12) is far below 2^-53 */
    while (u >= cdf && k < 200) {
        k++;
        p *= lambda / k;
        cdf += p;
    }
    return k;
}

/* One per-offer draw of d (size or premium) from lane stream g: inline for the families
 * that take one uniform, else GSL's sampler on the lane's stream. */
static double offer_draw(cx_scratch *s, const cx_dist *d, cx_pcg32 *g)
{
    double v;
    if (cx_dist_from_uniform_inline(d, g, &v))
        return v;
    *(cx_pcg32 *)s->r->state = *g;
    v = cx_dist_sample(d, s->r);
    *g = *(cx_pcg32 *)s->r->state;
    return v;
}

void cx_deals_spot(cx_scratch *s, int l, int t, double u, cx_trace *tr)
{
    const cx_scenario *sc = s->m->sc;
    cx_deal *dl = lane_deals(s, l);
    cx_pcg32 g = cx_lane_events_stream(s, l);
    const double lambda = s->spot_lambda[l], max_ext = s->spot_max_ext[l];
    int offers;
    if (lambda <= CX_POISSON_INVERSION_MAX) {
        offers = poisson_small(u, lambda, s->spot_exp_neg[l]);
    } else {
        *(cx_pcg32 *)s->r->state = g;
        offers = (int)gsl_ran_poisson(s->r, lambda);
        g = *(cx_pcg32 *)s->r->state;
    }
    double left = s->left[l], ext = s->reserved[l], spot_gw = 0.0, spot_rev = 0.0;
    int nd = s->nd[l], signed_now = 0;
    for (int k = 0; k < offers; k++) {
        double ogw = offer_draw(s, &sc->deals.spot.gw, &g);
        /* MODEL.md, Details: fits when gw <= left + 1e-9 and the cap holds when
         * ext + gw <= max + 1e-9; offers of gw <= 0 are rejected */
        if (!(ogw > 0.0) || !(ogw <= left + CX_GW_EPS) || !(ext + ogw <= max_ext + CX_GW_EPS) ||
            nd >= s->slots)
            continue;
        double prem = offer_draw(s, &sc->deals.spot.premium, &g);
        cx_deal *d = &dl[nd++];
        d->gw = ogw;
        d->price = s->price[l] * prem;
        d->rev_m = d->gw * d->price / 12.0;
        d->start = t;
        d->term_end = t + s->spot_term[l];
        d->end = d->term_end;
        d->notice_m = s->spot_notice[l];
        d->id = s->spot_id[l]++;
        d->cancellable = 1;
        d->noticed = 0;
        /* first counterparty month is t + 1: the product already holds month t */
        arm_hazard(s, l, d, &g);
        if (d->end < s->next_end[l])
            s->next_end[l] = d->end;
        left -= ogw;
        ext += ogw;
        spot_gw += ogw;
        spot_rev += d->rev_m; /* earns from month t */
        signed_now++;
        if (tr != NULL)
            trace_event(tr, t, CX_EV_BEGIN, d, s->n_signed, 0.0);
    }
    s->n_signed_count[l] += signed_now;
    s->nd[l] = nd;
    s->left[l] = cx_pos(left);
    s->spot_gw[l] = spot_gw;
    s->spot_rev[l] = spot_rev;
    s->est[l] = g.state;
    if (tr != NULL) {
        tr->month[t].spot_offers = offers;
        tr->month[t].spot_signed = signed_now;
    }
}

void cx_deals_trace_earn(const cx_scratch *s, int l, int t, cx_trace *tr)
{
    const cx_deal *dl = lane_deals(s, l);
    for (int i = 0; i < s->nd[l]; i++)
        trace_event(tr, t, CX_EV_EARN, &dl[i], s->n_signed, dl[i].rev_m);
}
