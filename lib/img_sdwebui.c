/*
 * img_sdwebui.c - a local Stable Diffusion server with the AUTOMATIC1111
 * API as an av-image provider: POST {base}/sdapi/v1/txt2img with JSON
 * {prompt, width, height, steps}, reply {"images":["<base64>", ...]}.
 * Always holds: the size asked keeps the format's shape with the longer
 * side at sdwebui.max_side (default 1024), both sides multiples of 8.
 */
#include "imgnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int avk_img_sdwebui(const avk_imgnet_env *e, const avk_imgnet_req *q,
                    avk_imgnet_raw *raw, avk_err *err)
{
    const char *base, *neg;
    avk_http_req rq;
    avk_http_resp r;
    avk_buf url;
    json_t *body, *reply = NULL, *img;
    double side = avk_config_num(e->cfg, "sdwebui.max_side", 1024);
    double s;
    int w, h, rc;

    if (!q->prompt || !*q->prompt)
        return avk_fail(err, AVK_EX_DATAERR, "sdwebui: empty prompt");
    if (side < 64 || side > 4096)
        side = 1024;
    s = side / (q->width > q->height ? q->width : q->height);
    w = (int)(q->width * s) / 8 * 8;
    h = (int)(q->height * s) / 8 * 8;
    if (w < 64)
        w = 64;
    if (h < 64)
        h = 64;
    base = avk_imgnet_cfg(e, "sdwebui", "base_url");
    neg = avk_imgnet_cfg(e, "sdwebui", "negative_prompt");
    avk_buf_init(&url);
    if (avk_imgnet_url(&url, base ? base : "http://127.0.0.1:7860",
                       "/sdapi/v1/txt2img")) {
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&rq, "POST", url.data);
    avk_buf_release(&url);
    body = json_pack("{s:s, s:i, s:i, s:i}", "prompt", q->prompt, "width", w,
                     "height", h, "steps",
                     (int)avk_config_num(e->cfg, "sdwebui.steps", 20));
    if (body && neg)
        json_object_set_new(body, "negative_prompt", json_string(neg));
    if (!body) {
        avk_http_req_release(&rq);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_json(&rq, body);
    json_decref(body);
    rc = avk_http_do_json(e->http, &rq, &r, &reply, err);
    if (rc == 0) {
        img = json_array_get(json_object_get(reply, "images"), 0);
        if (!json_is_string(img))
            rc = avk_fail(err, AVK_EX_DATAERR,
                          "POST %s: reply has no images[0]", r.url);
        else
            rc = avk_imgnet_b64(json_string_value(img), &raw->data, &raw->len,
                                err);
    }
    json_decref(reply);
    avk_http_resp_release(&r);
    avk_http_req_release(&rq);
    return rc;
}
