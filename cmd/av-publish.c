/*
 * av-publish - publish rendered videos to YouTube and directories,
 * exactly once.
 *
 *   av-render ... | av-publish --to youtube --to dir:out/
 *   av-publish --project ID --to dir:out/ --dry-run
 *   av-publish login tiktok; av-publish accounts
 *
 * For each document with a .render section and each target, the intent
 * (project, target, sha256 of the video) is recorded in the store before
 * the first byte is sent; a completed publication is never repeated and
 * an interrupted one resumes (lib/publish.h).  The .publish section lists
 * every target's state.  Only this file prints.
 */
#include <jansson.h>
#include <libavutil/log.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "assets.h"
#include "cli.h"
#include "doc.h"
#include "fsutil.h"
#include "http.h"
#include "oauth.h"
#include "probe.h"
#include "publish.h"
#include "pubmeta.h"
#include "pubtarget.h"

extern char **environ;

#define PROG "av-publish"
#define USAGE                                                              \
    PROG " [--to TARGET]... [options] < documents\n"                       \
         "       " PROG " --project ID --to TARGET [--dry-run]\n"          \
         "       " PROG " login youtube|tiktok|instagram [--device] | "     \
         "logout PLATFORM | accounts"

#ifndef AVK_VERSION
#define AVK_VERSION "0.0.0"
#endif

typedef struct opts {
    avk_strlist to;
    const char *title, *description, *privacy, *publish_at, *token_file;
    double wait_max;
    int dry_run, device, inbox;
} opts;

typedef struct run_state {
    avk_ctx *ctx;
    opts *o;
    avk_http_opts http;
    char owner[96];
    int first_fail; /* exit code of the first failed target */
    pid_t browser_pid;
    avk_stage_def *def; /* its status is set per document */
    avk_creds creds;    /* where the accounts' tokens live */
    char *token_path;   /* owned: creds.file when it is the default one */
} run_state;

/* ---- targets ---- */

static const char *platform_of(const char *target)
{
    if (!strcmp(target, "youtube"))
        return "youtube";
    if (!strcmp(target, "tiktok"))
        return "tiktok";
    if (!strcmp(target, "instagram"))
        return "instagram";
    if (!strncmp(target, "dir:", 4) && target[4])
        return "dir";
    if (!strncmp(target, "s3://", 5) && target[5] && target[5] != '/')
        return "s3";
    return NULL;
}

static int collect_targets(run_state *st, const json_t *doc,
                           const char ***out, size_t *n, avk_err *err)
{
    const char **v = NULL;
    size_t k = 0, i, cap;
    const json_t *node = NULL;
    json_t *sp = json_object_get(json_object_get(doc, "settings"), "publish");

    *out = NULL;
    *n = 0;
    if (st->o->to.n) {
        v = calloc(st->o->to.n, sizeof *v);
        if (!v)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        for (i = 0; i < st->o->to.n; i++)
            v[k++] = st->o->to.v[i];
    } else {
        node = json_is_array(sp) ? sp
                                 : avk_config_node(st->ctx->cfg, "publish.targets");
        if (json_is_string(node))
            node = NULL; /* a single string: handled below */
        cap = json_is_array(node) ? json_array_size(node) : 1;
        v = calloc(cap ? cap : 1, sizeof *v);
        if (!v)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        if (json_is_array(node)) {
            for (i = 0; i < json_array_size(node); i++) {
                const char *s = json_string_value(json_array_get(node, i));
                if (s)
                    v[k++] = s;
            }
        } else {
            const char *s = avk_config_str(st->ctx->cfg, "publish.targets", NULL);
            if (s && *s)
                v[k++] = s;
        }
    }
    for (i = 0; i < k; i++)
        if (!platform_of(v[i])) {
            avk_fail(err, AVK_EX_USAGE,
                     "unknown target '%s' (youtube, tiktok, instagram, dir:PATH or s3://BUCKET/PREFIX)", v[i]);
            free(v);
            return AVK_EX_USAGE;
        }
    if (!k) {
        free(v);
        return avk_fail(err, AVK_EX_USAGE,
                        "no target: give --to, or a publish.targets list in "
                        "the configuration");
    }
    *out = v;
    *n = k;
    return 0;
}

/* ---- the document's inputs ---- */

typedef struct inputs {
    avk_asset video, thumb, srt, vtt;
    int has_thumb, has_srt, has_vtt;
    char *video_abs, *thumb_abs, *srt_abs, *vtt_abs;
    avk_pub_src src;
    const char **tags;
    double duration;
} inputs;

