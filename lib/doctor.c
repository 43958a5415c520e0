/*
 * doctor.c - the checks behind `av-project doctor`: workspace and schema,
 * configuration files and their permissions, libraries, fonts, free disk.
 * Each check is one line; later tools add their providers' checks here.
 */
#include "config.h"
#include "http.h"
#include "fsutil.h"
#include "paths.h"
#include "project.h"
#include "store.h"
#include "workspace.h"
#include "yamljson.h"

#include <fontconfig/fontconfig.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

void avk_check_add(avk_check_list *l, int level, const char *name,
                   const char *fmt, ...)
{
    avk_check *nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    va_list ap;

    if (!nv)
        return;
    l->v = nv;
    nv[l->n].level = level;
    snprintf(nv[l->n].name, sizeof nv[l->n].name, "%s", name);
    va_start(ap, fmt);
    vsnprintf(nv[l->n].detail, sizeof nv[l->n].detail, fmt, ap);
    va_end(ap);
    l->n++;
}

void avk_check_list_release(avk_check_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void check_workspace(const char *store_dir, avk_check_list *l,
                            char **root)
{
    avk_err err = {0, ""};
    avk_store *s = NULL;

    if (avk_ws_find(store_dir, root, &err)) {
        avk_check_add(l, AVK_CHECK_FAIL, "workspace", "%s", err.msg);
        return;
    }
    avk_check_add(l, AVK_CHECK_OK, "workspace", "%s", *root);
    if (avk_store_open(*root, 0, &s, &err)) {
        avk_check_add(l, AVK_CHECK_FAIL, "store", "%s", err.msg);
        return;
    }
    {
        avk_stmt *st;
        const char *res = "?";
        char buf[128] = "";
        if (avk_stmt_prepare(s, "PRAGMA quick_check", &st, NULL) == 0) {
            if (avk_stmt_step(st, NULL) == AVK_STMT_ROW)
                snprintf(buf, sizeof buf, "%s", avk_stmt_text(st, 0));
            avk_stmt_free(st);
            res = buf;
        }
        avk_check_add(l, strcmp(res, "ok") ? AVK_CHECK_FAIL : AVK_CHECK_OK,
                      "store", "schema %d of %d, integrity %s",
                      avk_store_schema_version(s), avk_store_latest_version(),
                      res);
    }
    avk_store_close(s);
}

static void check_config_file(const char *path, avk_check_list *l)
{
    json_t *tree = NULL;
    avk_err err = {0, ""};

    if (!avk_is_file(path)) {
        avk_check_add(l, AVK_CHECK_OK, "config", "%s (not present)", path);
        return;
    }
    if (avk_yaml_load_file(path, &tree, &err)) {
        avk_check_add(l, AVK_CHECK_FAIL, "config", "%s", err.msg);
        return;
    }
    if (avk_config_check_perms(path, tree, &err))
        avk_check_add(l, AVK_CHECK_FAIL, "config", "%s", err.msg);
    else
        avk_check_add(l, AVK_CHECK_OK, "config", "%s", path);
    json_decref(tree);
}

static void check_disk(const char *root, avk_check_list *l)
{
    struct statvfs v;
    double gib;

    if (statvfs(root, &v) != 0) {
        avk_check_add(l, AVK_CHECK_WARN, "disk", "cannot stat '%s'", root);
        return;
    }
    gib = (double)v.f_bavail * (double)v.f_frsize / (1024.0 * 1024 * 1024);
    avk_check_add(l, gib < 1.0 ? AVK_CHECK_WARN : AVK_CHECK_OK, "disk",
                  "%.1f GiB free in %s%s", gib, root,
                  gib < 1.0 ? " (renders need more)" : "");
}

/* The families captions and title cards fall back through. */
static void check_fonts(avk_check_list *l)
{
    static const char *const families[] = {
        "Noto Sans", "Noto Sans Arabic", "Noto Sans Devanagari",
        "Noto Sans CJK JP", "Noto Color Emoji"};
    char missing[256] = "";
    size_t i, found = 0;
    FcConfig *cfg = FcInitLoadConfigAndFonts();

    if (!cfg) {
        avk_check_add(l, AVK_CHECK_FAIL, "fonts", "fontconfig failed to load");
        return;
    }
    for (i = 0; i < sizeof families / sizeof *families; i++) {
        FcPattern *p = FcNameParse((const FcChar8 *)families[i]);
        FcFontSet *set;
        int ok = 0;
        if (!p)
            continue;
        set = FcFontList(cfg, p, NULL);
        ok = set && set->nfont > 0;
        if (set)
            FcFontSetDestroy(set);
        FcPatternDestroy(p);
        if (ok)
            found++;
        else
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing),
                     "%s'%s'", missing[0] ? ", " : "", families[i]);
    }
    FcConfigDestroy(cfg);
    if (missing[0])
        avk_check_add(l, AVK_CHECK_WARN, "fonts",
                      "%zu of %zu families found; missing %s (run make deps)",
                      found, sizeof families / sizeof *families, missing);
    else
        avk_check_add(l, AVK_CHECK_OK, "fonts",
                      "Noto Sans, Arabic, Devanagari, CJK and Color Emoji found");
}

