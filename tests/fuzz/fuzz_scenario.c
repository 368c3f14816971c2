/* SPDX-License-Identifier: MIT */
/* libFuzzer harness of the scenario loader: any text loads or gives one line, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "sim/base/error.h"
#include "sim/input/scenario.h"
#include "tests/fuzz/fuzz.h"

/*
 * The text is loaded as a scenario from memory (@include names resolve in a private working
 * folder holding two small files, so includes are exercised without reaching the machine's
 * files). What must hold: success gives a scenario, failure gives NULL and a non-empty
 * message of one line (no control characters), and a loaded scenario can be summarised and
 * copied with an input fixed (what sweeps do). Anything else aborts: a finding.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    return fuzz_private_cwd();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[1024] = "";
    cx_scenario *sc = (cx_scenario *)&err;
    int rc = cx_scenario_load_string(&sc, text, "fuzz.cfg", err, sizeof err);
    free(text);
    if (rc != 0) {
        FUZZ_CHECK(sc == NULL, "a failed load left a scenario");
        FUZZ_CHECK(err[0] != '\0', "a failed load gave no message");
        for (const char *p = err; *p; p++)
            FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
                       "the message holds a control character: %s", err);
        return 0;
    }
    FUZZ_CHECK(sc != NULL, "a successful load gave no scenario");
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        cx_scenario_print_summary(sc, null);
        fclose(null);
    }
    if (sc->n_sweep > 0) {
        cx_scenario *c = NULL;
        if (cx_scenario_with_fixed(&c, sc, sc->sweep[0].input, sc->sweep[0].values[0]) == 0)
            cx_scenario_free(c);
    }
    cx_scenario_free(sc);
    return 0;
}
