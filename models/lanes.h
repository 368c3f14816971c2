/* SPDX-License-Identifier: MIT */
/* Inside the model: a batch of paths in lanes (structure of arrays), shared by models/ only. */
#ifndef CX_MODELS_LANES_H
#define CX_MODELS_LANES_H

/*
 * A batch runs up to CX_LANES paths side by side. Everything a path carries from month to
 * month is an array with one element per lane (cx_scratch below), so the work that no deal
 * changes (capacity, price, demands, allocation, IaaS, idle, sums) is a straight loop over
 * lanes that vectorises (models/lanes_tmpl.c), and the irregular work (a deal that begins,
 * ends, gets notice or is clawed back; spot offers) is done per lane, only for the lanes that
 * need it (models/deals.c). A lane is one path: it draws only from its own stream, so a path
 * gives the same result in any batch, at any lane position, alone or not.
 *
 * Loops over lanes run to n8 = n rounded up to a multiple of 8 (CX_LANE_PAD); the lanes past
 * n hold whatever an earlier batch left (zeros at first) and are never read back.
 */

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/model.h"
#include "sim/input/scenario.h"

#define CX_LANES CX_MODEL_LANES
#define CX_LANE_PAD 8
/* A month that never comes (a term to the end of the horizon and beyond). Half of INT_MAX
 * leaves room to add two such months without overflow. */
#define CX_NEVER (1 << 29)
/* MODEL.md, Details: every comparison of GW allows 1e-9 GW, so that no result depends on
 * binary rounding or on the order of a sum. */
#define CX_GW_EPS 1e-9

#define CX_ALIGNED __attribute__((aligned(64)))
typedef double cx_lane_d[CX_LANES] CX_ALIGNED;
typedef int32_t cx_lane_i[CX_LANES] CX_ALIGNED;
typedef uint64_t cx_lane_u[CX_LANES] CX_ALIGNED;

/* One active deal of a lane. */
typedef struct cx_deal {
    double gw;
    double price;       /* $B per GW-year */
    double rev_m;       /* gw x price / 12: revenue of one month, $B */
    double hz_at;       /* survival threshold: buyer notice when the product <= hz_at */
    int start;          /* clawback tie-break: configured start month, or signing month */
    int end;            /* removed at the start of this month: min(term end, notice end) */
    int term_end;
    int notice_m;       /* notice months */
    int id;             /* trace id; also the last clawback tie-break */
    unsigned char cancellable, noticed; /* noticed: 0 no, 1 by the buyer, 2 clawed back */
} cx_deal;

/* The kernels of a batch month (models/lanes_tmpl.c), one table per instruction set. */
typedef struct cx_lane_kernels {
    const char *name;
    void (*supply)(cx_scratch *s, int n8, int t); /* step 1: C(t), Cost(t), Cost(t) / C(t) */
    void (*price)(cx_scratch *s, int n, int n8, int t); /* step 1: P(t) from a new shock */
    void (*demand)(cx_scratch *s, int n8, int t);   /* step 5's demands */
    void (*hazard)(cx_scratch *s, int n8);          /* step 3: survival product, who gets notices */
    void (*allocate)(cx_scratch *s, int n8);        /* steps 4 and 5, clawback shortfall */
    void (*spot)(cx_scratch *s, int n8, int t, double spot_lo); /* step 7: offer or not */
    void (*settle)(cx_scratch *s, int n8, int t);   /* steps 8 and 9, the path's sums */
    void (*discount)(cx_scratch *s, int n8, double f); /* the present values' sums, factor f */
} cx_lane_kernels;

extern const cx_lane_kernels cx_lane_kernels_scalar;
#if defined(__x86_64__)
extern const cx_lane_kernels cx_lane_kernels_avx2;
extern const cx_lane_kernels cx_lane_kernels_avx512;
#endif

/* The compiled, read-only scenario. */
struct cx_model {
    const cx_scenario *sc;
    const cx_lane_kernels *k;
    int horizon, quarters;
    /* A term left out of the config runs to the end of the horizon (MODEL.md, Details). */
    bool *tranche_term_default;
    bool *deal_term_default;
    bool spot_term_default;
    /* 1 / (month[k+1] - month[k]) of the MSL schedule: schedule months are fixed. */
    double *sched_inv_len;
    /* (1 + r)^(-(t + 1) / 12) for t = 0 .. horizon - 1; NULL without report.discount_rate */
    double *discount;
    bool clawback[CX_N_USES];
    bool price_used;      /* the price affects some output: draw its shocks */
    bool level_used;      /* P(t) itself is used (IaaS, spot deals): take exp(log P) */
    double spot_gw_lower; /* smallest spot offer (> 0 when spot deals exist) */
    int deal_slots;       /* per lane: signed deals + the most spot deals active at once */
};

