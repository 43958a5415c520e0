/*
 * Unit tests for the render engine: caption grouping and subtitle files,
 * Ken Burns views, the music bed, and small end-to-end renders (180x320,
 * a few seconds) probed with libavformat: streams, codecs, size, pixel
 * format, duration, moov before mdat, loudness, captions on screen at the
 * right times, awkward caption text, and bad inputs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>

#include "audio.h"
#include "encode.h"
#include "frames.h"
#include "fsutil.h"
#include "image.h"
#include "motion.h"
#include "music.h"
#include "render.h"
#include "subs.h"
#include "tap.h"

#define W 180
#define H 320

static char dir[256];

static char *tpath(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];

    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static int exists(const char *p)
{
    return access(p, F_OK) == 0;
}

/* A flat-ish picture of colour (y, u, v) with a soft pattern. */
static void make_image(const char *path, int w, int h, int yv, int u, int v)
{
    AVFrame *f = avk_yuv_frame_new(w, h);
    avk_err err = {0};
    int x, y;

    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++)
            f->data[0][y * f->linesize[0] + x] =
                (uint8_t)(yv + ((x / 16 + y / 16) & 1) * 6);
    for (y = 0; y < h / 2; y++) {
        memset(f->data[1] + y * f->linesize[1], u, (size_t)w / 2);
        memset(f->data[2] + y * f->linesize[2], v, (size_t)w / 2);
    }
    if (avk_yuv_save_jpeg(path, f, &err))
        printf("# make_image: %s\n", err.msg);
    av_frame_free(&f);
}

/* Speech-like bursts: sound in [0, 0.9) and [1.6, 2.6), silence else. */
static void make_voice(const char *path, double secs)
{
    avk_pcm p;
    avk_err err = {0};
    size_t n = (size_t)(secs * 48000), i;

    avk_pcm_init(&p);
    avk_pcm_alloc(&p, n, 1, 48000);
    for (i = 0; i < n; i++) {
        double t = i / 48000.0;
        int on = t < 0.9 || (t >= 1.6 && t < 2.6);
        p.data[i] = on ? (float)(0.2 * sin(2 * M_PI * 180 * t) *
                                 sin(M_PI * fmod(t, 0.3) / 0.3)) : 0.0f;
    }
    if (avk_audio_write_wav(path, &p, &err))
        printf("# make_voice: %s\n", err.msg);
    avk_pcm_release(&p);
}

static void test_subs(void)
{
    avk_render_word w[] = {
        {"Hello", 0.0, 0.3, 0}, {"there,", 0.35, 0.6, 0}, {"this", 0.7, 0.9, 0},
        {"is", 0.95, 1.0, 0},   {"a", 1.05, 1.1, 0},      {"test.", 1.15, 1.5, 0},
        {"", 1.6, 1.7, 0},      {"New", 3.0, 3.2, 1},     {"<b>&", 3.3, 3.5, 1},
    };
    avk_cue *c;
    size_t n, offs[8];
    avk_buf b, f;
    avk_err err = {0};

    ok(avk_subs_group(w, 9, AVK_CAPTIONS_PHRASE, 5, &c, &n) == 0, "group");
    is_int(n, 3, "three phrases (comma, pause)");
    is_int(c[0].count, 2, "first phrase ends at the comma");
    ok(c[0].show_end <= c[1].start + 1e-9, "cues do not overlap");
    avk_buf_init(&b);
    avk_subs_cue_text(w, &c[1], &b, offs);
    is_str(b.data, "this is a test.", "cue text");
    is_int(offs[1], 5, "word offsets");
    is_int(avk_subs_cue_at(c, n, 0.1, -1), 0, "cue at 0.1");
    is_int(avk_subs_cue_at(c, n, 2.8, -1), -1, "no cue in the pause");
    is_int(avk_subs_cue_at(c, n, 3.4, 1), 2, "cue at 3.4");
    ok(!avk_subs_write_vtt(tpath("a.vtt"), w, c, n, &err), "vtt written");
    ok(!avk_subs_write_srt(tpath("a.srt"), w, c, n, &err), "srt written");
    avk_buf_init(&f);
    avk_read_file(tpath("a.vtt"), &f, &err);
    ok(f.data && !strncmp(f.data, "WEBVTT\n\n00:00:00.000 --> ", 25),
       "vtt header and first timing");
    ok(f.data && strstr(f.data, "&lt;b&gt;&amp;"), "vtt escapes markup");
    avk_buf_reset(&f);
    avk_read_file(tpath("a.srt"), &f, &err);
    ok(f.data && !strncmp(f.data, "1\n00:00:00,000 --> 00:00:00,", 28),
       "srt numbering and comma times");
    avk_buf_release(&f);
    avk_buf_release(&b);
    free(c);
    ok(avk_subs_group(w, 9, AVK_CAPTIONS_SENTENCE, 0, &c, &n) == 0 && n == 2,
       "two sentences");
    free(c);
}

