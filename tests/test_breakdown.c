/* SPDX-License-Identifier: MIT */
/* Tests of the outcome breakdown (issue 20 item 3): exact conditional answers, coverage,
 * thread counts, the default scenario, scenarios without outcomes, its bytes. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/engine.h"
#include "sim/engine/sampling.h"
#include "sim/input/scenario.h"
#include "sim/result/output.h"
#include "sim/result/report.h"
#include "sim/study/sweep.h"

/*
 * A scenario whose burden given MSL's outcome is known in closed form: one tranche of 2 GW
 * at a cost c ~ U(10, 14) $B/GW-yr, 12 months, MSL demand 1 GW from month 0, times 1.5 when
 * MSL succeeds (p = 0.3) and 0.5 when it fails, nothing else. Idle GW is 0.5 or 1.5 in every
 * month, so burden = idle x c: given failure 1.5 c, given success 0.5 c. Hence
 *   E[B | fails] = 18, P50 18, P95 1.5 x 13.8 = 20.7, CVaR95 1.5 x 13.9 = 20.85;
 *   E[B | succeeds] = 6, P50 6, P95 6.9, CVaR95 6.95;
 *   Var B = E[idle^2] E[c^2] - (E[idle] E[c])^2 = 1.65 x (144 + 4/3) - 14.4^2 = 32.44,
 *   between-group variance p (1 - p) (18 - 6)^2 = 0.21 x 144 = 30.24: share 30.24 / 32.44.
 * Revenue is 0 on every path: its share is undefined.
 */
static const char *known_cfg =
    "horizon_months = 12;\n"
    "supply = { tranches = ( { name = \"t\"; gw = 2.0;\n"
    "  cost_per_gw_year = { dist = \"uniform\"; low = 10.0; high = 14.0; }; } ); };\n"
    "msl = { schedule = ( (0, 1.0) ); p_success = 0.3; decision_month = 0;\n"
    "        success_multiplier = 1.5; failure_multiplier = 0.5; };\n"
    "market = { price0 = 12.0; };\n";

#define SHARE_EXACT (30.24 / 32.44)

static void setup(void)
{
    gsl_set_error_handler_off();
}

static cx_scenario *load(const char *text)
{
    cx_scenario *sc = NULL;
    char err[512] = "";
    cr_assert(eq(int, cx_scenario_load_string(&sc, text, "known.cfg", err, sizeof err), 0), "%s",
              err);
    return sc;
}

/* A run of sc with the breakdown (MC, or sampling with antithetic pairs when lhs). */
static cx_report *run_report(const cx_scenario *sc, uint64_t paths, uint64_t seed, int threads,
                             bool lhs)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = paths;
    o.seed = seed;
    o.threads = threads;
    o.breakdown = true;
    cx_run *run = NULL;
    char err[512] = "";
    cr_assert(eq(int, cx_sens_engine_run(&run, sc, &o, lhs ? CX_SAMPLING_LHS : CX_SAMPLING_MC,
                                         lhs, err, sizeof err), 0), "%s", err);
    cx_report *r = NULL;
    cr_assert(eq(int, cx_report_new(&r, run->accum), 0));
    cx_report_set_scenario(r, sc);
    cx_run_free(run);
    return r;
}

/* Half-width of a CI as a standard error (normal or t: the caller's tolerance is 5 of them). */
static double se_of(double lo, double hi)
{
    return (hi - lo) / (2 * 1.96);
}

#define assert_within(x, exact, lo, hi)                                                      \
    cr_assert(le(dbl, fabs((x) - (exact)), 5 * se_of(lo, hi) + 1e-12),                       \
              "%s = %.6g, exact %.6g, CI [%.6g, %.6g]", #x, (double)(x), (double)(exact),   \
              (double)(lo), (double)(hi))

TestSuite(breakdown, .init = setup);

