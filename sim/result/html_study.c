/* SPDX-License-Identifier: MIT */
/* The HTML report's sections of studies: tornado and Sobol charts with their tables, batch,
 * stress and sweep tables, and generic tables for a study this file does not know (keyed off
 * "study", e.g. shapley or optimize results). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sim/result/html_impl.h"

#define MAX_BARS 15 /* inputs drawn in a tornado or Sobol chart (the table has them all) */
#define NAME_CHARS 34

static void chart_title(char *buf, size_t len, const json_t *doc, const char *what)
{
    const char *sc = json_string_value(json_object_get(doc, "scenario"));
    const json_t *n = json_object_get(doc, "paths");
    if (!n)
        n = json_object_get(doc, "base_samples");
    snprintf(buf, len, "%s - %s, %lld %s%s", what, sc ? sc : "?", (long long)json_integer_value(n),
             json_object_get(doc, "paths") ? "paths" : "base samples",
             json_is_false(json_object_get(doc, "complete")) ? ", partial" : "");
}

/* An input's name as a chart label: shortened in the middle, full name in a <title>. */
static void bar_label(FILE *f, double x, double y, const char *name)
{
    char s[64];
    hx_short(s, sizeof s, name ? name : "?", NAME_CHARS);
    fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"><title>", x, y);
    hx_esc(f, name);
    fputs("</title>", f);
    hx_esc(f, s);
    fputs("</text>\n", f);
}

void hx_section_tornado(FILE *f, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "tornado");
    size_t n = json_array_size(rows), nb = n < MAX_BARS ? n : MAX_BARS;
    const char *metric = json_string_value(json_object_get(doc, "metric"));
    double mean = hx_num(json_object_get(doc, "mean"));
    char b[48], title[256], what[128];
    fputs("<p>Mean of <code>", f);
    hx_esc(f, metric);
    fprintf(f,
            "</code> over all paths: %s. Each bar runs from the mean over the paths "
            "where an input is in its lowest decile to the mean where it is in its highest; "
            "largest swing on top.</p>\n",
            hx_fmt(b, sizeof b, mean));
    if (nb) {
        snprintf(what, sizeof what, "Tornado of %s", metric ? metric : "the metric");
        chart_title(title, sizeof title, doc, what);
        hx_chart c;
        hx_chart_open(&c, f, 760, 70 + 22 * (double)nb, title,
                      "Blue: mean when the input is in its lowest decile; red: highest decile.");
        c.ml = 250;
        c.y0 = 0;
        c.y1 = (double)nb;
        c.x0 = c.x1 = mean;
        for (size_t i = 0; i < nb; i++) {
            const json_t *r = json_array_get(rows, i);
            c.x0 = fmin(c.x0, fmin(hx_num(json_object_get(r, "mean_low")),
                                   hx_num(json_object_get(r, "mean_high"))));
            c.x1 = fmax(c.x1, fmax(hx_num(json_object_get(r, "mean_low")),
                                   hx_num(json_object_get(r, "mean_high"))));
        }
        hx_axes(&c, "mean of the metric ($B for burden and revenue)", NULL, false);
        for (size_t i = 0; i < nb; i++) {
            const json_t *r = json_array_get(rows, i);
            double y = hx_py(&c, (double)(nb - i)) + 3, hgt = hx_py(&c, 0) - hx_py(&c, 1) - 6;
            double lo = hx_num(json_object_get(r, "mean_low")),
                   hi = hx_num(json_object_get(r, "mean_high"));
            fprintf(f, "<rect class=\"low\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                    fmin(hx_px(&c, lo), hx_px(&c, mean)), y, fabs(hx_px(&c, lo) - hx_px(&c, mean)),
                    hgt);
            fprintf(f,
                    "<rect class=\"high\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
                    fmin(hx_px(&c, hi), hx_px(&c, mean)), y, fabs(hx_px(&c, hi) - hx_px(&c, mean)),
                    hgt);
            bar_label(f, c.ml - 6, y + hgt / 2 + 4, json_string_value(json_object_get(r, "input")));
        }
        fprintf(f, "<line class=\"pline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                hx_px(&c, mean), hx_py(&c, c.y1), hx_px(&c, mean), hx_py(&c, 0));
        hx_chart_close(&c, nb < n ? "The inputs with the largest swings; all in the table." : NULL);
    }
    hx_table_of_objects(f, rows, 200);
}