static void test_motion(void)
{
    static const int ms[] = {AVK_MOTION_NONE, AVK_MOTION_ZOOM_IN,
                             AVK_MOTION_ZOOM_OUT, AVK_MOTION_PAN_LEFT,
                             AVK_MOTION_PAN_RIGHT, AVK_MOTION_PAN_UP,
                             AVK_MOTION_PAN_DOWN};
    avk_view v, v0, v1;
    size_t i;
    int inside = 1, p;

    for (i = 0; i < sizeof ms / sizeof ms[0]; i++)
        for (p = 0; p <= 10; p++) {
            avk_motion_view(ms[i], p / 10.0, 1296, 2600, 1080, 1920, 1.0, &v);
            if (v.x < 0 || v.y < 0 || v.x + v.w > 1296 + 1e-6 ||
                v.y + v.h > 2600 + 1e-6 || fabs(v.w / v.h - 1080.0 / 1920) > 1e-6)
                inside = 0;
        }
    ok(inside, "every view stays inside the image with the frame's aspect");
    {
        int iw = (int)lrint(1080 * AVK_MOTION_ZMAX);
        int ih = (int)lrint(1920 * AVK_MOTION_ZMAX);
        avk_motion_view(AVK_MOTION_ZOOM_IN, 0, iw, ih, 1080, 1920, 1, &v0);
        avk_motion_view(AVK_MOTION_ZOOM_IN, 1, iw, ih, 1080, 1920, 1, &v1);
    }
    ok(v1.w < v0.w && fabs(v1.w - 1080) < 1e-3, "zoom in ends at 1:1");
    avk_motion_view(AVK_MOTION_PAN_RIGHT, 0, 1296, 2304, 1080, 1920, 1, &v0);
    avk_motion_view(AVK_MOTION_PAN_RIGHT, 1, 1296, 2304, 1080, 1920, 1, &v1);
    ok(v1.x > v0.x && v1.w == v0.w, "pan right moves right");
}

static void test_music(void)
{
    size_t n = 48000 * 5, i;
    float *a = malloc(n * 2 * sizeof *a), *b = malloc(n * 2 * sizeof *b);
    float *lp = malloc(n * 4 * sizeof *lp), *voice = calloc(n, sizeof *voice);
    double maxd = 0, peak = 0, q0 = 0, q1 = 0;

    avk_music_synth(a, n, 48000, "upbeat", 7);
    avk_music_synth(b, n, 48000, "upbeat", 7);
    ok(!memcmp(a, b, n * 2 * sizeof *a), "synth is deterministic");
    avk_music_synth(b, n, 48000, "upbeat", 8);
    ok(memcmp(a, b, n * 2 * sizeof *a) != 0, "the seed changes the music");
    for (i = 1; i < n; i++) {
        double d = fabs((double)(a[2 * i] - a[2 * i - 2]));
        if (d > maxd)
            maxd = d;
        if (fabs((double)a[2 * i]) > peak)
            peak = fabs((double)a[2 * i]);
    }
    ok(peak > 0.3 && peak <= 0.5001, "peak about 0.5 (%.3f)", peak);
    ok(maxd < 0.08, "no clicks (largest step %.4f)", maxd);
    avk_music_loop(lp, n * 2, a, n, 4800);
    maxd = 0;
    for (i = 1; i < n * 2; i++)
        if (fabs((double)(lp[2 * i] - lp[2 * i - 2])) > maxd)
            maxd = fabs((double)(lp[2 * i] - lp[2 * i - 2]));
    ok(maxd < 0.08, "loop seam without a click (%.4f)", maxd);
    for (i = 0; i < n / 2; i++)
        voice[i] = (float)(0.3 * sin(i * 0.05));
    memcpy(b, a, n * 2 * sizeof *a);
    avk_music_duck(b, n, voice, n, 48000, 9.0);
    for (i = 48000; i < 96000; i++) {
        q0 += fabs((double)b[2 * i]) / (fabs((double)a[2 * i]) + 1e-9) / 48000;
        q1 += fabs((double)b[2 * (i + 144000)]) /
              (fabs((double)a[2 * (i + 144000)]) + 1e-9) / 48000;
    }
    ok(q0 < 0.5 && q1 > 0.95, "ducked under speech (%.2f), not after (%.2f)",
       q0, q1);
    free(a), free(b), free(lp), free(voice);
}

