/*
 * trendscore.c - topic extraction and scoring (see trendscore.h for the
 * algorithm and the score formula).
 *
 * Invariants: token sets are sorted arrays of distinct lower-case UTF-8
 * strings; every topic's part[] entries sum exactly (in the order
 * velocity, recency, agreement, engagement) to its score; every error path
 * frees what it allocated and returns AVK_EX_OSERR.
 */
#include "trendscore.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"

/* ------------------------------------------------------------------ */
/* UTF-8 and tokens                                                    */

/* Decode one code point at s; *len gets its byte length (1 for an invalid
 * byte, which decodes as 0xFFFD). */
static unsigned long utf8_next(const unsigned char *s, size_t *len)
{
    unsigned long cp;
    size_t n, i;

    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0)
        n = 2, cp = s[0] & 0x1F;
    else if ((s[0] & 0xF0) == 0xE0)
        n = 3, cp = s[0] & 0x0F;
    else if ((s[0] & 0xF8) == 0xF0)
        n = 4, cp = s[0] & 0x07;
    else {
        *len = 1;
        return 0xFFFD;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *len = n;
    return cp;
}

static unsigned long lower_cp(unsigned long cp)
{
    if (cp < 0x80)
        return (unsigned long)tolower((int)cp);
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 0x20;
    if (cp >= 0x391 && cp <= 0x3A9)
        return cp + 0x20;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 0x50;
    if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 &&
        cp != 0x138 && cp != 0x149 && cp != 0x17F) {
        /* Latin Extended-A pairs: even upper / odd lower up to U+0137,
         * then odd upper / even lower up to U+0148, even again after. */
        if ((cp <= 0x137 || cp >= 0x14A) && cp <= 0x177)
            return cp | 1;
        if (cp >= 0x139 && cp <= 0x148 && (cp & 1))
            return cp + 1;
        if (cp >= 0x179 && cp <= 0x17E && (cp & 1))
            return cp + 1;
    }
    return cp;
}

static int is_word_cp(unsigned long cp)
{
    if (cp < 0x80)
        return isalnum((int)cp);
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFD)
        return 0;
    if (cp >= 0x2000 && cp <= 0x2BFF) /* punctuation, symbols, arrows */
        return 0;
    if (cp >= 0x3000 && cp <= 0x303F)
        return 0;
    if (cp >= 0xFE00 && cp <= 0xFE0F)
        return 0;
    if (cp >= 0x1F000)
        return 0;
    return 1;
}

/* Punctuation that ends a phrase (n-grams do not cross it). */
static int is_break_cp(unsigned long cp)
{
    return cp == '.' || cp == ',' || cp == ';' || cp == ':' || cp == '!' ||
           cp == '?' || cp == '(' || cp == ')' || cp == '[' || cp == ']' ||
           cp == '"' || cp == '|' || cp == 0x2014 || cp == 0x2013 ||
           cp == 0x2026 || cp == 0xAB || cp == 0xBB || cp == 0x201C ||
           cp == 0x201D || cp == 0xBF || cp == 0xA1;
}

static int put_cp(avk_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return avk_buf_add(b, u, n);
}

/* Lower-cased copy of s; NULL when out of memory. */
static char *lower_dup(const char *s)
{
    avk_buf b;
    size_t n;

    avk_buf_init(&b);
    if (avk_buf_grow(&b, strlen(s) + 1))
        return NULL;
    while (*s) {
        unsigned long cp = utf8_next((const unsigned char *)s, &n);
        if (put_cp(&b, lower_cp(cp))) {
            avk_buf_release(&b);
            return NULL;
        }
        s += n;
    }
    return avk_buf_detach(&b);
}

typedef struct tok {
    char *s;
    int stop;
    int brk; /* a phrase break comes before this token */
} tok;

typedef struct toklist {
    tok *v;
    size_t n, cap;
} toklist;

static void toklist_release(toklist *t)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        free(t->v[i].s);
    free(t->v);
    memset(t, 0, sizeof *t);
}

static size_t cp_count(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Split text into lower-case word tokens, marking stop words and one-
 * character tokens as stop. */
static int tokenize(const char *text, const char *lang,
                    const avk_stopwords *sw, toklist *out)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    avk_buf w;
    int brk = 0;
    size_t n;

    memset(out, 0, sizeof *out);
    avk_buf_init(&w);
    for (;;) {
        unsigned long cp = *s ? utf8_next(s, &n) : 0;

        if (*s && is_word_cp(cp)) {
            if (put_cp(&w, lower_cp(cp)))
                goto oom;
            s += n;
            continue;
        }
        if (w.len) {
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 16;
                tok *v = realloc(out->v, cap * sizeof *v);
                if (!v)
                    goto oom;
                out->v = v;
                out->cap = cap;
            }
            out->v[out->n].s = avk_buf_detach(&w);
            out->v[out->n].brk = brk;
            out->v[out->n].stop =
                cp_count(out->v[out->n].s) < 2 ||
                (sw && avk_stopwords_has(sw, lang, out->v[out->n].s));
            out->n++;
            brk = 0;
        }
        if (!*s)
            break;
        if (is_break_cp(cp))
            brk = 1;
        s += n;
    }
    avk_buf_release(&w);
    return 0;
