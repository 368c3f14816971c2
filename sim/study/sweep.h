/* SPDX-License-Identifier: MIT */
/* Sweeps: full runs at the points of a grid of one or two fixed inputs. */
#ifndef CX_SIM_STUDY_SWEEP_H
#define CX_SIM_STUDY_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sim/engine/engine.h"
#include "sim/engine/sampling.h"
#include "sim/input/scenario.h"
#include "sim/result/report.h"

typedef struct cx_sweep_point {
    double value[2];       /* the axes' values (value[1] unused with one axis) */
    cx_report *report;     /* the full statistics of the run at this point */
    bool complete;
} cx_sweep_point;

typedef struct cx_sweep_report {
    int n_axes;
    const cx_sweep_axis *axis; /* borrowed from the scenario */
    int n_points;              /* axis 0 outer, axis 1 inner */
    cx_sweep_point *pt;
    uint64_t seed, paths;
    int threads;
    cx_sampling sampling;
    bool antithetic, complete;
    double elapsed_s;
} cx_sweep_report;

/*
 * Runs the engine at every point of sc's sweep group: the scenario with the axes' inputs
 * fixed at the point's values (cx_scenario_with_fixed), with base's paths, seed, threads and
 * interrupt, and the sampling method given (a source built per point, since fixing an input
 * changes the uncertain set). Every point uses the same seed and block streams (common
 * random numbers), so a point is, byte for byte, a separate run of that fixed scenario.
 * @return 0; CX_ERR_CONFIG (no sweep group), CX_ERR_NOMEM, ...; a message in err.
 * After an interrupt (base->interrupt) it stops: the points finished are kept, then the point
 * the interrupt cut short (complete = false) if any of its blocks ran; r->complete is false.
 * Every point holds at least one path.
 * @note free *out with cx_sweep_report_free.
 */
int cx_sweep_run(cx_sweep_report **out, const cx_scenario *sc, const cx_engine_opts *base,
                 cx_sampling sampling, bool antithetic, char *err, size_t err_len);
void cx_sweep_report_free(cx_sweep_report *r);
/* {"study": "sweep", ..., "axes": [{name, values}], "points": [{values, complete, metrics:
 * {name: {mean, se, p5, p50, p95}}}]} */
json_t *cx_sweep_report_json(const cx_sweep_report *r, const cx_scenario *sc);
/* Long table: axis names..., metric, mean, se, p5, p50, p95, complete (true/false: the
 * point's). @return 0 or CX_ERR_IO. */
int cx_sweep_report_csv(const cx_sweep_report *r, const char *path);

/*
 * One run of the engine on sc with the given sampling (the engine's default exact samplers
 * for plain MC): a helper shared by sweeps and the CLI. *run as cx_engine_run.
 */
int cx_sens_engine_run(cx_run **run, const cx_scenario *sc, const cx_engine_opts *opts,
                       cx_sampling sampling, bool antithetic, char *err, size_t err_len);

#endif
