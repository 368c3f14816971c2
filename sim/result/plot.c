/* SPDX-License-Identifier: MIT */
/* Plots of result JSON files (runs, tornado, Sobol, sweeps) with gnuplot, as PNG and SVG. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "sim/base/error.h"
#include "sim/result/plot.h"
#include "sim/engine/sketch.h"

/*
 * Each plot is a gnuplot script plus data files in a private temporary directory. The
 * script draws the figure twice, to NAME.png (pngcairo) and NAME.svg, so both always show
 * the same thing. gnuplot runs through posix_spawnp (no shell: paths need no quoting beyond
 * gnuplot's own single quotes, and we refuse paths containing one or a control character).
 *
 * A result file may come from someone else, so nothing in it is trusted: every string from
 * the JSON goes through label(), which keeps printable ASCII without quotes, backslashes,
 * backquotes (command substitution in gnuplot's double-quoted strings), '@' (macros), '$'
 * and '%' (sprintf formats), so no data string can end a gnuplot string or start a command
 * line; numbers are printed with %.17g. The work is bounded (PLOT_MAX_* below) and the
 * temporary directory is emptied and removed on every return, including an interrupt.
 */

extern char **environ;

#define PNG_TERM "set terminal pngcairo size 1000,620 enhanced font 'DejaVu Sans,11'"
#define SVG_TERM "set terminal svg size 1000,620 dynamic font 'DejaVu Sans,11'"

/* Limits on what a result may ask for (far above what capexsim writes). */
#define PLOT_MAX_BYTES (64L << 20)   /* size of the result file */
#define PLOT_MAX_BINS 10000          /* histogram bins */
#define PLOT_MAX_QUARTERS 1000       /* fan chart quarters */
#define PLOT_MAX_POINTS 100000       /* sweep points (the scenario's own limit) */
#define PLOT_MAX_LINES 100           /* values of a sweep's second axis: lines in one plot */
#define PLOT_MAX_ROWS 100000         /* tornado and Sobol rows */

typedef struct plotter {
    char tmp[256];     /* temporary directory ("" when none) */
    const char *out;   /* output directory */
    const cx_plot_opts *opts;
    int written;
    char *err;
    size_t err_len;
    char who[200];     /* "meta-2026h1, 10000 paths[, partial]": every title's second line */
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
    if (!f)
        cx_set_err(p->err, p->err_len, "plot: cannot write %s: %s", path, strerror(errno));
    return f;
}

/* Closes a data file; a write error (a full disk) is an I/O error. */
static int tmp_close(plotter *p, FILE *f, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        cx_set_err(p->err, p->err_len, "plot: cannot write %s", path);
        return CX_ERR_IO;
    }
    return 0;
}

/* Removes everything in the temporary directory (only plot's own files are there), then
 * the directory itself. */
static void tmp_cleanup(plotter *p)
{
    if (!p->tmp[0])
        return;
    DIR *d = opendir(p->tmp);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(p->tmp);
    p->tmp[0] = '\0';
}

static bool interrupted(const plotter *p)
{
    return p->opts && p->opts->interrupt && atomic_load(p->opts->interrupt);
}

/* A path that may go between gnuplot's single quotes: no quote, no control character. */
static bool safe_path(const char *s)
{
    for (; *s; s++)
        if (*s == '\'' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool file_ok(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

/*
 * gnuplot's environment: ours with the locale forced to C.UTF-8, so that `set encoding utf8`
 * matches the locale whatever LANG says (no "iconv failed" warnings) and numbers read the
 * same everywhere. NULL when out of memory; the caller frees the array only.
 */
static char **gnuplot_env(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = malloc((n + 2) * sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LC_", 3) != 0 && strncmp(environ[i], "LANG=", 5) != 0 &&
            strncmp(environ[i], "LANGUAGE=", 9) != 0)
            env[k++] = environ[i];
    env[k++] = (char *)"LC_ALL=C.UTF-8";
    env[k] = NULL;
    return env;
}

/* Waits for gnuplot; on an interrupt it is stopped (SIGTERM) and reaped. */
static int wait_gnuplot(plotter *p, pid_t pid, int *status)
{
    bool killed = false;
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR) {
            cx_set_err(p->err, p->err_len, "plot: waitpid: %s", strerror(errno));
            return CX_ERR_INTERNAL;
        }
        if (interrupted(p) && !killed) {
            kill(pid, SIGTERM);
            killed = true;
        }
    }
    if (killed || interrupted(p)) {
        cx_set_err(p->err, p->err_len, "plot: interrupted");
        return CX_ERR_INTERRUPTED;
    }
    return 0;
}

/*
 * Runs `gnuplot SCRIPT` and checks that NAME.png and NAME.svg came out. The script is the
 * body; this adds the terminal and output lines for both formats around it. With a script
 * hook in the options the hook sees the script instead and gnuplot is not run.
 */
static int render(plotter *p, const char *name, const char *body)
{
    char spath[512], png[512], svg[512];
    if (interrupted(p)) {
        cx_set_err(p->err, p->err_len, "plot: interrupted");
        return CX_ERR_INTERRUPTED;
    }
    snprintf(png, sizeof png, "%s/%s.png", p->out, name);
    snprintf(svg, sizeof svg, "%s/%s.svg", p->out, name);
    /* gnuplot opens its outputs as they are: never through a link, into a FIFO or a device */
    for (int k = 0; k < 2; k++) {
        struct stat st;
        const char *o = k ? svg : png;
        if (lstat(o, &st) == 0 && !S_ISREG(st.st_mode)) {
            cx_set_err(p->err, p->err_len, "plot: %s exists and is not a regular file (a link, "
                    "a FIFO, a device or a folder); plot writes only regular files", o);
            return CX_ERR_USAGE;
        }
    }
    char sname[80];
    snprintf(sname, sizeof sname, "%s.gp", name);
    FILE *f = tmp_open(p, sname, spath, sizeof spath);
    if (!f)
        return CX_ERR_IO;
    fprintf(f, "set encoding utf8\n%s\nset output '%s'\n%s\nunset output\n", PNG_TERM, png,
            body);
    fprintf(f, "%s\nset output '%s'\n%s\nunset output\n", SVG_TERM, svg, body);
    int rc = tmp_close(p, f, spath);
    if (rc)
        return rc;
    if (p->opts && p->opts->script_hook) {
        if ((rc = p->opts->script_hook(p->opts->hook_ctx, name, spath)) < 0) {
            cx_set_err(p->err, p->err_len, "plot: the script hook refused %s", name);
            return rc;
        }
        p->written += 2;
        return 0;
    }
    char *argv[] = {"gnuplot", spath, NULL};
    char **env = gnuplot_env();
    if (!env) {
        cx_set_err(p->err, p->err_len, "plot: out of memory");
        return CX_ERR_NOMEM;
    }
    pid_t pid;
    rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, env);
    free(env);
    if (rc != 0) {
        cx_set_err(p->err, p->err_len,
                "plot: cannot run gnuplot (%s): install it (Debian package gnuplot-nox)",
                strerror(rc));
        return CX_ERR_INTERNAL;
    }
    int status;
    if ((rc = wait_gnuplot(p, pid, &status)) != 0)
        return rc;
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

/*
 * A string from the JSON made fit for a gnuplot string in single or double quotes and for a
 * quoted column of a data file: printable ASCII only; quotes, backslashes, backquotes, '@',
 * '$' and '%' are dropped and any other byte (a newline, an escape, UTF-8) becomes '?'.
 * So no data string can close a string, start a line, substitute a command or a macro, or
 * be read as a format.
 */
static void label(char *dst, size_t len, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 1 < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x20 || c > 0x7e)
            dst[j++] = '?';
        else if (!strchr("\"'\\`@$%", c))
            dst[j++] = (char)c;
    }
    dst[j] = '\0';
}

