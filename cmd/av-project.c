/*
 * av-project - create and look after av workspaces and their projects.
 *
 *   av-project init [DIR]
 *   av-project new TOPIC... | --from FILE|-
 *   av-project ls [--json]
 *   av-project show ID [--pretty]
 *   av-project rm ID...
 *   av-project export ID -o FILE.tar.gz
 *   av-project import FILE
 *   av-project gc [--dry-run]
 *   av-project stats [--json]
 *   av-project doctor [--online]
 *
 * Only this file prints; the work is done by lib/ modules.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "assets.h"
#include "cli.h"
#include "csv.h"
#include "doc.h"
#include "fsutil.h"
#include "hash.h"
#include "http.h"
#include "project.h"
#include "workspace.h"

#define PROG "av-project"
#define USAGE                                                                \
    PROG " init [DIR] | new TOPIC... | new --from FILE | ls | show ID |\n"   \
         "       rm ID... | export ID -o FILE | import FILE | gc | stats |\n" \
         "       doctor  [options]"

typedef struct opts {
    const char *from, *output, *lang, *aspect, *style, *voice, *template_;
    double duration;
    int json, pretty, dry_run, online;
} opts;

typedef int (*subcmd_fn)(avk_ctx *ctx, opts *o, const avk_args *a);

/* ---- init ---- */

static int cmd_init(avk_ctx *ctx, opts *o, const avk_args *a)
{
    const char *dir = a->n > 0 ? a->v[0] : (ctx->store_dir ? ctx->store_dir : ".");
    avk_err err = {0, ""};
    avk_store *s = NULL;
    int created = 0, rc;
    char *abs;

    (void)o;
    if (a->n > 1)
        return avk_fail(&err, AVK_EX_USAGE, "init takes one directory"),
               avk_usage_error(ctx, &err, USAGE);
    if ((rc = avk_ws_init(dir, &created, &err)) ||
        (rc = avk_store_open(dir, 1, &s, &err)))
        return avk_report(&ctx->diag, &err, rc);
    abs = avk_realpath(dir);
    avk_info(&ctx->diag, "%s workspace in %s/.av (schema %d)",
             created ? "created" : "reinitialised existing",
             abs ? abs : dir, avk_store_schema_version(s));
    free(abs);
    avk_store_close(s);
    return 0;
}

/* ---- new ---- */

static int new_one(avk_ctx *ctx, const opts *o, const char *topic,
                   const json_t *row_settings, avk_err *err)
{
    avk_format f;
    json_t *doc, *settings;
    const char *lang = o->lang, *aspect = o->aspect;
    int rc;

    if (row_settings) {
        const char *v;
        if ((v = json_string_value(json_object_get(row_settings, "lang"))))
            lang = v;
        if ((v = json_string_value(json_object_get(row_settings, "aspect"))))
            aspect = v;
    }
    if ((rc = avk_format_from_aspect(aspect, &f, err)))
        return rc;
    doc = avk_doc_new(NULL, topic, lang ? lang : "en", &f);
    if (!doc)
        return avk_fail(err, AVK_EX_DATAERR,
                        "topic or language is not valid UTF-8");
    settings = json_object();
    if (o->style)
        json_object_set_new(settings, "style", json_string(o->style));
    if (o->duration > 0)
        json_object_set_new(settings, "duration", json_real(o->duration));
    if (o->voice)
        json_object_set_new(settings, "voice", json_string(o->voice));
    if (o->template_)
        json_object_set_new(settings, "template", json_string(o->template_));
    if (row_settings)
        json_object_update(settings, (json_t *)row_settings);
    json_object_del(settings, "lang");
    json_object_del(settings, "aspect");
    if (json_object_size(settings))
        json_object_set_new(doc, "settings", settings);
    else
        json_decref(settings);
    rc = avk_project_check_settings(doc, err);
    if (rc == 0)
        rc = avk_doc_save(ctx, doc, "new", err);
    if (rc == 0)
        rc = avk_doc_print(doc, err);
    json_decref(doc);
    return rc;
}

static int new_from(avk_ctx *ctx, const opts *o, avk_err *err)
{
    avk_buf text;
    avk_project_batch batch;
    size_t i;
    int rc;

    avk_buf_init(&text);
    if (!strcmp(o->from, "-"))
        rc = avk_buf_read_fd(&text, 0) ? avk_fail(err, AVK_EX_IOERR,
                                                  "cannot read standard input")
                                       : 0;
    else
        rc = avk_read_file(o->from, &text, err);
    if (rc == 0)
        rc = avk_project_parse_batch(text.data ? text.data : "", text.len,
                                     o->from, &batch, err);
    avk_buf_release(&text);
    if (rc)
        return rc;
    for (i = 0; i < batch.n && rc == 0; i++) {
        rc = new_one(ctx, o, batch.items[i].topic, batch.items[i].settings,
                     err);
        if (rc)
            avk_err_prefix(err, "%s: line %ld", o->from, batch.items[i].line);
    }
    avk_project_batch_release(&batch);
    return rc;
}

