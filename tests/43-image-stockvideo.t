#!/bin/sh
# av-image --stock video|any: Pexels and Pixabay video search against the
# local fake (tests/fakes/image_server.py) serving a real MP4 made by the
# tests' own mkvideo helper.  The best rendition (shape, size, length),
# credits, the checks on what is downloaded (401, 429, HTML, corrupt,
# truncated, oversized), the cache, the any -> photo fallback, and a stock
# clip through av-render --preview.
. "$AVK_TOP/tests/lib.sh"
scratch

"$AVK_BUILD/tests/mkvideo" clip.mp4 3 h264 faststart 72x128 10 >/dev/null 2>&1
python3 -c 'import struct,zlib
w,h=72,128
raw=b"".join(b"\0"+b"".join(bytes([x*3%256,y*2%256,120]) for x in range(w)) for y in range(h))
def ch(t,d): return struct.pack(">I",len(d))+t+d+struct.pack(">I",zlib.crc32(t+d)&0xffffffff)
open("src.png","wb").write(b"\x89PNG\r\n\x1a\n"+ch(b"IHDR",struct.pack(">IIBBBBB",w,h,8,2,0,0,0))+ch(b"IDAT",zlib.compress(raw))+ch(b"IEND",b""))'
cp src.png src.jpg # the photo routes only need some image

python3 "$AVK_TOP/tests/fakes/image_server.py" --png src.png --jpg src.jpg \
    --mp4 clip.mp4 --port-file port --log log --lifetime 90 &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
base=http://127.0.0.1:$(cat port)
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=3
AV_IMAGE_MAX_BYTES=1000000; AV_IMAGE_MAX_VIDEO_BYTES=1000000
PEXELS_API_KEY=px-test; PIXABAY_API_KEY=pb-test
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_IMAGE_MAX_BYTES AV_IMAGE_MAX_VIDEO_BYTES PEXELS_API_KEY PIXABAY_API_KEY
test -s clip.mp4
ok $? "test clip made with mkvideo"

av-project init 2>/dev/null
av-project new "Morning routines" > new.jsonl
# s.jsonl: one scene, no narration; sv.jsonl: the scene lasts 4.2 s
python3 - new.jsonl <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
d["format"] = {"width": 90, "height": 160, "fps": 30, "aspect": "9:16"}
d["script"] = {"title": "Mornings", "scenes": [
    {"text": "Wake up early.", "visual": "sunrise over a quiet city",
     "keywords": ["sunrise", "city"]}]}
open("s.jsonl", "w").write(json.dumps(d) + "\n")
d["voice"] = {"duration": 4.2, "scenes": [{"start": 0.0, "end": 4.2}]}
open("sv.jsonl", "w").write(json.dumps(d) + "\n")
PY

nreq() { python3 -c 'import sys; print(sum(1 for l in open(sys.argv[1]) if sys.argv[2] in l))' log "$1"; }
field() { jget "$out" "visuals.scenes.0.$1"; }
# net CASE PROVIDERS DOC [VAR=VALUE | av-image argument ...]
net() {
    c=$1; p=$2; d=$3; shift 3
    e=""; v=""
    for a in "$@"; do case $a in *=*) e="$e $a" ;; *) v="$v $a" ;; esac; done
    # shellcheck disable=SC2086
    run env AV_PEXELS_BASE_URL="$base/$c" AV_PIXABAY_BASE_URL="$base/$c" $e \
        av-image --force $v --provider "$p" < "$d"
}
tmpclean() { [ -z "$(ls .av/assets/tmp 2>/dev/null)" ]; }

# --- Pexels ---
net ok pexels s.jsonl --stock video
is "$rc/$(field kind)/$(field source)" "0/video/pexels" "pexels: a clip"
is "$(nreq /vid/mp4/px-short-360x640)" "1" "pexels: no timings: the smallest portrait MP4 that covers"
is "$(nreq /vid/mp4/px-webm)$(nreq px-hls)" "00" "pexels: webm and HLS renditions never chosen"
is "$(field asset.type)" "video/mp4" "pexels: stored as video/mp4"
is "$(field width)x$(field height)" "72x128" "pexels: the decoded size is recorded"
check "pexels: duration from the file" python3 -c 'import sys; sys.exit(0 if abs(float(sys.argv[1]) - 3.0) < 0.2 else 1)' "$(field duration)"
is "$(field attribution)" "Short Clip on Pexels (https://x/@short)" "pexels: credited"
asset=$(field asset.path)
is "$(dd if="$asset" bs=1 skip=4 count=4 2>/dev/null)" "ftyp" "pexels: the asset is the MP4"
check "pexels: raw key, portrait, size class, keywords" python3 -S "$AVK_TOP/tests/fakes/fakehttp.py" check log \
  'any(r["path"]=="/ok/videos/search" and r["headers"]["Authorization"]=="px-test" and r["query"]["orientation"]==["portrait"] and r["query"]["size"]==["small"] and r["query"]["query"]==["sunrise city"] for r in L)'

