/*
 * image.c - RGBA8 premultiplied rasters: decode, encode, scale, blend and
 * media probing over libavformat/libavcodec/libswscale (see image.h).
 *
 * Invariants: an avk_image either has px == NULL and w == h == 0, or owns
 * a buffer of h * stride bytes with every colour byte <= its alpha byte.
 * Files are read by this module (never opened by FFmpeg by name), so a
 * path can never be taken as a URL or a "%d" sequence pattern.
 */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "buf.h"
#include "fsutil.h"

/* Refuse decoded images with more pixels than this (a decompression bomb
 * guard: 100 Mpx is 400 MB of RGBA). */
#define MAX_PIXELS (100LL * 1000 * 1000)
/* Bytes handed to libavformat per read callback. */
#define IO_BUFSZ 65536

void avk_image_init(avk_image *im)
{
    im->px = NULL;
    im->w = im->h = im->stride = 0;
}

void avk_image_release(avk_image *im)
{
    if (!im)
        return;
    free(im->px);
    avk_image_init(im);
}

int avk_image_alloc(avk_image *im, int w, int h)
{
    avk_image_release(im);
    if (w < 1 || h < 1 || w > AVK_IMAGE_MAX_DIM || h > AVK_IMAGE_MAX_DIM)
        return AVK_EX_DATAERR;
    im->px = calloc((size_t)w * (size_t)h, 4);
    if (!im->px)
        return AVK_EX_OSERR;
    im->w = w;
    im->h = h;
    im->stride = w * 4;
    return 0;
}

void avk_image_fill(avk_image *im, uint32_t rgba)
{
    unsigned a = rgba & 255;
    uint8_t p[4];
    int x, y;

    p[0] = (uint8_t)((((rgba >> 24) & 255) * a + 127) / 255);
    p[1] = (uint8_t)((((rgba >> 16) & 255) * a + 127) / 255);
    p[2] = (uint8_t)((((rgba >> 8) & 255) * a + 127) / 255);
    p[3] = (uint8_t)a;
    for (y = 0; y < im->h; y++) {
        uint8_t *row = im->px + (size_t)y * im->stride;
        for (x = 0; x < im->w; x++)
            memcpy(row + 4 * x, p, 4);
    }
}

const char *avk_media_kind_name(int kind)
{
    switch (kind) {
    case AVK_MEDIA_IMAGE:
        return "image";
    case AVK_MEDIA_VIDEO:
        return "video";
    case AVK_MEDIA_AUDIO:
        return "audio";
    default:
        return "unknown";
    }
}

/* Multiply colour by alpha in place; clamp colour to alpha afterwards
 * (scalers can overshoot). */
static void premultiply(avk_image *im)
{
    int x, y;

    for (y = 0; y < im->h; y++) {
        uint8_t *p = im->px + (size_t)y * im->stride;
        for (x = 0; x < im->w; x++, p += 4) {
            unsigned a = p[3];
            if (a == 255)
                continue;
            p[0] = (uint8_t)((p[0] * a + 127) / 255);
            p[1] = (uint8_t)((p[1] * a + 127) / 255);
            p[2] = (uint8_t)((p[2] * a + 127) / 255);
        }
    }
}

static void clamp_premultiplied(avk_image *im)
{
    int x, y, c;

    for (y = 0; y < im->h; y++) {
        uint8_t *p = im->px + (size_t)y * im->stride;
        for (x = 0; x < im->w; x++, p += 4)
            for (c = 0; c < 3; c++)
                if (p[c] > p[3])
                    p[c] = p[3];
    }
}

/* Map the deprecated full-range "J" formats to their plain twins, noting
 * the range, so swscale neither warns nor guesses. */
static enum AVPixelFormat plain_format(enum AVPixelFormat f, int *full)
{
    *full = 1;
    switch (f) {
    case AV_PIX_FMT_YUVJ420P:
        return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
        return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
        return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
        return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
        return AV_PIX_FMT_YUV411P;
    default:
        *full = 0;
        return f;
    }
}

