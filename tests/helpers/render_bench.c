/*
 * render_bench.c - the render reference job (docs: reference-job.md).
 *
 *   render_bench [-w W -h H -s SECONDS] [-L LONG] [-g] DIR [RESULTS]
 *
 * (-g: only generate the inputs, for other tests and for tools/bench.sh's
 * ffmpeg peer; the captions are also written as DIR/subs.srt.  -L LONG:
 * also render the job LONG seconds long, to show that peak memory stays
 * flat as the video gets longer.)
 *
 * Generates the job's inputs in DIR (six 1440x2560 JPEGs drawn
 * procedurally and written by libavcodec's mjpeg encoder, SECONDS of
 * narration-like audio, one caption line every 2 s), then runs, each in a
 * child process so that each gets its own peak RSS, (1) the floor: the same
 * number of frames of a moving test pattern through the same libx264
 * settings, no effects, no audio; (2) the job through avk_render.  Prints
 * seconds, ratio and peak RSS, and writes them to RESULTS when given.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "audio.h"
#include "encode.h"
#include "frames.h"
#include "fsutil.h"
#include "render.h"

static int W = 1080, H = 1920, FPS = 30, IW = 1440, IH = 2560;
static double SECS = 60.0;

#define NSCENES 6

/* A smooth colourful picture, different per index i. */
static int make_jpeg(const char *path, int i, avk_err *err)
{
    AVFrame *f = avk_yuv_frame_new(IW, IH);
    int x, y, r;

    if (!f)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (y = 0; y < f->height; y++) {
        uint8_t *row = f->data[0] + (ptrdiff_t)y * f->linesize[0];
        for (x = 0; x < f->width; x++) {
            double v = 0.5 + 0.25 * sin(x * 0.011 * (i + 1) + y * 0.004) +
                       0.2 * cos(hypot(x - IW / 2.0, y - IH / 2.0 + i * 150) * 0.02);
            /* fine detail so the encoder has real work */
            v += ((x / 24 + y / 24 + i) & 1) ? 0.05 : -0.05;
            row[x] = (uint8_t)(16 + 219 * fmin(1.0, fmax(0.0, v)));
        }
    }
    for (y = 0; y < f->height / 2; y++) {
        uint8_t *u = f->data[1] + (ptrdiff_t)y * f->linesize[1];
        uint8_t *v = f->data[2] + (ptrdiff_t)y * f->linesize[2];
        for (x = 0; x < f->width / 2; x++) {
            u[x] = (uint8_t)(128 + 60 * sin(i * 1.3 + x * 0.006));
            v[x] = (uint8_t)(128 + 60 * cos(i * 0.7 + y * 0.005));
        }
    }
    r = avk_yuv_save_jpeg(path, f, err);
    av_frame_free(&f);
    return r;
}

/* Narration-like audio: voiced syllables with pauses. */
static int make_voice(const char *path, double secs, avk_err *err)
{
    avk_pcm p;
    size_t n = (size_t)(secs * 48000), i;
    int r;

    avk_pcm_init(&p);
    if ((r = avk_pcm_alloc(&p, n, 1, 48000)))
        return avk_fail(err, r, "out of memory");
    for (i = 0; i < n; i++) {
        double t = (double)i / 48000.0, ph = fmod(t, 2.0);
        double syl = fmod(t, 0.25) / 0.25;
        double env = ph < 1.7 ? sin(M_PI * syl) : 0.0;
        double f0 = 120.0 + 30.0 * sin(t * 3.0);
        double v = 0.0;
        int h;
        for (h = 1; h <= 8; h++)
            v += sin(2 * M_PI * f0 * h * t) / h;
        p.data[i] = (float)(0.15 * env * v);
    }
    r = avk_audio_write_wav(path, &p, err);
    avk_pcm_release(&p);
    return r;
}

static const char *lines[] = {
    "Five habits of", "productive people", "Start your day", "with one clear goal",
    "Block deep work", "before the inbox", "Say no", "to most meetings",
    "Move your body", "every single day", "Sleep is not", "a luxury",
};

