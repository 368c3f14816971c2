/* SPDX-License-Identifier: MIT */
/* Market: the price of compute P(t) and the buyers' cancellation hazard (MODEL.md, Market
 * price; Counterparty cancellation). */

/*
 * P(0) = price0; each month P(t) = P(t-1) exp((mu - sigma^2/2)/12 + sigma Z_t / sqrt(12)).
 * The state is log P(t); the price kernel (models/lanes_tmpl.c) adds the month's drift and
 * shock across lanes and takes exp (the project's cx_exp, the same bits on every SIMD path)
 * where the level is used. A lane whose price cannot move (no drift and no volatility, or
 * a price that does not matter to the scenario) keeps P(t) = price0 exactly.
 *
 * The hazard h(t) = min(1, base + price_term x max(0, ln(P(0) / P(t)))) is applied in
 * models/deals.c: buyers walk away more as the price falls.
 */

#include <math.h>

#include "models/lanes.h"

void cx_market_setup(cx_scratch *s, int l, const double *x)
{
    const cx_model *m = s->m;
    const cx_scenario *sc = m->sc;
    const double price0 = x[sc->market.price0];
    const bool price_pos = price0 > 0.0;
    const double vol = x[sc->market.vol];
    const double drift_m = (x[sc->market.drift] - 0.5 * vol * vol) / 12.0;
    const double sd_m = vol / sqrt(12.0);
    const bool moves = m->price_used && price_pos && (drift_m != 0.0 || sd_m != 0.0);
    s->price0[l] = price0;
    s->logp0[l] = price_pos ? log(price0) : 0.0;
    s->logp[l] = s->logp0[l];
    s->price[l] = price0;
    s->moves[l] = moves ? ~0ULL : 0;
    /* a lane that does not move adds +0.0 each month: log P stays log P(0) */
    s->drift_m[l] = moves ? drift_m : 0.0;
    s->sd_m[l] = moves ? sd_m : 0.0;
    s->hz_base[l] = x[sc->deals.hazard_base];
    s->hz_price[l] = x[sc->deals.hazard_price];
    s->hz_surv[l] = 1.0;
    s->hz_max[l] = 0.0;
}
