#!/bin/sh
# av-voice end to end: a scripted document through the voice stage (audio
# asset, scenes, word timings, loudness, store records, skipping), the
# options, standalone --text mode, and the errors.
. "$AVK_TOP/tests/lib.sh"
scratch

# check_words JSON: words in order, inside the audio, one scene index each
check_words() {
    python3 -c 'import json,sys
v=json.loads(sys.argv[1])
v=v["voice"] if isinstance(v.get("voice"), dict) else v
d=v["duration"]; prev=0; bad=[]
for w in v["words"]:
    if w["start"] < prev or w["end"] < w["start"] or w["end"] > d + 1e-6: bad.append(w)
    prev = w["end"]
for s in v["scenes"]:
    if s["start"] > s["end"] or s["end"] > d + 1e-6: bad.append(s)
print("ok" if not bad else bad)' "$1"
}

av-project init 2>/dev/null
av-project new "5 habits of productive people" > new.jsonl
# What av-script would add (scenes hold the whole narration).
sed 's/}$/,"script":{"title":"Five habits","hook":"Want more done?","scenes":[{"text":"Want more done? Here are 5 habits.","visual":"a desk"},{"text":"Number one: plan the day, e.g. at 7. \xf0\x9f\x94\xa5","visual":"a notebook"},{"text":"...","visual":"sunrise"}],"cta":"Follow for more.","lang":"en","words":17}}/' new.jsonl > script.jsonl
id=$(jget "$(cat new.jsonl)" id)

run av-voice < script.jsonl
is "$rc" 0 "voice stage succeeds"
is "$(printf '%s\n' "$out" | grep -c .)" 1 "one document out"
doc=$out
like "$(jget "$doc" voice.audio.path)" '^\.av/assets/../[0-9a-f]\{64\}\.wav$' "audio is a workspace asset"
apath=$(jget "$doc" voice.audio.path)
is "$(head -c 4 "$apath")" "RIFF" "the asset is a WAV file"
is "$(jget "$doc" voice.audio.type)" "audio/wav" "media type"
is "$(jget "$doc" voice.audio.bytes)" "$(wc -c < "$apath" | tr -d ' ')" "recorded size"
is "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["voice"]["scenes"]))' "$doc")" 3 "one span per script scene"
is "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["voice"]["words"]))' "$doc")" 15 "one entry per spoken word"
is "$(jget "$doc" voice.words.0.text)" "Want" "first word as written"
is "$(jget "$doc" voice.words.14.text)" "$(printf '7. \360\237\224\245')" "emoji joined to the last word"
is "$(jget "$doc" voice.words.14.scene)" 1 "words know their scene"
is "$(check_words "$doc")" ok "timings monotonic and inside the audio"
dur=$(jget "$doc" voice.duration)
ok "$(python3 -c "import sys; sys.exit(not 5 < $dur < 12)"; echo $?)" "duration $dur s is plausible"
loud=$(jget "$doc" voice.loudness)
ok "$(python3 -c "import sys; sys.exit(not -16.5 <= $loud <= -15.5)"; echo $?)" "loudness $loud LUFS"
ok "$(python3 -c "import sys; sys.exit(not $(jget "$doc" voice.true_peak) <= -1.5)"; echo $?)" "true peak under -1.5 dBTP"
is "$(jget "$doc" voice.provider)" flite "provider: flite is English's default"
is "$(jget "$doc" voice.voice)" slt "flite's default voice"
is "$(jget "$doc" script.hook)" "Want more done?" "other sections pass through"
is "$(sqlite3 .av/store.db "SELECT status FROM projects WHERE id='$id'")" voiced "project status"
is "$(sqlite3 .av/store.db "SELECT provider FROM stage_runs WHERE stage='voice' AND status='ok'")" flite "stage run recorded"

printf '%s\n' "$doc" > voiced.jsonl
run av-voice < voiced.jsonl
is "$rc" 0 "re-run"
is "$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE stage='voice' AND status='skipped'")" 1 "unchanged: skipped"
is "$(jget "$out" voice.audio.sha256)" "$(jget "$doc" voice.audio.sha256)" "same audio kept"

run av-voice --style calm --scene-pause 1.0 < voiced.jsonl
is "$rc" 0 "calm, longer pauses"
slow=$(jget "$out" voice.duration)
ok "$(python3 -c "import sys; sys.exit(not $slow > $dur + 1.0)"; echo $?)" "options change the result ($slow s > $dur s)"
is "$(jget "$out" voice.style)" calm "style recorded"
gap=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1])["voice"]["scenes"]; print(round(s[1]["start"]-s[0]["end"],2))' "$out")
is "$gap" 1.0 "scene pause 1.0 s"

run av-voice --project "$id" --rate 200 --force
is "$rc" 0 "--project"
is "$(jget "$out" voice.rate)" 200 "--rate recorded"
is "$(jget "$out" id)" "$id" "the stored project"

