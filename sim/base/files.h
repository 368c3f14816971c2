/* SPDX-License-Identifier: MIT */
/* Output files written safely: checks before any work, atomic replacement (temporary + rename). */
#ifndef CX_SIM_FILES_H
#define CX_SIM_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Checks, before any work, that path can take an output file: it is a regular file or
 * nothing (not a symbolic link, a FIFO, a device or a folder), its name fits NAME_MAX, and
 * its folder exists and is writable.
 * @return 0, or CX_ERR_USAGE (CX_ERR_NOMEM) with a one-line message in err that starts with
 * the path.
 */
int cx_file_check(const char *path, char *err, size_t err_len);
/*
 * The same for an output folder (made at write time when missing: its parent must then be
 * a writable folder) and, when file is not NULL, for the file dir/file in it.
 */
int cx_file_check_dir(const char *dir, const char *file, char *err, size_t err_len);
/*
 * Writes text to path atomically: a temporary file (.capexsim-XXXXXX) in the same folder,
 * fsync, rename(). A crash leaves either the old file or the new one, never half of one.
 * A path that is a symbolic link, a FIFO, a device or a folder is never replaced.
 * @return 0 or CX_ERR_IO (errno tells why; EEXIST for a target that is not a regular file;
 * the temporary is removed).
 */
int cx_file_write_atomic(const char *path, int (*writer)(FILE *f, const void *ctx),
                           const void *ctx);
/*
 * A mkstemp template for a temporary file next to path: "DIR/.capexsim-XXXXXX" (short, so it
 * fits NAME_MAX whatever path's length; same folder, so rename() is atomic).
 * @return a new string (caller frees), or NULL when out of memory.
 */
char *cx_file_tmp_template(const char *path);
/*
 * mkstemp(tmpl) that also registers the temporary, so that cx_file_tmp_remove_all (from a
 * signal handler) can remove it: no .capexsim-XXXXXX survives a second Ctrl-C or a SIGTERM.
 * Call cx_file_tmp_forget(tmpl) once it is renamed or removed.
 * @return the descriptor, or -1 (errno).
 */
int cx_file_mkstemp(char *tmpl);
/* Forgets a temporary registered by cx_file_mkstemp (renamed or removed by its owner). */
void cx_file_tmp_forget(const char *tmp);
/* Removes every registered temporary; async-signal-safe (unlink only). */
void cx_file_tmp_remove_all(void);
/* Whether rename() onto path would replace only a regular file (or nothing): false for a
 * symbolic link, a FIFO, a device or a folder. */
bool cx_file_replaceable(const char *path);
#endif
