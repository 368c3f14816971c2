/* SPDX-License-Identifier: MIT */
/* Tests of the analyst features (issue 14): stress slices, stress cases, paired sections. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>

#include "models/model.h"
#include "sim/study/batch.h"
#include "sim/engine/engine.h"
#include "sim/base/error.h"
#include "sim/rng/pcg.h"
#include "sim/result/report.h"
#include "sim/input/sampler.h"
#include "sim/input/scenario.h"
#include "sim/study/stress.h"

static void setup(void)
{
    gsl_set_error_handler_off();
}

/*
 * A small scenario: a uniform tranche size (exact sampler, in no pair), a PERT cost
 * (tabulated, in no pair), and p_success (beta) correlated with the market drift (copula).
 */
static const char *small_cfg =
    "horizon_months = 12;\n"
    "supply = { tranches = ( { name = \"a\"; gw = { dist = \"uniform\"; low = 1.0; high = 5.0; };\n"
    "  cost_per_gw_year = { dist = \"pert\"; low = 8.0; mode = 10.0; high = 12.0; }; } ); };\n"
    "msl = { schedule = ( (0, 1.0) ); success_multiplier = 2.0;\n"
    "  p_success = { dist = \"beta\"; alpha = 3.0; beta = 4.0; }; decision_month = 3; };\n"
    "market = { price0 = 12.0; drift = { dist = \"uniform\"; low = -0.2; high = 0.2; }; vol = 0.2; };\n"
    "correlations = ( (\"msl.p_success\", \"market.drift\", 0.5) );\n"
    "report = { thresholds = [ 10.0, 20.0 ]; };\n";

