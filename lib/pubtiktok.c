/*
 * pubtiktok.c - the TikTok Content Posting API target (see pubtarget.h).
 *
 * Always holds: an init (which creates a post on TikTok's side) is sent
 * once per ledger row, never retried blindly, and its publish_id and
 * upload_url are saved before the first chunk; chunks go strictly in
 * order; every reply's envelope is checked (error.code must be "ok").
 * The ledger's session column holds "PUBLISH_ID UPLOAD_URL CHUNK COUNT".
 */
#include "pubtarget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"

static const char *nz(const char *s)
{
    return s ? s : "";
}

static int bearer(avk_http_req *q, const char *token)
{
    avk_buf b;
    int rc;

    avk_buf_init(&b);
    rc = avk_buf_printf(&b, "Bearer %s", token ? token : "");
    if (!rc)
        rc = avk_http_req_secret_header(q, "Authorization", b.data);
    if (b.data)
        memset(b.data, 0, b.len);
    avk_buf_release(&b);
    return rc;
}

void avk_tiktok_chunks(long long size, long long want, long long min_chunk,
                       long long *chunk, long long *count)
{
    const long long max_chunk = 64LL * 1000 * 1000;

    if (want < min_chunk)
        want = min_chunk;
    if (want > max_chunk)
        want = max_chunk;
    if (size < min_chunk || size <= want) {
        *chunk = size;
        *count = 1;
        return;
    }
    *chunk = want;
    *count = size / want;
    if (*count > 1000) {
        *count = 1000;
        *chunk = size / 1000;
    }
}

/* POST a JSON call with the envelope check; *data borrowed from *doc. */
static int call(avk_pub_job *job, const char *path, json_t *body,
                int once, json_t **doc, json_t **data, avk_err *err)
{
    const char *base = avk_config_str(job->cfg, "tiktok.base_url",
                                      "https://open.tiktokapis.com");
    avk_http_req q;
    avk_http_resp r;
    avk_buf url;
    json_t *j = NULL;
    const char *code, *msg;
    int rc;

    *doc = NULL;
    *data = NULL;
    avk_buf_init(&url);
    if (avk_buf_printf(&url, "%s%s", base, path)) {
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&q, "POST", url.data);
    avk_buf_release(&url);
    bearer(&q, job->token);
    if (body)
        avk_http_req_json(&q, body);
    else
        avk_http_req_body(&q, "", 0, NULL);
    avk_http_req_header(&q, "Content-Type", "application/json; charset=UTF-8");
    if (once)
        q.max_attempts = 1;
    rc = avk_http_do(job->http, &q, &r, err);
    if (!rc) {
        j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
        code = json_string_value(
            json_object_get(json_object_get(j, "error"), "code"));
        msg = json_string_value(
            json_object_get(json_object_get(j, "error"), "message"));
        if (code && strcmp(code, "ok") != 0) {
            rc = avk_fail(err,
                          r.status == 401 ? AVK_EX_NOPERM
                          : r.status == 429 || r.status >= 500
                              ? AVK_EX_TEMPFAIL
                          : r.status == 400 ? AVK_EX_DATAERR
                                            : AVK_EX_UNAVAILABLE,
                          "TikTok %s: %s%s%s", path, code,
                          msg && *msg ? ": " : "", msg ? msg : "");
            avk_http_scrub_err(&q, err);
        } else if (r.status < 200 || r.status >= 300) {
            rc = avk_http_status_error(&q, &r, NULL, err);
        } else if (!code) {
            rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                          "TikTok %s: reply without an error envelope", path);
        }
    }
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    if (rc) {
        json_decref(j);
        return rc;
    }
    *doc = j;
    *data = json_object_get(j, "data");
    return 0;
}

static const char *tiktok_privacy(avk_pub_job *job)
{
    const char *p = avk_config_str(job->cfg, "tiktok.privacy_level", NULL);

    if (p)
        return p;
    if (job->privacy && !strcmp(job->privacy, "public"))
        return "PUBLIC_TO_EVERYONE";
    if (job->privacy && !strcmp(job->privacy, "unlisted"))
        return "MUTUAL_FOLLOW_FRIENDS";
    return "SELF_ONLY";
}

