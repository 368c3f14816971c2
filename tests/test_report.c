/* SPDX-License-Identifier: MIT */
/* Tests of the report's statistics on small samples worked out by hand, and of its JSON/CSV. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>

#include "sim/engine/accum.h"
#include "sim/result/output.h"
#include "sim/result/report.h"

#define ALPHA 0.001

/* Within the sketch's relative error of the exact order statistic. */
#define assert_near_rel(got, exact)                                                          \
    cr_assert(le(dbl, fabs((got) - (exact)), ALPHA * fabs(exact)), "got %.17g, exact %.17g", \
              (double)(got), (double)(exact))

/* An accumulator fed with burdens v[n] (one block, moments folded like the engine does). */
static cx_accum *feed(const double *v, int n, const double *thr, int n_thr)
{
    cx_accum *a;
    cr_assert(eq(int, cx_accum_new(&a, 2, thr, n_thr, ALPHA), 0));
    cx_block_moments b;
    cr_assert(eq(int, cx_block_moments_init(&b, 2), 0));
    cx_block_moments_reset(&b);
    for (int i = 0; i < n; i++) {
        cx_path_result res;
        memset(&res, 0, sizeof res);
        res.metric[CX_M_CAPEX_BURDEN] = v[i];
        res.metric[CX_M_REVENUE_TOTAL] = 100.0 + v[i];
        res.quarter[CX_Q_IDLE_GW_MEAN][0] = v[i] / 10;
        res.quarter[CX_Q_REVENUE][1] = -v[i];
        cx_accum_add(a, &res);
        cx_block_moments_add(&b, &res, 2);
    }
    cx_block_moments_finish(&b);
    cx_accum_merge_block(a, &b);
    cx_block_moments_clear(&b);
    return a;
}

/* burdens 3 1 4 1 5 9 2 6 5 3; sorted: 1 1 2 3 3 4 5 5 6 9 */
static const double ten[10] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
static const double thr[2] = {3, 5};

Test(report, mean_sd_se_min_max)
{
    cx_accum *a = feed(ten, 10, thr, 2);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    const cx_metric_stats *b = &r->metric[CX_M_CAPEX_BURDEN];
    /* sum 39, mean 3.9 */
    cr_assert(ieee_ulp_eq(dbl, b->mean, 3.9, 4));
    /* squared deviations: .81 8.41 .01 8.41 1.21 26.01 3.61 4.41 1.21 .81 = 54.9;
     * sd = sqrt(54.9 / 9) = sqrt(6.1) (n - 1), se = sd / sqrt(10) */
    cr_assert(ieee_ulp_eq(dbl, b->sd, sqrt(6.1), 8));
    cr_assert(ieee_ulp_eq(dbl, b->se, sqrt(6.1) / sqrt(10.0), 8));
    cr_assert(eq(dbl, b->min, 1.0));
    cr_assert(eq(dbl, b->max, 9.0));
    cr_assert(eq(u64, b->n, 10));
    /* revenue_total = 100 + burden: mean 103.9, same sd */
    cr_assert(ieee_ulp_eq(dbl, r->metric[CX_M_REVENUE_TOTAL].mean, 103.9, 4));
    cr_assert(ieee_ulp_eq(dbl, r->metric[CX_M_REVENUE_TOTAL].sd, sqrt(6.1), 64));
    cx_report_free(r);
    cx_accum_free(a);
}

Test(report, percentiles_rank_ceil_nq)
{
    cx_accum *a = feed(ten, 10, thr, 2);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    const cx_metric_stats *b = &r->metric[CX_M_CAPEX_BURDEN];
    /* ranks ceil(10 q): p1 .1->1, p5 .5->1, p10 1->1, p25 2.5->3, p50 5->5, p75 7.5->8,
     * p90 9->9, p95 9.5->10, p99 9.9->10; sorted 1 1 2 3 3 4 5 5 6 9 */
    const double expect[CX_N_PCT] = {1, 1, 1, 2, 3, 5, 6, 9, 9};
    for (int j = 0; j < CX_N_PCT; j++) assert_near_rel(b->pct[j], expect[j]);
    cx_report_free(r);
    cx_accum_free(a);
}

/*
 * Integer metrics (deals_signed, ...): every percentile and CI end is the exact order statistic,
 * an integer, where a plain metric gets the sketch's bucket representative. Values 0..20,
 * value v taken (v % 7) + 1 times; the sorted list is built by the same loop.
 */
