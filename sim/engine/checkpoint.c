/* SPDX-License-Identifier: MIT */
/* Checkpoint files: a run's state between rounds, written atomically, checked when read. */

/*
 * Layout (native byte order, recorded and checked; sim/base/serial.h):
 *   "CXCKPT\r\n", u32 format, u32 0x01020304, version string,
 *   identity (cx_ckpt_id, field by field),
 *   u32 runs ended, then for each: u64 length, engine state;
 *   u8 run in progress?, then u64 length, engine state;
 *   32 bytes: SHA-256 of everything before.
 * An engine state: u64 next_block, paths_done, blocks_done; u8 stopped; f64 elapsed_s; the
 * accumulator (cx_accum_serialise); u32 partial_n, and when it is not 0: u32 n_series, then
 * per block a u8 done and, for a done block, u32 paths and its n_series moments.
 * States are kept as bytes and read into an engine state only when a run begins; cx_ckpt_open
 * reads each once to check it, so a bad state is refused before any path runs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "sim/engine/accum.h"
#include "sim/engine/checkpoint.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/base/serial.h"

#define MAGIC "CXCKPT\r\n"
#define FORMAT 1u
#define BOM 0x01020304u
#define MAX_INCLUDE_DEPTH 10

typedef struct blob {
    unsigned char *p;
    size_t n;
} blob;

struct cx_ckpt {
    char *path;
    cx_ckpt_id id;
    int n_quarters, n_thresholds;
    double *thresholds;
    double alpha;
    blob *ended;          /* states of the runs that ended, by run index */
    int n_ended, cap_ended;
    blob cur;             /* the run in progress (p NULL: none) */
    int held;             /* runs the opened file held */
    int begun;            /* engine runs begun in this process */
    cx_engine_state st;   /* the state handed to the engine by begin */
    char err[512];
};

/* ---- identity ---- */

void cx_ckpt_id_clear(cx_ckpt_id *id)
{
    free(id->command);
    free(id->scenario);
    free(id->target);
    free(id->json);
    free(id->csv);
    memset(id, 0, sizeof *id);
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    return src && !(*dst = strdup(src)) ? CX_ERR_NOMEM : 0;
}

int cx_ckpt_id_copy(cx_ckpt_id *dst, const cx_ckpt_id *src)
{
    *dst = *src;
    dst->command = dst->scenario = dst->target = dst->json = dst->csv = NULL;
    if (dup_opt(&dst->command, src->command) || dup_opt(&dst->scenario, src->scenario) ||
        dup_opt(&dst->target, src->target) || dup_opt(&dst->json, src->json) ||
        dup_opt(&dst->csv, src->csv)) {
        cx_ckpt_id_clear(dst);
        return CX_ERR_NOMEM;
    }
    return 0;
}

static void put_opt(cx_wbuf *w, const char *s)
{
    cx_wbuf_u8(w, s != NULL);
    if (s) cx_wbuf_str(w, s);
}

static char *get_opt(cx_rbuf *r)
{
    uint8_t has = cx_rbuf_u8(r);
    if (has > 1) r->err = CX_ERR_RANGE;
    return has == 1 ? cx_rbuf_str(r) : NULL;
}

static void put_id(cx_wbuf *w, const cx_ckpt_id *id)
{
    cx_wbuf_str(w, id->command);
    put_opt(w, id->scenario);
    cx_wbuf_put(w, id->digest, sizeof id->digest);
    cx_wbuf_u64(w, id->seed);
    cx_wbuf_u64(w, id->paths);
    cx_wbuf_u32(w, id->sampling);
    cx_wbuf_u8(w, id->antithetic);
    put_opt(w, id->target);
    cx_wbuf_u32(w, id->round_blocks);
    put_opt(w, id->json);
    put_opt(w, id->csv);
    cx_wbuf_u8(w, id->quiet);
    cx_wbuf_f64(w, id->every_s);
}