static int creator_check(avk_pub_job *job, const char *privacy, avk_err *err)
{
    json_t *doc, *data, *opts;
    size_t i;
    int rc, found = 0;
    double maxd;

    if ((rc = call(job, "/v2/post/publish/creator_info/query/", NULL, 0, &doc,
                   &data, err)))
        return rc;
    opts = json_object_get(data, "privacy_level_options");
    for (i = 0; i < json_array_size(opts); i++)
        if (!strcmp(nz(json_string_value(json_array_get(opts, i))), privacy))
            found = 1;
    maxd = json_number_value(json_object_get(data, "max_video_post_duration_sec"));
    avk_pubjob_say(job, "posting as %s",
        nz(json_string_value(json_object_get(data, "creator_nickname"))));
    if (!found)
        rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                      "TikTok: privacy level %s is not among this creator's "
                      "options",
                      privacy);
    else if (maxd > 0 && job->duration > maxd)
        rc = avk_fail(err, AVK_EX_DATAERR,
                      "TikTok: video of %.1f s is longer than this creator's "
                      "%.0f s",
                      job->duration, maxd);
    json_decref(doc);
    return rc;
}

static int tt_init(avk_pub_job *job, const char *privacy, avk_err *err)
{
    long long want = (long long)avk_config_num(job->cfg, "tiktok.chunk_size",
                                               10000000);
    long long minc = (long long)avk_config_num(job->cfg, "tiktok.min_chunk",
                                               5000000);
    long long chunk, count;
    json_t *body, *source, *doc, *data;
    const char *pid, *url;
    int rc;

    avk_tiktok_chunks(job->video_bytes, want, minc, &chunk, &count);
    source = json_pack("{s:s, s:I, s:I, s:I}", "source", "FILE_UPLOAD",
                       "video_size", (json_int_t)job->video_bytes,
                       "chunk_size", (json_int_t)chunk, "total_chunk_count",
                       (json_int_t)count);
    if (job->inbox)
        body = json_pack("{s:o}", "source_info", source);
    else
        body = json_pack(
            "{s:{s:s, s:s, s:b, s:b, s:b, s:i, s:b, s:b, s:b}, s:o}",
            "post_info", "title", job->meta->caption, "privacy_level",
            privacy, "disable_duet", 0, "disable_comment", 0,
            "disable_stitch", 0, "video_cover_timestamp_ms", 1000,
            "brand_content_toggle", 0, "brand_organic_toggle", 0, "is_aigc",
            job->aigc, "source_info", source);
    if (!body)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (job->limit && (rc = job->limit(job->ud, "init", 6, 60000, err))) {
        json_decref(body);
        return rc;
    }
    rc = call(job,
              job->inbox ? "/v2/post/publish/inbox/video/init/"
                         : "/v2/post/publish/video/init/",
              body, 1, &doc, &data, err);
    json_decref(body);
    if (rc)
        return rc;
    pid = json_string_value(json_object_get(data, "publish_id"));
    url = json_string_value(json_object_get(data, "upload_url"));
    if (!pid || !url || strchr(pid, ' ') || strchr(url, ' '))
        rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                      "TikTok: init reply without publish_id/upload_url");
    else if (snprintf(job->rec->session, sizeof job->rec->session,
                      "%s %s %lld %lld", pid, url, chunk, count) >=
             (int)sizeof job->rec->session)
        rc = avk_fail(err, AVK_EX_UNAVAILABLE, "TikTok: upload_url too long");
    if (!rc)
        snprintf(job->rec->remote_id, sizeof job->rec->remote_id, "%s", pid);
    json_decref(doc);
    if (rc)
        return rc;
    snprintf(job->rec->state, sizeof job->rec->state, "uploading");
    job->rec->offset = 0;
    return avk_pubjob_save(job, err);
}

typedef struct sess {
    char pid[256], url[1800];
    long long chunk, count;
} sess;

static int parse_sess(const char *s, sess *o)
{
    return sscanf(s, "%255s %1799s %lld %lld", o->pid, o->url, &o->chunk,
                  &o->count) == 4 && o->chunk > 0 && o->count > 0;
}

