/* SPDX-License-Identifier: MIT */
/* Model tests: known answers worked out by hand, and behaviour of deals and clawback. */

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "models/lanes.h"
#include "models/model.h"
#include "models/trace.h"
#include "sim/base/simd.h"
#include "sim/base/error.h"
#include "sim/rng/pcg.h"
#include "sim/input/scenario.h"

/* One scenario ready to run: model, scratch, stream, inputs, trace. */
typedef struct fix {
    cx_scenario *sc;
    cx_model *m;
    cx_scratch *s;
    gsl_rng *r;
    double *x;
    cx_trace *tr;
    cx_path_result res;
} fix;

static void setup_off(void)
{
    gsl_set_error_handler_off();
}

/* Loads text; every input must be fixed: x[i] is its value. */
static void fix_open(fix *f, const char *text)
{
    char err[512] = "";
    memset(f, 0, sizeof *f);
    int rc = cx_scenario_load_string(&f->sc, text, "t.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "load: %s", err);
    rc = cx_model_new(&f->m, f->sc, err, sizeof err);
    cr_assert(eq(int, rc, 0), "model: %s", err);
    cr_assert(eq(int, cx_scratch_new(&f->s, f->m), 0));
    cr_assert(eq(int, cx_trace_new(&f->tr, 100000), 0));
    f->r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cr_assert(f->r != NULL);
    cx_pcg64_stream(cx_rng_pcg64(f->r), 7, 0);
    f->x = calloc((size_t)f->sc->n_inputs, sizeof(double));
    for (int i = 0; i < f->sc->n_inputs; i++) {
        const cx_dist *d = &f->sc->inputs[i].dist;
        cr_assert(eq(int, d->family, CX_DIST_FIXED), "input %s is not fixed",
                  f->sc->inputs[i].name);
        f->x[i] = d->p[0];
    }
}

static void fix_close(fix *f)
{
    free(f->x);
    gsl_rng_free(f->r);
    cx_trace_free(f->tr);
    cx_scratch_free(f->s);
    cx_model_free(f->m);
    cx_scenario_free(f->sc);
}

static const double *run(fix *f)
{
    cx_model_path(f->m, f->x, f->r, f->s, &f->res, f->tr);
    cr_assert(eq(int, f->tr->lost_events, 0));
    return f->res.metric;
}

/* Relative closeness for values worked out by hand (1e-12 of the value, or absolute 1e-12
 * near zero). */
#define NEAR(a, b)                                                                      \
    cr_assert(epsilon_eq(dbl, (a), (b), 1e-12 * fmax(1.0, fabs((double)(b)))),       \
              "%s = %.17g, expected %.17g", #a, (double)(a), (double)(b))

/* Counts events of one kind (and deal id, or -1 for any). */
static int count_events(const cx_trace *tr, cx_trace_event_kind kind, int deal)
{
    int n = 0;
    for (int i = 0; i < tr->n_events; i++)
        if (tr->events[i].kind == kind && (deal < 0 || tr->events[i].deal == deal))
            n++;
    return n;
}

/* Sum of EARN amounts of one deal, and its last earning month (-1 if none). */
static double deal_earned(const cx_trace *tr, int deal, int *last_month)
{
    double sum = 0.0;
    *last_month = -1;
    for (int i = 0; i < tr->n_events; i++) {
        const cx_trace_event *e = &tr->events[i];
        if (e->kind == CX_EV_EARN && e->deal == deal) {
            sum += e->amount;
            if (e->month > *last_month)
                *last_month = e->month;
        }
    }
    return sum;
}

/* Copies tmpl into out with each "%s" replaced, in turn, by vals[0], vals[1], ...
 * (scenario templates are not printf formats, so -Wformat-nonliteral stays quiet). */
static void subst(char *out, size_t n, const char *tmpl, const char *const *vals, int n_vals)
{
    size_t o = 0;
    int v = 0;
    for (const char *c = tmpl; *c != '\0' && o + 1 < n; c++) {
        if (c[0] == '%' && c[1] == 's' && v < n_vals) {
            for (const char *w = vals[v++]; *w != '\0' && o + 1 < n; w++)
                out[o++] = *w;
            c++;
        } else {
            out[o++] = *c;
        }
    }
    out[o] = '\0';
}

static void subst1(char *out, size_t n, const char *tmpl, const char *val)
{
    subst(out, n, tmpl, &val, 1);
}

TestSuite(model, .init = setup_off);

Test(model, names)
{
    cr_assert(eq(int, cx_metric_find("capex_burden"), CX_M_CAPEX_BURDEN));
    cr_assert(eq(int, cx_metric_find("deals_clawed_back"), CX_M_DEALS_CLAWED_BACK));
    cr_assert(eq(int, cx_metric_find("msl_success"), CX_M_MSL_SUCCESS));
    cr_assert(eq(int, cx_metric_find("burden"), -1));
    cr_assert(eq(int, cx_metric_find(NULL), -1));
    for (int i = 0; i < CX_N_METRICS; i++)
        cr_assert(eq(int, cx_metric_find(cx_metric_names[i]), i));
    cr_assert(eq(str, (char *)cx_qseries_names[CX_Q_IDLE_GW_MEAN], "idle_gw_mean"));
    cr_assert(eq(str, (char *)cx_qseries_names[CX_Q_REVENUE], "revenue"));
    cr_assert(eq(str, (char *)cx_qseries_names[CX_Q_BURDEN_CUMULATIVE], "burden_cumulative"));
}

/* One tranche of 2 GW at 12 $B/GW-yr; MSL base demand from 0.5 GW (month 0) to 1.5 GW
 * (month 4), flat after. */
Test(model, one_tranche_and_msl)
{
    fix f;
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
                 "msl = { schedule = ( (0, 0.5), (4, 1.5) ); };\n"
                 "market = { price0 = 12.0; };\n");
    const double *mt = run(&f);
    /* m(t) = 0.5 + 0.25 t up to month 4: 0.5, 0.75, 1.0, 1.25, 1.5, then 1.5.
     * C = 2 every month, so idle = 1.5, 1.25, 1.0, 0.75, 0.5, 0.5: sum 5.5. */
    NEAR(mt[CX_M_IDLE_GW_MEAN], 5.5 / 6.0);
    NEAR(mt[CX_M_IDLE_GW_PEAK], 1.5);
    /* Cost(t) = 2 x 12 / 12 = 2 $B a month, 6 months: 12. u = 2 x 12 / 2 = 12, so
     * burden = idle x 12 / 12 = idle: 5.5. */
    NEAR(mt[CX_M_COMMITTED_COST], 12.0);
    NEAR(mt[CX_M_CAPEX_BURDEN], 5.5);
    NEAR(mt[CX_M_MSL_SHORTFALL], 0.0);
    NEAR(mt[CX_M_REVENUE_TOTAL], 0.0);
    NEAR(mt[CX_M_MSL_SUCCESS], 1.0); /* p_success defaults to 1 */
    /* quarters: q0 idle (1.5 + 1.25 + 1.0) / 3 = 1.25, burden 3.75;
     * q1 idle (0.75 + 0.5 + 0.5) / 3 = 0.58333..., burden 5.5 */
    cr_assert(eq(int, cx_model_quarters(f.m), 2));
    NEAR(f.res.quarter[CX_Q_IDLE_GW_MEAN][0], 1.25);
    NEAR(f.res.quarter[CX_Q_IDLE_GW_MEAN][1], 1.75 / 3.0);
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][0], 3.75);
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][1], 5.5);
    NEAR(f.tr->month[2].unit_cost, 12.0);
    NEAR(f.tr->month[3].demand_gw[CX_USE_MSL], 1.25);
    fix_close(&f);
}

