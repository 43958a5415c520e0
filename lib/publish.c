/*
 * publish.c - exactly-once publication ledger, daily quota and the shared
 * rate limiter (see publish.h).
 *
 * Always holds: every read-decide-write happens inside one IMMEDIATE
 * transaction, so two processes never both own one row, never both take
 * the last quota units and never both take the last rate slot.
 */
#include "publish.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "fsutil.h"
#include "hash.h"

static long long wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void avk_pub_owner(char out[96])
{
    char host[48] = "";
    unsigned char r[4] = {0, 0, 0, 0};
    char hex[9];

    gethostname(host, sizeof host - 1);
    avk_random_bytes(r, sizeof r);
    avk_hex(r, sizeof r, hex);
    snprintf(out, 96, "%s:%ld:%s", host, (long)getpid(), hex);
}

/* Is pid a zombie (dead, waiting to be reaped)?  Linux's /proc only;
   elsewhere, or when unreadable, no. */
static int is_zombie(long pid)
{
    char path[64], buf[512];
    const char *rp;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) S ...": the state follows the last ')' */
    rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* Is owner a process of this host that no longer exists (or is a zombie
   that nobody has reaped yet)? */
static int owner_dead(const char *owner)
{
    char host[48] = "", mine[48] = "";
    const char *c1 = strchr(owner, ':');
    long pid;

    if (!c1 || (size_t)(c1 - owner) >= sizeof host)
        return 0;
    memcpy(host, owner, (size_t)(c1 - owner));
    gethostname(mine, sizeof mine - 1);
    if (strcmp(host, mine) != 0)
        return 0;
    pid = strtol(c1 + 1, NULL, 10);
    if (pid <= 0)
        return 0;
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    return is_zombie(pid);
}

#define COLS                                                                 \
    "id, project_id, target, video_sha256, state, remote_id, url, privacy, " \
    "session, upload_offset, attempts, error, created_at, updated_at, "      \
    "published_at, owner, lease_until"

