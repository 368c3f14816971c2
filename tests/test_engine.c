/* SPDX-License-Identifier: MIT */
/* Tests of the engine: bit-identical reports for any thread count, stops, hooks. */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "models/model.h"
#include "sim/engine/engine.h"
#include "sim/base/error.h"
#include "sim/result/output.h"
#include "sim/result/report.h"
#include "sim/input/scenario.h"

#define N_PATHS 50000 /* 48 full blocks and a short one of 848 */

#include "tests/default_fixture.h"

/* The JSON report of a run, timing fields (threads, elapsed_s, paths_per_s) removed. */
static char *report_json(const cx_run *run, const cx_engine_opts *o)
{
    cx_report *rep;
    cr_assert(eq(int, cx_report_new(&rep, run->accum), 0));
    cx_run_info info = {sc->name, sc->sha256, "mc", o->seed, run->paths_done, o->paths,
                        run->threads, run->elapsed_s, run->complete, CX_BLOCK_PATHS};
    json_t *doc = cx_output_json(rep, &info);
    cr_assert(doc != NULL);
    json_object_del(doc, "threads");
    json_object_del(doc, "elapsed_s");
    json_object_del(doc, "paths_per_s");
    char *s = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    cr_assert(s != NULL);
    json_decref(doc);
    cx_report_free(rep);
    return s;
}

static char *run_json(uint64_t paths, uint64_t seed, int threads)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = paths;
    o.seed = seed;
    o.threads = threads;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(run->complete);
    cr_assert(eq(u64, run->paths_done, paths));
    cr_assert(eq(u64, run->accum->paths, paths));
    cr_assert(eq(u64, run->accum->mom_metric[0].n, paths));
    char *s = report_json(run, &o);
    cx_run_free(run);
    return s;
}

TestSuite(engine, .init = setup, .fini = teardown);

Test(engine, identical_bytes_at_1_2_3_8_threads)
{
    char *one = run_json(N_PATHS, 42, 1);
    const int threads[] = {2, 3, 8};
    for (int i = 0; i < 3; i++) {
        char *other = run_json(N_PATHS, 42, threads[i]);
        cr_assert(eq(str, other, one), "%d threads differ from 1", threads[i]);
        free(other);
    }
    /* a thread count that does not divide the blocks, on a second seed */
    char *a = run_json(7 * CX_BLOCK_PATHS + 5, 7, 1), *b = run_json(7 * CX_BLOCK_PATHS + 5, 7, 5);
    cr_assert(eq(str, a, b));
    free(a);
    free(b);
    free(one);
}

Test(engine, different_seeds_differ)
{
    char *a = run_json(N_PATHS / 5, 1, 2), *b = run_json(N_PATHS / 5, 2, 2);
    cr_assert(strcmp(a, b) != 0);
    free(a);
    free(b);
}

static bool stop_after_first_round(void *ctx, const cx_engine_progress *p)
{
    int *calls = ctx;
    ++*calls;
    cr_assert(p->accum != NULL);
    cr_assert(eq(u64, p->accum->paths, p->paths_done));
    return true;
}

