/* test_utf8.c - strict UTF-8 decoding and the emoji class. */
#include <string.h>

#include "tap.h"
#include "utf8.h"

static size_t dec(const char *s, uint32_t *cp)
{
    return avk_utf8_dec((const unsigned char *)s, strlen(s), cp);
}

int main(void)
{
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
    return tap_done();
}
