#!/bin/sh
# av-publish login/logout/accounts for TikTok (Login Kit v2: client_key,
# hex PKCE challenge, rotating refresh tokens) and Instagram (Facebook
# Login: long-lived token exchanged again before expiry, the Instagram
# account id found at login), against the local fakes; a script plays the
# browser.  Refresh before expiry used by a publish, invalid_grant (exit
# 77), logout revoking, the 0600 token file and the refusal of a 0644 one,
# and no token in any output, document or table but credentials.
. "$AVK_TOP/tests/lib.sh"
. "$AVK_TOP/tests/publib.sh"
scratch
H=$AVK_BUILD/tests
FAKE=$AVK_TOP/tests/fakes/fakehttp.py

python3 "$AVK_TOP/tests/fakes/tiktok.py" --port-file tport --log tlog \
    --lifetime 120 --token unused-static-token --min-chunk 4096 \
    --polls 1 --expires-in 200 &
tfake=$!
python3 "$AVK_TOP/tests/fakes/instagram.py" --port-file iport --log ilog \
    --lifetime 120 --token unused-static-token --polls 1 --expires-in 200 &
ifake=$!
trap 'kill $tfake $ifake 2>/dev/null; rm -rf "$T"' EXIT
i=0; while { [ ! -s tport ] || [ ! -s iport ]; } && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1)); done
tbase=http://127.0.0.1:$(cat tport)
ibase=http://127.0.0.1:$(cat iport)
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=2
AV_TIKTOK_BASE_URL=$tbase
AV_TIKTOK_AUTH_URL=$tbase/v2/auth/authorize/
AV_TIKTOK_TOKEN_URL=$tbase/v2/oauth/token/
AV_TIKTOK_REVOKE_URL=$tbase/v2/oauth/revoke/
AV_TIKTOK_CLIENT_KEY=test-client-key
AV_TIKTOK_CLIENT_SECRET=test-client-secret
AV_TIKTOK_MIN_CHUNK=4096; AV_TIKTOK_CHUNK_SIZE=65536; AV_TIKTOK_POLL_MS=50
AV_INSTAGRAM_BASE_URL=$ibase/v21.0
AV_INSTAGRAM_AUTH_URL=$ibase/v21.0/dialog/oauth
AV_INSTAGRAM_CLIENT_ID=test-app-id
AV_INSTAGRAM_CLIENT_SECRET=test-app-secret
AV_INSTAGRAM_POLL_MS=50
AV_PUBLISH_BROWSER=$T/browser.sh
AV_PUBLISH_LOGIN_TIMEOUT_S=20
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_TIKTOK_BASE_URL AV_TIKTOK_AUTH_URL AV_TIKTOK_TOKEN_URL \
    AV_TIKTOK_REVOKE_URL AV_TIKTOK_CLIENT_KEY AV_TIKTOK_CLIENT_SECRET \
    AV_TIKTOK_MIN_CHUNK AV_TIKTOK_CHUNK_SIZE AV_TIKTOK_POLL_MS \
    AV_INSTAGRAM_BASE_URL AV_INSTAGRAM_AUTH_URL AV_INSTAGRAM_CLIENT_ID \
    AV_INSTAGRAM_CLIENT_SECRET AV_INSTAGRAM_POLL_MS AV_PUBLISH_BROWSER \
    AV_PUBLISH_LOGIN_TIMEOUT_S
# the "browser": follows the consent redirect back to the loopback listener
printf '#!/bin/sh\ncurl -s -L "$1" > "%s/browser.out" 2>&1\n' "$T" > browser.sh
chmod +x browser.sh
: > all-output.txt
keep() { printf '%s\n%s\n' "$out" "$err" >> all-output.txt; cat browser.out >> all-output.txt 2>/dev/null; }
creds() { sqlite3 .av/store.db "SELECT count(*) FROM credentials WHERE provider='$1'"; }
checks() { # checks LOG: the NAME<TAB>EXPR lines of file "c"
    python3 "$FAKE" checks "$1" c $((_n + 1)) > c.out
    cat c.out
    _n=$((_n + $(wc -l < c.out)))
    _failed=$((_failed + $(grep -c '^not ok' c.out)))
}

av-project init 2>/dev/null
$H/mkvideo v1.mp4 3.1 h264 faststart 360x640
$H/mkvideo v2.mp4 3.2 h264 faststart 360x640
$H/mkvideo v3.mp4 3.3 h264 faststart 360x640
$H/mkvideo v4.mp4 3.4 h264 faststart 360x640
$H/mkvideo v5.mp4 3.5 h264 faststart 360x640
$H/mkvideo v6.mp4 3.6 h264 faststart 360x640

