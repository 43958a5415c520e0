#!/bin/sh
# av-image's network providers against a local fake (tests/fakes/
# image_server.py): OpenAI Images (base64 and URL replies), Stability,
# AUTOMATIC1111, Pexels and Pixabay.  Each: success, 401, 429 with
# Retry-After then success, an HTML page instead of an image, an
# oversized body; the fallback chain; cached repeats; keys never shown.
. "$AVK_TOP/tests/lib.sh"
scratch

# a small real PNG (stdlib) and a real JPEG (av-image's local provider)
python3 -c 'import struct,zlib
w,h=72,128
raw=b"".join(b"\0"+b"".join(bytes([x*3%256,y*2%256,120]) for x in range(w)) for y in range(h))
def ch(t,d): return struct.pack(">I",len(d))+t+d+struct.pack(">I",zlib.crc32(t+d)&0xffffffff)
open("src.png","wb").write(b"\x89PNG\r\n\x1a\n"+ch(b"IHDR",struct.pack(">IIBBBBB",w,h,8,2,0,0,0))+ch(b"IDAT",zlib.compress(raw))+ch(b"IEND",b""))'
av-image --prompt 'fake photo' --aspect 9:16 --no-title --quality 40 -o src.jpg

python3 "$AVK_TOP/tests/fakes/image_server.py" --png src.png --jpg src.jpg \
    --port-file port --log log --lifetime 60 &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$T"' EXIT
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
base=http://127.0.0.1:$(cat port)
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=3; AV_IMAGE_MAX_BYTES=1000000
OPENAI_API_KEY=sk-test; STABILITY_API_KEY=st-test
PEXELS_API_KEY=px-test; PIXABAY_API_KEY=pb-test
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS \
    AV_IMAGE_MAX_BYTES OPENAI_API_KEY STABILITY_API_KEY PEXELS_API_KEY \
    PIXABAY_API_KEY

av-project init 2>/dev/null
av-project new "Morning routines" > new.jsonl
python3 - new.jsonl > s.jsonl <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
d["format"] = {"width": 90, "height": 160, "fps": 30, "aspect": "9:16"}
d["script"] = {"title": "Mornings", "scenes": [
    {"text": "Wake up early.", "visual": "sunrise over a quiet city", "keywords": ["sunrise", "city"]}]}
print(json.dumps(d))
PY

nreq() { python3 -c 'import sys; print(sum(1 for l in open(sys.argv[1]) if sys.argv[2] in l))' log "$1"; }
# scene 0 field: field NAME (from $out)
field() { jget "$out" "visuals.scenes.0.$1"; }
imgsize() { python3 -c 'import json,sys
d=json.loads(sys.argv[1]); print(d["visuals"]["scenes"][0]["asset"]["path"])' "$out"; }
# net CASE PROVIDERS [VAR=VALUE...]: run av-image with every base URL on CASE
# (VAR=VALUE arguments go to the environment, others to av-image)
net() {
    c=$1; p=$2; shift 2
    e=""; v=""
    for a in "$@"; do case $a in *=*) e="$e $a" ;; *) v="$v $a" ;; esac; done
    # shellcheck disable=SC2086
    run env AV_OPENAI_BASE_URL="$base/$c" AV_STABILITY_BASE_URL="$base/$c" \
        AV_SDWEBUI_BASE_URL="$base/$c" AV_PEXELS_BASE_URL="$base/$c" \
        AV_PIXABAY_BASE_URL="$base/$c" $e \
        av-image --force $v --provider "$p" < s.jsonl
}
nokey() {
    unlike "$err" "sk-test\|st-test\|px-test\|pb-test\|sk-bad\|pb-bad" "$1: no key in messages"
}

# --- OpenAI ---
net ok openai -v
is "$rc" 0 "openai: success"
is "$(field source)" "openai" "openai: scene source"
is "$(field width)x$(field height)" "90x160" "openai: fitted to the format"
is "$(field source_width)" "72" "openai: decoded the reply"
nokey "openai -v"
asset=$(imgsize)
is "$(head -c 3 "$asset" | od -An -tx1 | tr -d ' ')" "ffd8ff" "openai: stored as JPEG"
check "openai: request shape" python3 -S "$AVK_TOP/tests/fakes/fakehttp.py" check log \
  'any(r["path"]=="/ok/images/generations" and r["headers"]["Authorization"]=="Bearer sk-test" and r["json"]["size"]=="1024x1792" and r["json"]["model"]=="dall-e-3" and r["json"]["response_format"]=="b64_json" and r["json"]["prompt"]=="sunrise over a quiet city" for r in L)'
