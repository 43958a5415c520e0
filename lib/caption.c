/*
 * caption.c - captions on YUV frames (caption.h).
 *
 * When the cue or the highlighted word changes, the cue's layout (made
 * once per cue by lib/text) is drawn into a small premultiplied RGBA image,
 * which is converted once into a premultiplied YUVA 4:2:0 overlay
 * (BT.709, limited range) placed at even coordinates.  Every frame then
 * only blends that overlay over its own box: out = bg * (1 - a) + c * a.
 * Invariants: the overlay box lies inside the frame; text is never parsed.
 */
#include "caption.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "image.h"
#include "text.h"

typedef struct overlay {
    int x, y, w, h;          /* even position and size in the frame */
    uint8_t *py, *pa;        /* w*h: premultiplied luma, alpha */
    uint8_t *pu, *pv, *pac;  /* (w/2)*(h/2): chroma and its alpha */
} overlay;

struct avk_captions {
    const avk_render_job *job;
    avk_fonts *fonts;
    avk_text_style style;
    int W, H;
    const avk_cue *cues;
    size_t ncues;
    long hint, cue, word;     /* what the overlay shows now */
    avk_text_layout *layout;  /* of cue */
    avk_buf text;
    size_t *offs;
    overlay ov;
    overlay wm; /* watermark, made once */
};

static void overlay_release(overlay *o)
{
    free(o->py);
    memset(o, 0, sizeof *o);
}

/* Convert a premultiplied RGBA image placed at (x, y) into o, clipped to
   the W x H frame and aligned to even coordinates. */
static int overlay_from_image(overlay *o, const avk_image *im, int x, int y,
                              int W, int H)
{
    int x0 = x & ~1, y0 = y & ~1;
    int x1 = x + im->w, y1 = y + im->h, i, j;
    size_t n, nc;
    uint8_t *mem;

    overlay_release(o);
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > W)
        x1 = W;
    if (y1 > H)
        y1 = H;
    x1 = (x1 + 1) & ~1;
    y1 = (y1 + 1) & ~1;
    if (x1 > W)
        x1 = W & ~1;
    if (y1 > H)
        y1 = H & ~1;
    if (x1 <= x0 || y1 <= y0)
        return 0;
    o->x = x0;
    o->y = y0;
    o->w = x1 - x0;
    o->h = y1 - y0;
    n = (size_t)o->w * (size_t)o->h;
    nc = n / 4;
    mem = calloc(2 * n + 3 * nc, 1);
    if (!mem)
        return AVK_EX_OSERR;
    o->py = mem;
    o->pa = mem + n;
    o->pu = mem + 2 * n;
    o->pv = o->pu + nc;
    o->pac = o->pv + nc;
    for (j = 0; j < o->h; j += 2) {
        for (i = 0; i < o->w; i += 2) {
            double su = 0, sv = 0, sa = 0;
            int dx, dy;
            for (dy = 0; dy < 2; dy++)
                for (dx = 0; dx < 2; dx++) {
                    int ix = o->x + i + dx - x, iy = o->y + j + dy - y;
                    double r = 0, g = 0, b = 0, a = 0, yy;
                    size_t k = (size_t)(j + dy) * (size_t)o->w +
                               (size_t)(i + dx);
                    if (ix >= 0 && iy >= 0 && ix < im->w && iy < im->h) {
                        const uint8_t *p = im->px + (size_t)iy * (size_t)im->stride +
                                           (size_t)ix * 4;
                        r = p[0];
                        g = p[1];
                        b = p[2];
                        a = p[3];
                    }
                    /* premultiplied: colour * alpha, all in 0..255 */
                    yy = 16.0 * a / 255.0 +
                         219.0 / 255.0 * (0.2126 * r + 0.7152 * g + 0.0722 * b);
                    o->py[k] = (uint8_t)lrint(yy);
                    o->pa[k] = (uint8_t)a;
                    su += 128.0 * a / 255.0 +
                          224.0 / 255.0 * (-0.1146 * r - 0.3854 * g + 0.5 * b);
                    sv += 128.0 * a / 255.0 +
                          224.0 / 255.0 * (0.5 * r - 0.4542 * g - 0.0458 * b);
                    sa += a;
                }
            {
                size_t kc = (size_t)(j / 2) * (size_t)(o->w / 2) + (size_t)(i / 2);
                o->pu[kc] = (uint8_t)lrint(fmax(0.0, su / 4));
                o->pv[kc] = (uint8_t)lrint(fmax(0.0, sv / 4));
                o->pac[kc] = (uint8_t)lrint(sa / 4);
            }
        }
    }
    return 0;
}

