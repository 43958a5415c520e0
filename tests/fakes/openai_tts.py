#!/usr/bin/env python3
"""openai_tts.py - fake OpenAI speech: POST /v1/audio/speech.

Answers the file given with --audio (a real recording the test made with
av-voice's espeak) as the raw body, whatever the input text; the
Authorization header must be "Bearer " + --key, else 401 with an OpenAI
error body.  Voices that inject failures:
  ratelimit  429 with Retry-After: 1, then success
  quota      429 insufficient_quota (must not be retried)
  truncated  the body is cut off half-way (connection closed)
  corrupt    200 with bytes that are not audio
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
from fakehttp import Reply  # noqa: E402

app = fakehttp.App()


def err(status, msg, code):
    return Reply.json({"error": {"message": msg, "type": "x", "code": code,
                                 "param": None}}, status=status)


def speech(req):
    if req.headers.get("Authorization") != "Bearer " + app.args.key:
        return err(401, "Incorrect API key provided", "invalid_api_key")
    body = req.json()
    voice = body.get("voice")
    if voice == "quota":
        return err(429, "You exceeded your current quota",
                   "insufficient_quota")
    if voice == "corrupt":
        return Reply(200, b"\x00garbage, not audio" * 30,
                     content_type="audio/wav")
    if voice == "ratelimit":
        with app.lock:
            n = app.counters.get("ratelimit", 0)
            app.counters["ratelimit"] = n + 1
        if n == 0:
            return err(429, "Rate limit reached", "rate_limit_exceeded") \
                .retry_after("1")
    with open(app.args.audio, "rb") as f:
        audio = f.read()
    r = Reply(200, audio, content_type="audio/wav")
    if voice == "truncated":
        r.cut(len(audio) // 2)
    return r


app.add("POST", "/v1/audio/speech", speech)

if __name__ == "__main__":
    def setup(ap):
        ap.add_argument("--audio", required=True)
        ap.add_argument("--key", default="sk-openai-test")
    fakehttp.serve(app, setup=setup)
