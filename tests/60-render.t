#!/bin/sh
# The render bench driver and frame extraction, at a tiny size.
set -u
echo "1..5"
t=$(mktemp -d "${TMPDIR:-/tmp}/avk-render-t.XXXXXX")
trap 'rm -rf "$t"' EXIT INT TERM
n=0
check() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
"$AVK_BUILD/tests/render_bench" -w 180 -h 320 -s 2 "$t" "$t/results.txt" >"$t/log" 2>&1
check $? "bench driver runs the floor and the job"
grep -q "ratio job/floor" "$t/results.txt" 2>/dev/null
check $? "results name the ratio"
grep -q "peak RSS" "$t/results.txt" 2>/dev/null
check $? "results name the peak RSS"
"$AVK_BUILD/tests/render_frame" "$t/job.mp4" 1.0 "$t/f.png" 2>>"$t/log"
check $? "frame extracted"
head -c 8 "$t/f.png" 2>/dev/null | od -An -c | grep -q "P   N   G"
check $? "frame is a PNG"
