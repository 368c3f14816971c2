/* SPDX-License-Identifier: MIT */
/* Comparison of two capexsim results (run, sweep, tornado, sobol, batch, stress JSON): statistical
 * or exact. */
/*
 * Every statistic both files report becomes one row: NEW value, BASE value, the standard
 * error of their difference, z = (new - base) / se and the two-sided normal p-value. Where
 * the standard error comes from, by family (docs/ci.md says the same for users):
 *
 *   mean of a metric    the two reported se: sqrt(se_new^2 + se_base^2)        "se"
 *   percentile          its 95% CI (MODEL.md, Statistics): the half-width on the side
 *                       facing the other value, / 1.96, combined like the se   "ci95"
 *   P(burden > x)       two-proportion z test with the pooled proportion      "binomial"
 *   CVaR95              asymptotic variance of the tail mean,
 *                       Var[(X - VaR)+] / (0.05^2 n), bounded from above with
 *                       E[(X - VaR)+^2] <= 0.05 e (max - VaR), e = CVaR - VaR   "cvar-tail"
 *   quarterly mean      the file has no spread for it: sd is taken as 2 (p95 - p5) / 3.29
 *                       (twice the normal's; on the run's own metrics sd / ((p95 - p5) / 3.29)
 *                       is 1.0 to 1.2 for the continuous ones), at most the sd bound
 *                       sqrt(sd^2 + mean^2) of the whole-horizon metric that bounds the
 *                       quarter (0 <= quarter <= metric), which also stands in when p5 = p95
 *                                                                          "quarter-spread"
 *   quarterly p5/p50/p95  not tested: without a CI or a density their se cannot be had
 *                       (a normal-theory se was measured too small for the skewed idle-GW
 *                       medians); --exact compares them
 *   sweep point mean    its se                                                "se"
 *   sobol S1, ST        their s1_se, st_se with Student's t, ci_batches - 1 degrees of
 *                       freedom each (Welch), when both have at least 16 batches (else
 *                       untested, with a note); the metric's mean by sqrt(variance / N)
 *
 * Under LHS, Sobol or antithetic sampling the reported se of a mean comes from batch means
 * over B blocks and a percentile's CI from sectioning over K batches with Student's t
 * (docs/model.md): such an se is itself an estimate with B - 1 (K - 1) degrees of freedom,
 * so those rows use Student's t with Welch's degrees of freedom instead of the normal, and
 * a sectioning half-width is divided by its t quantile rather than 1.96.
 *
 * All tests of one comparison form one family, corrected with Holm's step-down method at
 * family-wise level alpha: the probability that any statistic of two same-scenario runs is
 * called different is at most alpha (the tests above are, if anything, conservative).
 * Tornado results carry no standard errors, so they are compared with --exact only.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "sim/result/compare.h"
#include "sim/base/error.h"

const char *const cx_compare_ignored_keys[] = {
    "elapsed_s", "paths_per_s", "threads", "version", "compiler", "compiler_flags",
    "host",      "hostname",    "date",    "timestamp", "engine_seconds", "simd", "ranks",
    /* issue 22: the build's commit and where the scenario file was are provenance; its text
     * is compared through scenario_sha256 */
    "git_commit", "scenario_path", "scenario_text", NULL};

/* Relative difference taken as rounding, not a change (statistical mode only). */
#define CX_COMPARE_ROUNDING 1e-9
/* Scale factor of the quarterly spread estimate (see the prose above). */
#define QUARTER_SD_FACTOR 2.0
/* Normal: p95 - p5 = 2 x 1.6449 sd. */
#define NORMAL_P5_P95 3.2897

void cx_compare_opts_init(cx_compare_opts *o)
{
    memset(o, 0, sizeof *o);
    o->alpha = 0.01;
}

/* ---- building the result ---- */

typedef struct ctx {
    cx_compare_result *r;
    int cap;
    int nomem;
    unsigned ignored_seen; /* --exact: bit i for cx_compare_ignored_keys[i] met */
    const char *prefix;    /* batch, stress: the run whose statistics are being compared
                            * ("runs[NAME]", "baseline"), before every row name and note */
    struct pairing *pairs; /* batch, stress: the runs of NEW and BASE, matched */
} ctx;

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

__attribute__((format(printf, 2, 3))) static void add_note(ctx *c, const char *fmt, ...)
{
    char buf[512];
    int off = c->prefix ? snprintf(buf, sizeof buf, "%s: ", c->prefix) : 0;
    if (off < 0 || (size_t)off >= sizeof buf) off = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + off, sizeof buf - (size_t)off, fmt, ap);
    va_end(ap);
    char **n = realloc(c->r->notes, (size_t)(c->r->n_notes + 1) * sizeof *n);
    char *s = dupstr(buf);
    if (!n || !s) {
        if (n) c->r->notes = n;
        free(s);
        c->nomem = 1;
        return;
    }
    c->r->notes = n;
    n[c->r->n_notes++] = s;
}

/* A new row named by fmt, values NAN, verdict SAME; NULL when out of memory. */
__attribute__((format(printf, 3, 4))) static cx_compare_row *add_row(ctx *c, const char *method,
                                                                      const char *fmt, ...)
{
    if (c->r->n_rows == c->cap) {
        int cap = c->cap ? 2 * c->cap : 256;
        cx_compare_row *rows = realloc(c->r->rows, (size_t)cap * sizeof *rows);
        if (!rows) {
            c->nomem = 1;
            return NULL;
        }
        c->r->rows = rows;
        c->cap = cap;
    }
    char buf[640];
    int off = c->prefix ? snprintf(buf, sizeof buf, "%s.", c->prefix) : 0;
    if (off < 0 || (size_t)off >= sizeof buf) off = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + off, sizeof buf - (size_t)off, fmt, ap);
    va_end(ap);
    char *name = dupstr(buf);
    if (!name) {
        c->nomem = 1;
        return NULL;
    }
    cx_compare_row *w = &c->r->rows[c->r->n_rows++];
    *w = (cx_compare_row){.name = name, .method = method, .new_v = NAN, .base_v = NAN,
                          .se = NAN, .z = NAN, .p = NAN, .p_holm = NAN, .rel = NAN,
                          .df = INFINITY, .verdict = CX_CMP_SAME};
    return w;
}

/* A number, or NAN for an absent key, null (non-finite in the writer) or another type. */
static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static double num_i(const json_t *a, size_t i)
{
    const json_t *v = json_array_get(a, i);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/*
 * One statistical test: NEW value nv, BASE value bv, se of nv - bv. Rows whose base is
 * missing are not made (nothing to hold NEW to); NEW missing is a difference.
 */
__attribute__((format(printf, 7, 0))) static void vtest(ctx *c, const char *method, double nv,
                                                        double bv, double se, double df,
                                                        const char *fmt, va_list ap)
{
    if (isnan(nv) && isnan(bv)) return; /* neither reports it (null in both: non-finite) */
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    cx_compare_row *w = add_row(c, method, "%s", buf);
    if (!w) return;
    w->new_v = nv;
    w->base_v = bv;
    w->se = se;
    w->df = df;
    if (isnan(nv)) {
        w->verdict = CX_CMP_MISSING;
        return;
    }
    if (isnan(bv)) {
        w->verdict = CX_CMP_NEW_ONLY;
        return;
    }
    double d = nv - bv;
    w->rel = bv != 0 ? d / fabs(bv) : NAN;
    /* Equal within floating-point rounding (another summation order, another compiler): a
     * constant metric (se 0) must not differ by its last bits. */
    if (fabs(d) <= CX_COMPARE_ROUNDING * fmax(fabs(nv), fabs(bv))) {
        w->z = 0;
        w->p = 1;
    } else if (se == 0) {
        w->z = d > 0 ? INFINITY : -INFINITY; /* a constant moved */
        w->p = 0;
    } else if (se > 0 && isfinite(se)) {
        w->z = d / se;
        w->p = isinf(df) ? erfc(fabs(w->z) / sqrt(2.0)) : 2 * gsl_cdf_tdist_Q(fabs(w->z), df);
    } else {
        w->verdict = CX_CMP_UNTESTABLE;
    }
}

/* A test with the normal distribution (df infinite). */
__attribute__((format(printf, 6, 7))) static void test(ctx *c, const char *method, double nv,
                                                       double bv, double se, const char *fmt,
                                                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    vtest(c, method, nv, bv, se, INFINITY, fmt, ap);
    va_end(ap);
}

/* A test with Student's t and df degrees of freedom (INFINITY: the normal). */
__attribute__((format(printf, 7, 8))) static void test_t(ctx *c, const char *method, double nv,
                                                         double bv, double se, double df,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vtest(c, method, nv, bv, se, df, fmt, ap);
    va_end(ap);
}

/* Welch-Satterthwaite degrees of freedom of se_a^2 + se_b^2 (INFINITY when both are). */
static double welch_df(double se_a, double df_a, double se_b, double df_b)
{
    double va = se_a * se_a, vb = se_b * se_b;
    double den = (isinf(df_a) ? 0 : va * va / df_a) + (isinf(df_b) ? 0 : vb * vb / df_b);
    if (!(den > 0)) return INFINITY;
    return (va + vb) * (va + vb) / den;
}

/* Flags an absent group of BASE (a metric, a series) in NEW. */
static void missing(ctx *c, const char *name)
{
    cx_compare_row *w = add_row(c, "se", "%s", name);
    if (w) w->verdict = CX_CMP_MISSING;
}

/* ---- reading documents ---- */

static int u64_of(const json_t *v, uint64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) { /* beyond JSON's safe integers the writer uses a string */
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        unsigned long long x = strtoull(s, &end, 10);
        if (s[0] >= '0' && s[0] <= '9' && !*end && !errno) {
            *out = x;
            return 0;
        }
    }
    return -1;
}

