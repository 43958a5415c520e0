/*
 * project.c - batch input, asset garbage collection and statistics
 * (see project.h).  The doctor's checks are in doctor.c.
 */
#include "project.h"
#include "bundle.h"
#include "csv.h"
#include "doc.h"
#include "fsutil.h"
#include "workspace.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int add_item(avk_project_batch *b, const char *topic, json_t *settings,
                    long line)
{
    avk_batch_item *nv = realloc(b->items, (b->n + 1) * sizeof *nv);

    if (!nv)
        return AVK_EX_OSERR;
    b->items = nv;
    nv[b->n].topic = strdup(topic);
    nv[b->n].settings = settings;
    nv[b->n].line = line;
    if (!nv[b->n].topic)
        return AVK_EX_OSERR;
    b->n++;
    return 0;
}

static int looks_like_csv(const char *text, size_t len)
{
    size_t n = 0;
    char head[256];
    char *p;

    while (n < len && n < sizeof head - 1 && text[n] != '\n')
        n++;
    memcpy(head, text, n);
    head[n] = '\0';
    for (p = head; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return strstr(head, "topic") && strchr(head, ',');
}

static json_t *csv_value(const char *col, const char *v)
{
    char *end;
    double d;

    if (!strcmp(col, "duration") || !strcmp(col, "scenes") ||
        !strcmp(col, "seed")) {
        d = strtod(v, &end);
        if (end != v && *end == '\0')
            return json_real(d);
    }
    return json_string(v);
}

static int parse_csv(const char *text, size_t len, const char *name,
                     avk_project_batch *b, avk_err *err)
{
    avk_csv_row head, row;
    size_t pos = 0, i, topic_col = (size_t)-1;
    long line = 1;
    int rc;

    if ((rc = avk_csv_next(text, len, &pos, &head, err)))
        return rc == 1 ? 0 : rc;
    for (i = 0; i < head.n; i++) {
        char *h = trim(head.f[i]);
        char *p;
        for (p = h; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        if (!strcmp(h, "topic"))
            topic_col = i;
    }
    if (topic_col == (size_t)-1) {
        avk_csv_row_release(&head);
        return avk_fail(err, AVK_EX_DATAERR, "%s: no 'topic' column", name);
    }
    while ((rc = avk_csv_next(text, len, &pos, &row, err)) == 0) {
        json_t *settings;
        const char *topic;
        line++;
        if (row.n == 1 && !*trim(row.f[0])) {
            avk_csv_row_release(&row);
            continue;
        }
        if (row.n != head.n) {
            rc = avk_fail(err, AVK_EX_DATAERR,
                          "%s: line %ld: %zu fields, the header has %zu", name,
                          line, row.n, head.n);
            avk_csv_row_release(&row);
            break;
        }
        topic = trim(row.f[topic_col]);
        if (!*topic) {
            rc = avk_fail(err, AVK_EX_DATAERR, "%s: line %ld: empty topic",
                          name, line);
            avk_csv_row_release(&row);
            break;
        }
        settings = json_object();
        for (i = 0; i < head.n; i++) {
            const char *v = trim(row.f[i]);
            if (i != topic_col && *v && *head.f[i])
                json_object_set_new(settings, trim(head.f[i]),
                                    csv_value(trim(head.f[i]), v));
        }
        rc = add_item(b, topic, settings, line);
        avk_csv_row_release(&row);
        if (rc) {
            json_decref(settings);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
    }
    avk_csv_row_release(&head);
    if (rc == 1)
        rc = 0;
    else if (rc && !strstr(err ? err->msg : "", name))
        avk_err_prefix(err, "%s: line %ld", name, line + 1);
    return rc;
}

static int parse_lines(const char *text, size_t len, avk_project_batch *b,
                       avk_err *err)
{
    size_t pos = 0;
    long line = 0;

    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char *copy = strndup(text + pos, n);
        char *t;
        int rc = 0;

        line++;
        pos += n + (nl ? 1 : 0);
        if (!copy)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        t = trim(copy);
        if (*t && *t != '#')
            rc = add_item(b, t, NULL, line);
        free(copy);
        if (rc)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    return 0;
}

int avk_project_parse_batch(const char *text, size_t len, const char *name,
                            avk_project_batch *out, avk_err *err)
{
    int rc;

    out->items = NULL;
    out->n = 0;
    if (looks_like_csv(text, len))
        rc = parse_csv(text, len, name, out, err);
    else
        rc = parse_lines(text, len, out, err);
    if (rc)
        avk_project_batch_release(out);
    else if (out->n == 0)
        rc = avk_fail(err, AVK_EX_DATAERR, "%s: no topics", name);
    return rc;
}

void avk_project_batch_release(avk_project_batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        free(b->items[i].topic);
        json_decref(b->items[i].settings);
    }
    free(b->items);
    b->items = NULL;
    b->n = 0;
}

int avk_project_check_settings(const json_t *doc, avk_err *err)
{
    json_t *s = json_object_get(doc, "settings");
    double d = 0;
    int rc;

    if (!s)
        return 0;
    if ((rc = avk_opt_number(s, ".settings", "duration", &d, err)))
        return rc;
    if (json_object_get(s, "duration") && (d < 3 || d > 600))
        return avk_fail(err, AVK_EX_DATAERR,
                        ".settings.duration: %g s is outside 3..600", d);
    return 0;
}

/* ---- gc ---- */

typedef struct refs {
    char **v;
    size_t n, cap;
} refs;

static int refs_add(refs *r, const char *path)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        char **nv = realloc(r->v, cap * sizeof *nv);
        if (!nv)
            return AVK_EX_OSERR;
        r->v = nv;
        r->cap = cap;
    }
    if (!(r->v[r->n] = strdup(path)))
        return AVK_EX_OSERR;
    r->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect_cb(const json_t *a, const char *path, void *ud)
{
    const char *p = json_string_value(json_object_get(a, "path"));
    (void)path;
    return p ? refs_add(ud, p) : 0;
}

static int collect_refs(avk_store *s, refs *r, avk_err *err)
{
    avk_stmt *st;
    int rc;

    if ((rc = avk_stmt_prepare(s, "SELECT doc FROM projects", &st, err)))
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        json_t *doc = json_loads(avk_stmt_text(st, 0), 0, NULL);
        if (doc && avk_doc_each_asset(doc, collect_cb, r)) {
            json_decref(doc);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        json_decref(doc);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT value FROM cache WHERE kind = 'asset'",
                               &st, err)))
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        json_t *a = json_loads(avk_stmt_text(st, 0), 0, NULL);
        if (a && collect_cb(a, "", r)) {
            json_decref(a);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        json_decref(a);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if (r->n)
        qsort(r->v, r->n, sizeof *r->v, cmp_str);
    return 0;
}

