/*
 * cron.c - cron expressions, zone-aware wall times and durations (see
 * cron.h for the contract).
 *
 * Zone handling: the only code that touches TZ is tz_enter()/tz_leave();
 * every conversion runs between the two, in one call, so the process's
 * TZ is always restored before a public function returns.  Wall times
 * are turned into instants by trying the zone offsets in force a day
 * before and a day after, and keeping the earliest candidate that really
 * shows that wall time: this finds the first of two repeated times, and
 * for a skipped time (no candidate) the offset from before the jump
 * gives the instant as much after the jump as the clocks moved.
 */
#include "cron.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

/* ---- TZ switching: the one place ---- */

typedef struct tz_saved {
    char *old; /* previous TZ value or NULL when it was unset */
    int had;
    int changed;
} tz_saved;

static int tz_enter(const char *tz, tz_saved *sv, avk_err *err)
{
    const char *cur = getenv("TZ");

    sv->old = NULL;
    sv->had = cur != NULL;
    sv->changed = 0;
    if (!tz || !*tz) {
        tzset();
        return 0;
    }
    if (cur && !(sv->old = strdup(cur)))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (setenv("TZ", tz, 1) != 0) {
        free(sv->old);
        sv->old = NULL;
        return avk_fail(err, AVK_EX_OSERR, "cannot set TZ");
    }
    sv->changed = 1;
    tzset();
    return 0;
}

static void tz_leave(tz_saved *sv)
{
    if (sv->changed) {
        if (sv->had)
            setenv("TZ", sv->old, 1);
        else
            unsetenv("TZ");
        tzset();
    }
    free(sv->old);
    sv->old = NULL;
}

int avk_tz_check(const char *tz, avk_err *err)
{
    const char *dir = getenv("TZDIR");
    char path[4096];
    const char *p;

    if (!tz || !*tz || !strcmp(tz, "UTC") || !strcmp(tz, "GMT"))
        return 0;
    if (tz[0] == '/' || tz[0] == ':' || strlen(tz) > 200)
        return avk_fail(err, AVK_EX_USAGE, "unknown time zone '%s'", tz);
    for (p = tz; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '/' || *p == '_' ||
              *p == '-' || *p == '+') ||
            (p[0] == '.' && p[1] == '.'))
            return avk_fail(err, AVK_EX_USAGE, "unknown time zone '%s'", tz);
    snprintf(path, sizeof path, "%s/%s",
             dir && *dir ? dir : "/usr/share/zoneinfo", tz);
    if (!avk_is_file(path))
        return avk_fail(err, AVK_EX_USAGE, "unknown time zone '%s' (no '%s')",
                        tz, path);
    return 0;
}

/* ---- inside TZ: conversions ---- */

static long long naive_of(int y, int mon, int d, int h, int mi, int s)
{
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (long long)timegm(&tm);
}

static long offset_at(long long t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!localtime_r(&tt, &tm))
        return 0;
    return tm.tm_gmtoff;
}

static long long wall_to_utc_in(long long naive)
{
    long off_a = offset_at(naive - 86400), off_b = offset_at(naive + 86400);
    long long c[2] = {naive - off_a, naive - off_b}, best = 0;
    int found = 0, i;

    for (i = 0; i < 2; i++)
        if (c[i] + offset_at(c[i]) == naive && (!found || c[i] < best)) {
            best = c[i];
            found = 1;
        }
    return found ? best : naive - off_a;
}

int avk_tz_wall_to_utc(const char *tz, int year, int mon, int day, int hour,
                       int min, int sec, long long *out, avk_err *err)
{
    tz_saved sv;
    int rc;

    if ((rc = avk_tz_check(tz, err)) || (rc = tz_enter(tz, &sv, err)))
        return rc;
    *out = wall_to_utc_in(naive_of(year, mon, day, hour, min, sec));
    tz_leave(&sv);
    return 0;
}

int avk_tz_local(const char *tz, long long t, int *year, int *mon, int *day,
                 int *hour, int *min, int *wday, long *gmtoff, avk_err *err)
{
    tz_saved sv;
    time_t tt = (time_t)t;
    struct tm tm;
    int rc;

    if ((rc = avk_tz_check(tz, err)) || (rc = tz_enter(tz, &sv, err)))
        return rc;
    if (!localtime_r(&tt, &tm))
        memset(&tm, 0, sizeof tm);
    tz_leave(&sv);
    if (year)
        *year = tm.tm_year + 1900;
    if (mon)
        *mon = tm.tm_mon + 1;
    if (day)
        *day = tm.tm_mday;
    if (hour)
        *hour = tm.tm_hour;
    if (min)
        *min = tm.tm_min;
    if (wday)
        *wday = tm.tm_wday;
    if (gmtoff)
        *gmtoff = tm.tm_gmtoff;
    return 0;
}

