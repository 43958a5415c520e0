/*
 * store.c - SQLite store: open, migrations, transactions, statements,
 * projects, stage runs, asset and cache rows.  See store.h for the schema
 * and the rules that always hold.
 */
#include "store.h"
#include "fsutil.h"
#include "workspace.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct avk_store {
    sqlite3 *db;
    char *root;
    int tx_depth;
};

struct avk_stmt {
    sqlite3_stmt *st;
    avk_store *s;
};

/* Migrations: index i brings the schema from version i to i+1. */
static const char *const migrations[] = {
    /* 1: the foundation */
    "CREATE TABLE projects ("
    "  id TEXT PRIMARY KEY,"
    "  topic TEXT NOT NULL,"
    "  lang TEXT NOT NULL DEFAULT 'en',"
    "  status TEXT NOT NULL DEFAULT 'new',"
    "  doc TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE TABLE assets ("
    "  sha256 TEXT PRIMARY KEY,"
    "  path TEXT NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE cache ("
    "  key TEXT PRIMARY KEY,"
    "  provider TEXT NOT NULL,"
    "  model TEXT,"
    "  kind TEXT NOT NULL CHECK (kind IN ('json','asset')),"
    "  value TEXT,"
    "  asset_sha256 TEXT,"
    "  created_at TEXT NOT NULL,"
    "  hits INTEGER NOT NULL DEFAULT 0,"
    "  last_hit_at TEXT);"
    "CREATE TABLE stage_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    "  tool TEXT NOT NULL,"
    "  stage TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('ok','skipped','failed')),"
    "  input_hash TEXT,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  duration_ms INTEGER,"
    "  error TEXT,"
    "  provider TEXT,"
    "  model TEXT,"
    "  cost REAL,"
    "  tokens_in INTEGER,"
    "  tokens_out INTEGER);"
    "CREATE INDEX stage_runs_project ON stage_runs(project_id);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);",
    /* 2: av-trend's snapshots, items, runs and topic scores (trendstore.h) */
    "CREATE TABLE trend_snapshots ("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  spec TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  fetched_at TEXT NOT NULL,"
    "  items INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL);"
    "CREATE INDEX trend_snapshots_source ON trend_snapshots(source, id);"
    "CREATE TABLE trend_items ("
    "  snapshot_id INTEGER NOT NULL"
    "    REFERENCES trend_snapshots(id) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  link TEXT, summary TEXT, published INTEGER,"
    "  points INTEGER, comments INTEGER, traffic INTEGER, views INTEGER,"
    "  lang TEXT,"
    "  PRIMARY KEY (snapshot_id, pos));"
    "CREATE TABLE trend_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  sources TEXT NOT NULL);"
    "CREATE INDEX trend_runs_sources ON trend_runs(sources, id);"
    "CREATE TABLE trend_topics ("
    "  run_id INTEGER NOT NULL REFERENCES trend_runs(id) ON DELETE CASCADE,"
    "  rank INTEGER NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  score REAL NOT NULL,"
    "  growth REAL NOT NULL, recency REAL NOT NULL,"
    "  agreement REAL NOT NULL, engagement REAL NOT NULL,"
    "  mass REAL NOT NULL,"
    "  items INTEGER NOT NULL,"
    "  sources TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, rank));",
    /* 3: av-schedule's job queue (jobs.h) and posting plans (plan.h) */
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id TEXT,"
    "  topic TEXT NOT NULL DEFAULT '',"
    "  input TEXT,"
    "  doc TEXT,"
    "  stages TEXT NOT NULL,"
    "  args TEXT NOT NULL DEFAULT '{}',"
    "  platform TEXT,"
    "  cron TEXT,"
    "  tz TEXT,"
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued',"
    "    'running','done','failed','dead','cancelled','paused')),"
    "  run_at_ms INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  tries INTEGER NOT NULL DEFAULT 0,"
    "  max_attempts INTEGER NOT NULL DEFAULT 5,"
    "  stage_index INTEGER NOT NULL DEFAULT 0,"
    "  lease_owner TEXT,"
    "  lease_until_ms INTEGER,"
    "  last_error TEXT,"
    "  last_exit INTEGER,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  finished_ms INTEGER);"
    "CREATE INDEX jobs_due ON jobs(state, run_at_ms);"
    "CREATE INDEX jobs_platform ON jobs(platform, run_at_ms);"
    "CREATE TABLE job_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
    "  attempt INTEGER NOT NULL,"
    "  stage TEXT NOT NULL,"
    "  runner TEXT NOT NULL,"
    "  started_ms INTEGER NOT NULL,"
    "  finished_ms INTEGER,"
    "  duration_ms INTEGER,"
    "  exit_status INTEGER,"
    "  outcome TEXT CHECK (outcome IN ('ok','temporary','permanent',"
    "    'lost','cancelled','interrupted')),"
    "  output TEXT,"
    "  stderr_tail TEXT);"
    "CREATE INDEX job_runs_job ON job_runs(job_id);"
    "CREATE TABLE post_plans ("
    "  platform TEXT PRIMARY KEY,"
    "  windows TEXT NOT NULL DEFAULT '',"
    "  daily_cap INTEGER NOT NULL DEFAULT 0,"
    "  jitter_ms INTEGER NOT NULL DEFAULT 0,"
    "  tz TEXT,"
    "  updated_ms INTEGER NOT NULL);",
    /* 4: av-publish: publication intents and results, OAuth credentials,
     * rate limiter events and daily quota use (self-contained) */
    "CREATE TABLE publications ("
    "  id INTEGER PRIMARY KEY,"
    "  project_id TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  video_sha256 TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN"
    "    ('queued','uploading','processing','published','failed')),"
    "  remote_id TEXT,"
    "  url TEXT,"
    "  privacy TEXT,"
    "  session TEXT,"
    "  upload_offset INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  owner TEXT,"
    "  lease_until INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  published_at TEXT,"
    "  UNIQUE (project_id, target, video_sha256));"
    "CREATE INDEX publications_project ON publications(project_id);"
    "CREATE TABLE credentials ("
    "  provider TEXT NOT NULL,"
    "  account TEXT NOT NULL DEFAULT 'default',"
    "  access_token TEXT,"
    "  refresh_token TEXT,"
    "  token_type TEXT,"
    "  scope TEXT,"
    "  expires_at INTEGER,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (provider, account));"
    "CREATE TABLE rate_events ("
    "  provider TEXT NOT NULL,"
    "  bucket TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL);"
    "CREATE INDEX rate_events_key ON rate_events(provider, bucket, at_ms);"
    "CREATE TABLE quota_usage ("
    "  provider TEXT NOT NULL,"
    "  day TEXT NOT NULL,"
    "  units INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (provider, day));",
    /* 5: av-publish login: the platform's account id for a credential
     * (Instagram's professional account), where logins kept it in meta */
    "ALTER TABLE credentials ADD COLUMN user_id TEXT;"
    "UPDATE credentials SET user_id = (SELECT value FROM meta WHERE key ="
    "  'credential.' || provider || '.' || account || '.user_id');"
    "DELETE FROM meta WHERE key LIKE 'credential.%.user_id';",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof *migrations))

