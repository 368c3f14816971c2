/* SPDX-License-Identifier: MIT */
/* Executes one run: outputs checked first, then the scenario, the sampling, export and
 * checkpoint set-ups, the engine, and the report's table, JSON and CSV (run and resume). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/clash.h"
#include "sim/app/interrupt.h"
#include "sim/app/run_exec.h"
#include "sim/base/error.h"
#include "sim/engine/engine.h"
#include "sim/engine/mpi.h"
#include "sim/result/output.h"
#include "sim/result/report.h"

/* The progress line on stderr (an engine progress callback; only when stderr is a terminal). */
static void progress_line(void *ctx, const cx_engine_progress *p)
{
    (void)ctx;
    double rate = p->elapsed_s > 0 ? (double)p->paths_done / p->elapsed_s : 0;
    double eta = rate > 0 ? (double)(p->paths_total - p->paths_done) / rate : 0;
    fprintf(stderr, "\r%" PRIu64 " / %" PRIu64 " paths  %.0f paths/s  ETA %.0f s   ",
            p->paths_done, p->paths_total, rate, eta);
    fflush(stderr);
}

/* The engine's options for a run: the scenario's run group, overridden by the flags; the
 * progress line when stderr is a terminal and the run is not quiet; Ctrl-C and the ranks. */
static void engine_opts(cx_engine_opts *o, const cli_run_args *a, const cx_scenario *sc,
                        bool quiet)
{
    cx_engine_opts_init(o, sc);
    if (a->co.has_paths) o->paths = a->co.paths;
    o->threads = cli_threads(a->co.threads, sc, o->paths, CX_BLOCK_PATHS);
    if (a->co.has_seed) o->seed = a->co.seed;
    if (isatty(STDERR_FILENO) && !quiet) o->progress = progress_line;
    o->interrupt = &cli_interrupt;
    o->comm = cx_mpi_comm(&cli_signal, &cli_interrupt);
}

/* The report of a finished run: the table on stdout (unless quiet), the JSON report with the
 * sampling's parts (json_path) and the quarterly CSV (csv_dir), when asked; a run that its stop
 * rule ended (--target-ci met) says so in "stopped". @return 0, or EXIT_FAILURE after a
 * message. */
static int write_report(const cx_report *rep, const cx_run_info *info, const cx_scenario *sc,
                        const cx_engine_opts *o, const cli_sens_setup *setup, const cx_run *run,
                        const char *json_path, const char *csv_dir, bool quiet)
{
    if (!quiet) cx_output_table(stdout, rep, info);
    if (json_path) {
        json_t *doc = cx_output_json(rep, info);
        if (!doc) {
            fprintf(stderr, "capexsim: out of memory building the JSON report\n");
            return EXIT_FAILURE;
        }
        cli_sens_add_json(setup, doc, run);
        if (info->complete && run->stopped)
            json_object_set_new(doc, "stopped", json_string("target met"));
        /* the scenario's plausibility warnings join the report's (issue 23 item 2) */
        json_t *warn = json_object_get(doc, "warnings");
        for (int i = 0; json_is_array(warn) && i < sc->n_warnings; i++)
            json_array_append_new(warn, json_string(sc->warnings[i]));
        if (cli_sens_add_provenance(setup, doc, sc, o) != 0) {
            json_decref(doc);
            return EXIT_FAILURE;
        }
        if (cx_mpi_built()) json_object_set_new(doc, "ranks", json_integer(run->ranks));
        if (cx_output_write_json(json_path, doc) < 0) {
            fprintf(stderr, "capexsim: %s: %s\n", json_path, strerror(errno));
            json_decref(doc);
            return EXIT_FAILURE;
        }
        json_decref(doc);
    }
    if (csv_dir && cx_output_write_csv(csv_dir, rep) < 0) {
        fprintf(stderr, "capexsim: %s: %s\n", csv_dir, strerror(errno));
        return EXIT_FAILURE;
    }
    return 0;
}

