/*
 * av-image - one still per scene: procedural art, a local library match,
 * or a network provider (OpenAI Images, Stability, an AUTOMATIC1111
 * server, Pexels or Pixabay stock photos or clips) through a fallback
 * chain.
 *
 *   av-image [options] < scripted.jsonl > visual.jsonl
 *   av-image --prompt TEXT [--aspect 9:16] -o out.png
 *
 * Reads documents with .script.scenes, writes .visuals.scenes (one asset
 * per scene at the document's format size, or --aspect's), through the
 * stage driver (lib/cli).  The work itself is lib/scenevis (library match
 * or lib/procart art with a title card from the scene's keywords), and
 * lib/imgnet for the network providers.  Invariants: the network is used
 * only when --provider names a network provider; every network image is
 * decoded and checked (lib/imgnet), every stock clip opened and a frame
 * decoded (lib/stockvid), before it becomes an asset; a failing
 * provider hands the scene to the next one in the chain; repeated
 * requests are served from the request cache (lib/cache).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "assets.h"
#include "cache.h"
#include "cli.h"
#include "doc.h"
#include "fsutil.h"
#include "hash.h"
#include "http.h"
#include "image.h"
#include "imgnet.h"
#include "medialib.h"
#include "procart.h"
#include "scenevis.h"
#include "stockvid.h"
#include "text.h"

#define USAGE                                                                  \
    "av-image [options] < scripted.jsonl > visual.jsonl\n"                     \
    "       av-image --prompt TEXT [--aspect RATIO] [--seed N] -o FILE"
#define SUMMARY                                                                \
    "Make one still per scene: procedural art, a library match or a network " \
    "provider."
#define MAX_CHAIN 8

/* What the stock providers (pexels, pixabay) search: --stock. */
enum { STOCK_PHOTO, STOCK_VIDEO, STOCK_ANY };

typedef struct iopts {
    const char *prompt, *output, *aspect, *provider, *library, *palette, *style,
        *format, *stock;
    long long seed, quality;
    int seed_set, no_title, videos;
    /* opened in main */
    avk_fonts *fonts;
    avk_medialib *lib;
    avk_diag *diag;
    /* the provider chain, parsed from --provider */
    char *chain_buf;
    const char *chain[MAX_CHAIN];
    size_t nchain;
    int network; /* some provider in the chain is a network one */
    int stock_mode;             /* STOCK_*, from --stock or image.stock */
    long long max_video_bytes;  /* image.max_video_bytes */
    avk_http_opts http;
    avk_imgnet_env env;
} iopts;

static int set_seed(void *ud, const char *value, avk_err *err)
{
    iopts *o = ud;
    char *end;
    unsigned long long v = strtoull(value, &end, 0);

    if (!*value || *end)
        return avk_fail(err, AVK_EX_USAGE, "--seed: '%s' is not a number",
                        value);
    o->seed = (long long)v;
    o->seed_set = 1;
    return 0;
}

/* NULL, "auto" or one of the names listed by fn. */
static int known(const char *name, const char *(*fn)(size_t))
{
    size_t i;

    if (!name || strcmp(name, "auto") == 0)
        return 1;
    for (i = 0; fn(i); i++)
        if (strcmp(fn(i), name) == 0)
            return 1;
    return 0;
}

static void lib_warn(void *ctx, const char *msg)
{
    avk_warn((const avk_diag *)ctx, "%s", msg);
}

static uint64_t seed_from(const char *s)
{
    char hex[AVK_SHA256_HEX];
    uint64_t v = 0;
    int i;

    avk_sha256_hex(s, strlen(s), hex);
    for (i = 0; i < 16; i++)
        v = v << 4 |
            (uint64_t)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
    return v >> 11; /* 53 bits: exact as a JSON number anywhere */
}

static int want_jpeg(const iopts *o)
{
    return !o->format || strcmp(o->format, "jpeg") == 0 ||
           strcmp(o->format, "jpg") == 0;
}

static int encode(const iopts *o, const avk_image *im, int jpeg, uint8_t **data,
                  size_t *len, avk_err *err)
{
    return jpeg ? avk_image_encode_jpeg(im, (int)o->quality, data, len, err)
                : avk_image_encode_png(im, data, len, err);
}

