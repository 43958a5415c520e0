/*
 * pubinsta.c - the Instagram Reels target (Graph API; see pubtarget.h).
 *
 * Always holds: media_publish is sent with a single attempt and only
 * after the ledger row records that it is about to be sent ("P" at the
 * end of the session column); whenever that mark is present the
 * container's status_code is read first, and PUBLISHED ends the work
 * without a second post.  The session column holds "CONTAINER URI [P]".
 */
#include "pubtarget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"

static int auth(avk_http_req *q, const char *scheme, const char *token)
{
    avk_buf b;
    int rc;

    avk_buf_init(&b);
    rc = avk_buf_printf(&b, "%s %s", scheme, token ? token : "");
    if (!rc)
        rc = avk_http_req_secret_header(q, "Authorization", b.data);
    if (b.data)
        memset(b.data, 0, b.len);
    avk_buf_release(&b);
    return rc;
}

static const char *base(const avk_pub_job *job)
{
    return avk_config_str(job->cfg, "instagram.base_url",
                          "https://graph.facebook.com/v21.0");
}

/* Graph error reply into err (message and code, never the token). */
static int graph_error(const avk_http_req *q, const avk_http_resp *r,
                       avk_err *err)
{
    json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0,
                           NULL);
    json_t *e = json_object_get(j, "error");
    char detail[300];
    int rc;

    snprintf(detail, sizeof detail, "%s (code %lld, subcode %lld)",
             json_string_value(json_object_get(e, "message"))
                 ? json_string_value(json_object_get(e, "message"))
                 : "error",
             (long long)json_integer_value(json_object_get(e, "code")),
             (long long)json_integer_value(json_object_get(e, "error_subcode")));
    rc = avk_http_status_error(q, r, e ? detail : NULL, err);
    json_decref(j);
    return rc;
}

/* One Graph call; *out is the parsed 2xx body. */
static int graph(avk_pub_job *job, const char *method, const char *url,
                 const avk_buf *form, int once, long timeout_ms, json_t **out,
                 avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    int rc;

    *out = NULL;
    avk_http_req_init(&q, method, url);
    auth(&q, "Bearer", job->token);
    if (form)
        avk_http_req_body(&q, form->data ? form->data : "", form->len,
                          "application/x-www-form-urlencoded");
    if (once)
        q.max_attempts = 1;
    if (timeout_ms)
        q.timeout_ms = timeout_ms;
    rc = avk_http_do(job->http, &q, &r, err);
    if (!rc && (r.status < 200 || r.status >= 300))
        rc = graph_error(&q, &r, err);
    if (!rc)
        rc = avk_http_resp_json(&r, out, err);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

typedef struct sess {
    char id[128], uri[1800];
    int publishing;
} sess;

static int parse_sess(const char *s, sess *o)
{
    char mark[8] = "";
    int n = sscanf(s, "%127s %1799s %7s", o->id, o->uri, mark);
    o->publishing = n == 3 && !strcmp(mark, "P");
    return n >= 2;
}

static void write_sess(avk_pub_job *job, const sess *s)
{
    snprintf(job->rec->session, sizeof job->rec->session, "%s %s%s", s->id,
             s->uri, s->publishing ? " P" : "");
}

static int create(avk_pub_job *job, sess *s, avk_err *err)
{
    const char *uid = avk_config_str(job->cfg, "instagram.user_id", job->user_id);
    avk_buf url, form;
    json_t *j = NULL;
    const char *id, *uri;
    int rc;

    if (!uid)
        return avk_fail(err, AVK_EX_CONFIG,
                        "instagram: set instagram.user_id (the Instagram "
                        "professional account id), or run 'av-publish "
                        "login instagram'");
    avk_buf_init(&url);
    avk_buf_init(&form);
    rc = avk_buf_printf(&url, "%s/", base(job)) ||
         avk_url_escape(&url, uid, strlen(uid)) ||
         avk_buf_adds(&url, "/media") ||
         avk_form_add(&form, "media_type", "REELS") ||
         avk_form_add(&form, "caption", job->meta->caption) ||
         avk_form_add(&form, "share_to_feed", "true");
    if (!rc)
        rc = job->public_url ? avk_form_add(&form, "video_url", job->public_url)
                             : avk_form_add(&form, "upload_type", "resumable");
    if (rc)
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    else
        rc = graph(job, "POST", url.data, &form, 0, 0, &j, err);
    avk_buf_release(&url);
    avk_buf_release(&form);
    if (rc)
        return rc;
    id = json_string_value(json_object_get(j, "id"));
    uri = json_string_value(json_object_get(j, "uri"));
    if (!id || (!uri && !job->public_url) || strchr(id, ' ') ||
        (uri && strchr(uri, ' '))) {
        json_decref(j);
        return avk_fail(err, AVK_EX_UNAVAILABLE,
                        "instagram: container reply without id/uri");
    }
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->uri, sizeof s->uri, "%s", uri ? uri : "-");
    s->publishing = 0;
    json_decref(j);
    write_sess(job, s);
    job->rec->offset = job->public_url ? job->video_bytes : 0;
    snprintf(job->rec->state, sizeof job->rec->state, "uploading");
    return avk_pubjob_save(job, err);
}