static void cp(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void row_to_rec(avk_stmt *st, avk_pub_rec *r)
{
    memset(r, 0, sizeof *r);
    r->id = avk_stmt_int(st, 0);
    cp(r->project_id, sizeof r->project_id, avk_stmt_text(st, 1));
    cp(r->target, sizeof r->target, avk_stmt_text(st, 2));
    cp(r->video_sha256, sizeof r->video_sha256, avk_stmt_text(st, 3));
    cp(r->state, sizeof r->state, avk_stmt_text(st, 4));
    cp(r->remote_id, sizeof r->remote_id, avk_stmt_text(st, 5));
    cp(r->url, sizeof r->url, avk_stmt_text(st, 6));
    cp(r->privacy, sizeof r->privacy, avk_stmt_text(st, 7));
    cp(r->session, sizeof r->session, avk_stmt_text(st, 8));
    r->offset = avk_stmt_int(st, 9);
    r->attempts = (int)avk_stmt_int(st, 10);
    cp(r->error, sizeof r->error, avk_stmt_text(st, 11));
    cp(r->created_at, sizeof r->created_at, avk_stmt_text(st, 12));
    cp(r->updated_at, sizeof r->updated_at, avk_stmt_text(st, 13));
    cp(r->published_at, sizeof r->published_at, avk_stmt_text(st, 14));
}

typedef struct claim_ud {
    const char *project, *target, *sha, *owner;
    long long lease_ms;
    avk_pub_rec *rec;
    int outcome; /* 0: held by another */
} claim_ud;

static int claim_tx(avk_store *s, void *ud, avk_err *err)
{
    claim_ud *c = ud;
    avk_stmt *st = NULL;
    char now[32], owner[128];
    long long until, now_ms = wall_ms();
    int rc;

    avk_now_iso(now);
    if ((rc = avk_stmt_prepare(s,
                               "INSERT OR IGNORE INTO publications (project_id,"
                               " target, video_sha256, state, created_at,"
                               " updated_at) VALUES (?, ?, ?, 'queued', ?, ?)",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, c->project);
    avk_stmt_bind_text(st, 2, c->target);
    avk_stmt_bind_text(st, 3, c->sha);
    avk_stmt_bind_text(st, 4, now);
    avk_stmt_bind_text(st, 5, now);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT " COLS " FROM publications WHERE"
                               " project_id = ? AND target = ? AND"
                               " video_sha256 = ?",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, c->project);
    avk_stmt_bind_text(st, 2, c->target);
    avk_stmt_bind_text(st, 3, c->sha);
    rc = avk_stmt_step(st, err);
    if (rc != AVK_STMT_ROW) {
        avk_stmt_free(st);
        return rc == AVK_STMT_DONE
                   ? avk_fail(err, AVK_EX_SOFTWARE, "publication row vanished")
                   : rc;
    }
    row_to_rec(st, c->rec);
    cp(owner, sizeof owner, avk_stmt_text(st, 15));
    until = avk_stmt_int(st, 16);
    avk_stmt_free(st);
    if (!strcmp(c->rec->state, "published")) {
        c->outcome = AVK_PUB_DONE;
        return 0;
    }
    if (owner[0] && strcmp(owner, c->owner) != 0 && until > now_ms &&
        !owner_dead(owner)) {
        c->outcome = 0;
        return 0;
    }
    if ((rc = avk_stmt_prepare(s,
                               "UPDATE publications SET owner = ?,"
                               " lease_until = ?, attempts = attempts + 1,"
                               " updated_at = ? WHERE id = ?",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, c->owner);
    avk_stmt_bind_int(st, 2, now_ms + c->lease_ms);
    avk_stmt_bind_text(st, 3, now);
    avk_stmt_bind_int(st, 4, c->rec->id);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    c->rec->attempts++;
    c->outcome = AVK_PUB_OWNED;
    return 0;
}

int avk_pub_claim(avk_store *s, const char *project, const char *target,
                  const char *video_sha256, const char *owner,
                  long long lease_ms, long long wait_ms, avk_pub_rec *rec,
                  int *outcome, avk_err *err)
{
    claim_ud c = {project, target, video_sha256, owner, lease_ms, rec, 0};
    long long t0 = avk_mono_ms();
    int rc;

    memset(rec, 0, sizeof *rec);
    *outcome = 0;
    for (;;) {
        if ((rc = avk_store_tx(s, claim_tx, &c, err)))
            return rc;
        if (c.outcome) {
            *outcome = c.outcome;
            return 0;
        }
        if (avk_mono_ms() - t0 >= wait_ms)
            return avk_fail(err, AVK_EX_TEMPFAIL,
                            "'%s' of project %s is being published by another "
                            "process",
                            target, project);
        avk_sleep_ms(200);
    }
}

typedef struct save_ud {
    const avk_pub_rec *rec;
    const char *owner;
    long long lease_ms;
    int release;
} save_ud;

static int save_tx(avk_store *s, void *ud, avk_err *err)
{
    save_ud *u = ud;
    const avk_pub_rec *r = u->rec;
    avk_stmt *st = NULL;
    char now[32];
    int rc;

    avk_now_iso(now);
    if ((rc = avk_stmt_prepare(
             s,
             "UPDATE publications SET state = ?, remote_id = ?, url = ?,"
             " privacy = ?, session = ?, upload_offset = ?, error = ?,"
             " updated_at = ?, published_at = ?, lease_until = ?,"
             " owner = CASE WHEN ? THEN NULL ELSE owner END"
             " WHERE id = ? AND owner = ?",
             &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, r->state);
    avk_stmt_bind_text(st, 2, r->remote_id[0] ? r->remote_id : NULL);
    avk_stmt_bind_text(st, 3, r->url[0] ? r->url : NULL);
    avk_stmt_bind_text(st, 4, r->privacy[0] ? r->privacy : NULL);
    avk_stmt_bind_text(st, 5, r->session[0] ? r->session : NULL);
    avk_stmt_bind_int(st, 6, r->offset);
    avk_stmt_bind_text(st, 7, r->error[0] ? r->error : NULL);
    avk_stmt_bind_text(st, 8, now);
    avk_stmt_bind_text(st, 9, r->published_at[0] ? r->published_at : NULL);
    avk_stmt_bind_int(st, 10, u->release ? 0 : wall_ms() + u->lease_ms);
    avk_stmt_bind_int(st, 11, u->release);
    avk_stmt_bind_int(st, 12, r->id);
    avk_stmt_bind_text(st, 13, u->owner);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if (avk_store_changes(s) != 1)
        return avk_fail(err, AVK_EX_TEMPFAIL,
                        "'%s': another process took over this publication",
                        r->target);
    return 0;
}

int avk_pub_save(avk_store *s, const avk_pub_rec *rec, const char *owner,
                 long long lease_ms, avk_err *err)
{
    save_ud u = {rec, owner, lease_ms, 0};
    return avk_store_tx(s, save_tx, &u, err);
}

int avk_pub_release(avk_store *s, const avk_pub_rec *rec, const char *owner,
                    avk_err *err)
{
    save_ud u = {rec, owner, 0, 1};
    return avk_store_tx(s, save_tx, &u, err);
}

int avk_pub_list(avk_store *s, const char *project, const char *video_sha256,
                 avk_pub_rec **rows, size_t *n, avk_err *err)
{
    avk_stmt *st = NULL;
    avk_pub_rec *v = NULL;
    size_t cap = 0, k = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT " COLS " FROM publications WHERE"
                               " project_id = ? AND (?2 IS NULL OR"
                               " video_sha256 = ?2) ORDER BY id",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, project);
    avk_stmt_bind_text(st, 2, video_sha256);
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 4;
            avk_pub_rec *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        row_to_rec(st, &v[k++]);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE) {
        free(v);
        return rc;
    }
    *rows = v;
    *n = k;
    return 0;
}

int avk_quota_used(avk_store *s, const char *provider, const char *day,
                   long long *units, avk_err *err)
{
    avk_stmt *st = NULL;
    int rc;

    *units = 0;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT units FROM quota_usage WHERE"
                               " provider = ? AND day = ?",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, provider);
    avk_stmt_bind_text(st, 2, day);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW)
        *units = avk_stmt_int(st, 0);
    avk_stmt_free(st);
    return rc == AVK_STMT_ROW || rc == AVK_STMT_DONE ? 0 : rc;
}

typedef struct quota_ud {
    const char *provider, *day;
    long long units, limit;
    int ok;
} quota_ud;

static int quota_tx(avk_store *s, void *ud, avk_err *err)
{
    quota_ud *q = ud;
    avk_stmt *st = NULL;
    long long used;
    int rc;

    if ((rc = avk_quota_used(s, q->provider, q->day, &used, err)))
        return rc;
    q->ok = used + q->units <= q->limit;
    if (!q->ok)
        return 0;
    if ((rc = avk_stmt_prepare(s,
                               "INSERT INTO quota_usage (provider, day, units)"
                               " VALUES (?, ?, ?) ON CONFLICT (provider, day)"
                               " DO UPDATE SET units = units + excluded.units",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, q->provider);
    avk_stmt_bind_text(st, 2, q->day);
    avk_stmt_bind_int(st, 3, q->units);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_quota_take(avk_store *s, const char *provider, const char *day,
                   long long units, long long limit, int *ok, avk_err *err)
{
    quota_ud q = {provider, day, units, limit, 0};
    int rc = avk_store_tx(s, quota_tx, &q, err);
    *ok = q.ok;
    return rc;
}

typedef struct rate_ud {
    const char *provider, *bucket;
    int max;
    long long window_ms, wait_ms;
} rate_ud;

static int rate_tx(avk_store *s, void *ud, avk_err *err)
{
    rate_ud *r = ud;
    avk_stmt *st = NULL;
    long long now = wall_ms(), oldest = 0, count = 0;
    int rc;

    if ((rc = avk_stmt_prepare(s,
                               "DELETE FROM rate_events WHERE provider = ? AND"
                               " bucket = ? AND at_ms <= ?",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, r->provider);
    avk_stmt_bind_text(st, 2, r->bucket);
    avk_stmt_bind_int(st, 3, now - r->window_ms);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT count(*), min(at_ms) FROM rate_events"
                               " WHERE provider = ? AND bucket = ?",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, r->provider);
    avk_stmt_bind_text(st, 2, r->bucket);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        count = avk_stmt_int(st, 0);
        oldest = avk_stmt_int(st, 1);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_ROW)
        return rc;
    if (count >= r->max) {
        r->wait_ms = oldest + r->window_ms - now;
        if (r->wait_ms < 1)
            r->wait_ms = 1;
        return 0;
    }
    r->wait_ms = 0;
    if ((rc = avk_stmt_prepare(s,
                               "INSERT INTO rate_events (provider, bucket,"
                               " at_ms) VALUES (?, ?, ?)",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, r->provider);
    avk_stmt_bind_text(st, 2, r->bucket);
    avk_stmt_bind_int(st, 3, now);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_rate_try(avk_store *s, const char *provider, const char *bucket,
                 int max, long long window_ms, long long *wait_ms,
                 avk_err *err)
{
    rate_ud r = {provider, bucket, max, window_ms, 0};
    int rc = avk_store_tx(s, rate_tx, &r, err);
    *wait_ms = r.wait_ms;
    return rc;
}
