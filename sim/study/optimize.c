/* SPDX-License-Identifier: MIT */
/* Optimisation of fixed inputs (issue 21): the evaluator, the statistics, COBYLA's search. */

/*
 * Sample-average approximation with common random numbers. Every evaluation runs the engine
 * with the same seed and the same paths; only the decisions' values change (the engine's
 * fixed-input override writes them after the inputs are drawn, so every draw stays where it
 * was). The sample objective f_N(x) and constraints g_N(x) are then deterministic functions
 * of x, which a derivative-free optimiser can converge on; the answer's quality is judged
 * afterwards on a fresh seed with more paths (the check).
 *
 * What is built once: the scenario with each decision fixed at its high (deal slots and other
 * sizes bound by a decision's largest value), its model and an observer that keeps each
 * path's value of the metrics the statistics need, in path order (block b's paths at
 * b x CX_BLOCK_PATHS, copied by merge_block, which the engine calls in block order on one
 * thread). So every statistic is an exact function of the sample, the same bytes for any
 * thread count.
 *
 * The search: COBYLA (NLOPT_LN_COBYLA) on the unit box, from several starts (the scenario's
 * own values, then Halton points); constraints are g_j(x) = (stat - bound) / |bound| <= 0
 * (or bound - stat). Integer decisions: enumeration when all are integers and the grid is
 * small, else COBYLA on the relaxation with the integer coordinates rounded inside the
 * evaluation, then a local search of +-1 steps. Evaluations are cached by x.
 */
#include "config.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <jansson.h>
#include <nlopt.h>

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/engine/engine.h"
#include "sim/result/report.h"
#include "sim/study/optimize.h"
#include "sim/study/study_internal.h"

/* ------------------------------------------------------------------ the evaluator */

/* Deal switches a decision may flip: at most CX_OPT_MAX_DECISIONS, so 16 variants. */
#define N_VARIANTS (1 << CX_OPT_MAX_DECISIONS)

struct cx_opt_evaluator {
    const cx_scenario *sc;
    const cx_optimize *spec;
    cx_scenario *tmpl[CX_OPT_MAX_DECISIONS]; /* chain of with_fixed copies (numeric decisions) */
    /* one compiled scenario per setting of the deal switches (bit i: the i-th switch on);
     * var_sc[0] is borrowed (the chain's last, or sc) when there are no switches */
    int n_var;
    cx_scenario *var_sc[N_VARIANTS];
    cx_model *var_m[N_VARIANTS];
    bool var_owned;
    int fixed_of[CX_OPT_MAX_DECISIONS];       /* decision -> engine fixed slot, -1: a switch */
    int switch_bit[CX_OPT_MAX_DECISIONS];     /* decision -> bit in the variant, -1: numeric */
    cx_engine_opts eo;
    int n_stats;
    cx_opt_stat stat[CX_OPT_N_STATS];
    int n_m;                                  /* distinct metrics kept */
    int metric[CX_OPT_N_STATS];
    int stat_col[CX_OPT_N_STATS];             /* column of each statistic's metric */
    uint64_t paths;
    double *vals;                             /* n_m x paths */
    double *scratch;                          /* paths */
    cx_observer obs;
    uint64_t runs;
    /* processes (MPI): every rank runs its share of each evaluation's blocks; the kept values
     * are whole on rank 0 only (the engine folds the blocks there), so rank 0 computes the
     * statistics and sends them to the others (cm NULL: one process) */
    const cx_engine_comm *cm;
    bool root;
};

/* A block's kept values: n, then n_m rows of CX_BLOCK_PATHS. */
typedef struct block_vals {
    int n, pad;
    double v[];
} block_vals;

static void obs_block_init(void *ctx, void *bstate, uint64_t b)
{
    (void)ctx;
    (void)b;
    ((block_vals *)bstate)->n = 0;
}

static void obs_path(void *ctx, void *bstate, int tid, const double *x, const cx_path_result *res)
{
    (void)tid;
    (void)x;
    const cx_opt_evaluator *ev = ctx;
    block_vals *bv = bstate;
    if (bv->n >= CX_BLOCK_PATHS)
        return;
    for (int k = 0; k < ev->n_m; k++)
        bv->v[k * CX_BLOCK_PATHS + bv->n] = res->metric[ev->metric[k]];
    bv->n++;
}

static void obs_merge(void *ctx, const void *bstate, uint64_t b)
{
    cx_opt_evaluator *ev = ctx;
    const block_vals *bv = bstate;
    uint64_t first = b * CX_BLOCK_PATHS;
    for (int k = 0; k < ev->n_m; k++)
        for (int i = 0; i < bv->n && first + (uint64_t)i < ev->paths; i++)
            ev->vals[(uint64_t)k * ev->paths + first + (uint64_t)i] = bv->v[k * CX_BLOCK_PATHS + i];
}

void cx_opt_evaluator_free(cx_opt_evaluator *ev)
{
    if (!ev)
        return;
    for (int v = 0; v < ev->n_var; v++) {
        cx_model_free(ev->var_m[v]);
        if (ev->var_owned)
            cx_scenario_free(ev->var_sc[v]);
    }
    for (int i = CX_OPT_MAX_DECISIONS - 1; i >= 0; i--)
        cx_scenario_free(ev->tmpl[i]);
    free(ev->vals);
    free(ev->scratch);
    free(ev);
}

/* The statistics a spec needs, and the distinct metrics behind them. */
static void evaluator_stats(cx_opt_evaluator *ev)
{
    const cx_optimize *sp = ev->spec;
    ev->n_stats = 1 + sp->n_constraints;
    ev->stat[0] = sp->objective;
    for (int j = 0; j < sp->n_constraints; j++)
        ev->stat[1 + j] = sp->constraint[j].stat;
    for (int s = 0; s < ev->n_stats; s++) {
        int k = 0;
        while (k < ev->n_m && ev->metric[k] != ev->stat[s].metric)
            k++;
        if (k == ev->n_m)
            ev->metric[ev->n_m++] = ev->stat[s].metric;
        ev->stat_col[s] = k;
    }
}

/* A copy of sc, the same in every respect (an input that is already fixed, fixed again at its
 * value), for a deal's switch to be flipped in. */
static int identity_copy(cx_scenario **out, const cx_scenario *sc)
{
    for (int i = 0; i < sc->n_inputs; i++)
        if (cx_dist_is_fixed(&sc->inputs[i].dist))
            return cx_scenario_with_fixed(out, sc, i, cx_dist_median(&sc->inputs[i].dist));
    return CX_ERR_RANGE;
}

/*
 * The compiled scenarios: the numeric decisions fixed at their highs (a chain of copies), then
 * one copy and model per setting of the deal switches (which the engine cannot override: they
 * are flags of the model, not inputs).
 */
