/*
 * scriptgen.c - the offline script writer (see scriptgen.h and
 * share/templates/scripts/README.md).
 *
 * Invariants:
 *  - every template string is checked when it is loaded: braces balance
 *    and every {slot|filter} is known, so rendering can never leave a
 *    placeholder in the output; a line whose slot has no value for this
 *    topic is simply not a candidate;
 *  - slot values are inserted in one pass and never re-scanned, so a
 *    topic containing braces, quotes, % or $ passes through unchanged;
 *  - all choices come from one splitmix64 stream seeded from the request,
 *    consumed in a fixed order: same request, same bytes;
 *  - no template line and no rendered sentence is used twice in a script.
 */
#include "scriptgen.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fsutil.h"
#include "hash.h"
#include "knowledge.h"
#include "wording.h"
#include "yamljson.h"

static const char *const styles[] = {"engaging",     "educational", "funny",
                                     "professional", "story",       NULL};
static const char *const slot_names[] = {
    "topic",    "subject",    "things",       "thing",     "goal",
    "audience", "n",          "n_word",       "i",         "i_word",
    "ordinal",  "item_title", "item_summary", "item_more", "item_source",
    "keywords", "point",      "point_text",   "point_more", "myth",
    "fact",     NULL};
static const char *const filter_names[] = {"cap", "a", "opt", "none", NULL};

/* ------------------------------------------------------------------ */
/* PRNG                                                                */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return n ? (size_t)(rng_next(s) % n) : 0;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* ------------------------------------------------------------------ */
/* Templates                                                           */

static int json_int(const json_t *o, const char *key, int dflt);

struct tpl {
    json_t *root;
    char *path;
    const char *format;
    const char *lang;
    const char *needs; /* "" or what a knowledge pack must supply:
                          items | steps | myths */
    int priority;
};

struct tplset {
    struct tpl *v;
    size_t n, cap;
};

static void tplset_release(struct tplset *s)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        json_decref(s->v[i].root);
        free(s->v[i].path);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int in_names(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && strncmp(*list, s, n) == 0)
            return 1;
    return 0;
}

/* Check one template string's placeholders. */
static int check_string(const char *path, const char *s, avk_err *err)
{
    const char *p = s;

    while (*p) {
        if (p[0] == '{' && p[1] == '{') {
            p += 2;
            continue;
        }
        if (p[0] == '}' && p[1] == '}') {
            p += 2;
            continue;
        }
        if (*p == '}')
            return avk_fail(err, AVK_EX_CONFIG,
                            "'%s': unbalanced '}' in \"%s\" (write }} for a "
                            "literal brace)",
                            path, s);
        if (*p == '$')
            return avk_fail(err, AVK_EX_CONFIG,
                            "'%s': '$' in \"%s\" looks like a placeholder; "
                            "slots are written {name}",
                            path, s);
        if (*p == '{') {
            const char *end = strchr(p, '}'), *q, *bar;
            if (!end)
                return avk_fail(err, AVK_EX_CONFIG,
                                "'%s': unclosed '{' in \"%s\"", path, s);
            q = p + 1;
            bar = memchr(q, '|', (size_t)(end - q));
            if (!in_names(slot_names, q, (size_t)((bar ? bar : end) - q)))
                return avk_fail(err, AVK_EX_CONFIG,
                                "'%s': unknown slot '%.*s' in \"%s\"", path,
                                (int)((bar ? bar : end) - q), q, s);
            while (bar) {
                const char *f = bar + 1,
                           *nb = memchr(f, '|', (size_t)(end - f));
                if (!in_names(filter_names, f, (size_t)((nb ? nb : end) - f)))
                    return avk_fail(err, AVK_EX_CONFIG,
                                    "'%s': unknown filter '%.*s' in \"%s\"",
                                    path, (int)((nb ? nb : end) - f), f, s);
                bar = nb;
            }
            p = end + 1;
            continue;
        }
        p++;
    }
    return 0;
}

static int check_tree(const char *path, const json_t *node, avk_err *err)
{
    size_t i;
    const char *key;
    json_t *v;
    int rc;

    if (json_is_string(node))
        return check_string(path, json_string_value(node), err);
    if (json_is_array(node)) {
        json_array_foreach(node, i, v) if ((rc = check_tree(path, v, err)) !=
                                           0) return rc;
        return 0;
    }
    if (json_is_object(node)) {
        json_object_foreach((json_t *)node, key,
                            v) if ((rc = check_tree(path, v, err)) !=
                                   0) return rc;
    }
    return 0;
}