/* Tranche start, delay (rounded half away from zero) and term. */
Test(model, tranche_delay_and_term)
{
    fix f;
    fix_open(&f, "horizon_months = 12;\n"
                 "supply = { tranches = (\n"
                 "  { name = \"a\"; gw = 1.0; cost_per_gw_year = 6.0; start_month = 2;\n"
                 "    delay_months = 0.5; term_months = 5.5; },\n"
                 "  { name = \"b\"; gw = 0.5; cost_per_gw_year = 24.0; },\n"
                 "  { name = \"c\"; gw = 0.25; cost_per_gw_year = 12.0; start_month = 4;\n"
                 "    delay_months = -0.5; term_months = 2; } ); };\n"
                 "market = { price0 = 12.0; };\n");
    const double *mt = run(&f);
    /* a: online from 2 + round(0.5) = 3 for round(5.5) = 6 months: t = 3..8.
     * b: whole horizon. c: from 4 + round(-0.5) = 3 for 2 months: t = 3, 4.
     * C(t): 0.5 (t 0-2), 1.75 (t 3-4), 1.5 (t 5-8), 0.5 (t 9-11). */
    NEAR(f.tr->month[2].capacity_gw, 0.5);
    NEAR(f.tr->month[3].capacity_gw, 1.75);
    NEAR(f.tr->month[5].capacity_gw, 1.5);
    NEAR(f.tr->month[8].capacity_gw, 1.5);
    NEAR(f.tr->month[9].capacity_gw, 0.5);
    /* monthly cost: b 0.5 x 24 / 12 = 1.0; a 1 x 6 / 12 = 0.5; c 0.25 x 12 / 12 = 0.25.
     * committed = 12 x 1.0 + 6 x 0.5 + 2 x 0.25 = 15.5. Nothing uses the capacity, so
     * burden = idle x Cost / C = Cost every month: 15.5. */
    NEAR(mt[CX_M_COMMITTED_COST], 15.5);
    NEAR(mt[CX_M_CAPEX_BURDEN], 15.5);
    /* idle = C: 3 x 0.5 + 2 x 1.75 + 4 x 1.5 + 3 x 0.5 = 12.5, mean 12.5 / 12 */
    NEAR(mt[CX_M_IDLE_GW_MEAN], 12.5 / 12.0);
    NEAR(mt[CX_M_IDLE_GW_PEAK], 1.75);
    /* u at t = 3: (0.5 x 24 + 1 x 6 + 0.25 x 12) / 1.75 = 21 / 1.75 = 12 */
    NEAR(f.tr->month[3].unit_cost, 12.0);
    /* quarters: burden 3.0, 3 + 1.75 + 1.75 + 1.5 = 8.0, 8 + 4.5 = 12.5, 12.5 + 3 = 15.5;
     * idle means 0.5, 5 / 3, 1.5, 0.5 */
    cr_assert(eq(int, cx_model_quarters(f.m), 4));
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][0], 3.0);
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][1], 8.0);
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][2], 12.5);
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][3], 15.5);
    NEAR(f.res.quarter[CX_Q_IDLE_GW_MEAN][1], 5.0 / 3.0);
    NEAR(f.res.quarter[CX_Q_IDLE_GW_MEAN][3], 0.5);
    fix_close(&f);
}

/* MSL decision month (2.5 rounds to 3) and the success / failure multipliers. */
Test(model, msl_decision_and_multipliers)
{
    const char *fmt = "horizon_months = 6;\n"
                      "supply = { tranches = ( { name = \"a\"; gw = 4.0; cost_per_gw_year = 12.0; } ); };\n"
                      "msl = { schedule = ( (0, 1.0) ); p_success = %s; decision_month = 2.5;\n"
                      "        success_multiplier = 2.0; failure_multiplier = 0.5; };\n"
                      "market = { price0 = 12.0; };\n";
    char text[1024];
    fix f;
    subst1(text, sizeof text, fmt, "1.0");
    fix_open(&f, text);
    const double *mt = run(&f);
    /* success: demand 1, 1, 1, 2, 2, 2; idle 3, 3, 3, 2, 2, 2: mean 15 / 6 = 2.5 */
    NEAR(mt[CX_M_MSL_SUCCESS], 1.0);
    NEAR(mt[CX_M_IDLE_GW_MEAN], 2.5);
    NEAR(f.tr->month[2].demand_gw[CX_USE_MSL], 1.0);
    NEAR(f.tr->month[3].demand_gw[CX_USE_MSL], 2.0);
    fix_close(&f);

    subst1(text, sizeof text, fmt, "0.0");
    fix_open(&f, text);
    mt = run(&f);
    /* failure: demand 1, 1, 1, 0.5, 0.5, 0.5; idle 3, 3, 3, 3.5, 3.5, 3.5: mean 19.5 / 6 */
    NEAR(mt[CX_M_MSL_SUCCESS], 0.0);
    NEAR(mt[CX_M_IDLE_GW_MEAN], 19.5 / 6.0);
    fix_close(&f);
}

/* RecSys: r(t) = b M^min(1, t/R) with b = 1, M = 16, R = 4: 1, 2, 4, 8, 16, 16; 10 GW of
 * capacity caps the last two months at 10 GW. */
Test(model, recsys_ramp_and_uplift)
{
    fix f;
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 10.0; cost_per_gw_year = 12.0; } ); };\n"
                 "recsys = { base_gw = 1.0; scale_multiple = 16.0; ramp_months = 4;\n"
                 "           ad_revenue_base = 120.0; uplift_per_doubling = 0.05; };\n"
                 "market = { price0 = 12.0; };\n");
    const double *mt = run(&f);
    NEAR(f.tr->month[1].demand_gw[CX_USE_RECSYS], 2.0);
    NEAR(f.tr->month[3].demand_gw[CX_USE_RECSYS], 8.0);
    NEAR(f.tr->month[5].demand_gw[CX_USE_RECSYS], 16.0);
    NEAR(f.tr->month[5].alloc_gw[CX_USE_RECSYS], 10.0);
    /* uplift per month = 120 / 12 x 0.05 x log2(a / 1) = 0.5 log2(a):
     * 0, 0.5, 1.0, 1.5, then 0.5 log2(10) twice: 3 + log2(10) */
    NEAR(mt[CX_M_REVENUE_RECSYS], 3.0 + log2(10.0));
    NEAR(mt[CX_M_REVENUE_TOTAL], 3.0 + log2(10.0));
    /* idle 9, 8, 6, 2, 0, 0 = 25; Cost / C = (10 x 12 / 12) / 10 = 1 per GW: burden 25 */
    NEAR(mt[CX_M_CAPEX_BURDEN], 25.0);
    NEAR(mt[CX_M_IDLE_GW_PEAK], 9.0);
    fix_close(&f);

    /* A ramp of 0 gives the full multiple from month 0: 16 GW wanted, 10 allocated,
     * 6 months x 0.5 log2(10). */
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 10.0; cost_per_gw_year = 12.0; } ); };\n"
                 "recsys = { base_gw = 1.0; scale_multiple = 16.0; ramp_months = 0;\n"
                 "           ad_revenue_base = 120.0; uplift_per_doubling = 0.05; };\n"
                 "market = { price0 = 12.0; };\n");
    mt = run(&f);
    NEAR(f.tr->month[0].demand_gw[CX_USE_RECSYS], 16.0);
    NEAR(mt[CX_M_REVENUE_RECSYS], 6.0 * 0.5 * log2(10.0));
    fix_close(&f);
}

