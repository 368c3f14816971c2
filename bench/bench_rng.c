/* SPDX-License-Identifier: MIT */
/* Benchmark: the RNG-bound reference of a path (its variates alone) against a full path. */
/*
 * How close is a path to the cost of its random numbers? A path's inputs come from its
 * block's cx_pcg64 stream (normals by the ziggurat cx_normal, one 64-bit output per attempt
 * plus more in its rare slow branch; uniforms one output each); the model's per-month
 * randomness from the path's own pcg32 stream (models/month.c, "Random draws of a path"):
 * a uniform or a ziggurat attempt is two 32-bit outputs there. Three steps.
 *
 * 1. Steps per normal, on each generator: a generator is stepped one output at a time
 *    beside a copy that draws normals; the count of outputs each normal consumed gives
 *    their mean and sd over 10^6 (--quick) or 10^7 normals.
 * 2. Exact counts per path, for the inputs (cx_sampler_draw) and the model (cx_model_path)
 *    separately, by stepping a copy of the state from before the part until it equals the
 *    state after it (the model: its path stream, rebuilt from the one pcg64 output that
 *    keys it, to the lane's state after the path).
 *    - inputs (sim/input/sampler.c, its draw order): one normal per copula row
 *      (cx_sampler_work_size); then per input in no correlation pair, not fixed: one normal
 *      when it maps a normal score through a table (cx_sampler_table_error >= 0) or is
 *      normal/lognormal, one uniform when it is uniform, triangular, bernoulli or discrete;
 *      a beta, PERT or gamma without a table uses GSL's exact sampler, whose draws are not
 *      counted by kind (the record says "exact": false then).
 *    - model: uniforms 1 to 3 (MSL, TaaS, one per signed deal), one normal per month
 *      t = 1 .. H-1 when the price matters, and one-uniform draws. Its normals are
 *      interleaved with the month's deal draws, so they are not replayed: the model's
 *      uniforms are its outputs less the normals' expected outputs, halved (a mean,
 *      "model_uniforms_exact": false). The program fails when a path's model consumed fewer
 *      outputs than its documented draws need, or draws differently with a trace.
 *    Since issue 23 item 8 the inputs take exactly one output of the block stream a path
 *    (the path key; each input then draws from its own keyed stream, sim/rng/pcg.h): the
 *    program fails when a path's inputs took any other number. The keyed streams' outputs
 *    are not observable from here: normal_steps_z_inputs is 0 (the calibration of step 1
 *    still gives the ziggurat's outputs per normal).
 * 3. Timings, best of reps, ns per path: the reference is, per path, that many normals and
 *    uniforms on each generator (the mean counts; fractions carried from path to path),
 *    summed into a sink: no model logic, no accumulation. Then the same paths' inputs
 *    alone (path by path, and in batches of lanes as the engine draws them), inputs plus
 *    model one path at a time (no accumulation), and the full engine at
 *    one thread, in batches of lanes (what bench_paths times); ratio = full / reference.
 */
#include "bench/bench.h"

#include <math.h>

#include <gsl/gsl_rng.h>

#include "models/lanes.h"
#include "models/trace.h"
#include "sim/engine/engine.h"
#include "sim/rng/normal.h"
#include "sim/rng/pcg.h"
#include "sim/input/sampler.h"

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

