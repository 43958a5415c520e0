/*
 * render.c - the render loop (render.h): validates the job, builds the
 * soundtrack, then composes every frame (scene motion, transitions,
 * captions) in a worker thread while the calling thread encodes, and
 * finally renames the temporary MP4 into place.  The soundtrack is encoded
 * before the first frame, so its PCM is freed before the video starts.
 *
 * Invariants: at most two scenes are decoded at any time (the one showing
 * and the one coming in); the compositor and the encoder exchange frames
 * through a ring of RING frames, so memory does not grow with the length
 * of the video; on failure every temporary file is removed and no output
 * path is touched.
 */
#include "render.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "caption.h"
#include "encode.h"
#include "frames.h"
#include "fsutil.h"
#include "mix.h"
#include "motion.h"
#include "music.h"
#include "subs.h"
#include "text.h"

#define RING 2

static const struct { const char *name; int v; } motion_names[] = {
    {"auto", AVK_MOTION_AUTO},         {"none", AVK_MOTION_NONE},
    {"zoom-in", AVK_MOTION_ZOOM_IN},   {"zoom-out", AVK_MOTION_ZOOM_OUT},
    {"pan-left", AVK_MOTION_PAN_LEFT}, {"pan-right", AVK_MOTION_PAN_RIGHT},
    {"pan-up", AVK_MOTION_PAN_UP},     {"pan-down", AVK_MOTION_PAN_DOWN},
    {"kenburns", AVK_MOTION_AUTO},
};
static const struct { const char *name; int v; } trans_names[] = {
    {"default", AVK_TRANS_DEFAULT}, {"cut", AVK_TRANS_CUT},
    {"crossfade", AVK_TRANS_CROSSFADE}, {"fade", AVK_TRANS_CROSSFADE},
    {"slide", AVK_TRANS_SLIDE}, {"zoom", AVK_TRANS_ZOOM},
};
static const struct { const char *name; int v; } cap_names[] = {
    {"word", AVK_CAPTIONS_WORD}, {"phrase", AVK_CAPTIONS_PHRASE},
    {"sentence", AVK_CAPTIONS_SENTENCE}, {"none", AVK_CAPTIONS_NONE},
};

#define LOOKUP(tab, name)                                                    \
    do {                                                                     \
        size_t i_;                                                           \
        for (i_ = 0; name && i_ < sizeof tab / sizeof tab[0]; i_++)          \
            if (!strcmp(tab[i_].name, name))                                 \
                return tab[i_].v;                                            \
        return -1;                                                           \
    } while (0)

int avk_render_motion_from_name(const char *name) { LOOKUP(motion_names, name); }
int avk_render_transition_from_name(const char *name) { LOOKUP(trans_names, name); }
int avk_render_captions_from_name(const char *name) { LOOKUP(cap_names, name); }

void avk_render_job_init(avk_render_job *job)
{
    memset(job, 0, sizeof *job);
    job->caption_mode = AVK_CAPTIONS_WORD;
    job->default_transition = AVK_TRANS_CROSSFADE;
    job->caption.color = 0xFFFFFFFFu;
    job->caption.highlight = 0xFFD400FFu;
    job->caption.outline_color = 0x000000FFu;
    job->music_synth = 1;
    job->music_mood = "warm";
}

/* One scene while it is on screen. */
typedef struct scene_rt {
    double s0, s1;   /* on-screen span, without transitions */
    double r0, r1;   /* span including the transitions at both ends */
    double tin;      /* transition into this scene: duration */
    int trans;       /* transition into this scene */
    int motion;
    AVFrame *still;  /* working image (stills) */
    avk_clip *clip;  /* decoder (clips) */
} scene_rt;

