/* SPDX-License-Identifier: MIT */
/* Shared helpers of the benchmark programs: clock, options, one JSON record per line. */
#ifndef CX_BENCH_BENCH_H
#define CX_BENCH_BENCH_H

/*
 * Every benchmark prints one JSON object per measurement on its own line of stdout (built
 * with jansson, like the report), so bench/run.sh and CI can collect them with any JSON
 * tool. Timings are best-of-reps wall-clock times (CLOCK_MONOTONIC): on a shared machine
 * the fastest repetition is the one least disturbed by other work.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <jansson.h>

#if CX_HAVE_OPENMP
#include <omp.h>
#endif

#include "models/model.h"
#include "sim/base/error.h"
#include "sim/input/scenario.h"

#ifndef CX_SOURCE_ROOT
#define CX_SOURCE_ROOT "."
#endif
#define BENCH_SCENARIO CX_SOURCE_ROOT "/configs/meta-2026h1.cfg"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int bench_cores(void)
{
#if CX_HAVE_OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

/* Prints the record compactly on one line and releases it. */
static inline void bench_emit(json_t *rec)
{
    if (!rec) {
        fprintf(stderr, "bench: could not build a JSON record\n");
        return;
    }
    char *s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s) {
        puts(s);
        fflush(stdout);
        free(s);
    }
    json_decref(rec);
}

/* The CPU model from /proc/cpuinfo ("unknown" elsewhere) into buf. */
static inline void bench_cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                snprintf(buf, len, "%s", p);
                buf[strcspn(buf, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}

/* {"bench":"machine", cpu, cores, compiler, cflags, version}. */
static inline void bench_machine_record(const char *program)
{
    char cpu[256];
    bench_cpu_model(cpu, sizeof cpu);
    bench_emit(json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "bench", "machine", "program",
                         program, "cpu", cpu, "cores", bench_cores(), "compiler", CX_COMPILER,
                         "cflags", CX_CFLAGS, "version", CX_VERSION));
}

/* Common options: --quick, --paths N, --reps R, --scenario FILE. Unknown options and bad
 * numbers end the program with exit code 2 (this is a program, not library code). */
typedef struct bench_opts {
    bool quick;
    uint64_t paths;
    int reps;
    const char *scenario;
} bench_opts;

static inline void bench_parse(bench_opts *o, int argc, char **argv, uint64_t paths_full,
                               uint64_t paths_quick)
{
    o->quick = false;
    o->paths = 0;
    o->reps = 0;
    o->scenario = BENCH_SCENARIO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            o->quick = true;
        } else if ((strcmp(a, "--paths") == 0 || strcmp(a, "--reps") == 0 ||
                    strcmp(a, "--scenario") == 0) && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(a, "--scenario") == 0) {
                o->scenario = v;
                continue;
            }
            char *end;
            double d = strtod(v, &end); /* accepts 1e6 */
            if (*end || !(d >= 1 && d <= 1e12)) {
                fprintf(stderr, "%s: bad number for %s: '%s'\n", argv[0], a, v);
                exit(2);
            }
            if (a[2] == 'p')
                o->paths = (uint64_t)d;
            else
                o->reps = (int)d;
        } else {
            fprintf(stderr, "usage: %s [--quick] [--paths N] [--reps R] [--scenario FILE]\n",
                    argv[0]);
            exit(2);
        }
    }
    if (!o->paths)
        o->paths = o->quick ? paths_quick : paths_full;
    if (!o->reps)
        o->reps = o->quick ? 1 : 3;
}

/* Loads the scenario and compiles its model, or ends the program with exit code 1. */
static inline void bench_load(const char *path, cx_scenario **sc, cx_model **m)
{
    char err[512];
    gsl_set_error_handler_off();
    int rc = cx_scenario_load(sc, path, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    rc = cx_model_new(m, *sc, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
}

#endif
