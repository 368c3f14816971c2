/* SPDX-License-Identifier: MIT */
/* Benchmark: accumulator cost: ns per sketch insert, per path's accumulation, and merges. */
/*
 * Realistic values: the per-path results of 4096 model paths of the scenario (every metric
 * and quarterly value: burdens in $B, GW, counts, zeros). Then, best of --reps:
 *  - ns per cx_sketch_add, cycling over those values (--paths inserts);
 *  - ns per path of what the engine does with a path result: cx_accum_buf_put; per block
 *    of CX_BLOCK_PATHS paths cx_block_moments_add_buf; and, when the buffer has no room for
 *    another block (every CX_ACCUM_BATCH_BLOCKS blocks), cx_accum_add_buf (every sketch and
 *    the exceedance counts, a series at a time); and, for comparison, the same work a path
 *    at a time (cx_accum_add plus cx_block_moments_add, what the engine did before);
 *  - the parts of the batched cost, each timed alone: the buffer's stores (also from 8
 *    results that stay in cache, as in the engine, where a result is stored right after the
 *    model wrote it: the 4096 results, 8 MB, are read from memory), the block moments, the
 *    sketches and counts;
 *  - the time of cx_sketch_merge of two filled sketches, and of cx_accum_merge of two
 *    accumulators that each hold the 4096 paths (what merging one thread into the total costs).
 */
#include "bench/bench.h"

#include <math.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/accum.h"
#include "sim/engine/engine.h"
#include "sim/rng/pcg.h"
#include "sim/input/sampler.h"
#include "sim/engine/sketch.h"

