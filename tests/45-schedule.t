#!/bin/sh
# av-schedule: adding jobs (topic, project, stdin), running their stages
# through the tools, retries of temporary failures, permanent failures,
# refused input, cancel/retry/pause/resume, ls/show/log.
. "$AVK_TOP/tests/lib.sh"
scratch
. "$AVK_TOP/tests/schedule-lib.sh"

# --- add from stdin, as in: av-trend | head -5 | av-schedule add ...
av-project new "one" "two" "three" > docs.jsonl 2>/dev/null
run av-schedule add --now-ok --at 2020-01-01T00:00 --stages script,voice < docs.jsonl
is "$rc" 0 "add from stdin"
is "$(printf '%s\n' "$out" | grep -c .)" 3 "one job per document, ids printed"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM jobs WHERE state='queued'")" 3 "three queued"
run av-schedule run $RUNOPTS
is "$rc" 0 "run"
is "$(lines mark)" 6 "two stages for each of three jobs"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM jobs WHERE state='done'")" 3 "all done"
run av-schedule show --json 1
is "$(jget "$out" state)" done "show --json"
is "$(jget "$out" attempts)" 1 "one attempt"
like "$(jget "$out" output)" '"voice":{"fake":true' "output document kept"
run av-schedule log 1
like "$out" "script .* 0  ok" "log lists the stage runs"
run av-schedule ls --json
is "$(printf '%s\n' "$out" | grep -c '"state":"done"')" 3 "ls --json"

# --- a project from the store, extra arguments, --to
pid=$(jget "$(sed -n 1p docs.jsonl)" id)
: > args.log
run av-schedule add --project "$pid" --to tiktok --to youtube --in 0s --arg render=--template=bold
is "$rc" 0 "add --project --to (two platforms)"
is "$(printf '%s\n' "$out" | grep -c .)" 2 "one job per platform"
FAKE_ARGS=$T/args.log av-schedule run $RUNOPTS 2>/dev/null
like "$(cat args.log)" "^publish --store $T --to tiktok" "publish gets --store and --to"
like "$(cat args.log)" "render --store $T --template=bold" "--arg reaches its stage"
is "$(grep -c '^publish' args.log)" 2 "published to both"

# --- temporary failures: retried with backoff, done after 3 attempts
: > mark
jid=$(av-schedule add --topic "flaky" --stages script --in 0s 2>/dev/null)
FAKE_FAIL_SCRIPT=75:2 av-schedule run $RUNOPTS --loop --exit-when-idle 2>err.log
is "$(jstate "$jid")" done "temporary failures then success: done"
is "$(sqlite3 .av/store.db "SELECT attempts FROM jobs WHERE id=$jid")" 3 "after 3 attempts"
is "$(sqlite3 .av/store.db "SELECT group_concat(outcome) FROM job_runs WHERE job_id=$jid")" "temporary,temporary,ok" "runs recorded"
is "$(lines mark)" 1 "stage output once"
run av-schedule log "$jid"
like "$out" "fake failure 1 of 2" "stderr tail in the log"

# --- a permanent failure is not retried; notify gets the job as JSON
jid=$(av-schedule add --topic "broken" --stages script,voice --in 0s 2>/dev/null)
cat > notify.sh <<'NOTE'
#!/bin/sh
cat > "$1"
NOTE
chmod +x notify.sh
FAKE_FAIL_VOICE=65:1 av-schedule run $RUNOPTS --loop --exit-when-idle \
    --notify "$T/notify.sh" --notify "$T/notified.json" 2>/dev/null
is "$(jstate "$jid")" failed "permanent failure: failed"
is "$(sqlite3 .av/store.db "SELECT attempts FROM jobs WHERE id=$jid")" 1 "not retried"
like "$(sqlite3 .av/store.db "SELECT last_error FROM jobs WHERE id=$jid")" "av-voice exited with status 65: av-voice: fake failure" "last error names the tool, status and stderr"
is "$(jget "$(cat notified.json)" state)" failed "notify command got the job JSON"

# the notify command can come from the configuration too
printf 'schedule:\n  notify: ["%s", "%s"]\n' "$T/notify.sh" "$T/from-config.json" > .av/config.yaml
jid2=$(av-schedule add --topic "broken too" --stages script --in 0s 2>/dev/null)
FAKE_FAIL_SCRIPT=65:1 av-schedule run $RUNOPTS 2>/dev/null
is "$(jget "$(cat from-config.json)" id)" "$jid2" "notify from schedule.notify in the configuration"
rm .av/config.yaml

# retry resumes at the failed stage
: > mark
run av-schedule retry "$jid"
is "$rc" 0 "retry"
av-schedule run $RUNOPTS 2>/dev/null
is "$(jstate "$jid")" done "retried job done"
is "$(cut -d' ' -f1 mark)" voice "only the failed stage ran again"

# --- used up attempts: dead
jid=$(av-schedule add --topic "down" --stages script --in 0s --max-attempts 2 2>/dev/null)
FAKE_FAIL_SCRIPT=75:9 av-schedule run $RUNOPTS --loop --exit-when-idle 2>/dev/null
is "$(jstate "$jid")" dead "attempts used up: dead"
like "$(sqlite3 .av/store.db "SELECT last_error FROM jobs WHERE id=$jid")" "status 75" "with its last error"

# --- a missing tool is a permanent failure
mkdir nobin
jid=$(av-schedule add --topic "t" --stages script --in 0s 2>/dev/null)
av-schedule run $RUNOPTS --bin-dir "$T/nobin" 2>/dev/null
is "$(jstate "$jid")" failed "missing tool: failed"
like "$(sqlite3 .av/store.db "SELECT last_error FROM jobs WHERE id=$jid")" "cannot run '$T/nobin/av-script'" "says which program"

