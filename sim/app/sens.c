/* SPDX-License-Identifier: MIT */
/* The sampling flags (issue 6): --sampling, --antithetic, --target-ci; the sampling source and
 * stop predicate they set on a run, and their parts of the run's JSON and messages. What they
 * compute comes from sim/engine/sampling.h and sim/study/sens.h. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "models/model.h"
#include "sim/app/common.h"
#include "sim/app/provenance.h"
#include "sim/app/sens.h"
#include "sim/base/error.h"
#include "sim/result/output.h"
#include "sim/result/plot.h"
#include "sim/result/report.h"

/* Handles one of the issue-6 flags; returns 1 if c was one (with *rc an exit code on error). */
int cli_sens_flag(const char *cmd, int c, const char *arg, cli_sens_flags *f, int *rc)
{
    *rc = 0;
    switch (c) {
    case CLI_OPT_SAMPLING:
        f->sampling = cx_sampling_find(arg);
        if (f->sampling < 0)
            *rc = cli_usage_error(cmd, "--sampling: expected mc, lhs or sobol, got '%s'", arg);
        return 1;
    case CLI_OPT_ANTITHETIC:
        f->antithetic = true;
        return 1;
    case CLI_OPT_TARGET_CI:
        f->target = arg;
        return 1;
    default:
        return 0;
    }
}

void cli_sens_setup_free(cli_sens_setup *s)
{
    cx_sampling_source_free(s->ss);
    s->ss = NULL;
}

/* Applies the flags (or the scenario's run group) to o. Returns 0 or an exit code. */
int cli_sens_setup_run(cli_sens_setup *s, const cli_sens_flags *f, const cx_scenario *sc,
                       cx_engine_opts *o)
{
    memset(s, 0, sizeof *s);
    s->sampling = f->sampling >= 0 ? (cx_sampling)f->sampling : sc->sampling;
    s->antithetic = f->antithetic || sc->antithetic;
    snprintf(s->sampling_name, sizeof s->sampling_name, "%s%s", cx_sampling_names[s->sampling],
             s->antithetic ? "+antithetic" : "");
    s->target_text = f->target;
    if (f->target) {
        char err[1024];
        if (cx_target_ci_parse(&s->target, f->target, err, sizeof err) < 0)
            return cli_usage_error("run", "%s", err);
        s->has_target = true;
        o->stop = cx_target_ci_stop;
        o->cb_ctx = &s->target;
        o->stop_needs_accum = true;
    }
    if (s->sampling != CX_SAMPLING_MC || s->antithetic) {
        int rc = cx_sampling_source_new(&s->ss, &s->src, sc, s->sampling, s->antithetic,
                                        CX_BLOCK_PATHS);
        if (rc < 0) {
            fprintf(stderr, "capexsim: sampling: %s\n", cx_strerror(rc));
            return EXIT_FAILURE;
        }
        o->source = &s->src;
        /* blocks are the independent replicates of the error bars (sim/result/report.c) */
        o->n_rep_q = cx_report_replicate_levels(o->rep_q, s->has_target ? s->target.q : NAN);
    }
    return 0;
}

/* Adds "histograms" (for `capexsim plot`) and "target_ci" to the run's JSON. */
void cli_sens_add_json(const cli_sens_setup *s, json_t *doc, const cx_run *run)
{
    json_t *h = json_object();
    if (h) {
        static const int which[] = {CX_M_CAPEX_BURDEN, CX_M_REVENUE_TOTAL};
        for (size_t i = 0; i < sizeof which / sizeof *which; i++) {
            json_t *one = cx_plot_histogram_json(run->accum->metric[which[i]], 40);
            if (one) json_object_set_new(h, cx_metric_names[which[i]], one);
        }
        json_object_set_new(doc, "histograms", h);
    }
    json_object_set_new(doc, "antithetic", json_boolean(s->antithetic));
    if (s->has_target) {
        double v, lo, hi;
        bool met = cx_target_ci_met_accum(run->accum, &s->target, &v, &lo, &hi);
        json_t *t = json_pack("{s:s, s:f, s:f, s:b, s:I}", "metric",
                              cx_metric_names[s->target.metric], "q", s->target.q, "rel",
                              s->target.rel, "met", met, "paths", (json_int_t)run->paths_done);
        if (t) {
            json_object_set_new(t, "value", isfinite(v) ? json_real(v) : json_null());
            json_object_set_new(t, "ci95", json_pack("[o,o]", isfinite(lo) ? json_real(lo) : json_null(),
                                                     isfinite(hi) ? json_real(hi) : json_null()));
            json_object_set_new(doc, "target_ci", t);
        }
    }
}

int cli_sens_add_provenance(const cli_sens_setup *s, json_t *doc, const cx_scenario *sc,
                            const cx_engine_opts *o)
{
    json_t *opt = json_pack("{s:s, s:I, s:o, s:s, s:b, s:o}", "command", "run", "paths",
                            (json_int_t)o->paths, "seed", cx_output_u64(o->seed), "sampling",
                            cx_sampling_names[s->sampling], "antithetic", s->antithetic,
                            "target_ci", s->target_text ? json_string(s->target_text)
                                                        : json_null());
    return cli_provenance_add(doc, opt, sc) < 0 ? EXIT_FAILURE : 0;
}

/* One line on stderr saying whether --target-ci was met and after how many paths. */
void cli_sens_report_target(const cli_sens_setup *s, const cx_run *run, bool quiet)
{
    if (!s->has_target || quiet)
        return;
    double v, lo, hi;
    bool met = cx_target_ci_met_accum(run->accum, &s->target, &v, &lo, &hi);
    fprintf(stderr,
            "capexsim: --target-ci %s:%g:%g %s after %" PRIu64 " paths: Q = %.6g, 95%% CI "
            "[%.6g, %.6g] (width %.3g%% of Q)\n",
            cx_metric_names[s->target.metric], s->target.q, s->target.rel,
            met ? "met" : "NOT met", run->paths_done, v, lo, hi,
            v != 0 ? 100.0 * (hi - lo) / fabs(v) : NAN);
}
