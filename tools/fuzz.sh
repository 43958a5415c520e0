#!/bin/sh
# fuzz.sh [SECONDS] - build and run every libFuzzer target (default 30 s each).
#
# Every tests/fuzz/fuzz_NAME.c is linked with all of lib/*.c under
# clang -fsanitize=fuzzer,address,undefined into build-fuzz/fuzz_NAME, then
# run for SECONDS with -max_total_time.  Seeds come from
# tests/fuzz/corpus/NAME/ (read only; new inputs go to build-fuzz/corpus/NAME/),
# an optional dictionary from tests/fuzz/NAME.dict.  A crash, leak, timeout
# or out-of-memory input is saved to tests/fuzz/crashes/NAME/, where
# tests/90-fuzz-regress.t replays it from then on; the script then exits 1.
# Logs: build-fuzz/fuzz_NAME.log.  Environment: FUZZ_CC (default clang),
# FUZZ_TARGETS (names to run, default all).
set -eu
secs=${1:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cc=${FUZZ_CC:-clang}
out=build-fuzz

command -v "$cc" >/dev/null 2>&1 || {
    echo "fuzz.sh: '$cc' not found (make deps installs clang)" >&2
    exit 1
}
# The pkg-config packages are the Makefile's PKGS line, continuation lines included.
pkgs=$(sed -n '/^PKGS *=/,/[^\\]$/p' Makefile | sed 's/^PKGS *=//; s/\\$//' | tr '\n' ' ')
# shellcheck disable=SC2086
pkg_cflags=$(pkg-config --cflags $pkgs)
# shellcheck disable=SC2086
pkg_libs=$(pkg-config --libs $pkgs)
# flite has no pkg-config file: its libraries are the Makefile's FLITE_LIBS.
flite_libs=$(sed -n '/^FLITE_LIBS *=/,/[^\\]$/p' Makefile | sed 's/^FLITE_LIBS *=//; s/\\$//' | tr '\n' ' ')
version=$(sed -n 's/^VERSION *= *//p' Makefile)
# The quotes around the two string macros are meant to reach the compiler
# (as the Makefile's '"..."' does), so word splitting $cflags is right.
# shellcheck disable=SC2089
cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1
 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
 -Ilib -DAVK_VERSION=\"$version\" -DAVK_DATADIR=\"/usr/local/share/av\""

mkdir -p "$out/obj"
# Library objects, instrumented for coverage but without libFuzzer's main.
# Rebuilt when any lib/ source or header is newer than the stamp.
stamp=$out/obj/.stamp
if [ ! -e "$stamp" ] || [ -n "$(find lib -newer "$stamp" -name '*.[ch]' | head -n 1)" ] ||
    [ "$(find lib -maxdepth 1 -name '*.c' | wc -l)" -ne \
        "$(find "$out/obj" -maxdepth 1 -name '*.o' | wc -l)" ]; then
    rm -f "$out"/obj/*.o
    for src in lib/*.c; do
        obj=$out/obj/$(basename "$src" .c).o
        echo "fuzz.sh: cc $src"
        # shellcheck disable=SC2086,SC2090
        $cc $cflags -fsanitize=fuzzer-no-link $pkg_cflags -c -o "$obj" "$src"
    done
    touch "$stamp"
fi

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

failed=""
summary=""
for src in tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    if [ -n "${FUZZ_TARGETS:-}" ]; then
        case " $FUZZ_TARGETS " in *" $name "*) ;; *) continue ;; esac
    fi
    bin=$out/fuzz_$name
    log=$out/fuzz_$name.log
    echo "fuzz.sh: building $bin"
    # shellcheck disable=SC2086,SC2090
    $cc $cflags -fsanitize=fuzzer -DAVK_LIBFUZZER $pkg_cflags -o "$bin" "$src" \
        "$out"/obj/*.o $pkg_libs $flite_libs -lm -lpthread
    work=$out/corpus/$name
    crashes=tests/fuzz/crashes/$name
    mkdir -p "$work" "$crashes"
    set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$crashes/" "$work"
    [ -d "tests/fuzz/corpus/$name" ] && set -- "$@" "tests/fuzz/corpus/$name"
    [ -f "tests/fuzz/$name.dict" ] && set -- -dict="tests/fuzz/$name.dict" "$@"
    echo "fuzz.sh: running $name for ${secs}s (log: $log)"
    if "./$bin" "$@" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed="$failed $name"
        tail -n 40 "$log" >&2
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | sed 's/ft: //')
    summary="$summary
  $name: $status, ${execs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?} edges, ft ${ft:-?}, corpus $(find "$work" -type f | wc -l) files"
done

echo "fuzz.sh: summary (${secs}s per target):$summary"
if [ -n "$failed" ]; then
    echo "fuzz.sh: crashes in:$failed; inputs saved under tests/fuzz/crashes/" >&2
    exit 1
fi