static int build_variants(cx_opt_evaluator *ev, char *err, size_t err_len)
{
    const cx_optimize *sp = ev->spec;
    const cx_scenario *prev = ev->sc;
    int rc = 0, n_fixed = 0, n_sw = 0;
    for (int d = 0; d < sp->n_decisions && rc == 0; d++) {
        const cx_opt_decision *dc = &sp->decision[d];
        ev->fixed_of[d] = ev->switch_bit[d] = -1;
        if (dc->switch_deal >= 0) {
            ev->switch_bit[d] = n_sw++;
            continue;
        }
        ev->fixed_of[d] = n_fixed++;
        rc = cx_scenario_with_fixed(&ev->tmpl[d], prev, dc->input, dc->high);
        prev = ev->tmpl[d];
    }
    ev->var_owned = n_sw > 0;
    for (int v = 0; v < (1 << n_sw) && rc == 0; v++) {
        ev->n_var = v + 1;
        if (n_sw == 0) {
            ev->var_sc[v] = (cx_scenario *)prev;
        } else if ((rc = identity_copy(&ev->var_sc[v], prev)) == 0) {
            for (int d = 0; d < sp->n_decisions; d++)
                if (ev->switch_bit[d] >= 0)
                    ev->var_sc[v]->deals.signed_deals[sp->decision[d].switch_deal].cancellable =
                        (v >> ev->switch_bit[d]) & 1;
        }
        if (rc == 0)
            rc = cx_model_new(&ev->var_m[v], ev->var_sc[v], err, err_len);
    }
    return rc;
}

int cx_opt_evaluator_new(cx_opt_evaluator **out, const cx_scenario *sc, const cx_engine_opts *o,
                         char *err, size_t err_len)
{
    *out = NULL;
    if (!sc->optimize) {
        cx_set_err(err, err_len, "%s: no optimize group (optimize = { decisions = (...); "
                   "objective = {...}; })", sc->path ? sc->path : "scenario");
        return CX_ERR_CONFIG;
    }
    if (o->paths == 0)
        return CX_ERR_RANGE;
    cx_opt_evaluator *ev = calloc(1, sizeof *ev);
    if (!ev)
        return CX_ERR_NOMEM;
    ev->sc = sc;
    ev->spec = sc->optimize;
    ev->eo = *o;
    ev->paths = o->paths;
    evaluator_stats(ev);
    int rc = build_variants(ev, err, err_len);
    ev->vals = calloc((size_t)ev->n_m * ev->paths, sizeof *ev->vals); /* whole on rank 0 only */
    ev->scratch = malloc(ev->paths * sizeof *ev->scratch);
    if (rc == 0 && (!ev->vals || !ev->scratch))
        rc = CX_ERR_NOMEM;
    if (rc != 0) {
        if (err && !err[0])
            cx_set_err(err, err_len, "optimize: %s", cx_strerror(rc));
        cx_opt_evaluator_free(ev);
        return rc;
    }
    ev->eo.n_fixed = 0;
    for (int d = 0; d < ev->spec->n_decisions; d++)
        if (ev->fixed_of[d] >= 0)
            ev->eo.fixed_input[ev->eo.n_fixed++] = ev->spec->decision[d].input;
    ev->obs = (cx_observer){.ctx = ev,
                            .block_bytes = sizeof(block_vals) +
                                           (size_t)ev->n_m * CX_BLOCK_PATHS * sizeof(double),
                            .block_init = obs_block_init,
                            .path = obs_path,
                            .merge_block = obs_merge};
    ev->eo.observer = &ev->obs;
    /* rounds no longer than the run: the engine sizes its round buffer (a slot of moments and
     * kept values a block) by the round, and an evaluation is short (results cannot depend
     * on it, engine.h) */
    uint64_t blocks = (ev->paths + CX_BLOCK_PATHS - 1) / CX_BLOCK_PATHS;
    ev->eo.round_blocks = blocks < CX_ROUND_BLOCKS ? (int)blocks : CX_ROUND_BLOCKS;
    ev->eo.source = NULL; /* plain Monte Carlo: common random numbers need only the seed */
    ev->eo.progress = NULL;
    ev->eo.stop = NULL;
    ev->eo.ckpt = NULL;
    ev->cm = o->comm && o->comm->size > 1 ? o->comm : NULL;
    ev->root = !ev->cm || ev->cm->rank == 0;
    ev->eo.comm = ev->cm;
    ev->obs.shareable = true; /* its state is the blocks' kept values: rank 0 gets them all */
    *out = ev;
    return 0;
}

/* Runs the paths at x; the values land in ev->vals. @return 0, CX_ERR_INTERRUPTED, ... */
static int evaluator_run(cx_opt_evaluator *ev, const double *x)
{
    int v = 0;
    for (int d = 0; d < ev->spec->n_decisions; d++) {
        if (ev->fixed_of[d] >= 0)
            ev->eo.fixed_value[ev->fixed_of[d]] = x[d];
        else if (x[d] >= 0.5)
            v |= 1 << ev->switch_bit[d];
    }
    cx_run *run = NULL;
    int rc = cx_engine_run(&run, ev->var_sc[v], ev->var_m[v], &ev->eo);
    if (rc == 0 && (!run->complete || run->paths_done != ev->paths))
        rc = CX_ERR_INTERRUPTED;
    cx_run_free(run);
    if (rc == 0)
        ev->runs++;
    return rc;
}

/* ------------------------------------------------------------------ statistics */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Rank of the q-quantile among n (1-based), as the report: ceil(n q), exact for pNN. */
static uint64_t q_rank(uint64_t n, double q)
{
    double pct = q * 100.0;
    if (pct == floor(pct))
        return cx_report_rank(n, (int)pct);
    uint64_t k = (uint64_t)ceil((double)n * q);
    return k < 1 ? 1 : k > n ? n : k;
}

/* The report's order-statistic CI ranks (MODEL.md, "Statistics") for any q. */
static void q_ci_ranks(uint64_t n, double q, uint64_t *lo, uint64_t *hi)
{
    double pct = q * 100.0;
    if (pct == floor(pct)) {
        cx_report_ci_ranks(n, (int)pct, lo, hi);
        return;
    }
    double nq = (double)n * q, h = 1.96 * sqrt(nq * (1 - q));
    double l = floor(nq - h), u = ceil(nq + h);
    *lo = l < 1 ? 1 : (uint64_t)l;
    *hi = u > (double)n ? n : u < 1 ? 1 : (uint64_t)u;
}

