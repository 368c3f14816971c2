/* SPDX-License-Identifier: MIT */
/* The month: MODEL.md's nine steps in order, for a batch of paths in lanes. */

/*
 * cx_model_batch runs up to CX_LANES paths. Each lane first draws its path-level events and
 * sets up its supply, market, demand and deals from its scalar inputs; then every month runs
 * the nine steps of MODEL.md ("One month, in order") for all lanes at once: the regular
 * steps as kernels over lanes (models/lanes_tmpl.c, through the table chosen for this CPU),
 * the deal events per lane, only where a lane has one (models/deals.c).
 *
 * The once-per-path outcomes are scalar inputs (issue 20): MSL succeeds iff
 * x[msl.success] < x[msl.p_success], TaaS launches iff x[taas.launch] < x[taas.p_launch],
 * a signed deal happens iff x[deals.signed.NAME.happens] < x[...p_signed]; their uniforms
 * come with the other inputs (sim/input/, sim/engine/sampling.c), so the model draws nothing
 * for them. The per-month randomness of a path comes from two streams of its own
 * (cx_path_streams; in a run, cx_pcg32_group_stream of seed, block, the path's index in
 * the block and the group, sim/engine/engine.c), in this order within each:
 *   price path (group 0), for each month t = 1 .. H-1:
 *   1. step 1: one standard normal (ziggurat, sim/rng/normal.h) for the price shock,
 *      whenever the price matters to the scenario (IaaS, spot deals, or a cancellable signed
 *      deal with a hazard_price that is not fixed at 0), even on a path whose volatility is 0;
 *   deal events (group 1), for each month t = 0 .. H-1, in step order:
 *   2. steps 2 and 7: when a cancellable deal begins (signed deals in config order; a spot
 *      deal right after its premium) and the path's hazards are not both 0, one uniform in
 *      (0, 1), its buyer-notice threshold (models/deals.c);
 *   3. step 7, t >= spot start, when the smallest possible offer could still be signed: the
 *      number of offers (one uniform by inversion when the mean is <= 12, else
 *      gsl_ran_poisson), then per offer its gw and, only if it is signed, its premium (one
 *      uniform each for fixed, uniform and triangular, else cx_dist_sample).
 * The two orders define the results for a seed.
 * A uniform is two pcg32 outputs (53 bits), as is a ziggurat attempt's 64 bits.
 */

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "models/lanes.h"
#include "models/trace.h"
#include "sim/rng/pcg.h"

_Static_assert(CX_LANES <= 64, "a batch's lanes are the bits of a uint64_t mask");

/*
 * Which lanes have an event is close to random, so a test per lane would be mispredicted
 * often: these build a mask of the lanes l < n (n <= 64) where a condition holds, bit l for
 * lane l, branch-free, and the caller visits the set bits in lane order (lane_next). SSE2
 * (every x86-64) compares four lanes at a time; the plain loops are the same masks.
 */
static inline uint64_t below_n(uint64_t m, int n)
{
    return n < 64 ? m & ((UINT64_C(1) << n) - 1) : m;
}

/* v[l] > x */
static inline uint64_t lanes_above_i(const int32_t *v, int32_t x, int n)
{
    uint64_t m = 0;
#if defined(__SSE2__)
    const __m128i xv = _mm_set1_epi32(x);
    for (int l = 0; l < n; l += 4) {
        __m128i gt = _mm_cmpgt_epi32(_mm_load_si128((const __m128i *)(v + l)), xv);
        m |= (uint64_t)_mm_movemask_ps(_mm_castsi128_ps(gt)) << l;
    }
#else
    for (int l = 0; l < n; l++)
        m |= (uint64_t)(v[l] > x) << l;
#endif
    return below_n(m, n);
}

/* a[l] < b[l] */
static inline uint64_t lanes_below_i(const int32_t *a, const int32_t *b, int n)
{
    uint64_t m = 0;
#if defined(__SSE2__)
    for (int l = 0; l < n; l += 4) {
        __m128i lt = _mm_cmplt_epi32(_mm_load_si128((const __m128i *)(a + l)),
                                     _mm_load_si128((const __m128i *)(b + l)));
        m |= (uint64_t)_mm_movemask_ps(_mm_castsi128_ps(lt)) << l;
    }
#else
    for (int l = 0; l < n; l++)
        m |= (uint64_t)(a[l] < b[l]) << l;
#endif
    return below_n(m, n);
}

