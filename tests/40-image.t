#!/bin/sh
# av-image end to end: standalone prompts, documents in and out, skipping
# unchanged work, the library provider (matching, no reuse, bad files),
# usage and data errors.
. "$AVK_TOP/tests/lib.sh"
scratch

# PNG size from the IHDR chunk, "WxH"
pngsize() {
    python3 -c 'import struct,sys
b=open(sys.argv[1],"rb").read(24)
assert b[:8]==b"\x89PNG\r\n\x1a\n"
print("%dx%d" % struct.unpack(">II", b[16:24]))' "$1"
}
# flat DOC FILE: one "path<TAB>value" line per leaf (python3 starts once)
flat() {
    python3 -c 'import json,sys
def walk(p,v):
    if isinstance(v,dict):
        for k in v: walk(p+[k],v[k])
    elif isinstance(v,list):
        for i,x in enumerate(v): walk(p+[str(i)],x)
    else: print(".".join(p)+"\t"+("None" if v is None else str(v)))
walk([],json.loads(sys.argv[1]))' "$1" > "$2"
}
# get FILE PATH
get() { awk -F '\t' -v k="$2" '$1 == k { print $2 }' "$1"; }
# a small solid PNG written with the standard library
mkpng() {
    python3 -c 'import struct,sys,zlib
w,h=12,9
raw=b"".join(b"\0"+bytes([int(sys.argv[2][i:i+2],16) for i in (0,2,4)])*w for _ in range(h))
def ch(t,d): return struct.pack(">I",len(d))+t+d+struct.pack(">I",zlib.crc32(t+d)&0xffffffff)
open(sys.argv[1],"wb").write(b"\x89PNG\r\n\x1a\n"+ch(b"IHDR",struct.pack(">IIBBBBB",w,h,8,2,0,0,0))+ch(b"IDAT",zlib.compress(raw))+ch(b"IEND",b""))' "$1" "$2"
}

run av-image --help
is "$rc" 0 "--help exits 0"
like "$out" "--prompt TEXT" "--help lists --prompt"
run av-image --aspect 3:2 --prompt x -o a.png
is "$rc" 64 "bad aspect: usage error"
run av-image --provider library
is "$rc" 64 "library provider without --library"
like "$err" "needs --library" "says what is missing"
run av-image --palette plaid --prompt x -o a.png
is "$rc" 64 "unknown palette"
run av-image --prompt x
is "$rc" 64 "--prompt without -o"

# standalone
run av-image --prompt 'He said "100% {done}" \n: C:\path' --aspect 1:1 --seed 7 -o one.png
is "$rc" 0 "standalone prompt"
is "$(pngsize one.png)" "1080x1080" "1:1 image is 1080x1080"
av-image --prompt 'He said "100% {done}" \n: C:\path' --aspect 1:1 --seed 7 -o two.png
check "same prompt and seed: same bytes" cmp one.png two.png
av-image --prompt 'Another prompt' --aspect 1:1 --seed 7 -o three.png
check "another prompt: other bytes" sh -c '! cmp -s one.png three.png'
run av-image --prompt 'Quiet mornings' --aspect 16:9 -o wide.jpg
is "$rc" 0 "standalone JPEG"
is "$(head -c 3 wide.jpg | od -An -tx1 | tr -d ' ')" "ffd8ff" "a .jpg name gives a JPEG"

# documents: small frames keep the test fast
av-project init 2>/dev/null
av-project new "5 habits of productive people" > new.jsonl
python3 - new.jsonl > s.jsonl <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
d["format"] = {"width": 180, "height": 320, "fps": 30, "aspect": "9:16"}
d["script"] = {"title": "Five habits", "scenes": [
    {"text": "Wake up with the sunrise.", "visual": "sunrise over a city", "keywords": ["sunrise", "city"]},
    {"text": "Plan the day.", "visual": "a notebook", "keywords": ["daily plan"]},
    {"text": "Take a coffee break.", "keywords": ["coffee"], "title": "Habit 3 · Take real breaks"},
    {"text": "Walk in the city.", "keywords": ["city"]}]}