/* Convert a decoded frame to a new premultiplied RGBA image. */
static int frame_to_image(const AVFrame *fr, avk_image *out, avk_err *err)
{
    struct SwsContext *sws;
    const AVPixFmtDescriptor *desc;
    enum AVPixelFormat src;
    int full, rc, dst_stride;
    uint8_t *dst[4];
    int dst_lines[4] = {0};

    if (fr->width < 1 || fr->height < 1 || fr->width > AVK_IMAGE_MAX_DIM ||
        fr->height > AVK_IMAGE_MAX_DIM ||
        (long long)fr->width * fr->height > MAX_PIXELS)
        return avk_fail(err, AVK_EX_DATAERR,
                        "image size %dx%d is not supported", fr->width,
                        fr->height);
    src = plain_format((enum AVPixelFormat)fr->format, &full);
    if (fr->color_range == AVCOL_RANGE_JPEG)
        full = 1;
    if ((rc = avk_image_alloc(out, fr->width, fr->height)))
        return avk_fail(err, rc, "out of memory");
    sws = sws_getContext(fr->width, fr->height, src, fr->width, fr->height,
                         AV_PIX_FMT_RGBA,
                         SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT |
                             SWS_FULL_CHR_H_INP,
                         NULL, NULL, NULL);
    if (!sws) {
        avk_image_release(out);
        return avk_fail(err, AVK_EX_DATAERR, "cannot convert pixel format '%s'",
                        av_get_pix_fmt_name(src) ? av_get_pix_fmt_name(src)
                                                 : "?");
    }
    desc = av_pix_fmt_desc_get(src);
    if (desc && !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) &&
        desc->nb_components >= 3)
        sws_setColorspaceDetails(sws, sws_getCoefficients(SWS_CS_DEFAULT), full,
                                 sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                                 1 << 16, 1 << 16);
    dst_stride = out->stride;
    dst[0] = out->px;
    dst[1] = dst[2] = dst[3] = NULL;
    dst_lines[0] = dst_stride;
    sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0,
              fr->height, dst, dst_lines);
    sws_freeContext(sws);
    premultiply(out);
    return 0;
}

/* Turn im upright for an EXIF orientation (2..8; others leave it):
 * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
 * 7 transverse, 8 rotate 90 counter-clockwise. */
static int apply_orientation(avk_image *im, int orient)
{
    avk_image t;
    int x, y, swap = orient >= 5 && orient <= 8, rc;

    if (orient < 2 || orient > 8)
        return 0;
    avk_image_init(&t);
    if ((rc = swap ? avk_image_alloc(&t, im->h, im->w)
                   : avk_image_alloc(&t, im->w, im->h)))
        return rc;
    for (y = 0; y < im->h; y++)
        for (x = 0; x < im->w; x++) {
            int dx, dy;
            switch (orient) {
            case 2:
                dx = im->w - 1 - x;
                dy = y;
                break;
            case 3:
                dx = im->w - 1 - x;
                dy = im->h - 1 - y;
                break;
            case 4:
                dx = x;
                dy = im->h - 1 - y;
                break;
            case 5:
                dx = y;
                dy = x;
                break;
            case 6:
                dx = im->h - 1 - y;
                dy = x;
                break;
            case 7:
                dx = im->h - 1 - y;
                dy = im->w - 1 - x;
                break;
            default:
                dx = y;
                dy = im->w - 1 - x;
                break;
            }
            memcpy(t.px + (size_t)dy * t.stride + 4 * (size_t)dx,
                   im->px + (size_t)y * im->stride + 4 * (size_t)x, 4);
        }
    avk_image_release(im);
    *im = t;
    return 0;
}

/* A read-only in-memory stream for libavformat. */
struct memio {
    const uint8_t *data;
    size_t len, pos;
};

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    struct memio *m = opaque;
    size_t n = m->len - m->pos;

    if (n == 0)
        return AVERROR_EOF;
    if (n > (size_t)size)
        n = (size_t)size;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    struct memio *m = opaque;
    int64_t base;

    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
        return (int64_t)m->len;
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)m->pos;
        break;
    case SEEK_END:
        base = (int64_t)m->len;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (base + off < 0 || base + off > (int64_t)m->len)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + off);
    return base + off;
}

/* A file-descriptor stream for probing (files may be large videos). */
static int fd_read(void *opaque, uint8_t *buf, int size)
{
    int fd = *(int *)opaque;
    ssize_t n;

    do
        n = read(fd, buf, (size_t)size);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return AVERROR(errno);
    return n == 0 ? AVERROR_EOF : (int)n;
}