/* Keywords of a scene as borrowed strings (non-strings are an error). */
static int scene_keywords(const json_t *scene, const char *path,
                          const char ***kw, size_t *n, avk_err *err)
{
    json_t *arr = json_object_get(scene, "keywords"), *v;
    size_t i;

    *kw = NULL;
    *n = 0;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return avk_fail(err, AVK_EX_DATAERR, "%s.keywords: expected an array",
                        path);
    *kw = calloc(json_array_size(arr) + 1, sizeof **kw);
    if (!*kw)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) {
            free(*kw);
            *kw = NULL;
            return avk_fail(err, AVK_EX_DATAERR,
                            "%s.keywords[%zu]: expected a string", path, i);
        }
        (*kw)[(*n)++] = json_string_value(v);
    }
    return 0;
}


/* STOCK_* for a --stock / image.stock value, or -1. */
static int stock_mode(const char *v)
{
    if (strcmp(v, "photo") == 0 || strcmp(v, "photos") == 0)
        return STOCK_PHOTO;
    if (strcmp(v, "video") == 0 || strcmp(v, "videos") == 0)
        return STOCK_VIDEO;
    if (strcmp(v, "any") == 0)
        return STOCK_ANY;
    return -1;
}

/* Split --provider into o->chain; each name must be known. */
static int parse_chain(iopts *o, avk_err *err)
{
    char *p, *save = NULL, *tok;

    if (!(o->chain_buf = strdup(o->provider)))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (p = o->chain_buf; (tok = strtok_r(p, ",", &save)); p = NULL) {
        if (o->nchain == MAX_CHAIN)
            return avk_fail(err, AVK_EX_USAGE, "--provider: at most %d names",
                            MAX_CHAIN);
        if (strcmp(tok, "local") != 0 && strcmp(tok, "library") != 0 &&
            !avk_imgnet_known(tok))
            return avk_fail(err, AVK_EX_USAGE,
                            "unknown provider '%s' (local, library, openai, "
                            "stability, sdwebui, pexels or pixabay)",
                            tok);
        if (avk_imgnet_known(tok))
            o->network = 1;
        o->chain[o->nchain++] = tok;
    }
    if (o->nchain == 0)
        return avk_fail(err, AVK_EX_USAGE, "--provider: no provider named");
    return 0;
}

static int in_chain(const iopts *o, const char *name)
{
    size_t i;

    for (i = 0; i < o->nchain; i++)
        if (strcmp(o->chain[i], name) == 0)
            return 1;
    return 0;
}

/* Stock search words: up to three keywords, else the visual prompt. */
static char *make_query(const char *const *kw, size_t n, const char *visual)
{
    avk_buf b;
    size_t i;

    avk_buf_init(&b);
    for (i = 0; kw && i < n && i < 3; i++)
        if (avk_buf_adds(&b, i ? " " : "") || avk_buf_adds(&b, kw[i])) {
            avk_buf_release(&b);
            return NULL;
        }
    if (b.len == 0 && visual && avk_buf_adds(&b, visual)) {
        avk_buf_release(&b);
        return NULL;
    }
    return avk_buf_detach(&b);
}

/* One scene from network provider name: a cache hit, or fetched, checked,
 * encoded and stored as an asset.  *entry is the scene's visuals entry. */
