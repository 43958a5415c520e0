/*
 * tts_eleven.c - ElevenLabs' POST {base}/v1/text-to-speech/{voice_id}/
 * with-timestamps?output_format=...: base64 audio plus per-character
 * start and end times, grouped into words between whitespace.
 *
 * What always holds: the key goes only in the secret xi-api-key header;
 * the audio is decoded (and so checked) before any word is produced;
 * word times are monotonic and inside the decoded audio.
 */
#include <stdlib.h>
#include <string.h>

#include "tts_net.h"

/* Decode standard base64 (whitespace ignored) into out.  -1 when bad. */
static int unbase64(const char *s, avk_buf *out)
{
    unsigned v = 0;
    int bits = 0, pad = 0;

    avk_buf_reset(out);
    for (; *s; s++) {
        int c = (unsigned char)*s, d;

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return -1;
        if (c >= 'A' && c <= 'Z')
            d = c - 'A';
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            d = c - '0' + 52;
        else if (c == '+' || c == '-')
            d = 62;
        else if (c == '/' || c == '_')
            d = 63;
        else
            return -1;
        v = (v << 6 | (unsigned)d) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (avk_buf_addc(out, (char)(v >> bits & 0xff)))
                return -1;
        }
    }
    return pad > 2 ? -1 : 0;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Words of text (whitespace-separated, as written) timed by the
 * character arrays (one entry per code point of text); without usable
 * arrays, spread evenly over dur by length. */
static int words_from_alignment(const char *text, const json_t *al,
                                double dur, avk_words *w)
{
    const json_t *st = json_object_get(al, "character_start_times_seconds");
    const json_t *en = json_object_get(al, "character_end_times_seconds");
    size_t na = json_array_size(st) < json_array_size(en)
                    ? json_array_size(st)
                    : json_array_size(en);
    size_t total = 0, ci = 0;
    const char *p = text;
    double prev = 0;

    for (p = text; *p; p++)
        total += ((unsigned char)*p & 0xc0) != 0x80;
    p = text;
    while (*p) {
        const char *b;
        size_t first, last;
        double s, e;

        while (*p && is_space((unsigned char)*p)) {
            p++;
            ci++;
        }
        if (!*p)
            break;
        b = p;
        first = ci;
        while (*p && !is_space((unsigned char)*p)) {
            p++;
            if (!*p || ((unsigned char)*p & 0xc0) != 0x80)
                ci++;
        }
        last = ci - 1;
        if (na) {
            s = json_number_value(json_array_get(st, first < na ? first
                                                                : na - 1));
            e = json_number_value(json_array_get(en, last < na ? last
                                                               : na - 1));
        } else {
            s = dur * (double)first / (double)(total ? total : 1);
            e = dur * (double)(last + 1) / (double)(total ? total : 1);
        }
        if (s < prev)
            s = prev;
        if (s > dur)
            s = dur;
        if (e < s)
            e = s;
        if (e > dur)
            e = dur;
        prev = e;
        if (avk_words_add(w, b, (size_t)(p - b), s, e, 0))
            return AVK_EX_OSERR;
    }
    return 0;
}

static int fetch(avk_tts_net *n, const char *text, avk_pcm *pcm,
                 avk_words *words, avk_err *err)
{
    const char *fmt = n->format ? n->format : "mp3_44100_128";
    avk_http_req q;
    avk_http_resp r;
    avk_buf url, audio;
    json_t *body, *doc = NULL, *al;
    const char *b64;
    int rc, raw = 0;

    avk_buf_init(&url);
    avk_buf_init(&audio);
    avk_http_resp_init(&r);
    if (!strncmp(fmt, "pcm_", 4))
        raw = atoi(fmt + 4);
    body = json_pack("{s:s, s:s}", "text", text, "model_id",
                     n->model ? n->model : "eleven_multilingual_v2");
    if (!body || avk_tts_net_url(&url, n->base_url, "/v1/text-to-speech/") ||
        avk_url_escape(&url, n->voice, strlen(n->voice)) ||
        avk_buf_adds(&url, "/with-timestamps") ||
        avk_url_add_query(&url, "output_format", fmt)) {
        json_decref(body);
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&q, "POST", url.data);
    avk_http_req_secret_header(&q, "xi-api-key", n->api_key);
    avk_http_req_json(&q, body);
    rc = avk_http_do(n->http, &q, &r, err);
    if (!rc)
        rc = avk_tts_net_status(n, &q, &r, err);
    if (!rc)
        rc = avk_http_resp_json(&r, &doc, err);
    if (!rc) {
        b64 = json_string_value(json_object_get(doc, "audio_base64"));
        if (!b64 || unbase64(b64, &audio))
            rc = avk_fail(err, AVK_EX_DATAERR,
                          "%s: the reply has no valid audio_base64",
                          r.url ? r.url : "elevenlabs");
    }
    if (!rc)
        rc = avk_tts_net_decode(r.url ? r.url : "elevenlabs", audio.data,
                                audio.len, raw, pcm, err);
    if (!rc) {
        al = json_object_get(doc, "alignment");
        if (!json_is_object(al))
            al = json_object_get(doc, "normalized_alignment");
        avk_words_release(words);
        if (words_from_alignment(text, al, avk_pcm_duration(pcm), words))
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if (rc) {
        avk_http_scrub_err(&q, err);
        avk_pcm_release(pcm);
    }
    json_decref(doc);
    json_decref(body);
    avk_buf_release(&url);
    avk_buf_release(&audio);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

int avk_tts_elevenlabs(avk_tts_net *n, const char *const *scenes,
                       size_t nscenes, avk_pcm *out, avk_words *words,
                       double *scene_start, double *scene_end, avk_err *err)
{
    avk_tts_provider p;
    json_t *params;
    int rc;

    if (!n->base_url || !*n->base_url)
        return avk_fail(err, AVK_EX_CONFIG,
                        "elevenlabs: no base URL (elevenlabs.base_url)");
    if (!n->api_key || !*n->api_key)
        return avk_fail(err, AVK_EX_CONFIG, "elevenlabs: no API key: set %s",
                        n->key_var ? n->key_var : "ELEVENLABS_API_KEY");
    if (!n->voice || !*n->voice)
        n->voice = "21m00Tcm4TlvDq8ikWAM";
    params = json_pack("{s:s, s:s, s:s}", "base_url", n->base_url, "voice",
                       n->voice, "format",
                       n->format ? n->format : "mp3_44100_128");
    if (!params)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    memset(&p, 0, sizeof p);
    p.name = "elevenlabs";
    p.model = n->model ? n->model : "eleven_multilingual_v2";
    p.params = params;
    p.words_cached = 1;
    p.fetch = fetch;
    rc = avk_tts_net_run(n, &p, scenes, nscenes, out, words, scene_start,
                         scene_end, err);
    json_decref(params);
    return rc;
}
