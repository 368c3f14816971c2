/* SPDX-License-Identifier: MIT */
/* Scenario files: the plausible ranges of quantities with a unit, and the warnings for values outside them. */

/*
 * The loader's schema refuses what the model cannot compute (a negative GW, a probability
 * above 1). This file catches what it can compute but no scenario of this domain can mean:
 * a tranche of 1000 GW (MW typed as GW), a drift of -35 (a percent typed as a fraction), a
 * start month past the horizon. Each value from the file is checked against one table,
 * cx_plausible_ranges (docs/model.md prints the same table; tests/test_scenario.c checks that
 * the two agree): a fixed value by itself, a distribution by its P1 and P99 (the support's
 * ends would flag every normal). A value outside gives one warning line in sc->warnings,
 * "FILE:LINE: KEY: what, outside the plausible range [lo, hi] UNIT (hint)"; `check` and `run`
 * print them, the run JSON lists them, and --strict makes them errors.
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "sim/base/error.h"
#include "sim/input/scenario.h"
#include "sim/input/scenario_impl.h"

/* Keys: dotted input names, '*' standing for a tranche's or deal's name or a schedule index.
 * Horizon-relative ends: CX_H_BEFORE is horizon - 1 (a month that can still happen), CX_H_AT
 * the horizon itself. */
const cx_plausible_range cx_plausible_ranges[] = {
    {"supply.tranches.*.gw", "GW", 0, 50, CX_H_NONE, "a tranche of more than 50 GW: MW typed as GW?"},
    {"supply.tranches.*.start_month", "months", -120, 0, CX_H_BEFORE, "at or past the horizon the tranche never comes online"},
    {"supply.tranches.*.delay_months", "months", -24, 0, CX_H_AT, "a delay past the horizon: days or weeks typed as months?"},
    {"supply.tranches.*.term_months", "months", 1, 360, CX_H_NONE, "30 years at most: days typed as months?"},
    {"supply.tranches.*.cost_per_gw_year", "$B/GW-yr", 1, 100, CX_H_NONE, "$M typed as $B, or a total typed as a yearly cost?"},
    {"msl.schedule[*]", "GW", 0, 50, CX_H_NONE, "MW typed as GW?"},
    {"msl.decision_month", "months", 0, 0, CX_H_BEFORE, "a decision at or past the horizon is never seen"},
    {"msl.success_multiplier", "x", 0, 10, CX_H_NONE, "a multiple of the base demand"},
    {"msl.failure_multiplier", "x", 0, 10, CX_H_NONE, "a multiple of the base demand"},
    {"recsys.base_gw", "GW", 0, 20, CX_H_NONE, "MW typed as GW?"},
    {"recsys.scale_multiple", "x", 1, 1000, CX_H_NONE, "a multiple of base_gw"},
    {"recsys.ramp_months", "months", 0, 120, CX_H_NONE, "days typed as months?"},
    {"recsys.ad_revenue_base", "$B/yr", 0, 2000, CX_H_NONE, "$M typed as $B?"},
    {"recsys.uplift_per_doubling", "fraction", -0.5, 0.5, CX_H_NONE, "a percent typed as a fraction (5 for 0.05)?"},
    {"taas.launch_month", "months", 0, 0, CX_H_BEFORE, "a launch at or past the horizon never happens"},
    {"taas.target_gw", "GW", 0, 50, CX_H_NONE, "MW typed as GW?"},
    {"taas.ramp_months", "months", 0, 120, CX_H_NONE, "days typed as months?"},
    {"taas.revenue_per_gw_year", "$B/GW-yr", 0, 200, CX_H_NONE, "$M typed as $B?"},
    {"market.price0", "$B/GW-yr", 1, 100, CX_H_NONE, "$M typed as $B?"},
    {"market.drift", "per year", -1, 1, CX_H_NONE, "a percent typed as a fraction (-35 for -0.35)?"},
    {"market.vol", "per sqrt(year)", 0, 3, CX_H_NONE, "a percent typed as a fraction (45 for 0.45)?"},
    {"deals.signed.*.gw", "GW", 0, 50, CX_H_NONE, "MW typed as GW?"},
    {"deals.signed.*.price_per_gw_year", "$B/GW-yr", 1, 200, CX_H_NONE, "$M typed as $B, or a total typed as a yearly price?"},
    {"deals.signed.*.start_month", "months", -120, 0, CX_H_BEFORE, "at or past the horizon the deal never begins"},
    {"deals.signed.*.term_months", "months", 1, 0, CX_H_AT, "a deal longer than the horizon: days typed as months?"},
    {"deals.signed.*.notice_days", "days", 7, 730, CX_H_NONE, "months typed as days?"},
    {"deals.spot.start_month", "months", 0, 0, CX_H_BEFORE, "at or past the horizon no offer arrives"},
    {"deals.spot.offers_per_month", "offers/month", 0, 100, CX_H_NONE, "a yearly count typed as monthly?"},
    {"deals.spot.gw", "GW", 0, 10, CX_H_NONE, "an offer of more than 10 GW: MW typed as GW?"},
    {"deals.spot.premium", "x market", 0.5, 10, CX_H_NONE, "a multiple of the market price, not a percent"},
    {"deals.spot.term_months", "months", 1, 0, CX_H_AT, "a deal longer than the horizon: days typed as months?"},
    {"deals.spot.notice_days", "days", 7, 730, CX_H_NONE, "months typed as days?"},
    {"deals.spot.max_external_gw", "GW", 0, 100, CX_H_NONE, "MW typed as GW?"},
    {"deals.hazard_base", "per month", 0, 0.5, CX_H_NONE, "a yearly or percent rate?"},
    {"deals.hazard_price", "per month per ln(P0/P)", 0, 10, CX_H_NONE, "a percent typed as a fraction?"},
    {"iaas.max_gw", "GW", 0, 100, CX_H_NONE, "MW typed as GW?"},
};
const int cx_n_plausible_ranges = sizeof cx_plausible_ranges / sizeof cx_plausible_ranges[0];

