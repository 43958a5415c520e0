/*
 * caption.c - captions on YUV frames (caption.h).
 *
 * Placeholder until lib/text (branch image) is merged: it draws nothing.
 */
#include "caption.h"

#include <stdlib.h>

struct avk_captions {
    int unused;
};

int avk_captions_new(avk_captions **out, const avk_render_job *job,
                     int width, int height, const avk_cue *cues,
                     size_t ncues, avk_err *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}

void avk_captions_free(avk_captions *c)
{
    free(c);
}

int avk_captions_draw(avk_captions *c, double t, AVFrame *f, avk_err *err)
{
    return 0;
}

int avk_captions_title(avk_captions *c, const char *text, AVFrame *f,
                       avk_err *err)
{
    return 0;
}
