/*
 * buf.c - growable byte buffer (see buf.h).
 */
#include "buf.h"
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void avk_buf_init(avk_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void avk_buf_release(avk_buf *b)
{
    free(b->data);
    avk_buf_init(b);
}

void avk_buf_reset(avk_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int avk_buf_grow(avk_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > (size_t)-1 / 2 - b->len - 1)
        return AVK_EX_OSERR;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        return AVK_EX_OSERR;
    if (!b->data)
        p[0] = '\0';
    b->data = p;
    b->cap = cap;
    return 0;
}

int avk_buf_add(avk_buf *b, const void *data, size_t len)
{
    if (avk_buf_grow(b, len))
        return AVK_EX_OSERR;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int avk_buf_adds(avk_buf *b, const char *s)
{
    return avk_buf_add(b, s, strlen(s));
}

int avk_buf_addc(avk_buf *b, char c)
{
    return avk_buf_add(b, &c, 1);
}

int avk_buf_printf(avk_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || avk_buf_grow(b, (size_t)n))
        return AVK_EX_OSERR;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *avk_buf_detach(avk_buf *b)
{
    char *p;

    if (!b->data && avk_buf_grow(b, 0))
        return NULL;
    p = b->data;
    avk_buf_init(b);
    return p;
}

int avk_buf_read_fd(avk_buf *b, int fd)
{
    for (;;) {
        ssize_t n;

        if (avk_buf_grow(b, 65536))
            return AVK_EX_OSERR;
        n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return AVK_EX_IOERR;
        }
        if (n == 0)
            break;
        b->len += (size_t)n;
        b->data[b->len] = '\0';
    }
    return 0;
}
