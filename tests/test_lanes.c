/* SPDX-License-Identifier: MIT */
/* Lanes and SIMD paths: the project's exp/log2, each lane kernel against its C reference
 * (checkasm-style, identical bytes), and a path's independence from its batch. */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "models/lanes.h"
#include "models/model.h"
#include "models/trace.h"
#include "sim/rng/pcg.h"
#include "sim/input/sampler.h"
#include "sim/input/scenario.h"
#include "sim/base/simd.h"
#include "sim/rng/vmath.h"

static void setup_off(void)
{
    gsl_set_error_handler_off();
}

TestSuite(lanes, .init = setup_off);

/* Distance in units in the last place of b (b finite and not 0). */
static double ulps(double a, double b)
{
    int e;
    frexp(b, &e);
    return fabs(a - b) / fmax(ldexp(1.0, e - 53), 0x1p-1074); /* subnormals: the grid */
}

/* cx_exp within 1 ulp and cx_log2 within 2 ulp of glibc's (itself within 1 ulp of the
 * exact value) over their whole ranges, and their special values. */
Test(lanes, vmath_accuracy)
{
    cx_pcg64 g;
    cx_pcg64_stream(&g, 99, 0);
    double worst_exp = 0, worst_log = 0;
    for (int i = 0; i < 1000000; i++) {
        double x = (cx_pcg64_uniform(&g) - 0.5) * 1450.0; /* -725 .. 725: into subnormals */
        double e = exp(x);
        if (e != 0.0 && isfinite(e))
            worst_exp = fmax(worst_exp, ulps(cx_exp(x), e));
        double y = exp((cx_pcg64_uniform(&g) - 0.5) * 1400.0);
        if (y != 1.0)
            worst_log = fmax(worst_log, ulps(cx_log2(y), log2(y)));
    }
    cr_expect(le(dbl, worst_exp, 1.0), "cx_exp: %g ulp", worst_exp);
    cr_expect(le(dbl, worst_log, 2.0), "cx_log2: %g ulp", worst_log);
    cr_expect(eq(dbl, cx_exp(0.0), 1.0));
    cr_expect(eq(dbl, cx_exp(710.0), INFINITY));
    cr_expect(eq(dbl, cx_exp(-750.0), 0.0));
    cr_expect(eq(dbl, cx_exp(-INFINITY), 0.0));
    cr_expect(isnan(cx_exp(NAN)));
    cr_expect(eq(dbl, cx_log2(1.0), 0.0));
    cr_expect(eq(dbl, cx_log2(8.0), 3.0));
    cr_expect(eq(dbl, cx_log2(0.0), -INFINITY));
    cr_expect(eq(dbl, cx_log2(INFINITY), INFINITY));
    cr_expect(isnan(cx_log2(-1.0)));
    cr_expect(isnan(cx_log2(NAN)));
    cr_expect(le(dbl, ulps(cx_log2(5e-320), log2(5e-320)), 2.0));
}

/* The path stream: two pcg32 outputs per 64 bits, high half first; distinct paths differ. */
Test(lanes, path_streams)
{
    cx_pcg32 a, b, c;
    cx_pcg32_path_stream(&a, 1, 2, 3);
    b = a;
    uint64_t hi = cx_pcg32_next(&b);
    uint64_t lo = cx_pcg32_next(&b);
    cr_expect(eq(u64, cx_pcg32_next64(&a), (hi << 32) | lo));
    cx_pcg32_path_stream(&a, 1, 2, 3);
    cx_pcg32_path_stream(&c, 1, 2, 4);
    cr_expect(a.inc != c.inc && a.state != c.state);
    cx_pcg32_path_stream(&c, 1, 3, 3);
    cr_expect(a.inc != c.inc && a.state != c.state);
}

/* ---- checkasm: every kernel of every SIMD path this CPU runs against the C reference ---- */

typedef struct fixture {
    cx_scenario *sc;
    cx_model *m;
    cx_scratch *s;
} fixture;

