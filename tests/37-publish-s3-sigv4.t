#!/bin/sh
# av-publish --to s3:// against a fake that recomputes every Signature V4
# independently (tests/fakes/s3.py): single PUT with a prefix that needs
# encoding, multipart, a wrong secret refused with SignatureDoesNotMatch,
# a multipart upload resumed from the parts the server lists.
. "$AVK_TOP/tests/lib.sh"
. "$AVK_TOP/tests/publib.sh"
scratch
H=$AVK_BUILD/tests
SECRET=wJalrXUtnFEMI/K7MDENG/TEST-S3-SECRET
FAKE=$AVK_TOP/tests/fakes/fakehttp.py

mkdir data
python3 "$AVK_TOP/tests/fakes/s3.py" --port-file port --log log --lifetime 60 \
    --access-key AKIDTEST --secret "$SECRET" --region eu-west-3 --data data &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=2
AV_S3_ENDPOINT=http://127.0.0.1:$(cat port); AV_S3_REGION=eu-west-3
AV_S3_ACCESS_KEY=AKIDTEST; AV_S3_SECRET_KEY=$SECRET
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_S3_ENDPOINT AV_S3_REGION AV_S3_ACCESS_KEY AV_S3_SECRET_KEY
: > all-output.txt

av-project init 2>/dev/null
$H/mkvideo v1.mp4 1.5
$H/mkvideo v2.mp4 2
$H/mkvideo v3.mp4 2.5
printf '\377\330\377\340fakejpeg' > thumb.jpg

render_doc "sig one" v1.mp4 thumb.jpg > one.jsonl
id=$(jget "$(cat one.jsonl)" id)
run av-publish --to 's3://media/my clips$2026' < one.jsonl
printf '%s\n%s\n' "$out" "$err" >> all-output.txt
is "$rc" 0 "single PUT, every signature verified: exit 0"
ok "$(cmp -s v1.mp4 "data/media/my clips\$2026/$id.mp4"; echo $?)" "stored byte-identical under an encoded prefix"
python3 "$FAKE" check log 'any(r["path"].startswith("/media/my%20clips%242026/") for r in L)' 2>/dev/null
ok $? "path segments encoded once"

render_doc "sig multi" v2.mp4 > two.jsonl
id2=$(jget "$(cat two.jsonl)" id)
AV_S3_MULTIPART_THRESHOLD=1000 AV_S3_PART_SIZE=8192 run av-publish --to s3://media/m < two.jsonl
printf '%s\n%s\n' "$out" "$err" >> all-output.txt
is "$rc" 0 "multipart, every signature verified: exit 0"
ok "$(cmp -s v2.mp4 "data/media/m/$id2.mp4"; echo $?)" "multipart object byte-identical"

# resume: a run that fails at part 3 leaves parts 1-2 and the UploadId
render_doc "sig resume" v3.mp4 > three.jsonl
id3=$(jget "$(cat three.jsonl)" id)
curl -s -X POST "$AV_S3_ENDPOINT/_fault?part=3" > /dev/null
AV_S3_MULTIPART_THRESHOLD=1000 AV_S3_PART_SIZE=8192 AV_HTTP_MAX_ATTEMPTS=1 \
    run av-publish --to s3://media/r < three.jsonl
is "$rc" 75 "503 SlowDown on part 3: exit 75"
like "$(sqlite3 .av/store.db "SELECT session FROM publications WHERE project_id='$id3'")" "^UP[0-9]" "UploadId recorded in the ledger"
AV_S3_MULTIPART_THRESHOLD=1000 AV_S3_PART_SIZE=8192 run av-publish -v --to s3://media/r < three.jsonl
printf '%s\n%s\n' "$out" "$err" >> all-output.txt
is "$rc" 0 "run again: exit 0"
like "$err" "S3 holds 2 of" "resumed from the parts the server lists"
is "$(grep -c '"partNumber": \["1"\]' log)" "2" "part 1 sent once for this upload (plus once for the earlier one)"
ok "$(cmp -s v3.mp4 "data/media/r/$id3.mp4"; echo $?)" "resumed multipart object byte-identical"

AV_S3_SECRET_KEY=wrong-secret-value run av-publish --to s3://media/bad < three.jsonl
printf '%s\n%s\n' "$out" "$err" >> all-output.txt
is "$rc" 77 "wrong secret: 403 SignatureDoesNotMatch, exit 77"
like "$err" "SignatureDoesNotMatch" "message names the S3 error code"
ok "$(grep -c -e "$SECRET" -e wrong-secret-value all-output.txt > /dev/null; [ $? -eq 1 ]; echo $?)" "no secret in any output"
kill $fake 2>/dev/null
done_testing
