/* SPDX-License-Identifier: MIT */
/* Checkpoint files: a run's state between rounds, written atomically, checked when read. */

/*
 * Layout (native byte order, recorded and checked; sim/base/serial.h):
 *   "CXCKPT\r\n", u32 format, u32 0x01020304, version string,
 *   identity (cx_ckpt_id, field by field),
 *   u32 runs ended, then for each: u64 length, engine state;
 *   u8 run in progress?, then u64 length, engine state;
 *   32 bytes: SHA-256 of everything before.
 * An engine state: u8 command (0 run, 1 sweep, 3 stress: `commands` below); u64 next_block,
 * paths_done, blocks_done; u8 stopped; f64 elapsed_s; the accumulator (cx_accum_serialise);
 * u32 partial_n, and when it is not 0: u32 n_series, u32 vals_cap, then per block a u8 done
 * and, for a done block, u32 paths, its n_series moments and (vals_cap > 0) its kept values;
 * then (format 4) the observer part: u64 block bytes (0: no observer) and with one, u64
 * length, its merged state, and the done blocks' states of the round in progress.
 * A study with a driver of its own (tornado, sobol, shapley: issue 23) holds no run ended and
 * one state in progress: u8 command (2, 4, 5), then the study's own bytes, which it checks
 * itself (sim/study/tornado.c, sobol_design.c, shapley_design.c).
 * States are kept as bytes and read into an engine state only when a run begins; cx_ckpt_open
 * reads each once to check it, so a bad state is refused before any path runs.
 *
 * A checkpoint is untrusted input (issue 25): anyone can edit one and recompute its SHA-256,
 * which only tells damage from a whole file. So the reader trusts nothing it reads:
 * - only a regular file is read (opened with O_NONBLOCK, checked by fstat before any read:
 *   a FIFO, device or folder is refused without blocking), and no more bytes than a
 *   checkpoint of this run can hold (state_bytes_max, from the scenario's shape and the
 *   command's runs), so /dev/zero or a huge sparse file cost nothing;
 * - every identity field is held to the command line's limits (check_id), every state field
 *   to what the engine could have written for this run (check_state): block and path
 *   counters against each other, against the paths requested and against the counts in the
 *   accumulators, the round in progress against the round schedule, the command against the
 *   command that wrote the states and against the runs the scenario's study makes;
 * - a refusal is one line naming the file and the field (CX_ERR_CONFIG: exit 2), and
 *   happens in cx_ckpt_open, before any path runs, so the engine never sees a state it
 *   would reject itself.
 * A process that opens a checkpoint holds an advisory lock (flock) on PATH.lock, which holds
 * its pid, until cx_ckpt_free: a second process on the same checkpoint is refused at once,
 * naming that pid, instead of both saving and the later one winning.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "sim/engine/accum.h"
#include "sim/engine/checkpoint.h"
#include "sim/engine/mpi.h"
#include "sim/base/error.h"
#include "sim/base/files.h"
#include "sim/base/serial.h"

#define MAGIC "CXCKPT\r\n"
/* 2: each state says which command wrote it (issue 25); 3: the scalar inputs draw from
 * streams keyed by name (issue 23 item 8), so a state of format 2 holds blocks of another
 * draw order and must not be resumed by this one, and a run's accumulator carries the
 * outcome breakdown (issue 20 item 3); 4: the studies (issue 23 item 6): the study's
 * options in the identity, a command byte for each study, an engine state's observer part */
#define FORMAT 4u
#define BOM 0x01020304u
#define MAX_INCLUDE_DEPTH 10
/* the most bytes of the header and identity (five strings of at most ID_STR_MAX bytes) */
#define ID_STR_MAX 4096u
#define ID_BYTES_MAX (64u * 1024u)
/* the command line's limits (sim/cli: --paths, --checkpoint-every) */
#define PATHS_MAX (UINT64_MAX / 128)
#define EVERY_S_MAX 1e9

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
    cx_bd_shape bd;       /* the outcome breakdown the runs keep (n_out 0: none) */
    double rep_q[CX_REP_MAX_Q]; /* the replicate levels the run keeps (n_rep_q of them) */
    int n_rep_q;
    /* batch (issue 23): run k's shape, put into the fields above by select_shape before its
     * state is read (n_shapes 0: one shape, the fields above, for every run) */
    cx_ckpt_shape *shapes;
    double *shape_thr;    /* the shapes' thresholds, owned */
    int n_shapes;
    blob *ended;          /* states of the runs that ended, by run index */
    int n_ended, cap_ended;
    blob cur;             /* the run in progress (p NULL: none) */
    int held;             /* runs the opened file held */
    int begun;            /* engine runs begun in this process */
    cx_engine_state st;   /* the state handed to the engine by begin */
    uint64_t n_runs;      /* engine runs the command makes (a sweep's points) */
    size_t obs_block, obs_max; /* the runs' observer: block state bytes, most state bytes */
    int lock_fd;          /* flock'ed PATH.lock (-1: none) */
    char *lock_path;
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
    free(id->study);
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
    dst->command = dst->scenario = dst->target = dst->json = dst->csv = dst->study = NULL;
    if (dup_opt(&dst->command, src->command) || dup_opt(&dst->scenario, src->scenario) ||
        dup_opt(&dst->target, src->target) || dup_opt(&dst->json, src->json) ||
        dup_opt(&dst->csv, src->csv) || dup_opt(&dst->study, src->study)) {
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
    put_opt(w, id->study);
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
    uint8_t anti = cx_rbuf_u8(r);
    id->antithetic = anti != 0;
    id->target = get_opt(r);
    id->round_blocks = cx_rbuf_u32(r);
    id->json = get_opt(r);
    id->csv = get_opt(r);
    uint8_t quiet = cx_rbuf_u8(r);
    id->quiet = quiet != 0;
    id->every_s = cx_rbuf_f64(r);
    id->study = get_opt(r);
    /* flags are 0 or 1: anything else is not what a capexsim wrote */
    if (!id->command || anti > 1 || quiet > 1) r->err = r->err ? r->err : CX_ERR_RANGE;
}

/* The commands that write checkpoints, by the command byte of their states: run and sweep
 * hold engine states, the studies (issue 23) their own (cx_ckpt_open_study). */
static const char *const commands[] = {"run",   "sweep",   "tornado", "stress",
                                       "sobol", "shapley", "batch"};
