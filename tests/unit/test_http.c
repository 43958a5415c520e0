/* Unit tests for the pure parts of lib/http: URL escaping, query and form
 * building, redaction, HTTP dates, Retry-After, backoff, request building,
 * status mapping and scrubbing.  No network. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tap.h"

static void test_escape(void)
{
    avk_buf b;

    avk_buf_init(&b);
    avk_url_escape(&b, "a b&c=d/é~-._", strlen("a b&c=d/é~-._"));
    is_str(b.data, "a%20b%26c%3Dd%2F%C3%A9~-._", "escape reserved and UTF-8");
    avk_buf_reset(&b);
    avk_url_escape(&b, "x\0y", 3);
    is_str(b.data, "x%00y", "escape NUL inside a length");
    avk_buf_reset(&b);
    avk_url_escape(&b, "", 0);
    ok(b.len == 0, "escape of nothing adds nothing");
    avk_buf_release(&b);
}

static void test_query(void)
{
    avk_buf b;

    avk_buf_init(&b);
    avk_buf_adds(&b, "https://pixabay.com/api/videos/");
    avk_url_add_query(&b, "key", "K 1");
    avk_url_add_query(&b, "q", "cats & dogs");
    avk_url_add_query(&b, "per_page", "20");
    is_str(b.data,
           "https://pixabay.com/api/videos/?key=K%201&q=cats%20%26%20dogs"
           "&per_page=20",
           "query string built with ? then &");
    avk_buf_reset(&b);
    avk_buf_adds(&b, "https://h/p?");
    avk_url_add_query(&b, "a", "");
    is_str(b.data, "https://h/p?a=", "no extra separator after a bare ?");
    avk_buf_reset(&b);
    avk_form_add(&b, "grant_type", "authorization_code");
    avk_form_add(&b, "redirect_uri", "http://127.0.0.1:53682");
    is_str(b.data,
           "grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1"
           "%3A53682",
           "form body");
    avk_buf_release(&b);
}

static void redact_is(const char *url, char *const *names, size_t n,
                      const char *want, const char *name)
{
    avk_buf b;

    avk_buf_init(&b);
    avk_url_redact(&b, url, names, n);
    is_str(b.data, want, name);
    avk_buf_release(&b);
}

static void test_redact(void)
{
    char *names[] = {"sessionid", "X-Custom"};

    redact_is("https://pixabay.com/api/?key=abc123&q=cat",
              NULL, 0, "https://pixabay.com/api/?key=REDACTED&q=cat",
              "key= is secret by default");
    redact_is("https://h/p?q=1&KEY=zz&api_key=yy#frag", NULL, 0,
              "https://h/p?q=1&KEY=REDACTED&api_key=REDACTED#frag",
              "names match case-insensitively; fragment kept");
    redact_is("https://h/p?sessionid=s&x%2Dcustom=v&other=o", names, 2,
              "https://h/p?sessionid=REDACTED&x%2Dcustom=REDACTED&other=o",
              "caller's names, also percent-encoded");
    redact_is("https://user:pw@h:8443/p?x", NULL, 0,
              "https://REDACTED@h:8443/p?x", "user info");
    redact_is("https://h/a@b", NULL, 0, "https://h/a@b",
              "@ in the path is not user info");
    redact_is("http://h/p?key", NULL, 0, "http://h/p?key",
              "a name without a value stays");
    redact_is("http://h", NULL, 0, "http://h", "bare host");
    redact_is("http://h/a b\r\nX: y?q=1 2", NULL, 0,
              "http://h/a%20b%0D%0AX:%20y?q=1%202",
              "control characters and spaces are encoded");
    redact_is("https://s3/b/o?X-Amz-Signature=abc&X-Amz-Date=1", NULL, 0,
              "https://s3/b/o?X-Amz-Signature=REDACTED&X-Amz-Date=1",
              "presigned URL signature");
}

static void test_dates(void)
{
    is_int(avk_http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777,
           "IMF-fixdate");
    is_int(avk_http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777,
           "RFC 850 date");
    is_int(avk_http_parse_date("Sun Nov  6 08:49:37 1994"), 784111777,
           "asctime date");
    is_int(avk_http_parse_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0,
           "the epoch");
    is_int(avk_http_parse_date("Wed, 25 Nov 2026 17:40:00 GMT"), 1795628400,
           "a date in 2026");
    is_int(avk_http_parse_date("Tue, 29 Feb 2028 12:00:00 GMT"), 1835438400,
           "leap day");
    is_int(avk_http_parse_date("Sun, 06 Foo 1994 08:49:37 GMT"), -1,
           "bad month");
    is_int(avk_http_parse_date("Sun, 06 Nov 1994 08:49:37 PST"), -1,
           "zone other than GMT");
    is_int(avk_http_parse_date("Sun, 06 Nov 1994 25:49:37 GMT"), -1,
           "bad hour");
    is_int(avk_http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT junk"), -1,
           "trailing junk");
    is_int(avk_http_parse_date(""), -1, "empty");
    is_int(avk_http_parse_date("tomorrow"), -1, "words");
}

static void test_retry_after(void)
{
    long long now = 784111777;

    is_int(avk_http_retry_after_ms("1", now), 1000, "delta seconds");
    is_int(avk_http_retry_after_ms(" 120 ", now), 120000,
           "delta seconds with spaces");
    is_int(avk_http_retry_after_ms("0", now), 0, "zero");
    is_int(avk_http_retry_after_ms("Sun, 06 Nov 1994 08:49:47 GMT", now),
           10000, "date 10 s ahead");
    is_int(avk_http_retry_after_ms("Sun, 06 Nov 1994 08:49:00 GMT", now), 0,
           "date in the past means now");
    is_int(avk_http_retry_after_ms("-5", now), -1, "negative");
    is_int(avk_http_retry_after_ms("1.5", now), -1, "fraction");
    is_int(avk_http_retry_after_ms("soon", now), -1, "garbage");
    ok(avk_http_retry_after_ms("99999999999999999999", now) > 0,
       "huge delta does not overflow");
}

static void test_backoff(void)
{
    int i, in_range = 1;

    is_int(avk_http_backoff_ms(1000, 60000, 1, 1000), 1000,
           "attempt 1 can wait the whole base");
    is_int(avk_http_backoff_ms(1000, 60000, 1, 1001), 0,
           "attempt 1 picks within [0, base]");
    is_int(avk_http_backoff_ms(1000, 60000, 2, 2000), 2000,
           "attempt 2 doubles the ceiling");
    for (i = 1; i < 40; i++) {
        long long ceil = 1000LL << (i - 1 > 20 ? 20 : i - 1);
        long long v;

        if (ceil > 60000)
            ceil = 60000;
        v = avk_http_backoff_ms(1000, 60000, i, 0xFFFFFFFFFFFFULL + (unsigned)i);
        if (v < 0 || v > ceil)
            in_range = 0;
    }
    ok(in_range, "every pick lies within the doubling, capped ceiling");
    is_int(avk_http_backoff_ms(1000, 60000, 30, 60000), 60000,
           "the cap holds for late attempts");
    is_int(avk_http_backoff_ms(0, 60000, 3, 12345), 0, "base 0 means no wait");
}

static int never(const avk_http_resp *r, void *ud)
{
    (void)r;
    (void)ud;
    return 0;
}

static void test_req(void)
{
    avk_http_req q;
    json_t *j;

    is_int(avk_http_req_init(&q, "POST", "https://h/p?key=K3y-long-value"),
           0, "init");
    is_int(avk_http_req_header(&q, "X-Request-Id", "abc"), 0, "plain header");
    ok(!q.headers[0].secret, "X-Request-Id is not secret");
    avk_http_req_header(&q, "Authorization", "Bearer sk-test-1234567890");
    ok(q.headers[1].secret, "Authorization is secret by name");
    avk_http_req_header(&q, "xi-api-key", "el-key");
    ok(q.headers[2].secret, "xi-api-key is secret by name");
    avk_http_req_secret_header(&q, "X-Anything", "v");
    ok(q.headers[3].secret, "explicitly secret header");
    ok(!q.bad, "no bad header yet");
    is_int(avk_http_req_header(&q, "X-Evil", "a\r\nInjected: 1"),
           AVK_EX_DATAERR, "CR LF in a value is refused");
    ok(q.bad, "and remembered");
    j = json_pack("{s:s, s:i}", "model", "m", "n", 2);
    avk_http_req_json(&q, j);
    json_decref(j);
    is_str(q.body, "{\"model\":\"m\",\"n\":2}", "JSON body is compact");
    is_str(q.body_type, "application/json", "JSON content type");
    avk_http_req_part(&q, "a", "1", 1, NULL);
    avk_http_req_part_file(&q, "f", "/nonexistent", NULL, "image/png");
    is_int((long long)q.nparts, 2, "two parts");
    q.retry_ok = never;
    {
        avk_http_resp r;
        avk_err e;

        /* bad header: avk_http_do refuses before any network */
        is_int(avk_http_do(NULL, &q, &r, &e), AVK_EX_DATAERR,
               "a request with a bad header fails");
        avk_http_resp_release(&r);
    }
    avk_http_req_release(&q);
    ok(q.method == NULL && q.nheaders == 0, "release clears");
}

