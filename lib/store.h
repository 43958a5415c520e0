/*
 * store.h - the workspace's SQLite store (W/.av/store.db).
 *
 * Only this module (store.c and store_*.c) includes sqlite3.h.  Other
 * modules reach the database through the small statement API below, always
 * with bound parameters.
 *
 * What always holds:
 * - The database is in WAL mode, foreign keys are on, and a busy timeout
 *   plus retries on SQLITE_BUSY mean concurrent writers wait instead of
 *   failing: many processes (a make -j8 batch, a six-tool pipeline) can
 *   write the same store.
 * - The schema is versioned by PRAGMA user_version; migrations (store.c,
 *   the migrations[] array) are applied in order on open, each in its own
 *   IMMEDIATE transaction.  Later tools append migrations; never edit an
 *   old one.
 * - Writes that belong together happen in one transaction (avk_store_tx),
 *   so a failure leaves nothing half-written.
 *
 * Schema (version 1):
 *   projects(id PK, topic, lang, status, doc JSON, created_at, updated_at)
 *   assets(sha256 PK, path, bytes, type, created_at)
 *   cache(key PK, provider, model, kind 'json'|'asset', value, asset_sha256,
 *         created_at, hits, last_hit_at)
 *   stage_runs(id PK, project_id -> projects ON DELETE CASCADE, tool, stage,
 *              status 'ok'|'skipped'|'failed', input_hash, started_at,
 *              finished_at, duration_ms, error, provider, model, cost,
 *              tokens_in, tokens_out)
 *   meta(key PK, value)
 * Version 2 adds av-trend's tables (trend_snapshots, trend_items,
 * trend_runs, trend_topics; see trendstore.h).
 * Version 3 adds av-schedule's tables (jobs, job_runs, post_plans; see
 * jobs.h and plan.h).
 * Version 4 adds av-publish's tables (publications, credentials,
 * rate_events, quota_usage; see publish.h and oauth.h).
 * Version 5 adds credentials.user_id (the platform's account id).
 */
#ifndef AVK_STORE_H
#define AVK_STORE_H

#include <stddef.h>

#include "err.h"

typedef struct avk_store avk_store;
typedef struct avk_stmt avk_stmt;

/* Open (creating when create != 0) W/.av/store.db and migrate it. */
int avk_store_open(const char *ws_root, int create, avk_store **out,
                   avk_err *err);
void avk_store_close(avk_store *s);
const char *avk_store_root(const avk_store *s);
int avk_store_schema_version(avk_store *s);
int avk_store_latest_version(void);
const char *avk_store_lib_version(void);

/* Run fn inside BEGIN IMMEDIATE ... COMMIT, retrying the whole transaction
 * when the database stays busy.  fn returns 0 to commit; anything else
 * rolls back and is returned. */
typedef int (*avk_tx_fn)(avk_store *s, void *ud, avk_err *err);
int avk_store_tx(avk_store *s, avk_tx_fn fn, void *ud, avk_err *err);

/* Statements.  avk_stmt_step returns AVK_STMT_ROW, AVK_STMT_DONE or an
 * AVK_EX_* code with err filled.  Column getters never return NULL for
 * text (NULL columns give ""). */
enum { AVK_STMT_ROW = 1000, AVK_STMT_DONE = 1001 };
int avk_stmt_prepare(avk_store *s, const char *sql, avk_stmt **out,
                     avk_err *err);
int avk_stmt_bind_text(avk_stmt *st, int idx, const char *v); /* NULL binds NULL */
int avk_stmt_bind_int(avk_stmt *st, int idx, long long v);
int avk_stmt_bind_double(avk_stmt *st, int idx, double v);
int avk_stmt_bind_null(avk_stmt *st, int idx);
int avk_stmt_step(avk_stmt *st, avk_err *err);
int avk_stmt_reset(avk_stmt *st);
const char *avk_stmt_text(avk_stmt *st, int col);
long long avk_stmt_int(avk_stmt *st, int col);
double avk_stmt_double(avk_stmt *st, int col);
int avk_stmt_is_null(avk_stmt *st, int col);
void avk_stmt_free(avk_stmt *st);
/* Execute a statement with no parameters and no rows (DDL, PRAGMA). */
int avk_store_exec(avk_store *s, const char *sql, avk_err *err);
long long avk_store_changes(avk_store *s);

/* Projects.  ids are matched exactly, or by unique prefix in _resolve. */
int avk_project_resolve(avk_store *s, const char *id_or_prefix, char **id,
                        avk_err *err);
int avk_project_get(avk_store *s, const char *id, char **doc_json,
                    avk_err *err);
/* Insert or replace the document (and topic, lang, status) of project id. */
int avk_project_put(avk_store *s, const char *id, const char *topic,
                    const char *lang, const char *status, const char *doc_json,
                    avk_err *err);
int avk_project_exists(avk_store *s, const char *id);
int avk_project_delete(avk_store *s, const char *id, avk_err *err);

typedef struct avk_project_row {
    char *id, *topic, *lang, *status, *created_at, *updated_at;
    long long runs;
} avk_project_row;
int avk_project_list(avk_store *s, avk_project_row **rows, size_t *n,
                     avk_err *err);
void avk_project_rows_free(avk_project_row *rows, size_t n);

/* Stage runs (for stats and cost tracking). */
typedef struct avk_run_rec {
    const char *project_id, *tool, *stage, *status, *input_hash;
    const char *started_at, *finished_at, *error, *provider, *model;
    long long duration_ms, tokens_in, tokens_out;
    double cost;
} avk_run_rec;
int avk_stage_run_add(avk_store *s, const avk_run_rec *r, avk_err *err);

/* Asset rows (the file itself lives under W/.av/assets; see assets.h). */
int avk_store_asset_add(avk_store *s, const char *sha256, const char *path,
                        long long bytes, const char *type, avk_err *err);

/* Cache rows (see cache.h for keys). value is JSON text or NULL;
 * asset_sha256 names an asset or is NULL.  _get sets *found. */
int avk_store_cache_get(avk_store *s, const char *key, int *found,
                        char **value, char **asset_sha256, avk_err *err);
int avk_store_cache_put(avk_store *s, const char *key, const char *provider,
                        const char *model, const char *value,
                        const char *asset_sha256, avk_err *err);

#endif
