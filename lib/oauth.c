/*
 * oauth.c - OAuth 2.0 flows and the credentials table (see oauth.h).
 *
 * Always holds: no token is ever put in an avk_err message (token
 * endpoint errors are reported by their "error" code only); the loopback
 * listener is bound to 127.0.0.1 and closed on every path; buffers that
 * held tokens are wiped before they are freed; a token file is only ever
 * created with mode 0600 and replaced atomically.
 */
#include "oauth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "hash.h"

#include <openssl/sha.h>

static void wipe_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

void avk_oauth_token_release(avk_oauth_token *t)
{
    wipe_free(t->access_token);
    wipe_free(t->refresh_token);
    free(t->scope);
    free(t->token_type);
    free(t->user_id);
    memset(t, 0, sizeof *t);
}

int avk_oauth_client_config(avk_oauth_client *c, const avk_config *cfg,
                            const char *provider, const avk_http_opts *http,
                            avk_err *err)
{
    char key[96];
    int google = !strcmp(provider, "youtube");
    int tiktok = !strcmp(provider, "tiktok");
    int fb = !strcmp(provider, "instagram");

    memset(c, 0, sizeof *c);
    snprintf(c->provider, sizeof c->provider, "%s", provider);
    c->http = http;
    c->dialect = tiktok ? AVK_OAUTH_TIKTOK
                 : fb   ? AVK_OAUTH_FACEBOOK
                        : AVK_OAUTH_GOOGLE;
#define DEF3(g, t, f) (google ? (g) : tiktok ? (t) : fb ? (f) : NULL)
#define GET(field, name, def)                                   \
    snprintf(key, sizeof key, "%s.%s", provider, name);         \
    c->field = avk_config_str(cfg, key, def)
    GET(graph_url, "base_url",
        fb ? "https://graph.facebook.com/v21.0" : NULL);
    GET(auth_url, "auth_url",
        DEF3("https://accounts.google.com/o/oauth2/v2/auth",
             "https://www.tiktok.com/v2/auth/authorize/",
             "https://www.facebook.com/v21.0/dialog/oauth"));
    GET(token_url, "token_url",
        DEF3("https://oauth2.googleapis.com/token",
             "https://open.tiktokapis.com/v2/oauth/token/", NULL));
    GET(device_url, "device_url",
        google ? "https://oauth2.googleapis.com/device/code" : NULL);
    GET(revoke_url, "revoke_url",
        DEF3("https://oauth2.googleapis.com/revoke",
             "https://open.tiktokapis.com/v2/oauth/revoke/", NULL));
    GET(client_id, tiktok ? "client_key" : "client_id", NULL);
    if (!c->client_id) {
        GET(client_id, "client_id", NULL);
    }
    GET(client_secret, "client_secret", NULL);
    GET(client_token, "client_token", NULL);
    GET(scope, "scope",
        DEF3("https://www.googleapis.com/auth/youtube.upload "
             "https://www.googleapis.com/auth/youtube.readonly",
             "user.info.basic,video.publish,video.upload",
             "instagram_basic,instagram_content_publish,pages_show_list,"
             "business_management"));
    GET(redirect_path, "redirect_path", tiktok ? "/callback/" : "/");
#undef GET
#undef DEF3
    snprintf(key, sizeof key, "%s.redirect_port", provider);
    c->redirect_port = (int)avk_config_num(cfg, key, 0);
    snprintf(key, sizeof key, "%s.pkce_challenge", provider);
    c->hex_challenge =
        !strcmp(avk_config_str(cfg, key, tiktok ? "hex" : "base64url"), "hex");
    if (c->redirect_port < 0 || c->redirect_port > 65535)
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s.redirect_port: %d is not a port", provider,
                        c->redirect_port);
    if (c->redirect_path[0] != '/' || strpbrk(c->redirect_path, "?# "))
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s.redirect_path '%s': a path starting with '/'",
                        provider, c->redirect_path);
    if (!c->auth_url || (!c->token_url && !(fb && c->graph_url)))
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s: no OAuth endpoints configured (%s.auth_url, "
                        "%s.token_url)",
                        provider, provider, provider);
    if (!c->client_id)
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s: no OAuth client; set %s.%s (and "
                        "%s.client_secret)",
                        provider, provider,
                        tiktok ? "client_key" : "client_id", provider);
    return 0;
}

static void b64url(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
    }
    out[o] = '\0';
}

int avk_pkce_verifier(char out[65])
{
    unsigned char r[48];

    if (avk_random_bytes(r, sizeof r))
        return AVK_EX_OSERR;
    b64url(r, sizeof r, out); /* 64 characters of [A-Za-z0-9-_] */
    return 0;
}

void avk_pkce_challenge(const char *verifier, char out[44])
{
    unsigned char d[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)verifier, strlen(verifier), d);
    b64url(d, sizeof d, out);
}

