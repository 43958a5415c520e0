#!/bin/sh
# 10-http.t - lib/http end to end: tests/helpers/http_client against the fake
# server tests/fakes/http_basic.py (retries, Retry-After, caps, stalls,
# downloads, redaction, multipart, redirects, the fake's request log).
set -u
tmp=$(mktemp -d)
fake=
tfake=
cleanup() {
    [ -n "$fake" ] && kill "$fake" 2>/dev/null
    [ -n "$tfake" ] && kill "$tfake" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

C=$AVK_BUILD/tests/http_client
# the fake is local: never through a proxy from the environment
no_proxy=127.0.0.1,localhost
NO_PROXY=$no_proxy
export no_proxy NO_PROXY
python3 "$AVK_TOP/tests/fakes/http_basic.py" --port-file "$tmp/port" \
    --log "$tmp/log" --lifetime 60 &
fake=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -s "$tmp/port" ]; then
    echo "1..0 # SKIP fake server did not start"
    exit 0
fi
port=$(cat "$tmp/port")
base=http://127.0.0.1:$port
fast="--backoff 20 --backoff-max 100"

n=0
ok() { # ok COND-EXIT-STATUS NAME
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
check() { # check NAME COMMAND...
    name=$1; shift
    "$@"; ok $? "$name"
}
# run ARGS...: the driver; output in $tmp/out, $tmp/err, status in $rc
run() {
    "$C" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
field() { # field NAME: a number field of the JSON reply in $tmp/out
    sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p" "$tmp/out"
}
has() { grep -q -- "$1" "$2"; }
hasnt() { ! grep -q -- "$1" "$2"; }
# logcheck NAME PYTHON-EXPR: a check over L (the fake's request log, a list
# of dicts), evaluated with all the others in one Python run at the end
logcheck() {
    printf '%s\t%s\n' "$1" "$2" >>"$tmp/checks"
}

# 1. plain 200 with a JSON body
run $fast "$base/json"
check "200: exit 0" [ "$rc" -eq 0 ]
check "200: status and body" has '"status":200' "$tmp/out"
check "200: JSON body arrived" has 'n\\": 42' "$tmp/out"
check "200: one attempt" [ "$(field attempts)" = 1 ]

# 2. 429 with Retry-After: 1, then 200
run $fast "$base/retry-after/a"
check "429+Retry-After: exit 0" [ "$rc" -eq 0 ]
check "429+Retry-After: two attempts" [ "$(field attempts)" = 2 ]
check "429+Retry-After: waited about 1 s" [ "$(field ms)" -ge 900 ]

# 3. 503 with Retry-After as an HTTP date, then 200
run $fast "$base/retry-date/a"
check "503+Retry-After date: exit 0" [ "$rc" -eq 0 ]
check "503+Retry-After date: two attempts" [ "$(field attempts)" = 2 ]
check "503+Retry-After date: waited for the date" [ "$(field ms)" -ge 900 ]

# 4. 500 then 200
run $fast "$base/flaky/a"
check "500 then 200: exit 0" [ "$rc" -eq 0 ]
check "500 then 200: two attempts" [ "$(field attempts)" = 2 ]

# 5. 503 for ever: TEMPFAIL naming the attempts
run $fast --attempts 3 "$base/down/a"
check "503 for ever: exit 75" [ "$rc" -eq 75 ]
check "503 for ever: message" \
    has "GET $base/down/a: HTTP 503 after 3 attempts: down" "$tmp/err"
logcheck "503 for ever: fake saw 3 requests" \
    'sum(1 for r in L if r["path"] == "/down/a") == 3'

# 6. a stalled body ends within the stall limit
run $fast --attempts 1 --stall 1000 --no-body "$base/stall"
check "stall: exit 75" [ "$rc" -eq 75 ]
check "stall: message" has "no data moved for 1000 ms (after 1 attempt)" \
    "$tmp/err"
check "stall: within the limit" [ "$(field ms)" -lt 3500 ]

# 7. the whole-attempt timeout
run $fast --attempts 1 --stall 0 --timeout 800 --no-body "$base/stall"
check "timeout: exit 75" [ "$rc" -eq 75 ]
check "timeout: within the limit" [ "$(field ms)" -lt 3000 ]

# 7b. no reply at all within the reply timeout
run $fast --attempts 1 --reply-timeout 800 --no-body "$base/slow"
check "reply timeout: exit 75" [ "$rc" -eq 75 ]
check "reply timeout: message" has "no reply within 800 ms" "$tmp/err"
check "reply timeout: within the limit" [ "$(field ms)" -lt 3000 ]

# 8. a body over the cap: error, no file left behind
mkdir "$tmp/dl"
run $fast --max-body 1000 -o "$tmp/dl/big.bin" "$base/bytes?n=5000"
check "cap (download, Content-Length): exit 65" [ "$rc" -eq 65 ]
check "cap: message" has "exceeds the limit of 1000 bytes" "$tmp/err"
run $fast --max-body 1000 -o "$tmp/dl/big.bin" "$base/bytes-chunked?n=5000"
check "cap (download, chunked): exit 65" [ "$rc" -eq 65 ]
run $fast --max-body 1000 "$base/bytes-chunked?n=5000"
check "cap (memory, chunked): exit 65" [ "$rc" -eq 65 ]
check "cap: nothing left in the download directory" \
    [ -z "$(ls -A "$tmp/dl")" ]

run $fast --no-body -o "$tmp/no/such/dir/f.bin" "$base/bytes?n=10"
check "download into a missing directory: exit 73" [ "$rc" -eq 73 ]

# 8b. gzip replies are decoded; the cap counts decoded bytes
run $fast "$base/gzip"
check "gzip: decoded" [ "$rc" -eq 0 -a "$(field bytes)" -gt 5000 ]
check "gzip: JSON arrived" has 'ok\\": true' "$tmp/out"
run $fast --no-body --max-body 100000 -o "$tmp/dl/bomb.bin" "$base/gzip-bomb"
check "gzip bomb: exit 65 at the cap" [ "$rc" -eq 65 ]
check "gzip bomb: no file left" [ -z "$(ls -A "$tmp/dl")" ]

# 9. download to a file: streamed, sha256 matches
want=$(python3 -c "
import hashlib, sys
sys.path.insert(0, '$AVK_TOP/tests/fakes')
import fakehttp
print(hashlib.sha256(fakehttp.pattern_bytes(300000)).hexdigest())")
run $fast --no-body -o "$tmp/dl/file.bin" "$base/bytes?n=300000"
check "download: exit 0" [ "$rc" -eq 0 ]
got=$(sha256sum "$tmp/dl/file.bin" | cut -d' ' -f1)
check "download: file sha256 matches" [ "$got" = "$want" ]
check "download: reported sha256 matches" has "\"sha256\":\"$want\"" "$tmp/out"
check "download: downloaded flag" has '"downloaded":1' "$tmp/out"
run $fast --no-body -o "$tmp/dl/chunked.bin" "$base/bytes-chunked?n=70000"
check "download chunked: size" [ "$(wc -c <"$tmp/dl/chunked.bin")" -eq 70000 ]

# 10. a connection cut mid-body: retried, then TEMPFAIL, no file
rm -f "$tmp/dl"/*
run $fast --attempts 2 -o "$tmp/dl/cut.bin" "$base/cut/a"
check "cut: exit 75" [ "$rc" -eq 75 ]
check "cut: message names the attempts" has "after 2 attempts" "$tmp/err"
check "cut: no file left" [ -z "$(ls -A "$tmp/dl")" ]
run $fast --attempts 2 -o "$tmp/dl/cut.bin" "$base/cut-once/a"
check "cut once: second attempt completes the file" \
    [ "$rc" -eq 0 -a "$(wc -c <"$tmp/dl/cut.bin")" -eq 1000 ]
check "cut once: only the file itself" [ "$(ls -A "$tmp/dl")" = cut.bin ]

# 11. secrets never appear in messages or logs, even on errors
hs=HSECRET-7f3a9c1e
qs=QSECRET-52be08d4
run $fast -v --fail --no-body -S "xi-api-key: $hs" -Q key \
    "$base/auth-echo?key=$qs&x=1"
check "secret: 401 gives exit 77" [ "$rc" -eq 77 ]
check "secret: error quotes the body, scrubbed" \
    has "HTTP 401: invalid credentials: REDACTED REDACTED" "$tmp/err"
check "secret: stderr free of the header secret" hasnt "$hs" "$tmp/err"
check "secret: stderr free of the query secret" hasnt "$qs" "$tmp/err"
check "secret: stdout free of secrets" hasnt "SECRET-" "$tmp/out"
check "secret: URL shown redacted" has "key=REDACTED&x=1" "$tmp/err"
run $fast -v --attempts 2 --no-body -H "Authorization: Bearer $hs" \
    "$base/down/s?api_key=$qs"
check "secret on retries: exit 75" [ "$rc" -eq 75 ]
check "secret on retries: no secret in log lines or message" \
    hasnt "SECRET-" "$tmp/err"
check "-v: one line per attempt with method, redacted URL, status, bytes" \
    [ "$(grep -c "GET $base/down/s?api_key=REDACTED -> 503, 5 bytes, [0-9]* ms (attempt [12] of 2)" "$tmp/err")" -eq 2 ]
check "-v: the wait is logged" has "retrying in [0-9]* ms" "$tmp/err"
logcheck "secret on retries: the fake did get the key" \
    "any(r['path'] == '/down/s' and r['query'].get('api_key') == ['$qs'] and r['headers'].get('Authorization') == 'Bearer $hs' for r in L)"

run $fast --attempts 2 --no-body -Q key "$base/down-echo?key=$qs"
check "secret echoed in a 503 body: exit 75" [ "$rc" -eq 75 ]
check "secret echoed in a 503 body: scrubbed from the message" \
    has "after 2 attempts: busy, key REDACTED" "$tmp/err"
check "secret echoed in a 503 body: nowhere on stderr" hasnt "$qs" "$tmp/err"

# 12. multipart upload: fields and a file arrive
head -c 5000 /dev/urandom >"$tmp/up.bin" 2>/dev/null ||
    python3 -c "import os; open('$tmp/up.bin','wb').write(os.urandom(5000))"
upsha=$(sha256sum "$tmp/up.bin" | cut -d' ' -f1)
run $fast -X POST -F title=hello -F "video=@$tmp/up.bin" --no-body \
    "$base/echo?case=multipart"
check "multipart: exit 0" [ "$rc" -eq 0 ]
logcheck "multipart: field arrived" \
    "any(r['query'].get('case') == ['multipart'] and r['form'].get('title') == 'hello' for r in L)"
logcheck "multipart: file arrived intact" \
    "any(r['query'].get('case') == ['multipart'] and r['form']['video']['sha256'] == '$upsha' and r['form']['video']['filename'] == 'up.bin' for r in L)"

# 13. the request log shows the headers and the JSON body sent
run $fast -X POST -H "X-Trace: t-42" -j '{"model":"m","n":3}' --no-body \
    "$base/echo?case=json"
run $fast -X POST -H "Content-Type: application/vnd.api+json" \
    -j '{"a":1}' --no-body "$base/echo?case=own-type"
logcheck "the caller's Content-Type replaces the body's" \
    "any(r['query'].get('case') == ['own-type'] and r['headers'].get('Content-Type') == 'application/vnd.api+json' for r in L)"
check "json body: exit 0" [ "$rc" -eq 0 ]
logcheck "request log: header, content type, user agent" \
    "any(r['query'].get('case') == ['json'] and r['headers'].get('X-Trace') == 't-42' and r['headers'].get('Content-Type') == 'application/json' and r['headers'].get('User-Agent', '').startswith('av/') for r in L)"
logcheck "request log: JSON body" \
    "any(r['query'].get('case') == ['json'] and r.get('json') == {'model': 'm', 'n': 3} for r in L)"
logcheck "request log: no Expect header" \
    "all('Expect' not in r['headers'] for r in L)"

# 14. body streamed from a file (PUT)
run $fast -X PUT -B "$tmp/up.bin" -t video/mp4 --no-body "$base/echo?case=put"
check "PUT file: exit 0" [ "$rc" -eq 0 ]
logcheck "PUT file: body arrived intact" \
    "any(r['query'].get('case') == ['put'] and r['method'] == 'PUT' and r['body_sha256'] == '$upsha' and r['headers'].get('Content-Type') == 'video/mp4' for r in L)"
# a chunk of the file, as a resumable upload sends it
chunksha=$(dd if="$tmp/up.bin" bs=1000 skip=1 count=2 2>/dev/null |
    sha256sum | cut -d' ' -f1)
run $fast -X PUT -B "$tmp/up.bin" --range 1000:2000 \
    -H "Content-Range: bytes 1000-2999/5000" --no-body "$base/echo?case=chunk"
check "PUT chunk: exit 0" [ "$rc" -eq 0 ]
logcheck "PUT chunk: the right 2000 bytes and the Content-Range" \
    "any(r['query'].get('case') == ['chunk'] and r['body_len'] == 2000 and r['body_sha256'] == '$chunksha' and r['headers'].get('Content-Range') == 'bytes 1000-2999/5000' for r in L)"
run $fast -X PUT -B "$tmp/up.bin" --range 4000:2000 --no-body \
    "$base/echo?case=chunk-past-end"
check "PUT chunk past the end: exit 65" [ "$rc" -eq 65 ]
run $fast -X PUT -B "$tmp/missing.bin" "$base/echo?case=put2"
check "PUT missing file: exit 66" [ "$rc" -eq 66 ]

# 15. provider veto: 429 insufficient_quota is final
run $fast --veto insufficient_quota "$base/quota/a"
check "veto: exit 0 with the 429 to parse" \
    [ "$rc" -eq 0 -a "$(field status)" = 429 -a "$(field attempts)" = 1 ]

# 16. a Retry-After longer than allowed ends at once
run $fast --no-body "$base/wait-long"
check "long Retry-After: exit 75" [ "$rc" -eq 75 ]
check "long Retry-After: message" has "asks to wait 3600 s" "$tmp/err"
check "long Retry-After: quick" [ "$(field ms)" -lt 1000 ]

# 17. redirects: only when asked; secrets dropped on another origin
run $fast --no-body "$base/redirect"
check "redirect not followed by default" [ "$(field status)" = 302 ]
run $fast --follow 3 "$base/redirect"
check "redirect followed when asked" \
    [ "$rc" -eq 0 -a "$(field status)" = 200 ]
run $fast --follow 3 --no-body "$base/redirect-loop"
check "redirect loop: exit 69" [ "$rc" -eq 69 ]
run $fast --follow 3 --no-body -S "xi-api-key: $hs" -H "X-Plain: p" \
    "$base/redirect-away"
check "redirect away: exit 0" [ "$rc" -eq 0 ]
logcheck "redirect away: secret header not sent to the other origin" \
    "any(r['path'] == '/echo' and r['headers'].get('Host', '').startswith('localhost') and r['headers'].get('X-Plain') == 'p' and 'xi-api-key' not in r['headers'] for r in L)"

# 18. nobody listening: transport error, retried, TEMPFAIL
run $fast --attempts 2 --no-body "http://127.0.0.1:1/x"
check "refused: exit 75" [ "$rc" -eq 75 ]
check "refused: attempts named" has "after 2 attempts" "$tmp/err"

# 19. only http and https
run $fast --no-body "file:///etc/passwd"
check "file:// refused with exit 78" [ "$rc" -eq 78 ]

# 20. settings from the environment
env AV_HTTP_MAX_ATTEMPTS=2 AV_HTTP_BACKOFF_MS=10 "$C" --env --no-body \
    "$base/down/env" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "env: AV_HTTP_MAX_ATTEMPTS applies" \
    [ "$rc" -eq 75 -a "$(field attempts)" = 2 ]

# 20b. a session reuses the connection; without one each request connects
run $fast --no-body --repeat 3 --session "$base/echo?case=session"
check "session: three requests, exit 0" \
    [ "$rc" -eq 0 -a "$(grep -c '"status":200' "$tmp/out")" -eq 3 ]
logcheck "session: one connection for all three" \
    "len({r['peer'] for r in L if r['query'].get('case') == ['session']}) == 1 and sum(1 for r in L if r['query'].get('case') == ['session']) == 3"
run $fast --no-body --repeat 2 "$base/echo?case=nosession"
logcheck "no session: a connection per request" \
    "len({r['peer'] for r in L if r['query'].get('case') == ['nosession']}) == 2"

# 21. header injection is refused before anything is sent
run --no-body -H "$(printf 'X-A: a\r\nInjected: 1')" "$base/json?case=inject"
check "CR LF in a header value: exit 65" [ "$rc" -eq 65 ]
logcheck "CR LF in a header value: nothing sent" \
    "not any(r['query'].get('case') == ['inject'] for r in L)"

# 22. a URL with CR LF: configuration error, message on one line
run --no-body "$(printf '%s/json\r\nX: y' "$base")"
check "CR LF in the URL: exit 78" [ "$rc" -eq 78 ]
check "CR LF in the URL: one-line message" [ "$(wc -l <"$tmp/err")" -eq 1 ]

# 23. retry_ok can also retry a status the default would not
run $fast --attempts 2 --retry-also "as asked" --no-body "$base/status/403"
check "retry_ok > 0: 403 retried, then TEMPFAIL" \
    [ "$rc" -eq 75 -a "$(field attempts)" = 2 ]
check "retry_ok > 0: message" has "HTTP 403 after 2 attempts" "$tmp/err"
run $fast --no-body --fail "$base/status/404"
check "404 with --fail: exit 69" [ "$rc" -eq 69 ]
check "404 with --fail: one attempt" [ "$(field attempts)" = 1 ]

# 24. 303 after a POST: the next request is a GET without the body
run $fast --follow 2 -X POST -d "payload" -t text/plain --no-body \
    "$base/see-other"
check "303: exit 0, status 200" [ "$rc" -eq 0 -a "$(field status)" = 200 ]
logcheck "303: followed with GET and no body" \
    "any(r['query'].get('case') == ['see-other'] and r['method'] == 'GET' and r['body_len'] == 0 and 'Content-Type' not in r['headers'] for r in L)"

# 24b. avk_http_do_json: error detail from a JSON body, parse errors
run $fast --json --no-body "$base/json"
check "do_json: 200 JSON, exit 0" [ "$rc" -eq 0 ]
run $fast --json --no-body "$base/status/422"
check "do_json: 422 gives exit 65" [ "$rc" -eq 65 ]
check "do_json: detail from error.message" \
    has "HTTP 422: status 422 as asked" "$tmp/err"
run $fast --json --no-body --veto insufficient_quota "$base/quota/j"
check "do_json: vetoed 429 gives exit 75 with message and code" \
    has "HTTP 429: You exceeded your current quota (insufficient_quota)" \
    "$tmp/err"
run $fast --json --no-body "$base/bytes?n=10"
check "do_json: a 200 that is not JSON gives exit 65" [ "$rc" -eq 65 ]
check "do_json: message says so" has "reply is not JSON" "$tmp/err"

# 25. TLS verification is always on: a self-signed server is refused; with
# its certificate as the CA file it is accepted; https -> http is refused
if command -v openssl >/dev/null 2>&1 &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 1 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1; then
    python3 "$AVK_TOP/tests/fakes/http_basic.py" --port-file "$tmp/tport" \
        --lifetime 30 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" &
    tfake=$!
    i=0
    while [ ! -s "$tmp/tport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    tbase=https://127.0.0.1:$(cat "$tmp/tport")
    run $fast --no-body "$tbase/json"
    check "TLS: self-signed certificate refused (exit 69)" [ "$rc" -eq 69 ]
    check "TLS: not retried" [ "$(field attempts)" = 1 ]
    check "TLS: message names the certificate" has "certificate" "$tmp/err"
    env AV_HTTP_CA_FILE="$tmp/cert.pem" "$C" --env --no-body "$tbase/json" \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "TLS: accepted with its CA file" \
        [ "$rc" -eq 0 -a "$(field status)" = 200 ]
    env AV_HTTP_CA_FILE="$tmp/cert.pem" "$C" --env --no-body --follow 3 \
        "$tbase/redirect-plain?to=$port" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "TLS: redirect from https to http refused (exit 69)" [ "$rc" -eq 69 ]
    kill "$tfake" 2>/dev/null
    tfake=
else
    for _ in 1 2 3 4 5; do
        n=$((n + 1)); echo "ok $n # SKIP no openssl to make a certificate"
    done
fi

# the request-log checks gathered above
python3 -S "$AVK_TOP/tests/fakes/fakehttp.py" checks "$tmp/log" "$tmp/checks" \
    $((n + 1))
n=$((n + $(wc -l <"$tmp/checks")))

echo "1..$n"
