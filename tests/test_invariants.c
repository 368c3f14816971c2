/* SPDX-License-Identifier: MIT */
/* Model invariants checked every month of many paths of random and shipped scenarios. */

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "models/model.h"
#include "models/trace.h"
#include "sim/rng/pcg.h"
#include "sim/input/sampler.h"
#include "sim/input/scenario.h"

#define MAX_IDS 8192

static void setup_off(void)
{
    gsl_set_error_handler_off();
}

TestSuite(invariants, .init = setup_off);

/* Relative tolerance for sums of a few dozen terms. */
static double tol(double scale)
{
    return 1e-9 * fmax(1.0, fabs(scale));
}

/* Deal bookkeeping while replaying a path's events. */
typedef struct deal_log {
    int begin;     /* month it began, -1 if not yet */
    int end;       /* month it must be gone by (term or notice) */
    int ended;     /* month of its END event, -1 if none */
    int notices;
    int spot;      /* a spot deal (begins in step 7, after step 4's sums) */
    double gw;
    double rev_m;  /* what it earns a month (its EARN amount) */
} deal_log;

/*
 * Checks one path's trace against MODEL.md: capacity conservation, signs, revenue sums,
 * metrics = sums of the months, and that no deal earns outside [begin, end).
 */
static void check_path(const cx_scenario *sc, const double *x, const cx_path_result *res,
                       const cx_trace *tr, const char *what)
{
    const int H = sc->horizon_months;
    cr_assert(eq(int, tr->months, H));
    cr_assert(eq(int, tr->lost_events, 0), "%s: events lost", what);
    double burden = 0, rev[5] = { 0 }, idle = 0, idle_peak = 0, cost = 0, msl_short = 0;
    double oversold_peak = 0;
    for (int t = 0; t < H; t++) {
        const cx_trace_month *m = &tr->month[t];
        double used = m->iaas_gw + m->idle_gw;
        for (int u = 0; u < CX_N_USES; u++) {
            cr_assert(ge(dbl, m->alloc_gw[u], 0.0), "%s t=%d: alloc < 0", what, t);
            cr_assert(le(dbl, m->alloc_gw[u], m->demand_gw[u] + tol(m->demand_gw[u])),
                      "%s t=%d: use %d allocated %g > demand %g", what, t, u, m->alloc_gw[u],
                      m->demand_gw[u]);
            used += m->alloc_gw[u];
        }
        /* MODEL.md, steps 4-9: allocations + IaaS + idle = max(0, C - D); D includes the
         * spot deals signed this month (step 7 takes them from what is left). */
        double free_gw = fmax(0.0, m->capacity_gw - m->reserved_end_gw);
        cr_assert(le(dbl, fabs(used - free_gw), tol(m->capacity_gw)),
                  "%s t=%d: used %.17g != max(0, C - D) %.17g (C %g D %g)", what, t, used,
                  free_gw, m->capacity_gw, m->reserved_end_gw);
        cr_assert(ge(dbl, m->idle_gw, 0.0), "%s t=%d: idle < 0", what, t);
        cr_assert(ge(dbl, m->iaas_gw, 0.0));
        cr_assert(ge(dbl, m->burden_b, 0.0), "%s t=%d: burden < 0", what, t);
        cr_assert(ge(dbl, m->oversold_gw, 0.0));
        cr_assert(le(dbl, fabs(m->oversold_gw - fmax(0.0, m->reserved_gw - m->capacity_gw)),
                     tol(m->reserved_gw)));
        cr_assert(le(dbl, fabs(m->available_gw - fmax(0.0, m->capacity_gw - m->reserved_gw)),
                     tol(m->capacity_gw)));
        /* burden = idle x u / 12 */
        cr_assert(le(dbl, fabs(m->burden_b - m->idle_gw * m->unit_cost / 12.0),
                     tol(m->burden_b)));
        double parts = m->rev_deals_b + m->rev_taas_b + m->rev_iaas_b + m->rev_recsys_b;
        cr_assert(le(dbl, fabs(parts - m->rev_total_b), tol(m->rev_total_b)),
                  "%s t=%d: revenue streams %g != total %g", what, t, parts, m->rev_total_b);
        cr_assert(ge(dbl, m->rev_deals_b, 0.0));
        cr_assert(ge(dbl, m->rev_iaas_b, 0.0));
        /* the spot cap: all active deals, notice periods included, <= max_external_gw */
        if (m->spot_signed > 0)
            cr_assert(le(dbl, m->reserved_end_gw,
                         x[sc->deals.spot.max_external_gw] + tol(m->reserved_end_gw)),
                      "%s t=%d: external cap exceeded", what, t);
        burden += m->burden_b;
        rev[0] += m->rev_deals_b;
        rev[1] += m->rev_taas_b;
        rev[2] += m->rev_iaas_b;
        rev[3] += m->rev_recsys_b;
        rev[4] += m->rev_total_b;
        idle += m->idle_gw;
        idle_peak = fmax(idle_peak, m->idle_gw);
        cost += m->cost_b;
        msl_short += m->demand_gw[CX_USE_MSL] - m->alloc_gw[CX_USE_MSL];
        oversold_peak = fmax(oversold_peak, m->oversold_gw);
    }
    const double *mt = res->metric;
    cr_assert(le(dbl, fabs(mt[CX_M_CAPEX_BURDEN] - burden), tol(burden)), "%s", what);
    cr_assert(le(dbl, fabs(mt[CX_M_REVENUE_DEALS] - rev[0]), tol(rev[0])));
    cr_assert(le(dbl, fabs(mt[CX_M_REVENUE_TAAS] - rev[1]), tol(rev[1])));
    cr_assert(le(dbl, fabs(mt[CX_M_REVENUE_IAAS] - rev[2]), tol(rev[2])));
    cr_assert(le(dbl, fabs(mt[CX_M_REVENUE_RECSYS] - rev[3]), tol(rev[3])));
    cr_assert(le(dbl, fabs(mt[CX_M_REVENUE_TOTAL] - rev[4]), tol(rev[4])));
    double streams = mt[CX_M_REVENUE_DEALS] + mt[CX_M_REVENUE_TAAS] + mt[CX_M_REVENUE_IAAS] +
                     mt[CX_M_REVENUE_RECSYS];
    cr_assert(le(dbl, fabs(mt[CX_M_REVENUE_TOTAL] - streams), tol(streams)));
    cr_assert(le(dbl, fabs(mt[CX_M_COMMITTED_COST] - cost), tol(cost)));
    cr_assert(le(dbl, fabs(mt[CX_M_IDLE_GW_MEAN] - idle / H), tol(idle)));
    cr_assert(eq(dbl, mt[CX_M_IDLE_GW_PEAK], idle_peak));
    cr_assert(eq(dbl, mt[CX_M_OVERSOLD_GW_PEAK], oversold_peak));
    cr_assert(le(dbl, fabs(mt[CX_M_MSL_SHORTFALL] - msl_short / 12.0), tol(msl_short)));
    cr_assert(ge(dbl, mt[CX_M_CAPEX_BURDEN], 0.0));
    /* the last quarter's cumulative burden is the path's burden */
    int q = (H + 2) / 3;
    cr_assert(le(dbl, fabs(res->quarter[CX_Q_BURDEN_CUMULATIVE][q - 1] - burden), tol(burden)));

    /* Deal events: no deal earns before it begins, after its end month, or after END. */
    static deal_log dlog[MAX_IDS];
    static int begun[MAX_IDS]; /* deal ids in the order they began: their slots' order */
    for (int i = 0; i < MAX_IDS; i++)
        dlog[i] = (deal_log){ -1, 1 << 30, -1, 0, 0, 0.0, -1.0 };
    int n_buyer = 0, n_owner = 0, n_begin = 0;
    double earn_month[CX_MAX_HORIZON] = { 0 };
    for (int i = 0; i < tr->n_events; i++) {
        const cx_trace_event *e = &tr->events[i];
        cr_assert(lt(int, e->deal, MAX_IDS));
        deal_log *d = &dlog[e->deal];
        if (i > 0)
            cr_assert(ge(int, e->month, tr->events[i - 1].month), "events out of order");
        switch (e->kind) {
        case CX_EV_BEGIN:
            cr_assert(eq(int, d->begin, -1), "%s: deal %d begins twice", what, e->deal);
            d->begin = e->month;
            d->end = e->end_month;
            d->spot = e->spot;
            d->gw = e->gw;
            begun[n_begin] = e->deal;
            n_begin++;
            break;
        case CX_EV_NOTICE_BUYER:
        case CX_EV_NOTICE_OWNER:
            cr_assert(ge(int, d->begin, 0));
            cr_assert(eq(int, d->ended, -1));
            cr_assert(eq(int, d->notices, 0), "%s: deal %d noticed twice", what, e->deal);
            /* notice never ends a deal before the month after it is given */
            cr_assert(gt(int, e->end_month, e->month));
            cr_assert(le(int, e->end_month, d->end));
            d->end = e->end_month;
            d->notices++;
            if (e->kind == CX_EV_NOTICE_BUYER) {
                /* spot deals get their first counterparty draw the month after signing */
                if (e->spot)
                    cr_assert(gt(int, e->month, d->begin));
                n_buyer++;
            } else {
                n_owner++;
            }
            break;
        case CX_EV_END:
            cr_assert(ge(int, d->begin, 0));
            cr_assert(eq(int, e->month, d->end), "%s: deal %d ended at %d, due %d", what,
                      e->deal, e->month, d->end);
            d->ended = e->month;
            break;
        case CX_EV_EARN:
            cr_assert(ge(int, d->begin, 0), "%s: deal %d earns before it begins", what, e->deal);
            cr_assert(ge(int, e->month, d->begin));
            cr_assert(lt(int, e->month, d->end), "%s: deal %d earns at %d after its end %d",
                      what, e->deal, e->month, d->end);
            cr_assert(eq(int, d->ended, -1), "%s: deal %d earns after END", what, e->deal);
            cr_assert(ge(dbl, e->amount, 0.0));
            cr_assert(d->rev_m < 0.0 || d->rev_m == e->amount, "%s: deal %d earns unevenly", what,
                      e->deal);
            d->rev_m = e->amount;
            earn_month[e->month] += e->amount;
            break;
        }
    }
    /* every deal whose end falls inside the horizon is removed exactly then */
    for (int i = 0; i < MAX_IDS; i++)
        if (dlog[i].begin >= 0 && dlog[i].end < H)
            cr_assert(eq(int, dlog[i].ended, dlog[i].end), "%s: deal %d not removed", what, i);
    for (int t = 0; t < H; t++)
        cr_assert(le(dbl, fabs(earn_month[t] - tr->month[t].rev_deals_b),
                     tol(earn_month[t])), "%s t=%d: deal revenue != sum of deals", what, t);
    /* Step 4's sums, bit for bit: the reserved GW of month t is the sum, from 0 and in the
     * order the deals began, of the deals that have begun (a spot deal signed in month t
     * only from t + 1) and not ended; the deals' revenue of the month is that sum of their
     * monthly revenue plus the sum of the spot deals signed in month t. */
    for (int t = 0; t < H; t++) {
        double gw = 0.0, drev = 0.0, spot_rev = 0.0;
        for (int k = 0; k < n_begin; k++) {
            const deal_log *d = &dlog[begun[k]];
            if (d->ended >= 0 && d->ended <= t)
                continue;
            if (d->begin < t || (d->begin == t && !d->spot)) {
                gw += d->gw;
                drev += d->rev_m;
            } else if (d->begin == t) {
                spot_rev += d->rev_m;
            }
        }
        cr_assert(eq(dbl, tr->month[t].reserved_gw, gw), "%s t=%d: reserved GW", what, t);
        cr_assert(eq(dbl, tr->month[t].rev_deals_b, drev + spot_rev), "%s t=%d: deal revenue",
                  what, t);
    }
    cr_assert(eq(dbl, mt[CX_M_DEALS_CANCELLED], (double)n_buyer));
    cr_assert(eq(dbl, mt[CX_M_DEALS_CLAWED_BACK], (double)n_owner));
    cr_assert(le(dbl, mt[CX_M_DEALS_SIGNED], (double)n_begin));
}

