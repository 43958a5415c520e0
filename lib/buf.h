/*
 * buf.h - a growable byte buffer that is always NUL-terminated.
 *
 * avk_buf is caller-owned: avk_buf_init() before use, avk_buf_release()
 * after.  The appending functions return 0, or AVK_EX_OSERR when memory
 * runs out, in which case the buffer keeps its previous contents.
 */
#ifndef AVK_BUF_H
#define AVK_BUF_H

#include <stddef.h>

typedef struct avk_buf {
    char *data; /* always NUL-terminated once anything was added */
    size_t len;
    size_t cap;
} avk_buf;

void avk_buf_init(avk_buf *b);
void avk_buf_release(avk_buf *b);
void avk_buf_reset(avk_buf *b);
int avk_buf_grow(avk_buf *b, size_t extra);
int avk_buf_add(avk_buf *b, const void *data, size_t len);
int avk_buf_adds(avk_buf *b, const char *s);
int avk_buf_addc(avk_buf *b, char c);
int avk_buf_printf(avk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Detach the data (never NULL on success: "" for an empty buffer). */
char *avk_buf_detach(avk_buf *b);
/* Read a whole stream; 0 or AVK_EX_IOERR/AVK_EX_OSERR. */
int avk_buf_read_fd(avk_buf *b, int fd);

#endif