void avk_pkce_challenge_hex(const char *verifier, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    unsigned char d[SHA256_DIGEST_LENGTH];
    size_t i;

    SHA256((const unsigned char *)verifier, strlen(verifier), d);
    for (i = 0; i < sizeof d; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
}

static char *dup_str(const json_t *v)
{
    const char *s = json_string_value(v);
    return s ? strdup(s) : NULL;
}

/* The token endpoint: PROVIDER.token_url, or the Graph host's
 * /oauth/access_token for Facebook. */
static int token_endpoint(const avk_oauth_client *c, avk_buf *out)
{
    avk_buf_init(out);
    if (c->token_url)
        return avk_buf_adds(out, c->token_url);
    if (c->graph_url)
        return avk_buf_printf(out, "%s/oauth/access_token", c->graph_url);
    return AVK_EX_CONFIG;
}

/* The error code of a token reply: {"error":"invalid_grant"} (RFC 6749,
 * TikTok) or Graph's {"error":{"type":..,"code":190}}, where 190 (an
 * invalid or expired token) is reported as invalid_grant and the device
 * login subcodes by their RFC 8628 names.  "" when none. */
static void error_code(const json_t *j, char *code, size_t cap)
{
    json_t *e = json_object_get(j, "error");

    code[0] = '\0';
    if (json_is_string(e)) {
        if (strcmp(json_string_value(e), "ok") != 0)
            snprintf(code, cap, "%s", json_string_value(e));
    } else if (json_is_object(e)) {
        json_t *n = json_object_get(e, "code");
        json_t *sub = json_object_get(e, "error_subcode");
        const char *ty = json_string_value(json_object_get(e, "type"));
        if (json_is_string(n)) {
            if (strcmp(json_string_value(n), "ok") != 0)
                snprintf(code, cap, "%s", json_string_value(n));
        } else if (json_integer_value(n) == 190) {
            snprintf(code, cap, "invalid_grant");
        } else if (json_integer_value(sub) == 1349174) {
            snprintf(code, cap, "authorization_pending");
        } else if (json_integer_value(sub) == 1349172) {
            snprintf(code, cap, "slow_down");
        } else if (json_integer_value(sub) == 1349152) {
            snprintf(code, cap, "expired_token");
        } else {
            snprintf(code, cap, "%s %lld", ty ? ty : "error",
                     (long long)json_integer_value(n));
        }
    }
}

/* Send a request that carries tokens (the form, or a secret header) and
 * parse a token reply into out, or put the error code into code[] and
 * fail.  at: the URL, NULL for the token endpoint.  The form is wiped. */
static int token_call(const avk_oauth_client *c, const char *at,
                      avk_buf *form, avk_oauth_token *out, char *code,
                      size_t cap, avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    avk_buf url;
    json_t *j = NULL;
    char ecode[64];
    int rc;

    if (code)
        code[0] = '\0';
    if (at ? (avk_buf_init(&url), avk_buf_adds(&url, at))
           : token_endpoint(c, &url)) {
        avk_buf_release(&url);
        memset(form->data, 0, form->len);
        return avk_fail(err, AVK_EX_CONFIG, "%s: no token endpoint",
                        c->provider);
    }
    avk_http_req_init(&q, "POST", url.data);
    avk_buf_release(&url);
    avk_http_req_body(&q, form->data, form->len,
                      "application/x-www-form-urlencoded");
    rc = avk_http_do(c->http, &q, &r, err);
    if (!rc) {
        j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
        error_code(j, ecode, sizeof ecode);
        if (r.status < 200 || r.status >= 300 || ecode[0]) {
            if (code)
                snprintf(code, cap, "%s", ecode);
            rc = avk_fail(err,
                          r.status >= 500 ? AVK_EX_TEMPFAIL : AVK_EX_NOPERM,
                          "%s: token endpoint: HTTP %ld%s%s", c->provider,
                          r.status, ecode[0] ? ": " : "", ecode);
        } else if (!json_string_value(json_object_get(j, "access_token"))) {
            rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                          "%s: token endpoint: no access_token", c->provider);
        } else if (out) {
            json_t *exp = json_object_get(j, "expires_in");
            char *refresh = dup_str(json_object_get(j, "refresh_token"));
            char *scope = dup_str(json_object_get(j, "scope"));
            char *uid = dup_str(json_object_get(j, "open_id"));
            wipe_free(out->access_token);
            out->access_token = dup_str(json_object_get(j, "access_token"));
            if (refresh) {
                wipe_free(out->refresh_token);
                out->refresh_token = refresh;
            }
            if (scope) {
                free(out->scope);
                out->scope = scope;
            }
            if (uid) {
                free(out->user_id);
                out->user_id = uid;
            }
            free(out->token_type);
            out->token_type = dup_str(json_object_get(j, "token_type"));
            /* Graph sends expires_in as a number or, at times, a string */
            if (json_is_string(exp))
                out->expires_at = (long long)time(NULL) +
                                  strtoll(json_string_value(exp), NULL, 10);
            else
                out->expires_at = json_is_number(exp)
                                      ? (long long)time(NULL) +
                                            (long long)json_number_value(exp)
                                      : 0;
            if (!out->access_token)
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
        json_decref(j);
        if (r.body.data)
            memset(r.body.data, 0, r.body.len);
    }
    avk_http_resp_release(&r);
    if (form->data)
        memset(form->data, 0, form->len);
    avk_http_req_release(&q);
    return rc;
}

static int add_client(avk_buf *form, const avk_oauth_client *c)
{
    int rc = avk_form_add(form, c->dialect == AVK_OAUTH_TIKTOK ? "client_key"
                                                               : "client_id",
                          c->client_id);
    if (!rc && c->client_secret)
        rc = avk_form_add(form, "client_secret", c->client_secret);
    return rc;
}

/* Value of query parameter name in the request target q (URL-decoded). */
static int query_param(const char *q, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    const char *line = strchr(q, ' ');
    const char *end = line ? strchr(line + 1, ' ') : NULL;
    const char *p = strchr(q, '?');

    out[0] = '\0';
    if (!p || !end || p > end)
        return 0; /* only the request target's query counts */
    while (p) {
        p++;
        if (!strncmp(p, name, n) && p[n] == '=') {
            size_t o = 0;
            p += n + 1;
            while (*p && *p != '&' && *p != ' ' && o + 1 < cap) {
                if (*p == '%' && p[1] && p[2]) {
                    char hx[3] = {p[1], p[2], 0};
                    out[o++] = (char)strtol(hx, NULL, 16);
                    p += 3;
                } else {
                    out[o++] = *p == '+' ? ' ' : *p;
                    p++;
                }
            }
            out[o] = '\0';
            return 1;
        }
        p = strpbrk(p, "& ");
        if (p && *p == ' ')
            break;
    }
    return 0;
}

static void reply(int fd, int status, const char *text)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain; "
                     "charset=utf-8\r\nContent-Length: %zu\r\nConnection: "
                     "close\r\n\r\n%s",
                     status, status == 200 ? "OK" : "Bad Request",
                     strlen(text), text);
    if (n > 0 && write(fd, buf, (size_t)n) < 0) {
        /* the browser went away; nothing to do */
    }
}

