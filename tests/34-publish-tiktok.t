#!/bin/sh
# av-publish --to tiktok against a local fake of the Content Posting API:
# creator info, direct post init with the chunk rules, sequential chunks
# (206/201), 416 and 500 on a chunk, an error inside a 200 envelope,
# FAILED, the inbox flow, the shared rate limiter, kill -9 then resume.
. "$AVK_TOP/tests/lib.sh"
. "$AVK_TOP/tests/publib.sh"
scratch
H=$AVK_BUILD/tests
TOKEN=act.TEST-TIKTOK-SECRET
FAKE=$AVK_TOP/tests/fakes/fakehttp.py

mkdir vids
python3 "$AVK_TOP/tests/fakes/tiktok.py" --port-file port --log log \
    --lifetime 120 --token "$TOKEN" --videos vids --min-chunk 4096 \
    --chunk-delay 0.03 --polls 2 &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
base=http://127.0.0.1:$(cat port)
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=3
AV_TIKTOK_BASE_URL=$base; AV_TIKTOK_ACCESS_TOKEN=$TOKEN
AV_TIKTOK_MIN_CHUNK=4096; AV_TIKTOK_CHUNK_SIZE=8192   # test-only knobs
AV_TIKTOK_POLL_MS=50
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_TIKTOK_BASE_URL AV_TIKTOK_ACCESS_TOKEN AV_TIKTOK_MIN_CHUNK \
    AV_TIKTOK_CHUNK_SIZE AV_TIKTOK_POLL_MS
