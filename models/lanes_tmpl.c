/* SPDX-License-Identifier: MIT */
/* The month's regular work across lanes: a template compiled once per instruction set. */

/*
 * Included by models/lanes_scalar.c (the plain C reference that defines the results),
 * models/lanes_avx2.c and models/lanes_avx512.c, each with CX_ISA set to its suffix and
 * compiled with its own -m flags. The source is the same, every operation is an exactly
 * rounded IEEE operation or integer bit work (cx_exp, cx_log2 from sim/rng/vmath.h, no libm),
 * and the build has -ffp-contract=off: so each instruction set gives the same bits, lane
 * by lane, which tests/test_lanes.c checks on random inputs. Each loop runs over the lanes
 * of a batch with no dependence between lanes, and `omp simd` tells the compiler so (gcc
 * does not always see it alone); the select helpers below keep every loop branch-free.
 *
 * What is here, in MODEL.md's order: step 1's capacity and cost, its price with its normal shock from each lane's
 * stream, step 5's demands, steps 4 and 5 (reserved,
 * available, oversold, allocation in priority order, the clawback shortfall), steps 8 and 9
 * (IaaS, idle, burden, revenue) and the path's running sums.
 */

#include <stdint.h>

#include "models/lanes.h"
#include "sim/rng/normal.h"
#include "sim/rng/pcg.h"
#include "sim/rng/vmath.h"

#define CX_CAT2(a, b) a##_##b
#define CX_CAT(a, b) CX_CAT2(a, b)
#define KFN(name) CX_CAT(name, CX_ISA)

/* the build passes -fopenmp-simd (or -fopenmp), so this holds with and without OpenMP; gcc
 * needs it to see that lanes do not depend on each other. clang (the fuzz build) decides
 * alone, and warns where it cannot follow the pragma. */
#if defined(__clang__)
#define LANES_SIMD
#else
#define LANES_SIMD _Pragma("omp simd")
#endif

/* a when c, else b, for doubles, without a branch */
static inline double sel(int c, double a, double b)
{
    return cx_selectd(-(uint64_t)(c != 0), a, b);
}

/* v < 2^53 as a double, exactly, without an int64 conversion (AVX2 has none): two halves
 * through the 2^52 trick. */
static inline double u53(uint64_t v)
{
    double hi = cx_bitsd(0x4330000000000000ULL | (v >> 26)) - 0x1p52;
    double lo = cx_bitsd(0x4330000000000000ULL | (v & 0x3ffffffULL)) - 0x1p52;
    return hi * 0x1p26 + lo;
}

/* Two outputs of the stream (st, inc) as cx_pcg32_next64 gives them; *st moves two steps.
 * Plain integers, not a cx_pcg32 copy: gcc finds no vector type for the struct. */
static inline uint64_t pcg32_next64(uint64_t *st, uint64_t inc)
{
    uint64_t s0 = *st, s1 = s0 * CX_PCG32_MULT + inc;
    *st = s1 * CX_PCG32_MULT + inc;
    return ((uint64_t)cx_pcg32_output_lanes(s0) << 32) | cx_pcg32_output_lanes(s1);
}

/* MODEL.md, Market price: log P(t) = log P(t-1) + drift + sd Z_t, one standard normal per
 * lane from its stream (the ziggurat's fast path across lanes; the ~1% of lanes whose draw
 * falls outside a layer's box finish it in cx_normal_slow32, on their own stream). */
