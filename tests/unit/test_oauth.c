/* test_oauth - PKCE challenges (RFC 7636's example, both encodings), the
 * client dialects from the configuration, and the 0600 token file: write,
 * read, list, delete, and the refusal of a file others may read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "oauth.h"
#include "tap.h"

static int count_cb(void *ud, const char *provider, const char *account,
                    const avk_oauth_token *t)
{
    int *n = ud;
    (void)account;
    (*n)++;
    if (*n == 1)
        ok(!strcmp(provider, "instagram") && t->user_id &&
               !strcmp(t->user_id, "178"),
           "list: instagram first, with its account id");
    return 0;
}

int main(void)
{
    const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    char ch[65], verifier[65], dir[] = "/tmp/test_oauth.XXXXXX", path[256];
    avk_err err = {0, ""};
    avk_config *cfg = NULL;
    avk_oauth_client c;
    avk_oauth_token t, got;
    avk_creds cs = {NULL, path};
    struct stat sb;
    int found = 0, n = 0, rc;

    avk_pkce_challenge(v, ch);
    is_str(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
           "S256 challenge, base64url (RFC 7636 appendix B)");
    avk_pkce_challenge_hex(v, ch);
    is_str(ch,
           "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3",
           "S256 challenge, hex (TikTok desktop)");
    ok(avk_pkce_verifier(verifier) == 0 && strlen(verifier) == 64 &&
           strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                            "wxyz0123456789-_") == 64,
       "verifier: 64 unreserved characters");

    /* dialects */
    if (!(cfg = avk_config_new_empty())) {
        ok(0, "config");
        return tap_done();
    }
    avk_config_set(cfg, "tiktok.client_key", "ck", "test");
    avk_config_set(cfg, "instagram.client_id", "app", "test");
    rc = avk_oauth_client_config(&c, cfg, "tiktok", NULL, &err);
    ok(rc == 0 && c.dialect == AVK_OAUTH_TIKTOK && c.hex_challenge &&
           !strcmp(c.client_id, "ck") && !strcmp(c.redirect_path, "/callback/") &&
           strstr(c.scope, "video.publish,"),
       "tiktok: client_key, hex challenge, /callback/, comma scopes");
    rc = avk_oauth_client_config(&c, cfg, "instagram", NULL, &err);
    ok(rc == 0 && c.dialect == AVK_OAUTH_FACEBOOK && !c.hex_challenge &&
           !c.token_url && !strcmp(c.graph_url, "https://graph.facebook.com/v21.0"),
       "instagram: Facebook dialect on the Graph host");
    rc = avk_oauth_client_config(&c, cfg, "youtube", NULL, &err);
    is_int(rc, AVK_EX_CONFIG, "youtube without a client: config error");
    avk_config_set(cfg, "tiktok.redirect_path", "cb", "test");
    rc = avk_oauth_client_config(&c, cfg, "tiktok", NULL, &err);
    is_int(rc, AVK_EX_CONFIG, "a redirect path without '/' is refused");
    avk_config_free(cfg);

    /* the token file */
    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return tap_done();
    }
    snprintf(path, sizeof path, "%s/sub/tokens.json", dir);
    memset(&t, 0, sizeof t);
    t.access_token = "acc-1";
    t.refresh_token = "ref-1";
    t.scope = "a,b";
    t.expires_at = 2000000000;
    rc = avk_creds_put(&cs, "tiktok", "default", &t, &err);
    ok(rc == 0 && stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
       "put: file created with mode 0600");
    t.access_token = "acc-2";
    t.refresh_token = NULL; /* a refresh without a new refresh token */
    rc = avk_creds_put(&cs, "tiktok", "default", &t, &err);
    t.access_token = "ig";
    t.user_id = "178";
    rc |= avk_creds_put(&cs, "instagram", "default", &t, &err);
    rc |= avk_creds_get(&cs, "tiktok", "default", &got, &found, &err);
    ok(rc == 0 && found && !strcmp(got.access_token, "acc-2") &&
           got.refresh_token && !strcmp(got.refresh_token, "ref-1") &&
           got.expires_at == 2000000000 && !strcmp(got.scope, "a,b"),
       "get: new access token, the refresh token kept");
    avk_oauth_token_release(&got);
    rc = avk_creds_list(&cs, count_cb, &n, &err);
    ok(rc == 0 && n == 2, "list: two accounts");
    rc = avk_creds_delete(&cs, "tiktok", "default", &err);
    rc |= avk_creds_get(&cs, "tiktok", "default", &got, &found, &err);
    ok(rc == 0 && !found, "delete: gone");
    avk_oauth_token_release(&got);
    chmod(path, 0640);
    rc = avk_creds_get(&cs, "instagram", "default", &got, &found, &err);
    ok(rc == AVK_EX_CONFIG && strstr(err.msg, "chmod 600") &&
           !strstr(err.msg, "ig\""),
       "a file group may read is refused");
    avk_oauth_token_release(&got);
    rc = avk_creds_put(&cs, "tiktok", "default", &t, &err);
    is_int(rc, AVK_EX_CONFIG, "... and never rewritten");
    ok(avk_rmtree(dir, &err) == 0, "cleanup");
    return tap_done();
}
