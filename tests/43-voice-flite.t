#!/bin/sh
# av-voice --provider flite end to end: a 60 s script's length, word
# timings (one per written word with numbers, abbreviations, emoji and a
# punctuation-only scene; monotonic, inside the audio), loudness, the
# voices and options, English as the default's domain (espeak-ng for the
# rest and on request), and the errors.
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
nwords() {
    python3 -c 'import json,sys; v=json.loads(sys.argv[1]); v=v.get("voice",v); print(len(v["words"]))' "$1"
}

av-project init 2>/dev/null
av-project new "5 habits of productive people" > new.jsonl

# a generated 60 s script (at the professional pace, 165 words a minute;
# energetic is 185: about 51 s, as with espeak-ng)
av-script --duration 60 < new.jsonl > script60.jsonl 2>/dev/null
is "$?" 0 "av-script writes a script"
run av-voice --provider flite --style professional < script60.jsonl
is "$rc" 0 "flite voices the generated script"
doc=$out
dur=$(jget "$doc" voice.duration)
ok "$(python3 -c "import sys; sys.exit(not 50 <= $dur <= 70)"; echo $?)" "a 60 s script gives $dur s of speech"
is "$(jget "$doc" voice.provider)/$(jget "$doc" voice.voice)" flite/slt "provider and voice recorded"
script_words=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sum(len(s["text"].split()) for s in d["script"]["scenes"]))' "$doc")
is "$(nwords "$doc")" "$script_words" "one timing per word of the script"
is "$(check_words "$doc")" ok "timings monotonic and inside the audio"
is "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(len(d["voice"]["scenes"]) == len(d["script"]["scenes"]))' "$doc")" True "one span per scene"
loud=$(jget "$doc" voice.loudness)
ok "$(python3 -c "import sys; sys.exit(not -16.5 <= $loud <= -15.5)"; echo $?)" "loudness $loud LUFS: not silent, normalised"
apath=$(jget "$doc" voice.audio.path)
is "$(head -c 4 "$apath")" RIFF "the audio is a WAV asset"
is "$(sqlite3 .av/store.db "SELECT provider||'/'||model FROM stage_runs WHERE stage='voice' AND status='ok'")" flite/slt "stage run recorded"

# the hard cases: numbers, amounts, abbreviations, emoji, punctuation only
sed 's/}$/,"script":{"scenes":[{"text":"I have 42 cats, $9.99 each, since 2026 (e.g. Dr. Smith\xe2\x80\x99s). \xf0\x9f\x94\xa5"},{"text":"... \xe2\x80\x94 !"},{"text":"\xf0\x9f\x9a\x80 #1: 10x faster \& 1,250 tries."}],"lang":"en"}}/' new.jsonl > hard.jsonl
run av-voice --provider flite --force < hard.jsonl
is "$rc" 0 "hard text"
words=$(python3 -c 'import json,sys; print("|".join(w["text"] for w in json.loads(sys.argv[1])["voice"]["words"]))' "$out")
is "$words" "$(printf 'I|have|42|cats,|$9.99|each,|since|2026|(e.g.|Dr.|Smith\342\200\231s). \360\237\224\245|\360\237\232\200 #1:|10x|faster|&|1,250|tries.')" "one entry per written word, as written"
is "$(check_words "$out")" ok "hard text: timings monotonic and inside the audio"
is "$(python3 -c 'import json,sys; v=json.loads(sys.argv[1])["voice"]; s=v["scenes"][1]; print(round(s["end"]-s["start"],2), [w["scene"] for w in v["words"]].count(1))' "$out")" "0.25 0" "the punctuation-only scene: a short silence, no words"
is "$(python3 -c 'import json,sys; w=json.loads(sys.argv[1])["voice"]["words"]; print(w[2]["end"]-w[2]["start"] > 0.3 and w[4]["end"]-w[4]["start"] > 1.0)' "$out")" True "a number's timing spans all its spoken words"

# voices and options
run av-voice --provider flite --voice rms --rate 200 --pitch 60 --style energetic --force < hard.jsonl
is "$rc" 0 "--voice rms --rate --pitch --style"
is "$(jget "$out" voice.voice)/$(jget "$out" voice.rate)/$(jget "$out" voice.style)" rms/200/energetic "recorded"
fast=$(jget "$out" voice.duration)
run av-voice --provider flite --voice rms --rate 120 --force < hard.jsonl
slow=$(jget "$out" voice.duration)
ok "$(python3 -c "import sys; sys.exit(not $slow > 1.3 * $fast)"; echo $?)" "--rate changes the pace ($slow s at 120 wpm, $fast s at 200)"
sed 's/}$/,"settings":{"voice":"awb"},"script":{"scenes":[{"text":"Hi there."}]}}/' new.jsonl > awb.jsonl
run av-voice --force < awb.jsonl
is "$(jget "$out" voice.provider)/$(jget "$out" voice.voice)" flite/awb "a flite voice in the document's settings"
run av-voice --voice kal --force < awb.jsonl
is "$(jget "$out" voice.provider)/$(jget "$out" voice.voice)" flite/kal "--voice kal picks flite"

# the default: flite for English, espeak-ng otherwise or on request
run av-voice --force < awb.jsonl
is "$(jget "$out" voice.provider)" flite "English: flite by default"
run av-voice --lang en-GB --force < awb.jsonl
is "$(jget "$out" voice.provider)" flite "en-GB: flite"
run av-voice --lang de --force < awb.jsonl
is "$rc/$(jget "$out" voice.provider)" 0/espeak "German: espeak-ng"
mkdir -p xdg/av
printf 'voice:
  provider: espeak
' > xdg/av/config.yaml
run av-voice --force < awb.jsonl
is "$(jget "$out" voice.provider)" espeak "voice.provider in the configuration wins"
printf 'flite:
  voice: rms
' > xdg/av/config.yaml
sed 's/}$/,"script":{"scenes":[{"text":"Hi there."}]}}/' new.jsonl > plain.jsonl
run av-voice --force < plain.jsonl
is "$(jget "$out" voice.provider)/$(jget "$out" voice.voice)" flite/rms "flite.voice in the configuration"
rm xdg/av/config.yaml

# errors
run av-voice --provider flite --voice en-gb --force < plain.jsonl
is "$rc" 65 "unknown flite voice: exit 65"
like "$err" "unknown flite voice 'en-gb' (slt, rms, awb, kal)" "the message names the voice and the choices"
run av-voice --provider flite --lang de --force < plain.jsonl
is "$rc" 69 "flite in German: exit 69"
like "$err" "flite speaks English only, not 'de'" "the message says why"
run av-voice --provider flite --text "Hallo" --lang fr -o x.wav
is "$rc" 69 "standalone: flite in French"

# standalone
run av-voice --provider flite --voice kal --text "$(printf 'Hello world.\n\nSecond scene here.')" -o solo.wav --words solo.json
is "$rc" 0 "standalone --text with kal"
w=$(cat solo.json)
is "$(python3 -c 'import json,sys; v=json.loads(sys.argv[1]); print(len(v["scenes"]), [x["text"] for x in v["words"]])' "$w")" "2 ['Hello', 'world.', 'Second', 'scene', 'here.']" "blank lines separate scenes"
is "$(check_words "$w")" ok "standalone timings"

done_testing
