#!/bin/sh
# The "beyond one machine" examples: the make -j batch Makefile renders
# a list of topics, and the bundle worker spreads project bundles with
# GNU parallel (here on this machine) and the results come back.  The
# stage tools are stand-ins built on the test stage tool (stage_echo), so
# this checks the plumbing, not the rendering.
. "$AVK_TOP/tests/lib.sh"
scratch
mkdir bin
for s in trend script voice image render publish; do
    cat > "bin/av-$s" <<FAKE
#!/bin/sh
# stand-in for av-$s: the stage driver of stage_echo, -o FILE honoured
out=; skip=0
for a do
    shift
    if [ "\$skip" = 1 ]; then out=\$a; skip=0; continue; fi
    case \$a in -o) skip=1; continue ;; esac
    set -- "\$@" "\$a"
done
if [ -n "\$out" ]; then
    "$AVK_BUILD/tests/stage_echo" --stage $s "\$@" > "\$out.doc" || exit \$?
    cp "\$out.doc" "\$out" && cat "\$out.doc" && rm -f "\$out.doc"
else
    exec "$AVK_BUILD/tests/stage_echo" --stage $s "\$@"
fi
FAKE
    chmod +x "bin/av-$s"
done
ln -s "$(command -v av-project)" bin/av-project

# --- make -j over a topics list
cat > topics.txt <<'EOF2'
five habits of productive people
it's "quoted" $(touch pwned) `touch pwned2`

why cats purr
EOF2
run make -s -j3 -f "$AVK_TOP/examples/batch/Makefile" TOPICS=topics.txt AV_BIN="$T/bin"
is "$rc" 0 "make -j3 batch"
ok "$([ -f out/1.mp4 ] && [ -f out/2.mp4 ] && [ -f out/3.mp4 ]; echo $?)" "three videos"
ok "$([ ! -e out/4.mp4 ] && [ ! -e pwned ] && [ ! -e pwned2 ]; echo $?)" "blank line skipped, topic text never run"
is "$(sqlite3 batch/.av/store.db "SELECT count(*) FROM projects WHERE json_extract(doc, '\$.render.text') IS NOT NULL")" 3 "three rendered projects in the batch workspace"
like "$(cat out/2.jsonl)" 'QUOTED' "the odd topic went through intact"
run make -s -j3 -f "$AVK_TOP/examples/batch/Makefile" TOPICS=topics.txt AV_BIN="$T/bin"
is "$(sqlite3 batch/.av/store.db "SELECT count(*) FROM projects")" 3 "a second make does nothing"

# --- the same Makefile with the real tools: three short videos, offline
mkdir real && cd real
printf '%s\n' "why cats purr" "how to brew tea" "three facts about rain" > topics.txt
run make -s -j3 -f "$AVK_TOP/examples/batch/Makefile" TOPICS=topics.txt DURATION=5 RENDER_ARGS="--preview --no-music"
is "$rc" 0 "make -j3 batch with the real tools"
ok "$([ -s out/1.mp4 ] && [ -s out/2.mp4 ] && [ -s out/3.mp4 ]; echo $?)" "three real videos"
for n in 1 2 3; do
    is "$(jget "$(cat out/$n.jsonl)" render.vcodec)" "h264" "video $n is H.264"
done
cd "$T"

# --- bundles through GNU parallel
if ! command -v parallel >/dev/null 2>&1; then
    echo "# GNU parallel is not installed (tools/deps.sh installs it)"
    for _ in 1 2 3 4 5 6 7; do ok 0 "# skip no GNU parallel"; done
    done_testing
    exit $?
fi
av-project init w 2>/dev/null
cd w || exit 1
av-project new "alpha" "beta" "gamma" > docs.jsonl 2>/dev/null
for id in $(sed 's/.*"id":"\([a-z0-9]*\)".*/\1/' docs.jsonl); do
    av-project export "$id" -o "$id.tar.gz" 2>/dev/null
done
run env AV_BIN_DIR="$T/bin" sh "$AVK_TOP/examples/parallel.sh" -j 3 ./*.tar.gz
is "$rc" 0 "parallel.sh over three bundles"
is "$(find . -name "*.done.tar.gz" | grep -c .)" 3 "three results came back"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects WHERE json_extract(doc, '\$.render.text') IS NOT NULL")" 3 "imported: all three rendered here"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects")" 3 "no duplicate projects"

# the worker alone: a bad stage and a failing tool
run sh "$AVK_TOP/examples/bundle-worker.sh" "$(ls ./*.tar.gz | sed -n 1p)" x.tar.gz dance
is "$rc" 64 "unknown stage refused"
run sh "$AVK_TOP/examples/bundle-worker.sh" missing.tar.gz x.tar.gz
is "$rc" 66 "missing bundle: 66"
ok "$([ ! -e x.tar.gz ]; echo $?)" "no result on failure"
done_testing