/* The breakdown against the closed-form answers above, under MC and under LHS. */
static void check_known(bool lhs)
{
    cx_scenario *sc = load(known_cfg);
    cx_report *r = run_report(sc, 40 * CX_BLOCK_PATHS, 11, 2, lhs);
    cr_assert(eq(int, r->n_bd, 1));
    cr_assert(eq(str, (char *)r->bd[0].name, "msl.success"));
    cr_assert(eq(str, (char *)r->bd[0].prob_name, "msl.p_success"));
    const cx_bd_stats *b = &r->bd[0].m[cx_report_bd_index(CX_M_CAPEX_BURDEN)];
    const cx_bd_group *f = &b->g[0], *s = &b->g[1];
    cr_assert(eq(u64, f->n + s->n, 40 * CX_BLOCK_PATHS));
    assert_within(s->share, 0.3, s->share_lo, s->share_hi);
    assert_within(f->mean, 18.0, f->mean_lo, f->mean_hi);
    assert_within(s->mean, 6.0, s->mean_lo, s->mean_hi);
    assert_within(f->p50, 18.0, f->p50_lo, f->p50_hi);
    assert_within(f->p95, 20.7, f->p95_lo, f->p95_hi);
    assert_within(s->p95, 6.9, s->p95_lo, s->p95_hi);
    assert_within(f->cvar95, 20.85, f->cvar95_lo, f->cvar95_hi);
    assert_within(s->cvar95, 6.95, s->cvar95_lo, s->cvar95_hi);
    assert_within(b->var_share, SHARE_EXACT, b->var_share_lo, b->var_share_hi);
    /* sd given the outcome: 1.5 x sd(c) and 0.5 x sd(c), sd(c) = 4 / sqrt(12) */
    cr_assert(le(dbl, fabs(f->sd - 1.5 * 4 / sqrt(12.0)), 0.02));
    cr_assert(le(dbl, fabs(s->sd - 0.5 * 4 / sqrt(12.0)), 0.02));
    /* no revenue at all: nothing to explain */
    const cx_bd_stats *rev = &r->bd[0].m[cx_report_bd_index(CX_M_REVENUE_TOTAL)];
    cr_assert(isnan(rev->var_share));
    cr_assert(eq(dbl, rev->g[0].mean, 0.0));
    cx_report_free(r);
    cx_scenario_free(sc);
}

Test(breakdown, exact_conditional_answers_mc)
{
    check_known(false);
}

Test(breakdown, exact_conditional_answers_lhs_antithetic)
{
    check_known(true);
}

/*
 * Coverage: over 60 seeds of 8 blocks each, the 95% CIs of the conditional means, P95, CVaR95
 * and the variance share hold the exact value in at least 51 runs (expected 57; fewer than 51
 * has probability about 3e-3 for a true 95% interval).
 */
Test(breakdown, intervals_cover, .timeout = 120)
{
    cx_scenario *sc = load(known_cfg);
    enum { R = 60 };
    int cover[6] = {0};
    for (int k = 0; k < R; k++) {
        cx_report *r = run_report(sc, 8 * CX_BLOCK_PATHS, 1000 + (uint64_t)k, 1, false);
        const cx_bd_stats *b = &r->bd[0].m[0];
        const cx_bd_group *f = &b->g[0], *s = &b->g[1];
        cover[0] += f->mean_lo <= 18 && 18 <= f->mean_hi;
        cover[1] += s->mean_lo <= 6 && 6 <= s->mean_hi;
        cover[2] += f->p95_lo <= 20.7 && 20.7 <= f->p95_hi;
        cover[3] += f->cvar95_lo <= 20.85 && 20.85 <= f->cvar95_hi;
        cover[4] += b->var_share_lo <= SHARE_EXACT && SHARE_EXACT <= b->var_share_hi;
        cover[5] += s->share_lo <= 0.3 && 0.3 <= s->share_hi;
        cx_report_free(r);
    }
    static const char *what[6] = {"mean | fails", "mean | succeeds", "p95 | fails",
                                  "cvar95 | fails", "variance share", "share succeeds"};
    for (int i = 0; i < 6; i++)
        cr_assert(ge(int, cover[i], 51), "%s: %d of %d intervals hold the exact value", what[i],
                  cover[i], R);
    cx_scenario_free(sc);
}