/* status/fetch: *status (caller's buffer), *uploaded, fail_reason, post id */
static int tt_status(avk_pub_job *job, const char *pid, char *status,
                     size_t cap, long long *uploaded, char *reason,
                     size_t rcap, char *post, size_t pcap, avk_err *err)
{
    json_t *body = json_pack("{s:s}", "publish_id", pid), *doc, *data, *ids;
    int rc;

    if (!body)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = call(job, "/v2/post/publish/status/fetch/", body, 0, &doc, &data,
              err);
    json_decref(body);
    if (rc)
        return rc;
    snprintf(status, cap, "%s",
             nz(json_string_value(json_object_get(data, "status"))));
    snprintf(reason, rcap, "%s",
             nz(json_string_value(json_object_get(data, "fail_reason"))));
    *uploaded = (long long)json_number_value(json_object_get(data, "uploaded_bytes"));
    ids = json_object_get(data, "publicaly_available_post_id");
    post[0] = '\0';
    if (json_array_size(ids)) {
        json_t *v = json_array_get(ids, 0);
        if (json_is_integer(v))
            snprintf(post, pcap, "%lld", (long long)json_integer_value(v));
        else if (json_is_string(v))
            snprintf(post, pcap, "%s", json_string_value(v));
    }
    json_decref(doc);
    return 0;
}

enum { TT_MORE, TT_DONE, TT_RETRY, TT_RANGE, TT_GONE };

static long long confirmed(const avk_http_resp *r)
{
    const char *v = avk_http_resp_header(r, "Content-Range");
    const char *dash;

    if (!v || !(dash = strchr(v, '-')))
        return -1;
    return atoll(dash + 1) + 1;
}