Test(engine, stop_predicate_reports_completed_blocks_only, .timeout = 120)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = (CX_ROUND_BLOCKS + 10) * (uint64_t)CX_BLOCK_PATHS;
    o.seed = 5;
    o.threads = 2;
    int calls = 0;
    o.stop = stop_after_first_round;
    o.cb_ctx = &calls;
    o.stop_needs_accum = true;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(eq(int, calls, 1));
    cr_assert(not(run->complete));
    cr_assert(run->stopped);
    /* with a stop predicate the first round is CX_STOP_ROUND_MIN blocks (engine.h) */
    const uint64_t round = CX_STOP_ROUND_MIN * (uint64_t)CX_BLOCK_PATHS;
    cr_assert(eq(u64, run->paths_done, round));
    cr_assert(eq(u64, run->accum->paths, round));
    cr_assert(eq(u64, run->accum->mom_metric[CX_M_CAPEX_BURDEN].n, round));
    cr_assert(eq(u64, cx_sketch_count(run->accum->metric[CX_M_CAPEX_BURDEN]), round));
    /* the stopped run's statistics are those of a complete run of just those blocks */
    char *stopped = report_json(run, &o);
    cx_run_free(run);
    cx_engine_opts_init(&o, sc);
    o.paths = round;
    o.seed = 5;
    o.threads = 1;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    char *full = report_json(run, &o);
    json_t *js = json_loads(stopped, 0, NULL), *jf = json_loads(full, 0, NULL);
    bool js_false = json_is_false(json_object_get(js, "complete"));
    bool jf_true = json_is_true(json_object_get(jf, "complete"));
    cr_assert(js_false);
    cr_assert(jf_true);
    cr_assert(json_equal(json_object_get(js, "metrics"), json_object_get(jf, "metrics")));
    cr_assert(json_equal(json_object_get(js, "quarters"), json_object_get(jf, "quarters")));
    json_decref(js);
    json_decref(jf);
    free(stopped);
    free(full);
    cx_run_free(run);
}

/* The per-block partials are folded in block order whatever the rounds: forcing rounds of 1,
 * 3 or 7 blocks (and the default 256) gives the same bytes, at 1 and 3 threads. */
static char *run_json_rounds(uint64_t paths, uint64_t seed, int threads, int round_blocks)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = paths;
    o.seed = seed;
    o.threads = threads;
    o.round_blocks = round_blocks;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(run->complete);
    char *s = report_json(run, &o);
    cx_run_free(run);
    return s;
}

Test(engine, round_size_does_not_change_bytes)
{
    /* 20 full blocks and a short one: rounds of 3 and 7 end mid-run and leave a short round */
    const uint64_t paths = 20 * CX_BLOCK_PATHS + 300;
    char *ref = run_json_rounds(paths, 42, 2, 0);
    const int rounds[] = {1, 3, 7, CX_ROUND_BLOCKS};
    for (int i = 0; i < 4; i++)
        for (int t = 1; t <= 3; t += 2) {
            char *other = run_json_rounds(paths, 42, t, rounds[i]);
            cr_assert(eq(str, other, ref), "rounds of %d blocks, %d threads", rounds[i], t);
            free(other);
        }
    free(ref);
    /* a round size out of range is refused */
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    cx_run *run = NULL;
    o.round_blocks = -1;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), CX_ERR_RANGE));
    o.round_blocks = CX_MAX_ROUND_BLOCKS + 1;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), CX_ERR_RANGE));
    cr_assert(run == NULL);
}

typedef struct stop_log {
    uint64_t stop_at;     /* stop once this many paths are done */
    int calls;
    uint64_t blocks[64];  /* blocks done at each call */
} stop_log;

static bool stop_when_paths(void *ctx, const cx_engine_progress *p)
{
    stop_log *l = ctx;
    cr_assert(p->accum != NULL);
    cr_assert(eq(u64, p->accum->paths, p->paths_done));
    cr_assert(eq(u64, p->accum->mom_metric[CX_M_CAPEX_BURDEN].n, p->paths_done));
    if (l->calls < 64) l->blocks[l->calls] = p->blocks_done;
    l->calls++;
    return p->paths_done >= l->stop_at;
}

