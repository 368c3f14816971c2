/* SPDX-License-Identifier: MIT */
/* Scenario files: distributions and scalar inputs (the families and their parameters). */

/*
 * A distribution is a group with a 'dist' family and that family's parameters; parse_dist
 * reads one and checks it is well formed, check_range that its whole clamped support is
 * allowed for the input (a probability, a rate, ...). Every number of the model becomes a
 * scalar input: a cx_dist with a dotted name, fixed when the file gives a plain number or
 * leaves the field out (the MODEL.md default).
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

/* ---------------------------------------------------------------- distributions */

static const char *const family_names[CX_DIST_N_FAMILIES + 1] = {
    "fixed", "uniform", "triangular", "pert", "normal", "lognormal",
    "beta", "gamma", "bernoulli", "discrete", NULL,
};

/* Keys each family accepts (besides dist, min, max), MODEL.md "Uncertain inputs". */
static const char *const family_params[CX_DIST_N_FAMILIES][6] = {
    {"value"},
    {"low", "high"},
    {"low", "mode", "high"},
    {"low", "mode", "high", "lambda"},
    {"mean", "sd"},
    {"median", "p90", "mu", "sigma"},
    {"alpha", "beta"},
    {"shape", "scale"},
    {"p"},
    {"values", "weights"},
};

static bool is_param_of_any(const char *name)
{
    for (int f = 0; f < CX_DIST_N_FAMILIES; f++)
        for (int j = 0; j < 6 && family_params[f][j]; j++)
            if (strcmp(name, family_params[f][j]) == 0)
                return true;
    return false;
}

/* Looks up parameter `name` of a dist group: *have says whether it is there. */
int scn_param(loader *l, const config_setting_t *g, const char *key, const char *name,
              double *v, bool *have)
{
    char pkey[KEY_LEN];
    scn_join(pkey, key, name);
    const config_setting_t *s = config_setting_get_member(g, name);
    *have = s != NULL;
    if (!s)
        return 0;
    return scn_number_of(l, s, pkey, v);
}

/* A required parameter of family fam. */
static int need(loader *l, const config_setting_t *g, const char *key, int fam, const char *name,
                double *v)
{
    bool have;
    int rc = scn_param(l, g, key, name, v, &have);
    if (rc)
        return rc;
    if (!have)
        return scn_fail(l, g, key, "the %s distribution needs '%s'", family_names[fam], name);
    return 0;
}

static int positive(loader *l, const config_setting_t *g, const char *key, const char *name,
                    double v)
{
    if (v > 0)
        return 0;
    char pkey[KEY_LEN];
    scn_join(pkey, key, name);
    return scn_fail(l, config_setting_get_member(g, name), pkey, "must be > 0, got %g", v);
}

