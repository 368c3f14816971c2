/* SPDX-License-Identifier: MIT */
/* Tests for sim/normal: the ziggurat's tables, moments, KS, tails, histogram, stream use. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>

#include "sim/rng/normal.h"
#include "sim/rng/pcg.h"

#define N_MOM 10000000
#define N_KS 1000000
/* Kolmogorov-Smirnov critical value at alpha = 0.01: 1.628 / sqrt(n) (asymptotic). */
#define KS_C001 1.628
#define PI 3.14159265358979323846

static double x_of(int i)
{
    return i < 256 ? cx_normal_layers[i].w * 0x1p53 : 0.0;
}

/* The tables follow from r alone (sim/rng/normal.c): rebuild them in double precision. */
Test(normal, tables_follow_the_recurrence)
{
    const double r = CX_NORMAL_R, v = CX_NORMAL_V;
    double fr = exp(-0.5 * r * r);
    /* base layer: rectangle r f(r) plus the tail sqrt(2 pi) Q(r) */
    double base = r * fr + sqrt(2.0 * PI) * gsl_cdf_ugaussian_Q(r);
    cr_assert(fabs(base - v) <= 1e-15 * v, "base layer area %.17g, V %.17g", base, v);
    cr_assert(fabs(x_of(0) * fr - v) <= 4e-16 * v, "x_0 f(r) = V");
    cr_assert(eq(dbl, x_of(1), r));
    double x = r;
    for (int i = 1; i < 256; i++) {
        cr_assert(fabs(x_of(i) - x) <= 1e-12 * x, "x_%d %.17g, recurrence %.17g", i, x_of(i), x);
        if (i < 255)
            x = sqrt(-2.0 * log(exp(-0.5 * x * x) + v / x));
        /* the edge of layer i is the width of layer i + 1 */
        cr_assert(eq(dbl, cx_normal_layers[i - 1].edge, x_of(i)));
    }
    cr_assert(eq(dbl, cx_normal_layers[255].edge, 0.0));
    for (int i = 0; i <= 256; i++) {
        /* x^2 / 2 in double is off by up to one rounding, which exp turns into a relative
         * error of up to 2^-53 x^2 / 2; exp itself adds about one rounding */
        double xi = x_of(i), want = exp(-0.5 * xi * xi);
        cr_assert(fabs(cx_normal_f[i] - want) <= 0x1p-52 * (1.0 + xi * xi) * want, "f_%d", i);
    }
    /* every layer above the base has area V: width x_i times height f_{i+1} - f_i */
    for (int i = 1; i < 256; i++) {
        double area = x_of(i) * (cx_normal_f[i + 1] - cx_normal_f[i]);
        cr_assert(fabs(area - v) <= 5e-14 * v, "layer %d area %.17g, V %.17g", i, area, v);
    }
}

/* Moments of 10^7 draws within 5 standard errors: E z = 0 (se 1/sqrt n), E z^2 = 1
 * (se sqrt(2/n)), E z^3 = 0 (se sqrt(15/n)), E z^4 = 3 (se sqrt(96/n): E z^8 = 105). */
Test(normal, moments)
{
    cx_pcg64 g;
    cx_pcg64_stream(&g, 2026, 1);
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (int k = 0; k < N_MOM; k++) {
        double z = cx_normal(&g), z2 = z * z;
        s1 += z;
        s2 += z2;
        s3 += z2 * z;
        s4 += z2 * z2;
    }
    const double n = N_MOM;
    double m1 = s1 / n, m2 = s2 / n, m3 = s3 / n, m4 = s4 / n;
    cr_assert(fabs(m1) <= 5.0 * sqrt(1.0 / n), "mean %g", m1);
    cr_assert(fabs(m2 - 1.0) <= 5.0 * sqrt(2.0 / n), "E z^2 %g", m2);
    cr_assert(fabs(m3) <= 5.0 * sqrt(15.0 / n), "E z^3 %g", m3);
    cr_assert(fabs(m4 - 3.0) <= 5.0 * sqrt(96.0 / n), "E z^4 %g (kurtosis)", m4);
}

Test(normal, ks_against_gsl_phi)
{
    cx_pcg64 g;
    cx_pcg64_stream(&g, 2026, 2);
    double *z = malloc(N_KS * sizeof *z);
    cr_assert(z != NULL);
    for (int k = 0; k < N_KS; k++)
        z[k] = cx_normal(&g);
    gsl_sort(z, 1, N_KS);
    double d = 0.0;
    for (int k = 0; k < N_KS; k++) {
        double f = gsl_cdf_ugaussian_P(z[k]);
        double lo = f - (double)k / N_KS, hi = (double)(k + 1) / N_KS - f;
        d = fmax(d, fmax(lo, hi));
    }
    free(z);
    cr_assert(d * sqrt((double)N_KS) < KS_C001, "KS D sqrt(n) = %g", d * sqrt((double)N_KS));
}

