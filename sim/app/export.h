/* SPDX-License-Identifier: MIT */
/* Run's per-path export flags (issue 14): --export-paths, --export-max, and hooking the export
 * into a run. The file itself: sim/result/export.h. */
#ifndef CX_SIM_APP_EXPORT_H
#define CX_SIM_APP_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/input/scenario.h"
#include "sim/result/export.h"

typedef struct cli_export_flags {
    const char *path;  /* --export-paths FILE, or NULL */
    uint64_t max;      /* --export-max N */
    bool has_max;
    bool force;        /* --force: export even when the estimate exceeds the free space */
} cli_export_flags;

/* getopt codes of the issue-14 long options of run (no short forms). */
#define CLI_OPT_EXPORT_PATHS 'E'
#define CLI_OPT_EXPORT_MAX 'X'
#define CLI_OPT_FORCE 'F'

/* Handles one of run's issue-14 flags; returns 1 if c was one (with *rc an exit code on error). */
int cli_export_flag(const char *cmd, int c, const char *arg, cli_export_flags *f, int *rc);
/*
 * With --export-paths, opens the export and hooks its observer into o (and, without a stop
 * predicate, rounds small enough that the rows of a round stay near 64 MiB). An export whose
 * estimated size (cx_export_estimate_bytes) exceeds the free space of its file system is
 * refused (exit 2) unless --force; a write that fails stops the run (o->interrupt is set).
 * *e stays NULL without the flag. @return 0 or an exit code (message printed).
 */
int cli_export_setup(cx_export **e, const cli_export_flags *f, const cx_scenario *sc,
                     cx_engine_opts *o);
/* Finishes the export file (message naming the file and the error on failure; a run the
 * failure stopped says so). @return 0 or EXIT_FAILURE. */
int cli_export_finish(cx_export *e, const cli_export_flags *f);

#endif