/* ---- parsing cron expressions ---- */

static const char *const month_names[] = {"jan", "feb", "mar", "apr",
                                          "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};

typedef struct field_spec {
    const char *name;
    int lo, hi;
    const char *const *names; /* names[i] has value i + names_base */
    int nnames, names_base;
} field_spec;

static const field_spec fields[5] = {
    {"minute", 0, 59, NULL, 0, 0},
    {"hour", 0, 23, NULL, 0, 0},
    {"day-of-month", 1, 31, NULL, 0, 0},
    {"month", 1, 12, month_names, 12, 1},
    {"day-of-week", 0, 7, dow_names, 7, 0},
};

/* Parse a number or a name at *p; advances *p. */
static int parse_value(const char **p, const field_spec *f, int *v)
{
    const char *s = *p;
    long n = 0;
    int i;

    if (isdigit((unsigned char)*s)) {
        while (isdigit((unsigned char)*s)) {
            n = n * 10 + (*s++ - '0');
            if (n > 1000)
                return -1;
        }
        *v = (int)n;
        *p = s;
        return 0;
    }
    for (i = 0; f->names && i < f->nnames; i++)
        if (!strncasecmp(s, f->names[i], 3) && !isalpha((unsigned char)s[3])) {
            *v = i + f->names_base;
            *p = s + 3;
            return 0;
        }
    return -1;
}

static int parse_field(const char *expr, const char *text, const field_spec *f,
                       uint64_t *bits, int *star, avk_err *err)
{
    const char *p = text;

    *bits = 0;
    *star = text[0] == '*';
    for (;;) {
        const char *item = p;
        int lo, hi, step = 1, v;
        size_t len = strcspn(item, ",");

        if (*p == '*') {
            lo = f->lo;
            hi = f->hi == 7 ? 6 : f->hi;
            p++;
        } else {
            if (parse_value(&p, f, &lo))
                goto bad_value;
            hi = lo;
            if (*p == '-') {
                p++;
                if (parse_value(&p, f, &hi))
                    goto bad_value;
            } else if (*p == '/') {
                hi = f->hi == 7 ? 6 : f->hi;
            }
        }
        if (*p == '/') {
            long n = 0;
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad_step;
            while (isdigit((unsigned char)*p)) {
                n = n * 10 + (*p++ - '0');
                if (n > 1000)
                    goto bad_step;
            }
            if (n < 1)
                goto bad_step;
            step = (int)n;
        }
        if (*p != ',' && *p != '\0')
            return avk_fail(err, AVK_EX_USAGE,
                            "invalid cron expression '%s': %s field "
                            "'%.*s': unexpected '%c'",
                            expr, f->name, (int)len, item, *p);
        if (lo < f->lo || lo > f->hi || hi < f->lo || hi > f->hi)
            return avk_fail(err, AVK_EX_USAGE,
                            "invalid cron expression '%s': %s field "
                            "'%.*s': out of range %d-%d",
                            expr, f->name, (int)len, item, f->lo, f->hi);
        if (hi < lo)
            return avk_fail(err, AVK_EX_USAGE,
                            "invalid cron expression '%s': %s field "
                            "'%.*s': range runs backwards",
                            expr, f->name, (int)len, item);
        for (v = lo; v <= hi; v += step)
            *bits |= (uint64_t)1 << (f->hi == 7 && v == 7 ? 0 : v);
        if (*p == '\0')
            return 0;
        p++;
        continue;
    bad_value:
        return avk_fail(err, AVK_EX_USAGE,
                        "invalid cron expression '%s': %s field '%.*s': "
                        "expected a number%s",
                        expr, f->name, (int)len, item,
                        f->names ? " or a name" : "");
    bad_step:
        return avk_fail(err, AVK_EX_USAGE,
                        "invalid cron expression '%s': %s field '%.*s': "
                        "bad step",
                        expr, f->name, (int)len, item);
    }
}

int avk_cron_parse(const char *expr, avk_cron *out, avk_err *err)
{
    static const struct {
        const char *name, *expansion;
    } macros[] = {{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
                  {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
                  {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
                  {"@hourly", "0 * * * *"}};
    char buf[256], *part[5], *save = NULL, *tok;
    const char *src = expr;
    uint64_t bits[5];
    int star[5], n = 0, i, rc;
    size_t k;

    memset(out, 0, sizeof *out);
    if (!expr)
        return avk_fail(err, AVK_EX_USAGE, "empty cron expression");
    while (isspace((unsigned char)*src))
        src++;
    if (*src == '@') {
        for (k = 0; k < sizeof macros / sizeof *macros; k++)
            if (!strcasecmp(src, macros[k].name))
                break;
        if (k == sizeof macros / sizeof *macros)
            return avk_fail(err, AVK_EX_USAGE,
                            "invalid cron expression '%s': unknown macro "
                            "(@yearly @monthly @weekly @daily @hourly)",
                            expr);
        src = macros[k].expansion;
    }
    if (strlen(src) >= sizeof buf)
        return avk_fail(err, AVK_EX_USAGE, "cron expression too long");
    strcpy(buf, src);
    for (tok = strtok_r(buf, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save)) {
        if (n == 5)
            return avk_fail(err, AVK_EX_USAGE,
                            "invalid cron expression '%s': more than 5 "
                            "fields (minute hour day-of-month month "
                            "day-of-week)",
                            expr);
        part[n++] = tok;
    }
    if (n != 5)
        return avk_fail(err, AVK_EX_USAGE,
                        "invalid cron expression '%s': %d field%s, need 5 "
                        "(minute hour day-of-month month day-of-week)",
                        expr, n, n == 1 ? "" : "s");
    for (i = 0; i < 5; i++)
        if ((rc = parse_field(expr, part[i], &fields[i], &bits[i], &star[i],
                              err)))
            return rc;
    out->minute = bits[0];
    out->hour = (uint32_t)bits[1];
    out->dom = (uint32_t)bits[2];
    out->month = (uint32_t)bits[3];
    out->dow = (uint32_t)bits[4];
    out->dom_any = star[2];
    out->dow_any = star[4];
    return 0;
}

static int day_matches(const avk_cron *c, int mon, int mday, int wday)
{
    int dom_ok = (c->dom >> mday) & 1, dow_ok = (c->dow >> wday) & 1;

    if (!((c->month >> mon) & 1))
        return 0;
    if (c->dom_any || c->dow_any)
        return dom_ok && dow_ok;
    return dom_ok || dow_ok;
}

int avk_cron_next(const avk_cron *c, const char *tz, long long after,
                  long long *next, avk_err *err)
{
    tz_saved sv;
    time_t tt = (time_t)after;
    struct tm lt;
    long long day0, best = 0;
    int found = 0, extra = -1, rc;
    long d;

    if ((rc = avk_tz_check(tz, err)) || (rc = tz_enter(tz, &sv, err)))
        return rc;
    if (!localtime_r(&tt, &lt)) {
        tz_leave(&sv);
        return avk_fail(err, AVK_EX_DATAERR, "time out of range");
    }
    /* start a day early: a skipped time late on the day before can
     * land after `after` */
    day0 =
        naive_of(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday, 0, 0, 0) - 86400;
    for (d = 0; d < 8L * 366 + 2; d++) {
        long long dn = day0 + (long long)d * 86400;
        time_t dt = (time_t)dn;
        struct tm g;
        int h, m;

        if (found && extra-- <= 0)
            break;
        long off0, off1;

        gmtime_r(&dt, &g);
        if (!day_matches(c, g.tm_mon + 1, g.tm_mday, g.tm_wday))
            continue;
        /* the same offset from a day before to two days after: no change
         * of offset near this day, so wall times map directly */
        off0 = offset_at(dn - 86400);
        off1 = offset_at(dn + 2 * 86400);
        for (h = 0; h < 24; h++) {
            if (!((c->hour >> h) & 1))
                continue;
            for (m = 0; m < 60; m++) {
                long long t;
                if (!((c->minute >> m) & 1))
                    continue;
                t = off0 == off1 ? dn + h * 3600 + m * 60 - off0
                                 : wall_to_utc_in(dn + h * 3600 + m * 60);
                if (t > after && (!found || t < best)) {
                    best = t;
                    if (!found)
                        extra = 1; /* look one more day, then stop */
                    found = 1;
                }
            }
        }
    }
    tz_leave(&sv);
    if (!found)
        return avk_fail(err, AVK_EX_DATAERR, "the cron expression never fires");
    *next = best;
    return 0;
}

/* ---- times and durations from the command line ---- */

static int digits(const char **p, int n, int *v)
{
    int i, x = 0;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dm[m - 1];
}

int avk_time_parse(const char *s, const char *tz, long long now, long long *out,
                   avk_err *err)
{
    const char *p = s;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, have_date = 0, rc;
    int have_off = 0;
    long off = 0;

    if (!s || !*s)
        return avk_fail(err, AVK_EX_USAGE, "empty time");
    if (strlen(s) >= 10 && s[4] == '-') {
        if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
            *p++ != '-' || digits(&p, 2, &d))
            goto bad;
        have_date = 1;
        if (*p == 'T' || *p == ' ')
            p++;
        else if (*p != '\0')
            goto bad;
    }
    if (*p) {
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            goto bad;
        if (*p == ':' && (p++, digits(&p, 2, &se)))
            goto bad;
        if (*p == 'Z' || *p == 'z') {
            have_off = 1;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, 2, &oh))
                goto bad;
            if (*p == ':')
                p++;
            if (*p && digits(&p, 2, &om))
                goto bad;
            off = sign * (oh * 3600L + om * 60L);
            have_off = 1;
        }
        if (*p)
            goto bad;
    } else if (!have_date) {
        goto bad;
    }
    if (have_date && (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)))
        return avk_fail(err, AVK_EX_USAGE, "bad date in '%s'", s);
    if (h > 23 || mi > 59 || se > 59)
        return avk_fail(err, AVK_EX_USAGE, "bad time of day in '%s'", s);
    if (have_off) {
        if (!have_date)
            goto bad;
        *out = naive_of(y, mo, d, h, mi, se) - off;
        return 0;
    }
    if (have_date)
        return avk_tz_wall_to_utc(tz, y, mo, d, h, mi, se, out, err);
    /* time of day only: the next one after now */
    if ((rc =
             avk_tz_local(tz, now, &y, &mo, &d, NULL, NULL, NULL, NULL, err)) ||
        (rc = avk_tz_wall_to_utc(tz, y, mo, d, h, mi, se, out, err)))
        return rc;
    if (*out <= now) {
        long long tomorrow = naive_of(y, mo, d, 12, 0, 0) + 86400;
        time_t tt = (time_t)tomorrow;
        struct tm g;
        gmtime_r(&tt, &g);
        return avk_tz_wall_to_utc(tz, g.tm_year + 1900, g.tm_mon + 1, g.tm_mday,
                                  h, mi, se, out, err);
    }
    return 0;
bad:
    return avk_fail(err, AVK_EX_USAGE,
                    "bad time '%s' (want 2026-12-01T09:00, 2026-12-01, "
                    "09:00 or an ISO time ending in Z)",
                    s);
}

