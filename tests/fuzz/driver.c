/* SPDX-License-Identifier: MIT */
/* Runs a fuzz harness over files (its seed corpus and every past finding), without libFuzzer,
 * so the normal test suite replays them on every build (TAP: one case per file). */
#define _XOPEN_SOURCE 700 /* realpath */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

/* Collects the regular files of dir (sorted) into *files. */
static int list_dir(const char *dir, char ***files, int *n)
{
    struct dirent **ents;
    int k = scandir(dir, &ents, NULL, alphasort);
    if (k < 0)
        return -1;
    for (int i = 0; i < k; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            *files = realloc(*files, (size_t)(*n + 1) * sizeof **files);
            (*files)[(*n)++] = realpath(path, NULL);
        }
        free(ents[i]);
    }
    free(ents);
    return 0;
}

int main(int argc, char **argv)
{
    char **files = NULL;
    int n = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (list_dir(argv[i], &files, &n) < 0) {
                fprintf(stderr, "cannot list %s\n", argv[i]);
                return 1;
            }
        } else {
            files = realloc(files, (size_t)(n + 1) * sizeof *files);
            files[n++] = realpath(argv[i], NULL);
        }
    }
    int ac = 1;
    LLVMFuzzerInitialize(&ac, &argv);
    printf("1..%d\n", n);
    for (int i = 0; i < n; i++) {
        FILE *f = files[i] ? fopen(files[i], "rb") : NULL;
        if (!f) {
            printf("not ok %d - %s: cannot read\n", i + 1, files[i] ? files[i] : "?");
            continue;
        }
        size_t cap = 4096, len = 0;
        uint8_t *buf = malloc(cap);
        size_t got;
        while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
            len += got;
            if (len == cap)
                buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len); /* a finding aborts: the case never reports */
        free(buf);
        printf("ok %d - %s\n", i + 1, strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i]);
        fflush(stdout);
        free(files[i]);
    }
    free(files);
    return 0;
}
