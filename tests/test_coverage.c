/* SPDX-License-Identifier: MIT */
/* Coverage of the reported intervals on scenarios whose answers are known exactly (issue 11). */

/*
 * Each test runs one small scenario under many fixed seeds and counts how often the reported
 * 95% interval holds the exact answer. With S seeds an honest interval covers a binomial
 * (S, >= 0.95) number of times; the tests fail when coverage falls more than 3 binomial
 * standard errors below 95% (sqrt(0.95 x 0.05 / S)), a false alarm probability near 0.1%.
 * Where an interval is meant to be exact rather than conservative (the se of a mean from
 * replicates), coverage more than 3 SE above 95% fails too.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>

#include "models/model.h"
#include "sim/engine.h"
#include "sim/error.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/sampling.h"
#include "sim/sens.h"
#include "sim/sketch.h"

static void setup(void)
{
    gsl_set_error_handler_off();
}

/*
 * Burden exactly uniform on [5, 15]: one 1 GW tranche, never used (no demand), whose cost is
 * uniform on [5, 15] $B per GW-year, over 12 months: burden = 12 x 1 GW x cost / 12 = cost.
 * The q-quantile is 5 + 10 q, the mean 10.
 */
static const char *uniform_cfg =
    "horizon_months = 12;\n"
    "supply = { tranches = ( { name = \"t\"; gw = 1.0;\n"
    "  cost_per_gw_year = { dist = \"uniform\"; low = 5.0; high = 15.0; }; } ); };\n"
    "market = { price0 = 10.0; };\n";

/* Scenario text body with the sketch's relative error alpha. */
static cx_scenario *load(const char *body, double alpha)
{
    char text[4096], err[512] = "";
    snprintf(text, sizeof text, "%sreport = { relative_error = %.17g; };\n", body, alpha);
    cx_scenario *sc;
    cr_assert(eq(int, cx_scenario_load_string(&sc, text, "coverage.cfg", err, sizeof err), 0),
              "%s", err);
    return sc;
}

/* One run (1 thread) and its report in *rep. */
static cx_run *run_once(const cx_scenario *sc, uint64_t seed, uint64_t paths,
                        cx_sampling sampling, bool antithetic, cx_report **rep)
{
    cx_engine_opts o;
    cx_engine_opts_init(&o, sc);
    o.paths = paths;
    o.seed = seed;
    o.threads = 1;
    cx_run *run;
    char err[512] = "";
    cr_assert(eq(int, cx_sens_engine_run(&run, sc, &o, sampling, antithetic, err, sizeof err), 0),
              "%s", err);
    cr_assert(eq(int, cx_report_new(rep, run->accum), 0));
    return run;
}

/* Lowest coverage count that an honest 95% interval reaches over s trials (3 SE below). */
static int min_hits(int s)
{
    return (int)floor(s * (0.95 - 3 * sqrt(0.95 * 0.05 / s)));
}

static inline int max_hits(int s)
{
    return (int)ceil(s * (0.95 + 3 * sqrt(0.95 * 0.05 / s)));
}

/*
 * Plain MC, 10,000 paths at relative error 0.01: the order-statistic interval of p1 spans
 * ranks 80..121, values 5.08..5.12, about one bucket (5.1 +- 1%). The interval made of the
 * bucket edges must cover 5 + 10 q at least 95% of the time for every reported percentile;
 * the interval made of the buckets' representatives (the code before issue 11) does not,
 * which shows that this scenario tells the two apart.
 */
Test(coverage, mc_percentile_ci_bucket_edges, .init = setup, .timeout = 300)
{
    cx_scenario *sc = load(uniform_cfg, 0.01);
    enum { SEEDS = 200, PATHS = 10000 };
    int hits[CX_N_PCT] = {0}, rep_hits[CX_N_PCT] = {0};
    for (int s = 0; s < SEEDS; s++) {
        cx_report *r;
        cx_run *run = run_once(sc, 1000 + (uint64_t)s, PATHS, CX_SAMPLING_MC, false, &r);
        const cx_metric_stats *st = &r->metric[CX_M_CAPEX_BURDEN];
        const cx_sketch *sk = run->accum->metric[CX_M_CAPEX_BURDEN];
        cr_assert(eq(u64, st->n, PATHS));
        for (int j = 0; j < CX_N_PCT; j++) {
            double truth = 5.0 + 10.0 * cx_report_pct[j] / 100.0;
            hits[j] += st->ci_lo[j] <= truth && truth <= st->ci_hi[j];
            /* the representatives of the CI ranks, as reported before */
            uint64_t lo, hi;
            cx_report_ci_ranks(PATHS, cx_report_pct[j], &lo, &hi);
            rep_hits[j] += cx_sketch_value_at_rank(sk, lo) <= truth &&
                           truth <= cx_sketch_value_at_rank(sk, hi);
        }
        cx_report_free(r);
        cx_run_free(run);
    }
    int worst_rep = SEEDS;
    for (int j = 0; j < CX_N_PCT; j++) {
        cr_log_info("mc p%d: edges cover %d/%d, representatives %d/%d", cx_report_pct[j],
                    hits[j], SEEDS, rep_hits[j], SEEDS);
        cr_assert(ge(int, hits[j], min_hits(SEEDS)), "p%d covered %d of %d (at least %d)",
                  cx_report_pct[j], hits[j], SEEDS, min_hits(SEEDS));
        if (rep_hits[j] < worst_rep) worst_rep = rep_hits[j];
    }
    cr_assert(lt(int, worst_rep, min_hits(SEEDS)),
              "representatives covered at least %d of %d: the scenario does not test edges",
              worst_rep, SEEDS);
    cx_scenario_free(sc);
}