static int net_scene(avk_ctx *ctx, iopts *o, const char *name,
                     const avk_imgnet_req *q, json_t **entry, avk_err *err)
{
    const char *model = avk_imgnet_model(&o->env, name);
    int stock = strcmp(name, "pexels") == 0 || strcmp(name, "pixabay") == 0;
    int jpeg = want_jpeg(o), rc;
    json_t *params, *hit = NULL;
    char key[65];
    avk_imgnet_result r;
    avk_asset a;
    uint8_t *data = NULL;
    size_t len = 0;

    *entry = NULL;
    params = json_pack("{s:s, s:i, s:i, s:s, s:I}", stock ? "query" : "prompt",
                       stock ? q->query : q->prompt, "width", q->width,
                       "height", q->height, "format", jpeg ? "jpeg" : "png",
                       "quality", (json_int_t)o->quality);
    if (params) {
        /* another server speaking the same protocol gives other images */
        const char *base = avk_imgnet_cfg(&o->env, name, "base_url");
        json_object_set_new(params, "base_url",
                            base ? json_string(base) : json_null());
    }
    if (!params)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = avk_cache_key(name, model, params, key);
    json_decref(params);
    if (rc)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (ctx->store &&
        (rc = avk_cache_get_json(ctx->store, key, &hit, err)) != 0)
        return rc;
    if (hit) {
        avk_err e2 = {0, ""};
        if (avk_asset_from_json(json_object_get(hit, "asset"), "cache", &a,
                                &e2) == 0 &&
            avk_asset_verify(ctx->ws_root, &a, 0, &e2) == 0) {
            avk_debug(o->diag, "%s: cache hit", name);
            *entry = hit;
            return 0;
        }
        json_decref(hit);
    }
    avk_imgnet_result_init(&r);
    rc = avk_imgnet_fetch(&o->env, name, q, &r, err);
    if (rc == 0)
        rc = encode(o, &r.image, jpeg, &data, &len, err);
    if (rc == 0)
        rc = avk_asset_import_mem(ctx->ws_root, data, len,
                                  jpeg ? "image/jpeg" : "image/png", &a, err);
    free(data);
    if (rc == 0) {
        *entry = json_pack(
            "{s:o, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s?, s:s?}",
            "asset", avk_asset_to_json(&a), "kind", "image", "source", name,
            "model", model, "prompt", stock ? q->query : q->prompt, "width",
            q->width, "height", q->height, "source_width", r.src_width,
            "source_height", r.src_height, "attribution", r.attribution,
            "license", r.license);
        if (*entry && !r.attribution)
            json_object_set_new(*entry, "attribution", json_null());
        if (*entry && !r.license)
            json_object_set_new(*entry, "license", json_null());
        if (*entry && r.link)
            json_object_set_new(*entry, "link", json_string(r.link));
        if (!*entry)
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_imgnet_result_release(&r);
    if (rc == 0 && ctx->store) {
        avk_err e2 = {0, ""};
        if (avk_cache_put_json(ctx->store, key, name, model, *entry, &e2))
            avk_warn(o->diag, "cannot cache the %s reply: %s", name, e2.msg);
    }
    return rc;
}

/* One scene as a stock clip from provider name (pexels, pixabay): a cache
 * hit, or searched, downloaded, checked (lib/stockvid) and adopted as a
 * video/mp4 asset.  min_dur is how long the scene lasts (0: unknown). */
static int net_video_scene(avk_ctx *ctx, iopts *o, const char *name,
                           const avk_imgnet_req *q, double min_dur,
                           json_t **entry, avk_err *err)
{
    const char *base = avk_imgnet_cfg(&o->env, name, "base_url");
    avk_stockvid_req vq;
    avk_stockvid_result r;
    json_t *params, *hit = NULL;
    char key[65], *tmp = NULL;
    avk_asset a;
    int rc;

    *entry = NULL;
    params = json_pack("{s:s, s:s, s:i, s:i, s:f, s:I, s:o}", "kind", "video",
                       "query", q->query, "width", q->width, "height",
                       q->height, "min_duration", min_dur, "max_bytes",
                       (json_int_t)o->max_video_bytes, "base_url",
                       base ? json_string(base) : json_null());
    if (!params)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = avk_cache_key(name, "videos", params, key);
    json_decref(params);
    if (rc)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (ctx->store &&
        (rc = avk_cache_get_json(ctx->store, key, &hit, err)) != 0)
        return rc;
    if (hit) {
        avk_err e2 = {0, ""};
        if (avk_asset_from_json(json_object_get(hit, "asset"), "cache", &a,
                                &e2) == 0 &&
            avk_asset_verify(ctx->ws_root, &a, 0, &e2) == 0) {
            avk_debug(o->diag, "%s: cache hit (video)", name);
            *entry = hit;
            return 0;
        }
        json_decref(hit);
    }
    memset(&vq, 0, sizeof vq);
    vq.query = q->query;
    vq.width = q->width;
    vq.height = q->height;
    vq.min_duration = min_dur;
    vq.max_bytes = o->max_video_bytes;
    avk_stockvid_result_init(&r);
    if ((rc = avk_asset_tmp_path(ctx->ws_root, "mp4", &tmp, err)))
        return rc;
    rc = avk_stockvid_fetch(&o->env, name, &vq, tmp, &r, err);
    if (rc == 0 && (rc = avk_asset_adopt(ctx->ws_root, tmp, "video/mp4", &a,
                                         err)) != 0)
        unlink(tmp);
    free(tmp);
    if (rc == 0) {
        *entry = json_pack(
            "{s:o, s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:s?, s:s?, s:s?}",
            "asset", avk_asset_to_json(&a), "kind", "video", "source", name,
            "model", "videos", "prompt", q->query, "width", r.width, "height",
            r.height, "duration", r.duration, "attribution", r.attribution,
            "license", r.license, "link", r.link);
        if (!*entry)
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_stockvid_result_release(&r);
    if (rc == 0 && ctx->store) {
        avk_err e2 = {0, ""};
        if (avk_cache_put_json(ctx->store, key, name, "videos", *entry, &e2))
            avk_warn(o->diag, "cannot cache the %s reply: %s", name, e2.msg);
    }
    return rc;
}

/* Try the network providers at the head of the chain for scene i; *done
 * is 1 with *entry set when one succeeded.  A failure is a warning while
 * the chain goes on; when it ends with no local provider left, the last
 * failure is the scene's error. */
static int net_chain(avk_ctx *ctx, iopts *o, const json_t *doc, size_t i,
                     const char *text, const char *visual,
                     const char *const *kw, size_t nkw, double min_dur,
                     const avk_scenevis_opts *so, json_t **entry, int *done,
                     avk_err *err)
{
    avk_imgnet_req q;
    avk_err last = {0, ""};
    char *query = make_query(kw, nkw, visual && *visual ? visual : text);
    size_t c;
    int rc;

    *done = 0;
    if (!query)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    memset(&q, 0, sizeof q);
    q.prompt = visual && *visual ? visual : text;
    q.query = query;
    q.width = so->width;
    q.height = so->height;
    for (c = 0; c < o->nchain && avk_imgnet_known(o->chain[c]); c++) {
        if (o->stock_mode != STOCK_PHOTO && avk_stockvid_known(o->chain[c])) {
            rc = net_video_scene(ctx, o, o->chain[c], &q, min_dur, entry,
                                 &last);
            if (rc == 0) {
                *done = 1;
                break;
            }
            if (rc == AVK_EX_OSERR)
                break;
            if (o->stock_mode == STOCK_ANY) {
                avk_warn(o->diag, "project %s: scene %zu: %s (trying photos)",
                         avk_doc_id(doc), i, last.msg);
                rc = net_scene(ctx, o, o->chain[c], &q, entry, &last);
            }
        } else
            rc = net_scene(ctx, o, o->chain[c], &q, entry, &last);
        if (rc == 0) {
            *done = 1;
            break;
        }
        if (rc == AVK_EX_OSERR)
            break;
        avk_warn(o->diag, "project %s: scene %zu: %s%s", avk_doc_id(doc), i,
                 last.msg,
                 c + 1 < o->nchain ? " (trying the next provider)" : "");
    }
    free(query);
    if (!*done && (c == o->nchain || last.code == AVK_EX_OSERR)) {
        *err = last;
        return last.code ? last.code : AVK_EX_UNAVAILABLE;
    }
    return 0;
}

/* How long scene i lasts in the narration (a scene runs until the next
 * starts, as av-render plays it), rounded up to whole seconds so that
 * small retimings keep the cache; 0 when the document has no timings. */
static double scene_seconds(const json_t *doc, size_t i)
{
    const json_t *sc = json_object_get(json_object_get(doc, "voice"), "scenes");
    const json_t *cur = json_array_get(sc, i), *next = json_array_get(sc, i + 1);
    double start, end;

    if (!json_is_object(cur))
        return 0;
    start = json_number_value(json_object_get(cur, "start"));
    end = json_is_object(next) ? json_number_value(json_object_get(next, "start"))
                               : json_number_value(json_object_get(cur, "end"));
    if (!(end - start > 0) || end - start > 3600)
        return 0;
    return ceil(end - start - 0.01);
}

static int image_stage(avk_ctx *ctx, json_t *doc, avk_stage_result *res,
                       void *ud, avk_err *err)
{
    iopts *o = ud;
    json_t *script, *scenes, *scene, *out = NULL, *list = NULL;
    avk_scenevis_opts so;
    avk_scenevis_result r;
    avk_format f;
    size_t i;
    int rc, jpeg = want_jpeg(o);

    if ((rc = avk_get_object(doc, "", "script", &script, err)) ||
        (rc = avk_get_array(script, ".script", "scenes", &scenes, err)))
        return rc;
    if (json_array_size(scenes) == 0)
        return avk_fail(err, AVK_EX_DATAERR, ".script.scenes: no scenes");
    avk_doc_format(doc, &f);
    if (o->aspect && (rc = avk_format_from_aspect(o->aspect, &f, err)))
        return rc;
    memset(&so, 0, sizeof so);
    so.width = f.width;
    so.height = f.height;
    so.seed = o->seed_set ? (uint64_t)o->seed : seed_from(avk_doc_id(doc));
    so.topic = avk_doc_topic(doc);
    so.library = o->lib;
    so.fonts = o->fonts;
    so.palette = o->palette;
    so.style = o->style;
    so.lang = avk_doc_lang(doc);
    so.no_title = o->no_title;
    if (o->lib)
        avk_medialib_reset(o->lib);
    avk_scenevis_result_init(&r);
    list = json_array();
    if (!list)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    json_array_foreach(scenes, i, scene)
    {
        char path[64];
        const char *text = NULL, *visual = NULL, **kw = NULL;
        size_t nkw = 0;
        avk_scenevis_scene s;
        avk_asset a;
        uint8_t *data = NULL;
        size_t len = 0;
        json_t *entry;

        snprintf(path, sizeof path, ".script.scenes[%zu]", i);
        if (!json_is_object(scene)) {
            rc = avk_fail(err, AVK_EX_DATAERR, "%s: expected an object", path);
            break;
        }
        if ((rc = avk_get_string(scene, path, "text", &text, err)) ||
            (rc = avk_opt_string(scene, path, "visual", &visual, err)) ||
            (rc = scene_keywords(scene, path, &kw, &nkw, err)))
            break;
        memset(&s, 0, sizeof s);
        s.index = (int)i;
        s.visual = visual;
        s.keywords = kw;
        s.nkeywords = nkw;
        /* the script's own card text for the scene, else the keywords
           (or, for a first scene without any, the script's title) */
        s.title = json_string_value(json_object_get(scene, "title"));
        if (!s.title && nkw == 0 && i == 0)
            s.title = json_string_value(json_object_get(script, "title"));
        if (o->network) {
            int done = 0;
            if ((rc = net_chain(ctx, o, doc, i, text, visual, kw, nkw,
                                scene_seconds(doc, i), &so, &entry, &done,
                                err)) != 0) {
                free(kw);
                break;
            }
            if (done) {
                free(kw);
                if (json_array_append_new(list, entry)) {
                    rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                    break;
                }
                continue;
            }
        }
        rc = avk_scenevis_make(&so, &s, &r, err);
        free(kw);
        if (rc)
            break;
        if (o->lib && strcmp(r.source, "local") == 0)
            avk_info(o->diag,
                     "project %s: scene %zu: no library match, "
                     "using procedural art",
                     avk_doc_id(doc), i);
        if (r.kind == AVK_MEDIA_VIDEO)
            rc = avk_asset_import_file(ctx->ws_root, r.path,
                                       avk_asset_type_for(r.path), &a, err);
        else if ((rc = encode(o, &r.image, jpeg, &data, &len, err)) == 0)
            rc = avk_asset_import_mem(ctx->ws_root, data, len,
                                      jpeg ? "image/jpeg" : "image/png", &a,
                                      err);
        free(data);
        if (rc)
            break;
        entry = json_pack("{s:o, s:s, s:s, s:s?, s:i, s:i, s:n, s:n}", "asset",
                          avk_asset_to_json(&a), "kind",
                          r.kind == AVK_MEDIA_VIDEO ? "video" : "image",
                          "source", r.source, "prompt",
                          visual && *visual ? visual : text, "width", r.width,
                          "height", r.height, "attribution", "license");
        if (entry && r.kind == AVK_MEDIA_VIDEO)
            json_object_set_new(entry, "duration", json_real(r.duration));
        if (entry && r.title)
            json_object_set_new(entry, "title", json_string(r.title));
        if (entry && r.path) {
            const char *base = strrchr(r.path, '/');
            json_object_set_new(entry, "file",
                                json_string(base ? base + 1 : r.path));
        }
        if (!entry || json_array_append_new(list, entry)) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
    }
    avk_scenevis_result_release(&r);
    if (rc) {
        json_decref(list);
        return rc;
    }
    out = json_pack("{s:o, s:s, s:I}", "scenes", list, "provider",
                    o->provider, "seed", (json_int_t)so.seed);
    if (!out)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    res->section = out;
    snprintf(res->provider, sizeof res->provider, "%s", o->provider);
    snprintf(res->model, sizeof res->model, "procart");
    return 0;
}

/* Standalone: one image from a prompt. */
static int run_prompt(avk_ctx *ctx, iopts *o)
{
    avk_scenevis_opts so;
    avk_scenevis_scene s;
    avk_scenevis_result r;
    avk_format f;
    avk_err err = {0, ""};
    const char *kw[1];
    const char *dot;
    int rc, jpeg;

    if (avk_format_from_aspect(o->aspect ? o->aspect : "9:16", &f, &err) != 0)
        return avk_usage_error(ctx, &err, USAGE);
    dot = strrchr(o->output, '.');
    jpeg = o->format ? want_jpeg(o)
                     : dot && (strcasecmp(dot, ".jpg") == 0 ||
                               strcasecmp(dot, ".jpeg") == 0);
    memset(&so, 0, sizeof so);
    so.width = f.width;
    so.height = f.height;
    so.seed = o->seed_set ? (uint64_t)o->seed : seed_from(o->prompt);
    so.topic = o->prompt;
    so.library = o->lib;
    so.fonts = o->fonts;
    so.palette = o->palette;
    so.style = o->style;
    so.no_title = o->no_title;
    memset(&s, 0, sizeof s);
    kw[0] = o->prompt;
    s.keywords = kw;
    s.nkeywords = 1;
    s.title = o->prompt;
    avk_scenevis_result_init(&r);
    rc = avk_scenevis_make(&so, &s, &r, &err);
    if (rc == 0)
        rc = jpeg ? avk_image_save_jpeg(o->output, &r.image, (int)o->quality,
                                        &err)
                  : avk_image_save_png(o->output, &r.image, &err);
    if (rc == 0)
        avk_debug(&ctx->diag, "wrote '%s' (%dx%d, %s%s%s)", o->output, f.width,
                  f.height, r.source, r.path ? ": " : "", r.path ? r.path : "");
    avk_scenevis_result_release(&r);
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

int main(int argc, char **argv)
{
    avk_ctx ctx;
    iopts o;
    avk_opt common[AVK_COMMON_NOPTS + 1], stage[AVK_STAGE_NOPTS + 1];
    avk_args args;
    avk_err err = {0, ""};
    char fp[1024], libfp[65] = "";
    int rc, http_ready = 0;
    /* stock clips are chosen by the scene lengths: voice is read too */
    static const char *const inputs[] = {"id",     "topic",  "lang",
                                         "format", "script", "voice"};
    avk_stage_def def = {"visuals", "illustrated", inputs, 5};
    int videos = 0;
    size_t c;

    memset(&o, 0, sizeof o);
    memset(&args, 0, sizeof args);
    o.provider = "local";
    o.quality = 90;
    {
        const avk_opt own[] = {
            {0, "prompt", AVK_OPT_STR, "TEXT",
             "make one image from TEXT instead of reading documents", &o.prompt,
             NULL, NULL, 0},
            {'o', "output", AVK_OPT_STR, "FILE",
             "with --prompt: write the image here (.png or .jpg)", &o.output,
             "file", NULL, 0},
            {0, "aspect", AVK_OPT_STR, "RATIO",
             "9:16 (1080x1920), 1:1, 16:9 or 4:5; default: the document's "
             "format",
             &o.aspect, "9:16|1:1|16:9|4:5", NULL, 0},
            {0, "seed", AVK_OPT_CALL, "N",
             "seed for procedural art (default: from the project id)", NULL,
             NULL, set_seed, 1},
            {0, "provider", AVK_OPT_STR, "LIST",
             "providers tried in order, comma-separated: local, library, "
             "openai, stability, sdwebui, pexels, pixabay (default: local)",
             &o.provider,
             "local|library|openai|stability|sdwebui|pexels|pixabay|"
             "pexels,local|openai,local",
             NULL, 0},
            {0, "library", AVK_OPT_STR, "DIR",
             "folder of images matched by tags, file and folder names",
             &o.library, "dir", NULL, 0},
            {0, "palette", AVK_OPT_STR, "NAME",
             "palette of the procedural art (default: auto)", &o.palette,
             "auto|sunset|ocean|forest|citrus|berry|midnight|neon|earth|mint|"
             "mono|pastel|sand",
             NULL, 0},
            {0, "style", AVK_OPT_STR, "NAME",
             "soft, geometric or minimal (default: auto)", &o.style,
             "auto|soft|geometric|minimal", NULL, 0},
            {0, "stock", AVK_OPT_STR, "KIND",
             "pexels, pixabay: search photo, video (clips) or any (a clip, "
             "else a photo); default: image.stock, else photo",
             &o.stock, "photo|video|any", NULL, 0},
            {0, "videos", AVK_OPT_FLAG, NULL,
             "library: offer video clips (mp4, mov, webm) too", &o.videos, NULL,
             NULL, 0},
            {0, "no-title", AVK_OPT_FLAG, NULL,
             "procedural art without the title card", &o.no_title, NULL, NULL,
             0},
            {0, "format", AVK_OPT_STR, "FMT",
             "asset encoding: jpeg (default) or png", &o.format, "jpeg|png",
             NULL, 0},
            {0, "quality", AVK_OPT_INT, "Q", "JPEG quality 1-100 (default 90)",
             &o.quality, NULL, NULL, 0},
            AVK_OPT_END};
        const avk_opt *tables[] = {own, stage, common, NULL};

        avk_ctx_init(&ctx, "av-image");
        avk_common_opts(&ctx, common);
        avk_stage_opts(&ctx, stage);
        o.diag = &ctx.diag;
        rc = avk_opts_parse(tables, argc, argv, 1, &args, &o, &err);
        if (rc) {
            rc = avk_usage_error(&ctx, &err, USAGE);
            goto out;
        }
        avk_ctx_apply(&ctx);
        if (avk_handle_info(&args, "av-image", USAGE, SUMMARY, tables))
            goto out;
    }
    av_log_set_level(ctx.verbose > 1 ? AV_LOG_INFO : AV_LOG_QUIET);
    if (args.n) {
        avk_fail(&err, AVK_EX_USAGE, "unexpected argument '%s'", args.v[0]);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (parse_chain(&o, &err)) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.stock && stock_mode(o.stock) < 0) {
        avk_fail(&err, AVK_EX_USAGE, "unknown --stock '%s' (photo, video or any)",
                 o.stock);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (in_chain(&o, "library") && !o.library) {
        avk_fail(&err, AVK_EX_USAGE, "--provider library needs --library DIR");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.network && o.prompt) {
        avk_fail(&err, AVK_EX_USAGE,
                 "--prompt makes local images only (local or library)");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.format && !want_jpeg(&o) && strcmp(o.format, "png") != 0) {
        avk_fail(&err, AVK_EX_USAGE, "unknown format '%s' (jpeg or png)",
                 o.format);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.quality < 1 || o.quality > 100) {
        avk_fail(&err, AVK_EX_USAGE, "--quality must be 1 to 100");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.aspect) {
        avk_format f;
        if (avk_format_from_aspect(o.aspect, &f, &err)) {
            rc = avk_usage_error(&ctx, &err, USAGE);
            goto out;
        }
    }
    if (o.prompt && !o.output) {
        avk_fail(&err, AVK_EX_USAGE, "--prompt needs -o FILE");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (!known(o.palette, avk_procart_palette_name) ||
        !known(o.style, avk_procart_style_name)) {
        avk_fail(
            &err, AVK_EX_USAGE, "unknown %s '%s' (see --help)",
            known(o.palette, avk_procart_palette_name) ? "style" : "palette",
            known(o.palette, avk_procart_palette_name) ? o.style : o.palette);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (!(o.fonts = avk_fonts_new(&err))) {
        rc = avk_report(&ctx.diag, &err, err.code);
        goto out;
    }
    if (o.network) {
        if ((rc = avk_ctx_load_config(&ctx, &err)) ||
            (rc = avk_http_global_init(&err))) {
            rc = avk_report(&ctx.diag, &err, rc);
            goto out;
        }
        http_ready = 1;
        o.http = avk_http_opts_default();
        o.http.user_agent = "av-image/" AVK_VERSION;
        if ((rc = avk_http_opts_config(&o.http, ctx.cfg, &err))) {
            rc = avk_report(&ctx.diag, &err, rc);
            goto out;
        }
        if (ctx.verbose) {
            o.http.log = avk_diag_log_cb;
            o.http.log_ud = &ctx.diag;
        }
        o.env.http = &o.http;
        o.env.cfg = ctx.cfg;
        o.env.max_bytes = (long long)avk_config_num(ctx.cfg, "image.max_bytes",
                                                    AVK_IMGNET_MAX_BYTES);
        o.max_video_bytes = (long long)avk_config_num(
            ctx.cfg, "image.max_video_bytes", AVK_STOCKVID_MAX_BYTES);
        if (!o.stock)
            o.stock = avk_config_str(ctx.cfg, "image.stock", "photo");
        if ((o.stock_mode = stock_mode(o.stock)) < 0) {
            avk_fail(&err, AVK_EX_CONFIG,
                     "image.stock: unknown value '%s' (photo, video or any)",
                     o.stock);
            rc = avk_report(&ctx.diag, &err, err.code);
            goto out;
        }
        for (c = 0; c < o.nchain; c++)
            if (o.stock_mode != STOCK_PHOTO && avk_stockvid_known(o.chain[c]))
                videos = 1;
        if (videos)
            def.ninputs = 6;
    }
    if (o.library && in_chain(&o, "library")) {
        if (!(o.lib = avk_medialib_open(o.library, &err))) {
            rc = avk_report(&ctx.diag, &err, err.code);
            goto out;
        }
        avk_medialib_set_warn(o.lib, lib_warn, &ctx.diag);
        if (avk_medialib_count(o.lib) == 0)
            avk_warn(&ctx.diag, "library '%s' has no images", o.library);
    }
    if (o.prompt) {
        rc = run_prompt(&ctx, &o);
        goto out;
    }
    if (o.lib)
        avk_medialib_set_videos(o.lib, o.videos);
    if (o.lib && avk_medialib_fingerprint(o.lib, libfp)) {
        avk_fail(&err, AVK_EX_OSERR, "out of memory");
        rc = avk_report(&ctx.diag, &err, err.code);
        goto out;
    }
    snprintf(
        fp, sizeof fp,
        "provider=%s library=%s/%s aspect=%s seed=%s%lld palette=%s style=%s "
        "title=%d format=%s quality=%lld",
        o.provider, o.lib ? o.library : "", o.lib ? libfp : "",
        o.aspect ? o.aspect : "",
        o.seed_set ? "" : "auto:", o.seed_set ? o.seed : 0,
        o.palette ? o.palette : "auto", o.style ? o.style : "auto", !o.no_title,
        want_jpeg(&o) ? "jpeg" : "png", o.quality);
    if (videos) {
        size_t fl = strlen(fp);
        snprintf(fp + fl, sizeof fp - fl, " stock=%s",
                 o.stock_mode == STOCK_ANY ? "any" : "video");
    }
    rc = avk_stage_run(&ctx, &def, fp, image_stage, &o);
out:
    if (http_ready)
        avk_http_global_cleanup();
    free(o.chain_buf);
    avk_medialib_free(o.lib);
    avk_fonts_free(o.fonts);
    avk_args_release(&args);
    avk_ctx_release(&ctx);
    return rc;
}
