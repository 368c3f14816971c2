/* SPDX-License-Identifier: MIT */
/* Executes a stress study with its table and outputs: `capexsim stress`, and `capexsim
 * resume` of a stress's checkpoint (issue 23). */
#ifndef CX_SIM_APP_STRESS_EXEC_H
#define CX_SIM_APP_STRESS_EXEC_H

#include "sim/app/paired.h"

/*
 * Loads the one scenario of a, picks the case (--input and --outcome texts, else --case or
 * the first of its stress group), runs the baseline and the stressed run (with --checkpoint:
 * from the file's states if it has them, saving as they go), prints the table and writes
 * the JSON and CSV. Messages on stderr.
 * @return the exit code: 0, 1, 2 (also a damaged checkpoint), or 130 after Ctrl-C.
 */
int cli_stress_exec(const cli_pair_flags *a);

#endif
