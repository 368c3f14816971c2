/* SPDX-License-Identifier: MIT */
/* Executes a sweep: the scenario at every point of its sweep group with common random numbers,
 * its progress line, table, JSON and CSV (sweep and resume). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "sim/app/clash.h"
#include "sim/app/interrupt.h"
#include "sim/app/progress.h"
#include "sim/app/provenance.h"
#include "sim/app/sweep_exec.h"
#include "sim/base/error.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/engine.h"
#include "sim/engine/mpi.h"
#include "sim/result/output.h"
#include "sim/result/report.h"
#include "sim/study/sens.h"

/* The progress of a sweep (sim/app/progress.h): the engine reports each point's run; a
 * report with all of a point's paths done ends that point. */
typedef struct sweep_progress {
    cli_progress *pr;
    int n_points, point, shown;
} sweep_progress;

static void sweep_progress_cb(void *ctx, const cx_engine_progress *p)
{
    sweep_progress *s = ctx;
    const int k = s->point < s->n_points ? s->point : s->n_points - 1;
    if (k != s->shown) {
        cli_progress_phase(s->pr, k, s->n_points, "point %d of %d", k + 1, s->n_points);
        s->shown = k;
    }
    cli_progress_update(s->pr, p->paths_done, p->paths_total);
    if (p->paths_done == p->paths_total) s->point++;
}

/* The sweep's table on stdout: one row a point, the axes' values, then burden mean, P5, P50,
 * P95 and revenue mean. */
static void print_table(const cx_sweep_report *r, const cx_scenario *sc)
{
    printf("Sweep of %s: %d points x %" PRIu64 " paths, seed %" PRIu64 ", %.2f s%s\n\n",
           sc->name, r->n_points, r->paths, r->seed, r->elapsed_s,
           r->complete ? "" : " (incomplete: interrupted)");
    for (int k = 0; k < r->n_axes; k++) printf("%-28s ", r->axis[k].name);
    printf("%12s %12s %12s %12s %14s\n", "burden mean", "burden P5", "burden P50",
           "burden P95", "revenue mean");
    for (int i = 0; i < r->n_points; i++) {
        const cx_report *p = r->pt[i].report;
        for (int k = 0; k < r->n_axes; k++) printf("%-28.6g ", r->pt[i].value[k]);
        const cx_metric_stats *b = &p->metric[CX_M_CAPEX_BURDEN];
        printf("%12.6g %12.6g %12.6g %12.6g %14.6g", b->mean, b->pct[1], b->pct[4],
               b->pct[7], p->metric[CX_M_REVENUE_TOTAL].mean);
        if (!r->pt[i].complete) printf("  (partial: %" PRIu64 " paths)", p->paths);
        putchar('\n');
    }
}

int cli_sweep_exec(const cli_study_args *ap)
{
    const cli_study_args a = *ap;
    /* with MPI, rank 0 alone writes (the table, files, messages); every rank runs */
    const bool root = cx_mpi_rank() == 0;
    const char *json_out = root ? a.co.json : NULL, *csv_out = root ? a.co.csv : NULL;
    int rc;
    /* resume comes here without cli_study_parse: its outputs are checked here too */
    if ((rc = cli_check_resume_outputs(a.ck.resuming, a.path, a.ck.file, json_out, csv_out)))
        return rc;
    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load(a.path, &sc, &m))) return rc;
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    if (a.co.has_paths) o.paths = a.co.paths;
    o.threads = cli_threads(a.co.threads, sc, o.paths, CX_BLOCK_PATHS);
    if (a.co.has_seed) o.seed = a.co.seed;
    o.interrupt = &cli_interrupt;
    o.comm = cx_mpi_comm(&cli_signal, &cli_interrupt);
    const cx_sampling sampling = a.sf.sampling >= 0 ? (cx_sampling)a.sf.sampling : sc->sampling;
    const bool antithetic = a.sf.antithetic || sc->antithetic;
    cli_ckpt ck = {0};
    if ((rc = cli_ckpt_setup(&ck, "sweep", &a.ck, a.path, sc, m, sampling, antithetic, NULL,
                             a.co.json, a.co.csv, a.co.quiet || !root, &o)) != 0) {
        cli_ckpt_free(&ck);
        cx_model_free(m);
        cx_scenario_free(sc);
        return rc;
    }
    cli_progress pr;
    cli_progress_init(&pr, &a.co, root, "paths");
    pr.rebase = a.ck.file != NULL; /* a checkpoint may hold points run before */
    sweep_progress sp = {&pr, sc->n_sweep >= 1 ? sc->sweep[0].n : 1, 0, -1};
    if (sc->n_sweep > 1) sp.n_points *= sc->sweep[1].n;
    if (cli_progress_on(&pr)) {
        o.progress = sweep_progress_cb;
        o.progress_ctx = &sp;
    }
    char err[512] = "";
    cx_sweep_report *r = NULL;
    int exit_code = EXIT_FAILURE;
    cli_catch_sigint();
    if ((rc = cx_sweep_run(&r, sc, &o, sampling, antithetic, err, sizeof err)) < 0) {
        cli_progress_end(&pr, false);
        const char *why = ck.ck ? cx_ckpt_error(ck.ck) : "";
        if (root || why[0] || err[0])
            fprintf(stderr, "capexsim: %s\n", why[0] ? why : err[0] ? err : cx_strerror(rc));
        exit_code = rc == CX_ERR_CONFIG ? CLI_EXIT_USAGE : EXIT_FAILURE;
        goto done;
    }
    cli_progress_end(&pr, r->complete);
    if (r->n_points == 0) {
        exit_code = root ? cli_nothing_done() : CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (!a.co.quiet && root) print_table(r, sc);
    if (json_out &&
        (exit_code = cli_write_result(
             json_out, cx_sweep_report_json(r, sc),
             json_pack("{s:s, s:I, s:o, s:s, s:b}", "command", "sweep", "paths",
                       (json_int_t)o.paths, "seed", cx_output_u64(o.seed), "sampling",
                       cx_sampling_names[sampling], "antithetic", antithetic),
             sc)))
        goto done;
    if (csv_out && cx_sweep_report_csv(r, csv_out) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", a.co.csv, strerror(errno));
        exit_code = EXIT_FAILURE;
        goto done;
    }
    if (!r->complete) {
        int full = 0;
        for (int i = 0; i < r->n_points; i++) full += r->pt[i].complete;
        if (root)
            fprintf(stderr, "capexsim: interrupted: reported %d finished point%s%s\n", full,
                    full == 1 ? "" : "s",
                    full < r->n_points ? ", then the partial point" : "");
        exit_code = CLI_EXIT_INTERRUPTED;
    } else {
        exit_code = 0;
    }
done:
    cx_sweep_report_free(r);
    cli_ckpt_free(&ck);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}
