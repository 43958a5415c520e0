#!/usr/bin/env python3
"""tiktok - a fake of TikTok's Content Posting API (direct post and inbox
upload by FILE_UPLOAD) for tests/34-publish-tiktok.t, built on fakehttp.

    tiktok.py --port-file FILE [--log FILE] [--lifetime S] --token TOKEN
              [--videos DIR] [--min-chunk BYTES] [--chunk-delay S]
              [--polls N] [--expires-in S]

Login Kit v2 (client key "test-client-key", secret "test-client-secret"):
    GET  /v2/auth/authorize/   the consent screen, approved at once: checks
        client_key, response_type=code, a comma-separated scope, state,
        code_challenge_method=S256 and a 64-digit hex code_challenge (the
        desktop variant), a redirect_uri on 127.0.0.1 ending in /callback/;
        302 to redirect_uri?code=..&scopes=..&state=..
    POST /v2/oauth/token/      form client_key, client_secret, grant_type:
        authorization_code (code, redirect_uri, code_verifier whose hex
        SHA-256 is the challenge) or refresh_token (rotates: the old
        refresh token dies); replies {access_token, expires_in (--expires-in),
        open_id, refresh_token, refresh_expires_in, scope, token_type};
        errors are {"error", "error_description", "log_id"} (invalid_grant
        after /_fault?kind=invalid_grant or for a dead refresh token)
    POST /v2/oauth/revoke/     form client_key, client_secret, token: the
        grant of that token dies (its access and refresh tokens)
Issued access tokens ("act.fake-N-SECRET") are accepted by the API routes
besides --token until they expire or are revoked.

Every reply is the envelope {"data": {..}, "error": {"code", "message",
"log_id"}}.
    POST /v2/post/publish/creator_info/query/    nickname, privacy options
        (PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY), max 600 s
    POST /v2/post/publish/video/init/         direct post; checks post_info
        (privacy_level among the options, title <= 2200 UTF-16 units,
        is_aigc a bool) and the chunk rules: chunk_size within
        [--min-chunk (5 MB), 64 MB] unless the file is smaller than the
        minimum (then chunk_size == video_size and one chunk),
        total_chunk_count == video_size // chunk_size, <= 1000
    POST /v2/post/publish/inbox/video/init/   the same with source_info only
    PUT  /upload/{pid}                        Content-Range bytes A-B/TOTAL;
        A must equal the bytes received (else 416), the length must be the
        chunk's (the last one absorbs the remainder; else 400); 206 until
        the last chunk, then 201; each reply carries Content-Range
        bytes 0-(received-1)/TOTAL
    POST /v2/post/publish/status/fetch/       PROCESSING_UPLOAD with
        uploaded_bytes until complete, then --polls times
        PROCESSING_UPLOAD, then PUBLISH_COMPLETE (direct, with
        publicaly_available_post_id) or SEND_TO_USER_INBOX (inbox)
    GET  /_videos      completed uploads [{publish_id, bytes, sha256, post_info}]
    POST /_fault?kind=K[&n=N]
        spam         creator_info answers 200 with spam_risk_too_many_posts
        ratelimit    the next init gets 429 rate_limit_exceeded
        416          the next chunk gets 416
        500          the next chunk gets 500
        failed       the next publish ends FAILED (picture_size_check_failed)
        invalid_grant  the next refresh is refused with invalid_grant
"""

import hashlib
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
from fakehttp import Reply  # noqa: E402

app = fakehttp.App()
lock = threading.Lock()
posts = {}
done = []
faults = []
OPTIONS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]


def env(data=None, code="ok", message="", status=200):
    return Reply.json({"data": data or {}, "error": {
        "code": code, "message": message, "log_id": "LOG%d" % time.time_ns()}},
        status=status)


def take(kind):
    with lock:
        for f in faults:
            if f[0] == kind and f[1] > 0:
                f[1] -= 1
                return True
    return False


CLIENT_KEY = "test-client-key"
CLIENT_SECRET = "test-client-secret"
oauth = {"codes": {}, "access": {}, "refresh": {}, "dead": set(), "n": 0}


def authed(req):
    auth = req.headers.get("Authorization", "")
    if auth == "Bearer " + app.args.token:
        return True
    tok = auth[7:] if auth.startswith("Bearer ") else ""
    with lock:
        a = oauth["access"].get(tok)
        return a is not None and a[0] > time.time() and a[1] not in oauth["dead"]


def oerr(code, status=200):
    # TikTok's token endpoint: the error in the body (at times with 200)
    return Reply.json({"error": code, "error_description": code + " (fake)",
                       "log_id": "LOG%d" % time.time_ns()}, status=status)


