/*
 * pubtarget.c - dir:PATH and YouTube publish targets (see pubtarget.h).
 *
 * Always holds: the ledger row is saved (job->save) before any request
 * whose effect the server keeps, so a resumed run knows the session and
 * the confirmed offset; the video is streamed from disk in ranges, never
 * read whole into memory; the bearer token only travels in a secret
 * header and never enters a message.
 */
#include "pubtarget.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"

void avk_pubjob_say(avk_pub_job *job, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!job->say)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    job->say(job->ud, line);
}

int avk_pubjob_save(avk_pub_job *job, avk_err *err)
{
    return job->save ? job->save(job->ud, err) : 0;
}

/* ---- dir:PATH ---- */

static int copy_side(const char *src, const char *dir, const char *name,
                     const char *ext, avk_err *err)
{
    char *dst;
    avk_buf b;
    int rc;

    if (!src)
        return 0;
    avk_buf_init(&b);
    if (avk_buf_printf(&b, "%s.%s", name, ext)) {
        avk_buf_release(&b);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    dst = avk_path_join(dir, b.data);
    avk_buf_release(&b);
    if (!dst)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = avk_copy_file_atomic(src, dst, 0644, err);
    free(dst);
    return rc;
}

int avk_pub_dir(avk_pub_job *job, const char *dir, avk_err *err)
{
    const char *id = job->project_id;
    const char *text = job->thumb_type && strstr(job->thumb_type, "png")
                           ? "png"
                           : "jpg";
    json_t *meta;
    char *dump = NULL, *path = NULL, *abs = NULL, now[32];
    avk_buf name;
    int rc;

    if ((rc = avk_mkdirs(dir, 0755, err)))
        return rc;
    snprintf(job->rec->state, sizeof job->rec->state, "uploading");
    if ((rc = avk_pubjob_save(job, err)))
        return rc;
    if ((rc = copy_side(job->video_path, dir, id, "mp4", err)) ||
        (rc = copy_side(job->thumb_path, dir, id, text, err)) ||
        (rc = copy_side(job->srt_path, dir, id, "srt", err)) ||
        (rc = copy_side(job->vtt_path, dir, id, "vtt", err)))
        return rc;
    avk_now_iso(now);
    meta = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b}", "project", id,
                     "title", job->meta->title ? job->meta->title : "",
                     "description",
                     job->meta->description ? job->meta->description : "",
                     "caption", job->meta->caption ? job->meta->caption : "",
                     "bytes", (json_int_t)job->video_bytes, "sha256",
                     job->video_sha256, "ai_generated", job->aigc);
    if (meta) {
        json_object_set_new(meta, "video", json_sprintf("%s.mp4", id));
        if (job->thumb_path)
            json_object_set_new(meta, "thumbnail",
                                json_sprintf("%s.%s", id, text));
        if (job->srt_path)
            json_object_set_new(meta, "srt", json_sprintf("%s.srt", id));
        if (job->vtt_path)
            json_object_set_new(meta, "vtt", json_sprintf("%s.vtt", id));
        if (job->privacy)
            json_object_set_new(meta, "privacy", json_string(job->privacy));
        if (job->publish_at)
            json_object_set_new(meta, "publish_at",
                                json_string(job->publish_at));
        json_object_set_new(meta, "published_at", json_string(now));
        dump = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(meta);
    }
    avk_buf_init(&name);
    if (!dump || avk_buf_printf(&name, "%s.json", id) ||
        !(path = avk_path_join(dir, name.data))) {
        free(dump);
        avk_buf_release(&name);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_buf_release(&name);
    rc = avk_write_file_atomic(path, dump, strlen(dump), 0644, err);
    free(dump);
    free(path);
    if (rc)
        return rc;
    avk_fsync_dir(dir);
    abs = avk_realpath(dir);
    snprintf(job->rec->remote_id, sizeof job->rec->remote_id, "%s", id);
    snprintf(job->rec->url, sizeof job->rec->url, "file://%s/%s.mp4",
             abs ? abs : dir, id);
    free(abs);
    snprintf(job->rec->state, sizeof job->rec->state, "published");
    snprintf(job->rec->published_at, sizeof job->rec->published_at, "%s",
             now);
    job->rec->offset = job->video_bytes;
    return 0;
}