/* out = bg * (255 - a) / 255 + c over the overlay's box. */
static void overlay_blend(const overlay *o, AVFrame *f)
{
    int i, j;

    if (!o->py)
        return;
    for (j = 0; j < o->h; j++) {
        uint8_t *d = f->data[0] + (ptrdiff_t)(o->y + j) * f->linesize[0] + o->x;
        const uint8_t *c = o->py + (size_t)j * (size_t)o->w;
        const uint8_t *a = o->pa + (size_t)j * (size_t)o->w;
        for (i = 0; i < o->w; i++)
            if (a[i])
                d[i] = (uint8_t)((d[i] * (255 - a[i]) + 127) / 255 + c[i]);
    }
    for (j = 0; j < o->h / 2; j++) {
        uint8_t *du = f->data[1] + (ptrdiff_t)(o->y / 2 + j) * f->linesize[1] + o->x / 2;
        uint8_t *dv = f->data[2] + (ptrdiff_t)(o->y / 2 + j) * f->linesize[2] + o->x / 2;
        size_t row = (size_t)j * (size_t)(o->w / 2);
        for (i = 0; i < o->w / 2; i++) {
            unsigned a = o->pac[row + (size_t)i];
            if (!a)
                continue;
            du[i] = (uint8_t)((du[i] * (255 - a) + 127) / 255 + o->pu[row + (size_t)i]);
            dv[i] = (uint8_t)((dv[i] * (255 - a) + 127) / 255 + o->pv[row + (size_t)i]);
        }
    }
}

/* Draw layout l (with spans) into an RGBA image and make it an overlay
   centred horizontally, with its centre at cy, its bottom above limit. */
static int make_overlay(avk_captions *c, const avk_text_layout *l,
                        const avk_text_span *spans, size_t nspans, double cy,
                        double bottom_limit, overlay *o, avk_err *err)
{
    avk_image im;
    double pad = c->style.outline_px + 2 + fabs(c->style.shadow_dy) +
                 fabs(c->style.shadow_dx);
    double tw = avk_text_layout_width(l), th = avk_text_layout_height(l);
    int w = (int)ceil(tw + 2 * pad), h = (int)ceil(th + 2 * pad), r;
    double x, y;

    if (w < 1 || h < 1)
        return 0;
    avk_image_init(&im);
    if ((r = avk_image_alloc(&im, w, h)))
        return avk_fail(err, r, "cannot allocate a caption of %dx%d", w, h);
    r = avk_text_draw(&im, l, pad, pad, spans, nspans);
    if (r) {
        avk_image_release(&im);
        return avk_fail(err, r, "out of memory drawing a caption");
    }
    x = (c->W - w) / 2.0;
    y = cy - h / 2.0;
    if (y + h > bottom_limit)
        y = bottom_limit - h;
    if (y < 0)
        y = 0;
    r = overlay_from_image(o, &im, (int)lrint(x), (int)lrint(y), c->W, c->H);
    avk_image_release(&im);
    if (r)
        return avk_fail(err, r, "out of memory");
    return 0;
}

int avk_captions_new(avk_captions **out, const avk_render_job *job,
                     int width, int height, const avk_cue *cues,
                     size_t ncues, avk_err *err)
{
    const avk_render_caption_style *cs = &job->caption;
    avk_captions *c;
    double mx = cs->margin_x > 0 ? cs->margin_x : 0.08;

    *out = NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    c->job = job;
    c->W = width;
    c->H = height;
    c->cues = cues;
    c->ncues = ncues;
    c->hint = c->cue = c->word = -1;
    avk_buf_init(&c->text);
    c->fonts = avk_fonts_new(err);
    if (!c->fonts) {
        free(c);
        return err ? err->code : AVK_EX_CONFIG;
    }
    avk_text_style_init(&c->style);
    c->style.family = cs->font;
    c->style.size_px = cs->font_size > 0 ? cs->font_size : height * 0.05;
    c->style.bold = 1;
    c->style.color = cs->color ? cs->color : 0xFFFFFFFFu;
    c->style.outline_color = cs->outline_color ? cs->outline_color
                                               : 0x000000FFu;
    c->style.outline_px = cs->outline < 0 ? 0.0
                          : cs->outline > 0 ? cs->outline
                                            : c->style.size_px * 0.09;
    c->style.shadow_color = 0x00000080u;
    c->style.shadow_dx = 0;
    c->style.shadow_dy = c->style.size_px * 0.05;
    c->style.align = AVK_TEXT_CENTER;
    c->style.max_width = width * (1.0 - 2.0 * mx);
    c->style.line_height = 1.15;
    if (job->watermark && *job->watermark) {
        avk_text_style ws = c->style;
        avk_text_layout *l;
        avk_image im;
        int r;
        ws.size_px = height * 0.022;
        ws.color = 0xFFFFFFB0u;
        ws.outline_px = ws.size_px * 0.08;
        ws.outline_color = 0x00000080u;
        ws.shadow_dy = 0;
        ws.max_width = width * 0.5;
        ws.align = AVK_TEXT_RIGHT;
        l = avk_text_layout_new(c->fonts, job->watermark, &ws, err);
        if (!l) {
            avk_captions_free(c);
            return err ? err->code : AVK_EX_DATAERR;
        }
        avk_image_init(&im);
        r = avk_image_alloc(&im, (int)ceil(avk_text_layout_width(l) + 4 * ws.outline_px + 4),
                            (int)ceil(avk_text_layout_height(l) + 4 * ws.outline_px + 4));
        if (!r)
            r = avk_text_draw(&im, l, 2 * ws.outline_px + 2,
                              2 * ws.outline_px + 2, NULL, 0);
        if (!r)
            r = overlay_from_image(&c->wm, &im,
                                   (int)lrint(width * (1.0 - mx)) - im.w,
                                   (int)lrint(height * 0.06), width, height);
        avk_image_release(&im);
        avk_text_layout_free(l);
        if (r) {
            avk_captions_free(c);
            return avk_fail(err, r, "cannot draw the watermark");
        }
    }
    *out = c;
    return 0;
}