/* "run", "sweep", "tornado", "sobol", or NULL when doc is not a capexsim result. */
static const char *study_of(const json_t *doc)
{
    if (!json_is_object(doc)) return NULL;
    const json_t *s = json_object_get(doc, "study");
    if (s) {
        const char *v = json_string_value(s);
        if (v && (!strcmp(v, "sweep") || !strcmp(v, "tornado") || !strcmp(v, "sobol") ||
                  !strcmp(v, "batch") || !strcmp(v, "stress")))
            return v;
        return NULL;
    }
    if (json_is_object(json_object_get(doc, "metrics")) &&
        json_is_string(json_object_get(doc, "scenario_sha256")))
        return "run";
    return NULL;
}

/* ---- statistical comparison, by study ---- */

static double sq(double x)
{
    return x * x;
}

/* sqrt(a^2 + b^2) that stays NAN when either is. */
static double hyp(double a, double b)
{
    return sqrt(a * a + b * b);
}

/* How a run's error bars were made (docs/model.md, "interval_method"): the degrees of freedom
 * of a mean's se and of a percentile's CI, INFINITY for the independent-paths formulas. */
typedef struct err_kind {
    double mean_df, pct_df, pct_t; /* pct_t: the quantile the CI half-width is in units of */
    double rel;                    /* the sketch's relative error */
} err_kind;

static err_kind err_kind_of(const json_t *doc, const json_t *metric)
{
    err_kind k = {INFINITY, INFINITY, 1.959963984540054, 0.001};
    double a = num(doc, "relative_error");
    if (a >= 0 && a < 1) k.rel = a;
    const char *top = json_string_value(json_object_get(doc, "interval_method"));
    const char *sm = json_string_value(json_object_get(metric, "se_method"));
    const char *cm = json_string_value(json_object_get(metric, "ci95_method"));
    if (!sm) sm = top;
    if (!cm && top && !strcmp(top, "batch_means")) cm = "sectioning";
    double b = num(doc, "interval_replicates"), kb = num(doc, "interval_batches");
    if (sm && !strcmp(sm, "batch_means") && b >= 2) k.mean_df = b - 1;
    if (cm && !strcmp(cm, "sectioning") && kb >= 2) {
        k.pct_df = kb - 1;
        k.pct_t = gsl_cdf_tdist_Pinv(0.975, k.pct_df);
    }
    return k;
}

/*
 * se of a percentile difference from the two CIs: the half-widths facing each other, each in
 * units of its own quantile (1.96, or Student's t under sectioning). A CI end may be the
 * estimate itself (both in one sketch bucket), so each half-width is at least one bucket,
 * 2 x relative error x |q|: the quantisation, not a zero se, bounds the test. *df receives
 * Welch's degrees of freedom.
 */
static double pct_se(double qn, double qb, const json_t *cin, const json_t *cib,
                     const err_kind *kn, const err_kind *kb, double *df)
{
    double lo_n = num_i(cin, 0), hi_n = num_i(cin, 1), lo_b = num_i(cib, 0), hi_b = num_i(cib, 1);
    double hn = qn >= qb ? qn - lo_n : hi_n - qn;
    double hb = qn >= qb ? hi_b - qb : qb - lo_b;
    *df = INFINITY;
    if (!(hn >= 0) || !(hb >= 0)) return NAN; /* missing or malformed CI */
    double sn = fmax(hn, 2 * kn->rel * fabs(qn)) / kn->pct_t;
    double sb = fmax(hb, 2 * kb->rel * fabs(qb)) / kb->pct_t;
    *df = welch_df(sn, kn->pct_df, sb, kb->pct_df);
    return hyp(sn, sb);
}

/* MODEL.md: CVaR95 is the mean of the worst 5%; its se from the tail bound (prose above). */
static double cvar_var(const json_t *doc, double n)
{
    const json_t *b = json_object_get(json_object_get(doc, "metrics"), "capex_burden");
    double cvar = num(doc, "burden_cvar95");
    double var = num(json_object_get(b, "percentiles"), "p95"), mx = num(b, "max");
    double e = cvar - var;
    if (e < 0) e = 0; /* the sketch's VaR may sit a bucket above the exact one */
    double m2 = e * (mx - var);
    if (m2 < 0) m2 = 0;
    double v = 0.05 * m2 - sq(0.05 * e);
    if (v < 0) v = 0;
    return v / (sq(0.05) * n);
}

static void compare_metrics(ctx *c, const json_t *dn, const json_t *db)
{
    const json_t *mn = json_object_get(dn, "metrics"), *mb = json_object_get(db, "metrics");
    const char *name;
    const json_t *b;
    json_object_foreach((json_t *)mb, name, b) {
        const json_t *a = json_object_get(mn, name);
        if (!json_is_object(b)) continue;
        if (!json_is_object(a)) {
            char buf[300];
            snprintf(buf, sizeof buf, "metrics.%s", name);
            missing(c, buf);
            continue;
        }
        err_kind kn = err_kind_of(dn, a), kb = err_kind_of(db, b);
        double se_n = num(a, "se"), se_b = num(b, "se");
        test_t(c, "se", num(a, "mean"), num(b, "mean"), hyp(se_n, se_b),
               welch_df(se_n, kn.mean_df, se_b, kb.mean_df), "metrics.%s.mean", name);
        const json_t *pa = json_object_get(a, "percentiles"), *pb = json_object_get(b, "percentiles");
        const json_t *ca = json_object_get(a, "ci95"), *cb = json_object_get(b, "ci95");
        const char *pk;
        const json_t *pv;
        json_object_foreach((json_t *)pb, pk, pv) {
            double qn = num(pa, pk), qb = num(pb, pk), df;
            double se = pct_se(qn, qb, json_object_get(ca, pk), json_object_get(cb, pk), &kn, &kb,
                               &df);
            test_t(c, "ci95", qn, qb, se, df, "metrics.%s.%s", name, pk);
        }
    }
    json_object_foreach((json_t *)mn, name, b)
        if (!json_object_get(mb, name)) add_note(c, "metric %s is in NEW only (not compared)", name);
}

/* sd bound of a quarterly series: 0 <= series <= whole-horizon metric (MODEL.md). */
static double quarter_bound(const json_t *doc, const char *series)
{
    const char *m = !strcmp(series, "burden_cumulative") ? "capex_burden"
                    : !strcmp(series, "revenue")         ? "revenue_total"
                    : !strcmp(series, "idle_gw_mean")    ? "idle_gw_peak"
                                                         : NULL;
    if (!m) return NAN;
    const json_t *o = json_object_get(json_object_get(doc, "metrics"), m);
    return sqrt(sq(num(o, "sd")) + sq(num(o, "mean")));
}

