/*
 * music.h - the music bed: a synthesised pad (a soft chord progression that
 * follows a mood, seeded, any length, no clicks), looping of a music file
 * with a crossfade at the seam, and ducking under speech with a side-chain
 * envelope taken from the narration.
 *
 * Pure computation on float buffers; nothing here allocates except
 * avk_music_loop's result.  Levels are linear amplitudes in [-1, 1].
 */
#ifndef AVK_MUSIC_H
#define AVK_MUSIC_H

#include <stddef.h>
#include <stdint.h>

/* Known moods; an unknown or NULL mood is "warm". */
int avk_music_mood_known(const char *mood);

/*
 * Synthesise n stereo frames at rate Hz into stereo (interleaved, 2n
 * floats, written fully).  The same mood, seed, rate and n always give the
 * same samples.  The result peaks around 0.5 and fades in and out over
 * the first and last 1.5 s.
 */
void avk_music_synth(float *stereo, size_t n, int rate, const char *mood,
                     uint64_t seed);

/*
 * Fill dst (n interleaved stereo frames) by repeating src (m stereo
 * frames, m > 0) with a fade_n frame equal-power crossfade at every seam,
 * so the loop has no click.
 */
void avk_music_loop(float *dst, size_t n, const float *src, size_t m,
                    size_t fade_n);

/*
 * Duck stereo (n interleaved frames) under voice (nv mono frames, same
 * rate): a speech envelope (10 ms RMS, 30 ms attack, 300 ms release)
 * drives the music gain down by up to depth_db where speech is loud.
 */
void avk_music_duck(float *stereo, size_t n, const float *voice, size_t nv,
                    int rate, double depth_db);

#endif
