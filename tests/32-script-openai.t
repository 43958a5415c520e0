#!/bin/sh
# av-script --provider openai against tests/fakes/openai_chat.py: a good
# reply, invalid JSON then good, missing fields twice, 429 + Retry-After,
# 500 then good, a timeout, quota, refusal, truncation, llama.cpp errors,
# the request cache, the stage run's model/tokens/cost, and that the API
# key never shows anywhere.
. "$AVK_TOP/tests/lib.sh"
scratch
fake=
trap '[ -n "$fake" ] && kill "$fake" 2>/dev/null; rm -rf "$T"' EXIT

KEY=sk-test-SECRET-4242xyz
python3 "$AVK_TOP/tests/fakes/openai_chat.py" --port-file "$T/port" \
    --log "$T/log" --lifetime 40 --key "$KEY" &
fake=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -s "$T/port" ]; then echo "1..0 # SKIP fake server did not start"; exit 0; fi
base=http://127.0.0.1:$(cat "$T/port")
no_proxy=127.0.0.1,localhost; NO_PROXY=$no_proxy
AV_HTTP_BACKOFF_MS=10; AV_HTTP_MAX_ATTEMPTS=3; OPENAI_API_KEY=$KEY
export no_proxy NO_PROXY AV_HTTP_BACKOFF_MS AV_HTTP_MAX_ATTEMPTS OPENAI_API_KEY
unset AV_OPENAI_BASE_URL AV_OPENAI_MODEL AV_SCRIPT_PROVIDER
: > "$T/all"
# ai CASE [ARGS...]: av-script --provider openai --topic against a case
ai() {
    _c=$1; shift
    AV_OPENAI_BASE_URL=$base/$_c/v1 run av-script --provider openai \
        --topic "5 habits of productive people" --duration 20 "$@"
    printf '%s\n%s\n' "$out" "$err" >> "$T/all"
}
reqs() { # number of requests a case received
    python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    if json.loads(l)["path"].startswith("/"+sys.argv[2]+"/"): n+=1
print(n)' "$T/log" "$1"
}
PY="python3 $AVK_TOP/tests/fakes/fakehttp.py"
sq() { sqlite3 .av/store.db "$1"; }

av-project init 2>/dev/null

ai good
is "$rc" 0 "good reply"
is "$(jget "$out" script.provider)" "openai" "provider openai"
is "$(jget "$out" script.model)" "gpt-4o-mini" "default model"
is "$(jget "$out" script.words)" "28" "words counted"
is "$(jget "$out" script.scenes.1.keywords.0)" "hardest task" "scenes from the reply"
id=$(jget "$out" id)
is "$(sq "SELECT provider||'|'||model||'|'||tokens_in||'|'||tokens_out FROM stage_runs WHERE project_id='$id' AND status='ok'")" \
    "openai|gpt-4o-mini|120|80" "stage run records provider, model and tokens"
$PY check "$T/log" '(lambda r, j: r["path"]=="/good/v1/chat/completions" and j["model"]=="gpt-4o-mini" and j["response_format"]["type"]=="json_schema" and j["response_format"]["json_schema"]["strict"] is True and j["response_format"]["json_schema"]["schema"]["additionalProperties"] is False and j["max_completion_tokens"]>0 and j["stream"] is False and j["messages"][0]["role"]=="system" and "productive" in j["messages"][1]["content"] and r["headers"]["Content-Type"]=="application/json")(L[0], L[0]["json"])' 2>/dev/null
ok $? "request: model, strict json_schema, max_completion_tokens, messages"

ai good
is "$rc" 0 "the same request again"
is "$(reqs good)" 1 "...served from the cache: the server saw one request"
id=$(jget "$out" id)
is "$(sq "SELECT tokens_in FROM stage_runs WHERE project_id='$id' AND status='ok'")" "0" "...and cost no tokens"

