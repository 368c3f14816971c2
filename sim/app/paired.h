/* SPDX-License-Identifier: MIT */
/* What batch and stress share: runs side by side on common random numbers, their flags, the
 * table of statistics with paired differences, and the JSON and CSV of them. The statistics
 * and the sectioning are sim/study/batch.h's. */
#ifndef CX_SIM_APP_PAIRED_H
#define CX_SIM_APP_PAIRED_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/ckpt.h"
#include "sim/app/common.h"
#include "sim/app/sens.h"
#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/report.h"
#include "sim/study/batch.h"

/* One run of a batch or stress study: its scenario, and what the run left. */
typedef struct cli_pair_run {
    const char *label;          /* column heading: scenario name, "baseline", "stressed" */
    const char *name;           /* its scenario's name (outlives sc, which batch drops) */
    cx_scenario *sc;            /* borrowed */
    cx_model *m;                /* borrowed */
    cx_run *run;
    cx_report *rep;
    cx_sections *sec;
    json_t *doc;                /* the run's report, as `run --json` writes it */
    /* what the table, the JSON and the CSV need of the run once r->run and r->doc are
     * dropped (batch drops them after each run: issue 25) */
    uint64_t paths_done, paths_requested, seed;
    bool complete;
    double elapsed_s;
    bool same_inputs;           /* the first run's uncertain inputs exactly (cx_batch_same_inputs) */
    /* its summary (cli_pair_summarise): each statistic, and the paired difference against
     * the first run where has_diff; what the table, the JSON and the CSV read */
    double *full;
    cx_paired_diff *diff;
    bool *has_diff;
    /* paired with the first run (both complete, the same paths; the seed is common): the
     * correlation of burden and revenue across paired paths (cx_paired_corr), over
     * corr_paths paths */
    bool paired;
    double corr_burden, corr_revenue;
    uint64_t corr_paths;
} cli_pair_run;

typedef struct cli_pair_flags {
    const char **paths_in;      /* scenario files (batch) */
    int n_in;
    cli_common co;
    cli_sens_flags sf;
    const char **inputs;        /* stress: --input texts */
    int n_inputs;
    const char *case_name;      /* stress: --case */
    cli_ckpt_args ck;           /* stress: --checkpoint (issue 23) */
} cli_pair_flags;

/* Drops what r's run left (run, report, sections, JSON); r->sc and r->m stay. */
void cli_pair_run_clear(cli_pair_run *r);
/*
 * Runs r->sc with the common opts (paths, seed, threads; progress; a stop predicate, which
 * then replaces Ctrl-C's stop at the next block; a checkpoint's hooks and round size, issue
 * 23) and the input source src (NULL:
 * the scenario's sampling and sf, as `run` does; else sampling_name names it), with a
 * sections observer for the paired differences over the thresholds thr. Fills r->run,
 * r->rep, r->doc. @return 0, CLI_EXIT_INTERRUPTED when Ctrl-C stopped it (what ran is
 * reported), or an exit code after a message. @note free with cli_pair_run_clear.
 */
int cli_pair_run_one(cli_pair_run *r, const cx_engine_opts *common, const cli_sens_flags *sf,
                     const cx_input_source *src, const char *sampling_name,
                     const double *thr, int n_thr);
/*
 * Summarises r (done) against base (the first run, done; r itself for the first): each
 * statistic and, when paired (both complete with the same paths: path i pairs with path
 * i, whatever the scenarios' inputs), the paired differences and correlations. Then, unless r is
 * base, drops r's sections and report, so a batch holds one run's state at a time (issue 25).
 * @return 0 or EXIT_FAILURE (out of memory, after a message).
 */
int cli_pair_summarise(cli_pair_run *r, const cli_pair_run *base, int n_thr);
/* The side-by-side table of the n runs r and the paired differences against r[0], on stdout. */
void cli_pair_print_table(const cli_pair_run *r, int n, const double *thr, int n_thr);
/* The paired block of r against base, or null when they are not paired or not complete.
 * @return a new reference (NULL when out of memory). */
json_t *cli_pair_json(const cli_pair_run *r, const cli_pair_run *base, const double *thr,
                      int n_thr);
/* {statistic: value} of r's headline statistics. @return a new reference (NULL: no memory). */
json_t *cli_pair_headline_json(const cli_pair_run *r, const double *thr, int n_thr);
/* Writes doc to --json (NULL doc: out of memory) and the n runs' CSV to --csv, as asked.
 * @return 0 or EXIT_FAILURE after a message. */
int cli_pair_write_outputs(const cli_pair_flags *a, json_t *doc, const cli_pair_run *r, int n,
                           const double *thr, int n_thr);
/* Flags of batch and stress (cmd) into *a; help prints --help. a->inputs must have room for
 * argc texts. @return -1 after --help, an exit code > 0 after a message, or 0. */
int cli_pair_flags_parse(const char *cmd, int argc, char **argv, cli_pair_flags *a,
                         void (*help)(void));
/* Paths, seed and threads common to every run of a study: the flags, else sc's. */
void cli_pair_common_opts(cx_engine_opts *o, const cli_pair_flags *a, const cx_scenario *sc);
/* The exit code of a study whose runs ended with rc; after Ctrl-C (130), a line on stderr
 * saying how many of the n runs are complete. */
int cli_pair_exit_code(const cli_pair_run *r, int n, int rc);

#endif
