/* SPDX-License-Identifier: MIT */
/* Per-path export (issue 14): one CSV row per path, in path order, through the engine's observer. */
/*
 * The engine calls the observer's path hook on the thread that runs the block, path after
 * path in the block's order, and merge_block on one thread between rounds, in block order
 * (engine.h). So a block's rows are collected in its own slot of the round buffer (no lock,
 * nothing shared) and written when the block is merged: the file holds the paths in path
 * order for any thread count, and memory is one round of slots, never the whole run.
 * A block the engine did not finish (Ctrl-C) is never merged, so its paths are missing from
 * the file exactly as they are from the report.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "models/model.h"
#include "sim/base/csv.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/result/export.h"
#include "sim/result/output.h"

/* The head of a block's slot; the rows (width doubles each) follow it. */
typedef struct block_head {
    uint64_t b;
    int count;      /* paths seen in the block so far */
    int pad;
} block_head;

struct cx_export {
    cx_observer obs;
    int n_in;           /* uncertain inputs exported */
    int *in;            /* their indices */
    int n_m;            /* metrics exported: cx_metric_count of the scenario */
    int width;          /* doubles per row: n_in + n_m */
    int rows_per_block; /* min(CX_BLOCK_PATHS, max_rows) */
    uint64_t max_rows;
    uint64_t rows;
    char *path, *tmp;
    FILE *f;
    char *fbuf;
    int err;            /* errno of the first failed write, or 0 */
    atomic_int *stop;   /* set when a write fails (cx_export_stop_on_error) */
    bool failed, finished;
};

static void block_init(void *ctx, void *bstate, uint64_t b)
{
    (void)ctx;
    block_head *h = bstate;
    h->b = b;
    h->count = 0;
}

static void path(void *ctx, void *bstate, int tid, const double *x, const cx_path_result *res)
{
    (void)tid;
    const cx_export *e = ctx;
    block_head *h = bstate;
    int i = h->count++;
    if (i >= e->rows_per_block || h->b * CX_BLOCK_PATHS + (uint64_t)i >= e->max_rows)
        return;
    double *row = (double *)(h + 1) + (size_t)i * (size_t)e->width;
    for (int k = 0; k < e->n_in; k++)
        row[k] = x[e->in[k]];
    memcpy(row + e->n_in, res->metric, (size_t)e->n_m * sizeof *row);
}

static void merge_block(void *ctx, const void *bstate, uint64_t b)
{
    cx_export *e = ctx;
    const block_head *h = bstate;
    if (e->failed)
        return;
    const double *rows = (const double *)(h + 1);
    for (int i = 0; i < h->count && i < e->rows_per_block; i++) {
        uint64_t p = b * CX_BLOCK_PATHS + (uint64_t)i;
        if (p >= e->max_rows)
            break;
        const double *row = rows + (size_t)i * (size_t)e->width;
        fprintf(e->f, "%llu", (unsigned long long)p);
        for (int k = 0; k < e->width; k++)
            fprintf(e->f, ",%.17g", row[k]);
        if (putc('\n', e->f) == EOF || ferror(e->f)) {
            e->failed = true;
            e->err = errno;
            if (e->stop) atomic_store(e->stop, 1); /* stop the run now, not at its end */
            return;
        }
        e->rows++;
    }
}

int cx_export_new(cx_export **out, const cx_scenario *sc, const char *file, uint64_t max_rows)
{
    *out = NULL;
    cx_export *e = calloc(1, sizeof *e);
    if (!e)
        return CX_ERR_NOMEM;
    int rc = CX_ERR_NOMEM;
    e->in = malloc((size_t)(sc->n_inputs > 0 ? sc->n_inputs : 1) * sizeof *e->in);
    e->path = strdup(file);
    e->tmp = cx_file_tmp_template(file); /* short name in file's folder (issue 11) */
    e->fbuf = malloc(1 << 20);
    if (!e->in || !e->path || !e->tmp || !e->fbuf)
        goto fail;
    for (int i = 0; i < sc->n_inputs; i++)
        if (sc->inputs[i].uncertain)
            e->in[e->n_in++] = i;
    e->n_m = cx_metric_count(sc);
    e->width = e->n_in + e->n_m;
    e->max_rows = max_rows;
    e->rows_per_block = max_rows < CX_BLOCK_PATHS ? (int)max_rows : CX_BLOCK_PATHS;
    e->obs = (cx_observer){.ctx = e,
                           .block_bytes = sizeof(block_head) + (size_t)e->rows_per_block *
                                                                   (size_t)e->width * sizeof(double),
                           .block_init = block_init,
                           .path = path,
                           .merge_block = merge_block};
    /* same directory as the target, so rename() is atomic (one file system) */
    rc = CX_ERR_IO;
    int fd = cx_file_mkstemp(e->tmp);
    if (fd < 0) {
        e->tmp[0] = 0;
        goto fail;
    }
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(fd, 0666 & ~um); /* mkstemp makes 0600; give the file the usual mode */
    if (!(e->f = fdopen(fd, "w"))) {
        close(fd);
        goto fail;
    }
    setvbuf(e->f, e->fbuf, _IOFBF, 1 << 20);
    fputs("path", e->f);
    for (int k = 0; k < e->n_in; k++) {
        putc(',', e->f);
        cx_csv_text(e->f, sc->inputs[e->in[k]].name); /* names may hold , " = (issue 25) */
    }
    for (int k = 0; k < e->n_m; k++)
        fprintf(e->f, ",%s", cx_metric_names[k]);
    if (putc('\n', e->f) == EOF)
        goto fail;
    *out = e;
    return 0;
fail: {
    int en = errno;
    cx_export_free(e);
    errno = en;
    return rc;
}
}