static void open_default(fixture *f)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/configs/meta-2026h1.cfg", CX_SOURCE_ROOT);
    cr_assert(eq(int, cx_scenario_load(&f->sc, path, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, cx_model_new(&f->m, f->sc, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, cx_scratch_new(&f->s, f->m), 0));
}

static void close_fixture(fixture *f)
{
    cx_scratch_free(f->s);
    cx_model_free(f->m);
    cx_scenario_free(f->sc);
}

static const cx_lane_kernels *tables[] = {
    &cx_lane_kernels_scalar,
#if defined(__x86_64__)
    &cx_lane_kernels_avx2, &cx_lane_kernels_avx512,
#endif
};
static const cx_simd levels[] = { CX_SIMD_SCALAR, CX_SIMD_AVX2, CX_SIMD_AVX512 };
#define N_TABLES (sizeof tables / sizeof tables[0])

/* Random lane state: every double array of the scratch gets values of mixed sign and
 * size (some 0, some equal to their neighbours), every int array months around t. */
#define FIELD(f) offsetof(cx_scratch, f)
#define IFIELD(f) offsetof(cx_scratch, f)
/* every per-lane double array of cx_scratch (models/lanes.h) */
static const size_t dfields[] = {
    FIELD(cap),
    FIELD(cost_m),
    FIELD(bpg),
    FIELD(price0),
    FIELD(logp0),
    FIELD(logp),
    FIELD(drift_m),
    FIELD(sd_m),
    FIELD(price),
    FIELD(hz_base),
    FIELD(hz_price),
    FIELD(hz_surv),
    FIELD(hz_max),
    FIELD(msl_mult),
    FIELD(msl_dec),
    FIELD(rec_ramp_end),
    FIELD(taas_launch),
    FIELD(taas_instant),
    FIELD(spot_start),
    FIELD(rec_b),
    FIELD(rec_d),
    FIELD(rec_step),
    FIELD(rec_full),
    FIELD(rec_l2),
    FIELD(rec_l2_step),
    FIELD(rec_l2_full),
    FIELD(rec_k),
    FIELD(taas_target),
    FIELD(taas_inv_ramp),
    FIELD(taas_rev),
    FIELD(dem[0]),
    FIELD(dem[1]),
    FIELD(dem[2]),
    FIELD(alc[0]),
    FIELD(alc[1]),
    FIELD(alc[2]),
    FIELD(reserved),
    FIELD(deals_rev_m),
    FIELD(spot_lambda),
    FIELD(spot_exp_neg),
    FIELD(spot_max_ext),
    FIELD(iaas_max),
    FIELD(iaas_k),
    FIELD(avail),
    FIELD(left),
    FIELD(oversold),
    FIELD(claw_short),
    FIELD(spot_gw),
    FIELD(spot_rev),
    FIELD(iaas_gw),
    FIELD(iaas_rev),
    FIELD(burden_t),
    FIELD(rev_m),
    FIELD(rd_m),
    FIELD(rt_m),
    FIELD(ri_m),
    FIELD(rr_m),
    FIELD(burden),
    FIELD(rev_deals),
    FIELD(rev_taas),
    FIELD(rev_iaas),
    FIELD(rev_recsys),
    FIELD(cost),
    FIELD(idle_sum),
    FIELD(idle_peak),
    FIELD(msl_short),
    FIELD(oversold_peak),
    FIELD(q_idle),
    FIELD(q_rev),
    FIELD(burden_pv),
    FIELD(rd_pv),
    FIELD(rt_pv),
    FIELD(ri_pv),
    FIELD(rr_pv)
};
static const size_t ifields[] = { IFIELD(nd), IFIELD(next_end), IFIELD(next_sign), IFIELD(n_summed), IFIELD(spot_id), IFIELD(spot_term), IFIELD(spot_notice), IFIELD(n_signed_count), IFIELD(n_cancelled), IFIELD(n_clawed), IFIELD(msl_ok), IFIELD(taas_on) };
#define N_DFIELDS (sizeof dfields / sizeof dfields[0])
#define N_IFIELDS (sizeof ifields / sizeof ifields[0])

static void randomise(cx_scratch *s, cx_pcg64 *g)
{
    for (size_t f = 0; f < N_DFIELDS; f++) {
        double *p = (double *)((unsigned char *)s + dfields[f]);
        for (int l = 0; l < CX_LANES; l++) {
            double u = cx_pcg64_uniform(g);
            p[l] = u < 0.1 ? 0.0 : u < 0.2 && l > 0 ? p[l - 1] : (cx_pcg64_uniform(g) - 0.3) * 8.0;
        }
    }
    for (size_t f = 0; f < N_IFIELDS; f++) {
        int32_t *p = (int32_t *)((unsigned char *)s + ifields[f]);
        for (int l = 0; l < CX_LANES; l++)
            p[l] = (int32_t)(cx_pcg64_uniform(g) * 14) - 2;
    }
    for (int l = 0; l < CX_LANES; l++) {
        s->st[l] = cx_pcg64_next(g);
        s->inc[l] = cx_pcg64_next(g) | 1u;
        s->moves[l] = cx_pcg64_uniform(g) < 0.5 ? ~0ULL : 0;
        s->msl_dec[l] = (int)(cx_pcg64_uniform(g) * 12);
        s->rec_ramp_end[l] = (int)(cx_pcg64_uniform(g) * 12);
        s->taas_launch[l] = (int)(cx_pcg64_uniform(g) * 12) - 2;
        s->taas_instant[l] = cx_pcg64_uniform(g) < 0.3;
        s->spot_start[l] = (int)(cx_pcg64_uniform(g) * 14) - 2;
        s->price0[l] = fabs(s->price0[l]) + 1.0;
        s->hz_price[l] = fabs(s->hz_price[l]);
    }
    for (int i = 0; i < s->n_tr * CX_LANES; i++) {
        s->tr_on[i] = (double)((int)(cx_pcg64_uniform(g) * 14) - 2);
        s->tr_off[i] = s->tr_on[i] + (double)(int)(cx_pcg64_uniform(g) * 14);
        s->tr_gw[i] = cx_pcg64_uniform(g) * 2.0;
        s->tr_cost[i] = cx_pcg64_uniform(g) * 20.0;
    }
    for (int i = 0; i < s->n_sched * CX_LANES; i++)
        s->msl_g[i] = cx_pcg64_uniform(g) * 3.0;
}

/* The bytes of a scratch from the streams to its end: every lane array (and the pointers
 * between them, which are restored unchanged; kernels never write what they point to). */
static size_t state_bytes(void)
{
    return sizeof(cx_scratch) - offsetof(cx_scratch, st);
}

Test(lanes, kernels_match_reference)
{
    fixture f;
    open_default(&f);
    cx_scratch *s = f.s;
    const size_t off = offsetof(cx_scratch, st), len = state_bytes();
    unsigned char *ref = malloc(len), *save = malloc(len);
    cr_assert(ref && save);
    int tested = 0;
    cx_pcg64 g;
    cx_pcg64_stream(&g, 7, 0);
    for (int round = 0; round < 200; round++) {
        randomise(s, &g);
        cx_supply_spans(s, CX_LANES);
        memcpy(save, (unsigned char *)s + off, len);
        int n = 1 + (int)(cx_pcg64_uniform(&g) * CX_LANES);
        int n8 = (n + 7) / 8 * 8;
        int t = (int)(cx_pcg64_uniform(&g) * 12);
        for (int kern = 1; kern < 9; kern++) {
            for (size_t i = 0; i < N_TABLES; i++) {
                if (!cx_simd_supported(levels[i]))
                    continue;
                const cx_lane_kernels *k = tables[i];
                memcpy((unsigned char *)s + off, save, len);
                switch (kern) {
                case 1: k->price(s, n, n8, t + 1); break;
                case 2: k->demand(s, n8, t); break;
                case 3: k->allocate(s, n8); break;
                case 4: k->settle(s, n8, t); break;
                case 5: k->hazard(s, n8); break;
                case 6: k->spot(s, n8, t, 0.1); break;
                case 7: k->supply(s, n8, t); break;
                case 8: k->discount(s, n8, 0.9 + 0.01 * t); break;
                }
                if (i == 0) {
                    memcpy(ref, (unsigned char *)s + off, len);
                } else {
                    tested += round == 0 && kern == 1;
                    cr_assert(eq(int, memcmp(ref, (unsigned char *)s + off, len), 0),
                              "kernel %d of %s differs from the C reference (round %d)", kern,
                              k->name, round);
                }
            }
        }
    }
    cr_log_info("SIMD paths checked against the C reference: %d", tested);
    free(ref);
    free(save);
    close_fixture(&f);
}

/* Step 1's capacity and cost on every SIMD path: for any number of tranches (the kernel adds
 * them up to four a pass, passes over those off in every lane and adds those online in every
 * lane without the test), the sums over the online tranches taken one at a time in config
 * order, as MODEL.md writes them, to the bit; and Cost / C. Half the tranches get the same
 * months in every lane (or in all but a few), so that all three kinds turn up. */
Test(lanes, supply_sums_tranches_in_config_order)
{
    fixture f;
    open_default(&f);
    cx_scratch *s = f.s;
    const int n_tr = s->n_tr;
    cx_pcg64 g;
    cx_pcg64_stream(&g, 9, 0);
    int checked = 0, kinds[3] = { 0, 0, 0 }; /* tranche-months off, online, mixed */
    for (int round = 0; round < 120; round++) {
        randomise(s, &g);
        s->n_tr = round % (n_tr + 1);
        const int t = (int)(cx_pcg64_uniform(&g) * 12);
        for (int k = 0; k < s->n_tr; k++) {
            double *on = s->tr_on + (size_t)k * CX_LANES, *off = s->tr_off + (size_t)k * CX_LANES;
            const double u = cx_pcg64_uniform(&g);
            for (int l = 1; l < CX_LANES && u < 0.5; l++) {
                /* a few lanes a month apart when u < 0.2 */
                const double d = u < 0.2 && cx_pcg64_uniform(&g) < 0.05 ? 1.0 : 0.0;
                on[l] = on[0] + d;
                off[l] = off[0] + d;
            }
            int n_on = 0;
            for (int l = 0; l < CX_LANES; l++)
                n_on += on[l] <= t && t < off[l];
            kinds[n_on == 0 ? 0 : n_on == CX_LANES ? 1 : 2]++;
        }
        cx_supply_spans(s, CX_LANES);
        for (size_t i = 0; i < N_TABLES; i++) {
            if (!cx_simd_supported(levels[i]))
                continue;
            tables[i]->supply(s, CX_LANES, t);
            for (int l = 0; l < CX_LANES; l++) {
                double cap = 0.0, cy = 0.0;
                for (int k = 0; k < s->n_tr; k++) {
                    const size_t at = (size_t)k * CX_LANES + (size_t)l;
                    if (s->tr_on[at] <= t && t < s->tr_off[at]) {
                        cap += s->tr_gw[at];
                        cy += s->tr_cost[at];
                    }
                }
                const double cost_m = cy / 12.0;
                cr_assert(eq(u64, cx_dbits(s->cap[l]), cx_dbits(cap)), "%s: %d tranches, lane %d",
                          tables[i]->name, s->n_tr, l);
                cr_assert(eq(u64, cx_dbits(s->cost_m[l]), cx_dbits(cost_m)), "%s", tables[i]->name);
                cr_assert(eq(u64, cx_dbits(s->bpg[l]), cx_dbits(cap > 0.0 ? cost_m / cap : 0.0)),
                          "%s", tables[i]->name);
                checked++;
            }
        }
    }
    s->n_tr = n_tr;
    cr_assert(gt(int, checked, 0));
    cr_assert(gt(int, kinds[0], 0), "no tranche off in every lane");
    cr_assert(gt(int, kinds[1], 0), "no tranche online in every lane");
    cr_assert(gt(int, kinds[2], 0), "no tranche online in some lanes only");
    cr_log_info("tranche-months off %d, online %d, mixed %d", kinds[0], kinds[1], kinds[2]);
    close_fixture(&f);
}

/* Steps 8 and 9's RecSys revenue on every SIMD path, as MODEL.md writes it lane by lane:
 * k log2(max(1, a / b)), the ramp's own log2 where RecSys is fully met (a == d). The kernel
 * leaves the log2 out when every lane of the batch is fully met: batches with no lane short,
 * one lane short and many lanes short all give the formula's bits. */
Test(lanes, settle_recsys_revenue_per_lane)
{
    fixture f;
    open_default(&f);
    cx_scratch *s = f.s;
    double *ar = s->alc[CX_USE_RECSYS], *dr = s->dem[CX_USE_RECSYS];
    const size_t off = offsetof(cx_scratch, st), len = state_bytes();
    unsigned char *save = malloc(len);
    cr_assert(save != NULL);
    cx_pcg64 g;
    cx_pcg64_stream(&g, 13, 0);
    int shorts[3] = { 0, 0, 0 }; /* batches with no, one, several lanes short */
    for (int round = 0; round < 90; round++) {
        randomise(s, &g);
        const int mode = round % 3, one = (int)(cx_pcg64_uniform(&g) * CX_LANES);
        int n_short = 0;
        for (int l = 0; l < CX_LANES; l++) {
            s->rec_b[l] = cx_pcg64_uniform(&g) * 2.0;
            s->rec_k[l] = cx_pcg64_uniform(&g) < 0.1 ? 0.0 : cx_pcg64_uniform(&g);
            s->rec_l2[l] = cx_pcg64_uniform(&g) * 3.0;
            dr[l] = cx_pcg64_uniform(&g) * 8.0;
            const bool short_l = mode == 2 ? cx_pcg64_uniform(&g) < 0.3 : mode == 1 && l == one;
            ar[l] = short_l ? dr[l] * cx_pcg64_uniform(&g) : dr[l];
            n_short += ar[l] != dr[l];
        }
        shorts[n_short == 0 ? 0 : n_short == 1 ? 1 : 2]++;
        memcpy(save, (unsigned char *)s + off, len);
        for (size_t i = 0; i < N_TABLES; i++) {
            if (!cx_simd_supported(levels[i]))
                continue;
            memcpy((unsigned char *)s + off, save, len);
            tables[i]->settle(s, CX_LANES, 5);
            for (int l = 0; l < CX_LANES; l++) {
                const double a = ar[l], b = s->rec_b[l];
                const double l2 = a == dr[l] ? s->rec_l2[l] : cx_log2(a / (b > 0.0 ? b : 1.0));
                const double rr = s->rec_k[l] != 0.0 && a > 0.0 && l2 > 0.0 ? s->rec_k[l] * l2 : 0.0;
                cr_assert(eq(u64, cx_dbits(s->rr_m[l]), cx_dbits(rr)), "%s: round %d, lane %d",
                          tables[i]->name, round, l);
            }
        }
    }
    cr_assert(gt(int, shorts[0], 0));
    cr_assert(gt(int, shorts[1], 0));
    cr_assert(gt(int, shorts[2], 0));
    free(save);
    close_fixture(&f);
}

/* Whole batches: every SIMD path gives the same bytes as the C reference, and a path's
 * result is the same in a batch of 64 as alone (same seed, block and index). */
Test(lanes, batches_match_and_paths_are_independent)
{
    fixture f;
    open_default(&f);
    const int ni = f.sc->n_inputs;
    double *x = malloc((size_t)CX_LANES * (size_t)ni * sizeof(double));
    double *work = malloc((size_t)(cx_sampler_work_size(f.sc->sampler) + 1) * sizeof(double));
    cx_path_result *ref = malloc(CX_LANES * sizeof *ref), *res = malloc(CX_LANES * sizeof *res);
    gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
    cr_assert(x && work && ref && res && r);
    for (int b = 0; b < 6; b++) {
        cx_pcg64_stream(cx_rng_pcg64(r), 11, (uint64_t)b);
        for (int i = 0; i < CX_LANES; i++)
            cx_sampler_draw(f.sc->sampler, r, x + (size_t)i * ni, work);
        cx_path_streams st[CX_LANES];
        for (int i = 0; i < CX_LANES; i++) {
            cx_pcg32_group_stream(&st[i].price, 11, (uint64_t)b, 100 + (uint64_t)i, 0);
            cx_pcg32_group_stream(&st[i].events, 11, (uint64_t)b, 100 + (uint64_t)i, 1);
        }
        memset(ref, 0, CX_LANES * sizeof *ref);
        f.m->k = &cx_lane_kernels_scalar;
        cx_model_batch(f.m, x, (size_t)ni, CX_LANES, st, f.s, ref, NULL);
        for (size_t i = 1; i < N_TABLES; i++) {
            if (!cx_simd_supported(levels[i]))
                continue;
            f.m->k = tables[i];
            memset(res, 0, CX_LANES * sizeof *res);
            cx_model_batch(f.m, x, (size_t)ni, CX_LANES, st, f.s, res, NULL);
            cr_assert(eq(int, memcmp(ref, res, CX_LANES * sizeof *res), 0), "%s", tables[i]->name);
        }
        f.m->k = &cx_lane_kernels_scalar;
        for (int i = 0; i < CX_LANES; i += 7) {
            cx_path_result one;
            memset(&one, 0, sizeof one);
            cx_model_batch(f.m, x + (size_t)i * ni, (size_t)ni, 1, &st[i], f.s, &one, NULL);
            cr_assert(eq(int, memcmp(&one, &ref[i], sizeof one), 0), "lane %d", i);
        }
    }
    gsl_rng_free(r);
    free(x);
    free(work);
    free(ref);
    free(res);
    close_fixture(&f);
}

/* MODEL.md, Present value, on the default scenario's random paths and every SIMD path: at
 * r = 0 the present values are capex_burden and revenue_total bit for bit; at r = 0.1 lane
 * 0's are the exact discounted sums of its months (from the trace, in month order, revenue
 * stream by stream as the model adds it). */
Test(lanes, present_values_on_every_path)
{
    const double rates[] = { 0.0, 0.1 };
    for (int ri = 0; ri < 2; ri++) {
        char path[1024], err[512];
        fixture f;
        snprintf(path, sizeof path, "%s/configs/meta-2026h1.cfg", CX_SOURCE_ROOT);
        cr_assert(eq(int, cx_scenario_load(&f.sc, path, err, sizeof err), 0), "%s", err);
        f.sc->has_discount = true;
        f.sc->discount_rate = rates[ri];
        cr_assert(eq(int, cx_model_new(&f.m, f.sc, err, sizeof err), 0), "%s", err);
        cr_assert(eq(int, cx_scratch_new(&f.s, f.m), 0));
        const int ni = f.sc->n_inputs, H = f.sc->horizon_months;
        double *x = malloc((size_t)CX_LANES * (size_t)ni * sizeof(double));
        double *work = malloc((size_t)(cx_sampler_work_size(f.sc->sampler) + 1) * sizeof(double));
        cx_path_result *res = malloc(CX_LANES * sizeof *res);
        gsl_rng *r = gsl_rng_alloc(cx_gsl_rng_pcg64);
        cx_trace *tr = NULL;
        cr_assert(x && work && res && r && cx_trace_new(&tr, 100000) == 0);
        for (int b = 0; b < 4; b++) {
            cx_pcg64_stream(cx_rng_pcg64(r), 13, (uint64_t)b);
            for (int i = 0; i < CX_LANES; i++)
                cx_sampler_draw(f.sc->sampler, r, x + (size_t)i * ni, work);
            cx_path_streams st[CX_LANES];
            for (int i = 0; i < CX_LANES; i++) {
                cx_pcg32_group_stream(&st[i].price, 13, (uint64_t)b, (uint64_t)i, 0);
                cx_pcg32_group_stream(&st[i].events, 13, (uint64_t)b, (uint64_t)i, 1);
            }
            for (size_t k = 0; k < N_TABLES; k++) {
                if (!cx_simd_supported(levels[k]))
                    continue;
                f.m->k = tables[k];
                cx_model_batch(f.m, x, (size_t)ni, CX_LANES, st, f.s, res, tr);
                for (int l = 0; l < CX_LANES && ri == 0; l++) {
                    const double *mt = res[l].metric;
                    cr_assert(eq(dbl, mt[CX_M_CAPEX_BURDEN_PV], mt[CX_M_CAPEX_BURDEN]));
                    cr_assert(eq(dbl, mt[CX_M_REVENUE_TOTAL_PV], mt[CX_M_REVENUE_TOTAL]));
                }
                double bu = 0, rv[4] = { 0, 0, 0, 0 };
                for (int t = 0; t < H; t++) {
                    const cx_trace_month *tm = &tr->month[t];
                    double fct = pow(1.0 + rates[ri], -(t + 1) / 12.0);
                    bu += tm->burden_b * fct;
                    rv[0] += tm->rev_deals_b * fct;
                    rv[1] += tm->rev_taas_b * fct;
                    rv[2] += tm->rev_iaas_b * fct;
                    rv[3] += tm->rev_recsys_b * fct;
                }
                cr_assert(eq(dbl, res[0].metric[CX_M_CAPEX_BURDEN_PV], bu), "%s", tables[k]->name);
                cr_assert(eq(dbl, res[0].metric[CX_M_REVENUE_TOTAL_PV], rv[0] + rv[1] + rv[2] + rv[3]),
                          "%s", tables[k]->name);
                if (ri == 1) /* factors below 1 on amounts >= 0 */
                    cr_assert(le(dbl, bu, res[0].metric[CX_M_CAPEX_BURDEN]));
            }
        }
        cx_trace_free(tr);
        gsl_rng_free(r);
        free(x);
        free(work);
        free(res);
        close_fixture(&f);
    }
}
