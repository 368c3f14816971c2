/* SPDX-License-Identifier: MIT */
/* Paired differences of headline statistics between runs with common random numbers (issue 14). */
#ifndef CX_SIM_BATCH_H
#define CX_SIM_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/result/report.h"
#include "sim/input/scenario.h"

/*
 * Two runs of the same seed and path count draw block b from the same stream (seed, b) in
 * both, so their blocks are paired, and different blocks are independent. The difference of a
 * headline statistic between the runs (A - B) gets its confidence interval by sectioning
 * (batch means over blocks): the blocks are cut into K = min(CX_BATCH_SECTIONS, blocks)
 * sections of consecutive blocks (section of block b: b K / blocks), the statistic is computed
 * on each section of each run, and the K section differences d_k give
 * se = sd(d_k) / sqrt(K) for the full-run difference, CI = diff -+ t(0.975, K - 1) se.
 * The point estimate is the full-run difference of the reports' own numbers.
 * The same holds for any two runs (the CI is valid whether or not the paths pair up well);
 * the pairing is what makes the CI narrow when the runs share their uncertain inputs.
 *
 * Pairs across variants (issue 23 item 8): every scalar input draws from a stream keyed by
 * its dotted name and the path (sim/input/sampler.h), so path i of two runs with the same
 * seed and paths draws the same values for every input the two scenarios share, even when
 * one adds or removes a tranche, a deal or any other input. How well two runs pair is the
 * correlation of a metric across their paired paths (cx_paired_corr), estimated on the
 * first CX_BATCH_CORR_PATHS paths (its standard error is below (1 - r^2) / 500 there).
 */
#define CX_BATCH_SECTIONS 32
/* Paths whose burden and revenue a run keeps for the correlation (16 bytes a path: 4 MiB). */
#define CX_BATCH_CORR_PATHS ((uint64_t)1 << 18)

/* The headline statistics, in table order; then one P(burden > x) per threshold. */
enum cx_headline {
    CX_H_BURDEN_MEAN,
    CX_H_BURDEN_P5,
    CX_H_BURDEN_P50,
    CX_H_BURDEN_P95,
    CX_H_BURDEN_CVAR95,
    CX_H_REVENUE_MEAN,
    CX_H_REVENUE_P50,
    CX_N_HEADLINE
};
/* "burden_mean", "burden_p5", ... indexed by cx_headline. */
extern const char *const cx_headline_names[CX_N_HEADLINE];

/* Section statistics of one run, collected by an observer. */
typedef struct cx_sections cx_sections;

/*
 * For a run of `paths` paths with burden thresholds thr[n_thr] (copied), sketches of relative
 * error alpha. @return 0, CX_ERR_NOMEM, CX_ERR_RANGE (no paths, bad alpha).
 * @note free with cx_sections_free.
 */
int cx_sections_new(cx_sections **out, uint64_t paths, const double *thr, int n_thr,
                    double alpha);
void cx_sections_free(cx_sections *s);
/* The observer to put in cx_engine_opts.observer; valid while s lives. */
const cx_observer *cx_sections_observer(cx_sections *s);
/* Checkpoints (issue 23): the bytes of a sections observer's block state, and the most bytes
 * of its merged state for a run of `paths` paths, n_thr thresholds and relative error alpha
 * (what bounds a checkpoint before it is read). The observer saves, loads and checks its
 * state itself (cx_observer save, load, check_block). */
size_t cx_sections_block_bytes(void);
size_t cx_sections_state_max(uint64_t paths, int n_thr, double alpha);
/* Number of statistics: CX_N_HEADLINE + thresholds. */
int cx_sections_n_stats(const cx_sections *s);
/* Sections (K). */
int cx_sections_k(const cx_sections *s);
/* Statistic h (cx_headline, or CX_N_HEADLINE + j for threshold j) of section k; NAN when the
 * section saw no path. */
double cx_sections_stat(const cx_sections *s, int k, int h);
/* Statistic h of the whole run from its report (the numbers the report prints);
 * thresholds are counted by the observer (exact, as the report's). */
double cx_sections_full(const cx_sections *s, const cx_report *r, int h);

typedef struct cx_paired_diff {
    double diff;          /* full-run A - B */
    double se;            /* sectioning standard error; NAN with fewer than 2 sections */
    double lo, hi;        /* 95% CI; NAN when se is */
    double se_unpaired;   /* what se would be for independent runs: the two runs' own
                           * section spreads, sqrt((var_a + var_b) / K); NAN as se */
} cx_paired_diff;

/*
 * A - B for statistic h. The two runs must have the same path count and sections.
 * @return 0 or CX_ERR_RANGE (runs that do not match).
 */
int cx_paired_diff_of(cx_paired_diff *out, const cx_sections *a, const cx_report *ra,
                      const cx_sections *b, const cx_report *rb, int h);

/*
 * The Pearson correlation of metric (CX_M_CAPEX_BURDEN or CX_M_REVENUE_TOTAL) across the
 * paired paths of a and b (path i with path i), over their first
 * min(paths, CX_BATCH_CORR_PATHS) paths (GSL's gsl_stats_correlation). NAN when fewer than
 * two paths or either metric is constant. @return 0 or CX_ERR_RANGE (runs of different
 * path counts, another metric).
 */
int cx_paired_corr(double *out, const cx_sections *a, const cx_sections *b, int metric);
/* The number of paired paths cx_paired_corr uses. */
uint64_t cx_paired_corr_paths(const cx_sections *a, const cx_sections *b);

/*
 * True when a and b have the same uncertain scalar inputs (dotted names, order and family)
 * and the same correlation pairs: every input then has a partner with the same draws.
 * Runs pair path by path whether or not this holds (the inputs they share keep their
 * draws); batch reports it as "same_inputs".
 */
bool cx_batch_same_inputs(const cx_scenario *a, const cx_scenario *b);

#endif
