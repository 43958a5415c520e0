/*
 * medialib.c - keyword matching over a local image library (see
 * medialib.h).
 *
 * Invariants: entries are sorted by path (the scan is deterministic);
 * each entry's words are normalised (lower-case ASCII, plural "s" gone)
 * and carry the weight of their source; an entry marked bad is never
 * returned again.
 */
#include "medialib.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "fsutil.h"
#include "hash.h"

#define MAX_DEPTH   8
#define MAX_FILES   100000
#define MAX_SIDECAR 65536

struct word {
    char *w;
    int weight;
};

struct entry {
    char *path;
    struct word *words;
    size_t nwords, capwords;
    long long size, mtime; /* as scanned, for the fingerprint */
    int used, bad, video;
};

struct avk_medialib {
    struct entry *e;
    size_t n, cap;
    avk_medialib_warn_fn warn;
    void *warn_ctx;
    int videos; /* offer video clips too */
};

static const char *const stopwords[] = {
    "a",       "an",   "the",   "of",   "and",   "or",    "for", "to",
    "in",      "on",   "at",    "by",   "with",  "your",  "you", "my",
    "our",     "how",  "why",   "what", "is",    "are",   "be",  "it",
    "this",    "that", "from",  "img",  "image", "photo", "pic", "dsc",
    "picture", "copy", "final", "edit", "tag",   "tags",  NULL};

static int is_stop(const char *w)
{
    size_t i;

    for (i = 0; stopwords[i]; i++)
        if (strcmp(stopwords[i], w) == 0)
            return 1;
    return 0;
}

static int is_wordbyte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

/* Call fn for each normalised word of s[0..len). */
static int each_word(const char *s, size_t len,
                     int (*fn)(void *ctx, const char *w), void *ctx)
{
    char w[128];
    size_t i = 0;

    while (i < len) {
        size_t n = 0, j;
        int digits = 1, rc;
        while (i < len && !is_wordbyte((unsigned char)s[i]))
            i++;
        while (i < len && is_wordbyte((unsigned char)s[i])) {
            char c = s[i++];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (n + 1 < sizeof w)
                w[n++] = c;
        }
        w[n] = '\0';
        for (j = 0; j < n; j++)
            if (w[j] < '0' || w[j] > '9')
                digits = 0;
        if (n < 2 || digits || is_stop(w))
            continue;
        if (n > 4 && strcmp(w + n - 3, "ies") == 0) /* cities -> city */
            strcpy(w + n - 3, "y");
        else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' &&
                 w[n - 2] != 'u' && w[n - 2] != 'i') /* not glass, bus, iris */
            w[n - 1] = '\0';
        if ((rc = fn(ctx, w)))
            return rc;
    }
    return 0;
}

struct addctx {
    struct entry *e;
    int weight;
};

static int add_word(void *vctx, const char *w)
{
    struct addctx *c = vctx;
    struct entry *e = c->e;
    size_t i;

    for (i = 0; i < e->nwords; i++)
        if (strcmp(e->words[i].w, w) == 0) {
            if (c->weight > e->words[i].weight)
                e->words[i].weight = c->weight;
            return 0;
        }
    if (e->nwords == e->capwords) {
        size_t nc = e->capwords ? e->capwords * 2 : 8;
        struct word *nw = realloc(e->words, nc * sizeof *nw);
        if (!nw)
            return AVK_EX_OSERR;
        e->words = nw;
        e->capwords = nc;
    }
    e->words[e->nwords].w = strdup(w);
    if (!e->words[e->nwords].w)
        return AVK_EX_OSERR;
    e->words[e->nwords++].weight = c->weight;
    return 0;
}

/* 1 for a still's extension, 2 for a clip's, 0 for anything else. */
static int media_ext(const char *name)
{
    static const char *const ext[] = {"png", "jpg", "jpeg", "webp", "bmp",
                                      "gif", "tif", "tiff", NULL};
    static const char *const vext[] = {"mp4", "mov", "webm", NULL};
    const char *dot = strrchr(name, '.');
    size_t i;

    if (!dot || dot == name)
        return 0;
    for (i = 0; ext[i]; i++)
        if (strcasecmp(dot + 1, ext[i]) == 0)
            return 1;
    for (i = 0; vext[i]; i++)
        if (strcasecmp(dot + 1, vext[i]) == 0)
            return 2;
    return 0;
}

static void entry_release(struct entry *e)
{
    size_t i;

    for (i = 0; i < e->nwords; i++)
        free(e->words[i].w);
    free(e->words);
    free(e->path);
}

