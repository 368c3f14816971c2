/* SPDX-License-Identifier: MIT */
/* Scenario files: the model's groups (run, supply, demand, market, deals, IaaS, allocation, report) and the root. */

/*
 * One parser a group of MODEL.md's "Config shape", in the file's order; parse_root reads the
 * top-level keys and calls them, then the correlations, the sampler, the sweep and the study
 * groups. The first error stops the load.
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

/* ---------------------------------------------------------------- groups */

static const char *const top_keys[] = {
    "name", "description", "horizon_months", "start", "run", "supply", "msl", "recsys", "taas",
    "market", "deals", "iaas", "allocation", "correlations", "report", "sweep", "tornado",
    "sobol", "stress", "optimize", NULL,
};

static int parse_run(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"paths", "seed", "threads", "sampling", "antithetic", NULL};
    static const char *const samplings[] = {"mc", "lhs", "sobol", NULL};
    cx_scenario *sc = l->sc;
    const config_setting_t *g, *s;
    long long v = 0;
    bool have;
    int rc;
    if ((rc = scn_get_checked_group(l, root, "", "run", false, keys, &g)) != 0 || !g)
        return rc;
    if ((rc = scn_get_int(l, g, "run", "paths", 1, LLONG_MAX, &v, &have)) != 0)
        return rc;
    sc->has_paths = have;
    sc->run_paths = have ? (uint64_t)v : 0;
    if ((rc = scn_get_int(l, g, "run", "seed", 0, LLONG_MAX, &v, &have)) != 0)
        return rc;
    sc->has_seed = have;
    sc->run_seed = have ? (uint64_t)v : 0;
    if ((rc = scn_get_int(l, g, "run", "threads", 1, 4096, &v, &have)) != 0)
        return rc;
    sc->run_threads = have ? (int)v : 0;
    if ((s = config_setting_get_member(g, "sampling")) != NULL) {
        int k;
        if ((rc = scn_choose(l, s, "run.sampling", "sampling method", samplings, &k)) != 0)
            return rc;
        sc->sampling = (cx_sampling)k;
    }
    return scn_get_bool(l, g, "run", "antithetic", false, &sc->antithetic);
}

/* A list member `name` of g whose elements are groups; *out NULL when absent. */
int scn_get_group_list(loader *l, const config_setting_t *g, const char *key,
                       const char *what, const config_setting_t **out)
{
    if (!*out)
        return 0;
    if (!config_setting_is_list(*out))
        return scn_fail(l, *out, key, "expected a list of %s groups ( { ... }, ... ), got %s", what,
                        scn_type_name(*out));
    int n = config_setting_length(*out);
    if (n > MAX_LIST)
        return scn_fail(l, *out, key, "at most %d %s groups, got %d", MAX_LIST, what, n);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(*out, (unsigned)i);
        if (!config_setting_is_group(e)) {
            char ekey[KEY_LEN];
            scn_join_index(ekey, key, i);
            return scn_fail(l, e, ekey, "expected a %s group { ... }, got %s", what,
                            scn_type_name(e));
        }
    }
    (void)g;
    return 0;
}

/*
 * The `name` of list element e (index i of list key `list`): required, a plain name, unique
 * among names[0..i-1]. Builds the prefix "<list>.<name>" for the element's keys.
 */
