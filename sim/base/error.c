/* SPDX-License-Identifier: MIT */
/* Human-readable names for cx_err codes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/error.h"

const char *cx_strerror(int code)
{
    switch (code) {
    case CX_OK: return "success";
    case CX_ERR_NOMEM: return "out of memory";
    case CX_ERR_IO: return "input/output error";
    case CX_ERR_CONFIG: return "invalid scenario";
    case CX_ERR_USAGE: return "invalid usage";
    case CX_ERR_RANGE: return "argument out of range";
    case CX_ERR_INTERNAL: return "numerical failure";
    case CX_ERR_INTERRUPTED: return "interrupted";
    default: return "unknown error";
    }
}

void cx_err_one_line(char *err, size_t err_len)
{
    if (!err || err_len == 0)
        return;
    size_t n = strnlen(err, err_len - 1), extra = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)err[i];
        extra += c == '\n' || c == '\t' || c == '\r' ? 1 : c < 0x20 || c == 0x7f ? 3 : 0;
    }
    if (extra == 0)
        return;
    /* escape from the end, dropping what no longer fits */
    size_t out = n + extra < err_len - 1 ? n + extra : err_len - 1;
    char *tmp = malloc(n + extra + 1);
    if (!tmp) { /* no room to escape: blank the control characters instead */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
                err[i] = ' ';
        return;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)err[i];
        if (c == '\n' || c == '\t' || c == '\r') {
            tmp[j++] = '\\';
            tmp[j++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(tmp + j, 5, "\\x%02x", c);
            j += 4;
        } else {
            tmp[j++] = (char)c;
        }
    }
    memcpy(err, tmp, out);
    err[out] = '\0';
    free(tmp);
}

void cx_set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    cx_err_one_line(err, err_len);
}
