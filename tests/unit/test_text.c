/* Unit tests for lib/text: scripts without tofu, bidi order, wrapping,
 * literal text, span recolouring, and the cost of a cached draw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "tap.h"
#include "text.h"

static avk_fonts *fonts;

static avk_text_layout *lay(const char *s, double size, double maxw)
{
    avk_text_style st;
    avk_err err;
    avk_text_layout *l;

    avk_text_style_init(&st);
    st.size_px = size;
    st.max_width = maxw;
    l = avk_text_layout_new(fonts, s, &st, &err);
    if (!l)
        printf("# layout failed: %s\n", err.msg);
    return l;
}

/* Mean x of the glyphs whose cluster starts in [a, b). */
static double mean_x(const avk_text_layout *l, size_t a, size_t b)
{
    double sum = 0;
    int n = 0;
    size_t i;
    avk_text_glyph g;

    for (i = 0; i < avk_text_layout_glyph_count(l); i++) {
        avk_text_layout_glyph(l, i, &g);
        if (g.byte_start >= a && g.byte_start < b) {
            sum += g.x;
            n++;
        }
    }
    return n ? sum / n : -1;
}

static void test_scripts(void)
{
    static const struct {
        const char *name, *text;
    } t[] = {
        {"Latin", "Five habits of productive people"},
        {"Arabic", "مرحبا بالعالم"},
        {"Hebrew", "שלום עולם"},
        {"Devanagari", "नमस्ते दुनिया, यह हिन्दी है"},
        {"CJK", "生産性の高い人の五つの習慣"},
        {"Chinese", "高效人士的五个习惯"},
        {"Korean", "생산적인 사람들의 습관"},
        {"emoji",
         "Go 🚀🔥 👨‍👩‍👧 ✅ 👍🏽 🇯🇵 1️⃣"},
        {"mixed", "Top 5 💡 عادات habits आदतें 習慣"},
    };
    size_t i, j;

    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        avk_text_layout *l = lay(t[i].text, 40, 0);
        int color = 0;
        avk_text_glyph g;
        if (!ok(l != NULL, "%s lays out", t[i].name))
            continue;
        is_int(avk_text_layout_missing(l), 0, t[i].name);
        ok(avk_text_layout_glyph_count(l) > 0 && avk_text_layout_width(l) > 40,
           "%s has glyphs and width", t[i].name);
        for (j = 0; j < avk_text_layout_glyph_count(l); j++) {
            avk_text_layout_glyph(l, j, &g);
            color |= g.color;
        }
        if (strcmp(t[i].name, "emoji") == 0)
            ok(color, "emoji come from a colour font");
        avk_text_layout_free(l);
    }
    {
        avk_text_layout *l = lay("\xff\xfe ok \xe2\x82", 20, 0);
        ok(l && avk_text_layout_glyph_count(l) >= 4,
           "invalid UTF-8 still lays out");
        avk_text_layout_free(l);
        l = lay("", 20, 0);
        ok(l && avk_text_layout_glyph_count(l) == 0 &&
               avk_text_layout_lines(l) == 1,
           "empty text: one empty line");
        avk_text_layout_free(l);
    }
}

static void test_bidi(void)
{
    /* "مرحبا بالعالم": first word bytes 0..10, second 11..24 */
    avk_text_layout *l = lay("مرحبا بالعالم", 40, 0);
    const char *mixed = "hello مرحبا world";
    ok(l && mean_x(l, 0, 10) > mean_x(l, 11, 25),
       "RTL paragraph: the first word is on the right");
    avk_text_layout_free(l);
    l = lay(mixed, 40, 0);
    ok(l && mean_x(l, 0, 5) < mean_x(l, 6, 16) &&
           mean_x(l, 6, 16) < mean_x(l, 17, 22),
       "LTR paragraph keeps word order around an Arabic word");
    ok(l && mean_x(l, 6, 8) > mean_x(l, 14, 16),
       "letters inside the Arabic word run right to left");
    avk_text_layout_free(l);
    l = lay("שלום 123 עולם", 40, 0);
    ok(l && mean_x(l, 0, 8) > mean_x(l, 9, 12) &&
           mean_x(l, 9, 10) < mean_x(l, 11, 12),
       "numbers inside Hebrew stay left to right");
    avk_text_layout_free(l);
}

