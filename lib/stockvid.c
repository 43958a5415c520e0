/*
 * stockvid.c - stock video search (Pexels, Pixabay), rendition choice,
 * capped download and the decode check (see stockvid.h).
 *
 * Invariants: a search reply is only read, never trusted: every
 * rendition needs a URL, positive dimensions and (Pexels) the video/mp4
 * file type, and one listed as over the cap is skipped; the downloaded
 * file is removed again unless it passed avk_stockvid_check().
 */
#include "stockvid.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frames.h"
#include "image.h"

/* The choice a search makes: where to download, and whom to credit. */
typedef struct pick {
    const char *url;            /* borrowed from the reply */
    const json_t *hit;          /* the clip */
    avk_stockvid_cand cand;
    double score;
} pick;

void avk_stockvid_result_init(avk_stockvid_result *r)
{
    memset(r, 0, sizeof *r);
}

void avk_stockvid_result_release(avk_stockvid_result *r)
{
    free(r->attribution);
    free(r->license);
    free(r->link);
    avk_stockvid_result_init(r);
}

int avk_stockvid_known(const char *name)
{
    return name && (strcmp(name, "pexels") == 0 ||
                     strcmp(name, "pixabay") == 0);
}

double avk_stockvid_score(const avk_stockvid_cand *c, int w, int h,
                          double min_duration)
{
    double s, up;

    if (c->width <= 0 || c->height <= 0 || w <= 0 || h <= 0)
        return 1e9;
    /* shape: how much a cover fit must crop */
    s = fabs(log(((double)c->width / c->height) / ((double)w / h)));
    /* size: upscaling costs a lot, extra pixels only a little */
    up = fmax((double)w / c->width, (double)h / c->height);
    if (up > 1.0)
        s += 0.5 + log(up);
    else
        s += 0.1 * log(1.0 / up);
    /* length: a clip shorter than the scene loops */
    if (min_duration > 0) {
        if (c->duration <= 0)
            s += 0.2;
        else if (c->duration + 0.05 < min_duration)
            s += 0.3 + (min_duration - c->duration) / min_duration;
    }
    return s;
}

static const char *orientation(int w, int h)
{
    if (h * 10 > w * 11)
        return "portrait";
    if (w * 10 > h * 11)
        return "landscape";
    return "square";
}

static long long cap_of(const avk_stockvid_req *q)
{
    return q->max_bytes > 0 ? q->max_bytes : AVK_STOCKVID_MAX_BYTES;
}

/* Offer one rendition to the pick. */
static void consider(pick *p, const json_t *hit, const char *url, int w,
                     int h, double duration, const avk_stockvid_req *q)
{
    avk_stockvid_cand c;
    double s;

    if (!url || !*url || w <= 0 || h <= 0)
        return;
    c.width = w;
    c.height = h;
    c.duration = duration;
    s = avk_stockvid_score(&c, q->width, q->height, q->min_duration);
    if (!p->url || s < p->score) {
        p->url = url;
        p->hit = hit;
        p->cand = c;
        p->score = s;
    }
}

static int num_int(const json_t *o, const char *k)
{
    double v = json_number_value(json_object_get(o, k));

    return v > 0 && v < 1e6 ? (int)v : 0;
}

static int set_credits(avk_stockvid_result *r, const char *who, const char *url,
                       const char *site, const char *license,
                       const char *page, avk_err *err)
{
    return avk_imgnet_credits(who, url, site, license, page,
                              &r->attribution, &r->license, &r->link, err);
}

static int search(const avk_imgnet_env *e, avk_http_req *rq, json_t **reply,
                  avk_err *err)
{
    avk_http_resp r;
    int rc = avk_http_do_json(e->http, rq, &r, reply, err);

    if (rc)
        avk_http_scrub_err(rq, err);
    avk_http_resp_release(&r);
    return rc;
}

static int pexels_search(const avk_imgnet_env *e, const avk_stockvid_req *q,
                         json_t **reply, avk_err *err)
{
    const char *key, *base, *size;
    int big = q->width > q->height ? q->width : q->height, rc;
    avk_http_req rq;
    avk_buf url;

    if ((rc = avk_imgnet_need_key(e, "pexels", "PEXELS_API_KEY", &key, err)))
        return rc;
    /* the smallest class that still covers the format */
    size = big > 1920 ? "large" : big > 1280 ? "medium" : "small";
    base = avk_imgnet_cfg(e, "pexels", "base_url");
    avk_buf_init(&url);
    if (avk_imgnet_url(&url, base ? base : "https://api.pexels.com",
                       "/videos/search") ||
        avk_url_add_query(&url, "query", q->query) ||
        avk_url_add_query(&url, "orientation",
                          orientation(q->width, q->height)) ||
        avk_url_add_query(&url, "size", size) ||
        avk_url_add_query(&url, "per_page", "15")) {
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&rq, "GET", url.data);
    avk_buf_release(&url);
    avk_http_req_secret_header(&rq, "Authorization", key);
    rc = search(e, &rq, reply, err);
    avk_http_req_release(&rq);
    return rc;
}