n1=$(nreq /ok/images/generations)
net ok openai
is "$rc" 0 "openai: repeat"
is "$(nreq /ok/images/generations)" "$n1" "openai: repeat served from the cache"
net url openai
is "$(field source)/$rc" "openai/0" "openai: URL reply downloaded"
net auth openai OPENAI_API_KEY=sk-bad
is "$rc" 77 "openai: 401 is an auth error"
like "$err" "HTTP 401" "openai: 401 reported"
nokey "openai 401"
net auth openai,local OPENAI_API_KEY=sk-bad
is "$rc/$(field source)" "0/local" "openai 401: chain falls back to local"
like "$err" "trying the next provider" "openai 401: fallback warned"
net r429 openai
is "$rc/$(field source)" "0/openai" "openai: 429 Retry-After, then success"
is "$(nreq /r429/images/generations)" "2" "openai: retried once"
net quota openai
is "$rc" 75 "openai: insufficient_quota fails"
is "$(nreq /quota/images/generations)" "1" "openai: quota is not retried"
net html openai
is "$rc" 65 "openai: HTML instead of an image"
like "$err" "expected an image" "openai: says why"
net big openai
is "$rc" 65 "openai: oversized image refused"
net corrupt openai
is "$rc" 65 "openai: corrupt image refused"
net html openai,local
is "$rc/$(field source)" "0/local" "openai html: chain falls back to local"

# --- Pexels ---
net ok pexels
is "$rc/$(field source)" "0/pexels" "pexels: success"
is "$(field attribution)" "Tall Person on Pexels (https://x/@tall)" "pexels: best-fitting photo, credited"
is "$(field license)" "Pexels License" "pexels: license"
is "$(field link)" "https://x/p/2" "pexels: link"
check "pexels: raw key, portrait search" python3 -S "$AVK_TOP/tests/fakes/fakehttp.py" check log \
  'any(r["path"]=="/ok/v1/search" and r["headers"]["Authorization"]=="px-test" and r["query"]["orientation"]==["portrait"] and r["query"]["query"]==["sunrise city"] for r in L)'
n1=$(nreq /ok/v1/search)
net ok pexels
is "$(nreq /ok/v1/search)/$rc" "$n1/0" "pexels: repeat served from the cache"
net auth pexels PEXELS_API_KEY=px-bad
is "$rc" 77 "pexels: 401"
net r429 pexels
is "$rc/$(field source)" "0/pexels" "pexels: 429 Retry-After, then success"
net html pexels
is "$rc" 65 "pexels: HTML instead of an image"
net big pexels
is "$rc" 65 "pexels: oversized image refused"
net empty pexels,local
is "$rc/$(field source)" "0/local" "pexels: no hits, falls back"
like "$err" "no photos" "pexels: no hits warned"

# --- Pixabay ---
net ok pixabay -v
is "$rc/$(field source)" "0/pixabay" "pixabay: success"
is "$(field attribution)" "Pix User on Pixabay (https://pixabay.example/photos/7)" "pixabay: credited"
nokey "pixabay -v"
like "$err" "key=REDACTED" "pixabay: key redacted in the log"
net auth pixabay PIXABAY_API_KEY=pb-bad
is "$rc" 77 "pixabay: 401"
nokey "pixabay 401"
net r429 pixabay
is "$rc/$(field source)" "0/pixabay" "pixabay: 429 then success"
net html pixabay
is "$rc" 65 "pixabay: HTML instead of an image"
net big pixabay
is "$rc" 65 "pixabay: oversized image refused"

# --- Stability ---
net ok stability
is "$rc/$(field source)" "0/stability" "stability: success"
check "stability: multipart, 9:16" python3 -S "$AVK_TOP/tests/fakes/fakehttp.py" check log \
  'any(r["path"]=="/ok/v2beta/stable-image/generate/core" and r["form"]["aspect_ratio"]=="9:16" and r["headers"]["Authorization"]=="Bearer st-test" for r in L)'
net auth stability STABILITY_API_KEY=st-bad
is "$rc" 77 "stability: 401"
net r429 stability
is "$rc/$(field source)" "0/stability" "stability: 429 then success"
net html stability
is "$rc" 65 "stability: HTML instead of an image"
net filtered stability
is "$rc" 69 "stability: CONTENT_FILTERED fails"

# --- AUTOMATIC1111 ---
net ok sdwebui
is "$rc/$(field source)" "0/sdwebui" "sdwebui: success"
check "sdwebui: size keeps the shape" python3 -S "$AVK_TOP/tests/fakes/fakehttp.py" check log \
  'any(r["path"]=="/ok/sdapi/v1/txt2img" and r["json"]["height"]==1024 and r["json"]["width"]==576 for r in L)'
net corrupt sdwebui,openai,local
is "$rc/$(field source)" "0/local" "sdwebui corrupt, openai corrupt: local"

# usage
run av-image --provider bogus,local < s.jsonl
is "$rc" 64 "unknown provider in the chain"
run env -u OPENAI_API_KEY av-image --force --provider openai < s.jsonl
is "$rc" 78 "openai without a key: configuration error"

done_testing
