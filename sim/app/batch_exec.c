/* SPDX-License-Identifier: MIT */
/* Executes a batch (several scenarios side by side on common random numbers) with its table
 * and outputs: `capexsim batch`, and `capexsim resume` of a batch's checkpoint (issue 23). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/batch_exec.h"
#include "sim/app/ckpt.h"
#include "sim/app/common.h"
#include "sim/app/interrupt.h"
#include "sim/app/provenance.h"
#include "sim/app/paired.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/app/progress.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
#include "sim/result/report.h"
#include "sim/study/batch.h"

/* The batch's JSON but its runs: settings, thresholds, a table of headline statistics and the
 * paired differences against the first run, for the n_done runs. @return a new reference,
 * or NULL when out of memory. */
static json_t *batch_json(const cli_pair_run *r, int n_done, const cx_engine_opts *common,
                          bool complete, const double *thr, int n_thr)
{
    json_t *doc = json_pack("{s:s, s:o, s:o, s:i, s:s, s:b, s:i}", "study", "batch", "seed",
                            cx_output_u64(common->seed), "paths", cx_output_u64(common->paths),
                            "threads", common->threads, "version", CX_VERSION, "complete",
                            complete, "block_paths", CX_BLOCK_PATHS);
    json_t *thr_j = json_array(), *paired = json_array(), *table = json_array();
    for (int j = 0; j < n_thr; j++) json_array_append_new(thr_j, json_real(thr[j]));
    for (int i = 0; i < n_done; i++) {
        json_array_append_new(table,
                              json_pack("{s:s, s:o, s:o}", "scenario", r[i].label, "paths",
                                        cx_output_u64(r[i].paths_done), "stats",
                                        cli_pair_headline_json(&r[i], thr, n_thr)));
        if (i > 0) json_array_append_new(paired, cli_pair_json(&r[i], &r[0], thr, n_thr));
    }
    if (doc) {
        json_object_set_new(doc, "thresholds", thr_j);
        json_object_set_new(doc, "table", table);
        json_object_set_new(doc, "paired", paired);
    } else {
        json_decref(thr_j);
        json_decref(table);
        json_decref(paired);
    }
    return doc;
}

/*
 * The runs' reports of --json, streamed (issue 25: they took 0.18 MB a scenario kept to the
 * end). Each run's report, once summarised, is appended to a spool, an unlinked temporary in
 * the JSON's folder, as an element of "runs" (indented one level deeper), and freed; at the
 * end the rest of the document is written, then the spool copied in: the same bytes as one
 * json_dumpf of the whole document, with one run's report in memory at a time.
 */
typedef struct spool {
    FILE *f;
    int n;       /* elements in it */
} spool;

/* The spooled arrays of the batch's JSON, after the rest: each run's report, then each
 * scenario's text (for rerun; provenance comes last in every result). */
enum { SPOOL_RUNS, SPOOL_SCENARIOS, N_SPOOLS };
static const char *const spool_keys[N_SPOOLS] = {"runs", "scenarios"};

#define SPOOL_INDENT "    " /* a member of "runs": depth 2 of JSON_INDENT(2) */

/* Opens the spool beside json_path. @return 0, or -1 after a message. */
static int spool_open(spool *s, const char *json_path)
{
    s->n = 0;
    s->f = NULL;
    char *tmp = cx_file_tmp_template(json_path);
    int fd = tmp ? cx_file_mkstemp(tmp) : -1;
    if (fd >= 0) {
        unlink(tmp); /* nothing to leave behind, whatever the exit */
        cx_file_tmp_forget(tmp);
        if (!(s->f = fdopen(fd, "w+"))) close(fd);
    }
    if (!s->f)
        fprintf(stderr, "capexsim: %s: a temporary in its folder: %s\n", json_path,
                strerror(errno));
    free(tmp);
    return s->f ? 0 : -1;
}