/* TaaS: launch month 2.5 rounds to 3; target 0.8 GW over a 2-month linear ramp. */
Test(model, taas_launch_and_ramp)
{
    const char *fmt = "horizon_months = 8;\n"
                      "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                      "taas = { p_launch = %s; launch_month = 2.5; target_gw = 0.8; ramp_months = 2;\n"
                      "         revenue_per_gw_year = 24.0; };\n"
                      "market = { price0 = 12.0; };\n";
    char text[1024];
    fix f;
    subst1(text, sizeof text, fmt, "1.0");
    fix_open(&f, text);
    const double *mt = run(&f);
    /* demand: 0 (t < 3), 0 at t = 3, 0.8 x 1/2 = 0.4 at t = 4, 0.8 from t = 5.
     * revenue 24 / 12 = 2 per GW-month: 2 x 0.4 + 3 x 2 x 0.8 = 0.8 + 4.8 = 5.6 */
    NEAR(f.tr->month[3].demand_gw[CX_USE_TAAS], 0.0);
    NEAR(f.tr->month[4].demand_gw[CX_USE_TAAS], 0.4);
    NEAR(f.tr->month[5].demand_gw[CX_USE_TAAS], 0.8);
    NEAR(mt[CX_M_REVENUE_TAAS], 5.6);
    /* idle 1, 1, 1, 1, 0.6, 0.2, 0.2, 0.2 = 5.2; 1 $B per idle GW-month: burden 5.2 */
    NEAR(mt[CX_M_CAPEX_BURDEN], 5.2);
    fix_close(&f);

    subst1(text, sizeof text, fmt, "0.0");
    fix_open(&f, text);
    mt = run(&f);
    NEAR(mt[CX_M_REVENUE_TAAS], 0.0);
    NEAR(mt[CX_M_CAPEX_BURDEN], 8.0); /* all 8 GW-months idle */
    fix_close(&f);
}

/* Allocation order: TaaS first leaves MSL short. */
Test(model, allocation_priority)
{
    const char *fmt = "horizon_months = 12;\n"
                      "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                      "msl = { schedule = ( (0, 0.8) ); };\n"
                      "taas = { target_gw = 0.5; revenue_per_gw_year = 12.0; };\n"
                      "allocation = { priority = [ %s ]; };\n"
                      "market = { price0 = 12.0; };\n";
    char text[1024];
    fix f;
    subst1(text, sizeof text, fmt, "\"msl\", \"recsys\", \"taas\"");
    fix_open(&f, text);
    const double *mt = run(&f);
    /* MSL 0.8, TaaS gets 0.2: revenue 0.2 x 12 / 12 x 12 months = 2.4 */
    NEAR(mt[CX_M_MSL_SHORTFALL], 0.0);
    NEAR(mt[CX_M_REVENUE_TAAS], 2.4);
    fix_close(&f);

    subst1(text, sizeof text, fmt, "\"taas\", \"msl\", \"recsys\"");
    fix_open(&f, text);
    mt = run(&f);
    /* TaaS 0.5 (revenue 0.5 x 12 = 6), MSL 0.5 of 0.8: shortfall 0.3 x 12 / 12 = 0.3 */
    NEAR(mt[CX_M_MSL_SHORTFALL], 0.3);
    NEAR(mt[CX_M_REVENUE_TAAS], 6.0);
    fix_close(&f);
}

/* IaaS resale: min(left, max_gw) earns P (1 - discount). */
Test(model, iaas)
{
    fix f;
    fix_open(&f, "horizon_months = 3;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 2.0; cost_per_gw_year = 6.0; } ); };\n"
                 "iaas = { enabled = true; max_gw = 0.5; discount = 0.25; };\n"
                 "market = { price0 = 12.0; };\n");
    const double *mt = run(&f);
    /* 0.5 GW x 12 x 0.75 / 12 = 0.375 a month, 3 months: 1.125 */
    NEAR(mt[CX_M_REVENUE_IAAS], 1.125);
    NEAR(mt[CX_M_REVENUE_TOTAL], 1.125);
    /* idle 1.5; Cost / C = (2 x 6 / 12) / 2 = 0.5: burden 0.75 a month, 2.25 */
    NEAR(mt[CX_M_CAPEX_BURDEN], 2.25);
    NEAR(mt[CX_M_COMMITTED_COST], 3.0);
    NEAR(mt[CX_M_IDLE_GW_MEAN], 1.5);
    fix_close(&f);
}

/* A signed deal that oversells the pool: revenue still earned, MSL short. */
Test(model, signed_deal_oversold)
{
    fix f;
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                 "msl = { schedule = ( (0, 0.4) ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { signed = ( { name = \"d\"; gw = 1.5; price_per_gw_year = 40.0;\n"
                 "                       start_month = 2; term_months = 3; } ); };\n");
    const double *mt = run(&f);
    /* active t = 2, 3, 4: revenue 1.5 x 40 / 12 = 5 a month, 15 */
    NEAR(mt[CX_M_REVENUE_DEALS], 15.0);
    /* D = 1.5 > C = 1: oversold 0.5; MSL gets 0 in those months: 3 x 0.4 / 12 = 0.1 */
    NEAR(mt[CX_M_OVERSOLD_GW_PEAK], 0.5);
    NEAR(mt[CX_M_MSL_SHORTFALL], 0.1);
    NEAR(mt[CX_M_DEALS_SIGNED], 1.0);
    NEAR(mt[CX_M_DEALS_CLAWED_BACK], 0.0);
    /* idle 0.6 in t = 0, 1, 5; burden 1 per idle GW-month: 1.8 */
    NEAR(mt[CX_M_CAPEX_BURDEN], 1.8);
    int last;
    NEAR(deal_earned(f.tr, 0, &last), 15.0);
    cr_assert(eq(int, last, 4));
    fix_close(&f);
}

