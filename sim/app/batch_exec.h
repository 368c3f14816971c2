/* SPDX-License-Identifier: MIT */
/* A batch's body after its flags: `capexsim batch` and `capexsim resume` of a batch's
 * checkpoint (issue 23). */
#ifndef CX_APP_BATCH_EXEC_H
#define CX_APP_BATCH_EXEC_H

#include "sim/app/paired.h"

/* Runs the batch a describes (its scenarios, common flags, checkpoint). @return an exit code. */
int cli_batch_exec(const cli_pair_flags *a);

#endif
