/*
 * tap.h - a tiny TAP producer for the C unit tests.
 *
 *   ok(cond, "name %d", i);   is_int(got, want, "name");
 *   is_str(got, want, "name");   return tap_done();
 */
#ifndef AVK_TAP_H
#define AVK_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static int ok(int cond,
                                                    const char *fmt, ...)
{
    va_list ap;

    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

#define is_int(got, want, name)                                              \
    do {                                                                     \
        long long g_ = (long long)(got), w_ = (long long)(want);             \
        if (!ok(g_ == w_, "%s", name))                                       \
            printf("#   got %lld, want %lld\n", g_, w_);                     \
    } while (0)

#define is_str(got, want, name)                                              \
    do {                                                                     \
        const char *g_ = (got), *w_ = (want);                                \
        if (!ok(g_ && w_ && strcmp(g_, w_) == 0, "%s", name))                \
            printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)",          \
                   w_ ? w_ : "(null)");                                      \
    } while (0)

static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