#define N_COMMANDS ((int)(sizeof commands / sizeof *commands))

/* The command byte of command (-1: none). */
static int command_kind(const char *command)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(command, commands[i]) == 0) return i;
    return -1;
}

bool cx_ckpt_is_study(const char *command)
{
    return strcmp(command, "tornado") == 0 || strcmp(command, "sobol") == 0 ||
           strcmp(command, "shapley") == 0;
}

/* Whether command's identity holds options of its own (id->study): the studies, stress (its
 * case) and batch (its other scenarios), whose states are engine states. */
static bool has_study_options(const char *command)
{
    return cx_ckpt_is_study(command) || strcmp(command, "stress") == 0 ||
           strcmp(command, "batch") == 0;
}

static bool str_ok(const char *s, size_t max)
{
    return !s || strlen(s) <= max;
}

/*
 * The identity's fields within the command line's limits (run and sweep: --paths,
 * --round-blocks, --sampling, --checkpoint-every; names of files at most ID_STR_MAX bytes).
 * @return NULL, or the field that is out of range, with what was expected in why.
 */
static const char *check_id(const cx_ckpt_id *id, char *why, size_t why_len)
{
    if (command_kind(id->command) < 0) {
        cx_set_err(why, why_len, "'%.64s', expected run, sweep, tornado, stress, sobol, shapley or batch", id->command);
        return "command";
    }
    if ((id->study != NULL) != has_study_options(id->command)) {
        cx_set_err(why, why_len, "%s, for a %s", id->study ? "set" : "missing", id->command);
        return "study options";
    }
    if (id->paths < 1 || id->paths > PATHS_MAX) {
        cx_set_err(why, why_len, "%llu, expected 1 to %llu", (unsigned long long)id->paths,
                   (unsigned long long)PATHS_MAX);
        return "paths";
    }
    if (id->sampling > 2) {
        cx_set_err(why, why_len, "%u, expected 0 (mc), 1 (lhs) or 2 (sobol)",
                   (unsigned)id->sampling);
        return "sampling";
    }
    if (id->round_blocks > CX_MAX_ROUND_BLOCKS) {
        cx_set_err(why, why_len, "%u, expected 0 (the default) to %d",
                   (unsigned)id->round_blocks, CX_MAX_ROUND_BLOCKS);
        return "round_blocks";
    }
    if (!(id->every_s >= 0 && id->every_s <= EVERY_S_MAX)) {
        cx_set_err(why, why_len, "%g, expected 0 to %g seconds", id->every_s, EVERY_S_MAX);
        return "checkpoint_every";
    }
    static const char *const names[] = {"scenario", "target", "json", "csv", "study options"};
    const char *const strs[] = {id->scenario, id->target, id->json, id->csv, id->study};
    for (int i = 0; i < 5; i++)
        if (!str_ok(strs[i], ID_STR_MAX)) {
            cx_set_err(why, why_len, "longer than %u bytes", ID_STR_MAX);
            return names[i];
        }
    return NULL;
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

/* A state's observer part (format 4, issue 23): u64 block bytes (0: none), then u64 length
 * and the merged state, then the done blocks' states of the round in progress. */
static void put_obs(cx_wbuf *w, const cx_engine_state *st)
{
    cx_wbuf_u64(w, st->obs_block);
    if (!st->obs_block) return;
    cx_wbuf_u64(w, st->obs_n);
    cx_wbuf_put(w, st->obs, st->obs_n);
    for (int j = 0; j < st->partial_n; j++)
        if (st->done[j]) cx_wbuf_put(w, st->obs_blocks + (size_t)j * st->obs_block, st->obs_block);
}

static void put_state(cx_wbuf *w, uint8_t kind, const cx_engine_state *st)
{
    cx_wbuf_u8(w, kind);
    cx_wbuf_u64(w, st->next_block);
    cx_wbuf_u64(w, st->paths_done);
    cx_wbuf_u64(w, st->blocks_done);
    cx_wbuf_u8(w, st->stopped);
    cx_wbuf_f64(w, st->elapsed_s);
    cx_accum_serialise(st->accum, w);
    cx_wbuf_u32(w, (uint32_t)st->partial_n);
    if (st->partial_n == 0) {
        put_obs(w, st);
        return;
    }
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
    put_obs(w, st);
}


static void state_clear(cx_engine_state *st)
{
    cx_accum_free(st->accum);
    free(st->done);
    free(st->paths);
    free(st->mom);
    free(st->vals_ok);
    free(st->vals);
    free(st->obs);
    free(st->obs_blocks);
    memset(st, 0, sizeof *st);
}

/* Blocks of the run, and the paths of block b (the last may be short). */
static uint64_t run_blocks(uint64_t paths)
{
    return paths / CX_BLOCK_PATHS + (paths % CX_BLOCK_PATHS != 0);
}

static uint64_t block_paths(uint64_t paths, uint64_t b)
{
    uint64_t left = paths - b * CX_BLOCK_PATHS;
    return left < CX_BLOCK_PATHS ? left : CX_BLOCK_PATHS;
}

/* The blocks of the round that starts after `done` blocks: the engine's round_size (engine.h,
 * the stop schedule) for this run's --round-blocks and --target-ci. */
static uint64_t round_blocks_at(const cx_ckpt_id *id, uint64_t done)
{
    if (id->round_blocks > 0) return id->round_blocks;
    if (!id->target) return CX_ROUND_BLOCKS;
    uint64_t r = done / CX_STOP_ROUND_DIV;
    return r < CX_STOP_ROUND_MIN ? CX_STOP_ROUND_MIN : r > CX_ROUND_BLOCKS ? CX_ROUND_BLOCKS : r;
}

/* Whether the run keeps replicate statistics (and so the values of a round's done blocks):
 * with LHS, Sobol or antithetic inputs (sim/cli/cli_sens.c, sim/study/sens.c). */
static bool has_replicates(const cx_ckpt_id *id)
{
    return id->sampling != 0 || id->antithetic;
}

/*
 * Whether a state that read back is one this run's engine could have saved: its counters
 * agree with each other, with the paths requested, with the round schedule and with the
 * counts in its accumulators, and an ended run is finished. @return NULL, or the field that
 * does not agree, with the detail in why.
 */
static const char *check_state(const cx_ckpt *ck, const cx_engine_state *st, bool ended,
                               char *why, size_t why_len)
{
    const uint64_t paths = ck->id.paths, nblocks = run_blocks(paths);
    if (st->next_block > nblocks) {
        cx_set_err(why, why_len, "%llu, the run has %llu blocks",
                   (unsigned long long)st->next_block, (unsigned long long)nblocks);
        return "next_block";
    }
    if (st->blocks_done != st->next_block) {
        cx_set_err(why, why_len, "%llu, next_block is %llu", (unsigned long long)st->blocks_done,
                   (unsigned long long)st->next_block);
        return "blocks_done";
    }
    const uint64_t folded = st->next_block == nblocks ? paths : st->next_block * CX_BLOCK_PATHS;
    if (st->paths_done != folded) {
        cx_set_err(why, why_len, "%llu, its %llu blocks hold %llu of the %llu paths requested",
                   (unsigned long long)st->paths_done, (unsigned long long)st->next_block,
                   (unsigned long long)folded, (unsigned long long)paths);
        return "paths_done";
    }
    if (st->stopped && !ck->id.target) {
        cx_set_err(why, why_len, "set, but the run has no --target-ci");
        return "stopped";
    }
    if (!(st->elapsed_s >= 0 && st->elapsed_s < 1e12)) {
        cx_set_err(why, why_len, "%g seconds", st->elapsed_s);
        return "elapsed_s";
    }
    if (ended && st->next_block < nblocks && !st->stopped) {
        cx_set_err(why, why_len, "a run that ended at block %llu of %llu",
                   (unsigned long long)st->next_block, (unsigned long long)nblocks);
        return "runs ended";
    }
    /* the round in progress: as many blocks as the schedule gives it, done ones whole */
    uint64_t partial_paths = 0;
    if (st->partial_n) {
        uint64_t rs = round_blocks_at(&ck->id, st->next_block);
        uint64_t rn = nblocks - st->next_block < rs ? nblocks - st->next_block : rs;
        if (ended || st->stopped || (uint64_t)st->partial_n != rn) {
            cx_set_err(why, why_len, "%d blocks, the round at block %llu has %llu%s",
                       st->partial_n, (unsigned long long)st->next_block,
                       (unsigned long long)(ended || st->stopped ? 0 : rn),
                       ended ? " (the run ended)" : st->stopped ? " (the run stopped)" : "");
            return "partial_n";
        }
        for (int j = 0; j < st->partial_n; j++) {
            if (!st->done[j]) continue;
            uint64_t bp = block_paths(paths, st->next_block + (uint64_t)j);
            const cx_moments *m = st->mom + (size_t)j * (size_t)st->n_series;
            bool counts = true;
            for (int i = 0; i < st->n_series; i++) counts &= m[i].n == bp;
            if ((uint64_t)st->paths[j] != bp || !counts) {
                cx_set_err(why, why_len, "block %llu holds %d paths (moments: %llu), it has %llu",
                           (unsigned long long)(st->next_block + (uint64_t)j), st->paths[j],
                           (unsigned long long)m[0].n, (unsigned long long)bp);
                return "partial block paths";
            }
            partial_paths += bp;
        }
    }
    /* the accumulators: moments of the folded blocks, integer state of every block done */
    const cx_accum *a = st->accum;
    for (int i = 0; i < CX_N_METRICS + CX_N_QSERIES * a->n_quarters; i++) {
        const cx_moments *m = i < CX_N_METRICS ? &a->mom_metric[i]
                                               : &a->mom_quarter[i - CX_N_METRICS];
        if (m->n != st->paths_done) {
            cx_set_err(why, why_len, "series %d counts %llu paths, paths_done is %llu", i,
                       (unsigned long long)m->n, (unsigned long long)st->paths_done);
            return "accumulator moments";
        }
    }
    if (!cx_breakdown_has_shape(a->bd, &ck->bd)) {
        cx_set_err(why, why_len, "%d outcomes, the run breaks down %d",
                   a->bd ? a->bd->n_out : 0, ck->bd.n_out);
        return "outcome breakdown";
    }
    if (a->paths != st->paths_done + partial_paths) {
        cx_set_err(why, why_len, "%llu paths, the blocks done hold %llu",
                   (unsigned long long)a->paths,
                   (unsigned long long)(st->paths_done + partial_paths));
        return "accumulator paths";
    }
    if ((a->n_rq > 0) != (ck->n_rep_q > 0) ||
        (a->n_rq > 0 && a->rep_blocks != st->next_block)) {
        cx_set_err(why, why_len, "%s, for %llu blocks folded", a->n_rq ? "kept" : "not kept",
                   (unsigned long long)st->next_block);
        return "replicate statistics";
    }
    return NULL;
}

/* Reads a state's observer part (put_obs) into st: the block size must be the runs'
 * observer's and the merged state within its bound (its contents are the observer's to check,
 * when the run begins). @return 0, CX_ERR_CONFIG (*field set), CX_ERR_NOMEM. */
static int get_obs(const cx_ckpt *ck, cx_rbuf *r, cx_engine_state *st, const char **field)
{
    *field = "observer state";
    uint64_t ob = cx_rbuf_u64(r);
    if (r->err || ob != ck->obs_block) return CX_ERR_CONFIG;
    if (!ob) return 0;
    uint64_t n = cx_rbuf_u64(r);
    if (r->err || n > ck->obs_max || n > cx_rbuf_left(r)) return CX_ERR_CONFIG;
    st->obs_block = ob;
    st->obs_n = n;
    size_t nd = 0;
    for (int j = 0; j < st->partial_n; j++) nd += st->done[j];
    if (!(st->obs = malloc(n ? n : 1)) || !(st->obs_blocks = calloc(st->partial_n ? (size_t)st->partial_n : 1, ob)))
        return CX_ERR_NOMEM;
    cx_rbuf_get(r, st->obs, n);
    if (nd > cx_rbuf_left(r) / ob) return CX_ERR_CONFIG;
    for (int j = 0; j < st->partial_n; j++)
        if (st->done[j]) cx_rbuf_get(r, st->obs_blocks + (size_t)j * ob, ob);
    return r->err ? CX_ERR_CONFIG : 0;
}

/*
 * Peeks at the accumulator's replicate statistics (cx_accum_serialise: u32 quarters, u32
 * thresholds, f64 alpha, the thresholds, u32 levels, the levels, u32 batch size), so that
 * levels other than the run's (which the engine would refuse only as it resumes, "argument
 * out of range", exit 1) or a damaged batch size (which cx_accum_deserialise would allocate)
 * are refused here. @return NULL, or the field that is wrong, with the detail in why.
 */
static const char *check_replicates(const cx_ckpt *ck, cx_rbuf r, char *why, size_t why_len)
{
    cx_rbuf_u32(&r);
    uint32_t nt = cx_rbuf_u32(&r);
    cx_rbuf_f64(&r);
    if (r.err || nt > cx_rbuf_left(&r) / 8) return "accumulators";
    r.off += (size_t)nt * 8;
    uint32_t n_rq = cx_rbuf_u32(&r);
    if (r.err) return "accumulators";
    if (n_rq != (uint32_t)ck->n_rep_q) {
        cx_set_err(why, why_len, "%u levels, this run keeps %d", (unsigned)n_rq, ck->n_rep_q);
        return "replicate levels";
    }
    for (uint32_t j = 0; j < n_rq; j++) {
        double q = cx_rbuf_f64(&r);
        if (!r.err && memcmp(&q, &ck->rep_q[j], sizeof q) != 0) {
            cx_set_err(why, why_len, "level %u is %.17g, this run keeps %.17g", (unsigned)j + 1,
                       q, ck->rep_q[j]);
            return "replicate levels";
        }
    }
    if (n_rq == 0) return NULL;
    uint32_t cap = cx_rbuf_u32(&r);
    if (r.err || cap != CX_REP_BATCH_BLOCKS * CX_BLOCK_PATHS) {
        cx_set_err(why, why_len, "%u values, expected %d", (unsigned)cap,
                   CX_REP_BATCH_BLOCKS * CX_BLOCK_PATHS);
        return "replicate batch size";
    }
    return NULL;
}

/*
 * Reads run k's state (ended or in progress) into st (cleared first) with an accumulator of
 * ck's shape, and checks it (check_state). @return 0; CX_ERR_CONFIG with one line naming
 * ck's file, the run and the field in err (st then cleared); CX_ERR_NOMEM.
 */
static int get_state(cx_ckpt *ck, int k, const blob *b, cx_engine_state *st, char *err,
                     size_t err_len)
{
    state_clear(st);
    int rc = cx_accum_new(&st->accum, ck->n_quarters, ck->thresholds, ck->n_thresholds,
                          ck->alpha);
    if (rc < 0) return rc;
    const bool ended = k < ck->n_ended;
    const char *field = NULL;
    char why[256] = "not as written";
    cx_rbuf r;
    cx_rbuf_init(&r, b->p, b->n);
    uint8_t kind = cx_rbuf_u8(&r);
    if (!r.err && (int)kind != command_kind(ck->id.command)) {
        cx_set_err(why, sizeof why, "%s, but its run states are a %s's", ck->id.command,
                   kind < N_COMMANDS ? commands[kind] : "unknown command");
        field = "command";
        goto bad;
    }
    st->next_block = cx_rbuf_u64(&r);
    st->paths_done = cx_rbuf_u64(&r);
    st->blocks_done = cx_rbuf_u64(&r);
    uint8_t stopped = cx_rbuf_u8(&r);
    st->stopped = stopped == 1;
    st->elapsed_s = cx_rbuf_f64(&r);
    if (stopped > 1) {
        field = "stopped";
        goto bad;
    }
    if ((field = check_replicates(ck, r, why, sizeof why)) != NULL) goto bad;
    if (cx_accum_deserialise(st->accum, &r) < 0) {
        field = "accumulators";
        goto bad;
    }
    uint32_t pn = cx_rbuf_u32(&r);
    field = "round in progress";
    if (pn > CX_MAX_ROUND_BLOCKS) goto bad;
    if (pn) {
        uint32_t ns = cx_rbuf_u32(&r);
        if (ns != (uint32_t)(CX_N_METRICS + CX_N_QSERIES * ck->n_quarters)) goto bad;
        uint32_t vcap = cx_rbuf_u32(&r);
        if (vcap != (ck->n_rep_q > 0 ? CX_BLOCK_PATHS : 0)) goto bad;
        const size_t vn = (size_t)CX_N_METRICS * vcap;
        /* every block costs at least a byte: a count beyond the bytes left is damage */
        if (r.err || pn > cx_rbuf_left(&r)) goto bad;
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
    if (!r.err && (rc = get_obs(ck, &r, st, &field)) < 0) {
        if (rc == CX_ERR_NOMEM) {
            state_clear(st);
            return rc;
        }
        goto bad;
    }
    if (r.err || cx_rbuf_left(&r) != 0) {
        field = "state length";
        cx_set_err(why, sizeof why, "%zu bytes, not what its fields take", b->n);
        goto bad;
    }
    if ((field = check_state(ck, st, ended, why, sizeof why)) != NULL) goto bad;
    return 0;
bad:
    cx_set_err(err, err_len, "%s: damaged checkpoint (%s %d, %s: %s)", ck->path,
               ended ? "ended run" : "run in progress", k + 1, field, why);
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
 * Reads at most max bytes of the regular file at path into *data (*len bytes; the caller
 * frees it). *whole says whether that is the whole file. Nothing else is opened for reading:
 * the open does not block (O_NONBLOCK: a FIFO with no writer), and fstat refuses a FIFO,
 * device or folder before any read. @return 0; CX_ERR_IO (errno says why: ENOENT when there
 * is no such file) or CX_ERR_CONFIG (not a regular file), with a message in err.
 */
static int load_file(const char *path, size_t max, unsigned char **data, size_t *len,
                     bool *whole, char *err, size_t err_len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        cx_set_err(err, err_len, "%s: cannot read the checkpoint: %s", path, strerror(e));
        errno = e;
        return CX_ERR_IO;
    }
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        cx_set_err(err, err_len, "%s: cannot read the checkpoint: %s", path, strerror(e));
        close(fd);
        errno = e;
        return CX_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        cx_set_err(err, err_len, "%s: not a checkpoint (not a regular file but a %s)", path,
                   S_ISDIR(sb.st_mode) ? "folder" : S_ISFIFO(sb.st_mode) ? "FIFO"
                   : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)          ? "device"
                   : S_ISSOCK(sb.st_mode)                                ? "socket"
                                                                         : "special file");
        close(fd);
        return CX_ERR_CONFIG;
    }
    const size_t size = sb.st_size < 0 ? 0 : (uint64_t)sb.st_size > max ? max : (size_t)sb.st_size;
    *whole = (uint64_t)sb.st_size <= max;
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        cx_set_err(err, err_len, "%s: out of memory", path);
        return CX_ERR_NOMEM;
    }
    size_t n = 0;
    while (n < size) {
        ssize_t got = read(fd, buf + n, size - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            cx_set_err(err, err_len, "%s: cannot read the checkpoint: %s", path, strerror(e));
            free(buf);
            close(fd);
            errno = e;
            return CX_ERR_IO;
        }
        if (got == 0) break; /* it shrank: what was read is checked as it is */
        n += (size_t)got;
    }
    close(fd);
    *data = buf;
    *len = n;
    return rc;
}

