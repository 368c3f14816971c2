/* SPDX-License-Identifier: MIT */
/* Shapley effects of a scenario's inputs and its per-month streams: the design on the model. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/input/sampler.h"
#include "sim/input/scenario.h"
#include "sim/study/shapley.h"
#include "sim/study/study_internal.h"

/*
 * The players are the d uncertain inputs (their copula normal scores: Gaussian players, with
 * the scenario's correlations; the once-per-path outcomes such as msl.success among them)
 * and the per-month randomness as two stream players, the price path and the deal events,
 * each a key of its own (cx_model_streams_of_keys, as Sobol keys them). An input outside
 * every pair is a Gaussian player uncorrelated with the rest: F^-1(Phi(z)) of a standard
 * normal z has its law, so one map, cx_sampler_value_at_z, serves every input.
 */

const char *const cx_shapley_noise_names[CX_SHAPLEY_NOISE_PLAYERS] = {"(price path)",
                                                                      "(deal events)"};

typedef struct model_fn {
    const cx_scenario *sc;
    const cx_model *m;
    int metric, d;
    const int *in;          /* d: scenario indices of the uncertain inputs */
    cx_study_worker **ws;   /* one per thread */
} model_fn;

/* n points of the design on the model, in batches of CX_MODEL_LANES lanes. */
static void eval_points(void *ctx, int thread, int n, const double *z, const uint64_t *keys,
                        double *y)
{
    const model_fn *mf = ctx;
    cx_study_worker *w = mf->ws[thread];
    const cx_sampler *s = mf->sc->sampler;
    const size_t ni = (size_t)(mf->sc->n_inputs > 0 ? mf->sc->n_inputs : 1);
    for (int p0 = 0; p0 < n; p0 += CX_MODEL_LANES) {
        const int nb = n - p0 < CX_MODEL_LANES ? n - p0 : CX_MODEL_LANES;
        cx_sampler_fixed_rows(s, nb, w->xb, ni);
        for (int i = 0; i < nb; i++) {
            const double *zp = z + (size_t)(p0 + i) * (size_t)mf->d;
            double *x = w->xb + (size_t)i * ni;
            for (int k = 0; k < mf->d; k++)
                x[mf->in[k]] = cx_sampler_value_at_z(s, mf->in[k], zp[k]);
            const uint64_t *k = keys + (size_t)(p0 + i) * CX_SHAPLEY_NOISE_PLAYERS;
            cx_model_streams_of_keys(&w->streams[i], k[0], k[1]);
        }
        cx_model_batch(mf->m, w->xb, ni, nb, w->streams, w->scr, w->resb, NULL);
        for (int i = 0; i < nb; i++)
            y[p0 + i] = w->resb[i].metric[mf->metric];
    }
}

/* The copula's correlation matrix of the uncertain inputs (d x d): r = 2 sin(pi rho / 6) for
 * each pair of two uncertain inputs (MODEL.md, "Correlation"); a fixed input's pairs drop
 * out (the marginal law of the others is the submatrix). Caller frees. */
static double *input_corr(const cx_scenario *sc, const int *in, int d)
{
    double *R = calloc((size_t)d * (size_t)d, sizeof *R);
    int *at = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof *at);
    if (!R || !at) {
        free(R);
        free(at);
        return NULL;
    }
    for (int i = 0; i < sc->n_inputs; i++)
        at[i] = -1;
    for (int k = 0; k < d; k++) {
        at[in[k]] = k;
        R[(size_t)k * (size_t)d + (size_t)k] = 1.0;
    }
    for (int c = 0; c < sc->n_corr; c++) {
        const int a = at[sc->corr[c].a], b = at[sc->corr[c].b];
        if (a < 0 || b < 0)
            continue;
        const double r = 2.0 * sin(3.14159265358979323846 * sc->corr[c].rho / 6.0);
        R[(size_t)a * (size_t)d + (size_t)b] = R[(size_t)b * (size_t)d + (size_t)a] = r;
    }
    free(at);
    return R;
}

void cx_shapley_report_free(cx_shapley_report *r)
{
    if (!r)
        return;
    free(r->input);
    free(r->eff);
    free(r->rank);
    free(r);
}