int avk_duration_parse(const char *s, long long *ms, avk_err *err)
{
    const char *p = s;
    double total = 0;
    int parts = 0;

    if (!s || !*s)
        return avk_fail(err, AVK_EX_USAGE, "empty duration");
    while (*p) {
        char *end;
        double v, unit = 1000;
        if (!isdigit((unsigned char)*p) && *p != '.')
            goto bad;
        errno = 0;
        v = strtod(p, &end);
        if (end == p || errno || v < 0)
            goto bad;
        p = end;
        if (!strncmp(p, "ms", 2)) {
            unit = 1;
            p += 2;
        } else if (*p == 's') {
            p++;
        } else if (*p == 'm') {
            unit = 60e3;
            p++;
        } else if (*p == 'h') {
            unit = 3600e3;
            p++;
        } else if (*p == 'd') {
            unit = 86400e3;
            p++;
        } else if (*p == 'w') {
            unit = 7 * 86400e3;
            p++;
        } else if (*p != '\0' || parts > 0) {
            goto bad;
        }
        total += v * unit;
        parts++;
        if (total > 1e15)
            goto bad;
    }
    *ms = (long long)(total + 0.5);
    return 0;
bad:
    return avk_fail(err, AVK_EX_USAGE,
                    "bad duration '%s' (want e.g. 90s, 15m, 2h, 1d, 1h30m)", s);
}
