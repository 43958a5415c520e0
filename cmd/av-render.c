/*
 * av-render - turn each document's narration (.voice) and pictures
 * (.visuals) into the finished MP4, with a thumbnail, SRT/WebVTT captions
 * and a contact sheet (a PNG grid, one picture per scene), recorded as
 * assets in the document's .render.
 *
 *   av-render [options] < docs.jsonl > docs.jsonl
 *   av-render --project ID [options]
 *
 * Settings, later wins: built-in defaults, the template (YAML, chosen by
 * configuration render.template, the document's .settings.template, then
 * --template), configuration render.*, the document's .settings, then
 * flags.  Only this file prints; the work is lib/render.c.
 */
#include <ctype.h>
#include <jansson.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "assets.h"
#include "cli.h"
#include "doc.h"
#include "fsutil.h"
#include "hash.h"
#include "music.h"
#include "musicdir.h"
#include "paths.h"
#include "render.h"
#include "yamljson.h"

#define PROG "av-render"
#define USAGE                                                                \
    PROG " [options] < DOCS.jsonl\n"                                         \
         "       " PROG " --project ID [options]"

typedef struct ropts {
    const char *output, *preset, *aspect, *template_, *music, *captions,
        *encoder, *mood, *contact_sheet;
    int no_music, preview;
    long long seed;
} ropts;

/* Everything a render of one document uses, after all sources. */
typedef struct rsettings {
    char template_[64];
    json_t *tpl; /* the template's tree (owned) */
    char tpl_hash[65];
    avk_format fmt;
    int caption_mode, motion, transition;
    double transition_s, music_gain_db;
    char mood[32];
    int no_music;
    const char *music;     /* borrowed */
    const char *music_dir; /* borrowed: tracks to pick from by mood */
    int crf;
    const char *preset;
    char platform[16];
} rsettings;

typedef struct stage_ud {
    const ropts *o;
    int ndocs;
} stage_ud;

