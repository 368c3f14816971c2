/* SPDX-License-Identifier: MIT */
/* Stress analysis (issue 14): inputs held to percentile slices of their own distributions. */
/*
 * A stressed input keeps its distribution but only the part of it between its LO and HI
 * percentiles: its uniform u (the copula's, so rank correlations with other inputs hold) is
 * mapped to LO + (HI - LO) u before the inverse CDF (sampler.h, cx_sampler_draw_sliced). The
 * baseline draws the same inputs the same way with [0, 1], so both runs consume the same
 * numbers from the same block streams: common random numbers.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "sim/base/error.h"
#include "sim/study/stress.h"

void cx_stress_case_clear(cx_stress_case *c)
{
    free(c->name);
    free(c->in);
    memset(c, 0, sizeof *c);
}

void cx_stress_cases_free(cx_stress_case *cases, int n)
{
    for (int i = 0; cases && i < n; i++)
        cx_stress_case_clear(&cases[i]);
    free(cases);
}

int cx_stress_case_add(cx_stress_case *c, const cx_scenario *sc, const char *name, double lo,
                       double hi, char *err, size_t err_len)
{
    int i = cx_scenario_find_input(sc, name);
    if (i < 0) {
        /* the closest input name, or where the names are listed */
        int best = -1, best_d = 4;
        for (int k = 0; k < sc->n_inputs; k++) {
            int d = cx_levenshtein(name, sc->inputs[k].name);
            if (d < best_d) {
                best_d = d;
                best = k;
            }
        }
        if (best >= 0)
            cx_set_err(err, err_len, "unknown input '%s' (did you mean '%s'?)", name,
                       sc->inputs[best].name);
        else
            cx_set_err(err, err_len, "unknown input '%s' (see 'capexsim check' for the names)",
                       name);
        return CX_ERR_USAGE;
    }
    if (!sc->inputs[i].uncertain) {
        cx_set_err(err, err_len, "input '%s' is fixed: only an uncertain input can be stressed",
                   name);
        return CX_ERR_USAGE;
    }
    if (!(lo >= 0.0 && lo <= 1.0) || !(hi >= 0.0 && hi <= 1.0) || !(lo < hi)) {
        cx_set_err(err, err_len, "%s: the slice needs 0 <= LO < HI <= 1, got %g:%g", name, lo,
                   hi);
        return CX_ERR_USAGE;
    }
    for (int k = 0; k < c->n; k++)
        if (c->in[k].input == i) {
            cx_set_err(err, err_len, "input '%s' is stressed twice", name);
            return CX_ERR_USAGE;
        }
    cx_stress_input *grown = realloc(c->in, (size_t)(c->n + 1) * sizeof *grown);
    if (!grown)
        return CX_ERR_NOMEM;
    c->in = grown;
    c->in[c->n++] = (cx_stress_input){i, lo, hi, -1};
    return 0;
}

int cx_stress_case_add_outcome(cx_stress_case *c, const cx_scenario *sc, const char *name,
                               double value, char *err, size_t err_len)
{
    int i = cx_scenario_find_input(sc, name);
    if (i < 0 || !sc->inputs[i].outcome) {
        char list[256] = "";
        for (int k = 0; k < sc->n_inputs; k++)
            if (sc->inputs[k].outcome && strlen(list) + strlen(sc->inputs[k].name) + 3 < sizeof list) {
                strcat(list, list[0] ? ", " : "");
                strcat(list, sc->inputs[k].name);
            }
        cx_set_err(err, err_len, "unknown outcome '%s' (outcomes: %s)", name,
                   list[0] ? list : "none");
        return CX_ERR_USAGE;
    }
    if (!(value == 0.0 || value == 1.0)) {
        cx_set_err(err, err_len, "%s: an outcome is held to 0 (fails) or 1 (succeeds), got %g",
                   name, value);
        return CX_ERR_USAGE;
    }
    for (int k = 0; k < c->n; k++)
        if (c->in[k].input == i) {
            cx_set_err(err, err_len, "input '%s' is stressed twice", name);
            return CX_ERR_USAGE;
        }
    cx_stress_input *grown = realloc(c->in, (size_t)(c->n + 1) * sizeof *grown);
    if (!grown)
        return CX_ERR_NOMEM;
    c->in = grown;
    c->in[c->n++] = (cx_stress_input){i, 0.0, 1.0, (int)value};
    return 0;
}