typedef struct rctx {
    const avk_render_job *job;
    int W, H, fps;
    double dur;
    long long nframes;
    scene_rt *sc;
    size_t ns;
    avk_sampler samp;
    AVFrame *fb; /* second scene in a transition */
    avk_captions *caps;
    long long thumb_frame;
    int want_thumb;
    const char *title;
    avk_buf title_buf, thumb_jpeg;
    /* contact sheet: tiles copied in by the compositor */
    avk_image sheet;
    long long *sheet_frame; /* per scene, ascending */
    size_t sheet_next;
    int tile_w, tile_h, sheet_cols;
    struct SwsContext *sws;
    /* ring between compositor and encoder */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    AVFrame *ring[RING];
    long long produced, consumed;
    int stop, cerr;
    avk_err cerrmsg;
} rctx;

static void warnf(const avk_render_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warnf(const avk_render_job *job, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!job->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    job->warn(job->ud, msg);
}

static int scene_load(rctx *c, size_t i, avk_err *err)
{
    scene_rt *s = &c->sc[i];
    const avk_render_scene *js = &c->job->scenes[i];
    int r;

    if (s->still || s->clip)
        return 0;
    if (js->is_video)
        r = avk_clip_open(&s->clip, js->path, c->W, c->H, err);
    else
        r = avk_still_load(js->path, (int)ceil(c->W * AVK_MOTION_ZMAX),
                           (int)ceil(c->H * AVK_MOTION_ZMAX), &s->still,
                           err);
    return r;
}

static void scene_unload(scene_rt *s)
{
    av_frame_free(&s->still);
    avk_clip_free(s->clip);
    s->clip = NULL;
}

/* Draw scene i at time t into f, zoomed further by extra. */
static int scene_draw(rctx *c, size_t i, double t, double extra, AVFrame *f,
                      avk_err *err)
{
    scene_rt *s = &c->sc[i];
    avk_view v;
    int r;

    if ((r = scene_load(c, i, err)))
        return r;
    if (s->clip)
        return avk_clip_frame(s->clip, t - s->r0 < 0 ? 0 : t - s->r0, f,
                              err);
    avk_motion_view(s->motion, (t - s->r0) / (s->r1 - s->r0),
                    s->still->width, s->still->height, c->W, c->H, extra,
                    &v);
    if (avk_motion_sample(&c->samp, f, s->still, &v))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}

/* Compose the picture at time t into out. */
static int compose(rctx *c, double t, AVFrame *out, avk_err *err)
{
    size_t i = 0, a, b, k;
    double p;
    int r;

    while (i + 1 < c->ns && c->sc[i + 1].s0 <= t)
        i++;
    /* In a transition?  Either into i or out of i into i+1. */
    if (i > 0 && c->sc[i].tin > 0 && t < c->sc[i].s0 + c->sc[i].tin / 2) {
        a = i - 1;
        b = i;
    } else if (i + 1 < c->ns && c->sc[i + 1].tin > 0 &&
               t >= c->sc[i + 1].s0 - c->sc[i + 1].tin / 2) {
        a = i;
        b = i + 1;
    } else {
        a = b = i;
    }
    /* Scenes before a are finished for good. */
    for (k = 0; k < a; k++)
        scene_unload(&c->sc[k]);
    if (a == b)
        return scene_draw(c, a, t, 1.0, out, err);
    p = (t - (c->sc[b].s0 - c->sc[b].tin / 2)) / c->sc[b].tin;
    if (p < 0)
        p = 0;
    if (p > 1)
        p = 1;
    switch (c->sc[b].trans) {
    case AVK_TRANS_SLIDE:
        if ((r = scene_draw(c, b, t, 1.0, c->fb, err)))
            return r;
        if ((r = scene_draw(c, a, t, 1.0, out, err)))
            return r;
        avk_slide_frames(out, c->fb, p);
        return 0;
    case AVK_TRANS_ZOOM:
        if ((r = scene_draw(c, a, t, 1.0 + 0.6 * p, out, err)) ||
            (r = scene_draw(c, b, t, 1.0 + 0.3 * (1.0 - p), c->fb, err)))
            return r;
        break;
    default:
        if ((r = scene_draw(c, a, t, 1.0, out, err)) ||
            (r = scene_draw(c, b, t, 1.0, c->fb, err)))
            return r;
        break;
    }
    {
        /* Smooth the fade's ends. */
        double e = 0.5 - 0.5 * cos(M_PI * p);
        avk_blend_frames(out, out, c->fb, (int)lrint(e * 256.0));
    }
    return 0;
}

void avk_render_sheet_size(int width, int height, size_t nscenes,
                           int *sheet_w, int *sheet_h, int *tile_w,
                           int *tile_h)
{
    int tw = width, th = height, cols, rows;

    if (width >= height && width > AVK_SHEET_TILE) {
        tw = AVK_SHEET_TILE;
        th = (int)lrint((double)AVK_SHEET_TILE * height / width) & ~1;
    } else if (height > width && height > AVK_SHEET_TILE) {
        th = AVK_SHEET_TILE;
        tw = (int)lrint((double)AVK_SHEET_TILE * width / height) & ~1;
    }
    if (tw < 2)
        tw = 2;
    if (th < 2)
        th = 2;
    if (!nscenes)
        nscenes = 1;
    cols = nscenes < AVK_SHEET_COLS ? (int)nscenes : AVK_SHEET_COLS;
    rows = (int)((nscenes + (size_t)cols - 1) / (size_t)cols);
    if (sheet_w)
        *sheet_w = cols * tw + (cols + 1) * AVK_SHEET_GAP;
    if (sheet_h)
        *sheet_h = rows * (th + AVK_SHEET_LABEL) + (rows + 1) * AVK_SHEET_GAP;
    if (tile_w)
        *tile_w = tw;
    if (tile_h)
        *tile_h = th;
}

/* Scale frame f (the picture of scene i, no captions) into its tile. */
static void sheet_tile(rctx *c, size_t i, const AVFrame *f)
{
    int col = (int)(i % (size_t)c->sheet_cols);
    int row = (int)(i / (size_t)c->sheet_cols);
    int x = AVK_SHEET_GAP + col * (c->tile_w + AVK_SHEET_GAP);
    int y = AVK_SHEET_GAP + row * (c->tile_h + AVK_SHEET_LABEL + AVK_SHEET_GAP);
    uint8_t *dst[4] = {c->sheet.px + (ptrdiff_t)y * c->sheet.stride + 4 * x,
                       NULL, NULL, NULL};
    int dst_stride[4] = {c->sheet.stride, 0, 0, 0};

    sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0,
              f->height, dst, dst_stride);
}

