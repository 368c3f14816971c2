/* SPDX-License-Identifier: MIT */
/* Executes a stress study (inputs held to percentile slices against the unstressed baseline)
 * with its table and outputs: `capexsim stress`, and `capexsim resume` of a stress's
 * checkpoint (issue 23). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/ckpt.h"
#include "sim/app/clash.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/provenance.h"
#include "sim/app/paired.h"
#include "sim/app/progress.h"
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

/*
 * The two runs in turns (issue 23): the baseline runs a round of blocks, then the stressed
 * run the same round, and so on, each on its own thread and waiting for the other between
 * rounds (the engine's stop predicate, called between rounds on the run's own thread; only
 * one run computes at a time, on every thread asked for). Ctrl-C is seen there, and both
 * stop after the same round: the two columns hold the same paths, with common random numbers,
 * where the runs one after the other left a whole baseline and no stressed column. With a
 * stop predicate the engine's rounds start small, so Ctrl-C stops within a round or two. A
 * complete study gives the same bytes: no result depends on where rounds end.
 */
typedef struct turns {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int turn;              /* the run that may run its next round: 0 baseline, 1 stressed */
    bool ended[2];         /* returned from the engine */
    bool stop;             /* Ctrl-C seen: each stops once it has folded stop_at paths */
    uint64_t stop_at;
    uint64_t done[2];      /* paths each has folded */
    double waited[2];      /* seconds each spent waiting for the other (not its run time) */
    cli_progress *pr;
    bool in_order;         /* with a checkpoint: the baseline whole, then the stressed run */
} turns;

typedef struct turn_arm {
    turns *t;
    int k;
    cli_pair_run *r;
    cx_engine_opts o;      /* the common options with this run's hooks */
    const cli_pair_flags *a;
    const cx_input_source *src;
    const char *sampling_name;
    int rc;
} turn_arm;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Waits (t->mu held) until it is run k's turn, the other run ended, or stop says so. */
static bool wait_turn(turns *t, int k, uint64_t done)
{
    const double w0 = mono_s();
    bool s = t->stop && done >= t->stop_at;
    while (!s && t->turn != k && !t->ended[1 - k]) {
        pthread_cond_wait(&t->cv, &t->mu);
        s = t->stop && done >= t->stop_at;
    }
    t->waited[k] += mono_s() - w0;
    return s;
}

/* The stop predicate of run k: its round done, the other's turn; then its own, or stop. */
static bool turn_stop(void *ctx, const cx_engine_progress *p)
{
    turn_arm *a = ctx;
    turns *t = a->t;
    pthread_mutex_lock(&t->mu);
    if (!t->stop && atomic_load(&cli_interrupt)) {
        t->stop = true;
        t->stop_at = p->paths_done; /* the other run is here, or a round behind */
    }
    t->turn = 1 - a->k;
    pthread_cond_broadcast(&t->cv);
    const bool s = wait_turn(t, a->k, p->paths_done);
    pthread_mutex_unlock(&t->mu);
    return s;
}

/* Progress of both runs together: paths folded of twice the paths. */
static void turn_progress(void *ctx, const cx_engine_progress *p)
{
    turn_arm *a = ctx;
    turns *t = a->t;
    pthread_mutex_lock(&t->mu);
    t->done[a->k] = p->paths_done;
    cli_progress_update(t->pr, t->done[0] + t->done[1], 2 * p->paths_total);
    pthread_mutex_unlock(&t->mu);
}

