/* SPDX-License-Identifier: MIT */
/* Sobol indices of a scenario's inputs: Saltelli samples on the model, JSON and CSV. */
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

/* Sobol: rank 0 receives the records of the round's blocks [lo, hi) of every other rank
 * (empty records too: the fold skips them), into the same slots. */
static int sobol_gather_round(const cx_engine_comm *cm, cx_sobol_acc *a, int rn)
{
    int64_t lo, hi;
    cx_study_rank_share(cm, rn, &lo, &hi);
    cx_wbuf w = {0}, all = {0};
    if (cm->rank != 0)
        for (int64_t j = lo; j < hi; j++)
            cx_wbuf_put(&w, cx_sobol_acc_slot(a, (int)j), cx_sobol_acc_slot_bytes(a));
    int rc = w.err ? w.err : cm->gather(cm->ctx, &w, &all);
    if (rc == 0 && cm->rank == 0) {
        /* rank 0 sent nothing; rank k's blocks follow in rank order */
        int64_t from, to;
        cx_study_rank_share(cm, rn, &from, &to);
        size_t off = 0, one = cx_sobol_acc_slot_bytes(a);
        for (int64_t j = to; j < rn && rc == 0; j++, off += one) {
            if (off + one > all.n) rc = CX_ERR_INTERNAL;
            else memcpy(cx_sobol_acc_slot(a, (int)j), all.p + off, one);
        }
        if (off != all.n) rc = CX_ERR_INTERNAL;
    }
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&all);
    return rc;
}

/* ------------------------------------------------------------------------------------- */
/* Sobol driver                                                                           */
/* ------------------------------------------------------------------------------------- */

/* f at n_eval points u[e] (rows of w->um) with the noise streams noise[e], in batches of
 * lanes: the same values as one cx_model_path call per point with a copy of its noise. */
static void eval_many(const cx_scenario *sc, const cx_model *m, cx_study_worker *w, int n_eval,
                      const cx_pcg64 *const *noise, int metric, double *f)
{
    const size_t ni = (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1);
    for (int e0 = 0; e0 < n_eval; e0 += CX_MODEL_LANES) {
        const int nb = n_eval - e0 < CX_MODEL_LANES ? n_eval - e0 : CX_MODEL_LANES;
        for (int i = 0; i < nb; i++) {
            cx_sampler_map(sc->sampler, w->um + (size_t)(e0 + i) * ni, w->xb + (size_t)i * ni,
                           w->work);
            cx_pcg64 nz = *noise[e0 + i];
            cx_model_stream_of_key(&w->streams[i], cx_pcg64_next(&nz));
        }
        cx_model_batch(m, w->xb, ni, nb, w->streams, w->scr, w->resb, NULL);
        for (int i = 0; i < nb; i++)
            f[e0 + i] = w->resb[i].metric[metric];
    }
}

void cx_sobol_report_free(cx_sobol_report *r)
{
    if (!r)
        return;
    free(r->input);
    free(r->idx);
    free(r);
}

/*
 * Block b (slot j of its round): its base samples, each d + 3 model paths, into slot j of
 * acc. @return false when Ctrl-C cut it short (its record is then emptied: it folds as a
 * block that did not run).
 */
static bool sobol_block(const cx_scenario *sc, const cx_model *m, const cx_study_opts *opts,
                        const cx_sampling_plan *plan, cx_sobol_acc *acc, cx_study_worker *w,
                        const int *in, int d, int bp, int b, int j)
{
    const int metric = opts->metric;
    uint64_t first = (uint64_t)b * (uint64_t)bp;
    int n = (int)(opts->paths - first < (uint64_t)bp ? opts->paths - first : (uint64_t)bp);
    cx_pcg64 g;
    cx_pcg64_stream(&g, opts->seed, (uint64_t)b);
    cx_sampling_fill_block(plan, &g, n, w->ublock);
    for (int k = 0; k < n; k++) {
        /* Ctrl-C within the block (a base sample is d + 3 evaluations): the block's
         * record is emptied, so it folds as a block that did not run */
        if (opts->interrupt &&
            atomic_load_explicit(opts->interrupt, memory_order_relaxed)) {
            memset(cx_sobol_acc_slot(acc, j), 0, cx_sobol_acc_slot_bytes(acc));
            return false;
        }
        const double *row = w->ublock + (size_t)k * 2 * (size_t)d;
        /* The per-month noise is one more input, drawn like the others: A's stream
         * for f(A) and every f(AB_i), B's own stream for f(B), and the extra
         * evaluation f(x_A, noise_B) gives the noise's own indices (index d). */
        cx_pcg64 noise_a, noise_b;
        uint64_t key = cx_pcg64_next(&g);
        cx_pcg64_stream(&noise_a, key, 0);
        cx_pcg64_stream(&noise_b, key, 1);
        for (int i = 0; i < d; i++) {
            w->ufull[in[i]] = row[i];
            w->ub[in[i]] = row[d + i];
        }
        /* the d + 3 points of this path, evaluated side by side: AB_0 .. AB_{d-1}
         * and (A, noise B) in fab[0 .. d], then A and B */
        const size_t ni = (size_t)sc->n_inputs;
        const cx_pcg64 **noise = w->noise;
        for (int i = 0; i < d; i++) {
            double *u = w->um + (size_t)i * ni;
            memcpy(u, w->ufull, ni * sizeof(double));
            u[in[i]] = row[d + i];
            noise[i] = &noise_a;
        }
        memcpy(w->um + (size_t)d * ni, w->ufull, ni * sizeof(double));
        noise[d] = &noise_b;
        memcpy(w->um + (size_t)(d + 1) * ni, w->ufull, ni * sizeof(double));
        noise[d + 1] = &noise_a;
        memcpy(w->um + (size_t)(d + 2) * ni, w->ub, ni * sizeof(double));
        noise[d + 2] = &noise_b;
        eval_many(sc, m, w, d + 3, noise, metric, w->fab);
        cx_sobol_acc_add(acc, j, w->fab[d + 1], w->fab[d + 2], w->fab);
    }
    return true;
}

