#!/usr/bin/env python3
"""elevenlabs.py - fake ElevenLabs text-to-speech with timestamps.

POST /v1/text-to-speech/{voice}/with-timestamps?output_format=...
(header xi-api-key) answers {"audio_base64", "alignment",
"normalized_alignment"}: the audio is the file given with --audio (a
real recording the test made with av-voice's espeak), the character
alignment is built from --words (that recording's word timings: the JSON
av-voice --words writes), one entry per character of the request text.

Voices that inject failures (per path, so each has its own counter):
  ratelimit  429 rate_limit_exceeded with Retry-After: 1, then success
  truncated  the reply is cut off half-way (connection closed)
  corrupt    200 with audio_base64 that is not audio
Any other voice succeeds when the key matches --key, else 401.
"""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
from fakehttp import Reply  # noqa: E402

app = fakehttp.App()


def alignment(text):
    with open(app.args.words, encoding="utf-8") as f:
        words = json.load(f)["words"]
    chars, st, en = [], [], []
    wi = -1
    in_word = False
    prev_end = 0.0
    for i, c in enumerate(text):
        if c.isspace():
            in_word = False
            nxt = words[min(wi + 1, len(words) - 1)]["start"] if words else 0
            chars.append(c)
            st.append(prev_end)
            en.append(max(prev_end, nxt))
            continue
        if not in_word:
            in_word = True
            wi += 1
            j = i
            while j < len(text) and not text[j].isspace():
                j += 1
            w = words[min(wi, len(words) - 1)] if words else {
                "start": 0, "end": 0}
            span = (w["start"], w["end"], i, j)
        a, b, i0, i1 = span
        k = i - i0
        n = i1 - i0
        chars.append(c)
        st.append(round(a + (b - a) * k / n, 3))
        en.append(round(a + (b - a) * (k + 1) / n, 3))
        prev_end = en[-1]
    return {"characters": chars, "character_start_times_seconds": st,
            "character_end_times_seconds": en}


def success(req):
    if req.headers.get("xi-api-key") != app.args.key:
        return Reply.json({"detail": {"status": "invalid_api_key",
                                      "message": "Invalid API key"}},
                          status=401)
    text = req.json()["text"]
    with open(app.args.audio, "rb") as f:
        audio = f.read()
    al = alignment(text)
    return Reply.json({"audio_base64": base64.b64encode(audio).decode(),
                       "alignment": al, "normalized_alignment": al},
                      headers={"request-id": "req-1",
                               "character-cost": str(len(text))})


def truncated(req):
    r = success(req)
    return r.cut(len(r.body) // 2) if r.status == 200 else r


def corrupt(req):
    return Reply.json({"audio_base64": base64.b64encode(
        b"this is not audio at all" * 20).decode(), "alignment": None,
        "normalized_alignment": None})


ROUTE = "/v1/text-to-speech/{voice}/with-timestamps"
app.sequence("POST", "/v1/text-to-speech/ratelimit/with-timestamps", [
    Reply.json({"detail": {"status": "rate_limit_exceeded",
                           "message": "slow down"}},
               status=429).retry_after("1"),
    success])
app.add("POST", "/v1/text-to-speech/truncated/with-timestamps", truncated)
app.add("POST", "/v1/text-to-speech/corrupt/with-timestamps", corrupt)
app.add("POST", ROUTE, success)

if __name__ == "__main__":
    def setup(ap):
        ap.add_argument("--audio", required=True)
        ap.add_argument("--words", required=True)
        ap.add_argument("--key", default="sk-eleven-test")
    fakehttp.serve(app, setup=setup)