/* Quarterly series with a partial last quarter (7 months: quarters of 3, 3 and 1). */
Test(model, quarterly_partial_last_quarter)
{
    fix f;
    fix_open(&f, "horizon_months = 7;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                 "msl = { schedule = ( (0, 0.0), (6, 0.6) ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { signed = ( { name = \"d\"; gw = 0.3; price_per_gw_year = 24.0; } ); };\n");
    const double *mt = run(&f);
    cr_assert(eq(int, cx_model_quarters(f.m), 3));
    /* A = 0.7; MSL 0.1 t; idle 0.7 - 0.1 t: 0.7, 0.6, 0.5 | 0.4, 0.3, 0.2 | 0.1 */
    NEAR(f.res.quarter[CX_Q_IDLE_GW_MEAN][0], 0.6);
    NEAR(f.res.quarter[CX_Q_IDLE_GW_MEAN][1], 0.3);
    NEAR(f.res.quarter[CX_Q_IDLE_GW_MEAN][2], 0.1);
    /* burden = idle (1 $B per idle GW-month): 1.8, 1.8 + 0.9 = 2.7, 2.7 + 0.1 = 2.8 */
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][0], 1.8);
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][1], 2.7);
    NEAR(f.res.quarter[CX_Q_BURDEN_CUMULATIVE][2], 2.8);
    /* deal revenue 0.3 x 24 / 12 = 0.6 a month: 1.8, 1.8, 0.6 */
    NEAR(f.res.quarter[CX_Q_REVENUE][0], 1.8);
    NEAR(f.res.quarter[CX_Q_REVENUE][1], 1.8);
    NEAR(f.res.quarter[CX_Q_REVENUE][2], 0.6);
    NEAR(mt[CX_M_REVENUE_TOTAL], 4.2);
    NEAR(mt[CX_M_CAPEX_BURDEN], 2.8);
    fix_close(&f);
}

/* Notice given in the month a deal begins (hazard 1) ends it notice months later. */
static void notice_case(const char *notice_days, const char *term, int want_months)
{
    char text[1024];
    snprintf(text, sizeof text,
             "horizon_months = 12;\n"
             "supply = { tranches = ( { name = \"a\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
             "market = { price0 = 12.0; };\n"
             "deals = { signed = ( { name = \"d\"; gw = 0.5; price_per_gw_year = 24.0;\n"
             "                       start_month = 2; cancellable = true; notice_days = %s;%s } );\n"
             "          hazard_base = 1.0; };\n",
             notice_days, term);
    fix f;
    fix_open(&f, text);
    const double *mt = run(&f);
    /* 0.5 x 24 / 12 = 1 $B a month, for want_months months from month 2 */
    NEAR(mt[CX_M_REVENUE_DEALS], (double)want_months);
    NEAR(mt[CX_M_DEALS_CANCELLED], 1.0);
    NEAR(mt[CX_M_DEALS_CLAWED_BACK], 0.0);
    int last;
    deal_earned(f.tr, 0, &last);
    cr_assert(eq(int, last, 2 + want_months - 1));
    cr_assert(eq(int, count_events(f.tr, CX_EV_NOTICE_BUYER, 0), 1));
    for (int i = 0; i < f.tr->n_events; i++)
        if (f.tr->events[i].kind == CX_EV_END)
            cr_assert(eq(int, f.tr->events[i].month, 2 + want_months));
    cr_assert(eq(int, count_events(f.tr, CX_EV_END, 0), 1));
    NEAR(f.tr->month[2 + want_months - 1].reserved_gw, 0.5);
    NEAR(f.tr->month[2 + want_months].reserved_gw, 0.0);
    fix_close(&f);
}

Test(model, notice_90_days_is_3_months)
{
    notice_case("90", "", 3);   /* ceil(90 / 30) = 3: earns months 2, 3, 4 */
    notice_case("91", "", 4);   /* ceil(91 / 30) = 4 */
    notice_case("10", "", 1);   /* max(1, ceil(10 / 30)) = 1 */
    notice_case("90", " term_months = 2;", 2); /* the term (ends at 4) comes first */
}

/* Four cancellable deals of 0.25 GW: A 40 $B, B 20 $B, C 30 $B (start 0), D 20 $B
 * (start 1). C = 2 GW, D = 1 GW, A = 1 GW. MSL wants 0.5 until month 2, then `level`. */
static void clawback_case(const char *level, const int *want_ids, int n_want, double want_short)
{
    char text[2048];
    snprintf(text, sizeof text,
             "horizon_months = 8;\n"
             "supply = { tranches = ( { name = \"a\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
             "msl = { schedule = ( (0, 0.5), (2, 0.5), (3, %s) ); };\n"
             "market = { price0 = 12.0; };\n"
             "deals = { signed = (\n"
             "  { name = \"A\"; gw = 0.25; price_per_gw_year = 40.0; cancellable = true; },\n"
             "  { name = \"B\"; gw = 0.25; price_per_gw_year = 20.0; cancellable = true; },\n"
             "  { name = \"C\"; gw = 0.25; price_per_gw_year = 30.0; cancellable = true; },\n"
             "  { name = \"D\"; gw = 0.25; price_per_gw_year = 20.0; cancellable = true;\n"
             "    start_month = 1; } ); };\n",
             level);
    fix f;
    fix_open(&f, text);
    const double *mt = run(&f);
    cr_assert(eq(int, count_events(f.tr, CX_EV_NOTICE_OWNER, -1), n_want));
    for (int k = 0; k < n_want; k++) {
        /* the k-th owner notice, in the order given */
        int seen = 0, id = -1, month = -1;
        for (int i = 0; i < f.tr->n_events; i++)
            if (f.tr->events[i].kind == CX_EV_NOTICE_OWNER && seen++ == k) {
                id = f.tr->events[i].deal;
                month = f.tr->events[i].month;
            }
        cr_assert(eq(int, id, want_ids[k]), "notice %d went to deal %d", k, id);
        cr_assert(eq(int, month, 3));
    }
    NEAR(mt[CX_M_DEALS_CLAWED_BACK], (double)n_want);
    NEAR(mt[CX_M_DEALS_CANCELLED], 0.0);
    NEAR(mt[CX_M_MSL_SHORTFALL], want_short);
    fix_close(&f);
}

Test(model, clawback_cheapest_first_only_as_needed)
{
    /* level 1.5: shortfall 1.5 - 1.0 = 0.5 at t = 3. Cheapest first: B (20, start 0), then
     * D (20, start 1): 0.5 >= 0.5, so C and A keep running. Notice 3 months: B and D end
     * at t = 6. Short 0.5 in t = 3, 4, 5: 1.5 / 12 = 0.125 GW-years. */
    const int ids1[] = { 1, 3 };
    clawback_case("1.5", ids1, 2, 1.5 / 12.0);
    /* level 1.625: shortfall 0.625: B, D (0.5), then C (30): 0.75 >= 0.625; A stays.
     * Short 0.625 in t = 3, 4, 5; from t = 6 A = 2 - 0.25 = 1.75 >= 1.625. */
    const int ids2[] = { 1, 3, 2 };
    clawback_case("1.625", ids2, 3, 3.0 * 0.625 / 12.0);
}

/* A non-cancellable deal is never clawed back; the MSL demand it blocks is shortfall. */
Test(model, non_cancellable_never_clawed_back)
{
    fix f;
    fix_open(&f, "horizon_months = 12;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                 "msl = { schedule = ( (0, 0.5) ); clawback = true; };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { signed = ( { name = \"d\"; gw = 0.8; price_per_gw_year = 30.0;\n"
                 "                       cancellable = false; } ); };\n");
    const double *mt = run(&f);
    /* A = 0.2: MSL short 0.3 every month: 0.3 x 12 / 12 = 0.3 GW-years */
    NEAR(mt[CX_M_MSL_SHORTFALL], 0.3);
    NEAR(mt[CX_M_DEALS_CLAWED_BACK], 0.0);
    cr_assert(eq(int, count_events(f.tr, CX_EV_NOTICE_OWNER, -1), 0));
    /* the deal earns all 12 months: 0.8 x 30 = 24 */
    NEAR(mt[CX_M_REVENUE_DEALS], 24.0);
    NEAR(mt[CX_M_CAPEX_BURDEN], 0.0);
    NEAR(f.tr->month[5].clawback_short_gw, 0.3);
    fix_close(&f);
}

/* p_signed = 0 never signs; 1 always does. */
Test(model, p_signed_zero_and_one)
{
    const char *fmt = "horizon_months = 12;\n"
                      "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                      "market = { price0 = 12.0; };\n"
                      "deals = { signed = ( { name = \"d\"; gw = 0.2; price_per_gw_year = 50.0;\n"
                      "                       p_signed = %s; start_month = 3; } ); };\n";
    char text[1024];
    for (int v = 0; v <= 1; v++) {
        subst1(text, sizeof text, fmt, v ? "1.0" : "0.0");
        fix f;
        fix_open(&f, text);
        for (int p = 0; p < 2000; p++) {
            const double *mt = run(&f);
            cr_assert(eq(dbl, mt[CX_M_DEALS_SIGNED], (double)v));
            /* 0.2 x 50 / 12 x 9 months (3..11) = 7.5 */
            NEAR(mt[CX_M_REVENUE_DEALS], v ? 7.5 : 0.0);
        }
        fix_close(&f);
    }
}

/* Spot offers: 50 a month (at least 2 offers with probability 1 - 51 e^-50), 0.25 GW each,
 * cap 0.5 GW of external deals: exactly two are signed in the first spot month. */
Test(model, spot_offers_fill_to_the_cap)
{
    fix f;
    fix_open(&f, "horizon_months = 3;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { spot = { start_month = 1; offers_per_month = 50.0; gw = 0.25;\n"
                 "                   premium = 3.0; max_external_gw = 0.5; }; };\n");
    for (int p = 0; p < 200; p++) {
        const double *mt = run(&f);
        /* price 12 x 3 = 36: 0.25 x 36 / 12 = 0.75 a month per deal; 2 deals x 2 months */
        NEAR(mt[CX_M_DEALS_SIGNED], 2.0);
        NEAR(mt[CX_M_REVENUE_DEALS], 3.0);
        /* idle 1.0, 0.5, 0.5; 1 $B per idle GW-month */
        NEAR(mt[CX_M_CAPEX_BURDEN], 2.0);
        cr_assert(eq(int, f.tr->month[1].spot_signed, 2));
        cr_assert(eq(int, f.tr->month[2].spot_offers, 0)); /* nothing can fit: no draw */
    }
    fix_close(&f);
}

/* The cancellation hazard rises as the price falls. One cancellable deal from month 0,
 * 12 months, vol 0, hazard 0.01 + 0.5 ln(P(0) / P(t)).
 * drift -0.6: ln P falls 0.05 a month, so h(t) = 0.01 + 0.025 t, and
 *   P(notice) = 1 - prod_{t=0}^{11} (0.99 - 0.025 t).
 * drift +0.6: the price rises, ln(P(0)/P(t)) < 0 counts as 0: P(notice) = 1 - 0.99^12. */
static double notice_freq(const char *drift, int n)
{
    char text[1024];
    snprintf(text, sizeof text,
             "horizon_months = 12;\n"
             "supply = { tranches = ( { name = \"a\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
             "market = { price0 = 12.0; drift = %s; vol = 0.0; };\n"
             "deals = { signed = ( { name = \"d\"; gw = 0.5; price_per_gw_year = 30.0;\n"
             "                       cancellable = true; } );\n"
             "          hazard_base = 0.01; hazard_price = 0.5; };\n",
             drift);
    fix f;
    fix_open(&f, text);
    int k = 0;
    for (int p = 0; p < n; p++)
        k += run(&f)[CX_M_DEALS_CANCELLED] > 0.5;
    /* the price path itself: P(11) = 12 exp(11 drift / 12) */
    double d = strtod(drift, NULL);
    NEAR(f.tr->month[11].price, 12.0 * exp(11.0 * d / 12.0));
    fix_close(&f);
    return (double)k / n;
}

Test(model, hazard_rises_as_price_falls)
{
    const int n = 20000;
    double surv = 1.0;
    for (int t = 0; t < 12; t++)
        surv *= 0.99 - 0.025 * t;
    double p_low = 1.0 - surv;              /* ~0.70 */
    double p_high = 1.0 - pow(0.99, 12.0);  /* ~0.114 */
    double f_low = notice_freq("-0.6", n), f_high = notice_freq("0.6", n);
    double se_low = sqrt(p_low * (1 - p_low) / n), se_high = sqrt(p_high * (1 - p_high) / n);
    cr_assert(le(dbl, fabs(f_low - p_low), 5 * se_low), "low price: %g vs %g", f_low, p_low);
    cr_assert(le(dbl, fabs(f_high - p_high), 5 * se_high), "high: %g vs %g", f_high, p_high);
    cr_assert(gt(dbl, f_low, f_high + 5 * (se_low + se_high)));
}

/* cx_model_new refuses spot offers whose size has no positive lower bound, and spot deals
 * with no bound on how many can be active. */
Test(model, spot_slots_need_bounds)
{
    char err[512];
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    int rc = cx_scenario_load_string(
        &sc,
        "horizon_months = 12;\n"
        "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
        "market = { price0 = 12.0; };\n"
        "deals = { spot = { offers_per_month = 1.0;\n"
        "                   gw = { dist = \"uniform\"; low = 0.0; high = 0.5; }; }; };\n",
        "s.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    rc = cx_model_new(&m, sc, err, sizeof err);
    cr_assert(eq(int, rc, CX_ERR_CONFIG));
    cr_assert(m == NULL);
    cr_assert(strstr(err, "s.cfg:") == err, "%s", err);
    cr_assert(strstr(err, "deals.spot.gw:") != NULL, "%s", err);
    cr_assert(strstr(err, "min") != NULL, "%s", err);
    cx_scenario_free(sc);

    rc = cx_scenario_load_string(
        &sc,
        "horizon_months = 12;\n"
        "supply = { tranches = ( { name = \"a\"; cost_per_gw_year = 12.0;\n"
        "                          gw = { dist = \"normal\"; mean = 1.0; sd = 0.1; min = 0.0; }; } ); };\n"
        "market = { price0 = 12.0; };\n"
        "deals = { spot = { offers_per_month = 1.0; gw = 0.2; }; };\n",
        "u.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    rc = cx_model_new(&m, sc, err, sizeof err);
    cr_assert(eq(int, rc, CX_ERR_CONFIG));
    cr_assert(strstr(err, "deals.spot.gw:") != NULL, "%s", err);
    cr_assert(strstr(err, "max_external_gw") != NULL, "%s", err);
    cx_scenario_free(sc);
}

/* The shipped scenarios compile, and their deal slots are bounded. */
/* Every scenario in configs/ loads and compiles (new ones are picked up as they land). */
Test(model, configs_compile)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/configs", CX_SOURCE_ROOT);
    DIR *d = opendir(dir);
    cr_assert(d != NULL, "cannot open %s", dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".cfg") != 0)
            continue;
        n++;
        char path[2048], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cx_scenario *sc = NULL;
        cx_model *m = NULL;
        cr_assert(eq(int, cx_scenario_load(&sc, path, err, sizeof err), 0), "%s", err);
        cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0), "%s", err);
        cr_assert(eq(int, cx_model_quarters(m), 12));
        cx_model_free(m);
        cx_scenario_free(sc);
    }
    closedir(d);
    cr_assert(ge(int, n, 4), "only %d scenarios in %s", n, dir);
    cx_model_free(NULL);
    cx_scratch_free(NULL);
    cx_trace_free(NULL);
}

/* Spot deals get their first counterparty draw the month after signing: with hazard 1
 * and 30 days of notice (1 month), pairs signed at t = 1, 3, 5 get notice at t = 2, 4
 * (ending at 3, 5); the pair signed at 5 would get notice at 6, past the horizon. */
Test(model, spot_first_notice_next_month)
{
    fix f;
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { spot = { start_month = 1; offers_per_month = 50.0; gw = 0.25;\n"
                 "                   premium = 3.0; max_external_gw = 0.5; notice_days = 30; };\n"
                 "          hazard_base = 1.0; };\n");
    for (int p = 0; p < 100; p++) {
        const double *mt = run(&f);
        NEAR(mt[CX_M_DEALS_SIGNED], 6.0);
        NEAR(mt[CX_M_DEALS_CANCELLED], 4.0);
        /* 0.75 a month per deal: 4 deals x 2 months + 2 deals x 1 month = 10 x 0.75 */
        NEAR(mt[CX_M_REVENUE_DEALS], 7.5);
        for (int i = 0; i < f.tr->n_events; i++) {
            const cx_trace_event *e = &f.tr->events[i];
            if (e->kind == CX_EV_BEGIN)
                cr_assert(eq(int, e->month % 2, 1));
            if (e->kind == CX_EV_NOTICE_BUYER) {
                cr_assert(eq(int, e->month % 2, 0));
                cr_assert(eq(int, e->end_month, e->month + 1));
            }
        }
    }
    fix_close(&f);
}

/* ---- MODEL.md, "Details that settle edge cases" (issue 10) ---- */

/* Index of a named input (the tests set sampled values in x directly). */
static int input_of(const fix *f, const char *name)
{
    int i = cx_scenario_find_input(f->sc, name);
    cr_assert(ge(int, i, 0), "no input %s", name);
    return i;
}

/* The external cap holds with 1e-9 GW of tolerance: signed deals of 0.1 + 0.1 GW and a
 * spot offer of 0.1 against a cap of 0.3 sum to 0.30000000000000004 in binary, and the offer
 * is signed; a second one (0.4) is not. 50 offers a month: at least 2 with probability
 * 1 - 51 e^-50. */
Test(model, gw_tolerance_external_cap)
{
    fix f;
    fix_open(&f, "horizon_months = 2;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { signed = ( { name = \"x\"; gw = 0.1; price_per_gw_year = 12.0; },\n"
                 "                     { name = \"y\"; gw = 0.1; price_per_gw_year = 12.0; } );\n"
                 "  spot = { start_month = 1; offers_per_month = 50.0; gw = 0.1; premium = 1.0;\n"
                 "           max_external_gw = 0.3; }; };\n");
    for (int p = 0; p < 100; p++) {
        const double *mt = run(&f);
        cr_assert(eq(int, f.tr->month[1].spot_signed, 1));
        NEAR(mt[CX_M_DEALS_SIGNED], 3.0);
    }
    fix_close(&f);
}

/* An offer fits with 1e-9 GW of tolerance: 0.3 GW less MSL's 0.1 leaves 0.19999999999999998
 * in binary, and an offer of 0.2 GW is signed. Offers of gw <= 0 are never signed. */
Test(model, gw_tolerance_offer_fits)
{
    fix f;
    fix_open(&f, "horizon_months = 2;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 0.3; cost_per_gw_year = 12.0; } ); };\n"
                 "msl = { schedule = ( (0, 0.1) ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { spot = { start_month = 1; offers_per_month = 50.0; gw = 0.2;\n"
                 "                   premium = 1.0; }; };\n");
    for (int p = 0; p < 100; p++) {
        const double *mt = run(&f);
        cr_assert(eq(int, f.tr->month[1].spot_signed, 1));
        NEAR(mt[CX_M_DEALS_SIGNED], 1.0);
        NEAR(f.tr->month[1].idle_gw, 0.0);
    }
    fix_close(&f);
}

/* A clawback shortfall counts only beyond 1e-9 GW: 0.7 GW less a 0.4 GW deal leaves
 * 0.29999999999999993 for MSL's 0.3, a shortfall of 5.6e-17 GW: no clawback. */
Test(model, gw_tolerance_clawback_shortfall)
{
    fix f;
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 0.7; cost_per_gw_year = 12.0; } ); };\n"
                 "msl = { schedule = ( (0, 0.3) ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { signed = ( { name = \"d\"; gw = 0.4; price_per_gw_year = 30.0;\n"
                 "                       cancellable = true; } ); };\n");
    const double *mt = run(&f);
    NEAR(mt[CX_M_DEALS_CLAWED_BACK], 0.0);
    cr_assert(eq(int, count_events(f.tr, CX_EV_NOTICE_OWNER, -1), 0));
    NEAR(mt[CX_M_REVENUE_DEALS], 0.4 * 30.0 / 2.0); /* six months */
    fix_close(&f);
}

