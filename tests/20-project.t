#!/bin/sh
# av-project end to end: init, new (topics, CSV), ls, show, rm, stats, gc, doctor.
. "$AVK_TOP/tests/lib.sh"
scratch

run av-project ls
is "$rc" 66 "no workspace: exit 66 (EX_NOINPUT)"
like "$err" "av-project init" "no workspace: says how to make one"

run av-project init
is "$rc" 0 "init"
ok "$([ -f .av/store.db ] && [ -d .av/assets ]; echo $?)" "init made .av/store.db and .av/assets"
run av-project init
is "$rc" 0 "init again is harmless"
is "$(sqlite3 .av/store.db 'PRAGMA journal_mode')" "wal" "store is in WAL mode"
ok "$([ "$(sqlite3 .av/store.db "PRAGMA user_version")" -ge 1 ]; echo $?)" "schema version recorded"

run av-project new "5 habits of productive people" --duration 30 --style funny
is "$rc" 0 "new"
id=$(jget "$out" id)
is "$(jget "$out" topic)" "5 habits of productive people" "new prints the document"
is "$(jget "$out" settings.duration)" "30.0" "settings carried"
is "$(jget "$out" format.height)" "1920" "default 9:16 format"

hostile='He said "hi" \ back: 100% {x} 🚀 مرحبا بالعالم'
run av-project new "$hostile"
is "$(jget "$out" topic)" "$hostile" "hostile topic survives intact"
hid=$(jget "$out" id)
run av-project show "$hid"
is "$(jget "$out" topic)" "$hostile" "hostile topic stored intact"

run av-project new
is "$rc" 64 "new without a topic is a usage error"
printf 'bad \377 utf8\n' > badutf.txt
run av-project new --from badutf.txt
is "$rc" 65 "invalid UTF-8 topic: data error"
like "$err" "UTF-8" "error says why"
run av-project new "x" --aspect 3:7
is "$rc" 64 "unknown aspect is a usage error"

printf 'first topic\n# a comment\n\nsecond topic\n' > topics.txt
run av-project new --from topics.txt
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2 "topics file: one project per line"

# (printf, not a here-document: dash mangles some UTF-8 bytes in those)
printf '%s\n' 'topic,style,duration,lang,voice' \
    '"Why cats, dogs and ""birds"" sleep",educational,45,en,en-us' \
    "$(printf 'C\303\263mo ahorrar dinero,engaging,30,es,')" > batch.csv
run av-project new --from batch.csv
is "$rc" 0 "CSV batch"
line1=$(printf '%s\n' "$out" | sed -n 1p)
line2=$(printf '%s\n' "$out" | sed -n 2p)
is "$(jget "$line1" topic)" 'Why cats, dogs and "birds" sleep' "CSV quoting"
is "$(jget "$line1" settings.duration)" "45.0" "CSV duration as a number"
is "$(jget "$line2" lang)" "es" "CSV lang column sets the language"
printf 'topic,duration\nok,1\n' > bad.csv
run av-project new --from bad.csv
is "$rc" 65 "CSV with an out-of-range duration: data error"
like "$err" "bad.csv: line 2" "error names the file and line"

run av-project ls
is "$rc" 0 "ls"
like "$out" "5 habits of productive people" "ls shows topics"
run av-project ls --json
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 6 "ls --json: one line per project"

prefix=$(printf %s "$id" | cut -c1-6)
run av-project show "$prefix"
is "$(jget "$out" id)" "$id" "show by unique prefix"
run av-project show nosuch
is "$rc" 66 "show of a missing project: 66"

run av-project rm "$hid"
is "$rc" 0 "rm"
run av-project show "$hid"
is "$rc" 66 "removed project is gone"

mkdir -p .av/assets/ab
echo junk > .av/assets/ab/abababababababababababababababababababababababababababababababab.bin
run av-project gc --dry-run
like "$out" "would remove 1" "gc --dry-run counts an orphan"
ok "$([ -f .av/assets/ab/abababababababababababababababababababababababababababababababab.bin ]; echo $?)" "dry run keeps it"
run av-project gc
like "$out" "removed 1" "gc removes the orphan"

run av-project stats --json
is "$rc" 0 "stats"
like "$out" '"new":5' "stats counts projects by status"

run av-project doctor
is "$rc" 0 "doctor passes on a good workspace"
like "$out" "schema [0-9]" "doctor reports the schema"

mkdir -p xdg/av
printf 'openai:\n  api_key: sk-test-secret\n' > xdg/av/config.yaml
chmod 644 xdg/av/config.yaml
run av-project doctor
is "$rc" 69 "doctor fails on a world-readable secrets file"
like "$out" "chmod 600" "doctor says how to fix it"
unlike "$out$err" "sk-test-secret" "the secret is never printed"
chmod 600 xdg/av/config.yaml
run av-project doctor
is "$rc" 0 "doctor passes once fixed"

# doctor --online measures each configured endpoint
cat > fake.py <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["AVK_TOP"], "tests", "fakes"))
import fakehttp
from fakehttp import Reply
app = fakehttp.App()
app.route("GET", "/v1")(lambda req: Reply.json({"error": "no key"}, status=401))
fakehttp.serve(app)
PY
python3 fake.py --port-file port --lifetime 30 &
fake=$!
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
run env AV_OPENAI_BASE_URL="http://127.0.0.1:$(cat port)/v1" av-project doctor --online
is "$rc" 0 "doctor --online with a reachable endpoint"
like "$out" "online .*openai: .*answers (HTTP 401 in [0-9]* ms)" "doctor --online reports status and time"
run env AV_OPENAI_BASE_URL="http://127.0.0.1:1/v1" av-project doctor --online
is "$rc" 69 "doctor --online fails on an unreachable endpoint"
like "$out" "FAIL online .*openai" "and names the provider"
kill $fake 2>/dev/null
rm -f xdg/av/config.yaml
run av-project doctor --online
like "$out" "no network provider configured" "offline by default"

run av-project frobnicate
is "$rc" 64 "unknown command: 64"
run av-project --version
like "$out" "^av-project [0-9]" "--version"
run av-project --help
is "$rc" 0 "--help exits 0"
like "$out" "usage: av-project" "--help prints usage on stdout"

cd / && AV_HOME="$T" run av-project ls
is "$rc" 0 "AV_HOME finds the workspace from elsewhere"
run av-project --store "$T" ls
is "$rc" 0 "--store finds the workspace"
done_testing
