/* SPDX-License-Identifier: MIT */
/* Supply: capacity tranches, when each is online, what it costs (MODEL.md, Supply). */

/*
 * A tranche is online for start + delay <= t < start + delay + term, rounded months, and its
 * committed cost is paid every month it is online, used or not. A start before month 0 is a
 * contract already running (MODEL.md, Details); a term left out runs to the horizon. Here a
 * path's months and amounts are set once, per tranche across lanes; each month the
 * capacity C(t), the cost Cost(t) and the burden of one idle GW-month Cost(t) / C(t) are
 * summed over the online tranches in config order, for all lanes at once (the kernel
 * `supply` in models/lanes_tmpl.c). A batch's spans of the tranches' months (the least and
 * largest month each comes online and goes off across its lanes) let the kernel pass over a
 * tranche that is off in every lane that month, and add one that is on in every lane
 * without testing it lane by lane.
 */

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

void cx_supply_spans(cx_scratch *s, int n8)
{
    /* n8 is a multiple of 8 (CX_LANE_PAD); months are whole numbers, never NaN, so the
     * SSE2 min and max are the plain comparisons */
    for (int i = 0; i < s->n_tr; i++) {
        const double *on = s->tr_on + (size_t)i * CX_LANES, *off = s->tr_off + (size_t)i * CX_LANES;
        double *sp = s->tr_span + 4 * (size_t)i;
#if defined(__SSE2__)
        __m128d on_lo = _mm_load_pd(on), on_hi = on_lo;
        __m128d off_lo = _mm_load_pd(off), off_hi = off_lo;
        for (int l = 2; l < n8; l += 2) {
            const __m128d a = _mm_load_pd(on + l), b = _mm_load_pd(off + l);
            on_lo = _mm_min_pd(on_lo, a);
            on_hi = _mm_max_pd(on_hi, a);
            off_lo = _mm_min_pd(off_lo, b);
            off_hi = _mm_max_pd(off_hi, b);
        }
        sp[0] = _mm_cvtsd_f64(_mm_min_sd(on_lo, _mm_unpackhi_pd(on_lo, on_lo)));
        sp[1] = _mm_cvtsd_f64(_mm_max_sd(on_hi, _mm_unpackhi_pd(on_hi, on_hi)));
        sp[2] = _mm_cvtsd_f64(_mm_min_sd(off_lo, _mm_unpackhi_pd(off_lo, off_lo)));
        sp[3] = _mm_cvtsd_f64(_mm_max_sd(off_hi, _mm_unpackhi_pd(off_hi, off_hi)));
#else
        double on_lo = on[0], on_hi = on[0], off_lo = off[0], off_hi = off[0];
        for (int l = 1; l < n8; l++) {
            on_lo = on[l] < on_lo ? on[l] : on_lo;
            on_hi = on[l] > on_hi ? on[l] : on_hi;
            off_lo = off[l] < off_lo ? off[l] : off_lo;
            off_hi = off[l] > off_hi ? off[l] : off_hi;
        }
        sp[0] = on_lo;
        sp[1] = on_hi;
        sp[2] = off_lo;
        sp[3] = off_hi;
#endif
    }
}
