/* SPDX-License-Identifier: MIT */
/* Scenario files: the studies a file asks for (a sweep over inputs; the tornado and Sobol metrics). */

/*
 * A sweep's values come from outside any distribution, so each gets the same range checks the
 * input's own values get in the file (value_problem).
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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

int scn_parse_metric_group(loader *l, const config_setting_t *root, const char *group,
                           bool with_paths, char **metric, uint64_t *paths)
{
    static const char *const tkeys[] = {"metric", NULL};
    static const char *const skeys[] = {"metric", "paths", NULL};
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
    return 0;
}
