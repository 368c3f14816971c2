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

/*
 * The study on the model is a design (cx_sobol_design, sobol_design.c) whose function is a
 * path of the model: the d columns are the uncertain inputs' independent uniforms, before
 * the copula; the price path and the deal events are two more indices, and each group one
 * more.
 */

/* What the sample function needs: the scenario, the model, the swap sets, the workers. */
typedef struct model_fn {
    const cx_scenario *sc;
    const cx_model *m;
    int metric, d, n_groups;
    const int *in;             /* d: scenario indices of the uncertain inputs */
    int *const *group_member;  /* n_groups arrays of indices into in[] */
    const int *group_size;
    cx_study_worker **ws;      /* one per thread */
} model_fn;

const char *const cx_sobol_noise_names[CX_SOBOL_N_NOISE] = {"(price path)", "(deal events)"};

/* f at n_eval points u[e] (rows of w->um) with the price path of noise[e] and the deal
 * events of noise_ev[e], in batches of lanes: the same values as one cx_model_path call per
 * point with a copy of its noise when both are the same. */
static void eval_many(const cx_scenario *sc, const cx_model *m, cx_study_worker *w, int n_eval,
                      const cx_pcg64 *const *noise, const cx_pcg64 *const *noise_ev,
                      int metric, double *f)
{
    const size_t ni = (size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1);
    for (int e0 = 0; e0 < n_eval; e0 += CX_MODEL_LANES) {
        const int nb = n_eval - e0 < CX_MODEL_LANES ? n_eval - e0 : CX_MODEL_LANES;
        for (int i = 0; i < nb; i++) {
            cx_sampler_map(sc->sampler, w->um + (size_t)(e0 + i) * ni, w->xb + (size_t)i * ni,
                           w->work);
            cx_pcg64 np = *noise[e0 + i], ne = *noise_ev[e0 + i];
            cx_model_streams_of_keys(&w->streams[i], cx_pcg64_next(&np), cx_pcg64_next(&ne));
        }
        cx_model_batch(m, w->xb, ni, nb, w->streams, w->scr, w->resb, NULL);
        for (int i = 0; i < nb; i++)
            f[e0 + i] = w->resb[i].metric[metric];
    }
}

/*
 * One base sample on the model (a cx_sobol_sample_fn): the d + 4 + G points of a path,
 * evaluated side by side: AB_0 .. AB_{d-1}, (A, price B), (A, deal events B), the groups'
 * AB_g, then A and B. The two per-month streams are two more inputs, drawn like the others:
 * A's streams for f(A) and every f(AB_i), B's own for f(B); (A, price B) takes the price
 * path from B and the deal events from A, (A, deal events B) the other way round.
 */
static void model_sample(void *ctx, int thread, const double *ua, const double *ub,
                         uint64_t key, double *fa, double *fb, double *fab)
{
    const model_fn *mf = ctx;
    cx_study_worker *w = mf->ws[thread];
    const int d = mf->d, g_n = mf->n_groups;
    const int *in = mf->in;
    const size_t ni = (size_t)mf->sc->n_inputs;
    cx_pcg64 noise_a, noise_b;
    cx_pcg64_stream(&noise_a, key, 0);
    cx_pcg64_stream(&noise_b, key, 1);
    for (int i = 0; i < d; i++) {
        w->ufull[in[i]] = ua[i];
        w->ub[in[i]] = ub[i];
    }
    const cx_pcg64 **noise = w->noise, **noise_ev = w->noise_ev;
    for (int i = 0; i < d; i++) {
        double *u = w->um + (size_t)i * ni;
        memcpy(u, w->ufull, ni * sizeof(double));
        u[in[i]] = ub[i];
        noise[i] = noise_ev[i] = &noise_a;
    }
    for (int k = 0; k < CX_SOBOL_N_NOISE; k++) {
        memcpy(w->um + (size_t)(d + k) * ni, w->ufull, ni * sizeof(double));
        noise[d + k] = k == 0 ? &noise_b : &noise_a;
        noise_ev[d + k] = k == 1 ? &noise_b : &noise_a;
    }
    const int g0 = d + CX_SOBOL_N_NOISE;
    for (int g = 0; g < g_n; g++) {
        double *u = w->um + (size_t)(g0 + g) * ni;
        memcpy(u, w->ufull, ni * sizeof(double));
        for (int k = 0; k < mf->group_size[g]; k++)
            u[in[mf->group_member[g][k]]] = ub[mf->group_member[g][k]];
        noise[g0 + g] = noise_ev[g0 + g] = &noise_a;
    }
    const int e = g0 + g_n;
    memcpy(w->um + (size_t)e * ni, w->ufull, ni * sizeof(double));
    noise[e] = noise_ev[e] = &noise_a;
    memcpy(w->um + (size_t)(e + 1) * ni, w->ub, ni * sizeof(double));
    noise[e + 1] = noise_ev[e + 1] = &noise_b;
    eval_many(mf->sc, mf->m, w, e + 2, noise, noise_ev, mf->metric, w->fab);
    memcpy(fab, w->fab, (size_t)e * sizeof *fab);
    *fa = w->fab[e];
    *fb = w->fab[e + 1];
}

