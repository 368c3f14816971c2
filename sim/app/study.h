/* SPDX-License-Identifier: MIT */
/* What sweep, tornado and sobol share: their flags and help, the metric they study, writing
 * their JSON, and their exit codes after Ctrl-C. */
#ifndef CX_SIM_APP_STUDY_H
#define CX_SIM_APP_STUDY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "sim/app/ckpt.h"
#include "sim/app/common.h"
#include "sim/app/sens.h"

/* The flags of sweep, tornado and sobol. */
typedef struct cli_study_args {
    const char *path;        /* scenario file, NULL: the built-in one */
    cli_common co;
    const char *metric;      /* --metric NAME or NULL */
    cli_sens_flags sf;
    cli_ckpt_args ck;        /* sweep and tornado (issue 23) */
    double sobol_target;     /* sobol --target-ci W (0: none) */
    uint64_t sobol_max;      /* sobol --max-paths N (0: 64 x the start) */
    int sobol_order;         /* sobol --order: 0 by total effect, 1 config (input) order */
} cli_study_args;

/*
 * Parses the flags of study cmd into *a (what: the help's description; paths_default: the
 * help's --paths line; metric: whether cmd takes --metric) and checks the output targets.
 * @return -1 after --help (exit 0), an exit code > 0 after a message, 0 to go on.
 */
int cli_study_parse(const char *cmd, int argc, char **argv, cli_study_args *a, bool metric,
                    const char *what, const char *paths_default);
/* The metric of a study: the --metric flag, else the scenario's tornado.metric or
 * sobol.metric (scenario_metric, NULL when unset), else capex_burden. @return its index. */
int cli_study_metric(const char *flag, const char *scenario_metric);
/* Writes doc (NULL: out of memory) to path and drops the reference. @return 0 or
 * EXIT_FAILURE after a message. */
int cli_write_json_doc(const char *path, json_t *doc);
/* The exit code of a study that wrote its outputs: 0, or 130 with a line on stderr when an
 * interrupt cut it short (done of requested what). */
int cli_study_exit(bool complete, uint64_t done, uint64_t requested, const char *what);
/* The message for a study that Ctrl-C stopped before any path. @return CLI_EXIT_INTERRUPTED. */
int cli_nothing_done(void);

#endif
