/*
 * encode.c - H.264/HEVC + AAC into MP4 with the moov atom first (encode.h).
 *
 * Invariants: video pts are frame indexes in 1/fps, audio pts are sample
 * counts in 1/48000; every packet produced is written (interleaved) before
 * the next frame is sent, so an encoder never holds a caller's frame; the
 * audio FIFO holds less than one encoder frame between calls.
 */
#include "encode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/hwcontext.h>
#include <libavutil/opt.h>

#define AUDIO_RATE 48000

struct avk_encoder {
    AVFormatContext *oc;
    AVCodecContext *venc, *aenc;
    AVStream *vst, *ast;
    AVPacket *pkt;
    AVFrame *vref, *af;
    /* Hardware input: encoders that take NV12 (QSV) get swf; VAAPI ones
       get swf uploaded into hwf from the frames pool hwframes. */
    AVFrame *swf, *hwf;
    AVBufferRef *hwdev, *hwframes;
    char *path, *url;
    int64_t vpts, apts;
    int afill, header, finished;
    char vname[32];
};

static int lav_errmsg(avk_err *err, int code, const char *what,
                     const char *subj, int averr)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];

    av_strerror(averr, buf, sizeof buf);
    return avk_fail(err, code, "%s '%s': %s", what, subj, buf);
}

void avk_encoder_free(avk_encoder *e)
{
    if (!e)
        return;
    avcodec_free_context(&e->venc);
    avcodec_free_context(&e->aenc);
    av_packet_free(&e->pkt);
    av_frame_free(&e->vref);
    av_frame_free(&e->af);
    av_frame_free(&e->swf);
    av_frame_free(&e->hwf);
    av_buffer_unref(&e->hwframes);
    av_buffer_unref(&e->hwdev);
    if (e->oc) {
        if (e->oc->pb)
            avio_closep(&e->oc->pb);
        avformat_free_context(e->oc);
    }
    free(e->path);
    free(e->url);
    free(e);
}

const char *avk_encoder_video_name(const avk_encoder *e)
{
    return e->vname;
}

