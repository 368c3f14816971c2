/* SPDX-License-Identifier: MIT */
/* Error codes shared by every capexsim module. */
#ifndef CX_SIM_ERROR_H
#define CX_SIM_ERROR_H

#include <stddef.h>

/* Functions that can fail return 0 or one of these (negative) codes. */
enum cx_err {
    CX_OK = 0,
    CX_ERR_NOMEM = -1,       /* an allocation failed */
    CX_ERR_IO = -2,          /* a file could not be read or written */
    CX_ERR_CONFIG = -3,      /* a scenario file is invalid (exit code 2) */
    CX_ERR_USAGE = -4,       /* bad command-line use (exit code 2) */
    CX_ERR_RANGE = -5,       /* an argument is out of its domain */
    CX_ERR_INTERNAL = -6,    /* a numerical routine failed */
    CX_ERR_INTERRUPTED = -7, /* the run was stopped by a signal */
};

/* @return a static, human-readable description of code (never NULL). */
const char *cx_strerror(int code);

/* Formats a one-line message into err (err_len bytes, truncated, NUL-terminated); does
 * nothing when err is NULL or err_len is 0. Every module's error text goes through it.
 * Control characters from the values in it (a newline in a string) are escaped
 * (cx_err_one_line), so a message is always one line. */
void cx_set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Escapes, in place, the control characters of the message in err as \n, \t, \r or \xHH
 * (truncating what no longer fits in err_len), so that it prints as one line. */
void cx_err_one_line(char *err, size_t err_len);

#endif
