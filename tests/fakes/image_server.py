#!/usr/bin/env python3
"""image_server - fake OpenAI Images, Stability, AUTOMATIC1111, Pexels and
Pixabay endpoints (photo and video search) for tests/42-image-net.t and
tests/43-image-stockvideo.t (stdlib only, on fakehttp).

Every API path starts with a case name: BASE/CASE/..., so one server
plays every scenario.  Cases: ok, url (OpenAI: a URL reply), html (the
image is an HTML page), big (the image is over the test's cap), r429
(429 with Retry-After: 1, then success), quota (429 insufficient_quota),
corrupt (bytes that are not an image), filtered (Stability
CONTENT_FILTERED), empty (no stock hits), trunc (a video cut short after
its header), novideo (no video hits, photos as ok).  A stock search for
"nothing" finds nothing.  Keys: sk-test (OpenAI), st-test (Stability),
px-test (Pexels), pb-test (Pixabay); others get 401.  Video files are
served at /vid/KIND/TAG, TAG naming the rendition, so a test can see
which one was downloaded.

    image_server.py --png A.png --jpg B.jpg [--mp4 C.mp4] --port-file F --log L
"""
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
from fakehttp import Reply  # noqa: E402

app = fakehttp.App()
HTML = b"<!doctype html><html><body>Sign in</body></html>"


def png():
    return open(app.args.png, "rb").read()


def jpg():
    return open(app.args.jpg, "rb").read()


def base(req):
    return "http://" + req.headers.get("Host", "127.0.0.1")


def first_time(key):
    """True the first time key is seen (for 429-then-success)."""
    with app.lock:
        n = app.state.get(key, 0)
        app.state[key] = n + 1
    return n == 0


def early(req, case, auth_ok):
    """Common failures: 401, 429 then success, quota."""
    if not auth_ok:
        return Reply.json({"error": {"message": "Incorrect API key provided",
                                     "code": "invalid_api_key"}}, status=401)
    if case == "r429" and first_time(req.path):
        return Reply.json({"error": {"message": "slow down"}},
                          status=429).retry_after("1")
    if case == "quota":
        return Reply.json({"error": {"message": "You exceeded your quota",
                                     "code": "insufficient_quota"}},
                          status=429)
    return None


def img_url(req, case, kind="png"):
    if case == "html":
        return base(req) + "/img/html"
    if case == "big":
        return base(req) + "/img/big"
    if case == "corrupt":
        return base(req) + "/img/corrupt"
    return base(req) + "/img/" + kind


@app.route("GET", "/img/{name}")
def image(req):
    name = req.params["name"]
    if name == "png":
        return Reply(200, png(), content_type="image/png")
    if name == "jpg":
        return Reply(200, jpg(), content_type="image/jpeg")
    if name == "html":
        return Reply(200, HTML, content_type="text/html; charset=utf-8")
    if name == "big":
        return Reply(200, png() + fakehttp.pattern_bytes(1500000),
                     content_type="image/png")
    if name == "corrupt":
        return Reply(200, fakehttp.pattern_bytes(5000),
                     content_type="image/png")
    return Reply(404)


def mp4():
    return open(app.args.mp4, "rb").read()


