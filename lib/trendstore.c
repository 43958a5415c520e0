/*
 * trendstore.c - av-trend's snapshots, runs and topic scores in the store
 * (see trendstore.h for the schema).
 *
 * Invariant: every write happens inside avk_store_tx, so each snapshot
 * (with its items) and each run (with its topics) is all-or-nothing.
 */
#include "trendstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

typedef struct snap_ud {
    const avk_feed *f;
    const char *spec, *sha256, *at;
    long long id;
} snap_ud;

static void bind_opt_int(avk_stmt *st, int idx, long long v)
{
    if (v < 0)
        avk_stmt_bind_null(st, idx);
    else
        avk_stmt_bind_int(st, idx, v);
}

static int snap_tx(avk_store *s, void *ud, avk_err *err)
{
    snap_ud *u = ud;
    avk_stmt *st = NULL;
    size_t i;
    int rc;

    rc = avk_stmt_prepare(s,
                          "INSERT INTO trend_snapshots (source, spec, kind, "
                          "fetched_at, items, sha256) VALUES (?,?,?,?,?,?) "
                          "RETURNING id",
                          &st, err);
    if (rc)
        return rc;
    avk_stmt_bind_text(st, 1, u->f->source);
    avk_stmt_bind_text(st, 2, u->spec);
    avk_stmt_bind_text(st, 3, avk_feed_kind_name(u->f->kind));
    avk_stmt_bind_text(st, 4, u->at);
    avk_stmt_bind_int(st, 5, (long long)u->f->n_items);
    avk_stmt_bind_text(st, 6, u->sha256);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        u->id = avk_stmt_int(st, 0);
        rc = avk_stmt_step(st, err);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    rc = avk_stmt_prepare(s,
                          "INSERT INTO trend_items (snapshot_id, pos, title, "
                          "link, summary, published, points, comments, "
                          "traffic, views, lang) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          &st, err);
    if (rc)
        return rc;
    for (i = 0; i < u->f->n_items; i++) {
        const avk_feed_item *it = &u->f->items[i];
        avk_stmt_reset(st);
        avk_stmt_bind_int(st, 1, u->id);
        avk_stmt_bind_int(st, 2, (long long)i);
        avk_stmt_bind_text(st, 3, it->title);
        avk_stmt_bind_text(st, 4, it->link);
        avk_stmt_bind_text(st, 5, it->summary);
        bind_opt_int(st, 6, it->published);
        bind_opt_int(st, 7, it->points);
        bind_opt_int(st, 8, it->comments);
        bind_opt_int(st, 9, it->traffic);
        bind_opt_int(st, 10, it->views);
        avk_stmt_bind_text(st, 11, it->lang);
        if ((rc = avk_stmt_step(st, err)) != AVK_STMT_DONE)
            break;
        rc = 0;
    }
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_tstore_add_snapshot(avk_store *s, const avk_feed *f, const char *spec,
                            const char *sha256, const char *at,
                            long long *id, avk_err *err)
{
    snap_ud u = {f, spec, sha256, at, 0};
    int rc = avk_store_tx(s, snap_tx, &u, err);

    if (rc == 0 && id)
        *id = u.id;
    return rc;
}

typedef struct run_ud {
    const char *sources, *at;
    const avk_trend_result *r;
    long long id;
} run_ud;

static int join_sources(const avk_trend_topic *t, avk_buf *b)
{
    size_t i;

    avk_buf_reset(b);
    if (avk_buf_adds(b, ""))
        return AVK_EX_OSERR;
    for (i = 0; i < t->n_sources; i++)
        if ((i && avk_buf_addc(b, ',')) || avk_buf_adds(b, t->sources[i]))
            return AVK_EX_OSERR;
    return 0;
}

static int run_tx(avk_store *s, void *ud, avk_err *err)
{
    run_ud *u = ud;
    avk_stmt *st = NULL;
    avk_buf srcs;
    size_t i;
    int rc;

    rc = avk_stmt_prepare(s,
                          "INSERT INTO trend_runs (at, sources) VALUES (?,?) "
                          "RETURNING id",
                          &st, err);
    if (rc)
        return rc;
    avk_stmt_bind_text(st, 1, u->at);
    avk_stmt_bind_text(st, 2, u->sources);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        u->id = avk_stmt_int(st, 0);
        rc = avk_stmt_step(st, err);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    rc = avk_stmt_prepare(s,
                          "INSERT INTO trend_topics (run_id, rank, topic, key, "
                          "score, growth, recency, agreement, engagement, "
                          "mass, items, sources) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                          &st, err);
    if (rc)
        return rc;
    avk_buf_init(&srcs);
    for (i = 0; i < u->r->n_topics; i++) {
        const avk_trend_topic *t = &u->r->topics[i];
        if (join_sources(t, &srcs)) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        avk_stmt_reset(st);
        avk_stmt_bind_int(st, 1, u->id);
        avk_stmt_bind_int(st, 2, (long long)i + 1);
        avk_stmt_bind_text(st, 3, t->phrase);
        avk_stmt_bind_text(st, 4, t->key);
        avk_stmt_bind_double(st, 5, t->score);
        avk_stmt_bind_double(st, 6, t->growth);
        avk_stmt_bind_double(st, 7, t->value[AVK_TREND_RECENCY]);
        avk_stmt_bind_double(st, 8, t->value[AVK_TREND_AGREEMENT]);
        avk_stmt_bind_double(st, 9, t->value[AVK_TREND_ENGAGEMENT]);
        avk_stmt_bind_double(st, 10, t->mass);
        avk_stmt_bind_int(st, 11, (long long)t->n_items);
        avk_stmt_bind_text(st, 12, srcs.data);
        if ((rc = avk_stmt_step(st, err)) != AVK_STMT_DONE)
            break;
        rc = 0;
    }
    avk_buf_release(&srcs);
    avk_stmt_free(st);
    return rc;
}

int avk_tstore_add_run(avk_store *s, const char *sources, const char *at,
                       const avk_trend_result *r, long long *id,
                       avk_err *err)
{
    run_ud u = {sources, at, r, 0};
    int rc = avk_store_tx(s, run_tx, &u, err);

    if (rc == 0 && id)
        *id = u.id;
    return rc;
}

void avk_tstore_prev_release(avk_tstore_prev *p)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        free(p->keys[i]);
    free(p->keys);
    free(p->v);
    memset(p, 0, sizeof *p);
}

int avk_tstore_prev_topics(avk_store *s, const char *sources,
                           long long before, avk_tstore_prev *out,
                           avk_err *err)
{
    avk_stmt *st = NULL;
    long long run = -1;
    size_t cap = 0;
    int rc;

    memset(out, 0, sizeof *out);
    rc = avk_stmt_prepare(s,
                          "SELECT id, at FROM trend_runs WHERE sources = ? "
                          "AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT 1",
                          &st, err);
    if (rc)
        return rc;
    avk_stmt_bind_text(st, 1, sources);
    avk_stmt_bind_int(st, 2, before);
    avk_stmt_bind_int(st, 3, before);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        run = avk_stmt_int(st, 0);
        snprintf(out->at, sizeof out->at, "%s", avk_stmt_text(st, 1));
        rc = AVK_STMT_DONE;
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if (run < 0)
        return 0;
    out->found = 1;
    rc = avk_stmt_prepare(s,
                          "SELECT key, mass FROM trend_topics WHERE run_id = ? "
                          "ORDER BY rank",
                          &st, err);
    if (rc)
        return rc;
    avk_stmt_bind_int(st, 1, run);
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            avk_trend_prev *v = realloc(out->v, nc * sizeof *v);
            char **k;
            if (v)
                out->v = v;
            k = v ? realloc(out->keys, nc * sizeof *k) : NULL;
            if (!k) {
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                break;
            }
            out->keys = k;
            cap = nc;
        }
        if (!(out->keys[out->n] = strdup(avk_stmt_text(st, 0)))) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        out->v[out->n].key = out->keys[out->n];
        out->v[out->n].count = avk_stmt_double(st, 1);
        out->n++;
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE) {
        avk_tstore_prev_release(out);
        return rc;
    }
    return 0;
}

