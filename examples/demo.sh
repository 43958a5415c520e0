#!/bin/sh
# demo.sh BINDIR - make demo.mp4 offline: a fresh workspace under
# demo/ and the whole pipeline, as the README's quick start promises.
set -eu
bin=${1:-build/bin}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
PATH=$bin:$PATH
export PATH
topic=${AV_DEMO_TOPIC:-"5 habits of productive people"}
mkdir -p demo
cd demo
av-project init
av-project new "$topic" --duration 30 |
    av-script | av-voice | av-image | av-render -o ../demo.mp4 > ../demo.jsonl
echo "demo: wrote demo.mp4 (document in demo.jsonl, workspace in demo/)"
