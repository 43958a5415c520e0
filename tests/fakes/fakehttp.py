#!/usr/bin/env python3
"""fakehttp - a small scriptable HTTP/1.1 fake server for av's tests.

Python 3 standard library only.  Protocol fakes (OpenAI, ElevenLabs,
YouTube, TikTok, ...) import this module, declare routes and call serve().

    import os, sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import fakehttp
    from fakehttp import Reply

    app = fakehttp.App()

    @app.route("POST", "/v1/chat/completions")
    def chat(req):                          # req is a fakehttp.Request
        if req.headers.get("Authorization") != "Bearer sk-test":
            return Reply.json({"error": {"message": "bad key"}}, status=401)
        return Reply.json({"choices": [{"message": {"content": "hi"}}]})

    # Canned sequences: the n-th request to one concrete path gets the n-th
    # reply; the last reply repeats.  Counters are per path, so a pattern
    # with a placeholder gives each test case its own counter:
    app.sequence("GET", "/flaky/{case}", [Reply(500), Reply.json({"ok": 1})])

    # State across requests (e.g. a resumable upload session):
    @app.route("PUT", "/upload/{sid}")
    def put(req):
        with app.lock:
            got = app.state.setdefault(req.params["sid"], bytearray())
            got += req.body
        ...

    if __name__ == "__main__":
        # setup adds the fake's own options; they arrive as app.args
        fakehttp.serve(app, setup=lambda ap: ap.add_argument("--fail"))

Command line of every fake built on serve():

    fake.py --port-file FILE [--log FILE] [--lifetime SECONDS]
            [--tls-cert PEM --tls-key PEM]

It binds 127.0.0.1 on a free port (port 0) (HTTPS with --tls-*), writes the port number to FILE
(atomically: the file appears complete), serves requests on threads, and
exits by itself after --lifetime seconds (default 60).  A test starts it in
the background, waits for the port file, and kills it when done.

In a tests/NN-name.t (POSIX sh):

    tmp=$(mktemp -d)
    python3 "$AVK_TOP/tests/fakes/myfake.py" --port-file "$tmp/port" \
        --log "$tmp/log" --lifetime 60 &
    fake=$!
    trap 'kill $fake 2>/dev/null; rm -rf "$tmp"' EXIT
    i=0; while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1)); done
    base=http://127.0.0.1:$(cat "$tmp/port")
    no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy   # never via a proxy
    AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=3       # fast retries
    export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS
    ...
    python3 "$AVK_TOP/tests/fakes/fakehttp.py" check "$tmp/log" \
        'any(r["path"] == "/v1/x" and r["json"]["model"] == "m" for r in L)'

`fakehttp.py check LOG EXPR` evaluates the Python expression EXPR with L
bound to the list of logged requests and exits 0 when it is true, 1 when
false (printing the log to stderr to help debugging).  To save a Python
start per check, `fakehttp.py checks LOG FILE N` evaluates every line
"NAME<TAB>EXPR" of FILE and prints TAP lines "ok N - NAME", N counting up.

Request log (--log): one JSON object per request, appended as soon as the
request body has been read:
    {"method": "POST", "path": "/v1/x", "query": {"k": ["v"]},
     "peer": 51234 (the client's port: equal ports = one connection),
     "headers": {"Content-Type": "...", ...}, "body_len": 12,
     "body_sha256": "...", "json": {...}        (when the body is JSON)
     "form": {"field": "value" or {"filename": .., "type": ..,
              "len": .., "sha256": ..}}         (multipart or urlencoded)
    }
Header names keep the case the client sent; repeated headers are joined
with ", ".  Tests grep this file or load it with json.

Route patterns are paths with {name} placeholders (one path segment each,
available as req.params["name"]) or compiled regular expressions (groups in
req.params); a GET route also answers HEAD.  Handlers return a Reply, a
(status, body) tuple, a dict (sent as JSON, status 200), or None (an
empty 204).

Reply options, for failure injection:
    Reply(status, body=b"", headers=None, content_type=None)
    Reply.json(obj, status=200, headers=None)
    Reply.text(s, status=200, headers=None)
    .retry_after(value)       add a Retry-After header (seconds or a date)
    .chunked()                send with Transfer-Encoding: chunked
    .stall(after, seconds)    send headers and `after` body bytes, then sleep
                              (the declared Content-Length stays the full one)
    .cut(after)               send headers and `after` body bytes, then close
                              the connection (Content-Length is the full one)
    .delay(seconds)           sleep before sending anything
Helpers: fakehttp.http_date(unix_time) formats an IMF-fixdate;
fakehttp.pattern_bytes(n) gives n deterministic bytes (for sha256 checks).
"""

import argparse
import email.utils
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SLEEP = 30.0  # no stall or delay lasts longer than this


def http_date(t):
    """IMF-fixdate of the Unix time t."""
    return email.utils.formatdate(t, usegmt=True)


