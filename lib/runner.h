/*
 * runner.h - run one program from an argv array (never a shell), feed it
 * stdin, collect its stdout and the tail of its stderr, with a timeout
 * and a periodic callback (av-schedule renews its lease there).
 *
 * What always holds:
 * - argv[0] is executed as given (a path; no PATH search, no shell), in
 *   its own process group, with the caller's environment plus `env`
 *   ("NAME=value" strings) and no other open descriptors than 0, 1, 2.
 * - On Linux the child gets SIGKILL when the calling process dies, so a
 *   runner killed with kill -9 leaves no stage running behind it.
 * - When the timeout passes or the callback asks to stop, the whole
 *   process group gets SIGTERM, then SIGKILL after a grace second.
 * - The caller must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) so that a
 *   child that stops reading does not kill it; the child gets the
 *   default disposition back before exec.
 */
#ifndef AVK_RUNNER_H
#define AVK_RUNNER_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define AVK_PROC_TAIL 4096

typedef struct avk_proc_result {
    int exit_status; /* exit status; 128+N when killed by signal N */
    int signaled;    /* killed by a signal */
    int timed_out;   /* stopped because of the timeout */
    int stopped;     /* stopped because the callback asked */
    long long duration_ms;
    avk_buf out;      /* all of stdout */
    avk_buf err_tail; /* the last AVK_PROC_TAIL bytes of stderr */
} avk_proc_result;

/* Called about every tick_ms while the child runs; non-zero stops it. */
typedef int (*avk_proc_tick_fn)(void *ud);

typedef struct avk_proc_spec {
    const char *const *argv; /* argv[0] is the program's path */
    const char *const *env;  /* extra "NAME=value", NULL-terminated, or NULL */
    const char *input;       /* stdin contents (may be NULL: empty) */
    size_t input_len;
    long long timeout_ms; /* 0: none */
    long long tick_ms;    /* 0: no callback */
    avk_proc_tick_fn tick;
    void *tick_ud;
    /* when non-NULL and it becomes non-zero (a signal handler's flag),
     * the child is stopped within about 100 ms (res->stopped) */
    const volatile int *stop_flag;
} avk_proc_spec;

/* Run the program to its end.  Returns 0 when it ran (whatever its exit
 * status; see res), or AVK_EX_OSERR (fork/pipe failed) or
 * AVK_EX_UNAVAILABLE (cannot execute argv[0]) with err set.  res is always
 * initialised; the caller releases it. */
int avk_proc_run(const avk_proc_spec *spec, avk_proc_result *res, avk_err *err);
void avk_proc_result_release(avk_proc_result *res);

#endif
