/* SPDX-License-Identifier: MIT */
/* Tornado: the metric in the lowest and highest decile of each input, JSON and CSV. */
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
#include "sim/base/csv.h"
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

/* ------------------------------------------------------------------------------------- */
/* Tornado                                                                                */
/* ------------------------------------------------------------------------------------- */

/* Fixed-point sums at 2^-32: integer additions, so the total cannot depend on the order of
 * the paths; |x| up to 2^62 and any count below 2^32 paths per 2^30 of magnitude fit. */
#define FX_SCALE 0x1p32

static void fx_add(cx_study_worker *w, int slot, double v)
{
    if (!(fabs(v) < 0x1p62)) {
        w->overflow = true;
        return;
    }
    w->sum[slot] += (__int128)nearbyint(v * FX_SCALE);
}

static double fx_mean(__int128 s, uint64_t n)
{
    if (n == 0)
        return NAN;
    /* Split so that no precision is lost converting a large __int128 to double. */
    __int128 q = s / (__int128)n, r = s % (__int128)n;
    return ((double)q + (double)r / (double)n) / FX_SCALE;
}

void cx_tornado_thresholds(const cx_dist *dist, double *x_low, double *x_high)
{
    *x_low = cx_dist_quantile(dist, 0.1);
    *x_high = cx_dist_quantile(dist, nextafter(0.9, 1.0));
}

void cx_tornado_report_free(cx_tornado_report *r)
{
    if (!r)
        return;
    free(r->rows);
    free(r);
}

/* Median of a metric's sketch: an exact integer for integer-valued metrics. */
static double p50(const cx_sketch *sk, int metric)
{
    return cx_report_metric_at_rank(sk, metric, cx_sketch_rank(cx_sketch_count(sk), 0.5));
}

static int row_cmp(const void *pa, const void *pb)
{
    const cx_tornado_row *a = pa, *b = pb;
    bool na = isnan(a->swing), nb = isnan(b->swing);
    if (na != nb)
        return na ? 1 : -1;
    if (!na && a->swing != b->swing)
        return a->swing > b->swing ? -1 : 1;
    return (a->input > b->input) - (a->input < b->input);
}

/* A worker's tornado state as bytes: overflow, counts, fixed-point sums, sketches. */
static void tornado_put(cx_wbuf *w, const cx_study_worker *x, int d)
{
    cx_wbuf_u8(w, x->overflow);
    cx_wbuf_put(w, x->n, (size_t)2 * (size_t)d * sizeof *x->n);
    cx_wbuf_put(w, x->sum, ((size_t)2 * (size_t)d + 1) * sizeof *x->sum);
    for (int i = 0; i < 2 * d + 1; i++)
        cx_sketch_serialise(x->sk[i], w);
}

/* tornado_put's bytes added to x (as += for counts and sums; tmp: a worker for the bytes). */
static int tornado_add(cx_rbuf *r, cx_study_worker *x, cx_study_worker *tmp, int d)
{
    tmp->overflow = cx_rbuf_u8(r) != 0;
    cx_rbuf_get(r, tmp->n, (size_t)2 * (size_t)d * sizeof *tmp->n);
    cx_rbuf_get(r, tmp->sum, ((size_t)2 * (size_t)d + 1) * sizeof *tmp->sum);
    int rc = 0;
    for (int i = 0; i < 2 * d + 1 && rc == 0; i++)
        if ((rc = cx_sketch_deserialise(tmp->sk[i], r)) == 0)
            rc = cx_sketch_merge(x->sk[i], tmp->sk[i]);
    if (r->err || rc != 0)
        return CX_ERR_INTERNAL;
    x->overflow |= tmp->overflow;
    for (int i = 0; i < 2 * d + 1; i++) {
        if (i < 2 * d)
            x->n[i] += tmp->n[i];
        x->sum[i] += tmp->sum[i];
    }
    return 0;
}