/* Mean of the top ceil(0.05 n) of sorted s[n]; *y_sd: sd of the CVaR's influence values. */
static double cvar95_sorted(const double *s, uint64_t n, double *y_sd)
{
    uint64_t k = (n * 5 + 99) / 100;
    if (k < 1)
        k = 1;
    double var = s[n - k], sum = 0;
    for (uint64_t i = n - k; i < n; i++)
        sum += s[i];
    double cvar = sum / (double)k;
    if (y_sd) {
        /* Y_i = VaR + (X_i - VaR)+ / 0.05: mean(Y) ~ CVaR, var(mean) = var(Y) / n */
        double m = 0, m2 = 0;
        for (uint64_t i = 0; i < n; i++) {
            double y = var + (s[i] > var ? (s[i] - var) / 0.05 : 0.0);
            double dlt = y - m;
            m += dlt / (double)(i + 1);
            m2 += dlt * (y - m);
        }
        *y_sd = n > 1 ? sqrt(m2 / (double)(n - 1)) : NAN;
    }
    return cvar;
}

/*
 * Statistic st of v[n] (scratch: n doubles) with its 95% CI: mean +- 1.96 se (the report's);
 * quantiles by the report's order-statistic interval; cvar95 +- 1.96 sd(Y) / sqrt(n);
 * p_exceed by the Wilson score interval.
 */
static cx_opt_ci stat_of(const cx_opt_stat *st, const double *v, uint64_t n, double *scratch)
{
    cx_opt_ci c = {NAN, NAN, NAN};
    if (n == 0)
        return c;
    if (st->kind == CX_OPT_MEAN) {
        double m = 0, m2 = 0;
        for (uint64_t i = 0; i < n; i++) {
            double d = v[i] - m;
            m += d / (double)(i + 1);
            m2 += d * (v[i] - m);
        }
        double se = n > 1 ? sqrt(m2 / (double)(n - 1) / (double)n) : NAN;
        c = (cx_opt_ci){m, m - 1.96 * se, m + 1.96 * se};
    } else if (st->kind == CX_OPT_P_EXCEED) {
        uint64_t k = 0;
        for (uint64_t i = 0; i < n; i++)
            k += v[i] > st->threshold; /* MODEL.md, "Statistics": strict */
        double p = (double)k / (double)n, z = 1.96, nn = (double)n;
        double den = 1 + z * z / nn, mid = (p + z * z / (2 * nn)) / den;
        double h = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / den;
        c = (cx_opt_ci){p, fmax(0.0, mid - h), fmin(1.0, mid + h)};
    } else {
        memcpy(scratch, v, n * sizeof *v);
        qsort(scratch, n, sizeof *scratch, cmp_dbl);
        if (st->kind == CX_OPT_QUANTILE) {
            uint64_t lo, hi;
            q_ci_ranks(n, st->q, &lo, &hi);
            c = (cx_opt_ci){scratch[q_rank(n, st->q) - 1], scratch[lo - 1], scratch[hi - 1]};
        } else {
            double ysd;
            double cv = cvar95_sorted(scratch, n, &ysd);
            double h = 1.96 * ysd / sqrt((double)n);
            c = (cx_opt_ci){cv, cv - h, cv + h};
        }
    }
    return c;
}

/* Whether value meets constraint c. */
static bool meets(const cx_opt_constraint *c, double value)
{
    return c->upper ? value <= c->bound : value >= c->bound;
}

/* All statistics of the values in ev (the last run) into chk. */
static void evaluator_check(const cx_opt_evaluator *ev, const double *x, cx_opt_check *chk)
{
    memset(chk, 0, sizeof *chk);
    memcpy(chk->x, x, (size_t)ev->spec->n_decisions * sizeof *x);
    for (int s = 0; s < ev->n_stats; s++)
        chk->stat[s] = stat_of(&ev->stat[s], ev->vals + (uint64_t)ev->stat_col[s] * ev->paths,
                               ev->paths, ev->scratch);
    for (int j = 0; j < ev->spec->n_constraints; j++) {
        const cx_opt_constraint *c = &ev->spec->constraint[j];
        const cx_opt_ci *v = &chk->stat[1 + j];
        chk->meets[j] = meets(c, v->value);
        chk->holds[j] = c->upper ? v->hi <= c->bound : v->lo >= c->bound;
    }
}

/* The statistics of the last run into chk, the same bytes on every rank: rank 0 (which alone
 * holds the paths' values) computes them and sends them to the others, so that every rank's
 * search takes the same steps. @return 0 or the broadcast's error. */
static int evaluator_stats_shared(const cx_opt_evaluator *ev, const double *x, cx_opt_check *chk)
{
    if (ev->root)
        evaluator_check(ev, x, chk);
    if (!ev->cm)
        return 0;
    return ev->cm->bcast(ev->cm->ctx, chk, sizeof *chk);
}

int cx_opt_eval_at(cx_opt_evaluator *ev, const double *x, cx_opt_check *chk)
{
    int rc = evaluator_run(ev, x);
    if (rc == 0)
        rc = evaluator_stats_shared(ev, x, chk);
    return rc;
}

/*
 * Paired difference a - b of statistic st between two runs on the same sample (common random
 * numbers): the mean by per-path differences; other statistics by sectioning: the difference
 * of the whole-sample statistics, with a t interval from the differences on CX_OPT_SECTIONS
 * contiguous sections of the paths.
 */
static cx_opt_ci paired_diff(const cx_opt_stat *st, const double *a, const double *b,
                             uint64_t n, double *scratch)
{
    cx_opt_ci c = {NAN, NAN, NAN};
    if (st->kind == CX_OPT_MEAN) {
        double m = 0, m2 = 0;
        for (uint64_t i = 0; i < n; i++) {
            double d = (a[i] - b[i]) - m;
            m += d / (double)(i + 1);
            m2 += d * ((a[i] - b[i]) - m);
        }
        double se = n > 1 ? sqrt(m2 / (double)(n - 1) / (double)n) : NAN;
        return (cx_opt_ci){m, m - 1.96 * se, m + 1.96 * se};
    }
    const int k = CX_OPT_SECTIONS;
    if (n < (uint64_t)k * 20)
        return c;
    double full = stat_of(st, a, n, scratch).value - stat_of(st, b, n, scratch).value;
    double m = 0, m2 = 0;
    for (int s = 0; s < k; s++) {
        uint64_t lo = n * (uint64_t)s / (uint64_t)k, hi = n * (uint64_t)(s + 1) / (uint64_t)k;
        double d = stat_of(st, a + lo, hi - lo, scratch).value -
                   stat_of(st, b + lo, hi - lo, scratch).value;
        double dd = d - m;
        m += dd / (s + 1);
        m2 += dd * (d - m);
    }
    double h = gsl_cdf_tdist_Pinv(0.975, k - 1) * sqrt(m2 / (k - 1) / k);
    return (cx_opt_ci){full, full - h, full + h};
}

