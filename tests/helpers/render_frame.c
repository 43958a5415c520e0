/*
 * render_frame.c - write the picture of a video at a time to a PNG.
 *
 *   render_frame VIDEO SECONDS OUT.png
 *
 * For looking at renders and for shell tests; decodes with libavformat,
 * converts with libswscale, encodes with libavcodec's PNG encoder.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>

int main(int argc, char **argv)
{
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL, *enc = NULL;
    const AVCodec *codec = NULL;
    AVPacket *pkt;
    AVFrame *f, *rgb;
    struct SwsContext *sws;
    double want;
    int si, r, got = 0;
    FILE *out;

    if (argc != 4) {
        fprintf(stderr, "usage: render_frame VIDEO SECONDS OUT.png\n");
        return 64;
    }
    av_log_set_level(AV_LOG_ERROR);
    want = atof(argv[2]);
    if (avformat_open_input(&fmt, argv[1], NULL, NULL) < 0 ||
        avformat_find_stream_info(fmt, NULL) < 0) {
        fprintf(stderr, "render_frame: cannot open '%s'\n", argv[1]);
        return 66;
    }
    si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si < 0)
        return 65;
    dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar);
    avcodec_open2(dec, codec, NULL);
    pkt = av_packet_alloc();
    f = av_frame_alloc();
    rgb = av_frame_alloc();
    while (!got && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == si && avcodec_send_packet(dec, pkt) >= 0) {
            while (avcodec_receive_frame(dec, f) >= 0) {
                double t = f->best_effort_timestamp *
                           av_q2d(fmt->streams[si]->time_base);
                if (t + 1e-6 >= want) {
                    got = 1;
                    break;
                }
            }
        }
        av_packet_unref(pkt);
    }
    if (!got) {
        fprintf(stderr, "render_frame: no frame at %s s\n", argv[2]);
        return 65;
    }
    rgb->format = AV_PIX_FMT_RGB24;
    rgb->width = f->width;
    rgb->height = f->height;
    av_frame_get_buffer(rgb, 0);
    sws = sws_getContext(f->width, f->height, f->format, f->width, f->height,
                         AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
    sws_setColorspaceDetails(sws, sws_getCoefficients(SWS_CS_ITU709), 0,
                             sws_getCoefficients(SWS_CS_ITU709), 1, 0,
                             1 << 16, 1 << 16);
    sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0,
              f->height, rgb->data, rgb->linesize);
    enc = avcodec_alloc_context3(avcodec_find_encoder(AV_CODEC_ID_PNG));
    enc->width = f->width;
    enc->height = f->height;
    enc->pix_fmt = AV_PIX_FMT_RGB24;
    enc->time_base = (AVRational){1, 25};
    r = avcodec_open2(enc, enc->codec, NULL);
    if (r >= 0)
        r = avcodec_send_frame(enc, rgb);
    if (r >= 0)
        r = avcodec_receive_packet(enc, pkt);
    if (r < 0 || !(out = fopen(argv[3], "wb"))) {
        fprintf(stderr, "render_frame: cannot write '%s'\n", argv[3]);
        return 73;
    }
    fwrite(pkt->data, 1, (size_t)pkt->size, out);
    fclose(out);
    sws_freeContext(sws);
    av_packet_free(&pkt);
    av_frame_free(&f);
    av_frame_free(&rgb);
    avcodec_free_context(&dec);
    avcodec_free_context(&enc);
    avformat_close_input(&fmt);
    return 0;
}
