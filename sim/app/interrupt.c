/* SPDX-License-Identifier: MIT */
/* Ctrl-C for the commands: the first stops at the next block, a second ends the process. */
#include "config.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "sim/app/interrupt.h"
#include "sim/base/files.h"
#include "sim/engine/mpi.h"

atomic_int cli_interrupt, cli_signal;

static void on_sigint(int sig)
{
    if (atomic_load(&cli_signal)) {
        /* second Ctrl-C or SIGTERM: end now, with the default action (exit status 128 + the
         * signal), leaving no temporary file behind (issue 25) */
        cx_file_tmp_remove_all();
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
    /* SIGTERM (a batch system's time limit; mpirun passing Ctrl-C on to the ranks) stops the
     * same way in every command (issue 25) */
    sigaction(SIGTERM, &sa, NULL);
}
