/* SPDX-License-Identifier: MIT */
/* The HTML report's outcome breakdown of a run (issue 20 item 3, issue 22 item 1): the summary
 * sentence on the largest driver, a table and a chart of the burden given each outcome. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/result/html_impl.h"

#define MAX_OUTCOMES 32 /* the breakdown's most (sim/engine/breakdown.h) */
#define CHART_OUTCOMES 8

/* The words for an outcome (by its input's name): the subject of "... failing is the largest
 * driver", and "when it fails" / "when it succeeds". */
static void words(const char *input, char *subject, size_t len, const char **when0,
                  const char **when1)
{
    size_t n = input ? strlen(input) : 0;
    *when0 = "when it fails";
    *when1 = "when it succeeds";
    if (input && !strcmp(input, "msl.success")) {
        snprintf(subject, len, "MSL failing");
    } else if (input && !strcmp(input, "taas.launch")) {
        snprintf(subject, len, "TaaS not launching");
        *when0 = "when it does not launch";
        *when1 = "when it launches";
    } else if (n > 21 && !strncmp(input, "deals.signed.", 13) &&
               !strcmp(input + n - 8, ".happens")) {
        snprintf(subject, len, "Deal %.*s not happening", (int)(n - 21), input + 13);
        *when0 = "when it does not happen";
        *when1 = "when it happens";
    } else {
        snprintf(subject, len, "%s failing", input ? input : "?");
    }
}

/* The outcomes' indices by falling share of metric's variance (undefined last); returns n. */
static size_t by_share(const json_t *outs, const char *metric, size_t *ord)
{
    size_t n = json_array_size(outs);
    if (n > MAX_OUTCOMES) n = MAX_OUTCOMES;
    double s[MAX_OUTCOMES];
    for (size_t k = 0; k < n; k++) {
        s[k] = hx_num(hx_get(json_object_get(hx_get(json_array_get(outs, k), "metrics"), metric),
                             "variance_share"));
        size_t at = k;
        while (at > 0 && isfinite(s[k]) && !(isfinite(s[ord[at - 1]]) && s[ord[at - 1]] >= s[k])) {
            ord[at] = ord[at - 1];
            at--;
        }
        ord[at] = k;
    }
    return n;
}

/* "(95% CI a to b)" for the pair at key (a JSON array of two numbers). */
static void quote_pair(FILE *f, const json_t *doc, const char *key, double scale)
{
    const json_t *p = hx_get(doc, key);
    if (!json_is_array(p) || !isfinite(hx_num(json_array_get(p, 0))) ||
        !isfinite(hx_num(json_array_get(p, 1))))
        return;
    char k[256];
    fputs(" (95% CI ", f);
    snprintf(k, sizeof k, "%s.0", key);
    hx_quote(f, doc, k, scale, scale == 100 ? "%" : "");
    fputs(" to ", f);
    snprintf(k, sizeof k, "%s.1", key);
    hx_quote(f, doc, k, scale, scale == 100 ? "%" : "");
    fputs(")", f);
}

void hx_bd_summary(FILE *f, const json_t *doc)
{
    const json_t *outs = hx_get(doc, "outcome_breakdown.outcomes");
    size_t ord[MAX_OUTCOMES];
    if (by_share(outs, "capex_burden", ord) == 0) return;
    const json_t *top = json_array_get(outs, ord[0]);
    if (!isfinite(hx_num(hx_get(top, "metrics.capex_burden.variance_share")))) return;
    char subject[160], base[96], key[192];
    const char *w0, *w1;
    words(json_string_value(json_object_get(top, "input")), subject, sizeof subject, &w0, &w1);
    snprintf(base, sizeof base, "outcome_breakdown.outcomes.%zu.metrics.capex_burden", ord[0]);
    fputs("<p>Of the outcomes drawn once per path, <strong>", f);
    hx_esc(f, subject);
    fputs("</strong> is the largest single driver of the burden: ", f);
    snprintf(key, sizeof key, "%s.fails.mean", base);
    hx_quote(f, doc, key, 1, "$B");
    snprintf(key, sizeof key, "%s.fails.mean_ci95", base);
    quote_pair(f, doc, key, 1);
    fprintf(f, " on average %s against ", w0);
    snprintf(key, sizeof key, "%s.succeeds.mean", base);
    hx_quote(f, doc, key, 1, "$B");
    snprintf(key, sizeof key, "%s.succeeds.mean_ci95", base);
    quote_pair(f, doc, key, 1);
    fprintf(f, " %s; it explains ", w1);
    snprintf(key, sizeof key, "%s.variance_share", base);
    hx_quote(f, doc, key, 100, "%");
    snprintf(key, sizeof key, "%s.variance_share_ci95", base);
    quote_pair(f, doc, key, 100);
    fputs(" of the burden's variance.</p>\n", f);
}