static cx_scenario *load(const char *text)
{
    cx_scenario *sc;
    char err[512];
    int rc = cx_scenario_load_string(&sc, text, "small.cfg", err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    return sc;
}

static int idx(const cx_scenario *sc, const char *name)
{
    int i = cx_scenario_find_input(sc, name);
    cr_assert(i >= 0, "%s", name);
    return i;
}

/* ---- the sampler's slices ---- */

Test(stress, slices_map_the_same_draws_and_keep_the_copula, .init = setup)
{
    cx_scenario *sc = load(small_cfg);
    const int n = sc->n_inputs;
    const int gw = idx(sc, "supply.tranches.a.gw"), cost = idx(sc, "supply.tranches.a.cost_per_gw_year"),
              p = idx(sc, "msl.p_success"), drift = idx(sc, "market.drift");
    cx_slice *base = calloc((size_t)n, sizeof *base), *str = calloc((size_t)n, sizeof *str);
    cx_slice *only_p = calloc((size_t)n, sizeof *only_p);
    only_p[p] = (cx_slice){true, 0.0, 1.0};
    base[gw] = (cx_slice){true, 0.0, 1.0};
    base[p] = (cx_slice){true, 0.0, 1.0};
    str[gw] = (cx_slice){true, 0.9, 1.0};
    str[p] = (cx_slice){true, 0.0, 0.5};
    double *xb = calloc((size_t)n, sizeof *xb), *xs = calloc((size_t)n, sizeof *xs),
           *xd = calloc((size_t)n, sizeof *xd), *xp = calloc((size_t)n, sizeof *xp);
    double work[8];
    cr_assert(cx_sampler_work_size(sc->sampler) <= 8);
    gsl_rng *r1 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r2 = gsl_rng_alloc(cx_gsl_rng_pcg64),
            *r3 = gsl_rng_alloc(cx_gsl_rng_pcg64), *r4 = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cx_pcg64_stream(cx_rng_pcg64(r4), 7, 0);
    cx_pcg64_stream(cx_rng_pcg64(r1), 7, 0);
    cx_pcg64_stream(cx_rng_pcg64(r2), 7, 0);
    cx_pcg64_stream(cx_rng_pcg64(r3), 7, 0);
    const cx_dist *dp = &sc->inputs[p].dist;
    for (int t = 0; t < 5000; t++) {
        cx_sampler_draw_sliced(sc->sampler, base, r1, xb, work);
        cx_sampler_draw_sliced(sc->sampler, str, r2, xs, work);
        cx_sampler_draw_sliced(sc->sampler, only_p, r3, xd, work);
        /* the uniform input: x_s = F^-1(0.9 + 0.1 F(x_b)), F(x) = (x - 1) / 4 */
        double want = 1.0 + 4.0 * (0.9 + 0.1 * (xb[gw] - 1.0) / 4.0);
        cr_assert(fabs(xs[gw] - want) <= 1e-9, "path %d: %.17g vs %.17g", t, xs[gw], want);
        cr_assert(xs[gw] >= 4.6 - 1e-12 && xs[gw] <= 5.0);
        /* the correlated beta: F(x_s) = 0.5 F(x_b) (to the normal-score table's 1e-9 sd) */
        double fb = cx_dist_cdf(dp, xb[p]), fs = cx_dist_cdf(dp, xs[p]);
        cr_assert(fabs(fs - 0.5 * fb) <= 1e-6, "path %d: F %.12g vs %.12g", t, fs, 0.5 * fb);
        /* its copula partner and the other inputs: the very same values */
        cr_assert(eq(dbl, xs[drift], xb[drift]));
        cr_assert(eq(dbl, xs[cost], xb[cost]));
        /* a baseline whose only "on" input is tabulated or in the copula draws exactly what
         * cx_sampler_draw draws, bit for bit (the exact-sampler gw above moves the stream) */
        cx_sampler_draw(sc->sampler, r4, xp, work);
        for (int i = 0; i < n; i++)
            cr_assert(eq(dbl, xd[i], xp[i]), "path %d input %d", t, i);
    }
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    gsl_rng_free(r3);
    gsl_rng_free(r4);
    free(xp);
    free(only_p);
    free(xb);
    free(xs);
    free(xd);
    free(base);
    free(str);
    cx_scenario_free(sc);
}

/* The sliced draws of an exact-sampler input have the sliced distribution: the top decile of
 * U(1, 5) is U(4.6, 5), mean 4.8, sd 0.4 / sqrt(12); 5 SE. */
Test(stress, a_slice_has_the_conditional_distribution, .init = setup)
{
    cx_scenario *sc = load(small_cfg);
    int gw = idx(sc, "supply.tranches.a.gw");
    cx_slice *sl = calloc((size_t)sc->n_inputs, sizeof *sl);
    sl[gw] = (cx_slice){true, 0.9, 1.0};
    double *x = calloc((size_t)sc->n_inputs, sizeof *x), work[8];
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cx_pcg64_stream(cx_rng_pcg64(r), 11, 0);
    const int N = 20000;
    double sum = 0;
    for (int t = 0; t < N; t++) {
        cx_sampler_draw_sliced(sc->sampler, sl, r, x, work);
        sum += x[gw];
    }
    double se = 0.4 / sqrt(12.0) / sqrt((double)N);
    cr_assert(fabs(sum / N - 4.8) <= 5 * se, "mean %.6f", sum / N);
    gsl_rng_free(r);
    free(x);
    free(sl);
    cx_scenario_free(sc);
}

/* ---- stress cases ---- */

static void expect_bad(const cx_scenario *sc, const char *text, const char *msg)
{
    cx_stress_case c = {0};
    char err[256] = "";
    int rc = cx_stress_case_add_text(&c, sc, text, err, sizeof err);
    cr_assert(eq(int, rc, CX_ERR_USAGE), "%s", text);
    cr_assert(strstr(err, msg) != NULL, "%s: '%s' lacks '%s'", text, err, msg);
    cr_assert(strchr(err, '\n') == NULL);
    cx_stress_case_clear(&c);
}

Test(stress, bad_inputs_are_usage_errors, .init = setup)
{
    cx_scenario *sc = load(small_cfg);
    expect_bad(sc, "msl.p_sucess:0.9:1", "unknown input 'msl.p_sucess'");
    expect_bad(sc, "market.price0:0.9:1", "input 'market.price0' is fixed");
    expect_bad(sc, "msl.p_success:0.5:0.5", "0 <= LO < HI <= 1");
    expect_bad(sc, "msl.p_success:0.6:0.5", "0 <= LO < HI <= 1");
    expect_bad(sc, "msl.p_success:-0.1:0.5", "0 <= LO < HI <= 1");
    expect_bad(sc, "msl.p_success:0.5:1.5", "0 <= LO < HI <= 1");
    expect_bad(sc, "msl.p_success:0.5:nan", "0 <= LO < HI <= 1");
    expect_bad(sc, "msl.p_success:x:1", "LO and HI must be numbers");
    expect_bad(sc, "msl.p_success:0.9", "expected NAME:LO:HI");
    expect_bad(sc, ":0.1:0.9", "expected NAME:LO:HI");
    cx_stress_case c = {0};
    char err[256];
    cr_assert(eq(int, cx_stress_case_add_text(&c, sc, "msl.p_success:0.9:1", err, sizeof err), 0));
    cr_assert(eq(int, cx_stress_case_add_text(&c, sc, "msl.p_success:0:0.1", err, sizeof err),
                 CX_ERR_USAGE));
    cr_assert(strstr(err, "stressed twice") != NULL, "%s", err);
    cr_assert(eq(int, c.n, 1));
    cr_assert(eq(dbl, c.in[0].lo, 0.9));
    cr_assert(eq(dbl, c.in[0].hi, 1.0));
    cx_stress_case_clear(&c);
    cx_scenario_free(sc);
}

/* Writes small_cfg plus extra to a temporary file and loads it. */
static cx_scenario *load_file(const char *extra, char *path, size_t len)
{
    snprintf(path, len, "/tmp/cx-test-analyst-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(small_cfg, f);
    fputs(extra, f);
    fclose(f);
    cx_scenario *sc;
    char err[512];
    int rc = cx_scenario_load(&sc, path, err, sizeof err);
    cr_assert(eq(int, rc, 0), "%s", err);
    return sc;
}

Test(stress, cases_from_the_config, .init = setup)
{
    char path[64];
    cx_scenario *sc = load_file(
        "stress = { cases = (\n"
        "  { name = \"wins\"; inputs = ( { name = \"msl.p_success\"; lo = 0.9; hi = 1; } ); },\n"
        "  { name = \"both\"; inputs = ( { name = \"msl.p_success\"; lo = 0; hi = 0.1; },\n"
        "                               { name = \"market.drift\"; lo = 0.5; hi = 1.0; } ); } ); };\n",
        path, sizeof path);
    cx_stress_case *c;
    int n;
    char err[512] = "";
    cr_assert(eq(int, cx_stress_cases_load(&c, &n, sc, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, n, 2));
    cr_assert(eq(str, c[0].name, "wins"));
    cr_assert(eq(int, c[1].n, 2));
    cr_assert(eq(int, c[1].in[1].input, idx(sc, "market.drift")));
    cr_assert(eq(dbl, c[1].in[1].lo, 0.5));
    cx_stress_cases_free(c, n);
    cx_scenario_free(sc);
    unlink(path);
}

Test(stress, bad_cases_name_file_line_and_key, .init = setup)
{
    static const struct {
        const char *cfg, *msg;
    } bad[] = {
        {"stress = { cases = ( { name = \"w\"; inputs = ( { name = \"nope\"; lo = 0.9; hi = 1; } ); } ); };\n",
         ":9: stress.cases.w.inputs.nope: unknown input 'nope'"},
        {"stress = { cases = ( { name = \"w\"; inputs = ( { name = \"market.price0\"; lo = 0.9; hi = 1; } ); } ); };\n",
         ": stress.cases.w.inputs.market.price0: input 'market.price0' is fixed"},
        {"stress = { cases = ( { name = \"w\"; inputs = ( { name = \"msl.p_success\"; lo = 0.9; hi = 0.2; } ); } ); };\n",
         ": stress.cases.w.inputs.msl.p_success: msl.p_success: the slice needs 0 <= LO < HI <= 1"},
        {"stress = { cases = ( { name = \"w\"; inputs = ( { name = \"msl.p_success\"; lo = 0.9; } ); } ); };\n",
         ": stress.cases.w.inputs.msl.p_success: lo and hi must be numbers"},
        {"stress = { cases = ( { name = \"w\"; inputs = ( ); } ); };\n",
         ": stress.cases.w.inputs: a list of one or more"},
        {"stress = { cases = ( { name = \"w\"; input = ( ); } ); };\n",
         ": stress.cases.w.input: unknown key"},
        {"stress = { case = ( ); };\n", ": stress.case: unknown key"},
        {"stress = { cases = ( { inputs = ( ); } ); };\n", ": stress.cases.name: missing"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char path[64];
        cx_scenario *sc = load_file(bad[k].cfg, path, sizeof path);
        cx_stress_case *c;
        int n;
        char err[512] = "";
        cr_assert(eq(int, cx_stress_cases_load(&c, &n, sc, err, sizeof err), CX_ERR_CONFIG), "case %zu", k);
        cr_assert(strncmp(err, path, strlen(path)) == 0, "case %zu: %s", k, err);
        cr_assert(strstr(err, bad[k].msg) != NULL, "case %zu: '%s' lacks '%s'", k, err, bad[k].msg);
        cr_assert(c == NULL && n == 0);
        cx_scenario_free(sc);
        unlink(path);
    }
}

/* ---- paired sections ---- */

static void run_sections(const cx_scenario *sc, const cx_model *m, uint64_t paths, int threads,
                         const cx_input_source *src, cx_run **run, cx_report **rep,
                         cx_sections **sec)
{
    cr_assert(eq(int, cx_sections_new(sec, paths, sc->thresholds, sc->n_thresholds,
                                      sc->relative_error), 0));
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = paths;
    o.seed = 5;
    o.threads = threads;
    o.source = src;
    o.observer = cx_sections_observer(*sec);
    cr_assert(eq(int, cx_engine_run(run, sc, m, &o), 0));
    cr_assert(eq(int, cx_report_new(rep, (*run)->accum), 0));
}

Test(batch, sections_are_thread_independent_and_a_run_minus_itself_is_zero, .init = setup)
{
    cx_scenario *sc = load(small_cfg);
    cx_model *m;
    char err[256];
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0));
    const uint64_t paths = 7 * 1024 + 100; /* 8 blocks, the last short: 8 sections */
    cx_run *r1, *r3;
    cx_report *p1, *p3;
    cx_sections *s1, *s3;
    run_sections(sc, m, paths, 1, NULL, &r1, &p1, &s1);
    run_sections(sc, m, paths, 3, NULL, &r3, &p3, &s3);
    cr_assert(eq(int, cx_sections_k(s1), 8));
    cr_assert(eq(int, cx_sections_n_stats(s1), CX_N_HEADLINE + 2));
    uint64_t n = 0;
    double sum = 0;
    for (int k = 0; k < 8; k++) {
        for (int h = 0; h < cx_sections_n_stats(s1); h++) {
            double a = cx_sections_stat(s1, k, h), b = cx_sections_stat(s3, k, h);
            cr_assert(a == b || (isnan(a) && isnan(b)), "section %d stat %d", k, h);
        }
        uint64_t nk = k < 7 ? 1024 : 100;
        n += nk;
        sum += cx_sections_stat(s1, k, CX_H_BURDEN_MEAN) * (double)nk;
    }
    cr_assert(eq(u64, n, paths));
    /* the size-weighted section means give back the run's mean (to rounding) */
    double mean = p1->metric[CX_M_CAPEX_BURDEN].mean;
    cr_assert(fabs(sum / (double)n - mean) <= 1e-12 * fabs(mean), "%.17g vs %.17g", sum / (double)n, mean);
    /* full-run statistics are the report's; thresholds counted exactly, as the report's */
    cr_assert(eq(dbl, cx_sections_full(s1, p1, CX_H_BURDEN_P95), p1->metric[CX_M_CAPEX_BURDEN].pct[7]));
    cr_assert(eq(dbl, cx_sections_full(s1, p1, CX_N_HEADLINE + 1), p1->exceed[1]));
    for (int h = 0; h < cx_sections_n_stats(s1); h++) {
        cx_paired_diff d;
        cr_assert(eq(int, cx_paired_diff_of(&d, s3, p3, s1, p1, h), 0));
        cr_assert(eq(dbl, d.diff, 0.0), "stat %d", h);
        cr_assert(eq(dbl, d.se, 0.0), "stat %d", h);
    }
    cx_sections_free(s1);
    cx_sections_free(s3);
    cx_report_free(p1);
    cx_report_free(p3);
    cx_run_free(r1);
    cx_run_free(r3);
    cx_model_free(m);
    cx_scenario_free(sc);
}

/*
 * A stress whose effect is known: p_success held to its top decile. msl_success is a Bernoulli
 * of p, so P(success) = E[p | p >= F^-1(0.9)] for beta(3, 4), computed here by quadrature; the
 * stressed run's msl_success mean must be within 5 binomial SE of it. The paired difference of
 * the burden mean must agree with the reports' difference exactly and have a finite CI.
 */
Test(batch, stress_of_p_success_gives_the_conditional_success_rate, .init = setup)
{
    cx_scenario *sc = load(small_cfg);
    cx_model *m;
    char err[256];
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0));
    int p = idx(sc, "msl.p_success");
    cx_stress_case c = {0};
    cr_assert(eq(int, cx_stress_case_add(&c, sc, "msl.p_success", 0.9, 1.0, err, sizeof err), 0));
    cx_input_source src[2];
    cx_stress_source ctx[2];
    cx_run *run[2];
    cx_report *rep[2];
    cx_sections *sec[2];
    const uint64_t paths = 40 * 1024;
    for (int i = 0; i < 2; i++) {
        cr_assert(eq(int, cx_stress_source_init(&src[i], &ctx[i], sc, &c, i == 1), 0));
        run_sections(sc, m, paths, 2, &src[i], &run[i], &rep[i], &sec[i]);
    }
    /* E[p | top decile] of beta(3, 4): midpoint rule on 10^6 cells of the density */
    const cx_dist *d = &sc->inputs[p].dist;
    double q90 = cx_dist_quantile(d, 0.9), num = 0, den = 0;
    const int cells = 1000000;
    for (int k = 0; k < cells; k++) {
        double x = q90 + (1.0 - q90) * (k + 0.5) / cells;
        double f = 60.0 * x * x * pow(1.0 - x, 3);
        num += x * f;
        den += f;
    }
    double want = num / den;
    double got = rep[1]->metric[CX_M_MSL_SUCCESS].mean;
    double se = sqrt(want * (1 - want) / (double)paths);
    cr_assert(fabs(got - want) <= 5 * se, "P(success) %.5f vs %.5f (se %.5f)", got, want, se);
    /* the baseline's rate is the beta mean 3/7 */
    double base = rep[0]->metric[CX_M_MSL_SUCCESS].mean;
    double se0 = sqrt(3.0 / 7 * 4.0 / 7 / (double)paths);
    cr_assert(fabs(base - 3.0 / 7) <= 5 * se0, "baseline %.5f", base);
    cx_paired_diff pd;
    cr_assert(eq(int, cx_paired_diff_of(&pd, sec[1], rep[1], sec[0], rep[0], CX_H_BURDEN_MEAN), 0));
    cr_assert(eq(dbl, pd.diff, rep[1]->metric[CX_M_CAPEX_BURDEN].mean - rep[0]->metric[CX_M_CAPEX_BURDEN].mean));
    cr_assert(isfinite(pd.se) && pd.se > 0 && pd.lo < pd.diff && pd.diff < pd.hi);
    for (int i = 0; i < 2; i++) {
        cx_sections_free(sec[i]);
        cx_report_free(rep[i]);
        cx_run_free(run[i]);
        cx_stress_source_clear(&ctx[i]);
    }
    cx_stress_case_clear(&c);
    cx_model_free(m);
    cx_scenario_free(sc);
}

