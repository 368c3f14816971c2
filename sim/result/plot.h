/* SPDX-License-Identifier: MIT */
/* Plots of result JSON files (runs, tornado, Sobol, sweeps) with gnuplot, as PNG and SVG. */
#ifndef CX_SIM_PLOT_H
#define CX_SIM_PLOT_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>

#include "sim/engine/sketch.h"

/* Options of a plot; a NULL pointer means all defaults. */
typedef struct cx_plot_opts {
    /* When it reads non-zero (a signal handler sets it), gnuplot is stopped, the temporary
     * files removed and CX_ERR_INTERRUPTED returned. NULL: never. */
    const atomic_int *interrupt;
    /* For tests and fuzzing: called with each finished gnuplot script (its path, valid
     * during the call) instead of running gnuplot; a negative return fails the plot. */
    int (*script_hook)(void *ctx, const char *name, const char *script_path);
    void *hook_ctx;
} cx_plot_opts;

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
 * The file is untrusted: it must be a regular file of at most 64 MiB; strings from it reach
 * gnuplot only as sanitised labels (never as commands); histograms of at most 10,000 bins,
 * sweeps of at most 100,000 points and 100 values on the second axis, at most 100,000 Sobol
 * rows and 1,000 quarters are read. Data and gnuplot scripts go to a temporary directory that
 * is emptied and removed on every return; gnuplot runs without a shell, in the C.UTF-8 locale,
 * and its exit status is checked. On success *n_written (if not NULL) is the number of files
 * written.
 * @return 0; CX_ERR_CONFIG (a file that cannot be opened, is not JSON, is not a capexsim
 * result, or exceeds a limit), CX_ERR_USAGE (a bad out_dir), CX_ERR_IO (an unwritable
 * directory), CX_ERR_INTERNAL (gnuplot missing or failing), CX_ERR_INTERRUPTED; a one-line
 * message in err.
 */
int cx_plot_result(const char *json_path, const char *out_dir, const cx_plot_opts *opts,
                   int *n_written, char *err, size_t err_len);
/* The same from JSON text in memory (len bytes); `what` names it in messages. */
int cx_plot_buffer(const char *data, size_t len, const char *what, const char *out_dir,
                   const cx_plot_opts *opts, int *n_written, char *err, size_t err_len);
/* The same from a parsed document (borrowed). */
int cx_plot_doc(const json_t *doc, const char *what, const char *out_dir,
                const cx_plot_opts *opts, int *n_written, char *err, size_t err_len);

/*
 * A histogram of the values in sk for the result JSON's "histograms" key:
 * {"edges": [bins + 1], "counts": [bins], "below": n, "above": n} over [P0.5, P99.5] (ranks
 * of the sketch, so edges and counts carry its relative error). NULL when sk is empty or out
 * of memory.
 */
json_t *cx_plot_histogram_json(const cx_sketch *sk, int bins);

#endif