oom:
    avk_buf_release(&w);
    toklist_release(out);
    return AVK_EX_OSERR;
}

/* A sorted set of distinct strings. */
typedef struct tset {
    char **v;
    size_t n;
} tset;

static void tset_release(tset *t)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Light plural folding for matching (English or unknown language). */
static void stem(char *s, const char *lang)
{
    size_t n = strlen(s);

    if (lang && strcmp(lang, "en") != 0)
        return;
    if (n >= 5 && s[n - 1] == 's' && s[n - 2] != 's' && s[n - 2] != 'u' &&
        s[n - 2] != 'i')
        s[n - 1] = '\0';
}

static int tset_from_text(const char *text, const char *lang,
                          const avk_stopwords *sw, tset *out)
{
    toklist tl;
    size_t i, k = 0;

    out->v = NULL;
    out->n = 0;
    if (tokenize(text, lang, sw, &tl))
        return AVK_EX_OSERR;
    out->v = malloc((tl.n ? tl.n : 1) * sizeof *out->v);
    if (!out->v) {
        toklist_release(&tl);
        return AVK_EX_OSERR;
    }
    for (i = 0; i < tl.n; i++) {
        if (tl.v[i].stop) {
            free(tl.v[i].s);
            continue;
        }
        stem(tl.v[i].s, lang);
        out->v[k++] = tl.v[i].s;
    }
    free(tl.v);
    qsort(out->v, k, sizeof *out->v, cmp_str);
    out->n = 0;
    for (i = 0; i < k; i++) {
        if (out->n && strcmp(out->v[out->n - 1], out->v[i]) == 0)
            free(out->v[i]);
        else
            out->v[out->n++] = out->v[i];
    }
    return 0;
}

static size_t tset_common(const tset *a, const tset *b)
{
    size_t i = 0, j = 0, c = 0;

    while (i < a->n && j < b->n) {
        int r = strcmp(a->v[i], b->v[j]);
        if (r == 0)
            c++, i++, j++;
        else if (r < 0)
            i++;
        else
            j++;
    }
    return c;
}

static double jaccard(const tset *a, const tset *b)
{
    size_t c = tset_common(a, b);
    size_t u = a->n + b->n - c;

    return u ? (double)c / (double)u : 0.0;
}

/* Jaccard, or 1 when a set of at least two tokens lies inside the other. */
static double near_sim(const tset *a, const tset *b)
{
    size_t c = tset_common(a, b);
    size_t mn = a->n < b->n ? a->n : b->n;
    size_t u = a->n + b->n - c;

    if (mn >= 2 && c == mn)
        return 1.0;
    return u ? (double)c / (double)u : 0.0;
}

/* ------------------------------------------------------------------ */
/* Stop words                                                          */

typedef struct swlang {
    char lang[8];
    char **words; /* sorted */
    size_t n;
} swlang;

struct avk_stopwords {
    swlang *l;
    size_t n;
};

void avk_stopwords_free(avk_stopwords *sw)
{
    size_t i, j;

    if (!sw)
        return;
    for (i = 0; i < sw->n; i++) {
        for (j = 0; j < sw->l[i].n; j++)
            free(sw->l[i].words[j]);
        free(sw->l[i].words);
    }
    free(sw->l);
    free(sw);
}

static int load_one(const char *dir, const char *lang, swlang *out,
                    avk_err *err)
{
    char name[16];
    char *path;
    avk_buf b;
    char *line, *save = NULL;
    size_t cap = 0;
    int rc;

    memset(out, 0, sizeof *out);
    snprintf(out->lang, sizeof out->lang, "%s", lang);
    snprintf(name, sizeof name, "%s.txt", lang);
    path = avk_path_join(dir, name);
    if (!path)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    avk_buf_init(&b);
    rc = avk_read_file(path, &b, err);
    if (rc) {
        avk_err_prefix(err, "stop words for '%s'", lang);
        if (err)
            err->code = AVK_EX_CONFIG;
        free(path);
        avk_buf_release(&b);
        return AVK_EX_CONFIG;
    }
    free(path);
    for (line = strtok_r(b.data ? b.data : (char *)"", "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *e, *w;
        while (isspace((unsigned char)*line))
            line++;
        if ((e = strchr(line, '#')) != NULL)
            *e = '\0';
        e = line + strlen(line);
        while (e > line && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*line)
            continue;
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 128;
            char **v = realloc(out->words, nc * sizeof *v);
            if (!v)
                goto oom;
            out->words = v;
            cap = nc;
        }
        if (!(w = lower_dup(line)))
            goto oom;
        out->words[out->n++] = w;
    }
    avk_buf_release(&b);
    if (out->n)
        qsort(out->words, out->n, sizeof *out->words, cmp_str);
    return 0;
oom:
    avk_buf_release(&b);
    return avk_fail(err, AVK_EX_OSERR, "out of memory");
}

