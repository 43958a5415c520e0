/*
 * diag.c - command diagnostics on stderr (see diag.h).
 */
#include "diag.h"
#include "fsutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void avk_diag_init(avk_diag *d, const char *prog)
{
    const char *nc = getenv("NO_COLOR");

    memset(d, 0, sizeof *d);
    d->prog = prog;
    d->tty = isatty(2);
    d->color = d->tty && !(nc && *nc);
}

static void json_escape_to(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
}

static void emit(const avk_diag *d, const char *level, const char *fmt,
                 va_list ap)
{
    char msg[4096];

    vsnprintf(msg, sizeof msg, fmt, ap);
    if (d->progress_shown)
        fputs("\r\033[K", stderr);
    if (d->log_json) {
        char ts[32];
        avk_now_iso(ts);
        fprintf(stderr, "{\"ts\":\"%s\",\"prog\":\"", ts);
        json_escape_to(stderr, d->prog);
        fprintf(stderr, "\",\"level\":\"%s\",\"msg\":\"", level);
        json_escape_to(stderr, msg);
        fputs("\"}\n", stderr);
    } else if (!strcmp(level, "error") || !strcmp(level, "warning")) {
        if (d->color)
            fprintf(stderr, "%s: \033[%sm%s:\033[0m %s\n", d->prog,
                    level[0] == 'e' ? "1;31" : "1;33", level, msg);
        else
            fprintf(stderr, "%s: %s%s\n", d->prog,
                    level[0] == 'w' ? "warning: " : "", msg);
    } else {
        fprintf(stderr, "%s: %s\n", d->prog, msg);
    }
    fflush(stderr);
}

void avk_error(const avk_diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(d, "error", fmt, ap);
    va_end(ap);
}

void avk_warn(const avk_diag *d, const char *fmt, ...)
{
    va_list ap;
    if (d->verbosity < 0)
        return;
    va_start(ap, fmt);
    emit(d, "warning", fmt, ap);
    va_end(ap);
}

void avk_info(const avk_diag *d, const char *fmt, ...)
{
    va_list ap;
    if (d->verbosity < 0)
        return;
    va_start(ap, fmt);
    emit(d, "info", fmt, ap);
    va_end(ap);
}

void avk_debug(const avk_diag *d, const char *fmt, ...)
{
    va_list ap;
    if (d->verbosity < 1)
        return;
    va_start(ap, fmt);
    emit(d, "debug", fmt, ap);
    va_end(ap);
}

int avk_report(const avk_diag *d, const avk_err *err, int code)
{
    if (err && err->msg[0])
        avk_error(d, "%s", err->msg);
    else
        avk_error(d, "failed (%s)", avk_exit_name(code));
    return code;
}

void avk_progress(avk_diag *d, const char *label, double frac)
{
    int i, n;

    if (!d->tty || d->verbosity < 0 || d->log_json)
        return;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    n = (int)(frac * 30 + 0.5);
    fputs("\r\033[K", stderr);
    fprintf(stderr, "%s: %s [", d->prog, label);
    for (i = 0; i < 30; i++)
        fputc(i < n ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", (int)(frac * 100 + 0.5));
    fflush(stderr);
    d->progress_shown = 1;
}

void avk_progress_done(avk_diag *d)
{
    if (d->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        d->progress_shown = 0;
    }
}

void avk_diag_log_cb(void *ud, const char *line)
{
    avk_debug((const avk_diag *)ud, "%s", line);
}
