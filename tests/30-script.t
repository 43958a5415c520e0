#!/bin/sh
# av-script end to end: --topic without a workspace, documents through the
# stage driver, options, determinism, news digests, user templates, errors.
. "$AVK_TOP/tests/lib.sh"
scratch

# a script field from the first document line of $out
sget() { jget "$(printf '%s\n' "$out" | sed -n 1p)" "script.$1"; }
fits() { # fits DOC SECONDS: words within 10% of SECONDS * wpm / 60
    python3 -c 'import json,sys
s=json.loads(sys.argv[1])["script"]; w=float(sys.argv[2])*s["wpm"]/60
sys.exit(0 if abs(s["words"]-w) <= 0.1*w and
         abs(s["duration"]-s["words"]*60/s["wpm"]) < 0.1 else 1)' "$1" "$2"
}

run av-script --help
is "$rc" 0 "--help exits 0"
like "$out" "--style" "--help lists --style"
run av-script --bogus
is "$rc" 64 "unknown option: 64"
run av-script --topic "x" --provider nosuch
is "$rc" 64 "a provider this build lacks: 64"
like "$err" "provider 'nosuch'" "names the provider"

# no workspace: --topic writes and prints, stores nothing
run av-script --topic "5 habits of productive people" --duration 30 --seed 7
is "$rc" 0 "--topic without a workspace"
is "$(sget format)" "listicle" "listicle chosen from the topic"
is "$(sget provider)" "local" "provider local"
is "$(jget "$out" script.scenes.0.text | cut -c1-4)" "$(sget hook | cut -c1-4)" "scene 0 opens with the hook"
ok "$(fits "$out" 30; echo $?)" "fits its 30-second budget; duration is the spoken estimate"
first=$(sget scenes)
run av-script --topic "5 habits of productive people" --duration 30 --seed 7
is "$(sget scenes)" "$first" "same seed: same script"
run av-script --topic "5 habits of productive people" --duration 30 --seed 8
ok "$([ "$(sget scenes)" != "$first" ]; echo $?)" "another seed: another script"
ok "$([ ! -d .av ]; echo $?)" "no workspace created"

# a workspace: documents in, documents out, recorded
av-project init 2>/dev/null
av-project new "how to learn guitar" "myths about coffee" --duration 45 > docs.jsonl
run av-script < docs.jsonl
is "$rc" 0 "two documents"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2 "two lines out"
l1=$(printf '%s\n' "$out" | sed -n 1p)
l2=$(printf '%s\n' "$out" | sed -n 2p)
is "$(jget "$l1" script.format)" "howto" "how-to topic"
is "$(jget "$l2" script.format)" "myth" "myth topic"
ok "$(fits "$l1" 45; echo $?)" "first fits the 45 s of its .settings"
ok "$(fits "$l2" 45; echo $?)" "second fits its budget"
is "$(jget "$l1" stages.script.tool)" "av-script" "stage stamp"
id=$(jget "$l1" id)
is "$(sqlite3 .av/store.db "SELECT status FROM projects WHERE id='$id'")" "scripted" "status scripted"
n0=$(sqlite3 .av/store.db "SELECT count(*) FROM projects")
run av-script --topic "3 tips for better sleep" --duration 20
is "$rc" 0 "--topic in a workspace"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM projects")" "$((n0 + 1))" "...stores the new project"
is "$(sqlite3 .av/store.db "SELECT status FROM projects WHERE id='$(jget "$out" id)'")" "scripted" "...as scripted"
run av-script < docs.jsonl
printf '%s\n' "$out" > scripted.jsonl
run av-script < scripted.jsonl
is "$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='skipped'")" 2 "unchanged: skipped"
run av-script --scenes 3 --style funny < scripted.jsonl
is "$(jget "$(printf '%s\n' "$out" | sed -n 1p)" script.scenes | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3 "--scenes 3"
is "$(sget style)" "funny" "--style"
run av-script --project "$id" --lang es --format explainer --duration 20
is "$rc" 0 "--project with --lang es"
is "$(sget lang)" "es" "Spanish script"
is "$(jget "$out" lang)" "es" "document language follows --lang"