static int cmd_new(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    size_t i;
    int rc;

    if ((o->from && a->n) || (!o->from && !a->n)) {
        avk_fail(&err, AVK_EX_USAGE,
                 "new needs a TOPIC or --from FILE (not both)");
        return avk_usage_error(ctx, &err, USAGE);
    }
    if ((rc = avk_ctx_open_store(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    if (o->from)
        rc = new_from(ctx, o, &err);
    for (i = 0; rc == 0 && i < a->n; i++) {
        if (!*a->v[i])
            rc = avk_fail(&err, AVK_EX_USAGE, "empty topic");
        else
            rc = new_one(ctx, o, a->v[i], NULL, &err);
    }
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

/* ---- ls, show, rm ---- */

static void print_cell(const char *s, int width)
{
    /* pad by characters, not bytes, so UTF-8 topics line up */
    int chars = 0;
    const unsigned char *p = (const unsigned char *)s;

    for (; *p && (width <= 0 || chars < width); p++) {
        if ((*p & 0xC0) != 0x80)
            chars++;
        if (width > 0 && chars > width)
            break;
        putchar(*p);
    }
    for (; p && *p && (*p & 0xC0) == 0x80; p++)
        putchar(*p);
    while (width > 0 && chars++ < width)
        putchar(' ');
}

static int cmd_ls(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    avk_project_row *rows = NULL;
    size_t n = 0, i;
    int rc;

    (void)a;
    if ((rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = avk_project_list(ctx->store, &rows, &n, &err)))
        return avk_report(&ctx->diag, &err, rc);
    if (!o->json)
        printf("%-12s %-12s %-5s %4s  %-20s  %s\n", "ID", "STATUS", "LANG",
               "RUNS", "UPDATED", "TOPIC");
    for (i = 0; i < n; i++) {
        if (o->json) {
            json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "id",
                                  rows[i].id, "topic", rows[i].topic, "lang",
                                  rows[i].lang, "status", rows[i].status,
                                  "runs", (json_int_t)rows[i].runs,
                                  "created_at", rows[i].created_at,
                                  "updated_at", rows[i].updated_at);
            rc = avk_doc_print(j, &err);
            json_decref(j);
            if (rc)
                break;
        } else {
            printf("%-12s %-12s %-5s %4lld  %-20s  ", rows[i].id,
                   rows[i].status, rows[i].lang, rows[i].runs,
                   rows[i].updated_at);
            print_cell(rows[i].topic, 0);
            putchar('\n');
        }
    }
    avk_project_rows_free(rows, n);
    if (rc)
        return avk_report(&ctx->diag, &err, rc);
    return fflush(stdout) == 0 ? 0 : AVK_EX_IOERR;
}

static int cmd_show(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    char *id = NULL, *text = NULL;
    size_t i;
    int rc = 0;

    if (a->n < 1) {
        avk_fail(&err, AVK_EX_USAGE, "show needs a project ID");
        return avk_usage_error(ctx, &err, USAGE);
    }
    if ((rc = avk_ctx_open_store(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    for (i = 0; rc == 0 && i < a->n; i++) {
        json_t *doc = NULL;
        rc = avk_project_resolve(ctx->store, a->v[i], &id, &err);
        if (rc == 0)
            rc = avk_project_get(ctx->store, id, &text, &err);
        if (rc == 0 && o->pretty) {
            doc = json_loads(text, 0, NULL);
            if (doc)
                json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            putchar('\n');
        } else if (rc == 0) {
            printf("%s\n", text);
        }
        json_decref(doc);
        free(id);
        free(text);
        id = text = NULL;
    }
    if (rc)
        return avk_report(&ctx->diag, &err, rc);
    return fflush(stdout) == 0 ? 0 : AVK_EX_IOERR;
}

static int cmd_rm(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    size_t i;
    int rc = 0;

    (void)o;
    if (a->n < 1) {
        avk_fail(&err, AVK_EX_USAGE, "rm needs a project ID");
        return avk_usage_error(ctx, &err, USAGE);
    }
    if ((rc = avk_ctx_open_store(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    for (i = 0; rc == 0 && i < a->n; i++) {
        char *id = NULL;
        rc = avk_project_resolve(ctx->store, a->v[i], &id, &err);
        if (rc == 0)
            rc = avk_project_delete(ctx->store, id, &err);
        if (rc == 0)
            avk_info(&ctx->diag, "removed project %s", id);
        free(id);
    }
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

/* ---- export, import ---- */

static int cmd_export(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    char *id = NULL;
    int rc;

    if (a->n != 1 || !o->output) {
        avk_fail(&err, AVK_EX_USAGE, "export needs one project ID and -o FILE");
        return avk_usage_error(ctx, &err, USAGE);
    }
    if ((rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = avk_project_resolve(ctx->store, a->v[0], &id, &err)) ||
        (rc = avk_project_export(ctx->store, id, o->output, &err))) {
        free(id);
        return avk_report(&ctx->diag, &err, rc);
    }
    avk_info(&ctx->diag, "exported project %s to %s", id, o->output);
    free(id);
    return 0;
}

static int cmd_import(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    char *id = NULL;
    size_t i;
    int rc = 0;

    (void)o;
    if (a->n < 1) {
        avk_fail(&err, AVK_EX_USAGE, "import needs a bundle FILE");
        return avk_usage_error(ctx, &err, USAGE);
    }
    if ((rc = avk_ctx_open_store(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    for (i = 0; rc == 0 && i < a->n; i++) {
        rc = avk_project_import(ctx->store, a->v[i], &id, &err);
        if (rc == 0) {
            printf("%s\n", id);
            avk_info(&ctx->diag, "imported project %s from %s", id, a->v[i]);
        }
        free(id);
        id = NULL;
    }
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

/* ---- gc, stats ---- */

static int cmd_gc(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    avk_gc_result r;
    int rc;

    (void)a;
    if ((rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = avk_project_gc(ctx->store, o->dry_run, &r, &err)))
        return avk_report(&ctx->diag, &err, rc);
    printf("%s %lld unreferenced asset%s (%lld bytes), kept %lld\n",
           o->dry_run ? "would remove" : "removed", r.removed,
           r.removed == 1 ? "" : "s", r.bytes, r.kept);
    return 0;
}

static int cmd_stats(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    json_t *st = NULL;
    int rc;

    (void)a;
    if ((rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = avk_project_stats(ctx->store, &st, &err)))
        return avk_report(&ctx->diag, &err, rc);
    if (o->json) {
        rc = avk_doc_print(st, &err);
    } else {
        const char *k;
        json_t *v;
        size_t i;
        printf("projects:");
        json_object_foreach(json_object_get(st, "projects"), k, v)
            printf(" %s=%lld", k, (long long)json_integer_value(v));
        printf("\n%-10s %-8s %6s %6s %6s %10s %10s %8s\n", "TOOL", "STAGE",
               "OK", "SKIP", "FAIL", "TOTAL_S", "MEAN_S", "COST");
        json_array_foreach(json_object_get(st, "stages"), i, v) {
            printf("%-10s %-8s %6lld %6lld %6lld %10.2f %10.2f %8.4f\n",
                   json_string_value(json_object_get(v, "tool")),
                   json_string_value(json_object_get(v, "stage")),
                   (long long)json_integer_value(json_object_get(v, "ok")),
                   (long long)json_integer_value(json_object_get(v, "skipped")),
                   (long long)json_integer_value(json_object_get(v, "failed")),
                   json_number_value(json_object_get(v, "total_s")),
                   json_number_value(json_object_get(v, "mean_s")),
                   json_number_value(json_object_get(v, "cost")));
        }
    }
    json_decref(st);
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

/* ---- doctor ---- */

static int cmd_doctor(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_check_list checks;
    size_t i;
    int fails = 0;

    (void)a;
    if (o->online && avk_http_global_init(NULL) != 0)
        return avk_report(&ctx->diag, NULL, AVK_EX_OSERR);
    avk_doctor_run(ctx->store_dir, o->online, &checks);
    if (o->online)
        avk_http_global_cleanup();
    for (i = 0; i < checks.n; i++) {
        const avk_check *c = &checks.v[i];
        printf("%-4s %-12s %s\n", c->level == AVK_CHECK_OK     ? "ok"
                                  : c->level == AVK_CHECK_WARN ? "warn"
                                                               : "FAIL",
               c->name, c->detail);
        if (c->level == AVK_CHECK_FAIL)
            fails++;
    }
    avk_check_list_release(&checks);
    fflush(stdout);
    return fails ? AVK_EX_UNAVAILABLE : 0;
}

/* ---- main ---- */

static const struct {
    const char *name;
    subcmd_fn fn;
    const char *summary;
} subcmds[] = {
    {"init", cmd_init, "create a workspace (.av/) in DIR or here"},
    {"new", cmd_new, "start projects and print their documents"},
    {"ls", cmd_ls, "list projects"},
    {"show", cmd_show, "print a project's document"},
    {"rm", cmd_rm, "remove projects (assets stay until gc)"},
    {"export", cmd_export, "write a project bundle (.tar.gz)"},
    {"import", cmd_import, "read a project bundle into this workspace"},
    {"gc", cmd_gc, "remove assets no project or cache entry uses"},
    {"stats", cmd_stats, "counts and durations of stage runs"},
    {"doctor", cmd_doctor, "check the workspace, configuration and system"},
};

static void help(FILE *f, const avk_opt *const *tables)
{
    size_t i;

    avk_opts_help(f, USAGE, "Create and look after av workspaces and projects.",
                  tables);
    fprintf(f, "\ncommands:\n");
    for (i = 0; i < sizeof subcmds / sizeof *subcmds; i++)
        fprintf(f, "  %-8s %s\n", subcmds[i].name, subcmds[i].summary);
}

int main(int argc, char **argv)
{
    avk_ctx ctx;
    opts o;
    avk_opt common[AVK_COMMON_NOPTS + 1];
    const avk_opt own[] = {
        {0, "from", AVK_OPT_STR, "FILE",
         "new: one project per line of FILE (- for stdin; CSV with header)",
         &o.from, "file", NULL, 0},
        {'o', "output", AVK_OPT_STR, "FILE", "export: the bundle to write",
         &o.output, "file", NULL, 0},
        {0, "lang", AVK_OPT_STR, "LANG", "new: language (default en)", &o.lang,
         NULL, NULL, 0},
        {0, "aspect", AVK_OPT_STR, "RATIO", "new: 9:16 (default), 1:1, 16:9 or 4:5",
         &o.aspect, "9:16|1:1|16:9|4:5", NULL, 0},
        {0, "style", AVK_OPT_STR, "STYLE", "new: script style setting",
         &o.style, "engaging|educational|funny|professional|story", NULL, 0},
        {0, "duration", AVK_OPT_DOUBLE, "SECONDS",
         "new: target length setting", &o.duration, NULL, NULL, 0},
        {0, "voice", AVK_OPT_STR, "NAME", "new: voice setting", &o.voice, NULL,
         NULL, 0},
        {0, "template", AVK_OPT_STR, "NAME", "new: render template setting",
         &o.template_, NULL, NULL, 0},
        {0, "json", AVK_OPT_FLAG, NULL, "ls, stats: JSON output", &o.json,
         NULL, NULL, 0},
        {0, "pretty", AVK_OPT_FLAG, NULL, "show: indented JSON", &o.pretty,
         NULL, NULL, 0},
        {'n', "dry-run", AVK_OPT_FLAG, NULL, "gc: only say what would go",
         &o.dry_run, NULL, NULL, 0},
        {0, "online", AVK_OPT_FLAG, NULL,
         "doctor: also measure each configured endpoint", &o.online, NULL,
         NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {own, common, NULL};
    avk_args args;
    avk_err err = {0, ""};
    const char *sub = NULL;
    size_t i;
    int rc, shifted = 0;

    memset(&o, 0, sizeof o);
    avk_ctx_init(&ctx, PROG);
    avk_common_opts(&ctx, common);
    rc = avk_opts_parse(tables, argc, argv, 1, &args, NULL, &err);
    if (rc) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    avk_ctx_apply(&ctx);
    if (args.help) {
        help(stdout, tables);
        goto out;
    }
    if (avk_handle_info(&args, PROG, USAGE, NULL, tables))
        goto out;
    if (args.n > 0) {
        sub = args.v[0];
        args.v++;
        args.n--;
        shifted = 1;
    }
    if (!sub) {
        avk_fail(&err, AVK_EX_USAGE, "no command given");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    for (i = 0; i < sizeof subcmds / sizeof *subcmds; i++)
        if (!strcmp(sub, subcmds[i].name))
            break;
    if (i == sizeof subcmds / sizeof *subcmds) {
        avk_fail(&err, AVK_EX_USAGE, "unknown command '%s'", sub);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    rc = subcmds[i].fn(&ctx, &o, &args);
out:
    if (shifted)
        args.v--;
    avk_args_release(&args);
    avk_ctx_release(&ctx);
    return rc;
}