static int load_template(struct tplset *set, const char *path, avk_err *err)
{
    json_t *root = NULL, *body;
    const char *format, *lang, *needs;
    struct tpl *t;
    size_t i;
    int rc;

    if ((rc = avk_yaml_load_file(path, &root, err)) != 0) {
        if (rc != AVK_EX_DATAERR)
            return rc;
        if (err)
            err->code = AVK_EX_CONFIG; /* a broken template is configuration */
        return AVK_EX_CONFIG;
    }
    if (avk_kpack_is_pack(root)) {
        json_decref(root); /* a knowledge pack sharing the folder */
        return 0;
    }
    if (!json_is_object(root) ||
        !json_is_string(json_object_get(root, "format")) ||
        !json_is_string(json_object_get(root, "lang"))) {
        json_decref(root);
        return avk_fail(err, AVK_EX_CONFIG,
                        "'%s': a script template needs 'format' and 'lang'",
                        path);
    }
    format = json_string_value(json_object_get(root, "format"));
    lang = json_string_value(json_object_get(root, "lang"));
    needs = json_string_value(json_object_get(root, "needs"));
    if (!needs)
        needs = "";
    if (*needs && strcmp(needs, "items") != 0 && strcmp(needs, "steps") != 0 &&
        strcmp(needs, "myths") != 0) {
        json_decref(root);
        return avk_fail(err, AVK_EX_CONFIG,
                        "'%s': 'needs' is items, steps or myths, not '%s'",
                        path, needs);
    }
    body = json_object_get(root, "body");
    if (strcmp(format, "common") != 0 &&
        (!json_is_object(body) ||
         !json_is_array(json_object_get(body, "units")) ||
         json_array_size(json_object_get(body, "units")) == 0)) {
        json_decref(root);
        return avk_fail(err, AVK_EX_CONFIG,
                        "'%s': 'body' needs a non-empty 'units' list", path);
    }
    if ((rc = check_tree(path, root, err)) != 0) {
        json_decref(root);
        return rc;
    }
    for (i = 0; i < set->n; i++)
        if (strcmp(set->v[i].format, format) == 0 &&
            strcmp(set->v[i].lang, lang) == 0 &&
            strcmp(set->v[i].needs, needs) == 0) {
            json_decref(root); /* an earlier directory overrides this one */
            return 0;
        }
    if (set->n == set->cap) {
        size_t nc = set->cap ? set->cap * 2 : 16;
        struct tpl *v = realloc(set->v, nc * sizeof *v);
        if (!v) {
            json_decref(root);
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
        set->v = v;
        set->cap = nc;
    }
    t = &set->v[set->n];
    t->root = root;
    t->path = strdup(path);
    if (!t->path) {
        json_decref(root);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    t->format = format;
    t->lang = lang;
    t->needs = needs;
    t->priority = json_int(root, "priority", 0);
    set->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted *.yaml / *.yml names in dir (a NULL-terminated array the
 * caller frees with free_names), or NULL with *n = 0 when dir cannot be
 * opened.  Returns 0 or AVK_EX_OSERR. */
static void free_names(char **names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int yaml_names(const char *dir, char ***out, size_t *nout)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *nout = 0;
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' ||
            !((len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0) ||
              (len > 4 && strcmp(de->d_name + len - 4, ".yml") == 0)))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **v = realloc(names, nc * sizeof *v);
            if (!v)
                goto oom;
            names = v;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto oom;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *nout = n;
    return 0;
oom:
    closedir(d);
    free_names(names, n);
    return AVK_EX_OSERR;
}

int avk_script_templates_digest(const char *const *dirs, size_t ndirs,
                                char hex[65], avk_err *err)
{
    avk_buf all;
    size_t i, j;
    int rc = 0;

    avk_buf_init(&all);
    for (i = 0; i < ndirs && rc == 0; i++) {
        char **names;
        size_t n;
        if (yaml_names(dirs[i], &names, &n) != 0) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        for (j = 0; j < n && rc == 0; j++) {
            char *path = avk_path_join(dirs[i], names[j]);
            avk_buf file;
            avk_buf_init(&file);
            if (!path)
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            else if (avk_is_file(path) &&
                     (rc = avk_read_file(path, &file, err)) == 0 &&
                     (avk_buf_printf(&all, "%zu:%s\n%zu:", i, names[j],
                                     file.len) != 0 ||
                      avk_buf_add(&all, file.data ? file.data : "", file.len) !=
                          0))
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            avk_buf_release(&file);
            free(path);
        }
        free_names(names, n);
    }
    if (rc == 0 && avk_sha256_hex(all.data ? all.data : "", all.len, hex) != 0)
        rc = avk_fail(err, AVK_EX_OSERR, "cannot hash the templates");
    avk_buf_release(&all);
    return rc;
}

static int load_dir(struct tplset *set, const char *dir, avk_err *err)
{
    char **names;
    size_t n, i;
    int rc = 0;

    if (yaml_names(dir, &names, &n) != 0)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (i = 0; i < n && rc == 0; i++) {
        char *path = avk_path_join(dir, names[i]);
        if (!path) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        if (avk_is_file(path))
            rc = load_template(set, path, err); /* a missing dir adds nothing */
        free(path);
    }
    free_names(names, n);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Generation state                                                    */

struct sent {
    char *text;
    int words;
    const json_t *var; /* template line it came from */
    int transition;
    int own; /* a line of the unit itself, not of the shared pool */
    int ord; /* its place in the template, to speak own lines in order */
    int note; /* the knowledge pack's note: spoken right before the cta */
};

enum { U_OPEN, U_BODY, U_CLOSE };

struct unit {
    int role;
    int k;              /* body: 1..U */
    const json_t *spec; /* body: the unit's template object */
    struct sent lead;   /* hook, body lead or cta */
    struct sent trans;  /* optional transition before a body lead */
    struct sent *more;  /* chosen optional lines, in order */
    size_t nmore;
    struct sent *cand; /* optional lines not chosen yet */
    size_t ncand;
    int words;
    double weight;
};

struct item {
    char *title, *summary, *more, *source;
};

struct slots {
    char n[16], i[16];
    const char *n_word, *i_word, *ordinal;
    const struct item *item;
    const avk_kpoint *point; /* the unit's knowledge-pack point */
    const char *keywords;
};

struct gen {
    const avk_script_req *req;
    avk_topic topic;
    const char *lang;
    const char *style;
    const struct tpl *tpl, *common;
    uint64_t rng;
    const json_t **used_var;
    size_t nused_var, cap_var;
    char **used_text;
    size_t nused_text, cap_text;
    struct item *items;
    size_t nitems;
    avk_kbase kb;
    const avk_kpack *pack;     /* the best matching pack, or NULL */
    const avk_kpoint **points; /* the chosen template's points, in order */
    size_t npoints;
    struct unit *units;
    size_t nunits;
    struct slots sl;
    int hi; /* the most words the script may have */
    avk_err *err;
};

static void sent_free(struct sent *s)
{
    free(s->text);
    memset(s, 0, sizeof *s);
}

static void units_free(struct gen *g)
{
    size_t i, j;
    for (i = 0; i < g->nunits; i++) {
        struct unit *u = &g->units[i];
        sent_free(&u->lead);
        sent_free(&u->trans);
        for (j = 0; j < u->nmore; j++)
            sent_free(&u->more[j]);
        for (j = 0; j < u->ncand; j++)
            sent_free(&u->cand[j]);
        free(u->more);
        free(u->cand);
    }
    free(g->units);
    g->units = NULL;
    g->nunits = 0;
}

static void used_reset(struct gen *g)
{
    size_t i;
    for (i = 0; i < g->nused_text; i++)
        free(g->used_text[i]);
    g->nused_text = 0;
    g->nused_var = 0;
}

static void gen_release(struct gen *g)
{
    size_t i;
    units_free(g);
    used_reset(g);
    free(g->used_text);
    free(g->used_var);
    for (i = 0; g->items && i <= g->nitems; i++) {
        free(g->items[i].title);
        free(g->items[i].summary);
        free(g->items[i].more);
        free(g->items[i].source);
    }
    free(g->items);
    free(g->points);
    avk_kbase_release(&g->kb);
    avk_topic_release(&g->topic);
}

static int var_used(const struct gen *g, const json_t *v)
{
    size_t i;
    for (i = 0; i < g->nused_var; i++)
        if (g->used_var[i] == v)
            return 1;
    return 0;
}

static int text_used(const struct gen *g, const char *s)
{
    size_t i;
    for (i = 0; i < g->nused_text; i++)
        if (strcasecmp(g->used_text[i], s) == 0)
            return 1;
    return 0;
}

/* Does a line depend on the unit it is used in ({i}, {item_title}...)?
 * Such a line may serve every unit; any other line serves one. */
static int per_unit(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && (strstr(s, "{i") || strstr(s, "{ordinal") ||
                 strstr(s, "{point") || strstr(s, "{myth") ||
                 strstr(s, "{fact"));
}

static int mark_used(struct gen *g, const json_t *v, const char *text)
{
    if (per_unit(v))
        v = NULL;
    if (g->nused_var == g->cap_var) {
        size_t nc = g->cap_var ? g->cap_var * 2 : 64;
        const json_t **p = realloc(g->used_var, nc * sizeof *p);
        if (!p)
            return AVK_EX_OSERR;
        g->used_var = p;
        g->cap_var = nc;
    }
    g->used_var[g->nused_var++] = v;
    if (g->nused_text == g->cap_text) {
        size_t nc = g->cap_text ? g->cap_text * 2 : 64;
        char **p = realloc(g->used_text, nc * sizeof *p);
        if (!p)
            return AVK_EX_OSERR;
        g->used_text = p;
        g->cap_text = nc;
    }
    if (!(g->used_text[g->nused_text] = strdup(text)))
        return AVK_EX_OSERR;
    g->nused_text++;
    return 0;
}

/* The list of lines for key in obj for the current style: the `any`
 * lines plus the style's own, or the plain list.  Appends the line
 * nodes to out (borrowed).  Returns how many. */
static size_t lines_of(const json_t *node, const char *style,
                       const json_t **out, size_t max)
{
    size_t n = 0, i;
    json_t *v;
    const json_t *parts[2];
    int k;

    if (!node)
        return 0;
    if (json_is_string(node)) {
        if (max > 0)
            out[n++] = node;
        return n;
    }
    if (json_is_array(node)) {
        json_array_foreach(node, i, v) if (json_is_string(v) && n < max)
            out[n++] = v;
        return n;
    }
    if (!json_is_object(node))
        return 0;
    parts[0] = json_object_get(node, "any");
    parts[1] = json_object_get(node, style);
    for (k = 0; k < 2; k++)
        n += lines_of(parts[k], style, out + n, max - n);
    return n;
}

/* A template list by key, falling back to the language's common file. */
static const json_t *tpl_get(const struct gen *g, const char *key)
{
    const json_t *v = json_object_get(g->tpl->root, key);
    if (!v && g->common)
        v = json_object_get(g->common->root, key);
    return v;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */

static const char *slot_value(const struct gen *g, const struct slots *sl,
                              const char *name, size_t n)
{
    const avk_topic *t = &g->topic;
#define IS(s) (n == strlen(s) && strncmp(name, s, n) == 0)
    if (IS("topic"))
        return t->topic;
    if (IS("subject"))
        return t->subject;
    if (IS("things"))
        return t->things;
    if (IS("thing"))
        return t->thing;
    if (IS("goal"))
        return t->goal;
    if (IS("audience"))
        return t->audience;
    if (IS("n"))
        return sl->n;
    if (IS("n_word"))
        return sl->n_word;
    if (IS("i"))
        return sl->i;
    if (IS("i_word"))
        return sl->i_word;
    if (IS("ordinal"))
        return sl->ordinal;
    if (IS("item_title"))
        return sl->item ? sl->item->title : NULL;
    if (IS("item_summary"))
        return sl->item ? sl->item->summary : NULL;
    if (IS("item_more"))
        return sl->item ? sl->item->more : NULL;
    if (IS("item_source"))
        return sl->item ? sl->item->source : NULL;
    if (IS("keywords"))
        return sl->keywords;
    if (IS("point") || IS("myth"))
        return sl->point ? sl->point->name : NULL;
    if (IS("point_text") || IS("fact"))
        return sl->point ? sl->point->text : NULL;
    if (IS("point_more"))
        return sl->point ? sl->point->more : NULL;
#undef IS
    return NULL;
}

/* Render a template line.  Returns 0 with *out a new string, 1 when a
 * slot has no value for this topic (the line is not usable), or
 * AVK_EX_OSERR. */
static int render(const struct gen *g, const struct slots *sl, const char *tpl,
                  char **out)
{
    avk_buf b;
    const char *p = tpl;
    int rc = 0;

    *out = NULL;
    avk_buf_init(&b);
    while (*p && rc == 0) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            rc = avk_buf_addc(&b, p[0]);
            p += 2;
        } else if (*p == '{') {
            const char *end = strchr(p, '}'), *name = p + 1, *bar;
            const char *val;
            char *cur = NULL;
            bar = memchr(name, '|', (size_t)(end - name));
            val = slot_value(g, sl, name, (size_t)((bar ? bar : end) - name));
            {
                /* {slot|none}: a line only for when the slot is empty */
                const char *o = bar;
                while (o && !(strncmp(o, "|none", 5) == 0 &&
                              (o[5] == '|' || o[5] == '}')))
                    o = memchr(o + 1, '|', (size_t)(end - o - 1));
                if (o) {
                    if (val && *val) {
                        avk_buf_release(&b);
                        return 1;
                    }
                    p = end + 1;
                    continue;
                }
            }
            if (!val || !*val) {
                /* {slot|opt}: an empty slot just leaves nothing */
                const char *o = bar;
                while (o && !(strncmp(o, "|opt", 4) == 0 &&
                              (o[4] == '|' || o[4] == '}')))
                    o = memchr(o + 1, '|', (size_t)(end - o - 1));
                if (!o) {
                    avk_buf_release(&b);
                    return 1;
                }
                p = end + 1;
                continue;
            }
            {
                /* the topic's own first word, mid-sentence: "about the
                 * story of ...", not "about The story of ..." */
                size_t nl = (size_t)((bar ? bar : end) - name);
                int lead = b.len == 0 || strchr(".!?", b.data[b.len - 1]) ||
                           (b.len >= 2 && b.data[b.len - 1] == ' ' &&
                            strchr(".!?", b.data[b.len - 2]));
                int own_words = (nl == 5 && strncmp(name, "topic", 5) == 0) ||
                                (nl == 7 && strncmp(name, "subject", 7) == 0) ||
                                (nl == 6 && strncmp(name, "things", 6) == 0) ||
                                (nl == 4 && strncmp(name, "goal", 4) == 0);
                cur = own_words && !lead ? avk_lower_lead(g->lang, val)
                                         : strdup(val);
            }
            if (!cur)
                rc = AVK_EX_OSERR;
            while (rc == 0 && bar) {
                const char *f = bar + 1,
                           *nb = memchr(f, '|', (size_t)(end - f));
                size_t fn = (size_t)((nb ? nb : end) - f);
                char *next = NULL;
                if (fn == 3 && strncmp(f, "cap", 3) == 0)
                    next = avk_capitalise(cur);
                else if (fn == 3 && strncmp(f, "opt", 3) == 0)
                    next = strdup(cur);
                else if (fn == 1 && f[0] == 'a') {
                    const char *art = avk_article(cur);
                    size_t need = strlen(art) + strlen(cur) + 2;
                    if ((next = malloc(need)) != NULL)
                        snprintf(next, need, "%s %s", art, cur);
                }
                free(cur);
                cur = next;
                if (!cur)
                    rc = AVK_EX_OSERR;
                bar = nb;
            }
            if (rc == 0)
                rc = avk_buf_adds(&b, cur);
            p = end + 1;
            /* "Is it true?." -> "Is it true?" */
            if (rc == 0 && *p == '.' && cur && *cur &&
                strchr(".!?", cur[strlen(cur) - 1]))
                p++;
            free(cur);
        } else {
            rc = avk_buf_addc(&b, *p);
            p++;
        }
    }
    if (rc != 0) {
        avk_buf_release(&b);
        return AVK_EX_OSERR;
    }
    while (b.len > 0 && b.data[b.len - 1] == ' ')
        b.data[--b.len] = '\0'; /* an empty {slot|opt} at the end */
    *out = avk_buf_detach(&b);
    return *out ? 0 : AVK_EX_OSERR;
}

/* Pick one line.  shortest: the fewest words (ties by the PRNG);
 * otherwise uniformly among usable lines, preferring lines and texts not
 * used yet.  Returns 0 (s filled), 1 (nothing usable) or AVK_EX_OSERR. */
static int pick_pref(struct gen *g, const struct slots *sl, const json_t *node,
                     int shortest, int *pref, struct sent *s);

static int pick(struct gen *g, const struct slots *sl, const json_t *node,
                int shortest, struct sent *s)
{
    return pick_pref(g, sl, node, shortest, NULL, s);
}

/* pick, but if *pref >= 0 and that line is usable, take it; *pref is
 * set to the index taken, so that parallel lists keep one form
 * ("Step one", "Step two" rather than "Step one", "Second"). */
static int pick_pref(struct gen *g, const struct slots *sl, const json_t *node,
                     int shortest, int *pref, struct sent *s)
{
    const json_t *lines[256];
    char *texts[256];
    int words[256];
    size_t n = lines_of(node, g->style, lines, 256), i, nok = 0, choice;
    size_t okidx[256];
    int pass, rc = 0;

    memset(s, 0, sizeof *s);
    memset(texts, 0, sizeof texts);
    for (i = 0; i < n; i++) {
        rc = render(g, sl, json_string_value(lines[i]), &texts[i]);
        if (rc == AVK_EX_OSERR)
            goto out;
        words[i] = texts[i] ? avk_count_words(texts[i]) : 0;
    }
    rc = 0;
    for (pass = 0; pass < 2 && nok == 0; pass++)
        for (i = 0; i < n; i++)
            if (texts[i] && !text_used(g, texts[i]) &&
                (pass == 1 || !var_used(g, lines[i])))
                okidx[nok++] = i;
    if (nok == 0) {
        rc = 1;
        goto out;
    }
    if (pref && *pref >= 0 && (size_t)*pref < n) {
        for (i = 0; i < nok; i++)
            if (okidx[i] == (size_t)*pref)
                break;
        if (i < nok) {
            choice = okidx[i];
            goto chosen;
        }
    }
    if (shortest) {
        int best = -1;
        size_t nb = 0, ties[256] = {0};
        for (i = 0; i < nok; i++)
            if (best < 0 || words[okidx[i]] < best)
                best = words[okidx[i]];
        for (i = 0; i < nok; i++)
            if (words[okidx[i]] == best)
                ties[nb++] = okidx[i];
        choice = ties[rng_below(&g->rng, nb)];
    } else
        choice = okidx[rng_below(&g->rng, nok)];
    if (pref)
        *pref = (int)choice;
chosen:
    s->text = texts[choice];
    texts[choice] = NULL;
    s->words = words[choice];
    s->var = lines[choice];
    if (mark_used(g, s->var, s->text) != 0)
        rc = AVK_EX_OSERR;
out:
    for (i = 0; i < n; i++)
        free(texts[i]);
    return rc;
}

/* Render all usable lines of node as candidates of unit u. */
static int add_cands(struct gen *g, const struct slots *sl, struct unit *u,
                     const json_t *node, int transition, int own)
{
    const json_t *lines[256];
    size_t n = lines_of(node, g->style, lines, 256), i;

    for (i = 0; i < n; i++) {
        char *t = NULL;
        int rc = render(g, sl, json_string_value(lines[i]), &t);
        struct sent *c;
        if (rc == AVK_EX_OSERR)
            return rc;
        if (rc == 1)
            continue;
        c = realloc(u->cand, (u->ncand + 1) * sizeof *c);
        if (!c) {
            free(t);
            return AVK_EX_OSERR;
        }
        u->cand = c;
        c = &u->cand[u->ncand++];
        c->text = t;
        c->words = avk_count_words(t);
        c->var = lines[i];
        c->transition = transition;
        c->own = own;
        c->ord = (int)i;
    }
    return 0;
}

static void slots_for_unit(struct gen *g, struct slots *sl, int k, int total)
{
    memset(sl, 0, sizeof *sl);
    snprintf(sl->n, sizeof sl->n, "%d", total);
    sl->n_word = avk_number_word(g->lang, total);
    if (!sl->n_word)
        sl->n_word = sl->n;
    if (k > 0) {
        snprintf(sl->i, sizeof sl->i, "%d", k);
        sl->i_word = avk_number_word(g->lang, k);
        if (!sl->i_word)
            sl->i_word = sl->i;
        sl->ordinal = avk_ordinal_word(g->lang, k);
        if (k >= 1 && (size_t)k <= g->nitems)
            sl->item = &g->items[k - 1];
        if (k >= 1 && (size_t)k <= g->npoints)
            sl->point = g->points[k - 1];
    }
}

/* ------------------------------------------------------------------ */
/* Trend items                                                         */

/* Copy text without HTML tags, entities for &amp; &quot; &#39; &lt; &gt;
 * decoded, white space collapsed. */
static char *clean_text(const char *s)
{
    avk_buf b;
    int space = 0;

    avk_buf_init(&b);
    if (avk_buf_adds(&b, "") != 0)
        return NULL;
    while (*s) {
        if (*s == '<') {
            const char *e = strchr(s, '>');
            if (e) {
                s = e + 1;
                space = 1;
                continue;
            }
        }
        if (*s == '&') {
            static const char *const ent[][2] = {
                {"&amp;", "&"},  {"&quot;", "\""}, {"&#39;", "'"},
                {"&apos;", "'"}, {"&lt;", "<"},    {"&gt;", ">"},
                {"&nbsp;", " "}};
            size_t k;
            int hit = 0;
            for (k = 0; k < sizeof ent / sizeof ent[0]; k++)
                if (strncmp(s, ent[k][0], strlen(ent[k][0])) == 0) {
                    if (ent[k][1][0] == ' ')
                        space = 1;
                    else {
                        if (space && b.len > 0 && avk_buf_addc(&b, ' ') != 0)
                            goto oom;
                        space = 0;
                        if (avk_buf_adds(&b, ent[k][1]) != 0)
                            goto oom;
                    }
                    s += strlen(ent[k][0]);
                    hit = 1;
                    break;
                }
            if (hit)
                continue;
        }
        if (isspace((unsigned char)*s)) {
            space = 1;
            s++;
            continue;
        }
        if (space && b.len > 0 && avk_buf_addc(&b, ' ') != 0)
            goto oom;
        space = 0;
        if (avk_buf_addc(&b, *s) != 0)
            goto oom;
        s++;
    }
    return avk_buf_detach(&b);
oom:
    avk_buf_release(&b);
    return NULL;
}

/* Split off the first sentence of *rest into *out (a new string, "" when
 * there is none or it is too long to read aloud whole); advances *rest.
 * Returns 0 or AVK_EX_OSERR. */
static int first_sentence(const char **rest, int max_words, char **out)
{
    const char *s = *rest, *p, *end = NULL;
    int w;

    while (*s == ' ')
        s++;
    for (p = s; *p; p++)
        if (strchr(".!?", *p) && (p[1] == ' ' || p[1] == '\0')) {
            /* not after a one-letter initial ("J. Smith") */
            if (*p == '.' && p - s >= 2 && p[-2] == ' ' &&
                isupper((unsigned char)p[-1]))
                continue;
            end = p + 1;
            break;
        }
    if (!end)
        end = s + strlen(s);
    *rest = end;
    *out = malloc((size_t)(end - s) + 2);
    if (!*out)
        return AVK_EX_OSERR;
    memcpy(*out, s, (size_t)(end - s));
    (*out)[end - s] = '\0';
    if (end > s && !strchr(".!?", end[-1]))
        strcat(*out, ".");
    w = avk_count_words(*out);
    if (w > max_words || w < 3)
        (*out)[0] = '\0';
    return 0;
}

/* Lower-case ASCII words of 3 letters or more, space separated with a
   space at both ends (so " word " finds a whole word); NULL on OOM. */
static char *word_set(const char *s)
{
    size_t n = strlen(s), o = 0, start = 0, i;
    char *w = malloc(2 * n + 3);

    if (!w)
        return NULL;
    w[o++] = ' ';
    for (i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c && (isalnum(c) || c >= 0x80))
            continue;
        if (i - start >= 3) {
            size_t k;
            for (k = start; k < i; k++)
                w[o++] = (char)tolower((unsigned char)s[k]);
            w[o++] = ' ';
        }
        start = i + 1;
    }
    w[o] = '\0';
    return w;
}

/* Is this headline the topic's own story told by another outlet (most of
   the shorter one's words appear in the other)?  -1 on OOM. */
static int same_story(const char *title, const char *topic)
{
    char *a = word_set(title), *b = word_set(topic), *p, *q;
    size_t na = 0, nb = 0, common = 0;
    int r;

    if (!a || !b) {
        free(a);
        free(b);
        return -1;
    }
    for (p = a + 1; *p; p = q + 1) {
        char save;
        q = strchr(p, ' ');
        save = q[1];
        q[1] = '\0';
        na++;
        common += strstr(b, p - 1) != NULL;
        q[1] = save;
    }
    for (p = b + 1; *p; p = strchr(p, ' ') + 1)
        nb++;
    r = na > 0 && nb > 0 && common * 10 >= (na < nb ? na : nb) * 7;
    free(a);
    free(b);
    return r;
}

/* A trend topic is often its first headline, and its other items the
   same story from other outlets: the hook has said the headline, so those
   items lose their title and speak through their summary; one that has no
   summary, or only one already heard, adds nothing and is dropped. */
static int same_story_items(struct gen *g)
{
    size_t i, j, kept = 0;

    for (i = 0; i < g->nitems; i++) {
        struct item *d = &g->items[i];
        int same = same_story(d->title, g->topic.topic), dup = 0;
        if (same < 0)
            return AVK_EX_OSERR;
        for (j = 0; j < kept && d->summary[0]; j++)
            dup |= strcasecmp(g->items[j].summary, d->summary) == 0;
        if (same && i > 0 && (!d->summary[0] || dup)) {
            free(d->title);
            free(d->summary);
            free(d->more);
            free(d->source);
            continue;
        }
        if (same)
            d->title[0] = '\0';
        g->items[kept++] = *d;
    }
    for (i = kept; i < g->nitems; i++)
        memset(&g->items[i], 0, sizeof g->items[i]);
    g->nitems = kept;
    return 0;
}

static int load_items(struct gen *g)
{
    const json_t *items = json_object_get(g->req->trend, "items");
    size_t i;
    json_t *it;

    if (!json_is_array(items))
        return 0;
    g->items = calloc(json_array_size(items) + 1, sizeof *g->items);
    if (!g->items)
        return AVK_EX_OSERR;
    json_array_foreach(items, i, it)
    {
        const char *title = json_string_value(json_object_get(it, "title"));
        const char *summary = json_string_value(json_object_get(it, "summary"));
        const char *source = json_string_value(json_object_get(it, "source"));
        struct item *d = &g->items[g->nitems];
        char *sum = NULL;
        const char *rest;
        if (!json_is_object(it) || !title)
            continue;
        if (!(d->title = clean_text(title)))
            return AVK_EX_OSERR;
        /* no trailing period: lines end the sentence themselves */
        while (d->title[0] && strchr(". ", d->title[strlen(d->title) - 1]))
            d->title[strlen(d->title) - 1] = '\0';
        if (!d->title[0]) {
            free(d->title);
            d->title = NULL;
            continue;
        }
        if (!(sum = clean_text(summary ? summary : "")))
            return AVK_EX_OSERR;
        rest = sum;
        if (first_sentence(&rest, 30, &d->summary) != 0 ||
            first_sentence(&rest, 30, &d->more) != 0) {
            free(sum);
            return AVK_EX_OSERR;
        }
        free(sum);
        if (!(d->source = clean_text(source ? source : "")))
            return AVK_EX_OSERR;
        /* a file name or address ("feed.xml", "example.com/rss") is not
         * a name to read out */
        if (!strchr(d->source, ' ') &&
            (strchr(d->source, '.') || strchr(d->source, '/')))
            d->source[0] = '\0';
        /* the headline repeated as its own summary adds nothing */
        if (strncasecmp(d->summary, d->title, strlen(d->title)) == 0)
            d->summary[0] = '\0';
        g->nitems++;
    }
    return same_story_items(g);
}

/* ------------------------------------------------------------------ */
/* Composition                                                         */

static int unit_more_add(struct unit *u, size_t ci)
{
    struct sent *m = realloc(u->more, (u->nmore + 1) * sizeof *m);
    if (!m)
        return AVK_EX_OSERR;
    u->more = m;
    if (u->cand[ci].transition)
        u->trans = u->cand[ci];
    else
        u->more[u->nmore++] = u->cand[ci];
    u->words += u->cand[ci].words;
    u->cand[ci] = u->cand[--u->ncand];
    return 0;
}

static int json_int(const json_t *o, const char *key, int dflt)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_string(v))
        return atoi(json_string_value(v));
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    return dflt;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int total_words(const struct gen *g);

