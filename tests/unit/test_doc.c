/* Unit tests for lib/doc: parsing, validation paths, hashing, assets. */
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "tap.h"

static int count_cb(const json_t *a, const char *path, void *ud)
{
    (void)a;
    (void)path;
    (*(int *)ud)++;
    return 0;
}

int main(void)
{
    json_t *doc = NULL;
    avk_err err = {0, ""};
    char h1[65], h2[65];
    const char *s = NULL;
    static const char *const secs[] = {"topic", "script"};
    int n = 0;
    char *dump;

    is_int(avk_doc_parse("{\"topic\":\"x\"}", 13, 1, &doc, &err), 0,
           "parse a minimal document");
    is_int(avk_doc_validate(doc, &err), 0, "validate fills version and id");
    ok(avk_doc_id(doc) && strlen(avk_doc_id(doc)) == 10, "fresh id");
    is_int((int)json_integer_value(json_object_get(doc, "version")), 1,
           "version 1");
    json_decref(doc);

    is_int(avk_doc_parse("[1]", 3, 4, &doc, &err), AVK_EX_DATAERR,
           "an array is not a document");
    is_str(err.msg, "line 4: expected a JSON object", "message names the line");
    is_int(avk_doc_parse("{\"a\":1,\"a\":2}", 13, 2, &doc, &err),
           AVK_EX_DATAERR, "duplicate keys refused");
    is_int(avk_doc_parse("{oops", 5, 9, &doc, &err), AVK_EX_DATAERR,
           "invalid JSON refused");
    ok(strncmp(err.msg, "line 9: invalid JSON", 20) == 0, "invalid JSON message");

    avk_doc_parse("{\"topic\":1}", 11, 1, &doc, &err);
    is_int(avk_doc_validate(doc, &err), AVK_EX_DATAERR, "topic must be a string");
    is_str(err.msg, ".topic: expected a string, not a number", "field path");
    json_decref(doc);

    avk_doc_parse("{\"topic\":\"t\",\"version\":99}", 26, 1, &doc, &err);
    is_int(avk_doc_validate(doc, &err), AVK_EX_DATAERR, "future version refused");
    json_decref(doc);

    avk_doc_parse("{\"topic\":\"t\",\"id\":\"../x\"}", 25, 1, &doc, &err);
    is_int(avk_doc_validate(doc, &err), AVK_EX_DATAERR, "hostile id refused");
    json_decref(doc);

    {
        const char *bad =
            "{\"topic\":\"t\",\"voice\":{\"audio\":{\"path\":\"/etc/passwd\","
            "\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
            "\"bytes\":0,\"type\":\"audio/wav\"}}}";
        avk_doc_parse(bad, strlen(bad), 1, &doc, &err);
        is_int(avk_doc_validate(doc, &err), AVK_EX_DATAERR,
               "absolute asset path refused");
        ok(strstr(err.msg, ".voice.audio.path") != NULL, "asset error path");
        json_decref(doc);
    }

    doc = avk_doc_new("abc", "topic one", "en", NULL);
    json_object_set_new(doc, "script",
                        json_pack("{s:[{s:s},{s:i}]}", "scenes", "text", "hi",
                                  "text", 3));
    {
        json_t *scenes, *sc;
        avk_get_array(json_object_get(doc, "script"), ".script", "scenes",
                      &scenes, &err);
        sc = json_array_get(scenes, 1);
        is_int(avk_get_string(sc, ".script.scenes[1]", "text", &s, &err),
               AVK_EX_DATAERR, "typed getter fails on a number");
        is_str(err.msg, ".script.scenes[1].text: expected a string, not a number",
               "nested path in the message");
    }
    avk_doc_input_hash(doc, secs, 2, "opts", h1);
    json_object_set_new(doc, "voice", json_object());
    avk_doc_input_hash(doc, secs, 2, "opts", h2);
    is_str(h1, h2, "hash ignores sections it does not read");
    json_object_set_new(doc, "topic", json_string("topic two"));
    avk_doc_input_hash(doc, secs, 2, "opts", h2);
    ok(strcmp(h1, h2) != 0, "hash changes with an input");
    avk_doc_input_hash(doc, secs, 2, "other", h1);
    ok(strcmp(h1, h2) != 0, "hash changes with the options");

    json_object_set_new(
        doc, "visuals",
        json_pack("{s:[{s:{s:s,s:s}},{s:{s:s,s:s}}]}", "scenes", "asset",
                  "path", "p", "sha256", "x", "asset", "path", "q", "sha256",
                  "y"));
    avk_doc_each_asset(doc, count_cb, &n);
    is_int(n, 2, "each_asset finds nested assets");

    dump = avk_doc_dump(doc);
    ok(dump && !strchr(dump, '\n'), "dump is one line");
    ok(strncmp(dump, "{\"version\":1,\"id\":\"abc\"", 23) == 0,
       "dump keeps field order");
    free(dump);
    json_decref(doc);

    {
        avk_format f;
        is_int(avk_format_from_aspect("16:9", &f, &err), 0, "16:9");
        is_int(f.width, 1920, "16:9 width");
        is_int(avk_format_from_aspect("2:1", &f, &err), AVK_EX_USAGE,
               "unknown aspect");
    }
    return tap_done();
}
