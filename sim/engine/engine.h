/* SPDX-License-Identifier: MIT */
/* The engine: runs paths in fixed-size blocks on OpenMP threads, bit-reproducibly. */
#ifndef CX_SIM_ENGINE_H
#define CX_SIM_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/model.h"
#include "sim/engine/accum.h"
#include "sim/input/scenario.h"
#include "sim/base/serial.h"

/*
 * How a run is cut up (and why the result does not depend on the thread count):
 * - paths are split into blocks of CX_BLOCK_PATHS (the last may be short); block b draws
 *   everything from the stream cx_pcg64_stream(seed, b) and from streams keyed by it and
 *   nothing else: path i's scalar inputs from its path key (the block stream's i-th output
 *   under MC) and each input's name (sim/input/sampler.h), its per-month randomness from
 *   its own streams (seed, b, i, group);
 * - blocks run in rounds (CX_ROUND_BLOCKS, or the schedule below with a stop predicate); each
 *   block's floating-point partials (moments, observer state) go to its own slot of the round
 *   buffer, and after the round the slots are merged into the run's total in block order, by
 *   one thread; so the total is the same fold over blocks whatever the rounds are;
 * - integer state (sketches, exceedance counts) goes to the running thread's accumulator;
 *   those merge by adding integers, in any order: after the run, or after every round when a
 *   stop predicate needs the total.
 * So a block's contribution is a pure function of (scenario, seed, b), and the total is a
 * fixed fold over blocks: a multi-process (MPI) version gives the same bytes if each process
 * runs any subset of blocks, sends their slots to rank 0 to be folded in block order, and sums
 * its integer state. Round boundaries are the only places a run can be stopped early by a
 * deterministic predicate; Ctrl-C stops at the next block boundary.
 *
 * Rounds with a stop predicate (--target-ci), so that a small target does not overshoot by
 * up to a full round of 262,144 paths: the round after `done` blocks has
 * clamp(done / CX_STOP_ROUND_DIV, CX_STOP_ROUND_MIN, CX_ROUND_BLOCKS) blocks, i.e. a check
 * every 16,384 paths up to 262,144, then after every 1/16 of the paths done (so a run goes
 * at most 16,384 paths, or about 1/16 of its paths, past the point where its target is first
 * met), at most every 262,144. The
 * schedule depends only on blocks done, never on threads: the stopping point, and so every
 * byte of a stopped run, is the same for any thread count.
 */
#define CX_BLOCK_PATHS 1024
#define CX_ROUND_BLOCKS 256
#define CX_STOP_ROUND_MIN 16
#define CX_STOP_ROUND_DIV 16

/*
 * Blocks per accumulation batch (cx_accum_buf): a thread buffers the values of its paths and
 * feeds them to its sketches a series at a time when the buffer is full and at the end of
 * each round (block moments are taken from the buffer at the end of each block). Fed a path
 * at a time, the 51 sketches of the default scenario (tens of kB of buckets in use each,
 * MBs in all) do not fit in L2 and nearly every insert misses; fed a long row at a time, a
 * sketch's lines are reused within the row. Changes no result (see cx_accum_buf).
 * Costs 8 x 51 x CX_ACCUM_BATCH_BLOCKS x CX_BLOCK_PATHS bytes per thread.
 */
#ifndef CX_ACCUM_BATCH_BLOCKS
#define CX_ACCUM_BATCH_BLOCKS 8
#endif

/*
 * Where a path's scalar inputs come from (issue 6: Latin hypercube, Sobol, antithetic).
 * The default (NULL in cx_engine_opts) is cx_sampler_draw from the block stream.
 * thread_new/thread_free make per-thread state (a uniforms buffer, say) before and after the
 * parallel region; block_begin is called by the thread that runs block b before its first
 * path, with r already seeded to the block's stream; fill writes x[sc->n_inputs] for path i
 * of the block. fill_batch, when given, fills the rows of paths i0 .. i0+nb-1 at once (row k
 * at x + k x_stride) with exactly what nb calls of fill would write, and the engine calls it
 * instead. block_begin, fill and fill_batch must depend only on (ctx, b, i, n, r) and
 * allocate nothing.
 */
typedef struct cx_input_source {
    void *ctx;
    int (*thread_new)(void *ctx, void **state);             /* may be NULL */
    void (*thread_free)(void *ctx, void *state);            /* may be NULL */
    void (*block_begin)(void *ctx, void *state, uint64_t b, int n, gsl_rng *r); /* may be NULL */
    void (*fill)(void *ctx, void *state, uint64_t b, int i, gsl_rng *r, double *x);
    void (*fill_batch)(void *ctx, void *state, uint64_t b, int i0, int nb, gsl_rng *r,
                       double *x, size_t x_stride);                      /* may be NULL */
} cx_input_source;

