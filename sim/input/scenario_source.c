/* SPDX-License-Identifier: MIT */
/* Scenario files: the source text, with every @include expanded in place. */

/*
 * Included files are read here rather than by libconfig, so that each is checked like the
 * main file (size, lines, control bytes), is part of scenario_sha256, and a bad one gets a
 * message naming it. Segments map lines of the expanded text back to FILE:LINE for every
 * message of the loader.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/base/error.h"
#include "sim/input/scenario.h"
#include "sim/input/scenario_impl.h"

/* ---------------------------------------------------------------- source text */

int scn_src_fail(char *err, size_t err_len, const char *file, int line, const char *fmt, ...)
{
    if (!err || err_len == 0)
        return CX_ERR_CONFIG;
    int k = line > 0 ? snprintf(err, err_len, "%s:%d: ", file, line)
                     : snprintf(err, err_len, "%s: ", file);
    if (k >= 0 && (size_t)k < err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, err_len - (size_t)k, fmt, ap);
        va_end(ap);
    }
    cx_err_one_line(err, err_len);
    return CX_ERR_CONFIG;
}

void scn_src_free(source *s)
{
    free(s->text);
    for (int i = 0; i < s->n_files; i++)
        free(s->files[i]);
    free(s->files);
    free(s->seg);
    memset(s, 0, sizeof *s);
}

/* Lines of the text from here on come from line file_line of file. */
static int src_mark(source *s, int file, int file_line)
{
    if (s->n_seg > 0 && s->seg[s->n_seg - 1].out_line == s->line)
        s->n_seg--; /* an empty segment: replaced */
    if (s->n_seg == s->cap_seg) {
        int cap = s->cap_seg ? 2 * s->cap_seg : 8;
        src_seg *g = realloc(s->seg, (size_t)cap * sizeof *g);
        if (!g)
            return CX_ERR_NOMEM;
        s->seg = g;
        s->cap_seg = cap;
    }
    s->seg[s->n_seg++] = (src_seg){.out_line = s->line, .file = file, .file_line = file_line};
    return 0;
}

/* Appends n bytes to the text (within MAX_TEXT), counting its lines. */
static int src_put(source *s, const char *p, size_t n, char *err, size_t err_len)
{
    if (s->len + n > (size_t)MAX_TEXT)
        return scn_src_fail(err, err_len, s->files[0], 0,
                            "the scenario text, includes expanded, is longer than %ld bytes",
                            MAX_TEXT);
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *t = realloc(s->text, cap);
        if (!t) {
            cx_set_err(err, err_len, "%s: out of memory", s->files[0]);
            return CX_ERR_NOMEM;
        }
        s->text = t;
        s->cap = cap;
    }
    memcpy(s->text + s->len, p, n);
    s->len += n;
    s->text[s->len] = '\0';
    for (size_t i = 0; i < n; i++)
        s->line += p[i] == '\n';
    return 0;
}

/*
 * A whole file into a new NUL-terminated buffer. regular_only refuses folders, FIFOs and
 * devices (an @include); the scenario itself may be a pipe. Messages start with `who`
 * (FILE:LINE of an @include, or the file). CX_ERR_IO for a file that cannot be opened or
 * read, CX_ERR_CONFIG for one that is not text or too long.
 */
int scn_read_whole(const char *path, bool regular_only, const char *who, char **out,
                   size_t *out_len, char *err, size_t err_len)
{
    *out = NULL;
    FILE *f = NULL;
    if (regular_only) {
        /* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat refuses it */
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
                        !(f = fdopen(fd, "rb"))))
            close(fd);
    } else {
        f = fopen(path, "rb");
    }
    if (!f) {
        cx_set_err(err, err_len, "%s: cannot read: %s", who, strerror(errno));
        return CX_ERR_IO;
    }
    struct stat st;
    int rc = 0;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        cx_set_err(err, err_len, "%s: cannot read: %s", who, strerror(EISDIR));
        rc = CX_ERR_IO;
        goto done;
    }
    if (regular_only && fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        cx_set_err(err, err_len, "%s: is not a regular file", who);
        rc = CX_ERR_CONFIG;
        goto done;
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > (size_t)MAX_TEXT) {
                cx_set_err(err, err_len, "%s: longer than %ld bytes", who, MAX_TEXT);
                rc = CX_ERR_CONFIG;
                goto done;
            }
            cap = cap ? 2 * cap : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) {
                cx_set_err(err, err_len, "%s: out of memory", who);
                rc = CX_ERR_NOMEM;
                goto done;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                cx_set_err(err, err_len, "%s: cannot read: %s", who, strerror(errno));
                rc = CX_ERR_IO;
                goto done;
            }
            break;
        }
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        cx_set_err(err, err_len, "%s: cannot read: the file holds NUL bytes (not a text file)",
                   who);
        rc = CX_ERR_CONFIG;
        goto done;
    }
done:
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

int scn_expand(source *s, const char *text, size_t len, int file, int depth, char *err,
               size_t err_len);

/*
 * The @include at text (a line start, in no comment or string) names `name`: reads it and
 * expands it in place. libconfig's rules: `@include "NAME"` alone at the start of a line;
 * a relative NAME is looked up in the scenario's folder (s->dir), at any depth.
 */
