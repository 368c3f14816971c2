/* SPDX-License-Identifier: MIT */
/* Executes a sweep with its table and outputs: `capexsim sweep`, and `capexsim resume` of a
 * sweep's checkpoint. */
#ifndef CX_SIM_APP_SWEEP_EXEC_H
#define CX_SIM_APP_SWEEP_EXEC_H

#include "sim/app/study.h"

/*
 * Loads the scenario, runs every point of its sweep group (with MPI, on every rank; rank 0
 * alone writes), prints the table and writes the JSON and CSV. Messages on stderr.
 * @return the exit code: 0, 1, 2, or 130 when Ctrl-C cut the sweep short.
 */
int cli_sweep_exec(const cli_study_args *a);

#endif
