/*
 * llm.h - a small client for OpenAI-compatible Chat Completions (OpenAI,
 * Ollama, llama.cpp server, vLLM ...): one non-streaming request asking for
 * a JSON object, the reply's content string and token usage back.
 *
 * What always holds: the API key travels only as a secret Authorization
 * header and never appears in a message; every request body is built with
 * jansson; a 429 whose error code is insufficient_quota is final (never
 * retried), other 429s and 5xx are retried by lib/http.
 */
#ifndef AVK_LLM_H
#define AVK_LLM_H

#include <jansson.h>

#include "err.h"
#include "http.h"

typedef struct avk_llm_req {
    const char *base_url;   /* e.g. "https://api.openai.com/v1" */
    const char *api_key;    /* NULL or "" = no Authorization header */
    const char *model;      /* required */
    const json_t *messages; /* array of {role, content}, borrowed */
    double temperature;     /* < 0 = leave out */
    const json_t *schema;   /* JSON Schema of the answer (strict mode);
                               NULL = json_object mode */
    const char *schema_name;     /* [A-Za-z0-9_-]{1,64}; NULL = "answer" */
    int json_object;             /* 1: response_format json_object even
                                    with a schema (servers without schema
                                    support) */
    const char *max_tokens_field; /* NULL = "max_completion_tokens" */
    long max_tokens;              /* 0 = leave out */
} avk_llm_req;

typedef struct avk_llm_reply {
    char *content;   /* choices[0].message.content (owned), JSON text */
    char model[128]; /* model the server says answered ("" if none) */
    long long tokens_in, tokens_out; /* usage; 0 when not reported */
} avk_llm_reply;

void avk_llm_reply_init(avk_llm_reply *r);
void avk_llm_reply_release(avk_llm_reply *r);

/* The request body for q (pure).  A new object, or NULL when out of
 * memory. */
json_t *avk_llm_body(const avk_llm_req *q);

/* Read a 2xx Chat Completions body (pure): content, model and usage into
 * out (initialised first).  Fails with AVK_EX_UNAVAILABLE when the model
 * refused or a content filter stopped it, AVK_EX_DATAERR when the answer
 * was cut at the token limit (finish_reason length) or the body has no
 * string content, AVK_EX_OSERR.  out is then empty. */
int avk_llm_parse(const json_t *body, avk_llm_reply *out, avk_err *err);

/* The error of a non-2xx reply body (pure): "message (code)" into
 * detail[cap], where code may be a string or llama.cpp's integer; returns
 * 1 when the code is insufficient_quota, else 0.  detail is "" when the
 * body is not an error object. */
int avk_llm_error_detail(const char *body, size_t len, char *detail,
                         size_t cap);

/* POST base_url/chat/completions.  out is initialised whatever happens.
 * Fails with AVK_EX_TEMPFAIL (transport, 429 rate limits, 5xx after the
 * retries), AVK_EX_UNAVAILABLE (insufficient_quota, refusals, 404 unknown
 * model), AVK_EX_NOPERM (401/403), AVK_EX_DATAERR (400, unreadable reply,
 * truncated answer), AVK_EX_CONFIG (bad base URL), AVK_EX_OSERR; messages
 * say what the server said, never the key. */
int avk_llm_chat(const avk_http_opts *o, const avk_llm_req *q,
                 avk_llm_reply *out, avk_err *err);

#endif
