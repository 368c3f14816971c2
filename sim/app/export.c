/* SPDX-License-Identifier: MIT */
/* Run's per-path export (issue 14): the --export-paths and --export-max flags, the observer
 * hooked into the run, and finishing the file. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "sim/app/common.h"
#include "sim/app/export.h"
#include "sim/app/interrupt.h"
#include "sim/base/error.h"

/* Rows of one round kept in memory at most (about; at least CX_STOP_ROUND_MIN blocks). */
#define EXPORT_ROUND_BYTES ((size_t)64 << 20)

int cli_export_flag(const char *cmd, int c, const char *arg, cli_export_flags *f, int *rc)
{
    *rc = 0;
    switch (c) {
    case CLI_OPT_EXPORT_PATHS:
        if (!arg[0])
            *rc = cli_usage_error(cmd, "--export-paths: expected a file name");
        f->path = arg;
        return 1;
    case CLI_OPT_FORCE:
        f->force = true;
        return 1;
    case CLI_OPT_EXPORT_MAX:
        if (cli_parse_u64(cmd, "--export-max", arg, 1, UINT64_MAX, "a positive integer",
                          &f->max) < 0)
            *rc = CLI_EXIT_USAGE;
        f->has_max = true;
        return 1;
    default:
        return 0;
    }
}

/* The estimated export against the free space of its file system (statvfs, f_bavail: what
 * this user may write). @return 0 or CLI_EXIT_USAGE after a message. */
static int check_space(const cx_export *e, const cli_export_flags *f, uint64_t paths)
{
    const char *slash = strrchr(f->path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - f->path) : 1,
             slash ? (slash == f->path ? "/" : f->path) : ".");
    struct statvfs vs;
    if (f->force || statvfs(dir, &vs) != 0) return 0;
    uint64_t free_b = (uint64_t)vs.f_bavail * (uint64_t)vs.f_frsize;
    uint64_t need = cx_export_estimate_bytes(e, paths);
    if (need <= free_b) return 0;
    fprintf(stderr,
            "capexsim: --export-paths: %s: about %.3g GB for %llu paths, but %s has %.3g GB "
            "free (--force to try anyway, --export-max N to export fewer)\n",
            f->path, (double)need / 1e9, (unsigned long long)paths, dir, (double)free_b / 1e9);
    return CLI_EXIT_USAGE;
}

int cli_export_setup(cx_export **e, const cli_export_flags *f, const cx_scenario *sc,
                     cx_engine_opts *o)
{
    *e = NULL;
    if (!f->path)
        return 0;
    if (o->observer) {
        fprintf(stderr, "capexsim: --export-paths: the run already has an observer\n");
        return EXIT_FAILURE;
    }
    int rc = cx_export_new(e, sc, f->path, f->has_max ? f->max : UINT64_MAX);
    if (rc < 0) {
        fprintf(stderr, "capexsim: --export-paths: %s: %s\n", f->path,
                rc == CX_ERR_IO ? strerror(errno) : cx_strerror(rc));
        return rc == CX_ERR_IO ? CLI_EXIT_USAGE : EXIT_FAILURE;
    }
    if ((rc = check_space(*e, f, o->paths)) != 0) {
        cx_export_free(*e);
        *e = NULL;
        return rc;
    }
    cx_export_stop_on_error(*e, &cli_interrupt);
    o->observer = cx_export_observer(*e);
    /* a stop predicate keeps the engine's own round schedule (it decides where a run stops) */
    if (!o->stop && !o->round_blocks)
        o->round_blocks = cx_export_round_blocks(*e, EXPORT_ROUND_BYTES);
    return 0;
}

int cli_export_finish(cx_export *e, const cli_export_flags *f)
{
    int err = 0;
    bool stopped = cx_export_failed(e, &err);
    if (cx_export_finish(e) < 0) {
        fprintf(stderr, "capexsim: --export-paths: %s: %s%s\n", f->path, strerror(errno),
                stopped ? " (the run stopped there; the other outputs hold the paths done)" : "");
        return EXIT_FAILURE;
    }
    return 0;
}
