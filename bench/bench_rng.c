/* SPDX-License-Identifier: MIT */
/* Benchmark: the RNG-bound reference of a path (its variates alone) against a full path. */
/*
 * How close is a path to the cost of its random numbers? Every variate of a path comes
 * from one cx_pcg64 stream, inline: normals by the ziggurat cx_normal (sim/normal.h), which
 * takes one 64-bit output per attempt plus one or more in its rare slow branch, and
 * uniforms by cx_pcg64_uniform(_pos), one output each. Three steps.
 *
 * 1. Steps per normal. A generator is stepped one output at a time beside a copy that draws
 *    cx_normal: the count of outputs each normal consumed gives their mean and sd over
 *    10^6 (--quick) or 10^7 normals.
 * 2. Exact counts per path, for the inputs (cx_sampler_draw) and the model (cx_model_path)
 *    separately. The outputs a part consumed are counted exactly by stepping a copy of the
 *    state from before the part until it equals the state after it. The normals come from
 *    what draws them:
 *    - inputs (sim/sampler.c, its draw order): one normal per copula row
 *      (cx_sampler_work_size); then per input in no correlation pair, not fixed: one normal
 *      when it maps a normal score through a table (cx_sampler_table_error >= 0) or is
 *      normal/lognormal, one uniform when it is uniform, triangular, bernoulli or discrete;
 *      a beta, PERT or gamma without a table uses GSL's exact sampler, whose draws are not
 *      counted by kind (the record says "exact": false then).
 *    - model (models/model.c, "Random draws of a path"): uniforms 1 to 3 (MSL, TaaS, one per
 *      signed deal), then one normal per month t = 1 .. H-1 when the path's price moves,
 *      then only one-output draws. So the price normals are replayed on a copy of the state
 *      after those uniforms: the outputs they consumed are known exactly, and the model's
 *      uniforms are the rest, an exact integer per path. On the first paths the model is
 *      run again with a trace: its end state must be the same, and its prices must be the
 *      ones the replayed normals give (log P(t) = log P(t-1) + drift' + sd' z_t): that
 *      checks where the normals are and how many.
 *    Consistency: the outputs that the counted normals consumed (inputs: the part's steps
 *    less its uniforms; model: the replay) must equal normals x steps per normal within
 *    5 standard errors (sd per normal x sqrt(normals)); the program fails otherwise, so a
 *    count that went wrong breaks the benchmark and CI.
 * 3. Timings, best of reps, ns per path: the reference is, per path, that many cx_normal
 *    and cx_pcg64_uniform calls on one cx_pcg64 (the mean counts; fractions carried from
 *    path to path), summed into a sink: no model logic, no accumulation. Then the same
 *    paths' inputs alone, inputs plus model (no accumulation), and the full engine at one
 *    thread (what bench_paths times); ratio = full / reference.
 */
#include "bench/bench.h"

#include <math.h>

#include <gsl/gsl_rng.h>

#include "models/trace.h"
#include "sim/engine.h"
#include "sim/normal.h"
#include "sim/pcg.h"
#include "sim/sampler.h"

/* Paths whose model is re-run with a trace to check the price normals. */
#define TRACE_PATHS 1000
/* A part of a path never consumes this many outputs: more means the states never met. */
#define STEP_CAP (1u << 24)

/* Outputs from state a to state b (b reached from a by stepping), or STEP_CAP. */
static uint64_t steps_between(cx_pcg64 a, const cx_pcg64 *b)
{
    uint64_t n = 0;
    while (a.state != b->state && n < STEP_CAP) {
        (void)cx_pcg64_next(&a);
        n++;
    }
    return n;
}

static void fail(const char *msg)
{
    fprintf(stderr, "bench_rng: %s\n", msg);
    exit(1);
}

/* Draws of one path's inputs by kind (step 2 of the note). */
typedef struct input_plan {
    int normals, uniforms, exact_other; /* exact_other: inputs drawn by GSL's samplers */
} input_plan;