/* The header up to and with the version: magic, format, byte order, version. On success r is
 * positioned after the version. */
static int check_header(const char *path, cx_rbuf *r, char *err, size_t err_len)
{
    if (r->n < 8 || memcmp(r->p, MAGIC, 8) != 0) {
        cx_set_err(err, err_len, "%s: not a capexsim checkpoint", path);
        return CX_ERR_CONFIG;
    }
    r->off = 8;
    uint32_t format = cx_rbuf_u32(r), bom = cx_rbuf_u32(r);
    if (r->err || format != FORMAT || bom != BOM) {
        cx_set_err(err, err_len, "%s: checkpoint format %u%s, this capexsim reads format %u",
                   path, (unsigned)format, bom != BOM ? " of another byte order" : "", FORMAT);
        return CX_ERR_CONFIG;
    }
    char *version = cx_rbuf_str(r);
    if (!version || strcmp(version, CX_VERSION) != 0) {
        cx_set_err(err, err_len, "%s: checkpoint written by capexsim %.64s; this is capexsim %s",
                   path, version ? version : "?", CX_VERSION);
        free(version);
        return CX_ERR_CONFIG;
    }
    free(version);
    return 0;
}

/*
 * Reads path whole, at most max bytes (more is refused unread), and checks it (magic,
 * checksum, format, byte order, version); on success r is positioned after the version, over
 * *data (the caller frees it).
 */
