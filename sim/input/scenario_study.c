/* SPDX-License-Identifier: MIT */
/* Scenario files: the studies a file asks for (a sweep over inputs; the tornado and Sobol metrics). */

/*
 * A sweep's values come from outside any distribution, so each gets the same range checks the
 * input's own values get in the file (value_problem).
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>
#include <nettle/sha2.h>

#include "sim/base/error.h"
#include "sim/input/scenario.h"
#include "sim/input/scenario_impl.h"

/* MODEL.md, "Per-path metrics" (models/model.h exports the same list; not linked here so
 * that the scenario layer does not depend on the model). */
static const char *const metric_names[] = {
    "capex_burden", "revenue_total", "revenue_deals", "revenue_taas", "revenue_iaas",
    "revenue_recsys", "committed_cost", "idle_gw_mean", "idle_gw_peak", "msl_shortfall",
    "oversold_gw_peak", "msl_success", "deals_signed", "deals_cancelled", "deals_clawed_back",
    "capex_burden_pv", "revenue_total_pv", /* only with report.discount_rate */
};
#define N_BASE_METRICS 15
#define N_METRICS ((int)(sizeof metric_names / sizeof metric_names[0]))

static const char *value_problem(range_kind rk, double v)
{
    if (!isfinite(v))
        return "must be finite";
    switch (rk) {
    case R_PROB: return v >= 0 && v <= 1 ? NULL : "must be a probability in [0, 1]";
    case R_NONNEG: return v >= 0 ? NULL : "must be >= 0";
    case R_OFFERS:
        return v >= 0 && v <= MAX_OFFERS_PER_MONTH ? NULL : "must be in [0, 1000] (offers a month)";
    case R_POS: return v > 0 ? NULL : "must be > 0";
    default: return NULL;
    }
}

int scn_parse_sweep(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"inputs", NULL};
    static const char *const akeys[] = {"name", "values", "from", "to", "steps", NULL};
    cx_scenario *sc = l->sc;
    const config_setting_t *g, *list;
    int rc;
    if ((rc = scn_get_checked_group(l, root, "", "sweep", false, keys, &g)) != 0 || !g)
        return rc;
    if (!(list = config_setting_get_member(g, "inputs")))
        return scn_fail(l, g, "sweep.inputs", "missing required key (one or two inputs to sweep)");
    if ((rc = scn_get_group_list(l, g, "sweep.inputs", "sweep axis", &list)) != 0)
        return rc;
    int n = config_setting_length(list);
    if (n < 1 || n > 2)
        return scn_fail(l, list, "sweep.inputs", "a sweep has one or two inputs, got %d", n);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i), *ns;
        cx_sweep_axis *ax = &sc->sweep[i];
        char p[KEY_LEN], key[KEY_LEN];
        const char *nm = NULL;
        scn_join_index(p, "sweep.inputs", i);
        if ((rc = scn_check_keys(l, e, p, akeys)) != 0)
            return rc;
        scn_join(key, p, "name");
        if (!(ns = config_setting_get_member(e, "name")))
            return scn_fail(l, e, key, "missing required key (the dotted name of an input)");
        if ((rc = scn_string_of(l, ns, key, &nm)) != 0 ||
            (rc = scn_lookup_input(l, ns, key, nm, "swept", &ax->input)) != 0)
            return rc;
        if (i == 1 && sc->sweep[0].input == ax->input)
            return scn_fail(l, ns, key, "\"%s\" is already swept by sweep.inputs[0]", nm);
        if (!(ax->name = strdup(nm)))
            return scn_oom(l);
        sc->n_sweep = i + 1;
        const config_setting_t *vs = config_setting_get_member(e, "values");
        bool has_range = config_setting_get_member(e, "from") ||
                         config_setting_get_member(e, "to") ||
                         config_setting_get_member(e, "steps");
        if (vs && has_range)
            return scn_fail(l, e, p, "give either values or from, to and steps, not both");
        if (vs) {
            if ((rc = scn_number_array(l, e, p, "values", &ax->values, &ax->n)) != 0)
                return rc;
            scn_join(key, p, "values");
            if (ax->n < 2)
                return scn_fail(l, vs, key, "a sweep needs at least 2 values, got %d", ax->n);
        } else if (has_range) {
            double from, to;
            long long steps = 0;
            bool have;
            for (int k = 0; k < 3; k++) {
                static const char *const rk[] = {"from", "to", "steps"};
                if (!config_setting_get_member(e, rk[k]))
                    return scn_fail(l, e, p, "needs from, to and steps (missing '%s')", rk[k]);
            }
            if ((rc = scn_param(l, e, p, "from", &from, &have)) != 0 ||
                (rc = scn_param(l, e, p, "to", &to, &have)) != 0 ||
                (rc = scn_get_int(l, e, p, "steps", 2, 100000, &steps, &have)) != 0)
                return rc;
            ax->n = (int)steps;
            if (!(ax->values = malloc((size_t)ax->n * sizeof *ax->values)))
                return scn_oom(l);
            for (int k = 0; k < ax->n; k++)
                ax->values[k] = from + (to - from) * k / (double)(ax->n - 1);
            ax->values[ax->n - 1] = to; /* exact end point, whatever the rounding */
            scn_join(key, p, "from");
        } else {
            return scn_fail(l, e, p, "needs values = [ ... ] or from, to and steps");
        }
        for (int k = 0; k < ax->n; k++) {
            const char *why = value_problem(l->range[ax->input], ax->values[k]);
            if (why)
                return scn_fail(l, vs ? vs : e, vs ? key : p, "%s: every value %s, got %g", nm, why,
                                ax->values[k]);
        }
    }
    long long points = (long long)sc->sweep[0].n * (n > 1 ? sc->sweep[1].n : 1);
    if (points > MAX_SWEEP_POINTS)
        return scn_fail(l, list, "sweep.inputs", "at most %d points (the axes' values multiplied), "
                        "got %lld", MAX_SWEEP_POINTS, points);
    return 0;
}

