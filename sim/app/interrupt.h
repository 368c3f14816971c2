/* SPDX-License-Identifier: MIT */
/* Ctrl-C and SIGTERM for the commands: a flag the engine and the studies read between blocks. */
#ifndef CX_SIM_APP_INTERRUPT_H
#define CX_SIM_APP_INTERRUPT_H

#include <stdatomic.h>

/*
 * Set by the first Ctrl-C once cli_catch_sigint has run; the engine and the study drivers
 * read it before each block and stop at the next block boundary. A second Ctrl-C ends the
 * process at once (default action: status 128 + SIGINT).
 */
extern atomic_int cli_interrupt;
/* This process's own Ctrl-C/SIGTERM flag; in an MPI job cli_interrupt is what the ranks
 * agree on (sim/engine/mpi.h), alone the two are set together. */
extern atomic_int cli_signal;
/* Installs the SIGINT and SIGTERM handler that sets cli_interrupt; a second signal removes
 * the registered temporaries (cx_file_mkstemp) and ends the process (status 128 + signal). */
void cli_catch_sigint(void);

#endif
