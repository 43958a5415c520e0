/*
 * tts.h - text to speech with word timings (the espeak-ng engine; network
 * providers add their own avk_tts_* functions with the same outputs).
 *
 * Output: one avk_pcm (48 kHz mono, loudness-normalised), one avk_word per
 * spoken word of the input in order, and each scene's start and end time
 * in seconds.  Word times are monotonic (start <= end <= next start) and
 * inside the audio.  Word texts are the words as written (UTF-8, with the
 * punctuation attached to them); see tts_espeak.c for what counts as a
 * word (emoji-only tokens are joined to the preceding word).
 */
#ifndef AVK_TTS_H
#define AVK_TTS_H

#include <stddef.h>

#include "audio.h"
#include "buf.h"
#include "err.h"

typedef struct avk_word {
    char *text; /* owned by the avk_words */
    double start, end;
    int scene;
} avk_word;

typedef struct avk_words {
    avk_word *v;
    size_t n, cap;
} avk_words;

void avk_words_init(avk_words *w);
/* Frees every text; leaves w initialised and empty. */
void avk_words_release(avk_words *w);
/* Append a copy of text[0..len); 0 or AVK_EX_OSERR (w unchanged). */
int avk_words_add(avk_words *w, const char *text, size_t len, double start,
                  double end, int scene);

typedef struct avk_tts_opts {
    const char *lang;  /* BCP 47-ish: "en", "en-GB", "pt-BR", ... (NULL: en) */
    const char *voice; /* engine voice, overrides lang's ("en-gb+f3") */
    int rate_wpm;      /* 0: the style's rate; else 80..450 */
    int pitch;         /* 0: the style's pitch; else 1..100 (50 normal) */
    const char *style; /* professional (NULL), energetic, calm */
    double scene_pause_s;      /* silence between scenes; < 0: 0.4 s */
    double target_lufs;        /* 0: -16 LUFS */
    double max_true_peak_dbtp; /* 0: -1.5 dBTP */
} avk_tts_opts;

/* The defaults above, spelled out. */
void avk_tts_opts_init(avk_tts_opts *o);

/* espeak-ng voice name for a language tag, or NULL when unknown. */
const char *avk_tts_espeak_voice(const char *lang);
/* 1 when espeak-ng has a voice called name ("en-gb", "en-us+f3"), else 0
 * (also when espeak-ng cannot start). */
int avk_tts_espeak_has_voice(const char *name);

/* The text the engine is given for text in language lang (emoji dropped,
 * abbreviations and amounts spelled out), into out (reset first); for
 * tests and --dry-run style diagnostics.  AVK_EX_DATAERR for an unknown
 * language or invalid UTF-8, AVK_EX_OSERR. */
int avk_tts_speech_text(const char *lang, const char *text, avk_buf *out,
                        avk_err *err);

/* Speak scenes[0..nscenes) in order with opts->scene_pause_s between
 * them.  out receives 48 kHz mono audio (previous contents released);
 * words (optional) is emptied and receives the words; scene_start and
 * scene_end (optional, nscenes entries each) receive each scene's span.
 * A scene without speakable words (punctuation, emoji, empty) becomes
 * 0.25 s of silence.  Fails with AVK_EX_DATAERR for an unknown language,
 * voice or style, a rate or pitch out of range, or text that is not
 * UTF-8; AVK_EX_UNAVAILABLE when espeak-ng cannot start; AVK_EX_OSERR.
 * Thread-safe (calls are serialised: espeak-ng has global state). */
int avk_tts_espeak(const avk_tts_opts *o, const char *const *scenes,
                   size_t nscenes, avk_pcm *out, avk_words *words,
                   double *scene_start, double *scene_end, avk_err *err);

/* ---- network providers (tts_eleven.c, tts_openai.c, align.c) ----
 *
 * One HTTP request per scene; the scenes' audio is joined with
 * scene_pause_s of silence in between and normalised once, exactly like
 * the espeak path.  Every reply goes through avk_audio_decode_mem (any
 * container FFmpeg reads, resampled to 48 kHz mono); an empty, truncated
 * or corrupt reply is an error.  With a store and a workspace, each
 * scene's decoded audio (before normalisation) is cached as a WAV asset
 * keyed by provider, base URL, model, voice, text and the parameters
 * that change the sound (never the key); a hit makes no request.
 * ElevenLabs word times come from the reply's character alignment;
 * OpenAI replies carry none, so words are placed with avk_align_words()
 * from espeak-ng's timing of the same text.
 */
typedef struct avk_http_opts avk_http_opts;
typedef struct avk_store avk_store;

typedef struct avk_tts_net {
    const char *base_url; /* required: "https://api.elevenlabs.io" or
                             "https://api.openai.com/v1" */
    const char *api_key;  /* borrowed secret; NULL/"" = none (openai-
                             compatible local servers need none) */
    const char *key_var;  /* variable named in auth errors
                             ("ELEVENLABS_API_KEY") */
    const char *model;    /* NULL: eleven_multilingual_v2 / tts-1 */
    const char *voice;    /* voice id / name; NULL: a default */
    const char *format;   /* output_format / response_format; NULL:
                             mp3_44100_128 / wav */
    double speed;         /* openai 0.25..4 (0: 1.0) */
    const char *lang;     /* for the alignment's espeak-ng timing */
    double scene_pause_s; /* < 0: 0.4 s */
    double target_lufs, max_true_peak_dbtp; /* 0: -16 / -1.5 */
    const avk_http_opts *http; /* NULL: defaults */
    avk_store *store;     /* optional cache (with ws_root) */
    const char *ws_root;
    int requests, cache_hits; /* out: counted per scene */
} avk_tts_net;

/* Initialise n with the defaults above (all pointers NULL). */
void avk_tts_net_init(avk_tts_net *n);

/* Speak scenes with ElevenLabs' /v1/text-to-speech/{voice}/with-timestamps
 * or OpenAI's /audio/speech; outputs as avk_tts_espeak().  Fails with
 * AVK_EX_CONFIG (no base URL or key, naming key_var), AVK_EX_NOPERM (401/403,
 * the message names key_var, never the key), AVK_EX_TEMPFAIL (429/5xx or
 * transport trouble after the retries), AVK_EX_DATAERR (an empty, corrupt
 * or truncated reply, bad alignment), AVK_EX_UNAVAILABLE, AVK_EX_OSERR.
 * Nothing is cached for a failed scene. */
int avk_tts_elevenlabs(avk_tts_net *n, const char *const *scenes,
                       size_t nscenes, avk_pcm *out, avk_words *words,
                       double *scene_start, double *scene_end, avk_err *err);
int avk_tts_openai(avk_tts_net *n, const char *const *scenes,
                   size_t nscenes, avk_pcm *out, avk_words *words,
                   double *scene_start, double *scene_end, avk_err *err);

/* Word timings for audio that has none: ref holds reference timings of the
 * same words over ref_pcm (espeak-ng's); they are mapped piecewise
 * linearly onto pcm, anchored at the speech onset and offset and at each
 * sentence break (a word ending in . ! ? : ;) matched to the nearest
 * pause detected in pcm.  out (emptied) gets ref's words with new times,
 * scene set to scene.  0, AVK_EX_OSERR. */
int avk_align_words(const avk_pcm *ref_pcm, const avk_words *ref,
                    const avk_pcm *pcm, int scene, avk_words *out,
                    avk_err *err);

#endif