static void get_id(cx_rbuf *r, cx_ckpt_id *id)
{
    memset(id, 0, sizeof *id);
    id->command = cx_rbuf_str(r);
    id->scenario = get_opt(r);
    cx_rbuf_get(r, id->digest, sizeof id->digest);
    id->seed = cx_rbuf_u64(r);
    id->paths = cx_rbuf_u64(r);
    id->sampling = cx_rbuf_u32(r);
    id->antithetic = cx_rbuf_u8(r) != 0;
    id->target = get_opt(r);
    id->round_blocks = cx_rbuf_u32(r);
    id->json = get_opt(r);
    id->csv = get_opt(r);
    id->quiet = cx_rbuf_u8(r) != 0;
    id->every_s = cx_rbuf_f64(r);
    if (!id->command || !(id->every_s >= 0)) r->err = r->err ? r->err : CX_ERR_RANGE;
}

/* ---- scenario digest ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Hashes the files named by the @include lines of text (libconfig resolves them against the
 * scenario's folder, dir), and theirs in turn. */
static int hash_includes(struct sha256_ctx *h, const char *text, const char *dir, int depth,
                         char *err, size_t err_len)
{
    if (depth > MAX_INCLUDE_DEPTH) {
        cx_set_err(err, err_len, "@include nested deeper than %d files", MAX_INCLUDE_DEPTH);
        return CX_ERR_IO;
    }
    for (const char *line = text; line && *line;) {
        const char *p = line;
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
        while (*p == ' ' || *p == '\t') p++;
        if (strncmp(p, "@include", 8) != 0) continue;
        p += 8;
        while (*p == ' ' || *p == '\t') p++;
        if (*p != '"') continue;
        const char *q = strchr(p + 1, '"');
        if (!q || (nl && q > nl)) continue;
        size_t nlen = (size_t)(q - p - 1);
        size_t plen = strlen(dir) + nlen + 1;
        char *name = malloc(plen);
        if (!name) return CX_ERR_NOMEM;
        snprintf(name, plen, "%s%.*s", p[1] == '/' ? "" : dir, (int)nlen, p + 1);
        size_t len = 0;
        char *body = read_file(name, &len);
        if (!body) {
            cx_set_err(err, err_len, "%s: cannot read: %s", name, strerror(errno));
            free(name);
            return CX_ERR_IO;
        }
        uint64_t l64 = len;
        /* the name as written, a NUL, the length and the bytes */
        sha256_update(h, nlen, (const uint8_t *)p + 1);
        sha256_update(h, 1, (const uint8_t *)"");
        sha256_update(h, sizeof l64, (const uint8_t *)&l64);
        sha256_update(h, len, (const uint8_t *)body);
        int rc = hash_includes(h, body, dir, depth + 1, err, err_len);
        free(body);
        free(name);
        if (rc < 0) return rc;
    }
    return 0;
}

int cx_ckpt_digest(const cx_scenario *sc, uint8_t out[32], char *err, size_t err_len)
{
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, sizeof "capexsim scenario", (const uint8_t *)"capexsim scenario");
    sha256_update(&h, 64, (const uint8_t *)sc->sha256);
    int rc = 0;
    if (sc->path && strcmp(sc->path, "<built-in>") != 0) {
        /* the built-in scenario includes nothing; a file is read again for its @includes */
        size_t len = 0;
        char *text = read_file(sc->path, &len);
        if (!text) {
            cx_set_err(err, err_len, "%s: cannot read: %s", sc->path, strerror(errno));
            return CX_ERR_IO;
        }
        const char *slash = strrchr(sc->path, '/');
        char *dir = strndup(sc->path, slash ? (size_t)(slash - sc->path) + 1 : 0);
        rc = dir ? hash_includes(&h, text, dir, 0, err, err_len) : CX_ERR_NOMEM;
        free(dir);
        free(text);
    }
    sha256_digest(&h, 32, out);
    return rc;
}

/* ---- engine states as bytes ---- */

