/*
 * doc.c - reading, checking and writing pipeline documents (see doc.h).
 */
#include "doc.h"
#include "fsutil.h"
#include "hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int avk_format_from_aspect(const char *aspect, avk_format *f, avk_err *err)
{
    if (!aspect || !strcmp(aspect, "9:16")) {
        f->width = 1080, f->height = 1920, f->aspect = "9:16";
    } else if (!strcmp(aspect, "1:1")) {
        f->width = 1080, f->height = 1080, f->aspect = "1:1";
    } else if (!strcmp(aspect, "16:9")) {
        f->width = 1920, f->height = 1080, f->aspect = "16:9";
    } else if (!strcmp(aspect, "4:5")) {
        f->width = 1080, f->height = 1350, f->aspect = "4:5";
    } else {
        return avk_fail(err, AVK_EX_USAGE,
                        "unknown aspect '%s' (use 9:16, 1:1, 16:9 or 4:5)",
                        aspect);
    }
    f->fps = 30;
    return 0;
}

int avk_doc_new_id(char out[16])
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
    unsigned char rnd[10];
    int i;

    if (avk_random_bytes(rnd, sizeof rnd))
        return AVK_EX_OSERR;
    for (i = 0; i < 10; i++)
        out[i] = alphabet[rnd[i] & 31];
    out[10] = '\0';
    return 0;
}

json_t *avk_doc_new(const char *id, const char *topic, const char *lang,
                    const avk_format *f)
{
    char fresh[16];
    avk_format def;
    json_t *doc;

    if (!id) {
        if (avk_doc_new_id(fresh))
            return NULL;
        id = fresh;
    }
    if (!f) {
        avk_format_from_aspect(NULL, &def, NULL);
        f = &def;
    }
    doc = json_pack("{s:i, s:s, s:s, s:s, s:{s:i, s:i, s:i, s:s}}", "version",
                    AVK_DOC_VERSION, "id", id, "topic", topic ? topic : "",
                    "lang", lang ? lang : "en", "format", "width", f->width,
                    "height", f->height, "fps", f->fps, "aspect", f->aspect);
    return doc;
}

int avk_doc_parse(const char *text, size_t len, long lineno, json_t **out,
                  avk_err *err)
{
    json_error_t je;
    json_t *v;

    *out = NULL;
    v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return avk_fail(err, AVK_EX_DATAERR, "line %ld: invalid JSON: %s",
                        lineno, je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return avk_fail(err, AVK_EX_DATAERR,
                        "line %ld: expected a JSON object", lineno);
    }
    *out = v;
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int expect(const json_t *obj, const char *path, const char *key,
                  json_type want, const char *want_name, int optional,
                  json_t **out, avk_err *err)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v)) {
        if (optional)
            return 0;
        return avk_fail(err, AVK_EX_DATAERR, "%s.%s: missing (expected %s)",
                        path, key, want_name);
    }
    if (want == JSON_REAL ? !json_is_number(v) : json_typeof(v) != want)
        return avk_fail(err, AVK_EX_DATAERR, "%s.%s: expected %s, not %s",
                        path, key, want_name, type_name(v));
    *out = v;
    return 0;
}

int avk_get_object(const json_t *obj, const char *path, const char *key,
                   json_t **out, avk_err *err)
{
    return expect(obj, path, key, JSON_OBJECT, "an object", 0, out, err);
}

int avk_get_array(const json_t *obj, const char *path, const char *key,
                  json_t **out, avk_err *err)
{
    return expect(obj, path, key, JSON_ARRAY, "an array", 0, out, err);
}

int avk_get_string(const json_t *obj, const char *path, const char *key,
                   const char **out, avk_err *err)
{
    json_t *v = NULL;
    int rc = expect(obj, path, key, JSON_STRING, "a string", 0, &v, err);

    if (rc == 0)
        *out = json_string_value(v);
    return rc;
}

int avk_get_number(const json_t *obj, const char *path, const char *key,
                   double *out, avk_err *err)
{
    json_t *v = NULL;
    int rc = expect(obj, path, key, JSON_REAL, "a number", 0, &v, err);

    if (rc == 0)
        *out = json_number_value(v);
    return rc;
}