static void pexels_pick(const json_t *reply, const avk_stockvid_req *q,
                        pick *p)
{
    const json_t *videos = json_object_get(reply, "videos"), *v, *f;
    size_t i, j;

    json_array_foreach(videos, i, v)
    {
        double dur = json_number_value(json_object_get(v, "duration"));
        const json_t *files = json_object_get(v, "video_files");

        json_array_foreach(files, j, f)
        {
            const char *type =
                json_string_value(json_object_get(f, "file_type"));
            if (!type || strcasecmp(type, "video/mp4") != 0)
                continue;
            consider(p, v, json_string_value(json_object_get(f, "link")),
                     num_int(f, "width"), num_int(f, "height"), dur, q);
        }
    }
}

static int pixabay_search(const avk_imgnet_env *e, const avk_stockvid_req *q,
                          json_t **reply, avk_err *err)
{
    const char *key, *base;
    avk_http_req rq;
    avk_buf url;
    int rc;

    if ((rc = avk_imgnet_need_key(e, "pixabay", "PIXABAY_API_KEY", &key, err)))
        return rc;
    base = avk_imgnet_cfg(e, "pixabay", "base_url");
    avk_buf_init(&url);
    if (avk_imgnet_url(&url, base ? base : "https://pixabay.com",
                       "/api/videos/") ||
        avk_url_add_query(&url, "key", key) ||
        avk_url_add_query(&url, "q", q->query) ||
        avk_url_add_query(&url, "video_type", "film") ||
        avk_url_add_query(&url, "safesearch", "true") ||
        avk_url_add_query(&url, "per_page", "20")) {
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&rq, "GET", url.data);
    avk_buf_release(&url);
    avk_http_req_secret_query(&rq, "key");
    rc = search(e, &rq, reply, err);
    avk_http_req_release(&rq);
    return rc;
}

static void pixabay_pick(const json_t *reply, const avk_stockvid_req *q,
                         pick *p)
{
    static const char *const sizes[] = {"large", "medium", "small", "tiny"};
    const json_t *hits = json_object_get(reply, "hits"), *h;
    size_t i, j;

    json_array_foreach(hits, i, h)
    {
        double dur = json_number_value(json_object_get(h, "duration"));
        const json_t *vids = json_object_get(h, "videos");

        for (j = 0; j < sizeof sizes / sizeof *sizes; j++) {
            const json_t *r = json_object_get(vids, sizes[j]);
            double bytes = json_number_value(json_object_get(r, "size"));
            if (!json_is_object(r) || bytes > (double)cap_of(q))
                continue;
            consider(p, h, json_string_value(json_object_get(r, "url")),
                     num_int(r, "width"), num_int(r, "height"), dur, q);
        }
    }
}

static int want_mp4(const avk_http_resp *r, avk_err *err)
{
    const char *ct = avk_http_resp_header(r, "Content-Type");

    if (!ct || strncasecmp(ct, "video/mp4", 9) != 0 ||
        (ct[9] && ct[9] != ';' && ct[9] != ' '))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s %s: expected a video/mp4, got '%.40s'", r->method,
                        r->url, ct ? ct : "no content type");
    return 0;
}

