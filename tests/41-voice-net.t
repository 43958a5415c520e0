#!/bin/sh
# av-voice's network providers against local fakes speaking their
# protocols (tests/fakes/elevenlabs.py, tests/fakes/openai_tts.py), both
# serving a real recording made here with av-voice's espeak-ng: success
# with word timings, the request cache, 401 (names the key variable, never
# prints the key), 429 + Retry-After then success, a truncated and a
# corrupt reply (clear errors, no asset), and the OpenAI path's alignment
# error against espeak-ng's own timings of the served recording.
. "$AVK_TOP/tests/lib.sh"
scratch
efake=
ofake=
trap 'kill $efake $ofake 2>/dev/null; rm -rf "$T"' EXIT
no_proxy=127.0.0.1,localhost
NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10
AV_HTTP_MAX_ATTEMPTS=3
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS
unset ELEVENLABS_API_KEY OPENAI_API_KEY AV_ELEVENLABS_BASE_URL AV_OPENAI_BASE_URL

F=$AVK_TOP/tests/fakes
TEXT="Want more done? Here are five habits. Plan the day before it starts, and protect your mornings."
av-project init 2>/dev/null
# The served recording: espeak-ng at a faster rate than the alignment's
# own espeak-ng timing, so the OpenAI path has real work to do.
run av-voice --provider espeak --text "$TEXT" --rate 220 -o ref.wav --words ref.json
is "$rc" 0 "reference recording made with espeak"

python3 "$F/elevenlabs.py" --port-file eport --log elog --lifetime 60 \
    --audio ref.wav --words ref.json --key sk-eleven-SECRET1 &
efake=$!
python3 "$F/openai_tts.py" --port-file oport --log olog --lifetime 60 \
    --audio ref.wav --key sk-openai-SECRET2 &
ofake=$!
i=0
while { [ ! -s eport ] || [ ! -s oport ]; } && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1)); done
if [ ! -s eport ] || [ ! -s oport ]; then
    echo "1..0 # SKIP fake servers did not start"
    exit 0
fi
AV_ELEVENLABS_BASE_URL=http://127.0.0.1:$(cat eport)
AV_OPENAI_BASE_URL=http://127.0.0.1:$(cat oport)/v1
export AV_ELEVENLABS_BASE_URL AV_OPENAI_BASE_URL

assets() { find .av/assets -type f ! -path '*/tmp/*' | wc -l | tr -d ' '; }
# cmp_words FILE: "n mean_ms max_ms" of FILE's word times against ref.json
cmp_words() {
    python3 -c 'import json,sys
r=json.load(open("ref.json"))["words"]; w=json.load(open(sys.argv[1]))["words"]
e=[abs(a[k]-b[k]) for a,b in zip(r,w) for k in ("start","end")]
print(len(w) if len(w)==len(r) else -1, round(1000*sum(e)/len(e)), round(1000*max(e)))' "$1"
}
nreq() { # nreq LOG PATH VOICE: requests logged for that path (and voice)
    python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r["path"]==sys.argv[2] and (sys.argv[3]=="" or (r.get("json") or {}).get("voice", sys.argv[3])==sys.argv[3]): n+=1
print(n)' "$@"
}
secrets_absent() { ! grep -rq 'SECRET[12]' "$@" 2>/dev/null; }

# ---- ElevenLabs ----
EP=/v1/text-to-speech/v1/with-timestamps
export ELEVENLABS_API_KEY=sk-eleven-SECRET1
run av-voice --provider elevenlabs --voice v1 --text "$TEXT" -o e.wav --words e.json -v
is "$rc" 0 "elevenlabs: success"
is "$(head -c 4 e.wav)" "RIFF" "elevenlabs: audio written"
set -- $(cmp_words e.json)
is "$1" 17 "elevenlabs: one timing per word"
ok "$([ "$3" -le 15 ] && echo 0 || echo 1)" "elevenlabs: character alignment gives the words' times (max error $3 ms)"
like "$(jget "$(cat e.json)" provider)" elevenlabs "elevenlabs: provider recorded"
is "$(nreq elog $EP '')" 1 "elevenlabs: one request"
python3 "$F/fakehttp.py" check elog 'L[0]["headers"].get("xi-api-key")=="sk-eleven-SECRET1" and L[0]["json"]["model_id"]=="eleven_multilingual_v2" and L[0]["query"]["output_format"]==["mp3_44100_128"]'
ok $? "elevenlabs: key header, model and output format sent"
n0=$(assets)
run av-voice --provider elevenlabs --voice v1 --text "$TEXT" -o e2.wav --words e2.json
is "$rc" 0 "elevenlabs: repeated run succeeds"
is "$(nreq elog $EP '')" 1 "elevenlabs: the repeat came from the cache"
is "$(cmp_words e2.json)" "$(cmp_words e.json)" "elevenlabs: cached words are the same"
is "$(assets)" "$n0" "elevenlabs: no new asset for a cache hit"