/* Bytes the upload URI holds (GET on it), or -1 when it does not say. */
static long long held(avk_pub_job *job, const sess *s)
{
    avk_http_req q;
    avk_http_resp r;
    avk_err e = {0, ""};
    json_t *j = NULL;
    long long off = -1;

    avk_http_req_init(&q, "GET", s->uri);
    auth(&q, "OAuth", job->token);
    if (!avk_http_do(job->http, &q, &r, &e) && r.status == 200 &&
        !avk_http_resp_json(&r, &j, &e) &&
        json_is_integer(json_object_get(j, "offset")))
        off = (long long)json_integer_value(json_object_get(j, "offset"));
    json_decref(j);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return off;
}

static int upload(avk_pub_job *job, const sess *s, avk_err *err)
{
    int max = (int)avk_config_num(job->cfg, "instagram.max_retries", 8);
    int tries = 0, rc;

    for (;;) {
        long long off = held(job, s);
        avk_http_req q;
        avk_http_resp r;
        char o[32], size[32];

        if (off < 0)
            off = job->rec->offset;
        if (off >= job->video_bytes)
            return 0;
        if (off > 0)
            avk_pubjob_say(job, "server holds %lld of %lld bytes", off, job->video_bytes);
        job->rec->offset = off;
        if ((rc = avk_pubjob_save(job, err)))
            return rc;
        snprintf(o, sizeof o, "%lld", off);
        snprintf(size, sizeof size, "%lld", job->video_bytes);
        avk_http_req_init(&q, "POST", s->uri);
        auth(&q, "OAuth", job->token);
        avk_http_req_header(&q, "offset", o);
        avk_http_req_header(&q, "file_size", size);
        avk_http_req_body_file(&q, job->video_path, off, -1,
                               "application/octet-stream");
        q.max_attempts = 1;
        rc = avk_http_do(job->http, &q, &r, err);
        if (!rc && r.status >= 200 && r.status < 300) {
            avk_http_resp_release(&r);
            avk_http_req_release(&q);
            job->rec->offset = job->video_bytes;
            return avk_pubjob_save(job, err);
        }
        if (!rc && r.status < 500 && r.status != 429)
            rc = graph_error(&q, &r, err);
        else
            rc = AVK_EX_TEMPFAIL;
        avk_http_resp_release(&r);
        avk_http_req_release(&q);
        if (rc != AVK_EX_TEMPFAIL)
            return rc;
        if (++tries > max)
            return avk_fail(err, AVK_EX_TEMPFAIL,
                            "instagram upload: still failing after %d tries",
                            max);
        avk_sleep_ms(job->http ? job->http->backoff_base_ms : 1000);
    }
}

