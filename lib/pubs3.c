/*
 * pubs3.c - the s3:// target (see pubtarget.h).
 *
 * Always holds: every request is signed with Signature V4 over the exact
 * host, path and query sent, with the payload's real SHA-256 (computed by
 * streaming the file range, never loading the file); the secret key only
 * feeds the signing key; the multipart UploadId is in the ledger before
 * the first part is sent; an S3 error in a 200 reply (Complete) counts as
 * an error.
 */
#include "pubtarget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fsutil.h"
#include "hash.h"
#include "sigv4.h"

typedef struct s3 {
    avk_pub_job *job;
    avk_sigv4_key key;
    const char *endpoint; /* scheme://host[:port] */
    char host[256];
    char bucket[256];
    char prefix[512];
} s3;

/* <tag>value</tag> of an XML text into out, or "". */
static const char *xml_tag(const char *xml, const char *tag, char *out,
                           size_t cap)
{
    char open_[64], close_[64];
    const char *a, *b;

    out[0] = '\0';
    snprintf(open_, sizeof open_, "<%s>", tag);
    snprintf(close_, sizeof close_, "</%s>", tag);
    if (!xml || !(a = strstr(xml, open_)))
        return out;
    a += strlen(open_);
    if (!(b = strstr(a, close_)))
        return out;
    snprintf(out, cap, "%.*s", (int)(b - a), a);
    return out;
}

/* SHA-256 of bytes [off, off+len) of path. */
static int range_hash(const char *path, long long off, long long len,
                      char hex[65], avk_err *err)
{
    FILE *f = fopen(path, "rb");
    avk_sha256 *h = avk_sha256_new();
    char buf[65536];
    int rc = 0;

    if (!f || !h) {
        if (f)
            fclose(f);
        avk_sha256_free(h);
        return avk_fail(err, f ? AVK_EX_OSERR : AVK_EX_NOINPUT,
                        "cannot read '%s'", path);
    }
    if (fseeko(f, (off_t)off, SEEK_SET) != 0)
        rc = avk_fail(err, AVK_EX_IOERR, "cannot seek in '%s'", path);
    while (!rc && len > 0) {
        size_t want = len > (long long)sizeof buf ? sizeof buf : (size_t)len;
        size_t got = fread(buf, 1, want, f);
        if (got == 0) {
            rc = avk_fail(err, AVK_EX_IOERR, "'%s' is shorter than expected",
                          path);
            break;
        }
        avk_sha256_update(h, buf, got);
        len -= (long long)got;
    }
    fclose(f);
    if (rc) {
        avk_sha256_free(h);
        return rc;
    }
    avk_sha256_final(h, hex);
    return 0;
}

typedef struct body {
    const char *mem;    /* in-memory body, or NULL */
    size_t mem_len;
    const char *path;   /* file body, or NULL */
    long long off, len;
    const char *type;
    const char *hash;   /* precomputed payload hash, or NULL */
} body;

/* One signed request.  raw_query is already in "k=v&k" form with values
 * URL-safe.  r must be released by the caller. */