Test(batch, same_inputs_follows_names_families_and_pairs, .init = setup)
{
    cx_scenario *a = load(small_cfg);
    /* a different number of a fixed input: still the same uncertain inputs */
    char *t = strdup(small_cfg);
    char *s = strstr(t, "price0 = 12.0");
    memcpy(s, "price0 = 13.0", 13);
    cx_scenario *b = load(t);
    cr_assert(cx_batch_same_inputs(a, b));
    /* another family for one input: not paired path by path */
    s = strstr(t, "dist = \"uniform\"; low = 1.0");
    cr_assert(s != NULL);
    char *u = malloc(strlen(t) + 64);
    snprintf(u, strlen(t) + 64, "%.*sdist = \"triangular\"; low = 1.0; mode = 2.0%s", (int)(s - t), t,
             s + strlen("dist = \"uniform\"; low = 1.0"));
    cx_scenario *c = load(u);
    cr_assert(not(cx_batch_same_inputs(a, c)));
    /* without the correlation: not paired */
    s = strstr(t, "correlations");
    *s = '\0';
    cx_scenario *e = load(t);
    cr_assert(not(cx_batch_same_inputs(a, e)));
    cx_scenario_free(a);
    cx_scenario_free(b);
    cx_scenario_free(c);
    cx_scenario_free(e);
    free(t);
    free(u);
}