const char *avk_store_lib_version(void)
{
    return sqlite3_libversion();
}

int avk_store_latest_version(void)
{
    return N_MIGRATIONS;
}

static int db_fail(avk_store *s, avk_err *err, const char *what)
{
    int rc = sqlite3_errcode(s->db);
    int code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? AVK_EX_TEMPFAIL
               : (rc == SQLITE_FULL || rc == SQLITE_IOERR) ? AVK_EX_IOERR
               : (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) ? AVK_EX_DATAERR
                                                                : AVK_EX_SOFTWARE;
    return avk_fail(err, code, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

int avk_store_exec(avk_store *s, const char *sql, avk_err *err)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, err, "exec");
    return 0;
}

long long avk_store_changes(avk_store *s)
{
    return sqlite3_changes(s->db);
}

static int is_busy(avk_store *s)
{
    int rc = sqlite3_errcode(s->db) & 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

int avk_store_tx(avk_store *s, avk_tx_fn fn, void *ud, avk_err *err)
{
    int attempt, rc = 0;

    if (s->tx_depth > 0)
        return fn(s, ud, err);
    for (attempt = 0; attempt < 50; attempt++) {
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
            SQLITE_OK) {
            if (is_busy(s)) {
                avk_sleep_ms(20 + attempt * 20);
                continue;
            }
            return db_fail(s, err, "begin");
        }
        s->tx_depth++;
        rc = fn(s, ud, err);
        s->tx_depth--;
        if (rc) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            if (rc == AVK_EX_TEMPFAIL && is_busy(s)) {
                avk_sleep_ms(20 + attempt * 20);
                continue;
            }
            return rc;
        }
        if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
            return 0;
        rc = db_fail(s, err, "commit");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        if (!is_busy(s))
            return rc;
        avk_sleep_ms(20 + attempt * 20);
    }
    return avk_fail(err, AVK_EX_TEMPFAIL,
                    "store: the database stayed busy; try again");
}