static void KFN(price)(cx_scratch *s, int n, int n8, int t)
{
    if (t == 0)
        return; /* P(0) = price0, set at the start of the path */
    double z[CX_LANES] CX_ALIGNED;
    uint64_t bits[CX_LANES] CX_ALIGNED;
    uint64_t slow[CX_LANES] CX_ALIGNED; /* 64-bit lanes, like bits: no packing to 32 bits */
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        uint64_t st = s->st[l];
        uint64_t b = pcg32_next64(&st, s->inc[l]);
        s->st[l] = st;
        const cx_normal_layer *ly = &cx_normal_layers[b & 255u];
        double v = u53(b >> 11) * ly->w;
        slow[l] = !(v < ly->edge);
        bits[l] = b;
        /* the sign from bit 8, by flipping the sign bit */
        z[l] = cx_bitsd(cx_dbits(v) ^ ((b & 256u) << 55));
    }
    /* eight lanes at a time: a chunk has a slow lane about one time in nine */
    for (int c = 0; c < n; c += 8) {
        uint64_t any = 0;
        for (int j = 0; j < 8; j++)
            any |= slow[c + j];
        if (__builtin_expect(any != 0, 0)) {
            const int end = c + 8 < n ? c + 8 : n;
            for (int l = c; l < end; l++) {
                if (slow[l]) {
                    cx_pcg32 g = cx_lane_stream(s, l);
                    z[l] = cx_normal_slow32(&g, bits[l]);
                    s->st[l] = g.state;
                }
            }
        }
    }
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        double lp = s->logp[l] + s->drift_m[l];
        lp += s->sd_m[l] * z[l];
        s->logp[l] = lp;
        s->price[l] = sel(s->moves[l] != 0, cx_exp(lp), s->price0[l]);
    }
}

/* cap and cy += tranches i .. i + cnt - 1 where online in month tt, in that order (cnt a
 * constant where it is inlined, so the tranche loop unrolls inside the lane loop). all_on:
 * the tranches are online in every lane, so the test folds away (sel of 1 is gw itself). */
static inline __attribute__((always_inline)) void add_tranches(cx_scratch *s, double *cy,
                                                               int n8, double tt, int i,
                                                               const int cnt, const bool all_on)
{
    const size_t k = (size_t)i * CX_LANES;
    const double *on = s->tr_on + k, *off = s->tr_off + k;
    const double *gw = s->tr_gw + k, *cost = s->tr_cost + k;
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        double c = s->cap[l], y = cy[l];
        for (int j = 0; j < cnt; j++) {
            const int jl = j * CX_LANES + l;
            int online = (int)all_on | ((on[jl] <= tt) & (tt < off[jl]));
            c += sel(online, gw[jl], 0.0);
            y += sel(online, cost[jl], 0.0);
        }
        s->cap[l] = c;
        cy[l] = y;
    }
}

/* A run of cnt (1 to 4) tranches from i, in config order: four in one pass, else two and
 * one. */
static inline __attribute__((always_inline)) void add_run(cx_scratch *s, double *cy, int n8,
                                                          double tt, int i, int cnt,
                                                          const bool all_on)
{
    if (cnt == 4) {
        add_tranches(s, cy, n8, tt, i, 4, all_on);
        return;
    }
    if (cnt >= 2)
        add_tranches(s, cy, n8, tt, i, 2, all_on);
    if (cnt != 2)
        add_tranches(s, cy, n8, tt, i + cnt - 1, 1, all_on);
}

/* Tranche i in month tt, over the batch's lanes (s->tr_span): off in every lane, online in
 * every lane, or some of each. */
enum { TR_OFF, TR_ON, TR_MIXED };
static inline int tranche_kind(const cx_scratch *s, int i, double tt)
{
    const double *sp = s->tr_span + 4 * (size_t)i;
    if (tt < sp[0] || tt >= sp[3])
        return TR_OFF;
    return tt >= sp[1] && tt < sp[2] ? TR_ON : TR_MIXED;
}

/* MODEL.md, Supply and one month's step 1: C(t) and Cost(t), the sums over the tranches online
 * in month t (on <= t < off) in config order, and the burden of an idle GW-month
 * Cost(t) / C(t) (0 without capacity). A tranche that is not online adds +0.0, which leaves
 * the sum's bits as they are (it starts at +0.0, so it is never -0.0): so a tranche off in
 * every lane is passed over, and one online in every lane is added without the test (its
 * kind from the batch's spans). Runs of up to four tranches of one kind are added in one
 * pass over the lanes, one after the other in config order (so the same sums), for fewer
 * loads and stores of the running sums. */