static int valid_name(const char *s)
{
    size_t i;

    if (!s || !*s || strlen(s) > 48)
        return 0;
    for (i = 0; s[i]; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

/* Load template NAME from the template directories. */
/* A template's relative music_dir is relative to the template's folder. */
static int anchor_music_dir(json_t *tpl, const char *tdir, avk_err *err)
{
    const json_t *m = json_object_get(tpl, "music_dir");
    char *abs;

    if (!m)
        return 0;
    if (!json_is_string(m) || !*json_string_value(m))
        return avk_fail(err, AVK_EX_CONFIG, "template: music_dir must be a "
                        "folder name");
    if (json_string_value(m)[0] == '/')
        return 0;
    if (!(abs = avk_path_join(tdir, json_string_value(m))))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (json_object_set_new(tpl, "music_dir", json_string(abs))) {
        free(abs);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    free(abs);
    return 0;
}

static int load_template(const char *name, json_t **out, char hash[65],
                         avk_err *err)
{
    char **dirs = NULL;
    size_t n, i;
    int rc = AVK_EX_CONFIG;

    *out = NULL;
    if (!valid_name(name))
        return avk_fail(err, AVK_EX_USAGE,
                        "bad template name '%s' (letters, digits, - and _)",
                        name);
    n = avk_template_dirs("render", &dirs);
    for (i = 0; i < n; i++) {
        char file[80], *path;
        snprintf(file, sizeof file, "%s.yaml", name);
        path = avk_path_join(dirs[i], file);
        if (!path) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        if (avk_is_file(path)) {
            rc = avk_yaml_load_file(path, out, err);
            if (!rc && !json_is_object(*out)) {
                json_decref(*out);
                *out = NULL;
                rc = avk_fail(err, AVK_EX_CONFIG,
                              "template '%s' is not a mapping", path);
            }
            if (!rc && avk_sha256_file(path, hash, NULL, NULL))
                hash[0] = '\0';
            if (!rc)
                rc = anchor_music_dir(*out, dirs[i], err);
            free(path);
            avk_dirs_free(dirs);
            return rc;
        }
        free(path);
    }
    avk_dirs_free(dirs);
    if (rc == AVK_EX_CONFIG)
        avk_fail(err, AVK_EX_CONFIG, "no render template '%s'", name);
    return rc;
}

/* "#RRGGBB" or "#RRGGBBAA" into 0xRRGGBBAA. */
static int parse_color(const char *s, uint32_t *out)
{
    size_t n;
    unsigned long v;
    char *end;

    if (!s || *s != '#')
        return -1;
    n = strlen(s + 1);
    if (n != 6 && n != 8)
        return -1;
    v = strtoul(s + 1, &end, 16);
    if (*end)
        return -1;
    *out = n == 6 ? (uint32_t)(v << 8 | 0xFF) : (uint32_t)v;
    return 0;
}

static const char *tstr(const json_t *t, const char *k)
{
    return json_string_value(json_object_get(t, k));
}

static int tnum(const json_t *t, const char *k, double *v)
{
    const json_t *x = json_object_get(t, k);

    if (json_is_number(x)) {
        *v = json_number_value(x);
        return 1;
    }
    if (json_is_string(x)) { /* YAML scalars may arrive as strings */
        char *end;
        double d = strtod(json_string_value(x), &end);
        if (end != json_string_value(x) && !*end) {
            *v = d;
            return 1;
        }
    }
    return 0;
}

static int resolve(const ropts *o, const avk_config *cfg, const json_t *doc,
                   rsettings *s, avk_err *err)
{
    const json_t *settings = doc ? json_object_get(doc, "settings") : NULL;
    const char *name = "bold", *v;
    double d;
    int rc;

    json_decref(s->tpl);
    memset(s, 0, sizeof *s);
    if (cfg)
        name = avk_config_str(cfg, "render.template", name);
    if ((v = tstr(settings, "template")))
        name = v;
    if (o->template_)
        name = o->template_;
    snprintf(s->template_, sizeof s->template_, "%s", name);
    if ((rc = load_template(name, &s->tpl, s->tpl_hash, err)))
        return rc;
    if (doc)
        avk_doc_format(doc, &s->fmt);
    else
        avk_format_from_aspect("9:16", &s->fmt, NULL);
    if (o->aspect && (rc = avk_format_from_aspect(o->aspect, &s->fmt, err)))
        return rc;
    if (o->preset) {
        if (strcmp(o->preset, "tiktok") && strcmp(o->preset, "shorts") &&
            strcmp(o->preset, "reels"))
            return avk_fail(err, AVK_EX_USAGE,
                            "unknown preset '%s' (tiktok, shorts, reels)",
                            o->preset);
        snprintf(s->platform, sizeof s->platform, "%s", o->preset);
        avk_format_from_aspect("9:16", &s->fmt, NULL);
    }
    s->caption_mode = AVK_CAPTIONS_WORD;
    s->motion = AVK_MOTION_AUTO;
    s->transition = AVK_TRANS_CROSSFADE;
    s->transition_s = 0.5;
    snprintf(s->mood, sizeof s->mood, "warm");
    if ((v = tstr(s->tpl, "captions")))
        s->caption_mode = avk_render_captions_from_name(v);
    if ((v = tstr(s->tpl, "motion")))
        s->motion = avk_render_motion_from_name(v);
    if ((v = tstr(s->tpl, "transition")))
        s->transition = avk_render_transition_from_name(v);
    if (s->caption_mode < 0 || s->motion < 0 || s->transition < 0)
        return avk_fail(err, AVK_EX_CONFIG,
                        "template '%s': unknown captions, motion or "
                        "transition name", name);
    if (tnum(s->tpl, "transition_s", &d))
        s->transition_s = d;
    if ((v = tstr(s->tpl, "music_mood")))
        snprintf(s->mood, sizeof s->mood, "%s", v);
    if (tnum(s->tpl, "music_gain_db", &d))
        s->music_gain_db = d;
    s->music_dir = tstr(s->tpl, "music_dir");
    if (cfg) {
        s->music = avk_config_str(cfg, "render.music", NULL);
        s->music_dir = avk_config_str(cfg, "render.music_dir", s->music_dir);
        s->no_music = !avk_config_bool(cfg, "render.music_bed", 1);
    }
    if ((v = tstr(settings, "music"))) {
        if (!strcmp(v, "none") || !strcmp(v, "off"))
            s->no_music = 1;
        else if (avk_music_mood_known(v))
            snprintf(s->mood, sizeof s->mood, "%s", v);
    }
    if ((v = tstr(settings, "music_mood")))
        snprintf(s->mood, sizeof s->mood, "%s", v);
    if (o->captions &&
        (s->caption_mode = avk_render_captions_from_name(o->captions)) < 0)
        return avk_fail(err, AVK_EX_USAGE,
                        "unknown caption mode '%s' (word, phrase, sentence, "
                        "none)", o->captions);
    if (o->mood)
        snprintf(s->mood, sizeof s->mood, "%s", o->mood);
    if (o->music) {
        s->music = o->music;
        s->no_music = 0;
    }
    if (o->no_music)
        s->no_music = 1;
    if (!(s->transition_s >= 0 && s->transition_s <= 3))
        return avk_fail(err, AVK_EX_CONFIG,
                        "template '%s': transition_s must be 0..3", name);
    s->crf = 23;
    s->preset = "veryfast";
    if (o->preview) {
        /* A third of the size (even), fast settings: a quick look. */
        s->fmt.width = (s->fmt.width / 3) & ~1;
        s->fmt.height = (s->fmt.height / 3) & ~1;
        s->crf = 30;
        s->preset = "ultrafast";
    }
    return 0;
}

/* The document's asset at .section...key as an absolute path. */
static int asset_path(avk_ctx *ctx, const json_t *obj, const char *path,
                      const char *key, char **out, avk_err *err)
{
    avk_asset a;
    char sub[256];
    int rc;

    *out = NULL;
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    if ((rc = avk_asset_from_json(json_object_get(obj, key), sub, &a, err)))
        return rc;
    *out = avk_asset_abspath(ctx->ws_root, &a);
    if (!*out)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}

static void on_warn(void *ud, const char *msg)
{
    avk_warn(&((avk_ctx *)ud)->diag, "%s", msg);
}

static void on_progress(void *ud, double done, double total)
{
    avk_progress(&((avk_ctx *)ud)->diag, "render",
                 total > 0 ? done / total : 1.0);
}

static void apply_style(const json_t *t, avk_render_caption_style *cs)
{
    uint32_t c;
    double d;
    const char *v;

    if ((v = tstr(t, "font")))
        cs->font = v;
    if (tnum(t, "font_size", &d) && d > 0 && d < 0.5)
        cs->font_size = d; /* scaled by the caller */
    if ((v = tstr(t, "color")) && !parse_color(v, &c))
        cs->color = c;
    if ((v = tstr(t, "highlight")) && !parse_color(v, &c))
        cs->highlight = c;
    if ((v = tstr(t, "outline_color")) && !parse_color(v, &c))
        cs->outline_color = c;
    if (tnum(t, "outline", &d))
        cs->outline = d; /* scaled by the caller */
    if (tnum(t, "position", &d) && d > 0 && d < 1)
        cs->position = d;
    if (tnum(t, "margin_x", &d) && d > 0 && d < 0.4)
        cs->margin_x = d;
    if (tnum(t, "margin_bottom", &d) && d > 0 && d < 0.5)
        cs->margin_bottom = d;
    if (tnum(t, "max_words", &d) && d >= 1 && d <= 20)
        cs->max_words = (int)d;
}

/* Import a finished file as an asset (the file is moved). */
static int adopt(avk_ctx *ctx, const char *tmp, const char *type,
                 json_t *sec, const char *key, avk_err *err)
{
    avk_asset a;
    int rc = avk_asset_adopt(ctx->ws_root, tmp, type, &a, err);

    if (rc) {
        unlink(tmp);
        return rc;
    }
    json_object_set_new(sec, key, avk_asset_to_json(&a));
    return 0;
}

/* Copy the asset sec.key to the user's path pattern ("{id}" becomes the
   project id); name gets the path written. */
static int copy_out(avk_ctx *ctx, const json_t *doc, const json_t *sec,
                    const char *key, const char *pattern, avk_buf *name,
                    avk_err *err)
{
    const char *p = pattern, *q;
    avk_asset a;
    char *src;
    int rc;

    avk_buf_reset(name);
    while ((q = strstr(p, "{id}"))) {
        if (avk_buf_add(name, p, (size_t)(q - p)) ||
            avk_buf_adds(name, avk_doc_id(doc)))
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        p = q + 4;
    }
    if (avk_buf_adds(name, p))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if ((rc = avk_asset_from_json(json_object_get(sec, key), ".render", &a,
                                  err)))
        return rc;
    src = avk_asset_abspath(ctx->ws_root, &a);
    rc = src ? avk_copy_file_atomic(src, name->data, 0644, err)
             : avk_fail(err, AVK_EX_OSERR, "out of memory");
    free(src);
    return rc;
}

static double ms3(double t)
{
    return round(t * 1000.0) / 1000.0;
}

static int render_stage(avk_ctx *ctx, json_t *doc, avk_stage_result *res,
                        void *ud, avk_err *err)
{
    stage_ud *su = ud;
    const ropts *o = su->o;
    rsettings s;
    json_t *voice, *visuals, *vscenes, *vsc = NULL, *words = NULL, *sec;
    avk_render_job job;
    avk_render_result rr;
    avk_render_scene *scenes = NULL;
    avk_render_word *w = NULL;
    char **paths = NULL;
    char *narr = NULL, *tmp[5] = {NULL, NULL, NULL, NULL, NULL};
    char *picked = NULL; /* a track from the music folder */
    size_t nvis = 0, nsc, nw = 0, i;
    const char *title = NULL;
    int rc;
    uint64_t seed = 0;

    memset(&s, 0, sizeof s);
    if ((rc = resolve(o, ctx->cfg, doc, &s, err)))
        goto done;
    if ((rc = avk_get_object(doc, "", "voice", &voice, err)) ||
        (rc = avk_get_object(doc, "", "visuals", &visuals, err)) ||
        (rc = avk_get_array(visuals, ".visuals", "scenes", &vscenes, err)) ||
        (rc = asset_path(ctx, voice, ".voice", "audio", &narr, err)))
        goto done;
    nvis = json_array_size(vscenes);
    if (!nvis) {
        rc = avk_fail(err, AVK_EX_DATAERR, ".visuals.scenes: no scenes");
        goto done;
    }
    vsc = json_object_get(voice, "scenes");
    nsc = json_is_array(vsc) && json_array_size(vsc) ? json_array_size(vsc)
                                                     : nvis;
    scenes = calloc(nsc, sizeof *scenes);
    paths = calloc(nvis, sizeof *paths);
    if (!scenes || !paths) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    for (i = 0; i < nvis; i++) {
        json_t *v = json_array_get(vscenes, i);
        char p[64];
        snprintf(p, sizeof p, ".visuals.scenes[%zu]", i);
        if (!json_is_object(v)) {
            rc = avk_fail(err, AVK_EX_DATAERR, "%s: expected an object", p);
            goto done;
        }
        if ((rc = asset_path(ctx, v, p, "asset", &paths[i], err)))
            goto done;
    }
    for (i = 0; i < nsc; i++) {
        /* A scene of speech shows the picture of the same index (reused
           in turn when there are fewer pictures). */
        json_t *v = json_array_get(vscenes, i % nvis);
        json_t *sp = json_is_array(vsc) ? json_array_get(vsc, i) : NULL;
        const char *kind = tstr(v, "kind");
        scenes[i].path = paths[i % nvis];
        scenes[i].is_video = kind && !strcmp(kind, "video");
        scenes[i].motion = s.motion;
        scenes[i].transition = AVK_TRANS_DEFAULT;
        if (sp) {
            scenes[i].start = json_number_value(json_object_get(sp, "start"));
            scenes[i].end = json_number_value(json_object_get(sp, "end"));
        }
    }
    /* Scenes follow each other: a scene lasts until the next starts. */
    if (json_is_array(vsc) && nsc) {
        scenes[0].start = 0;
        for (i = 0; i + 1 < nsc; i++)
            scenes[i].end = scenes[i + 1].start;
    }
    words = json_object_get(voice, "words");
    if (json_is_array(words) && json_array_size(words)) {
        nw = json_array_size(words);
        w = calloc(nw, sizeof *w);
        if (!w) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            goto done;
        }
        for (i = 0; i < nw; i++) {
            json_t *x = json_array_get(words, i);
            w[i].text = tstr(x, "text");
            w[i].start = json_number_value(json_object_get(x, "start"));
            w[i].end = json_number_value(json_object_get(x, "end"));
            w[i].scene = (int)json_integer_value(json_object_get(x, "scene"));
            if (!w[i].text) {
                rc = avk_fail(err, AVK_EX_DATAERR,
                              ".voice.words[%zu].text: expected a string", i);
                goto done;
            }
        }
    }
    title = tstr(json_object_get(doc, "script"), "title");
    {
        const json_t *st = json_object_get(doc, "settings");
        if (o->seed)
            seed = (uint64_t)o->seed;
        else if (json_is_integer(json_object_get(st, "seed")))
            seed = (uint64_t)json_integer_value(json_object_get(st, "seed"));
        else {
            const char *id = avk_doc_id(doc);
            for (; id && *id; id++)
                seed = seed * 131 + (unsigned char)*id;
        }
    }
    if ((rc = avk_asset_tmp_path(ctx->ws_root, "mp4", &tmp[0], err)) ||
        (rc = avk_asset_tmp_path(ctx->ws_root, "jpg", &tmp[1], err)) ||
        (rc = avk_asset_tmp_path(ctx->ws_root, "srt", &tmp[2], err)) ||
        (rc = avk_asset_tmp_path(ctx->ws_root, "vtt", &tmp[3], err)) ||
        (rc = avk_asset_tmp_path(ctx->ws_root, "png", &tmp[4], err)))
        goto done;

    avk_render_job_init(&job);
    job.width = s.fmt.width;
    job.height = s.fmt.height;
    job.fps = s.fmt.fps;
    job.encoder = o->encoder;
    job.crf = s.crf;
    job.preset = s.preset;
    job.scenes = scenes;
    job.nscenes = nsc;
    job.default_transition = s.transition;
    job.transition_s = s.transition_s;
    job.narration_path = narr;
    job.words = w;
    job.nwords = nw;
    job.caption_mode = s.caption_mode;
    apply_style(s.tpl, &job.caption);
    if (job.caption.font_size > 0)
        job.caption.font_size *= s.fmt.height;
    if (job.caption.outline > 0)
        job.caption.outline *= job.caption.font_size > 0
                                   ? job.caption.font_size
                                   : s.fmt.height * 0.05;
    job.title = title;
    job.watermark = tstr(s.tpl, "watermark");
    if (!s.no_music && !s.music && s.music_dir) {
        avk_err e2 = {0, ""};
        if (avk_music_pick(s.music_dir, s.mood, seed, &picked, &e2))
            avk_warn(&ctx->diag, "%s; using the synthesised bed", e2.msg);
        else if (!picked)
            avk_warn(&ctx->diag, "no music in '%s'; using the synthesised "
                     "bed", s.music_dir);
    }
    job.music_path = s.no_music ? NULL : s.music ? s.music : picked;
    job.music_synth = !s.no_music;
    job.music_mood = s.mood;
    job.music_gain_db = s.music_gain_db;
    job.seed = seed;
    job.output_path = tmp[0];
    job.thumbnail_path = tmp[1];
    job.srt_path = tmp[2];
    job.vtt_path = tmp[3];
    job.contact_sheet_path = tmp[4];
    job.warn = on_warn;
    job.progress = ctx->quiet ? NULL : on_progress;
    job.ud = ctx;
    rc = avk_render(&job, &rr, err);
    avk_progress_done(&ctx->diag);
    if (rc)
        goto done;
    if (s.platform[0]) {
        double lim = !strcmp(s.platform, "shorts") ? 180
                     : !strcmp(s.platform, "reels") ? 900 : 600;
        if (rr.duration > lim)
            avk_warn(&ctx->diag, "project %s: %.0f s is longer than %s "
                     "accepts (%.0f s)", avk_doc_id(doc), rr.duration,
                     s.platform, lim);
    }
    sec = json_object();
    if ((rc = adopt(ctx, tmp[0], "video/mp4", sec, "video", err)) ||
        (rc = adopt(ctx, tmp[1], "image/jpeg", sec, "thumbnail", err)) ||
        (rc = adopt(ctx, tmp[2], "application/x-subrip", sec, "srt", err)) ||
        (rc = adopt(ctx, tmp[3], "text/vtt", sec, "vtt", err)) ||
        (rc = adopt(ctx, tmp[4], "image/png", sec, "contact_sheet", err))) {
        json_decref(sec);
        goto done;
    }
    if (o->output) {
        avk_buf name;
        avk_buf_init(&name);
        if (su->ndocs > 0 && !strstr(o->output, "{id}"))
            avk_warn(&ctx->diag, "'%s' is written again (use {id} in -o "
                     "for one file per project)", o->output);
        rc = copy_out(ctx, doc, sec, "video", o->output, &name, err);
        if (!rc)
            json_object_set_new(sec, "output", json_string(name.data));
        avk_buf_release(&name);
        if (rc) {
            json_decref(sec);
            goto done;
        }
    } else {
        json_object_set_new(sec, "output", json_null());
    }
    if (o->contact_sheet) {
        avk_buf name;
        avk_buf_init(&name);
        if (su->ndocs > 0 && !strstr(o->contact_sheet, "{id}"))
            avk_warn(&ctx->diag, "'%s' is written again (use {id} in "
                     "--contact-sheet for one file per project)",
                     o->contact_sheet);
        rc = copy_out(ctx, doc, sec, "contact_sheet", o->contact_sheet,
                      &name, err);
        avk_buf_release(&name);
        if (rc) {
            json_decref(sec);
            goto done;
        }
    }
    su->ndocs++;
    json_object_set_new(sec, "duration", json_real(ms3(rr.duration)));
    json_object_set_new(sec, "width", json_integer(rr.width));
    json_object_set_new(sec, "height", json_integer(rr.height));
    json_object_set_new(sec, "fps", json_integer(rr.fps));
    json_object_set_new(sec, "bytes", json_integer(rr.bytes));
    json_object_set_new(sec, "vcodec", json_string(rr.vcodec));
    json_object_set_new(sec, "acodec", json_string(rr.acodec));
    json_object_set_new(sec, "encoder", json_string(rr.encoder));
    {
        const char *m = job.music_path;
        const char *base = m && strrchr(m, '/') ? strrchr(m, '/') + 1 : m;
        json_object_set_new(sec, "music",
                            m ? json_string(base)
                              : json_string(s.no_music ? "none" : "synth"));
    }
    json_object_set_new(sec, "template", json_string(s.template_));
    json_object_set_new(sec, "captions",
                        json_string(s.caption_mode == AVK_CAPTIONS_WORD ? "word"
                                    : s.caption_mode == AVK_CAPTIONS_PHRASE ? "phrase"
                                    : s.caption_mode == AVK_CAPTIONS_SENTENCE ? "sentence"
                                    : "none"));
    json_object_set_new(sec, "loudness", isfinite(rr.lufs)
                        ? json_real(round(rr.lufs * 10) / 10) : json_null());
    json_object_set_new(sec, "preview", json_boolean(o->preview));
    res->section = sec;
    snprintf(res->provider, sizeof res->provider, "ffmpeg");
    snprintf(res->model, sizeof res->model, "%s", rr.encoder);
    avk_info(&ctx->diag, "project %s: %.1f s %dx%d rendered in %.1f s",
             avk_doc_id(doc), rr.duration, rr.width, rr.height, rr.seconds);
done:
    for (i = 0; i < 5; i++) {
        if (rc && tmp[i])
            unlink(tmp[i]);
        free(tmp[i]);
    }
    for (i = 0; paths && i < nvis; i++)
        free(paths[i]);
    free(paths);
    free(scenes);
    free(w);
    free(narr);
    free(picked);
    json_decref(s.tpl);
    return rc;
}

int main(int argc, char **argv)
{
    avk_ctx ctx;
    ropts o;
    stage_ud ud = {&o, 0};
    avk_opt common[AVK_COMMON_NOPTS + 1], stage[AVK_STAGE_NOPTS + 1];
    const avk_opt own[] = {
        {'o', "output", AVK_OPT_STR, "FILE",
         "also copy the video to FILE ({id} becomes the project id)",
         &o.output, "file", NULL, 0},
        {0, "contact-sheet", AVK_OPT_STR, "FILE",
         "also write the contact sheet PNG to FILE ({id}: the project id)",
         &o.contact_sheet, "file", NULL, 0},
        {0, "preset", AVK_OPT_STR, "NAME",
         "platform: tiktok, shorts or reels (1080x1920, 30 fps)", &o.preset,
         "tiktok|shorts|reels", NULL, 0},
        {0, "aspect", AVK_OPT_STR, "RATIO",
         "9:16, 1:1, 16:9 or 4:5 (default: the document's)", &o.aspect,
         "9:16|1:1|16:9|4:5", NULL, 0},
        {0, "template", AVK_OPT_STR, "NAME",
         "render template (default bold)", &o.template_, "bold|clean|punchy",
         NULL, 0},
        {0, "music", AVK_OPT_STR, "FILE", "music bed to loop under the voice",
         &o.music, "file", NULL, 0},
        {0, "no-music", AVK_OPT_FLAG, NULL, "no music bed", &o.no_music, NULL,
         NULL, 0},
        {0, "mood", AVK_OPT_STR, "MOOD",
         "synthesised bed: warm, upbeat, calm, dramatic, inspiring", &o.mood,
         "warm|upbeat|calm|dramatic|inspiring", NULL, 0},
        {0, "captions", AVK_OPT_STR, "MODE", "word, phrase, sentence or none",
         &o.captions, "word|phrase|sentence|none", NULL, 0},
        {0, "encoder", AVK_OPT_STR, "NAME",
         "video encoder (libx264; h264_nvenc and the like fall back to it)",
         &o.encoder, "libx264|h264_nvenc|h264_vaapi|h264_qsv|hevc_nvenc",
         NULL, 0},
        {0, "seed", AVK_OPT_INT, "N",
         "motion and music variation (default: from the project id)",
         &o.seed, NULL, NULL, 0},
        {0, "preview", AVK_OPT_FLAG, NULL,
         "a third of the size with fast settings", &o.preview, NULL, NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {own, stage, common, NULL};
    static const char *const inputs[] = {"script", "voice", "visuals",
                                         "format", "settings"};
    avk_stage_def def = {"render", "rendered", inputs, 5};
    avk_args args;
    avk_err err = {0, ""};
    char fp[1024];
    int rc;

    memset(&o, 0, sizeof o);
    /* Big buffers (pictures, frames) always from mmap: freeing them
       returns the memory, so the peak stays flat as scenes go by. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    avk_ctx_init(&ctx, PROG);
    avk_common_opts(&ctx, common);
    avk_stage_opts(&ctx, stage);
    rc = avk_opts_parse(tables, argc, argv, 1, &args, NULL, &err);
    if (rc) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    avk_ctx_apply(&ctx);
    av_log_set_level(ctx.verbose > 1 ? AV_LOG_WARNING : AV_LOG_QUIET);
    if (avk_handle_info(&args, PROG, USAGE,
                        "Render documents into finished vertical videos.",
                        tables))
        goto out;
    if (args.n) {
        avk_fail(&err, AVK_EX_USAGE, "unexpected argument '%s'", args.v[0]);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.music && o.no_music) {
        avk_fail(&err, AVK_EX_USAGE, "--music and --no-music together");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.captions && avk_render_captions_from_name(o.captions) < 0) {
        avk_fail(&err, AVK_EX_USAGE,
                 "unknown caption mode '%s' (word, phrase, sentence, none)",
                 o.captions);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.mood && !avk_music_mood_known(o.mood)) {
        avk_fail(&err, AVK_EX_USAGE, "unknown mood '%s'", o.mood);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.music && access(o.music, R_OK) != 0) {
        avk_fail(&err, AVK_EX_NOINPUT, "cannot open '%s'", o.music);
        rc = avk_report(&ctx.diag, &err, AVK_EX_NOINPUT);
        goto out;
    }
    if ((rc = avk_ctx_open_store(&ctx, &err))) {
        rc = avk_report(&ctx.diag, &err, rc);
        goto out;
    }
    {
        rsettings s;
        char mh[65] = "";

        memset(&s, 0, sizeof s);
        rc = resolve(&o, ctx.cfg, NULL, &s, &err);
        if (rc) {
            json_decref(s.tpl);
            rc = rc == AVK_EX_USAGE ? avk_usage_error(&ctx, &err, USAGE)
                                    : avk_report(&ctx.diag, &err, rc);
            goto out;
        }
        if (o.music && avk_sha256_file(o.music, mh, NULL, NULL))
            mh[0] = '\0';
        /* What changes the result beyond the document itself. */
        snprintf(fp, sizeof fp,
                 "tpl=%s:%s preset=%s aspect=%s captions=%s music=%s no=%d "
                 "mood=%s encoder=%s seed=%lld preview=%d output=%s sheet=%s "
                 "musicdir=%s",
                 s.template_, s.tpl_hash, o.preset ? o.preset : "",
                 o.aspect ? o.aspect : "", o.captions ? o.captions : "", mh,
                 o.no_music, o.mood ? o.mood : "",
                 o.encoder ? o.encoder : "", o.seed, o.preview,
                 o.output ? o.output : "",
                 o.contact_sheet ? o.contact_sheet : "",
                 s.music_dir ? s.music_dir : "");
        json_decref(s.tpl);
    }
    rc = avk_stage_run(&ctx, &def, fp, render_stage, &ud);
out:
    avk_args_release(&args);
    avk_ctx_release(&ctx);
    return rc;
}
