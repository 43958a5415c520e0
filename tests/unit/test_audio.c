/*
 * test_audio.c - PCM buffers, WAV/FLAC round trips, decoding errors and
 * BS.1770 loudness against figures derived from EBU Tech 3341/3342
 * (cross-checked with libavfilter's ebur128 filter).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>

#include "audio.h"
#include "fsutil.h"
#include "tap.h"

static const double PI = 3.14159265358979323846;

/* Append secs of a sine (peak amplitude amp) to every channel of p. */
static void add_sine(avk_pcm *p, double freq, double amp, double secs,
                     double phase)
{
    size_t n = (size_t)(secs * p->rate), start = p->frames;

    if (avk_pcm_append_silence(p, n))
        abort();
    for (size_t i = 0; i < n; i++) {
        double t = (double)(start + i) / p->rate;
        float v = (float)(amp * sin(2 * PI * freq * t + phase));

        for (int c = 0; c < p->channels; c++)
            p->data[(start + i) * (size_t)p->channels + (size_t)c] = v;
    }
}

static double dbamp(double db)
{
    return pow(10.0, db / 20.0);
}

static double near(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

/* Integrated loudness by libavfilter's ebur128 filter, for comparison
 * (the last lavfi.r128.I metadata value); NAN on trouble. */
static double ffmpeg_ebur128(const avk_pcm *p)
{
    AVFilterGraph *g = avfilter_graph_alloc();
    AVFilterContext *src = NULL, *r128 = NULL, *sink = NULL;
    AVFrame *f = av_frame_alloc();
    char args[256], lay[64];
    AVChannelLayout cl;
    double result = NAN;
    size_t pos = 0;

    av_channel_layout_default(&cl, p->channels);
    av_channel_layout_describe(&cl, lay, sizeof lay);
    snprintf(args, sizeof args,
             "time_base=1/%d:sample_rate=%d:sample_fmt=flt:channel_layout=%s",
             p->rate, p->rate, lay);
    if (!g || !f ||
        avfilter_graph_create_filter(&src, avfilter_get_by_name("abuffer"),
                                     "in", args, NULL, g) < 0 ||
        avfilter_graph_create_filter(&r128, avfilter_get_by_name("ebur128"),
                                     "r128", "metadata=1", NULL, g) < 0 ||
        avfilter_graph_create_filter(&sink,
                                     avfilter_get_by_name("abuffersink"),
                                     "out", NULL, NULL, g) < 0 ||
        avfilter_link(src, 0, r128, 0) < 0 ||
        avfilter_link(r128, 0, sink, 0) < 0 ||
        avfilter_graph_config(g, NULL) < 0)
        goto done;
    for (;;) {
        int r;

        if (pos < p->frames) {
            size_t n = p->frames - pos > 4800 ? 4800 : p->frames - pos;

            f->format = AV_SAMPLE_FMT_FLT;
            f->sample_rate = p->rate;
            f->nb_samples = (int)n;
            av_channel_layout_copy(&f->ch_layout, &cl);
            if (av_frame_get_buffer(f, 0) < 0)
                goto done;
            memcpy(f->data[0], p->data + pos * (size_t)p->channels,
                   n * (size_t)p->channels * sizeof(float));
            f->pts = (int64_t)pos;
            pos += n;
            if (av_buffersrc_add_frame(src, f) < 0)
                goto done;
        } else if (pos == p->frames) {
            if (av_buffersrc_add_frame(src, NULL) < 0)
                goto done;
            pos++;
        }
        while ((r = av_buffersink_get_frame(sink, f)) >= 0) {
            AVDictionaryEntry *e =
                av_dict_get(f->metadata, "lavfi.r128.I", NULL, 0);

            if (e)
                result = atof(e->value);
            av_frame_unref(f);
        }
        if (r == AVERROR_EOF || (r != AVERROR(EAGAIN)))
            break;
    }
done:
    av_channel_layout_uninit(&cl);
    av_frame_free(&f);
    avfilter_graph_free(&g);
    return result;
}

static void test_levels(void)
{
    avk_pcm p;
    avk_loudness m;
    double ff;

    avk_pcm_init(&p);
    /* Mono 1 kHz at -20 dBFS peak: mean square 0.005 (-23.01 dB), plus
     * the K-weighting's +0.69 dB at 1 kHz, minus 0.691: -23.0 LUFS. */
    avk_pcm_alloc(&p, 0, 1, 48000);
    add_sine(&p, 1000, dbamp(-20), 3.0, 0);
    is_int(avk_loudness_measure(&p, &m), 0, "measure mono sine");
    ok(near(m.integrated_lufs, -23.0, 0.05), "mono -20 dBFS sine: %.3f LUFS",
       m.integrated_lufs);
    ok(near(m.sample_peak_dbfs, -20.0, 0.01), "sample peak %.3f",
       m.sample_peak_dbfs);
    ok(near(m.true_peak_dbtp, -20.0, 0.05), "true peak %.3f",
       m.true_peak_dbtp);
    ok(near(avk_pcm_rms_dbfs(&p, 0, 3), -23.01, 0.02), "rms %.3f dBFS",
       avk_pcm_rms_dbfs(&p, 0, 3));
    ff = ffmpeg_ebur128(&p);
    ok(near(ff, m.integrated_lufs, 0.15),
       "ebur128 filter agrees: %.2f vs %.3f", ff, m.integrated_lufs);

    /* EBU Tech 3341 case 1: stereo 1 kHz at -23 dBFS -> -23.0 LUFS; the
     * same at 44.1 kHz (coefficients derived per rate). */
    avk_pcm_alloc(&p, 0, 2, 48000);
    add_sine(&p, 1000, dbamp(-23), 3.0, 0);
    avk_loudness_measure(&p, &m);
    ok(near(m.integrated_lufs, -23.0, 0.1), "3341 #1 stereo: %.3f LUFS",
       m.integrated_lufs);
    /* Case 2: -33 dBFS -> -33.0. */
    avk_pcm_alloc(&p, 0, 2, 44100);
    add_sine(&p, 1000, dbamp(-33), 3.0, 0);
    avk_loudness_measure(&p, &m);
    ok(near(m.integrated_lufs, -33.0, 0.1), "3341 #2 at 44.1 kHz: %.3f LUFS",
       m.integrated_lufs);
    /* K-weighting: +4 dB shelf well above 2 kHz, so a 10 kHz tone reads
     * about 4 dB louder than the same level at 1 kHz. */
    avk_pcm_alloc(&p, 0, 1, 48000);
    add_sine(&p, 10000, dbamp(-20), 2.0, 0);
    avk_loudness_measure(&p, &m);
    ok(m.integrated_lufs > -20.0 && m.integrated_lufs < -19.3,
       "10 kHz shelf: %.3f LUFS", m.integrated_lufs);
    /* 25 Hz is cut by the high-pass. */
    avk_pcm_alloc(&p, 0, 1, 48000);
    add_sine(&p, 25, dbamp(-20), 2.0, 0);
    avk_loudness_measure(&p, &m);
    ok(m.integrated_lufs < -24.0, "25 Hz high-pass: %.3f LUFS",
       m.integrated_lufs);
    avk_pcm_release(&p);
}

static void test_gating(void)
{
    avk_pcm p;
    avk_loudness m;

    avk_pcm_init(&p);
    /* Silence only: nothing passes the absolute gate. */
    avk_pcm_alloc(&p, 48000 * 2, 1, 48000);
    avk_loudness_measure(&p, &m);
    ok(isinf(m.integrated_lufs) && m.integrated_lufs < 0,
       "silence is -inf LUFS");
    ok(isinf(avk_pcm_rms_dbfs(&p, 0, 2)), "silence rms is -inf");
    /* Shorter than one block. */
    avk_pcm_alloc(&p, 0, 1, 48000);
    add_sine(&p, 1000, 0.5, 0.3, 0);
    avk_loudness_measure(&p, &m);
    ok(isinf(m.integrated_lufs), "0.3 s is too short for a block");
    ok(near(m.sample_peak_dbfs, -6.02, 0.01), "but its peak is measured");

    /* Tone then silence: the absolute gate drops the silent blocks.  The
     * three blocks straddling the end (75, 50, 25 % tone) pass both gates
     * and pull a 3 s tone down by about 0.2 LU, as with libavfilter. */
    avk_pcm_alloc(&p, 0, 2, 48000);
    add_sine(&p, 1000, dbamp(-23), 3.0, 0);
    avk_pcm_append_silence(&p, 48000 * 3);
    avk_loudness_measure(&p, &m);
    ok(near(m.integrated_lufs, -23.2, 0.1),
       "silence gated out: %.3f LUFS", m.integrated_lufs);
    ok(near(ffmpeg_ebur128(&p), m.integrated_lufs, 0.1),
       "ebur128 filter agrees on the absolute gate");

    /* Relative gate, after 3341 case 4: -72, -36, -23, -36, -72 dBFS.
     * The -36 parts are below the relative gate (about -34 LUFS). */
    avk_pcm_alloc(&p, 0, 2, 48000);
    add_sine(&p, 1000, dbamp(-72), 1.0, 0);
    add_sine(&p, 1000, dbamp(-36), 2.0, 0);
    add_sine(&p, 1000, dbamp(-23), 6.0, 0);
    add_sine(&p, 1000, dbamp(-36), 2.0, 0);
    add_sine(&p, 1000, dbamp(-72), 1.0, 0);
    avk_loudness_measure(&p, &m);
    ok(near(m.integrated_lufs, -23.2, 0.1), "two-level relative gating: %.3f",
       m.integrated_lufs);
    ok(near(ffmpeg_ebur128(&p), m.integrated_lufs, 0.1),
       "ebur128 filter agrees on the relative gate");

    /* Without the relative gate the mean would be lower: a -30 part
     * above the gate does count.  -20 LU spread in equal lengths gives
     * -22.6 (power mean of -23 and -30 ... gated to both). */
    avk_pcm_alloc(&p, 0, 1, 48000);
    add_sine(&p, 1000, dbamp(-20), 4.0, 0);  /* -23 LUFS mono */
    add_sine(&p, 1000, dbamp(-27), 4.0, 0);  /* -30 LUFS */
    avk_loudness_measure(&p, &m);
    {
        double want = 10 * log10((pow(10, -2.3) + pow(10, -3.0)) / 2);

        ok(near(m.integrated_lufs, want, 0.15),
           "a -7 LU part stays in: %.3f (want %.3f)", m.integrated_lufs,
           want);
    }
    avk_pcm_release(&p);
}

static void test_lra(void)
{
    avk_pcm p;
    avk_loudness m;

    /* After 3342 case 1: 20 s at -20 then 20 s at -30 dBFS: LRA 10 LU.
     * Shortened to 10 s each; percentiles of the 3 s windows. */
    avk_pcm_init(&p);
    avk_pcm_alloc(&p, 0, 1, 16000);
    add_sine(&p, 1000, dbamp(-20), 10.0, 0);
    add_sine(&p, 1000, dbamp(-30), 10.0, 0);
    avk_loudness_measure(&p, &m);
    ok(near(m.lra, 10.0, 0.3), "LRA of a 10 dB step: %.2f LU", m.lra);
    avk_pcm_release(&p);
}

static void test_true_peak(void)
{
    avk_pcm p;
    avk_loudness m;

    /* A sine at fs/4 sampled 45 degrees off its peaks: every sample is
     * 0.707 of the peak, so sample peak is 3 dB under the true peak. */
    avk_pcm_init(&p);
    avk_pcm_alloc(&p, 0, 1, 48000);
    add_sine(&p, 12000, 0.5, 1.0, PI / 4);
    avk_loudness_measure(&p, &m);
    ok(near(m.sample_peak_dbfs, -9.03, 0.02), "fs/4 sample peak %.2f",
       m.sample_peak_dbfs);
    ok(near(m.true_peak_dbtp, -6.02, 0.3), "fs/4 true peak %.2f dBTP",
       m.true_peak_dbtp);
    /* A 1 kHz sine near full scale: true and sample peak agree. */
    avk_pcm_alloc(&p, 0, 2, 48000);
    add_sine(&p, 997, dbamp(-1), 1.0, 0.3);
    avk_loudness_measure(&p, &m);
    ok(near(m.true_peak_dbtp, -1.0, 0.05), "997 Hz true peak %.3f",
       m.true_peak_dbtp);
    avk_pcm_release(&p);
}

/* A crest-heavy signal: a quiet tone with loud short bursts. */
static void make_bursty(avk_pcm *p)
{
    avk_pcm_alloc(p, 0, 2, 48000);
    add_sine(p, 440, 0.03, 4.0, 0);
    for (int k = 0; k < 8; k++) {
        size_t at = (size_t)((0.25 + 0.5 * k) * 48000);

        for (size_t i = 0; i < 96 && at + i < p->frames; i++) {
            float v = (float)(0.6 * sin(2 * PI * 3000 * (double)i / 48000));

            p->data[(at + i) * 2] += v;
            p->data[(at + i) * 2 + 1] -= v;
        }
    }
}

static void test_normalize(void)
{
    avk_pcm p;
    avk_loudness before, after;
    float probe;

    avk_pcm_init(&p);
    /* Gain only: peaks stay under the ceiling, shape unchanged. */
    avk_pcm_alloc(&p, 0, 1, 48000);
    add_sine(&p, 1000, dbamp(-20), 2.0, 0);
    probe = p.data[1234];
    is_int(avk_loudness_normalize(&p, -16.0, -1.5, &after), 0,
           "normalise a sine");
    ok(near(after.integrated_lufs, -16.0, 0.1), "sine at %.3f LUFS",
       after.integrated_lufs);
    ok(near(p.data[1234] / probe, dbamp(7.0), 0.01),
       "plain gain of +7 dB (%.4f)", p.data[1234] / probe);

    /* Needs the limiter. */
    make_bursty(&p);
    avk_loudness_measure(&p, &before);
    is_int(avk_loudness_normalize(&p, -16.0, -1.5, &after), 0,
           "normalise a bursty signal");
    ok(before.true_peak_dbtp + (-16.0 - before.integrated_lufs) > 0.0,
       "plain gain would clip (%.1f dBTP)",
       before.true_peak_dbtp + (-16.0 - before.integrated_lufs));
    ok(near(after.integrated_lufs, -16.0, 0.5), "limited to %.2f LUFS",
       after.integrated_lufs);
    ok(after.true_peak_dbtp <= -1.5, "true peak %.3f <= -1.5 dBTP",
       after.true_peak_dbtp);
    {
        avk_loudness m2;

        avk_loudness_measure(&p, &m2);
        ok(near(m2.true_peak_dbtp, after.true_peak_dbtp, 1e-9),
           "'after' is the real measurement");
    }
    /* The quiet tone between bursts is untouched by the limiter: its
     * level equals the loudness gain applied. */
    ok(near(avk_pcm_rms_dbfs(&p, 0.05, 0.2),
            avk_pcm_rms_dbfs(&p, 1.05, 1.2), 0.1),
       "limiter leaves the quiet parts alone");

    /* Silence is left untouched. */
    avk_pcm_alloc(&p, 48000, 1, 48000);
    is_int(avk_loudness_normalize(&p, -16.0, -1.5, &after), 0,
           "normalise silence");
    ok(p.data[100] == 0.0f && isinf(after.integrated_lufs),
       "silence stays silent");
    avk_pcm_release(&p);
}

static void test_files(void)
{
    char dir[] = "/tmp/avk-audio-XXXXXX", path[256];
    avk_pcm p, q;
    avk_err err;
    avk_buf b;
    double maxd = 0;
    int rc;

    if (!mkdtemp(dir))
        abort();
    avk_pcm_init(&p);
    avk_pcm_init(&q);
    avk_buf_init(&b);
    avk_pcm_alloc(&p, 0, 2, 48000);
    add_sine(&p, 440, 0.5, 0.5, 0);
    snprintf(path, sizeof path, "%s/a.wav", dir);
    is_int(avk_audio_write_wav(path, &p, &err), 0, "write wav");
    rc = avk_audio_decode(path, 48000, 2, &q, &err);
    is_int(rc, 0, "decode wav");
    is_int((long long)q.frames, (long long)p.frames, "same frame count");
    for (size_t i = 0; i < q.frames * 2 && i < p.frames * 2; i++)
        if (fabs((double)q.data[i] - p.data[i]) > maxd)
            maxd = fabs((double)q.data[i] - p.data[i]);
    ok(maxd < 1.0 / 32767 + 1e-6, "16-bit round trip (max diff %g)", maxd);
    /* Decode with conversion: 16 kHz mono. */
    rc = avk_audio_decode(path, 16000, 1, &q, &err);
    ok(rc == 0 && q.rate == 16000 && q.channels == 1 &&
           llabs((long long)q.frames - 8000) <= 32,
       "decode resampled to 16 kHz mono (%zu frames)", q.frames);
    ok(near(avk_pcm_rms_dbfs(&q, 0.1, 0.4), 20 * log10(0.5) - 3.01, 0.1),
       "level kept through downmix and resampling (%.2f dBFS)",
       avk_pcm_rms_dbfs(&q, 0.1, 0.4));
    /* From memory. */
    avk_read_file(path, &b, &err);
    rc = avk_audio_decode_mem(b.data, b.len, 48000, 1, &q, &err);
    ok(rc == 0 && q.frames == p.frames, "decode_mem of a wav body");

    /* FLAC round trip. */
    snprintf(path, sizeof path, "%s/a.flac", dir);
    is_int(avk_audio_write_flac(path, &p, &err), 0, "write flac");
    rc = avk_audio_decode(path, 48000, 2, &q, &err);
    ok(rc == 0 && q.frames == p.frames, "decode flac (%zu frames)",
       q.frames);
    maxd = 0;
    for (size_t i = 0; rc == 0 && i < q.frames * 2; i++)
        if (fabs((double)q.data[i] - p.data[i]) > maxd)
            maxd = fabs((double)q.data[i] - p.data[i]);
    ok(rc == 0 && maxd < 1.0 / 32767 + 1e-6, "flac is lossless (%g)", maxd);

    /* Errors. */
    snprintf(path, sizeof path, "%s/empty.wav", dir);
    avk_write_file_atomic(path, "", 0, 0644, NULL);
    rc = avk_audio_decode(path, 48000, 1, &q, &err);
    ok(rc == AVK_EX_DATAERR && strstr(err.msg, "empty.wav"),
       "empty file fails: %s", err.msg);
    ok(q.frames == 0 && q.data == NULL, "and leaves the output empty");
    snprintf(path, sizeof path, "%s/junk.mp3", dir);
    {
        char junk[3000];

        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (char)(i * 7919 % 251);
        avk_write_file_atomic(path, junk, sizeof junk, 0644, NULL);
    }
    rc = avk_audio_decode(path, 48000, 1, &q, &err);
    ok(rc == AVK_EX_DATAERR && strstr(err.msg, "junk.mp3"),
       "corrupt file fails: %s", err.msg);
    /* A WAV header promising data that is not there. */
    snprintf(path, sizeof path, "%s/a.wav", dir);
    avk_read_file(path, &b, &err);
    snprintf(path, sizeof path, "%s/trunc.wav", dir);
    avk_write_file_atomic(path, b.data, 44, 0644, NULL);
    rc = avk_audio_decode(path, 48000, 1, &q, &err);
    ok(rc == AVK_EX_DATAERR, "header-only wav fails: %s", err.msg);
    snprintf(path, sizeof path, "%s/missing.wav", dir);
    rc = avk_audio_decode(path, 48000, 1, &q, &err);
    ok(rc == AVK_EX_NOINPUT && strstr(err.msg, "missing.wav"),
       "missing file: %s", err.msg);
    rc = avk_audio_decode_mem("", 0, 48000, 1, &q, &err);
    ok(rc == AVK_EX_DATAERR, "empty memory input: %s", err.msg);
    rc = avk_audio_decode_mem("not audio at all, just text\n", 28, 48000, 1,
                              &q, &err);
    ok(rc == AVK_EX_DATAERR, "text in memory: %s", err.msg);
    snprintf(path, sizeof path, "%s/no/such/dir/x.wav", dir);
    ok(avk_audio_write_wav(path, &p, &err) != 0, "unwritable path: %s",
       err.msg);

    avk_pcm_release(&p);
    avk_pcm_release(&q);
    avk_buf_release(&b);
    avk_rmtree(dir, NULL);
}

/* An MP3 body like a speech API's reply: raw MPEG audio frames (the
 * elementary stream is the file format).  Mono; appended to out. */
static int encode_mp3(const avk_pcm *p, avk_buf *out)
{
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_MP3);
    AVCodecContext *cc = c ? avcodec_alloc_context3(c) : NULL;
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    size_t pos = 0;
    int rc = -1;

    if (!cc || !f || !pkt)
        goto done;
    cc->sample_fmt = AV_SAMPLE_FMT_S16P;
    cc->sample_rate = p->rate;
    cc->bit_rate = 96000;
    av_channel_layout_default(&cc->ch_layout, 1);
    if (avcodec_open2(cc, c, NULL) < 0)
        goto done;
    for (;;) {
        int r;

        if (pos < p->frames) {
            size_t n = p->frames - pos < (size_t)cc->frame_size
                           ? p->frames - pos
                           : (size_t)cc->frame_size;

            f->nb_samples = cc->frame_size;
            f->format = cc->sample_fmt;
            f->sample_rate = p->rate;
            av_channel_layout_copy(&f->ch_layout, &cc->ch_layout);
            if (av_frame_get_buffer(f, 0) < 0)
                goto done;
            for (size_t i = 0; i < (size_t)cc->frame_size; i++)
                ((int16_t *)f->data[0])[i] =
                    i < n ? (int16_t)lrint(p->data[pos + i] * 32767.0) : 0;
            f->pts = (int64_t)pos;
            pos += n;
            r = avcodec_send_frame(cc, f);
            av_frame_unref(f);
        } else {
            r = avcodec_send_frame(cc, NULL);
        }
        if (r < 0 && r != AVERROR_EOF)
            goto done;
        while ((r = avcodec_receive_packet(cc, pkt)) >= 0) {
            avk_buf_add(out, pkt->data, (size_t)pkt->size);
            av_packet_unref(pkt);
        }
        if (r == AVERROR_EOF)
            break;
    }
    rc = 0;
done:
    avcodec_free_context(&cc);
    av_frame_free(&f);
    av_packet_free(&pkt);
    return rc;
}

