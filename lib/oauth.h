/*
 * oauth.h - OAuth 2.0 for the publish accounts: authorisation code with
 * PKCE through a one-shot loopback listener on 127.0.0.1, the device
 * flow, refresh before expiry, revocation, and the store's credentials
 * table.
 *
 * Three dialects: Google (youtube), TikTok Login Kit v2 (tiktok:
 * client_key, comma-separated scopes, hex-encoded S256 challenge, rotating
 * refresh tokens, open_id) and Facebook Login (instagram: no refresh
 * token; the long-lived user token is exchanged again before it expires;
 * the Instagram business account id is looked up at login).
 *
 * What always holds: tokens travel only in form bodies and secret
 * headers (never in a URL), never appear in an error message, and are
 * stored only in the credentials table or in a token file of mode 0600
 * (avk_creds).  The loopback listener binds 127.0.0.1 only, answers one
 * request carrying the expected state and closes.
 */
#ifndef AVK_OAUTH_H
#define AVK_OAUTH_H

#include "config.h"
#include "err.h"
#include "http.h"
#include "store.h"

enum { AVK_OAUTH_GOOGLE, AVK_OAUTH_TIKTOK, AVK_OAUTH_FACEBOOK };

typedef struct avk_oauth_client {
    char provider[32];
    int dialect;                                                /* AVK_OAUTH_* */
    const char *auth_url, *token_url, *device_url, *revoke_url; /* borrowed */
    const char *graph_url;  /* Facebook: Graph base (/me/accounts) */
    const char *client_id, *client_secret, *scope;              /* borrowed */
    const char *client_token; /* Facebook device flow: the app's client token */
    const char *redirect_path; /* loopback path ("/" or "/callback/") */
    int redirect_port;         /* 0: any free port */
    int hex_challenge;         /* TikTok desktop: hex SHA-256 challenge */
    const avk_http_opts *http;
} avk_oauth_client;

typedef struct avk_oauth_token {
    char *access_token, *refresh_token, *scope, *token_type;
    long long expires_at; /* unix seconds, 0 = unknown */
    char *user_id;        /* TikTok open_id, Instagram business account id */
} avk_oauth_token;

void avk_oauth_token_release(avk_oauth_token *t);

/* Endpoints and client from the configuration (PROVIDER.auth_url,
 * .token_url, .device_url, .revoke_url, .client_id (tiktok: .client_key),
 * .client_secret, .scope, .redirect_port, .redirect_path; instagram also
 * .base_url for the Graph calls and .client_token for the device flow), with the platform's defaults for
 * youtube, tiktok and instagram.  Fails with AVK_EX_CONFIG when there is
 * no client id or no endpoints. */
int avk_oauth_client_config(avk_oauth_client *c, const avk_config *cfg,
                            const char *provider, const avk_http_opts *http,
                            avk_err *err);

/* PKCE: a 64-character verifier from [A-Za-z0-9-._~] and its S256
 * challenge (base64url without padding).  0 or AVK_EX_OSERR. */
int avk_pkce_verifier(char out[65]);
void avk_pkce_challenge(const char *verifier, char out[44]);
/* TikTok's desktop variant: SHA-256 of the verifier in lowercase hex. */
void avk_pkce_challenge_hex(const char *verifier, char out[65]);

/* Authorisation code flow: listen on 127.0.0.1 (free port), call
 * show(ud, url) with the authorisation URL (the caller prints it and may
 * open a browser), wait up to timeout_ms for the redirect, check state,
 * exchange the code with the verifier.  Facebook: the short-lived token is
 * then exchanged for a long-lived one, and out->user_id is the first
 * Instagram business account of /me/accounts (NULL when none).  Fails with
 * AVK_EX_NOPERM (access_denied, a token error), AVK_EX_TEMPFAIL
 * (timeout), AVK_EX_OSERR. */
int avk_oauth_login_loopback(const avk_oauth_client *c,
                             void (*show)(void *ud, const char *url),
                             void *ud, long long timeout_ms,
                             avk_oauth_token *out, avk_err *err);

