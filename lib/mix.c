/*
 * mix.c - narration + ducked music bed, loudness-normalised (mix.h).
 *
 * Invariants: the mix is exactly llround(duration * 48000) stereo frames;
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

/* The music bed of n frames into planar ml/mr; 0 or an error. */
static int make_bed(const avk_render_job *job, size_t n, float *ml,
                    float *mr, avk_err *err)
{
    avk_pcm f;
    float *tmp;
    size_t i;
    int r, c;

    if (!job->music_path) {
        avk_music_synth(ml, mr, n, AVK_MIX_RATE, job->music_mood, job->seed);
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
    tmp = malloc(f.frames * sizeof *tmp);
    if (!tmp) {
        avk_pcm_release(&f);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    for (c = 0; c < 2; c++) {
        for (i = 0; i < f.frames; i++)
            tmp[i] = f.data[2 * i + (size_t)c];
        avk_music_loop(c ? mr : ml, n, tmp, f.frames, AVK_MIX_RATE);
    }
    free(tmp);
    avk_pcm_release(&f);
    return 0;
}

/* Integrated loudness of planar stereo, via an interleaved copy. */
static double planar_lufs(const float *l, const float *r, size_t n)
{
    avk_pcm p;
    avk_loudness lo;
    double v = -INFINITY;
    size_t i;

    avk_pcm_init(&p);
    if (avk_pcm_alloc(&p, n, 2, AVK_MIX_RATE))
        return v;
    for (i = 0; i < n; i++) {
        p.data[2 * i] = l[i];
        p.data[2 * i + 1] = r[i];
    }
    if (!avk_loudness_measure(&p, &lo))
        v = lo.integrated_lufs;
    avk_pcm_release(&p);
    return v;
}

int avk_mix_build(const avk_render_job *job, double duration, avk_mix *out,
                  avk_err *err)
{
    avk_pcm voice, mixp;
    avk_loudness lo;
    float *ml = NULL, *mr = NULL;
    size_t n = (size_t)llround(duration * AVK_MIX_RATE), i;
    int music = job->music_path || job->music_synth, r;
    double vl = -INFINITY;

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
        double ml_lufs, g;
        ml = calloc(n, sizeof *ml);
        mr = calloc(n, sizeof *mr);
        if (!ml || !mr) {
            r = avk_fail(err, AVK_EX_OSERR, "out of memory");
            goto fail;
        }
        if ((r = make_bed(job, n, ml, mr, err)))
            goto fail;
        /* Level the bed against the narration (mono voice counts once
           in each channel of the mix, hence +3 dB). */
        ml_lufs = planar_lufs(ml, mr, n);
        g = 1.0;
        if (isfinite(ml_lufs) && isfinite(vl)) {
            double bed = job->music_gain_db != 0.0 ? job->music_gain_db
                                                   : DEFAULT_BED_DB;
            g = pow(10.0, (vl + 3.0 + bed - ml_lufs) / 20.0);
        } else if (isfinite(ml_lufs) && job->music_gain_db != 0.0) {
            g = pow(10.0, job->music_gain_db / 20.0);
        }
        if (voice.frames)
            avk_music_duck(ml, mr, n, voice.data, voice.frames, AVK_MIX_RATE,
                           DUCK_DB);
        for (i = 0; i < n; i++) {
            mixp.data[2 * i] = (float)(ml[i] * g);
            mixp.data[2 * i + 1] = (float)(mr[i] * g);
        }
    }
    for (i = 0; i < n && i < voice.frames; i++) {
        mixp.data[2 * i] += voice.data[i];
        mixp.data[2 * i + 1] += voice.data[i];
    }
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
    free(ml);
    free(mr);
    ml = mr = NULL;
    avk_pcm_release(&voice);
    out->s16 = malloc((n ? n : 1) * 2 * sizeof *out->s16);
    if (!out->s16) {
        r = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto fail;
    }
    for (i = 0; i < 2 * n; i++) {
        float v = mixp.data[i] * 32767.0f;
        out->s16[i] = (int16_t)lrintf(v > 32767.0f ? 32767.0f
                                      : v < -32768.0f ? -32768.0f : v);
    }
    out->frames = n;
    avk_pcm_release(&mixp);
    return 0;
fail:
    free(ml);
    free(mr);
    avk_pcm_release(&voice);
    avk_pcm_release(&mixp);
    avk_mix_release(out);
    return r;
}
