/*
 * fuzz_http.c - libFuzzer target for the pure parts of lib/http: HTTP
 * dates, Retry-After, URL redaction and escaping, query building, and the
 * status-error message built from a hostile reply body.  Invariants:
 * parsers answer -1 or a non-negative number; a redacted URL and every
 * error message are one line; a secret header value never appears in a
 * message; an escaped string holds only unreserved characters and %XX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define SECRET "fuzz-secret-token-8d2f"

static void no_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < ' ')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), *names[] = {"sid", "x-tok"};
    avk_http_req q;
    avk_http_resp r;
    avk_buf b;
    avk_err e;
    size_t i;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    if (avk_http_parse_date(s) < -1 || avk_http_retry_after_ms(s, 0) < -1)
        abort();

    avk_buf_init(&b);
    if (avk_url_redact(&b, s, names, 2) == 0 && b.data)
        no_control(b.data);
    avk_buf_reset(&b);
    if (avk_url_escape(&b, (const char *)data, size) == 0 && b.data)
        for (i = 0; i < b.len; i++) {
            char c = b.data[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                  c == '_' || c == '~' || c == '%'))
                abort();
        }
    avk_buf_reset(&b);
    avk_buf_adds(&b, "https://h/p");
    avk_url_add_query(&b, s, s);
    avk_buf_release(&b);

    /* the body is the input; the request carries a secret header and the
     * input as its URL (with secret query names) */
    avk_http_req_init(&q, "GET", s);
    avk_http_req_secret_header(&q, "Authorization", "Bearer " SECRET);
    avk_http_req_secret_query(&q, "sid");
    avk_http_resp_init(&r);
    r.status = 400 + (long)(size % 200);
    avk_buf_add(&r.body, data, size);
    avk_buf_adds(&r.body, " " SECRET);
    b.data = NULL;
    avk_buf_init(&b);
    avk_url_redact(&b, s, q.secret_query, q.nsecret_query);
    r.url = avk_buf_detach(&b);
    r.method = strdup("GET");
    avk_err_clear(&e);
    avk_http_status_error(&q, &r, NULL, &e);
    no_control(e.msg);
    if (strstr(e.msg, SECRET))
        abort();
    avk_http_status_error(&q, &r, r.body.data, &e);
    no_control(e.msg);
    if (strstr(e.msg, SECRET))
        abort();
    avk_fail(&e, AVK_EX_DATAERR, "%s", r.body.data);
    avk_http_scrub_err(&q, &e);
    if (strstr(e.msg, SECRET))
        abort();
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    free(s);
    return 0;
}

#include "replay_main.h"
