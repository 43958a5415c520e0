/*
 * image.h - the shared raster type and its file input/output.
 *
 * An avk_image is RGBA8 with premultiplied alpha: every colour byte is at
 * most its pixel's alpha byte.  Rows are `stride` bytes apart (stride >=
 * 4 * w).  The struct is caller-owned: avk_image_init() before use,
 * avk_image_release() after; the functions that fill an image release
 * whatever it held first, and on failure leave it empty.
 *
 * Decoding and encoding go through the FFmpeg libraries (libavformat and
 * libavcodec for the codecs, libswscale for conversion and scaling); files
 * are read by av itself and handed to libavformat as memory or through a
 * file descriptor, so a path is never interpreted as a URL, protocol or
 * image-sequence pattern.  FFmpeg may log to stderr through its own
 * av_log callback; commands choose its level, this module never changes it.
 */
#ifndef AVK_IMAGE_H
#define AVK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Largest width or height accepted anywhere (decoding, allocation). */
#define AVK_IMAGE_MAX_DIM 16384

typedef struct avk_image {
    uint8_t *px; /* RGBA8 premultiplied, h rows of stride bytes */
    int w, h, stride;
} avk_image;

void avk_image_init(avk_image *im);
void avk_image_release(avk_image *im);

/* Allocate a zeroed (fully transparent) w x h image.  Fails with
 * AVK_EX_DATAERR for a size outside 1..AVK_IMAGE_MAX_DIM, AVK_EX_OSERR when
 * out of memory. */
int avk_image_alloc(avk_image *im, int w, int h);

/* Fill every pixel with 0xRRGGBBAA (straight alpha; stored premultiplied). */
void avk_image_fill(avk_image *im, uint32_t rgba);

/* Decode the first frame of any still libavcodec knows (PNG, JPEG, WebP,
 * BMP, GIF, ...), turned upright by its EXIF orientation when it has one.
 * Empty, truncated or corrupt files fail with
 * AVK_EX_DATAERR, a missing file with AVK_EX_NOINPUT; out is then empty. */
int avk_image_load(const char *path, avk_image *out, avk_err *err);
int avk_image_load_mem(const void *data, size_t len, avk_image *out,
                       avk_err *err);

/* Encode as PNG (straight alpha) and write it atomically to path.
 * AVK_EX_CANTCREAT/AVK_EX_IOERR when the file cannot be written. */
int avk_image_save_png(const char *path, const avk_image *im, avk_err *err);
/* Encode as PNG into a newly allocated buffer (*data, caller frees). */
int avk_image_encode_png(const avk_image *im, uint8_t **data, size_t *len,
                         avk_err *err);
/* Encode as baseline JPEG, quality 1..100 (alpha composited over black). */
int avk_image_save_jpeg(const char *path, const avk_image *im, int quality,
                        avk_err *err);
/* The same into a newly allocated buffer (*data, caller frees). */
int avk_image_encode_jpeg(const avk_image *im, int quality, uint8_t **data,
                          size_t *len, avk_err *err);

/* Scale src to exactly w x h (Lanczos through libswscale). */
int avk_image_resize(const avk_image *src, int w, int h, avk_image *out,
                     avk_err *err);
/* Scale src to cover w x h keeping its aspect, then crop the centre. */
int avk_image_cover(const avk_image *src, int w, int h, avk_image *out,
                    avk_err *err);
/* Composite src over dst with its top-left at (x, y), clipped to dst;
 * opacity 0..1 multiplies src. */
void avk_image_blend(avk_image *dst, const avk_image *src, int x, int y,
                     float opacity);

enum {
    AVK_MEDIA_UNKNOWN = 0,
    AVK_MEDIA_IMAGE,
    AVK_MEDIA_VIDEO,
    AVK_MEDIA_AUDIO
};

typedef struct avk_media_info {
    int kind;          /* AVK_MEDIA_* */
    int width, height; /* of the first video stream; 0 when none */
    double duration;   /* seconds; 0 for stills or when unknown */
    char
        format[32]; /* container/demuxer name, e.g. "mov,mp4,...", "png_pipe" */
    char vcodec[32]; /* "" when no video stream */
    char acodec[32]; /* "" when no audio stream */
} avk_media_info;

/* Inspect a media file (reads headers and a little data).  Fails with
 * AVK_EX_NOINPUT when missing, AVK_EX_DATAERR when empty or not media. */
int avk_media_probe(const char *path, avk_media_info *info, avk_err *err);

/* Name of a kind: "image", "video", "audio" or "unknown". */
const char *avk_media_kind_name(int kind);

#endif
