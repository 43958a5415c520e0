/*
 * http.c - libcurl wrapper with retries, caps, atomic downloads and
 * redaction (see http.h for the rules every request follows).
 *
 * What must always hold here:
 *   - CURLOPT_SSL_VERIFYPEER/VERIFYHOST are set to 1/2 on every transfer and
 *     nothing ever lowers them; CURLOPT_VERBOSE and a debug callback are
 *     never set (they would print header values).
 *   - Every text that leaves this file (error messages, log lines) passes
 *     through scrubf(), which replaces each secret value with REDACTED, and
 *     names URLs only in their redacted form.
 *   - One curl easy handle per avk_http_do() call; it is reset and fully
 *     configured again before each attempt and each redirect hop.
 *   - A download is written to a temporary file beside the target, which is
 *     truncated at the start of each attempt and either renamed into place
 *     (after fsync) or unlinked before avk_http_do() returns.
 */
#include "http.h"

#include <curl/curl.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

#define REDACTED "REDACTED"

/* ------------------------------------------------------------------ */
/* Options                                                             */

avk_http_opts avk_http_opts_default(void)
{
    avk_http_opts o;

    memset(&o, 0, sizeof o);
    o.connect_timeout_ms = 10000;
    o.timeout_ms = 3600000;
    o.reply_timeout_ms = 300000;
    o.stall_ms = 30000;
    o.max_attempts = 4;
    o.backoff_base_ms = 1000;
    o.backoff_max_ms = 60000;
    o.retry_after_max_ms = 120000;
    o.max_body = 64LL << 20;
    o.max_download = 4LL << 30;
#ifdef AVK_VERSION
    o.user_agent = "av/" AVK_VERSION;
#else
    o.user_agent = "av";
#endif
    return o;
}

static int env_num(const char *name, long lo, long *out, avk_err *err)
{
    const char *v = getenv(name);
    char *end;
    long n;

    if (!v || !*v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < lo)
        return avk_fail(err, AVK_EX_CONFIG,
                        "bad value '%s' of %s: want an integer >= %ld", v,
                        name, lo);
    *out = n;
    return 0;
}

int avk_http_opts_env(avk_http_opts *o, avk_err *err)
{
    const char *ca;
    long n;
    int rc;

    n = o->connect_timeout_ms;
    if ((rc = env_num("AV_HTTP_CONNECT_TIMEOUT_MS", 1, &n, err)))
        return rc;
    o->connect_timeout_ms = n;
    n = o->timeout_ms;
    if ((rc = env_num("AV_HTTP_TIMEOUT_MS", 0, &n, err)))
        return rc;
    o->timeout_ms = n;
    n = o->reply_timeout_ms;
    if ((rc = env_num("AV_HTTP_REPLY_TIMEOUT_MS", 0, &n, err)))
        return rc;
    o->reply_timeout_ms = n;
    n = o->stall_ms;
    if ((rc = env_num("AV_HTTP_STALL_MS", 0, &n, err)))
        return rc;
    o->stall_ms = n;
    n = o->max_attempts;
    if ((rc = env_num("AV_HTTP_MAX_ATTEMPTS", 1, &n, err)))
        return rc;
    o->max_attempts = n > 1000 ? 1000 : (int)n;
    n = o->backoff_base_ms;
    if ((rc = env_num("AV_HTTP_BACKOFF_MS", 0, &n, err)))
        return rc;
    o->backoff_base_ms = n;
    n = o->backoff_max_ms;
    if ((rc = env_num("AV_HTTP_BACKOFF_MAX_MS", 0, &n, err)))
        return rc;
    o->backoff_max_ms = n;
    n = o->retry_after_max_ms;
    if ((rc = env_num("AV_HTTP_RETRY_AFTER_MAX_MS", 0, &n, err)))
        return rc;
    o->retry_after_max_ms = n;
    ca = getenv("AV_HTTP_CA_FILE");
    if (ca && *ca)
        o->ca_file = ca;
    return 0;
}

/* An integer >= lo at key, into *out (unchanged when the key is unset). */
static int cfg_num(const avk_config *c, const char *key, long long lo,
                   long long *out, avk_err *err)
{
    const json_t *n = avk_config_node(c, key);
    const char *src = avk_config_source(c, key);
    long long v;

    if (!n || json_is_null(n))
        return 0;
    if (json_is_integer(n)) {
        v = json_integer_value(n);
    } else if (json_is_string(n) && *json_string_value(n)) {
        const char *s = json_string_value(n);
        char *end;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || *end)
            goto bad;
    } else {
        goto bad;
    }
    if (v < lo)
        goto bad;
    *out = v;
    return 0;
bad:
    return avk_fail(err, AVK_EX_CONFIG,
                    "bad value of %s%s%s%s: want an integer >= %lld", key,
                    src ? " (" : "", src ? src : "", src ? ")" : "", lo);
}

int avk_http_opts_config(avk_http_opts *o, const avk_config *c,
                         avk_err *err)
{
    static const struct {
        const char *key;
        long long lo, hi;
        size_t off;
        int kind; /* 0 long, 1 int, 2 long long */
    } map[] = {
        {"http.connect_timeout_ms", 1, 86400000,
         offsetof(avk_http_opts, connect_timeout_ms), 0},
        {"http.reply_timeout_ms", 0, 86400000,
         offsetof(avk_http_opts, reply_timeout_ms), 0},
        {"http.stall_ms", 0, 86400000, offsetof(avk_http_opts, stall_ms), 0},
        {"http.timeout_ms", 0, 86400000, offsetof(avk_http_opts, timeout_ms),
         0},
        {"http.max_attempts", 1, 1000, offsetof(avk_http_opts, max_attempts),
         1},
        {"http.backoff_ms", 0, 86400000,
         offsetof(avk_http_opts, backoff_base_ms), 0},
        {"http.backoff_max_ms", 0, 86400000,
         offsetof(avk_http_opts, backoff_max_ms), 0},
        {"http.retry_after_max_ms", 0, 86400000,
         offsetof(avk_http_opts, retry_after_max_ms), 0},
        {"http.max_body", 1, 1LL << 40, offsetof(avk_http_opts, max_body), 2},
        {"http.max_download", 1, 1LL << 50,
         offsetof(avk_http_opts, max_download), 2},
    };
    const char *ca;
    size_t i;
    int rc;

    for (i = 0; i < sizeof map / sizeof map[0]; i++) {
        char *field = (char *)o + map[i].off;
        long long v = -1;

        if ((rc = cfg_num(c, map[i].key, map[i].lo, &v, err)))
            return rc;
        if (v < 0)
            continue;
        if (v > map[i].hi)
            v = map[i].hi;
        if (map[i].kind == 0) {
            long l = (long)v;
            memcpy(field, &l, sizeof l);
        } else if (map[i].kind == 1) {
            int n = (int)v;
            memcpy(field, &n, sizeof n);
        } else {
            memcpy(field, &v, sizeof v);
        }
    }
    ca = avk_config_str(c, "http.ca_file", NULL);
    if (ca && *ca)
        o->ca_file = ca;
    return 0;
}

struct avk_http_session {
    CURLSH *sh;
};

avk_http_session *avk_http_session_new(void)
{
    avk_http_session *s = malloc(sizeof *s);

    if (!s)
        return NULL;
    s->sh = curl_share_init();
    if (!s->sh ||
        curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) !=
            CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) !=
            CURLSHE_OK ||
        curl_share_setopt(s->sh, CURLSHOPT_SHARE,
                          CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        if (s->sh)
            curl_share_cleanup(s->sh);
        free(s);
        return NULL;
    }
    return s;
}

