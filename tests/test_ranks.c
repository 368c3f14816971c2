/* SPDX-License-Identifier: MIT */
/* Tests of the engine's processes (issue 12) without MPI: R ranks as R threads that share a
 * fake cx_engine_comm; the result must be the single process's, byte for byte. */
#include <pthread.h>
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
#include "sim/result/report.h"
#include "sim/input/scenario.h"
#include "sim/study/optimize.h"
#include "sim/study/sens.h"
#include "sim/base/serial.h"

#define MAX_RANKS 8

#include "tests/default_fixture.h"

/* The ranks' meeting point: each collective is two barriers around shared slots. */
typedef struct hub {
    int size;
    pthread_barrier_t bar;
    const cx_wbuf *send[MAX_RANKS];
    cx_wbuf *all;
    void *bc;
    int flag[MAX_RANKS];
} hub;

typedef struct rank_ctx {
    hub *h;
    int rank;
} rank_ctx;

/* Bytes the ranks other than 0 have sent: their blocks' partials did travel. */
static atomic_size_t sent_by_others;

static int fake_gather(void *ctx, const cx_wbuf *send, cx_wbuf *all)
{
    rank_ctx *c = ctx;
    if (c->rank != 0) atomic_fetch_add(&sent_by_others, send->n);
    hub *h = c->h;
    h->send[c->rank] = send;
    if (c->rank == 0) h->all = all;
    pthread_barrier_wait(&h->bar);
    if (c->rank == 0) {
        all->n = 0;
        for (int r = 0; r < h->size; r++)
            if (h->send[r]->n) cx_wbuf_put(all, h->send[r]->p, h->send[r]->n);
    }
    pthread_barrier_wait(&h->bar);
    return c->rank == 0 ? all->err : 0;
}

static int fake_bcast(void *ctx, void *buf, size_t n)
{
    rank_ctx *c = ctx;
    hub *h = c->h;
    if (c->rank == 0) h->bc = buf;
    pthread_barrier_wait(&h->bar);
    if (c->rank != 0) memcpy(buf, h->bc, n);
    pthread_barrier_wait(&h->bar);
    return 0;
}

/* any() has no context in cx_engine_comm: one hub at a time, through a thread-local rank */
static hub *any_hub;
static _Thread_local int any_rank;

static bool fake_any(bool flag)
{
    hub *h = any_hub;
    h->flag[any_rank] = flag;
    pthread_barrier_wait(&h->bar);
    bool any = false;
    for (int r = 0; r < h->size; r++) any |= h->flag[r] != 0;
    pthread_barrier_wait(&h->bar);
    return any;
}

typedef struct job {
    rank_ctx rc;
    cx_engine_comm comm;
    atomic_int signal, agreed;
    cx_engine_opts o;
    int which;          /* 0: engine run; 1: tornado; 2: sobol; 3: optimize (opt_sc) */
    cx_wbuf result;     /* what the rank returned, as bytes */
    int rc_run;
} job;

static void tornado_bytes(cx_wbuf *w, const cx_tornado_report *t)
{
    cx_wbuf_u64(w, t->paths);
    cx_wbuf_f64(w, t->mean);
    cx_wbuf_f64(w, t->p50);
    cx_wbuf_put(w, t->rows, (size_t)t->d * sizeof *t->rows);
}

static void sobol_bytes(cx_wbuf *w, const cx_sobol_report *s)
{
    cx_wbuf_put(w, &s->sum, sizeof s->sum);
    cx_wbuf_put(w, s->idx, (size_t)(s->d + CX_SOBOL_N_NOISE) * sizeof *s->idx);
}

/* Issue 21: a small problem with a frontier; a 2-block search sample and a 3-block check
 * spread over the ranks at every evaluation. */
