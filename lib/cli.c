/*
 * cli.c - common options, the command context and the stage driver
 * (see cli.h for the contract).
 */
#include "cli.h"
#include "assets.h"
#include "doc.h"
#include "fsutil.h"
#include "workspace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef AVK_VERSION
#define AVK_VERSION "0.0.0"
#endif

void avk_ctx_init(avk_ctx *ctx, const char *prog)
{
    memset(ctx, 0, sizeof *ctx);
    avk_diag_init(&ctx->diag, prog);
}

void avk_ctx_release(avk_ctx *ctx)
{
    avk_store_close(ctx->store);
    avk_config_free(ctx->cfg);
    free(ctx->ws_root);
    avk_strlist_release(&ctx->projects);
    ctx->store = NULL;
    ctx->cfg = NULL;
    ctx->ws_root = NULL;
}

void avk_ctx_apply(avk_ctx *ctx)
{
    ctx->diag.verbosity = ctx->quiet ? -1 : ctx->verbose;
    ctx->diag.log_json = ctx->log_json;
}

int avk_ctx_load_config(avk_ctx *ctx, avk_err *err)
{
    if (ctx->cfg)
        return 0;
    if (!ctx->ws_root) {
        char *root = NULL;
        if (avk_ws_find(ctx->store_dir, &root, NULL) == 0)
            ctx->ws_root = root;
    }
    return avk_config_load(ctx->ws_root, &ctx->cfg, err);
}

int avk_ctx_open_store(avk_ctx *ctx, avk_err *err)
{
    int rc;

    if (ctx->store)
        return 0;
    if (!ctx->ws_root && (rc = avk_ws_find(ctx->store_dir, &ctx->ws_root, err)))
        return rc;
    if ((rc = avk_store_open(ctx->ws_root, 0, &ctx->store, err)))
        return rc;
    return avk_ctx_load_config(ctx, err);
}

void avk_common_opts(avk_ctx *ctx, avk_opt *o)
{
    const avk_opt v[] = {
        {0, "store", AVK_OPT_STR, "DIR", "use the workspace in DIR",
         &ctx->store_dir, "dir", NULL, 0},
        {'v', "verbose", AVK_OPT_COUNT, NULL, "say more on stderr",
         &ctx->verbose, NULL, NULL, 0},
        {'q', "quiet", AVK_OPT_FLAG, NULL, "print only errors", &ctx->quiet,
         NULL, NULL, 0},
        {0, "log-json", AVK_OPT_FLAG, NULL,
         "write diagnostics as JSON lines", &ctx->log_json, NULL, NULL, 0},
        AVK_OPT_END};
    memcpy(o, v, sizeof v);
}

void avk_stage_opts(avk_ctx *ctx, avk_opt *o)
{
    const avk_opt v[] = {
        {0, "project", AVK_OPT_LIST, "ID",
         "read project ID from the store instead of stdin", &ctx->projects,
         "project", NULL, 0},
        {0, "force", AVK_OPT_FLAG, NULL,
         "redo the stage even when its inputs are unchanged", &ctx->force,
         NULL, NULL, 0},
        {0, "keep-going", AVK_OPT_FLAG, NULL,
         "report a bad document and go on with the next", &ctx->keep_going,
         NULL, NULL, 0},
        AVK_OPT_END};
    memcpy(o, v, sizeof v);
}

int avk_handle_info(const avk_args *args, const char *prog,
                    const char *usage, const char *summary,
                    const avk_opt *const *tables)
{
    if (args->help) {
        avk_opts_help(stdout, usage, summary, tables);
        return 1;
    }
    if (args->version) {
        printf("%s %s\n", prog, AVK_VERSION);
        return 1;
    }
    if (args->list_options) {
        avk_opts_list(stdout, tables);
        return 1;
    }
    return 0;
}

