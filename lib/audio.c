/*
 * audio.c - PCM buffers, FFmpeg-based decoding and FLAC writing, WAV
 * writing, and an own implementation of ITU-R BS.1770-4 loudness.
 *
 * Invariants: an avk_pcm's data holds at least frames * channels floats
 * and cap >= frames; data is NULL only when cap is 0.  Files are written
 * whole in memory first and then through avk_write_file_atomic, so an
 * output path never holds a partial file.
 *
 * Loudness (BS.1770-4): each channel is K-weighted (a high-shelf and a
 * high-pass biquad whose coefficients are derived for the actual sample
 * rate from the analog prototypes), squared and summed over 100 ms
 * segments (boundaries at floor(k * rate / 10)); four segments make a
 * 400 ms block (75 % overlap).  Blocks below -70 LUFS are dropped, then
 * blocks more than 10 LU below the loudness of the remaining ones; the
 * integrated loudness is that of the blocks left.  The loudness range
 * (EBU Tech 3342) uses 3 s windows every 100 ms, a -20 LU relative gate
 * and the 10th..95th percentile spread.  The true peak comes from 4x
 * oversampling with a 48-tap Kaiser-windowed sinc interpolator.
 */
#include "audio.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "fsutil.h"

/* ------------------------------------------------------------------ */
/* PCM buffers                                                         */

void avk_pcm_init(avk_pcm *p)
{
    memset(p, 0, sizeof *p);
}

void avk_pcm_release(avk_pcm *p)
{
    if (!p)
        return;
    free(p->data);
    memset(p, 0, sizeof *p);
}

static int pcm_reserve(avk_pcm *p, size_t frames)
{
    size_t ncap;
    float *nd;

    if (frames <= p->cap)
        return 0;
    ncap = p->cap ? p->cap : 4096;
    while (ncap < frames) {
        if (ncap > SIZE_MAX / 2)
            return AVK_EX_OSERR;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / sizeof(float) / (size_t)p->channels)
        return AVK_EX_OSERR;
    nd = realloc(p->data, ncap * (size_t)p->channels * sizeof(float));
    if (!nd)
        return AVK_EX_OSERR;
    p->data = nd;
    p->cap = ncap;
    return 0;
}

int avk_pcm_alloc(avk_pcm *p, size_t frames, int channels, int rate)
{
    avk_pcm_release(p);
    if (channels < 1 || channels > 8 || rate <= 0)
        return AVK_EX_SOFTWARE;
    p->channels = channels;
    p->rate = rate;
    if (frames) {
        if (frames > SIZE_MAX / sizeof(float) / (size_t)channels)
            return AVK_EX_OSERR;
        p->data = calloc(frames * (size_t)channels, sizeof(float));
        if (!p->data) {
            avk_pcm_init(p);
            return AVK_EX_OSERR;
        }
        p->cap = frames;
        p->frames = frames;
    }
    return 0;
}

int avk_pcm_append(avk_pcm *p, const float *frames, size_t n)
{
    if (p->channels < 1)
        return AVK_EX_SOFTWARE;
    if (n == 0)
        return 0;
    if (p->frames > SIZE_MAX - n || pcm_reserve(p, p->frames + n))
        return AVK_EX_OSERR;
    memcpy(p->data + p->frames * (size_t)p->channels, frames,
           n * (size_t)p->channels * sizeof(float));
    p->frames += n;
    return 0;
}

int avk_pcm_append_silence(avk_pcm *p, size_t n)
{
    if (p->channels < 1)
        return AVK_EX_SOFTWARE;
    if (n == 0)
        return 0;
    if (p->frames > SIZE_MAX - n || pcm_reserve(p, p->frames + n))
        return AVK_EX_OSERR;
    memset(p->data + p->frames * (size_t)p->channels, 0,
           n * (size_t)p->channels * sizeof(float));
    p->frames += n;
    return 0;
}

double avk_pcm_duration(const avk_pcm *p)
{
    return p->rate > 0 ? (double)p->frames / p->rate : 0.0;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

static void quiet_ffmpeg(void)
{
    /* Library code never prints; FFmpeg would log to stderr. */
    av_log_set_level(AV_LOG_QUIET);
}

static const char *averr(int e, char *buf, size_t n)
{
    av_strerror(e, buf, n);
    return buf;
}

typedef struct mem_reader {
    const unsigned char *data;
    size_t len, pos;
} mem_reader;

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    mem_reader *m = opaque;
    size_t left = m->len - m->pos;
    size_t n = (size_t)size < left ? (size_t)size : left;

    if (n == 0)
        return AVERROR_EOF;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    mem_reader *m = opaque;
    int64_t base;

    if (whence & AVSEEK_SIZE)
        return (int64_t)m->len;
    switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)m->pos; break;
    case SEEK_END: base = (int64_t)m->len; break;
    default: return -1;
    }
    if (off < -base || base + off > (int64_t)m->len)
        return -1;
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

typedef struct decoder {
    const char *name; /* for messages */
    int rate, channels;
    AVCodecContext *cc;
    SwrContext *swr;
    AVChannelLayout in_layout;
    int in_fmt, in_rate;
    avk_pcm *out;
} decoder;

