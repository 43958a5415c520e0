#!/bin/sh
# run-tests.sh BUILD - run the suite against the binaries in BUILD with prove.
# Shell tests are tests/*.t; C unit tests are BUILD/tests/test_*.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$top/$build ;; esac
AVK_BUILD=$build
AVK_TOP=$top
PATH=$build/bin:$PATH
AV_DATADIR=$top/share
export AVK_BUILD AVK_TOP PATH AV_DATADIR
unset AV_HOME XDG_CONFIG_HOME || true
# Sanitizer settings (used only by the SAN=1 build).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
cd "$top"
echo "# suite against $build"
jobs=${AVK_TEST_JOBS:-2}
# shellcheck disable=SC2046
exec prove -j"$jobs" --exec '' --timer $(ls "$build"/tests/test_* 2>/dev/null) $(ls tests/*.t 2>/dev/null)
