/* SPDX-License-Identifier: MIT */
/* Checkpoint files: a run's state between rounds, written atomically, checked when read. */
#ifndef CX_SIM_CHECKPOINT_H
#define CX_SIM_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/input/scenario.h"

/*
 * A checkpoint holds what identifies a run (cx_ckpt_id) and the engine states
 * (cx_engine_state) of its engine runs: one for `run`, one per point for `sweep`. Runs that
 * ended are kept whole (their accumulators); the run in progress is kept as it stood at its
 * last save. Resuming replays the ended runs from their states (no path is run again) and
 * continues the one in progress from its state: since a state is a fold over blocks in block
 * order plus order-free integer state, the result is the same, bit for bit, as a run that
 * was never stopped, at any thread or process count.
 *
 * The file: magic, format, byte order, capexsim version, identity, states, and a SHA-256 of
 * all that. It is written to a temporary file in the same folder, fsync'ed and renamed over
 * the old one (then the folder is fsync'ed), so a kill at any moment leaves the previous
 * checkpoint or the new one, whole. A file that is not a checkpoint, is damaged or cut short
 * (checksum), comes from another capexsim version or byte order, or belongs to another run
 * is refused with a one-line message.
 */

typedef struct cx_ckpt_id {
    char *command;         /* "run", "sweep" or a study: "tornado", "stress" (issue 23) */
    char *scenario;        /* the scenario file as given; NULL: the built-in scenario */
    uint8_t digest[32];    /* cx_ckpt_digest of the scenario */
    uint64_t seed, paths;
    uint32_t sampling;     /* cx_sampling */
    bool antithetic;
    char *target;          /* --target-ci text; NULL: none */
    uint32_t round_blocks; /* cx_engine_opts.round_blocks */
    /* not identity: what the run writes, and how often it saves (a resume's defaults) */
    char *json, *csv;
    bool quiet;
    double every_s;
    /* a study's own options that make its identity, as text ("metric=capex_burden"); NULL
     * for run and sweep, set for a study */
    char *study;
} cx_ckpt_id;

/* Frees the strings of id (a zeroed id is fine) and zeroes it. */
void cx_ckpt_id_clear(cx_ckpt_id *id);
/* Deep copy. @return 0 or CX_ERR_NOMEM (dst then cleared). */
int cx_ckpt_id_copy(cx_ckpt_id *dst, const cx_ckpt_id *src);

/*
 * SHA-256 of a scenario: of sc->sha256 (the bytes of the file or of the built-in text) and
 * of every file that it, or a file it includes, names in an @include line (name and bytes,
 * in the order met), so an edit to an included file is seen too.
 * @return 0, or CX_ERR_IO with a message in err (an included file cannot be read).
 */
int cx_ckpt_digest(const cx_scenario *sc, uint8_t out[32], char *err, size_t err_len);

/*
 * Reads the identity of the checkpoint at path (a regular file: anything else is refused
 * without blocking), after checking magic, format, byte order and version, from its first
 * 64 KiB only: the checksum of the whole file is checked by cx_ckpt_open, within a bound
 * that needs the scenario. Every field is checked against the command line's limits.
 * @return 0; CX_ERR_IO (cannot read: errno tells why, ENOENT when there is no such file) or
 * CX_ERR_CONFIG (not a regular file, not a checkpoint, a field out of range, another
 * version), with a one-line message naming path (and the field) in err.
 * @note clear id with cx_ckpt_id_clear.
 */
int cx_ckpt_read_id(const char *path, cx_ckpt_id *id, char *err, size_t err_len);

typedef struct cx_ckpt cx_ckpt;

/*
 * The checkpoint of the run id at path, for a command that makes n_runs engine runs (1 for
 * run, a sweep's points) whose accumulators have the given shape (cx_accum_new's arguments,
 * and bd: the outcome breakdown the runs keep, cx_bd_shape_of the scenario for a run with
 * cx_engine_opts.breakdown; NULL: none) and keep replicate quantiles at the n_rep_q levels
 * rep_q (cx_engine_opts.rep_q: what the run's sampling makes the engine keep; 0 levels for
 * plain Monte Carlo).
 * When path exists it must be a regular file, no larger than such a checkpoint can be, and a
 * checkpoint of that run (same command, scenario digest, seed, paths, sampling, target and
 * round size) whose states agree with the run (counters, accumulators, round schedule, the
 * command that wrote them, at most n_runs of them): the run then resumes from it. Otherwise
 * the first save creates it. While ck lives, this process holds the lock path.lock (with its
 * pid in it; with MPI, rank 0 alone), and another process's cx_ckpt_open is refused.
 * @return 0; CX_ERR_CONFIG (refused: a damaged checkpoint, one of another run, one in use by
 * another process; one line in err naming path and the field or pid), CX_ERR_RANGE (id out
 * of the command line's limits), CX_ERR_IO, CX_ERR_NOMEM.
 * @note free *out with cx_ckpt_free (which lets go of the lock and removes path.lock).
 */
