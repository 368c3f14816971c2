/* SPDX-License-Identifier: MIT */
/* Writers of the outcome breakdown (issue 20 item 3): its JSON object and its text section. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/result/output.h"

static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static void put(json_t *obj, const char *key, json_t *v, int *bad)
{
    if (!v || json_object_set_new(obj, key, v) < 0) *bad = 1;
}

static json_t *pair(double lo, double hi)
{
    json_t *a = json_array();
    if (a && (json_array_append_new(a, num(lo)) < 0 || json_array_append_new(a, num(hi)) < 0)) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *group_json(const cx_bd_group *g, int *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = 1;
        return NULL;
    }
    put(o, "n", cx_output_u64(g->n), bad);
    put(o, "share", num(g->share), bad);
    put(o, "share_ci95", pair(g->share_lo, g->share_hi), bad);
    put(o, "mean", num(g->mean), bad);
    put(o, "mean_ci95", pair(g->mean_lo, g->mean_hi), bad);
    put(o, "sd", num(g->sd), bad);
    put(o, "p50", num(g->p50), bad);
    put(o, "p50_ci95", pair(g->p50_lo, g->p50_hi), bad);
    put(o, "p95", num(g->p95), bad);
    put(o, "p95_ci95", pair(g->p95_lo, g->p95_hi), bad);
    put(o, "cvar95", num(g->cvar95), bad);
    put(o, "cvar95_ci95", pair(g->cvar95_lo, g->cvar95_hi), bad);
    return o;
}

static json_t *outcome_json(const cx_report *r, const cx_bd_outcome *o, int *bad)
{
    json_t *oj = json_object(), *mj = json_object();
    if (!oj || !mj) {
        json_decref(oj);
        json_decref(mj);
        *bad = 1;
        return NULL;
    }
    const char *l0, *l1;
    cx_report_bd_labels(o->name, &l0, &l1);
    put(oj, "input", json_string(o->name ? o->name : ""), bad);
    put(oj, "probability_input", json_string(o->prob_name ? o->prob_name : ""), bad);
    json_t *labels = json_array();
    if (labels) {
        json_array_append_new(labels, json_string(l0));
        json_array_append_new(labels, json_string(l1));
    }
    put(oj, "labels", labels, bad);
    put(oj, "metrics", mj, bad);
    for (int j = 0; j < CX_BD_N_METRICS; j++) {
        const cx_bd_stats *st = &o->m[j];
        if (st->metric >= r->n_metrics) continue; /* the present values without discounting */
        json_t *c = json_object();
        put(mj, cx_metric_names[st->metric], c, bad);
        if (!c) continue;
        put(c, "variance_share", num(st->var_share), bad);
        put(c, "variance_share_ci95", pair(st->var_share_lo, st->var_share_hi), bad);
        put(c, "n_nonfinite", cx_output_u64(st->n_bad), bad);
        put(c, "blocks", cx_output_u64(st->blocks), bad);
        put(c, "fails", group_json(&st->g[0], bad), bad);
        put(c, "succeeds", group_json(&st->g[1], bad), bad);
    }
    return oj;
}

json_t *cx_output_bd_json(const cx_report *r)
{
    if (r->n_bd == 0) return NULL;
    int bad = 0;
    json_t *doc = json_object(), *outs = json_array();
    if (!doc || !outs) {
        json_decref(doc);
        json_decref(outs);
        return NULL;
    }
    const bool rep = r->interval_method == CX_INTERVAL_REPLICATES;
    put(doc, "groups", json_pack("[ss]", "fails", "succeeds"), &bad);
    put(doc, "variance_share_method", json_string("between_over_total_delta_method_blocks"), &bad);
    put(doc, "mean_ci95_method", json_string(rep ? "delta_method_blocks" : "iid"), &bad);
    put(doc, "quantile_ci95_method", json_string("order_statistics_iid"), &bad);
    put(doc, "outcomes", outs, &bad);
    for (int k = 0; k < r->n_bd; k++)
        if (json_array_append_new(outs, outcome_json(r, &r->bd[k], &bad)) < 0) bad = 1;
    if (bad) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* "12.3 [12.1, 12.5]" or "n/a". */
static const char *with_ci(char *buf, size_t len, double x, double lo, double hi, int digits)
{
    if (!isfinite(x)) snprintf(buf, len, "n/a");
    else if (!isfinite(lo) || !isfinite(hi)) snprintf(buf, len, "%.*g", digits, x);
    else snprintf(buf, len, "%.*g [%.*g, %.*g]", digits, x, digits, lo, digits, hi);
    return buf;
}

/* Outcomes in falling order of their share of capex_burden's variance (undefined last). */
static void order_by_share(const cx_report *r, int *ord)
{
    for (int k = 0; k < r->n_bd; k++) {
        int at = k;
        double s = r->bd[k].m[0].var_share;
        while (at > 0) {
            double t = r->bd[ord[at - 1]].m[0].var_share;
            if (isfinite(t) && !(isfinite(s) && s > t)) break;
            if (!isfinite(t) && !isfinite(s)) break;
            ord[at] = ord[at - 1];
            at--;
        }
        ord[at] = k;
    }
}

void cx_output_bd_table(FILE *f, const cx_report *r)
{
    if (r->n_bd == 0) return;
    fprintf(f, "\noutcome breakdown: each metric given the outcome, its mean, p50, p95 and cvar95 "
               "[95%% CI]; the share of the\nmetric's variance the outcome explains "
               "(between-group / total) [95%% CI]; largest first\n");
    int ord[CX_BD_MAX_OUTCOMES];
    order_by_share(r, ord);
    for (int i = 0; i < r->n_bd; i++) {
        const cx_bd_outcome *o = &r->bd[ord[i]];
        const char *lab[2];
        cx_report_bd_labels(o->name, &lab[0], &lab[1]);
        const cx_bd_group *g0 = &o->m[0].g[0], *g1 = &o->m[0].g[1];
        fprintf(f, "%s: %s %.1f%% of paths, %s %.1f%%\n", o->name ? o->name : "?", lab[0],
                100 * g0->share, lab[1], 100 * g1->share);
        for (int j = 0; j < 2; j++) { /* capex_burden and revenue_total */
            const cx_bd_stats *st = &o->m[j];
            for (int g = 0; g < 2; g++) {
                const cx_bd_group *gr = &st->g[g];
                char m[64], a[3][64];
                fprintf(f, "  %-14s %-16s %-26s p50 %-24s p95 %-24s cvar95 %s\n",
                        g ? "" : cx_metric_names[st->metric], lab[g],
                        with_ci(m, sizeof m, gr->mean, gr->mean_lo, gr->mean_hi, 4),
                        with_ci(a[0], sizeof a[0], gr->p50, gr->p50_lo, gr->p50_hi, 4),
                        with_ci(a[1], sizeof a[1], gr->p95, gr->p95_lo, gr->p95_hi, 4),
                        with_ci(a[2], sizeof a[2], gr->cvar95, gr->cvar95_lo, gr->cvar95_hi, 4));
            }
            char v[64];
            fprintf(f, "  %-14s variance share %s\n", "",
                    with_ci(v, sizeof v, st->var_share, st->var_share_lo, st->var_share_hi, 3));
        }
    }
}
