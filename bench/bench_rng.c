/* SPDX-License-Identifier: MIT */
/* Benchmark: the RNG-bound reference of a path (its variates alone) against a full path. */
/*
 * How close is a path to the cost of its random numbers? Two steps.
 *
 * 1. Count the variates a path of the scenario draws, exactly, by kind. A counting
 *    gsl_rng type wraps the project's pcg64: its state starts with the cx_pcg64, so the
 *    model's inline draws (cx_rng_pcg64) still work, and it counts calls of get (the
 *    ziggurat's integer draw) and get_double (uniforms drawn through GSL). After each
 *    part of a path (inputs, then model) the generator's steps are counted exactly by
 *    stepping a copy of its state until it matches. Steps = get + get_double + inline
 *    uniforms. The ziggurat sometimes rejects and draws again: a calibration run of 10^6
 *    normals gives its gets and get_doubles per normal, so
 *      normals  = gets / (gets per normal),
 *      uniforms = steps - gets - normals x (get_doubles per normal).
 * 2. Time the reference: per path, that many gsl_ran_gaussian_ziggurat normals and inline
 *    pcg64 uniforms (the generators the product uses), summed into a sink: no model logic,
 *    no accumulation. Then the same paths' inputs alone (cx_sampler_draw), inputs plus
 *    model (no accumulation), and the full engine at one thread; ratio = full / reference.
 */
#include "bench/bench.h"

#include <math.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/engine.h"
#include "sim/pcg.h"
#include "sim/sampler.h"

typedef struct counted {
    cx_pcg64 g; /* first: cx_rng_pcg64(r) must find the generator here */
    uint64_t gets, doubles;
} counted;

static void counted_set(void *state, unsigned long s)
{
    counted *c = state;
    cx_pcg64_stream(&c->g, s, 0);
    c->gets = c->doubles = 0;
}

static unsigned long counted_get(void *state)
{
    counted *c = state;
    c->gets++;
    return cx_pcg64_next(&c->g);
}

static double counted_get_double(void *state)
{
    counted *c = state;
    c->doubles++;
    return cx_pcg64_uniform(&c->g);
}

static const gsl_rng_type counted_type = {
    "counted-pcg64", 0xffffffffffffffffUL, 0UL, sizeof(counted), counted_set, counted_get,
    counted_get_double,
};

/* Steps from state a to state b (b reached from a by stepping), at most cap. */
static uint64_t steps_between(cx_pcg64 a, const cx_pcg64 *b, uint64_t cap)
{
    uint64_t n = 0;
    while (a.state != b->state && n < cap) {
        (void)cx_pcg64_next(&a);
        n++;
    }
    return n;
}