/* Per-thread scratch: the lanes of one batch. */
struct cx_scratch {
    const cx_model *m;
    int n_tr, n_sched, n_signed, slots, h; /* slots: deal slots per lane */

    /* streams: lane l's price path is the pcg32 (st[l], inc[l]), its deal events
     * (est[l], einc[l]) (cx_path_streams) */
    cx_lane_u st, inc, est, einc;
    gsl_rng *r;                 /* a cx_gsl_rng_pcg32, loaded with a lane's stream when GSL draws */

    /* supply (models/supply.c): per tranche i, lane l at [i * CX_LANES + l] */
    double *tr_on, *tr_off;     /* online for tr_on <= t < tr_off (whole months, as doubles:
                                 * the kernel compares them with t across lanes) */
    double *tr_gw, *tr_cost;    /* gw, gw x cost per GW-year */
    double *tr_span;            /* per tranche i, over the batch's lanes: [4i] least and [4i+1]
                                 * largest tr_on, [4i+2] least and [4i+3] largest tr_off
                                 * (cx_supply_spans) */
    cx_lane_d cap, cost_m, bpg; /* C(t), Cost(t), Cost(t) / C(t) (burden of an idle GW-month) */

    /* market (models/market.c) */
    cx_lane_d price0, logp0, logp, drift_m, sd_m, price;
    cx_lane_u moves;            /* all ones when P(t) moves on this lane */
    cx_lane_d hz_base, hz_price, hz_surv, hz_max;

    /* demand (models/demand.c) */
    double *msl_g;              /* per schedule point k: [k * CX_LANES + l] */
    cx_lane_d msl_mult;
    cx_lane_d msl_dec;          /* months (whole) as doubles, like tr_on: the kernels compare
                                 * them with t across lanes with no 32-bit lanes to convert */
    cx_lane_d rec_b, rec_d, rec_step, rec_full, rec_l2, rec_l2_step, rec_l2_full, rec_k;
    cx_lane_d rec_ramp_end;
    cx_lane_d taas_target, taas_inv_ramp, taas_rev;
    cx_lane_d taas_launch, taas_instant; /* taas_instant: 1.0 or 0.0 */
    cx_lane_d dem[CX_N_USES], alc[CX_N_USES];

    /* deals (models/deals.c) */
    cx_deal *deals;             /* lane l: deals[l * cap .. l * cap + nd[l] - 1] */
    int32_t *sd_begin, *sd_start, *sd_term_end, *sd_notice; /* per signed deal x lane */
    cx_lane_i nd, next_end, next_sign, spot_id;
    cx_lane_i n_summed;         /* reserved and deals_rev_m are the sums over the first n_summed
                                 * deals: step 4 goes on from there where n_summed < nd */
    cx_lane_i visit;            /* step 7 needs this lane's deals (set by the spot kernel) */
    cx_lane_i hz_hit;           /* step 3: the survival product reached a waiting threshold */
    cx_lane_d hz_new, spot_u;   /* step 3's new survival product; step 7's first uniform */
    cx_lane_d reserved, deals_rev_m;
    cx_lane_d spot_start;       /* a month, as a double (msl_dec) */
    cx_lane_i spot_term, spot_notice;
    cx_lane_d spot_lambda, spot_exp_neg, spot_max_ext;
    cx_lane_d iaas_max, iaas_k;

    /* the month (models/month.c) */
    cx_lane_d avail, left, oversold, claw_short, spot_gw, spot_rev, iaas_gw, iaas_rev;
    cx_lane_d burden_t, rev_m, rd_m, rt_m, ri_m, rr_m;
    /* the path's sums */
    cx_lane_d burden, rev_deals, rev_taas, rev_iaas, rev_recsys, cost, idle_sum, idle_peak,
              msl_short, oversold_peak, q_idle, q_rev;
    /* present values (MODEL.md, Present value): burden and each revenue stream, discounted */
    cx_lane_d burden_pv, rd_pv, rt_pv, ri_pv, rr_pv;
    cx_lane_i n_signed_count, n_cancelled, n_clawed, msl_ok, taas_on;
};