/* engine.h: with a stop predicate, rounds of clamp(done / 16, 16, 256) blocks */
Test(engine, stop_schedule_is_fine_and_thread_independent, .timeout = 120)
{
    char *json[2];
    for (int k = 0; k < 2; k++) {
        cx_engine_opts o;
        cx_engine_opts_init(&o, sc);
        o.paths = 100 * (uint64_t)CX_BLOCK_PATHS;
        o.seed = 3;
        o.threads = k ? 3 : 1;
        stop_log l = {.stop_at = 40000};
        o.stop = stop_when_paths;
        o.cb_ctx = &l;
        o.stop_needs_accum = true;
        cx_run *run;
        cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
        /* checks after 16, 32 and 48 blocks; 48 x 1024 = 49152 >= 40000 stops it (before,
         * the first check came after 256 blocks: 262144 paths) */
        cr_assert(eq(int, l.calls, 3));
        cr_assert(eq(u64, l.blocks[0], 16));
        cr_assert(eq(u64, l.blocks[2], 48));
        cr_assert(run->stopped);
        cr_assert(eq(u64, run->paths_done, 49152));
        json[k] = report_json(run, &o);
        cx_run_free(run);
    }
    cr_assert(eq(str, json[0], json[1]));
    free(json[0]);
    free(json[1]);

    /* past 256 blocks the round is 1/16 of the blocks done: 256 + 16 = 272, + 17 = 289,
     * + 18 = 307 (the last round is cut at the 300 blocks of the run, which then ends) */
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 300 * (uint64_t)CX_BLOCK_PATHS;
    o.seed = 3;
    o.threads = 2;
    stop_log l = {.stop_at = UINT64_MAX};
    o.stop = stop_when_paths;
    o.cb_ctx = &l;
    o.stop_needs_accum = true;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(run->complete);
    /* the predicate is not asked after the last round: 16 rounds of 16, then 272 and 289 */
    cr_assert(eq(int, l.calls, 18));
    for (int i = 0; i < 16; i++) cr_assert(eq(u64, l.blocks[i], 16 * (uint64_t)(i + 1)));
    cr_assert(eq(u64, l.blocks[16], 272));
    cr_assert(eq(u64, l.blocks[17], 289));
    cx_run_free(run);
}

Test(engine, interrupt_flag_stops_before_blocks)
{
    static atomic_int flag = 1;
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 10000;
    o.threads = 2;
    o.interrupt = &flag;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(run->interrupted);
    cr_assert(not(run->complete));
    cr_assert(eq(u64, run->paths_done, 0));
    cr_assert(eq(u64, run->accum->paths, 0));
    cx_run_free(run);
}

/* An observer: per-block path count and burden sum, folded in block order. */
typedef struct obs_block {
    uint64_t n;
    double sum;
} obs_block;
typedef struct obs_ctx {
    uint64_t n, next_block;
    double sum;
    int in_order;
} obs_ctx;

static void ob_init(void *ctx, void *bs, uint64_t b)
{
    (void)ctx;
    (void)b;
    memset(bs, 0, sizeof(obs_block));
}
static void ob_path(void *ctx, void *bs, int tid, const double *x, const cx_path_result *res)
{
    (void)ctx;
    (void)tid;
    (void)x;
    obs_block *o = bs;
    o->n++;
    o->sum += res->metric[CX_M_CAPEX_BURDEN];
}
static void ob_merge(void *ctx, const void *bs, uint64_t b)
{
    obs_ctx *c = ctx;
    const obs_block *o = bs;
    c->in_order &= b == c->next_block;
    c->next_block = b + 1;
    c->n += o->n;
    c->sum += o->sum;
}

static double observed_sum(int threads, obs_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->in_order = 1;
    cx_observer ob = {c, sizeof(obs_block), NULL, ob_init, ob_path, ob_merge, false, NULL, NULL,
                      NULL};
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 20000;
    o.seed = 11;
    o.threads = threads;
    o.observer = &ob;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(eq(u64, c->n, 20000));
    cr_assert(c->in_order);
    /* the observer's mean agrees with the engine's (different summation order: 1e-12) */
    double mean = run->accum->mom_metric[CX_M_CAPEX_BURDEN].mean;
    cr_assert(le(dbl, fabs(c->sum / 20000 - mean), 1e-12 * fabs(mean) + 1e-300));
    cx_run_free(run);
    return c->sum;
}

Test(engine, observer_blocks_merge_in_order)
{
    obs_ctx a, b;
    double s1 = observed_sum(1, &a), s3 = observed_sum(3, &b);
    cr_assert(eq(dbl, s1, s3)); /* bit for bit: folded in block order */
}