/* Runs n paths with inputs drawn by the scenario's sampler and checks each. */
static void check_scenario(const cx_scenario *sc, int n, uint64_t seed, const char *what)
{
    char err[512];
    cx_model *m = NULL;
    cx_scratch *s = NULL;
    cx_trace *tr = NULL;
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0), "%s: %s", what, err);
    cr_assert(eq(int, cx_scratch_new(&s, m), 0));
    cr_assert(eq(int, cx_trace_new(&tr, 200000), 0));
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cx_pcg64_stream(cx_rng_pcg64(r), seed, 0);
    double *x = calloc((size_t)sc->n_inputs + 1, sizeof(double));
    double *work = calloc((size_t)cx_sampler_work_size(sc->sampler) + 1, sizeof(double));
    cx_path_result res;
    for (int p = 0; p < n; p++) {
        cx_sampler_draw(sc->sampler, r, x, work);
        cx_model_path(m, x, r, s, &res, tr);
        check_path(sc, x, &res, tr, what);
        /* the same inputs and stream state without a trace give the same metrics */
    }
    free(work);
    free(x);
    gsl_rng_free(r);
    cx_trace_free(tr);
    cx_scratch_free(s);
    cx_model_free(m);
}

Test(invariants, shipped_configs)
{
    const char *names[] = { "meta-2026h1", "spacex-2026", "stress" };
    for (int i = 0; i < 3; i++) {
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/configs/%s.cfg", CX_SOURCE_ROOT, names[i]);
        cx_scenario *sc = NULL;
        cr_assert(eq(int, cx_scenario_load(&sc, path, err, sizeof err), 0), "%s", err);
        check_scenario(sc, 2000, 11 + (uint64_t)i, names[i]);
        cx_scenario_free(sc);
    }
}

