/*
 * av-image - one still per scene: procedural art or a local library match.
 *
 *   av-image [options] < scripted.jsonl > visual.jsonl
 *   av-image --prompt TEXT [--aspect 9:16] -o out.png
 *
 * Reads documents with .script.scenes, writes .visuals.scenes (one asset
 * per scene at the document's format size, or --aspect's), through the
 * stage driver (lib/cli).  The work itself is lib/scenevis (library match
 * or lib/procart art with a title card from the scene's keywords).
 * Invariant: nothing here reaches the network; every scene gets an image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/log.h>

#include "assets.h"
#include "cli.h"
#include "doc.h"
#include "fsutil.h"
#include "hash.h"
#include "image.h"
#include "medialib.h"
#include "procart.h"
#include "scenevis.h"
#include "text.h"

#define USAGE                                                                  \
    "av-image [options] < scripted.jsonl > visual.jsonl\n"                     \
    "       av-image --prompt TEXT [--aspect RATIO] [--seed N] -o FILE"
#define SUMMARY "Make one still per scene: procedural art or a library match."

typedef struct iopts {
    const char *prompt, *output, *aspect, *provider, *library, *palette, *style,
        *format;
    long long seed, quality;
    int seed_set, no_title, videos;
    /* opened in main */
    avk_fonts *fonts;
    avk_medialib *lib;
    avk_diag *diag;
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
        if (nkw == 0 && i == 0)
            s.title = json_string_value(json_object_get(script, "title"));
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
                    o->lib ? "library" : "local", "seed", (json_int_t)so.seed);
    if (!out)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    res->section = out;
    snprintf(res->provider, sizeof res->provider, "%s",
             o->lib ? "library" : "local");
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
    int rc;
    static const char *const inputs[] = {"id", "topic", "lang", "format",
                                         "script"};
    avk_stage_def def = {"visuals", "illustrated", inputs, 5};

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
            {0, "provider", AVK_OPT_STR, "NAME",
             "local (procedural art) or library (--library DIR first)",
             &o.provider, "local|library", NULL, 0},
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
    if (strcmp(o.provider, "local") != 0 &&
        strcmp(o.provider, "library") != 0) {
        avk_fail(&err, AVK_EX_USAGE, "unknown provider '%s' (local or library)",
                 o.provider);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (strcmp(o.provider, "library") == 0 && !o.library) {
        avk_fail(&err, AVK_EX_USAGE, "--provider library needs --library DIR");
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
    if (o.library && strcmp(o.provider, "library") == 0) {
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
    rc = avk_stage_run(&ctx, &def, fp, image_stage, &o);
out:
    avk_medialib_free(o.lib);
    avk_fonts_free(o.fonts);
    avk_args_release(&args);
    avk_ctx_release(&ctx);
    return rc;
}