/* Prepare the contact sheet: tile frames, the canvas and the scaler. */
static int sheet_begin(rctx *c, avk_err *err)
{
    int sw, sh;
    size_t i;

    avk_render_sheet_size(c->W, c->H, c->ns, &sw, &sh, &c->tile_w,
                          &c->tile_h);
    c->sheet_cols = c->ns < AVK_SHEET_COLS ? (int)c->ns : AVK_SHEET_COLS;
    if (avk_image_alloc(&c->sheet, sw, sh))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    avk_image_fill(&c->sheet, 0x1C1C1CFFu);
    c->sheet_frame = calloc(c->ns, sizeof *c->sheet_frame);
    c->sws = sws_getContext(c->W, c->H, AV_PIX_FMT_YUV420P, c->tile_w,
                            c->tile_h, AV_PIX_FMT_RGBA, SWS_AREA, NULL, NULL,
                            NULL);
    if (!c->sheet_frame || !c->sws)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    /* The frames are BT.709 limited range; the sheet full-range RGB. */
    sws_setColorspaceDetails(c->sws, sws_getCoefficients(SWS_CS_ITU709), 0,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                             1 << 16, 1 << 16);
    for (i = 0; i < c->ns; i++) {
        double mid = 0.5 * (c->sc[i].s0 + c->sc[i].s1);
        long long k = (long long)floor(mid * c->fps);
        if (k >= c->nframes)
            k = c->nframes - 1;
        if (k < 0)
            k = 0;
        if (i > 0 && k < c->sheet_frame[i - 1])
            k = c->sheet_frame[i - 1];
        c->sheet_frame[i] = k;
    }
    return 0;
}

static void fmt_time(char *out, size_t n, double t)
{
    long ds = lround(t * 10.0); /* tenths */

    if (ds % 10)
        snprintf(out, n, "%ld:%02ld.%ld", ds / 600, ds / 10 % 60, ds % 10);
    else
        snprintf(out, n, "%ld:%02ld", ds / 600, ds / 10 % 60);
}

