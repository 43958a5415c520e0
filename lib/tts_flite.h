/*
 * tts_flite.h - English speech with word timings from libflite (CMU
 * Flite), the offline alternative to espeak-ng for English.
 *
 * Same outputs as avk_tts_espeak() (tts.h): 48 kHz mono audio, resampled
 * with libswresample and loudness-normalised like every other provider;
 * one avk_word per word of the input as written (punctuation attached,
 * emoji-only tokens joined to the preceding word); each scene's span.
 * Word times come from flite's own segment timings, so they match the
 * audio it produced; they are monotonic and inside the audio.
 */
#ifndef AVK_TTS_FLITE_H
#define AVK_TTS_FLITE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "tts.h"

/* 1 when name is one of the built-in flite voices: "slt" (female, US),
 * "rms" (male, US), "awb" (male, Scottish), "kal" (male, US, 8 kHz
 * diphone); else 0. */
int avk_tts_flite_has_voice(const char *name);

/* The voice names, comma separated ("slt, rms, awb, kal"), for
 * messages. */
const char *avk_tts_flite_voices(void);

/* 1 when flite can speak language tag lang (en, en-US, en_GB, ...; NULL
 * counts as en), else 0. */
int avk_tts_flite_lang_ok(const char *lang);

/* The text flite is given for text (emoji dropped, typographic
 * punctuation made ASCII, accents removed, a few abbreviations that flite
 * misreads spelled out: "e.g.", "vs.", "&", "#1", "10x", "~5", "10k"),
 * into out (reset first); flite reads numbers, amounts and most
 * abbreviations itself.  AVK_EX_DATAERR for invalid UTF-8, AVK_EX_OSERR. */
int avk_tts_flite_text(const char *text, avk_buf *out, avk_err *err);

/* Speak scenes[0..nscenes) like avk_tts_espeak(): o->voice names the
 * flite voice (NULL: slt), o->lang must be English, o->style sets the
 * rate (professional 165, energetic 185, calm 140 words per minute, via
 * flite's duration_stretch) and the pitch (via int_f0_target_mean; the
 * rms voice ignores it), o->rate_wpm (80..450) and o->pitch (1..100, 50
 * is the voice's own) override them.  A scene without speakable words
 * becomes 0.25 s of silence.  Fails with AVK_EX_DATAERR for an unknown
 * voice or style, a rate or pitch out of range or text that is not UTF-8;
 * AVK_EX_UNAVAILABLE for a language other than English or when flite
 * reports an internal error; AVK_EX_OSERR.  Thread-safe: calls are
 * serialised (flite keeps its voices and lexicon in process-wide
 * state); flite_init() runs once per process, and each call registers
 * its voice and unregisters it before returning.  The same text gives the
 * same audio: flite's noise comes from rand(), reseeded with srand(1)
 * before each scene. */
int avk_tts_flite(const avk_tts_opts *o, const char *const *scenes,
                  size_t nscenes, avk_pcm *out, avk_words *words,
                  double *scene_start, double *scene_end, avk_err *err);

#endif
