/* Unit tests for trendscore: stop words, keys, merging, keywords, ranking,
 * velocity across two snapshots, the explain breakdown and the filters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "feed.h"
#include "fsutil.h"
#include "tap.h"
#include "trendout.h"
#include "trendscore.h"

#define NOW 1795608000LL /* 2026-11-25T12:00:00Z */

static const char *top(void)
{
    const char *t = getenv("AVK_TOP");
    return t ? t : ".";
}

static avk_feed *load(const char *name)
{
    char path[512];
    avk_buf b;
    avk_feed *f = NULL;
    avk_err err;

    snprintf(path, sizeof path, "%s/examples/feeds/%s", top(), name);
    avk_buf_init(&b);
    if (avk_read_file(path, &b, &err) ||
        avk_feed_parse(name, b.data, b.len, AVK_FEED_AUTO, NULL, &f, &err))
        printf("# %s\n", err.msg);
    avk_buf_release(&b);
    return f;
}

typedef struct set {
    avk_feed *f[8];
    size_t nf;
    const avk_feed_item *items[200];
    size_t n;
} set;

static void set_add(set *s, const char *name)
{
    avk_feed *f = load(name);
    size_t i;

    if (!f)
        return;
    s->f[s->nf++] = f;
    for (i = 0; i < f->n_items && s->n < 200; i++)
        s->items[s->n++] = &f->items[i];
}

static void set_release(set *s)
{
    size_t i;

    for (i = 0; i < s->nf; i++)
        avk_feed_free(s->f[i]);
    memset(s, 0, sizeof *s);
}

static avk_stopwords *stopwords(void)
{
    char dir[512];
    avk_stopwords *sw = NULL;
    avk_err err;

    snprintf(dir, sizeof dir, "%s/share/stopwords", top());
    if (avk_stopwords_load(dir, "en,es,de,fr", &sw, &err))
        printf("# %s\n", err.msg);
    return sw;
}

static void dump(const avk_trend_result *r)
{
    size_t i, j;

    for (i = 0; i < r->n_topics; i++) {
        const avk_trend_topic *t = &r->topics[i];
        printf("# %.3f [v%.2f r%.2f a%.2f e%.2f] %s |", t->score,
               t->value[0], t->value[1], t->value[2], t->value[3], t->phrase);
        for (j = 0; j < t->n_keywords; j++)
            printf(" %s;", t->keywords[j]);
        printf(" (%zu items)\n", t->n_items);
    }
}

static const avk_trend_topic *find(const avk_trend_result *r, const char *word)
{
    size_t i;

    for (i = 0; i < r->n_topics; i++)
        if (strstr(r->topics[i].phrase, word))
            return &r->topics[i];
    return NULL;
}

static void test_stopwords(const avk_stopwords *sw)
{
    avk_stopwords *bad = NULL;
    avk_err err;
    char *k;

    ok(sw != NULL, "stop-word lists load");
    ok(avk_stopwords_has(sw, "en", "the"), "en: the");
    ok(!avk_stopwords_has(sw, "en", "rover"), "en: rover is not");
    ok(avk_stopwords_has(sw, "de", "und") && !avk_stopwords_has(sw, "en", "und"),
       "de list separate from en");
    ok(avk_stopwords_has(sw, "fr", "\xC3\xA0"), "fr: UTF-8 word");
    ok(avk_stopwords_has(sw, NULL, "los"), "unknown language: any list");
    ok(avk_stopwords_has(sw, "it", "the"), "language without a list: any list");
    ok(avk_stopwords_load("/nonexistent", "en", &bad, &err) == AVK_EX_CONFIG &&
           bad == NULL && strstr(err.msg, "'/nonexistent/en.txt'"),
       "missing list is a configuration error: %s", err.msg);
    ok(avk_stopwords_load("/nonexistent", "../x", &bad, &err) == AVK_EX_CONFIG,
       "odd language name refused");

    k = avk_trend_key("The Rovers found ICE at the Moon's pole, and the ice!", "en", sw);
    is_str(k, "found ice moon pole rover", "key: sorted, distinct, no stop words, plural folded");
    free(k);
    k = avk_trend_key("\xC3\x89" "COLE Caf\xC3\xA9", "fr", sw);
    is_str(k, "caf\xC3\xA9 \xC3\xA9" "cole", "key lower-cases Latin-1 letters");
    free(k);
    ok(fabs(avk_trend_similarity("water ice on the moon", "moon water ice found", sw) -
            0.75) < 1e-9,
       "Jaccard similarity");
    ok(avk_trend_coverage("Moon ice", "found ice moon pole rover", sw) == 1.0 &&
           avk_trend_coverage("moon cheese", "found ice moon pole rover", sw) == 0.5 &&
           avk_trend_coverage("the", "moon", sw) == 0,
       "coverage");
}