/* Device flow: ask for a code, call show(ud, verification_url, user_code),
 * poll the token endpoint at the given interval (slow_down adds 5 s)
 * until success, access_denied or expired_token.  Google: RFC 8628 at
 * device_url.  Facebook: POST device_url (GRAPH/device/login) with
 * access_token=APP_ID|CLIENT_TOKEN, poll device_url + "_status"; error
 * subcodes 1349174 (pending), 1349172 (slow down), 1349152 (expired); then
 * as the loopback flow (long-lived exchange when there is a client
 * secret, the Instagram account).  TikTok fails with AVK_EX_USAGE ("not
 * offered"); Facebook without PROVIDER.client_token with AVK_EX_CONFIG. */
int avk_oauth_login_device(const avk_oauth_client *c,
                           void (*show)(void *ud, const char *url,
                                        const char *code),
                           void *ud, avk_oauth_token *out, avk_err *err);

/* Refresh with t->refresh_token (Facebook: exchange the still valid
 * access token for a new long-lived one); fills t's tokens, expiry and
 * scope.  invalid_grant (Facebook: error code 190, or an expired token)
 * gives AVK_EX_NOPERM "log in again". */
int avk_oauth_refresh(const avk_oauth_client *c, avk_oauth_token *t,
                      avk_err *err);
/* Revoke a token (refresh token preferred by the caller; Facebook: the
 * access token, by DELETE /me/permissions). */
int avk_oauth_revoke(const avk_oauth_client *c, const char *token,
                     avk_err *err);

/* Credentials table (the store's; user_id lives in the meta table under
 * "credential.PROVIDER.ACCOUNT.user_id": it is no secret). */
int avk_cred_put(avk_store *s, const char *provider, const char *account,
                 const avk_oauth_token *t, avk_err *err);
/* *found = 0 when there is no row (t then zeroed). */
int avk_cred_get(avk_store *s, const char *provider, const char *account,
                 avk_oauth_token *t, int *found, avk_err *err);
int avk_cred_delete(avk_store *s, const char *provider, const char *account,
                    avk_err *err);

/* Where tokens live: the store's credentials table, or (file set) a JSON
 * file of mode 0600 written atomically (temp file 0600, fsync, rename)
 * under an advisory lock on FILE.lock.  Reading a token file that group
 * or others may read, or that another user owns, fails with
 * AVK_EX_CONFIG. */
typedef struct avk_creds {
    avk_store *store; /* borrowed */
    const char *file; /* borrowed; NULL: the credentials table */
} avk_creds;

int avk_creds_put(const avk_creds *cs, const char *provider,
                  const char *account, const avk_oauth_token *t,
                  avk_err *err);
int avk_creds_get(const avk_creds *cs, const char *provider,
                  const char *account, avk_oauth_token *t, int *found,
                  avk_err *err);
int avk_creds_delete(const avk_creds *cs, const char *provider,
                     const char *account, avk_err *err);
/* Calls fn for every stored account, ordered by provider and account;
 * a non-zero return of fn stops the walk and is returned. */
int avk_creds_list(const avk_creds *cs,
                   int (*fn)(void *ud, const char *provider,
                             const char *account, const avk_oauth_token *t),
                   void *ud, avk_err *err);

/* A valid token for provider's account, refreshed (and stored) when it
 * expires within min_valid_s.  The refresh runs with the credentials
 * locked (a write transaction, or the token file's lock) after reading
 * the account again, so concurrent processes never spend a rotating
 * refresh token twice.  *found = 0 and 0 returned when there is no
 * account (out zeroed).  out is the caller's to release.  Fails with
 * AVK_EX_NOPERM when the refresh is refused. */
int avk_oauth_access_token(const avk_creds *cs, const avk_oauth_client *c,
                           const char *account, long long min_valid_s,
                           avk_oauth_token *out, int *found, avk_err *err);

#endif