/* Probe an MP4: fills the facts tests check. */
typedef struct probe {
    int ok, nstreams, w, h, h264, aac, yuv420p, rate, channels;
    double dur;
} probe;

static void probe_file(const char *path, probe *p)
{
    AVFormatContext *fmt = NULL;
    unsigned i;

    memset(p, 0, sizeof *p);
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        return;
    if (avformat_find_stream_info(fmt, NULL) >= 0) {
        p->ok = 1;
        p->nstreams = (int)fmt->nb_streams;
        p->dur = fmt->duration / (double)AV_TIME_BASE;
        for (i = 0; i < fmt->nb_streams; i++) {
            AVCodecParameters *cp = fmt->streams[i]->codecpar;
            if (cp->codec_id == AV_CODEC_ID_H264) {
                p->h264 = 1;
                p->w = cp->width;
                p->h = cp->height;
                p->yuv420p = cp->format == AV_PIX_FMT_YUV420P;
            } else if (cp->codec_id == AV_CODEC_ID_AAC) {
                p->aac = 1;
                p->rate = cp->sample_rate;
                p->channels = cp->ch_layout.nb_channels;
            }
        }
    }
    avformat_close_input(&fmt);
}

/* 1 when the top-level "moov" box comes before "mdat". */
static int moov_first(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[8];
    int res = 0;

    while (f && fread(h, 1, 8, f) == 8) {
        unsigned long sz = (unsigned long)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
        if (!memcmp(h + 4, "moov", 4)) {
            res = 1;
            break;
        }
        if (!memcmp(h + 4, "mdat", 4) || sz < 8)
            break;
        fseek(f, (long)sz - 8, SEEK_CUR);
    }
    if (f)
        fclose(f);
    return res;
}

/* The luma plane of the frame shown at t (decoded), into buf (w*h). */
static int frame_luma(const char *path, double want, uint8_t *buf)
{
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    const AVCodec *codec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    int si, got = 0, y;

    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        goto out;
    avformat_find_stream_info(fmt, NULL);
    si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si < 0)
        goto out;
    dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar);
    dec->thread_count = 1;
    avcodec_open2(dec, codec, NULL);
    while (!got && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == si && avcodec_send_packet(dec, pkt) >= 0)
            while (!got && avcodec_receive_frame(dec, f) >= 0) {
                double t = f->best_effort_timestamp *
                           av_q2d(fmt->streams[si]->time_base);
                if (t + 1e-6 >= want) {
                    for (y = 0; y < f->height; y++)
                        memcpy(buf + y * f->width,
                               f->data[0] + y * f->linesize[0],
                               (size_t)f->width);
                    got = 1;
                }
            }
        av_packet_unref(pkt);
    }
out:
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return got;
}

/* Mean absolute luma difference over rows [y0, y1). */
static double region_diff(const uint8_t *a, const uint8_t *b, int y0, int y1)
{
    double s = 0;
    int x, y;

    for (y = y0; y < y1; y++)
        for (x = 0; x < W; x++)
            s += abs(a[y * W + x] - b[y * W + x]);
    return s / ((double)(y1 - y0) * W);
}

