/* SPDX-License-Identifier: MIT */
/* One-screen summary of a loaded scenario, for `capexsim check` (issue 2, "Scenario files"). */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/input/scenario.h"

/* Median of an input (its value when fixed). */
static double med(const cx_scenario *sc, cx_in in)
{
    return cx_dist_median(&sc->inputs[in].dist);
}

/* "1.5" for a fixed input, "~1.5" for the median of an uncertain one. */
static void fig(FILE *f, const cx_scenario *sc, cx_in in)
{
    const cx_input *x = &sc->inputs[in];
    double v = med(sc, in);
    if (isinf(v))
        fprintf(f, "%sunlimited", x->uncertain ? "~" : "");
    else
        fprintf(f, "%s%.4g", x->uncertain ? "~" : "", v);
}

static void dist_fig(FILE *f, const cx_dist *d)
{
    double v = cx_dist_median(d);
    fprintf(f, "%s%.4g", cx_dist_is_fixed(d) ? "" : "~", v);
}

/* The supply: one line a tranche. */
static void print_tranches(FILE *f, const cx_scenario *sc)
{
    fprintf(f, "tranches (%d)\n", sc->n_tranches);
    fprintf(f, "  %-20s %-9s %9s %7s %14s\n", "name", "kind", "gw", "start", "cost $B/GW-yr");
    for (int i = 0; i < sc->n_tranches; i++) {
        const cx_tranche *t = &sc->tranches[i];
        fprintf(f, "  %-20s %-9s %9.4g %7.4g %14.4g\n", t->name, cx_tranche_kind_names[t->kind],
                med(sc, t->gw), med(sc, t->start_month), med(sc, t->cost_per_gw_year));
    }
}

/* The uses in priority order, and each use of demand the file has (MODEL.md, "Demand"). */
static void print_uses(FILE *f, const cx_scenario *sc)
{
    fprintf(f, "\nuses (priority");
    for (int i = 0; i < CX_N_USES; i++)
        fprintf(f, "%s%s", i ? ", " : " ", cx_use_names[sc->priority[i]]);
    fprintf(f, ")\n");
    if (sc->msl.present) {
        const cx_msl *m = &sc->msl;
        fprintf(f, "  msl     %d schedule points, month %d..%d; p_success ", m->n_sched,
                m->sched[0].month, m->sched[m->n_sched - 1].month);
        fig(f, sc, m->p_success);
        fprintf(f, ", decision month ");
        fig(f, sc, m->decision_month);
        fprintf(f, ", x");
        fig(f, sc, m->success_multiplier);
        fprintf(f, " / x");
        fig(f, sc, m->failure_multiplier);
        fprintf(f, "%s\n", m->clawback ? ", clawback" : "");
    }
    if (sc->recsys.present) {
        const cx_recsys *r = &sc->recsys;
        fprintf(f, "  recsys  base ");
        fig(f, sc, r->base_gw);
        fprintf(f, " GW x ");
        fig(f, sc, r->scale_multiple);
        fprintf(f, " over ");
        fig(f, sc, r->ramp_months);
        fprintf(f, " months; ad revenue ");
        fig(f, sc, r->ad_revenue_base);
        fprintf(f, " $B/yr, uplift ");
        fig(f, sc, r->uplift_per_doubling);
        fprintf(f, " per doubling%s\n", r->clawback ? ", clawback" : "");
    }
    if (sc->taas.present) {
        const cx_taas *t = &sc->taas;
        fprintf(f, "  taas    p_launch ");
        fig(f, sc, t->p_launch);
        fprintf(f, " at month ");
        fig(f, sc, t->launch_month);
        fprintf(f, ", target ");
        fig(f, sc, t->target_gw);
        fprintf(f, " GW over ");
        fig(f, sc, t->ramp_months);
        fprintf(f, " months, ");
        fig(f, sc, t->revenue_per_gw_year);
        fprintf(f, " $B/GW-yr%s\n", t->clawback ? ", clawback" : "");
    }
    if (!sc->msl.present && !sc->recsys.present && !sc->taas.present)
        fprintf(f, "  (none)\n");
}