int avk_stopwords_load(const char *dir, const char *langs,
                       avk_stopwords **out, avk_err *err)
{
    avk_stopwords *sw = calloc(1, sizeof *sw);
    const char *p = langs ? langs : "";
    int rc = 0;

    *out = NULL;
    if (!sw)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    while (*p) {
        char lang[8];
        size_t n = strcspn(p, ", ");
        swlang *l;

        if (n == 0) {
            p++;
            continue;
        }
        if (n >= sizeof lang) {
            rc = avk_fail(err, AVK_EX_CONFIG, "bad language '%.*s'", (int)n, p);
            break;
        }
        memcpy(lang, p, n);
        lang[n] = '\0';
        p += n;
        if (strspn(lang, "abcdefghijklmnopqrstuvwxyz") != n) {
            rc = avk_fail(err, AVK_EX_CONFIG, "bad language '%s'", lang);
            break;
        }
        l = realloc(sw->l, (sw->n + 1) * sizeof *l);
        if (!l) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        sw->l = l;
        rc = load_one(dir, lang, &sw->l[sw->n], err);
        sw->n++; /* counted even on failure so free releases it */
        if (rc)
            break;
    }
    if (rc) {
        avk_stopwords_free(sw);
        return rc;
    }
    *out = sw;
    return 0;
}