/* v[l] > x (false for NaN) */
static inline uint64_t lanes_above_d(const double *v, double x, int n)
{
    uint64_t m = 0;
#if defined(__SSE2__)
    const __m128d xv = _mm_set1_pd(x);
    for (int l = 0; l < n; l += 2)
        m |= (uint64_t)_mm_movemask_pd(_mm_cmpgt_pd(_mm_load_pd(v + l), xv)) << l;
#else
    for (int l = 0; l < n; l++)
        m |= (uint64_t)(v[l] > x) << l;
#endif
    return below_n(m, n);
}

/* The lowest lane in mask *m (not 0), taken out of it. */
static inline int lane_next(uint64_t *m)
{
    int l = __builtin_ctzll(*m);
    *m &= *m - 1;
    return l;
}

/* The set-up of lane l from x: its once-per-path outcomes are inputs (x), its streams g0. */
static void lane_begin(cx_scratch *s, int l, const double *x, const cx_path_streams *g0)
{
    const cx_scenario *sc = s->m->sc;
    s->st[l] = g0->price.state;
    s->inc[l] = g0->price.inc;
    s->est[l] = g0->events.state;
    s->einc[l] = g0->events.inc;
    /* MODEL.md, MSL and TaaS: one outcome per path each, u < p with u the outcome's input */
    bool msl_ok = sc->msl.present && x[sc->msl.success] < x[sc->msl.p_success];
    bool taas_on = sc->taas.present && x[sc->taas.launch] < x[sc->taas.p_launch];
    cx_deals_setup(s, l, x);
    s->msl_ok[l] = msl_ok;
    s->taas_on[l] = taas_on;
    cx_supply_setup(s, l, x);
    cx_market_setup(s, l, x);
    cx_demand_setup(s, l, x, msl_ok, taas_on);
    s->burden[l] = s->rev_deals[l] = s->rev_taas[l] = s->rev_iaas[l] = s->rev_recsys[l] = 0.0;
    s->cost[l] = s->idle_sum[l] = s->idle_peak[l] = s->msl_short[l] = s->oversold_peak[l] = 0.0;
    s->q_idle[l] = s->q_rev[l] = 0.0;
    s->burden_pv[l] = s->rd_pv[l] = s->rt_pv[l] = s->ri_pv[l] = s->rr_pv[l] = 0.0;
    s->n_signed_count[l] = s->n_cancelled[l] = s->n_clawed[l] = 0;
}

/* The trace of lane 0 for month t (tests and debugging only). */
static void trace_month(const cx_scratch *s, int t, cx_trace *tr)
{
    cx_trace_month *tm = &tr->month[t];
    double cap = s->cap[0];
    tm->capacity_gw = cap;
    tm->cost_b = s->cost_m[0];
    tm->unit_cost = cap > 0.0 ? s->cost_m[0] * 12.0 / cap : 0.0;
    tm->price = s->price[0];
    tm->reserved_gw = s->reserved[0];
    tm->reserved_end_gw = s->reserved[0] + s->spot_gw[0];
    tm->available_gw = s->avail[0];
    tm->oversold_gw = s->oversold[0];
    for (int u = 0; u < CX_N_USES; u++) {
        tm->demand_gw[u] = s->dem[u][0];
        tm->alloc_gw[u] = s->alc[u][0];
    }
    tm->clawback_short_gw = s->claw_short[0];
    tm->spot_gw = s->spot_gw[0];
    tm->iaas_gw = s->iaas_gw[0];
    tm->idle_gw = s->left[0];
    tm->burden_b = s->burden_t[0];
    tm->rev_deals_b = s->rd_m[0];
    tm->rev_taas_b = s->rt_m[0];
    tm->rev_iaas_b = s->ri_m[0];
    tm->rev_recsys_b = s->rr_m[0];
    tm->rev_total_b = s->rev_m[0];
    tm->n_active = s->nd[0];
    tm->taas_launched = s->taas_on[0];
    cx_deals_trace_earn(s, 0, t, tr);
}

/* The per-path metrics of the batch's n lanes, from their sums over the H months (MODEL.md,
 * "Per-path metrics"). */
