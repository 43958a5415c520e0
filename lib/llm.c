/*
 * llm.c - OpenAI-compatible Chat Completions client (see llm.h).
 *
 * Invariants: the key is only ever handed to avk_http_req_secret_header();
 * messages built from replies are scrubbed of the request's secrets; no
 * printing, no global state.
 */
#include "llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void avk_llm_reply_init(avk_llm_reply *r)
{
    memset(r, 0, sizeof *r);
}

void avk_llm_reply_release(avk_llm_reply *r)
{
    if (!r)
        return;
    free(r->content);
    avk_llm_reply_init(r);
}

static int put(json_t *o, const char *k, json_t *v)
{
    return v ? json_object_set_new(o, k, v) : -1;
}

json_t *avk_llm_body(const avk_llm_req *q)
{
    json_t *b = json_object(), *rf = json_object(), *js;
    int bad = 0;

    if (!b || !rf || !q->model || !q->messages)
        goto fail;
    bad |= put(b, "model", json_string(q->model));
    bad |= put(b, "messages", json_deep_copy(q->messages));
    if (q->temperature >= 0)
        bad |= put(b, "temperature", json_real(q->temperature));
    if (q->max_tokens > 0)
        bad |= put(b,
                   q->max_tokens_field && *q->max_tokens_field
                       ? q->max_tokens_field
                       : "max_completion_tokens",
                   json_integer(q->max_tokens));
    bad |= put(b, "stream", json_false());
    if (q->schema && !q->json_object) {
        js = json_object();
        bad |= put(rf, "type", json_string("json_schema"));
        if (js) {
            bad |= put(js, "name",
                       json_string(q->schema_name ? q->schema_name : "answer"));
            bad |= put(js, "strict", json_true());
            bad |= put(js, "schema", json_deep_copy(q->schema));
        }
        bad |= put(rf, "json_schema", js);
    } else {
        bad |= put(rf, "type", json_string("json_object"));
    }
    bad |= json_object_set(b, "response_format", rf);
    json_decref(rf);
    if (bad) {
        json_decref(b);
        return NULL;
    }
    return b;
fail:
    json_decref(b);
    json_decref(rf);
    return NULL;
}

int avk_llm_parse(const json_t *body, avk_llm_reply *out, avk_err *err)
{
    const json_t *ch, *msg, *usage, *v;
    const char *fin;

    avk_llm_reply_init(out);
    ch = json_array_get(json_object_get(body, "choices"), 0);
    msg = json_object_get(ch, "message");
    if (!json_is_object(msg))
        return avk_fail(err, AVK_EX_DATAERR,
                        "the reply has no choices[0].message");
    v = json_object_get(msg, "refusal");
    if (json_is_string(v) && *json_string_value(v))
        return avk_fail(err, AVK_EX_UNAVAILABLE, "the model refused: %.300s",
                        json_string_value(v));
    fin = json_string_value(json_object_get(ch, "finish_reason"));
    if (fin && strcmp(fin, "length") == 0)
        return avk_fail(err, AVK_EX_DATAERR,
                        "the answer was cut at the token limit "
                        "(finish_reason 'length'); raise openai.max_tokens");
    if (fin && strcmp(fin, "content_filter") == 0)
        return avk_fail(err, AVK_EX_UNAVAILABLE,
                        "the answer was stopped by a content filter");
    v = json_object_get(msg, "content");
    if (!json_is_string(v))
        return avk_fail(err, AVK_EX_DATAERR,
                        "the reply has no text in choices[0].message.content");
    v = json_object_get(body, "model");
    if (json_is_string(v))
        snprintf(out->model, sizeof out->model, "%s", json_string_value(v));
    usage = json_object_get(body, "usage");
    v = json_object_get(usage, "prompt_tokens");
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        out->tokens_in = (long long)json_integer_value(v);
    v = json_object_get(usage, "completion_tokens");
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        out->tokens_out = (long long)json_integer_value(v);
    out->content =
        strdup(json_string_value(json_object_get(msg, "content")));
    if (!out->content)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}

