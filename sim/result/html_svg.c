/* SPDX-License-Identifier: MIT */
/* The HTML report's charts: inline SVG written directly, data mapped linearly into a plot
 * area inside margins. Styles are classes defined once in the page's <style>. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "sim/result/html_impl.h"

void hx_chart_open(hx_chart *c, FILE *f, double w, double h, const char *title, const char *desc)
{
    c->f = f;
    c->w = w;
    c->h = h;
    c->ml = 64;
    c->mr = 56;
    c->mt = 30;
    c->mb = 44;
    fprintf(f,
            "<figure><svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "xmlns=\"http://www.w3.org/2000/svg\"><title>",
            w, h);
    hx_esc(f, title);
    fputs("</title><desc>", f);
    hx_esc(f, desc);
    fputs("</desc>", f);
    fprintf(f, "<text class=\"ctitle\" x=\"%.1f\" y=\"18\" text-anchor=\"middle\">", w / 2);
    hx_esc(f, title);
    fputs("</text>\n", f);
}

void hx_chart_close(hx_chart *c, const char *caption)
{
    fputs("</svg>", c->f);
    if (caption) {
        fputs("<figcaption>", c->f);
        hx_esc(c->f, caption);
        fputs("</figcaption>", c->f);
    }
    fputs("</figure>\n", c->f);
}

double hx_px(const hx_chart *c, double x)
{
    double span = c->x1 - c->x0;
    return c->ml + (span > 0 ? (x - c->x0) / span : 0.5) * (c->w - c->ml - c->mr);
}

double hx_py(const hx_chart *c, double y)
{
    double span = c->y1 - c->y0;
    return c->h - c->mb - (span > 0 ? (y - c->y0) / span : 0.5) * (c->h - c->mt - c->mb);
}

void hx_ticks(double lo, double hi, int n, double *first, double *step)
{
    double span = hi - lo;
    if (!(span > 0) || !isfinite(span)) {
        *first = lo;
        *step = 1;
        return;
    }
    double raw = span / (n > 0 ? n : 5), mag = pow(10, floor(log10(raw))), r = raw / mag;
    *step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
    *first = ceil(lo / *step - 1e-9) * *step;
}

static void tick_label(char *buf, size_t len, double v, double step, bool pct)
{
    if (fabs(v) < step * 1e-6)
        v = 0;
    if (pct)
        snprintf(buf, len, "%g%%", 100 * v);
    else
        snprintf(buf, len, "%g", v);
}

void hx_axes(const hx_chart *c, const char *xlabel, const char *ylabel, bool y_pct)
{
    FILE *f = c->f;
    double left = c->ml, right = c->w - c->mr, top = c->mt, bottom = c->h - c->mb;
    double first, step;
    char lab[48];
    fprintf(f,
            "<g class=\"axes\"><rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
            "height=\"%.1f\"/>\n",
            left, top, right - left, bottom - top);
    hx_ticks(c->x0, c->x1, 6, &first, &step);
    for (double v = first; v <= c->x1 + step * 1e-9; v += step) {
        double x = hx_px(c, v);
        tick_label(lab, sizeof lab, v, step, false);
        fprintf(f,
                "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, top, x, bottom, x, bottom + 14, lab);
    }
    hx_ticks(c->y0, c->y1, 5, &first, &step);
    for (double v = first; ylabel && v <= c->y1 + step * 1e-9; v += step) {
        double y = hx_py(c, v);
        tick_label(lab, sizeof lab, v, step, y_pct);
        fprintf(f,
                "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                left, y, right, y, left - 4, y + 4, lab);
    }
    fprintf(f, "<text class=\"alabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            (left + right) / 2, c->h - 8);
    hx_esc(f, xlabel);
    fprintf(f,
            "</text><text class=\"alabel\" transform=\"translate(14 %.1f) rotate(-90)\" "
            "text-anchor=\"middle\">",
            (top + bottom) / 2);
    hx_esc(f, ylabel);
    fputs("</text></g>\n", f);
}

void hx_axis_right_pct(const hx_chart *c, const char *label)
{
    FILE *f = c->f;
    double right = c->w - c->mr, top = c->mt, bottom = c->h - c->mb;
    for (int k = 0; k <= 4; k++) {
        double y = bottom - k * (bottom - top) / 4;
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%d%%</text>\n", right + 4, y + 4,
                25 * k);
    }
    fprintf(f,
            "<text class=\"alabel\" transform=\"translate(%.1f %.1f) rotate(90)\" "
            "text-anchor=\"middle\">",
            c->w - 10, (top + bottom) / 2);
    hx_esc(f, label);
    fputs("</text>\n", f);
}

void hx_polyline(const hx_chart *c, const double *xs, const double *ys, int n, const char *cls)
{
    fprintf(c->f, "<polyline class=\"%s\" points=\"", cls);
    for (int i = 0; i < n; i++)
        if (isfinite(xs[i]) && isfinite(ys[i]))
            fprintf(c->f, "%s%.1f,%.1f", i ? " " : "", hx_px(c, xs[i]), hx_py(c, ys[i]));
    fputs("\"/>\n", c->f);
}

void hx_text(const hx_chart *c, double x, double y, double dx, double dy, const char *anchor,
             const char *cls, const char *text)
{
    fprintf(c->f, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", cls,
            hx_px(c, x) + dx, hx_py(c, y) + dy, anchor);
    hx_esc(c->f, text);
    fputs("</text>\n", c->f);
}

void hx_band(const hx_chart *c, const double *xs, const double *lo, const double *hi, int n,
             const char *style)
{
    fprintf(c->f, "<polygon class=\"band\" style=\"%s\" points=\"", style ? style : "");
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(xs[i]) && isfinite(hi[i]) && isfinite(lo[i]))
            fprintf(c->f, "%s%.1f,%.1f", k++ ? " " : "", hx_px(c, xs[i]), hx_py(c, hi[i]));
    for (int i = n - 1; i >= 0; i--)
        if (isfinite(xs[i]) && isfinite(hi[i]) && isfinite(lo[i]))
            fprintf(c->f, " %.1f,%.1f", hx_px(c, xs[i]), hx_py(c, lo[i]));
    fputs("\"/>\n", c->f);
}

void hx_errbar(const hx_chart *c, double x, double lo, double hi)
{
    if (!isfinite(x) || !isfinite(lo) || !isfinite(hi))
        return;
    double px = hx_px(c, x), a = hx_py(c, lo), b = hx_py(c, hi);
    fprintf(c->f,
            "<line class=\"whisk\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<line class=\"whisk\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<line class=\"whisk\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            px, a, px, b, px - 4, a, px + 4, a, px - 4, b, px + 4, b);
}
