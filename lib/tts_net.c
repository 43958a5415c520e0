/*
 * tts_net.c - what the network voices share: per scene, the cache lookup
 * or the request, then silence between scenes and one loudness
 * normalisation (see tts_net.h, tts.h).
 *
 * What always holds: a failed scene leaves nothing in the cache; out and
 * words are empty on failure; word times are offsets into out.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "tts_net.h"

#define RATE 48000

void avk_tts_net_init(avk_tts_net *n)
{
    memset(n, 0, sizeof *n);
    n->scene_pause_s = -1;
}

int avk_tts_net_decode(const char *what, const void *data, size_t len,
                       int raw_rate, avk_pcm *pcm, avk_err *err)
{
    int rc;

    if (!data || len == 0)
        return avk_fail(err, AVK_EX_DATAERR, "%s: empty audio in the reply",
                        what);
    if (raw_rate > 0) {
        const unsigned char *b = data;
        size_t i, fr = len / 2;

        if (len % 2)
            return avk_fail(err, AVK_EX_DATAERR,
                            "%s: truncated PCM in the reply", what);
        if ((rc = avk_pcm_alloc(pcm, fr, 1, raw_rate)))
            return avk_fail(err, rc, "out of memory");
        for (i = 0; i < fr; i++)
            pcm->data[i] = (float)(short)(b[2 * i] | b[2 * i + 1] << 8) /
                           32768.0f;
        return avk_pcm_resample(pcm, RATE, err);
    }
    rc = avk_audio_decode_mem(data, len, RATE, 1, pcm, err);
    if (rc == AVK_EX_OSERR)
        return rc;
    if (rc || pcm->frames == 0) {
        avk_pcm_release(pcm);
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: the reply's audio is corrupt or truncated (%zu "
                        "bytes)",
                        what, len);
    }
    return 0;
}

int avk_tts_net_status(const avk_tts_net *n, const avk_http_req *q,
                       const avk_http_resp *r, avk_err *err)
{
    json_t *j = NULL, *d;
    const char *detail = NULL;
    int rc;

    if (r->status >= 200 && r->status < 300)
        return 0;
    if (r->body.data && r->body.len)
        j = json_loadb(r->body.data, r->body.len, 0, NULL);
    d = json_object_get(j, "detail");
    if (json_is_object(d))
        detail = json_string_value(json_object_get(d, "message"));
    else if (json_is_string(d))
        detail = json_string_value(d);
    if (!detail)
        detail = json_string_value(
            json_object_get(json_object_get(j, "error"), "message"));
    if (!detail)
        detail = json_string_value(json_object_get(j, "message"));
    rc = avk_http_status_error(q, r, detail, err);
    json_decref(j);
    if (rc == AVK_EX_NOPERM && err && n->key_var) {
        size_t len = strlen(err->msg);

        snprintf(err->msg + len, sizeof err->msg - len,
                 " (check %s)", n->key_var);
    }
    avk_http_scrub_err(q, err);
    return rc;
}

int avk_tts_net_url(avk_buf *url, const char *base, const char *path)
{
    size_t len = strlen(base);

    while (len && base[len - 1] == '/')
        len--;
    avk_buf_reset(url);
    return avk_buf_add(url, base, len) || avk_buf_adds(url, path)
               ? AVK_EX_OSERR
               : 0;
}

static int speakable(const char *s)
{
    for (; *s; s++)
        if (isalnum((unsigned char)*s))
            return 1;
    return 0;
}

static json_t *words_json(const avk_words *w)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a && i < w->n; i++)
        if (json_array_append_new(a, json_pack("[s,f,f]", w->v[i].text,
                                               w->v[i].start, w->v[i].end)))
            break;
    if (a && i < w->n) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static int words_from_json(const json_t *a, avk_words *w)
{
    size_t i;

    avk_words_release(w);
    if (!json_is_array(a))
        return -1;
    for (i = 0; i < json_array_size(a); i++) {
        const json_t *e = json_array_get(a, i);
        const char *t = json_string_value(json_array_get(e, 0));

        if (!t || !json_is_number(json_array_get(e, 1)) ||
            !json_is_number(json_array_get(e, 2)) ||
            avk_words_add(w, t, strlen(t),
                          json_number_value(json_array_get(e, 1)),
                          json_number_value(json_array_get(e, 2)), 0)) {
            avk_words_release(w);
            return -1;
        }
    }
    return 0;
}

/* Cache keys of one scene: audio, and words beside it. */
static int keys(const avk_tts_provider *p, const char *text, char ka[65],
                char kw[65])
{
    json_t *params = json_deep_copy(p->params);
    int rc;

    if (!params || json_object_set_new(params, "text", json_string(text))) {
        json_decref(params);
        return AVK_EX_OSERR;
    }
    rc = avk_cache_key(p->name, p->model, params, ka);
    if (!rc) {
        json_object_set_new(params, "part", json_string("words"));
        rc = avk_cache_key(p->name, p->model, params, kw);
    }
    json_decref(params);
    return rc ? AVK_EX_OSERR : 0;
}

