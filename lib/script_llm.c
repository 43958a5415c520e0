/*
 * script_llm.c - the `openai` script writer (see script_llm.h).
 *
 * Invariants: the request sent and the cache key derive only from the
 * topic, settings, model and schema (never the key); a script returned has
 * passed avk_script_validate(); at most two requests per script.
 */
#include "script_llm.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "llm.h"
#include "scriptgen.h"

#define DEFAULT_BASE "https://api.openai.com/v1"
#define DEFAULT_MODEL "gpt-4o-mini"

static double wpm_of(const avk_script_llm_req *r)
{
    return r->wpm > 0 ? r->wpm : 150.0;
}

static double duration_of(const avk_script_llm_req *r)
{
    return r->duration_s > 0 ? r->duration_s : 60.0;
}

static int add_msg(json_t *msgs, const char *role, const char *text)
{
    json_t *m = json_pack("{s:s, s:s}", "role", role, "content", text);
    return m ? json_array_append_new(msgs, m) : -1;
}

json_t *avk_script_llm_messages(const avk_script_llm_req *r)
{
    json_t *msgs = json_array();
    const json_t *items = json_object_get(r->trend, "items"), *it;
    avk_buf u;
    size_t i;
    int bad = 0;
    double words = duration_of(r) * wpm_of(r) / 60.0;

    if (!msgs)
        return NULL;
    avk_buf_init(&u);
    bad |= add_msg(
        msgs, "system",
        "You write narration scripts for short vertical videos (TikTok, "
        "YouTube Shorts, Reels). Answer with one JSON object only, with the "
        "fields title, hook, scenes (each with text, visual, keywords), cta, "
        "description and hashtags. The hook is the first sentence of the "
        "first scene's text; the cta is the last sentence of the last "
        "scene's text. Visuals describe a single image without text in it. "
        "Hashtags start with #. Plain spoken sentences, no stage "
        "directions, no emoji.");
    bad |= avk_buf_printf(&u, "Topic: %s\n", r->topic);
    bad |= avk_buf_printf(&u, "Language: %s\n", r->lang ? r->lang : "en");
    bad |= avk_buf_printf(&u, "Style: %s\n", r->style ? r->style : "engaging");
    if (r->format)
        bad |= avk_buf_printf(&u, "Format: %s\n", r->format);
    bad |= avk_buf_printf(&u,
                          "Length: about %.0f spoken words in all "
                          "(%.0f seconds at %.0f words per minute)\n",
                          words, duration_of(r), wpm_of(r));
    if (r->scenes > 0)
        bad |= avk_buf_printf(&u, "Scenes: exactly %d\n", r->scenes);
    else
        bad |= avk_buf_printf(&u, "Scenes: 3 to 8\n");
    if (json_array_size(items)) {
        bad |= avk_buf_adds(&u, "Recent news on the topic:\n");
        for (i = 0; i < json_array_size(items) && i < 5; i++) {
            const char *t, *s;
            it = json_array_get(items, i);
            t = json_string_value(json_object_get(it, "title"));
            s = json_string_value(json_object_get(it, "summary"));
            if (!t)
                continue;
            bad |= avk_buf_printf(&u, "- %.200s%s%.300s\n", t, s ? ": " : "",
                                  s ? s : "");
        }
    }
    if (!bad && !u.data)
        bad = -1;
    if (!bad)
        bad |= add_msg(msgs, "user", u.data);
    avk_buf_release(&u);
    if (bad) {
        json_decref(msgs);
        return NULL;
    }
    return msgs;
}

static int put_str(json_t *o, const char *k, const char *v)
{
    return json_object_set_new(o, k, json_string(v));
}

static long long count_words(const json_t *scenes)
{
    long long n = 0;
    size_t i;
    for (i = 0; i < json_array_size(scenes); i++) {
        const char *s =
            json_string_value(json_object_get(json_array_get(scenes, i), "text"));
        int in = 0;
        for (; s && *s; s++) {
            if (isspace((unsigned char)*s))
                in = 0;
            else if (!in) {
                in = 1;
                n++;
            }
        }
    }
    return n;
}

