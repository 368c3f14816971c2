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

/*
 * One pass over text. Returns CX_ERR_CONFIG with the message for the first integer literal
 * that libconfig would change; when dup_line > 0, instead looks for the first setting name on
 * that line that an earlier setting of the same group already has, and writes its key to
 * dup_key (empty when none is found).
 */
int scn_lex_scan(const source *src, const char *text, int dup_line, char *dup_key,
                    char *err, size_t err_len)
{
    lex_frame *fr = malloc(LEX_DEPTH * sizeof *fr);
    lex_name *names = NULL;
    size_t n_names = 0, cap_names = 0;
    int depth = 0, extra = 0; /* frames past LEX_DEPTH are counted, not kept */
    long serial = 0;
    int line = 1, rc = 0;
    if (!fr) {
        cx_set_err(err, err_len, "%s: out of memory", src->files[0]);
        return CX_ERR_NOMEM;
    }
    if (dup_key)
        dup_key[0] = '\0';
    fr[0] = (lex_frame){.kind = '{', .serial = 0};
    fr[0].key[0] = fr[0].pending[0] = '\0';
    const char *p = text;
    while (*p) {
        char c = *p;
        lex_frame *top = &fr[depth];
        if (c == '\n') {
            line++;
            p++;
        } else if (c == '#' || (c == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            p += *p ? 2 : 0;
        } else if (c == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1] && p[1] != '\n')
                    p++;
                line += *p == '\n';
            }
            p += *p ? 1 : 0;
        } else if (name_start(c)) {
            const char *a = p;
            while (name_char(*p))
                p++;
            const char *q = p;
            while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                q++;
            if ((*q == '=' || *q == ':') && top->kind == '{' && !extra) {
                size_t n = (size_t)(p - a) < KEY_LEN - 1 ? (size_t)(p - a) : KEY_LEN - 1;
                memcpy(top->pending, a, n);
                top->pending[n] = '\0';
                if (dup_line > 0) {
                    if (line == dup_line) {
                        for (size_t k = 0; k < n_names; k++)
                            if (names[k].serial == top->serial && names[k].n == (size_t)(p - a) &&
                                memcmp(names[k].p, a, (size_t)(p - a)) == 0) {
                                scn_join(dup_key, top->key, top->pending);
                                goto done;
                            }
                    }
                    if (n_names == cap_names) {
                        size_t cap = cap_names ? 2 * cap_names : 256;
                        lex_name *nn = realloc(names, cap * sizeof *nn);
                        if (!nn) {
                            rc = CX_ERR_NOMEM;
                            cx_set_err(err, err_len, "%s: out of memory", src->files[0]);
                            goto done;
                        }
                        names = nn;
                        cap_names = cap;
                    }
                    names[n_names++] = (lex_name){top->serial, a, (size_t)(p - a)};
                }
            }
        } else if (c == '{' || c == '(' || c == '[') {
            if (depth + 1 < LEX_DEPTH && !extra) {
                lex_frame *f = &fr[depth + 1];
                char key[KEY_LEN];
                lex_child_key(top, key); /* not straight into f->key: same array as top */
                memcpy(f->key, key, sizeof key);
                f->kind = c;
                f->idx = 0;
                f->serial = ++serial;
                f->pending[0] = '\0';
                depth++;
            } else {
                extra++;
            }
            p++;
        } else if (c == '}' || c == ')' || c == ']') {
            if (extra)
                extra--;
            else if (depth > 0)
                depth--;
            p++;
        } else if (c == ',') {
            if (!extra && top->kind != '{')
                top->idx++;
            p++;
        } else if (c == '.' && isdigit((unsigned char)p[1])) {
            while (isalnum((unsigned char)*p) || *p == '.' ||
                   ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
                p++;
        } else if (isdigit((unsigned char)c) ||
                   ((c == '-' || c == '+') && (isdigit((unsigned char)p[1]) || p[1] == '.'))) {
            const char *start = p, *d = (c == '-' || c == '+') ? p + 1 : p;
            bool neg = c == '-';
            bool hex = d[0] == '0' && (d[1] == 'x' || d[1] == 'X');
            const char *e = hex ? d + 2 : d;
            while (hex ? isxdigit((unsigned char)*e) : isdigit((unsigned char)*e))
                e++;
            if (!hex && (*e == '.' || *e == 'e' || *e == 'E')) { /* a float */
                p = e;
                while (isalnum((unsigned char)*p) || *p == '.' ||
                       ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
                    p++;
                continue;
            }
            const char *suf = e;
            int n_l = 0;
            while (*suf == 'L') {
                suf++;
                n_l++;
            }
            p = suf;
            if (name_char(*suf) || (hex && e == d + 2))
                continue; /* not a literal libconfig reads (it will say so) */
            errno = 0;
            unsigned long long v = strtoull(hex ? d + 2 : d, NULL, hex ? 16 : 10);
            bool range = errno == ERANGE;
            unsigned long long max32 = neg ? 2147483648ULL : 2147483647ULL;
            unsigned long long max64 = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
            bool bad32 = n_l == 0 && (range || v > max32);
            bool bad64 = n_l > 0 && (range || v > max64);
            if (!bad32 && !bad64)
                continue;
            if (dup_line > 0)
                continue;
            char key[KEY_LEN];
            lex_child_key(top, key);
            const char *file = src->files[0];
            int fline = line;
            scn_src_where(src, line, &file, &fline);
            int n = (int)(e - start);
            bool fits64 = !range && v <= max64;
            if (bad32 && fits64)
                scn_src_fail(err, err_len, file, fline,
                         "%s: integer %.*s does not fit in 32 bits, and libconfig would silently "
                         "change it: write %.*sL (64-bit)%s%.*s%s", key, n, start, n, start,
                         hex ? "" : " or ", hex ? 0 : n, start, hex ? "" : ".0");
            else if (hex)
                scn_src_fail(err, err_len, file, fline,
                         "%s: integer %.*s%s does not fit in 64 bits (at most "
                         "0x7fffffffffffffffL), and libconfig would silently change it",
                         key, n, start, n_l ? "L" : "");
            else
                scn_src_fail(err, err_len, file, fline,
                         "%s: integer %.*s%s does not fit in 64 bits, and libconfig would "
                         "silently change it: write %.*s.0 (a number)", key, n, start,
                         n_l ? "L" : "", n, start);
            rc = CX_ERR_CONFIG;
            goto done;
        } else {
            p++;
        }
    }
done:
    free(fr);
    free(names);
    return rc;
}

/*
 * Parses the expanded text of src (sc->path records path). Integer literals are checked
 * first, then libconfig parses, then the groups are read.
 */
