# shellcheck shell=sh disable=SC2034
# tests/schedule-lib.sh - shared set-up for the av-schedule tests (sourced
# after tests/lib.sh and scratch): a workspace, a bin dir of fake stage
# tools (tests/fakes/av-stage.sh under each tool's name) and a marker file.
av-project init >/dev/null 2>&1
mkdir -p "$T/bin"
for s in trend script voice image render publish; do
    ln -s "$AVK_TOP/tests/fakes/av-stage.sh" "$T/bin/av-$s"
done
AV_BIN_DIR=$T/bin
FAKE_MARK=$T/mark
export AV_BIN_DIR FAKE_MARK
: > "$FAKE_MARK"
# Fast settings for runners in tests.
RUNOPTS="--lease 2s --poll 0.05s --backoff 0.05s --backoff-max 0.2s"
lines() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }
jstate() { sqlite3 .av/store.db "SELECT state FROM jobs WHERE id = $1"; }
