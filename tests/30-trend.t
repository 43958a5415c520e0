#!/bin/sh
# av-trend end to end: recorded files, ranking options, partial failure,
# snapshots in the store, velocity across two fetches of a changing fake
# feed, history and sources, HN/Reddit/YouTube over HTTP.
. "$AVK_TOP/tests/lib.sh"
scratch
F=$AVK_TOP/examples/feeds
NOW=2026-11-25T12:00:00Z
all="-s $F/news-daily.rss -s $F/world-wire.rss -s $F/tech-notes.atom -s $F/gtrends-US.xml -s $F/hn-topstories.json -s $F/reddit-worldnews.json"

# py FILE EXPR: evaluate EXPR over the JSON lines in FILE (as list L).
py() {
    python3 -c 'import json,sys
L=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))' "$1" "$2"
}

# --- files, no workspace ---
run av-trend --now $NOW $all -n 0 --explain
is "$rc" 0 "six recorded feeds rank"
printf '%s\n' "$out" > all.jsonl
is "$(py all.jsonl 'L[0]["trend"]["topic"]')" "Lunar rover finds water ice near the Moon's south pole" "story in every source ranks first"
is "$(py all.jsonl 'len(L[0]["trend"]["sources"])')" 5 "merged across five sources"
is "$(py all.jsonl 'all(d["version"]==1 and d["topic"]==d["trend"]["topic"] and d["format"]["height"]==1920 for d in L)')" True "pipeline documents"
is "$(py all.jsonl 'all(abs(sum(d["trend"]["score_parts"].values())-d["trend"]["score"])<1e-9 for d in L)')" True "score parts add up to the score"
is "$(py all.jsonl 'all(abs(v["weight"]*v["value"]-v["part"])<1e-5 for d in L for v in d["trend"]["explain"].values())')" True "explain: part = weight x value"
is "$(py all.jsonl '[d["trend"]["score"] for d in L]==sorted([d["trend"]["score"] for d in L],reverse=True)')" True "best first"
is "$(py all.jsonl 'L[0]["trend"]["explain"]["velocity"]["previous"]')" None "no workspace: no previous run"
like "$err" "no earlier run" "says velocity has nothing to compare with"
run av-trend --now $NOW $all -n 0 --explain
printf '%s\n' "$out" > again.jsonl
is "$(py again.jsonl '[d["trend"] for d in L]')" "$(py all.jsonl '[d["trend"] for d in L]')" "deterministic"

run av-trend --now $NOW $all -n 2
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2 "--limit"
run av-trend --now $NOW $all --include HEATWAVE
printf '%s\n' "$out" > inc.jsonl
is "$(py inc.jsonl '[d["topic"] for d in L]')" "['Southern Europe heatwave breaks November records']" "--include"
run av-trend --now $NOW $all -n 0 --exclude moon --exclude rover
printf '%s\n' "$out" > exc.jsonl
is "$(py exc.jsonl 'any("oon" in d["topic"] or "over" in d["topic"] for d in L)')" False "--exclude"
run av-trend --now $NOW $all -n 0 --min-score 0.4
printf '%s\n' "$out" > min.jsonl
is "$(py min.jsonl 'len(L)>0 and all(d["trend"]["score"]>=0.4 for d in L)')" True "--min-score"
run av-trend --now $NOW $all -s $F/youtube-mostpopular.json -n 0 --lang es
printf '%s\n' "$out" > es.jsonl
is "$(py es.jsonl 'any(d["lang"]=="es" for d in L) and not any("Lunar rover" in d["topic"] for d in L)')" True "--lang es keeps Spanish and unknown-language items"
run av-trend --now $NOW $all -n 0 --since 6h
printf '%s\n' "$out" > since.jsonl
is "$(py since.jsonl 'any("Marathon" in d["topic"] for d in L)')" False "--since 6h drops old items"
run av-trend --now $NOW $all --since yesterday
is "$rc" 64 "bad --since is a usage error"

run env AV_DATADIR="$T/nowhere" av-trend --now $NOW -s "$F/news-daily.rss" -n 1
is "$rc" 0 "no stop-word lists: still ranks"
like "$err" "without stop words" "and warns"