static int parse_sobol_groups(loader *l, const config_setting_t *root);

int scn_parse_metric_group(loader *l, const config_setting_t *root, const char *group,
                           bool with_paths, char **metric, uint64_t *paths)
{
    static const char *const tkeys[] = {"metric", NULL};
    static const char *const skeys[] = {"metric", "paths", "groups", NULL};
    const config_setting_t *g, *s = NULL;
    const char *m = "capex_burden";
    char key[KEY_LEN];
    int rc;
    scn_join(key, group, "metric");
    if ((rc = scn_get_checked_group(l, root, "", group, false, with_paths ? skeys : tkeys, &g)) !=
        0)
        return rc;
    if (g && (s = config_setting_get_member(g, "metric")) != NULL) {
        static const char *names[N_METRICS + 1];
        int k;
        for (int i = 0; i < N_METRICS; i++)
            names[i] = metric_names[i];
        names[N_METRICS] = NULL;
        if ((rc = scn_choose(l, s, key, "metric", names, &k)) != 0)
            return rc;
        if (k >= N_BASE_METRICS && !l->sc->has_discount)
            return scn_fail(l, s, key, "%s needs report.discount_rate (MODEL.md, Present value)",
                            metric_names[k]);
        m = metric_names[k];
    }
    if (!(*metric = strdup(m)))
        return scn_oom(l);
    if (with_paths && g) {
        long long v = 0;
        bool have;
        if ((rc = scn_get_int(l, g, group, "paths", 1, LLONG_MAX, &v, &have)) != 0)
            return rc;
        *paths = have ? (uint64_t)v : 0;
    }
    /* sobol.groups (issue 20 item 4) */
    return with_paths ? parse_sobol_groups(l, root) : 0;
}

/* ---------------------------------------------------------------- sobol.groups (issue 20) */

bool cx_input_name_matches(const char *name, const char *pattern)
{
    if (strpbrk(pattern, "*?["))
        return fnmatch(pattern, name, 0) == 0;
    size_t n = strlen(pattern);
    return strncmp(name, pattern, n) == 0 &&
           (name[n] == '\0' || name[n] == '.' || (n > 0 && pattern[n - 1] == '.'));
}

/* Group g's inputs (sobol.groups[g].inputs, the list setting `in`) into spec, each member
 * checked: a string that matches some input, in no earlier group (owner[i]: the group that
 * holds input i, or -1); the group holds an uncertain input. */
