#!/bin/sh
# av-schedule runners at once: 50 jobs and 4 runners started together run
# each job exactly once; a runner killed with kill -9 mid-job leaves the
# job to be finished by another runner once its lease expires.
. "$AVK_TOP/tests/lib.sh"
scratch
. "$AVK_TOP/tests/schedule-lib.sh"

i=0
while [ $i -lt 50 ]; do i=$((i + 1)); set -- "$@" "topic $i"; done
av-project new "$@" > docs.jsonl 2>/dev/null
run av-schedule add --stages script --in 0s < docs.jsonl
is "$(printf '%s\n' "$out" | grep -c .)" 50 "50 jobs queued"

start=$(date +%s)
pids=
for r in 1 2 3; do
    av-schedule run $RUNOPTS 2>"run$r.err" &
    pids="$pids $!"
done
av-schedule run $RUNOPTS --jobs 2 2>run4.err &
pids="$pids $!"
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
end=$(date +%s)
is "$fails" 0 "4 runners (one with --jobs 2) all succeed"
is "$(cat run*.err)" "" "no errors from the runners"
is "$(lines mark)" 50 "50 stage runs: each job ran exactly once"
is "$(cut -d' ' -f2 mark | sort -u | grep -c .)" 50 "50 distinct jobs in the marker file"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM jobs WHERE state='done' AND attempts=1")" 50 "all done, one attempt each"
is "$(sqlite3 .av/store.db "SELECT count(DISTINCT runner) > 1 FROM job_runs")" 1 "the work was shared between runners"
echo "# 50 jobs, 4 runners: $((end - start)) s"

# --- --max-running: a limit over all runners together
: > mark
for n in 1 2 3 4; do av-schedule add --topic "heavy $n" --stages script --in 0s >/dev/null 2>&1; done
pids=
for r in 1 2 3 4; do
    FAKE_SLEEP=0.3 av-schedule run $RUNOPTS --loop --exit-when-idle --max-running 1 2>/dev/null &
    pids="$pids $!"
done
for p in $pids; do wait "$p"; done
is "$(lines mark)" 4 "--max-running 1: all four jobs ran"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM job_runs a, job_runs b, jobs ja, jobs jb WHERE a.job_id = ja.id AND b.job_id = jb.id AND ja.topic LIKE 'heavy%' AND jb.topic LIKE 'heavy%' AND a.id < b.id AND a.started_ms < b.finished_ms AND b.started_ms < a.finished_ms")" 0 "one at a time: no two runs overlapped"

# --- kill -9 in the middle of a job
: > mark
jid=$(av-schedule add --topic "killed" --stages script,publish --to tiktok --in 0s 2>/dev/null)
FAKE_SLEEP_PUBLISH=1.5 av-schedule run --lease 1s --poll 0.05s 2>/dev/null &
rp=$!
n=0
while [ "$(sqlite3 .av/store.db "SELECT count(*) FROM job_runs WHERE job_id=$jid AND stage='publish'")" = 0 ] && [ $n -lt 100 ]; do
    sleep 0.1; n=$((n + 1))
done
kill -9 $rp
wait $rp 2>/dev/null
is "$(jstate "$jid")" running "killed runner: the job still looks running"
run av-schedule run --lease 1s
is "$(jstate "$jid")" running "before the lease expires nobody takes it"
sleep 1.5
is "$(grep -c '^publish' mark)" 0 "the killed runner's stage died with it"
run av-schedule run --lease 1s
is "$rc" 0 "a later run"
is "$(jstate "$jid")" done "finishes the job once the lease expired"
is "$(sqlite3 .av/store.db "SELECT group_concat(stage || ':' || outcome) FROM job_runs WHERE job_id=$jid")" "script:ok,publish:lost,publish:ok" "runs: the lost one recorded, script not redone"
is "$(grep -c '^script' mark)" 1 "script ran once"
is "$(grep -c '^publish' mark)" 1 "publish completed exactly once"
is "$(sqlite3 .av/store.db "SELECT attempts FROM jobs WHERE id=$jid")" 2 "the lost run counts as an attempt"

# a job whose runners keep dying ends dead
jid=$(av-schedule add --topic "cursed" --stages script --in 0s --max-attempts 1 2>/dev/null)
FAKE_SLEEP=5 av-schedule run --lease 0.5s 2>/dev/null &
rp=$!
sleep 0.7
kill -9 $rp
wait $rp 2>/dev/null
sleep 0.5
av-schedule run --lease 0.5s 2>/dev/null
is "$(jstate "$jid")" dead "lease expired with no attempts left: dead"
like "$(sqlite3 .av/store.db "SELECT last_error FROM jobs WHERE id=$jid")" "lease expired" "says why"
done_testing