/* The name of index i of a report: an input, a per-month group, or a group. */
static const char *index_name(const cx_sobol_report *r, const cx_scenario *sc, int i)
{
    if (i < r->d)
        return sc->inputs[r->input[i]].name;
    if (i < r->d + CX_SOBOL_N_NOISE)
        return cx_sobol_noise_names[i - r->d];
    return r->group_name[i - r->d - CX_SOBOL_N_NOISE];
}

void cx_sobol_report_free(cx_sobol_report *r)
{
    if (!r)
        return;
    for (int g = 0; g < r->n_groups; g++) {
        if (r->group_name)
            free(r->group_name[g]);
        if (r->group_member)
            free(r->group_member[g]);
    }
    free(r->group_name);
    free(r->group_member);
    free(r->group_size);
    for (int i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r->rank);
    free(r->group_rank);
    free(r->input);
    free(r->idx);
    free(r);
}

/* Whether input name is member: the name, a dotted prefix ("msl" holds "msl.x") or a pattern
 * ("supply.*"), as the scenario's sobol.groups (cx_input_name_matches). */
static bool in_group(const char *name, const char *member)
{
    return cx_input_name_matches(name, member);
}

/* The groups of opts as indices into rep->input. @return 0, CX_ERR_NOMEM, or CX_ERR_USAGE
 * (a group that holds no uncertain input) with a message in err. */
static int resolve_groups(cx_sobol_report *rep, const cx_scenario *sc, const cx_sobol_args *a,
                          char *err, size_t err_len)
{
    const int G = a->n_groups > 0 && a->groups ? a->n_groups : 0;
    rep->group_name = calloc((size_t)G + 1, sizeof *rep->group_name);
    rep->group_member = calloc((size_t)G + 1, sizeof *rep->group_member);
    rep->group_size = calloc((size_t)G + 1, sizeof *rep->group_size);
    if (!rep->group_name || !rep->group_member || !rep->group_size)
        return CX_ERR_NOMEM;
    for (int g = 0; g < G; g++, rep->n_groups++) {
        const cx_sobol_group *gr = &a->groups[g];
        rep->group_name[g] = strdup(gr->name ? gr->name : "");
        rep->group_member[g] = malloc((size_t)rep->d * sizeof(int));
        if (!rep->group_name[g] || !rep->group_member[g])
            return CX_ERR_NOMEM;
        for (int i = 0; i < rep->d; i++)
            for (int k = 0; k < gr->n; k++)
                if (in_group(sc->inputs[rep->input[i]].name, gr->members[k])) {
                    rep->group_member[g][rep->group_size[g]++] = i;
                    break;
                }
        if (rep->group_size[g] == 0) {
            cx_set_err(err, err_len, "sobol: group '%s' names no uncertain input",
                       rep->group_name[g]);
            rep->n_groups++;
            return CX_ERR_USAGE;
        }
    }
    return 0;
}

