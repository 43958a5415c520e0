/*
 * mkvideo - write a tiny MP4 for the publish tests.
 *
 *   mkvideo OUT [SECONDS [VCODEC [faststart|plain [WxH [FPS]]]]]
 *
 * Defaults: 1.5 s, h264 (libx264), faststart, 64x114, 25 fps, AAC mono
 * 44.1 kHz tone.  VCODEC "mpeg4" gives a file with a codec the platforms
 * refuse; "plain" leaves the moov box at the end.  Exit 0 on success.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>

static int encode(AVCodecContext *c, AVFrame *f, AVFormatContext *oc,
                  AVStream *st)
{
    AVPacket *pkt = av_packet_alloc();
    int rc = avcodec_send_frame(c, f);

    while (rc >= 0) {
        rc = avcodec_receive_packet(c, pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
            rc = 0;
            break;
        }
        if (rc < 0)
            break;
        av_packet_rescale_ts(pkt, c->time_base, st->time_base);
        pkt->stream_index = st->index;
        rc = av_interleaved_write_frame(oc, pkt);
    }
    av_packet_free(&pkt);
    return rc;
}

int main(int argc, char **argv)
{
    const char *out = argc > 1 ? argv[1] : NULL;
    double secs = argc > 2 ? atof(argv[2]) : 1.5;
    const char *vname = argc > 3 ? argv[3] : "h264";
    int fast = !(argc > 4 && !strcmp(argv[4], "plain"));
    int w = 64, h = 114, fps = argc > 6 ? atoi(argv[6]) : 25;
    AVFormatContext *oc = NULL;
    const AVCodec *vc, *ac;
    AVCodecContext *v, *a;
    AVStream *vs, *as;
    AVFrame *vf, *af;
    AVDictionary *mo = NULL;
    int i, nframes, rc = 0;
    long long samples = 0, total;

    if (!out) {
        fprintf(stderr, "usage: mkvideo OUT [SECONDS [VCODEC [faststart|plain [WxH [FPS]]]]]\n");
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    if (argc > 5 && sscanf(argv[5], "%dx%d", &w, &h) != 2)
        return 2;
    vc = !strcmp(vname, "h264") ? avcodec_find_encoder_by_name("libx264")
                                : avcodec_find_encoder_by_name(vname);
    ac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!vc || !ac || avformat_alloc_output_context2(&oc, NULL, "mp4", out) < 0)
        return 1;
    vs = avformat_new_stream(oc, NULL);
    as = avformat_new_stream(oc, NULL);
    v = avcodec_alloc_context3(vc);
    a = avcodec_alloc_context3(ac);
    v->width = w;
    v->height = h;
    v->pix_fmt = AV_PIX_FMT_YUV420P;
    v->time_base = (AVRational){1, fps};
    v->framerate = (AVRational){fps, 1};
    v->gop_size = fps / 2;
    if (!strcmp(vname, "h264"))
        av_opt_set(v->priv_data, "preset", "ultrafast", 0);
    a->sample_fmt = AV_SAMPLE_FMT_FLTP;
    a->sample_rate = 44100;
    a->bit_rate = 64000;
    av_channel_layout_default(&a->ch_layout, 1);
    a->time_base = (AVRational){1, 44100};
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) {
        v->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        a->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    }
    if (avcodec_open2(v, vc, NULL) < 0 || avcodec_open2(a, ac, NULL) < 0)
        return 1;
    avcodec_parameters_from_context(vs->codecpar, v);
    avcodec_parameters_from_context(as->codecpar, a);
    vs->time_base = v->time_base;
    as->time_base = a->time_base;
    if (avio_open(&oc->pb, out, AVIO_FLAG_WRITE) < 0)
        return 1;
    if (fast)
        av_dict_set(&mo, "movflags", "+faststart", 0);
    if (avformat_write_header(oc, &mo) < 0)
        return 1;
    av_dict_free(&mo);
    vf = av_frame_alloc();
    vf->format = v->pix_fmt;
    vf->width = w;
    vf->height = h;
    av_frame_get_buffer(vf, 0);
    af = av_frame_alloc();
    af->format = a->sample_fmt;
    af->nb_samples = a->frame_size;
    af->sample_rate = a->sample_rate;
    av_channel_layout_copy(&af->ch_layout, &a->ch_layout);
    av_frame_get_buffer(af, 0);
    nframes = (int)(secs * fps + 0.5);
    total = (long long)(secs * 44100);
    for (i = 0; i < nframes && rc >= 0; i++) {
        int x, y;
        av_frame_make_writable(vf);
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++)
                vf->data[0][y * vf->linesize[0] + x] =
                    (unsigned char)(x * 3 + y + i * 5);
        for (y = 0; y < h / 2; y++)
            for (x = 0; x < w / 2; x++) {
                vf->data[1][y * vf->linesize[1] + x] = (unsigned char)(128 + y);
                vf->data[2][y * vf->linesize[2] + x] = (unsigned char)(64 + x);
            }
        vf->pts = i;
        rc = encode(v, vf, oc, vs);
        while (rc >= 0 && samples < total &&
               samples * fps <= (long long)(i + 1) * 44100) {
            int k;
            float *d;
            av_frame_make_writable(af);
            d = (float *)af->data[0];
            for (k = 0; k < af->nb_samples; k++)
                d[k] = 0.2f * (float)sin(2 * M_PI * 440.0 *
                                         (double)(samples + k) / 44100.0);
            af->pts = samples;
            samples += af->nb_samples;
            rc = encode(a, af, oc, as);
        }
    }
    if (rc >= 0)
        rc = encode(v, NULL, oc, vs);
    if (rc >= 0)
        rc = encode(a, NULL, oc, as);
    if (rc >= 0)
        rc = av_write_trailer(oc);
    av_frame_free(&vf);
    av_frame_free(&af);
    avcodec_free_context(&v);
    avcodec_free_context(&a);
    avio_closep(&oc->pb);
    avformat_free_context(oc);
    return rc < 0 ? 1 : 0;
}