static void inputs_release(inputs *in)
{
    free(in->video_abs);
    free(in->thumb_abs);
    free(in->srt_abs);
    free(in->vtt_abs);
    free(in->tags);
    memset(in, 0, sizeof *in);
}

static int side_asset(avk_ctx *ctx, const json_t *render, const char *key,
                      avk_asset *a, int *has, char **abs, avk_err *err)
{
    json_t *v = json_object_get(render, key);
    char path[64];
    int rc;

    if (!json_is_object(v))
        return 0;
    snprintf(path, sizeof path, ".render.%s", key);
    if ((rc = avk_asset_from_json(v, path, a, err)) ||
        (rc = avk_asset_verify(ctx->ws_root, a, 0, err)))
        return rc;
    *abs = avk_asset_abspath(ctx->ws_root, a);
    if (!*abs)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    *has = 1;
    return 0;
}

static int read_inputs(run_state *st, const json_t *doc, inputs *in,
                       avk_err *err)
{
    avk_ctx *ctx = st->ctx;
    json_t *render, *script, *tags;
    int rc, dummy = 0;
    size_t i;

    memset(in, 0, sizeof *in);
    if ((rc = avk_get_object(doc, "", "render", &render, err)))
        return rc;
    if ((rc = avk_asset_from_json(json_object_get(render, "video"),
                                  ".render.video", &in->video, err)) ||
        (rc = avk_asset_verify(ctx->ws_root, &in->video, 0, err)))
        return rc;
    if (!(in->video_abs = avk_asset_abspath(ctx->ws_root, &in->video)))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if ((rc = side_asset(ctx, render, "thumbnail", &in->thumb, &in->has_thumb,
                         &in->thumb_abs, err)) ||
        (rc = side_asset(ctx, render, "srt", &in->srt, &in->has_srt,
                         &in->srt_abs, err)) ||
        (rc = side_asset(ctx, render, "vtt", &in->vtt, &in->has_vtt,
                         &in->vtt_abs, err)))
        return rc;
    (void)dummy;
    script = json_object_get(doc, "script");
    in->src.title = json_string_value(json_object_get(script, "title"));
    if (!in->src.title)
        in->src.title = avk_doc_topic(doc);
    in->src.description =
        json_string_value(json_object_get(script, "description"));
    if (st->o->title)
        in->src.title = st->o->title;
    if (st->o->description)
        in->src.description = st->o->description;
    tags = json_object_get(script, "hashtags");
    if (json_is_array(tags) && json_array_size(tags)) {
        in->tags = calloc(json_array_size(tags), sizeof *in->tags);
        if (!in->tags)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        for (i = 0; i < json_array_size(tags); i++) {
            const char *t = json_string_value(json_array_get(tags, i));
            if (t)
                in->tags[in->src.nhashtags++] = t;
        }
        in->src.hashtags = in->tags;
    }
    return 0;
}

static const char *privacy_of(run_state *st)
{
    if (st->o->privacy)
        return st->o->privacy;
    return avk_config_str(st->ctx->cfg, "publish.privacy", "private");
}

static int check_privacy(const char *p, avk_err *err)
{
    if (strcmp(p, "private") && strcmp(p, "public") && strcmp(p, "unlisted"))
        return avk_fail(err, AVK_EX_USAGE,
                        "--privacy '%s': use private, public or unlisted", p);
    return 0;
}

static long long youtube_cost(run_state *st, int thumb)
{
    long long c =
        (long long)avk_config_num(st->ctx->cfg, "youtube.upload_cost", 1600);
    if (thumb)
        c += (long long)avk_config_num(st->ctx->cfg, "youtube.thumbnail_cost",
                                       50);
    return c;
}

/* Local check against the platform's limits: refuses before any upload. */
static int check_video(const char *platform, inputs *in, avk_err *err)
{
    const avk_pub_limits *l = avk_pub_limits_for(platform);
    avk_probe p;
    int rc;

    if (!l)
        return 0;
    if ((rc = avk_probe_file(in->video_abs, &p, err)))
        return rc;
    in->duration = p.duration;
    if (avk_pub_check_video(l, &p, err))
        return avk_err_prefix(err, "video refused locally, nothing sent");
    return 0;
}

/* ---- quota (YouTube, daily, reset at midnight Pacific) ---- */

static void pacific_day(char out[16], long long *secs_left)
{
    /* Pacific time approximated as UTC-8 (no DST; the reset may be an
     * hour off in summer). */
    time_t t = time(NULL) - 8 * 3600;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
    *secs_left = 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
}

