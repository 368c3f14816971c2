/* SPDX-License-Identifier: MIT */
/* Tests of the optimize group and study (issue 21): known optima, sweeps, threads, bad groups. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/report.h"
#include "sim/study/optimize.h"
#include "sim/study/sweep.h"

static void setup(void)
{
    gsl_set_error_handler_off();
}

/*
 * Tranche a's size is uncertain (1 to 5 GW), b and c are fixed numbers (the decisions), MSL
 * uses 1 GW: every path's burden grows with b and c (more idle capacity at a fixed cost), so
 * the mean burden rises with them until a cap on the burden's P95 binds. Burden is the
 * objective here only because it is monotone in the decisions in a way that is known.
 */
#define SMALL                                                                                     \
    "horizon_months = 12;\n"                                                                      \
    "supply = { tranches = (\n"                                                                   \
    "  { name = \"a\"; gw = { dist = \"uniform\"; low = 1.0; high = 5.0; }; cost_per_gw_year = 10.0; },\n" \
    "  { name = \"b\"; gw = 0.5; cost_per_gw_year = 10.0; },\n"                                    \
    "  { name = \"c\"; gw = 1.0; cost_per_gw_year = 14.0; } ); };\n"                               \
    "msl = { schedule = ( (0, 1.0) ); };\n"                                                       \
    "market = { price0 = 12.0; drift = { dist = \"uniform\"; low = -0.2; high = 0.2; }; vol = 0.2; };\n"

