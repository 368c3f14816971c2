/* SPDX-License-Identifier: MIT */
/* Scenario files, internal: what the loader's files (sim/input/scenario*.c) share. */

/*
 * Not a public header: nothing outside sim/input/scenario*.c includes it. The loader is one
 * module in several files, one a section of the work: scenario.c (the entry points, freeing,
 * copies), scenario_source.c (the text, @include expanded), scenario_lex.c (the lexical pass),
 * scenario_schema.c (messages, keys, plain settings), scenario_dist.c (distributions, scalar
 * inputs), scenario_groups.c (the model's groups, the root), scenario_corr.c (correlations,
 * the sampler), scenario_study.c (sweep, tornado and Sobol groups). Functions shared between
 * them are named scn_*; a file's own helpers stay static.
 */
#ifndef CX_SIM_INPUT_SCENARIO_IMPL_H
#define CX_SIM_INPUT_SCENARIO_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "sim/input/scenario.h"

/* Names of the per-offer spot distributions: not scalar inputs, so never correlated or swept. */
#define SPOT_GW "deals.spot.gw"
#define SPOT_PREMIUM "deals.spot.premium"

#define KEY_LEN 512
/* Limits on what a file may ask for (issue 11: bounded work and memory at load). A name of at
 * most MAX_NAME_LEN keeps every dotted input name well inside KEY_LEN, so no two names can
 * collide by truncation. */
#define MAX_NAME_LEN 128
#define MAX_LIST 10000          /* tranches, signed deals */
#define MAX_PAIRS 20000         /* correlation pairs */
#define MAX_COPULA 2000         /* inputs named in correlations (the matrix is m x m) */
#define MAX_TEXT (16L << 20)    /* bytes of scenario text, includes expanded */
#define MAX_LINES 65535         /* libconfig keeps line numbers in 16 bits */
#define MAX_INCLUDE_DEPTH 10
#define MAX_SWEEP_POINTS 100000 /* a run each; the report holds them all */
#define DEFAULT_RELATIVE_ERROR 0.001
#define MAX_RELATIVE_ERROR 0.1
/* a sketch's buckets grow as 1/relative_error: 1e-4 is 7 MB of address space a sketch (and
 * 1e-12 made cx_sketch_new's bucket count overflow an int: a crash) */
#define MIN_RELATIVE_ERROR 1e-4

/* What values a scalar input may take (checked on its whole clamped support). R_OFFERS:
 * >= 0 and at most MAX_OFFERS_PER_MONTH (a rate of spot offers; each offer is work in the
 * month loop, so an absurd rate would make a single path run for hours). */
typedef enum range_kind { R_ANY, R_NONNEG, R_POS, R_PROB, R_OFFERS } range_kind;
#define MAX_OFFERS_PER_MONTH 1000.0

/*
 * The scenario text as libconfig sees it: the file with every @include expanded in place
 * (scenario_source.c reads included files itself, so that each is checked like the main file,
 * is part of scenario_sha256, and a bad one gets a message rather than libconfig's fatal
 * "input in flex scanner failed"). Segments map lines of the text back to FILE:LINE.
 */
typedef struct src_seg {
    int out_line;  /* first line of the text in this segment */
    int file;      /* index into files */
    int file_line; /* its line in that file */
} src_seg;

typedef struct source {
    char *text;
    size_t len, cap;
    int line;      /* line of the text being written (1-based) */
    char **files;  /* files[0] is the scenario (as given), the others as opened */
    int n_files;
    src_seg *seg;
    int n_seg, cap_seg;
    const char *dir; /* where relative @include names are looked up (NULL: the working folder) */
} source;

typedef struct loader {
    const source *src; /* maps lines to files; NULL: one file, lines as they are */
    const char *file; /* as given, for messages */
    char *err;
    size_t err_len;
    cx_scenario *sc;
    int cap;          /* capacity of sc->inputs and range */
    range_kind *range;/* per input, so sweep values get the same checks as the file */
} loader;

/* ---- scenario_schema.c: messages (every one names FILE:LINE and the dotted key), keys and
 * plain settings. Each getter returns 0, or CX_ERR_CONFIG/CX_ERR_NOMEM with the message in
 * l->err; a setting the file leaves out is not an error unless it is required. */