static int take_quota(run_state *st, long long units, avk_err *err)
{
    long long limit =
        (long long)avk_config_num(st->ctx->cfg, "youtube.daily_quota", 10000);
    char day[16];
    long long left;
    int ok = 0, rc;

    pacific_day(day, &left);
    if ((rc = avk_quota_take(st->ctx->store, "youtube", day, units, limit, &ok,
                             err)))
        return rc;
    if (ok)
        return 0;
    if ((double)left > st->o->wait_max)
        return avk_fail(err, AVK_EX_TEMPFAIL,
                        "YouTube daily quota used up (%lld units a day); it "
                        "resets in %lld s, beyond --wait-max",
                        limit, left);
    avk_warn(&st->ctx->diag, "YouTube daily quota used up; waiting %lld s "
             "for the reset", left);
    avk_sleep_ms(left * 1000 + 1000);
    return take_quota(st, units, err);
}

/* ---- one target ---- */

typedef struct save_ctx {
    run_state *st;
    avk_pub_rec *rec;
    const char *target;
} save_ctx;

static int save_cb(void *ud, avk_err *err)
{
    save_ctx *s = ud;
    long long lease =
        (long long)avk_config_num(s->st->ctx->cfg, "publish.lease_ms", 60000);
    return avk_pub_save(s->st->ctx->store, s->rec, s->st->owner, lease, err);
}

static int limit_cb(void *ud, const char *bucket, int max,
                    long long window_ms, avk_err *err)
{
    save_ctx *s = ud;
    const char *platform = platform_of(s->target);
    long long t0 = avk_mono_ms(), wait = 0;
    int rc, said = 0;

    for (;;) {
        if ((rc = avk_rate_try(s->st->ctx->store, platform, bucket, max,
                               window_ms, &wait, err)))
            return rc;
        if (!wait)
            return 0;
        if (avk_mono_ms() - t0 + wait > (long long)(s->st->o->wait_max * 1000))
            return avk_fail(err, AVK_EX_TEMPFAIL,
                            "%s: rate limit of %d %s calls a minute reached; "
                            "the wait would pass --wait-max",
                            platform, max, bucket);
        if (!said++)
            avk_info(&s->st->ctx->diag,
                     "%s: waiting %lld ms for the %s rate limit", s->target,
                     wait, bucket);
        avk_sleep_ms(wait);
    }
}

static void say_cb(void *ud, const char *msg)
{
    save_ctx *s = ud;
    avk_info(&s->st->ctx->diag, "%s: %s", s->target, msg);
}

