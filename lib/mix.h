/*
 * mix.h - the render's soundtrack: narration decoded to 48 kHz, a music
 * bed (a looped file or the synthesised pad) ducked under the speech, both
 * mixed to stereo and the whole mix normalised to a loudness target with
 * a true-peak ceiling.
 *
 * The soundtrack is held whole, because integrated loudness needs the
 * complete mix: as float while it is built (with the mono narration: 12
 * bytes per frame at most), then as 16-bit stereo until it is encoded.
 */
#ifndef AVK_MIX_H
#define AVK_MIX_H

#include <stddef.h>
#include <stdint.h>

#include "audio.h"
#include "err.h"
#include "render.h"

#define AVK_MIX_RATE 48000

typedef struct avk_mix {
    int16_t *s16;           /* interleaved stereo at AVK_MIX_RATE */
    size_t frames;
    double lufs, true_peak; /* after normalisation */
} avk_mix;

void avk_mix_init(avk_mix *m);
void avk_mix_release(avk_mix *m);

/* Decode the narration of job to 48 kHz mono; *seconds gets its length.
   Fails with AVK_EX_NOINPUT, AVK_EX_DATAERR (including no audio at all). */
int avk_mix_narration_seconds(const char *path, double *seconds,
                              avk_err *err);

/*
 * Build the soundtrack of job, exactly duration seconds long.  Without
 * narration or music the track is silent.  Fails like
 * avk_mix_narration_seconds, AVK_EX_OSERR when out of memory.
 */
int avk_mix_build(const avk_render_job *job, double duration, avk_mix *out,
                  avk_err *err);

#endif