static int tt_chunk(avk_pub_job *job, const sess *s, long long i, int *what,
                    avk_err *err)
{
    long long start = i * s->chunk;
    long long len = i == s->count - 1 ? job->video_bytes - start : s->chunk;
    char range[96];
    avk_http_req q;
    avk_http_resp r;
    int rc;

    snprintf(range, sizeof range, "bytes %lld-%lld/%lld", start,
             start + len - 1, job->video_bytes);
    avk_http_req_init(&q, "PUT", s->url);
    q.max_attempts = 1;
    avk_http_req_body_file(&q, job->video_path, start, len, "video/mp4");
    avk_http_req_header(&q, "Content-Range", range);
    rc = avk_http_do(job->http, &q, &r, err);
    if (rc == AVK_EX_TEMPFAIL) {
        *what = TT_RETRY;
        rc = 0;
    } else if (rc) {
        /* local failure */
    } else if (r.status == 206 || r.status == 201) {
        long long c = confirmed(&r);
        job->rec->offset = c > 0 ? c : start + len;
        *what = r.status == 201 ? TT_DONE : TT_MORE;
    } else if (r.status == 416) {
        *what = TT_RANGE;
    } else if (r.status == 403 || r.status == 404) {
        *what = TT_GONE;
    } else if (r.status >= 500) {
        *what = TT_RETRY;
    } else {
        rc = avk_http_status_error(&q, &r, NULL, err);
    }
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

int avk_pub_tiktok(avk_pub_job *job, avk_err *err)
{
    const char *privacy = tiktok_privacy(job);
    long long poll_ms = (long long)avk_config_num(job->cfg, "tiktok.poll_ms", 5000);
    long long poll_max = (long long)avk_config_num(job->cfg, "tiktok.poll_max_s", 900) * 1000;
    int max_retries = (int)avk_config_num(job->cfg, "tiktok.max_retries", 8);
    char status[64] = "", reason[128] = "", post[64] = "";
    long long uploaded = 0, t0;
    int rc, what = TT_MORE, retries = 0, inits = 0, first = 1;
    sess s;

    if (!job->inbox && (rc = creator_check(job, privacy, err)))
        return rc;
    for (;;) {
        if (!job->rec->session[0] || !parse_sess(job->rec->session, &s)) {
            if (++inits > 2)
                return avk_fail(err, AVK_EX_UNAVAILABLE,
                                "TikTok: the upload URL keeps expiring");
            if ((rc = tt_init(job, privacy, err)))
                return rc;
            if (!parse_sess(job->rec->session, &s))
                return avk_fail(err, AVK_EX_SOFTWARE, "TikTok session");
        } else if (first || what == TT_RANGE || what == TT_RETRY) {
            /* resuming: where does the server stand? */
            if ((rc = tt_status(job, s.pid, status, sizeof status, &uploaded,
                                reason, sizeof reason, post, sizeof post,
                                err)))
                return rc;
            if (!strcmp(status, "FAILED"))
                return avk_fail(err, AVK_EX_UNAVAILABLE,
                                "TikTok: publish failed: %s", reason);
            if (strcmp(status, "PROCESSING_UPLOAD") != 0 || uploaded >= job->video_bytes) {
                what = TT_DONE;
            } else {
                job->rec->offset = uploaded - uploaded % s.chunk;
                if (job->rec->offset)
                    avk_pubjob_say(job, "server holds %lld of %lld bytes", uploaded,
                        job->video_bytes);
            }
        }
        first = 0;
        while (what != TT_DONE) {
            long long i = job->rec->offset / s.chunk;
            if (i >= s.count)
                i = s.count - 1;
            if ((rc = tt_chunk(job, &s, i, &what, err)))
                return rc;
            if (what == TT_MORE) {
                retries = 0;
                if ((rc = avk_pubjob_save(job, err)))
                    return rc;
                continue;
            }
            if (what == TT_DONE)
                break;
            if (what == TT_GONE) {
                avk_pubjob_say(job, "upload URL expired; starting a new post");
                job->rec->session[0] = '\0';
                job->rec->offset = 0;
                break;
            }
            if (++retries > max_retries)
                return avk_fail(err, AVK_EX_TEMPFAIL,
                                "TikTok upload: still failing after %d tries",
                                max_retries);
            avk_sleep_ms(job->http ? job->http->backoff_base_ms : 1000);
            break; /* ask status, then go on */
        }
        if (what == TT_DONE)
            break;
    }
    if ((rc = avk_pubjob_save(job, err)))
        return rc;
    /* poll until TikTok has processed the post */
    snprintf(job->rec->state, sizeof job->rec->state, "processing");
    job->rec->offset = job->video_bytes;
    if ((rc = avk_pubjob_save(job, err)))
        return rc;
    t0 = avk_mono_ms();
    for (;;) {
        if ((rc = tt_status(job, s.pid, status, sizeof status, &uploaded,
                            reason, sizeof reason, post, sizeof post, err)))
            return rc;
        if (!strcmp(status, "PUBLISH_COMPLETE") ||
            (job->inbox && !strcmp(status, "SEND_TO_USER_INBOX")))
            break;
        if (!strcmp(status, "FAILED"))
            return avk_fail(err,
                            strstr(reason, "check_failed") ? AVK_EX_DATAERR
                            : !strcmp(reason, "internal") ||
                                    !strcmp(reason, "video_pull_failed")
                                ? AVK_EX_TEMPFAIL
                                : AVK_EX_UNAVAILABLE,
                            "TikTok: publish failed: %s", reason);
        if (avk_mono_ms() - t0 > poll_max)
            return avk_fail(err, AVK_EX_TEMPFAIL,
                            "TikTok: still %s after %lld s; run again to "
                            "keep waiting",
                            status, poll_max / 1000);
        if ((rc = avk_pubjob_save(job, err)))
            return rc;
        if (job->limit && (rc = job->limit(job->ud, "status", 30, 60000, err)))
            return rc;
        avk_sleep_ms(poll_ms);
    }
    if (post[0]) {
        snprintf(job->rec->remote_id, sizeof job->rec->remote_id, "%s", post);
        snprintf(job->rec->url, sizeof job->rec->url,
                 "https://www.tiktok.com/video/%s", post);
    }
    avk_now_iso(job->rec->published_at);
    snprintf(job->rec->state, sizeof job->rec->state, "published");
    snprintf(job->rec->privacy, sizeof job->rec->privacy, "%s",
             job->inbox ? "inbox" : privacy);
    return 0;
}