static int dec_convert(decoder *d, const uint8_t **in, int nin, avk_err *err)
{
    for (;;) {
        int room = swr_get_out_samples(d->swr, nin);
        uint8_t *outp;
        int got;

        if (room < 0)
            return avk_fail(err, AVK_EX_SOFTWARE,
                            "cannot resample '%s'", d->name);
        if (room == 0)
            return 0;
        if (pcm_reserve(d->out, d->out->frames + (size_t)room))
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        outp = (uint8_t *)(d->out->data +
                           d->out->frames * (size_t)d->channels);
        got = swr_convert(d->swr, &outp, room, in, nin);
        if (got < 0)
            return avk_fail(err, AVK_EX_SOFTWARE,
                            "cannot resample '%s'", d->name);
        d->out->frames += (size_t)got;
        if (in || got == 0)
            return 0;
        /* flushing: loop until the resampler is empty */
    }
}

static int dec_setup_swr(decoder *d, const AVFrame *f, avk_err *err)
{
    AVChannelLayout in, outl;
    int rc;

    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC ||
        f->ch_layout.nb_channels <= 0) {
        int n = f->ch_layout.nb_channels > 0 ? f->ch_layout.nb_channels
                                             : d->cc->ch_layout.nb_channels;
        if (n <= 0)
            return avk_fail(err, AVK_EX_DATAERR,
                            "no channel layout in '%s'", d->name);
        av_channel_layout_default(&in, n);
    } else if (av_channel_layout_copy(&in, &f->ch_layout) < 0) {
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if (d->swr) {
        if (av_channel_layout_compare(&in, &d->in_layout) == 0 &&
            f->format == d->in_fmt && f->sample_rate == d->in_rate) {
            av_channel_layout_uninit(&in);
            return 0;
        }
        /* The stream changed parameters: drain the old resampler. */
        rc = dec_convert(d, NULL, 0, err);
        swr_free(&d->swr);
        if (rc) {
            av_channel_layout_uninit(&in);
            return rc;
        }
    }
    av_channel_layout_uninit(&d->in_layout);
    d->in_layout = in;
    d->in_fmt = f->format;
    d->in_rate = f->sample_rate;
    av_channel_layout_default(&outl, d->channels);
    rc = swr_alloc_set_opts2(&d->swr, &outl, AV_SAMPLE_FMT_FLT, d->rate,
                             &d->in_layout, (enum AVSampleFormat)f->format,
                             f->sample_rate, 0, NULL);
    av_channel_layout_uninit(&outl);
    /* Downmixes keep the level (stereo to mono averages) and never clip
     * on their own. */
    if (rc >= 0)
        av_opt_set_double(d->swr, "rematrix_maxval", 1.0, 0);
    if (rc < 0 || swr_init(d->swr) < 0) {
        swr_free(&d->swr);
        return avk_fail(err, AVK_EX_DATAERR,
                        "cannot resample the audio of '%s'", d->name);
    }
    return 0;
}

static int dec_receive(decoder *d, AVFrame *f, avk_err *err)
{
    char eb[128];

    for (;;) {
        int r = avcodec_receive_frame(d->cc, f), rc;

        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return 0;
        if (r < 0)
            return avk_fail(err, AVK_EX_DATAERR, "cannot decode '%s': %s",
                            d->name, averr(r, eb, sizeof eb));
        if (f->sample_rate <= 0) {
            av_frame_unref(f);
            return avk_fail(err, AVK_EX_DATAERR,
                            "no sample rate in '%s'", d->name);
        }
        rc = dec_setup_swr(d, f, err);
        if (!rc)
            rc = dec_convert(d, (const uint8_t **)f->extended_data,
                             f->nb_samples, err);
        av_frame_unref(f);
        if (rc)
            return rc;
    }
}

/* Decode everything from an opened format context into out. */
static int decode_fmt(AVFormatContext *fmt, const char *name, int rate,
                      int channels, avk_pcm *out, avk_err *err)
{
    decoder d;
    const AVCodec *codec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *frame = NULL;
    char eb[128];
    int si, r, rc = 0, bad = 0, good = 0;

    memset(&d, 0, sizeof d);
    d.name = name;
    d.rate = rate;
    d.channels = channels;
    d.out = out;
    if ((r = avformat_find_stream_info(fmt, NULL)) < 0)
        return avk_fail(err, AVK_EX_DATAERR, "cannot read '%s': %s", name,
                        averr(r, eb, sizeof eb));
    si = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (si < 0 || !codec)
        return avk_fail(err, AVK_EX_DATAERR, "no audio stream in '%s'", name);
    d.cc = avcodec_alloc_context3(codec);
    pkt = av_packet_alloc();
    frame = av_frame_alloc();
    if (!d.cc || !pkt || !frame) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    if (avcodec_parameters_to_context(d.cc, fmt->streams[si]->codecpar) < 0 ||
        avcodec_open2(d.cc, codec, NULL) < 0) {
        rc = avk_fail(err, AVK_EX_DATAERR, "cannot decode the audio of '%s'",
                      name);
        goto done;
    }
    while ((r = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index == si) {
            r = avcodec_send_packet(d.cc, pkt);
            if (r == AVERROR_INVALIDDATA)
                bad++;
            else if (r < 0) {
                av_packet_unref(pkt);
                rc = avk_fail(err, AVK_EX_DATAERR, "cannot decode '%s': %s",
                              name, averr(r, eb, sizeof eb));
                goto done;
            } else
                good++;
            rc = dec_receive(&d, frame, err);
            if (rc == AVK_EX_DATAERR) {
                /* A damaged frame: decoders resynchronise, so count it
                 * and judge the whole stream at the end. */
                bad++;
                rc = 0;
            }
        }
        av_packet_unref(pkt);
        if (rc)
            goto done;
    }
    if (r != AVERROR_EOF) {
        rc = avk_fail(err, AVK_EX_DATAERR, "cannot read '%s': %s", name,
                      averr(r, eb, sizeof eb));
        goto done;
    }
    avcodec_send_packet(d.cc, NULL);
    if ((rc = dec_receive(&d, frame, err)))
        goto done;
    if (d.swr && (rc = dec_convert(&d, NULL, 0, err)))
        goto done;
    if (out->frames == 0)
        rc = avk_fail(err, AVK_EX_DATAERR, "no decodable audio in '%s'%s",
                      name, bad ? " (corrupt data)" : "");
    else if (bad > good)
        rc = avk_fail(err, AVK_EX_DATAERR,
                      "cannot decode '%s': corrupt data (%d of %d packets)",
                      name, bad, bad + good);
done:
    swr_free(&d.swr);
    av_channel_layout_uninit(&d.in_layout);
    avcodec_free_context(&d.cc);
    av_packet_free(&pkt);
    av_frame_free(&frame);
    return rc;
}