static int s3_do(s3 *c, const char *method, const char *key,
                 const char *raw_query, const body *b, avk_http_resp *r,
                 avk_err *err)
{
    avk_buf path, url, auth;
    char date[17], hash[65];
    avk_http_req q;
    avk_sigv4_hdr h[3];
    int rc;

    avk_http_resp_init(r);
    if (b && b->hash)
        snprintf(hash, sizeof hash, "%s", b->hash);
    else if (b && b->path) {
        if ((rc = range_hash(b->path, b->off, b->len, hash, err)))
            return rc;
    } else if (b && b->mem)
        avk_sha256_hex(b->mem, b->mem_len, hash);
    else
        snprintf(hash, sizeof hash, "%s", AVK_SHA256_EMPTY);
    avk_sigv4_date((long long)time(NULL), date);
    avk_buf_init(&path);
    avk_buf_init(&url);
    avk_buf_init(&auth);
    rc = avk_buf_printf(&path, "/%s/%s", c->bucket, key);
    h[0].name = "host";
    h[0].value = c->host;
    h[1].name = "x-amz-content-sha256";
    h[1].value = hash;
    h[2].name = "x-amz-date";
    h[2].value = date;
    if (!rc)
        rc = avk_sigv4_auth(&c->key, method, path.data, raw_query, h, 3, hash,
                            date, &auth, NULL, err);
    if (!rc)
        rc = avk_buf_adds(&url, c->endpoint) ||
                     avk_sigv4_encode(&url, path.data, 1) ||
                     (raw_query && *raw_query &&
                      avk_buf_printf(&url, "?%s", raw_query))
                 ? avk_fail(err, AVK_EX_OSERR, "out of memory")
                 : 0;
    if (rc) {
        avk_buf_release(&path);
        avk_buf_release(&url);
        avk_buf_release(&auth);
        return rc;
    }
    avk_http_req_init(&q, method, url.data);
    avk_http_req_secret_header(&q, "Authorization", auth.data);
    avk_http_req_header(&q, "x-amz-date", date);
    avk_http_req_header(&q, "x-amz-content-sha256", hash);
    if (b && b->path)
        avk_http_req_body_file(&q, b->path, b->off, b->len, b->type);
    else if (b && b->mem)
        avk_http_req_body(&q, b->mem, b->mem_len, b->type);
    else if (strcmp(method, "GET") != 0)
        avk_http_req_body(&q, "", 0, NULL);
    memset(auth.data, 0, auth.len);
    avk_buf_release(&path);
    avk_buf_release(&url);
    avk_buf_release(&auth);
    rc = avk_http_do(c->job->http, &q, r, err);
    if (!rc && (r->status < 200 || r->status >= 300 ||
                (r->body.data && strstr(r->body.data, "<Error>")))) {
        char code[64], msg[200];
        xml_tag(r->body.data, "Code", code, sizeof code);
        xml_tag(r->body.data, "Message", msg, sizeof msg);
        rc = avk_http_status_error(&q, r, code[0] ? code : NULL, err);
        if (!rc)
            rc = avk_fail(err, AVK_EX_UNAVAILABLE, "S3: %s: %s", code, msg);
    }
    avk_http_req_release(&q);
    return rc;
}

static int put_file(s3 *c, const char *key, const char *path,
                    const char *type, const char *hash, avk_err *err)
{
    avk_http_resp r;
    long long size = 0;
    char h[65];
    body b;
    int rc;

    if (!hash) {
        if ((rc = avk_sha256_file(path, h, &size, err)))
            return rc;
        hash = h;
    }
    memset(&b, 0, sizeof b);
    b.path = path;
    b.len = -1;
    b.type = type;
    b.hash = hash;
    rc = s3_do(c, "PUT", key, NULL, &b, &r, err);
    avk_http_resp_release(&r);
    return rc;
}

/* Parts already stored for upload id: contiguous from 1, of part size
 * (the last may be shorter); their ETags go into etags[]. */
