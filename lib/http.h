/*
 * http.h - the one HTTP client every network provider uses (libcurl inside).
 *
 * Only lib/http.c includes <curl/curl.h>; providers describe a request in an
 * avk_http_req, call avk_http_do() and read an avk_http_resp.  What always
 * holds:
 *   - TLS peer and host verification are on; there is no way to turn them off.
 *   - Only http:// and https:// URLs are fetched; proxies come from the
 *     environment (libcurl's default).
 *   - Secret values (secret headers such as Authorization or xi-api-key, and
 *     the values of secret query parameters such as Pixabay's key=) never
 *     appear in an error message or a log line: URLs are shown with those
 *     values replaced by REDACTED, and every message is scrubbed of them.
 *   - Transport errors and HTTP 429, 500, 502, 503, 504 are retried with
 *     exponential backoff and full jitter, honouring Retry-After (seconds or
 *     an HTTP date).  When the attempts run out avk_http_do() fails with
 *     AVK_EX_TEMPFAIL.  Any other status is not an error of avk_http_do():
 *     it returns 0 and the provider reads the status and error body, then
 *     usually calls avk_http_status_error().
 *   - A body is kept in memory up to a cap; a larger body is an error, never
 *     a truncated result.  A download goes to a temporary file beside the
 *     target and is renamed into place only when complete and synced;
 *     nothing is left behind on failure.
 *   - Redirects are followed only when the request asks; secret headers are
 *     dropped when a redirect leaves the original scheme, host and port, and
 *     a redirect from https to http is refused.
 *
 * Typical use:
 *
 *     avk_http_req q;  avk_http_resp r;  avk_err e;
 *     avk_http_req_init(&q, "POST", "https://api.example.com/v1/x");
 *     avk_http_req_secret_header(&q, "Authorization", bearer);
 *     avk_http_req_json(&q, body);           // a jansson json_t *
 *     rc = avk_http_do(&opts, &q, &r, &e);   // r is always initialised
 *     if (!rc) rc = avk_http_status_error(&q, &r, NULL, &e);
 *     if (!rc) rc = avk_http_resp_json(&r, &doc, &e);
 *     avk_http_resp_release(&r);  avk_http_req_release(&q);
 *
 * (avk_http_do_json() does the three middle steps in one call.)  Retries
 * repeat the request whatever its method: set q.max_attempts = 1 for a
 * call whose repetition would do harm (publishing a post), and check the
 * remote state instead.  Leave max_redirects at 0 for YouTube's resumable
 * uploads, whose 308 Resume Incomplete is not a redirect.
 */
#ifndef AVK_HTTP_H
#define AVK_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "hash.h"

typedef struct avk_http_resp avk_http_resp;

/* Optional connection cache shared by the requests of one thread: with it,
 * consecutive requests to the same host reuse the TCP and TLS connection
 * (and DNS answers).  Heap object; free it after the last request that
 * used it.  avk_http_session_new returns NULL when out of memory. */
typedef struct avk_http_session avk_http_session;
avk_http_session *avk_http_session_new(void);
void avk_http_session_free(avk_http_session *s);

/* Client settings shared by all requests of a tool run. */
typedef struct avk_http_opts {
    long connect_timeout_ms;  /* TCP+TLS connect limit (10 s) */
    long reply_timeout_ms;    /* longest wait for the first reply byte once
                                 the request is sent (a slow LLM or image
                                 model); 0 = none (300 s) */
    long stall_ms;            /* abort an attempt when no byte moves this
                                 long while sending the body or receiving
                                 the reply; 0 = off (30 s) */
    long timeout_ms;          /* backstop: whole attempt limit, transfer
                                 included, 0 = none (1 h); large uploads
                                 and downloads rely on stall_ms */
    int max_attempts;         /* attempts in all, >= 1 (4) */
    long backoff_base_ms;     /* first backoff ceiling (1000 ms) */
    long backoff_max_ms;      /* largest backoff ceiling (60000 ms) */
    long retry_after_max_ms;  /* a longer Retry-After ends the retries at
                                 once with AVK_EX_TEMPFAIL (120000 ms) */
    long long max_body;       /* in-memory body cap (64 MiB) */
    long long max_download;   /* download-to-file cap (4 GiB) */
    const char *user_agent;   /* borrowed ("av/VERSION") */
    const char *ca_file;      /* borrowed: trust only the CAs in this PEM
                                 file instead of the system store (tests
                                 with their own CA); NULL = system store.
                                 Verification stays on either way. */
    /* Optional: one line per attempt and per wait, for -v.  Lines carry the
     * method, the redacted URL, the status, bytes and milliseconds; never a
     * secret.  Called on the thread that runs avk_http_do(). */
    void (*log)(void *ud, const char *line);
    void *log_ud;
    avk_http_session *session; /* borrowed, optional; one thread only */
} avk_http_opts;