int avk_stopwords_has(const avk_stopwords *sw, const char *lang,
                      const char *word)
{
    size_t i;

    if (!sw)
        return 0;
    for (i = 0; i < sw->n; i++) {
        if ((lang && strcmp(lang, sw->l[i].lang) != 0) || !sw->l[i].n)
            continue;
        if (bsearch(&word, sw->l[i].words, sw->l[i].n, sizeof(char *),
                    cmp_str))
            return 1;
    }
    /* A language without a list: fall back to all lists. */
    if (lang) {
        for (i = 0; i < sw->n; i++)
            if (strcmp(lang, sw->l[i].lang) == 0)
                return 0;
        return avk_stopwords_has(sw, NULL, word);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Options and small helpers                                           */

const char *avk_trend_part_name(int part)
{
    static const char *const names[] = {"velocity", "recency", "agreement",
                                        "engagement"};
    return part >= 0 && part < AVK_TREND_NPARTS ? names[part] : "?";
}

void avk_trend_opts_default(avk_trend_opts *o, long long now)
{
    memset(o, 0, sizeof *o);
    o->now = now;
    o->half_life_hours = 12;
    o->weight[AVK_TREND_VELOCITY] = 0.30;
    o->weight[AVK_TREND_RECENCY] = 0.25;
    o->weight[AVK_TREND_AGREEMENT] = 0.20;
    o->weight[AVK_TREND_ENGAGEMENT] = 0.25;
    o->merge_threshold = 0.5;
    o->match_threshold = 0.5;
    o->ref_points = 1000;
    o->ref_comments = 500;
    o->ref_traffic = 1e6;
    o->ref_views = 1e7;
    o->min_score = -1;
    o->max_keywords = 8;
}

char *avk_trend_key(const char *text, const char *lang,
                    const avk_stopwords *sw)
{
    tset t;
    avk_buf b;
    size_t i;
    int rc = 0;

    if (tset_from_text(text, lang, sw, &t))
        return NULL;
    avk_buf_init(&b);
    rc = avk_buf_adds(&b, "");
    for (i = 0; i < t.n && !rc; i++) {
        if (i)
            rc = avk_buf_addc(&b, ' ');
        if (!rc)
            rc = avk_buf_adds(&b, t.v[i]);
    }
    tset_release(&t);
    if (rc) {
        avk_buf_release(&b);
        return NULL;
    }
    return avk_buf_detach(&b);
}

double avk_trend_similarity(const char *a, const char *b,
                            const avk_stopwords *sw)
{
    tset ta, tb;
    double s;

    if (tset_from_text(a, NULL, sw, &ta))
        return 0;
    if (tset_from_text(b, NULL, sw, &tb)) {
        tset_release(&ta);
        return 0;
    }
    s = jaccard(&ta, &tb);
    tset_release(&ta);
    tset_release(&tb);
    return s;
}

double avk_trend_coverage(const char *query, const char *text,
                          const avk_stopwords *sw)
{
    tset tq, tt;
    double c;

    if (tset_from_text(query, NULL, sw, &tq))
        return 0;
    if (tset_from_text(text, NULL, sw, &tt)) {
        tset_release(&tq);
        return 0;
    }
    c = tq.n ? (double)tset_common(&tq, &tt) / (double)tq.n : 0;
    tset_release(&tq);
    tset_release(&tt);
    return c;
}

/* Case-insensitive whole-word search of needle (already lower-case). */
static int mentions(const char *hay, const char *needle)
{
    char *h;
    const char *p;
    size_t n = strlen(needle);
    int found = 0;

    if (!hay || !n)
        return 0;
    h = lower_dup(hay);
    if (!h)
        return 0;
    for (p = h; (p = strstr(p, needle)) != NULL; p++) {
        unsigned char before = p == h ? ' ' : (unsigned char)p[-1];
        unsigned char after = (unsigned char)p[n];
        if (!isalnum(before) && !isalnum(after)) {
            found = 1;
            break;
        }
    }
    free(h);
    return found;
}

/* ------------------------------------------------------------------ */
/* Ranking                                                             */

typedef struct titem {
    const avk_feed_item *it;
    size_t idx;       /* index in the caller's array */
    const char *lang; /* may be NULL */
    tset main;        /* tokens of the title */
    tset *alt;        /* tokens of news headlines */
    size_t n_alt;
    double eng;       /* engagement value in [0, 1] */
    size_t parent;    /* union-find */
} titem;

static size_t uf_find(titem *t, size_t i)
{
    while (t[i].parent != i) {
        t[i].parent = t[t[i].parent].parent;
        i = t[i].parent;
    }
    return i;
}

static void uf_union(titem *t, size_t a, size_t b)
{
    a = uf_find(t, a);
    b = uf_find(t, b);
    if (a < b)
        t[b].parent = a;
    else if (b < a)
        t[a].parent = b;
}

static double item_sim(const titem *a, const titem *b)
{
    double best = near_sim(&a->main, &b->main);
    size_t i, j;

    for (i = 0; i < a->n_alt && best < 1; i++) {
        double s = near_sim(&a->alt[i], &b->main);
        if (s > best)
            best = s;
        for (j = 0; j < b->n_alt; j++)
            if ((s = near_sim(&a->alt[i], &b->alt[j])) > best)
                best = s;
    }
    for (j = 0; j < b->n_alt && best < 1; j++) {
        double s = near_sim(&a->main, &b->alt[j]);
        if (s > best)
            best = s;
    }
    return best;
}

static double log_norm(long long x, double ref)
{
    double v;

    if (x < 0 || ref <= 0)
        return 0;
    v = log10(1.0 + (double)x) / log10(1.0 + ref);
    return v > 1 ? 1 : v;
}

static double engagement(const avk_feed_item *it, const avk_trend_opts *o)
{
    double e = log_norm(it->points, o->ref_points);
    double v;

    if ((v = log_norm(it->comments, o->ref_comments)) > e)
        e = v;
    if ((v = log_norm(it->traffic, o->ref_traffic)) > e)
        e = v;
    if ((v = log_norm(it->views, o->ref_views)) > e)
        e = v;
    return e;
}

static void titem_release(titem *t)
{
    size_t i;

    tset_release(&t->main);
    for (i = 0; i < t->n_alt; i++)
        tset_release(&t->alt[i]);
    free(t->alt);
}

static void topic_release(avk_trend_topic *t)
{
    size_t i;

    free(t->phrase);
    free(t->key);
    free(t->lang);
    for (i = 0; i < t->n_keywords; i++)
        free(t->keywords[i]);
    free(t->keywords);
    for (i = 0; i < t->n_sources; i++)
        free(t->sources[i]);
    free(t->sources);
    free(t->items);
}

void avk_trend_result_free(avk_trend_result *r)
{
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->n_topics; i++)
        topic_release(&r->topics[i]);
    free(r->topics);
    free(r);
}

/* Phrase without a trailing " - Publisher" / " | Publisher" of at most four
 * words, when at least three words remain. */
static char *strip_publisher(const char *title)
{
    static const char *const seps[] = {" - ", " | ", " \xE2\x80\x93 ",
                                       " \xE2\x80\x94 "};
    size_t k, n = strlen(title);
    const char *cut = NULL;
    char *r;

    for (k = 0; k < sizeof seps / sizeof seps[0]; k++) {
        const char *p = title, *last = NULL;
        while ((p = strstr(p, seps[k])) != NULL)
            last = p++;
        if (last && (!cut || last > cut))
            cut = last;
    }
    if (cut) {
        size_t words_after = 1, words_before = 1;
        const char *p;
        for (p = cut + 3; *p; p++)
            if (*p == ' ')
                words_after++;
        for (p = title; p < cut; p++)
            if (*p == ' ')
                words_before++;
        if (words_after <= 4 && words_before >= 3)
            n = (size_t)(cut - title);
    }
    r = malloc(n + 1);
    if (r) {
        memcpy(r, title, n);
        r[n] = '\0';
    }
    return r;
}

/* Keyword candidates: one entry per (n-gram, item). */
typedef struct kcand {
    char *text;
    size_t item;
    int n;      /* words */
    int weight; /* 2 title, 1 summary */
} kcand;

typedef struct kvec {
    kcand *v;
    size_t n, cap;
} kvec;

static int kvec_add(kvec *k, const toklist *tl, size_t from, int n,
                    size_t item, int weight)
{
    avk_buf b;
    int i;

    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        kcand *v = realloc(k->v, cap * sizeof *v);
        if (!v)
            return AVK_EX_OSERR;
        k->v = v;
        k->cap = cap;
    }
    avk_buf_init(&b);
    for (i = 0; i < n; i++) {
        if ((i && avk_buf_addc(&b, ' ')) || avk_buf_adds(&b, tl->v[from + i].s)) {
            avk_buf_release(&b);
            return AVK_EX_OSERR;
        }
    }
    k->v[k->n].text = avk_buf_detach(&b);
    k->v[k->n].item = item;
    k->v[k->n].n = n;
    k->v[k->n].weight = weight;
    k->n++;
    return 0;
}