void hx_section_sobol(FILE *f, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "indices");
    size_t n = json_array_size(rows), nb = n < MAX_BARS ? n : MAX_BARS;
    const char *metric = json_string_value(json_object_get(doc, "metric"));
    char title[256], what[128];
    fputs("<p>First-order (S1: the share of the variance an input explains alone) and "
          "total-effect (ST: with its interactions) Sobol indices, with 95% CIs.</p>\n",
          f);
    if (nb) {
        snprintf(what, sizeof what, "Sobol indices of %s", metric ? metric : "the metric");
        chart_title(title, sizeof title, doc, what);
        hx_chart c;
        hx_chart_open(&c, f, 760, 70 + 26 * (double)nb, title,
                      "Dark: first-order index S1; light: total effect ST; whiskers: 95% CIs.");
        c.ml = 250;
        c.x0 = 0;
        c.x1 = 1;
        c.y0 = 0;
        c.y1 = (double)nb;
        for (size_t i = 0; i < nb; i++)
            c.x1 = fmax(c.x1, hx_num(json_array_get(
                                  json_object_get(json_array_get(rows, i), "st_ci95"), 1)));
        hx_axes(&c, "share of the metric's variance", NULL, false);
        for (size_t i = 0; i < nb; i++) {
            const json_t *r = json_array_get(rows, i);
            double top = hx_py(&c, (double)(nb - i)) + 3,
                   hgt = (hx_py(&c, 0) - hx_py(&c, 1) - 6) / 2;
            static const char *const k[2] = {"st", "s1"}, *const kc[2] = {"st_ci95", "s1_ci95"};
            for (int j = 0; j < 2; j++) {
                double v = fmax(0, hx_num(json_object_get(r, k[j])));
                double y = top + j * hgt;
                fprintf(f,
                        "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                        k[j], hx_px(&c, 0), y, hx_px(&c, v) - hx_px(&c, 0), hgt);
                const json_t *ci = json_object_get(r, kc[j]);
                double lo = hx_num(json_array_get(ci, 0)), hi = hx_num(json_array_get(ci, 1));
                if (isfinite(lo) && isfinite(hi))
                    fprintf(
                        f,
                        "<line class=\"whisk\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                        hx_px(&c, fmax(c.x0, lo)), y + hgt / 2, hx_px(&c, hi), y + hgt / 2);
            }
            bar_label(f, c.ml - 6, top + hgt + 4, json_string_value(json_object_get(r, "input")));
        }
        hx_chart_close(&c, nb < n ? "The inputs with the largest total effects; all in the table."
                                  : NULL);
    }
    hx_table_of_objects(f, rows, 200);
    const json_t *w = json_object_get(doc, "warnings");
    size_t i;
    const json_t *s;
    json_array_foreach(w, i, s)
    {
        fputs("<p class=\"warn\">", f);
        hx_esc(f, json_string_value(s));
        fputs("</p>\n", f);
    }
}

/* A table of a batch's rows: the scenario, then each statistic. */
void hx_section_batch(FILE *f, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "table");
    const json_t *first = json_object_get(json_array_get(rows, 0), "stats");
    char b[48];
    fputs("<p>Each scenario with the same seed and paths (common random numbers); $B for "
          "burden and revenue, shares for exceedance.</p>\n<div "
          "class=\"tw\"><table><thead><tr><th>scenario</th>",
          f);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)first, k, v)
    {
        fputs("<th>", f);
        hx_esc(f, k);
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
    {
        fputs("<tr><th>", f);
        hx_esc(f, json_string_value(json_object_get(row, "scenario")));
        fputs("</th>", f);
        json_object_foreach((json_t *)first, k, v)
            fprintf(f, "<td>%s</td>",
                    hx_fmt(b, sizeof b, hx_num(hx_get(json_object_get(row, "stats"), k))));
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    /* burden P5..P95 with the median, one row per scenario */
    size_t n = json_array_size(rows);
    if (!n || n > 200)
        return;
    char title[256];
    snprintf(title, sizeof title, "Capex burden by scenario - %lld paths each%s",
             (long long)json_integer_value(json_object_get(doc, "paths")),
             json_is_false(json_object_get(doc, "complete")) ? ", partial" : "");
    hx_chart c;
    hx_chart_open(&c, f, 760, 70 + 22 * (double)n, title, "Bars from P5 to P95; dot: P50.");
    c.ml = 250;
    c.x0 = 0;
    c.x1 = 1;
    c.y0 = 0;
    c.y1 = (double)n;
    json_array_foreach(rows, i, row) c.x1 = fmax(c.x1, hx_num(hx_get(row, "stats.burden_p95")));
    hx_axes(&c, "capex burden ($B)", NULL, false);
    json_array_foreach(rows, i, row)
    {
        double y = hx_py(&c, (double)(n - i)) + 4, hgt = hx_py(&c, 0) - hx_py(&c, 1) - 8;
        double p5 = hx_num(hx_get(row, "stats.burden_p5")),
               p95 = hx_num(hx_get(row, "stats.burden_p95"));
        double p50 = hx_num(hx_get(row, "stats.burden_p50"));
        if (isfinite(p5) && isfinite(p95))
            fprintf(f,
                    "<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                    hx_px(&c, p5), y, hx_px(&c, p95) - hx_px(&c, p5), hgt);
        if (isfinite(p50))
            fprintf(f, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>", hx_px(&c, p50),
                    y + hgt / 2);
        bar_label(f, c.ml - 6, y + hgt / 2 + 4,
                  json_string_value(json_object_get(row, "scenario")));
    }
    hx_chart_close(&c, NULL);
}

void hx_section_stress(FILE *f, const json_t *doc)
{
    fputs("<p>Inputs held to slices of their distributions:</p>\n", f);
    hx_table_of_objects(f, json_object_get(doc, "inputs"), 100);
    const json_t *diffs = json_object_get(json_object_get(doc, "paired"), "diffs");
    if (!json_is_object(diffs))
        return;
    char b[4][48];
    fputs("<p>Stressed minus baseline, paired (common random numbers), with 95% CIs:</p>\n"
          "<table><thead><tr><th>statistic</th><th>difference</th><th>se</th><th>95% CI</th>"
          "</tr></thead><tbody>\n",
          f);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)diffs, k, v)
    {
        const json_t *ci = json_object_get(v, "ci95");
        fputs("<tr><th>", f);
        hx_esc(f, k);
        fprintf(f, "</th><td>%s</td><td>%s</td><td>%s &ndash; %s</td></tr>\n",
                hx_fmt(b[0], 48, hx_num(json_object_get(v, "diff"))),
                hx_fmt(b[1], 48, hx_num(json_object_get(v, "se"))),
                hx_fmt(b[2], 48, hx_num(json_array_get(ci, 0))),
                hx_fmt(b[3], 48, hx_num(json_array_get(ci, 1))));
    }
    fputs("</tbody></table>\n", f);
}