static void base_job(avk_render_job *job, avk_render_scene *sc)
{
    avk_render_job_init(job);
    job->width = W;
    job->height = H;
    job->fps = 30;
    sc[0] = (avk_render_scene){tpath("a.jpg"), 0, 0.0, 1.5, AVK_MOTION_NONE,
                               AVK_TRANS_DEFAULT};
    sc[1] = (avk_render_scene){tpath("b.jpg"), 0, 1.5, 3.0, AVK_MOTION_NONE,
                               AVK_TRANS_CROSSFADE};
    job->scenes = sc;
    job->nscenes = 2;
    job->narration_path = tpath("voice.wav");
    job->output_path = tpath("out.mp4");
    job->seed = 3;
}

static void test_render_ok(void)
{
    avk_render_job job;
    avk_render_scene sc[2];
    avk_render_result res;
    avk_err err = {0};
    probe p;

    memset(&res, 0, sizeof res);
    avk_pcm pcm;
    avk_loudness lo;
    static uint8_t f1[W * H], f2[W * H];
    avk_render_word words[] = {
        {"Word", 0.1, 0.4, 0}, {"one", 0.45, 0.8, 0},
        {"two", 1.65, 2.0, 1}, {"three.", 2.1, 2.5, 1},
    };
    int r;

    base_job(&job, sc);
    job.words = words;
    job.nwords = 4;
    job.thumbnail_path = tpath("thumb.jpg");
    job.srt_path = tpath("out.srt");
    job.vtt_path = tpath("out.vtt");
    job.contact_sheet_path = tpath("sheet.png");
    r = avk_render(&job, &res, &err);
    ok(r == 0, "render succeeds%s%s", r ? ": " : "", r ? err.msg : "");
    {
        /* Two tiles of 180x320 side by side; a dark, then b bright. */
        avk_image im;
        int sw, sh, ok_load;
        avk_image_init(&im);
        avk_render_sheet_size(W, H, 2, &sw, &sh, NULL, NULL);
        ok_load = !avk_image_load(tpath("sheet.png"), &im, &err);
        ok(ok_load && im.w == sw && im.h == sh && sw == 2 * W + 24,
           "contact sheet %dx%d", im.w, im.h);
        if (ok_load) {
            const uint8_t *pa = im.px + (size_t)(8 + H / 2) * (size_t)im.stride +
                                4 * (8 + W / 2);
            const uint8_t *pb = pa + 4 * (W + 8);
            ok(pb[1] > pa[1] + 30, "tile 2 is the bright scene (%d vs %d)",
               pb[1], pa[1]);
        } else {
            ok(0, "tile 2 is the bright scene");
        }
        avk_image_release(&im);
    }
    probe_file(tpath("out.mp4"), &p);
    ok(p.ok && p.nstreams == 2, "two streams");
    ok(p.h264 && p.aac, "h264 + aac");
    ok(p.w == W && p.h == H && p.yuv420p, "%dx%d yuv420p", p.w, p.h);
    ok(p.rate == 48000 && p.channels == 2, "48 kHz stereo");
    ok(fabs(p.dur - 3.0) <= 1.0 / 30 + 1e-3, "duration %.3f within a frame of 3 s",
       p.dur);
    ok(moov_first(tpath("out.mp4")), "moov before mdat");
    ok(res.frames == 90 && !strcmp(res.vcodec, "h264"), "result facts");
    ok(exists(tpath("thumb.jpg")) && exists(tpath("out.srt")) &&
       exists(tpath("out.vtt")), "thumbnail, srt and vtt written");
    avk_pcm_init(&pcm);
    memset(&lo, 0, sizeof lo);
    ok(!avk_audio_decode(tpath("out.mp4"), 48000, 2, &pcm, &err) &&
       !avk_loudness_measure(&pcm, &lo) &&
       fabs(lo.integrated_lufs + 14.0) <= 1.0,
       "loudness %.2f LUFS within 1 LU of -14", lo.integrated_lufs);
    ok(lo.true_peak_dbtp <= -0.5, "true peak %.2f dBTP", lo.true_peak_dbtp);
    avk_pcm_release(&pcm);
    /* Scene a is dark, scene b bright: a mid-scene frame of each. */
    ok(frame_luma(tpath("out.mp4"), 0.5, f1) &&
       frame_luma(tpath("out.mp4"), 2.8, f2) &&
       region_diff(f1, f2, 0, H / 3) > 40, "scenes differ (%.1f)",
       region_diff(f1, f2, 0, H / 3));
    {
        /* The crossfade frame at the boundary is in between. */
        static uint8_t fx[W * H];
        double m1 = 0, mx = 0, m2 = 0;
        int i;
        frame_luma(tpath("out.mp4"), 1.5, fx);
        for (i = 0; i < W * 50; i++) {
            m1 += f1[i];
            mx += fx[i];
            m2 += f2[i];
        }
        ok(mx > m1 + 20 * W * 50 && mx < m2 - 20 * W * 50,
           "crossfade frame between the scenes");
    }
}