/* FILE:LINE of a line of the expanded text (unchanged when src is NULL or line is 0). */
void scn_src_where(const source *src, int line, const char **file, int *fline);
const char *scn_line_ref(const loader *l, int here, int line, char *buf, size_t n);
/* The error for setting s (key: its dotted name) into l->err. @return CX_ERR_CONFIG */
int scn_fail(loader *l, const config_setting_t *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* @return CX_ERR_NOMEM, with a message in l->err */
int scn_oom(loader *l);
const char *scn_type_name(const config_setting_t *s);
/* prefix.name and prefix[i] into buf (KEY_LEN bytes) */
void scn_join(char *buf, const char *prefix, const char *name);
void scn_join_index(char *buf, const char *prefix, int i);
int scn_levenshtein(const char *a, const char *b);
bool scn_in_list(const char *name, const char *const *names);
int scn_unknown_key(loader *l, const config_setting_t *child, const char *prefix,
                    const char *const *allowed);
int scn_check_keys(loader *l, const config_setting_t *g, const char *prefix,
                   const char *const *allowed);
int scn_get_checked_group(loader *l, const config_setting_t *g, const char *prefix,
                          const char *name, bool required, const char *const *allowed,
                          const config_setting_t **out);
int scn_number_of(loader *l, const config_setting_t *s, const char *key, double *v);
int scn_get_bool(loader *l, const config_setting_t *g, const char *prefix, const char *name,
                 bool def, bool *out);
int scn_string_of(loader *l, const config_setting_t *s, const char *key, const char **out);
int scn_get_string(loader *l, const config_setting_t *g, const char *prefix, const char *name,
                   const char **out, const config_setting_t **where);
int scn_get_int(loader *l, const config_setting_t *g, const char *prefix, const char *name,
                long long lo, long long hi, long long *out, bool *present);
bool scn_control_char(const char *s, bool text);
bool scn_good_name(const char *s);
int scn_choose(loader *l, const config_setting_t *s, const char *key, const char *what,
               const char *const *names, int *out);

/* ---- scenario_dist.c: distributions and scalar inputs (same returns as the getters) */

int scn_param(loader *l, const config_setting_t *g, const char *key, const char *name, double *v,
              bool *have);
int scn_number_array(loader *l, const config_setting_t *g, const char *key, const char *name,
                     double **out, int *n);
int scn_dist_of(loader *l, const config_setting_t *s, const char *key, range_kind rk, cx_dist *d);
int scn_input_from(loader *l, const config_setting_t *s, const char *key, range_kind rk,
                   cx_in *out);
int scn_scalar(loader *l, const config_setting_t *g, const char *prefix, const char *field,
               range_kind rk, double def, bool required, cx_in *out);
/* The outcome input PREFIX.FIELD of probability input p (cx_input.outcome), never from the
 * file: added right after p's group has been read. */
int scn_outcome(loader *l, const char *prefix, const char *field, cx_in p, cx_in *out);
int scn_lookup_input(loader *l, const config_setting_t *s, const char *key, const char *name,
                     const char *verb, cx_in *out);

/* ---- scenario_groups.c: the model's groups and the root */

int scn_get_group_list(loader *l, const config_setting_t *g, const char *key, const char *what,
                       const config_setting_t **out);
/* Reads the whole tree into l->sc (default_name: the name when the file gives none). */
int scn_parse_root(loader *l, const config_setting_t *root, const char *default_name);

/* ---- scenario_corr.c: correlations and the sampler */

int scn_parse_correlations(loader *l, const config_setting_t *root);
int scn_build_sampler(cx_scenario *sc, char *err, size_t err_len, const char *file,
                      const source *src);

/* ---- scenario_study.c: the sweep, tornado and Sobol groups */

int scn_parse_sweep(loader *l, const config_setting_t *root);
/* The optimize group (issue 21) into sc->optimize; nothing when absent. */
int scn_parse_optimize(loader *l, const config_setting_t *root);
int scn_parse_metric_group(loader *l, const config_setting_t *root, const char *group,
                           bool with_paths, char **metric, uint64_t *paths);

/* ---- scenario_source.c: the text with @include expanded (errors into err, err_len) */

int scn_src_fail(char *err, size_t err_len, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void scn_src_free(source *s);
int scn_read_whole(const char *path, bool regular_only, const char *who, char **out,
                   size_t *out_len, char *err, size_t err_len);
int scn_expand(source *s, const char *text, size_t len, int file, int depth, char *err,
               size_t err_len);

/* ---- scenario_plausible.c: values outside their plausible range into sc->warnings
 * (@return 0 or CX_ERR_NOMEM) */

int scn_check_plausible(loader *l, const config_setting_t *root);

/* ---- scenario_lex.c: the lexical pass over the expanded text */

int scn_lex_scan(const source *src, const char *text, int dup_line, char *dup_key, char *err,
                 size_t err_len);
/* After libconfig's "syntax error": the first token of text that libconfig's grammar does not
 * allow, as "FILE:LINE:COL: syntax error: expected ..., got ..." (naming where an unclosed
 * bracket opened) in err. @return CX_ERR_CONFIG with the message, or 0 when it finds none. */
int scn_lex_syntax(const source *src, const char *text, char *err, size_t err_len);

#endif /* CX_SIM_INPUT_SCENARIO_IMPL_H */
