/* SPDX-License-Identifier: MIT */
/* Executes a stress study (inputs held to percentile slices against the unstressed baseline)
 * with its table and outputs: `capexsim stress`, and `capexsim resume` of a stress's
 * checkpoint (issue 23). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/ckpt.h"
#include "sim/app/clash.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/provenance.h"
#include "sim/app/paired.h"
#include "sim/app/stress_exec.h"
#include "sim/base/error.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
#include "sim/study/batch.h"
#include "sim/study/stress.h"

/* The case to run: from --input flags, else the scenario's stress group. */
static int stress_case(cx_stress_case *out, const cli_pair_flags *a, const cx_scenario *sc)
{
    char err[1024] = "";
    int rc;
    if (a->n_inputs > 0) {
        if (a->case_name)
            return cli_usage_error("stress", "--case and --input do not go together");
        if (!(out->name = strdup("inputs"))) return EXIT_FAILURE;
        for (int k = 0; k < a->n_inputs; k++)
            if ((rc = cx_stress_case_add_text(out, sc, a->inputs[k], err, sizeof err)) < 0) {
                if (rc == CX_ERR_NOMEM) return EXIT_FAILURE;
                fprintf(stderr, "capexsim: %s: %s\n",
                        strchr(a->inputs[k], '=') ? "--outcome" : "--input", err);
                return CLI_EXIT_USAGE;
            }
        return 0;
    }
    cx_stress_case *cases = NULL;
    int n = 0;
    if ((rc = cx_stress_cases_load(&cases, &n, sc, err, sizeof err)) < 0) {
        fprintf(stderr, "capexsim: %s\n", err[0] ? err : cx_strerror(rc));
        return rc == CX_ERR_NOMEM ? EXIT_FAILURE : CLI_EXIT_USAGE;
    }
    int pick = -1;
    for (int i = 0; i < n && pick < 0; i++)
        if (!a->case_name || strcmp(cases[i].name, a->case_name) == 0) pick = i;
    if (pick < 0) {
        char names[512] = "";
        for (int i = 0; i < n; i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, cases[i].name, sizeof names - strlen(names) - 1);
        }
        if (a->case_name)
            rc = cli_usage_error("stress", "--case: no case '%s' in %s (cases: %s)",
                                 a->case_name, sc->path, n ? names : "none");
        else
            rc = cli_usage_error("stress", "no --input and no stress group in %s", sc->path);
        cx_stress_cases_free(cases, n);
        return rc;
    }
    *out = cases[pick];
    memset(&cases[pick], 0, sizeof cases[pick]);
    cx_stress_cases_free(cases, n);
    return 0;
}

/* The stress study's JSON: its settings and inputs, the thresholds, the baseline's and the
 * stressed run's reports (n_done of them) and their paired differences. @return a new
 * reference, or NULL when out of memory. */
static json_t *stress_json(const cli_pair_run *r, int n_done, const cx_scenario *sc,
                           const cx_stress_case *cs, const cx_engine_opts *common, bool complete)
{
    const double *thr = sc->thresholds;
    const int n_thr = sc->n_thresholds;
    json_t *ins = json_array();
    for (int k = 0; k < cs->n; k++)
    {
        json_t *o = json_pack("{s:s, s:f, s:f}", "name", sc->inputs[cs->in[k].input].name,
                              "lo", cs->in[k].lo, "hi", cs->in[k].hi);
        if (o && cs->in[k].outcome >= 0)
            json_object_set_new(o, "outcome",
                                json_string(cs->in[k].outcome ? "succeeds" : "fails"));
        json_array_append_new(ins, o);
    }
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:s, s:b}", "study", "stress",
                            "scenario", sc->name, "case", cs->name, "inputs", ins, "seed",
                            cx_output_u64(common->seed), "paths", cx_output_u64(common->paths),
                            "threads", common->threads, "version", CX_VERSION, "complete",
                            complete);
    if (doc) {
        json_t *thr_j = json_array();
        for (int j = 0; j < n_thr; j++) json_array_append_new(thr_j, json_real(thr[j]));
        json_object_set_new(doc, "thresholds", thr_j);
        json_object_set(doc, "baseline", r[0].doc);
        json_object_set(doc, "stressed", n_done > 1 ? r[1].doc : json_null());
        json_object_set_new(doc, "paired", n_done > 1 ? cli_pair_json(&r[1], &r[0], thr, n_thr)
                                                      : json_null());
    }
    return doc;
}

/* The stress's own options, the identity of its checkpoint (issue 23): "input=TEXT" a line
 * for each --input or --outcome, else "case=NAME" (the case run). @return a new string, or
 * NULL when out of memory (after a message). */
static char *stress_options(const cli_pair_flags *a, const cx_stress_case *cs)
{
    size_t n = 16 + strlen(cs->name ? cs->name : "");
    for (int k = 0; k < a->n_inputs; k++) n += 8 + strlen(a->inputs[k]);
    char *s = malloc(n);
    if (!s) {
        fprintf(stderr, "capexsim: out of memory\n");
        return NULL;
    }
    s[0] = 0;
    if (a->n_inputs == 0) snprintf(s, n, "case=%s", cs->name ? cs->name : "");
    for (int k = 0; k < a->n_inputs; k++) {
        strcat(s, k ? "\ninput=" : "input=");
        strcat(s, a->inputs[k]);
    }
    return s;
}