static void KFN(supply)(cx_scratch *s, int n8, int t)
{
    double cy[CX_LANES] CX_ALIGNED;
    const double tt = (double)t;
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        s->cap[l] = 0.0;
        cy[l] = 0.0;
    }
    for (int i = 0; i < s->n_tr;) {
        const int kind = tranche_kind(s, i, tt);
        int j = i + 1;
        if (kind == TR_OFF) {
            i = j;
            continue;
        }
        while (j < s->n_tr && j - i < 4 && tranche_kind(s, j, tt) == kind)
            j++;
        if (kind == TR_ON)
            add_run(s, cy, n8, tt, i, j - i, true);
        else
            add_run(s, cy, n8, tt, i, j - i, false);
        i = j;
    }
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        double cap = s->cap[l], cost_m = cy[l] / 12.0;
        s->cost_m[l] = cost_m;
        /* u(t) / 12 = Cost(t) / C(t): the burden of one idle GW for the month */
        s->bpg[l] = sel(cap > 0.0, cost_m / (cap > 0.0 ? cap : 1.0), 0.0);
    }
}

/* MODEL.md, Demand: MSL's schedule (segment known from t, GW per lane) and multiplier from
 * the decision month; RecSys's geometric ramp; TaaS's linear ramp from its launch. */
static void KFN(demand)(cx_scratch *s, int n8, int t)
{
    const cx_model *m = s->m;
    const int ns = s->n_sched;
    double *dm = s->dem[CX_USE_MSL], *dr = s->dem[CX_USE_RECSYS], *dt = s->dem[CX_USE_TAAS];
    const double tt = (double)t;
    if (ns > 0) {
        const cx_sched_point *sp = m->sc->msl.sched;
        /* the segment [month k, month k+1) holding t: months are fixed, so one for all lanes */
        int k = 0;
        while (k + 1 < ns && sp[k + 1].month <= t)
            k++;
        const double *g0 = s->msl_g + (size_t)k * CX_LANES;
        if (t < sp[0].month || k + 1 >= ns) {
            /* flat before the first point and after the last */
            LANES_SIMD
            for (int l = 0; l < n8; l++)
                dm[l] = sel(tt >= s->msl_dec[l], g0[l] * s->msl_mult[l], g0[l]);
        } else {
            const double *g1 = s->msl_g + (size_t)(k + 1) * CX_LANES;
            const double dt_m = (double)(t - sp[k].month), inv_len = m->sched_inv_len[k];
            LANES_SIMD
            for (int l = 0; l < n8; l++) {
                double d = g0[l] + (g1[l] - g0[l]) * dt_m * inv_len;
                dm[l] = sel(tt >= s->msl_dec[l], d * s->msl_mult[l], d);
            }
        }
    } else {
        LANES_SIMD
        for (int l = 0; l < n8; l++)
            dm[l] = 0.0;
    }
    if (t > 0) {
        LANES_SIMD
        for (int l = 0; l < n8; l++) {
            int ramp = tt < s->rec_ramp_end[l];
            s->rec_d[l] = sel(ramp, s->rec_d[l] * s->rec_step[l], s->rec_full[l]);
            s->rec_l2[l] = sel(ramp, tt * s->rec_l2_step[l], s->rec_l2_full[l]);
        }
    }
    LANES_SIMD
    for (int l = 0; l < n8; l++)
        dr[l] = s->rec_d[l];
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        /* whole months: tt - L is exact, as t - L was in integers */
        double L = s->taas_launch[l];
        double f = (tt - L) * s->taas_inv_ramp[l];
        int full = (s->taas_instant[l] != 0.0) | !(f < 1.0);
        double d = sel(full, s->taas_target[l], s->taas_target[l] * f);
        dt[l] = sel(tt >= L, d, 0.0);
    }
}