/* A trace must not change results: the path with and without one gives the same metrics
 * bit for bit from the same stream. */
Test(invariants, trace_does_not_change_results)
{
    char err[512];
    cx_scenario *sc = NULL;
    cr_assert(eq(int, cx_scenario_load_default(&sc, err, sizeof err), 0), "%s", err);
    cx_model *m = NULL;
    cx_scratch *s = NULL;
    cx_trace *tr = NULL;
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0));
    cr_assert(eq(int, cx_scratch_new(&s, m), 0));
    cr_assert(eq(int, cx_trace_new(&tr, 200000), 0));
    gsl_rng *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    double *x = calloc((size_t)sc->n_inputs, sizeof(double));
    double *work = calloc((size_t)cx_sampler_work_size(sc->sampler) + 1, sizeof(double));
    for (int p = 0; p < 500; p++) {
        cx_pcg64_stream(cx_rng_pcg64(r1), 5, (uint64_t)p);
        cx_sampler_draw(sc->sampler, r1, x, work);
        *cx_rng_pcg64(r2) = *cx_rng_pcg64(r1);
        cx_path_result a, b;
        cx_model_path(m, x, r1, s, &a, NULL);
        cx_model_path(m, x, r2, s, &b, tr);
        for (int k = 0; k < CX_N_METRICS; k++)
            cr_assert(eq(dbl, a.metric[k], b.metric[k]), "metric %s", cx_metric_names[k]);
        for (int q = 0; q < cx_model_quarters(m); q++)
            for (int k = 0; k < CX_N_QSERIES; k++)
                cr_assert(eq(dbl, a.quarter[k][q], b.quarter[k][q]));
    }
    free(work);
    free(x);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    cx_trace_free(tr);
    cx_scratch_free(s);
    cx_model_free(m);
    cx_scenario_free(sc);
}