static void test_status_error(void)
{
    static const struct {
        long st;
        int code;
    } map[] = {{200, 0},   {204, 0},
               {401, AVK_EX_NOPERM},  {403, AVK_EX_NOPERM},
               {429, AVK_EX_TEMPFAIL}, {500, AVK_EX_TEMPFAIL},
               {503, AVK_EX_TEMPFAIL}, {501, AVK_EX_UNAVAILABLE},
               {400, AVK_EX_DATAERR}, {422, AVK_EX_DATAERR},
               {404, AVK_EX_UNAVAILABLE}, {410, AVK_EX_UNAVAILABLE},
               {302, AVK_EX_UNAVAILABLE}};
    avk_http_req q;
    avk_http_resp r;
    avk_err e;
    size_t i;

    avk_http_req_init(&q, "GET", "https://h/p?key=QSECRET-123&x=1");
    avk_http_req_secret_header(&q, "xi-api-key", "HSECRET-456");
    avk_http_req_header(&q, "Authorization", "Bearer TOKEN-abcdefgh");
    avk_http_resp_init(&r);
    r.method = strdup("GET");
    r.url = strdup("https://h/p?key=REDACTED&x=1");
    for (i = 0; i < sizeof map / sizeof map[0]; i++) {
        char name[64];

        r.status = map[i].st;
        snprintf(name, sizeof name, "HTTP %ld maps to %d", map[i].st,
                 map[i].code);
        is_int(avk_http_status_error(&q, &r, NULL, NULL), map[i].code, name);
    }
    r.status = 401;
    avk_buf_adds(&r.body, "bad key HSECRET-456 and QSECRET-123 and "
                          "TOKEN-abcdefgh and Bearer TOKEN-abcdefgh\nmore");
    avk_http_status_error(&q, &r, NULL, &e);
    is_str(e.msg,
           "GET https://h/p?key=REDACTED&x=1: HTTP 401: bad key REDACTED and "
           "REDACTED and REDACTED and REDACTED",
           "detail from the body's first line, scrubbed");
    avk_http_status_error(&q, &r, "quota exceeded", &e);
    is_str(e.msg, "GET https://h/p?key=REDACTED&x=1: HTTP 401: quota exceeded",
           "given detail");
    avk_buf_reset(&r.body);
    {
        int k;

        for (k = 0; k < 195; k++)
            avk_buf_addc(&r.body, 'a');
    }
    avk_buf_adds(&r.body, "HSECRET-456 tail");
    avk_http_status_error(&q, &r, NULL, &e);
    ok(strstr(e.msg, "HSECR") == NULL && strstr(e.msg, "aaaaR") != NULL,
       "a secret across the detail's cut is scrubbed before the cut");
    avk_http_status_error(&q, &r, "line one\nline two", &e);
    is_str(e.msg,
           "GET https://h/p?key=REDACTED&x=1: HTTP 401: line one line two",
           "a multi-line detail becomes one line");
    avk_buf_reset(&r.body);
    avk_buf_add(&r.body, "\x89PNG\r\n", 6);
    avk_http_status_error(&q, &r, NULL, &e);
    is_str(e.msg, "GET https://h/p?key=REDACTED&x=1: HTTP 401",
           "binary body gives no detail");
    avk_fail(&e, AVK_EX_DATAERR, "provider said: HSECRET-456 QSECRET-123");
    avk_http_scrub_err(&q, &e);
    is_str(e.msg, "provider said: REDACTED REDACTED", "scrub_err");
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
}

