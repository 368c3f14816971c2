/* SPDX-License-Identifier: MIT */
/* Executes a Sobol study with its table and outputs: `capexsim sobol`, and `capexsim resume`
 * of a Sobol study's checkpoint (issue 23). */
#ifndef CX_SIM_APP_SOBOL_EXEC_H
#define CX_SIM_APP_SOBOL_EXEC_H

#include "sim/app/study.h"

/*
 * Loads the scenario, runs the Sobol design (with --checkpoint: from the file's state if it
 * has one, saving as it goes), prints the table and writes the JSON and CSV. Messages on
 * stderr. @return the exit code: 0, 1, 2 (also a damaged checkpoint), or 130 after Ctrl-C.
 */
int cli_sobol_exec(const cli_study_args *a);

#endif
