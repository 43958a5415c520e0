/*
 * tts_openai.c - OpenAI's POST {base}/audio/speech (and servers speaking
 * the same protocol: Kokoro-FastAPI, LocalAI, openedai-speech).
 *
 * The reply is bare audio without timings: word times come from
 * espeak-ng's timing of the same text mapped onto the reply's audio by
 * avk_align_words().  What always holds: the status is checked before the
 * body is treated as audio; the key is sent only as a secret header.
 */
#include <stdlib.h>
#include <string.h>

#include "tts_net.h"

static int no_retry_quota(const avk_http_resp *r, void *ud)
{
    (void)ud;
    if (r->status == 429 && r->body.data &&
        strstr(r->body.data, "insufficient_quota"))
        return 0;
    return -1;
}

static int fetch(avk_tts_net *n, const char *text, avk_pcm *pcm,
                 avk_words *words, avk_err *err)
{
    const char *fmt = n->format ? n->format : "wav";
    avk_http_req q;
    avk_http_resp r;
    avk_buf url, auth;
    json_t *body;
    int rc;

    (void)words;
    avk_buf_init(&url);
    avk_buf_init(&auth);
    avk_http_resp_init(&r);
    body = json_pack("{s:s, s:s, s:s, s:s, s:f}", "model",
                     n->model ? n->model : "tts-1", "input", text, "voice",
                     n->voice ? n->voice : "alloy", "response_format", fmt,
                     "speed", n->speed > 0 ? n->speed : 1.0);
    if (!body || avk_tts_net_url(&url, n->base_url, "/audio/speech")) {
        json_decref(body);
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&q, "POST", url.data);
    if (n->api_key && *n->api_key) {
        avk_buf_adds(&auth, "Bearer ");
        avk_buf_adds(&auth, n->api_key);
        avk_http_req_secret_header(&q, "Authorization",
                                   auth.data ? auth.data : "");
    }
    avk_http_req_json(&q, body);
    q.retry_ok = no_retry_quota;
    rc = avk_http_do(n->http, &q, &r, err);
    if (rc == AVK_EX_TEMPFAIL && r.status == 429 && err) {
        size_t len = strlen(err->msg);

        snprintf(err->msg + len, sizeof err->msg - len,
                 " (rate limited; try again later)");
    }
    if (!rc)
        rc = avk_tts_net_status(n, &q, &r, err);
    if (!rc)
        rc = avk_tts_net_decode(r.url ? r.url : "openai", r.body.data,
                                r.body.len, !strcmp(fmt, "pcm") ? 24000 : 0,
                                pcm, err);
    if (rc)
        avk_http_scrub_err(&q, err);
    json_decref(body);
    avk_buf_release(&url);
    if (auth.data)
        memset(auth.data, 0, auth.len);
    avk_buf_release(&auth);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

static int place(avk_tts_net *n, const char *text, const avk_pcm *pcm,
                 avk_words *words, avk_err *err)
{
    avk_tts_opts o;
    avk_pcm ref;
    avk_words rw;
    const char *sc[1];
    int rc;

    sc[0] = text;
    avk_tts_opts_init(&o);
    o.lang = n->lang;
    o.scene_pause_s = 0;
    avk_pcm_init(&ref);
    avk_words_init(&rw);
    rc = avk_tts_espeak(&o, sc, 1, &ref, &rw, NULL, NULL, err);
    if (!rc)
        rc = avk_align_words(&ref, &rw, pcm, 0, words, err);
    avk_pcm_release(&ref);
    avk_words_release(&rw);
    return rc;
}

int avk_tts_openai(avk_tts_net *n, const char *const *scenes,
                   size_t nscenes, avk_pcm *out, avk_words *words,
                   double *scene_start, double *scene_end, avk_err *err)
{
    avk_tts_provider p;
    json_t *params;
    int rc;

    if (!n->base_url || !*n->base_url)
        return avk_fail(err, AVK_EX_CONFIG, "openai: no base URL "
                                            "(openai.base_url)");
    if ((!n->api_key || !*n->api_key) && strstr(n->base_url, "api.openai.com"))
        return avk_fail(err, AVK_EX_CONFIG,
                        "openai: no API key: set %s",
                        n->key_var ? n->key_var : "OPENAI_API_KEY");
    params = json_pack("{s:s, s:s, s:s, s:f}", "base_url", n->base_url,
                       "voice",
                       n->voice ? n->voice : "alloy", "format",
                       n->format ? n->format : "wav", "speed",
                       n->speed > 0 ? n->speed : 1.0);
    if (!params)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    memset(&p, 0, sizeof p);
    p.name = "openai";
    p.model = n->model ? n->model : "tts-1";
    p.params = params;
    p.fetch = fetch;
    p.place = place;
    rc = avk_tts_net_run(n, &p, scenes, nscenes, out, words, scene_start,
                         scene_end, err);
    json_decref(params);
    return rc;
}
