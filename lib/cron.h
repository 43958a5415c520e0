/*
 * cron.h - 5-field cron expressions, wall-clock times and durations in a
 * named IANA time zone.
 *
 * Expressions are "MIN HOUR DOM MON DOW" with lists (1,5), ranges (1-5),
 * steps (*\/15, 1-30/2, 5/10), month names (jan-dec), weekday names
 * (sun-sat; 0 and 7 are Sunday) and the macros @yearly @annually @monthly
 * @weekly @daily @midnight @hourly.  As in Vixie cron, when both DOM and
 * DOW are restricted a day matching either fires.
 *
 * Time zones: the zone rules are the C library's (tzdata via TZ).  Every
 * zone conversion goes through one place in cron.c that sets TZ, calls
 * tzset(), converts, and restores the previous TZ before returning.  TZ
 * is process-global, so these functions are not thread-safe; av's
 * commands are single-threaded (concurrency is by processes).
 *
 * What always holds for avk_cron_next (see cron.c for the reasoning):
 * - the result is strictly after `after`;
 * - a wall time that occurs twice (clocks go back) fires once, at its
 *   first occurrence;
 * - a wall time skipped (clocks go forward) fires once, as much later as
 *   the clocks jumped (01:30 on a 01:00->02:00 day fires at 02:30).
 * A tz of NULL or "" means the local zone (the TZ the process started
 * with).  Times are seconds since the epoch (UTC).
 */
#ifndef AVK_CRON_H
#define AVK_CRON_H

#include <stdint.h>

#include "err.h"

typedef struct avk_cron {
    uint64_t minute;      /* bit m: minute m, 0-59 */
    uint32_t hour;        /* bit h: 0-23 */
    uint32_t dom;         /* bit d: 1-31 */
    uint32_t month;       /* bit m: 1-12 */
    uint32_t dow;         /* bit d: 0-6, Sunday 0 */
    int dom_any, dow_any; /* field started with '*' */
} avk_cron;

/* Parse expr; fails with AVK_EX_USAGE and a message naming the field. */
int avk_cron_parse(const char *expr, avk_cron *out, avk_err *err);

/* The first fire time strictly after `after`, in zone tz.  Fails with
 * AVK_EX_USAGE for an unknown zone, AVK_EX_DATAERR when the expression
 * never fires (e.g. "0 0 30 2 *") within eight years. */
int avk_cron_next(const avk_cron *c, const char *tz, long long after,
                  long long *next, avk_err *err);

/* Check that tz names a zone in the system's database (NULL/"" is the
 * local zone and always valid).  AVK_EX_USAGE otherwise. */
int avk_tz_check(const char *tz, avk_err *err);

/* The instant of a wall time in tz, with the same rules as avk_cron_next
 * for repeated and skipped times.  mon is 1-12. */
int avk_tz_wall_to_utc(const char *tz, int year, int mon, int day, int hour,
                       int min, int sec, long long *out, avk_err *err);

/* Broken-down local time of t in tz: year, mon 1-12, day, hour, min,
 * sec, wday 0-6 (any pointer may be NULL); gmtoff in seconds. */
int avk_tz_local(const char *tz, long long t, int *year, int *mon, int *day,
                 int *hour, int *min, int *wday, long *gmtoff, avk_err *err);

/* A time given on the command line, in zone tz, relative to now:
 *   2026-12-01T09:00[:SS], "2026-12-01 09:00", 2026-12-01 (midnight),
 *   09:00 (the next such wall time), or any of those ending in Z or
 *   +HH:MM/-HH:MM (then tz is ignored).
 * Fails with AVK_EX_USAGE naming the text. */
int avk_time_parse(const char *s, const char *tz, long long now, long long *out,
                   avk_err *err);

/* A duration: 90, 90s, 15m, 2h, 1d, 1w, or a sum like 1h30m; fractions
 * allowed (0.5s).  *ms is milliseconds.  AVK_EX_USAGE on bad text. */
int avk_duration_parse(const char *s, long long *ms, avk_err *err);

#endif
