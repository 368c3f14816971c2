/* SPDX-License-Identifier: MIT */
/* Benchmark: paths/s of the engine at 1 thread on each SIMD path, at all cores, and the efficiency. */
/*
 * Runs the product's engine (cx_engine_run from sim/engine/engine.h, the default input source and
 * no observer: what `capexsim run` does) on the scenario, best of --reps repetitions, at one
 * thread and at omp_get_num_procs() threads. The time is the wall clock around
 * cx_engine_run (thread set-up, the paths and the final merge); the engine's own
 * elapsed_s (the paths only) is printed beside it. One thread runs on each SIMD path this
 * CPU has (scalar, avx2, avx512: the model is compiled again for each, as CAPEXSIM_SIMD
 * would choose it); all cores run on the best one, and parallel efficiency is
 * rate_T / (T x rate_1) on that path.
 */
#include "bench/bench.h"

#include <stdlib.h>

#include "sim/engine/engine.h"
#include "sim/base/simd.h"

/* Best wall time of reps runs of paths at threads; also the engine's elapsed_s of that run. */
static double best_run(const cx_scenario *sc, const cx_model *m, uint64_t paths, int threads,
                       int reps, double *engine_s)
{
    double best = INFINITY;
    for (int k = 0; k < reps; k++) {
        cx_engine_opts o;
        cx_engine_opts_init(&o, sc);
        o.paths = paths;
        o.threads = threads;
        cx_run *run = NULL;
        double t0 = bench_now();
        int rc = cx_engine_run(&run, sc, m, &o);
        double t = bench_now() - t0;
        if (rc < 0 || !run->complete) {
            fprintf(stderr, "bench_paths: engine failed: %s\n", cx_strerror(rc));
            exit(1);
        }
        if (t < best) {
            best = t;
            *engine_s = run->elapsed_s;
        }
        cx_run_free(run);
    }
    return best;
}

/* The model of sc on SIMD path p (as CAPEXSIM_SIMD=p would run it). */
static cx_model *model_on(const cx_scenario *sc, cx_simd p)
{
    char err[512];
    setenv("CAPEXSIM_SIMD", cx_simd_name(p), 1);
    if (cx_simd_init(err, sizeof err) < 0) {
        fprintf(stderr, "bench_paths: %s\n", err);
        exit(1);
    }
    cx_model *m = NULL;
    if (cx_model_new(&m, sc, err, sizeof err) < 0) {
        fprintf(stderr, "bench_paths: %s\n", err);
        exit(1);
    }
    return m;
}

static double measure(const cx_scenario *sc, const cx_model *m, const bench_opts *o, int threads)
{
    double engine_s = 0;
    double s = best_run(sc, m, o->paths, threads, o->reps, &engine_s);
    double rate = (double)o->paths / s;
    bench_emit(json_pack("{s:s, s:s, s:s, s:i, s:I, s:i, s:f, s:f, s:f, s:f}", "bench",
                         "paths_per_s", "scenario", sc->name, "simd", cx_model_simd(m), "threads",
                         threads, "paths", (json_int_t)o->paths, "reps", o->reps, "seconds", s,
                         "engine_seconds", engine_s, "paths_per_s", rate, "paths_per_s_per_core",
                         rate / threads));
    return rate;
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(&o, argc, argv, 1000000, 1 << 16);
    cx_scenario *sc;
    cx_model *m0;
    bench_load(o.scenario, &sc, &m0);
    cx_model_free(m0);
    bench_machine_record("bench_paths");

    cx_simd best = CX_SIMD_SCALAR;
    double rate1 = 0;
    for (int p = 0; p < CX_SIMD_N; p++) {
        if (!cx_simd_supported((cx_simd)p))
            continue;
        cx_model *m = model_on(sc, (cx_simd)p);
        rate1 = measure(sc, m, &o, 1);
        best = (cx_simd)p;
        cx_model_free(m);
    }
    int tmax = bench_cores();
    if (tmax > 1) {
        cx_model *m = model_on(sc, best);
        double rate_t = measure(sc, m, &o, tmax);
        bench_emit(json_pack("{s:s, s:s, s:s, s:i, s:f, s:f, s:f}", "bench", "parallel_efficiency",
                             "scenario", sc->name, "simd", cx_simd_name(best), "threads", tmax,
                             "rate_1", rate1, "rate_T", rate_t, "efficiency",
                             rate_t / (tmax * rate1)));
        cx_model_free(m);
    }
    cx_scenario_free(sc);
    return 0;
}
