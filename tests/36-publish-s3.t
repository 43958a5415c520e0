#!/bin/sh
# av-publish --to s3://BUCKET/PREFIX against a real S3-compatible server
# (s3rver from npm): single PUT, multipart upload, an unknown access key
# refused, files byte-identical, no secret printed.  s3rver 3 parses the
# Signature V4 Authorization header and checks the access key but does not
# recompute V4 signatures; the signatures themselves are checked against
# the published AWS examples in tests/unit/test_sigv4.c.
# Skipped only when npm is not available; s3rver is installed by
# tools/deps.sh --npm when missing.
. "$AVK_TOP/tests/lib.sh"
. "$AVK_TOP/tests/publib.sh"
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "1..0 # SKIP npm is not available"
    exit 0
fi
NPM_PREFIX=${AV_NPM_PREFIX:-$AVK_TOP/build/npm}
S3RVER=$NPM_PREFIX/node_modules/.bin/s3rver
if [ ! -x "$S3RVER" ]; then
    (cd "$AVK_TOP" && AV_NPM_PREFIX=$NPM_PREFIX sh tools/deps.sh --npm) >&2
fi
scratch
H=$AVK_BUILD/tests
SECRET=s3-TEST-SECRET-KEY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir data
# s3rver knows one account: access key S3RVER, secret S3RVER.
"$S3RVER" -d data -a 127.0.0.1 -p "$port" --configure-bucket media --silent > s3rver.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$T"' EXIT
i=0
while ! python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$port" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=2
AV_S3_ENDPOINT=http://127.0.0.1:$port; AV_S3_ACCESS_KEY=S3RVER; AV_S3_SECRET_KEY=S3RVER
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_S3_ENDPOINT AV_S3_ACCESS_KEY AV_S3_SECRET_KEY

av-project init 2>/dev/null
$H/mkvideo v1.mp4 1.5
$H/mkvideo v2.mp4 2
printf '\377\330\377\340fakejpeg' > thumb.jpg
printf '1\n00:00:00,000 --> 00:00:01,000\nhi\n' > sub.srt

render_doc "s3 one" v1.mp4 thumb.jpg sub.srt > one.jsonl
id=$(jget "$(cat one.jsonl)" id)
run av-publish --to s3://media/clips < one.jsonl
is "$rc" 0 "single PUT to s3rver: exit 0"
is "$(jget "$out" publish.targets.0.url)" "s3://media/clips/$id.mp4" "url recorded"
obj=data/media/clips/$id.mp4._S3rver_object
ok "$(cmp -s v1.mp4 "$obj"; echo $?)" "the stored video is byte-identical"
ok "$(cmp -s thumb.jpg "data/media/clips/$id.jpg._S3rver_object" && cmp -s sub.srt "data/media/clips/$id.srt._S3rver_object"; echo $?)" "thumbnail and subtitles stored"
is "$(jget "$(cat "data/media/clips/$id.json._S3rver_object")" sha256)" "$(sha256sum v1.mp4 | cut -d' ' -f1)" "metadata JSON stored"

render_doc "s3 multipart" v2.mp4 > two.jsonl
id2=$(jget "$(cat two.jsonl)" id)
AV_S3_MULTIPART_THRESHOLD=1000 AV_S3_PART_SIZE=8192 run av-publish -v --to s3://media/multi < two.jsonl
is "$rc" 0 "multipart upload (test-only 8 KiB parts): exit 0"
ok "$(cmp -s v2.mp4 "data/media/multi/$id2.mp4._S3rver_object"; echo $?)" "multipart object byte-identical"

render_doc "s3 bad key" v2.mp4 > bad.jsonl
AV_S3_ACCESS_KEY=NOSUCHKEY AV_S3_SECRET_KEY=$SECRET run av-publish --to s3://media/bad < bad.jsonl
is "$rc" 77 "unknown access key: refused by the server (77)"
like "$err" "InvalidAccessKeyId" "message names the S3 error code"
unlike "$out$err" "$SECRET" "the secret is never printed"
ok "$([ ! -e "data/media/bad/$(jget "$(cat bad.jsonl)" id).mp4._S3rver_object" ]; echo $?)" "nothing stored when refused"

kill $srv 2>/dev/null
done_testing