def pattern_bytes(n):
    """n deterministic bytes: repetitions of 0..250 (251 is prime)."""
    block = bytes(range(251))
    return (block * (n // 251 + 1))[:n]


class Reply:
    def __init__(self, status=200, body=b"", headers=None, content_type=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.status = status
        self.body = body
        self.headers = list((headers or {}).items())
        if content_type:
            self.headers.append(("Content-Type", content_type))
        self._chunked = False
        self._stall = None
        self._cut = None
        self._delay = 0.0

    @classmethod
    def json(cls, obj, status=200, headers=None):
        return cls(status, json.dumps(obj).encode("utf-8"), headers,
                   "application/json")

    @classmethod
    def text(cls, s, status=200, headers=None):
        return cls(status, s.encode("utf-8"), headers,
                   "text/plain; charset=utf-8")

    def header(self, name, value):
        self.headers.append((name, str(value)))
        return self

    def retry_after(self, value):
        return self.header("Retry-After", value)

    def chunked(self):
        self._chunked = True
        return self

    def stall(self, after, seconds):
        self._stall = (after, min(float(seconds), MAX_SLEEP))
        return self

    def cut(self, after):
        self._cut = after
        return self

    def delay(self, seconds):
        self._delay = min(float(seconds), MAX_SLEEP)
        return self


class Request:
    def __init__(self, method, path, query, headers, body, params):
        self.method = method
        self.path = path
        self.query = query          # dict name -> list of values
        self.headers = headers      # case-insensitive (email.message)
        self.body = body            # bytes
        self.params = params        # placeholders of the route pattern

    def arg(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        return parse_form(self.headers.get("Content-Type", ""), self.body)


def parse_multipart(content_type, body):
    """Parts of a multipart/form-data body as a list of dicts with name,
    filename, type and data (bytes)."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        return []
    sep = b"--" + m.group(1).encode("latin-1")
    parts = []
    for chunk in body.split(sep)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        info = {"name": None, "filename": None, "type": None, "data": data}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            k, _, v = line.partition(":")
            k = k.strip().lower()
            if k == "content-disposition":
                n = re.search(r'\bname="([^"]*)"', v)
                f = re.search(r'\bfilename="([^"]*)"', v)
                info["name"] = n.group(1) if n else None
                info["filename"] = f.group(1) if f else None
            elif k == "content-type":
                info["type"] = v.strip()
        parts.append(info)
    return parts


def parse_form(content_type, body):
    """Form fields of a multipart or urlencoded body, for the log: plain
    values as strings, files as {filename, type, len, sha256}."""
    ct = content_type.lower()
    out = {}
    if ct.startswith("multipart/form-data"):
        for p in parse_multipart(content_type, body):
            if p["filename"] is not None:
                out[p["name"]] = {
                    "filename": p["filename"], "type": p["type"],
                    "len": len(p["data"]),
                    "sha256": hashlib.sha256(p["data"]).hexdigest()}
            else:
                out[p["name"]] = p["data"].decode("utf-8", "replace")
    elif ct.startswith("application/x-www-form-urlencoded"):
        for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                          keep_blank_values=True).items():
            out[k] = v[0] if len(v) == 1 else v
    return out


def _compile(pattern):
    if not isinstance(pattern, str):
        return pattern
    rx = ""
    for part in re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", pattern):
        if part.startswith("{") and part.endswith("}"):
            rx += "(?P<%s>[^/]+)" % part[1:-1]
        else:
            rx += re.escape(part)
    return re.compile(rx + r"\Z")


class App:
    """A route table plus canned reply sequences."""

    def __init__(self):
        self.routes = []  # (method, compiled pattern, handler)
        self.lock = threading.Lock()  # guards counters and state
        self.counters = {}
        self.state = {}   # free for handlers (hold self.lock to change it)
        self.args = None  # parsed command line, set by serve()

    def route(self, method, pattern):
        def deco(fn):
            self.add(method, pattern, fn)
            return fn
        return deco

    def add(self, method, pattern, handler):
        self.routes.append((method.upper(), _compile(pattern), handler))

    def sequence(self, method, pattern, replies):
        """Reply to the n-th request of each concrete path with replies[n]
        (the last one repeats).  Entries may be Reply objects or handlers."""
        replies = list(replies)

        def handler(req):
            with self.lock:
                key = (req.method, req.path)
                n = self.counters.get(key, 0)
                self.counters[key] = n + 1
            r = replies[min(n, len(replies) - 1)]
            return r(req) if callable(r) else r
        self.add(method, pattern, handler)

    def count(self, method, path):
        with self.lock:
            return self.counters.get((method, path), 0)

    def dispatch(self, req):
        allowed = False
        for method, rx, handler in self.routes:
            m = rx.match(req.path)
            if not m:
                continue
            if method not in (req.method, "*") and not (
                    req.method == "HEAD" and method == "GET"):
                allowed = True
                continue
            req.params = m.groupdict() or dict(enumerate(m.groups()))
            return handler(req)
        if allowed:
            return Reply.json({"error": "method not allowed"}, status=405)
        return Reply.json({"error": "no route for %s %s" %
                           (req.method, req.path)}, status=404)


def _as_reply(r):
    if isinstance(r, Reply):
        return r
    if r is None:
        return Reply(204)
    if isinstance(r, tuple):
        return Reply(*r)
    if isinstance(r, (dict, list)):
        return Reply.json(r)
    if isinstance(r, (bytes, str)):
        return Reply(200, r)
    raise TypeError("handler returned %r" % (r,))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fakehttp/1"
    app = None
    log_path = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            out = b""
            while True:
                line = self.rfile.readline()
                if not line:
                    break
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                out += self.rfile.read(size)
                self.rfile.readline()
            return out
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _log(self, req):
        if not self.log_path:
            return
        headers = {}
        for k, v in self.headers.items():
            headers[k] = headers[k] + ", " + v if k in headers else v
        rec = {"t": round(time.time(), 3), "peer": self.client_address[1],
               "method": req.method,
               "path": req.path, "query": req.query, "headers": headers,
               "body_len": len(req.body),
               "body_sha256": hashlib.sha256(req.body).hexdigest()}
        ct = self.headers.get("Content-Type", "")
        if "json" in ct.lower():
            try:
                rec["json"] = req.json()
            except ValueError:
                rec["json_error"] = True
        form = parse_form(ct, req.body)
        if form:
            rec["form"] = form
        line = json.dumps(rec, sort_keys=True) + "\n"
        with self.log_lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line)

    def _handle(self):
        u = urllib.parse.urlsplit(self.path)
        req = Request(self.command, u.path,
                      urllib.parse.parse_qs(u.query, keep_blank_values=True),
                      self.headers, self._read_body(), {})
        self._log(req)
        try:
            reply = _as_reply(self.app.dispatch(req))
        except Exception as e:  # a bug in a fake: answer 599, keep serving
            reply = Reply.text("fake handler failed: %r\n" % (e,), 599)
        self._send(reply)

    def _send(self, r):
        if r._delay:
            time.sleep(r._delay)
        self.send_response(r.status)
        names = {k.lower() for k, _ in r.headers}
        for k, v in r.headers:
            self.send_header(k, v)
        body = r.body if self.command != "HEAD" else b""
        if r._chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif "content-length" not in names:
            self.send_header("Content-Length", str(len(r.body)))
        self.end_headers()
        limit = None
        if r._stall is not None:
            limit = r._stall[0]
        if r._cut is not None:
            limit = r._cut if limit is None else min(limit, r._cut)
        part = body if limit is None else body[:limit]
        try:
            if r._chunked:
                for i in range(0, len(part), 4096):
                    piece = part[i:i + 4096]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                if limit is None:
                    self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(part)
            self.wfile.flush()
            if r._stall is not None:
                time.sleep(r._stall[1])
                self.close_connection = True
                return
            if r._cut is not None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = \
        do_OPTIONS = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients that give up (caps, timeouts) reset connections; that is
        # expected here and not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def start(app, log_path=None, tls=None):
    """Start serving app on 127.0.0.1:0 in a background thread; returns the
    server (server.server_address[1] is the port).  tls = (certfile,
    keyfile) serves HTTPS instead.  For in-process use."""
    handler = type("AppHandler", (Handler,),
                   {"app": app, "log_path": log_path})
    srv = Server(("127.0.0.1", 0), handler)
    if tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def serve(app, argv=None, setup=None):
    """Parse --port-file/--log/--lifetime (plus the fake's own options,
    added by setup(parser); the result is app.args), serve until the
    lifetime ends, then exit the process."""
    ap = argparse.ArgumentParser(description="fake HTTP server")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=60.0)
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate")
    ap.add_argument("--tls-key", help="... and this private key")
    if setup:
        setup(ap)
    args = ap.parse_args(argv)
    app.args = args
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    srv = start(app, args.log, tls)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    time.sleep(max(0.0, args.lifetime))
    srv.shutdown()
    sys.stdout.flush()
    os._exit(0)


def load_log(log_path):
    try:
        with open(log_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def checks(log_path, file, n):
    """TAP lines for each "NAME<TAB>EXPR" line of file, numbered from n."""
    L = load_log(log_path)
    bad = 0
    with open(file, encoding="utf-8") as f:
        for line in f:
            name, _, expr = line.rstrip("\n").partition("\t")
            try:
                good = bool(eval(expr, {"L": L, "json": json}))
            except Exception as e:  # a broken expression fails its check
                good = False
                name += " (%s)" % e
            print("%sok %d - %s" % ("" if good else "not ", n, name))
            bad += not good
            n += 1
    return 1 if bad else 0


def check(log_path, expr):
    """Evaluate expr over L, the logged requests; 0 when true."""
    L = load_log(log_path)
    if eval(expr, {"L": L, "json": json}):
        return 0
    sys.stderr.write("fakehttp check failed: %s\n" % expr)
    for r in L:
        sys.stderr.write("  %s %s %s\n" % (r["method"], r["path"],
                                            json.dumps(r["query"])))
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 5 and sys.argv[1] == "checks":
        sys.exit(checks(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    # Bare server: every path answers 200 {"ok": true}.
    a = App()
    a.add("*", re.compile(r".*"), lambda req: {"ok": True})
    serve(a)
