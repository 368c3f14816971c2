/* SPDX-License-Identifier: MIT */
/* The sampling flags of the commands that run paths (issue 6): --sampling, --antithetic,
 * --target-ci, and what they set up on a run and add to its report. */
#ifndef CX_SIM_APP_SENS_H
#define CX_SIM_APP_SENS_H

#include <stdbool.h>

#include <jansson.h>

#include "sim/engine/engine.h"
#include "sim/engine/sampling.h"
#include "sim/input/scenario.h"
#include "sim/study/sens.h"

typedef struct cli_sens_flags {
    int sampling;          /* cx_sampling, -1 when not given */
    bool antithetic;
    const char *target;    /* --target-ci text or NULL */
} cli_sens_flags;

/* getopt codes of the issue-6 long options (no short forms). */
#define CLI_OPT_SAMPLING 'S'
#define CLI_OPT_ANTITHETIC 'A'
#define CLI_OPT_TARGET_CI 'T'
/* sobol's own: --max-paths, --order (sim/app/study.c) */
#define CLI_OPT_STUDY_MAX 'M'
#define CLI_OPT_STUDY_ORDER 'O'

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
    const char *target_text; /* --target-ci as given, or NULL */
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
/*
 * Adds what `capexsim rerun` needs to a run's JSON (issue 22): "options" (the command, paths
 * requested, seed, sampling, antithetic, target_ci: flags over the scenario's run group), then
 * the scenario itself (cx_output_add_scenario). @return 0, or EXIT_FAILURE after a message.
 */
int cli_sens_add_provenance(const cli_sens_setup *s, json_t *doc, const cx_scenario *sc,
                            const cx_engine_opts *o);
/* One line on stderr saying whether --target-ci was met and after how many paths. */
void cli_sens_report_target(const cli_sens_setup *s, const cx_run *run, bool quiet);

#endif
