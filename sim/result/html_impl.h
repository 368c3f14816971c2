/* SPDX-License-Identifier: MIT */
/* Private to the HTML report (html.c, html_svg.c, html_study.c): escaping, numbers, JSON
 * lookups and the SVG chart primitives. */
#ifndef CX_SIM_RESULT_HTML_IMPL_H
#define CX_SIM_RESULT_HTML_IMPL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* ---- html.c: text */
/* s with & < > " ' as entities (NULL: nothing). */
void hx_esc(FILE *f, const char *s);
/* A number for a reader: 4 significant digits, no exponent below 1e15; "n/a" if not finite. */
const char *hx_fmt(char *buf, size_t len, double v);
/* A JSON number (integer or real) or NAN. */
double hx_num(const json_t *v);
/* doc's member at a dotted path ("metrics.capex_burden.mean"), or NULL. */
const json_t *hx_get(const json_t *doc, const char *dotted);
/* A long input name shortened in the middle to at most max characters, with an ellipsis. */
void hx_short(char *out, size_t len, const char *name, size_t max);
/* A <table> of the scalar members of each object of arr (at most max_rows rows). */
void hx_table_of_objects(FILE *f, const json_t *arr, size_t max_rows);
/* A <table> of the scalar members of an object (strings, numbers, booleans). */
void hx_table_of_scalars(FILE *f, const json_t *obj);

/* ---- html_svg.c: charts. One chart maps data [x0, x1] x [y0, y1] into an SVG of w x h
 * pixels inside margins; every chart is an <svg role="img"> with a <title> and <desc>. */
typedef struct hx_chart {
    FILE *f;
    double x0, x1, y0, y1;
    double w, h, ml, mr, mt, mb;
} hx_chart;
void hx_chart_open(hx_chart *c, FILE *f, double w, double h, const char *title, const char *desc);
void hx_chart_close(hx_chart *c, const char *caption);
double hx_px(const hx_chart *c, double x);
double hx_py(const hx_chart *c, double y);
/* Axes with round ticks; y_pct shows y as percent. xlabel/ylabel carry the units; a NULL
 * ylabel draws no y ticks (bar charts label their rows themselves). */
void hx_axes(const hx_chart *c, const char *xlabel, const char *ylabel, bool y_pct);
/* A right-hand axis labelled 0..100 % (a CDF drawn over [y0, y1]). */
void hx_axis_right_pct(const hx_chart *c, const char *label);
/* A polyline through n points (xs, ys) in data units; class names its style. */
void hx_polyline(const hx_chart *c, const double *xs, const double *ys, int n, const char *cls);
/* Text at data (x, y) shifted by (dx, dy) pixels. anchor: "start", "middle", "end". */
void hx_text(const hx_chart *c, double x, double y, double dx, double dy, const char *anchor,
             const char *cls, const char *text);
/* Round ticks for [lo, hi], about n of them: first tick and step. */
void hx_ticks(double lo, double hi, int n, double *first, double *step);
/* A filled band between lo[] and hi[] over xs[] (points not finite are skipped); style: an
 * inline style for its colour, or NULL (the band class's). */
void hx_band(const hx_chart *c, const double *xs, const double *lo, const double *hi, int n,
             const char *style);
/* A vertical error bar at x from lo to hi, with caps (a 95% CI). */
void hx_errbar(const hx_chart *c, double x, double lo, double hi);

/* ---- html_study.c: the sections of studies */
void hx_section_tornado(FILE *f, const json_t *doc);
void hx_section_sobol(FILE *f, const json_t *doc);
void hx_section_batch(FILE *f, const json_t *doc);
void hx_section_stress(FILE *f, const json_t *doc);
void hx_section_sweep(FILE *f, const json_t *doc);
void hx_section_optimize(FILE *f, const json_t *doc);
void hx_section_generic(FILE *f, const json_t *doc);

#endif