/*
 * Issue 20: an outcome held on every path. msl.success = 0 makes MSL fail on every path
 * (msl_success's mean is exactly 0), = 1 succeed wherever p > 0 (beta(3, 4): every path, so
 * exactly 1), while the baseline keeps its Bernoulli(p) rate, 3/7 within 5 binomial SE.
 * Bad names and values are one-line usage errors.
 */
Test(stress, an_outcome_held_on_every_path, .init = setup)
{
    cx_scenario *sc = load(small_cfg);
    cx_model *m;
    char err[512];
    cr_assert(eq(int, cx_model_new(&m, sc, err, sizeof err), 0));
    const uint64_t paths = 20 * 1024;
    for (int v = 0; v <= 1; v++) {
        cx_stress_case c = {0};
        const char *txt = v ? "msl.success=1" : "msl.success=0";
        cr_assert(eq(int, cx_stress_case_add_text(&c, sc, txt, err, sizeof err), 0), "%s", err);
        cr_assert(eq(int, c.n, 1));
        cr_assert(eq(int, c.in[0].outcome, v));
        cx_input_source src[2];
        cx_stress_source ctx[2];
        cx_run *run[2];
        cx_report *rep[2];
        cx_sections *sec[2];
        for (int i = 0; i < 2; i++) {
            cr_assert(eq(int, cx_stress_source_init(&src[i], &ctx[i], sc, &c, i == 1), 0));
            run_sections(sc, m, paths, 2, &src[i], &run[i], &rep[i], &sec[i]);
        }
        cr_assert(eq(dbl, rep[1]->metric[CX_M_MSL_SUCCESS].mean, (double)v));
        double base = rep[0]->metric[CX_M_MSL_SUCCESS].mean;
        double se0 = sqrt(3.0 / 7 * 4.0 / 7 / (double)paths);
        cr_assert(fabs(base - 3.0 / 7) <= 5 * se0, "baseline %.5f", base);
        /* success doubles MSL demand (success_multiplier 2): less idle, less burden */
        if (v == 1)
            cr_assert(lt(dbl, rep[1]->metric[CX_M_CAPEX_BURDEN].mean,
                         rep[0]->metric[CX_M_CAPEX_BURDEN].mean));
        else
            cr_assert(gt(dbl, rep[1]->metric[CX_M_CAPEX_BURDEN].mean,
                         rep[0]->metric[CX_M_CAPEX_BURDEN].mean));
        for (int i = 0; i < 2; i++) {
            cx_sections_free(sec[i]);
            cx_report_free(rep[i]);
            cx_run_free(run[i]);
            cx_stress_source_clear(&ctx[i]);
        }
        cx_stress_case_clear(&c);
    }
    cx_stress_case c = {0};
    cr_assert(eq(int, cx_stress_case_add_text(&c, sc, "msl.sucess=0", err, sizeof err),
                 CX_ERR_USAGE));
    cr_assert(eq(str, err, "unknown outcome 'msl.sucess' (outcomes: msl.success)"));
    cr_assert(eq(int, cx_stress_case_add_text(&c, sc, "msl.p_success=0", err, sizeof err),
                 CX_ERR_USAGE));
    cr_assert(eq(int, cx_stress_case_add_text(&c, sc, "msl.success=0.5", err, sizeof err),
                 CX_ERR_USAGE));
    cr_assert(not(eq(ptr, strstr(err, "0 (fails) or 1 (succeeds)"), NULL)), "%s", err);
    cx_stress_case_clear(&c);
    cx_model_free(m);
    cx_scenario_free(sc);
}