/* The reply plus the fields the writer owns. */
static int finish(const avk_script_llm_req *r, const char *model,
                  const json_t *reply, json_t **out, avk_err *err)
{
    json_t *s = json_deep_copy(reply);
    long long words;
    double wpm = wpm_of(r);
    int bad = 0, rc;

    *out = NULL;
    if (!s)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    words = count_words(json_object_get(s, "scenes"));
    bad |= put_str(s, "lang", r->lang ? r->lang : "en");
    bad |= json_object_set_new(
        s, "duration", json_real(round(words * 600.0 / wpm) / 10.0));
    bad |= json_object_set_new(s, "words", json_integer(words));
    bad |= json_object_set_new(s, "wpm", json_real(wpm));
    bad |= put_str(s, "format", r->format ? r->format : "freeform");
    bad |= put_str(s, "style", r->style ? r->style : "engaging");
    bad |= put_str(s, "provider", "openai");
    bad |= put_str(s, "model", model);
    if (bad) {
        json_decref(s);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if ((rc = avk_script_validate(s, err)) != 0) {
        json_decref(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Parse and check an answer; 0 with *reply set, else a message in why. */
static int check_answer(const char *text, json_t **reply, avk_err *why)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    *reply = NULL;
    if (!j)
        return avk_fail(why, AVK_EX_DATAERR,
                        "the answer is not valid JSON: %s (line %d, "
                        "column %d)",
                        je.text, je.line, je.column);
    if (avk_script_validate_reply(j, why) != 0) {
        json_decref(j);
        return AVK_EX_DATAERR;
    }
    *reply = j;
    return 0;
}

int avk_script_llm_generate(const avk_script_llm_req *r,
                            avk_script_llm_res *res, avk_err *err)
{
    const char *base = r->base_url && *r->base_url ? r->base_url : DEFAULT_BASE;
    const char *model = r->model && *r->model ? r->model : DEFAULT_MODEL;
    avk_llm_req q;
    avk_llm_reply ans;
    avk_err why = {0, ""};
    json_t *msgs = NULL, *schema = NULL, *params = NULL, *reply = NULL;
    json_t *cached = NULL;
    char key[65] = "";
    int rc, attempt;

    memset(res, 0, sizeof *res);
    avk_llm_reply_init(&ans);
    snprintf(res->model, sizeof res->model, "%s", model);
    if (!r->topic || !*r->topic)
        return avk_fail(err, AVK_EX_DATAERR, "the topic is empty");
    if ((!r->api_key || !*r->api_key) && strstr(base, "//api.openai.com"))
        return avk_fail(err, AVK_EX_CONFIG,
                        "no API key for '%s': set OPENAI_API_KEY (or "
                        "openai.api_key in the configuration)",
                        base);
    msgs = avk_script_llm_messages(r);
    schema = avk_script_json_schema();
    if (!msgs || !schema) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    memset(&q, 0, sizeof q);
    q.base_url = base;
    q.api_key = r->api_key;
    q.model = model;
    q.messages = msgs;
    q.temperature = r->temperature;
    q.schema = schema;
    q.schema_name = "video_script";
    q.json_object = r->json_object;
    q.max_tokens_field = r->max_tokens_field;
    q.max_tokens = r->max_tokens > 0 ? r->max_tokens : 4096;

    if (r->cache) {
        params = json_pack("{s:s, s:O, s:O, s:s, s:f, s:I}", "base_url", base,
                           "messages", msgs, "schema", schema,
                           "response_format",
                           r->json_object ? "json_object" : "json_schema",
                           "temperature", r->temperature, "max_tokens",
                           (json_int_t)q.max_tokens);
        if (!params || avk_cache_key("openai", model, params, key) != 0) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            goto out;
        }
        if ((rc = avk_cache_get_json(r->cache, key, &cached, err)) != 0)
            goto out;
        if (cached) {
            res->cached = 1;
            rc = finish(r, model, cached, &res->script, err);
            goto out;
        }
    }
    for (attempt = 0; attempt < 2; attempt++) {
        if ((rc = avk_llm_chat(r->http, &q, &ans, err)) != 0)
            goto out;
        res->tokens_in += ans.tokens_in;
        res->tokens_out += ans.tokens_out;
        avk_err_clear(&why);
        if (check_answer(ans.content, &reply, &why) == 0)
            break;
        if (attempt == 1) {
            rc = avk_fail(err, AVK_EX_DATAERR,
                          "model '%s' at '%s' gave no valid script in 2 "
                          "answers: %s",
                          model, base, why.msg);
            goto out;
        }
        if (add_msg(msgs, "assistant", ans.content) != 0 ||
            add_msg(msgs, "user", "") != 0) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            goto out;
        }
        {
            avk_buf b;
            avk_buf_init(&b);
            if (avk_buf_printf(&b,
                               "That answer is not usable: %s. Answer again "
                               "with only the corrected JSON object.",
                               why.msg) != 0 ||
                json_object_set_new(json_array_get(msgs, json_array_size(msgs) - 1),
                                    "content", json_string(b.data)) != 0) {
                avk_buf_release(&b);
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                goto out;
            }
            avk_buf_release(&b);
        }
        avk_llm_reply_release(&ans);
    }
    if (r->price_in > 0 || r->price_out > 0)
        res->cost = (double)res->tokens_in * r->price_in / 1e6 +
                    (double)res->tokens_out * r->price_out / 1e6;
    if ((rc = finish(r, model, reply, &res->script, err)) != 0)
        goto out;
    if (r->cache) { /* a cache that cannot be written costs a request
                       next time, nothing more */
        avk_err ign = {0, ""};
        (void)avk_cache_put_json(r->cache, key, "openai", model, reply, &ign);
    }
out:
    avk_llm_reply_release(&ans);
    json_decref(cached);
    json_decref(reply);
    json_decref(params);
    json_decref(schema);
    json_decref(msgs);
    return rc;
}
