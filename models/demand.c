/* SPDX-License-Identifier: MIT */
/* Demand: the internal uses MSL, RecSys and TaaS, month by month (MODEL.md, Demand). */

/*
 * - MSL (frontier training): the base schedule m(t), piecewise linear through (month, GW)
 *   points and flat outside them, times success_multiplier or failure_multiplier from the
 *   (rounded) decision month on. Success is one draw per path.
 * - RecSys (ads recommendation): r(t) = b M^min(1, t / R), kept as a running product
 *   (x M^(1/R) a month) up to the first whole month t >= R, then b M; the uplift's log2 of
 *   the multiple runs beside it as t log2(M) / R. Revenue uplift per month on the allocated
 *   a_r(t): ad_revenue_base / 12 x uplift_per_doubling x log2(max(1, a_r(t) / b)).
 * - TaaS (tokens as a service): launches with p_launch at the launch month L; then
 *   target x min(1, (t - L) / ramp), 0 in the launch month.
 * Set-up per path is here; the month's demands across lanes are the demand kernel
 * (models/lanes_tmpl.c).
 */

#include <math.h>

#include "models/lanes.h"
#include "sim/rng/vmath.h"

void cx_demand_setup(cx_scratch *s, int l, const double *x, bool msl_ok, bool taas_on)
{
    const cx_model *m = s->m;
    const cx_scenario *sc = m->sc;
    const int H = m->horizon;

    /* MSL */
    for (int k = 0; k < s->n_sched; k++)
        s->msl_g[(size_t)k * CX_LANES + (size_t)l] = x[sc->msl.sched[k].gw];
    if (sc->msl.present) {
        s->msl_dec[l] = cx_month_of(x[sc->msl.decision_month]);
        s->msl_mult[l] = msl_ok ? x[sc->msl.success_multiplier] : x[sc->msl.failure_multiplier];
    } else {
        s->msl_dec[l] = CX_NEVER;
        s->msl_mult[l] = 1.0;
    }

    /* RecSys */
    s->rec_b[l] = 0.0;
    s->rec_d[l] = 0.0;
    s->rec_step[l] = 1.0;
    s->rec_full[l] = 0.0;
    s->rec_l2[l] = 0.0;
    s->rec_l2_step[l] = 0.0;
    s->rec_l2_full[l] = 0.0;
    s->rec_k[l] = 0.0;
    s->rec_ramp_end[l] = 0;
    if (sc->recsys.present) {
        double b = x[sc->recsys.base_gw];
        double mult = x[sc->recsys.scale_multiple];
        double ramp = x[sc->recsys.ramp_months];
        double l2_full = cx_log2(mult);
        s->rec_b[l] = b;
        s->rec_full[l] = b * mult;
        s->rec_l2_full[l] = l2_full;
        if (ramp > 0.0) {
            s->rec_step[l] = pow(mult, 1.0 / ramp);
            s->rec_l2_step[l] = l2_full / ramp;
            s->rec_d[l] = b; /* M^0 at t = 0 */
            /* for whole t, t < R iff t < ceil(R) */
            s->rec_ramp_end[l] = ramp < (double)H ? (int)ceil(ramp) : H;
        } else {
            s->rec_d[l] = b * mult;
            s->rec_l2[l] = l2_full;
        }
        /* base_gw must be > 0 (MODEL.md); earn nothing rather than NaN */
        if (b > 0.0)
            s->rec_k[l] = x[sc->recsys.ad_revenue_base] / 12.0 * x[sc->recsys.uplift_per_doubling];
    }

    /* TaaS */
    s->taas_launch[l] = CX_NEVER;
    s->taas_target[l] = 0.0;
    s->taas_inv_ramp[l] = 0.0;
    s->taas_instant[l] = 1;
    s->taas_rev[l] = 0.0;
    if (taas_on) {
        double ramp = x[sc->taas.ramp_months];
        s->taas_launch[l] = cx_month_of(x[sc->taas.launch_month]);
        s->taas_target[l] = x[sc->taas.target_gw];
        s->taas_instant[l] = !(ramp > 0.0);
        s->taas_inv_ramp[l] = ramp > 0.0 ? 1.0 / ramp : 0.0;
        s->taas_rev[l] = x[sc->taas.revenue_per_gw_year] / 12.0;
    }
}