static int include_file(source *s, const char *name, int file, int line, int depth, char *err,
                        size_t err_len)
{
    char who[KEY_LEN + 64];
    snprintf(who, sizeof who, "%s:%d: @include \"%.*s\"", s->files[file], line, KEY_LEN, name);
    if (depth >= MAX_INCLUDE_DEPTH) {
        cx_set_err(err, err_len, "%s: included files nest more than %d deep (does a file include "
                "itself?)", who, MAX_INCLUDE_DEPTH);
        return CX_ERR_CONFIG;
    }
    if (!name[0]) {
        cx_set_err(err, err_len, "%s: the file name is empty", who);
        return CX_ERR_CONFIG;
    }
    size_t dl = name[0] != '/' && s->dir ? strlen(s->dir) : 0;
    char *path = malloc(dl + strlen(name) + 1);
    if (!path) {
        cx_set_err(err, err_len, "%s: out of memory", who);
        return CX_ERR_NOMEM;
    }
    memcpy(path, s->dir ? s->dir : "", dl);
    strcpy(path + dl, name);
    char *buf = NULL;
    size_t n = 0;
    int rc = scn_read_whole(path, true, who, &buf, &n, err, err_len);
    if (rc) {
        free(path);
        return rc == CX_ERR_NOMEM ? rc : CX_ERR_CONFIG;
    }
    char **files = realloc(s->files, (size_t)(s->n_files + 1) * sizeof *files);
    if (!files) {
        free(path);
        free(buf);
        cx_set_err(err, err_len, "%s: out of memory", who);
        return CX_ERR_NOMEM;
    }
    s->files = files;
    s->files[s->n_files++] = path;
    rc = scn_expand(s, buf, n, s->n_files - 1, depth + 1, err, err_len);
    free(buf);
    return rc;
}

/*
 * Copies text (file number `file`) into s, expanding @include lines, with libconfig's
 * lexical states: # and // comments to the end of the line, block comments, strings with
 * backslash escapes; an @include counts only at the start of a line outside all three.
 */
int scn_expand(source *s, const char *text, size_t len, int file, int depth, char *err,
               size_t err_len)
{
    enum { CODE, LINE_COMMENT, BLOCK_COMMENT, STRING } st = CODE;
    int line = 1, rc;
    size_t from = 0; /* start of what is still to copy */
    if ((rc = src_mark(s, file, 1)) != 0)
        return rc;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (st == CODE && (i == 0 || text[i - 1] == '\n')) {
            size_t j = i;
            while (j < len && (text[j] == ' ' || text[j] == '\t'))
                j++;
            if (len - j >= 8 && memcmp(text + j, "@include", 8) == 0 &&
                (text[j + 8] == ' ' || text[j + 8] == '\t')) {
                j += 8;
                while (j < len && (text[j] == ' ' || text[j] == '\t'))
                    j++;
                if (j < len && text[j] == '"') {
                    size_t a = ++j;
                    while (j < len && text[j] != '"' && text[j] != '\n' && text[j] != '\\')
                        j++;
                    if (j >= len || text[j] != '"')
                        return scn_src_fail(err, err_len, s->files[file], line,
                                            "@include: expected \"FILE\" on one line, without "
                                            "backslashes");
                    char name[KEY_LEN];
                    if (j - a >= sizeof name)
                        return scn_src_fail(err, err_len, s->files[file], line,
                                            "@include: the file name is longer than %d bytes",
                                            KEY_LEN - 1);
                    memcpy(name, text + a, j - a);
                    name[j - a] = '\0';
                    if ((rc = src_put(s, text + from, i - from, err, err_len)) != 0 ||
                        (rc = include_file(s, name, file, line, depth, err, err_len)) != 0)
                        return rc;
                    if (s->len > 0 && s->text[s->len - 1] != '\n' &&
                        (rc = src_put(s, "\n", 1, err, err_len)) != 0)
                        return rc;
                    /* the rest of the @include line is still this file's line */
                    if ((rc = src_mark(s, file, line)) != 0)
                        return rc;
                    from = i = j + 1;
                    continue;
                }
            }
        }
        switch (st) {
        case CODE:
            if (c == '#' || (c == '/' && i + 1 < len && text[i + 1] == '/'))
                st = LINE_COMMENT;
            else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
                st = BLOCK_COMMENT;
                i++;
            } else if (c == '"')
                st = STRING;
            break;
        case LINE_COMMENT:
            if (c == '\n')
                st = CODE;
            break;
        case BLOCK_COMMENT:
            if (c == '*' && i + 1 < len && text[i + 1] == '/') {
                st = CODE;
                i++;
            }
            break;
        case STRING:
            if (c == '\\' && i + 1 < len && text[i + 1] != '\n')
                i++;
            else if (c == '"')
                st = CODE;
            break;
        }
        line += text[i] == '\n';
        i++;
    }
    if (depth > 0 && (st == BLOCK_COMMENT || st == STRING))
        return scn_src_fail(err, err_len, s->files[file], line, "the file ends inside a %s",
                            st == STRING ? "string" : "comment");
    rc = src_put(s, text + from, len - from, err, err_len);
    if (rc == 0 && s->line > MAX_LINES)
        return scn_src_fail(
            err, err_len, s->files[0], 0,
            "more than %d lines, includes expanded (libconfig counts lines in 16 bits)", MAX_LINES);
    return rc;
}