static int all_digits(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != ' ')
            return 0;
    return 1;
}

static int ngrams(kvec *k, const char *text, const char *lang,
                  const avk_stopwords *sw, size_t item, int weight)
{
    toklist tl;
    size_t i;
    int n, rc = 0;

    if (!text || tokenize(text, lang, sw, &tl))
        return text ? AVK_EX_OSERR : 0;
    for (i = 0; i < tl.n && !rc; i++) {
        if (tl.v[i].stop)
            continue;
        for (n = 1; n <= 3 && i + (size_t)n <= tl.n; n++) {
            size_t last = i + (size_t)n - 1;
            if (n > 1 && (tl.v[last].brk || tl.v[last].stop))
                break;
            if ((rc = kvec_add(k, &tl, i, n, item, weight)) != 0)
                break;
            if (all_digits(k->v[k->n - 1].text)) {
                free(k->v[--k->n].text);
            }
        }
    }
    toklist_release(&tl);
    return rc;
}

static int cmp_kcand(const void *a, const void *b)
{
    const kcand *x = a, *y = b;
    int r = strcmp(x->text, y->text);

    if (r)
        return r;
    return x->item < y->item ? -1 : x->item > y->item;
}

typedef struct kscore {
    const char *text;
    double score;
} kscore;

static int cmp_kscore(const void *a, const void *b)
{
    const kscore *x = a, *y = b;

    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* How many words of s are among the words of t? */
static int words_common(const char *s, const char *t)
{
    char w[256];
    int common = 0;

    if (!s || !t)
        return 0;
    while (*s) {
        size_t n = strcspn(s, " ");
        const char *p = t;
        int found = 0;

        if (n >= sizeof w)
            return common;
        memcpy(w, s, n);
        w[n] = '\0';
        while (*p) {
            size_t m = strcspn(p, " ");
            if (m == n && memcmp(p, w, n) == 0) {
                found = 1;
                break;
            }
            p += m;
            while (*p == ' ')
                p++;
        }
        common += found;
        s += n;
        while (*s == ' ')
            s++;
    }
    return common;
}

static int word_count(const char *s)
{
    int n = 1;

    for (; s && *s; s++)
        n += *s == ' ';
    return n;
}

static int topic_keywords(avk_trend_topic *tp, titem *ti, const size_t *mem,
                          size_t nm, const avk_stopwords *sw, size_t max)
{
    kvec k = {0};
    kscore *ks = NULL;
    size_t i, j, nks = 0;
    int rc = 0;

    for (i = 0; i < nm && !rc; i++) {
        const avk_feed_item *it = ti[mem[i]].it;
        rc = ngrams(&k, it->title, ti[mem[i]].lang, sw, i, 2);
        if (!rc)
            rc = ngrams(&k, it->summary, ti[mem[i]].lang, sw, i, 1);
        for (j = 0; j < it->n_news && !rc; j++)
            rc = ngrams(&k, it->news[j].title, ti[mem[i]].lang, sw, i, 1);
    }
    if (rc)
        goto out;
    if (k.n)
        qsort(k.v, k.n, sizeof *k.v, cmp_kcand);
    ks = malloc((k.n ? k.n : 1) * sizeof *ks);
    if (!ks) {
        rc = AVK_EX_OSERR;
        goto out;
    }
    for (i = 0; i < k.n;) {
        double sum = 0;
        size_t start = i;
        int n = k.v[i].n;
        while (i < k.n && strcmp(k.v[i].text, k.v[start].text) == 0) {
            int best = k.v[i].weight;
            size_t item = k.v[i].item;
            while (i < k.n && strcmp(k.v[i].text, k.v[start].text) == 0 &&
                   k.v[i].item == item) {
                if (k.v[i].weight > best)
                    best = k.v[i].weight;
                i++;
            }
            sum += best;
        }
        if (sum >= 2) {
            ks[nks].text = k.v[start].text;
            ks[nks].score = sum * (1 + 0.5 * (n - 1));
            nks++;
        }
    }
    qsort(ks, nks, sizeof *ks, cmp_kscore);
    tp->keywords = calloc(max ? max : 1, sizeof *tp->keywords);
    if (!tp->keywords) {
        rc = AVK_EX_OSERR;
        goto out;
    }
    for (i = 0; i < nks && tp->n_keywords < max; i++) {
        int dup = 0, nw = word_count(ks[i].text);
        /* Redundant: all its words already chosen in one keyword, or two
         * or more shared with one. */
        for (j = 0; j < tp->n_keywords && !dup; j++) {
            int c = words_common(ks[i].text, tp->keywords[j]);
            dup = c == nw || c >= 2 || c == word_count(tp->keywords[j]);
        }
        if (dup)
            continue;
        if (!(tp->keywords[tp->n_keywords] = strdup(ks[i].text))) {
            rc = AVK_EX_OSERR;
            goto out;
        }
        tp->n_keywords++;
    }
out:
    for (i = 0; i < k.n; i++)
        free(k.v[i].text);
    free(k.v);
    free(ks);
    return rc;
}

typedef struct rctx {
    const avk_trend_opts *o;
    const avk_stopwords *sw;
    titem *ti;
    tset *prev; /* tokens of each prev key */
    const avk_trend_prev *prevs;
    size_t n_prev;
    size_t n_sources_all;
} rctx;

static int topic_build(rctx *r, avk_trend_topic *tp, size_t *mem, size_t nm)
{
    const avk_trend_opts *o = r->o;
    titem *ti = r->ti;
    size_t i, j, best = 0;
    double best_sum = -1, mass = 0;
    const char *langs[64];
    size_t lang_n[64], n_langs = 0;
    char *phrase;

    memset(tp, 0, sizeof *tp);
    tp->newest = -1;
    tp->prev_count = -1;
    /* Members newest first (insertion sort; clusters are small). */
    for (i = 1; i < nm; i++) {
        size_t v = mem[i];
        j = i;
        while (j > 0) {
            const avk_feed_item *a = ti[mem[j - 1]].it, *b = ti[v].it;
            if (a->published > b->published ||
                (a->published == b->published && mem[j - 1] < v))
                break;
            mem[j] = mem[j - 1];
            j--;
        }
        mem[j] = v;
    }
    /* Phrase: the medoid headline. */
    for (i = 0; i < nm; i++) {
        double sum = 0;
        const titem *a = &ti[mem[i]];
        for (j = 0; j < nm; j++)
            if (j != i)
                sum += jaccard(&a->main, &ti[mem[j]].main);
        if (best_sum < 0 || sum > best_sum + 1e-12) {
            best = i;
            best_sum = sum;
        } else if (fabs(sum - best_sum) <= 1e-12) {
            const titem *b = &ti[mem[best]];
            int a3 = a->main.n >= 3, b3 = b->main.n >= 3;
            size_t la = strlen(a->it->title), lb = strlen(b->it->title);
            if (a3 != b3 ? a3 > b3
                         : la != lb ? la < lb
                                    : strcmp(a->it->title, b->it->title) < 0)
                best = i;
        }
    }
    phrase = strip_publisher(ti[mem[best]].it->title);
    if (!phrase)
        return AVK_EX_OSERR;
    tp->phrase = phrase;
    tp->key = avk_trend_key(phrase, ti[mem[best]].lang, r->sw);
    tp->items = malloc((nm ? nm : 1) * sizeof *tp->items);
    tp->sources = calloc(nm ? nm : 1, sizeof *tp->sources);
    if (!tp->key || !tp->items || !tp->sources)
        return AVK_EX_OSERR;
    /* Items, sources, newest, engagement, mass, language. */
    for (i = 0; i < nm; i++) {
        const titem *t = &ti[mem[i]];
        int seen = 0;
        tp->items[tp->n_items++] = t->idx;
        if (t->it->published > tp->newest)
            tp->newest = t->it->published;
        if (t->eng > tp->value[AVK_TREND_ENGAGEMENT])
            tp->value[AVK_TREND_ENGAGEMENT] = t->eng;
        mass += 1 + t->eng;
        const char *src = t->it->source ? t->it->source : "";
        for (j = 0; j < tp->n_sources && !seen; j++)
            seen = tp->sources[j] && strcmp(tp->sources[j], src) == 0;
        if (!seen && !(tp->sources[tp->n_sources++] = strdup(src)))
            return AVK_EX_OSERR;
        if (t->lang) {
            for (j = 0; j < n_langs; j++)
                if (strcmp(langs[j], t->lang) == 0)
                    break;
            if (j < n_langs)
                lang_n[j]++;
            else if (n_langs < 64) {
                langs[n_langs] = t->lang;
                lang_n[n_langs++] = 1;
            }
        }
    }
    qsort(tp->sources, tp->n_sources, sizeof *tp->sources, cmp_str);
    if (n_langs) {
        size_t bl = 0;
        for (j = 1; j < n_langs; j++)
            if (lang_n[j] > lang_n[bl] ||
                (lang_n[j] == lang_n[bl] && strcmp(langs[j], langs[bl]) < 0))
                bl = j;
        if (!(tp->lang = strdup(langs[bl])))
            return AVK_EX_OSERR;
    }
    tp->mass = mass;
    /* Velocity: growth g in [-1, 1] mapped to (g + 1) / 2; neutral 0.5
     * without a previous snapshot. */
    tp->value[AVK_TREND_VELOCITY] = 0.5;
    if (o->have_prev) {
        double best_s = 0, prev = 0;
        for (j = 0; j < r->n_prev; j++) {
            double s = 0;
            for (i = 0; i < nm; i++) {
                const titem *t = &ti[mem[i]];
                double v = near_sim(&t->main, &r->prev[j]);
                size_t a;
                for (a = 0; a < t->n_alt; a++)
                    if (near_sim(&t->alt[a], &r->prev[j]) > v)
                        v = near_sim(&t->alt[a], &r->prev[j]);
                if (v > s)
                    s = v;
            }
            if (s >= o->match_threshold &&
                (s > best_s || (s == best_s && r->prevs[j].count > prev))) {
                best_s = s;
                prev = r->prevs[j].count;
            }
        }
        tp->prev_count = prev;
        tp->growth = mass + prev > 0 ? (mass - prev) / (mass + prev) : 0;
        tp->value[AVK_TREND_VELOCITY] = (tp->growth + 1) / 2;
    }
    /* Recency. */
    if (tp->newest < 0) {
        tp->value[AVK_TREND_RECENCY] = 0.5;
    } else {
        double age_h = (double)(o->now - tp->newest) / 3600.0;
        if (age_h < 0)
            age_h = 0;
        tp->value[AVK_TREND_RECENCY] =
            o->half_life_hours > 0 ? pow(0.5, age_h / o->half_life_hours) : 0;
    }
    /* Agreement. */
    tp->value[AVK_TREND_AGREEMENT] =
        r->n_sources_all > 1 ? (double)(tp->n_sources - 1) /
                                   (double)(r->n_sources_all - 1)
                             : 0;
    /* Score. */
    tp->score = 0;
    for (j = 0; j < AVK_TREND_NPARTS; j++) {
        tp->weight[j] = o->weight[j];
        tp->part[j] = o->weight[j] * tp->value[j];
        tp->score += tp->part[j];
    }
    return topic_keywords(tp, ti, mem, nm, r->sw, o->max_keywords);
}

static int cmp_topic(const void *a, const void *b)
{
    const avk_trend_topic *x = a, *y = b;
    int r;

    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if ((r = strcmp(x->phrase, y->phrase)) != 0)
        return r;
    if ((r = strcmp(x->key, y->key)) != 0)
        return r;
    return x->items[0] < y->items[0] ? -1 : x->items[0] > y->items[0];
}

static int topic_mentions(const avk_trend_topic *tp,
                          const avk_feed_item *const *items, const char *term)
{
    size_t i;

    if (mentions(tp->phrase, term))
        return 1;
    for (i = 0; i < tp->n_keywords; i++)
        if (mentions(tp->keywords[i], term))
            return 1;
    for (i = 0; i < tp->n_items; i++)
        if (mentions(items[tp->items[i]]->title, term))
            return 1;
    return 0;
}

static int term_match(const avk_trend_topic *tp,
                      const avk_feed_item *const *items,
                      const char *const *terms, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char *t = lower_dup(terms[i]);
        int m = t && topic_mentions(tp, items, t);
        free(t);
        if (m)
            return 1;
    }
    return 0;
}

