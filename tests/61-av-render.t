#!/bin/sh
# av-render end to end: a workspace, a document with narration and two
# pictures as assets, a render at 180x320, and the refusals.
set -u
echo "1..27"
t=$(mktemp -d "${TMPDIR:-/tmp}/avk-av-render.XXXXXX")
trap 'rm -rf "$t"' EXIT INT TERM
n=0
check() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
cd "$t" || exit 1
mkdir in
"$AVK_BUILD/tests/render_bench" -g -w 180 -h 320 -s 4 in >/dev/null 2>&1
av-project init . >/dev/null 2>&1
check $? "workspace"
asset() {
    h=$(sha256sum "$1" | cut -c1-64); d=.av/assets/$(printf %s "$h" | cut -c1-2)
    mkdir -p "$d"; cp "$1" "$d/$h.$3"
    printf '{"path":"%s/%s.%s","sha256":"%s","bytes":%s,"type":"%s"}' \
        "$d" "$h" "$3" "$h" "$(wc -c <"$1" | tr -d ' ')" "$2"
}
v=$(asset in/voice.wav audio/wav wav)
a=$(asset in/scene0.jpg image/jpeg jpg)
b=$(asset in/scene1.jpg image/jpeg jpg)
words='[{"text":"Hello","start":0.1,"end":0.5,"scene":0},{"text":"\"wo:r%ld\\\\{}\"","start":0.6,"end":1.2,"scene":0},{"text":"مرحبا 😀","start":2.1,"end":2.6,"scene":1}]'
printf '{"version":1,"id":"rendert01","topic":"t","lang":"en","format":{"width":180,"height":320,"fps":30,"aspect":"9:16"},"script":{"title":"Title","scenes":[{"text":"a"},{"text":"b"}]},"voice":{"audio":%s,"duration":4.0,"scenes":[{"start":0,"end":1.9},{"start":2.0,"end":4.0}],"words":%s},"visuals":{"scenes":[{"asset":%s,"kind":"image"},{"asset":%s,"kind":"image"}]}}\n' \
    "$v" "$words" "$a" "$b" >doc.jsonl

av-render -q -o "out-{id}.mp4" --contact-sheet "sheet-{id}.png" <doc.jsonl >out.jsonl 2>err.txt
check $? "render succeeds"
test -s out-rendert01.mp4
check $? "the -o copy is written with the id"
python3 - out.jsonl <<'PY'
import json, os, sys
d = json.loads(open(sys.argv[1]).read())
r = d["render"]
ok = (r["width"] == 180 and r["height"] == 320 and r["fps"] == 30
      and abs(r["duration"] - 4.0) < 0.04 and r["vcodec"] == "h264"
      and r["acodec"] == "aac" and r["template"] == "bold"
      and r["output"] == "out-rendert01.mp4")
for k in ("video", "thumbnail", "srt", "vtt", "contact_sheet"):
    ok = ok and os.path.getsize(r[k]["path"]) == r[k]["bytes"]
sys.exit(0 if ok else 1)
PY
check $? ".render names the assets, size, codecs and template"
srt=$(python3 -c 'import json,sys;print(json.loads(open("out.jsonl").read())["render"]["srt"]["path"])')
grep -q 'wo:r%ld' "$srt"
check $? "SRT keeps caption text as data"
vtt=$(python3 -c 'import json,sys;print(json.loads(open("out.jsonl").read())["render"]["vtt"]["path"])')
head -1 "$vtt" | grep -q WEBVTT
check $? "WebVTT file"
"$AVK_BUILD/tests/render_frame" out-rendert01.mp4 0.3 f.png 2>/dev/null
check $? "a frame decodes"
cmp -s sheet-rendert01.png "$(python3 -c 'import json;print(json.loads(open("out.jsonl").read())["render"]["contact_sheet"]["path"])')"
check $? "--contact-sheet writes the sheet asset's copy"
# Two 180x320 scenes: tiles of 180x320 (no larger than 320), two columns,
# a 32 px label strip, 8 px gaps: 2*180+3*8 x 320+32+2*8.
python3 - sheet-rendert01.png <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n"
i, idat, w = 8, b"", None
while i < len(b):
    n, t = struct.unpack(">I4s", b[i:i + 8])
    c = b[i + 8:i + 8 + n]
    if t == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", c[:10])
    elif t == b"IDAT":
        idat += c
    i += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw = zlib.decompress(idat)
sys.exit(0 if (w, h, depth) == (384, 368, 8) and len(raw) == h * (1 + w * bpp) else 1)
PY
check $? "the contact sheet is a PNG of the expected grid size"
python3 -c 'import json,sys;r=json.loads(open("out.jsonl").read())["render"];sys.exit(0 if r["contact_sheet"]["type"]=="image/png" else 1)'
check $? ".render.contact_sheet is an image/png asset"