void avk_http_session_free(avk_http_session *s)
{
    if (!s)
        return;
    curl_share_cleanup(s->sh);
    free(s);
}

int avk_http_global_init(avk_err *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return avk_fail(err, AVK_EX_OSERR, "cannot initialise libcurl");
    return 0;
}

void avk_http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ------------------------------------------------------------------ */
/* Secret names                                                        */

static const char *const secret_query_names[] = {
    "key", "api_key", "apikey", "api-key", "access_token", "refresh_token",
    "id_token", "token", "client_secret", "password", "secret", "signature",
    "sig", "code_verifier", "x-amz-signature", "x-amz-credential",
    "x-amz-security-token", "x-goog-signature", "x-goog-credential"};

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

static int secret_header_name(const char *name)
{
    static const char *const parts[] = {"auth", "token", "secret", "key",
                                        "password", "cookie", "session"};
    size_t i;

    for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (contains_ci(name, parts[i]))
            return 1;
    return 0;
}

static int secret_query_name(const char *name, size_t len, char *const *names,
                             size_t n)
{
    size_t i;

    for (i = 0; i < sizeof secret_query_names / sizeof secret_query_names[0];
         i++)
        if (strlen(secret_query_names[i]) == len &&
            strncasecmp(secret_query_names[i], name, len) == 0)
            return 1;
    for (i = 0; i < n; i++)
        if (names[i] && strlen(names[i]) == len &&
            strncasecmp(names[i], name, len) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* URL helpers                                                         */

int avk_url_escape(avk_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    if (avk_buf_grow(out, len))
        return AVK_EX_OSERR;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;

        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            rc = avk_buf_addc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = avk_buf_add(out, e, 3);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int add_pair(avk_buf *b, const char *name, const char *value)
{
    if (avk_url_escape(b, name, strlen(name)) || avk_buf_addc(b, '=') ||
        avk_url_escape(b, value ? value : "", value ? strlen(value) : 0))
        return AVK_EX_OSERR;
    return 0;
}

int avk_url_add_query(avk_buf *url, const char *name, const char *value)
{
    char sep = '?';

    if (url->data && strchr(url->data, '?'))
        sep = (url->len && (url->data[url->len - 1] == '?' ||
                            url->data[url->len - 1] == '&'))
                  ? 0
                  : '&';
    if (sep && avk_buf_addc(url, sep))
        return AVK_EX_OSERR;
    return add_pair(url, name, value);
}

int avk_form_add(avk_buf *form, const char *name, const char *value)
{
    if (form->len && avk_buf_addc(form, '&'))
        return AVK_EX_OSERR;
    return add_pair(form, name, value);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..len) into out (replacing its contents). */
static int url_decode(avk_buf *out, const char *s, size_t len)
{
    size_t i;

    avk_buf_reset(out);
    if (avk_buf_grow(out, len))
        return AVK_EX_OSERR;
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
            hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        avk_buf_addc(out, c);
    }
    return 0;
}

/* Append s[0..len) with control characters, spaces and bytes >= 0x7f
 * percent-encoded, so a URL in a message stays on one line. */
static int add_clean(avk_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;

        if (c <= ' ' || c == 0x7f) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = avk_buf_add(out, e, 3);
        } else {
            rc = avk_buf_addc(out, (char)c);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int avk_url_redact(avk_buf *out, const char *url, char *const *names,
                   size_t n)
{
    const char *p, *auth, *at = NULL;
    size_t alen, i;
    avk_buf name;
    int rc = 0;

    p = strstr(url, "://");
    auth = p ? p + 3 : url;
    alen = strcspn(auth, "/?#");
    for (i = 0; i < alen; i++)
        if (auth[i] == '@')
            at = auth + i;
    if (at) {
        if (add_clean(out, url, (size_t)(auth - url)) ||
            avk_buf_adds(out, REDACTED "@") ||
            add_clean(out, at + 1, (size_t)(auth + alen - at - 1)))
            return AVK_EX_OSERR;
    } else if (add_clean(out, url, (size_t)(auth + alen - url))) {
        return AVK_EX_OSERR;
    }
    p = auth + alen;
    i = strcspn(p, "?#");
    if (add_clean(out, p, i))
        return AVK_EX_OSERR;
    p += i;
    if (*p != '?')
        return add_clean(out, p, strlen(p));
    if (avk_buf_addc(out, '?'))
        return AVK_EX_OSERR;
    p++;
    avk_buf_init(&name);
    while (*p && *p != '#' && !rc) {
        size_t seg = strcspn(p, "&#");
        const char *eq = memchr(p, '=', seg);

        if (eq && (url_decode(&name, p, (size_t)(eq - p)) == 0) &&
            secret_query_name(name.data, name.len, names, n)) {
            rc = add_clean(out, p, (size_t)(eq - p + 1)) ||
                 avk_buf_adds(out, REDACTED);
        } else {
            rc = add_clean(out, p, seg);
        }
        p += seg;
        if (*p == '&') {
            rc = rc || avk_buf_addc(out, '&');
            p++;
        }
    }
    avk_buf_release(&name);
    if (rc)
        return AVK_EX_OSERR;
    return add_clean(out, p, strlen(p));
}

/* ------------------------------------------------------------------ */
/* Dates, Retry-After, backoff                                         */

static long long days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_index(const char *m)
{
    static const char *const names[] = {"jan", "feb", "mar", "apr",
                                        "may", "jun", "jul", "aug",
                                        "sep", "oct", "nov", "dec"};
    int i;

    for (i = 0; i < 12; i++)
        if (strcasecmp(m, names[i]) == 0)
            return i + 1;
    return 0;
}

long long avk_http_parse_date(const char *s)
{
    char mon[4] = "", tz[4] = "";
    int d = 0, y = 0, hh = 0, mm = 0, ss = 0, mo, end = 0;

    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    if (sscanf(s, "%*[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Za-z]%n",
               &d, mon, &y, &hh, &mm, &ss, tz, &end) == 7 && end) {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
    } else if (end = 0,
               sscanf(s, "%*[A-Za-z], %2d-%3[A-Za-z]-%4d %2d:%2d:%2d "
                         "%3[A-Za-z]%n",
                      &d, mon, &y, &hh, &mm, &ss, tz, &end) == 7 &&
                   end) {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        if (y < 100)
            y += y < 70 ? 2000 : 1900;
    } else if (end = 0,
               sscanf(s, "%*[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", mon,
                      &d, &hh, &mm, &ss, &y, &end) == 6 &&
                   end) {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        strcpy(tz, "GMT");
    } else {
        return -1;
    }
    while (s[end] == ' ' || s[end] == '\t' || s[end] == '\r' ||
           s[end] == '\n')
        end++;
    if (s[end])
        return -1;
    mo = month_index(mon);
    if (!mo || d < 1 || d > 31 || y < 1970 || y > 9999 || hh > 23 ||
        mm > 59 || ss > 60 || hh < 0 || mm < 0 || ss < 0 ||
        (strcasecmp(tz, "GMT") != 0 && strcasecmp(tz, "UTC") != 0))
        return -1;
    return days_from_civil(y, mo, d) * 86400LL + hh * 3600LL + mm * 60LL + ss;
}

long long avk_http_retry_after_ms(const char *value, long long now_unix)
{
    const char *p = value;
    long long t;

    if (!p)
        return -1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (isdigit((unsigned char)*p)) {
        long long secs = 0;

        while (isdigit((unsigned char)*p)) {
            if (secs < 100000000LL)
                secs = secs * 10 + (*p - '0');
            p++;
        }
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        return *p ? -1 : secs * 1000;
    }
    t = avk_http_parse_date(p);
    if (t < 0)
        return -1;
    return t > now_unix ? (t - now_unix) * 1000 : 0;
}

long long avk_http_backoff_ms(long base_ms, long max_ms, int attempt,
                              unsigned long long rnd)
{
    long long ceil = base_ms > 0 ? base_ms : 0;
    int i;

    for (i = 1; i < attempt && ceil < max_ms; i++)
        ceil *= 2;
    if (ceil > max_ms)
        ceil = max_ms;
    if (ceil <= 0)
        return 0;
    return (long long)(rnd % (unsigned long long)(ceil + 1));
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

static int req_oom(avk_http_req *q)
{
    q->oom = 1;
    return AVK_EX_OSERR;
}

int avk_http_req_init(avk_http_req *q, const char *method, const char *url)
{
    memset(q, 0, sizeof *q);
    q->body_length = -1;
    q->method = strdup(method ? method : "GET");
    q->url = strdup(url ? url : "");
    if (!q->method || !q->url)
        return req_oom(q);
    return 0;
}

void avk_http_req_release(avk_http_req *q)
{
    size_t i;

    if (!q)
        return;
    free(q->method);
    free(q->url);
    for (i = 0; i < q->nheaders; i++) {
        free(q->headers[i].name);
        free(q->headers[i].value);
    }
    free(q->headers);
    for (i = 0; i < q->nsecret_query; i++)
        free(q->secret_query[i]);
    free(q->secret_query);
    free(q->body);
    free(q->body_type);
    free(q->body_path);
    for (i = 0; i < q->nparts; i++) {
        free(q->parts[i].name);
        free(q->parts[i].data);
        free(q->parts[i].path);
        free(q->parts[i].filename);
        free(q->parts[i].type);
    }
    free(q->parts);
    free(q->download_path);
    memset(q, 0, sizeof *q);
}

static int header_ok(const char *name, const char *value)
{
    const char *p;

    if (!*name)
        return 0;
    for (p = name; *p; p++)
        if (*p <= ' ' || *p == ':' || (unsigned char)*p >= 127)
            return 0;
    for (p = value; *p; p++)
        if (*p == '\r' || *p == '\n')
            return 0;
    return 1;
}

static int add_header(avk_http_req *q, const char *name, const char *value,
                      int secret)
{
    avk_http_kv *h;

    if (!name || !value || !header_ok(name, value)) {
        q->bad = 1;
        return AVK_EX_DATAERR;
    }
    h = realloc(q->headers, (q->nheaders + 1) * sizeof *h);
    if (!h)
        return req_oom(q);
    q->headers = h;
    h += q->nheaders;
    h->name = strdup(name);
    h->value = strdup(value);
    h->secret = secret || secret_header_name(name);
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        return req_oom(q);
    }
    q->nheaders++;
    return 0;
}

int avk_http_req_header(avk_http_req *q, const char *name, const char *value)
{
    return add_header(q, name, value, 0);
}

int avk_http_req_secret_header(avk_http_req *q, const char *name,
                               const char *value)
{
    return add_header(q, name, value, 1);
}

int avk_http_req_secret_query(avk_http_req *q, const char *name)
{
    char **v = realloc(q->secret_query, (q->nsecret_query + 1) * sizeof *v);

    if (!v)
        return req_oom(q);
    q->secret_query = v;
    v[q->nsecret_query] = strdup(name);
    if (!v[q->nsecret_query])
        return req_oom(q);
    q->nsecret_query++;
    return 0;
}

static int set_str(avk_http_req *q, char **field, const char *s)
{
    char *c = NULL;

    if (s && !(c = strdup(s)))
        return req_oom(q);
    free(*field);
    *field = c;
    return 0;
}

int avk_http_req_body(avk_http_req *q, const void *data, size_t len,
                      const char *type)
{
    char *c = malloc(len + 1);

    if (!c)
        return req_oom(q);
    if (len)
        memcpy(c, data, len);
    c[len] = '\0';
    free(q->body);
    q->body = c;
    q->body_len = len;
    return set_str(q, &q->body_type, type);
}

int avk_http_req_json(avk_http_req *q, const json_t *j)
{
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    char *c;

    if (!n)
        return req_oom(q);
    c = malloc(n + 1);
    if (!c)
        return req_oom(q);
    if (json_dumpb(j, c, n, JSON_COMPACT) != n) {
        free(c);
        return req_oom(q);
    }
    c[n] = '\0';
    free(q->body);
    q->body = c;
    q->body_len = n;
    return set_str(q, &q->body_type, "application/json");
}

int avk_http_req_body_file(avk_http_req *q, const char *path,
                           long long offset, long long length,
                           const char *type)
{
    int rc = set_str(q, &q->body_path, path);

    q->body_offset = offset < 0 ? 0 : offset;
    q->body_length = length < 0 ? -1 : length;
    return rc ? rc : set_str(q, &q->body_type, type);
}

static avk_http_part *new_part(avk_http_req *q, const char *name,
                               const char *type, const char *filename)
{
    avk_http_part *v = realloc(q->parts, (q->nparts + 1) * sizeof *v);
    avk_http_part *p;

    if (!v) {
        req_oom(q);
        return NULL;
    }
    q->parts = v;
    p = &v[q->nparts];
    memset(p, 0, sizeof *p);
    p->name = strdup(name ? name : "");
    if (type)
        p->type = strdup(type);
    if (filename)
        p->filename = strdup(filename);
    if (!p->name || (type && !p->type) || (filename && !p->filename)) {
        free(p->name);
        free(p->type);
        free(p->filename);
        req_oom(q);
        return NULL;
    }
    return p;
}

int avk_http_req_part(avk_http_req *q, const char *name, const void *data,
                      size_t len, const char *type)
{
    avk_http_part *p = new_part(q, name, type, NULL);

    if (!p)
        return AVK_EX_OSERR;
    p->data = malloc(len + 1);
    if (!p->data) {
        free(p->name);
        free(p->type);
        return req_oom(q);
    }
    if (len)
        memcpy(p->data, data, len);
    p->data[len] = '\0';
    p->len = len;
    q->nparts++;
    return 0;
}

int avk_http_req_part_file(avk_http_req *q, const char *name,
                           const char *path, const char *filename,
                           const char *type)
{
    avk_http_part *p = new_part(q, name, type, filename);

    if (!p)
        return AVK_EX_OSERR;
    p->path = strdup(path);
    if (!p->path) {
        free(p->name);
        free(p->type);
        free(p->filename);
        return req_oom(q);
    }
    q->nparts++;
    return 0;
}

int avk_http_req_download(avk_http_req *q, const char *path)
{
    return set_str(q, &q->download_path, path);
}

/* ------------------------------------------------------------------ */
/* Secrets and scrubbing                                               */

typedef struct secrets {
    char **v;
    size_t n;
} secrets;

static void secrets_release(secrets *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static int secrets_add(secrets *s, const char *p, size_t len)
{
    char **v;

    if (len < 4) /* shorter values are redacted structurally only */
        return 0;
    v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return AVK_EX_OSERR;
    s->v = v;
    v[s->n] = malloc(len + 1);
    if (!v[s->n])
        return AVK_EX_OSERR;
    memcpy(v[s->n], p, len);
    v[s->n][len] = '\0';
    s->n++;
    return 0;
}

/* Every secret value of q: secret header values (and their last word, the
 * token of "Bearer TOKEN"), secret query values raw and decoded. */
static int secrets_collect(const avk_http_req *q, secrets *s)
{
    const char *p;
    avk_buf dec;
    size_t i;
    int rc = 0;

    s->v = NULL;
    s->n = 0;
    if (!q)
        return 0;
    for (i = 0; i < q->nheaders && !rc; i++) {
        const char *v = q->headers[i].value, *sp;

        if (!q->headers[i].secret)
            continue;
        rc = secrets_add(s, v, strlen(v));
        sp = strrchr(v, ' ');
        if (!rc && sp && strlen(sp + 1) >= 8)
            rc = secrets_add(s, sp + 1, strlen(sp + 1));
    }
    if (q->url && !rc) {
        /* user:password@ of the authority */
        const char *a = strstr(q->url, "://");
        size_t alen, k;

        a = a ? a + 3 : q->url;
        alen = strcspn(a, "/?#");
        for (k = alen; k > 0; k--)
            if (a[k - 1] == '@')
                break;
        if (k > 0) {
            const char *colon = memchr(a, ':', k - 1);

            rc = secrets_add(s, a, k - 1);
            if (!rc && colon)
                rc = secrets_add(s, colon + 1,
                                 (size_t)(a + k - 1 - colon - 1));
        }
    }
    p = q->url ? strchr(q->url, '?') : NULL;
    if (!p)
        p = "";
    avk_buf_init(&dec);
    while (*p && *p != '#' && !rc) {
        size_t seg, nl;
        const char *eq;

        p++;
        seg = strcspn(p, "&#");
        eq = memchr(p, '=', seg);
        if (eq) {
            nl = (size_t)(eq - p);
            rc = url_decode(&dec, p, nl);
            if (!rc && secret_query_name(dec.data, dec.len, q->secret_query,
                                         q->nsecret_query)) {
                size_t vl = seg - nl - 1;

                rc = secrets_add(s, eq + 1, vl);
                if (!rc)
                    rc = url_decode(&dec, eq + 1, vl);
                if (!rc)
                    rc = secrets_add(s, dec.data, dec.len);
            }
        }
        p += seg;
        if (*p != '&')
            break;
    }
    avk_buf_release(&dec);
    if (rc)
        secrets_release(s);
    return rc;
}

/* Replace every secret of s in b; 0, or AVK_EX_OSERR with b emptied (so a
 * secret is never left behind). */
static int scrub_buf(avk_buf *b, const secrets *s)
{
    avk_buf out;
    size_t i;

    if (!s || !b->data)
        return 0;
    avk_buf_init(&out);
    for (i = 0; i < s->n; i++) {
        const char *sec = s->v[i], *p = b->data, *hit;
        size_t sl = strlen(sec);
        int rc = 0;

        if (!strstr(b->data, sec))
            continue;
        avk_buf_reset(&out);
        while (!rc && (hit = strstr(p, sec))) {
            rc = avk_buf_add(&out, p, (size_t)(hit - p)) ||
                 avk_buf_adds(&out, REDACTED);
            p = hit + sl;
        }
        if (rc || avk_buf_adds(&out, p)) {
            avk_buf_release(&out);
            avk_buf_reset(b);
            return AVK_EX_OSERR;
        }
        avk_buf_release(b);
        *b = out;
        avk_buf_init(&out);
    }
    avk_buf_release(&out);
    return 0;
}

/* Newly allocated vsnprintf result, or NULL when out of memory. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    char *p;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !(p = malloc((size_t)n + 1)))
        return NULL;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

/* Format into dst (cap bytes) with every secret of s replaced.  The whole
 * text is scrubbed before it is cut to size, so truncation can never leave
 * part of a secret behind.  dst may also be one of the arguments. */
static void scrubf(char *dst, size_t cap, const secrets *s, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void scrubf(char *dst, size_t cap, const secrets *s, const char *fmt,
                   ...)
{
    va_list ap;
    avk_buf b;
    char *text;

    va_start(ap, fmt);
    text = vformat(fmt, ap);
    va_end(ap);
    avk_buf_init(&b);
    if (text && avk_buf_adds(&b, text) == 0 && scrub_buf(&b, s) == 0 &&
        b.data)
        snprintf(dst, cap, "%s", b.data);
    else if (cap)
        snprintf(dst, cap, "%s", "(message withheld: out of memory)");
    free(text);
    avk_buf_release(&b);
}

void avk_http_scrub_err(const avk_http_req *q, avk_err *err)
{
    secrets s;

    if (!err)
        return;
    if (secrets_collect(q, &s)) {
        snprintf(err->msg, sizeof err->msg, "%s",
                 "(message withheld: out of memory while redacting)");
        return;
    }
    scrubf(err->msg, sizeof err->msg, &s, "%s", err->msg);
    secrets_release(&s);
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */

void avk_http_resp_init(avk_http_resp *r)
{
    memset(r, 0, sizeof *r);
    avk_buf_init(&r->body);
}

static void resp_clear_headers(avk_http_resp *r)
{
    size_t i;

    for (i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    r->headers = NULL;
    r->nheaders = 0;
}

void avk_http_resp_release(avk_http_resp *r)
{
    if (!r)
        return;
    resp_clear_headers(r);
    avk_buf_release(&r->body);
    free(r->method);
    free(r->url);
    avk_http_resp_init(r);
}

const char *avk_http_resp_header(const avk_http_resp *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static const char *resp_method(const avk_http_resp *r)
{
    return r->method ? r->method : "GET";
}

static const char *resp_url(const avk_http_resp *r)
{
    return r->url ? r->url : "(no URL)";
}

int avk_http_resp_json(const avk_http_resp *r, json_t **out, avk_err *err)
{
    json_error_t je;

    *out = json_loadb(r->body.data ? r->body.data : "", r->body.len,
                      JSON_DECODE_ANY, &je);
    if (!*out)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s %s: reply is not JSON: %s (line %d column %d)",
                        resp_method(r), resp_url(r), je.text, je.line,
                        je.column);
    return 0;
}

/* Length of the first line of s[0..len), at most max bytes and cut at a
 * character boundary, or 0 when that line is not printable UTF-8 text. */
static size_t first_line_len(const char *s, size_t len, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, end = 0;

    while (i < len && i < max && p[i] != '\r' && p[i] != '\n') {
        size_t k, n;

        if (p[i] < 0x80) {
            if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
                return 0;
            end = ++i;
            continue;
        }
        if ((p[i] & 0xE0) == 0xC0 && p[i] >= 0xC2)
            n = 2;
        else if ((p[i] & 0xF0) == 0xE0)
            n = 3;
        else if ((p[i] & 0xF8) == 0xF0 && p[i] <= 0xF4)
            n = 4;
        else
            return 0;
        if (i + n > len)
            return 0;
        for (k = 1; k < n; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
        if (i + n > max)
            break;
        i += n;
        end = i;
    }
    return end;
}

/* The first line of r's body when it is printable text, scrubbed of s and
 * then cut to at most 200 bytes on a character boundary; "" otherwise. */
static void body_detail(const avk_http_resp *r, const secrets *s, char *out,
                        size_t cap)
{
    size_t n = r->body.data ? first_line_len(r->body.data, r->body.len, 4096)
                            : 0;
    avk_buf b;

    out[0] = '\0';
    if (!n || cap < 2)
        return;
    avk_buf_init(&b);
    if (avk_buf_add(&b, r->body.data, n) == 0 && scrub_buf(&b, s) == 0 &&
        b.data) {
        n = b.len < 200 ? b.len : 200;
        if (n > cap - 1)
            n = cap - 1;
        while (n > 0 && n < b.len && ((unsigned char)b.data[n] & 0xC0) == 0x80)
            n--;
        memcpy(out, b.data, n);
        out[n] = '\0';
    }
    avk_buf_release(&b);
}

int avk_http_status_error(const avk_http_req *q, const avk_http_resp *r,
                          const char *detail, avk_err *err)
{
    long st = r->status;
    char snip[256], *p;
    int code;
    secrets s;

    if (st >= 200 && st < 300)
        return 0;
    if (st == 401 || st == 403 || st == 407)
        code = AVK_EX_NOPERM;
    else if (st == 408 || st == 425 || st == 429 ||
             (st >= 500 && st <= 599 && st != 501 && st != 505))
        code = AVK_EX_TEMPFAIL;
    else if (st == 400 || st == 413 || st == 414 || st == 415 || st == 422)
        code = AVK_EX_DATAERR;
    else
        code = AVK_EX_UNAVAILABLE;
    if (!err)
        return code;
    err->code = code;
    if (secrets_collect(q, &s)) {
        avk_fail(err, code, "%s %s: HTTP %ld", resp_method(r), resp_url(r),
                 st);
        return code;
    }
    if (!detail) {
        body_detail(r, &s, snip, sizeof snip);
        detail = snip;
    }
    if (*detail)
        scrubf(err->msg, sizeof err->msg, &s, "%s %s: HTTP %ld: %s",
               resp_method(r), resp_url(r), st, detail);
    else
        scrubf(err->msg, sizeof err->msg, &s, "%s %s: HTTP %ld",
               resp_method(r), resp_url(r), st);
    secrets_release(&s);
    for (p = err->msg; *p; p++) /* a detail may span lines: keep one */
        if ((unsigned char)*p < ' ')
            *p = ' ';
    return code;
}

static const char *json_str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "message (code)" from the usual shapes of JSON error bodies, or "". */
static void json_error_detail(const json_t *j, char *out, size_t n)
{
    const json_t *e = json_object_get(j, "error");
    const char *msg = NULL, *code = NULL;

    out[0] = '\0';
    if (json_is_object(e)) {
        const json_t *errs = json_object_get(e, "errors");

        msg = json_str(e, "message");
        code = json_str(e, "code");
        if (!code)
            code = json_str(e, "status");
        if (!code && json_is_array(errs))
            code = json_str(json_array_get(errs, 0), "reason");
    } else if (json_is_string(e)) {
        msg = json_string_value(e);
        code = NULL;
    }
    if (!msg)
        msg = json_str(j, "message");
    if (!msg)
        msg = json_str(j, "detail");
    if (!msg)
        msg = json_str(j, "error_description");
    if (!msg && !code)
        return;
    if (msg && code && strcmp(msg, code) != 0)
        snprintf(out, n, "%s (%s)", msg, code);
    else
        snprintf(out, n, "%s", msg ? msg : code);
}

int avk_http_do_json(const avk_http_opts *o, const avk_http_req *q,
                     avk_http_resp *resp, json_t **out, avk_err *err)
{
    int rc;

    *out = NULL;
    rc = avk_http_do(o, q, resp, err);
    if (rc)
        return rc;
    if (resp->status < 200 || resp->status >= 300) {
        char detail[512];
        json_t *j = json_loadb(resp->body.data ? resp->body.data : "",
                               resp->body.len, 0, NULL);

        detail[0] = '\0';
        if (j) {
            json_error_detail(j, detail, sizeof detail);
            json_decref(j);
        }
        return avk_http_status_error(q, resp, detail[0] ? detail : NULL,
                                     err);
    }
    if (resp->downloaded)
        return 0;
    return avk_http_resp_json(resp, out, err);
}

/* ------------------------------------------------------------------ */
/* Transfers                                                           */

typedef struct xfer {
    CURL *h;
    const avk_http_opts *o;
    const avk_http_req *q;
    avk_http_resp *r;
    secrets sec;
    char errbuf[CURL_ERROR_SIZE];

    /* current hop */
    char *url;
    const char *method;
    int with_body;
    int drop_secrets;
    struct curl_slist *hdrs;
    curl_mime *mime;

    /* body sink of the current attempt */
    int dl_fd;
    avk_buf dl_tmp;
    avk_sha256 *sha;
    int sink_decided, sink_file;
    long long got, mem_cap, file_cap;
    int over_cap, write_failed, write_errno, oom;

    /* stall detection */
    long long last_move_ms;
    curl_off_t last_moved;
    int reply_started, stalled, no_reply;
    long stall_ms, reply_ms;

    /* body read from a file */
    int in_fd;
    long long in_off, in_len, in_pos;
} xfer;

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t len = size * nmemb, nl, vs, ve;
    avk_http_kv *v;

    x->last_move_ms = avk_mono_ms();
    x->reply_started = 1;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        resp_clear_headers(x->r);
        return len;
    }
    for (nl = 0; nl < len && p[nl] != ':'; nl++)
        ;
    if (nl == 0 || nl == len)
        return len; /* the blank line, or no header at all */
    vs = nl + 1;
    while (vs < len && (p[vs] == ' ' || p[vs] == '\t'))
        vs++;
    ve = len;
    while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' ||
                       p[ve - 1] == ' ' || p[ve - 1] == '\t'))
        ve--;
    if (x->r->nheaders >= 1000)
        return len; /* keep the first thousand; a hostile server gets no more */
    v = realloc(x->r->headers, (x->r->nheaders + 1) * sizeof *v);
    if (!v) {
        x->oom = 1;
        return 0;
    }
    x->r->headers = v;
    v += x->r->nheaders;
    v->secret = 0;
    v->name = malloc(nl + 1);
    v->value = malloc(ve - vs + 1);
    if (!v->name || !v->value) {
        free(v->name);
        free(v->value);
        x->oom = 1;
        return 0;
    }
    memcpy(v->name, p, nl);
    v->name[nl] = '\0';
    memcpy(v->value, p + vs, ve - vs);
    v->value[ve - vs] = '\0';
    x->r->nheaders++;
    return len;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t len = size * nmemb;
    long long cap;

    x->last_move_ms = avk_mono_ms();
    if (!x->sink_decided) {
        long code = 0;

        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
        x->sink_file = x->dl_fd >= 0 && code >= 200 && code < 300;
        x->sink_decided = 1;
    }
    cap = x->sink_file ? x->file_cap : x->mem_cap;
    if ((long long)len > cap - x->got) {
        x->over_cap = 1;
        return 0;
    }
    x->got += (long long)len;
    if (x->sink_file) {
        if (write_all(x->dl_fd, p, len) != 0) {
            x->write_failed = 1;
            x->write_errno = errno;
            return 0;
        }
        if (x->sha && avk_sha256_update(x->sha, p, len)) {
            x->oom = 1;
            return 0;
        }
    } else if (avk_buf_add(&x->r->body, p, len)) {
        x->oom = 1;
        return 0;
    }
    return len;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t want = size * nmemb;
    long long left = x->in_len - x->in_pos;
    ssize_t n;

    if (left <= 0)
        return 0;
    if ((long long)want > left)
        want = (size_t)left;
    do
        n = pread(x->in_fd, p, want, (off_t)(x->in_off + x->in_pos));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return CURL_READFUNC_ABORT;
    if (n == 0) /* the file shrank under us */
        return CURL_READFUNC_ABORT;
    x->in_pos += n;
    x->last_move_ms = avk_mono_ms();
    return (size_t)n;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
    xfer *x = ud;

    if (origin != SEEK_SET || offset < 0 || offset > x->in_len)
        return CURL_SEEKFUNC_CANTSEEK;
    x->in_pos = offset;
    return CURL_SEEKFUNC_OK;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    xfer *x = ud;
    long long now = avk_mono_ms(), idle;

    (void)dltotal;
    if (dlnow + ulnow != x->last_moved) {
        x->last_moved = dlnow + ulnow;
        x->last_move_ms = now;
        return 0;
    }
    idle = now - x->last_move_ms;
    if (x->reply_started || (ultotal > 0 && ulnow < ultotal)) {
        /* sending the body, or receiving the reply */
        if (x->stall_ms > 0 && idle > x->stall_ms) {
            x->stalled = 1;
            return 1;
        }
    } else if (x->reply_ms > 0 && idle > x->reply_ms) {
        /* the request is out; the server has not begun its reply */
        x->no_reply = 1;
        return 1;
    }
    return 0;
}

static int valid_method(const char *m)
{
    if (!*m)
        return 0;
    for (; *m; m++)
        if (!(*m >= 'A' && *m <= 'Z'))
            return 0;
    return 1;
}

static int has_header(const avk_http_req *q, const char *name)
{
    size_t i;

    for (i = 0; i < q->nheaders; i++)
        if (strcasecmp(q->headers[i].name, name) == 0)
            return 1;
    return 0;
}

/* Build the header list for the current hop: the caller's headers (secret
 * ones left out after a redirect to another origin), the body's
 * Content-Type and an empty Expect, unless the caller set those. */
static int build_headers(xfer *x)
{
    const avk_http_req *q = x->q;
    avk_buf line;
    size_t i;
    int rc = 0;

    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    avk_buf_init(&line);
    for (i = 0; i <= q->nheaders + 1 && !rc; i++) {
        struct curl_slist *n;

        avk_buf_reset(&line);
        if (i < q->nheaders) {
            const avk_http_kv *h = &q->headers[i];

            if (h->secret && x->drop_secrets)
                continue;
            if (!*h->value)
                rc = avk_buf_printf(&line, "%s;", h->name);
            else
                rc = avk_buf_printf(&line, "%s: %s", h->name, h->value);
        } else if (i == q->nheaders) {
            if (!x->with_body || !q->body_type || q->nparts ||
                has_header(q, "Content-Type"))
                continue;
            rc = avk_buf_printf(&line, "Content-Type: %s", q->body_type);
        } else {
            if (has_header(q, "Expect"))
                continue;
            rc = avk_buf_adds(&line, "Expect:");
        }
        if (rc)
            break;
        n = curl_slist_append(x->hdrs, line.data);
        if (!n) {
            rc = AVK_EX_OSERR;
            break;
        }
        x->hdrs = n;
    }
    /* the line may have held a secret */
    if (line.data)
        memset(line.data, 0, line.cap);
    avk_buf_release(&line);
    return rc;
}

#define SET(opt, val)                                                        \
    do {                                                                     \
        if (curl_easy_setopt(x->h, opt, val) != CURLE_OK)                    \
            bad = 1;                                                         \
    } while (0)

/* Reset the handle and configure it for the current hop and attempt. */
static int build_mime(xfer *x);

static int setup_handle(xfer *x)
{
    const avk_http_opts *o = x->o;
    const avk_http_req *q = x->q;
    long timeout = q->timeout_ms > 0 ? q->timeout_ms : o->timeout_ms;
    int custom, bad = 0;

    curl_easy_reset(x->h);
    x->errbuf[0] = '\0';
    if (build_headers(x))
        return AVK_EX_OSERR;
    SET(CURLOPT_URL, x->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file)
        SET(CURLOPT_CAINFO, o->ca_file);
    if (o->session)
        SET(CURLOPT_SHARE, o->session->sh);
    SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms > 0
                                       ? o->connect_timeout_ms
                                       : 10000L);
    SET(CURLOPT_TIMEOUT_MS, timeout > 0 ? timeout : 0L);
    if (o->user_agent)
        SET(CURLOPT_USERAGENT, o->user_agent);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, x);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_MAXFILESIZE_LARGE,
        (curl_off_t)(x->file_cap > x->mem_cap ? x->file_cap : x->mem_cap));
    SET(CURLOPT_HTTPHEADER, x->hdrs);

    custom = 1;
    if (strcmp(x->method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
        custom = 0;
    } else if (x->with_body && q->body_path) {
        SET(CURLOPT_UPLOAD, 1L);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, x);
        SET(CURLOPT_SEEKFUNCTION, on_seek);
        SET(CURLOPT_SEEKDATA, x);
        SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->in_len);
        custom = strcmp(x->method, "PUT") != 0;
    } else if (x->with_body && q->nparts) {
        /* a fresh mime per attempt: libcurl does not rewind a used one,
         * so a retry would announce the body and send none of it */
        curl_mime_free(x->mime);
        x->mime = NULL;
        if (build_mime(x))
            return AVK_EX_OSERR;
        SET(CURLOPT_MIMEPOST, x->mime);
        custom = strcmp(x->method, "POST") != 0;
    } else if (x->with_body && q->body) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
        SET(CURLOPT_POSTFIELDS, q->body);
        custom = strcmp(x->method, "POST") != 0;
    } else if (strcmp(x->method, "POST") == 0) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        SET(CURLOPT_POSTFIELDS, "");
        custom = 0;
    } else if (strcmp(x->method, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
        custom = 0;
    }
    if (custom)
        SET(CURLOPT_CUSTOMREQUEST, x->method);
    return bad ? AVK_EX_SOFTWARE : 0;
}

