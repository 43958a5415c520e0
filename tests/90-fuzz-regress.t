#!/bin/sh
# Replay every fuzz seed and every saved crash (tests/fuzz/corpus/NAME/*,
# tests/fuzz/crashes/NAME/*) through the plain or sanitizer build of each
# fuzz target: $AVK_BUILD/tests/fuzz_replay_NAME, built from
# tests/helpers/fuzz_replay_NAME.c (one line: #include "../fuzz/fuzz_NAME.c").
# A crash found by `make fuzz` stays here as a regression input.
set -u
top=${AVK_TOP:?}
build=${AVK_BUILD:?}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
TMPDIR=$scratch
export TMPDIR
n=0
for src in "$top"/tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    bin=$build/tests/fuzz_replay_$name
    if [ ! -x "$bin" ]; then
        n=$((n + 1))
        echo "not ok $n - $name: no $bin (add tests/helpers/fuzz_replay_$name.c)"
        continue
    fi
    for f in "$top/tests/fuzz/corpus/$name"/* "$top/tests/fuzz/crashes/$name"/*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        rel=${f#"$top"/}
        if "$bin" "$f" >"$scratch/out" 2>&1; then
            echo "ok $n - $name replays $rel"
        else
            echo "not ok $n - $name replays $rel (exit $?)"
            sed 's/^/# /' "$scratch/out" | head -n 30
        fi
    done
done
echo "1..$n"
