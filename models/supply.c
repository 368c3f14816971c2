/* SPDX-License-Identifier: MIT */
/* Supply: capacity tranches, when each is online, what it costs (MODEL.md, Supply). */

/*
 * A tranche is online for start + delay <= t < start + delay + term, rounded months, and its
 * committed cost is paid every month it is online, used or not. A start before month 0 is a
 * contract already running (MODEL.md, Details); a term left out runs to the horizon. Here a
 * path's months and amounts are set once, per tranche across lanes; each month the
 * capacity C(t), the cost Cost(t) and the burden of one idle GW-month Cost(t) / C(t) are
 * summed over the online tranches in config order, for all lanes at once (the kernel
 * `supply` in models/lanes_tmpl.c).
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
        s->tr_on[k] = (double)on;
        s->tr_off[k] = (double)on + (double)term;
        s->tr_gw[k] = x[tc->gw];
        s->tr_cost[k] = x[tc->gw] * x[tc->cost_per_gw_year];
    }
}