/* A shortfall is covered once the GW under notice reaches it less 1e-9: on 2 GW, deals
 * A 0.1 ($10), B 0.5 ($20), X 0.5 ($30) leave 0.8999999999999999 GW; MSL wants 1.5, short
 * 0.6000000000000001 in binary; A + B = 0.6 covers it, so X keeps running. */
Test(model, gw_tolerance_clawback_covered)
{
    fix f;
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
                 "msl = { schedule = ( (0, 1.5) ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { signed = (\n"
                 "  { name = \"A\"; gw = 0.1; price_per_gw_year = 10.0; cancellable = true; },\n"
                 "  { name = \"B\"; gw = 0.5; price_per_gw_year = 20.0; cancellable = true; },\n"
                 "  { name = \"X\"; gw = 0.5; price_per_gw_year = 30.0; cancellable = true; } ); };\n");
    const double *mt = run(&f);
    NEAR(mt[CX_M_DEALS_CLAWED_BACK], 2.0);
    cr_assert(eq(int, count_events(f.tr, CX_EV_NOTICE_OWNER, 0), 1));
    cr_assert(eq(int, count_events(f.tr, CX_EV_NOTICE_OWNER, 1), 1));
    cr_assert(eq(int, count_events(f.tr, CX_EV_NOTICE_OWNER, 2), 0));
    fix_close(&f);
}

