#!/bin/sh
# av-publish --to youtube against a local fake of the resumable upload
# protocol: chunking, 308 with and without Range, 503, a connection cut
# mid-body, an expired session (404), quota tracking and quotaExceeded,
# kill -9 in the middle of an upload then resume, two publishers at once,
# and no token anywhere in the output, the document or the store.
. "$AVK_TOP/tests/lib.sh"
. "$AVK_TOP/tests/publib.sh"
scratch
H=$AVK_BUILD/tests
TOKEN=ya29.TEST-SECRET-TOKEN-7f3a
FAKE=$AVK_TOP/tests/fakes/fakehttp.py

mkdir vids
python3 "$AVK_TOP/tests/fakes/youtube.py" --port-file port --log log \
    --lifetime 120 --token "$TOKEN" --videos vids --chunk-delay 0.05 &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
base=http://127.0.0.1:$(cat port)
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=3
AV_YOUTUBE_BASE_URL=$base; AV_YOUTUBE_ACCESS_TOKEN=$TOKEN
AV_YOUTUBE_CHUNK_SIZE=8192           # test-only: chunking with a tiny file
AV_YOUTUBE_DAILY_QUOTA=100000
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_YOUTUBE_BASE_URL AV_YOUTUBE_ACCESS_TOKEN AV_YOUTUBE_CHUNK_SIZE \
    AV_YOUTUBE_DAILY_QUOTA