static void test_ranking(const avk_stopwords *sw)
{
    set s = {0};
    avk_trend_opts o;
    avk_trend_result *r = NULL;
    avk_err err;
    const avk_trend_topic *moon, *school, *heat;
    size_t i, j;
    int sorted = 1, sums = 1;

    set_add(&s, "news-daily.rss");
    set_add(&s, "world-wire.rss");
    set_add(&s, "tech-notes.atom");
    set_add(&s, "gtrends-US.xml");
    set_add(&s, "hn-topstories.json");
    set_add(&s, "reddit-worldnews.json");
    ok(s.nf == 6, "six example feeds load");
    avk_trend_opts_default(&o, NOW);
    ok(avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &r, &err) == 0 && r,
       "rank succeeds");
    if (!r) {
        set_release(&s);
        return;
    }
    dump(r);
    moon = find(r, "ice");
    ok(moon != NULL, "moon topic found");
    if (moon) {
        ok(moon == &r->topics[0], "the story every source covers ranks first");
        is_int(moon->n_sources, 5, "moon story merged across five sources");
        ok(moon->n_items >= 5, "near-duplicate headlines merged (%zu items)", moon->n_items);
        ok(strstr(moon->phrase, " - World Wire") == NULL, "publisher suffix not in phrase");
        ok(moon->n_keywords > 0 && strstr(moon->keywords[0], "ice") != NULL,
           "first keyword mentions ice (%s)", moon->n_keywords ? moon->keywords[0] : "");
        for (i = 0; i < moon->n_keywords; i++)
            ok(strcmp(moon->keywords[i], "the") != 0 &&
                   strncmp(moon->keywords[i], "the ", 4) != 0,
               "keyword '%s' does not start with a stop word", moon->keywords[i]);
        is_int(moon->prev_count, -1, "no previous snapshot: prev_count -1");
        ok(moon->value[AVK_TREND_VELOCITY] == 0.5 && moon->growth == 0,
           "no previous snapshot: velocity 0.5 (steady)");
        ok(fabs(moon->value[AVK_TREND_AGREEMENT] - 0.8) < 1e-12, "agreement (5-1)/(6-1)");
        ok(find(r, "drill") != NULL, "a related but different headline stays apart");
        for (i = 1; i < moon->n_items; i++)
            ok(s.items[moon->items[i - 1]]->published >= s.items[moon->items[i]]->published,
               "items newest first (%zu)", i);
    }
    school = find(r, "school");
    ok(school && school->n_sources == 2 && school->n_items == 2,
       "school story merged across RSS and Reddit");
    heat = find(r, "eatwave");
    ok(heat && heat->n_items == 3, "heatwave merged (word order differs)");
    ok(find(r, "sourdough recipe") != NULL && find(r, "bakery") != NULL,
       "different stories stay apart");
    ok(find(r, "interest rates") == NULL || find(r, "interest rates")->n_items == 2,
       "search term merged with its headline");
    for (i = 1; i < r->n_topics; i++) {
        const avk_trend_topic *a = &r->topics[i - 1], *b = &r->topics[i];
        if (a->score < b->score || (a->score == b->score && strcmp(a->phrase, b->phrase) > 0))
            sorted = 0;
    }
    ok(sorted, "ranked by score, ties by phrase");
    for (i = 0; i < r->n_topics; i++) {
        double sum = 0;
        for (j = 0; j < AVK_TREND_NPARTS; j++) {
            sum += r->topics[i].part[j];
            if (fabs(r->topics[i].part[j] -
                     r->topics[i].weight[j] * r->topics[i].value[j]) > 1e-12)
                sums = 0;
        }
        if (fabs(sum - r->topics[i].score) > 1e-12)
            sums = 0;
    }
    ok(sums, "explain parts are weight x value and sum to the score");
    if (moon) {
        json_t *sec = avk_trend_section(moon, s.items, 3, &o, 1);
        json_t *parts = json_object_get(sec, "score_parts");
        double psum = 0;
        const char *k;
        json_t *v;
        json_object_foreach(parts, k, v) psum += json_real_value(v);
        ok(sec && fabs(psum - json_real_value(json_object_get(sec, "score"))) < 1e-9,
           "section: printed parts sum to the printed score");
        ok(json_array_size(json_object_get(sec, "items")) == 3, "section: items capped");
        ok(json_is_object(json_object_get(json_object_get(sec, "explain"), "velocity")),
           "section: explain per component");
        is_str(json_string_value(json_object_get(sec, "topic")), moon->phrase,
               "section: topic is the phrase");
        ok(json_object_get(json_array_get(json_object_get(sec, "items"), 0), "published") != NULL,
           "section: items carry ISO dates");
        json_decref(sec);
    }
    avk_trend_result_free(r);

    /* Determinism: the same input twice gives the same ranking. */
    {
        avk_trend_result *a = NULL, *b = NULL;
        int same = 1;
        avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &a, &err);
        avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &b, &err);
        same = a && b && a->n_topics == b->n_topics;
        for (i = 0; same && i < a->n_topics; i++)
            same = strcmp(a->topics[i].phrase, b->topics[i].phrase) == 0 &&
                   a->topics[i].score == b->topics[i].score;
        ok(same, "deterministic");
        avk_trend_result_free(a);
        avk_trend_result_free(b);
    }
    set_release(&s);
}

