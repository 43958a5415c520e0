/*
 * procart.c - procedural scene art (see procart.h).
 *
 * The picture is composed in a float RGB canvas (0..1 per channel), layer
 * by layer with straight "over" mixing, then quantised to 8 bits with a
 * triangular dither drawn from a per-pixel hash, so gradients never band.
 * The title card is drawn on the 8-bit image with lib/text.
 * Invariants: all randomness comes from a splitmix64 stream seeded from
 * (seed, topic, scene) or from position hashes of that seed, so output
 * depends on the options only; nothing reads the clock or global state.
 */
#include "procart.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct palette {
    const char *name;
    uint32_t c[5]; /* dark .. light, then the accent: 0xRRGGBB */
    int light;     /* a light palette: dark ink on light cards */
};

static const struct palette palettes[] = {
    {"sunset", {0x2d1b4e, 0x8e2d6b, 0xff6f59, 0xffb88c, 0xffd166}, 0},
    {"ocean", {0x0b1f3a, 0x135e7a, 0x1fa3a8, 0x7ee0d6, 0xf4f1de}, 0},
    {"forest", {0x132a13, 0x31572c, 0x4f772d, 0x90a955, 0xecf39e}, 0},
    {"citrus", {0x2b2d42, 0xef8354, 0xf7b32b, 0xfcf6bd, 0x4ecdc4}, 0},
    {"berry", {0x2a0a2e, 0x6a0f49, 0xc2185b, 0xf06292, 0xffd1dc}, 0},
    {"midnight", {0x0f0c29, 0x302b63, 0x5b4bbd, 0x7f5af0, 0x2cb67d}, 0},
    {"neon", {0x0d0221, 0x261447, 0xff2a6d, 0x05d9e8, 0xd1f7ff}, 0},
    {"earth", {0x3d2c2e, 0x7f5539, 0xb08968, 0xddb892, 0xede0d4}, 0},
    {"mint", {0x1b4332, 0x2d6a4f, 0x52b788, 0xb7e4c7, 0xf1faee}, 0},
    {"mono", {0x121212, 0x2b2b2b, 0x5c5c5c, 0xd9d9d9, 0xffcc00}, 0},
    {"pastel", {0x5a4e7c, 0xcdb4db, 0xffc8dd, 0xbde0fe, 0xa2d2ff}, 1},
    {"sand", {0x3a3335, 0xd0ccd0, 0xf0e6d8, 0xe7c8a0, 0xc08552}, 1},
};
#define NPAL (sizeof palettes / sizeof palettes[0])

static const char *const styles[] = {"soft", "geometric", "minimal"};

/* Topic words that suggest a palette family. */
static const struct {
    const char *word, *palette;
} hints[] = {
    {"ocean", "ocean"},    {"sea", "ocean"},      {"water", "ocean"},
    {"travel", "ocean"},   {"beach", "ocean"},    {"forest", "forest"},
    {"nature", "forest"},  {"plant", "forest"},   {"garden", "mint"},
    {"health", "mint"},    {"sleep", "midnight"}, {"space", "midnight"},
    {"night", "midnight"}, {"ai", "neon"},        {"tech", "neon"},
    {"code", "neon"},      {"game", "neon"},      {"food", "citrus"},
    {"cook", "citrus"},    {"summer", "citrus"},  {"love", "berry"},
    {"beauty", "berry"},   {"fashion", "berry"},  {"money", "earth"},
    {"history", "earth"},  {"coffee", "earth"},   {"design", "pastel"},
    {"baby", "pastel"},    {"study", "sand"},     {"book", "sand"},
};

const char *avk_procart_palette_name(size_t i)
{
    return i < NPAL ? palettes[i].name : NULL;
}

const char *avk_procart_style_name(size_t i)
{
    return i < sizeof styles / sizeof styles[0] ? styles[i] : NULL;
}