/* The pack's note (see knowledge.h) before the call to action, when
 * the points came from the pack and it fits the budget with the
 * required lines (words so far, this closing unit's lead included).
 * Returns 0, or a code (message filled). */
static int add_note(struct gen *g, struct unit *u, int words)
{
    struct sent *m;
    int n;

    if (g->npoints == 0 || !g->pack->note || text_used(g, g->pack->note))
        return 0;
    n = avk_count_words(g->pack->note);
    if (words + n > g->hi)
        return 0;
    m = realloc(u->more, (u->nmore + 1) * sizeof *m);
    if (!m)
        return avk_fail(g->err, AVK_EX_OSERR, "out of memory");
    u->more = m;
    m = &u->more[u->nmore];
    memset(m, 0, sizeof *m);
    if (!(m->text = strdup(g->pack->note)) ||
        mark_used(g, NULL, m->text) != 0) {
        free(m->text);
        return avk_fail(g->err, AVK_EX_OSERR, "out of memory");
    }
    m->words = n;
    m->own = 1;
    m->note = 1;
    u->nmore++;
    u->words += n;
    return 0;
}

/* Build the required lines for U body units.  shortest picks the
 * shortest lines.  Returns 0, or a code (message filled). */
static int build_units(struct gen *g, int U, int shortest)
{
    const json_t *body = json_object_get(g->tpl->root, "body");
    const json_t *specs = json_object_get(body, "units");
    size_t nspec = json_array_size(specs), k;
    int shuffle = json_is_string(json_object_get(body, "order")) &&
                  strcmp(json_string_value(json_object_get(body, "order")),
                         "shuffle") == 0;
    size_t *order = NULL;
    struct slots sl;
    int rc = 0, lead_form = -1;

    units_free(g);
    used_reset(g);
    g->units = calloc((size_t)U + 2, sizeof *g->units);
    order = calloc(nspec, sizeof *order);
    if (!g->units || !order) {
        free(order);
        return avk_fail(g->err, AVK_EX_OSERR, "out of memory");
    }
    g->nunits = (size_t)U + 2;
    for (k = 0; k < nspec; k++)
        order[k] = k;
    if (shuffle)
        for (k = nspec; k > 1; k--) {
            size_t j = rng_below(&g->rng, k), t = order[k - 1];
            order[k - 1] = order[j];
            order[j] = t;
        }
    for (k = 0; k < g->nunits && rc == 0; k++) {
        struct unit *u = &g->units[k];
        const json_t *lead, *extra = NULL, *extra2 = NULL;
        const char *what;
        u->k = (int)k;
        if (k == 0) {
            u->role = U_OPEN;
            u->weight = 1.0;
            slots_for_unit(g, &sl, 0, U);
            lead = tpl_get(g, "hook");
            extra = tpl_get(g, "intro");
            what = "hook";
        } else if (k == g->nunits - 1) {
            u->role = U_CLOSE;
            u->weight = 0.8;
            slots_for_unit(g, &sl, 0, U);
            lead = tpl_get(g, "cta");
            extra = tpl_get(g, "outro");
            what = "cta";
        } else {
            size_t si = k - 1;
            u->role = U_BODY;
            u->weight = 2.0;
            si = shuffle ? order[si % nspec] : (si < nspec ? si : nspec - 1);
            u->spec = json_array_get(specs, si);
            slots_for_unit(g, &sl, (int)k, U);
            lead = json_object_get(u->spec, "lead");
            extra = json_object_get(u->spec, "more");
            extra2 = json_object_get(body, "more");
            what = "body lead";
        }
        rc = pick_pref(g, &sl, lead, shortest,
                       u->role == U_BODY ? &lead_form : NULL, &u->lead);
        if (rc == 1) {
            rc = avk_fail(g->err, AVK_EX_CONFIG,
                          "'%s': no %s line fits the topic '%s'", g->tpl->path,
                          what, g->topic.topic);
            break;
        }
        if (rc != 0)
            break;
        u->words = u->lead.words;
        if (u->role == U_CLOSE && (rc = add_note(g, u, total_words(g))) != 0)
            break;
        if ((rc = add_cands(g, &sl, u, extra, 0, 1)) == 0 &&
            (rc = add_cands(g, &sl, u, extra2, 0, 0)) == 0 &&
            u->role == U_BODY && k >= 2)
            rc = add_cands(g, &sl, u, tpl_get(g, "transition"), 1, 0);
        if (rc != 0)
            rc = avk_fail(g->err, AVK_EX_OSERR, "out of memory");
    }
    free(order);
    return rc;
}

