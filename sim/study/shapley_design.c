/* SPDX-License-Identifier: MIT */
/* The Shapley estimator core for any function: permutations, conditional samples, blocks, CIs. */
#include "config.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#if CX_HAVE_OPENMP
#include <omp.h>
#endif

#include "sim/base/error.h"
#include "sim/rng/normal.h"
#include "sim/rng/pcg.h"
#include "sim/study/shapley.h"
#include "sim/study/study.h"
#include "sim/study/study_internal.h"

/*
 * Song, Nelson and Staum (2016), random permutations, with N_o = 1 and N_i = 3. For one
 * order pi of the d players and j = 1 .. d - 1, J = {pi_1 .. pi_j} (resampled) and
 * K = {pi_{j+1} .. pi_d} (held): one outer draw of X_K from its marginal law, N_i draws of
 * X_J from its law given X_K, and their sample variance (divisor N_i - 1) is an unbiased
 * estimate C_j of c(J) = E[Var(Y | X_K)]. Player pi_j gets C_j - C_{j-1} (C_0 = 0); the last
 * one gets V - C_{d-1}, V the variance of N_v separate draws of Y.
 *
 * Conditional sampling under the copula. The normal scores z ~ N(0, R) of the Gaussian
 * players; given z_K, z_J is Gaussian with mean R_JK R_KK^-1 z_K and covariance the Schur
 * complement S = R_JJ - R_JK R_KK^-1 R_KJ. Order the Gaussian players by pi reversed (pi_d
 * first): for every j, K's players come first and J's last, so one Cholesky factor L of R in
 * that order (GSL, gsl_linalg_cholesky_decomp1, once per permutation) serves all d - 1
 * steps: with the leading block L_KK, L_KK L_KK' = R_KK, so z_K = L_KK w (w ~ N(0, I)) is the
 * marginal draw, and the trailing block L_JJ is the Cholesky factor of S (L_JJ L_JJ' =
 * R_JJ - L_JK L_JK' = S), so z_J = L_JK w + L_JJ e (e ~ N(0, I) fresh for each inner draw)
 * is an exact draw of the conditional law (its mean L_JK L_KK^-1 z_K = R_JK R_KK^-1 z_K).
 * A stream player (a key) is independent of everything: held, it keeps its outer key;
 * resampled, each inner draw gets a fresh key.
 *
 * The d - 1 steps' N_i points of a permutation go to the function in one call. Var Y: N_v =
 * CX_SHAPLEY_VAR_PER_PERM draws per permutation, z = L0 w with L0 the factor of R itself.
 *
 * Sums. A block record holds its permutations, (n, mean, M2) of its N_v values (Welford),
 * A_i (the sum of player i's increments, with -C_{d-1} for a last place and not V) and L_i
 * (how often i came last); Sh_i = A_i / m + (L_i / m) V, so sum_i Sh_i = V exactly (the
 * increments telescope), and the share is A_i / (m V) + L_i / m. Blocks run over threads in
 * rounds and fold, in block order, into K <= CX_SHAPLEY_MAX_BATCHES batches of consecutive
 * blocks (fixed by the number of blocks alone), the batches in order into the total: the same
 * bytes for any thread count. The CI of a share linearises it in the batch sums (a delta
 * method over independent replicates): psi_k = (A_ik - m_k a) / (m V) + (L_ik - m_k l) / m -
 * (a / V^2) (ss_k - n_k V) / (n - 1), a = A_i / m, l = L_i / m, ss_k batch k's sum of squares
 * about the overall mean; Var = K / (K - 1) sum_k (psi_k - mean psi)^2, Student's t (K - 1).
 */

enum { R_PERMS, R_N, R_MEAN, R_M2, R_HEAD };
#define ROUND_BLOCKS 256

/* A lower-triangular G x G factor by rows of nonzeros, columns ascending (row k: at[k] ..
 * at[k + 1] - 1): most players are in no correlation, so a factor is mostly the identity,
 * and the products skip its zeros (the same bits: a skipped term is +-0). */
typedef struct nz_rows {
    int *at, *col;
    double *val;
} nz_rows;

/* One thread's scratch (a block at a time). */
typedef struct thread_scr {
    double *chol;      /* G x G: the permuted correlation, then its factor */
    double *w, *base;  /* G: outer normals; L_{k, K} w for each k */
    double *z;         /* points x G */
    uint64_t *keys;    /* points x S */
    uint64_t *okeys;   /* S: the outer keys */
    double *cw;        /* (1 + N_i) x G: a permutation's common normals (crn): outer, inner */
    nz_rows nz;     /* chol's nonzeros by rows */
    uint64_t *ck;      /* (1 + N_i) x S: its common keys (crn) */
    double *y;         /* points */
    int *perm, *pos;   /* d: the order and each player's place in it */
    int *gpos;         /* G: the Gaussian player at place k of the reversed order */
    int *held_g;       /* d: Gaussian players held at step j (pi_{j+1} .. pi_d) */
} thread_scr;