ELEVENLABS_API_KEY=sk-wrong-SECRET1 run av-voice --provider elevenlabs --voice v1 --model m2 --text "$TEXT" -o bad.wav
is "$rc" 77 "elevenlabs 401: exit 77 (NOPERM)"
like "$err" "ELEVENLABS_API_KEY" "elevenlabs 401: message names ELEVENLABS_API_KEY"
like "$err" "Invalid API key" "elevenlabs 401: provider message shown"
unlike "$err$out" "SECRET" "elevenlabs 401: the key is not printed"
check "elevenlabs 401: no audio written" test ! -e bad.wav
ELEVENLABS_API_KEY= run av-voice --provider elevenlabs --text "$TEXT" -o bad.wav
is "$rc" 78 "elevenlabs: no key is a configuration error"
like "$err" "ELEVENLABS_API_KEY" "elevenlabs: missing key names the variable"

run av-voice --provider elevenlabs --voice ratelimit --text "$TEXT" -o r.wav --words r.json
is "$rc" 0 "elevenlabs 429 + Retry-After: then success"
is "$(nreq elog /v1/text-to-speech/ratelimit/with-timestamps '')" 2 "elevenlabs 429: retried once"

n0=$(assets)
run av-voice --provider elevenlabs --voice truncated --text "$TEXT" -o t.wav
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "elevenlabs truncated reply: fails ($rc)"
like "$err" "with-timestamps" "elevenlabs truncated reply: the message names the request"
check "elevenlabs truncated reply: no audio" test ! -e t.wav
run av-voice --provider elevenlabs --voice corrupt --text "$TEXT" -o c.wav
is "$rc" 65 "elevenlabs corrupt audio: exit 65 (DATAERR)"
like "$err" "corrupt" "elevenlabs corrupt audio: says so"
is "$(assets)" "$n0" "elevenlabs failures: no asset cached"

# ---- OpenAI ----
OP=/v1/audio/speech
export OPENAI_API_KEY=sk-openai-SECRET2
run av-voice --provider openai --text "$TEXT" -o o.wav --words o.json
is "$rc" 0 "openai: success"
set -- $(cmp_words o.json)
is "$1" 17 "openai: one timing per word"
echo "# openai alignment vs espeak's own timings: mean $2 ms, max $3 ms"
ok "$([ "$2" -le 40 ] && [ "$3" -le 120 ] && echo 0 || echo 1)" "openai: aligned words within 40 ms mean / 120 ms max of espeak's timings ($2 / $3 ms)"
python3 "$F/fakehttp.py" check olog 'L[0]["headers"].get("Authorization")=="Bearer sk-openai-SECRET2" and L[0]["json"]["model"]=="tts-1" and L[0]["json"]["voice"]=="alloy" and L[0]["json"]["response_format"]=="wav" and L[0]["json"]["input"].startswith("Want")'
ok $? "openai: bearer key, model, voice, format and input sent"
run av-voice --provider openai --text "$TEXT" -o o2.wav
is "$(nreq olog $OP alloy)" 1 "openai: the repeat came from the cache"

OPENAI_API_KEY=sk-wrong-SECRET2 run av-voice --provider openai --voice nova --text "$TEXT" -o bad.wav
is "$rc" 77 "openai 401: exit 77 (NOPERM)"
like "$err" "OPENAI_API_KEY" "openai 401: message names OPENAI_API_KEY"
unlike "$err$out" "SECRET" "openai 401: the key is not printed"
run av-voice --provider openai --voice ratelimit --text "$TEXT" -o r2.wav
is "$rc" 0 "openai 429 + Retry-After: then success"
is "$(nreq olog $OP ratelimit)" 2 "openai 429: retried once"
run av-voice --provider openai --voice quota --text "$TEXT" -o q.wav
is "$rc" 75 "openai insufficient_quota: exit 75"
is "$(nreq olog $OP quota)" 1 "openai insufficient_quota: not retried"
n0=$(assets)
run av-voice --provider openai --voice truncated --text "$TEXT" -o t2.wav
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "openai truncated body: fails ($rc)"
check "openai truncated body: no audio" test ! -e t2.wav
run av-voice --provider openai --voice corrupt --text "$TEXT" -o c2.wav
is "$rc" 65 "openai corrupt audio: exit 65 (DATAERR)"
is "$(assets)" "$n0" "openai failures: no asset cached"

# The pipeline path: a document through the stage with --provider openai.
av-project new "habits" > new.jsonl
sed "s/}\$/,\"script\":{\"scenes\":[{\"text\":\"Want more done?\"},{\"text\":\"Here are five habits.\"}],\"lang\":\"en\"}}/" new.jsonl > script.jsonl
run av-voice --provider openai < script.jsonl
is "$rc" 0 "openai: voice stage succeeds"
is "$(jget "$out" voice.provider)" openai "openai: stage records the provider"
is "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["voice"]["scenes"]))' "$out")" 2 "openai: one span per scene"

# no secret anywhere
check "keys never printed or stored" secrets_absent "$T"/*.json "$T/.out" "$T/.err" .av
done_testing