/* Read the first sidecar that exists for path into the entry's words. */
static int read_sidecar(struct entry *e, const char *path)
{
    static const char *const suffix[] = {".tags", ".txt"};
    avk_buf name, data;
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    size_t stem =
        dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    int i, rc = 0;
    struct addctx c;

    avk_buf_init(&name);
    avk_buf_init(&data);
    c.e = e;
    c.weight = 3;
    for (i = 0; i < 4 && !rc; i++) {
        struct stat st;
        avk_buf_reset(&name);
        if (avk_buf_add(&name, path, i < 2 ? strlen(path) : stem) ||
            avk_buf_adds(&name, suffix[i % 2])) {
            rc = AVK_EX_OSERR;
            break;
        }
        if (stat(name.data, &st) != 0 || !S_ISREG(st.st_mode) ||
            st.st_size > MAX_SIDECAR)
            continue;
        avk_buf_reset(&data);
        if (avk_read_file(name.data, &data, NULL) == 0) {
            rc = each_word(data.data ? data.data : "", data.len, add_word, &c);
            break;
        }
    }
    avk_buf_release(&name);
    avk_buf_release(&data);
    return rc;
}

static int add_file(avk_medialib *lib, const char *root, const char *path,
                    const struct stat *st, int video)
{
    struct entry *e;
    struct addctx c;
    const char *rel = path + strlen(root), *base = strrchr(path, '/');
    const char *dot;
    int rc;

    if (lib->n >= MAX_FILES)
        return 0;
    if (lib->n == lib->cap) {
        size_t nc = lib->cap ? lib->cap * 2 : 64;
        struct entry *ne = realloc(lib->e, nc * sizeof *ne);
        if (!ne)
            return AVK_EX_OSERR;
        lib->e = ne;
        lib->cap = nc;
    }
    e = &lib->e[lib->n];
    memset(e, 0, sizeof *e);
    if (!(e->path = strdup(path)))
        return AVK_EX_OSERR;
    e->video = video;
    e->size = (long long)st->st_size;
    e->mtime = (long long)st->st_mtime;
    lib->n++;
    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    c.e = e;
    c.weight = 1; /* folders below the root */
    if ((rc = each_word(rel, (size_t)(base - rel), add_word, &c)))
        return rc;
    c.weight = 2; /* the file name without its extension */
    if ((rc = each_word(base, dot ? (size_t)(dot - base) : strlen(base),
                        add_word, &c)))
        return rc;
    return read_sidecar(e, path);
}

static int scan(avk_medialib *lib, const char *root, const char *dir, int depth)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > MAX_DEPTH || !(d = opendir(dir)))
        return 0;
    while (!rc && (de = readdir(d)) != NULL) {
        struct stat st;
        char *p;
        if (de->d_name[0] == '.')
            continue;
        if (!(p = avk_path_join(dir, de->d_name))) {
            rc = AVK_EX_OSERR;
            break;
        }
        if (lstat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = scan(lib, root, p, depth + 1);
            else if ((S_ISREG(st.st_mode) ||
                      (S_ISLNK(st.st_mode) && stat(p, &st) == 0 &&
                       S_ISREG(st.st_mode))) &&
                     media_ext(de->d_name))
                rc = add_file(lib, root, p, &st, media_ext(de->d_name) == 2);
        }
        free(p);
    }
    closedir(d);
    return rc;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path,
                  ((const struct entry *)b)->path);
}

avk_medialib *avk_medialib_open(const char *dir, avk_err *err)
{
    avk_medialib *lib;
    char *root;
    size_t rl;

    if (!avk_is_dir(dir)) {
        avk_fail(err, AVK_EX_NOINPUT, "library '%s' is not a directory", dir);
        return NULL;
    }
    lib = calloc(1, sizeof *lib);
    root = malloc(strlen(dir) + 2);
    if (!lib || !root) {
        free(lib);
        free(root);
        avk_fail(err, AVK_EX_OSERR, "out of memory");
        return NULL;
    }
    strcpy(root, dir);
    rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/')
        root[--rl] = '\0';
    if (scan(lib, root, root, 0)) {
        free(root);
        avk_medialib_free(lib);
        avk_fail(err, AVK_EX_OSERR, "out of memory");
        return NULL;
    }
    free(root);
    if (lib->n > 1)
        qsort(lib->e, lib->n, sizeof *lib->e, by_path);
    return lib;
}

void avk_medialib_free(avk_medialib *lib)
{
    size_t i;

    if (!lib)
        return;
    for (i = 0; i < lib->n; i++)
        entry_release(&lib->e[i]);
    free(lib->e);
    free(lib);
}

void avk_medialib_set_warn(avk_medialib *lib, avk_medialib_warn_fn fn,
                           void *ctx)
{
    lib->warn = fn;
    lib->warn_ctx = ctx;
}

size_t avk_medialib_count(const avk_medialib *lib)
{
    return lib->n;
}

void avk_medialib_set_videos(avk_medialib *lib, int on)
{
    lib->videos = on ? 1 : 0;
}

void avk_medialib_reset(avk_medialib *lib)
{
    size_t i;

    for (i = 0; i < lib->n; i++)
        lib->e[i].used = 0;
}

struct query {
    char **w;
    size_t n, cap;
};