static int total_words(const struct gen *g)
{
    size_t i;
    int w = 0;
    for (i = 0; i < g->nunits; i++)
        w += g->units[i].words;
    return w;
}

/* Add optional lines until the words reach the budget: always to the
 * unit that is emptiest for its weight, never past hi. */
/* At most this many optional lines around the hook and the cta: past
 * that, a thin script (one news item in 30 seconds) ends short rather
 * than padded. */
#define EDGE_MAX 2

static size_t shared_count(const struct unit *u)
{
    size_t i, n = 0;
    for (i = 0; i < u->nmore; i++)
        n += !u->more[i].own;
    return n;
}

static int var_has(const json_t *v, const char *slot)
{
    const char *s = json_string_value(v);
    return s && strstr(s, slot) != NULL;
}

/* A line with {point_more} goes on from the point's first sentence, so
 * it only follows a line that said it ({point_text} or {fact}). */
static int more_ready(const struct unit *u, const struct sent *x)
{
    size_t i;
    if (!var_has(x->var, "{point_more"))
        return 1;
    if (var_has(u->lead.var, "{point_text") || var_has(u->lead.var, "{fact"))
        return 1;
    for (i = 0; i < u->nmore; i++)
        if (var_has(u->more[i].var, "{point_text") ||
            var_has(u->more[i].var, "{fact"))
            return 1;
    return 0;
}