/* json_dump_callback's sink: the text, each newline followed by the spool's indent. */
static int spool_put(const char *buf, size_t size, void *data)
{
    FILE *f = data;
    for (size_t i = 0; i < size; i++)
        if (putc(buf[i], f) == EOF || (buf[i] == '\n' && fputs(SPOOL_INDENT, f) == EOF))
            return -1;
    return 0;
}

/* Appends a run's report. @return 0, or -1 on a write error (errno). */
static int spool_add(spool *s, const json_t *doc)
{
    if (fputs(s->n ? ",\n" SPOOL_INDENT : "\n" SPOOL_INDENT, s->f) == EOF ||
        json_dump_callback(doc, spool_put, s->f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) < 0 ||
        ferror(s->f))
        return -1;
    s->n++;
    return 0;
}

/* The spools of --json (none without it). @return 0, or -1 after a message. */
static int spools_open(spool *sp, const char *json_path)
{
    for (int i = 0; i < N_SPOOLS; i++)
        if (json_path && spool_open(&sp[i], json_path) < 0) return -1;
    return 0;
}

/* sc's text and provenance (cli_provenance_scenario, for rerun) to the scenarios' spool.
 * @return 0, or -1 after a message. */
static int spool_scenario(spool *s, const cx_scenario *sc, const char *json_path)
{
    if (!s->f) return 0;
    json_t *p = cli_provenance_scenario(sc);
    int rc = p ? spool_add(s, p) : -1;
    json_decref(p);
    if (rc < 0)
        fprintf(stderr, "capexsim: %s: %s\n", json_path, p ? strerror(errno) : "out of memory");
    return rc;
}

/* r's report to the spool (when --json, json_path) and, with its run, out of memory: what
 * stays is its summary (and the first run's sections, for the pairing) (issue 25).
 * @return 0, or -1 after a message (a write error). */
static int spool_run(spool *runs, cli_pair_run *r, const char *json_path)
{
    if (r->doc && runs->f && spool_add(runs, r->doc) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", json_path, strerror(errno));
        return -1;
    }
    json_decref(r->doc);
    cx_run_free(r->run);
    r->doc = NULL;
    r->run = NULL;
    return 0;
}

typedef struct batch_out {
    const char *head; /* the document but its spooled arrays, as json_dumps wrote it */
    spool *sp;        /* N_SPOOLS of them */
} batch_out;

/* The whole document: head without its closing brace, each spooled array, the brace. */
static int batch_writer(FILE *f, const void *ctx)
{
    const batch_out *o = ctx;
    size_t n = strlen(o->head);
    if (n < 2 || strcmp(o->head + n - 2, "\n}")) return CX_ERR_IO; /* not JSON_INDENT's */
    fwrite(o->head, 1, n - 2, f);
    for (int i = 0; i < N_SPOOLS; i++) {
        spool *sp = &o->sp[i];
        fprintf(f, ",\n  \"%s\": [", spool_keys[i]);
        if (fflush(sp->f) == EOF || fseek(sp->f, 0, SEEK_SET) != 0) return CX_ERR_IO;
        char buf[1 << 16];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, sp->f)) > 0)
            if (fwrite(buf, 1, k, f) != k) return CX_ERR_IO;
        if (ferror(sp->f)) return CX_ERR_IO;
        fputs(sp->n ? "\n  ]" : "]", f);
    }
    fputs("\n}\n", f);
    return ferror(f) ? CX_ERR_IO : 0;
}

/* --json from the head and the spools. @return 0 or EXIT_FAILURE after a message. */
static int batch_write_json(const char *path, const json_t *doc, spool *sp)
{
    char *head = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    if (!head) {
        fprintf(stderr, "capexsim: out of memory building the JSON result\n");
        return EXIT_FAILURE;
    }
    batch_out o = {head, sp};
    int rc = 0;
    if (cx_file_write_atomic(path, batch_writer, &o) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", path, strerror(errno));
        rc = EXIT_FAILURE;
    }
    free(head);
    return rc;
}

