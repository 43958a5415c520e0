/*
 * img_openai.c - OpenAI Images (POST {base}/images/generations), and any
 * server speaking the same protocol (LocalAI, ...), as an av-image
 * provider.  Always holds: the key travels only in the secret
 * Authorization header; a portrait size is asked for tall formats; the
 * reply's base64 (or, failing that, its URL, downloaded with the size cap)
 * becomes raw bytes for avk_imgnet_check().
 */
#include "imgnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 429 insufficient_quota is final: retrying cannot help. */
static int quota_final(const avk_http_resp *r, void *ud)
{
    (void)ud;
    if (r->status == 429 && r->body.data &&
        strstr(r->body.data, "insufficient_quota"))
        return 0;
    return -1;
}

/* The size the model accepts that is closest to w x h's shape. */
static void pick_size(const char *model, int w, int h, char *out, size_t cap)
{
    int tall = h * 10 > w * 11, wide = w * 10 > h * 11;

    if (strcmp(model, "dall-e-2") == 0)
        snprintf(out, cap, "1024x1024");
    else if (strcmp(model, "dall-e-3") == 0)
        snprintf(out, cap, "%s",
                 tall ? "1024x1792" : wide ? "1792x1024" : "1024x1024");
    else if (strncmp(model, "gpt-image-2", 11) == 0) {
        /* any WxH, sides multiples of 16, at most 3840x2160 */
        double s = 1.0;
        int a, b;
        if (w > 2160 || h > 3840)
            s = w > h ? 3840.0 / w : 3840.0 / h;
        a = (int)(w * s) / 16 * 16;
        b = (int)(h * s) / 16 * 16;
        snprintf(out, cap, "%dx%d", a < 16 ? 16 : a, b < 16 ? 16 : b);
    } else
        snprintf(out, cap, "%s",
                 tall ? "1024x1536" : wide ? "1536x1024" : "1024x1024");
}

int avk_img_openai(const avk_imgnet_env *e, const avk_imgnet_req *q,
                   avk_imgnet_raw *raw, avk_err *err)
{
    const char *key, *base, *model, *size_cfg;
    avk_http_req rq;
    avk_http_resp r;
    avk_buf url, bearer;
    json_t *body = NULL, *reply = NULL, *item;
    char size[32];
    int rc;

    if (!q->prompt || !*q->prompt)
        return avk_fail(err, AVK_EX_DATAERR, "openai: empty prompt");
    if ((rc = avk_imgnet_need_key(e, "openai", "OPENAI_API_KEY", &key, err)))
        return rc;
    base = avk_imgnet_cfg(e, "openai", "base_url");
    model = avk_imgnet_model(e, "openai");
    size_cfg = avk_imgnet_cfg(e, "openai", "image_size");
    if (size_cfg)
        snprintf(size, sizeof size, "%s", size_cfg);
    else
        pick_size(model, q->width, q->height, size, sizeof size);
    avk_buf_init(&url);
    avk_buf_init(&bearer);
    avk_http_resp_init(&r);
    avk_http_req_init(&rq, "POST", NULL);
    if (avk_imgnet_url(&url, base ? base : "https://api.openai.com/v1",
                       "/images/generations") ||
        avk_buf_printf(&bearer, "Bearer %s", key) != 0) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    avk_http_req_release(&rq);
    avk_http_req_init(&rq, "POST", url.data);
    body = json_pack("{s:s, s:s, s:i, s:s}", "model", model, "prompt",
                     q->prompt, "n", 1, "size", size);
    if (body && strncmp(model, "dall-e", 6) == 0)
        json_object_set_new(body, "response_format", json_string("b64_json"));
    if (!body) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    avk_http_req_secret_header(&rq, "Authorization", bearer.data);
    avk_http_req_json(&rq, body);
    rq.retry_ok = quota_final;
    rc = avk_http_do_json(e->http, &rq, &r, &reply, err);
    if (rc)
        goto out;
    item = json_array_get(json_object_get(reply, "data"), 0);
    if (json_is_string(json_object_get(item, "b64_json"))) {
        rc = avk_imgnet_b64(json_string_value(json_object_get(item, "b64_json")),
                            &raw->data, &raw->len, err);
    } else if (json_is_string(json_object_get(item, "url"))) {
        rc = avk_imgnet_download(e, json_string_value(json_object_get(item, "url")),
                                 raw, err);
    } else
        rc = avk_fail(err, AVK_EX_DATAERR,
                      "POST %s: reply has no data[0].b64_json or url", r.url);
out:
    if (rc)
        avk_http_scrub_err(&rq, err);
    json_decref(body);
    json_decref(reply);
    avk_http_resp_release(&r);
    avk_http_req_release(&rq);
    avk_buf_release(&url);
    avk_buf_release(&bearer);
    return rc;
}