static void put_state(cx_wbuf *w, const cx_engine_state *st)
{
    cx_wbuf_u64(w, st->next_block);
    cx_wbuf_u64(w, st->paths_done);
    cx_wbuf_u64(w, st->blocks_done);
    cx_wbuf_u8(w, st->stopped);
    cx_wbuf_f64(w, st->elapsed_s);
    cx_accum_serialise(st->accum, w);
    cx_wbuf_u32(w, (uint32_t)st->partial_n);
    if (st->partial_n == 0) return;
    cx_wbuf_u32(w, (uint32_t)st->n_series);
    cx_wbuf_u32(w, (uint32_t)st->vals_cap);
    const size_t vn = (size_t)CX_N_METRICS * (size_t)st->vals_cap;
    for (int j = 0; j < st->partial_n; j++) {
        cx_wbuf_u8(w, st->done[j]);
        if (!st->done[j]) continue;
        cx_wbuf_u32(w, (uint32_t)st->paths[j]);
        cx_moments_serialise(st->mom + (size_t)j * (size_t)st->n_series, st->n_series, w);
        if (!vn) continue;
        cx_wbuf_u8(w, st->vals_ok[j]);
        if (st->vals_ok[j]) cx_wbuf_put(w, st->vals + (size_t)j * vn, vn * sizeof *st->vals);
    }
}

static void state_clear(cx_engine_state *st)
{
    cx_accum_free(st->accum);
    free(st->done);
    free(st->paths);
    free(st->mom);
    free(st->vals_ok);
    free(st->vals);
    memset(st, 0, sizeof *st);
}

/* Reads a state into st (cleared first) with an accumulator of ck's shape. */
static int get_state(cx_ckpt *ck, const blob *b, cx_engine_state *st)
{
    state_clear(st);
    int rc = cx_accum_new(&st->accum, ck->n_quarters, ck->thresholds, ck->n_thresholds,
                          ck->alpha);
    if (rc < 0) return rc;
    cx_rbuf r;
    cx_rbuf_init(&r, b->p, b->n);
    st->next_block = cx_rbuf_u64(&r);
    st->paths_done = cx_rbuf_u64(&r);
    st->blocks_done = cx_rbuf_u64(&r);
    uint8_t stopped = cx_rbuf_u8(&r);
    st->stopped = stopped == 1;
    st->elapsed_s = cx_rbuf_f64(&r);
    if (stopped > 1 || !(st->elapsed_s >= 0) || cx_accum_deserialise(st->accum, &r) < 0)
        goto bad;
    uint32_t pn = cx_rbuf_u32(&r);
    if (pn > CX_MAX_ROUND_BLOCKS) goto bad;
    if (pn) {
        uint32_t ns = cx_rbuf_u32(&r);
        if (ns != (uint32_t)(CX_N_METRICS + CX_N_QSERIES * ck->n_quarters)) goto bad;
        uint32_t vcap = cx_rbuf_u32(&r);
        if (vcap != 0 && vcap != CX_BLOCK_PATHS) goto bad;
        const size_t vn = (size_t)CX_N_METRICS * vcap;
        st->partial_n = (int)pn;
        st->n_series = (int)ns;
        st->vals_cap = (int)vcap;
        st->done = calloc(pn, 1);
        st->paths = calloc(pn, sizeof *st->paths);
        st->mom = calloc((size_t)pn * ns, sizeof *st->mom);
        if (vn) {
            st->vals_ok = calloc(pn, 1);
            st->vals = calloc((size_t)pn * vn, sizeof *st->vals);
        }
        if (!st->done || !st->paths || !st->mom || (vn && (!st->vals_ok || !st->vals))) {
            state_clear(st);
            return CX_ERR_NOMEM;
        }
        for (uint32_t j = 0; j < pn && !r.err; j++) {
            st->done[j] = cx_rbuf_u8(&r);
            if (st->done[j] > 1) goto bad;
            if (!st->done[j]) continue;
            uint32_t np = cx_rbuf_u32(&r);
            if (np == 0 || np > CX_BLOCK_PATHS) goto bad;
            st->paths[j] = (int)np;
            if (cx_moments_deserialise(st->mom + (size_t)j * ns, (int)ns, &r) < 0) goto bad;
            if (!vn) continue;
            st->vals_ok[j] = cx_rbuf_u8(&r);
            if (st->vals_ok[j] > 1) goto bad;
            if (st->vals_ok[j]) cx_rbuf_get(&r, st->vals + (size_t)j * vn, vn * sizeof *st->vals);
        }
    }
    if (r.err || cx_rbuf_left(&r) != 0) goto bad;
    return 0;
bad:
    state_clear(st);
    return CX_ERR_CONFIG;
}

/* ---- the file ---- */

