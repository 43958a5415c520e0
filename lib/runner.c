/*
 * runner.c - fork/exec of one program with pipes, a timeout and a tick
 * callback (see runner.h for the contract).
 *
 * What always holds: every descriptor this module opens is close-on-exec
 * and closed before avk_proc_run returns; the child is always reaped.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "fsutil.h"

void avk_proc_result_release(avk_proc_result *res)
{
    avk_buf_release(&res->out);
    avk_buf_release(&res->err_tail);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int make_pipe(int p[2])
{
    if (pipe(p) != 0)
        return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static void child(const avk_proc_spec *sp, pid_t parent, int in, int out,
                  int er, int ex)
{
    sigset_t all;
    long maxfd = sysconf(_SC_OPEN_MAX);
    int fd, e;
    size_t i;

    setpgid(0, 0);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
#else
    (void)parent;
#endif
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(er, 2) < 0)
        goto fail;
    if (maxfd < 0 || maxfd > 65536)
        maxfd = 65536;
    for (fd = 3; fd < maxfd; fd++)
        if (fd != ex)
            close(fd);
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (i = 0; sp->env && sp->env[i]; i++)
        putenv((char *)sp->env[i]);
    execv(sp->argv[0], (char *const *)sp->argv);
fail:
    e = errno;
    if (write(ex, &e, sizeof e) < 0)
        _exit(127);
    _exit(127);
}

static void add_tail(avk_buf *b, const char *data, size_t n)
{
    avk_buf_add(b, data, n);
    if (b->len > 2 * AVK_PROC_TAIL) {
        memmove(b->data, b->data + b->len - AVK_PROC_TAIL, AVK_PROC_TAIL);
        b->len = AVK_PROC_TAIL;
        b->data[b->len] = '\0';
    }
}

int avk_proc_run(const avk_proc_spec *sp, avk_proc_result *res, avk_err *err)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1}, ex[2] = {-1, -1};
    long long start = avk_mono_ms(), next_tick, kill_at = 0, exited_at = 0;
    size_t written = 0;
    int status = 0, exited = 0, killing = 0, e = 0, rc = 0;
    ssize_t n;
    pid_t pid, self = getpid();

    memset(res, 0, sizeof *res);
    avk_buf_init(&res->out);
    avk_buf_init(&res->err_tail);
    if (!sp->argv || !sp->argv[0])
        return avk_fail(err, AVK_EX_SOFTWARE, "no program to run");
    if (make_pipe(in) || make_pipe(out) || make_pipe(er) || make_pipe(ex)) {
        rc = avk_fail(err, AVK_EX_OSERR, "pipe: %s", strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        rc = avk_fail(err, AVK_EX_OSERR, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        child(sp, self, in[0], out[1], er[1], ex[1]);
    setpgid(pid, pid);
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&er[1]);
    close_fd(&ex[1]);
    while ((n = read(ex[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close_fd(&ex[0]);
    if (n == (ssize_t)sizeof e) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        rc = avk_fail(err, AVK_EX_UNAVAILABLE, "cannot run '%s': %s",
                      sp->argv[0], strerror(e));
        goto out;
    }
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    if (!sp->input || sp->input_len == 0)
        close_fd(&in[1]);
    next_tick = start + sp->tick_ms;

    for (;;) {
        struct pollfd pf[3];
        nfds_t np = 0;
        long long now = avk_mono_ms();
        int wait_ms = 100, i;

        if (exited && ((out[0] < 0 && er[0] < 0) || now - exited_at > 500))
            break;
        if (in[1] >= 0)
            pf[np++] = (struct pollfd){in[1], POLLOUT, 0};
        if (out[0] >= 0)
            pf[np++] = (struct pollfd){out[0], POLLIN, 0};
        if (er[0] >= 0)
            pf[np++] = (struct pollfd){er[0], POLLIN, 0};
        if (sp->tick_ms > 0 && next_tick - now < wait_ms)
            wait_ms = next_tick - now < 0 ? 0 : (int)(next_tick - now);
        if (np == 0 || exited)
            wait_ms = wait_ms > 20 ? 20 : wait_ms;
        if (np > 0 && poll(pf, np, wait_ms) < 0 && errno != EINTR) {
            rc = avk_fail(err, AVK_EX_OSERR, "poll: %s", strerror(errno));
            kill(-pid, SIGKILL);
            killing = 1;
        } else if (np == 0) {
            avk_sleep_ms(wait_ms);
        }
        for (i = 0; i < (int)np; i++) {
            char buf[65536];
            if (!pf[i].revents)
                continue;
            if (pf[i].fd == in[1]) {
                n = write(in[1], sp->input + written, sp->input_len - written);
                if (n > 0)
                    written += (size_t)n;
                if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
                    written == sp->input_len)
                    close_fd(&in[1]);
                continue;
            }
            n = read(pf[i].fd, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                if (pf[i].fd == out[0])
                    close_fd(&out[0]);
                else
                    close_fd(&er[0]);
                continue;
            }
            if (pf[i].fd == out[0]) {
                if (avk_buf_add(&res->out, buf, (size_t)n) && !killing) {
                    rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                    kill(-pid, SIGKILL);
                    killing = 1;
                }
            } else {
                add_tail(&res->err_tail, buf, (size_t)n);
            }
        }
        now = avk_mono_ms();
        if (!exited) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                exited = 1;
                exited_at = now;
                close_fd(&in[1]);
            }
        }
        if (exited)
            continue;
        if (!killing && sp->tick && sp->tick_ms > 0 && now >= next_tick) {
            next_tick = now + sp->tick_ms;
            if (sp->tick(sp->tick_ud)) {
                res->stopped = 1;
                killing = 1;
            }
        }
        if (!killing && sp->stop_flag && *sp->stop_flag) {
            res->stopped = 1;
            killing = 1;
        }
        if (!killing && sp->timeout_ms > 0 && now - start >= sp->timeout_ms) {
            res->timed_out = 1;
            killing = 1;
        }
        if (killing == 1) {
            kill(-pid, SIGTERM);
            kill_at = now + 1000;
            killing = 2;
        } else if (killing == 2 && now >= kill_at) {
            kill(-pid, SIGKILL);
            killing = 3;
        }
    }
    if (!exited)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (WIFSIGNALED(status)) {
        res->signaled = 1;
        res->exit_status = 128 + WTERMSIG(status);
    } else {
        res->exit_status = WEXITSTATUS(status);
    }
    res->duration_ms = avk_mono_ms() - start;
out:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&er[0]);
    close_fd(&er[1]);
    close_fd(&ex[0]);
    close_fd(&ex[1]);
    return rc;
}