/* "m <small>(lo&ndash;hi)</small>" from a group's key and its key_ci95. */
static void cell_ci(FILE *f, const json_t *g, const char *key)
{
    char b[3][48], kc[48];
    snprintf(kc, sizeof kc, "%s_ci95", key);
    const json_t *ci = json_object_get(g, kc);
    fprintf(f, "<td>%s", hx_fmt(b[0], 48, hx_num(json_object_get(g, key))));
    if (isfinite(hx_num(json_array_get(ci, 0))))
        fprintf(f, " <small>(%s&ndash;%s)</small>", hx_fmt(b[1], 48, hx_num(json_array_get(ci, 0))),
                hx_fmt(b[2], 48, hx_num(json_array_get(ci, 1))));
    fputs("</td>", f);
}

/* "s <small>(lo&ndash;hi)</small>" of a metric's variance share. */
static void share_cell(FILE *f, const json_t *m)
{
    char b[3][48];
    const json_t *ci = json_object_get(m, "variance_share_ci95");
    fprintf(f, "<td>%s", hx_fmt(b[0], 48, hx_num(json_object_get(m, "variance_share"))));
    if (isfinite(hx_num(json_array_get(ci, 0))))
        fprintf(f, " <small>(%s&ndash;%s)</small>", hx_fmt(b[1], 48, hx_num(json_array_get(ci, 0))),
                hx_fmt(b[2], 48, hx_num(json_array_get(ci, 1))));
    fputs("</td>", f);
}

/* One row per outcome and group; the outcome's name and variance shares on its first row. */
static void bd_table(FILE *f, const json_t *outs, const size_t *ord, size_t n)
{
    char b[48];
    fputs("<div class=\"tw\"><table><thead><tr><th>outcome</th><th>given</th><th>paths</th>"
          "<th>burden mean, $B (95% CI)</th><th>P50</th><th>P95</th><th>CVaR95</th>"
          "<th>share of burden variance (95% CI)</th><th>revenue mean, $B</th>"
          "<th>share of revenue variance</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(outs, ord[i]);
        const json_t *bm = hx_get(o, "metrics.capex_burden"), *rm = hx_get(o, "metrics.revenue_total");
        for (int g = 0; g < 2; g++) {
            const char *gk = g ? "succeeds" : "fails";
            const json_t *bg = json_object_get(bm, gk), *rg = json_object_get(rm, gk);
            fputs("<tr><th>", f);
            if (g == 0) {
                fputs("<code>", f);
                hx_esc(f, json_string_value(json_object_get(o, "input")));
                fputs("</code>", f);
            }
            fputs("</th><td>", f);
            hx_esc(f, json_string_value(json_array_get(json_object_get(o, "labels"), (size_t)g)));
            fprintf(f, "</td><td>%s%%</td>",
                    hx_fmt(b, sizeof b, 100 * hx_num(json_object_get(bg, "share"))));
            cell_ci(f, bg, "mean");
            fprintf(f, "<td>%s</td>", hx_fmt(b, sizeof b, hx_num(json_object_get(bg, "p50"))));
            fprintf(f, "<td>%s</td>", hx_fmt(b, sizeof b, hx_num(json_object_get(bg, "p95"))));
            fprintf(f, "<td>%s</td>", hx_fmt(b, sizeof b, hx_num(json_object_get(bg, "cvar95"))));
            if (g == 0) share_cell(f, bm);
            else fputs("<td></td>", f);
            fprintf(f, "<td>%s</td>", hx_fmt(b, sizeof b, hx_num(json_object_get(rg, "mean"))));
            if (g == 0) share_cell(f, rm);
            else fputs("<td></td>", f);
            fputs("</tr>\n", f);
        }
    }
    fputs("</tbody></table></div>\n", f);
}