/* A probability in [0, 1] with nothing after it. */
static int parse_prob(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

int cx_stress_case_add_text(cx_stress_case *c, const cx_scenario *sc, const char *text,
                            char *err, size_t err_len)
{
    const char *eq = strchr(text, '=');
    if (eq) {
        /* NAME=0|1: an outcome held on every path */
        char name[256];
        double v;
        size_t nlen = (size_t)(eq - text);
        if (nlen == 0 || nlen >= sizeof name || parse_prob(eq + 1, &v) < 0) {
            cx_set_err(err, err_len, "expected NAME=0|1 (e.g. msl.success=0), got '%s'", text);
            return CX_ERR_USAGE;
        }
        memcpy(name, text, nlen);
        name[nlen] = 0;
        return cx_stress_case_add_outcome(c, sc, name, v, err, err_len);
    }
    /* NAME:LO:HI, split at the last two colons (dotted names hold no colon, but be safe) */
    const char *c2 = strrchr(text, ':');
    const char *c1 = NULL;
    for (const char *p = text; c2 && p < c2; p++)
        if (*p == ':')
            c1 = p;
    if (!c1 || c1 == text) {
        cx_set_err(err, err_len, "expected NAME:LO:HI (e.g. msl.p_success:0.9:1), got '%s'",
                   text);
        return CX_ERR_USAGE;
    }
    size_t nlen = (size_t)(c1 - text), llen = (size_t)(c2 - c1 - 1);
    char name[256], los[64];
    double lo, hi;
    if (nlen >= sizeof name || llen >= sizeof los) {
        cx_set_err(err, err_len, "expected NAME:LO:HI, got '%s'", text);
        return CX_ERR_USAGE;
    }
    memcpy(name, text, nlen);
    name[nlen] = 0;
    memcpy(los, c1 + 1, llen);
    los[llen] = 0;
    if (parse_prob(los, &lo) < 0 || parse_prob(c2 + 1, &hi) < 0) {
        cx_set_err(err, err_len, "%s: LO and HI must be numbers in [0, 1], got '%s'", name,
                   text);
        return CX_ERR_USAGE;
    }
    return cx_stress_case_add(c, sc, name, lo, hi, err, err_len);
}

/* "FILE:LINE: KEY: message" for setting s. */
static int cfg_fail(char *err, size_t err_len, const cx_scenario *sc, const config_setting_t *s,
                    const char *key, const char *msg)
{
    cx_set_err(err, err_len, "%s:%u: %s: %s", sc->path, s ? config_setting_source_line(s) : 0,
               key, msg);
    return CX_ERR_CONFIG;
}

/* Checks that group g has only the keys in keys[] (NULL-terminated). */
static int only_keys(char *err, size_t err_len, const cx_scenario *sc, const config_setting_t *g,
                     const char *prefix, const char *const *keys)
{
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *n = config_setting_name(m);
        bool known = false;
        for (int k = 0; keys[k] && !known; k++)
            known = n && strcmp(n, keys[k]) == 0;
        if (!known) {
            char key[320];
            snprintf(key, sizeof key, "%s.%s", prefix, n ? n : "?");
            return cfg_fail(err, err_len, sc, m, key, "unknown key");
        }
    }
    return 0;
}

static int number_of(const config_setting_t *s, double *out)
{
    int t = s ? config_setting_type(s) : CONFIG_TYPE_NONE;
    if (t == CONFIG_TYPE_FLOAT || t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
        *out = config_setting_get_float(s);
        if (t != CONFIG_TYPE_FLOAT)
            *out = (double)config_setting_get_int64(s);
        return 0;
    }
    return -1;
}