static void test_mp3(void)
{
    avk_pcm p, q;
    avk_buf mp3;
    avk_err err;
    int rc;

    avk_pcm_init(&p);
    avk_pcm_init(&q);
    avk_buf_init(&mp3);
    avk_pcm_alloc(&p, 0, 1, 24000);
    add_sine(&p, 440, 0.25, 1.0, 0);
    if (encode_mp3(&p, &mp3) != 0) {
        ok(1, "# SKIP no MP3 encoder");
        goto done;
    }
    rc = avk_audio_decode_mem(mp3.data, mp3.len, 48000, 1, &q, &err);
    ok(rc == 0 && q.rate == 48000 && fabs(avk_pcm_duration(&q) - 1.0) < 0.1,
       "MP3 reply body decodes, resampled to 48 kHz (%.3f s)",
       avk_pcm_duration(&q));
    /* lossy: LAME at 96 kb/s comes back about 0.45 dB lower */
    ok(near(avk_pcm_rms_dbfs(&q, 0.2, 0.8), 20 * log10(0.25) - 3.01, 0.6),
       "MP3 level kept (%.2f dBFS)", avk_pcm_rms_dbfs(&q, 0.2, 0.8));
    /* A body cut short still gives what is there. */
    rc = avk_audio_decode_mem(mp3.data, mp3.len / 2, 48000, 1, &q, &err);
    ok(rc == 0 && avk_pcm_duration(&q) > 0.3 && avk_pcm_duration(&q) < 0.7,
       "a truncated MP3 gives its first half (%.2f s)", avk_pcm_duration(&q));
    /* Garbage after a valid first frame: mostly corrupt. */
    for (size_t i = 600; i < mp3.len; i++)
        mp3.data[i] = (char)(i * 131 % 251);
    rc = avk_audio_decode_mem(mp3.data, mp3.len, 48000, 1, &q, &err);
    ok(rc == AVK_EX_DATAERR || (rc == 0 && avk_pcm_duration(&q) < 0.2),
       "a mostly corrupt MP3 is refused or short (rc %d, %s)", rc,
       rc ? err.msg : "ok");
done:
    avk_pcm_release(&p);
    avk_pcm_release(&q);
    avk_buf_release(&mp3);
}

static void test_pcm(void)
{
    avk_pcm p;
    float fr[4] = {0.1f, 0.2f, 0.3f, 0.4f};

    avk_pcm_init(&p);
    is_int(avk_pcm_alloc(&p, 10, 2, 8000), 0, "alloc");
    ok(p.data[19] == 0.0f, "zeroed");
    for (int i = 0; i < 5000; i++)
        if (avk_pcm_append(&p, fr, 2))
            break;
    is_int((long long)p.frames, 10010, "append grows");
    ok(p.data[20] == 0.1f && p.data[20019] == 0.4f, "appended data");
    ok(avk_pcm_alloc(&p, 1, 0, 8000) != 0, "0 channels refused");
    avk_pcm_release(&p);
    avk_pcm_release(&p);
    ok(p.data == NULL, "release twice is fine");
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET);
    test_pcm();
    test_levels();
    test_gating();
    test_lra();
    test_true_peak();
    test_normalize();
    test_files();
    test_mp3();
    return tap_done();
}
