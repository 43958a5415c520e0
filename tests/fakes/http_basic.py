#!/usr/bin/env python3
"""http_basic - the fake server behind tests/10-http.t (lib/http).

    http_basic.py --port-file FILE [--log FILE] [--lifetime SECONDS]

Routes (every {case} gets its own reply counter, so one server run can host
many independent test cases):
    GET  /json                 200 {"ok": true, "n": 42}
    *    /echo                 200 JSON of what arrived (method, query,
                               headers, body length and sha256, form)
    GET  /retry-after/{case}   429 Retry-After: 1, then 200
    GET  /retry-date/{case}    503 Retry-After: <HTTP date 2 s ahead>, then 200
    GET  /flaky/{case}         500, then 200
    GET  /down/{case}          503 forever
    GET  /cut/{case}           Content-Length 1000, 100 bytes, connection cut
    GET  /cut-once/{case}      like /cut once, then 200 with 1000 bytes
    GET  /stall                Content-Length 1000, 10 bytes, then 20 s silence
    GET  /slow                 nothing for 20 s, then 200
    GET  /bytes?n=N            N pattern bytes (fakehttp.pattern_bytes)
    GET  /bytes-chunked?n=N    the same, chunked
    GET  /status/{code}        that status with {"error": {"message": ...}}
    GET  /auth-echo            401 whose body repeats the credentials sent
    GET  /down-echo?key=K      503 "busy, key K" forever
    GET  /quota/{case}         429 {"error": {"code": "insufficient_quota"}}
    GET  /wait-long            429 Retry-After: 3600
    GET  /redirect             302 to /json
    GET  /redirect-away        302 to http://localhost:PORT/echo (another
                               origin for the client)
    GET  /redirect-loop        302 to itself
    POST /see-other            303 to /echo?case=see-other
    GET  /gzip                 {"ok": true, "pad": "..."} gzip-encoded
    GET  /gzip-bomb            5 MB of zeros, gzip-encoded (about 5 kB sent)
    GET  /redirect-plain?to=P  302 to http://127.0.0.1:P/json (for the
                               https-to-http refusal)
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
from fakehttp import Reply  # noqa: E402

app = fakehttp.App()


@app.route("GET", "/json")
def _json(req):
    return Reply.json({"ok": True, "n": 42})


@app.route("*", "/echo")
def _echo(req):
    import hashlib
    return Reply.json({
        "method": req.method, "path": req.path, "query": req.query,
        "headers": {k: v for k, v in req.headers.items()},
        "body_len": len(req.body),
        "body_sha256": hashlib.sha256(req.body).hexdigest(),
        "form": req.form()})


app.sequence("GET", "/retry-after/{case}", [
    Reply.json({"error": "slow down"}, status=429).retry_after(1),
    Reply.json({"ok": True, "after": "retry"})])


def _date_reply(req):
    return Reply.json({"error": "busy"}, status=503).retry_after(
        fakehttp.http_date(time.time() + 2))


app.sequence("GET", "/retry-date/{case}", [
    _date_reply, Reply.json({"ok": True, "after": "date"})])

app.sequence("GET", "/flaky/{case}", [
    Reply.text("oops\n", status=500), Reply.json({"ok": True})])

app.sequence("GET", "/down/{case}", [Reply.text("down\n", status=503)])

app.sequence("GET", "/cut/{case}", [
    Reply(200, fakehttp.pattern_bytes(1000)).cut(100)])

app.sequence("GET", "/cut-once/{case}", [
    Reply(200, fakehttp.pattern_bytes(1000)).cut(100),
    Reply(200, fakehttp.pattern_bytes(1000))])


@app.route("GET", "/stall")
def _stall(req):
    return Reply(200, fakehttp.pattern_bytes(1000)).stall(10, 20)


@app.route("GET", "/slow")
def _slow(req):
    return Reply.json({"ok": True}).delay(20)


@app.route("GET", "/bytes")
def _bytes(req):
    return Reply(200, fakehttp.pattern_bytes(int(req.arg("n", "0"))),
                 content_type="application/octet-stream")


@app.route("GET", "/bytes-chunked")
def _bytes_chunked(req):
    return Reply(200, fakehttp.pattern_bytes(int(req.arg("n", "0"))),
                 content_type="application/octet-stream").chunked()


@app.route("GET", "/status/{code}")
def _status(req):
    code = int(req.params["code"])
    return Reply.json({"error": {"message": "status %d as asked" % code}},
                      status=code)


@app.route("GET", "/auth-echo")
def _auth_echo(req):
    return Reply.text("invalid credentials: %s %s\n" % (
        req.headers.get("xi-api-key", ""), req.arg("key", "")), status=401)


@app.route("GET", "/down-echo")
def _down_echo(req):
    return Reply.text("busy, key %s\n" % req.arg("key", ""), status=503)


app.sequence("GET", "/quota/{case}", [
    Reply.json({"error": {"code": "insufficient_quota",
                          "message": "You exceeded your current quota"}},
               status=429)])


@app.route("GET", "/wait-long")
def _wait_long(req):
    return Reply.text("later\n", status=429).retry_after(3600)


@app.route("GET", "/redirect")
def _redirect(req):
    return Reply(302, b"", {"Location": "/json"})


@app.route("GET", "/redirect-away")
def _redirect_away(req):
    port = req.headers.get("Host", "").rsplit(":", 1)[-1]
    return Reply(302, b"", {"Location": "http://localhost:%s/echo" % port})


@app.route("GET", "/redirect-loop")
def _redirect_loop(req):
    return Reply(302, b"", {"Location": "/redirect-loop"})


@app.route("GET", "/redirect-plain")
def _redirect_plain(req):
    return Reply(302, b"", {"Location": "http://127.0.0.1:%s/json" %
                            req.arg("to", "1")})


@app.route("GET", "/gzip")
def _gzip(req):
    import gzip
    import json
    body = json.dumps({"ok": True, "pad": "x" * 5000}).encode()
    return Reply(200, gzip.compress(body), {"Content-Encoding": "gzip"},
                 "application/json")


@app.route("GET", "/gzip-bomb")
def _gzip_bomb(req):
    import gzip
    return Reply(200, gzip.compress(b"\0" * 5000000),
                 {"Content-Encoding": "gzip"}, "application/octet-stream")


@app.route("POST", "/see-other")
def _see_other(req):
    return Reply(303, b"", {"Location": "/echo?case=see-other"})


if __name__ == "__main__":
    fakehttp.serve(app)