# --- failures ---
printf '<rss><channel><item><title>Broken' > broken.xml
printf '<html><body>Service Unavailable</body></html>' > page.html
run av-trend --now $NOW -s $F/news-daily.rss -s broken.xml -s page.html -s missing.rss
is "$rc" 1 "some sources failed: exit 1 (partial)"
like "$err" "'broken.xml': malformed XML" "warning names the malformed source"
like "$err" "'page.html': not a feed" "warning names the HTML page"
like "$err" "'missing.rss'" "warning names the missing file"
ok "$([ -n "$out" ]; echo $?)" "topics still printed from the good source"
run av-trend -s broken.xml -s missing.rss
ok "$([ "$rc" != 0 ] && [ "$rc" != 1 ]; echo $?)" "every source failed: a real error status ($rc)"
run av-trend -n 1
is "$rc" 0 "no --source: the sample feeds"
like "$err" "reading the sample feeds" "says where it reads from"
is "$(printf '%s\n' "$out" | grep -c '"trend"')" 1 "and prints a topic"
mkdir -p cfgdir/av
printf 'trend:\n  sources:\n    - %s/news-daily.rss\n' "$F" > cfgdir/av/config.yaml
XDG_CONFIG_HOME=$PWD/cfgdir run av-trend -n 0 --explain
is "$rc" 0 "trend.sources from the configuration"
printf '%s\n' "$out" > cfg.jsonl
is "$(py cfg.jsonl 'len(set(s for d in L for s in d["trend"]["sources"]))')" 1 "only its one source is read"
printf 'trend:\n  sources: 5\n' > cfgdir/av/config.yaml
XDG_CONFIG_HOME=$PWD/cfgdir run av-trend -n 1
is "$rc" 78 "trend.sources that is not a list: configuration error"
AV_DATADIR=$PWD/nowhere run av-trend -n 1
is "$rc" 64 "no sources and no sample feeds: usage error"
run av-trend -s reddit:a/b
is "$rc" 64 "bad subreddit: usage error"
run av-trend sources
is "$rc" 66 "sources without a workspace: 66"

# --- workspace: snapshots, velocity between two readings of a changing feed ---
av-project init >/dev/null 2>&1
cp "$F/gtrends-US.xml" trends.xml
run av-trend --now $NOW -s trends.xml -n 0
is "$rc" 0 "first reading"
cp "$F/gtrends-US-later.xml" trends.xml
run av-trend --now 2026-11-25T14:00:00Z -s trends.xml -n 0 --explain
is "$rc" 0 "second reading (the feed has changed)"
printf '%s\n' "$out" > t2.jsonl
is "$(py t2.jsonl 'L[0]["topic"]')" "moon water ice" "growing topic first"
is "$(py t2.jsonl 'L[0]["trend"]["explain"]["velocity"]["growth"] > 0.2 and L[0]["trend"]["explain"]["velocity"]["value"] > 0.6')" True "growing topic: positive growth, high velocity"
is "$(py t2.jsonl '[d["trend"]["explain"]["velocity"]["growth"] < 0 for d in L if d["topic"]=="championship final"]')" "[True]" "shrinking topic: negative growth"
is "$(py t2.jsonl 'all(0 <= d["trend"]["score"] <= 1 for d in L)')" True "scores in [0, 1]"
is "$(py t2.jsonl 'len(L[0]["trend"]["items"])')" 2 "'lunar rover' search merged into it"
is "$(sqlite3 .av/store.db 'SELECT count(*) FROM trend_snapshots WHERE source="trends.xml"')" 2 "two snapshots stored"
is "$(sqlite3 .av/store.db 'SELECT group_concat(items) FROM trend_snapshots ORDER BY id')" "4,5" "snapshot item counts"
is "$(sqlite3 .av/store.db 'SELECT count(*) FROM trend_items')" 9 "items stored"
is "$(sqlite3 .av/store.db 'SELECT count(*) FROM trend_runs')" 2 "two runs stored"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects WHERE topic='moon water ice'")" 1 "a topic seen twice is one project"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects")" 4 "each topic started a project"
mid=$(py t2.jsonl 'L[0]["id"]')
run av-project show "$mid"
printf '%s\n' "$out" > p.jsonl
is "$(py p.jsonl 'L[0]["trend"]["topic"]+" "+L[0]["stages"]["trend"]["tool"]')" "moon water ice av-trend" "stored project has the trend section and stage stamp"
is "$(py p.jsonl 'len(L[0]["stages"]["trend"]["input"])')" 64 "stamp input is a SHA-256"
run av-trend --now 2026-11-25T14:00:00Z -s trends.xml -n 1 --no-projects --include zzz
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects")" 4 "--no-projects starts none"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM trend_runs")" 3 "but the run is kept"
run av-trend history "water ice"
is "$rc" 0 "history"
is "$(printf '%s\n' "$out" | grep -c 'moon water ice')" 3 "history: one line per run"
run av-trend history "water ice" --json
printf '%s\n' "$out" > h.jsonl
is "$(py h.jsonl '[d["at"] for d in L]')" "['2026-11-25T12:00:00Z', '2026-11-25T14:00:00Z', '2026-11-25T14:00:00Z']" "history --json: times of the runs"
run av-trend history "no such thing"
is "$rc" 66 "history with no match: 66"
run av-trend --now $NOW -s trends.xml -s broken.xml -n 1
is "$rc" 1 "partial failure with a workspace"
is "$(sqlite3 .av/store.db 'SELECT count(*) FROM trend_snapshots WHERE source="broken.xml"')" 0 "nothing stored for the failed source"
run av-trend sources
is "$rc" 0 "sources"
like "$out" "trends.xml" "sources lists the feed"
run av-trend sources --json
printf '%s\n' "$out" > s.jsonl
is "$(py s.jsonl '[(d["snapshots"], d["kind"]) for d in L if d["source"]=="trends.xml"]')" "[(4, 'gtrends')]" "sources --json: snapshot count and kind"

