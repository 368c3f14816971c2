/* SPDX-License-Identifier: MIT */
/* What every command shares: exit codes, usage errors, the common flags, threads, loading a
 * scenario and checking output targets. Part of the executable only, never of the library. */
#ifndef CX_SIM_APP_COMMON_H
#define CX_SIM_APP_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "models/model.h"
#include "sim/input/scenario.h"

/* Exit codes (STYLE.md, "Errors and ownership"; issue 4: 130 after Ctrl-C). */
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_INTERRUPTED 130

/* "capexsim: message" and a hint to --help on stderr. @return CLI_EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *cmd, const char *fmt, ...);
/*
 * A decimal integer in [min, max]: no sign, no trailing junk, no overflow. On error prints a
 * usage error naming opt and what was expected. @return 0 or -1.
 */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                  const char *what, uint64_t *out);

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
 * Loads FILE (or the built-in default for NULL) and compiles its model; messages on stderr,
 * and one "capexsim: warning: ..." line for each value outside its plausible range.
 * @return 0, or an exit code (CLI_EXIT_USAGE, EXIT_FAILURE) with *sc and *m NULL.
 * @note the caller frees *m and *sc.
 */
int cli_load(const char *path, cx_scenario **sc, cx_model **m);
/* --strict (check, run): values outside their plausible range are errors, not warnings. */
#define CLI_OPT_STRICT 1001
/*
 * As cli_load, and then the scenario's plausibility warnings (sc->warnings) on stderr, one
 * "capexsim: warning: LINE" each; with strict they are "capexsim: error: LINE" and the load
 * fails. Lines are printed only when print is set (rank 0 under MPI).
 * @return 0, or an exit code (CLI_EXIT_USAGE under strict) with *sc and *m NULL.
 */
int cli_load_checked(const char *path, bool strict, bool print, cx_scenario **sc,
                     cx_model **m);
/* "capexsim ARG..." from a command's argv, words quoted for a POSIX shell where needed.
 * @return a new string (caller frees) or NULL when out of memory. */
char *cli_command_line(int argc, char **argv);
/*
 * Checks an output flag's target before any work (sim/base/files.h): a file, or with dir_file
 * a folder that will hold dir_file. Nothing to check when path is NULL. On error prints
 * "capexsim: OPT: message" (one line). @return 0 or an exit code (CLI_EXIT_USAGE).
 */
int cli_check_output(const char *opt, const char *path, const char *dir_file);

#endif
