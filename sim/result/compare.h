/* SPDX-License-Identifier: MIT */
/* Comparison of two capexsim results (run, sweep, tornado, sobol, batch, stress JSON): statistical
 * or exact. */
#ifndef CX_SIM_COMPARE_H
#define CX_SIM_COMPARE_H

/*
 * `capexsim compare NEW BASE` answers "did the risk picture move, or only the noise?".
 *
 * Statistical mode (the default) turns every statistic that both results report into a
 * two-sided test of "same expected value": a z score from the two standard errors and its
 * p-value. Where the file carries no standard error the module derives one, as documented
 * at each family in compare.c and in docs/ci.md. The family of all tests is then corrected
 * with Holm's step-down method, so the chance that two runs of the same scenario with
 * different seeds are called different is at most alpha (default 0.01) whatever the number
 * of statistics compared.
 *
 * Exact mode compares every value of the two files except timing and provenance fields
 * (cx_compare_ignored_keys); any other difference is a difference.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* The version of the compare JSON written by cx_compare_json ("format_version"). */
#define CX_COMPARE_FORMAT_VERSION 1

typedef struct cx_compare_opts {
    bool exact;           /* --exact: same values apart from cx_compare_ignored_keys */
    bool allow_seed;      /* compare results of different seeds */
    bool allow_scenario;  /* compare results of different scenarios (SHA-256) */
    double alpha;         /* family-wise false-alarm rate, in (0, 1); default 0.01 */
} cx_compare_opts;

/* Defaults: statistical, same seed and scenario required, alpha 0.01. */
void cx_compare_opts_init(cx_compare_opts *o);

/* Top-level keys --exact ignores (timing and provenance), NULL-terminated. */
extern const char *const cx_compare_ignored_keys[];

/* What became of one statistic. */
typedef enum cx_compare_verdict {
    CX_CMP_SAME = 0,      /* not significant after Holm (or equal in --exact) */
    CX_CMP_DIFFERENT,     /* significant after Holm, or unequal in --exact */
    CX_CMP_MISSING,       /* reported by BASE, absent or not a number in NEW: a difference */
    CX_CMP_NEW_ONLY,      /* reported by NEW only: a note, not a difference */
    CX_CMP_UNTESTABLE,    /* no standard error can be had (e.g. sobol se null): a note */
} cx_compare_verdict;

typedef struct cx_compare_row {
    char *name;           /* "metrics.capex_burden.p95", "quarters.revenue[3].mean", ... */
    const char *method;   /* "se", "ci95", "binomial", "cvar-tail", "quarter-spread", "exact" */
    double new_v, base_v; /* NAN when absent or null */
    double se;            /* standard error of new - base; NAN in --exact */
    double z;             /* (new - base) / se; +-INFINITY when se is 0 and they differ */
    double p;             /* two-sided p-value (exact mode: 0 or 1) */
    double df;            /* degrees of freedom of the test; INFINITY: the normal */
    double p_holm;        /* Holm-adjusted p-value */
    double rel;           /* (new - base) / |base|; NAN when base is 0 */
    char *text_new, *text_base; /* --exact, non-numbers: compact JSON of each side */
    cx_compare_verdict verdict;
} cx_compare_row;

typedef struct cx_compare_result {
    char *study;          /* "run", "sweep", "tornado", "sobol", "batch", "stress" */
    char *scenario;       /* BASE's scenario name */
    char *new_scenario;   /* NEW's (issue 22: the header names both) */
    char *new_path, *base_path;
    char *new_sha256, *base_sha256;
    uint64_t new_seed, base_seed;
    uint64_t new_paths, base_paths; /* 0 where the study has no single path count */
    cx_compare_opts opts;
    int n_rows;
    cx_compare_row *rows;  /* worst first: differences, then by p-value (or |rel|) */
    int n_tested;          /* rows in the Holm family */
    int n_different;       /* rows with verdict DIFFERENT or MISSING */
    int n_notes;
    char **notes;          /* lines for the reader: seeds differ, incomplete runs, ... */
} cx_compare_result;

/*
 * Reads NEW and BASE (JSON written by capexsim run, sweep, tornado, sobol, batch or stress)
 * and compares them.
 * @return 0 with *out set (the verdict is out->n_different > 0), or CX_ERR_IO (unreadable),
 *         CX_ERR_USAGE (not a capexsim result, a malformed one, or results of different
 *         studies, scenarios or seeds without the flag that allows it), CX_ERR_NOMEM; err
 *         then holds a one-line "FILE: key: message".
 * @note the caller frees *out with cx_compare_free.
 */
int cx_compare_files(cx_compare_result **out, const char *new_path, const char *base_path,
                     const cx_compare_opts *o, char *err, size_t err_len);

/*
 * Same on parsed documents (the paths only name the files in messages); does not take
 * ownership of the documents.
 */
int cx_compare_docs(cx_compare_result **out, const json_t *new_doc, const char *new_path,
                    const json_t *base_doc, const char *base_path, const cx_compare_opts *o,
                    char *err, size_t err_len);

/* cx_compare_result_free(NULL) is a no-op. */
void cx_compare_free(cx_compare_result *r);

/* The short table, worst first: the header, notes, `top` rows (all when top <= 0), a verdict. */
void cx_compare_table(FILE *f, const cx_compare_result *r, int top);

/*
 * The result as JSON (docs/schema/compare.schema.json): every row, worst first.
 * @return a new reference, or NULL when out of memory.
 */
json_t *cx_compare_json(const cx_compare_result *r);

#endif
