/*
 * err.h - how av's library code reports failure.
 *
 * Library code never prints and never exits.  A function that can fail
 * returns an int: 0 on success, otherwise one of the AVK_EX_* codes below,
 * and fills the caller's optional avk_err with a one-line message.  The
 * codes are the <sysexits.h> table, so a command's main can hand the code
 * straight to exit(3); every man page documents the same table.
 *
 * Adding a new tool (the steps, as git's builtin.h lists them):
 *   1. cmd/av-NAME.c with main(), its option table and output only;
 *      testable logic goes into lib/ modules.
 *   2. Nothing in the Makefile: every cmd/av-*.c becomes a binary.
 *   3. man/av-NAME.1 (mdoc), and an entry in man/av.7.
 *   4. tests/NN-NAME-*.t end-to-end, tests/unit/test_MODULE.c per module.
 *   5. `make completions` regenerates completions/ from the option table.
 */
#ifndef AVK_ERR_H
#define AVK_ERR_H

#include <stdarg.h>

enum {
    AVK_OK = 0,
    AVK_EX_PARTIAL = 1,       /* some documents or sources failed (--keep-going) */
    AVK_EX_USAGE = 64,        /* bad command line */
    AVK_EX_DATAERR = 65,      /* bad input document or file contents */
    AVK_EX_NOINPUT = 66,      /* input file, project or workspace missing */
    AVK_EX_UNAVAILABLE = 69,  /* a service or provider refused permanently */
    AVK_EX_SOFTWARE = 70,     /* internal error: a bug */
    AVK_EX_OSERR = 71,        /* out of memory, fork failed, ... */
    AVK_EX_CANTCREAT = 73,    /* cannot create an output file */
    AVK_EX_IOERR = 74,        /* read or write error */
    AVK_EX_TEMPFAIL = 75,     /* temporary: network, 429, 5xx; try again later */
    AVK_EX_NOPERM = 77,       /* authentication or permission refused */
    AVK_EX_CONFIG = 78        /* bad or unsafe configuration */
};

#define AVK_ERR_MSG_MAX 1024

typedef struct avk_err {
    int code;
    char msg[AVK_ERR_MSG_MAX];
} avk_err;

int avk_vfail(avk_err *err, int code, const char *fmt, va_list ap);
/* Fill err (which may be NULL) and return code.  Always returns code;
 * inline so that static analysers see that. */
static inline __attribute__((format(printf, 3, 4))) int
avk_fail(avk_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    avk_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

/* Prepend "prefix: " to an already filled message; returns err->code. */
int avk_err_prefix(avk_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset to "no error". */
void avk_err_clear(avk_err *err);

/* Short name of an exit code ("usage", "data", ...) for logs and man pages. */
const char *avk_exit_name(int code);

#endif
