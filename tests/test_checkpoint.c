/* SPDX-License-Identifier: MIT */
/* Tests of checkpoint state (issue 12): serialisation round trips, damaged input, resumption. */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>

#include "models/model.h"
#include "sim/engine/accum.h"
#include "sim/engine/engine.h"
#include "sim/base/error.h"
#include "sim/rng/pcg.h"
#include "sim/result/report.h"
#include "sim/input/sampler.h"
#include "sim/input/scenario.h"
#include "sim/base/serial.h"
#include "sim/engine/sketch.h"


#include "tests/default_fixture.h"

/* A sketch with values of every kind: both signs, zeros, tiny, huge, infinities, NaN. */
static cx_sketch *varied_sketch(uint64_t seed, int n)
{
    cx_sketch *sk;
    cr_assert(eq(int, cx_sketch_new(&sk, 0.001), 0));
    cx_pcg64 g;
    cx_pcg64_stream(&g, seed, 0);
    for (int i = 0; i < n; i++) {
        double u = cx_pcg64_uniform(&g), x;
        switch (i % 9) {
        case 0: x = -0.0; break;
        case 1: x = 1e-14 * u; break;
        case 2: x = i % 2 ? INFINITY : 1e16; break;
        case 3: x = NAN; break;
        case 4: x = -exp(20 * u - 10); break;
        default: x = exp(30 * u - 15); break;
        }
        cx_sketch_add(sk, x);
    }
    return sk;
}

Test(checkpoint, sketch_round_trip_is_exact)
{
    cx_sketch *a = varied_sketch(7, 5000), *b;
    cr_assert(eq(int, cx_sketch_new(&b, 0.001), 0));
    cx_wbuf w = {0}, w2 = {0};
    cx_sketch_serialise(a, &w);
    cr_assert(eq(int, w.err, 0));
    cx_rbuf r;
    cx_rbuf_init(&r, w.p, w.n);
    cr_assert(eq(int, cx_sketch_deserialise(b, &r), 0));
    cr_assert(eq(sz, cx_rbuf_left(&r), 0));
    cr_assert(cx_sketch_equal(a, b));
    cr_assert(eq(u64, a->nan, b->nan));
    cr_assert(eq(u64, a->clamped, b->clamped));
    cr_assert(eq(u64, a->inf, b->inf));
    cr_assert(gt(u64, a->inf, 0));
    cx_sketch_serialise(b, &w2);
    cr_assert(eq(sz, w.n, w2.n));
    cr_assert(eq(int, memcmp(w.p, w2.p, w.n), 0));
    /* an empty sketch too */
    cx_sketch_reset(a);
    cx_wbuf_clear(&w);
    cx_sketch_serialise(a, &w);
    cx_rbuf_init(&r, w.p, w.n);
    cr_assert(eq(int, cx_sketch_deserialise(b, &r), 0));
    cr_assert(eq(u64, cx_sketch_count(b), 0));
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&w2);
    cx_sketch_free(a);
    cx_sketch_free(b);
}

Test(checkpoint, sketch_every_truncation_and_other_alpha_refused)
{
    cx_sketch *a = varied_sketch(11, 300), *b, *c;
    cr_assert(eq(int, cx_sketch_new(&b, 0.001), 0));
    cr_assert(eq(int, cx_sketch_new(&c, 0.01), 0));
    cx_wbuf w = {0};
    cx_sketch_serialise(a, &w);
    cx_rbuf r;
    for (size_t len = 0; len < w.n; len++) {
        cx_rbuf_init(&r, w.p, len);
        cr_assert(eq(int, cx_sketch_deserialise(b, &r), CX_ERR_RANGE), "prefix of %zu bytes", len);
        cr_assert(eq(u64, cx_sketch_count(b), 0));
    }
    cx_rbuf_init(&r, w.p, w.n);
    cr_assert(eq(int, cx_sketch_deserialise(c, &r), CX_ERR_RANGE));
    /* a changed count no longer adds up */
    size_t last = w.n - 8;
    w.p[last] ^= 1;
    cx_rbuf_init(&r, w.p, w.n);
    cr_assert(eq(int, cx_sketch_deserialise(b, &r), CX_ERR_RANGE));
    cx_wbuf_clear(&w);
    cx_sketch_free(a);
    cx_sketch_free(b);
    cx_sketch_free(c);
}