def truncated(data):
    """data cut 16 bytes into its mdat box: a header, no pictures."""
    i = 0
    while i + 8 <= len(data):
        size = int.from_bytes(data[i:i + 4], "big")
        if data[i + 4:i + 8] == b"mdat":
            return data[:i + 24]
        if size < 8:
            break
        i += size
    return data[:len(data) // 2]


def vid_url(req, case, tag):
    kind = case if case in ("html", "big", "corrupt", "trunc") else "mp4"
    return base(req) + "/vid/" + kind + "/" + tag


@app.route("GET", "/vid/{kind}/{tag}")
def video(req):
    kind = req.params["kind"]
    if kind == "mp4":
        return Reply(200, mp4(), content_type="video/mp4")
    if kind == "html":
        return Reply(200, HTML, content_type="text/html; charset=utf-8")
    if kind == "big":
        return Reply(200, mp4() + fakehttp.pattern_bytes(1500000),
                     content_type="video/mp4")
    if kind == "corrupt":
        return Reply(200, fakehttp.pattern_bytes(20000),
                     content_type="video/mp4")
    if kind == "trunc":
        return Reply(200, truncated(mp4()), content_type="video/mp4")
    return Reply(404)


def no_videos(req, case):
    q = req.query.get("query", req.query.get("q", [""]))[0]
    return case in ("empty", "novideo") or "nothing" in q


@app.route("GET", "/{case}/videos/search")
def pexels_videos(req):
    case = req.params["case"]
    r = early(req, case, req.headers.get("Authorization") == "px-test")
    if r:
        return r
    if no_videos(req, case):
        return {"page": 1, "per_page": 15, "total_results": 0, "videos": []}

    def f(q, t, w, h, tag):
        return {"id": len(tag), "quality": q, "file_type": t, "width": w,
                "height": h, "fps": 25, "link": vid_url(req, case, tag)}
    mp4t = "video/mp4"
    videos = [
        {"id": 11, "width": 1920, "height": 1080, "duration": 20,
         "url": "https://x/v/11", "image": "https://x/i/11.jpg",
         "user": {"id": 1, "name": "Wide Mover", "url": "https://x/@wide"},
         "video_files": [f("hd", mp4t, 1920, 1080, "px-1920x1080"),
                         f("sd", mp4t, 1280, 720, "px-1280x720")]},
        {"id": 12, "width": 1080, "height": 1920, "duration": 2,
         "url": "https://x/v/12", "image": "https://x/i/12.jpg",
         "user": {"id": 2, "name": "Short Clip", "url": "https://x/@short"},
         "video_files": [f("sd", mp4t, 360, 640, "px-short-360x640"),
                         f("hd", mp4t, 1080, 1920, "px-short-1080x1920")]},
        {"id": 13, "width": 2160, "height": 3840, "duration": 15,
         "url": "https://x/v/13", "image": "https://x/i/13.jpg",
         "user": {"id": 3, "name": "Tall Mover", "url": "https://x/@tall"},
         "video_files": [f("uhd", mp4t, 2160, 3840, "px-2160x3840"),
                         f("hd", mp4t, 1080, 1920, "px-1080x1920"),
                         f("sd", mp4t, 540, 960, "px-540x960"),
                         f("hls", "application/x-mpegURL", None, None,
                           "px-hls"),
                         f("sd", "video/webm", 180, 320, "px-webm")]},
    ]
    return {"page": 1, "per_page": 15, "total_results": 3, "videos": videos}


@app.route("GET", "/{case}/api/videos/")
def pixabay_videos(req):
    case = req.params["case"]
    if req.query.get("key", [""])[0] != "pb-test":
        return Reply.text("[ERROR 400] Invalid or missing API key", status=401)
    r = early(req, case, True)
    if r:
        return r
    if no_videos(req, case):
        return {"total": 0, "totalHits": 0, "hits": []}

    def v(w, h, size, tag):
        return {"url": vid_url(req, case, tag) if tag else "", "width": w,
                "height": h, "size": size, "thumbnail": ""}
    return {"total": 2, "totalHits": 2, "hits": [
        {"id": 21, "pageURL": "https://pixabay.example/videos/21",
         "type": "film", "tags": "city", "duration": 12, "user": "Wide Pix",
         "videos": {"large": v(1920, 1080, 900000, "pb-1920x1080"),
                    "medium": v(1280, 720, 500000, "pb-1280x720"),
                    "small": v(960, 540, 300000, "pb-960x540"),
                    "tiny": v(640, 360, 100000, "pb-640x360")}},
        {"id": 22, "pageURL": "https://pixabay.example/videos/22",
         "type": "film", "tags": "sunrise", "duration": 8, "user": "Tall Pix",
         "videos": {"large": v(0, 0, 0, ""),
                    "medium": v(1080, 1920, 400000, "pb-1080x1920"),
                    "small": v(540, 960, 9000000000, "pb-540x960"),
                    "tiny": v(0, 0, 0, "")}}]}


@app.route("POST", "/{case}/images/generations")
def openai(req):
    case = req.params["case"]
    r = early(req, case,
              req.headers.get("Authorization") == "Bearer sk-test")
    if r:
        return r
    if case == "corrupt":
        return {"data": [{"b64_json": base64.b64encode(
            fakehttp.pattern_bytes(3000)).decode()}]}
    if case in ("url", "html", "big"):
        return {"data": [{"url": img_url(req, case)}]}
    return {"created": 1, "data": [{"b64_json":
                                    base64.b64encode(png()).decode()}]}


@app.route("POST", "/{case}/v2beta/stable-image/generate/{model}")
def stability(req):
    case = req.params["case"]
    r = early(req, case,
              req.headers.get("Authorization") == "Bearer st-test")
    if r:
        return r
    if case == "html":
        return Reply(200, HTML, content_type="text/html")
    if case == "filtered":
        return Reply(200, png(), content_type="image/png",
                     headers={"finish-reason": "CONTENT_FILTERED"})
    return Reply(200, png(), content_type="image/png",
                 headers={"finish-reason": "SUCCESS", "seed": "42"})


@app.route("POST", "/{case}/sdapi/v1/txt2img")
def sdwebui(req):
    case = req.params["case"]
    r = early(req, case, True)
    if r:
        return r
    if case == "corrupt":
        return {"images": [base64.b64encode(b"not an image").decode()]}
    return {"images": [base64.b64encode(png()).decode()], "info": "{}"}


@app.route("GET", "/{case}/v1/search")
def pexels(req):
    case = req.params["case"]
    r = early(req, case, req.headers.get("Authorization") == "px-test")
    if r:
        return r
    if case == "empty":
        return {"page": 1, "per_page": 15, "total_results": 0, "photos": []}
    photos = [
        {"id": 1, "width": 4000, "height": 3000, "url": "https://x/p/1",
         "photographer": "Wide Person", "photographer_url": "https://x/@wide",
         "src": {"original": img_url(req, case), "large2x":
                 img_url(req, case)}},
        {"id": 2, "width": 1080, "height": 1920, "url": "https://x/p/2",
         "photographer": "Tall Person", "photographer_url": "https://x/@tall",
         "src": {"original": img_url(req, case, "png"),
                 "large2x": img_url(req, case, "jpg")}},
    ]
    return {"page": 1, "per_page": 15, "total_results": 2, "photos": photos}


@app.route("GET", "/{case}/api/")
def pixabay(req):
    case = req.params["case"]
    if req.query.get("key", [""])[0] != "pb-test":
        return Reply.text("[ERROR 400] Invalid or missing API key", status=401)
    r = early(req, case, True)
    if r:
        return r
    if case == "empty":
        return {"total": 0, "totalHits": 0, "hits": []}
    return {"total": 1, "totalHits": 1, "hits": [
        {"id": 7, "pageURL": "https://pixabay.example/photos/7",
         "imageWidth": 1280, "imageHeight": 1920, "user": "Pix User",
         "largeImageURL": img_url(req, case, "jpg"),
         "webformatURL": img_url(req, case, "png")}]}


if __name__ == "__main__":
    def setup(ap):
        ap.add_argument("--png", required=True)
        ap.add_argument("--jpg", required=True)
        ap.add_argument("--mp4")
    fakehttp.serve(app, setup=setup)