static void compare_quarters(ctx *c, const json_t *dn, const json_t *db, double nn, double nb)
{
    const json_t *qn = json_object_get(dn, "quarters"), *qb = json_object_get(db, "quarters");
    if (!json_is_object(qb)) return;
    if (!json_is_object(qn)) {
        missing(c, "quarters");
        return;
    }
    const char *series;
    const json_t *ab;
    json_object_foreach((json_t *)qb, series, ab) {
        const json_t *an = json_object_get(qn, series);
        if (!json_is_array(ab)) continue;
        if (!json_is_array(an)) {
            char buf[300];
            snprintf(buf, sizeof buf, "quarters.%s", series);
            missing(c, buf);
            continue;
        }
        double bound = fmax(quarter_bound(dn, series), quarter_bound(db, series));
        size_t nq = json_array_size(ab);
        if (json_array_size(an) != nq)
            add_note(c, "quarters.%s: %zu quarters in NEW, %zu in BASE", series,
                     json_array_size(an), nq);
        for (size_t q = 0; q < nq; q++) {
            const json_t *xn = json_array_get(an, q), *xb = json_array_get(ab, q);
            double sn = (num(xn, "p95") - num(xn, "p5")) / NORMAL_P5_P95;
            double sb = (num(xb, "p95") - num(xb, "p5")) / NORMAL_P5_P95;
            double s = fmax(sn, sb); /* fmax ignores one NAN */
            double sd = s > 0 ? QUARTER_SD_FACTOR * s : NAN;
            if (!isnan(bound) && !(sd <= bound)) sd = bound;
            test(c, "quarter-spread", num(xn, "mean"), num(xb, "mean"), sd * sqrt(1 / nn + 1 / nb),
                 "quarters.%s[%zu].mean", series, q);
        }
    }
}

/* A run's statistics; nn, nb: the paths of each side. */
static void compare_run(ctx *c, const json_t *dn, const json_t *db, double nn, double nb)
{
    compare_metrics(c, dn, db);

    const json_t *en = json_object_get(dn, "burden_exceedance");
    const json_t *eb = json_object_get(db, "burden_exceedance");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)eb, k, v) {
        double pn = num(en, k), pb = num(eb, k);
        double pp = (pn * nn + pb * nb) / (nn + nb);
        test(c, "binomial", pn, pb, sqrt(pp * (1 - pp) * (1 / nn + 1 / nb)),
             "burden_exceedance.%s", k);
    }
    json_object_foreach((json_t *)en, k, v)
        if (!json_object_get(eb, k)) add_note(c, "burden_exceedance.%s is in NEW only", k);

    test(c, "cvar-tail", num(dn, "burden_cvar95"), num(db, "burden_cvar95"),
         sqrt(cvar_var(dn, nn) + cvar_var(db, nb)), "burden_cvar95");
    compare_quarters(c, dn, db, nn, nb);
}

/* "market.drift=-0.35,msl.p_success=0.2": the point's name. */
static void point_name(char *buf, size_t len, const json_t *axes, const json_t *vals)
{
    size_t off = 0;
    buf[0] = 0;
    for (size_t a = 0; a < json_array_size(vals) && off < len; a++) {
        const char *an = json_string_value(json_object_get(json_array_get(axes, a), "name"));
        off += (size_t)snprintf(buf + off, len - off, "%s%s=%.6g", a ? "," : "", an ? an : "?",
                                num_i(vals, a));
    }
}

/* Sweep points by their values (arrays of numbers, compared element by element, then by
 * length): NEW's points sorted once and each of BASE's found by binary search, so two sweeps
 * of N points match in O(N log N) (issue 25: 40,000 points in well under 2 s). */
static int values_cmp(const json_t *a, const json_t *b)
{
    size_t na = json_array_size(a), nb = json_array_size(b);
    for (size_t k = 0; k < na && k < nb; k++) {
        double x = json_number_value(json_array_get(a, k)), y = json_number_value(json_array_get(b, k));
        if (x != y) return (x > y) - (x < y);
    }
    return (na > nb) - (na < nb);
}

static int point_cmp(const void *x, const void *y)
{
    const json_t *a = *(const json_t *const *)x, *b = *(const json_t *const *)y;
    return values_cmp(json_object_get(a, "values"), json_object_get(b, "values"));
}

static const json_t *find_point(const json_t **sorted, size_t n, const json_t *vals)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = values_cmp(json_object_get(sorted[mid], "values"), vals);
        if (c == 0) return sorted[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static void compare_sweep(ctx *c, const json_t *dn, const json_t *db)
{
    const json_t *pb = json_object_get(db, "points"), *pn = json_object_get(dn, "points");
    const json_t *axes = json_object_get(db, "axes");
    size_t i, n_new = json_array_size(pn);
    const json_t *b;
    const json_t **sorted = malloc((n_new ? n_new : 1) * sizeof *sorted);
    if (!sorted) {
        c->nomem = 1;
        return;
    }
    for (i = 0; i < n_new; i++) sorted[i] = json_array_get(pn, i);
    qsort(sorted, n_new, sizeof *sorted, point_cmp);
    json_array_foreach(pb, i, b) {
        char pname[256];
        const json_t *vals = json_object_get(b, "values");
        point_name(pname, sizeof pname, axes, vals);
        const json_t *a = find_point(sorted, n_new, vals);
        if (!a) {
            char buf[300];
            snprintf(buf, sizeof buf, "points[%s]", pname);
            missing(c, buf);
            continue;
        }
        const json_t *mb = json_object_get(b, "metrics"), *ma = json_object_get(a, "metrics");
        const char *name;
        const json_t *sb;
        json_object_foreach((json_t *)mb, name, sb) {
            const json_t *sa = json_object_get(ma, name);
            test(c, "se", num(sa, "mean"), num(sb, "mean"), hyp(num(sa, "se"), num(sb, "se")),
                 "points[%s].%s.mean", pname, name);
        }
    }
    free(sorted);
    add_note(c, "sweep points carry a standard error for means only: percentiles are "
                "compared with --exact");
}

/* The fewest batches behind a Sobol index's se for compare to test it (see compare_sobol). */
#define CMP_SOBOL_MIN_BATCHES 16

static void compare_sobol(ctx *c, const json_t *dn, const json_t *db)
{
    double nn = num(dn, "base_samples"), nb = num(db, "base_samples");
    test(c, "se", num(dn, "mean"), num(db, "mean"),
         sqrt(num(dn, "variance") / nn + num(db, "variance") / nb), "mean");
    const json_t *ib = json_object_get(db, "indices"), *in = json_object_get(dn, "indices");
    /* an index's se comes from batch means over ci_batches batches: an estimate itself, with
     * ci_batches - 1 degrees of freedom (8 batches at the minimum size: the normal's z would
     * call one pair of same-scenario results in four different) */
    double bn = num(dn, "ci_batches"), bb = num(db, "ci_batches");
    double df_n = bn >= 2 ? bn - 1 : INFINITY, df_b = bb >= 2 ? bb - 1 : INFINITY;
    /* Below 16 batches the se of a small ST (a rare outcome's squared differences are heavy
     * tailed) is too often too small even for Student's t: pairs of meta-2026h1 results on
     * different seeds at 8 batches were called different 2 times in 20 at a 1% family-wise
     * level; at 16 and 32 batches 0 in 30 each. Such indices are left untested. */
    const bool few = !(bn >= CMP_SOBOL_MIN_BATCHES && bb >= CMP_SOBOL_MIN_BATCHES);
    size_t i, j;
    const json_t *b, *a;
    int untested = 0;
    json_array_foreach(ib, i, b) {
        const char *input = json_string_value(json_object_get(b, "input"));
        if (!input) continue;
        const json_t *found = NULL;
        json_array_foreach(in, j, a) {
            const char *s = json_string_value(json_object_get(a, "input"));
            if (s && !strcmp(s, input)) {
                found = a;
                break;
            }
        }
        if (!found) {
            char buf[300];
            snprintf(buf, sizeof buf, "indices[%s]", input);
            missing(c, buf);
            continue;
        }
        int before = c->r->n_rows;
        double s1n = few ? NAN : num(found, "s1_se"), s1b = num(b, "s1_se"),
               stn = few ? NAN : num(found, "st_se"), stb = num(b, "st_se");
        test_t(c, "se", num(found, "s1"), num(b, "s1"), hyp(s1n, s1b),
               welch_df(s1n, df_n, s1b, df_b), "indices[%s].s1", input);
        test_t(c, "se", num(found, "st"), num(b, "st"), hyp(stn, stb),
               welch_df(stn, df_n, stb, df_b), "indices[%s].st", input);
        for (int r = before; r < c->r->n_rows; r++)
            untested += c->r->rows[r].verdict == CX_CMP_UNTESTABLE;
    }
    if (untested && few)
        add_note(c, "%d Sobol indices are not tested: their se comes from fewer than %d "
                    "batches (%g and %g), too few to trust (run more base samples, or compare "
                    "with --exact)", untested, CMP_SOBOL_MIN_BATCHES, bn, bb);
    else if (untested)
        add_note(c, "%d Sobol indices have no standard error (too few blocks for batch "
                    "means) and are not tested", untested);
}

/* ---- exact comparison ---- */

/* Whether key is provenance or timing (at any depth: a sweep's or a batch's runs carry their
 * own); remembers which were met, for the note that names them. */
static bool ignored(ctx *c, const char *key)
{
    for (int i = 0; cx_compare_ignored_keys[i]; i++)
        if (!strcmp(key, cx_compare_ignored_keys[i])) {
            c->ignored_seen |= 1u << i;
            return true;
        }
    return false;
}

static void exact_diff(ctx *c, const char *path, const json_t *a, const json_t *b)
{
    cx_compare_row *w = add_row(c, "exact", "%s", path);
    if (!w) return;
    w->verdict = !a ? CX_CMP_MISSING : CX_CMP_DIFFERENT;
    w->p = 0;
    w->new_v = json_is_number(a) ? json_number_value(a) : NAN;
    w->base_v = json_is_number(b) ? json_number_value(b) : NAN;
    if (json_is_number(a) && json_is_number(b)) {
        w->rel = w->base_v != 0 ? (w->new_v - w->base_v) / fabs(w->base_v) : INFINITY;
    } else {
        w->rel = INFINITY; /* not numbers: ranked first */
        w->text_new = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : dupstr("(absent)");
        w->text_base = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : dupstr("(absent)");
        if (!w->text_new || !w->text_base) c->nomem = 1;
    }
}

static void exact_walk(ctx *c, const char *path, const json_t *a, const json_t *b, int depth)
{
    char sub[512];
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)b, k, v) {
            if (ignored(c, k) ||
                (depth == 0 && (!strcmp(k, "seed") || !strcmp(k, "scenario_sha256"))))
                continue; /* the identity check covers seed and scenario */
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
            exact_walk(c, sub, json_object_get(a, k), v, depth + 1);
        }
        json_object_foreach((json_t *)a, k, v) {
            if (ignored(c, k) || json_object_get(b, k)) continue;
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
            c->r->n_tested++; /* counted, so that the differences never outnumber it */
            exact_diff(c, sub, v, NULL);
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);
        for (size_t i = 0; i < (na > nb ? na : nb); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            exact_walk(c, sub, json_array_get(a, i), json_array_get(b, i), depth + 1);
        }
        return;
    }
    c->r->n_tested++;
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        if (x == y && signbit(x) == signbit(y)) return;
    } else if (a && b && json_equal((json_t *)a, (json_t *)b)) {
        return;
    }
    exact_diff(c, path, a, b);
}

