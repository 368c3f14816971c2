/* SPDX-License-Identifier: MIT */
/* Internals shared by the study files (sim/study/ only): not part of the library's API. */
#ifndef CX_SIM_STUDY_STUDY_INTERNAL_H
#define CX_SIM_STUDY_STUDY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>
#include <jansson.h>

#include "models/model.h"
#include "sim/engine/engine.h"
#include "sim/engine/sketch.h"
#include "sim/input/scenario.h"
#include "sim/rng/pcg.h"
#include "sim/study/study.h"
#include "sim/study/sobol.h"

#define CACHE_LINE 64

/* Per-thread state of the tornado and Sobol drivers (one per thread, cache-line aligned). */
typedef struct cx_study_worker {
    cx_scratch *scr;
    gsl_rng *r;
    double *ublock;    /* block_paths x dim uniforms */
    double *ufull;     /* n_inputs: one path's uniforms, fixed inputs at 1/2 */
    double *uab;       /* n_inputs: AB_i */
    double *ub;        /* n_inputs: B */
    double *x;         /* n_inputs */
    double *xb;        /* CX_MODEL_LANES rows of n_inputs: a batch of paths */
    double *um;        /* (n_inputs + 3) rows of n_inputs: one Sobol path's points */
    const cx_pcg64 **noise;    /* as um's rows: the keys of their price paths */
    const cx_pcg64 **noise_ev; /* as um's rows: the keys of their deal events */
    cx_path_result *resb; /* CX_MODEL_LANES */
    cx_path_streams streams[CX_MODEL_LANES];
    double *work;      /* sampler scratch */
    double *fab;       /* d */
    cx_path_result res;
    /* tornado */
    double *tf;        /* block_paths: the block's metric values, kept until it is whole */
    unsigned char *tlh; /* block_paths x d: bit 0 low decile, bit 1 high decile */
    uint64_t *n;       /* 2d: low, high per input */
    __int128 *sum;     /* 2d + 1 (the last: all paths) */
    cx_sketch **sk;    /* 2d + 1 */
    bool overflow;
    int status;
} cx_study_worker;

/* The checks every study makes of its options before it allocates: a known metric and at
 * least one path (`unit` names them in the message). @return 0, or CX_ERR_RANGE with
 * "study: ..." in err. */
int cx_study_check_opts(const cx_study_opts *opts, const char *study, const char *unit,
                        char *err, size_t err_len);
/* A metric sc reports: the present values need report.discount_rate (MODEL.md, Present
 * value). @return 0, or CX_ERR_RANGE with "study: ..." in err. */
int cx_study_check_metric(const cx_scenario *sc, int metric, const char *study, char *err,
                          size_t err_len);
double cx_study_now_s(void);
/* The threads to use (0: all cores) and the calling thread's number in a parallel region. */
int cx_study_thread_count(int requested);
int cx_study_thread_id(void);
/* Indices of the uncertain inputs, in input order (idx: n_inputs); returns how many. */
int cx_study_uncertain_inputs(const cx_scenario *sc, int *idx);
/* A worker for block_paths paths of dim uniforms and d indices (tornado state when
 * `tornado`). @return 0 or CX_ERR_NOMEM. @note free with cx_study_worker_free(w, d). */
int cx_study_worker_new(cx_study_worker **out, const cx_scenario *sc, const cx_model *m,
                        int block_paths, int dim, int d, bool tornado);
void cx_study_worker_free(cx_study_worker *w, int d);
/* The blocks [lo, hi) of n that this rank runs (contiguous shares, sizes within one). */
void cx_study_rank_share(const cx_engine_comm *cm, int64_t n, int64_t *lo, int64_t *hi);
/* Whether any rank was stopped (collective); alone, its own flag. */
bool cx_study_any_stopped(const cx_engine_comm *cm, bool stopped);
/* A JSON number, null for NaN and infinities (jansson refuses them). */
json_t *cx_study_json_num(double v);
/* The keys every study's JSON opens with. */
json_t *cx_study_json_header(const char *study, const cx_scenario *sc, int metric,
                             uint64_t seed, int threads, int block_paths, cx_sampling sampling,
                             double elapsed, bool complete);
/* A temporary file next to path (*tmp: its name, freed by cx_study_close_tmp); then closes it
 * and renames it to path, or removes it when anything failed. @return 0 or CX_ERR_IO. */
FILE *cx_study_open_tmp(const char *path, char **tmp);
int cx_study_close_tmp(FILE *f, char *tmp, const char *path, bool ok);

/* A Sobol accumulator's record of one slot, as bytes to send between ranks or to empty: the
 * driver's only view inside cx_sobol_acc (sobol_acc.c). */
double *cx_sobol_acc_slot(cx_sobol_acc *a, int slot);
size_t cx_sobol_acc_slot_bytes(const cx_sobol_acc *a);
/* Checkpoints (issue 23): the accumulator's folded state (total, batches) as bytes, and back,
 * checked against the blocks folded and the values they hold (2 per base sample): NULL, or
 * the field that disagrees (why: the detail). The slots are not part of it. */
void cx_sobol_acc_put(const cx_sobol_acc *a, cx_wbuf *w);
const char *cx_sobol_acc_get(cx_sobol_acc *a, cx_rbuf *r, uint64_t blocks, double values,
                             char *why, size_t why_len);

#endif
