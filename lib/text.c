/*
 * text.c - text layout and rasterisation: fontconfig + FriBidi + HarfBuzz
 * + FreeType (see text.h).
 *
 * Layout, per paragraph (text between '\n'):
 *   1. UTF-8 -> code points, each remembering its byte offset;
 *   2. FriBidi embedding levels (paragraph direction from the first strong
 *      character), HarfBuzz scripts (Common/Inherited take a neighbour's),
 *      a face per code point (primary face, else a fontconfig fallback that
 *      really has the glyph; emoji prefer the colour font; marks, joiners
 *      and variation selectors stay with their base);
 *   3. runs of equal (level, script, face) shaped by HarfBuzz, clusters
 *      being code point indices;
 *   4. greedy line breaking on logical order at spaces and between CJK
 *      characters (emergency breaks at cluster starts), trailing spaces
 *      hanging;
 *   5. per line, runs reordered visually (UAX #9 rule L2 over runs) and
 *      glyphs placed.
 * Invariants: every layout glyph names a face that lives in its avk_fonts
 * as long as the avk_fonts does; faces are never unloaded before
 * avk_fonts_free; cached glyph bitmaps are immutable once made.
 */
#include "text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>
#include <fribidi.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_GLYPH_H
#include FT_OUTLINE_H
#include FT_STROKER_H
#include <hb-ot.h>
#include <hb.h>

#define DEFAULT_FAMILY "Noto Sans"
/* Drop the glyph cache when its bitmaps pass this many bytes. */
#define GLYPH_CACHE_MAX (64u << 20)
/* Cap on text accepted by one layout (code points). */
#define MAX_TEXT_CPS (1u << 20)

struct face {
    char *file;
    int index, embolden, color;
    FT_Face ft;
    hb_font_t *hb;
    long cur_size; /* 26.6 size last set on ft; 0 unknown */
};

struct cpmap {      /* open addressing: code point -> face index */
    uint32_t *keys; /* key+1; 0 is empty */
    int *vals;
    size_t cap, n;
};

struct fontset {
    char *family, *lang;
    int bold, primary, emoji; /* emoji: face, -1 none, -2 not looked up */
    struct cpmap map;
};

struct gkey {
    int face;
    uint32_t gid;
    long size, stroke, blur; /* 26.6 */
};

struct gent {
    struct gkey k;
    int used, color, left, top, w, h;
    uint8_t *data; /* A8 (w*h) or premultiplied RGBA (w*h*4) */
};

struct avk_fonts {
    FcConfig *fc;
    FT_Library ft;
    FT_Stroker stroker;
    struct face *faces;
    size_t nfaces, capfaces;
    struct fontset *sets;
    size_t nsets, capsets;
    struct gent *gc;
    size_t gcap, gn, gbytes;
};

struct lglyph {
    int face;
    uint32_t gid;
    float x, y, adv;
    size_t bstart, bend;
    int line;
};

struct avk_text_layout {
    avk_fonts *fonts;
    struct lglyph *g;
    size_t ng;
    long size26, stroke26, blur26;
    double width, height, lh;
    int lines, missing;
    uint32_t color, outline_color, shadow_color;
    double shadow_dx, shadow_dy;
};

/* ---------- small helpers ---------- */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t nc;
    void *np;

    if (need <= *cap)
        return 0;
    nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    np = realloc(*p, nc * elem);
    if (!np)
        return AVK_EX_OSERR;
    *p = np;
    *cap = nc;
    return 0;
}

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static int cpmap_get(const struct cpmap *m, uint32_t cp, int *val)
{
    size_t i;

    if (!m->cap)
        return 0;
    for (i = hash32(cp) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == cp + 1) {
            *val = m->vals[i];
            return 1;
        }
    return 0;
}

static int cpmap_put(struct cpmap *m, uint32_t cp, int val)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap) {
        struct cpmap nm;
        size_t j;
        nm.cap = m->cap ? m->cap * 2 : 64;
        nm.n = 0;
        nm.keys = calloc(nm.cap, sizeof *nm.keys);
        nm.vals = calloc(nm.cap, sizeof *nm.vals);
        if (!nm.keys || !nm.vals) {
            free(nm.keys);
            free(nm.vals);
            return AVK_EX_OSERR;
        }
        for (j = 0; j < m->cap; j++)
            if (m->keys[j]) {
                for (i = hash32(m->keys[j] - 1) & (nm.cap - 1); nm.keys[i];
                     i = (i + 1) & (nm.cap - 1))
                    ;
                nm.keys[i] = m->keys[j];
                nm.vals[i] = m->vals[j];
                nm.n++;
            }
        free(m->keys);
        free(m->vals);
        *m = nm;
    }
    for (i = hash32(cp) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == cp + 1)
            break;
    if (!m->keys[i])
        m->n++;
    m->keys[i] = cp + 1;
    m->vals[i] = val;
    return 0;
}

/* ---------- fonts ---------- */

avk_fonts *avk_fonts_new(avk_err *err)
{
    avk_fonts *f = calloc(1, sizeof *f);

    if (!f) {
        avk_fail(err, AVK_EX_OSERR, "out of memory");
        return NULL;
    }
    f->fc = FcInitLoadConfigAndFonts();
    if (!f->fc) {
        free(f);
        avk_fail(err, AVK_EX_CONFIG,
                 "cannot load the fontconfig configuration");
        return NULL;
    }
    if (FT_Init_FreeType(&f->ft)) {
        FcConfigDestroy(f->fc);
        free(f);
        avk_fail(err, AVK_EX_CONFIG, "cannot start FreeType");
        return NULL;
    }
    if (FT_Stroker_New(f->ft, &f->stroker)) {
        FT_Done_FreeType(f->ft);
        FcConfigDestroy(f->fc);
        free(f);
        avk_fail(err, AVK_EX_OSERR, "out of memory");
        return NULL;
    }
    return f;
}

static void cache_clear(avk_fonts *f)
{
    size_t i;

    for (i = 0; i < f->gcap; i++)
        if (f->gc[i].used)
            free(f->gc[i].data);
    free(f->gc);
    f->gc = NULL;
    f->gcap = f->gn = f->gbytes = 0;
}

void avk_fonts_free(avk_fonts *f)
{
    size_t i;

    if (!f)
        return;
    cache_clear(f);
    for (i = 0; i < f->nsets; i++) {
        free(f->sets[i].family);
        free(f->sets[i].lang);
        free(f->sets[i].map.keys);
        free(f->sets[i].map.vals);
    }
    free(f->sets);
    for (i = 0; i < f->nfaces; i++) {
        hb_font_destroy(f->faces[i].hb);
        FT_Done_Face(f->faces[i].ft);
        free(f->faces[i].file);
    }
    free(f->faces);
    FT_Stroker_Done(f->stroker);
    FT_Done_FreeType(f->ft);
    FcConfigDestroy(f->fc);
    free(f);
}

