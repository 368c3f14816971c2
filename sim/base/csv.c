/* SPDX-License-Identifier: MIT */
/* CSV cells that spreadsheets open safely: the one writer of text cells for every CSV. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sim/base/csv.h"

static int cell(FILE *f, const char *s, bool always)
{
    /* OWASP's list: a cell starting with one of these is run as a formula */
    bool formula = s[0] && strchr("=+-@\t\r", s[0]) != NULL;
    if (!always && !formula && !strpbrk(s, ",\"\r\n")) return fputs(s, f) == EOF ? EOF : 0;
    putc('"', f);
    if (formula) putc('\'', f);
    for (; *s; s++) {
        if (*s == '"') putc('"', f);
        putc(*s, f);
    }
    return putc('"', f) == EOF || ferror(f) ? EOF : 0;
}

int cx_csv_text(FILE *f, const char *s)
{
    return cell(f, s, false);
}

int cx_csv_text_quoted(FILE *f, const char *s)
{
    return cell(f, s, true);
}

int cx_csv_text_comma(FILE *f, const char *s)
{
    if (cx_csv_text(f, s) == EOF) return EOF;
    return putc(',', f) == EOF ? EOF : 0;
}