static cx_scenario *load(const char *text)
{
    cx_scenario *sc = NULL;
    char err[1024] = "";
    int rc = cx_scenario_load_string(&sc, text, "opt.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    return sc;
}

static void opts(cx_opt_opts *o, const cx_scenario *sc, uint64_t paths, int threads)
{
    memset(o, 0, sizeof *o);
    cx_engine_opts_init(&o->engine, sc);
    o->engine.paths = paths;
    o->engine.seed = 11;
    o->engine.threads = threads;
}

/* The statistics of the scenario at x on the search sample of o. */
static void eval_at(const cx_scenario *sc, const cx_opt_opts *o, const double *x,
                    cx_opt_check *chk)
{
    cx_opt_evaluator *ev;
    char err[512] = "";
    cr_assert(eq(int, cx_opt_evaluator_new(&ev, sc, &o->engine, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, cx_opt_eval_at(ev, x, chk), 0));
    cx_opt_evaluator_free(ev);
}

/*
 * 1-D: maximise mean burden in b's size subject to burden P95 <= B. On a fixed sample every
 * path's burden rises with b (b idles at 10 $B/GW-yr), so the sample P95 is increasing in b
 * and the bound binds at the b* where P95(b*) = B: found here by bisection on the same seed's
 * evaluations, independently of the optimiser.
 */
Test(optimize, one_decision_stops_where_the_percentile_binds, .init = setup)
{
    cx_scenario *sc = load(SMALL
        "optimize = { decisions = ( { input = \"supply.tranches.b.gw\"; low = 0.0; high = 4.0; } );\n"
        "  objective = { metric = \"capex_burden\"; stat = \"mean\"; sense = \"max\"; };\n"
        "  constraints = ( { metric = \"capex_burden\"; stat = \"p95\"; max = 75.0; } ); };\n");
    cx_opt_opts o;
    opts(&o, sc, 4096, 2);
    cx_opt_evaluator *ev;
    char err[512] = "";
    cr_assert(eq(int, cx_opt_evaluator_new(&ev, sc, &o.engine, err, sizeof err), 0), "%s", err);
    cx_opt_check c;
    double lo = 0.0, hi = 4.0, prev = -INFINITY;
    for (int k = 0; k <= 8; k++) { /* the premise: P95 and the mean increase with b */
        double x = 0.5 * k;
        cr_assert(eq(int, cx_opt_eval_at(ev, &x, &c), 0));
        cr_assert(gt(dbl, c.stat[1].value, prev));
        prev = c.stat[1].value;
    }
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (lo + hi);
        cr_assert(eq(int, cx_opt_eval_at(ev, &mid, &c), 0));
        if (c.stat[1].value <= 75.0) lo = mid;
        else hi = mid;
    }
    double xstar = lo;
    cr_assert(eq(int, cx_opt_eval_at(ev, &xstar, &c), 0));
    double mean_star = c.stat[0].value;
    cx_opt_evaluator_free(ev);
    cr_assert(gt(dbl, xstar, 0.2));
    cr_assert(lt(dbl, xstar, 3.8));
    cx_opt_result *r;
    cr_assert(eq(int, cx_opt_run(&r, sc, &o, err, sizeof err), 0), "%s", err);
    cr_assert(r->found);
    cr_assert(eq(str, (char *)r->method, "cobyla"));
    /* within the decision's resolution (COBYLA's step tolerance, 1e-4 of the 4 GW box) */
    cr_assert(le(dbl, r->best.x[0], xstar + 1e-9), "best %.9g, b* %.9g", r->best.x[0], xstar);
    cr_assert(gt(dbl, r->best.x[0], xstar - 4e-4), "best %.9g, b* %.9g", r->best.x[0], xstar);
    cr_assert(le(dbl, r->best.stat[1], 75.0));
    /* the objective: the mean at b*, less at most 11 $B a GW of the gap */
    cr_assert(le(dbl, r->best.stat[0], mean_star + 1e-9));
    cr_assert(ge(dbl, r->best.stat[0], mean_star - 11 * (xstar - r->best.x[0]) - 1e-9));
    /* the check ran on a fresh seed: the baseline (b = 0.5) is there with CIs */
    cr_assert(r->checked);
    cr_assert(eq(dbl, r->base_chk.x[0], 0.5));
    cr_assert(le(dbl, r->best_chk.stat[0].lo, r->best_chk.stat[0].value));
    cr_assert(ge(dbl, r->best_chk.stat[0].hi, r->best_chk.stat[0].value));
    cr_assert(gt(dbl, r->diff_base[0].lo, 0.0)); /* a clear gain over b = 0.5 */
    cx_opt_result_free(r);
    cx_scenario_free(sc);
}

/* 2-D integer grid on b (0..3) and c (0..4), burden P95 <= B: the search and a sweep of the
 * same grid on the same seed agree on the point and the objective. */
static const char *grid_cfg(double bound)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, SMALL
        "optimize = { decisions = (\n"
        "    { input = \"supply.tranches.b.gw\"; low = 0.0; high = 3.0; integer = true; },\n"
        "    { input = \"supply.tranches.c.gw\"; low = 0.0; high = 4.0; integer = true; } );\n"
        "  objective = { metric = \"capex_burden\"; stat = \"mean\"; sense = \"max\"; };\n"
        "  constraints = ( { metric = \"capex_burden\"; stat = \"p95\"; max = %.17g; } ); };\n"
        "sweep = { inputs = ( { name = \"supply.tranches.b.gw\"; values = [0, 1, 2, 3]; },\n"
        "                     { name = \"supply.tranches.c.gw\"; values = [0, 1, 2, 3, 4]; } ); };\n",
        bound);
    return buf;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

