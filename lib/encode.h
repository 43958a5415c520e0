/*
 * encode.h - the MP4 writer: H.264 (libx264 or a hardware encoder with a
 * fallback to libx264; VAAPI frames uploaded, QSV ones in NV12) and AAC-LC
 * through libavcodec, muxed by libavformat with the moov atom first
 * (+faststart).
 *
 * Video frames are YUV420P of the configured size, timed by their index at
 * a constant frame rate; audio is interleaved float stereo at 48 kHz, any
 * chunk size (the writer cuts it into encoder frames).  The writer writes to the
 * path it is given: the caller picks a temporary name and renames it.
 */
#ifndef AVK_ENCODE_H
#define AVK_ENCODE_H

#include <stddef.h>

#include <libavutil/frame.h>

#include "err.h"

typedef struct avk_encode_opts {
    const char *path;
    int width, height, fps;
    const char *encoder; /* NULL: libx264 */
    int crf;             /* 0: 23 (libx264); quality target otherwise */
    const char *preset;  /* NULL: veryfast (libx264 only) */
    int gop;             /* 0: fps/2; always closed */
    int threads;         /* 0: automatic */
    int audio;           /* add an AAC stream */
    int audio_bitrate;   /* 0: 128000 */
    void (*warn)(void *ud, const char *msg);
    void *ud;
} avk_encode_opts;

typedef struct avk_encoder avk_encoder;

/* Open the encoders and write the header.  Fails with AVK_EX_CANTCREAT
   (path), AVK_EX_SOFTWARE (no usable encoder), AVK_EX_OSERR.  *out is
   freed with avk_encoder_free (which also closes an unfinished file). */
int avk_encoder_open(avk_encoder **out, const avk_encode_opts *o,
                     avk_err *err);
/* The name of the video encoder actually in use ("libx264"...). */
const char *avk_encoder_video_name(const avk_encoder *e);
const char *avk_encoder_video_codec(const avk_encoder *e);
/* Encode one frame (it is only read; it may be reused right after). */
int avk_encoder_video(avk_encoder *e, const AVFrame *frame, avk_err *err);
/* Encode n interleaved stereo frames (any n, including 0). */
int avk_encoder_audio(avk_encoder *e, const float *stereo, size_t n,
                      avk_err *err);
/* Seconds of audio handed over so far. */
double avk_encoder_audio_time(const avk_encoder *e);
/* Flush both encoders and write the trailer (moving moov to the front). */
int avk_encoder_finish(avk_encoder *e, avk_err *err);
void avk_encoder_free(avk_encoder *e);

#endif