/*
 * An optional per-path observer (tornado deciles, Sobol running sums). Its per-block state
 * (block_bytes bytes, in the round buffer) is zeroed by block_init, updated by path, and
 * merged in block order by merge_block (one thread, between rounds). Order-free integer state
 * may instead live in per-thread state indexed by `tid` (0 .. n_threads-1; start is told
 * n_threads before the run) and be merged by the observer after the run.
 * With processes (opts.comm, more than one rank) only an observer whose whole state is its
 * per-block state (shareable, no start hook) may run: each block's state travels to rank 0
 * with the block's moments, and merge_block is called there only, in block order (the other
 * ranks' merge_block is never called; rank 0 holds the observer's whole result).
 */
typedef struct cx_observer {
    void *ctx;
    size_t block_bytes;
    int (*start)(void *ctx, int n_threads);                 /* may be NULL */
    void (*block_init)(void *ctx, void *bstate, uint64_t b);
    void (*path)(void *ctx, void *bstate, int tid, const double *x, const cx_path_result *res);
    void (*merge_block)(void *ctx, const void *bstate, uint64_t b);
    bool shareable;        /* all state per block: may run under several ranks (see above) */
    /* issue 23, checkpoints (both NULL: a run with this observer takes none): save writes its
     * merged state (the blocks merged so far); load replaces it with bytes save wrote,
     * checking them (CX_ERR_RANGE when they are not such a state); check_block says whether
     * block_bytes bytes are a whole block's state that merge_block may read (a checkpoint's
     * bytes are untrusted). No order-free per-thread state with these. */
    void (*save)(void *ctx, cx_wbuf *w);
    int (*load)(void *ctx, cx_rbuf *r);
    bool (*check_block)(void *ctx, const void *bstate, uint64_t b, int paths);
} cx_observer;

/* What the engine tells progress and stop callbacks between rounds. */
typedef struct cx_engine_progress {
    uint64_t paths_done, paths_total;
    uint64_t blocks_done;
    double elapsed_s;
    /* the run's total so far (moments folded in block order, the threads' integer state
     * merged); only when opts.stop_needs_accum, else NULL */
    const cx_accum *accum;
} cx_engine_progress;

/*
 * Where a run stands between two rounds (issue 12): what a checkpoint holds, and what a
 * resumed run starts from. Blocks before next_block are folded into accum's moments (in
 * block order, as always). accum's integer state (sketches, counts) holds every block done,
 * including the done blocks of an interrupted round: when Ctrl-C stopped the round that
 * starts at next_block, partial_n is its size, done[j] says which of its blocks ran, and
 * paths[j] and mom[j * n_series ...] hold those blocks' paths and moments, not yet folded
 * (a resumed run runs the others, then folds the whole round in block order: the same bits
 * as a run that was never stopped). partial_n is 0 at an ordinary round boundary.
 */
typedef struct cx_engine_state {
    uint64_t next_block;
    uint64_t paths_done, blocks_done;   /* in folded blocks */
    bool stopped;                       /* the stop predicate ended the run at next_block */
    double elapsed_s;                   /* run time before this state, all sessions */
    cx_accum *accum;
    int partial_n, n_series;
    unsigned char *done;                /* partial_n */
    int *paths;                         /* partial_n */
    cx_moments *mom;                    /* partial_n x n_series */
    /* with replicate statistics (opts.n_rep_q), the done blocks' kept metric values:
     * vals_ok[j], and CX_N_METRICS rows of vals_cap values per block; vals_cap 0 without */
    int vals_cap;
    unsigned char *vals_ok;
    double *vals;                       /* partial_n x CX_N_METRICS x vals_cap */
    /* with an observer (issue 23): its merged state after the folded blocks (observer save's
     * bytes), and the done blocks' states of the interrupted round (partial_n x obs_block,
     * the done ones meaningful); obs_block 0 without an observer */
    unsigned char *obs;
    size_t obs_n, obs_block;
    unsigned char *obs_blocks;
} cx_engine_state;

/*
 * Checkpoint hooks (sim/engine/checkpoint.h writes the file). begin is called once at the start of
 * cx_engine_run: it sets *resume to a state to continue from (its accum made like the run's:
 * the scenario's quarters, thresholds and relative error) or NULL to start afresh. save is
 * called between rounds once every_s seconds have passed since the run began or since the
 * last save (0: after every round), when an interrupt stops a round (with that round's done
 * blocks, before the partial report folds them), and when the run ends (final = true); st is
 * borrowed for the call. A save that fails ends the run with its error code. With MPI only
 * rank 0 saves. With an observer only when it has save, load and check_block (its state is
 * then part of cx_engine_state), and one process.
 */
typedef struct cx_engine_ckpt {
    void *ctx;
    double every_s;
    int (*begin)(void *ctx, const cx_engine_state **resume);
    int (*save)(void *ctx, const cx_engine_state *st, bool final);
} cx_engine_ckpt;

/*
 * Processes that share a run (MPI, sim/engine/dist_mpi.c), as the engine needs them: the blocks of
 * each round are split into `size` contiguous ranges, rank r runs range r on its threads,
 * and rank 0 receives every block's partials and folds them in block order, and the integer
 * state of every rank (added in any order); it alone reports, saves checkpoints and decides
 * to stop (the others follow its decisions). gather: every rank's bytes, concatenated in
 * rank order, to rank 0 (`all` untouched elsewhere); bcast: n bytes from rank 0 to all.
 * Both are collective (every rank calls them, in the same order) and return 0 or a cx_err.
 */