static int open_file(const char *path, size_t max, unsigned char **data, cx_rbuf *r,
                     char *err, size_t err_len)
{
    size_t len = 0;
    bool whole = false;
    int rc = load_file(path, max, data, &len, &whole, err, err_len);
    if (rc < 0) return rc;
    const unsigned char *buf = *data;
    if (len < 8 || memcmp(buf, MAGIC, 8) != 0) {
        cx_set_err(err, err_len, "%s: not a capexsim checkpoint", path);
        return CX_ERR_CONFIG;
    }
    if (!whole) {
        cx_set_err(err, err_len,
                   "%s: damaged checkpoint (file size: more than the %zu bytes a checkpoint of "
                   "this run can hold)",
                   path, max);
        return CX_ERR_CONFIG;
    }
    uint8_t sum[32];
    struct sha256_ctx h;
    sha256_init(&h);
    if (len >= 8 + 32) sha256_update(&h, len - 32, buf);
    sha256_digest(&h, sizeof sum, sum);
    if (len < 8 + 32 || memcmp(sum, buf + len - 32, 32) != 0) {
        cx_set_err(err, err_len, "%s: damaged or truncated checkpoint (its SHA-256 does not match)",
                   path);
        return CX_ERR_CONFIG;
    }
    cx_rbuf_init(r, buf, len - 32);
    return check_header(path, r, err, err_len);
}