/* Whether name matches key, where '*' in key matches one or more characters other than '.'. */
static bool key_match(const char *key, const char *name)
{
    for (; *key; key++) {
        if (*key != '*') {
            if (*name++ != *key)
                return false;
            continue;
        }
        const char *end = name;
        while (*end && *end != '.' && *end != ']')
            end++;
        if (end == name)
            return false;
        name = end;
    }
    return *name == '\0';
}

const cx_plausible_range *cx_plausible_find(const char *name)
{
    for (int i = 0; i < cx_n_plausible_ranges; i++)
        if (key_match(cx_plausible_ranges[i].key, name))
            return &cx_plausible_ranges[i];
    return NULL;
}

void cx_plausible_bounds(const cx_plausible_range *r, int horizon_months, double *lo, double *hi)
{
    *lo = r->lo;
    *hi = r->horizon == CX_H_BEFORE ? horizon_months - 1
          : r->horizon == CX_H_AT   ? horizon_months
                                    : r->hi;
}

/* Appends one warning line to l->sc->warnings. @return 0 or CX_ERR_NOMEM (message in l->err). */
static int add_warning(loader *l, const char *line)
{
    cx_scenario *sc = l->sc;
    char **w = realloc(sc->warnings, (size_t)(sc->n_warnings + 1) * sizeof *w);
    if (!w)
        return scn_oom(l);
    sc->warnings = w;
    if (!(w[sc->n_warnings] = strdup(line)))
        return scn_oom(l);
    sc->n_warnings++;
    return 0;
}

/* The check of one value (d, from config line `line`, dotted name `key`) against its range. */
static int check_one(loader *l, const char *key, const cx_dist *d, int line)
{
    const cx_plausible_range *r = cx_plausible_find(key);
    if (!r)
        return 0;
    double lo, hi;
    cx_plausible_bounds(r, l->sc->horizon_months, &lo, &hi);
    const bool fixed = cx_dist_is_fixed(d);
    const double a = fixed ? cx_dist_median(d) : cx_dist_quantile(d, 0.01);
    const double b = fixed ? a : cx_dist_quantile(d, 0.99);
    if (a >= lo && b <= hi)
        return 0;
    const char *file = l->file;
    int fline = line;
    scn_src_where(l->src, line, &file, &fline);
    char where[KEY_LEN + 64], what[128], msg[2 * KEY_LEN];
    if (line > 0)
        snprintf(where, sizeof where, "%s:%d: %s", file, fline, key);
    else
        snprintf(where, sizeof where, "%s: %s", file, key);
    if (fixed)
        snprintf(what, sizeof what, "%g", a);
    else
        snprintf(what, sizeof what, "P1..P99 [%g, %g]", a, b);
    snprintf(msg, sizeof msg, "%s: %s is outside the plausible range [%g, %g] %s (%s)", where,
             what, lo, hi, r->unit, r->why);
    return add_warning(l, msg);
}

int scn_check_plausible(loader *l, const config_setting_t *root)
{
    const cx_scenario *sc = l->sc;
    int rc;
    for (int i = 0; i < sc->n_inputs; i++) {
        const cx_input *in = &sc->inputs[i];
        if (in->from_config && (rc = check_one(l, in->name, &in->dist, in->line)) != 0)
            return rc;
    }
    /* the per-offer spot distributions are not scalar inputs */
    static const char *const spot[] = {"gw", "premium"};
    const config_setting_t *sp = config_setting_lookup((config_setting_t *)root, "deals.spot");
    for (int i = 0; sp && sc->deals.spot.present && i < 2; i++) {
        const config_setting_t *s = config_setting_get_member(sp, spot[i]);
        char key[KEY_LEN];
        scn_join(key, "deals.spot", spot[i]);
        if (s && (rc = check_one(l, key, i ? &sc->deals.spot.premium : &sc->deals.spot.gw,
                                 (int)config_setting_source_line(s))) != 0)
            return rc;
    }
    return 0;
}