AV_OPENAI_RESPONSE_FORMAT=json_object AV_OPENAI_MAX_TOKENS_FIELD=max_tokens \
    AV_OPENAI_PRICE_IN_PER_MTOK=0.15 AV_OPENAI_PRICE_OUT_PER_MTOK=0.6 \
    ai good --model local-llm
is "$rc" 0 "json_object mode, max_tokens, another model"
id=$(jget "$out" id)
$PY check "$T/log" '(lambda j: j["response_format"]=={"type":"json_object"} and "max_tokens" in j and "max_completion_tokens" not in j and j["model"]=="local-llm")(L[-1]["json"])' 2>/dev/null
ok $? "...request uses json_object and max_tokens"
is "$(sq "SELECT model||'|'||printf('%.6f',cost) FROM stage_runs WHERE project_id='$id' AND status='ok'")" \
    "local-llm|0.000066" "...cost from the configured prices"

ai badjson
is "$rc" 0 "invalid JSON, then a good reply"
is "$(reqs badjson)" 2 "...two requests"
$PY check "$T/log" '(lambda r: len(r)==4 and r[2]["role"]=="assistant" and r[3]["role"]=="user" and "not valid JSON" in r[3]["content"])([x for x in L if x["path"].startswith("/badjson/")][1]["json"]["messages"])' 2>/dev/null
ok $? "...the retry carries the validation error"
id=$(jget "$out" id)
is "$(sq "SELECT tokens_in||'|'||tokens_out FROM stage_runs WHERE project_id='$id' AND status='ok'")" "240|160" "...tokens of both requests"

ai missing
is "$rc" 65 "missing fields twice: 65"
like "$err" "no valid script in 2 answers" "...clear error"
like "$err" "scenes" "...naming the field"
is "$(reqs missing)" 2 "...exactly two requests"

ai ratelimit
is "$rc" 0 "429 with Retry-After, then good"
is "$(reqs ratelimit)" 2 "...retried once"

ai flaky
is "$rc" 0 "500, then good"
is "$(reqs flaky)" 2 "...retried once"

AV_HTTP_REPLY_TIMEOUT_MS=300 AV_HTTP_MAX_ATTEMPTS=2 ai slow
is "$rc" 75 "timeout: 75 (temporary)"
is "$(reqs slow)" 2 "...after the allowed attempts"

ai quota
is "$rc" 69 "429 insufficient_quota: 69"
like "$err" "quota" "...says quota"
is "$(reqs quota)" 1 "...never retried"

ai refusal
is "$rc" 69 "refusal: 69"
like "$err" "refused" "...says refused"

ai length
is "$rc" 65 "finish_reason length: 65"
like "$err" "token limit" "...says the token limit"

OPENAI_API_KEY=wrong ai good --model other
is "$rc" 77 "wrong key: 77"
like "$err" "Incorrect API key" "...the server's message"
ai llamaauth
is "$rc" 77 "llama.cpp integer error code: 77"
like "$err" "Invalid API Key (401)" "...message and integer code"

ai good -v --model verbose-model
is "$rc" 0 "-v run"
like "$err" "POST http://127.0.0.1:[0-9]*/good/v1/chat/completions -> 200" "...logs the HTTP attempt"

OPENAI_API_KEY= run av-script --provider openai --topic "x" --duration 20
printf '%s\n%s\n' "$out" "$err" >> "$T/all"
is "$rc" 78 "no key for api.openai.com: 78"
like "$err" "OPENAI_API_KEY" "...names OPENAI_API_KEY"

run av-script --provider nope --topic x
is "$rc" 64 "unknown provider: 64"

unlike "$(cat "$T/all")" "SECRET-4242" "the key never in stdout or stderr"
ok "$(grep -rqa "SECRET-4242" .av; [ $? -ne 0 ]; echo $?)" "the key never in the store or workspace"
run av-project list
unlike "$out$err" "SECRET-4242" "...nor in project listings"
done_testing
