/* SPDX-License-Identifier: MIT */
/* Processes of an MPI job (Open MPI), as the CLI and the engine need them (issue 12). */
#ifndef CX_SIM_MPI_H
#define CX_SIM_MPI_H

#include <stdatomic.h>
#include <stdbool.h>

#include "sim/engine/engine.h"

/*
 * Built with -Dmpi=enabled, capexsim joins an MPI job when a launcher started it (mpirun,
 * mpiexec or srun set the rank in the environment) and runs alone otherwise, without
 * initialising MPI. Without MPI every function here is a no-op for one process.
 */

/*
 * Joins the job if there is one (MPI_Init_thread, funneled: only the main thread calls MPI).
 * @return 0, or CX_ERR_INTERNAL when MPI could not start (a message on stderr).
 */
int cx_mpi_init(int *argc, char ***argv);
/* Leaves the job (MPI_Finalize); a no-op when cx_mpi_init did not join one. */
void cx_mpi_finalize(void);
/* This process's rank (0 alone) and the number of processes (1 alone). */
int cx_mpi_rank(void);
int cx_mpi_size(void);
/* Whether this build can join MPI jobs. */
bool cx_mpi_built(void);

/*
 * The engine's view of the job (cx_engine_comm: gather to rank 0, broadcast from it), or
 * NULL when this process is alone. signal is this process's own Ctrl-C/SIGTERM flag;
 * interrupt is the flag the job agrees on: the engine sets it on every rank at the end of a
 * run in which any rank was signalled, so that checks between runs (a sweep's points) give
 * the same answer everywhere.
 */
const cx_engine_comm *cx_mpi_comm(const atomic_int *signal, atomic_int *interrupt);

/*
 * Gathers one flag from every rank to all: whether any rank set it. Collective; a no-op
 * returning flag when alone.
 */
bool cx_mpi_any(bool flag);

#endif