static int decode_prepare(int rate, int channels, avk_pcm *out, avk_err *err)
{
    quiet_ffmpeg();
    avk_pcm_release(out);
    if (rate <= 0 || rate > 768000 || channels < 1 || channels > 8)
        return avk_fail(err, AVK_EX_SOFTWARE,
                        "bad decode target %d Hz, %d channels", rate,
                        channels);
    return avk_pcm_alloc(out, 0, channels, rate);
}

int avk_audio_decode(const char *path, int rate, int channels, avk_pcm *out,
                     avk_err *err)
{
    AVFormatContext *fmt = NULL;
    char eb[128];
    int r, rc;

    if ((rc = decode_prepare(rate, channels, out, err)))
        return rc;
    errno = 0;
    if (!avk_is_file(path)) {
        int e = errno;

        avk_pcm_release(out);
        return avk_fail(err, e == ENOENT || e == 0 ? AVK_EX_NOINPUT
                                                   : AVK_EX_IOERR,
                        "cannot open '%s': %s", path,
                        e ? strerror(e) : "not a regular file");
    }
    if ((r = avformat_open_input(&fmt, path, NULL, NULL)) < 0) {
        avk_pcm_release(out);
        return avk_fail(err, r == AVERROR(ENOENT) ? AVK_EX_NOINPUT
                                                  : AVK_EX_DATAERR,
                        "cannot read '%s': %s", path,
                        averr(r, eb, sizeof eb));
    }
    rc = decode_fmt(fmt, path, rate, channels, out, err);
    avformat_close_input(&fmt);
    if (rc)
        avk_pcm_release(out);
    return rc;
}