def issue(grant, scope):
    with lock:
        oauth["n"] += 1
        n = oauth["n"]
        acc = "act.fake-access-%d-SECRET" % n
        ref = "rft.fake-refresh-%d-SECRET" % n
        oauth["access"][acc] = (time.time() + app.args.expires_in, grant)
        oauth["refresh"][ref] = (grant, scope)
    return Reply.json({"access_token": acc, "expires_in": app.args.expires_in,
                       "open_id": "fake-open-id-1", "refresh_token": ref,
                       "refresh_expires_in": 31536000, "scope": scope,
                       "token_type": "Bearer"})


@app.route("GET", "/v2/auth/authorize/")
def authorize(req):
    import urllib.parse
    ch = req.arg("code_challenge") or ""
    redir = req.arg("redirect_uri") or ""
    if req.arg("client_key") != CLIENT_KEY or req.arg("response_type") != "code" \
            or req.arg("code_challenge_method") != "S256" \
            or not re.fullmatch(r"[0-9a-f]{64}", ch) or not req.arg("state") \
            or " " in (req.arg("scope") or " ") \
            or not re.match(r"http://127\.0\.0\.1:\d+/callback/$", redir):
        return Reply.text("bad authorization request", status=400)
    with lock:
        oauth["n"] += 1
        code = "fake-code-%d" % oauth["n"]
        oauth["codes"][code] = (ch, redir, req.arg("scope"))
    loc = "%s?%s" % (redir, urllib.parse.urlencode(
        {"code": code, "scopes": req.arg("scope"), "state": req.arg("state")}))
    return Reply(302, b"", {"Location": loc})


@app.route("POST", "/v2/oauth/token/")
def token(req):
    f = req.form()
    if f.get("client_key") != CLIENT_KEY or \
            f.get("client_secret") != CLIENT_SECRET:
        return oerr("invalid_client", 401)
    grant = f.get("grant_type")
    if grant == "authorization_code":
        with lock:
            c = oauth["codes"].pop(f.get("code"), None)
        if not c or c[1] != f.get("redirect_uri") or hashlib.sha256(
                f.get("code_verifier", "").encode()).hexdigest() != c[0]:
            return oerr("invalid_grant")
        with lock:
            oauth["n"] += 1
            g = "grant-%d" % oauth["n"]
        return issue(g, c[2])
    if grant == "refresh_token":
        r = f.get("refresh_token")
        with lock:
            g = oauth["refresh"].pop(r, None)
            dead = g is None or g[0] in oauth["dead"]
        if take("invalid_grant") or dead:
            return oerr("invalid_grant")
        return issue(g[0], g[1])
    return oerr("unsupported_grant_type", 400)


@app.route("POST", "/v2/oauth/revoke/")
def revoke(req):
    f = req.form()
    if f.get("client_key") != CLIENT_KEY or \
            f.get("client_secret") != CLIENT_SECRET:
        return oerr("invalid_client", 401)
    t = f.get("token")
    with lock:
        g = oauth["refresh"].get(t) or oauth["access"].get(t)
        if g is not None:
            oauth["dead"].add(g[0] if t in oauth["refresh"] else g[1])
    return Reply.json({})


@app.route("POST", "/_fault")
def fault(req):
    with lock:
        faults.append([req.arg("kind"), int(req.arg("n", "1"))])
    return {"ok": True}


@app.route("GET", "/_videos")
def videos(req):
    with lock:
        return Reply.json(done)


