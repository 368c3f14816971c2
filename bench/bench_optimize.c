/* SPDX-License-Identifier: MIT */
/* Benchmark of `optimize` (issue 21): evaluations per second, and the set-up an evaluation
 * avoids by reusing one compiled scenario. */
/*
 * Records:
 *   {"bench":"optimize_setup", scenario, rebuild_ms, evaluator_ms}: rebuild_ms is what a
 *     sweep pays per point (cx_scenario_with_fixed for each decision, then cx_model_new and
 *     the frees), which an optimize evaluation skips; evaluator_ms is the one-time set-up.
 *   {"bench":"optimize_eval", scenario, paths, threads, evaluations, seconds,
 *     evaluations_per_s, paths_per_s, cpu_s_per_evaluation}: best of reps, each
 *     `evaluations` evaluations at different decision values on the same sample; the CPU
 *     time (all threads) is what an unshared machine's wall clock would show times threads.
 */
#include "bench.h"

#include <math.h>

#include "sim/study/optimize.h"

#define SCENARIO CX_SOURCE_ROOT "/configs/meta-2026h1-optimize.cfg"

/* CPU seconds of the process, all threads: on a machine shared with other work the wall
 * clock measures the others too. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double rebuild_ms(const cx_scenario *sc, int reps)
{
    double best = INFINITY;
    char err[512];
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        cx_scenario *s[CX_OPT_MAX_DECISIONS] = {0};
        const cx_scenario *prev = sc;
        for (int d = 0; d < sc->optimize->n_decisions; d++) {
            const cx_opt_decision *dc = &sc->optimize->decision[d];
            if (dc->switch_deal >= 0) /* a deal's switch: one compiled copy per setting */
                continue;
            if (cx_scenario_with_fixed(&s[d], prev, dc->input, 0.5 * (dc->low + dc->high)) != 0)
                exit(1);
            prev = s[d];
        }
        cx_model *m;
        if (cx_model_new(&m, prev, err, sizeof err) != 0)
            exit(1);
        cx_model_free(m);
        for (int d = sc->optimize->n_decisions - 1; d >= 0; d--)
            cx_scenario_free(s[d]); /* NULL for a switch: a no-op */
        double t = bench_now() - t0;
        best = t < best ? t : best;
    }
    return 1e3 * best;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    bench_opts bo;
    bench_parse(&bo, argc, argv, 16384, 2048);
    const char *path = strcmp(bo.scenario, BENCH_SCENARIO) ? bo.scenario : SCENARIO;
    cx_scenario *sc;
    char err[512] = "";
    if (cx_scenario_load(&sc, path, err, sizeof err) != 0 || !sc->optimize) {
        fprintf(stderr, "bench_optimize: %s\n", err[0] ? err : "no optimize group");
        return 1;
    }
    bench_machine_record("bench_optimize");
    const int reps = bo.reps > 0 ? bo.reps : bo.quick ? 2 : 3;
    const int n_eval = bo.quick ? 3 : 10;
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = bo.paths;
    o.threads = 2;
    double t0 = bench_now();
    cx_opt_evaluator *ev;
    if (cx_opt_evaluator_new(&ev, sc, &o, err, sizeof err) != 0) {
        fprintf(stderr, "bench_optimize: %s\n", err);
        return 1;
    }
    double evaluator_ms = 1e3 * (bench_now() - t0);
    bench_emit(json_pack("{s:s, s:s, s:f, s:f}", "bench", "optimize_setup", "scenario", sc->name,
                         "rebuild_ms", rebuild_ms(sc, 20), "evaluator_ms", evaluator_ms));
    double best = INFINITY, best_cpu = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t1 = bench_now(), c1 = cpu_now();
        for (int k = 0; k < n_eval; k++) {
            double x[CX_OPT_MAX_DECISIONS];
            for (int d = 0; d < sc->optimize->n_decisions; d++) {
                const cx_opt_decision *dc = &sc->optimize->decision[d];
                x[d] = dc->low + (dc->high - dc->low) * (k + 0.5) / n_eval;
                if (dc->integer)
                    x[d] = round(x[d]);
            }
            cx_opt_check chk;
            if (cx_opt_eval_at(ev, x, &chk) != 0)
                return 1;
        }
        double t = bench_now() - t1, c = cpu_now() - c1;
        best = t < best ? t : best;
        best_cpu = c < best_cpu ? c : best_cpu;
    }
    bench_emit(json_pack("{s:s, s:s, s:I, s:i, s:i, s:f, s:f, s:f, s:f}", "bench", "optimize_eval",
                         "scenario", sc->name, "paths", (json_int_t)bo.paths, "threads", 2,
                         "evaluations", n_eval, "seconds", best, "evaluations_per_s",
                         n_eval / best, "paths_per_s", (double)n_eval * (double)bo.paths / best,
                         "cpu_s_per_evaluation", best_cpu / n_eval));
    cx_opt_evaluator_free(ev);
    cx_scenario_free(sc);
    return 0;
}