static int group_members(loader *l, const config_setting_t *in, const char *key, int g,
                         cx_sobol_group_spec *spec, int *owner)
{
    const cx_scenario *sc = l->sc;
    int rc, n = config_setting_length(in), uncertain = 0;
    if (!config_setting_is_array(in) || n < 1)
        return scn_fail(l, in, key, "expected a non-empty array of input names or patterns "
                        "[ \"supply.*\", ... ], got %s", scn_type_name(in));
    if (!(spec->members = calloc((size_t)n, sizeof *spec->members)))
        return scn_oom(l);
    for (int k = 0; k < n; k++) {
        const config_setting_t *m = config_setting_get_elem(in, (unsigned)k);
        const char *pat = NULL;
        char mkey[KEY_LEN];
        scn_join_index(mkey, key, k);
        if ((rc = scn_string_of(l, m, mkey, &pat)) != 0)
            return rc;
        /* counted at once, so that the caller frees it on any error below */
        if (!(spec->members[spec->n++] = strdup(pat)))
            return scn_oom(l);
        int hits = 0;
        for (int i = 0; i < sc->n_inputs; i++) {
            if (!cx_input_name_matches(sc->inputs[i].name, pat))
                continue;
            hits++;
            if (owner[i] >= 0 && owner[i] != g)
                return scn_fail(l, m, mkey, "\"%s\" takes %s, already in group '%s' "
                                "(sobol.groups[%d]): groups may not overlap", pat,
                                sc->inputs[i].name, sc->sobol_groups[owner[i]].name, owner[i]);
            owner[i] = g;
        }
        if (hits == 0)
            return scn_fail(l, m, mkey, "\"%s\" matches no input of the scenario (an input's "
                            "dotted name, a dotted prefix such as \"msl\", or a pattern such "
                            "as \"supply.*\")", pat);
    }
    for (int i = 0; i < sc->n_inputs; i++)
        uncertain += owner[i] == g && sc->inputs[i].uncertain;
    if (uncertain == 0)
        return scn_fail(l, in, key, "group '%s' holds no uncertain input (every input it names "
                        "is fixed)", spec->name);
    return 0;
}

/* sobol.groups = ( { name = "supply"; inputs = [ "supply.*" ]; }, ... ): see scenario.h. */
static int parse_sobol_groups(loader *l, const config_setting_t *root)
{
    static const char *const gkeys[] = {"name", "inputs", NULL};
    cx_scenario *sc = l->sc;
    const config_setting_t *sob = config_setting_get_member(root, "sobol");
    const config_setting_t *list = sob ? config_setting_get_member(sob, "groups") : NULL;
    int rc;
    if (!list)
        return 0;
    if ((rc = scn_get_group_list(l, sob, "sobol.groups", "Sobol group", &list)) != 0)
        return rc;
    int n = config_setting_length(list);
    if (n < 1)
        return scn_fail(l, list, "sobol.groups", "expected at least one group { name; inputs; }");
    int *owner = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof *owner);
    sc->sobol_groups = calloc((size_t)n, sizeof *sc->sobol_groups);
    if (!owner || !sc->sobol_groups) {
        free(owner);
        return scn_oom(l);
    }
    for (int i = 0; i < sc->n_inputs; i++)
        owner[i] = -1;
    rc = 0;
    for (int g = 0; g < n && rc == 0; g++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)g), *ns, *in;
        cx_sobol_group_spec *spec = &sc->sobol_groups[g];
        const char *nm = NULL;
        char p[KEY_LEN], key[KEY_LEN];
        scn_join_index(p, "sobol.groups", g);
        sc->n_sobol_groups = g + 1;
        spec->line = config_setting_source_line(e);
        if ((rc = scn_check_keys(l, e, p, gkeys)) != 0)
            break;
        scn_join(key, p, "name");
        if (!(ns = config_setting_get_member(e, "name"))) {
            rc = scn_fail(l, e, key, "missing required key (the group's name)");
            break;
        }
        if ((rc = scn_string_of(l, ns, key, &nm)) != 0)
            break;
        if (!scn_good_name(nm)) {
            rc = scn_fail(l, ns, key, "a name of letters, digits, '-' and '_', got \"%s\"",
                          nm);
            break;
        }
        for (int h = 0; h < g && rc == 0; h++)
            if (strcmp(sc->sobol_groups[h].name, nm) == 0)
                rc = scn_fail(l, ns, key, "duplicate group name \"%s\" (also sobol.groups[%d])",
                              nm, h);
        if (rc != 0)
            break;
        if (!(spec->name = strdup(nm))) {
            rc = scn_oom(l);
            break;
        }
        scn_join(key, p, "inputs");
        if (!(in = config_setting_get_member(e, "inputs"))) {
            rc = scn_fail(l, e, key, "missing required key (the group's inputs)");
            break;
        }
        rc = group_members(l, in, key, g, spec, owner);
    }
    free(owner);
    return rc;
}