Test(optimize, integer_grid_matches_the_sweep, .init = setup)
{
    cx_scenario *sc = load(grid_cfg(100.0));
    cx_opt_opts o;
    opts(&o, sc, 4096, 2);
    char err[512] = "";
    cx_sweep_report *sw;
    cr_assert(eq(int, cx_sweep_run(&sw, sc, &o.engine, CX_SAMPLING_MC, false, err, sizeof err), 0),
              "%s", err);
    cr_assert(eq(int, sw->n_points, 20));
    /* a bound halfway between two of the grid's P95s, so that the sketch's 0.1% error in the
     * sweep's P95 cannot move a point across it */
    double p95[20];
    for (int i = 0; i < 20; i++)
        p95[i] = sw->pt[i].report->metric[CX_M_CAPEX_BURDEN].pct[7];
    qsort(p95, 20, sizeof *p95, cmp_dbl);
    double bound = 0.5 * (p95[9] + p95[10]);
    cr_assert(gt(dbl, p95[10] - p95[9], 0.004 * p95[10]));
    cx_scenario_free(sc);
    sc = load(grid_cfg(bound));
    int best = -1;
    for (int i = 0; i < 20; i++) {
        const cx_metric_stats *m = &sw->pt[i].report->metric[CX_M_CAPEX_BURDEN];
        if (m->pct[7] <= bound && (best < 0 || m->mean > sw->pt[best].report->metric[0].mean))
            best = i;
    }
    cr_assert(ge(int, best, 0));
    for (int pass = 0; pass < 2; pass++) {
        o.enum_max = pass == 0 ? 0 : -1; /* enumeration, then COBYLA with rounding */
        o.starts = 4;
        cx_opt_result *r;
        cr_assert(eq(int, cx_opt_run(&r, sc, &o, err, sizeof err), 0), "%s", err);
        cr_assert(eq(str, (char *)r->method, pass == 0 ? "enumeration" : "cobyla+rounding"));
        cr_assert(r->found);
        cr_assert(eq(dbl, r->best.x[0], sw->pt[best].value[0]), "pass %d: b %g vs %g", pass,
                  r->best.x[0], sw->pt[best].value[0]);
        cr_assert(eq(dbl, r->best.x[1], sw->pt[best].value[1]), "pass %d: c %g vs %g", pass,
                  r->best.x[1], sw->pt[best].value[1]);
        double want = sw->pt[best].report->metric[CX_M_CAPEX_BURDEN].mean;
        cr_assert(lt(dbl, fabs(r->best.stat[0] - want), 1e-9 * fabs(want)));
        if (pass == 0) {
            cr_assert(eq(u64, r->evaluations, 20 + 1)); /* the grid and the baseline */
            cr_assert(r->has_runner);
        }
        cx_opt_result_free(r);
    }
    cx_sweep_report_free(sw);
    cx_scenario_free(sc);
}

/* An evaluation is, statistic for statistic, a separate run of the scenario with the
 * decisions fixed (the model built once at the decisions' highs changes nothing). */
Test(optimize, evaluation_equals_a_fixed_run, .init = setup)
{
    cx_scenario *sc = load(grid_cfg(100.0));
    cx_opt_opts o;
    opts(&o, sc, 3000, 1);
    double x[2] = {2.0, 1.0};
    cx_opt_check chk;
    eval_at(sc, &o, x, &chk);
    cx_scenario *s1, *s2;
    cr_assert(eq(int, cx_scenario_with_fixed(&s1, sc, sc->optimize->decision[0].input, 2.0), 0));
    cr_assert(eq(int, cx_scenario_with_fixed(&s2, s1, sc->optimize->decision[1].input, 1.0), 0));
    cx_run *run;
    char err[512] = "";
    cr_assert(eq(int, cx_sens_engine_run(&run, s2, &o.engine, CX_SAMPLING_MC, false, err,
                                         sizeof err), 0), "%s", err);
    cx_report *rep;
    cr_assert(eq(int, cx_report_new(&rep, run->accum), 0));
    double mean = rep->metric[CX_M_CAPEX_BURDEN].mean;
    cr_assert(lt(dbl, fabs(chk.stat[0].value - mean), 1e-12 * fabs(mean)));
    /* the report's P95 is the exact order statistic within the sketch's relative error */
    cr_assert(lt(dbl, fabs(chk.stat[1].value / rep->metric[CX_M_CAPEX_BURDEN].pct[7] - 1), 2e-3));
    cx_report_free(rep);
    cx_run_free(run);
    cx_scenario_free(s2);
    cx_scenario_free(s1);
    cx_scenario_free(sc);
}

