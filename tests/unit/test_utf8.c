/* test_utf8.c - strict UTF-8 decoding and the emoji class. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "utf8.h"

static size_t dec(const char *s, uint32_t *cp)
{
    return avk_utf8_dec((const unsigned char *)s, strlen(s), cp);
}

static int spaces(uint32_t c)
{
    return c == ' ' || c == 0x3000;
}

static int collect(void *ud, size_t b0, size_t b1)
{
    char *out = ud;
    size_t n = strlen(out);
    if (n + 24 >= 128)
        return 7;
    snprintf(out + n, 128 - n, "[%zu,%zu)", b0, b1);
    return 0;
}

static int refuse(void *ud, size_t b0, size_t b1)
{
    (void)ud;
    (void)b0;
    (void)b1;
    return 9;
}

int main(void)
{
    char spans[128] = "";
    uint32_t c = 0;

    ok(dec("A", &c) == 1 && c == 'A', "ASCII");
    ok(dec("\xC3\xA9", &c) == 2 && c == 0xE9, "two bytes (e acute)");
    ok(dec("\xE2\x82\xAC", &c) == 3 && c == 0x20AC, "three bytes (euro)");
    ok(dec("\xF0\x9F\x98\x80", &c) == 4 && c == 0x1F600, "four bytes (emoji)");
    ok(dec("\xC0\xAF", &c) == 0, "overlong form refused");
    ok(dec("\xED\xA0\x80", &c) == 0, "surrogate refused");
    ok(dec("\xF4\x90\x80\x80", &c) == 0, "past U+10FFFF refused");
    ok(avk_utf8_dec((const unsigned char *)"\xE2\x82", 2, &c) == 0,
       "cut sequence refused");
    ok(dec("\x80", &c) == 0, "lone continuation byte refused");
    ok(avk_utf8_dec((const unsigned char *)"", 0, &c) == 0, "nothing left");
    ok(avk_utf8_valid("caf\xC3\xA9 \xF0\x9F\x9A\x80"), "valid text");
    ok(!avk_utf8_valid("bad \xFF byte"), "invalid text");
    ok(avk_uc_is_emoji(0x1F680) && avk_uc_is_emoji(0x200D) &&
           avk_uc_is_emoji(0xFE0F),
       "emoji, ZWJ and variation selector are emoji");
    ok(!avk_uc_is_emoji('a') && !avk_uc_is_emoji(0x4E2D) &&
           !avk_uc_is_emoji(0x0627),
       "letters of any script are not");
    avk_utf8_split("  ab c\xE3\x80\x80"
                   "d\xFF"
                   "e  ",
                   spaces, collect, spans);
    is_str(spans, "[2,4)[5,6)[9,10)[11,12)",
           "split at spaces, ideographic space and an invalid byte");
    spans[0] = '\0';
    avk_utf8_split("   ", spaces, collect, spans);
    is_str(spans, "", "only spaces: no word");
    ok(avk_utf8_split("a b", spaces, refuse, NULL) == 9,
       "a callback's failure stops the split and is returned");
    return tap_done();
}