/* The heading of an interrupted batch: the paths each scenario ran, of those asked for. */
static void print_ran(const cli_pair_run *r, int n_done, int n, const cx_engine_opts *common,
                      double el)
{
    printf("Batch: %d of %d scenario%s, seed %" PRIu64 ", %d threads, %.2f s (incomplete: "
           "interrupted)\n", n_done, n, n == 1 ? "" : "s", common->seed, common->threads, el);
    for (int i = 0; i < n_done; i++)
        printf("  %s: %" PRIu64 " of %" PRIu64 " paths%s\n", r[i].label, r[i].paths_done,
               common->paths, r[i].complete ? "" : " (partial)");
    putchar('\n');
}

/* Frees r's scenario and model (r->name, a copy, stays). */
static void drop_scenario(cli_pair_run *r)
{
    cx_model_free(r->m);
    cx_scenario_free(r->sc);
    r->m = NULL;
    r->sc = NULL;
}

/*
 * What a batch's checkpoint needs of each scenario (issue 23), taken as it is loaded: its
 * run's accumulator shape (horizon, thresholds, outcomes, the replicate levels its sampling
 * keeps), and for all but the first its absolute path and digest, in the identity's options.
 */
typedef struct batch_ck {
    cx_ckpt_shape *shapes;
    double **thr;         /* each run's thresholds (its scenario is dropped after loading) */
    int n;
    double *rq;           /* CX_REP_MAX_Q a run */
    char *options;        /* "sampling=own|given", then "scenario=PATH" and "digest=HEX" */
    size_t len, cap;
} batch_ck;

static void batch_ck_clear(batch_ck *b)
{
    free(b->shapes);
    for (int i = 0; b->thr && i < b->n; i++) free(b->thr[i]);
    free(b->thr);
    free(b->rq);
    free(b->options);
}

/* Appends a line to b->options. @return 0, or -1 when out of memory. */
static int batch_ck_line(batch_ck *b, const char *key, const char *val)
{
    size_t n = strlen(key) + strlen(val) + 3;
    if (b->len + n >= b->cap) {
        size_t cap = (b->cap + n) * 2;
        char *p = realloc(b->options, cap);
        if (!p) return -1;
        b->options = p;
        b->cap = cap;
    }
    b->len += (size_t)snprintf(b->options + b->len, b->cap - b->len, "%s%s=%s",
                               b->len ? "\n" : "", key, val);
    return 0;
}

/* Scenario i's shape and identity into b (a, its flags). @return 0, or an exit code after a
 * message. */
static int batch_ck_add(batch_ck *b, const cli_pair_flags *a, int i, const cx_scenario *sc,
                        const cx_model *m)
{
    if (!a->ck.file) return 0;
    if (i == 0 && (!(b->shapes = calloc((size_t)a->n_in, sizeof *b->shapes)) ||
                   !(b->thr = calloc((size_t)a->n_in, sizeof *b->thr)) ||
                   !(b->rq = calloc((size_t)a->n_in * CX_REP_MAX_Q, sizeof *b->rq)) ||
                   batch_ck_line(b, "sampling", a->sf.sampling >= 0 ? "given" : "own") < 0))
        goto nomem;
    b->n = a->n_in;
    cx_ckpt_shape *s = &b->shapes[i];
    double *thr = calloc((size_t)sc->n_thresholds + 1, sizeof *thr);
    double *rq = b->rq + (size_t)i * CX_REP_MAX_Q;
    if (!(b->thr[i] = thr)) goto nomem;
    s->n_quarters = cx_model_quarters(m);
    s->n_thresholds = sc->n_thresholds;
    if (sc->n_thresholds) memcpy(thr, sc->thresholds, (size_t)s->n_thresholds * sizeof *thr);
    s->thresholds = thr;
    s->alpha = sc->relative_error;
    cx_bd_shape_of(&s->bd, sc); /* each run keeps the breakdown (cli_pair_run_one) */
    const int smp = a->sf.sampling >= 0 ? a->sf.sampling : (int)sc->sampling;
    s->rep_q = rq;
    s->n_rep_q = smp != CX_SAMPLING_MC || a->sf.antithetic || sc->antithetic
                     ? cx_report_replicate_levels(rq, NAN) : 0;
    if (i == 0) return 0;
    char *abs = realpath(a->paths_in[i], NULL);
    uint8_t dg[32];
    char err[512] = "", hex[65];
    if (!abs || cx_ckpt_digest(sc, dg, err, sizeof err) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a->paths_in[i], abs ? err : strerror(errno));
        free(abs);
        return CLI_EXIT_USAGE;
    }
    for (int k = 0; k < 32; k++) snprintf(hex + 2 * k, 3, "%02x", dg[k]);
    int rc = batch_ck_line(b, "scenario", abs) < 0 || batch_ck_line(b, "digest", hex) < 0;
    free(abs);
    if (!rc) return 0;
