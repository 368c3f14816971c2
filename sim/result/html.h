/* SPDX-License-Identifier: MIT */
/* One self-contained HTML report of result JSON files: prose summary, tables, inline SVG
 * charts, provenance (issue 22). */
#ifndef CX_SIM_RESULT_HTML_H
#define CX_SIM_RESULT_HTML_H

#include <stdio.h>

#include <jansson.h>

/* One result to report: its parsed JSON (borrowed) and the file it came from. */
typedef struct cx_html_input {
    const char *file;
    const json_t *doc;
} cx_html_input;

/* What the report says about its own making. */
typedef struct cx_html_meta {
    const char *command_line; /* the `capexsim report ...` that wrote it */
    const char *date;         /* when, UTC, ISO 8601 */
} cx_html_meta;

/*
 * Writes the report of results in[0..n-1] on f: one section per result, keyed off its
 * "study" ("metrics" without "study": a run; "tornado", "sobol", "batch", "stress", "sweep";
 * any other study as generic tables), then the provenance of each. Every string from a
 * result is HTML-escaped; no script, font, stylesheet or image is fetched: charts are inline
 * SVG, each with a <title>. Numbers quoted in a run's summary carry data-key (the JSON
 * pointer-like path, dotted) and data-value (%.17g) so tests can check them.
 * @return 0, or CX_ERR_IO when f reports a write error.
 */
int cx_html_write(FILE *f, const cx_html_input *in, int n, const cx_html_meta *meta);

#endif