@app.route("POST", "/v2/post/publish/creator_info/query/")
def creator(req):
    if not authed(req):
        return env(code="access_token_invalid", status=401)
    if take("spam"):
        return env(code="spam_risk_too_many_posts",
                   message="daily post cap reached")
    return env({"creator_nickname": "Fake Creator", "creator_username": "fake",
                "creator_avatar_url": "https://x/a.jpg",
                "privacy_level_options": OPTIONS, "comment_disabled": False,
                "duet_disabled": False, "stitch_disabled": False,
                "max_video_post_duration_sec": 600})


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def init(req, inbox):
    if not authed(req):
        return env(code="access_token_invalid", status=401)
    if take("ratelimit"):
        return env(code="rate_limit_exceeded", status=429)
    body = req.json()
    si = body.get("source_info", {})
    if si.get("source") != "FILE_UPLOAD":
        return env(code="invalid_param", message="source", status=400)
    size, chunk, count = si.get("video_size"), si.get("chunk_size"), \
        si.get("total_chunk_count")
    lo, hi = app.args.min_chunk, 64 * 1000 * 1000
    if size < lo:
        if chunk != size or count != 1:
            return env(code="invalid_param", message="small file: one chunk",
                       status=400)
    elif not (lo <= chunk <= hi) or count != size // chunk or \
            not (1 <= count <= 1000) or size - chunk * (count - 1) > 128 * 1000 * 1000:
        return env(code="invalid_param", message="chunk rules", status=400)
    pi = body.get("post_info")
    if not inbox:
        if pi is None or pi.get("privacy_level") not in OPTIONS:
            return env(code="privacy_level_option_mismatch", status=403)
        if utf16_len(pi.get("title", "")) > 2200:
            return env(code="invalid_param", message="title", status=400)
        if not isinstance(pi.get("is_aigc"), bool):
            return env(code="invalid_param", message="is_aigc", status=400)
    elif pi is not None:
        return env(code="invalid_param", message="inbox: source_info only",
                   status=400)
    failed = take("failed")
    with lock:
        pid = "v_pub_file~%d" % (len(posts) + 1)
        posts[pid] = {"size": size, "chunk": chunk, "count": count,
                      "data": bytearray(), "post_info": pi, "inbox": inbox,
                      "polls": 0, "failed": failed}
    return env({"publish_id": pid, "upload_url": "http://%s/upload/%s" % (
        req.headers.get("Host"), pid)})


@app.route("POST", "/v2/post/publish/video/init/")
def direct(req):
    return init(req, False)


@app.route("POST", "/v2/post/publish/inbox/video/init/")
def inbox(req):
    return init(req, True)


@app.route("PUT", "/upload/{pid}")
def upload(req):
    with lock:
        p = posts.get(req.params["pid"])
    if p is None:
        return Reply(404)
    m = re.match(r"bytes (\d+)-(\d+)/(\d+)$", req.headers.get("Content-Range", ""))
    if not m or int(m.group(3)) != p["size"]:
        return Reply(400)
    a, b = int(m.group(1)), int(m.group(2))
    have = len(p["data"])
    hdr = {"Content-Range": "bytes 0-%d/%d" % (have - 1, p["size"])}
    if app.args.chunk_delay:
        time.sleep(app.args.chunk_delay)
    if take("500"):
        return Reply(500, b"", hdr)
    if take("416") or a != have or a % p["chunk"]:
        return Reply(416, b"", hdr)
    idx = a // p["chunk"]
    want = p["chunk"] if idx < p["count"] - 1 else p["size"] - a
    if b - a + 1 != want or len(req.body) != want:
        return Reply(400, b"", hdr)
    with lock:
        p["data"] += req.body
        have = len(p["data"])
    hdr = {"Content-Range": "bytes 0-%d/%d" % (have - 1, p["size"])}
    if have < p["size"]:
        return Reply(206, b"", hdr)
    with lock:
        data = bytes(p["data"])
        done.append({"publish_id": req.params["pid"], "bytes": len(data),
                     "sha256": hashlib.sha256(data).hexdigest(),
                     "post_info": p["post_info"], "inbox": p["inbox"]})
        if app.args.videos:
            with open(os.path.join(app.args.videos, "%d.mp4" % len(done)), "wb") as f:
                f.write(data)
    return Reply(201, b"", hdr)


@app.route("POST", "/v2/post/publish/status/fetch/")
def status(req):
    if not authed(req):
        return env(code="access_token_invalid", status=401)
    pid = req.json().get("publish_id")
    with lock:
        p = posts.get(pid)
        if p is None:
            return env(code="invalid_publish_id", status=400)
        have = len(p["data"])
        if have >= p["size"]:
            p["polls"] += 1
        polls = p["polls"]
    d = {"status": "PROCESSING_UPLOAD", "fail_reason": "",
         "publicaly_available_post_id": [], "uploaded_bytes": have}
    if have >= p["size"] and polls > app.args.polls:
        if p["failed"]:
            d.update(status="FAILED", fail_reason="picture_size_check_failed")
        elif p["inbox"]:
            d["status"] = "SEND_TO_USER_INBOX"
        else:
            d.update(status="PUBLISH_COMPLETE",
                     publicaly_available_post_id=[7300000000000000000 + len(done)])
    return env(d)


if __name__ == "__main__":
    def setup(ap):
        ap.add_argument("--token", required=True)
        ap.add_argument("--videos")
        ap.add_argument("--min-chunk", type=int, default=5 * 1000 * 1000)
        ap.add_argument("--chunk-delay", type=float, default=0.0)
        ap.add_argument("--polls", type=int, default=2)
        ap.add_argument("--expires-in", type=int, default=86400)
    fakehttp.serve(app, setup=setup)