static void sweep_dir(const char *root, const char *sub, const refs *r,
                      int dry_run, int tmp, avk_gc_result *res)
{
    char dirpath[4096];
    DIR *d;
    struct dirent *de;
    time_t now = time(NULL);

    snprintf(dirpath, sizeof dirpath, "%s/.av/assets/%s", root, sub);
    d = opendir(dirpath);
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        char rel[600], full[4800];
        const char *key = rel;
        struct stat st;

        if (de->d_name[0] == '.')
            continue;
        snprintf(rel, sizeof rel, ".av/assets/%s/%s", sub, de->d_name);
        snprintf(full, sizeof full, "%s/%s", root, rel);
        if (lstat(full, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (tmp ? (now - st.st_mtime < 3600)
                : (r->n && bsearch(&key, r->v, r->n, sizeof *r->v,
                                   cmp_str) != NULL)) {
            res->kept++;
            continue;
        }
        if (dry_run || unlink(full) == 0) {
            res->removed++;
            res->bytes += (long long)st.st_size;
        }
    }
    closedir(d);
}

int avk_project_gc(avk_store *s, int dry_run, avk_gc_result *res,
                   avk_err *err)
{
    refs r = {NULL, 0, 0};
    const char *root = avk_store_root(s);
    char assets[4096];
    DIR *d;
    struct dirent *de;
    size_t i;
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = collect_refs(s, &r, err)))
        goto out;
    snprintf(assets, sizeof assets, "%s/.av/assets", root);
    d = opendir(assets);
    if (d) {
        while ((de = readdir(d)) != NULL) {
            if (strlen(de->d_name) == 2 && de->d_name[0] != '.')
                sweep_dir(root, de->d_name, &r, dry_run, 0, res);
        }
        closedir(d);
    }
    sweep_dir(root, "tmp", &r, dry_run, 1, res);
    if (!dry_run) {
        avk_stmt *st;
        /* forget asset rows whose files are gone */
        if (avk_stmt_prepare(s, "SELECT sha256, path FROM assets", &st, NULL) ==
            0) {
            refs gone = {NULL, 0, 0};
            while (avk_stmt_step(st, NULL) == AVK_STMT_ROW) {
                char full[4800];
                snprintf(full, sizeof full, "%s/%s", root,
                         avk_stmt_text(st, 1));
                if (!avk_is_file(full))
                    refs_add(&gone, avk_stmt_text(st, 0));
            }
            avk_stmt_free(st);
            if (avk_stmt_prepare(s, "DELETE FROM assets WHERE sha256 = ?1",
                                 &st, NULL) == 0) {
                for (i = 0; i < gone.n; i++) {
                    avk_stmt_bind_text(st, 1, gone.v[i]);
                    avk_stmt_step(st, NULL);
                    avk_stmt_reset(st);
                }
                avk_stmt_free(st);
            }
            for (i = 0; i < gone.n; i++)
                free(gone.v[i]);
            free(gone.v);
        }
    }
out:
    for (i = 0; i < r.n; i++)
        free(r.v[i]);
    free(r.v);
    return rc;
}

/* ---- stats ---- */