typedef struct design_run {
    const cx_shapley_design *des;
    int d, g, s, npts, block_perms;
    int64_t blocks;
    size_t sz;           /* doubles per record */
    double *l0;          /* G x G: factor of R (for the N_v draws) */
    nz_rows nz0;      /* its nonzeros */
    double *rec;         /* ROUND_BLOCKS records */
    double *bat;         /* K batch records */
    int n_bat;
    thread_scr *ts;
    atomic_int stopped;
    /* checkpoints (issue 23): the first block not folded, the last save, earlier sessions */
    int64_t next;
    double t0, last_save, elapsed0;
    int rc_save;
} design_run;

int cx_shapley_max_points(const cx_shapley_design *des)
{
    int n = CX_SHAPLEY_N_INNER * (des->n_gauss + des->n_stream - 1);
    return n > 64 ? n : 64;
}

/* A uniform integer in [0, n), n >= 1 (bias below n / 2^64). */
static int below(cx_pcg64 *g, int n)
{
    return (int)(((unsigned __int128)cx_pcg64_next(g) * (unsigned)n) >> 64);
}

/* A random order of the d players (Fisher-Yates) and each player's place. */
static void draw_perm(cx_pcg64 *g, int d, int *perm, int *pos)
{
    for (int i = 0; i < d; i++)
        perm[i] = i;
    for (int i = d - 1; i > 0; i--) {
        int j = below(g, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < d; i++)
        pos[perm[i]] = i;
}

/* The nonzeros of the lower triangle of L (G x G, row-major) into nz. */
static void nz_fill(const double *L, int G, nz_rows *nz)
{
    int q = 0;
    for (int k = 0; k < G; k++) {
        nz->at[k] = q;
        for (int l = 0; l <= k; l++)
            if (L[k * G + l] != 0.0) {
                nz->col[q] = l;
                nz->val[q++] = L[k * G + l];
            }
    }
    nz->at[G] = q;
}

static int nz_new(nz_rows *nz, size_t G)
{
    nz->at = malloc((G + 1) * sizeof *nz->at);
    nz->col = malloc((G * (G + 1) / 2 + 1) * sizeof *nz->col);
    nz->val = malloc((G * (G + 1) / 2 + 1) * sizeof *nz->val);
    return nz->at && nz->col && nz->val ? 0 : CX_ERR_NOMEM;
}

static void nz_free(nz_rows *nz)
{
    free(nz->at);
    free(nz->col);
    free(nz->val);
}

/* The Gaussian players in reversed order (gpos) and R in that order, factored in place.
 * held_g[j]: Gaussian players among pi_{j+1} .. pi_d. @return 0 or GSL's error. */
static int factor_order(const design_run *r, thread_scr *t)
{
    const int d = r->d, G = r->g;
    int k = 0;
    for (int q = d - 1; q >= 0; q--) {
        if (t->perm[q] < G)
            t->gpos[k++] = t->perm[q];
        t->held_g[q] = k - (t->perm[q] < G); /* Gaussian players after place q */
    }
    if (G == 0)
        return 0;
    const double *R = r->des->corr;
    for (int a = 0; a < G; a++)
        for (int b = 0; b < G; b++)
            t->chol[a * G + b] = R ? R[t->gpos[a] * G + t->gpos[b]] : (double)(a == b);
    gsl_matrix_view m = gsl_matrix_view_array(t->chol, (size_t)G, (size_t)G);
    int rc = gsl_linalg_cholesky_decomp1(&m.matrix);
    if (rc == 0)
        nz_fill(t->chol, G, &t->nz);
    return rc;
}

/* The N_i points of step j (1 .. d - 1): held players from one outer draw, the rest from
 * their conditional law, into rows (j - 1) N_i .. of t->z and t->keys. With crn the draws
 * are the permutation's common ones (t->cw, t->ck: outer draw, then inner draw h), so that
 * steps j - 1 and j differ in player pi_j's draw only; else fresh from g. */
static void step_points(const design_run *r, thread_scr *t, cx_pcg64 *g, int j)
{
    const int G = r->g, S = r->s, gk = t->held_g[j - 1];
    const bool crn = r->des->crn;
    const int *at = t->nz.at, *col = t->nz.col;
    const double *val = t->nz.val;
    for (int k = 0; k < gk; k++)
        t->w[k] = crn ? t->cw[k] : cx_normal(g);
    for (int k = 0; k < G; k++) { /* L_{k, K} w_K: the columns of the held players */
        double acc = 0.0;
        for (int q = at[k]; q < at[k + 1] && col[q] < gk; q++)
            acc += val[q] * t->w[col[q]];
        t->base[k] = acc;
    }
    for (int s = 0; s < S; s++)
        t->okeys[s] = crn ? t->ck[s] : cx_pcg64_next(g);
    for (int h = 0; h < CX_SHAPLEY_N_INNER; h++) {
        const size_t row = (size_t)(j - 1) * CX_SHAPLEY_N_INNER + (size_t)h;
        const double *cw = t->cw + (size_t)(h + 1) * (size_t)G;
        const uint64_t *ck = t->ck + (size_t)(h + 1) * (size_t)S;
        double *z = t->z + row * (size_t)G, *e = t->w + gk; /* e reuses w's tail */
        for (int k = 0; k < gk; k++)
            z[t->gpos[k]] = t->base[k];
        for (int k = gk; k < G; k++) {
            e[k - gk] = crn ? cw[k] : cx_normal(g);
            double acc = t->base[k];
            for (int q = at[k]; q < at[k + 1]; q++) /* + L_{k, J} e: columns gk .. k */
                if (col[q] >= gk)
                    acc += val[q] * e[col[q] - gk];
            z[t->gpos[k]] = acc;
        }
        uint64_t *key = t->keys + row * (size_t)S;
        for (int s = 0; s < S; s++) /* held (after place j - 1) or fresh */
            key[s] = t->pos[G + s] >= j ? t->okeys[s] : crn ? ck[s] : cx_pcg64_next(g);
    }
}

/* Sample variance (divisor n - 1) of y[0 .. n - 1]. */
static double sample_var(const double *y, int n)
{
    double m = 0.0, ss = 0.0;
    for (int i = 0; i < n; i++)
        m += y[i];
    m /= n;
    for (int i = 0; i < n; i++)
        ss += (y[i] - m) * (y[i] - m);
    return ss / (n - 1);
}

/* One permutation into record rec. @return 0 or CX_ERR_RANGE (R not positive definite). */
static int one_perm(const design_run *r, thread_scr *t, cx_pcg64 *g, int thread, double *rec)
{
    const int d = r->d;
    draw_perm(g, d, t->perm, t->pos);
    if (factor_order(r, t) != 0)
        return CX_ERR_RANGE;
    if (r->des->crn) {
        for (int k = 0; k < (1 + CX_SHAPLEY_N_INNER) * r->g; k++)
            t->cw[k] = cx_normal(g);
        for (int k = 0; k < (1 + CX_SHAPLEY_N_INNER) * r->s; k++)
            t->ck[k] = cx_pcg64_next(g);
    }
    for (int j = 1; j < d; j++)
        step_points(r, t, g, j);
    if (r->npts > 0)
        r->des->fn(r->des->ctx, thread, r->npts, t->z, t->keys, t->y);
    double *A = rec + R_HEAD, *Lc = A + d, prev = 0.0;
    for (int j = 1; j < d; j++) {
        double c = sample_var(t->y + (size_t)(j - 1) * CX_SHAPLEY_N_INNER, CX_SHAPLEY_N_INNER);
        A[t->perm[j - 1]] += c - prev;
        prev = c;
    }
    A[t->perm[d - 1]] -= prev; /* + V, added at the end as L_i V */
    Lc[t->perm[d - 1]] += 1.0;
    rec[R_PERMS] += 1.0;
    return 0;
}

/* n draws of Y from the joint law (z = L0 w, fresh keys), into rec's Welford sums. */
static void var_draws(const design_run *r, thread_scr *t, cx_pcg64 *g, int thread, int n,
                      double *rec)
{
    const int G = r->g, S = r->s, cap = cx_shapley_max_points(r->des);
    for (int done = 0; done < n;) {
        const int nb = n - done < cap ? n - done : cap;
        for (int p = 0; p < nb; p++) {
            double *z = t->z + (size_t)p * (size_t)G;
            for (int k = 0; k < G; k++)
                t->w[k] = cx_normal(g);
            for (int k = 0; k < G; k++) {
                double acc = 0.0;
                for (int q = r->nz0.at[k]; q < r->nz0.at[k + 1]; q++)
                    acc += r->nz0.val[q] * t->w[r->nz0.col[q]];
                z[k] = acc;
            }
            for (int s = 0; s < S; s++)
                t->keys[(size_t)p * (size_t)S + (size_t)s] = cx_pcg64_next(g);
        }
        r->des->fn(r->des->ctx, thread, nb, t->z, t->keys, t->y);
        for (int p = 0; p < nb; p++) {
            rec[R_N] += 1.0;
            double delta = t->y[p] - rec[R_MEAN];
            rec[R_MEAN] += delta / rec[R_N];
            rec[R_M2] += delta * (t->y[p] - rec[R_MEAN]);
        }
        done += nb;
    }
}

/* Block b into rec: its permutations, then its N_v draws. @return 0 or an error. */
static int run_block(design_run *r, int thread, int64_t b, double *rec)
{
    const cx_shapley_design *des = r->des;
    const uint64_t first = (uint64_t)b * (uint64_t)r->block_perms;
    const int n = (int)(des->perms - first < (uint64_t)r->block_perms ? des->perms - first
                                                                      : (uint64_t)r->block_perms);
    thread_scr *t = &r->ts[thread];
    cx_pcg64 g;
    cx_pcg64_stream(&g, des->seed, (uint64_t)b);
    memset(rec, 0, r->sz * sizeof *rec);
    for (int k = 0; k < n; k++) {
        int rc = one_perm(r, t, &g, thread, rec);
        if (rc != 0)
            return rc;
    }
    var_draws(r, t, &g, thread, n * CX_SHAPLEY_VAR_PER_PERM, rec);
    return 0;
}

/* dst += src: Chan et al.'s pairwise (n, mean, M2), plain sums for the rest. */
static void combine(double *dst, const double *src, size_t sz)
{
    double na = dst[R_N], nb = src[R_N];
    if (nb > 0.0) {
        double n = na + nb, delta = src[R_MEAN] - dst[R_MEAN];
        dst[R_MEAN] += delta * nb / n;
        dst[R_M2] += src[R_M2] + delta * delta * na * nb / n;
        dst[R_N] = n;
    }
    dst[R_PERMS] += src[R_PERMS];
    for (size_t i = R_HEAD; i < sz; i++)
        dst[i] += src[i];
}

static bool interrupted(const cx_shapley_design *des)
{
    return des->interrupt && atomic_load_explicit(des->interrupt, memory_order_relaxed);
}

/* Progress (issue 23): blocks done, as permutations of perms. Reads counts only. */
static void report(const design_run *r, int64_t blocks)
{
    const uint64_t done = (uint64_t)blocks * (uint64_t)r->block_perms;
    r->des->progress(r->des->progress_ctx, done < r->des->perms ? done : r->des->perms,
                     r->des->perms);
}

/* ---- checkpoints (issue 23) ---------------------------------------------------------- */
/*
 * The state (after the file's command byte): u32 block_perms, u32 players, u32 batches, u64
 * permutations, u8 crn, u32 round blocks, u64 next (blocks before it folded), f64 elapsed_s,
 * the batch records, u32 records of the round from next done before an interrupt, then
 * each: u32 slot, its record. A record's permutation count says whether its block ran.
 */
static int64_t round_blocks(const cx_shapley_design *des)
{
    const uint32_t rb = des->ckpt ? des->ckpt->round_blocks : 0;
    return rb > 0 && rb < ROUND_BLOCKS ? (int64_t)rb : ROUND_BLOCKS;
}

static uint64_t block_n(const design_run *r, int64_t b)
{
    const uint64_t bp = (uint64_t)r->block_perms, first = (uint64_t)b * bp;
    return r->des->perms - first < bp ? r->des->perms - first : bp;
}

/* Saves the state with the blocks before next folded and, rn > 0, the done records of the
 * round of rn blocks from next (not yet folded). */
static int save_state(design_run *r, int64_t next, int rn)
{
    const cx_shapley_design *des = r->des;
    cx_wbuf w = {0};
    cx_wbuf_u32(&w, (uint32_t)r->block_perms);
    cx_wbuf_u32(&w, (uint32_t)r->d);
    cx_wbuf_u32(&w, (uint32_t)r->n_bat);
    cx_wbuf_u64(&w, des->perms);
    cx_wbuf_u8(&w, des->crn);
    cx_wbuf_u32(&w, (uint32_t)round_blocks(des));
    cx_wbuf_u64(&w, (uint64_t)next);
    cx_wbuf_f64(&w, r->elapsed0 + cx_study_now_s() - r->t0);
    cx_wbuf_put(&w, r->bat, (size_t)r->n_bat * r->sz * sizeof *r->bat);
    uint32_t n = 0;
    for (int j = 0; j < rn; j++)
        n += r->rec[(size_t)j * r->sz + R_PERMS] > 0.0;
    cx_wbuf_u32(&w, n);
    for (int j = 0; j < rn; j++)
        if (r->rec[(size_t)j * r->sz + R_PERMS] > 0.0) {
            cx_wbuf_u32(&w, (uint32_t)j);
            cx_wbuf_put(&w, r->rec + (size_t)j * r->sz, r->sz * sizeof *r->rec);
        }
    int rc = w.err ? w.err : des->ckpt->save(des->ckpt->ctx, w.p, w.n);
    cx_wbuf_clear(&w);
    r->last_save = cx_study_now_s();
    r->rc_save = rc;
    return rc;
}

/* A record of `perms` permutations: its counts, and every value finite. */
static bool record_ok(const design_run *r, const double *rec, uint64_t perms)
{
    if (rec[R_PERMS] != (double)perms ||
        rec[R_N] != (double)perms * CX_SHAPLEY_VAR_PER_PERM || !(rec[R_M2] >= 0))
        return false;
    for (size_t i = 0; i < r->sz; i++)
        if (!isfinite(rec[i]))
            return false;
    return true;
}

/* Reads and checks the state at rb into r: NULL, or the field that disagrees with the
 * design or the other fields (why: the detail). */
static const char *load_state(design_run *r, cx_rbuf *rb, char *why, size_t why_len)
{
    const cx_shapley_design *des = r->des;
    const uint32_t want[3] = {(uint32_t)r->block_perms, (uint32_t)r->d, (uint32_t)r->n_bat};
    static const char *const names[3] = {"block_perms", "players", "batches"};
    for (int i = 0; i < 3; i++) {
        uint32_t v = cx_rbuf_u32(rb);
        if (!rb->err && v != want[i]) {
            cx_set_err(why, why_len, "%u, this study has %u", (unsigned)v, (unsigned)want[i]);
            return names[i];
        }
    }
    uint64_t perms = cx_rbuf_u64(rb);
    uint8_t crn = cx_rbuf_u8(rb);
    uint32_t rb_blocks = cx_rbuf_u32(rb);
    uint64_t next = cx_rbuf_u64(rb);
    r->elapsed0 = cx_rbuf_f64(rb);
    if (rb->err)
        return "fields";
    if (perms != des->perms || crn != (uint8_t)des->crn ||
        rb_blocks != (uint32_t)round_blocks(des)) {
        cx_set_err(why, why_len, "%llu permutations, crn %u, rounds of %u; this study: %llu, "
                   "%u, %u", (unsigned long long)perms, (unsigned)crn, (unsigned)rb_blocks,
                   (unsigned long long)des->perms, (unsigned)des->crn,
                   (unsigned)round_blocks(des));
        return "design";
    }
    if (next > (uint64_t)r->blocks) {
        cx_set_err(why, why_len, "%llu, the study has %lld blocks", (unsigned long long)next,
                   (long long)r->blocks);
        return "next_block";
    }
    if (!(r->elapsed0 >= 0 && r->elapsed0 < 1e12)) {
        cx_set_err(why, why_len, "%g seconds", r->elapsed0);
        return "elapsed_s";
    }
    cx_rbuf_get(rb, r->bat, (size_t)r->n_bat * r->sz * sizeof *r->bat);
    /* batch k holds blocks k B / K .. of those folded: its permutation count says which */
    for (int k = 0; k < r->n_bat && !rb->err; k++) {
        uint64_t want_perms = 0;
        for (int64_t b = 0; b < (int64_t)next; b++)
            if ((int)((b * r->n_bat) / r->blocks) == k)
                want_perms += block_n(r, b);
        const double *bat = r->bat + (size_t)k * r->sz;
        if (!record_ok(r, bat, want_perms)) {
            cx_set_err(why, why_len, "batch %d: %.17g permutations (%.17g variance draws), "
                       "the blocks folded give it %llu", k, bat[R_PERMS], bat[R_N],
                       (unsigned long long)want_perms);
            return "batches";
        }
    }
    const int64_t R = round_blocks(des);
    const int64_t rn = r->blocks - (int64_t)next < R ? r->blocks - (int64_t)next : R;
    uint32_t n = cx_rbuf_u32(rb);
    for (uint32_t i = 0, last = 0; i < n && !rb->err; i++) {
        uint32_t j = cx_rbuf_u32(rb);
        if (rb->err || (int64_t)j >= rn || (i > 0 && j <= last)) {
            cx_set_err(why, why_len, "slot %u, the round has %lld (increasing)", (unsigned)j,
                       (long long)rn);
            return "round in progress";
        }
        last = j;
        double *rec = r->rec + (size_t)j * r->sz;
        cx_rbuf_get(rb, rec, r->sz * sizeof *rec);
        if (!rb->err && !record_ok(r, rec, block_n(r, (int64_t)next + j))) {
            cx_set_err(why, why_len, "block %lld: %.17g permutations, it has %llu",
                       (long long)next + j, rec[R_PERMS],
                       (unsigned long long)block_n(r, (int64_t)next + j));
            return "round in progress";
        }
    }
    if (rb->err || cx_rbuf_left(rb) != 0) {
        cx_set_err(why, why_len, "%zu bytes, not what its fields take", rb->n);
        return "state length";
    }
    r->next = (int64_t)next;
    return NULL;
}

/* Every block, in rounds over the threads, folded in block order into the batches.
 * @return 0 or the first error of a block. */
static int run_blocks(design_run *r)
{
    atomic_int status = 0;
    const int64_t R = round_blocks(r->des);
    for (int64_t b0 = r->next; b0 < r->blocks && !atomic_load(&r->stopped); b0 += R) {
        const int rn = (int)(r->blocks - b0 < R ? r->blocks - b0 : R);
        atomic_int ran = 0; /* this round's blocks done, for progress */
#if CX_HAVE_OPENMP
#pragma omp parallel for num_threads(r->des->threads) schedule(dynamic, 1)
#endif
        for (int j = 0; j < rn; j++) {
            double *rec = r->rec + (size_t)j * r->sz;
            if (rec[R_PERMS] > 0.0)
                continue; /* done before the checkpoint it was resumed from */
            if (atomic_load_explicit(&r->stopped, memory_order_relaxed) ||
                interrupted(r->des)) {
                atomic_store_explicit(&r->stopped, 1, memory_order_relaxed);
                continue;
            }
            const int thread = cx_study_thread_id();
            int rc = run_block(r, thread, b0 + j, rec);
            if (rc != 0) {
                memset(rec, 0, r->sz * sizeof *rec);
                atomic_store(&status, rc);
                atomic_store_explicit(&r->stopped, 1, memory_order_relaxed);
            }
            const int k = atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed) + 1;
            if (r->des->progress && thread == 0) /* the thread that folds, between blocks */
                report(r, b0 + k);
        }
        const cx_study_ckpt *ck = r->des->ckpt;
        /* a round cut short is saved as it stands, its done blocks' records with it */
        if (ck && atomic_load(&r->stopped) && !atomic_load(&status) && save_state(r, b0, rn))
            return r->rc_save;
        for (int j = 0; j < rn; j++) {
            const int64_t b = b0 + j;
            const int k = (int)((b * r->n_bat) / r->blocks); /* batch k: blocks k B / K .. */
            combine(r->bat + (size_t)k * r->sz, r->rec + (size_t)j * r->sz, r->sz);
        }
        if (r->des->progress && !atomic_load(&r->stopped))
            report(r, b0 + rn);
        memset(r->rec, 0, (size_t)rn * r->sz * sizeof *r->rec);
        r->next = b0 + rn;
        if (ck && !atomic_load(&r->stopped) && cx_study_now_s() - r->last_save >= ck->every_s &&
            save_state(r, b0 + rn, 0))
            return r->rc_save;
    }
    return atomic_load(&status);
}

