/* SPDX-License-Identifier: MIT */
/* Executes a Shapley study with its table and outputs: `capexsim shapley`, and `capexsim
 * resume` of a Shapley study's checkpoint (issue 23). */
#ifndef CX_SIM_APP_SHAPLEY_EXEC_H
#define CX_SIM_APP_SHAPLEY_EXEC_H

#include <stdbool.h>

#include "sim/app/ckpt.h"
#include "sim/app/common.h"

/* The flags of shapley. */
typedef struct cli_shapley_args {
    const char *path;        /* scenario file, NULL: the built-in one */
    cli_common co;
    const char *metric;      /* --metric NAME or NULL */
    bool crn;                /* --crn */
    cli_ckpt_args ck;        /* --checkpoint (issue 23) */
} cli_shapley_args;

/*
 * Loads the scenario, runs the Shapley design (with --checkpoint: from the file's state if
 * it has one, saving as it goes), prints the table and writes the JSON and CSV. Messages on
 * stderr. @return the exit code: 0, 1, 2 (also a damaged checkpoint), or 130 after Ctrl-C.
 */
int cli_shapley_exec(const cli_shapley_args *a);

#endif