/* Label each tile and write the sheet as PNG. */
static int sheet_finish(rctx *c, const char *path, avk_err *err)
{
    avk_fonts *fonts = avk_fonts_new(err);
    avk_text_style st;
    size_t i;
    int r = 0;

    if (!fonts)
        return err ? err->code : AVK_EX_CONFIG;
    avk_text_style_init(&st);
    st.size_px = AVK_SHEET_LABEL * 0.56;
    st.bold = 1;
    st.color = 0xF0F0F0FFu;
    st.align = AVK_TEXT_CENTER;
    for (i = 0; i < c->ns && !r; i++) {
        char label[160], a[64], b[64];
        avk_text_layout *l;
        int col = (int)(i % (size_t)c->sheet_cols);
        int row = (int)(i / (size_t)c->sheet_cols);
        double x = AVK_SHEET_GAP + col * (c->tile_w + AVK_SHEET_GAP);
        double y = AVK_SHEET_GAP +
                   row * (c->tile_h + AVK_SHEET_LABEL + AVK_SHEET_GAP) +
                   c->tile_h;

        fmt_time(a, sizeof a, c->sc[i].s0);
        fmt_time(b, sizeof b, c->sc[i].s1);
        snprintf(label, sizeof label, "%zu  %s-%s", i + 1, a, b);
        if (!(l = avk_text_layout_new(fonts, label, &st, err))) {
            r = err ? err->code : AVK_EX_SOFTWARE;
            break;
        }
        /* Centred in the strip (clipped to the canvas when too wide). */
        avk_text_draw(&c->sheet, l,
                      x + (c->tile_w - avk_text_layout_width(l)) / 2,
                      y + (AVK_SHEET_LABEL - avk_text_layout_height(l)) / 2,
                      NULL, 0);
        avk_text_layout_free(l);
    }
    avk_fonts_free(fonts);
    if (!r)
        r = avk_image_save_png(path, &c->sheet, err);
    return r;
}

