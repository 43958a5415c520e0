#!/bin/sh
# av-schedule: posting plans, the calendar and its iCalendar export,
# recurring jobs, cron fire times across DST from the command line,
# Prometheus metrics and the crontab line.
. "$AVK_TOP/tests/lib.sh"
scratch
. "$AVK_TOP/tests/schedule-lib.sh"

# --- fire times on the days the clocks change (Europe/London)
run av-schedule next "30 1 * * *" --tz Europe/London --at 2026-03-27T12:00:00Z --count 4
is "$rc" 0 "next"
is "$(printf '%s\n' "$out" | cut -c1-20 | tr '\n' ' ')" "2026-03-28T01:30:00Z 2026-03-29T01:30:00Z 2026-03-30T00:30:00Z 2026-03-31T00:30:00Z " "spring forward: once a day, the skipped 01:30 at 02:30 BST"
like "$(printf '%s\n' "$out" | sed -n 2p)" "2026-03-29 02:30 +0100" "shown in local time"
run av-schedule next "30 1 * * *" --tz Europe/London --at 2026-10-24T12:00:00Z --count 3
is "$(printf '%s\n' "$out" | cut -c1-20 | tr '\n' ' ')" "2026-10-25T00:30:00Z 2026-10-26T01:30:00Z 2026-10-27T01:30:00Z " "fall back: the repeated 01:30 runs once"
run av-schedule next "0 9 * * mon-fri" --tz UTC --at 2026-11-27T10:00:00Z --count 2
is "$(printf '%s\n' "$out" | cut -c1-20 | tr '\n' ' ')" "2026-11-30T09:00:00Z 2026-12-01T09:00:00Z " "weekday names"
run av-schedule next "0 0 1 jan,jul *" --tz UTC --at 2026-11-27T10:00:00Z --count 2
is "$(printf '%s\n' "$out" | cut -c1-20 | tr '\n' ' ')" "2027-01-01T00:00:00Z 2027-07-01T00:00:00Z " "month names, lists"
run av-schedule next "*/20 8-9 * * *" --tz UTC --at 2026-11-27T09:30:00Z --count 3
is "$(printf '%s\n' "$out" | cut -c1-20 | tr '\n' ' ')" "2026-11-27T09:40:00Z 2026-11-28T08:00:00Z 2026-11-28T08:20:00Z " "ranges and steps"
run av-schedule next "@weekly" --tz UTC --at 2026-11-27T09:30:00Z --count 1
like "$out" "^2026-11-29T00:00:00Z" "@weekly is Sunday midnight"

# --- posting plan: at most 3 TikTok posts a day between 17:00 and 21:00
run av-schedule plan tiktok --window 17:00-21:00 --cap 3 --tz UTC
is "$rc" 0 "plan set"
like "$out" "tiktok  *17:00-21:00  *3" "plan listed"
run av-schedule plan tiktok --window 21:00-17:00
is "$rc" 64 "bad window refused"
tomorrow=$(date -u -d tomorrow +%Y-%m-%d)
dayafter=$(date -u -d '2 days' +%Y-%m-%d)
av-project new "p1" "p2" "p3" "p4" "p5" > docs.jsonl 2>/dev/null
run av-schedule add --to tiktok --at "${tomorrow}T09:00" --tz UTC < docs.jsonl
is "$rc" 0 "five posts wanted at 09:00"
is "$(sqlite3 .av/store.db "SELECT group_concat(strftime('%Y-%m-%d %H:%M', run_at_ms / 1000, 'unixepoch'), ',') FROM (SELECT run_at_ms FROM jobs ORDER BY run_at_ms)")" \
   "$tomorrow 17:00,$tomorrow 18:20,$tomorrow 19:40,$dayafter 17:00,$dayafter 18:20" "plan: in the window, spread, 3 a day"