#undef SET

/* Reset the per-attempt state: body, headers, download file, stall clock. */
static int begin_attempt(xfer *x)
{
    avk_buf_reset(&x->r->body);
    resp_clear_headers(x->r);
    x->r->status = 0;
    x->sink_decided = x->sink_file = 0;
    x->got = 0;
    x->over_cap = x->write_failed = x->oom = x->stalled = 0;
    x->reply_started = x->no_reply = 0;
    x->last_moved = 0;
    x->last_move_ms = avk_mono_ms();
    x->in_pos = 0;
    if (x->dl_fd >= 0) {
        if (ftruncate(x->dl_fd, 0) != 0 ||
            lseek(x->dl_fd, 0, SEEK_SET) != 0) {
            x->write_failed = 1;
            x->write_errno = errno;
            return AVK_EX_IOERR;
        }
        avk_sha256_free(x->sha);
        x->sha = avk_sha256_new();
        if (!x->sha)
            return AVK_EX_OSERR;
    }
    return 0;
}

static int set_resp_url(xfer *x)
{
    avk_buf b;

    avk_buf_init(&b);
    if (avk_url_redact(&b, x->url, x->q->secret_query, x->q->nsecret_query)) {
        avk_buf_release(&b);
        return AVK_EX_OSERR;
    }
    free(x->r->url);
    x->r->url = avk_buf_detach(&b);
    free(x->r->method);
    x->r->method = strdup(x->method);
    return x->r->url && x->r->method ? 0 : AVK_EX_OSERR;
}

