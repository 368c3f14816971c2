/* SPDX-License-Identifier: MIT */
/* Scenario files: a lexical pass over the expanded text (integer literals, duplicate names). */

/*
 * libconfig silently wraps or saturates an integer literal that does not fit its type, and
 * names only the line of a duplicate setting; this pass, run before libconfig parses, finds
 * the first such literal and can name the duplicate's full dotted key.
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

/* ---------------------------------------------------------------- integer literals */

/*
 * libconfig 1.5 reads an integer literal that does not fit its type without complaint:
 * a 32-bit one wraps (9999999999 becomes 1410065407, 0xffffffff becomes -1), a 64-bit one
 * (suffix L) saturates or wraps (99999999999999999999999L becomes 9223372036854775807,
 * 0xfffffffffffffffeL becomes -2). That would silently change a seed, a path count or a
 * value, so this lexical pass over the expanded text finds such literals before libconfig
 * reads it. It follows libconfig's tokens: comments and strings are skipped, names
 * ([A-Za-z*][-A-Za-z0-9_*]*) are read whole, a sign belongs to a decimal literal, floats
 * (a '.' or an exponent) are skipped. It keeps the dotted key of the setting it is in
 * (groups, and [i] in lists and arrays) for the message, and can also name the duplicate
 * setting libconfig reports as "duplicate setting name" (dup_line > 0).
 */
typedef struct lex_frame {
    char kind;      /* '{' group (and the root), '(' list, '[' array */
    int idx;        /* element of a list or array */
    long serial;    /* which group, for duplicate names */
    char key[KEY_LEN];
    char pending[KEY_LEN]; /* the last setting name read in a group */
} lex_frame;

#define LEX_DEPTH 64

typedef struct lex_name {
    long serial;
    const char *p;
    size_t n;
} lex_name;

static bool name_start(char c)
{
    return isalpha((unsigned char)c) || c == '*';
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '*';
}

/* The key of the value about to be read in frame f. */
static void lex_child_key(const lex_frame *f, char *buf)
{
    if (f->kind == '{')
        scn_join(buf, f->key, f->pending);
    else
        scn_join_index(buf, f->key, f->idx);
}

/* Where a pass over the text stands: the frames of the groups, lists and arrays it is in,
 * and (when looking for a duplicate) the names read so far. */
typedef struct lexer {
    const source *src;
    const char *p;      /* next character */
    int line;
    lex_frame *fr;
    int depth, extra;   /* frames past LEX_DEPTH are counted, not kept */
    long serial;
    lex_name *names;
    size_t n_names, cap_names;
    int dup_line;
    char *dup_key;
    char *err;
    size_t err_len;
} lexer;

/* Past a name (at lx->p) and, when it names a setting of a group (a '=' or ':' follows), kept
 * as the group's pending name; when looking for a duplicate on dup_line, compared with the
 * group's earlier names. @return 0 to go on, 1 when the duplicate is found (in dup_key),
 * CX_ERR_NOMEM */
static int lex_setting_name(lexer *lx)
{
    lex_frame *top = &lx->fr[lx->depth];
    const char *a = lx->p, *p = lx->p;
    while (name_char(*p))
        p++;
    lx->p = p;
    const char *q = p;
    while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
        q++;
    if (!((*q == '=' || *q == ':') && top->kind == '{' && !lx->extra))
        return 0;
    size_t n = (size_t)(p - a) < KEY_LEN - 1 ? (size_t)(p - a) : KEY_LEN - 1;
    memcpy(top->pending, a, n);
    top->pending[n] = '\0';
    if (lx->dup_line <= 0)
        return 0;
    if (lx->line == lx->dup_line) {
        for (size_t k = 0; k < lx->n_names; k++)
            if (lx->names[k].serial == top->serial && lx->names[k].n == (size_t)(p - a) &&
                memcmp(lx->names[k].p, a, (size_t)(p - a)) == 0) {
                scn_join(lx->dup_key, top->key, top->pending);
                return 1;
            }
    }
    if (lx->n_names == lx->cap_names) {
        size_t cap = lx->cap_names ? 2 * lx->cap_names : 256;
        lex_name *nn = realloc(lx->names, cap * sizeof *nn);
        if (!nn) {
            cx_set_err(lx->err, lx->err_len, "%s: out of memory", lx->src->files[0]);
            return CX_ERR_NOMEM;
        }
        lx->names = nn;
        lx->cap_names = cap;
    }
    lx->names[lx->n_names++] = (lex_name){top->serial, a, (size_t)(p - a)};
    return 0;
}

