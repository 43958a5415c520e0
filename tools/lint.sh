#!/bin/sh
# lint.sh - cppcheck and clang-tidy over every C source, with the
# checked-in configurations (.cppcheck-suppressions, .clang-tidy).
set -eu
cd "$(dirname "$0")/.."
# The Makefile's PKGS line, continuation lines included (as in fuzz.sh).
PKGS=$(sed -n '/^PKGS *=/,/[^\\]$/p' Makefile | sed 's/^PKGS *=//; s/\\$//' | tr '\n' ' ')
# shellcheck disable=SC2086
CFLAGS_PKG=$(pkg-config --cflags $PKGS 2>/dev/null || true)
SRCS=$(ls lib/*.c cmd/*.c tests/unit/*.c tests/helpers/*.c 2>/dev/null)
status=0
echo "lint: cppcheck"
# shellcheck disable=SC2086
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
    --inline-suppr --suppressions-list=.cppcheck-suppressions \
    --include=tools/cppcheck-defs.h -D__GNUC__ -DAVK_VERSION='"0"' -Ilib $SRCS || status=1
echo "lint: clang-tidy"
# One clang-tidy per file, as many at once as there are cores; a file that
# fails prints its findings and its name.
jobs=$(nproc 2>/dev/null || echo 2)
LINT_FLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DAVK_VERSION=\"0\" -DAVK_DATADIR=\"/usr/share/av\" -Ilib -Itests/unit $CFLAGS_PKG"
export LINT_FLAGS
# shellcheck disable=SC2016
printf '%s\n' $SRCS | xargs -P "$jobs" -I{} sh -c \
    'clang-tidy --quiet "$1" -- $LINT_FLAGS 2>/dev/null || { echo "lint: clang-tidy: $1"; exit 1; }' \
    sh {} || status=1
[ $status -eq 0 ] && echo "lint: clean"
exit $status
