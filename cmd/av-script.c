/*
 * av-script - write the narrated, scene-by-scene script of each project.
 *
 *   av-script [options] < docs.jsonl > scripted.jsonl
 *   av-script --project ID [options]
 *   av-script --topic "5 habits of productive people" [options]
 *
 * Reads pipeline documents, writes their .script section (see
 * lib/scriptgen.h) and prints them.  --topic starts a new document
 * instead of reading any; it is stored when a workspace is found and
 * just printed otherwise.  Option values win over the document's
 * .settings, which win over the configuration (script.*).
 *
 * Only this file prints; the work is done by lib/scriptgen.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doc.h"
#include "fsutil.h"
#include "paths.h"
#include "http.h"
#include "script_llm.h"
#include "scriptgen.h"

#define PROG "av-script"
#define USAGE                                                                  \
    PROG " [--topic TEXT] [--style STYLE] [--duration SECONDS] [options]"
#define SUMMARY                                                                \
    "Write each project's narrated script (.script) from its topic, offline\n" \
    "from templates: reads JSON Lines documents on stdin (or --project IDs,\n" \
    "or starts one with --topic) and prints them with .script added."

typedef struct sopts {
    const char *topic, *style, *lang, *format, *provider, *model, *seed_s;
    double duration, wpm;
    long long scenes;
    avk_strlist templates;
    /* derived */
    const char **dirs;
    size_t ndirs;
    char **data_dirs;
    const char **kdirs; /* knowledge packs: --templates, user, ours */
    size_t nkdirs;
    char **kdata_dirs;
    int openai;            /* provider openai */
    avk_script_llm_req ai; /* its settings (topic etc. set per document) */
    avk_http_opts http;
} sopts;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* A setting from the document: a number, or a string holding one (CSV
 * imports store strings).  Returns 1 when found. */