/* The linearised deviation of batch k (record b) from the total (record tot) for each share
 * (psi[0 .. d - 1]), the variance (psi[d]) and the sum of the shares (psi[d + 1]). */
static void batch_psi(const design_run *r, const double *tot, const double *b, double *psi)
{
    const int d = r->d;
    const double m = tot[R_PERMS], n = tot[R_N], V = tot[R_M2] / (n - 1.0);
    const double dm = b[R_MEAN] - tot[R_MEAN];
    const double dv = (b[R_M2] + b[R_N] * dm * dm - b[R_N] * V) / (n - 1.0);
    psi[d + 1] = 0.0;
    for (int i = 0; i < d; i++) {
        const double a = tot[R_HEAD + i] / m, l = tot[R_HEAD + d + i] / m;
        psi[i] = (b[R_HEAD + i] - b[R_PERMS] * a) / (m * V) +
                 (b[R_HEAD + d + i] - b[R_PERMS] * l) / m - a / (V * V) * dv;
        psi[d + 1] += psi[i];
    }
    psi[d] = dv;
}

/* Estimates and CIs from the batches (folded in order into the total). */
static void results(const design_run *r, cx_shapley_effect *eff, cx_shapley_outcome *out)
{
    const int d = r->d;
    double *tot = calloc(r->sz, sizeof *tot), *psi = calloc((size_t)(d + 2), sizeof *psi);
    double *mean = calloc((size_t)(d + 2), sizeof *mean), *ss = calloc((size_t)(d + 2), sizeof *ss);
    for (int i = 0; i < d; i++)
        eff[i] = (cx_shapley_effect){NAN, NAN, NAN, NAN, NAN};
    out->variance = out->var_lo = out->var_hi = out->mean = NAN;
    out->sum_share = out->sum_lo = out->sum_hi = out->max_half_width = NAN;
    if (!tot || !psi || !mean || !ss)
        goto done;
    int k_used = 0;
    for (int k = 0; k < r->n_bat; k++) {
        const double *b = r->bat + (size_t)k * r->sz;
        k_used += b[R_PERMS] > 0.0 && b[R_N] > 0.0;
        combine(tot, b, r->sz);
    }
    const double m = tot[R_PERMS], n = tot[R_N];
    out->perms = (uint64_t)m;
    out->var_samples = (uint64_t)n;
    out->evaluations = out->perms * (uint64_t)r->npts + out->var_samples;
    out->mean = n > 0.0 ? tot[R_MEAN] : NAN;
    const double V = n > 1.0 ? tot[R_M2] / (n - 1.0) : NAN;
    out->variance = V;
    if (!(m > 0.0) || !(V > 0.0))
        goto done;
    out->sum_share = 0.0;
    for (int i = 0; i < d; i++) {
        eff[i].share = tot[R_HEAD + i] / (m * V) + tot[R_HEAD + d + i] / m;
        eff[i].effect = eff[i].share * V;
        out->sum_share += eff[i].share;
    }
    out->batches = k_used >= 2 ? k_used : 0;
    if (k_used < 2)
        goto done;
    /* two passes over the batches: the mean of psi, then the squares about it */
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < r->n_bat; k++) {
            const double *b = r->bat + (size_t)k * r->sz;
            if (!(b[R_PERMS] > 0.0 && b[R_N] > 0.0))
                continue;
            batch_psi(r, tot, b, psi);
            for (int i = 0; i < d + 2; i++) {
                if (pass == 0)
                    mean[i] += psi[i] / k_used;
                else
                    ss[i] += (psi[i] - mean[i]) * (psi[i] - mean[i]);
            }
        }
    const double t = gsl_cdf_tdist_Pinv(0.975, (double)(k_used - 1));
    const double f = (double)k_used / (double)(k_used - 1);
    out->max_half_width = 0.0;
    for (int i = 0; i < d; i++) {
        eff[i].se = sqrt(f * ss[i]);
        eff[i].lo = eff[i].share - t * eff[i].se;
        eff[i].hi = eff[i].share + t * eff[i].se;
        out->max_half_width = fmax(out->max_half_width, t * eff[i].se);
    }
    out->var_lo = V - t * sqrt(f * ss[d]);
    out->var_hi = V + t * sqrt(f * ss[d]);
    out->sum_lo = out->sum_share - t * sqrt(f * ss[d + 1]);
    out->sum_hi = out->sum_share + t * sqrt(f * ss[d + 1]);
