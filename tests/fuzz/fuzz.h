/* SPDX-License-Identifier: MIT */
/* What the fuzz harnesses share: a private working folder and a check that aborts. */
#ifndef CX_TESTS_FUZZ_FUZZ_H
#define CX_TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A finding: the message on stderr, then abort (libFuzzer saves the input). */
#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz finding: " __VA_ARGS__);                                     \
            fputc('\n', stderr);                                                               \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* Moves to a new folder under $TMPDIR (or /tmp) holding a.cfg and b.cfg, small scenario parts
 * that @include can name, so no input reaches the machine's own files by a relative name. */
static char fuzz_dir[512];

static inline void fuzz_cleanup(void)
{
    if (chdir(fuzz_dir) == 0) {
        unlink("a.cfg");
        unlink("b.cfg");
        rmdir("plots");
        if (chdir("/") == 0)
            rmdir(fuzz_dir);
    }
}

static inline int fuzz_private_cwd(void)
{
    char *dir = fuzz_dir;
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof fuzz_dir, "%s/capexsim-fuzz-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir) || chdir(dir) != 0)
        return 0;
    atexit(fuzz_cleanup);
    FILE *f = fopen("a.cfg", "w");
    if (f) {
        fputs("market = { price0 = 12.0; drift = { dist = \"uniform\"; low = -0.1; high = 0.1; }; };\n", f);
        fclose(f);
    }
    f = fopen("b.cfg", "w");
    if (f) {
        fputs("run = { paths = 100; seed = 9999999999L; };\n@include \"a.cfg\"\n", f);
        fclose(f);
    }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
