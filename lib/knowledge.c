/*
 * knowledge.c - topic knowledge packs: loading, checking and matching
 * (see knowledge.h and share/templates/knowledge/README.md).
 *
 * Invariants:
 *  - a pack in an avk_kbase has passed every check: `pack` and `lang`
 *    are strings, every item and step has a non-empty name and text,
 *    every myth a myth and a fact, and no string holds '{', '}' or '$';
 *  - every avk_kpoint string is owned by its pack (the parsed tree or
 *    the pack's sentence copies) and lives until avk_kbase_release;
 *  - matching reads nothing but its arguments: same packs and topic,
 *    same answer.
 */
#include "knowledge.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "yamljson.h"

/* ------------------------------------------------------------------ */
/* Words and stems                                                     */

/* Lower-case ASCII and fold the common Latin-1 accented letters
 * (U+00C0..U+00FF) to their base letter; other bytes are copied. */
static int fold_into(avk_buf *b, const char *s, size_t n)
{
    /* base letters for U+00C0..U+00FF; '\0': keep the character */
    static const char map[] = "aaaaaaaceeeeiiii"
                              "dnooooo\0ouuuuy\0s"
                              "aaaaaaaceeeeiiii"
                              "dnooooo\0ouuuuy\0y";
    size_t i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xC3 && i + 1 < n) {
            unsigned char d = (unsigned char)s[i + 1];
            if (d >= 0x80 && d <= 0xBF && map[d - 0x80 + 0] != '\0') {
                if (avk_buf_addc(b, map[d - 0x80]) != 0)
                    return -1;
                i += 2;
                continue;
            }
        }
        if (avk_buf_addc(b, (char)tolower(c)) != 0)
            return -1;
        i++;
    }
    return 0;
}

static int word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

char *avk_kstem(const char *word)
{
    avk_buf b;
    char *w;
    size_t n;

    avk_buf_init(&b);
    if (avk_buf_adds(&b, "") != 0 || fold_into(&b, word, strlen(word)) != 0) {
        avk_buf_release(&b);
        return NULL;
    }
    w = avk_buf_detach(&b);
    if (!w)
        return NULL;
    n = strlen(w);
    /* possessive */
    if (n > 2 && w[n - 2] == '\'' && w[n - 1] == 's')
        w[n -= 2] = '\0';
    /* plurals: studies -> study, boxes -> box, habits -> habit */
    if (n > 4 && strcmp(w + n - 3, "ies") == 0) {
        w[n - 3] = 'y';
        w[n -= 2] = '\0';
    } else if (n > 4 && (strcmp(w + n - 4, "sses") == 0 ||
                         strcmp(w + n - 4, "ches") == 0 ||
                         strcmp(w + n - 4, "shes") == 0 ||
                         strcmp(w + n - 3, "xes") == 0))
        w[n -= 2] = '\0';
    else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' &&
             w[n - 2] != 'i')
        w[--n] = '\0';
    /* -ing: cooking -> cook, running -> run, saving -> sav */
    if (n > 5 && strcmp(w + n - 3, "ing") == 0) {
        w[n -= 3] = '\0';
        if (n > 2 && w[n - 1] == w[n - 2] && !strchr("aeiouls", w[n - 1]))
            w[--n] = '\0';
    }
    /* a final silent e: save -> sav, code -> cod (matches the -ing form) */
    if (n > 3 && w[n - 1] == 'e' && !strchr("aeiou", w[n - 2]))
        w[--n] = '\0';
    return w;
}

struct stems {
    char **v;
    size_t n;
};

static void stems_release(struct stems *s)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* The stems of every word of text, in order.  Returns 0 or -1 (OOM). */
static int stems_of(const char *text, struct stems *out)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t cap = 0;

    out->v = NULL;
    out->n = 0;
    while (*p) {
        const unsigned char *s;
        char *w, *st;
        if (!word_byte(*p)) {
            p++;
            continue;
        }
        s = p;
        while (*p && (word_byte(*p) || (*p == '\'' && word_byte(p[1]))))
            p++;
        w = malloc((size_t)(p - s) + 1);
        if (!w)
            goto oom;
        memcpy(w, s, (size_t)(p - s));
        w[p - s] = '\0';
        st = avk_kstem(w);
        free(w);
        if (!st)
            goto oom;
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **v = realloc(out->v, nc * sizeof *v);
            if (!v) {
                free(st);
                goto oom;
            }
            out->v = v;
            cap = nc;
        }
        out->v[out->n++] = st;
    }
    return 0;