/* MODEL.md, Counterparty cancellation (step 3): the survival product after month t's hazard
 * (cx_hazard_survival) for lanes with a deal waiting on it; hz_hit[l] when it reached the
 * largest waiting threshold or nears underflow (models/deals.c then gives the notices). */
static void KFN(hazard)(cx_scratch *s, int n8)
{
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        double fall = cx_pos(s->logp0[l] - s->logp[l]); /* ln(P(0) / P(t)) */
        double h = s->hz_base[l] + s->hz_price[l] * fall;
        double surv = s->hz_surv[l];
        surv = sel(h >= 1.0, 0.0, sel(h > 0.0, surv * (1.0 - h), surv));
        int waits = s->hz_max[l] > 0.0;
        int notice = waits & ((surv <= s->hz_max[l]) | (surv < 0x1p-900));
        s->hz_new[l] = surv;
        s->hz_surv[l] = sel(waits & !notice, surv, s->hz_surv[l]);
        s->hz_hit[l] = notice;
    }
}

/* Step 7's first draw (models/month.c, draw 6) where an offer of the smallest size could be
 * signed and offers are counted by inversion: one uniform from the lane's deal-events stream (the
 * state moves only on those lanes); visit[l] when it gives at least one offer (u >= exp(-mean)),
 * or when the mean is too large for inversion (GSL draws the count). */
static void KFN(spot)(cx_scratch *s, int n8, int t, double spot_lo)
{
    const double tt = (double)t;
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        int elig = (tt >= s->spot_start[l]) & (spot_lo <= s->left[l] + CX_GW_EPS) &
                   (s->reserved[l] + spot_lo <= s->spot_max_ext[l] + CX_GW_EPS);
        int inv = s->spot_lambda[l] <= CX_POISSON_INVERSION_MAX;
        const uint64_t s0 = s->est[l];
        uint64_t st = s0;
        double u = u53(pcg32_next64(&st, s->einc[l]) >> 11) * 0x1.0p-53; /* cx_pcg32_uniform */
        int draw = elig & inv;
        s->est[l] = draw ? st : s0;
        s->spot_u[l] = sel(draw, u, -1.0);
        s->visit[l] = (draw & !(u < s->spot_exp_neg[l])) | (elig & !inv);
    }
}

/* MODEL.md, one month, steps 4 and 5, and step 6's shortfall: A(t) = max(0, C - D), the
 * oversold GW (beyond 1e-9 GW), each use min(demand, what is left) in priority order. */
static void KFN(allocate)(cx_scratch *s, int n8)
{
    const cx_model *m = s->m;
    const int *prio = m->sc->priority;
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        double avail = s->cap[l] - s->reserved[l];
        double over = sel(-avail > CX_GW_EPS, -avail, 0.0);
        avail = cx_pos(avail);
        s->avail[l] = avail;
        s->oversold[l] = over;
        s->oversold_peak[l] = sel(over > s->oversold_peak[l], over, s->oversold_peak[l]);
        double left = avail, claw = 0.0;
        for (int k = 0; k < CX_N_USES; k++) {
            int u = prio[k];
            double d = s->dem[u][l];
            double a = cx_pos(d < left ? d : left);
            s->alc[u][l] = a;
            left -= a;
        }
        for (int u = 0; u < CX_N_USES; u++)
            claw += sel(m->clawback[u], s->dem[u][l] - s->alc[u][l], 0.0);
        s->left[l] = cx_pos(left);
        s->claw_short[l] = claw;
        s->spot_gw[l] = 0.0;
        s->spot_rev[l] = 0.0;
    }
}

/* MODEL.md, one month, steps 8 and 9: IaaS resale of what is left, idle, burden, the
 * month's revenue by stream, and the path's running sums in month order. ramp_log2: RecSys
 * is fully met in every lane (a == d), so every lane takes the ramp's own log2 and the
 * log2 of a / b is not computed (a constant where it is inlined: two loops). */