static int download(const avk_imgnet_env *e, const char *url,
                    long long cap, const char *path, avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    int rc;

    avk_http_req_init(&q, "GET", url);
    avk_http_req_header(&q, "Accept", "video/mp4");
    avk_http_req_download(&q, path);
    q.max_body = cap;
    q.max_redirects = 5;
    rc = avk_http_do(e->http, &q, &r, err);
    if (rc == 0)
        rc = avk_http_status_error(&q, &r, NULL, err);
    if (rc == 0)
        rc = want_mp4(&r, err);
    if (rc == 0 && !r.downloaded)
        rc = avk_fail(err, AVK_EX_SOFTWARE, "%s %s: nothing downloaded",
                      r.method, r.url);
    if (rc)
        unlink(path);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

int avk_stockvid_check(const char *path, long long cap,
                       avk_stockvid_result *out, avk_err *err)
{
    avk_media_info mi;
    struct stat st;
    avk_clip *clip = NULL;
    AVFrame *f = NULL;
    avk_err inner = {0, ""};
    int rc;

    if (stat(path, &st) != 0)
        return avk_fail(err, errno == ENOENT ? AVK_EX_NOINPUT : AVK_EX_IOERR,
                        "cannot open '%s': %s", path, strerror(errno));
    if (cap > 0 && (long long)st.st_size > cap)
        return avk_fail(err, AVK_EX_DATAERR,
                        "clip of %lld bytes is over the %lld-byte cap",
                        (long long)st.st_size, cap);
    if ((rc = avk_media_probe(path, &mi, &inner)) != 0)
        return avk_fail(err, rc == AVK_EX_OSERR ? rc : AVK_EX_DATAERR,
                        "the clip is not a readable video");
    if (mi.kind != AVK_MEDIA_VIDEO)
        return avk_fail(err, AVK_EX_DATAERR, "the clip is not a video (%s)",
                        avk_media_kind_name(mi.kind));
    if (!strstr(mi.format, "mp4") && !strstr(mi.format, "mov"))
        return avk_fail(err, AVK_EX_DATAERR, "the clip is not MP4 ('%s')",
                        mi.format);
    if (mi.width < 16 || mi.height < 16 || mi.width > 8192 ||
        mi.height > 8192)
        return avk_fail(err, AVK_EX_DATAERR,
                        "the clip's size %dx%d is out of range", mi.width,
                        mi.height);
    if (!(mi.duration > 0) || mi.duration > 86400)
        return avk_fail(err, AVK_EX_DATAERR,
                        "the clip has no usable duration (%.3f s)",
                        mi.duration);
    /* decode a frame the way av-render will */
    rc = avk_clip_open(&clip, path, 32, 32, &inner);
    if (rc == 0 && !(f = avk_yuv_frame_new(32, 32)))
        rc = AVK_EX_OSERR;
    if (rc == 0)
        rc = avk_clip_frame(clip, 0, f, &inner);
    av_frame_free(&f);
    avk_clip_free(clip);
    if (rc)
        return avk_fail(err, rc == AVK_EX_OSERR ? rc : AVK_EX_DATAERR,
                        "the clip does not decode");
    out->width = mi.width;
    out->height = mi.height;
    out->duration = mi.duration;
    out->bytes = (long long)st.st_size;
    snprintf(out->vcodec, sizeof out->vcodec, "%s", mi.vcodec);
    return 0;
}

int avk_stockvid_fetch(const avk_imgnet_env *e, const char *name,
                       const avk_stockvid_req *q, const char *path,
                       avk_stockvid_result *out, avk_err *err)
{
    json_t *reply = NULL;
    pick p;
    int pexels, rc;
    long long cap = cap_of(q);

    if (!avk_stockvid_known(name))
        return avk_fail(err, AVK_EX_USAGE, "'%s' has no video search", name);
    if (!q->query || !*q->query)
        return avk_fail(err, AVK_EX_DATAERR, "%s: no keywords to search",
                        name);
    pexels = strcmp(name, "pexels") == 0;
    rc = pexels ? pexels_search(e, q, &reply, err)
                : pixabay_search(e, q, &reply, err);
    if (rc)
        return rc;
    memset(&p, 0, sizeof p);
    if (pexels)
        pexels_pick(reply, q, &p);
    else
        pixabay_pick(reply, q, &p);
    if (!p.url) {
        json_decref(reply);
        return avk_fail(err, AVK_EX_UNAVAILABLE, "%s: no videos for '%s'",
                        name, q->query);
    }
    rc = download(e, p.url, cap, path, err);
    if (rc == 0) {
        avk_err inner = {0, ""};
        if ((rc = avk_stockvid_check(path, cap, out, &inner)) != 0) {
            avk_fail(err, rc, "%s: %s", name, inner.msg);
            unlink(path);
        }
    }
    if (rc == 0) {
        const json_t *h = p.hit;
        rc = pexels
                 ? set_credits(
                       out,
                       json_string_value(json_object_get(
                           json_object_get(h, "user"), "name")),
                       json_string_value(
                           json_object_get(json_object_get(h, "user"), "url")),
                       "Pexels", "Pexels License",
                       json_string_value(json_object_get(h, "url")), err)
                 : set_credits(
                       out, json_string_value(json_object_get(h, "user")),
                       json_string_value(json_object_get(h, "pageURL")),
                       "Pixabay", "Pixabay Content License",
                       json_string_value(json_object_get(h, "pageURL")), err);
        if (rc) {
            unlink(path);
            avk_stockvid_result_release(out);
        }
    }
    json_decref(reply);
    return rc;
}