/* Every rank's merged worker into rank 0's, then rank 0's total to every rank. */
static int tornado_share(const cx_engine_comm *cm, cx_study_worker *w0, int d, const cx_scenario *sc,
                         const cx_model *m)
{
    cx_wbuf w = {0}, all = {0};
    cx_study_worker *tmp = NULL;
    int rc = 0;
    if (cm->rank != 0)
        tornado_put(&w, w0, d);
    else if ((rc = cx_study_worker_new(&tmp, sc, m, 1, 1, d, true)) != 0)
        return rc; /* MPI ends the job when a rank leaves its collectives */
    if (rc == 0)
        rc = w.err ? w.err : cm->gather(cm->ctx, &w, &all);
    if (rc == 0 && cm->rank == 0) {
        cx_rbuf r;
        cx_rbuf_init(&r, all.p, all.n);
        while (rc == 0 && cx_rbuf_left(&r) > 0)
            rc = tornado_add(&r, w0, tmp, d);
        cx_wbuf_clear(&w);
        tornado_put(&w, w0, d);
    }
    uint64_t n = w.err ? 0 : w.n;
    if (rc == 0)
        rc = cm->bcast(cm->ctx, &n, sizeof n);
    if (rc == 0 && cm->rank != 0) {
        cx_wbuf_clear(&w);
        unsigned char *p = malloc(n ? n : 1);
        if (!p)
            rc = CX_ERR_NOMEM;
        w.p = p;
        w.n = w.cap = n;
    }
    if (rc == 0)
        rc = cm->bcast(cm->ctx, w.p, n);
    if (rc == 0 && cm->rank != 0) {
        /* replace this rank's state with rank 0's total */
        memset(w0->n, 0, (size_t)2 * (size_t)d * sizeof *w0->n);
        memset(w0->sum, 0, ((size_t)2 * (size_t)d + 1) * sizeof *w0->sum);
        w0->overflow = false;
        for (int i = 0; i < 2 * d + 1; i++)
            cx_sketch_reset(w0->sk[i]);
        if ((rc = cx_study_worker_new(&tmp, sc, m, 1, 1, d, true)) == 0) {
            cx_rbuf r;
            cx_rbuf_init(&r, w.p, w.n);
            rc = tornado_add(&r, w0, tmp, d);
            if (rc == 0 && cx_rbuf_left(&r))
                rc = CX_ERR_INTERNAL;
        }
    }
    cx_study_worker_free(tmp, d);
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&all);
    return rc;
}

/* What every block of a tornado needs (read-only while the blocks run). */
typedef struct tornado_job {
    const cx_scenario *sc;
    const cx_model *m;
    const cx_study_opts *opts;
    const cx_sampling_plan *plan;
    const int *in;       /* the d uncertain inputs */
    const double *thr;   /* 2d: each input's low and high decile thresholds */
    const int *outp;     /* d: an outcome's probability input (low: fails, high: succeeds),
                          * else -1 */
    int d, bp, metric;
    bool block_u;        /* the plan fills a block of uniforms (else exact samplers) */
} tornado_job;

/*
 * Runs the paths of one block b (in batches of paths side by side, cx_model_batch) and marks,
 * per path and input, whether the input fell in its low or high decile. Each path draws its
 * inputs, then one output that keys its model stream, as cx_model_path would. @return false
 * when Ctrl-C cut the block short (nothing of it may be counted).
 */
static bool tornado_block_paths(const tornado_job *jb, cx_study_worker *w, int64_t b, int n)
{
    const int d = jb->d;
    cx_pcg64 *g = cx_rng_pcg64(w->r);
    cx_pcg64_stream(g, jb->opts->seed, (uint64_t)b);
    if (jb->block_u)
        cx_sampling_fill_block(jb->plan, g, n, w->ublock);
    const size_t ni = (size_t)(jb->sc->n_inputs > 0 ? jb->sc->n_inputs : 1);
    for (int p0 = 0; p0 < n; p0 += CX_MODEL_LANES) {
        /* Ctrl-C within the block: it is dropped whole (nothing of it was counted) */
        if (jb->opts->interrupt &&
            atomic_load_explicit(jb->opts->interrupt, memory_order_relaxed))
            return false;
        const int nb = n - p0 < CX_MODEL_LANES ? n - p0 : CX_MODEL_LANES;
        for (int i = 0; i < nb; i++) {
            double *x = w->xb + (size_t)i * ni;
            if (jb->block_u) {
                const double *row = w->ublock + (size_t)(p0 + i) * (size_t)d;
                for (int k = 0; k < d; k++)
                    w->ufull[jb->in[k]] = row[k];
                cx_sampler_map(jb->sc->sampler, w->ufull, x, w->work);
            } else {
                cx_sampler_draw(jb->sc->sampler, w->r, x, w->work);
            }
            cx_model_streams_of_key(&w->streams[i], cx_pcg64_next(g));
        }
        cx_model_batch(jb->m, w->xb, ni, nb, w->streams, w->scr, w->resb, NULL);
        for (int i = 0; i < nb; i++) {
            const double *x = w->xb + (size_t)i * ni;
            unsigned char *lh = w->tlh + (size_t)(p0 + i) * (size_t)d;
            w->tf[p0 + i] = w->resb[i].metric[jb->metric];
            for (int k = 0; k < d; k++) {
                double xv = x[jb->in[k]];
                if (jb->outp[k] >= 0) {
                    /* an outcome (u < p): its two groups are its two outcomes */
                    unsigned char ok = xv < x[jb->outp[k]];
                    lh[k] = (unsigned char)(ok ? 2 : 1);
                    continue;
                }
                lh[k] = (unsigned char)((xv <= jb->thr[2 * k]) |
                                        (xv >= jb->thr[2 * k + 1]) << 1);
            }
        }
    }
    return true;
}