/* A random month-valued input rounds half away from zero (MODEL.md, Details); infinite or
 * huge values become CX_NEVER so that sums of months cannot overflow. */
static inline int cx_month_of(double v)
{
    if (!(v < 1e8))
        return CX_NEVER;
    if (v <= -1e8)
        return -CX_NEVER;
    int i = (int)v;
    double f = v - (double)i;
    return i + (f >= 0.5) - (f <= -0.5);
}

/* A term in months; a term left out of the config runs past the horizon. */
static inline int cx_term_of(double v, bool is_default, int horizon)
{
    if (is_default && !(v < horizon))
        return CX_NEVER;
    return cx_month_of(v);
}

/* max(0, a) as MODEL.md's clamps write it: a when a > 0, else +0.0 (also for NaN). */
static inline double cx_pos(double a)
{
    return a > 0.0 ? a : 0.0;
}

/* Lane l's price stream, to draw from and then store back into st[l]. */
static inline cx_pcg32 cx_lane_stream(const cx_scratch *s, int l)
{
    return (cx_pcg32){ s->st[l], s->inc[l] };
}

/* Lane l's deal-events stream, to draw from and then store back into est[l]. */
static inline cx_pcg32 cx_lane_events_stream(const cx_scratch *s, int l)
{
    return (cx_pcg32){ s->est[l], s->einc[l] };
}

/* ---- per-lane set-up at the start of a path (x: the path's scalar inputs) ---- */
void cx_supply_setup(cx_scratch *s, int l, const double *x);
/* tr_span from tr_on and tr_off of lanes 0 .. n8-1: after the set-up of a batch, before
 * the supply kernel (which relies on it for every lane it runs on). */
void cx_supply_spans(cx_scratch *s, int n8);
void cx_market_setup(cx_scratch *s, int l, const double *x);
void cx_demand_setup(cx_scratch *s, int l, const double *x, bool msl_ok, bool taas_on);
/* The signed deals' outcomes (deals.signed.NAME.happens < p_signed, from x) and months. */
void cx_deals_setup(cx_scratch *s, int l, const double *x);

/* ---- per-lane deal events (models/deals.c); tr is the trace or NULL ---- */
/* Step 2, where next_end <= t: the deals whose notice or term ends at t leave (slots keep
 * their order). */
void cx_deals_end(cx_scratch *s, int l, int t, cx_trace *tr);
/* Step 2, where next_sign == t, after cx_deals_end: the signed deals starting at t begin. */
void cx_deals_begin(cx_scratch *s, int l, const double *x, int t, cx_trace *tr);
/* Step 3 where lane l's survival product surv (this month's factor applied) fell to the
 * largest waiting threshold or near underflow: buyer notices, and the product kept. */
void cx_deals_buyer_notices(cx_scratch *s, int l, int t, double surv, cx_trace *tr);
/* Step 4 for a lane with deals added since its sums (n_summed < nd): reserved GW and the
 * deals' monthly revenue. */
void cx_deals_reserve(cx_scratch *s, int l);
/* Step 6: clawback notices for the lane's shortfall. */
void cx_deals_clawback(cx_scratch *s, int l, int t, cx_trace *tr);
/* Step 7: spot offers drawn and signed against what is left; u is the Poisson count's
 * uniform already drawn (when the mean is at most CX_POISSON_INVERSION_MAX), else < 0. */
void cx_deals_spot(cx_scratch *s, int l, int t, double u, cx_trace *tr);
/* Largest mean for which spot offers are counted by inversion from one uniform. */
#define CX_POISSON_INVERSION_MAX 12.0

/* MODEL.md, Counterparty cancellation: lane l's survival product after month t's hazard
 * h(t) = min(1, base + price_term x max(0, ln(P(0) / P(t)))). */
static inline double cx_hazard_survival(const cx_scratch *s, int l)
{
    double fall = cx_pos(s->logp0[l] - s->logp[l]); /* ln(P(0) / P(t)) */
    double h = s->hz_base[l] + s->hz_price[l] * fall;
    double surv = s->hz_surv[l];
    if (h >= 1.0)
        return 0.0; /* every eligible deal gets notice */
    return h > 0.0 ? surv * (1.0 - h) : surv;
}
/* Trace: the EARN events of lane l's active deals in month t. */
void cx_deals_trace_earn(const cx_scratch *s, int l, int t, cx_trace *tr);

#endif
