/* SPDX-License-Identifier: MIT */
/* The default scenario (configs/meta-2026h1.cfg) and its model, loaded once per test by a
 * Criterion suite's .init = setup and freed by .fini = teardown. Included by the engine,
 * checkpoint and ranks tests, each its own copy (static). */
#ifndef CX_TESTS_DEFAULT_FIXTURE_H
#define CX_TESTS_DEFAULT_FIXTURE_H

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <gsl/gsl_errno.h>

#include "models/model.h"
#include "sim/input/scenario.h"

#define CFG CX_SOURCE_ROOT "/configs/meta-2026h1.cfg"

static cx_scenario *sc;
static cx_model *model;

static void setup(void)
{
    char err[1024] = "";
    gsl_set_error_handler_off();
    cr_assert(eq(int, cx_scenario_load(&sc, CFG, err, sizeof err), 0), "%s", err);
    cr_assert(eq(int, cx_model_new(&model, sc, err, sizeof err), 0), "%s", err);
}

static void teardown(void)
{
    cx_model_free(model);
    cx_scenario_free(sc);
}

#endif