fault() { curl -s -X POST "$base/_fault?kind=$1&n=${2:-1}" >/dev/null; }
nvideos() { curl -s "$base/_videos" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
: > all-output.txt
pub() { # pub VIDEO TOPIC [OPTIONS]
    _v=$1; _t=$2; shift 2
    render_doc "$_t" "$_v" > cur.jsonl
    run av-publish --to tiktok "$@" < cur.jsonl
    printf '%s\n%s\n' "$out" "$err" >> all-output.txt
}

av-project init 2>/dev/null
for n in 1 2 3 4 5 6 7 8; do $H/mkvideo v$n.mp4 "1.$n" h264 faststart 360x640; done
$H/mkvideo small.mp4 1.5

# a video TikTok would refuse (64x114: each side must be 360-4096)
pub small.mp4 "too small"
is "$rc" 65 "refused locally: sides under 360 px"
like "$err" "size 64x114" "message names the size"

pub v1.mp4 "direct post"
is "$rc" 0 "direct post: exit 0"
is "$(jget "$out" publish.targets.0.state)" "published" "state published"
like "$(jget "$out" publish.targets.0.remote_id)" "^73" "post id recorded"
is "$(jget "$out" publish.targets.0.privacy)" "SELF_ONLY" "private maps to SELF_ONLY"
ok "$(cmp -s v1.mp4 vids/1.mp4; echo $?)" "the fake holds the file byte for byte"
size=$(wc -c < v1.mp4 | tr -d ' ')
cat > checks <<EOF2
creator info queried	any(r["path"] == "/v2/post/publish/creator_info/query/" for r in L)
init follows the chunk rules	any(r["path"] == "/v2/post/publish/video/init/" and r["json"]["source_info"] == {"source": "FILE_UPLOAD", "video_size": $size, "chunk_size": 8192, "total_chunk_count": $size // 8192} for r in L)
init declares AI generation	any(r["path"] == "/v2/post/publish/video/init/" and r["json"]["post_info"]["is_aigc"] is True and "#habits" in r["json"]["post_info"]["title"] for r in L)
chunks sequential, last absorbs the remainder	[r["headers"]["Content-Range"] for r in L if r["method"] == "PUT"][-1] == "bytes %d-%d/%d" % (($size // 8192 - 1) * 8192, $size - 1, $size)
status polled	sum(1 for r in L if r["path"] == "/v2/post/publish/status/fetch/") >= 3
EOF2
python3 "$FAKE" checks log checks "$((_n + 1))"
_n=$((_n + 5))

before=$(wc -l < log)
run av-publish --to tiktok < cur.jsonl
is "$(wc -l < log)" "$before" "run again: no request"
is "$rc" 0 "run again: exit 0"

# a file under the minimum chunk goes as one chunk
AV_TIKTOK_MIN_CHUNK=5000000 pub v2.mp4 "one chunk"
is "$rc" 0 "small file: exit 0"
s2=$(wc -c < v2.mp4 | tr -d ' ')
is "$(tail -n 20 log | grep -c "\"Content-Range\": \"bytes 0-$((s2 - 1))/$s2\"")" "1" "sent as one chunk"

fault 416
fault 500
pub v3.mp4 "faulty chunks"
is "$rc" 0 "416 and 500 on chunks: exit 0"
ok "$(cmp -s v3.mp4 vids/3.mp4; echo $?)" "byte-identical after 416 and 500"

fault spam
pub v4.mp4 "spam"
is "$rc" 69 "error inside a 200 envelope: exit 69"
like "$err" "spam_risk_too_many_posts" "message names the code"

fault failed
pub v4.mp4 "failed"
is "$rc" 65 "FAILED picture_size_check_failed: exit 65"
like "$err" "picture_size_check_failed" "message names the fail reason"
is "$(sqlite3 .av/store.db "SELECT state FROM publications WHERE error LIKE '%picture_size%'")" "failed" "failure recorded"

pub v5.mp4 "inbox" --inbox
is "$rc" 0 "--inbox: exit 0"
python3 "$FAKE" check log 'any(r["path"] == "/v2/post/publish/inbox/video/init/" and "post_info" not in r["json"] for r in L)' 2>/dev/null
ok $? "inbox init with source_info only"
is "$(jget "$out" publish.targets.0.privacy)" "inbox" "recorded as sent to the inbox"

# the shared rate limiter: 6 inits a minute across processes
now=$(python3 -c 'import time; print(int(time.time()*1000))')
for k in 1 2 3 4 5 6; do
    sqlite3 .av/store.db "INSERT INTO rate_events VALUES ('tiktok','init',$((now - 57000)))"
done
render_doc "rate" v6.mp4 > rate.jsonl
run av-publish --to tiktok --wait-max 0.2 < rate.jsonl
is "$rc" 75 "rate limit reached, wait beyond --wait-max: exit 75"
like "$err" "rate limit" "says so"
run av-publish --to tiktok --wait-max 20 < rate.jsonl
is "$rc" 0 "waits for a free slot, then posts"
like "$err" "waiting" "says it waits"

# eight processes at once share the 6-a-minute init limit
sqlite3 .av/store.db "DELETE FROM rate_events"
for k in 1 2 3 4 5 6 7 8; do render_doc "eight $k" v7.mp4 > e$k.jsonl; done
for k in 1 2 3 4 5 6 7 8; do
    av-publish --to tiktok --wait-max 1 < e$k.jsonl > e$k.out 2> e$k.err &
    eval "p$k=\$!"
done
okc=0; limited=0
for k in 1 2 3 4 5 6 7 8; do
    eval "wait \$p$k"; r=$?
    [ $r -eq 0 ] && okc=$((okc + 1))
    [ $r -eq 75 ] && grep -q "rate limit" e$k.err && limited=$((limited + 1))
    cat e$k.out e$k.err >> all-output.txt
done
is "$okc" "6" "eight processes at once: six inits within the minute"
is "$limited" "2" "the other two stop at --wait-max with a clear message"

# kill -9 in the middle, then resume
sqlite3 .av/store.db "DELETE FROM rate_events"
render_doc "killed" v8.mp4 > kill.jsonl
kid=$(jget "$(cat kill.jsonl)" id)
nv=$(nvideos)
puts0=$(grep -c '"method": "PUT"' log)
av-publish --to tiktok < kill.jsonl > /dev/null 2>&1 &
pp=$!
i=0
while [ $i -lt 200 ]; do
    [ "$(grep -c '"method": "PUT"' log)" -ge $((puts0 + 3)) ] && break
    sleep 0.02; i=$((i + 1))
done
kill -9 $pp 2>/dev/null; wait $pp 2>/dev/null
is "$(sqlite3 .av/store.db "SELECT state FROM publications WHERE project_id='$kid'")" "uploading" "killed mid-upload"
inits=$(grep -c '"path": "/v2/post/publish/video/init/"' log)
run av-publish --to tiktok < kill.jsonl
is "$rc" 0 "run again after kill -9: exit 0"
is "$(grep -c '"path": "/v2/post/publish/video/init/"' log)" "$inits" "no second init"
is "$(nvideos)" "$((nv + 1))" "exactly one more upload on the server"
ok "$(cmp -s v8.mp4 "vids/$(nvideos).mp4"; echo $?)" "byte-identical to the file"

ok "$(grep -c "$TOKEN" all-output.txt > /dev/null; [ $? -eq 1 ]; echo $?)" "no token in any output"
kill $fake 2>/dev/null
done_testing