# --- network sources through a fake server ---
python3 "$AVK_TOP/tests/fakes/trend_server.py" --dir "$F" --port-file port \
    --log requests.log --timeout 60 &
srv=$!
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P=$(cat port)
export AV_TREND_GTRENDS_URL=http://127.0.0.1:$P AV_TREND_HN_URL=http://127.0.0.1:$P/v0 \
    AV_TREND_REDDIT_URL=http://127.0.0.1:$P AV_TREND_YOUTUBE_URL=http://127.0.0.1:$P/youtube/v3 \
    AV_HTTP_MAX_ATTEMPTS=2 AV_HTTP_BACKOFF_MS=1 AV_HTTP_BACKOFF_MAX_MS=5

run av-trend --now $NOW -s gtrends:US -n 0
is "$rc" 0 "first fetch of gtrends:US"
run av-trend --now 2026-11-25T14:00:00Z -s gtrends -n 0 --explain
is "$rc" 0 "second fetch (the server's feed has changed)"
printf '%s\n' "$out" > n2.jsonl
is "$(py n2.jsonl 'L[0]["topic"]+" "+str(L[0]["trend"]["explain"]["velocity"]["growth"] > 0.2)')" "moon water ice True" "velocity across two fetches"
is "$(sqlite3 .av/store.db 'SELECT count(*) FROM trend_snapshots WHERE source="gtrends:US"')" 2 "two snapshots of gtrends:US"
like "$(grep trending requests.log | head -1)" "geo=US" "region in the request"

run av-trend --now $NOW -s hn -s reddit:worldnews -s http://127.0.0.1:$P/fail/503 -s http://127.0.0.1:$P/fail/trunc -n 0
is "$rc" 1 "hn and reddit over HTTP, two failing URLs: partial"
printf '%s\n' "$out" > net.jsonl
is "$(py net.jsonl 'sorted(L[0]["trend"]["sources"])')" "['hn', 'reddit:worldnews']" "HN and Reddit agree on the top story"
like "$err" "fail/503.*HTTP 503" "503 named"
like "$err" "fail/trunc'*: malformed XML" "truncated feed named"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM trend_snapshots WHERE source LIKE '%fail%'")" 0 "nothing stored for failed sources"
is "$(grep -c '/v0/item/' requests.log)" 6 "one request per HN story"
like "$(grep '/r/worldnews/hot.json' requests.log)" "av-trend" "Reddit gets a descriptive User-Agent"

run av-trend --now $NOW -s youtube
ok "$([ "$rc" = 78 ]; echo $?)" "youtube without a key: configuration error ($rc)"
YOUTUBE_API_KEY=FAKEKEY12345 av-trend --now $NOW -s youtube:GB -n 1 >yt.jsonl 2>yt.err
is "$?" 0 "youtube with a key"
like "$(cat yt.jsonl)" "watch?v=" "youtube items"
like "$(grep youtube requests.log)" "regionCode=GB" "region passed"
unlike "$(cat yt.err)" "FAKEKEY" "key never printed"

kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
done_testing
