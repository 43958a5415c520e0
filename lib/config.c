/*
 * config.c - layered configuration (see config.h).
 */
#include "config.h"
#include "fsutil.h"
#include "workspace.h"
#include "yamljson.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern char **environ;

struct avk_config {
    json_t *root;    /* merged tree */
    json_t *sources; /* dotted key -> source string */
};

avk_config *avk_config_new_empty(void)
{
    avk_config *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    c->root = json_object();
    c->sources = json_object();
    if (!c->root || !c->sources) {
        avk_config_free(c);
        return NULL;
    }
    return c;
}

void avk_config_free(avk_config *c)
{
    if (!c)
        return;
    json_decref(c->root);
    json_decref(c->sources);
    free(c);
}

int avk_config_is_secret_key(const char *key)
{
    static const char *const words[] = {"key", "token", "secret", "password"};
    const char *last = strrchr(key, '.');
    size_t i;

    last = last ? last + 1 : key;
    for (i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(last, words[i]))
            return 1;
    return 0;
}

static int tree_has_secret(const json_t *v)
{
    const char *k;
    json_t *sub;

    if (!json_is_object(v))
        return 0;
    json_object_foreach((json_t *)v, k, sub) {
        if (avk_config_is_secret_key(k) && !json_is_object(sub) &&
            !json_is_null(sub))
            return 1;
        if (tree_has_secret(sub))
            return 1;
    }
    return 0;
}

int avk_config_check_perms(const char *path, const json_t *tree,
                           avk_err *err)
{
    struct stat st;

    if (stat(path, &st) != 0 || !tree_has_secret(tree))
        return 0;
    if (st.st_mode & 077)
        return avk_fail(err, AVK_EX_CONFIG,
                        "config file '%s' holds secrets and is readable by "
                        "others (mode %03o); fix it with: chmod 600 '%s'",
                        path, (unsigned)(st.st_mode & 0777), path);
    return 0;
}

static void record_sources(avk_config *c, const json_t *v, char *prefix,
                           size_t cap, const char *source)
{
    const char *k;
    json_t *sub;
    size_t len = strlen(prefix);

    json_object_foreach((json_t *)v, k, sub) {
        snprintf(prefix + len, cap - len, "%s%s", len ? "." : "", k);
        if (json_is_object(sub))
            record_sources(c, sub, prefix, cap, source);
        else
            json_object_set_new(c->sources, prefix, json_string(source));
        prefix[len] = '\0';
    }
}

/* Deep merge src into dst (objects merge, everything else replaces). */
static void deep_merge(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *sv;

    json_object_foreach((json_t *)src, k, sv) {
        json_t *dv = json_object_get(dst, k);
        if (json_is_object(dv) && json_is_object(sv))
            deep_merge(dv, sv);
        else
            json_object_set_new(dst, k, json_deep_copy(sv));
    }
}

int avk_config_merge_file(avk_config *c, const char *path, avk_err *err)
{
    json_t *tree = NULL;
    char prefix[512] = "";
    int rc;

    if (!avk_is_file(path))
        return 0;
    if (avk_yaml_load_file(path, &tree, err)) {
        if (err)
            err->code = AVK_EX_CONFIG;
        return AVK_EX_CONFIG;
    }
    if (!json_is_object(tree)) {
        json_decref(tree);
        return avk_fail(err, AVK_EX_CONFIG,
                        "config file '%s' must be a mapping", path);
    }
    if ((rc = avk_config_check_perms(path, tree, err))) {
        json_decref(tree);
        return rc;
    }
    deep_merge(c->root, tree);
    record_sources(c, tree, prefix, sizeof prefix, path);
    json_decref(tree);
    return 0;
}

int avk_config_set(avk_config *c, const char *key, const char *value,
                   const char *source)
{
    char *copy = strdup(key);
    char *part, *save = NULL, *next;
    json_t *node = c->root;

    if (!copy)
        return AVK_EX_OSERR;
    part = strtok_r(copy, ".", &save);
    while (part) {
        next = strtok_r(NULL, ".", &save);
        if (!next) {
            json_object_set_new(node, part, json_string(value));
            break;
        }
        {
            json_t *sub = json_object_get(node, part);
            if (!json_is_object(sub)) {
                sub = json_object();
                json_object_set_new(node, part, sub);
            }
            node = sub;
        }
        part = next;
    }
    free(copy);
    json_object_set_new(c->sources, key, json_string(source));
    return 0;
}

