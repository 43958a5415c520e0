#!/bin/sh
# av-publish: metadata fitting, local video checks, dir: target, exactly-once
# ledger, --dry-run, concurrent publishers.
. "$AVK_TOP/tests/lib.sh"
. "$AVK_TOP/tests/publib.sh"
scratch
H=$AVK_BUILD/tests

av-project init 2>/dev/null
$H/mkvideo ok.mp4 1.5
$H/mkvideo plain.mp4 1.5 h264 plain
$H/mkvideo mp4v.mp4 1.5 mpeg4
$H/mkvideo wide.mp4 1.5 h264 faststart 114x64
printf '1\n00:00:00,000 --> 00:00:01,000\nhi\n' > sub.srt
printf 'WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n' > sub.vtt
printf '\377\330\377\340fakejpeg' > thumb.jpg

doc=$(render_doc "five habits" ok.mp4 thumb.jpg sub.srt sub.vtt)
id=$(jget "$doc" id)
printf '%s\n' "$doc" > in.jsonl

run av-publish --to dir:out < in.jsonl
is "$rc" 0 "publish to dir: exit 0"
ok "$(cmp -s ok.mp4 "out/$id.mp4"; echo $?)" "video copied byte for byte"
ok "$(cmp -s thumb.jpg "out/$id.jpg"; echo $?)" "thumbnail copied"
ok "$(cmp -s sub.srt "out/$id.srt" && cmp -s sub.vtt "out/$id.vtt"; echo $?)" "subtitles copied"
is "$(jget "$(cat "out/$id.json")" title)" "Five habits that work" "metadata JSON has the title"
is "$(jget "$(cat "out/$id.json")" ai_generated)" "True" "metadata JSON declares AI generation"
is "$(jget "$out" publish.targets.0.state)" "published" ".publish state published"
is "$(jget "$out" publish.targets.0.target)" "dir:out" ".publish names the target"
like "$(jget "$out" publish.targets.0.url)" "^file:///.*/out/$id.mp4$" ".publish url"
is "$(jget "$out" publish.targets.0.attempts)" "1" "one attempt"
is "$(sqlite3 .av/store.db "SELECT state FROM publications WHERE project_id='$id'")" "published" "ledger row published"
ls out > listing1

# exactly once: running again sends nothing and prints the recorded result
rm "out/$id.mp4"
run av-publish --to dir:out < in.jsonl
is "$rc" 0 "second run: exit 0"
ok "$([ ! -e "out/$id.mp4" ]; echo $?)" "completed publication not repeated"
like "$err" "already published" "says it was already published"
is "$(jget "$out" publish.targets.0.state)" "published" "recorded result printed"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM publications")" "1" "still one ledger row"

# a new video is a new publication
doc2=$(render_doc "other" ok.mp4)
printf '%s\n' "$doc2" | av-publish --to dir:out2 >/dev/null 2>&1
id2=$(jget "$doc2" id)
ok "$(cmp -s ok.mp4 "out2/$id2.mp4"; echo $?)" "second project published"

# --project reads the stored document
run av-publish --project "$id" --to dir:out3
is "$rc" 0 "--project"
ok "$([ -f "out3/$id.mp4" ]; echo $?)" "--project published to another dir"

# local refusal: nothing recorded, nothing sent
for v in plain mp4v wide; do
    d=$(render_doc "bad $v" $v.mp4)
    printf '%s\n' "$d" > bad.jsonl
    run av-publish --to youtube < bad.jsonl
    is "$rc" 65 "youtube refuses $v.mp4 locally (65)"
    case $v in
    plain) like "$err" "moov" "message names the moov box" ;;
    mp4v) like "$err" "video codec 'mpeg4'" "message names the codec" ;;
    wide) like "$err" "wider than tall" "message names the shape" ;;
    esac
done
is "$(sqlite3 .av/store.db "SELECT count(*) FROM publications WHERE target='youtube'")" "0" "no intent recorded for refused videos"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM quota_usage")" "0" "no quota spent"