# ---- TikTok ----
run av-publish -vv --log-json login tiktok
keep
is "$rc" 0 "login tiktok (loopback + PKCE): exit 0"
like "$err" "client_key=test-client-key" "the URL carries client_key"
like "$err" "code_challenge=[0-9a-f]\{64\}&" "hex S256 challenge (desktop)"
like "$err" "redirect_uri=http%3A%2F%2F127.0.0.1%3A[0-9]*%2Fcallback%2F" "redirect to the loopback /callback/"
like "$err" "scope=user.info.basic%2Cvideo.publish" "comma-separated scopes"
like "$(cat browser.out)" "is authorised" "the browser got the listener's answer"
is "$(creds tiktok)" "1" "tokens stored in the credentials table"
printf 'code exchanged with client_key and the verifier\t%s\n' 'any(r["path"] == "/v2/oauth/token/" and r["form"].get("grant_type") == "authorization_code" and r["form"].get("client_key") == "test-client-key" and len(r["form"].get("code_verifier", "")) >= 43 and r["form"]["redirect_uri"].endswith("/callback/") for r in L)' > c
checks tlog

# ---- Instagram ----
run av-publish -vv --log-json login instagram
keep
is "$rc" 0 "login instagram (Facebook Login): exit 0"
like "$err" "client_id=test-app-id" "the URL carries client_id"
like "$err" "scope=instagram_basic%2Cinstagram_content_publish" "Instagram scopes"
is "$(creds instagram)" "1" "instagram tokens stored"
is "$(sqlite3 .av/store.db "SELECT user_id FROM credentials WHERE provider='instagram'")" "17841400000000001" "the Instagram account id is kept with the credential"
cat > c <<'EOF2'
code exchanged with the verifier	any(r["path"] == "/v21.0/oauth/access_token" and r["form"].get("code", "").startswith("AQfake") and len(r["form"].get("code_verifier", "")) >= 43 for r in L)
short-lived token exchanged for a long-lived one	any(r["path"] == "/v21.0/oauth/access_token" and r["form"].get("grant_type") == "fb_exchange_token" and r["form"].get("fb_exchange_token", "").startswith("EAAshort") for r in L)
no token in a URL	not any("SECRET" in json.dumps(r["query"]) for r in L)
account looked up	any(r["path"] == "/v21.0/me/accounts" for r in L)
EOF2
checks ilog

run av-publish accounts
keep
is "$rc" 0 "accounts: exit 0"
like "$out" "^instagram  *default .*instagram_content_publish.*id 17841400000000001" "instagram: scope and account id"
like "$out" "^tiktok  *default  *expires 20.*(refreshable)  scope user.info.basic,video.publish" "tiktok: expiry, refreshable, scope"
unlike "$out" "SECRET" "accounts shows no secret"

# ---- publishing refreshes tokens that are about to expire ----
render_doc "tiktok one" v1.mp4 > d1.jsonl
run av-publish -vv --log-json --to tiktok < d1.jsonl
keep
is "$rc" 0 "tiktok publish with the stored account"
is "$(jget "$out" publish.targets.0.state)" "published" "published on tiktok"
cat > c <<'EOF2'
refresh before the post (client_key, rotating)	[r["form"].get("grant_type") for r in L if r["path"] == "/v2/oauth/token/"] == ["authorization_code", "refresh_token"]
the post used the refreshed token	[r["headers"]["Authorization"] for r in L if r["path"] == "/v2/post/publish/video/init/"] == ["Bearer act.fake-access-4-SECRET"]
EOF2
checks tlog

# two processes refreshing at once: the rotating refresh token is used
# once by each, in turn (a refresh under the store's write lock)
render_doc "tiktok para 1" v5.mp4 > d5.jsonl
render_doc "tiktok para 2" v6.mp4 > d6.jsonl
av-publish --to tiktok < d5.jsonl > p5.out 2> p5.err & p5=$!
av-publish --to tiktok < d6.jsonl > p6.out 2> p6.err & p6=$!
wait $p5; r5=$?; wait $p6; r6=$?
cat p5.out p5.err p6.out p6.err >> all-output.txt
is "$r5 $r6" "0 0" "two publishes refreshing at once both succeed"
unlike "$(cat p5.err p6.err)" "invalid_grant" "no refresh token used twice"

render_doc "insta one" v2.mp4 > d2.jsonl
run av-publish -vv --log-json --to instagram < d2.jsonl
keep
is "$rc" 0 "instagram publish with the stored account (no instagram.user_id)"
is "$(jget "$out" publish.targets.0.state)" "published" "published on instagram"
cat > c <<'EOF2'
long-lived token exchanged again before expiry	sum(1 for r in L if r.get("form", {}).get("grant_type") == "fb_exchange_token") == 2
the stored account id was used	any(r["path"] == "/v21.0/17841400000000001/media" for r in L)
EOF2
checks ilog

# ---- invalid_grant ----
curl -s -X POST "$tbase/_fault?kind=invalid_grant" > /dev/null
render_doc "tiktok two" v3.mp4 > d3.jsonl
run av-publish --to tiktok < d3.jsonl
keep
is "$rc" 77 "tiktok invalid_grant: exit 77"
like "$err" "invalid_grant" "message names invalid_grant"
like "$err" "av-publish login tiktok" "says to log in again"
curl -s -X POST "$ibase/_fault?kind=invalid_grant" > /dev/null
render_doc "insta two" v4.mp4 > d4.jsonl
run av-publish --to instagram < d4.jsonl
keep
is "$rc" 77 "instagram error 190 on the exchange: exit 77"
like "$err" "av-publish login instagram" "says to log in again"