/* Index of the face for (file, index, embolden), loading it once; -1. */
static int face_get(avk_fonts *f, const char *file, int index, int embolden)
{
    struct face *fa;
    hb_blob_t *blob;
    hb_face_t *hf;
    size_t i;

    for (i = 0; i < f->nfaces; i++)
        if (f->faces[i].index == index && f->faces[i].embolden == embolden &&
            strcmp(f->faces[i].file, file) == 0)
            return (int)i;
    if (grow((void **)&f->faces, &f->capfaces, f->nfaces + 1, sizeof *f->faces))
        return -1;
    fa = &f->faces[f->nfaces];
    memset(fa, 0, sizeof *fa);
    if (FT_New_Face(f->ft, file, index, &fa->ft))
        return -1;
    blob = hb_blob_create_from_file_or_fail(file);
    if (!blob) {
        FT_Done_Face(fa->ft);
        return -1;
    }
    hf = hb_face_create(blob, (unsigned)index);
    hb_blob_destroy(blob);
    fa->hb = hb_font_create(hf);
    hb_face_destroy(hf);
    fa->file = dupstr(file);
    if (!fa->file || hb_font_get_empty() == fa->hb) {
        free(fa->file);
        hb_font_destroy(fa->hb);
        FT_Done_Face(fa->ft);
        return -1;
    }
    fa->index = index;
    fa->embolden = embolden;
    fa->color = FT_HAS_COLOR(fa->ft) && FT_HAS_FIXED_SIZES(fa->ft) &&
                !FT_IS_SCALABLE(fa->ft);
    return (int)f->nfaces++;
}

static int has_glyph(const avk_fonts *f, int face, uint32_t cp)
{
    return face >= 0 && FT_Get_Char_Index(f->faces[face].ft, cp) != 0;
}

/* Ask fontconfig for the best font for family/bold/lang (and cp, when
 * non-zero); returns a face index or -1. */
static int fc_pick(avk_fonts *f, const char *family, int bold, const char *lang,
                   uint32_t cp, int color)
{
    FcPattern *pat = FcPatternCreate(), *res = NULL;
    FcCharSet *cs = NULL;
    FcResult r;
    FcChar8 *file = NULL;
    int index = 0, weight = FC_WEIGHT_REGULAR, face = -1;

    if (!pat)
        return -1;
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)family);
    FcPatternAddInteger(pat, FC_WEIGHT,
                        bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    if (lang && *lang)
        FcPatternAddString(pat, FC_LANG, (const FcChar8 *)lang);
    if (color)
        FcPatternAddBool(pat, FC_COLOR, FcTrue);
    if (cp) {
        cs = FcCharSetCreate();
        if (!cs || !FcCharSetAddChar(cs, cp)) {
            if (cs)
                FcCharSetDestroy(cs);
            FcPatternDestroy(pat);
            return -1;
        }
        FcPatternAddCharSet(pat, FC_CHARSET, cs);
        FcCharSetDestroy(cs);
    }
    FcConfigSubstitute(f->fc, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    res = FcFontMatch(f->fc, pat, &r);
    if (res && FcPatternGetString(res, FC_FILE, 0, &file) == FcResultMatch) {
        FcPatternGetInteger(res, FC_INDEX, 0, &index);
        FcPatternGetInteger(res, FC_WEIGHT, 0, &weight);
        face = face_get(f, (const char *)file, index,
                        bold && weight < FC_WEIGHT_DEMIBOLD && !color);
        if (face >= 0 && f->faces[face].color)
            f->faces[face].embolden = 0;
    }
    if (res)
        FcPatternDestroy(res);
    FcPatternDestroy(pat);
    return face;
}

/* Search every installed font (best first) for one that has cp. */
static int fc_search(avk_fonts *f, const struct fontset *s, uint32_t cp)
{
    FcPattern *pat = FcPatternCreate();
    FcCharSet *cs = FcCharSetCreate();
    FcFontSet *fs = NULL;
    FcResult r;
    int face = -1, i;

    if (!pat || !cs)
        goto done;
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)s->family);
    FcPatternAddInteger(pat, FC_WEIGHT,
                        s->bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcCharSetAddChar(cs, cp);
    FcPatternAddCharSet(pat, FC_CHARSET, cs);
    FcConfigSubstitute(f->fc, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    fs = FcFontSort(f->fc, pat, FcTrue, NULL, &r);
    for (i = 0; fs && i < fs->nfont && i < 256 && face < 0; i++) {
        FcCharSet *fcs = NULL;
        FcChar8 *file = NULL;
        int index = 0;
        if (FcPatternGetCharSet(fs->fonts[i], FC_CHARSET, 0, &fcs) !=
                FcResultMatch ||
            !FcCharSetHasChar(fcs, cp))
            continue;
        if (FcPatternGetString(fs->fonts[i], FC_FILE, 0, &file) !=
            FcResultMatch)
            continue;
        FcPatternGetInteger(fs->fonts[i], FC_INDEX, 0, &index);
        face = face_get(f, (const char *)file, index, 0);
        if (!has_glyph(f, face, cp))
            face = -1;
    }
done:
    if (fs)
        FcFontSetDestroy(fs);
    if (cs)
        FcCharSetDestroy(cs);
    if (pat)
        FcPatternDestroy(pat);
    return face;
}

static int fontset_get(avk_fonts *f, const char *family, int bold,
                       const char *lang)
{
    struct fontset *s;
    size_t i;

    if (!lang)
        lang = "";
    for (i = 0; i < f->nsets; i++)
        if (f->sets[i].bold == bold && strcmp(f->sets[i].family, family) == 0 &&
            strcmp(f->sets[i].lang, lang) == 0)
            return (int)i;
    if (grow((void **)&f->sets, &f->capsets, f->nsets + 1, sizeof *f->sets))
        return -1;
    s = &f->sets[f->nsets];
    memset(s, 0, sizeof *s);
    s->family = dupstr(family);
    s->lang = dupstr(lang);
    s->bold = bold;
    s->emoji = -2;
    if (!s->family || !s->lang) {
        free(s->family);
        free(s->lang);
        return -1;
    }
    s->primary = fc_pick(f, family, bold, lang, 0, 0);
    if (s->primary < 0)
        s->primary = fc_pick(f, "sans-serif", bold, lang, 0, 0);
    if (s->primary < 0) {
        free(s->family);
        free(s->lang);
        return -1;
    }
    return (int)f->nsets++;
}

/* ---------- character classes ---------- */

static int is_space(uint32_t c)
{
    return c == ' ' || c == 0x3000 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200B && c != 0x2007) || c == 0x205F;
}

