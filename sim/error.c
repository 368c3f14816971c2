/* SPDX-License-Identifier: MIT */
/* Human-readable names for cx_err codes. */
#include <stdarg.h>
#include <stdio.h>

#include "sim/error.h"

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

void cx_set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}