static void put_file(cx_wbuf *w, const cx_ckpt *ck)
{
    cx_wbuf_put(w, MAGIC, 8);
    cx_wbuf_u32(w, FORMAT);
    cx_wbuf_u32(w, BOM);
    cx_wbuf_str(w, CX_VERSION);
    put_id(w, &ck->id);
    cx_wbuf_u32(w, (uint32_t)ck->n_ended);
    for (int i = 0; i < ck->n_ended; i++) {
        cx_wbuf_u64(w, ck->ended[i].n);
        cx_wbuf_put(w, ck->ended[i].p, ck->ended[i].n);
    }
    cx_wbuf_u8(w, ck->cur.p != NULL);
    if (ck->cur.p) {
        cx_wbuf_u64(w, ck->cur.n);
        cx_wbuf_put(w, ck->cur.p, ck->cur.n);
    }
    uint8_t sum[32];
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, w->err ? 0 : w->n, w->p);
    sha256_digest(&h, sizeof sum, sum);
    cx_wbuf_put(w, sum, sizeof sum);
}

/*
 * Reads path whole and checks it (magic, checksum, format, byte order, version); on success
 * r is positioned after the version, over *data (the caller frees it).
 */
static int open_file(const char *path, unsigned char **data, cx_rbuf *r, char *err,
                     size_t err_len)
{
    size_t len = 0;
    char *buf = read_file(path, &len);
    *data = (unsigned char *)buf;
    if (!buf) {
        int e = errno;
        cx_set_err(err, err_len, "%s: cannot read the checkpoint: %s", path, strerror(e));
        errno = e;
        return CX_ERR_IO;
    }
    if (len < 8 || memcmp(buf, MAGIC, 8) != 0) {
        cx_set_err(err, err_len, "%s: not a capexsim checkpoint", path);
        return CX_ERR_CONFIG;
    }
    uint8_t sum[32];
    struct sha256_ctx h;
    sha256_init(&h);
    if (len >= 8 + 32) sha256_update(&h, len - 32, (const uint8_t *)buf);
    sha256_digest(&h, sizeof sum, sum);
    if (len < 8 + 32 || memcmp(sum, buf + len - 32, 32) != 0) {
        cx_set_err(err, err_len, "%s: damaged or truncated checkpoint (its SHA-256 does not match)",
                   path);
        return CX_ERR_CONFIG;
    }
    cx_rbuf_init(r, buf, len - 32);
    r->off = 8;
    uint32_t format = cx_rbuf_u32(r), bom = cx_rbuf_u32(r);
    if (format != FORMAT || bom != BOM) {
        cx_set_err(err, err_len, "%s: checkpoint format %u%s, this capexsim reads format %u",
                   path, (unsigned)format, bom != BOM ? " of another byte order" : "", FORMAT);
        return CX_ERR_CONFIG;
    }
    char *version = cx_rbuf_str(r);
    if (!version || strcmp(version, CX_VERSION) != 0) {
        cx_set_err(err, err_len, "%s: checkpoint written by capexsim %s; this is capexsim %s",
                   path, version ? version : "?", CX_VERSION);
        free(version);
        return CX_ERR_CONFIG;
    }
    free(version);
    return 0;
}

int cx_ckpt_read_id(const char *path, cx_ckpt_id *id, char *err, size_t err_len)
{
    unsigned char *data = NULL;
    cx_rbuf r;
    memset(id, 0, sizeof *id);
    int rc = open_file(path, &data, &r, err, err_len);
    if (rc == 0) {
        get_id(&r, id);
        if (r.err) {
            cx_set_err(err, err_len, "%s: damaged checkpoint (bad run identity)", path);
            cx_ckpt_id_clear(id);
            rc = CX_ERR_CONFIG;
        }
    }
    free(data);
    return rc;
}

void cx_ckpt_free(cx_ckpt *ck)
{
    if (!ck) return;
    for (int i = 0; i < ck->n_ended; i++) free(ck->ended[i].p);
    free(ck->ended);
    free(ck->cur.p);
    state_clear(&ck->st);
    cx_ckpt_id_clear(&ck->id);
    free(ck->thresholds);
    free(ck->path);
    free(ck);
}