/* Frequencies beyond 3, 4, r (where the tail sampler takes over) and 4.5 sd, each side
 * separately, within 5 SE of the binomial count. */
Test(normal, tail_frequencies)
{
    cx_pcg64 g;
    cx_pcg64_stream(&g, 2026, 3);
    const double cut[] = {3.0, 4.0, CX_NORMAL_R, 4.5};
    enum { NC = sizeof cut / sizeof cut[0] };
    long hi[NC] = {0}, lo[NC] = {0};
    for (int k = 0; k < N_MOM; k++) {
        double z = cx_normal(&g);
        for (int c = 0; c < NC; c++) {
            hi[c] += z > cut[c];
            lo[c] += z < -cut[c];
        }
    }
    for (int c = 0; c < NC; c++) {
        double p = gsl_cdf_ugaussian_Q(cut[c]), e = N_MOM * p, se = sqrt(N_MOM * p * (1 - p));
        cr_assert(fabs(hi[c] - e) <= 5 * se, "P(z > %g): %ld, expected %g", cut[c], hi[c], e);
        cr_assert(fabs(lo[c] - e) <= 5 * se, "P(z < -%g): %ld, expected %g", cut[c], lo[c], e);
    }
}

/* A histogram of 10^7 draws in cells of 0.05 over [-4, 4] (plus the two tails): chi-square
 * within 5 of its sd of its mean (df + 5 sqrt(2 df)). Cells this narrow resolve the wedges. */
Test(normal, histogram_chi_square)
{
    enum { NB = 160 };
    const double lo = -4.0, w = 0.05;
    long cnt[NB + 2] = {0};
    cx_pcg64 g;
    cx_pcg64_stream(&g, 2026, 4);
    for (int k = 0; k < N_MOM; k++) {
        double z = cx_normal(&g);
        int b = z < lo ? 0 : z >= -lo ? NB + 1 : 1 + (int)((z - lo) / w);
        if (b > NB)
            b = z >= -lo ? NB + 1 : NB;
        cnt[b]++;
    }
    double chi = 0.0;
    for (int b = 0; b < NB + 2; b++) {
        double a = b == 0 ? -INFINITY : lo + (b - 1) * w;
        double c = b == NB + 1 ? INFINITY : lo + b * w;
        double p = gsl_cdf_ugaussian_P(c) - gsl_cdf_ugaussian_P(a);
        double e = N_MOM * p;
        chi += (cnt[b] - e) * (cnt[b] - e) / e;
    }
    const double df = NB + 1;
    cr_assert(chi <= df + 5.0 * sqrt(2.0 * df), "chi-square %g with %g df", chi, df);
}

/* The same stream gives the same normals; a normal whose first output passes the fast test
 * uses exactly that output, decoded as sim/rng/normal.h says (layer: bits 0..7, sign: bit 8,
 * value: bits 11..63); the others take more outputs, and about 1% of normals do. */
Test(normal, stream_use)
{
    cx_pcg64 a, b;
    cx_pcg64_stream(&a, 99, 7);
    cx_pcg64_stream(&b, 99, 7);
    long fast = 0, slow = 0;
    const int n = 200000;
    for (int k = 0; k < n; k++) {
        cx_pcg64 before = a;
        double z = cx_normal(&a);
        cr_assert(eq(dbl, cx_normal(&b), z));
        cx_pcg64 h = before;
        uint64_t out = cx_pcg64_next(&h);
        const cx_normal_layer *l = &cx_normal_layers[out & 255u];
        double u = (double)(out >> 11) * l->w;
        if (u < l->edge) {
            cr_assert(h.state == a.state, "a fast normal takes one output");
            cr_assert(eq(dbl, z, (out & 256u) ? -u : u));
            fast++;
        } else {
            int steps = 1;
            while (h.state != a.state && steps < 1000) {
                (void)cx_pcg64_next(&h);
                steps++;
            }
            cr_assert(h.state == a.state && steps >= 2, "a slow normal takes more outputs");
            slow++;
        }
    }
    double frac = (double)slow / n;
    cr_assert(frac > 0.002 && frac < 0.02, "slow fraction %g", frac);
    cr_assert(eq(long, fast + slow, n));
}