int avk_trend_rank(const avk_feed_item *const *items, size_t n,
                   const avk_trend_prev *prev, size_t n_prev,
                   const avk_trend_opts *o, const avk_stopwords *sw,
                   avk_trend_result **out, avk_err *err)
{
    rctx r;
    avk_trend_result *res = NULL;
    titem *ti = NULL;
    size_t nt = 0, i, j, *mem = NULL, nm;
    char **srcs = NULL;
    size_t nsrc = 0;
    int rc = AVK_EX_OSERR;

    *out = NULL;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.sw = sw;
    r.prevs = prev;
    r.n_prev = prev ? n_prev : 0;
    res = calloc(1, sizeof *res);
    ti = calloc(n ? n : 1, sizeof *ti);
    mem = malloc((n ? n : 1) * sizeof *mem);
    srcs = malloc((n ? n : 1) * sizeof *srcs);
    r.prev = calloc(r.n_prev ? r.n_prev : 1, sizeof *r.prev);
    if (!res || !ti || !mem || !srcs || !r.prev)
        goto fail;
    for (j = 0; j < r.n_prev; j++)
        if (tset_from_text(prev[j].key, NULL, sw, &r.prev[j]))
            goto fail;
    /* Item filters and token sets. */
    for (i = 0; i < n; i++) {
        const avk_feed_item *it = items[i];
        titem *t = &ti[nt];
        int seen = 0;

        if (o->lang && *o->lang && it->lang && strcmp(it->lang, o->lang) != 0)
            continue;
        if (o->since > 0 && it->published >= 0 && it->published < o->since)
            continue;
        t->it = it;
        t->idx = i;
        t->lang = it->lang;
        t->parent = nt;
        t->eng = engagement(it, o);
        nt++;
        if (tset_from_text(it->title, t->lang, sw, &t->main))
            goto fail;
        if (it->n_news) {
            if (!(t->alt = calloc(it->n_news, sizeof *t->alt)))
                goto fail;
            for (j = 0; j < it->n_news; j++) {
                if (tset_from_text(it->news[j].title, t->lang, sw, &t->alt[j]))
                    goto fail;
                t->n_alt++;
            }
        }
        for (j = 0; j < nsrc && !seen; j++)
            seen = strcmp(srcs[j], it->source) == 0;
        if (!seen)
            srcs[nsrc++] = it->source;
    }
    r.ti = ti;
    r.n_sources_all = nsrc;
    res->n_items_used = nt;
    /* Merge near-duplicates. */
    for (i = 0; i < nt; i++)
        for (j = i + 1; j < nt; j++) {
            if (uf_find(ti, i) == uf_find(ti, j))
                continue;
            if ((ti[i].it->link && ti[j].it->link &&
                 strcmp(ti[i].it->source, ti[j].it->source) != 0 &&
                 strcmp(ti[i].it->link, ti[j].it->link) == 0) ||
                item_sim(&ti[i], &ti[j]) >= o->merge_threshold)
                uf_union(ti, i, j);
        }
    /* One topic per cluster root. */
    res->topics = calloc(nt ? nt : 1, sizeof *res->topics);
    if (!res->topics)
        goto fail;
    for (i = 0; i < nt; i++) {
        avk_trend_topic *tp;
        if (uf_find(ti, i) != i)
            continue;
        nm = 0;
        for (j = i; j < nt; j++)
            if (uf_find(ti, j) == i)
                mem[nm++] = j;
        tp = &res->topics[res->n_topics++];
        if (topic_build(&r, tp, mem, nm))
            goto fail;
        if ((o->n_include && !term_match(tp, items, o->include, o->n_include)) ||
            (o->n_exclude && term_match(tp, items, o->exclude, o->n_exclude)) ||
            tp->score < o->min_score) {
            topic_release(tp);
            res->n_topics--;
        }
    }
    qsort(res->topics, res->n_topics, sizeof *res->topics, cmp_topic);
    if (o->limit && res->n_topics > o->limit) {
        for (i = o->limit; i < res->n_topics; i++)
            topic_release(&res->topics[i]);
        res->n_topics = o->limit;
    }
    rc = 0;
    *out = res;
    res = NULL;
fail:
    for (i = 0; i < nt; i++)
        titem_release(&ti[i]);
    for (j = 0; r.prev && j < r.n_prev; j++)
        tset_release(&r.prev[j]);
    free(r.prev);
    free(ti);
    free(mem);
    free(srcs);
    avk_trend_result_free(res);
    if (rc)
        return avk_fail(err, rc, "out of memory while ranking topics");
    return 0;
}