/* The decisions on the default scenario with the spot cap and the IaaS limit set to
 * numbers: deal slots sized from the decisions' highs give the same paths as a model built at
 * the point itself (slots sized from the point's value). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(not(eq(ptr, f, NULL)), "%s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void replace(char *text, const char *from, const char *to)
{
    char *p = strstr(text, from);
    cr_assert(not(eq(ptr, p, NULL)), "%s", from);
    size_t lf = strlen(from), lt = strlen(to);
    cr_assert(le(sz, lt, lf));
    memcpy(p, to, lt);
    memset(p + lt, ' ', lf - lt);
}

Test(optimize, spot_cap_decision_equals_a_fixed_run, .init = setup)
{
    static char text[1 << 17];
    snprintf(text, sizeof text, "%s", read_text(CX_SOURCE_ROOT "/configs/meta-2026h1.cfg"));
    replace(text, "max_external_gw = { dist = \"uniform\"; low = 1.0; high = 2.5; };",
            "max_external_gw = 1.5;");
    replace(text, "max_gw = { dist = \"pert\"; low = 0.3; mode = 1.0; high = 2.5; };",
            "max_gw = 1.0;");
    strcat(text, "optimize = { decisions = (\n"
                 "  { input = \"deals.spot.max_external_gw\"; low = 0.0; high = 4.0; },\n"
                 "  { input = \"iaas.max_gw\"; low = 0.0; high = 2.5; } );\n"
                 "  objective = { metric = \"revenue_total\"; stat = \"mean\"; sense = \"max\"; };\n"
                 "  constraints = ( { metric = \"msl_shortfall\"; stat = \"mean\"; max = 0.05; } ); };\n");
    cx_scenario *sc = load(text);
    cx_opt_opts o;
    opts(&o, sc, 2048, 2);
    double x[2] = {0.7, 2.0};
    cx_opt_check chk;
    eval_at(sc, &o, x, &chk);
    cx_scenario *s1, *s2;
    cr_assert(eq(int, cx_scenario_with_fixed(&s1, sc, sc->optimize->decision[0].input, x[0]), 0));
    cr_assert(eq(int, cx_scenario_with_fixed(&s2, s1, sc->optimize->decision[1].input, x[1]), 0));
    cx_run *run;
    char err[512] = "";
    cr_assert(eq(int, cx_sens_engine_run(&run, s2, &o.engine, CX_SAMPLING_MC, false, err,
                                         sizeof err), 0), "%s", err);
    cx_report *rep;
    cr_assert(eq(int, cx_report_new(&rep, run->accum), 0));
    double rev = rep->metric[CX_M_REVENUE_TOTAL].mean, sh = rep->metric[CX_M_MSL_SHORTFALL].mean;
    cr_assert(lt(dbl, fabs(chk.stat[0].value - rev), 1e-12 * fabs(rev)));
    cr_assert(le(dbl, fabs(chk.stat[1].value - sh), 1e-12 * fabs(sh) + 1e-15));
    cx_report_free(rep);
    cx_run_free(run);
    cx_scenario_free(s2);
    cx_scenario_free(s1);
    cx_scenario_free(sc);
}

/* A signed deal's cancellable switch as a 0/1 decision: the evaluation with the switch off
 * equals a run of the scenario written with cancellable = false. */
Test(optimize, cancellable_switch_equals_the_scenario_written_so, .init = setup)
{
    static char text[1 << 17], off[1 << 17];
    snprintf(text, sizeof text, "%s", read_text(CX_SOURCE_ROOT "/configs/meta-2026h1.cfg"));
    snprintf(off, sizeof off, "%s", text);
    replace(off, "cancellable = true; ", "cancellable = false;"); /* premium-200mw's */
    strcat(text, "optimize = { decisions = (\n"
                 "  { input = \"deals.signed.premium-200mw.gw\"; low = 0.0; high = 2.0; },\n"
                 "  { input = \"deals.signed.premium-200mw.cancellable\"; } );\n"
                 "  objective = { metric = \"revenue_total\"; stat = \"mean\"; sense = \"max\"; };\n"
                 "  constraints = ( { metric = \"msl_shortfall\"; stat = \"p99\"; max = 0.5; } ); };\n");
    cx_scenario *sc = load(text), *sc_off = load(off);
    cr_assert(eq(int, sc->optimize->decision[1].switch_deal, 0));
    cr_assert(sc->optimize->decision[1].integer);
    char name[256];
    cr_assert(eq(str, (char *)cx_opt_decision_name(sc, 1, name, sizeof name),
                 "deals.signed.premium-200mw.cancellable"));
    cx_opt_opts o;
    opts(&o, sc, 2048, 2);
    double x_off[2] = {0.5, 0.0}, x_on[2] = {0.5, 1.0};
    cx_opt_check c_off, c_on;
    eval_at(sc, &o, x_off, &c_off);
    eval_at(sc, &o, x_on, &c_on);
    cx_scenario *fixed;
    cr_assert(eq(int, cx_scenario_with_fixed(&fixed, sc_off, sc->optimize->decision[0].input, 0.5), 0));
    cx_run *run;
    char err[512] = "";
    cr_assert(eq(int, cx_sens_engine_run(&run, fixed, &o.engine, CX_SAMPLING_MC, false, err,
                                         sizeof err), 0), "%s", err);
    cx_report *rep;
    cr_assert(eq(int, cx_report_new(&rep, run->accum), 0));
    double rev = rep->metric[CX_M_REVENUE_TOTAL].mean;
    cr_assert(lt(dbl, fabs(c_off.stat[0].value - rev), 1e-12 * fabs(rev)));
    cr_assert(not(eq(dbl, c_on.stat[0].value, c_off.stat[0].value))); /* the switch matters */
    /* and the whole search runs over it: 1 continuous and 1 switch decision */
    cx_opt_result *r;
    o.max_evals = 20;
    o.starts = 2;
    cr_assert(eq(int, cx_opt_run(&r, sc, &o, err, sizeof err), 0), "%s", err);
    cr_assert(eq(str, (char *)r->method, "cobyla+rounding"));
    cr_assert(r->best.x[1] == 0.0 || r->best.x[1] == 1.0);
    cx_opt_result_free(r);
    cx_report_free(rep);
    cx_run_free(run);
    cx_scenario_free(fixed);
    cx_scenario_free(sc_off);
    cx_scenario_free(sc);
}