int avk_store_schema_version(avk_store *s)
{
    sqlite3_stmt *st;
    int v = -1;

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate_one(avk_store *s, void *ud, avk_err *err)
{
    int *applied = ud;
    int v = avk_store_schema_version(s);
    char pragma[64];

    if (v < 0)
        return db_fail(s, err, "read schema version");
    if (v > N_MIGRATIONS)
        return avk_fail(err, AVK_EX_CONFIG,
                        "store schema version %d is newer than this av "
                        "(knows %d); upgrade av",
                        v, N_MIGRATIONS);
    if (v == N_MIGRATIONS) {
        *applied = 0;
        return 0;
    }
    if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, err, "migration");
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
    if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, err, "set schema version");
    *applied = 1;
    return 0;
}

static int migrate(avk_store *s, avk_err *err)
{
    int applied = 1, rc;

    while (applied)
        if ((rc = avk_store_tx(s, migrate_one, &applied, err)))
            return rc;
    return 0;
}

static int configure(avk_store *s, avk_err *err)
{
    sqlite3_busy_timeout(s->db, 60000);
    if (sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) !=
        SQLITE_OK)
        return db_fail(s, err, "enable foreign keys");
    /* journal_mode=WAL persists in the file; retry while others start. */
    for (int i = 0; i < 100; i++) {
        if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL,
                         NULL) == SQLITE_OK)
            break;
        if (!is_busy(s))
            return db_fail(s, err, "enable WAL");
        avk_sleep_ms(20);
    }
    sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    return 0;
}