static int64_t fd_seek(void *opaque, int64_t off, int whence)
{
    int fd = *(int *)opaque;
    struct stat st;
    off_t r;

    if ((whence & ~AVSEEK_FORCE) == AVSEEK_SIZE)
        return fstat(fd, &st) == 0 ? (int64_t)st.st_size : AVERROR(errno);
    r = lseek(fd, (off_t)off, whence & ~AVSEEK_FORCE);
    return r < 0 ? AVERROR(errno) : (int64_t)r;
}

/* Open a demuxer over custom I/O; on success *fmt and *pio are set. */
static int open_custom(void *opaque, int (*rd)(void *, uint8_t *, int),
                       int64_t (*sk)(void *, int64_t, int),
                       AVFormatContext **fmt, AVIOContext **pio)
{
    uint8_t *iobuf = av_malloc(IO_BUFSZ);
    AVIOContext *io;
    AVFormatContext *f;
    int r;

    *fmt = NULL;
    *pio = NULL;
    if (!iobuf)
        return AVERROR(ENOMEM);
    io = avio_alloc_context(iobuf, IO_BUFSZ, 0, opaque, rd, NULL, sk);
    if (!io) {
        av_free(iobuf);
        return AVERROR(ENOMEM);
    }
    f = avformat_alloc_context();
    if (!f) {
        av_freep(&io->buffer);
        avio_context_free(&io);
        return AVERROR(ENOMEM);
    }
    f->pb = io;
    f->flags |= AVFMT_FLAG_CUSTOM_IO;
    r = avformat_open_input(&f, NULL, NULL, NULL);
    if (r < 0) {
        /* avformat_open_input frees f on failure but not custom I/O. */
        av_freep(&io->buffer);
        avio_context_free(&io);
        return r;
    }
    *fmt = f;
    *pio = io;
    return 0;
}

static void close_custom(AVFormatContext **fmt, AVIOContext **pio)
{
    avformat_close_input(fmt);
    if (*pio) {
        av_freep(&(*pio)->buffer);
        avio_context_free(pio);
    }
}

static int decode_first(AVFormatContext *f, avk_image *out, avk_err *err)
{
    const AVCodec *dec = NULL;
    AVCodecContext *cc = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    int si, r, rc = AVK_EX_DATAERR, got = 0, flushing = 0;

    if (!pkt || !fr) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    si = av_find_best_stream(f, AVMEDIA_TYPE_VIDEO, -1, -1, &dec, 0);
    if (si < 0 || !dec) {
        avk_fail(err, AVK_EX_DATAERR, "not an image");
        goto done;
    }
    cc = avcodec_alloc_context3(dec);
    if (!cc ||
        avcodec_parameters_to_context(cc, f->streams[si]->codecpar) < 0) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    cc->thread_count = 1;
    if (avcodec_open2(cc, dec, NULL) < 0) {
        avk_fail(err, AVK_EX_DATAERR, "cannot open the '%s' decoder",
                 dec->name);
        goto done;
    }
    while (!got) {
        if (!flushing) {
            r = av_read_frame(f, pkt);
            if (r < 0) {
                flushing = 1;
                avcodec_send_packet(cc, NULL);
            } else {
                if (pkt->stream_index == si)
                    r = avcodec_send_packet(cc, pkt);
                av_packet_unref(pkt);
                if (r < 0 && r != AVERROR(EAGAIN)) {
                    avk_fail(err, AVK_EX_DATAERR, "corrupt %s data", dec->name);
                    goto done;
                }
            }
        }
        r = avcodec_receive_frame(cc, fr);
        if (r == 0)
            got = 1;
        else if (r == AVERROR(EAGAIN) && !flushing)
            continue;
        else {
            avk_fail(err, AVK_EX_DATAERR, "no decodable %s picture", dec->name);
            goto done;
        }
    }
    rc = frame_to_image(fr, out, err);
    if (rc == 0) {
        const AVDictionaryEntry *o =
            av_dict_get(fr->metadata, "Orientation", NULL, 0);
        if (o && (rc = apply_orientation(out, atoi(o->value))))
            avk_fail(err, rc, "out of memory");
    }
done:
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&cc);
    return rc;
}

