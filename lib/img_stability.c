/*
 * img_stability.c - Stability AI image generation as an av-image provider:
 * POST {base}/v2beta/stable-image/generate/{core|ultra|sd3}, multipart
 * form fields, Accept: image/ *.  Always holds: the key travels only in the
 * secret Authorization header; the aspect_ratio sent is the supported one
 * closest to the wanted format; finish-reason CONTENT_FILTERED is a
 * failure (AVK_EX_UNAVAILABLE), as is any reply that is not an image.
 */
#include "imgnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *nearest_ratio(int w, int h)
{
    static const struct {
        const char *name;
        double r;
    } ratios[] = {{"21:9", 21.0 / 9}, {"16:9", 16.0 / 9}, {"3:2", 1.5},
                  {"5:4", 1.25},      {"1:1", 1.0},       {"4:5", 0.8},
                  {"2:3", 2.0 / 3},   {"9:16", 9.0 / 16}, {"9:21", 9.0 / 21}};
    double want = (double)w / h, bd = 1e9;
    const char *best = "1:1";
    size_t i;

    for (i = 0; i < sizeof ratios / sizeof ratios[0]; i++) {
        double d = fabs(log(ratios[i].r / want));
        if (d < bd) {
            bd = d;
            best = ratios[i].name;
        }
    }
    return best;
}

int avk_img_stability(const avk_imgnet_env *e, const avk_imgnet_req *q,
                      avk_imgnet_raw *raw, avk_err *err)
{
    const char *key, *base, *model, *fin, *ratio;
    avk_http_req rq;
    avk_http_resp r;
    avk_buf url, bearer;
    int rc;

    if (!q->prompt || !*q->prompt)
        return avk_fail(err, AVK_EX_DATAERR, "stability: empty prompt");
    if ((rc = avk_imgnet_need_key(e, "stability", "STABILITY_API_KEY", &key,
                                  err)))
        return rc;
    base = avk_imgnet_cfg(e, "stability", "base_url");
    model = avk_imgnet_model(e, "stability");
    ratio = nearest_ratio(q->width, q->height);
    avk_buf_init(&url);
    avk_buf_init(&bearer);
    if (avk_imgnet_url(&url, base ? base : "https://api.stability.ai",
                       "/v2beta/stable-image/generate/") ||
        avk_buf_adds(&url, model) ||
        avk_buf_printf(&bearer, "Bearer %s", key)) {
        avk_buf_release(&url);
        avk_buf_release(&bearer);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&rq, "POST", url.data);
    avk_http_req_secret_header(&rq, "Authorization", bearer.data);
    avk_http_req_header(&rq, "Accept", "image/*");
    avk_http_req_part(&rq, "prompt", q->prompt, strlen(q->prompt), NULL);
    avk_http_req_part(&rq, "aspect_ratio", ratio, strlen(ratio), NULL);
    avk_http_req_part(&rq, "output_format", "png", 3, NULL);
    rq.max_body = e->max_bytes > 0 ? e->max_bytes : AVK_IMGNET_MAX_BYTES;
    avk_buf_release(&url);
    avk_buf_release(&bearer);
    rc = avk_http_do(e->http, &rq, &r, err);
    if (rc == 0)
        rc = avk_http_status_error(&rq, &r, NULL, err);
    if (rc == 0 && (fin = avk_http_resp_header(&r, "finish-reason")) &&
        strcasecmp(fin, "SUCCESS") != 0)
        rc = avk_fail(err, AVK_EX_UNAVAILABLE, "POST %s: finish-reason %.40s",
                      r.url, fin);
    if (rc == 0)
        rc = avk_imgnet_want_image(&r, err);
    if (rc == 0)
        avk_imgnet_take_body(&r, raw);
    if (rc)
        avk_http_scrub_err(&rq, err);
    avk_http_resp_release(&r);
    avk_http_req_release(&rq);
    return rc;
}