static int element_name(loader *l, const config_setting_t *e, const char *list, int i,
                        const char *what, char *const *names, const config_setting_t *list_s,
                        char **out, char *prefix)
{
    char ikey[KEY_LEN], nkey[KEY_LEN];
    scn_join_index(ikey, list, i);
    scn_join(nkey, ikey, "name");
    const config_setting_t *s = config_setting_get_member(e, "name");
    const char *nm = NULL;
    int rc;
    if (!s)
        return scn_fail(l, e, nkey, "missing required key (every %s needs a name)", what);
    if ((rc = scn_string_of(l, s, nkey, &nm)) != 0)
        return rc;
    if (!scn_good_name(nm))
        return scn_fail(l, s, nkey, "a name may use letters, digits, '-' and '_' only, got \"%s\"",
                        nm);
    if (strlen(nm) > MAX_NAME_LEN)
        return scn_fail(l, s, nkey, "a name may be at most %d characters long, got %zu",
                        MAX_NAME_LEN, strlen(nm));
    for (int j = 0; j < i; j++)
        if (names[j] && strcmp(names[j], nm) == 0)
        {
            char ref[KEY_LEN];
            return scn_fail(l, s, nkey, "duplicate %s name \"%s\" (first at %s)", what, nm,
                            scn_line_ref(l, (int)config_setting_source_line(s),
                                 (int)config_setting_source_line(
                                     config_setting_get_elem(list_s, (unsigned)j)),
                                 ref, sizeof ref));
        }
    if (!(*out = strdup(nm)))
        return scn_oom(l);
    scn_join(prefix, list, nm);
    return 0;
}

static int parse_supply(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"tranches", NULL};
    static const char *const tkeys[] = {"name", "kind", "gw", "start_month", "delay_months",
                                        "term_months", "cost_per_gw_year", NULL};
    static const char *const kinds[] = {"owned", "colo", "neocloud", NULL};
    cx_scenario *sc = l->sc;
    const config_setting_t *g, *list;
    int rc;
    if ((rc = scn_get_checked_group(l, root, "", "supply", true, keys, &g)) != 0)
        return rc;
    list = config_setting_get_member(g, "tranches");
    if (!list)
        return scn_fail(l, g, "supply.tranches", "missing required key (a list of tranches)");
    if ((rc = scn_get_group_list(l, g, "supply.tranches", "tranche", &list)) != 0)
        return rc;
    int n = config_setting_length(list);
    if (n == 0)
        return scn_fail(l, list, "supply.tranches", "at least one tranche is required");
    if (!(sc->tranches = calloc((size_t)n, sizeof *sc->tranches)))
        return scn_oom(l);
    char **names = calloc((size_t)n, sizeof *names);
    if (!names)
        return scn_oom(l);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        cx_tranche *t = &sc->tranches[i];
        char p[KEY_LEN];
        rc = element_name(l, e, "supply.tranches", i, "tranche", names, list, &t->name, p);
        if (rc)
            break;
        sc->n_tranches = i + 1;
        names[i] = t->name;
        const config_setting_t *ks = config_setting_get_member(e, "kind");
        int kind = CX_KIND_OWNED;
        char kkey[KEY_LEN];
        scn_join(kkey, p, "kind");
        if ((rc = scn_check_keys(l, e, p, tkeys)) != 0 ||
            (ks && (rc = scn_choose(l, ks, kkey, "kind", kinds, &kind)) != 0) ||
            (rc = scn_scalar(l, e, p, "gw", R_NONNEG, 0, true, &t->gw)) != 0 ||
            (rc = scn_scalar(l, e, p, "start_month", R_ANY, 0, false, &t->start_month)) != 0 ||
            (rc = scn_scalar(l, e, p, "delay_months", R_ANY, 0, false, &t->delay_months)) != 0 ||
            /* MODEL.md, details: a tranche's default term keeps it online to the horizon */
            (rc = scn_scalar(l, e, p, "term_months", R_NONNEG, sc->horizon_months, false,
                             &t->term_months)) != 0 ||
            (rc = scn_scalar(l, e, p, "cost_per_gw_year", R_NONNEG, 0, true,
                             &t->cost_per_gw_year)) != 0)
            break;
        t->kind = (cx_tranche_kind)kind;
    }
    free(names);
    return rc;
}