static int take_blob(cx_rbuf *r, blob *b)
{
    uint64_t n = cx_rbuf_u64(r);
    if (r->err || n > cx_rbuf_left(r)) {
        r->err = CX_ERR_RANGE;
        return CX_ERR_CONFIG;
    }
    if (!(b->p = malloc(n ? n : 1))) return CX_ERR_NOMEM;
    b->n = n;
    cx_rbuf_get(r, b->p, n);
    return 0;
}

/* What differs between two identities, for the refusal message ("" when none does). */
static const char *id_differs(const cx_ckpt_id *a, const cx_ckpt_id *b)
{
    if (strcmp(a->command, b->command) != 0) return "the command";
    if ((a->scenario == NULL) != (b->scenario == NULL) ||
        (a->scenario && strcmp(a->scenario, b->scenario) != 0))
        return "the scenario file";
    if (memcmp(a->digest, b->digest, sizeof a->digest) != 0)
        return "the scenario's contents (SHA-256, included files too)";
    if (a->seed != b->seed) return "the seed";
    if (a->paths != b->paths) return "the number of paths";
    if (a->sampling != b->sampling || a->antithetic != b->antithetic) return "the sampling";
    if ((a->target == NULL) != (b->target == NULL) || (a->target && strcmp(a->target, b->target)))
        return "--target-ci";
    if (a->round_blocks != b->round_blocks) return "--round-blocks";
    return "";
}

int cx_ckpt_open(cx_ckpt **out, const char *path, const cx_ckpt_id *id, int n_quarters,
                 const double *thresholds, int n_thresholds, double alpha, char *err,
                 size_t err_len)
{
    *out = NULL;
    cx_ckpt *ck = calloc(1, sizeof *ck);
    if (!ck) return CX_ERR_NOMEM;
    int rc = CX_ERR_NOMEM;
    ck->n_quarters = n_quarters;
    ck->n_thresholds = n_thresholds;
    ck->alpha = alpha;
    if (!(ck->path = strdup(path)) ||
        !(ck->thresholds = calloc((size_t)n_thresholds + 1, sizeof *thresholds)) ||
        cx_ckpt_id_copy(&ck->id, id) < 0)
        goto fail;
    if (n_thresholds) memcpy(ck->thresholds, thresholds, (size_t)n_thresholds * sizeof *thresholds);

    unsigned char *data = NULL;
    cx_rbuf r;
    rc = open_file(path, &data, &r, err, err_len);
    if (rc == CX_ERR_IO && errno == ENOENT) {
        free(data);
        *out = ck; /* a new checkpoint */
        return 0;
    }
    if (rc == 0) {
        cx_ckpt_id held;
        get_id(&r, &held);
        const char *what = r.err ? NULL : id_differs(&held, id);
        if (!what) {
            cx_set_err(err, err_len, "%s: damaged checkpoint (bad run identity)", path);
            rc = CX_ERR_CONFIG;
        } else if (*what) {
            cx_set_err(err, err_len,
                       "%s: checkpoint of another run (%s differs); resume it with 'capexsim "
                       "resume %s', or remove it",
                       path, what, path);
            rc = CX_ERR_CONFIG;
        }
        cx_ckpt_id_clear(&held);
    }
    uint32_t n_ended = rc == 0 ? cx_rbuf_u32(&r) : 0;
    if (rc == 0 && (r.err || n_ended > cx_rbuf_left(&r) / 8)) rc = CX_ERR_CONFIG;
    if (rc == 0 && n_ended && !(ck->ended = calloc(n_ended, sizeof *ck->ended))) rc = CX_ERR_NOMEM;
    ck->cap_ended = (int)n_ended;
    for (uint32_t i = 0; rc == 0 && i < n_ended; i++) {
        rc = take_blob(&r, &ck->ended[i]);
        ck->n_ended += rc == 0;
    }
    if (rc == 0) {
        uint8_t has = cx_rbuf_u8(&r);
        if (has > 1) rc = CX_ERR_CONFIG;
        else if (has) rc = take_blob(&r, &ck->cur);
    }
    if (rc == 0 && (r.err || cx_rbuf_left(&r) != 0)) rc = CX_ERR_CONFIG;
    /* every state must read back into this run's accumulators */
    for (int i = 0; rc == 0 && i <= ck->n_ended; i++) {
        const blob *b = i < ck->n_ended ? &ck->ended[i] : ck->cur.p ? &ck->cur : NULL;
        if (b) rc = get_state(ck, b, &ck->st);
    }
    state_clear(&ck->st);
    free(data);
    if (rc == CX_ERR_CONFIG && !(err && err[0]))
        cx_set_err(err, err_len, "%s: damaged checkpoint (a run state does not read back)", path);
    if (rc < 0) goto fail;
    ck->held = ck->n_ended + (ck->cur.p != NULL);
    *out = ck;
    return 0;
fail:
    if (rc == CX_ERR_NOMEM) cx_set_err(err, err_len, "%s: out of memory", path);
    cx_ckpt_free(ck);
    return rc;
}

