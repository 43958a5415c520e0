/*
 * cache.h - the request cache: a repeated provider request costs nothing.
 *
 * key = sha256 of the canonical JSON {"provider","model","params"}, where
 * params are the request parameters that change the result (never API
 * keys).  A value is either JSON (an LLM reply) or an asset (an image, an
 * audio file) that must still be present in the workspace to count as a
 * hit.
 */
#ifndef AVK_CACHE_H
#define AVK_CACHE_H

#include <jansson.h>

#include "assets.h"
#include "err.h"
#include "store.h"

int avk_cache_key(const char *provider, const char *model,
                  const json_t *params, char hex[65]);
/* *out is NULL on a miss (not an error); caller decrefs. */
int avk_cache_get_json(avk_store *s, const char *key, json_t **out,
                       avk_err *err);
int avk_cache_put_json(avk_store *s, const char *key, const char *provider,
                       const char *model, const json_t *value, avk_err *err);
int avk_cache_get_asset(avk_store *s, const char *key, avk_asset *out,
                        int *hit, avk_err *err);
int avk_cache_put_asset(avk_store *s, const char *key, const char *provider,
                        const char *model, const avk_asset *a, avk_err *err);

#endif
