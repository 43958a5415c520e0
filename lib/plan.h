/*
 * plan.h - posting plans: per-platform posting windows, a daily cap and
 * jitter, honoured when av-schedule picks a job's run time.
 *
 * A plan says, for one platform, when in the day posts may go out
 * ("17:00-21:00", several windows allowed), how many a day at most (0: no
 * cap) and how much random delay to add.  Windows are wall times in the
 * plan's zone (or the job's, or local).  Picking a time for a new post:
 * the earliest moment at or after the wanted time that lies in a window
 * of a day that still has room under the cap; posts of one day are
 * spread over its windows (window length / cap apart); then up to
 * jitter is added, staying inside the window.
 * What always holds: a picked time is never earlier than the wanted one,
 * and no day gets more than the cap of queued/running/paused/done jobs
 * for the platform.  Plans live in the store's post_plans table.
 */
#ifndef AVK_PLAN_H
#define AVK_PLAN_H

#include <stddef.h>

#include "err.h"
#include "store.h"

#define AVK_PLAN_MAX_WINDOWS 8

typedef struct avk_plan {
    char platform[48];
    int nwin;
    int win_start[AVK_PLAN_MAX_WINDOWS],
        win_end[AVK_PLAN_MAX_WINDOWS]; /* minutes */
    int daily_cap;
    long long jitter_ms;
    char tz[64]; /* "" : the job's zone */
} avk_plan;

/* "17:00-21:00,08:00-09:30" (or "" for all day) into p's windows.
 * AVK_EX_USAGE on bad text or overlapping/backwards windows. */
int avk_plan_parse_windows(const char *text, avk_plan *p, avk_err *err);
void avk_plan_format_windows(const avk_plan *p, char *out, size_t cap);

int avk_plan_set(avk_store *s, const avk_plan *p, avk_err *err);
/* *found is 0 (and p zeroed) when the platform has no plan. */
int avk_plan_get(avk_store *s, const char *platform, avk_plan *p, int *found,
                 avk_err *err);
int avk_plan_clear(avk_store *s, const char *platform, avk_err *err);
/* All plans; *v is malloc'ed (free it). */
int avk_plan_list(avk_store *s, avk_plan **v, size_t *n, avk_err *err);

/* The run time for a new post to platform wanted at want_ms: want_ms
 * itself when the platform has no plan.  tz is the job's zone (NULL:
 * local).  Fails with AVK_EX_DATAERR when no slot is free within a
 * year. */
int avk_plan_pick(avk_store *s, const char *platform, const char *tz,
                  long long want_ms, long long now_ms, long long *out_ms,
                  avk_err *err);

/* The same decision without a store, for tests: count(day) and
 * latest(day) report the posts already planned in [from, to). */
typedef struct avk_plan_day_fn {
    long long (*count)(void *ud, long long from_ms, long long to_ms);
    long long (*latest)(void *ud, long long from_ms, long long to_ms);
    void *ud;
} avk_plan_day_fn;
int avk_plan_slot(const avk_plan *p, const char *tz, long long want_ms,
                  const avk_plan_day_fn *days, unsigned int rnd,
                  long long *out_ms, avk_err *err);

#endif
