/* SPDX-License-Identifier: MIT */
/* What the capexsim executable's files (main.c, cli_sens.c) share; never part of the library. */
#ifndef CX_SIM_CLI_H
#define CX_SIM_CLI_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/engine/engine.h"
#include "sim/result/export.h"
#include "sim/engine/sampling.h"
#include "sim/input/scenario.h"
#include "sim/study/sens.h"

/* Exit codes (STYLE.md, "Errors and ownership"; issue 4: 130 after Ctrl-C). */
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_INTERRUPTED 130

/*
 * Set by the first Ctrl-C once cli_catch_sigint has run; the engine and the study drivers
 * read it before each block and stop at the next block boundary. A second Ctrl-C ends the
 * process at once (default action: status 128 + SIGINT).
 */
extern atomic_int cli_interrupt;
/* This process's own Ctrl-C/SIGTERM flag; in an MPI job cli_interrupt is what the ranks
 * agree on (sim/engine/mpi.h), alone the two are set together. */
extern atomic_int cli_signal;
/* Installs the SIGINT handler that sets cli_interrupt. */
void cli_catch_sigint(void);

/* "capexsim: message" and a hint to --help on stderr. @return CLI_EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *cmd, const char *fmt, ...);
/*
 * A decimal integer in [min, max]: no sign, no trailing junk, no overflow. On error prints a
 * usage error naming opt and what was expected. @return 0 or -1.
 */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                  const char *what, uint64_t *out);
/* Threads when neither a flag nor the scenario says: all cores (1 without OpenMP). */
int cli_default_threads(void);
/* Threads past this many per core are not used (issue 11: they only cost memory). */
#define CLI_THREADS_PER_CORE 4
/* Threads for a command: the --threads value when given (non-zero), else the scenario's
 * run.threads when set (> 0), else cli_default_threads(); then at most one per block
 * (paths / block_paths, rounded up; no block cap when block_paths is 0) and at most
 * CLI_THREADS_PER_CORE per core. */
int cli_threads(uint64_t flag, const cx_scenario *sc, uint64_t paths, uint64_t block_paths);
/*
 * Loads FILE (or the built-in default for NULL) and compiles its model; messages on stderr.
 * @return 0, or an exit code (CLI_EXIT_USAGE, EXIT_FAILURE) with *sc and *m NULL.
 * @note the caller frees *m and *sc.
 */
int cli_load(const char *path, cx_scenario **sc, cx_model **m);
/*
 * Checks an output flag's target before any work (sim/result/output.h): a file, or with dir_file a
 * folder that will hold dir_file. Nothing to check when path is NULL. On error prints
 * "capexsim: OPT: message" (one line). @return 0 or an exit code (CLI_EXIT_USAGE).
 */
int cli_check_output(const char *opt, const char *path, const char *dir_file);
/* The progress line on stderr (an engine progress callback; only when stderr is a terminal). */
void cli_progress(void *ctx, const cx_engine_progress *p);

/* ---- cli_sens.c: run's issue-6 flags ---- */

typedef struct cli_sens_flags {
    int sampling;          /* cx_sampling, -1 when not given */
    bool antithetic;
    const char *target;    /* --target-ci text or NULL */
} cli_sens_flags;

/* getopt codes of the issue-6 long options (no short forms). */
#define CLI_OPT_SAMPLING 'S'
#define CLI_OPT_ANTITHETIC 'A'
#define CLI_OPT_TARGET_CI 'T'

/* Handles one of the issue-6 flags; returns 1 if c was one (with *rc an exit code on error). */
int cli_sens_flag(const char *cmd, int c, const char *arg, cli_sens_flags *f, int *rc);

typedef struct cli_sens_setup {
    cx_sampling sampling;
    bool antithetic;
    cx_sampling_source *ss;
    cx_input_source src;
    bool has_target;
    cx_target_ci target;
    char sampling_name[32];  /* "lhs", "sobol+antithetic", ... for the report */
} cli_sens_setup;

/*
 * Applies the flags (or the scenario's run group) to o: sampling source, --target-ci stop.
 * @return 0 or an exit code. @note free s with cli_sens_setup_free (also after an error).
 */
