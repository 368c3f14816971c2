/* SPDX-License-Identifier: MIT */
/* Writers of a report: a table on a stream, JSON (jansson) and CSV files written atomically. */
#ifndef CX_SIM_OUTPUT_H
#define CX_SIM_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "sim/report.h"

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
 * "compiler", "compiler_flags", "simd", "relative_error", "block_paths", "sampling". Non-finite
 * numbers (an sd of one path) are null. Timing fields: "threads", "elapsed_s", "paths_per_s".
 * @return a new reference (caller json_decref's it), or NULL when out of memory.
 */
json_t *cx_output_json(const cx_report *r, const cx_run_info *info);

/*
 * Checks, before any work, that path can take an output file: it is a regular file or
 * nothing (not a symbolic link, a FIFO, a device or a folder), its name fits NAME_MAX, and
 * its folder exists and is writable.
 * @return 0, or CX_ERR_USAGE (CX_ERR_NOMEM) with a one-line message in err that starts with
 * the path.
 */
int cx_output_check_file(const char *path, char *err, size_t err_len);
/*
 * The same for an output folder (made at write time when missing: its parent must then be
 * a writable folder) and, when file is not NULL, for the file dir/file in it.
 */
int cx_output_check_dir(const char *dir, const char *file, char *err, size_t err_len);
/*
 * Writes text to path atomically: a temporary file (.capexsim-XXXXXX) in the same folder,
 * fsync, rename(). A crash leaves either the old file or the new one, never half of one.
 * A path that is a symbolic link, a FIFO, a device or a folder is never replaced.
 * @return 0 or CX_ERR_IO (errno tells why; EEXIST for a target that is not a regular file;
 * the temporary is removed).
 */
int cx_output_write_atomic(const char *path, int (*writer)(FILE *f, const void *ctx),
                           const void *ctx);
/*
 * A mkstemp template for a temporary file next to path: "DIR/.capexsim-XXXXXX" (short, so it
 * fits NAME_MAX whatever path's length; same folder, so rename() is atomic).
 * @return a new string (caller frees), or NULL when out of memory.
 */
char *cx_output_tmp_template(const char *path);
/* Whether rename() onto path would replace only a regular file (or nothing): false for a
 * symbolic link, a FIFO, a device or a folder. */
bool cx_output_replaceable(const char *path);
/* JSON (indent 2, 17 significant digits so numbers round-trip) to path, atomically. */
int cx_output_write_json(const char *path, const json_t *doc);
/*
 * The quarterly series as one long CSV table, DIR/quarters.csv (created with DIR if needed):
 * header "quarter,series,mean,p5,p50,p95", quarters from 1, series named as in the JSON.
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
