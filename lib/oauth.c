/*
 * oauth.c - OAuth 2.0 flows and the credentials table (see oauth.h).
 *
 * Always holds: no token is ever put in an avk_err message (token
 * endpoint errors are reported by their "error" code only); the loopback
 * listener is bound to 127.0.0.1 and closed on every path.
 */
#include "oauth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
    memset(t, 0, sizeof *t);
}

int avk_oauth_client_config(avk_oauth_client *c, const avk_config *cfg,
                            const char *provider, const avk_http_opts *http,
                            avk_err *err)
{
    char key[96];
    int google = !strcmp(provider, "youtube");

    memset(c, 0, sizeof *c);
    snprintf(c->provider, sizeof c->provider, "%s", provider);
    c->http = http;
#define GET(field, name, def)                                   \
    snprintf(key, sizeof key, "%s.%s", provider, name);         \
    c->field = avk_config_str(cfg, key, def)
    GET(auth_url, "auth_url",
        google ? "https://accounts.google.com/o/oauth2/v2/auth" : NULL);
    GET(token_url, "token_url",
        google ? "https://oauth2.googleapis.com/token" : NULL);
    GET(device_url, "device_url",
        google ? "https://oauth2.googleapis.com/device/code" : NULL);
    GET(revoke_url, "revoke_url",
        google ? "https://oauth2.googleapis.com/revoke" : NULL);
    GET(client_id, "client_id", NULL);
    GET(client_secret, "client_secret", NULL);
    GET(scope, "scope",
        google ? "https://www.googleapis.com/auth/youtube.upload "
                 "https://www.googleapis.com/auth/youtube.readonly"
               : NULL);
#undef GET
    if (!c->token_url || !c->auth_url)
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s: no OAuth endpoints configured (%s.auth_url, "
                        "%s.token_url)",
                        provider, provider, provider);
    if (!c->client_id)
        return avk_fail(err, AVK_EX_CONFIG,
                        "%s: no OAuth client; set %s.client_id (and "
                        "%s.client_secret)",
                        provider, provider, provider);
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

static char *dup_str(const json_t *v)
{
    const char *s = json_string_value(v);
    return s ? strdup(s) : NULL;
}

/* POST a form to the token endpoint; parse a token reply into out, or
 * put the "error" code into code[] and fail. */
static int token_call(const avk_oauth_client *c, const char *url,
                      const avk_buf *form, avk_oauth_token *out, char *code,
                      size_t cap, avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    json_t *j = NULL;
    int rc;

    if (code)
        code[0] = '\0';
    avk_http_req_init(&q, "POST", url);
    avk_http_req_body(&q, form->data, form->len,
                      "application/x-www-form-urlencoded");
    rc = avk_http_do(c->http, &q, &r, err);
    if (!rc) {
        j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
        if (r.status < 200 || r.status >= 300 ||
            json_object_get(j, "error")) {
            const char *e = json_string_value(json_object_get(j, "error"));
            if (code)
                snprintf(code, cap, "%s", e ? e : "");
            rc = avk_fail(err,
                          r.status >= 500 ? AVK_EX_TEMPFAIL : AVK_EX_NOPERM,
                          "%s: token endpoint: HTTP %ld%s%s", c->provider,
                          r.status, e ? ": " : "", e ? e : "");
        } else if (!json_string_value(json_object_get(j, "access_token"))) {
            rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                          "%s: token endpoint: no access_token", c->provider);
        } else if (out) {
            json_t *exp = json_object_get(j, "expires_in");
            char *refresh = dup_str(json_object_get(j, "refresh_token"));
            char *scope = dup_str(json_object_get(j, "scope"));
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
            free(out->token_type);
            out->token_type = dup_str(json_object_get(j, "token_type"));
            out->expires_at =
                json_is_number(exp)
                    ? (long long)time(NULL) + (long long)json_number_value(exp)
                    : 0;
            if (!out->access_token)
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
        if (j) {
            /* the body held tokens: wipe the parsed copy's source */
            json_decref(j);
        }
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
    int rc = avk_form_add(form, "client_id", c->client_id);
    if (!rc && c->client_secret)
        rc = avk_form_add(form, "client_secret", c->client_secret);
    return rc;
}

/* Value of query parameter name in the request target q (URL-decoded). */
static int query_param(const char *q, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    const char *p = strchr(q, '?');

    out[0] = '\0';
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
        p = strchr(p, '&');
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

int avk_oauth_login_loopback(const avk_oauth_client *c,
                             void (*show)(void *ud, const char *url),
                             void *ud, long long timeout_ms,
                             avk_oauth_token *out, avk_err *err)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    char verifier[65], challenge[44], state[65], redirect[64];
    char code[1024], got_state[128], error[128];
    avk_buf url, form;
    long long t0 = avk_mono_ms();
    int fd, rc = 0, done = 0;

    memset(out, 0, sizeof *out);
    if (avk_pkce_verifier(verifier) || avk_pkce_verifier(state))
        return avk_fail(err, AVK_EX_OSERR, "no random bytes");
    state[32] = '\0';
    avk_pkce_challenge(verifier, challenge);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return avk_fail(err, AVK_EX_OSERR, "socket: %s", strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(fd);
        return avk_fail(err, AVK_EX_OSERR, "cannot listen on 127.0.0.1: %s",
                        strerror(errno));
    }
    snprintf(redirect, sizeof redirect, "http://127.0.0.1:%d",
             ntohs(sa.sin_port));
    avk_buf_init(&url);
    if (avk_buf_adds(&url, c->auth_url) ||
        avk_url_add_query(&url, "client_id", c->client_id) ||
        avk_url_add_query(&url, "redirect_uri", redirect) ||
        avk_url_add_query(&url, "response_type", "code") ||
        avk_url_add_query(&url, "scope", c->scope ? c->scope : "") ||
        avk_url_add_query(&url, "code_challenge", challenge) ||
        avk_url_add_query(&url, "code_challenge_method", "S256") ||
        avk_url_add_query(&url, "state", state) ||
        avk_url_add_query(&url, "access_type", "offline") ||
        avk_url_add_query(&url, "prompt", "consent")) {
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
        rc = token_call(c, c->token_url, &form, out, NULL, 0, err);
    memset(code, 0, sizeof code);
    avk_buf_release(&form);
    return rc;
}

int avk_oauth_login_device(const avk_oauth_client *c,
                           void (*show)(void *ud, const char *url,
                                        const char *code),
                           void *ud, avk_oauth_token *out, avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    avk_buf form;
    json_t *j = NULL;
    char *device_code = NULL;
    long long interval = 5, deadline;
    int rc;

    memset(out, 0, sizeof *out);
    if (!c->device_url)
        return avk_fail(err, AVK_EX_CONFIG, "%s: no device flow endpoint",
                        c->provider);
    avk_buf_init(&form);
    if (avk_form_add(&form, "client_id", c->client_id) ||
        avk_form_add(&form, "scope", c->scope ? c->scope : "")) {
        avk_buf_release(&form);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&q, "POST", c->device_url);
    avk_http_req_body(&q, form.data, form.len,
                      "application/x-www-form-urlencoded");
    avk_buf_release(&form);
    rc = avk_http_do_json(c->http, &q, &r, &j, err);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    if (rc)
        return rc;
    {
        const char *vurl = json_string_value(json_object_get(j, "verification_url"));
        const char *ucode = json_string_value(json_object_get(j, "user_code"));
        json_t *iv = json_object_get(j, "interval");
        json_t *ex = json_object_get(j, "expires_in");
        if (!vurl)
            vurl = json_string_value(json_object_get(j, "verification_uri"));
        device_code = dup_str(json_object_get(j, "device_code"));
        if (!vurl || !ucode || !device_code) {
            json_decref(j);
            free(device_code);
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
        if (add_client(&form, c) ||
            avk_form_add(&form, "device_code", device_code) ||
            avk_form_add(&form, "grant_type",
                         "urn:ietf:params:oauth:grant-type:device_code")) {
            avk_buf_release(&form);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        rc = token_call(c, c->token_url, &form, out, code, sizeof code, err);
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
    return rc;
}

int avk_oauth_refresh(const avk_oauth_client *c, avk_oauth_token *t,
                      avk_err *err)
{
    avk_buf form;
    char code[64];
    int rc;

    if (!t->refresh_token)
        return avk_fail(err, AVK_EX_NOPERM,
                        "%s: the token expired and there is no refresh "
                        "token; run 'av-publish login %s'",
                        c->provider, c->provider);
    avk_buf_init(&form);
    if (avk_form_add(&form, "grant_type", "refresh_token") ||
        avk_form_add(&form, "refresh_token", t->refresh_token) ||
        add_client(&form, c)) {
        avk_buf_release(&form);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = token_call(c, c->token_url, &form, t, code, sizeof code, err);
    avk_buf_release(&form);
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
    avk_buf form;
    int rc;

    if (!c->revoke_url)
        return 0;
    avk_buf_init(&form);
    if (avk_form_add(&form, "token", token)) {
        avk_buf_release(&form);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_http_req_init(&q, "POST", c->revoke_url);
    avk_http_req_body(&q, form.data, form.len,
                      "application/x-www-form-urlencoded");
    memset(form.data, 0, form.len);
    avk_buf_release(&form);
    rc = avk_http_do(c->http, &q, &r, err);
    if (!rc && r.status != 400) /* 400: already invalid, fine */
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
             " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
             " ON CONFLICT (provider, account) DO UPDATE SET"
             " access_token = excluded.access_token,"
             " refresh_token = coalesce(excluded.refresh_token, refresh_token),"
             " token_type = excluded.token_type, scope = coalesce("
             "excluded.scope, scope), expires_at = excluded.expires_at,"
             " updated_at = excluded.updated_at",
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
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_cred_get(avk_store *s, const char *provider, const char *account,
                 avk_oauth_token *t, int *found, avk_err *err)
{
    avk_stmt *st = NULL;
    int rc;

    memset(t, 0, sizeof *t);
    *found = 0;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT access_token, refresh_token,"
                               " token_type, scope, expires_at FROM"
                               " credentials WHERE provider = ? AND"
                               " account = ?",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, provider);
    avk_stmt_bind_text(st, 2, account);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        *found = 1;
        if (!avk_stmt_is_null(st, 0))
            t->access_token = strdup(avk_stmt_text(st, 0));
        if (!avk_stmt_is_null(st, 1))
            t->refresh_token = strdup(avk_stmt_text(st, 1));
        t->token_type = strdup(avk_stmt_text(st, 2));
        t->scope = strdup(avk_stmt_text(st, 3));
        t->expires_at = avk_stmt_int(st, 4);
        rc = 0;
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

int avk_oauth_access_token(avk_store *s, const avk_oauth_client *c,
                           const char *account, long long min_valid_s,
                           char **token, avk_err *err)
{
    avk_oauth_token t;
    int found = 0, rc;

    *token = NULL;
    if ((rc = avk_cred_get(s, c->provider, account, &t, &found, err)))
        return rc;
    if (!found) {
        avk_oauth_token_release(&t);
        return avk_fail(err, AVK_EX_NOPERM,
                        "%s: no account; run 'av-publish login %s'",
                        c->provider, c->provider);
    }
    if (!t.access_token ||
        (t.expires_at && t.expires_at - min_valid_s <= (long long)time(NULL))) {
        rc = avk_oauth_refresh(c, &t, err);
        if (!rc)
            rc = avk_cred_put(s, c->provider, account, &t, err);
    }
    if (!rc && t.access_token) {
        *token = strdup(t.access_token);
        if (!*token)
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    } else if (!rc) {
        rc = avk_fail(err, AVK_EX_NOPERM,
                      "%s: no access token; run 'av-publish login %s'",
                      c->provider, c->provider);
    }
    avk_oauth_token_release(&t);
    return rc;
}
