#!/usr/bin/env python3
"""youtube - a fake of YouTube Data API v3 resumable uploads for
tests/32-publish-youtube.t, built on fakehttp.

    youtube.py --port-file FILE [--log FILE] [--lifetime S] --token TOKEN
               [--videos DIR] [--chunk-delay S]

Routes:
    POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status
        needs Authorization: Bearer TOKEN, X-Upload-Content-Length and
        X-Upload-Content-Type (video/* or application/octet-stream); checks
        the metadata rules (title <= 100 characters without < >,
        description <= 5000 bytes, tags <= 500 characters, categoryId a
        string, privacyStatus, selfDeclaredMadeForKids) with 400
        invalidTitle / invalidDescription / invalidTags; replies 200 with
        Location: the session URI (same path, &upload_id=SID).
    PUT  same path with upload_id=SID
        Content-Range: bytes */TOTAL   status query: 308 with Range
                                       bytes=0-N, or without Range when
                                       nothing arrived, or 201 when done
        Content-Range: bytes A-B/TOTAL appends at A == bytes held (a chunk
                                       starting elsewhere only gets the
                                       308); 308 with Range until complete,
                                       then 201 with the video resource
        unknown or expired session: 404
    POST /upload/youtube/v3/thumbnails/set?videoId=ID   200
    POST /_delay?s=S    from now on wait S seconds before taking each chunk
                        (as --chunk-delay: a slow upload to kill in flight)
    GET  /_videos       completed videos [{id, bytes, sha256, snippet,
                        status}] (files written to --videos DIR too)
    GET  /o/oauth2/v2/auth     the consent screen, approved at once: 302 to
                               redirect_uri?code=..&state=..&scope=.. (needs
                               client_id, response_type=code, an S256
                               code_challenge)
    POST /token                grant_type authorization_code (checks the
                               PKCE verifier, client and redirect_uri),
                               refresh_token (400 invalid_grant once revoked
                               or after /_fault?kind=invalid_grant) and the
                               device code grant (authorization_pending
                               twice, then tokens); issued access tokens
                               expire after --expires-in seconds
    POST /device/code          {device_code, user_code, verification_url,
                               expires_in, interval: 1}
    POST /revoke               form token=..: revokes it
    POST /_fault?kind=K[&n=N]   arm a fault for the next N (1) uploads:
        503        a chunk PUT gets 503, nothing kept
        cut        a chunk PUT keeps half the chunk and the connection is
                   cut with no reply
        404        the session expires (the next PUT gets 404)
        norange    the next status query gets 308 without Range (the
                   session forgets what it held)
        quota      the next session open gets 403 quotaExceeded
"""

import hashlib
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
from fakehttp import Reply  # noqa: E402

app = fakehttp.App()
sessions = {}     # sid -> {"total", "data", "meta", "done"}
videos = []
faults = []
lock = threading.Lock()
counter = [0]
delay = [None]    # seconds before each chunk, set by /_delay


def gerr(status, reason, msg):
    return Reply.json({"error": {"code": status, "message": msg, "errors": [
        {"domain": "youtube.video", "reason": reason, "message": msg}]}},
        status=status)


oauth = {"codes": {}, "access": {}, "refresh": set(), "revoked": set(),
         "device": {}, "n": 0}
CLIENT_ID = "test-client.apps"
CLIENT_SECRET = "test-client-secret"


def authorized(req):
    auth = req.headers.get("Authorization", "")
    if auth == "Bearer " + app.args.token:
        return True
    tok = auth[7:] if auth.startswith("Bearer ") else ""
    with lock:
        exp = oauth["access"].get(tok)
    return exp is not None and exp > time.time() and tok not in oauth["revoked"]


def b64url_sha256(s):
    import base64
    return base64.urlsafe_b64encode(
        hashlib.sha256(s.encode()).digest()).decode().rstrip("=")


def issue(scope, refresh=True):
    with lock:
        oauth["n"] += 1
        n = oauth["n"]
        acc = "ya29.fake-access-%d-SECRET" % n
        oauth["access"][acc] = time.time() + app.args.expires_in
        out = {"access_token": acc, "expires_in": app.args.expires_in,
               "scope": scope, "token_type": "Bearer"}
        if refresh:
            ref = "1//fake-refresh-%d-SECRET" % n
            oauth["refresh"].add(ref)
            out["refresh_token"] = ref
    return Reply.json(out)