int cx_ckpt_runs_held(const cx_ckpt *ck)
{
    return ck->held;
}

const char *cx_ckpt_error(const cx_ckpt *ck)
{
    return ck->err;
}

/* ---- engine hooks ---- */

static int hook_begin(void *ctx, const cx_engine_state **resume)
{
    cx_ckpt *ck = ctx;
    int k = ck->begun++;
    *resume = NULL;
    state_clear(&ck->st);
    const blob *b = k < ck->n_ended ? &ck->ended[k] : k == ck->n_ended && ck->cur.p ? &ck->cur
                                                                                    : NULL;
    if (!b) return 0;
    int rc = get_state(ck, b, &ck->st);
    if (rc < 0) {
        snprintf(ck->err, sizeof ck->err, "%s: damaged checkpoint", ck->path);
        return rc;
    }
    *resume = &ck->st;
    return 0;
}

static int writer(FILE *f, const void *ctx)
{
    const cx_wbuf *w = ctx;
    return fwrite(w->p, 1, w->n, f) == w->n ? 0 : CX_ERR_IO;
}

/* The folder of path, fsync'ed so that the rename itself survives a crash. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

static int hook_save(void *ctx, const cx_engine_state *st, bool final)
{
    cx_ckpt *ck = ctx;
    const int k = ck->begun - 1;
    cx_wbuf s = {0}, f = {0};
    put_state(&s, st);
    int rc = s.err;
    if (rc == 0 && k > ck->n_ended) rc = CX_ERR_INTERNAL; /* runs begin in order */
    if (rc == 0) {
        blob b = {s.p, s.n};
        s.p = NULL;
        if (final && st->partial_n == 0) {
            /* the run ended: keep its state (replace it when it was resumed from there) */
            if (k == ck->n_ended) {
                if (ck->n_ended == ck->cap_ended) {
                    int cap = ck->cap_ended ? 2 * ck->cap_ended : 8;
                    blob *nb = realloc(ck->ended, (size_t)cap * sizeof *nb);
                    if (!nb) rc = CX_ERR_NOMEM;
                    else {
                        ck->ended = nb;
                        ck->cap_ended = cap;
                    }
                }
                if (rc == 0) {
                    ck->ended[ck->n_ended++] = b;
                    free(ck->cur.p);
                    ck->cur.p = NULL;
                    ck->cur.n = 0;
                }
            } else {
                free(ck->ended[k].p);
                ck->ended[k] = b;
            }
            if (rc < 0) free(b.p);
        } else {
            free(ck->cur.p);
            ck->cur = b;
        }
    }
    if (rc == 0) {
        put_file(&f, ck);
        rc = f.err;
    }
    if (rc == 0 && (rc = cx_file_write_atomic(ck->path, writer, &f)) < 0)
        snprintf(ck->err, sizeof ck->err, "%s: cannot write the checkpoint: %s", ck->path,
                 strerror(errno));
    else if (rc == 0)
        sync_dir(ck->path);
    else
        snprintf(ck->err, sizeof ck->err, "%s: %s", ck->path, cx_strerror(rc));
    cx_wbuf_clear(&s);
    cx_wbuf_clear(&f);
    return rc;
}

void cx_ckpt_hooks(cx_ckpt *ck, cx_engine_ckpt *hooks)
{
    hooks->ctx = ck;
    hooks->every_s = ck->id.every_s;
    hooks->begin = hook_begin;
    hooks->save = hook_save;
}
