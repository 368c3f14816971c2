/* SPDX-License-Identifier: MIT */
/* Optional per-month trace of one path, for tests and debugging (never used in runs). */
#ifndef CX_MODELS_TRACE_H
#define CX_MODELS_TRACE_H

#include <stdbool.h>

#include "models/model.h"

/*
 * cx_model_path fills a trace when it is given one: one cx_trace_month per month of the
 * horizon (every quantity of MODEL.md's nine steps) and a list of deal events. Deal ids:
 * signed deals are 0 .. n_signed-1 in config order; spot deals are n_signed + k for the
 * k-th spot deal signed on the path.
 */

typedef struct cx_trace_month {
    double capacity_gw;       /* C(t), step 1 */
    double cost_b;            /* Cost(t): committed cost of the month, $B */
    double unit_cost;         /* u(t) = Cost(t) x 12 / C(t), $B per GW-year (0 when C = 0) */
    double price;             /* P(t), $B per GW-year */
    double reserved_gw;       /* D(t) at step 4: active deals, notice periods included */
    double reserved_end_gw;   /* D(t) plus spot deals signed in step 7 */
    double available_gw;      /* A(t) = max(0, C - D), step 4 */
    double oversold_gw;       /* max(0, D - C), step 4 */
    double demand_gw[CX_N_USES]; /* by use id (CX_USE_MSL, ...), step 5 */
    double alloc_gw[CX_N_USES];
    double clawback_short_gw; /* shortfall of clawback uses, step 6 */
    double spot_gw;           /* GW of spot deals signed this month, step 7 */
    double iaas_gw;           /* step 8 */
    double idle_gw;           /* step 9 */
    double burden_b;          /* step 9: idle x u / 12 */
    double rev_deals_b, rev_taas_b, rev_iaas_b, rev_recsys_b, rev_total_b;
    int n_active;             /* deals active this month (after step 7) */
    int spot_offers;          /* offers drawn in step 7 */
    int spot_signed;          /* offers signed in step 7 */
    int taas_launched;        /* path-level TaaS launch draw, repeated each month */
} cx_trace_month;

typedef enum cx_trace_event_kind {
    CX_EV_BEGIN,        /* deal begins (signed: start month; spot: signing month) */
    CX_EV_NOTICE_BUYER, /* counterparty gives notice (step 3) */
    CX_EV_NOTICE_OWNER, /* owner claws the deal back (step 6) */
    CX_EV_END,          /* deal removed at the start of this month (step 2) */
    CX_EV_EARN          /* the deal earned `amount` $B this month */
} cx_trace_event_kind;

typedef struct cx_trace_event {
    int month;
    cx_trace_event_kind kind;
    int deal;                 /* deal id, see above */
    bool spot;
    double gw;
    double price_per_gw_year;
    double amount;            /* EARN: revenue of the month, $B; otherwise 0 */
    int end_month;            /* BEGIN, NOTICE_*: the month the deal will end (term or notice) */
} cx_trace_event;

struct cx_trace {
    int months;                        /* horizon, set by cx_model_path */
    cx_trace_month month[CX_MAX_HORIZON];
    int cap_events;                    /* size of events[] */
    int n_events;                      /* events recorded */
    int lost_events;                   /* events that did not fit in events[] */
    cx_trace_event *events;
};

/*
 * A trace with room for max_events events.
 * @return 0, CX_ERR_RANGE (max_events < 0) or CX_ERR_NOMEM.
 * @note the caller frees *out with cx_trace_free (no-op on NULL).
 */
int cx_trace_new(cx_trace **out, int max_events);
void cx_trace_free(cx_trace *t);

#endif