static int is_cjk(uint32_t c)
{
    return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF) ||
           (c >= 0x20000 && c <= 0x3FFFF);
}

/* CJK punctuation that must not start a line (kinsoku) or end one. */
static int no_line_start(uint32_t c)
{
    static const uint32_t t[] = {
        0x3001, 0x3002, 0xFF0C, 0xFF0E, 0x300D, 0x300F, 0xFF09, 0x3011, 0xFF01,
        0xFF1F, 0x30FC, 0xFF1A, 0xFF1B, 0x3063, 0x30C3, 0x3083, 0x3085, 0x3087,
        0x30E3, 0x30E5, 0x30E7, 0x3041, 0x3043, 0x3045, 0x3047, 0x3049, 0x30A1,
        0x30A3, 0x30A5, 0x30A7, 0x30A9, 0x2019, 0x201D, 0x00BB, ')',    ']',
        '}',    '.',    ',',    '!',    '?',    ':',    ';',    '%'};
    size_t i;

    for (i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i] == c)
            return 1;
    return 0;
}

static int no_line_end(uint32_t c)
{
    return c == 0x300C || c == 0x300E || c == 0xFF08 || c == 0x3010 ||
           c == 0x2018 || c == 0x201C || c == '(' || c == '[' || c == '{';
}

/* Joiners, variation selectors, skin tones, tags, keycap: never start a
 * cluster of their own; they stay in their base's face. */
static int is_continuation(uint32_t c)
{
    hb_unicode_general_category_t gc;

    if (c == 0x200D || c == 0x200C || (c >= 0xFE00 && c <= 0xFE0F) ||
        (c >= 0xE0100 && c <= 0xE01EF) || (c >= 0x1F3FB && c <= 0x1F3FF) ||
        (c >= 0xE0020 && c <= 0xE007F) || c == 0x20E3)
        return 1;
    gc = hb_unicode_general_category(hb_unicode_funcs_get_default(), c);
    return gc == HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK ||
           gc == HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK ||
           gc == HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK;
}

/* Characters whose default presentation is emoji (the common BMP ones and
 * the supplementary emoji blocks). */
static int emoji_default(uint32_t c)
{
    static const uint32_t t[] = {
        0x231A, 0x231B, 0x23E9, 0x23EA, 0x23EB, 0x23EC, 0x23F0, 0x23F3,
        0x25FD, 0x25FE, 0x2614, 0x2615, 0x267F, 0x2693, 0x26A1, 0x26AA,
        0x26AB, 0x26BD, 0x26BE, 0x26C4, 0x26C5, 0x26CE, 0x26D4, 0x26EA,
        0x26F2, 0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A, 0x270B,
        0x2728, 0x274C, 0x274E, 0x2753, 0x2754, 0x2755, 0x2757, 0x2795,
        0x2796, 0x2797, 0x27B0, 0x27BF, 0x2B1B, 0x2B1C, 0x2B50, 0x2B55};
    size_t i;

    if ((c >= 0x1F000 && c <= 0x1FAFF && !(c >= 0x1F3FB && c <= 0x1F3FF)) ||
        (c >= 0x2648 && c <= 0x2653))
        return 1;
    for (i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i] == c)
            return 1;
    return 0;
}

