#!/bin/sh
# av-stage.sh - a fake av stage tool for av-schedule's tests (POSIX sh, so
# that starting one costs next to nothing).
#
# Installed under the names av-script, av-voice, ... (symlinks); the name
# says which section it writes.  It reads JSON Lines on stdin and prints
# each document with the section {"fake":true,"job":J,"attempt":A} added,
# like the real tools.  Controlled by the environment:
#   FAKE_MARK         file: "STAGE JOB ATTEMPT DOCID" is appended per
#                     document when the stage finishes successfully
#   FAKE_SLEEP        seconds to sleep first (all stages)
#   FAKE_SLEEP_STAGE  the same for one stage (FAKE_SLEEP_VOICE=2)
#   FAKE_FAIL_STAGE   "STATUS:N": exit STATUS the first N times this stage
#                     runs for a job (counted in FAKE_STATE/count-STAGE-JOB)
#   FAKE_STATE        directory for counters (default: that of FAKE_MARK)
#   FAKE_ARGS         file: "STAGE ARGS..." is appended for each run
stage=${0##*/}
stage=${stage#av-}
job=${AV_SCHEDULE_JOB:--}
attempt=${AV_SCHEDULE_ATTEMPT:--}
state=${FAKE_STATE:-$(dirname "${FAKE_MARK:-./none}")}
up=$(printf '%s' "$stage" | tr '[:lower:]' '[:upper:]')
[ -n "${FAKE_ARGS:-}" ] && echo "$stage $*" >>"$FAKE_ARGS"
eval "delay=\${FAKE_SLEEP_$up:-\${FAKE_SLEEP:-0}}"
# shellcheck disable=SC2154
[ "$delay" != 0 ] && sleep "$delay"
eval "fail=\${FAKE_FAIL_$up:-}"
# shellcheck disable=SC2154
if [ -n "$fail" ]; then
    status=${fail%%:*}
    times=${fail#*:}
    counter=$state/count-$stage-$job
    n=$(cat "$counter" 2>/dev/null || echo 0)
    if [ "$n" -lt "$times" ]; then
        echo $((n + 1)) >"$counter"
        echo "av-$stage: fake failure $((n + 1)) of $times" >&2
        exit "$status"
    fi
fi
out=$(sed -e '/^[[:space:]]*$/d' \
    -e "s/}[[:space:]]*\$/,\"$stage\":{\"fake\":true,\"job\":\"$job\",\"attempt\":\"$attempt\"}}/")
[ -n "$out" ] && printf '%s\n' "$out"
if [ -n "${FAKE_MARK:-}" ] && [ -n "$out" ]; then
    printf '%s\n' "$out" |
        sed "s/^{.*\"id\":\"\\([^\"]*\\)\".*/$stage $job $attempt \\1/" >>"$FAKE_MARK"
fi
exit 0