Test(report, integer_metrics_exact_percentiles)
{
    static double sorted[200];
    int n = 0;
    for (int v = 0; v <= 20; v++)
        for (int c = 0; c < v % 7 + 1; c++) sorted[n++] = v;
    /* v % 7 + 1 over 0..20 is 1..7 three times: n = 3 x 28 = 84 */
    cr_assert(eq(int, n, 84));
    cx_accum *a;
    cr_assert(eq(int, cx_accum_new(&a, 2, NULL, 0, ALPHA), 0));
    for (int i = 0; i < n; i++) {
        cx_path_result res;
        memset(&res, 0, sizeof res);
        /* fed in a scrambled order: 37 is prime to 84 */
        double v = sorted[(i * 37) % n];
        res.metric[CX_M_DEALS_SIGNED] = v;
        res.metric[CX_M_DEALS_CANCELLED] = v;
        res.metric[CX_M_CAPEX_BURDEN] = v; /* the same values in a plain metric */
        cx_accum_add(a, &res);
    }
    cr_assert(cx_report_integer_metric[CX_M_DEALS_SIGNED]);
    cr_assert(cx_report_integer_metric[CX_M_MSL_SUCCESS]);
    cr_assert(not(cx_report_integer_metric[CX_M_CAPEX_BURDEN]));
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    int plain_inexact = 0;
    for (int m = 0; m < 2; m++) {
        const cx_metric_stats *st = &r->metric[m ? CX_M_DEALS_CANCELLED : CX_M_DEALS_SIGNED];
        for (int j = 0; j < CX_N_PCT; j++) {
            uint64_t k = cx_report_rank((uint64_t)n, cx_report_pct[j]), lo, hi;
            cx_report_ci_ranks((uint64_t)n, cx_report_pct[j], &lo, &hi);
            cr_assert(eq(dbl, st->pct[j], sorted[k - 1]), "p%d", cx_report_pct[j]);
            cr_assert(eq(dbl, st->ci_lo[j], sorted[lo - 1]), "p%d lo", cx_report_pct[j]);
            cr_assert(eq(dbl, st->ci_hi[j], sorted[hi - 1]), "p%d hi", cx_report_pct[j]);
            cr_assert(eq(dbl, st->pct[j], round(st->pct[j])));
        }
    }
    /* p50: rank ceil(84 / 2) = 42; the counts 1..7 of 0..6 sum to 28, of 7..13 to 56, so
     * rank 42 is in the second run: 28 + (1 + 2 + 3 + 4) = 38 < 42 <= 38 + 5, value 11 */
    cr_assert(eq(dbl, r->metric[CX_M_DEALS_SIGNED].pct[4], 11.0));
    for (int j = 0; j < CX_N_PCT; j++) {
        const cx_metric_stats *st = &r->metric[CX_M_CAPEX_BURDEN];
        uint64_t k = cx_report_rank((uint64_t)n, cx_report_pct[j]);
        assert_near_rel(st->pct[j], sorted[k - 1]);
        plain_inexact += st->pct[j] != sorted[k - 1];
    }
    cr_assert(gt(int, plain_inexact, 0)); /* the plain metric keeps the representatives */
    cx_report_free(r);
    cx_accum_free(a);
}

Test(report, ci_ranks)
{
    uint64_t lo, hi;
    /* p50 of 10: nq = 5, 1.96 sqrt(5 x .5) = 3.0990; floor(1.901) = 1, ceil(8.099) = 9 */
    cx_report_ci_ranks(10, 50, &lo, &hi);
    cr_assert(eq(u64, lo, 1));
    cr_assert(eq(u64, hi, 9));
    /* p90 of 10: nq = 9, 1.96 sqrt(.9) = 1.8594; floor(7.14) = 7, ceil(10.86) = 11 -> 10 */
    cx_report_ci_ranks(10, 90, &lo, &hi);
    cr_assert(eq(u64, lo, 7));
    cr_assert(eq(u64, hi, 10));
    /* p25 of 10: nq = 2.5, 1.96 sqrt(1.875) = 2.6839; floor(-.18) -> 1, ceil(5.18) = 6 */
    cx_report_ci_ranks(10, 25, &lo, &hi);
    cr_assert(eq(u64, lo, 1));
    cr_assert(eq(u64, hi, 6));
    /* p50 of 10000: nq = 5000, 1.96 x 50 = 98; 4902 and 5098 */
    cx_report_ci_ranks(10000, 50, &lo, &hi);
    cr_assert(eq(u64, lo, 4902));
    cr_assert(eq(u64, hi, 5098));
    /* and the values: p50 CI of the ten = (rank 1, rank 9) = (1, 6); p90 = (5, 9). The ends
     * are bucket edges (MODEL.md, "A reported interval must hold what it claims"): the lower
     * end at or below the exact value of rank lo, the upper end at or above that of rank hi,
     * each within one bucket (2 alpha / (1 - alpha) relative), and clamped to [min, max] */
    cx_accum *a = feed(ten, 10, thr, 2);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    const cx_metric_stats *b = &r->metric[CX_M_CAPEX_BURDEN];
    const double w = 2 * ALPHA / (1 - ALPHA) * (1 + 1e-9);
    cr_assert(eq(dbl, b->ci_lo[4], 1.0)); /* the min */
    cr_assert(ge(dbl, b->ci_hi[4], 6.0));
    cr_assert(le(dbl, b->ci_hi[4], 6.0 * (1 + w)));
    cr_assert(le(dbl, b->ci_lo[6], 5.0));
    cr_assert(ge(dbl, b->ci_lo[6], 5.0 * (1 - w)));
    cr_assert(eq(dbl, b->ci_hi[6], 9.0)); /* the max */
    /* the point estimate stays the bucket's representative, inside its edges */
    assert_near_rel(b->pct[4], 3.0);
    cr_assert(lt(dbl, b->ci_lo[4], b->pct[4]));
    cr_assert(lt(dbl, b->pct[4], b->ci_hi[4]));
    cx_report_free(r);
    cx_accum_free(a);
}

Test(report, exceedance_is_strict)
{
    cx_accum *a = feed(ten, 10, thr, 2);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    /* > 3: 4 5 9 6 5 -> 5/10 (the two 3s do not count); > 5: 9 6 -> 2/10 (the 5s do not) */
    cr_assert(eq(dbl, r->exceed[0], 0.5));
    cr_assert(eq(dbl, r->exceed[1], 0.2));
    cx_report_free(r);
    cx_accum_free(a);
}

Test(report, cvar95_fractional_boundary)
{
    /* 1..50: 0.05 x 50 = 2.5 worst paths: (50 + 49 + 0.5 x 48) / 2.5 = 123 / 2.5 = 49.2 */
    double v[50];
    for (int i = 0; i < 50; i++) v[i] = i + 1;
    cx_accum *a = feed(v, 50, NULL, 0);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    assert_near_rel(r->burden_cvar95, 49.2);
    cx_report_free(r);
    cx_accum_free(a);
    /* the ten: 0.5 paths, all of it the worst (9) */
    a = feed(ten, 10, thr, 2);
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    assert_near_rel(r->burden_cvar95, 9.0);
    cx_report_free(r);
    cx_accum_free(a);
}