const cx_observer *cx_export_observer(const cx_export *e)
{
    return &e->obs;
}

int cx_export_round_blocks(const cx_export *e, size_t bytes)
{
    size_t per = e->obs.block_bytes ? e->obs.block_bytes : 1;
    size_t n = bytes / per;
    if (n < CX_STOP_ROUND_MIN)
        n = CX_STOP_ROUND_MIN;
    if (n > CX_ROUND_BLOCKS)
        n = CX_ROUND_BLOCKS;
    return (int)n;
}

uint64_t cx_export_estimate_bytes(const cx_export *e, uint64_t paths)
{
    uint64_t rows = paths < e->max_rows ? paths : e->max_rows;
    return 4096 + rows * (8 + 17 * (uint64_t)e->width);
}

void cx_export_stop_on_error(cx_export *e, atomic_int *flag)
{
    e->stop = flag;
}

bool cx_export_failed(const cx_export *e, int *err)
{
    if (e->failed) *err = e->err;
    return e->failed;
}

uint64_t cx_export_rows(const cx_export *e)
{
    return e->rows;
}

/* "name.gz": the finished CSV is gzip-compressed (issue 22) before it takes the name. */
static bool gz_name(const char *path)
{
    size_t n = strlen(path);
    return n > 3 && !strcmp(path + n - 3, ".gz");
}

/* Replaces the CSV at tmp by its gzip compression, through a second temporary file beside
 * path. @return 0, or -1 with errno set (tmp is left as it was). */
static int gzip_in_place(const char *tmp, const char *path)
{
    char *gzt = cx_file_tmp_template(path), buf[1 << 16];
    int fd = gzt ? mkstemp(gzt) : -1, in = fd >= 0 ? open(tmp, O_RDONLY) : -1, ok = 0;
    gzFile gz = in >= 0 ? gzdopen(fd, "wb6") : NULL;
    if (gz) {
        ssize_t n;
        ok = 1;
        while (ok && (n = read(in, buf, sizeof buf)) > 0)
            ok = gzwrite(gz, buf, (unsigned)n) == (int)n;
        if (n < 0) ok = 0;
        ok = gzclose(gz) == Z_OK && ok;
    } else if (fd >= 0) {
        close(fd);
    }
    int en = errno ? errno : EIO;
    if (in >= 0) close(in);
    if (ok) {
        mode_t um = umask(0);
        umask(um);
        ok = chmod(gzt, 0666 & ~um) == 0 && rename(gzt, tmp) == 0;
        en = errno;
    }
    if (!ok && gzt && fd >= 0) unlink(gzt);
    free(gzt);
    errno = en;
    return ok ? 0 : -1;
}

int cx_export_finish(cx_export *e)
{
    if (!e->failed && (fflush(e->f) != 0 || ferror(e->f))) {
        e->failed = true;
        e->err = errno;
    }
    if (!e->failed && fsync(fileno(e->f)) != 0) {
        e->failed = true;
        e->err = errno;
    }
    int rc = fclose(e->f);
    e->f = NULL;
    if (!e->failed && rc != 0) {
        e->failed = true;
        e->err = errno;
    }
    if (!e->failed && gz_name(e->path) && gzip_in_place(e->tmp, e->path) != 0) {
        e->failed = true;
        e->err = errno;
    }
    if (!e->failed && !cx_file_replaceable(e->path)) { /* never onto a link or device */
        e->failed = true;
        e->err = EEXIST;
    }
    if (!e->failed && rename(e->tmp, e->path) != 0) {
        e->failed = true;
        e->err = errno;
    }
    if (e->failed) {
        errno = e->err;
        return CX_ERR_IO;
    }
    cx_file_tmp_forget(e->tmp);
    e->finished = true;
    return 0;
}

void cx_export_free(cx_export *e)
{
    if (!e)
        return;
    if (e->f)
        fclose(e->f);
    if (!e->finished && e->tmp && e->tmp[0]) {
        unlink(e->tmp);
        cx_file_tmp_forget(e->tmp);
    }
    free(e->fbuf);
    free(e->tmp);
    free(e->path);
    free(e->in);
    free(e);
}