static int parse_schedule(loader *l, const config_setting_t *g)
{
    cx_msl *m = &l->sc->msl;
    const config_setting_t *s = config_setting_get_member(g, "schedule");
    int rc;
    if (!s)
        return scn_fail(l, g, "msl.schedule",
                        "missing required key (a list of (month, gw) points)");
    if (!config_setting_is_list(s) && !config_setting_is_array(s))
        return scn_fail(l, s, "msl.schedule", "expected a list of (month, gw) points, got %s",
                        scn_type_name(s));
    int n = config_setting_length(s);
    if (n == 0)
        return scn_fail(l, s, "msl.schedule", "needs at least one (month, gw) point");
    if (!(m->sched = calloc((size_t)n, sizeof *m->sched)))
        return scn_oom(l);
    for (int i = 0; i < n; i++) {
        const config_setting_t *pt = config_setting_get_elem(s, (unsigned)i);
        char key[KEY_LEN];
        scn_join_index(key, "msl.schedule", i);
        if ((!config_setting_is_list(pt) && !config_setting_is_array(pt)) ||
            config_setting_length(pt) != 2)
            return scn_fail(l, pt, key, "expected a (month, gw) point, got %s", scn_type_name(pt));
        double month;
        const config_setting_t *ms = config_setting_get_elem(pt, 0);
        if ((rc = scn_number_of(l, ms, key, &month)) != 0)
            return rc;
        /* MODEL.md, details: schedule months are fixed, whole and strictly increasing */
        if (month != floor(month) || fabs(month) > 1e6)
            return scn_fail(l, ms, key, "a schedule month must be a whole number, got %g", month);
        if (i > 0 && !((int)month > m->sched[i - 1].month))
            return scn_fail(l, ms, key,
                            "schedule months must be strictly increasing, got %d after %d",
                            (int)month, m->sched[i - 1].month);
        m->sched[i].month = (int)month;
        if ((rc = scn_input_from(l, config_setting_get_elem(pt, 1), key, R_NONNEG,
                                 &m->sched[i].gw)) != 0)
            return rc;
        m->n_sched = i + 1;
    }
    return 0;
}

static int parse_uses(loader *l, const config_setting_t *root)
{
    static const char *const mkeys[] = {"schedule", "p_success", "decision_month",
                                        "success_multiplier", "failure_multiplier", "clawback",
                                        NULL};
    static const char *const rkeys[] = {"base_gw", "scale_multiple", "ramp_months",
                                        "ad_revenue_base", "uplift_per_doubling", "clawback",
                                        NULL};
    static const char *const tkeys[] = {"p_launch", "launch_month", "target_gw", "ramp_months",
                                        "revenue_per_gw_year", "clawback", NULL};
    cx_scenario *sc = l->sc;
    const config_setting_t *g;
    int rc;

    /* MODEL.md, details: defaults of the uses (a missing use has no demand) */
    cx_msl *m = &sc->msl;
    if ((rc = scn_get_checked_group(l, root, "", "msl", false, mkeys, &g)) != 0 ||
        (g && (rc = parse_schedule(l, g)) != 0) ||
        (rc = scn_scalar(l, g, "msl", "p_success", R_PROB, 1, false, &m->p_success)) != 0 ||
        (g && (rc = scn_outcome(l, "msl", "success", m->p_success, &m->success)) != 0) ||
        (rc = scn_scalar(l, g, "msl", "decision_month", R_ANY, 0, false, &m->decision_month)) !=
            0 ||
        (rc = scn_scalar(l, g, "msl", "success_multiplier", R_NONNEG, 1, false,
                         &m->success_multiplier)) != 0 ||
        (rc = scn_scalar(l, g, "msl", "failure_multiplier", R_NONNEG, 1, false,
                         &m->failure_multiplier)) != 0 ||
        (rc = scn_get_bool(l, g, "msl", "clawback", true, &m->clawback)) != 0)
        return rc;
    m->present = g != NULL;

    cx_recsys *r = &sc->recsys;
    if ((rc = scn_get_checked_group(l, root, "", "recsys", false, rkeys, &g)) != 0 ||
        /* MODEL.md, details: base_gw must be > 0 (demand is a multiple of it) */
        (rc = scn_scalar(l, g, "recsys", "base_gw", R_POS, 1, true, &r->base_gw)) != 0 ||
        (rc = scn_scalar(l, g, "recsys", "scale_multiple", R_POS, 1, false, &r->scale_multiple)) !=
            0 ||
        (rc = scn_scalar(l, g, "recsys", "ramp_months", R_ANY, 0, false, &r->ramp_months)) != 0 ||
        (rc = scn_scalar(l, g, "recsys", "ad_revenue_base", R_NONNEG, 0, false,
                         &r->ad_revenue_base)) != 0 ||
        (rc = scn_scalar(l, g, "recsys", "uplift_per_doubling", R_ANY, 0, false,
                         &r->uplift_per_doubling)) != 0 ||
        (rc = scn_get_bool(l, g, "recsys", "clawback", false, &r->clawback)) != 0)
        return rc;
    r->present = g != NULL;

    cx_taas *t = &sc->taas;
    if ((rc = scn_get_checked_group(l, root, "", "taas", false, tkeys, &g)) != 0 ||
        (rc = scn_scalar(l, g, "taas", "p_launch", R_PROB, 1, false, &t->p_launch)) != 0 ||
        (g && (rc = scn_outcome(l, "taas", "launch", t->p_launch, &t->launch)) != 0) ||
        (rc = scn_scalar(l, g, "taas", "launch_month", R_ANY, 0, false, &t->launch_month)) != 0 ||
        (rc = scn_scalar(l, g, "taas", "target_gw", R_NONNEG, 0, true, &t->target_gw)) != 0 ||
        (rc = scn_scalar(l, g, "taas", "ramp_months", R_ANY, 0, false, &t->ramp_months)) != 0 ||
        (rc = scn_scalar(l, g, "taas", "revenue_per_gw_year", R_NONNEG, 0, false,
                         &t->revenue_per_gw_year)) != 0 ||
        (rc = scn_get_bool(l, g, "taas", "clawback", false, &t->clawback)) != 0)
        return rc;
    t->present = g != NULL;
    return 0;
}