int avk_image_load_mem(const void *data, size_t len, avk_image *out,
                       avk_err *err)
{
    struct memio m;
    AVFormatContext *f;
    AVIOContext *io;
    int rc;

    avk_image_release(out);
    if (len == 0)
        return avk_fail(err, AVK_EX_DATAERR, "empty image data");
    m.data = data;
    m.len = len;
    m.pos = 0;
    if (open_custom(&m, mem_read, mem_seek, &f, &io) < 0)
        return avk_fail(err, AVK_EX_DATAERR, "not a recognised image format");
    rc = decode_first(f, out, err);
    close_custom(&f, &io);
    return rc;
}

int avk_image_load(const char *path, avk_image *out, avk_err *err)
{
    avk_buf b;
    int rc;

    avk_image_release(out);
    avk_buf_init(&b);
    if ((rc = avk_read_file(path, &b, err)))
        return rc;
    if (b.len == 0)
        rc = avk_fail(err, AVK_EX_DATAERR, "'%s' is empty", path);
    else if ((rc = avk_image_load_mem(b.data, b.len, out, err)))
        avk_err_prefix(err, "cannot decode '%s'", path);
    avk_buf_release(&b);
    return rc;
}

/* Encode one frame with an image encoder; *data owned by the caller. */
static int encode_frame(enum AVCodecID id, AVFrame *fr, int qscale,
                        uint8_t **data, size_t *len, avk_err *err)
{
    const AVCodec *enc = avcodec_find_encoder(id);
    AVCodecContext *cc = NULL;
    AVPacket *pkt = NULL;
    avk_buf out;
    int rc = 0, r;

    avk_buf_init(&out);
    if (!enc)
        return avk_fail(err, AVK_EX_UNAVAILABLE, "no %s encoder in libavcodec",
                        avcodec_get_name(id));
    cc = avcodec_alloc_context3(enc);
    pkt = av_packet_alloc();
    if (!cc || !pkt) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    cc->width = fr->width;
    cc->height = fr->height;
    cc->pix_fmt = (enum AVPixelFormat)fr->format;
    cc->time_base = (AVRational){1, 25};
    cc->thread_count = 1;
    if (qscale > 0) {
        cc->flags |= AV_CODEC_FLAG_QSCALE;
        cc->global_quality = qscale * FF_QP2LAMBDA;
        fr->quality = qscale * FF_QP2LAMBDA;
        cc->color_range = AVCOL_RANGE_JPEG;
    }
    if (avcodec_open2(cc, enc, NULL) < 0) {
        rc = avk_fail(err, AVK_EX_SOFTWARE, "cannot open the %s encoder",
                      enc->name);
        goto done;
    }
    fr->pts = 0;
    if (avcodec_send_frame(cc, fr) < 0 || avcodec_send_frame(cc, NULL) < 0) {
        rc = avk_fail(err, AVK_EX_SOFTWARE, "%s encoding failed", enc->name);
        goto done;
    }
    while ((r = avcodec_receive_packet(cc, pkt)) == 0) {
        if (avk_buf_add(&out, pkt->data, (size_t)pkt->size)) {
            av_packet_unref(pkt);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            goto done;
        }
        av_packet_unref(pkt);
    }
    if (r != AVERROR_EOF || out.len == 0) {
        rc = avk_fail(err, AVK_EX_SOFTWARE, "%s encoding failed", enc->name);
        goto done;
    }
    *len = out.len;
    *data = (uint8_t *)avk_buf_detach(&out);
done:
    avk_buf_release(&out);
    av_packet_free(&pkt);
    avcodec_free_context(&cc);
    return rc;
}

static int check_image(const avk_image *im, avk_err *err)
{
    if (!im || !im->px || im->w < 1 || im->h < 1)
        return avk_fail(err, AVK_EX_SOFTWARE, "empty image");
    return 0;
}

