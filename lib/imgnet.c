/*
 * imgnet.c - dispatch to the network image providers and check what they
 * return: every result is decoded, bounded and cover-fitted here, so no
 * provider's bytes reach an asset unchecked.
 */
#include "imgnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

void avk_imgnet_raw_init(avk_imgnet_raw *r) { memset(r, 0, sizeof *r); }

int avk_imgnet_credits(const char *who, const char *url, const char *site,
                       const char *license, const char *page,
                       char **attribution, char **license_out, char **link,
                       avk_err *err)
{
    avk_buf b;

    avk_buf_init(&b);
    if (avk_buf_printf(&b, "%s on %s", who && *who ? who : "unknown", site) ||
        (url && *url && avk_buf_printf(&b, " (%s)", url))) {
        avk_buf_release(&b);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    *attribution = avk_buf_detach(&b);
    *license_out = strdup(license);
    *link = page && *page ? strdup(page) : NULL;
    if (!*attribution || !*license_out || (page && *page && !*link))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}

void avk_imgnet_raw_release(avk_imgnet_raw *r)
{
    free(r->data);
    free(r->attribution);
    free(r->license);
    free(r->link);
    avk_imgnet_raw_init(r);
}

void avk_imgnet_result_init(avk_imgnet_result *r)
{
    memset(r, 0, sizeof *r);
    avk_image_init(&r->image);
}

void avk_imgnet_result_release(avk_imgnet_result *r)
{
    avk_image_release(&r->image);
    free(r->attribution);
    free(r->license);
    free(r->link);
    avk_imgnet_result_init(r);
}

typedef int (*prov_fn)(const avk_imgnet_env *, const avk_imgnet_req *,
                       avk_imgnet_raw *, avk_err *);

static const struct {
    const char *name;
    prov_fn fn;
    const char *model_key, *model_def;
} provs[] = {
    {"openai", avk_img_openai, "openai.image_model", "dall-e-3"},
    {"stability", avk_img_stability, "stability.model", "core"},
    {"sdwebui", avk_img_sdwebui, "sdwebui.model", "txt2img"},
    {"pexels", avk_img_pexels, NULL, "photos"},
    {"pixabay", avk_img_pixabay, NULL, "photos"},
};

static int find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof provs / sizeof provs[0]; i++)
        if (strcmp(provs[i].name, name) == 0)
            return (int)i;
    return -1;
}

int avk_imgnet_known(const char *name) { return name && find(name) >= 0; }