static int parse_market(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"price0", "drift", "vol", NULL};
    cx_market *mk = &l->sc->market;
    const config_setting_t *g;
    int rc;
    if ((rc = scn_get_checked_group(l, root, "", "market", true, keys, &g)) != 0 ||
        /* the hazard takes ln(P(0) / P(t)): the price must stay > 0 */
        (rc = scn_scalar(l, g, "market", "price0", R_POS, 0, true, &mk->price0)) != 0 ||
        (rc = scn_scalar(l, g, "market", "drift", R_ANY, 0, false, &mk->drift)) != 0 ||
        (rc = scn_scalar(l, g, "market", "vol", R_NONNEG, 0, false, &mk->vol)) != 0)
        return rc;
    return 0;
}

/* A per-offer spot distribution (not a scalar input): same checks, stored in the cx_spot. */
static int spot_dist(loader *l, const config_setting_t *g, const char *field, bool required,
                     double def, cx_dist *d)
{
    char key[KEY_LEN];
    scn_join(key, "deals.spot", field);
    const config_setting_t *s = g ? config_setting_get_member(g, field) : NULL;
    if (!s) {
        const char *why = NULL;
        if (g && required)
            return scn_fail(l, g, key, "missing required key");
        memset(d, 0, sizeof *d);
        return cx_dist_fixed(d, def, &why) == 0 ? 0 : scn_fail(l, g, key, "invalid default");
    }
    return scn_dist_of(l, s, key, R_NONNEG, d);
}

