/* SPDX-License-Identifier: MIT */
/* Processes of an MPI job (Open MPI), as the CLI and the engine need them (issue 12). */

/*
 * Only what the engine asks for (engine.h, cx_engine_comm): a gather of byte strings to
 * rank 0 (sizes first, then MPI_Gatherv) and a broadcast from rank 0. Everything else (which
 * blocks a rank runs, how rank 0 folds them) is the engine's, so the same code runs with one
 * process or many. MPI's default error handler stays: a rank that dies or a failed call ends
 * the whole job (mpirun says which rank died and how), and rank 0 writes its outputs only at
 * the end, through a temporary file and a rename, so existing files are left as they were.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if CX_HAVE_MPI
#include <mpi.h>
#endif

#include "sim/base/error.h"
#include "sim/engine/mpi.h"

#if CX_HAVE_MPI

static bool joined;
static int rank, size = 1;
static cx_engine_comm comm;

/* A launcher put this process in a job: Open MPI's mpirun, or a PMI/PMIx one (srun). */
static bool launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i])) return true;
    return false;
}

int cx_mpi_init(int *argc, char ***argv)
{
    if (!launched()) return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "capexsim: MPI_Init_thread failed\n");
        return CX_ERR_INTERNAL;
    }
    joined = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (provided < MPI_THREAD_FUNNELED) {
        fprintf(stderr, "capexsim: this MPI library cannot be used with threads\n");
        return CX_ERR_INTERNAL;
    }
    return 0;
}

void cx_mpi_finalize(void)
{
    if (joined) MPI_Finalize();
    joined = false;
}

int cx_mpi_rank(void)
{
    return rank;
}

int cx_mpi_size(void)
{
    return size;
}

bool cx_mpi_built(void)
{
    return true;
}

/* Rank 0 cannot hold what it gathers: the job cannot go on consistently. */
static void give_up(const char *what)
{
    fprintf(stderr, "capexsim: rank 0: %s; ending the MPI job\n", what);
    MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE);
}

static int gather(void *ctx, const cx_wbuf *send, cx_wbuf *all)
{
    (void)ctx;
    if (send->n > INT_MAX) give_up("a message of more than 2 GB");
    int n = (int)send->n, one = 0;
    int *counts = NULL, *displs = NULL;
    if (rank == 0) {
        counts = calloc((size_t)size, sizeof *counts);
        displs = calloc((size_t)size, sizeof *displs);
        if (!counts || !displs) give_up("out of memory");
    }
    MPI_Gather(&n, 1, MPI_INT, rank == 0 ? counts : &one, 1, MPI_INT, 0, MPI_COMM_WORLD);
    size_t total = 0;
    if (rank == 0) {
        for (int r = 0; r < size; r++) {
            displs[r] = (int)total;
            total += (size_t)counts[r];
            if (total > INT_MAX) give_up("messages of more than 2 GB");
        }
        if (total > all->cap) {
            unsigned char *p = realloc(all->p, total);
            if (!p) give_up("out of memory");
            all->p = p;
            all->cap = total;
        }
        all->n = total;
    }
    unsigned char byte = 0;
    MPI_Gatherv(n ? send->p : &byte, n, MPI_BYTE, rank == 0 && total ? all->p : &byte, counts,
                displs, MPI_BYTE, 0, MPI_COMM_WORLD);
    free(counts);
    free(displs);
    return 0;
}

static int bcast(void *ctx, void *buf, size_t n)
{
    (void)ctx;
    if (n > INT_MAX) return CX_ERR_RANGE;
    MPI_Bcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
    return 0;
}

const cx_engine_comm *cx_mpi_comm(const atomic_int *signal, atomic_int *interrupt)
{
    if (!joined || size < 2) return NULL;
    comm = (cx_engine_comm){rank, size, NULL, gather, bcast, signal, interrupt, cx_mpi_any};
    return &comm;
}

bool cx_mpi_any(bool flag)
{
    if (!joined || size < 2) return flag;
    int in = flag, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    return out != 0;
}

#else /* without MPI: one process */

int cx_mpi_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

void cx_mpi_finalize(void) {}

int cx_mpi_rank(void)
{
    return 0;
}

int cx_mpi_size(void)
{
    return 1;
}

bool cx_mpi_built(void)
{
    return false;
}

const cx_engine_comm *cx_mpi_comm(const atomic_int *signal, atomic_int *interrupt)
{
    (void)signal;
    (void)interrupt;
    return NULL;
}

bool cx_mpi_any(bool flag)
{
    return flag;
}

#endif