/* The compositor thread: frames 0..nframes-1 into the ring. */
static void *compositor(void *arg)
{
    rctx *c = arg;
    long long n;
    int r = 0;

    for (n = 0; n < c->nframes && !r; n++) {
        AVFrame *f;
        double t = (double)n / c->fps;

        pthread_mutex_lock(&c->mu);
        while (!c->stop && c->produced - c->consumed >= RING)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        pthread_mutex_unlock(&c->mu);
        f = c->ring[n % RING];
        if (av_frame_make_writable(f) < 0) {
            r = avk_fail(&c->cerrmsg, AVK_EX_OSERR, "out of memory");
            break;
        }
        if ((r = compose(c, t, f, &c->cerrmsg)))
            break;
        if (n == c->thumb_frame && c->want_thumb) {
            /* The spare frame is free between compositions. */
            if (av_frame_copy(c->fb, f) < 0) {
                r = avk_fail(&c->cerrmsg, AVK_EX_SOFTWARE, "frame copy");
                break;
            }
            if (c->caps && c->title && *c->title &&
                (r = avk_captions_title(c->caps, c->title, c->fb,
                                        &c->cerrmsg)))
                break;
            if ((r = avk_yuv_encode_jpeg(c->fb, &c->thumb_jpeg, &c->cerrmsg)))
                break;
        }
        while (c->sheet_frame && c->sheet_next < c->ns &&
               c->sheet_frame[c->sheet_next] == n) {
            sheet_tile(c, c->sheet_next, f);
            c->sheet_next++;
        }
        if (c->caps && (r = avk_captions_draw(c->caps, t, f, &c->cerrmsg)))
            break;
        pthread_mutex_lock(&c->mu);
        c->produced++;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_lock(&c->mu);
    if (r) {
        c->cerr = r;
        c->stop = 1;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Work out the timeline: spans, transitions and motion of each scene. */
static int plan(rctx *c, avk_err *err)
{
    const avk_render_job *job = c->job;
    static const int autom[] = {AVK_MOTION_ZOOM_IN, AVK_MOTION_PAN_RIGHT,
                                AVK_MOTION_ZOOM_OUT, AVK_MOTION_PAN_UP,
                                AVK_MOTION_ZOOM_IN, AVK_MOTION_PAN_LEFT,
                                AVK_MOTION_ZOOM_OUT, AVK_MOTION_PAN_DOWN};
    double T = job->transition_s > 0 ? job->transition_s : 0.5;
    int timed = 0;
    size_t i;

    c->sc = calloc(c->ns, sizeof *c->sc);
    if (!c->sc)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (i = 0; i < c->ns; i++)
        if (job->scenes[i].end > job->scenes[i].start)
            timed = 1;
    for (i = 0; i < c->ns; i++) {
        scene_rt *s = &c->sc[i];
        s->s0 = timed ? job->scenes[i].start : c->dur * (double)i / c->ns;
        if (i == 0 || s->s0 < 0)
            s->s0 = i == 0 ? 0.0 : c->sc[i - 1].s0;
        if (i > 0 && s->s0 < c->sc[i - 1].s0)
            return avk_fail(err, AVK_EX_USAGE,
                            "scene %zu starts before scene %zu", i + 1, i);
        s->motion = job->scenes[i].motion;
        if (s->motion == AVK_MOTION_AUTO)
            s->motion = autom[(i + (size_t)(job->seed % 8)) % 8];
        s->trans = job->scenes[i].transition;
        if (s->trans == AVK_TRANS_DEFAULT)
            s->trans = job->default_transition == AVK_TRANS_DEFAULT
                           ? AVK_TRANS_CROSSFADE : job->default_transition;
    }
    for (i = 0; i < c->ns; i++)
        c->sc[i].s1 = i + 1 < c->ns ? c->sc[i + 1].s0 : c->dur;
    for (i = 1; i < c->ns; i++) {
        scene_rt *s = &c->sc[i];
        double t = s->trans == AVK_TRANS_CUT ? 0.0 : T;
        t = fmin(t, 0.5 * (c->sc[i - 1].s1 - c->sc[i - 1].s0));
        t = fmin(t, 0.5 * (s->s1 - s->s0));
        s->tin = t < 1.0 / c->fps ? 0.0 : t;
    }
    for (i = 0; i < c->ns; i++) {
        scene_rt *s = &c->sc[i];
        s->r0 = s->s0 - s->tin / 2;
        s->r1 = s->s1 + (i + 1 < c->ns ? c->sc[i + 1].tin / 2 : 0.0);
        if (s->r1 <= s->r0)
            s->r1 = s->r0 + 1.0 / c->fps;
    }
    return 0;
}

static int check_input(const char *what, const char *path, avk_err *err)
{
    struct stat st;

    if (!path || !*path)
        return avk_fail(err, AVK_EX_USAGE, "%s has no path", what);
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return avk_fail(err, AVK_EX_NOINPUT, "cannot open '%s': %s", path,
                        strerror(errno));
    if (!S_ISREG(st.st_mode))
        return avk_fail(err, AVK_EX_NOINPUT, "cannot open '%s': %s", path,
                        "not a regular file");
    if (st.st_size == 0)
        return avk_fail(err, AVK_EX_DATAERR, "'%s' is empty", path);
    return 0;
}

/* A temporary file beside path; NULL with err filled. */
static char *temp_beside(const char *path, avk_err *err)
{
    char *dir = avk_dirname(path), *tmpl;
    const char *base = strrchr(path, '/');
    size_t n;
    int fd;

    base = base ? base + 1 : path;
    if (!dir) {
        avk_fail(err, AVK_EX_OSERR, "out of memory");
        return NULL;
    }
    n = strlen(dir) + strlen(base) + 16;
    tmpl = malloc(n);
    if (!tmpl) {
        free(dir);
        avk_fail(err, AVK_EX_OSERR, "out of memory");
        return NULL;
    }
    snprintf(tmpl, n, "%s/.%s.XXXXXX", dir, base);
    free(dir);
    fd = mkstemp(tmpl);
    if (fd < 0) {
        avk_fail(err, AVK_EX_CANTCREAT, "cannot create '%s': %s", path,
                 strerror(errno));
        free(tmpl);
        return NULL;
    }
    fchmod(fd, 0644);
    close(fd);
    return tmpl;
}

/* Hand mix frames [from, to) to the encoder as float. */
static int send_audio(avk_encoder *enc, const avk_mix *m, size_t from,
                      size_t to, avk_err *err)
{
    float buf[2 * 1024];
    int r;

    while (from < to) {
        size_t k = to - from > 1024 ? 1024 : to - from, i;
        for (i = 0; i < 2 * k; i++)
            buf[i] = m->s16[2 * from + i] * (1.0f / 32768.0f);
        if ((r = avk_encoder_audio(enc, buf, k, err)))
            return r;
        from += k;
    }
    return 0;
}

static void rctx_release(rctx *c)
{
    size_t i;

    for (i = 0; c->sc && i < c->ns; i++)
        scene_unload(&c->sc[i]);
    free(c->sc);
    for (i = 0; i < RING; i++)
        av_frame_free(&c->ring[i]);
    av_frame_free(&c->fb);
    avk_buf_release(&c->title_buf);
    avk_buf_release(&c->thumb_jpeg);
    avk_sampler_release(&c->samp);
    avk_captions_free(c->caps);
    avk_image_release(&c->sheet);
    free(c->sheet_frame);
    sws_freeContext(c->sws);
}

int avk_render(const avk_render_job *job, avk_render_result *res,
               avk_err *err)
{
    rctx c;
    avk_mix mix;
    avk_encoder *enc = NULL;
    avk_encode_opts eo;
    avk_cue *cues = NULL;
    size_t ncues = 0, i;
    double lufs = 0, true_peak = 0;
    char *tmp = NULL;
    pthread_t th;
    int r, wrote_thumb = 0, wrote_srt = 0, wrote_vtt = 0, wrote_sheet = 0;
    long long n, t0 = avk_mono_ms();
    struct stat st;

    memset(&c, 0, sizeof c);
    avk_buf_init(&c.title_buf);
    avk_buf_init(&c.thumb_jpeg);
    avk_mix_init(&mix);
    avk_sampler_init(&c.samp);
    avk_image_init(&c.sheet);
    c.job = job;
    c.W = job->width > 0 ? job->width : 1080;
    c.H = job->height > 0 ? job->height : 1920;
    c.fps = job->fps > 0 ? job->fps : 30;
    c.ns = job->nscenes;
    if (!job->output_path || !*job->output_path)
        return avk_fail(err, AVK_EX_USAGE, "no output path");
    if ((c.W & 1) || (c.H & 1) || c.W < 16 || c.H < 16 || c.W > 4096 ||
        c.H > 4096 || c.fps > 120)
        return avk_fail(err, AVK_EX_USAGE,
                        "bad video format %dx%d at %d fps (even sizes "
                        "16..4096, at most 120 fps)", c.W, c.H, c.fps);
    if (!c.ns || !job->scenes)
        return avk_fail(err, AVK_EX_USAGE, "no scenes to render");
    for (i = 0; i < c.ns; i++)
        if ((r = check_input("a scene", job->scenes[i].path, err)))
            return r;
    if (job->narration_path &&
        (r = check_input("the narration", job->narration_path, err)))
        return r;
    if (job->music_path && (r = check_input("the music", job->music_path, err)))
        return r;
    if (!job->music_path && job->music_synth && job->music_mood &&
        !avk_music_mood_known(job->music_mood))
        warnf(job, "unknown music mood '%s'; using warm", job->music_mood);

    /* Duration: given, else the narration's, else the scenes'. */
    c.dur = job->duration;
    if (c.dur <= 0 && job->narration_path &&
        (r = avk_mix_narration_seconds(job->narration_path, &c.dur, err)))
        return r;
    if (c.dur <= 0)
        c.dur = job->scenes[c.ns - 1].end;
    if (!(c.dur > 0) || c.dur > 3600)
        return avk_fail(err, AVK_EX_USAGE, "bad duration %.3f s", c.dur);
    c.nframes = (long long)ceil(c.dur * c.fps - 1e-6);
    if ((r = plan(&c, err)))
        goto fail;
    if ((r = avk_mix_build(job, c.dur, &mix, err)))
        goto fail;
    if (job->nwords && (r = avk_subs_group(job->words, job->nwords,
                                           job->caption_mode,
                                           job->caption.max_words, &cues,
                                           &ncues))) {
        avk_fail(err, r, "out of memory");
        goto fail;
    }
    if (((ncues && job->caption_mode != AVK_CAPTIONS_NONE) ||
         (job->watermark && *job->watermark) || job->thumbnail_path) &&
        (r = avk_captions_new(&c.caps, job, c.W, c.H,
                              job->caption_mode == AVK_CAPTIONS_NONE ? NULL
                                                                     : cues,
                              job->caption_mode == AVK_CAPTIONS_NONE ? 0
                                                                     : ncues,
                              err)))
        goto fail;
    for (i = 0; i < RING; i++)
        if (!(c.ring[i] = avk_yuv_frame_new(c.W, c.H))) {
            r = avk_fail(err, AVK_EX_OSERR, "out of memory");
            goto fail;
        }
    if (!(c.fb = avk_yuv_frame_new(c.W, c.H))) {
        r = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto fail;
    }
    if (job->thumbnail_path) {
        double vis = c.sc[0].s1 - (c.ns > 1 ? c.sc[1].tin / 2 : 0.0);
        c.thumb_frame = (long long)(fmin(vis * 0.4, 2.0) * c.fps);
        if (c.thumb_frame >= c.nframes)
            c.thumb_frame = c.nframes - 1;
        c.want_thumb = 1;
        c.title = job->title;
        if ((!c.title || !*c.title) && ncues) {
            if (avk_subs_cue_text(job->words, &cues[0], &c.title_buf, NULL)) {
                r = avk_fail(err, AVK_EX_OSERR, "out of memory");
                goto fail;
            }
            c.title = c.title_buf.data;
        }
    }
    if (job->contact_sheet_path && (r = sheet_begin(&c, err)))
        goto fail;
    if (!(tmp = temp_beside(job->output_path, err))) {
        r = err ? err->code : AVK_EX_CANTCREAT;
        goto fail;
    }
    memset(&eo, 0, sizeof eo);
    eo.path = tmp;
    eo.width = c.W;
    eo.height = c.H;
    eo.fps = c.fps;
    eo.encoder = job->encoder;
    eo.crf = job->crf;
    eo.preset = job->preset;
    eo.gop = job->gop;
    eo.threads = job->threads;
    eo.audio = 1;
    eo.audio_bitrate = job->audio_bitrate;
    eo.warn = job->warn;
    eo.ud = job->ud;
    if ((r = avk_encoder_open(&enc, &eo, err))) {
        if (r == AVK_EX_CANTCREAT && err)
            avk_fail(err, r, "cannot create '%s'", job->output_path);
        goto fail;
    }
    /* The whole soundtrack goes in first: AAC at 128 kb/s is about 1 MB a
       minute, held by the muxer until the video catches up, so the PCM
       can go before the frames start. */
    if ((r = send_audio(enc, &mix, 0, mix.frames, err))) {
        pthread_mutex_init(&c.mu, NULL);
        pthread_cond_init(&c.cv, NULL);
        goto fail_sync;
    }
    lufs = mix.lufs;
    true_peak = mix.true_peak;
    avk_mix_release(&mix);
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    if (pthread_create(&th, NULL, compositor, &c)) {
        r = avk_fail(err, AVK_EX_OSERR, "cannot start a thread");
        goto fail_sync;
    }
    for (n = 0; n < c.nframes; n++) {
        pthread_mutex_lock(&c.mu);
        while (!c.stop && c.produced <= n)
            pthread_cond_wait(&c.cv, &c.mu);
        if (c.produced <= n) {
            pthread_mutex_unlock(&c.mu);
            break;
        }
        pthread_mutex_unlock(&c.mu);
        if ((r = avk_encoder_video(enc, c.ring[n % RING], err)))
            break;
        pthread_mutex_lock(&c.mu);
        c.consumed++;
        pthread_cond_broadcast(&c.cv);
        pthread_mutex_unlock(&c.mu);
        if (job->progress && ((n + 1) % c.fps == 0 || n + 1 == c.nframes))
            job->progress(job->ud, (double)(n + 1) / c.fps, c.dur);
    }
    pthread_mutex_lock(&c.mu);
    c.stop = 1;
    pthread_cond_broadcast(&c.cv);
    pthread_mutex_unlock(&c.mu);
    pthread_join(th, NULL);
    if (!r && c.cerr) {
        r = c.cerr;
        if (err)
            *err = c.cerrmsg;
    }
    if (r)
        goto fail_sync;
    if ((r = avk_encoder_finish(enc, err)))
        goto fail_sync;
    if (res) {
        memset(res, 0, sizeof *res);
        snprintf(res->encoder, sizeof res->encoder, "%s",
                 avk_encoder_video_name(enc));
        snprintf(res->vcodec, sizeof res->vcodec, "%s",
                 avk_encoder_video_codec(enc));
        snprintf(res->acodec, sizeof res->acodec, "aac");
    }
    avk_encoder_free(enc);
    enc = NULL;

    /* Side files, then the video itself. */
    if (c.want_thumb) {
        if (!c.thumb_jpeg.len) {
            r = avk_fail(err, AVK_EX_SOFTWARE, "no thumbnail was made");
            goto fail_sync;
        }
        if ((r = avk_write_file_atomic(job->thumbnail_path,
                                       c.thumb_jpeg.data, c.thumb_jpeg.len,
                                       0644, err)))
            goto fail_sync;
        wrote_thumb = 1;
    }
    if (job->srt_path) {
        if ((r = avk_subs_write_srt(job->srt_path, job->words, cues, ncues,
                                    err)))
            goto fail_sync;
        wrote_srt = 1;
    }
    if (job->vtt_path) {
        if ((r = avk_subs_write_vtt(job->vtt_path, job->words, cues, ncues,
                                    err)))
            goto fail_sync;
        wrote_vtt = 1;
    }
    if (job->contact_sheet_path) {
        if (c.sheet_next < c.ns) {
            r = avk_fail(err, AVK_EX_SOFTWARE, "the contact sheet misses "
                         "scene %zu", c.sheet_next + 1);
            goto fail_sync;
        }
        if ((r = sheet_finish(&c, job->contact_sheet_path, err)))
            goto fail_sync;
        wrote_sheet = 1;
    }
    if (rename(tmp, job->output_path) != 0) {
        r = avk_fail(err, AVK_EX_CANTCREAT, "cannot create '%s': %s",
                     job->output_path, strerror(errno));
        goto fail_sync;
    }
    {
        char *dir = avk_dirname(job->output_path);
        if (dir)
            avk_fsync_dir(dir);
        free(dir);
    }
    if (res) {
        res->duration = (double)c.nframes / c.fps;
        res->width = c.W;
        res->height = c.H;
        res->fps = c.fps;
        res->frames = c.nframes;
        res->bytes = stat(job->output_path, &st) == 0 ? (long long)st.st_size
                                                      : -1;
        res->lufs = lufs;
        res->true_peak = true_peak;
        res->seconds = (avk_mono_ms() - t0) / 1000.0;
    }
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
    free(tmp);
    free(cues);
    avk_mix_release(&mix);
    rctx_release(&c);
    return 0;

fail_sync:
    /* The compositor thread, when it ran, has been joined already. */
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
fail:
    avk_encoder_free(enc);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    if (wrote_thumb)
        unlink(job->thumbnail_path);
    if (wrote_srt)
        unlink(job->srt_path);
    if (wrote_vtt)
        unlink(job->vtt_path);
    if (wrote_sheet)
        unlink(job->contact_sheet_path);
    free(cues);
    avk_mix_release(&mix);
    rctx_release(&c);
    return r;
}
