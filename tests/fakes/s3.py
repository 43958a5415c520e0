#!/usr/bin/env python3
"""s3 - a small S3-compatible fake that verifies AWS Signature Version 4
independently of the client (Python hmac/hashlib), for
tests/36-publish-s3.t; built on fakehttp.

    s3.py --port-file FILE [--log FILE] [--lifetime S]
          --access-key AK --secret SK [--region us-east-1] --data DIR

Every request must carry Authorization: AWS4-HMAC-SHA256 Credential=AK/
DATE/REGION/s3/aws4_request, SignedHeaders=..., Signature=... whose
signature this fake recomputes from the request as received (path,
query, the signed headers, x-amz-content-sha256, which must also equal
the SHA-256 of the body); a mismatch is 403 SignatureDoesNotMatch with
the CanonicalRequest in the XML body, an unknown key 403
InvalidAccessKeyId.  Path-style routes:
    PUT  /BUCKET/KEY                          store an object (DIR/BUCKET/KEY)
    POST /BUCKET/KEY?uploads                  <UploadId>
    PUT  /BUCKET/KEY?partNumber=N&uploadId=U  store a part, ETag
    GET  /BUCKET/KEY?uploadId=U               ListParts
    POST /BUCKET/KEY?uploadId=U               CompleteMultipartUpload
    POST /_fault?part=N    (unsigned) the next upload of part N gets 503
"""

import hashlib
import hmac
import os
import re
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
from fakehttp import Reply  # noqa: E402

app = fakehttp.App()
lock = threading.Lock()
uploads = {}
faults = []


def xml_err(code, msg, status, extra=""):
    return Reply(status, ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s"
                          "</Code><Message>%s</Message>%s<RequestId>FAKE</RequestId>"
                          "</Error>" % (code, msg, extra)).encode(),
                 content_type="application/xml")


def enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def verify(req):
    auth = req.headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/"
                 r"aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$",
                 auth)
    if not m:
        return xml_err("AuthorizationHeaderMalformed", "bad header", 400)
    ak, date8, region, signed, sig = m.groups()
    if ak != app.args.access_key:
        return xml_err("InvalidAccessKeyId", "unknown key", 403)
    if region != app.args.region:
        return xml_err("AuthorizationHeaderMalformed", "wrong region", 400)
    names = signed.split(";")
    if "host" not in names or "x-amz-date" not in names or \
            "x-amz-content-sha256" not in names:
        return xml_err("AccessDenied", "host and x-amz-* must be signed", 403)
    payload = req.headers.get("x-amz-content-sha256", "")
    if payload != "UNSIGNED-PAYLOAD" and \
            payload != hashlib.sha256(req.body).hexdigest():
        return xml_err("XAmzContentSHA256Mismatch", "payload hash", 400)
    amz_date = req.headers.get("x-amz-date", "")
    if not amz_date.startswith(date8):
        return xml_err("AccessDenied", "date mismatch", 403)
    q = sorted((enc(k), enc(v)) for k, vs in req.query.items() for v in vs)
    canon = "\n".join([
        req.method, req.path, "&".join("%s=%s" % kv for kv in q),
        "".join("%s:%s\n" % (n, " ".join(req.headers.get(n, "").split()))
                for n in names),
        signed, payload])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date,
                     "%s/%s/s3/aws4_request" % (date8, region),
                     hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + app.args.secret).encode()
    for part in (date8, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        return xml_err("SignatureDoesNotMatch", "signature mismatch", 403,
                       "<CanonicalRequest>%s</CanonicalRequest>" % canon)
    return None


def path_of(req):
    parts = urllib.parse.unquote(req.path).lstrip("/").split("/", 1)
    if len(parts) != 2 or not parts[1] or ".." in parts[1].split("/"):
        return None
    return os.path.join(app.args.data, parts[0], parts[1])


@app.route("*", re.compile(r"^/.+"))
def s3(req):
    if req.path == "/_fault":
        with lock:
            faults.append(int(req.arg("part")))
        return {"ok": True}
    bad = verify(req)
    if bad:
        return bad
    dest = path_of(req)
    if dest is None:
        return xml_err("InvalidRequest", "path-style /bucket/key only", 400)
    uid = req.arg("uploadId")
    if req.method == "PUT" and uid is None:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(req.body)
        return Reply(200, b"", {"ETag": '"%s"' % hashlib.md5(req.body).hexdigest()})
    if req.method == "POST" and "uploads" in req.query:
        with lock:
            u = "UP%d" % (len(uploads) + 1)
            uploads[u] = {"dest": dest, "parts": {}}
        return Reply(200, ("<InitiateMultipartUploadResult><UploadId>%s</UploadId>"
                           "</InitiateMultipartUploadResult>" % u).encode(),
                     content_type="application/xml")
    with lock:
        up = uploads.get(uid)
    if up is None:
        return xml_err("NoSuchUpload", "no such upload", 404)
    if req.method == "PUT":
        n = int(req.arg("partNumber"))
        with lock:
            if n in faults:
                faults.remove(n)
                return xml_err("SlowDown", "please reduce your request rate", 503)
        etag = '"%s"' % hashlib.md5(req.body).hexdigest()
        with lock:
            up["parts"][n] = (etag, req.body)
        return Reply(200, b"", {"ETag": etag})
    if req.method == "GET":
        with lock:
            parts = sorted(up["parts"].items())
        body = "".join("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag><Size>%d</Size></Part>"
                       % (n, e, len(b)) for n, (e, b) in parts)
        return Reply(200, ("<ListPartsResult><UploadId>%s</UploadId>%s</ListPartsResult>"
                           % (uid, body)).encode(), content_type="application/xml")
    if req.method == "POST":
        got = re.findall(r"<PartNumber>(\d+)</PartNumber><ETag>([^<]+)</ETag>",
                         req.body.decode())
        with lock:
            data = b""
            for n, e in got:
                p = up["parts"].get(int(n))
                if p is None or p[0] != e:
                    return xml_err("InvalidPart", "part %s" % n, 400)
                data += p[1]
            del uploads[uid]
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)
        return Reply(200, b"<CompleteMultipartUploadResult><ETag>\"x-1\"</ETag>"
                     b"</CompleteMultipartUploadResult>", content_type="application/xml")
    return xml_err("NotImplemented", req.method, 501)


if __name__ == "__main__":
    def setup(ap):
        ap.add_argument("--access-key", required=True)
        ap.add_argument("--secret", required=True)
        ap.add_argument("--region", default="us-east-1")
        ap.add_argument("--data", required=True)
    fakehttp.serve(app, setup=setup)