/* ------------------------------------------------------------------ the search */

/* What one solve optimises: the statistic in slot obj, constraints on slots con_slot[]. */
typedef struct problem {
    int obj;
    bool maximize;
    int n_con;
    int con_slot[CX_OPT_MAX_CONSTRAINTS];
    cx_opt_constraint con[CX_OPT_MAX_CONSTRAINTS];
} problem;

typedef struct search {
    cx_opt_evaluator *ev;
    const cx_optimize *spec;
    const cx_opt_opts *o;
    const problem *pb;
    problem spec_pb;            /* the scenario's problem */
    cx_opt_point *cache;        /* every point evaluated */
    size_t n_cache, cap_cache;
    int start, n_starts;
    double obj_scale;
    bool found, has_best;
    cx_opt_point best;          /* of the current problem (feasible first) */
    cx_opt_point start_best[64];/* the best of each start (feasible first) */
    bool start_has[64];
    int rc;                     /* first error or CX_ERR_INTERRUPTED */
    nlopt_opt opt;
} search;

/* Violation of p under pb: sum of the relative excesses over the bounds. */
static double violation(const problem *pb, const cx_opt_point *p)
{
    double v = 0;
    for (int j = 0; j < pb->n_con; j++) {
        const cx_opt_constraint *c = &pb->con[j];
        double s = p->stat[pb->con_slot[j]];
        double scale = c->bound != 0 ? fabs(c->bound) : 1.0;
        double g = (c->upper ? s - c->bound : c->bound - s) / scale;
        v += isnan(g) ? INFINITY : fmax(0.0, g);
    }
    return v;
}

/* Whether a is better than b under pb: feasible before infeasible, then the objective, then
 * the smaller violation. Ties keep b (the earlier point). */
static bool better(const problem *pb, const cx_opt_point *a, const cx_opt_point *b)
{
    double va = violation(pb, a), vb = violation(pb, b);
    if ((va == 0) != (vb == 0))
        return va == 0;
    if (va > 0)
        return va < vb;
    double fa = a->stat[pb->obj], fb = b->stat[pb->obj];
    return pb->maximize ? fa > fb : fa < fb;
}

/* x rounded where a decision is an integer, clamped to the box. */
static void snap(const cx_optimize *sp, double *x)
{
    for (int d = 0; d < sp->n_decisions; d++) {
        const cx_opt_decision *dc = &sp->decision[d];
        if (dc->integer)
            x[d] = round(x[d]);
        x[d] = fmin(dc->high, fmax(dc->low, x[d]));
    }
}

static void report_progress(search *s)
{
    if (!s->o->progress)
        return;
    cx_opt_progress p = {.evaluations = s->ev->runs, .start = s->start,
                         .n_starts = s->n_starts, .found = s->found,
                         .best = s->found ? &s->best : NULL};
    s->o->progress(s->o->ctx, &p);
}

/* The point at x (snapped), from the cache or a new run. @return 0 or an error (s->rc). */
static int evaluate(search *s, const double *x_in, cx_opt_point *out)
{
    const int nd = s->spec->n_decisions;
    double x[CX_OPT_MAX_DECISIONS] = {0};
    memcpy(x, x_in, (size_t)nd * sizeof *x);
    snap(s->spec, x);
    for (size_t i = 0; i < s->n_cache; i++)
        if (!memcmp(s->cache[i].x, x, sizeof x)) {
            *out = s->cache[i];
            out->start = s->start;
            goto track;
        }
    if (s->o->engine.interrupt && atomic_load(s->o->engine.interrupt))
        return s->rc = CX_ERR_INTERRUPTED;
    int rc = evaluator_run(s->ev, x);
    cx_opt_check chk;
    if (rc == 0)
        rc = evaluator_stats_shared(s->ev, x, &chk);
    if (rc != 0)
        return s->rc = rc;
    memset(out, 0, sizeof *out);
    memcpy(out->x, x, sizeof x);
    for (int k = 0; k < s->ev->n_stats; k++)
        out->stat[k] = chk.stat[k].value;
    out->start = s->start;
    if (s->n_cache == s->cap_cache) {
        size_t cap = s->cap_cache ? 2 * s->cap_cache : 64;
        cx_opt_point *c = realloc(s->cache, cap * sizeof *c);
        if (!c)
            return s->rc = CX_ERR_NOMEM;
        s->cache = c;
        s->cap_cache = cap;
    }
    s->cache[s->n_cache++] = *out;
track:
    out->violation = violation(s->pb, out);
    if (!s->has_best || better(s->pb, out, &s->best)) {
        s->best = *out;
        s->has_best = true;
    }
    s->found = s->has_best && s->best.violation == 0;
    int si = s->start < 64 ? s->start : 63;
    if (si >= 0 && (!s->start_has[si] || better(s->pb, out, &s->start_best[si]))) {
        s->start_best[si] = *out;
        s->start_has[si] = true;
    }
    report_progress(s);
    return 0;
}

static void to_x(const cx_optimize *sp, const double *u, double *x)
{
    for (int d = 0; d < sp->n_decisions; d++) {
        const cx_opt_decision *dc = &sp->decision[d];
        x[d] = dc->low + u[d] * (dc->high - dc->low);
    }
}

static void to_u(const cx_optimize *sp, const double *x, double *u)
{
    for (int d = 0; d < sp->n_decisions; d++) {
        const cx_opt_decision *dc = &sp->decision[d];
        u[d] = fmin(1.0, fmax(0.0, (x[d] - dc->low) / (dc->high - dc->low)));
    }
}

static double nl_obj(unsigned n, const double *u, double *grad, void *data)
{
    (void)n;
    (void)grad;
    search *s = data;
    double x[CX_OPT_MAX_DECISIONS];
    cx_opt_point p;
    to_x(s->spec, u, x);
    if (evaluate(s, x, &p) != 0) {
        nlopt_force_stop(s->opt);
        return HUGE_VAL;
    }
    double f = p.stat[s->pb->obj] / s->obj_scale;
    if (isnan(f))
        return HUGE_VAL;
    return s->pb->maximize ? -f : f;
}

/* g_j(x) <= 0: each constraint relative to its bound (so that COBYLA's merit function weighs
 * constraints of different units alike). */