/* A whole block's n paths into the thread's sums and sketches (integer state: any order). */
static void tornado_block_count(cx_study_worker *w, int d, int n)
{
    for (int i = 0; i < n; i++) {
        const double f = w->tf[i];
        const unsigned char *lh = w->tlh + (size_t)i * (size_t)d;
        fx_add(w, 2 * d, f);
        cx_sketch_add(w->sk[2 * d], f);
        for (int k = 0; k < d; k++) {
            if (lh[k] & 1) {
                w->n[2 * k]++;
                fx_add(w, 2 * k, f);
                cx_sketch_add(w->sk[2 * k], f);
            }
            if (lh[k] & 2) {
                w->n[2 * k + 1]++;
                fx_add(w, 2 * k + 1, f);
                cx_sketch_add(w->sk[2 * k + 1], f);
            }
        }
    }
}

/* Blocks per round: progress is reported between rounds (integer state: where rounds end
 * changes no result). */
#define TORNADO_ROUND_BLOCKS 256

/* This rank's blocks over nt threads, in rounds. @return whether every block ran (no
 * interrupt). */
static bool tornado_blocks(const tornado_job *jb, cx_study_worker **ws, int nt,
                           uint64_t nblocks)
{
    const cx_study_opts *opts = jb->opts;
    /* set (relaxed) by whichever thread first sees the interrupt: later blocks are skipped */
    atomic_int stopped = 0;
    const cx_engine_comm *cm = opts->comm && opts->comm->size > 1 ? opts->comm : NULL;
    int64_t blo, bhi; /* this rank's blocks (all of them alone) */
    cx_study_rank_share(cm, (int64_t)nblocks, &blo, &bhi);
    (void)nt;
    for (int64_t r0 = blo; r0 < bhi && !atomic_load(&stopped); r0 += TORNADO_ROUND_BLOCKS) {
        const int64_t r1 = bhi - r0 < TORNADO_ROUND_BLOCKS ? bhi : r0 + TORNADO_ROUND_BLOCKS;
#if CX_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
        for (int64_t b = r0; b < r1; b++) {
            if (atomic_load_explicit(&stopped, memory_order_relaxed) ||
                (opts->interrupt && atomic_load_explicit(opts->interrupt, memory_order_relaxed))) {
                atomic_store_explicit(&stopped, 1, memory_order_relaxed);
                continue;
            }
            cx_study_worker *w = ws[cx_study_thread_id()];
            uint64_t first = (uint64_t)b * (uint64_t)jb->bp;
            int n = (int)(opts->paths - first < (uint64_t)jb->bp ? opts->paths - first
                                                                  : (uint64_t)jb->bp);
            if (tornado_block_paths(jb, w, b, n))
                tornado_block_count(w, jb->d, n);
            else
                atomic_store_explicit(&stopped, 1, memory_order_relaxed);
        }
        if (opts->progress && !atomic_load(&stopped)) /* this rank's share, as paths */
            opts->progress(opts->progress_ctx,
                           r1 == bhi ? opts->paths
                                     : (uint64_t)((double)(r1 - blo) / (double)(bhi - blo) *
                                                  (double)opts->paths),
                           opts->paths);
    }
    return !atomic_load(&stopped);
}