static int setting_num(const json_t *settings, const char *key, double *out)
{
    const json_t *v = json_object_get(settings, key);
    char *end;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 1;
    }
    if (json_is_string(v) && *json_string_value(v)) {
        double d = strtod(json_string_value(v), &end);
        if (*end == '\0') {
            *out = d;
            return 1;
        }
    }
    return 0;
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!s || !*s || *s == '-')
        return -1;
    v = strtoull(s, &end, 10);
    if (*end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* The openai provider for one document (req holds its settings). */
static int openai_stage(avk_ctx *ctx, const sopts *o, const avk_script_req *req,
                        avk_stage_result *res, avk_err *err)
{
    avk_script_llm_req r = o->ai;
    avk_script_llm_res out;
    int rc;

    r.topic = req->topic;
    r.style = req->style;
    r.lang = req->lang;
    r.format = req->format;
    r.duration_s = req->duration_s;
    r.scenes = req->scenes;
    r.wpm = req->wpm;
    r.trend = req->trend;
    r.http = &o->http;
    r.cache = ctx->store;
    if ((rc = avk_script_llm_generate(&r, &out, err)) != 0)
        return rc;
    if (out.cached)
        avk_debug(&ctx->diag, "script from the request cache");
    res->section = out.script;
    snprintf(res->provider, sizeof res->provider, "openai");
    snprintf(res->model, sizeof res->model, "%s", out.model);
    res->tokens_in = out.tokens_in;
    res->tokens_out = out.tokens_out;
    res->cost = out.cost;
    return 0;
}

static int script_stage(avk_ctx *ctx, json_t *doc, avk_stage_result *res,
                        void *ud, avk_err *err)
{
    const sopts *o = ud;
    const json_t *settings = json_object_get(doc, "settings");
    avk_script_req req;
    json_t *script = NULL;
    double d;
    int rc;

    memset(&req, 0, sizeof req);
    req.topic = avk_doc_topic(doc);
    req.style = o->style;
    if (!req.style)
        req.style = json_string_value(json_object_get(settings, "style"));
    if (!req.style)
        req.style = avk_config_str(ctx->cfg, "script.style", NULL);
    req.duration_s = o->duration;
    if (req.duration_s <= 0 && setting_num(settings, "duration", &d))
        req.duration_s = d;
    if (req.duration_s <= 0)
        req.duration_s = avk_config_num(ctx->cfg, "script.duration", 0);
    req.scenes = (int)o->scenes;
    if (req.scenes == 0 && setting_num(settings, "scenes", &d))
        req.scenes = (int)d;
    req.wpm = o->wpm > 0 ? o->wpm : avk_config_num(ctx->cfg, "script.wpm", 0);
    req.format = o->format;
    if (!req.format)
        req.format = json_string_value(json_object_get(settings, "format"));
    if (o->lang)
        json_object_set_new(doc, "lang", json_string(o->lang));
    req.lang = avk_doc_lang(doc);
    if (o->seed_s) {
        if (parse_seed(o->seed_s, &req.seed) != 0)
            return avk_fail(err, AVK_EX_USAGE, "--seed '%s' is not a number",
                            o->seed_s);
    } else if (setting_num(settings, "seed", &d) && d >= 0)
        req.seed = (uint64_t)d;
    else
        req.seed = fnv1a(avk_doc_id(doc) ? avk_doc_id(doc) : "");
    req.trend = json_object_get(doc, "trend");
    if (o->openai)
        return openai_stage(ctx, o, &req, res, err);
    req.template_dirs = o->dirs;
    req.ntemplate_dirs = o->ndirs;
    req.knowledge_dirs = o->kdirs;
    req.nknowledge_dirs = o->nkdirs;
    if ((rc = avk_script_generate(&req, &script, err)) != 0)
        return rc;
    {
        /* More points than the length holds ("10 tips" in 15 s): the
           script says them all, and says how long that takes. */
        double want = req.duration_s > 0 ? req.duration_s : 60.0;
        double got = json_number_value(json_object_get(script, "duration"));
        if (got > want * 1.1)
            avk_warn(&ctx->diag,
                     "%s: the script needs about %.0f s, more than the %.0f s "
                     "asked for (too many points for that length)",
                     avk_doc_id(doc) ? avk_doc_id(doc) : "topic", got, want);
    }
    res->section = script;
    snprintf(res->provider, sizeof res->provider, "local");
    snprintf(res->model, sizeof res->model, "templates");
    return 0;
}

/* --topic: make a document and run the stage on it. */
static int run_topic(avk_ctx *ctx, const avk_stage_def *def, const char *fp,
                     sopts *o)
{
    avk_err err = {0, ""};
    avk_format f;
    json_t *doc, *settings;
    int rc;

    if (!*o->topic) {
        avk_fail(&err, AVK_EX_USAGE, "--topic is empty");
        return avk_usage_error(ctx, &err, USAGE);
    }
    avk_format_from_aspect("9:16", &f, NULL);
    doc = avk_doc_new(NULL, o->topic, o->lang ? o->lang : "en", &f);
    settings = json_object();
    if (!doc || !settings) {
        json_decref(doc);
        json_decref(settings);
        avk_fail(&err, AVK_EX_OSERR, "out of memory");
        return avk_report(&ctx->diag, &err, AVK_EX_OSERR);
    }
    if (o->style)
        json_object_set_new(settings, "style", json_string(o->style));
    if (o->duration > 0)
        json_object_set_new(settings, "duration", json_real(o->duration));
    if (json_object_size(settings))
        json_object_set_new(doc, "settings", settings);
    else
        json_decref(settings);
    rc = avk_ctx_open_store(ctx, &err);
    if (rc == 0) {
        rc = avk_stage_one(ctx, def, fp, script_stage, o, doc, &err);
    } else if (rc == AVK_EX_NOINPUT && !ctx->store_dir) {
        /* no workspace: write the script and print, store nothing */
        avk_stage_result res;
        avk_debug(&ctx->diag, "no workspace (%s); not storing", err.msg);
        avk_err_clear(&err);
        if ((rc = avk_ctx_load_config(ctx, &err)) == 0) {
            memset(&res, 0, sizeof res);
            rc = script_stage(ctx, doc, &res, o, &err);
            if (rc == 0) {
                json_object_set_new(doc, def->stage, res.section);
                rc = avk_doc_print(doc, &err);
            }
        }
    }
    json_decref(doc);
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

/* -v: one line per HTTP attempt (lib/http never puts secrets in them). */
static void http_log(void *ud, const char *line)
{
    avk_debug(ud, "%s", line);
}

/* --provider openai: endpoint, model and limits from the configuration
 * (openai.*, OPENAI_API_KEY, AV_OPENAI_BASE_URL) and http.*. */
static int openai_setup(avk_ctx *ctx, sopts *o, avk_err *err)
{
    const avk_config *c = ctx->cfg;
    const char *rf;
    int rc;

    o->ai.model = o->model && *o->model
                      ? o->model
                      : avk_config_str(c, "openai.model", "gpt-4o-mini");
    o->ai.base_url =
        avk_config_str(c, "openai.base_url", "https://api.openai.com/v1");
    o->ai.api_key = avk_config_str(c, "openai.api_key", NULL);
    rf = avk_config_str(c, "openai.response_format", "json_schema");
    if (strcmp(rf, "json_object") == 0)
        o->ai.json_object = 1;
    else if (strcmp(rf, "json_schema") != 0)
        return avk_fail(err, AVK_EX_CONFIG,
                        "openai.response_format '%s' (from %s) is not "
                        "json_schema or json_object",
                        rf, avk_config_source(c, "openai.response_format"));
    o->ai.max_tokens_field =
        avk_config_str(c, "openai.max_tokens_field", "max_completion_tokens");
    o->ai.max_tokens = (long)avk_config_num(c, "openai.max_tokens", 4096);
    o->ai.temperature = avk_config_num(c, "openai.temperature", 0.7);
    o->ai.price_in = avk_config_num(c, "openai.price_in_per_mtok", 0);
    o->ai.price_out = avk_config_num(c, "openai.price_out_per_mtok", 0);
    o->http = avk_http_opts_default();
    o->http.user_agent = "av-script/" AVK_VERSION;
    o->http.log = http_log;
    o->http.log_ud = &ctx->diag;
    if ((rc = avk_http_opts_config(&o->http, c, err)) != 0)
        return rc;
    if (o->ai.temperature > 2)
        return avk_fail(err, AVK_EX_CONFIG,
                        "openai.temperature must be 0 to 2 (or negative: "
                        "the server's default)");
    return avk_http_global_init(err);
}

int main(int argc, char **argv)
{
    avk_ctx ctx;
    sopts o;
    avk_opt common[AVK_COMMON_NOPTS + 1], stage[AVK_STAGE_NOPTS + 1];
    const avk_opt own[] = {
        {0, "topic", AVK_OPT_STR, "TEXT",
         "start a new document about TEXT instead of reading any", &o.topic,
         NULL, NULL, 0},
        {0, "style", AVK_OPT_STR, "STYLE", "tone of the script", &o.style,
         "engaging|educational|funny|professional|story", NULL, 0},
        {0, "duration", AVK_OPT_DOUBLE, "SECONDS",
         "target length (default 60); sets the word budget", &o.duration, NULL,
         NULL, 0},
        {0, "scenes", AVK_OPT_INT, "N",
         "number of scenes, 1-20 (default: chosen)", &o.scenes, NULL, NULL, 0},
        {0, "lang", AVK_OPT_STR, "LANG", "language (default: the document's)",
         &o.lang, "en|es", NULL, 0},
        {0, "seed", AVK_OPT_STR, "N",
         "choose lines with seed N (default: from the project id)", &o.seed_s,
         NULL, NULL, 0},
        {0, "format", AVK_OPT_STR, "FORMAT",
         "script format (default: chosen from the topic)", &o.format,
         "listicle|howto|myth|explainer|story|news|mistakes", NULL, 0},
        {0, "wpm", AVK_OPT_DOUBLE, "N",
         "speaking rate in words per minute (default: the language's)", &o.wpm,
         NULL, NULL, 0},
        {0, "templates", AVK_OPT_LIST, "DIR",
         "search DIR for templates and knowledge packs first (repeatable)",
         &o.templates, "dir", NULL, 0},
        {0, "provider", AVK_OPT_STR, "NAME",
         "script writer: local (default) or openai", &o.provider,
         "local|openai", NULL, 0},
        {0, "model", AVK_OPT_STR, "NAME",
         "model of the provider (local: templates; openai: gpt-4o-mini)",
         &o.model, NULL, NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {own, stage, common, NULL};
    static const char *const inputs[] = {"topic", "lang", "settings", "trend"};
    avk_stage_def def = {"script", "scripted", inputs, 4};
    avk_args args;
    avk_err err = {0, ""};
    char fp[1024], digest[65];
    size_t i, ndata, nkdata;
    int rc;

    memset(&o, 0, sizeof o);
    avk_ctx_init(&ctx, PROG);
    avk_common_opts(&ctx, common);
    avk_stage_opts(&ctx, stage);
    rc = avk_opts_parse(tables, argc, argv, 1, &args, NULL, &err);
    if (rc) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    avk_ctx_apply(&ctx);
    if (avk_handle_info(&args, PROG, USAGE, SUMMARY, tables))
        goto out;
    if (args.n > 0) {
        avk_fail(&err, AVK_EX_USAGE, "unexpected argument '%s'", args.v[0]);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if ((rc = avk_ctx_load_config(&ctx, &err))) {
        rc = avk_report(&ctx.diag, &err, rc);
        goto out;
    }
    if (!o.provider || !*o.provider)
        o.provider = avk_config_str(ctx.cfg, "script.provider", "local");
    if (!*o.provider)
        o.provider = "local";
    o.openai = strcmp(o.provider, "openai") == 0;
    if (!o.openai && strcmp(o.provider, "local") != 0) {
        avk_fail(&err, AVK_EX_USAGE,
                 "provider '%s' is not available (this build has: local, "
                 "openai)",
                 o.provider);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.openai && (rc = openai_setup(&ctx, &o, &err)) != 0) {
        rc = rc == AVK_EX_USAGE ? avk_usage_error(&ctx, &err, USAGE)
                                : avk_report(&ctx.diag, &err, rc);
        goto out;
    }
    if (!o.openai && o.model && strcmp(o.model, "templates") != 0) {
        avk_fail(&err, AVK_EX_USAGE,
                 "the local provider has one model, 'templates', not '%s'",
                 o.model);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.scenes < 0 || o.scenes > AVK_SCRIPT_MAX_SCENES) {
        avk_fail(&err, AVK_EX_USAGE, "--scenes must be 1 to %d",
                 AVK_SCRIPT_MAX_SCENES);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.duration < 0 ||
        (o.duration > 0 && (o.duration < 3 || o.duration > 600))) {
        avk_fail(&err, AVK_EX_USAGE, "--duration must be 3 to 600 seconds");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.seed_s && parse_seed(o.seed_s, &(uint64_t){0}) != 0) {
        avk_fail(&err, AVK_EX_USAGE, "--seed '%s' is not a number", o.seed_s);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.topic && ctx.projects.n) {
        avk_fail(&err, AVK_EX_USAGE, "--topic and --project do not mix");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    /* template folders: --templates first, then the user's, then ours */
    ndata = avk_template_dirs("scripts", &o.data_dirs);
    nkdata = avk_template_dirs("knowledge", &o.kdata_dirs);
    o.dirs = calloc(o.templates.n + ndata + nkdata + 1, sizeof *o.dirs);
    if (!o.dirs) {
        avk_fail(&err, AVK_EX_OSERR, "out of memory");
        rc = avk_report(&ctx.diag, &err, AVK_EX_OSERR);
        goto out;
    }
    for (i = 0; i < o.templates.n; i++)
        o.dirs[o.ndirs++] = o.templates.v[i];
    for (i = 0; i < ndata; i++)
        o.dirs[o.ndirs++] = o.data_dirs[i];
    /* knowledge packs: in --templates folders too, then the user's
     * templates/knowledge, then ours */
    o.kdirs = calloc(o.ndirs + nkdata + 1, sizeof *o.kdirs);
    if (!o.kdirs) {
        avk_fail(&err, AVK_EX_OSERR, "out of memory");
        rc = avk_report(&ctx.diag, &err, AVK_EX_OSERR);
        goto out;
    }
    for (i = 0; i < o.templates.n; i++)
        o.kdirs[o.nkdirs++] = o.templates.v[i];
    for (i = 0; i < nkdata; i++)
        o.kdirs[o.nkdirs++] = o.kdata_dirs[i];
    /* the digest covers formats and packs: editing either re-runs */
    for (i = o.templates.n; i < o.nkdirs; i++)
        o.dirs[o.ndirs + i - o.templates.n] = o.kdirs[i];
    if ((rc = avk_script_templates_digest(o.dirs, o.ndirs + nkdata, digest,
                                          &err))) {
        rc = avk_report(&ctx.diag, &err, rc);
        goto out;
    }
    /* what besides the document decides the script: options, templates */
    snprintf(fp, sizeof fp,
             "provider=%s model=%s base=%s rf=%s temp=%g style=%s duration=%g scenes=%lld "
             "lang=%s seed=%s format=%s wpm=%g templates=%s",
             o.provider, o.openai ? o.ai.model : "templates",
             o.openai ? o.ai.base_url : "",
             o.openai && o.ai.json_object ? "json_object" : "",
             o.openai ? o.ai.temperature : 0, o.style ? o.style : "", o.duration, o.scenes, o.lang ? o.lang : "",
             o.seed_s ? o.seed_s : "", o.format ? o.format : "", o.wpm, digest);
    if (o.topic)
        rc = run_topic(&ctx, &def, fp, &o);
    else
        rc = avk_stage_run(&ctx, &def, fp, script_stage, &o);
out:
    if (o.openai)
        avk_http_global_cleanup();
    free(o.dirs);
    free(o.kdirs);
    if (o.data_dirs)
        avk_dirs_free(o.data_dirs);
    if (o.kdata_dirs)
        avk_dirs_free(o.kdata_dirs);
    avk_strlist_release(&o.templates);
    avk_args_release(&args);
    avk_ctx_release(&ctx);
    return rc;
}