static void nl_con(unsigned m, double *res, unsigned n, const double *u, double *grad,
                   void *data)
{
    (void)n;
    (void)grad;
    search *s = data;
    double x[CX_OPT_MAX_DECISIONS];
    cx_opt_point p;
    to_x(s->spec, u, x);
    if (evaluate(s, x, &p) != 0) {
        nlopt_force_stop(s->opt);
        for (unsigned j = 0; j < m; j++)
            res[j] = 0;
        return;
    }
    for (unsigned j = 0; j < m; j++) {
        const cx_opt_constraint *c = &s->pb->con[j];
        double v = p.stat[s->pb->con_slot[j]];
        double scale = c->bound != 0 ? fabs(c->bound) : 1.0;
        double g = (c->upper ? v - c->bound : c->bound - v) / scale;
        res[j] = isnan(g) ? HUGE_VAL : g;
    }
}

static int max_evals(const search *s)
{
    return s->o->max_evals > 0 ? s->o->max_evals : 30 + 20 * s->spec->n_decisions;
}

/* One COBYLA solve of s->pb from x0. @return 0 or s->rc. */
static int run_start(search *s, const double *x0)
{
    const int nd = s->spec->n_decisions;
    double lb[CX_OPT_MAX_DECISIONS], ub[CX_OPT_MAX_DECISIONS], tol[CX_OPT_MAX_DECISIONS];
    double u[CX_OPT_MAX_DECISIONS], f, ctol[CX_OPT_MAX_CONSTRAINTS] = {0};
    nlopt_opt opt = nlopt_create(NLOPT_LN_COBYLA, (unsigned)nd);
    if (!opt)
        return s->rc = CX_ERR_NOMEM;
    for (int d = 0; d < nd; d++) {
        const cx_opt_decision *dc = &s->spec->decision[d];
        lb[d] = 0;
        ub[d] = 1;
        /* the same for integer coordinates: NLopt's COBYLA stops when its radius is below the
         * largest tolerance, so half a unit there would end a mixed search at once; steps
         * within a unit cost nothing (the rounded point is in the cache) */
        (void)dc;
        tol[d] = 1e-4;
    }
    to_u(s->spec, x0, u);
    s->opt = opt;
    nlopt_set_lower_bounds(opt, lb);
    nlopt_set_upper_bounds(opt, ub);
    nlopt_set_min_objective(opt, nl_obj, s);
    if (s->pb->n_con > 0)
        nlopt_add_inequality_mconstraint(opt, (unsigned)s->pb->n_con, nl_con, s, ctol);
    nlopt_set_xtol_abs(opt, tol);
    nlopt_set_maxeval(opt, max_evals(s));
    nlopt_set_initial_step1(opt, 0.25);
    nlopt_result nr = nlopt_optimize(opt, u, &f);
    nlopt_destroy(opt);
    s->opt = NULL;
    if (s->rc != 0)
        return s->rc;
    return nr == NLOPT_OUT_OF_MEMORY ? (s->rc = CX_ERR_NOMEM) : 0;
}

/* Radical inverse of k in base b (Halton points for the starts after the first). */
static double halton(int k, int b)
{
    double f = 1, r = 0;
    for (int i = k; i > 0; i /= b) {
        f /= b;
        r += f * (i % b);
    }
    return r;
}

/* Steps of -1, 0 or +1 on every integer coordinate at once (3^k - 1 neighbours, so that a
 * move along a constraint's boundary, one down and one up, is among them) from s->best, while
 * one improves it. */
static int polish(search *s)
{
    const cx_optimize *sp = s->spec;
    int idx[CX_OPT_MAX_DECISIONS], k = 0;
    for (int d = 0; d < sp->n_decisions; d++)
        if (sp->decision[d].integer)
            idx[k++] = d;
    int n_nb = 1;
    for (int i = 0; i < k; i++)
        n_nb *= 3;
    bool improved = true;
    for (int it = 0; it < 100 && improved && s->rc == 0; it++) {
        improved = false;
        cx_opt_point b = s->best, p;
        s->start = b.start;
        for (int nb = 0; nb < n_nb; nb++) {
            double x[CX_OPT_MAX_DECISIONS];
            bool inside = true;
            memcpy(x, b.x, sizeof x);
            for (int i = 0, c = nb; i < k; i++, c /= 3) {
                const cx_opt_decision *dc = &sp->decision[idx[i]];
                x[idx[i]] += c % 3 - 1;
                inside &= x[idx[i]] >= dc->low && x[idx[i]] <= dc->high;
            }
            if (nb == n_nb / 2 || !inside) /* the middle one is b itself */
                continue;
            if (evaluate(s, x, &p) != 0)
                return s->rc;
            improved |= better(s->pb, &p, &b);
        }
    }
    return s->rc;
}

/* Every point of an all-integer grid, decision 0 outermost. */
static int enumerate(search *s)
{
    const cx_optimize *sp = s->spec;
    double x[CX_OPT_MAX_DECISIONS];
    for (int d = 0; d < sp->n_decisions; d++)
        x[d] = sp->decision[d].low;
    s->start = 0;
    for (;;) {
        cx_opt_point p;
        if (evaluate(s, x, &p) != 0)
            return s->rc;
        int d = sp->n_decisions - 1;
        while (d >= 0 && x[d] + 1 > sp->decision[d].high) {
            x[d] = sp->decision[d].low;
            d--;
        }
        if (d < 0)
            return 0;
        x[d] += 1;
    }
}

static double grid_size(const cx_optimize *sp, const cx_opt_opts *o)
{
    if (o->enum_max < 0)
        return INFINITY;
    double n = 1;
    for (int d = 0; d < sp->n_decisions; d++) {
        if (!sp->decision[d].integer)
            return INFINITY;
        n *= sp->decision[d].high - sp->decision[d].low + 1;
    }
    return n <= (o->enum_max > 0 ? o->enum_max : CX_OPT_ENUM_MAX) ? n : INFINITY;
}

static bool any_integer(const cx_optimize *sp)
{
    for (int d = 0; d < sp->n_decisions; d++)
        if (sp->decision[d].integer)
            return true;
    return false;
}

/* Solves pb from the starts x0[n][]: COBYLA from each, or enumeration; then the integer
 * polish. keep_best: the best so far (the baseline) stays a candidate; else it is reset
 * (the cache stays: same sample). */
static int solve(search *s, const problem *pb, const double (*x0)[CX_OPT_MAX_DECISIONS], int n,
                 bool keep_best)
{
    s->pb = pb;
    if (!keep_best) { /* a new problem: the best so far is the cache's best under it */
        s->found = s->has_best = false;
        for (size_t i = 0; i < s->n_cache; i++) {
            cx_opt_point p = s->cache[i];
            p.violation = violation(pb, &p);
            if (!s->has_best || better(pb, &p, &s->best)) {
                s->best = p;
                s->has_best = true;
            }
        }
        s->found = s->has_best && s->best.violation == 0;
    }
    memset(s->start_has, 0, sizeof s->start_has);
    s->n_starts = n;
    if (isfinite(grid_size(s->spec, s->o)))
        return enumerate(s);
    for (int i = 0; i < n && s->rc == 0; i++) {
        s->start = i;
        run_start(s, x0[i]);
    }
    if (s->rc == 0 && any_integer(s->spec) && s->has_best)
        polish(s);
    return s->rc;
}

