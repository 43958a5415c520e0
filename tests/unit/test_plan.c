/* Unit tests for lib/plan (windows, caps, spreading, jitter) and the
 * retry delays of lib/jobs. */
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "jobs.h"
#include "plan.h"
#include "tap.h"

/* posts already planned, for the day callbacks */
static long long planned[32];
static int nplanned;

static long long count_cb(void *ud, long long from, long long to)
{
    int i, n = 0;
    (void)ud;
    for (i = 0; i < nplanned; i++)
        n += planned[i] >= from && planned[i] < to;
    return n;
}

static long long latest_cb(void *ud, long long from, long long to)
{
    long long m = 0;
    int i;
    (void)ud;
    for (i = 0; i < nplanned; i++)
        if (planned[i] >= from && planned[i] < to && planned[i] > m)
            m = planned[i];
    return m;
}

static const char *slot(const avk_plan *p, const char *tz, const char *want,
                        unsigned int rnd, char b[32])
{
    avk_plan_day_fn fns = {count_cb, latest_cb, NULL};
    long long out;
    avk_err err = {0, ""};

    if (avk_plan_slot(p, tz, avk_parse_iso(want) * 1000, &fns, rnd, &out,
                      &err)) {
        snprintf(b, 32, "error");
        return b;
    }
    avk_time_iso(out / 1000, b);
    return b;
}

int main(void)
{
    avk_plan p;
    avk_err err = {0, ""};
    char b[32], text[64];
    avk_retry_policy rp = {1000, 8000, 0};
    int i;

    memset(&p, 0, sizeof p);
    is_int(avk_plan_parse_windows("17:00-21:00,08:00-09:30", &p, &err), 0,
           "two windows");
    is_int(p.nwin, 2, "count");
    is_int(p.win_start[0], 8 * 60, "sorted by start");
    avk_plan_format_windows(&p, text, sizeof text);
    is_str(text, "08:00-09:30,17:00-21:00", "formatted");
    is_int(avk_plan_parse_windows("21:00-17:00", &p, &err), AVK_EX_USAGE,
           "backwards window refused");
    is_int(avk_plan_parse_windows("8-9", &p, &err), AVK_EX_USAGE,
           "bad text refused");
    is_int(avk_plan_parse_windows("08:00-10:00,09:00-11:00", &p, &err),
           AVK_EX_USAGE, "overlap refused");
    is_int(avk_plan_parse_windows("20:00-24:00", &p, &err), 0, "until 24:00");

    /* at most 3 TikTok posts a day between 17:00 and 21:00 (London) */
    memset(&p, 0, sizeof p);
    snprintf(p.platform, sizeof p.platform, "tiktok");
    avk_plan_parse_windows("17:00-21:00", &p, &err);
    p.daily_cap = 3;
    nplanned = 0;
    is_str(slot(&p, "Europe/London", "2026-12-01T09:00:00Z", 0, b),
           "2026-12-01T17:00:00Z", "morning wish moves to the window");
    is_str(slot(&p, "Europe/London", "2026-07-01T09:00:00Z", 0, b),
           "2026-07-01T16:00:00Z", "17:00 BST in summer");
    is_str(slot(&p, "Europe/London", "2026-12-01T18:10:00Z", 0, b),
           "2026-12-01T18:10:00Z", "inside the window: kept");
    is_str(slot(&p, "Europe/London", "2026-12-01T22:00:00Z", 0, b),
           "2026-12-02T17:00:00Z", "after the window: next day");
    for (i = 0; i < 5; i++) {
        avk_plan_day_fn fns = {count_cb, latest_cb, NULL};
        long long out;
        avk_plan_slot(&p, "Europe/London",
                      avk_parse_iso("2026-12-01T09:00:00Z") * 1000, &fns, 0,
                      &out, &err);
        planned[nplanned++] = out;
    }
    avk_time_iso(planned[1] / 1000, b);
    is_str(b, "2026-12-01T18:20:00Z", "posts spread: 4h / 3 apart");
    avk_time_iso(planned[2] / 1000, b);
    is_str(b, "2026-12-01T19:40:00Z", "third post");
    avk_time_iso(planned[3] / 1000, b);
    is_str(b, "2026-12-02T17:00:00Z", "cap reached: fourth goes to tomorrow");
    avk_time_iso(planned[4] / 1000, b);
    is_str(b, "2026-12-02T18:20:00Z", "fifth");

    nplanned = 0;
    p.jitter_ms = 600000;
    slot(&p, "UTC", "2026-12-01T09:00:00Z", 123456, b);
    ok(strcmp(b, "2026-12-01T17:00:00Z") > 0 &&
           strcmp(b, "2026-12-01T17:10:01Z") < 0,
       "jitter adds up to 10 minutes: %s", b);
    p.jitter_ms = 10LL * 3600 * 1000;
    slot(&p, "UTC", "2026-12-01T20:59:00Z", 4000000000u, b);
    ok(strcmp(b, "2026-12-01T21:00:00Z") < 0, "jitter stays in the window");

    /* no windows: only the cap */
    memset(&p, 0, sizeof p);
    p.daily_cap = 1;
    nplanned = 1;
    planned[0] = avk_parse_iso("2026-12-01T03:00:00Z") * 1000;
    is_str(slot(&p, "UTC", "2026-12-01T09:00:00Z", 0, b),
           "2026-12-02T00:00:00Z", "cap only: next day at midnight");

    /* retry delays */
    is_int(avk_retry_delay(&rp, 1), 1000, "first retry: base");
    is_int(avk_retry_delay(&rp, 2), 2000, "doubles");
    is_int(avk_retry_delay(&rp, 3), 4000, "doubles again");
    is_int(avk_retry_delay(&rp, 10), 8000, "capped");
    rp.jitter = 1;
    for (i = 0; i < 20; i++) {
        long long d = avk_retry_delay(&rp, 3);
        if (d < 2000 || d > 4000)
            break;
    }
    is_int(i, 20, "jitter keeps the delay within [d/2, d]");
    return tap_done();
}