/* status_code of the container into code[]. */
static int status(avk_pub_job *job, const sess *s, char *code, size_t cap,
                  char *detail, size_t dcap, avk_err *err)
{
    avk_buf url;
    json_t *j = NULL;
    int rc;

    avk_buf_init(&url);
    if (avk_buf_printf(&url, "%s/", base(job)) ||
        avk_url_escape(&url, s->id, strlen(s->id)) ||
        avk_buf_adds(&url, "?fields=status_code,status")) {
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = graph(job, "GET", url.data, NULL, 0, 0, &j, err);
    avk_buf_release(&url);
    if (rc)
        return rc;
    snprintf(code, cap, "%s",
             json_string_value(json_object_get(j, "status_code"))
                 ? json_string_value(json_object_get(j, "status_code"))
                 : "");
    snprintf(detail, dcap, "%s",
             json_string_value(json_object_get(j, "status"))
                 ? json_string_value(json_object_get(j, "status"))
                 : "");
    json_decref(j);
    return 0;
}

static void permalink(avk_pub_job *job, const char *media)
{
    avk_buf url;
    json_t *j = NULL;
    avk_err e = {0, ""};
    const char *p;

    avk_buf_init(&url);
    if (!avk_buf_printf(&url, "%s/", base(job)) &&
        !avk_url_escape(&url, media, strlen(media)) &&
        !avk_buf_adds(&url, "?fields=permalink") &&
        !graph(job, "GET", url.data, NULL, 0, 0, &j, &e) &&
        (p = json_string_value(json_object_get(j, "permalink"))))
        snprintf(job->rec->url, sizeof job->rec->url, "%s", p);
    json_decref(j);
    avk_buf_release(&url);
}

static void done(avk_pub_job *job, const char *media)
{
    snprintf(job->rec->remote_id, sizeof job->rec->remote_id, "%s", media);
    avk_now_iso(job->rec->published_at);
    snprintf(job->rec->state, sizeof job->rec->state, "published");
    job->rec->session[0] = '\0';
}

int avk_pub_instagram(avk_pub_job *job, avk_err *err)
{
    const char *uid = avk_config_str(job->cfg, "instagram.user_id", job->user_id);
    long long poll_ms = (long long)avk_config_num(job->cfg, "instagram.poll_ms", 5000);
    long long poll_max = (long long)avk_config_num(job->cfg, "instagram.poll_max_s", 900) * 1000;
    long ptimeout = (long)avk_config_num(job->cfg, "instagram.publish_timeout_ms", 120000);
    int max = (int)avk_config_num(job->cfg, "instagram.max_retries", 8);
    char code[32], detail[256];
    long long t0;
    int rc, tries = 0, creates = 0;
    sess s;

    memset(&s, 0, sizeof s);
    if (!uid)
        return avk_fail(err, AVK_EX_CONFIG,
                        "instagram: set instagram.user_id (the Instagram "
                        "professional account id), or run 'av-publish "
                        "login instagram'");
restart:
    if (!job->rec->session[0] || !parse_sess(job->rec->session, &s)) {
        if (++creates > 2)
            return avk_fail(err, AVK_EX_UNAVAILABLE,
                            "instagram: containers keep expiring");
        if ((rc = create(job, &s, err)))
            return rc;
    }
    if (!job->public_url && strcmp(s.uri, "-") != 0 && !s.publishing &&
        (rc = upload(job, &s, err)))
        return rc;
    snprintf(job->rec->state, sizeof job->rec->state, "processing");
    if ((rc = avk_pubjob_save(job, err)))
        return rc;
    t0 = avk_mono_ms();
    for (;;) {
        if ((rc = status(job, &s, code, sizeof code, detail, sizeof detail,
                         err)))
            return rc;
        if (!strcmp(code, "FINISHED"))
            break;
        if (!strcmp(code, "PUBLISHED")) {
            /* published by an earlier attempt whose reply was lost */
            avk_pubjob_say(job, "the container is already published");
            done(job, s.id);
            return 0;
        }
        if (!strcmp(code, "ERROR"))
            return avk_fail(err, AVK_EX_UNAVAILABLE,
                            "instagram: container failed: %s", detail);
        if (!strcmp(code, "EXPIRED")) {
            avk_pubjob_say(job, "the container expired; starting over");
            job->rec->session[0] = '\0';
            goto restart;
        }
        if (avk_mono_ms() - t0 > poll_max)
            return avk_fail(err, AVK_EX_TEMPFAIL,
                            "instagram: still %s after %lld s; run again to "
                            "keep waiting",
                            code, poll_max / 1000);
        if ((rc = avk_pubjob_save(job, err)))
            return rc;
        avk_sleep_ms(poll_ms);
    }
    /* media_publish, once per check of the status */
    for (;;) {
        avk_buf url;
        json_t *j = NULL;
        avk_err perr = {0, ""};
        const char *media;

        s.publishing = 1;
        write_sess(job, &s);
        if ((rc = avk_pubjob_save(job, err)))
            return rc;
        avk_buf_init(&url);
        if (avk_buf_printf(&url, "%s/", base(job)) ||
            avk_url_escape(&url, uid, strlen(uid)) ||
            avk_buf_adds(&url, "/media_publish") ||
            avk_url_add_query(&url, "creation_id", s.id)) {
            avk_buf_release(&url);
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
        rc = graph(job, "POST", url.data, NULL, 1, ptimeout, &j, &perr);
        avk_buf_release(&url);
        if (!rc && (media = json_string_value(json_object_get(j, "id")))) {
            done(job, media);
            json_decref(j);
            permalink(job, job->rec->remote_id);
            return 0;
        }
        json_decref(j);
        if (!rc)
            return avk_fail(err, AVK_EX_UNAVAILABLE,
                            "instagram: media_publish reply without an id");
        if (rc != AVK_EX_TEMPFAIL) {
            *err = perr;
            return rc;
        }
        avk_pubjob_say(job, "media_publish gave no answer (%s); checking the container "
                 "before any retry", perr.msg);
        if ((rc = status(job, &s, code, sizeof code, detail, sizeof detail,
                         err)))
            return rc;
        if (!strcmp(code, "PUBLISHED")) {
            done(job, s.id);
            return 0;
        }
        if (strcmp(code, "FINISHED") != 0 || ++tries > max)
            return avk_fail(err, AVK_EX_TEMPFAIL,
                            "instagram: media_publish failed and the "
                            "container is %s",
                            code);
        avk_sleep_ms(job->http ? job->http->backoff_base_ms : 1000);
    }
}