static const char opt_text[] =
    "horizon_months = 12;\n"
    "supply = { tranches = (\n"
    "  { name = \"a\"; gw = { dist = \"uniform\"; low = 1.0; high = 5.0; }; cost_per_gw_year = 10.0; },\n"
    "  { name = \"b\"; gw = 0.5; cost_per_gw_year = 10.0; } ); };\n"
    "msl = { schedule = ( (0, 1.0) ); };\n"
    "market = { price0 = 12.0; drift = { dist = \"uniform\"; low = -0.2; high = 0.2; }; vol = 0.2; };\n"
    "iaas = { enabled = true; max_gw = 4.0; discount = 0.3; };\n"
    "optimize = { decisions = ( { input = \"supply.tranches.b.gw\"; low = 0.0; high = 4.0; } );\n"
    "  objective = { metric = \"revenue_total\"; stat = \"mean\"; sense = \"max\"; };\n"
    "  constraints = ( { metric = \"capex_burden\"; stat = \"p95\"; max = 30.0; } ); };\n";
static cx_scenario *opt_sc;

/* An optimize result as bytes: its JSON without the timing, keys sorted. */
static void optimize_bytes(cx_wbuf *w, const cx_opt_result *r)
{
    json_t *j = cx_opt_result_json(r, opt_sc);
    json_object_del(j, "timing");
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
    cx_wbuf_put(w, s, strlen(s));
    free(s);
    json_decref(j);
}

static void opt_options(cx_opt_opts *oo, const cx_engine_opts *o)
{
    memset(oo, 0, sizeof *oo);
    oo->engine = *o;
    oo->check_paths = 3 * CX_BLOCK_PATHS - 100;
    oo->starts = 2;
    oo->frontier = 3;
}

static void *rank_main(void *arg)
{
    job *j = arg;
    any_rank = j->rc.rank;
    char err[256];
    cx_study_opts so = {.paths = j->o.paths, .seed = j->o.seed, .threads = j->o.threads,
                        .metric = CX_M_CAPEX_BURDEN, .comm = &j->comm};
    if (j->which == 0) {
        cx_run *run = NULL;
        j->rc_run = cx_engine_run(&run, sc, model, &j->o);
        if (j->rc_run == 0) {
            cx_accum_serialise(run->accum, &j->result);
            cx_wbuf_u64(&j->result, run->paths_done);
            cx_wbuf_u8(&j->result, run->complete);
            cx_wbuf_u8(&j->result, run->stopped);
        }
        cx_run_free(run);
    } else if (j->which == 1) {
        cx_tornado_report *t = NULL;
        j->rc_run = cx_tornado_run(&t, sc, model, &so, err, sizeof err);
        if (j->rc_run == 0) tornado_bytes(&j->result, t);
        cx_tornado_report_free(t);
    } else if (j->which == 2) {
        cx_sobol_report *s = NULL;
        so.paths = j->o.paths;
        j->rc_run = cx_sobol_run(&s, sc, model, &so, err, sizeof err);
        if (j->rc_run == 0) sobol_bytes(&j->result, s);
        cx_sobol_report_free(s);
    } else {
        cx_opt_opts oo;
        opt_options(&oo, &j->o);
        cx_opt_result *r = NULL;
        j->rc_run = cx_opt_run(&r, opt_sc, &oo, err, sizeof err);
        if (j->rc_run == 0) optimize_bytes(&j->result, r);
        cx_opt_result_free(r);
    }
    return NULL;
}