/* Negative start months: a tranche that started at -3 for 6 months is online in months 0..2;
 * a signed deal that started at -2 runs from month 0, is not counted in deals_signed, and
 * gets buyer notice in month 0 (hazard 1): notice of 3 months, it earns months 0, 1, 2. A
 * deal that started at -12 for 12 months has ended before month 0. */
Test(model, negative_start_months)
{
    fix f;
    fix_open(&f, "horizon_months = 12;\n"
                 "supply = { tranches = (\n"
                 "  { name = \"old\"; gw = 1.0; start_month = -3; term_months = 6;\n"
                 "    cost_per_gw_year = 12.0; },\n"
                 "  { name = \"new\"; gw = 1.0; cost_per_gw_year = 24.0; } ); };\n"
                 "market = { price0 = 12.0; };\n"
                 "deals = { signed = (\n"
                 "  { name = \"running\"; gw = 0.5; price_per_gw_year = 24.0; start_month = -2;\n"
                 "    term_months = 12; cancellable = true; },\n"
                 "  { name = \"ended\"; gw = 0.5; price_per_gw_year = 24.0; start_month = -12;\n"
                 "    term_months = 12; } );\n"
                 "  hazard_base = 1.0; };\n");
    const double *mt = run(&f);
    for (int t = 0; t < 12; t++)
        NEAR(f.tr->month[t].capacity_gw, t < 3 ? 2.0 : 1.0);
    NEAR(mt[CX_M_COMMITTED_COST], 3.0 * 1.0 + 12.0 * 2.0); /* old: 3 months x 1; new: 2 x 12 */
    NEAR(mt[CX_M_DEALS_SIGNED], 0.0);
    NEAR(mt[CX_M_DEALS_CANCELLED], 1.0);
    int last = -1;
    NEAR(deal_earned(f.tr, 0, &last), 3.0 * 0.5 * 24.0 / 12.0);
    cr_assert(eq(int, last, 2));
    cr_assert(eq(int, count_events(f.tr, CX_EV_BEGIN, 1), 0));
    fix_close(&f);
}