/* The JSON without its timing object, at T threads. */
static char *json_at(const cx_scenario *sc, int threads, int frontier)
{
    cx_opt_opts o;
    opts(&o, sc, 3000, threads);
    o.frontier = frontier;
    cx_opt_result *r;
    char err[512] = "";
    cr_assert(eq(int, cx_opt_run(&r, sc, &o, err, sizeof err), 0), "%s", err);
    json_t *j = cx_opt_result_json(r, sc);
    cr_assert(not(eq(ptr, j, NULL)));
    json_object_del(j, "timing");
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(j);
    cx_opt_result_free(r);
    return s;
}

Test(optimize, same_json_at_one_and_two_threads, .init = setup)
{
    cx_scenario *sc = load(SMALL
        "optimize = { decisions = ( { input = \"supply.tranches.b.gw\"; low = 0.0; high = 4.0; },\n"
        "  { input = \"supply.tranches.c.gw\"; low = 0.0; high = 2.0; integer = true; } );\n"
        "  objective = { metric = \"capex_burden\"; stat = \"mean\"; sense = \"max\"; };\n"
        "  constraints = ( { metric = \"capex_burden\"; stat = \"p90\"; max = 75.0; },\n"
        "    { metric = \"idle_gw_mean\"; stat = \"cvar95\"; max = 9.0; },\n"
        "    { metric = \"capex_burden\"; stat = \"p_exceed\"; threshold = 80.0; max = 0.2; } ); };\n");
    char *a = json_at(sc, 1, 3), *b = json_at(sc, 2, 3);
    cr_assert(eq(str, a, b));
    cr_assert(not(eq(ptr, strstr(a, "\"frontier\""), NULL)));
    free(a);
    free(b);
    cx_scenario_free(sc);
}

/* ---- bad optimize groups: one line naming the file, line and key ---- */

typedef struct bad_case {
    const char *text, *msg;
} bad_case;

#define DEC "decisions = ( { input = \"supply.tranches.b.gw\"; low = 0.0; high = 4.0; } ); "
#define OBJ "objective = { metric = \"capex_burden\"; stat = \"mean\"; sense = \"max\"; }; "