static void logf_(xfer *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logf_(xfer *x, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    char *text;

    if (!x->o->log)
        return;
    va_start(ap, fmt);
    text = vformat(fmt, ap);
    va_end(ap);
    scrubf(line, sizeof line, &x->sec, "%s", text ? text : "(out of memory)");
    free(text);
    x->o->log(x->o->log_ud, line);
}

static int fail_(xfer *x, avk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_(xfer *x, avk_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    char *what;

    if (!err)
        return code;
    va_start(ap, fmt);
    what = vformat(fmt, ap);
    va_end(ap);
    err->code = code;
    scrubf(err->msg, sizeof err->msg, &x->sec, "%s %s: %s", resp_method(x->r),
           resp_url(x->r), what ? what : "out of memory");
    free(what);
    return code;
}

/* Exit code for a curl failure, and whether to retry it. */
static int classify(CURLcode cc, int stalled, int *retry)
{
    *retry = 0;
    if (stalled) { /* a stall or no reply in time */
        *retry = 1;
        return AVK_EX_TEMPFAIL;
    }
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PROXY:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
        *retry = 1;
        return AVK_EX_TEMPFAIL;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return AVK_EX_CONFIG;
    case CURLE_OUT_OF_MEMORY:
        return AVK_EX_OSERR;
    case CURLE_READ_ERROR:
        return AVK_EX_IOERR;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_TOO_MANY_REDIRECTS:
        return AVK_EX_UNAVAILABLE;
    default:
        return AVK_EX_TEMPFAIL;
    }
}

static int default_retry(long st)
{
    return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

static int is_redirect(long st)
{
    return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
}

/* "scheme://host:port" of url into out; 0 or -1. */
static int origin_of(const char *url, avk_buf *out)
{
    CURLU *u = curl_url();
    char *s = NULL, *h = NULL, *p = NULL;
    int rc = -1;

    if (!u)
        return -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) ==
            CURLUE_OK) {
        char *c;

        avk_buf_reset(out);
        rc = avk_buf_printf(out, "%s://%s:%s", s, h, p) ? -1 : 0;
        for (c = out->data; c && *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    curl_free(s);
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

static int same_origin(const char *a, const char *b)
{
    avk_buf oa, ob;
    int same;

    avk_buf_init(&oa);
    avk_buf_init(&ob);
    same = origin_of(a, &oa) == 0 && origin_of(b, &ob) == 0 &&
           strcmp(oa.data, ob.data) == 0;
    avk_buf_release(&oa);
    avk_buf_release(&ob);
    return same;
}

static int open_download_temp(xfer *x, avk_err *err)
{
    const char *path = x->q->download_path;
    unsigned char rnd[6];
    int tries;

    for (tries = 0; tries < 16; tries++) {
        if (avk_random_bytes(rnd, sizeof rnd))
            return fail_(x, err, AVK_EX_OSERR, "no random bytes");
        avk_buf_reset(&x->dl_tmp);
        if (avk_buf_printf(&x->dl_tmp, "%s.tmp-%02x%02x%02x%02x%02x%02x",
                           path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
                           rnd[5]))
            return fail_(x, err, AVK_EX_OSERR, "out of memory");
        x->dl_fd = open(x->dl_tmp.data,
                        O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (x->dl_fd >= 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    avk_buf_reset(&x->dl_tmp);
    return fail_(x, err, AVK_EX_CANTCREAT, "cannot create '%s': %s", path,
                 strerror(errno));
}

/* fsync and rename the temporary download into place. */
static int finish_download(xfer *x, avk_err *err)
{
    const char *path = x->q->download_path;
    char *dir;
    int fd = x->dl_fd, e;

    x->dl_fd = -1;
    if (fsync(fd) != 0) {
        e = errno;
        close(fd);
        return fail_(x, err, AVK_EX_IOERR, "cannot sync '%s': %s", path,
                     strerror(e));
    }
    if (close(fd) != 0)
        return fail_(x, err, AVK_EX_IOERR, "cannot write '%s': %s", path,
                     strerror(errno));
    if (rename(x->dl_tmp.data, path) != 0)
        return fail_(x, err, AVK_EX_CANTCREAT, "cannot create '%s': %s",
                     path, strerror(errno));
    avk_buf_reset(&x->dl_tmp); /* nothing to unlink any more */
    dir = avk_dirname(path);
    if (dir) {
        avk_fsync_dir(dir);
        free(dir);
    }
    /* avk_sha256_final frees the hash state whatever it returns */
    if (!x->sha || avk_sha256_final(x->sha, x->r->sha256) != 0)
        x->r->sha256[0] = '\0';
    x->sha = NULL;
    x->r->downloaded = 1;
    return 0;
}

/* Open the body file and check the part files before the first attempt. */
static int open_inputs(xfer *x, avk_err *err)
{
    const avk_http_req *q = x->q;
    size_t i;

    if (q->body_path) {
        struct stat st;

        x->in_fd = open(q->body_path, O_RDONLY | O_CLOEXEC);
        if (x->in_fd < 0)
            return fail_(x, err,
                         errno == ENOENT ? AVK_EX_NOINPUT : AVK_EX_IOERR,
                         "cannot open '%s': %s", q->body_path,
                         strerror(errno));
        if (fstat(x->in_fd, &st) != 0)
            return fail_(x, err, AVK_EX_IOERR, "cannot stat '%s': %s",
                         q->body_path, strerror(errno));
        x->in_off = q->body_offset;
        x->in_len = q->body_length >= 0 ? q->body_length
                                        : (long long)st.st_size - x->in_off;
        if (x->in_off > (long long)st.st_size || x->in_len < 0 ||
            x->in_off + x->in_len > (long long)st.st_size)
            return fail_(x, err, AVK_EX_DATAERR,
                         "'%s' has %lld bytes, fewer than the %lld asked "
                         "for at offset %lld",
                         q->body_path, (long long)st.st_size, x->in_len,
                         x->in_off);
    }
    for (i = 0; i < q->nparts; i++) {
        if (q->parts[i].path && access(q->parts[i].path, R_OK) != 0)
            return fail_(x, err,
                         errno == ENOENT ? AVK_EX_NOINPUT : AVK_EX_IOERR,
                         "cannot open '%s': %s", q->parts[i].path,
                         strerror(errno));
    }
    return 0;
}

static int build_mime(xfer *x)
{
    const avk_http_req *q = x->q;
    size_t i;

    if (!q->nparts)
        return 0;
    x->mime = curl_mime_init(x->h);
    if (!x->mime)
        return AVK_EX_OSERR;
    for (i = 0; i < q->nparts; i++) {
        const avk_http_part *p = &q->parts[i];
        curl_mimepart *m = curl_mime_addpart(x->mime);

        if (!m || curl_mime_name(m, p->name) != CURLE_OK)
            return AVK_EX_OSERR;
        if (p->path) {
            if (curl_mime_filedata(m, p->path) != CURLE_OK)
                return AVK_EX_OSERR;
        } else if (curl_mime_data(m, p->data, p->len) != CURLE_OK) {
            return AVK_EX_OSERR;
        }
        if (p->filename && curl_mime_filename(m, p->filename) != CURLE_OK)
            return AVK_EX_OSERR;
        if (p->type && curl_mime_type(m, p->type) != CURLE_OK)
            return AVK_EX_OSERR;
    }
    return 0;
}

static void wait_before_retry(xfer *x, long long delay, int attempt,
                              int max)
{
    logf_(x, "%s %s: retrying in %lld ms (attempt %d of %d next)",
          resp_method(x->r), resp_url(x->r), delay, attempt + 1, max);
    avk_sleep_ms(delay);
}

static long long jitter(const avk_http_opts *o, int attempt)
{
    unsigned long long rnd = 0;

    if (avk_random_bytes(&rnd, sizeof rnd))
        rnd = (unsigned long long)avk_mono_ms() * 2654435761ULL;
    return avk_http_backoff_ms(o->backoff_base_ms, o->backoff_max_ms,
                               attempt, rnd);
}

static int run(xfer *x, avk_err *err)
{
    const avk_http_opts *o = x->o;
    const avk_http_req *q = x->q;
    avk_http_resp *r = x->r;
    int max = q->max_attempts > 0 ? q->max_attempts : o->max_attempts;
    int attempt = 1, hops = 0, rc;

    if (max < 1)
        max = 1;
    for (;;) {
        long long t0 = avk_mono_ms(), delay;
        long st = 0;
        CURLcode cc;
        int code, retry, dec;

        r->attempts = attempt;
        if ((rc = begin_attempt(x)))
            return rc == AVK_EX_OSERR
                       ? fail_(x, err, rc, "out of memory")
                       : fail_(x, err, rc, "cannot write '%s': %s",
                               q->download_path, strerror(x->write_errno));
        if ((rc = setup_handle(x)))
            return fail_(x, err, rc, "cannot set up the request");
        cc = curl_easy_perform(x->h);
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
        r->bytes = x->got;
        if (x->oom)
            return fail_(x, err, AVK_EX_OSERR, "out of memory");
        if (x->over_cap || cc == CURLE_FILESIZE_EXCEEDED)
            return fail_(x, err, AVK_EX_DATAERR,
                         "reply body exceeds the limit of %lld bytes",
                         x->sink_file || (cc == CURLE_FILESIZE_EXCEEDED &&
                                          x->dl_fd >= 0)
                             ? x->file_cap
                             : x->mem_cap);
        if (x->write_failed)
            return fail_(x, err, AVK_EX_IOERR, "cannot write '%s': %s",
                         q->download_path, strerror(x->write_errno));
        if (cc != CURLE_OK) {
            char what[CURL_ERROR_SIZE + 64];

            if (x->stalled)
                snprintf(what, sizeof what, "no data moved for %ld ms",
                         x->stall_ms);
            else if (x->no_reply)
                snprintf(what, sizeof what, "no reply within %ld ms",
                         x->reply_ms);
            else
                snprintf(what, sizeof what, "%s",
                         x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
            code = classify(cc, x->stalled || x->no_reply, &retry);
            logf_(x, "%s %s: %s (attempt %d of %d, %lld ms)",
                  resp_method(r), resp_url(r), what, attempt, max,
                  avk_mono_ms() - t0);
            if (!retry)
                return fail_(x, err, code, "%s", what);
            if (attempt >= max)
                return fail_(x, err, code, "%s (after %d attempt%s)", what,
                             attempt, attempt == 1 ? "" : "s");
            delay = jitter(o, attempt);
            wait_before_retry(x, delay, attempt, max);
            attempt++;
            continue;
        }
        r->status = st;
        logf_(x, "%s %s -> %ld, %lld bytes, %lld ms (attempt %d of %d)",
              resp_method(r), resp_url(r), st, x->got, avk_mono_ms() - t0,
              attempt, max);

        if (is_redirect(st) && q->max_redirects > 0) {
            char *loc = NULL, *next;

            curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &loc);
            if (loc) {
                if (++hops > q->max_redirects)
                    return fail_(x, err, AVK_EX_UNAVAILABLE,
                                 "more than %d redirects", q->max_redirects);
                if (strncasecmp(x->url, "https:", 6) == 0 &&
                    strncasecmp(loc, "https:", 6) != 0)
                    return fail_(x, err, AVK_EX_UNAVAILABLE,
                                 "refusing a redirect from https to another "
                                 "scheme");
                if (!same_origin(x->url, loc))
                    x->drop_secrets = 1;
                if (st == 303 ||
                    ((st == 301 || st == 302) &&
                     strcmp(x->method, "POST") == 0)) {
                    if (strcmp(x->method, "HEAD") != 0)
                        x->method = "GET";
                    x->with_body = 0;
                }
                next = strdup(loc);
                if (!next)
                    return fail_(x, err, AVK_EX_OSERR, "out of memory");
                free(x->url);
                x->url = next;
                if (set_resp_url(x))
                    return fail_(x, err, AVK_EX_OSERR, "out of memory");
                continue;
            }
        }

        dec = default_retry(st);
        if (st >= 300 && q->retry_ok) {
            int v = q->retry_ok(r, q->retry_ud);

            if (v == 0)
                dec = 0;
            else if (v > 0)
                dec = 1;
        }
        if (!dec) {
            if (x->dl_fd >= 0 && st >= 200 && st < 300)
                return finish_download(x, err);
            return 0;
        }
        if (attempt >= max) {
            char detail[256];

            body_detail(r, &x->sec, detail, sizeof detail);
            return fail_(x, err, AVK_EX_TEMPFAIL,
                         "HTTP %ld after %d attempt%s%s%s", st, attempt,
                         attempt == 1 ? "" : "s", detail[0] ? ": " : "",
                         detail);
        }
        delay = -1;
        {
            const char *ra = avk_http_resp_header(r, "Retry-After");

            if (ra)
                delay = avk_http_retry_after_ms(ra, (long long)time(NULL));
        }
        if (delay > o->retry_after_max_ms)
            return fail_(x, err, AVK_EX_TEMPFAIL,
                         "HTTP %ld, and the server asks to wait %lld s",
                         st, delay / 1000);
        if (delay < 0)
            delay = jitter(o, attempt);
        wait_before_retry(x, delay, attempt, max);
        attempt++;
    }
}

int avk_http_do(const avk_http_opts *o, const avk_http_req *q,
                avk_http_resp *resp, avk_err *err)
{
    avk_http_opts defaults;
    long long t0 = avk_mono_ms();
    xfer x;
    int rc;

    avk_http_resp_init(resp);
    if (!o) {
        defaults = avk_http_opts_default();
        o = &defaults;
    }
    memset(&x, 0, sizeof x);
    x.o = o;
    x.q = q;
    x.r = resp;
    x.dl_fd = -1;
    x.in_fd = -1;
    x.with_body = 1;
    x.stall_ms = o->stall_ms;
    x.reply_ms = q->timeout_ms > 0 ? 0 : o->reply_timeout_ms;
    x.mem_cap = o->max_body > 0 ? o->max_body : 64LL << 20;
    x.file_cap = o->max_download > 0 ? o->max_download : 4LL << 30;
    if (q->max_body > 0) {
        if (q->download_path)
            x.file_cap = q->max_body;
        else
            x.mem_cap = q->max_body;
    }
    if (!q->download_path)
        x.file_cap = x.mem_cap; /* no file: one cap */
    else if (x.mem_cap > x.file_cap)
        x.mem_cap = x.file_cap;
    avk_buf_init(&x.dl_tmp);

    if (q->oom || !q->method || !q->url)
        return avk_fail(err, AVK_EX_OSERR, "out of memory building a request");
    if (secrets_collect(q, &x.sec))
        return avk_fail(err, AVK_EX_OSERR, "out of memory building a request");
    x.method = valid_method(q->method) ? q->method : "(invalid method)";
    x.url = strdup(q->url);
    if (!x.url || set_resp_url(&x)) {
        rc = fail_(&x, err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    if (q->bad) {
        rc = fail_(&x, err, AVK_EX_DATAERR,
                   "a header name or value is not valid");
        goto done;
    }
    if (!valid_method(q->method)) {
        rc = fail_(&x, err, AVK_EX_CONFIG, "not a valid HTTP method");
        goto done;
    }
    if ((rc = open_inputs(&x, err)))
        goto done;
    x.h = curl_easy_init();
    if (!x.h) {
        rc = fail_(&x, err, AVK_EX_OSERR, "cannot create a curl handle");
        goto done;
    }
    if (build_mime(&x)) {
        rc = fail_(&x, err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    if (q->download_path && (rc = open_download_temp(&x, err)))
        goto done;
    rc = run(&x, err);

done:
    if (x.h)
        curl_easy_cleanup(x.h);
    curl_mime_free(x.mime);
    curl_slist_free_all(x.hdrs);
    if (x.dl_fd >= 0)
        close(x.dl_fd);
    if (x.dl_tmp.len)
        unlink(x.dl_tmp.data);
    avk_buf_release(&x.dl_tmp);
    avk_sha256_free(x.sha);
    if (x.in_fd >= 0)
        close(x.in_fd);
    free(x.url);
    secrets_release(&x.sec);
    resp->ms = avk_mono_ms() - t0;
    return rc;
}
