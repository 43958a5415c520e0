/*
 * frames.c - decode stills and video clips into YUV420P frames (frames.h).
 *
 * Invariants: every frame returned is YUV420P with even dimensions and
 * BT.709 limited-range values; inputs are opened only through the file
 * protocol (protocol_whitelist=file, pattern_type=none), so no part of a
 * path is ever interpreted as syntax.
 */
#include "frames.h"

#include "fsutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

static int lav_errmsg(avk_err *err, int code, const char *what,
                     const char *path, int averr)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];

    av_strerror(averr, buf, sizeof buf);
    return avk_fail(err, code, "%s '%s': %s", what, path, buf);
}

int avk_input_open(const char *path, AVFormatContext **fmt,
                         avk_err *err)
{
    AVDictionary *opts = NULL;
    char *url;
    size_t n = strlen(path);
    int r;

    *fmt = NULL;
    url = malloc(n + 6);
    if (!url)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    memcpy(url, "file:", 5);
    memcpy(url + 5, path, n + 1);
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    av_dict_set(&opts, "pattern_type", "none", 0);
    r = avformat_open_input(fmt, url, NULL, &opts);
    av_dict_free(&opts);
    free(url);
    if (r < 0) {
        *fmt = NULL;
        if (r == AVERROR(ENOENT) || r == AVERROR(EACCES) ||
            r == AVERROR(EISDIR))
            return lav_errmsg(err, AVK_EX_NOINPUT, "cannot open", path, r);
        return lav_errmsg(err, AVK_EX_DATAERR, "cannot read", path, r);
    }
    r = avformat_find_stream_info(*fmt, NULL);
    if (r < 0) {
        avformat_close_input(fmt);
        return lav_errmsg(err, AVK_EX_DATAERR, "cannot read", path, r);
    }
    return 0;
}

AVFrame *avk_yuv_frame_new(int w, int h)
{
    AVFrame *f = av_frame_alloc();

    if (!f)
        return NULL;
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    f->color_range = AVCOL_RANGE_MPEG;
    f->colorspace = AVCOL_SPC_BT709;
    f->color_primaries = AVCOL_PRI_BT709;
    f->color_trc = AVCOL_TRC_BT709;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    memset(f->data[0], 16, (size_t)f->linesize[0] * (size_t)h);
    memset(f->data[1], 128, (size_t)f->linesize[1] * (size_t)((h + 1) / 2));
    memset(f->data[2], 128, (size_t)f->linesize[2] * (size_t)((h + 1) / 2));
    return f;
}

/* The pixel format without the deprecated "J" (full range) variants;
   *full is set when the source is full range. */
static enum AVPixelFormat plain_format(enum AVPixelFormat f, int range,
                                       int *full)
{
    *full = range == AVCOL_RANGE_JPEG;
    switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full = 1; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full = 1; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full = 1; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full = 1; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full = 1; return AV_PIX_FMT_YUV411P;
    default: break;
    }
    {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
        if (d && (d->flags & AV_PIX_FMT_FLAG_RGB))
            *full = 1;
    }
    return f;
}

/* Set the colour conversion of ctx: source as tagged (BT.601 when
   unknown), destination BT.709 limited range. */
static void set_colors(struct SwsContext *ctx, const AVFrame *src, int full)
{
    int cs = SWS_CS_ITU601;

    if (src->colorspace == AVCOL_SPC_BT709)
        cs = SWS_CS_ITU709;
    sws_setColorspaceDetails(ctx, sws_getCoefficients(cs), full,
                             sws_getCoefficients(SWS_CS_ITU709), 0, 0,
                             1 << 16, 1 << 16);
}

/* Decode packets of stream si until one picture comes out. */
static int decode_one(AVFormatContext *fmt, AVCodecContext *dec, int si,
                      AVPacket *pkt, AVFrame *frame, int *eof)
{
    int r;

    for (;;) {
        r = avcodec_receive_frame(dec, frame);
        if (r == 0)
            return 0;
        if (r == AVERROR_EOF) {
            *eof = 1;
            return r;
        }
        if (r != AVERROR(EAGAIN))
            return r;
        if (*eof)
            return AVERROR_EOF;
        r = av_read_frame(fmt, pkt);
        if (r == AVERROR_EOF) {
            avcodec_send_packet(dec, NULL);
            continue;
        }
        if (r < 0)
            return r;
        if (pkt->stream_index == si)
            r = avcodec_send_packet(dec, pkt);
        else
            r = 0;
        av_packet_unref(pkt);
        if (r < 0 && r != AVERROR(EAGAIN))
            return r;
    }
}