/* The market's price path, the deals' hazard, the signed deals, spot offers and IaaS. */
static void print_market_deals(FILE *f, const cx_scenario *sc)
{
    fprintf(f, "\nmarket    price0 ");
    fig(f, sc, sc->market.price0);
    fprintf(f, " $B/GW-yr, drift ");
    fig(f, sc, sc->market.drift);
    fprintf(f, ", vol ");
    fig(f, sc, sc->market.vol);
    fprintf(f, "\n");

    const cx_deals *dl = &sc->deals;
    fprintf(f, "\ndeals     hazard ");
    fig(f, sc, dl->hazard_base);
    fprintf(f, " + ");
    fig(f, sc, dl->hazard_price);
    fprintf(f, " x ln(P0/P)\n");
    for (int i = 0; i < dl->n_signed; i++) {
        const cx_signed_deal *d = &dl->signed_deals[i];
        fprintf(f, "  %-20s p ", d->name);
        fig(f, sc, d->p_signed);
        fprintf(f, ", ");
        fig(f, sc, d->gw);
        fprintf(f, " GW at ");
        fig(f, sc, d->price_per_gw_year);
        fprintf(f, " $B/GW-yr from month ");
        fig(f, sc, d->start_month);
        fprintf(f, " for ");
        fig(f, sc, d->term_months);
        fprintf(f, " months%s\n", d->cancellable ? ", cancellable" : "");
    }
    if (dl->spot.present) {
        const cx_spot *s = &dl->spot;
        fprintf(f, "  spot: ");
        fig(f, sc, s->offers_per_month);
        fprintf(f, " offers/month from month ");
        fig(f, sc, s->start_month);
        fprintf(f, ", gw ");
        dist_fig(f, &s->gw);
        fprintf(f, " (%s), premium ", cx_dist_family_names[s->gw.family]);
        dist_fig(f, &s->premium);
        fprintf(f, "x (%s), cap ", cx_dist_family_names[s->premium.family]);
        fig(f, sc, s->max_external_gw);
        fprintf(f, " GW\n");
    }
    if (sc->iaas.enabled) {
        fprintf(f, "\niaas      up to ");
        fig(f, sc, sc->iaas.max_gw);
        fprintf(f, " GW at ");
        fig(f, sc, sc->iaas.discount);
        fprintf(f, " off market\n");
    }
}

/* The uncertain inputs, one line each with the median and the 5th and 95th percentiles;
 * the sweep. */
static void print_inputs(FILE *f, const cx_scenario *sc)
{
    int n_unc = 0;
    for (int i = 0; i < sc->n_inputs; i++)
        n_unc += sc->inputs[i].uncertain;
    fprintf(f, "\nuncertain inputs (%d of %d; %d correlation pairs)\n", n_unc, sc->n_inputs,
            sc->n_corr);
    int w = 20; /* the name column fits the longest dotted name shown */
    for (int i = 0; i < sc->n_inputs; i++)
        if (sc->inputs[i].uncertain && (int)strlen(sc->inputs[i].name) > w)
            w = (int)strlen(sc->inputs[i].name);
    fprintf(f, "  %-*s %-10s %10s %10s %10s\n", w, "input", "family", "median", "p5", "p95");
    for (int i = 0; i < sc->n_inputs; i++) {
        const cx_input *x = &sc->inputs[i];
        if (!x->uncertain)
            continue;
        fprintf(f, "  %-*s %-10s %10.4g %10.4g %10.4g\n", w, x->name,
                cx_dist_family_names[x->dist.family], cx_dist_median(&x->dist),
                cx_dist_quantile(&x->dist, 0.05), cx_dist_quantile(&x->dist, 0.95));
    }
    if (sc->n_sweep > 0) {
        fprintf(f, "\nsweep    ");
        for (int i = 0; i < sc->n_sweep; i++)
            fprintf(f, "%s%s (%d values)", i ? " x " : "", sc->sweep[i].name, sc->sweep[i].n);
        fprintf(f, "\n");
    }
}

void cx_scenario_print_summary(const cx_scenario *sc, void *file)
{
    FILE *f = file;
    fprintf(f, "scenario  %s (%s)\n", sc->name, sc->path);
    if (sc->description)
        fprintf(f, "          %s\n", sc->description);
    fprintf(f, "sha256    %.16s...   horizon %d months\n", sc->sha256, sc->horizon_months);
    /* MODEL.md, Calendar and Present value: only where the scenario has them */
    if (sc->start_year > 0)
        fprintf(f, "start     %04d-%02d (month 0)\n", sc->start_year, sc->start_month);
    if (sc->has_discount)
        fprintf(f, "discount  %g a year (capex_burden_pv, revenue_total_pv)\n", sc->discount_rate);
    fprintf(f, "(~ marks the median of an uncertain input)\n\n");

    print_tranches(f, sc);
    print_uses(f, sc);
    print_market_deals(f, sc);
    print_inputs(f, sc);
}