static int parse_deals(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"signed", "spot", "hazard_base", "hazard_price", NULL};
    static const char *const dkeys[] = {"name", "p_signed", "start_month", "gw",
                                        "price_per_gw_year", "term_months", "cancellable",
                                        "notice_days", NULL};
    static const char *const skeys[] = {"start_month", "offers_per_month", "gw", "premium",
                                        "term_months", "notice_days", "max_external_gw", NULL};
    cx_scenario *sc = l->sc;
    cx_deals *dl = &sc->deals;
    const config_setting_t *g, *list = NULL, *sp = NULL;
    double h = sc->horizon_months;
    int rc;
    if ((rc = scn_get_checked_group(l, root, "", "deals", false, keys, &g)) != 0)
        return rc;
    if (g)
        list = config_setting_get_member(g, "signed");
    if ((rc = scn_get_group_list(l, g, "deals.signed", "deal", &list)) != 0)
        return rc;
    int n = list ? config_setting_length(list) : 0;
    if (n > 0) {
        if (!(dl->signed_deals = calloc((size_t)n, sizeof *dl->signed_deals)))
            return scn_oom(l);
        char **names = calloc((size_t)n, sizeof *names);
        if (!names)
            return scn_oom(l);
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
            cx_signed_deal *d = &dl->signed_deals[i];
            char p[KEY_LEN];
            rc = element_name(l, e, "deals.signed", i, "deal", names, list, &d->name, p);
            if (rc)
                break;
            dl->n_signed = i + 1;
            names[i] = d->name;
            if ((rc = scn_check_keys(l, e, p, dkeys)) != 0 ||
                (rc = scn_scalar(l, e, p, "p_signed", R_PROB, 1, false, &d->p_signed)) != 0 ||
                (rc = scn_outcome(l, p, "happens", d->p_signed, &d->happens)) != 0 ||
                (rc = scn_scalar(l, e, p, "start_month", R_ANY, 0, false, &d->start_month)) != 0 ||
                (rc = scn_scalar(l, e, p, "gw", R_NONNEG, 0, true, &d->gw)) != 0 ||
                (rc = scn_scalar(l, e, p, "price_per_gw_year", R_NONNEG, 0, true,
                                 &d->price_per_gw_year)) != 0 ||
                (rc = scn_scalar(l, e, p, "term_months", R_NONNEG, h, false, &d->term_months)) !=
                    0 ||
                (rc = scn_get_bool(l, e, p, "cancellable", false, &d->cancellable)) != 0 ||
                (rc = scn_scalar(l, e, p, "notice_days", R_NONNEG, 90, false, &d->notice_days)) !=
                    0)
                break;
        }
        free(names);
        if (rc)
            return rc;
    }

    /* MODEL.md, details: no deals.spot means no offers; premium 1, max_external_gw unlimited */
    cx_spot *s = &dl->spot;
    if ((rc = scn_get_checked_group(l, g, "deals", "spot", false, skeys, &sp)) != 0 ||
        (rc = scn_scalar(l, sp, "deals.spot", "start_month", R_NONNEG, 0, false,
                         &s->start_month)) != 0 ||
        (rc = scn_scalar(l, sp, "deals.spot", "offers_per_month", R_OFFERS, 0, true,
                         &s->offers_per_month)) != 0 ||
        (rc = spot_dist(l, sp, "gw", true, 0, &s->gw)) != 0 ||
        (rc = spot_dist(l, sp, "premium", false, 1, &s->premium)) != 0 ||
        (rc = scn_scalar(l, sp, "deals.spot", "term_months", R_NONNEG, h, false,
                         &s->term_months)) != 0 ||
        (rc = scn_scalar(l, sp, "deals.spot", "notice_days", R_NONNEG, 90, false,
                         &s->notice_days)) != 0 ||
        (rc = scn_scalar(l, sp, "deals.spot", "max_external_gw", R_NONNEG, INFINITY, false,
                         &s->max_external_gw)) != 0)
        return rc;
    s->present = sp != NULL;

    if ((rc = scn_scalar(l, g, "deals", "hazard_base", R_PROB, 0, false, &dl->hazard_base)) != 0 ||
        (rc = scn_scalar(l, g, "deals", "hazard_price", R_NONNEG, 0, false, &dl->hazard_price)) !=
            0)
        return rc;
    return 0;
}