int avk_opt_string(const json_t *obj, const char *path, const char *key,
                   const char **out, avk_err *err)
{
    json_t *v = NULL;
    int rc = expect(obj, path, key, JSON_STRING, "a string", 1, &v, err);

    if (rc == 0 && v)
        *out = json_string_value(v);
    return rc;
}

int avk_opt_number(const json_t *obj, const char *path, const char *key,
                   double *out, avk_err *err)
{
    json_t *v = NULL;
    int rc = expect(obj, path, key, JSON_REAL, "a number", 1, &v, err);

    if (rc == 0 && v)
        *out = json_number_value(v);
    return rc;
}

static int check_asset(const json_t *a, const char *path, avk_err *err)
{
    const char *p, *sha, *type;
    double bytes;
    int rc;

    if (!json_is_object(a))
        return avk_fail(err, AVK_EX_DATAERR, "%s: expected an asset object",
                        path);
    if ((rc = avk_get_string(a, path, "path", &p, err)) ||
        (rc = avk_get_string(a, path, "sha256", &sha, err)) ||
        (rc = avk_get_number(a, path, "bytes", &bytes, err)) ||
        (rc = avk_get_string(a, path, "type", &type, err)))
        return rc;
    if (!avk_is_sha256_hex(sha))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s.sha256: expected 64 lower-case hex digits", path);
    if (p[0] == '/' || strstr(p, "..") || strncmp(p, ".av/assets/", 11) != 0)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s.path: expected a workspace-relative path under "
                        ".av/assets/",
                        path);
    if (bytes < 0)
        return avk_fail(err, AVK_EX_DATAERR, "%s.bytes: negative", path);
    return 0;
}

typedef struct walk {
    avk_asset_visit_fn fn;
    void *ud;
} walk;

/* Asset references are objects with exactly the keys of an asset; we
 * recognise them as objects holding both "path" and "sha256". */
static int walk_value(const json_t *v, char *path, size_t cap, walk *w)
{
    size_t len = strlen(path);
    int rc = 0;

    if (json_is_object(v)) {
        const char *k;
        json_t *sub;
        if (json_object_get(v, "sha256") && json_object_get(v, "path"))
            return w->fn(v, path, w->ud);
        json_object_foreach((json_t *)v, k, sub) {
            if (!json_is_object(sub) && !json_is_array(sub))
                continue;
            snprintf(path + len, cap - len, ".%s", k);
            rc = walk_value(sub, path, cap, w);
            path[len] = '\0';
            if (rc)
                return rc;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *sub;
        json_array_foreach(v, i, sub) {
            if (!json_is_object(sub) && !json_is_array(sub))
                continue;
            snprintf(path + len, cap - len, "[%zu]", i);
            rc = walk_value(sub, path, cap, w);
            path[len] = '\0';
            if (rc)
                return rc;
        }
    }
    return rc;
}

int avk_json_each_asset(const json_t *v, const char *path,
                        avk_asset_visit_fn fn, void *ud)
{
    char buf[512];
    walk w = {fn, ud};

    snprintf(buf, sizeof buf, "%s", path);
    return walk_value(v, buf, sizeof buf, &w);
}

int avk_doc_each_asset(const json_t *doc, avk_asset_visit_fn fn, void *ud)
{
    return avk_json_each_asset(doc, "", fn, ud);
}

static int validate_asset_cb(const json_t *asset, const char *path, void *ud)
{
    return check_asset(asset, path, ud);
}

static int valid_id(const char *id)
{
    size_t i, n = strlen(id);

    if (n == 0 || n > 64)
        return 0;
    for (i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return 0;
    }
    return 1;
}

int avk_doc_validate(json_t *doc, avk_err *err)
{
    static const char *const sections[] = {"format",  "settings", "trend",
                                           "script",  "voice",    "visuals",
                                           "render",  "publish",  "stages"};
    json_t *v = json_object_get(doc, "version");
    const char *s = NULL;
    json_t *fmt;
    size_t i;
    int rc;

    if (v && (!json_is_integer(v) || json_integer_value(v) < 1))
        return avk_fail(err, AVK_EX_DATAERR,
                        ".version: expected a positive integer");
    if (v && json_integer_value(v) > AVK_DOC_VERSION)
        return avk_fail(err, AVK_EX_DATAERR,
                        ".version: document version %lld is newer than this "
                        "av understands (%d)",
                        (long long)json_integer_value(v), AVK_DOC_VERSION);
    if (!v)
        json_object_set_new(doc, "version", json_integer(AVK_DOC_VERSION));
    if ((rc = avk_opt_string(doc, "", "id", &s, err)))
        return rc;
    if (!s) {
        char id[16];
        if (avk_doc_new_id(id))
            return avk_fail(err, AVK_EX_OSERR, "no randomness");
        json_object_set_new(doc, "id", json_string(id));
    } else if (!valid_id(s)) {
        return avk_fail(err, AVK_EX_DATAERR,
                        ".id: expected 1-64 characters of a-z, 0-9, - and _");
    }
    if ((rc = avk_get_string(doc, "", "topic", &s, err)) ||
        (rc = avk_opt_string(doc, "", "lang", &s, err)))
        return rc;
    for (i = 0; i < sizeof sections / sizeof *sections; i++) {
        json_t *sec = json_object_get(doc, sections[i]);
        if (sec && !json_is_object(sec) && !json_is_null(sec))
            return avk_fail(err, AVK_EX_DATAERR, ".%s: expected an object",
                            sections[i]);
    }
    fmt = json_object_get(doc, "format");
    if (json_is_object(fmt)) {
        static const char *const dims[] = {"width", "height", "fps"};
        for (i = 0; i < 3; i++) {
            double d = 0;
            if ((rc = avk_opt_number(fmt, ".format", dims[i], &d, err)))
                return rc;
            if (json_object_get(fmt, dims[i]) && (d < 16 || d > 8192))
                return avk_fail(err, AVK_EX_DATAERR,
                                ".format.%s: out of range", dims[i]);
        }
    }
    return avk_doc_each_asset(doc, validate_asset_cb, err);
}

char *avk_doc_dump(const json_t *doc)
{
    return json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER |
                               JSON_REAL_PRECISION(10));
}

