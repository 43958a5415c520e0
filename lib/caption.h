/*
 * caption.h - captions drawn onto YUV420P frames: each cue's layout is
 * rendered once per change (cue or highlighted word) into a small RGBA
 * overlay with lib/text, converted once to premultiplied YUVA, and blended
 * per frame over its bounding box only.
 *
 * One avk_captions belongs to one thread (it owns its fonts).
 */
#ifndef AVK_CAPTION_H
#define AVK_CAPTION_H

#include <stddef.h>

#include <libavutil/frame.h>

#include "err.h"
#include "render.h"
#include "subs.h"

typedef struct avk_captions avk_captions;

/* Prepare captions for a width x height video from job's words, mode and
   style; cues are borrowed and must outlive the object.  Fails with
   AVK_EX_CONFIG (no fonts), AVK_EX_OSERR. */
int avk_captions_new(avk_captions **out, const avk_render_job *job,
                     int width, int height, const avk_cue *cues,
                     size_t ncues, avk_err *err);
void avk_captions_free(avk_captions *c);

/* Draw the caption showing at t (if any) onto f. */
int avk_captions_draw(avk_captions *c, double t, AVFrame *f, avk_err *err);

/* Draw text large in the middle of f (thumbnail titles). */
int avk_captions_title(avk_captions *c, const char *text, AVFrame *f,
                       avk_err *err);

#endif
