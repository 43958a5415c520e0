/*
 * oauth.h - OAuth 2.0 for the publish accounts: authorisation code with
 * PKCE through a one-shot loopback listener on 127.0.0.1, the device
 * flow, refresh before expiry, revocation, and the store's credentials
 * table.
 *
 * What always holds: tokens travel only in form bodies and secret
 * headers (never in a URL except the revocation call, whose parameter
 * is marked secret), never appear in an error message, and are stored
 * only in the credentials table.  The loopback listener binds 127.0.0.1
 * only, answers one request carrying the expected state and closes.
 */
#ifndef AVK_OAUTH_H
#define AVK_OAUTH_H

#include "config.h"
#include "err.h"
#include "http.h"
#include "store.h"

typedef struct avk_oauth_client {
    char provider[32];
    const char *auth_url, *token_url, *device_url, *revoke_url; /* borrowed */
    const char *client_id, *client_secret, *scope;              /* borrowed */
    const avk_http_opts *http;
} avk_oauth_client;

typedef struct avk_oauth_token {
    char *access_token, *refresh_token, *scope, *token_type;
    long long expires_at; /* unix seconds, 0 = unknown */
} avk_oauth_token;

void avk_oauth_token_release(avk_oauth_token *t);

/* Endpoints and client from the configuration (PROVIDER.auth_url,
 * .token_url, .device_url, .revoke_url, .client_id, .client_secret,
 * .scope), with Google's defaults for youtube.  Fails with AVK_EX_CONFIG
 * when there is no client_id or the provider is unknown. */
int avk_oauth_client_config(avk_oauth_client *c, const avk_config *cfg,
                            const char *provider, const avk_http_opts *http,
                            avk_err *err);

/* PKCE: a 64-character verifier from [A-Za-z0-9-._~] and its S256
 * challenge (base64url without padding).  0 or AVK_EX_OSERR. */
int avk_pkce_verifier(char out[65]);
void avk_pkce_challenge(const char *verifier, char out[44]);

/* Authorisation code flow: listen on 127.0.0.1 (free port), call
 * show(ud, url) with the authorisation URL (the caller prints it and may
 * open a browser), wait up to timeout_ms for the redirect, check state,
 * exchange the code with the verifier.  Fails with AVK_EX_NOPERM
 * (access_denied, a token error), AVK_EX_TEMPFAIL (timeout), AVK_EX_OSERR. */
int avk_oauth_login_loopback(const avk_oauth_client *c,
                             void (*show)(void *ud, const char *url),
                             void *ud, long long timeout_ms,
                             avk_oauth_token *out, avk_err *err);

/* Device flow: ask for a code, call show(ud, verification_url, user_code),
 * poll the token endpoint at the given interval (slow_down adds 5 s)
 * until success, access_denied or expired_token. */
int avk_oauth_login_device(const avk_oauth_client *c,
                           void (*show)(void *ud, const char *url,
                                        const char *code),
                           void *ud, avk_oauth_token *out, avk_err *err);

/* Refresh with t->refresh_token; fills t's access token, expiry and
 * scope.  invalid_grant gives AVK_EX_NOPERM "log in again". */
int avk_oauth_refresh(const avk_oauth_client *c, avk_oauth_token *t,
                      avk_err *err);
/* Revoke a token (refresh token preferred by the caller). */
int avk_oauth_revoke(const avk_oauth_client *c, const char *token,
                     avk_err *err);

/* Credentials table. */
int avk_cred_put(avk_store *s, const char *provider, const char *account,
                 const avk_oauth_token *t, avk_err *err);
/* *found = 0 when there is no row (t then zeroed). */
int avk_cred_get(avk_store *s, const char *provider, const char *account,
                 avk_oauth_token *t, int *found, avk_err *err);
int avk_cred_delete(avk_store *s, const char *provider, const char *account,
                    avk_err *err);

/* A valid access token for provider's account: refreshed (and stored)
 * when it expires within min_valid_s.  *token is newly allocated (caller
 * wipes and frees it).  Fails with AVK_EX_NOPERM when there is no account
 * or the refresh is refused. */
int avk_oauth_access_token(avk_store *s, const avk_oauth_client *c,
                           const char *account, long long min_valid_s,
                           char **token, avk_err *err);

#endif