static void test_wrap(void)
{
    const char *s = "Small habits compound into remarkable results when you "
                    "repeat them every single day";
    avk_text_layout *l = lay(s, 32, 300);
    avk_text_glyph g;
    size_t i;
    int inside = 1;
    avk_text_style st;
    avk_err err;
    double w1, w2;

    ok(l && avk_text_layout_lines(l) >= 4, "long text wraps (%d lines)",
       l ? avk_text_layout_lines(l) : 0);
    ok(l && avk_text_layout_width(l) <= 300, "no line is wider than max_width");
    for (i = 0; l && i < avk_text_layout_glyph_count(l); i++) {
        avk_text_layout_glyph(l, i, &g);
        if (g.x < -0.01 || g.x + g.advance > 300.5)
            inside = 0;
    }
    ok(inside, "every glyph inside the box");
    ok(l && avk_text_layout_height(l) > 3 * 32, "height grows with lines");
    avk_text_layout_free(l);
    l = lay("生産性の高い人の五つの習慣について話します", 40, 250);
    ok(l && avk_text_layout_lines(l) >= 3 && avk_text_layout_width(l) <= 250,
       "CJK wraps between characters");
    avk_text_layout_free(l);
    l = lay("Supercalifragilisticexpialidocious", 40, 200);
    ok(l && avk_text_layout_lines(l) >= 2 && avk_text_layout_width(l) <= 200,
       "an over-long word is broken");
    avk_text_layout_free(l);
    l = lay("one\ntwo\n\nfour", 30, 0);
    ok(l && avk_text_layout_lines(l) == 4, "newlines break lines, empty kept");
    avk_text_layout_free(l);

    avk_text_style_init(&st);
    st.size_px = 40;
    l = avk_text_layout_new(fonts, "Bold words", &st, &err);
    w1 = l ? avk_text_layout_width(l) : 0;
    avk_text_layout_free(l);
    st.bold = 1;
    l = avk_text_layout_new(fonts, "Bold words", &st, &err);
    w2 = l ? avk_text_layout_width(l) : 0;
    avk_text_layout_free(l);
    ok(w2 > w1, "bold face is wider (%.1f > %.1f)", w2, w1);
    st.size_px = 0;
    ok(avk_text_layout_new(fonts, "x", &st, &err) == NULL &&
           err.code == AVK_EX_DATAERR,
       "size 0 refused");
}

static void test_literal(void)
{
    const char *s = "He said \"100% {done}\" \\n: C:\\path";
    avk_text_layout *l = lay(s, 30, 0);
    avk_text_glyph g;
    size_t i;
    int inorder = 1;

    ok(l != NULL, "literal string lays out");
    if (!l)
        return;
    is_int(avk_text_layout_lines(l), 1, "a backslash-n is not a newline");
    is_int(avk_text_layout_missing(l), 0, "no missing glyphs");
    is_int(avk_text_layout_glyph_count(l), strlen(s),
           "one glyph per character");
    for (i = 0; i < avk_text_layout_glyph_count(l); i++) {
        avk_text_layout_glyph(l, i, &g);
        if (g.byte_start != i)
            inorder = 0;
    }
    ok(inorder, "glyphs map to every byte in order");
    avk_text_layout_free(l);
}

