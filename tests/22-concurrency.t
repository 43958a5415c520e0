#!/bin/sh
# Many processes writing one store at once: no lost update, no
# "database is locked" reaching the user.
. "$AVK_TOP/tests/lib.sh"
scratch
H=$AVK_BUILD/tests/store_hammer
E=$AVK_BUILD/tests/stage_echo
av-project init 2>/dev/null
id=$(jget "$(av-project new 'shared project')" id)

# 8 processes x 25 read-modify-write transactions on one document
pids=
for p in 1 2 3 4 5 6 7 8; do
    $H "$T" "$id" 25 "p$p" 2>"h$p.err" &
    pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "8 writers all succeed"
is "$(cat h*.err)" "" "no lock errors on stderr"
n=$(sqlite3 .av/store.db "SELECT json_array_length(doc, '\$.hammer') FROM projects WHERE id='$id'")
is "$n" 200 "all 200 updates present"
distinct=$(sqlite3 .av/store.db "SELECT count(DISTINCT value) FROM projects p, json_each(p.doc, '\$.hammer') WHERE p.id='$id'")
is "$distinct" 200 "each update present exactly once"

# 8 tools at once: new projects and stage runs, like make -j8
for p in 1 2 3 4 5 6 7 8; do
    ( av-project new "topic $p" | $E ) > "run$p.out" 2> "run$p.err" &
done
wait
is "$(cat run*.out | grep -c .)" 8 "8 concurrent pipelines produced 8 documents"
is "$(cat run*.err)" "" "no errors from concurrent pipelines"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects")" 9 "all projects stored"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='ok'")" 8 "all stage runs recorded"
done_testing
