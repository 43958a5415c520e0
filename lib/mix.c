/*
 * mix.c - narration + ducked music bed, loudness-normalised (mix.h).
 *
 * Invariants: the mix is exactly llround(duration * 48000) stereo frames;
 * at most the mono narration and the float stereo mix are held at once
 * (12 bytes per frame, about 0.55 MB per second);
 * narration sits in the centre at its own level, the bed is set relative
 * to the narration's loudness and ducked under it; the final gain (and the
 * true-peak limiter) is applied to the whole mix by lib/audio.
 */
#include "mix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "music.h"

#define DUCK_DB 9.0
#define DEFAULT_BED_DB (-16.0)

void avk_mix_init(avk_mix *m)
{
    m->s16 = NULL;
    m->frames = 0;
    m->lufs = m->true_peak = -INFINITY;
}

void avk_mix_release(avk_mix *m)
{
    free(m->s16);
    m->s16 = NULL;
    m->frames = 0;
}

static int decode_voice(const char *path, avk_pcm *v, avk_err *err)
{
    int r = avk_audio_decode(path, AVK_MIX_RATE, 1, v, err);

    if (r)
        return r;
    if (v->frames == 0)
        return avk_fail(err, AVK_EX_DATAERR, "no audio in '%s'", path);
    return 0;
}

int avk_mix_narration_seconds(const char *path, double *seconds,
                              avk_err *err)
{
    avk_pcm v;
    int r;

    avk_pcm_init(&v);
    r = decode_voice(path, &v, err);
    *seconds = r ? 0.0 : avk_pcm_duration(&v);
    avk_pcm_release(&v);
    return r;
}

/* The music bed of n frames into out (interleaved stereo, n frames). */
static int make_bed(const avk_render_job *job, size_t n, float *out,
                    avk_err *err)
{
    avk_pcm f;
    int r;

    if (!job->music_path) {
        avk_music_synth(out, n, AVK_MIX_RATE, job->music_mood, job->seed);
        return 0;
    }
    avk_pcm_init(&f);
    if ((r = avk_audio_decode(job->music_path, AVK_MIX_RATE, 2, &f, err)))
        return r;
    if (!f.frames) {
        avk_pcm_release(&f);
        return avk_fail(err, AVK_EX_DATAERR, "no audio in '%s'",
                        job->music_path);
    }
    avk_music_loop(out, n, f.data, f.frames, AVK_MIX_RATE);
    avk_pcm_release(&f);
    return 0;
}

int avk_mix_build(const avk_render_job *job, double duration, avk_mix *out,
                  avk_err *err)
{
    avk_pcm voice, mixp;
    avk_loudness lo;
    size_t n = (size_t)llround(duration * AVK_MIX_RATE), i;
    int music = job->music_path || job->music_synth, r;
    double vl = -INFINITY;

    /* Memory: the mono narration and the stereo mix, built in place (the
       bed first, measured, scaled, ducked, then the voice added). */
    avk_pcm_init(&voice);
    avk_pcm_init(&mixp);
    avk_mix_release(out);
    if (job->narration_path &&
        (r = decode_voice(job->narration_path, &voice, err)))
        goto fail;
    if ((r = avk_pcm_alloc(&mixp, n, 2, AVK_MIX_RATE))) {
        avk_fail(err, r, "out of memory");
        goto fail;
    }
    if (voice.frames && !avk_loudness_measure(&voice, &lo))
        vl = lo.integrated_lufs;
    if (music && n) {
        double bl = -INFINITY, g = 1.0;
        if ((r = make_bed(job, n, mixp.data, err)))
            goto fail;
        if (!avk_loudness_measure(&mixp, &lo))
            bl = lo.integrated_lufs;
        /* Level the bed against the narration (mono voice counts once
           in each channel of the mix, hence +3 dB). */
        if (isfinite(bl) && isfinite(vl)) {
            double bed = job->music_gain_db != 0.0 ? job->music_gain_db
                                                   : DEFAULT_BED_DB;
            g = pow(10.0, (vl + 3.0 + bed - bl) / 20.0);
        } else if (isfinite(bl) && job->music_gain_db != 0.0) {
            g = pow(10.0, job->music_gain_db / 20.0);
        }
        for (i = 0; i < 2 * n; i++)
            mixp.data[i] = (float)(mixp.data[i] * g);
        if (voice.frames)
            avk_music_duck(mixp.data, n, voice.data, voice.frames,
                           AVK_MIX_RATE, DUCK_DB);
    }
    for (i = 0; i < n && i < voice.frames; i++) {
        mixp.data[2 * i] += voice.data[i];
        mixp.data[2 * i + 1] += voice.data[i];
    }
    avk_pcm_release(&voice);
    if (n) {
        double target = job->target_lufs != 0.0 ? job->target_lufs : -14.0;
        double tp = job->max_true_peak != 0.0 ? job->max_true_peak : -1.0;
        if ((r = avk_loudness_normalize(&mixp, target, tp, &lo))) {
            avk_fail(err, r, "cannot normalise the mix");
            goto fail;
        }
        out->lufs = lo.integrated_lufs;
        out->true_peak = lo.true_peak_dbtp;
    }
    /* To 16 bits in place: sample i is written at byte 2i after it was
       read from byte 4i, so nothing is overwritten before it is read. */
    {
        int16_t *d = (int16_t *)(void *)mixp.data;
        int16_t *shrunk;
        for (i = 0; i < 2 * n; i++) {
            float v = mixp.data[i] * 32767.0f;
            d[i] = (int16_t)lrintf(v > 32767.0f ? 32767.0f
                                   : v < -32768.0f ? -32768.0f : v);
        }
        shrunk = realloc(d, (n ? n : 1) * 2 * sizeof *shrunk);
        out->s16 = shrunk ? shrunk : d;
        mixp.data = NULL; /* now owned by out */
        mixp.frames = 0;
    }
    out->frames = n;
    avk_pcm_release(&mixp);
    return 0;
fail:
    avk_pcm_release(&voice);
    avk_pcm_release(&mixp);
    avk_mix_release(out);
    return r;
}