/* Into a group, list or array (c: its opening bracket, at lx->p). */
static void lex_open(lexer *lx, char c)
{
    if (lx->depth + 1 < LEX_DEPTH && !lx->extra) {
        lex_frame *f = &lx->fr[lx->depth + 1];
        char key[KEY_LEN];
        lex_child_key(&lx->fr[lx->depth], key); /* not straight into f->key: same array */
        memcpy(f->key, key, sizeof key);
        f->kind = c;
        f->idx = 0;
        f->serial = ++lx->serial;
        f->pending[0] = '\0';
        lx->depth++;
    } else {
        lx->extra++;
    }
    lx->p++;
}

/* Past the rest of a float from p (its digits, '.', exponent and sign). */
static const char *skip_float(const char *p)
{
    while (isalnum((unsigned char)*p) || *p == '.' ||
           ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
        p++;
    return p;
}

/* The message for the integer literal [start, e) that libconfig would change (bad32: a
 * 32-bit one; fits64: it would fit with an L). @return CX_ERR_CONFIG */
static int literal_fail(const lexer *lx, const char *start, const char *e, bool hex, int n_l,
                        bool bad32, bool fits64)
{
    char key[KEY_LEN];
    lex_child_key(&lx->fr[lx->depth], key);
    const char *file = lx->src->files[0];
    int fline = lx->line;
    scn_src_where(lx->src, lx->line, &file, &fline);
    int n = (int)(e - start);
    if (bad32 && fits64)
        scn_src_fail(lx->err, lx->err_len, file, fline,
                     "%s: integer %.*s does not fit in 32 bits, and libconfig would silently "
                     "change it: write %.*sL (64-bit)%s%.*s%s", key, n, start, n, start,
                     hex ? "" : " or ", hex ? 0 : n, start, hex ? "" : ".0");
    else if (hex)
        scn_src_fail(lx->err, lx->err_len, file, fline,
                     "%s: integer %.*s%s does not fit in 64 bits (at most "
                     "0x7fffffffffffffffL), and libconfig would silently change it",
                     key, n, start, n_l ? "L" : "");
    else
        scn_src_fail(lx->err, lx->err_len, file, fline,
                     "%s: integer %.*s%s does not fit in 64 bits, and libconfig would "
                     "silently change it: write %.*s.0 (a number)", key, n, start,
                     n_l ? "L" : "", n, start);
    return CX_ERR_CONFIG;
}

/* Past a number (at lx->p: a digit, or a sign before a digit or '.'); an integer literal
 * libconfig would change is an error unless looking for a duplicate.
 * @return 0 to go on, CX_ERR_CONFIG */
static int lex_number(lexer *lx)
{
    const char *p = lx->p;
    const char c = *p;
    const char *start = p, *d = (c == '-' || c == '+') ? p + 1 : p;
    bool neg = c == '-';
    bool hex = d[0] == '0' && (d[1] == 'x' || d[1] == 'X');
    const char *e = hex ? d + 2 : d;
    while (hex ? isxdigit((unsigned char)*e) : isdigit((unsigned char)*e))
        e++;
    if (!hex && (*e == '.' || *e == 'e' || *e == 'E')) { /* a float */
        lx->p = skip_float(e);
        return 0;
    }
    const char *suf = e;
    int n_l = 0;
    while (*suf == 'L') {
        suf++;
        n_l++;
    }
    lx->p = suf;
    if (name_char(*suf) || (hex && e == d + 2))
        return 0; /* not a literal libconfig reads (it will say so) */
    errno = 0;
    unsigned long long v = strtoull(hex ? d + 2 : d, NULL, hex ? 16 : 10);
    bool range = errno == ERANGE;
    unsigned long long max32 = neg ? 2147483648ULL : 2147483647ULL;
    unsigned long long max64 = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
    bool bad32 = n_l == 0 && (range || v > max32);
    bool bad64 = n_l > 0 && (range || v > max64);
    if ((!bad32 && !bad64) || lx->dup_line > 0)
        return 0;
    return literal_fail(lx, start, e, hex, n_l, bad32, !range && v <= max64);
}

/* Past a comment or a string at lx->p (counting its lines). */
static void lex_skip(lexer *lx)
{
    const char *p = lx->p;
    if (*p == '#' || (*p == '/' && p[1] == '/')) {
        while (*p && *p != '\n')
            p++;
    } else if (*p == '/' && p[1] == '*') {
        for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
            lx->line += *p == '\n';
        p += *p ? 2 : 0;
    } else { /* '"' */
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1] && p[1] != '\n')
                p++;
            lx->line += *p == '\n';
        }
        p += *p ? 1 : 0;
    }
    lx->p = p;
}

