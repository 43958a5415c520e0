/*
 * trendsrc.h - av-trend's source specifications and the URLs they fetch.
 *
 *   FILE            a recorded feed on disk (any format feed.h reads)
 *   http(s)://...   a feed fetched over HTTP (format detected)
 *   hn              Hacker News topstories + one item/ID.json per story
 *   reddit:SUB      a subreddit's hot listing
 *   youtube[:GEO]   the YouTube most-popular chart (needs an API key)
 *   gtrends[:GEO]   the Google Trends daily RSS for a region
 * GEO defaults to the --region value ("US").
 *
 * What always holds: SUB, GEO and API keys are checked against narrow
 * character sets before they go into a URL, so no user text reaches a URL
 * unescaped; the API key is never part of an error message, and the
 * source's display name never contains it.
 */
#ifndef AVK_TRENDSRC_H
#define AVK_TRENDSRC_H

#include "buf.h"
#include "err.h"
#include "feed.h"

typedef enum avk_tsrc_type {
    AVK_TSRC_FILE,
    AVK_TSRC_URL,
    AVK_TSRC_HN,
    AVK_TSRC_REDDIT,
    AVK_TSRC_YOUTUBE,
    AVK_TSRC_GTRENDS
} avk_tsrc_type;

typedef struct avk_tsrc {
    avk_tsrc_type type;
    char *spec;         /* as given */
    char *name;         /* display and store name: "hn", "reddit:rust",
                           "gtrends:US", "youtube:US", the URL, or the
                           file's base name */
    char *arg;          /* path, URL, subreddit or region */
    avk_feed_kind kind; /* expected format (AVK_FEED_AUTO: detect) */
} avk_tsrc;

/* Base URLs (no trailing slash needed) and request settings. */
typedef struct avk_tsrc_cfg {
    const char *hn_base;      /* https://hacker-news.firebaseio.com/v0 */
    const char *reddit_base;  /* https://www.reddit.com */
    const char *youtube_base; /* https://www.googleapis.com/youtube/v3 */
    const char *gtrends_base; /* https://trends.google.com */
    const char *youtube_key;  /* secret; NULL when not configured */
    const char *region;       /* default GEO, "US" */
    int limit;                /* items asked per source (25) */
} avk_tsrc_cfg;

void avk_tsrc_cfg_default(avk_tsrc_cfg *c);

/* Parse spec with region as the default GEO.  Fails with AVK_EX_USAGE
 * naming the spec.  *s is caller-owned: avk_tsrc_release. */
int avk_tsrc_parse(const char *spec, const char *region, avk_tsrc *s,
                   avk_err *err);
void avk_tsrc_release(avk_tsrc *s);

/* Is this source fetched over the network? */
int avk_tsrc_is_remote(const avk_tsrc *s);

/* Append the URL of the source's listing (topstories for hn) to url.
 * AVK_EX_CONFIG when youtube has no usable key (the key itself is never
 * shown); AVK_EX_USAGE for a file. */
int avk_tsrc_url(const avk_tsrc *s, const avk_tsrc_cfg *c, avk_buf *url,
                 avk_err *err);
/* Append the URL of Hacker News item id. */
int avk_tsrc_hn_item_url(const avk_tsrc_cfg *c, long long id, avk_buf *url,
                         avk_err *err);

const char *avk_tsrc_type_name(avk_tsrc_type t);

#endif