/* ---- engine states: capture every save, resume from each ---- */

#define MAX_STATES 64

typedef struct capture {
    int n;
    cx_engine_state st[MAX_STATES];
    bool final[MAX_STATES];
    const cx_engine_state *resume; /* handed to begin */
} capture;

static cx_accum *new_accum(void)
{
    cx_accum *a;
    cr_assert(eq(int, cx_accum_new(&a, cx_model_quarters(model), sc->thresholds,
                                   sc->n_thresholds, sc->relative_error), 0));
    return a;
}

/* A deep copy of st, its accumulator through serialise and deserialise. */
static void copy_state(cx_engine_state *dst, const cx_engine_state *st)
{
    *dst = *st;
    dst->accum = new_accum();
    cx_wbuf w = {0};
    cx_accum_serialise(st->accum, &w);
    cr_assert(eq(int, w.err, 0));
    cx_rbuf r;
    cx_rbuf_init(&r, w.p, w.n);
    cr_assert(eq(int, cx_accum_deserialise(dst->accum, &r), 0));
    cr_assert(eq(sz, cx_rbuf_left(&r), 0));
    cx_wbuf_clear(&w);
    size_t pn = (size_t)st->partial_n, ns = (size_t)st->n_series;
    dst->done = pn ? malloc(pn) : NULL;
    dst->paths = pn ? malloc(pn * sizeof *dst->paths) : NULL;
    dst->mom = pn ? malloc(pn * ns * sizeof *dst->mom) : NULL;
    if (pn) {
        memcpy(dst->done, st->done, pn);
        memcpy(dst->paths, st->paths, pn * sizeof *dst->paths);
        memcpy(dst->mom, st->mom, pn * ns * sizeof *dst->mom);
    }
    size_t vn = (size_t)CX_N_METRICS * (size_t)st->vals_cap;
    dst->vals_ok = pn && vn ? malloc(pn) : NULL;
    dst->vals = pn && vn ? malloc(pn * vn * sizeof *dst->vals) : NULL;
    if (pn && vn) {
        memcpy(dst->vals_ok, st->vals_ok, pn);
        memcpy(dst->vals, st->vals, pn * vn * sizeof *dst->vals);
    }
}

static void free_state(cx_engine_state *st)
{
    cx_accum_free(st->accum);
    free(st->done);
    free(st->paths);
    free(st->mom);
    free(st->vals_ok);
    free(st->vals);
}

static int cap_begin(void *ctx, const cx_engine_state **resume)
{
    *resume = ((capture *)ctx)->resume;
    return 0;
}

static int cap_save(void *ctx, const cx_engine_state *st, bool final)
{
    capture *c = ctx;
    cr_assert(c->n < MAX_STATES);
    copy_state(&c->st[c->n], st);
    c->final[c->n++] = final;
    return 0;
}

/* The bytes of a run's result: its accumulator serialised, and its counts. */
static cx_wbuf result_bytes(const cx_run *run)
{
    cx_wbuf w = {0};
    cx_accum_serialise(run->accum, &w);
    cx_wbuf_u64(&w, run->paths_done);
    cx_wbuf_u64(&w, run->blocks_done);
    cx_wbuf_u8(&w, run->complete);
    cr_assert(eq(int, w.err, 0));
    return w;
}

/* Interrupts the run when block `at` begins (so that round's later blocks do not run). */
typedef struct stopper {
    const cx_sampler *sampler;
    uint64_t at;
    atomic_int flag;
} stopper;

static int stop_thread_new(void *ctx, void **state)
{
    int n = cx_sampler_work_size(((stopper *)ctx)->sampler);
    *state = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    return *state ? 0 : CX_ERR_NOMEM;
}

