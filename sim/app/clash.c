/* SPDX-License-Identifier: MIT */
/* No output replaces an input or another output (issue 25): the files of a command, compared
 * before any work. */
/*
 * `run s.cfg --json s.cfg` would replace the scenario with its own report; `--checkpoint F
 * --json F` would write the partial report over the checkpoint just saved. Each command lists
 * what it reads (scenarios and their @includes, result JSONs, a checkpoint) and what it writes
 * (JSON, CSV, the export, a checkpoint, the files in an output folder) and refuses, before any
 * work, two entries that are the same file when one of them is written. A file that exists is
 * known by device and inode (hard links and symbolic links included); one not yet written by
 * its folder's real path and its name.
 */
#define _XOPEN_SOURCE 700 /* realpath, strdup */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/app/clash.h"
#include "sim/app/common.h"
#include "sim/base/error.h"

#define MAX_INCLUDE_DEPTH 16

void cli_files_add(cli_files *fs, const char *role, const char *path, bool output)
{
    if (!path || fs->n >= CLI_FILES_MAX) return;
    char *p = strdup(path);
    if (!p) return;
    fs->f[fs->n].role = role;
    fs->f[fs->n].path = p;
    fs->f[fs->n].output = output;
    fs->n++;
}

void cli_files_add_in_dir(cli_files *fs, const char *role, const char *dir, const char *name)
{
    if (!dir) return;
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (!p) return;
    snprintf(p, len, "%s/%s", dir, name);
    cli_files_add(fs, role, p, true);
    free(p);
}

/* The @include lines of file (libconfig's: `@include "NAME"` at a line's start), each looked
 * up in dir (the scenario's folder) unless absolute, added as inputs and followed. */
static void add_includes(cli_files *fs, const char *file, const char *dir, int depth)
{
    if (depth >= MAX_INCLUDE_DEPTH) return;
    FILE *f = fopen(file, "r");
    if (!f) return;
    char line[PATH_MAX + 64];
    while (fgets(line, sizeof line, f)) {
        const char *s = line + strspn(line, " \t");
        if (strncmp(s, "@include", 8) != 0) continue;
        s += 8 + strspn(s + 8, " \t");
        const char *end = *s == '"' ? strchr(s + 1, '"') : NULL;
        if (!end || end == s + 1) continue;
        char path[PATH_MAX + 64];
        int len = (int)(end - s - 1);
        if (s[1] == '/')
            snprintf(path, sizeof path, "%.*s", len, s + 1);
        else
            snprintf(path, sizeof path, "%s%.*s", dir, len, s + 1);
        cli_files_add(fs, "an @include of the scenario", path, false);
        add_includes(fs, path, dir, depth + 1);
    }
    fclose(f);
}

void cli_files_add_scenario(cli_files *fs, const char *path)
{
    if (!path) return;
    cli_files_add(fs, "the scenario", path, false);
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
    add_includes(fs, path, dir, 0);
}

/* A file's identity: device and inode when it exists, else its folder's real path and name
 * in key (empty when the folder cannot be resolved: then it matches nothing). */
typedef struct file_id {
    bool exists;
    dev_t dev;
    ino_t ino;
    char key[PATH_MAX + NAME_MAX + 2];
} file_id;

static void identify(const char *path, file_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) == 0) {
        id->exists = true;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return;
    }
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX], real[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
             slash ? (slash == path ? "/" : path) : ".");
    if (realpath(dir, real))
        snprintf(id->key, sizeof id->key, "%s/%s", real, slash ? slash + 1 : path);
}

static bool same_file(const file_id *a, const file_id *b)
{
    if (a->exists != b->exists) return false;
    if (a->exists) return a->dev == b->dev && a->ino == b->ino;
    return a->key[0] && strcmp(a->key, b->key) == 0;
}

int cli_files_check(const cli_files *fs)
{
    static file_id id[CLI_FILES_MAX];
    for (int i = 0; i < fs->n; i++) identify(fs->f[i].path, &id[i]);
    for (int i = 0; i < fs->n; i++)
        for (int j = 0; j < i; j++) {
            if (!fs->f[i].output && !fs->f[j].output) continue;
            if (!same_file(&id[i], &id[j])) continue;
            /* name the output first: it is what would replace the other */
            int o = fs->f[i].output ? i : j, other = o == i ? j : i;
            char msg[3 * PATH_MAX];
            snprintf(msg, sizeof msg,
                     "%s %s: is also %s%s (%s); an output never replaces an input or another "
                     "output",
                     fs->f[o].role, fs->f[o].path, fs->f[other].output ? "the output " : "",
                     fs->f[other].role, fs->f[other].path);
            cx_err_one_line(msg, sizeof msg); /* a name with a newline stays one line */
            fprintf(stderr, "capexsim: %s\n", msg);
            return CLI_EXIT_USAGE;
        }
    return 0;
}

void cli_files_free(cli_files *fs)
{
    for (int i = 0; i < fs->n; i++) free(fs->f[i].path);
    fs->n = 0;
}

int cli_check_clash(const char *scenario, const char *ckpt, const char *json, const char *csv,
                    const char *csv_name, const char *export_path)
{
    cli_files fs = CLI_FILES_INIT;
    cli_files_add_scenario(&fs, scenario);
    cli_files_add(&fs, "--checkpoint", ckpt, true);
    cli_files_add(&fs, "--json", json, true);
    if (csv_name)
        cli_files_add_in_dir(&fs, "--csv", csv, csv_name);
    else
        cli_files_add(&fs, "--csv", csv, true);
    cli_files_add(&fs, "--export-paths", export_path, true);
    int rc = cli_files_check(&fs);
    cli_files_free(&fs);
    return rc;
}

int cli_check_plot_clash(const char *result, const char *out)
{
    /* plot writes NAME.png and NAME.svg into out: a result there with such a name is an input
     * a plot could replace */
    size_t len = strlen(result);
    if (len < 4 || (strcmp(result + len - 4, ".png") != 0 && strcmp(result + len - 4, ".svg") != 0))
        return 0;
    const char *slash = strrchr(result, '/');
    char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - result) : 1,
             slash ? (slash == result ? "/" : result) : ".");
    if (!realpath(dir, a) || !realpath(out, b) || strcmp(a, b) != 0) return 0;
    fprintf(stderr, "capexsim: --out %s: would hold the plots, and a plot could replace the "
                    "result %s; an output never replaces an input\n", out, result);
    return CLI_EXIT_USAGE;
}

int cli_check_resume_outputs(bool resuming, const char *scenario, const char *ckpt,
                             const char *json, const char *csv)
{
    int rc;
    if (!resuming) return 0;
    if ((rc = cli_check_output("--json", json, NULL)) || (rc = cli_check_output("--csv", csv, NULL)))
        return rc;
    return cli_check_clash(scenario, ckpt, json, csv, NULL, NULL);
}
