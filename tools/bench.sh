#!/bin/sh
# bench.sh BINDIR - the render reference job (docs: reference-job.md).
# Builds the bench driver next to BINDIR's build, runs it in a scratch
# directory and writes the figures to bench/results.txt.
set -eu
bindir=${1:-build/bin}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$bindir/.." && pwd)
make -C "$top" --no-print-directory BUILD="$build" "$build/tests/render_bench" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/avk-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$top/bench"
"$build/tests/render_bench" "$work" "$top/bench/results.txt.new"
{
    echo "# make bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -m)"
    cat "$top/bench/results.txt.new"
} >"$top/bench/results.txt"
rm -f "$top/bench/results.txt.new"
echo "figures written to bench/results.txt"