/* A long input name shortened in the middle to at most max characters ("supply.tra...year"),
 * so a chart's labels stay readable and its plot area wide (issue 22). */
static void shorten(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max || max < 8)
        return;
    size_t tail = (max - 3) / 2, head = max - 3 - tail;
    memmove(s + head + 3, s + n - tail, tail + 1);
    memcpy(s + head, "...", 3);
}

/* The unit of a metric for an axis label: " ($B)", " (GW)", ... ("" when unitless). */
static const char *metric_unit(const char *metric)
{
    if (!strncmp(metric, "revenue", 7) || !strcmp(metric, "capex_burden") ||
        !strcmp(metric, "committed_cost"))
        return " ($B)";
    if (!strncmp(metric, "idle_gw", 7) || !strcmp(metric, "oversold_gw_peak"))
        return " (GW)";
    if (!strcmp(metric, "msl_shortfall"))
        return " (GW-years)";
    if (!strncmp(metric, "deals_", 6))
        return " (count)";
    return "";
}

/* Every chart's second title line: the scenario, the paths (base samples, paths a point),
 * and "partial" when the run was stopped (issue 22). */
static void who_line(char *dst, size_t len, const json_t *doc)
{
    char sc[120] = "";
    const char *name = json_string_value(json_object_get(doc, "scenario"));
    label(sc, sizeof sc, name ? name : "");
    const char *study = json_string_value(json_object_get(doc, "study"));
    const json_t *n = json_object_get(doc, "paths");
    const char *what = "paths";
    if (study && !strcmp(study, "sobol")) {
        n = json_object_get(doc, "base_samples");
        what = "base samples";
    } else if (study && !strcmp(study, "sweep")) {
        what = "paths a point";
    } else if (study && !strcmp(study, "batch")) {
        what = "paths each";
    } else if (study && !strcmp(study, "shapley")) {
        n = json_object_get(json_object_get(doc, "sizes"), "permutations");
        what = "permutations";
    } else if (study && !strcmp(study, "optimize")) {
        /* issue 21: the search sample, then the fresh-seed check's paths */
        const json_t *cp = json_object_get(doc, "check_paths");
        snprintf(dst, len, "%s%s%lld search paths, %lld check paths%s", sc, sc[0] ? ", " : "",
                 (long long)(json_is_integer(n) ? json_integer_value(n) : 0),
                 (long long)(json_is_integer(cp) ? json_integer_value(cp) : 0),
                 json_is_false(json_object_get(doc, "complete")) ? ", partial" : "");
        return;
    }
    snprintf(dst, len, "%s%s%lld %s%s", sc, sc[0] ? ", " : "",
             (long long)(json_is_integer(n) ? json_integer_value(n) : 0), what,
             json_is_false(json_object_get(doc, "complete")) ? ", partial" : "");
}

/* The size of a JSON array, or a message and -1 when it is larger than max. */
static long bounded(plotter *p, const json_t *arr, size_t max, const char *what)
{
    size_t n = json_array_size(arr);
    if (n > max) {
        cx_set_err(p->err, p->err_len, "plot: %s has %zu entries; plot reads at most %zu", what,
                n, max);
        return -1;
    }
    return (long)n;
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
        long n_edges = bounded(p, edges, PLOT_MAX_BINS + 1, "a histogram's edges");
        long n_counts = n_edges < 0 ? -1 : bounded(p, counts, PLOT_MAX_BINS, "a histogram's counts");
        if (n_edges < 0 || n_counts < 0) {
            fclose(f);
            return CX_ERR_CONFIG;
        }
        double total = 0;
        for (size_t i = 0; i < (size_t)n_counts; i++)
            total += json_number_value(json_array_get(counts, i));
        double below = jnum(h, "below"), above = jnum(h, "above");
        total += (isfinite(below) ? below : 0) + (isfinite(above) ? above : 0);
        for (size_t i = 0; i + 1 < (size_t)n_edges && i < (size_t)n_counts; i++) {
            double a = json_number_value(json_array_get(edges, i));
            double b = json_number_value(json_array_get(edges, i + 1));
            double c = json_number_value(json_array_get(counts, i));
            if (b > a && total > 0 && isfinite(c / total / (b - a))) {
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
            if (w > 1e-12 * (fabs(v[k]) + 1) && isfinite(w) && isfinite(v[k])) {
                fprintf(f, "%.17g %.17g %.17g\n", (v[k] + v[k + 1]) / 2, w, (q[k + 1] - q[k]) / w);
                rows++;
            }
        }
        how = "density from the reported percentiles";
    }
    if (rows == 0) {
        /* Every path gave the same value: a single bar of unit height. */
        double c = isfinite(p50) ? p50 : 0.0;
        double w = fabs(c) > 0 ? fabs(c) * 0.02 : 1.0;
        fprintf(f, "%.17g %.17g 1\n", c, w);
    }
    int rc = tmp_close(p, f, dpath);
    if (rc)
        return rc;
    /* The P5, P50 and P95 markers, each only when the result gives it as a finite number. */
    char marks[1024] = "";
    static const char *const mk_name[3] = {"P5", "P50", "P95"};
    static const char *const mk_color[3] = {"#c0392b", "#000000", "#c0392b"};
    static const char *const mk_dash[3] = {"dt 2 ", "", "dt 2 "};
    const double mk_at[3] = {p5, p50, p95};
    for (int k = 0; k < 3; k++) {
        if (!isfinite(mk_at[k]))
            continue;
        size_t used = strlen(marks);
        snprintf(marks + used, sizeof marks - used,
                 "set arrow %d from %.17g, graph 0 to %.17g, graph 1 nohead lc rgb '%s' %slw 2\n"
                 "set label %d '%s %.4g' at %.17g, graph %.2f %s offset %d,0 tc rgb '%s' front boxed\n",
                 k + 1, mk_at[k], mk_at[k], mk_color[k], mk_dash[k], k + 1, mk_name[k],
                 mk_at[k], mk_at[k], 0.95 - 0.07 * k, k == 2 ? "right" : "left",
                 k == 2 ? -1 : 1, mk_color[k]);
    }
    char body[4096];
    snprintf(body, sizeof body,
             "set title \"%s\\n%s; %s\" noenhanced\n"
             "set xlabel '%s'\nset ylabel 'density (share of paths per $B)'\nset grid ytics\n"
             "set key top right\nset style textbox opaque noborder margins 1,1\n"
             "set style fill solid 0.55 border rgb '#1f4e79'\nset yrange [0:*]\nset offsets 0,0,graph 0.25,0\n"
             "%s"
             "plot '%s' using 1:3:2 with boxes lc rgb '#5b9bd5' title 'paths'\n",
             title, p->who, how, unit, marks, dpath);
    return render(p, name, body);
}