/* The caption lines as SRT, for the ffmpeg peer's subtitles filter. */
static int make_srt(const char *path)
{
    FILE *f = fopen(path, "w");
    int i, n = (int)(SECS / 2);

    if (!f)
        return -1;
    for (i = 0; i < n; i++) {
        int a = i * 2000, b = a + 1600;
        fprintf(f, "%d\n%02d:%02d:%02d,%03d --> %02d:%02d:%02d,%03d\n%s\n\n",
                i + 1, a / 3600000, a / 60000 % 60, a / 1000 % 60, a % 1000,
                b / 3600000, b / 60000 % 60, b / 1000 % 60, b % 1000,
                lines[(size_t)i % (sizeof lines / sizeof lines[0])]);
    }
    return fclose(f) ? -1 : 0;
}

static int job_run(const char *dir, int floor_only, double secs)
{
    avk_err err = {0};
    char path[NSCENES + 4][1024];
    int i, r;

    if (floor_only) {
        avk_encode_opts o;
        avk_encoder *e;
        AVFrame *f = avk_yuv_frame_new(W, H);
        long long n, nf = (long long)(SECS * FPS);

        memset(&o, 0, sizeof o);
        snprintf(path[0], sizeof path[0], "%s/floor.mp4", dir);
        o.path = path[0];
        o.width = W;
        o.height = H;
        o.fps = FPS;
        if (!f || (r = avk_encoder_open(&e, &o, &err))) {
            fprintf(stderr, "floor: %s\n", err.msg);
            return 1;
        }
        for (n = 0; n < nf; n++) {
            /* Like ffmpeg's testsrc2: colour bars, a scrolling gradient,
               a moving box and a changing counter block. */
            static const uint8_t bars[7][3] = {
                {180, 128, 128}, {168, 44, 136}, {145, 147, 44},
                {133, 63, 52},   {63, 193, 204}, {51, 109, 212},
                {28, 212, 120}};
            int x, y, bw = W / 7, bx, by, bs = W / 8;
            av_frame_make_writable(f);
            bx = (int)((n * 7) % (2 * (W - bs)));
            if (bx > W - bs)
                bx = 2 * (W - bs) - bx;
            by = (int)((n * 5) % (2 * (H - bs)));
            if (by > H - bs)
                by = 2 * (H - bs) - by;
            for (y = 0; y < H; y++) {
                uint8_t *row = f->data[0] + (ptrdiff_t)y * f->linesize[0];
                if (y < H * 2 / 3) {
                    for (x = 0; x < W; x++)
                        row[x] = bars[x / bw < 7 ? x / bw : 6][0];
                } else {
                    for (x = 0; x < W; x++)
                        row[x] = (uint8_t)(16 + ((x + n * 4) % W) * 219 / W);
                }
                if (y >= by && y < by + bs)
                    memset(row + bx, 235, (size_t)bs);
                if (y >= 40 && y < 140)
                    memset(row + 40, (int)(16 + (n * 37) % 220), 200);
            }
            for (y = 0; y < H / 2; y++) {
                uint8_t *u = f->data[1] + (ptrdiff_t)y * f->linesize[1];
                uint8_t *v = f->data[2] + (ptrdiff_t)y * f->linesize[2];
                for (x = 0; x < W / 2; x++) {
                    int b = y < H / 3 ? (2 * x / bw < 7 ? 2 * x / bw : 6) : -1;
                    u[x] = b >= 0 ? bars[b][1] : 128;
                    v[x] = b >= 0 ? bars[b][2] : 128;
                }
            }
            if ((r = avk_encoder_video(e, f, &err)))
                break;
        }
        if (!r)
            r = avk_encoder_finish(e, &err);
        avk_encoder_free(e);
        av_frame_free(&f);
        if (r) {
            fprintf(stderr, "floor: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    {
        avk_render_job job;
        avk_render_result res;
        avk_render_scene *sc;
        avk_render_word *words;
        size_t nw = 0, nlines = (size_t)(secs / 2);
        /* Scenes of SECS / NSCENES seconds each, cycling the six stills. */
        int nsc = (int)lround(secs / (SECS / NSCENES));
        static const int motions[NSCENES] = {
            AVK_MOTION_ZOOM_IN, AVK_MOTION_ZOOM_OUT, AVK_MOTION_PAN_LEFT,
            AVK_MOTION_ZOOM_IN, AVK_MOTION_ZOOM_OUT, AVK_MOTION_PAN_RIGHT};

        avk_render_job_init(&job);
        job.width = W;
        job.height = H;
        job.fps = FPS;
        if (nsc < 1)
            nsc = 1;
        sc = calloc((size_t)nsc, sizeof *sc);
        if (!sc)
            return 1;
        for (i = 0; i < NSCENES; i++)
            snprintf(path[i], sizeof path[i], "%s/scene%d.jpg", dir, i);
        for (i = 0; i < nsc; i++) {
            sc[i].path = path[i % NSCENES];
            sc[i].is_video = 0;
            sc[i].start = secs * i / nsc;
            sc[i].end = secs * (i + 1) / nsc;
            sc[i].motion = motions[i % NSCENES];
            sc[i].transition = AVK_TRANS_CROSSFADE;
        }
        job.scenes = sc;
        job.nscenes = (size_t)nsc;
        if (secs == SECS)
            snprintf(path[NSCENES], sizeof path[0], "%s/voice.wav", dir);
        else
            snprintf(path[NSCENES], sizeof path[0], "%s/voice-long.wav", dir);
        snprintf(path[NSCENES + 1], sizeof path[0], "%s/job.mp4", dir);
        snprintf(path[NSCENES + 2], sizeof path[0], "%s/job.jpg", dir);
        job.narration_path = path[NSCENES];
        job.output_path = path[NSCENES + 1];
        job.thumbnail_path = path[NSCENES + 2];
        words = calloc(nlines * 4, sizeof *words);
        if (!words) {
            free(sc);
            return 1;
        }
        for (i = 0; i < (int)nlines; i++) {
            const char *line = lines[(size_t)i % (sizeof lines / sizeof lines[0])];
            /* split the line into words on spaces (static storage) */
            static char buf[16][64];
            char *s = buf[(size_t)i % (sizeof lines / sizeof lines[0])];
            char *tok, *save = NULL;
            int k = 0, nk = 0;
            snprintf(s, 64, "%s", line);
            for (tok = s; *tok; tok++)
                if (*tok == ' ')
                    nk++;
            nk++;
            for (tok = strtok_r(s, " ", &save); tok;
                 tok = strtok_r(NULL, " ", &save), k++) {
                words[nw].text = tok;
                words[nw].start = i * 2.0 + k * 1.6 / nk;
                words[nw].end = words[nw].start + 1.6 / nk * 0.9;
                words[nw].scene = (int)(i * 2.0 / (secs / nsc));
                nw++;
            }
        }
        job.words = words;
        job.nwords = nw;
        job.caption_mode = AVK_CAPTIONS_WORD;
        job.caption.max_words = 4;
        job.music_synth = 1;
        job.music_mood = "upbeat";
        r = avk_render(&job, &res, &err);
        free(words);
        free(sc);
        if (r) {
            fprintf(stderr, "job: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
}

/* Run one part in a child; wall seconds and peak RSS (MB). */
static int timed_child(const char *dir, int floor_only, double len,
                       double *secs, double *cpu, double *rss_mb)
{
    long long t0 = avk_mono_ms();
    struct rusage ru;
    int st;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* As av-render does: big buffers (stills, frames) always come
           from mmap, so freeing them gives the memory back instead of
           leaving holes in a heap (glibc's adaptive threshold). */
        if (!floor_only)
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
        _exit(job_run(dir, floor_only, len));
    }
    if (wait4(pid, &st, 0, &ru) < 0)
        return -1;
    *secs = (avk_mono_ms() - t0) / 1000.0;
    *cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
    *rss_mb = ru.ru_maxrss / 1024.0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    avk_err err = {0};
    char path[1024];
    const char *dir, *results;
    double fs, fr, js, jr, fc, jc, lsecs = 0, ls = 0, lc = 0, lr = 0;
    int i, opt, gen_only = 0;
    FILE *out;

    av_log_set_level(AV_LOG_ERROR);
    while ((opt = getopt(argc, argv, "w:h:s:L:g")) != -1) {
        switch (opt) {
        case 'g': gen_only = 1; break;
        case 'w': W = atoi(optarg); break;
        case 'h': H = atoi(optarg); break;
        case 's': SECS = atof(optarg); break;
        case 'L': lsecs = atof(optarg); break;
        default:
            fprintf(stderr, "usage: render_bench [-w W -h H -s S] [-L S] [-g] DIR "
                    "[RESULTS]\n");
            return 64;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: render_bench [-w W -h H -s S] DIR [RESULTS]\n");
        return 64;
    }
    dir = argv[optind];
    if (W != 1080 || H != 1920) {
        IW = (W * 4 / 3) & ~1;
        IH = (H * 4 / 3) & ~1;
    }
    results = optind + 1 < argc ? argv[optind + 1] : NULL;
    for (i = 0; i < NSCENES; i++) {
        snprintf(path, sizeof path, "%s/scene%d.jpg", dir, i);
        if (make_jpeg(path, i, &err)) {
            fprintf(stderr, "render_bench: %s\n", err.msg);
            return 1;
        }
    }
    snprintf(path, sizeof path, "%s/voice.wav", dir);
    if (make_voice(path, SECS, &err)) {
        fprintf(stderr, "render_bench: %s\n", err.msg);
        return 1;
    }
    snprintf(path, sizeof path, "%s/voice-long.wav", dir);
    if (lsecs > 0 && make_voice(path, lsecs, &err)) {
        fprintf(stderr, "render_bench: %s\n", err.msg);
        return 1;
    }
    snprintf(path, sizeof path, "%s/subs.srt", dir);
    if (make_srt(path)) {
        fprintf(stderr, "render_bench: cannot write '%s'\n", path);
        return 1;
    }
    if (gen_only)
        return 0;
    if (timed_child(dir, 1, SECS, &fs, &fc, &fr) ||
        timed_child(dir, 0, SECS, &js, &jc, &jr) ||
        (lsecs > 0 && timed_child(dir, 0, lsecs, &ls, &lc, &lr))) {
        fprintf(stderr, "render_bench: a run failed\n");
        return 1;
    }
    out = results ? fopen(results, "w") : NULL;
    for (i = 0; i < 2; i++) {
        FILE *f = i ? out : stdout;
        if (!f)
            continue;
        fprintf(f, "reference job: %dx%d, %d fps, %.0f s (%d frames), "
                "libx264 veryfast crf 23\n", W, H, FPS, SECS,
                (int)(SECS * FPS));
        fprintf(f, "floor (test pattern, x264 only): %7.2f s wall %7.2f s CPU  "
                "peak RSS %6.1f MB\n", fs, fc, fr);
        fprintf(f, "job (av render engine):          %7.2f s wall %7.2f s CPU  "
                "peak RSS %6.1f MB\n", js, jc, jr);
        fprintf(f, "ratio job/floor: %.2f wall, %.2f CPU (target <= 1.25; "
                "RSS target <= 300 MB)\n", js / fs, jc / fc);
        if (lsecs > 0) {
            fprintf(f, "long job (%.0f s, %d frames):     %7.2f s wall %7.2f s "
                    "CPU  peak RSS %6.1f MB\n", lsecs, (int)(lsecs * FPS),
                    ls, lc, lr);
            fprintf(f, "peak RSS long/60 s: %.3f (%.1f MB vs %.1f MB; "
                    "target <= 1.10)\n", lr / jr, lr, jr);
        }
    }
    if (out)
        fclose(out);
    return 0;
}