/* The defaults above.  Never fails. */
avk_http_opts avk_http_opts_default(void);

/* Override settings from the environment: AV_HTTP_CONNECT_TIMEOUT_MS,
 * AV_HTTP_TIMEOUT_MS, AV_HTTP_REPLY_TIMEOUT_MS, AV_HTTP_STALL_MS,
 * AV_HTTP_MAX_ATTEMPTS, AV_HTTP_BACKOFF_MS, AV_HTTP_BACKOFF_MAX_MS,
 * AV_HTTP_RETRY_AFTER_MAX_MS (non-negative integers; tests use them to make
 * retries fast) and AV_HTTP_CA_FILE (a PEM file; o keeps a pointer into the
 * environment).  Fails with AVK_EX_CONFIG naming the variable when one is
 * not a number; o is then unchanged for that variable. */
int avk_http_opts_env(avk_http_opts *o, avk_err *err);

/* The same settings from the configuration's "http" section (what a
 * command uses: config files, and AV_HTTP_* through the config's own
 * environment mapping): http.connect_timeout_ms, http.reply_timeout_ms,
 * http.stall_ms, http.timeout_ms, http.max_attempts, http.backoff_ms,
 * http.backoff_max_ms, http.retry_after_max_ms, http.max_body,
 * http.max_download (non-negative integers) and http.ca_file (o keeps a
 * pointer into c, so c must outlive o).  Fails with AVK_EX_CONFIG naming
 * the key and where its value came from. */
int avk_http_opts_config(avk_http_opts *o, const avk_config *c,
                         avk_err *err);

/* curl_global_init / curl_global_cleanup, for main() before any thread
 * starts.  avk_http_global_init fails with AVK_EX_OSERR. */
int avk_http_global_init(avk_err *err);
void avk_http_global_cleanup(void);

/* A header (request or response) or a multipart part; strings owned by the
 * struct that holds the array. */
typedef struct avk_http_kv {
    char *name;
    char *value;
    int secret; /* request headers: value never shown */
} avk_http_kv;

typedef struct avk_http_part {
    char *name;     /* form field name */
    char *data;     /* value bytes when path is NULL */
    size_t len;
    char *path;     /* file sent from disk (streamed), or NULL */
    char *filename; /* filename= of the part, or NULL */
    char *type;     /* Content-Type of the part, or NULL */
} avk_http_part;

/*
 * A request.  avk_http_req_init() and the builder functions copy every
 * string they are given, so the caller's strings may be freed afterwards.
 * Builders return 0 or AVK_EX_OSERR; a failure is also remembered (oom) and
 * reported by avk_http_do(), so callers may check only avk_http_do().
 * The plain fields below may be set directly after init.
 */
