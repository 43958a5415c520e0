/*
 * audio.h - PCM buffers, decoding, WAV/FLAC writing and loudness
 * (ITU-R BS.1770-4 / EBU R128) shared by av-voice and av-render.
 *
 * An avk_pcm holds interleaved 32-bit float samples, nominally in
 * [-1, 1]; frames * channels floats are valid.  It is caller-owned:
 * avk_pcm_init() before use, avk_pcm_release() after (release leaves it
 * initialised and empty, so it may be reused).  Functions that fill an
 * avk_pcm release its previous contents first, and leave it empty on
 * failure.
 *
 * Every fallible function returns 0 or an AVK_EX_* code and fills the
 * optional avk_err.  The FFmpeg-based functions silence FFmpeg's own
 * logging (library code never prints).
 */
#ifndef AVK_AUDIO_H
#define AVK_AUDIO_H

#include <stddef.h>

#include "err.h"

typedef struct avk_pcm {
    float *data; /* interleaved; frames * channels samples */
    size_t frames;
    int channels;
    int rate;
    size_t cap; /* allocated frames (internal) */
} avk_pcm;

void avk_pcm_init(avk_pcm *p);
void avk_pcm_release(avk_pcm *p);
/* Replace p's contents with frames zeroed frames; 0, AVK_EX_OSERR, or
 * AVK_EX_SOFTWARE for channels outside 1..8 or a rate <= 0. */
int avk_pcm_alloc(avk_pcm *p, size_t frames, int channels, int rate);
/* Append n frames (n * p->channels floats) to p, growing it; p must have
 * channels and rate set (by avk_pcm_alloc, possibly with 0 frames).
 * 0 or AVK_EX_OSERR (p unchanged). */
int avk_pcm_append(avk_pcm *p, const float *frames, size_t n);
/* Append n frames of silence; 0 or AVK_EX_OSERR. */
int avk_pcm_append_silence(avk_pcm *p, size_t n);
/* Duration in seconds. */
double avk_pcm_duration(const avk_pcm *p);

/* Decode the first audio stream of any file libavformat reads, converted
 * to rate Hz and channels channels (libswresample).  Fails with
 * AVK_EX_NOINPUT for a missing file, AVK_EX_DATAERR for an empty,
 * corrupt or audio-less file, AVK_EX_OSERR when out of memory. */
int avk_audio_decode(const char *path, int rate, int channels, avk_pcm *out,
                     avk_err *err);
/* The same for an in-memory file (e.g. an HTTP reply body); data is only
 * borrowed for the duration of the call. */
int avk_audio_decode_mem(const void *data, size_t len, int rate,
                         int channels, avk_pcm *out, avk_err *err);
/* Resample p in place to rate Hz (channels unchanged); 0 or an error. */
int avk_pcm_resample(avk_pcm *p, int rate, avk_err *err);

/* Write 16-bit PCM WAV (samples clipped to [-1, 1]), atomically: the file
 * appears complete or not at all.  AVK_EX_CANTCREAT/AVK_EX_IOERR on
 * write trouble, AVK_EX_DATAERR for an empty or unset buffer. */
int avk_audio_write_wav(const char *path, const avk_pcm *p, avk_err *err);
/* Write FLAC (16-bit, libavcodec's encoder), atomically; as above. */
int avk_audio_write_flac(const char *path, const avk_pcm *p, avk_err *err);

/* Loudness figures.  integrated_lufs is -INFINITY (likewise the peaks)
 * when no 400 ms block passes the -70 LUFS absolute gate: silence, or a
 * signal shorter than 400 ms.  lra is 0 when fewer than two 3 s windows
 * pass the gates. */
typedef struct avk_loudness {
    double integrated_lufs;
    double true_peak_dbtp;   /* 4x oversampled, BS.1770-4 Annex 2 style */
    double sample_peak_dbfs;
    double lra;              /* loudness range, EBU Tech 3342, in LU */
} avk_loudness;

/* Measure p (1..8 channels; channel weights 1.0, and 1.41 for the
 * surround channels 4 and 5 of 5.1, with 3 (LFE) excluded).  0, or
 * AVK_EX_OSERR / AVK_EX_DATAERR for an unset buffer. */
int avk_loudness_measure(const avk_pcm *p, avk_loudness *out);
/* Apply a gain taking p to target_lufs; when the result's true peak would
 * exceed max_true_peak_dbtp, a look-ahead peak limiter (5 ms look-ahead,
 * smooth attack, 50 ms release) reduces only the peaks.  Silent input is
 * left untouched.  after (optional) receives the new measurement.
 * 0, AVK_EX_OSERR or AVK_EX_DATAERR. */
int avk_loudness_normalize(avk_pcm *p, double target_lufs,
                           double max_true_peak_dbtp, avk_loudness *after);
/* RMS over all channels of [start_s, end_s) (clamped to the buffer), in
 * dBFS (a full-scale square wave is 0); -INFINITY for digital silence or
 * an empty range. */
double avk_pcm_rms_dbfs(const avk_pcm *p, double start_s, double end_s);

#endif