/* A report for sc's uncertain inputs with opts' fields. @return 0, or an error (message in
 * err); *out is then NULL. */
static int report_new(cx_sobol_report **out, const cx_scenario *sc, const cx_study_opts *opts,
                      char *err, size_t err_len)
{
    cx_sobol_report *rep = calloc(1, sizeof *rep);
    *out = NULL;
    if (!rep)
        return CX_ERR_NOMEM;
    int rc = 0;
    rep->input = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof(int));
    if (!rep->input)
        rc = CX_ERR_NOMEM;
    else if ((rep->d = cx_study_uncertain_inputs(sc, rep->input)) == 0) {
        cx_set_err(err, err_len, "sobol: the scenario has no uncertain scalar input");
        rc = CX_ERR_RANGE;
    }
    if (rc == 0)
        rc = resolve_groups(rep, sc, &opts->sobol, err, err_len);
    const int n_idx = rep->d + CX_SOBOL_N_NOISE + rep->n_groups;
    if (rc == 0) {
        rep->idx = calloc((size_t)n_idx, sizeof *rep->idx);
        rep->rank = malloc((size_t)(rep->d + CX_SOBOL_N_NOISE) * sizeof *rep->rank);
        rep->group_rank = malloc(((size_t)rep->n_groups + 1) * sizeof *rep->group_rank);
        if (!rep->idx || !rep->rank || !rep->group_rank)
            rc = CX_ERR_NOMEM;
    }
    if (rc != 0) {
        cx_sobol_report_free(rep);
        return rc;
    }
    rep->metric = opts->metric;
    rep->seed = opts->seed;
    rep->block_paths = opts->block_paths > 0 ? opts->block_paths : CX_SENS_BLOCK_PATHS;
    rep->sampling = opts->sampling;
    rep->requested = opts->paths ? opts->paths : CX_SOBOL_DEFAULT_PATHS;
    rep->order = opts->sobol.order == CX_SOBOL_BY_INPUT ? CX_SOBOL_BY_INPUT : CX_SOBOL_BY_ST;
    rep->target_ci = opts->sobol.target_ci;
    *out = rep;
    return 0;
}

/* The display order and the warnings of a finished report. @return 0 or CX_ERR_NOMEM. */
static int report_finish(cx_sobol_report *rep, const cx_scenario *sc)
{
    const int d = rep->d, nn = d + CX_SOBOL_N_NOISE, n_idx = nn + rep->n_groups;
    cx_sobol_rank(rep->idx, nn, rep->order, rep->rank);
    cx_sobol_rank(rep->idx + nn, rep->n_groups, rep->order, rep->group_rank);
    const char **names = malloc((size_t)n_idx * sizeof *names);
    if (!names)
        return CX_ERR_NOMEM;
    for (int i = 0; i < n_idx; i++)
        names[i] = index_name(rep, sc, i);
    int rc = cx_sobol_warnings(rep->idx, n_idx, names, &rep->warnings, &rep->n_warnings);
    free(names);
    return rc;
}

size_t cx_sobol_state_max(const cx_scenario *sc)
{
    /* the indices: at most every input, the two noise ones, and (from the API) 64 groups */
    const size_t n_idx = (size_t)sc->n_inputs + CX_SOBOL_N_NOISE + 64;
    const size_t rec = 8 * (4 + 3 * n_idx); /* a record: R_HEAD doubles, 3 per index */
    return 256 + rec * (CX_SOBOL_MAX_BATCHES + 2) + 4 + (size_t)CX_SOBOL_ROUND_BLOCKS * (4 + rec);
}