static void wipe(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

/* The bearer token of a platform: the stored account (refreshed when it
 * is about to expire; Instagram's long-lived token within
 * instagram.refresh_before_s, 7 days) or else the configuration's
 * PROVIDER.access_token.  *out is newly allocated, the caller wipes and
 * frees it; *user_id (newly allocated or NULL) is the account id stored
 * at login. */
static int token_for(run_state *st, const char *provider, char **out,
                     char **user_id, avk_err *err)
{
    avk_oauth_client c;
    avk_oauth_token t;
    const char *v;
    char key[64];
    long long before;
    int rc, found = 0;

    *out = NULL;
    *user_id = NULL;
    if (avk_oauth_client_config(&c, st->ctx->cfg, provider, &st->http, NULL)) {
        /* without a client there is nothing to refresh with: a stored
         * account still works until it expires */
        memset(&c, 0, sizeof c);
        snprintf(c.provider, sizeof c.provider, "%s", provider);
        c.http = &st->http;
    }
    memset(&t, 0, sizeof t);
    snprintf(key, sizeof key, "%s.refresh_before_s", provider);
    before = (long long)avk_config_num(
        st->ctx->cfg, key, !strcmp(provider, "instagram") ? 7 * 86400 : 300);
    rc = avk_oauth_access_token(&st->creds, &c, "default", before, &t, &found,
                                err);
    if (rc)
        return rc;
    if (found) {
        *out = strdup(t.access_token);
        if (t.user_id)
            *user_id = strdup(t.user_id);
        rc = !*out || (t.user_id && !*user_id);
        avk_oauth_token_release(&t);
        if (rc) {
            wipe(*out);
            free(*user_id);
            *out = *user_id = NULL;
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
        return 0;
    }
    snprintf(key, sizeof key, "%s.access_token", provider);
    if ((v = avk_config_str(st->ctx->cfg, key, NULL))) {
        *out = strdup(v);
        return *out ? 0 : avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    return avk_fail(err, AVK_EX_NOPERM,
                    "%s: no account; run 'av-publish login %s' (or set "
                    "%s.access_token)",
                    provider, provider, provider);
}

static int public_copy(run_state *st, const char *project, const char *sha,
                       char *out, size_t cap, avk_err *err);

static int publish_one(run_state *st, const json_t *doc, const inputs *in,
                       const char *target, avk_err *err)
{
    avk_ctx *ctx = st->ctx;
    const char *platform = platform_of(target);
    const char *id = avk_doc_id(doc);
    long long lease =
        (long long)avk_config_num(ctx->cfg, "publish.lease_ms", 60000);
    avk_pub_meta meta;
    avk_pub_rec rec;
    avk_pub_job job;
    save_ctx sc = {st, &rec, target};
    char public_url[1024] = "";
    int outcome = 0, rc;

    if ((rc = avk_pub_meta_fit(platform, &in->src, &meta, err)))
        return rc;
    rc = avk_pub_claim(ctx->store, id, target, in->video.sha256, st->owner,
                       lease, (long long)(st->o->wait_max * 1000), &rec,
                       &outcome, err);
    if (rc) {
        avk_pub_meta_release(&meta);
        return rc;
    }
    if (outcome == AVK_PUB_DONE) {
        avk_info(&ctx->diag, "%s: already published%s%s", target,
                 rec.url[0] ? " at " : "", rec.url);
        avk_pub_meta_release(&meta);
        return 0;
    }
    memset(&job, 0, sizeof job);
    job.project_id = id;
    job.ws_root = ctx->ws_root;
    job.video_path = in->video_abs;
    job.video_bytes = in->video.bytes;
    job.video_sha256 = in->video.sha256;
    job.thumb_path = in->has_thumb ? in->thumb_abs : NULL;
    job.thumb_type = in->has_thumb ? in->thumb.type : NULL;
    job.srt_path = in->has_srt ? in->srt_abs : NULL;
    job.vtt_path = in->has_vtt ? in->vtt_abs : NULL;
    job.meta = &meta;
    job.privacy = privacy_of(st);
    job.publish_at = st->o->publish_at;
    job.aigc = avk_config_bool(ctx->cfg, "publish.ai_disclosure", 1);
    job.cfg = ctx->cfg;
    job.http = &st->http;
    job.rec = &rec;
    job.save = save_cb;
    job.say = say_cb;
    job.limit = limit_cb;
    job.inbox = st->o->inbox;
    job.duration = in->duration;
    job.ud = &sc;
    if (!rec.privacy[0])
        snprintf(rec.privacy, sizeof rec.privacy, "%s", job.privacy);
    if (!strcmp(platform, "instagram"))
        rc = public_copy(st, id, in->video.sha256, public_url,
                         sizeof public_url, err);
    if (rc) {
        avk_pub_meta_release(&meta);
        avk_pub_release(ctx->store, &rec, st->owner, NULL);
        return rc;
    }
    if (public_url[0]) {
        job.public_url = public_url;
        avk_info(&ctx->diag, "%s: the video is already at %s; Instagram "
                 "fetches it from there", target, public_url);
    }
    rec.error[0] = '\0';
    if (!strcmp(platform, "dir")) {
        rc = avk_pub_dir(&job, target + 4, err);
    } else if (!strcmp(platform, "s3")) {
        rc = avk_pub_s3(&job, target, err);
    } else {
        char *tok = NULL, *uid = NULL;
        rc = token_for(st, platform, &tok, &uid, err);
        job.token = tok;
        job.user_id = uid;
        if (rc)
            ; /* no account, or the refresh was refused */
        else if (!strcmp(platform, "youtube") && !rec.session[0] &&
                 !rec.remote_id[0])
            rc = take_quota(st, youtube_cost(st, in->has_thumb), err);
        else
            rc = 0;
        if (!rc)
            rc = !strcmp(platform, "tiktok")      ? avk_pub_tiktok(&job, err)
                 : !strcmp(platform, "instagram") ? avk_pub_instagram(&job, err)
                                                  : avk_pub_youtube(&job, err);
        job.token = NULL;
        job.user_id = NULL;
        wipe(tok);
        free(uid);
    }
    if (rc) {
        int saved = rc;
        avk_err e2 = {0, ""};
        snprintf(rec.state, sizeof rec.state, "failed");
        snprintf(rec.error, sizeof rec.error, "%s", err->msg);
        avk_pub_release(ctx->store, &rec, st->owner, &e2);
        avk_pub_meta_release(&meta);
        return saved;
    }
    rc = avk_pub_release(ctx->store, &rec, st->owner, err);
    if (!rc)
        avk_info(&ctx->diag, "%s: published %s", target, rec.url);
    avk_pub_meta_release(&meta);
    return rc;
}

/* The https URL of this video published earlier by another target of the
 * same project (an s3:// target with s3.public_url), or "". */
static int public_copy(run_state *st, const char *project, const char *sha,
                       char *out, size_t cap, avk_err *err)
{
    avk_pub_rec *rows = NULL;
    size_t n = 0, i;
    int rc;

    out[0] = '\0';
    if ((rc = avk_pub_list(st->ctx->store, project, sha, &rows, &n, err)))
        return rc;
    for (i = 0; i < n; i++)
        if (!strcmp(rows[i].state, "published") &&
            !strncmp(rows[i].url, "https://", 8) &&
            !strncmp(rows[i].target, "s3://", 5)) {
            snprintf(out, cap, "%s", rows[i].url);
            break;
        }
    free(rows);
    return 0;
}

static json_t *rec_json(const avk_pub_rec *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "target", r->target,
                          "state", r->state, "video_sha256", r->video_sha256,
                          "attempts", r->attempts, "created_at",
                          r->created_at, "updated_at", r->updated_at);
    const char *platform = platform_of(r->target);

    if (!o)
        return NULL;
    json_object_set_new(o, "platform",
                        json_string(platform ? platform : "unknown"));
#define OPT(key, field)                                                      \
    json_object_set_new(o, key, r->field[0] ? json_string(r->field) : json_null())
    OPT("remote_id", remote_id);
    OPT("url", url);
    OPT("privacy", privacy);
    OPT("published_at", published_at);
    OPT("error", error);
#undef OPT
    return o;
}

static int publish_fn(avk_ctx *ctx, json_t *doc, avk_stage_result *res,
                      void *ud, avk_err *err)
{
    run_state *st = ud;
    const char **targets = NULL;
    size_t nt = 0, i, nrows = 0;
    avk_pub_rec *rows = NULL;
    inputs in;
    json_t *list;
    int rc, fail = 0;

    if ((rc = collect_targets(st, doc, &targets, &nt, err)))
        return rc;
    if ((rc = read_inputs(st, doc, &in, err))) {
        free(targets);
        return rc;
    }
    /* refuse a video a platform would reject before sending anything */
    for (i = 0; i < nt && !rc; i++)
        rc = check_video(platform_of(targets[i]), &in, err);
    for (i = 0; i < nt && !rc; i++) {
        avk_err e = {0, ""};
        int r = publish_one(st, doc, &in, targets[i], &e);
        if (r) {
            avk_error(&ctx->diag, "project %s: %s: %s", avk_doc_id(doc),
                      targets[i], e.msg);
            if (!fail)
                fail = r;
        }
    }
    if (!rc)
        rc = avk_pub_list(ctx->store, avk_doc_id(doc), in.video.sha256, &rows,
                          &nrows, err);
    if (!rc) {
        list = json_array();
        for (i = 0; i < nrows; i++)
            json_array_append_new(list, rec_json(&rows[i]));
        res->section = json_pack("{s:o}", "targets", list);
        snprintf(res->provider, sizeof res->provider, "%s",
                 nt == 1 ? platform_of(targets[0]) : "multi");
        if (fail && !st->first_fail)
            st->first_fail = fail;
        /* the project counts as published only when every target is */
        st->def->status = fail ? NULL : "published";
    }
    free(rows);
    free(targets);
    inputs_release(&in);
    return rc;
}

/* ---- --dry-run ---- */

static int plan_one(run_state *st, const json_t *doc, avk_err *err)
{
    const char **targets = NULL;
    size_t nt = 0, i;
    inputs in;
    int rc;

    if ((rc = collect_targets(st, doc, &targets, &nt, err)))
        return rc;
    if ((rc = read_inputs(st, doc, &in, err))) {
        free(targets);
        return rc;
    }
    for (i = 0; i < nt && !rc; i++) {
        const char *platform = platform_of(targets[i]);
        avk_pub_meta meta;
        avk_pub_job job;
        json_t *line, *send = NULL;
        avk_pub_rec *rows = NULL;
        size_t nrows = 0, k;
        const char *state = "new";
        long long quota = 0;

        if ((rc = check_video(platform, &in, err)) ||
            (rc = avk_pub_meta_fit(platform, &in.src, &meta, err)))
            break;
        if ((rc = avk_pub_list(st->ctx->store, avk_doc_id(doc),
                               in.video.sha256, &rows, &nrows, err))) {
            avk_pub_meta_release(&meta);
            break;
        }
        for (k = 0; k < nrows; k++)
            if (!strcmp(rows[k].target, targets[i]))
                state = rows[k].state;
        memset(&job, 0, sizeof job);
        job.meta = &meta;
        job.cfg = st->ctx->cfg;
        job.privacy = privacy_of(st);
        job.publish_at = st->o->publish_at;
        job.aigc = avk_config_bool(st->ctx->cfg, "publish.ai_disclosure", 1);
        if (!strcmp(platform, "youtube")) {
            send = avk_youtube_insert_body(&job);
            quota = strcmp(state, "published") ? youtube_cost(st, in.has_thumb)
                                               : 0;
        } else {
            send = json_pack("{s:s, s:s, s:s}", "title", meta.title,
                             "description", meta.description, "caption",
                             meta.caption);
        }
        line = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I, s:s, s:o, s:I}",
                         "project", avk_doc_id(doc), "target", targets[i],
                         "platform", platform, "dry_run", 1, "video",
                         in.video.path, "bytes", (json_int_t)in.video.bytes,
                         "state", state, "would_send",
                         send ? send : json_null(), "quota",
                         (json_int_t)quota);
        free(rows);
        avk_pub_meta_release(&meta);
        if (!line)
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        else {
            rc = avk_doc_print(line, err);
            json_decref(line);
        }
    }
    free(targets);
    inputs_release(&in);
    return rc;
}

