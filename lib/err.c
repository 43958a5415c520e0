/*
 * err.c - error objects for library code (see err.h).
 */
#include "err.h"

#include <stdio.h>
#include <string.h>

int avk_vfail(avk_err *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int avk_err_prefix(avk_err *err, const char *fmt, ...)
{
    char head[512];
    char old[AVK_ERR_MSG_MAX];
    va_list ap;

    if (!err)
        return AVK_EX_SOFTWARE;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    err->msg[0] = '\0';
    strncat(err->msg, head, sizeof err->msg - 1);
    strncat(err->msg, ": ", sizeof err->msg - 1 - strlen(err->msg));
    strncat(err->msg, old, sizeof err->msg - 1 - strlen(err->msg));
    return err->code;
}

void avk_err_clear(avk_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *avk_exit_name(int code)
{
    switch (code) {
    case AVK_OK: return "ok";
    case AVK_EX_PARTIAL: return "partial";
    case AVK_EX_USAGE: return "usage";
    case AVK_EX_DATAERR: return "data";
    case AVK_EX_NOINPUT: return "noinput";
    case AVK_EX_UNAVAILABLE: return "unavailable";
    case AVK_EX_SOFTWARE: return "software";
    case AVK_EX_OSERR: return "oserr";
    case AVK_EX_CANTCREAT: return "cantcreat";
    case AVK_EX_IOERR: return "ioerr";
    case AVK_EX_TEMPFAIL: return "tempfail";
    case AVK_EX_NOPERM: return "noperm";
    case AVK_EX_CONFIG: return "config";
    default: return "error";
    }
}
