/* SPDX-License-Identifier: MIT */
/* Writers of a report: a table on a stream, JSON (jansson) and CSV files written atomically. */
#ifndef CX_SIM_OUTPUT_H
#define CX_SIM_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "sim/input/scenario.h"
#include "sim/result/report.h"

/* What made a result, so that any result can be traced back (MODEL.md, the JSON shape). */
typedef struct cx_run_info {
    const char *scenario;        /* scenario name */
    const char *scenario_sha256; /* hex SHA-256 of the scenario text, includes expanded */
    const char *sampling;        /* "mc", "lhs", "sobol" (+ "+antithetic") */
    uint64_t seed;
    uint64_t paths;              /* paths completed (the report's n) */
    uint64_t paths_requested;
    int threads;
    double elapsed_s;
    bool complete;
    int block_paths;
} cx_run_info;

/*
 * The JSON report in MODEL.md's shape, keys in a fixed order, plus "paths_requested",
 * "git_commit" (after "version"), "compiler", "compiler_flags", "simd", "relative_error",
 * "block_paths", "sampling"; with the scenario's keys (cx_report_set_scenario) "discount_rate"
 * and the *_pv metrics, "start" and a "label" in each quarter (MODEL.md, Present value and
 * Calendar). Non-finite
 * numbers (an sd of one path) are null. Timing fields: "threads", "elapsed_s", "paths_per_s".
 * @return a new reference (caller json_decref's it), or NULL when out of memory.
 */
json_t *cx_output_json(const cx_report *r, const cx_run_info *info);

/*
 * An unsigned 64-bit count or seed in JSON: an integer up to INT64_MAX (jansson's json_int_t
 * is signed), the decimal digits as a string beyond it ("18446744073709551615"), so no seed
 * ever reads back as a negative number or 0. Readers take either form (cx_output_u64_of).
 * @return a new reference, or NULL when out of memory.
 */
json_t *cx_output_u64(uint64_t x);
/* Reads cx_output_u64's value back (an integer >= 0, or a string of digits); 0 otherwise. */
uint64_t cx_output_u64_of(const json_t *v);
/*
 * Adds the scenario itself to a result (issue 22), so that it can be read and re-run on its
 * own: "scenario_path" (the file, "<built-in>" for the default), "scenario_description"
 * (null without one), "horizon_months" and "scenario_text" (the text scenario_sha256 is of,
 * includes expanded). @return 0, or CX_ERR_NOMEM (doc may then hold some of them).
 */
int cx_output_add_scenario(json_t *doc, const cx_scenario *sc);
/*
 * The flags a result's "options" stand for (issue 22; docs/report.md, "Re-running a result"),
 * one word at a time to word(ctx, w): each key but "command" is a flag (max_paths is
 * --max-paths); true: the flag alone; false or null: no flag; a number or string: the flag
 * and its value; an array: the flag once per element. `paths`, when not NULL, is the value of
 * --paths in place of the result's. @return 0, or the first non-zero value word returned.
 */
int cx_output_option_words(const json_t *options, const char *paths,
                           int (*word)(void *ctx, const char *w), void *ctx);

/* JSON (indent 2, 17 significant digits so numbers round-trip) to path, atomically. */
int cx_output_write_json(const char *path, const json_t *doc);
/*
 * The quarterly series as one long CSV table, DIR/quarters.csv (created with DIR if needed):
 * header "quarter,series,mean,p5,p50,p95", quarters from 1, series named as in the JSON; with
 * a calendar (`start`) a last column "label" (cx_report_quarter_label);
 * and DIR/metrics.csv, one row per metric: "metric,n,mean,se,sd,min,max", then for every
 * percentile "pQ,pQ_ci95_lo,pQ_ci95_hi" (empty cells where a figure is not finite).
 * @return 0 or CX_ERR_IO.
 */
int cx_output_write_csv(const char *dir, const cx_report *r);
/*
 * One "capexsim: warning: ..." line on f for each metric or quarterly series with NaN,
 * infinite or out-of-range values or unresolved percentiles (cx_report_warning).
 * @return the number of lines.
 */
int cx_output_warnings(FILE *f, const cx_report *r);
/* A readable table of the report on f (stdout in the CLI): "n/a" for undefined figures, a
 * bound (">=1.13e+15") for a percentile the sketch cannot resolve, and metrics with such
 * values marked with "*" and explained under the table. */
void cx_output_table(FILE *f, const cx_report *r, const cx_run_info *info);

#endif
