#!/bin/sh
# av-publish accounts: login with PKCE through the loopback listener (a
# script plays the browser), the device flow, tokens refreshed before
# expiry, invalid_grant, logout revoking the token; no token on any
# output, in the document or in the store outside the credentials table.
. "$AVK_TOP/tests/lib.sh"
. "$AVK_TOP/tests/publib.sh"
scratch
H=$AVK_BUILD/tests
FAKE=$AVK_TOP/tests/fakes/fakehttp.py

python3 "$AVK_TOP/tests/fakes/youtube.py" --port-file port --log log \
    --lifetime 90 --token unused-static-token --expires-in 200 &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
base=http://127.0.0.1:$(cat port)
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=2
AV_YOUTUBE_BASE_URL=$base
AV_YOUTUBE_AUTH_URL=$base/o/oauth2/v2/auth
AV_YOUTUBE_TOKEN_URL=$base/token
AV_YOUTUBE_DEVICE_URL=$base/device/code
AV_YOUTUBE_REVOKE_URL=$base/revoke
AV_YOUTUBE_CLIENT_ID=test-client.apps
AV_YOUTUBE_CLIENT_SECRET=test-client-secret
AV_PUBLISH_BROWSER=$T/browser.sh
AV_PUBLISH_LOGIN_TIMEOUT_S=20
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_YOUTUBE_BASE_URL AV_YOUTUBE_AUTH_URL AV_YOUTUBE_TOKEN_URL \
    AV_YOUTUBE_DEVICE_URL AV_YOUTUBE_REVOKE_URL AV_YOUTUBE_CLIENT_ID \
    AV_YOUTUBE_CLIENT_SECRET AV_PUBLISH_BROWSER AV_PUBLISH_LOGIN_TIMEOUT_S
# the "browser": follows the consent redirect back to the loopback listener
printf '#!/bin/sh\ncurl -s -L "$1" > "%s/browser.out" 2>&1\n' "$T" > browser.sh
chmod +x browser.sh
: > all-output.txt
keep() { printf '%s\n%s\n' "$out" "$err" >> all-output.txt; }

av-project init 2>/dev/null
$H/mkvideo ok.mp4 1.5
$H/mkvideo ok2.mp4 1.2

run av-publish accounts
keep
is "$rc" 0 "accounts with none"

run av-publish -v --log-json login youtube
keep
is "$rc" 0 "login youtube (loopback + PKCE): exit 0"
like "$err" "code_challenge_method=S256" "prints the authorisation URL with PKCE"
like "$err" "redirect_uri=http%3A%2F%2F127.0.0.1%3A[0-9]" "redirect to the loopback listener"
like "$(cat browser.out)" "is authorised" "the browser got the listener's answer"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM credentials WHERE provider='youtube' AND refresh_token IS NOT NULL")" "1" "tokens stored in the credentials table"
python3 "$FAKE" check log 'any(r["path"] == "/token" and r["form"].get("grant_type") == "authorization_code" and len(r["form"].get("code_verifier", "")) >= 43 for r in L)' 2>/dev/null
ok $? "code exchanged with the PKCE verifier"

run av-publish accounts
keep
like "$out" "^youtube" "accounts lists youtube"
like "$out" "youtube.upload" "accounts shows the scope"
like "$out" "expires 20" "accounts shows the expiry"

# publishing refreshes a token that expires within 5 minutes
doc=$(render_doc "oauth one" ok.mp4)
printf '%s\n' "$doc" > in.jsonl
run av-publish -vv --log-json --to youtube < in.jsonl
keep
is "$rc" 0 "publish with the stored account"
is "$(jget "$out" publish.targets.0.state)" "published" "published"
python3 "$FAKE" check log 'any(r["path"] == "/token" and r["form"].get("grant_type") == "refresh_token" for r in L)' 2>/dev/null
ok $? "token refreshed before expiry"

# a refused refresh: invalid_grant
curl -s -X POST "$base/_fault?kind=invalid_grant" > /dev/null
doc2=$(render_doc "oauth two" ok2.mp4)
printf '%s\n' "$doc2" > in2.jsonl
run av-publish --to youtube < in2.jsonl
keep
is "$rc" 77 "invalid_grant: exit 77"
like "$err" "invalid_grant" "message names invalid_grant"
like "$err" "av-publish login youtube" "says to log in again"

# logout revokes
run av-publish logout youtube
keep
is "$rc" 0 "logout"
python3 "$FAKE" check log 'any(r["path"] == "/revoke" and r["form"].get("token", "").startswith("1//fake-refresh") for r in L)' 2>/dev/null
ok $? "the refresh token was revoked"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM credentials")" "0" "credentials removed"

# device flow
run av-publish login youtube --device
keep
is "$rc" 0 "login --device: exit 0"
like "$err" "ABCD-EFGH" "shows the user code"
like "$err" "google.com/device" "shows the verification URL"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM credentials")" "1" "device tokens stored"
run av-publish --to youtube < in2.jsonl
keep
is "$rc" 0 "publish after the device flow"

# secrets
ok "$(grep -c SECRET all-output.txt > /dev/null; [ $? -eq 1 ]; echo $?)" "no token in any output"
sqlite3 .av/store.db .dump | grep -v 'INSERT INTO credentials' > dump.sql
ok "$(grep -c SECRET dump.sql > /dev/null; [ $? -eq 1 ]; echo $?)" "no token in the store outside credentials"
ok "$(av-project show "$(jget "$doc" id)" | grep -c SECRET > /dev/null; [ $? -eq 1 ]; echo $?)" "no token in the document"
kill $fake 2>/dev/null
done_testing