static void load_env(avk_config *c)
{
    static const struct {
        const char *var, *key;
    } known[] = {
        {"OPENAI_API_KEY", "openai.api_key"},
        {"ELEVENLABS_API_KEY", "elevenlabs.api_key"},
        {"STABILITY_API_KEY", "stability.api_key"},
        {"PEXELS_API_KEY", "pexels.api_key"},
        {"PIXABAY_API_KEY", "pixabay.api_key"},
        {"YOUTUBE_API_KEY", "youtube.api_key"},
    };
    char **e;
    size_t i;

    for (i = 0; i < sizeof known / sizeof *known; i++) {
        const char *v = getenv(known[i].var);
        char src[96];
        if (v && *v) {
            snprintf(src, sizeof src, "env %s", known[i].var);
            avk_config_set(c, known[i].key, v, src);
        }
    }
    for (e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        char key[256], src[300];
        size_t n, j;
        const char *sep;

        if (strncmp(*e, "AV_", 3) != 0 || !eq)
            continue;
        n = (size_t)(eq - *e);
        if (n >= sizeof key || !strncmp(*e, "AV_HOME=", 8) ||
            !strncmp(*e, "AV_DATADIR=", 11))
            continue;
        sep = memchr(*e + 3, '_', n - 3);
        if (!sep || sep == *e + 3 || sep == eq - 1)
            continue;
        for (j = 3; j < n; j++) {
            char ch = (*e)[j];
            key[j - 3] = (*e + j == sep) ? '.' : (char)tolower((unsigned char)ch);
        }
        key[n - 3] = '\0';
        snprintf(src, sizeof src, "env %.*s", (int)n, *e);
        avk_config_set(c, key, eq + 1, src);
    }
}

int avk_config_user_path(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");

    if (xdg && *xdg)
        snprintf(out, cap, "%s/av/config.yaml", xdg);
    else if (home && *home)
        snprintf(out, cap, "%s/.config/av/config.yaml", home);
    else
        return -1;
    return 0;
}

int avk_config_load(const char *ws_root, avk_config **out, avk_err *err)
{
    avk_config *c = avk_config_new_empty();
    char path[4096];
    int rc = 0;

    *out = NULL;
    if (!c)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (avk_config_user_path(path, sizeof path) == 0)
        rc = avk_config_merge_file(c, path, err);
    if (rc == 0 && ws_root) {
        char *p = avk_ws_path(ws_root, "config.yaml");
        rc = p ? avk_config_merge_file(c, p, err)
               : avk_fail(err, AVK_EX_OSERR, "out of memory");
        free(p);
    }
    if (rc) {
        avk_config_free(c);
        return rc;
    }
    load_env(c);
    *out = c;
    return 0;
}

const json_t *avk_config_node(const avk_config *c, const char *key)
{
    char part[256];
    const char *p = key;
    const json_t *node = c ? c->root : NULL;

    if (!key[0])
        return node;
    while (node && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof part)
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        node = json_object_get(node, part);
        p = dot ? dot + 1 : p + n;
    }
    return node;
}

const char *avk_config_str(const avk_config *c, const char *key,
                           const char *def)
{
    const json_t *n = avk_config_node(c, key);
    return json_is_string(n) ? json_string_value(n) : def;
}

double avk_config_num(const avk_config *c, const char *key, double def)
{
    const json_t *n = avk_config_node(c, key);

    if (json_is_number(n))
        return json_number_value(n);
    if (json_is_string(n)) {
        char *end;
        double d = strtod(json_string_value(n), &end);
        if (end != json_string_value(n) && *end == '\0')
            return d;
    }
    return def;
}

int avk_config_bool(const avk_config *c, const char *key, int def)
{
    const json_t *n = avk_config_node(c, key);

    if (json_is_boolean(n))
        return json_is_true(n);
    if (json_is_string(n)) {
        const char *s = json_string_value(n);
        if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes"))
            return 1;
        if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no"))
            return 0;
    }
    return def;
}

const char *avk_config_source(const avk_config *c, const char *key)
{
    return json_string_value(json_object_get(c->sources, key));
}
