/* SPDX-License-Identifier: MIT */
/* Sweeps: full runs of a scenario at the points of a grid of fixed inputs. */
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
/* Sweeps                                                                                 */
/* ------------------------------------------------------------------------------------- */

int cx_sens_engine_run(cx_run **run, const cx_scenario *sc, const cx_engine_opts *opts,
                       cx_sampling sampling, bool antithetic, char *err, size_t err_len)
{
    *run = NULL;
    cx_model *m = NULL;
    cx_sampling_source *ss = NULL;
    cx_input_source src;
    cx_engine_opts o = *opts;
    int rc = cx_model_new(&m, sc, err, err_len);
    if (rc != 0)
        return rc;
    if (sampling != CX_SAMPLING_MC || antithetic) {
        rc = cx_sampling_source_new(&ss, &src, sc, sampling, antithetic, CX_BLOCK_PATHS);
        o.source = &src;
        /* blocks are the independent replicates of the error bars (sim/result/report.c) */
        if (o.n_rep_q == 0) o.n_rep_q = cx_report_replicate_levels(o.rep_q, NAN);
    }
    if (rc == 0)
        rc = cx_engine_run(run, sc, m, &o);
    if (rc != 0)
        cx_set_err(err, err_len, "%s", cx_strerror(rc));
    cx_sampling_source_free(ss);
    cx_model_free(m);
    return rc;
}

void cx_sweep_report_free(cx_sweep_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_points; i++)
        cx_report_free(r->pt[i].report);
    free(r->pt);
    free(r);
}

int cx_sweep_run(cx_sweep_report **out, const cx_scenario *sc, const cx_engine_opts *base,
                 cx_sampling sampling, bool antithetic, char *err, size_t err_len)
{
    *out = NULL;
    if (sc->n_sweep < 1 || sc->n_sweep > 2) {
        cx_set_err(err, err_len, "%s: no sweep group (sweep = { inputs = ( { name = ...; "
                              "values = [...]; } ); })", sc->path ? sc->path : "scenario");
        return CX_ERR_CONFIG;
    }
    double t0 = cx_study_now_s();
    cx_sweep_report *r = calloc(1, sizeof *r);
    if (!r)
        return CX_ERR_NOMEM;
    r->n_axes = sc->n_sweep;
    r->axis = sc->sweep;
    int n1 = sc->sweep[0].n, n2 = sc->n_sweep > 1 ? sc->sweep[1].n : 1;
    r->pt = calloc((size_t)n1 * (size_t)n2, sizeof *r->pt);
    if (!r->pt) {
        free(r);
        return CX_ERR_NOMEM;
    }
    r->seed = base->seed;
    r->paths = base->paths;
    r->threads = base->threads;
    r->sampling = sampling;
    r->antithetic = antithetic;
    r->complete = true;
    int rc = 0;
    for (int i = 0; i < n1 && rc == 0 && r->complete; i++)
        for (int j = 0; j < n2 && rc == 0 && r->complete; j++) {
            cx_sweep_point *p = &r->pt[r->n_points];
            cx_scenario *s1 = NULL, *s2 = NULL;
            cx_run *run = NULL;
            if (base->interrupt && atomic_load(base->interrupt)) {
                r->complete = false; /* interrupted between points */
                break;
            }
            p->value[0] = sc->sweep[0].values[i];
            rc = cx_scenario_with_fixed(&s1, sc, sc->sweep[0].input, p->value[0]);
            if (rc == 0 && sc->n_sweep > 1) {
                p->value[1] = sc->sweep[1].values[j];
                rc = cx_scenario_with_fixed(&s2, s1, sc->sweep[1].input, p->value[1]);
            }
            if (rc == 0)
                rc = cx_sens_engine_run(&run, s2 ? s2 : s1, base, sampling, antithetic, err,
                                        err_len);
            if (rc == 0 && run->paths_done == 0)
                r->complete = false; /* interrupted before its first block: no point */
            else if (rc == 0 && (rc = cx_report_new(&p->report, run->accum)) == 0) {
                cx_report_set_scenario(p->report, sc);
                p->complete = run->complete;
                r->complete = run->complete;
                r->n_points++;
            }
            cx_run_free(run);
            cx_scenario_free(s2);
            cx_scenario_free(s1);
        }
    if (rc != 0) {
        if (err && !err[0])
            cx_set_err(err, err_len, "sweep: %s", cx_strerror(rc));
        cx_sweep_report_free(r);
        return rc;
    }
    r->elapsed_s = cx_study_now_s() - t0;
    *out = r;
    return 0;
}

