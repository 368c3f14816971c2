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
#include <strings.h>
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

/* ---------------------------------------------------------------- syntax errors */

/*
 * libconfig says only "syntax error" and a line, and for an unclosed quote or bracket the
 * line where it noticed, not where the mistake is. When it fails, this second pass reads the
 * text with libconfig's grammar (settings NAME = VALUE with an optional ';' or ','; a value is
 * a number, strings, a boolean, { settings }, ( values ) or [ scalars ]) and names the first
 * token that does not fit: its line and column, what was expected there, and for a bracket
 * or quote left open, where it opened. It is only a diagnosis: libconfig stays the parser.
 */
#define SYN_OPEN 64

typedef enum tok_kind { T_END, T_NAME, T_NUM, T_STR, T_BOOL, T_PUNCT, T_BAD } tok_kind;

typedef struct syn {
    const source *src;
    const char *text, *p, *line_start;
    int line;
    tok_kind kind; /* the current token */
    const char *tok;
    int tok_len, tok_line, tok_col;
    char *err;
    size_t err_len;
    int failed;
    int str_line, str_col, str_end; /* the last string that spans lines (0: none) */
    int n_open;                     /* brackets open, innermost last (the first SYN_OPEN) */
    char open_ch[SYN_OPEN];
    int open_line[SYN_OPEN], open_col[SYN_OPEN];
} syn;

static void syn_where(const syn *s, int here, int line, int col, char *buf, size_t n);

/* "FILE:LINE:COL: syntax error: message" for a position of the expanded text. @return -1 */
__attribute__((format(printf, 4, 5))) static int syn_fail(syn *s, int line, int col,
                                                          const char *fmt, ...)
{
    if (s->failed)
        return -1;
    s->failed = 1;
    const char *file = s->src->files[0];
    int fline = line;
    scn_src_where(s->src, line, &file, &fline);
    char msg[KEY_LEN], open[2 * KEY_LEN] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->kind == T_END && s->n_open > 0 && s->n_open <= SYN_OPEN) {
        int k = s->n_open - 1;
        char at[KEY_LEN];
        syn_where(s, line, s->open_line[k], s->open_col[k], at, sizeof at);
        snprintf(open, sizeof open, " (the '%c' opened at %s is not closed)", s->open_ch[k], at);
    }
    /* libconfig's strings may span lines, so an unclosed quote shows only as an error on the
     * lines after it: name the quote when the error comes right after such a string */
    if (s->str_line && line <= s->str_end + 1) {
        const char *sfile = s->src->files[0];
        int sline = s->str_line;
        scn_src_where(s->src, s->str_line, &sfile, &sline);
        cx_set_err(s->err, s->err_len, "%s:%d:%d: syntax error: the string opened here is not "
                   "closed on its line (a missing '\"'?); reading on, line %d, column %d: %s%s",
                   sfile, sline, s->str_col, fline, col, msg, open);
        return -1;
    }
    cx_set_err(s->err, s->err_len, "%s:%d:%d: syntax error: %s%s", file, fline, col, msg, open);
    return -1;
}

/* "line L, column C" of a position (L in the file of `here`'s line, else FILE:L). */
static void syn_where(const syn *s, int here, int line, int col, char *buf, size_t n)
{
    const char *f0 = s->src->files[0], *f1 = f0;
    int l0 = here, l1 = line;
    scn_src_where(s->src, here, &f0, &l0);
    scn_src_where(s->src, line, &f1, &l1);
    if (strcmp(f0, f1) == 0)
        snprintf(buf, n, "line %d, column %d", l1, col);
    else
        snprintf(buf, n, "%s:%d, column %d", f1, l1, col);
}

/* Past blanks and comments. @return -1 on an unclosed comment. */
static int syn_blank(syn *s)
{
    for (;;) {
        const char *p = s->p;
        if (*p == '\n') {
            s->line++;
            s->line_start = p + 1;
            s->p++;
        } else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') {
            s->p++;
        } else if (*p == '#' || (*p == '/' && p[1] == '/')) {
            while (*s->p && *s->p != '\n')
                s->p++;
        } else if (*p == '/' && p[1] == '*') {
            int l = s->line, c = (int)(p - s->line_start) + 1;
            for (s->p += 2; *s->p && !(s->p[0] == '*' && s->p[1] == '/'); s->p++)
                if (*s->p == '\n') {
                    s->line++;
                    s->line_start = s->p + 1;
                }
            if (!*s->p)
                return syn_fail(s, l, c, "the comment opened here with '/*' is never closed "
                                "(expected '*/')");
            s->p += 2;
        } else {
            return 0;
        }
    }
}

/* The next token into s->kind, s->tok... @return -1 on an unclosed string or comment. */
static int syn_next(syn *s)
{
    if (syn_blank(s) < 0)
        return -1;
    const char *p = s->p;
    s->tok = p;
    s->tok_line = s->line;
    s->tok_col = (int)(p - s->line_start) + 1;
    if (!*p) {
        s->kind = T_END;
        s->tok_len = 0;
        return 0;
    }
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (*p == '\n') {
                s->line++;
                s->line_start = p + 1;
            }
        }
        if (*p != '"')
            return syn_fail(s, s->tok_line, s->tok_col,
                            "a string opened here that is never closed (expected '\"')");
        if (s->line > s->tok_line) {
            s->str_line = s->tok_line;
            s->str_col = s->tok_col;
            s->str_end = s->line;
        }
        s->kind = T_STR;
        s->p = p + 1;
    } else if (name_start(*p)) {
        while (name_char(*p))
            p++;
        size_t n = (size_t)(p - s->tok);
        s->kind = (n == 4 && strncasecmp(s->tok, "true", 4) == 0) ||
                          (n == 5 && strncasecmp(s->tok, "false", 5) == 0)
                      ? T_BOOL
                      : T_NAME;
        s->p = p;
    } else if (isdigit((unsigned char)*p) || *p == '.' ||
               ((*p == '-' || *p == '+') && (isdigit((unsigned char)p[1]) || p[1] == '.'))) {
        p = skip_float(p + 1);
        s->kind = T_NUM;
        s->p = p;
    } else if (strchr("=:;,{}()[]", *p)) {
        s->kind = T_PUNCT;
        s->p = p + 1;
    } else {
        s->kind = T_BAD;
        s->p = p + 1;
    }
    s->tok_len = (int)(s->p - s->tok);
    return 0;
}