Test(report, quarters)
{
    cx_accum *a = feed(ten, 10, thr, 2);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    cr_assert(eq(int, r->n_quarters, 2));
    /* idle q1 = burden / 10: mean .39, p50 rank 5 = .3, p5 rank 1 = .1, p95 rank 10 = .9 */
    const cx_quarter_stats *q = &r->quarter[CX_Q_IDLE_GW_MEAN][0];
    cr_assert(ieee_ulp_eq(dbl, q->mean, 0.39, 8));
    assert_near_rel(q->p50, 0.3);
    assert_near_rel(q->p5, 0.1);
    assert_near_rel(q->p95, 0.9);
    /* revenue q2 = -burden: sorted -9 -6 -5 -5 -4 -3 -3 -2 -1 -1; p5 -9, p50 -4, p95 -1 */
    q = &r->quarter[CX_Q_REVENUE][1];
    cr_assert(ieee_ulp_eq(dbl, q->mean, -3.9, 8));
    assert_near_rel(q->p5, -9.0);
    assert_near_rel(q->p50, -4.0);
    assert_near_rel(q->p95, -1.0);
    /* untouched series: all zeros */
    cr_assert(eq(dbl, r->quarter[CX_Q_BURDEN_CUMULATIVE][1].p50, 0.0));
    cx_report_free(r);
    cx_accum_free(a);
}

Test(report, moments_merge_in_blocks)
{
    /* {1,2,3} (+) {4,5}: mean 3, M2 = 4+1+0+1+4 = 10 */
    cx_moments x = {3, 2.0, 2.0}, y = {2, 4.5, 0.5}, e = {0, 0, 0};
    cx_moments_merge(&x, &e);
    cr_assert(eq(u64, x.n, 3));
    cr_assert(eq(dbl, x.mean, 2.0));
    cx_moments_merge(&e, &x);
    cr_assert(eq(dbl, e.m2, 2.0));
    cx_moments_merge(&x, &y);
    cr_assert(eq(u64, x.n, 5));
    cr_assert(ieee_ulp_eq(dbl, x.mean, 3.0, 2));
    cr_assert(ieee_ulp_eq(dbl, x.m2, 10.0, 4));
    cr_assert(ieee_ulp_eq(dbl, cx_moments_sd(&x), sqrt(2.5), 4));
    cx_moments one = {1, 7, 0};
    cr_assert(isnan(cx_moments_sd(&one)));
}

Test(report, one_path_and_empty)
{
    double v[1] = {2.5};
    cx_accum *a = feed(v, 1, NULL, 0);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    cr_assert(eq(dbl, r->metric[0].mean, 2.5));
    cr_assert(isnan(r->metric[0].sd));
    cr_assert(eq(dbl, r->metric[0].pct[0], 2.5));
    /* JSON: sd and se are null, not NaN */
    cx_run_info info = {"t", "00", "mc", 1, 1, 1, 1, 0.5, true, 1024};
    json_t *doc = cx_output_json(r, &info);
    cr_assert(doc != NULL);
    json_t *m = json_object_get(json_object_get(doc, "metrics"), "capex_burden");
    bool sd_null = json_is_null(json_object_get(m, "sd"));
    bool mean_real = json_is_real(json_object_get(m, "mean"));
    cr_assert(sd_null);
    cr_assert(mean_real);
    json_decref(doc);
    cx_report_free(r);
    cx_accum_reset(a);
    cr_assert(lt(int, cx_report_new(&r, a), 0));
    cx_accum_free(a);
}