const char *cx_shapley_player_name(const cx_shapley_report *r, const cx_scenario *sc, int p)
{
    return p < r->d ? sc->inputs[r->input[p]].name : cx_shapley_noise_names[p - r->d];
}

/* A report for sc's uncertain inputs. @return 0, or an error (message in err). */
static int report_new(cx_shapley_report **out, const cx_scenario *sc, const cx_study_opts *o,
                      char *err, size_t err_len)
{
    cx_shapley_report *rep = calloc(1, sizeof *rep);
    *out = NULL;
    if (!rep)
        return CX_ERR_NOMEM;
    rep->input = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof(int));
    if (!rep->input) {
        cx_shapley_report_free(rep);
        return CX_ERR_NOMEM;
    }
    rep->d = cx_study_uncertain_inputs(sc, rep->input);
    if (rep->d == 0) {
        cx_set_err(err, err_len, "shapley: the scenario has no uncertain scalar input");
        cx_shapley_report_free(rep);
        return CX_ERR_RANGE;
    }
    rep->n_players = rep->d + CX_SHAPLEY_NOISE_PLAYERS;
    rep->eff = calloc((size_t)rep->n_players, sizeof *rep->eff);
    rep->rank = malloc((size_t)rep->n_players * sizeof *rep->rank);
    if (!rep->eff || !rep->rank) {
        cx_shapley_report_free(rep);
        return CX_ERR_NOMEM;
    }
    rep->metric = o->metric;
    rep->seed = o->seed;
    rep->requested = o->paths;
    rep->block_perms = o->block_paths > 0 ? o->block_paths : CX_SHAPLEY_BLOCK_PERMS;
    *out = rep;
    return 0;
}

size_t cx_shapley_state_max(const cx_scenario *sc)
{
    /* a record: 4 doubles and 2 per player (every input and the noise players) */
    const size_t rec = 8 * (4 + 2 * ((size_t)sc->n_inputs + CX_SHAPLEY_NOISE_PLAYERS));
    return 256 + rec * CX_SHAPLEY_MAX_BATCHES + 4 + 256 * (4 + rec);
}

int cx_shapley_run(cx_shapley_report **out, const cx_scenario *sc, const cx_model *m,
                   const cx_study_opts *opts, const cx_shapley_args *args, char *err,
                   size_t err_len)
{
    *out = NULL;
    const double t0 = cx_study_now_s();
    cx_study_opts o = *opts;
    if (o.paths == 0)
        o.paths = CX_SHAPLEY_DEFAULT_PERMS;
    cx_shapley_report *rep = NULL;
    int rc = cx_study_check_opts(&o, "shapley", "permutations", err, err_len);
    if (rc == 0)
        rc = cx_study_check_metric(sc, o.metric, "shapley", err, err_len);
    if (rc == 0)
        rc = report_new(&rep, sc, &o, err, err_len);
    if (rc != 0)
        return rc;
    const int d = rep->d, nt = cx_study_thread_count(o.threads);
    rep->threads = nt;
    rep->crn = args && args->crn;
    double *R = input_corr(sc, rep->input, d);
    model_fn mf = {.sc = sc, .m = m, .metric = o.metric, .d = d, .in = rep->input,
                   .ws = calloc((size_t)nt, sizeof *mf.ws)};
    rc = mf.ws && R ? 0 : CX_ERR_NOMEM;
    for (int t = 0; rc == 0 && t < nt; t++)
        rc = cx_study_worker_new(&mf.ws[t], sc, m, 1, 1, 1, false);
    cx_shapley_design des = {.n_gauss = d, .corr = R, .n_stream = CX_SHAPLEY_NOISE_PLAYERS,
                             .fn = eval_points, .ctx = &mf, .perms = o.paths, .seed = o.seed,
                             .threads = nt, .block_perms = rep->block_perms,
                             .crn = args && args->crn,
                             .interrupt = o.interrupt, .progress = o.progress,
                             .progress_ctx = o.progress_ctx, .ckpt = o.ckpt};
    if (rc == 0)
        rc = cx_shapley_design_run(&des, rep->eff, &rep->out, err, err_len);
    for (int t = 0; mf.ws && t < nt; t++)
        cx_study_worker_free(mf.ws[t], 1);
    free(mf.ws);
    free(R);
    if (rc != 0) {
        if (err && !err[0])
            cx_set_err(err, err_len, "shapley: %s", cx_strerror(rc));
        cx_shapley_report_free(rep);
        return rc;
    }
    cx_shapley_rank(rep->eff, rep->n_players, rep->rank);
    rep->elapsed_s = cx_study_now_s() - t0 + rep->out.elapsed_before;
    *out = rep;
    return 0;
}