done:
    free(tot);
    free(psi);
    free(mean);
    free(ss);
}

/* The checks of a design before anything runs. @return 0, CX_ERR_RANGE or CX_ERR_USAGE. */
static int check_design(const cx_shapley_design *des, int bp, char *err, size_t err_len)
{
    if (des->n_gauss < 0 || des->n_stream < 0 || des->n_gauss + des->n_stream < 1 ||
        des->threads < 1 || bp < 1 || !des->fn) {
        cx_set_err(err, err_len, "shapley: bad design (%d Gaussian and %d stream players)",
                   des->n_gauss, des->n_stream);
        return CX_ERR_RANGE;
    }
    const uint64_t min = CX_SHAPLEY_MIN_BLOCKS * (uint64_t)bp;
    if (des->perms < min) {
        cx_set_err(err, err_len,
                   "shapley: %llu permutations give no 95%% confidence interval: at least %llu "
                   "are needed (%d blocks of %d: the intervals come from independent blocks)",
                   (unsigned long long)des->perms, (unsigned long long)min,
                   CX_SHAPLEY_MIN_BLOCKS, bp);
        return CX_ERR_USAGE;
    }
    if (des->perms / (uint64_t)bp + 1 > (uint64_t)INT32_MAX) {
        cx_set_err(err, err_len, "shapley: too many permutations");
        return CX_ERR_RANGE;
    }
    return 0;
}