static bool syn_is(const syn *s, char c)
{
    return s->kind == T_PUNCT && s->tok[0] == c;
}

/* The current token for a message: 'x', "end of file". */
static const char *syn_got(const syn *s, char *buf, size_t n)
{
    if (s->kind == T_END)
        return "the end of the file";
    int len = s->tok_len > 40 ? 40 : s->tok_len;
    snprintf(buf, n, "'%.*s'", len, s->tok);
    return buf;
}

static int syn_value(syn *s, int depth, bool scalar_only);

/* Settings up to `close` ('}' of a group opened at line/col, or '\0' for the file). */
static int syn_settings(syn *s, char close, int line, int col, int depth)
{
    char got[64], at[KEY_LEN];
    for (;;) {
        if (close && syn_is(s, close))
            return syn_next(s);
        if (s->kind == T_END) {
            if (!close)
                return 0;
            return syn_fail(s, s->tok_line, s->tok_col, "end of the file, expected '}'");
        }
        if (s->kind != T_NAME) {
            if (close) {
                syn_where(s, s->tok_line, line, col, at, sizeof at);
                return syn_fail(s, s->tok_line, s->tok_col,
                                "expected a setting name or the '}' that closes the group "
                                "opened at %s, got %s", at, syn_got(s, got, sizeof got));
            }
            return syn_fail(s, s->tok_line, s->tok_col, "expected a setting name, got %s",
                            syn_got(s, got, sizeof got));
        }
        char name[64];
        snprintf(name, sizeof name, "%.*s", s->tok_len > 40 ? 40 : s->tok_len, s->tok);
        if (syn_next(s) < 0)
            return -1;
        if (!syn_is(s, '=') && !syn_is(s, ':'))
            return syn_fail(s, s->tok_line, s->tok_col, "expected '=' after '%s', got %s", name,
                            syn_got(s, got, sizeof got));
        if (syn_next(s) < 0 || syn_value(s, depth, false) < 0)
            return -1;
        if ((syn_is(s, ';') || syn_is(s, ',')) && syn_next(s) < 0)
            return -1;
    }
}

/* Values up to `close` (')' of a list, ']' of an array) opened at line/col. */
static int syn_elements(syn *s, char close, int line, int col, int depth)
{
    char got[64], at[KEY_LEN];
    const bool array = close == ']';
    if (syn_is(s, close))
        return syn_next(s);
    for (;;) {
        if (syn_value(s, depth, array) < 0)
            return -1;
        if (syn_is(s, close))
            return syn_next(s);
        if (!syn_is(s, ',')) {
            syn_where(s, s->tok_line, line, col, at, sizeof at);
            return syn_fail(s, s->tok_line, s->tok_col,
                            "expected ',' or the '%c' that closes the %s opened at %s, got %s",
                            close, array ? "array" : "list", at, syn_got(s, got, sizeof got));
        }
        if (syn_next(s) < 0)
            return -1;
    }
}

static int syn_value(syn *s, int depth, bool scalar_only)
{
    char got[64];
    int line = s->tok_line, col = s->tok_col;
    if (s->kind == T_NUM || s->kind == T_BOOL)
        return syn_next(s);
    if (s->kind == T_STR) {
        while (s->kind == T_STR) /* adjacent strings are one */
            if (syn_next(s) < 0)
                return -1;
        return 0;
    }
    if (!scalar_only && depth < 1000 && (syn_is(s, '{') || syn_is(s, '(') || syn_is(s, '['))) {
        char open = s->tok[0];
        if (s->n_open < SYN_OPEN) {
            s->open_ch[s->n_open] = open;
            s->open_line[s->n_open] = line;
            s->open_col[s->n_open] = col;
        }
        s->n_open++;
        if (syn_next(s) < 0)
            return -1;
        int rc = open == '{' ? syn_settings(s, '}', line, col, depth + 1)
                             : syn_elements(s, open == '(' ? ')' : ']', line, col, depth + 1);
        s->n_open--;
        return rc;
    }
    if (scalar_only)
        return syn_fail(s, line, col, "expected a number, a string or a boolean (an array "
                        "[ ... ] holds scalars of one type), got %s", syn_got(s, got, sizeof got));
    return syn_fail(s, line, col, "expected a value (a number, a \"string\", true or false, "
                    "{ group }, ( list ) or [ array ]), got %s", syn_got(s, got, sizeof got));
}

int scn_lex_syntax(const source *src, const char *text, char *err, size_t err_len)
{
    syn s = {.src = src, .text = text, .p = text, .line_start = text, .line = 1, .err = err,
             .err_len = err_len};
    if (syn_next(&s) < 0 || syn_settings(&s, '\0', 0, 0, 0) < 0)
        return CX_ERR_CONFIG;
    return 0;
}
