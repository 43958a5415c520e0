#!/bin/sh
# parallel.sh [-S SSHLOGINS] [-j N] BUNDLE.tar.gz...
#
# Spread project bundles over machines with GNU parallel: each bundle is
# copied to a host, bundle-worker.sh renders it there, the result
# BUNDLE.done.tar.gz comes back and is imported into this workspace.
#
#   av-project ls --json | python3 -c '...ids...' | while read id; do
#       av-project export "$id" -o "$id.tar.gz"; done
#   examples/parallel.sh -S 8/render1,8/render2 *.tar.gz
#
# SSHLOGINS is GNU parallel's --sshlogin list ("8/host" runs 8 jobs on
# host; ":" is this machine, the default).  Every host needs av installed;
# the worker script itself is copied along (--basefile).  A bundle that
# fails with status 75 (temporary) is tried again (--retries 3).
set -eu
logins=:
jobs=
while getopts S:j: opt; do
    case $opt in
    S) logins=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *)
        echo "usage: parallel.sh [-S SSHLOGINS] [-j N] BUNDLE..." >&2
        exit 64
        ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || {
    echo "usage: parallel.sh [-S SSHLOGINS] [-j N] BUNDLE..." >&2
    exit 64
}
here=$(cd "$(dirname "$0")" && pwd)
worker=bundle-worker.sh
cp "$here/bundle-worker.sh" "./$worker.tmp.$$" && mv "./$worker.tmp.$$" "./$worker"

# {} is the bundle; the result is named by replacing .tar.gz
# shellcheck disable=SC2016
rc=0
parallel --will-cite --sshlogin "$logins" ${jobs:+--jobs "$jobs"} \
    --retries 3 --halt never \
    --basefile "$worker" --transferfile {} \
    --return '{= s/\.tar\.gz$// =}.done.tar.gz' --cleanup \
    sh ./"$worker" {} '{= s/\.tar\.gz$// =}.done.tar.gz' ::: "$@" || rc=$?
for b in "$@"; do
    done_bundle=${b%.tar.gz}.done.tar.gz
    [ -f "$done_bundle" ] && av-project import "$done_bundle" >/dev/null
done
rm -f "./$worker"
exit $rc
