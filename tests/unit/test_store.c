/* Unit tests for lib/store, lib/assets and lib/cache. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assets.h"
#include "cache.h"
#include "fsutil.h"
#include "store.h"
#include "tap.h"
#include "workspace.h"

static int failing_tx(avk_store *s, void *ud, avk_err *err)
{
    (void)ud;
    avk_project_put(s, "txfail", "t", "en", "new", "{}", err);
    return avk_fail(err, AVK_EX_DATAERR, "deliberate");
}

int main(void)
{
    char dir[] = "/tmp/avk-store-XXXXXX";
    avk_store *s = NULL;
    avk_err err = {0, ""};
    char *id = NULL, *doc = NULL;
    avk_project_row *rows;
    size_t n;
    avk_asset a, b;
    char key[65];
    json_t *params, *got = NULL;
    int hit = 0;

    ok(mkdtemp(dir) != NULL, "temp dir");
    is_int(avk_store_open(dir, 0, &s, &err), AVK_EX_NOINPUT,
           "open without a workspace fails");
    avk_ws_init(dir, NULL, &err);
    is_int(avk_store_open(dir, 1, &s, &err), 0, "create and migrate");
    is_int(avk_store_schema_version(s), avk_store_latest_version(),
           "schema at the latest version");
    avk_store_close(s);
    is_int(avk_store_open(dir, 0, &s, &err), 0, "reopen");

    is_int(avk_project_put(s, "abc123", "t1", "en", "new", "{\"a\":1}", &err),
           0, "insert project");
    is_int(avk_project_put(s, "abc999", "t2", "en", "new", "{\"a\":2}", &err),
           0, "insert another");
    is_int(avk_project_put(s, "abc123", "t1", "en", "scripted", "{\"a\":3}",
                           &err),
           0, "update project");
    avk_project_get(s, "abc123", &doc, &err);
    is_str(doc, "{\"a\":3}", "update replaced the document");
    free(doc);
    is_int(avk_project_resolve(s, "abc1", &id, &err), 0, "resolve a prefix");
    is_str(id, "abc123", "prefix resolved");
    free(id);
    is_int(avk_project_resolve(s, "abc", &id, &err), AVK_EX_USAGE,
           "ambiguous prefix");
    is_int(avk_project_resolve(s, "x'; DROP TABLE projects;--", &id, &err),
           AVK_EX_USAGE, "hostile id refused");
    is_int(avk_project_resolve(s, "zzz", &id, &err), AVK_EX_NOINPUT, "missing");

    is_int(avk_store_tx(s, failing_tx, NULL, &err), AVK_EX_DATAERR,
           "failing transaction returns its error");
    ok(!avk_project_exists(s, "txfail"), "and rolls back");

    {
        avk_run_rec r = {"abc123", "av-test", "test", "ok", "h", "t0", "t1",
                         NULL, "local", "m", 1200, 10, 20, 0.5};
        is_int(avk_stage_run_add(s, &r, &err), 0, "stage run recorded");
    }
    avk_project_list(s, &rows, &n, &err);
    is_int(n, 2, "list");
    is_int(rows[0].runs, 1, "list counts runs");
    avk_project_rows_free(rows, n);
    is_int(avk_project_delete(s, "abc123", &err), 0, "delete");
    is_int(avk_project_delete(s, "abc123", &err), AVK_EX_NOINPUT,
           "delete twice: missing");

    is_int(avk_asset_import_mem(dir, "hello", 5, "text/plain", &a, &err), 0,
           "import bytes as an asset");
    is_str(a.sha256,
           "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
           "asset sha256");
    is_str(a.path,
           ".av/assets/2c/"
           "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824.txt",
           "content-addressed path");
    is_int(avk_asset_verify(dir, &a, 1, &err), 0, "verify");
    is_int(avk_asset_import_mem(dir, "hello", 5, "text/plain", &b, &err), 0,
           "import the same bytes again");
    is_str(b.path, a.path, "same asset");
    {
        json_t *j = avk_asset_to_json(&a);
        avk_asset c;
        is_int(avk_asset_from_json(j, ".x", &c, &err), 0, "asset JSON round trip");
        json_object_set_new(j, "path", json_string(".av/assets/2c/other.txt"));
        is_int(avk_asset_from_json(j, ".x", &c, &err), AVK_EX_DATAERR,
               "path must match the hash");
        json_decref(j);
    }

    params = json_pack("{s:s, s:i}", "prompt", "a cat", "n", 1);
    avk_cache_key("openai", "gpt", params, key);
    {
        char key2[65];
        json_t *p2 = json_pack("{s:i, s:s}", "n", 1, "prompt", "a cat");
        avk_cache_key("openai", "gpt", p2, key2);
        is_str(key, key2, "cache key ignores key order");
        json_decref(p2);
    }
    avk_cache_get_json(s, key, &got, &err);
    ok(got == NULL, "cache miss");
    avk_cache_put_json(s, key, "openai", "gpt", params, &err);
    avk_cache_get_json(s, key, &got, &err);
    ok(got && json_equal(got, params), "cache hit returns the value");
    json_decref(got);
    json_decref(params);
    avk_cache_put_asset(s, "k2", "tts", NULL, &a, &err);
    avk_cache_get_asset(s, "k2", &b, &hit, &err);
    ok(hit && !strcmp(b.sha256, a.sha256), "asset cache hit");
    {
        char *p = avk_asset_abspath(dir, &a);
        unlink(p);
        free(p);
    }
    avk_cache_get_asset(s, "k2", &b, &hit, &err);
    ok(!hit, "asset cache entry with a missing file is a miss");

    avk_store_close(s);
    avk_rmtree(dir, &err);
    return tap_done();
}