/*
 * One pass over text. Returns CX_ERR_CONFIG with the message for the first integer literal
 * that libconfig would change; when dup_line > 0, instead looks for the first setting name on
 * that line that an earlier setting of the same group already has, and writes its key to
 * dup_key (empty when none is found).
 */
int scn_lex_scan(const source *src, const char *text, int dup_line, char *dup_key, char *err,
                 size_t err_len)
{
    lexer lx = {.src = src, .p = text, .line = 1, .dup_line = dup_line, .dup_key = dup_key,
                .err = err, .err_len = err_len};
    int rc = 0;
    if (!(lx.fr = malloc(LEX_DEPTH * sizeof *lx.fr))) {
        cx_set_err(err, err_len, "%s: out of memory", src->files[0]);
        return CX_ERR_NOMEM;
    }
    if (dup_key)
        dup_key[0] = '\0';
    lx.fr[0] = (lex_frame){.kind = '{', .serial = 0};
    lx.fr[0].key[0] = lx.fr[0].pending[0] = '\0';
    while (*lx.p && rc == 0) {
        const char c = *lx.p, *p = lx.p;
        if (c == '\n') {
            lx.line++;
            lx.p++;
        } else if (c == '#' || c == '"' || (c == '/' && (p[1] == '/' || p[1] == '*'))) {
            lex_skip(&lx);
        } else if (name_start(c)) {
            rc = lex_setting_name(&lx);
        } else if (c == '{' || c == '(' || c == '[') {
            lex_open(&lx, c);
        } else if (c == '}' || c == ')' || c == ']') {
            if (lx.extra)
                lx.extra--;
            else if (lx.depth > 0)
                lx.depth--;
            lx.p++;
        } else if (c == ',') {
            if (!lx.extra && lx.fr[lx.depth].kind != '{')
                lx.fr[lx.depth].idx++;
            lx.p++;
        } else if (c == '.' && isdigit((unsigned char)p[1])) {
            lx.p = skip_float(p);
        } else if (isdigit((unsigned char)c) ||
                   ((c == '-' || c == '+') && (isdigit((unsigned char)p[1]) || p[1] == '.'))) {
            rc = lex_number(&lx);
        } else {
            lx.p++;
        }
    }
    free(lx.fr);
    free(lx.names);
    return rc == 1 ? 0 : rc;
}

/*
 * Parses the expanded text of src (sc->path records path). Integer literals are checked
 * first, then libconfig parses, then the groups are read.
 */
