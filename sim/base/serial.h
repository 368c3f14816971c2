/* SPDX-License-Identifier: MIT */
/* Byte buffers for checkpoints and MPI messages: append-only writer, bounds-checked reader. */
#ifndef CX_SIM_SERIAL_H
#define CX_SIM_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Values are stored in the machine's byte order (a checkpoint records that order and is
 * refused on a machine with another: see sim/engine/checkpoint.c); doubles by their bits, so that
 * a value read back is the same value, bit for bit (NaN payloads and signed zeros included).
 *
 * The writer grows as needed; after a failed allocation it keeps err = CX_ERR_NOMEM and
 * ignores further puts, so a sequence of puts is checked once, at the end.
 * The reader never reads past its end: a get past the end sets err = CX_ERR_RANGE and
 * returns zeros, so damaged input is found by checking err once, at the end.
 */
typedef struct cx_wbuf {
    unsigned char *p;
    size_t n, cap;
    int err;
} cx_wbuf;

typedef struct cx_rbuf {
    const unsigned char *p;
    size_t n, off;
    int err;
} cx_rbuf;

/* @note free with cx_wbuf_clear (a no-op on a zeroed buffer). */
void cx_wbuf_clear(cx_wbuf *w);
void cx_wbuf_put(cx_wbuf *w, const void *src, size_t n);
void cx_wbuf_u8(cx_wbuf *w, uint8_t v);
void cx_wbuf_u32(cx_wbuf *w, uint32_t v);
void cx_wbuf_u64(cx_wbuf *w, uint64_t v);
void cx_wbuf_f64(cx_wbuf *w, double v);
/* A length (u32) and the bytes; NULL is written as the empty string. */
void cx_wbuf_str(cx_wbuf *w, const char *s);

void cx_rbuf_init(cx_rbuf *r, const void *p, size_t n);
void cx_rbuf_get(cx_rbuf *r, void *dst, size_t n);
uint8_t cx_rbuf_u8(cx_rbuf *r);
uint32_t cx_rbuf_u32(cx_rbuf *r);
uint64_t cx_rbuf_u64(cx_rbuf *r);
double cx_rbuf_f64(cx_rbuf *r);
/*
 * A string written by cx_wbuf_str, as a new NUL-terminated copy (NULL and err set when
 * damaged: too long for the rest of the buffer, or holding a NUL byte).
 * @note the caller frees the result.
 */
char *cx_rbuf_str(cx_rbuf *r);
/* Bytes left to read. */
size_t cx_rbuf_left(const cx_rbuf *r);

#endif