static const bad_case cases[] = {
    {SMALL "optimize = { decisions = ( { input = \"supply.tranches.d.gw\"; low = 0.0; high = 1.0; } ); " OBJ "};\n",
     "opt.cfg:8: optimize.decisions[0].input: unknown input \"supply.tranches.d.gw\" (did you mean "
     "'supply.tranches.a.gw'?)"},
    {SMALL "optimize = { decisions = ( { input = \"supply.tranches.a.gw\"; low = 0.0; high = 1.0; } ); " OBJ "};\n",
     "opt.cfg:8: optimize.decisions[0].input: \"supply.tranches.a.gw\" is a distribution in the "
     "scenario: a decision must be a fixed number (set it to one, e.g. supply.tranches.a.gw = 3)"},
    {SMALL "optimize = { decisions = ( { input = \"supply.tranches.b.gw\"; low = 2.0; high = 1.0; } ); " OBJ "};\n",
     "opt.cfg:8: optimize.decisions[0].low: low must be below high, got low = 2, high = 1"},
    {SMALL "optimize = { " DEC "objective = { metric = \"capex_burden\"; stat = \"p100\"; sense = \"max\"; }; };\n",
     "opt.cfg:8: optimize.objective.stat: unknown statistic \"p100\" (expected mean, pNN with 0 < NN "
     "< 100 such as p95, cvar95 or p_exceed)"},
    {SMALL "optimize = { " DEC "objective = { metric = \"capex_burden\"; stat = \"median\"; sense = \"max\"; }; };\n",
     "opt.cfg:8: optimize.objective.stat: unknown statistic \"median\" (expected mean, pNN with 0 < "
     "NN < 100 such as p95, cvar95 or p_exceed)"},
    {SMALL "optimize = { " DEC OBJ "constraints = ( { metric = \"capex_burdn\"; stat = \"p95\"; max = 1.0; } ); };\n",
     "opt.cfg:8: optimize.constraints[0].metric: unknown metric \"capex_burdn\" (did you mean "
     "'capex_burden'?)"},
    {SMALL "optimize = { " DEC OBJ "constraints = ( { metric = \"capex_burden\"; stat = \"p_exceed\"; max = 0.1; } ); };\n",
     "opt.cfg:8: optimize.constraints[0].stat: p_exceed needs a threshold (P(metric > threshold))"},
    {SMALL "optimize = { " DEC OBJ "constraints = ( { metric = \"capex_burden\"; stat = \"p95\"; } ); };\n",
     "opt.cfg:8: optimize.constraints[0]: give one bound, max = ... or min = ..."},
    {SMALL "optimize = { " DEC "objective = { metric = \"capex_burden\"; stat = \"mean\"; sense = \"up\"; }; };\n",
     "opt.cfg:8: optimize.objective.sense: unknown sense \"up\" (expected one of max, min)"},
    {SMALL "optimize = { " DEC OBJ "budget = 3; };\n",
     "opt.cfg:8: optimize.budget: unknown key (expected one of decisions, objective, constraints)"},
    {SMALL "optimize = { decisions = ( { input = \"deals.signed.lab.cancellable\"; } ); " OBJ "};\n",
     "opt.cfg:8: optimize.decisions[0].input: unknown signed deal in \"deals.signed.lab.cancellable\""},
    {SMALL "optimize = { decisions = ( { input = \"horizon_months\"; low = 0.0; high = 1.0; } ); " OBJ "};\n",
     "opt.cfg:8: optimize.decisions[0].input: unknown input \"horizon_months\" ('capexsim check FILE' lists the 43 input names)"},
    /* a present value without a rate would be 0 on every path: an objective that cannot move */
    {SMALL "optimize = { " DEC "objective = { metric = \"revenue_total_pv\"; stat = \"mean\"; sense = \"max\"; }; };\n",
     "opt.cfg:8: optimize.objective.metric: revenue_total_pv needs report.discount_rate (MODEL.md, "
     "Present value)"},
    {SMALL "optimize = { " DEC OBJ "constraints = ( { metric = \"capex_burden_pv\"; stat = \"p95\"; max = 1.0; } ); };\n",
     "opt.cfg:8: optimize.constraints[0].metric: capex_burden_pv needs report.discount_rate "
     "(MODEL.md, Present value)"},
};
#define N_CASES (sizeof cases / sizeof cases[0])

ParameterizedTestParameters(optimize, bad)
{
    static int idx[N_CASES];
    for (size_t i = 0; i < N_CASES; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, N_CASES);
}

ParameterizedTest(int *i, optimize, bad)
{
    const bad_case *c = &cases[*i];
    char err[1024] = "";
    cx_scenario *sc = (cx_scenario *)1;
    int rc = cx_scenario_load_string(&sc, c->text, "opt.cfg", err, sizeof err);
    cr_expect(eq(int, rc, CX_ERR_CONFIG), "for:\n%s", c->text);
    cr_expect(eq(ptr, sc, NULL));
    cr_expect(eq(str, err, (char *)c->msg), "for:\n%s", c->text);
    cr_expect(eq(ptr, strchr(err, '\n'), NULL));
}