# other languages, from the document
sed 's/"lang":"en"/"lang":"es"/g; s/}$/,"script":{"scenes":[{"text":"Hola, \xc2\xbfc\xc3\xb3mo est\xc3\xa1s?"}]}}/' new.jsonl > es.jsonl
run av-voice < es.jsonl
is "$rc" 0 "Spanish document"
is "$(jget "$out" voice.voice)" es "Spanish voice"
is "$(jget "$out" voice.provider)" espeak "other languages: espeak-ng"
is "$(jget "$out" voice.words.2.text)" "$(printf 'est\303\241s?')" "UTF-8 words"

# errors
sed 's/"lang":"en"/"lang":"xx"/; s/}$/,"script":{"scenes":[{"text":"Hello."}]}}/' new.jsonl > xx.jsonl
run av-voice < xx.jsonl
is "$rc" 65 "unknown language: exit 65"
like "$err" "'xx'" "the message names the language"
run av-voice < new.jsonl
is "$rc" 65 "no script: exit 65"
like "$err" "line 1: .script" "the message names the field"
sed 's/}$/,"script":{"scenes":[{"visual":"x"}]}}/' new.jsonl > notext.jsonl
run av-voice < notext.jsonl
like "$err" 'scenes\[0\]' "a scene without text is named"
cat xx.jsonl script.jsonl > mixed.jsonl
run av-voice --keep-going --force < mixed.jsonl
is "$rc" 1 "--keep-going: a bad document and a good one exit 1"
is "$(printf '%s\n' "$out" | grep -c '"voice":{')" 1 "the good one is voiced"
# a voice name meant for another provider falls back to the language's
sed 's/}$/,"settings":{"voice":"Rachel","style":"funny"},"script":{"scenes":[{"text":"Hi there."}]}}/' new.jsonl > rachel.jsonl
run av-voice --force < rachel.jsonl
is "$rc" 0 "foreign voice name in the settings"
is "$(jget "$out" voice.voice)" slt "the default provider's voice is used"
is "$(jget "$out" voice.style)" energetic "a funny script is spoken energetically"
like "$err" "Rachel" "and the fallback is noted"
# espeak-ng for English on request, or when an espeak-ng voice is asked for
run av-voice --provider espeak --force < script.jsonl
is "$(jget "$out" voice.provider)/$(jget "$out" voice.voice)" espeak/en-us "--provider espeak"
is "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["voice"]["words"]))' "$out")" 15 "espeak: one entry per spoken word"
is "$(check_words "$out")" ok "espeak: timings monotonic and inside the audio"
run av-voice --voice en-gb --force < script.jsonl
is "$(jget "$out" voice.provider)/$(jget "$out" voice.voice)" espeak/en-gb "an espeak-ng voice picks espeak"
run av-voice --style shouty < script.jsonl
is "$rc" 64 "bad --style: usage error"
run av-voice --provider polly --force < script.jsonl
is "$rc" 69 "unavailable provider: exit 69"

# standalone
cd "$T" && mkdir solo && cd solo
run av-voice --text "$(printf 'Hello world.\n\nSecond scene here.')" -o out.wav --words out.json
is "$rc" 0 "standalone --text"
is "$(head -c 4 out.wav)" RIFF "WAV written"
w=$(cat out.json)
is "$(python3 -c 'import json,sys; v=json.loads(sys.argv[1]); print(len(v["scenes"]), [x["text"] for x in v["words"]])' "$w")" "2 ['Hello', 'world.', 'Second', 'scene', 'here.']" "blank lines separate scenes"
is "$(check_words "$w")" ok "standalone timings"
is "$(jget "$w" audio.path)" out.wav "the JSON names the audio"
run av-voice --text "Flac please." -o out.flac --words -
is "$rc" 0 "FLAC output, words to stdout"
is "$(head -c 4 out.flac)" fLaC "FLAC written"
is "$(jget "$out" words.1.text)" "please." "words JSON on stdout"
printf 'From standard input.\n' | av-voice --text - -o stdin.wav -q
is "$?" 0 "--text -"
run av-voice --text "No output."
is "$rc" 64 "--text without -o"
run av-voice --text "Bad." -o out.mp3
is "$rc" 64 "unsupported output extension"
like "$err" "out.mp3" "the message names the file"
run av-voice --text "Hello" -o out.wav --lang xx
is "$rc" 65 "standalone unknown language"
run av-voice --help
is "$rc" 0 "--help"
like "$out" "--scene-pause" "--help lists the options"
if command -v mandoc >/dev/null 2>&1; then
    run mandoc -Tlint -Wwarning "$AVK_TOP/man/av-voice.1"
    is "$out$err" "" "man page is mandoc -Tlint clean"
fi

done_testing