/* A random start month rounds half away from zero before the rule applies: -2.5 is -3
 * (the 4-month tranche is online in month 0 only), -2.4 is -2 (months 0 and 1). */
Test(model, negative_start_month_rounds_away_from_zero)
{
    fix f;
    fix_open(&f, "horizon_months = 4;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; start_month = -2.0;\n"
                 "                          term_months = 4; cost_per_gw_year = 12.0; } ); };\n"
                 "market = { price0 = 12.0; };\n");
    int i = input_of(&f, "supply.tranches.a.start_month");
    f.x[i] = -2.5;
    run(&f);
    NEAR(f.tr->month[0].capacity_gw, 1.0);
    NEAR(f.tr->month[1].capacity_gw, 0.0);
    f.x[i] = -2.4;
    run(&f);
    NEAR(f.tr->month[1].capacity_gw, 1.0);
    NEAR(f.tr->month[2].capacity_gw, 0.0);
    fix_close(&f);
}

/* Without an msl group, msl_success is 0 on every path. */
Test(model, msl_success_zero_without_msl)
{
    fix f;
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                 "recsys = { base_gw = 0.5; };\n"
                 "market = { price0 = 12.0; };\n");
    for (int p = 0; p < 1000; p++)
        cr_assert(eq(dbl, run(&f)[CX_M_MSL_SUCCESS], 0.0));
    fix_close(&f);
}

/* Clawback ties (MODEL.md, Clawback): equal prices go by earliest start month (the configured
 * one for a signed deal, the signing month for a spot deal), then signed deals in config
 * order before spot deals. Config order S2 (start 0), S3 (start 1), S1 (start -2): ids 0, 1, 2;
 * the spot deal signed in month 1 at 20 x 1.0 is id 3. In month 2 MSL wants 2 GW of 2 GW:
 * short 1 GW, all four are clawed back, in the order S1, S2, S3, spot. */
Test(model, clawback_ties)
{
    fix f;
    fix_open(&f, "horizon_months = 6;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
                 "msl = { schedule = ( (0, 0.5), (1, 0.5), (2, 2.0) ); };\n"
                 "market = { price0 = 20.0; };\n"
                 "deals = { signed = (\n"
                 "  { name = \"S2\"; gw = 0.25; price_per_gw_year = 20.0; cancellable = true; },\n"
                 "  { name = \"S3\"; gw = 0.25; price_per_gw_year = 20.0; cancellable = true;\n"
                 "    start_month = 1; },\n"
                 "  { name = \"S1\"; gw = 0.25; price_per_gw_year = 20.0; cancellable = true;\n"
                 "    start_month = -2; } );\n"
                 "  spot = { start_month = 1; offers_per_month = 50.0; gw = 0.25; premium = 1.0;\n"
                 "           max_external_gw = 1.0; }; };\n");
    for (int p = 0; p < 50; p++) {
        run(&f);
        cr_assert(eq(int, f.tr->month[1].spot_signed, 1));
        const int want[] = { 2, 0, 1, 3 };
        int k = 0;
        for (int i = 0; i < f.tr->n_events; i++) {
            const cx_trace_event *e = &f.tr->events[i];
            if (e->kind != CX_EV_NOTICE_OWNER)
                continue;
            cr_assert(lt(int, k, 4));
            cr_assert(eq(int, e->deal, want[k]), "notice %d went to deal %d", k, e->deal);
            cr_assert(eq(int, e->month, 2));
            k++;
        }
        cr_assert(eq(int, k, 4));
    }
    fix_close(&f);
}

/* Issue 20: the once-per-path outcomes come from the input vector, u < p with u the outcome's
 * input (strict: u = p fails), and the model draws nothing for them: the same streams give
 * the same months whatever u is, as long as the outcome is the same. */