static int load_case(cx_stress_case *c, const cx_scenario *sc, const config_setting_t *g,
                     char *err, size_t err_len)
{
    static const char *const ckeys[] = {"name", "inputs", NULL};
    static const char *const ikeys[] = {"name", "lo", "hi", NULL};
    const char *name = NULL;
    if (!config_setting_is_group(g))
        return cfg_fail(err, err_len, sc, g, "stress.cases", "each case must be a group");
    if (!config_setting_lookup_string(g, "name", &name) || !name[0])
        return cfg_fail(err, err_len, sc, g, "stress.cases.name", "missing (a string)");
    /* a case name reaches terminals and CSV cells: no control bytes (issue 25) */
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return cfg_fail(err, err_len, sc, g, "stress.cases.name",
                            "must be printable, without control characters");
    char prefix[300];
    snprintf(prefix, sizeof prefix, "stress.cases.%s", name);
    int rc = only_keys(err, err_len, sc, g, prefix, ckeys);
    if (rc)
        return rc;
    if (!(c->name = strdup(name)))
        return CX_ERR_NOMEM;
    const config_setting_t *ins = config_setting_get_member(g, "inputs");
    char key[320];
    snprintf(key, sizeof key, "%s.inputs", prefix);
    if (!ins || !config_setting_is_list(ins) || config_setting_length(ins) == 0)
        return cfg_fail(err, err_len, sc, ins ? ins : g, key,
                        "a list of one or more { name; lo; hi; } groups");
    for (int i = 0; i < config_setting_length(ins); i++) {
        const config_setting_t *e = config_setting_get_elem(ins, (unsigned)i);
        const char *iname = NULL;
        double lo, hi;
        if (!config_setting_is_group(e) || !config_setting_lookup_string(e, "name", &iname))
            return cfg_fail(err, err_len, sc, e, key, "each input is a { name; lo; hi; } group");
        char ikey[600];
        snprintf(ikey, sizeof ikey, "%s.%s", key, iname);
        if ((rc = only_keys(err, err_len, sc, e, ikey, ikeys)))
            return rc;
        if (number_of(config_setting_get_member(e, "lo"), &lo) < 0 ||
            number_of(config_setting_get_member(e, "hi"), &hi) < 0)
            return cfg_fail(err, err_len, sc, e, ikey, "lo and hi must be numbers in [0, 1]");
        char msg[400];
        rc = cx_stress_case_add(c, sc, iname, lo, hi, msg, sizeof msg);
        if (rc == CX_ERR_USAGE)
            return cfg_fail(err, err_len, sc, e, ikey, msg);
        if (rc)
            return rc;
    }
    return 0;
}