/* The JSON of a report with the breakdown, timing fields aside. */
static char *report_json(const cx_report *r, const cx_scenario *sc, uint64_t paths)
{
    cx_run_info info = {sc->name, sc->sha256, "mc", 1, paths, paths, 1, 0.0, true,
                        CX_BLOCK_PATHS};
    json_t *doc = cx_output_json(r, &info);
    cr_assert(doc != NULL);
    char *s = json_dumps(json_object_get(doc, "outcome_breakdown"),
                         JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(doc);
    return s;
}

/* Integer state: the same bytes for 1 and 2 threads (and 3 on an odd count of blocks). */
Test(breakdown, same_bytes_for_any_thread_count, .timeout = 120)
{
    cx_scenario *sc = NULL;
    char err[512] = "";
    cr_assert(eq(int, cx_scenario_load_default(&sc, err, sizeof err), 0), "%s", err);
    for (int lhs = 0; lhs < 2; lhs++) {
        const uint64_t n = 7 * CX_BLOCK_PATHS + 5;
        char *s[3];
        for (int t = 0; t < 3; t++) {
            cx_report *r = run_report(sc, n, 5, t + 1, lhs);
            s[t] = report_json(r, sc, n);
            cr_assert(s[t] != NULL);
            cx_report_free(r);
        }
        cr_assert(eq(str, s[1], s[0]), "2 threads differ from 1 (lhs %d)", lhs);
        cr_assert(eq(str, s[2], s[0]), "3 threads differ from 1 (lhs %d)", lhs);
        for (int t = 0; t < 3; t++) free(s[t]);
    }
    cx_scenario_free(sc);
}

/* The default scenario: MSL's outcome explains the largest share of the burden's variance
 * (about 0.55: issue 20), and every outcome input is there. */
Test(breakdown, default_scenario_msl_first, .timeout = 120)
{
    cx_scenario *sc = NULL;
    char err[512] = "";
    cr_assert(eq(int, cx_scenario_load_default(&sc, err, sizeof err), 0), "%s", err);
    cx_report *r = run_report(sc, 20 * CX_BLOCK_PATHS, 3, 2, false);
    int n_out = 0;
    for (int i = 0; i < sc->n_inputs; i++) n_out += sc->inputs[i].outcome && sc->inputs[i].uncertain;
    cr_assert(eq(int, r->n_bd, n_out));
    int top = cx_report_bd_top(r, CX_M_CAPEX_BURDEN);
    cr_assert(ge(int, top, 0));
    cr_assert(eq(str, (char *)r->bd[top].name, "msl.success"));
    const cx_bd_stats *b = &r->bd[top].m[0];
    cr_assert(gt(dbl, b->var_share_lo, 0.4));
    cr_assert(lt(dbl, b->var_share_hi, 0.7));
    cr_assert(gt(dbl, b->g[0].mean, 4 * b->g[1].mean), "burden given MSL fails vs succeeds");
    cx_report_free(r);
    cx_scenario_free(sc);
}

/* No uncertain outcome (no MSL, TaaS or deal; or MSL certain): no breakdown, no JSON key. */
Test(breakdown, no_outcomes_no_section)
{
    static const char *cfgs[2] = {
        "horizon_months = 12;\n"
        "supply = { tranches = ( { name = \"t\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
        "market = { price0 = 12.0; };\n",
        "horizon_months = 12;\n"
        "supply = { tranches = ( { name = \"t\"; gw = 2.0; cost_per_gw_year = 12.0; } ); };\n"
        "msl = { schedule = ( (0, 1.0) ); p_success = 1.0; };\n"
        "market = { price0 = 12.0; };\n"};
    for (int i = 0; i < 2; i++) {
        cx_scenario *sc = load(cfgs[i]);
        cx_report *r = run_report(sc, 2048, 1, 1, false);
        cr_assert(eq(int, r->n_bd, 0));
        cx_run_info info = {sc->name, sc->sha256, "mc", 1, 2048, 2048, 1, 0.0, true,
                            CX_BLOCK_PATHS};
        json_t *doc = cx_output_json(r, &info);
        cr_assert(doc != NULL);
        cr_assert(json_object_get(doc, "outcome_breakdown") == NULL);
        json_decref(doc);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        cx_output_table(f, r, &info);
        fclose(f);
        cr_assert(strstr(buf, "outcome breakdown") == NULL);
        free(buf);
        cx_report_free(r);
        cx_scenario_free(sc);
    }
}

/* The accumulator's bytes carry the breakdown: serialise, read back into an accumulator
 * without one, and the report is the same; a damaged count is refused. */
Test(breakdown, bytes_round_trip)
{
    cx_scenario *sc = load(known_cfg);
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = 3 * CX_BLOCK_PATHS;
    o.breakdown = true;
    cx_model *m = NULL;
    char err[256];
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0));
    cx_run *run = NULL;
    cr_assert(eq(int, cx_engine_run(&run, sc, m, &o), 0));
    cx_wbuf w = {0};
    cx_accum_serialise(run->accum, &w);
    cr_assert(eq(int, w.err, 0));
    cx_accum *b = NULL;
    cr_assert(eq(int, cx_accum_new(&b, run->accum->n_quarters, NULL, 0, sc->relative_error), 0));
    cx_rbuf r;
    cx_rbuf_init(&r, w.p, w.n);
    cr_assert(eq(int, cx_accum_deserialise(b, &r), 0));
    cr_assert(b->bd != NULL);
    cr_assert(cx_breakdown_same_shape(b->bd, run->accum->bd));
    cx_wbuf w2 = {0};
    cx_accum_serialise(b, &w2);
    cr_assert(eq(u64, w2.n, w.n));
    cr_assert(eq(int, memcmp(w.p, w2.p, w.n), 0));
    /* one more path in a group than the accumulator holds: refused */
    b->bd->cell[0].n[1]++;
    cx_wbuf w3 = {0};
    cx_accum_serialise(b, &w3);
    cx_rbuf_init(&r, w3.p, w3.n);
    cr_assert(eq(int, cx_accum_deserialise(b, &r), CX_ERR_RANGE));
    cx_wbuf_clear(&w);
    cx_wbuf_clear(&w2);
    cx_wbuf_clear(&w3);
    cx_accum_free(b);
    cx_run_free(run);
    cx_model_free(m);
    cx_scenario_free(sc);
}