static int dry_run(run_state *st)
{
    avk_ctx *ctx = st->ctx;
    avk_err err = {0, ""};
    char *line = NULL;
    size_t cap = 0, i;
    long lineno = 0;
    ssize_t n;
    int rc = 0;

    if ((rc = avk_ctx_open_store(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    for (i = 0; i < ctx->projects.n && !rc; i++) {
        char *id = NULL, *text = NULL;
        json_t *doc = NULL;
        rc = avk_project_resolve(ctx->store, ctx->projects.v[i], &id, &err);
        if (!rc)
            rc = avk_project_get(ctx->store, id, &text, &err);
        if (!rc)
            rc = avk_doc_parse(text, strlen(text), 1, &doc, &err);
        if (!rc)
            rc = plan_one(st, doc, &err);
        json_decref(doc);
        free(text);
        free(id);
    }
    if (ctx->projects.n)
        return rc ? avk_report(&ctx->diag, &err, rc) : 0;
    while (!rc && (n = getline(&line, &cap, stdin)) >= 0) {
        json_t *doc = NULL;
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        rc = avk_doc_parse(line, (size_t)n, lineno, &doc, &err);
        if (!rc)
            rc = avk_doc_validate(doc, &err);
        if (!rc)
            rc = plan_one(st, doc, &err);
        if (rc)
            avk_err_prefix(&err, "line %ld", lineno);
        json_decref(doc);
    }
    free(line);
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

/* ---- login, logout ---- */

static void show_url(void *ud, const char *url)
{
    run_state *st = ud;
    const char *browser = avk_config_str(st->ctx->cfg, "publish.browser", NULL);
    char *argv[3];
    pid_t pid;

    fprintf(stderr, "Open this address in a browser to let av-publish "
                    "post for you:\n\n  %s\n\n",
            url);
    fflush(stderr);
    if (!browser && (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY")))
        browser = "xdg-open";
    if (!browser || !*browser)
        return;
    argv[0] = (char *)browser;
    argv[1] = (char *)url;
    argv[2] = NULL;
    if (posix_spawnp(&pid, browser, NULL, NULL, argv, environ) == 0)
        st->browser_pid = pid;
}

static void show_code(void *ud, const char *url, const char *code)
{
    (void)ud;
    fprintf(stderr, "On any device, open %s and enter the code %s\n", url,
            code);
    fflush(stderr);
}

static int known_account_provider(const char *p)
{
    return !strcmp(p, "youtube") || !strcmp(p, "tiktok") ||
           !strcmp(p, "instagram");
}

static int cmd_login(run_state *st, const char *provider, int logout)
{
    avk_ctx *ctx = st->ctx;
    avk_err err = {0, ""};
    avk_oauth_client c;
    avk_oauth_token t;
    int rc, found = 0;

    memset(&t, 0, sizeof t);
    if (!known_account_provider(provider)) {
        avk_fail(&err, AVK_EX_USAGE,
                 "unknown account provider '%s' (youtube, tiktok, instagram)",
                 provider);
        return avk_usage_error(ctx, &err, USAGE);
    }
    if (logout) {
        if ((rc = avk_creds_get(&st->creds, provider, "default", &t, &found,
                                &err)))
            return avk_report(&ctx->diag, &err, rc);
        if (found && (t.refresh_token || t.access_token)) {
            avk_err e2 = {0, ""};
            /* Facebook revokes through the access token; the others take
             * the refresh token, which ends the whole grant */
            const char *tok = !strcmp(provider, "instagram") || !t.refresh_token
                                  ? t.access_token
                                  : t.refresh_token;
            if (avk_oauth_client_config(&c, ctx->cfg, provider, &st->http,
                                        &e2) ||
                (tok && avk_oauth_revoke(&c, tok, &e2)))
                avk_warn(&ctx->diag, "%s: revocation failed (%s); the "
                         "local tokens are removed anyway", provider, e2.msg);
        }
        avk_oauth_token_release(&t);
        if ((rc = avk_creds_delete(&st->creds, provider, "default", &err)))
            return avk_report(&ctx->diag, &err, rc);
        avk_info(&ctx->diag, "%s: logged out", provider);
        return 0;
    }
    if ((rc = avk_oauth_client_config(&c, ctx->cfg, provider, &st->http,
                                      &err)))
        return avk_report(&ctx->diag, &err, rc);
    if (st->o->device)
        rc = avk_oauth_login_device(&c, show_code, st, &t, &err);
    else
        rc = avk_oauth_login_loopback(
            &c, show_url, st,
            (long long)(avk_config_num(ctx->cfg, "publish.login_timeout_s",
                                       300) * 1000),
            &t, &err);
    if (st->browser_pid > 0) {
        int status;
        waitpid(st->browser_pid, &status, 0);
    }
    if (!rc)
        rc = avk_creds_put(&st->creds, provider, "default", &t, &err);
    if (!rc) {
        avk_info(&ctx->diag, "%s: logged in (scope %s)%s", provider,
                 t.scope ? t.scope : "?",
                 st->creds.file ? "; tokens in the token file"
                                : "; tokens in the store");
        if (!strcmp(provider, "instagram") && !t.user_id &&
            !avk_config_str(ctx->cfg, "instagram.user_id", NULL))
            avk_warn(&ctx->diag, "instagram: no Page of this account has an "
                     "Instagram professional account; set instagram.user_id");
    }
    avk_oauth_token_release(&t);
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

/* ---- accounts ---- */

static int account_line(void *ud, const char *provider, const char *account,
                        const avk_oauth_token *t)
{
    char exp[32] = "-";
    int *any = ud;

    /* never a token: provider, account, expiry, scope, account id */
    if (t->expires_at)
        avk_time_iso(t->expires_at, exp);
    printf("%-10s %-12s expires %s%s  scope %s%s%s\n", provider, account, exp,
           t->refresh_token ? " (refreshable)" : "",
           t->scope ? t->scope : "-", t->user_id ? "  id " : "",
           t->user_id ? t->user_id : "");
    *any = 1;
    return 0;
}

static int cmd_accounts(run_state *st)
{
    avk_ctx *ctx = st->ctx;
    avk_err err = {0, ""};
    int rc, any = 0;

    if ((rc = avk_creds_list(&st->creds, account_line, &any, &err)))
        return avk_report(&ctx->diag, &err, rc);
    if (!any)
        avk_info(&ctx->diag, "no accounts; tokens may also come from the "
                 "configuration (youtube.access_token, tiktok.access_token, "
                 "instagram.access_token)");
    fflush(stdout);
    return 0;
}

/* Where tokens live: --token-file, publish.token_store: file (with
 * publish.token_file, default .av/tokens.json), or the store. */
static int setup_creds(run_state *st, avk_err *err)
{
    avk_ctx *ctx = st->ctx;
    const char *mode = avk_config_str(ctx->cfg, "publish.token_store", "store");

    st->creds.store = ctx->store;
    if (st->o->token_file) {
        st->creds.file = st->o->token_file;
        return 0;
    }
    if (!strcmp(mode, "store"))
        return 0;
    if (strcmp(mode, "file") != 0)
        return avk_fail(err, AVK_EX_CONFIG,
                        "publish.token_store '%s': use store or file", mode);
    st->creds.file = avk_config_str(ctx->cfg, "publish.token_file", NULL);
    if (!st->creds.file) {
        st->token_path = avk_path_join(ctx->ws_root, ".av/tokens.json");
        if (!st->token_path)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        st->creds.file = st->token_path;
    }
    return 0;
}

int main(int argc, char **argv)
{
    avk_ctx ctx;
    opts o;
    run_state st;
    avk_opt common[AVK_COMMON_NOPTS + 1], stage[AVK_STAGE_NOPTS + 1];
    const avk_opt own[] = {
        {0, "to", AVK_OPT_LIST, "TARGET",
         "youtube, tiktok, instagram, dir:PATH or s3://BUCKET/PREFIX "
         "(repeatable)",
         &o.to, "youtube|tiktok|instagram|dir:|s3://", NULL, 0},
        {0, "title", AVK_OPT_STR, "TEXT", "title instead of .script.title",
         &o.title, NULL, NULL, 0},
        {0, "description", AVK_OPT_STR, "TEXT",
         "description instead of .script.description", &o.description, NULL,
         NULL, 0},
        {0, "privacy", AVK_OPT_STR, "LEVEL",
         "private (default), unlisted or public", &o.privacy,
         "private|unlisted|public", NULL, 0},
        {0, "publish-at", AVK_OPT_STR, "TIME",
         "scheduled publication time (ISO 8601, UTC)", &o.publish_at, NULL,
         NULL, 0},
        {'n', "dry-run", AVK_OPT_FLAG, NULL,
         "print what would be sent and the quota it costs", &o.dry_run, NULL,
         NULL, 0},
        {0, "inbox", AVK_OPT_FLAG, NULL,
         "tiktok: upload as a draft to the creator's inbox", &o.inbox, NULL,
         NULL, 0},
        {0, "device", AVK_OPT_FLAG, NULL,
         "login: use the device flow (a code to enter on another device)",
         &o.device, NULL, NULL, 0},
        {0, "token-file", AVK_OPT_STR, "PATH",
         "keep the accounts' tokens in this 0600 file instead of the store",
         &o.token_file, NULL, NULL, 0},
        {0, "wait-max", AVK_OPT_DOUBLE, "SECONDS",
         "longest wait for a quota, rate limit or another process (600)",
         &o.wait_max, NULL, NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {own, stage, common, NULL};
    const char *inputs_list[] = {"render", "script"};
    avk_stage_def def = {"publish", "published", inputs_list, 2};
    avk_args args;
    avk_err err = {0, ""};
    int rc = 0;

    memset(&o, 0, sizeof o);
    o.wait_max = 600;
    av_log_set_level(AV_LOG_ERROR);
    avk_ctx_init(&ctx, PROG);
    avk_common_opts(&ctx, common);
    avk_stage_opts(&ctx, stage);
    rc = avk_opts_parse(tables, argc, argv, 1, &args, NULL, &err);
    if (rc) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    avk_ctx_apply(&ctx);
    if (avk_handle_info(&args, PROG, USAGE,
                        "Publish rendered videos, exactly once.", tables))
        goto out;
    if (args.n && strcmp(args.v[0], "login") && strcmp(args.v[0], "logout") &&
        !(args.n == 1 && !strcmp(args.v[0], "accounts"))) {
        avk_fail(&err, AVK_EX_USAGE, "unexpected argument '%s'", args.v[0]);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (args.n && args.n != 2 && strcmp(args.v[0], "accounts")) {
        avk_fail(&err, AVK_EX_USAGE,
                 "%s needs a provider (youtube, tiktok or instagram)",
                 args.v[0]);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.privacy && check_privacy(o.privacy, &err)) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.publish_at && avk_parse_iso(o.publish_at) < 0) {
        avk_fail(&err, AVK_EX_USAGE, "--publish-at '%s': not an ISO 8601 UTC "
                 "time", o.publish_at);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    memset(&st, 0, sizeof st);
    st.ctx = &ctx;
    st.o = &o;
    avk_pub_owner(st.owner);
    if ((rc = avk_http_global_init(&err))) {
        rc = avk_report(&ctx.diag, &err, rc);
        goto out;
    }
    if ((rc = avk_ctx_open_store(&ctx, &err)) ||
        (rc = setup_creds(&st, &err))) {
        rc = avk_report(&ctx.diag, &err, rc);
        goto cleanup;
    }
    if (args.n == 1) {
        rc = cmd_accounts(&st);
        goto cleanup;
    }
    st.http = avk_http_opts_default();
    st.http.user_agent = "av/" AVK_VERSION;
    if (ctx.verbose > 1) {
        st.http.log = avk_diag_log_cb;
        st.http.log_ud = &ctx.diag;
    }
    if ((rc = avk_http_opts_config(&st.http, ctx.cfg, &err))) {
        rc = avk_report(&ctx.diag, &err, rc);
        goto cleanup;
    }
    if (args.n == 2) {
        rc = cmd_login(&st, args.v[1], !strcmp(args.v[0], "logout"));
        goto cleanup;
    }
    if (o.dry_run) {
        rc = dry_run(&st);
        goto cleanup;
    }
    /* exactly-once lives in the publications ledger, not in the stage
     * stamp: always look at every target */
    ctx.force = 1;
    st.def = &def;
    rc = avk_stage_run(&ctx, &def, NULL, publish_fn, &st);
    if (!rc && st.first_fail)
        rc = st.first_fail;
cleanup:
    free(st.token_path);
    avk_http_global_cleanup();
out:
    avk_strlist_release(&o.to);
    avk_args_release(&args);
    avk_ctx_release(&ctx);
    return rc;
}