int cx_sobol_run(cx_sobol_report **out, const cx_scenario *sc, const cx_model *m,
                 const cx_study_opts *opts, char *err, size_t err_len)
{
    *out = NULL;
    double t0 = cx_study_now_s();
    int bp = opts->block_paths > 0 ? opts->block_paths : CX_SENS_BLOCK_PATHS;
    int rc = cx_study_check_opts(opts, "sobol", "base samples", err, err_len);
    if (rc != 0)
        return rc;
    cx_sobol_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return CX_ERR_NOMEM;
    rep->input = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof(int));
    if (!rep->input) {
        cx_sobol_report_free(rep);
        return CX_ERR_NOMEM;
    }
    int d = cx_study_uncertain_inputs(sc, rep->input);
    if (d == 0) {
        cx_set_err(err, err_len, "sobol: the scenario has no uncertain scalar input");
        cx_sobol_report_free(rep);
        return CX_ERR_RANGE;
    }
    rep->d = d;
    rep->metric = opts->metric;
    rep->seed = opts->seed;
    rep->block_paths = bp;
    rep->sampling = opts->sampling;
    rep->requested = opts->paths;
    rep->idx = calloc((size_t)d + 1, sizeof *rep->idx);
    uint64_t nblocks64 = (opts->paths + (uint64_t)bp - 1) / (uint64_t)bp;
    if (!rep->idx || nblocks64 > (uint64_t)INT32_MAX) {
        rc = rep->idx ? CX_ERR_RANGE : CX_ERR_NOMEM;
        cx_sobol_report_free(rep);
        return rc;
    }
    int nblocks = (int)nblocks64;
    int nt = cx_study_thread_count(opts->threads);
    rep->threads = nt;

    cx_sampling_plan *plan = NULL;
    cx_sobol_acc *acc = NULL;
    cx_study_worker **ws = calloc((size_t)nt, sizeof *ws);
    rc = ws ? 0 : CX_ERR_NOMEM;
    /* A and B are the two halves of one 2d-dimensional point set. */
    if (rc == 0)
        rc = cx_sampling_plan_new(&plan, opts->sampling, false, 2 * d, bp);
    const int round = nblocks < CX_SOBOL_ROUND_BLOCKS ? nblocks : CX_SOBOL_ROUND_BLOCKS;
    if (rc == 0)
        rc = cx_sobol_acc_new(&acc, d + 1, round);
    for (int t = 0; rc == 0 && t < nt; t++)
        rc = cx_study_worker_new(&ws[t], sc, m, bp, 2 * d, d + 3, false);
    if (rc != 0)
        goto done;

    /* set (relaxed) by whichever thread first sees the interrupt: later blocks are skipped */
    atomic_int stopped = 0;
    /* Rounds of `round` blocks, like the engine's: block b0 + j fills slot j; after the
     * round the slots are folded in block order (one thread), so memory does not grow with
     * the number of blocks and the bits do not depend on the threads or on the round size. */
    const cx_engine_comm *cm = opts->comm && opts->comm->size > 1 ? opts->comm : NULL;
    for (int b0 = 0; b0 < nblocks && !atomic_load(&stopped); b0 += round) {
        const int rn = nblocks - b0 < round ? nblocks - b0 : round;
        int64_t jlo, jhi; /* this rank's blocks of the round (all of them alone) */
        cx_study_rank_share(cm, rn, &jlo, &jhi);
#if CX_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
        for (int j = (int)jlo; j < (int)jhi; j++) {
            if (atomic_load_explicit(&stopped, memory_order_relaxed) ||
                (opts->interrupt &&
                 atomic_load_explicit(opts->interrupt, memory_order_relaxed))) {
                atomic_store_explicit(&stopped, 1, memory_order_relaxed);
                continue;
            }
            if (!sobol_block(sc, m, opts, plan, acc, ws[cx_study_thread_id()], rep->input, d,
                             bp, b0 + j, j))
                atomic_store_explicit(&stopped, 1, memory_order_relaxed);
        }
        if (cm) {
            /* rank 0 folds every rank's records in block order; all stop together */
            if ((rc = sobol_gather_round(cm, acc, rn)) != 0)
                goto done;
            atomic_store(&stopped, cx_study_any_stopped(cm, atomic_load(&stopped)));
        }
        cx_sobol_acc_fold(acc, rn);
    }
    rep->complete = !atomic_load(&stopped);
    cx_sobol_acc_result(acc, rep->idx, &rep->sum);
    if (cm) {
        /* rank 0's result (the others folded only their own blocks) to every rank */
        if ((rc = cm->bcast(cm->ctx, rep->idx, (size_t)(d + 1) * sizeof *rep->idx)) != 0 ||
            (rc = cm->bcast(cm->ctx, &rep->sum, sizeof rep->sum)) != 0)
            goto done;
    }
    rep->evaluations = rep->sum.n * (uint64_t)(d + 3);

