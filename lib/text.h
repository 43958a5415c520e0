/*
 * text.h - real text rendering for titles and captions.
 *
 * Text goes through fontconfig (font choice, per-character fallback so
 * Arabic, Devanagari, CJK and colour emoji find a real font), FriBidi
 * (bidirectional reordering), HarfBuzz (shaping per run of one script,
 * direction and font) and FreeType (rasterisation, outlines through
 * FT_Stroker, colour emoji bitmaps scaled to the wanted size).
 *
 * Use: one avk_fonts per thread (it caches faces, fallback choices and
 * rasterised glyphs; it is not thread-safe).  Lay a string out once with
 * avk_text_layout_new(), then draw it as often as needed with
 * avk_text_draw(), recolouring byte ranges (the current caption word) with
 * spans.  The layout borrows its avk_fonts, which must outlive it.
 *
 * Text is only data: there is no markup, escape or format processing; a
 * '\n' byte starts a new line, tabs and other control characters show as
 * spaces, invalid UTF-8 shows as U+FFFD.
 */
#ifndef AVK_TEXT_H
#define AVK_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "image.h"

typedef struct avk_fonts avk_fonts;

/* Load the system font configuration.  NULL with err filled (AVK_EX_CONFIG
 * when fontconfig or FreeType cannot start, AVK_EX_OSERR when out of
 * memory).  avk_fonts_free(NULL) is a no-op. */
avk_fonts *avk_fonts_new(avk_err *err);
void avk_fonts_free(avk_fonts *f);

enum { AVK_TEXT_LEFT = 0, AVK_TEXT_CENTER = 1, AVK_TEXT_RIGHT = 2 };

typedef struct avk_text_style {
    const char *family;     /* fontconfig family; NULL: "Noto Sans" */
    double size_px;         /* em size in pixels */
    int bold;               /* choose a bold face (synthetic if none) */
    uint32_t color;         /* fill, 0xRRGGBBAA */
    uint32_t outline_color; /* stroke around each glyph */
    double outline_px;      /* stroke radius; 0: none */
    uint32_t shadow_color;  /* drop shadow of the outlined shape */
    double shadow_dx, shadow_dy;
    int align;          /* AVK_TEXT_LEFT/CENTER/RIGHT within the widest line */
    double max_width;   /* wrap to this many pixels; 0: only at '\n' */
    double line_height; /* baseline distance as a multiple of size_px; 0: 1.2 */
    const char *lang;   /* BCP 47 hint for fonts and shaping; may be NULL */
    double shadow_blur; /* shadow softness in pixels (< 200); 0: hard */
} avk_text_style;

/* Defaults: Noto Sans 48 px, white, centred, no outline or shadow. */
void avk_text_style_init(avk_text_style *s);

typedef struct avk_text_layout avk_text_layout;

/* Shape and wrap utf8 with style.  NULL with err filled on failure
 * (AVK_EX_DATAERR for a bad size, AVK_EX_OSERR when out of memory).  The
 * layout copies what it needs from utf8 and style; fonts is borrowed. */
avk_text_layout *avk_text_layout_new(avk_fonts *fonts, const char *utf8,
                                     const avk_text_style *style, avk_err *err);
void avk_text_layout_free(avk_text_layout *l);

/* Logical box: widest line's advance, lines * line height.  Outline and
 * shadow may reach outline_px (+ shadow offset) beyond it. */
double avk_text_layout_width(const avk_text_layout *l);
double avk_text_layout_height(const avk_text_layout *l);
int avk_text_layout_lines(const avk_text_layout *l);
/* Glyphs that no font could supply (.notdef boxes); 0 when all is real. */
int avk_text_layout_missing(const avk_text_layout *l);

typedef struct avk_text_glyph {
    double x, y; /* pen position: x, baseline y, box-relative */
    double advance;
    size_t byte_start, byte_end; /* the UTF-8 cluster the glyph came from */
    int line;
    int missing; /* .notdef */
    int color;   /* a colour (emoji) bitmap glyph */
} avk_text_glyph;

/* Glyphs in visual order (line by line, left to right). */
size_t avk_text_layout_glyph_count(const avk_text_layout *l);
int avk_text_layout_glyph(const avk_text_layout *l, size_t i,
                          avk_text_glyph *g);

/* Box (relative to the layout origin) covering the glyphs whose clusters
 * start in [byte_start, byte_end); on one line only the first line's part.
 * Returns 0, or AVK_EX_DATAERR when no glyph is in the range. */
int avk_text_range_bounds(const avk_text_layout *l, size_t byte_start,
                          size_t byte_end, double *x, double *y, double *w,
                          double *h);

typedef struct avk_text_span {
    size_t byte_start, byte_end; /* UTF-8 byte range of the source text */
    uint32_t color;              /* fill colour there, 0xRRGGBBAA */
} avk_text_span;

/* Draw the layout with its box's top-left at (x, y): shadow, then outline,
 * then fill; glyphs whose cluster starts inside a span take that span's
 * fill colour (the last matching span wins).  Clipped to dst.  Returns 0
 * or AVK_EX_OSERR (a glyph could not be rasterised for lack of memory;
 * the rest is still drawn). */
int avk_text_draw(avk_image *dst, const avk_text_layout *l, double x, double y,
                  const avk_text_span *spans, size_t nspans);

#endif