# --- the real tools, where they are built: script and image offline
if [ -x "$AVK_BUILD/bin/av-script" ] && [ -x "$AVK_BUILD/bin/av-image" ]; then
    jid=$(av-schedule add --topic "5 habits of productive people" --stages script,image --in 0s 2>/dev/null)
    run av-schedule run --bin-dir "$AVK_BUILD/bin"
    is "$(jstate "$jid")" done "real av-script and av-image through the queue"
    pid=$(sqlite3 .av/store.db "SELECT project_id FROM jobs WHERE id=$jid")
    is "$(sqlite3 .av/store.db "SELECT status FROM projects WHERE id='$pid'")" illustrated "the tools saved the project"
    like "$(av-schedule show --json "$jid")" '\\"visuals\\":' "job output holds the visuals"
else
    ok 0 "# skip av-script/av-image not built"; ok 0 "# skip"; ok 0 "# skip"
fi

# --- bad input is refused and nothing is queued
n0=$(sqlite3 .av/store.db "SELECT count(*) FROM jobs")
run av-schedule add --topic x --every "61 * * * *"
is "$rc" 64 "bad cron: usage error"
like "$err" "invalid cron expression '61 \* \* \* \*': minute field '61': out of range 0-59" "cron error is clear"
run av-schedule add --topic x --at 2020-01-01T09:00
is "$rc" 64 "time in the past refused"
like "$err" "in the past; add --now-ok" "says how"
run av-schedule add --topic x --stages script,dance
is "$rc" 64 "unknown stage refused"
like "$err" "unknown stage 'dance'" "names the stage"
run av-schedule add --topic x --stages voice,script
is "$rc" 64 "stages out of order refused"
run av-schedule add --project nosuch
is "$rc" 66 "missing project: 66"
like "$err" "no project 'nosuch'" "names the project"
run av-schedule add --topic x --tz Mars/Olympus --in 1h
is "$rc" 64 "unknown zone refused"
run av-schedule add --topic x --to tiktok --stages script
is "$rc" 64 "--to without publish refused"
printf '%s\n{"topic": 5}\n' "$(sed -n 2p docs.jsonl)" > bad.jsonl
run av-schedule add --in 1h < bad.jsonl
is "$rc" 65 "bad document on stdin refused"
like "$err" "line 2: .topic: expected a string" "names line and field"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM jobs")" "$n0" "nothing queued by refused adds"

# --- cancel, pause, resume
jid=$(av-schedule add --topic "later" --stages script --in 0s 2>/dev/null)
av-schedule pause "$jid" 2>/dev/null
av-schedule run $RUNOPTS 2>/dev/null
is "$(jstate "$jid")" paused "paused job not run"
av-schedule resume "$jid" 2>/dev/null
av-schedule pause 2>/dev/null
av-schedule run $RUNOPTS 2>/dev/null
is "$(jstate "$jid")" queued "paused queue runs nothing"
av-schedule resume 2>/dev/null
av-schedule run $RUNOPTS 2>/dev/null
is "$(jstate "$jid")" done "resumed queue runs it"
run av-schedule cancel "$jid"
is "$rc" 64 "cannot cancel a done job"
like "$err" "cannot cancel job $jid: it is done" "says why"
jid=$(av-schedule add --topic "never" --stages script --in 1h 2>/dev/null)
av-schedule cancel "$jid" 2>/dev/null
is "$(jstate "$jid")" cancelled "cancelled"
run av-schedule show 99999
is "$rc" 66 "unknown job: 66"

# a running job cancelled: its runner stops the stage
jid=$(av-schedule add --topic "slow" --stages script --in 0s 2>/dev/null)
: > mark
FAKE_SLEEP=3 av-schedule run --lease 0.3s 2>/dev/null &
rp=$!
sleep 1
av-schedule cancel "$jid" 2>/dev/null
wait $rp
is "$(jstate "$jid")" cancelled "cancelled while running"
is "$(lines mark)" 0 "the stage was stopped"
is "$(sqlite3 .av/store.db "SELECT outcome FROM job_runs WHERE job_id=$jid")" cancelled "run recorded as cancelled"

# a runner asked to stop (SIGTERM, as a service manager does) puts its job
# back in the queue at once, without counting the try
jid=$(av-schedule add --topic "interrupted" --stages script --in 0s 2>/dev/null)
: > mark
FAKE_SLEEP=5 av-schedule run --loop --jobs 2 $RUNOPTS 2>/dev/null &
rp=$!
n=0
while [ "$(sqlite3 .av/store.db "SELECT count(*) FROM job_runs WHERE job_id=$jid")" = 0 ] && [ $n -lt 100 ]; do
    sleep 0.1; n=$((n + 1))
done
t0=$(date +%s)
kill -TERM $rp
wait $rp
rc=$?
t1=$(date +%s)
is "$rc" 0 "SIGTERM: the runner exits cleanly"
ok "$([ $((t1 - t0)) -le 3 ]; echo $?)" "promptly"
is "$(jstate "$jid")" queued "its job is queued again"
is "$(sqlite3 .av/store.db "SELECT tries || ' ' || outcome FROM jobs j JOIN job_runs r ON r.job_id = j.id WHERE j.id=$jid")" "0 interrupted" "the try does not count; run recorded as interrupted"
av-schedule run $RUNOPTS 2>/dev/null
is "$(jstate "$jid"):$(lines mark)" "done:1" "the next run finishes it"
done_testing
