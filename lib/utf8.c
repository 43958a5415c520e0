/*
 * utf8.c - UTF-8 decoding and shared code point classes (utf8.h).
 *
 * Always holds: a sequence is accepted only in its shortest form and only
 * for scalar values; nothing here allocates.
 */
#include "utf8.h"

#include <string.h>

size_t avk_utf8_dec(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c;
    size_t len, i;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        c = s[0] & 0x1F;
        len = 2;
    } else if ((s[0] & 0xF0) == 0xE0) {
        c = s[0] & 0x0F;
        len = 3;
    } else if ((s[0] & 0xF8) == 0xF0) {
        c = s[0] & 0x07;
        len = 4;
    } else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
        (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

int avk_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), l;
    uint32_t cp;

    while (n) {
        if (!(l = avk_utf8_dec(p, n, &cp)))
            return 0;
        p += l;
        n -= l;
    }
    return 1;
}

int avk_utf8_split(const char *s, int (*is_space)(uint32_t),
                   int (*add)(void *ud, size_t b0, size_t b1), void *ud)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, start = 0, l;
    int in = 0, rc;
    uint32_t c;

    while (i < n) {
        if (!(l = avk_utf8_dec(p + i, n - i, &c)))
            l = 1, c = ' ';
        if (is_space(c)) {
            if (in && (rc = add(ud, start, i)) != 0)
                return rc;
            in = 0;
        } else if (!in) {
            in = 1;
            start = i;
        }
        i += l;
    }
    return in ? add(ud, start, n) : 0;
}

int avk_uc_is_emoji(uint32_t c)
{
    return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
           (c >= 0x2B00 && c <= 0x2BFF) || (c >= 0x2300 && c <= 0x23FF) ||
           (c >= 0xFE00 && c <= 0xFE0F) || c == 0x200D || c == 0x20E3 ||
           (c >= 0xE0020 && c <= 0xE007F) || c == 0x3030 || c == 0x303D ||
           c == 0x3297 || c == 0x3299 || c == 0x2122 || c == 0x2139 ||
           (c >= 0x2194 && c <= 0x21AA) || c == 0x00A9 || c == 0x00AE;
}
