/* SPDX-License-Identifier: MIT */
/* What the studies share: option checks, threads, per-thread workers, ranks, JSON and files. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#if CX_HAVE_OPENMP
#include <omp.h>
#endif

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/engine/engine.h"
#include "sim/rng/pcg.h"
#include "sim/result/report.h"
#include "sim/input/sampler.h"
#include "sim/engine/sampling.h"
#include "sim/result/output.h"
#include "sim/study/sens.h"
#include "sim/study/study_internal.h"
#include "sim/engine/sketch.h"

/*
 * Both drivers follow the engine's shape: paths (or Saltelli rows) are cut into fixed-size
 * blocks; block b draws everything from the stream cx_pcg64_stream(seed, b); threads take
 * blocks dynamically and own all they write (scratch, stream, accumulators). Results cannot
 * depend on which thread ran a block: Sobol keeps one record per block of a round and folds
 * them in block order after the round; the tornado adds integers only (counts, fixed-point sums, sketch counts).
 */


/* The checks every study makes of its options before it allocates: a known metric and at
 * least one path (`unit` names them in the message). @return 0, or CX_ERR_RANGE with
 * "study: ..." in err. */
int cx_study_check_opts(const cx_study_opts *opts, const char *study, const char *unit, char *err,
                      size_t err_len)
{
    if (opts->metric < 0 || opts->metric >= CX_N_METRICS) {
        cx_set_err(err, err_len, "%s: unknown metric", study);
        return CX_ERR_RANGE;
    }
    if (opts->paths == 0) {
        cx_set_err(err, err_len, "%s: the number of %s must be > 0", study, unit);
        return CX_ERR_RANGE;
    }
    return 0;
}

int cx_study_check_metric(const cx_scenario *sc, int metric, const char *study, char *err,
                          size_t err_len)
{
    if (metric >= cx_metric_count(sc)) {
        cx_set_err(err, err_len, "%s: metric %s needs report.discount_rate in the scenario",
                   study, cx_metric_names[metric]);
        return CX_ERR_RANGE;
    }
    return 0;
}

double cx_study_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cx_study_thread_count(int requested)
{
#if CX_HAVE_OPENMP
    return requested > 0 ? requested : omp_get_max_threads();
#else
    (void)requested;
    return 1;
#endif
}