int avk_usage_error(avk_ctx *ctx, const avk_err *err, const char *usage)
{
    avk_error(&ctx->diag, "%s", err->msg);
    fprintf(stderr, "usage: %s\nTry '%s --help' for more.\n", usage,
            ctx->diag.prog);
    return AVK_EX_USAGE;
}

int avk_doc_print(json_t *doc, avk_err *err)
{
    char *line = avk_doc_dump(doc);

    if (!line)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (fputs(line, stdout) == EOF || fputc('\n', stdout) == EOF ||
        fflush(stdout) == EOF) {
        free(line);
        return avk_fail(err, AVK_EX_IOERR, "cannot write to standard output");
    }
    free(line);
    return 0;
}

/* ---- saving with merge-on-write ---- */

typedef struct save_job {
    json_t *doc;
    const char *status;
    const avk_run_rec *run;
} save_job;

static int register_asset(const json_t *a, const char *path, void *ud)
{
    avk_store *s = ud;
    return avk_store_asset_add(
        s, json_string_value(json_object_get(a, "sha256")),
        json_string_value(json_object_get(a, "path")),
        (long long)json_number_value(json_object_get(a, "bytes")),
        json_string_value(json_object_get(a, "type")), NULL);
}

static void merge_missing(json_t *doc, const json_t *stored)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)stored, k, v) {
        json_t *mine = json_object_get(doc, k);
        if (!mine)
            json_object_set(doc, k, v);
        else if (!strcmp(k, "stages") && json_is_object(mine) &&
                 json_is_object(v))
            merge_missing(mine, v);
    }
}

static int save_tx(avk_store *s, void *ud, avk_err *err)
{
    save_job *j = ud;
    const char *id = avk_doc_id(j->doc);
    char *stored_text = NULL;
    char *line;
    int rc;

    if (avk_project_exists(s, id)) {
        json_t *stored;
        if ((rc = avk_project_get(s, id, &stored_text, err)))
            return rc;
        stored = json_loads(stored_text, 0, NULL);
        free(stored_text);
        if (stored) {
            merge_missing(j->doc, stored);
            json_decref(stored);
        }
    }
    line = avk_doc_dump(j->doc);
    if (!line)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    rc = avk_project_put(s, id, avk_doc_topic(j->doc), avk_doc_lang(j->doc),
                         j->status, line, err);
    free(line);
    if (rc == 0)
        rc = avk_doc_each_asset(j->doc, register_asset, s);
    if (rc == 0 && j->run)
        rc = avk_stage_run_add(s, j->run, err);
    return rc;
}

static int save(avk_ctx *ctx, json_t *doc, const char *status,
                const avk_run_rec *run, avk_err *err)
{
    save_job j = {doc, status, run};
    char *prev = NULL;

    if (!status) {
        /* keep the stored status when none is given */
        avk_stmt *st;
        if (avk_stmt_prepare(ctx->store,
                             "SELECT status FROM projects WHERE id = ?1", &st,
                             NULL) == 0) {
            avk_stmt_bind_text(st, 1, avk_doc_id(doc));
            if (avk_stmt_step(st, NULL) == AVK_STMT_ROW)
                prev = strdup(avk_stmt_text(st, 0));
            avk_stmt_free(st);
        }
        j.status = prev ? prev : "new";
    }
    {
        int rc = avk_store_tx(ctx->store, save_tx, &j, err);
        free(prev);
        return rc;
    }
}

int avk_doc_save(avk_ctx *ctx, json_t *doc, const char *status, avk_err *err)
{
    int rc;

    if ((rc = avk_ctx_open_store(ctx, err)))
        return rc;
    return save(ctx, doc, status, NULL, err);
}

/* ---- the stage driver ---- */

typedef struct verify_ud {
    const char *root;
    int ok;
} verify_ud;

