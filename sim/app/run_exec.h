/* SPDX-License-Identifier: MIT */
/* Executes one run of the engine with its report and outputs: `capexsim run`, and `capexsim
 * resume` of a run's checkpoint. */
#ifndef CX_SIM_APP_RUN_EXEC_H
#define CX_SIM_APP_RUN_EXEC_H

#include "sim/app/ckpt.h"
#include "sim/app/common.h"
#include "sim/app/export.h"
#include "sim/app/sens.h"

/* Everything `capexsim run` was told (resume fills it from a checkpoint). */
typedef struct cli_run_args {
    const char *path;        /* scenario file, NULL: the built-in one */
    cli_common co;
    cli_sens_flags sf;
    cli_ckpt_args ck;
    cli_export_flags ef;
    bool strict;             /* --strict: plausibility warnings are errors */
} cli_run_args;
/*
 * Checks the outputs, loads the scenario, runs it (with MPI, on every rank; rank 0 alone
 * writes), prints the table and writes the JSON, CSV and export. Messages on stderr.
 * @return the exit code: 0, 1, 2, or 130 when Ctrl-C cut the run short.
 */
int cli_run_exec(const cli_run_args *a);

#endif