int cli_sens_setup_run(cli_sens_setup *s, const cli_sens_flags *f, const cx_scenario *sc,
                       cx_engine_opts *o);
void cli_sens_setup_free(cli_sens_setup *s);
/* Adds "histograms" (for `capexsim plot`), "antithetic" and "target_ci" to the run's JSON. */
void cli_sens_add_json(const cli_sens_setup *s, json_t *doc, const cx_run *run);
/* One line on stderr saying whether --target-ci was met and after how many paths. */
void cli_sens_report_target(const cli_sens_setup *s, const cx_run *run, bool quiet);

/* ---- cli_ckpt.c: --checkpoint, --checkpoint-every, --round-blocks and resume (issue 12) ---- */

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
void cli_ckpt_free(cli_ckpt *c);
/* "capexsim: ..." for an engine run that failed with rc (the checkpoint's message if a save
 * failed). */
void cli_ckpt_run_failed(const cli_ckpt *c, int rc);

/* Everything `capexsim run` was told; cli_run_exec runs it (resume calls it too). */


/* The flags every command that runs paths takes: -n/--paths, -s/--seed, -t/--threads,
 * -j/--json, -c/--csv, -q/--quiet. */
typedef struct cli_common {
    const char *json, *csv;
    uint64_t paths, seed, threads;
    bool has_paths, has_seed, quiet;
} cli_common;
/* Parses option c (getopt_long's value, arg its argument) when it is one of cli_common's.
 * @return true when it was (*rc: 0, or CLI_EXIT_USAGE after a message). */
bool cli_common_flag(const char *cmd, int c, const char *arg, cli_common *o, int *rc);

/* The flags of sweep, tornado and sobol; cli_sweep_exec runs a sweep (resume calls it too). */
typedef struct cli_study_args {
    const char *path;
    cli_common co;
    const char *metric;
    cli_sens_flags sf;
    cli_ckpt_args ck;
} cli_study_args;
int cli_sweep_exec(const cli_study_args *a);

int cli_cmd_resume(int argc, char **argv);

/* ---- cli_sens.c: subcommands (argv[0] is the subcommand's name) ---- */
int cli_cmd_sweep(int argc, char **argv);
int cli_cmd_tornado(int argc, char **argv);
int cli_cmd_sobol(int argc, char **argv);
int cli_cmd_plot(int argc, char **argv);

/* ---- cli_batch.c: run's --export-paths (issue 14) ---- */

typedef struct cli_export_flags {
    const char *path;  /* --export-paths FILE, or NULL */
    uint64_t max;      /* --export-max N */
    bool has_max;
} cli_export_flags;

/* getopt codes of the issue-14 long options of run (no short forms). */
#define CLI_OPT_EXPORT_PATHS 'E'
#define CLI_OPT_EXPORT_MAX 'X'

/* Handles one of run's issue-14 flags; returns 1 if c was one (with *rc an exit code on error). */
int cli_export_flag(const char *cmd, int c, const char *arg, cli_export_flags *f, int *rc);
/*
 * With --export-paths, opens the export and hooks its observer into o (and, without a stop
 * predicate, rounds small enough that the rows of a round stay near 64 MiB). *e stays NULL
 * without the flag. @return 0 or an exit code (message printed).
 */
int cli_export_setup(cx_export **e, const cli_export_flags *f, const cx_scenario *sc,
                     cx_engine_opts *o);
/* Finishes the export file (message on failure). @return 0 or EXIT_FAILURE. */
int cli_export_finish(cx_export *e, const cli_export_flags *f);

/* ---- cli_batch.c: subcommands (argv[0] is the subcommand's name) ---- */
int cli_cmd_batch(int argc, char **argv);
int cli_cmd_stress(int argc, char **argv);

/* ---- main.c: everything `capexsim run` was told; cli_run_exec runs it (resume too) ---- */
typedef struct cli_run_args {
    const char *path;
    cli_common co;
    cli_sens_flags sf;
    cli_ckpt_args ck;
    cli_export_flags ef;
} cli_run_args;
int cli_run_exec(const cli_run_args *a);

#endif