int cx_sobol_run(cx_sobol_report **out, const cx_scenario *sc, const cx_model *m,
                 const cx_study_opts *opts, char *err, size_t err_len)
{
    *out = NULL;
    double t0 = cx_study_now_s();
    cx_study_opts o = *opts;
    if (o.paths == 0)
        o.paths = CX_SOBOL_DEFAULT_PATHS;
    cx_sobol_report *rep = NULL;
    int rc = cx_study_check_opts(&o, "sobol", "base samples", err, err_len);
    if (rc == 0)
        rc = cx_study_check_metric(sc, o.metric, "sobol", err, err_len);
    if (rc == 0)
        rc = report_new(&rep, sc, &o, err, err_len);
    if (rc != 0)
        return rc;
    const int d = rep->d, n_idx = d + CX_SOBOL_N_NOISE + rep->n_groups;
    const int nt = cx_study_thread_count(o.threads);
    rep->threads = nt;
    model_fn mf = {.sc = sc, .m = m, .metric = o.metric, .d = d, .n_groups = rep->n_groups,
                   .in = rep->input, .group_member = rep->group_member,
                   .group_size = rep->group_size, .ws = calloc((size_t)nt, sizeof *mf.ws)};
    rc = mf.ws ? 0 : CX_ERR_NOMEM;
    for (int t = 0; rc == 0 && t < nt; t++)
        rc = cx_study_worker_new(&mf.ws[t], sc, m, 1, 1, n_idx + 2, false);
    cx_sobol_design des = {.d = d, .n_idx = n_idx, .fn = model_sample, .ctx = &mf,
                           .base = o.paths, .seed = o.seed, .threads = nt,
                           .block_paths = rep->block_paths, .sampling = o.sampling,
                           .target_ci = o.sobol.target_ci, .max_base = o.sobol.max_paths,
                           .interrupt = o.interrupt, .comm = o.comm,
                           .progress = o.progress, .progress_ctx = o.progress_ctx,
                           .ckpt = o.ckpt};
    if (rc == 0)
        rc = cx_sobol_design_run(&des, rep->idx, &rep->outcome, err, err_len);
    if (rc == 0) {
        rep->sum = rep->outcome.sum;
        rep->complete = rep->outcome.complete;
        rep->evaluations = rep->sum.n * (uint64_t)(n_idx + 2);
        rc = report_finish(rep, sc);
    }
    for (int t = 0; mf.ws && t < nt; t++)
        cx_study_worker_free(mf.ws[t], n_idx + 2);
    free(mf.ws);
    if (rc != 0) {
        if (err && !err[0])
            cx_set_err(err, err_len, "sobol: %s", cx_strerror(rc));
        cx_sobol_report_free(rep);
        return rc;
    }
    rep->elapsed_s = cx_study_now_s() - t0 + rep->outcome.elapsed_before;
    *out = rep;
    return 0;
}

/* One index as JSON: its name (key `key`), S1 and ST with their SEs and 95% CIs. */
static json_t *index_json(const char *key, const char *name, const cx_sobol_index *x)
{
    return json_pack("{s:s, s:o, s:o, s:[o,o], s:o, s:o, s:[o,o]}", key, name, "s1",
                     cx_study_json_num(x->s1), "s1_se", cx_study_json_num(x->s1_se), "s1_ci95",
                     cx_study_json_num(x->s1_lo), cx_study_json_num(x->s1_hi), "st",
                     cx_study_json_num(x->st), "st_se", cx_study_json_num(x->st_se),
                     "st_ci95", cx_study_json_num(x->st_lo), cx_study_json_num(x->st_hi));
}

/* "groups": [{group, inputs: [...], s1, ...}] in display order. */
static json_t *groups_json(const cx_sobol_report *r, const cx_scenario *sc)
{
    json_t *arr = json_array();
    for (int k = 0; arr && k < r->n_groups; k++) {
        const int g = r->group_rank[k];
        json_t *o = index_json("group", r->group_name[g],
                               &r->idx[r->d + CX_SOBOL_N_NOISE + g]);
        json_t *names = json_array();
        for (int i = 0; names && i < r->group_size[g]; i++)
            json_array_append_new(
                names, json_string(sc->inputs[r->input[r->group_member[g][i]]].name));
        if (o)
            json_object_set_new(o, "inputs", names ? names : json_null());
        if (o)
            json_array_append_new(arr, o);
    }
    return arr;
}

