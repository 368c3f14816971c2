/* SPDX-License-Identifier: MIT */
/* What `capexsim rerun` needs in a result (issue 22): one place for every command. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/app/provenance.h"
#include "sim/result/output.h"

json_t *cli_provenance_scenario(const cx_scenario *sc)
{
    json_t *o = json_pack("{s:s}", "scenario_sha256", sc->sha256);
    if (o && cx_output_add_scenario(o, sc) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int cli_provenance_add(json_t *doc, json_t *options, const cx_scenario *sc)
{
    if (!doc) {
        json_decref(options);
        return 0;
    }
    /* the scenario's text last: it is the longest */
    json_t *add = json_object(), *scen = sc ? cli_provenance_scenario(sc) : json_object();
    int bad = !add || !options || !scen || json_object_set(add, "options", options) < 0 ||
              json_object_update(add, scen) < 0 || json_object_update_missing(doc, add) < 0;
    json_decref(add);
    json_decref(scen);
    json_decref(options);
    if (bad) {
        fprintf(stderr, "capexsim: out of memory building the JSON result\n");
        return -1;
    }
    return 0;
}

int cli_write_result(const char *path, json_t *doc, json_t *options, const cx_scenario *sc)
{
    if (!doc) {
        json_decref(options);
        fprintf(stderr, "capexsim: out of memory building the JSON result\n");
        return EXIT_FAILURE;
    }
    if (cli_provenance_add(doc, options, sc) < 0) {
        json_decref(doc);
        return EXIT_FAILURE;
    }
    int rc = cx_output_write_json(path, doc);
    json_decref(doc);
    if (rc < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", path, strerror(errno));
        return EXIT_FAILURE;
    }
    return 0;
}

static const char *const *emb_path, *const *emb_text;
static int emb_n = -1;

void cli_provenance_embedded(const char *const *path, const char *const *text, int n)
{
    emb_path = path;
    emb_text = text;
    emb_n = n;
}

int cli_provenance_text(const char *path, const char **text, const char **name)
{
    *text = NULL;
    *name = path;
    if (emb_n < 0)
        return 0;
    const char *want = path ? path : "<built-in>";
    for (int i = 0; i < emb_n; i++)
        if (strcmp(emb_path[i], want) == 0) {
            *name = emb_path[i];
            *text = emb_text[i];
            return 0;
        }
    return -1;
}
