/*
 * mkclip - write a tiny test video: mkclip FILE.mp4 [WIDTH HEIGHT FRAMES].
 * MPEG-4 Part 2 at 10 frames per second, a moving gradient, no audio.
 * For tests that need a real clip without shipping one.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

static int drain(AVCodecContext *cc, AVFormatContext *fc, AVStream *st,
                 AVPacket *pkt)
{
    int r;

    while ((r = avcodec_receive_packet(cc, pkt)) == 0) {
        av_packet_rescale_ts(pkt, cc->time_base, st->time_base);
        pkt->stream_index = st->index;
        if (av_interleaved_write_frame(fc, pkt) < 0)
            return -1;
    }
    return r == AVERROR(EAGAIN) || r == AVERROR_EOF ? 0 : -1;
}

int main(int argc, char **argv)
{
    int w = argc > 3 ? atoi(argv[2]) : 64, h = argc > 3 ? atoi(argv[3]) : 48;
    int n = argc > 4 ? atoi(argv[4]) : 20, i, x, y;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    AVFormatContext *fc = NULL;
    AVCodecContext *cc;
    AVStream *st;
    AVFrame *fr;
    AVPacket *pkt;

    if (argc < 2 || !codec || w < 16 || h < 16 || n < 1) {
        fprintf(stderr, "usage: mkclip FILE.mp4 [WIDTH HEIGHT FRAMES]\n");
        return 64;
    }
    av_log_set_level(AV_LOG_ERROR);
    if (avformat_alloc_output_context2(&fc, NULL, "mp4", argv[1]) < 0)
        return 1;
    st = avformat_new_stream(fc, NULL);
    cc = avcodec_alloc_context3(codec);
    fr = av_frame_alloc();
    pkt = av_packet_alloc();
    if (!st || !cc || !fr || !pkt)
        return 1;
    cc->width = w;
    cc->height = h;
    cc->pix_fmt = AV_PIX_FMT_YUV420P;
    cc->time_base = (AVRational){1, 10};
    cc->framerate = (AVRational){10, 1};
    cc->gop_size = 10;
    if (fc->oformat->flags & AVFMT_GLOBALHEADER)
        cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(cc, codec, NULL) < 0 ||
        avcodec_parameters_from_context(st->codecpar, cc) < 0)
        return 1;
    st->time_base = cc->time_base;
    if (avio_open(&fc->pb, argv[1], AVIO_FLAG_WRITE) < 0 ||
        avformat_write_header(fc, NULL) < 0)
        return 1;
    fr->format = cc->pix_fmt;
    fr->width = w;
    fr->height = h;
    if (av_frame_get_buffer(fr, 0) < 0)
        return 1;
    for (i = 0; i < n; i++) {
        if (av_frame_make_writable(fr) < 0)
            return 1;
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++)
                fr->data[0][y * fr->linesize[0] + x] = (uint8_t)(x * 3 + i * 8);
        for (y = 0; y < h / 2; y++)
            for (x = 0; x < w / 2; x++) {
                fr->data[1][y * fr->linesize[1] + x] = (uint8_t)(128 + y);
                fr->data[2][y * fr->linesize[2] + x] = (uint8_t)(64 + i * 4);
            }
        fr->pts = i;
        if (avcodec_send_frame(cc, fr) < 0 || drain(cc, fc, st, pkt))
            return 1;
    }
    if (avcodec_send_frame(cc, NULL) < 0 || drain(cc, fc, st, pkt) ||
        av_write_trailer(fc) < 0)
        return 1;
    avio_closep(&fc->pb);
    avformat_free_context(fc);
    avcodec_free_context(&cc);
    av_frame_free(&fr);
    av_packet_free(&pkt);
    return 0;
}