/* Every thread's state into thread 0's: integer additions only. @return 0 or an error. */
static int tornado_merge_threads(cx_study_worker **ws, int nt, int d)
{
    cx_study_worker *w0 = ws[0];
    int rc = 0;
    for (int t = 1; t < nt && rc == 0; t++) {
        w0->overflow |= ws[t]->overflow;
        for (int s = 0; s < 2 * d + 1 && rc == 0; s++) {
            if (s < 2 * d)
                w0->n[s] += ws[t]->n[s];
            w0->sum[s] += ws[t]->sum[s];
            rc = cx_sketch_merge(w0->sk[s], ws[t]->sk[s]);
        }
    }
    return rc;
}

/* The report's totals and rows from the merged state w0, rows ranked by swing. */
static void tornado_fill_rows(cx_tornado_report *rep, const cx_study_worker *w0,
                              const tornado_job *jb)
{
    const int d = jb->d, metric = jb->metric;
    const cx_sketch *all = w0->sk[2 * d];
    rep->paths = cx_sketch_count(all) + all->nan;
    rep->mean = w0->overflow ? NAN : fx_mean(w0->sum[2 * d], rep->paths);
    rep->p50 = p50(all, metric);
    for (int k = 0; k < d; k++) {
        cx_tornado_row *row = &rep->rows[k];
        row->input = jb->in[k];
        row->x_low = jb->thr[2 * k];
        row->x_high = jb->thr[2 * k + 1];
        row->n_low = w0->n[2 * k];
        row->n_high = w0->n[2 * k + 1];
        row->mean_low = w0->overflow ? NAN : fx_mean(w0->sum[2 * k], row->n_low);
        row->mean_high = w0->overflow ? NAN : fx_mean(w0->sum[2 * k + 1], row->n_high);
        row->p50_low = p50(w0->sk[2 * k], metric);
        row->p50_high = p50(w0->sk[2 * k + 1], metric);
        row->swing = fabs(row->mean_high - row->mean_low);
    }
    qsort(rep->rows, (size_t)d, sizeof *rep->rows, row_cmp);
}

/* A report with the options' fields and rows for d inputs. @return NULL when out of memory. */
static cx_tornado_report *tornado_report_new(const cx_study_opts *opts, int d, int nt, int bp)
{
    cx_tornado_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return NULL;
    rep->d = d;
    rep->metric = opts->metric;
    rep->seed = opts->seed;
    rep->threads = nt;
    rep->block_paths = bp;
    rep->sampling = opts->sampling;
    rep->antithetic = opts->antithetic;
    rep->requested = opts->paths;
    rep->rows = calloc((size_t)d, sizeof *rep->rows);
    if (!rep->rows) {
        free(rep);
        return NULL;
    }
    return rep;
}

int cx_tornado_run(cx_tornado_report **out, const cx_scenario *sc, const cx_model *m,
                   const cx_study_opts *opts, char *err, size_t err_len)
{
    *out = NULL;
    double t0 = cx_study_now_s();
    int bp = opts->block_paths > 0 ? opts->block_paths : CX_SENS_BLOCK_PATHS;
    int rc = cx_study_check_opts(opts, "tornado", "paths", err, err_len);
    if (rc == 0)
        rc = cx_study_check_metric(sc, opts->metric, "tornado", err, err_len);
    if (rc != 0)
        return rc;
    int *in = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof(int));
    if (!in)
        return CX_ERR_NOMEM;
    int d = cx_study_uncertain_inputs(sc, in);
    if (d == 0) {
        cx_set_err(err, err_len, "tornado: the scenario has no uncertain scalar input");
        free(in);
        return CX_ERR_RANGE;
    }
    uint64_t nblocks64 = (opts->paths + (uint64_t)bp - 1) / (uint64_t)bp;
    int nt = cx_study_thread_count(opts->threads);
    cx_tornado_report *rep = tornado_report_new(opts, d, nt, bp);
    double *thr = malloc((size_t)2 * (size_t)d * sizeof *thr);
    int *outp = malloc((size_t)d * sizeof *outp);
    cx_sampling_plan *plan = NULL;
    cx_study_worker **ws = calloc((size_t)nt, sizeof *ws);
    rc = (rep && thr && outp && ws) ? 0 : CX_ERR_NOMEM;
    if (rc == 0)
        rc = cx_sampling_plan_new(&plan, opts->sampling, opts->antithetic, d, bp);
    for (int t = 0; rc == 0 && t < nt; t++)
        rc = cx_study_worker_new(&ws[t], sc, m, bp, d, d, true);
    if (rc != 0)
        goto done;
    for (int k = 0; k < d; k++) {
        const cx_input *x = &sc->inputs[in[k]];
        outp[k] = x->outcome ? x->outcome_p : -1;
        if (x->outcome) {
            /* the row compares the outcome's two values: 0 (fails) with 1 (succeeds) */
            thr[2 * k] = 0.0;
            thr[2 * k + 1] = 1.0;
        } else {
            cx_tornado_thresholds(&x->dist, &thr[2 * k], &thr[2 * k + 1]);
        }
    }

    tornado_job jb = {.sc = sc, .m = m, .opts = opts, .plan = plan, .in = in, .thr = thr,
                      .outp = outp,
                      .d = d, .bp = bp, .metric = opts->metric,
                      .block_u = cx_sampling_plan_needs_block(plan)};
    rep->complete = tornado_blocks(&jb, ws, nt, nblocks64);
    if ((rc = tornado_merge_threads(ws, nt, d)) != 0)
        goto done;
    const cx_engine_comm *cm = opts->comm && opts->comm->size > 1 ? opts->comm : NULL;
    if (cm) {
        /* integer state: every rank's into rank 0's, then rank 0's to all (any order) */
        if ((rc = tornado_share(cm, ws[0], d, sc, m)) != 0)
            goto done;
        rep->complete = !cx_study_any_stopped(cm, !rep->complete);
    }
    tornado_fill_rows(rep, ws[0], &jb);