/* ---- random scenario texts ---- */

typedef struct buf {
    char s[16384];
    size_t n;
} buf;

__attribute__((format(printf, 2, 3))) static void put(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    cr_assert(k >= 0 && (size_t)k < sizeof b->s - b->n, "scenario text too long");
    b->n += (size_t)k;
}

static double unif(gsl_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * gsl_rng_uniform(r);
}

static int pick(gsl_rng *r, int lo, int hi)
{
    return lo + (int)gsl_rng_uniform_int(r, (unsigned long)(hi - lo + 1));
}

static bool coin(gsl_rng *r, double p)
{
    return gsl_rng_uniform(r) < p;
}

/* A number or, sometimes, a distribution around it (a month value is then random). */
static void num(buf *b, gsl_rng *r, double lo, double hi)
{
    double v = unif(r, lo, hi);
    if (coin(r, 0.3) && hi > lo)
        put(b, "{ dist = \"uniform\"; low = %.6g; high = %.6g; }", lo, hi);
    else
        put(b, "%.6g", v);
}

/* One random scenario covering every part of MODEL.md. */
static void random_scenario(buf *b, gsl_rng *r)
{
    b->n = 0;
    int H = pick(r, 1, 40);
    put(b, "horizon_months = %d;\nsupply = { tranches = (\n", H);
    int nt = pick(r, 1, 5);
    for (int i = 0; i < nt; i++) {
        put(b, "  { name = \"t%d\"; kind = \"%s\"; gw = ", i,
            (const char *[]){ "owned", "colo", "neocloud" }[pick(r, 0, 2)]);
        num(b, r, 0.0, 3.0);
        put(b, "; cost_per_gw_year = ");
        num(b, r, 0.0, 20.0);
        put(b, "; start_month = %d; delay_months = ", pick(r, 0, H));
        num(b, r, -2.0, 6.0);
        if (coin(r, 0.5)) {
            put(b, "; term_months = ");
            num(b, r, 1.0, (double)H + 2.0);
        }
        put(b, "; }%s\n", i + 1 < nt ? "," : "");
    }
    put(b, "); };\n");
    if (coin(r, 0.8)) {
        int np = pick(r, 1, 4), mo = pick(r, 0, 5);
        put(b, "msl = { schedule = ( ");
        for (int k = 0; k < np; k++) {
            put(b, "(%d, ", mo);
            num(b, r, 0.0, 4.0);
            put(b, ")%s", k + 1 < np ? ", " : " ");
            mo += pick(r, 1, 15);
        }
        put(b, "); p_success = ");
        num(b, r, 0.0, 1.0);
        put(b, "; decision_month = ");
        num(b, r, 0.0, (double)H);
        put(b, "; success_multiplier = ");
        num(b, r, 0.0, 2.5);
        put(b, "; failure_multiplier = ");
        num(b, r, 0.0, 1.5);
        put(b, "; clawback = %s; };\n", coin(r, 0.8) ? "true" : "false");
    }
    if (coin(r, 0.6)) {
        put(b, "recsys = { base_gw = ");
        num(b, r, 0.1, 1.0);
        put(b, "; scale_multiple = ");
        num(b, r, 0.5, 20.0);
        put(b, "; ramp_months = ");
        num(b, r, -2.0, 30.0);
        put(b, "; ad_revenue_base = ");
        num(b, r, 0.0, 300.0);
        put(b, "; uplift_per_doubling = ");
        num(b, r, 0.0, 0.1);
        put(b, "; clawback = %s; };\n", coin(r, 0.3) ? "true" : "false");
    }
    if (coin(r, 0.6)) {
        put(b, "taas = { p_launch = ");
        num(b, r, 0.0, 1.0);
        put(b, "; launch_month = ");
        num(b, r, 0.0, (double)H);
        put(b, "; target_gw = ");
        num(b, r, 0.0, 2.0);
        put(b, "; ramp_months = ");
        num(b, r, -2.0, 20.0);
        put(b, "; revenue_per_gw_year = ");
        num(b, r, 0.0, 40.0);
        put(b, "; clawback = %s; };\n", coin(r, 0.3) ? "true" : "false");
    }
    put(b, "market = { price0 = ");
    num(b, r, 5.0, 20.0);
    put(b, "; drift = ");
    num(b, r, -0.8, 0.5);
    put(b, "; vol = ");
    num(b, r, 0.0, 0.6);
    put(b, "; };\n");
    put(b, "deals = {\n");
    int nd = pick(r, 0, 5);
    if (nd > 0) {
        put(b, "  signed = (\n");
        for (int i = 0; i < nd; i++) {
            put(b, "    { name = \"d%d\"; p_signed = ", i);
            num(b, r, 0.0, 1.0);
            put(b, "; start_month = ");
            num(b, r, 0.0, (double)H);
            put(b, "; gw = ");
            num(b, r, 0.05, 1.5);
            put(b, "; price_per_gw_year = ");
            num(b, r, 5.0, 60.0);
            if (coin(r, 0.6)) {
                put(b, "; term_months = ");
                num(b, r, 1.0, (double)H);
            }
            put(b, "; cancellable = %s; notice_days = ", coin(r, 0.7) ? "true" : "false");
            num(b, r, 1.0, 200.0);
            put(b, "; }%s\n", i + 1 < nd ? "," : "");
        }
        put(b, "  );\n");
    }
    if (coin(r, 0.6)) {
        put(b, "  spot = { start_month = ");
        num(b, r, 0.0, (double)H);
        put(b, "; offers_per_month = ");
        num(b, r, 0.0, coin(r, 0.2) ? 20.0 : 2.0);
        double lo = unif(r, 0.02, 0.3);
        put(b, "; gw = { dist = \"uniform\"; low = %.6g; high = %.6g; }", lo, lo + unif(r, 0, 0.6));
        put(b, "; premium = { dist = \"triangular\"; low = 1.0; mode = 2.5; high = 4.0; }");
        if (coin(r, 0.6)) {
            put(b, "; term_months = ");
            num(b, r, 1.0, (double)H);
        }
        put(b, "; notice_days = ");
        num(b, r, 1.0, 200.0);
        if (coin(r, 0.7)) {
            put(b, "; max_external_gw = ");
            num(b, r, 0.0, 3.0);
        }
        put(b, "; };\n");
    }
    put(b, "  hazard_base = ");
    num(b, r, 0.0, coin(r, 0.1) ? 1.0 : 0.1);
    put(b, "; hazard_price = ");
    num(b, r, 0.0, 2.0);
    put(b, ";\n};\n");
    if (coin(r, 0.6)) {
        put(b, "iaas = { enabled = true; discount = ");
        num(b, r, 0.0, 0.5);
        if (coin(r, 0.5)) {
            put(b, "; max_gw = ");
            num(b, r, 0.0, 2.0);
        }
        put(b, "; };\n");
    }
    const char *u[] = { "\"msl\"", "\"recsys\"", "\"taas\"" };
    int a = pick(r, 0, 2), c = pick(r, 0, 1);
    int o[3] = { a, (a + 1 + c) % 3, (a + 2 - c) % 3 };
    put(b, "allocation = { priority = [ %s, %s, %s ]; };\n", u[o[0]], u[o[1]], u[o[2]]);
}

Test(invariants, random_scenarios)
{
    gsl_rng *g = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cx_pcg64_stream(cx_rng_pcg64(g), 2026, 0);
    static buf b;
    for (int i = 0; i < 400; i++) {
        random_scenario(&b, g);
        char err[512], name[32];
        snprintf(name, sizeof name, "random-%d", i);
        cx_scenario *sc = NULL;
        int rc = cx_scenario_load_string(&sc, b.s, name, err, sizeof err);
        cr_assert(eq(int, rc, 0), "%s\n%s", err, b.s);
        check_scenario(sc, 40, 100 + (uint64_t)i, name);
        cx_scenario_free(sc);
    }
    gsl_rng_free(g);
}
