/* SPDX-License-Identifier: MIT */
/* Byte buffers for checkpoints and MPI messages: append-only writer, bounds-checked reader. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sim/base/error.h"
#include "sim/base/serial.h"

void cx_wbuf_clear(cx_wbuf *w)
{
    free(w->p);
    memset(w, 0, sizeof *w);
}

void cx_wbuf_put(cx_wbuf *w, const void *src, size_t n)
{
    if (w->err || n == 0) return;
    if (w->cap - w->n < n) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap - w->n < n) {
            if (cap > SIZE_MAX / 2) {
                w->err = CX_ERR_NOMEM;
                return;
            }
            cap *= 2;
        }
        unsigned char *p = realloc(w->p, cap);
        if (!p) {
            w->err = CX_ERR_NOMEM;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->n, src, n);
    w->n += n;
}

void cx_wbuf_u8(cx_wbuf *w, uint8_t v)
{
    cx_wbuf_put(w, &v, sizeof v);
}

void cx_wbuf_u32(cx_wbuf *w, uint32_t v)
{
    cx_wbuf_put(w, &v, sizeof v);
}

void cx_wbuf_u64(cx_wbuf *w, uint64_t v)
{
    cx_wbuf_put(w, &v, sizeof v);
}

void cx_wbuf_f64(cx_wbuf *w, double v)
{
    cx_wbuf_put(w, &v, sizeof v);
}

void cx_wbuf_str(cx_wbuf *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > UINT32_MAX) {
        w->err = CX_ERR_RANGE;
        return;
    }
    cx_wbuf_u32(w, (uint32_t)n);
    cx_wbuf_put(w, s, n);
}

void cx_rbuf_init(cx_rbuf *r, const void *p, size_t n)
{
    r->p = p;
    r->n = n;
    r->off = 0;
    r->err = 0;
}

void cx_rbuf_get(cx_rbuf *r, void *dst, size_t n)
{
    if (n == 0) return; /* dst may then be NULL */
    if (r->err || r->n - r->off < n) {
        r->err = CX_ERR_RANGE;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p + r->off, n);
    r->off += n;
}

uint8_t cx_rbuf_u8(cx_rbuf *r)
{
    uint8_t v;
    cx_rbuf_get(r, &v, sizeof v);
    return v;
}

uint32_t cx_rbuf_u32(cx_rbuf *r)
{
    uint32_t v;
    cx_rbuf_get(r, &v, sizeof v);
    return v;
}

uint64_t cx_rbuf_u64(cx_rbuf *r)
{
    uint64_t v;
    cx_rbuf_get(r, &v, sizeof v);
    return v;
}

double cx_rbuf_f64(cx_rbuf *r)
{
    double v;
    cx_rbuf_get(r, &v, sizeof v);
    return v;
}

size_t cx_rbuf_left(const cx_rbuf *r)
{
    return r->err ? 0 : r->n - r->off;
}

char *cx_rbuf_str(cx_rbuf *r)
{
    uint32_t n = cx_rbuf_u32(r);
    if (r->err || n > cx_rbuf_left(r) || memchr(r->p + r->off, 0, n)) {
        r->err = CX_ERR_RANGE;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->err = CX_ERR_NOMEM;
        return NULL;
    }
    cx_rbuf_get(r, s, n);
    s[n] = 0;
    return s;
}