static void test_captions(void)
{
    avk_render_job job;
    avk_render_scene sc[2];
    avk_err err = {0};
    static uint8_t fa[W * H], fb[W * H], fc[W * H];
    avk_render_word w[] = {
        {"Big", 0.2, 0.45, 0}, {"words", 0.5, 0.8, 0},
        {"again", 2.0, 2.6, 0},
    };
    int r, y0 = (int)(H * 0.64), y1 = (int)(H * 0.76);

    base_job(&job, sc);
    job.nscenes = 1;
    sc[0].end = 3.0;
    job.words = w;
    job.nwords = 3;
    job.output_path = tpath("cap.mp4");
    r = avk_render(&job, NULL, &err);
    ok(r == 0, "caption render%s%s", r ? ": " : "", r ? err.msg : "");
    frame_luma(tpath("cap.mp4"), 0.3, fa);
    frame_luma(tpath("cap.mp4"), 1.6, fb);
    frame_luma(tpath("cap.mp4"), 0.6, fc);
    ok(region_diff(fa, fb, y0, y1) > 8.0,
       "caption region differs while a word is spoken (%.1f)",
       region_diff(fa, fb, y0, y1));
    ok(region_diff(fa, fb, 0, H / 3) < 2.0,
       "the top of the frame does not (%.1f)", region_diff(fa, fb, 0, H / 3));
    ok(region_diff(fa, fc, y0, y1) > 0.3,
       "the highlight moves to the next word (%.2f)",
       region_diff(fa, fc, y0, y1));
}

/* A 1 s 160x120 clip whose brightness rises frame by frame. */
static void make_clip(const char *path)
{
    avk_encode_opts o;
    avk_encoder *e = NULL;
    avk_err err = {0};
    AVFrame *f = avk_yuv_frame_new(160, 120);
    int n;

    memset(&o, 0, sizeof o);
    o.path = path;
    o.width = 160;
    o.height = 120;
    o.fps = 25;
    if (avk_encoder_open(&e, &o, &err)) {
        printf("# make_clip: %s\n", err.msg);
        av_frame_free(&f);
        return;
    }
    for (n = 0; n < 25; n++) {
        av_frame_make_writable(f);
        memset(f->data[0], 30 + n * 8, (size_t)f->linesize[0] * 120);
        avk_encoder_video(e, f, &err);
    }
    avk_encoder_finish(e, &err);
    avk_encoder_free(e);
    av_frame_free(&f);
}

static void test_clip(void)
{
    avk_render_job job;
    avk_render_scene sc[2];
    avk_render_result res;
    avk_err err = {0};
    static uint8_t f1[W * H], f2[W * H];
    int r;

    make_clip(tpath("clip.mp4"));
    base_job(&job, sc);
    sc[0].path = tpath("clip.mp4");
    sc[0].is_video = 1;
    sc[1].transition = AVK_TRANS_SLIDE;
    job.output_path = tpath("clip-out.mp4");
    job.music_synth = 0;
    r = avk_render(&job, &res, &err);
    ok(r == 0, "a video clip scene renders%s%s", r ? ": " : "",
       r ? err.msg : "");
    /* The clip loops: 0.2 s and 1.2 s show about the same picture. */
    frame_luma(tpath("clip-out.mp4"), 0.2, f1);
    frame_luma(tpath("clip-out.mp4"), 1.2, f2);
    ok(region_diff(f1, f2, 0, H / 2) < 12.0, "clip looped (%.1f)",
       region_diff(f1, f2, 0, H / 2));
    frame_luma(tpath("clip-out.mp4"), 0.8, f2);
    ok(region_diff(f1, f2, 0, H / 2) > 20.0, "clip plays (%.1f)",
       region_diff(f1, f2, 0, H / 2));
}

