/*
 * utf8.h - UTF-8 decoding and the code point classes that the text
 * handling of the voices shares.
 *
 * Strict decoding: overlong forms, surrogates and code points past
 * U+10FFFF are invalid.
 */
#ifndef AVK_UTF8_H
#define AVK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode one code point at s (n bytes left) into *cp; its length in
 * bytes, or 0 for an invalid or cut sequence (or n == 0). */
size_t avk_utf8_dec(const unsigned char *s, size_t n, uint32_t *cp);

/* Is the NUL-terminated s valid UTF-8 throughout? */
int avk_utf8_valid(const char *s);

/* Call add(ud, b0, b1) for every maximal run [b0, b1) of the bytes of s
 * that holds no code point is_space() accepts (invalid bytes count as
 * space), in order.  Returns 0, or the first nonzero value add returns
 * (and stops there). */
int avk_utf8_split(const char *s, int (*is_space)(uint32_t),
                   int (*add)(void *ud, size_t b0, size_t b1), void *ud);

/* Emoji, pictographs and the invisible characters that build emoji
 * sequences (variation selectors, ZWJ, keycap, tags). */
int avk_uc_is_emoji(uint32_t c);

#endif