/* ---- family-wise correction and order ---- */

static int by_p(const void *x, const void *y)
{
    const cx_compare_row *a = *(cx_compare_row *const *)x, *b = *(cx_compare_row *const *)y;
    return (a->p > b->p) - (a->p < b->p);
}

/* Holm's step-down over the rows with a p-value; sets p_holm and the verdicts. */
static int holm(cx_compare_result *r, double alpha)
{
    cx_compare_row **v = malloc((size_t)(r->n_rows ? r->n_rows : 1) * sizeof *v);
    if (!v) return CX_ERR_NOMEM;
    int m = 0;
    for (int i = 0; i < r->n_rows; i++)
        if (r->rows[i].verdict == CX_CMP_SAME && !isnan(r->rows[i].p)) v[m++] = &r->rows[i];
    qsort(v, (size_t)m, sizeof *v, by_p);
    double run = 0;
    bool rejecting = true;
    for (int i = 0; i < m; i++) {
        double adj = fmin(1.0, (double)(m - i) * v[i]->p);
        run = fmax(run, adj);
        v[i]->p_holm = run;
        if (rejecting && v[i]->p <= alpha / (double)(m - i))
            v[i]->verdict = CX_CMP_DIFFERENT;
        else
            rejecting = false;
    }
    r->n_tested = m;
    free(v);
    return 0;
}

static int rank_of(const cx_compare_row *w)
{
    switch (w->verdict) {
    case CX_CMP_DIFFERENT:
    case CX_CMP_MISSING: return 0;
    case CX_CMP_SAME: return 1;
    case CX_CMP_NEW_ONLY: return 2;
    default: return 3;
    }
}

static bool exact_order;

static int worst_first(const void *x, const void *y)
{
    const cx_compare_row *a = x, *b = y;
    int ra = rank_of(a), rb = rank_of(b);
    if (ra != rb) return ra - rb;
    double ka, kb;
    if (exact_order) {
        ka = -fabs(a->rel), kb = -fabs(b->rel);
    } else {
        ka = a->p, kb = b->p;
        if (ka == kb) ka = -fabs(a->z), kb = -fabs(b->z);
    }
    if (isnan(ka)) ka = INFINITY;
    if (isnan(kb)) kb = INFINITY;
    if (ka != kb) return (ka > kb) - (ka < kb);
    return strcmp(a->name, b->name);
}

/* ---- identity of the two results ---- */