/* A cached scene, when both parts are there: *hit = 1. */
static int lookup(avk_tts_net *n, const avk_tts_provider *p, const char *ka,
                  const char *kw, avk_pcm *pcm, avk_words *w, int *hit,
                  avk_err *err)
{
    avk_asset a;
    json_t *wj = NULL;
    char *path;
    int rc, got = 0;

    *hit = 0;
    if ((rc = avk_cache_get_asset(n->store, ka, &a, &got, err)) || !got)
        return rc;
    if (p->words_cached) {
        if ((rc = avk_cache_get_json(n->store, kw, &wj, err)))
            return rc;
        if (!wj || words_from_json(json_object_get(wj, "words"), w)) {
            json_decref(wj);
            return 0;
        }
        json_decref(wj);
    }
    if (!(path = avk_asset_abspath(n->ws_root, &a)))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = avk_audio_decode(path, RATE, 1, pcm, err);
    free(path);
    if (rc) { /* a damaged cache entry: ask again */
        avk_words_release(w);
        return 0;
    }
    *hit = 1;
    return 0;
}

static int store(avk_tts_net *n, const avk_tts_provider *p, const char *ka,
                 const char *kw, const avk_pcm *pcm, const avk_words *w,
                 avk_err *err)
{
    char *tmp = NULL;
    avk_asset a;
    int rc;

    if ((rc = avk_asset_tmp_path(n->ws_root, "wav", &tmp, err)))
        return rc;
    if ((rc = avk_audio_write_wav(tmp, pcm, err)) ||
        (rc = avk_asset_adopt(n->ws_root, tmp, "audio/wav", &a, err))) {
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    if (p->words_cached) {
        json_t *v = json_pack("{s:o?}", "words", words_json(w));

        if (!v)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        rc = avk_cache_put_json(n->store, kw, p->name, p->model, v, err);
        json_decref(v);
        if (rc)
            return rc;
    }
    return avk_cache_put_asset(n->store, ka, p->name, p->model, &a, err);
}

static int one_scene(avk_tts_net *n, const avk_tts_provider *p,
                     const char *text, avk_pcm *pcm, avk_words *w,
                     avk_err *err)
{
    char ka[65], kw[65];
    int rc, hit = 0, cache = n->store && n->ws_root;

    if (cache) {
        if (keys(p, text, ka, kw))
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        if ((rc = lookup(n, p, ka, kw, pcm, w, &hit, err)))
            return rc;
    }
    if (hit) {
        n->cache_hits++;
    } else {
        n->requests++;
        if ((rc = p->fetch(n, text, pcm, p->words_cached ? w : NULL, err)))
            return rc;
        if (cache && (rc = store(n, p, ka, kw, pcm, w, err)))
            return rc;
    }
    if (!p->words_cached)
        return p->place(n, text, pcm, w, err);
    return 0;
}

int avk_tts_net_run(avk_tts_net *n, const avk_tts_provider *p,
                    const char *const *scenes, size_t nscenes, avk_pcm *out,
                    avk_words *words, double *scene_start, double *scene_end,
                    avk_err *err)
{
    double pause = n->scene_pause_s < 0 ? 0.4 : n->scene_pause_s;
    avk_pcm pcm;
    avk_words w;
    size_t i, k;
    int rc;

    avk_pcm_init(&pcm);
    avk_words_init(&w);
    avk_pcm_release(out);
    if (words)
        avk_words_release(words);
    if ((rc = avk_pcm_alloc(out, 0, 1, RATE)))
        return avk_fail(err, rc, "out of memory");
    for (i = 0; i < nscenes; i++) {
        double t0;

        if (i > 0 &&
            avk_pcm_append_silence(out, (size_t)(pause * RATE + 0.5)))
            goto oom;
        t0 = avk_pcm_duration(out);
        if (!speakable(scenes[i])) {
            if (avk_pcm_append_silence(out, RATE / 4))
                goto oom;
        } else {
            if ((rc = one_scene(n, p, scenes[i], &pcm, &w, err)))
                goto fail;
            if (avk_pcm_append(out, pcm.data, pcm.frames))
                goto oom;
            for (k = 0; words && k < w.n; k++)
                if (avk_words_add(words, w.v[k].text, strlen(w.v[k].text),
                                  t0 + w.v[k].start, t0 + w.v[k].end,
                                  (int)i))
                    goto oom;
        }
        if (scene_start)
            scene_start[i] = t0;
        if (scene_end)
            scene_end[i] = avk_pcm_duration(out);
        avk_pcm_release(&pcm);
        avk_words_release(&w);
    }
    if (avk_loudness_normalize(
            out, n->target_lufs != 0 ? n->target_lufs : -16.0,
            n->max_true_peak_dbtp != 0 ? n->max_true_peak_dbtp : -1.5,
            NULL))
        goto oom;
    return 0;
oom:
    rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
fail:
    avk_pcm_release(&pcm);
    avk_words_release(&w);
    avk_pcm_release(out);
    if (words)
        avk_words_release(words);
    return rc;
}