/* ---- run: quarterly fan charts ---- */

static int plot_fan(plotter *p, const json_t *doc, const char *series, const char *name,
                    const char *title, const char *unit)
{
    const json_t *arr = json_object_get(json_object_get(doc, "quarters"), series);
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    if (bounded(p, arr, PLOT_MAX_QUARTERS, "a quarterly series") < 0)
        return CX_ERR_CONFIG;
    char dpath[512], dname[80];
    snprintf(dname, sizeof dname, "%s.dat", name);
    FILE *f = tmp_open(p, dname, dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    size_t rows = 0;
    /* MODEL.md, Calendar: a run with `start` labels its quarters ("2026Q3"); the axis shows
     * them in place of the numbers */
    bool cal = json_is_string(json_object_get(json_array_get(arr, 0), "label"));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *q = json_array_get(arr, i);
        double p5 = jnum(q, "p5"), p50 = jnum(q, "p50"), p95 = jnum(q, "p95");
        if (!isfinite(p5) || !isfinite(p50) || !isfinite(p95))
            continue; /* a quarter without its numbers is left out, not drawn at 0 */
        fprintf(f, "%zu %.17g %.17g %.17g %.17g", i + 1, p5, p50, p95, jnum(q, "mean"));
        if (cal) {
            const char *s = json_string_value(json_object_get(q, "label"));
            char lab[64];
            label(lab, sizeof lab, s ? s : "?");
            fprintf(f, " \"%s\"", lab);
        }
        fputc('\n', f);
        rows++;
    }
    int rc = tmp_close(p, f, dpath);
    if (rc || rows == 0)
        return rc; /* no quarter with numbers: nothing to draw */
    char body[4096];
    if (cal)
        snprintf(body, sizeof body,
                 "set title \"%s\\n%s\" noenhanced\nset xlabel 'quarter (3 months from month 0)'\n"
                 "set ylabel '%s'\nset grid\nset key top left\nset xtics rotate by -45 noenhanced\n"
                 "set xrange [0.5:%zu.5]\n"
                 "plot '%s' using 1:2:4 with filledcurves lc rgb '#9ecae1' fs solid 0.6 title 'P5 to P95', \\\n"
                 "     '' using 1:3:xtic(6) with linespoints lw 2 pt 7 ps 0.6 lc rgb '#08519c' title 'median', \\\n"
                 "     '' using 1:5 with lines lw 1.5 dt 2 lc rgb '#e6550d' title 'mean'\n",
                 title, p->who, unit, json_array_size(arr), dpath);
    else
        snprintf(body, sizeof body,
                 "set title \"%s\\n%s\" noenhanced\nset xlabel 'quarter (1 = months 0 to 2)'\nset ylabel '%s'\n"
                 "set grid\nset key top left\nset xtics 1\nset xrange [0.5:%zu.5]\n"
                 "plot '%s' using 1:2:4 with filledcurves lc rgb '#9ecae1' fs solid 0.6 title 'P5 to P95', \\\n"
                 "     '' using 1:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#08519c' title 'median', \\\n"
                 "     '' using 1:5 with lines lw 1.5 dt 2 lc rgb '#e6550d' title 'mean'\n",
                 title, p->who, unit, json_array_size(arr), dpath);
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
    if (!isfinite(mean)) {
        cx_set_err(p->err, p->err_len, "plot: the tornado's \"mean\" is not a finite number");
        return CX_ERR_CONFIG;
    }
    char dpath[512];
    FILE *f = tmp_open(p, "tornado.dat", dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    /* Rank 1 on top: y = n - i. Columns: y, low mean, high mean, name. */
    size_t widest = 8, drawn = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(rows, i);
        const char *nm = json_string_value(json_object_get(r, "input"));
        char lab[160];
        label(lab, sizeof lab, nm ? nm : "?");
        shorten(lab, 34);
        if (strlen(lab) > widest)
            widest = strlen(lab);
        double lo = jnum(r, "mean_low"), hi = jnum(r, "mean_high");
        if (!isfinite(lo) || !isfinite(hi))
            continue; /* the row keeps its place, without a bar */
        fprintf(f, "%zu %.17g %.17g \"%s\"\n", n - i, lo, hi, lab);
        drawn++;
    }
    int rc = tmp_close(p, f, dpath);
    if (rc)
        return rc;
    if (drawn == 0) {
        cx_set_err(p->err, p->err_len, "plot: no tornado row has finite mean_low and mean_high");
        return CX_ERR_CONFIG;
    }
    char metric[80];
    const char *ms = json_string_value(json_object_get(doc, "metric"));
    label(metric, sizeof metric, ms ? ms : "metric");
    char body[4096];
    snprintf(body, sizeof body,
             "set title \"Tornado: mean %s when each input is in its lowest or highest decile\\n%s\" noenhanced\n"
             "set xlabel '%s%s, mean over the paths in the decile' noenhanced\nunset ylabel\n"
             "set ytics nomirror noenhanced\nset grid xtics\nset key below horizontal\n"
             "set yrange [0.3:%zu.7]\nset style fill solid 0.8 noborder\n"
             "set arrow 1 from %.17g, graph 0 to %.17g, graph 1 nohead lc rgb 'black' lw 1.5\n"
             "set lmargin %zu\n"
             "plot '%s' using ((%.17g+$2)/2):1:(abs($2-%.17g)/2):(0.36):ytic(4) with boxxyerror lc rgb '#2b8cbe' title 'lowest decile', \\\n"
             "     '' using ((%.17g+$3)/2):1:(abs($3-%.17g)/2):(0.36) with boxxyerror lc rgb '#e34a33' title 'highest decile'\n",
             metric, p->who, metric, metric_unit(metric), n, mean, mean, widest + 3, dpath, mean,
             mean, mean, mean);
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
    if (bounded(p, rows, PLOT_MAX_ROWS, "the Sobol indices") < 0)
        return CX_ERR_CONFIG;
    sobol_row *r = calloc(n, sizeof *r);
    if (!r)
        return CX_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(rows, i);
        const json_t *c1 = json_object_get(o, "s1_ci95"), *ct = json_object_get(o, "st_ci95");
        const char *nm = json_string_value(json_object_get(o, "input"));
        label(r[i].lab, sizeof r[i].lab, nm ? nm : "?");
        shorten(r[i].lab, 34);
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
    free(r);
    int rc = tmp_close(p, f, dpath);
    if (rc)
        return rc;
    char metric[80];
    const char *ms = json_string_value(json_object_get(doc, "metric"));
    label(metric, sizeof metric, ms ? ms : "metric");
    char body[4096];
    snprintf(body, sizeof body,
             "set title \"Sobol indices of %s: the %zu largest total effects (bars: 95%% CI)\\n%s\" noenhanced\n"
             "set xlabel 'share of the variance of %s (0 to 1)' noenhanced\nunset ylabel\n"
             "set ytics nomirror noenhanced\nset grid xtics\nset key below horizontal\n"
             "set yrange [0.4:%zu.6]\nset xrange [*:*]\nset style fill solid 0.8 noborder\n"
             "set lmargin %zu\n"
             "plot '%s' using ($5/2):($1-0.19):($5/2):(0.17):ytic(8) with boxxyerror lc rgb '#fd8d3c' title 'total effect ST', \\\n"
             "     '' using ($2/2):($1+0.19):($2/2):(0.17) with boxxyerror lc rgb '#3182bd' title 'first order S1', \\\n"
             "     '' using 5:($1-0.19):6:7 with xerrorbars lc rgb 'black' pt -1 notitle, \\\n"
             "     '' using 2:($1+0.19):3:4 with xerrorbars lc rgb 'black' pt -1 notitle\n",
             metric, shown, p->who, metric, shown, widest + 3, dpath);
    return render(p, "sobol", body);
}