nomem:
    fprintf(stderr, "capexsim: out of memory\n");
    return EXIT_FAILURE;
}


/* The table, --json (the head, then the spools sp) and --csv of the n_done runs r, rc the
 * runs' exit code. @return 0 or an exit code after a message. */
static int batch_outputs(const cli_pair_flags *ap, cli_pair_run *r, int n_done,
                         const cx_engine_opts *cp, int rc, spool *sp)
{
    const cli_pair_flags a = *ap;
    const cx_engine_opts common = *cp;
    const double *thr = r[0].sc->thresholds;
    const int n_thr = r[0].sc->n_thresholds;
    json_t *doc = NULL;
    int exit_code = EXIT_FAILURE;
    if (!a.co.quiet) {
        double el = 0;
        for (int i = 0; i < n_done; i++) el += r[i].elapsed_s;
        if (!rc)
            printf("Batch: %d scenario%s x %" PRIu64 " paths, seed %" PRIu64 ", %d threads, "
                   "%.2f s\n\n", n_done, n_done == 1 ? "" : "s", common.paths, common.seed,
                   common.threads, el);
        else /* what ran, not what was asked (issue 23) */
            print_ran(r, n_done, a.n_in, &common, el);
        cli_pair_print_table(r, n_done, thr, n_thr);
    }
    if (a.co.json) {
        doc = batch_json(r, n_done, &common, !rc, thr, n_thr);
        /* what rerun needs: sampling and antithetic as given (each scenario's own else) */
        const char *smp = a.sf.sampling >= 0 ? cx_sampling_names[a.sf.sampling] : NULL;
        if (cli_provenance_add(doc, json_pack("{s:s, s:I, s:o, s:o, s:b}", "command", "batch",
                                              "paths", (json_int_t)common.paths, "seed",
                                              cx_output_u64(common.seed), "sampling",
                                              smp ? json_string(smp) : json_null(),
                                              "antithetic", a.sf.antithetic),
                               NULL) < 0)
            goto out;
        if ((exit_code = batch_write_json(a.co.json, doc, sp))) goto out;
    }
    if (a.co.csv) {
        cli_pair_flags csv = a;
        csv.co.json = NULL;
        if ((exit_code = cli_pair_write_outputs(&csv, NULL, r, n_done, thr, n_thr))) goto out;
    }
    exit_code = 0;
out:
    json_decref(doc);
    return exit_code;
}

