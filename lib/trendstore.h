/*
 * trendstore.h - av-trend's tables in the workspace store.
 *
 * Schema (store.c migration 2):
 *   trend_snapshots(id PK, source, spec, kind, fetched_at, items, sha256)
 *       one row per successful fetch or read of a source;
 *   trend_items(snapshot_id -> trend_snapshots ON DELETE CASCADE, pos,
 *       title, link, summary, published, points, comments, traffic, views,
 *       lang; PK (snapshot_id, pos));
 *   trend_runs(id PK, at, sources)  one ranking; sources is the sorted,
 *       comma-separated list of source names ranked together;
 *   trend_topics(run_id -> trend_runs ON DELETE CASCADE, rank, topic, key,
 *       score, growth, recency, agreement, engagement, mass, items,
 *       sources; PK (run_id, rank)); growth is the topic's growth against
 *       the run before (trendscore.h), the others are the raw component
 *       values, mass what the next run's velocity compares with.
 *
 * What always holds: a snapshot and its items are written in one
 * transaction, and a run and its topics in another, so a failure leaves
 * nothing half-stored.  All SQL uses bound parameters.
 */
#ifndef AVK_TRENDSTORE_H
#define AVK_TRENDSTORE_H

#include <stddef.h>

#include "err.h"
#include "feed.h"
#include "store.h"
#include "trendscore.h"

/* Store one source's items as a snapshot; *id gets its row id (may be
 * NULL).  sha256 is of the raw bytes fetched. */
int avk_tstore_add_snapshot(avk_store *s, const avk_feed *f, const char *spec,
                            const char *sha256, const char *at,
                            long long *id, avk_err *err);

/* Store a ranking (all of r's topics, in order); *id may be NULL. */
int avk_tstore_add_run(avk_store *s, const char *sources, const char *at,
                       const avk_trend_result *r, long long *id,
                       avk_err *err);

/* The topics of the latest run over the same sources (before run id
 * `before`, 0 = any).  *found is 0 when there is no such run. */
typedef struct avk_tstore_prev {
    avk_trend_prev *v;
    char **keys;
    size_t n;
    int found;
    char at[32];
} avk_tstore_prev;
int avk_tstore_prev_topics(avk_store *s, const char *sources,
                           long long before, avk_tstore_prev *out,
                           avk_err *err);
void avk_tstore_prev_release(avk_tstore_prev *p);

/* One row per stored topic in run order (oldest first), for history. */
typedef struct avk_tstore_topic_row {
    long long run_id;
    char at[32];
    const char *run_sources;
    long long rank;
    const char *topic, *key, *sources;
    double score, growth, recency, agreement, engagement, mass;
    long long items;
} avk_tstore_topic_row;
typedef int (*avk_tstore_topic_fn)(const avk_tstore_topic_row *row, void *ud);
/* Call fn for every stored topic, oldest run first, best rank first;
 * a non-zero return from fn stops and is returned. */
int avk_tstore_each_topic(avk_store *s, avk_tstore_topic_fn fn, void *ud,
                          avk_err *err);

typedef struct avk_tstore_source_row {
    const char *source, *kind, *spec, *last_at;
    long long snapshots, last_items, items;
} avk_tstore_source_row;
typedef int (*avk_tstore_source_fn)(const avk_tstore_source_row *row,
                                    void *ud);
/* Call fn for every source seen, by name. */
int avk_tstore_each_source(avk_store *s, avk_tstore_source_fn fn, void *ud,
                           avk_err *err);

#endif