int cli_stress_exec(const cli_pair_flags *ap)
{
    const cli_pair_flags a = *ap;
    int rc;
    if (a.n_in != 1) return cli_usage_error("stress", "expected one SCENARIO file");
    /* resume comes here without cli_pair_flags_parse: its outputs are checked here too */
    if (a.ck.resuming &&
        ((rc = cli_check_output("--json", a.co.json, NULL)) ||
         (rc = cli_check_output("--csv", a.co.csv, NULL)) ||
         (rc = cli_check_clash(a.paths_in[0], a.ck.file, a.co.json, a.co.csv, NULL, NULL))))
        return rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    cx_stress_case cs = {0};
    cx_stress_source src_ctx[2] = {{0}};
    cx_input_source src[2];
    cli_pair_run r[2] = {{.label = "baseline"}, {.label = "stressed"}};
    json_t *doc = NULL;
    cli_ckpt ck = {0};
    int exit_code;
    if ((exit_code = cli_load(a.paths_in[0], &sc, &m))) goto done;
    if ((exit_code = stress_case(&cs, &a, sc))) goto done;
    exit_code = EXIT_FAILURE;
    for (int i = 0; i < 2; i++) {
        if (cx_stress_source_init(&src[i], &src_ctx[i], sc, &cs, i == 1) < 0) goto done;
        r[i].sc = sc;
        r[i].name = sc->name;
        r[i].m = m;
        r[i].same_inputs = true;
    }
    cx_engine_opts common;
    cli_pair_common_opts(&common, &a, sc);
    char *opts_text = stress_options(&a, &cs);
    if (!opts_text) goto done;
    exit_code = cli_ckpt_setup_stress(&ck, &a.ck, a.paths_in[0], sc, m, opts_text, a.co.json,
                                      a.co.csv, a.co.quiet, &common);
    free(opts_text);
    if (exit_code) goto done;
    exit_code = EXIT_FAILURE;
    const double *thr = sc->thresholds;
    const int n_thr = sc->n_thresholds;
    cli_catch_sigint();
    int n_done = 0;
    rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        rc = cli_pair_run_one(&r[i], &common, &a.sf, &src[i], i ? "mc+stress" : "mc", thr, n_thr);
        if (r[i].doc) n_done = i + 1;
        if (r[i].doc && cli_pair_summarise(&r[i], &r[0], n_thr) != 0) {
            exit_code = EXIT_FAILURE;
            goto done;
        }
        if (rc && rc != CLI_EXIT_INTERRUPTED) {
            exit_code = rc;
            goto done;
        }
    }
    if (n_done == 0) {
        fprintf(stderr, "capexsim: interrupted before any path completed\n");
        exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet) {
        printf("Stress of %s, case %s: %" PRIu64 " paths, seed %" PRIu64 ", %d threads%s\n",
               sc->name, cs.name, common.paths, common.seed, common.threads,
               rc ? " (incomplete: interrupted)" : "");
        for (int k = 0; k < cs.n; k++) {
            if (cs.in[k].outcome >= 0)
                printf("  %s held: %s on every path\n", sc->inputs[cs.in[k].input].name,
                       cs.in[k].outcome ? "succeeds" : "fails");
            else
                printf("  %s held to percentiles [%g, %g]\n",
                       sc->inputs[cs.in[k].input].name, cs.in[k].lo, cs.in[k].hi);
        }
        putchar('\n');
        cli_pair_print_table(r, n_done, thr, n_thr);
    }
    if (a.co.json || a.co.csv) {
        doc = stress_json(r, n_done, sc, &cs, &common, !rc);
        /* what rerun needs: the --input and --outcome texts in their order (--input takes
         * either), else the case run */
        json_t *in = a.n_inputs ? json_array() : json_null();
        for (int k = 0; k < a.n_inputs; k++) json_array_append_new(in, json_string(a.inputs[k]));
        if (cli_provenance_add(doc, json_pack("{s:s, s:I, s:o, s:o, s:o}", "command", "stress",
                                              "paths", (json_int_t)common.paths, "seed",
                                              cx_output_u64(common.seed), "input", in, "case",
                                              a.n_inputs ? json_null() : json_string(cs.name)),
                               sc) < 0)
            goto done;
        if ((exit_code = cli_pair_write_outputs(&a, doc, r, n_done, thr, n_thr))) goto done;
    }
    exit_code = cli_pair_exit_code(r, 2, rc);
done:
    json_decref(doc);
    for (int i = 0; i < 2; i++) {
        cli_pair_run_clear(&r[i]);
        cx_stress_source_clear(&src_ctx[i]);
    }
    cx_stress_case_clear(&cs);
    cli_ckpt_free(&ck);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}