static inline __attribute__((always_inline)) void settle_lanes(cx_scratch *s, int n8,
                                                               const bool ramp_log2)
{
    const double *ar = s->alc[CX_USE_RECSYS], *at = s->alc[CX_USE_TAAS];
    const double *am = s->alc[CX_USE_MSL], *dm = s->dem[CX_USE_MSL], *dr = s->dem[CX_USE_RECSYS];
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        double left = s->left[l];
        double ig = cx_pos(left < s->iaas_max[l] ? left : s->iaas_max[l]);
        ig = sel(left > 0.0, ig, 0.0);
        double ir = ig * s->price[l] * s->iaas_k[l];
        double idle = cx_pos(left - ig);
        s->iaas_gw[l] = ig;
        s->iaas_rev[l] = ir;
        double burden_t = idle * s->bpg[l];
        double rd = s->deals_rev_m[l] + s->spot_rev[l];
        double rt = at[l] * s->taas_rev[l];
        /* log2(max(1, a / b)): the ramp's own log2 when fully met */
        double a = ar[l];
        double l2 = ramp_log2 ? s->rec_l2[l]
                              : sel(a == dr[l], s->rec_l2[l],
                                    cx_log2(a / (s->rec_b[l] > 0.0 ? s->rec_b[l] : 1.0)));
        double rr = sel((s->rec_k[l] != 0.0) & (a > 0.0) & (l2 > 0.0), s->rec_k[l] * l2, 0.0);
        double rev = rd + rt + ir + rr;
        s->left[l] = idle;
        s->burden_t[l] = burden_t;
        s->rev_m[l] = rev;
        s->rd_m[l] = rd;
        s->rt_m[l] = rt;
        s->ri_m[l] = ir;
        s->rr_m[l] = rr;
        s->burden[l] += burden_t;
        s->cost[l] += s->cost_m[l];
        s->rev_deals[l] += rd;
        s->rev_taas[l] += rt;
        s->rev_iaas[l] += ir;
        s->rev_recsys[l] += rr;
        s->idle_sum[l] += idle;
        s->idle_peak[l] = sel(idle > s->idle_peak[l], idle, s->idle_peak[l]);
        s->msl_short[l] += dm[l] - am[l];
        s->q_idle[l] += idle;
        s->q_rev[l] += rev;
    }
}

static void KFN(settle)(cx_scratch *s, int n8, int t)
{
    const double *ar = s->alc[CX_USE_RECSYS], *dr = s->dem[CX_USE_RECSYS];
    (void)t;
    /* is RecSys short anywhere in the batch (or NaN)? */
    uint64_t short_any = 0;
    for (int l = 0; l < n8; l++)
        short_any |= (uint64_t)(ar[l] != dr[l]);
    if (short_any)
        settle_lanes(s, n8, false);
    else
        settle_lanes(s, n8, true);
}

/* MODEL.md, Present value: after settle, the month's burden and revenue by stream times the
 * month's discount factor f, added to the path's present values in month order. Stream by
 * stream, as revenue_total sums the streams' totals: with f = 1 every product is the amount
 * itself, so the sums are capex_burden's and the streams' bits. */
static void KFN(discount)(cx_scratch *s, int n8, double f)
{
    LANES_SIMD
    for (int l = 0; l < n8; l++) {
        s->burden_pv[l] += s->burden_t[l] * f;
        s->rd_pv[l] += s->rd_m[l] * f;
        s->rt_pv[l] += s->rt_m[l] * f;
        s->ri_pv[l] += s->ri_m[l] * f;
        s->rr_pv[l] += s->rr_m[l] * f;
    }
}

const cx_lane_kernels KFN(cx_lane_kernels) = {
    CX_STR(CX_ISA), KFN(supply), KFN(price), KFN(demand), KFN(hazard), KFN(allocate), KFN(spot), KFN(settle),
    KFN(discount),
};
