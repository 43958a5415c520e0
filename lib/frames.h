/*
 * frames.h - decoding of the render's visual inputs with libavformat and
 * libavcodec: stills (decoded once, scaled once to a YUV 4:2:0 working
 * image) and video clips (decoded frame by frame, cropped to fill the
 * output, looped to any length).
 *
 * Every file is opened through the "file" protocol only, with image
 * sequence patterns off, so a path is always just a path ('%', ':' and
 * the like are data).  All frames handed out are AV_PIX_FMT_YUV420P, BT.709,
 * limited range, with even dimensions.
 */
#ifndef AVK_FRAMES_H
#define AVK_FRAMES_H

#include <libavutil/frame.h>

#include "buf.h"
#include "err.h"

/*
 * Decode the first picture of path and scale it so that it covers
 * cover_w x cover_h, keeping its aspect (one side equals the cover size,
 * the other is at least as large).  *out is a new frame the caller frees
 * with av_frame_free.  Fails with AVK_EX_NOINPUT (cannot open),
 * AVK_EX_DATAERR (no picture, cannot decode), AVK_EX_OSERR.
 */
int avk_still_load(const char *path, int cover_w, int cover_h,
                         AVFrame **out, avk_err *err);

/* Open path through the file protocol only; fmt is freed by the caller
   with avformat_close_input.  Shared by the decoders in lib/. */
struct AVFormatContext;
int avk_input_open(const char *path, struct AVFormatContext **fmt,
                         avk_err *err);

/* A video clip cropped to fill width x height and looped forever. */
typedef struct avk_clip avk_clip;

/* Open a clip; fails like avk_still_load.  *out is freed with
   avk_clip_free. */
int avk_clip_open(avk_clip **out, const char *path, int width, int height,
                  avk_err *err);
/* Copy the picture shown at t seconds from the clip's start (looping)
   into dst, a writable YUV420P frame of the clip's size.  t must not
   decrease between calls.  Fails with AVK_EX_DATAERR. */
int avk_clip_frame(avk_clip *c, double t, AVFrame *dst, avk_err *err);
void avk_clip_free(avk_clip *c);

/* A new writable YUV420P frame of w x h (black); NULL when out of memory. */
AVFrame *avk_yuv_frame_new(int w, int h);

/* Save a YUV420P frame as a JPEG (quality about 90), atomically.  Fails
   with AVK_EX_CANTCREAT/AVK_EX_IOERR, AVK_EX_SOFTWARE, AVK_EX_OSERR. */
int avk_yuv_save_jpeg(const char *path, const AVFrame *frame, avk_err *err);
/* The same JPEG into out (reset first); AVK_EX_SOFTWARE or AVK_EX_OSERR. */
int avk_yuv_encode_jpeg(const AVFrame *frame, avk_buf *out, avk_err *err);

#endif
