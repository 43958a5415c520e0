/*
 * plan.c - posting plans: windows, daily caps and jitter (see plan.h).
 *
 * What always holds: avk_plan_slot never returns a time before want_ms,
 * and only returns a time inside a window of a day with room under the
 * cap.  All wall-time conversions go through lib/cron (one TZ switch).
 */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "fsutil.h"
#include "jobs.h"

static int hhmm(const char *s, size_t len, int *min)
{
    int h, m;

    if (len != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
        s[1] > '9' || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
        return -1;
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *min = h * 60 + m;
    return 0;
}

int avk_plan_parse_windows(const char *text, avk_plan *p, avk_err *err)
{
    const char *s = text ? text : "";
    int i, j;

    p->nwin = 0;
    while (*s) {
        size_t len = strcspn(s, ",");
        const char *dash = memchr(s, '-', len);
        int a, b;
        if (!dash || hhmm(s, (size_t)(dash - s), &a) ||
            hhmm(dash + 1, len - (size_t)(dash - s) - 1, &b) || b <= a)
            return avk_fail(err, AVK_EX_USAGE,
                            "bad posting window '%.*s' (want HH:MM-HH:MM, "
                            "start before end)",
                            (int)len, s);
        if (p->nwin == AVK_PLAN_MAX_WINDOWS)
            return avk_fail(err, AVK_EX_USAGE, "at most %d posting windows",
                            AVK_PLAN_MAX_WINDOWS);
        p->win_start[p->nwin] = a;
        p->win_end[p->nwin] = b;
        p->nwin++;
        s += len;
        if (*s == ',')
            s++;
    }
    /* sort by start (few windows: insertion sort), refuse overlaps */
    for (i = 1; i < p->nwin; i++)
        for (j = i; j > 0 && p->win_start[j] < p->win_start[j - 1]; j--) {
            int t = p->win_start[j];
            p->win_start[j] = p->win_start[j - 1];
            p->win_start[j - 1] = t;
            t = p->win_end[j];
            p->win_end[j] = p->win_end[j - 1];
            p->win_end[j - 1] = t;
        }
    for (i = 1; i < p->nwin; i++)
        if (p->win_start[i] < p->win_end[i - 1])
            return avk_fail(err, AVK_EX_USAGE, "posting windows overlap");
    return 0;
}

void avk_plan_format_windows(const avk_plan *p, char *out, size_t cap)
{
    int i;

    if (cap)
        out[0] = '\0';
    for (i = 0; i < p->nwin; i++) {
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%s%02d:%02d-%02d:%02d", i ? "," : "",
                 p->win_start[i] / 60, p->win_start[i] % 60, p->win_end[i] / 60,
                 p->win_end[i] % 60);
    }
}

/* ---- store ---- */