json_t *cx_shapley_report_json(const cx_shapley_report *r, const cx_scenario *sc)
{
    const cx_shapley_outcome *o = &r->out;
    json_t *j = cx_study_json_header("shapley", sc, r->metric, r->seed, r->threads,
                                     r->block_perms, CX_SAMPLING_MC, r->elapsed_s, o->complete);
    json_t *arr = json_array();
    if (!j || !arr) {
        json_decref(j);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(j, "estimator", json_string("song-nelson-staum-2016"));
    json_object_set_new(j, "common_random_numbers", json_boolean(r->crn));
    json_object_set_new(
        j, "sizes",
        json_pack("{s:I, s:I, s:I, s:i, s:i, s:I, s:i}", "permutations", (json_int_t)o->perms,
                  "permutations_requested", (json_int_t)r->requested, "var_samples",
                  (json_int_t)o->var_samples, "outer", 1, "inner", CX_SHAPLEY_N_INNER,
                  "evaluations", (json_int_t)o->evaluations, "players", r->n_players));
    json_object_set_new(j, "mean", cx_study_json_num(o->mean));
    json_object_set_new(j, "variance", cx_study_json_num(o->variance));
    json_object_set_new(j, "variance_ci95", json_pack("[o,o]", cx_study_json_num(o->var_lo),
                                                      cx_study_json_num(o->var_hi)));
    json_object_set_new(j, "sum", json_pack("{s:o, s:[o,o]}", "shapley",
                                            cx_study_json_num(o->sum_share), "ci95",
                                            cx_study_json_num(o->sum_lo),
                                            cx_study_json_num(o->sum_hi)));
    json_object_set_new(j, "ci_batches", json_integer(o->batches));
    json_object_set_new(j, "ci_half_width_max", cx_study_json_num(o->max_half_width));
    json_object_set_new(
        j, "note",
        json_string("Shapley effects as shares of the metric's variance (they sum to 1 by "
                    "construction): Song, Nelson and Staum (2016), random permutations, "
                    "N_o = 1 outer and N_i = 3 inner samples per step, conditional samples "
                    "drawn exactly under the scenario's Gaussian copula. Correlated inputs "
                    "share what they explain together. The per-month randomness of a path is "
                    "two more players, \"(price path)\" and \"(deal events)\". 95% CIs by linearisation over "
                    "independent batches of blocks. Rows ranked by share. With "
                    "common_random_numbers the steps of a permutation share their draws "
                    "(the same expectations, a smaller variance)."));
    for (int k = 0; k < r->n_players; k++) {
        const int p = r->rank[k];
        const cx_shapley_effect *e = &r->eff[p];
        json_t *row = json_pack("{s:s, s:o, s:o, s:[o,o], s:o}", "name",
                                cx_shapley_player_name(r, sc, p), "shapley",
                                cx_study_json_num(e->share), "se", cx_study_json_num(e->se),
                                "ci95", cx_study_json_num(e->lo), cx_study_json_num(e->hi),
                                "effect", cx_study_json_num(e->effect));
        if (row)
            json_array_append_new(arr, row);
    }
    json_object_set_new(j, "indices", arr);
    return j;
}

int cx_shapley_report_csv(const cx_shapley_report *r, const cx_scenario *sc, const char *path)
{
    char *tmp;
    FILE *f = cx_study_open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    fprintf(f, "name,shapley,se,lo,hi,effect,complete\n");
    for (int k = 0; k < r->n_players; k++) {
        const int p = r->rank[k];
        const cx_shapley_effect *e = &r->eff[p];
        fprintf(f, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n", cx_shapley_player_name(r, sc, p),
                e->share, e->se, e->lo, e->hi, e->effect, r->out.complete ? "true" : "false");
    }
    return cx_study_close_tmp(f, tmp, path, true);
}