/* Bars: the burden's mean given each outcome with its CI; dots: P95. */
static void bd_chart(FILE *f, const json_t *doc, const json_t *outs, const size_t *ord, size_t n)
{
    if (n > CHART_OUTCOMES) n = CHART_OUTCOMES;
    const double rows = 2.0 * (double)n;
    char title[256];
    const char *sc = json_string_value(json_object_get(doc, "scenario"));
    snprintf(title, sizeof title, "Capex burden given each outcome - %s, %lld paths%s",
             sc ? sc : "?", (long long)json_integer_value(json_object_get(doc, "paths")),
             json_is_false(json_object_get(doc, "complete")) ? ", partial" : "");
    hx_chart c;
    hx_chart_open(&c, f, 760, 70 + 20 * rows, title,
                  "Bars: mean capex burden given the outcome (red: fails, blue: succeeds); "
                  "whiskers: 95% CI of the mean; dots: P95.");
    c.ml = 290;
    c.x0 = 0;
    c.x1 = 1;
    c.y0 = 0;
    c.y1 = rows;
    for (size_t i = 0; i < n; i++)
        for (int g = 0; g < 2; g++) {
            const json_t *gr = hx_get(json_array_get(outs, ord[i]),
                                      g ? "metrics.capex_burden.succeeds"
                                        : "metrics.capex_burden.fails");
            double p95 = hx_num(json_object_get(gr, "p95"));
            if (isfinite(p95)) c.x1 = fmax(c.x1, 1.05 * p95);
        }
    hx_axes(&c, "capex burden, $B", NULL, false);
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(outs, ord[i]);
        for (int g = 0; g < 2; g++) {
            const json_t *gr = hx_get(o, g ? "metrics.capex_burden.succeeds"
                                           : "metrics.capex_burden.fails");
            double row = rows - (double)(2 * i + (size_t)g);
            double top = hx_py(&c, row) + 3, hgt = hx_py(&c, 0) - hx_py(&c, 1) - 6;
            double mean = fmax(0, hx_num(json_object_get(gr, "mean")));
            if (isfinite(mean))
                fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                        g ? "low" : "high", hx_px(&c, 0), top, hx_px(&c, mean) - hx_px(&c, 0), hgt);
            const json_t *ci = json_object_get(gr, "mean_ci95");
            double lo = hx_num(json_array_get(ci, 0)), hi = hx_num(json_array_get(ci, 1));
            if (isfinite(lo) && isfinite(hi))
                fprintf(f, "<line class=\"whisk\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                        hx_px(&c, fmax(0, lo)), top + hgt / 2, hx_px(&c, hi), top + hgt / 2);
            double p95 = hx_num(json_object_get(gr, "p95"));
            if (isfinite(p95))
                fprintf(f, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>", hx_px(&c, p95),
                        top + hgt / 2);
            char lab[128], s[48];
            hx_short(s, sizeof s, json_string_value(json_object_get(o, "input")), 22);
            snprintf(lab, sizeof lab, "%s: %s", s,
                     json_string_value(json_array_get(json_object_get(o, "labels"), (size_t)g)));
            hx_text(&c, c.x0, row - 0.5, -6, 4, "end", "tick", lab);
            fputc('\n', f);
        }
    }
    hx_chart_close(&c, n < json_array_size(outs) ? "The outcomes with the largest shares of the "
                                                   "burden's variance; all in the table."
                                                 : NULL);
}

void hx_bd_section(FILE *f, const json_t *doc)
{
    const json_t *outs = hx_get(doc, "outcome_breakdown.outcomes");
    size_t ord[MAX_OUTCOMES], n = by_share(outs, "capex_burden", ord);
    if (n == 0) return;
    fputs("<h3>Outcome breakdown</h3>\n<p>Each outcome drawn once per path splits the paths in "
          "two: the capex burden and total revenue given each, and the share of each metric's "
          "variance the outcome explains (between-group over total variance, its first-order "
          "index). Largest share of the burden's variance first.</p>\n", f);
    bd_chart(f, doc, outs, ord, n);
    bd_table(f, outs, ord, n);
}