/* One row per point: the swept values, then the burden's and revenue's statistics. */
void hx_section_sweep(FILE *f, const json_t *doc)
{
    const json_t *axes = json_object_get(doc, "axes"), *pts = json_object_get(doc, "points");
    static const char *const cols[] = {"capex_burden.mean",  "capex_burden.p5",
                                       "capex_burden.p50",   "capex_burden.p95",
                                       "revenue_total.mean", "revenue_total.p50"};
    char b[48];
    fputs("<p>The scenario at every point of its sweep, common random numbers ($B).</p>\n"
          "<table><thead><tr>",
          f);
    size_t i, j;
    const json_t *a, *p;
    json_array_foreach(axes, i, a)
    {
        fputs("<th>", f);
        hx_esc(f, json_string_value(json_object_get(a, "name")));
        fputs("</th>", f);
    }
    for (j = 0; j < sizeof cols / sizeof *cols; j++)
        fprintf(f, "<th>%s</th>", cols[j]);
    fputs("</tr></thead><tbody>\n", f);
    json_array_foreach(pts, i, p)
    {
        if (i >= 1000)
            break;
        fputs("<tr>", f);
        const json_t *vals = json_object_get(p, "values"), *x;
        json_array_foreach(vals, j, x) fprintf(f, "<td>%s</td>", hx_fmt(b, sizeof b, hx_num(x)));
        for (j = 0; j < sizeof cols / sizeof *cols; j++)
            fprintf(f, "<td>%s</td>",
                    hx_fmt(b, sizeof b, hx_num(hx_get(json_object_get(p, "metrics"), cols[j]))));
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* A study this report does not know: its scalars, then a table for each array of objects. */
void hx_section_generic(FILE *f, const json_t *doc)
{
    fputs("<p class=\"note\">A result this version of the report has no section for: its "
          "fields as tables.</p>\n",
          f);
    hx_table_of_scalars(f, doc);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)doc, k, v)
    {
        if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
            fputs("<h3>", f);
            hx_esc(f, k);
            fputs("</h3>\n", f);
            hx_table_of_objects(f, v, 200);
        } else if (json_is_object(v) && strcmp(k, "metrics") && json_object_size(v) <= 200) {
            fputs("<h3>", f);
            hx_esc(f, k);
            fputs("</h3>\n", f);
            hx_table_of_scalars(f, v);
        }
    }
}