/* The same for a path stream. */
static uint64_t steps_between32(cx_pcg32 a, const cx_pcg32 *b)
{
    uint64_t n = 0;
    while (a.state != b->state && n < STEP_CAP) {
        (void)cx_pcg32_next(&a);
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

/* Price normals of a path: H - 1 when the price matters (models/month.c, draw 4). */
static int price_normals(const cx_scenario *sc, bool used)
{
    return used ? sc->horizon_months - 1 : 0;
}

/* Step 1 for a path stream: 32-bit outputs per cx_normal32. */
static void calibrate32(uint64_t n, double *mean, double *sd, volatile double *sink)
{
    cx_pcg32 g, shadow;
    cx_pcg32_path_stream(&g, 7, 0, 0);
    shadow = g;
    double s = 0, s1 = 0, s2 = 0;
    for (uint64_t i = 0; i < n; i++) {
        s += cx_normal32(&g);
        double k = 0;
        while (shadow.state != g.state) {
            (void)cx_pcg32_next(&shadow);
            k++;
        }
        s1 += k;
        s2 += k * k;
    }
    *sink += s;
    *mean = s1 / (double)n;
    *sd = sqrt(fmax(0.0, (s2 - s1 * s1 / (double)n) / (double)(n - 1)));
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
    double *xb = calloc(CX_MODEL_LANES * ((size_t)n_in + 1), sizeof *xb);
    double *wb = calloc(CX_MODEL_LANES * (size_t)cx_sampler_work_size(sc->sampler) + 1,
                        sizeof *wb);
    cx_scratch *scr = NULL;
    cx_trace *tr = NULL;
    cx_path_result *res = malloc(sizeof *res);
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    gsl_rng *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    if (!x || !work || !xb || !wb || !res || !r || !r2 || cx_scratch_new(&scr, m) < 0 ||
        cx_trace_new(&tr, 100000) < 0)
        fail("out of memory");
    cx_pcg64 *g = cx_rng_pcg64(r), *g2 = cx_rng_pcg64(r2);
    volatile double sink = 0;

    /* Step 1. */
    double spn, spn_sd, spn32, spn32_sd;
    const uint64_t n_cal = o.quick ? 1000000 : 10000000;
    calibrate(n_cal, &spn, &spn_sd, &sink);
    calibrate32(n_cal, &spn32, &spn32_sd, &sink);

    /* Step 2. */
    const input_plan ip = plan_inputs(sc);
    const bool used = price_used(sc);
    /* issue 20: the once-per-path outcomes are inputs (counted with them); the model draws
     * only its per-month randomness, from its two streams (price path, deal events) */
    const int k_pre = 0;
    const uint64_t n_count = o.quick ? 20000 : 200000;
    double st_in = 0, st_mo = 0;      /* outputs consumed by the inputs; by the model (32-bit) */
    double nn_mo = 0;                 /* model normals */
    int traced = 0;
    gsl_rng_set(r, 11);
    for (uint64_t p = 0; p < n_count; p++) {
        const cx_pcg64 before = *g;
        cx_sampler_draw(sc->sampler, r, x, work);
        const cx_pcg64 mid = *g;
        cx_model_path(m, x, r, scr, res, NULL);
        sink += res->metric[0];
        /* the path stream: keyed by one output of r (cx_model_path), ends in lane 0 */
        cx_pcg64 key = mid;
        cx_path_streams p0;
        cx_model_streams_of_key(&p0, cx_pcg64_next(&key));
        const cx_pcg32 p1 = cx_lane_stream(scr, 0), p1e = cx_lane_events_stream(scr, 0);
        uint64_t s_in = steps_between(before, &mid), s_pr = steps_between32(p0.price, &p1),
                 s_ev = steps_between32(p0.events, &p1e);
        uint64_t s_mo = s_pr + s_ev;
        if (s_in == STEP_CAP || s_pr == STEP_CAP || s_ev == STEP_CAP ||
            steps_between(mid, g) != 1)
            fail("a part of a path consumed no outputs it could be matched to");
        if (s_in != 1)
            fail("the inputs took other than one output (the path key) of the block stream");
        int nz = price_normals(sc, used);
        if ((uint64_t)(2 * k_pre + 2 * nz) > s_mo)
            fail("the model consumed fewer outputs than its documented draws");
        if (p < TRACE_PATHS) {
            /* the same path with a trace: the same draws */
            *g2 = mid;
            cx_model_path(m, x, r2, scr, res, tr);
            const cx_pcg32 p2 = cx_lane_stream(scr, 0), p2e = cx_lane_events_stream(scr, 0);
            if (p2.state != p1.state || p2e.state != p1e.state)
                fail("the model draws differently with a trace");
            traced++;
        }
        st_in += (double)s_in;
        st_mo += (double)s_mo;
        nn_mo += nz;
    }
    const double P_c = (double)n_count;
    const bool exact = ip.exact_other == 0;
    const double in_normals = ip.normals, mo_normals = nn_mo / P_c;
    const double mo_uniforms = (st_mo / P_c - mo_normals * spn32) / 2.0;
    /* inputs drawn by GSL's samplers: counted with the uniforms (their outputs, in keyed
     * streams, are not observed) */
    const double in_uniforms = ip.uniforms;
    const double normals = in_normals + mo_normals, uniforms = in_uniforms + mo_uniforms;

    const double z_in = 0; /* not measured since the keyed streams (the note at the top) */
    bench_emit(json_pack(
        "{s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:f, s:i, s:b, "
        "s:b}",
        "bench", "variates_per_path", "scenario", sc->name, "paths", (json_int_t)n_count,
        "input_normals", in_normals, "input_uniforms", in_uniforms, "model_normals",
        mo_normals, "model_uniforms", mo_uniforms, "normals", normals, "uniforms", uniforms,
        "input_steps", st_in / P_c, "model_steps32", st_mo / P_c, "steps_per_normal", spn,
        "steps32_per_normal32", spn32, "calibration_normals", (json_int_t)n_cal,
        "normal_steps_z_inputs", z_in, "trace_checked_paths", traced, "exact", exact,
        "model_uniforms_exact", 0));

    /* Step 3: timings, best of reps, ns per path. */
    const uint64_t P = o.paths;
    double t_ref = INFINITY, t_in = INFINITY, t_inb = INFINITY, t_inm = INFINITY,
           t_full = INFINITY;
    for (int k = 0; k < o.reps; k++) {
        cx_pcg64 h;
        cx_pcg64_stream(&h, 5, 0);
        cx_pcg32 h32;
        cx_pcg32_path_stream(&h32, 5, 0, 0);
        double acc_n = 0, acc_u = 0, acc_n2 = 0, acc_u2 = 0, s = 0;
        double t0 = bench_now();
        for (uint64_t p = 0; p < P; p++) {
            /* the mean counts, spread over paths (fractions carried over) */
            acc_n += in_normals;
            acc_u += in_uniforms;
            acc_n2 += mo_normals;
            acc_u2 += mo_uniforms;
            int nn = (int)acc_n, nu = (int)acc_u, nn2 = (int)acc_n2, nu2 = (int)acc_u2;
            acc_n -= nn;
            acc_u -= nu;
            acc_n2 -= nn2;
            acc_u2 -= nu2;
            for (int i = 0; i < nn; i++)
                s += cx_normal(&h);
            for (int i = 0; i < nu; i++)
                s += cx_pcg64_uniform(&h);
            for (int i = 0; i < nn2; i++)
                s += cx_normal32(&h32);
            for (int i = 0; i < nu2; i++)
                s += cx_pcg32_uniform(&h32);
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

        /* the same paths' inputs a batch of CX_MODEL_LANES at a time, as the engine draws
         * them (cx_sampler_draw_batch: the same numbers) */
        gsl_rng_set(r, 5);
        t0 = bench_now();
        for (uint64_t p = 0; p < P; p += CX_MODEL_LANES) {
            const int nb = P - p < CX_MODEL_LANES ? (int)(P - p) : CX_MODEL_LANES;
            cx_sampler_draw_batch(sc->sampler, NULL, r, nb, xb, (size_t)n_in + 1, p > 0, wb);
            sink += xb[0];
        }
        t_inb = fmin(t_inb, bench_now() - t0);

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
    bench_emit(json_pack("{s:s, s:s, s:I, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "bench",
                         "rng_reference", "scenario", sc->name, "paths", (json_int_t)P, "reps",
                         o.reps, "normals_per_path", normals, "uniforms_per_path", uniforms,
                         "steps_per_path", st_in / P_c + st_mo / P_c, "reference_ns_per_path", t_ref * ns,
                         "inputs_ns_per_path", t_in * ns, "inputs_batch_ns_per_path",
                         t_inb * ns, "inputs_model_ns_per_path",
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
    free(xb);
    free(wb);
    cx_model_free(m);
    cx_scenario_free(sc);
    return 0;
}