int cx_stress_cases_load(cx_stress_case **cases, int *n, const cx_scenario *sc, char *err,
                         size_t err_len)
{
    *cases = NULL;
    *n = 0;
    if (!sc->path || sc->path[0] == '<')
        return 0; /* the built-in scenario */
    config_t cfg;
    config_init(&cfg);
    int rc = 0;
    /* the text the scenario was loaded from (its SHA-256's, the one a result embeds and
     * `capexsim rerun` loads) rather than the file again, which may have changed or gone;
     * lines are that text's: the file's own where no @include comes before the group */
    if ((sc->text ? config_read_string(&cfg, sc->text) : config_read_file(&cfg, sc->path)) !=
        CONFIG_TRUE) {
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO) {
            cx_set_err(err, err_len, "%s: cannot read it again: %s", sc->path, strerror(errno));
            rc = CX_ERR_IO;
        } else {
            cx_set_err(err, err_len, "%s:%d: %s", sc->path, config_error_line(&cfg),
                       config_error_text(&cfg));
            rc = CX_ERR_CONFIG;
        }
        goto done;
    }
    const config_setting_t *g = config_lookup(&cfg, "stress");
    if (!g)
        goto done;
    static const char *const keys[] = {"cases", NULL};
    if (!config_setting_is_group(g)) {
        rc = cfg_fail(err, err_len, sc, g, "stress", "must be a group");
        goto done;
    }
    if ((rc = only_keys(err, err_len, sc, g, "stress", keys)))
        goto done;
    const config_setting_t *l = config_setting_get_member(g, "cases");
    if (!l || !config_setting_is_list(l)) {
        rc = cfg_fail(err, err_len, sc, l ? l : g, "stress.cases", "a list of cases ( { ... } )");
        goto done;
    }
    int m = config_setting_length(l);
    if (m > 0 && !(*cases = calloc((size_t)m, sizeof **cases))) {
        rc = CX_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < m; i++) {
        *n = i + 1;
        if ((rc = load_case(&(*cases)[i], sc, config_setting_get_elem(l, (unsigned)i), err,
                            err_len)))
            goto done;
        for (int k = 0; k < i; k++)
            if (strcmp((*cases)[k].name, (*cases)[i].name) == 0) {
                rc = cfg_fail(err, err_len, sc, config_setting_get_elem(l, (unsigned)i),
                              "stress.cases.name", "two cases have this name");
                goto done;
            }
    }
done:
    config_destroy(&cfg);
    if (rc) {
        cx_stress_cases_free(*cases, *n);
        *cases = NULL;
        *n = 0;
    }
    return rc;
}

static int src_thread_new(void *ctx, void **state)
{
    const cx_stress_source *s = ctx;
    int n = cx_sampler_work_size(s->sampler);
    *state = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    return *state ? 0 : CX_ERR_NOMEM;
}

static void src_thread_free(void *ctx, void *state)
{
    (void)ctx;
    free(state);
}

static void src_fill(void *ctx, void *state, uint64_t b, int i, gsl_rng *r, double *x)
{
    (void)b;
    (void)i;
    const cx_stress_source *s = ctx;
    cx_sampler_draw_sliced(s->sampler, s->slice, r, x, state);
    /* outcomes held: u's law given the outcome, from the same u (stress.h) */
    for (int k = 0; k < s->n_out; k++) {
        const double p = x[s->out[k][1]], u = x[s->out[k][0]];
        x[s->out[k][0]] = s->out[k][2] ? p * u : p + (1.0 - p) * u;
    }
}

int cx_stress_source_init(cx_input_source *src, cx_stress_source *ctx, const cx_scenario *sc,
                          const cx_stress_case *c, bool stressed)
{
    ctx->sampler = sc->sampler;
    ctx->slice = calloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1), sizeof *ctx->slice);
    if (!ctx->slice)
        return CX_ERR_NOMEM;
    ctx->n_out = 0;
    ctx->out = calloc((size_t)(c->n > 0 ? c->n : 1), sizeof *ctx->out);
    if (!ctx->out) {
        free(ctx->slice);
        ctx->slice = NULL;
        return CX_ERR_NOMEM;
    }
    for (int k = 0; k < c->n; k++) {
        if (c->in[k].outcome >= 0) {
            /* drawn as usual in both runs; held in the stressed one */
            if (stressed) {
                int *o = ctx->out[ctx->n_out++];
                o[0] = c->in[k].input;
                o[1] = sc->inputs[c->in[k].input].outcome_p;
                o[2] = c->in[k].outcome;
            }
            continue;
        }
        cx_slice *s = &ctx->slice[c->in[k].input];
        s->on = true;
        s->lo = stressed ? c->in[k].lo : 0.0;
        s->hi = stressed ? c->in[k].hi : 1.0;
    }
    *src = (cx_input_source){ctx, src_thread_new, src_thread_free, NULL, src_fill, NULL};
    return 0;
}

void cx_stress_source_clear(cx_stress_source *ctx)
{
    free(ctx->slice);
    ctx->slice = NULL;
    free(ctx->out);
    ctx->out = NULL;
    ctx->n_out = 0;
}