int cli_run_exec(const cli_run_args *a)
{
    /* with MPI, rank 0 alone writes (the table, files, messages); every rank runs */
    const bool root = cx_mpi_rank() == 0;
    const bool quiet = a->co.quiet || !root;
    const char *json_path = root ? a->co.json : NULL, *csv_dir = root ? a->co.csv : NULL;
    cx_export *exp = NULL;
    int rc;
    /* output targets are checked before the run, not discovered after it */
    if ((rc = cli_check_output("--json", json_path, NULL)) ||
        (rc = cli_check_output("--csv", csv_dir, "quarters.csv")) ||
        (rc = cli_check_output("--export-paths", a->ef.path, NULL)) ||
        (rc = cli_check_clash(a->path, a->ck.file, json_path, csv_dir, "quarters.csv",
                              a->ef.path)))
        return rc;

    cx_scenario *sc = NULL;
    cx_model *m = NULL;
    if ((rc = cli_load_checked(a->path, a->strict, root, &sc, &m)))
        return rc;

    cx_engine_opts o;
    engine_opts(&o, a, sc, quiet);
    /* before the export's temporary exists: a second signal removes it (issue 25) */
    cli_catch_sigint();
    cli_sens_setup setup;
    cli_ckpt ck = {0};
    if ((rc = cli_sens_setup_run(&setup, &a->sf, sc, &o)) != 0 ||
        (rc = cli_export_setup(&exp, &a->ef, sc, &o)) != 0 ||
        (rc = cli_ckpt_setup(&ck, "run", &a->ck, a->path, sc, m, setup.sampling,
                             setup.antithetic, a->sf.target, json_path, csv_dir, quiet, &o)) != 0) {
        cx_export_free(exp);
        cli_ckpt_free(&ck);
        cli_sens_setup_free(&setup);
        cx_model_free(m);
        cx_scenario_free(sc);
        return rc;
    }

    cx_run *run = NULL;
    cx_report *rep = NULL;
    int exit_code = EXIT_FAILURE;
    if ((rc = cx_engine_run(&run, sc, m, &o)) < 0) {
        if (o.progress) fputs("\r\033[K", stderr);
        cli_ckpt_run_failed(&ck, rc);
        goto done;
    }
    if (o.progress) fputs("\r\033[K", stderr);
    /* a failed export (a full disk) stopped the run: the other outputs still hold what ran,
     * and the exit code is 1 (issue 25) */
    int export_rc = exp ? cli_export_finish(exp, &a->ef) : 0;
    if (export_rc) exit_code = EXIT_FAILURE;
    if (run->paths_done == 0) {
        if (root && !export_rc) fprintf(stderr, "capexsim: interrupted before any path completed\n");
        if (!export_rc) exit_code = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if ((rc = cx_report_new(&rep, run->accum)) < 0) {
        fprintf(stderr, "capexsim: report: %s\n", cx_strerror(rc));
        goto done;
    }
    cx_report_set_scenario(rep, sc);
    if (root) cx_output_warnings(stderr, rep); /* non-finite or out-of-range values (issue 11) */
    /* a run its stop rule ended (the --target-ci target met) did what was asked: complete,
     * with "stopped" saying why it has fewer paths than requested; Ctrl-C is not complete */
    const bool complete = run->complete || (run->stopped && !run->interrupted);
    cx_run_info info = {sc->name,        sc->sha256,       setup.sampling_name, o.seed,
                        run->paths_done, o.paths,          run->threads,   run->elapsed_s,
                        complete,        CX_BLOCK_PATHS};
    if (write_report(rep, &info, sc, &o, &setup, run, json_path, csv_dir, quiet) != 0) goto done;
    cli_sens_report_target(&setup, run, quiet);
    if (export_rc) {
        exit_code = EXIT_FAILURE;
    } else if (run->interrupted) {
        if (root)
            fprintf(stderr, "capexsim: interrupted: reported %" PRIu64 " of %" PRIu64 " paths\n",
                run->paths_done, o.paths);
        exit_code = CLI_EXIT_INTERRUPTED;
    } else {
        exit_code = 0;
    }
done:
    cx_report_free(rep);
    cx_run_free(run);
    cx_export_free(exp);
    cli_sens_setup_free(&setup);
    cli_ckpt_free(&ck);
    cx_model_free(m);
    cx_scenario_free(sc);
    return exit_code;
}