# a news digest from trend items
cat > trend.jsonl <<'JSON'
{"version":1,"id":"newsdoc01","topic":"electric cars","lang":"en","trend":{"topic":"electric cars","items":[{"title":"City adds 200 public chargers","summary":"The council approved the plan on Monday. Work starts in spring.","link":"https://example.com/1","source":"Example News"},{"title":"Battery recycling plant opens","summary":"It will recover metals from used batteries.","link":"https://example.com/2"}]}}
JSON
run av-script --duration 30 < trend.jsonl
is "$rc" 0 "trend document"
is "$(sget format)" "news" "news digest chosen"
like "$(sget scenes)" "City adds 200 public chargers" "headline narrated"
# one story from two outlets: the headline once, both summaries narrated
cat > same.jsonl <<'JSON'
{"version":1,"id":"newsdoc02","topic":"Southern Europe heatwave breaks November records","lang":"en","trend":{"topic":"Southern Europe heatwave breaks November records","items":[{"title":"Southern Europe heatwave breaks November records","summary":"Forecasters expect cooler air by the weekend.","source":"world-wire.rss"},{"title":"Heatwave breaks November records across southern Europe","summary":"Temperatures topped 30 degrees in several cities.","source":"news-daily.rss"},{"title":"Heatwave breaks records in southern Europe","summary":"Forecasters expect cooler air by the weekend."}]}}
JSON
for seed in 1 2 3 4; do
    run av-script --duration 45 --seed $seed < same.jsonl
    s=$(sget scenes)
    like "$s" "Forecasters expect cooler air" "seed $seed: the first summary is narrated"
    like "$s" "Temperatures topped 30 degrees" "seed $seed: so is the second outlet's"
    unlike "$s" "records across southern Europe" "seed $seed: the same headline is not announced as other news"
    is "$(printf '%s' "$s" | grep -o 'Forecasters expect' | wc -l)" 1 "seed $seed: a repeated summary is said once"
done

# user templates come first; editing them invalidates earlier scripts
mkdir tpl
cat > tpl/mine.yaml <<'YAML'
format: explainer
lang: en
match: [any]
title: "Mine: {topic}"
hook: "All about {topic}."
cta: "Bye for now."
body:
  units:
    - lead: ["Point {i_word}."]
YAML
av-project new "tea" > tea.jsonl
run av-script --templates tpl --duration 5 < tea.jsonl
is "$(sget title)" "Mine: tea" "--templates DIR is searched first"
printf '%s\n' "$out" > tea2.jsonl
run av-script --templates tpl --duration 5 < tea2.jsonl
before=$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='ok'")
sed -i 's/Bye for now/See you/' tpl/mine.yaml
run av-script --templates tpl --duration 5 < tea2.jsonl
after=$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE status='ok'")
is "$after" "$((before + 1))" "an edited template makes the stage run again"
is "$(sget cta)" "See you." "with the new wording"
printf 'format: explainer\nlang: en\nbody:\n  units:\n    - lead: "{nope}"\n' > tpl/mine.yaml
run av-script --templates tpl < tea.jsonl
is "$rc" 78 "a broken template: 78"
like "$err" "mine.yaml" "names the file"

