/* SPDX-License-Identifier: MIT */
/* The HTML report (issue 22): one self-contained page from result JSON files. A run gets a
 * summary in sentences, the metrics table, the burden and revenue distributions (histogram
 * with the CDF, percentiles marked), the exceedance curve and quarterly fan charts; each
 * study its own section (html_study.c); every result its provenance at the end. The page
 * loads nothing: the style is inline, charts are SVG written here (html_svg.c). */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/error.h"
#include "sim/result/html.h"
#include "sim/result/html_impl.h"
#include "sim/result/output.h"

/* ---------------------------------------------------------------- text and lookups */

void hx_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

const char *hx_fmt(char *buf, size_t len, double v)
{
    if (!isfinite(v))
        snprintf(buf, len, "n/a");
    else if (fabs(v) >= 1e4 && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.4g", v);
    return buf;
}

double hx_num(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

const json_t *hx_get(const json_t *doc, const char *dotted)
{
    char key[128];
    const json_t *v = doc;
    while (v && *dotted) {
        size_t n = strcspn(dotted, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, dotted, n);
        key[n] = '\0';
        v = json_object_get(v, key);
        dotted += n + (dotted[n] == '.');
    }
    return v;
}

void hx_short(char *out, size_t len, const char *name, size_t max)
{
    size_t n = strlen(name);
    if (max >= len)
        max = len - 1;
    if (n <= max) {
        snprintf(out, len, "%s", name);
        return;
    }
    /* keep the head and the tail (the tail names the quantity: "...signed.lab.gw") */
    size_t tail = (max - 3) / 2 + (max - 3) % 2, head = max - 3 - tail;
    snprintf(out, len, "%.*s...%s", (int)head, name, name + n - tail);
}

static void scalar_cell(FILE *f, const json_t *v)
{
    char b[48];
    if (json_is_string(v))
        hx_esc(f, json_string_value(v));
    else if (json_is_number(v))
        fputs(hx_fmt(b, sizeof b, hx_num(v)), f);
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "yes" : "no", f);
    else if (json_is_null(v))
        fputs("n/a", f);
    else if (json_is_array(v) && json_array_size(v) <= 4) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x)
        {
            if (i)
                fputs(", ", f);
            if (json_is_string(x))
                hx_esc(f, json_string_value(x));
            else
                fputs(hx_fmt(b, sizeof b, hx_num(x)), f);
        }
    } else
        fputs("&hellip;", f);
}

void hx_table_of_scalars(FILE *f, const json_t *obj)
{
    const char *k;
    const json_t *v;
    fputs("<table class=\"kv\">", f);
    json_object_foreach((json_t *)obj, k, v)
    {
        if (json_is_object(v) || (json_is_array(v) && json_array_size(v) > 4))
            continue;
        fputs("<tr><th>", f);
        hx_esc(f, k);
        fputs("</th><td>", f);
        scalar_cell(f, v);
        fputs("</td></tr>", f);
    }
    fputs("</table>\n", f);
}