/* Facebook: exchange t's token for a long-lived one (60 days when the
 * reply gives no expiry). */
static int fb_long_lived(const avk_oauth_client *c, avk_oauth_token *t,
                         char *code, size_t cap, avk_err *err)
{
    avk_buf form;
    int rc;

    avk_buf_init(&form);
    if (avk_form_add(&form, "grant_type", "fb_exchange_token") ||
        add_client(&form, c) ||
        avk_form_add(&form, "fb_exchange_token", t->access_token)) {
        if (form.data)
            memset(form.data, 0, form.len);
        avk_buf_release(&form);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = token_call(c, NULL, &form, t, code, cap, err);
    avk_buf_release(&form);
    if (!rc && !t->expires_at)
        t->expires_at = (long long)time(NULL) + 60LL * 86400;
    return rc;
}

/* A Graph GET with the token in the Authorization header. */
static int graph_get(const avk_oauth_client *c, const char *token,
                     const char *path, json_t **out, avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    avk_buf url, auth;
    int rc;

    *out = NULL;
    avk_buf_init(&url);
    avk_buf_init(&auth);
    if (avk_buf_printf(&url, "%s%s", c->graph_url, path) ||
        avk_buf_printf(&auth, "Bearer %s", token)) {
        avk_buf_release(&url);
        if (auth.data)
            memset(auth.data, 0, auth.len);
        avk_buf_release(&auth);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&q, "GET", url.data);
    rc = avk_http_req_secret_header(&q, "Authorization", auth.data);
    memset(auth.data, 0, auth.len);
    avk_buf_release(&auth);
    avk_buf_release(&url);
    if (!rc)
        rc = avk_http_do_json(c->http, &q, &r, out, err);
    else
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

/* Facebook: the first Page with an Instagram business account. */
static int fb_ig_account(const avk_oauth_client *c, avk_oauth_token *t,
                         avk_err *err)
{
    json_t *j = NULL, *data;
    size_t i;
    int rc;

    if (!c->graph_url)
        return 0;
    rc = graph_get(c, t->access_token,
                   "/me/accounts?fields=instagram_business_account,name", &j,
                   err);
    if (rc)
        return avk_err_prefix(err, "%s: finding the Instagram account",
                              c->provider);
    data = json_object_get(j, "data");
    for (i = 0; i < json_array_size(data) && !t->user_id; i++) {
        json_t *ig = json_object_get(json_array_get(data, i),
                                     "instagram_business_account");
        const char *id = json_string_value(json_object_get(ig, "id"));
        if (id && !(t->user_id = strdup(id)))
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    json_decref(j);
    return rc;
}

int avk_oauth_login_loopback(const avk_oauth_client *c,
                             void (*show)(void *ud, const char *url),
                             void *ud, long long timeout_ms,
                             avk_oauth_token *out, avk_err *err)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    char verifier[65], challenge[65], state[65], redirect[160];
    char code[1024], got_state[128], error[128];
    avk_buf url, form;
    long long t0 = avk_mono_ms();
    int fd, rc = 0, done = 0, r;
    int tiktok = c->dialect == AVK_OAUTH_TIKTOK;
    const char *path = c->redirect_path ? c->redirect_path : "/";

    memset(out, 0, sizeof *out);
    if (avk_pkce_verifier(verifier) || avk_pkce_verifier(state))
        return avk_fail(err, AVK_EX_OSERR, "no random bytes");
    state[32] = '\0';
    if (c->hex_challenge)
        avk_pkce_challenge_hex(verifier, challenge);
    else
        avk_pkce_challenge(verifier, challenge);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return avk_fail(err, AVK_EX_OSERR, "socket: %s", strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((unsigned short)c->redirect_port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        int e = errno;
        close(fd);
        return avk_fail(err, AVK_EX_OSERR, "cannot listen on 127.0.0.1:%d: %s",
                        c->redirect_port, strerror(e));
    }
    /* Google's registered loopback redirect has no path */
    snprintf(redirect, sizeof redirect, "http://127.0.0.1:%d%s",
             ntohs(sa.sin_port), strcmp(path, "/") ? path : "");
    avk_buf_init(&url);
    r = avk_buf_adds(&url, c->auth_url) ||
        avk_url_add_query(&url, tiktok ? "client_key" : "client_id",
                          c->client_id) ||
        avk_url_add_query(&url, "redirect_uri", redirect) ||
        avk_url_add_query(&url, "response_type", "code") ||
        avk_url_add_query(&url, "scope", c->scope ? c->scope : "") ||
        avk_url_add_query(&url, "code_challenge", challenge) ||
        avk_url_add_query(&url, "code_challenge_method", "S256") ||
        avk_url_add_query(&url, "state", state);
    if (!r && c->dialect == AVK_OAUTH_GOOGLE)
        r = avk_url_add_query(&url, "access_type", "offline") ||
            avk_url_add_query(&url, "prompt", "consent");
    if (r) {
        close(fd);
        avk_buf_release(&url);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    show(ud, url.data);
    avk_buf_release(&url);
    while (!done) {
        struct pollfd p = {fd, POLLIN, 0};
        long long left = timeout_ms - (avk_mono_ms() - t0);
        char req[8192];
        size_t have = 0;
        int cfd;

        if (left <= 0) {
            rc = avk_fail(err, AVK_EX_TEMPFAIL,
                          "%s: no answer from the browser in time",
                          c->provider);
            break;
        }
        if (poll(&p, 1, (int)(left > 60000 ? 60000 : left)) <= 0)
            continue;
        cfd = accept(fd, NULL, NULL);
        if (cfd < 0)
            continue;
        while (have + 1 < sizeof req) {
            struct pollfd cp = {cfd, POLLIN, 0};
            ssize_t n;
            if (poll(&cp, 1, 5000) <= 0)
                break;
            n = read(cfd, req + have, sizeof req - 1 - have);
            if (n <= 0)
                break;
            have += (size_t)n;
            req[have] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        req[have] = '\0';
        if (strncmp(req, "GET /", 5) != 0 ||
            !query_param(req, "state", got_state, sizeof got_state) ||
            strcmp(got_state, state) != 0) {
            reply(cfd, 400, "Not the request av-publish is waiting for.\n");
            close(cfd);
            continue;
        }
        if (query_param(req, "error", error, sizeof error)) {
            reply(cfd, 200, "Authorisation refused. You can close this "
                            "window.\n");
            close(cfd);
            rc = avk_fail(err, AVK_EX_NOPERM, "%s: authorisation refused: %s",
                          c->provider, error);
            break;
        }
        if (!query_param(req, "code", code, sizeof code) || !code[0]) {
            reply(cfd, 400, "No code in the request.\n");
            close(cfd);
            continue;
        }
        memset(req, 0, sizeof req);
        reply(cfd, 200, "av-publish is authorised. You can close this "
                        "window.\n");
        close(cfd);
        done = 1;
    }
    close(fd);
    if (rc)
        return rc;
    avk_buf_init(&form);
    if (avk_form_add(&form, "code", code) || add_client(&form, c) ||
        avk_form_add(&form, "code_verifier", verifier) ||
        avk_form_add(&form, "grant_type", "authorization_code") ||
        avk_form_add(&form, "redirect_uri", redirect))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    else
        rc = token_call(c, NULL, &form, out, NULL, 0, err);
    memset(code, 0, sizeof code);
    if (form.data)
        memset(form.data, 0, form.len);
    avk_buf_release(&form);
    if (!rc && c->dialect == AVK_OAUTH_FACEBOOK) {
        free(out->scope); /* Graph sends none: keep what was asked */
        out->scope = NULL;
        rc = fb_long_lived(c, out, NULL, 0, err);
        if (!rc)
            rc = fb_ig_account(c, out, err);
    }
    if (!rc && !out->scope && c->scope && !(out->scope = strdup(c->scope)))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (rc)
        avk_oauth_token_release(out);
    return rc;
}

/* The form that identifies the client in the device flow: Google's
 * client_id (+ secret), or Facebook's access_token=APP_ID|CLIENT_TOKEN. */
static int device_client(avk_buf *form, const avk_oauth_client *c, int poll)
{
    avk_buf b;
    int rc;

    if (c->dialect != AVK_OAUTH_FACEBOOK)
        return poll ? add_client(form, c)
                    : avk_form_add(form, "client_id", c->client_id);
    avk_buf_init(&b);
    rc = avk_buf_printf(&b, "%s|%s", c->client_id, c->client_token);
    if (!rc)
        rc = avk_form_add(form, "access_token", b.data);
    if (b.data)
        memset(b.data, 0, b.len);
    avk_buf_release(&b);
    return rc;
}

int avk_oauth_login_device(const avk_oauth_client *c,
                           void (*show)(void *ud, const char *url,
                                        const char *code),
                           void *ud, avk_oauth_token *out, avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    avk_buf form, durl, purl;
    json_t *j = NULL;
    char *device_code = NULL;
    long long interval = 5, deadline;
    int fb = c->dialect == AVK_OAUTH_FACEBOOK, rc;

    memset(out, 0, sizeof *out);
    if (c->dialect == AVK_OAUTH_TIKTOK)
        return avk_fail(err, AVK_EX_USAGE,
                        "%s: the device flow is not offered; log in through "
                        "the browser (without --device)",
                        c->provider);
    if (fb && !c->client_token)
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s: the device flow needs the app's client token; "
                        "set %s.client_token",
                        c->provider, c->provider);
    avk_buf_init(&durl);
    avk_buf_init(&purl);
    if (c->device_url)
        rc = avk_buf_adds(&durl, c->device_url);
    else if (fb && c->graph_url)
        rc = avk_buf_printf(&durl, "%s/device/login", c->graph_url);
    else
        return avk_fail(err, AVK_EX_CONFIG, "%s: no device flow endpoint",
                        c->provider);
    if (!rc && fb)
        rc = avk_buf_printf(&purl, "%s_status", durl.data);
    avk_buf_init(&form);
    if (rc || device_client(&form, c, 0) ||
        avk_form_add(&form, "scope", c->scope ? c->scope : "")) {
        avk_buf_release(&durl);
        avk_buf_release(&purl);
        if (form.data)
            memset(form.data, 0, form.len);
        avk_buf_release(&form);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&q, "POST", durl.data);
    avk_http_req_body(&q, form.data, form.len,
                      "application/x-www-form-urlencoded");
    memset(form.data, 0, form.len);
    avk_buf_release(&form);
    avk_buf_release(&durl);
    rc = avk_http_do_json(c->http, &q, &r, &j, err);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    if (rc) {
        avk_buf_release(&purl);
        return rc;
    }
    {
        const char *vurl = json_string_value(json_object_get(j, "verification_url"));
        const char *ucode = json_string_value(json_object_get(j, "user_code"));
        json_t *iv = json_object_get(j, "interval");
        json_t *ex = json_object_get(j, "expires_in");
        if (!vurl)
            vurl = json_string_value(json_object_get(j, "verification_uri"));
        device_code =
            dup_str(json_object_get(j, fb ? "code" : "device_code"));
        if (!vurl || !ucode || !device_code) {
            json_decref(j);
            wipe_free(device_code);
            avk_buf_release(&purl);
            return avk_fail(err, AVK_EX_UNAVAILABLE,
                            "%s: device code reply incomplete", c->provider);
        }
        if (json_is_number(iv) && json_number_value(iv) >= 1)
            interval = (long long)json_number_value(iv);
        deadline = avk_mono_ms() +
                   (json_is_number(ex) ? (long long)json_number_value(ex) : 1800) *
                       1000;
        show(ud, vurl, ucode);
    }
    json_decref(j);
    for (;;) {
        char code[64];
        avk_sleep_ms(interval * 1000);
        if (avk_mono_ms() > deadline) {
            rc = avk_fail(err, AVK_EX_NOPERM, "%s: the device code expired",
                          c->provider);
            break;
        }
        avk_buf_init(&form);
        if (device_client(&form, c, 1) ||
            avk_form_add(&form, fb ? "code" : "device_code", device_code) ||
            (!fb && avk_form_add(&form, "grant_type",
                                 "urn:ietf:params:oauth:grant-type:"
                                 "device_code"))) {
            if (form.data)
                memset(form.data, 0, form.len);
            avk_buf_release(&form);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        rc = token_call(c, fb ? purl.data : NULL, &form, out, code,
                        sizeof code, err);
        avk_buf_release(&form);
        if (!rc)
            break;
        if (!strcmp(code, "authorization_pending"))
            continue;
        if (!strcmp(code, "slow_down")) {
            interval += 5;
            continue;
        }
        break; /* access_denied, expired_token, anything else */
    }
    wipe_free(device_code);
    avk_buf_release(&purl);
    if (!rc && fb) {
        if (c->client_secret)
            rc = fb_long_lived(c, out, NULL, 0, err);
        if (!rc)
            rc = fb_ig_account(c, out, err);
    }
    if (!rc && !out->scope && c->scope && !(out->scope = strdup(c->scope)))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (rc)
        avk_oauth_token_release(out);
    return rc;
}

int avk_oauth_refresh(const avk_oauth_client *c, avk_oauth_token *t,
                      avk_err *err)
{
    avk_buf form;
    char code[64] = "";
    int rc;

    if (!c->client_id)
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s: the stored token must be refreshed, but there is "
                        "no OAuth client (%s.%s)",
                        c->provider, c->provider,
                        c->dialect == AVK_OAUTH_TIKTOK ? "client_key"
                                                       : "client_id");
    if (c->dialect == AVK_OAUTH_FACEBOOK) {
        if (!t->access_token ||
            (t->expires_at && t->expires_at <= (long long)time(NULL)))
            return avk_fail(err, AVK_EX_NOPERM,
                            "%s: the long-lived token expired; run "
                            "'av-publish login %s'",
                            c->provider, c->provider);
        rc = fb_long_lived(c, t, code, sizeof code, err);
    } else {
        if (!t->refresh_token)
            return avk_fail(err, AVK_EX_NOPERM,
                            "%s: the token expired and there is no refresh "
                            "token; run 'av-publish login %s'",
                            c->provider, c->provider);
        avk_buf_init(&form);
        if (avk_form_add(&form, "grant_type", "refresh_token") ||
            avk_form_add(&form, "refresh_token", t->refresh_token) ||
            add_client(&form, c)) {
            if (form.data)
                memset(form.data, 0, form.len);
            avk_buf_release(&form);
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
        rc = token_call(c, NULL, &form, t, code, sizeof code, err);
        avk_buf_release(&form);
    }
    if (rc && !strcmp(code, "invalid_grant"))
        rc = avk_fail(err, AVK_EX_NOPERM,
                      "%s: the authorisation was revoked or expired "
                      "(invalid_grant); run 'av-publish login %s'",
                      c->provider, c->provider);
    return rc;
}

int avk_oauth_revoke(const avk_oauth_client *c, const char *token,
                     avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    avk_buf form, url;
    int rc;

    avk_buf_init(&form);
    avk_buf_init(&url);
    if (c->dialect == AVK_OAUTH_FACEBOOK) {
        /* DELETE /me/permissions takes back every permission */
        if (c->revoke_url)
            rc = avk_buf_adds(&url, c->revoke_url);
        else if (c->graph_url)
            rc = avk_buf_printf(&url, "%s/me/permissions", c->graph_url);
        else
            return 0;
        if (rc || avk_buf_printf(&form, "Bearer %s", token)) {
            if (form.data)
                memset(form.data, 0, form.len);
            avk_buf_release(&form);
            avk_buf_release(&url);
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
        avk_http_req_init(&q, "DELETE", url.data);
        rc = avk_http_req_secret_header(&q, "Authorization", form.data);
    } else {
        if (!c->revoke_url) {
            avk_buf_release(&url);
            return 0;
        }
        rc = avk_form_add(&form, "token", token);
        if (!rc && c->dialect == AVK_OAUTH_TIKTOK)
            rc = add_client(&form, c);
        avk_http_req_init(&q, "POST", c->revoke_url);
        if (!rc)
            rc = avk_http_req_body(&q, form.data, form.len,
                                   "application/x-www-form-urlencoded");
    }
    if (form.data)
        memset(form.data, 0, form.len);
    avk_buf_release(&form);
    avk_buf_release(&url);
    if (rc) {
        avk_http_req_release(&q);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = avk_http_do(c->http, &q, &r, err);
    /* 400 (Graph: 400/401 with code 190): already invalid, fine */
    if (!rc && r.status != 400 &&
        !(c->dialect == AVK_OAUTH_FACEBOOK && r.status == 401))
        rc = avk_http_status_error(&q, &r, NULL, err);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

/* ---- credentials table ---- */

int avk_cred_put(avk_store *s, const char *provider, const char *account,
                 const avk_oauth_token *t, avk_err *err)
{
    avk_stmt *st = NULL;
    char now[32];
    int rc;

    avk_now_iso(now);
    if ((rc = avk_stmt_prepare(
             s,
             "INSERT INTO credentials (provider, account, access_token,"
             " refresh_token, token_type, scope, expires_at, created_at,"
             " updated_at, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
             " ?8, ?9) ON CONFLICT (provider, account) DO UPDATE SET"
             " access_token = excluded.access_token,"
             " refresh_token = coalesce(excluded.refresh_token, refresh_token),"
             " token_type = excluded.token_type, scope = coalesce("
             "excluded.scope, scope), expires_at = excluded.expires_at,"
             " updated_at = excluded.updated_at,"
             " user_id = coalesce(excluded.user_id, user_id)",
             &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, provider);
    avk_stmt_bind_text(st, 2, account);
    avk_stmt_bind_text(st, 3, t->access_token);
    avk_stmt_bind_text(st, 4, t->refresh_token);
    avk_stmt_bind_text(st, 5, t->token_type);
    avk_stmt_bind_text(st, 6, t->scope);
    if (t->expires_at)
        avk_stmt_bind_int(st, 7, t->expires_at);
    else
        avk_stmt_bind_null(st, 7);
    avk_stmt_bind_text(st, 8, now);
    avk_stmt_bind_text(st, 9, t->user_id);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

#define CRED_SELECT                                                        \
    "SELECT c.provider, c.account, c.access_token, c.refresh_token,"       \
    " c.token_type, c.scope, c.expires_at, c.user_id FROM credentials c"

static int row_token(avk_stmt *st, avk_oauth_token *t)
{
    memset(t, 0, sizeof *t);
#define COL(i, f)                                                          \
    if (!avk_stmt_is_null(st, i) && !(t->f = strdup(avk_stmt_text(st, i)))) \
        return AVK_EX_OSERR;
    COL(2, access_token)
    COL(3, refresh_token)
    COL(4, token_type)
    COL(5, scope)
    COL(7, user_id)
#undef COL
    t->expires_at = avk_stmt_is_null(st, 6) ? 0 : avk_stmt_int(st, 6);
    return 0;
}

int avk_cred_get(avk_store *s, const char *provider, const char *account,
                 avk_oauth_token *t, int *found, avk_err *err)
{
    avk_stmt *st = NULL;
    int rc;

    memset(t, 0, sizeof *t);
    *found = 0;
    if ((rc = avk_stmt_prepare(s,
                               CRED_SELECT " WHERE c.provider = ? AND"
                                           " c.account = ?",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, provider);
    avk_stmt_bind_text(st, 2, account);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        *found = 1;
        rc = row_token(st, t);
        if (rc) {
            avk_oauth_token_release(t);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
    } else if (rc == AVK_STMT_DONE) {
        rc = 0;
    }
    avk_stmt_free(st);
    return rc;
}

int avk_cred_delete(avk_store *s, const char *provider, const char *account,
                    avk_err *err)
{
    avk_stmt *st = NULL;
    int rc;

    if ((rc = avk_stmt_prepare(s,
                               "DELETE FROM credentials WHERE provider = ?"
                               " AND account = ?",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, provider);
    avk_stmt_bind_text(st, 2, account);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

/* ---- token file ---- */

/* The file's JSON ({"version":1,"accounts":{"PROVIDER/ACCOUNT":{..}}});
 * an empty one when the file does not exist. */
static int file_load(const char *path, json_t **out, avk_err *err)
{
    struct stat sb;
    avk_buf b;
    json_t *j;
    int fd, rc;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno != ENOENT)
            return avk_fail(err, errno == ELOOP ? AVK_EX_CONFIG : AVK_EX_IOERR,
                            "cannot open token file '%s': %s", path,
                            strerror(errno));
        *out = json_pack("{s:i, s:{}}", "version", 1, "accounts");
        return *out ? 0 : avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if (fstat(fd, &sb) != 0) {
        rc = avk_fail(err, AVK_EX_IOERR, "cannot stat token file '%s': %s",
                      path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) || sb.st_uid != geteuid()) {
        close(fd);
        if (!S_ISREG(sb.st_mode))
            return avk_fail(err, AVK_EX_CONFIG,
                            "token file '%s' is not a regular file", path);
        if (sb.st_uid != geteuid())
            return avk_fail(err, AVK_EX_CONFIG,
                            "token file '%s' belongs to another user; "
                            "refusing to use it",
                            path);
        return avk_fail(err, AVK_EX_CONFIG,
                        "token file '%s' may be read by others (mode %04o); "
                        "refusing to use it: run 'chmod 600 %s'",
                        path, (unsigned)(sb.st_mode & 07777), path);
    }
    avk_buf_init(&b);
    rc = avk_buf_read_fd(&b, fd);
    close(fd);
    if (rc) {
        avk_buf_release(&b);
        return avk_fail(err, AVK_EX_IOERR, "cannot read token file '%s'",
                        path);
    }
    j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    if (b.data)
        memset(b.data, 0, b.len);
    avk_buf_release(&b);
    if (!json_is_object(j) || !json_is_object(json_object_get(j, "accounts"))) {
        json_decref(j);
        return avk_fail(err, AVK_EX_DATAERR,
                        "token file '%s' is not a token file of av-publish",
                        path);
    }
    *out = j;
    return 0;
}

static int file_save(const char *path, const json_t *j, avk_err *err)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    char *dir;
    int rc;

    if (!text)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    dir = avk_dirname(path);
    rc = dir ? avk_mkdirs(dir, 0700, err)
             : avk_fail(err, AVK_EX_OSERR, "out of memory");
    free(dir);
    if (!rc)
        rc = avk_write_file_atomic(path, text, strlen(text), 0600, err);
    memset(text, 0, strlen(text));
    free(text);
    if (!rc && chmod(path, 0600) != 0)
        rc = avk_fail(err, AVK_EX_IOERR, "cannot chmod '%s': %s", path,
                      strerror(errno));
    return rc;
}

/* An exclusive advisory lock on PATH.lock for a read-modify-write. */
static int file_lock(const char *path, avk_err *err)
{
    avk_buf b;
    int fd;

    avk_buf_init(&b);
    if (avk_buf_printf(&b, "%s.lock", path)) {
        avk_buf_release(&b);
        return -avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    {
        char *dir = avk_dirname(path);
        if (dir)
            avk_mkdirs(dir, 0700, NULL);
        free(dir);
    }
    fd = open(b.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        fd = -avk_fail(err, AVK_EX_IOERR, "cannot lock '%s': %s", b.data,
                       strerror(e));
    }
    avk_buf_release(&b);
    return fd;
}

static char *entry_key(const char *provider, const char *account)
{
    avk_buf b;

    avk_buf_init(&b);
    if (avk_buf_printf(&b, "%s/%s", provider, account)) {
        avk_buf_release(&b);
        return NULL;
    }
    return avk_buf_detach(&b);
}

static int entry_token(const json_t *e, avk_oauth_token *t)
{
    json_t *x = json_object_get(e, "expires_at");

    memset(t, 0, sizeof *t);
#define F(f)                                                               \
    if (json_is_string(json_object_get(e, #f)) &&                          \
        !(t->f = dup_str(json_object_get(e, #f))))                         \
        return AVK_EX_OSERR;
    F(access_token)
    F(refresh_token)
    F(token_type)
    F(scope)
    F(user_id)
#undef F
    t->expires_at = json_is_integer(x) ? (long long)json_integer_value(x) : 0;
    return 0;
}

static int set_str(json_t *e, const char *k, const char *v, int keep)
{
    if (!v)
        return keep ? 0 : json_object_set_new(e, k, json_null());
    return json_object_set_new(e, k, json_string(v));
}

/* file_put with the lock already held. */
static int file_put_locked(const char *path, const char *provider,
                           const char *account, const avk_oauth_token *t,
                           avk_err *err)
{
    json_t *j = NULL, *acc, *e;
    char *key = entry_key(provider, account);
    char now[32];
    int rc;

    if (!key)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = file_load(path, &j, err);
    if (!rc) {
        acc = json_object_get(j, "accounts");
        e = json_object_get(acc, key);
        if (!json_is_object(e)) {
            e = json_object();
            if (json_object_set_new(acc, key, e))
                e = NULL;
        }
        avk_now_iso(now);
        if (!e || json_object_set_new(e, "provider", json_string(provider)) ||
            json_object_set_new(e, "account", json_string(account)) ||
            set_str(e, "access_token", t->access_token, 0) ||
            set_str(e, "refresh_token", t->refresh_token, 1) ||
            set_str(e, "token_type", t->token_type, 0) ||
            set_str(e, "scope", t->scope, 1) ||
            set_str(e, "user_id", t->user_id, 1) ||
            json_object_set_new(e, "expires_at",
                                t->expires_at ? json_integer(t->expires_at)
                                              : json_null()) ||
            json_object_set_new(e, "updated_at", json_string(now)))
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        else
            rc = file_save(path, j, err);
    }
    json_decref(j);
    free(key);
    return rc;
}

static int file_put(const char *path, const char *provider,
                    const char *account, const avk_oauth_token *t,
                    avk_err *err)
{
    int lock = file_lock(path, err), rc;

    if (lock < 0)
        return -lock;
    rc = file_put_locked(path, provider, account, t, err);
    close(lock);
    return rc;
}

static int file_delete(const char *path, const char *provider,
                       const char *account, avk_err *err)
{
    json_t *j = NULL;
    char *key = entry_key(provider, account);
    int lock, rc;

    if (!key)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if ((lock = file_lock(path, err)) < 0) {
        free(key);
        return -lock;
    }
    rc = file_load(path, &j, err);
    if (!rc && !json_object_del(json_object_get(j, "accounts"), key))
        rc = file_save(path, j, err);
    json_decref(j);
    close(lock);
    free(key);
    return rc;
}

int avk_creds_put(const avk_creds *cs, const char *provider,
                  const char *account, const avk_oauth_token *t,
                  avk_err *err)
{
    if (cs->file)
        return file_put(cs->file, provider, account, t, err);
    return avk_cred_put(cs->store, provider, account, t, err);
}

int avk_creds_get(const avk_creds *cs, const char *provider,
                  const char *account, avk_oauth_token *t, int *found,
                  avk_err *err)
{
    json_t *j = NULL, *e;
    char *key;
    int rc;

    if (!cs->file)
        return avk_cred_get(cs->store, provider, account, t, found, err);
    memset(t, 0, sizeof *t);
    *found = 0;
    if ((rc = file_load(cs->file, &j, err)))
        return rc;
    if (!(key = entry_key(provider, account))) {
        json_decref(j);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    e = json_object_get(json_object_get(j, "accounts"), key);
    if (json_is_object(e)) {
        *found = 1;
        if (entry_token(e, t)) {
            avk_oauth_token_release(t);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
    }
    free(key);
    json_decref(j);
    return rc;
}

int avk_creds_delete(const avk_creds *cs, const char *provider,
                     const char *account, avk_err *err)
{
    if (cs->file)
        return file_delete(cs->file, provider, account, err);
    return avk_cred_delete(cs->store, provider, account, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int avk_creds_list(const avk_creds *cs,
                   int (*fn)(void *ud, const char *provider,
                             const char *account, const avk_oauth_token *t),
                   void *ud, avk_err *err)
{
    avk_oauth_token t;
    int rc;

    if (cs->file) {
        json_t *j = NULL, *acc;
        const char **keys = NULL;
        size_t n, i = 0;
        const char *name;
        json_t *v;

        if ((rc = file_load(cs->file, &j, err)))
            return rc;
        acc = json_object_get(j, "accounts");
        n = json_object_size(acc);
        keys = calloc(n ? n : 1, sizeof *keys);
        if (!keys) {
            json_decref(j);
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
        json_object_foreach(acc, name, v) {
            if (name && i < n)
                keys[i++] = name;
        }
        n = i;
        /* sorted by "provider/account" */
        qsort(keys, n, sizeof *keys, cmp_str);
        for (i = 0, rc = 0; i < n && !rc; i++) {
            json_t *e = json_object_get(acc, keys[i]);
            const char *p = json_string_value(json_object_get(e, "provider"));
            const char *a = json_string_value(json_object_get(e, "account"));
            if (!p || !a)
                continue;
            if (entry_token(e, &t))
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            else
                rc = fn(ud, p, a, &t);
            avk_oauth_token_release(&t);
        }
        free(keys);
        json_decref(j);
        return rc;
    }
    {
        avk_stmt *st = NULL;
        if ((rc = avk_stmt_prepare(cs->store,
                                   CRED_SELECT
                                   " ORDER BY c.provider, c.account",
                                   &st, err)))
            return rc;
        while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
            if (row_token(st, &t))
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            else
                rc = fn(ud, avk_stmt_text(st, 0), avk_stmt_text(st, 1), &t);
            avk_oauth_token_release(&t);
            if (rc)
                break;
        }
        avk_stmt_free(st);
        return rc == AVK_STMT_DONE ? 0 : rc;
    }
}

static int needs_refresh(const avk_oauth_token *t, long long min_valid_s)
{
    return !t->access_token ||
           (t->expires_at &&
            t->expires_at - min_valid_s <= (long long)time(NULL));
}

typedef struct refresh_ctx {
    const avk_creds *cs;
    const avk_oauth_client *c;
    const char *account;
    long long min_valid_s;
    avk_oauth_token *out;
    int *found;
} refresh_ctx;

/* With the credentials locked (a write transaction, or the token file's
 * lock): read the account again and refresh it only when no other process
 * did meanwhile, so that a rotating refresh token is used once. */
static int refresh_locked(refresh_ctx *x, avk_err *err)
{
    int rc;

    avk_oauth_token_release(x->out);
    if ((rc = avk_creds_get(x->cs, x->c->provider, x->account, x->out,
                            x->found, err)))
        return rc;
    if (!*x->found || !needs_refresh(x->out, x->min_valid_s))
        return 0;
    if ((rc = avk_oauth_refresh(x->c, x->out, err)))
        return rc;
    return x->cs->file ? file_put_locked(x->cs->file, x->c->provider,
                                         x->account, x->out, err)
                       : avk_cred_put(x->cs->store, x->c->provider,
                                      x->account, x->out, err);
}

static int refresh_tx(avk_store *s, void *ud, avk_err *err)
{
    (void)s;
    return refresh_locked(ud, err);
}

int avk_oauth_access_token(const avk_creds *cs, const avk_oauth_client *c,
                           const char *account, long long min_valid_s,
                           avk_oauth_token *out, int *found, avk_err *err)
{
    refresh_ctx x = {cs, c, account, min_valid_s, out, found};
    int rc;

    if ((rc = avk_creds_get(cs, c->provider, account, out, found, err)))
        return rc;
    if (!*found)
        return 0;
    if (needs_refresh(out, min_valid_s)) {
        if (cs->file) {
            int lock = file_lock(cs->file, err);
            if (lock < 0) {
                rc = -lock;
            } else {
                rc = refresh_locked(&x, err);
                close(lock);
            }
        } else {
            rc = avk_store_tx(cs->store, refresh_tx, &x, err);
        }
    }
    if (!rc && *found && !out->access_token)
        rc = avk_fail(err, AVK_EX_NOPERM,
                      "%s: no access token; run 'av-publish login %s'",
                      c->provider, c->provider);
    if (rc)
        avk_oauth_token_release(out);
    return rc;
}
