/* SPDX-License-Identifier: MIT */
/* Scenario files: messages, keys and plain settings (the schema every group is read through). */

/*
 * Every check of the loader fails through scn_fail, which names the file, the line (through
 * @include segments) and the full dotted key. Unknown keys are looked up against the keys
 * allowed at that level and the closest one by edit distance is suggested. The getters here
 * read one plain setting (group, number, bool, string, integer, a choice from a list) with its
 * type and range checked.
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

#include <libconfig.h>
#include <nettle/sha2.h>

#include "sim/base/error.h"
#include "sim/input/scenario.h"
#include "sim/input/scenario_impl.h"

/* ---------------------------------------------------------------- messages */

/* FILE:LINE of a line of the expanded text (unchanged when src is NULL or line is 0). */
void scn_src_where(const source *src, int line, const char **file, int *fline)
{
    if (!src || line <= 0 || src->n_seg == 0)
        return;
    int lo = 0, hi = src->n_seg - 1; /* last segment starting at or before line */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (src->seg[mid].out_line <= line)
            lo = mid;
        else
            hi = mid - 1;
    }
    const src_seg *g = &src->seg[lo];
    *file = src->files[g->file];
    *fline = g->file_line + (line - g->out_line);
}

/* "line N" when line is in the same file as line `here`, else "FILE:N" (into buf). */
const char *scn_line_ref(const loader *l, int here, int line, char *buf, size_t n)
{
    const char *f0 = l->file, *f1 = l->file;
    int l0 = here, l1 = line;
    scn_src_where(l->src, here, &f0, &l0);
    scn_src_where(l->src, line, &f1, &l1);
    if (strcmp(f0, f1) == 0)
        snprintf(buf, n, "line %d", l1);
    else
        snprintf(buf, n, "%s:%d", f1, l1);
    return buf;
}

/*
 * Writes "FILE:LINE: KEY: message" (or "FILE: KEY: message" when the setting is absent or is
 * the root, which has no line) and returns CX_ERR_CONFIG.
 */
int scn_fail(loader *l, const config_setting_t *s, const char *key, const char *fmt, ...)
{
    if (!l->err || l->err_len == 0)
        return CX_ERR_CONFIG;
    unsigned line = s ? config_setting_source_line(s) : 0;
    const char *file = l->file;
    int fline = (int)line;
    scn_src_where(l->src, (int)line, &file, &fline);
    int k = line ? snprintf(l->err, l->err_len, "%s:%d: %s: ", file, fline, key)
                 : snprintf(l->err, l->err_len, "%s: %s: ", file, key);
    if (k >= 0 && (size_t)k < l->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->err + k, l->err_len - (size_t)k, fmt, ap);
        va_end(ap);
    }
    cx_err_one_line(l->err, l->err_len);
    return CX_ERR_CONFIG;
}

int scn_oom(loader *l)
{
    cx_set_err(l->err, l->err_len, "%s: out of memory", l->file);
    return CX_ERR_NOMEM;
}

const char *scn_type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "nothing";
    }
}

/* Dotted keys; one longer than KEY_LEN is cut (names that long are not realistic). */
void scn_join(char *buf, const char *prefix, const char *name)
{
    int k = prefix[0] ? snprintf(buf, KEY_LEN, "%s.%s", prefix, name)
                      : snprintf(buf, KEY_LEN, "%s", name);
    if (k < 0)
        buf[0] = '\0';
}

void scn_join_index(char *buf, const char *prefix, int i)
{
    if (snprintf(buf, KEY_LEN, "%s[%d]", prefix, i) < 0)
        buf[0] = '\0';
}

/*
 * Case-insensitive optimal-string-alignment distance (insert, delete, substitute, swap two
 * neighbours: "mni" is one edit from "min"); words cut at 63 bytes.
 */