static void *turn_thread(void *ctx)
{
    turn_arm *a = ctx;
    turns *t = a->t;
    pthread_mutex_lock(&t->mu);
    bool s = wait_turn(t, a->k, 0); /* the stressed run starts after the baseline's round */
    /* in order: the stressed run only after a baseline that Ctrl-C did not stop */
    s = s || (t->in_order && a->k == 1 && atomic_load(&cli_interrupt));
    pthread_mutex_unlock(&t->mu);
    a->rc = s ? CLI_EXIT_INTERRUPTED
              : cli_pair_run_one(a->r, &a->o, &a->a->sf, a->src, a->sampling_name,
                                 a->r->sc->thresholds, a->r->sc->n_thresholds);
    pthread_mutex_lock(&t->mu);
    t->ended[a->k] = true;
    t->turn = 1 - a->k;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* Each run's elapsed time without its waits for the other (its report and JSON). */
static void drop_waits(cli_pair_run *r, double waited)
{
    if (!r->run) return;
    double el = r->run->elapsed_s - waited;
    r->run->elapsed_s = el > 0 ? el : 0;
    if (!r->doc) return;
    json_object_set_new(r->doc, "elapsed_s", json_real(r->run->elapsed_s));
    json_object_set_new(r->doc, "paths_per_s",
                        json_real(r->run->elapsed_s > 0
                                      ? (double)r->run->paths_done / r->run->elapsed_s : 0.0));
}

/* Runs the baseline r[0] and the stressed run r[1] in turns (above). @return 0, 130 after
 * Ctrl-C (both hold the same paths; in order, what each ran), or the first run's error
 * exit code. */
static int run_in_turns(cli_pair_run *r, const cx_engine_opts *common, const cli_pair_flags *a,
                        const cx_input_source *src, cli_progress *pr)
{
    /* a checkpoint holds one run in progress (issue 23): with one, the runs go in order (the
     * stressed run waits for the baseline's end; Ctrl-C stops the run at hand) */
    turns t = {.pr = pr, .in_order = common->ckpt != NULL};
    pthread_mutex_init(&t.mu, NULL);
    pthread_cond_init(&t.cv, NULL);
    turn_arm arm[2];
    pthread_t th[2];
    bool started[2] = {false, false};
    for (int k = 0; k < 2; k++) {
        arm[k] = (turn_arm){.t = &t, .k = k, .r = &r[k], .o = *common, .a = a, .src = &src[k],
                            .sampling_name = k ? "mc+stress" : "mc", .rc = EXIT_FAILURE};
        arm[k].o.stop = t.in_order ? NULL : turn_stop;
        arm[k].o.cb_ctx = &arm[k];
        arm[k].o.progress = cli_progress_on(pr) ? turn_progress : NULL;
        arm[k].o.progress_ctx = &arm[k];
        started[k] = pthread_create(&th[k], NULL, turn_thread, &arm[k]) == 0;
        if (!started[k]) { /* the other may wait for this one: it has ended */
            pthread_mutex_lock(&t.mu);
            t.ended[k] = true;
            t.turn = 1 - k;
            pthread_cond_broadcast(&t.cv);
            pthread_mutex_unlock(&t.mu);
        }
    }
    for (int k = 0; k < 2; k++)
        if (started[k]) pthread_join(th[k], NULL);
    pthread_cond_destroy(&t.cv);
    pthread_mutex_destroy(&t.mu);
    for (int k = 0; k < 2; k++) drop_waits(&r[k], t.waited[k]);
    if (!started[0] || !started[1]) {
        fprintf(stderr, "capexsim: stress: cannot start a thread\n");
        return EXIT_FAILURE;
    }
    for (int k = 0; k < 2; k++)
        if (arm[k].rc != 0 && arm[k].rc != CLI_EXIT_INTERRUPTED) return arm[k].rc;
    /* stopped by Ctrl-C between rounds: the engine calls it stopped, not interrupted */
    const bool whole = r[0].run && r[1].run && r[0].run->complete && r[1].run->complete;
    return whole ? 0 : CLI_EXIT_INTERRUPTED;
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
        /* the paths each column holds: all of them, or after Ctrl-C the same fewer (issue 23) */
        json_object_set_new(doc, "paths_done", cx_output_u64(r[0].run->paths_done));
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
    if ((rc = cli_check_resume_outputs(a.ck.resuming, a.paths_in[0], a.ck.file, a.co.json, a.co.csv)))
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
    cli_progress pr; /* issue 23 */
    cli_progress_init(&pr, &a.co, true, "paths");
    cli_progress_phase(&pr, 0, 1, common.ckpt ? "baseline, then stressed"
                                              : "baseline and stressed, in turns");
    cli_catch_sigint();
    int n_done = 0;
    rc = run_in_turns(r, &common, &a, src, &pr);
    cli_progress_end(&pr, rc == 0);
    if (rc && rc != CLI_EXIT_INTERRUPTED) {
        exit_code = rc;
        goto done;
    }
    for (int i = 0; i < 2 && r[i].doc; i++) {
        n_done = i + 1;
        if (cli_pair_summarise(&r[i], &r[0], n_thr) != 0) {
            exit_code = EXIT_FAILURE;
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
               sc->name, cs.name, r[0].run->paths_done, common.seed, common.threads,
               !rc ? "" : common.ckpt ? " (incomplete: interrupted)"
                                      : " (incomplete: interrupted; both runs on the same paths)");
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
    if (rc == CLI_EXIT_INTERRUPTED && !common.ckpt)
        fprintf(stderr, "capexsim: interrupted: baseline and stressed both stopped after %" PRIu64
                        " of %" PRIu64 " paths, the same paths (\"complete\": false)\n",
                r[0].run->paths_done, common.paths);
    exit_code = common.ckpt ? cli_pair_exit_code(r, 2, rc) : rc;
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
