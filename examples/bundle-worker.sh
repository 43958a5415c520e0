#!/bin/sh
# bundle-worker.sh IN.tar.gz OUT.tar.gz [STAGE...]
#
# The unit of work when av runs on a batch engine (GNU parallel over ssh,
# Slurm, Kubernetes, make -j): import one project bundle (made by
# `av-project export`) into a fresh scratch workspace, run the stages on
# it (default: AV_WORKER_STAGES, else script voice image render), and
# export the result to OUT, which the caller imports back with
# `av-project import OUT`.
#
# The exit status is the failing tool's, so 75 (temporary: network, 429,
# 5xx) can be retried by the engine and anything else is permanent.
# OUT appears complete or not at all.
#
# Environment:
#   AV_BIN_DIR   directory holding the av tools (default: found on PATH)
#   AV_WORKER_STAGES
#                the stages when none are given, separated by spaces (the
#                batch engines' scripts run the worker without any)
#   TMPDIR       where the scratch workspace is made (removed at exit)
set -eu

usage() {
    echo "usage: bundle-worker.sh IN.tar.gz OUT.tar.gz [STAGE...]" >&2
    exit 64
}
[ $# -ge 2 ] || usage
in=$1
out=$2
shift 2
set -f # a list of words, never file names
# shellcheck disable=SC2086
[ $# -gt 0 ] || set -- ${AV_WORKER_STAGES:-script voice image render}
set +f

tool() {
    if [ -n "${AV_BIN_DIR:-}" ]; then
        printf '%s/av-%s\n' "$AV_BIN_DIR" "$1"
    else
        printf 'av-%s\n' "$1"
    fi
}

for stage in "$@"; do
    case $stage in
    trend | script | voice | image | render | publish) ;;
    *)
        echo "bundle-worker.sh: unknown stage '$stage'" >&2
        exit 64
        ;;
    esac
done
case $in in /*) ;; *) in=$(pwd)/$in ;; esac
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
[ -f "$in" ] || {
    echo "bundle-worker.sh: no bundle '$in'" >&2
    exit 66
}

work=$(mktemp -d "${TMPDIR:-/tmp}/av-worker.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 75' HUP INT TERM

"$(tool project)" init "$work" 2>/dev/null
id=$("$(tool project)" --store "$work" import "$in")
for stage in "$@"; do
    # each tool reads the project from the scratch store and saves its
    # section back there (the stage driver's merge-on-write)
    "$(tool "$stage")" --store "$work" --project "$id" >"$work/last.jsonl"
done
"$(tool project)" --store "$work" export "$id" -o "$out"