static int parse_iaas(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"enabled", "max_gw", "discount", NULL};
    cx_iaas *ia = &l->sc->iaas;
    const config_setting_t *g;
    int rc;
    if ((rc = scn_get_checked_group(l, root, "", "iaas", false, keys, &g)) != 0 ||
        (rc = scn_get_bool(l, g, "iaas", "enabled", false, &ia->enabled)) != 0 ||
        (rc = scn_scalar(l, g, "iaas", "max_gw", R_NONNEG, INFINITY, false, &ia->max_gw)) != 0 ||
        /* a discount off the market price is a fraction */
        (rc = scn_scalar(l, g, "iaas", "discount", R_PROB, 0, false, &ia->discount)) != 0)
        return rc;
    return 0;
}

static int parse_allocation(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"priority", NULL};
    static const char *const uses[] = {"msl", "recsys", "taas", NULL};
    cx_scenario *sc = l->sc;
    const config_setting_t *g, *s;
    int rc;
    for (int i = 0; i < CX_N_USES; i++)
        sc->priority[i] = i;
    if ((rc = scn_get_checked_group(l, root, "", "allocation", false, keys, &g)) != 0 || !g)
        return rc;
    if (!(s = config_setting_get_member(g, "priority")))
        return 0;
    if (!config_setting_is_array(s) && !config_setting_is_list(s))
        return scn_fail(l, s, "allocation.priority", "expected an array of use names [ \"msl\", "
                        "\"recsys\", \"taas\" ], got %s", scn_type_name(s));
    int n = config_setting_length(s);
    bool seen[CX_N_USES] = {false};
    for (int i = 0; i < n; i++) {
        char key[KEY_LEN];
        int u;
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        scn_join_index(key, "allocation.priority", i);
        if ((rc = scn_choose(l, e, key, "use", uses, &u)) != 0)
            return rc;
        if (seen[u])
            return scn_fail(l, e, key, "\"%s\" is listed twice", uses[u]);
        seen[u] = true;
        sc->priority[i] = u;
    }
    for (int u = 0; u < CX_N_USES; u++)
        if (!seen[u])
            return scn_fail(l, s, "allocation.priority",
                            "must name msl, recsys and taas once each; "
                            "\"%s\" is missing",
                            uses[u]);
    return 0;
}

static int parse_report(loader *l, const config_setting_t *root)
{
    static const char *const keys[] = {"thresholds", "relative_error", "discount_rate", NULL};
    cx_scenario *sc = l->sc;
    const config_setting_t *g, *s;
    int rc;
    sc->relative_error = DEFAULT_RELATIVE_ERROR;
    if ((rc = scn_get_checked_group(l, root, "", "report", false, keys, &g)) != 0 || !g)
        return rc;
    if ((s = config_setting_get_member(g, "thresholds")) != NULL) {
        if (!config_setting_is_array(s) && !config_setting_is_list(s))
            return scn_fail(l, s, "report.thresholds",
                            "expected an array [ ... ] of numbers, got %s", scn_type_name(s));
        int n = config_setting_length(s);
        if (n > 0 && !(sc->thresholds = malloc((size_t)n * sizeof *sc->thresholds)))
            return scn_oom(l);
        for (int i = 0; i < n; i++) {
            char key[KEY_LEN];
            scn_join_index(key, "report.thresholds", i);
            if ((rc = scn_number_of(l, config_setting_get_elem(s, (unsigned)i), key,
                                    &sc->thresholds[i])) != 0)
                return rc;
            sc->n_thresholds = i + 1;
        }
    }
    if ((s = config_setting_get_member(g, "relative_error")) != NULL) {
        double v;
        if ((rc = scn_number_of(l, s, "report.relative_error", &v)) != 0)
            return rc;
        /* the sketch's bucket count grows as 1/relative_error; 0.1 is already coarse */
        if (!(v >= MIN_RELATIVE_ERROR && v <= MAX_RELATIVE_ERROR))
            return scn_fail(l, s, "report.relative_error", "must be in [%g, %g], got %g",
                            MIN_RELATIVE_ERROR, MAX_RELATIVE_ERROR, v);
        sc->relative_error = v;
    }
    if ((s = config_setting_get_member(g, "discount_rate")) != NULL) {
        /* MODEL.md, Present value: a fixed annual effective rate, >= 0 */
        double v;
        if ((rc = scn_number_of(l, s, "report.discount_rate", &v)) != 0)
            return rc;
        if (!(v >= 0 && isfinite(v)))
            return scn_fail(l, s, "report.discount_rate",
                            "an annual rate must be a finite number >= 0, got %g", v);
        sc->has_discount = true;
        sc->discount_rate = v;
    }
    return 0;
}

