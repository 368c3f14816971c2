/* SPDX-License-Identifier: MIT */
/* `capexsim batch SCENARIO...`: several scenarios side by side on common random numbers. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/provenance.h"
#include "sim/app/paired.h"
#include "sim/cli/commands.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
#include "sim/study/batch.h"

static void batch_help(void)
{
    printf("Usage: capexsim batch SCENARIO... [options]\n"
           "Runs each scenario with the same seed and paths (common random numbers: each input\n"
           "draws from a stream keyed by the path and its dotted name, so inputs the scenarios\n"
           "share draw the same values, even in a variant that adds a tranche or a deal) and\n"
           "prints them side by side: burden mean, P5, P50, P95, CVaR95, revenue mean and P50,\n"
           "P(burden > x) for the first scenario's report.thresholds. Every complete run also\n"
           "gets the paired difference (path i with path i) of each statistic with its 95%% CI,\n"
           "and the correlation of burden and revenue across paired paths.\n\n"
           "  -n, --paths N     paths per run (default: the first scenario's run.paths, else %llu)\n"
           "  -s, --seed S      seed of every run (default: the first scenario's run.seed, else %llu)\n"
           "  -t, --threads T   OpenMP threads (default: run.threads, else all %d cores)\n"
           "  -j, --json FILE   write {\"study\": \"batch\", \"runs\": [...], \"paired\": [...]} to FILE\n"
           "                    (each run as `capexsim run SCENARIO --paths N --seed S --json`\n"
           "                    writes it) (default: none)\n"
           "  -c, --csv FILE    one row per run: statistics and paired differences (default: none)\n"
           "      --sampling M  mc, lhs or sobol (default: each scenario's run.sampling, else mc)\n"
           "      --antithetic  antithetic pairs of scalar inputs (default: run.antithetic, else off)\n"
           "  -q, --quiet       no table on stdout (default: off)\n"
           "  -h, --help        this help\n\n"
           "`capexsim plot` on the JSON overlays the burden CDFs. See docs/analyst.md.\n"
           "Ctrl-C stops at the next block; the runs done are written (\"complete\": false on a\n"
           "partial one), exit code 130.\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted.\n",
           (unsigned long long)CX_DEFAULT_PATHS, (unsigned long long)CX_DEFAULT_SEED,
           cli_default_threads());
}

/* The batch's JSON: its settings, the thresholds, a table of headline statistics, the paired
 * differences against the first run and the n_done run reports. @return a new reference, or
 * NULL when out of memory. */
static json_t *batch_json(const cli_pair_run *r, int n_done, const cx_engine_opts *common,
                          bool complete, const double *thr, int n_thr)
{
    json_t *doc = json_pack("{s:s, s:o, s:o, s:i, s:s, s:b, s:i}", "study", "batch", "seed",
                            cx_output_u64(common->seed), "paths", cx_output_u64(common->paths),
                            "threads", common->threads, "version", CX_VERSION, "complete",
                            complete, "block_paths", CX_BLOCK_PATHS);
    json_t *thr_j = json_array(), *runs = json_array(), *paired = json_array(),
           *table = json_array();
    for (int j = 0; j < n_thr; j++) json_array_append_new(thr_j, json_real(thr[j]));
    for (int i = 0; i < n_done; i++) {
        json_array_append(runs, r[i].doc);
        json_array_append_new(table,
                              json_pack("{s:s, s:o}", "scenario", r[i].label, "stats",
                                        cli_pair_headline_json(&r[i], thr, n_thr)));
        if (i > 0) json_array_append_new(paired, cli_pair_json(&r[i], &r[0], thr, n_thr));
    }
    if (doc) {
        json_object_set_new(doc, "thresholds", thr_j);
        json_object_set_new(doc, "table", table);
        json_object_set_new(doc, "paired", paired);
        json_object_set_new(doc, "runs", runs);
    }
    return doc;
}

/* Frees r's scenario and model (r->name, a copy, stays). */
static void drop_scenario(cli_pair_run *r)
{
    cx_model_free(r->m);
    cx_scenario_free(r->sc);
    r->m = NULL;
    r->sc = NULL;
}