const char *avk_imgnet_model(const avk_imgnet_env *e, const char *name)
{
    int i = find(name);

    if (i < 0)
        return "";
    return provs[i].model_key
               ? avk_config_str(e->cfg, provs[i].model_key, provs[i].model_def)
               : provs[i].model_def;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int avk_imgnet_check(const void *data, size_t len, long long cap, int w,
                     int h, avk_imgnet_result *out, avk_err *err)
{
    avk_image im;
    int rc;

    if (!data || len == 0)
        return avk_fail(err, AVK_EX_DATAERR, "empty image");
    if (cap > 0 && (long long)len > cap)
        return avk_fail(err, AVK_EX_DATAERR,
                        "image of %zu bytes is over the %lld-byte cap", len,
                        cap);
    avk_image_init(&im);
    if ((rc = avk_image_load_mem(data, len, &im, err)))
        return rc;
    if (im.w < 16 || im.h < 16) {
        avk_image_release(&im);
        return avk_fail(err, AVK_EX_DATAERR, "image of %dx%d is too small",
                        im.w, im.h);
    }
    out->src_width = im.w;
    out->src_height = im.h;
    rc = avk_image_cover(&im, w, h, &out->image, err);
    avk_image_release(&im);
    return rc;
}

int avk_imgnet_fetch(const avk_imgnet_env *e, const char *name,
                     const avk_imgnet_req *q, avk_imgnet_result *out,
                     avk_err *err)
{
    avk_imgnet_raw raw;
    int i = find(name), rc;
    long long cap = e->max_bytes > 0 ? e->max_bytes : AVK_IMGNET_MAX_BYTES;

    if (i < 0)
        return avk_fail(err, AVK_EX_USAGE, "unknown image provider '%s'",
                        name);
    avk_imgnet_raw_init(&raw);
    rc = provs[i].fn(e, q, &raw, err);
    if (rc == 0) {
        rc = avk_imgnet_check(raw.data, raw.len, cap, q->width, q->height, out,
                              err);
        if (rc) {
            /* say whose bytes they were */
            avk_err inner = *err;
            avk_fail(err, rc, "%s: %s", name, inner.msg);
        }
    }
    if (rc == 0 && ((raw.attribution && !(out->attribution = dup_or_null(
                                              raw.attribution))) ||
                    (raw.license && !(out->license = strdup(raw.license))) ||
                    (raw.link && !(out->link = strdup(raw.link)))))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    avk_imgnet_raw_release(&raw);
    if (rc)
        avk_imgnet_result_release(out);
    return rc;
}

const char *avk_imgnet_cfg(const avk_imgnet_env *e, const char *section,
                           const char *key)
{
    char k[96];
    const char *v;

    snprintf(k, sizeof k, "%s.%s", section, key);
    v = e->cfg ? avk_config_str(e->cfg, k, NULL) : NULL;
    return v && *v ? v : NULL;
}

int avk_imgnet_need_key(const avk_imgnet_env *e, const char *section,
                        const char *envname, const char **key, avk_err *err)
{
    *key = avk_imgnet_cfg(e, section, "api_key");
    if (!*key)
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s: no API key (set %s or %s.api_key)", section,
                        envname, section);
    return 0;
}

int avk_imgnet_want_image(const avk_http_resp *r, avk_err *err)
{
    const char *ct = avk_http_resp_header(r, "Content-Type");

    if (!ct || strncasecmp(ct, "image/", 6) != 0)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s %s: expected an image, got '%.40s'", r->method,
                        r->url, ct ? ct : "no content type");
    return 0;
}

static int b64v(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int avk_imgnet_b64(const char *s, uint8_t **out, size_t *len, avk_err *err)
{
    size_t n = strlen(s), o = 0;
    uint8_t *d;
    unsigned acc = 0;
    int bits = 0;

    *out = NULL;
    *len = 0;
    d = malloc(n / 4 * 3 + 3);
    if (!d)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (; *s; s++) {
        int v;

        if (*s == '=' || *s == '\n' || *s == '\r')
            continue;
        if ((v = b64v((unsigned char)*s)) < 0) {
            free(d);
            return avk_fail(err, AVK_EX_DATAERR, "bad base64 image data");
        }
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out = d;
    *len = o;
    return 0;
}

void avk_imgnet_take_body(avk_http_resp *r, avk_imgnet_raw *raw)
{
    free(raw->data);
    raw->len = r->body.len;
    raw->data = (uint8_t *)avk_buf_detach(&r->body);
}

int avk_imgnet_download(const avk_imgnet_env *e, const char *url,
                        avk_imgnet_raw *raw, avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    int rc;

    avk_http_req_init(&q, "GET", url);
    avk_http_req_header(&q, "Accept", "image/*");
    q.max_body = e->max_bytes > 0 ? e->max_bytes : AVK_IMGNET_MAX_BYTES;
    q.max_redirects = 5;
    rc = avk_http_do(e->http, &q, &r, err);
    if (rc == 0)
        rc = avk_http_status_error(&q, &r, NULL, err);
    if (rc == 0)
        rc = avk_imgnet_want_image(&r, err);
    if (rc == 0)
        avk_imgnet_take_body(&r, raw);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

int avk_imgnet_url(avk_buf *out, const char *base, const char *path)
{
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    if (avk_buf_add(out, base, n) || avk_buf_adds(out, path))
        return AVK_EX_OSERR;
    return 0;
}