Test(report, json_shape_and_atomic_files)
{
    cx_accum *a = feed(ten, 10, thr, 2);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    cx_run_info info = {"demo", "abc", "mc", 7, 10, 10, 2, 0.25, true, 1024};
    json_t *doc = cx_output_json(r, &info);
    cr_assert(doc != NULL);
    const char *keys[] = {"scenario", "scenario_sha256", "seed", "paths", "threads", "version",
                          "elapsed_s", "paths_per_s", "complete", "metrics",
                          "burden_exceedance", "burden_cvar95", "quarters"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        cr_assert(json_object_get(doc, keys[i]) != NULL, "missing %s", keys[i]);
    cr_assert(eq(dbl, json_real_value(json_object_get(doc, "paths_per_s")), 40.0));
    json_t *exc = json_object_get(doc, "burden_exceedance");
    cr_assert(eq(dbl, json_real_value(json_object_get(exc, "3")), 0.5));
    cr_assert(eq(dbl, json_real_value(json_object_get(exc, "5")), 0.2));
    json_t *ci = json_object_get(json_object_get(json_object_get(doc, "metrics"), "capex_burden"),
                                 "ci95");
    cr_assert(eq(sz, json_array_size(json_object_get(ci, "p50")), 2));
    /* plain MC: the independent-paths formulas, said so */
    cr_assert(eq(str, (char *)json_string_value(json_object_get(doc, "interval_method")), "iid"));
    json_t *bm = json_object_get(json_object_get(doc, "metrics"), "capex_burden");
    cr_assert(eq(str, (char *)json_string_value(json_object_get(bm, "se_method")), "iid"));
    cr_assert(eq(str, (char *)json_string_value(json_object_get(bm, "ci95_method")),
                 "order_statistics"));
    cr_assert(json_object_get(doc, "interval_replicates") == NULL);
    json_t *qs = json_object_get(json_object_get(doc, "quarters"), "burden_cumulative");
    cr_assert(eq(sz, json_array_size(qs), 2));

    char dir[] = "/tmp/cx_report_XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char path[128], csvdir[128], csv[160];
    snprintf(path, sizeof path, "%s/r.json", dir);
    snprintf(csvdir, sizeof csvdir, "%s/csv", dir);
    cr_assert(eq(int, cx_output_write_json(path, doc), 0));
    json_error_t err;
    json_t *back = json_load_file(path, 0, &err);
    cr_assert(back != NULL, "%s", err.text);
    cr_assert(json_equal(doc, back));
    json_decref(back);
    cr_assert(eq(int, cx_output_write_csv(csvdir, r), 0));
    snprintf(csv, sizeof csv, "%s/quarters.csv", csvdir);
    FILE *f = fopen(csv, "r");
    cr_assert(f != NULL);
    char line[256];
    cr_assert(fgets(line, sizeof line, f) != NULL);
    cr_assert(eq(str, line, "quarter,series,mean,p5,p50,p95\n"));
    int rows = 0;
    while (fgets(line, sizeof line, f)) rows++;
    fclose(f);
    cr_assert(eq(int, rows, 3 * 2));
    /* metrics.csv (issue 22): a header, then one row per metric */
    char mcsv[160];
    snprintf(mcsv, sizeof mcsv, "%s/metrics.csv", csvdir);
    f = fopen(mcsv, "r");
    cr_assert(f != NULL);
    char mline[1024];
    cr_assert(fgets(mline, sizeof mline, f) != NULL);
    static const char head[] = "metric,n,mean,se,sd,min,max,p1,p1_ci95_lo,p1_ci95_hi,";
    cr_assert(eq(int, strncmp(mline, head, sizeof head - 1), 0));
    rows = 0;
    while (fgets(mline, sizeof mline, f)) rows++;
    fclose(f);
    cr_assert(eq(int, rows, CX_N_METRICS));
    unlink(mcsv);
    /* a file in a directory that does not exist: an error, nothing left behind */
    char bad[160];
    snprintf(bad, sizeof bad, "%s/nodir/r.json", dir);
    cr_assert(lt(int, cx_output_write_json(bad, doc), 0));
    unlink(path);
    unlink(csv);
    rmdir(csvdir);
    cr_assert(eq(int, rmdir(dir), 0)); /* empty: no temporary file left */
    json_decref(doc);
    cx_report_free(r);
    cx_accum_free(a);
}

/* A made-up path result: every series of 3 quarters filled from r, with zeros and signs. */
static void random_result(cx_path_result *res, gsl_rng *r)
{
    memset(res, 0, sizeof *res);
    for (int i = 0; i < CX_N_METRICS; i++)
        res->metric[i] = gsl_rng_uniform(r) < 0.2 ? 0.0 : gsl_ran_gaussian(r, 10.0) + i;
    for (int s = 0; s < CX_N_QSERIES; s++)
        for (int q = 0; q < 3; q++) res->quarter[s][q] = gsl_ran_lognormal(r, s, 1.0) - q;
}

Test(report, batched_accumulation_is_bit_identical)
{
    /* The engine buffers paths (cx_accum_buf) and feeds sketches and block moments a series
     * at a time; the result must be the same bits as feeding them path by path. Blocks of 7
     * paths, a buffer of 10: flushes fall inside blocks and between them. */
    enum { PATHS = 3000, BLOCK = 7, CAP = 10 };
    const double t[2] = {5.0, 9.5};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cx_accum *one, *bat;
    cx_block_moments bm1, bm2;
    cx_accum_buf buf;
    cr_assert(eq(int, cx_accum_new(&one, 3, t, 2, ALPHA), 0));
    cr_assert(eq(int, cx_accum_new(&bat, 3, t, 2, ALPHA), 0));
    cr_assert(eq(int, cx_block_moments_init(&bm1, 3), 0));
    cr_assert(eq(int, cx_block_moments_init(&bm2, 3), 0));
    cr_assert(eq(int, cx_accum_buf_init(&buf, 3, CAP), 0));
    cx_path_result res;
    for (int b0 = 0; b0 < PATHS; b0 += BLOCK) {
        cx_block_moments_reset(&bm1);
        cx_block_moments_reset(&bm2);
        int n = PATHS - b0 < BLOCK ? PATHS - b0 : BLOCK, done = 0;
        for (int i = 0; i < n; i++) {
            random_result(&res, r);
            cx_accum_add(one, &res);
            cx_block_moments_add(&bm1, &res, 3);
            cx_accum_buf_put(&buf, &res);
            if (buf.n == buf.cap) {
                /* moments of this block's paths in the buffer, then the sketches */
                int in_buf = i + 1 - done;
                cx_block_moments_add_buf(&bm2, &buf, buf.n - in_buf, in_buf);
                done = i + 1;
                cx_accum_add_buf(bat, &buf);
                cr_assert(eq(int, buf.n, 0));
            }
        }
        cx_block_moments_add_buf(&bm2, &buf, buf.n - (n - done), n - done);
        cx_block_moments_finish(&bm1);
        cx_block_moments_finish(&bm2);
        cr_assert(eq(u64, bm1.n, bm2.n));
        cr_assert(eq(int, memcmp(bm1.out, bm2.out, (size_t)bm1.n_series * sizeof *bm1.out), 0),
                  "block moments differ at block %d", b0 / BLOCK);
        cx_accum_merge_block(one, &bm1);
        cx_accum_merge_block(bat, &bm2);
    }
    cx_accum_add_buf(bat, &buf);
    cr_assert(eq(u64, one->paths, bat->paths));
    for (int i = 0; i < CX_N_METRICS; i++) cr_assert(cx_sketch_equal(one->metric[i], bat->metric[i]));
    for (int i = 0; i < CX_N_QSERIES * 3; i++)
        cr_assert(cx_sketch_equal(one->quarter[i], bat->quarter[i]));
    for (int j = 0; j < 2; j++) cr_assert(eq(u64, one->exceed[j], bat->exceed[j]));
    cr_assert(gt(u64, one->exceed[0], 0));
    cr_assert(eq(int, memcmp(one->mom_metric, bat->mom_metric, sizeof one->mom_metric), 0));
    cr_assert(eq(int, memcmp(one->mom_quarter, bat->mom_quarter,
                             (size_t)CX_N_QSERIES * 3 * sizeof *one->mom_quarter), 0));
    cx_accum_buf_clear(&buf);
    cx_accum_buf_clear(&buf); /* a cleared buffer clears again */
    cx_block_moments_clear(&bm1);
    cx_block_moments_clear(&bm2);
    cx_accum_free(one);
    cx_accum_free(bat);
    gsl_rng_free(r);
}

Test(report, moments_accurate_when_mean_dwarfs_sd)
{
    /* values 1e9 + k 2^-10, k = 0 .. 2999 (exact doubles: ulp(1e9) = 2^-23), in blocks of
     * 1024 merged in order. Sample variance of k = 0 .. n-1 is n (n + 1) / 12, so
     * sd = 2^-10 sqrt(3000 x 3001 / 12) = 0.8465..., mean = 1e9 + 2^-10 x 1499.5.
     * Naive sum of squares would lose everything (x^2 ~ 1e18, spread ~1); the shifted block
     * sums are exact here and Chan's merge errs by about ulp(1e9) / (block mean spread ~1),
     * ~1e-7 relative: the bound below is 1e-6. */
    enum { N = 3000, BLOCK = 1024 };
    cx_accum *a;
    cr_assert(eq(int, cx_accum_new(&a, 1, NULL, 0, ALPHA), 0));
    cx_block_moments b;
    cr_assert(eq(int, cx_block_moments_init(&b, 1), 0));
    cx_accum_buf buf;
    cr_assert(eq(int, cx_accum_buf_init(&buf, 1, BLOCK), 0));
    cx_path_result res;
    memset(&res, 0, sizeof res);
    for (int b0 = 0; b0 < N; b0 += BLOCK) {
        cx_block_moments_reset(&b);
        int n = N - b0 < BLOCK ? N - b0 : BLOCK;
        for (int k = b0; k < b0 + n; k++) {
            res.metric[CX_M_CAPEX_BURDEN] = 1e9 + k * 0x1p-10;
            cx_accum_buf_put(&buf, &res);
        }
        cx_block_moments_add_buf(&b, &buf, 0, n);
        cx_block_moments_finish(&b);
        cx_accum_merge_block(a, &b);
        cx_accum_add_buf(a, &buf);
    }
    const cx_moments *m = &a->mom_metric[CX_M_CAPEX_BURDEN];
    double sd = 0x1p-10 * sqrt(3000.0 * 3001.0 / 12.0);
    cr_assert(eq(u64, m->n, N));
    cr_assert(le(dbl, fabs(cx_moments_sd(m) - sd), 1e-6 * sd), "sd %.17g, want %.17g",
              cx_moments_sd(m), sd);
    cr_assert(le(dbl, fabs(m->mean - (1e9 + 1499.5 * 0x1p-10)), 2 * 0x1p-23));
    cx_block_moments_clear(&b);
    cx_accum_buf_clear(&buf);
    cx_accum_free(a);
}

/*
 * Replicate statistics worked out by hand. 40 blocks of 64 paths fed through the buffer as
 * the engine does; block b holds the values 1000 c + 50 floor(b / 16) + k (k = 0..63, in a
 * scrambled order; c = b mod 16, plus 4 in the last 8 blocks) of capex_burden, and b alone (a
 * constant block) of revenue_total. The last 8 blocks do not fill a batch of 16: 2 full
 * batches.
 */
static double rep_value(int b, int k)
{
    int c = b % 16 + (b >= 32 ? 4 : 0);
    return 1000.0 * c + 50.0 * (b / 16) + k;
}

Test(report, replicates_batch_means_and_sectioning)
{
    enum { B = 40, N = 64 };
    double levels[CX_REP_MAX_Q];
    int nl = cx_report_replicate_levels(levels, 0.3);
    cr_assert(eq(int, nl, CX_N_PCT + 1));
    cr_assert(eq(dbl, levels[nl - 1], 0.3));
    cr_assert(eq(int, cx_report_replicate_levels(levels, 0.5), CX_N_PCT)); /* already there */
    cx_accum *a;
    cr_assert(eq(int, cx_accum_new(&a, 1, NULL, 0, ALPHA), 0));
    cr_assert(eq(int, cx_accum_want_replicates(a, levels, nl, N), 0));
    cx_block_moments bm;
    cx_accum_buf buf;
    cr_assert(eq(int, cx_block_moments_init(&bm, 1), 0));
    cr_assert(eq(int, cx_block_moments_keep_values(&bm, N), 0));
    cr_assert(eq(int, cx_accum_buf_init(&buf, 1, N), 0));
    for (int b = 0; b < B; b++) {
        cx_block_moments_reset(&bm);
        for (int i = 0; i < N; i++) {
            cx_path_result res;
            memset(&res, 0, sizeof res);
            res.metric[CX_M_CAPEX_BURDEN] = rep_value(b, (i * 37) % N);
            res.metric[CX_M_REVENUE_TOTAL] = (double)b;
            cx_accum_buf_put(&buf, &res);
        }
        cx_block_moments_add_buf(&bm, &buf, 0, N);
        cx_block_moments_finish(&bm);
        cx_accum_add_buf(a, &buf);
        cx_accum_merge_block(a, &bm);
    }
    cr_assert(eq(u64, a->rep_blocks, B));
    cr_assert(eq(u64, a->rep_batches, 2));
    cr_assert(eq(u64, a->rep_batch_paths, 2 * 16 * N));
    /* batch 0 pools blocks 0..15: 1024 values; its median (rank 512) is block 7's largest,
     * 7063; batch 1 (blocks 16..31) the same plus 50: 7113 */
    int j50 = cx_accum_replicate_index(a, 0.5);
    cr_assert(eq(int, j50, 4));
    cr_assert(eq(dbl, a->rep_q[CX_M_CAPEX_BURDEN][j50].mean, (7063.0 + 7113.0) / 2));
    cr_assert(eq(dbl, a->rep_q[CX_M_CAPEX_BURDEN][j50].m2, 2 * 25.0 * 25.0));
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    cr_assert(eq(int, r->interval_method, CX_INTERVAL_REPLICATES));
    cr_assert(eq(u64, r->replicates, B));
    cr_assert(eq(u64, r->replicate_batches, 2));
    /* revenue_total: block means b = 0..39, mean 19.5; equal blocks, so the se is the sd of
     * the block means over sqrt(B): sum (b - 19.5)^2 = 40 (40^2 - 1) / 12 = 5330,
     * se = sqrt(5330 / (39 x 40)) */
    const cx_metric_stats *rev = &r->metric[CX_M_REVENUE_TOTAL];
    cr_assert(ieee_ulp_eq(dbl, rev->mean, 19.5, 4));
    cr_assert(ieee_ulp_eq(dbl, rev->se, sqrt(5330.0 / (39.0 * 40.0)), 16));
    /* capex_burden p50: the estimate over all 2560 paths is rank 1280; there are 128 values
     * 1000 c + ... for each c in 0..3 and 192 for each c in 4..7 (the last 8 blocks have
     * c = 4..11, + 100): 512 + 768 = 1280, so rank 1280 is the largest of c = 7, 7163
     * (within the sketch's error). Sectioning: sum (x_k - x)^2 over the two batches (7063 and
     * 7113 around x), / (K - 1), x 1024 paths a batch / 2560 paths, t(1) = 12.706; the
     * interval runs from the lower edge of x's bucket - t se to its upper edge + t se */
    const cx_metric_stats *bu = &r->metric[CX_M_CAPEX_BURDEN];
    double x = bu->pct[4];
    cr_assert(le(dbl, fabs(x - 7163.0), ALPHA * 7163.0));
    double se = sqrt(((7063 - x) * (7063 - x) + (7113 - x) * (7113 - x)) * 1024.0 / 2560.0);
    double t = 12.706204736174707, w = 2 * ALPHA / (1 - ALPHA) * x;
    cr_assert(gt(dbl, bu->ci_lo[4], 0.0)); /* not clamped at the min */
    cr_assert(le(dbl, bu->ci_lo[4], x - t * se + 1e-9 * x));
    cr_assert(ge(dbl, bu->ci_lo[4], x - t * se - w));
    cr_assert(ge(dbl, bu->ci_hi[4], x + t * se - 1e-9 * x));
    cr_assert(le(dbl, bu->ci_hi[4], x + t * se + w));
    /* the same interval through cx_report_quantile_ci; a level not kept gives none */
    double v, lo, hi;
    cr_assert(cx_report_quantile_ci(a, CX_M_CAPEX_BURDEN, 0.5, &v, &lo, &hi));
    cr_assert(eq(dbl, lo, bu->ci_lo[4]));
    cr_assert(not(cx_report_quantile_ci(a, CX_M_CAPEX_BURDEN, 0.42, &v, &lo, &hi)));
    cr_assert(isnan(lo) && isnan(hi));
    /* JSON says which method made each interval */
    cx_run_info info = {"demo", "abc", "lhs", 7, B * N, B * N, 1, 1.0, true, N};
    json_t *doc = cx_output_json(r, &info);
    cr_assert(doc != NULL);
    cr_assert(eq(str, (char *)json_string_value(json_object_get(doc, "interval_method")),
                 "batch_means"));
    cr_assert(eq(int, (int)json_integer_value(json_object_get(doc, "interval_replicates")), B));
    cr_assert(eq(int, (int)json_integer_value(json_object_get(doc, "interval_batches")), 2));
    json_t *bm_json = json_object_get(json_object_get(doc, "metrics"), "capex_burden");
    cr_assert(eq(str, (char *)json_string_value(json_object_get(bm_json, "se_method")),
                 "batch_means"));
    cr_assert(eq(str, (char *)json_string_value(json_object_get(bm_json, "ci95_method")),
                 "sectioning"));
    json_decref(doc);
    cx_report_free(r);
    /* a block given in two calls has no whole set of values: its batch's quantiles are NaN */
    cx_accum_reset(a);
    cx_block_moments_reset(&bm);
    for (int i = 0; i < N; i++) {
        cx_path_result res;
        memset(&res, 0, sizeof res);
        cx_accum_buf_put(&buf, &res);
    }
    cx_block_moments_add_buf(&bm, &buf, 0, N / 2);
    cx_block_moments_add_buf(&bm, &buf, N / 2, N / 2);
    cr_assert(not(bm.vals_ok));
    cx_block_moments_finish(&bm);
    for (int b = 0; b < 16; b++) cx_accum_merge_block(a, &bm);
    cr_assert(eq(u64, a->rep_batches, 1));
    cr_assert(isnan(a->rep_q[CX_M_CAPEX_BURDEN][0].mean));
    cx_accum_buf_clear(&buf);
    cx_block_moments_clear(&bm);
    cx_accum_free(a);
}

/*
 * Nothing non-finite or out of range silently (issue 11): 90 ordinary values 1..90, 4 NaN,
 * 3 values of 1e20 (beyond the sketch's range 2^50), 2 infinities and 1 -inf. n = 96 non-NaN
 * values; p95 (rank 92) and p99 (rank 96) fall in the outermost bucket: not resolved.
 */
Test(report, nonfinite_and_out_of_range_are_reported)
{
    cx_accum *a;
    cr_assert(eq(int, cx_accum_new(&a, 1, NULL, 0, ALPHA), 0));
    cx_block_moments b;
    cr_assert(eq(int, cx_block_moments_init(&b, 1), 0));
    cx_block_moments_reset(&b);
    double v[100];
    int n = 0;
    for (int i = 1; i <= 90; i++) v[n++] = i;
    for (int i = 0; i < 4; i++) v[n++] = NAN;
    for (int i = 0; i < 3; i++) v[n++] = 1e20;
    v[n++] = INFINITY;
    v[n++] = INFINITY;
    v[n++] = -INFINITY;
    for (int i = 0; i < n; i++) {
        cx_path_result res;
        memset(&res, 0, sizeof res);
        res.metric[CX_M_CAPEX_BURDEN] = v[i];
        res.metric[CX_M_REVENUE_TOTAL] = i < 90 ? v[i] : 5e15; /* finite, out of range */
        res.quarter[CX_Q_REVENUE][0] = i < 50 ? 1.0 : 2e16;
        cx_accum_add(a, &res);
        cx_block_moments_add(&b, &res, 1);
    }
    cx_block_moments_finish(&b);
    cx_accum_merge_block(a, &b);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    const cx_metric_stats *st = &r->metric[CX_M_CAPEX_BURDEN];
    cr_assert(eq(u64, st->n, 96));
    cr_assert(eq(u64, st->n_nan, 4));
    cr_assert(eq(u64, st->n_inf, 3));
    cr_assert(eq(u64, st->n_out_of_range, 3));
    cr_assert(isnan(st->mean));
    /* ranks: -inf first, then 1..90 (ranks 2..91), then the 1e20s and infinities */
    cr_assert(isnan(st->pct[7]) && isnan(st->pct[8])); /* p95, p99 */
    cr_assert(eq(u32, st->unresolved, (1u << 7) | (1u << 8) | 1u)); /* p1 is rank 1: -inf */
    cr_assert(ge(dbl, st->pct_lo[7], CX_SKETCH_MAX_ABS * 0.99));
    cr_assert(eq(dbl, st->pct_hi[7], INFINITY));
    assert_near_rel(st->pct[4], 47.0); /* p50: rank 48 = 47 */
    /* revenue: every value finite, 10 beyond the range: mean fine, p95 and p99 unresolved */
    const cx_metric_stats *rv = &r->metric[CX_M_REVENUE_TOTAL];
    cr_assert(eq(u64, rv->n_out_of_range, 10));
    cr_assert(eq(u64, rv->n_inf + rv->n_nan, 0));
    cr_assert(isfinite(rv->mean));
    cr_assert(eq(u32, rv->unresolved, (1u << 7) | (1u << 8)));
    /* a quarterly series: p95 beyond the range is NAN, p5 resolved */
    cr_assert(isnan(r->quarter[CX_Q_REVENUE][0].p95));
    cr_assert(eq(dbl, r->quarter[CX_Q_REVENUE][0].p5, 1.0));
    cr_assert(eq(u64, r->quarter[CX_Q_REVENUE][0].n_out_of_range, 50));
    /* the warning lines say it */
    char line[512];
    cr_assert(cx_report_warning(r, CX_M_CAPEX_BURDEN, line, sizeof line));
    cr_assert(strstr(line, "4 NaN") && strstr(line, "3 infinite") && strstr(line, "p95 p99"),
              "%s", line);
    cr_assert(cx_report_warning(r, CX_M_REVENUE_TOTAL, line, sizeof line));
    cr_assert(not(cx_report_warning(r, CX_M_IDLE_GW_PEAK, line, sizeof line)));
    cr_assert(eq(str, line, ""));
    cr_assert(cx_report_warning(r, CX_N_METRICS + CX_Q_REVENUE, line, sizeof line));
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert(eq(int, cx_output_warnings(devnull, r), 3));
    fclose(devnull);
    /* JSON: counts, the unresolved list, nulls, and the warnings */
    cx_run_info info = {"demo", "abc", "mc", 7, 100, 100, 1, 1.0, true, 1024};
    json_t *doc = cx_output_json(r, &info);
    cr_assert(doc != NULL);
    json_t *m = json_object_get(json_object_get(doc, "metrics"), "capex_burden");
    cr_assert(eq(int, (int)json_integer_value(json_object_get(m, "n_nan")), 4));
    cr_assert(eq(int, (int)json_integer_value(json_object_get(m, "n_inf")), 3));
    cr_assert(eq(int, (int)json_integer_value(json_object_get(m, "n_out_of_range")), 3));
    json_t *un = json_object_get(m, "unresolved_percentiles");
    cr_assert(eq(sz, json_array_size(un), 3));
    cr_assert(eq(str, (char *)json_string_value(json_array_get(un, 1)), "p95"));
    bool p95_null = json_is_null(json_object_get(json_object_get(m, "percentiles"), "p95"));
    bool mean_null = json_is_null(json_object_get(m, "mean"));
    cr_assert(p95_null);
    cr_assert(mean_null);
    cr_assert(eq(sz, json_array_size(json_object_get(doc, "warnings")), 3));
    json_decref(doc);
    /* the table marks the metric, prints n/a and a bound, and explains under the table */
    char *text = NULL;
    size_t text_len = 0;
    FILE *mem = open_memstream(&text, &text_len);
    cx_output_table(mem, r, &info);
    fclose(mem);
    cr_assert(strstr(text, "capex_burden*") != NULL, "%s", text);
    cr_assert(strstr(text, ">=1.12") != NULL, "%s", text); /* 2^50 / (1 + 2 alpha), rounded down */
    cr_assert(strstr(text, "n/a") != NULL);
    cr_assert(strstr(text, "* capex_burden: of 100 paths") != NULL, "%s", text);
    cr_assert(strstr(text, "nan") == NULL, "%s", text);
    free(text);
    cx_report_free(r);
    cx_block_moments_clear(&b);
    cx_accum_free(a);
}

/* MODEL.md, Calendar: quarters by calendar quarter when month 0 starts one, else by their
 * first and last months; years roll over; the last quarter ends at the horizon. */
Test(report, calendar_labels)
{
    cx_report r;
    memset(&r, 0, sizeof r);
    char b[40];
    r.horizon_months = 14;
    cr_assert(not(cx_report_quarter_label(&r, 0, b, sizeof b))); /* no start: no label */
    cr_assert(eq(str, b, ""));
    cr_assert(not(cx_report_month_label(&r, 0, b, sizeof b)));
    r.start_year = 2026;
    r.start_month = 7;
    cr_assert(cx_report_month_label(&r, 0, b, sizeof b));
    cr_assert(eq(str, b, "2026-07"));
    cx_report_month_label(&r, 6, b, sizeof b);
    cr_assert(eq(str, b, "2027-01"));
    const char *const jul[] = {"2026Q3", "2026Q4", "2027Q1", "2027Q2", "2027Q3"};
    for (int q = 0; q < 5; q++) {
        cr_assert(cx_report_quarter_label(&r, q, b, sizeof b));
        cr_assert(eq(str, b, (char *)jul[q]), "quarter %d", q + 1);
    }
    r.start_month = 8;
    const char *const aug[] = {"2026-08..2026-10", "2026-11..2027-01", "2027-02..2027-04",
                               "2027-05..2027-07", "2027-08..2027-09"}; /* months 12, 13 */
    for (int q = 0; q < 5; q++) {
        cr_assert(cx_report_quarter_label(&r, q, b, sizeof b));
        cr_assert(eq(str, b, (char *)aug[q]), "quarter %d", q + 1);
    }
    r.start_month = 12;
    r.horizon_months = 13; /* the last quarter has one month */
    cx_report_quarter_label(&r, 0, b, sizeof b);
    cr_assert(eq(str, b, "2026-12..2027-02"));
    cx_report_quarter_label(&r, 4, b, sizeof b);
    cr_assert(eq(str, b, "2027-12..2027-12"));
    r.start_month = 1;
    cx_report_quarter_label(&r, 4, b, sizeof b);
    cr_assert(eq(str, b, "2027Q1"));
}

/* The writers: without the scenario's keys the metrics, JSON keys and CSV header of before;
 * with them the present values, "start", "discount_rate", quarter labels and a label column. */
Test(report, writers_with_and_without_keys)
{
    cx_accum *a = feed(ten, 10, thr, 2);
    cx_report *r;
    cr_assert(eq(int, cx_report_new(&r, a), 0));
    cx_run_info info = {"demo", "abc", "mc", 7, 10, 10, 2, 0.25, true, 1024};
    char dir[] = "/tmp/cx_report_XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char csv[160], line[256];
    snprintf(csv, sizeof csv, "%s/quarters.csv", dir);
    for (int with = 0; with < 2; with++) {
        cx_scenario sc;
        memset(&sc, 0, sizeof sc);
        sc.horizon_months = 6;
        if (with) {
            sc.start_year = 2026;
            sc.start_month = 8;
            sc.has_discount = true;
            sc.discount_rate = 0.1;
        }
        cx_report_set_scenario(r, &sc);
        json_t *doc = cx_output_json(r, &info);
        cr_assert(doc != NULL);
        json_t *ms = json_object_get(doc, "metrics");
        cr_assert(eq(sz, json_object_size(ms), with ? CX_N_METRICS : CX_N_BASE_METRICS));
        cr_assert(eq(int, json_object_get(ms, "capex_burden_pv") != NULL, with));
        cr_assert(eq(int, json_object_get(ms, "revenue_total_pv") != NULL, with));
        cr_assert(eq(int, json_object_get(doc, "start") != NULL, with));
        cr_assert(eq(int, json_object_get(doc, "discount_rate") != NULL, with));
        json_t *q1 = json_array_get(json_object_get(json_object_get(doc, "quarters"), "revenue"), 1);
        const char *lab = json_string_value(json_object_get(q1, "label"));
        if (with) {
            cr_assert(eq(str, (char *)json_string_value(json_object_get(doc, "start")), "2026-08"));
            cr_assert(eq(str, (char *)lab, "2026-11..2027-01"));
        } else {
            cr_assert(lab == NULL);
            cr_assert(eq(sz, json_object_size(q1), 4));
        }
        json_decref(doc);
        cr_assert(eq(int, cx_output_write_csv(dir, r), 0));
        FILE *f = fopen(csv, "r");
        cr_assert(f != NULL);
        cr_assert(fgets(line, sizeof line, f) != NULL);
        cr_assert(eq(str, line, with ? "quarter,series,mean,p5,p50,p95,label\n"
                                     : "quarter,series,mean,p5,p50,p95\n"));
        cr_assert(fgets(line, sizeof line, f) != NULL);
        cr_assert(eq(int, strstr(line, ",2026-08..2026-10\n") != NULL, with), "%s", line);
        fclose(f);
        /* the table: the present values' rows and the quarters' labels only with the keys */
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        cx_output_table(mem, r, &info);
        fclose(mem);
        cr_assert(eq(int, strstr(buf, "capex_burden_pv") != NULL, with));
        cr_assert(eq(int, strstr(buf, "2026-08..2026-10") != NULL, with));
        free(buf);
    }
    unlink(csv);
    rmdir(dir);
    cx_report_free(r);
    cx_accum_free(a);
}
