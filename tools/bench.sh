#!/bin/sh
# bench.sh BINDIR - the render reference job (docs: reference-job.md).
# Builds the bench driver next to BINDIR's build, runs it in a scratch
# directory and writes the figures to bench/results.txt.
#
# BENCH_LONG=SECONDS (default 300; 0 skips) also renders the job that long,
# to compare its peak RSS with the 60 s one (memory must stay flat).
# Where the ffmpeg program is installed, the same job is also timed as one
# ffmpeg command (zoompan, xfade, subtitles, amix), the peer to beat.  The
# ffmpeg CLI is only this benchmark's peer: av never runs it.  Its argv is
# built from fixed words and numbers; file names are relative names inside
# the scratch directory, never interpolated into a shell string.
set -eu
bindir=${1:-build/bin}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$bindir/.." && pwd)
long=${BENCH_LONG:-300}
case $long in *[!0-9]*|'') echo "bench.sh: BENCH_LONG must be a number" >&2; exit 64 ;; esac
make -C "$top" --no-print-directory BUILD="$build" "$build/tests/render_bench" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/avk-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$top/bench"
set --
[ "$long" -gt 0 ] && set -- -L "$long"
"$build/tests/render_bench" "$@" "$work" "$top/bench/results.txt.new"

# The peer: the obvious ffmpeg filter graph for the same job.  Six stills of
# 10.5 s (zoompan), five 0.5 s crossfades, the captions through libass,
# narration mixed with a music bed.
peer=""
if command -v ffmpeg >/dev/null 2>&1 && [ -x /usr/bin/time ]; then
    g=""
    i=0
    for z in "1+0.15*on/315" "1.15-0.15*on/315" "1.15" "1+0.15*on/315" \
             "1.15-0.15*on/315" "1.15"; do
        case $i in
            2) x="(iw-iw/zoom)*(1-on/315)" ;;
            5) x="(iw-iw/zoom)*on/315" ;;
            *) x="iw/2-iw/zoom/2" ;;
        esac
        g="${g}[$i:v]zoompan=z='$z':x='$x':y='ih/2-ih/zoom/2':d=315:s=1080x1920:fps=30,setsar=1,format=yuv420p[s$i];"
        i=$((i + 1))
    done
    g="${g}[s0][s1]xfade=transition=fade:duration=0.5:offset=10[x1];"
    g="${g}[x1][s2]xfade=transition=fade:duration=0.5:offset=20[x2];"
    g="${g}[x2][s3]xfade=transition=fade:duration=0.5:offset=30[x3];"
    g="${g}[x3][s4]xfade=transition=fade:duration=0.5:offset=40[x4];"
    g="${g}[x4][s5]xfade=transition=fade:duration=0.5:offset=50[x5];"
    g="${g}[x5]subtitles=filename=subs.srt:force_style='Fontname=Noto Sans,Bold=1,Fontsize=22,Outline=3,MarginV=90'[v];"
    g="${g}[7:a]volume=0.15[bed];[6:a][bed]amix=inputs=2:duration=first:normalize=0[a]"
    if (cd "$work" && /usr/bin/time -f "%e %U %S %M" -o peer.time \
        ffmpeg -nostdin -hide_banner -loglevel error -y \
            -i scene0.jpg -i scene1.jpg -i scene2.jpg -i scene3.jpg \
            -i scene4.jpg -i scene5.jpg -i voice.wav \
            -f lavfi -i "sine=frequency=220:sample_rate=48000:duration=60" \
            -filter_complex "$g" -map "[v]" -map "[a]" -t 60 \
            -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p \
            -c:a aac -b:a 128k -ar 48000 -movflags +faststart peer.mp4); then
        peer=$(awk '{ printf "ffmpeg CLI peer (zoompan, xfade, subtitles, amix): %7.2f s wall %7.2f s CPU  peak RSS %6.1f MB\n", $1, $2 + $3, $4 / 1024 }' "$work/peer.time")
    else
        peer="ffmpeg CLI peer: failed"
    fi
else
    peer="ffmpeg CLI peer: skipped (no ffmpeg program or /usr/bin/time)"
fi
{
    echo "# make bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -m)"
    cat "$top/bench/results.txt.new"
    echo "$peer"
} >"$top/bench/results.txt"
rm -f "$top/bench/results.txt.new"
echo "$peer"
echo "figures written to bench/results.txt"