# no account
run av-publish --to youtube < in.jsonl
is "$rc" 77 "youtube without an account: 77"
like "$err" "av-publish login youtube" "says how to log in"
is "$(sqlite3 .av/store.db "SELECT state FROM publications WHERE target='youtube'")" "failed" "failure recorded in the ledger"

fdoc=$(render_doc "fails" ok.mp4)
printf '%s\n' "$fdoc" | av-publish --to dir:fo --to youtube > /dev/null 2>&1
fid=$(jget "$fdoc" id)
unlike "$(sqlite3 .av/store.db "SELECT status FROM projects WHERE id='$fid'")" "published" "a failed target: the project is not marked published"
is "$(jget "$(av-project show "$fid")" publish.targets.0.state)" "published" "the target that worked is recorded"
is "$(jget "$(av-project show "$fid")" publish.targets.1.state)" "failed" "the failed target is recorded with its state"

# --dry-run
run av-publish --dry-run --to youtube --to dir:dry < in.jsonl
is "$rc" 0 "--dry-run"
ok "$([ ! -e dry ]; echo $?)" "--dry-run writes nothing"
first=$(printf '%s\n' "$out" | sed -n 1p)
is "$(jget "$first" quota)" "1650" "--dry-run shows the quota (insert + thumbnail)"
is "$(jget "$first" would_send.snippet.title)" "Five habits that work" "--dry-run shows the title"
is "$(jget "$first" would_send.status.containsSyntheticMedia)" "True" "synthetic media declared"
is "$(jget "$first" would_send.status.privacyStatus)" "private" "private by default"
AV_PUBLISH_AI_DISCLOSURE=false run av-publish --dry-run --to youtube --privacy unlisted < in.jsonl
is "$(jget "$out" would_send.status.containsSyntheticMedia)" "False" "disclosure off by configuration"
is "$(jget "$out" would_send.status.privacyStatus)" "unlisted" "--privacy"
run av-publish --to nowhere < in.jsonl
is "$rc" 64 "unknown target: 64"

# hostile metadata
long=$(python3 -c 'print(("word " * 1300).strip())')
hdoc=$(render_doc "x" ok.mp4 | python3 -c '
import json,sys
d=json.load(sys.stdin)
d["script"]={"title":"<b>Bold</b> \"quotes\" 🎉 שלום עולם " + "long "*30,
  "description":sys.argv[1] + " 🎉", "hashtags":["#a%d" % i for i in range(40)]}
print(json.dumps(d, ensure_ascii=False))' "$long")
run sh -c "printf '%s\n' '$(printf '%s' "$hdoc" | sed "s/'/'\\\\''/g")' | av-publish --dry-run --to youtube --to dir:h"
y=$(printf '%s\n' "$out" | sed -n 1p)
python3 - "$y" > hostile.tap <<'PY'
import json, sys
y = json.loads(sys.argv[1])["would_send"]["snippet"]
t = y["title"]
print("ok" if len(t) <= 100 and "<" not in t and ">" not in t else "not ok", "- title fitted:", len(t))
print("ok" if t.startswith('bBold/b "quotes" 🎉 שלום עולם') else "not ok", "- title keeps quotes, emoji, RTL")
print("ok" if not t.endswith(" ") and t.endswith("long") else "not ok", "- title cut at a word")
d = y["description"]
print("ok" if len(d.encode()) <= 5000 else "not ok", "- description <= 5000 bytes:", len(d.encode()))
print("ok" if d.endswith("word") else "not ok", "- description cut at a word")
tags = y["tags"]
cost = sum(len(x) for x in tags) + len(tags) - 1
print("ok" if cost <= 500 and all(not x.startswith("#") for x in tags) else "not ok", "- tags <= 500 chars, no #")
PY
while read -r st rest; do ok "$([ "$st" = ok ]; echo $?)" "$rest"; done < hostile.tap

done_testing
