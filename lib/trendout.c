/*
 * trendout.c - build the "trend" section of a pipeline document from a
 * ranked topic (see trendout.h).  Only jansson objects are built here;
 * printing is the caller's.
 *
 * Invariant: the section's score equals the sum of its score_parts as
 * printed (both rounded to 6 decimals from the same rounded parts).
 */
#include "trendout.h"

#include <math.h>

#include "fsutil.h"

double avk_trend_round6(double x)
{
    double r = round(x * 1e6) / 1e6;
    return r == 0 ? 0 : r; /* no -0 */
}

static int set_new(json_t *o, const char *k, json_t *v)
{
    return v ? json_object_set_new(o, k, v) : -1;
}

static int set_count(json_t *o, const char *k, long long v)
{
    return v < 0 ? 0 : set_new(o, k, json_integer(v));
}

static json_t *item_json(const avk_feed_item *it)
{
    json_t *o = json_object();
    char iso[32];
    int bad = 0;

    if (!o)
        return NULL;
    bad |= set_new(o, "title", json_string(it->title));
    if (it->link)
        bad |= set_new(o, "link", json_string(it->link));
    if (it->summary)
        bad |= set_new(o, "summary", json_string(it->summary));
    if (it->published >= 0) {
        avk_time_iso(it->published, iso);
        bad |= set_new(o, "published", json_string(iso));
    }
    bad |= set_new(o, "source", json_string(it->source));
    bad |= set_count(o, "points", it->points);
    bad |= set_count(o, "comments", it->comments);
    bad |= set_count(o, "traffic", it->traffic);
    bad |= set_count(o, "views", it->views);
    if (it->lang)
        bad |= set_new(o, "lang", json_string(it->lang));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *explain_json(const avk_trend_topic *t,
                            const avk_feed_item *const *items,
                            const avk_trend_opts *o, const double *part)
{
    json_t *e = json_object();
    char iso[32];
    int i, bad = 0;
    size_t k, best = 0;
    double best_e = -1;

    if (!e)
        return NULL;
    for (i = 0; i < AVK_TREND_NPARTS && !bad; i++) {
        json_t *c = json_object();
        bad |= set_new(e, avk_trend_part_name(i), c);
        if (bad)
            break;
        bad |= set_new(c, "value", json_real(avk_trend_round6(t->value[i])));
        bad |= set_new(c, "weight", json_real(avk_trend_round6(t->weight[i])));
        bad |= set_new(c, "part", json_real(part[i]));
        switch (i) {
        case AVK_TREND_VELOCITY:
            if (t->prev_count >= 0) {
                bad |= set_new(c, "previous",
                               json_real(avk_trend_round6(t->prev_count)));
                bad |= set_new(c, "growth",
                               json_real(avk_trend_round6(t->growth)));
            } else {
                bad |= set_new(c, "previous", json_null());
                bad |= set_new(c, "growth", json_null());
            }
            bad |= set_new(c, "mass", json_real(avk_trend_round6(t->mass)));
            break;
        case AVK_TREND_RECENCY:
            if (t->newest >= 0) {
                avk_time_iso(t->newest, iso);
                bad |= set_new(c, "newest", json_string(iso));
            }
            bad |= set_new(c, "half_life_hours",
                           json_real(avk_trend_round6(o->half_life_hours)));
            break;
        case AVK_TREND_AGREEMENT:
            bad |= set_new(c, "sources", json_integer((json_int_t)t->n_sources));
            bad |= set_new(c, "items", json_integer((json_int_t)t->n_items));
            break;
        case AVK_TREND_ENGAGEMENT:
            for (k = 0; k < t->n_items; k++) {
                const avk_feed_item *it = items[t->items[k]];
                double v = (double)(it->points + it->comments + it->traffic +
                                    it->views);
                if (v > best_e) {
                    best_e = v;
                    best = k;
                }
            }
            if (t->n_items) {
                const avk_feed_item *it = items[t->items[best]];
                json_t *b = json_object();
                bad |= set_new(c, "from", b);
                if (!bad) {
                    bad |= set_new(b, "source", json_string(it->source));
                    bad |= set_count(b, "points", it->points);
                    bad |= set_count(b, "comments", it->comments);
                    bad |= set_count(b, "traffic", it->traffic);
                    bad |= set_count(b, "views", it->views);
                }
            }
            break;
        }
    }
    if (bad) {
        json_decref(e);
        return NULL;
    }
    return e;
}

json_t *avk_trend_section(const avk_trend_topic *t,
                          const avk_feed_item *const *items, size_t max_items,
                          const avk_trend_opts *o, int explain)
{
    json_t *s = json_object();
    json_t *parts = json_object(), *arr = json_array();
    double part[AVK_TREND_NPARTS], score = 0;
    size_t k;
    int i, bad = 0;

    if (!s || !parts || !arr) {
        json_decref(s);
        json_decref(parts);
        json_decref(arr);
        return NULL;
    }
    for (i = 0; i < AVK_TREND_NPARTS; i++) {
        part[i] = avk_trend_round6(t->part[i]);
        score += part[i];
        bad |= set_new(parts, avk_trend_part_name(i), json_real(part[i]));
    }
    bad |= set_new(s, "topic", json_string(t->phrase));
    bad |= set_new(s, "score", json_real(avk_trend_round6(score)));
    bad |= set_new(s, "score_parts", parts);
    bad |= set_new(s, "keywords", strings(t->keywords, t->n_keywords));
    bad |= set_new(s, "sources", strings(t->sources, t->n_sources));
    if (t->lang)
        bad |= set_new(s, "lang", json_string(t->lang));
    bad |= set_new(s, "key", json_string(t->key));
    for (k = 0; k < t->n_items && k < max_items && !bad; k++)
        bad |= json_array_append_new(arr, item_json(items[t->items[k]]));
    bad |= set_new(s, "items", arr);
    if (explain)
        bad |= set_new(s, "explain", explain_json(t, items, o, part));
    if (bad) {
        json_decref(s);
        return NULL;
    }
    return s;
}