static int add_query(void *vctx, const char *w)
{
    struct query *q = vctx;
    size_t i;

    for (i = 0; i < q->n; i++)
        if (strcmp(q->w[i], w) == 0)
            return 0;
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 16;
        char **nw = realloc(q->w, nc * sizeof *nw);
        if (!nw)
            return AVK_EX_OSERR;
        q->w = nw;
        q->cap = nc;
    }
    if (!(q->w[q->n] = strdup(w)))
        return AVK_EX_OSERR;
    q->n++;
    return 0;
}

static double score_entry(const struct entry *e, const struct query *q)
{
    double s = 0;
    size_t i, j;

    for (i = 0; i < q->n; i++) {
        int best = 0;
        for (j = 0; j < e->nwords; j++)
            if (e->words[j].weight > best &&
                strcmp(e->words[j].w, q->w[i]) == 0)
                best = e->words[j].weight;
        s += best;
    }
    return s;
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void warnf(avk_medialib *lib, const char *msg)
{
    if (lib->warn)
        lib->warn(lib->warn_ctx, msg);
}

/* Check the chosen entry; 0 when usable (img or info filled). */
static int try_entry(const struct entry *e, avk_image *img,
                     avk_media_info *info, avk_err *e2)
{
    if (avk_media_probe(e->path, info, e2) != 0)
        return e2->code;
    if (e->video) {
        if (info->kind != AVK_MEDIA_VIDEO || info->duration <= 0)
            return avk_fail(e2, AVK_EX_DATAERR, "not a video clip");
        return 0;
    }
    if (info->kind != AVK_MEDIA_IMAGE)
        return avk_fail(e2, AVK_EX_DATAERR, "not a still image");
    return avk_image_load(e->path, img, e2);
}

int avk_medialib_pick(avk_medialib *lib, const char *const *keywords,
                      size_t nkeywords, uint64_t seed, const char **path,
                      double *score, avk_image *img, avk_media_info *info,
                      avk_err *err)
{
    avk_media_info mi;
    struct query q = {NULL, 0, 0};
    size_t i;
    int rc = 0, pass;

    *path = NULL;
    *score = 0;
    avk_image_release(img);
    for (i = 0; i < nkeywords && !rc; i++)
        if (keywords[i])
            rc = each_word(keywords[i], strlen(keywords[i]), add_query, &q);
    if (rc)
        goto done;
    /* Pass 0 considers unused files only; pass 1 allows reuse. */
    for (pass = 0; pass < 2 && !*path; pass++) {
        for (;;) {
            double best = 0;
            uint64_t bestkey = 0;
            struct entry *be = NULL;
            avk_err e2;
            for (i = 0; i < lib->n; i++) {
                struct entry *e = &lib->e[i];
                double s;
                uint64_t key;
                if (e->bad || (pass == 0 && e->used) ||
                    (e->video && !lib->videos))
                    continue;
                s = score_entry(e, &q);
                key = mix(seed ^ mix((uint64_t)i + 1));
                if (s > best || (s == best && s > 0 && key > bestkey)) {
                    best = s;
                    bestkey = key;
                    be = e;
                }
            }
            if (!be)
                break;
            avk_err_clear(&e2);
            if (try_entry(be, img, &mi, &e2) == 0) {
                be->used = 1;
                *path = be->path;
                *score = best;
                if (info)
                    *info = mi;
                break;
            }
            if (e2.code == AVK_EX_OSERR) {
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                goto done;
            }
            be->bad = 1;
            {
                char msg[1200];
                snprintf(msg, sizeof msg, "skipping '%s': %s", be->path,
                         e2.msg);
                warnf(lib, msg);
            }
        }
    }
    if (!*path)
        rc = avk_fail(err, AVK_EX_UNAVAILABLE, "no library image matches");
done:
    for (i = 0; i < q.n; i++)
        free(q.w[i]);
    free(q.w);
    return rc;
}

int avk_medialib_fingerprint(const avk_medialib *lib, char hex[65])
{
    avk_sha256 *h = avk_sha256_new();
    char num[64];
    size_t i, j;

    if (!h)
        return AVK_EX_OSERR;
    for (i = 0; i < lib->n; i++) {
        const struct entry *e = &lib->e[i];
        int n = snprintf(num, sizeof num, "\n%lld %lld %d", e->size, e->mtime,
                         e->video && lib->videos);
        if (avk_sha256_update(h, e->path, strlen(e->path) + 1) ||
            avk_sha256_update(h, num, (size_t)n))
            goto fail;
        for (j = 0; j < e->nwords; j++) {
            n = snprintf(num, sizeof num, " %d:", e->words[j].weight);
            if (avk_sha256_update(h, num, (size_t)n) ||
                avk_sha256_update(h, e->words[j].w, strlen(e->words[j].w)))
                goto fail;
        }
    }
    return avk_sha256_final(h, hex) ? AVK_EX_OSERR : 0;
fail:
    avk_sha256_free(h);
    return AVK_EX_OSERR;
}