/* ---- Shapley effects (the rows come ranked by share) ---- */

/* Horizontal bars, the 15 largest shares on top, with their 95% CIs. */
static int plot_shapley(plotter *p, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "indices");
    const size_t n = json_array_size(rows), shown = n > 15 ? 15 : n;
    if (n == 0) {
        cx_set_err(p->err, p->err_len, "plot: the Shapley result has no indices");
        return CX_ERR_CONFIG;
    }
    if (bounded(p, rows, PLOT_MAX_ROWS, "the Shapley effects") < 0)
        return CX_ERR_CONFIG;
    char dpath[512], lab[160];
    size_t widest = 8;
    FILE *f = tmp_open(p, "shapley.dat", dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    for (size_t i = 0; i < shown; i++) {
        const json_t *o = json_array_get(rows, i), *ci = json_object_get(o, "ci95");
        const char *nm = json_string_value(json_object_get(o, "name"));
        label(lab, sizeof lab, nm ? nm : "?");
        widest = strlen(lab) > widest ? strlen(lab) : widest;
        const double sh = jnum(o, "shapley");
        fprintf(f, "%zu %.17g %.17g %.17g \"%s\"\n", shown - i, isnan(sh) ? 0 : sh,
                ci_end(ci, 0, sh), ci_end(ci, 1, sh), lab);
    }
    int rc = tmp_close(p, f, dpath);
    if (rc)
        return rc;
    char metric[80];
    const char *ms = json_string_value(json_object_get(doc, "metric"));
    label(metric, sizeof metric, ms ? ms : "metric");
    char body[4096];
    snprintf(body, sizeof body,
             "set title \"Shapley effects on %s: the %zu largest (bars: 95%% CI)\\n%s\" noenhanced\n"
             "set xlabel 'share of the variance of %s' noenhanced\nunset ylabel\n"
             "set ytics nomirror noenhanced\nset grid xtics\nunset key\n"
             "set yrange [0.4:%zu.6]\nset xrange [*:*]\nset style fill solid 0.8 noborder\n"
             "set lmargin %zu\n"
             "plot '%s' using ($2/2):1:($2/2):(0.34):ytic(5) with boxxyerror lc rgb '#756bb1', \\\n"
             "     '' using 2:1:3:4 with xerrorbars lc rgb 'black' pt -1\n",
             metric, shown, p->who, metric, shown, widest + 3, dpath);
    return render(p, "shapley", body);
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
    if (na > 2) {
        cx_set_err(p->err, p->err_len, "plot: a sweep has one or two axes, got %zu", na);
        return CX_ERR_CONFIG;
    }
    const json_t *zvals = na > 1 ? json_object_get(json_array_get(axes, 1), "values") : NULL;
    if (bounded(p, pts, PLOT_MAX_POINTS, "the sweep's points") < 0 ||
        (zvals && bounded(p, zvals, PLOT_MAX_LINES, "the sweep's second axis (one line each)") < 0))
        return CX_ERR_CONFIG;
    const char *xname = json_string_value(json_object_get(json_array_get(axes, 0), "name"));
    const char *zname =
        na > 1 ? json_string_value(json_object_get(json_array_get(axes, 1), "name")) : NULL;
    char name[96], dname[112], dpath[512];
    snprintf(name, sizeof name, "sweep_%s", metric);
    snprintf(dname, sizeof dname, "%s.dat", name);
    FILE *f = tmp_open(p, dname, dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    /* One gnuplot data set (blank-line separated) per value of the second axis: at most
     * PLOT_MAX_LINES passes over at most PLOT_MAX_POINTS points. */
    size_t n2 = zvals ? json_array_size(zvals) : 1, rows = 0;
    if (n2 == 0)
        n2 = 1;
    for (size_t s = 0; s < n2; s++) {
        double zv = zvals ? json_number_value(json_array_get(zvals, s)) : 0;
        for (size_t i = 0; i < np; i++) {
            const json_t *pt = json_array_get(pts, i);
            const json_t *vals = json_object_get(pt, "values");
            if (na > 1 && json_number_value(json_array_get(vals, 1)) != zv)
                continue;
            const json_t *m = json_object_get(json_object_get(pt, "metrics"), metric);
            const json_t *x = json_array_get(vals, 0);
            double mean = jnum(m, "mean");
            if (!json_is_number(x) || !isfinite(mean))
                continue; /* a point without its numbers is left out */
            fprintf(f, "%.17g %.17g %.17g %.17g %.17g\n", json_number_value(x), mean,
                    jnum(m, "p5"), jnum(m, "p50"), jnum(m, "p95"));
            rows++;
        }
        fprintf(f, "\n\n");
    }
    int rc = tmp_close(p, f, dpath);
    if (rc)
        return rc;
    if (rows == 0) {
        cx_set_err(p->err, p->err_len, "plot: no sweep point has a value and a finite mean of %s",
                metric);
        return CX_ERR_CONFIG;
    }
    char xl[160], zl[160], ml[80];
    label(xl, sizeof xl, xname ? xname : "value");
    label(zl, sizeof zl, zname ? zname : "");
    label(ml, sizeof ml, metric);
    char body[8192];
    if (na > 1) {
        /* The legend needs the second axis's values as words: numbers only (%.6g). */
        char words[PLOT_MAX_LINES * 16 + 1] = "";
        size_t used = 0;
        for (size_t s = 0; s < n2; s++) {
            int k = snprintf(words + used, sizeof words - used, "%s%.6g", s ? " " : "",
                             json_number_value(json_array_get(zvals, s)));
            if (k < 0 || (size_t)k >= sizeof words - used)
                break;
            used += (size_t)k;
        }
        snprintf(body, sizeof body,
                 "set title \"Sweep: mean %s (dashed: P5 and P95), one line per %s\\n%s\" noenhanced\n"
                 "set xlabel '%s' noenhanced\nset ylabel '%s%s' noenhanced\nset grid\nset key outside right noenhanced\n"
                 "plot for [i=0:%zu] '%s' index i using 1:2 with linespoints lw 2 pt 7 lc i+1 title ('%s = '.word('%s', i+1)), \\\n"
                 "     for [i=0:%zu] '' index i using 1:3 with lines dt 2 lc i+1 notitle, \\\n"
                 "     for [i=0:%zu] '' index i using 1:5 with lines dt 2 lc i+1 notitle\n",
                 ml, zl, p->who, xl, ml, metric_unit(metric), n2 - 1, dpath, zl, words, n2 - 1,
                 n2 - 1);
    } else {
        snprintf(body, sizeof body,
                 "set title \"Sweep of %s: %s (common random numbers)\\n%s\" noenhanced\n"
                 "set xlabel '%s' noenhanced\nset ylabel '%s%s' noenhanced\nset grid\nset key top left\n"
                 "plot '%s' using 1:3:5 with filledcurves lc rgb '#c6dbef' fs solid 0.7 title 'P5 to P95', \\\n"
                 "     '' using 1:4 with linespoints lw 2 pt 7 lc rgb '#08519c' title 'median', \\\n"
                 "     '' using 1:2 with linespoints lw 1.5 dt 2 pt 5 lc rgb '#e6550d' title 'mean'\n",
                 xl, ml, p->who, xl, ml, metric_unit(metric), dpath);
    }
    return render(p, name, body);
}

/* ---- optimize (issue 21): the efficient frontier, and the best point against the others ---- */

/* Most statistics in one chart of the best point: the objective and 8 constraints. */
#define PLOT_MAX_PANELS 9

/* A statistic's words and unit from its spec {metric, stat, threshold}: "p95 of capex_burden"
 * and " ($B)"; "P(capex_burden > 50)" and " (probability)" for p_exceed. */
static void stat_words(char *dst, size_t len, char *unit, size_t ulen, const json_t *spec)
{
    char m[80], s[24];
    const char *ms = json_string_value(json_object_get(spec, "metric"));
    const char *ss = json_string_value(json_object_get(spec, "stat"));
    label(m, sizeof m, ms ? ms : "metric");
    label(s, sizeof s, ss ? ss : "statistic");
    if (ss && !strcmp(ss, "p_exceed")) {
        snprintf(dst, len, "P(%s > %.6g)", m, jnum(spec, "threshold"));
        snprintf(unit, ulen, " (probability)");
    } else {
        snprintf(dst, len, "%s of %s", s, m);
        snprintf(unit, ulen, "%s", metric_unit(m));
    }
}

/* A {value, ci95} object: the value and its CI's ends (the value where there is no CI, as in
 * an interrupted result). */
static void ci_of(const json_t *c, double *v, double *lo, double *hi)
{
    *v = jnum(c, "value");
    const json_t *ci = json_object_get(c, "ci95");
    *lo = ci_end(ci, 0, *v);
    *hi = ci_end(ci, 1, *v);
}

/* A constraint's bound and whether it is an upper one ("max"); NaN when it has neither. */
static double con_bound(const json_t *c, bool *upper)
{
    *upper = json_object_get(c, "max") != NULL;
    return jnum(c, *upper ? "max" : "min");
}

/*
 * The efficient frontier (issue 21, item 4): at each level of the first constraint's bound,
 * the objective of that level's optimum with its fresh-seed 95% CI as an error bar; the best
 * point (solved at the scenario's own bound) marked. Levels where no feasible point was found
 * are left out. Nothing to draw without a frontier.
 */
static int plot_frontier(plotter *p, const json_t *doc)
{
    const json_t *fr = json_object_get(doc, "frontier");
    long n = bounded(p, fr, PLOT_MAX_POINTS, "the frontier");
    if (n <= 0)
        return n < 0 ? CX_ERR_CONFIG : 0;
    const json_t *pb = json_object_get(doc, "problem");
    const json_t *c0 = json_array_get(json_object_get(pb, "constraints"), 0);
    char dpath[512];
    FILE *f = tmp_open(p, "optimize_frontier.dat", dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    /* index 0: the levels; index 1: the best point at the scenario's bound */
    size_t rows = 0;
    double v, lo, hi;
    for (size_t i = 0; i < (size_t)n; i++) {
        const json_t *pt = json_array_get(fr, i);
        double b = jnum(pt, "bound");
        ci_of(json_object_get(pt, "objective"), &v, &lo, &hi);
        if (json_is_false(json_object_get(pt, "found")) || !isfinite(b) || !isfinite(v))
            continue;
        fprintf(f, "%.17g %.17g %.17g %.17g\n", b, v, lo, hi);
        rows++;
    }
    fprintf(f, "\n\n");
    bool upper;
    double b0 = con_bound(c0, &upper);
    ci_of(json_object_get(json_object_get(doc, "best"), "objective"), &v, &lo, &hi);
    bool best = isfinite(b0) && isfinite(v);
    if (best)
        fprintf(f, "%.17g %.17g %.17g %.17g\n", b0, v, lo, hi);
    int rc = tmp_close(p, f, dpath);
    if (rc)
        return rc;
    if (rows == 0) {
        cx_set_err(p->err, p->err_len,
                   "plot: no frontier level has a feasible point with a finite bound and objective");
        return CX_ERR_CONFIG;
    }
    char ow[160], ou[32], cw[160], cu[32];
    const json_t *obj = json_object_get(pb, "objective");
    stat_words(ow, sizeof ow, ou, sizeof ou, obj);
    stat_words(cw, sizeof cw, cu, sizeof cu, c0);
    const char *sense = json_string_value(json_object_get(obj, "sense"));
    bool maxi = !sense || strcmp(sense, "min") != 0;
    char body[4096];
    int len = snprintf(
        body, sizeof body,
        "set title \"Efficient frontier: %s, %s, against the bound on %s\\n%s; bars: fresh-seed 95%% CIs\" noenhanced\n"
        "set xlabel 'bound on %s%s: the statistic at %s this' noenhanced\n"
        "set ylabel '%s%s at the optimum' noenhanced\nset grid\nset key %s noenhanced\n"
        "set offsets graph 0.05, graph 0.05, graph 0.1, graph 0.1\n"
        "plot '%s' index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 1.2 lc rgb '#08519c' title 'optimum at each bound'",
        ow, maxi ? "maximised" : "minimised", cw, p->who, cw, cu, upper ? "most" : "least", ow,
        ou, upper == maxi ? "bottom right" : "bottom left", dpath);
    if (best && len > 0 && (size_t)len < sizeof body)
        snprintf(body + len, sizeof body - (size_t)len,
                 ", \\\n     '' index 1 using 1:2:3:4 with yerrorbars pt 3 ps 2.6 lw 2 lc rgb '#e6550d' title 'best point, at the scenario bound'\n");
    else if (len > 0 && (size_t)len < sizeof body - 1)
        strcat(body, "\n");
    return render(p, "optimize_frontier", body);
}

/* One panel's data of the best-point chart: baseline, best and runner-up (x 1, 2, 3) of
 * statistic k (0: the objective, 1 + j: constraint j), each "x value lo hi". @return rows. */
static int opt_panel_rows(FILE *f, const json_t *doc, int k, double *ymin, double *ymax)
{
    *ymin = INFINITY;
    *ymax = -INFINITY;
    static const char *const pts[3] = {"baseline", "best", "runner_up"};
    int rows = 0;
    for (int i = 0; i < 3; i++) {
        const json_t *pt = json_object_get(doc, pts[i]);
        const json_t *c = k == 0 ? json_object_get(pt, "objective")
                                 : json_array_get(json_object_get(pt, "constraints"),
                                                  (size_t)k - 1);
        double v, lo, hi;
        ci_of(c, &v, &lo, &hi);
        if (!isfinite(v))
            continue;
        fprintf(f, "%d %.17g %.17g %.17g\n", i + 1, v, lo, hi);
        *ymin = fmin(*ymin, fmin(v, lo));
        *ymax = fmax(*ymax, fmax(v, hi));
        rows++;
    }
    if (rows == 0) /* a placeholder, so that the data sets keep their numbers (no panel) */
        fprintf(f, "0 0 0 0\n");
    fprintf(f, "\n\n");
    return rows;
}

/* Panel k of the best-point chart (0: the objective, 1 + j: constraint j with its bound as a
 * dashed line) as script lines into buf. @return snprintf's count. */
static int opt_panel(char *buf, size_t len, const json_t *doc, size_t k, const char *dpath,
                     bool checked, double ymin, double ymax)
{
    const json_t *pb = json_object_get(doc, "problem");
    const json_t *spec = k == 0 ? json_object_get(pb, "objective")
                                : json_array_get(json_object_get(pb, "constraints"), k - 1);
    char w[160], u[32], t[256], b[96] = "";
    stat_words(w, sizeof w, u, sizeof u, spec);
    bool upper = false;
    double bound = k ? con_bound(spec, &upper) : NAN;
    if (k == 0) {
        const char *s = json_string_value(json_object_get(spec, "sense"));
        snprintf(t, sizeof t, "objective: %s, %s", w,
                 s && !strcmp(s, "min") ? "minimised" : "maximised");
    } else {
        const json_t *bc = json_array_get(
            json_object_get(json_object_get(doc, "best"), "constraints"), k - 1);
        snprintf(t, sizeof t, "%s %s %.6g%s", w, upper ? "<=" : ">=", bound,
                 !checked                                  ? ""
                 : json_is_true(json_object_get(bc, "holds")) ? "\\nholds at the best point"
                                                              : "\\nnot met with 95% confidence at the best point");
    }
    if (isfinite(bound)) {
        snprintf(b, sizeof b, ", %.17g with lines dt 2 lw 1.5 lc rgb '#c0392b'", bound);
        ymin = fmin(ymin, bound);
        ymax = fmax(ymax, bound);
    }
    /* every value the same (a constraint that cannot move): a range around it, so gnuplot
     * need not widen an empty one itself (with a warning) */
    char yr[96] = "set yrange [*:*]";
    if (!(ymax > ymin)) {
        double h = fabs(ymin) > 0 ? 0.1 * fabs(ymin) : 1.0;
        snprintf(yr, sizeof yr, "set yrange [%.17g:%.17g]", ymin - h, ymin + h);
    }
    char m[80];
    const char *ms = json_string_value(json_object_get(spec, "metric"));
    label(m, sizeof m, ms ? ms : "metric");
    return snprintf(buf, len,
                    "set title \"%s\" noenhanced\nset ylabel '%s%s' noenhanced\n%s\n"
                    "plot '%s' index %zu using 1:2:3:4 with yerrorbars pt 7 ps 1.4 lw 2 lc rgb '#08519c'%s\n",
                    t, m, u, yr, dpath, k, b);
}

/*
 * The best point against the baseline (the scenario's own decisions) and the runner-up: one
 * panel per statistic, the objective first, then each constraint with its bound dashed; each
 * value with its fresh-seed 95% CI.
 */
static int plot_opt_best(plotter *p, const json_t *doc)
{
    const json_t *pb = json_object_get(doc, "problem");
    const json_t *cons = json_object_get(pb, "constraints");
    size_t np = 1 + json_array_size(cons);
    if (np > PLOT_MAX_PANELS)
        np = PLOT_MAX_PANELS; /* the schema allows 8 constraints */
    char dpath[512];
    FILE *f = tmp_open(p, "optimize_best.dat", dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    int drawn[PLOT_MAX_PANELS];
    double ymin[PLOT_MAX_PANELS], ymax[PLOT_MAX_PANELS];
    for (size_t k = 0; k < np; k++)
        drawn[k] = opt_panel_rows(f, doc, (int)k, &ymin[k], &ymax[k]);
    int rc = tmp_close(p, f, dpath);
    if (rc)
        return rc;
    if (drawn[0] == 0) {
        cx_set_err(p->err, p->err_len, "plot: the optimize result has no finite objective");
        return CX_ERR_CONFIG;
    }
    /* a statistic no point has a value of gets no panel */
    size_t shown = 0;
    for (size_t k = 0; k < np; k++)
        shown += drawn[k] > 0;
    size_t cols = shown < 3 ? shown : 3, lines = (shown + cols - 1) / cols;
    bool checked = json_is_object(json_object_get(doc, "paired_difference"));
    char body[16384];
    size_t len = (size_t)snprintf(
        body, sizeof body,
        "set multiplot layout %zu,%zu title \"Optimize: the best point against the baseline (the scenario's decisions) and the runner-up\\n%s; %s\" noenhanced\n"
        "set xtics ('baseline' 1, 'best' 2, 'runner-up' 3)\nset xrange [0.5:3.5]\nset grid ytics\n"
        "unset key\nset offsets 0, 0, graph 0.15, graph 0.15\n",
        lines, cols, p->who,
        checked ? "fresh-seed values, bars: 95% CIs" : "search-sample values (not checked)");
    for (size_t k = 0; k < np && len < sizeof body; k++) {
        if (!drawn[k])
            continue;
        int w = opt_panel(body + len, sizeof body - len, doc, k, dpath, checked, ymin[k], ymax[k]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (len + 20 >= sizeof body) {
        cx_set_err(p->err, p->err_len, "plot: the optimize chart's script is too long");
        return CX_ERR_CONFIG;
    }
    strcat(body, "unset multiplot\n");
    return render(p, "optimize_best", body);
}

/* ---- batch and stress: burden CDFs overlaid (issue 14) ---- */

/* Writes the CDF of metric in run doc as "x F" rows: (min, 0), the histogram's edges with
 * their cumulative shares (else the reported percentiles), (max, 1). Returns the rows. */
static int cdf_rows(FILE *f, const json_t *doc, const char *metric)
{
    const json_t *m = json_object_get(json_object_get(doc, "metrics"), metric);
    if (!m)
        return 0;
    int rows = 0;
    double lo = jnum(m, "min"), hi = jnum(m, "max");
    if (isfinite(lo)) {
        fprintf(f, "%.17g 0\n", lo);
        rows++;
    }
    const json_t *h = json_object_get(json_object_get(doc, "histograms"), metric);
    const json_t *edges = json_object_get(h, "edges"), *counts = json_object_get(h, "counts");
    double total = jnum(h, "below") + jnum(h, "above");
    for (size_t i = 0; i < json_array_size(counts); i++)
        total += json_number_value(json_array_get(counts, i));
    /* at most PLOT_MAX_BINS bins from a result; more is read as no histogram */
    if (h && total > 0 && json_array_size(counts) <= PLOT_MAX_BINS &&
        json_array_size(edges) == json_array_size(counts) + 1) {
        double cum = jnum(h, "below");
        for (size_t i = 0; i < json_array_size(edges); i++) {
            if (i > 0)
                cum += json_number_value(json_array_get(counts, i - 1));
            fprintf(f, "%.17g %.17g\n", json_number_value(json_array_get(edges, i)), cum / total);
            rows++;
        }
    } else {
        const json_t *pc = json_object_get(m, "percentiles");
        for (int k = 0; k < 9; k++) {
            double v = jnum(pc, pct_keys[k]);
            if (isfinite(v)) {
                fprintf(f, "%.17g %.17g\n", v, pct_q[k]);
                rows++;
            }
        }
    }
    if (isfinite(hi)) {
        fprintf(f, "%.17g 1\n", hi);
        rows++;
    }
    return rows;
}

/* One CDF per run doc, overlaid, as NAME (labels: the runs' names, cleaned for gnuplot). */
static int plot_cdf_overlay(plotter *p, const json_t *const *docs, const char *const *labels,
                            size_t n, const char *name, const char *title)
{
    if (n == 0)
        return 0;
    char dpath[512], dname[80];
    snprintf(dname, sizeof dname, "%s.dat", name);
    FILE *f = tmp_open(p, dname, dpath, sizeof dpath);
    if (!f)
        return CX_ERR_IO;
    for (size_t i = 0; i < n; i++) {
        if (cdf_rows(f, docs[i], "capex_burden") == 0)
            fprintf(f, "0 0\n");
        fprintf(f, "\n\n");
    }
    fclose(f);
    char body[8192];
    int len = snprintf(body, sizeof body,
                       "set title \"%s\\n%s\" noenhanced\nset xlabel 'capex burden ($B)'\n"
                       "set ylabel 'P(burden <= x), share of paths'\nset grid\nset key bottom right noenhanced\n"
                       "set yrange [0:1]\nplot ",
                       title, p->who);
    for (size_t i = 0; i < n && len > 0 && (size_t)len < sizeof body; i++) {
        char l[120];
        label(l, sizeof l, labels[i] ? labels[i] : "run");
        len += snprintf(body + len, sizeof body - (size_t)len,
                        "%s'%s' index %zu using 1:2 with lines lw 2 lc %zu title \"%s\"",
                        i ? ", \\\n     " : "", dpath, i, i + 1, l);
    }
    if (len < 0 || (size_t)len >= sizeof body - 2) {
        cx_set_err(p->err, p->err_len, "plot: too many runs to overlay");
        return CX_ERR_CONFIG;
    }
    strcat(body, "\n");
    return render(p, name, body);
}

/* A batch: every run's burden CDF; a stress: baseline and stressed. */
static int plot_batch(plotter *p, const json_t *doc, bool stress)
{
    const json_t *docs[16];
    const char *labels[16];
    size_t n = 0;
    if (stress) {
        static const char *const keys[] = {"baseline", "stressed"};
        for (int i = 0; i < 2; i++)
            if (json_is_object(json_object_get(doc, keys[i]))) {
                docs[n] = json_object_get(doc, keys[i]);
                labels[n++] = keys[i];
            }
    } else {
        const json_t *runs = json_object_get(doc, "runs");
        for (size_t i = 0; i < json_array_size(runs) && n < 16; i++) {
            docs[n] = json_array_get(runs, i);
            labels[n] = json_string_value(json_object_get(docs[n], "scenario"));
            n++;
        }
    }
    if (n == 0) {
        cx_set_err(p->err, p->err_len, "plot: the %s result holds no run", stress ? "stress" : "batch");
        return CX_ERR_CONFIG;
    }
    char title[256];
    if (stress) {
        char c[120];
        label(c, sizeof c, json_string_value(json_object_get(doc, "case")) ? json_string_value(json_object_get(doc, "case")) : "");
        snprintf(title, sizeof title, "Stress case %s: capex burden CDF, baseline vs stressed", c);
    } else {
        snprintf(title, sizeof title, "Batch: capex burden CDF of each scenario (common random numbers)");
    }
    return plot_cdf_overlay(p, docs, labels, n, stress ? "stress_burden_cdf" : "batch_burden_cdf",
                            title);
}

/* ---- entry point ---- */

/* The result file into memory: a regular file of at most PLOT_MAX_BYTES (a FIFO or a
 * device could block or never end). */
static int read_result(const char *path, char **buf, size_t *len, char *err, size_t err_len)
{
    *buf = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        cx_set_err(err, err_len, "plot: %s: cannot read: %s", path, strerror(errno));
        return CX_ERR_CONFIG;
    }
    struct stat st;
    int rc = CX_ERR_CONFIG;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        cx_set_err(err, err_len, "plot: %s: not a regular file", path);
        goto done;
    }
    if (st.st_size > PLOT_MAX_BYTES) {
        cx_set_err(err, err_len, "plot: %s: %lld bytes; plot reads results of at most %ld bytes",
                path, (long long)st.st_size, PLOT_MAX_BYTES);
        goto done;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    if (!(*buf = malloc(cap))) {
        cx_set_err(err, err_len, "plot: out of memory");
        rc = CX_ERR_NOMEM;
        goto done;
    }
    for (;;) {
        ssize_t got = read(fd, *buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            cx_set_err(err, err_len, "plot: %s: cannot read: %s", path, strerror(errno));
            rc = CX_ERR_IO;
            goto done;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n == cap) { /* grew while we read: refuse rather than chase it */
            cx_set_err(err, err_len, "plot: %s: the file changed while it was read", path);
            goto done;
        }
    }
    *len = n;
    rc = 0;
done:
    close(fd);
    if (rc) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

int cx_plot_doc(const json_t *doc, const char *what, const char *out_dir,
                const cx_plot_opts *opts, int *n_written, char *err, size_t err_len)
{
    if (n_written)
        *n_written = 0;
    if (!safe_path(out_dir) || strlen(out_dir) > 200) {
        cx_set_err(err, err_len, "plot: the output directory's name must be at most 200 bytes, "
                "without a quote (') or a control character");
        return CX_ERR_USAGE;
    }
    if (!json_is_object(doc)) {
        cx_set_err(err, err_len, "plot: %s is not a capexsim result (not a JSON object)", what);
        return CX_ERR_CONFIG;
    }
    struct stat st;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        cx_set_err(err, err_len, "plot: cannot create %s: %s", out_dir, strerror(errno));
        return errno == ENOENT || errno == ENOTDIR ? CX_ERR_USAGE : CX_ERR_IO;
    }
    if (stat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cx_set_err(err, err_len, "plot: %s exists and is not a folder", out_dir);
        return CX_ERR_USAGE;
    }
    plotter p = {.out = out_dir, .opts = opts, .err = err, .err_len = err_len};
    who_line(p.who, sizeof p.who, doc);
    const char *base = getenv("TMPDIR");
    if (!base || !*base || !safe_path(base) || strlen(base) > 200)
        base = "/tmp";
    snprintf(p.tmp, sizeof p.tmp, "%s/capexsim-plot-XXXXXX", base);
    if (!mkdtemp(p.tmp)) {
        cx_set_err(err, err_len, "plot: cannot make a temporary directory: %s", strerror(errno));
        return CX_ERR_IO;
    }
    const char *study = json_string_value(json_object_get(doc, "study"));
    int rc = 0;
    if (study && strcmp(study, "tornado") == 0) {
        rc = plot_tornado(&p, doc);
    } else if (study && strcmp(study, "sobol") == 0) {
        rc = plot_sobol(&p, doc);
    } else if (study && strcmp(study, "shapley") == 0) {
        rc = plot_shapley(&p, doc);
    } else if (study && strcmp(study, "sweep") == 0) {
        rc = plot_sweep_metric(&p, doc, "capex_burden");
        if (rc == 0)
            rc = plot_sweep_metric(&p, doc, "revenue_total");
    } else if (study && strcmp(study, "optimize") == 0) {
        rc = plot_frontier(&p, doc); /* issue 21: when --frontier made one */
        if (rc == 0)
            rc = plot_opt_best(&p, doc);
    } else if (study && (strcmp(study, "batch") == 0 || strcmp(study, "stress") == 0)) {
        rc = plot_batch(&p, doc, strcmp(study, "stress") == 0); /* issue 14 */
    } else if (json_is_object(json_object_get(doc, "metrics"))) {
        rc = plot_hist(&p, doc, "capex_burden", "burden_hist", "Capex burden over the horizon",
                       "capex burden ($B)");
        if (rc == 0)
            rc = plot_hist(&p, doc, "revenue_total", "revenue_hist",
                           "Total revenue over the horizon", "revenue ($B)");
        if (rc == 0)
            rc = plot_fan(&p, doc, "idle_gw_mean", "fan_idle_gw",
                          "Idle capacity per quarter (mean over its months)", "idle capacity (GW)");
        if (rc == 0)
            rc = plot_fan(&p, doc, "burden_cumulative", "fan_burden",
                          "Cumulative capex burden at quarter end", "cumulative burden ($B)");
    } else {
        cx_set_err(err, err_len, "plot: %s is not a capexsim result (no \"metrics\" or \"study\")",
                what);
        rc = CX_ERR_CONFIG;
    }
    if (rc == 0 && p.written == 0) {
        cx_set_err(err, err_len, "plot: %s holds nothing to plot", what);
        rc = CX_ERR_CONFIG;
    }
    tmp_cleanup(&p);
    if (n_written)
        *n_written = p.written;
    return rc;
}

int cx_plot_buffer(const char *data, size_t len, const char *what, const char *out_dir,
                   const cx_plot_opts *opts, int *n_written, char *err, size_t err_len)
{
    json_error_t jerr;
    if (n_written)
        *n_written = 0;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        cx_set_err(err, err_len, "plot: %s:%d: not a JSON result: %s", what, jerr.line, jerr.text);
        return CX_ERR_CONFIG;
    }
    int rc = cx_plot_doc(doc, what, out_dir, opts, n_written, err, err_len);
    json_decref(doc);
    return rc;
}

int cx_plot_result(const char *json_path, const char *out_dir, const cx_plot_opts *opts,
                   int *n_written, char *err, size_t err_len)
{
    char *buf;
    size_t len = 0;
    if (n_written)
        *n_written = 0;
    int rc = read_result(json_path, &buf, &len, err, err_len);
    if (rc)
        return rc;
    rc = cx_plot_buffer(buf, len, json_path, out_dir, opts, n_written, err, err_len);
    free(buf);
    return rc;
}