int avk_image_encode_png(const avk_image *im, uint8_t **data, size_t *len,
                         avk_err *err)
{
    AVFrame *fr;
    int rc, x, y;

    *data = NULL;
    *len = 0;
    if ((rc = check_image(im, err)))
        return rc;
    fr = av_frame_alloc();
    if (!fr)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    fr->width = im->w;
    fr->height = im->h;
    fr->format = AV_PIX_FMT_RGBA;
    if (av_frame_get_buffer(fr, 0) < 0) {
        av_frame_free(&fr);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    for (y = 0; y < im->h; y++) {
        const uint8_t *s = im->px + (size_t)y * im->stride;
        uint8_t *d = fr->data[0] + (size_t)y * fr->linesize[0];
        for (x = 0; x < im->w; x++, s += 4, d += 4) {
            unsigned a = s[3];
            d[3] = (uint8_t)a;
            if (a == 255 || a == 0) {
                d[0] = a ? s[0] : 0;
                d[1] = a ? s[1] : 0;
                d[2] = a ? s[2] : 0;
            } else {
                int c;
                for (c = 0; c < 3; c++) {
                    unsigned v = (s[c] * 255u + a / 2) / a;
                    d[c] = (uint8_t)(v > 255 ? 255 : v);
                }
            }
        }
    }
    rc = encode_frame(AV_CODEC_ID_PNG, fr, 0, data, len, err);
    av_frame_free(&fr);
    return rc;
}

int avk_image_save_png(const char *path, const avk_image *im, avk_err *err)
{
    uint8_t *data;
    size_t len;
    int rc;

    if ((rc = avk_image_encode_png(im, &data, &len, err))) {
        avk_err_prefix(err, "cannot write '%s'", path);
        return rc;
    }
    rc = avk_write_file_atomic(path, data, len, 0644, err);
    free(data);
    return rc;
}

int avk_image_encode_jpeg(const avk_image *im, int quality, uint8_t **data,
                          size_t *len, avk_err *err)
{
    struct SwsContext *sws;
    AVFrame *fr;
    int rc, q;
    const uint8_t *src[4] = {NULL};
    int src_lines[4] = {0};

    *data = NULL;
    *len = 0;
    if ((rc = check_image(im, err)))
        return rc;
    if (quality < 1)
        quality = 1;
    if (quality > 100)
        quality = 100;
    /* mjpeg qscale: 2 is best, 31 worst. */
    q = 2 + (100 - quality) * 29 / 99;
    fr = av_frame_alloc();
    if (!fr)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    fr->width = im->w;
    fr->height = im->h;
    fr->format = AV_PIX_FMT_YUVJ420P;
    fr->color_range = AVCOL_RANGE_JPEG;
    if (av_frame_get_buffer(fr, 0) < 0) {
        av_frame_free(&fr);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    /* Premultiplied RGB is the image composited over black. */
    sws = sws_getContext(im->w, im->h, AV_PIX_FMT_RGB0, im->w, im->h,
                         AV_PIX_FMT_YUV420P, SWS_BICUBIC | SWS_ACCURATE_RND,
                         NULL, NULL, NULL);
    if (!sws) {
        av_frame_free(&fr);
        return avk_fail(err, AVK_EX_SOFTWARE, "cannot convert to YUV");
    }
    sws_setColorspaceDetails(sws, sws_getCoefficients(SWS_CS_ITU601), 1,
                             sws_getCoefficients(SWS_CS_ITU601), 1, 0, 1 << 16,
                             1 << 16);
    src[0] = im->px;
    src_lines[0] = im->stride;
    sws_scale(sws, src, src_lines, 0, im->h, fr->data, fr->linesize);
    sws_freeContext(sws);
    rc = encode_frame(AV_CODEC_ID_MJPEG, fr, q, data, len, err);
    av_frame_free(&fr);
    return rc;
}

int avk_image_save_jpeg(const char *path, const avk_image *im, int quality,
                        avk_err *err)
{
    uint8_t *data;
    size_t len;
    int rc;

    if ((rc = avk_image_encode_jpeg(im, quality, &data, &len, err))) {
        avk_err_prefix(err, "cannot write '%s'", path);
        return rc;
    }
    rc = avk_write_file_atomic(path, data, len, 0644, err);
    free(data);
    return rc;
}

/* Scale the w x h region of src starting at (sx, sy) to dw x dh. */
static int scale_region(const avk_image *src, int sx, int sy, int sw, int sh,
                        int dw, int dh, avk_image *out, avk_err *err)
{
    struct SwsContext *sws;
    const uint8_t *s[4] = {NULL};
    int sl[4] = {0}, dl[4] = {0};
    uint8_t *d[4] = {NULL};
    avk_image tmp;
    int rc;

    avk_image_init(&tmp);
    if ((rc = avk_image_alloc(&tmp, dw, dh)))
        return avk_fail(err, rc,
                        rc == AVK_EX_OSERR ? "out of memory"
                                           : "bad image size %dx%d",
                        dw, dh);
    if (sw == dw && sh == dh) {
        int y;
        for (y = 0; y < dh; y++)
            memcpy(tmp.px + (size_t)y * tmp.stride,
                   src->px + (size_t)(sy + y) * src->stride + 4 * sx,
                   (size_t)dw * 4);
    } else {
        sws = sws_getContext(sw, sh, AV_PIX_FMT_RGBA, dw, dh, AV_PIX_FMT_RGBA,
                             SWS_LANCZOS | SWS_ACCURATE_RND |
                                 SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP,
                             NULL, NULL, NULL);
        if (!sws) {
            avk_image_release(&tmp);
            return avk_fail(err, AVK_EX_SOFTWARE, "cannot scale %dx%d to %dx%d",
                            sw, sh, dw, dh);
        }
        sws_setColorspaceDetails(sws, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                                 sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                                 1 << 16, 1 << 16);
        s[0] = src->px + (size_t)sy * src->stride + 4 * (size_t)sx;
        sl[0] = src->stride;
        d[0] = tmp.px;
        dl[0] = tmp.stride;
        sws_scale(sws, s, sl, 0, sh, d, dl);
        sws_freeContext(sws);
        clamp_premultiplied(&tmp);
    }
    avk_image_release(out);
    *out = tmp;
    return 0;
}

int avk_image_resize(const avk_image *src, int w, int h, avk_image *out,
                     avk_err *err)
{
    int rc;

    if ((rc = check_image(src, err)))
        return rc;
    return scale_region(src, 0, 0, src->w, src->h, w, h, out, err);
}

int avk_image_cover(const avk_image *src, int w, int h, avk_image *out,
                    avk_err *err)
{
    double sc;
    int cw, ch, rc;

    if ((rc = check_image(src, err)))
        return rc;
    if (w < 1 || h < 1 || w > AVK_IMAGE_MAX_DIM || h > AVK_IMAGE_MAX_DIM)
        return avk_fail(err, AVK_EX_DATAERR, "bad image size %dx%d", w, h);
    sc = (double)w / src->w;
    if ((double)h / src->h > sc)
        sc = (double)h / src->h;
    cw = (int)(w / sc + 0.5);
    ch = (int)(h / sc + 0.5);
    if (cw > src->w)
        cw = src->w;
    if (ch > src->h)
        ch = src->h;
    if (cw < 1)
        cw = 1;
    if (ch < 1)
        ch = 1;
    return scale_region(src, (src->w - cw) / 2, (src->h - ch) / 2, cw, ch, w, h,
                        out, err);
}

void avk_image_blend(avk_image *dst, const avk_image *src, int x, int y,
                     float opacity)
{
    int x0, y0, x1, y1, i, j;
    unsigned op;

    if (!dst->px || !src->px || opacity <= 0)
        return;
    op = opacity >= 1 ? 256 : (unsigned)(opacity * 256 + 0.5f);
    x0 = x < 0 ? -x : 0;
    y0 = y < 0 ? -y : 0;
    x1 = src->w;
    y1 = src->h;
    if (x + x1 > dst->w)
        x1 = dst->w - x;
    if (y + y1 > dst->h)
        y1 = dst->h - y;
    for (j = y0; j < y1; j++) {
        const uint8_t *s = src->px + (size_t)j * src->stride + 4 * (size_t)x0;
        uint8_t *d =
            dst->px + (size_t)(y + j) * dst->stride + 4 * (size_t)(x + x0);
        for (i = x0; i < x1; i++, s += 4, d += 4) {
            unsigned sa = (s[3] * op + 128) >> 8, inv, c;
            if (sa == 0)
                continue;
            if (sa == 255 && op == 256) {
                memcpy(d, s, 4);
                continue;
            }
            inv = 255 - sa;
            for (c = 0; c < 4; c++) {
                unsigned sv = c == 3 ? sa : (s[c] * op + 128) >> 8;
                unsigned v = sv + (d[c] * inv + 127) / 255;
                d[c] = (uint8_t)(v > 255 ? 255 : v);
            }
        }
    }
}

/* Codecs that are usually a single picture. */
static int image_codec(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_PNG:
    case AV_CODEC_ID_MJPEG:
    case AV_CODEC_ID_WEBP:
    case AV_CODEC_ID_BMP:
    case AV_CODEC_ID_GIF:
    case AV_CODEC_ID_TIFF:
    case AV_CODEC_ID_JPEG2000:
    case AV_CODEC_ID_PPM:
    case AV_CODEC_ID_PGM:
    case AV_CODEC_ID_TARGA:
        return 1;
    default:
        return 0;
    }
}

static void copy_name(char *dst, size_t n, const char *src)
{
    dst[0] = '\0';
    if (src)
        strncat(dst, src, n - 1);
}

int avk_media_probe(const char *path, avk_media_info *info, avk_err *err)
{
    AVFormatContext *f = NULL;
    AVIOContext *io = NULL;
    struct stat st;
    unsigned i;
    int fd, vi = -1, ai = -1, still = 0;

    memset(info, 0, sizeof *info);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return avk_fail(err, errno == ENOENT ? AVK_EX_NOINPUT : AVK_EX_IOERR,
                        "cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return avk_fail(err, AVK_EX_DATAERR, "'%s' is not a regular file",
                        path);
    }
    if (st.st_size == 0) {
        close(fd);
        return avk_fail(err, AVK_EX_DATAERR, "'%s' is empty", path);
    }
    if (open_custom(&fd, fd_read, fd_seek, &f, &io) < 0) {
        close(fd);
        return avk_fail(err, AVK_EX_DATAERR,
                        "'%s' is not a recognised media file", path);
    }
    if (avformat_find_stream_info(f, NULL) < 0) {
        close_custom(&f, &io);
        close(fd);
        return avk_fail(err, AVK_EX_DATAERR, "'%s': cannot read stream info",
                        path);
    }
    copy_name(info->format, sizeof info->format, f->iformat->name);
    for (i = 0; i < f->nb_streams; i++) {
        const AVCodecParameters *p = f->streams[i]->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO && vi < 0 &&
            !(f->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC))
            vi = (int)i;
        else if (p->codec_type == AVMEDIA_TYPE_AUDIO && ai < 0)
            ai = (int)i;
    }
    if (vi >= 0) {
        const AVCodecParameters *p = f->streams[vi]->codecpar;
        const char *n = f->iformat->name;
        size_t nl = strlen(n);
        info->width = p->width;
        info->height = p->height;
        copy_name(info->vcodec, sizeof info->vcodec,
                  avcodec_get_name(p->codec_id));
        still = (nl > 5 && strcmp(n + nl - 5, "_pipe") == 0) ||
                strcmp(n, "image2") == 0 ||
                (f->streams[vi]->nb_frames == 1 && ai < 0) ||
                (image_codec(p->codec_id) && ai < 0 &&
                 (f->duration == AV_NOPTS_VALUE || f->duration <= 0));
    }
    if (ai >= 0)
        copy_name(info->acodec, sizeof info->acodec,
                  avcodec_get_name(f->streams[ai]->codecpar->codec_id));
    if (vi >= 0 && (info->width < 1 || info->height < 1)) {
        close_custom(&f, &io);
        close(fd);
        return avk_fail(err, AVK_EX_DATAERR, "'%s': video has no size", path);
    }
    info->kind = vi >= 0   ? (still ? AVK_MEDIA_IMAGE : AVK_MEDIA_VIDEO)
                 : ai >= 0 ? AVK_MEDIA_AUDIO
                           : AVK_MEDIA_UNKNOWN;
    if (info->kind != AVK_MEDIA_IMAGE && f->duration != AV_NOPTS_VALUE &&
        f->duration > 0)
        info->duration = (double)f->duration / AV_TIME_BASE;
    close_custom(&f, &io);
    close(fd);
    if (info->kind == AVK_MEDIA_UNKNOWN)
        return avk_fail(err, AVK_EX_DATAERR, "'%s' has no audio or video",
                        path);
    return 0;
}
