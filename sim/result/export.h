/* SPDX-License-Identifier: MIT */
/* Per-path export (issue 14): one CSV row per path, in path order, through the engine's observer. */
#ifndef CX_SIM_EXPORT_H
#define CX_SIM_EXPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/engine/engine.h"
#include "sim/input/scenario.h"

/*
 * Columns: "path" (0-based path index), every uncertain scalar input by its dotted name (input
 * order), then every per-path metric the scenario reports (cx_metric_count, in
 * cx_metric_names order). Numbers are printed with 17
 * significant digits, so each value reads back as the double the engine used.
 *
 * Rows are kept per block in the engine's round buffer (observer state) and written by
 * merge_block, which the engine calls between rounds in block order: the rows come out in
 * path order whatever the thread count, and memory holds at most one round of blocks
 * (cx_export_round_blocks). The file is written to a temporary beside FILE and renamed by
 * cx_export_finish, so FILE is never half written.
 */
typedef struct cx_export cx_export;

/*
 * Opens the temporary file beside path and writes the header. max_rows: export the paths with
 * index < max_rows (UINT64_MAX: all).
 * @return 0, CX_ERR_NOMEM, CX_ERR_IO (errno says why).
 * @note free with cx_export_free (which removes the temporary unless finished).
 */
int cx_export_new(cx_export **out, const cx_scenario *sc, const char *path, uint64_t max_rows);
/* The observer to put in cx_engine_opts.observer; valid while e lives. */
const cx_observer *cx_export_observer(const cx_export *e);
/*
 * Blocks per round that keep the round buffer near `bytes` (at least CX_STOP_ROUND_MIN, at most
 * CX_ROUND_BLOCKS): a value for cx_engine_opts.round_blocks when no stop predicate needs the
 * engine's own schedule. Rounds change no result (engine.h).
 */
int cx_export_round_blocks(const cx_export *e, size_t bytes);
/*
 * The file's size for a run of `paths` paths, estimated before the run (about 17 bytes a
 * number: %.17g of the model's values averages a little under that), to compare with the
 * free space of its file system.
 */
uint64_t cx_export_estimate_bytes(const cx_export *e, uint64_t paths);
/*
 * A flag set (to 1) the moment a write fails, so the run stops at the next block instead of
 * running on to an export that is lost (issue 25: "No space left on device"); the engine's
 * interrupt flag is the one to pass. NULL: none.
 */
void cx_export_stop_on_error(cx_export *e, atomic_int *flag);
/* Whether a write has failed (errno of the first failure in *err when so). */
bool cx_export_failed(const cx_export *e, int *err);
/* Rows written so far. */
uint64_t cx_export_rows(const cx_export *e);
/*
 * Flushes, syncs and renames the temporary to the path.
 * @return 0, or CX_ERR_IO when a write failed at any point (errno of the first failure).
 */
int cx_export_finish(cx_export *e);
/* No-op on NULL; removes the temporary if cx_export_finish did not succeed. */
void cx_export_free(cx_export *e);

#endif
