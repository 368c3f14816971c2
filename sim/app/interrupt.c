/* SPDX-License-Identifier: MIT */
/* Ctrl-C for the commands: the first stops at the next block, a second ends the process. */
#include "config.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "sim/app/interrupt.h"
#include "sim/engine/mpi.h"

atomic_int cli_interrupt, cli_signal;

static void on_sigint(int sig)
{
    if (atomic_load(&cli_signal)) {
        /* second Ctrl-C: end now, with the default action (exit status 128 + SIGINT) */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    atomic_store(&cli_signal, 1);
    /* in an MPI job the ranks agree on cli_interrupt (sim/engine/mpi.h); alone it is this flag */
    if (cx_mpi_size() == 1) atomic_store(&cli_interrupt, 1);
}

void cli_catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    /* mpirun passes Ctrl-C on to the ranks as SIGTERM */
    if (cx_mpi_size() > 1) sigaction(SIGTERM, &sa, NULL);
}