/* Whether a and b differ by more than a decision's resolution somewhere. */
static bool distinct(const cx_optimize *sp, const cx_opt_point *a, const cx_opt_point *b)
{
    for (int d = 0; d < sp->n_decisions; d++) {
        const cx_opt_decision *dc = &sp->decision[d];
        double tol = dc->integer ? 0.5 : 0.01 * (dc->high - dc->low);
        if (fabs(a->x[d] - b->x[d]) > tol)
            return true;
    }
    return false;
}

/* The runner-up: the best of another start's bests that differs from best; else the best
 * point of the cache that differs (enumeration: the second-best grid point). */
static bool runner_up(const search *s, cx_opt_point *out)
{
    bool have = false;
    for (int i = 0; i < s->n_starts && i < 64; i++)
        if (s->start_has[i] && i != s->best.start && distinct(s->spec, &s->start_best[i], &s->best) &&
            (!have || better(s->pb, &s->start_best[i], out))) {
            *out = s->start_best[i];
            have = true;
        }
    if (have)
        return true;
    for (size_t i = 0; i < s->n_cache; i++) {
        cx_opt_point p = s->cache[i];
        p.violation = violation(s->pb, &p);
        if (distinct(s->spec, &p, &s->best) && (!have || better(s->pb, &p, out))) {
            *out = p;
            have = true;
        }
    }
    return have;
}

/* ------------------------------------------------------------------ the driver */

void cx_opt_result_free(cx_opt_result *r)
{
    if (!r)
        return;
    free(r->frontier);
    free(r);
}

/* The problem the scenario states. */
static void spec_problem(const cx_optimize *sp, problem *pb)
{
    memset(pb, 0, sizeof *pb);
    pb->obj = 0;
    pb->maximize = sp->maximize;
    pb->n_con = sp->n_constraints;
    for (int j = 0; j < sp->n_constraints; j++) {
        pb->con_slot[j] = 1 + j;
        pb->con[j] = sp->constraint[j];
    }
}

/* The scenario's own values of the decisions. */
static void base_values(const cx_scenario *sc, double *x)
{
    for (int d = 0; d < sc->optimize->n_decisions; d++) {
        const cx_opt_decision *dc = &sc->optimize->decision[d];
        x[d] = dc->switch_deal >= 0 ? sc->deals.signed_deals[dc->switch_deal].cancellable
                                    : cx_dist_median(&sc->inputs[dc->input].dist);
    }
}

/* Runs cev at x into chk and keeps a copy of its values (*keep, malloc'd). */
static int run_keep(cx_opt_evaluator *cev, const double *x, cx_opt_check *chk, double **keep)
{
    int rc = cx_opt_eval_at(cev, x, chk);
    if (rc != 0)
        return rc;
    size_t bytes = (size_t)cev->n_m * cev->paths * sizeof(double);
    if (!(*keep = malloc(bytes)))
        return CX_ERR_NOMEM;
    memcpy(*keep, cev->vals, bytes);
    return 0;
}

/* Paired differences a - b of every statistic. */
static void diffs(const cx_opt_evaluator *cev, const double *a, const double *b, cx_opt_ci *out)
{
    for (int k = 0; k < cev->n_stats; k++) {
        uint64_t off = (uint64_t)cev->stat_col[k] * cev->paths;
        out[k] = paired_diff(&cev->stat[k], a + off, b + off, cev->paths, cev->scratch);
    }
}

/* The check: best, runner-up and baseline on the fresh sample, and the paired differences. */
static int check_all(cx_opt_result *r, cx_opt_evaluator *cev, const double *base_x)
{
    double *va = NULL, *vb = NULL, *vc = NULL;
    int rc = run_keep(cev, r->best.x, &r->best_chk, &va);
    if (rc == 0)
        rc = run_keep(cev, base_x, &r->base_chk, &vc);
    if (rc == 0 && r->has_runner)
        rc = run_keep(cev, r->runner.x, &r->runner_chk, &vb);
    if (rc == 0 && cev->root) { /* the values are whole on rank 0 only */
        diffs(cev, va, vc, r->diff_base);
        if (r->has_runner)
            diffs(cev, va, vb, r->diff_runner);
    }
    if (rc == 0 && cev->cm && (rc = cev->cm->bcast(cev->cm->ctx, r->diff_base, sizeof r->diff_base)) == 0)
        rc = cev->cm->bcast(cev->cm->ctx, r->diff_runner, sizeof r->diff_runner);
    if (rc == 0)
        r->checked = true;
    free(va);
    free(vb);
    free(vc);
    return rc;
}

/*
 * Issue 21 item 4: constraint 0's bound from its loosest useful value (its statistic at the
 * optimum without it) to its tightest feasible one (the statistic pushed as far as the other
 * constraints allow), K levels, each solved warm from the previous level's answer (one start)
 * and checked on the fresh sample.
 */