typedef struct avk_http_req {
    char *method; /* "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", ... */
    char *url;
    avk_http_kv *headers;
    size_t nheaders;
    char **secret_query; /* names of query parameters whose values are secret */
    size_t nsecret_query;
    char *body;          /* request body (copied), or NULL */
    size_t body_len;
    char *body_type;     /* Content-Type of body or body_path, or NULL */
    char *body_path;     /* body streamed from this file, or NULL */
    long long body_offset, body_length; /* part of body_path; length -1 =
                                           to the end of the file */
    avk_http_part *parts; /* multipart/form-data parts */
    size_t nparts;

    /* Plain settings (0 = the avk_http_opts value). */
    char *download_path;   /* set with avk_http_req_download() */
    long long max_body;    /* cap for this reply (memory or download) */
    long timeout_ms;       /* whole attempt limit; when set, it replaces
                              reply_timeout_ms for this request */
    int max_attempts;      /* 1 for calls that must never be repeated */
    int max_redirects;     /* follow at most this many; 0 = do not follow */

    /* Optional retry decision, called for every reply with status >= 300
     * (also on the last attempt): return a negative number to keep the default
     * (retry 429, 500, 502, 503, 504), 0 to make this reply final (e.g.
     * OpenAI 429 insufficient_quota), or a positive number to retry it
     * although the default would not (e.g. YouTube 403 rateLimitExceeded). */
    int (*retry_ok)(const avk_http_resp *resp, void *ud);
    void *retry_ud;

    int oom; /* a builder ran out of memory */
    int bad; /* a builder was given a header with CR, LF or a bad name */
} avk_http_req;

/* method NULL means GET.  Always leaves q releasable; 0 or AVK_EX_OSERR. */
int avk_http_req_init(avk_http_req *q, const char *method, const char *url);
void avk_http_req_release(avk_http_req *q);
/* Add a header.  Names such as Authorization, Cookie, xi-api-key, and any
 * name containing "auth", "token", "secret", "key" or "password" are
 * treated as secret even when added with avk_http_req_header(). */
int avk_http_req_header(avk_http_req *q, const char *name, const char *value);
int avk_http_req_secret_header(avk_http_req *q, const char *name,
                               const char *value);
/* Mark the query parameter name (case-insensitive) as secret.  key, api_key,
 * access_token, token, client_secret, signature and a few more are always
 * secret. */
int avk_http_req_secret_query(avk_http_req *q, const char *name);
/* Body bytes with a Content-Type (type may be NULL: no Content-Type). */
int avk_http_req_body(avk_http_req *q, const void *data, size_t len,
                      const char *type);
/* Body = compact JSON of j (borrowed), Content-Type application/json. */
int avk_http_req_json(avk_http_req *q, const json_t *j);
/* Body streamed from bytes [offset, offset+length) of a file (length -1 =
 * to its end); type may be NULL.  The file is opened by avk_http_do(). */
int avk_http_req_body_file(avk_http_req *q, const char *path,
                           long long offset, long long length,
                           const char *type);
/* multipart/form-data parts; type and filename may be NULL.  A file part
 * with filename NULL uses the file's base name. */
int avk_http_req_part(avk_http_req *q, const char *name, const void *data,
                      size_t len, const char *type);
int avk_http_req_part_file(avk_http_req *q, const char *name,
                           const char *path, const char *filename,
                           const char *type);
/* Stream a 2xx reply's body into path (atomically, see the top).  Replies
 * with other statuses stay in resp->body for the error message. */
int avk_http_req_download(avk_http_req *q, const char *path);

/* A reply.  avk_http_do() initialises it; release it whatever happened. */
struct avk_http_resp {
    long status;        /* last HTTP status, 0 when no reply came */
    avk_buf body;       /* body, unless downloaded to a file */
    avk_http_kv *headers; /* headers of the last reply */
    size_t nheaders;
    int attempts;       /* attempts made (redirect hops do not count) */
    char *method;       /* method of the last request */
    char *url;          /* last URL requested, secrets REDACTED */
    long long bytes;    /* body bytes of the last reply */
    long long ms;       /* wall time of the whole call, waits included */
    int downloaded;     /* 1: the body is now at req->download_path */
    char sha256[AVK_SHA256_HEX]; /* of the downloaded file, else "" */
};

void avk_http_resp_init(avk_http_resp *r);
void avk_http_resp_release(avk_http_resp *r);
/* Value of the first header called name (case-insensitive), or NULL.
 * Borrowed from r. */
const char *avk_http_resp_header(const avk_http_resp *r, const char *name);
/* Parse the body as JSON into *out (caller json_decref()s it).  Fails with
 * AVK_EX_DATAERR naming the method and URL. */
int avk_http_resp_json(const avk_http_resp *r, json_t **out, avk_err *err);