# --- calendar
run av-schedule calendar --tz UTC
is "$rc" 0 "calendar"
like "$out" "^$tomorrow " "a day heading"
is "$(printf '%s\n' "$out" | grep -c '  tiktok ')" 5 "five posts listed"
like "$out" "tiktok     17:00  #1 *p1" "platform, time, job and topic"
av-schedule calendar --ics > cal.ics
is "$?" 0 "calendar --ics"
out=$(cat cal.ics)
is "$(grep -c 'BEGIN:VEVENT' cal.ics)" 5 "one event per post"
is "$(head -1 cal.ics)" "$(printf 'BEGIN:VCALENDAR\r')" "CRLF lines"
like "$out" "DTSTART:$(echo "$tomorrow" | tr -d -)T170000Z" "UTC start times"
like "$out" "SUMMARY:tiktok: p1" "summary"
ok "$(python3 -c 'import sys
t=open(sys.argv[1],"rb").read()
lines=t.split(b"\r\n")
assert all(len(l)<=75 for l in lines), "long line"
assert t.count(b"BEGIN:VCALENDAR")==1 and t.endswith(b"END:VCALENDAR\r\n")' cal.ics; echo $?)" "valid shape: folded lines, one calendar"

# --- recurring jobs go back to the queue
jid=$(av-schedule add --topic "daily" --stages script --every "0 9 * * *" --tz Europe/London 2>/dev/null)
first=$(sqlite3 .av/store.db "SELECT run_at_ms FROM jobs WHERE id=$jid")
sqlite3 .av/store.db "UPDATE jobs SET run_at_ms = 0 WHERE id=$jid"
av-schedule run $RUNOPTS --metrics "$T/av.prom" 2>/dev/null
is "$(jstate "$jid")" queued "recurring job queued again after its run"
is "$(sqlite3 .av/store.db "SELECT run_at_ms FROM jobs WHERE id=$jid")" "$first" "at its next fire time"
is "$(sqlite3 .av/store.db "SELECT stage_index || '/' || tries FROM jobs WHERE id=$jid")" "0/0" "from the first stage again"
is "$(grep -c '^script' mark)" 1 "it ran"

# a recurring job whose run fails is queued again for its next time
jid=$(av-schedule add --topic "daily flaky" --stages script,voice --every "0 9 * * *" --tz UTC 2>/dev/null)
next=$(sqlite3 .av/store.db "SELECT run_at_ms FROM jobs WHERE id=$jid")
sqlite3 .av/store.db "UPDATE jobs SET run_at_ms = 0 WHERE id=$jid"
printf '#!/bin/sh\ncat > "%s"\n' "$T/notified.json" > notify.sh; chmod +x notify.sh
FAKE_FAIL_VOICE=65:1 av-schedule run $RUNOPTS --notify "$T/notify.sh" 2>/dev/null
is "$(sqlite3 .av/store.db "SELECT state || ' ' || stage_index || ' ' || (run_at_ms = $next) FROM jobs WHERE id=$jid")" "queued 0 1" "failed run: queued for its next time, from the first stage"
like "$(sqlite3 .av/store.db "SELECT last_error FROM jobs WHERE id=$jid")" "av-voice exited with status 65" "the failure is kept"
is "$(jget "$(cat notified.json)" id)" "$jid" "and notified"
sqlite3 .av/store.db "DELETE FROM jobs WHERE id=$jid"

# --- metrics
like "$(cat av.prom)" 'av_schedule_jobs{state="queued"} 6' "jobs by state"
like "$(cat av.prom)" 'av_schedule_stage_runs_total{stage="script",outcome="ok"} 1' "runs by outcome"
like "$(cat av.prom)" 'av_schedule_stage_duration_seconds_count{stage="script"} 1' "durations"
like "$(cat av.prom)" '# TYPE av_schedule_last_success_timestamp_seconds gauge' "last success"
like "$(cat av.prom)" 'av_schedule_job_attempts_total 1' "attempts"
ls -a > files.txt
unlike "$(cat files.txt)" "av.prom.*tmp\|\.tmp" "no temporary file left"
run av-schedule metrics
like "$out" 'av_schedule_jobs{state="done"} 0' "metrics on stdout"

# --- the crontab line
run av-schedule cron-line
is "$rc" 0 "cron-line"
like "$out" "^\* \* \* \* \* '.*/av-schedule' run --quiet --store '$T' >>'$T/.av/schedule.log' 2>&1$" "crontab line"
done_testing