Test(engine, fixed_input_common_random_numbers)
{
    /* fixing an uncertain input changes the result, identically for any thread count */
    int in = -1;
    for (int i = 0; i < sc->n_inputs && in < 0; i++)
        if (sc->inputs[i].uncertain) in = i;
    cr_assert(ge(int, in, 0), "the default scenario has uncertain inputs");
    double v = cx_dist_quantile(&sc->inputs[in].dist, 0.9);
    char *s[2];
    for (int k = 0; k < 2; k++) {
        cx_engine_opts o;
        cx_engine_opts_init(&o, sc);
        o.paths = 5000;
        o.seed = 3;
        o.threads = k ? 4 : 1;
        o.n_fixed = 1;
        o.fixed_input[0] = in;
        o.fixed_value[0] = v;
        cx_run *run;
        cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
        s[k] = report_json(run, &o);
        cx_run_free(run);
    }
    cr_assert(eq(str, s[0], s[1]));
    char *plain = run_json(5000, 3, 2);
    cr_assert(strcmp(plain, s[0]) != 0, "fixing %s changed nothing", sc->inputs[in].name);
    free(plain);
    free(s[0]);
    free(s[1]);
}

/* A source that draws path by path with cx_sampler_draw: what the default source gave before
 * it filled a batch of rows at once (issue 9). */
static int path_src_thread_new(void *ctx, void **state)
{
    const cx_sampler *smp = ctx;
    *state = calloc((size_t)cx_sampler_work_size(smp) + 1, sizeof(double));
    return *state ? 0 : CX_ERR_NOMEM;
}

static void path_src_thread_free(void *ctx, void *state)
{
    (void)ctx;
    free(state);
}

static void path_src_fill(void *ctx, void *state, uint64_t b, int i, gsl_rng *r, double *x)
{
    (void)b;
    (void)i;
    cx_sampler_draw(ctx, r, x, state);
}

Test(engine, batched_inputs_match_path_by_path_inputs, .timeout = 120)
{
    /* 50,000 paths: a short last block (848 = 13 batches of 64 and one of 16); with a fixed
     * scenario input and an uncertain one overridden after the fill (sweeps) */
    const cx_input_source path_src = {sc->sampler, path_src_thread_new, path_src_thread_free,
                                      NULL, path_src_fill, NULL};
    int fixed = -1, unc = -1;
    for (int i = 0; i < sc->n_inputs; i++) {
        if (sc->inputs[i].uncertain && unc < 0) unc = i;
        if (!sc->inputs[i].uncertain && fixed < 0) fixed = i;
    }
    cr_assert(fixed >= 0 && unc >= 0);
    for (int over = 0; over < 2; over++) {
        char *s[2];
        for (int k = 0; k < 2; k++) {
            cx_engine_opts o;
            cx_engine_opts_init(&o, sc);
            o.paths = N_PATHS;
            o.seed = 11;
            o.threads = 2;
            o.source = k ? &path_src : NULL;
            if (over) {
                o.n_fixed = 2;
                o.fixed_input[0] = fixed;
                o.fixed_value[0] = 0.9 * cx_dist_lower(&sc->inputs[fixed].dist);
                o.fixed_input[1] = unc;
                o.fixed_value[1] = cx_dist_quantile(&sc->inputs[unc].dist, 0.2);
            }
            cx_run *run;
            cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
            s[k] = report_json(run, &o);
            cx_run_free(run);
        }
        cr_assert(eq(str, s[0], s[1]), "batched inputs differ (overrides: %d)", over);
        free(s[0]);
        free(s[1]);
    }
}

Test(engine, bad_options)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    cx_run *run = (cx_run *)1;
    o.paths = 0;
    cr_assert(lt(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(run == NULL);
    o.paths = 10;
    o.threads = 0;
    cr_assert(lt(int, cx_engine_run(&run, sc, model, &o), 0));
    o.threads = 1;
    o.n_fixed = 1;
    o.fixed_input[0] = sc->n_inputs;
    cr_assert(lt(int, cx_engine_run(&run, sc, model, &o), 0));
}