int cx_ckpt_open(cx_ckpt **out, const char *path, const cx_ckpt_id *id, uint64_t n_runs,
                 int n_quarters, const double *thresholds, int n_thresholds, double alpha,
                 const cx_bd_shape *bd, const double *rep_q, int n_rep_q, char *err,
                 size_t err_len);
/* cx_ckpt_open for runs with an observer (issue 23: stress's sections) that saves its state
 * (cx_observer save/load/check_block): obs_block its block state's bytes, obs_max the most
 * bytes of its merged state. The contents are the observer's to check as each run begins. */
int cx_ckpt_open_obs(cx_ckpt **out, const char *path, const cx_ckpt_id *id, uint64_t n_runs,
                     int n_quarters, const double *thresholds, int n_thresholds, double alpha,
                     const cx_bd_shape *bd, const double *rep_q, int n_rep_q, size_t obs_block,
                     size_t obs_max, char *err, size_t err_len);
/* The shape of one engine run's accumulator, as cx_ckpt_open takes it (borrowed). */
typedef struct cx_ckpt_shape {
    int n_quarters;
    const double *thresholds;
    int n_thresholds;
    double alpha;
    cx_bd_shape bd;       /* the outcome breakdown the run keeps (n_out 0: none) */
    const double *rep_q;  /* the replicate levels it keeps (n_rep_q of them) */
    int n_rep_q;
    size_t obs_block, obs_max; /* its observer's, as cx_ckpt_open_obs takes them (0: none) */
} cx_ckpt_shape;
/* The most runs cx_ckpt_open_runs takes (a batch's scenarios). */
#define CX_CKPT_MAX_RUNS 4096
/* cx_ckpt_open for a command whose n_runs engine runs each have a shape of their own (batch,
 * issue 23: each run its scenario's horizon, thresholds, outcomes and sampling): run k's
 * state is read and checked with shapes[k]. */
int cx_ckpt_open_runs(cx_ckpt **out, const char *path, const cx_ckpt_id *id, uint64_t n_runs,
                      const cx_ckpt_shape *shapes, char *err, size_t err_len);
void cx_ckpt_free(cx_ckpt *ck);
/* The engine's hooks for ck (every_s from id.every_s); ck must outlive the runs. */
void cx_ckpt_hooks(cx_ckpt *ck, cx_engine_ckpt *hooks);
/* Engine runs the opened file held (ended or in progress): 0 for a new checkpoint. */
int cx_ckpt_runs_held(const cx_ckpt *ck);
/*
 * Studies with drivers of their own (issue 23: tornado) keep their own state, one blob of
 * bytes that the study writes and checks (its fields against its shape and each other); the
 * file around it is the same: identity (id->study: the study's own options), SHA-256,
 * atomic writes, the lock, the bound on the size, and the checks of the identity.
 */
/* Whether command is such a study (its checkpoints hold its own state, not engine states). */
bool cx_ckpt_is_study(const char *command);
/*
 * cx_ckpt_open for a study: state_max bounds the study's state (the file is refused unread
 * beyond it), and a file that holds anything but one state of id->command's is refused.
 * @return as cx_ckpt_open's. @note free *out with cx_ckpt_free.
 */
int cx_ckpt_open_study(cx_ckpt **out, const char *path, const cx_ckpt_id *id,
                       size_t state_max, char *err, size_t err_len);
/* The study's state the opened file held (NULL, *n 0: a new checkpoint); untrusted bytes. */
const unsigned char *cx_ckpt_study_state(const cx_ckpt *ck, size_t *n);
/* Replaces the study's state with the n bytes at p and writes the file (atomically).
 * @return 0, or an error with cx_ckpt_error saying why. */
int cx_ckpt_study_save(cx_ckpt *ck, const void *p, size_t n);
/* The file's path, as given. */
const char *cx_ckpt_path(const cx_ckpt *ck);
/* Why the last save failed ("" if none). */
const char *cx_ckpt_error(const cx_ckpt *ck);

#endif
