/*
 * trendscore.h - turn feed items into ranked, explained topics.
 *
 * Steps (avk_trend_rank):
 *   1. Filter items (language, --since).
 *   2. Tokenise each headline: lower-case, split on anything that is not a
 *      letter or digit, drop stop words of the item's language (all loaded
 *      languages when unknown) and one-letter tokens.  Google Trends items
 *      also count the headlines of their news items.
 *   3. Merge near-duplicates: two items join when the Jaccard similarity of
 *      their token sets reaches merge_threshold (default 0.5), or when one
 *      set of at least two tokens lies wholly inside the other.  Merging is
 *      transitive (single link).
 *   4. Per topic: phrase = the member headline most similar to all others
 *      (ties: shorter, then byte order), with a trailing " - Publisher"
 *      removed; keywords = 1-3 word n-grams of titles (weight 2) and
 *      summaries (weight 1) that neither start nor end with a stop word,
 *      scored by item frequency x (1 + 0.5 (n-1)), best first, skipping
 *      ones that contain or lie inside an earlier keyword or share two
 *      words with one.
 *   5. Score = sum of weight_i x value_i over four components:
 *        velocity   (g + 1) / 2 with growth g = (m_now - m_prev) /
 *                   (m_now + m_prev) in [-1, 1], where a topic's mass m is
 *                   the sum over its items of 1 + engagement (so both more
 *                   items and more points, comments, traffic or views count
 *                   as growth) and m_prev is the mass of the best-matching
 *                   topic of the previous snapshot (similarity >=
 *                   match_threshold; 0 when none matches: g = 1).  0.5
 *                   (steady) when no previous snapshot is given at all.
 *        recency    0.5 ^ (age_hours / half_life_hours) of the newest item;
 *                   items without a date count as one half-life old.
 *        agreement  (distinct sources in the topic - 1) /
 *                   (distinct sources in the input - 1); 0 with one source.
 *        engagement max over items of the max over points, comments,
 *                   traffic, views of min(1, log10(1+x) / log10(1+ref)).
 *      Every value is in [0, 1] and the default weights 0.30, 0.25, 0.20,
 *      0.25 sum to 1, so the score is in [0, 1] too.  The parts
 *      reported by --explain are exactly the weighted terms, so they sum to
 *      the score.
 *   6. Filter topics (include/exclude words, min_score), sort by score
 *      descending, ties by phrase byte order, then cut to limit.
 *
 * What always holds: results are deterministic for the same input (no
 * dependence on input order beyond tie-free data, no clocks: "now" is a
 * parameter); strings in the result are owned by the result.
 */
#ifndef AVK_TRENDSCORE_H
#define AVK_TRENDSCORE_H

#include <stddef.h>

#include "err.h"
#include "feed.h"

/* Stop-word lists, one per language, loaded from DIR/LANG.txt (one word
 * per line, '#' starts a comment, UTF-8, compared lower-cased). */
typedef struct avk_stopwords avk_stopwords;

/* Load the lists for the comma-separated langs ("en,es,de,fr") from dir.
 * A missing file is an error (AVK_EX_CONFIG naming the file); *out is the
 * caller's to free with avk_stopwords_free. */
int avk_stopwords_load(const char *dir, const char *langs,
                       avk_stopwords **out, avk_err *err);
void avk_stopwords_free(avk_stopwords *sw);
/* Is word (lower-case) a stop word of lang (NULL: any loaded language)? */
int avk_stopwords_has(const avk_stopwords *sw, const char *lang,
                      const char *word);

enum {
    AVK_TREND_VELOCITY = 0,
    AVK_TREND_RECENCY,
    AVK_TREND_AGREEMENT,
    AVK_TREND_ENGAGEMENT,
    AVK_TREND_NPARTS
};
/* "velocity", "recency", "agreement", "engagement". */
const char *avk_trend_part_name(int part);

/* A topic of an earlier snapshot, for velocity. */
typedef struct avk_trend_prev {
    const char *key; /* the topic's key (or any headline) */
    double count;    /* its mass (avk_trend_topic.mass) */
} avk_trend_prev;

typedef struct avk_trend_opts {
    long long now;             /* Unix seconds used for recency */
    double half_life_hours;    /* default 12 */
    double weight[AVK_TREND_NPARTS];
    double merge_threshold;    /* default 0.5 */
    double match_threshold;    /* previous-snapshot match, default 0.5 */
    double ref_points, ref_comments, ref_traffic, ref_views;
                               /* engagement references: 1000, 500, 1e6, 1e7 */
    const char *lang;          /* keep items of this language (or unknown) */
    long long since;           /* keep items published at/after (or undated); 0 = all */
    const char *const *include; /* keep topics mentioning any of these */
    size_t n_include;
    const char *const *exclude; /* drop topics mentioning any of these */
    size_t n_exclude;
    double min_score;          /* default -1 (keep all) */
    size_t limit;              /* 0 = no limit */
    size_t max_keywords;       /* default 8 */
    int have_prev;             /* a previous snapshot was given (even empty) */
} avk_trend_opts;

void avk_trend_opts_default(avk_trend_opts *o, long long now);

typedef struct avk_trend_topic {
    char *phrase;
    char *key;      /* sorted distinct tokens of the phrase, space-separated */
    char *lang;     /* most common known language of the items, or NULL */
    double score;
    double value[AVK_TREND_NPARTS];   /* raw component values */
    double weight[AVK_TREND_NPARTS];
    double part[AVK_TREND_NPARTS];    /* weight x value; sum == score */
    double mass;                      /* sum over items of 1 + engagement:
                                         store it as the count for the next
                                         snapshot's velocity */
    double prev_count;                /* -1 when no previous snapshot */
    double growth;                    /* g above; 0 without one */
    char **keywords;
    size_t n_keywords;
    char **sources;                   /* distinct, sorted */
    size_t n_sources;
    size_t *items;                    /* indexes into the input, newest first */
    size_t n_items;
    long long newest;                 /* -1 when no item is dated */
} avk_trend_topic;

typedef struct avk_trend_result {
    avk_trend_topic *topics; /* best first */
    size_t n_topics;
    size_t n_items_used;     /* items left after the item filters */
} avk_trend_result;

/*
 * Rank the n items (borrowed; the result refers to them by index).  prev
 * (n_prev entries, may be NULL) is the previous snapshot's topics; set
 * o->have_prev when a previous snapshot exists.  sw may be NULL (no stop
 * words).  Returns 0 and a result the caller frees with
 * avk_trend_result_free, or AVK_EX_OSERR (*out NULL).
 */
int avk_trend_rank(const avk_feed_item *const *items, size_t n,
                   const avk_trend_prev *prev, size_t n_prev,
                   const avk_trend_opts *o, const avk_stopwords *sw,
                   avk_trend_result **out, avk_err *err);
void avk_trend_result_free(avk_trend_result *r);

/* Normalised key of a text (sorted distinct non-stop tokens joined by
 * spaces); newly allocated, NULL when out of memory. */
char *avk_trend_key(const char *text, const char *lang,
                    const avk_stopwords *sw);

/* Jaccard similarity of the token sets of two keys or texts. */
double avk_trend_similarity(const char *a, const char *b,
                            const avk_stopwords *sw);

/* Share of the tokens of query that occur in text (0 when query has no
 * tokens); 1 means every query word is there. */
double avk_trend_coverage(const char *query, const char *text,
                          const avk_stopwords *sw);

#endif