fault() { curl -s -X POST "$base/_fault?kind=$1&n=${2:-1}" >/dev/null; }
videos() { curl -s "$base/_videos"; }
nvideos() { videos | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

av-project init 2>/dev/null
$H/mkvideo ok.mp4 1.5
$H/mkvideo ok2.mp4 1.2
$H/mkvideo ok3.mp4 1.3
$H/mkvideo ok4.mp4 1.4
$H/mkvideo big.mp4 4
printf '\377\330\377\340fakejpeg' > thumb.jpg
sha=$(sha256sum ok.mp4 | cut -d' ' -f1)

# ---- a plain chunked upload ----
doc=$(render_doc "five habits" ok.mp4 thumb.jpg)
id=$(jget "$doc" id)
printf '%s\n' "$doc" > in.jsonl
run av-publish -vv --log-json --to youtube < in.jsonl
printf '%s\n%s\n' "$out" "$err" > all-output.txt
is "$rc" 0 "upload to the fake: exit 0"
is "$(jget "$out" publish.targets.0.state)" "published" "state published"
is "$(jget "$out" publish.targets.0.remote_id)" "FAKEID1" "remote id recorded"
is "$(jget "$out" publish.targets.0.url)" "https://www.youtube.com/shorts/FAKEID1" "url recorded"
is "$(jget "$out" publish.targets.0.privacy)" "private" "privacy recorded"
ok "$(cmp -s ok.mp4 vids/FAKEID1.mp4; echo $?)" "the fake holds the file byte for byte"
cat > checks <<'EOF2'
session opened with the X-Upload headers	[r for r in L if r["method"] == "POST" and r["path"].endswith("/videos") and r["headers"].get("X-Upload-Content-Type") == "video/mp4" and r["headers"].get("X-Upload-Content-Length")]
metadata sent	any(r.get("json", {}).get("snippet", {}).get("title") == "Five habits that work" and r["json"]["status"]["containsSyntheticMedia"] is True and r["json"]["snippet"]["categoryId"] == "22" for r in L)
chunks of 8192 bytes with Content-Range	sum(1 for r in L if r["method"] == "PUT" and r["body_len"] == 8192) >= 3 and all(r["headers"].get("Content-Range", "").startswith("bytes ") for r in L if r["method"] == "PUT")
thumbnail set	any(r["path"].endswith("/thumbnails/set") and r["query"]["videoId"] == ["FAKEID1"] and r["body_len"] == 12 for r in L)
EOF2
python3 "$FAKE" checks log checks "$((_n + 1))"
_n=$((_n + 4))
is "$(sqlite3 .av/store.db "SELECT units FROM quota_usage WHERE provider='youtube'")" "1650" "quota use tracked in the store"

# running again: nothing sent
before=$(wc -l < log)
run av-publish --to youtube < in.jsonl
is "$rc" 0 "second run: exit 0"
is "$(wc -l < log)" "$before" "completed publication: no request at all"
is "$(jget "$out" publish.targets.0.remote_id)" "FAKEID1" "recorded result printed"
is "$(nvideos)" "1" "still one video on the server"

# ---- faults: 503, a cut mid-body, 308 without Range, an expired session ----
pub() { # pub VIDEO TOPIC: publish a new project, sets $out $err $rc $pid_
    _d=$(render_doc "$2" "$1")
    printf '%s\n' "$_d" > cur.jsonl
    run av-publish --to youtube < cur.jsonl
}
fault 503
fault cut
pub ok2.mp4 "faults one"
is "$rc" 0 "503 and a cut connection: resumed, exit 0"
is "$(nvideos)" "2" "one more video"
ok "$(cmp -s ok2.mp4 vids/FAKEID2.mp4; echo $?)" "byte-identical after 503 and a cut"
python3 "$FAKE" check log 'any(r["method"] == "PUT" and r["headers"].get("Content-Range", "").startswith("bytes */") for r in L)' 2>/dev/null
ok $? "asked the server where it stands (bytes */TOTAL)"

fault cut
fault norange
pub ok3.mp4 "faults two"
is "$rc" 0 "308 without Range: restarted from byte 0, exit 0"
ok "$(cmp -s ok3.mp4 vids/FAKEID3.mp4; echo $?)" "byte-identical after 308 without Range"

fault 404
pub ok4.mp4 "faults three"
is "$rc" 0 "expired session (404): a new session, exit 0"
ok "$(cmp -s ok4.mp4 vids/FAKEID4.mp4; echo $?)" "byte-identical after a new session"
is "$(nvideos)" "4" "one video per publication"

# ---- quotaExceeded from the server: final, recorded ----
fault quota
pub ok.mp4 "quota topic"
is "$rc" 69 "quotaExceeded: exit 69 (unavailable)"
like "$err" "quotaExceeded" "message names the reason"

# ---- local daily quota ----
q=$(sqlite3 .av/store.db "SELECT units FROM quota_usage WHERE provider='youtube'")
AV_YOUTUBE_DAILY_QUOTA=$((q + 1)) run av-publish --to youtube --wait-max 1 < cur.jsonl
is "$rc" 75 "local daily quota used up: exit 75"
like "$err" "quota used up" "says the quota is used up"

# ---- kill -9 in the middle of an upload, then run again ----
kdoc=$(render_doc "killed" big.mp4)
kid=$(jget "$kdoc" id)
printf '%s\n' "$kdoc" > kill.jsonl
nv=$(nvideos)
puts0=$(grep -c '"method": "PUT"' log)
av-publish --to youtube < kill.jsonl > /dev/null 2>&1 &
pp=$!
i=0
while [ $i -lt 200 ]; do
    [ "$(grep -c '"method": "PUT"' log)" -ge $((puts0 + 3)) ] && break
    sleep 0.05; i=$((i + 1))
done
kill -9 $pp 2>/dev/null; wait $pp 2>/dev/null
is "$(sqlite3 .av/store.db "SELECT state FROM publications WHERE project_id='$kid'")" "uploading" "killed mid-upload: state uploading"
off=$(sqlite3 .av/store.db "SELECT upload_offset FROM publications WHERE project_id='$kid'")
ok "$([ "$off" -gt 0 ]; echo $?)" "confirmed offset recorded ($off)"
sessions0=$(grep -c '"method": "POST", "path": "/upload/youtube/v3/videos"' log)
run av-publish --to youtube < kill.jsonl
is "$rc" 0 "run again after kill -9: exit 0"
is "$(grep -c '"method": "POST", "path": "/upload/youtube/v3/videos"' log)" "$sessions0" "no second session opened"
is "$(nvideos)" "$((nv + 1))" "exactly one more video on the server"
last=$(videos | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
ok "$(cmp -s big.mp4 "vids/$last.mp4"; echo $?)" "the video is byte-identical to the file"
is "$(jget "$out" publish.targets.0.attempts)" "2" "two attempts recorded"

# ---- two processes publishing the same document at once ----
cdoc=$(render_doc "concurrent" ok2.mp4)
printf '%s\n' "$cdoc" > conc.jsonl
nv=$(nvideos)
av-publish --to youtube < conc.jsonl > c1.out 2>&1 &
p1=$!
av-publish --to youtube < conc.jsonl > c2.out 2>&1 &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
is "$r1$r2" "00" "both publishers succeed"
is "$(nvideos)" "$((nv + 1))" "two processes at once: one remote video"

# ---- secrets ----
cat c1.out c2.out >> all-output.txt
ok "$(grep -c "$TOKEN" all-output.txt > /dev/null; [ $? -eq 1 ]; echo $?)" "no token in the output of av-publish (-vv, --log-json included)"
sqlite3 .av/store.db .dump | grep -v 'INSERT INTO credentials' > dump.sql
ok "$(grep -c "$TOKEN" dump.sql > /dev/null; [ $? -eq 1 ]; echo $?)" "no token in the store outside credentials"
av-project show "$id" > shown.json
ok "$(grep -c "$TOKEN" shown.json > /dev/null; [ $? -eq 1 ]; echo $?)" "no token in the document"

kill $fake 2>/dev/null
done_testing
