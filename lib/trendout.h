/*
 * trendout.h - a ranked topic as the pipeline document's "trend" section.
 *
 *   {"topic":"...","score":0.62,"score_parts":{"velocity":..,"recency":..,
 *    "agreement":..,"engagement":..},"keywords":[..],"sources":[..],
 *    "lang":"en","items":[{"title","link","summary","published","source",
 *    "points","comments","traffic","views"}]}
 * With explain, an "explain" object adds each component's raw value,
 * weight and part (part = weight x value; the parts sum to score) plus
 * the facts behind it (previous count, newest item, source counts, the
 * item with the best engagement).
 *
 * What always holds: numbers are rounded to 6 decimals, and score is the
 * sum of the rounded parts, so the printed parts add up to the printed
 * score; unknown values are omitted rather than printed as -1.
 */
#ifndef AVK_TRENDOUT_H
#define AVK_TRENDOUT_H

#include <jansson.h>

#include "feed.h"
#include "trendscore.h"

/* New reference to the section, or NULL when out of memory.  items is the
 * array given to avk_trend_rank; at most max_items items are listed
 * (newest first); n_sources_all is the number of sources ranked. */
json_t *avk_trend_section(const avk_trend_topic *t,
                          const avk_feed_item *const *items, size_t max_items,
                          const avk_trend_opts *o, int explain);

/* x rounded to 6 decimals. */
double avk_trend_round6(double x);

#endif
