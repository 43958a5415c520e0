#!/usr/bin/env python3
"""Fake trend sources for av-trend's tests (stdlib only).

Serves the recorded feeds in examples/feeds/ the way the real services lay
them out, on 127.0.0.1 and a free port (written to --port-file):

  /trending/rss?geo=GEO      Google Trends RSS: the first fetch gets
                             gtrends-US.xml, later fetches gtrends-US-later.xml
  /v0/topstories.json        Hacker News id list (from hn-topstories.json)
  /v0/item/ID.json           one HN item, or null
  /r/SUB/hot.json            reddit-worldnews.json for any SUB
  /youtube/v3/videos         youtube-mostpopular.json (403 without key=)
  /feeds/NAME                any file of the directory
  /fail/503                  always HTTP 503
  /fail/html                 200 with an HTML error page
  /fail/trunc                200 with truncated RSS

Every request is appended to --log as "METHOD PATH UA" (query values of
key= are replaced by REDACTED).  The server stops after --timeout seconds.
"""
import argparse
import http.server
import json
import os
import re
import threading
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    counts = {}
    lock = threading.Lock()

    def read(name):
        with open(os.path.join(a.dir, name), "rb") as f:
            return f.read()

    hn = json.loads(read("hn-topstories.json"))

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, code, body, ctype):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            shown = re.sub(r"(key=)[^&]*", r"\1REDACTED", self.path)
            with lock:
                counts[u.path] = counts.get(u.path, 0) + 1
                n = counts[u.path]
                with open(a.log, "a") as f:
                    f.write("GET %s %s\n" % (shown, self.headers.get("User-Agent", "-")))
            p = u.path
            if p == "/trending/rss":
                name = "gtrends-US.xml" if n == 1 else "gtrends-US-later.xml"
                return self.send(200, read(name), "application/rss+xml")
            if p == "/v0/topstories.json":
                return self.send(200, json.dumps(hn["topstories"]).encode(), "application/json")
            m = re.fullmatch(r"/v0/item/(\d+)\.json", p)
            if m:
                item = hn["items"].get(m.group(1))
                return self.send(200, json.dumps(item).encode(), "application/json")
            if re.fullmatch(r"/r/\w+/hot\.json", p):
                return self.send(200, read("reddit-worldnews.json"), "application/json")
            if p == "/youtube/v3/videos":
                if not q.get("key"):
                    return self.send(403, b'{"error":{"code":403}}', "application/json")
                return self.send(200, read("youtube-mostpopular.json"), "application/json")
            if p.startswith("/feeds/"):
                name = os.path.basename(p)
                if os.path.isfile(os.path.join(a.dir, name)):
                    return self.send(200, read(name), "application/xml")
            if p == "/fail/503":
                return self.send(503, b"busy", "text/plain")
            if p == "/fail/html":
                return self.send(200, b"<html><body>Oops</body></html>", "text/html")
            if p == "/fail/trunc":
                return self.send(200, read("news-daily.rss")[:700], "application/rss+xml")
            return self.send(404, b"not found", "text/plain")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    t = threading.Timer(a.timeout, srv.shutdown)
    t.daemon = True
    t.start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