static int verify_cb(const json_t *a, const char *path, void *ud)
{
    verify_ud *v = ud;
    avk_asset as;

    if (avk_asset_from_json(a, path, &as, NULL) ||
        avk_asset_verify(v->root, &as, 0, NULL)) {
        v->ok = 0;
        return 1;
    }
    return 0;
}

static int up_to_date(avk_ctx *ctx, const json_t *doc, const char *stage,
                      const char *hash)
{
    json_t *stamp = json_object_get(json_object_get(doc, "stages"), stage);
    const char *old = json_string_value(json_object_get(stamp, "input"));
    json_t *sec = json_object_get(doc, stage);
    verify_ud v = {ctx->ws_root, 1};

    if (!old || strcmp(old, hash) != 0 || !json_is_object(sec))
        return 0;
    avk_json_each_asset(sec, stage, verify_cb, &v);
    return v.ok;
}

static void fill_run(avk_run_rec *r, const avk_ctx *ctx,
                     const avk_stage_def *def, const json_t *doc,
                     const char *hash, const char *status,
                     const avk_stage_result *res, const char *started,
                     const char *finished, long long ms, const char *error)
{
    memset(r, 0, sizeof *r);
    r->project_id = avk_doc_id(doc);
    r->tool = ctx->diag.prog;
    r->stage = def->stage;
    r->status = status;
    r->input_hash = hash;
    r->started_at = started;
    r->finished_at = finished;
    r->duration_ms = ms;
    r->error = error;
    if (res) {
        r->provider = res->provider[0] ? res->provider : NULL;
        r->model = res->model[0] ? res->model : NULL;
        r->cost = res->cost;
        r->tokens_in = res->tokens_in;
        r->tokens_out = res->tokens_out;
    }
}

static int record_failure(avk_ctx *ctx, const avk_stage_def *def,
                          json_t *doc, const char *hash, const char *started,
                          long long ms, const avk_err *failure)
{
    avk_run_rec r;
    char finished[32];

    if (!avk_project_exists(ctx->store, avk_doc_id(doc)))
        return 0; /* nothing to attach the run to */
    avk_now_iso(finished);
    fill_run(&r, ctx, def, doc, hash, "failed", NULL, started, finished, ms,
             failure->msg);
    return avk_stage_run_add(ctx->store, &r, NULL);
}

int avk_stage_one(avk_ctx *ctx, const avk_stage_def *def,
                  const char *fingerprint, avk_stage_fn fn, void *ud,
                  json_t *doc, avk_err *err)
{
    char hash[65], started[32], finished[32];
    char extra[512];
    avk_stage_result res;
    avk_run_rec run;
    long long t0 = avk_mono_ms(), ms;
    json_t *stages, *stamp;
    int rc;

    snprintf(extra, sizeof extra, "%s %s\n%s", ctx->diag.prog, AVK_VERSION,
             fingerprint ? fingerprint : "");
    if (avk_doc_input_hash(doc, def->inputs, def->ninputs, extra, hash))
        return avk_fail(err, AVK_EX_OSERR, "cannot hash the inputs");
    avk_now_iso(started);
    if (!ctx->force && up_to_date(ctx, doc, def->stage, hash)) {
        avk_debug(&ctx->diag, "project %s: %s is up to date", avk_doc_id(doc),
                  def->stage);
        avk_now_iso(finished);
        fill_run(&run, ctx, def, doc, hash, "skipped", NULL, started,
                 finished, 0, NULL);
        if ((rc = save(ctx, doc, NULL, &run, err)))
            return rc;
        return avk_doc_print(doc, err);
    }
    memset(&res, 0, sizeof res);
    rc = fn(ctx, doc, &res, ud, err);
    ms = avk_mono_ms() - t0;
    if (rc == 0 && !res.section)
        rc = avk_fail(err, AVK_EX_SOFTWARE, "stage produced no section");
    if (rc) {
        json_decref(res.section);
        record_failure(ctx, def, doc, hash, started, ms, err);
        return rc;
    }
    json_object_set_new(doc, def->stage, res.section);
    stages = json_object_get(doc, "stages");
    if (!json_is_object(stages)) {
        stages = json_object();
        json_object_set_new(doc, "stages", stages);
    }
    avk_now_iso(finished);
    stamp = json_pack("{s:s, s:s, s:s}", "input", hash, "tool",
                      ctx->diag.prog, "at", finished);
    if (res.provider[0])
        json_object_set_new(stamp, "provider", json_string(res.provider));
    json_object_set_new(stages, def->stage, stamp);
    fill_run(&run, ctx, def, doc, hash, "ok", &res, started, finished, ms,
             NULL);
    if ((rc = save(ctx, doc, def->status, &run, err)))
        return rc;
    return avk_doc_print(doc, err);
}

