/* SPDX-License-Identifier: MIT */
/* Benchmark: paths/s of the engine on meta-2026h1 at 1 thread and all cores, and the efficiency. */
/*
 * Runs the product's engine (cx_engine_run from sim/engine.h, the default input source and
 * no observer: what `capexsim run` does) on the scenario, best of --reps repetitions, at one
 * thread and at omp_get_num_procs() threads. The time is the wall clock around
 * cx_engine_run (thread set-up, the paths and the final merge); the engine's own
 * elapsed_s (the paths only) is printed beside it. Parallel efficiency is
 * rate_T / (T x rate_1).
 */
#include "bench/bench.h"

#include "sim/engine.h"

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

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(&o, argc, argv, 1000000, 1 << 16);
    cx_scenario *sc;
    cx_model *m;
    bench_load(o.scenario, &sc, &m);
    bench_machine_record("bench_paths");

    int tmax = bench_cores();
    int counts[2] = {1, tmax};
    double rate[2] = {0, 0};
    for (int k = 0; k < (tmax > 1 ? 2 : 1); k++) {
        double engine_s = 0;
        double s = best_run(sc, m, o.paths, counts[k], o.reps, &engine_s);
        rate[k] = (double)o.paths / s;
        bench_emit(json_pack("{s:s, s:s, s:i, s:I, s:i, s:f, s:f, s:f, s:f}", "bench",
                             "paths_per_s", "scenario", sc->name, "threads", counts[k], "paths",
                             (json_int_t)o.paths, "reps", o.reps, "seconds", s, "engine_seconds",
                             engine_s, "paths_per_s", rate[k], "paths_per_s_per_core",
                             rate[k] / counts[k]));
    }
    if (tmax > 1)
        bench_emit(json_pack("{s:s, s:s, s:i, s:f, s:f, s:f}", "bench", "parallel_efficiency",
                             "scenario", sc->name, "threads", tmax, "rate_1", rate[0], "rate_T",
                             rate[1], "efficiency", rate[1] / (tmax * rate[0])));
    cx_model_free(m);
    cx_scenario_free(sc);
    return 0;
}