int avk_audio_decode_mem(const void *data, size_t len, int rate,
                         int channels, avk_pcm *out, avk_err *err)
{
    const char *name = "<memory>";
    AVFormatContext *fmt = NULL;
    AVIOContext *pb = NULL;
    unsigned char *iobuf = NULL;
    mem_reader m;
    char eb[128];
    int r, rc;

    if ((rc = decode_prepare(rate, channels, out, err)))
        return rc;
    if (!data || len == 0) {
        avk_pcm_release(out);
        return avk_fail(err, AVK_EX_DATAERR, "cannot read '%s': empty input",
                        name);
    }
    m.data = data;
    m.len = len;
    m.pos = 0;
    fmt = avformat_alloc_context();
    iobuf = av_malloc(16384);
    if (iobuf)
        pb = avio_alloc_context(iobuf, 16384, 0, &m, mem_read, NULL,
                                mem_seek);
    if (!fmt || !pb) {
        if (!pb)
            av_free(iobuf);
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    fmt->pb = pb;
    if ((r = avformat_open_input(&fmt, NULL, NULL, NULL)) < 0) {
        /* fmt was freed by the failed open. */
        rc = avk_fail(err, AVK_EX_DATAERR, "cannot read '%s': %s", name,
                      averr(r, eb, sizeof eb));
        goto done;
    }
    rc = decode_fmt(fmt, name, rate, channels, out, err);
done:
    avformat_close_input(&fmt);
    avformat_free_context(fmt);
    if (pb) {
        av_freep(&pb->buffer);
        avio_context_free(&pb);
    }
    if (rc)
        avk_pcm_release(out);
    return rc;
}

int avk_pcm_resample(avk_pcm *p, int rate, avk_err *err)
{
    SwrContext *swr = NULL;
    AVChannelLayout lay;
    avk_pcm out;
    const uint8_t *in;
    uint8_t *op;
    int64_t room;
    int got, rc = 0;

    quiet_ffmpeg();
    if (!p->data && p->frames)
        return avk_fail(err, AVK_EX_SOFTWARE, "resample of an unset buffer");
    if (rate <= 0 || p->channels < 1)
        return avk_fail(err, AVK_EX_SOFTWARE, "bad resample target %d Hz",
                        rate);
    if (rate == p->rate)
        return 0;
    avk_pcm_init(&out);
    av_channel_layout_default(&lay, p->channels);
    if (swr_alloc_set_opts2(&swr, &lay, AV_SAMPLE_FMT_FLT, rate, &lay,
                            AV_SAMPLE_FMT_FLT, p->rate, 0, NULL) < 0 ||
        swr_init(swr) < 0) {
        rc = avk_fail(err, AVK_EX_OSERR, "cannot set up the resampler");
        goto done;
    }
    room = av_rescale_rnd((int64_t)p->frames, rate, p->rate, AV_ROUND_UP) +
           256;
    if (room > INT32_MAX / 2 ||
        avk_pcm_alloc(&out, (size_t)room, p->channels, rate)) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    in = (const uint8_t *)p->data;
    op = (uint8_t *)out.data;
    got = swr_convert(swr, &op, (int)room, p->frames ? &in : NULL,
                      (int)p->frames);
    if (got >= 0) {
        size_t total = (size_t)got;
        int more;

        op = (uint8_t *)(out.data + total * (size_t)p->channels);
        more = swr_convert(swr, &op, (int)(room - got), NULL, 0);
        if (more < 0)
            got = more;
        else
            out.frames = total + (size_t)more;
    }
    if (got < 0) {
        rc = avk_fail(err, AVK_EX_SOFTWARE, "resampling failed");
        goto done;
    }
    avk_pcm_release(p);
    *p = out;
    avk_pcm_init(&out);
done:
    av_channel_layout_uninit(&lay);
    swr_free(&swr);
    avk_pcm_release(&out);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

static int16_t to_s16(float v)
{
    double x = (double)v * 32767.0;

    if (!(x == x))
        return 0;
    if (x > 32767.0)
        x = 32767.0;
    if (x < -32768.0)
        x = -32768.0;
    return (int16_t)lrint(x);
}

static int check_writable(const char *path, const avk_pcm *p, avk_err *err)
{
    if (!p || p->channels < 1 || p->rate <= 0 || (!p->data && p->frames))
        return avk_fail(err, AVK_EX_DATAERR,
                        "cannot write '%s': no audio", path);
    if (p->frames > (0xFFFFFFF0u - 44) / 2 / (size_t)p->channels)
        return avk_fail(err, AVK_EX_DATAERR,
                        "cannot write '%s': audio too long for WAV", path);
    return 0;
}

static void put_tag(unsigned char *b, const char *tag)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)tag[i];
}

static void put_le(unsigned char *b, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

int avk_audio_write_wav(const char *path, const avk_pcm *p, avk_err *err)
{
    size_t nsamp, dlen, i;
    unsigned char *b;
    int rc;

    if ((rc = check_writable(path, p, err)))
        return rc;
    nsamp = p->frames * (size_t)p->channels;
    dlen = nsamp * 2;
    b = malloc(44 + dlen);
    if (!b)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    put_tag(b, "RIFF");
    put_le(b + 4, (uint32_t)(36 + dlen), 4);
    put_tag(b + 8, "WAVE");
    put_tag(b + 12, "fmt ");
    put_le(b + 16, 16, 4);
    put_le(b + 20, 1, 2); /* PCM */
    put_le(b + 22, (uint32_t)p->channels, 2);
    put_le(b + 24, (uint32_t)p->rate, 4);
    put_le(b + 28, (uint32_t)p->rate * (uint32_t)p->channels * 2, 4);
    put_le(b + 32, (uint32_t)p->channels * 2, 2);
    put_le(b + 34, 16, 2);
    put_tag(b + 36, "data");
    put_le(b + 40, (uint32_t)dlen, 4);
    for (i = 0; i < nsamp; i++)
        put_le(b + 44 + 2 * i, (uint16_t)to_s16(p->data[i]), 2);
    rc = avk_write_file_atomic(path, b, 44 + dlen, 0644, err);
    free(b);
    return rc;
}

typedef struct mem_writer {
    unsigned char *data;
    size_t len, cap, pos;
    int oom;
} mem_writer;

#if LIBAVFORMAT_VERSION_MAJOR >= 61
static int mem_write(void *opaque, const uint8_t *buf, int size)
#else
static int mem_write(void *opaque, uint8_t *buf, int size)
#endif
{
    mem_writer *m = opaque;
    size_t end = m->pos + (size_t)size;

    if (size < 0)
        return AVERROR(EINVAL);
    if (end > m->cap) {
        size_t ncap = m->cap ? m->cap : 65536;
        unsigned char *nd;

        while (ncap < end)
            ncap *= 2;
        nd = realloc(m->data, ncap);
        if (!nd) {
            m->oom = 1;
            return AVERROR(ENOMEM);
        }
        m->data = nd;
        m->cap = ncap;
    }
    if (m->pos > m->len)
        memset(m->data + m->len, 0, m->pos - m->len);
    memcpy(m->data + m->pos, buf, (size_t)size);
    m->pos = end;
    if (end > m->len)
        m->len = end;
    return size;
}

static int64_t mem_wseek(void *opaque, int64_t off, int whence)
{
    mem_writer *m = opaque;
    int64_t base;

    if (whence & AVSEEK_SIZE)
        return (int64_t)m->len;
    switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)m->pos; break;
    case SEEK_END: base = (int64_t)m->len; break;
    default: return -1;
    }
    if (off < -base)
        return -1;
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

