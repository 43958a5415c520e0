/*
 * diag.h - diagnostics for commands: "av-TOOL: message" on stderr.
 *
 * Only cmd/ code uses this module (library code returns avk_err instead).
 * The avk_diag value is owned by a command's main and passed down.  With
 * --log-json every line is one JSON object {"ts","prog","level","msg"}.
 * The progress bar is drawn only when stderr is a terminal and not quiet;
 * NO_COLOR (any value) turns colour off.
 */
#ifndef AVK_DIAG_H
#define AVK_DIAG_H

#include "err.h"

typedef struct avk_diag {
    const char *prog;
    int verbosity; /* -1 quiet, 0 normal, 1+ verbose */
    int log_json;
    int color;
    int tty;
    int progress_shown;
} avk_diag;

void avk_diag_init(avk_diag *d, const char *prog);
void avk_error(const avk_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void avk_warn(const avk_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void avk_info(const avk_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void avk_debug(const avk_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print err's message as an error (or a fallback if empty); returns code. */
int avk_report(const avk_diag *d, const avk_err *err, int code);
/* Progress: frac in [0,1]; label shown beside the bar.  _done clears it. */
void avk_progress(avk_diag *d, const char *label, double frac);
void avk_progress_done(avk_diag *d);
/* A log callback suitable for library hooks (ud is an avk_diag *). */
void avk_diag_log_cb(void *ud, const char *line);

#endif
