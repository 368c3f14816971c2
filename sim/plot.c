/* SPDX-License-Identifier: MIT */
/* Plots of result JSON files (runs, tornado, Sobol, sweeps) with gnuplot, as PNG and SVG. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "sim/error.h"
#include "sim/plot.h"
#include "sim/sketch.h"

/*
 * Each plot is a gnuplot script plus data files in a private temporary directory. The
 * script draws the figure twice, to NAME.png (pngcairo) and NAME.svg, so both always show
 * the same thing. gnuplot runs through posix_spawnp (no shell: paths need no quoting beyond
 * gnuplot's own single quotes, and we refuse paths containing one).
 */

extern char **environ;

#define PNG_TERM "set terminal pngcairo size 1000,620 enhanced font 'DejaVu Sans,11'"
#define SVG_TERM "set terminal svg size 1000,620 dynamic font 'DejaVu Sans,11'"

typedef struct plotter {
    char tmp[256];     /* temporary directory */
    const char *out;   /* output directory */
    int written;
    int n_tmp;         /* files created in tmp, for cleanup */
    char *tmp_files[64];
    char *err;
    size_t err_len;
} plotter;

/* ---- histogram from a sketch ---- */

/* Number of values <= x: the largest rank whose value is <= x (ranks are monotone). */
static uint64_t count_le(const cx_sketch *sk, double x)
{
    uint64_t lo = 0, hi = cx_sketch_count(sk);
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (cx_sketch_value_at_rank(sk, mid) <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

json_t *cx_plot_histogram_json(const cx_sketch *sk, int bins)
{
    uint64_t n = cx_sketch_count(sk);
    if (n == 0 || bins < 1)
        return NULL;
    double a = cx_sketch_quantile(sk, 0.005), b = cx_sketch_quantile(sk, 0.995);
    if (!(b > a)) {
        /* One value (or a point mass over the middle 99%): one bin around it. */
        double w = fabs(a) > 0 ? fabs(a) * 0.01 : 0.5;
        a -= w;
        b += w;
    }
    json_t *edges = json_array(), *counts = json_array();
    uint64_t below = 0, prev = 0;
    for (int i = 0; i <= bins; i++) {
        double e = a + (b - a) * i / bins;
        if (i == bins)
            e = b;
        json_array_append_new(edges, json_real(e));
        /* Bins are (e_i, e_{i+1}]; the first also takes values equal to e_0. */
        uint64_t c = i == 0 ? count_le(sk, nextafter(e, -INFINITY)) : count_le(sk, e);
        if (i == 0)
            below = c;
        else
            json_array_append_new(counts, json_integer((json_int_t)(c - prev)));
        prev = c;
    }
    return json_pack("{s:o, s:o, s:I, s:I}", "edges", edges, "counts", counts, "below",
                     (json_int_t)below, "above", (json_int_t)(n - prev));
}

/* ---- temporary files ---- */

static FILE *tmp_open(plotter *p, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", p->tmp, name);
    FILE *f = fopen(path, "w");
    if (f && p->n_tmp < 64)
        p->tmp_files[p->n_tmp++] = strdup(path);
    return f;
}

static void tmp_cleanup(plotter *p)
{
    for (int i = 0; i < p->n_tmp; i++) {
        if (p->tmp_files[i])
            unlink(p->tmp_files[i]);
        free(p->tmp_files[i]);
    }
    p->n_tmp = 0;
    if (p->tmp[0])
        rmdir(p->tmp);
}

static bool file_ok(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

/*
 * Runs `gnuplot SCRIPT` and checks that NAME.png and NAME.svg came out. The script is the
 * body; this adds the terminal and output lines for both formats around it.
 */
static int render(plotter *p, const char *name, const char *body)
{
    char spath[512], png[512], svg[512];
    snprintf(png, sizeof png, "%s/%s.png", p->out, name);
    snprintf(svg, sizeof svg, "%s/%s.svg", p->out, name);
    char sname[80];
    snprintf(sname, sizeof sname, "%s.gp", name);
    FILE *f = tmp_open(p, sname, spath, sizeof spath);
    if (!f) {
        cx_set_err(p->err, p->err_len, "plot: cannot write %s: %s", spath, strerror(errno));
        return CX_ERR_IO;
    }
    fprintf(f, "set encoding utf8\n%s\nset output '%s'\n%s\nunset output\n", PNG_TERM, png,
            body);
    fprintf(f, "%s\nset output '%s'\n%s\nunset output\n", SVG_TERM, svg, body);
    if (fclose(f) != 0) {
        cx_set_err(p->err, p->err_len, "plot: cannot write %s", spath);
        return CX_ERR_IO;
    }
    char *argv[] = {"gnuplot", spath, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    if (rc != 0) {
        cx_set_err(p->err, p->err_len,
                "plot: cannot run gnuplot (%s): install it (Debian package gnuplot-nox)",
                strerror(rc));
        return CX_ERR_INTERNAL;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            cx_set_err(p->err, p->err_len, "plot: waitpid: %s", strerror(errno));
            return CX_ERR_INTERNAL;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cx_set_err(p->err, p->err_len,
                WIFEXITED(status) && WEXITSTATUS(status) == 127
                    ? "plot: gnuplot not found: install it (Debian package gnuplot-nox)"
                    : "plot: gnuplot failed on %s (exit status %d)",
                name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return CX_ERR_INTERNAL;
    }
    if (!file_ok(png) || !file_ok(svg)) {
        cx_set_err(p->err, p->err_len, "plot: gnuplot wrote no %s.png/.svg", name);
        return CX_ERR_INTERNAL;
    }
    p->written += 2;
    return 0;
}

/* ---- JSON helpers ---- */

static double jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A name fit for a gnuplot string in double quotes, enhanced text off. */
static void label(char *dst, size_t len, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 1 < len; i++)
        if (src[i] != '"' && src[i] != '\\' && src[i] != '\'')
            dst[j++] = src[i];
    dst[j] = '\0';
}

/* ---- run: histograms ---- */

static const char *const pct_keys[] = {"p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95",
                                       "p99"};
static const double pct_q[] = {0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99};

static int plot_hist(plotter *p, const json_t *doc, const char *metric, const char *name,
                     const char *title, const char *unit)
{
    const json_t *m = json_object_get(json_object_get(doc, "metrics"), metric);
    const json_t *pc = json_object_get(m, "percentiles");
    if (!m || !pc)
        return 0; /* not in this result: nothing to draw */
    double p5 = jnum(pc, "p5"), p50 = jnum(pc, "p50"), p95 = jnum(pc, "p95");
    char dpath[512], dname[80];
    snprintf(dname, sizeof dname, "%s.dat", name);
    FILE *f = tmp_open(p, dname, dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    /* Columns: bin centre, width, density (per unit of the metric). */
    const json_t *h = json_object_get(json_object_get(doc, "histograms"), metric);
    const char *how;
    int rows = 0;
    if (h) {
        const json_t *edges = json_object_get(h, "edges"), *counts = json_object_get(h, "counts");
        double total = 0;
        for (size_t i = 0; i < json_array_size(counts); i++)
            total += json_number_value(json_array_get(counts, i));
        total += jnum(h, "below") + jnum(h, "above");
        for (size_t i = 0; i + 1 < json_array_size(edges) && i < json_array_size(counts); i++) {
            double a = json_number_value(json_array_get(edges, i));
            double b = json_number_value(json_array_get(edges, i + 1));
            double c = json_number_value(json_array_get(counts, i));
            if (b > a && total > 0) {
                fprintf(f, "%.17g %.17g %.17g\n", (a + b) / 2, b - a, c / total / (b - a));
                rows++;
            }
        }
        how = "histogram of all paths (P0.5 to P99.5)";
    } else {
        /* No histogram in the result: a step density from the percentiles, probability
         * q_{k+1} - q_k spread evenly between consecutive percentiles (min and max at the
         * ends). Point masses (equal percentiles) show as gaps. */
        double q[11], v[11];
        q[0] = 0.0;
        v[0] = jnum(m, "min");
        for (int k = 0; k < 9; k++) {
            q[k + 1] = pct_q[k];
            v[k + 1] = jnum(pc, pct_keys[k]);
        }
        q[10] = 1.0;
        v[10] = jnum(m, "max");
        for (int k = 0; k < 10; k++) {
            double w = v[k + 1] - v[k];
            if (w > 1e-12 * (fabs(v[k]) + 1)) {
                fprintf(f, "%.17g %.17g %.17g\n", (v[k] + v[k + 1]) / 2, w, (q[k + 1] - q[k]) / w);
                rows++;
            }
        }
        how = "density from the reported percentiles";
    }
    fclose(f);
    if (rows == 0) {
        /* Every path gave the same value: a single bar of unit height. */
        f = fopen(dpath, "w");
        if (!f)
            return CX_ERR_IO;
        double w = fabs(p50) > 0 ? fabs(p50) * 0.02 : 1.0;
        fprintf(f, "%.17g %.17g 1\n", p50, w);
        fclose(f);
    }
    char body[4096];
    snprintf(body, sizeof body,
             "set title \"%s\\n(%s)\" noenhanced\n"
             "set xlabel '%s'\nset ylabel 'density'\nset grid ytics\nset key top right\n"
             "set style fill solid 0.55 border rgb '#1f4e79'\nset yrange [0:*]\n"
             "set arrow 1 from %.17g, graph 0 to %.17g, graph 1 nohead lc rgb '#c0392b' dt 2 lw 2\n"
             "set arrow 2 from %.17g, graph 0 to %.17g, graph 1 nohead lc rgb '#000000' lw 2\n"
             "set arrow 3 from %.17g, graph 0 to %.17g, graph 1 nohead lc rgb '#c0392b' dt 2 lw 2\n"
             "set label 1 'P5 %.4g' at %.17g, graph 0.97 left offset 0.5,0 tc rgb '#c0392b'\n"
             "set label 2 'P50 %.4g' at %.17g, graph 0.91 left offset 0.5,0\n"
             "set label 3 'P95 %.4g' at %.17g, graph 0.85 left offset 0.5,0 tc rgb '#c0392b'\n"
             "plot '%s' using 1:3:2 with boxes lc rgb '#5b9bd5' title 'paths'\n",
             title, how, unit, p5, p5, p50, p50, p95, p95, p5, p5, p50, p50, p95, p95, dpath);
    return render(p, name, body);
}

/* ---- run: quarterly fan charts ---- */

static int plot_fan(plotter *p, const json_t *doc, const char *series, const char *name,
                    const char *title, const char *unit)
{
    const json_t *arr = json_object_get(json_object_get(doc, "quarters"), series);
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    char dpath[512], dname[80];
    snprintf(dname, sizeof dname, "%s.dat", name);
    FILE *f = tmp_open(p, dname, dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *q = json_array_get(arr, i);
        fprintf(f, "%zu %.17g %.17g %.17g %.17g\n", i + 1, jnum(q, "p5"), jnum(q, "p50"),
                jnum(q, "p95"), jnum(q, "mean"));
    }
    fclose(f);
    char body[4096];
    snprintf(body, sizeof body,
             "set title '%s' noenhanced\nset xlabel 'quarter (1 = months 0 to 2)'\nset ylabel '%s'\n"
             "set grid\nset key top left\nset xtics 1\nset xrange [0.5:%zu.5]\n"
             "plot '%s' using 1:2:4 with filledcurves lc rgb '#9ecae1' fs solid 0.6 title 'P5 to P95', \\\n"
             "     '' using 1:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#08519c' title 'median', \\\n"
             "     '' using 1:5 with lines lw 1.5 dt 2 lc rgb '#e6550d' title 'mean'\n",
             title, unit, json_array_size(arr), dpath);
    return render(p, name, body);
}

/* ---- tornado ---- */

static int plot_tornado(plotter *p, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "tornado");
    size_t n = json_array_size(rows);
    if (n == 0) {
        cx_set_err(p->err, p->err_len, "plot: the tornado has no rows");
        return CX_ERR_CONFIG;
    }
    if (n > 15)
        n = 15; /* the 15 largest swings: more is unreadable */
    double mean = jnum(doc, "mean");
    char dpath[512];
    FILE *f = tmp_open(p, "tornado.dat", dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    /* Rank 1 on top: y = n - i. Columns: y, low mean, high mean, name. */
    size_t widest = 8;
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(rows, i);
        const char *nm = json_string_value(json_object_get(r, "input"));
        char lab[160];
        label(lab, sizeof lab, nm ? nm : "?");
        if (strlen(lab) > widest)
            widest = strlen(lab);
        fprintf(f, "%zu %.17g %.17g \"%s\"\n", n - i, jnum(r, "mean_low"), jnum(r, "mean_high"),
                lab);
    }
    fclose(f);
    char metric[80];
    const char *ms = json_string_value(json_object_get(doc, "metric"));
    label(metric, sizeof metric, ms ? ms : "metric");
    char body[4096];
    snprintf(body, sizeof body,
             "set title \"Tornado: mean %s when each input is in its lowest or highest decile\" noenhanced\n"
             "set xlabel '%s (mean over the paths in the decile)' noenhanced\nunset ylabel\n"
             "set ytics nomirror noenhanced\nset grid xtics\nset key below horizontal\n"
             "set yrange [0.3:%zu.7]\nset style fill solid 0.8 noborder\n"
             "set arrow 1 from %.17g, graph 0 to %.17g, graph 1 nohead lc rgb 'black' lw 1.5\n"
             "set lmargin %zu\n"
             "plot '%s' using ((%.17g+$2)/2):1:(abs($2-%.17g)/2):(0.36):ytic(4) with boxxyerror lc rgb '#2b8cbe' title 'lowest decile', \\\n"
             "     '' using ((%.17g+$3)/2):1:(abs($3-%.17g)/2):(0.36) with boxxyerror lc rgb '#e34a33' title 'highest decile'\n",
             metric, metric, n, mean, mean, widest + 3, dpath, mean, mean, mean, mean);
    return render(p, "tornado", body);
}

/* ---- Sobol indices ---- */

typedef struct sobol_row {
    double s1, l1, h1, st, lt, ht;
    char lab[160];
} sobol_row;

static double ci_end(const json_t *ci, size_t k, double dflt)
{
    const json_t *v = json_array_get(ci, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static int by_st(const void *pa, const void *pb)
{
    const sobol_row *a = pa, *b = pb;
    double x = isnan(a->st) ? -1 : a->st, y = isnan(b->st) ? -1 : b->st;
    return (x < y) - (x > y);
}

/* Horizontal bars, the 15 largest total effects on top: S1 and ST with 95% CIs. */
static int plot_sobol(plotter *p, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "indices");
    size_t n = json_array_size(rows);
    if (n == 0) {
        cx_set_err(p->err, p->err_len, "plot: the Sobol result has no indices");
        return CX_ERR_CONFIG;
    }
    sobol_row *r = calloc(n, sizeof *r);
    if (!r)
        return CX_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(rows, i);
        const json_t *c1 = json_object_get(o, "s1_ci95"), *ct = json_object_get(o, "st_ci95");
        const char *nm = json_string_value(json_object_get(o, "input"));
        label(r[i].lab, sizeof r[i].lab, nm ? nm : "?");
        r[i].s1 = jnum(o, "s1");
        r[i].st = jnum(o, "st");
        r[i].l1 = ci_end(c1, 0, r[i].s1);
        r[i].h1 = ci_end(c1, 1, r[i].s1);
        r[i].lt = ci_end(ct, 0, r[i].st);
        r[i].ht = ci_end(ct, 1, r[i].st);
    }
    qsort(r, n, sizeof *r, by_st);
    size_t shown = n > 15 ? 15 : n, widest = 8;
    char dpath[512];
    FILE *f = tmp_open(p, "sobol.dat", dpath, sizeof dpath);
    if (!f) {
        free(r);
        return CX_ERR_IO;
    }
    for (size_t i = 0; i < shown; i++) {
        if (strlen(r[i].lab) > widest)
            widest = strlen(r[i].lab);
        fprintf(f, "%zu %.17g %.17g %.17g %.17g %.17g %.17g \"%s\"\n", shown - i,
                isnan(r[i].s1) ? 0 : r[i].s1, r[i].l1, r[i].h1, isnan(r[i].st) ? 0 : r[i].st,
                r[i].lt, r[i].ht, r[i].lab);
    }
    fclose(f);
    free(r);
    char metric[80];
    const char *ms = json_string_value(json_object_get(doc, "metric"));
    label(metric, sizeof metric, ms ? ms : "metric");
    char body[4096];
    snprintf(body, sizeof body,
             "set title \"Sobol indices of %s: the %zu largest total effects (bars: 95%% CI)\" noenhanced\n"
             "set xlabel 'share of the variance of %s' noenhanced\nunset ylabel\n"
             "set ytics nomirror noenhanced\nset grid xtics\nset key below horizontal\n"
             "set yrange [0.4:%zu.6]\nset xrange [*:*]\nset style fill solid 0.8 noborder\n"
             "set lmargin %zu\n"
             "plot '%s' using ($5/2):($1-0.19):($5/2):(0.17):ytic(8) with boxxyerror lc rgb '#fd8d3c' title 'total effect ST', \\\n"
             "     '' using ($2/2):($1+0.19):($2/2):(0.17) with boxxyerror lc rgb '#3182bd' title 'first order S1', \\\n"
             "     '' using 5:($1-0.19):6:7 with xerrorbars lc rgb 'black' pt -1 notitle, \\\n"
             "     '' using 2:($1+0.19):3:4 with xerrorbars lc rgb 'black' pt -1 notitle\n",
             metric, shown, metric, shown, widest + 3, dpath);
    return render(p, "sobol", body);
}

/* ---- sweeps ---- */

static int plot_sweep_metric(plotter *p, const json_t *doc, const char *metric)
{
    const json_t *axes = json_object_get(doc, "axes"), *pts = json_object_get(doc, "points");
    size_t na = json_array_size(axes), np = json_array_size(pts);
    if (na < 1 || np == 0) {
        cx_set_err(p->err, p->err_len, "plot: the sweep has no axes or points");
        return CX_ERR_CONFIG;
    }
    const char *xname = json_string_value(json_object_get(json_array_get(axes, 0), "name"));
    const char *zname =
        na > 1 ? json_string_value(json_object_get(json_array_get(axes, 1), "name")) : NULL;
    char name[96], dname[112], dpath[512];
    snprintf(name, sizeof name, "sweep_%s", metric);
    snprintf(dname, sizeof dname, "%s.dat", name);
    FILE *f = tmp_open(p, dname, dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    /* One gnuplot data set (blank-line separated) per value of the second axis. */
    size_t n2 = na > 1 ? json_array_size(json_object_get(json_array_get(axes, 1), "values")) : 1;
    if (n2 == 0)
        n2 = 1;
    for (size_t s = 0; s < n2; s++) {
        double zv = na > 1 ? json_number_value(json_array_get(
                                 json_object_get(json_array_get(axes, 1), "values"), s))
                           : 0;
        for (size_t i = 0; i < np; i++) {
            const json_t *pt = json_array_get(pts, i);
            const json_t *vals = json_object_get(pt, "values");
            if (na > 1 && json_number_value(json_array_get(vals, 1)) != zv)
                continue;
            const json_t *m = json_object_get(json_object_get(pt, "metrics"), metric);
            fprintf(f, "%.17g %.17g %.17g %.17g %.17g\n",
                    json_number_value(json_array_get(vals, 0)), jnum(m, "mean"), jnum(m, "p5"),
                    jnum(m, "p50"), jnum(m, "p95"));
        }
        fprintf(f, "\n\n");
    }
    fclose(f);
    char xl[160], zl[160], ml[80];
    label(xl, sizeof xl, xname ? xname : "value");
    label(zl, sizeof zl, zname ? zname : "");
    label(ml, sizeof ml, metric);
    char body[4096];
    if (na > 1)
        snprintf(body, sizeof body,
                 "set title \"Sweep: mean %s (dashed: P5 and P95), one line per %s\" noenhanced\n"
                 "set xlabel '%s' noenhanced\nset ylabel '%s' noenhanced\nset grid\nset key outside right noenhanced\n"
                 "plot for [i=0:%zu] '%s' index i using 1:2 with linespoints lw 2 pt 7 lc i+1 title sprintf('%s = %%s', word('%s', i+1)), \\\n"
                 "     for [i=0:%zu] '' index i using 1:3 with lines dt 2 lc i+1 notitle, \\\n"
                 "     for [i=0:%zu] '' index i using 1:5 with lines dt 2 lc i+1 notitle\n",
                 ml, zl, xl, ml, n2 - 1, dpath, zl, "", n2 - 1, n2 - 1);
    else
        snprintf(body, sizeof body,
                 "set title \"Sweep of %s: %s (common random numbers)\" noenhanced\n"
                 "set xlabel '%s' noenhanced\nset ylabel '%s' noenhanced\nset grid\nset key top left\n"
                 "plot '%s' using 1:3:5 with filledcurves lc rgb '#c6dbef' fs solid 0.7 title 'P5 to P95', \\\n"
                 "     '' using 1:4 with linespoints lw 2 pt 7 lc rgb '#08519c' title 'median', \\\n"
                 "     '' using 1:2 with linespoints lw 1.5 dt 2 pt 5 lc rgb '#e6550d' title 'mean'\n",
                 xl, ml, xl, ml, dpath);
    if (na > 1) {
        /* The legend needs the second axis's values as words: patch them into the body. */
        char words[1024] = "";
        const json_t *zv = json_object_get(json_array_get(axes, 1), "values");
        for (size_t s = 0; s < n2; s++) {
            char w[40];
            snprintf(w, sizeof w, "%s%.6g", s ? " " : "", json_number_value(json_array_get(zv, s)));
            strncat(words, w, sizeof words - strlen(words) - 1);
        }
        char *hole = strstr(body, "word('', i+1)");
        if (hole) {
            char tail[4096];
            snprintf(tail, sizeof tail, "%s", hole + strlen("word('', i+1)"));
            snprintf(hole, sizeof body - (size_t)(hole - body), "word('%s', i+1)%s", words, tail);
        }
    }
    return render(p, name, body);
}

/* ---- entry point ---- */

int cx_plot_result(const char *json_path, const char *out_dir, int *n_written, char *err,
                   size_t err_len)
{
    if (n_written)
        *n_written = 0;
    if (strchr(out_dir, '\'') || strlen(out_dir) > 200) {
        cx_set_err(err, err_len, "plot: output directory name must be short and contain no '");
        return CX_ERR_USAGE;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(json_path, 0, &jerr);
    if (!doc) {
        cx_set_err(err, err_len, "plot: %s:%d: %s", json_path, jerr.line, jerr.text);
        return CX_ERR_IO;
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        cx_set_err(err, err_len, "plot: cannot create %s: %s", out_dir, strerror(errno));
        json_decref(doc);
        return CX_ERR_IO;
    }
    plotter p = {.out = out_dir, .err = err, .err_len = err_len};
    const char *base = getenv("TMPDIR");
    snprintf(p.tmp, sizeof p.tmp, "%s/capexsim-plot-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(p.tmp)) {
        cx_set_err(err, err_len, "plot: cannot make a temporary directory: %s", strerror(errno));
        json_decref(doc);
        return CX_ERR_IO;
    }
    const char *study = json_string_value(json_object_get(doc, "study"));
    int rc = 0;
    if (study && strcmp(study, "tornado") == 0) {
        rc = plot_tornado(&p, doc);
    } else if (study && strcmp(study, "sobol") == 0) {
        rc = plot_sobol(&p, doc);
    } else if (study && strcmp(study, "sweep") == 0) {
        rc = plot_sweep_metric(&p, doc, "capex_burden");
        if (rc == 0)
            rc = plot_sweep_metric(&p, doc, "revenue_total");
    } else if (json_is_object(json_object_get(doc, "metrics"))) {
        rc = plot_hist(&p, doc, "capex_burden", "burden_hist", "Capex burden over the horizon",
                       "capex burden ($B)");
        if (rc == 0)
            rc = plot_hist(&p, doc, "revenue_total", "revenue_hist",
                           "Total revenue over the horizon", "revenue ($B)");
        if (rc == 0)
            rc = plot_fan(&p, doc, "idle_gw_mean", "fan_idle_gw",
                          "Idle capacity per quarter (mean over its months)", "idle GW");
        if (rc == 0)
            rc = plot_fan(&p, doc, "burden_cumulative", "fan_burden",
                          "Cumulative capex burden at quarter end", "$B");
    } else {
        cx_set_err(err, err_len, "plot: %s is not a capexsim result (no \"metrics\" or \"study\")",
                json_path);
        rc = CX_ERR_CONFIG;
    }
    if (rc == 0 && p.written == 0) {
        cx_set_err(err, err_len, "plot: %s holds nothing to plot", json_path);
        rc = CX_ERR_CONFIG;
    }
    tmp_cleanup(&p);
    json_decref(doc);
    if (n_written)
        *n_written = p.written;
    return rc;
}