#define N_RES 4096

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(&o, argc, argv, 50000000, 4000000);
    cx_scenario *sc;
    cx_model *m;
    bench_load(o.scenario, &sc, &m);
    bench_machine_record("bench_accum");
    const int nq = cx_model_quarters(m);

    /* 4096 path results from the model. */
    cx_path_result *res = malloc(N_RES * sizeof *res);
    double *x = calloc((size_t)sc->n_inputs + 1, sizeof *x);
    double *work = calloc((size_t)cx_sampler_work_size(sc->sampler) + 1, sizeof *work);
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cx_scratch *scr = NULL;
    if (!res || !x || !work || !r || cx_scratch_new(&scr, m) < 0) {
        fprintf(stderr, "bench_accum: out of memory\n");
        return 1;
    }
    gsl_rng_set(r, 3);
    for (int p = 0; p < N_RES; p++) {
        cx_sampler_draw(sc->sampler, r, x, work);
        cx_model_path(m, x, r, scr, &res[p], NULL);
    }
    /* Flattened values, as the engine feeds them to sketches. */
    const int per_path = CX_N_METRICS + CX_N_QSERIES * nq;
    const size_t n_val = (size_t)N_RES * (size_t)per_path;
    double *val = malloc(n_val * sizeof *val);
    if (!val)
        return 1;
    size_t k = 0;
    for (int p = 0; p < N_RES; p++) {
        for (int i = 0; i < CX_N_METRICS; i++)
            val[k++] = res[p].metric[i];
        for (int s = 0; s < CX_N_QSERIES; s++)
            for (int q = 0; q < nq; q++)
                val[k++] = res[p].quarter[s][q];
    }

    /* ns per sketch insert */
    double t_add = INFINITY;
    for (int rep = 0; rep < o.reps; rep++) {
        cx_sketch *sk;
        if (cx_sketch_new(&sk, sc->relative_error) < 0)
            return 1;
        size_t j = 0;
        double t0 = bench_now();
        for (uint64_t i = 0; i < o.paths; i++) {
            cx_sketch_add(sk, val[j]);
            if (++j == n_val)
                j = 0;
        }
        t_add = fmin(t_add, bench_now() - t0);
        if (cx_sketch_count(sk) == 0)
            fprintf(stderr, "?\n");
        cx_sketch_free(sk);
    }
    bench_emit(json_pack("{s:s, s:I, s:i, s:f, s:f}", "bench", "sketch_add", "inserts",
                         (json_int_t)o.paths, "reps", o.reps, "relative_error",
                         sc->relative_error, "ns_per_insert", t_add * 1e9 / (double)o.paths));

    /* ns per path, batched as the engine's per-path loop: buffer, then a series at a time */
    cx_accum *a1, *a2;
    cx_block_moments bm;
    cx_accum_buf buf;
    if (cx_accum_new(&a1, nq, sc->thresholds, sc->n_thresholds, sc->relative_error) < 0 ||
        cx_accum_new(&a2, nq, sc->thresholds, sc->n_thresholds, sc->relative_error) < 0 ||
        cx_block_moments_init(&bm, nq) < 0 ||
        cx_accum_buf_init(&buf, nq, CX_ACCUM_BATCH_BLOCKS * CX_BLOCK_PATHS) < 0)
        return 1;
    const uint64_t n_paths = o.paths / (uint64_t)per_path + 1;
    double t_batch = INFINITY;
    for (int rep = 0; rep < o.reps; rep++) {
        cx_accum_reset(a1);
        cx_block_moments_reset(&bm);
        int j = 0, first = 0;
        double t0 = bench_now();
        for (uint64_t i = 0; i < n_paths; i++) {
            cx_accum_buf_put(&buf, &res[j]);
            if (buf.n - first == CX_BLOCK_PATHS || i + 1 == n_paths) {
                cx_block_moments_add_buf(&bm, &buf, first, buf.n - first);
                cx_block_moments_finish(&bm);
                cx_accum_merge_block(a2, &bm);
                cx_block_moments_reset(&bm);
                if (buf.cap - buf.n < CX_BLOCK_PATHS) cx_accum_add_buf(a1, &buf);
                first = buf.n;
            }
            if (++j == N_RES)
                j = 0;
        }
        cx_accum_add_buf(a1, &buf);
        t_batch = fmin(t_batch, bench_now() - t0);
    }
    bench_emit(json_pack("{s:s, s:I, s:i, s:i, s:i, s:f}", "bench", "accum_per_path", "paths",
                         (json_int_t)n_paths, "values_per_path", per_path, "batch_paths",
                         buf.cap, "reps", o.reps, "ns_per_path",
                         t_batch * 1e9 / (double)n_paths));

    /* the parts of accum_per_path, each alone over the same paths (ns per path): the
     * buffer's stores, the block moments, the sketches and counts (cx_accum_add_buf) */
    double t_put = INFINITY, t_mom = INFINITY, t_sk = INFINITY, t_hot = INFINITY;
    for (int rep = 0; rep < o.reps; rep++) {
        double tp = 0, tm = 0, ts = 0, th = 0;
        cx_accum_reset(a1);
        int j = 0;
        for (uint64_t i = 0; i < n_paths; i += (uint64_t)buf.cap) {
            const int n_b = n_paths - i < (uint64_t)buf.cap ? (int)(n_paths - i) : buf.cap;
            /* the stores alone, from 8 results that stay in cache (in the engine a result is
             * stored right after the model wrote it), then again from the 4096 results */
            double t0 = bench_now();
            for (int p = 0; p < n_b; p++)
                cx_accum_buf_put(&buf, &res[p & 7]);
            th += bench_now() - t0;
            buf.n = 0;
            t0 = bench_now();
            for (int p = 0; p < n_b; p++) {
                cx_accum_buf_put(&buf, &res[j]);
                if (++j == N_RES)
                    j = 0;
            }
            double t1 = bench_now();
            for (int first = 0; first < n_b; first += CX_BLOCK_PATHS) {
                cx_block_moments_reset(&bm);
                cx_block_moments_add_buf(&bm, &buf, first,
                                         n_b - first < CX_BLOCK_PATHS ? n_b - first
                                                                      : CX_BLOCK_PATHS);
                cx_block_moments_finish(&bm);
            }
            double t2 = bench_now();
            cx_accum_add_buf(a1, &buf);
            double t3 = bench_now();
            tp += t1 - t0;
            tm += t2 - t1;
            ts += t3 - t2;
        }
        t_put = fmin(t_put, tp);
        t_mom = fmin(t_mom, tm);
        t_sk = fmin(t_sk, ts);
        t_hot = fmin(t_hot, th);
    }
    bench_emit(json_pack("{s:s, s:I, s:i, s:f, s:f, s:f, s:f}", "bench", "accum_parts", "paths",
                         (json_int_t)n_paths, "reps", o.reps, "ns_per_path_buf_put",
                         t_put * 1e9 / (double)n_paths, "ns_per_path_buf_put_cached",
                         t_hot * 1e9 / (double)n_paths, "ns_per_path_block_moments",
                         t_mom * 1e9 / (double)n_paths, "ns_per_path_sketches",
                         t_sk * 1e9 / (double)n_paths));

    /* the same, a path at a time (cx_accum_add + cx_block_moments_add): what batching saves */
    double t_path = INFINITY;
    for (int rep = 0; rep < o.reps; rep++) {
        cx_accum_reset(a1);
        cx_block_moments_reset(&bm);
        int j = 0, in_block = 0;
        double t0 = bench_now();
        for (uint64_t i = 0; i < n_paths; i++) {
            cx_accum_add(a1, &res[j]);
            cx_block_moments_add(&bm, &res[j], nq);
            if (++in_block == CX_BLOCK_PATHS) {
                cx_block_moments_finish(&bm);
                cx_accum_merge_block(a2, &bm);
                cx_block_moments_reset(&bm);
                in_block = 0;
            }
            if (++j == N_RES)
                j = 0;
        }
        t_path = fmin(t_path, bench_now() - t0);
    }
    bench_emit(json_pack("{s:s, s:I, s:i, s:i, s:f}", "bench", "accum_per_path_unbatched", "paths",
                         (json_int_t)n_paths, "values_per_path", per_path, "reps", o.reps,
                         "ns_per_path", t_path * 1e9 / (double)n_paths));

    /* merges: two sketches of one metric's 4096 values each; two accumulators of 4096 paths */
    cx_sketch *s1, *s2;
    if (cx_sketch_new(&s1, sc->relative_error) < 0 || cx_sketch_new(&s2, sc->relative_error) < 0)
        return 1;
    for (int p = 0; p < N_RES; p++) {
        cx_sketch_add(s1, res[p].metric[CX_M_CAPEX_BURDEN]);
        cx_sketch_add(s2, res[p].metric[CX_M_REVENUE_TOTAL]);
    }
    cx_accum_reset(a1);
    cx_accum_reset(a2);
    for (int p = 0; p < N_RES; p++) {
        cx_accum_add(a1, &res[p]);
        cx_accum_add(a2, &res[(p + 1) % N_RES]);
    }
    const int n_merge = o.quick ? 200 : 2000;
    double t_sm = INFINITY, t_am = INFINITY;
    for (int rep = 0; rep < o.reps; rep++) {
        double t0 = bench_now();
        for (int i = 0; i < n_merge; i++)
            (void)cx_sketch_merge(s1, s2);
        t_sm = fmin(t_sm, (bench_now() - t0) / n_merge);
        t0 = bench_now();
        for (int i = 0; i < n_merge; i++)
            (void)cx_accum_merge(a1, a2);
        t_am = fmin(t_am, (bench_now() - t0) / n_merge);
    }
    bench_emit(json_pack("{s:s, s:i, s:f, s:f}", "bench", "sketch_merge", "values_each", N_RES,
                         "us_per_merge", t_sm * 1e6, "ns_per_merge", t_sm * 1e9));
    bench_emit(json_pack("{s:s, s:i, s:i, s:f}", "bench", "accum_merge", "sketches",
                         CX_N_METRICS + CX_N_QSERIES * nq, "paths_each", N_RES, "us_per_merge",
                         t_am * 1e6));

    cx_sketch_free(s1);
    cx_sketch_free(s2);
    cx_accum_free(a1);
    cx_accum_free(a2);
    cx_block_moments_clear(&bm);
    cx_accum_buf_clear(&buf);
    cx_scratch_free(scr);
    gsl_rng_free(r);
    free(val);
    free(res);
    free(x);
    free(work);
    cx_model_free(m);
    cx_scenario_free(sc);
    return 0;
}