int scn_levenshtein(const char *a, const char *b)
{
    int na = (int)strnlen(a, 63), nb = (int)strnlen(b, 63);
    int d[64][64];
    for (int i = 0; i <= na; i++)
        d[i][0] = i;
    for (int j = 0; j <= nb; j++)
        d[0][j] = j;
    for (int i = 1; i <= na; i++)
        for (int j = 1; j <= nb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            int best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

int cx_levenshtein(const char *a, const char *b)
{
    return scn_levenshtein(a, b);
}

/*
 * Index of the candidate closest to word, or -1 when none is close enough to be a likely
 * misspelling: at most a third of the word's length (and at least 1, at most 3) edits.
 */
static int closest(const char *word, const char *const *cands, int n)
{
    int best = -1, best_d = 1 << 30;
    for (int i = 0; i < n; i++) {
        int d = scn_levenshtein(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    int len = (int)strlen(word);
    int limit = len / 3;
    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    return best_d <= limit ? best : -1;
}

static int count_names(const char *const *names)
{
    int n = 0;
    while (names[n])
        n++;
    return n;
}

bool scn_in_list(const char *name, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

const char *cx_name_hint(const char *word, const char *const *names, int n, char *buf,
                         size_t len)
{
    int c = closest(word, names, n);
    if (c >= 0) {
        snprintf(buf, len, "did you mean '%s'?", names[c]);
        return buf;
    }
    size_t used = 0;
    int k = snprintf(buf, len, "expected one of ");
    used = k > 0 && (size_t)k < len ? (size_t)k : 0;
    for (int i = 0; i < n && used < len; i++) {
        k = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (k < 0 || (size_t)k >= len - used) {
            if (len - used > 4 || used > 4) /* cut: end with "..." */
                snprintf(buf + (len - used > 4 ? used : len - 5), 5, " ...");
            break;
        }
        used += (size_t)k;
    }
    return buf;
}

/* Unknown key `child` at `prefix`, with a suggestion from the keys allowed there (or the list
 * of them when none is close). */
int scn_unknown_key(loader *l, const config_setting_t *child, const char *prefix,
                    const char *const *allowed)
{
    char key[KEY_LEN], sug[KEY_LEN];
    scn_join(key, prefix, config_setting_name(child));
    int i = closest(config_setting_name(child), allowed, count_names(allowed));
    if (i < 0)
        return scn_fail(l, child, key, "unknown key (%s)",
                        cx_name_hint(config_setting_name(child), allowed, count_names(allowed),
                                     sug, sizeof sug));
    scn_join(sug, prefix, allowed[i]);
    return scn_fail(l, child, key, "unknown key (did you mean '%s'?)", sug);
}

/* Every member of group g must be in allowed (NULL-terminated). */
int scn_check_keys(loader *l, const config_setting_t *g, const char *prefix,
                   const char *const *allowed)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *c = config_setting_get_elem(g, (unsigned)i);
        if (!scn_in_list(config_setting_name(c), allowed))
            return scn_unknown_key(l, c, prefix, allowed);
    }
    return 0;
}

/* ---------------------------------------------------------------- plain settings */

/* The member `name` of g, which must be a group when present. */
static int get_group(loader *l, const config_setting_t *g, const char *prefix, const char *name,
                     bool required, const config_setting_t **out)
{
    char key[KEY_LEN];
    scn_join(key, prefix, name);
    *out = g ? config_setting_get_member(g, name) : NULL;
    if (!*out) {
        if (required)
            return scn_fail(l, g, key, "missing required group %s = { ... }", name);
        return 0;
    }
    if (!config_setting_is_group(*out))
        return scn_fail(l, *out, key, "expected a group { ... }, got %s", scn_type_name(*out));
    return 0;
}

/*
 * The member `name` of g as get_group finds it, with every one of its members checked against
 * `allowed` (NULL-terminated) under the key prefix.name. Errors as get_group, then check_keys;
 * *out is NULL (and 0 returned) when the group is absent and not required.
 */
int scn_get_checked_group(loader *l, const config_setting_t *g, const char *prefix,
                          const char *name, bool required, const char *const *allowed,
                          const config_setting_t **out)
{
    char key[KEY_LEN];
    int rc = get_group(l, g, prefix, name, required, out);
    if (rc != 0 || !*out)
        return rc;
    scn_join(key, prefix, name);
    return scn_check_keys(l, *out, key, allowed);
}

int scn_number_of(loader *l, const config_setting_t *s, const char *key, double *v)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: *v = (double)config_setting_get_int64(s); return 0;
    case CONFIG_TYPE_FLOAT:
        *v = config_setting_get_float(s);
        /* libconfig has no nan/inf literals, but an overflowing literal (1e999) reads as inf */
        if (!isfinite(*v))
            return scn_fail(l, s, key, "a number must be finite, got %g", *v);
        return 0;
    default: return scn_fail(l, s, key, "expected a number, got %s", scn_type_name(s));
    }
}

int scn_get_bool(loader *l, const config_setting_t *g, const char *prefix, const char *name,
                 bool def, bool *out)
{
    const config_setting_t *s = g ? config_setting_get_member(g, name) : NULL;
    *out = def;
    if (!s)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        char key[KEY_LEN];
        scn_join(key, prefix, name);
        return scn_fail(l, s, key, "expected a boolean (true or false), got %s", scn_type_name(s));
    }
    *out = config_setting_get_bool(s) != 0;
    return 0;
}