av-render -q --preview --template clean --captions phrase --no-music <doc.jsonl >p.jsonl 2>/dev/null
check $? "preview render"
python3 -c 'import json,sys;r=json.loads(open("p.jsonl").read())["render"];sys.exit(0 if (r["width"],r["height"],r["template"],r["captions"])==(60,106,"clean","phrase") else 1)'
check $? "preview is a third of the size, template and captions recorded"

# A template's music folder: the mood's subfolder, else names with the
# mood in them; a folder that is not there warns and synthesises.
tr=cfg/av/templates/render
mkdir -p "$tr/tracks/calm"
python3 - "$tr/tracks" <<'PY'
import math, struct, sys, wave
for name, f in (("calm/a-pad.wav", 220), ("calm/b-pad.wav", 330), ("warm-guitar.wav", 440)):
    w = wave.open(sys.argv[1] + "/" + name, "wb")
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * f * i / 48000))) for i in range(48000)))
    w.close()
PY
printf 'music_dir: tracks\nmusic_mood: calm\n' > "$tr/mine.yaml"
printf 'music_dir: nowhere\n' > "$tr/lost.yaml"
music() { python3 -c 'import json,sys;print(json.loads(open(sys.argv[1]).read())["render"].get("music"))' "$1"; }
XDG_CONFIG_HOME=$t/cfg av-render -q --preview --template mine <doc.jsonl >m1.jsonl 2>e.txt
check $? "a template with a music folder renders"
case $(music m1.jsonl) in a-pad.wav|b-pad.wav) r=0 ;; *) r=1 ;; esac
check $r "its track comes from the mood's subfolder ($(music m1.jsonl))"
XDG_CONFIG_HOME=$t/cfg av-render -q --preview --template mine --mood warm <doc.jsonl >m2.jsonl 2>e.txt
test "$(music m2.jsonl)" = warm-guitar.wav
check $? "another mood: the track named after it"
XDG_CONFIG_HOME=$t/cfg av-render --preview --template lost <doc.jsonl >m3.jsonl 2>e.txt
test $? = 0 && test "$(music m3.jsonl)" = synth
check $? "a missing music folder: the synthesised bed"
grep -q "cannot read music folder" e.txt
check $? "with a warning"

av-render -q --captions bogus <doc.jsonl >/dev/null 2>e.txt
check $(( $? == 64 ? 0 : 1 )) "unknown caption mode is a usage error"
av-render -q --template nope <doc.jsonl >/dev/null 2>e.txt
check $(( $? == 78 ? 0 : 1 )) "unknown template is a configuration error"
grep -q "no render template 'nope'" e.txt
check $? "and says which"
av-render -q --template ../etc <doc.jsonl >/dev/null 2>/dev/null
check $(( $? == 64 ? 0 : 1 )) "a template name is not a path"
sed 's/"visuals":{"scenes":\[.*\]}}$/"visuals":{"scenes":[]}}/' doc.jsonl >novis.jsonl
av-render -q <novis.jsonl >/dev/null 2>e.txt
check $(( $? == 65 ? 0 : 1 )) "no pictures is a data error"
rm -f "$(printf %s "$a" | sed 's/.*"path":"\([^"]*\)".*/\1/')"
av-render -q --force -o gone.mp4 <doc.jsonl >/dev/null 2>e.txt
rc=$?
check $(( rc != 0 ? 0 : 1 )) "a missing picture fails ($rc)"
test ! -e gone.mp4
check $? "and leaves no output"

# The real thing: av-voice's narration and word timings into av-render.
printf '{"version":1,"id":"realvoice1","topic":"t","lang":"en","format":{"width":180,"height":320,"fps":30,"aspect":"9:16"},"script":{"title":"Two habits","scenes":[{"text":"Plan the day."},{"text":"Say no to most meetings!"}]}}\n' |
    av-voice -q >voiced.jsonl 2>/dev/null
check $? "av-voice narrates"
cat >addvis.py <<'PY'
import json, sys
d = json.loads(open(sys.argv[3]).read())
d["visuals"] = {"scenes": [{"asset": json.loads(sys.argv[1]), "kind": "image"},
                           {"asset": json.loads(sys.argv[2]), "kind": "image"}]}
print(json.dumps(d))
PY
python3 addvis.py "$a" "$b" voiced.jsonl >withvis.jsonl
b_file=$(printf %s "$b" | sed 's/.*"path":"\([^"]*\)".*/\1/')
test -e "$b_file" || cp in/scene1.jpg "$b_file"
a_file=$(printf %s "$a" | sed 's/.*"path":"\([^"]*\)".*/\1/')
test -e "$a_file" || cp in/scene0.jpg "$a_file"
av-render -q <withvis.jsonl >rendered.jsonl 2>e.txt && test -s rendered.jsonl
check $? "av-render renders av-voice's document"
python3 -c 'import json,sys;d=json.loads(open("rendered.jsonl").read());sys.exit(0 if abs(d["render"]["duration"]-d["voice"]["duration"])<=1/30+1e-3 else 1)'
check $? "the video lasts as long as the narration, within a frame"