static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t cp;
    int n, k;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        cp = c & 0x07;
    } else {
        (*i)++;
        return 0xFFFD;
    }
    if (*i + (size_t)n >= len) {
        (*i)++;
        return 0xFFFD;
    }
    for (k = 1; k <= n; k++) {
        if ((s[*i + (size_t)k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[*i + (size_t)k] & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
        (*i)++;
        return 0xFFFD;
    }
    *i += (size_t)n + 1;
    return cp;
}

/* ---------- layout ---------- */

struct run {
    size_t start, end; /* code point indices in the paragraph */
    size_t g0, g1;     /* glyph range in pg */
    int level, face;
};

struct pglyph {
    int face;
    uint32_t gid;
    int32_t adv, xoff, yoff; /* 26.6 */
    uint32_t cl;             /* code point index in the paragraph */
};

struct work {
    avk_fonts *f;
    const avk_text_style *st;
    const struct fontset *set;
    int setidx;
    long size26;
    hb_buffer_t *buf;
    /* paragraph arrays, sized for the whole text */
    FriBidiCharType *types;
    FriBidiBracketType *btypes;
    FriBidiLevel *levels;
    hb_script_t *scripts;
    int *faces;
    int32_t *cadv;
    unsigned char *cstart;
    struct pglyph *pg;
    size_t npg, cappg;
    struct run *runs;
    size_t nruns, capruns;
    size_t *order;
    size_t caporder;
};

static int face_for(struct work *w, const uint32_t *cp, size_t n, size_t i)
{
    avk_fonts *f = w->f;
    struct fontset *s = &f->sets[w->setidx];
    uint32_t c = cp[i], nx = i + 1 < n ? cp[i + 1] : 0;
    int face;

    if (nx != 0xFE0E && (emoji_default(c) || nx == 0xFE0F || nx == 0x20E3)) {
        if (s->emoji == -2)
            s->emoji = fc_pick(f, "emoji", 0, NULL, 0x1F600, 1);
        s = &f->sets[w->setidx];
        if (has_glyph(f, s->emoji, c))
            return s->emoji;
    }
    if (has_glyph(f, s->primary, c))
        return s->primary;
    if (cpmap_get(&s->map, c, &face))
        return face;
    face = fc_pick(f, s->family, s->bold, s->lang, c, 0);
    s = &f->sets[w->setidx];
    if (!has_glyph(f, face, c))
        face = fc_search(f, s, c);
    s = &f->sets[w->setidx];
    if (face < 0)
        face = s->primary;
    if (cpmap_put(&s->map, c, face))
        return -1;
    return face;
}

static void set_scale(struct work *w, int face)
{
    hb_font_set_scale(w->f->faces[face].hb, (int)w->size26, (int)w->size26);
}

static int shape_run(struct work *w, const uint32_t *cp, size_t n,
                     struct run *r)
{
    unsigned len, k;
    hb_glyph_info_t *gi;
    hb_glyph_position_t *gp;

    hb_buffer_clear_contents(w->buf);
    hb_buffer_add_codepoints(w->buf, cp, (int)n, (unsigned)r->start,
                             (int)(r->end - r->start));
    hb_buffer_set_direction(w->buf, (r->level & 1) ? HB_DIRECTION_RTL
                                                   : HB_DIRECTION_LTR);
    hb_buffer_set_script(w->buf, w->scripts[r->start]);
    if (w->st->lang && *w->st->lang)
        hb_buffer_set_language(w->buf,
                               hb_language_from_string(w->st->lang, -1));
    hb_buffer_guess_segment_properties(w->buf);
    set_scale(w, r->face);
    hb_shape(w->f->faces[r->face].hb, w->buf, NULL, 0);
    gi = hb_buffer_get_glyph_infos(w->buf, &len);
    gp = hb_buffer_get_glyph_positions(w->buf, &len);
    if (grow((void **)&w->pg, &w->cappg, w->npg + len, sizeof *w->pg))
        return AVK_EX_OSERR;
    r->g0 = w->npg;
    for (k = 0; k < len; k++) {
        struct pglyph *g = &w->pg[w->npg++];
        g->face = r->face;
        g->gid = gi[k].codepoint;
        g->adv = gp[k].x_advance;
        if (w->f->faces[r->face].embolden)
            g->adv += (int32_t)(w->size26 / 24);
        g->xoff = gp[k].x_offset;
        g->yoff = gp[k].y_offset;
        g->cl = gi[k].cluster;
        w->cadv[g->cl] += g->adv;
        w->cstart[g->cl] = 1;
    }
    r->g1 = w->npg;
    return 0;
}

static int can_break_after(const struct work *w, const uint32_t *cp, size_t n,
                           size_t i)
{
    uint32_t a = cp[i], b;

    if (i + 1 >= n)
        return 0;
    b = cp[i + 1];
    if (!w->cstart[i + 1] || is_continuation(b) || a == 0x200D)
        return 0;
    if (is_space(a) && !is_space(b))
        return 1;
    if ((is_cjk(a) || is_cjk(b)) && !is_space(b) && !no_line_start(b) &&
        !no_line_end(a))
        return 1;
    if ((a == '-' || a == 0x2014 || a == '/') && i > 0 &&
        !is_space(cp[i - 1]) && !is_space(b) && b > '9')
        return 1;
    return 0;
}

static int add_lglyph(avk_text_layout *l, size_t *cap, const struct lglyph *g)
{
    if (grow((void **)&l->g, cap, l->ng + 1, sizeof *l->g))
        return AVK_EX_OSERR;
    l->g[l->ng++] = *g;
    return 0;
}

/* Place the glyphs of [a, b) (paragraph indices) as line `line`. */
static int place_line(struct work *w, avk_text_layout *l, size_t *capg,
                      const size_t *boff, size_t a, size_t b, size_t pend_byte,
                      int line, double *widthp)
{
    size_t nr = 0, i, j, k;
    int maxlev = 0, minodd = 255, lev;
    double pen = 0,
           base = line * l->lh + (l->lh + 0.7 * (double)l->size26 / 64) / 2;

    if (grow((void **)&w->order, &w->caporder, w->nruns + 1, sizeof *w->order))
        return AVK_EX_OSERR;
    for (i = 0; i < w->nruns; i++)
        if (w->runs[i].start < b && w->runs[i].end > a) {
            int lv = w->runs[i].level;
            w->order[nr++] = i;
            if (lv > maxlev)
                maxlev = lv;
            if ((lv & 1) && lv < minodd)
                minodd = lv;
        }
    /* L2: from the highest level down to the lowest odd level, reverse
     * every maximal sequence of runs at that level or higher. */
    for (lev = maxlev; lev >= minodd && lev > 0; lev--)
        for (i = 0; i < nr;) {
            if (w->runs[w->order[i]].level < lev) {
                i++;
                continue;
            }
            for (j = i; j < nr && w->runs[w->order[j]].level >= lev; j++)
                ;
            for (k = 0; k < (j - i) / 2; k++) {
                size_t t = w->order[i + k];
                w->order[i + k] = w->order[j - 1 - k];
                w->order[j - 1 - k] = t;
            }
            i = j;
        }
    for (i = 0; i < nr; i++) {
        const struct run *r = &w->runs[w->order[i]];
        for (k = r->g0; k < r->g1; k++) {
            const struct pglyph *pg = &w->pg[k];
            struct lglyph g;
            size_t e;
            if (pg->cl < a || pg->cl >= b)
                continue;
            for (e = pg->cl + 1; e < b && !w->cstart[e]; e++)
                ;
            g.face = pg->face;
            g.gid = pg->gid;
            g.x = (float)(pen + pg->xoff / 64.0);
            g.y = (float)(base - pg->yoff / 64.0);
            g.adv = (float)(pg->adv / 64.0);
            g.bstart = boff[pg->cl];
            g.bend = e < b ? boff[e] : pend_byte;
            g.line = line;
            if (pg->gid == 0)
                l->missing++;
            pen += pg->adv / 64.0;
            if (add_lglyph(l, capg, &g))
                return AVK_EX_OSERR;
        }
    }
    *widthp = pen;
    return 0;
}

static int layout_paragraph(struct work *w, avk_text_layout *l, size_t *capg,
                            const uint32_t *cp, const size_t *boff, size_t n,
                            size_t pend_byte, double **lw, size_t *caplw)
{
    FriBidiParType base = FRIBIDI_PAR_ON;
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    hb_script_t last = HB_SCRIPT_INVALID;
    size_t i, s;
    double maxw = w->st->max_width > 0 ? w->st->max_width : INFINITY;

    w->npg = w->nruns = 0;
    if (n == 0) { /* an empty line still takes its height */
        if (grow((void **)lw, caplw, (size_t)l->lines + 1, sizeof **lw))
            return AVK_EX_OSERR;
        (*lw)[l->lines++] = 0;
        return 0;
    }
    fribidi_get_bidi_types(cp, (FriBidiStrIndex)n, w->types);
    fribidi_get_bracket_types(cp, (FriBidiStrIndex)n, w->types, w->btypes);
    if (!fribidi_get_par_embedding_levels_ex(
            w->types, w->btypes, (FriBidiStrIndex)n, &base, w->levels))
        memset(w->levels, 0, n * sizeof *w->levels);
    for (i = 0; i < n; i++) {
        hb_script_t sc = hb_unicode_script(uf, cp[i]);
        if (sc == HB_SCRIPT_COMMON || sc == HB_SCRIPT_INHERITED ||
            sc == HB_SCRIPT_UNKNOWN)
            sc = last;
        else
            last = sc;
        w->scripts[i] = sc;
    }
    for (i = n; i-- > 0;) { /* leading Common takes the first real script */
        if (w->scripts[i] != HB_SCRIPT_INVALID)
            last = w->scripts[i];
        else
            w->scripts[i] = last == HB_SCRIPT_INVALID ? HB_SCRIPT_LATIN : last;
    }
    for (i = 0; i < n; i++) {
        if (i > 0 && is_continuation(cp[i]) &&
            (has_glyph(w->f, w->faces[i - 1], cp[i]) ||
             w->f->faces[w->faces[i - 1]].color || cp[i] == 0x200D ||
             (cp[i] >= 0xFE00 && cp[i] <= 0xFE0F)))
            w->faces[i] = w->faces[i - 1];
        else if ((w->faces[i] = face_for(w, cp, n, i)) < 0)
            return AVK_EX_OSERR;
        w->cadv[i] = 0;
        w->cstart[i] = 0;
    }
    for (s = 0; s < n;) {
        struct run *r;
        size_t e = s + 1;
        while (e < n && w->levels[e] == w->levels[s] &&
               w->scripts[e] == w->scripts[s] && w->faces[e] == w->faces[s])
            e++;
        if (grow((void **)&w->runs, &w->capruns, w->nruns + 1, sizeof *w->runs))
            return AVK_EX_OSERR;
        r = &w->runs[w->nruns++];
        r->start = s;
        r->end = e;
        r->level = (unsigned char)w->levels[s]; /* 0..125 */
        r->face = w->faces[s];
        if (shape_run(w, cp, n, r))
            return AVK_EX_OSERR;
        s = e;
    }
    /* Greedy line breaking. */
    for (s = 0; s < n;) {
        size_t e, lastbrk = 0, end, trim;
        double width = 0, wbrk = 0, lwidth;
        int havebrk = 0;
        for (e = s; e < n; e++) {
            double nw = width + w->cadv[e] / 64.0;
            if (!is_space(cp[e]) && nw > maxw + 0.01 && e > s) {
                if (havebrk)
                    break;
                if (w->cstart[e]) /* emergency break at a cluster start */
                    break;
            }
            width = nw;
            if (can_break_after(w, cp, n, e)) {
                havebrk = 1;
                lastbrk = e + 1;
                wbrk = width;
            }
        }
        (void)wbrk;
        end = e < n && havebrk ? lastbrk : e;
        for (trim = end; trim > s && is_space(cp[trim - 1]); trim--)
            ;
        if (grow((void **)lw, caplw, (size_t)l->lines + 1, sizeof **lw))
            return AVK_EX_OSERR;
        if (place_line(w, l, capg, boff, s, trim, pend_byte, l->lines, &lwidth))
            return AVK_EX_OSERR;
        (*lw)[l->lines++] = lwidth;
        s = end;
        while (s < n && is_space(cp[s]) && s > 0 && end < n)
            s++;
    }
    return 0;
}

void avk_text_style_init(avk_text_style *s)
{
    memset(s, 0, sizeof *s);
    s->size_px = 48;
    s->color = 0xffffffffu;
    s->align = AVK_TEXT_CENTER;
    s->line_height = 1.2;
}

avk_text_layout *avk_text_layout_new(avk_fonts *fonts, const char *utf8,
                                     const avk_text_style *style, avk_err *err)
{
    const unsigned char *s = (const unsigned char *)(utf8 ? utf8 : "");
    size_t len = strlen((const char *)s), n = 0, i, p0, capg = 0, caplw = 0;
    uint32_t *cp = NULL;
    size_t *boff = NULL;
    double *lw = NULL;
    avk_text_layout *l = NULL;
    struct work w;
    int rc = AVK_EX_OSERR, line;
    size_t gi;

    memset(&w, 0, sizeof w);
    if (!fonts || !style || !(style->size_px >= 1 && style->size_px <= 2000)) {
        avk_fail(err, AVK_EX_DATAERR, "bad text size");
        return NULL;
    }
    if (len > MAX_TEXT_CPS) {
        avk_fail(err, AVK_EX_DATAERR, "text of %zu bytes is too long", len);
        return NULL;
    }
    l = calloc(1, sizeof *l);
    cp = malloc((len + 1) * sizeof *cp);
    boff = malloc((len + 1) * sizeof *boff);
    w.types = malloc((len + 1) * sizeof *w.types);
    w.btypes = malloc((len + 1) * sizeof *w.btypes);
    w.levels = malloc((len + 1) * sizeof *w.levels);
    w.scripts = malloc((len + 1) * sizeof *w.scripts);
    w.faces = malloc((len + 1) * sizeof *w.faces);
    w.cadv = malloc((len + 1) * sizeof *w.cadv);
    w.cstart = malloc(len + 1);
    w.buf = hb_buffer_create();
    if (!l || !cp || !boff || !w.types || !w.btypes || !w.levels ||
        !w.scripts || !w.faces || !w.cadv || !w.cstart ||
        !hb_buffer_allocation_successful(w.buf))
        goto fail;
    for (i = 0; i < len;) {
        uint32_t c;
        boff[n] = i;
        c = utf8_next(s, len, &i);
        if (c == '\t' || (c < 0x20 && c != '\n') || c == 0x7F ||
            (c >= 0x80 && c < 0xA0))
            c = ' ';
        if (c == '\r')
            c = ' ';
        cp[n++] = c;
    }
    boff[n] = len;
    l->fonts = fonts;
    l->size26 = lround(style->size_px * 64);
    l->stroke26 = style->outline_px > 0 ? lround(style->outline_px * 64) : 0;
    l->blur26 = style->shadow_blur > 0 && style->shadow_blur < 200
                    ? lround(style->shadow_blur * 64)
                    : 0;
    l->lh =
        (style->line_height > 0 ? style->line_height : 1.2) * style->size_px;
    l->color = style->color;
    l->outline_color = style->outline_color;
    l->shadow_color = style->shadow_color;
    l->shadow_dx = style->shadow_dx;
    l->shadow_dy = style->shadow_dy;
    w.f = fonts;
    w.st = style;
    w.size26 = l->size26;
    w.setidx = fontset_get(
        fonts, style->family && *style->family ? style->family : DEFAULT_FAMILY,
        style->bold ? 1 : 0, style->lang);
    if (w.setidx < 0) {
        rc = AVK_EX_CONFIG;
        avk_fail(err, rc, "no usable font for '%s'",
                 style->family ? style->family : DEFAULT_FAMILY);
        goto fail_quiet;
    }
    for (p0 = 0;;) {
        size_t p1 = p0;
        while (p1 < n && cp[p1] != '\n' && cp[p1] != 0x2029)
            p1++;
        if (layout_paragraph(&w, l, &capg, cp + p0, boff + p0, p1 - p0,
                             boff[p1], &lw, &caplw))
            goto fail;
        if (p1 >= n)
            break;
        p0 = p1 + 1;
    }
    for (line = 0; line < l->lines; line++)
        if (lw[line] > l->width)
            l->width = lw[line];
    for (gi = 0; gi < l->ng; gi++) {
        double slack = l->width - lw[l->g[gi].line];
        if (style->align == AVK_TEXT_CENTER)
            l->g[gi].x += (float)(slack / 2);
        else if (style->align == AVK_TEXT_RIGHT)
            l->g[gi].x += (float)slack;
    }
    l->height = l->lines * l->lh;
    rc = 0;
fail:
    if (rc)
        avk_fail(err, rc, "out of memory");
fail_quiet:
    hb_buffer_destroy(w.buf);
    free(w.types);
    free(w.btypes);
    free(w.levels);
    free(w.scripts);
    free(w.faces);
    free(w.cadv);
    free(w.cstart);
    free(w.pg);
    free(w.runs);
    free(w.order);
    free(cp);
    free(boff);
    free(lw);
    if (rc) {
        avk_text_layout_free(l);
        return NULL;
    }
    return l;
}

void avk_text_layout_free(avk_text_layout *l)
{
    if (!l)
        return;
    free(l->g);
    free(l);
}

double avk_text_layout_width(const avk_text_layout *l)
{
    return l->width;
}
double avk_text_layout_height(const avk_text_layout *l)
{
    return l->height;
}
int avk_text_layout_lines(const avk_text_layout *l)
{
    return l->lines;
}
int avk_text_layout_missing(const avk_text_layout *l)
{
    return l->missing;
}
size_t avk_text_layout_glyph_count(const avk_text_layout *l)
{
    return l->ng;
}

int avk_text_layout_glyph(const avk_text_layout *l, size_t i, avk_text_glyph *g)
{
    const struct lglyph *s;

    if (i >= l->ng)
        return AVK_EX_DATAERR;
    s = &l->g[i];
    g->x = s->x;
    g->y = s->y;
    g->advance = s->adv;
    g->byte_start = s->bstart;
    g->byte_end = s->bend;
    g->line = s->line;
    g->missing = s->gid == 0;
    g->color = l->fonts->faces[s->face].color;
    return 0;
}

int avk_text_range_bounds(const avk_text_layout *l, size_t byte_start,
                          size_t byte_end, double *x, double *y, double *w,
                          double *h)
{
    double x0 = INFINITY, x1 = -INFINITY;
    int line = -1;
    size_t i;

    for (i = 0; i < l->ng; i++) {
        const struct lglyph *g = &l->g[i];
        if (g->bstart < byte_start || g->bstart >= byte_end)
            continue;
        if (line < 0)
            line = g->line;
        if (g->line != line)
            continue;
        if (g->x < x0)
            x0 = g->x;
        if (g->x + g->adv > x1)
            x1 = g->x + g->adv;
    }
    if (line < 0)
        return AVK_EX_DATAERR;
    *x = x0;
    *y = line * l->lh;
    *w = x1 - x0;
    *h = l->lh;
    return 0;
}

/* ---------- glyph cache and rasterisation ---------- */

static size_t gkey_hash(const struct gkey *k)
{
    uint32_t h = hash32((uint32_t)k->face * 0x9E3779B1u ^ k->gid);
    h = hash32(h ^ (uint32_t)k->size);
    return hash32(h ^ (uint32_t)k->stroke ^ ((uint32_t)k->blur << 16));
}

static int gkey_eq(const struct gkey *a, const struct gkey *b)
{
    return a->face == b->face && a->gid == b->gid && a->size == b->size &&
           a->stroke == b->stroke && a->blur == b->blur;
}

static int cache_grow(avk_fonts *f)
{
    size_t nc = f->gcap ? f->gcap * 2 : 256, i, j;
    struct gent *ng = calloc(nc, sizeof *ng);

    if (!ng)
        return AVK_EX_OSERR;
    for (i = 0; i < f->gcap; i++)
        if (f->gc[i].used) {
            for (j = gkey_hash(&f->gc[i].k) & (nc - 1); ng[j].used;
                 j = (j + 1) & (nc - 1))
                ;
            ng[j] = f->gc[i];
        }
    free(f->gc);
    f->gc = ng;
    f->gcap = nc;
    return 0;
}

static void copy_bitmap(const FT_Bitmap *bm, uint8_t *dst)
{
    unsigned y;

    for (y = 0; y < bm->rows; y++) {
        const uint8_t *src = bm->pitch >= 0
                                 ? bm->buffer + (size_t)y * (size_t)bm->pitch
                                 : bm->buffer + (size_t)(bm->rows - 1 - y) *
                                                    (size_t)(-bm->pitch);
        memcpy(dst + (size_t)y * bm->width, src, bm->width);
    }
}

/* Rasterise a colour glyph from the nearest strike, scaled to the size. */
static int raster_color(avk_fonts *f, struct face *fa, struct gent *e)
{
    FT_Face ft = fa->ft;
    FT_Bitmap *bm;
    avk_image src, dst;
    double scale;
    int best = 0, i, x, y, rc, w, h;
    double want = (double)e->k.size / 64;

    for (i = 1; i < ft->num_fixed_sizes; i++)
        if (fabs(ft->available_sizes[i].y_ppem / 64.0 - want) <
            fabs(ft->available_sizes[best].y_ppem / 64.0 - want))
            best = i;
    if (FT_Select_Size(ft, best))
        return AVK_EX_DATAERR;
    fa->cur_size = 0;
    if (FT_Load_Glyph(ft, e->k.gid, FT_LOAD_COLOR))
        return AVK_EX_DATAERR;
    if (ft->glyph->format != FT_GLYPH_FORMAT_BITMAP &&
        FT_Render_Glyph(ft->glyph, FT_RENDER_MODE_NORMAL))
        return AVK_EX_DATAERR;
    bm = &ft->glyph->bitmap;
    if (bm->pixel_mode != FT_PIXEL_MODE_BGRA || bm->width == 0 || bm->rows == 0)
        return AVK_EX_DATAERR;
    scale = want / (ft->available_sizes[best].y_ppem / 64.0);
    avk_image_init(&src);
    avk_image_init(&dst);
    if ((rc = avk_image_alloc(&src, (int)bm->width, (int)bm->rows)))
        return rc;
    for (y = 0; y < (int)bm->rows; y++) {
        const uint8_t *s = bm->buffer + (size_t)y * (size_t)bm->pitch;
        uint8_t *d = src.px + (size_t)y * src.stride;
        for (x = 0; x < (int)bm->width; x++, s += 4, d += 4) {
            d[0] = s[2];
            d[1] = s[1];
            d[2] = s[0];
            d[3] = s[3];
        }
    }
    w = (int)lround(bm->width * scale);
    h = (int)lround(bm->rows * scale);
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    rc = avk_image_resize(&src, w, h, &dst, NULL);
    avk_image_release(&src);
    if (rc)
        return rc;
    e->color = 1;
    e->w = w;
    e->h = h;
    e->left = (int)lround(ft->glyph->bitmap_left * scale);
    e->top = (int)lround(ft->glyph->bitmap_top * scale);
    e->data = malloc((size_t)w * (size_t)h * 4);
    if (!e->data) {
        avk_image_release(&dst);
        return AVK_EX_OSERR;
    }
    for (y = 0; y < h; y++)
        memcpy(e->data + (size_t)y * w * 4, dst.px + (size_t)y * dst.stride,
               (size_t)w * 4);
    avk_image_release(&dst);
    return 0;
}

static int raster_mask(avk_fonts *f, struct face *fa, struct gent *e)
{
    FT_Face ft = fa->ft;
    FT_Glyph g = NULL;
    FT_BitmapGlyph bg;

    if (fa->cur_size != e->k.size) {
        if (FT_Set_Char_Size(ft, 0, e->k.size, 72, 72))
            return AVK_EX_DATAERR;
        fa->cur_size = e->k.size;
    }
    if (FT_Load_Glyph(ft, e->k.gid, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP))
        return AVK_EX_DATAERR;
    if (ft->glyph->format != FT_GLYPH_FORMAT_OUTLINE)
        return AVK_EX_DATAERR;
    if (fa->embolden)
        FT_Outline_Embolden(&ft->glyph->outline, e->k.size / 24);
    if (FT_Get_Glyph(ft->glyph, &g))
        return AVK_EX_OSERR;
    if (e->k.stroke > 0) {
        FT_Stroker_Set(f->stroker, e->k.stroke, FT_STROKER_LINECAP_ROUND,
                       FT_STROKER_LINEJOIN_ROUND, 0);
        if (FT_Glyph_StrokeBorder(&g, f->stroker, 0, 1)) {
            FT_Done_Glyph(g);
            return AVK_EX_DATAERR;
        }
    }
    if (FT_Glyph_To_Bitmap(&g, FT_RENDER_MODE_NORMAL, NULL, 1)) {
        FT_Done_Glyph(g);
        return AVK_EX_DATAERR;
    }
    bg = (FT_BitmapGlyph)g;
    e->w = (int)bg->bitmap.width;
    e->h = (int)bg->bitmap.rows;
    e->left = bg->left;
    e->top = bg->top;
    e->data = NULL;
    if (e->w > 0 && e->h > 0) {
        if (bg->bitmap.pixel_mode != FT_PIXEL_MODE_GRAY) {
            FT_Done_Glyph(g);
            return AVK_EX_DATAERR;
        }
        e->data = malloc((size_t)e->w * (size_t)e->h);
        if (!e->data) {
            FT_Done_Glyph(g);
            return AVK_EX_OSERR;
        }
        copy_bitmap(&bg->bitmap, e->data);
    }
    FT_Done_Glyph(g);
    return 0;
}

/* One box-blur pass of radius r over n values spaced step apart in p,
 * using tmp (n values). */
static void box_pass(uint8_t *p, size_t step, int n, int r, uint8_t *tmp)
{
    int i, sum = 0, win = 2 * r + 1;

    for (i = 0; i < n; i++)
        tmp[i] = p[(size_t)i * step];
    for (i = -r; i <= r; i++)
        sum += i >= 0 && i < n ? tmp[i] : 0;
    for (i = 0; i < n; i++) {
        int out = i - r, in = i + r + 1;
        p[(size_t)i * step] = (uint8_t)((sum + win / 2) / win);
        sum -= out >= 0 ? tmp[out] : 0;
        sum += in < n ? tmp[in] : 0;
    }
}

/* Turn e into a blurred A8 mask (from its coverage or colour alpha),
 * grown by the blur's reach on every side: three box passes, close to a
 * Gaussian of the given radius. */
static int blur_entry(struct gent *e, double radius)
{
    int rb = (int)lround(radius / 3), pad, w, h, x, y;
    uint8_t *m, *tmp;

    if (rb < 1)
        rb = 1;
    pad = 3 * rb;
    w = e->w + 2 * pad;
    h = e->h + 2 * pad;
    m = calloc((size_t)w * (size_t)h, 1);
    tmp = malloc((size_t)(w > h ? w : h));
    if (!m || !tmp) {
        free(m);
        free(tmp);
        return AVK_EX_OSERR;
    }
    for (y = 0; y < e->h; y++)
        for (x = 0; x < e->w; x++)
            m[(size_t)(y + pad) * w + x + pad] =
                e->color ? e->data[((size_t)y * e->w + x) * 4 + 3]
                         : e->data[(size_t)y * e->w + x];
    for (x = 0; x < 3; x++) {
        for (y = 0; y < h; y++)
            box_pass(m + (size_t)y * w, 1, w, rb, tmp);
        for (y = 0; y < w; y++)
            box_pass(m + y, (size_t)w, h, rb, tmp);
    }
    free(tmp);
    free(e->data);
    e->data = m;
    e->w = w;
    e->h = h;
    e->left -= pad;
    e->top += pad;
    e->color = 0;
    return 0;
}

/* The cached bitmap for a glyph, rasterising it on first use.  NULL when
 * the glyph has no usable image (the draw skips it). */
static const struct gent *glyph_get(avk_fonts *f, int face, uint32_t gid,
                                    long size, long stroke, long blur, int *oom)
{
    struct gkey k;
    struct gent e;
    size_t i;
    int rc;

    k.face = face;
    k.gid = gid;
    k.size = size;
    k.stroke = stroke;
    k.blur = blur;
    if (f->gcap) {
        for (i = gkey_hash(&k) & (f->gcap - 1); f->gc[i].used;
             i = (i + 1) & (f->gcap - 1))
            if (gkey_eq(&f->gc[i].k, &k))
                return f->gc[i].data ? &f->gc[i] : NULL;
    }
    memset(&e, 0, sizeof e);
    e.k = k;
    e.used = 1;
    if (f->faces[face].color)
        rc = stroke ? AVK_EX_DATAERR : raster_color(f, &f->faces[face], &e);
    else
        rc = raster_mask(f, &f->faces[face], &e);
    if (rc == 0 && blur > 0 && e.data)
        rc = blur_entry(&e, blur / 64.0);
    if (rc == AVK_EX_OSERR) {
        *oom = 1;
        return NULL;
    }
    if (rc) { /* remember the failure as an empty entry */
        free(e.data);
        e.data = NULL;
        e.w = e.h = 0;
    }
    if (f->gbytes > GLYPH_CACHE_MAX)
        cache_clear(f);
    if ((f->gn + 1) * 2 > f->gcap && cache_grow(f)) {
        free(e.data);
        *oom = 1;
        return NULL;
    }
    for (i = gkey_hash(&k) & (f->gcap - 1); f->gc[i].used;
         i = (i + 1) & (f->gcap - 1))
        ;
    f->gc[i] = e;
    f->gn++;
    f->gbytes += (size_t)e.w * (size_t)e.h * (e.color ? 4 : 1) + sizeof e;
    return f->gc[i].data ? &f->gc[i] : NULL;
}

/* ---------- drawing ---------- */

/* a * b / 255, rounded, exact for a, b <= 255. */
static inline unsigned mul255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (t + (t >> 8)) >> 8;
}

static void draw_mask(avk_image *dst, const struct gent *e, int ox, int oy,
                      uint32_t color)
{
    unsigned ca = color & 255, pr, pg, pb;
    int x0, y0, x1, y1, x, y;

    if (!ca)
        return;
    pr = mul255((color >> 24) & 255, ca);
    pg = mul255((color >> 16) & 255, ca);
    pb = mul255((color >> 8) & 255, ca);
    x0 = ox < 0 ? -ox : 0;
    y0 = oy < 0 ? -oy : 0;
    x1 = e->w;
    y1 = e->h;
    if (ox + x1 > dst->w)
        x1 = dst->w - ox;
    if (oy + y1 > dst->h)
        y1 = dst->h - oy;
    for (y = y0; y < y1; y++) {
        const uint8_t *m = e->data + (size_t)y * e->w;
        uint8_t *d =
            dst->px + (size_t)(oy + y) * dst->stride + 4 * (size_t)(ox + x0);
        for (x = x0; x < x1; x++) {
            unsigned cov = m[x], inv;
            uint8_t *p;
            if (!cov)
                continue;
            p = d + 4 * (size_t)(x - x0);
            if (cov == 255 && ca == 255) {
                p[0] = (uint8_t)pr;
                p[1] = (uint8_t)pg;
                p[2] = (uint8_t)pb;
                p[3] = 255;
                continue;
            }
            inv = 255 - mul255(ca, cov);
            p[0] = (uint8_t)(mul255(pr, cov) + mul255(p[0], inv));
            p[1] = (uint8_t)(mul255(pg, cov) + mul255(p[1], inv));
            p[2] = (uint8_t)(mul255(pb, cov) + mul255(p[2], inv));
            p[3] = (uint8_t)(mul255(ca, cov) + mul255(p[3], inv));
        }
    }
}

/* Colour glyph: its own colours at the fill's opacity, or (shadow) just
 * its alpha in the given colour. */
static void draw_color(avk_image *dst, const struct gent *e, int ox, int oy,
                       uint32_t color, int as_mask)
{
    unsigned ca = color & 255;
    int x0, y0, x1, y1, x, y;

    if (!ca)
        return;
    x0 = ox < 0 ? -ox : 0;
    y0 = oy < 0 ? -oy : 0;
    x1 = e->w;
    y1 = e->h;
    if (ox + x1 > dst->w)
        x1 = dst->w - ox;
    if (oy + y1 > dst->h)
        y1 = dst->h - oy;
    for (y = y0; y < y1; y++) {
        const uint8_t *s = e->data + (size_t)y * e->w * 4;
        uint8_t *d =
            dst->px + (size_t)(oy + y) * dst->stride + 4 * (size_t)(ox + x0);
        for (x = x0; x < x1; x++) {
            const uint8_t *sp = s + 4 * x;
            uint8_t *p = d + 4 * (size_t)(x - x0);
            unsigned sa = (sp[3] * ca + 127) / 255, inv, c;
            if (!sa)
                continue;
            inv = 255 - sa;
            for (c = 0; c < 3; c++) {
                unsigned sv = as_mask
                                  ? ((color >> (24 - 8 * c)) & 255) * sa / 255
                                  : (sp[c] * ca + 127) / 255;
                unsigned v = sv + (p[c] * inv + 127) / 255;
                p[c] = (uint8_t)(v > 255 ? 255 : v);
            }
            p[3] = (uint8_t)(sa + (p[3] * inv + 127) / 255);
        }
    }
}

static uint32_t span_color(const avk_text_layout *l, const struct lglyph *g,
                           const avk_text_span *spans, size_t n)
{
    uint32_t c = l->color;
    size_t i;

    for (i = 0; i < n; i++)
        if (g->bstart >= spans[i].byte_start && g->bstart < spans[i].byte_end)
            c = spans[i].color;
    return c;
}

int avk_text_draw(avk_image *dst, const avk_text_layout *l, double x, double y,
                  const avk_text_span *spans, size_t nspans)
{
    avk_fonts *f = l->fonts;
    int pass, oom = 0;
    size_t i;

    if (!dst || !dst->px)
        return 0;
    for (pass = 0; pass < 3; pass++) {
        double dx = x, dy = y;
        long stroke = 0, blur = 0;
        if (pass == 0) {
            if (!(l->shadow_color & 255))
                continue;
            dx += l->shadow_dx;
            dy += l->shadow_dy;
            stroke = l->stroke26;
            blur = l->blur26;
        } else if (pass == 1) {
            if (!l->stroke26 || !(l->outline_color & 255))
                continue;
            stroke = l->stroke26;
        }
        for (i = 0; i < l->ng; i++) {
            const struct lglyph *g = &l->g[i];
            int color = f->faces[g->face].color;
            const struct gent *e;
            int ox, oy;
            if (pass == 1 && color)
                continue;
            e = glyph_get(f, g->face, g->gid, l->size26, color ? 0 : stroke,
                          blur, &oom);
            if (!e)
                continue;
            ox = (int)floor(dx + g->x + 0.5) + e->left;
            oy = (int)floor(dy + g->y + 0.5) - e->top;
            if (ox >= dst->w || oy >= dst->h || ox + e->w <= 0 ||
                oy + e->h <= 0)
                continue;
            if (e->color)
                draw_color(dst, e, ox, oy,
                           pass == 0 ? l->shadow_color
                                     : span_color(l, g, spans, nspans),
                           pass == 0);
            else
                draw_mask(dst, e, ox, oy,
                          pass == 0   ? l->shadow_color
                          : pass == 1 ? l->outline_color
                                      : span_color(l, g, spans, nspans));
        }
    }
    return oom ? AVK_EX_OSERR : 0;
}