void avk_captions_free(avk_captions *c)
{
    if (!c)
        return;
    avk_text_layout_free(c->layout);
    overlay_release(&c->ov);
    overlay_release(&c->wm);
    avk_buf_release(&c->text);
    free(c->offs);
    avk_fonts_free(c->fonts);
    free(c);
}

static double caption_centre(const avk_captions *c)
{
    double pos = c->job->caption.position > 0 ? c->job->caption.position
                                              : 0.70;
    return pos * c->H;
}

static double caption_bottom(const avk_captions *c)
{
    double mb = c->job->caption.margin_bottom > 0
                    ? c->job->caption.margin_bottom : 0.20;
    return c->H * (1.0 - mb);
}

int avk_captions_draw(avk_captions *c, double t, AVFrame *f, avk_err *err)
{
    const avk_render_word *words = c->job->words;
    long cue = avk_subs_cue_at(c->cues, c->ncues, t, c->hint);
    long word = -1;
    int r;

    overlay_blend(&c->wm, f);
    if (cue >= 0)
        c->hint = cue;
    if (cue < 0) {
        c->cue = -1;
        return 0;
    }
    if (c->job->caption_mode == AVK_CAPTIONS_WORD) {
        const avk_cue *q = &c->cues[cue];
        size_t i;
        for (i = 0; i < q->count; i++)
            if (words[q->first + i].start <= t)
                word = (long)i;
    }
    if (cue != c->cue) {
        const avk_cue *q = &c->cues[cue];
        size_t *offs = realloc(c->offs, (q->count + 1) * sizeof *offs);
        if (!offs)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        c->offs = offs;
        if (avk_subs_cue_text(words, q, &c->text, c->offs))
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        avk_text_layout_free(c->layout);
        c->layout = avk_text_layout_new(c->fonts, c->text.data, &c->style,
                                        err);
        if (!c->layout)
            return err ? err->code : AVK_EX_DATAERR;
        c->word = -2; /* force a redraw */
    }
    if (cue != c->cue || word != c->word) {
        avk_text_span span = {0, 0, 0};
        size_t ns = 0;
        if (word >= 0) {
            span.byte_start = c->offs[word];
            span.byte_end = c->offs[word + 1] - 1;
            span.color = c->job->caption.highlight ? c->job->caption.highlight
                                                   : 0xFFD400FFu;
            ns = 1;
        }
        if ((r = make_overlay(c, c->layout, &span, ns, caption_centre(c),
                              caption_bottom(c), &c->ov, err)))
            return r;
        c->cue = cue;
        c->word = word;
    }
    overlay_blend(&c->ov, f);
    return 0;
}

int avk_captions_title(avk_captions *c, const char *text, AVFrame *f,
                       avk_err *err)
{
    avk_text_style st = c->style;
    avk_text_layout *l;
    overlay o;
    int r;

    memset(&o, 0, sizeof o);
    st.size_px = c->style.size_px * 1.6;
    st.outline_px = st.size_px * 0.08;
    st.shadow_dy = st.size_px * 0.06;
    l = avk_text_layout_new(c->fonts, text, &st, err);
    if (!l)
        return err ? err->code : AVK_EX_DATAERR;
    {
        avk_text_style saved = c->style;
        c->style = st;
        r = make_overlay(c, l, NULL, 0, c->H * 0.42, caption_bottom(c), &o,
                         err);
        c->style = saved;
    }
    if (!r)
        overlay_blend(&o, f);
    overlay_release(&o);
    avk_text_layout_free(l);
    return r;
}
