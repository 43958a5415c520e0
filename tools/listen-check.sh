#!/bin/sh
# listen-check.sh [BUILD] [ENGINE...] - how well an automatic listener
# understands each offline voice: the same ten English sentences are
# spoken by each ENGINE (PROVIDER or PROVIDER:VOICE; default: espeak
# flite:slt), decoded by pocketsphinx (US English model) and compared with
# the text; prints each engine's word error rate (lower is better).
# Not part of the suite; needs `make build-tests` (av-voice and the
# wav16k helper) and the Debian packages pocketsphinx and
# pocketsphinx-en-us.  The figures choose av-voice's default English
# provider (EN_DEFAULT in cmd/av-voice.c; see av-voice(1)).
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$top/$build ;; esac
model=/usr/share/pocketsphinx/model/en-us
for f in "$build/bin/av-voice" "$build/tests/wav16k"; do
    [ -x "$f" ] || { echo "listen-check: no $f; run make build-tests" >&2; exit 69; }
done
if ! command -v pocketsphinx_continuous >/dev/null 2>&1 ||
    [ ! -d "$model/en-us" ]; then
    echo "listen-check: needs pocketsphinx and pocketsphinx-en-us" >&2
    exit 69
fi
[ $# -gt 0 ] || set -- espeak flite:slt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cat > "$tmp/ref.txt" <<'TXT'
Want to get more done every single day?
Here are five habits of highly productive people.
First, they plan tomorrow before they go to bed.
Second, they turn off notifications during deep work.
Third, they take short breaks and drink plenty of water.
Fourth, they say no to meetings without a clear goal.
Fifth, they review their progress at the end of the week.
Small changes add up to big results over time.
Try one of these habits starting today.
Follow for more tips and share this with a friend.
TXT
# One recording per engine, a sentence per scene with 0.6 s between
# them (pocketsphinx adapts its normalisation over the first seconds).
text=$(sed 's/$/\n/' "$tmp/ref.txt")
for engine in "$@"; do
    provider=${engine%%:*}
    voice=
    case $engine in *:*) voice=${engine#*:} ;; esac
    "$build/bin/av-voice" -q --provider "$provider" \
        ${voice:+--voice "$voice"} --scene-pause 0.6 \
        --text "$text" -o "$tmp/all.wav"
    "$build/tests/wav16k" "$tmp/all.wav" "$tmp/all.16k.wav"
    pocketsphinx_continuous -infile "$tmp/all.16k.wav" \
        -hmm "$model/en-us" -lm "$model/en-us.lm.bin" \
        -dict "$model/cmudict-en-us.dict" -logfn /dev/null |
        tr '\n' ' ' > "$tmp/hyp.txt"
    python3 - "$engine" "$tmp/ref.txt" "$tmp/hyp.txt" <<'PY'
import re, sys
def words(s):
    return re.sub(r"[^a-z' ]", " ", s.lower()).split()
def dist(a, b):
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[len(b)]
ref = words(open(sys.argv[2]).read())
hyp = words(open(sys.argv[3]).read())
errs = dist(ref, hyp)
n = len(ref)
print("%-16s WER %5.1f%%  (%d errors in %d words)" % (sys.argv[1], 100.0 * errs / n, errs, n))
PY
done