static int open_decoder(AVFormatContext *fmt, const char *path, int threads,
                        AVCodecContext **out, int *si, avk_err *err)
{
    const AVCodec *codec = NULL;
    AVCodecContext *dec;
    int r;

    *out = NULL;
    if (!fmt)
        return avk_fail(err, AVK_EX_SOFTWARE, "'%s' is not open", path);
    r = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (r < 0 || !codec)
        return avk_fail(err, AVK_EX_DATAERR, "no picture in '%s'", path);
    *si = r;
    dec = avcodec_alloc_context3(codec);
    if (!dec)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    r = avcodec_parameters_to_context(dec, fmt->streams[*si]->codecpar);
    if (r >= 0) {
        dec->thread_count = threads;
        r = avcodec_open2(dec, codec, NULL);
    }
    if (r < 0) {
        avcodec_free_context(&dec);
        return lav_errmsg(err, AVK_EX_DATAERR, "cannot decode", path, r);
    }
    *out = dec;
    return 0;
}

int avk_still_load(const char *path, int cover_w, int cover_h,
                         AVFrame **out, avk_err *err)
{
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *raw = NULL, *res = NULL;
    struct SwsContext *sws = NULL;
    enum AVPixelFormat pf;
    int si = -1, eof = 0, full, r, w, h;
    double s;

    *out = NULL;
    if ((r = avk_input_open(path, &fmt, err)))
        return r;
    if ((r = open_decoder(fmt, path, 1, &dec, &si, err)))
        goto done;
    pkt = av_packet_alloc();
    raw = av_frame_alloc();
    if (!pkt || !raw) {
        r = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    r = decode_one(fmt, dec, si, pkt, raw, &eof);
    if (r < 0) {
        if (r == AVERROR_EOF)
            r = avk_fail(err, AVK_EX_DATAERR, "no picture in '%s'", path);
        else
            r = lav_errmsg(err, AVK_EX_DATAERR, "cannot decode", path, r);
        goto done;
    }
    /* The decoder's own buffers go before the working image comes. */
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    if (raw->width < 2 || raw->height < 2) {
        r = avk_fail(err, AVK_EX_DATAERR, "picture in '%s' is too small",
                     path);
        goto done;
    }
    s = fmax((double)cover_w / raw->width, (double)cover_h / raw->height);
    w = (int)ceil(raw->width * s / 2.0) * 2;
    h = (int)ceil(raw->height * s / 2.0) * 2;
    if (w < cover_w)
        w = cover_w + (cover_w & 1);
    if (h < cover_h)
        h = cover_h + (cover_h & 1);
    res = avk_yuv_frame_new(w, h);
    if (!res) {
        r = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    pf = plain_format((enum AVPixelFormat)raw->format, raw->color_range,
                      &full);
    sws = sws_getContext(raw->width, raw->height, pf, w, h,
                         AV_PIX_FMT_YUV420P, SWS_BICUBIC | SWS_ACCURATE_RND,
                         NULL, NULL, NULL);
    if (!sws) {
        r = avk_fail(err, AVK_EX_DATAERR,
                     "cannot convert the picture in '%s'", path);
        goto done;
    }
    set_colors(sws, raw, full);
    sws_scale(sws, (const uint8_t *const *)raw->data, raw->linesize, 0,
              raw->height, res->data, res->linesize);
    *out = res;
    res = NULL;
    r = 0;
done:
    sws_freeContext(sws);
    av_frame_free(&res);
    av_frame_free(&raw);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return r;
}

struct avk_clip {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *pend; /* decoded, not yet shown */
    AVFrame *cur;  /* scaled picture being shown */
    struct SwsContext *sws;
    int si, eof, have_pend, have_cur, frames, frames_at_loop, width, height;
    double pend_t, loop_off, max_end, frame_dur;
};

void avk_clip_free(avk_clip *c)
{
    if (!c)
        return;
    sws_freeContext(c->sws);
    av_frame_free(&c->pend);
    av_frame_free(&c->cur);
    av_packet_free(&c->pkt);
    avcodec_free_context(&c->dec);
    avformat_close_input(&c->fmt);
    free(c->path);
    free(c);
}

int avk_clip_open(avk_clip **out, const char *path, int width, int height,
                  avk_err *err)
{
    avk_clip *c;
    AVRational fr;
    int r;

    *out = NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    c->width = width;
    c->height = height;
    c->path = strdup(path);
    if (!c->path) {
        free(c);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if ((r = avk_input_open(path, &c->fmt, err)) ||
        (r = open_decoder(c->fmt, path, 1, &c->dec, &c->si, err))) {
        avk_clip_free(c);
        return r;
    }
    c->pkt = av_packet_alloc();
    c->pend = av_frame_alloc();
    c->cur = avk_yuv_frame_new(width, height);
    if (!c->pkt || !c->pend || !c->cur || !c->fmt) {
        avk_clip_free(c);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    fr = c->fmt->streams[c->si]->avg_frame_rate;
    c->frame_dur = (fr.num > 0 && fr.den > 0) ? av_q2d(av_inv_q(fr)) : 0.04;
    *out = c;
    return 0;
}

/* Scale the pending picture into c->cur, cropping it to fill. */
static int show_pending(avk_clip *c, avk_err *err)
{
    AVFrame *p = c->pend;
    enum AVPixelFormat pf;
    int full, cw = p->width, ch = p->height, cx = 0, cy = 0;
    double sa = (double)p->width / p->height;
    double da = (double)c->width / c->height;
    const uint8_t *data[4] = {NULL};
    const AVPixFmtDescriptor *d;
    int i;

    if (sa > da) {
        cw = (int)lrint(p->height * da);
        cx = (p->width - cw) / 2;
    } else {
        ch = (int)lrint(p->width / da);
        cy = (p->height - ch) / 2;
    }
    pf = plain_format((enum AVPixelFormat)p->format, p->color_range, &full);
    d = av_pix_fmt_desc_get(pf);
    if (!d || (d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM)))
        return avk_fail(err, AVK_EX_DATAERR, "cannot convert '%s'", c->path);
    /* Crop by moving the plane pointers, on chroma-aligned positions. */
    cx &= ~((1 << d->log2_chroma_w) - 1);
    cy &= ~((1 << d->log2_chroma_h) - 1);
    for (i = 0; i < 4 && p->data[i]; i++) {
        int sx = (i == 1 || i == 2) ? d->log2_chroma_w : 0;
        int sy = (i == 1 || i == 2) ? d->log2_chroma_h : 0;
        int step = d->comp[0].step;
        int j;

        for (j = 0; j < d->nb_components; j++)
            if (d->comp[j].plane == i)
                step = d->comp[j].step;
        if (d->flags & AV_PIX_FMT_FLAG_PAL) {
            data[i] = p->data[i];
            continue;
        }
        data[i] = p->data[i] + (ptrdiff_t)(cy >> sy) * p->linesize[i] +
                  (ptrdiff_t)(cx >> sx) * step;
    }
    c->sws = sws_getCachedContext(c->sws, cw, ch, pf, c->width, c->height,
                                  AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL,
                                  NULL, NULL);
    if (!c->sws)
        return avk_fail(err, AVK_EX_DATAERR, "cannot convert '%s'", c->path);
    set_colors(c->sws, p, full);
    sws_scale(c->sws, data, p->linesize, 0, ch, c->cur->data,
              c->cur->linesize);
    c->have_cur = 1;
    c->have_pend = 0;
    av_frame_unref(c->pend);
    return 0;
}

int avk_clip_frame(avk_clip *c, double t, AVFrame *dst, avk_err *err)
{
    AVStream *st = c->fmt->streams[c->si];
    int r;

    for (;;) {
        if (!c->have_pend) {
            r = decode_one(c->fmt, c->dec, c->si, c->pkt, c->pend, &c->eof);
            if (r == AVERROR_EOF) {
                if (!c->frames)
                    return avk_fail(err, AVK_EX_DATAERR,
                                    "no picture in '%s'", c->path);
                if (c->frames == c->frames_at_loop)
                    return avk_fail(err, AVK_EX_DATAERR,
                                    "cannot loop '%s'", c->path);
                c->frames_at_loop = c->frames;
                /* Loop: back to the start, times continue after the end. */
                c->loop_off = c->max_end;
                r = av_seek_frame(c->fmt, c->si, st->start_time == AV_NOPTS_VALUE
                                  ? 0 : st->start_time, AVSEEK_FLAG_BACKWARD);
                if (r < 0)
                    return lav_errmsg(err, AVK_EX_DATAERR, "cannot loop",
                                     c->path, r);
                avcodec_flush_buffers(c->dec);
                c->eof = 0;
                continue;
            }
            if (r < 0)
                return lav_errmsg(err, AVK_EX_DATAERR, "cannot decode",
                                 c->path, r);
            {
                int64_t pts = c->pend->best_effort_timestamp;
                int64_t st0 = st->start_time == AV_NOPTS_VALUE
                                  ? 0 : st->start_time;
                double pt = pts == AV_NOPTS_VALUE
                                ? c->frames * c->frame_dur
                                : (pts - st0) * av_q2d(st->time_base);
                if (pt < 0)
                    pt = 0;
                c->pend_t = c->loop_off + pt;
                if (c->pend_t + c->frame_dur > c->max_end)
                    c->max_end = c->pend_t + c->frame_dur;
            }
            c->frames++;
            c->have_pend = 1;
        }
        if (c->have_cur && c->pend_t > t)
            break;
        if ((r = show_pending(c, err)))
            return r;
    }
    if (av_frame_copy(dst, c->cur) < 0)
        return avk_fail(err, AVK_EX_SOFTWARE, "frame size mismatch");
    return 0;
}

int avk_yuv_save_jpeg(const char *path, const AVFrame *frame, avk_err *err)
{
    avk_buf b;
    int r;

    avk_buf_init(&b);
    r = avk_yuv_encode_jpeg(frame, &b, err);
    if (!r)
        r = avk_write_file_atomic(path, b.data, b.len, 0644, err);
    avk_buf_release(&b);
    return r;
}

int avk_yuv_encode_jpeg(const AVFrame *frame, avk_buf *out, avk_err *err)
{
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    AVCodecContext *enc = NULL;
    AVFrame *j = NULL;
    AVPacket *pkt = NULL;
    struct SwsContext *sws = NULL;
    int r;

    if (!c)
        return avk_fail(err, AVK_EX_SOFTWARE, "no JPEG encoder");
    enc = avcodec_alloc_context3(c);
    j = av_frame_alloc();
    pkt = av_packet_alloc();
    if (!enc || !j || !pkt) {
        r = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    /* JPEG wants full range: convert from the video's limited range. */
    j->format = AV_PIX_FMT_YUVJ420P;
    j->width = frame->width;
    j->height = frame->height;
    if (av_frame_get_buffer(j, 0) < 0) {
        r = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    sws = sws_getContext(frame->width, frame->height, AV_PIX_FMT_YUV420P,
                         j->width, j->height, AV_PIX_FMT_YUV420P, SWS_POINT,
                         NULL, NULL, NULL);
    if (!sws) {
        r = avk_fail(err, AVK_EX_SOFTWARE, "cannot convert the thumbnail");
        goto done;
    }
    sws_setColorspaceDetails(sws, sws_getCoefficients(SWS_CS_ITU709), 0,
                             sws_getCoefficients(SWS_CS_ITU601), 1, 0,
                             1 << 16, 1 << 16);
    sws_scale(sws, (const uint8_t *const *)frame->data, frame->linesize, 0,
              frame->height, j->data, j->linesize);
    enc->width = j->width;
    enc->height = j->height;
    enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
    enc->time_base = (AVRational){1, 25};
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 3;
    r = avcodec_open2(enc, c, NULL);
    if (r >= 0) {
        j->quality = enc->global_quality;
        j->pts = 0;
        r = avcodec_send_frame(enc, j);
    }
    if (r >= 0)
        r = avcodec_send_frame(enc, NULL);
    if (r >= 0)
        r = avcodec_receive_packet(enc, pkt);
    if (r < 0) {
        r = lav_errmsg(err, AVK_EX_SOFTWARE, "cannot encode", "thumbnail", r);
        goto done;
    }
    avk_buf_reset(out);
    r = avk_buf_add(out, pkt->data, (size_t)pkt->size);
    if (r)
        avk_fail(err, r, "out of memory");
done:
    sws_freeContext(sws);
    av_packet_free(&pkt);
    av_frame_free(&j);
    avcodec_free_context(&enc);
    return r;
}
