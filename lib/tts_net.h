/*
 * tts_net.h - the part the network voices share (internal to lib/): the
 * per-scene loop with the request cache, silence between scenes, one
 * loudness normalisation at the end, and auth-error wording.
 *
 * What always holds: a scene's audio reaches the cache only after it
 * decoded; API keys are never part of a cache key or a message.
 */
#ifndef AVK_TTS_NET_H
#define AVK_TTS_NET_H

#include <jansson.h>

#include "http.h"
#include "tts.h"

typedef struct avk_tts_provider {
    const char *name;  /* "elevenlabs" */
    const char *model; /* resolved model */
    json_t *params;    /* borrowed: what changes the sound (voice, ...) */
    int words_cached;  /* 1: fetch gives words, cached as JSON beside */
    /* Request one scene: pcm gets 48 kHz mono audio; words (scene 0,
     * times from 0) when words_cached. */
    int (*fetch)(avk_tts_net *n, const char *text, avk_pcm *pcm,
                 avk_words *words, avk_err *err);
    /* Words for audio without timings (words_cached == 0). */
    int (*place)(avk_tts_net *n, const char *text, const avk_pcm *pcm,
                 avk_words *words, avk_err *err);
} avk_tts_provider;

int avk_tts_net_run(avk_tts_net *n, const avk_tts_provider *p,
                    const char *const *scenes, size_t nscenes, avk_pcm *out,
                    avk_words *words, double *scene_start, double *scene_end,
                    avk_err *err);

/* 0 for 2xx; else an error with the provider's message (detail), and for
 * 401/403 a hint naming n->key_var.  Secrets scrubbed. */
int avk_tts_net_status(const avk_tts_net *n, const avk_http_req *q,
                       const avk_http_resp *r, avk_err *err);

/* Decode a reply body to 48 kHz mono (raw_rate > 0: headerless 16-bit
 * little-endian mono PCM at that rate, else any container FFmpeg reads);
 * an empty or corrupt body is AVK_EX_DATAERR naming what. */
int avk_tts_net_decode(const char *what, const void *data, size_t len,
                       int raw_rate, avk_pcm *pcm, avk_err *err);

/* base (without trailing slashes) followed by path, into url. */
int avk_tts_net_url(avk_buf *url, const char *base, const char *path);

#endif
