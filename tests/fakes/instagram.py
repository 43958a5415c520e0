#!/usr/bin/env python3
"""instagram - a fake of the Instagram Graph API Reels publishing flow for
tests/35-publish-instagram.t, built on fakehttp.

    instagram.py --port-file FILE [--log FILE] [--lifetime S] --token TOKEN
                 [--videos DIR] [--polls N] [--expires-in S]

Facebook Login (app id "test-app-id", secret "test-app-secret"):
    GET  /v21.0/dialog/oauth     the consent screen, approved at once: checks
        client_id, redirect_uri on 127.0.0.1, response_type=code, state, a
        comma-separated scope, code_challenge with code_challenge_method=S256
        (base64url); 302 to redirect_uri?code=..&state=..
    GET|POST /v21.0/oauth/access_token   client_id, client_secret and
        either code (+ redirect_uri, code_verifier): a short-lived token
        (1 h), or grant_type=fb_exchange_token&fb_exchange_token=TOKEN (a
        live token): a long-lived one (--expires-in, default 60 days);
        a dead token, or /_fault?kind=invalid_grant, gets Graph's error 190
    GET  /v21.0/me/accounts      one Page with instagram_business_account
        {"id": "17841400000000001"}
    DELETE /v21.0/me/permissions  revokes every token issued by the fake
    POST /v21.0/device/login     form access_token=APP_ID|CLIENT_TOKEN
        ("test-app-id|test-client-token") and scope: {code, user_code
        "FBDV-1234", verification_uri, expires_in, interval 1}
    POST /v21.0/device/login_status   form access_token, code: error 31
        with subcode 1349174 (pending) twice, then a token (--expires-in)
Issued tokens ("EAA..-SECRET") are accepted by the API routes besides
--token until they expire or are revoked.

    POST /v21.0/{uid}/media        form media_type=REELS, caption (<= 2200
        characters, <= 30 hashtags), share_to_feed, and upload_type=resumable
        ({"id", "uri"}) or video_url ({"id"}; the fake "fetches" at once)
    POST /ig-api-upload/v21.0/{cid}   Authorization: OAuth TOKEN, headers
        offset (must equal the bytes held, else 400) and file_size; body
        appended; {"success": true, "message": "Upload successful."}
    GET  /ig-api-upload/v21.0/{cid}   {"offset": bytes held} (assumed resume
        query; the published docs only say to resend with the offset)
    GET  /v21.0/{cid}?fields=status_code,status   IN_PROGRESS until the
        file is complete and then for --polls more polls, then FINISHED
        (or ERROR after /_fault?kind=error), PUBLISHED once published
    POST /v21.0/{uid}/media_publish?creation_id=CID   400 unless FINISHED;
        creates one media {"id"}
    GET  /v21.0/{media}?fields=permalink
    GET  /_media       published media [{id, container, bytes, sha256, caption}]
    POST /_fault?kind=K[&n=N]
        cut            the next upload keeps half its body and the
                       connection is cut without a reply
        error          the next container ends in ERROR (2207026)
        publish_slow   the next media_publish succeeds but answers only
                       after 3 s (the client times out first)
        invalid_grant  the next fb_exchange_token gets error 190
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
containers = {}
media = []
faults = []


def take(kind):
    with lock:
        for f in faults:
            if f[0] == kind and f[1] > 0:
                f[1] -= 1
                return True
    return False


def gerr(msg, code=100, status=400, sub=None):
    e = {"message": msg, "type": "OAuthException", "code": code,
         "fbtrace_id": "FAKE"}
    if sub:
        e["error_subcode"] = sub
    return Reply.json({"error": e}, status=status)


APP_ID = "test-app-id"
APP_SECRET = "test-app-secret"
IG_USER = "17841400000000001"
oauth = {"codes": {}, "tokens": {}, "revoked": False, "n": 0}


def live(tok):
    with lock:
        exp = oauth["tokens"].get(tok)
        return exp is not None and exp > time.time() and not oauth["revoked"]


def authed(req, scheme="Bearer"):
    auth = req.headers.get("Authorization", "")
    if auth == scheme + " " + app.args.token:
        return True
    return auth.startswith(scheme + " ") and live(auth[len(scheme) + 1:])


def b64url_sha256(s):
    import base64
    return base64.urlsafe_b64encode(
        hashlib.sha256(s.encode()).digest()).decode().rstrip("=")


def issue(kind, life):
    with lock:
        oauth["n"] += 1
        tok = "EAA%s-%d-SECRET" % (kind, oauth["n"])
        oauth["tokens"][tok] = time.time() + life
    return Reply.json({"access_token": tok, "token_type": "bearer",
                       "expires_in": life})


@app.route("GET", "/v21.0/dialog/oauth")
def dialog(req):
    import urllib.parse
    redir = req.arg("redirect_uri") or ""
    if req.arg("client_id") != APP_ID or req.arg("response_type") != "code" \
            or not req.arg("state") or " " in (req.arg("scope") or " ") \
            or req.arg("code_challenge_method") != "S256" \
            or not req.arg("code_challenge") \
            or not redir.startswith("http://127.0.0.1:"):
        return Reply.text("bad authorization request", status=400)
    with lock:
        oauth["n"] += 1
        code = "AQfake-code-%d" % oauth["n"]
        oauth["codes"][code] = (req.arg("code_challenge"), redir)
        oauth["revoked"] = False
    loc = "%s?%s" % (redir, urllib.parse.urlencode(
        {"code": code, "state": req.arg("state")}))
    return Reply(302, b"", {"Location": loc + "#_=_"})


@app.route("*", "/v21.0/oauth/access_token")
def access_token(req):
    f = dict(req.form())
    for k, v in req.query.items():
        f.setdefault(k, v[0])
    if f.get("client_id") != APP_ID or f.get("client_secret") != APP_SECRET:
        return gerr("Error validating client secret.", 1, 400)
    if f.get("code"):
        with lock:
            c = oauth["codes"].pop(f.get("code"), None)
        if not c or c[1] != f.get("redirect_uri") or \
                b64url_sha256(f.get("code_verifier", "")) != c[0]:
            return gerr("Invalid verification code format.", 100, 400, 36007)
        return issue("short", 3600)
    if f.get("grant_type") == "fb_exchange_token":
        if take("invalid_grant") or not live(f.get("fb_exchange_token")):
            return gerr("Error validating access token: Session has expired",
                        190, 400, 463)
        return issue("long", app.args.expires_in)
    return gerr("Missing authorization code", 1, 400)


def device_client(f):
    return f.get("access_token") == APP_ID + "|test-client-token"


@app.route("POST", "/v21.0/device/login")
def device_login(req):
    f = req.form()
    if not device_client(f) or not f.get("scope"):
        return gerr("Invalid OAuth access token", 190, 400)
    with lock:
        oauth["n"] += 1
        code = "fbdevice-%d" % oauth["n"]
        oauth.setdefault("device", {})[code] = 0
        oauth["revoked"] = False
    return {"code": code, "user_code": "FBDV-1234",
            "verification_uri": "https://www.facebook.com/device",
            "expires_in": 420, "interval": 1}


@app.route("POST", "/v21.0/device/login_status")
def device_status(req):
    f = req.form()
    if not device_client(f):
        return gerr("Invalid OAuth access token", 190, 400)
    with lock:
        d = oauth.get("device", {})
        n = d.get(f.get("code"))
        if n is None:
            return gerr("The code has expired", 31, 400, 1349152)
        d[f.get("code")] = n + 1
    if n < 2:
        return gerr("User has not yet authorized your application", 31, 400,
                    1349174)
    return issue("long", app.args.expires_in)


@app.route("GET", "/v21.0/me/accounts")
def me_accounts(req):
    if not authed(req):
        return gerr("Invalid OAuth access token", 190, 401)
    return {"data": [{"id": "1000001", "name": "Fake Page",
                      "instagram_business_account": {"id": IG_USER}}]}


@app.route("DELETE", "/v21.0/me/permissions")
def revoke(req):
    if not authed(req):
        return gerr("Invalid OAuth access token", 190, 401)
    with lock:
        oauth["revoked"] = True
    return {"success": True}


@app.route("POST", "/_fault")
def fault(req):
    with lock:
        faults.append([req.arg("kind"), int(req.arg("n", "1"))])
    return {"ok": True}


@app.route("GET", "/_media")
def list_media(req):
    with lock:
        return Reply.json(media)


@app.route("POST", "/v21.0/{uid}/media")
def create(req):
    if not authed(req):
        return gerr("Invalid OAuth access token", 190, 401)
    f = req.form()
    if f.get("media_type") != "REELS":
        return gerr("media_type must be REELS")
    cap = f.get("caption", "")
    if len(cap) > 2200 or len(re.findall(r"(?:^|\s)#\w", cap)) > 30:
        return gerr("caption too long or too many hashtags", 100, 400, 2207018)
    err = take("error")
    with lock:
        cid = "1789%04d" % (len(containers) + 1)
        c = {"data": bytearray(), "size": None, "caption": cap, "polls": 0,
             "state": "IN_PROGRESS", "error": err, "url": f.get("video_url")}
        containers[cid] = c
    if f.get("video_url"):
        c["size"] = 0
        return {"id": cid}
    if f.get("upload_type") != "resumable":
        return gerr("video_url or upload_type=resumable needed")
    return {"id": cid, "uri": "http://%s/ig-api-upload/v21.0/%s" % (
        req.headers.get("Host"), cid)}


@app.route("POST", "/ig-api-upload/v21.0/{cid}")
def rupload(req):
    if not authed(req, "OAuth"):
        return gerr("Invalid OAuth access token", 190, 401)
    with lock:
        c = containers.get(req.params["cid"])
    if c is None:
        return gerr("no such upload", 100, 404)
    off, size = req.headers.get("offset"), req.headers.get("file_size")
    if off is None or size is None:
        return gerr("offset and file_size headers needed")
    if int(off) != len(c["data"]):
        return gerr("offset mismatch: have %d" % len(c["data"]))
    cut = take("cut")
    body = req.body[:len(req.body) // 2] if cut else req.body
    with lock:
        c["size"] = int(size)
        c["data"] += body
    if cut:
        return Reply(200, b"x" * 50).cut(0)
    return {"success": True, "message": "Upload successful."}


@app.route("GET", "/ig-api-upload/v21.0/{cid}")
def rupload_status(req):
    if not authed(req, "OAuth"):
        return gerr("Invalid OAuth access token", 190, 401)
    with lock:
        c = containers.get(req.params["cid"])
    if c is None:
        return gerr("no such upload", 100, 404)
    return {"offset": len(c["data"])}


@app.route("GET", "/v21.0/{obj}")
def get_obj(req):
    if not authed(req):
        return gerr("Invalid OAuth access token", 190, 401)
    oid = req.params["obj"]
    with lock:
        for m in media:
            if m["id"] == oid:
                return {"id": oid, "permalink": "https://www.instagram.com/reel/%s/" % oid}
        c = containers.get(oid)
        if c is None:
            return gerr("Unsupported get request", 100, 400, 33)
        complete = c["size"] is not None and len(c["data"]) >= c["size"]
        if complete and c["state"] == "IN_PROGRESS":
            c["polls"] += 1
            if c["polls"] > app.args.polls:
                c["state"] = "ERROR" if c["error"] else "FINISHED"
        st = c["state"]
    d = {"id": oid, "status_code": st}
    d["status"] = "Error: 2207026" if st == "ERROR" else st
    return d


@app.route("POST", "/v21.0/{uid}/media_publish")
def publish(req):
    if not authed(req):
        return gerr("Invalid OAuth access token", 190, 401)
    cid = req.arg("creation_id")
    with lock:
        c = containers.get(cid)
        if c is None or c["state"] != "FINISHED":
            return gerr("The media is not ready for publishing", 9007, 400, 2207027)
        mid = "1790%04d" % (len(media) + 1)
        c["state"] = "PUBLISHED"
        data = bytes(c["data"])
        media.append({"id": mid, "container": cid, "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(),
                      "caption": c["caption"], "video_url": c["url"]})
        if app.args.videos:
            with open(os.path.join(app.args.videos, mid + ".mp4"), "wb") as f:
                f.write(data)
    r = Reply.json({"id": mid})
    if take("publish_slow"):
        r.delay(3)
    return r


if __name__ == "__main__":
    def setup(ap):
        ap.add_argument("--token", required=True)
        ap.add_argument("--videos")
        ap.add_argument("--polls", type=int, default=2)
        ap.add_argument("--expires-in", type=int, default=60 * 86400)
    fakehttp.serve(app, setup=setup)