static int fail(char *err, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t len, int code, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cx_set_err(err, len, "%s", buf);
    return code;
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* A run's report as a part of d (label "runs[2]", "baseline"; "" for d itself): the keys the
 * statistics read. */
static int check_run(const json_t *run, const char *path, const char *label, char *err,
                     size_t len)
{
    static const char *const need[] = {"metrics", "scenario_sha256", "seed", "paths", NULL};
    const char *dot = *label ? "." : "";
    if (!json_is_object(run))
        return fail(err, len, CX_ERR_USAGE, "%s: %s: expected a run's report (an object)", path,
                    label);
    for (int i = 0; need[i]; i++)
        if (!json_object_get(run, need[i]))
            return fail(err, len, CX_ERR_USAGE,
                        "%s: %s%s%s: missing (not a complete capexsim run result)", path, label,
                        dot, need[i]);
    uint64_t x;
    if (u64_of(json_object_get(run, "seed"), &x) < 0)
        return fail(err, len, CX_ERR_USAGE, "%s: %s%sseed: expected a non-negative integer", path,
                    label, dot);
    if (u64_of(json_object_get(run, "paths"), &x) < 0 || x == 0)
        return fail(err, len, CX_ERR_USAGE, "%s: %s%spaths: expected a positive integer", path,
                    label, dot);
    if (!json_is_object(json_object_get(run, "metrics")))
        return fail(err, len, CX_ERR_USAGE, "%s: %s%smetrics: expected an object", path, label,
                    dot);
    if (!json_is_string(json_object_get(run, "scenario_sha256")))
        return fail(err, len, CX_ERR_USAGE, "%s: %s%sscenario_sha256: expected a string", path,
                    label, dot);
    return 0;
}

/* A batch's runs (each a run's report with its scenario's name) or a stress result's two. */
static int check_runs(const json_t *d, const char *path, const char *study, char *err,
                      size_t len)
{
    int rc;
    if (!strcmp(study, "stress")) {
        if (!json_is_string(json_object_get(d, "case")))
            return fail(err, len, CX_ERR_USAGE, "%s: case: expected a string", path);
        if (!json_is_array(json_object_get(d, "inputs")))
            return fail(err, len, CX_ERR_USAGE, "%s: inputs: expected an array", path);
        if ((rc = check_run(json_object_get(d, "baseline"), path, "baseline", err, len)) < 0)
            return rc;
        const json_t *st = json_object_get(d, "stressed");
        return json_is_null(st) ? 0 : check_run(st, path, "stressed", err, len);
    }
    const json_t *runs = json_object_get(d, "runs");
    if (!json_is_array(runs) || json_array_size(runs) == 0)
        return fail(err, len, CX_ERR_USAGE, "%s: runs: expected an array of run reports", path);
    size_t i;
    const json_t *run;
    json_array_foreach(runs, i, run) {
        char label[64];
        snprintf(label, sizeof label, "runs[%zu]", i);
        if ((rc = check_run(run, path, label, err, len)) < 0) return rc;
        if (!json_is_string(json_object_get(run, "scenario")))
            return fail(err, len, CX_ERR_USAGE, "%s: %s.scenario: expected a string", path,
                        label);
    }
    return 0;
}

/* Checks the keys a study needs (so the comparison never reads a half-formed file). */
static int check_shape(const json_t *d, const char *path, const char *study, char *err,
                       size_t len)
{
    static const char *const need_sweep[] = {"axes", "points", "scenario_sha256", "seed", NULL};
    static const char *const need_tornado[] = {"tornado", "scenario_sha256", "seed", "metric",
                                               NULL};
    static const char *const need_sobol[] = {"indices", "scenario_sha256", "seed", "metric",
                                             NULL};
    static const char *const need_batch[] = {"runs", "seed", "paths", NULL};
    static const char *const need_stress[] = {"baseline", "stressed", "seed", "paths", "case",
                                              NULL};
    if (!strcmp(study, "run")) return check_run(d, path, "", err, len);
    const char *const *need = !strcmp(study, "sweep")     ? need_sweep
                              : !strcmp(study, "tornado") ? need_tornado
                              : !strcmp(study, "batch")   ? need_batch
                              : !strcmp(study, "stress")  ? need_stress
                                                          : need_sobol;
    for (int i = 0; need[i]; i++)
        if (!json_object_get(d, need[i]))
            return fail(err, len, CX_ERR_USAGE, "%s: %s: missing (not a complete capexsim %s result)",
                        path, need[i], study);
    uint64_t x;
    if (u64_of(json_object_get(d, "seed"), &x) < 0)
        return fail(err, len, CX_ERR_USAGE, "%s: seed: expected a non-negative integer", path);
    if (!strcmp(study, "sweep") && (!json_is_array(json_object_get(d, "points")) ||
                                    !json_is_array(json_object_get(d, "axes"))))
        return fail(err, len, CX_ERR_USAGE, "%s: points: expected an array", path);
    if (!strcmp(study, "sobol") && !json_is_array(json_object_get(d, "indices")))
        return fail(err, len, CX_ERR_USAGE, "%s: indices: expected an array", path);
    if (!strcmp(study, "batch") || !strcmp(study, "stress")) {
        if (u64_of(json_object_get(d, "paths"), &x) < 0 || x == 0)
            return fail(err, len, CX_ERR_USAGE, "%s: paths: expected a positive integer", path);
        return check_runs(d, path, study, err, len);
    }
    return 0;
}

/* ---- batch and stress: their runs, matched ---- */

/*
 * A batch's runs are matched by scenario name: the k-th run of a name in NEW with the k-th of
 * that name in BASE (k >= 2 labelled "NAME#k"), through jansson's hash table of NEW's names,
 * so N runs match in O(N) expected time. A stress result's runs are its baseline and its
 * stressed run. Each matched pair is compared as two runs are; a run of BASE that NEW lacks
 * is a difference, a run of NEW that BASE lacks a note.
 */
typedef struct run_pair {
    char *label;         /* "runs[NAME]", "baseline", "stressed" */
    const json_t *n, *b; /* NULL: in the other file only */
} run_pair;

typedef struct pairing {
    run_pair *p;
    size_t n, cap;
    size_t n_new, n_base, matched; /* runs in NEW, in BASE, in both */
} pairing;

static void pairing_free(pairing *pg)
{
    if (!pg) return;
    for (size_t i = 0; i < pg->n; i++) free(pg->p[i].label);
    free(pg->p);
    free(pg);
}

static int add_pair(pairing *pg, const char *label, const json_t *n, const json_t *b)
{
    if (pg->n == pg->cap) {
        size_t cap = pg->cap ? 2 * pg->cap : 16;
        run_pair *p = realloc(pg->p, cap * sizeof *p);
        if (!p) return CX_ERR_NOMEM;
        pg->p = p;
        pg->cap = cap;
    }
    char *l = dupstr(label);
    if (!l) return CX_ERR_NOMEM;
    pg->p[pg->n++] = (run_pair){l, n, b};
    pg->matched += n && b;
    return 0;
}

/* The objects of arr keyed by their string `field`: "NAME", then "NAME#2", "NAME#3" for the
 * later ones of a name (the first key free, so a name that reads "A#2" takes no other's).
 * @return a new object whose values are arr's, or NULL when out of memory. */
static json_t *keyed(const json_t *arr, const char *field)
{
    json_t *o = json_object(), *seen = json_object();
    char *key = NULL;
    size_t i;
    const json_t *e;
    if (!o || !seen) goto fail;
    json_array_foreach(arr, i, e) {
        if (!json_is_object(e)) continue; /* a batch's "paired" has null for unpaired runs */
        const char *s = str(e, field);
        size_t len = strlen(s) + 32;
        char *k2 = realloc(key, len);
        if (!k2) goto fail;
        key = k2;
        json_int_t k = json_integer_value(json_object_get(seen, s)); /* 0 when absent */
        do {
            if (k == 0) snprintf(key, len, "%s", s);
            else snprintf(key, len, "%s#%lld", s, (long long)k + 1);
            k++;
        } while (json_object_get(o, key));
        if (json_object_set_new(seen, s, json_integer(k)) < 0 ||
            json_object_set(o, key, (json_t *)e) < 0)
            goto fail;
    }
    free(key);
    json_decref(seen);
    return o;
fail:
    free(key);
    json_decref(seen);
    json_decref(o);
    return NULL;
}

static int pair_batch(pairing *pg, const json_t *dn, const json_t *db)
{
    json_t *kn = keyed(json_object_get(dn, "runs"), "scenario");
    json_t *kb = keyed(json_object_get(db, "runs"), "scenario");
    int rc = kn && kb ? 0 : CX_ERR_NOMEM;
    const char *k;
    json_t *v;
    char *label = NULL;
    if (!rc) {
        pg->n_new = json_object_size(kn);
        pg->n_base = json_object_size(kb);
    }
    json_object_foreach(rc ? NULL : kb, k, v) { /* BASE's order; then NEW's own */
        if (!(label = malloc(strlen(k) + 8)) || (sprintf(label, "runs[%s]", k),
                                                 add_pair(pg, label, json_object_get(kn, k), v)))
            rc = CX_ERR_NOMEM;
        free(label);
        if (rc) break;
    }
    json_object_foreach(rc ? NULL : kn, k, v) {
        if (json_object_get(kb, k)) continue;
        if (!(label = malloc(strlen(k) + 8)) || (sprintf(label, "runs[%s]", k),
                                                 add_pair(pg, label, v, NULL)))
            rc = CX_ERR_NOMEM;
        free(label);
        if (rc) break;
    }
    json_decref(kn);
    json_decref(kb);
    return rc;
}

static int pair_stress(pairing *pg, const json_t *dn, const json_t *db)
{
    static const char *const runs[] = {"baseline", "stressed"};
    for (int i = 0; i < 2; i++) {
        const json_t *a = json_object_get(dn, runs[i]), *b = json_object_get(db, runs[i]);
        a = json_is_object(a) ? a : NULL;
        b = json_is_object(b) ? b : NULL;
        pg->n_new += a != NULL;
        pg->n_base += b != NULL;
        if ((a || b) && add_pair(pg, runs[i], a, b) < 0) return CX_ERR_NOMEM;
    }
    return 0;
}

/* The names of the pairs with only NEW's run (new_only) or only BASE's, ", "-separated. */
static void unmatched_names(const pairing *pg, bool new_only, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = 0;
    for (size_t i = 0; i < pg->n && off < len; i++) {
        const run_pair *p = &pg->p[i];
        if ((new_only && p->b) || (!new_only && p->n)) continue;
        int w = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", p->label);
        off += w > 0 ? (size_t)w : 0;
    }
}

/* Matches the runs of a batch or stress result; each pair has the same scenario and seed
 * (else the flags that allow it), and the note says how many matched. */
static int identify_runs(ctx *c, const json_t *dn, const char *pn, const json_t *db,
                         const char *pb, const cx_compare_opts *o, char *err, size_t len)
{
    if (!(c->pairs = calloc(1, sizeof *c->pairs))) return CX_ERR_NOMEM;
    pairing *pg = c->pairs;
    bool batch = !strcmp(c->r->study, "batch");
    int rc = batch ? pair_batch(pg, dn, db) : pair_stress(pg, dn, db);
    if (rc < 0) return rc;
    for (size_t i = 0; i < pg->n; i++) {
        const run_pair *p = &pg->p[i];
        if (!p->n || !p->b) continue;
        const char *hn = str(p->n, "scenario_sha256"), *hb = str(p->b, "scenario_sha256");
        uint64_t sn = 0, sb = 0;
        (void)u64_of(json_object_get(p->n, "seed"), &sn);
        (void)u64_of(json_object_get(p->b, "seed"), &sb);
        if (strcmp(hn, hb) && !o->allow_scenario)
            return fail(err, len, CX_ERR_USAGE,
                        "%s: %s.scenario_sha256: %.12s... is not %s's %.12s... (results of "
                        "different scenarios; --allow-scenario compares them)",
                        pn, p->label, hn, pb, hb);
        if (sn != sb && !o->allow_seed)
            return fail(err, len, CX_ERR_USAGE,
                        "%s: %s.seed: %llu is not %s's %llu (--allow-seed compares results of "
                        "different seeds)",
                        pn, p->label, (unsigned long long)sn, pb, (unsigned long long)sb);
        if (strcmp(hn, hb))
            add_note(c, "%s: DIFFERENT SCENARIOS (SHA-256 %.12s... vs %.12s...): compared "
                        "because of --allow-scenario", p->label, hn, hb);
    }
    char only_b[300], only_n[300];
    unmatched_names(pg, false, only_b, sizeof only_b);
    unmatched_names(pg, true, only_n, sizeof only_n);
    add_note(c, "runs matched %s: %zu of NEW's %zu and of BASE's %zu; in BASE only (a "
                "difference each): %zu%s%s%s; in NEW only (not compared): %zu%s%s%s",
             batch ? "by scenario name" : "baseline to baseline, stressed to stressed",
             pg->matched, pg->n_new, pg->n_base, pg->n_base - pg->matched,
             *only_b ? " (" : "", only_b, *only_b ? ")" : "", pg->n_new - pg->matched,
             *only_n ? " (" : "", only_n, *only_n ? ")" : "");
    return 0;
}

/* Statistical: each matched pair as two runs, under its label. */
static void compare_pairs(ctx *c)
{
    const pairing *pg = c->pairs;
    for (size_t i = 0; i < pg->n; i++) {
        const run_pair *p = &pg->p[i];
        if (!p->n) {
            missing(c, p->label);
            continue;
        }
        if (!p->b) {
            cx_compare_row *w = add_row(c, "se", "%s", p->label);
            if (w) w->verdict = CX_CMP_NEW_ONLY;
            continue;
        }
        uint64_t nn = 0, nb = 0;
        (void)u64_of(json_object_get(p->n, "paths"), &nn);
        (void)u64_of(json_object_get(p->b, "paths"), &nb);
        c->prefix = p->label;
        compare_run(c, p->n, p->b, (double)nn, (double)nb);
        if (json_is_false(json_object_get(p->n, "complete"))) add_note(c, "NEW's run is incomplete");
        if (json_is_false(json_object_get(p->b, "complete"))) add_note(c, "BASE's run is incomplete");
        if (strcmp(str(p->n, "sampling"), str(p->b, "sampling")))
            add_note(c, "sampling differs: %s vs %s", str(p->n, "sampling"), str(p->b, "sampling"));
        c->prefix = NULL;
    }
    add_note(c, "paired differences are derived from the runs compared here: --exact compares "
                "them");
}

/* --exact: the study's own keys, then each pair of runs (seed and scenario_sha256 left to
 * the identity check, as at a run's top), then a batch's table and paired differences
 * matched by scenario name as its runs are. */
static void exact_runs(ctx *c, const json_t *dn, const json_t *db)
{
    static const char *const own[] = {"runs", "table", "paired", "baseline", "stressed", NULL};
    bool batch = !strcmp(c->r->study, "batch");
    json_t *cn = json_copy((json_t *)dn), *cb = json_copy((json_t *)db);
    if (!cn || !cb) c->nomem = 1;
    for (int i = 0; cn && cb && own[i]; i++) {
        if (!batch && !strcmp(own[i], "paired")) continue; /* stress: one object, walked */
        json_object_del(cn, own[i]);
        json_object_del(cb, own[i]);
    }
    if (cn && cb) exact_walk(c, "", cn, cb, 0);
    json_decref(cn);
    json_decref(cb);
    const pairing *pg = c->pairs;
    for (size_t i = 0; i < pg->n; i++) {
        const run_pair *p = &pg->p[i];
        if (p->n && p->b) {
            exact_walk(c, p->label, p->n, p->b, 0);
        } else { /* the run itself in the row, not its whole report */
            c->r->n_tested++;
            cx_compare_row *w = add_row(c, "exact", "%s", p->label);
            if (!w) continue;
            w->verdict = p->n ? CX_CMP_DIFFERENT : CX_CMP_MISSING;
            w->p = 0;
            w->rel = INFINITY;
            w->text_new = dupstr(p->n ? "(a run)" : "(absent)");
            w->text_base = dupstr(p->b ? "(a run)" : "(absent)");
            if (!w->text_new || !w->text_base) c->nomem = 1;
        }
    }
    for (int i = 0; batch && i < 2; i++) {
        const char *k = i ? "paired" : "table";
        json_t *kn = keyed(json_object_get(dn, k), "scenario");
        json_t *kb = keyed(json_object_get(db, k), "scenario");
        if (kn && kb) exact_walk(c, k, kn, kb, 1);
        else c->nomem = 1;
        json_decref(kn);
        json_decref(kb);
    }
}

/* The scenario a result names: a batch's "N scenarios", else its "scenario". @return a new
 * string, or NULL when out of memory. */
static char *scenario_of(const json_t *d, const char *study)
{
    if (strcmp(study, "batch")) return dupstr(str(d, "scenario"));
    char buf[64];
    size_t n = json_array_size(json_object_get(d, "runs"));
    snprintf(buf, sizeof buf, "%zu scenario%s", n, n == 1 ? "" : "s");
    return dupstr(buf);
}

static int identify(ctx *c, const json_t *dn, const char *pn, const json_t *db, const char *pb,
                    const cx_compare_opts *o, char *err, size_t len)
{
    cx_compare_result *r = c->r;
    const char *sn = study_of(dn), *sb = study_of(db);
    if (!sn)
        return fail(err, len, CX_ERR_USAGE,
                    "%s: not a capexsim result (no \"metrics\" with \"scenario_sha256\", no "
                    "known \"study\")", pn);
    if (!sb)
        return fail(err, len, CX_ERR_USAGE,
                    "%s: not a capexsim result (no \"metrics\" with \"scenario_sha256\", no "
                    "known \"study\")", pb);
    if (strcmp(sn, sb))
        return fail(err, len, CX_ERR_USAGE, "%s: a %s result; %s is a %s result: different studies",
                    pn, sn, pb, sb);
    int rc;
    if ((rc = check_shape(dn, pn, sn, err, len)) < 0 || (rc = check_shape(db, pb, sb, err, len)) < 0)
        return rc;
    if (strcmp(sn, "run") && strcmp(str(dn, "metric"), str(db, "metric")) && strcmp(sn, "sweep"))
        return fail(err, len, CX_ERR_USAGE, "%s: metric: %s, but %s studies %s: different studies",
                    pn, str(dn, "metric"), pb, str(db, "metric"));
    if (!strcmp(sn, "sweep")) {
        const json_t *an = json_object_get(dn, "axes"), *ab = json_object_get(db, "axes");
        if (!json_equal((json_t *)an, (json_t *)ab))
            return fail(err, len, CX_ERR_USAGE,
                        "%s: axes: not the sweep of %s (inputs or values differ): different studies",
                        pn, pb);
    }
    bool runs = !strcmp(sn, "batch") || !strcmp(sn, "stress");
    if (!strcmp(sn, "stress") &&
        (strcmp(str(dn, "case"), str(db, "case")) ||
         !json_equal(json_object_get(dn, "inputs"), json_object_get(db, "inputs"))))
        return fail(err, len, CX_ERR_USAGE,
                    "%s: inputs: not the stress case of %s (case %s against %s, or its inputs "
                    "differ): different studies", pn, pb, str(dn, "case"), str(db, "case"));
    r->study = dupstr(sn);
    r->scenario = scenario_of(db, sn);
    r->new_scenario = scenario_of(dn, sn);
    r->new_path = dupstr(pn);
    r->base_path = dupstr(pb); /* a stress result's scenario: its baseline's */
    r->new_sha256 = dupstr(str(runs ? json_object_get(dn, "baseline") : dn, "scenario_sha256"));
    r->base_sha256 = dupstr(str(runs ? json_object_get(db, "baseline") : db, "scenario_sha256"));
    if (!r->study || !r->scenario || !r->new_scenario || !r->new_path || !r->base_path || !r->new_sha256 ||
        !r->base_sha256)
        return CX_ERR_NOMEM;
    (void)u64_of(json_object_get(dn, "seed"), &r->new_seed);
    (void)u64_of(json_object_get(db, "seed"), &r->base_seed);
    if (u64_of(json_object_get(dn, "paths"), &r->new_paths) < 0) r->new_paths = 0;
    if (u64_of(json_object_get(db, "paths"), &r->base_paths) < 0) r->base_paths = 0;

    if (runs && (rc = identify_runs(c, dn, pn, db, pb, o, err, len)) < 0) return rc;
    if (!runs && strcmp(r->new_sha256, r->base_sha256)) { /* batch, stress: by run, above */
        if (!o->allow_scenario)
            return fail(err, len, CX_ERR_USAGE,
                        "%s: scenario_sha256: %.12s... is not %s's %.12s... (results of different "
                        "scenarios; --allow-scenario compares them)",
                        pn, r->new_sha256, pb, r->base_sha256);
        add_note(c, "DIFFERENT SCENARIOS (SHA-256 %.12s... vs %.12s...): compared because of "
                    "--allow-scenario", r->new_sha256, r->base_sha256);
    }
    if (r->new_seed != r->base_seed) {
        if (!o->allow_seed)
            return fail(err, len, CX_ERR_USAGE,
                        "%s: seed: %llu is not %s's %llu (--allow-seed compares results of "
                        "different seeds)",
                        pn, (unsigned long long)r->new_seed, pb, (unsigned long long)r->base_seed);
        add_note(c, "DIFFERENT SEEDS (%llu vs %llu): compared because of --allow-seed",
                 (unsigned long long)r->new_seed, (unsigned long long)r->base_seed);
    }
    if (json_is_false(json_object_get(dn, "complete")))
        add_note(c, "NEW is incomplete (interrupted)");
    if (json_is_false(json_object_get(db, "complete")))
        add_note(c, "BASE is incomplete (interrupted)");
    if (strcmp(str(dn, "sampling"), str(db, "sampling")))
        add_note(c, "sampling differs: %s vs %s", str(dn, "sampling"), str(db, "sampling"));
    return 0;
}

/* Whether key names a standard error ("se", "s1_se", ...). */
static bool is_se_key(const char *k)
{
    size_t n = strlen(k);
    return !strcmp(k, "se") || (n > 3 && !strcmp(k + n - 3, "_se"));
}

/*
 * A value outside the range of its metric in a run's report: a mean, a percentile or the
 * burden's CVaR95 below the metric's min or above its max. The sketch's values may lie a
 * bucket (relative error a, x 2 for the representative) outside the exact extremes, and a mean
 * a rounding away: that much is allowed. Writes the path and value to bad.
 */
static bool out_of_range(const json_t *run, const char *path, char *bad, size_t len)
{
    const json_t *ms = json_object_get(run, "metrics");
    double a = num(run, "relative_error");
    if (!(a >= 0 && a < 1)) a = 0.001;
    const char *name;
    const json_t *m;
    json_object_foreach((json_t *)ms, name, m) {
        double lo = num(m, "min"), hi = num(m, "max");
        if (!isfinite(lo) || !isfinite(hi)) continue;
        double tol = (2 * a + 1e-9) * fmax(fabs(lo), fabs(hi));
        const char *pk;
        const json_t *pv;
        double v = num(m, "mean");
        const char *what = "mean", *sep = "";
        if (!(v >= lo - tol && v <= hi + tol) && !isnan(v)) goto outside;
        json_object_foreach(json_object_get(m, "percentiles"), pk, pv) {
            v = json_is_number(pv) ? json_number_value(pv) : NAN;
            what = pk;
            sep = "percentiles.";
            if (!(v >= lo - tol && v <= hi + tol) && !isnan(v)) goto outside;
        }
        if (!strcmp(name, "capex_burden")) {
            v = num(run, "burden_cvar95");
            if (!(v >= lo - tol && v <= hi + tol) && !isnan(v)) {
                snprintf(bad, len, "%s%sburden_cvar95 = %.17g: outside capex_burden's range "
                         "[%.17g, %.17g]", path, *path ? "." : "", v, lo, hi);
                return true;
            }
        }
        continue;
outside:
        snprintf(bad, len, "%s%smetrics.%s.%s%s = %.17g: outside the metric's range [%.17g, "
                 "%.17g]", path, *path ? "." : "", name, sep, what, v, lo, hi);
        return true;
    }
    return false;
}

/*
 * The first impossible value under v (at path): a standard error that is negative or not
 * finite, a probability (a value of "burden_exceedance", an "exceed_*" statistic) outside
 * [0, 1]. Writes its path and value to bad. @return true when one was found.
 */
static bool impossible(const json_t *v, const char *path, bool prob, char *bad, size_t len,
                       int depth)
{
    if (depth > 64) return false;
    if (json_is_object(v) && json_is_object(json_object_get(v, "metrics")) &&
        out_of_range(v, path, bad, len))
        return true;
    if (json_is_object(v)) {
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
            if (json_is_number(x)) {
                double d = json_number_value(x);
                bool p = prob || !strncmp(k, "exceed_", 7);
                if ((is_se_key(k) && !(isfinite(d) && d >= 0)) ||
                    (p && !(d >= 0 && d <= 1))) {
                    snprintf(bad, len, "%s = %.17g: %s", sub, d,
                             is_se_key(k) ? "a standard error is finite and >= 0"
                                          : "a probability lies in [0, 1]");
                    return true;
                }
            } else if (impossible(x, sub, !strcmp(k, "burden_exceedance"), bad, len, depth + 1)) {
                return true;
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (impossible(x, sub, false, bad, len, depth + 1)) return true;
        }
    }
    return false;
}

int cx_compare_docs(cx_compare_result **out, const json_t *new_doc, const char *new_path,
                    const json_t *base_doc, const char *base_path, const cx_compare_opts *o,
                    char *err, size_t err_len)
{
    *out = NULL;
    if (!(o->alpha > 0 && o->alpha < 1))
        return fail(err, err_len, CX_ERR_RANGE, "alpha: expected a number in (0, 1)");
    cx_compare_result *r = calloc(1, sizeof *r);
    if (!r) return CX_ERR_NOMEM;
    r->opts = *o;
    ctx c = {.r = r};
    char bad[700];
    int rc = 0;
    /* impossible values are bad input (exit 2), not a difference (issue 25) */
    if (impossible(new_doc, "", false, bad, sizeof bad, 0)) {
        rc = fail(err, err_len, CX_ERR_USAGE, "%s: %s", new_path, bad);
        goto fail;
    }
    if (impossible(base_doc, "", false, bad, sizeof bad, 0)) {
        rc = fail(err, err_len, CX_ERR_USAGE, "%s: %s", base_path, bad);
        goto fail;
    }
    rc = identify(&c, new_doc, new_path, base_doc, base_path, o, err, err_len);
    if (rc < 0) goto fail;
    if (o->exact) {
        if (c.pairs) exact_runs(&c, new_doc, base_doc);
        else exact_walk(&c, "", new_doc, base_doc, 0);
        char seen[512] = "";
        for (int i = 0; cx_compare_ignored_keys[i]; i++)
            if (c.ignored_seen & (1u << i))
                snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s%s",
                         seen[0] ? ", " : "", cx_compare_ignored_keys[i]);
        if (seen[0]) add_note(&c, "ignored (provenance and timing): %s", seen);
    } else if (!strcmp(r->study, "run")) {
        compare_run(&c, new_doc, base_doc, (double)r->new_paths, (double)r->base_paths);
    } else if (c.pairs) {
        compare_pairs(&c);
    } else if (!strcmp(r->study, "sweep")) {
        compare_sweep(&c, new_doc, base_doc);
    } else if (!strcmp(r->study, "sobol")) {
        compare_sobol(&c, new_doc, base_doc);
    } else {
        rc = fail(err, err_len, CX_ERR_USAGE,
                  "%s: tornado results carry no standard errors: compare them with --exact",
                  new_path);
        goto fail;
    }
    if (c.nomem) {
        rc = CX_ERR_NOMEM;
        goto fail;
    }
    /* rows judged before Holm's test (missing from NEW, or different where no error is
     * possible) count as compared too, so the differences never outnumber the tested */
    int judged = 0;
    for (int i = 0; i < r->n_rows; i++)
        judged += rank_of(&r->rows[i]) == 0;
    if (!o->exact && (rc = holm(r, o->alpha)) < 0) goto fail;
    if (!o->exact) r->n_tested += judged;
    int untestable = 0;
    for (int i = 0; i < r->n_rows; i++)
        untestable += r->rows[i].verdict == CX_CMP_UNTESTABLE;
    if (untestable && strcmp(r->study, "sobol"))
        add_note(&c, "%d statistics have no standard error or CI in the files (null: too few "
                     "paths or replicates for one) and are not tested", untestable);
    if (c.nomem) {
        rc = CX_ERR_NOMEM;
        goto fail;
    }
    exact_order = o->exact;
    if (r->n_rows) qsort(r->rows, (size_t)r->n_rows, sizeof *r->rows, worst_first);
    for (int i = 0; i < r->n_rows; i++)
        r->n_different += rank_of(&r->rows[i]) == 0;
    pairing_free(c.pairs);
    *out = r;
    return 0;
fail:
    if (rc == CX_ERR_NOMEM) cx_set_err(err, err_len, "out of memory");
    pairing_free(c.pairs);
    cx_compare_free(r);
    return rc;
}

