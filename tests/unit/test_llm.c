/*
 * test_llm.c - the pure parts of lib/llm and lib/script_llm: request
 * bodies, reply parsing (refusal, truncation, usage), error details
 * (string and llama.cpp integer codes, insufficient_quota), prompts.
 */
#include <stdlib.h>
#include <string.h>

#include "llm.h"
#include "script_llm.h"
#include "scriptgen.h"
#include "tap.h"

static json_t *J(const char *s)
{
    return json_loads(s, 0, NULL);
}

static void test_body(void)
{
    json_t *msgs = J("[{\"role\":\"user\",\"content\":\"hi\"}]");
    json_t *schema = avk_script_json_schema(), *b;
    avk_llm_req q;

    memset(&q, 0, sizeof q);
    q.model = "m";
    q.messages = msgs;
    q.temperature = 0.5;
    q.schema = schema;
    q.max_tokens = 100;
    b = avk_llm_body(&q);
    ok(b != NULL, "body built");
    is_str(json_string_value(json_object_get(b, "model")), "m", "model");
    is_int((int)json_array_size(json_object_get(b, "messages")), 1,
           "messages copied");
    is_int((int)json_integer_value(
               json_object_get(b, "max_completion_tokens")),
           100, "max_completion_tokens by default");
    is_str(json_string_value(json_object_get(
               json_object_get(b, "response_format"), "type")),
           "json_schema", "json_schema with a schema");
    ok(json_is_true(json_object_get(
           json_object_get(json_object_get(b, "response_format"),
                           "json_schema"),
           "strict")),
       "strict");
    is_str(json_string_value(json_object_get(
               json_object_get(json_object_get(b, "response_format"),
                               "json_schema"),
               "name")),
           "answer", "default schema name");
    json_decref(b);

    q.json_object = 1;
    q.max_tokens_field = "max_tokens";
    q.temperature = -1;
    b = avk_llm_body(&q);
    is_str(json_string_value(json_object_get(
               json_object_get(b, "response_format"), "type")),
           "json_object", "json_object mode");
    ok(json_object_get(b, "max_tokens") &&
           !json_object_get(b, "max_completion_tokens"),
       "configurable max tokens field");
    ok(!json_object_get(b, "temperature"), "negative temperature left out");
    json_decref(b);
    json_decref(schema);
    json_decref(msgs);
}

static void test_parse(void)
{
    avk_llm_reply r;
    avk_err e = {0, ""};
    json_t *b;

    b = J("{\"model\":\"x-1\",\"choices\":[{\"finish_reason\":\"stop\","
          "\"message\":{\"role\":\"assistant\",\"content\":\"{}\","
          "\"refusal\":null}}],\"usage\":{\"prompt_tokens\":7,"
          "\"completion_tokens\":9}}");
    is_int(avk_llm_parse(b, &r, &e), 0, "a good reply parses");
    is_str(r.content, "{}", "content");
    is_str(r.model, "x-1", "model");
    ok(r.tokens_in == 7 && r.tokens_out == 9, "usage");
    avk_llm_reply_release(&r);
    json_decref(b);

    b = J("{\"choices\":[{\"message\":{\"content\":null,"
          "\"refusal\":\"no\"}}]}");
    is_int(avk_llm_parse(b, &r, &e), AVK_EX_UNAVAILABLE, "refusal");
    ok(strstr(e.msg, "refused") != NULL, "refusal message");
    json_decref(b);

    b = J("{\"choices\":[{\"finish_reason\":\"length\",\"message\":"
          "{\"content\":\"{\\\"a\"}}]}");
    is_int(avk_llm_parse(b, &r, &e), AVK_EX_DATAERR, "finish_reason length");
    json_decref(b);

    b = J("{\"choices\":[]}");
    is_int(avk_llm_parse(b, &r, &e), AVK_EX_DATAERR, "no choices");
    ok(r.content == NULL, "nothing left on failure");
    json_decref(b);
}

static void test_errors(void)
{
    char d[200];
    const char *s;

    s = "{\"error\":{\"message\":\"quota gone\",\"type\":\"insufficient_quota\","
        "\"code\":\"insufficient_quota\"}}";
    is_int(avk_llm_error_detail(s, strlen(s), d, sizeof d), 1,
           "insufficient_quota detected");
    is_str(d, "quota gone (insufficient_quota)", "detail with code");
    s = "{\"error\":{\"message\":\"slow down\",\"code\":\"rate_limit_exceeded\"}}";
    is_int(avk_llm_error_detail(s, strlen(s), d, sizeof d), 0,
           "rate limits are not quota");
    s = "{\"error\":{\"code\":401,\"message\":\"Invalid API Key\","
        "\"type\":\"authentication_error\"}}";
    avk_llm_error_detail(s, strlen(s), d, sizeof d);
    is_str(d, "Invalid API Key (401)", "llama.cpp integer code");
    avk_llm_error_detail("<html>", 6, d, sizeof d);
    is_str(d, "", "not JSON: no detail");
}

static void test_messages(void)
{
    avk_script_llm_req r;
    json_t *m, *trend = J("{\"items\":[{\"title\":\"Big news\","
                          "\"summary\":\"details\"}]}");
    const char *u;

    memset(&r, 0, sizeof r);
    r.topic = "sleep tips";
    r.duration_s = 30;
    r.scenes = 4;
    r.trend = trend;
    m = avk_script_llm_messages(&r);
    is_int((int)json_array_size(m), 2, "system and user messages");
    u = json_string_value(json_object_get(json_array_get(m, 1), "content"));
    ok(u && strstr(u, "sleep tips") && strstr(u, "about 75 spoken words") &&
           strstr(u, "exactly 4") && strstr(u, "Big news: details"),
       "user message: topic, word budget, scenes, news");
    json_decref(m);
    json_decref(trend);
}

static void test_no_key(void)
{
    avk_script_llm_req r;
    avk_script_llm_res res;
    avk_err e = {0, ""};

    memset(&r, 0, sizeof r);
    r.topic = "x";
    is_int(avk_script_llm_generate(&r, &res, &e), AVK_EX_CONFIG,
           "no key for api.openai.com");
    ok(strstr(e.msg, "OPENAI_API_KEY") != NULL, "names OPENAI_API_KEY");
    ok(res.script == NULL, "no script");
}

int main(void)
{
    test_body();
    test_parse();
    test_errors();
    test_messages();
    test_no_key();
    return tap_done();
}
