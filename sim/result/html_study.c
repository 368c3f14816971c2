/* SPDX-License-Identifier: MIT */
/* The HTML report's sections of studies: tornado and Sobol charts with their tables, batch,
 * stress and sweep tables and charts, optimize (decisions, statistics with CIs, the frontier
 * chart), and generic tables for a study this file does not know (keyed off "study", e.g.
 * shapley results). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/result/html_impl.h"

static void sweep_chart(FILE *f, const json_t *doc, const char *metric);

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
    sweep_chart(f, doc, "capex_burden");
    sweep_chart(f, doc, "revenue_total");
}

/* A study this report does not know: its scalars, then a table for each array of objects. */
void hx_section_generic(FILE *f, const json_t *doc)
{
    /* an optimize result has a section of its own below; it is reached from here so that the
     * report's dispatch (html.c) need not change */
    const char *study = json_string_value(json_object_get(doc, "study"));
    if (study && !strcmp(study, "optimize")) {
        hx_section_optimize(f, doc);
        return;
    }
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

/* ---- optimize (issue 21) and the sweep's chart */

/* The unit of a metric: $B for money, GW for capacity, GW-years for MSL's shortfall. */
static const char *unit_of(const char *metric)
{
    if (!metric)
        return "";
    if (!strncmp(metric, "revenue", 7) || !strncmp(metric, "capex_burden", 12) ||
        !strcmp(metric, "committed_cost"))
        return "$B";
    if (!strncmp(metric, "idle_gw", 7) || !strcmp(metric, "oversold_gw_peak"))
        return "GW";
    if (!strcmp(metric, "msl_shortfall"))
        return "GW-years";
    if (!strncmp(metric, "deals_", 6))
        return "count";
    return "";
}

/* A statistic in words from its spec {metric, stat, threshold}, as text for hx_esc:
 * "p95 of capex_burden ($B)", "P(capex_burden > 80)". */
static void stat_words(char *buf, size_t len, const json_t *spec, bool with_unit)
{
    const char *m = json_string_value(json_object_get(spec, "metric"));
    const char *s = json_string_value(json_object_get(spec, "stat"));
    const char *u = unit_of(m);
    if (s && !strcmp(s, "p_exceed"))
        snprintf(buf, len, "P(%s > %g)", m ? m : "?", hx_num(json_object_get(spec, "threshold")));
    else if (with_unit && *u)
        snprintf(buf, len, "%s of %s (%s)", s ? s : "?", m ? m : "?", u);
    else
        snprintf(buf, len, "%s of %s", s ? s : "?", m ? m : "?");
}

/* A number the test can trace to the JSON: data-key the dotted path from the result's top
 * (data-input: a decision's name, which has dots of its own), data-value its exact value. */
static void num(FILE *f, const json_t *v, const char *key, const char *input)
{
    char b[48];
    double x = hx_num(v);
    if (!isfinite(x)) {
        fputs("n/a", f);
        return;
    }
    fputs("<span class=\"num\" data-key=\"", f);
    hx_esc(f, key);
    if (input) {
        fputs("\" data-input=\"", f);
        hx_esc(f, input);
    }
    fprintf(f, "\" data-value=\"%.17g\">%s</span>", x, hx_fmt(b, sizeof b, x));
}

/* A table cell "value [lo, hi]" of the {value, ci95} object c at key. */
static void ci_cell(FILE *f, const json_t *c, const char *key)
{
    char k[200];
    fputs("<td>", f);
    if (!c) {
        fputs("</td>", f);
        return;
    }
    snprintf(k, sizeof k, "%s.value", key);
    num(f, json_object_get(c, "value"), k, NULL);
    const json_t *ci = json_object_get(c, "ci95");
    if (json_is_array(ci)) {
        fputs(" <small>[", f);
        snprintf(k, sizeof k, "%s.ci95.0", key);
        num(f, json_array_get(ci, 0), k, NULL);
        fputs(", ", f);
        snprintf(k, sizeof k, "%s.ci95.1", key);
        num(f, json_array_get(ci, 1), k, NULL);
        fputs("]</small>", f);
    }
    fputs("</td>", f);
}

/* Statistic k of a point or a paired difference: 0 the objective, 1 + j constraint j. */
static const json_t *stat_k(const json_t *pt, size_t k)
{
    return k == 0 ? json_object_get(pt, "objective")
                  : json_array_get(json_object_get(pt, "constraints"), k - 1);
}

/* What was solved, how, and how far to trust it, in sentences. */
static void opt_intro(FILE *f, const json_t *doc)
{
    const json_t *pb = json_object_get(doc, "problem");
    const json_t *obj = json_object_get(pb, "objective");
    const char *sense = json_string_value(json_object_get(obj, "sense"));
    bool checked = json_is_object(json_object_get(doc, "paired_difference"));
    char w[200];
    stat_words(w, sizeof w, obj, true);
    fprintf(f, "<p>Decisions chosen to <b>%s</b> the ", sense && !strcmp(sense, "min") ? "minimise" : "maximise");
    hx_esc(f, w);
    fprintf(f, " subject to %zu constraint%s, by <code>", json_array_size(json_object_get(pb, "constraints")),
            json_array_size(json_object_get(pb, "constraints")) == 1 ? "" : "s");
    hx_esc(f, json_string_value(json_object_get(doc, "method")));
    fprintf(f, "</code> (%lld start%s): %lld evaluations on the search sample (%lld paths, seed %lld, "
               "the same paths at every point: common random numbers).",
            (long long)json_integer_value(json_object_get(doc, "starts")),
            json_integer_value(json_object_get(doc, "starts")) == 1 ? "" : "s",
            (long long)json_integer_value(json_object_get(doc, "evaluations")),
            (long long)json_integer_value(json_object_get(doc, "paths")),
            (long long)json_integer_value(json_object_get(doc, "seed")));
    if (checked)
        fprintf(f, " The best point, the runner-up (the best of another start) and the baseline "
                   "(the scenario's own decisions) were then re-run on a fresh seed (%lld, %lld "
                   "paths): the values below are that check's, with 95%% CIs; differences are "
                   "paired on the same paths.</p>\n",
                (long long)json_integer_value(json_object_get(doc, "check_seed")),
                (long long)json_integer_value(json_object_get(doc, "check_paths")));
    else
        fputs("</p>\n<p class=\"warn\">The search was interrupted: the values are the search "
              "sample's, without CIs, and nothing was checked on a fresh seed.</p>\n", f);
    if (json_is_false(json_object_get(doc, "found")))
        fputs("<p class=\"warn\">No point met every constraint on the search sample: the best "
              "point shown is the least infeasible one.</p>\n", f);
    if (!checked)
        return;
    const json_t *d = json_object_get(json_object_get(doc, "paired_difference"), "best_minus_baseline");
    fputs("<p class=\"summary\">At the best point the objective is ", f);
    num(f, hx_get(doc, "best.objective.value"), "best.objective.value", NULL);
    fputs(" (95% CI ", f);
    num(f, json_array_get(hx_get(doc, "best.objective.ci95"), 0), "best.objective.ci95.0", NULL);
    fputs(" to ", f);
    num(f, json_array_get(hx_get(doc, "best.objective.ci95"), 1), "best.objective.ci95.1", NULL);
    fputs("), against ", f);
    num(f, hx_get(doc, "baseline.objective.value"), "baseline.objective.value", NULL);
    fputs(" with the scenario's own decisions: a paired difference of ", f);
    num(f, hx_get(d, "objective.value"), "paired_difference.best_minus_baseline.objective.value", NULL);
    fputs(" (95% CI ", f);
    num(f, json_array_get(hx_get(d, "objective.ci95"), 0),
        "paired_difference.best_minus_baseline.objective.ci95.0", NULL);
    fputs(" to ", f);
    num(f, json_array_get(hx_get(d, "objective.ci95"), 1),
        "paired_difference.best_minus_baseline.objective.ci95.1", NULL);
    fputs(").</p>\n", f);
}

/* The decisions: their boxes, and the values at baseline, best and runner-up. */
static void opt_decisions(FILE *f, const json_t *doc)
{
    static const char *const pts[3] = {"baseline", "best", "runner_up"};
    const json_t *decs = hx_get(doc, "problem.decisions");
    char key[64];
    fputs("<div class=\"tw\"><table><thead><tr><th>decision</th><th>low</th><th>high</th>"
          "<th>integer</th><th>baseline</th><th>best</th><th>runner-up</th></tr></thead><tbody>\n",
          f);
    size_t i;
    const json_t *dc;
    json_array_foreach(decs, i, dc)
    {
        const char *in = json_string_value(json_object_get(dc, "input"));
        char b[2][48];
        fputs("<tr><th><code>", f);
        hx_esc(f, in);
        fprintf(f, "</code></th><td>%s</td><td>%s</td><td>%s</td>",
                hx_fmt(b[0], 48, hx_num(json_object_get(dc, "low"))),
                hx_fmt(b[1], 48, hx_num(json_object_get(dc, "high"))),
                json_is_true(json_object_get(dc, "integer")) ? "yes" : "no");
        for (int p = 0; p < 3; p++) {
            fputs("<td>", f);
            snprintf(key, sizeof key, "%s.decisions", pts[p]);
            if (in)
                num(f, json_object_get(hx_get(doc, key), in), key, in);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}

/* The holds column: whether constraint j's whole CI meets its bound at the best point. */
static void holds_cell(FILE *f, const json_t *c, bool checked)
{
    if (!checked)
        fputs("<td>not checked</td>", f);
    else if (json_is_true(json_object_get(c, "holds")))
        fputs("<td>yes</td>", f);
    else
        fprintf(f, "<td class=\"warn\">no: the estimate %s it</td>",
                json_is_true(json_object_get(c, "meets")) ? "meets" : "misses");
}

/* The objective and each constraint at baseline, best and runner-up, and the paired
 * differences, with CIs. */
static void opt_stats(FILE *f, const json_t *doc)
{
    const json_t *pb = json_object_get(doc, "problem");
    const json_t *pd = json_object_get(doc, "paired_difference");
    size_t nk = 1 + json_array_size(json_object_get(pb, "constraints"));
    bool checked = json_is_object(pd);
    char w[200], key[200], b[48];
    fputs("<div class=\"tw\"><table><thead><tr><th>statistic</th><th>limit</th><th>baseline</th>"
          "<th>best</th><th>holds at best</th><th>runner-up</th><th>best &minus; baseline</th>"
          "<th>best &minus; runner-up</th></tr></thead><tbody>\n",
          f);
    for (size_t k = 0; k < nk; k++) {
        const json_t *spec = stat_k(pb, k);
        stat_words(w, sizeof w, spec, true);
        fputs("<tr><th>", f);
        hx_esc(f, w);
        fputs("</th><td>", f);
        if (k == 0) {
            const char *s = json_string_value(json_object_get(spec, "sense"));
            fputs(s && !strcmp(s, "min") ? "minimised" : "maximised", f);
        } else {
            bool up = json_object_get(spec, "max") != NULL;
            fprintf(f, "%s %s", up ? "&le;" : "&ge;",
                    hx_fmt(b, sizeof b, hx_num(json_object_get(spec, up ? "max" : "min"))));
        }
        fputs("</td>", f);
        static const char *const pts[3] = {"baseline", "best", "runner_up"};
        for (int p = 0; p < 3; p++) {
            const json_t *pt = json_object_get(doc, pts[p]);
            if (k == 0)
                snprintf(key, sizeof key, "%s.objective", pts[p]);
            else
                snprintf(key, sizeof key, "%s.constraints.%zu", pts[p], k - 1);
            ci_cell(f, json_is_object(pt) ? stat_k(pt, k) : NULL, key);
            if (p == 1) {
                if (k == 0)
                    fputs("<td></td>", f);
                else
                    holds_cell(f, stat_k(pt, k), checked);
            }
        }
        static const char *const ds[2] = {"best_minus_baseline", "best_minus_runner_up"};
        for (int p = 0; p < 2; p++) {
            const json_t *dd = json_object_get(pd, ds[p]);
            if (k == 0)
                snprintf(key, sizeof key, "paired_difference.%s.objective", ds[p]);
            else
                snprintf(key, sizeof key, "paired_difference.%s.constraints.%zu", ds[p], k - 1);
            ci_cell(f, json_is_object(dd) ? stat_k(dd, k) : NULL, key);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    if (!checked)
        return;
    for (size_t k = 1; k < nk; k++) {
        const json_t *c = stat_k(json_object_get(doc, "best"), k);
        if (json_is_true(json_object_get(c, "holds")))
            continue;
        stat_words(w, sizeof w, stat_k(pb, k), false);
        fputs("<p class=\"warn\">At the best point, ", f);
        hx_esc(f, w);
        fprintf(f, " is not within its limit with 95%% confidence on the fresh seed; the "
                   "estimate itself %s it. A limit that binds at the optimum is often missed so: "
                   "tighten it by about the CI's half-width to hold it with confidence.</p>\n",
                json_is_true(json_object_get(c, "meets")) ? "meets" : "misses");
    }
}

/* The chart of the frontier: the objective at each level of constraint 0's bound with its
 * 95% CI, the best point (at the scenario's bound) marked. */
static void opt_frontier_chart(FILE *f, const json_t *doc)
{
    const json_t *fr = json_object_get(doc, "frontier"), *pb = json_object_get(doc, "problem");
    const json_t *c0 = json_array_get(json_object_get(pb, "constraints"), 0);
    size_t n = json_array_size(fr);
    if (n == 0 || n > 1000)
        return;
    double xs[1000], ys[1000], lo[1000], hi[1000];
    int m = 0;
    hx_chart c;
    c.x0 = c.y0 = INFINITY;
    c.x1 = c.y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const json_t *pt = json_array_get(fr, i);
        if (json_is_false(json_object_get(pt, "found")))
            continue;
        xs[m] = hx_num(json_object_get(pt, "bound"));
        ys[m] = hx_num(hx_get(pt, "objective.value"));
        lo[m] = hx_num(json_array_get(hx_get(pt, "objective.ci95"), 0));
        hi[m] = hx_num(json_array_get(hx_get(pt, "objective.ci95"), 1));
        if (!isfinite(xs[m]) || !isfinite(ys[m]))
            continue;
        c.x0 = fmin(c.x0, xs[m]);
        c.x1 = fmax(c.x1, xs[m]);
        c.y0 = fmin(c.y0, isfinite(lo[m]) ? lo[m] : ys[m]);
        c.y1 = fmax(c.y1, isfinite(hi[m]) ? hi[m] : ys[m]);
        m++;
    }
    if (m == 0)
        return;
    bool up = json_object_get(c0, "max") != NULL;
    double bx = hx_num(json_object_get(c0, up ? "max" : "min"));
    double by = hx_num(hx_get(doc, "best.objective.value"));
    double blo = hx_num(json_array_get(hx_get(doc, "best.objective.ci95"), 0));
    double bhi = hx_num(json_array_get(hx_get(doc, "best.objective.ci95"), 1));
    if (isfinite(bx) && isfinite(by)) {
        c.x0 = fmin(c.x0, bx);
        c.x1 = fmax(c.x1, bx);
        c.y0 = fmin(c.y0, isfinite(blo) ? blo : by);
        c.y1 = fmax(c.y1, isfinite(bhi) ? bhi : by);
    }
    /* a margin of 5% each side, so the end points and their bars sit inside the frame */
    double dx = c.x1 > c.x0 ? 0.05 * (c.x1 - c.x0) : 1, dy = c.y1 > c.y0 ? 0.08 * (c.y1 - c.y0) : 1;
    char ow[200], cw[200], title[512], xl[260], yl[260];
    stat_words(ow, sizeof ow, json_object_get(pb, "objective"), false);
    stat_words(cw, sizeof cw, c0, false);
    const char *sc = json_string_value(json_object_get(doc, "scenario"));
    snprintf(title, sizeof title, "Efficient frontier - %s, %lld search paths, %lld check paths%s",
             sc ? sc : "?", (long long)json_integer_value(json_object_get(doc, "paths")),
             (long long)json_integer_value(json_object_get(doc, "check_paths")),
             json_is_false(json_object_get(doc, "complete")) ? ", partial" : "");
    char desc[700];
    snprintf(desc, sizeof desc, "The %s at the optimum against the bound on %s. Blue: the optimum "
             "at each level of the bound, whiskers its fresh-seed 95%% CI; red square: the best "
             "point, solved at the scenario's own bound.", ow, cw);
    stat_words(cw, sizeof cw, c0, true);
    snprintf(xl, sizeof xl, "bound on %s: the statistic at %s this", cw, up ? "most" : "least");
    stat_words(ow, sizeof ow, json_object_get(pb, "objective"), true);
    snprintf(yl, sizeof yl, "%s at the optimum", ow);
    hx_chart_open(&c, f, 760, 380, title, desc);
    c.ml = 76;
    c.x0 -= dx;
    c.x1 += dx;
    c.y0 -= dy;
    c.y1 += dy;
    hx_axes(&c, xl, yl, false);
    hx_polyline(&c, xs, ys, m, "line");
    for (int i = 0; i < m; i++) {
        hx_errbar(&c, xs[i], lo[i], hi[i]);
        fprintf(f, "<circle class=\"low\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>\n", hx_px(&c, xs[i]),
                hx_py(&c, ys[i]));
    }
    if (isfinite(bx) && isfinite(by)) {
        hx_errbar(&c, bx, blo, bhi);
        fprintf(f, "<rect class=\"high\" x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\"/>\n",
                hx_px(&c, bx) - 4.5, hx_py(&c, by) - 4.5);
        hx_text(&c, bx, by, 8, 16, "start", "plabel", "best point");
    }
    hx_chart_close(&c, "Levels where no feasible point was found are left out (see the table).");
}

/* The frontier's table: each level's bound, decisions, objective and constraint with CIs. */
static void opt_frontier_table(FILE *f, const json_t *doc)
{
    const json_t *fr = json_object_get(doc, "frontier");
    const json_t *decs = hx_get(doc, "problem.decisions");
    char key[96];
    fputs("<div class=\"tw\"><table><thead><tr><th>bound</th>", f);
    size_t i, j;
    const json_t *pt, *dc;
    json_array_foreach(decs, j, dc)
    {
        fputs("<th><code>", f);
        hx_esc(f, json_string_value(json_object_get(dc, "input")));
        fputs("</code></th>", f);
    }
    fputs("<th>objective</th><th>constraint</th><th>holds</th></tr></thead><tbody>\n", f);
    json_array_foreach(fr, i, pt)
    {
        if (i >= 1000)
            break;
        fputs("<tr><td>", f);
        snprintf(key, sizeof key, "frontier.%zu.bound", i);
        num(f, json_object_get(pt, "bound"), key, NULL);
        fputs("</td>", f);
        snprintf(key, sizeof key, "frontier.%zu.decisions", i);
        json_array_foreach(decs, j, dc)
        {
            const char *in = json_string_value(json_object_get(dc, "input"));
            fputs("<td>", f);
            if (in)
                num(f, json_object_get(json_object_get(pt, "decisions"), in), key, in);
            fputs("</td>", f);
        }
        snprintf(key, sizeof key, "frontier.%zu.objective", i);
        ci_cell(f, json_object_get(pt, "objective"), key);
        snprintf(key, sizeof key, "frontier.%zu.constraint", i);
        ci_cell(f, json_object_get(pt, "constraint"), key);
        fprintf(f, "<td>%s</td></tr>\n",
                json_is_false(json_object_get(pt, "found")) ? "no feasible point"
                : json_is_true(json_object_get(pt, "holds")) ? "yes"
                                                             : "no");
    }
    fputs("</tbody></table></div>\n", f);
}

void hx_section_optimize(FILE *f, const json_t *doc)
{
    opt_intro(f, doc);
    fputs("<h3>Decisions</h3>\n", f);
    opt_decisions(f, doc);
    fputs("<h3>Objective and constraints</h3>\n", f);
    opt_stats(f, doc);
    if (json_array_size(json_object_get(doc, "frontier")) > 0) {
        char w[200];
        fputs("<h3>Efficient frontier</h3>\n<p>The problem re-solved at levels of the first "
              "constraint's bound (", f);
        stat_words(w, sizeof w, json_array_get(hx_get(doc, "problem.constraints"), 0), true);
        hx_esc(f, w);
        fputs("), each level warm-started from the last and checked on the fresh seed: what "
              "each step of the limit costs in objective.</p>\n", f);
        opt_frontier_chart(f, doc);
        opt_frontier_table(f, doc);
    }
}

#define SWEEP_SERIES 8    /* lines in one sweep chart: values of the second axis */
#define SWEEP_POINTS 1000 /* points of a line */

typedef struct sweep_line {
    int n;
    double x[SWEEP_POINTS], mean[SWEEP_POINTS], lo[SWEEP_POINTS], hi[SWEEP_POINTS];
    double p50[SWEEP_POINTS], p95[SWEEP_POINTS];
} sweep_line;

/* The points of metric whose second value is z (every point when there is one axis), in the
 * JSON's order: mean, its 95% CI (mean +- 1.96 se), P50 and P95 (NaN when absent). */
static void sweep_collect(const json_t *pts, const char *metric, bool two, double z,
                          sweep_line *l)
{
    size_t i;
    const json_t *p;
    l->n = 0;
    json_array_foreach(pts, i, p)
    {
        const json_t *vals = json_object_get(p, "values");
        if (l->n >= SWEEP_POINTS)
            break;
        if (two && hx_num(json_array_get(vals, 1)) != z)
            continue;
        const json_t *m = json_object_get(json_object_get(p, "metrics"), metric);
        double x = hx_num(json_array_get(vals, 0)), mean = hx_num(json_object_get(m, "mean"));
        if (!isfinite(x) || !isfinite(mean))
            continue;
        double se = hx_num(json_object_get(m, "se"));
        int k = l->n++;
        l->x[k] = x;
        l->mean[k] = mean;
        l->lo[k] = isfinite(se) ? mean - 1.96 * se : NAN;
        l->hi[k] = isfinite(se) ? mean + 1.96 * se : NAN;
        l->p50[k] = hx_num(json_object_get(m, "p50"));
        l->p95[k] = hx_num(json_object_get(m, "p95"));
    }
}

static void range_add(hx_chart *c, const double *v, const double *x, int n)
{
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]) && isfinite(x[i])) {
            c->y0 = fmin(c->y0, v[i]);
            c->y1 = fmax(c->y1, v[i]);
            c->x0 = fmin(c->x0, x[i]);
            c->x1 = fmax(c->x1, x[i]);
        }
}

/* A coloured line through (x, v) with an inline stroke (and a dash pattern, or NULL). */
static void sweep_path(const hx_chart *c, const double *x, const double *v, int n,
                      const char *colour, const char *dash)
{
    fprintf(c->f, "<polyline style=\"fill:none;stroke:%s;stroke-width:%s%s%s\" points=\"", colour,
            dash ? "1.5" : "2", dash ? ";stroke-dasharray:" : "", dash ? dash : "");
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(v[i]))
            fprintf(c->f, "%s%.1f,%.1f", k++ ? " " : "", hx_px(c, x[i]), hx_py(c, v[i]));
    fputs("\"/>\n", c->f);
}