done:
    if (ws)
        for (int t = 0; t < nt; t++)
            cx_study_worker_free(ws[t], d);
    free(ws);
    free(thr);
    free(outp);
    free(in);
    cx_sampling_plan_free(plan);
    if (rc != 0) {
        cx_set_err(err, err_len, "tornado: %s", cx_strerror(rc));
        cx_tornado_report_free(rep);
        return rc;
    }
    rep->elapsed_s = cx_study_now_s() - t0;
    *out = rep;
    return 0;
}

json_t *cx_tornado_report_json(const cx_tornado_report *r, const cx_scenario *sc)
{
    json_t *j = cx_study_json_header("tornado", sc, r->metric, r->seed, r->threads, r->block_paths,
                       r->sampling, r->elapsed_s, r->complete);
    json_t *arr = json_array();
    if (!j || !arr) {
        json_decref(j);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(j, "paths", json_integer((json_int_t)r->paths));
    json_object_set_new(j, "paths_requested", json_integer((json_int_t)r->requested));
    json_object_set_new(j, "antithetic", json_boolean(r->antithetic));
    json_object_set_new(j, "mean", cx_study_json_num(r->mean));
    json_object_set_new(j, "p50", cx_study_json_num(r->p50));
    for (int i = 0; i < r->d; i++) {
        const cx_tornado_row *x = &r->rows[i];
        json_t *o = json_pack(
            "{s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "input",
            sc->inputs[x->input].name, "x_low", cx_study_json_num(x->x_low), "x_high", cx_study_json_num(x->x_high),
            "n_low", (json_int_t)x->n_low, "n_high", (json_int_t)x->n_high, "mean_low",
            cx_study_json_num(x->mean_low), "mean_high", cx_study_json_num(x->mean_high), "p50_low", cx_study_json_num(x->p50_low),
            "p50_high", cx_study_json_num(x->p50_high), "swing", cx_study_json_num(x->swing));
        if (o)
            json_array_append_new(arr, o);
    }
    json_object_set_new(j, "tornado", arr);
    return j;
}

int cx_tornado_report_csv(const cx_tornado_report *r, const cx_scenario *sc, const char *path)
{
    char *tmp;
    FILE *f = cx_study_open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    fprintf(f, "rank,input,x_low,x_high,n_low,n_high,mean_low,mean_high,p50_low,p50_high,"
               "swing,complete\n");
    for (int i = 0; i < r->d; i++) {
        const cx_tornado_row *x = &r->rows[i];
        fprintf(f, "%d,", i + 1);
        cx_csv_text(f, sc->inputs[x->input].name); /* issue 25: safe in a spreadsheet */
        fprintf(f, ",%.17g,%.17g,%llu,%llu,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n",
                x->x_low, x->x_high, (unsigned long long)x->n_low,
                (unsigned long long)x->n_high, x->mean_low, x->mean_high, x->p50_low,
                x->p50_high, x->swing, r->complete ? "true" : "false");
    }
    return cx_study_close_tmp(f, tmp, path, true);
}