static int load(json_t **doc, const char *path, char *err, size_t len)
{
    json_error_t je;
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, len, CX_ERR_IO, "%s: %s", path, strerror(errno));
    *doc = json_loadf(f, JSON_DECODE_ANY, &je);
    fclose(f);
    if (!*doc)
        return fail(err, len, CX_ERR_USAGE, "%s:%d: not JSON: %s", path, je.line, je.text);
    return 0;
}

int cx_compare_files(cx_compare_result **out, const char *new_path, const char *base_path,
                     const cx_compare_opts *o, char *err, size_t err_len)
{
    json_t *dn = NULL, *db = NULL;
    *out = NULL;
    int rc = load(&dn, new_path, err, err_len);
    if (rc == 0) rc = load(&db, base_path, err, err_len);
    if (rc == 0) rc = cx_compare_docs(out, dn, new_path, db, base_path, o, err, err_len);
    json_decref(dn);
    json_decref(db);
    return rc;
}

void cx_compare_free(cx_compare_result *r)
{
    if (!r) return;
    for (int i = 0; i < r->n_rows; i++) {
        free(r->rows[i].name);
        free(r->rows[i].text_new);
        free(r->rows[i].text_base);
    }
    free(r->rows);
    for (int i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    free(r->study);
    free(r->scenario);
    free(r->new_scenario);
    free(r->new_path);
    free(r->base_path);
    free(r->new_sha256);
    free(r->base_sha256);
    free(r);
}

/* ---- writers ---- */

static const char *verdict_name(cx_compare_verdict v)
{
    static const char *const names[] = {"same", "different", "missing", "new-only", "untestable"};
    return names[v];
}

static void fmt_p(char *buf, size_t len, double p)
{
    if (isnan(p))
        snprintf(buf, len, "-");
    else if (p < 1e-16)
        snprintf(buf, len, "<1e-16");
    else
        snprintf(buf, len, "%.2g", p);
}

void cx_compare_table(FILE *f, const cx_compare_result *r, int top)
{
    const cx_compare_opts *o = &r->opts;
    if (!strcmp(r->new_scenario, r->scenario))
        fprintf(f, "compare %s results of %s%s\n", r->study, r->scenario,
                o->exact ? " (--exact)" : "");
    else /* issue 22: never only BASE's name when NEW is another scenario */
        fprintf(f, "compare %s results of %s (NEW) and %s (BASE)%s\n", r->study,
                r->new_scenario, r->scenario, o->exact ? " (--exact)" : "");
    fprintf(f, "  NEW  %s  scenario %s  seed %llu", r->new_path, r->new_scenario,
            (unsigned long long)r->new_seed);
    if (r->new_paths) fprintf(f, "  %llu paths", (unsigned long long)r->new_paths);
    fprintf(f, "\n  BASE %s  scenario %s  seed %llu", r->base_path, r->scenario,
            (unsigned long long)r->base_seed);
    if (r->base_paths) fprintf(f, "  %llu paths", (unsigned long long)r->base_paths);
    fputc('\n', f);
    for (int i = 0; i < r->n_notes; i++)
        fprintf(f, "  note: %s\n", r->notes[i]);
    int shown = 0;
    for (int i = 0; i < r->n_rows && (top <= 0 || shown < top); i++) {
        const cx_compare_row *w = &r->rows[i];
        if (w->verdict == CX_CMP_NEW_ONLY || w->verdict == CX_CMP_UNTESTABLE) continue;
        if (!shown++) {
            if (o->exact)
                fprintf(f, "\n  %-46s %13s %13s %10s\n", "value", "new", "base", "rel");
            else
                fprintf(f, "\n  %-46s %11s %11s %11s %8s %7s %8s\n", "statistic", "new", "base",
                        "change", "rel", "z", "p(Holm)");
        }
        char mark = rank_of(w) == 0 ? '*' : ' ';
        if (o->exact && w->text_new) {
            fprintf(f, "%c %-46s %13.13s %13.13s %10s\n", mark, w->name, w->text_new,
                    w->text_base, "");
        } else if (o->exact || w->verdict == CX_CMP_MISSING) {
            fprintf(f, "%c %-46s %13.6g %13.6g %9.3g%%%s\n", mark, w->name, w->new_v, w->base_v,
                    100 * w->rel, w->verdict == CX_CMP_MISSING ? "  (missing in NEW)" : "");
        } else {
            char p[16];
            fmt_p(p, sizeof p, w->p_holm);
            fprintf(f, "%c %-46s %11.5g %11.5g %+11.4g %+7.2f%% %+7.2f %8s\n", mark, w->name,
                    w->new_v, w->base_v, w->new_v - w->base_v, 100 * w->rel, w->z, p);
        }
    }
    if (o->exact)
        fprintf(f, "\n%d values compared (timing and provenance fields ignored): %d differ -> %s\n",
                r->n_tested, r->n_different, r->n_different ? "DIFFERENT" : "SAME");
    else
        fprintf(f, "\n%d statistics tested, Holm family-wise false-alarm rate %g: %d differ -> %s\n",
                r->n_tested, o->alpha, r->n_different, r->n_different ? "DIFFERENT" : "SAME");
}

static json_t *jnum(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *cx_compare_json(const cx_compare_result *r)
{
    json_t *notes = json_array(), *rows = json_array();
    json_t *doc = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:I, s:I}, "
        "s:{s:s, s:s, s:s, s:I, s:I}, s:f, "
        "s:s, s:i, s:i, s:s, s:o, s:o}",
        "kind", "capexsim-compare", "format_version", CX_COMPARE_FORMAT_VERSION, "version",
        CX_VERSION, "mode", r->opts.exact ? "exact" : "statistical", "study", r->study, "scenario",
        r->scenario, "new", "path", r->new_path, "scenario", r->new_scenario, "scenario_sha256",
        r->new_sha256, "seed",
        (json_int_t)r->new_seed, "paths", (json_int_t)r->new_paths, "base", "path", r->base_path,
        "scenario", r->scenario, "scenario_sha256", r->base_sha256, "seed", (json_int_t)r->base_seed, "paths",
        (json_int_t)r->base_paths, "alpha", r->opts.alpha, "correction",
        r->opts.exact ? "none" : "holm", "compared", r->n_tested, "different", r->n_different,
        "verdict", r->n_different ? "different" : "same", "notes", notes, "rows", rows);
    if (!doc) return NULL;
    for (int i = 0; i < r->n_notes; i++)
        if (json_array_append_new(notes, json_string(r->notes[i])) < 0) goto fail;
    for (int i = 0; i < r->n_rows; i++) {
        const cx_compare_row *w = &r->rows[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                              "statistic", w->name, "method", w->method, "verdict",
                              verdict_name(w->verdict), "new", jnum(w->new_v), "base",
                              jnum(w->base_v), "change", jnum(w->new_v - w->base_v), "rel",
                              jnum(w->rel), "se", jnum(w->se), "z", jnum(w->z), "p", jnum(w->p),
                              "p_holm", jnum(w->p_holm));
        if (!o) goto fail;
        json_object_set_new(o, "df", jnum(w->df));
        if (w->text_new) {
            json_object_set_new(o, "new_text", json_string(w->text_new));
            json_object_set_new(o, "base_text", json_string(w->text_base));
        }
        if (json_array_append_new(rows, o) < 0) goto fail;
    }
    return doc;
fail:
    json_decref(doc);
    return NULL;
}