char *avk_json_canonical(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

const char *avk_doc_id(const json_t *doc)
{
    return json_string_value(json_object_get(doc, "id"));
}

const char *avk_doc_topic(const json_t *doc)
{
    const char *t = json_string_value(json_object_get(doc, "topic"));
    return t ? t : "";
}

const char *avk_doc_lang(const json_t *doc)
{
    const char *l = json_string_value(json_object_get(doc, "lang"));
    return l && *l ? l : "en";
}

void avk_doc_format(const json_t *doc, avk_format *f)
{
    json_t *fmt = json_object_get(doc, "format");
    const char *aspect = json_string_value(json_object_get(fmt, "aspect"));
    json_t *v;

    if (avk_format_from_aspect(aspect, f, NULL))
        avk_format_from_aspect(NULL, f, NULL);
    if ((v = json_object_get(fmt, "width")) && json_is_number(v))
        f->width = (int)json_number_value(v);
    if ((v = json_object_get(fmt, "height")) && json_is_number(v))
        f->height = (int)json_number_value(v);
    if ((v = json_object_get(fmt, "fps")) && json_is_number(v))
        f->fps = (int)json_number_value(v);
}

int avk_doc_input_hash(const json_t *doc, const char *const *sections,
                       size_t n, const char *extra, char hex[65])
{
    avk_sha256 *h = avk_sha256_new();
    size_t i;

    if (!h)
        return AVK_EX_OSERR;
    for (i = 0; i < n; i++) {
        json_t *sec = json_object_get(doc, sections[i]);
        char *c = sec ? avk_json_canonical(sec) : NULL;
        avk_sha256_update(h, sections[i], strlen(sections[i]) + 1);
        if (c) {
            avk_sha256_update(h, c, strlen(c));
            free(c);
        } else {
            avk_sha256_update(h, "null", 4);
        }
        avk_sha256_update(h, "\n", 1);
    }
    if (extra)
        avk_sha256_update(h, extra, strlen(extra));
    return avk_sha256_final(h, hex);
}
