/*
 * script_llm.h - the `openai` script writer: a topic (and its trend items)
 * to the document's .script section through an OpenAI-compatible Chat
 * Completions endpoint (lib/llm).
 *
 * What always holds: the model is asked for a JSON object matching
 * avk_script_json_schema(); its answer is checked with
 * avk_script_validate_reply(); an invalid answer is retried once with the
 * validation error added to the conversation, then fails; the API key is
 * never part of the cache key, a message or the result.  A cached answer
 * (same provider, model and canonical request) is used without a request.
 */
#ifndef AVK_SCRIPT_LLM_H
#define AVK_SCRIPT_LLM_H

#include <jansson.h>

#include "err.h"
#include "http.h"
#include "store.h"

typedef struct avk_script_llm_req {
    const char *topic;   /* required */
    const char *style;   /* NULL = engaging */
    const char *lang;    /* NULL = en */
    const char *format;  /* NULL = the model chooses ("freeform") */
    double duration_s;   /* 0 = 60 */
    int scenes;          /* 0 = the model chooses (3-8) */
    double wpm;          /* 0 = 150 */
    const json_t *trend; /* optional .trend section (items used) */
    /* endpoint */
    const char *base_url; /* NULL = https://api.openai.com/v1 */
    const char *api_key;  /* may be NULL for local servers */
    const char *model;    /* NULL = gpt-4o-mini */
    double temperature;   /* < 0 = server default */
    int json_object;      /* 1: response_format json_object */
    const char *max_tokens_field; /* NULL = max_completion_tokens */
    long max_tokens;              /* 0 = 4096 */
    double price_in, price_out;   /* per million tokens; 0 = unknown */
    const avk_http_opts *http;    /* NULL = defaults */
    avk_store *cache;             /* optional request cache */
} avk_script_llm_req;

typedef struct avk_script_llm_res {
    json_t *script;  /* owned: the full .script section */
    char model[128]; /* the requested model */
    long long tokens_in, tokens_out; /* 0 on a cache hit */
    double cost;     /* from the prices, 0 when unknown or cached */
    int cached;      /* 1: served from the cache */
} avk_script_llm_res;

/* The chat messages (system + user) for r (pure); a new array or NULL when
 * out of memory. */
json_t *avk_script_llm_messages(const avk_script_llm_req *r);

/* Write a script.  res is zeroed first; on success res->script is the
 * caller's.  Fails with AVK_EX_CONFIG (no key for api.openai.com: the
 * message names OPENAI_API_KEY), AVK_EX_DATAERR (empty topic, or the model
 * answered invalid scripts twice: the message says what was wrong), or as
 * avk_llm_chat() fails. */
int avk_script_llm_generate(const avk_script_llm_req *r,
                            avk_script_llm_res *res, avk_err *err);

#endif