/* Runs `which` on R ranks (threads) at T threads each; every rank's bytes must be want's. */
static void check_ranks(int which, int R, int T, const cx_engine_opts *base, const cx_wbuf *want)
{
    hub h = {.size = R};
    pthread_barrier_init(&h.bar, NULL, (unsigned)R);
    any_hub = &h;
    job jobs[MAX_RANKS];
    pthread_t th[MAX_RANKS];
    for (int r = 0; r < R; r++) {
        job *j = &jobs[r];
        memset(j, 0, sizeof *j);
        j->rc = (rank_ctx){&h, r};
        j->comm = (cx_engine_comm){r, R, &j->rc, fake_gather, fake_bcast, &j->signal, &j->agreed,
                                   fake_any};
        j->o = *base;
        j->o.threads = T;
        j->o.comm = &j->comm;
        j->which = which;
        cr_assert(eq(int, pthread_create(&th[r], NULL, rank_main, j), 0));
    }
    for (int r = 0; r < R; r++) pthread_join(th[r], NULL);
    pthread_barrier_destroy(&h.bar);
    for (int r = 0; r < R; r++) {
        cr_assert(eq(int, jobs[r].rc_run, 0), "rank %d of %d", r, R);
        cr_assert(eq(sz, jobs[r].result.n, want->n), "rank %d of %d", r, R);
        cr_assert(eq(int, memcmp(jobs[r].result.p, want->p, want->n), 0),
                  "rank %d of %d ranks x %d threads differs from one process", r, R, T);
        cx_wbuf_clear(&jobs[r].result);
    }
}

TestSuite(ranks, .init = setup, .fini = teardown);

Test(ranks, run_at_3_5_7_ranks_is_one_process_byte_for_byte)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 16 * CX_BLOCK_PATHS + 77; /* 17 blocks, the last short */
    o.seed = 4242;
    o.threads = 1;
    o.round_blocks = 5; /* rounds of 5, 5, 5 and 2 blocks: every split uneven */
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cx_wbuf want = {0};
    cx_accum_serialise(run->accum, &want);
    cx_wbuf_u64(&want, run->paths_done);
    cx_wbuf_u8(&want, run->complete);
    cx_wbuf_u8(&want, run->stopped);
    cx_run_free(run);
    check_ranks(0, 3, 1, &o, &want);
    check_ranks(0, 5, 1, &o, &want);
    check_ranks(0, 7, 2, &o, &want); /* more ranks than some rounds' blocks */
    cx_wbuf_clear(&want);
}

/* Replicate statistics (LHS, Sobol, antithetic): rank 0 needs every block's values too. */
Test(ranks, replicate_statistics_at_3_ranks_are_one_process_byte_for_byte)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 36 * CX_BLOCK_PATHS + 500; /* 2 batches of 16 blocks and a partial one */
    o.seed = 11;
    o.threads = 1;
    o.round_blocks = 7;
    o.n_rep_q = cx_report_replicate_levels(o.rep_q, NAN);
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(gt(u64, run->accum->rep_batches, 1));
    cx_wbuf want = {0};
    cx_accum_serialise(run->accum, &want);
    cx_wbuf_u64(&want, run->paths_done);
    cx_wbuf_u8(&want, run->complete);
    cx_wbuf_u8(&want, run->stopped);
    cx_run_free(run);
    check_ranks(0, 3, 1, &o, &want);
    check_ranks(0, 5, 2, &o, &want);
    cx_wbuf_clear(&want);
}

Test(ranks, target_ci_stops_at_the_same_paths_on_3_ranks)
{
    cx_target_ci t;
    char err[128];
    cr_assert(eq(int, cx_target_ci_parse(&t, "capex_burden:0.5:0.08", err, sizeof err), 0));
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 200000;
    o.seed = 7;
    o.threads = 1;
    o.stop = cx_target_ci_stop;
    o.cb_ctx = &t;
    o.stop_needs_accum = true;
    cx_run *run;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), 0));
    cr_assert(run->stopped && run->paths_done < o.paths);
    cx_wbuf want = {0};
    cx_accum_serialise(run->accum, &want);
    cx_wbuf_u64(&want, run->paths_done);
    cx_wbuf_u8(&want, run->complete);
    cx_wbuf_u8(&want, run->stopped);
    cx_run_free(run);
    check_ranks(0, 3, 1, &o, &want);
    cx_wbuf_clear(&want);
}