/* ---- YouTube ---- */

json_t *avk_youtube_insert_body(const avk_pub_job *job)
{
    json_t *snippet, *status;

    snippet = json_pack("{s:s, s:s, s:O, s:s}", "title", job->meta->title,
                        "description", job->meta->description, "tags",
                        job->meta->tags ? job->meta->tags : json_array(),
                        "categoryId",
                        avk_config_str(job->cfg, "youtube.category", "22"));
    status = json_pack("{s:s, s:b, s:b}", "privacyStatus",
                       job->privacy ? job->privacy : "private",
                       "selfDeclaredMadeForKids", 0, "containsSyntheticMedia",
                       job->aigc);
    if (!snippet || !status) {
        json_decref(snippet);
        json_decref(status);
        return NULL;
    }
    if (job->publish_at)
        json_object_set_new(status, "publishAt", json_string(job->publish_at));
    return json_pack("{s:o, s:o}", "snippet", snippet, "status", status);
}

static int bearer(avk_http_req *q, const char *token)
{
    avk_buf b;
    int rc;

    avk_buf_init(&b);
    rc = avk_buf_printf(&b, "Bearer %s", token ? token : "");
    if (!rc)
        rc = avk_http_req_secret_header(q, "Authorization", b.data);
    /* wipe the copy of the token */
    if (b.data)
        memset(b.data, 0, b.len);
    avk_buf_release(&b);
    return rc;
}

/* errors[0].reason of a Google error body, or "". */
static void yt_reason(const avk_http_resp *r, char *out, size_t cap)
{
    json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0,
                           NULL);
    const char *s = json_string_value(json_object_get(
        json_array_get(json_object_get(json_object_get(j, "error"), "errors"),
                       0),
        "reason"));
    snprintf(out, cap, "%s", s ? s : "");
    json_decref(j);
}

static int yt_error(const avk_http_req *q, const avk_http_resp *r,
                    avk_err *err)
{
    char reason[64];
    int rc;

    yt_reason(r, reason, sizeof reason);
    rc = avk_http_status_error(q, r, reason[0] ? reason : NULL, err);
    if (!strcmp(reason, "quotaExceeded") ||
        !strcmp(reason, "uploadLimitExceeded") ||
        !strcmp(reason, "youtubeSignupRequired"))
        rc = err->code = AVK_EX_UNAVAILABLE;
    return rc;
}

static int yt_open(avk_pub_job *job, avk_err *err)
{
    const char *base =
        avk_config_str(job->cfg, "youtube.base_url", "https://www.googleapis.com");
    avk_http_req q;
    avk_http_resp r;
    avk_buf url;
    json_t *body = avk_youtube_insert_body(job);
    char len[32];
    const char *loc;
    int rc;

    avk_buf_init(&url);
    if (!body || avk_buf_printf(&url,
                                "%s/upload/youtube/v3/videos?uploadType="
                                "resumable&part=snippet,status",
                                base)) {
        json_decref(body);
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    snprintf(len, sizeof len, "%lld", job->video_bytes);
    avk_http_req_init(&q, "POST", url.data);
    avk_buf_release(&url);
    bearer(&q, job->token);
    avk_http_req_json(&q, body);
    json_decref(body);
    avk_http_req_header(&q, "Content-Type", "application/json; charset=UTF-8");
    avk_http_req_header(&q, "X-Upload-Content-Length", len);
    avk_http_req_header(&q, "X-Upload-Content-Type", "video/mp4");
    rc = avk_http_do(job->http, &q, &r, err);
    if (!rc && r.status != 200 && r.status != 201)
        rc = yt_error(&q, &r, err);
    if (!rc) {
        loc = avk_http_resp_header(&r, "Location");
        if (!loc || !*loc)
            rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                          "YouTube: no session URI in the reply");
        else if (strlen(loc) >= sizeof job->rec->session)
            rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                          "YouTube: session URI too long");
        else {
            snprintf(job->rec->session, sizeof job->rec->session, "%s", loc);
            job->rec->offset = 0;
            snprintf(job->rec->state, sizeof job->rec->state, "uploading");
            rc = avk_pubjob_save(job, err);
        }
    }
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