typedef struct counts {
    double normals, uniforms;
} counts;

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
    cx_scratch *scr = NULL;
    cx_path_result *res = malloc(sizeof *res);
    gsl_rng *rc = gsl_rng_alloc(&counted_type);
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    if (!x || !work || !res || !rc || !r || cx_scratch_new(&scr, m) < 0) {
        fprintf(stderr, "bench_rng: out of memory\n");
        return 1;
    }
    counted *c = rc->state;

    /* Calibration: gets and get_doubles per ziggurat normal. */
    gsl_rng_set(rc, 7);
    const int n_cal = 1000000;
    volatile double sink = 0;
    for (int i = 0; i < n_cal; i++)
        sink += gsl_ran_gaussian_ziggurat(rc, 1.0);
    double gets_per_normal = (double)c->gets / n_cal, dbl_per_normal = (double)c->doubles / n_cal;

    /* Step 1: count, for inputs and model separately. */
    const uint64_t n_count = o.quick ? 20000 : 200000;
    double g_in = 0, d_in = 0, s_in = 0, g_mo = 0, d_mo = 0, s_mo = 0;
    gsl_rng_set(rc, 11);
    for (uint64_t p = 0; p < n_count; p++) {
        cx_pcg64 before = c->g;
        uint64_t g0 = c->gets, d0 = c->doubles;
        cx_sampler_draw(sc->sampler, rc, x, work);
        cx_pcg64 mid = c->g;
        uint64_t g1 = c->gets, d1 = c->doubles;
        cx_model_path(m, x, rc, scr, res, NULL);
        s_in += (double)steps_between(before, &mid, 1u << 24);
        s_mo += (double)steps_between(mid, &c->g, 1u << 24);
        g_in += (double)(g1 - g0);
        d_in += (double)(d1 - d0);
        g_mo += (double)(c->gets - g1);
        d_mo += (double)(c->doubles - d1);
    }
    counts in = {g_in / gets_per_normal / n_count, 0}, mo = {g_mo / gets_per_normal / n_count, 0};
    in.uniforms = (s_in - g_in) / n_count - in.normals * dbl_per_normal;
    mo.uniforms = (s_mo - g_mo) / n_count - mo.normals * dbl_per_normal;
    (void)d_in;
    (void)d_mo;
    bench_emit(json_pack("{s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "bench",
                         "variates_per_path", "scenario", sc->name, "paths",
                         (json_int_t)n_count, "input_normals", in.normals, "input_uniforms",
                         in.uniforms, "model_normals", mo.normals, "model_uniforms",
                         mo.uniforms, "ziggurat_gets_per_normal", gets_per_normal,
                         "ziggurat_doubles_per_normal", dbl_per_normal));

    /* Step 2: timings, best of reps, ns per path. */
    const double n_norm = in.normals + mo.normals, n_unif = in.uniforms + mo.uniforms;
    const uint64_t P = o.paths;
    double t_ref = INFINITY, t_in = INFINITY, t_inm = INFINITY, t_full = INFINITY;
    for (int k = 0; k < o.reps; k++) {
        gsl_rng_set(r, 5);
        cx_pcg64 *g = cx_rng_pcg64(r);
        double acc_n = 0, acc_u = 0, s = 0;
        double t0 = bench_now();
        for (uint64_t p = 0; p < P; p++) {
            /* the mean counts, spread evenly over paths (fractions carried over) */
            acc_n += n_norm;
            acc_u += n_unif;
            int nn = (int)acc_n, nu = (int)acc_u;
            acc_n -= nn;
            acc_u -= nu;
            for (int i = 0; i < nn; i++)
                s += gsl_ran_gaussian_ziggurat(r, 1.0);
            for (int i = 0; i < nu; i++)
                s += cx_pcg64_uniform(g);
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
        int rc2 = cx_engine_run(&run, sc, m, &eo);
        double t = bench_now() - t0;
        if (rc2 < 0) {
            fprintf(stderr, "bench_rng: engine failed: %s\n", cx_strerror(rc2));
            return 1;
        }
        cx_run_free(run);
        t_full = fmin(t_full, t);
    }
    const double ns = 1e9 / (double)P;
    bench_emit(json_pack("{s:s, s:s, s:I, s:i, s:f, s:f, s:f, s:f, s:f, s:f}", "bench",
                         "rng_reference", "scenario", sc->name, "paths", (json_int_t)P, "reps",
                         o.reps, "normals_per_path", n_norm, "uniforms_per_path", n_unif,
                         "reference_ns_per_path", t_ref * ns, "inputs_ns_per_path", t_in * ns,
                         "inputs_model_ns_per_path", t_inm * ns, "full_ns_per_path",
                         t_full * ns));
    bench_emit(json_pack("{s:s, s:s, s:i, s:f, s:f, s:f}", "bench", "full_over_reference",
                         "scenario", sc->name, "threads", 1, "full_ns_per_path", t_full * ns,
                         "reference_ns_per_path", t_ref * ns, "ratio", t_full / t_ref));
    if (sink == 42.0)
        fprintf(stderr, "\n"); /* keeps the sums alive */

    gsl_rng_free(rc);
    gsl_rng_free(r);
    cx_scratch_free(scr);
    free(res);
    free(x);
    free(work);
    cx_model_free(m);
    cx_scenario_free(sc);
    return 0;
}
