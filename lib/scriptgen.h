/*
 * scriptgen.h - the offline script writer: YAML templates to a narrated,
 * scene-by-scene script (the document's .script section).
 *
 * A template (share/templates/scripts/README.md describes the language)
 * gives a format - listicle, how-to, myth vs fact, mistakes, explainer,
 * story, news digest - as lists of interchangeable lines with {slots} filled
 * from the parsed topic.  The writer picks lines with its own seeded
 * PRNG (never rand(), never the clock), so the same request always gives
 * byte-identical JSON, and adds or drops optional lines until the spoken
 * words fit duration x wpm / 60 within 10%.
 *
 * duration is the estimated spoken length, words x 60 / wpm, which the
 * writer keeps within 10% of the requested duration.
 *
 * A format file may say it `needs` a knowledge pack's items, steps or
 * myths (knowledge.h): it is then used only when the pack that best
 * matches the topic has them, and each body unit names one of them
 * ({point}, {point_text}, {point_more}, {myth}, {fact}), chosen by the
 * seed and never twice; otherwise the format's generic version is used.
 * The output then records the pack as .script.pack.
 *
 * The narration is scenes[].text, in order: the hook is the first
 * sentence of scene 0 and the call to action the last sentence of the
 * last scene (hook and cta repeat them for title cards and captions);
 * words counts the narration.
 */
#ifndef AVK_SCRIPTGEN_H
#define AVK_SCRIPTGEN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define AVK_SCRIPT_MAX_SCENES 20
#define AVK_SCRIPT_TITLE_MAX  100 /* characters (code points) */

typedef struct avk_script_req {
    const char *topic; /* required */
    const char *style; /* engaging|educational|funny|professional|story;
                          NULL = engaging */
    double duration_s; /* 0 = 60 */
    int scenes;        /* 0 = choose */
    const char *lang;  /* NULL = "en" */
    uint64_t seed;
    double wpm;          /* 0 = language default (English 150) */
    const char *format;  /* NULL = choose from the topic */
    const json_t *trend; /* optional .trend section: items[] with title,
                            summary, link, source */
    const char *const *template_dirs; /* searched in order: user dirs
                                         first, then share/templates/scripts */
    size_t ntemplate_dirs;
    const char *const *knowledge_dirs; /* knowledge packs (knowledge.h),
                                          searched in order; none: the
                                          formats' generic lines only */
    size_t nknowledge_dirs;
} avk_script_req;

/* Write a script.  On success *script_out is a new object the caller
 * owns.  Fails with AVK_EX_DATAERR (bad request: empty topic, unknown
 * style/format/language, duration or scene count out of range, a news
 * digest without trend items), AVK_EX_CONFIG (a template that does not
 * load or cannot serve the request; the message names the file) or
 * AVK_EX_OSERR; *script_out is then NULL. */
int avk_script_generate(const avk_script_req *req, json_t **script_out,
                        avk_err *err);

/* sha256 (hex) over the names and contents of the template files the
 * directories hold (*.yaml, *.yml, in search order), so a caller can tell
 * when an edited template should invalidate earlier scripts.  Missing
 * directories count as empty.  Fails with AVK_EX_IOERR or AVK_EX_OSERR. */
int avk_script_templates_digest(const char *const *dirs, size_t ndirs,
                                char hex[65], avk_err *err);

/* Check a .script section: every field present with the right type,
 * title within 100 characters, at least one scene, hashtags starting
 * with '#'.  Unknown fields are allowed (they pass through).  Fails with
 * AVK_EX_DATAERR and a message naming the field path:
 * ".scenes[2].text: expected a string". */
int avk_script_validate(const json_t *script, avk_err *err);

/* The same check for the part a language model writes (title, hook,
 * scenes, cta, description, hashtags), before the caller adds lang,
 * duration, words, wpm, format, style, provider and model. */
int avk_script_validate_reply(const json_t *reply, avk_err *err);

/* JSON Schema of that reply, strict-mode compatible (every property
 * required, additionalProperties false, no unsupported keywords).
 * A new reference, or NULL when out of memory. */
json_t *avk_script_json_schema(void);

#endif
