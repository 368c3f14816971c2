/* SPDX-License-Identifier: MIT */
/* The checkpoint flags (issue 12): --checkpoint, --checkpoint-every, --round-blocks, and
 * opening a run's checkpoint file. The file format and the engine hooks are
 * sim/engine/checkpoint.h's. */
#ifndef CX_SIM_APP_CKPT_H
#define CX_SIM_APP_CKPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/model.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/engine.h"
#include "sim/engine/sampling.h"
#include "sim/input/scenario.h"
#include "sim/study/study.h"

typedef struct cli_ckpt_args {
    const char *file;        /* --checkpoint FILE; NULL: none */
    double every_s;          /* --checkpoint-every SECONDS */
    bool has_every;
    uint64_t round_blocks;   /* --round-blocks N; 0: the engine's schedule */
    bool resuming;           /* set by `capexsim resume` */
} cli_ckpt_args;
#define CLI_CKPT_ARGS_INIT {NULL, 60.0, false, 0, false}

/* getopt codes of the checkpoint options (long only) and their getopt_long entries. */
#define CLI_OPT_CHECKPOINT 'K'
#define CLI_OPT_CHECKPOINT_EVERY 'W'
#define CLI_OPT_ROUND_BLOCKS 'B'
#define CLI_CKPT_LONGOPTS                                                                   \
    {"checkpoint", required_argument, NULL, CLI_OPT_CHECKPOINT},                            \
        {"checkpoint-every", required_argument, NULL, CLI_OPT_CHECKPOINT_EVERY},            \
        {"round-blocks", required_argument, NULL, CLI_OPT_ROUND_BLOCKS}
/* Their lines for --help. */
extern const char cli_ckpt_help[];

/* Handles one of the checkpoint flags; returns 1 if c was one (with *rc an exit code on error). */
int cli_ckpt_flag(const char *cmd, int c, const char *arg, cli_ckpt_args *a, int *rc);

typedef struct cli_ckpt {
    struct cx_ckpt *ck;
    cx_engine_ckpt hooks;
    cx_study_ckpt study;     /* a study's (cli_ckpt_setup_study) */
} cli_ckpt;

/*
 * Applies --round-blocks to o and, with --checkpoint, opens the file for this run (its
 * identity: cmd, the scenario and its digest, o's seed and paths, the sampling and target;
 * its outputs) and sets o->ckpt; a file of another run, or a damaged one, is refused with a
 * message. Also makes SIGTERM stop the run like Ctrl-C. @return 0 or an exit code.
 * @note free c with cli_ckpt_free (also after an error).
 */
int cli_ckpt_setup(cli_ckpt *c, const char *cmd, const cli_ckpt_args *a, const char *scenario,
                   const cx_scenario *sc, const cx_model *m, cx_sampling sampling,
                   bool antithetic, const char *target, const char *json, const char *csv,
                   bool quiet, cx_engine_opts *o);
/* cli_ckpt_setup for stress (issue 23): its two runs (baseline, stressed) with their sections
 * observers, its case as text (options: "case=NAME" or "input=TEXT" lines) in the identity;
 * one process only. */
int cli_ckpt_setup_stress(cli_ckpt *c, const cli_ckpt_args *a, const char *scenario,
                          const cx_scenario *sc, const cx_model *m, const char *options,
                          const char *json, const char *csv, bool quiet, cx_engine_opts *o);
/* cli_ckpt_setup for batch (issue 23): its n runs, run k of the scenario whose shape is
 * shapes[k]; the first scenario (scenario, sc) as a run's, the others in options (their paths
 * and digests, "sampling=own" where each scenario's run.sampling applies); one process only. */
int cli_ckpt_setup_batch(cli_ckpt *c, const cli_ckpt_args *a, const char *scenario,
                         const cx_scenario *sc, const char *options, int sampling,
                         bool antithetic, const cx_ckpt_shape *shapes, int n, const char *json,
                         const char *csv, bool quiet, cx_engine_opts *o);
/* What identifies a study's checkpoint beyond its cx_study_opts, and bounds its state. */
typedef struct cli_study_id {
    const char *options;     /* the study's own options as text ("metric=capex_burden") */
    size_t state_max;        /* the most bytes its state can take (cx_tornado_state_max) */
    const char *json, *csv;  /* its outputs (a resume's defaults) */
    bool quiet;
} cli_study_id;

/*
 * cli_ckpt_setup for a study with a driver of its own (issue 23: tornado): with --checkpoint,
 * opens the file for this study (identity: cmd, the scenario and its digest, o's seed, paths,
 * sampling and antithetic, --round-blocks, sid->options) and sets o->ckpt (the state held, if
 * any, and the save hook). One process only (not under MPI). @return 0 or an exit code.
 * @note free c with cli_ckpt_free (also after an error).
 */
int cli_ckpt_setup_study(cli_ckpt *c, const char *cmd, const cli_ckpt_args *a,
                         const char *scenario, const cx_scenario *sc, const cli_study_id *sid,
                         cx_study_opts *o);
/* The checkpoint flags' --help lines for a study (rounds of the study's blocks). */
extern const char cli_ckpt_study_help[];
void cli_ckpt_free(cli_ckpt *c);
/* "capexsim: ..." for an engine run that failed with rc (the checkpoint's message if a save
 * failed). */
void cli_ckpt_run_failed(const cli_ckpt *c, int rc);

#endif