static int flac_drain(AVCodecContext *cc, AVFormatContext *oc, AVStream *st,
                      AVPacket *pkt)
{
    for (;;) {
        int r = avcodec_receive_packet(cc, pkt);

        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return 0;
        if (r < 0)
            return r;
        av_packet_rescale_ts(pkt, cc->time_base, st->time_base);
        pkt->stream_index = st->index;
        r = av_write_frame(oc, pkt);
        av_packet_unref(pkt);
        if (r < 0)
            return r;
    }
}

int avk_audio_write_flac(const char *path, const avk_pcm *p, avk_err *err)
{
    const AVCodec *codec;
    AVCodecContext *cc = NULL;
    AVFormatContext *oc = NULL;
    AVIOContext *pb = NULL;
    unsigned char *iobuf = NULL;
    AVStream *st;
    AVPacket *pkt = NULL;
    AVFrame *fr = NULL;
    mem_writer m;
    size_t pos = 0;
    int rc, r = 0;

    if ((rc = check_writable(path, p, err)))
        return rc;
    quiet_ffmpeg();
    memset(&m, 0, sizeof m);
    codec = avcodec_find_encoder(AV_CODEC_ID_FLAC);
    if (!codec)
        return avk_fail(err, AVK_EX_UNAVAILABLE,
                        "cannot write '%s': no FLAC encoder", path);
    cc = avcodec_alloc_context3(codec);
    pkt = av_packet_alloc();
    fr = av_frame_alloc();
    iobuf = av_malloc(65536);
    if (iobuf)
        pb = avio_alloc_context(iobuf, 65536, 1, &m, NULL, mem_write,
                                mem_wseek);
    if (!pb)
        av_free(iobuf);
    if (!cc || !pkt || !fr || !pb ||
        avformat_alloc_output_context2(&oc, NULL, "flac", NULL) < 0) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    cc->sample_fmt = AV_SAMPLE_FMT_S16;
    cc->sample_rate = p->rate;
    av_channel_layout_default(&cc->ch_layout, p->channels);
    cc->time_base = (AVRational){1, p->rate};
    if ((r = avcodec_open2(cc, codec, NULL)) < 0)
        goto fail;
    st = avformat_new_stream(oc, NULL);
    if (!st) {
        r = AVERROR(ENOMEM);
        goto fail;
    }
    st->time_base = cc->time_base;
    if ((r = avcodec_parameters_from_context(st->codecpar, cc)) < 0)
        goto fail;
    oc->pb = pb;
    if ((r = avformat_write_header(oc, NULL)) < 0)
        goto fail;
    while (pos < p->frames) {
        size_t n = p->frames - pos, i;
        int16_t *d;

        if (cc->frame_size > 0 && n > (size_t)cc->frame_size)
            n = (size_t)cc->frame_size;
        fr->nb_samples = (int)n;
        fr->format = AV_SAMPLE_FMT_S16;
        fr->sample_rate = p->rate;
        if ((r = av_channel_layout_copy(&fr->ch_layout, &cc->ch_layout)) <
                0 ||
            (r = av_frame_get_buffer(fr, 0)) < 0)
            goto fail;
        d = (int16_t *)fr->data[0];
        for (i = 0; i < n * (size_t)p->channels; i++)
            d[i] = to_s16(p->data[pos * (size_t)p->channels + i]);
        fr->pts = (int64_t)pos;
        r = avcodec_send_frame(cc, fr);
        av_frame_unref(fr);
        if (r < 0 || (r = flac_drain(cc, oc, st, pkt)) < 0)
            goto fail;
        pos += n;
    }
    if ((r = avcodec_send_frame(cc, NULL)) < 0 ||
        (r = flac_drain(cc, oc, st, pkt)) < 0 ||
        (r = av_write_trailer(oc)) < 0)
        goto fail;
    avio_flush(pb);
    if (m.oom) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    rc = avk_write_file_atomic(path, m.data, m.len, 0644, err);
    goto done;
fail: {
    char eb[128];

    rc = avk_fail(err, m.oom ? AVK_EX_OSERR : AVK_EX_SOFTWARE,
                  "cannot encode '%s' as FLAC: %s", path,
                  averr(r, eb, sizeof eb));
}
done:
    if (oc)
        oc->pb = NULL;
    avformat_free_context(oc);
    avcodec_free_context(&cc);
    av_packet_free(&pkt);
    av_frame_free(&fr);
    if (pb) {
        av_freep(&pb->buffer);
        avio_context_free(&pb);
    }
    free(m.data);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Loudness                                                            */

typedef struct biquad {
    double b0, b1, b2, a1, a2;
} biquad;

/* The BS.1770 K-weighting pre-filter (stage 1: a +4 dB high shelf around
 * 1.7 kHz modelling the head; stage 2: the RLB high-pass around 38 Hz),
 * bilinear-transformed for sample rate fs.  At 48 kHz this reproduces the
 * coefficients printed in the recommendation. */
static void kweight(double fs, biquad *s1, biquad *s2)
{
    const double pi = 3.14159265358979323846;
    double f0 = 1681.974450955533, g = 3.999843853973347,
           q = 0.7071752369554196;
    double k = tan(pi * f0 / fs), vh = pow(10.0, g / 20.0),
           vb = pow(vh, 0.4996667741545416), a0 = 1.0 + k / q + k * k;

    s1->b0 = (vh + vb * k / q + k * k) / a0;
    s1->b1 = 2.0 * (k * k - vh) / a0;
    s1->b2 = (vh - vb * k / q + k * k) / a0;
    s1->a1 = 2.0 * (k * k - 1.0) / a0;
    s1->a2 = (1.0 - k / q + k * k) / a0;

    f0 = 38.13547087602444;
    q = 0.5003270373238773;
    k = tan(pi * f0 / fs);
    a0 = 1.0 + k / q + k * k;
    s2->b0 = 1.0;
    s2->b1 = -2.0;
    s2->b2 = 1.0;
    s2->a1 = 2.0 * (k * k - 1.0) / a0;
    s2->a2 = (1.0 - k / q + k * k) / a0;
}

static double chan_weight(int ch, int nch)
{
    if (nch == 6) {
        if (ch == 3)
            return 0.0; /* LFE */
        if (ch >= 4)
            return 1.41;
    }
    return 1.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double power_to_lufs(double pw)
{
    return pw > 0.0 ? -0.691 + 10.0 * log10(pw) : -INFINITY;
}

/* Gated mean power of the blocks (integrated loudness), given the
 * relative gate in LU. */
static double gated_power(const double *blk, size_t n, double rel_lu,
                          size_t *kept)
{
    double sum = 0.0, gate;
    size_t cnt = 0, i;

    for (i = 0; i < n; i++)
        if (power_to_lufs(blk[i]) > -70.0) {
            sum += blk[i];
            cnt++;
        }
    *kept = 0;
    if (!cnt)
        return 0.0;
    gate = power_to_lufs(sum / (double)cnt) - rel_lu;
    sum = 0.0;
    cnt = 0;
    for (i = 0; i < n; i++) {
        double l = power_to_lufs(blk[i]);

        if (l > -70.0 && l > gate) {
            sum += blk[i];
            cnt++;
        }
    }
    *kept = cnt;
    return cnt ? sum / (double)cnt : 0.0;
}

/* Interpolator for 4x oversampling: phase p (1..3) of the value between
 * x[n] and x[n+1] is sum_j tp_coef[p][j] * x[n + j - TP_HALF + 1]. */
#define TP_HALF 6
#define TP_TAPS (2 * TP_HALF)

static double bessel_i0(double x)
{
    double s = 1.0, t = 1.0;

    for (int k = 1; k < 40; k++) {
        t *= (x / (2.0 * k)) * (x / (2.0 * k));
        s += t;
    }
    return s;
}

static void tp_coefs(double c[4][TP_TAPS])
{
    const double pi = 3.14159265358979323846, beta = 6.0;
    double span = 4.0 * TP_HALF;

    for (int p = 1; p < 4; p++) {
        double sum = 0.0;

        for (int j = 0; j < TP_TAPS; j++) {
            /* distance, in output samples, from x[n + j - HALF + 1] to
             * the point n + p/4 */
            double d = (double)p - 4.0 * (double)(j - TP_HALF + 1);
            double x = d / 4.0, r = d / span, w, s;

            s = x == 0.0 ? 1.0 : sin(pi * x) / (pi * x);
            w = fabs(r) >= 1.0 ? 0.0
                               : bessel_i0(beta * sqrt(1.0 - r * r)) /
                                     bessel_i0(beta);
            c[p][j] = s * w;
            sum += c[p][j];
        }
        for (int j = 0; j < TP_TAPS; j++)
            c[p][j] /= sum;
    }
}

/* Largest absolute interpolated value between frames n and n+1 of
 * channel ch. */
static double tp_between(const avk_pcm *pc, int ch, size_t n,
                         double c[4][TP_TAPS])
{
    double m = 0.0;
    size_t nch = (size_t)pc->channels;

    for (int p = 1; p < 4; p++) {
        double v = 0.0;

        for (int j = 0; j < TP_TAPS; j++) {
            long long k = (long long)n + j - TP_HALF + 1;

            if (k >= 0 && (size_t)k < pc->frames)
                v += c[p][j] * pc->data[(size_t)k * nch + (size_t)ch];
        }
        if (fabs(v) > m)
            m = fabs(v);
    }
    return m;
}

int avk_loudness_measure(const avk_pcm *pc, avk_loudness *out)
{
    size_t nch, nseg, f, i, nblk, nst;
    double *seg = NULL, *blk = NULL, *st = NULL, tpc[4][TP_TAPS];
    double speak = 0.0, tpeak = 0.0, pw;
    biquad s1, s2;
    int c, rc = 0;

    out->integrated_lufs = -INFINITY;
    out->true_peak_dbtp = -INFINITY;
    out->sample_peak_dbfs = -INFINITY;
    out->lra = 0.0;
    if (!pc || pc->channels < 1 || pc->rate <= 0 ||
        (!pc->data && pc->frames))
        return AVK_EX_DATAERR;
    if (pc->frames == 0)
        return 0;
    nch = (size_t)pc->channels;
    kweight((double)pc->rate, &s1, &s2);
    tp_coefs(tpc);
    /* Number of complete 100 ms segments. */
    nseg = (size_t)((double)pc->frames * 10.0 / pc->rate);
    seg = calloc(nseg + 1, sizeof *seg);
    blk = calloc(nseg + 1, sizeof *blk);
    st = calloc(nseg + 1, sizeof *st);
    if (!seg || !blk || !st) {
        rc = AVK_EX_OSERR;
        goto done;
    }
    for (c = 0; c < pc->channels; c++) {
        double w = chan_weight(c, pc->channels);
        double x1 = 0, x2 = 0, y1 = 0, y2 = 0, u1 = 0, u2 = 0;
        size_t k = 0, kend = (size_t)((double)pc->rate / 10.0);

        for (f = 0; f < pc->frames; f++) {
            double x = pc->data[f * nch + (size_t)c], y, u, ax = fabs(x);

            if (ax > speak)
                speak = ax;
            y = s1.b0 * x + s1.b1 * x1 + s1.b2 * x2 - s1.a1 * y1 -
                s1.a2 * y2;
            x2 = x1;
            x1 = x;
            u = s2.b0 * y + s2.b1 * y1 + s2.b2 * y2 - s2.a1 * u1 -
                s2.a2 * u2;
            y2 = y1;
            y1 = y;
            u2 = u1;
            u1 = u;
            while (k < nseg && f >= kend) {
                k++;
                kend = (size_t)((double)(k + 1) * pc->rate / 10.0);
            }
            if (k < nseg && w > 0.0)
                seg[k] += w * u * u;
            if (f + 1 < pc->frames) {
                double m = tp_between(pc, c, f, tpc);

                if (m > tpeak)
                    tpeak = m;
            }
        }
    }
    if (speak > tpeak)
        tpeak = speak;
    /* 400 ms blocks of 4 segments; the power is per sample. */
    nblk = nseg >= 4 ? nseg - 3 : 0;
    for (i = 0; i < nblk; i++) {
        size_t a = (size_t)((double)i * pc->rate / 10.0),
               b = (size_t)((double)(i + 4) * pc->rate / 10.0);

        blk[i] = (seg[i] + seg[i + 1] + seg[i + 2] + seg[i + 3]) /
                 (double)(b - a);
    }
    {
        size_t kept;

        pw = gated_power(blk, nblk, 10.0, &kept);
        if (kept)
            out->integrated_lufs = power_to_lufs(pw);
    }
    out->sample_peak_dbfs = speak > 0 ? 20.0 * log10(speak) : -INFINITY;
    out->true_peak_dbtp = tpeak > 0 ? 20.0 * log10(tpeak) : -INFINITY;
    /* Loudness range: 3 s windows (30 segments) every 100 ms. */
    nst = nseg >= 30 ? nseg - 29 : 0;
    if (nst) {
        double sum = 0.0, gate, *keep = blk; /* reuse blk */
        size_t cnt = 0, nk = 0;

        for (i = 0; i < nst; i++) {
            size_t a = (size_t)((double)i * pc->rate / 10.0),
                   b = (size_t)((double)(i + 30) * pc->rate / 10.0);
            double s = 0.0;

            for (size_t j = i; j < i + 30; j++)
                s += seg[j];
            st[i] = s / (double)(b - a);
            if (power_to_lufs(st[i]) > -70.0) {
                sum += st[i];
                cnt++;
            }
        }
        if (cnt) {
            gate = power_to_lufs(sum / (double)cnt) - 20.0;
            for (i = 0; i < nst; i++) {
                double l = power_to_lufs(st[i]);

                if (l > -70.0 && l > gate)
                    keep[nk++] = l;
            }
            if (nk >= 2) {
                double lo, hi;

                qsort(keep, nk, sizeof *keep, cmp_double);
                lo = keep[(size_t)lrint(0.10 * (double)(nk - 1))];
                hi = keep[(size_t)lrint(0.95 * (double)(nk - 1))];
                out->lra = hi - lo;
            }
        }
    }
done:
    free(seg);
    free(blk);
    free(st);
    return rc;
}

static void apply_gain(avk_pcm *p, double gain)
{
    size_t n = p->frames * (size_t)p->channels;

    for (size_t i = 0; i < n; i++)
        p->data[i] = (float)(p->data[i] * gain);
}

/* Peak envelope at frame i: the largest absolute sample or interpolated
 * value (on both sides) over all channels. */
static double peak_env(const avk_pcm *p, size_t i, double c[4][TP_TAPS])
{
    size_t nch = (size_t)p->channels;
    double e = 0.0, v;

    for (size_t ch = 0; ch < nch; ch++) {
        v = fabs((double)p->data[i * nch + ch]);
        if (v > e)
            e = v;
        if (i + 1 < p->frames && (v = tp_between(p, (int)ch, i, c)) > e)
            e = v;
        if (i > 0 && (v = tp_between(p, (int)ch, i - 1, c)) > e)
            e = v;
    }
    return e;
}

/* Look-ahead peak limiter, in place, in one pass with O(look-ahead)
 * memory.  req[j] = min(1, ceiling / env[j]) is the gain frame j needs;
 * m[i] is the minimum of req over [i - la + 1, i + la - 1] (a monotonic
 * deque); the gain is the mean of m over [i - la + 1, i] (frames before
 * the start count as 1), which is <= req[i] because every m in that
 * window covers i; a release of 50 ms then never rises above that mean.
 * The gain reaches its minimum before a peak arrives and never
 * undershoots what the peak needs.  Frames are read at most 7 frames
 * ahead of the envelope position, and written la (>= 8) frames behind
 * it, so working in place is safe. */
static int limit_peaks(avk_pcm *p, double ceil_lin)
{
    size_t n = p->frames, nch = (size_t)p->channels, i, next = 0;
    size_t la = (size_t)(0.005 * p->rate) + 1, ring, qh = 0, qt = 0;
    double *req, *mr, tpc[4][TP_TAPS], sum = 0.0, r = 1.0;
    double rel = 1.0 - exp(-1.0 / (0.050 * p->rate));
    size_t *dq;

    if (n == 0)
        return 0;
    if (la < 8)
        la = 8;
    ring = 2 * la + 2;
    req = malloc(ring * sizeof *req);
    mr = malloc(la * sizeof *mr);
    dq = malloc(ring * sizeof *dq);
    if (!req || !mr || !dq) {
        free(req);
        free(mr);
        free(dq);
        return AVK_EX_OSERR;
    }
    tp_coefs(tpc);
    for (i = 0; i < n; i++) {
        size_t hi = i + la - 1 < n ? i + la - 1 : n - 1;
        double m, old, s, g;

        while (next <= hi) {
            double e = peak_env(p, next, tpc);

            req[next % ring] = e > ceil_lin ? ceil_lin / e : 1.0;
            while (qt > qh &&
                   req[dq[(qt - 1) % ring] % ring] >= req[next % ring])
                qt--;
            dq[qt % ring] = next;
            qt++;
            next++;
        }
        while (qh + 1 < qt && dq[qh % ring] + la - 1 < i)
            qh++;
        m = req[dq[qh % ring] % ring];
        old = i >= la ? mr[i % la] : 1.0;
        mr[i % la] = m;
        sum += m - old;
        s = 1.0 + sum / (double)la;
        g = r + (1.0 - r) * rel;
        if (g > s)
            g = s;
        r = g;
        for (size_t c = 0; c < nch; c++)
            p->data[i * nch + c] = (float)(p->data[i * nch + c] * g);
    }
    free(req);
    free(mr);
    free(dq);
    return 0;
}

int avk_loudness_normalize(avk_pcm *p, double target_lufs,
                           double max_true_peak_dbtp, avk_loudness *after)
{
    avk_loudness m;
    avk_pcm orig;
    double gain_db, margin = 0.1;
    int rc, iter;

    if ((rc = avk_loudness_measure(p, &m)))
        return rc;
    if (!isfinite(m.integrated_lufs) || !p->data || !p->frames) {
        if (after)
            *after = m;
        return 0; /* silence: nothing to normalise */
    }
    gain_db = target_lufs - m.integrated_lufs;
    if (!isfinite(m.true_peak_dbtp) ||
        m.true_peak_dbtp + gain_db <= max_true_peak_dbtp) {
        apply_gain(p, pow(10.0, gain_db / 20.0));
        return after ? avk_loudness_measure(p, after) : 0;
    }
    /* The peaks would pass the ceiling: gain, then limit; re-adjust the
     * gain for the loudness the limiter took away, and tighten the
     * ceiling if interpolated overshoots remain. */
    avk_pcm_init(&orig);
    if (avk_pcm_alloc(&orig, p->frames, p->channels, p->rate))
        return AVK_EX_OSERR;
    memcpy(orig.data, p->data,
           p->frames * (size_t)p->channels * sizeof(float));
    for (iter = 0; iter < 6; iter++) {
        double ceil_lin = pow(10.0, (max_true_peak_dbtp - margin) / 20.0);

        memcpy(p->data, orig.data,
               p->frames * (size_t)p->channels * sizeof(float));
        apply_gain(p, pow(10.0, gain_db / 20.0));
        if ((rc = limit_peaks(p, ceil_lin)))
            break;
        if ((rc = avk_loudness_measure(p, &m)))
            break;
        if (m.true_peak_dbtp > max_true_peak_dbtp)
            margin += m.true_peak_dbtp - max_true_peak_dbtp + 0.05;
        else if (fabs(m.integrated_lufs - target_lufs) <= 0.1)
            break;
        if (isfinite(m.integrated_lufs))
            gain_db += target_lufs - m.integrated_lufs;
    }
    avk_pcm_release(&orig);
    if (!rc && after)
        *after = m;
    return rc;
}

double avk_pcm_rms_dbfs(const avk_pcm *p, double start_s, double end_s)
{
    size_t a, b, nch;
    double s = 0.0;

    if (!p || !p->data || p->rate <= 0 || p->channels < 1)
        return -INFINITY;
    if (start_s < 0)
        start_s = 0;
    if (end_s > avk_pcm_duration(p))
        end_s = avk_pcm_duration(p);
    if (!(end_s > start_s))
        return -INFINITY;
    a = (size_t)(start_s * p->rate);
    b = (size_t)(end_s * p->rate);
    if (b > p->frames)
        b = p->frames;
    if (b <= a)
        return -INFINITY;
    nch = (size_t)p->channels;
    for (size_t i = a * nch; i < b * nch; i++)
        s += (double)p->data[i] * p->data[i];
    s /= (double)((b - a) * nch);
    return s > 0.0 ? 10.0 * log10(s) : -INFINITY;
}