/* MODEL.md, Calendar: `start = "YYYY-MM"`, four digits, a dash, a month 01 to 12. */
static int parse_start(loader *l, const config_setting_t *root)
{
    const char *s;
    const config_setting_t *where;
    int rc;
    if ((rc = scn_get_string(l, root, "", "start", &s, &where)) != 0 || !s)
        return rc;
    bool ok = strlen(s) == 7 && s[4] == '-';
    for (int i = 0; ok && i < 7; i++)
        ok = i == 4 || (s[i] >= '0' && s[i] <= '9');
    int year = ok ? atoi(s) : 0, month = ok ? atoi(s + 5) : 0;
    if (!ok || year < 1 || month < 1 || month > 12)
        return scn_fail(l, where, "start",
                        "expected a calendar month \"YYYY-MM\" (month 01 to 12), got \"%s\"", s);
    l->sc->start_year = year;
    l->sc->start_month = month;
    return 0;
}

int scn_parse_root(loader *l, const config_setting_t *root, const char *default_name)
{
    cx_scenario *sc = l->sc;
    const char *s;
    const config_setting_t *where;
    long long h = 36;
    int rc;
    if ((rc = scn_check_keys(l, root, "", top_keys)) != 0)
        return rc;
    if ((rc = scn_get_string(l, root, "", "name", &s, &where)) != 0)
        return rc;
    /* name and description reach terminals: no escape sequences or other control bytes
     * (a description may span lines and use tabs) */
    if (s && scn_control_char(s, false))
        return scn_fail(l, where, "name",
                        "must be printable, without control characters, got \"%s\"", s);
    if (!(sc->name = strdup(s ? s : default_name)))
        return scn_oom(l);
    if (!s) /* the file's own name: shown with '?' for control bytes */
        for (char *c = sc->name; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
    if ((rc = scn_get_string(l, root, "", "description", &s, &where)) != 0)
        return rc;
    if (s && scn_control_char(s, true))
        return scn_fail(l, where, "description", "must be printable, without control characters "
                        "other than newlines and tabs, got \"%s\"", s);
    if (s && !(sc->description = strdup(s)))
        return scn_oom(l);
    if ((rc = scn_get_int(l, root, "", "horizon_months", 1, CX_MAX_HORIZON, &h, NULL)) != 0)
        return rc;
    sc->horizon_months = (int)h;
    if ((rc = parse_start(l, root)) != 0 || (rc = parse_run(l, root)) != 0 || (rc = parse_supply(l, root)) != 0 ||
        (rc = parse_uses(l, root)) != 0 || (rc = parse_market(l, root)) != 0 ||
        (rc = parse_deals(l, root)) != 0 || (rc = parse_iaas(l, root)) != 0 ||
        (rc = parse_allocation(l, root)) != 0 || (rc = parse_report(l, root)) != 0 ||
        (rc = scn_parse_correlations(l, root)) != 0 ||
        (rc = scn_build_sampler(sc, l->err, l->err_len, l->file, l->src)) != 0 ||
        (rc = scn_parse_sweep(l, root)) != 0 ||
        (rc = scn_parse_metric_group(l, root, "tornado", false, &sc->tornado_metric, NULL)) != 0 ||
        (rc = scn_parse_metric_group(l, root, "sobol", true, &sc->sobol_metric,
                                     &sc->sobol_paths)) != 0 ||
        (rc = scn_parse_optimize(l, root)) != 0)
        return rc;
    return 0;
}