void hx_table_of_objects(FILE *f, const json_t *arr, size_t max_rows)
{
    const json_t *first = json_array_get(arr, 0);
    if (!json_is_object(first))
        return;
    const char *k;
    const json_t *v;
    fputs("<div class=\"tw\"><table><thead><tr>", f);
    json_object_foreach((json_t *)first, k, v)
    {
        if (json_is_object(v))
            continue;
        fputs("<th>", f);
        hx_esc(f, k);
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    size_t i;
    const json_t *row;
    json_array_foreach(arr, i, row)
    {
        if (i >= max_rows)
            break;
        fputs("<tr>", f);
        json_object_foreach((json_t *)first, k, v)
        {
            if (json_is_object(v))
                continue;
            fputs("<td>", f);
            scalar_cell(f, json_object_get(row, k));
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
    if (json_array_size(arr) > max_rows)
        fprintf(f, "<p class=\"note\">First %zu of %zu rows.</p>\n", max_rows,
                json_array_size(arr));
}

/* ---------------------------------------------------------------- a run */

/* What a metric measures and in what unit (MODEL.md, "What a run reports"). */
static const struct {
    const char *name, *label, *unit;
} metric_info[] = {
    {"capex_burden", "capex burden", "$B"},
    {"revenue_total", "total revenue", "$B"},
    {"revenue_deals", "revenue from deals", "$B"},
    {"revenue_taas", "revenue from TaaS", "$B"},
    {"revenue_iaas", "revenue from IaaS spot", "$B"},
    {"revenue_recsys", "RecSys value", "$B"},
    {"committed_cost", "committed cost", "$B"},
    {"idle_gw_mean", "idle capacity, mean", "GW"},
    {"idle_gw_peak", "idle capacity, peak", "GW"},
    {"msl_shortfall", "MSL shortfall", "GW-years"},
    {"oversold_gw_peak", "oversold capacity, peak", "GW"},
    {"msl_success", "MSL success", "0/1"},
    {"deals_signed", "deals signed", "count"},
    {"deals_cancelled", "deals cancelled", "count"},
    {"deals_clawed_back", "deals clawed back", "count"},
    {"capex_burden_pv", "capex burden, present value", "$B"},
    {"revenue_total_pv", "total revenue, present value", "$B"},
};
#define N_METRIC_INFO (sizeof metric_info / sizeof *metric_info)

static const char *metric_unit(const char *name)
{
    for (size_t i = 0; i < N_METRIC_INFO; i++)
        if (!strcmp(metric_info[i].name, name))
            return metric_info[i].unit;
    return "";
}

static const char *metric_label(const char *name)
{
    for (size_t i = 0; i < N_METRIC_INFO; i++)
        if (!strcmp(metric_info[i].name, name))
            return metric_info[i].label;
    return name;
}

/* A number quoted in prose, traceable to its JSON key. */
static void quote(FILE *f, const json_t *doc, const char *key, double scale, const char *unit)
{
    char b[48];
    double v = hx_num(hx_get(doc, key));
    fputs("<span class=\"num\" data-key=\"", f);
    hx_esc(f, key); /* a burden_exceedance key comes from the file */
    fprintf(f, "\" data-value=\"%.17g\" data-scale=\"%g\">%s", v, scale,
            hx_fmt(b, sizeof b, v * scale));
    if (unit && !strcmp(unit, "%"))
        fputs("%", f);
    else if (unit && *unit)
        fprintf(f, "&nbsp;%s", unit);
    fputs("</span>", f);
}

/* "(95% CI a to b)" for metrics.M.ci95.pQ. */
static void quote_ci(FILE *f, const json_t *doc, const char *metric, const char *pq)
{
    char key[96];
    const json_t *ci = json_object_get(hx_get(json_object_get(doc, "metrics"), metric), "ci95");
    if (!json_is_array(json_object_get(ci, pq)))
        return;
    fputs(" (95% CI ", f);
    snprintf(key, sizeof key, "metrics.%s.ci95.%s.0", metric, pq);
    char b[2][48];
    const json_t *pair = json_object_get(ci, pq);
    double lo = hx_num(json_array_get(pair, 0)), hi = hx_num(json_array_get(pair, 1));
    fprintf(f, "<span class=\"num\" data-key=\"%s\" data-value=\"%.17g\">%s</span> to ", key, lo,
            hx_fmt(b[0], 48, lo));
    key[strlen(key) - 1] = '1';
    fprintf(f, "<span class=\"num\" data-key=\"%s\" data-value=\"%.17g\">%s</span>)", key, hi,
            hx_fmt(b[1], 48, hi));
}

/* The first threshold of burden_exceedance at or above the median, for "P(burden > x)". */
static const char *exceed_key(const json_t *doc, double median)
{
    const char *k, *best = NULL;
    const json_t *v;
    double bx = INFINITY;
    json_object_foreach((json_t *)json_object_get(doc, "burden_exceedance"), k, v)
    {
        double x = strtod(k, NULL);
        if (x >= median && x < bx) {
            bx = x;
            best = k;
        }
    }
    return best;
}

/* The summary in sentences, every number traceable to its key (issue 22). */
static void run_summary(FILE *f, const json_t *doc)
{
    size_t nq = json_array_size(hx_get(doc, "quarters.burden_cumulative"));
    const json_t *hm = json_object_get(doc, "horizon_months");
    long months = json_is_integer(hm) ? (long)json_integer_value(hm) : (long)(3 * nq);
    fputs("<div class=\"summary\"><p>", f);
    if (!json_is_true(json_object_get(doc, "complete")))
        fputs("<strong>This run was stopped early (partial):</strong> ", f);
    fprintf(f, "The capex burden over %ld months has a median of ", months);
    quote(f, doc, "metrics.capex_burden.percentiles.p50", 1, "$B");
    quote_ci(f, doc, "capex_burden", "p50");
    fputs(" and a mean of ", f);
    quote(f, doc, "metrics.capex_burden.mean", 1, "$B");
    fputs(" (standard error ", f);
    quote(f, doc, "metrics.capex_burden.se", 1, "$B");
    fputs("). In 1 path of 10 it exceeds ", f);
    quote(f, doc, "metrics.capex_burden.percentiles.p90", 1, "$B");
    quote_ci(f, doc, "capex_burden", "p90");
    fputs("; in 1 of 20, ", f);
    quote(f, doc, "metrics.capex_burden.percentiles.p95", 1, "$B");
    quote_ci(f, doc, "capex_burden", "p95");
    fputs(". The mean of the worst 5% of paths (CVaR95) is ", f);
    quote(f, doc, "burden_cvar95", 1, "$B");
    fputs(".", f);
    const char *ek = exceed_key(doc, hx_num(hx_get(doc, "metrics.capex_burden.percentiles.p50")));
    if (ek) {
        char key[64];
        snprintf(key, sizeof key, "burden_exceedance.%s", ek);
        fputs(" The burden exceeds ", f);
        hx_esc(f, ek);
        fputs("&nbsp;$B in ", f);
        quote(f, doc, key, 100, "%");
        fputs(" of paths.", f);
    }
    fputs("</p>\n<p>Total revenue has a median of ", f);
    quote(f, doc, "metrics.revenue_total.percentiles.p50", 1, "$B");
    quote_ci(f, doc, "revenue_total", "p50");
    fputs(", and 90% of paths lie between ", f);
    quote(f, doc, "metrics.revenue_total.percentiles.p5", 1, "$B");
    fputs(" and ", f);
    quote(f, doc, "metrics.revenue_total.percentiles.p95", 1, "$B");
    fputs(". Idle capacity averages ", f);
    quote(f, doc, "metrics.idle_gw_mean.mean", 1, "GW");
    fputs(" over the horizon and peaks at a median of ", f);
    quote(f, doc, "metrics.idle_gw_peak.percentiles.p50", 1, "GW");
    fputs(". MSL succeeds in ", f);
    quote(f, doc, "metrics.msl_success.mean", 100, "%");
    fputs(" of paths; a path signs ", f);
    quote(f, doc, "metrics.deals_signed.mean", 1, "");
    fputs(" deals on average and has ", f);
    quote(f, doc, "metrics.deals_cancelled.mean", 1, "");
    fputs(" cancelled.</p>\n<p class=\"note\">From ", f);
    quote(f, doc, "paths", 1, "paths");
    fputs(" (seed ", f);
    hx_esc(f, json_string_value(json_object_get(doc, "seed")));
    if (json_is_integer(json_object_get(doc, "seed")))
        fprintf(f, "%lld", (long long)json_integer_value(json_object_get(doc, "seed")));
    fputs(", sampling ", f);
    hx_esc(f, json_string_value(json_object_get(doc, "sampling")));
    fputs("). Percentiles are within the sketch's relative error; CIs are 95% intervals.</p>"
          "</div>\n",
          f);
}

static void run_table(FILE *f, const json_t *doc)
{
    static const char *const pq[] = {"p5", "p50", "p95"};
    char b[48];
    fputs("<div "
          "class=\"tw\"><table><thead><tr><th>metric</th><th>unit</th><th>mean</th><th>se</"
          "th><th>P5</th>"
          "<th>P50 (95% CI)</th><th>P95</th><th>min</th><th>max</th></tr></thead><tbody>\n",
          f);
    const char *name;
    const json_t *m;
    json_object_foreach((json_t *)json_object_get(doc, "metrics"), name, m)
    {
        fputs("<tr><th>", f);
        hx_esc(f, metric_label(name));
        fputs(" <code>", f);
        hx_esc(f, name);
        fputs("</code></th><td>", f);
        hx_esc(f, metric_unit(name));
        fprintf(f, "</td><td>%s</td>", hx_fmt(b, sizeof b, hx_num(json_object_get(m, "mean"))));
        fprintf(f, "<td>%s</td>", hx_fmt(b, sizeof b, hx_num(json_object_get(m, "se"))));
        for (int j = 0; j < 3; j++) {
            double v = hx_num(hx_get(m, j == 0   ? "percentiles.p5"
                                        : j == 1 ? "percentiles.p50"
                                                 : "percentiles.p95"));
            fprintf(f, "<td>%s", hx_fmt(b, sizeof b, v));
            if (j == 1) {
                const json_t *ci = hx_get(m, "ci95.p50");
                fprintf(f, " <small>(%s", hx_fmt(b, sizeof b, hx_num(json_array_get(ci, 0))));
                fprintf(f, "&ndash;%s)</small>",
                        hx_fmt(b, sizeof b, hx_num(json_array_get(ci, 1))));
            }
            fputs("</td>", f);
            (void)pq;
        }
        fprintf(f, "<td>%s</td>", hx_fmt(b, sizeof b, hx_num(json_object_get(m, "min"))));
        fprintf(f, "<td>%s</td></tr>\n", hx_fmt(b, sizeof b, hx_num(json_object_get(m, "max"))));
    }
    fputs("</tbody></table></div>\n", f);
}

/* The chart titles: "<what> - <scenario>, <paths> paths[, partial]". */
static void chart_title(char *buf, size_t len, const json_t *doc, const char *what)
{
    const char *sc = json_string_value(json_object_get(doc, "scenario"));
    long long n = (long long)json_integer_value(json_object_get(doc, "paths"));
    snprintf(buf, len, "%s - %s, %lld paths%s", what, sc ? sc : "?", n,
             json_is_false(json_object_get(doc, "complete")) ? ", partial" : "");
}

/* Histogram (share of paths per bin) with the CDF on a right axis and P5, P50, P95 marked;
 * percentile labels sit beside their lines, at staggered heights, never on them. */
static void run_histogram(FILE *f, const json_t *doc, const char *metric)
{
    const json_t *h = hx_get(json_object_get(doc, "histograms"), metric);
    const json_t *edges = json_object_get(h, "edges"), *counts = json_object_get(h, "counts");
    size_t nb = json_array_size(counts);
    if (nb == 0 || json_array_size(edges) != nb + 1)
        return;
    double below = hx_num(json_object_get(h, "below")), above = hx_num(json_object_get(h, "above"));
    double total = (isfinite(below) ? below : 0) + (isfinite(above) ? above : 0), cmax = 0;
    for (size_t i = 0; i < nb; i++) {
        double c = hx_num(json_array_get(counts, i));
        total += c;
        if (c > cmax)
            cmax = c;
    }
    if (!(total > 0))
        return;
    char title[256], what[96], xl[64];
    snprintf(what, sizeof what, "Distribution of %s", metric_label(metric));
    chart_title(title, sizeof title, doc, what);
    hx_chart c;
    hx_chart_open(&c, f, 720, 330, title,
                  "Histogram: share of paths per bin; line: cumulative "
                  "share (right axis); dashed lines: P5, P50, P95.");
    c.x0 = hx_num(json_array_get(edges, 0));
    c.x1 = hx_num(json_array_get(edges, nb));
    c.y0 = 0;
    c.y1 = cmax / total * 1.25;
    snprintf(xl, sizeof xl, "%s (%s)", metric_label(metric), metric_unit(metric));
    hx_axes(&c, xl, "share of paths per bin", true);
    hx_axis_right_pct(&c, "cumulative share of paths");
    for (size_t i = 0; i < nb; i++) {
        double a = hx_num(json_array_get(edges, i)), b = hx_num(json_array_get(edges, i + 1));
        double y = hx_num(json_array_get(counts, i)) / total;
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
                hx_px(&c, a), hx_py(&c, y), hx_px(&c, b) - hx_px(&c, a),
                hx_py(&c, 0) - hx_py(&c, y));
    }
    /* the CDF, scaled onto the left axis's range */
    double xs[10002], ys[10002], cum = isfinite(below) ? below : 0;
    for (size_t i = 0; i <= nb && i < 10001; i++) {
        xs[i] = hx_num(json_array_get(edges, i));
        ys[i] = cum / total * c.y1;
        if (i < nb)
            cum += hx_num(json_array_get(counts, i));
    }
    hx_polyline(&c, xs, ys, (int)(nb < 10001 ? nb + 1 : 10001), "cdf");
    static const char *const pk[] = {"p5", "p50", "p95"};
    for (int j = 0; j < 3; j++) {
        char key[64], lab[64], b[48];
        snprintf(key, sizeof key, "%s.percentiles.%s", metric, pk[j]);
        double v = hx_num(hx_get(json_object_get(doc, "metrics"), key));
        if (!(v >= c.x0 && v <= c.x1))
            continue;
        fprintf(f, "<line class=\"pline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                hx_px(&c, v), hx_py(&c, c.y1), hx_px(&c, v), hx_py(&c, 0));
        snprintf(lab, sizeof lab, "P%s %s", pk[j] + 1, hx_fmt(b, sizeof b, v));
        /* right of the line, except the last, left of it; heights staggered */
        hx_text(&c, v, c.y1, j == 2 ? -4 : 4, 12 + 13 * j, j == 2 ? "end" : "start", "plabel", lab);
    }
    hx_chart_close(&c, NULL);
}

/* P(burden > x) from the histogram: a step down from 1 to the share above the last edge;
 * the scenario's thresholds marked with their exact shares. */
static void run_exceedance(FILE *f, const json_t *doc)
{
    const json_t *h = hx_get(doc, "histograms.capex_burden");
    const json_t *edges = json_object_get(h, "edges"), *counts = json_object_get(h, "counts");
    size_t nb = json_array_size(counts);
    if (nb == 0 || nb > 10000 || json_array_size(edges) != nb + 1)
        return;
    double below = hx_num(json_object_get(h, "below")), above = hx_num(json_object_get(h, "above"));
    double total = below + above;
    for (size_t i = 0; i < nb; i++)
        total += hx_num(json_array_get(counts, i));
    if (!(total > 0))
        return;
    char title[256];
    chart_title(title, sizeof title, doc, "P(capex burden > x)");
    hx_chart c;
    hx_chart_open(&c, f, 720, 300, title,
                  "Share of paths whose capex burden exceeds x; dots: "
                  "the scenario's thresholds (burden_exceedance).");
    c.x0 = fmin(0, hx_num(json_array_get(edges, 0)));
    c.x1 = fmax(hx_num(json_array_get(edges, nb)), hx_num(hx_get(doc, "metrics.capex_burden.max")));
    c.y0 = 0;
    c.y1 = 1;
    hx_axes(&c, "capex burden x ($B)", "share of paths above x", true);
    double *xs = malloc((nb + 3) * sizeof *xs), *ys = malloc((nb + 3) * sizeof *ys);
    if (xs && ys) {
        double tail = total - below;
        int k = 0;
        xs[k] = c.x0;
        ys[k++] = 1;
        for (size_t i = 0; i <= nb; i++) {
            xs[k] = hx_num(json_array_get(edges, i));
            ys[k++] = tail / total;
            if (i < nb)
                tail -= hx_num(json_array_get(counts, i));
        }
        xs[k] = c.x1;
        ys[k++] = 0;
        hx_polyline(&c, xs, ys, k, "line");
    }
    free(xs);
    free(ys);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(doc, "burden_exceedance"), k, v)
    {
        double x = strtod(k, NULL), p = hx_num(v);
        if (!isfinite(p) || x < c.x0 || x > c.x1)
            continue;
        char lab[64];
        snprintf(lab, sizeof lab, "P(> %s) = %.1f%%", k, 100 * p);
        fprintf(f, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/>\n", hx_px(&c, x),
                hx_py(&c, p));
        /* above and right of its dot: the curve falls, so the label sits off it */
        hx_text(&c, x, p, 7, -7, "start", "plabel", lab);
    }
    hx_chart_close(&c, NULL);
}

/* A quarterly fan: the P5-P95 band, the median and the mean, against months. */
static void run_fan(FILE *f, const json_t *doc, const char *series, const char *what,
                    const char *unit)
{
    const json_t *arr = hx_get(json_object_get(doc, "quarters"), series);
    size_t nq = json_array_size(arr);
    if (nq == 0 || nq > 1000)
        return;
    char title[256], yl[64];
    chart_title(title, sizeof title, doc, what);
    hx_chart c;
    hx_chart_open(&c, f, 720, 290, title,
                  "Per quarter: band from P5 to P95, solid line the "
                  "median, dashed line the mean.");
    c.mt = 46; /* room for the legend above the plot, off the lines */
    double lo = INFINITY, hi = -INFINITY, xs[1000], p50[1000], mean[1000];
    for (size_t q = 0; q < nq; q++) {
        const json_t *o = json_array_get(arr, q);
        lo = fmin(lo, hx_num(json_object_get(o, "p5")));
        hi = fmax(hi, hx_num(json_object_get(o, "p95")));
        xs[q] = 3.0 * (double)(q + 1);
        p50[q] = hx_num(json_object_get(o, "p50"));
        mean[q] = hx_num(json_object_get(o, "mean"));
    }
    c.x0 = 0;
    c.x1 = 3.0 * (double)nq;
    c.y0 = fmin(0, lo);
    c.y1 = isfinite(hi) && hi > c.y0 ? hi * 1.05 : c.y0 + 1;
    snprintf(yl, sizeof yl, "%s (%s)", what, unit);
    hx_axes(&c, "months from the start (end of quarter)", yl, false);
    fputs("<polygon class=\"band\" points=\"", f);
    for (size_t q = 0; q < nq; q++)
        fprintf(f, "%.1f,%.1f ", hx_px(&c, xs[q]),
                hx_py(&c, hx_num(json_object_get(json_array_get(arr, q), "p95"))));
    for (size_t q = nq; q-- > 0;)
        fprintf(f, "%.1f,%.1f ", hx_px(&c, xs[q]),
                hx_py(&c, hx_num(json_object_get(json_array_get(arr, q), "p5"))));
    fputs("\"/>\n", f);
    hx_polyline(&c, xs, p50, (int)nq, "line");
    hx_polyline(&c, xs, mean, (int)nq, "mean");
    fputs("<g class=\"legend\">", f);
    fprintf(f,
            "<rect class=\"band\" x=\"%.1f\" y=\"27\" width=\"14\" height=\"10\"/>"
            "<text class=\"tick\" x=\"%.1f\" y=\"36\">P5&ndash;P95</text>"
            "<line class=\"line\" x1=\"%.1f\" y1=\"32\" x2=\"%.1f\" y2=\"32\"/>"
            "<text class=\"tick\" x=\"%.1f\" y=\"36\">median</text>"
            "<line class=\"mean\" x1=\"%.1f\" y1=\"32\" x2=\"%.1f\" y2=\"32\"/>"
            "<text class=\"tick\" x=\"%.1f\" y=\"36\">mean</text></g>\n",
            c.ml + 8, c.ml + 26, c.ml + 90, c.ml + 104, c.ml + 108, c.ml + 160, c.ml + 174,
            c.ml + 178);
    hx_chart_close(&c, NULL);
}

static void section_run(FILE *f, const json_t *doc)
{
    run_summary(f, doc);
    const json_t *w = json_object_get(doc, "warnings");
    if (json_array_size(w)) {
        size_t i;
        const json_t *s;
        fputs("<ul class=\"warn\">", f);
        json_array_foreach(w, i, s)
        {
            fputs("<li>", f);
            hx_esc(f, json_string_value(s));
            fputs("</li>", f);
        }
        fputs("</ul>\n", f);
    }
    fputs("<h3>Metrics</h3>\n", f);
    run_table(f, doc);
    fputs("<h3>Distributions</h3>\n", f);
    run_histogram(f, doc, "capex_burden");
    run_histogram(f, doc, "revenue_total");
    run_exceedance(f, doc);
    fputs("<h3>Quarter by quarter</h3>\n", f);
    run_fan(f, doc, "idle_gw_mean", "Idle capacity", "GW");
    run_fan(f, doc, "revenue", "Revenue per quarter", "$B");
    run_fan(f, doc, "burden_cumulative", "Cumulative capex burden", "$B");
}

/* ---------------------------------------------------------------- the page */

static const char page_style[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:#1b1f24;max-width:60em;margin:1.5em auto;padding:0 1em}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #d0d7de;margin-top:2em}"
    "table{border-collapse:collapse;margin:.6em 0;font-variant-numeric:tabular-nums;font-size:.9em}"
    "th,td{border-bottom:1px solid #d0d7de;padding:.2em .6em;text-align:right}"
    "td,th{white-space:nowrap}th:first-child,td:first-child{text-align:left;white-space:normal}.tw{overflow-x:"
    "auto}thead th{background:#f3f5f7}"
    "table.kv td{text-align:left}code{font-size:.85em;color:#57606a}"
    ".summary{background:#f6f8fa;border-left:4px solid #0969da;padding:.4em 1em}"
    ".note,figcaption{color:#57606a;font-size:.85em}.warn{color:#9a6700}"
    "pre{background:#f6f8fa;padding:.6em;font-size:.78em;white-space:pre-wrap;"
    "word-break:break-all}"
    "figure{margin:1em 0;break-inside:avoid}svg.chart{width:100%;height:auto;max-width:760px}"
    "svg text{font-family:inherit}.ctitle{font-size:14px;font-weight:600}"
    ".tick{font-size:11px;fill:#57606a}.alabel{font-size:12px;fill:#1b1f24}"
    ".frame{fill:none;stroke:#8c959f}.grid{stroke:#eaeef2}.bar{fill:#9ec5fe;stroke:#fff}"
    ".cdf{fill:none;stroke:#cf222e;stroke-width:1.5}.line{fill:none;stroke:#0550ae;stroke-width:2}"
    ".mean{fill:none;stroke:#1b1f24;stroke-width:1.2;stroke-dasharray:5 3}"
    ".band{fill:#9ec5fe;opacity:.6}.pline{stroke:#1b1f24;stroke-dasharray:4 3}"
    ".plabel{font-size:11px;fill:#1b1f24}.dot{fill:#cf222e}.low{fill:#0969da}"
    ".high{fill:#cf222e}.s1{fill:#0969da}.st{fill:#9ec5fe}.whisk{stroke:#1b1f24}"
    "@media "
    "print{body{max-width:none;margin:0;font-size:11pt}table{font-size:7.5pt}h2{break-before:page}"
    "h2.first{break-before:avoid}.summary{border-left-width:2px}}";

/* One word of a command line for cx_output_option_words: a space, then the word escaped. */
static int command_word(void *f, const char *w)
{
    fputc(' ', f);
    hx_esc(f, w);
    return 0;
}

/* The command line that made a result, from its "options" and scenario paths (batch: each of
 * "scenarios"). */
static void equivalent_command(FILE *f, const json_t *d)
{
    const json_t *o = json_object_get(d, "options");
    const char *cmd = json_string_value(json_object_get(o, "command"));
    if (!cmd) return;
    fputs("<p>Its command: <code>capexsim ", f);
    hx_esc(f, cmd);
    const json_t *scen = json_object_get(d, "scenarios");
    for (size_t i = 0; i < (json_is_array(scen) ? json_array_size(scen) : 1); i++) {
        const json_t *s = json_is_array(scen) ? json_array_get(scen, i) : d;
        const char *path = json_string_value(json_object_get(s, "scenario_path"));
        if (path && strcmp(path, "<built-in>")) command_word(f, path);
    }
    cx_output_option_words(o, NULL, command_word, f);
    fputs("</code></p>\n", f);
}

static void provenance(FILE *f, const cx_html_input *in)
{
    const json_t *d = in->doc;
    static const char *const keys[] = {"scenario",      "scenario_description",
                                       "scenario_path", "scenario_sha256",
                                       "study",         "seed",
                                       "paths",         "paths_requested",
                                       "complete",      "sampling",
                                       "antithetic",    "threads",
                                       "version",       "git_commit",
                                       "compiler",      "compiler_flags",
                                       "simd",          "command_line",
                                       "date",          "elapsed_s"};
    fputs("<h3>", f);
    hx_esc(f, in->file);
    fputs("</h3><table class=\"kv\">", f);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const json_t *v = json_object_get(d, keys[i]);
        if (!v)
            continue;
        fprintf(f, "<tr><th>%s</th><td>", keys[i]);
        if (json_is_integer(v))
            fprintf(f, "%lld", (long long)json_integer_value(v));
        else
            scalar_cell(f, v);
        fputs("</td></tr>", f);
    }
    fputs("</table>\n", f);
    equivalent_command(f, d);
    fputs("<p>To run it again: <code>capexsim rerun ", f);
    hx_esc(f, in->file);
    fputs("</code>", f);
    if (!json_is_string(json_object_get(d, "scenario_text")))
        fputs(" (this result does not embed its scenario: re-run its command line with the "
              "same scenario file)",
              f);
    fputs(".</p>\n", f);
    const json_t *text = json_object_get(d, "scenario_text");
    if (json_is_string(text)) {
        fputs("<details open><summary>Scenario text (includes expanded)</summary><pre>", f);
        hx_esc(f, json_string_value(text));
        fputs("</pre></details>\n", f);
    }
}

static void section(FILE *f, const cx_html_input *in, int idx)
{
    const json_t *d = in->doc;
    const char *study = json_string_value(json_object_get(d, "study"));
    const char *sc = json_string_value(json_object_get(d, "scenario"));
    fprintf(f, "<section id=\"result-%d\" data-study=\"", idx);
    hx_esc(f, study ? study : "run");
    fprintf(f, "\"><h2%s>", idx == 0 ? " class=\"first\"" : "");
    hx_esc(f, study ? study : "Run");
    if (sc) {
        fputs(": ", f);
        hx_esc(f, sc);
    }
    fputs(" <small><code>", f);
    hx_esc(f, in->file);
    fputs("</code></small></h2>\n", f);
    const char *desc = json_string_value(json_object_get(d, "scenario_description"));
    if (desc) {
        fputs("<p class=\"desc\">", f);
        hx_esc(f, desc);
        fputs("</p>\n", f);
    }
    if (!study && json_is_object(json_object_get(d, "metrics")))
        section_run(f, d);
    else if (study && !strcmp(study, "tornado"))
        hx_section_tornado(f, d);
    else if (study && !strcmp(study, "sobol"))
        hx_section_sobol(f, d);
    else if (study && !strcmp(study, "batch"))
        hx_section_batch(f, d);
    else if (study && !strcmp(study, "stress"))
        hx_section_stress(f, d);
    else if (study && !strcmp(study, "sweep"))
        hx_section_sweep(f, d);
    else
        hx_section_generic(f, d);
    fputs("</section>\n", f);
}

int cx_html_write(FILE *f, const cx_html_input *in, int n, const cx_html_meta *meta)
{
    const char *first = n > 0 ? json_string_value(json_object_get(in[0].doc, "scenario")) : NULL;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\"><title>capexsim report",
          f);
    if (first) {
        fputs(": ", f);
        hx_esc(f, first);
    }
    fprintf(f, "</title><style>%s</style></head><body>\n<header><h1>capexsim report", page_style);
    if (first) {
        fputs(": ", f);
        hx_esc(f, first);
    }
    fputs("</h1><p class=\"note\">", f);
    fprintf(f, "%d result%s; written %s by capexsim %s.</p><nav><ul>", n, n == 1 ? "" : "s",
            meta && meta->date ? meta->date : "", CX_VERSION);
    for (int i = 0; i < n; i++) {
        const char *st = json_string_value(json_object_get(in[i].doc, "study"));
        fprintf(f, "<li><a href=\"#result-%d\">", i);
        hx_esc(f, st ? st : "run");
        fputs(": ", f);
        hx_esc(f, in[i].file);
        fputs("</a></li>", f);
    }
    fputs("<li><a href=\"#provenance\">provenance</a></li></ul></nav></header>\n<main>\n", f);
    for (int i = 0; i < n; i++)
        section(f, &in[i], i);
    fputs("<section id=\"provenance\" data-study=\"provenance\"><h2>Provenance</h2>\n", f);
    for (int i = 0; i < n; i++)
        provenance(f, &in[i]);
    fputs("<p class=\"note\">This report: <code>", f);
    hx_esc(f, meta ? meta->command_line : NULL);
    fputs("</code></p></section>\n</main></body></html>\n", f);
    return ferror(f) ? CX_ERR_IO : 0;
}