void avk_procart_opts_init(avk_procart_opts *o)
{
    memset(o, 0, sizeof *o);
    o->width = 1080;
    o->height = 1920;
}

/* ---------- randomness ---------- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t next64(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return mix64(*s);
}

/* Uniform in [0, 1). */
static double rnd(uint64_t *s)
{
    return (double)(next64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double rrange(uint64_t *s, double a, double b)
{
    return a + (b - a) * rnd(s);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, case-folded */

    for (; s && *s; s++) {
        h ^= (uint64_t)(unsigned char)tolower((unsigned char)*s);
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---------- canvas ---------- */

struct rgb {
    float r, g, b;
};

struct canvas {
    float *p; /* w*h*3 */
    int w, h;
};

static struct rgb col(uint32_t c)
{
    struct rgb x;
    x.r = (float)((c >> 16) & 255) / 255.0f;
    x.g = (float)((c >> 8) & 255) / 255.0f;
    x.b = (float)(c & 255) / 255.0f;
    return x;
}

static struct rgb lerp(struct rgb a, struct rgb b, float t)
{
    struct rgb x;
    x.r = a.r + (b.r - a.r) * t;
    x.g = a.g + (b.g - a.g) * t;
    x.b = a.b + (b.b - a.b) * t;
    return x;
}

static void put(struct canvas *c, int x, int y, struct rgb v, float a)
{
    float *p = c->p + 3 * ((size_t)y * c->w + x);

    if (a <= 0)
        return;
    if (a > 1)
        a = 1;
    p[0] += (v.r - p[0]) * a;
    p[1] += (v.g - p[1]) * a;
    p[2] += (v.b - p[2]) * a;
}

static float smooth(float e0, float e1, float x)
{
    float t = (x - e0) / (e1 - e0);
    if (t < 0)
        t = 0;
    if (t > 1)
        t = 1;
    return t * t * (3 - 2 * t);
}

/* Linear (kind 0, angle in radians) or radial (kind 1, centre cx,cy)
 * gradient through three colours. */
static void gradient(struct canvas *c, int kind, double angle, double cx,
                     double cy, struct rgb a, struct rgb b, struct rgb d)
{
    double dx = cos(angle), dy = sin(angle), lo, hi, span;
    double diag = hypot(c->w, c->h);
    int x, y;

    lo = -0.5 * (fabs(dx) * c->w + fabs(dy) * c->h);
    hi = -lo;
    span = hi - lo;
    for (y = 0; y < c->h; y++)
        for (x = 0; x < c->w; x++) {
            double t;
            struct rgb v;
            if (kind == 0)
                t = ((x - c->w / 2.0) * dx + (y - c->h / 2.0) * dy - lo) / span;
            else
                t = hypot(x - cx * c->w, y - cy * c->h) / (0.75 * diag);
            if (t < 0)
                t = 0;
            if (t > 1)
                t = 1;
            /* ease for a softer middle */
            t = t * t * (3 - 2 * t);
            v = t < 0.5 ? lerp(a, b, (float)(t * 2))
                        : lerp(b, d, (float)(t * 2 - 1));
            c->p[3 * ((size_t)y * c->w + x) + 0] = v.r;
            c->p[3 * ((size_t)y * c->w + x) + 1] = v.g;
            c->p[3 * ((size_t)y * c->w + x) + 2] = v.b;
        }
}

/* A soft glow: full alpha inside r*core, fading to 0 at r. */
static void blob(struct canvas *c, double cx, double cy, double r, double core,
                 struct rgb v, float alpha)
{
    int x0 = (int)floor(cx - r), x1 = (int)ceil(cx + r);
    int y0 = (int)floor(cy - r), y1 = (int)ceil(cy + r), x, y;

    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > c->w)
        x1 = c->w;
    if (y1 > c->h)
        y1 = c->h;
    for (y = y0; y < y1; y++)
        for (x = x0; x < x1; x++) {
            float d = (float)(hypot(x + 0.5 - cx, y + 0.5 - cy) / r);
            if (d < 1)
                put(c, x, y, v, alpha * (1 - smooth((float)core, 1, d)));
        }
}

/* Antialiased disc (fill) or ring of the given line width. */
static void disc(struct canvas *c, double cx, double cy, double r, double line,
                 struct rgb v, float alpha)
{
    double reach = r + line + 2;
    int x0 = (int)floor(cx - reach), x1 = (int)ceil(cx + reach);
    int y0 = (int)floor(cy - reach), y1 = (int)ceil(cy + reach), x, y;

    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > c->w)
        x1 = c->w;
    if (y1 > c->h)
        y1 = c->h;
    for (y = y0; y < y1; y++)
        for (x = x0; x < x1; x++) {
            double d = hypot(x + 0.5 - cx, y + 0.5 - cy), cov;
            if (line > 0)
                cov = line / 2 + 0.5 - fabs(d - r);
            else
                cov = r + 0.5 - d;
            if (cov > 0)
                put(c, x, y, v, alpha * (float)(cov > 1 ? 1 : cov));
        }
}

static void stripes(struct canvas *c, double angle, double period, double width,
                    struct rgb v, float alpha, double y_fade)
{
    double dx = cos(angle), dy = sin(angle);
    int x, y;

    for (y = 0; y < c->h; y++) {
        float fade = 1 - smooth((float)(y_fade * c->h), (float)c->h, (float)y);
        if (fade <= 0)
            continue;
        for (x = 0; x < c->w; x++) {
            double u = fmod(fabs(x * dx + y * dy), period);
            double cov = width / 2 + 0.5 - fabs(u - period / 2);
            if (cov > 0)
                put(c, x, y, v, alpha * fade * (float)(cov > 1 ? 1 : cov));
        }
    }
}

/* A halftone-like dot grid whose dots grow toward (fx, fy). */
static void dots(struct canvas *c, double cell, double fx, double fy,
                 struct rgb v, float alpha)
{
    double diag = hypot(c->w, c->h);
    int i, j;

    for (j = 0; j * cell < c->h * 0.66; j++)
        for (i = 0; i * cell < c->w + cell; i++) {
            double cx = i * cell + (j & 1 ? cell / 2 : 0),
                   cy = j * cell + cell / 2;
            double d = hypot(cx - fx * c->w, cy - fy * c->h) / diag;
            double r = cell * 0.32 * (1 - smooth(0.0f, 0.6f, (float)d));
            if (r > 0.6)
                disc(c, cx, cy, r, 0, v, alpha);
        }
}

static void round_rect(struct canvas *c, double x0, double y0, double x1,
                       double y1, double rad, struct rgb v, float alpha)
{
    int x, y;
    int ix0 = (int)floor(x0) - 1, ix1 = (int)ceil(x1) + 1;
    int iy0 = (int)floor(y0) - 1, iy1 = (int)ceil(y1) + 1;
    double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    double hx = (x1 - x0) / 2 - rad, hy = (y1 - y0) / 2 - rad;

    if (ix0 < 0)
        ix0 = 0;
    if (iy0 < 0)
        iy0 = 0;
    if (ix1 > c->w)
        ix1 = c->w;
    if (iy1 > c->h)
        iy1 = c->h;
    for (y = iy0; y < iy1; y++)
        for (x = ix0; x < ix1; x++) {
            double qx = fabs(x + 0.5 - cx) - hx, qy = fabs(y + 0.5 - cy) - hy;
            double ox = qx > 0 ? qx : 0, oy = qy > 0 ? qy : 0;
            double d = hypot(ox, oy) +
                       (qx > qy ? (qx < 0 ? qx : 0) : (qy < 0 ? qy : 0)) - rad;
            double cov = 0.5 - d;
            if (cov > 0)
                put(c, x, y, v, alpha * (float)(cov > 1 ? 1 : cov));
        }
}

/* Grain, lower-third shade and vignette, then dithered quantisation. */
static void finish(const struct canvas *c, uint64_t seed, double grain,
                   double shade, struct rgb deep, avk_image *out)
{
    float dv[3];
    int x, y, k;

    dv[0] = deep.r;
    dv[1] = deep.g;
    dv[2] = deep.b;

    for (y = 0; y < c->h; y++) {
        double fy = (double)y / c->h;
        float dark = (float)(shade * smooth(0.58f, 1.0f, (float)fy));
        uint8_t *row = out->px + (size_t)y * out->stride;
        for (x = 0; x < c->w; x++) {
            const float *p = c->p + 3 * ((size_t)y * c->w + x);
            uint64_t h =
                mix64(seed ^ ((uint64_t)(unsigned)y << 32 | (unsigned)x));
            double fx = (double)x / c->w - 0.5, vy = fy - 0.45;
            float vig = (float)(1 - 0.35 * (fx * fx + vy * vy));
            double g = ((double)(h & 0xffff) / 65535.0 - 0.5) * grain;
            double d1 = (double)((h >> 16) & 0xffff) / 65535.0;
            double d2 = (double)((h >> 32) & 0xffff) / 65535.0;
            for (k = 0; k < 3; k++) {
                double base = p[k] + (dv[k] - p[k]) * dark;
                double v = (base + g) * vig * 255.0 + (d1 + d2 - 1.0);
                long q = lround(v);
                row[4 * x + k] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
            row[4 * x + 3] = 255;
        }
    }
}

static const struct palette *pick_palette(const avk_procart_opts *o,
                                          avk_err *err, int *rc)
{
    size_t i;
    char low[256];
    size_t n = 0;

    *rc = 0;
    if (o->palette && *o->palette && strcmp(o->palette, "auto") != 0) {
        for (i = 0; i < NPAL; i++)
            if (strcmp(palettes[i].name, o->palette) == 0)
                return &palettes[i];
        *rc = avk_fail(err, AVK_EX_USAGE, "unknown palette '%s'", o->palette);
        return NULL;
    }
    /* A word of the topic may suggest a family; else hash topic and seed. */
    for (i = 0; o->topic && o->topic[i] && n + 2 < sizeof low; i++)
        low[n++] = isalnum((unsigned char)o->topic[i])
                       ? (char)tolower((unsigned char)o->topic[i])
                       : ' ';
    low[n] = '\0';
    for (i = 0; i < sizeof hints / sizeof hints[0]; i++) {
        const char *p = low;
        size_t wl = strlen(hints[i].word);
        while ((p = strstr(p, hints[i].word)) != NULL) {
            if ((p == low || p[-1] == ' ') &&
                (p[wl] == ' ' || p[wl] == '\0' ||
                 (p[wl] == 's' && (p[wl + 1] == ' ' || p[wl + 1] == '\0')))) {
                size_t j;
                for (j = 0; j < NPAL; j++)
                    if (strcmp(palettes[j].name, hints[i].palette) == 0 &&
                        (mix64(o->seed) & 3) != 0) /* 3 in 4: follow the hint */
                        return &palettes[j];
            }
            p += wl;
        }
    }
    return &palettes[mix64(hash_str(o->topic) ^ o->seed) % NPAL];
}

static int pick_style(const avk_procart_opts *o, uint64_t *rng, avk_err *err)
{
    size_t i;

    if (o->style && *o->style && strcmp(o->style, "auto") != 0) {
        for (i = 0; i < sizeof styles / sizeof styles[0]; i++)
            if (strcmp(styles[i], o->style) == 0)
                return (int)i;
        return -avk_fail(err, AVK_EX_USAGE, "unknown style '%s'", o->style);
    }
    /* Mostly soft and geometric; minimal now and then. */
    return (int)(next64(rng) % 7) < 3 ? 0 : (int)(next64(rng) % 7) < 6 ? 1 : 2;
}

/* The title cut to about TITLE_MAX code points, at a space when one is
 * near, with an ellipsis; newly allocated, NULL when out of memory. */
#define TITLE_MAX 90
static char *short_title(const char *t)
{
    size_t i = 0, n = 0, cut = 0, lastsp = 0;
    char *s;

    while (t[i] && n < TITLE_MAX) {
        if (t[i] == ' ' && n > TITLE_MAX * 6 / 10)
            lastsp = i;
        i++;
        while ((t[i] & 0xC0) == 0x80) /* stay on code point starts */
            i++;
        n++;
    }
    if (!t[i])
        return strdup(t);
    cut = lastsp ? lastsp : i;
    s = malloc(cut + 4);
    if (!s)
        return NULL;
    memcpy(s, t, cut);
    memcpy(s + cut, "\xe2\x80\xa6", 4); /* U+2026 and the NUL */
    return s;
}

/* The title: its layout, and its card drawn into the canvas (so the card
 * shares the grain and dither).  *lp is NULL when there is no title. */
static int title_card(const avk_procart_opts *o, avk_fonts *fonts,
                      const struct palette *pal, struct canvas *cv,
                      uint64_t *rng, avk_text_layout **lp, double *tx,
                      double *ty, avk_err *err)
{
    avk_text_style st;
    avk_text_layout *l;
    double m = cv->w < cv->h ? cv->w : cv->h, pad, tw, th;
    double size = (cv->h > cv->w ? 0.092 : 0.08) * m;
    double cx = cv->w / 2.0, cy = cv->h * (cv->h > cv->w ? 0.36 : 0.40);
    double x0, y0, x1, y1, bw, bx;
    struct rgb card;
    char *text;

    avk_text_style_init(&st);
    st.size_px = size;
    st.bold = 1;
    st.max_width = cv->w * (cv->h > cv->w ? 0.78 : 0.6);
    st.line_height = 1.12;
    st.lang = o->lang;
    st.color = pal->light ? ((pal->c[0] << 8) | 0xffu) : 0xffffffffu;
    st.outline_px = pal->light ? 0 : size * 0.045;
    st.outline_color = (pal->c[0] << 8) | 0xb0u;
    st.shadow_color = pal->light ? 0x00000000u : 0x00000060u;
    st.shadow_dx = size * 0.02;
    st.shadow_dy = size * 0.05;
    st.shadow_blur = size * 0.08;
    if (!(text = short_title(o->title)))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    /* Long titles get a smaller size, down to 60 %, to stay within 4 lines. */
    for (;;) {
        l = avk_text_layout_new(fonts, text, &st, err);
        if (!l) {
            free(text);
            return err ? err->code : AVK_EX_OSERR;
        }
        if (avk_text_layout_lines(l) <= 4 || st.size_px < size * 0.65)
            break;
        avk_text_layout_free(l);
        st.size_px *= 0.85;
        st.outline_px *= 0.85;
    }
    size = st.size_px;
    if (avk_text_layout_lines(l) > 1) {
        /* Balance the lines: the narrowest width that needs no more lines. */
        double lo = st.max_width * 0.4, hi = st.max_width;
        int lines = avk_text_layout_lines(l), k;
        for (k = 0; k < 7; k++) {
            avk_text_layout *t;
            st.max_width = (lo + hi) / 2;
            t = avk_text_layout_new(fonts, text, &st, err);
            if (!t)
                break;
            if (avk_text_layout_lines(t) > lines)
                lo = st.max_width;
            else
                hi = st.max_width;
            avk_text_layout_free(t);
        }
        st.max_width = hi;
        avk_text_layout_free(l);
        l = avk_text_layout_new(fonts, text, &st, err);
        if (!l) {
            free(text);
            return err ? err->code : AVK_EX_OSERR;
        }
    }
    free(text);
    tw = avk_text_layout_width(l);
    th = avk_text_layout_height(l);
    pad = size * 0.55;
    x0 = cx - tw / 2 - pad;
    x1 = cx + tw / 2 + pad;
    y0 = cy - th / 2 - pad;
    y1 = cy + th / 2 + pad;
    card = pal->light ? col(0xffffff) : col(pal->c[0]);
    /* soft offset shadow, the card, and an accent bar over its top edge */
    round_rect(cv, x0 + size * 0.08, y0 + size * 0.16, x1 + size * 0.08,
               y1 + size * 0.16, size * 0.35, col(0x000000), 0.20f);
    round_rect(cv, x0, y0, x1, y1, size * 0.35, card,
               pal->light ? 0.84f : 0.62f);
    bw = (x1 - x0) * rrange(rng, 0.16, 0.26);
    bx = cx - bw / 2;
    round_rect(cv, bx, y0 - size * 0.09, bx + bw, y0 + size * 0.09, size * 0.09,
               col(pal->c[4]), 1.0f);
    *lp = l;
    *tx = cx - tw / 2;
    *ty = cy - th / 2;
    return 0;
}

int avk_procart_render(const avk_procart_opts *o, avk_image *out, avk_err *err)
{
    const struct palette *pal;
    struct canvas cv;
    avk_fonts *own = NULL, *fonts = o->fonts;
    avk_text_layout *title = NULL;
    uint64_t rng, base;
    struct rgb c0, c1, c2, c3, acc;
    double tx = 0, ty = 0, W, H, m;
    int style, rc, i, variant, nblobs;

    avk_image_release(out);
    if (o->width < 1 || o->height < 1 || o->width > AVK_IMAGE_MAX_DIM ||
        o->height > AVK_IMAGE_MAX_DIM)
        return avk_fail(err, AVK_EX_DATAERR, "bad image size %dx%d", o->width,
                        o->height);
    if (!(pal = pick_palette(o, err, &rc)))
        return rc;
    base = mix64(o->seed ^ hash_str(o->topic));
    rng = mix64(base ^ (0x5851f42d4c957f2dULL * (uint64_t)(o->scene + 1)));
    if ((style = pick_style(o, &rng, err)) < 0)
        return -style;
    cv.w = o->width;
    cv.h = o->height;
    W = cv.w;
    H = cv.h;
    m = W < H ? W : H;
    cv.p = malloc((size_t)cv.w * (size_t)cv.h * 3 * sizeof *cv.p);
    if (!cv.p)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if ((rc = avk_image_alloc(out, cv.w, cv.h))) {
        free(cv.p);
        return avk_fail(err, rc, "out of memory");
    }

    /* Colours: the family's darks for the ground, light tones for shapes;
     * light palettes swap the ground to their light end. */
    variant = (int)(next64(&rng) % 3);
    if (pal->light) {
        c0 = col(pal->c[2]);
        c1 = col(pal->c[1 + variant % 2]);
        c2 = col(pal->c[3]);
        c3 = col(pal->c[4]);
    } else {
        c0 = col(pal->c[0]);
        c1 = col(pal->c[1]);
        c2 = col(pal->c[2 + variant % 2]);
        c3 = col(pal->c[3]);
    }
    acc = col(pal->c[4]);

    if (next64(&rng) % 3 == 0)
        gradient(&cv, 1, 0, rrange(&rng, 0.2, 0.8), rrange(&rng, 0.1, 0.4),
                 pal->light ? c2 : c1, c0,
                 pal->light ? c1 : lerp(c0, col(0), 0.4f));
    else
        gradient(&cv, 0, rrange(&rng, 0.9, 2.2), 0, 0, pal->light ? c2 : c1, c0,
                 pal->light ? c1 : lerp(c0, col(0), 0.3f));

    /* Soft blobs, mostly in the upper two thirds. */
    nblobs = style == 2 ? 2 : 3 + (int)(next64(&rng) % 3);
    for (i = 0; i < nblobs; i++) {
        struct rgb bc = i % 3 == 0 ? c2 : i % 3 == 1 ? c3 : acc;
        blob(&cv, rrange(&rng, -0.1, 1.1) * W, rrange(&rng, -0.05, 0.7) * H,
             rrange(&rng, 0.25, 0.55) * m * (style == 0 ? 1.3 : 1.0),
             rrange(&rng, 0.0, 0.3), bc,
             (float)rrange(&rng, 0.25, 0.5) * (style == 2 ? 0.7f : 1.0f));
    }

    /* One motif per scene. */
    if (style == 1 || (style == 0 && next64(&rng) % 2 == 0)) {
        int motif = (int)((next64(&rng) + (uint64_t)o->scene) % 4);
        float a = style == 1 ? 1.0f : 0.6f;
        struct rgb lc = pal->light ? col(pal->c[0]) : col(0xffffff);
        if (motif == 0) { /* concentric rings */
            double cx = rrange(&rng, 0.15, 0.85) * W,
                   cy = rrange(&rng, 0.08, 0.5) * H;
            double r0 = m * rrange(&rng, 0.08, 0.14),
                   step = m * rrange(&rng, 0.045, 0.08);
            for (i = 0; i < 9; i++)
                disc(&cv, cx, cy, r0 + i * step, m * 0.004, lc,
                     a * (0.22f - 0.02f * (float)i));
        } else if (motif == 1) { /* stripes fading out above the lower third */
            stripes(&cv, rrange(&rng, 0.6, 1.0), m * rrange(&rng, 0.05, 0.09),
                    m * 0.012, lc, a * 0.09f, 0.1);
        } else if (motif == 2) { /* halftone dots */
            dots(&cv, m * rrange(&rng, 0.045, 0.07), rrange(&rng, 0, 1),
                 rrange(&rng, 0, 0.3), lc, a * 0.15f);
        } else { /* a large disc with two small companions */
            double cx = rrange(&rng, 0.2, 0.8) * W,
                   cy = rrange(&rng, 0.1, 0.45) * H;
            double r = m * rrange(&rng, 0.18, 0.3);
            disc(&cv, cx, cy, r, 0, acc, a * 0.55f);
            disc(&cv, cx + r * 1.3, cy - r * 0.6, r * 0.18, 0, c3, a * 0.7f);
            disc(&cv, cx - r * 1.1, cy + r * 0.9, r * 0.1, m * 0.005, lc,
                 a * 0.6f);
        }
    } else if (style == 2) {
        /* minimal: one thin ring */
        disc(&cv, rrange(&rng, 0.3, 0.7) * W, rrange(&rng, 0.15, 0.4) * H,
             m * rrange(&rng, 0.2, 0.32), m * 0.006, acc, 0.5f);
    }

    if (o->title && *o->title) {
        if (!fonts && !(fonts = own = avk_fonts_new(err))) {
            rc = err ? err->code : AVK_EX_CONFIG;
            goto fail;
        }
        if ((rc = title_card(o, fonts, pal, &cv, &rng, &title, &tx, &ty, err)))
            goto fail;
    }
    finish(&cv, base ^ (uint64_t)o->scene, 0.035, pal->light ? 0.45 : 0.5,
           pal->light ? lerp(col(pal->c[0]), col(pal->c[4]), 0.35f)
                      : lerp(col(pal->c[0]), col(0), 0.45f),
           out);
    if (title && (rc = avk_text_draw(out, title, tx, ty, NULL, 0))) {
        avk_fail(err, rc, "out of memory");
        goto fail;
    }
    avk_text_layout_free(title);
    avk_fonts_free(own);
    free(cv.p);
    return 0;
fail:
    avk_text_layout_free(title);
    avk_fonts_free(own);
    free(cv.p);
    avk_image_release(out);
    return rc;
}