/* Bytes confirmed by a Range "bytes=0-N" header: N+1, or 0 when absent. */
static long long range_next(const avk_http_resp *r)
{
    const char *v = avk_http_resp_header(r, "Range");
    const char *dash;

    if (!v || strncmp(v, "bytes=", 6) != 0 || !(dash = strchr(v, '-')))
        return 0;
    return atoll(dash + 1) + 1;
}

enum { YT_MORE, YT_DONE, YT_EXPIRED, YT_RETRY };

/* Read a final reply into rec. */
static int yt_done(avk_pub_job *job, const avk_http_resp *r, avk_err *err)
{
    json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0,
                           NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *priv = json_string_value(
        json_object_get(json_object_get(j, "status"), "privacyStatus"));
    char now[32];

    if (!id) {
        json_decref(j);
        return avk_fail(err, AVK_EX_UNAVAILABLE,
                        "YouTube: upload finished without a video id");
    }
    snprintf(job->rec->remote_id, sizeof job->rec->remote_id, "%s", id);
    snprintf(job->rec->url, sizeof job->rec->url,
             "https://www.youtube.com/shorts/%s", id);
    if (priv)
        snprintf(job->rec->privacy, sizeof job->rec->privacy, "%s", priv);
    json_decref(j);
    avk_now_iso(now);
    snprintf(job->rec->published_at, sizeof job->rec->published_at, "%s",
             now);
    snprintf(job->rec->state, sizeof job->rec->state, "published");
    job->rec->offset = job->video_bytes;
    job->rec->session[0] = '\0';
    return 0;
}

/* One PUT to the session: a chunk [off, off+len) or, with len < 0, a
 * status query.  *what says what came back. */
