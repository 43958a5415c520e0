/*
 * fuzz_text.c - libFuzzer target for text layout and drawing: the first
 * four bytes pick size, wrap width, alignment, outline, shadow and bold;
 * the rest is the text.  Invariants: a layout either succeeds or says
 * why; missing glyphs never outnumber glyphs; every glyph's cluster lies
 * inside the text; drawing anywhere, clipped or not, is memory-safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static avk_fonts *fonts; /* loaded once: fontconfig start-up is slow */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avk_text_style st;
    avk_text_layout *l;
    avk_text_glyph g;
    avk_text_span span;
    avk_image im;
    avk_err err;
    char *text;
    size_t i, n;
    double bx, by, bw, bh;

    if (size < 4 || size > 4096)
        return 0;
    if (!fonts && !(fonts = avk_fonts_new(&err)))
        return 0;
    avk_text_style_init(&st);
    st.size_px = 4 + data[0] % 60;
    st.max_width = data[1] & 3 ? data[1] * 2.0 : 0;
    st.align = data[2] % 3;
    st.bold = (data[2] >> 2) & 1;
    st.outline_px = data[3] & 3;
    st.outline_color = 0x000000ffu;
    st.shadow_color = data[3] & 4 ? 0x00000080u : 0;
    st.shadow_blur = (data[3] >> 3) & 3;
    st.shadow_dx = st.shadow_dy = 2;
    n = size - 4;
    text = malloc(n + 1);
    if (!text)
        return 0;
    memcpy(text, data + 4, n);
    text[n] = '\0';
    n = strlen(text);
    l = avk_text_layout_new(fonts, text, &st, &err);
    if (!l) {
        if (!err.msg[0])
            abort();
        free(text);
        return 0;
    }
    if (avk_text_layout_missing(l) < 0 ||
        (size_t)avk_text_layout_missing(l) > avk_text_layout_glyph_count(l) ||
        avk_text_layout_lines(l) < 1)
        abort();
    for (i = 0; i < avk_text_layout_glyph_count(l); i++) {
        if (avk_text_layout_glyph(l, i, &g) != 0 || g.byte_start >= n ||
            g.byte_end > n || g.byte_end <= g.byte_start)
            abort();
    }
    avk_image_init(&im);
    if (avk_image_alloc(&im, 48, 40) == 0) {
        span.byte_start = data[1] % (n + 1);
        span.byte_end = span.byte_start + data[2] % 8;
        span.color = 0xff0000ffu;
        avk_text_draw(&im, l, (int)(data[0] % 64) - 32,
                      (int)(data[1] % 64) - 40, &span, 1);
        avk_image_release(&im);
    }
    avk_text_range_bounds(l, 0, n, &bx, &by, &bw, &bh);
    avk_text_layout_free(l);
    free(text);
    return 0;
}

#include "replay_main.h"
