/* Unit tests for lib/procart: exact size, deterministic bytes, distinct
 * scenes, palette and style validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procart.h"
#include "tap.h"

static long diff_pixels(const avk_image *a, const avk_image *b)
{
    long n = 0;
    int x, y;

    for (y = 0; y < a->h; y++)
        for (x = 0; x < a->w; x++)
            if (memcmp(a->px + (size_t)y * a->stride + 4 * x,
                       b->px + (size_t)y * b->stride + 4 * x, 3))
                n++;
    return n;
}

int main(void)
{
    avk_procart_opts o;
    avk_image a, b, c;
    avk_err err;
    avk_fonts *fonts = avk_fonts_new(&err);
    size_t i;
    int opaque = 1, x, y;

    ok(fonts != NULL, "fonts");
    avk_image_init(&a);
    avk_image_init(&b);
    avk_image_init(&c);
    avk_procart_opts_init(&o);
    ok(o.width == 1080 && o.height == 1920, "default is 9:16 1080x1920");
    o.width = 90;
    o.height = 160;
    o.seed = 7;
    o.topic = "5 habits of productive people";
    o.title = "Wake up early";
    o.fonts = fonts;
    is_int(avk_procart_render(&o, &a, &err), 0, "render scene 0");
    ok(a.w == 90 && a.h == 160, "exact size");
    for (y = 0; y < a.h; y++)
        for (x = 0; x < a.w; x++)
            if (a.px[(size_t)y * a.stride + 4 * x + 3] != 255)
                opaque = 0;
    ok(opaque, "opaque");
    is_int(avk_procart_render(&o, &b, &err), 0, "render scene 0 again");
    ok(a.h == b.h && memcmp(a.px, b.px, (size_t)a.h * a.stride) == 0,
       "same options give the same bytes");
    o.fonts = NULL; /* a private font cache must not change the output */
    is_int(avk_procart_render(&o, &b, &err), 0, "render with private fonts");
    ok(memcmp(a.px, b.px, (size_t)a.h * a.stride) == 0, "still the same bytes");
    o.fonts = fonts;
    o.scene = 1;
    is_int(avk_procart_render(&o, &c, &err), 0, "render scene 1");
    ok(diff_pixels(&a, &c) > 90 * 160 / 4, "scene 1 differs visibly (%ld px)",
       diff_pixels(&a, &c));
    o.scene = 0;
    o.seed = 8;
    is_int(avk_procart_render(&o, &c, &err), 0, "render another seed");
    ok(diff_pixels(&a, &c) > 90 * 160 / 4, "another seed differs");

    {
        char longt[4000];
        size_t k;
        for (k = 0; k + 6 < sizeof longt; k += 6)
            memcpy(longt + k, "words ", 6);
        longt[k] = '\0';
        o.title = longt;
        is_int(avk_procart_render(&o, &c, &err), 0,
               "a very long title renders");
        is_int(avk_procart_render(&o, &b, &err), 0, "and again");
        ok(memcmp(b.px, c.px, (size_t)c.h * c.stride) == 0,
           "long title is deterministic too");
    }
    o.width = 64;
    o.height = 64;
    o.title = NULL;
    for (i = 0; avk_procart_palette_name(i); i++) {
        o.palette = avk_procart_palette_name(i);
        if (avk_procart_render(&o, &c, &err) != 0 || c.w != 64)
            break;
    }
    ok(i >= 8 && avk_procart_palette_name(i) == NULL,
       "every palette renders (%zu)", i);
    for (i = 0; avk_procart_style_name(i); i++) {
        o.style = avk_procart_style_name(i);
        if (avk_procart_render(&o, &c, &err) != 0)
            break;
    }
    ok(avk_procart_style_name(i) == NULL, "every style renders");
    o.style = NULL;
    o.palette = "plaid";
    is_int(avk_procart_render(&o, &c, &err), AVK_EX_USAGE,
           "unknown palette refused");
    ok(c.px == NULL, "failed render leaves the image empty");
    o.palette = NULL;
    o.style = "baroque";
    is_int(avk_procart_render(&o, &c, &err), AVK_EX_USAGE,
           "unknown style refused");
    o.style = NULL;
    o.width = 0;
    is_int(avk_procart_render(&o, &c, &err), AVK_EX_DATAERR,
           "zero width refused");

    avk_image_release(&a);
    avk_image_release(&b);
    avk_image_release(&c);
    avk_fonts_free(fonts);
    return tap_done();
}