static int list_parts(s3 *c, const char *key, const char *id, long long psize,
                      char (*etags)[80], long long nparts, long long *have,
                      avk_err *err)
{
    avk_http_resp r;
    avk_buf q;
    const char *p;
    int rc;

    *have = 0;
    avk_buf_init(&q);
    if (avk_buf_adds(&q, "uploadId=") || avk_sigv4_encode(&q, id, 0)) {
        avk_buf_release(&q);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = s3_do(c, "GET", key, q.data, NULL, &r, err);
    avk_buf_release(&q);
    if (rc) {
        avk_http_resp_release(&r);
        return rc;
    }
    for (p = r.body.data; p && (p = strstr(p, "<Part>")); p += 6) {
        char num[16], etag[80], size[32];
        const char *end = strstr(p, "</Part>");
        char part[1024];
        long long n;
        if (!end)
            break;
        snprintf(part, sizeof part, "%.*s", (int)(end - p), p);
        xml_tag(part, "PartNumber", num, sizeof num);
        xml_tag(part, "ETag", etag, sizeof etag);
        xml_tag(part, "Size", size, sizeof size);
        n = atoll(num);
        if (n == *have + 1 && n <= nparts && atoll(size) > 0 &&
            (n == nparts || atoll(size) == psize)) {
            snprintf(etags[n - 1], 80, "%s", etag);
            *have = n;
        }
    }
    avk_http_resp_release(&r);
    return 0;
}

static int multipart(s3 *c, const char *key, avk_err *err)
{
    avk_pub_job *job = c->job;
    long long psize = (long long)avk_config_num(job->cfg, "s3.part_size",
                                                8388608);
    long long nparts, have = 0, i;
    char (*etags)[80];
    avk_http_resp r;
    avk_buf q, x;
    char id[2048];
    int rc = 0;

    if (psize <= 0)
        psize = 8388608;
    nparts = (job->video_bytes + psize - 1) / psize;
    if (nparts > 10000)
        return avk_fail(err, AVK_EX_CONFIG,
                        "S3: %lld parts is over 10000; raise s3.part_size",
                        nparts);
    if (!(etags = calloc((size_t)nparts, sizeof *etags)))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    snprintf(id, sizeof id, "%s", job->rec->session);
    if (id[0]) {
        rc = list_parts(c, key, id, psize, etags, nparts, &have, err);
        if (rc == AVK_EX_UNAVAILABLE) { /* NoSuchUpload: start again */
            id[0] = '\0';
            have = 0;
            rc = 0;
        } else if (!rc && job->say) {
            char line[128];
            snprintf(line, sizeof line, "S3 holds %lld of %lld parts", have,
                     nparts);
            job->say(job->ud, line);
        }
    }
    if (!rc && !id[0]) {
        rc = s3_do(c, "POST", key, "uploads", NULL, &r, err);
        if (!rc && !xml_tag(r.body.data, "UploadId", id, sizeof id)[0])
            rc = avk_fail(err, AVK_EX_UNAVAILABLE, "S3: no UploadId");
        avk_http_resp_release(&r);
        if (!rc) {
            snprintf(job->rec->session, sizeof job->rec->session, "%s", id);
            job->rec->offset = 0;
            rc = job->save ? job->save(job->ud, err) : 0;
        }
    }
    for (i = have; !rc && i < nparts; i++) {
        body b;
        const char *etag;
        memset(&b, 0, sizeof b);
        b.path = job->video_path;
        b.off = i * psize;
        b.len = i == nparts - 1 ? job->video_bytes - b.off : psize;
        b.type = "application/octet-stream";
        avk_buf_init(&q);
        if (avk_buf_printf(&q, "partNumber=%lld&uploadId=", i + 1) ||
            avk_sigv4_encode(&q, id, 0)) {
            avk_buf_release(&q);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        rc = s3_do(c, "PUT", key, q.data, &b, &r, err);
        avk_buf_release(&q);
        etag = rc ? NULL : avk_http_resp_header(&r, "ETag");
        if (!rc && !etag)
            rc = avk_fail(err, AVK_EX_UNAVAILABLE, "S3: part without ETag");
        if (!rc)
            snprintf(etags[i], 80, "%s", etag);
        avk_http_resp_release(&r);
        if (!rc) {
            job->rec->offset = b.off + b.len;
            rc = job->save ? job->save(job->ud, err) : 0;
        }
    }
    avk_buf_init(&x);
    if (!rc) {
        rc = avk_buf_adds(&x, "<CompleteMultipartUpload>");
        for (i = 0; !rc && i < nparts; i++)
            rc = avk_buf_printf(&x,
                                "<Part><PartNumber>%lld</PartNumber><ETag>%s"
                                "</ETag></Part>",
                                i + 1, etags[i]);
        rc = rc || avk_buf_adds(&x, "</CompleteMultipartUpload>");
        avk_buf_init(&q);
        rc = rc || avk_buf_adds(&q, "uploadId=") || avk_sigv4_encode(&q, id, 0);
        if (rc)
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        else {
            body b;
            memset(&b, 0, sizeof b);
            b.mem = x.data;
            b.mem_len = x.len;
            b.type = "application/xml";
            rc = s3_do(c, "POST", key, q.data, &b, &r, err);
            avk_http_resp_release(&r);
        }
        avk_buf_release(&q);
    }
    avk_buf_release(&x);
    free(etags);
    return rc;
}

int avk_pub_s3(avk_pub_job *job, const char *target, avk_err *err)
{
    const char *region = avk_config_str(job->cfg, "s3.region", "us-east-1");
    long long threshold = (long long)avk_config_num(
        job->cfg, "s3.multipart_threshold", 64.0 * 1024 * 1024);
    const char *pub = avk_config_str(job->cfg, "s3.public_url", NULL);
    const char *rest = target + 5, *slash, *p;
    char endpoint[512], key[1024], ext[8];
    const char *text = job->thumb_type && strstr(job->thumb_type, "png")
                           ? "png"
                           : "jpg";
    json_t *meta;
    char *dump;
    body b;
    avk_http_resp r;
    s3 c;
    int rc;

    memset(&c, 0, sizeof c);
    c.job = job;
    c.key.region = region;
    c.key.service = "s3";
    c.key.access_key = avk_config_str(job->cfg, "s3.access_key", NULL);
    c.key.secret_key = avk_config_str(job->cfg, "s3.secret_key", NULL);
    if (!c.key.access_key || !c.key.secret_key)
        return avk_fail(err, AVK_EX_NOPERM,
                        "S3: set s3.access_key and s3.secret_key");
    slash = strchr(rest, '/');
    snprintf(c.bucket, sizeof c.bucket, "%.*s",
             (int)(slash ? (size_t)(slash - rest) : strlen(rest)), rest);
    snprintf(c.prefix, sizeof c.prefix, "%s", slash ? slash + 1 : "");
    while (c.prefix[0] && c.prefix[strlen(c.prefix) - 1] == '/')
        c.prefix[strlen(c.prefix) - 1] = '\0';
    if (!c.bucket[0])
        return avk_fail(err, AVK_EX_USAGE, "'%s': no bucket", target);
    snprintf(endpoint, sizeof endpoint, "%s",
             avk_config_str(job->cfg, "s3.endpoint", ""));
    if (!endpoint[0])
        snprintf(endpoint, sizeof endpoint, "https://s3.%s.amazonaws.com",
                 region);
    while (endpoint[0] && endpoint[strlen(endpoint) - 1] == '/')
        endpoint[strlen(endpoint) - 1] = '\0';
    c.endpoint = endpoint;
    p = strstr(endpoint, "://");
    if (!p)
        return avk_fail(err, AVK_EX_CONFIG, "s3.endpoint '%s': not a URL",
                        endpoint);
    snprintf(c.host, sizeof c.host, "%s", p + 3);
    snprintf(job->rec->state, sizeof job->rec->state, "uploading");
#define KEY(e)                                                              \
    snprintf(key, sizeof key, "%s%s%s.%s", c.prefix, c.prefix[0] ? "/" : "", \
             job->project_id, e)
    KEY("mp4");
    if (job->video_bytes > threshold)
        rc = multipart(&c, key, err);
    else
        rc = put_file(&c, key, job->video_path, "video/mp4",
                      job->video_sha256, err);
    if (!rc && job->thumb_path) {
        snprintf(ext, sizeof ext, "%s", text);
        KEY(ext);
        rc = put_file(&c, key, job->thumb_path,
                      job->thumb_type ? job->thumb_type : "image/jpeg", NULL,
                      err);
    }
    if (!rc && job->srt_path) {
        KEY("srt");
        rc = put_file(&c, key, job->srt_path, "application/x-subrip", NULL,
                      err);
    }
    if (!rc && job->vtt_path) {
        KEY("vtt");
        rc = put_file(&c, key, job->vtt_path, "text/vtt", NULL, err);
    }
    if (rc)
        return rc;
    meta = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b}", "project",
                     job->project_id, "title",
                     job->meta->title ? job->meta->title : "", "description",
                     job->meta->description ? job->meta->description : "",
                     "caption", job->meta->caption ? job->meta->caption : "",
                     "bytes", (json_int_t)job->video_bytes, "sha256",
                     job->video_sha256, "ai_generated", job->aigc);
    dump = meta ? json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(meta);
    if (!dump)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    KEY("json");
    memset(&b, 0, sizeof b);
    b.mem = dump;
    b.mem_len = strlen(dump);
    b.type = "application/json";
    rc = s3_do(&c, "PUT", key, NULL, &b, &r, err);
    avk_http_resp_release(&r);
    free(dump);
    if (rc)
        return rc;
    KEY("mp4");
    if (snprintf(job->rec->remote_id, sizeof job->rec->remote_id, "%s",
                 key) >= (int)sizeof job->rec->remote_id ||
        (pub ? snprintf(job->rec->url, sizeof job->rec->url, "%s/%s", pub,
                        key)
             : snprintf(job->rec->url, sizeof job->rec->url, "s3://%s/%s",
                        c.bucket, key)) >= (int)sizeof job->rec->url)
        return avk_fail(err, AVK_EX_USAGE, "'%s': key too long", target);
#undef KEY
    job->rec->session[0] = '\0';
    job->rec->offset = job->video_bytes;
    avk_now_iso(job->rec->published_at);
    snprintf(job->rec->state, sizeof job->rec->state, "published");
    return 0;
}