static int warned;
static void count_warn(void *ud, const char *msg)
{
    (void)ud;
    if (strstr(msg, "h264_nosuch"))
        warned++;
}

static void test_encoder_fallback(void)
{
    avk_render_job job;
    avk_render_scene sc[2];
    avk_render_result res;
    avk_err err = {0};
    int r;

    base_job(&job, sc);
    job.encoder = "h264_nosuch";
    job.warn = count_warn;
    job.output_path = tpath("fallback.mp4");
    job.duration = 1.0;
    r = avk_render(&job, &res, &err);
    ok(r == 0 && !strcmp(res.encoder, "libx264"),
       "an unusable encoder falls back to libx264%s%s", r ? ": " : "",
       r ? err.msg : "");
    ok(warned == 1, "with a warning");
}

/* A hardware encoder either works (the machine has one) or falls back to
   libx264 with a warning naming it; never an error, never silence. */
static int hw_warned;
static void hw_warn(void *ud, const char *msg)
{
    hw_warned += strstr(msg, (const char *)ud) != NULL;
}

static void test_hw_encoders(void)
{
    static const char *names[] = {"h264_vaapi", "h264_qsv", "h264_nvenc",
                                  "hevc_vaapi"};
    size_t i;

    for (i = 0; i < sizeof names / sizeof *names; i++) {
        avk_render_job job;
        avk_render_scene sc[2];
        avk_render_result res;
        avk_err err = {0};
        int r, used;

        base_job(&job, sc);
        job.encoder = names[i];
        job.warn = hw_warn;
        job.ud = (void *)names[i];
        job.output_path = tpath("hw.mp4");
        job.duration = 0.5;
        hw_warned = 0;
        r = avk_render(&job, &res, &err);
        used = r == 0 && !strcmp(res.encoder, names[i]);
        ok(r == 0 && (used ? hw_warned == 0
                           : !strcmp(res.encoder, "libx264") && hw_warned == 1),
           "%s: %s%s", names[i],
           r ? err.msg : used ? "used" : "fell back to libx264 with a warning",
           "");
    }
}

static void test_text_safety(void)
{
    static const char *texts[] = {
        "\"quoted\"", "it's", "a:b", "back\\slash", "100%", "%s%n%d",
        "{braces}", "[x]", "emoji \xF0\x9F\x98\x80", "\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A",
        "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", "a\nb", "'; drop", "$(x)", "\\N{x}",
    };
    avk_render_word w[15];
    avk_render_job job;
    avk_render_scene sc[2];
    avk_err err = {0};
    size_t i;
    int r;

    for (i = 0; i < 15; i++)
        w[i] = (avk_render_word){texts[i], 0.1 + i * 0.19, 0.25 + i * 0.19, 0};
    base_job(&job, sc);
    job.words = w;
    job.nwords = 15;
    job.srt_path = tpath("t.srt");
    job.output_path = tpath("text.mp4");
    r = avk_render(&job, NULL, &err);
    ok(r == 0, "awkward caption text renders%s%s", r ? ": " : "",
       r ? err.msg : "");
    ok(exists(tpath("text.mp4")), "output written");
}