# ---- logout ----
run av-publish logout tiktok
keep
is "$rc" 0 "logout tiktok"
is "$(creds tiktok)" "0" "tiktok credential removed"
run av-publish logout instagram
keep
is "$rc" 0 "logout instagram"
is "$(creds instagram)" "0" "instagram credential removed"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM credentials WHERE provider='instagram'")" "0" "account id removed with it"
printf 'tiktok token revoked with the client\t%s\n' 'any(r["path"] == "/v2/oauth/revoke/" and r["form"].get("token", "").startswith("rft.fake-refresh") and r["form"].get("client_key") == "test-client-key" for r in L)' > c
checks tlog
printf 'instagram permissions deleted\t%s\n' 'any(r["method"] == "DELETE" and r["path"] == "/v21.0/me/permissions" and r["headers"]["Authorization"].startswith("Bearer EAAlong") for r in L)' > c
checks ilog

run av-publish login tiktok --device
keep
is "$rc" 64 "tiktok --device: usage error"
like "$err" "device flow is not offered" "says the device flow is not offered"

# Facebook's device flow
run av-publish login instagram --device
keep
is "$rc" 78 "instagram --device without a client token: exit 78"
like "$err" "instagram.client_token" "names the missing setting"
AV_INSTAGRAM_CLIENT_TOKEN=test-client-token run av-publish login instagram --device
keep
is "$rc" 0 "instagram --device: exit 0"
like "$err" "FBDV-1234" "shows the user code"
like "$err" "facebook.com/device" "shows the verification URL"
is "$(creds instagram)" "1" "device tokens stored"
printf 'device flow polled until authorised, then the account looked up\t%s\n' '[r["path"] for r in L][-4:] == ["/v21.0/device/login_status", "/v21.0/device/login_status", "/v21.0/oauth/access_token", "/v21.0/me/accounts"] and any(r["path"] == "/v21.0/device/login" and r["form"].get("access_token") == "test-app-id|test-client-token" for r in L)' > c
checks ilog

# ---- the token file ----
AV_PUBLISH_TOKEN_STORE=file run av-publish login tiktok
keep
is "$rc" 0 "login into the token file"
is "$(stat -c %a .av/tokens.json)" "600" "token file has mode 0600"
is "$(creds tiktok)" "0" "nothing in the credentials table"
AV_PUBLISH_TOKEN_STORE=file run av-publish accounts
keep
like "$out" "^tiktok .*scope user.info.basic" "accounts reads the token file"
run av-publish --token-file "$T/my/tok.json" login instagram
keep
is "$rc" 0 "login with --token-file"
is "$(stat -c %a my/tok.json)" "600" "--token-file created with mode 0600"
chmod 644 my/tok.json
run av-publish --token-file "$T/my/tok.json" accounts
keep
is "$rc" 78 "a token file readable by others is refused"
like "$err" "chmod 600" "the message says how to fix it"
unlike "$out" "instagram" "nothing read from it"
AV_PUBLISH_TOKEN_STORE=file run av-publish logout tiktok
keep
is "$(python3 -c 'import json; print(len(json.load(open(".av/tokens.json"))["accounts"]))')" "0" "logout empties the token file"
is "$(stat -c %a .av/tokens.json)" "600" "still 0600 after a rewrite"

# ---- secrets ----
unlike "$(cat all-output.txt)" "SECRET" "no token in any output"
sqlite3 .av/store.db .dump | grep -v 'INSERT INTO credentials' > dump.sql
unlike "$(cat dump.sql)" "SECRET" "no token in the store outside credentials"
docs=""
for d in d1 d2 d3 d4 d5 d6; do docs="$docs$(av-project show "$(jget "$(cat $d.jsonl)" id)")"; done
like "$docs" "tiktok" "the documents were read"
unlike "$docs" "SECRET" "no token in the documents"
kill $tfake $ifake 2>/dev/null

# A store from before migration 5 kept the account id in meta: opening it
# moves the id into the credential row.
mkdir old && (cd old && av-project init >/dev/null 2>&1)
sqlite3 old/.av/store.db "ALTER TABLE credentials DROP COLUMN user_id; PRAGMA user_version = 4;
INSERT INTO credentials (provider, account, access_token, created_at, updated_at) VALUES ('instagram', 'default', 'x', 'now', 'now');
INSERT INTO meta (key, value) VALUES ('credential.instagram.default.user_id', '1784');"
(cd old && av-publish accounts >/dev/null 2>&1)
is "$(sqlite3 old/.av/store.db 'PRAGMA user_version')" 5 "an old store is migrated on open"
is "$(sqlite3 old/.av/store.db "SELECT user_id FROM credentials WHERE provider='instagram'")" 1784 "...its account id moved into the credential"
is "$(sqlite3 old/.av/store.db "SELECT count(*) FROM meta WHERE key LIKE 'credential.%'")" 0 "...and out of meta"
done_testing