/* One legend entry at row k (top left of the plot area). */
static void legend(const hx_chart *c, int k, const char *colour, const char *dash,
                   const char *text)
{
    double x = c->ml + 10, y = c->mt + 14 + 15 * k;
    fprintf(c->f, "<line style=\"stroke:%s;stroke-width:2%s%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                  "y2=\"%.1f\"/><text class=\"plabel\" x=\"%.1f\" y=\"%.1f\">",
            colour, dash ? ";stroke-dasharray:" : "", dash ? dash : "", x, y - 4, x + 22, y - 4,
            x + 28, y);
    hx_esc(c->f, text);
    fputs("</text>\n", c->f);
}

/* The sweep's chart of one metric: the mean with its 95% CI band against the first axis's
 * value; with one axis also P50 and P95 where the JSON has them; with two, one line and band
 * per value of the second (the first SWEEP_SERIES). */
static void sweep_chart(FILE *f, const json_t *doc, const char *metric)
{
    static const char *const pal[SWEEP_SERIES] = {"#0550ae", "#cf222e", "#1a7f37", "#8250df",
                                                  "#bc4c00", "#0a7c86", "#6e7781", "#bf3989"};
    sweep_line *ln = calloc(SWEEP_SERIES, sizeof *ln); /* 384 kB: not on the stack */
    if (!ln)
        return; /* no memory: the table stands alone */
    const json_t *axes = json_object_get(doc, "axes"), *pts = json_object_get(doc, "points");
    const json_t *zv = json_object_get(json_array_get(axes, 1), "values");
    bool two = json_array_size(axes) > 1 && json_array_size(zv) > 0;
    size_t ns = two ? json_array_size(zv) : 1, drawn = ns < SWEEP_SERIES ? ns : SWEEP_SERIES;
    hx_chart c;
    c.x0 = c.y0 = INFINITY;
    c.x1 = c.y1 = -INFINITY;
    for (size_t s = 0; s < drawn; s++) {
        sweep_collect(pts, metric, two, two ? hx_num(json_array_get(zv, s)) : 0, &ln[s]);
        range_add(&c, ln[s].lo, ln[s].x, ln[s].n);
        range_add(&c, ln[s].hi, ln[s].x, ln[s].n);
        range_add(&c, ln[s].mean, ln[s].x, ln[s].n);
        if (!two) {
            range_add(&c, ln[s].p50, ln[s].x, ln[s].n);
            range_add(&c, ln[s].p95, ln[s].x, ln[s].n);
        }
    }
    if (!(c.x1 >= c.x0) || !(c.y1 >= c.y0)) {
        free(ln);
        return; /* no point with a value and a mean */
    }
    const char *sc = json_string_value(json_object_get(doc, "scenario"));
    const char *xn = json_string_value(json_object_get(json_array_get(axes, 0), "name"));
    const char *u = unit_of(metric);
    char title[512], yl[200], desc[512], lab[300];
    snprintf(title, sizeof title, "Sweep of %s - %s, %lld paths a point%s", metric, sc ? sc : "?",
             (long long)json_integer_value(json_object_get(doc, "paths")),
             json_is_false(json_object_get(doc, "complete")) ? ", partial" : "");
    snprintf(yl, sizeof yl, "%s%s%s%s", metric, *u ? " (" : "", u, *u ? ")" : "");
    snprintf(desc, sizeof desc, "The mean of %s at each value of %s with its 95%% CI as a band%s.",
             metric, xn ? xn : "the swept input",
             two ? ", one line per value of the second input" : "; dashed: P50; dotted: P95");
    double dy = c.y1 > c.y0 ? 0.06 * (c.y1 - c.y0) : 1;
    hx_chart_open(&c, f, 760, 360, title, desc);
    c.ml = 76;
    c.y1 += 3 * dy; /* room for the legend */
    c.y0 -= dy;
    hx_axes(&c, xn ? xn : "value", yl, false);
    for (size_t s = 0; s < drawn; s++) {
        char st[64];
        snprintf(st, sizeof st, "fill:%s;opacity:.18", pal[s]);
        hx_band(&c, ln[s].x, ln[s].lo, ln[s].hi, ln[s].n, st);
        sweep_path(&c, ln[s].x, ln[s].mean, ln[s].n, pal[s], NULL);
        if (two) {
            const char *zn = json_string_value(json_object_get(json_array_get(axes, 1), "name"));
            char b[48];
            snprintf(lab, sizeof lab, "%s = %s", zn ? zn : "second input",
                     hx_fmt(b, sizeof b, hx_num(json_array_get(zv, s))));
            legend(&c, (int)s, pal[s], NULL, lab);
        } else {
            sweep_path(&c, ln[s].x, ln[s].p50, ln[s].n, pal[s], "6 3");
            sweep_path(&c, ln[s].x, ln[s].p95, ln[s].n, pal[s], "2 3");
            legend(&c, 0, pal[s], NULL, "mean, band: its 95% CI");
            legend(&c, 1, pal[s], "6 3", "P50");
            legend(&c, 2, pal[s], "2 3", "P95");
        }
    }
    hx_chart_close(&c, drawn < ns ? "The first values of the second input; all in the table."
                                  : NULL);
    free(ln);
}