int avk_project_stats(avk_store *s, json_t **out, avk_err *err)
{
    avk_stmt *st;
    json_t *projects = json_object(), *stages = json_array();
    int rc;

    *out = NULL;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT status, count(*) FROM projects GROUP BY "
                               "status ORDER BY status",
                               &st, err)))
        goto fail;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW)
        json_object_set_new(projects, avk_stmt_text(st, 0),
                            json_integer(avk_stmt_int(st, 1)));
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        goto fail;
    if ((rc = avk_stmt_prepare(
             s,
             "SELECT tool, stage, sum(status = 'ok'), sum(status = 'skipped'), "
             "sum(status = 'failed'), coalesce(sum(duration_ms), 0) / 1000.0, "
             "coalesce(avg(CASE WHEN status = 'ok' THEN duration_ms END), 0) "
             "/ 1000.0, coalesce(sum(cost), 0) FROM stage_runs GROUP BY tool, "
             "stage ORDER BY tool, stage",
             &st, err)))
        goto fail;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW)
        json_array_append_new(
            stages,
            json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f}", "tool",
                      avk_stmt_text(st, 0), "stage", avk_stmt_text(st, 1),
                      "ok", (json_int_t)avk_stmt_int(st, 2), "skipped",
                      (json_int_t)avk_stmt_int(st, 3), "failed",
                      (json_int_t)avk_stmt_int(st, 4), "total_s",
                      avk_stmt_double(st, 5), "mean_s", avk_stmt_double(st, 6),
                      "cost", avk_stmt_double(st, 7)));
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        goto fail;
    *out = json_pack("{s:o, s:o}", "projects", projects, "stages", stages);
    return *out ? 0 : avk_fail(err, AVK_EX_OSERR, "out of memory");
fail:
    json_decref(projects);
    json_decref(stages);
    return rc;
}

/* ---- bundles ---- */

typedef struct asset_list {
    avk_bundle_asset *v;
    size_t n;
} asset_list;

static int list_cb(const json_t *a, const char *path, void *ud)
{
    asset_list *l = ud;
    avk_bundle_asset *nv = realloc(l->v, (l->n + 1) * sizeof *nv);

    (void)path;
    if (!nv)
        return AVK_EX_OSERR;
    l->v = nv;
    nv[l->n].path = json_string_value(json_object_get(a, "path"));
    nv[l->n].sha256 = json_string_value(json_object_get(a, "sha256"));
    nv[l->n].bytes = (long long)json_number_value(json_object_get(a, "bytes"));
    l->n++;
    return 0;
}

int avk_project_export(avk_store *s, const char *id, const char *out_path,
                       avk_err *err)
{
    char *text = NULL;
    json_t *doc = NULL;
    asset_list l = {NULL, 0};
    int rc;

    if ((rc = avk_project_get(s, id, &text, err)))
        return rc;
    rc = avk_doc_parse(text, strlen(text), 1, &doc, err);
    if (rc == 0 && avk_doc_each_asset(doc, list_cb, &l))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (rc == 0)
        rc = avk_bundle_export(avk_store_root(s), text, l.v, l.n, out_path,
                               err);
    free(l.v);
    json_decref(doc);
    free(text);
    return rc;
}

typedef struct import_job {
    json_t *doc;
    const char *text;
} import_job;

static int register_cb(const json_t *a, const char *path, void *ud)
{
    (void)path;
    return avk_store_asset_add(
        ud, json_string_value(json_object_get(a, "sha256")),
        json_string_value(json_object_get(a, "path")),
        (long long)json_number_value(json_object_get(a, "bytes")),
        json_string_value(json_object_get(a, "type")), NULL);
}

static int import_tx(avk_store *s, void *ud, avk_err *err)
{
    import_job *j = ud;
    json_t *status = json_object_get(j->doc, "status");
    int rc = avk_project_put(s, avk_doc_id(j->doc), avk_doc_topic(j->doc),
                             avk_doc_lang(j->doc),
                             json_is_string(status) ? json_string_value(status)
                                                    : "imported",
                             j->text, err);

    if (rc == 0 && avk_doc_each_asset(j->doc, register_cb, s))
        rc = avk_fail(err, AVK_EX_SOFTWARE, "cannot register assets");
    return rc;
}

int avk_project_import(avk_store *s, const char *archive, char **id,
                       avk_err *err)
{
    struct avk_bundle_import im;
    import_job j = {NULL, NULL};
    char *line = NULL;
    int rc;

    *id = NULL;
    avk_bundle_import_init(&im);
    rc = avk_bundle_import(archive, avk_store_root(s), &im, err);
    if (rc == 0)
        rc = avk_doc_parse(im.doc_json, strlen(im.doc_json), 1, &j.doc, err);
    if (rc == 0 && (rc = avk_doc_validate(j.doc, err)) != 0)
        avk_err_prefix(err, "%s: document", archive);
    if (rc == 0) {
        line = avk_doc_dump(j.doc);
        j.text = line;
        rc = line ? avk_store_tx(s, import_tx, &j, err)
                  : avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if (rc == 0 && !(*id = strdup(avk_doc_id(j.doc))))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    free(line);
    json_decref(j.doc);
    avk_bundle_import_release(&im);
    return rc;
}