static void scratch_free(design_run *r)
{
    for (int t = 0; r->ts && t < r->des->threads; t++) {
        thread_scr *s = &r->ts[t];
        free(s->chol);
        free(s->w);
        free(s->base);
        free(s->z);
        free(s->keys);
        free(s->okeys);
        free(s->cw);
        free(s->ck);
        nz_free(&s->nz);
        free(s->y);
        free(s->perm);
        free(s->pos);
        free(s->gpos);
        free(s->held_g);
    }
    free(r->ts);
    free(r->l0);
    nz_free(&r->nz0);
    free(r->rec);
    free(r->bat);
}

/* Per-thread scratch, the records and R's own factor. @return 0, CX_ERR_NOMEM, or
 * CX_ERR_RANGE when R is not positive definite. */
static int scratch_new(design_run *r)
{
    const size_t G = (size_t)r->g, S = (size_t)r->s, d = (size_t)r->d;
    const size_t pts = (size_t)cx_shapley_max_points(r->des);
    r->ts = calloc((size_t)r->des->threads, sizeof *r->ts);
    r->l0 = malloc((G > 0 ? G * G : 1) * sizeof *r->l0);
    r->rec = calloc(ROUND_BLOCKS * r->sz, sizeof *r->rec);
    r->bat = calloc((size_t)r->n_bat * r->sz, sizeof *r->bat);
    if (!r->ts || !r->l0 || !r->rec || !r->bat || nz_new(&r->nz0, G) != 0)
        return CX_ERR_NOMEM;
    for (int t = 0; t < r->des->threads; t++) {
        thread_scr *s = &r->ts[t];
        s->chol = malloc((G * G + 1) * sizeof *s->chol);
        s->w = malloc((G + 1) * sizeof *s->w);
        s->base = malloc((G + 1) * sizeof *s->base);
        s->z = malloc((pts * G + 1) * sizeof *s->z);
        s->keys = malloc((pts * S + 1) * sizeof *s->keys);
        s->okeys = malloc((S + 1) * sizeof *s->okeys);
        s->cw = malloc(((1 + CX_SHAPLEY_N_INNER) * G + 1) * sizeof *s->cw);
        s->ck = malloc(((1 + CX_SHAPLEY_N_INNER) * S + 1) * sizeof *s->ck);
        s->y = malloc(pts * sizeof *s->y);
        s->perm = malloc(d * sizeof *s->perm);
        s->pos = malloc(d * sizeof *s->pos);
        s->gpos = malloc((G + 1) * sizeof *s->gpos);
        s->held_g = malloc(d * sizeof *s->held_g);
        if (nz_new(&s->nz, G) != 0 || !s->chol || !s->w || !s->base || !s->z || !s->keys || !s->okeys || !s->y || !s->cw || !s->ck ||
            !s->perm || !s->pos || !s->gpos || !s->held_g)
            return CX_ERR_NOMEM;
    }
    if (G == 0)
        return 0;
    for (size_t a = 0; a < G; a++)
        for (size_t b = 0; b < G; b++)
            r->l0[a * G + b] = r->des->corr ? r->des->corr[a * G + b] : (double)(a == b);
    gsl_matrix_view m = gsl_matrix_view_array(r->l0, G, G);
    if (gsl_linalg_cholesky_decomp1(&m.matrix) != 0)
        return CX_ERR_RANGE;
    nz_fill(r->l0, (int)G, &r->nz0);
    return 0;
}