static void batch_metrics(const cx_scratch *s, int n, int H, cx_path_result *out)
{
    for (int l = 0; l < n; l++) {
        double *mt = out[l].metric;
        mt[CX_M_CAPEX_BURDEN] = s->burden[l];
        mt[CX_M_REVENUE_DEALS] = s->rev_deals[l];
        mt[CX_M_REVENUE_TAAS] = s->rev_taas[l];
        mt[CX_M_REVENUE_IAAS] = s->rev_iaas[l];
        mt[CX_M_REVENUE_RECSYS] = s->rev_recsys[l];
        mt[CX_M_REVENUE_TOTAL] = s->rev_deals[l] + s->rev_taas[l] + s->rev_iaas[l] + s->rev_recsys[l];
        mt[CX_M_COMMITTED_COST] = s->cost[l];
        mt[CX_M_IDLE_GW_MEAN] = s->idle_sum[l] / H;
        mt[CX_M_IDLE_GW_PEAK] = s->idle_peak[l];
        mt[CX_M_MSL_SHORTFALL] = s->msl_short[l] / 12.0;
        mt[CX_M_OVERSOLD_GW_PEAK] = s->oversold_peak[l];
        /* MODEL.md, Details: 0 without an msl group */
        mt[CX_M_MSL_SUCCESS] = s->msl_ok[l] ? 1.0 : 0.0;
        mt[CX_M_DEALS_SIGNED] = s->n_signed_count[l];
        mt[CX_M_DEALS_CANCELLED] = s->n_cancelled[l];
        mt[CX_M_DEALS_CLAWED_BACK] = s->n_clawed[l];
        /* MODEL.md, Present value: 0 where not asked for (the lanes' sums stay 0) */
        mt[CX_M_CAPEX_BURDEN_PV] = s->burden_pv[l];
        mt[CX_M_REVENUE_TOTAL_PV] = s->rd_pv[l] + s->rt_pv[l] + s->ri_pv[l] + s->rr_pv[l];
    }
}

