/* Unit tests for lib/cron: parsing, next fire times across DST changes,
 * command-line times and durations. */
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "fsutil.h"
#include "tap.h"

static long long iso(const char *s)
{
    return avk_parse_iso(s);
}

static const char *next_iso(const char *expr, const char *tz, const char *after,
                            char buf[32])
{
    avk_cron c;
    avk_err err = {0, ""};
    long long t;

    if (avk_cron_parse(expr, &c, &err) ||
        avk_cron_next(&c, tz, iso(after), &t, &err)) {
        snprintf(buf, 32, "error: %.20s", err.msg);
        return buf;
    }
    avk_time_iso(t, buf);
    return buf;
}

/* Fires of expr between from and to, counted per UTC+local day. */
static int count_fires(const char *expr, const char *tz, const char *from,
                       const char *to, long long *fires, int max)
{
    avk_cron c;
    long long t = iso(from), end = iso(to);
    int n = 0;

    if (avk_cron_parse(expr, &c, NULL))
        return -1;
    while (n < max && avk_cron_next(&c, tz, t, &t, NULL) == 0 && t < end)
        fires[n++] = t;
    return n;
}

int main(void)
{
    avk_cron c;
    avk_err err = {0, ""};
    char b[32];
    long long fires[16] = {0}, t = 0, ms = 0;
    int n, i, mon, day, hour, min;

    setenv("TZ", "UTC", 1);

    /* parsing */
    is_int(avk_cron_parse("*/15 9-17 * * mon-fri", &c, &err), 0,
           "steps, ranges, weekday names");
    is_int(c.minute, (1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45),
           "*/15 minutes");
    is_int(c.hour, 0x3fe00, "9-17 hours");
    is_int(c.dow, 0x3e, "mon-fri");
    is_int(avk_cron_parse("0 0 1,15 JAN,jul *", &c, &err), 0, "lists, months");
    is_int(c.month, (1 << 1) | (1 << 7), "jan,jul");
    is_int(c.dom, (1 << 1) | (1 << 15), "1,15");
    is_int(avk_cron_parse("0 0 * * 7", &c, &err), 0, "7 is Sunday");
    is_int(c.dow, 1, "7 maps to 0");
    is_int(avk_cron_parse("5/20 * * * *", &c, &err), 0, "N/step");
    is_int(c.minute, (1ULL << 5) | (1ULL << 25) | (1ULL << 45), "5/20");
    is_int(avk_cron_parse("@daily", &c, &err), 0, "@daily");
    is_int(c.minute == 1 && c.hour == 1, 1, "@daily is 0 0");
    is_int(avk_cron_parse("61 * * * *", &c, &err), AVK_EX_USAGE, "61 minutes");
    ok(strstr(err.msg, "minute field '61': out of range 0-59") != NULL,
       "message names field and range: %s", err.msg);
    is_int(avk_cron_parse("* * * *", &c, &err), AVK_EX_USAGE, "4 fields");
    ok(strstr(err.msg, "need 5") != NULL, "says 5 fields: %s", err.msg);
    is_int(avk_cron_parse("* * * * * *", &c, &err), AVK_EX_USAGE, "6 fields");
    is_int(avk_cron_parse("5-1 * * * *", &c, &err), AVK_EX_USAGE, "backwards");
    is_int(avk_cron_parse("*/0 * * * *", &c, &err), AVK_EX_USAGE, "step 0");
    is_int(avk_cron_parse("* * * foo *", &c, &err), AVK_EX_USAGE, "bad name");
    is_int(avk_cron_parse("@reboot", &c, &err), AVK_EX_USAGE, "@reboot");
    is_int(avk_cron_parse("1,,2 * * * *", &c, &err), AVK_EX_USAGE,
           "empty list item");
    is_int(avk_cron_parse("* * 0 * *", &c, &err), AVK_EX_USAGE, "day 0");

    /* next fire, UTC */
    is_str(next_iso("*/15 9-17 * * mon-fri", "UTC", "2026-11-27T17:50:00Z", b),
           "2026-11-30T09:00:00Z", "Friday evening -> Monday 09:00");
    is_str(next_iso("*/15 9-17 * * mon-fri", "UTC", "2026-11-25T10:00:00Z", b),
           "2026-11-25T10:15:00Z", "strictly after");
    is_str(next_iso("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", b),
           "2028-02-29T00:00:00Z", "leap day");
    is_str(next_iso("0 12 13 * fri", "UTC", "2026-11-25T00:00:00Z", b),
           "2026-11-27T12:00:00Z", "DOM or DOW when both restricted");
    is_str(next_iso("0 12 */2 * fri", "UTC", "2026-11-25T00:00:00Z", b),
           "2026-11-27T12:00:00Z", "'*'-DOM: both must match");
    is_str(next_iso("0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", b),
           "error: the cron expression ", "never fires");
    is_str(next_iso("30 8 * * *", "Asia/Kolkata", "2026-11-25T00:00:00Z", b),
           "2026-11-25T03:00:00Z", "named zone with a half-hour offset");
    is_str(next_iso("0 9 * * *", "Nowhere/Land", "2026-11-25T00:00:00Z", b),
           "error: unknown time zone 'N", "unknown zone refused");

    /* DST: Europe/London goes 01:00->02:00 on 2026-03-29 and
     * 02:00->01:00 on 2026-10-25 */
    n = count_fires("30 1 * * *", "Europe/London", "2026-03-27T12:00:00Z",
                    "2026-03-31T12:00:00Z", fires, 16);
    is_int(n, 4, "spring: one fire per day over 4 days");
    avk_time_iso(fires[1], b);
    is_str(b, "2026-03-29T01:30:00Z", "skipped 01:30 runs at 02:30 BST");
    avk_time_iso(fires[2], b);
    is_str(b, "2026-03-30T00:30:00Z", "next day 01:30 BST");
    n = count_fires("30 1 * * *", "Europe/London", "2026-10-23T12:00:00Z",
                    "2026-10-27T12:00:00Z", fires, 16);
    is_int(n, 4, "autumn: one fire per day over 4 days");
    avk_time_iso(fires[1], b);
    is_str(b, "2026-10-25T00:30:00Z", "repeated 01:30 runs once, the first");
    avk_time_iso(fires[2], b);
    is_str(b, "2026-10-26T01:30:00Z", "next day 01:30 GMT");
    for (i = 0; i < n; i++) {
        avk_tz_local("Europe/London", fires[i], NULL, &mon, &day, &hour, &min,
                     NULL, NULL, &err);
        ok(day == 24 + i && hour == 1 && min == 30,
           "autumn fire %d at local 01:30 on day %d", i, day);
    }
    n = count_fires("0 * * * *", "Europe/London", "2026-10-24T23:30:00Z",
                    "2026-10-25T03:30:00Z", fires, 16);
    is_int(n, 3, "hourly on the fall-back night: repeated hour once");
    n = count_fires("*/30 * * * *", "America/New_York", "2026-03-08T06:00:00Z",
                    "2026-03-08T08:00:00Z", fires, 16);
    is_int(n, 3,
           "New York spring-forward: 01:30, then 02:00 and 03:00 "
           "share one fire, 02:30/03:30 too");

    /* times from the command line */
    is_int(avk_time_parse("2026-12-01T09:00", "Europe/London",
                          iso("2026-11-25T00:00:00Z"), &t, &err),
           0, "date and time in a zone");
    avk_time_iso(t, b);
    is_str(b, "2026-12-01T09:00:00Z", "GMT in December");
    avk_time_parse("2026-07-01 09:00", "Europe/London", 0, &t, &err);
    avk_time_iso(t, b);
    is_str(b, "2026-07-01T08:00:00Z", "BST in July");
    avk_time_parse("2026-07-01T09:00:00+02:00", "Europe/London", 0, &t, &err);
    avk_time_iso(t, b);
    is_str(b, "2026-07-01T07:00:00Z", "explicit offset wins");
    avk_time_parse("09:00", "UTC", iso("2026-11-25T10:00:00Z"), &t, &err);
    avk_time_iso(t, b);
    is_str(b, "2026-11-26T09:00:00Z", "time of day: tomorrow when passed");
    avk_time_parse("11:00", "UTC", iso("2026-11-25T10:00:00Z"), &t, &err);
    avk_time_iso(t, b);
    is_str(b, "2026-11-25T11:00:00Z", "time of day: today when ahead");
    is_int(avk_time_parse("2026-02-30T09:00", "UTC", 0, &t, &err), AVK_EX_USAGE,
           "Feb 30 refused");
    is_int(avk_time_parse("tomorrow", "UTC", 0, &t, &err), AVK_EX_USAGE,
           "words refused");
    is_int(avk_time_parse("25:00", "UTC", 0, &t, &err), AVK_EX_USAGE,
           "hour 25 refused");

    is_int(avk_duration_parse("2h", &ms, &err), 0, "2h");
    is_int(ms, 7200000, "2h in ms");
    avk_duration_parse("1h30m", &ms, &err);
    is_int(ms, 5400000, "1h30m");
    avk_duration_parse("0.2", &ms, &err);
    is_int(ms, 200, "bare seconds with a fraction");
    avk_duration_parse("250ms", &ms, &err);
    is_int(ms, 250, "ms");
    is_int(avk_duration_parse("2x", &ms, &err), AVK_EX_USAGE, "bad unit");
    is_int(avk_duration_parse("-5s", &ms, &err), AVK_EX_USAGE, "negative");
    is_int(avk_duration_parse("5 5", &ms, &err), AVK_EX_USAGE, "two numbers");
    {
        const char *tz = getenv("TZ");
        ok(tz != NULL && strcmp(tz, "UTC") == 0, "TZ restored");
    }
    return tap_done();
}
