/*
 * img_stock.c - stock photo search as av-image providers: Pexels
 * (GET {base}/v1/search, raw key in the Authorization header) and Pixabay
 * (GET {base}/api/?key=..., the key a secret query parameter).
 *
 * Always holds: the hit chosen is the one whose shape is closest to the
 * wanted format, preferring those at least as large; its author and page
 * are returned for the credits; the image itself is downloaded with the
 * size cap and its Content-Type checked (then avk_imgnet_check decodes
 * it).  No hits is AVK_EX_UNAVAILABLE, so a fallback chain moves on.
 */
#include "imgnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lower is better: shape distance, plus a penalty for being too small. */
static double fit_score(double w, double h, int tw, int th)
{
    double s;

    if (w <= 0 || h <= 0)
        return 1e9;
    s = fabs(log((w / h) / ((double)tw / th)));
    if (w < tw || h < th)
        s += 1.0 + (double)(tw * th) / (w * h) * 0.01;
    return s;
}

static const char *orientation(int w, int h, int pixabay)
{
    if (h * 10 > w * 11)
        return pixabay ? "vertical" : "portrait";
    if (w * 10 > h * 11)
        return pixabay ? "horizontal" : "landscape";
    return pixabay ? "all" : "square";
}

static int set_credits(avk_imgnet_raw *raw, const char *who, const char *url,
                       const char *site, const char *license,
                       const char *page, avk_err *err)
{
    return avk_imgnet_credits(who, url, site, license, page,
                              &raw->attribution, &raw->license, &raw->link, err);
}

static int search(const avk_imgnet_env *e, avk_http_req *rq,
                  json_t **reply, avk_err *err)
{
    avk_http_resp r;
    int rc = avk_http_do_json(e->http, rq, &r, reply, err);

    if (rc)
        avk_http_scrub_err(rq, err);
    avk_http_resp_release(&r);
    return rc;
}

int avk_img_pexels(const avk_imgnet_env *e, const avk_imgnet_req *q,
                   avk_imgnet_raw *raw, avk_err *err)
{
    const char *key, *base;
    avk_http_req rq;
    avk_buf url;
    json_t *reply = NULL, *photos, *p, *best = NULL, *src;
    double bs = 1e18;
    const char *dl = NULL;
    size_t i;
    int rc;

    if (!q->query || !*q->query)
        return avk_fail(err, AVK_EX_DATAERR, "pexels: no keywords to search");
    if ((rc = avk_imgnet_need_key(e, "pexels", "PEXELS_API_KEY", &key, err)))
        return rc;
    base = avk_imgnet_cfg(e, "pexels", "base_url");
    avk_buf_init(&url);
    if (avk_imgnet_url(&url, base ? base : "https://api.pexels.com",
                       "/v1/search") ||
        avk_url_add_query(&url, "query", q->query) ||
        avk_url_add_query(&url, "orientation",
                          orientation(q->width, q->height, 0)) ||
        avk_url_add_query(&url, "per_page", "15")) {
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&rq, "GET", url.data);
    avk_buf_release(&url);
    avk_http_req_secret_header(&rq, "Authorization", key);
    rc = search(e, &rq, &reply, err);
    avk_http_req_release(&rq);
    if (rc)
        return rc;
    photos = json_object_get(reply, "photos");
    json_array_foreach(photos, i, p)
    {
        double s = fit_score(json_number_value(json_object_get(p, "width")),
                             json_number_value(json_object_get(p, "height")),
                             q->width, q->height);
        if (json_is_object(json_object_get(p, "src")) && s < bs) {
            bs = s;
            best = p;
        }
    }
    if (!best) {
        json_decref(reply);
        return avk_fail(err, AVK_EX_UNAVAILABLE,
                        "pexels: no photos for '%s'", q->query);
    }
    src = json_object_get(best, "src");
    {
        /* large2x is 1880 px wide at most: enough unless the format is
         * larger; else the original */
        double w = json_number_value(json_object_get(best, "width"));
        double h = json_number_value(json_object_get(best, "height"));
        double f = w > 1880 ? 1880.0 / w : 1.0;
        if (w * f >= q->width && h * f >= q->height)
            dl = json_string_value(json_object_get(src, "large2x"));
        if (!dl)
            dl = json_string_value(json_object_get(src, "original"));
    }
    if (!dl)
        rc = avk_fail(err, AVK_EX_DATAERR, "pexels: photo has no src URL");
    else
        rc = avk_imgnet_download(e, dl, raw, err);
    if (rc == 0)
        rc = set_credits(raw,
                         json_string_value(json_object_get(best, "photographer")),
                         json_string_value(
                             json_object_get(best, "photographer_url")),
                         "Pexels", "Pexels License",
                         json_string_value(json_object_get(best, "url")), err);
    json_decref(reply);
    return rc;
}

int avk_img_pixabay(const avk_imgnet_env *e, const avk_imgnet_req *q,
                    avk_imgnet_raw *raw, avk_err *err)
{
    const char *key, *base, *dl = NULL;
    avk_http_req rq;
    avk_buf url;
    json_t *reply = NULL, *hits, *p, *best = NULL;
    double bs = 1e18;
    size_t i;
    int rc;

    if (!q->query || !*q->query)
        return avk_fail(err, AVK_EX_DATAERR, "pixabay: no keywords to search");
    if ((rc = avk_imgnet_need_key(e, "pixabay", "PIXABAY_API_KEY", &key, err)))
        return rc;
    base = avk_imgnet_cfg(e, "pixabay", "base_url");
    avk_buf_init(&url);
    if (avk_imgnet_url(&url, base ? base : "https://pixabay.com", "/api/") ||
        avk_url_add_query(&url, "key", key) ||
        avk_url_add_query(&url, "q", q->query) ||
        avk_url_add_query(&url, "image_type", "photo") ||
        avk_url_add_query(&url, "orientation",
                          orientation(q->width, q->height, 1)) ||
        avk_url_add_query(&url, "safesearch", "true") ||
        avk_url_add_query(&url, "per_page", "20")) {
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&rq, "GET", url.data);
    avk_buf_release(&url);
    avk_http_req_secret_query(&rq, "key");
    rc = search(e, &rq, &reply, err);
    avk_http_req_release(&rq);
    if (rc)
        return rc;
    hits = json_object_get(reply, "hits");
    json_array_foreach(hits, i, p)
    {
        double s =
            fit_score(json_number_value(json_object_get(p, "imageWidth")),
                      json_number_value(json_object_get(p, "imageHeight")),
                      q->width, q->height);
        if (s < bs && (json_is_string(json_object_get(p, "largeImageURL")) ||
                       json_is_string(json_object_get(p, "webformatURL")))) {
            bs = s;
            best = p;
        }
    }
    if (!best) {
        json_decref(reply);
        return avk_fail(err, AVK_EX_UNAVAILABLE,
                        "pixabay: no photos for '%s'", q->query);
    }
    dl = json_string_value(json_object_get(best, "largeImageURL"));
    if (!dl || !*dl)
        dl = json_string_value(json_object_get(best, "webformatURL"));
    rc = avk_imgnet_download(e, dl, raw, err);
    if (rc == 0)
        rc = set_credits(raw, json_string_value(json_object_get(best, "user")),
                         json_string_value(json_object_get(best, "pageURL")),
                         "Pixabay", "Pixabay Content License",
                         json_string_value(json_object_get(best, "pageURL")),
                         err);
    json_decref(reply);
    return rc;
}