oom:
    stems_release(out);
    return -1;
}

/* Do the phrase's stems occur in the topic's, in order, with at most
 * two other words between neighbours? */
static int phrase_in(const struct stems *topic, const struct stems *ph)
{
    size_t start, i, j;

    if (ph->n == 0)
        return 0;
    for (start = 0; start < topic->n; start++) {
        if (strcmp(topic->v[start], ph->v[0]) != 0)
            continue;
        j = start;
        for (i = 1; i < ph->n; i++) {
            size_t k, lim = j + 3 < topic->n ? j + 3 : topic->n - 1;
            for (k = j + 1; k <= lim; k++)
                if (strcmp(topic->v[k], ph->v[i]) == 0)
                    break;
            if (k > lim)
                break;
            j = k;
        }
        if (i == ph->n)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

int avk_kpack_is_pack(const json_t *root)
{
    return json_is_object(root) && json_object_get(root, "pack") != NULL;
}

static void pack_release(avk_kpack *p)
{
    size_t i;
    free(p->path);
    free(p->items);
    free(p->steps);
    free(p->myths);
    for (i = 0; i < p->nsplits; i++)
        free(p->splits[i]);
    free(p->splits);
    json_decref(p->root);
    memset(p, 0, sizeof *p);
}

void avk_kbase_release(avk_kbase *kb)
{
    size_t i;
    for (i = 0; i < kb->n; i++)
        pack_release(&kb->v[i]);
    free(kb->v);
    kb->v = NULL;
    kb->n = 0;
}

/* No string in the tree may look like a placeholder. */
static int check_strings(const char *path, const json_t *node, avk_err *err)
{
    size_t i;
    const char *key;
    json_t *v;
    int rc;

    if (json_is_string(node)) {
        const char *s = json_string_value(node);
        if (strpbrk(s, "{}$"))
            return avk_fail(err, AVK_EX_CONFIG,
                            "'%s': \"%s\": braces and '$' are not allowed in "
                            "a knowledge pack",
                            path, s);
        return 0;
    }
    if (json_is_array(node))
        json_array_foreach(node, i, v) if ((rc = check_strings(path, v, err)) !=
                                           0) return rc;
    if (json_is_object(node))
        json_object_foreach((json_t *)node, key,
                            v) if ((rc = check_strings(path, v, err)) !=
                                   0) return rc;
    return 0;
}

static int keep_split(avk_kpack *p, char *s)
{
    char **v = realloc(p->splits, (p->nsplits + 1) * sizeof *v);
    if (!v) {
        free(s);
        return -1;
    }
    p->splits = v;
    p->splits[p->nsplits++] = s;
    return 0;
}

/* Split text after its first sentence: *first and *rest point into new
 * copies the pack keeps ("" when there is no second sentence). */
static int split_text(avk_kpack *p, const char *text, const char **first,
                      const char **rest)
{
    const char *q = text, *end = NULL;
    char *a, *b;

    for (; *q; q++)
        if (strchr(".!?", *q) && q[1] == ' ') {
            end = q + 1;
            break;
        }
    if (!end) {
        *first = text;
        *rest = "";
        return 0;
    }
    a = malloc((size_t)(end - text) + 1);
    if (!a)
        return -1;
    memcpy(a, text, (size_t)(end - text));
    a[end - text] = '\0';
    while (*end == ' ')
        end++;
    if (keep_split(p, a) != 0 || !(b = strdup(end)) || keep_split(p, b) != 0)
        return -1;
    *first = a;
    *rest = b;
    return 0;
}

/* Read list key of the pack into *out; a and b name the two fields. */
static int read_points(avk_kpack *p, const char *key, const char *fa,
                       const char *fb, avk_kpoint **out, size_t *nout,
                       avk_err *err)
{
    const json_t *list = json_object_get(p->root, key), *e;
    size_t i;

    *out = NULL;
    *nout = 0;
    if (!list)
        return 0;
    if (!json_is_array(list))
        return avk_fail(err, AVK_EX_CONFIG, "'%s': '%s' must be a list",
                        p->path, key);
    if (json_array_size(list) == 0)
        return 0;
    *out = calloc(json_array_size(list), sizeof **out);
    if (!*out)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    json_array_foreach(list, i, e)
    {
        const char *a = json_string_value(json_object_get(e, fa));
        const char *b = json_string_value(json_object_get(e, fb));
        avk_kpoint *pt = &(*out)[*nout];
        if (!a || !*a || !b || !*b)
            return avk_fail(err, AVK_EX_CONFIG,
                            "'%s': %s[%zu] needs '%s' and '%s'", p->path, key,
                            i, fa, fb);
        pt->name = a;
        if (split_text(p, b, &pt->text, &pt->more) != 0)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        (*nout)++;
    }
    return 0;
}

static int load_pack(avk_kbase *kb, const char *path, const char *lang,
                     avk_err *err)
{
    json_t *root = NULL;
    avk_kpack p, *v;
    const char *name, *plang;
    size_t i;
    int rc;

    if ((rc = avk_yaml_load_file(path, &root, err)) != 0) {
        if (rc != AVK_EX_DATAERR)
            return rc;
        if (err)
            err->code = AVK_EX_CONFIG;
        return AVK_EX_CONFIG;
    }
    if (!avk_kpack_is_pack(root)) {
        json_decref(root); /* a script template sharing the folder */
        return 0;
    }
    memset(&p, 0, sizeof p);
    p.root = root;
    if (!(p.path = strdup(path))) {
        pack_release(&p);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    name = json_string_value(json_object_get(root, "pack"));
    plang = json_string_value(json_object_get(root, "lang"));
    if (!name || !*name || !plang || !*plang) {
        pack_release(&p);
        return avk_fail(err, AVK_EX_CONFIG,
                        "'%s': a knowledge pack needs 'pack' and 'lang'", path);
    }
    if ((lang && strcmp(plang, lang) != 0)) {
        pack_release(&p);
        return 0;
    }
    for (i = 0; i < kb->n; i++)
        if (strcmp(kb->v[i].name, name) == 0 &&
            strcmp(kb->v[i].lang, plang) == 0) {
            pack_release(&p); /* an earlier folder overrides it */
            return 0;
        }
    p.name = name;
    p.lang = plang;
    p.note = json_string_value(json_object_get(root, "note"));
    if (p.note && !*p.note)
        p.note = NULL;
    if ((rc = check_strings(path, root, err)) != 0 ||
        (rc = read_points(&p, "items", "name", "text", &p.items, &p.nitems,
                          err)) != 0 ||
        (rc = read_points(&p, "steps", "name", "text", &p.steps, &p.nsteps,
                          err)) != 0 ||
        (rc = read_points(&p, "myths", "myth", "fact", &p.myths, &p.nmyths,
                          err)) != 0) {
        pack_release(&p);
        return rc;
    }
    if (p.nitems == 0) {
        pack_release(&p);
        return avk_fail(err, AVK_EX_CONFIG,
                        "'%s': a knowledge pack needs a non-empty 'items' "
                        "list",
                        path);
    }
    {
        const json_t *m = json_object_get(root, "match");
        if (!json_is_array(m) || json_array_size(m) == 0) {
            pack_release(&p);
            return avk_fail(err, AVK_EX_CONFIG,
                            "'%s': a knowledge pack needs a 'match' list of "
                            "words",
                            path);
        }
    }
    v = realloc(kb->v, (kb->n + 1) * sizeof *v);
    if (!v) {
        pack_release(&p);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    kb->v = v;
    kb->v[kb->n++] = p;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(avk_kbase *kb, const char *dir, const char *lang,
                    avk_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (!d)
        return 0; /* a missing folder adds nothing */
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' ||
            !((len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0) ||
              (len > 4 && strcmp(de->d_name + len - 4, ".yml") == 0)))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **v = realloc(names, nc * sizeof *v);
            if (!v) {
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                break;
            }
            names = v;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    for (i = 0; i < n && rc == 0; i++) {
        char *path = avk_path_join(dir, names[i]);
        if (!path)
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        else if (avk_is_file(path))
            rc = load_pack(kb, path, lang, err);
        free(path);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int avk_kbase_load(avk_kbase *kb, const char *const *dirs, size_t ndirs,
                   const char *lang, avk_err *err)
{
    size_t i;
    int rc = 0;

    kb->v = NULL;
    kb->n = 0;
    for (i = 0; i < ndirs && rc == 0; i++)
        rc = load_dir(kb, dirs[i], lang, err);
    if (rc != 0)
        avk_kbase_release(kb);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */

struct phrase {
    size_t pack;
    double weight;
    char *key; /* stems joined by spaces */
    struct stems st;
};

static int add_phrases(const avk_kpack *p, size_t pi, const char *key,
                       double weight, struct phrase **v, size_t *n)
{
    const json_t *list = json_object_get(p->root, key), *e;
    size_t i;

    if (!json_is_array(list))
        return 0;
    json_array_foreach(list, i, e)
    {
        const char *s = json_string_value(e);
        struct phrase *ph, *nv;
        avk_buf k;
        size_t j;
        if (!s || !*s)
            continue;
        nv = realloc(*v, (*n + 1) * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        ph = &(*v)[*n];
        memset(ph, 0, sizeof *ph);
        if (stems_of(s, &ph->st) != 0)
            return -1;
        avk_buf_init(&k);
        for (j = 0; j < ph->st.n; j++)
            if ((j && avk_buf_addc(&k, ' ') != 0) ||
                avk_buf_adds(&k, ph->st.v[j]) != 0) {
                avk_buf_release(&k);
                stems_release(&ph->st);
                return -1;
            }
        if (!(ph->key = avk_buf_detach(&k)) && ph->st.n > 0) {
            stems_release(&ph->st);
            return -1;
        }
        ph->pack = pi;
        ph->weight = weight;
        (*n)++;
    }
    return 0;
}

const avk_kpack *avk_kbase_match(const avk_kbase *kb, const char *topic,
                                 double *score)
{
    struct phrase *ph = NULL;
    struct stems t;
    size_t nph = 0, i, j;
    double *sc = NULL, best = 0;
    char *strong = NULL;
    const avk_kpack *win = NULL;
    int oom = 0;

    if (score)
        *score = 0;
    if (!kb || kb->n == 0 || !topic)
        return NULL;
    if (stems_of(topic, &t) != 0)
        return NULL;
    for (i = 0; i < kb->n && !oom; i++)
        if (add_phrases(&kb->v[i], i, "match", 2.0, &ph, &nph) != 0 ||
            add_phrases(&kb->v[i], i, "also", 1.0, &ph, &nph) != 0)
            oom = 1;
    sc = calloc(kb->n, sizeof *sc);
    strong = calloc(kb->n, 1);
    if (!sc || !strong)
        oom = 1;
    for (i = 0; i < nph && !oom; i++) {
        size_t df = 0;
        /* a phrase found in several packs is shared among them */
        for (j = 0; j < nph; j++) {
            size_t k;
            int earlier = 0;
            if (!ph[i].key || !ph[j].key || strcmp(ph[i].key, ph[j].key) != 0)
                continue;
            for (k = 0; k < j; k++)
                if (ph[k].pack == ph[j].pack && ph[k].key &&
                    strcmp(ph[k].key, ph[j].key) == 0)
                    earlier = 1;
            df += !earlier;
        }
        if (df == 0)
            df = 1;
        if (phrase_in(&t, &ph[i].st)) {
            sc[ph[i].pack] += ph[i].weight * (double)ph[i].st.n / (double)df;
            if (ph[i].weight > 1.5)
                strong[ph[i].pack] = 1;
        }
    }
    /* a pack needs one of its own `match` phrases: weak words alone
     * ("learn" in "how to learn guitar") are not enough */
    for (i = 0; i < kb->n && !oom; i++)
        if (strong[i] && sc[i] > best + 1e-9) {
            best = sc[i];
            win = &kb->v[i];
        }
    if (score && win)
        *score = best;
    for (i = 0; i < nph; i++) {
        free(ph[i].key);
        stems_release(&ph[i].st);
    }
    free(ph);
    free(sc);
    free(strong);
    stems_release(&t);
    return oom ? NULL : win;
}