static int yt_put(avk_pub_job *job, long long off, long long len, int *what,
                  avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    char range[96];
    int rc;

    avk_http_req_init(&q, "PUT", job->rec->session);
    bearer(&q, job->token);
    q.max_attempts = 1;
    if (len < 0) {
        snprintf(range, sizeof range, "bytes */%lld", job->video_bytes);
        avk_http_req_body(&q, "", 0, NULL);
    } else {
        snprintf(range, sizeof range, "bytes %lld-%lld/%lld", off,
                 off + len - 1, job->video_bytes);
        avk_http_req_body_file(&q, job->video_path, off, len, "video/mp4");
    }
    avk_http_req_header(&q, "Content-Range", range);
    rc = avk_http_do(job->http, &q, &r, err);
    if (rc == AVK_EX_TEMPFAIL) {
        *what = YT_RETRY;
        rc = 0;
    } else if (rc) {
        /* a local failure */
    } else if (r.status == 308) {
        job->rec->offset = range_next(&r);
        *what = YT_MORE;
    } else if (r.status == 200 || r.status == 201) {
        *what = YT_DONE;
        rc = yt_done(job, &r, err);
    } else if (r.status == 404 || r.status == 410) {
        *what = YT_EXPIRED;
    } else if (r.status == 500 || r.status == 502 || r.status == 503 ||
               r.status == 504) {
        *what = YT_RETRY;
    } else {
        rc = yt_error(&q, &r, err);
    }
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

static int yt_thumbnail(avk_pub_job *job, avk_err *err)
{
    const char *base =
        avk_config_str(job->cfg, "youtube.base_url", "https://www.googleapis.com");
    avk_http_req q;
    avk_http_resp r;
    avk_buf url;
    int rc;

    avk_buf_init(&url);
    if (avk_buf_printf(&url, "%s/upload/youtube/v3/thumbnails/set", base) ||
        avk_url_add_query(&url, "videoId", job->rec->remote_id)) {
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&q, "POST", url.data);
    avk_buf_release(&url);
    bearer(&q, job->token);
    avk_http_req_body_file(&q, job->thumb_path, 0, -1,
                           job->thumb_type ? job->thumb_type : "image/jpeg");
    rc = avk_http_do(job->http, &q, &r, err);
    if (!rc)
        rc = yt_error(&q, &r, err);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

int avk_pub_youtube(avk_pub_job *job, avk_err *err)
{
    long long chunk =
        (long long)avk_config_num(job->cfg, "youtube.chunk_size", 8388608);
    int max_resumes = (int)avk_config_num(job->cfg, "youtube.max_resumes", 8);
    long base_ms = job->http ? job->http->backoff_base_ms : 1000;
    int retries = 0, what = YT_MORE, rc;
    unsigned long long rnd = 0;

    if (chunk <= 0)
        chunk = 8388608;
    if (chunk >= 262144)
        chunk -= chunk % 262144; /* real servers want 256 KiB multiples */
    if (job->rec->session[0]) {
        avk_pubjob_say(job, "resuming the YouTube upload session");
        if ((rc = yt_put(job, 0, -1, &what, err)))
            return rc;
        if (what == YT_EXPIRED) {
            avk_pubjob_say(job, "YouTube upload session expired; starting over");
            job->rec->session[0] = '\0';
        } else if (what == YT_MORE) {
            avk_pubjob_say(job, "server holds %lld of %lld bytes", job->rec->offset,
                job->video_bytes);
            if ((rc = avk_pubjob_save(job, err)))
                return rc;
        }
    }
    if (what == YT_RETRY)
        what = YT_MORE, retries++;
    if (what != YT_DONE && !job->rec->session[0]) {
        if ((rc = yt_open(job, err)))
            return rc;
        what = YT_MORE;
    }
    while (what != YT_DONE) {
        long long off = job->rec->offset;
        long long len = job->video_bytes - off;
        if (len > chunk)
            len = chunk;
        if (len <= 0) {
            /* everything sent but not finished: ask */
            rc = yt_put(job, 0, -1, &what, err);
        } else {
            rc = yt_put(job, off, len, &what, err);
        }
        if (rc)
            return rc;
        if (what == YT_MORE) {
            if ((rc = avk_pubjob_save(job, err)))
                return rc;
            continue;
        }
        if (what == YT_EXPIRED) {
            avk_pubjob_say(job, "YouTube upload session expired; starting over");
            if ((rc = yt_open(job, err)))
                return rc;
            what = YT_MORE;
            continue;
        }
        if (what == YT_RETRY) {
            long long wait;
            if (++retries > max_resumes)
                return avk_fail(err, AVK_EX_TEMPFAIL,
                                "YouTube upload: still failing after %d "
                                "resumes",
                                max_resumes);
            avk_random_bytes(&rnd, sizeof rnd);
            wait = avk_http_backoff_ms(base_ms, 60000, retries, rnd);
            avk_pubjob_say(job, "upload interrupted; asking where it stands in %lld ms",
                wait);
            avk_sleep_ms(wait);
            if ((rc = yt_put(job, 0, -1, &what, err)))
                return rc;
            if (what == YT_EXPIRED) {
                avk_pubjob_say(job, "YouTube upload session expired; starting over");
                if ((rc = yt_open(job, err)))
                    return rc;
                what = YT_MORE;
            } else if (what == YT_RETRY)
                what = YT_MORE;
            else if (what == YT_MORE && (rc = avk_pubjob_save(job, err)))
                return rc;
        }
    }
    if ((rc = avk_pubjob_save(job, err)))
        return rc;
    if (job->thumb_path) {
        avk_err terr = {0, ""};
        if (yt_thumbnail(job, &terr))
            avk_pubjob_say(job, "thumbnail not set: %s", terr.msg);
    }
    return 0;
}