@app.route("GET", "/o/oauth2/v2/auth")
def consent(req):
    if req.arg("client_id") != CLIENT_ID or req.arg("response_type") != "code" \
            or req.arg("code_challenge_method") != "S256" \
            or not req.arg("code_challenge") or not req.arg("state"):
        return Reply.text("bad authorization request", status=400)
    with lock:
        oauth["n"] += 1
        code = "4/fake-code-%d" % oauth["n"]
        oauth["codes"][code] = (req.arg("code_challenge"),
                                req.arg("redirect_uri"), req.arg("scope"))
    import urllib.parse
    loc = "%s/?%s" % (req.arg("redirect_uri"), urllib.parse.urlencode(
        {"code": code, "state": req.arg("state"), "scope": req.arg("scope")}))
    return Reply(302, b"", {"Location": loc})


def oerr(code, status=400):
    return Reply.json({"error": code, "error_description": code}, status=status)


@app.route("POST", "/token")
def token(req):
    f = req.form()
    if f.get("client_id") != CLIENT_ID:
        return oerr("invalid_client", 401)
    grant = f.get("grant_type")
    if grant == "authorization_code":
        if f.get("client_secret") != CLIENT_SECRET:
            return oerr("invalid_client", 401)
        with lock:
            c = oauth["codes"].pop(f.get("code"), None)
        if not c or c[1] != f.get("redirect_uri") or \
                b64url_sha256(f.get("code_verifier", "")) != c[0]:
            return oerr("invalid_grant")
        return issue(c[2])
    if grant == "refresh_token":
        r = f.get("refresh_token")
        if take_fault("invalid_grant") or r not in oauth["refresh"] or \
                r in oauth["revoked"]:
            return oerr("invalid_grant")
        return issue("https://www.googleapis.com/auth/youtube.upload", False)
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        with lock:
            d = oauth["device"].get(f.get("device_code"))
            if d is None:
                return oerr("invalid_grant")
            oauth["device"][f.get("device_code")] = d + 1
        if d < 2:
            return oerr("authorization_pending", 428)
        return issue("https://www.googleapis.com/auth/youtube")
    return oerr("unsupported_grant_type")


@app.route("POST", "/device/code")
def device(req):
    f = req.form()
    if f.get("client_id") != CLIENT_ID:
        return oerr("invalid_client", 401)
    with lock:
        oauth["n"] += 1
        dc = "device-%d" % oauth["n"]
        oauth["device"][dc] = 0
    return {"device_code": dc, "user_code": "ABCD-EFGH",
            "verification_url": "https://www.google.com/device",
            "expires_in": 1800, "interval": 1}


@app.route("POST", "/revoke")
def revoke(req):
    t = req.form().get("token")
    with lock:
        oauth["revoked"].add(t)
    return {}


def take_fault(kind):
    with lock:
        for f in faults:
            if f[0] == kind and f[1] > 0:
                f[1] -= 1
                return True
    return False


@app.route("POST", "/_fault")
def fault(req):
    with lock:
        faults.append([req.arg("kind"), int(req.arg("n", "1"))])
    return {"ok": True}


@app.route("POST", "/_delay")
def set_delay(req):
    with lock:
        delay[0] = float(req.arg("s", "0"))
    return {"ok": True}


@app.route("GET", "/_videos")
def list_videos(req):
    with lock:
        return Reply.json(videos)


def check_meta(meta):
    sn = meta.get("snippet", {})
    st = meta.get("status", {})
    title = sn.get("title", "")
    if not title or len(title) > 100 or "<" in title or ">" in title:
        return gerr(400, "invalidTitle", "bad title")
    if len(sn.get("description", "").encode("utf-8")) > 5000:
        return gerr(400, "invalidDescription", "description too long")
    tags = sn.get("tags", [])
    cost = sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1)
    if cost > 500:
        return gerr(400, "invalidTags", "tags too long")
    if not isinstance(sn.get("categoryId", ""), str):
        return gerr(400, "invalidCategoryId", "categoryId must be a string")
    if st.get("privacyStatus") not in ("private", "public", "unlisted"):
        return gerr(400, "invalidPrivacyStatus", "bad privacyStatus")
    if not isinstance(st.get("selfDeclaredMadeForKids"), bool):
        return gerr(400, "invalidValue", "selfDeclaredMadeForKids missing")
    return None


