/* SPDX-License-Identifier: MIT */
/* Plots of result JSON files (runs, tornado, Sobol, sweeps) with gnuplot, as PNG and SVG. */
#ifndef CX_SIM_PLOT_H
#define CX_SIM_PLOT_H

#include <stddef.h>

#include <jansson.h>

#include "sim/sketch.h"

/*
 * Reads a result written by capexsim (jansson) and writes plots into out_dir (created if
 * needed), each as NAME.png and NAME.svg:
 * - a run ("metrics" key): burden_hist and revenue_hist (histogram with P5, P50, P95 marked;
 *   from the "histograms" key when present, else a density drawn from the percentiles),
 *   fan_idle_gw and fan_burden (per quarter: P5-P95 band, median line, mean);
 * - a tornado ("study": "tornado"): tornado (bars from the low-decile to the high-decile mean
 *   around the overall mean, largest swing on top);
 * - Sobol indices ("study": "sobol"): sobol (S1 and ST with their 95% CIs);
 * - a sweep ("study": "sweep"): sweep_<metric> for capex_burden and revenue_total (mean line
 *   and P5-P95 band against the swept value; one line per value of a second axis).
 * Data and gnuplot scripts go to a temporary directory that is removed afterwards; gnuplot
 * is run without a shell and its exit status checked. On success *n_written (if not NULL)
 * is the number of files written.
 * @return 0; CX_ERR_IO (unreadable JSON, unwritable directory), CX_ERR_CONFIG (a JSON that
 * is no capexsim result), CX_ERR_INTERNAL (gnuplot missing or failing); a message in err.
 */
int cx_plot_result(const char *json_path, const char *out_dir, int *n_written, char *err,
                   size_t err_len);

/*
 * A histogram of the values in sk for the result JSON's "histograms" key:
 * {"edges": [bins + 1], "counts": [bins], "below": n, "above": n} over [P0.5, P99.5] (ranks
 * of the sketch, so edges and counts carry its relative error). NULL when sk is empty or out
 * of memory.
 */
json_t *cx_plot_histogram_json(const cx_sketch *sk, int bins);

#endif
