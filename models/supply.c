/* SPDX-License-Identifier: MIT */
/* Supply: capacity tranches, when each is online, what it costs (MODEL.md, Supply). */

/*
 * A tranche is online for start + delay <= t < start + delay + term, rounded months, and its
 * committed cost is paid every month it is online, used or not. A start before month 0 is a
 * contract already running (MODEL.md, Details); a term left out runs to the horizon. Here a
 * path's months and amounts are set once; the capacity C(t), cost Cost(t) and the burden of
 * one idle GW-month Cost(t) / C(t) change only in months where a tranche comes online or
 * goes offline, so they are summed again (tranches in config order) only then.
 */

#include "models/lanes.h"

void cx_supply_setup(cx_scratch *s, int l, const double *x)
{
    const cx_model *m = s->m;
    const cx_scenario *sc = m->sc;
    for (int i = 0; i < s->n_tr; i++) {
        const cx_tranche *tc = &sc->tranches[i];
        int on = cx_month_of(x[tc->start_month]) + cx_month_of(x[tc->delay_months]);
        int term = cx_term_of(x[tc->term_months], m->tranche_term_default[i], m->horizon);
        size_t k = (size_t)i * CX_LANES + (size_t)l;
        s->tr_on[k] = on;
        s->tr_off[k] = on + term;
        s->tr_gw[k] = x[tc->gw];
        s->tr_cost[k] = x[tc->gw] * x[tc->cost_per_gw_year];
    }
    s->next_cap[l] = 0;
}

void cx_supply_at(cx_scratch *s, int l, int t)
{
    double cap = 0.0, cost_year = 0.0;
    int next = CX_NEVER;
    for (int i = 0; i < s->n_tr; i++) {
        size_t k = (size_t)i * CX_LANES + (size_t)l;
        int on = s->tr_on[k], off = s->tr_off[k];
        if (on <= t && t < off) {
            cap += s->tr_gw[k];
            cost_year += s->tr_cost[k];
            if (off < next)
                next = off;
        } else if (on > t && on < off && on < next) {
            next = on;
        }
    }
    double cost_m = cost_year / 12.0;
    s->cap[l] = cap;
    s->cost_m[l] = cost_m;
    /* u(t) / 12 = Cost(t) / C(t): the burden of one idle GW for the month */
    s->bpg[l] = cap > 0.0 ? cost_m / cap : 0.0;
    s->next_cap[l] = next;
}