static input_plan plan_inputs(const cx_scenario *sc)
{
    input_plan p = {cx_sampler_work_size(sc->sampler), 0, 0};
    for (int i = 0; i < sc->n_inputs; i++) {
        bool paired = false;
        for (int k = 0; k < sc->n_corr; k++)
            paired |= sc->corr[k].a == i || sc->corr[k].b == i;
        const cx_dist *d = &sc->inputs[i].dist;
        if (paired || cx_dist_is_fixed(d))
            continue; /* copula row (counted above) or a copied value */
        if (cx_sampler_table_error(sc->sampler, i) >= 0.0)
            p.normals++;
        else if (d->family == CX_DIST_NORMAL || d->family == CX_DIST_LOGNORMAL)
            p.normals++;
        else if (d->family == CX_DIST_PERT || d->family == CX_DIST_BETA ||
                 d->family == CX_DIST_GAMMA)
            p.exact_other++;
        else
            p.uniforms++;
    }
    return p;
}

/* Whether the price matters to the scenario (models/model.c, draw 4: IaaS, spot deals, or a
 * cancellable signed deal with a hazard_price not fixed at 0). */
static bool price_used(const cx_scenario *sc)
{
    bool cancellable = false;
    for (int i = 0; i < sc->deals.n_signed; i++)
        cancellable |= sc->deals.signed_deals[i].cancellable;
    const cx_dist *hp = &sc->inputs[sc->deals.hazard_price].dist;
    bool hp_zero = cx_dist_is_fixed(hp) && cx_dist_lower(hp) == 0.0;
    return sc->iaas.enabled || sc->deals.spot.present || (cancellable && !hp_zero);
}

/* Price normals of a path with inputs x: H - 1 when its price moves with a volatility. */
static int price_normals(const cx_scenario *sc, bool used, const double *x)
{
    double sd = x[sc->market.vol] / sqrt(12.0);
    return used && x[sc->market.price0] > 0.0 && sd != 0.0 ? sc->horizon_months - 1 : 0;
}

/* Step 1: mean and sd of the outputs one cx_normal consumes, over n normals. */
static void calibrate(uint64_t n, double *mean, double *sd, volatile double *sink)
{
    cx_pcg64 g, shadow;
    cx_pcg64_stream(&g, 7, 0);
    shadow = g;
    double s = 0, s1 = 0, s2 = 0;
    for (uint64_t i = 0; i < n; i++) {
        s += cx_normal(&g);
        double k = 0;
        while (shadow.state != g.state) {
            (void)cx_pcg64_next(&shadow);
            k++;
        }
        s1 += k;
        s2 += k * k;
    }
    *sink += s;
    *mean = s1 / (double)n;
    *sd = sqrt(fmax(0.0, (s2 - s1 * s1 / (double)n) / (double)(n - 1)));
}

