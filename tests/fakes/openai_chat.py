#!/usr/bin/env python3
"""openai_chat - a fake OpenAI-compatible Chat Completions server for
tests/32-script-openai.t (av-script --provider openai).

    openai_chat.py --port-file FILE [--log FILE] [--lifetime SECONDS]
                   [--key KEY]

Route: POST /{case}/v1/chat/completions, so a client's base URL
http://127.0.0.1:PORT/{case}/v1 picks a scenario; every case counts its own
requests (the n-th request of a case gets the n-th reply, the last repeats):
    good        a valid script
    badjson     content that is not JSON, then a valid script
    missing     a JSON object without scenes, every time
    ratelimit   429 rate_limit_exceeded with Retry-After: 1, then good
    quota       429 insufficient_quota (never to be retried)
    flaky       500, then good
    slow        nothing for 5 s, then good (client timeouts)
    refusal     message.refusal set, content null
    length      finish_reason "length"
    llamaauth   401 with llama.cpp's integer error code
Every request must carry "Authorization: Bearer KEY" (--key, default
sk-test-key); otherwise 401 in OpenAI's error shape.  Replies report
usage prompt_tokens 120, completion_tokens 80 and model
gpt-4o-mini-2024-07-18.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402
from fakehttp import Reply  # noqa: E402

SCRIPT = {
    "title": "Five habits of productive people",
    "hook": "Productive people are not busier than you.",
    "scenes": [
        {"text": "Productive people are not busier than you. They plan "
                 "the night before.",
         "visual": "a notebook with a pen on a desk at night",
         "keywords": ["plan", "night"]},
        {"text": "They do the hardest task first, before email.",
         "visual": "a person focused at a laptop in the morning",
         "keywords": ["hardest task", "morning"]},
        {"text": "They take real breaks. Follow for more habits.",
         "visual": "a walk in a green park",
         "keywords": ["breaks", "walk"]},
    ],
    "cta": "Follow for more habits.",
    "description": "Three habits that make productive people different.",
    "hashtags": ["#productivity", "#habits", "#shorts"],
}


def completion(content, finish="stop", refusal=None):
    return Reply.json({
        "id": "chatcmpl-fake", "object": "chat.completion",
        "created": 1764000000, "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content,
                                 "refusal": refusal}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 80,
                  "total_tokens": 200}})


def err(status, message, code, typ="invalid_request_error"):
    return Reply.json({"error": {"message": message, "type": typ,
                                 "param": None, "code": code}},
                      status=status)


def good():
    return completion(json.dumps(SCRIPT))


CASES = {
    "good": lambda: [good()],
    "badjson": lambda: [completion('{"title": "unfinished'), good()],
    "missing": lambda: [completion(json.dumps({"title": "only a title",
                                               "hook": "h"}))],
    "ratelimit": lambda: [err(429, "Rate limit reached for requests",
                              "rate_limit_exceeded", "requests")
                          .retry_after("1"), good()],
    "quota": lambda: [err(429, "You exceeded your current quota",
                          "insufficient_quota", "insufficient_quota")],
    "flaky": lambda: [err(500, "The server had an error", None,
                          "server_error"), good()],
    "slow": lambda: [good().delay(5)],
    "refusal": lambda: [completion(None, refusal="I can't help with that.")],
    "length": lambda: [completion('{"title": "cut', finish="length")],
    "llamaauth": lambda: [Reply.json({"error": {
        "code": 401, "message": "Invalid API Key",
        "type": "authentication_error"}}, status=401)],
}

app = fakehttp.App()


@app.route("POST", "/{case}/v1/chat/completions")
def chat(req):
    case = req.params["case"]
    if req.headers.get("Authorization") != "Bearer " + app.args.key:
        return err(401, "Incorrect API key provided", "invalid_api_key")
    if case not in CASES:
        return err(404, "no such case", "model_not_found")
    with app.lock:
        n = app.counters.get(case, 0)
        app.counters[case] = n + 1
    replies = CASES[case]()
    return replies[min(n, len(replies) - 1)]


if __name__ == "__main__":
    fakehttp.serve(app, setup=lambda ap: ap.add_argument(
        "--key", default="sk-test-key"))