int cx_study_thread_id(void)
{
#if CX_HAVE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Indices of the uncertain inputs, in input order; returns how many. */
int cx_study_uncertain_inputs(const cx_scenario *sc, int *idx)
{
    int d = 0;
    for (int i = 0; i < sc->n_inputs; i++)
        if (sc->inputs[i].uncertain)
            idx[d++] = i;
    return d;
}

/* ------------------------------------------------------------------------------------- */
/* Per-thread state shared by both drivers                                                */
/* ------------------------------------------------------------------------------------- */

void cx_study_worker_free(cx_study_worker *w, int d)
{
    if (!w)
        return;
    cx_scratch_free(w->scr);
    if (w->r)
        gsl_rng_free(w->r);
    free(w->ublock);
    free(w->ufull);
    free(w->uab);
    free(w->ub);
    free(w->x);
    free(w->xb);
    free(w->um);
    free(w->noise);
    free(w->noise_ev);
    free(w->resb);
    free(w->work);
    free(w->fab);
    free(w->tf);
    free(w->tlh);
    free(w->n);
    free(w->sum);
    if (w->sk)
        for (int i = 0; i < 2 * d + 1; i++)
            cx_sketch_free(w->sk[i]);
    free(w->sk);
    free(w);
}

int cx_study_worker_new(cx_study_worker **out, const cx_scenario *sc, const cx_model *m, int block_paths,
                      int dim, int d, bool tornado)
{
    cx_study_worker *w = aligned_alloc(CACHE_LINE, (sizeof(cx_study_worker) + CACHE_LINE - 1) / CACHE_LINE *
                                              CACHE_LINE);
    *out = NULL;
    if (!w)
        return CX_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    size_t ni = (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1);
    int ws = cx_sampler_work_size(sc->sampler);
    int rc = cx_scratch_new(&w->scr, m);
    w->r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    w->ublock = malloc((size_t)block_paths * (size_t)(dim > 0 ? dim : 1) * sizeof(double));
    w->ufull = malloc(ni * sizeof(double));
    w->uab = malloc(ni * sizeof(double));
    w->ub = malloc(ni * sizeof(double));
    w->x = malloc(ni * sizeof(double));
    w->xb = malloc(CX_MODEL_LANES * ni * sizeof(double));
    w->um = malloc((ni + 3 + (size_t)(d > 0 ? d : 0)) * ni * sizeof(double));
    w->noise = malloc((ni + 3 + (size_t)(d > 0 ? d : 0)) * sizeof *w->noise);
    w->noise_ev = malloc((ni + 3 + (size_t)(d > 0 ? d : 0)) * sizeof *w->noise_ev);
    w->resb = malloc(CX_MODEL_LANES * sizeof *w->resb);
    w->work = malloc((size_t)(ws > 0 ? ws : 1) * sizeof(double));
    w->fab = malloc((size_t)(d > 0 ? d : 1) * sizeof(double));
    if (rc == 0 && tornado) {
        w->n = calloc((size_t)2 * (size_t)d, sizeof *w->n);
        w->sum = calloc((size_t)2 * (size_t)d + 1, sizeof *w->sum);
        w->sk = calloc((size_t)2 * (size_t)d + 1, sizeof *w->sk);
        w->tf = malloc((size_t)block_paths * sizeof *w->tf);
        w->tlh = malloc((size_t)block_paths * (size_t)d);
        if (!w->n || !w->sum || !w->sk || !w->tf || !w->tlh)
            rc = CX_ERR_NOMEM;
        for (int i = 0; rc == 0 && i < 2 * d + 1; i++)
            rc = cx_sketch_new(&w->sk[i], sc->relative_error > 0 ? sc->relative_error : 0.001);
    }
    if (rc == 0 && (!w->r || !w->ublock || !w->ufull || !w->uab || !w->ub || !w->x || !w->xb || !w->um || !w->noise || !w->noise_ev ||
                    !w->resb ||
                    !w->work || !w->fab))
        rc = CX_ERR_NOMEM;
    if (rc != 0) {
        cx_study_worker_free(w, d);
        return rc;
    }
    for (size_t i = 0; i < ni; i++)
        w->ufull[i] = w->uab[i] = w->ub[i] = 0.5;
    *out = w;
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Processes (MPI, issue 12): which blocks a rank runs, and what rank 0 receives          */
/* ------------------------------------------------------------------------------------- */

/* The blocks [lo, hi) of n that this rank runs (contiguous shares, sizes within one). */
void cx_study_rank_share(const cx_engine_comm *cm, int64_t n, int64_t *lo, int64_t *hi)
{
    const int64_t r = cm ? cm->rank : 0, k = cm ? cm->size : 1;
    *lo = n * r / k;
    *hi = n * (r + 1) / k;
}

/* Whether any rank was stopped (collective); alone, its own flag. */
bool cx_study_any_stopped(const cx_engine_comm *cm, bool stopped)
{
    return cm && cm->any ? cm->any(stopped) : stopped;
}


/* jansson refuses NaN and infinities: they become null. */
json_t *cx_study_json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *cx_study_json_header(const char *study, const cx_scenario *sc, int metric, uint64_t seed,
                      int threads, int block_paths, cx_sampling sampling, double elapsed,
                      bool complete)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:i, s:s, s:s, s:o, s:b}", "study", study,
                     "scenario", sc->name ? sc->name : "", "scenario_sha256", sc->sha256,
                     "metric", cx_metric_names[metric], "seed", cx_output_u64(seed), "threads",
                     threads, "block_paths", block_paths, "sampling",
                     cx_sampling_names[sampling], "version", CX_VERSION, "elapsed_s",
                     cx_study_json_num(elapsed), "complete", complete);
}

/* Opens a temporary file next to path; *tmp receives its name (caller frees). */
FILE *cx_study_open_tmp(const char *path, char **tmp)
{
    *tmp = cx_file_tmp_template(path); /* short name in path's folder (issue 11) */
    if (!*tmp)
        return NULL;
    int fd = cx_file_mkstemp(*tmp); /* registered: a signal removes it (issue 25) */
    if (fd < 0) {
        free(*tmp);
        *tmp = NULL;
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(*tmp);
        cx_file_tmp_forget(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    return f;
}

/* Closes f and renames tmp to path, or removes tmp when anything failed. */
int cx_study_close_tmp(FILE *f, char *tmp, const char *path, bool ok)
{
    ok = !ferror(f) && ok;
    ok = (fclose(f) == 0) && ok;
    ok = ok && cx_file_replaceable(path); /* never onto a link, FIFO or device */
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok)
        unlink(tmp);
    cx_file_tmp_forget(tmp);
    free(tmp);
    return ok ? 0 : CX_ERR_IO;
}

int cx_sens_write_json(const json_t *j, const char *path)
{
    char *tmp;
    FILE *f = cx_study_open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    bool ok = json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) == 0;
    ok = fputc('\n', f) != EOF && ok;
    return cx_study_close_tmp(f, tmp, path, ok);
}