/* ---------------------------------------------------------------- optimize (issue 21) */

/*
 * optimize = { decisions = ( { input; low; high; integer; } ... ); objective = { metric; stat;
 * sense; threshold; }; constraints = ( { metric; stat; max | min; threshold; } ... ); }.
 * A decision must be a fixed number the file sets (a distribution has no single value to
 * decide, and a default's term has its own meaning in the model); its low and high get the
 * same range checks as the input's own value.
 */

/* g.metric, g.stat (and g.threshold for p_exceed) into *st; prefix names g. */
static int parse_opt_stat(loader *l, const config_setting_t *g, const char *prefix,
                          cx_opt_stat *st)
{
    static const char *names[N_METRICS + 1];
    const config_setting_t *ms = config_setting_get_member(g, "metric"),
                           *ss = config_setting_get_member(g, "stat");
    char key[KEY_LEN];
    const char *stat = NULL;
    int rc, k;
    for (int i = 0; i < N_METRICS; i++)
        names[i] = metric_names[i];
    names[N_METRICS] = NULL;
    scn_join(key, prefix, "metric");
    if (!ms)
        return scn_fail(l, g, key, "missing required key (a metric, e.g. \"capex_burden\")");
    if ((rc = scn_choose(l, ms, key, "metric", names, &k)) != 0)
        return rc;
    if (k >= N_BASE_METRICS && !l->sc->has_discount)
        return scn_fail(l, ms, key, "%s needs report.discount_rate (MODEL.md, Present value)",
                        metric_names[k]);
    st->metric = k;
    scn_join(key, prefix, "stat");
    if (!ss)
        return scn_fail(l, g, key, "missing required key (mean, pNN, cvar95 or p_exceed)");
    if ((rc = scn_string_of(l, ss, key, &stat)) != 0)
        return rc;
    bool has_thr = config_setting_get_member(g, "threshold") != NULL;
    char *end = NULL;
    if (!strcmp(stat, "mean")) {
        st->kind = CX_OPT_MEAN;
    } else if (!strcmp(stat, "cvar95")) {
        st->kind = CX_OPT_CVAR95;
    } else if (!strcmp(stat, "p_exceed")) {
        st->kind = CX_OPT_P_EXCEED;
        bool have = false;
        if (!has_thr)
            return scn_fail(l, ss, key, "p_exceed needs a threshold (P(metric > threshold))");
        if ((rc = scn_param(l, g, prefix, "threshold", &st->threshold, &have)) != 0)
            return rc;
        if (!isfinite(st->threshold))
            return scn_fail(l, g, prefix, "threshold must be finite");
    } else if (stat[0] == 'p' && isdigit((unsigned char)stat[1]) &&
               (errno = 0, st->q = strtod(stat + 1, &end) / 100.0, errno == 0) && *end == '\0' &&
               st->q > 0 && st->q < 1) {
        st->kind = CX_OPT_QUANTILE;
    } else {
        return scn_fail(l, ss, key, "unknown statistic \"%s\" (expected mean, pNN with 0 < NN "
                        "< 100 such as p95, cvar95 or p_exceed)", stat);
    }
    if (has_thr && st->kind != CX_OPT_P_EXCEED) {
        scn_join(key, prefix, "threshold");
        return scn_fail(l, config_setting_get_member(g, "threshold"), key,
                        "a threshold goes only with stat = \"p_exceed\"");
    }
    snprintf(st->label, sizeof st->label, "%s", stat);
    return 0;
}

/*
 * "deals.signed.NAME.cancellable": a signed deal's switch, not a scalar input; a 0/1 decision
 * (0: not cancellable). Sets d->switch_deal, or leaves it -1 for any other name.
 */