int cx_shapley_design_run(const cx_shapley_design *des, cx_shapley_effect *eff,
                          cx_shapley_outcome *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    const int bp = des->block_perms > 0 ? des->block_perms : CX_SHAPLEY_BLOCK_PERMS;
    int rc = check_design(des, bp, err, err_len);
    if (rc != 0)
        return rc;
    design_run r = {.des = des, .d = des->n_gauss + des->n_stream, .g = des->n_gauss,
                    .s = des->n_stream, .block_perms = bp};
    r.npts = CX_SHAPLEY_N_INNER * (r.d - 1);
    r.blocks = (int64_t)((des->perms + (uint64_t)bp - 1) / (uint64_t)bp);
    r.n_bat = r.blocks < CX_SHAPLEY_MAX_BATCHES ? (int)r.blocks : CX_SHAPLEY_MAX_BATCHES;
    r.sz = R_HEAD + 2 * (size_t)r.d;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    rc = scratch_new(&r);
    r.t0 = r.last_save = cx_study_now_s();
    if (rc == 0 && des->ckpt && des->ckpt->state) {
        cx_rbuf rb;
        cx_rbuf_init(&rb, des->ckpt->state, des->ckpt->state_n);
        char why[256] = "not as written";
        const char *field = load_state(&r, &rb, why, sizeof why);
        if (field) {
            cx_set_err(err, err_len, "%s: damaged checkpoint (shapley state, %s: %s)",
                       des->ckpt->name, field, why);
            rc = CX_ERR_CONFIG;
        }
    }
    if (rc == 0)
        rc = run_blocks(&r);
    /* the final save: every block folded */
    if (rc == 0 && des->ckpt && !atomic_load(&r.stopped))
        rc = save_state(&r, r.blocks, 0);
    gsl_set_error_handler(old);
    if (rc == 0) {
        results(&r, eff, out);
        out->complete = !atomic_load(&r.stopped);
        out->elapsed_before = r.elapsed0;
    }
    scratch_free(&r);
    if (rc == CX_ERR_CONFIG) /* a damaged checkpoint: its message is in err */
        return rc;
    if (r.rc_save && rc == r.rc_save)
        cx_set_err(err, err_len, "shapley: cannot save the checkpoint: %s", cx_strerror(rc));
    else if (rc == CX_ERR_RANGE)
        cx_set_err(err, err_len, "shapley: the correlation matrix is not positive definite");
    else if (rc != 0)
        cx_set_err(err, err_len, "shapley: %s", cx_strerror(rc));
    return rc;
}

/* Whether player a is shown after player b: by share, largest first, NaN last. */
static bool after(const cx_shapley_effect *e, int a, int b)
{
    const double x = e[a].share, y = e[b].share;
    if (isnan(x) != isnan(y))
        return isnan(x);
    if (!isnan(x) && x != y)
        return x < y;
    return a > b;
}

void cx_shapley_rank(const cx_shapley_effect *eff, int n, int *rank)
{
    for (int i = 0; i < n; i++)
        rank[i] = i;
    for (int i = 1; i < n; i++) { /* insertion sort: n is the number of players */
        int v = rank[i], k = i;
        while (k > 0 && after(eff, rank[k - 1], v)) {
            rank[k] = rank[k - 1];
            k--;
        }
        rank[k] = v;
    }
}