int avk_store_open(const char *ws_root, int create, avk_store **out,
                   avk_err *err)
{
    avk_store *s;
    char *path;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
    int rc;

    *out = NULL;
    path = avk_ws_path(ws_root, "store.db");
    if (!path)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (!create && !avk_is_file(path)) {
        rc = avk_fail(err, AVK_EX_NOINPUT,
                      "no store at '%s'; create it with 'av-project init'",
                      path);
        free(path);
        return rc;
    }
    if (create)
        flags |= SQLITE_OPEN_CREATE;
    s = calloc(1, sizeof *s);
    if (!s || !(s->root = strdup(ws_root))) {
        free(s);
        free(path);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        rc = avk_fail(err, AVK_EX_IOERR, "cannot open store '%s': %s", path,
                      s->db ? sqlite3_errmsg(s->db) : "out of memory");
        free(path);
        avk_store_close(s);
        return rc;
    }
    free(path);
    if ((rc = configure(s, err)) || (rc = migrate(s, err))) {
        avk_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void avk_store_close(avk_store *s)
{
    if (!s)
        return;
    sqlite3_close_v2(s->db);
    free(s->root);
    free(s);
}

const char *avk_store_root(const avk_store *s)
{
    return s->root;
}

/* ---- statements ---- */

int avk_stmt_prepare(avk_store *s, const char *sql, avk_stmt **out,
                     avk_err *err)
{
    avk_stmt *st = calloc(1, sizeof *st);

    *out = NULL;
    if (!st)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (sqlite3_prepare_v2(s->db, sql, -1, &st->st, NULL) != SQLITE_OK) {
        free(st);
        return db_fail(s, err, "prepare");
    }
    st->s = s;
    *out = st;
    return 0;
}

int avk_stmt_bind_text(avk_stmt *st, int idx, const char *v)
{
    if (!st)
        return AVK_EX_SOFTWARE;
    if (!v)
        return sqlite3_bind_null(st->st, idx) == SQLITE_OK ? 0 : AVK_EX_SOFTWARE;
    return sqlite3_bind_text(st->st, idx, v, -1, SQLITE_TRANSIENT) == SQLITE_OK
               ? 0
               : AVK_EX_SOFTWARE;
}

int avk_stmt_bind_int(avk_stmt *st, int idx, long long v)
{
    if (!st)
        return AVK_EX_SOFTWARE;
    return sqlite3_bind_int64(st->st, idx, v) == SQLITE_OK ? 0 : AVK_EX_SOFTWARE;
}

int avk_stmt_bind_double(avk_stmt *st, int idx, double v)
{
    if (!st)
        return AVK_EX_SOFTWARE;
    return sqlite3_bind_double(st->st, idx, v) == SQLITE_OK ? 0
                                                            : AVK_EX_SOFTWARE;
}

int avk_stmt_bind_null(avk_stmt *st, int idx)
{
    if (!st)
        return AVK_EX_SOFTWARE;
    return sqlite3_bind_null(st->st, idx) == SQLITE_OK ? 0 : AVK_EX_SOFTWARE;
}

int avk_stmt_step(avk_stmt *st, avk_err *err)
{
    int rc;

    if (!st)
        return avk_fail(err, AVK_EX_SOFTWARE, "store: no statement");
    rc = sqlite3_step(st->st);

    if (rc == SQLITE_ROW)
        return AVK_STMT_ROW;
    if (rc == SQLITE_DONE)
        return AVK_STMT_DONE;
    return db_fail(st->s, err, "step");
}

int avk_stmt_reset(avk_stmt *st)
{
    if (!st)
        return AVK_EX_SOFTWARE;
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
    return 0;
}

const char *avk_stmt_text(avk_stmt *st, int col)
{
    const unsigned char *t = st ? sqlite3_column_text(st->st, col) : NULL;
    return t ? (const char *)t : "";
}

long long avk_stmt_int(avk_stmt *st, int col)
{
    return st ? sqlite3_column_int64(st->st, col) : 0;
}

double avk_stmt_double(avk_stmt *st, int col)
{
    return st ? sqlite3_column_double(st->st, col) : 0.0;
}

int avk_stmt_is_null(avk_stmt *st, int col)
{
    return !st || sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

void avk_stmt_free(avk_stmt *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->st);
    free(st);
}

/* ---- projects ---- */

static char *dup_or_oom(const char *s, int *oom)
{
    char *d = strdup(s ? s : "");
    if (!d)
        *oom = 1;
    return d;
}

int avk_project_resolve(avk_store *s, const char *id_or_prefix, char **id,
                        avk_err *err)
{
    avk_stmt *st;
    int rc, n = 0, oom = 0;
    char *found = NULL;
    char pattern[256];
    size_t i, len = strlen(id_or_prefix);

    *id = NULL;
    if (len == 0 || len > 128)
        return avk_fail(err, AVK_EX_USAGE, "bad project id '%s'", id_or_prefix);
    for (i = 0; i < len; i++) {
        char c = id_or_prefix[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return avk_fail(err, AVK_EX_USAGE, "bad project id '%s'",
                            id_or_prefix);
    }
    snprintf(pattern, sizeof pattern, "%s*", id_or_prefix);
    if ((rc = avk_stmt_prepare(s,
                               "SELECT id FROM projects WHERE id = ?1 OR "
                               "id GLOB ?2 ORDER BY id = ?1 DESC, id LIMIT 2",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, id_or_prefix);
    avk_stmt_bind_text(st, 2, pattern);
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        const char *got = avk_stmt_text(st, 0);
        if (n == 0) {
            found = dup_or_oom(got, &oom);
            if (!strcmp(got, id_or_prefix)) {
                n = 1;
                rc = AVK_STMT_DONE;
                break;
            }
        }
        n++;
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE) {
        free(found);
        return rc;
    }
    if (oom) {
        free(found);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if (n == 0)
        return avk_fail(err, AVK_EX_NOINPUT, "no project '%s'", id_or_prefix);
    if (n > 1) {
        free(found);
        return avk_fail(err, AVK_EX_USAGE, "project id '%s' is ambiguous",
                        id_or_prefix);
    }
    *id = found;
    return 0;
}

int avk_project_get(avk_store *s, const char *id, char **doc_json,
                    avk_err *err)
{
    avk_stmt *st;
    int rc;

    *doc_json = NULL;
    if ((rc = avk_stmt_prepare(s, "SELECT doc FROM projects WHERE id = ?1", &st,
                               err)))
        return rc;
    avk_stmt_bind_text(st, 1, id);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        *doc_json = strdup(avk_stmt_text(st, 0));
        rc = *doc_json ? 0 : avk_fail(err, AVK_EX_OSERR, "out of memory");
    } else if (rc == AVK_STMT_DONE) {
        rc = avk_fail(err, AVK_EX_NOINPUT, "no project '%s'", id);
    }
    avk_stmt_free(st);
    return rc;
}

int avk_project_exists(avk_store *s, const char *id)
{
    avk_stmt *st;
    int rc;

    if (avk_stmt_prepare(s, "SELECT 1 FROM projects WHERE id = ?1", &st, NULL))
        return 0;
    avk_stmt_bind_text(st, 1, id);
    rc = avk_stmt_step(st, NULL) == AVK_STMT_ROW;
    avk_stmt_free(st);
    return rc;
}

int avk_project_put(avk_store *s, const char *id, const char *topic,
                    const char *lang, const char *status, const char *doc_json,
                    avk_err *err)
{
    avk_stmt *st;
    char now[32];
    int rc;

    avk_now_iso(now);
    if ((rc = avk_stmt_prepare(
             s,
             "INSERT INTO projects (id, topic, lang, status, doc, created_at, "
             "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
             "ON CONFLICT(id) DO UPDATE SET topic = excluded.topic, "
             "lang = excluded.lang, status = excluded.status, "
             "doc = excluded.doc, updated_at = excluded.updated_at",
             &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, id);
    avk_stmt_bind_text(st, 2, topic ? topic : "");
    avk_stmt_bind_text(st, 3, lang ? lang : "en");
    avk_stmt_bind_text(st, 4, status ? status : "new");
    avk_stmt_bind_text(st, 5, doc_json);
    avk_stmt_bind_text(st, 6, now);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_project_delete(avk_store *s, const char *id, avk_err *err)
{
    avk_stmt *st;
    int rc;

    if ((rc = avk_stmt_prepare(s, "DELETE FROM projects WHERE id = ?1", &st,
                               err)))
        return rc;
    avk_stmt_bind_text(st, 1, id);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if (avk_store_changes(s) == 0)
        return avk_fail(err, AVK_EX_NOINPUT, "no project '%s'", id);
    return 0;
}

int avk_project_list(avk_store *s, avk_project_row **rows, size_t *n,
                     avk_err *err)
{
    avk_stmt *st;
    avk_project_row *v = NULL;
    size_t cnt = 0;
    int rc, oom = 0;

    *rows = NULL;
    *n = 0;
    if ((rc = avk_stmt_prepare(
             s,
             "SELECT p.id, p.topic, p.lang, p.status, p.created_at, "
             "p.updated_at, (SELECT count(*) FROM stage_runs r WHERE "
             "r.project_id = p.id) FROM projects p ORDER BY p.created_at, p.id",
             &st, err)))
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        avk_project_row *nv = realloc(v, (cnt + 1) * sizeof *v);
        if (!nv) {
            oom = 1;
            break;
        }
        v = nv;
        v[cnt].id = dup_or_oom(avk_stmt_text(st, 0), &oom);
        v[cnt].topic = dup_or_oom(avk_stmt_text(st, 1), &oom);
        v[cnt].lang = dup_or_oom(avk_stmt_text(st, 2), &oom);
        v[cnt].status = dup_or_oom(avk_stmt_text(st, 3), &oom);
        v[cnt].created_at = dup_or_oom(avk_stmt_text(st, 4), &oom);
        v[cnt].updated_at = dup_or_oom(avk_stmt_text(st, 5), &oom);
        v[cnt].runs = avk_stmt_int(st, 6);
        cnt++;
    }
    avk_stmt_free(st);
    if (oom || rc != AVK_STMT_DONE) {
        avk_project_rows_free(v, cnt);
        return oom ? avk_fail(err, AVK_EX_OSERR, "out of memory") : rc;
    }
    *rows = v;
    *n = cnt;
    return 0;
}

void avk_project_rows_free(avk_project_row *rows, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(rows[i].id);
        free(rows[i].topic);
        free(rows[i].lang);
        free(rows[i].status);
        free(rows[i].created_at);
        free(rows[i].updated_at);
    }
    free(rows);
}

/* ---- stage runs, assets, cache ---- */

int avk_stage_run_add(avk_store *s, const avk_run_rec *r, avk_err *err)
{
    avk_stmt *st;
    int rc;

    if ((rc = avk_stmt_prepare(
             s,
             "INSERT INTO stage_runs (project_id, tool, stage, status, "
             "input_hash, started_at, finished_at, duration_ms, error, "
             "provider, model, cost, tokens_in, tokens_out) VALUES "
             "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
             &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, r->project_id);
    avk_stmt_bind_text(st, 2, r->tool);
    avk_stmt_bind_text(st, 3, r->stage);
    avk_stmt_bind_text(st, 4, r->status);
    avk_stmt_bind_text(st, 5, r->input_hash);
    avk_stmt_bind_text(st, 6, r->started_at);
    avk_stmt_bind_text(st, 7, r->finished_at);
    avk_stmt_bind_int(st, 8, r->duration_ms);
    avk_stmt_bind_text(st, 9, r->error);
    avk_stmt_bind_text(st, 10, r->provider);
    avk_stmt_bind_text(st, 11, r->model);
    avk_stmt_bind_double(st, 12, r->cost);
    avk_stmt_bind_int(st, 13, r->tokens_in);
    avk_stmt_bind_int(st, 14, r->tokens_out);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_store_asset_add(avk_store *s, const char *sha256, const char *path,
                        long long bytes, const char *type, avk_err *err)
{
    avk_stmt *st;
    char now[32];
    int rc;

    avk_now_iso(now);
    if ((rc = avk_stmt_prepare(s,
                               "INSERT OR IGNORE INTO assets (sha256, path, "
                               "bytes, type, created_at) VALUES (?1,?2,?3,?4,?5)",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, sha256);
    avk_stmt_bind_text(st, 2, path);
    avk_stmt_bind_int(st, 3, bytes);
    avk_stmt_bind_text(st, 4, type);
    avk_stmt_bind_text(st, 5, now);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_store_cache_get(avk_store *s, const char *key, int *found,
                        char **value, char **asset_sha256, avk_err *err)
{
    avk_stmt *st;
    int rc, oom = 0;
    char now[32];

    *found = 0;
    if (value)
        *value = NULL;
    if (asset_sha256)
        *asset_sha256 = NULL;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT value, asset_sha256 FROM cache WHERE "
                               "key = ?1",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, key);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        *found = 1;
        if (value && !avk_stmt_is_null(st, 0))
            *value = dup_or_oom(avk_stmt_text(st, 0), &oom);
        if (asset_sha256 && !avk_stmt_is_null(st, 1))
            *asset_sha256 = dup_or_oom(avk_stmt_text(st, 1), &oom);
        rc = 0;
    } else if (rc == AVK_STMT_DONE) {
        rc = 0;
    }
    avk_stmt_free(st);
    if (rc || !*found)
        return rc;
    if (oom)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    /* Hit statistics are best effort: a busy store must not fail a hit. */
    avk_now_iso(now);
    if (avk_stmt_prepare(s,
                         "UPDATE cache SET hits = hits + 1, last_hit_at = ?2 "
                         "WHERE key = ?1",
                         &st, NULL) == 0) {
        avk_stmt_bind_text(st, 1, key);
        avk_stmt_bind_text(st, 2, now);
        avk_stmt_step(st, NULL);
        avk_stmt_free(st);
    }
    return 0;
}

int avk_store_cache_put(avk_store *s, const char *key, const char *provider,
                        const char *model, const char *value,
                        const char *asset_sha256, avk_err *err)
{
    avk_stmt *st;
    char now[32];
    int rc;

    avk_now_iso(now);
    if ((rc = avk_stmt_prepare(
             s,
             "INSERT INTO cache (key, provider, model, kind, value, "
             "asset_sha256, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7) "
             "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
             "asset_sha256 = excluded.asset_sha256, kind = excluded.kind, "
             "created_at = excluded.created_at",
             &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, key);
    avk_stmt_bind_text(st, 2, provider);
    avk_stmt_bind_text(st, 3, model);
    avk_stmt_bind_text(st, 4, asset_sha256 ? "asset" : "json");
    avk_stmt_bind_text(st, 5, value);
    avk_stmt_bind_text(st, 6, asset_sha256);
    avk_stmt_bind_text(st, 7, now);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}