Test(ranks, tornado_and_sobol_at_3_ranks_are_one_process_byte_for_byte)
{
    char err[256];
    cx_study_opts so = {.paths = 5000, .seed = 3, .threads = 1, .metric = CX_M_CAPEX_BURDEN};
    cx_tornado_report *t;
    cr_assert(eq(int, cx_tornado_run(&t, sc, model, &so, err, sizeof err), 0), "%s", err);
    cx_wbuf want = {0};
    tornado_bytes(&want, t);
    cx_tornado_report_free(t);
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = so.paths;
    o.seed = so.seed;
    check_ranks(1, 3, 1, &o, &want);
    cx_wbuf_clear(&want);

    so.paths = 2100; /* 9 blocks of 256 base samples (the last short) over 3 and 5 ranks */
    cx_sobol_report *s;
    cr_assert(eq(int, cx_sobol_run(&s, sc, model, &so, err, sizeof err), 0), "%s", err);
    sobol_bytes(&want, s);
    cx_sobol_report_free(s);
    o.paths = so.paths;
    check_ranks(2, 3, 1, &o, &want);
    check_ranks(2, 5, 1, &o, &want);
    cx_wbuf_clear(&want);
}

/* Issue 21: optimize with each evaluation's blocks over 3 ranks (2 threads each) takes the same
 * steps on every rank and gives one process's result, frontier and check included. */
Test(ranks, optimize_at_3_ranks_is_one_process_byte_for_byte)
{
    char err[256];
    cr_assert(eq(int, cx_scenario_load_string(&opt_sc, opt_text, "opt.cfg", err, sizeof err), 0),
              "%s", err);
    cx_engine_opts o;
    cx_engine_opts_init(&o, opt_sc);
    o.paths = 2 * CX_BLOCK_PATHS - 300;
    o.seed = 11;
    o.threads = 1;
    cx_opt_opts oo;
    opt_options(&oo, &o);
    cx_opt_result *r;
    cr_assert(eq(int, cx_opt_run(&r, opt_sc, &oo, err, sizeof err), 0), "%s", err);
    cr_assert(r->n_frontier >= 2 && r->checked && r->evaluations > 10);
    cx_wbuf want = {0};
    optimize_bytes(&want, r);
    /* each evaluation's 2 blocks run on ranks 1 and 2 (rank 0's share of 2 is none) and
     * travel to rank 0: at least a block of kept values an evaluation */
    size_t least = (size_t)r->evaluations * CX_BLOCK_PATHS * sizeof(double);
    cx_opt_result_free(r);
    atomic_store(&sent_by_others, 0);
    check_ranks(3, 3, 2, &o, &want);
    cr_assert(atomic_load(&sent_by_others) >= least, "%zu bytes sent by ranks 1 and 2",
              atomic_load(&sent_by_others));
    cx_wbuf_clear(&want);
    cx_scenario_free(opt_sc);
}

static void nop_init(void *ctx, void *b, uint64_t k) { (void)ctx; (void)b; (void)k; }
static void nop_path(void *ctx, void *b, int t, const double *x, const cx_path_result *r)
{
    (void)ctx; (void)b; (void)t; (void)x; (void)r;
}
static void nop_merge(void *ctx, const void *b, uint64_t k) { (void)ctx; (void)b; (void)k; }
static int nop_start(void *ctx, int n) { (void)ctx; (void)n; return 0; }

/* Under several ranks an observer runs only when all its state is per block (shareable and
 * no start hook): the others are refused before any collective. */
Test(ranks, only_shareable_observers_run_under_ranks)
{
    hub h = {.size = 3};
    rank_ctx rc = {&h, 0};
    cx_engine_comm comm = {0, 3, &rc, fake_gather, fake_bcast, NULL, NULL, NULL};
    cx_observer ob = {.ctx = NULL, .block_bytes = 8, .block_init = nop_init, .path = nop_path,
                      .merge_block = nop_merge};
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 100;
    o.comm = &comm;
    o.observer = &ob;
    cx_run *run = NULL;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), CX_ERR_RANGE));
    ob.shareable = true;
    ob.start = nop_start;
    cr_assert(eq(int, cx_engine_run(&run, sc, model, &o), CX_ERR_RANGE));
    cr_assert(run == NULL);
}