int avk_llm_error_detail(const char *body, size_t len, char *detail,
                         size_t cap)
{
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    const json_t *e = json_object_get(j, "error"), *code;
    const char *msg = NULL;
    char cbuf[64] = "";
    int quota = 0;

    if (cap)
        detail[0] = '\0';
    if (json_is_string(e))
        msg = json_string_value(e);
    else if (json_is_object(e)) {
        msg = json_string_value(json_object_get(e, "message"));
        code = json_object_get(e, "code");
        if (json_is_string(code)) {
            snprintf(cbuf, sizeof cbuf, "%s", json_string_value(code));
            quota = strcmp(cbuf, "insufficient_quota") == 0;
        } else if (json_is_integer(code))
            snprintf(cbuf, sizeof cbuf, "%lld",
                     (long long)json_integer_value(code));
        else if (json_is_string(json_object_get(e, "type")))
            snprintf(cbuf, sizeof cbuf, "%s",
                     json_string_value(json_object_get(e, "type")));
        if (!quota)
            quota = json_is_string(json_object_get(e, "type")) &&
                    strcmp(json_string_value(json_object_get(e, "type")),
                           "insufficient_quota") == 0;
    }
    if (cap && (msg || *cbuf))
        snprintf(detail, cap, "%.200s%s%s%s", msg ? msg : "error",
                 *cbuf ? " (" : "", cbuf, *cbuf ? ")" : "");
    json_decref(j);
    return quota;
}

/* 429 insufficient_quota is final; everything else keeps the default. */
static int retry_ok(const avk_http_resp *r, void *ud)
{
    char d[8];
    (void)ud;
    if (r->status == 429 &&
        avk_llm_error_detail(r->body.data, r->body.len, d, sizeof d))
        return 0;
    return -1;
}

int avk_llm_chat(const avk_http_opts *o, const avk_llm_req *q,
                 avk_llm_reply *out, avk_err *err)
{
    avk_http_req rq;
    avk_http_resp rs;
    avk_buf url, auth;
    json_t *body = NULL, *doc = NULL;
    char detail[300];
    size_t n;
    int rc;

    avk_llm_reply_init(out);
    avk_buf_init(&url);
    avk_buf_init(&auth);
    avk_http_resp_init(&rs);
    if (!q->base_url || !*q->base_url) {
        rc = avk_fail(err, AVK_EX_CONFIG, "no base URL for the chat API");
        avk_http_req_init(&rq, "POST", "");
        goto out;
    }
    n = strlen(q->base_url);
    while (n > 0 && q->base_url[n - 1] == '/')
        n--;
    if (avk_buf_add(&url, q->base_url, n) ||
        avk_buf_adds(&url, "/chat/completions")) {
        avk_http_req_init(&rq, "POST", "");
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    if (avk_http_req_init(&rq, "POST", url.data)) { /* still releasable */
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    if (q->api_key && *q->api_key) {
        if (avk_buf_printf(&auth, "Bearer %s", q->api_key) == 0)
            avk_http_req_secret_header(&rq, "Authorization", auth.data);
        else
            rq.oom = 1;
    }
    body = avk_llm_body(q);
    if (!body) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    avk_http_req_json(&rq, body);
    rq.retry_ok = retry_ok;
    rc = avk_http_do(o, &rq, &rs, err);
    if (rc)
        goto out;
    if (rs.status < 200 || rs.status > 299) {
        int quota = avk_llm_error_detail(rs.body.data, rs.body.len, detail,
                                         sizeof detail);
        rc = avk_http_status_error(&rq, &rs, *detail ? detail : NULL, err);
        if (quota || rs.status == 404) {
            rc = AVK_EX_UNAVAILABLE;
            if (err)
                err->code = rc;
        }
        goto out;
    }
    if ((rc = avk_http_resp_json(&rs, &doc, err)) != 0)
        goto out;
    rc = avk_llm_parse(doc, out, err);
out:
    if (rc && err)
        avk_http_scrub_err(&rq, err);
    json_decref(doc);
    json_decref(body);
    if (auth.data)
        memset(auth.data, 0, auth.len);
    avk_buf_release(&auth);
    avk_buf_release(&url);
    avk_http_resp_release(&rs);
    avk_http_req_release(&rq);
    return rc;
}