# knowledge packs: the demo topic names real habits, each once
names() { # names FILE KEY: one name per line from a shipped pack
    python3 -c 'import sys,re
for m in re.finditer(r"^  - (?:name|myth): \"(.*)\"$", open(sys.argv[1]).read(), re.M): print(m.group(1))' "$1"
}
named() { # named SCENES FILE: how many of the pack's names the scenes' narration holds, or -1 when one repeats
    printf '%s\n' "$1" | python3 -c 'import json,sys
print(" ".join(s["text"] for s in json.load(sys.stdin)))' > named.txt
    names "$2" | python3 -c 'import sys
t=open("named.txt").read().lower(); n=0
for l in sys.stdin:
    c=t.count(l.strip().lower())
    if c > 1: print(-1); sys.exit()
    n+=c>0
print(n)'
}
KN=$AVK_TOP/share/templates/knowledge
run av-script --topic "5 habits of productive people" --seed 7
is "$(sget pack)" "productivity" "the demo topic uses the productivity pack"
is "$(named "$(sget scenes)" "$KN/productivity.en.yaml")" 5 "...and names five of its habits, none twice"
unlike "$(sget scenes)" "underestimate\|easy win\|the classic" "...not empty frames"
printf '%s\n' "$out" > demo.jsonl
is "$(python3 -c 'import json,sys,re; d=json.loads(open(sys.argv[1]).readline()); print(sum(1 for s in d["script"]["scenes"] if re.match(r"Habit [1-5] · [A-Z]", s.get("title",""))))' demo.jsonl)" 5 "...each habit's scene carries its card title"
run av-script --topic "10 tips for better sleep" --duration 15 --seed 7
is "$rc" 0 "more points than the length holds: still a script"
like "$err" "needs about [0-9]* s, more than the 15 s asked for" "...with a warning saying how long it runs"
run av-script --topic "5 habits of productive people" --duration 30 --seed 7
unlike "$err" "more than the" "no warning when it fits"
run av-script --topic "why cats purr" --seed 7
is "$(sget pack)" "None" "a topic no pack knows: no pack"
run av-script --topic "10 foods that boost energy" --seed 7
is "$(sget format)" "listicle" "an unknown counted topic is still a list..."
like "$(sget scenes)" "Question one" "...of questions to ask"
unlike "$(sget scenes)" "Food number\|underestimate" "...not of foods it cannot name"
run av-script --topic "consejos para ahorrar dinero" --lang es --seed 3
is "$(sget pack)" "money" "--lang es uses the Spanish money pack"
ok "$([ "$(named "$(sget scenes)" "$KN/money.es.yaml")" -ge 2 ]; echo $?)" "...and names its items"
# a pack dropped into the user's templates folder
mkdir -p "$XDG_CONFIG_HOME/av/templates/knowledge"
cat > "$XDG_CONFIG_HOME/av/templates/knowledge/kites.yaml" <<'YAML'
pack: kites
lang: en
match: [kite, kites]
items:
  - name: "pick a steady wind"
    text: "Gusty days make launching hard."
  - name: "walk backwards to launch"
    text: "Let the line out slowly."
  - name: "pack the lines untangled"
    text: "Wind them on a spool."
YAML
run av-script --topic "3 kite flying tips" --duration 20
is "$(sget pack)" "kites" "a user pack in ~/.config/av/templates/knowledge is used"
like "$(sget scenes)" "walk backwards to launch" "...and its items are named"
mkdir kp
sed 's/walk backwards to launch/run into the wind/' \
    "$XDG_CONFIG_HOME/av/templates/knowledge/kites.yaml" > kp/kites.yaml
run av-script --topic "3 kite flying tips" --duration 20 --templates kp
like "$(sget scenes)" "run into the wind" "a pack in a --templates folder comes first"
printf 'pack: bad\nlang: en\nmatch: [kite]\nitems: [{name: "a {b}", text: "c"}]\n' > kp/kites.yaml
run av-script --topic "kites" --templates kp
is "$rc" 78 "a broken pack: 78"
like "$err" "kites.yaml" "...naming the file"

# bad settings
printf '%s\n' '{"version":1,"id":"badstyle1","topic":"x","lang":"en","settings":{"style":"sarcastic"}}' > bad.jsonl
run av-script < bad.jsonl
is "$rc" 65 "unknown style in the document: 65"
like "$err" "line 1: unknown style 'sarcastic'" "names the line and the style"
done_testing
