/* SPDX-License-Identifier: MIT */
/* exp and log2 written in the project, the same bits on every SIMD path and in scalar code. */
#ifndef CX_SIM_VMATH_H
#define CX_SIM_VMATH_H

/*
 * Why not libm: a vectorised loop must give the same bits as the plain C reference and as
 * every other instruction set (issue 9), and libm's exp is a scalar call that a vector loop
 * cannot make. These use only IEEE operations that are exactly rounded everywhere (+, -, *,
 * /) and integer bit manipulation, with no branches, so a compiler can vectorise a loop of
 * them for any width and the result is the same bits as the scalar call. (The build uses
 * -ffp-contract=off, so no fused multiply-add changes a rounding on one path only.)
 *
 * cx_exp: x = k ln2 + r with k = round(x / ln2) (by the 1.5 x 2^52 shift, exact for
 * |x| < 2^50) and ln2 split in two parts (Cody & Waite) so that k ln2_hi is exact; e^r by a
 * degree-13 Taylor polynomial on |r| <= ln2/2 (truncation below 2^-60 relative), evaluated
 * by Estrin's scheme (a short dependency chain, so vector loops are not latency-bound); 2^k
 * applied in two factors so that results down in the subnormal range stay right. Max error
 * against a correctly rounded exp: 2 ulp (tests/test_vmath.c measures it). Overflow gives
 * +inf, underflow +0, NaN gives NaN.
 *
 * cx_log2: x = 2^e m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m - 1)/(m + 1),
 * |s| <= 0.1716, by its odd series to s^23 (truncation below 2^-60; Estrin's scheme);
 * log2 x = e + ln m / ln2.
 * Subnormals are scaled first. log2(0) = -inf, log2(x < 0) = NaN, log2(inf) = inf.
 */

#include <stdint.h>
#include <string.h>

static inline uint64_t cx_dbits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double cx_bitsd(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* c when m is all ones, else d (m is 0 or ~0). */
static inline double cx_selectd(uint64_t m, double c, double d)
{
    return cx_bitsd((cx_dbits(c) & m) | (cx_dbits(d) & ~m));
}

static inline double cx_exp(double x)
{
    const double shift = 0x1.8p52;
    const double log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fefa3800p-1; /* low 11 bits zero: k ln2_hi exact */
    const double ln2_lo = 0x1.ef35793c76730p-45;
    /* clamp so that k stays in range; the selects below give the limits */
    double xc = x > 710.0 ? 710.0 : x;
    xc = xc < -746.0 ? -746.0 : xc;
    double kd = xc * log2e + shift;
    uint64_t ki = cx_dbits(kd) - cx_dbits(shift); /* k, two's complement */
    kd -= shift;
    double r = xc - kd * ln2_hi;
    r = r - kd * ln2_lo;
    /* e^r = 1 + (r + r^2 Q(r)), Q(r) = sum_{i=2..13} r^(i-2) / i!, Q by Estrin's scheme
     * (pairs, then pairs of pairs: a dependency chain 4 long instead of Horner's 12); the
     * largest terms are added last, so the rounding stays within 1 ulp */
    const double r2 = r * r, r4 = r2 * r2;
    const double q01 = 0.5 + r * (1.0 / 6.0), q23 = 1.0 / 24.0 + r * (1.0 / 120.0);
    const double q45 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    const double q67 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    const double q89 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    const double q1011 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
    const double q03 = q01 + r2 * q23, q47 = q45 + r2 * q67, q811 = q89 + r2 * q1011;
    const double q = q03 + r4 * (q47 + r4 * q811);
    double p = 1.0 + (r + r2 * q);
    /* 2^k = 2^k1 2^k2 with k1 = k >> 1 (arithmetic), k2 = k - k1: both in normal range */
    uint64_t k1 = (uint64_t)((int64_t)ki >> 1);
    uint64_t k2 = ki - k1;
    double s1 = cx_bitsd((k1 + 1023u) << 52);
    double s2 = cx_bitsd((k2 + 1023u) << 52);
    double y = p * s1 * s2;
    uint64_t over = -(uint64_t)(x > 709.782712893384);
    uint64_t under = -(uint64_t)(x < -745.1332191019412);
    y = cx_selectd(over, __builtin_inf(), y);
    y = cx_selectd(under, 0.0, y);
    return x != x ? x : y;
}

static inline double cx_log2(double x)
{
    const double ln2_inv = 0x1.71547652b82fep0;
    /* subnormals: scale by 2^64 and take 64 off the exponent */
    uint64_t sub = -(uint64_t)(x < 0x1p-1022);
    double xs = cx_selectd(sub, x * 0x1p64, x);
    uint64_t b = cx_dbits(xs);
    uint64_t e = (b >> 52) & 0x7ffu;
    double m = cx_bitsd((b & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    uint64_t big = -(uint64_t)(m > 0x1.6a09e667f3bcdp0); /* sqrt(2) */
    m = cx_selectd(big, m * 0.5, m);
    e += big & 1u;
    /* e as a double without an int64 conversion: 2^52 + e, less 2^52 */
    double ed = cx_bitsd(0x4330000000000000ULL | e) - 0x1p52;
    ed -= 1023.0;
    ed -= cx_selectd(sub, 64.0, 0.0);
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    /* q = sum_{i=1..11} s2^i / (2i + 1), by Estrin's scheme (chain 5 long, not 11) */
    const double s4 = s2 * s2, s8 = s4 * s4;
    const double c12 = 1.0 / 3.0 + s2 * (1.0 / 5.0), c34 = 1.0 / 7.0 + s2 * (1.0 / 9.0);
    const double c56 = 1.0 / 11.0 + s2 * (1.0 / 13.0), c78 = 1.0 / 15.0 + s2 * (1.0 / 17.0);
    const double c910 = 1.0 / 19.0 + s2 * (1.0 / 21.0);
    const double c14 = c12 + s4 * c34, c58 = c56 + s4 * c78;
    const double c911 = c910 + s4 * (1.0 / 23.0);
    const double c18 = c14 + s8 * c58;
    double q = s2 * (c18 + s8 * s8 * c911);
    double ln_m = 2.0 * s + 2.0 * s * q;
    double y = ed + ln_m * ln2_inv;
    y = cx_selectd(-(uint64_t)(x == 0.0), -__builtin_inf(), y);
    y = cx_selectd(-(uint64_t)(x == __builtin_inf()), __builtin_inf(), y);
    uint64_t bad = -(uint64_t)(!(x >= 0.0)); /* negative or NaN */
    return cx_selectd(bad, __builtin_nan(""), y);
}

#endif