const char *avk_encoder_video_codec(const avk_encoder *e)
{
    return avcodec_get_name(e->venc->codec_id);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* VAAPI encoders take frames in GPU memory: open the render device
   ($AVK_VAAPI_DEVICE, else libva's default) and a pool of NV12 surfaces.
   0 or a negative AVERROR (no device: the caller falls back). */
static int open_vaapi(avk_encoder *e, AVCodecContext *v)
{
    AVHWFramesContext *fc;
    const char *dev = getenv("AVK_VAAPI_DEVICE");
    int r = av_hwdevice_ctx_create(&e->hwdev, AV_HWDEVICE_TYPE_VAAPI,
                                   dev && *dev ? dev : NULL, NULL, 0);

    if (r < 0)
        return r;
    if (!(e->hwframes = av_hwframe_ctx_alloc(e->hwdev)))
        return AVERROR(ENOMEM);
    fc = (AVHWFramesContext *)(void *)e->hwframes->data;
    fc->format = AV_PIX_FMT_VAAPI;
    fc->sw_format = AV_PIX_FMT_NV12;
    fc->width = v->width;
    fc->height = v->height;
    fc->initial_pool_size = 16;
    if ((r = av_hwframe_ctx_init(e->hwframes)) < 0)
        return r;
    if (!(v->hw_frames_ctx = av_buffer_ref(e->hwframes)) ||
        !(e->hwf = av_frame_alloc()))
        return AVERROR(ENOMEM);
    v->pix_fmt = AV_PIX_FMT_VAAPI;
    return 0;
}

/* The NV12 staging frame that QSV and VAAPI input is converted into. */
static int alloc_nv12(avk_encoder *e, int w, int h)
{
    if (!(e->swf = av_frame_alloc()))
        return AVERROR(ENOMEM);
    e->swf->format = AV_PIX_FMT_NV12;
    e->swf->width = w;
    e->swf->height = h;
    return av_frame_get_buffer(e->swf, 0);
}

/* Drop whatever a failed open_video left behind, so that the fallback
   starts clean. */
static void drop_hw(avk_encoder *e)
{
    av_frame_free(&e->swf);
    av_frame_free(&e->hwf);
    av_buffer_unref(&e->hwframes);
    av_buffer_unref(&e->hwdev);
}

/* Try to open the video encoder called name; 0 or a negative AVERROR. */
static int open_video(avk_encoder *e, const avk_encode_opts *o,
                      const char *name)
{
    const AVCodec *c = avcodec_find_encoder_by_name(name);
    AVCodecContext *v;
    AVDictionary *opts = NULL;
    int x264 = !strcmp(name, "libx264");
    int fps = o->fps, r;
    char crf[16];

    if (!c || c->type != AVMEDIA_TYPE_VIDEO)
        return AVERROR_ENCODER_NOT_FOUND;
    v = avcodec_alloc_context3(c);
    if (!v)
        return AVERROR(ENOMEM);
    v->width = o->width;
    v->height = o->height;
    v->pix_fmt = AV_PIX_FMT_YUV420P;
    v->time_base = (AVRational){1, fps};
    v->framerate = (AVRational){fps, 1};
    v->sample_aspect_ratio = (AVRational){1, 1};
    v->gop_size = o->gop > 0 ? o->gop : (fps / 2 > 0 ? fps / 2 : 1);
    v->max_b_frames = 2;
    v->flags |= AV_CODEC_FLAG_CLOSED_GOP;
    v->thread_count = o->threads;
    v->color_range = AVCOL_RANGE_MPEG;
    v->colorspace = AVCOL_SPC_BT709;
    v->color_primaries = AVCOL_PRI_BT709;
    v->color_trc = AVCOL_TRC_BT709;
    if (e->oc->oformat->flags & AVFMT_GLOBALHEADER)
        v->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    r = 0;
    if (ends_with(name, "_vaapi"))
        r = open_vaapi(e, v);
    else if (ends_with(name, "_qsv"))
        v->pix_fmt = AV_PIX_FMT_NV12; /* QSV reads NV12 system memory */
    if (!r && v->pix_fmt != AV_PIX_FMT_YUV420P)
        r = alloc_nv12(e, v->width, v->height);
    if (r < 0) {
        avcodec_free_context(&v);
        drop_hw(e);
        return r;
    }
    snprintf(crf, sizeof crf, "%d", o->crf > 0 ? o->crf : 23);
    if (x264) {
        av_dict_set(&opts, "preset", o->preset ? o->preset : "veryfast", 0);
        av_dict_set(&opts, "crf", crf, 0);
        av_dict_set(&opts, "profile", "high", 0);
    } else {
        /* Hardware encoders: a constant-quality target where they have
           one, else a bitrate that fits every platform. */
        v->bit_rate = 8000000;
        v->rc_max_rate = 12000000;
        v->rc_buffer_size = 16000000;
        av_dict_set(&opts, "cq", crf, 0);
        av_dict_set(&opts, "global_quality", crf, 0);
        if (c->id == AV_CODEC_ID_H264)
            av_dict_set(&opts, "profile", "high", 0);
    }
    r = avcodec_open2(v, c, &opts);
    av_dict_free(&opts);
    if (r < 0) {
        avcodec_free_context(&v);
        drop_hw(e);
        return r;
    }
    e->venc = v;
    snprintf(e->vname, sizeof e->vname, "%s", name);
    return 0;
}

static int open_audio(avk_encoder *e, const avk_encode_opts *o, avk_err *err)
{
    const AVCodec *c = avcodec_find_encoder_by_name("aac");
    AVCodecContext *a;
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    int r;

    if (!c)
        return avk_fail(err, AVK_EX_SOFTWARE, "no AAC encoder");
    a = e->aenc = avcodec_alloc_context3(c);
    if (!a)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    a->sample_fmt = AV_SAMPLE_FMT_FLTP;
    a->sample_rate = AUDIO_RATE;
    a->time_base = (AVRational){1, AUDIO_RATE};
    a->bit_rate = o->audio_bitrate > 0 ? o->audio_bitrate : 128000;
    a->profile = FF_PROFILE_AAC_LOW;
    if (av_channel_layout_copy(&a->ch_layout, &stereo) < 0)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (e->oc->oformat->flags & AVFMT_GLOBALHEADER)
        a->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    r = avcodec_open2(a, c, NULL);
    if (r < 0)
        return lav_errmsg(err, AVK_EX_SOFTWARE, "cannot open encoder", "aac",
                         r);
    e->af = av_frame_alloc();
    if (!e->af)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    e->af->format = AV_SAMPLE_FMT_FLTP;
    e->af->nb_samples = a->frame_size;
    e->af->sample_rate = AUDIO_RATE;
    if (av_channel_layout_copy(&e->af->ch_layout, &stereo) < 0 ||
        av_frame_get_buffer(e->af, 0) < 0)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    e->ast = avformat_new_stream(e->oc, NULL);
    if (!e->ast)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    e->ast->time_base = a->time_base;
    if (avcodec_parameters_from_context(e->ast->codecpar, a) < 0)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}

int avk_encoder_open(avk_encoder **out, const avk_encode_opts *o,
                     avk_err *err)
{
    avk_encoder *e;
    AVDictionary *mopts = NULL;
    const char *want = o->encoder && *o->encoder ? o->encoder : "libx264";
    int r;

    *out = NULL;
    if (o->width < 16 || o->height < 16 || (o->width & 1) ||
        (o->height & 1) || o->fps < 1 || o->fps > 120)
        return avk_fail(err, AVK_EX_USAGE, "bad video format %dx%d at %d fps",
                        o->width, o->height, o->fps);
    e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(o->path))) {
        free(e);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    /* The muxer reopens the file by URL to move moov to the front, so the
       URL names the file protocol explicitly: the path is only a path. */
    e->url = malloc(strlen(o->path) + 6);
    if (!e->url) {
        avk_encoder_free(e);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    memcpy(e->url, "file:", 5);
    memcpy(e->url + 5, o->path, strlen(o->path) + 1);
    r = avformat_alloc_output_context2(&e->oc, NULL, "mp4", e->url);
    if (r < 0 || !e->oc) {
        avk_encoder_free(e);
        return avk_fail(err, AVK_EX_SOFTWARE, "no MP4 muxer");
    }
    r = open_video(e, o, want);
    if (r < 0 && strcmp(want, "libx264")) {
        char buf[AV_ERROR_MAX_STRING_SIZE], msg[256];
        av_strerror(r, buf, sizeof buf);
        snprintf(msg, sizeof msg,
                 "encoder '%s' is not usable (%s); using libx264", want, buf);
        if (o->warn)
            o->warn(o->ud, msg);
        r = open_video(e, o, "libx264");
    }
    if (r < 0) {
        lav_errmsg(err, AVK_EX_SOFTWARE, "cannot open encoder", "libx264", r);
        avk_encoder_free(e);
        return err ? err->code : AVK_EX_SOFTWARE;
    }
    e->vst = avformat_new_stream(e->oc, NULL);
    e->pkt = av_packet_alloc();
    e->vref = av_frame_alloc();
    if (!e->vst || !e->pkt || !e->vref ||
        avcodec_parameters_from_context(e->vst->codecpar, e->venc) < 0) {
        avk_encoder_free(e);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    e->vst->time_base = e->venc->time_base;
    e->vst->avg_frame_rate = e->venc->framerate;
    if (e->venc->codec_id == AV_CODEC_ID_HEVC)
        e->vst->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
    if (o->audio && (r = open_audio(e, o, err))) {
        avk_encoder_free(e);
        return r;
    }
    r = avio_open(&e->oc->pb, e->url, AVIO_FLAG_WRITE);
    if (r < 0) {
        lav_errmsg(err, AVK_EX_CANTCREAT, "cannot create", o->path, r);
        avk_encoder_free(e);
        return AVK_EX_CANTCREAT;
    }
    av_dict_set(&mopts, "movflags", "+faststart", 0);
    /* Interleave strictly by time however far ahead one stream is sent
       (the render sends the whole soundtrack first). */
    e->oc->max_interleave_delta = 0;
    r = avformat_write_header(e->oc, &mopts);
    av_dict_free(&mopts);
    if (r < 0) {
        lav_errmsg(err, AVK_EX_IOERR, "cannot write", o->path, r);
        avk_encoder_free(e);
        return AVK_EX_IOERR;
    }
    e->header = 1;
    *out = e;
    return 0;
}

/* Send frame (NULL to flush) and write every packet that comes out. */
static int drain(avk_encoder *e, AVCodecContext *c, AVStream *st,
                 const AVFrame *frame, avk_err *err)
{
    int r = avcodec_send_frame(c, frame);

    if (r < 0 && r != AVERROR_EOF)
        return lav_errmsg(err, AVK_EX_SOFTWARE, "cannot encode", e->path, r);
    for (;;) {
        r = avcodec_receive_packet(c, e->pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return 0;
        if (r < 0)
            return lav_errmsg(err, AVK_EX_SOFTWARE, "cannot encode", e->path,
                             r);
        av_packet_rescale_ts(e->pkt, c->time_base, st->time_base);
        e->pkt->stream_index = st->index;
        r = av_interleaved_write_frame(e->oc, e->pkt);
        if (r < 0)
            return lav_errmsg(err, AVK_EX_IOERR, "cannot write", e->path, r);
    }
}

/* YUV420P to the NV12 staging frame: luma copied, chroma interleaved. */
static int to_nv12(AVFrame *dst, const AVFrame *src)
{
    int x, y, cw = (src->width + 1) / 2, ch = (src->height + 1) / 2;

    if (av_frame_make_writable(dst) < 0)
        return -1;
    for (y = 0; y < src->height; y++)
        memcpy(dst->data[0] + (size_t)y * (size_t)dst->linesize[0],
               src->data[0] + (size_t)y * (size_t)src->linesize[0],
               (size_t)src->width);
    for (y = 0; y < ch; y++) {
        uint8_t *d = dst->data[1] + (size_t)y * (size_t)dst->linesize[1];
        const uint8_t *u = src->data[1] + (size_t)y * (size_t)src->linesize[1];
        const uint8_t *w = src->data[2] + (size_t)y * (size_t)src->linesize[2];
        for (x = 0; x < cw; x++) {
            d[2 * x] = u[x];
            d[2 * x + 1] = w[x];
        }
    }
    return 0;
}

/* Put frame in the form the encoder takes into e->vref. */
static int stage_frame(avk_encoder *e, const AVFrame *frame, avk_err *err)
{
    if (!e->swf)
        return av_frame_ref(e->vref, frame) < 0
                   ? avk_fail(err, AVK_EX_OSERR, "out of memory")
                   : 0;
    if (frame->format != AV_PIX_FMT_YUV420P || frame->width != e->swf->width ||
        frame->height != e->swf->height)
        return avk_fail(err, AVK_EX_SOFTWARE, "frame is not %dx%d YUV420P",
                        e->swf->width, e->swf->height);
    if (to_nv12(e->swf, frame) < 0)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (!e->hwframes)
        return av_frame_ref(e->vref, e->swf) < 0
                   ? avk_fail(err, AVK_EX_OSERR, "out of memory")
                   : 0;
    av_frame_unref(e->hwf);
    if (av_hwframe_get_buffer(e->hwframes, e->hwf, 0) < 0 ||
        av_hwframe_transfer_data(e->hwf, e->swf, 0) < 0)
        return avk_fail(err, AVK_EX_SOFTWARE,
                        "cannot upload a frame to the %s encoder", e->vname);
    return av_frame_ref(e->vref, e->hwf) < 0
               ? avk_fail(err, AVK_EX_OSERR, "out of memory")
               : 0;
}

int avk_encoder_video(avk_encoder *e, const AVFrame *frame, avk_err *err)
{
    int r;

    if ((r = stage_frame(e, frame, err)))
        return r;
    e->vref->pts = e->vpts++;
    e->vref->pict_type = AV_PICTURE_TYPE_NONE;
    r = drain(e, e->venc, e->vst, e->vref, err);
    av_frame_unref(e->vref);
    return r;
}

static int send_audio_frame(avk_encoder *e, avk_err *err)
{
    int r;

    e->af->nb_samples = e->afill;
    e->af->pts = e->apts;
    e->apts += e->afill;
    r = drain(e, e->aenc, e->ast, e->af, err);
    e->afill = 0;
    if (!r && av_frame_make_writable(e->af) < 0)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    e->af->nb_samples = e->aenc->frame_size;
    return r;
}

int avk_encoder_audio(avk_encoder *e, const float *stereo, size_t n,
                      avk_err *err)
{
    int fs, r;

    if (!e->aenc)
        return 0;
    fs = e->aenc->frame_size;
    while (n > 0) {
        float *l = (float *)e->af->data[0], *rr = (float *)e->af->data[1];
        size_t k = (size_t)(fs - e->afill), i;
        if (k > n)
            k = n;
        for (i = 0; i < k; i++) {
            l[e->afill + (int)i] = stereo[2 * i];
            rr[e->afill + (int)i] = stereo[2 * i + 1];
        }
        e->afill += (int)k;
        stereo += 2 * k;
        n -= k;
        if (e->afill == fs && (r = send_audio_frame(e, err)))
            return r;
    }
    return 0;
}

double avk_encoder_audio_time(const avk_encoder *e)
{
    return (double)(e->apts + e->afill) / AUDIO_RATE;
}

int avk_encoder_finish(avk_encoder *e, avk_err *err)
{
    int r;

    if ((r = drain(e, e->venc, e->vst, NULL, err)))
        return r;
    if (e->aenc) {
        if (e->afill > 0 && (r = send_audio_frame(e, err)))
            return r;
        if ((r = drain(e, e->aenc, e->ast, NULL, err)))
            return r;
    }
    r = av_write_trailer(e->oc);
    if (r < 0)
        return lav_errmsg(err, AVK_EX_IOERR, "cannot write", e->path, r);
    r = avio_closep(&e->oc->pb);
    if (r < 0)
        return lav_errmsg(err, AVK_EX_IOERR, "cannot write", e->path, r);
    e->finished = 1;
    return 0;
}
