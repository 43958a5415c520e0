# tests/publib.sh - helpers for the av-publish tests (sourced after lib.sh).
#   asset_json FILE TYPE   put FILE into the workspace's asset store, print
#                          its asset reference
#   render_doc TOPIC VIDEO [THUMB [SRT [VTT]]]   a new project with .script and
#                          .render sections, printed as one line
asset_json() {
    _sha=$(sha256sum "$1" | cut -d' ' -f1)
    _ext=${1##*.}
    _dir=.av/assets/$(printf '%s' "$_sha" | cut -c1-2)
    mkdir -p "$_dir"
    cp "$1" "$_dir/$_sha.$_ext"
    printf '{"path":"%s","sha256":"%s","bytes":%s,"type":"%s"}' \
        "$_dir/$_sha.$_ext" "$_sha" "$(wc -c < "$1" | tr -d ' ')" "$2"
}
render_doc() {
    _d=$(av-project new "$1" 2>/dev/null)
    _v=$(asset_json "$2" video/mp4)
    _t=null; _s=null; _w=null
    [ -n "${3:-}" ] && _t=$(asset_json "$3" image/jpeg)
    [ -n "${4:-}" ] && _s=$(asset_json "$4" application/x-subrip)
    [ -n "${5:-}" ] && _w=$(asset_json "$5" text/vtt)
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
d["script"] = {"title": "Five habits that work", "description": "Small habits, big results.",
               "hashtags": ["#habits", "#productivity"], "hook": "h", "scenes": [], "cta": "c"}
r = {"output": "demo.mp4", "video": json.loads(sys.argv[2]), "duration": 1.5, "width": 64,
     "height": 114, "fps": 25, "vcodec": "h264", "acodec": "aac"}
for k, v in (("thumbnail", sys.argv[3]), ("srt", sys.argv[4]), ("vtt", sys.argv[5])):
    if v != "null":
        r[k] = json.loads(v)
d["render"] = r
print(json.dumps(d, ensure_ascii=False))' "$_d" "$_v" "$_t" "$_s" "$_w"
}