Test(model, outcomes_come_from_the_inputs)
{
    char err[512] = "";
    cx_scenario *sc;
    int rc = cx_scenario_load_string(
        &sc,
        "horizon_months = 12;\n"
        "supply = { tranches = ( { name = \"a\"; gw = 4.0; cost_per_gw_year = 12.0; } ); };\n"
        "msl = { schedule = ( (0, 1.0) ); p_success = 0.5; success_multiplier = 2.0;\n"
        "        failure_multiplier = 0.5; };\n"
        "taas = { p_launch = 0.5; target_gw = 0.6; };\n"
        "market = { price0 = 12.0; vol = 0.3; };\n"
        "iaas = { enabled = true; max_gw = 0.2; };\n"
        "deals = { signed = ( { name = \"d\"; p_signed = 0.5; gw = 0.3; price_per_gw_year = 30.0; } ); };\n",
        "t.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    cx_model *m;
    cx_scratch *s;
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, cx_scratch_new(&s, m), 0));
    double *x = calloc((size_t)sc->n_inputs, sizeof(double));
    for (int i = 0; i < sc->n_inputs; i++)
        x[i] = sc->inputs[i].dist.family == CX_DIST_FIXED ? sc->inputs[i].dist.p[0] : 0.5;
    const int mu = cx_scenario_find_input(sc, "msl.success"),
              tu = cx_scenario_find_input(sc, "taas.launch"),
              du = cx_scenario_find_input(sc, "deals.signed.d.happens");
    cr_assert(mu >= 0 && tu >= 0 && du >= 0);
    cx_path_streams g;
    cx_model_streams_of_key(&g, 99);
    cx_path_result a, b, c;
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c); /* quarters past the horizon's are not written */
    /* u = p: nothing happens */
    x[mu] = x[tu] = x[du] = 0.5;
    cx_model_batch(m, x, 0, 1, &g, s, &a, NULL);
    cr_assert(eq(dbl, a.metric[CX_M_MSL_SUCCESS], 0.0));
    cr_assert(eq(dbl, a.metric[CX_M_REVENUE_TAAS], 0.0));
    cr_assert(eq(dbl, a.metric[CX_M_DEALS_SIGNED], 0.0));
    /* just below p: everything happens */
    x[mu] = x[tu] = x[du] = nextafter(0.5, 0.0);
    cx_model_batch(m, x, 0, 1, &g, s, &b, NULL);
    cr_assert(eq(dbl, b.metric[CX_M_MSL_SUCCESS], 1.0));
    cr_assert(gt(dbl, b.metric[CX_M_REVENUE_TAAS], 0.0));
    cr_assert(eq(dbl, b.metric[CX_M_DEALS_SIGNED], 1.0));
    /* another u with the same outcomes: the same path, bit for bit (no draw depends on u) */
    x[mu] = x[tu] = x[du] = 0.01;
    cx_model_batch(m, x, 0, 1, &g, s, &c, NULL);
    cr_assert(eq(int, memcmp(&b, &c, sizeof b), 0));
    free(x);
    cx_scratch_free(s);
    cx_model_free(m);
    cx_scenario_free(sc);
}

/* MODEL.md, Present value, against the exact calculation, on every SIMD path this CPU runs:
 * 2 GW at 12 $B/GW-yr (Cost / C = 1, so Burden(t) = idle GW), MSL 0.5 GW rising to 1.5 GW at
 * month 4, IaaS 0.25 GW at 12 x 0.75 (0.1875 $B a month). Idle after IaaS: 1.25, 1.0, 0.75,
 * 0.5, then 0.25. Every amount is exact in binary, so the discounted sums in month order are
 * the expected values to the last bit; at r = 0 they are capex_burden and revenue_total. */
static const char *const pv_text =
    "horizon_months = 12;\n"
    "supply = { tranches = ( { name = \"a\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
    "msl = { schedule = ( (0, 0.5), (4, 1.5) ); };\n"
    "iaas = { enabled = true; max_gw = 0.25; discount = 0.25; };\n"
    "market = { price0 = 12.0; };\n"
    "report = { discount_rate = %s; };\n";

static const cx_lane_kernels *const pv_tables[] = {
    &cx_lane_kernels_scalar,
#if defined(__x86_64__)
    &cx_lane_kernels_avx2, &cx_lane_kernels_avx512,
#endif
};
static const cx_simd pv_levels[] = { CX_SIMD_SCALAR, CX_SIMD_AVX2, CX_SIMD_AVX512 };

Test(model, present_value_exact)
{
    const double idle[12] = { 1.25, 1.0, 0.75, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25 };
    double burden_pv = 0.0, revenue_pv = 0.0;
    for (int t = 0; t < 12; t++) {
        double f = pow(1.1, -(t + 1) / 12.0);
        burden_pv += idle[t] * f;
        revenue_pv += 0.1875 * f;
    }
    /* 12 months: the last factor is 1 / 1.1 */
    NEAR(pow(1.1, -12 / 12.0), 1.0 / 1.1);
    int runs = 0;
    for (size_t i = 0; i < sizeof pv_tables / sizeof pv_tables[0]; i++) {
        if (!cx_simd_supported(pv_levels[i]))
            continue;
        char text[1024];
        fix f;
        subst1(text, sizeof text, pv_text, "0.1");
        fix_open(&f, text);
        f.m->k = pv_tables[i];
        const double *mt = run(&f);
        NEAR(mt[CX_M_CAPEX_BURDEN], 5.5);
        NEAR(mt[CX_M_REVENUE_TOTAL], 12 * 0.1875);
        cr_assert(eq(dbl, mt[CX_M_CAPEX_BURDEN_PV], burden_pv), "%s", pv_tables[i]->name);
        cr_assert(eq(dbl, mt[CX_M_REVENUE_TOTAL_PV], revenue_pv), "%s", pv_tables[i]->name);
        fix_close(&f);
        /* r = 0: the plain sums, bit for bit */
        subst1(text, sizeof text, pv_text, "0.0");
        fix_open(&f, text);
        f.m->k = pv_tables[i];
        mt = run(&f);
        cr_assert(eq(dbl, mt[CX_M_CAPEX_BURDEN_PV], mt[CX_M_CAPEX_BURDEN]));
        cr_assert(eq(dbl, mt[CX_M_REVENUE_TOTAL_PV], mt[CX_M_REVENUE_TOTAL]));
        NEAR(mt[CX_M_CAPEX_BURDEN_PV], 5.5);
        fix_close(&f);
        runs++;
    }
    cr_assert(ge(int, runs, 1));
}

/* Without report.discount_rate the scenario reports the base metrics only, and the present
 * values stay 0 on every path. */
Test(model, present_value_absent)
{
    fix f;
    fix_open(&f, "horizon_months = 3;\n"
                 "supply = { tranches = ( { name = \"a\"; gw = 1.0; cost_per_gw_year = 12.0; } ); };\n"
                 "market = { price0 = 12.0; };\n");
    const double *mt = run(&f);
    cr_assert(eq(int, cx_metric_count(f.sc), CX_N_BASE_METRICS));
    NEAR(mt[CX_M_CAPEX_BURDEN], 3.0);
    cr_assert(eq(dbl, mt[CX_M_CAPEX_BURDEN_PV], 0.0));
    cr_assert(eq(dbl, mt[CX_M_REVENUE_TOTAL_PV], 0.0));
    cr_assert(eq(str, (char *)cx_metric_names[CX_M_CAPEX_BURDEN_PV], "capex_burden_pv"));
    cr_assert(eq(str, (char *)cx_metric_names[CX_M_REVENUE_TOTAL_PV], "revenue_total_pv"));
    fix_close(&f);
}
