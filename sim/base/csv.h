/* SPDX-License-Identifier: MIT */
/* CSV cells that spreadsheets open safely: the one writer of text cells for every CSV. */
#ifndef CX_SIM_CSV_H
#define CX_SIM_CSV_H

#include <stdio.h>

/*
 * Writes a text cell (a name from a scenario, a label) to f. Quoted per RFC 4180 when it holds
 * a comma, a double quote, CR or LF (quotes doubled). A cell that begins with =, +, -, @, a tab
 * or CR is a formula to a spreadsheet: it is written with a single quote in front (OWASP, "CSV
 * Injection"), and quoted. Numbers never go through here: they are written as numbers.
 * @return 0, or EOF when a write failed (ferror(f) is set).
 */
int cx_csv_text(FILE *f, const char *s);
/* The same, followed by a comma. */
int cx_csv_text_comma(FILE *f, const char *s);
/* The same, always quoted (for columns that have always been quoted). */
int cx_csv_text_quoted(FILE *f, const char *s);

#endif