static void test_velocity(const avk_stopwords *sw)
{
    set s1 = {0}, s2 = {0};
    avk_trend_opts o;
    avk_trend_result *r1 = NULL, *r2 = NULL;
    avk_trend_prev prev[64];
    avk_err err;
    const avk_trend_topic *m, *c, *fresh;
    size_t i, np = 0;

    set_add(&s1, "gtrends-US.xml");
    set_add(&s2, "gtrends-US-later.xml");
    avk_trend_opts_default(&o, NOW);
    o.have_prev = 1; /* first snapshot: everything is new */
    avk_trend_rank(s1.items, s1.n, NULL, 0, &o, sw, &r1, &err);
    ok(r1 && r1->n_topics == 4, "first snapshot: four topics");
    if (!r1)
        goto out;
    dump(r1);
    for (i = 0; i < r1->n_topics; i++)
        ok(r1->topics[i].value[AVK_TREND_VELOCITY] == 1.0 && r1->topics[i].growth == 1.0,
           "empty previous snapshot: velocity 1 for '%s'", r1->topics[i].phrase);
    for (i = 0; i < r1->n_topics && np < 64; i++) {
        prev[np].key = r1->topics[i].key;
        prev[np].count = r1->topics[i].mass;
        np++;
    }
    o.now = NOW + 7200;
    avk_trend_rank(s2.items, s2.n, prev, np, &o, sw, &r2, &err);
    ok(r2 != NULL, "second snapshot ranks");
    if (!r2)
        goto out;
    dump(r2);
    m = find(r2, "moon");
    c = find(r2, "championship");
    fresh = NULL;
    for (i = 0; i < r2->n_topics; i++)
        if (strstr(r2->topics[i].phrase, "interest"))
            fresh = &r2->topics[i];
    ok(m && m->growth > 0.2 && m->value[AVK_TREND_VELOCITY] > 0.6,
       "growing topic (traffic up, second search merged) has positive growth (%.3f)",
       m ? m->growth : 0);
    ok(m && m->n_items == 2, "'lunar rover' search merged with 'moon water ice' via its news");
    ok(c && c->growth < 0 && c->value[AVK_TREND_VELOCITY] < 0.5,
       "shrinking topic has negative growth (%.3f)", c ? c->growth : 0);
    ok(fresh && fabs(fresh->growth) < 1e-9 && fabs(fresh->value[AVK_TREND_VELOCITY] - 0.5) < 1e-9,
       "unchanged topic: growth 0, velocity 0.5");
    for (i = 0; i < r2->n_topics; i++)
        ok(r2->topics[i].score >= 0 && r2->topics[i].score <= 1,
           "score in [0, 1] (%.3f)", r2->topics[i].score);
    ok(m && m == &r2->topics[0], "growing topic ranks first");
out:
    avk_trend_result_free(r1);
    avk_trend_result_free(r2);
    set_release(&s1);
    set_release(&s2);
}

