/*
 * http_client - test driver for lib/http: performs one request described by
 * its arguments and prints the reply as one JSON line on stdout (also after
 * a failure, so tests can read "attempts").  Errors go to stderr as
 * "http_client: MESSAGE"; the exit status is avk_http_do()'s code, or with
 * --fail, avk_http_status_error()'s.
 *
 *   http_client [options] URL
 *     -X METHOD            request method (GET)
 *     -H 'Name: value'     header          -S 'Name: value'  secret header
 *     -Q NAME              secret query parameter name
 *     -d DATA [-t TYPE]    body            -j JSON           JSON body
 *     -F name=value        multipart field -F name=@path     file part
 *     -B PATH              body streamed from a file
 *     --range OFF:LEN      only bytes [OFF, OFF+LEN) of -B's file
 *     -o PATH              download the body to PATH
 *     -v                   log lines to stderr
 *     --attempts N --backoff MS --backoff-max MS --connect-timeout MS
 *     --timeout MS --reply-timeout MS --stall MS --retry-after-max MS
 *     --max-body N
 *     --follow N           follow up to N redirects
 *     --veto TEXT          retry_ok: a reply whose body contains TEXT is final
 *     --retry-also TEXT    retry_ok: a reply whose body contains TEXT is retried
 *     --fail               map a non-2xx status to an error
 *     --json               use avk_http_do_json (status error, JSON parse)
 *     --env                apply AV_HTTP_* from the environment
 *     --no-body            leave the body out of the JSON output
 *     --repeat N           perform the request N times (one JSON line each)
 *     --session            share connections between them (avk_http_session)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static void log_line(void *ud, const char *line)
{
    (void)ud;
    fprintf(stderr, "http_client: %s\n", line);
}

static int veto(const avk_http_resp *r, void *ud)
{
    const char *text = ud;

    if (r->body.data && strstr(r->body.data, text))
        return 0;
    return -1;
}

static int retry_also(const avk_http_resp *r, void *ud)
{
    const char *text = ud;

    if (r->body.data && strstr(r->body.data, text))
        return 1;
    return -1;
}

static int split_header(avk_http_req *q, const char *arg, int secret)
{
    const char *colon = strchr(arg, ':');
    char name[256];
    size_t n;

    if (!colon || (n = (size_t)(colon - arg)) >= sizeof name) {
        fprintf(stderr, "http_client: bad header '%s'\n", arg);
        return AVK_EX_USAGE;
    }
    memcpy(name, arg, n);
    name[n] = '\0';
    colon++;
    while (*colon == ' ')
        colon++;
    return secret ? avk_http_req_secret_header(q, name, colon)
                  : avk_http_req_header(q, name, colon);
}

static int add_part(avk_http_req *q, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char name[256];
    size_t n;

    if (!eq || (n = (size_t)(eq - arg)) >= sizeof name) {
        fprintf(stderr, "http_client: bad form part '%s'\n", arg);
        return AVK_EX_USAGE;
    }
    memcpy(name, arg, n);
    name[n] = '\0';
    if (eq[1] == '@')
        return avk_http_req_part_file(q, name, eq + 2, NULL,
                                      "application/octet-stream");
    return avk_http_req_part(q, name, eq + 1, strlen(eq + 1), NULL);
}

static void print_resp(const avk_http_resp *r, int with_body)
{
    json_t *o = json_object(), *h = json_object();
    size_t i;
    char *s;

    for (i = 0; i < r->nheaders; i++)
        json_object_set_new(h, r->headers[i].name,
                            json_string(r->headers[i].value));
    json_object_set_new(o, "status", json_integer(r->status));
    json_object_set_new(o, "attempts", json_integer(r->attempts));
    json_object_set_new(o, "bytes", json_integer(r->bytes));
    json_object_set_new(o, "ms", json_integer(r->ms));
    json_object_set_new(o, "method", json_string(r->method ? r->method : ""));
    json_object_set_new(o, "url", json_string(r->url ? r->url : ""));
    json_object_set_new(o, "downloaded", json_integer(r->downloaded));
    json_object_set_new(o, "sha256", json_string(r->sha256));
    json_object_set_new(o, "headers", h);
    if (with_body)
        json_object_set_new(o, "body",
                            json_stringn(r->body.data ? r->body.data : "",
                                         r->body.len));
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

int main(int argc, char **argv)
{
    enum { O_ATTEMPTS = 256, O_BACKOFF, O_BACKOFF_MAX, O_CONNECT, O_TIMEOUT,
           O_STALL, O_RA_MAX, O_MAX_BODY, O_FOLLOW, O_VETO, O_FAIL, O_ENV,
           O_NO_BODY, O_REPLY, O_RETRY_ALSO, O_JSON, O_RANGE, O_REPEAT,
           O_SESSION };
    static const struct option longs[] = {
        {"attempts", required_argument, NULL, O_ATTEMPTS},
        {"backoff", required_argument, NULL, O_BACKOFF},
        {"backoff-max", required_argument, NULL, O_BACKOFF_MAX},
        {"connect-timeout", required_argument, NULL, O_CONNECT},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"stall", required_argument, NULL, O_STALL},
        {"retry-after-max", required_argument, NULL, O_RA_MAX},
        {"max-body", required_argument, NULL, O_MAX_BODY},
        {"follow", required_argument, NULL, O_FOLLOW},
        {"veto", required_argument, NULL, O_VETO},
        {"fail", no_argument, NULL, O_FAIL},
        {"env", no_argument, NULL, O_ENV},
        {"no-body", no_argument, NULL, O_NO_BODY},
        {"reply-timeout", required_argument, NULL, O_REPLY},
        {"retry-also", required_argument, NULL, O_RETRY_ALSO},
        {"json", no_argument, NULL, O_JSON},
        {"range", required_argument, NULL, O_RANGE},
        {"repeat", required_argument, NULL, O_REPEAT},
        {"session", no_argument, NULL, O_SESSION},
        {NULL, 0, NULL, 0}};
    avk_http_opts o = avk_http_opts_default();
    avk_http_req q;
    avk_http_resp r;
    avk_err e;
    const char *method = "GET", *data = NULL, *type = NULL, *json = NULL;
    const char *out = NULL, *bodyfile = NULL;
    char **hdrs = calloc((size_t)argc, sizeof *hdrs);
    char **sec = calloc((size_t)argc, sizeof *sec);
    char **qs = calloc((size_t)argc, sizeof *qs);
    char **parts = calloc((size_t)argc, sizeof *parts);
    int nh = 0, ns = 0, nq = 0, np = 0, c, rc, i, fail = 0, env = 0;
    int with_body = 1;
    long long range_off = 0, range_len = -1;
    int repeat = 1, use_session = 0, k;
    avk_http_session *session = NULL;

    if (!hdrs || !sec || !qs || !parts)
        return AVK_EX_OSERR;
    avk_err_clear(&e);
    avk_http_req_init(&q, NULL, NULL);
    while ((c = getopt_long(argc, argv, "X:H:S:Q:d:t:j:F:B:o:v", longs,
                            NULL)) != -1) {
        switch (c) {
        case 'X': method = optarg; break;
        case 'H': hdrs[nh++] = optarg; break;
        case 'S': sec[ns++] = optarg; break;
        case 'Q': qs[nq++] = optarg; break;
        case 'd': data = optarg; break;
        case 't': type = optarg; break;
        case 'j': json = optarg; break;
        case 'F': parts[np++] = optarg; break;
        case 'B': bodyfile = optarg; break;
        case 'o': out = optarg; break;
        case 'v': o.log = log_line; break;
        case O_ATTEMPTS: o.max_attempts = atoi(optarg); break;
        case O_BACKOFF: o.backoff_base_ms = atol(optarg); break;
        case O_BACKOFF_MAX: o.backoff_max_ms = atol(optarg); break;
        case O_CONNECT: o.connect_timeout_ms = atol(optarg); break;
        case O_TIMEOUT: o.timeout_ms = atol(optarg); break;
        case O_STALL: o.stall_ms = atol(optarg); break;
        case O_REPLY: o.reply_timeout_ms = atol(optarg); break;
        case O_RA_MAX: o.retry_after_max_ms = atol(optarg); break;
        case O_MAX_BODY: q.max_body = atoll(optarg); break;
        case O_FOLLOW: q.max_redirects = atoi(optarg); break;
        case O_VETO:
            q.retry_ok = veto;
            q.retry_ud = optarg;
            break;
        case O_RETRY_ALSO:
            q.retry_ok = retry_also;
            q.retry_ud = optarg;
            break;
        case O_FAIL: fail = 1; break;
        case O_JSON: fail = 2; break;
        case O_REPEAT: repeat = atoi(optarg); break;
        case O_SESSION: use_session = 1; break;
        case O_RANGE:
            if (sscanf(optarg, "%lld:%lld", &range_off, &range_len) != 2) {
                fprintf(stderr, "http_client: bad --range '%s'\n", optarg);
                return AVK_EX_USAGE;
            }
            break;
        case O_ENV: env = 1; break;
        case O_NO_BODY: with_body = 0; break;
        default:
            fprintf(stderr, "usage: http_client [options] URL\n");
            return AVK_EX_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: http_client [options] URL\n");
        return AVK_EX_USAGE;
    }
    if (env && (rc = avk_http_opts_env(&o, &e))) {
        fprintf(stderr, "http_client: %s\n", e.msg);
        return rc;
    }
    free(q.method);
    free(q.url);
    q.method = strdup(method);
    q.url = strdup(argv[optind]);
    if (!q.method || !q.url)
        q.oom = 1;
    for (i = 0; i < nh; i++)
        if (split_header(&q, hdrs[i], 0) == AVK_EX_USAGE)
            return AVK_EX_USAGE;
    for (i = 0; i < ns; i++)
        if (split_header(&q, sec[i], 1) == AVK_EX_USAGE)
            return AVK_EX_USAGE;
    for (i = 0; i < nq; i++)
        avk_http_req_secret_query(&q, qs[i]);
    for (i = 0; i < np; i++)
        if (add_part(&q, parts[i]) == AVK_EX_USAGE)
            return AVK_EX_USAGE;
    if (data)
        avk_http_req_body(&q, data, strlen(data), type);
    if (json) {
        json_error_t je;
        json_t *j = json_loads(json, JSON_DECODE_ANY, &je);

        if (!j) {
            fprintf(stderr, "http_client: bad JSON: %s\n", je.text);
            return AVK_EX_USAGE;
        }
        avk_http_req_json(&q, j);
        json_decref(j);
    }
    if (bodyfile)
        avk_http_req_body_file(&q, bodyfile, range_off, range_len, type);
    if (out)
        avk_http_req_download(&q, out);
    free(hdrs);
    free(sec);
    free(qs);
    free(parts);

    if ((rc = avk_http_global_init(&e))) {
        fprintf(stderr, "http_client: %s\n", e.msg);
        return rc;
    }
    if (use_session && !(session = avk_http_session_new())) {
        fprintf(stderr, "http_client: out of memory\n");
        return AVK_EX_OSERR;
    }
    o.session = session;
    rc = 0;
    for (k = 0; k < repeat && !rc; k++) {
        if (fail == 2) {
            json_t *doc = NULL;

            rc = avk_http_do_json(&o, &q, &r, &doc, &e);
            json_decref(doc);
        } else {
            rc = avk_http_do(&o, &q, &r, &e);
            if (!rc && fail)
                rc = avk_http_status_error(&q, &r, NULL, &e);
        }
        print_resp(&r, with_body);
        if (rc)
            fprintf(stderr, "http_client: %s\n", e.msg);
        avk_http_resp_release(&r);
    }
    avk_http_req_release(&q);
    avk_http_session_free(session);
    avk_http_global_cleanup();
    return rc;
}