@app.route("POST", "/upload/youtube/v3/videos")
def open_session(req):
    if not authorized(req):
        return gerr(401, "authError", "Invalid Credentials")
    if req.arg("uploadType") != "resumable":
        return gerr(400, "badRequest", "uploadType")
    total = req.headers.get("X-Upload-Content-Length")
    ctype = req.headers.get("X-Upload-Content-Type", "")
    if not total or not (ctype.startswith("video/") or
                         ctype == "application/octet-stream"):
        return gerr(400, "badRequest", "X-Upload headers missing")
    if take_fault("quota"):
        return gerr(403, "quotaExceeded", "The request cannot be completed "
                    "because you have exceeded your quota.")
    meta = req.json()
    bad = check_meta(meta)
    if bad:
        return bad
    with lock:
        counter[0] += 1
        sid = "SID%d" % counter[0]
        sessions[sid] = {"total": int(total), "data": bytearray(),
                         "meta": meta, "done": None}
    loc = "http://%s/upload/youtube/v3/videos?uploadType=resumable&" \
          "part=snippet,status&upload_id=%s" % (req.headers.get("Host"), sid)
    return Reply(200, b"", {"Location": loc})


def finish(s):
    with lock:
        if s["done"] is None:
            vid = "FAKEID%d" % (len(videos) + 1)
            data = bytes(s["data"])
            v = {"kind": "youtube#video", "id": vid,
                 "snippet": s["meta"].get("snippet"),
                 "status": dict(s["meta"].get("status", {}),
                                uploadStatus="uploaded"),
                 "bytes": len(data),
                 "sha256": hashlib.sha256(data).hexdigest()}
            videos.append(v)
            if app.args.videos:
                with open(os.path.join(app.args.videos, vid + ".mp4"), "wb") as f:
                    f.write(data)
            s["done"] = v
        v = s["done"]
    return Reply.json({"kind": "youtube#video", "id": v["id"],
                       "status": v["status"]}, status=201)


def held(s):
    n = len(s["data"])
    return {"Range": "bytes=0-%d" % (n - 1)} if n else {}


@app.route("PUT", "/upload/youtube/v3/videos")
def upload(req):
    if not authorized(req):
        return gerr(401, "authError", "Invalid Credentials")
    sid = req.arg("upload_id")
    with lock:
        s = sessions.get(sid)
    if s is None:
        return gerr(404, "notFound", "upload session not found")
    if take_fault("404"):
        with lock:
            sessions.pop(sid, None)
        return gerr(404, "notFound", "upload session expired")
    cr = req.headers.get("Content-Range", "")
    m = re.match(r"bytes \*/(\d+)$", cr)
    if m:
        if s["done"] is not None:
            return finish(s)
        if take_fault("norange"):
            with lock:
                s["data"] = bytearray()
        return Reply(308, b"", held(s))
    m = re.match(r"bytes (\d+)-(\d+)/(\d+)$", cr)
    if not m or int(m.group(3)) != s["total"]:
        return gerr(400, "badRequest", "bad Content-Range %r" % cr)
    a, b = int(m.group(1)), int(m.group(2))
    if b - a + 1 != len(req.body):
        return gerr(400, "badRequest", "Content-Length does not match")
    with lock:
        wait = app.args.chunk_delay if delay[0] is None else delay[0]
    if wait:
        time.sleep(wait)
    if take_fault("503"):
        return gerr(503, "backendError", "Backend Error")
    cut = take_fault("cut")
    body = req.body[:len(req.body) // 2] if cut else req.body
    with lock:
        if a == len(s["data"]):
            s["data"] += body
    if cut:
        return Reply(200, b"x" * 100).cut(0)
    if len(s["data"]) >= s["total"]:
        return finish(s)
    return Reply(308, b"", held(s))


@app.route("POST", "/upload/youtube/v3/thumbnails/set")
def thumbnail(req):
    if not authorized(req):
        return gerr(401, "authError", "Invalid Credentials")
    return {"kind": "youtube#thumbnailSetResponse",
            "items": [{"default": {"url": "http://x/%s.jpg" % req.arg("videoId")}}]}


if __name__ == "__main__":
    def setup(ap):
        ap.add_argument("--token", required=True)
        ap.add_argument("--videos")
        ap.add_argument("--chunk-delay", type=float, default=0.0)
        ap.add_argument("--expires-in", type=int, default=3599)
    fakehttp.serve(app, setup=setup)