static int frontier(cx_opt_result *r, search *s, cx_opt_evaluator *cev, int k)
{
    const cx_optimize *sp = s->spec;
    problem free_pb, tight_pb, pb;
    double x0[1][CX_OPT_MAX_DECISIONS];
    spec_problem(sp, &free_pb);
    free_pb.n_con = sp->n_constraints - 1; /* drop constraint 0 */
    for (int j = 0; j < free_pb.n_con; j++) {
        free_pb.con_slot[j] = 2 + j;
        free_pb.con[j] = sp->constraint[1 + j];
    }
    tight_pb = free_pb;
    tight_pb.obj = 1;
    tight_pb.maximize = !sp->constraint[0].upper;
    memcpy(x0[0], r->best.x, sizeof x0[0]);
    if (solve(s, &free_pb, x0, 1, false) != 0 || !s->found)
        return s->rc;
    double loose = s->best.stat[1];
    if (solve(s, &tight_pb, x0, 1, false) != 0 || !s->found)
        return s->rc;
    double tight = s->best.stat[1];
    /* a bound that cannot bind (the optimum without it is as tight as it can be): one level */
    if (!(fabs(loose - tight) > 1e-12 * fmax(1.0, fabs(loose))))
        k = 1;
    if (!(r->frontier = calloc((size_t)k, sizeof *r->frontier)))
        return CX_ERR_NOMEM;
    memcpy(x0[0], s->best.x, sizeof x0[0]);
    spec_problem(sp, &pb);
    for (int i = 0; i < k; i++) {
        cx_opt_frontier_pt *f = &r->frontier[i];
        /* from the tightest bound to the loosest; warm start from the previous answer */
        f->bound = k > 1 ? tight + (loose - tight) * i / (double)(k - 1) : tight;
        pb.con[0].bound = f->bound;
        if (solve(s, &pb, x0, 1, false) != 0)
            return s->rc;
        r->n_frontier = i + 1;
        f->found = s->found;
        f->point = s->best;
        memcpy(x0[0], s->best.x, sizeof x0[0]);
        int rc = cx_opt_eval_at(cev, s->best.x, &f->check);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The search proper: baseline, starts, best and runner-up into r. */
static int search_all(cx_opt_result *r, search *s, const cx_scenario *sc, const double *base_x)
{
    const cx_optimize *sp = sc->optimize;
    const int n_starts = s->o->starts > 0 ? (s->o->starts < 64 ? s->o->starts : 64)
                                          : CX_OPT_DEFAULT_STARTS;
    double x0[64][CX_OPT_MAX_DECISIONS];
    static const int bases[CX_OPT_MAX_DECISIONS] = {2, 3, 5, 7};
    problem *pb = &s->spec_pb;
    spec_problem(sp, pb);
    for (int i = 0; i < n_starts; i++)
        for (int d = 0; d < sp->n_decisions; d++) {
            const cx_opt_decision *dc = &sp->decision[d];
            x0[i][d] = i == 0 ? fmin(dc->high, fmax(dc->low, base_x[d]))
                              : dc->low + halton(i, bases[d]) * (dc->high - dc->low);
        }
    s->pb = pb;
    s->start = -1;
    /* the baseline: a candidate like any other (and cached) when it lies on the box's grid */
    double snapped[CX_OPT_MAX_DECISIONS] = {0};
    memcpy(snapped, base_x, (size_t)sp->n_decisions * sizeof *base_x);
    snap(sp, snapped);
    int rc;
    if (!memcmp(snapped, base_x, (size_t)sp->n_decisions * sizeof *base_x)) {
        if ((rc = evaluate(s, base_x, &r->baseline)) != 0)
            return rc;
    } else {
        cx_opt_check chk;
        if ((rc = cx_opt_eval_at(s->ev, base_x, &chk)) != 0)
            return rc;
        memcpy(r->baseline.x, base_x, sizeof r->baseline.x);
        for (int k = 0; k < s->ev->n_stats; k++)
            r->baseline.stat[k] = chk.stat[k].value;
    }
    r->baseline.start = -1;
    r->baseline.violation = violation(pb, &r->baseline);
    double f0 = fabs(r->baseline.stat[0]);
    s->obj_scale = isfinite(f0) && f0 > 0 ? f0 : 1.0;
    bool enumerated = isfinite(grid_size(sp, s->o));
    r->method = enumerated ? "enumeration" : any_integer(sp) ? "cobyla+rounding" : "cobyla";
    r->starts = enumerated ? 1 : n_starts;
    rc = solve(s, pb, (const double (*)[CX_OPT_MAX_DECISIONS])x0, n_starts, true);
    r->found = s->found;
    if (s->has_best)
        r->best = s->best;
    if (s->has_best)
        r->has_runner = runner_up(s, &r->runner);
    return rc;
}

int cx_opt_run(cx_opt_result **out, const cx_scenario *sc, const cx_opt_opts *o, char *err,
               size_t err_len)
{
    *out = NULL;
    double t0 = cx_study_now_s();
    cx_opt_evaluator *ev = NULL, *cev = NULL;
    cx_engine_opts co = o->engine;
    int rc = cx_opt_evaluator_new(&ev, sc, &o->engine, err, err_len);
    if (rc != 0)
        return rc;
    cx_opt_result *r = calloc(1, sizeof *r);
    search s = {.ev = ev, .spec = sc->optimize, .o = o};
    if (!r) {
        cx_opt_evaluator_free(ev);
        return CX_ERR_NOMEM;
    }
    r->spec = sc->optimize;
    r->seed = o->engine.seed;
    r->paths = o->engine.paths;
    r->check_paths = co.paths = o->check_paths ? o->check_paths : 4 * o->engine.paths;
    r->check_seed = co.seed = o->check_seed ? o->check_seed : o->engine.seed + 1;
    r->setup_s = cx_study_now_s() - t0;
    double base_x[CX_OPT_MAX_DECISIONS] = {0};
    base_values(sc, base_x);
    rc = search_all(r, &s, sc, base_x);
    r->evaluations = ev->runs;
    r->search_s = cx_study_now_s() - t0 - r->setup_s;
    if (rc == CX_ERR_INTERRUPTED) {
        r->interrupted = true;
        rc = 0;
    } else if (rc == 0 && s.has_best) {
        double t1 = cx_study_now_s();
        rc = cx_opt_evaluator_new(&cev, sc, &co, err, err_len);
        if (rc == 0)
            rc = check_all(r, cev, base_x);
        if (rc == 0 && o->frontier >= 2 && sc->optimize->n_constraints > 0 && r->found)
            rc = frontier(r, &s, cev, o->frontier);
        r->evaluations = ev->runs;
        r->check_s = cx_study_now_s() - t1;
        if (rc == CX_ERR_INTERRUPTED) {
            r->interrupted = true;
            rc = 0;
        }
    }
    free(s.cache);
    cx_opt_evaluator_free(cev);
    cx_opt_evaluator_free(ev);
    if (rc != 0) {
        if (err && !err[0])
            cx_set_err(err, err_len, "optimize: %s", cx_strerror(rc));
        cx_opt_result_free(r);
        return rc;
    }
    r->elapsed_s = cx_study_now_s() - t0;
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------ JSON */

const char *cx_opt_decision_name(const cx_scenario *sc, int d, char *buf, size_t n)
{
    const cx_opt_decision *dc = &sc->optimize->decision[d];
    if (dc->switch_deal < 0)
        return sc->inputs[dc->input].name;
    snprintf(buf, n, "deals.signed.%s.cancellable", sc->deals.signed_deals[dc->switch_deal].name);
    return buf;
}

static json_t *ci_json(const cx_opt_ci *c)
{
    if (isnan(c->lo) || isnan(c->hi))
        return json_pack("{s:o, s:n}", "value", cx_study_json_num(c->value), "ci95");
    return json_pack("{s:o, s:[o, o]}", "value", cx_study_json_num(c->value), "ci95",
                     cx_study_json_num(c->lo), cx_study_json_num(c->hi));
}

static json_t *stat_spec_json(const cx_opt_stat *st)
{
    json_t *j = json_pack("{s:s, s:s}", "metric", cx_metric_names[st->metric], "stat", st->label);
    if (j && st->kind == CX_OPT_P_EXCEED)
        json_object_set_new(j, "threshold", cx_study_json_num(st->threshold));
    return j;
}

static json_t *decisions_json(const cx_scenario *sc, const double *x)
{
    char name[256];
    json_t *j = json_object();
    for (int d = 0; j && d < sc->optimize->n_decisions; d++)
        json_object_set_new(j, cx_opt_decision_name(sc, d, name, sizeof name),
                            cx_study_json_num(x[d]));
    return j;
}

/* A point: its decisions, the search sample's statistics, and (after the check) the fresh
 * sample's with CIs and whether each constraint holds. */
static json_t *point_json(const cx_opt_result *r, const cx_scenario *sc, const cx_opt_point *p,
                          const cx_opt_check *c)
{
    const cx_optimize *sp = sc->optimize;
    json_t *cons = json_array();
    json_t *j = json_pack("{s:o, s:i, s:b, s:o}", "decisions", decisions_json(sc, p->x), "start",
                          p->start, "feasible_on_search_sample", p->violation == 0,
                          "search_objective", cx_study_json_num(p->stat[0]));
    for (int k = 0; cons && k < sp->n_constraints; k++) {
        const cx_opt_constraint *cn = &sp->constraint[k];
        json_t *e = r->checked ? ci_json(&c->stat[1 + k])
                               : json_pack("{s:o, s:n}", "value",
                                           cx_study_json_num(p->stat[1 + k]), "ci95");
        json_t *ss = stat_spec_json(&cn->stat);
        json_object_update(e, ss);
        json_decref(ss);
        json_object_set_new(e, cn->upper ? "max" : "min", cx_study_json_num(cn->bound));
        json_object_set_new(e, "search_value", cx_study_json_num(p->stat[1 + k]));
        json_object_set_new(e, "holds", json_boolean(r->checked && c->holds[k]));
        json_object_set_new(e, "meets", json_boolean(r->checked ? c->meets[k]
                                                                : meets(cn, p->stat[1 + k])));
        json_array_append_new(cons, e);
    }
    json_object_set_new(j, "objective", r->checked ? ci_json(&c->stat[0])
                                                   : json_pack("{s:o, s:n}", "value",
                                                               cx_study_json_num(p->stat[0]),
                                                               "ci95"));
    json_object_set_new(j, "constraints", cons);
    return j;
}

static json_t *diff_json(const cx_optimize *sp, const cx_opt_ci *d)
{
    json_t *cons = json_array();
    for (int k = 0; k < sp->n_constraints; k++)
        json_array_append_new(cons, ci_json(&d[1 + k]));
    return json_pack("{s:o, s:o}", "objective", ci_json(&d[0]), "constraints", cons);
}

static json_t *problem_json(const cx_scenario *sc)
{
    const cx_optimize *sp = sc->optimize;
    json_t *dec = json_array(), *cons = json_array();
    char name[256];
    for (int d = 0; d < sp->n_decisions; d++) {
        const cx_opt_decision *dc = &sp->decision[d];
        json_array_append_new(dec, json_pack("{s:s, s:o, s:o, s:b}", "input",
                                             cx_opt_decision_name(sc, d, name, sizeof name), "low",
                                             cx_study_json_num(dc->low), "high",
                                             cx_study_json_num(dc->high), "integer",
                                             dc->integer));
    }
    for (int k = 0; k < sp->n_constraints; k++) {
        json_t *e = stat_spec_json(&sp->constraint[k].stat);
        json_object_set_new(e, sp->constraint[k].upper ? "max" : "min",
                            cx_study_json_num(sp->constraint[k].bound));
        json_array_append_new(cons, e);
    }
    json_t *obj = stat_spec_json(&sp->objective);
    json_object_set_new(obj, "sense", json_string(sp->maximize ? "max" : "min"));
    return json_pack("{s:o, s:o, s:o}", "decisions", dec, "objective", obj, "constraints", cons);
}

static json_t *frontier_json(const cx_opt_result *r, const cx_scenario *sc)
{
    json_t *a = json_array();
    for (int i = 0; i < r->n_frontier; i++) {
        const cx_opt_frontier_pt *f = &r->frontier[i];
        json_array_append_new(
            a, json_pack("{s:o, s:b, s:o, s:o, s:o, s:b}", "bound", cx_study_json_num(f->bound),
                         "found", f->found, "decisions", decisions_json(sc, f->point.x),
                         "objective", ci_json(&f->check.stat[0]), "constraint",
                         ci_json(&f->check.stat[1]), "holds", f->check.holds[0]));
    }
    return a;
}

json_t *cx_opt_result_json(const cx_opt_result *r, const cx_scenario *sc)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:i, s:I, s:b, s:b}",
                          "study", "optimize", "scenario", sc->name ? sc->name : "",
                          "scenario_sha256", sc->sha256, "version", CX_VERSION, "seed",
                          (json_int_t)r->seed, "paths", (json_int_t)r->paths, "check_seed",
                          (json_int_t)r->check_seed, "check_paths", (json_int_t)r->check_paths,
                          "method", r->method ? r->method : "cobyla", "starts", r->starts,
                          "evaluations", (json_int_t)r->evaluations, "complete",
                          !r->interrupted, "found", r->found);
    if (!j)
        return NULL;
    json_object_set_new(j, "problem", problem_json(sc));
    json_object_set_new(j, "best", point_json(r, sc, &r->best, &r->best_chk));
    json_object_set_new(j, "runner_up", r->has_runner
                                            ? point_json(r, sc, &r->runner, &r->runner_chk)
                                            : json_null());
    json_object_set_new(j, "baseline", point_json(r, sc, &r->baseline, &r->base_chk));
    if (r->checked) {
        json_t *d = json_object();
        json_object_set_new(d, "best_minus_baseline", diff_json(sc->optimize, r->diff_base));
        json_object_set_new(d, "best_minus_runner_up",
                            r->has_runner ? diff_json(sc->optimize, r->diff_runner)
                                          : json_null());
        json_object_set_new(j, "paired_difference", d);
    }
    if (r->frontier)
        json_object_set_new(j, "frontier", frontier_json(r, sc));
    double search_t = r->search_s > 0 ? r->search_s : NAN;
    json_object_set_new(
        j, "timing",
        json_pack("{s:o, s:o, s:o, s:o, s:o}", "setup_s", cx_study_json_num(r->setup_s),
                  "search_s", cx_study_json_num(r->search_s), "check_s",
                  cx_study_json_num(r->check_s), "elapsed_s", cx_study_json_num(r->elapsed_s),
                  "evaluations_per_s", cx_study_json_num((double)r->evaluations / search_t)));
    return j;
}