static int deal_switch(loader *l, const config_setting_t *ns, const char *key, const char *nm,
                       const cx_optimize *o, cx_opt_decision *d)
{
    static const char pre[] = "deals.signed.", suf[] = ".cancellable";
    size_t n = strlen(nm), lp = sizeof pre - 1, ls = sizeof suf - 1;
    if (n <= lp + ls || strncmp(nm, pre, lp) || strcmp(nm + n - ls, suf))
        return 0;
    const cx_deals *dl = &l->sc->deals;
    for (int k = 0; k < dl->n_signed; k++)
        if (strlen(dl->signed_deals[k].name) == n - lp - ls &&
            !strncmp(dl->signed_deals[k].name, nm + lp, n - lp - ls)) {
            for (int j = 0; j < o->n_decisions; j++)
                if (o->decision[j].switch_deal == k)
                    return scn_fail(l, ns, key, "\"%s\" is already a decision", nm);
            d->switch_deal = k;
            d->input = -1;
            return 0;
        }
    return scn_fail(l, ns, key, "unknown signed deal in \"%s\"", nm);
}

/* A switch's low and high: 0 and 1 (the defaults); integer. */
static int finish_switch(loader *l, const config_setting_t *e, const char *p, cx_optimize *o,
                         cx_opt_decision *d)
{
    bool have_lo = false, have_hi = false;
    int rc;
    d->low = 0;
    d->high = 1;
    d->integer = true;
    if ((rc = scn_param(l, e, p, "low", &d->low, &have_lo)) != 0 ||
        (rc = scn_param(l, e, p, "high", &d->high, &have_hi)) != 0)
        return rc;
    if (d->low != 0 || d->high != 1)
        return scn_fail(l, e, p, "a cancellable switch is 0 or 1: low = 0, high = 1 (or leave "
                        "them out), got [%g, %g]", d->low, d->high);
    o->n_decisions++;
    return 0;
}

static int parse_opt_decision(loader *l, const config_setting_t *e, const char *p,
                              cx_optimize *o)
{
    static const char *const keys[] = {"input", "low", "high", "integer", NULL};
    cx_opt_decision *d = &o->decision[o->n_decisions];
    const config_setting_t *ns;
    const char *nm = NULL;
    char key[KEY_LEN];
    bool have_lo = false, have_hi = false;
    int rc;
    if ((rc = scn_check_keys(l, e, p, keys)) != 0)
        return rc;
    scn_join(key, p, "input");
    if (!(ns = config_setting_get_member(e, "input")))
        return scn_fail(l, e, key, "missing required key (the dotted name of a fixed input)");
    if ((rc = scn_string_of(l, ns, key, &nm)) != 0)
        return rc;
    d->switch_deal = -1;
    if ((rc = deal_switch(l, ns, key, nm, o, d)) != 0 || d->switch_deal >= 0)
        return rc ? rc : finish_switch(l, e, p, o, d);
    if ((rc = scn_lookup_input(l, ns, key, nm, "decided", &d->input)) != 0)
        return rc;
    const cx_input *in = &l->sc->inputs[d->input];
    if (!cx_dist_is_fixed(&in->dist))
        return scn_fail(l, ns, key, "\"%s\" is a distribution in the scenario: a decision must "
                        "be a fixed number (set it to one, e.g. %s = %g)", nm, nm,
                        cx_dist_median(&in->dist));
    if (!in->from_config)
        return scn_fail(l, ns, key, "\"%s\" is not set in the scenario (a default): set it to a "
                        "number to decide it", nm);
    for (int j = 0; j < o->n_decisions; j++)
        if (o->decision[j].switch_deal < 0 && o->decision[j].input == d->input)
            return scn_fail(l, ns, key, "\"%s\" is already a decision", nm);
    if ((rc = scn_param(l, e, p, "low", &d->low, &have_lo)) != 0 ||
        (rc = scn_param(l, e, p, "high", &d->high, &have_hi)) != 0 ||
        (rc = scn_get_bool(l, e, p, "integer", false, &d->integer)) != 0)
        return rc;
    if (!have_lo || !have_hi)
        return scn_fail(l, e, p, "needs low and high (missing '%s')", have_lo ? "high" : "low");
    scn_join(key, p, "low");
    const char *why = value_problem(l->range[d->input], d->low);
    if (!why)
        why = value_problem(l->range[d->input], d->high);
    if (why)
        return scn_fail(l, e, p, "%s: low and high %s, got [%g, %g]", nm, why, d->low, d->high);
    if (!(d->low < d->high))
        return scn_fail(l, config_setting_get_member(e, "low"), key,
                        "low must be below high, got low = %g, high = %g", d->low, d->high);
    if (d->integer && (d->low != floor(d->low) || d->high != floor(d->high)))
        return scn_fail(l, e, p, "an integer decision needs whole low and high, got [%g, %g]",
                        d->low, d->high);
    o->n_decisions++;
    return 0;
}

