/* SPDX-License-Identifier: MIT */
/* Run's per-path export (issue 14): the --export-paths and --export-max flags, the observer
 * hooked into the run, and finishing the file. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/app/common.h"
#include "sim/app/export.h"
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
    o->observer = cx_export_observer(*e);
    /* a stop predicate keeps the engine's own round schedule (it decides where a run stops) */
    if (!o->stop && !o->round_blocks)
        o->round_blocks = cx_export_round_blocks(*e, EXPORT_ROUND_BYTES);
    return 0;
}

int cli_export_finish(cx_export *e, const cli_export_flags *f)
{
    if (cx_export_finish(e) < 0) {
        fprintf(stderr, "capexsim: --export-paths: %s: %s\n", f->path, strerror(errno));
        return EXIT_FAILURE;
    }
    return 0;
}