/* A damaged identity: one line naming the field. */
static int bad_id(const char *path, const char *field, const char *why, char *err,
                  size_t err_len)
{
    cx_set_err(err, err_len, "%s: damaged checkpoint (%s: %s)", path, field, why);
    return CX_ERR_CONFIG;
}

/* Reads and checks the identity at r (get_id, check_id). */
static int read_id(const char *path, cx_rbuf *r, cx_ckpt_id *id, char *err, size_t err_len)
{
    get_id(r, id);
    char why[256] = "";
    const char *field = r->err ? NULL : check_id(id, why, sizeof why);
    int rc = 0;
    if (r->err)
        rc = bad_id(path, "run identity", "not as written", err, err_len);
    else if (field)
        rc = bad_id(path, field, why, err, err_len);
    if (rc < 0) cx_ckpt_id_clear(id);
    return rc;
}

/*
 * The identity comes from the file's first ID_BYTES_MAX bytes, before the scenario (and so
 * the bound on the whole file) is known; the checksum, which covers the whole file, is
 * checked by cx_ckpt_open, which reads it whole within that bound. Every field is checked
 * here all the same (check_id).
 */
int cx_ckpt_read_id(const char *path, cx_ckpt_id *id, char *err, size_t err_len)
{
    unsigned char *data = NULL;
    size_t len = 0;
    bool whole = false;
    memset(id, 0, sizeof *id);
    int rc = load_file(path, ID_BYTES_MAX, &data, &len, &whole, err, err_len);
    if (rc == 0) {
        cx_rbuf r;
        cx_rbuf_init(&r, data, len);
        rc = check_header(path, &r, err, err_len);
        if (rc == 0) rc = read_id(path, &r, id, err, err_len);
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
    if (ck->n_shapes) {
        for (int k = 0; ck->shapes && k < ck->n_shapes; k++) free((double *)ck->shapes[k].rep_q);
        free(ck->shapes);
        free(ck->shape_thr);
    } else {
        free(ck->thresholds);
    }
    if (ck->lock_fd >= 0) {
        /* unlinked while still held: a process waiting on the old file sees it go (lock) */
        unlink(ck->lock_path);
        close(ck->lock_fd);
    }
    free(ck->lock_path);
    free(ck->path);
    free(ck);
}

/* Run k's shape into ck's fields (batch: each run its scenario's; else nothing to do). */
static void select_shape(cx_ckpt *ck, int k)
{
    if (!ck->n_shapes || k < 0 || k >= ck->n_shapes) return;
    const cx_ckpt_shape *s = &ck->shapes[k];
    ck->n_quarters = s->n_quarters;
    ck->thresholds = (double *)s->thresholds;
    ck->n_thresholds = s->n_thresholds;
    ck->alpha = s->alpha;
    ck->bd = s->bd;
    ck->n_rep_q = s->n_rep_q;
    if (s->n_rep_q) memcpy(ck->rep_q, s->rep_q, (size_t)s->n_rep_q * sizeof *s->rep_q);
    ck->obs_block = s->obs_block;
    ck->obs_max = s->obs_max;
}

/* a * b + c, saturating at SIZE_MAX */
static size_t sat_madd(size_t a, size_t b, size_t c)
{
    if (a && b > (SIZE_MAX - c) / a) return SIZE_MAX;
    return a * b + c;
}

/*
 * The most bytes a checkpoint of ck's run can take: the header and identity, and n_runs
 * states, each the most cx_accum_serialise writes for the shape (every bucket of every
 * sketch in use, replicate batches full) and the round in progress at its largest.
 */
static int file_bytes_max(const cx_ckpt *ck, size_t *out)
{
    cx_sketch *sk = NULL;
    int rc = cx_sketch_new(&sk, ck->alpha);
    if (rc < 0) return rc;
    const size_t nb = (size_t)sk->nb;
    cx_sketch_free(sk);
    const size_t nq = (size_t)ck->n_quarters, nt = (size_t)ck->n_thresholds;
    const size_t ns = CX_N_METRICS + CX_N_QSERIES * nq;
    const size_t sketch = 96 + 2 * (8 + 8 * nb);
    const size_t reps = 64 + CX_REP_MAX_Q * 8 +
                        CX_N_METRICS * (32 + (size_t)CX_REP_BATCH_BLOCKS * CX_BLOCK_PATHS * 8 +
                                        CX_REP_MAX_Q * 32);
    size_t accum = sat_madd(ns, sketch + 24, 64 + 16 * nt + reps);
    accum = sat_madd(1, cx_breakdown_bytes_max(CX_BD_MAX_OUTCOMES, nb), accum);
    uint64_t rb = ck->id.round_blocks ? ck->id.round_blocks : CX_ROUND_BLOCKS;
    size_t block = 16 + ns * 24 + (ck->n_rep_q > 0 ? CX_N_METRICS * CX_BLOCK_PATHS * 8 : 0);
    block = block > SIZE_MAX - ck->obs_block ? SIZE_MAX : block + ck->obs_block;
    accum = accum > SIZE_MAX - ck->obs_max - 16 ? SIZE_MAX : accum + ck->obs_max + 16;
    size_t state = sat_madd((size_t)rb, block, accum);
    state = state > SIZE_MAX - 128 ? SIZE_MAX : state + 128;
    *out = sat_madd(ck->n_runs, state, ID_BYTES_MAX + 64);
    return 0;
}

/*
 * Takes the advisory lock PATH.lock for ck (with MPI, rank 0 alone: the others only read)
 * and writes this process's pid in it. A lock held by another process is refused at once,
 * naming its pid. The lock file is checked to be the one at PATH.lock once locked, since the
 * process that held it unlinks it as it lets go.
 */
static int take_lock(cx_ckpt *ck, char *err, size_t err_len)
{
    if (cx_mpi_rank() != 0) return 0;
    size_t n = strlen(ck->path) + sizeof ".lock";
    if (!(ck->lock_path = malloc(n))) return CX_ERR_NOMEM;
    snprintf(ck->lock_path, n, "%s.lock", ck->path);
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(ck->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
        struct stat a, b;
        if (fd < 0 || fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
            int e = fd < 0 ? errno : EINVAL;
            cx_set_err(err, err_len, "%s: cannot lock the checkpoint (%s): %s", ck->path,
                       ck->lock_path, strerror(e));
            if (fd >= 0) close(fd);
            return CX_ERR_IO;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char pid[32] = "";
            /* the holder writes its pid just after it locks: give it a moment */
            for (int i = 0; i < 50 && !pid[0]; i++) {
                ssize_t got = pread(fd, pid, sizeof pid - 1, 0);
                pid[got > 0 ? got : 0] = 0;
                pid[strcspn(pid, "\n")] = 0;
                if (!pid[0]) nanosleep(&(struct timespec){0, 10000000}, NULL);
            }
            close(fd);
            if (e != EWOULDBLOCK) {
                cx_set_err(err, err_len, "%s: cannot lock the checkpoint (%s): %s", ck->path,
                           ck->lock_path, strerror(e));
                return CX_ERR_IO;
            }
            cx_set_err(err, err_len,
                       "%s: in use by another capexsim (pid %s, lock %s); wait for it to end",
                       ck->path, pid[0] ? pid : "?", ck->lock_path);
            return CX_ERR_CONFIG;
        }
        if (stat(ck->lock_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            char pid[32];
            int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
                int e = errno;
                cx_set_err(err, err_len, "%s: cannot write the lock %s: %s", ck->path,
                           ck->lock_path, strerror(e));
                close(fd);
                return CX_ERR_IO;
            }
            ck->lock_fd = fd;
            return 0;
        }
        close(fd); /* let go by its holder and unlinked: lock the new one */
    }
    cx_set_err(err, err_len, "%s: cannot lock the checkpoint (%s keeps changing)", ck->path,
               ck->lock_path);
    return CX_ERR_IO;
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
    if ((a->study == NULL) != (b->study == NULL) || (a->study && strcmp(a->study, b->study)))
        return "the study's options";
    return "";
}

/* A checkpoint handle for path and id (no file read yet), with its lock taken. */
static int ckpt_new(cx_ckpt **out, const char *path, const cx_ckpt_id *id, char *err,
                    size_t err_len)
{
    *out = NULL;
    cx_ckpt *ck = calloc(1, sizeof *ck);
    if (!ck) return CX_ERR_NOMEM;
    int rc = CX_ERR_NOMEM;
    ck->lock_fd = -1;
    if (!(ck->path = strdup(path)) || cx_ckpt_id_copy(&ck->id, id) < 0) goto fail;
    char why[256] = "";
    const char *field = check_id(&ck->id, why, sizeof why);
    if (field) {
        cx_set_err(err, err_len, "%s: %s: %s", path, field, why);
        rc = CX_ERR_RANGE;
        goto fail;
    }
    if ((rc = take_lock(ck, err, err_len)) < 0) goto fail;
    *out = ck;
    return 0;
fail:
    if (rc == CX_ERR_NOMEM) cx_set_err(err, err_len, "%s: out of memory", path);
    cx_ckpt_free(ck);
    return rc;
}

/*
 * Reads ck's file, at most max bytes: checks it (header, checksum, an identity equal to
 * ck's) and takes its states as bytes (ended runs, the run in progress), unread.
 * @return 0 (*fresh: there is no file yet), or an error with one line in err.
 */
static int ckpt_read(cx_ckpt *ck, size_t max, bool *fresh, char *err, size_t err_len)
{
    const char *path = ck->path;
    unsigned char *data = NULL;
    cx_rbuf r;
    *fresh = false;
    int rc = open_file(path, max, &data, &r, err, err_len);
    if (rc == CX_ERR_IO && errno == ENOENT) {
        free(data);
        if (err && err_len) err[0] = 0;
        *fresh = true;
        return 0;
    }
    if (rc == 0) {
        cx_ckpt_id held;
        rc = read_id(path, &r, &held, err, err_len);
        const char *what = rc == 0 ? id_differs(&held, &ck->id) : "";
        if (*what) {
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
    if (rc == CX_ERR_CONFIG && !(err && err[0]))
        cx_set_err(err, err_len, "%s: damaged checkpoint (run states: not as written)", path);
    free(data);
    return rc;
}

static int open_states(cx_ckpt *ck, size_t max, char *err, size_t err_len);

int cx_ckpt_open(cx_ckpt **out, const char *path, const cx_ckpt_id *id, uint64_t n_runs,
                 int n_quarters, const double *thresholds, int n_thresholds, double alpha,
                 const cx_bd_shape *bd, const double *rep_q, int n_rep_q, char *err,
                 size_t err_len)
{
    return cx_ckpt_open_obs(out, path, id, n_runs, n_quarters, thresholds, n_thresholds, alpha,
                            bd, rep_q, n_rep_q, 0, 0, err, err_len);
}

int cx_ckpt_open_obs(cx_ckpt **out, const char *path, const cx_ckpt_id *id, uint64_t n_runs,
                     int n_quarters, const double *thresholds, int n_thresholds, double alpha,
                     const cx_bd_shape *bd, const double *rep_q, int n_rep_q, size_t obs_block,
                     size_t obs_max, char *err, size_t err_len)
{
    *out = NULL;
    if (cx_ckpt_is_study(id->command)) {
        cx_set_err(err, err_len, "%s: a %s's checkpoint holds no engine states", path,
                   id->command);
        return CX_ERR_CONFIG;
    }
    if (n_rep_q < 0 || n_rep_q > CX_REP_MAX_Q || (n_rep_q > 0) != has_replicates(id)) {
        cx_set_err(err, err_len, "%s: %d replicate levels for a run %s keeps them", path,
                   n_rep_q, has_replicates(id) ? "that" : "that never");
        return CX_ERR_RANGE;
    }
    cx_ckpt *ck = NULL;
    int rc = ckpt_new(&ck, path, id, err, err_len);
    if (rc < 0) return rc;
    ck->n_runs = n_runs;
    ck->obs_block = obs_block;
    ck->obs_max = obs_max;
    ck->n_quarters = n_quarters;
    ck->n_thresholds = n_thresholds;
    ck->alpha = alpha;
    if (bd) ck->bd = *bd;
    ck->n_rep_q = n_rep_q;
    if (n_rep_q) memcpy(ck->rep_q, rep_q, (size_t)n_rep_q * sizeof *rep_q);
    rc = CX_ERR_NOMEM;
    if (!(ck->thresholds = calloc((size_t)n_thresholds + 1, sizeof *thresholds))) goto fail;
    if (n_thresholds) memcpy(ck->thresholds, thresholds, (size_t)n_thresholds * sizeof *thresholds);
    size_t max = 0;
    if ((rc = file_bytes_max(ck, &max)) < 0) goto fail;
    if ((rc = open_states(ck, max, err, err_len)) < 0) goto fail;
    *out = ck;
    return 0;
fail:
    if (rc == CX_ERR_NOMEM) cx_set_err(err, err_len, "%s: out of memory", path);
    cx_ckpt_free(ck);
    return rc;
}

/* Reads ck's file (at most max bytes) and checks every state it holds against its run's
 * shape. @return 0 (ck->held set; 0 for a new checkpoint) or an error with err set. */
static int open_states(cx_ckpt *ck, size_t max, char *err, size_t err_len)
{
    const char *path = ck->path;
    const uint64_t n_runs = ck->n_runs;
    bool fresh = false;
    int rc = ckpt_read(ck, max, &fresh, err, err_len);
    if (rc < 0 || fresh) return rc;
    /* the command's runs: one for run, a sweep's points */
    const uint64_t held = (uint64_t)ck->n_ended + (ck->cur.p != NULL);
    if (held > n_runs) {
        cx_set_err(err, err_len,
                   "%s: damaged checkpoint (runs: %llu, but '%s' of this scenario makes %llu)",
                   path, (unsigned long long)held, ck->id.command, (unsigned long long)n_runs);
        rc = CX_ERR_CONFIG;
    }
    /* every state must read back into this run's accumulators, and agree with the run */
    for (int i = 0; rc == 0 && i <= ck->n_ended; i++) {
        const blob *b = i < ck->n_ended ? &ck->ended[i] : ck->cur.p ? &ck->cur : NULL;
        select_shape(ck, i);
        if (b) rc = get_state(ck, i, b, &ck->st, err, err_len);
    }
    state_clear(&ck->st);
    if (rc < 0) return rc;
    ck->held = ck->n_ended + (ck->cur.p != NULL);
    return 0;
}

int cx_ckpt_open_runs(cx_ckpt **out, const char *path, const cx_ckpt_id *id, uint64_t n_runs,
                      const cx_ckpt_shape *shapes, char *err, size_t err_len)
{
    *out = NULL;
    if (cx_ckpt_is_study(id->command) || n_runs < 1 || n_runs > CX_CKPT_MAX_RUNS) {
        cx_set_err(err, err_len, "%s: %llu runs of '%s' for a checkpoint of runs", path,
                   (unsigned long long)n_runs, id->command);
        return CX_ERR_RANGE;
    }
    size_t n_thr = 0;
    for (uint64_t k = 0; k < n_runs; k++) {
        if (shapes[k].n_rep_q < 0 || shapes[k].n_rep_q > CX_REP_MAX_Q ||
            shapes[k].n_thresholds < 0) {
            cx_set_err(err, err_len, "%s: run %llu: %d replicate levels", path,
                       (unsigned long long)k + 1, shapes[k].n_rep_q);
            return CX_ERR_RANGE;
        }
        n_thr += (size_t)shapes[k].n_thresholds;
    }
    cx_ckpt *ck = NULL;
    int rc = ckpt_new(&ck, path, id, err, err_len);
    if (rc < 0) return rc;
    ck->n_runs = n_runs;
    ck->n_shapes = (int)n_runs;
    rc = CX_ERR_NOMEM;
    if (!(ck->shapes = calloc(n_runs, sizeof *ck->shapes)) ||
        !(ck->shape_thr = calloc(n_thr + 1, sizeof *ck->shape_thr)))
        goto fail;
    size_t at = 0;
    size_t max = 0;
    for (uint64_t k = 0; k < n_runs; k++) {
        ck->shapes[k] = shapes[k];
        ck->shapes[k].thresholds = ck->shape_thr + at;
        ck->shapes[k].rep_q = NULL; /* copied by select_shape from the caller's, below */
        if (shapes[k].n_thresholds)
            memcpy(ck->shape_thr + at, shapes[k].thresholds,
                   (size_t)shapes[k].n_thresholds * sizeof *ck->shape_thr);
        at += (size_t)shapes[k].n_thresholds;
    }
    /* the levels: kept in a copy per run, next to the thresholds' */
    for (uint64_t k = 0; k < n_runs; k++) {
        double *q = calloc(CX_REP_MAX_Q, sizeof *q);
        if (!q) goto fail;
        if (shapes[k].n_rep_q) memcpy(q, shapes[k].rep_q, (size_t)shapes[k].n_rep_q * sizeof *q);
        ck->shapes[k].rep_q = q;
    }
    for (uint64_t k = 0; k < n_runs; k++) {
        size_t m = 0;
        select_shape(ck, (int)k);
        if ((rc = file_bytes_max(ck, &m)) < 0) goto fail;
        if (m > max) max = m;
    }
    if ((rc = open_states(ck, max, err, err_len)) < 0) goto fail;
    *out = ck;
    return 0;
fail:
    if (rc == CX_ERR_NOMEM) cx_set_err(err, err_len, "%s: out of memory", path);
    cx_ckpt_free(ck);
    return rc;
}

int cx_ckpt_open_study(cx_ckpt **out, const char *path, const cx_ckpt_id *id,
                       size_t state_max, char *err, size_t err_len)
{
    *out = NULL;
    if (!cx_ckpt_is_study(id->command)) {
        cx_set_err(err, err_len, "%s: a %s's checkpoint holds engine states", path,
                   id->command);
        return CX_ERR_CONFIG;
    }
    cx_ckpt *ck = NULL;
    int rc = ckpt_new(&ck, path, id, err, err_len);
    if (rc < 0) return rc;
    /* the header and identity, a u32 and a u8, the state's length, its command byte */
    const size_t max = state_max > SIZE_MAX - ID_BYTES_MAX - 64 ? SIZE_MAX
                                                                  : state_max + ID_BYTES_MAX + 64;
    bool fresh = false;
    if ((rc = ckpt_read(ck, max, &fresh, err, err_len)) < 0) goto fail;
    if (fresh) {
        *out = ck;
        return 0;
    }
    /* a study's file holds one state, its own, which begins with the command byte */
    rc = CX_ERR_CONFIG;
    if (ck->n_ended != 0 || !ck->cur.p || ck->cur.n < 1) {
        cx_set_err(err, err_len, "%s: damaged checkpoint (runs: %d ended, %s in progress; a "
                   "%s holds one state)", path, ck->n_ended, ck->cur.p ? "one" : "none",
                   id->command);
        goto fail;
    }
    const int kind = ck->cur.p[0];
    if (kind != command_kind(id->command)) {
        cx_set_err(err, err_len, "%s: damaged checkpoint (command: %s, but its state is a %s's)",
                   path, id->command, kind < N_COMMANDS ? commands[kind] : "unknown command");
        goto fail;
    }
    ck->held = 1;
    *out = ck;
    return 0;
fail:
    cx_ckpt_free(ck);
    return rc;
}

const unsigned char *cx_ckpt_study_state(const cx_ckpt *ck, size_t *n)
{
    *n = ck->held && ck->cur.p ? ck->cur.n - 1 : 0;
    return ck->held && ck->cur.p ? ck->cur.p + 1 : NULL;
}

int cx_ckpt_runs_held(const cx_ckpt *ck)
{
    return ck->held;
}

const char *cx_ckpt_path(const cx_ckpt *ck)
{
    return ck->path;
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
    select_shape(ck, k);
    int rc = get_state(ck, k, b, &ck->st, ck->err, sizeof ck->err);
    if (rc < 0) return rc;
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

/* Writes ck's file (ck->err says why when it fails). */
static int write_file(cx_ckpt *ck)
{
    cx_wbuf f = {0};
    put_file(&f, ck);
    int rc = f.err;
    if (rc == 0 && (rc = cx_file_write_atomic(ck->path, writer, &f)) < 0)
        snprintf(ck->err, sizeof ck->err, "%s: cannot write the checkpoint: %s", ck->path,
                 strerror(errno));
    else if (rc == 0)
        sync_dir(ck->path);
    else
        snprintf(ck->err, sizeof ck->err, "%s: %s", ck->path, cx_strerror(rc));
    cx_wbuf_clear(&f);
    return rc;
}

int cx_ckpt_study_save(cx_ckpt *ck, const void *p, size_t n)
{
    unsigned char *b = malloc(n + 1);
    if (!b) {
        snprintf(ck->err, sizeof ck->err, "%s: out of memory", ck->path);
        return CX_ERR_NOMEM;
    }
    b[0] = (unsigned char)command_kind(ck->id.command);
    if (n) memcpy(b + 1, p, n);
    free(ck->cur.p);
    ck->cur.p = b;
    ck->cur.n = n + 1;
    return write_file(ck);
}

static int hook_save(void *ctx, const cx_engine_state *st, bool final)
{
    cx_ckpt *ck = ctx;
    const int k = ck->begun - 1;
    cx_wbuf s = {0};
    put_state(&s, (uint8_t)command_kind(ck->id.command), st);
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
    if (rc == 0) rc = write_file(ck);
    cx_wbuf_clear(&s);
    return rc;
}

void cx_ckpt_hooks(cx_ckpt *ck, cx_engine_ckpt *hooks)
{
    hooks->ctx = ck;
    hooks->every_s = ck->id.every_s;
    hooks->begin = hook_begin;
    hooks->save = hook_save;
}