/*
 * Perform the request, with retries (see the top); o NULL means
 * avk_http_opts_default().  Returns 0 when a reply
 * arrived and was not to be retried, whatever its status: check
 * resp->status.  Fails with
 *   AVK_EX_TEMPFAIL     transport errors, 429 and 5xx after the last attempt,
 *                       or a Retry-After beyond retry_after_max_ms (resp
 *                       then holds the last reply, if any);
 *   AVK_EX_DATAERR      the body exceeded its cap;
 *   AVK_EX_NOINPUT      a body or part file is missing;
 *   AVK_EX_CANTCREAT, AVK_EX_IOERR   the download file could not be written;
 *   AVK_EX_UNAVAILABLE  TLS verification failed, too many redirects, a
 *                       redirect from https to http;
 *   AVK_EX_CONFIG       a malformed or non-http(s) URL;
 *   AVK_EX_OSERR        out of memory.
 * Messages read "METHOD URL: what", URL redacted, e.g.
 * "POST https://host/path: HTTP 503 after 4 attempts".
 */
int avk_http_do(const avk_http_opts *o, const avk_http_req *q,
                avk_http_resp *resp, avk_err *err);

/*
 * Turn a non-2xx reply into an error: returns 0 for 2xx, otherwise fills
 * err with "METHOD URL: HTTP 404: detail" and returns
 *   401 403 407                       AVK_EX_NOPERM
 *   408 425 429, 5xx but 501 505      AVK_EX_TEMPFAIL
 *   400 413 414 415 422               AVK_EX_DATAERR
 *   anything else                     AVK_EX_UNAVAILABLE
 * detail NULL takes the first line of a short text or JSON body.  The
 * message is scrubbed of q's secrets (q may be NULL).
 */
int avk_http_status_error(const avk_http_req *q, const avk_http_resp *r,
                          const char *detail, avk_err *err);

/*
 * The usual JSON API call in one step: avk_http_do(), then, for a non-2xx
 * reply, avk_http_status_error() with the detail taken from a JSON error
 * body ({"error":{"message":..,"code":..}}, {"error":".."}, {"message":..},
 * {"detail":..}, {"error_description":..}), then the 2xx body parsed into
 * *out (caller json_decref()s it; NULL on failure).  resp is filled as by
 * avk_http_do() and must be released.  Fails as those three do.  Providers
 * that must read error codes from the body use the three steps instead.
 */
int avk_http_do_json(const avk_http_opts *o, const avk_http_req *q,
                     avk_http_resp *resp, json_t **out, avk_err *err);

/* Replace every secret value of q that occurs in err->msg by REDACTED
 * (for messages a provider builds itself from a reply). */
void avk_http_scrub_err(const avk_http_req *q, avk_err *err);

/* ---- URL helpers (pure) ---- */

/* Append the percent-encoding of s[0..len) to out: every byte except
 * A-Z a-z 0-9 - . _ ~ becomes %XX.  0 or AVK_EX_OSERR. */
int avk_url_escape(avk_buf *out, const char *s, size_t len);
/* Append "?name=value" or "&name=value" (escaped) to the URL in url. */
int avk_url_add_query(avk_buf *url, const char *name, const char *value);
/* Append "name=value" (escaped), preceded by "&" unless form is empty:
 * an application/x-www-form-urlencoded body. */
int avk_form_add(avk_buf *form, const char *name, const char *value);
/* Append url to out with user:password@ and the values of secret query
 * parameters (the default names plus names[0..n)) replaced by REDACTED. */
int avk_url_redact(avk_buf *out, const char *url, char *const *names,
                   size_t n);

/* Seconds since the epoch of an HTTP date (IMF-fixdate, RFC 850 or asctime
 * form), or -1. */
long long avk_http_parse_date(const char *s);
/* Delay in ms asked by a Retry-After value (delta-seconds or HTTP date,
 * relative to now_unix; a past date gives 0), or -1 when unparsable. */
long long avk_http_retry_after_ms(const char *value, long long now_unix);
/* Full-jitter backoff before attempt number attempt+1 (attempt >= 1):
 * a uniform pick in [0, min(max_ms, base_ms * 2^(attempt-1))] using rnd. */
long long avk_http_backoff_ms(long base_ms, long max_ms, int attempt,
                              unsigned long long rnd);

#endif