net ok pexels sv.jsonl --stock video
is "$rc/$(nreq /vid/mp4/px-540x960)" "0/1" "pexels: a 4.2 s scene: the smallest covering rendition of a clip long enough"
is "$(field attribution)" "Tall Mover on Pexels (https://x/@tall)" "pexels: its author"
is "$(field license)" "Pexels License" "pexels: license"
is "$(field link)" "https://x/v/13" "pexels: link"
n1=$(nreq /ok/videos/search); n2=$(nreq /vid/mp4/)
net ok pexels sv.jsonl --stock video
is "$rc/$(field kind)" "0/video" "pexels: repeat"
is "$(nreq /ok/videos/search)/$(nreq /vid/mp4/)" "$n1/$n2" "pexels: repeat served from the cache, nothing downloaded"

net auth pexels s.jsonl --stock video PEXELS_API_KEY=px-bad
is "$rc" 77 "pexels: 401"
unlike "$err" "px-bad" "pexels 401: no key in messages"
net r429 pexels s.jsonl --stock video
is "$rc/$(field kind)" "0/video" "pexels: 429 Retry-After, then success"
is "$(nreq /r429/videos/search)" "2" "pexels: retried once"
net html pexels s.jsonl --stock video
is "$rc" 65 "pexels: HTML instead of a video"
like "$err" "expected a video/mp4" "pexels html: says why"
net corrupt pexels s.jsonl --stock video
is "$rc" 65 "pexels: corrupt MP4 refused"
like "$err" "not a readable video" "pexels corrupt: says why"
net trunc pexels s.jsonl --stock video
is "$rc" 65 "pexels: MP4 cut after its header refused"
net big pexels s.jsonl --stock video
is "$rc" 65 "pexels: oversized clip refused"
check "failed downloads leave no file behind" tmpclean
net html pexels,local s.jsonl --stock video
is "$rc/$(field source)" "0/local" "pexels html: chain falls back to local"
like "$err" "trying the next provider" "pexels html: fallback warned"
net empty pexels,local s.jsonl --stock video
like "$err" "no videos" "pexels: no hits warned"

# --- Pixabay ---
net ok pixabay sv.jsonl --stock video -v
is "$rc/$(field kind)/$(field source)" "0/video/pixabay" "pixabay: a clip"
is "$(nreq /vid/mp4/pb-1080x1920)" "1" "pixabay: portrait rendition, missing and over-cap ones skipped"
is "$(field attribution)" "Tall Pix on Pixabay (https://pixabay.example/videos/22)" "pixabay: credited"
is "$(field license)/$(field link)" "Pixabay Content License/https://pixabay.example/videos/22" "pixabay: license and link"
like "$err" "key=REDACTED" "pixabay: key redacted in the log"
unlike "$err" "pb-test" "pixabay: no key in messages"
check "pixabay: videos endpoint, film, safe" python3 -S "$AVK_TOP/tests/fakes/fakehttp.py" check log \
  'any(r["path"]=="/ok/api/videos/" and r["query"]["q"]==["sunrise city"] and r["query"]["video_type"]==["film"] and r["query"]["safesearch"]==["true"] for r in L)'
n1=$(nreq /vid/mp4/pb-)
net ok pixabay sv.jsonl --stock video
is "$rc/$(nreq /vid/mp4/pb-)" "0/$n1" "pixabay: repeat served from the cache"
net auth pixabay s.jsonl --stock video PIXABAY_API_KEY=pb-bad
is "$rc" 77 "pixabay: 401"
unlike "$err" "pb-bad" "pixabay 401: no key in messages"
net r429 pixabay s.jsonl --stock video
is "$rc/$(field kind)" "0/video" "pixabay: 429 then success"
net html pixabay s.jsonl --stock video
is "$rc" 65 "pixabay: HTML instead of a video"
net corrupt pixabay s.jsonl --stock video
is "$rc" 65 "pixabay: corrupt MP4 refused"
net big pixabay s.jsonl --stock video
is "$rc" 65 "pixabay: oversized clip refused"