static void test_resp(void)
{
    avk_http_resp r;
    avk_http_kv h[2] = {{"Content-Type", "application/json", 0},
                        {"retry-after", "5", 0}};
    json_t *j = NULL;
    avk_err e;

    avk_http_resp_init(&r);
    r.headers = h;
    r.nheaders = 2;
    is_str(avk_http_resp_header(&r, "RETRY-AFTER"), "5",
           "header lookup ignores case");
    ok(avk_http_resp_header(&r, "Location") == NULL, "missing header");
    r.headers = NULL;
    r.nheaders = 0;
    avk_buf_adds(&r.body, "{\"a\":1}");
    is_int(avk_http_resp_json(&r, &j, &e), 0, "JSON body parses");
    ok(j && json_integer_value(json_object_get(j, "a")) == 1, "JSON value");
    json_decref(j);
    avk_buf_reset(&r.body);
    avk_buf_adds(&r.body, "<html>");
    is_int(avk_http_resp_json(&r, &j, &e), AVK_EX_DATAERR,
           "non-JSON body is a data error");
    avk_http_resp_release(&r);
}

static void test_env(void)
{
    avk_http_opts o = avk_http_opts_default();
    avk_err e;

    is_int(o.max_attempts, 4, "default attempts");
    is_int(o.backoff_max_ms, 60000, "default backoff cap");
    setenv("AV_HTTP_MAX_ATTEMPTS", "2", 1);
    setenv("AV_HTTP_BACKOFF_MS", "5", 1);
    is_int(avk_http_opts_env(&o, &e), 0, "env applies");
    is_int(o.max_attempts, 2, "attempts from env");
    is_int(o.backoff_base_ms, 5, "backoff from env");
    setenv("AV_HTTP_STALL_MS", "fast", 1);
    is_int(avk_http_opts_env(&o, &e), AVK_EX_CONFIG, "bad env value");
    ok(strstr(e.msg, "AV_HTTP_STALL_MS") != NULL, "message names the variable");
    unsetenv("AV_HTTP_MAX_ATTEMPTS");
    unsetenv("AV_HTTP_BACKOFF_MS");
    unsetenv("AV_HTTP_STALL_MS");
}