void cx_model_batch(const cx_model *m, const double *x, size_t x_stride, int n,
                    const cx_path_streams *streams, cx_scratch *s, cx_path_result *out,
                    cx_trace *tr)
{
    const cx_scenario *sc = m->sc;
    const cx_lane_kernels *k = m->k;
    const int H = m->horizon;
    const int n8 = (n + CX_LANE_PAD - 1) / CX_LANE_PAD * CX_LANE_PAD;
    const bool any_claw = m->clawback[0] || m->clawback[1] || m->clawback[2];
    const bool spot_on = sc->deals.spot.present;
    const double spot_lo = m->spot_gw_lower;

    /* lanes n .. n8-1 keep whatever an earlier batch left (cx_scratch_new zeroes them
     * first): the kernels compute on them, and nothing reads them back */
    /* spot offers come from the earliest spot start of the batch's paths on */
    double spot_from = CX_NEVER;
    for (int l = 0; l < n; l++) {
        lane_begin(s, l, x + (size_t)l * x_stride, &streams[l]);
        spot_from = s->spot_start[l] < spot_from ? s->spot_start[l] : spot_from;
    }
    cx_supply_spans(s, n8);
    if (tr != NULL) {
        tr->months = H;
        tr->n_events = 0;
        tr->lost_events = 0;
    }

    int q = 0, q_len = 0;
    for (int t = 0; t < H; t++) {
        cx_trace *tr0 = NULL;
        if (tr != NULL) {
            tr0 = tr;
            tr->month[t].spot_offers = tr->month[t].spot_signed = 0;
        }
        /* 1. capacity and committed cost, the price (all lanes); step 5's demands */
        k->supply(s, n8, t);
        if (m->price_used)
            k->price(s, n, n8, t);
        k->demand(s, n8, t);
        /* 2. deals end, then deals begin: only the lanes where one is due (a mask each, so
         * no lane is tested twice) */
        uint64_t ev = below_n(~lanes_above_i(s->next_end, t, n), n); /* next_end <= t */
        while (ev != 0) {
            const int l = lane_next(&ev);
            cx_deals_end(s, l, t, l == 0 ? tr0 : NULL);
        }
        /* next_sign >= t always (the next start after the last one), so this is == t */
        ev = below_n(~lanes_above_i(s->next_sign, t, n), n);
        while (ev != 0) {
            const int l = lane_next(&ev);
            cx_deals_begin(s, l, x + (size_t)l * x_stride, t, l == 0 ? tr0 : NULL);
        }
        /* 3. buyers' notices: the survival product falls by 1 - h(t) each month (all lanes);
         * deals get notice where it reaches their thresholds (models/deals.c); 4. reserved
         * GW, summed on where deals were added since the sums */
        k->hazard(s, n8);
        /* the lanes with notices, then the lanes with deals added since their sums: a lane's
         * notices leave its reserved sums as they are, so the two passes are independent;
         * two masks spare a mispredicted test per lane */
        ev = lanes_above_i(s->hz_hit, 0, n); /* hz_hit is 0 or 1 */
        while (ev != 0) {
            const int l = lane_next(&ev);
            cx_deals_buyer_notices(s, l, t, s->hz_new[l], l == 0 ? tr0 : NULL);
        }
        ev = lanes_below_i(s->n_summed, s->nd, n);
        while (ev != 0)
            cx_deals_reserve(s, lane_next(&ev));
        /* 4. available and oversold; 5. allocation in priority order */
        k->allocate(s, n8);
        /* 6. clawback: a shortfall counts beyond 1e-9 GW (MODEL.md, Details) */
        if (any_claw) {
            ev = lanes_above_d(s->claw_short, CX_GW_EPS, n) & lanes_above_i(s->nd, 0, n);
            while (ev != 0) {
                const int l = lane_next(&ev);
                cx_deals_clawback(s, l, t, l == 0 ? tr0 : NULL);
            }
        }
        /* 7. spot offers, where an offer of the smallest size could be signed: the count's
         * uniform across lanes; the lanes with an offer sign it. Before every path's spot
         * start no lane could draw, so the kernel is not run. */
        if (spot_on && t >= spot_from) {
            k->spot(s, n8, t, spot_lo);
            ev = lanes_above_i(s->visit, 0, n); /* visit is 0 or 1 */
            while (ev != 0) {
                const int l = lane_next(&ev);
                cx_deals_spot(s, l, t, s->spot_u[l], l == 0 ? tr0 : NULL);
            }
        }
        /* 8. IaaS; 9. idle and burden; the sums */
        k->settle(s, n8, t);
        if (m->discount != NULL)
            k->discount(s, n8, m->discount[t]);
        if (tr != NULL)
            trace_month(s, t, tr);

        /* quarterly series: months 3q .. 3q+2 (MODEL.md, Per-path metrics) */
        if (++q_len == 3 || t == H - 1) {
            for (int l = 0; l < n; l++) {
                out[l].quarter[CX_Q_IDLE_GW_MEAN][q] = s->q_idle[l] / q_len;
                out[l].quarter[CX_Q_REVENUE][q] = s->q_rev[l];
                out[l].quarter[CX_Q_BURDEN_CUMULATIVE][q] = s->burden[l];
                s->q_idle[l] = 0.0;
                s->q_rev[l] = 0.0;
            }
            q++;
            q_len = 0;
        }
    }

    batch_metrics(s, n, H, out);
}

void cx_model_streams_of_keys(cx_path_streams *g, uint64_t price_key, uint64_t events_key)
{
    cx_pcg32_group_stream(&g->price, price_key, 0, 0, CX_MODEL_STREAM_PRICE);
    cx_pcg32_group_stream(&g->events, events_key, 0, 0, CX_MODEL_STREAM_EVENTS);
}

void cx_model_streams_of_key(cx_path_streams *g, uint64_t key)
{
    cx_model_streams_of_keys(g, key, key);
}

void cx_model_path(const cx_model *m, const double *x, gsl_rng *r, cx_scratch *s,
                   cx_path_result *out, cx_trace *tr)
{
    /* one lane whose stream is keyed by the next output of r */
    uint64_t key = r->type == cx_gsl_rng_pcg64 ? cx_pcg64_next(cx_rng_pcg64(r))
                                                : (uint64_t)gsl_rng_get(r);
    cx_path_streams g;
    cx_model_streams_of_key(&g, key);
    cx_model_batch(m, x, 0, 1, &g, s, out, tr);
}