/* A checkpoint holds the breakdown (format 3): a run's checkpoint reopened for the same
 * outcomes resumes; for other outcomes it is refused naming the field. */
Test(breakdown, checkpoint_holds_it)
{
    cx_scenario *sc = load(known_cfg);
    cx_model *m = NULL;
    char err[512] = "";
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0));
    char path[] = "/tmp/cx_bd_ckpt_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(ge(int, fd, 0));
    close(fd);
    unlink(path); /* a new checkpoint: the first save creates it */
    /* the scenario's digest is left zero: a text scenario has no file to hash, and the
     * checkpoint only compares it with its own */
    cx_ckpt_id id = {.command = "run", .seed = 9, .paths = 4 * CX_BLOCK_PATHS};
    cx_bd_shape shape;
    cx_bd_shape_of(&shape, sc);
    cr_assert(eq(int, shape.n_out, 1));
    cx_ckpt *ck = NULL;
    cr_assert(eq(int, cx_ckpt_open(&ck, path, &id, 1, cx_model_quarters(m), NULL, 0,
                                   sc->relative_error, &shape, NULL, 0, err, sizeof err), 0), "%s", err);
    cx_engine_ckpt hooks;
    cx_ckpt_hooks(ck, &hooks);
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = id.paths;
    o.seed = id.seed;
    o.breakdown = true;
    o.ckpt = &hooks;
    cx_run *run = NULL;
    cr_assert(eq(int, cx_engine_run(&run, sc, m, &o), 0));
    cx_report *r1 = NULL;
    cr_assert(eq(int, cx_report_new(&r1, run->accum), 0));
    cx_run_free(run);
    cx_ckpt_free(ck);
    /* the same outcomes: the ended run's state, with the breakdown, is reported again */
    cr_assert(eq(int, cx_ckpt_open(&ck, path, &id, 1, cx_model_quarters(m), NULL, 0,
                                   sc->relative_error, &shape, NULL, 0, err, sizeof err), 0), "%s", err);
    cx_ckpt_hooks(ck, &hooks);
    cr_assert(eq(int, cx_engine_run(&run, sc, m, &o), 0));
    cx_report *r2 = NULL;
    cr_assert(eq(int, cx_report_new(&r2, run->accum), 0));
    cr_assert(eq(int, r2->n_bd, 1));
    cr_assert(eq(int, memcmp(&r1->bd[0].m[0], &r2->bd[0].m[0], sizeof r1->bd[0].m[0]), 0));
    cx_run_free(run);
    cx_ckpt_free(ck);
    /* no breakdown expected (a sweep's runs): refused, naming the field */
    const cx_bd_shape none = {0};
    cr_assert(eq(int, cx_ckpt_open(&ck, path, &id, 1, cx_model_quarters(m), NULL, 0,
                                   sc->relative_error, &none, NULL, 0, err, sizeof err), CX_ERR_CONFIG));
    cr_assert(ne(ptr, strstr(err, "outcome breakdown: 1 outcomes, the run breaks down 0"), NULL),
              "%s", err);
    cx_report_free(r1);
    cx_report_free(r2);
    unlink(path);
    cx_model_free(m);
    cx_scenario_free(sc);
}