static void stop_thread_free(void *ctx, void *state)
{
    (void)ctx;
    free(state);
}

static void stop_block_begin(void *ctx, void *state, uint64_t b, int n, gsl_rng *r)
{
    (void)state, (void)n, (void)r;
    stopper *s = ctx;
    if (b == s->at) atomic_store(&s->flag, 1);
}

static void stop_fill(void *ctx, void *state, uint64_t b, int i, gsl_rng *r, double *x)
{
    (void)b, (void)i;
    cx_sampler_draw(((stopper *)ctx)->sampler, r, x, state);
}

static void run_opts(cx_engine_opts *o, uint64_t paths, int threads, int round_blocks)
{
    cx_engine_opts_init(o, sc);
    o->paths = paths;
    o->seed = 99;
    o->threads = threads;
    o->round_blocks = round_blocks;
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

Test(checkpoint, resume_from_every_round_gives_the_same_bytes)
{
    const uint64_t paths = 11 * CX_BLOCK_PATHS + 300; /* 12 blocks, the last short */
    cx_engine_opts o;
    run_opts(&o, paths, 1, 0);
    cx_run *ref;
    cr_assert(eq(int, cx_engine_run(&ref, sc, model, &o), 0));
    cx_wbuf want = result_bytes(ref);

    /* rounds of 3 blocks, saved after each */
    capture cap = {0};
    cx_engine_ckpt hooks = {&cap, 0.0, cap_begin, cap_save};
    run_opts(&o, paths, 2, 3);
    o.ckpt = &hooks;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cx_wbuf got = result_bytes(run);
    cr_assert(eq(sz, got.n, want.n));
    cr_assert(eq(int, memcmp(got.p, want.p, want.n), 0), "saving changed the result");
    cx_wbuf_clear(&got);
    cx_run_free(run);
    cr_assert(eq(int, cap.n, 4), "3 saves between rounds and a final one, got %d", cap.n);
    cr_assert(cap.final[3] && !cap.final[0]);
    cr_assert(eq(u64, cap.st[3].next_block, 12));

    for (int k = 0; k < cap.n; k++) {
        capture again = {0};
        again.resume = &cap.st[k];
        cx_engine_ckpt h2 = {&again, 1e9, cap_begin, cap_save};
        run_opts(&o, paths, 1 + k % 3, 3);
        o.ckpt = &h2;
        cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
        got = result_bytes(run);
        cr_assert(eq(sz, got.n, want.n));
        cr_assert(eq(int, memcmp(got.p, want.p, want.n), 0),
                  "resumed after block %lu at %d threads", (unsigned long)cap.st[k].next_block,
                  1 + k % 3);
        cr_assert(eq(int, again.n, 1)); /* only the final save: every_s is large */
        free_state(&again.st[0]);
        cx_wbuf_clear(&got);
        cx_run_free(run);
    }
    for (int k = 0; k < cap.n; k++) free_state(&cap.st[k]);
    cx_wbuf_clear(&want);
    cx_run_free(ref);
}

static void interrupted_round(bool replicates);

Test(checkpoint, resume_an_interrupted_round_gives_the_same_bytes)
{
    interrupted_round(false);
}

/* With replicate statistics (LHS, Sobol, antithetic sampling): block values in the state. */
Test(checkpoint, resume_an_interrupted_round_with_replicates_gives_the_same_bytes)
{
    interrupted_round(true);
}

static void rep_opts(cx_engine_opts *o, bool replicates)
{
    if (replicates) o->n_rep_q = cx_report_replicate_levels(o->rep_q, NAN);
}

static void interrupted_round(bool replicates)
{
    const uint64_t paths = 40 * CX_BLOCK_PATHS; /* 2 batches of 16 blocks and a partial one */
    cx_engine_opts o;
    run_opts(&o, paths, 1, 0);
    rep_opts(&o, replicates);
    cx_run *ref;
    cr_assert(eq(int, cx_engine_run(&ref, sc, model, &o), 0));
    cx_wbuf want = result_bytes(ref);

    /* one thread, rounds of 4: block 22 starts the interrupt (Ctrl-C while its inputs are
     * being set up), so blocks 20 and 21 of the round 20..23 run, 22 is abandoned at its
     * first batch and 23 does not start (a batch of 16 blocks is being filled) */
    stopper s = {sc->sampler, 22, 0};
    cx_input_source src = {&s, stop_thread_new, stop_thread_free, stop_block_begin,
                           stop_fill, NULL};
    capture cap = {0};
    cx_engine_ckpt hooks = {&cap, 1e9, cap_begin, cap_save};
    run_opts(&o, paths, 1, 4);
    rep_opts(&o, replicates);
    o.ckpt = &hooks;
    o.source = &src;
    o.interrupt = &s.flag;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(run->interrupted && !run->complete);
    cr_assert(eq(u64, run->paths_done, 22 * CX_BLOCK_PATHS));
    cx_run_free(run);
    cr_assert(eq(int, cap.n, 1));
    const cx_engine_state *st = &cap.st[0];
    cr_assert(cap.final[0]);
    cr_assert(eq(u64, st->next_block, 20));
    cr_assert(eq(int, st->partial_n, 4));
    cr_assert(st->done[0] && st->done[1] && !st->done[2] && !st->done[3]);
    cr_assert(eq(u64, st->accum->paths, 22 * CX_BLOCK_PATHS));
    cr_assert(eq(int, st->vals_cap, replicates ? CX_BLOCK_PATHS : 0));
    if (replicates) cr_assert(st->vals_ok[0] && st->vals_ok[1]);

    for (int t = 1; t <= 3; t++) {
        capture again = {0};
        again.resume = st;
        cx_engine_ckpt h2 = {&again, 1e9, cap_begin, cap_save};
        run_opts(&o, paths, t, 4);
        rep_opts(&o, replicates);
        o.ckpt = &h2;
        cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
        cx_wbuf got = result_bytes(run);
        cr_assert(eq(sz, got.n, want.n));
        cr_assert(eq(int, memcmp(got.p, want.p, want.n), 0), "resumed at %d threads", t);
        free_state(&again.st[0]);
        cx_wbuf_clear(&got);
        cx_run_free(run);
    }
    /* a state that does not fit the run is refused: another round size */
    capture bad = {0};
    bad.resume = st;
    cx_engine_ckpt h3 = {&bad, 1e9, cap_begin, cap_save};
    run_opts(&o, paths, 1, 5);
    rep_opts(&o, replicates);
    o.ckpt = &h3;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), CX_ERR_RANGE));
    free_state(&cap.st[0]);
    cx_wbuf_clear(&want);
    cx_run_free(ref);
}

Test(checkpoint, damaged_accumulator_bytes_never_crash)
{
    cx_engine_opts o;
    run_opts(&o, 3000, 1, 0);
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cx_wbuf w = {0};
    cx_accum_serialise(run->accum, &w);
    cx_accum *a = new_accum();
    cx_pcg64 g;
    cx_pcg64_stream(&g, 5, 0);
    int refused = 0;
    for (int k = 0; k < 400; k++) {
        size_t at = (size_t)(cx_pcg64_uniform(&g) * (double)w.n);
        unsigned char old = w.p[at];
        w.p[at] ^= (unsigned char)(1u << (k % 8));
        cx_rbuf r;
        cx_rbuf_init(&r, w.p, w.n);
        refused += cx_accum_deserialise(a, &r) < 0;
        w.p[at] = old;
    }
    /* most flips land in counts or lengths, which must add up; the rest (a moment, a min)
     * is what the checkpoint file's SHA-256 is for */
    cr_assert(gt(int, refused, 100), "only %d of 400 flips refused", refused);
    cx_accum_free(a);
    cx_wbuf_clear(&w);
    cx_run_free(run);
}