/* May candidate c of unit u be added now? */
static int usable(const struct gen *g, const struct unit *u, size_t c,
                  int total, int hi, size_t shared_max)
{
    const struct sent *x = &u->cand[c];
    return total + x->words <= hi && more_ready(u, x) &&
           !var_used(g, x->var) &&
           !text_used(g, x->text) && !(x->transition && u->trans.text) &&
           (x->own || x->transition || shared_count(u) < shared_max);
}

static int fill(struct gen *g, double W, int hi)
{
    int total = total_words(g);
    const json_t *body = json_object_get(g->tpl->root, "body");
    size_t shared_max = (size_t)json_int(body, "shared_max", 1000);

    while (total < W - 0.5) {
        size_t i, best = (size_t)-1;
        size_t fit[256] = {0}, nfit = 0, c;
        double best_ratio = 0;
        for (i = 0; i < g->nunits; i++) {
            const struct unit *u = &g->units[i];
            double r = u->words / u->weight;
            int any = 0;
            if (u->nmore >= 200)
                continue; /* keeps a scene's pieces within bounds */
            if (u->role != U_BODY && u->nmore >= EDGE_MAX + (W > 120))
                continue; /* an opening or closing that rambles on */
            for (c = 0; c < u->ncand && !any; c++)
                if (usable(g, u, c, total, hi,
                           u->role == U_BODY ? shared_max : 1000))
                    any = 1;
            if (any && (best == (size_t)-1 || r < best_ratio)) {
                best = i;
                best_ratio = r;
            }
        }
        if (best == (size_t)-1)
            break;
        {
            struct unit *u = &g->units[best];
            int pass;
            /* the unit's own lines first: they say something about this
             * point; the shared pool only fills up */
            for (pass = 0; pass < 2 && nfit == 0; pass++)
                for (c = 0; c < u->ncand && nfit < 256; c++)
                    if ((pass == 1 || u->cand[c].own) &&
                        usable(g, u, c, total, hi,
                               u->role == U_BODY ? shared_max : 1000))
                        fit[nfit++] = c;
            if (nfit == 0)
                break;
            c = fit[rng_below(&g->rng, nfit)];
            if (mark_used(g, u->cand[c].var, u->cand[c].text) != 0)
                return AVK_EX_OSERR;
            total += u->cand[c].words;
            if (unit_more_add(u, c) != 0)
                return AVK_EX_OSERR;
        }
    }
    return 0;
}

/* The narration pieces of unit u, in speaking order. */
static size_t unit_pieces(const struct unit *u, const struct sent **out)
{
    size_t n = 0, i;
    if (u->role == U_CLOSE) {
        for (i = 0; i < u->nmore; i++)
            if (!u->more[i].note)
                out[n++] = &u->more[i];
        for (i = 0; i < u->nmore; i++)
            if (u->more[i].note)
                out[n++] = &u->more[i];
        out[n++] = &u->lead;
        return n;
    }
    if (u->trans.text)
        out[n++] = &u->trans;
    out[n++] = &u->lead;
    {
        /* the unit's own lines first, in the template's order */
        size_t first = n, a, b;
        for (i = 0; i < u->nmore; i++)
            if (u->more[i].own)
                out[n++] = &u->more[i];
        for (a = first + 1; a < n; a++)
            for (b = a; b > first && out[b - 1]->ord > out[b]->ord; b--) {
                const struct sent *t = out[b];
                out[b] = out[b - 1];
                out[b - 1] = t;
            }
    }
    for (i = 0; i < u->nmore; i++)
        if (!u->more[i].own)
            out[n++] = &u->more[i];
    return n;
}

struct scene {
    size_t u0, u1; /* units [u0, u1) */
    size_t p0, p1; /* when a unit is split: pieces [p0, p1) of u0 */
    int split;
};

static size_t unit_npieces(const struct unit *u)
{
    return u->nmore + 1 + (u->trans.text ? 1 : 0);
}

/* Lay the units out on S scenes.  Returns how many scenes were made. */
static size_t layout(const struct gen *g, size_t S, struct scene *sc)
{
    size_t U2 = g->nunits, j, i;

    if (S <= U2) {
        for (j = 0; j < S; j++) {
            sc[j].u0 = j * U2 / S;
            sc[j].u1 = (j + 1) * U2 / S;
            sc[j].split = 0;
        }
        return S;
    }
    for (j = 0; j < U2; j++) {
        sc[j].u0 = j;
        sc[j].u1 = j + 1;
        sc[j].p0 = 0;
        sc[j].p1 = unit_npieces(&g->units[j]);
        sc[j].split = 1;
    }
    while (j < S) {
        size_t best = (size_t)-1, m;
        for (i = 0; i < j; i++)
            if (sc[i].p1 - sc[i].p0 >= 2 &&
                (best == (size_t)-1 ||
                 sc[i].p1 - sc[i].p0 > sc[best].p1 - sc[best].p0))
                best = i;
        if (best == (size_t)-1)
            break;
        memmove(&sc[best + 1], &sc[best], (j - best) * sizeof *sc);
        m = (sc[best].p0 + sc[best].p1) / 2;
        sc[best].p1 = m;
        sc[best + 1].p0 = m;
        j++;
    }
    return j;
}

/* The scene's narration into b, and its lead lines (what the scene is
 * about, without the generic support lines) into core. */
