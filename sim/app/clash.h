/* SPDX-License-Identifier: MIT */
/* No output replaces an input or another output (issue 25): the files of a command, compared
 * before any work. */
#ifndef CX_SIM_APP_CLASH_H
#define CX_SIM_APP_CLASH_H

#include <stdbool.h>

#define CLI_FILES_MAX 64

/*
 * The files a command reads and writes, each with the flag (or role) that named it. Two
 * entries clash when they are the same file and one of them is written: by device and inode
 * for files that exist, by resolved path (the folder through realpath, then the name) for
 * files not yet written. Two inputs may be the same file (compare A A, a shared @include).
 */
typedef struct cli_files {
    struct {
        const char *role; /* "--json", "the scenario", "an @include of s.cfg" */
        char *path;       /* owned */
        bool output;
    } f[CLI_FILES_MAX];
    int n;
} cli_files;

/* Adds path (NULL: nothing) as an input or an output. Entries past CLI_FILES_MAX are dropped. */
void cli_files_add(cli_files *fs, const char *role, const char *path, bool output);
/* Adds dir/name as an output (dir NULL: nothing). */
void cli_files_add_in_dir(cli_files *fs, const char *role, const char *dir, const char *name);
/* Adds a scenario file (NULL: the built-in one, nothing) and, as far as they can be read, the
 * files its @include lines name (relative to its folder, nested), as inputs. */
void cli_files_add_scenario(cli_files *fs, const char *path);
/*
 * The first clash, as one line on stderr ("capexsim: --json s.cfg: is also the scenario;
 * ..."). @return 0, or CLI_EXIT_USAGE after the message.
 */
int cli_files_check(const cli_files *fs);
/* Frees the paths; fs may be reused after cli_files_init. */
void cli_files_free(cli_files *fs);
#define CLI_FILES_INIT {.n = 0}
/* The usual set: a scenario (and its @includes), a checkpoint (read and written), --json,
 * --csv (a file, or with csv_name the folder that holds it) and --export-paths; NULL for
 * those a command does not have. @return 0 or CLI_EXIT_USAGE after one line on stderr. */
int cli_check_clash(const char *scenario, const char *ckpt, const char *json, const char *csv,
                    const char *csv_name, const char *export_path);
/* What `capexsim resume` checks before a command's work, since it reaches the command without
 * the command's own flag parsing: the --json and --csv targets (cli_check_output) and that no
 * output clashes with the scenario or the checkpoint. Nothing when resuming is false.
 * @return 0, or an exit code after a message. */
int cli_check_resume_outputs(bool resuming, const char *scenario, const char *ckpt,
                             const char *json, const char *csv);
/* plot RESULT --out DIR: refuses a RESULT in DIR named like a plot (.png, .svg).
 * @return 0 or CLI_EXIT_USAGE after one line. */
int cli_check_plot_clash(const char *result, const char *out);

#endif