static int parse_opt_objective(loader *l, const config_setting_t *g, cx_optimize *o)
{
    static const char *const keys[] = {"metric", "stat", "sense", "threshold", NULL};
    static const char *const senses[] = {"max", "min", NULL};
    const config_setting_t *og, *ss;
    int rc, k;
    if ((rc = scn_get_checked_group(l, g, "optimize", "objective", true, keys, &og)) != 0)
        return rc;
    if ((rc = parse_opt_stat(l, og, "optimize.objective", &o->objective)) != 0)
        return rc;
    if (!(ss = config_setting_get_member(og, "sense")))
        return scn_fail(l, og, "optimize.objective.sense", "missing required key (max or min)");
    if ((rc = scn_choose(l, ss, "optimize.objective.sense", "sense", senses, &k)) != 0)
        return rc;
    o->maximize = k == 0;
    return 0;
}

static int parse_opt_constraint(loader *l, const config_setting_t *e, const char *p,
                                cx_optimize *o)
{
    static const char *const keys[] = {"metric", "stat", "max", "min", "threshold", NULL};
    cx_opt_constraint *c = &o->constraint[o->n_constraints];
    bool has_max = false, has_min = false;
    double lo = 0, hi = 0;
    int rc;
    if ((rc = scn_check_keys(l, e, p, keys)) != 0 ||
        (rc = parse_opt_stat(l, e, p, &c->stat)) != 0 ||
        (rc = scn_param(l, e, p, "max", &hi, &has_max)) != 0 ||
        (rc = scn_param(l, e, p, "min", &lo, &has_min)) != 0)
        return rc;
    if (has_max == has_min)
        return scn_fail(l, e, p, "give one bound, max = ... or min = ...%s",
                        has_max ? " (not both: make two constraints)" : "");
    c->upper = has_max;
    c->bound = has_max ? hi : lo;
    if (!isfinite(c->bound))
        return scn_fail(l, e, p, "the bound must be finite, got %g", c->bound);
    o->n_constraints++;
    return 0;
}

int scn_parse_optimize(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"decisions", "objective", "constraints", NULL};
    const config_setting_t *g, *list;
    int rc;
    if ((rc = scn_get_checked_group(l, root, "", "optimize", false, keys, &g)) != 0 || !g)
        return rc;
    cx_optimize *o = calloc(1, sizeof *o);
    if (!o)
        return scn_oom(l);
    l->sc->optimize = o;
    if (!(list = config_setting_get_member(g, "decisions")))
        return scn_fail(l, g, "optimize.decisions", "missing required key (1 to %d decisions)",
                        CX_OPT_MAX_DECISIONS);
    if ((rc = scn_get_group_list(l, g, "optimize.decisions", "decision", &list)) != 0)
        return rc;
    int n = config_setting_length(list);
    if (n < 1 || n > CX_OPT_MAX_DECISIONS)
        return scn_fail(l, list, "optimize.decisions", "1 to %d decisions, got %d",
                        CX_OPT_MAX_DECISIONS, n);
    for (int i = 0; i < n; i++) {
        char p[KEY_LEN];
        scn_join_index(p, "optimize.decisions", i);
        if ((rc = parse_opt_decision(l, config_setting_get_elem(list, (unsigned)i), p, o)) != 0)
            return rc;
    }
    if ((rc = parse_opt_objective(l, g, o)) != 0)
        return rc;
    if (!(list = config_setting_get_member(g, "constraints")))
        return 0;
    if ((rc = scn_get_group_list(l, g, "optimize.constraints", "constraint", &list)) != 0)
        return rc;
    n = config_setting_length(list);
    if (n > CX_OPT_MAX_CONSTRAINTS)
        return scn_fail(l, list, "optimize.constraints", "at most %d constraints, got %d",
                        CX_OPT_MAX_CONSTRAINTS, n);
    for (int i = 0; i < n; i++) {
        char p[KEY_LEN];
        scn_join_index(p, "optimize.constraints", i);
        if ((rc = parse_opt_constraint(l, config_setting_get_elem(list, (unsigned)i), p, o)) != 0)
            return rc;
    }
    return 0;
}
