/* SPDX-License-Identifier: MIT */
/* Scenario files: correlations between scalar inputs, and the copula sampler built from them. */

/*
 * Correlations are pairs of input names with a rank correlation; each name must be a
 * non-fixed scalar input. The sampler borrows the inputs' distributions and factors the
 * correlation matrix once; a matrix that is not positive definite is reported at the pair
 * after which the factorisation fails.
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

int scn_parse_correlations(loader *l, const config_setting_t *root)
{
    cx_scenario *sc = l->sc;
    const config_setting_t *s = config_setting_get_member(root, "correlations");
    if (!s)
        return 0;
    if (!config_setting_is_list(s))
        return scn_fail(l, s, "correlations",
                        "expected a list of (\"input\", \"input\", rho) lists, "
                        "got %s",
                        scn_type_name(s));
    int n = config_setting_length(s);
    if (n > MAX_PAIRS)
        return scn_fail(l, s, "correlations", "at most %d pairs, got %d", MAX_PAIRS, n);
    if (n > 0 && !(sc->corr = calloc((size_t)n, sizeof *sc->corr)))
        return scn_oom(l);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char key[KEY_LEN];
        const char *na, *nb;
        double rho;
        cx_in ia, ib;
        int rc;
        scn_join_index(key, "correlations", i);
        if (!config_setting_is_list(e) || config_setting_length(e) != 3 ||
            config_setting_type(config_setting_get_elem(e, 0)) != CONFIG_TYPE_STRING ||
            config_setting_type(config_setting_get_elem(e, 1)) != CONFIG_TYPE_STRING)
            return scn_fail(l, e, key, "expected (\"input\", \"input\", rho), got %s",
                            scn_type_name(e));
        na = config_setting_get_string(config_setting_get_elem(e, 0));
        nb = config_setting_get_string(config_setting_get_elem(e, 1));
        if ((rc = scn_number_of(l, config_setting_get_elem(e, 2), key, &rho)) != 0 ||
            (rc = scn_lookup_input(l, e, key, na, "correlated", &ia)) != 0 ||
            (rc = scn_lookup_input(l, e, key, nb, "correlated", &ib)) != 0)
            return rc;
        if (ia == ib)
            return scn_fail(l, e, key, "an input cannot be correlated with itself (\"%s\")", na);
        for (int k = 0; k < 2; k++) {
            const cx_input *in = &sc->inputs[k ? ib : ia];
            if (!in->uncertain)
                return scn_fail(l, e, key, "\"%s\" is fixed, so it cannot be correlated (give it a "
                                "distribution)", in->name);
        }
        if (!(rho >= -1 && rho <= 1))
            return scn_fail(l, e, key, "rho must be in [-1, 1], got %g", rho);
        for (int j = 0; j < i; j++)
            if ((sc->corr[j].a == ia && sc->corr[j].b == ib) ||
                (sc->corr[j].a == ib && sc->corr[j].b == ia))
            {
                char ref[KEY_LEN];
                return scn_fail(l, e, key, "the pair (\"%s\", \"%s\") is already given at %s", na,
                                nb,
                                scn_line_ref(l, (int)config_setting_source_line(e),
                                             sc->corr[j].line, ref, sizeof ref));
            }
        sc->corr[i] = (cx_corr){.a = ia, .b = ib, .rho = rho,
                                .line = (int)config_setting_source_line(e)};
        sc->n_corr = i + 1;
    }
    /* the copula's matrix is m x m for the m inputs named in pairs */
    bool *named = calloc((size_t)(sc->n_inputs ? sc->n_inputs : 1), sizeof *named);
    if (!named)
        return scn_oom(l);
    int m = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            int x = k ? sc->corr[i].b : sc->corr[i].a;
            m += !named[x];
            named[x] = true;
        }
    free(named);
    if (m > MAX_COPULA)
        return scn_fail(l, s, "correlations", "at most %d correlated inputs, got %d", MAX_COPULA,
                        m);
    return 0;
}

/*
 * Each input's stream key (issue 23 item 8, cx_sampler_new_keyed) into keys[n_inputs]: the
 * first 8 bytes of the SHA-256 of its dotted name, big-endian. Names are unique, so keys
 * collide only by chance (2^-64 a pair).
 */
static void name_keys(const cx_scenario *sc, uint64_t *keys)
{
    for (int i = 0; i < sc->n_inputs; i++) {
        struct sha256_ctx ctx;
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_init(&ctx);
        sha256_update(&ctx, strlen(sc->inputs[i].name), (const uint8_t *)sc->inputs[i].name);
        sha256_digest(&ctx, sizeof d, d);
        uint64_t k = 0;
        for (int j = 0; j < 8; j++)
            k = k << 8 | d[j];
        keys[i] = k;
    }
}

/*
 * Builds sc->sampler from the inputs and correlations. The sampler borrows a contiguous array
 * of the input distributions; dists_ holds shallow copies (the discrete arrays stay owned by
 * the inputs). A failing Cholesky is reported at the pair after which it fails.
 */
int scn_build_sampler(cx_scenario *sc, char *err, size_t err_len, const char *file,
                      const source *src)
{
    free(sc->dists_);
    sc->dists_ = malloc((size_t)(sc->n_inputs ? sc->n_inputs : 1) * sizeof *sc->dists_);
    uint64_t *keys = malloc((size_t)(sc->n_inputs ? sc->n_inputs : 1) * sizeof *keys);
    if (!sc->dists_ || !keys) {
        free(keys);
        cx_set_err(err, err_len, "%s: out of memory", file);
        return CX_ERR_NOMEM;
    }
    for (int i = 0; i < sc->n_inputs; i++)
        sc->dists_[i] = sc->inputs[i].dist;
    name_keys(sc, keys);
    int bad = -1;
    int rc = cx_sampler_new_keyed(&sc->sampler, sc->dists_, sc->n_inputs, sc->corr, sc->n_corr,
                                  keys, &bad);
    free(keys);
    if (rc == CX_ERR_CONFIG && bad >= 0 && bad < sc->n_corr) {
        const cx_corr *c = &sc->corr[bad];
        int line = c->line;
        scn_src_where(src, c->line, &file, &line);
        cx_set_err(err, err_len, "%s:%d: correlations: the correlation matrix is not positive "
                "definite once the pair (\"%s\", \"%s\", %g) is added", file, line,
                sc->inputs[c->a].name, sc->inputs[c->b].name, c->rho);
    } else if (rc == CX_ERR_NOMEM) {
        cx_set_err(err, err_len, "%s: out of memory", file);
    } else if (rc) {
        cx_set_err(err, err_len, "%s: correlations: %s", file, cx_strerror(rc));
    }
    return rc;
}

/* A value for input `in` from outside the file (a sweep point): the file's own checks. */
