#!/bin/sh
# av-publish --to instagram against a local fake of the Graph API Reels
# flow: resumable container upload (and its resume after a cut), status
# IN_PROGRESS then FINISHED, then ERROR, a media_publish that times out
# after it succeeded (checked, never repeated), caption rules.
. "$AVK_TOP/tests/lib.sh"
. "$AVK_TOP/tests/publib.sh"
scratch
H=$AVK_BUILD/tests
TOKEN=EAAB.TEST-IG-SECRET
FAKE=$AVK_TOP/tests/fakes/fakehttp.py

mkdir vids
python3 "$AVK_TOP/tests/fakes/instagram.py" --port-file port --log log \
    --lifetime 120 --token "$TOKEN" --videos vids --polls 2 &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
base=http://127.0.0.1:$(cat port)
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=3
AV_INSTAGRAM_BASE_URL=$base/v21.0; AV_INSTAGRAM_ACCESS_TOKEN=$TOKEN
AV_INSTAGRAM_USER_ID=17841400000000; AV_INSTAGRAM_POLL_MS=50
AV_INSTAGRAM_PUBLISH_TIMEOUT_MS=1000
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_INSTAGRAM_BASE_URL AV_INSTAGRAM_ACCESS_TOKEN AV_INSTAGRAM_USER_ID \
    AV_INSTAGRAM_POLL_MS AV_INSTAGRAM_PUBLISH_TIMEOUT_MS
fault() { curl -s -X POST "$base/_fault?kind=$1&n=${2:-1}" >/dev/null; }
nmedia() { curl -s "$base/_media" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
: > all-output.txt
pub() {
    _v=$1; _t=$2; shift 2
    render_doc "$_t" "$_v" > cur.jsonl
    run av-publish --to instagram "$@" < cur.jsonl
    printf '%s\n%s\n' "$out" "$err" >> all-output.txt
}

av-project init 2>/dev/null
for n in 1 2 3 4; do $H/mkvideo v$n.mp4 "3.$n" h264 faststart 360x640; done
$H/mkvideo short.mp4 1.5 h264 faststart 360x640

pub short.mp4 "too short"
is "$rc" 65 "refused locally: under 3 s"
like "$err" "duration 1.5 s" "message names the duration"

pub v1.mp4 "reel one"
is "$rc" 0 "reel published: exit 0"
is "$(jget "$out" publish.targets.0.state)" "published" "state published"
is "$(jget "$out" publish.targets.0.remote_id)" "17900001" "media id recorded"
is "$(jget "$out" publish.targets.0.url)" "https://www.instagram.com/reel/17900001/" "permalink recorded"
ok "$(cmp -s v1.mp4 vids/17900001.mp4; echo $?)" "the fake holds the file byte for byte"
cat > checks <<'EOF2'
container created as a resumable REELS upload	any(r["path"].endswith("/media") and r["form"].get("media_type") == "REELS" and r["form"].get("upload_type") == "resumable" and "#habits" in r["form"].get("caption", "") for r in L)
rupload with OAuth scheme and offset headers	any(r["path"].startswith("/ig-api-upload/") and r["method"] == "POST" and r["headers"].get("offset") == "0" and r["headers"].get("file_size") for r in L)
status polled until FINISHED	sum(1 for r in L if r["query"].get("fields") == ["status_code,status"]) >= 3
EOF2
python3 "$FAKE" checks log checks "$((_n + 1))"
_n=$((_n + 3))

before=$(wc -l < log)
run av-publish --to instagram < cur.jsonl
is "$(wc -l < log)" "$before" "run again: no request"

fault cut
pub v2.mp4 "cut upload"
is "$rc" 0 "upload cut mid-body: resumed, exit 0"
ok "$(cmp -s v2.mp4 vids/17900002.mp4; echo $?)" "byte-identical after resuming at the offset"
python3 "$FAKE" check log 'any(r["path"].startswith("/ig-api-upload/") and r["method"] == "POST" and r["headers"].get("offset") not in (None, "0") for r in L)' 2>/dev/null
ok $? "resumed with the server's offset"

fault error
pub v3.mp4 "error container"
is "$rc" 69 "container ERROR: exit 69"
like "$err" "2207026" "message carries the status"

fault publish_slow
n0=$(nmedia)
pub v4.mp4 "slow publish"
is "$rc" 0 "media_publish timed out after it succeeded: exit 0"
is "$(nmedia)" "$((n0 + 1))" "exactly one media"
is "$(grep -c '/media_publish' log)" "$(nmedia)" "one media_publish per media: not retried (status checked instead)"
like "$err" "checking the container" "says it checks before any retry"

# a video already at a public URL (an earlier s3:// target): video_url
render_doc "by url" v3.mp4 > url.jsonl
uid=$(jget "$(cat url.jsonl)" id)
usha=$(sha256sum v3.mp4 | cut -d' ' -f1)
sqlite3 .av/store.db "INSERT INTO publications (project_id, target, video_sha256, state, url, created_at, updated_at) VALUES ('$uid', 's3://media/clips', '$usha', 'published', 'https://cdn.example.com/clips/$uid.mp4', 'x', 'x')"
run av-publish --to instagram < url.jsonl
is "$rc" 0 "published from the public URL: exit 0"
python3 "$FAKE" check log "any(r['path'].endswith('/media') and r['form'].get('video_url') == 'https://cdn.example.com/clips/$uid.mp4' and 'upload_type' not in r['form'] for r in L)" 2>/dev/null
ok $? "container created with video_url, no upload"

# caption rules: 40 hashtags and a long text
long=$(python3 -c 'print(("mot " * 800).strip())')
render_doc "caption" v4.mp4 | python3 -c '
import json,sys
d=json.load(sys.stdin)
d["script"]["description"]=sys.argv[1]
d["script"]["hashtags"]=["#t%d" % i for i in range(40)]
print(json.dumps(d))' "$long" > cap.jsonl
run av-publish --to instagram --dry-run < cap.jsonl
python3 -c '
import json,sys,re
c=json.loads(sys.argv[1])["would_send"]["caption"]
ok = len(c) <= 2200 and len(re.findall(r"(?:^|\s)#\w", c)) <= 30
print(0 if ok else 1)' "$out" > capok
ok "$(cat capok)" "caption <= 2200 characters and <= 30 hashtags"

ok "$(grep -c "$TOKEN" all-output.txt > /dev/null; [ $? -eq 1 ]; echo $?)" "no token in any output"
kill $fake 2>/dev/null
done_testing