# --- any, photo, configuration ---
net novideo pexels s.jsonl --stock any
is "$rc/$(field kind)/$(field source)" "0/image/pexels" "any: no clip, a photo"
like "$err" "trying photos" "any: the fallback is warned"
net ok pixabay s.jsonl --stock any
is "$rc/$(field kind)" "0/video" "any: a clip when there is one"
net ok pexels s.jsonl
is "$rc/$(field kind)" "0/image" "default: photos, as before"
net ok pexels s.jsonl AV_IMAGE_STOCK=video
is "$rc/$(field kind)" "0/video" "image.stock: video from the configuration"
net ok pexels s.jsonl AV_IMAGE_STOCK=video --stock photo
is "$rc/$(field kind)" "0/image" "--stock beats image.stock"
net ok pexels s.jsonl AV_IMAGE_STOCK=films
is "$rc" 78 "image.stock: unknown value is a configuration error"
net ok pexels s.jsonl --stock films
is "$rc" 64 "--stock: unknown value is a usage error"

# --- a stock clip through av-render ---
python3 - new.jsonl > two.jsonl <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
d["format"] = {"width": 180, "height": 320, "fps": 30, "aspect": "9:16"}
d["script"] = {"title": "Mornings", "scenes": [
    {"text": "Sunrise.", "keywords": ["sunrise", "city"]},
    {"text": "Then coffee.", "keywords": ["nothing"]}]}
print(json.dumps(d))
PY
av-voice -q < two.jsonl > voiced.jsonl
AV_PEXELS_BASE_URL="$base/ok" av-image -q --provider pexels,local \
    --stock video < voiced.jsonl > vis.jsonl 2>/dev/null
out=$(cat vis.jsonl)
is "$(jget "$out" visuals.scenes.0.kind)/$(jget "$out" visuals.scenes.1.source)" \
    "video/local" "pipeline: scene 0 a stock clip, scene 1 local art"
av-render -q --preview --template clean --captions none --no-music \
    < vis.jsonl > rendered.jsonl 2>rerr.txt
ok $? "pipeline: av-render --preview takes the stock clip"
video=$(jget "$(cat rendered.jsonl)" render.video.path)
t0=$(jget "$out" voice.scenes.0.end); t1=$(jget "$out" voice.scenes.1.end)
m0=$(python3 -c 'import sys; print(float(sys.argv[1]) / 2)' "$t0")
m1=$(python3 -c 'import sys; print((float(sys.argv[1]) + float(sys.argv[2])) / 2)' "$t0" "$t1")
"$AVK_BUILD/tests/render_frame" "$video" "$m0" r0.png 2>/dev/null &&
    "$AVK_BUILD/tests/render_frame" "$video" "$m1" r1.png 2>/dev/null &&
    "$AVK_BUILD/tests/render_frame" clip.mp4 "$m0" c0.png 2>/dev/null
ok $? "pipeline: frames extracted"
# The frame of scene 0 has the clip's colours, closer than scene 1's art.
check "pipeline: the clip shows in scene 0" python3 - r0.png r1.png c0.png <<'PY'
import struct, sys, zlib
def mean(path):
    b = open(path, "rb").read()
    i, idat = 8, b""
    while i < len(b):
        n, t = struct.unpack(">I4s", b[i:i + 8])
        c = b[i + 8:i + 8 + n]
        if t == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", c[:10])
        elif t == b"IDAT":
            idat += c
        i += 12 + n
    bpp = {2: 3, 6: 4}[ctype]
    raw, rows, prev, p = zlib.decompress(idat), [], bytearray(w * bpp), 0
    for y in range(h):
        f, line = raw[p], bytearray(raw[p + 1:p + 1 + w * bpp])
        p += 1 + w * bpp
        for x in range(len(line)):
            a = line[x - bpp] if x >= bpp else 0
            up, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + up) & 255
            elif f == 3: line[x] = (line[x] + (a + up) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(up - c), abs(a - c), abs(a + up - 2 * c)
                pr = a if pa <= pb and pa <= pc else up if pb <= pc else c
                line[x] = (line[x] + pr) & 255
        rows.append(line)
        prev = line
    return [sum(r[x] for r in rows for x in range(k, w * bpp, bpp)) / (w * h)
            for k in range(3)]
r0, r1, c0 = (mean(p) for p in sys.argv[1:4])
d = lambda u, v: sum(abs(a - b) for a, b in zip(u, v))
print(r0, r1, c0, d(r0, c0), d(r1, c0))
sys.exit(0 if d(r0, c0) < 30 and d(r0, c0) < d(r1, c0) else 1)
PY

done_testing