int avk_tstore_each_topic(avk_store *s, avk_tstore_topic_fn fn, void *ud,
                          avk_err *err)
{
    avk_stmt *st = NULL;
    int rc;

    rc = avk_stmt_prepare(s,
                          "SELECT r.id, r.at, r.sources, t.rank, t.topic, "
                          "t.key, t.sources, t.score, t.growth, t.recency, "
                          "t.agreement, t.engagement, t.mass, t.items "
                          "FROM trend_topics t JOIN trend_runs r "
                          "ON r.id = t.run_id ORDER BY r.id, t.rank",
                          &st, err);
    if (rc)
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        avk_tstore_topic_row row;
        int r;

        row.run_id = avk_stmt_int(st, 0);
        snprintf(row.at, sizeof row.at, "%s", avk_stmt_text(st, 1));
        row.run_sources = avk_stmt_text(st, 2);
        row.rank = avk_stmt_int(st, 3);
        row.topic = avk_stmt_text(st, 4);
        row.key = avk_stmt_text(st, 5);
        row.sources = avk_stmt_text(st, 6);
        row.score = avk_stmt_double(st, 7);
        row.growth = avk_stmt_double(st, 8);
        row.recency = avk_stmt_double(st, 9);
        row.agreement = avk_stmt_double(st, 10);
        row.engagement = avk_stmt_double(st, 11);
        row.mass = avk_stmt_double(st, 12);
        row.items = avk_stmt_int(st, 13);
        if ((r = fn(&row, ud)) != 0) {
            avk_stmt_free(st);
            return r;
        }
    }
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_tstore_each_source(avk_store *s, avk_tstore_source_fn fn, void *ud,
                           avk_err *err)
{
    avk_stmt *st = NULL;
    int rc;

    rc = avk_stmt_prepare(s,
                          "SELECT source, kind, spec, fetched_at, items, n, "
                          "total FROM (SELECT source, kind, spec, fetched_at, "
                          "items, COUNT(*) OVER w AS n, SUM(items) OVER w AS "
                          "total, ROW_NUMBER() OVER (PARTITION BY source "
                          "ORDER BY id DESC) AS k FROM trend_snapshots "
                          "WINDOW w AS (PARTITION BY source)) WHERE k = 1 "
                          "ORDER BY source",
                          &st, err);
    if (rc)
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        avk_tstore_source_row row;
        int r;

        row.source = avk_stmt_text(st, 0);
        row.kind = avk_stmt_text(st, 1);
        row.spec = avk_stmt_text(st, 2);
        row.last_at = avk_stmt_text(st, 3);
        row.last_items = avk_stmt_int(st, 4);
        row.snapshots = avk_stmt_int(st, 5);
        row.items = avk_stmt_int(st, 6);
        if ((r = fn(&row, ud)) != 0) {
            avk_stmt_free(st);
            return r;
        }
    }
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}