print(json.dumps(d))
PY
run av-image --format png < s.jsonl
is "$rc" 0 "document through av-image"
doc=$out
flat "$doc" f1
is "$(get f1 visuals.scenes.3.source)" "local" "local art by default"
is "$(get f1 visuals.provider)" "local" "provider recorded"
is "$(grep -c '^visuals\.scenes\.[0-9]*\.kind' f1)" 4 "one visual per scene"
a0=$(get f1 visuals.scenes.0.asset.path)
like "$a0" '^\.av/assets/../[0-9a-f]\{64\}\.png$' "asset is content-addressed"
is "$(pngsize "$a0")" "180x320" "image has the document's format size"
is "$(get f1 visuals.scenes.0.width)x$(get f1 visuals.scenes.0.height)" "180x320" "size recorded"
is "$(get f1 visuals.scenes.0.prompt)" "sunrise over a city" "visual prompt recorded"
is "$(get f1 visuals.scenes.2.prompt)" "Take a coffee break." "narration when no visual"
is "$(get f1 visuals.scenes.0.title)" "Sunrise · City" "card title from keywords"
is "$(get f1 visuals.scenes.2.title)" "Habit 3 · Take real breaks" "the script's own card title comes first"
a1=$(get f1 visuals.scenes.1.asset.path)
sha0=$(get f1 visuals.scenes.0.asset.sha256)
check "scenes differ" sh -c "! cmp -s '$a0' '$a1'"
printf '%s\n' "$doc" > v.jsonl
run av-image --format png < v.jsonl
is "$(sqlite3 .av/store.db "SELECT count(*) FROM stage_runs WHERE stage='visuals' AND status='skipped'")" 1 "unchanged document: skipped"
is "$(jget "$out" visuals.scenes.0.asset.sha256)" "$sha0" "skip keeps the visuals"
run av-image --format png --force < s.jsonl
is "$(jget "$out" visuals.scenes.0.asset.sha256)" "$sha0" "redone: same pixels (deterministic)"
run av-image --aspect 1:1 --seed 3 < s.jsonl
flat "$out" f2
is "$(get f2 visuals.scenes.0.width)" "1080" "--aspect overrides the document's size"
like "$(get f2 visuals.scenes.0.asset.path)" '\.jpg$' "JPEG assets by default"

# library provider
mkdir -p lib/cities lib/.hidden
mkpng lib/cities/sunrise.png ff8800
mkpng lib/cities/skyline.png 336699
mkpng lib/notebook.png eeeeee
printf 'daily plan, planner\n' > lib/notebook.tags
: > lib/coffee.png
printf 'not an image' > lib/coffee-break.jpg
mkpng lib/.hidden/coffee-cup.png 000000
run av-image --format png --force --provider library --library lib < s.jsonl
is "$rc" 0 "library run"
doc=$out
flat "$out" f3
is "$(get f3 visuals.scenes.0.source)" "library" "scene 0 from the library"
is "$(get f3 visuals.scenes.0.file)" "sunrise.png" "best match by file and folder name"
is "$(pngsize "$(get f3 visuals.scenes.0.asset.path)")" "180x320" "library image covers the frame"
is "$(get f3 visuals.scenes.1.file)" "notebook.png" "sidecar tags match"
is "$(get f3 visuals.scenes.2.source)" "local" "only broken files match: procedural art"
like "$err" "skipping '.*coffee.png'" "zero-byte file skipped with a warning"
like "$err" "skipping '.*coffee-break.jpg'" "corrupt file skipped with a warning"
is "$(get f3 visuals.scenes.3.file)" "skyline.png" "no file used twice while an unused one matches"
is "$(get f3 visuals.provider)" "library" "library provider recorded"
printf '%s\n' "$doc" > lib.jsonl
run av-image --format png --provider library --library lib < lib.jsonl
is "$(sqlite3 .av/store.db "SELECT status FROM stage_runs WHERE stage='visuals' ORDER BY rowid DESC LIMIT 1")" "skipped" "same library: skipped"
printf 'planner\n' > lib/cities/skyline.tags
run av-image --format png --provider library --library lib < lib.jsonl
is "$(sqlite3 .av/store.db "SELECT status FROM stage_runs WHERE stage='visuals' ORDER BY rowid DESC LIMIT 1")" "ok" "re-tagged library: made again"
seed=$(jget "$out" visuals.seed)
ok "$(python3 -c "import sys; sys.exit(not 0 <= int(sys.argv[1]) < 2**53)" "$seed"; echo $?)" "derived seed is a safe JSON integer"
# clips, only with --videos
mkdir -p lib/clips
"$AVK_BUILD/tests/mkclip" lib/clips/ocean-waves.mp4 64 48 20
python3 - s.jsonl > ocean.jsonl <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
d["script"]["scenes"] = [{"text": "Waves roll in.", "keywords": ["ocean waves"]}]
print(json.dumps(d))
PY
run av-image --provider library --library lib < ocean.jsonl
is "$(jget "$out" visuals.scenes.0.source)" "local" "clips are not used without --videos"
run av-image --videos --provider library --library lib < ocean.jsonl
flat "$out" f4
is "$(get f4 visuals.scenes.0.kind)" "video" "--videos: a matching clip is used"
is "$(get f4 visuals.scenes.0.asset.type)" "video/mp4" "clip stored as a video asset"
is "$(get f4 visuals.scenes.0.width)x$(get f4 visuals.scenes.0.height)" "64x48" "the clip's own size"
ok "$(python3 -c "import sys; sys.exit(not 1.5 < float(sys.argv[1]) < 2.5)" "$(get f4 visuals.scenes.0.duration)"; echo $?)" "clip duration recorded"
check "clip copied unchanged" cmp lib/clips/ocean-waves.mp4 "$(get f4 visuals.scenes.0.asset.path)"
run av-image --provider library --library nowhere < s.jsonl
is "$rc" 66 "missing library folder"

# bad documents
python3 - s.jsonl > bad.jsonl <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
d["script"]["scenes"][1] = {"visual": "no text"}
print(json.dumps(d))
PY
run av-image < bad.jsonl
is "$rc" 65 "scene without text: data error"
like "$err" "scenes\[1\].text" "error names the field"
run av-image < new.jsonl
is "$rc" 65 "document without a script"
done_testing