/* A numeric array or list (at least one element) into a fresh array. */
int scn_number_array(loader *l, const config_setting_t *g, const char *key, const char *name,
                     double **out, int *n)
{
    char pkey[KEY_LEN];
    scn_join(pkey, key, name);
    const config_setting_t *s = config_setting_get_member(g, name);
    if (!config_setting_is_array(s) && !config_setting_is_list(s))
        return scn_fail(l, s, pkey, "expected an array [ ... ] of numbers, got %s",
                        scn_type_name(s));
    *n = config_setting_length(s);
    if (*n == 0)
        return scn_fail(l, s, pkey, "must not be empty");
    *out = malloc((size_t)*n * sizeof **out);
    if (!*out)
        return scn_oom(l);
    for (int i = 0; i < *n; i++) {
        char ekey[KEY_LEN];
        scn_join_index(ekey, pkey, i);
        int rc = scn_number_of(l, config_setting_get_elem(s, (unsigned)i), ekey, &(*out)[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_discrete(loader *l, const config_setting_t *g, const char *key, cx_dist *d,
                          const char **why)
{
    double *values = NULL, *weights = NULL;
    int nv = 0, nw = 0, rc = 0;
    char wkey[KEY_LEN];
    scn_join(wkey, key, "weights");
    for (int j = 0; j < 2; j++)
        if (!config_setting_get_member(g, family_params[CX_DIST_DISCRETE][j])) {
            rc = scn_fail(l, g, key, "the discrete distribution needs '%s'",
                          family_params[CX_DIST_DISCRETE][j]);
            goto done;
        }
    if ((rc = scn_number_array(l, g, key, "values", &values, &nv)) != 0 ||
        (rc = scn_number_array(l, g, key, "weights", &weights, &nw)) != 0)
        goto done;
    if (nv != nw) {
        rc = scn_fail(l, g, key, "values and weights must have the same length, got %d values and "
                      "%d weights", nv, nw);
        goto done;
    }
    double sum = 0;
    for (int i = 0; i < nw; i++) {
        if (weights[i] < 0) {
            rc = scn_fail(l, config_setting_get_member(g, "weights"), wkey,
                          "weights must be >= 0, got %g", weights[i]);
            goto done;
        }
        sum += weights[i];
    }
    if (!(sum > 0)) {
        rc = scn_fail(l, config_setting_get_member(g, "weights"), wkey,
                      "the weights sum to 0; at least one must be > 0");
        goto done;
    }
    rc = cx_dist_discrete(d, values, weights, nv, why);
    if (rc == CX_ERR_NOMEM)
        rc = scn_oom(l);
    else if (rc)
        rc = scn_fail(l, g, key, "%s", *why ? *why : "invalid discrete distribution");
done:
    free(values);
    free(weights);
    return rc;
}

/* Checks only the relations between parameters that the family's initialiser also checks,
 * so messages name the key and the values. */
static int parse_family(loader *l, const config_setting_t *g, const char *key, int fam,
                        cx_dist *d)
{
    const char *why = NULL;
    double a = 0, b = 0, c = 0, lam = 4;
    bool have;
    int rc = 0;
    switch (fam) {
    case CX_DIST_FIXED:
        if ((rc = need(l, g, key, fam, "value", &a)) != 0)
            return rc;
        rc = cx_dist_fixed(d, a, &why);
        break;
    case CX_DIST_UNIFORM:
    case CX_DIST_TRIANGULAR:
    case CX_DIST_PERT:
        if ((rc = need(l, g, key, fam, "low", &a)) != 0 ||
            (fam != CX_DIST_UNIFORM && (rc = need(l, g, key, fam, "mode", &b)) != 0) ||
            (rc = need(l, g, key, fam, "high", &c)) != 0)
            return rc;
        if (!(a < c))
            return scn_fail(l, g, key, "low must be < high, got low = %g, high = %g", a, c);
        if (fam != CX_DIST_UNIFORM && (b < a || b > c)) {
            char mkey[KEY_LEN];
            scn_join(mkey, key, "mode");
            return scn_fail(l, config_setting_get_member(g, "mode"), mkey,
                            "mode must lie in [low, high] = [%g, %g], got %g", a, c, b);
        }
        if (fam == CX_DIST_PERT) {
            if ((rc = scn_param(l, g, key, "lambda", &lam, &have)) != 0 ||
                (have && (rc = positive(l, g, key, "lambda", lam)) != 0))
                return rc;
        }
        rc = fam == CX_DIST_UNIFORM      ? cx_dist_uniform(d, a, c, &why)
             : fam == CX_DIST_TRIANGULAR ? cx_dist_triangular(d, a, b, c, &why)
                                         : cx_dist_pert(d, a, b, c, lam, &why);
        break;
    case CX_DIST_NORMAL:
        if ((rc = need(l, g, key, fam, "mean", &a)) != 0 ||
            (rc = need(l, g, key, fam, "sd", &b)) != 0 ||
            (rc = positive(l, g, key, "sd", b)) != 0)
            return rc;
        rc = cx_dist_normal(d, a, b, &why);
        break;
    case CX_DIST_LOGNORMAL: {
        bool hm = config_setting_get_member(g, "median") != NULL;
        bool hp = config_setting_get_member(g, "p90") != NULL;
        bool hmu = config_setting_get_member(g, "mu") != NULL;
        bool hs = config_setting_get_member(g, "sigma") != NULL;
        if ((hm || hp) && (hmu || hs))
            return scn_fail(l, g, key, "give either median and p90 or mu and sigma, not both");
        if (hm || hp) {
            if ((rc = need(l, g, key, fam, "median", &a)) != 0 ||
                (rc = need(l, g, key, fam, "p90", &b)) != 0 ||
                (rc = positive(l, g, key, "median", a)) != 0)
                return rc;
            if (!(b > a)) {
                char pkey[KEY_LEN];
                scn_join(pkey, key, "p90");
                return scn_fail(l, config_setting_get_member(g, "p90"), pkey,
                                "must be > median = %g, got %g", a, b);
            }
            rc = cx_dist_lognormal_median_p90(d, a, b, &why);
        } else if (hmu || hs) {
            if ((rc = need(l, g, key, fam, "mu", &a)) != 0 ||
                (rc = need(l, g, key, fam, "sigma", &b)) != 0 ||
                (rc = positive(l, g, key, "sigma", b)) != 0)
                return rc;
            rc = cx_dist_lognormal(d, a, b, &why);
        } else {
            return scn_fail(l, g, key, "the lognormal distribution needs median and p90, or mu and "
                            "sigma");
        }
        break;
    }
    case CX_DIST_BETA:
    case CX_DIST_GAMMA: {
        const char *n1 = family_params[fam][0], *n2 = family_params[fam][1];
        if ((rc = need(l, g, key, fam, n1, &a)) != 0 || (rc = need(l, g, key, fam, n2, &b)) != 0 ||
            (rc = positive(l, g, key, n1, a)) != 0 || (rc = positive(l, g, key, n2, b)) != 0)
            return rc;
        rc = fam == CX_DIST_BETA ? cx_dist_beta(d, a, b, &why) : cx_dist_gamma(d, a, b, &why);
        break;
    }
    case CX_DIST_BERNOULLI:
        if ((rc = need(l, g, key, fam, "p", &a)) != 0)
            return rc;
        if (!(a >= 0 && a <= 1)) {
            char pkey[KEY_LEN];
            scn_join(pkey, key, "p");
            return scn_fail(l, config_setting_get_member(g, "p"), pkey,
                            "a probability must be in [0, 1], got %g", a);
        }
        rc = cx_dist_bernoulli(d, a, &why);
        break;
    case CX_DIST_DISCRETE: return parse_discrete(l, g, key, d, &why);
    default: return scn_fail(l, g, key, "internal error: family %d", fam);
    }
    if (rc == CX_ERR_NOMEM)
        return scn_oom(l);
    if (rc)
        return scn_fail(l, g, key, "%s", why ? why : "invalid parameters");
    return 0;
}

/* A distribution group { dist = "..."; params...; min; max; } into d (zeroed by the caller). */
static int parse_dist(loader *l, const config_setting_t *g, const char *key, cx_dist *d)
{
    char dkey[KEY_LEN];
    scn_join(dkey, key, "dist");
    const config_setting_t *ds = config_setting_get_member(g, "dist");
    if (!ds)
        return scn_fail(l, g, key, "a distribution group needs dist = \"<family>\" (one of fixed, "
                        "uniform, triangular, pert, normal, lognormal, beta, gamma, bernoulli, "
                        "discrete)");
    int fam, rc;
    if ((rc = scn_choose(l, ds, dkey, "distribution", family_names, &fam)) != 0)
        return rc;

    /* Keys allowed for this family; a parameter of another family gets its own message. */
    const char *allowed[10] = {"dist", "min", "max"};
    int na = 3;
    for (int j = 0; j < 6 && family_params[fam][j]; j++)
        allowed[na++] = family_params[fam][j];
    allowed[na] = NULL;
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *c = config_setting_get_elem(g, (unsigned)i);
        const char *cn = config_setting_name(c);
        if (scn_in_list(cn, allowed))
            continue;
        if (is_param_of_any(cn)) {
            char ckey[KEY_LEN], list[KEY_LEN] = "";
            size_t used = 0;
            scn_join(ckey, key, cn);
            for (int j = 3; j < na; j++) {
                int k = snprintf(list + used, sizeof list - used, "%s, ", allowed[j]);
                if (k < 0 || (size_t)k >= sizeof list - used)
                    break;
                used += (size_t)k;
            }
            return scn_fail(l, c, ckey, "'%s' is not a parameter of the %s distribution (it takes "
                            "%smin, max)", cn, family_names[fam], list);
        }
        return scn_unknown_key(l, c, key, allowed);
    }

    if ((rc = parse_family(l, g, key, fam, d)) != 0)
        return rc;

    bool have_min, have_max;
    double lo = -INFINITY, hi = INFINITY;
    if ((rc = scn_param(l, g, key, "min", &lo, &have_min)) != 0 ||
        (rc = scn_param(l, g, key, "max", &hi, &have_max)) != 0)
        return rc;
    if (lo > hi)
        return scn_fail(l, g, key, "min must be <= max, got min = %g, max = %g", lo, hi);
    d->min = have_min ? lo : d->min;
    d->max = have_max ? hi : d->max;
    const char *why = NULL;
    if (cx_dist_check_clamps(d, &why) != 0)
        return scn_fail(l, g, key, "%s", why ? why : "invalid min/max");
    return 0;
}

/* The range of a distribution as a message fragment. */
static const char *family_of(const cx_dist *d)
{
    return (int)d->family >= 0 && d->family < CX_DIST_N_FAMILIES ? family_names[d->family] : "?";
}

/*
 * Checks that every value d can produce is allowed for rk. A distribution is judged by its
 * clamped support, so a normal used for a probability must be clamped with min and max.
 * where/key locate the message.
 */
static int check_range(loader *l, const config_setting_t *where, const char *key,
                       const cx_dist *d, range_kind rk)
{
    double lo = cx_dist_lower(d), hi = cx_dist_upper(d);
    bool fixed = cx_dist_is_fixed(d);
    switch (rk) {
    case R_ANY: return 0;
    case R_PROB:
        if (lo >= 0 && hi <= 1)
            return 0;
        if (fixed)
            return scn_fail(l, where, key, "a probability must be in [0, 1], got %g",
                            lo < 0 ? lo : hi);
        return scn_fail(l, where, key,
                        "a probability must be in [0, 1], but this %s distribution "
                        "ranges over [%g, %g] (clamp it with min = 0 and max = 1)",
                        family_of(d), lo, hi);
    case R_OFFERS:
        if (lo >= 0 && hi <= MAX_OFFERS_PER_MONTH)
            return 0;
        if (fixed)
            return scn_fail(l, where, key, "must be in [0, %g] (offers a month), got %g",
                            MAX_OFFERS_PER_MONTH, lo < 0 ? lo : hi);
        return scn_fail(l, where, key, "must be in [0, %g] (offers a month), but this %s "
                        "distribution ranges over [%g, %g] (clamp it with min = 0 and max <= %g)",
                        MAX_OFFERS_PER_MONTH, family_of(d), lo, hi, MAX_OFFERS_PER_MONTH);
    case R_NONNEG:
        if (lo >= 0)
            return 0;
        if (fixed)
            return scn_fail(l, where, key, "must be >= 0, got %g", lo);
        return scn_fail(l, where, key, "must be >= 0, but this %s distribution reaches down to %g "
                        "(clamp it with min = 0)", family_of(d), lo);
    case R_POS:
        /* lower end 0 is fine when it carries no mass (lognormal, gamma, uniform from 0) */
        if (lo > 0 || (lo == 0 && !fixed && cx_dist_cdf(d, 0.0) == 0.0))
            return 0;
        if (fixed)
            return scn_fail(l, where, key, "must be > 0, got %g", lo);
        return scn_fail(l, where, key, "must be > 0, but this %s distribution reaches down to %g "
                        "(clamp it with a min > 0)", family_of(d), lo);
    }
    return 0;
}

/* ---------------------------------------------------------------- scalar inputs */

static int add_input(loader *l, const char *name, cx_dist *d, int line, bool from_config,
                     range_kind rk, cx_in *out)
{
    cx_scenario *sc = l->sc;
    if (sc->n_inputs == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        cx_input *in = realloc(sc->inputs, (size_t)cap * sizeof *in);
        if (!in)
            return scn_oom(l);
        sc->inputs = in;
        range_kind *r = realloc(l->range, (size_t)cap * sizeof *r);
        if (!r)
            return scn_oom(l);
        l->range = r;
        l->cap = cap;
    }
    char *nm = strdup(name);
    if (!nm)
        return scn_oom(l);
    cx_input *in = &sc->inputs[sc->n_inputs];
    in->name = nm;
    in->dist = *d; /* takes ownership of the discrete arrays */
    memset(d, 0, sizeof *d);
    in->line = line;
    in->from_config = from_config;
    in->uncertain = !cx_dist_is_fixed(&in->dist);
    in->outcome = false;
    in->outcome_p = -1;
    l->range[sc->n_inputs] = rk;
    *out = sc->n_inputs++;
    return 0;
}

/* A number or a distribution group s (the setting itself) into d, checked against rk. */
int scn_dist_of(loader *l, const config_setting_t *s, const char *key, range_kind rk,
                cx_dist *d)
{
    int rc;
    const char *why = NULL;
    memset(d, 0, sizeof *d);
    if (config_setting_is_number(s)) {
        double v;
        if ((rc = scn_number_of(l, s, key, &v)) != 0)
            return rc;
        if (cx_dist_fixed(d, v, &why) != 0)
            return scn_fail(l, s, key, "%s", why ? why : "invalid value");
    } else if (config_setting_is_group(s)) {
        if ((rc = parse_dist(l, s, key, d)) != 0)
            return rc;
    } else {
        return scn_fail(l, s, key,
                        "expected a number or a distribution group { dist = ...; }, got %s",
                        scn_type_name(s));
    }
    return check_range(l, s, key, d, rk);
}

/* Scalar input from setting s (never NULL) named key. */
int scn_input_from(loader *l, const config_setting_t *s, const char *key, range_kind rk,
                   cx_in *out)
{
    cx_dist d;
    int rc = scn_dist_of(l, s, key, rk, &d);
    if (rc == 0)
        rc = add_input(l, key, &d, config_setting_source_line(s), true, rk, out);
    cx_dist_clear(&d);
    return rc;
}

/*
 * Scalar input `field` of group g (g may be NULL for an absent group): from the file, or a
 * fixed default (from_config false). required applies only when the group is present.
 */
int scn_scalar(loader *l, const config_setting_t *g, const char *prefix, const char *field,
               range_kind rk, double def, bool required, cx_in *out)
{
    char key[KEY_LEN];
    scn_join(key, prefix, field);
    const config_setting_t *s = g ? config_setting_get_member(g, field) : NULL;
    if (s)
        return scn_input_from(l, s, key, rk, out);
    if (g && required)
        return scn_fail(l, g, key, "missing required key");
    cx_dist d;
    const char *why = NULL;
    memset(&d, 0, sizeof d);
    if (cx_dist_fixed(&d, isinf(def) ? 0.0 : def, &why) != 0)
        return scn_fail(l, g, key, "invalid default %g", def);
    /* "unlimited" defaults (MODEL.md): cx_dist_fixed takes only finite values from files, but
     * a point at +inf is well defined for every query the model makes (lower, upper, median) */
    d.p[0] = def;
    int rc = add_input(l, key, &d, 0, false, rk, out);
    cx_dist_clear(&d);
    return rc;
}

int cx_outcome_dist(cx_dist *d, const cx_dist *p)
{
    const char *why = NULL;
    memset(d, 0, sizeof *d);
    bool certain = cx_dist_is_fixed(p) &&
                   (cx_dist_lower(p) <= 0.0 || cx_dist_lower(p) >= 1.0);
    return certain ? cx_dist_fixed(d, 0.5, &why) : cx_dist_uniform(d, 0.0, 1.0, &why);
}

int scn_outcome(loader *l, const char *prefix, const char *field, cx_in p, cx_in *out)
{
    char key[KEY_LEN];
    scn_join(key, prefix, field);
    cx_dist d;
    if (cx_outcome_dist(&d, &l->sc->inputs[p].dist) != 0)
        return scn_fail(l, NULL, key, "invalid outcome law");
    int rc = add_input(l, key, &d, l->sc->inputs[p].line, false, R_PROB, out);
    cx_dist_clear(&d);
    if (rc == 0) {
        l->sc->inputs[*out].outcome = true;
        l->sc->inputs[*out].outcome_p = p;
    }
    return rc;
}

int cx_scenario_find_input(const cx_scenario *sc, const char *name)
{
    for (int i = 0; i < sc->n_inputs; i++)
        if (strcmp(sc->inputs[i].name, name) == 0)
            return i;
    return -1;
}

/* An input named in correlations or sweeps: must exist; suggests the closest name. */
int scn_lookup_input(loader *l, const config_setting_t *s, const char *key, const char *name,
                     const char *verb, cx_in *out)
{
    cx_scenario *sc = l->sc;
    if (strcmp(name, SPOT_GW) == 0 || strcmp(name, SPOT_PREMIUM) == 0)
        return scn_fail(l, s, key,
                        "\"%s\" is drawn per spot offer, not once per path, so it cannot "
                        "be %s",
                        name, verb);
    *out = cx_scenario_find_input(sc, name);
    if (*out >= 0)
        return 0;
    int best = -1, best_d = 1 << 30;
    for (int i = 0; i < sc->n_inputs; i++) {
        int d = scn_levenshtein(name, sc->inputs[i].name);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    if (best >= 0 && best_d <= 3)
        return scn_fail(l, s, key, "unknown input \"%s\" (did you mean '%s'?)", name,
                        sc->inputs[best].name);
    return scn_fail(l, s, key, "unknown input \"%s\" ('capexsim check FILE' lists the %d "
                    "input names)", name, sc->n_inputs);
}