/* The model's prices from the replayed normals z against the trace's; false on a mismatch. */
static bool prices_match(const cx_scenario *sc, const double *x, const double *z, int nz,
                         const cx_trace *tr)
{
    /* the model's arithmetic (models/model.c, price path) */
    const double vol = x[sc->market.vol];
    const double log_drift = (x[sc->market.drift] - 0.5 * vol * vol) / 12.0;
    const double log_sd = vol / sqrt(12.0);
    double logp = log(x[sc->market.price0]);
    if (tr->months != nz + 1)
        return false;
    for (int t = 1; t <= nz; t++) {
        logp += log_drift;
        logp += log_sd * z[t - 1];
        double p = exp(logp), q = tr->month[t].price;
        if (!(fabs(p - q) <= 1e-9 * fabs(p)))
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(&o, argc, argv, 400000, 1 << 15);
    cx_scenario *sc;
    cx_model *m;
    bench_load(o.scenario, &sc, &m);
    bench_machine_record("bench_rng");

    const int n_in = sc->n_inputs;
    double *x = calloc((size_t)n_in + 1, sizeof *x);
    double *work = calloc((size_t)cx_sampler_work_size(sc->sampler) + 1, sizeof *work);
    double *z = calloc((size_t)sc->horizon_months + 1, sizeof *z);
    cx_scratch *scr = NULL;
    cx_trace *tr = NULL;
    cx_path_result *res = malloc(sizeof *res);
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    if (!x || !work || !z || !res || !r || !r2 || cx_scratch_new(&scr, m) < 0 ||
        cx_trace_new(&tr, 100000) < 0)
        fail("out of memory");
    cx_pcg64 *g = cx_rng_pcg64(r), *g2 = cx_rng_pcg64(r2);
    volatile double sink = 0;

    /* Step 1. */
    double spn, spn_sd;
    const uint64_t n_cal = o.quick ? 1000000 : 10000000;
    calibrate(n_cal, &spn, &spn_sd, &sink);

    /* Step 2. */
    const input_plan ip = plan_inputs(sc);
    const bool used = price_used(sc);
    const int k_pre = (sc->msl.present ? 1 : 0) + (sc->taas.present ? 1 : 0) + sc->deals.n_signed;
    const uint64_t n_count = o.quick ? 20000 : 200000;
    double st_in = 0, st_mo = 0;      /* outputs consumed by the inputs, by the model */
    double nst_in = 0, nst_mo = 0;    /* of which by normals (inputs: steps less uniforms) */
    double nn_mo = 0, nu_mo = 0;      /* model normals and uniforms */
    int traced = 0;
    gsl_rng_set(r, 11);
    for (uint64_t p = 0; p < n_count; p++) {
        const cx_pcg64 before = *g;
        cx_sampler_draw(sc->sampler, r, x, work);
        const cx_pcg64 mid = *g;
        cx_model_path(m, x, r, scr, res, NULL);
        sink += res->metric[0];
        uint64_t s_in = steps_between(before, &mid), s_mo = steps_between(mid, g);
        if (s_in == STEP_CAP || s_mo == STEP_CAP)
            fail("a part of a path consumed no outputs it could be matched to");

        /* the price normals, replayed after uniforms 1 to 3 */
        int nz = price_normals(sc, used, x);
        cx_pcg64 sh = mid;
        for (int k = 0; k < k_pre; k++)
            (void)cx_pcg64_next(&sh);
        const cx_pcg64 sh0 = sh;
        for (int k = 0; k < nz; k++)
            z[k] = cx_normal(&sh);
        uint64_t ns = steps_between(sh0, &sh);
        if ((uint64_t)k_pre + ns > s_mo)
            fail("the model consumed fewer outputs than its documented draws");

        if (p < TRACE_PATHS) {
            /* the same path with a trace: same draws, and prices from these normals */
            *g2 = mid;
            cx_model_path(m, x, r2, scr, res, tr);
            if (g2->state != g->state)
                fail("the model draws differently with a trace");
            if (nz > 0 && !prices_match(sc, x, z, nz, tr))
                fail("the trace's prices are not those of the replayed price normals");
            traced++;
        }

        st_in += (double)s_in;
        st_mo += (double)s_mo;
        if (ip.exact_other == 0)
            nst_in += (double)s_in - ip.uniforms;
        nst_mo += (double)ns;
        nn_mo += nz;
        nu_mo += (double)(s_mo - ns);
    }
    const double P_c = (double)n_count;
    const bool exact = ip.exact_other == 0;
    const double in_normals = ip.normals, mo_normals = nn_mo / P_c, mo_uniforms = nu_mo / P_c;
    /* inputs drawn by GSL's samplers: their outputs go with the uniforms (mean count) */
    const double in_uniforms = exact ? ip.uniforms : st_in / P_c - in_normals * spn;
    const double normals = in_normals + mo_normals, uniforms = in_uniforms + mo_uniforms;
    const double steps = (st_in + st_mo) / P_c;

    /* Consistency (5 SE): outputs of the counted normals against normals x steps per normal.
     * For N normals the difference has variance sd^2 (N + N^2 / n_cal): the N normals'
     * own spread plus the calibrated mean's. */
    const double cal = (double)n_cal;
    double z_in = 0, z_mo = 0;
    if (exact && ip.normals > 0) {
        double n = in_normals * P_c;
        z_in = (nst_in - n * spn) / (spn_sd * sqrt(n + n * n / cal));
    }
    if (nn_mo > 0)
        z_mo = (nst_mo - nn_mo * spn) / (spn_sd * sqrt(nn_mo + nn_mo * nn_mo / cal));
    /* per path: steps = normals x steps per normal + uniforms, within 5 SE of the mean */
    const double residual = steps - (normals * spn + uniforms);
    const double bound = 5.0 * spn_sd * sqrt(normals / P_c + normals * normals / cal);
    bench_emit(json_pack(
        "{s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:f, s:f, s:f, s:f, "
        "s:i, s:b}",
        "bench", "variates_per_path", "scenario", sc->name, "paths", (json_int_t)n_count,
        "input_normals", in_normals, "input_uniforms", in_uniforms, "model_normals",
        mo_normals, "model_uniforms", mo_uniforms, "normals", normals, "uniforms", uniforms,
        "steps", steps, "steps_per_normal", spn, "steps_per_normal_sd", spn_sd,
        "calibration_normals", (json_int_t)n_cal, "normal_steps_z_inputs", z_in,
        "normal_steps_z_model", z_mo, "residual_steps", residual, "residual_bound_5se", bound,
        "trace_checked_paths", traced, "exact", exact));
    if (!(fabs(z_in) <= 5.0) || !(fabs(z_mo) <= 5.0) || !(fabs(residual) <= bound))
        fail("the normals' outputs do not match normals x steps per normal (> 5 SE)");

    /* Step 3: timings, best of reps, ns per path. */
    const uint64_t P = o.paths;
    double t_ref = INFINITY, t_in = INFINITY, t_inm = INFINITY, t_full = INFINITY;
    for (int k = 0; k < o.reps; k++) {
        cx_pcg64 h;
        cx_pcg64_stream(&h, 5, 0);
        double acc_n = 0, acc_u = 0, s = 0;
        double t0 = bench_now();
        for (uint64_t p = 0; p < P; p++) {
            /* the mean counts, spread over paths (fractions carried over) */
            acc_n += normals;
            acc_u += uniforms;
            int nn = (int)acc_n, nu = (int)acc_u;
            acc_n -= nn;
            acc_u -= nu;
            for (int i = 0; i < nn; i++)
                s += cx_normal(&h);
            for (int i = 0; i < nu; i++)
                s += cx_pcg64_uniform(&h);
        }
        t_ref = fmin(t_ref, bench_now() - t0);
        sink += s;

        gsl_rng_set(r, 5);
        t0 = bench_now();
        for (uint64_t p = 0; p < P; p++) {
            cx_sampler_draw(sc->sampler, r, x, work);
            sink += x[0];
        }
        t_in = fmin(t_in, bench_now() - t0);

        gsl_rng_set(r, 5);
        t0 = bench_now();
        for (uint64_t p = 0; p < P; p++) {
            cx_sampler_draw(sc->sampler, r, x, work);
            cx_model_path(m, x, r, scr, res, NULL);
            sink += res->metric[0];
        }
        t_inm = fmin(t_inm, bench_now() - t0);

        cx_engine_opts eo;
        cx_engine_opts_init(&eo, sc);
        eo.paths = P;
        eo.threads = 1;
        cx_run *run = NULL;
        t0 = bench_now();
        int rc = cx_engine_run(&run, sc, m, &eo);
        double t = bench_now() - t0;
        if (rc < 0) {
            fprintf(stderr, "bench_rng: engine failed: %s\n", cx_strerror(rc));
            return 1;
        }
        cx_run_free(run);
        t_full = fmin(t_full, t);
    }
    const double ns = 1e9 / (double)P;
    bench_emit(json_pack("{s:s, s:s, s:I, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "bench",
                         "rng_reference", "scenario", sc->name, "paths", (json_int_t)P, "reps",
                         o.reps, "normals_per_path", normals, "uniforms_per_path", uniforms,
                         "steps_per_path", steps, "reference_ns_per_path", t_ref * ns,
                         "inputs_ns_per_path", t_in * ns, "inputs_model_ns_per_path",
                         t_inm * ns, "full_ns_per_path", t_full * ns));
    bench_emit(json_pack("{s:s, s:s, s:i, s:f, s:f, s:f}", "bench", "full_over_reference",
                         "scenario", sc->name, "threads", 1, "full_ns_per_path", t_full * ns,
                         "reference_ns_per_path", t_ref * ns, "ratio", t_full / t_ref));
    if (sink == 42.0)
        fprintf(stderr, "\n"); /* keeps the sums alive */

    gsl_rng_free(r);
    gsl_rng_free(r2);
    cx_trace_free(tr);
    cx_scratch_free(scr);
    free(res);
    free(x);
    free(work);
    free(z);
    cx_model_free(m);
    cx_scenario_free(sc);
    return 0;
}