int cli_batch_exec(const cli_pair_flags *ap)
{
    const cli_pair_flags a = *ap;
    int rc;
    if (a.n_in < 1) return cli_usage_error("batch", "expected one or more SCENARIO files");
    /* resume comes here without cli_pair_flags_parse: its outputs are checked here too */
    if (a.ck.resuming &&
        ((rc = cli_check_output("--json", a.co.json, NULL)) ||
         (rc = cli_check_output("--csv", a.co.csv, NULL))))
        return rc;
    cli_pair_run *r = calloc((size_t)a.n_in, sizeof *r);
    if (!r) {
        fprintf(stderr, "capexsim: out of memory\n");
        return EXIT_FAILURE;
    }
    int exit_code = EXIT_FAILURE, n_done = 0;
    batch_ck bck = {0};
    cli_ckpt ck = {0};
    spool sp[N_SPOOLS] = {{NULL, 0}, {NULL, 0}};
    char **names = calloc((size_t)a.n_in, sizeof *names);
    if (!names || spools_open(sp, a.co.json) < 0) goto done;
    /* every scenario is loaded and checked before any path runs; all but the first are
     * dropped again and loaded at their turn, so memory does not grow with their number */
    for (int i = 0; i < a.n_in; i++) {
        if ((rc = cli_load(a.paths_in[i], &r[i].sc, &r[i].m))) {
            exit_code = rc;
            goto done;
        }
        if (!(names[i] = strdup(r[i].sc->name)) ||
            spool_scenario(&sp[SPOOL_SCENARIOS], r[i].sc, a.co.json) < 0)
            goto done;
        r[i].label = r[i].name = names[i];
        r[i].same_inputs = i == 0 || cx_batch_same_inputs(r[0].sc, r[i].sc);
        if ((rc = batch_ck_add(&bck, &a, i, r[i].sc, r[i].m))) {
            exit_code = rc;
            goto done;
        }
        if (i > 0) drop_scenario(&r[i]);
    }
    cx_engine_opts common;
    cli_pair_common_opts(&common, &a, r[0].sc);
    for (int i = 0; bck.shapes && i < a.n_in; i++) { /* each run's sections (the pairing) */
        bck.shapes[i].obs_block = cx_sections_block_bytes();
        bck.shapes[i].obs_max = cx_sections_state_max(common.paths, r[0].sc->n_thresholds,
                                                      bck.shapes[i].alpha);
    }
    if ((exit_code = cli_ckpt_setup_batch(&ck, &a.ck, a.paths_in[0], r[0].sc, bck.options,
                                          a.sf.sampling, a.sf.antithetic, bck.shapes, a.n_in,
                                          a.co.json, a.co.csv, a.co.quiet, &common)))
        goto done;
    exit_code = EXIT_FAILURE;
    const double *thr = r[0].sc->thresholds;
    const int n_thr = r[0].sc->n_thresholds;
    cli_progress pr; /* issue 23: a phase per scenario */
    cli_progress_init(&pr, &a.co, true, "paths");
    if (cli_progress_on(&pr)) {
        common.progress = cli_progress_engine;
        common.progress_ctx = &pr;
    }
    cli_catch_sigint();
    rc = 0;
    for (int i = 0; i < a.n_in && !rc; i++) {
        cli_progress_phase(&pr, i, a.n_in, "scenario %d of %d (%s)", i + 1, a.n_in, r[i].label);
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
        if (spool_run(&sp[SPOOL_RUNS], &r[i], a.co.json) < 0) {
            exit_code = EXIT_FAILURE;
            goto done;
        }
        if (rc && rc != CLI_EXIT_INTERRUPTED) {
            exit_code = rc;
            goto done;
        }
    }
    cli_progress_end(&pr, rc == 0);
    if (n_done == 0) {
        fprintf(stderr, "capexsim: interrupted before any path completed\n");
        exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if ((exit_code = batch_outputs(&a, r, n_done, &common, rc, sp))) goto done;
    exit_code = cli_pair_exit_code(r, a.n_in, rc);
done:
    for (int i = 0; i < N_SPOOLS; i++)
        if (sp[i].f) fclose(sp[i].f);
    for (int i = 0; i < a.n_in; i++) {
        cli_pair_run_clear(&r[i]);
        drop_scenario(&r[i]);
        if (names) free(names[i]);
    }
    free(names);
    free(r);
    cli_ckpt_free(&ck);
    batch_ck_clear(&bck);
    return exit_code;
}