json_t *cx_sobol_report_json(const cx_sobol_report *r, const cx_scenario *sc)
{
    json_t *j = cx_study_json_header("sobol", sc, r->metric, r->seed, r->threads,
                                     r->block_paths, r->sampling, r->elapsed_s, r->complete);
    json_t *arr = json_array(), *warn = json_array();
    if (!j || !arr || !warn) {
        json_decref(j);
        json_decref(arr);
        json_decref(warn);
        return NULL;
    }
    json_object_set_new(j, "base_samples", json_integer((json_int_t)r->sum.n));
    json_object_set_new(j, "base_samples_requested", json_integer((json_int_t)r->requested));
    json_object_set_new(j, "evaluations", json_integer((json_int_t)r->evaluations));
    json_object_set_new(j, "mean", cx_study_json_num(r->sum.mean));
    json_object_set_new(j, "variance", cx_study_json_num(r->sum.variance));
    json_object_set_new(j, "ci_batches", json_integer(r->sum.batches));
    json_object_set_new(j, "estimators",
                        json_pack("{s:s, s:s}", "s1", "saltelli2010", "st", "jansen1999"));
    json_object_set_new(j, "order",
                        json_string(r->order == CX_SOBOL_BY_INPUT ? "input" : "total_effect"));
    json_object_set_new(j, "ci_half_width_max",
                        cx_study_json_num(r->outcome.max_half_width));
    if (r->target_ci > 0.0)
        json_object_set_new(j, "target_ci",
                            json_pack("{s:o, s:b, s:i}", "half_width",
                                      cx_study_json_num(r->target_ci), "met",
                                      r->outcome.target_met, "stages", r->outcome.stages));
    json_object_set_new(
        j, "note",
        json_string("First order: Saltelli et al. (2010), centred; total effect: Jansen "
                    "(1999); both on the same A, B, AB_i samples. 95% CIs from batch means "
                    "over independent blocks. Swaps act on the independent uniforms before the "
                    "copula: for correlated inputs an index measures the input's own "
                    "Cholesky factor (the part not explained by correlated inputs earlier in "
                    "input order). Once-per-path outcomes (msl.success, taas.launch, "
                    "deals.signed.NAME.happens) are inputs like the others. The per-month "
                    "randomness of a path is two more inputs, each its own stream: "
                    "\"(price path)\" (price shocks) and \"(deal events)\" (spot arrivals "
                    "and sizes, counterparty notices). Rows ranked by total effect unless "
                    "\"order\" is \"input\"."));
    for (int k = 0; k < r->d + CX_SOBOL_N_NOISE; k++) {
        const int i = r->rank[k];
        json_t *o = index_json("input", index_name(r, sc, i), &r->idx[i]);
        if (o)
            json_array_append_new(arr, o);
    }
    json_object_set_new(j, "indices", arr);
    json_object_set_new(j, "groups", groups_json(r, sc));
    for (int i = 0; i < r->n_warnings; i++)
        json_array_append_new(warn, json_string(r->warnings[i]));
    json_object_set_new(j, "warnings", warn);
    return j;
}

int cx_sobol_report_csv(const cx_sobol_report *r, const cx_scenario *sc, const char *path)
{
    char *tmp;
    FILE *f = cx_study_open_tmp(path, &tmp);
    if (!f)
        return CX_ERR_IO;
    fprintf(f, "input,s1,s1_se,s1_lo,s1_hi,st,st_se,st_lo,st_hi,complete\n");
    const int nn = r->d + CX_SOBOL_N_NOISE;
    for (int k = 0; k < nn + r->n_groups; k++) {
        const int i = k < nn ? r->rank[k] : nn + r->group_rank[k - nn];
        const cx_sobol_index *x = &r->idx[i];
        const char *name = index_name(r, sc, i);
        char cellname[512];
        snprintf(cellname, sizeof cellname, "%s%s", i >= nn ? "group:" : "", name);
        cx_csv_text(f, cellname); /* issue 25: safe in a spreadsheet */
        fprintf(f, ",%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%s\n",
                x->s1, x->s1_se, x->s1_lo, x->s1_hi, x->st,
                x->st_se, x->st_lo, x->st_hi, r->complete ? "true" : "false");
    }
    return cx_study_close_tmp(f, tmp, path, true);
}