typedef struct cx_engine_comm {
    int rank, size;
    void *ctx;
    int (*gather)(void *ctx, const cx_wbuf *send, cx_wbuf *all);
    int (*bcast)(void *ctx, void *buf, size_t n);
    /* Ctrl-C across ranks: signal is this rank's own flag (read before each block in place of
     * opts.interrupt); interrupt is the flag the ranks agree on: at the end of a run in which
     * any rank's signal was set, the engine sets it on every rank, so that checks between
     * runs (a sweep's points) agree everywhere. any(flag): whether any rank's flag is set
     * (collective). All three may be NULL (no signals). */
    const atomic_int *signal;
    atomic_int *interrupt;
    bool (*any)(bool flag);
} cx_engine_comm;

#define CX_ENGINE_MAX_FIXED 4
#define CX_MAX_ROUND_BLOCKS 65536

typedef struct cx_engine_opts {
    uint64_t paths;            /* > 0 */
    uint64_t seed;
    int threads;               /* >= 1 */
    const cx_input_source *source;  /* NULL: cx_sampler_draw */
    const cx_observer *observer;    /* NULL: none */
    /* after the inputs are filled, x[fixed_input[k]] = fixed_value[k] (sweeps with common
     * random numbers: every draw stays where it was, so only the fixed inputs change) */
    int n_fixed;
    int fixed_input[CX_ENGINE_MAX_FIXED];
    double fixed_value[CX_ENGINE_MAX_FIXED];
    /* between rounds (main thread): progress report, and a stop predicate (--target-ci) */
    void (*progress)(void *ctx, const cx_engine_progress *p);
    bool (*stop)(void *ctx, const cx_engine_progress *p);
    void *cb_ctx;
    void *progress_ctx;        /* progress's ctx when it is not cb_ctx (NULL: cb_ctx) */
    bool stop_needs_accum;
    /* blocks per round: 0 picks CX_ROUND_BLOCKS, or the schedule above with a stop predicate;
     * > 0 forces rounds of that many (tests: results cannot depend on it, except where a stop
     * predicate stops). At most CX_MAX_ROUND_BLOCKS. */
    int round_blocks;
    /* checked before each block: set (e.g. by a SIGINT handler) to stop at the next block
     * boundary; the blocks already started finish and are reported */
    const atomic_int *interrupt;
    /* replicate intervals (sim/engine/accum.h): with n_rep_q > 0 (Latin hypercube, Sobol or
     * antithetic sampling, where blocks are the independent replicates) each slot keeps its
     * block's metric values, and the run's total folds the block means and the quantiles at
     * rep_q[] of batches of blocks, in block order. 0 <= n_rep_q <= CX_REP_MAX_Q. */
    int n_rep_q;
    double rep_q[CX_REP_MAX_Q];
    /* issue 20 item 3: the outcome breakdown (sim/engine/breakdown.h) in the run's total, for
     * the scenario's uncertain outcome inputs (none without them); integer state, so the same
     * bytes for any thread or rank count, saved with checkpoints */
    bool breakdown;
    /* issue 12: checkpoints (NULL: none) and processes (NULL: this process runs every block) */
    const cx_engine_ckpt *ckpt;
    const cx_engine_comm *comm;
} cx_engine_opts;

/* Defaults: paths/seed from sc (or 1000000 / CX_DEFAULT_SEED), 1 thread, no hooks. */
#define CX_DEFAULT_PATHS 1000000ULL
#define CX_DEFAULT_SEED 20260703ULL
void cx_engine_opts_init(cx_engine_opts *o, const cx_scenario *sc);

typedef struct cx_run {
    cx_accum *accum;           /* merged: integer state and block-ordered moments */
    uint64_t paths_done;       /* paths in completed blocks */
    uint64_t blocks_done;
    bool complete;             /* all requested paths ran */
    bool interrupted;          /* stopped by opts.interrupt */
    bool stopped;              /* stopped by opts.stop */
    double elapsed_s;
    int threads;
    int ranks;                 /* processes (1 without MPI); only rank 0's accum is whole */
} cx_run;

/*
 * Runs the model of m (built from sc) as opts says. On success *out holds the merged result
 * (complete or not). Threads each own a gsl_rng, a cx_scratch, an input vector and
 * accumulators, allocated before the parallel region.
 * @return 0, CX_ERR_NOMEM, CX_ERR_RANGE (bad opts: no paths, threads < 1, bad fixed inputs,
 * an observer without its hooks, round_blocks outside [0, CX_MAX_ROUND_BLOCKS]).
 * @note the caller frees *out with cx_run_free.
 */
int cx_engine_run(cx_run **out, const cx_scenario *sc, const cx_model *m,
                  const cx_engine_opts *opts);
void cx_run_free(cx_run *r);

#endif
