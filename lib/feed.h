/*
 * feed.h - parse trend sources into one common item list.
 *
 * Formats: RSS 2.0 (and RSS 1.0/RDF), Atom, the Google Trends daily RSS
 * (elements with the "ht" prefix, matched by local name), Hacker News item
 * JSON (the topstories id list is read with avk_feed_hn_ids), Reddit
 * listing JSON and the YouTube videos.list (chart=mostPopular) JSON.
 *
 * What always holds:
 *   - A parse either succeeds completely or returns nothing: on error the
 *     output feed is left untouched (avk_feed_append) or NULL
 *     (avk_feed_parse), and the message names the source in quotes.
 *   - Every string in an item is valid UTF-8, free of HTML tags (summaries)
 *     and of character entities, with whitespace collapsed, and no longer
 *     than the limits say (cut at a character boundary).
 *   - XML is read with expat in one streaming pass; documents that declare
 *     entities are refused, external entities and DTDs are never loaded.
 *   - Unknown numbers are -1, unknown strings NULL (title is never NULL).
 */
#ifndef AVK_FEED_H
#define AVK_FEED_H

#include <stddef.h>

#include "err.h"

typedef enum avk_feed_kind {
    AVK_FEED_AUTO = 0, /* detect from the content */
    AVK_FEED_RSS,
    AVK_FEED_ATOM,
    AVK_FEED_GTRENDS, /* RSS carrying ht:* elements */
    AVK_FEED_HN,      /* one item object, an array of them, or a recorded
                         set {"topstories":[ids],"items":[...]|{id:{..}}} */
    AVK_FEED_REDDIT,
    AVK_FEED_YOUTUBE
} avk_feed_kind;

/* A news article attached to a Google Trends item. */
typedef struct avk_feed_news {
    char *title;
    char *snippet;
    char *url;
    char *source;
} avk_feed_news;

typedef struct avk_feed_item {
    char *source;        /* the feed's source name (never NULL) */
    char *id;            /* guid / id if the format has one */
    char *title;         /* never NULL, never empty */
    char *link;
    char *summary;       /* plain text */
    char *lang;          /* primary language subtag ("en"), or NULL */
    long long published; /* Unix seconds, -1 when unknown */
    long long points;    /* HN score, Reddit score, YouTube likes */
    long long comments;
    long long traffic;   /* Google Trends approximate searches */
    long long views;     /* YouTube views */
    avk_feed_news *news; /* Google Trends news items */
    size_t n_news;
} avk_feed_item;

typedef struct avk_feed {
    char *source;  /* name given by the caller */
    char *title;   /* channel / feed title, or NULL */
    char *lang;    /* channel language subtag, or NULL */
    avk_feed_kind kind; /* the format of the last successful parse */
    avk_feed_item *items;
    size_t n_items;
} avk_feed;

typedef struct avk_feed_limits {
    size_t max_items;   /* items kept per feed; later ones are dropped */
    size_t max_title;   /* bytes */
    size_t max_text;    /* bytes, for summaries and snippets */
    size_t max_input;   /* bytes of input accepted; more is an error */
    size_t max_news;    /* news items kept per Google Trends item */
} avk_feed_limits;

/* Defaults: 500 items, titles 300 bytes, text 2000 bytes, input 16 MiB,
 * 5 news items. */
void avk_feed_limits_default(avk_feed_limits *lim);

/* A new empty feed named source; NULL when out of memory. */
avk_feed *avk_feed_new(const char *source);
void avk_feed_free(avk_feed *feed);

/*
 * Parse data (len bytes, need not be NUL-terminated) as kind and append
 * its items to feed.  lim may be NULL for the defaults.  On failure returns
 * AVK_EX_DATAERR (malformed, truncated, unrecognised or unsafe input) or
 * AVK_EX_OSERR, fills err with "'SOURCE': ..." and leaves feed unchanged.
 */
int avk_feed_append(avk_feed *feed, const char *data, size_t len,
                    avk_feed_kind kind, const avk_feed_limits *lim,
                    avk_err *err);

/* avk_feed_new + avk_feed_append; *out is NULL on failure, else the
 * caller's to free with avk_feed_free. */
int avk_feed_parse(const char *source, const char *data, size_t len,
                   avk_feed_kind kind, const avk_feed_limits *lim,
                   avk_feed **out, avk_err *err);

/* Guess the format from the content; AVK_FEED_AUTO when unrecognisable. */
avk_feed_kind avk_feed_detect(const char *data, size_t len);
const char *avk_feed_kind_name(avk_feed_kind kind);

/*
 * Read a Hacker News id list (topstories.json): at most max ids into a
 * newly allocated *ids (caller frees), count in *n.  AVK_EX_DATAERR when
 * it is not a JSON array of integers.
 */
int avk_feed_hn_ids(const char *source, const char *data, size_t len,
                    size_t max, long long **ids, size_t *n, avk_err *err);

/* Helpers, exported for the tests and for other sources. */

/* Seconds since the epoch of an RFC 822 / RFC 1123 date ("Wed, 25 Nov 2026
 * 08:00:00 GMT", numeric or named zones, 2-digit years) or an RFC 3339
 * date ("2026-11-25T08:00:00.5+01:00"); -1 when it is neither. */
long long avk_feed_parse_date(const char *s);

/* "200K+", "1,000+", "2M+", "1.5M" -> 200000, 1000, 2000000, 1500000;
 * -1 when s is not such a number. */
long long avk_feed_parse_traffic(const char *s);

/* Plain text of an HTML fragment: tags removed (script/style contents
 * too, block tags become spaces), entities decoded, whitespace collapsed,
 * cut to max bytes at a character boundary (0 = no limit).  Newly
 * allocated; NULL only when out of memory. */
char *avk_feed_html_to_text(const char *html, size_t max);

/* Like avk_feed_html_to_text but leaves anything tag-like alone: only
 * entities are decoded and whitespace collapsed (for titles). */
char *avk_feed_clean_text(const char *s, size_t max);

#endif
