/*
 * imgnet.h - network image providers for av-image, behind one interface.
 *
 * Each provider (lib/img_openai.c, lib/img_stability.c, lib/img_sdwebui.c,
 * lib/img_stock.c) turns one request into the bytes of one image and its
 * credits; avk_imgnet_fetch() dispatches by name and then decodes and
 * checks what came back.  What always holds:
 *   - a result has passed avk_imgnet_check(): the bytes decode as a real
 *     image within the size cap and the dimension limits, and it has been
 *     scaled to cover and centre-cropped to exactly width x height;
 *   - a reply whose Content-Type is not an image, a corrupt image, an
 *     oversized body, 401/403, 429 after the retries: all are errors
 *     (AVK_EX_DATAERR, AVK_EX_NOPERM, AVK_EX_TEMPFAIL), never a result;
 *   - API keys come from the configuration (openai.api_key, ...), travel
 *     only as secret headers or secret query parameters and never appear
 *     in a message.
 */
#ifndef AVK_IMGNET_H
#define AVK_IMGNET_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "http.h"
#include "image.h"

/* Default cap on one downloaded image (config image.max_bytes). */
#define AVK_IMGNET_MAX_BYTES (20LL * 1024 * 1024)

typedef struct avk_imgnet_env {
    const avk_http_opts *http; /* borrowed */
    const avk_config *cfg;     /* borrowed: keys, base URLs, models */
    long long max_bytes;       /* image size cap; 0 = the default */
} avk_imgnet_env;

typedef struct avk_imgnet_req {
    const char *prompt; /* generators: the visual prompt */
    const char *query;  /* stock search: the scene keywords */
    int width, height;  /* the size wanted (the document's format) */
} avk_imgnet_req;

/* What a provider returns: raw bytes plus credits (all heap, owned). */
typedef struct avk_imgnet_raw {
    uint8_t *data;
    size_t len;
    char *attribution; /* "Name (https://...)" for stock, else NULL */
    char *license;     /* e.g. "Pexels License", else NULL */
    char *link;        /* page of the stock item, else NULL */
} avk_imgnet_raw;

typedef struct avk_imgnet_result {
    avk_image image; /* exactly width x height */
    int src_width, src_height;
    char *attribution, *license, *link; /* owned, may be NULL */
} avk_imgnet_result;

void avk_imgnet_raw_init(avk_imgnet_raw *r);

/* Stock credits: *attribution "WHO on SITE (URL)" (WHO "unknown" when
 * empty, no URL part when there is none), *license a copy of license,
 * *link a copy of page or NULL.  The three are newly allocated (the
 * caller frees them, also after a failure).  Fails with AVK_EX_OSERR. */
int avk_imgnet_credits(const char *who, const char *url, const char *site,
                       const char *license, const char *page,
                       char **attribution, char **license_out, char **link,
                       avk_err *err);
void avk_imgnet_raw_release(avk_imgnet_raw *r);
void avk_imgnet_result_init(avk_imgnet_result *r);
void avk_imgnet_result_release(avk_imgnet_result *r);

/* Non-zero when name is a network provider this module knows. */
int avk_imgnet_known(const char *name);
/* The model (or "search") recorded for a provider, from the config. */
const char *avk_imgnet_model(const avk_imgnet_env *e, const char *name);

/* Ask provider name for one image, check it and fit it (see the top).
 * Fails with the provider's code; out is then empty.  out is caller-owned
 * (init before, release after). */
int avk_imgnet_fetch(const avk_imgnet_env *e, const char *name,
                     const avk_imgnet_req *q, avk_imgnet_result *out,
                     avk_err *err);

/* Decode data as an image (at most cap bytes), reject anything else with
 * AVK_EX_DATAERR, and cover-fit it to w x h into out. */
int avk_imgnet_check(const void *data, size_t len, long long cap, int w,
                     int h, avk_imgnet_result *out, avk_err *err);

/* ---- for the providers ---- */

/* Config string "SECTION.KEY", or NULL when unset or empty. */
const char *avk_imgnet_cfg(const avk_imgnet_env *e, const char *section,
                           const char *key);
/* Fail with AVK_EX_CONFIG when the key is missing (names the variable). */
int avk_imgnet_need_key(const avk_imgnet_env *e, const char *section,
                        const char *envname, const char **key, avk_err *err);
/* Fail with AVK_EX_DATAERR unless the reply's Content-Type is image/ *. */
int avk_imgnet_want_image(const avk_http_resp *r, avk_err *err);
/* Decode base64 s into newly allocated *out (caller frees); AVK_EX_DATAERR
 * on bad input, AVK_EX_OSERR. */
int avk_imgnet_b64(const char *s, uint8_t **out, size_t *len, avk_err *err);
/* GET url into raw->data (capped at e's max_bytes, image type checked). */
int avk_imgnet_download(const avk_imgnet_env *e, const char *url,
                        avk_imgnet_raw *raw, avk_err *err);
/* Take r->body as raw->data (r's buffer is emptied). */
void avk_imgnet_take_body(avk_http_resp *r, avk_imgnet_raw *raw);
/* Strip trailing slashes from a base URL into out. */
int avk_imgnet_url(avk_buf *out, const char *base, const char *path);

/* Providers; each fills raw or fails. */
int avk_img_openai(const avk_imgnet_env *e, const avk_imgnet_req *q,
                   avk_imgnet_raw *raw, avk_err *err);
int avk_img_stability(const avk_imgnet_env *e, const avk_imgnet_req *q,
                      avk_imgnet_raw *raw, avk_err *err);
int avk_img_sdwebui(const avk_imgnet_env *e, const avk_imgnet_req *q,
                    avk_imgnet_raw *raw, avk_err *err);
int avk_img_pexels(const avk_imgnet_env *e, const avk_imgnet_req *q,
                   avk_imgnet_raw *raw, avk_err *err);
int avk_img_pixabay(const avk_imgnet_env *e, const avk_imgnet_req *q,
                    avk_imgnet_raw *raw, avk_err *err);

#endif
