/*
 * motion.h - Ken Burns motion and scene transitions on YUV420P frames.
 *
 * A still is held as a working image that covers the output frame scaled
 * by AVK_MOTION_ZMAX.  Each output frame is a view (a rectangle of the
 * output's aspect inside the working image) resampled with a bilinear
 * filter straight into the YUV planes of the output: no RGB round trip and
 * no full-size work per frame.  Transitions combine two finished frames.
 */
#ifndef AVK_MOTION_H
#define AVK_MOTION_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

/* How much larger than the frame a still's working image is. */
#define AVK_MOTION_ZMAX 1.15

typedef struct avk_view {
    double x, y, w, h; /* in luma pixels of the working image */
} avk_view;

/*
 * The view of motion (AVK_MOTION_*, not AUTO) at progress p in [0,1] over
 * an img_w x img_h working image for an out_w x out_h frame.  extra > 1
 * zooms further in around the view's centre (used by zoom transitions).
 */
void avk_motion_view(int motion, double p, int img_w, int img_h, int out_w,
                     int out_h, double extra, avk_view *v);

/* Scratch memory for the sampler; caller-owned, _init/_release. */
typedef struct avk_sampler {
    int32_t *xi;
    uint16_t *xw;
    uint16_t *row;
    size_t cap_x, cap_row;
} avk_sampler;

void avk_sampler_init(avk_sampler *s);
void avk_sampler_release(avk_sampler *s);

/* Resample view v of src into all of dst (both YUV420P).  Returns 0, or
   AVK_EX_OSERR when scratch memory cannot be grown. */
int avk_motion_sample(avk_sampler *s, AVFrame *dst, const AVFrame *src,
                      const avk_view *v);

/* dst = a * (1 - w) + b * w with w = w256 / 256; dst may be a or b. */
void avk_blend_frames(AVFrame *dst, const AVFrame *a, const AVFrame *b,
                      int w256);

/* a becomes itself pushed out to the left by b entering from the right,
   at progress p in [0,1] (eased); a and b must differ. */
void avk_slide_frames(AVFrame *a, const AVFrame *b, double p);

#endif
