/* SPDX-License-Identifier: MIT */
/* libFuzzer harness of plot's result reader: no JSON string can become a gnuplot command. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/error.h"
#include "sim/result/plot.h"
#include "tests/fuzz/fuzz.h"

/*
 * The bytes are read as a result JSON and every plot's gnuplot script is written, but a hook
 * inspects each script instead of running gnuplot. Every line must be one the templates make
 * (set, unset, plot or a plot continuation), with balanced quotes and no backquote, so that
 * nothing from the JSON can start a command or close a string. Failure must give a one-line
 * message. Anything else aborts: a finding.
 */
static int check_script(void *ctx, const char *name, const char *path)
{
    (void)ctx;
    FILE *f = fopen(path, "r");
    FUZZ_CHECK(f != NULL, "cannot read the script of %s", name);
    char line[16384];
    while (fgets(line, sizeof line, f)) {
        static const char *const starts[] = {"\n", "set ", "unset ", "plot ", "     '' ",
                                             "     for ", NULL};
        bool known = false;
        for (int i = 0; starts[i] && !known; i++)
            known = strncmp(line, starts[i], strlen(starts[i])) == 0;
        FUZZ_CHECK(known, "%s: a script line no template makes: %s", name, line);
        int sq = 0, dq = 0;
        for (const char *p = line; *p; p++) {
            FUZZ_CHECK(*p != '`', "%s: a backquote: %s", name, line);
            FUZZ_CHECK((unsigned char)*p >= 0x20 || *p == '\n', "%s: a control byte: %s", name, line);
            sq += *p == '\'' && dq % 2 == 0;
            dq += *p == '"' && sq % 2 == 0;
        }
        FUZZ_CHECK(sq % 2 == 0 && dq % 2 == 0, "%s: unbalanced quotes: %s", name, line);
    }
    fclose(f);
    return 0;
}

static char out_dir[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int rc = fuzz_private_cwd();
    snprintf(out_dir, sizeof out_dir, "plots");
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024] = "";
    int n = 0;
    cx_plot_opts o = {.script_hook = check_script};
    int rc = cx_plot_buffer((const char *)data, size, "fuzz.json", out_dir, &o, &n, err,
                            sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(err[0] != '\0', "a failed plot gave no message");
        for (const char *p = err; *p; p++)
            FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
                       "the message holds a control character: %s", err);
    }
    return 0;
}