static void test_spans(void)
{
    avk_text_style st;
    avk_text_layout *l;
    avk_image a, b;
    avk_text_span sp = {4, 7, 0xff2020ffu}; /* "two" */
    avk_err err;
    double bx, by, bw, bh, ox = 10, oy = 10;
    int x, y, diff = 0, outside = 0;
    long long t0, t1;
    int i, n = 60;

    avk_text_style_init(&st);
    st.size_px = 40;
    st.outline_px = 3;
    st.outline_color = 0x000000ffu;
    st.shadow_color = 0x00000080u;
    st.shadow_dx = 3;
    st.shadow_dy = 3;
    l = avk_text_layout_new(fonts, "one two three", &st, &err);
    if (!ok(l != NULL, "layout for spans"))
        return;
    avk_image_init(&a);
    avk_image_init(&b);
    avk_image_alloc(&a, 400, 80);
    avk_image_alloc(&b, 400, 80);
    is_int(avk_text_draw(&a, l, ox, oy, NULL, 0), 0, "draw plain");
    is_int(avk_text_draw(&b, l, ox, oy, &sp, 1), 0, "draw with a span");
    is_int(avk_text_range_bounds(l, 4, 7, &bx, &by, &bw, &bh), 0,
           "bounds of the word");
    for (y = 0; y < a.h; y++)
        for (x = 0; x < a.w; x++)
            if (memcmp(a.px + (size_t)y * a.stride + 4 * x,
                       b.px + (size_t)y * b.stride + 4 * x, 4)) {
                diff++;
                if (x < ox + bx - 2 || x > ox + bx + bw + 2 ||
                    y < oy + by - 2 || y > oy + by + bh + 2)
                    outside++;
            }
    ok(diff > 50, "the span changes pixels (%d)", diff);
    is_int(outside, 0, "only inside the word's box");
    {
        int opaque = 0;
        for (y = 0; y < a.h; y++)
            for (x = 0; x < a.w; x++)
                opaque += a.px[(size_t)y * a.stride + 4 * x + 3] == 255;
        ok(opaque > 200, "text is drawn");
    }
    is_int(avk_text_draw(&a, l, -25, -12, &sp, 1), 0, "draw clipped top-left");
    is_int(avk_text_draw(&a, l, 380, 60, NULL, 0), 0,
           "draw clipped bottom-right");
    is_int(avk_text_draw(&a, l, -5000, 5000, NULL, 0), 0, "draw far outside");
    avk_image_release(&a);
    avk_image_release(&b);
    avk_text_layout_free(l);

    {
        /* a soft shadow reaches further than a hard one */
        int hard = 0, soft = 0;
        avk_text_style ss = st;
        avk_text_layout *h, *s2;
        ss.outline_px = 0;
        ss.shadow_color = 0x000000ffu;
        ss.color = 0;
        h = avk_text_layout_new(fonts, "soft", &ss, &err);
        ss.shadow_blur = 6;
        s2 = avk_text_layout_new(fonts, "soft", &ss, &err);
        avk_image_alloc(&a, 200, 80);
        avk_image_alloc(&b, 200, 80);
        avk_text_draw(&a, h, 20, 10, NULL, 0);
        avk_text_draw(&b, s2, 20, 10, NULL, 0);
        for (y = 0; y < a.h; y++)
            for (x = 0; x < a.w; x++) {
                hard += a.px[(size_t)y * a.stride + 4 * x + 3] > 0;
                soft += b.px[(size_t)y * b.stride + 4 * x + 3] > 0;
            }
        ok(hard > 100 && soft > hard * 3 / 2,
           "blurred shadow spreads (%d > %d)", soft, hard);
        avk_text_layout_free(h);
        avk_text_layout_free(s2);
        avk_image_release(&b);
    }

    /* A two-line caption on a 1080x1920 frame, drawn repeatedly. */
    st.size_px = 72;
    st.bold = 1;
    st.outline_px = 6;
    st.max_width = 900;
    l = avk_text_layout_new(
        fonts, "Small habits compound into remarkable results", &st, &err);
    avk_image_alloc(&a, 1080, 1920);
    ok(l && avk_text_layout_lines(l) == 2, "caption is two lines");
    t0 = avk_mono_ms();
    for (i = 0; l && i < n; i++) {
        avk_text_span w = {(size_t)i % 40, (size_t)i % 40 + 5, 0xffd000ffu};
        avk_text_draw(&a, l, 90, 1300, &w, 1);
    }
    t1 = avk_mono_ms();
    printf(
        "# %.3f ms per draw of a 2-line caption (1080x1920, outline+shadow)\n",
        (double)(t1 - t0) / n);
    ok(1, "repeated draws");
    avk_image_release(&a);
    avk_text_layout_free(l);
}

int main(void)
{
    avk_err err;

    fonts = avk_fonts_new(&err);
    if (!ok(fonts != NULL, "fonts load"))
        return tap_done();
    test_scripts();
    test_bidi();
    test_wrap();
    test_literal();
    test_spans();
    avk_fonts_free(fonts);
    avk_fonts_free(NULL);
    return tap_done();
}