int avk_plan_set(avk_store *s, const avk_plan *p, avk_err *err)
{
    avk_stmt *st;
    char wins[256];
    int rc;

    avk_plan_format_windows(p, wins, sizeof wins);
    if ((rc = avk_stmt_prepare(
             s,
             "INSERT INTO post_plans (platform, windows, daily_cap, "
             "jitter_ms, tz, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
             "ON CONFLICT(platform) DO UPDATE SET windows = excluded.windows, "
             "daily_cap = excluded.daily_cap, jitter_ms = excluded.jitter_ms, "
             "tz = excluded.tz, updated_ms = excluded.updated_ms",
             &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, p->platform);
    avk_stmt_bind_text(st, 2, wins);
    avk_stmt_bind_int(st, 3, p->daily_cap);
    avk_stmt_bind_int(st, 4, p->jitter_ms);
    avk_stmt_bind_text(st, 5, p->tz[0] ? p->tz : NULL);
    avk_stmt_bind_int(st, 6, avk_now_ms());
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

static int read_plan(avk_stmt *st, avk_plan *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->platform, sizeof p->platform, "%s", avk_stmt_text(st, 0));
    p->daily_cap = (int)avk_stmt_int(st, 2);
    p->jitter_ms = avk_stmt_int(st, 3);
    snprintf(p->tz, sizeof p->tz, "%s", avk_stmt_text(st, 4));
    return avk_plan_parse_windows(avk_stmt_text(st, 1), p, NULL);
}

int avk_plan_get(avk_store *s, const char *platform, avk_plan *p, int *found,
                 avk_err *err)
{
    avk_stmt *st;
    int rc;

    *found = 0;
    memset(p, 0, sizeof *p);
    if ((rc = avk_stmt_prepare(s,
                               "SELECT platform, windows, daily_cap, "
                               "jitter_ms, tz FROM post_plans WHERE "
                               "platform = ?1",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, platform);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW) {
        *found = 1;
        rc = read_plan(st, p) ? avk_fail(err, AVK_EX_DATAERR,
                                         "bad stored plan for '%s'", platform)
                              : 0;
    } else if (rc == AVK_STMT_DONE) {
        rc = 0;
    }
    avk_stmt_free(st);
    return rc;
}

int avk_plan_clear(avk_store *s, const char *platform, avk_err *err)
{
    avk_stmt *st;
    int rc;

    if ((rc = avk_stmt_prepare(s, "DELETE FROM post_plans WHERE platform = ?1",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, platform);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if (avk_store_changes(s) == 0)
        return avk_fail(err, AVK_EX_NOINPUT, "no plan for '%s'", platform);
    return 0;
}

int avk_plan_list(avk_store *s, avk_plan **v, size_t *n, avk_err *err)
{
    avk_stmt *st;
    avk_plan *arr = NULL;
    size_t cnt = 0;
    int rc;

    *v = NULL;
    *n = 0;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT platform, windows, daily_cap, "
                               "jitter_ms, tz FROM post_plans ORDER BY 1",
                               &st, err)))
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        avk_plan *na = realloc(arr, (cnt + 1) * sizeof *arr);
        if (!na) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        arr = na;
        read_plan(st, &arr[cnt++]);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE) {
        free(arr);
        return rc;
    }
    *v = arr;
    *n = cnt;
    return 0;
}

/* ---- picking ---- */

static void add_days(int *y, int *m, int *d, int days)
{
    struct tm tm;
    time_t t;

    memset(&tm, 0, sizeof tm);
    tm.tm_year = *y - 1900;
    tm.tm_mon = *m - 1;
    tm.tm_mday = *d + days;
    tm.tm_hour = 12;
    t = timegm(&tm);
    gmtime_r(&t, &tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

static int wall_ms(const char *tz, int y, int m, int d, int minute,
                   long long *out, avk_err *err)
{
    long long t;
    int rc;

    if (minute >= 1440) {
        add_days(&y, &m, &d, 1);
        minute -= 1440;
    }
    rc = avk_tz_wall_to_utc(tz, y, m, d, minute / 60, minute % 60, 0, &t, err);
    *out = t * 1000;
    return rc;
}

int avk_plan_slot(const avk_plan *p, const char *tz, long long want_ms,
                  const avk_plan_day_fn *days, unsigned int rnd,
                  long long *out_ms, avk_err *err)
{
    const char *z = p->tz[0] ? p->tz : tz;
    int y, m, d, i, w, rc, total = 0;
    int nwin = p->nwin ? p->nwin : 1;

    *out_ms = want_ms;
    if ((rc = avk_tz_local(z, want_ms / 1000, &y, &m, &d, NULL, NULL, NULL,
                           NULL, err)))
        return rc;
    for (w = 0; w < p->nwin; w++)
        total += p->win_end[w] - p->win_start[w];
    for (i = 0; i < 367; i++) {
        int yy = y, mm = m, dd = d;
        long long ds, de, latest = 0, spacing = 0;
        add_days(&yy, &mm, &dd, i);
        if ((rc = wall_ms(z, yy, mm, dd, 0, &ds, err)) ||
            (rc = wall_ms(z, yy, mm, dd, 1440, &de, err)))
            return rc;
        if (de <= want_ms)
            continue;
        if (p->daily_cap > 0) {
            if (days->count(days->ud, ds, de) >= p->daily_cap)
                continue;
            if (p->nwin > 0)
                spacing = (long long)total * 60000 / p->daily_cap;
            latest = days->latest(days->ud, ds, de);
        }
        for (w = 0; w < nwin; w++) {
            long long ws, we, cand = want_ms;
            if (p->nwin) {
                if ((rc = wall_ms(z, yy, mm, dd, p->win_start[w], &ws, err)) ||
                    (rc = wall_ms(z, yy, mm, dd, p->win_end[w], &we, err)))
                    return rc;
            } else {
                ws = ds;
                we = de;
            }
            if (cand < ws)
                cand = ws;
            if (latest > 0 && cand < latest + spacing)
                cand = latest + spacing;
            if (cand >= we)
                continue;
            if (p->jitter_ms > 0) {
                long long room = we - 1 - cand;
                long long j = p->jitter_ms < room ? p->jitter_ms : room;
                cand += (long long)(rnd % (unsigned long long)(j + 1));
            }
            *out_ms = cand;
            return 0;
        }
    }
    return avk_fail(err, AVK_EX_DATAERR,
                    "no free posting slot for '%s' within a year", p->platform);
}

typedef struct store_days {
    avk_store *s;
    const char *platform;
} store_days;

static long long day_query(void *ud, const char *sql, long long from,
                           long long to)
{
    store_days *sd = ud;
    avk_stmt *st;
    long long v = 0;

    if (avk_stmt_prepare(sd->s, sql, &st, NULL))
        return 0;
    avk_stmt_bind_text(st, 1, sd->platform);
    avk_stmt_bind_int(st, 2, from);
    avk_stmt_bind_int(st, 3, to);
    if (avk_stmt_step(st, NULL) == AVK_STMT_ROW)
        v = avk_stmt_int(st, 0);
    avk_stmt_free(st);
    return v;
}

static long long day_count(void *ud, long long from, long long to)
{
    return day_query(ud,
                     "SELECT count(*) FROM jobs WHERE platform = ?1 AND "
                     "run_at_ms >= ?2 AND run_at_ms < ?3 AND state IN "
                     "('queued','running','paused','done')",
                     from, to);
}

static long long day_latest(void *ud, long long from, long long to)
{
    return day_query(ud,
                     "SELECT coalesce(max(run_at_ms), 0) FROM jobs WHERE "
                     "platform = ?1 AND run_at_ms >= ?2 AND run_at_ms < ?3 "
                     "AND state IN ('queued','running','paused','done')",
                     from, to);
}

int avk_plan_pick(avk_store *s, const char *platform, const char *tz,
                  long long want_ms, long long now_ms, long long *out_ms,
                  avk_err *err)
{
    avk_plan p;
    store_days sd = {s, platform};
    avk_plan_day_fn fns = {day_count, day_latest, &sd};
    unsigned int rnd = 0;
    int found, rc;

    *out_ms = want_ms;
    if ((rc = avk_plan_get(s, platform, &p, &found, err)) || !found)
        return rc;
    if (want_ms < now_ms)
        want_ms = now_ms;
    avk_random_bytes(&rnd, sizeof rnd);
    return avk_plan_slot(&p, tz, want_ms, &fns, rnd, out_ms, err);
}