done:
    if (ws)
        for (int t = 0; t < nt; t++)
            cx_study_worker_free(ws[t], d + 3);
    free(ws);
    cx_sobol_acc_free(acc);
    cx_sampling_plan_free(plan);
    if (rc != 0) {
        cx_set_err(err, err_len, "sobol: %s", cx_strerror(rc));
        cx_sobol_report_free(rep);
        return rc;
    }
    rep->elapsed_s = cx_study_now_s() - t0;
    *out = rep;
    return 0;
}

json_t *cx_sobol_report_json(const cx_sobol_report *r, const cx_scenario *sc)
{
    json_t *j = cx_study_json_header("sobol", sc, r->metric, r->seed, r->threads, r->block_paths, r->sampling,
                       r->elapsed_s, r->complete);
    json_t *arr = json_array();
    if (!j || !arr) {
        json_decref(j);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(j, "base_samples", json_integer((json_int_t)r->sum.n));
    json_object_set_new(j, "base_samples_requested", json_integer((json_int_t)r->requested));
    json_object_set_new(j, "evaluations", json_integer((json_int_t)r->evaluations));
    json_object_set_new(j, "mean", cx_study_json_num(r->sum.mean));
    json_object_set_new(j, "variance", cx_study_json_num(r->sum.variance));
    json_object_set_new(j, "ci_batches", json_integer(r->sum.batches));
    json_object_set_new(
        j, "note",
        json_string("Jansen estimators on Saltelli samples; 95% CIs from batch means over "
                    "independent blocks. Swaps act on the independent uniforms before the "
                    "copula: for correlated inputs an index measures the input's own "
                    "Cholesky factor (the part not explained by correlated inputs earlier in "
                    "input order). The per-month randomness of a path (price shocks, "
                    "arrivals, cancellations) is treated as one more input, listed last as "
                    "\"(per-month noise)\"."));
    for (int i = 0; i <= r->d; i++) {
        const cx_sobol_index *x = &r->idx[i];
        json_t *o = json_pack("{s:s, s:o, s:o, s:[o,o], s:o, s:o, s:[o,o]}", "input",
                              i < r->d ? sc->inputs[r->input[i]].name : CX_SOBOL_NOISE_NAME, "s1", cx_study_json_num(x->s1), "s1_se",
                              cx_study_json_num(x->s1_se), "s1_ci95", cx_study_json_num(x->s1_lo), cx_study_json_num(x->s1_hi), "st",
                              cx_study_json_num(x->st), "st_se", cx_study_json_num(x->st_se), "st_ci95", cx_study_json_num(x->st_lo),
                              cx_study_json_num(x->st_hi));
        if (o)
            json_array_append_new(arr, o);
    }
    json_object_set_new(j, "indices", arr);
    return j;
}

int cx_sobol_report_csv(const cx_sobol_report *r, const cx_scenario *sc, const char *path)
{
    char *tmp;
    FILE *f = cx_study_open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    fprintf(f, "input,s1,s1_se,s1_lo,s1_hi,st,st_se,st_lo,st_hi,complete\n");
    for (int i = 0; i <= r->d; i++) {
        const cx_sobol_index *x = &r->idx[i];
        fprintf(f, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n",
                i < r->d ? sc->inputs[r->input[i]].name : CX_SOBOL_NOISE_NAME, x->s1,
                x->s1_se, x->s1_lo, x->s1_hi, x->st, x->st_se, x->st_lo, x->st_hi,
                r->complete ? "true" : "false");
    }
    return cx_study_close_tmp(f, tmp, path, true);
}