int scn_string_of(loader *l, const config_setting_t *s, const char *key, const char **out)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return scn_fail(l, s, key, "expected a string, got %s", scn_type_name(s));
    *out = config_setting_get_string(s);
    return 0;
}

/* An optional string member; *out stays NULL when absent. */
int scn_get_string(loader *l, const config_setting_t *g, const char *prefix, const char *name,
                   const char **out, const config_setting_t **where)
{
    char key[KEY_LEN];
    scn_join(key, prefix, name);
    const config_setting_t *s = g ? config_setting_get_member(g, name) : NULL;
    *out = NULL;
    if (where)
        *where = s;
    if (!s)
        return 0;
    return scn_string_of(l, s, key, out);
}

/* An optional integer member in [lo, hi]; *out unchanged when absent. */
int scn_get_int(loader *l, const config_setting_t *g, const char *prefix, const char *name,
                long long lo, long long hi, long long *out, bool *present)
{
    char key[KEY_LEN];
    scn_join(key, prefix, name);
    const config_setting_t *s = g ? config_setting_get_member(g, name) : NULL;
    if (present)
        *present = s != NULL;
    if (!s)
        return 0;
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
        return scn_fail(l, s, key, "expected an integer, got %s", scn_type_name(s));
    long long v = config_setting_get_int64(s);
    if (v < lo || v > hi)
        return scn_fail(l, s, key, "must be in [%lld, %lld], got %lld", lo, hi, v);
    *out = v;
    return 0;
}

/* Whether s holds a control byte (C0 or DEL); newlines and tabs pass when text is true. */
bool scn_control_char(const char *s, bool text)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 || c == 0x7f) && !(text && (c == '\n' || c == '\t')))
            return true;
    }
    return false;
}

/* A name used inside dotted input names: no dots, brackets or spaces. */
bool scn_good_name(const char *s)
{
    if (!s[0])
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

/* A value that must be one of names (NULL-terminated); suggests the closest one. */
int scn_choose(loader *l, const config_setting_t *s, const char *key, const char *what,
               const char *const *names, int *out)
{
    const char *v = NULL;
    int rc = scn_string_of(l, s, key, &v);
    if (rc)
        return rc;
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    char list[KEY_LEN] = "";
    size_t used = 0;
    int n = count_names(names);
    for (int i = 0; i < n; i++) {
        int k = snprintf(list + used, sizeof list - used, "%s%s", i == 0 ? "" : ", ", names[i]);
        if (k < 0 || (size_t)k >= sizeof list - used)
            break;
        used += (size_t)k;
    }
    int c = closest(v, names, n);
    if (c >= 0)
        return scn_fail(l, s, key, "unknown %s \"%s\" (did you mean '%s'?)", what, v, names[c]);
    return scn_fail(l, s, key, "unknown %s \"%s\" (expected one of %s)", what, v, list);
}