static void test_bad_inputs(void)
{
    avk_render_job job;
    avk_render_scene sc[2];
    avk_err err = {0};
    FILE *f;
    int r;

    base_job(&job, sc);
    sc[1].path = tpath("missing.jpg");
    r = avk_render(&job, NULL, &err);
    ok(r == AVK_EX_NOINPUT && strstr(err.msg, "missing.jpg"),
       "missing image: %s", err.msg);
    ok(!exists(tpath("out.mp4")) || 1, "(out.mp4 from earlier may exist)");

    job.output_path = tpath("bad.mp4");
    f = fopen(tpath("corrupt.jpg"), "wb");
    fputs("\xff\xd8 this is not a jpeg at all, just text", f);
    fclose(f);
    sc[1].path = tpath("corrupt.jpg");
    r = avk_render(&job, NULL, &err);
    ok(r == AVK_EX_DATAERR && strstr(err.msg, "corrupt.jpg"),
       "corrupt image: %s", err.msg);
    ok(!exists(tpath("bad.mp4")), "nothing left at the output path");

    sc[1].path = tpath("b.jpg");
    f = fopen(tpath("empty.wav"), "wb");
    fclose(f);
    job.narration_path = tpath("empty.wav");
    r = avk_render(&job, NULL, &err);
    ok(r == AVK_EX_DATAERR && strstr(err.msg, "empty.wav"),
       "zero-length narration: %s", err.msg);
    ok(!exists(tpath("bad.mp4")), "nothing left at the output path");
    {
        avk_pcm p;
        avk_pcm_init(&p);
        avk_pcm_alloc(&p, 0, 1, 48000);
        avk_audio_write_wav(tpath("zero.wav"), &p, &err);
        avk_pcm_release(&p);
    }
    if (exists(tpath("zero.wav"))) {
        job.narration_path = tpath("zero.wav");
        r = avk_render(&job, NULL, &err);
        ok(r == AVK_EX_DATAERR, "narration without samples: %s", err.msg);
    } else {
        ok(1, "narration without samples (WAV writer refuses it)");
    }
    ok(!exists(tpath("bad.mp4")), "nothing left at the output path");

    job.narration_path = tpath("voice.wav");
    job.output_path = "/nonexistent-dir/x/out.mp4";
    r = avk_render(&job, NULL, &err);
    ok(r == AVK_EX_CANTCREAT && strstr(err.msg, "/nonexistent-dir/x/out.mp4"),
       "unwritable output: %s", err.msg);
    ok(!exists("/nonexistent-dir/x/out.mp4"), "nothing written there");
}

static void test_sheet_size(void)
{
    int w, h, tw, th;

    /* 1080x1920: 180x320 tiles; 6 columns at most. */
    avk_render_sheet_size(1080, 1920, 1, &w, &h, &tw, &th);
    is_int(tw, 180, "sheet tile width 9:16");
    is_int(th, 320, "sheet tile height 9:16");
    is_int(w, 180 + 2 * 8, "sheet of one scene: width");
    is_int(h, 320 + 32 + 2 * 8, "sheet of one scene: height");
    avk_render_sheet_size(1080, 1920, 6, &w, &h, NULL, NULL);
    is_int(w, 6 * 180 + 7 * 8, "six scenes: one row of six");
    is_int(h, 320 + 32 + 2 * 8, "six scenes: one row");
    avk_render_sheet_size(1080, 1920, 13, &w, &h, NULL, NULL);
    is_int(w, 6 * 180 + 7 * 8, "thirteen scenes: six columns");
    is_int(h, 3 * (320 + 32) + 4 * 8, "thirteen scenes: three rows");
    avk_render_sheet_size(1920, 1080, 2, &w, &h, &tw, &th);
    is_int(tw, 320, "landscape tile width");
    is_int(th, 180, "landscape tile height");
    /* Smaller than a tile: the frame's own size. */
    avk_render_sheet_size(60, 106, 3, &w, &h, &tw, &th);
    ok(tw == 60 && th == 106 && w == 3 * 60 + 4 * 8 &&
           h == 106 + 32 + 2 * 8, "small frames are not enlarged");
}

int main(void)
{
    char tmpl[] = "/tmp/avk-render-XXXXXX";
    avk_err err = {0};

    av_log_set_level(AV_LOG_QUIET);
    if (!mkdtemp(tmpl))
        return 1;
    snprintf(dir, sizeof dir, "%s", tmpl);
    make_image(tpath("a.jpg"), 400, 640, 50, 110, 140);
    make_image(tpath("b.jpg"), 360, 640, 190, 150, 120);
    make_voice(tpath("voice.wav"), 3.0);
    test_subs();
    test_sheet_size();
    test_motion();
    test_music();
    test_render_ok();
    test_captions();
    test_clip();
    test_encoder_fallback();
    test_hw_encoders();
    test_text_safety();
    test_bad_inputs();
    avk_rmtree(dir, &err);
    return tap_done();
}
