#!/bin/sh
# The stage driver every tool uses: JSON Lines in and out, store records,
# skipping unchanged work, --force, bad input, --keep-going, --project,
# merge-on-write between tools running at once.
. "$AVK_TOP/tests/lib.sh"
scratch
E=$AVK_BUILD/tests/stage_echo

av-project init 2>/dev/null
av-project new "alpha topic" "beta topic" "gamma topic" > docs.jsonl

run $E < docs.jsonl
is "$rc" 0 "three documents through a stage"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 3 "three lines out"
first=$(printf '%s\n' "$out" | sed -n 1p)
is "$(jget "$first" echo.text)" "ALPHA TOPIC" "section written"
like "$(jget "$first" echo.asset.path)" '^\.av/assets/../[0-9a-f]\{64\}\.txt$' "asset is workspace-relative and content-addressed"
apath=$(jget "$first" echo.asset.path)
is "$(cat "$apath")" "ALPHA TOPIC" "asset file holds the content"
ok "$([ -n "$(jget "$first" stages.echo.input)" ]; echo $?)" "stage stamp recorded"
id=$(jget "$first" id)
is "$(sqlite3 .av/store.db "SELECT status FROM projects WHERE id='$id'")" "echoed" "project status updated"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='ok'")" 3 "three ok stage runs"
is "$(sqlite3 .av/store.db "SELECT provider FROM stage_runs LIMIT 1")" "echo" "provider recorded"

printf '%s\n' "$out" > echoed.jsonl
run $E < echoed.jsonl
is "$rc" 0 "re-run"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='skipped'")" 3 "unchanged inputs: stage skipped"
run $E --force < echoed.jsonl
is "$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='ok'")" 6 "--force redoes it"

rm -f "$apath"
run $E < echoed.jsonl
is "$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='ok'")" 7 "a missing asset makes (only) that stage run again"
ok "$([ -f "$apath" ]; echo $?)" "asset recreated"

# bad input: line numbers and field paths
{ sed -n 1p docs.jsonl; echo '{"topic": 42}'; echo 'not json'; sed -n 2p docs.jsonl; } > bad.jsonl
run $E < bad.jsonl
is "$rc" 65 "bad document: exit 65 (EX_DATAERR)"
like "$err" "line 2: .topic: expected a string" "error names the line and field path"
is "$(printf '%s\n' "$out" | grep -c .)" 1 "stops at the first bad line"
run $E --keep-going < bad.jsonl
is "$rc" 1 "--keep-going: exit 1 (partial)"
like "$err" "line 3: invalid JSON" "--keep-going reports each bad line"
is "$(printf '%s\n' "$out" | grep -c .)" 2 "--keep-going goes on with good lines"

run $E --log-json < bad.jsonl
is "$rc" 65 "--log-json: same exit status"
is "$(printf '%s\n' "$err" | python3 -c 'import json,sys
for l in sys.stdin:
    d=json.loads(l); assert d["level"]=="error" and d["prog"]=="stage_echo" and d["ts"]
    print(d["msg"])')" "line 2: .topic: expected a string, not a number" "--log-json: one JSON object per diagnostic"
run $E -q --keep-going < bad.jsonl
is "$(printf '%s\n' "$err" | grep -c 'line')" 2 "-q still prints errors"

# a section with the wrong shape, through --require
printf '%s\n' "$(sed -n 1p docs.jsonl | sed 's/}$/,"script":{"text":7}}/')" > wrong.jsonl
run $E --require script < wrong.jsonl
like "$err" "line 1: .script.text: expected a string, not a number" "nested field path in the message"
nruns=$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='failed'")
ok "$([ "$nruns" -ge 1 ]; echo $?)" "failed run recorded"

# a failing stage leaves the stored document untouched
before=$(sqlite3 .av/store.db "SELECT doc FROM projects WHERE id='$id'")
run $E --force --fail-on alpha < echoed.jsonl
is "$rc" 65 "stage failure exit code"
after=$(sqlite3 .av/store.db "SELECT doc FROM projects WHERE id='$id'")
is "$after" "$before" "nothing half-written on failure"

# --project reads from the store
run $E --stage second --project "$id"
is "$rc" 0 "--project"
is "$(jget "$out" second.text)" "ALPHA TOPIC" "--project document processed"
run $E --project nosuchproject
is "$rc" 66 "--project with an unknown id: 66"

# two tools on one project at once: neither loses the other's section
sed -n 2p docs.jsonl > one.jsonl
bid=$(jget "$(cat one.jsonl)" id)
$E --stage left --sleep-ms 300 < one.jsonl > left.out 2>&1 &
p1=$!
$E --stage right --sleep-ms 300 < one.jsonl > right.out 2>&1 &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
is "$r1$r2" "00" "parallel stages succeed"
stored=$(av-project show "$bid")
is "$(jget "$stored" left.text)" "BETA TOPIC" "left section kept"
is "$(jget "$stored" right.text)" "BETA TOPIC" "right section kept"
ok "$([ -n "$(jget "$stored" stages.left.input)" ] && [ -n "$(jget "$stored" stages.right.input)" ]; echo $?)" "both stage stamps kept"

# no workspace
mkdir elsewhere && cd elsewhere
run env AV_HOME= $E --store /nonexistent < ../docs.jsonl
is "$rc" 66 "no workspace: 66"
like "$err" "av-project init" "says how to make one"
done_testing