/* Index of percentile pct in cx_report_pct. */
static int pct_index(int pct)
{
    for (int k = 0; k < CX_N_PCT; k++)
        if (cx_report_pct[k] == pct)
            return k;
    return 0;
}

json_t *cx_sweep_report_json(const cx_sweep_report *r, const cx_scenario *sc)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:I, s:i, s:s, s:b, s:s, s:o, s:b}", "study",
                          "sweep", "scenario", sc->name ? sc->name : "", "scenario_sha256",
                          sc->sha256, "seed", cx_output_u64(r->seed), "paths",
                          (json_int_t)r->paths, "threads", r->threads, "sampling",
                          cx_sampling_names[r->sampling], "antithetic", r->antithetic,
                          "version", CX_VERSION, "elapsed_s", cx_study_json_num(r->elapsed_s), "complete",
                          r->complete);
    json_t *axes = json_array(), *pts = json_array();
    /* which formula made each point's se (MODEL.md, "A reported interval must hold what it
     * claims"): batch means over blocks under LHS, Sobol or antithetic sampling */
    if (j)
        json_object_set_new(j, "se_method",
                            json_string(r->sampling != CX_SAMPLING_MC || r->antithetic
                                            ? "batch_means"
                                            : "iid"));
    if (!j || !axes || !pts) {
        json_decref(j);
        json_decref(axes);
        json_decref(pts);
        return NULL;
    }
    for (int a = 0; a < r->n_axes; a++) {
        json_t *vals = json_array();
        for (int k = 0; k < r->axis[a].n; k++)
            json_array_append_new(vals, cx_study_json_num(r->axis[a].values[k]));
        json_array_append_new(axes, json_pack("{s:s, s:o}", "name", r->axis[a].name, "values",
                                              vals));
    }
    int i5 = pct_index(5), i50 = pct_index(50), i95 = pct_index(95);
    for (int i = 0; i < r->n_points; i++) {
        const cx_sweep_point *p = &r->pt[i];
        json_t *vals = json_array(), *ms = json_object();
        for (int a = 0; a < r->n_axes; a++)
            json_array_append_new(vals, cx_study_json_num(p->value[a]));
        for (int k = 0; k < p->report->n_metrics; k++) {
            const cx_metric_stats *st = &p->report->metric[k];
            json_object_set_new(ms, cx_metric_names[k],
                                json_pack("{s:o, s:o, s:o, s:o, s:o}", "mean", cx_study_json_num(st->mean),
                                          "se", cx_study_json_num(st->se), "p5", cx_study_json_num(st->pct[i5]), "p50",
                                          cx_study_json_num(st->pct[i50]), "p95", cx_study_json_num(st->pct[i95])));
        }
        json_array_append_new(pts, json_pack("{s:o, s:I, s:b, s:o}", "values", vals, "paths",
                                             (json_int_t)p->report->paths, "complete",
                                             p->complete, "metrics", ms));
    }
    json_object_set_new(j, "axes", axes);
    json_object_set_new(j, "points", pts);
    return j;
}

int cx_sweep_report_csv(const cx_sweep_report *r, const char *path)
{
    char *tmp;
    FILE *f = cx_study_open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    for (int a = 0; a < r->n_axes; a++)
        cx_csv_text_comma(f, r->axis[a].name); /* issue 25: safe in a spreadsheet */
    fprintf(f, "metric,mean,se,p5,p50,p95,complete\n");
    int i5 = pct_index(5), i50 = pct_index(50), i95 = pct_index(95);
    for (int i = 0; i < r->n_points; i++) {
        const cx_sweep_point *p = &r->pt[i];
        for (int k = 0; k < p->report->n_metrics; k++) {
            const cx_metric_stats *st = &p->report->metric[k];
            for (int a = 0; a < r->n_axes; a++)
                fprintf(f, "%.17g,", p->value[a]);
            fprintf(f, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n", cx_metric_names[k], st->mean,
                    st->se, st->pct[i5], st->pct[i50], st->pct[i95],
                    p->complete ? "true" : "false");
        }
    }
    return cx_study_close_tmp(f, tmp, path, true);
}
