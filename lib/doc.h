/*
 * doc.h - the pipeline document: one JSON object per project per line.
 *
 * The authoritative specification is man/av-document.5.  In short:
 *   {"version":1, "id":"...", "topic":"...", "lang":"en",
 *    "format":{"width":1080,"height":1920,"fps":30,"aspect":"9:16"},
 *    "settings":{...}, "trend":{...}, "script":{...}, "voice":{...},
 *    "visuals":{...}, "render":{...}, "publish":{...},
 *    "stages":{"script":{"input":"<sha256>","tool":"...","at":"..."}}}
 * Unknown fields pass through untouched.  Documents are jansson json_t
 * objects; the caller owns the references it receives (json_decref).
 *
 * Validation messages name the field path the way jq would write it:
 * ".script.scenes[2].text: expected a string".
 */
#ifndef AVK_DOC_H
#define AVK_DOC_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

#define AVK_DOC_VERSION 1
#define AVK_DOC_MAX_LINE (64L * 1024 * 1024)

typedef struct avk_format {
    int width, height, fps;
    const char *aspect; /* "9:16", "1:1", "16:9" */
} avk_format;

/* Fill f from an aspect name ("9:16" default 1080x1920 at 30 fps). */
int avk_format_from_aspect(const char *aspect, avk_format *f, avk_err *err);

/* A fresh project id: 10 characters of [a-z0-9], random. */
int avk_doc_new_id(char out[16]);
/* New document with version, id (fresh when NULL), topic, lang, format. */
json_t *avk_doc_new(const char *id, const char *topic, const char *lang,
                    const avk_format *f);

/* Parse one line.  Errors are AVK_EX_DATAERR with "line N: ..." text. */
int avk_doc_parse(const char *text, size_t len, long lineno, json_t **out,
                  avk_err *err);
/* Check the common fields (version, id, topic, lang, format, stages and
 * the asset references found in known sections).  A missing id is
 * filled in with a fresh one. */
int avk_doc_validate(json_t *doc, avk_err *err);
/* One line of compact JSON without a newline; caller frees. */
char *avk_doc_dump(const json_t *doc);
/* Canonical form (sorted keys, compact) for hashing. */
char *avk_json_canonical(const json_t *v);

const char *avk_doc_id(const json_t *doc);
const char *avk_doc_topic(const json_t *doc);
const char *avk_doc_lang(const json_t *doc);
/* Format of the document, with defaults for missing fields. */
void avk_doc_format(const json_t *doc, avk_format *f);

/* Typed field access with path-naming errors (AVK_EX_DATAERR).
 * path is the path of obj itself, e.g. ".script.scenes[2]".  The
 * returned pointers are borrowed from obj. */
int avk_get_object(const json_t *obj, const char *path, const char *key,
                   json_t **out, avk_err *err);
int avk_get_array(const json_t *obj, const char *path, const char *key,
                  json_t **out, avk_err *err);
int avk_get_string(const json_t *obj, const char *path, const char *key,
                   const char **out, avk_err *err);
int avk_get_number(const json_t *obj, const char *path, const char *key,
                   double *out, avk_err *err);
/* Optional variants: absent or null leaves *out as it was. */
int avk_opt_string(const json_t *obj, const char *path, const char *key,
                   const char **out, avk_err *err);
int avk_opt_number(const json_t *obj, const char *path, const char *key,
                   double *out, avk_err *err);

/* sha256 over the canonical JSON of the named top-level sections (absent
 * ones count as null) followed by extra (tool version and options). */
int avk_doc_input_hash(const json_t *doc, const char *const *sections,
                       size_t n, const char *extra, char hex[65]);

/* Call fn for every asset reference ({"path","sha256",...} object) in the
 * document; stops at the first non-zero return. */
typedef int (*avk_asset_visit_fn)(const json_t *asset, const char *path,
                                  void *ud);
int avk_doc_each_asset(const json_t *doc, avk_asset_visit_fn fn, void *ud);
/* The same for any value; path is the value's own path (".voice"). */
int avk_json_each_asset(const json_t *v, const char *path,
                        avk_asset_visit_fn fn, void *ud);

#endif
