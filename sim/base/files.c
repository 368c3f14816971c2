/* SPDX-License-Identifier: MIT */
/* Output files written safely: checks before any work, atomic replacement (temporary + rename). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/base/error.h"
#include "sim/base/files.h"

/* The folder part of path ("." when it has none) into a new string; NULL when out of memory. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Whether path exists as something other than a regular file (lstat: a symbolic link
 * counts as one), with why. 0: a regular file or nothing there. */
static int not_regular(const char *path, const char **why)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return 0;
    *why = S_ISLNK(st.st_mode)    ? "is a symbolic link"
           : S_ISDIR(st.st_mode)  ? "is a folder"
           : S_ISFIFO(st.st_mode) ? "is a FIFO"
           : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "is a device"
           : S_ISSOCK(st.st_mode) ? "is a socket"
                                  : "is not a regular file";
    return 1;
}

int cx_file_check(const char *path, char *err, size_t err_len)
{
    const char *why = NULL;
    if (!path[0]) {
        cx_set_err(err, err_len, "the file name is empty");
        return CX_ERR_USAGE;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!base[0]) {
        cx_set_err(err, err_len, "%s: expected a file name, got a folder", path);
        return CX_ERR_USAGE;
    }
    if (strlen(base) > NAME_MAX) {
        cx_set_err(err, err_len, "%s: the file name is longer than %d bytes", path, NAME_MAX);
        return CX_ERR_USAGE;
    }
    if (not_regular(path, &why)) {
        cx_set_err(err, err_len, "%s: %s; capexsim writes only regular files", path, why);
        return CX_ERR_USAGE;
    }
    char *dir = dir_of(path);
    if (!dir) {
        cx_set_err(err, err_len, "out of memory");
        return CX_ERR_NOMEM;
    }
    struct stat st;
    int rc = 0;
    if (stat(dir, &st) != 0) {
        cx_set_err(err, err_len, "%s: %s (the folder %s)", path, strerror(errno), dir);
        rc = CX_ERR_USAGE;
    } else if (!S_ISDIR(st.st_mode)) {
        cx_set_err(err, err_len, "%s: %s is not a folder", path, dir);
        rc = CX_ERR_USAGE;
    } else if (access(dir, W_OK | X_OK) != 0) {
        cx_set_err(err, err_len, "%s: cannot write in the folder %s: %s", path, dir,
                   strerror(errno));
        rc = CX_ERR_USAGE;
    }
    free(dir);
    return rc;
}

int cx_file_check_dir(const char *dir, const char *file, char *err, size_t err_len)
{
    struct stat st;
    if (!dir[0]) {
        cx_set_err(err, err_len, "the folder name is empty");
        return CX_ERR_USAGE;
    }
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            cx_set_err(err, err_len, "%s: exists and is not a folder", dir);
            return CX_ERR_USAGE;
        }
        if (!file)
            return access(dir, W_OK | X_OK) == 0
                       ? 0
                       : (cx_set_err(err, err_len, "%s: cannot write in it: %s", dir,
                                     strerror(errno)),
                          CX_ERR_USAGE);
        size_t len = strlen(dir) + strlen(file) + 2;
        char *path = malloc(len);
        if (!path) {
            cx_set_err(err, err_len, "out of memory");
            return CX_ERR_NOMEM;
        }
        snprintf(path, len, "%s/%s", dir, file);
        int rc = cx_file_check(path, err, err_len);
        free(path);
        return rc;
    }
    if (errno != ENOENT) {
        cx_set_err(err, err_len, "%s: %s", dir, strerror(errno));
        return CX_ERR_USAGE;
    }
    /* made at write time: its parent must be a folder we can write in */
    char *parent = dir_of(dir);
    if (!parent) {
        cx_set_err(err, err_len, "out of memory");
        return CX_ERR_NOMEM;
    }
    int rc = 0;
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cx_set_err(err, err_len, "%s: cannot be made: %s is not a folder", dir, parent);
        rc = CX_ERR_USAGE;
    } else if (access(parent, W_OK | X_OK) != 0) {
        cx_set_err(err, err_len, "%s: cannot be made in %s: %s", dir, parent, strerror(errno));
        rc = CX_ERR_USAGE;
    }
    free(parent);
    return rc;
}

/* The registered temporaries: a fixed table a signal handler can walk (no allocation, no
 * lock; a slot's path is complete before it is marked used). */
#define TMP_SLOTS 16
static char tmp_path[TMP_SLOTS][PATH_MAX];
static volatile sig_atomic_t tmp_used[TMP_SLOTS];

int cx_file_mkstemp(char *tmpl)
{
    int fd = mkstemp(tmpl);
    if (fd < 0 || strlen(tmpl) >= PATH_MAX) return fd;
    for (int i = 0; i < TMP_SLOTS; i++)
        if (!tmp_used[i]) {
            memcpy(tmp_path[i], tmpl, strlen(tmpl) + 1);
            tmp_used[i] = 1;
            break;
        }
    return fd;
}

void cx_file_tmp_forget(const char *tmp)
{
    for (int i = 0; i < TMP_SLOTS; i++)
        if (tmp_used[i] && strcmp(tmp_path[i], tmp) == 0) {
            tmp_used[i] = 0;
            return;
        }
}

void cx_file_tmp_remove_all(void)
{
    for (int i = 0; i < TMP_SLOTS; i++)
        if (tmp_used[i]) {
            unlink(tmp_path[i]);
            tmp_used[i] = 0;
        }
}

char *cx_file_tmp_template(const char *path)
{
    char *dir = dir_of(path);
    if (!dir)
        return NULL;
    size_t len = strlen(dir) + sizeof "/.capexsim-XXXXXX";
    char *tmp = malloc(len);
    if (tmp)
        snprintf(tmp, len, "%s/.capexsim-XXXXXX", dir);
    free(dir);
    return tmp;
}

bool cx_file_replaceable(const char *path)
{
    const char *why;
    return !not_regular(path, &why);
}

int cx_file_write_atomic(const char *path, int (*writer)(FILE *f, const void *ctx),
                           const void *ctx)
{
    const char *why;
    if (not_regular(path, &why)) {
        errno = EEXIST; /* never replace a link, a FIFO or a device (cx_file_check) */
        return CX_ERR_IO;
    }
    /* A short temporary name in the target's folder, so rename() is atomic (one file
     * system) and the name fits NAME_MAX whatever the target's length. */
    char *tmp = cx_file_tmp_template(path);
    if (!tmp)
        return CX_ERR_NOMEM;
    int fd = cx_file_mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return CX_ERR_IO;
    }
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(fd, 0666 & ~um); /* mkstemp makes 0600; give the file the usual mode */
    FILE *f = fdopen(fd, "w");
    int rc = CX_ERR_IO;
    if (!f) {
        close(fd);
        goto fail;
    }
    int wrc = writer(f, ctx);
    if (fflush(f) != 0 || ferror(f) || wrc < 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        goto fail;
    }
    if (fclose(f) != 0) goto fail;
    if (not_regular(path, &why)) {
        errno = EEXIST;
        goto fail;
    }
    if (rename(tmp, path) != 0) goto fail;
    cx_file_tmp_forget(tmp);
    free(tmp);
    return 0;
fail: {
    int e = errno;
    unlink(tmp);
    cx_file_tmp_forget(tmp);
    free(tmp);
    errno = e;
    return rc;
}
}