static void test_config(void)
{
    avk_http_opts o = avk_http_opts_default();
    avk_config *c = avk_config_new_empty();
    avk_err e;

    avk_config_set(c, "http.max_attempts", "3", "env AV_HTTP_MAX_ATTEMPTS");
    avk_config_set(c, "http.stall_ms", "1500", "flag");
    avk_config_set(c, "http.ca_file", "/tmp/ca.pem", "flag");
    is_int(avk_http_opts_config(&o, c, &e), 0, "config applies");
    is_int(o.max_attempts, 3, "http.max_attempts");
    is_int(o.stall_ms, 1500, "http.stall_ms");
    is_str(o.ca_file, "/tmp/ca.pem", "http.ca_file");
    is_int(o.backoff_max_ms, 60000, "unset keys keep their values");
    avk_config_set(c, "http.backoff_ms", "soon", "env AV_HTTP_BACKOFF_MS");
    is_int(avk_http_opts_config(&o, c, &e), AVK_EX_CONFIG,
           "a non-number is a config error");
    is_str(e.msg,
           "bad value of http.backoff_ms (env AV_HTTP_BACKOFF_MS): want an "
           "integer >= 0",
           "message names the key and its source");
    avk_config_set(c, "http.backoff_ms", "5", "flag");
    avk_config_set(c, "http.max_attempts", "0", "flag");
    is_int(avk_http_opts_config(&o, c, &e), AVK_EX_CONFIG,
           "max_attempts 0 is refused");
    avk_config_free(c);

    /* AV_HTTP_* reach the "http" section through the config's env mapping */
    setenv("AV_HTTP_STALL_MS", "777", 1);
    c = NULL;
    if (avk_config_load(NULL, &c, &e) == 0) {
        o = avk_http_opts_default();
        is_int(avk_http_opts_config(&o, c, &e), 0, "loaded config applies");
        is_int(o.stall_ms, 777, "AV_HTTP_STALL_MS via the config");
    } else {
        ok(0, "config loads: %s", e.msg);
    }
    avk_config_free(c);
    unsetenv("AV_HTTP_STALL_MS");
}

int main(void)
{
    test_escape();
    test_query();
    test_redact();
    test_dates();
    test_retry_after();
    test_backoff();
    test_req();
    test_status_error();
    test_resp();
    test_env();
    test_config();
    return tap_done();
}