/* Default endpoints of the providers that have one. */
static const struct {
    const char *section, *url;
} endpoints[] = {
    {"openai", "https://api.openai.com/v1"},
    {"elevenlabs", "https://api.elevenlabs.io"},
    {"stability", "https://api.stability.ai"},
    {"pexels", "https://api.pexels.com"},
    {"pixabay", "https://pixabay.com/api/"},
    {"youtube", "https://www.googleapis.com"},
    {"tiktok", "https://open.tiktokapis.com"},
    {"instagram", "https://graph.facebook.com"},
};

static void probe(const avk_http_opts *o, const char *name, const char *url,
                  avk_check_list *l)
{
    avk_http_req q;
    avk_http_resp r;
    avk_err err = {0, ""};
    int rc;

    avk_http_req_init(&q, "GET", url);
    q.max_attempts = 1;
    rc = avk_http_do(o, &q, &r, &err);
    if (rc == 0)
        avk_check_add(l, AVK_CHECK_OK, "online", "%s: %s answers (HTTP %ld in %lld ms)",
                      name, r.url ? r.url : url, r.status, r.ms);
    else
        avk_check_add(l, AVK_CHECK_FAIL, "online", "%s: %s", name, err.msg);
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
}

/* Measure each configured provider's endpoint: every config section with
 * a base_url, and those with an api_key and a known default endpoint. */
static void check_online(const char *root, avk_check_list *l)
{
    avk_config *cfg = NULL;
    avk_err err = {0, ""};
    avk_http_opts o = avk_http_opts_default();
    const json_t *tree;
    const char *k;
    json_t *v;
    size_t i;
    int n = 0;

    if (avk_config_load(root, &cfg, &err) ||
        avk_http_opts_config(&o, cfg, &err)) {
        avk_check_add(l, AVK_CHECK_FAIL, "online", "%s", err.msg);
        avk_config_free(cfg);
        return;
    }
    o.connect_timeout_ms = 5000;
    o.reply_timeout_ms = 10000;
    o.timeout_ms = 15000;
    tree = avk_config_node(cfg, "");
    json_object_foreach((json_t *)tree, k, v) {
        const char *url = json_string_value(json_object_get(v, "base_url"));
        if (!json_is_object(v))
            continue;
        for (i = 0; !url && i < sizeof endpoints / sizeof *endpoints; i++)
            if (!strcmp(endpoints[i].section, k) && json_object_get(v, "api_key"))
                url = endpoints[i].url;
        if (!url)
            continue;
        probe(&o, k, url, l);
        n++;
    }
    if (n == 0)
        avk_check_add(l, AVK_CHECK_OK, "online",
                      "no network provider configured (all offline)");
    avk_config_free(cfg);
}

void avk_doctor_run(const char *store_dir, int online, avk_check_list *l)
{
    char *root = NULL;
    char user[4096];
    char *data;

    l->v = NULL;
    l->n = 0;
    check_workspace(store_dir, l, &root);
    if (avk_config_user_path(user, sizeof user) == 0)
        check_config_file(user, l);
    if (root) {
        char *p = avk_ws_path(root, "config.yaml");
        if (p)
            check_config_file(p, l);
        free(p);
        check_disk(root, l);
    }
    data = avk_datadir();
    if (data) {
        char t[4200];
        snprintf(t, sizeof t, "%s/templates", data);
        avk_check_add(l, avk_is_dir(t) ? AVK_CHECK_OK : AVK_CHECK_FAIL,
                      "data", "%s%s", data,
                      avk_is_dir(t) ? "" : " (templates missing; set AV_DATADIR)");
        free(data);
    }
    avk_check_add(l, AVK_CHECK_OK, "libraries",
                  "sqlite %s, jansson %s, libyaml %s, %s", avk_store_lib_version(),
                  JANSSON_VERSION, avk_yaml_lib_version(),
                  OpenSSL_version(OPENSSL_VERSION));
    check_fonts(l);
    if (online)
        check_online(root, l);
    free(root);
}