typedef struct tally {
    int ok, failed, first_code;
} tally;

static void count(tally *t, int rc)
{
    if (rc == 0) {
        t->ok++;
        return;
    }
    if (!t->failed)
        t->first_code = rc;
    t->failed++;
}

static int finish(const tally *t)
{
    if (!t->failed)
        return 0;
    return t->ok ? AVK_EX_PARTIAL : t->first_code;
}

static int run_projects(avk_ctx *ctx, const avk_stage_def *def,
                        const char *fingerprint, avk_stage_fn fn, void *ud)
{
    tally t = {0, 0, 0};
    size_t i;

    for (i = 0; i < ctx->projects.n; i++) {
        avk_err err = {0, ""};
        char *id = NULL, *text = NULL;
        json_t *doc = NULL;
        int rc = avk_project_resolve(ctx->store, ctx->projects.v[i], &id, &err);

        if (rc == 0)
            rc = avk_project_get(ctx->store, id, &text, &err);
        if (rc == 0)
            rc = avk_doc_parse(text, strlen(text), 1, &doc, &err);
        if (rc == 0)
            rc = avk_doc_validate(doc, &err);
        if (rc == 0)
            rc = avk_stage_one(ctx, def, fingerprint, fn, ud, doc, &err);
        if (rc)
            avk_error(&ctx->diag, "project %s: %s", ctx->projects.v[i],
                      err.msg);
        count(&t, rc);
        json_decref(doc);
        free(text);
        free(id);
        if (rc && !ctx->keep_going)
            return rc;
    }
    return finish(&t);
}

int avk_stage_run(avk_ctx *ctx, const avk_stage_def *def,
                  const char *fingerprint, avk_stage_fn fn, void *ud)
{
    avk_err err = {0, ""};
    tally t = {0, 0, 0};
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    ssize_t n;
    int rc;

    if ((rc = avk_ctx_open_store(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    if (ctx->projects.n)
        return run_projects(ctx, def, fingerprint, fn, ud);
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        json_t *doc = NULL;

        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        avk_err_clear(&err);
        if (n > AVK_DOC_MAX_LINE)
            rc = avk_fail(&err, AVK_EX_DATAERR, "line %ld: longer than %ld bytes",
                          lineno, AVK_DOC_MAX_LINE);
        else
            rc = avk_doc_parse(line, (size_t)n, lineno, &doc, &err);
        if (rc == 0 && (rc = avk_doc_validate(doc, &err)) != 0)
            avk_err_prefix(&err, "line %ld", lineno);
        if (rc == 0 &&
            (rc = avk_stage_one(ctx, def, fingerprint, fn, ud, doc, &err)) != 0)
            avk_err_prefix(&err, "line %ld", lineno);
        if (rc)
            avk_error(&ctx->diag, "%s", err.msg);
        count(&t, rc);
        json_decref(doc);
        if (rc && !ctx->keep_going)
            break;
    }
    free(line);
    if (ferror(stdin)) {
        avk_error(&ctx->diag, "cannot read standard input");
        return AVK_EX_IOERR;
    }
    return t.failed && !ctx->keep_going ? t.first_code : finish(&t);
}