int cli_cmd_batch(int argc, char **argv)
{
    cli_pair_flags a = {.sf = {.sampling = -1}};
    const char *none[1] = {NULL};
    a.inputs = none;
    int rc = cli_pair_flags_parse("batch", argc, argv, &a, batch_help);
    if (rc) return rc < 0 ? 0 : rc;
    if (a.n_in < 1) return cli_usage_error("batch", "expected one or more SCENARIO files");
    cli_pair_run *r = calloc((size_t)a.n_in, sizeof *r);
    if (!r) {
        fprintf(stderr, "capexsim: out of memory\n");
        return EXIT_FAILURE;
    }
    int exit_code = EXIT_FAILURE, n_done = 0;
    json_t *doc = NULL, *scen = json_array(); /* each scenario, for rerun */
    char **names = calloc((size_t)a.n_in, sizeof *names);
    if (!names) goto done;
    /* every scenario is loaded and checked before any path runs; all but the first are
     * dropped again and loaded at their turn, so memory does not grow with their number */
    for (int i = 0; i < a.n_in; i++) {
        if ((rc = cli_load(a.paths_in[i], &r[i].sc, &r[i].m))) {
            exit_code = rc;
            goto done;
        }
        if (!(names[i] = strdup(r[i].sc->name)) ||
            json_array_append_new(scen, cli_provenance_scenario(r[i].sc)) < 0)
            goto done;
        r[i].label = r[i].name = names[i];
        r[i].same_inputs = i == 0 || cx_batch_same_inputs(r[0].sc, r[i].sc);
        if (i > 0) drop_scenario(&r[i]);
    }
    cx_engine_opts common;
    cli_pair_common_opts(&common, &a, r[0].sc);
    const double *thr = r[0].sc->thresholds;
    const int n_thr = r[0].sc->n_thresholds;
    cli_catch_sigint();
    rc = 0;
    for (int i = 0; i < a.n_in && !rc; i++) {
        if (!a.co.quiet && isatty(STDERR_FILENO))
            fprintf(stderr, "\rrun %d / %d: %s ...\033[K", i + 1, a.n_in, r[i].label);
        if (!r[i].sc && (rc = cli_load(a.paths_in[i], &r[i].sc, &r[i].m))) {
            exit_code = rc;
            goto done;
        }
        rc = cli_pair_run_one(&r[i], &common, &a.sf, NULL, NULL, thr, n_thr);
        if (r[i].doc) n_done = i + 1;
        /* summarised and its state dropped before the next run: memory stays flat (issue 25) */
        if (r[i].doc && cli_pair_summarise(&r[i], &r[0], n_thr) != 0) {
            exit_code = EXIT_FAILURE;
            goto done;
        }
        if (i > 0) drop_scenario(&r[i]);
        if (rc && rc != CLI_EXIT_INTERRUPTED) {
            exit_code = rc;
            goto done;
        }
    }
    if (!a.co.quiet && isatty(STDERR_FILENO)) fputs("\r\033[K", stderr);
    if (n_done == 0) {
        fprintf(stderr, "capexsim: interrupted before any path completed\n");
        exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet) {
        double el = 0;
        for (int i = 0; i < n_done; i++) el += r[i].run->elapsed_s;
        printf("Batch: %d scenario%s x %" PRIu64 " paths, seed %" PRIu64 ", %d threads, %.2f s%s\n\n",
               n_done, n_done == 1 ? "" : "s", common.paths, common.seed, common.threads, el,
               rc ? " (incomplete: interrupted)" : "");
        cli_pair_print_table(r, n_done, thr, n_thr);
    }
    if (a.co.json || a.co.csv) {
        doc = batch_json(r, n_done, &common, !rc, thr, n_thr);
        /* what rerun needs: sampling and antithetic as given (each scenario's own else) */
        const char *smp = a.sf.sampling >= 0 ? cx_sampling_names[a.sf.sampling] : NULL;
        if (cli_provenance_add(doc, json_pack("{s:s, s:I, s:o, s:o, s:b}", "command", "batch",
                                              "paths", (json_int_t)common.paths, "seed",
                                              cx_output_u64(common.seed), "sampling",
                                              smp ? json_string(smp) : json_null(),
                                              "antithetic", a.sf.antithetic),
                               NULL) < 0 ||
            (doc && json_object_set(doc, "scenarios", scen) < 0))
            goto done;
        if ((exit_code = cli_pair_write_outputs(&a, doc, r, n_done, thr, n_thr))) goto done;
    }
    exit_code = cli_pair_exit_code(r, a.n_in, rc);
done:
    json_decref(doc);
    json_decref(scen);
    for (int i = 0; i < a.n_in; i++) {
        cli_pair_run_clear(&r[i]);
        drop_scenario(&r[i]);
        if (names) free(names[i]);
    }
    free(names);
    free(r);
    return exit_code;
}
