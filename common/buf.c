/* SPDX-License-Identifier: MIT */
/*
 * Bounded growable buffer. Growth doubles up to the hard maximum; passing
 * the maximum frees the buffer so that a caller which ignores the error
 * cannot keep growing it.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

void ll_buf_init(struct ll_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void ll_buf_free(struct ll_buf *b)
{
    LL_FREE(b->data);
    b->len = 0;
    b->cap = 0;
}

void ll_buf_reset(struct ll_buf *b)
{
    b->len = 0;
}

/* Make room for need more bytes plus one spare for a NUL. */
static int reserve(struct ll_buf *b, size_t need)
{
    if (need > b->max || b->len > b->max - need) {
        ll_buf_free(b);
        return LL_ETOOBIG;
    }
    size_t want = b->len + need + 1;
    if (want <= b->cap)
        return 0;
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    uint8_t *p = ll_realloc(b->data, cap);
    if (p == NULL) {
        ll_buf_free(b);
        return LL_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int ll_buf_append(struct ll_buf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int ll_buf_append_byte(struct ll_buf *b, uint8_t c)
{
    return ll_buf_append(b, &c, 1);
}

int ll_buf_printf(struct ll_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_list ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    int rc = n < 0 ? LL_EINVAL : reserve(b, (size_t)n);
    if (rc == 0) {
        (void)vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
    return rc;
}

int ll_buf_cstr(struct ll_buf *b)
{
    int rc = reserve(b, 0);
    if (rc)
        return rc;
    b->data[b->len] = '\0';
    return 0;
}