static int scene_text(const struct gen *g, const struct scene *sc, avk_buf *b,
                      avk_buf *core)
{
    const struct sent *pieces[300];
    size_t u, i, n;

    avk_buf_reset(b);
    avk_buf_reset(core);
    for (u = sc->u0; u < sc->u1; u++) {
        size_t p0 = 0, p1;
        n = unit_pieces(&g->units[u], pieces);
        p1 = n;
        if (sc->split) {
            p0 = sc->p0;
            p1 = sc->p1;
        }
        for (i = p0; i < p1; i++) {
            if (b->len > 0 && avk_buf_addc(b, ' ') != 0)
                return AVK_EX_OSERR;
            if (avk_buf_adds(b, pieces[i]->text) != 0)
                return AVK_EX_OSERR;
            if (pieces[i] == &g->units[u].lead &&
                ((core->len > 0 && avk_buf_addc(core, ' ') != 0) ||
                 avk_buf_adds(core, pieces[i]->text) != 0))
                return AVK_EX_OSERR;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

static json_t *num(double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

static int set_new(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

static int ci_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return n == 0;
}

/* Keywords for a scene: up to two from its lead lines, then the
 * topic's, then the rest of its text; at most four. */
/* The keyword a body unit's template gives it ("habit 2", "step 3"):
 * its first usable `keywords` line, or the body's.  *out is NULL when
 * there is none.  Returns 0 or AVK_EX_OSERR. */
static int unit_keyword(struct gen *g, const struct unit *u, char **out)
{
    const json_t *node = json_object_get(u->spec, "keywords"), *lines[16];
    struct slots sl;
    size_t n, i;

    *out = NULL;
    if (!node)
        node =
            json_object_get(json_object_get(g->tpl->root, "body"), "keywords");
    n = lines_of(node, g->style, lines, 16);
    slots_for_unit(g, &sl, u->k, (int)g->nunits - 2);
    for (i = 0; i < n && !*out; i++) {
        int rc = render(g, &sl, json_string_value(lines[i]), out);
        if (rc == AVK_EX_OSERR)
            return rc;
    }
    return 0;
}

/* Upper-case the first letter when it is ASCII. */
static void cap_first(char *s)
{
    if (s && *s >= 'a' && *s <= 'z')
        *s = (char)(*s - 'a' + 'A');
}

/* A scene that presents a knowledge-pack point gets a short on-screen
 * card, scene.title: "Habit 2 · Say no to low-value meetings" (the unit's
 * keyword, when it has one, then the point's name).  Returns 0 or -1 on
 * OOM; a scene without a point gets no title. */
static int scene_card(struct gen *g, const struct scene *span,
                      const char *keyword, json_t *scene)
{
    struct slots sl;
    avk_buf b;
    size_t u;
    int rc = 0;

    for (u = span->u0; u < span->u1; u++)
        if (g->units[u].role == U_BODY)
            break;
    if (u == span->u1)
        return 0;
    slots_for_unit(g, &sl, g->units[u].k, (int)g->nunits - 2);
    if (!sl.point || !sl.point->name || !*sl.point->name)
        return 0;
    avk_buf_init(&b);
    if ((keyword && *keyword &&
         (avk_buf_adds(&b, keyword) || avk_buf_adds(&b, " \xc2\xb7 "))) ||
        avk_buf_adds(&b, sl.point->name))
        rc = -1;
    if (!rc) {
        char *t = b.data;
        char *dot = strstr(t, " \xc2\xb7 ");
        cap_first(t);
        if (dot)
            cap_first(dot + 4);
        rc = json_object_set_new(scene, "title", json_string(t)) ? -1 : 0;
    }
    avk_buf_release(&b);
    return rc;
}

static json_t *scene_keywords(const struct gen *g, char *first,
                              const char *core, const char *text)
{
    char *kw[12];
    int n = 0, round, i, j;
    json_t *arr = json_array();

    if (!arr) {
        free(first);
        return NULL;
    }
    if (first) /* taken: the template's keyword for this point */
        kw[n++] = first;
    for (round = 0; round < 3 && n < 4; round++) {
        const char *src = round == 0   ? core
                          : round == 1 ? g->topic.topic
                                       : text;
        int want = round == 0 ? 2 : 4 - n, m;
        char *more[4];
        if (!src || !*src)
            continue;
        if (round == 1 && avk_count_words(g->topic.subject) <= 3 &&
            avk_count_words(g->topic.subject) > 0 &&
            avk_utf8_len(g->topic.subject) <= 40) {
            /* a short subject is the best title card: "save money" */
            m = 1;
            if (!(more[0] = strdup(g->topic.subject)))
                goto oom;
        } else
            m = avk_keywords(g->lang, src, round == 1 ? NULL : g->topic.topic,
                             more, want);
        if (m < 0)
            goto oom;
        for (i = 0; i < m; i++) {
            int dup = 0;
            for (j = 0; j < n; j++)
                if (strcasecmp(kw[j], more[i]) == 0 ||
                    ci_contains(kw[j], more[i]) || ci_contains(more[i], kw[j]))
                    dup = 1;
            if (!dup && n < 4 && (round < 2 || n < 2))
                kw[n++] = more[i];
            else
                free(more[i]);
        }
    }
    /* still short (a call-to-action scene about "save money"): the
     * subject if it is short, then the format's label ("step by step") */
    for (round = 0; round < 3 && n < 2; round++) {
        char *more[3];
        int m = 0, k;
        if (round == 0) {
            m = avk_keywords(g->lang, g->topic.topic, NULL, more, 3);
            if (m < 0)
                goto oom;
        } else {
            const char *extra =
                round == 1
                    ? g->topic.subject
                    : json_string_value(json_object_get(g->tpl->root, "label"));
            if (!extra || !*extra || avk_count_words(extra) > 4)
                continue;
            if (!(more[0] = strdup(extra)))
                goto oom;
            m = 1;
        }
        for (k = 0; k < m; k++) {
            int dup = 0;
            for (j = 0; j < n; j++)
                if (round == 2 ? strcasecmp(kw[j], more[k]) == 0
                               : ci_contains(kw[j], more[k]) ||
                                     ci_contains(more[k], kw[j]))
                    dup = 1;
            if (!dup && n < 2)
                kw[n++] = more[k];
            else
                free(more[k]);
        }
    }
    for (i = 0; i < n; i++) {
        if (json_array_append_new(arr, json_string(kw[i])) != 0) {
            for (; i < n; i++)
                free(kw[i]);
            goto oom;
        }
        free(kw[i]);
    }
    return arr;
oom:
    for (i = 0; i < n; i++)
        free(kw[i]);
    json_decref(arr);
    return NULL;
}

static int add_hashtags(struct gen *g, json_t *arr)
{
    char *kw[6];
    int n = avk_keywords(g->lang, g->topic.topic, NULL, kw, 6), i;
    const json_t *lines[64];
    size_t nl, k;
    int rc = 0;

    if (n < 0)
        return AVK_EX_OSERR;
    /* single words from the topic: "#habits" */
    for (i = 0; i < n; i++) {
        char *w = kw[i], tag[80];
        size_t t = 1, j;
        tag[0] = '#';
        for (j = 0; w[j] && t < sizeof tag - 1; j++) {
            unsigned char c = (unsigned char)w[j];
            if (isalnum(c) || c >= 0x80) /* "black holes" -> #blackholes */
                tag[t++] = (char)tolower(c);
        }
        tag[t] = '\0';
        if (t > 3 && json_array_size(arr) < 3) {
            int dup = 0;
            json_t *v;
            json_array_foreach(arr, k, v) if (strcasecmp(json_string_value(v),
                                                         tag) == 0) dup = 1;
            if (!dup && json_array_append_new(arr, json_string(tag)) != 0)
                rc = AVK_EX_OSERR;
        }
        free(w);
    }
    if (rc != 0)
        return rc;
    nl = lines_of(tpl_get(g, "hashtags"), g->style, lines, 64);
    for (k = 0; k < 3 && nl > 0 && json_array_size(arr) < 5; k++) {
        size_t c = rng_below(&g->rng, nl);
        const char *tag = json_string_value(lines[c]);
        int dup = 0;
        size_t j;
        json_t *v;
        json_array_foreach(
            arr, j, v) if (strcasecmp(json_string_value(v), tag) == 0) dup = 1;
        if (!dup && tag[0] == '#' &&
            json_array_append_new(arr, json_string(tag)) != 0)
            return AVK_EX_OSERR;
        lines[c] = lines[--nl];
    }
    return 0;
}

/* Truncate to at most max code points at a word boundary, with "…". */
static void truncate_title(char *s, size_t max)
{
    size_t cp = 0, i, cut = 0, last_space = 0;
    if (!s || max < 2)
        return;
    for (i = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (cp == max - 1) {
                cut = i;
                break;
            }
            cp++;
            if (s[i] == ' ')
                last_space = i;
        }
    }
    if (!s[i])
        return;
    if (last_space > 0)
        cut = last_space;
    while (cut > 0 && strchr(" ,;:-", s[cut - 1]))
        cut--;
    memcpy(s + cut, "\xE2\x80\xA6", 4);
}

static int finish(struct gen *g, double duration, double wpm, size_t S,
                  json_t **out)
{
    json_t *script = json_object(), *scenes = json_array(),
           *tags = json_array();
    struct scene sc[AVK_SCRIPT_MAX_SCENES + 2];
    struct slots sl;
    struct sent s;
    avk_buf b, core;
    size_t ns, j;
    int rc = 0, words = 0;

    avk_buf_init(&b);
    avk_buf_init(&core);
    if (!script || !scenes || !tags)
        goto oom;
    ns = layout(g, S, sc);
    if (ns < S) {
        rc = avk_fail(g->err, AVK_EX_DATAERR,
                      "cannot fill %zu scenes in a %g-second script; "
                      "try fewer scenes or a longer duration",
                      S, duration);
        goto fail_code;
    }
    slots_for_unit(g, &sl, 0, (int)g->nunits - 2);
    rc = pick(g, &sl, tpl_get(g, "title"), 0, &s);
    if (rc == 1)
        rc = avk_fail(g->err, AVK_EX_CONFIG, "'%s': no title line fits",
                      g->tpl->path);
    if (rc != 0)
        goto fail_code;
    if (avk_utf8_len(s.text) > AVK_SCRIPT_TITLE_MAX)
        truncate_title(s.text, AVK_SCRIPT_TITLE_MAX);
    if (set_new(script, "title", json_string(s.text)) != 0) {
        sent_free(&s);
        goto oom;
    }
    sent_free(&s);
    if (set_new(script, "hook", json_string(g->units[0].lead.text)) != 0)
        goto oom;
    for (j = 0; j < ns; j++) {
        json_t *scene = json_object(), *kw;
        const json_t *vis;
        size_t u;
        if (!scene || json_array_append_new(scenes, scene) != 0)
            goto oom;
        if (scene_text(g, &sc[j], &b, &core) != 0)
            goto oom;
        words += avk_count_words(b.data);
        if (set_new(scene, "text", json_string(b.data)) != 0)
            goto oom;
        {
            char *first = NULL;
            for (u = sc[j].u0; u < sc[j].u1 && !first; u++)
                if (g->units[u].role == U_BODY &&
                    unit_keyword(g, &g->units[u], &first) != 0)
                    goto oom;
            if (scene_card(g, &sc[j], first, scene) != 0) {
                free(first);
                goto oom;
            }
            kw = sc[j].u0 == g->nunits - 1
                     ? scene_keywords(g, first, NULL, NULL) /* the cta */
                     : scene_keywords(g, first, core.data, b.data);
            if (!kw)
                goto oom;
        }
        /* the visual: the scene's first body unit's own lines, if any */
        vis = NULL;
        slots_for_unit(g, &sl, 0, (int)g->nunits - 2);
        for (u = sc[j].u0; u < sc[j].u1 && !vis; u++)
            if (g->units[u].role == U_BODY) {
                vis = json_object_get(g->units[u].spec, "visual");
                slots_for_unit(g, &sl, g->units[u].k, (int)g->nunits - 2);
            }
        if (!vis)
            vis = tpl_get(g, "visual");
        {
            avk_buf kb;
            size_t i;
            json_t *v;
            avk_buf_init(&kb);
            json_array_foreach(
                kw, i, v) if ((i > 0 && avk_buf_adds(&kb, ", ") != 0) ||
                              avk_buf_adds(&kb, json_string_value(v)) != 0)
            {
                avk_buf_release(&kb);
                json_decref(kw);
                goto oom;
            }
            sl.keywords = kb.data ? kb.data : "";
            rc = pick(g, &sl, vis, 0, &s);
            if (rc == 1 && vis != tpl_get(g, "visual"))
                rc = pick(g, &sl, tpl_get(g, "visual"), 0, &s);
            avk_buf_release(&kb);
            sl.keywords = NULL;
        }
        if (rc == 1)
            rc = avk_fail(g->err, AVK_EX_CONFIG, "'%s': no visual line fits",
                          g->tpl->path);
        if (rc != 0) {
            json_decref(kw);
            goto fail_code;
        }
        if (set_new(scene, "visual", json_string(s.text)) != 0) {
            json_decref(kw);
            sent_free(&s);
            goto oom;
        }
        if (set_new(scene, "keywords", kw) != 0) { /* kw is taken either way */
            sent_free(&s);
            goto oom;
        }
        sent_free(&s);
    }
    if (set_new(script, "scenes", scenes) != 0) {
        scenes = NULL;
        goto oom;
    }
    scenes = NULL;
    if (set_new(script, "cta",
                json_string(g->units[g->nunits - 1].lead.text)) != 0)
        goto oom;
    slots_for_unit(g, &sl, 0, (int)g->nunits - 2);
    rc = pick(g, &sl, tpl_get(g, "description"), 0, &s);
    if (rc == 1)
        rc = avk_fail(g->err, AVK_EX_CONFIG, "'%s': no description line fits",
                      g->tpl->path);
    if (rc != 0)
        goto fail_code;
    if (set_new(script, "description", json_string(s.text)) != 0) {
        sent_free(&s);
        goto oom;
    }
    sent_free(&s);
    if (add_hashtags(g, tags) != 0)
        goto oom;
    if (set_new(script, "hashtags", tags) != 0) {
        tags = NULL;
        goto oom;
    }
    tags = NULL;
    if (set_new(script, "lang", json_string(g->lang)) != 0 ||
        /* the estimated spoken length, as av-document(5) defines it */
        set_new(script, "duration", num(round(words * 600.0 / wpm) / 10.0)) !=
            0 ||
        set_new(script, "words", json_integer(words)) != 0 ||
        set_new(script, "wpm", num(wpm)) != 0 ||
        set_new(script, "format", json_string(g->tpl->format)) != 0 ||
        set_new(script, "style", json_string(g->style)) != 0 ||
        set_new(script, "provider", json_string("local")) != 0 ||
        set_new(script, "model", json_string("templates")) != 0)
        goto oom;
    /* which knowledge pack the points came from */
    if (g->npoints > 0 &&
        set_new(script, "pack", json_string(g->pack->name)) != 0)
        goto oom;
    avk_buf_release(&b);
    avk_buf_release(&core);
    *out = script;
    return 0;
oom:
    rc = avk_fail(g->err, AVK_EX_OSERR, "out of memory");
fail_code:
    if (rc == AVK_EX_OSERR && g->err && g->err->code != AVK_EX_OSERR)
        avk_fail(g->err, AVK_EX_OSERR, "out of memory");
    avk_buf_release(&b);
    avk_buf_release(&core);
    json_decref(scenes);
    json_decref(tags);
    json_decref(script);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */

static int matches(const struct gen *g, const struct tpl *t)
{
    const json_t *m = json_object_get(t->root, "match");
    const json_t *lines[64];
    size_t n = lines_of(m, "", lines, 64), i;
    const json_t *kws = json_object_get(t->root, "keywords");
    json_t *v;

    for (i = 0; i < n; i++) {
        const char *f = json_string_value(lines[i]);
        unsigned fl = g->topic.flags;
        if (strcmp(f, "any") == 0 ||
            (strcmp(f, "count") == 0 && (fl & AVK_TOPIC_COUNT) &&
             g->topic.count >= 2 && g->topic.count <= 12) ||
            (strcmp(f, "howto") == 0 && (fl & AVK_TOPIC_HOWTO)) ||
            (strcmp(f, "myth") == 0 && (fl & AVK_TOPIC_MYTH)) ||
            (strcmp(f, "story") == 0 && (fl & AVK_TOPIC_STORY)) ||
            (strcmp(f, "trend") == 0 && g->nitems > 0))
            return 1;
    }
    if (json_is_array(kws))
        json_array_foreach(kws, i, v)
        {
            const char *w = json_string_value(v);
            const char *hit;
            size_t wl;
            if (!w || !*w)
                continue;
            wl = strlen(w);
            for (hit = g->topic.topic; (hit = strstr(hit, w)) != NULL; hit++) {
                int before =
                    hit == g->topic.topic || !isalnum((unsigned char)hit[-1]);
                int after = !isalnum((unsigned char)hit[wl]);
                if (before && after)
                    return 1;
            }
        }
    return 0;
}

/* The points the matched pack offers for what a template needs (steps
 * fall back to items), and how many. */
static size_t pack_points(const struct gen *g, const char *needs,
                          const avk_kpoint **list)
{
    const avk_kpack *p = g->pack;
    *list = NULL;
    if (!p || !needs || !*needs)
        return 0;
    if (strcmp(needs, "myths") == 0) {
        *list = p->myths;
        return p->nmyths;
    }
    if (strcmp(needs, "steps") == 0 && p->nsteps > 0) {
        *list = p->steps;
        return p->nsteps;
    }
    *list = p->items;
    return p->nitems;
}

/* Can template t serve this topic?  One that needs knowledge needs a
 * matching pack with at least two such points. */
static int eligible(const struct gen *g, const struct tpl *t)
{
    const avk_kpoint *l;
    return !*t->needs || pack_points(g, t->needs, &l) >= 2;
}

/* Is t a better choice than best?  Higher priority first; at equal
 * priority a template that names the pack's points beats a generic one. */
static int better(const struct tpl *t, const struct tpl *best)
{
    if (!best)
        return 1;
    if (t->priority != best->priority)
        return t->priority > best->priority;
    return *t->needs && !*best->needs;
}

/* The points in the order the units use them: steps in the pack's order,
 * items and myths shuffled by the seed.  Returns 0 or AVK_EX_OSERR. */
static int choose_points(struct gen *g)
{
    const avk_kpoint *list;
    size_t n = pack_points(g, g->tpl->needs, &list), i;
    uint64_t r = g->req->seed ^ fnv1a(g->topic.topic) ^ 0x2b7e151628aed2a6ULL;

    if (n == 0)
        return 0;
    g->points = calloc(n, sizeof *g->points);
    if (!g->points)
        return AVK_EX_OSERR;
    for (i = 0; i < n; i++)
        g->points[i] = &list[i];
    g->npoints = n;
    if (list == g->pack->steps)
        return 0;
    rng_next(&r);
    for (i = n; i > 1; i--) {
        size_t j = rng_below(&r, i);
        const avk_kpoint *t = g->points[i - 1];
        g->points[i - 1] = g->points[j];
        g->points[j] = t;
    }
    return 0;
}

static int choose_template(struct gen *g, const struct tplset *set)
{
    const struct tpl *best = NULL;
    size_t i;
    const char *want = g->req->format;

    for (i = 0; i < set->n; i++) {
        const struct tpl *t = &set->v[i];
        if (strcmp(t->lang, g->lang) != 0)
            continue;
        if (strcmp(t->format, "common") == 0) {
            g->common = t;
            continue;
        }
        if (!eligible(g, t))
            continue;
        if (want) {
            if (strcmp(t->format, want) == 0 &&
                (!best || (*t->needs && !*best->needs)))
                best = t;
            continue;
        }
        if (matches(g, t) && better(t, best))
            best = t;
    }
    if (!best) {
        avk_buf names;
        avk_buf_init(&names);
        for (i = 0; i < set->n; i++)
            if (strcmp(set->v[i].lang, g->lang) == 0 &&
                strcmp(set->v[i].format, "common") != 0)
                avk_buf_printf(&names, "%s%s", names.len ? ", " : "",
                               set->v[i].format);
        if (want)
            avk_fail(g->err, AVK_EX_DATAERR,
                     "no script template for format '%s' in language '%s'%s%s",
                     want, g->lang, names.len ? " (have: " : "",
                     names.len ? names.data : "");
        else
            avk_fail(g->err, AVK_EX_DATAERR,
                     "no script template for language '%s'", g->lang);
        if (want && names.len && g->err)
            strncat(g->err->msg, ")",
                    sizeof g->err->msg - strlen(g->err->msg) - 1);
        avk_buf_release(&names);
        return AVK_EX_DATAERR;
    }
    g->tpl = best;
    return 0;
}

int avk_script_generate(const avk_script_req *req, json_t **script_out,
                        avk_err *err)
{
    struct gen g;
    struct tplset set;
    const json_t *body;
    const char *count_from;
    double duration, wpm, W;
    int U, Umin, Umax, per_unit, hi, rc, flexible, attempt;
    size_t S, i;

    *script_out = NULL;
    memset(&g, 0, sizeof g);
    memset(&set, 0, sizeof set);
    g.req = req;
    g.err = err;
    g.style = req->style && *req->style ? req->style : "engaging";
    if (!in_names(styles, g.style, strlen(g.style)))
        return avk_fail(err, AVK_EX_DATAERR,
                        "unknown style '%s' (engaging, educational, funny, "
                        "professional, story)",
                        g.style);
    g.lang = req->lang && *req->lang ? avk_lang_canon(req->lang) : "en";
    if (!g.lang)
        g.lang = req->lang; /* templates may still exist for it */
    duration = req->duration_s > 0 ? req->duration_s : 60.0;
    if (duration < 3 || duration > 600 || isnan(req->duration_s))
        return avk_fail(err, AVK_EX_DATAERR,
                        "duration %g s is out of range (3 to 600)", duration);
    if (req->scenes < 0 || req->scenes > AVK_SCRIPT_MAX_SCENES)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%d scenes is out of range (1 to %d)", req->scenes,
                        AVK_SCRIPT_MAX_SCENES);
    wpm = req->wpm > 0 ? req->wpm : avk_lang_wpm(g.lang);
    if (wpm < 60 || wpm > 300 || isnan(wpm))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%g words per minute is out of range (60 to 300)", wpm);
    {
        json_t *probe = json_string(req->topic ? req->topic : "");
        if (!probe) /* jansson refuses bytes that are not UTF-8 */
            return avk_fail(err, AVK_EX_DATAERR,
                            "the topic is not valid UTF-8");
        json_decref(probe);
    }
    W = duration * wpm / 60.0;
    hi = (int)floor(W * 1.07);
    g.hi = hi;
    if ((rc = avk_topic_parse(&g.topic, req->topic, g.lang, err)) != 0)
        goto out;
    if ((rc = load_items(&g)) != 0) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    for (i = 0; i < req->ntemplate_dirs && rc == 0; i++)
        rc = load_dir(&set, req->template_dirs[i], err);
    if (rc != 0)
        goto out;
    if (set.n == 0) {
        rc = avk_fail(err, AVK_EX_CONFIG, "no script templates found%s%s",
                      req->ntemplate_dirs ? " in '" : "",
                      req->ntemplate_dirs ? req->template_dirs[0] : "");
        if (req->ntemplate_dirs && err)
            strncat(err->msg, "'", sizeof err->msg - strlen(err->msg) - 1);
        goto out;
    }
    if ((rc = avk_kbase_load(&g.kb, req->knowledge_dirs,
                             req->nknowledge_dirs, g.lang, err)) != 0)
        goto out;
    g.pack = avk_kbase_match(&g.kb, g.topic.topic, NULL);
    if ((rc = choose_template(&g, &set)) != 0)
        goto out;
    if (choose_points(&g) != 0) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }

    body = json_object_get(g.tpl->root, "body");
    count_from = json_string_value(json_object_get(body, "count"));
    if (!count_from)
        count_from = "budget";
    Umin = clampi(json_int(body, "min", 1), 1, AVK_SCRIPT_MAX_SCENES);
    Umax = clampi(json_int(body, "max", 8), Umin, AVK_SCRIPT_MAX_SCENES);
    per_unit = clampi(json_int(body, "words", 30), 5, 200);
    U = clampi((int)lround((W - 25) / per_unit), Umin, Umax);
    flexible = 1;
    if (strcmp(count_from, "topic") == 0 && (g.topic.flags & AVK_TOPIC_COUNT)) {
        U = clampi(g.topic.count, 1, AVK_SCRIPT_MAX_SCENES);
        flexible = 0;
    }
    if (req->scenes > 0 && flexible)
        U = clampi(req->scenes - 2, Umin, Umax);
    if (strcmp(count_from, "items") == 0) {
        if (g.nitems == 0) {
            rc = avk_fail(err, AVK_EX_DATAERR,
                          "format '%s' needs trend items (.trend.items[] "
                          "with titles)",
                          g.tpl->format);
            goto out;
        }
        if ((size_t)U > g.nitems)
            U = (int)g.nitems;
        if (Umin > U)
            Umin = U;
    }
    if (*g.tpl->needs) {
        /* one point per unit, never one twice */
        if ((size_t)U > g.npoints)
            U = (int)g.npoints;
        if (Umin > U)
            Umin = U;
    }
    /* Choose lines; if the required ones alone overrun the budget, take
     * the shortest, then fewer body units where the format allows. */
    for (attempt = 0;; attempt++) {
        int shortest = attempt % 2;
        g.rng = req->seed ^ fnv1a(g.topic.topic) ^ 0x5c6a1e7b3d2f4089ULL;
        rng_next(&g.rng);
        if ((rc = build_units(&g, U, shortest)) != 0)
            goto out;
        if (total_words(&g) <= hi)
            break;
        if (shortest && flexible && U > Umin && req->scenes == 0)
            U--;
        else if (shortest)
            break; /* the tightest we can do */
    }
    if (fill(&g, W, hi) != 0) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    S = req->scenes > 0 ? (size_t)req->scenes : g.nunits;
    rc = finish(&g, duration, wpm, S, script_out);
out:
    gen_release(&g);
    tplset_release(&set);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Validation and schema                                               */

static int want_string(const json_t *o, const char *path, const char *key,
                       int nonempty, avk_err *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s.%s: missing (expected a string)", path, key);
    if (!json_is_string(v))
        return avk_fail(err, AVK_EX_DATAERR, "%s.%s: expected a string", path,
                        key);
    if (nonempty && json_string_length(v) == 0)
        return avk_fail(err, AVK_EX_DATAERR, "%s.%s: must not be empty", path,
                        key);
    return 0;
}

static int want_strings(const json_t *o, const char *path, const char *key,
                        int hash, avk_err *err)
{
    const json_t *v = json_object_get(o, key), *e;
    size_t i;

    if (!v)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s.%s: missing (expected an array of strings)", path,
                        key);
    if (!json_is_array(v))
        return avk_fail(err, AVK_EX_DATAERR, "%s.%s: expected an array", path,
                        key);
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return avk_fail(err, AVK_EX_DATAERR,
                            "%s.%s[%zu]: expected a string", path, key, i);
        if (hash && json_string_value(e)[0] != '#')
            return avk_fail(err, AVK_EX_DATAERR,
                            "%s.%s[%zu]: a hashtag starts with '#'", path, key,
                            i);
    }
    return 0;
}

static int want_number(const json_t *o, const char *key, int integer,
                       avk_err *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return avk_fail(err, AVK_EX_DATAERR, ".%s: missing (expected a number)",
                        key);
    if (integer ? !json_is_integer(v) : !json_is_number(v))
        return avk_fail(err, AVK_EX_DATAERR, ".%s: expected %s", key,
                        integer ? "an integer" : "a number");
    if (json_number_value(v) < 0 || (!integer && json_number_value(v) <= 0))
        return avk_fail(err, AVK_EX_DATAERR, ".%s: must be positive", key);
    return 0;
}

static int validate(const json_t *s, int full, avk_err *err)
{
    const json_t *scenes, *sc;
    size_t i;
    int rc;

    if (!json_is_object(s))
        return avk_fail(err, AVK_EX_DATAERR, ".: expected an object");
    if ((rc = want_string(s, "", "title", 1, err)) != 0)
        return rc;
    if (avk_utf8_len(json_string_value(json_object_get(s, "title"))) >
        AVK_SCRIPT_TITLE_MAX)
        return avk_fail(err, AVK_EX_DATAERR,
                        ".title: longer than %d characters",
                        AVK_SCRIPT_TITLE_MAX);
    if ((rc = want_string(s, "", "hook", 0, err)) != 0)
        return rc;
    scenes = json_object_get(s, "scenes");
    if (!scenes)
        return avk_fail(err, AVK_EX_DATAERR,
                        ".scenes: missing (expected an array of objects)");
    if (!json_is_array(scenes))
        return avk_fail(err, AVK_EX_DATAERR, ".scenes: expected an array");
    if (json_array_size(scenes) == 0)
        return avk_fail(err, AVK_EX_DATAERR, ".scenes: must not be empty");
    if (json_array_size(scenes) > AVK_SCRIPT_MAX_SCENES)
        return avk_fail(err, AVK_EX_DATAERR, ".scenes: more than %d scenes",
                        AVK_SCRIPT_MAX_SCENES);
    json_array_foreach(scenes, i, sc)
    {
        char path[32];
        snprintf(path, sizeof path, ".scenes[%zu]", i);
        if (!json_is_object(sc))
            return avk_fail(err, AVK_EX_DATAERR, "%s: expected an object",
                            path);
        if ((rc = want_string(sc, path, "text", 1, err)) != 0 ||
            (rc = want_string(sc, path, "visual", 0, err)) != 0 ||
            (rc = want_strings(sc, path, "keywords", 0, err)) != 0)
            return rc;
    }
    if ((rc = want_string(s, "", "cta", 0, err)) != 0 ||
        (rc = want_string(s, "", "description", 0, err)) != 0 ||
        (rc = want_strings(s, "", "hashtags", 1, err)) != 0)
        return rc;
    if (!full)
        return 0;
    if ((rc = want_string(s, "", "lang", 1, err)) != 0 ||
        (rc = want_number(s, "duration", 0, err)) != 0 ||
        (rc = want_number(s, "words", 1, err)) != 0 ||
        (rc = want_number(s, "wpm", 0, err)) != 0 ||
        (rc = want_string(s, "", "format", 1, err)) != 0 ||
        (rc = want_string(s, "", "style", 1, err)) != 0 ||
        (rc = want_string(s, "", "provider", 1, err)) != 0 ||
        (rc = want_string(s, "", "model", 0, err)) != 0)
        return rc;
    return 0;
}

int avk_script_validate(const json_t *script, avk_err *err)
{
    return validate(script, 1, err);
}

int avk_script_validate_reply(const json_t *reply, avk_err *err)
{
    return validate(reply, 0, err);
}

json_t *avk_script_json_schema(void)
{
    json_error_t je;
    return json_loads(
        "{\"type\":\"object\",\"additionalProperties\":false,"
        "\"required\":[\"title\",\"hook\",\"scenes\",\"cta\",\"description\","
        "\"hashtags\"],"
        "\"properties\":{"
        "\"title\":{\"type\":\"string\",\"description\":"
        "\"Video title, at most 100 characters.\"},"
        "\"hook\":{\"type\":\"string\",\"description\":"
        "\"The opening line; also the first sentence of scenes[0].text.\"},"
        "\"scenes\":{\"type\":\"array\",\"description\":"
        "\"The narration, scene by scene, in speaking order.\","
        "\"items\":{\"type\":\"object\",\"additionalProperties\":false,"
        "\"required\":[\"text\",\"visual\",\"keywords\"],"
        "\"properties\":{"
        "\"text\":{\"type\":\"string\",\"description\":"
        "\"What the narrator says in this scene.\"},"
        "\"visual\":{\"type\":\"string\",\"description\":"
        "\"A short description of an image for this scene.\"},"
        "\"keywords\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
        "\"description\":\"2 to 4 meaningful words or short phrases from "
        "the scene.\"}}}},"
        "\"cta\":{\"type\":\"string\",\"description\":"
        "\"The call to action; also the last sentence of the last scene.\"},"
        "\"description\":{\"type\":\"string\",\"description\":"
        "\"One or two sentences for the post description.\"},"
        "\"hashtags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
        "\"description\":\"3 to 5 hashtags, each starting with #.\"}}}",
        0, &je);
}
