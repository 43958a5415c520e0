/*
 * cache.c - provider request cache over the store (see cache.h).
 */
#include "cache.h"
#include "doc.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

int avk_cache_key(const char *provider, const char *model,
                  const json_t *params, char hex[65])
{
    json_t *k = json_pack("{s:s, s:s?, s:O?}", "provider", provider, "model",
                          model, "params", params);
    char *c;
    int rc;

    if (!k)
        return AVK_EX_OSERR;
    c = avk_json_canonical(k);
    json_decref(k);
    if (!c)
        return AVK_EX_OSERR;
    rc = avk_sha256_hex(c, strlen(c), hex);
    free(c);
    return rc;
}

int avk_cache_get_json(avk_store *s, const char *key, json_t **out,
                       avk_err *err)
{
    char *value = NULL;
    int found = 0, rc;

    *out = NULL;
    if ((rc = avk_store_cache_get(s, key, &found, &value, NULL, err)))
        return rc;
    if (found && value)
        *out = json_loads(value, JSON_DECODE_ANY, NULL);
    free(value);
    return 0;
}

int avk_cache_put_json(avk_store *s, const char *key, const char *provider,
                       const char *model, const json_t *value, avk_err *err)
{
    char *c = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc;

    if (!c)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = avk_store_cache_put(s, key, provider, model, c, NULL, err);
    free(c);
    return rc;
}

int avk_cache_get_asset(avk_store *s, const char *key, avk_asset *out,
                        int *hit, avk_err *err)
{
    char *value = NULL, *sha = NULL;
    int found = 0, rc;
    json_t *j;

    *hit = 0;
    if ((rc = avk_store_cache_get(s, key, &found, &value, &sha, err)))
        return rc;
    if (found && value && sha) {
        j = json_loads(value, 0, NULL);
        if (j && avk_asset_from_json(j, ".cache", out, NULL) == 0 &&
            avk_asset_verify(avk_store_root(s), out, 0, NULL) == 0)
            *hit = 1;
        json_decref(j);
    }
    free(value);
    free(sha);
    return 0;
}

int avk_cache_put_asset(avk_store *s, const char *key, const char *provider,
                        const char *model, const avk_asset *a, avk_err *err)
{
    json_t *j = avk_asset_to_json(a);
    char *c = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc;

    json_decref(j);
    if (!c)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = avk_store_asset_add(s, a->sha256, a->path, a->bytes, a->type, err);
    if (rc == 0)
        rc = avk_store_cache_put(s, key, provider, model, c, a->sha256, err);
    free(c);
    return rc;
}