static void test_filters(const avk_stopwords *sw)
{
    set s = {0};
    avk_trend_opts o;
    avk_trend_result *r = NULL;
    avk_err err;
    const char *inc[] = {"Heatwave"};
    const char *exc[] = {"moon", "school"};
    size_t i;
    int all_es = 1;

    set_add(&s, "news-daily.rss");
    set_add(&s, "world-wire.rss");
    set_add(&s, "reddit-worldnews.json");
    set_add(&s, "youtube-mostpopular.json");

    avk_trend_opts_default(&o, NOW);
    o.limit = 2;
    avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &r, &err);
    ok(r && r->n_topics == 2, "limit");
    avk_trend_result_free(r);

    avk_trend_opts_default(&o, NOW);
    o.include = inc;
    o.n_include = 1;
    avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &r, &err);
    ok(r && r->n_topics == 1 && strstr(r->topics[0].phrase, "eatwave"),
       "include (case-insensitive word)");
    avk_trend_result_free(r);

    avk_trend_opts_default(&o, NOW);
    o.exclude = exc;
    o.n_exclude = 2;
    avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &r, &err);
    ok(r && !find(r, "Moon") && !find(r, "school") && r->n_topics > 0, "exclude");
    avk_trend_result_free(r);

    avk_trend_opts_default(&o, NOW);
    o.min_score = 0.3;
    avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &r, &err);
    ok(r != NULL, "min_score runs");
    for (i = 0; r && i < r->n_topics; i++)
        ok(r->topics[i].score >= 0.3, "min_score kept %.3f", r->topics[i].score);
    avk_trend_result_free(r);

    avk_trend_opts_default(&o, NOW);
    o.lang = "es";
    avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &r, &err);
    for (i = 0; r && i < r->n_topics; i++)
        if (r->topics[i].lang && strcmp(r->topics[i].lang, "es") != 0)
            all_es = 0;
    ok(r && all_es && find(r, "masa madre") && !find(r, "Lunar rover") &&
           find(r, "Moon's"),
       "lang keeps that language and unknown-language items");
    if (r && find(r, "masa madre")) {
        const avk_trend_topic *t = find(r, "masa madre");
        ok(t->n_keywords > 0 && strcmp(t->keywords[0], "de") != 0,
           "Spanish stop words not keywords (%s)", t->keywords[0]);
    }
    avk_trend_result_free(r);

    avk_trend_opts_default(&o, NOW);
    o.since = NOW - 6 * 3600;
    avk_trend_rank(s.items, s.n, NULL, 0, &o, sw, &r, &err);
    ok(r && !find(r, "Marathon") && find(r, "rates"), "since drops older items");
    avk_trend_result_free(r);

    avk_trend_opts_default(&o, NOW);
    avk_trend_rank(s.items, 0, NULL, 0, &o, sw, &r, &err);
    ok(r && r->n_topics == 0, "no items, no topics");
    avk_trend_result_free(r);
    set_release(&s);
}

int main(void)
{
    avk_stopwords *sw = stopwords();

    test_stopwords(sw);
    test_ranking(sw);
    test_velocity(sw);
    test_filters(sw);
    avk_stopwords_free(sw);
    return tap_done();
}
