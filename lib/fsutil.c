/*
 * fsutil.c - file-system and clock helpers (see fsutil.h).
 */
#define _GNU_SOURCE
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int avk_read_file(const char *path, avk_buf *out, avk_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return avk_fail(err, errno == ENOENT ? AVK_EX_NOINPUT : AVK_EX_IOERR,
                        "cannot open '%s': %s", path, strerror(errno));
    rc = avk_buf_read_fd(out, fd);
    close(fd);
    if (rc)
        return avk_fail(err, rc, "cannot read '%s'", path);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Open a fresh temporary file beside path; returns fd, fills tmp. */
static int open_temp_beside(const char *path, avk_buf *tmp, mode_t mode)
{
    unsigned char rnd[6];
    int tries;

    for (tries = 0; tries < 16; tries++) {
        int fd;

        if (avk_random_bytes(rnd, sizeof rnd))
            return -1;
        avk_buf_reset(tmp);
        if (avk_buf_printf(tmp, "%s.tmp-%02x%02x%02x%02x%02x%02x", path,
                           rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]))
            return -1;
        fd = open(tmp->data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

static int finish_temp(int fd, avk_buf *tmp, const char *path, avk_err *err)
{
    char *dir;

    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp->data);
        return avk_fail(err, AVK_EX_IOERR, "cannot sync '%s': %s", path,
                        strerror(e));
    }
    if (close(fd) != 0) {
        unlink(tmp->data);
        return avk_fail(err, AVK_EX_IOERR, "cannot write '%s'", path);
    }
    if (rename(tmp->data, path) != 0) {
        int e = errno;
        unlink(tmp->data);
        return avk_fail(err, AVK_EX_CANTCREAT, "cannot create '%s': %s", path,
                        strerror(e));
    }
    dir = avk_dirname(path);
    if (dir) {
        avk_fsync_dir(dir);
        free(dir);
    }
    return 0;
}

int avk_write_file_atomic(const char *path, const void *data, size_t len,
                          mode_t mode, avk_err *err)
{
    avk_buf tmp;
    int fd, rc;

    avk_buf_init(&tmp);
    fd = open_temp_beside(path, &tmp, mode);
    if (fd < 0) {
        rc = avk_fail(err, AVK_EX_CANTCREAT, "cannot create '%s': %s", path,
                      strerror(errno));
        avk_buf_release(&tmp);
        return rc;
    }
    if (write_all(fd, data, len) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp.data);
        avk_buf_release(&tmp);
        return avk_fail(err, AVK_EX_IOERR, "cannot write '%s': %s", path,
                        strerror(e));
    }
    rc = finish_temp(fd, &tmp, path, err);
    avk_buf_release(&tmp);
    return rc;
}

int avk_copy_file_atomic(const char *src, const char *dst, mode_t mode,
                         avk_err *err)
{
    avk_buf tmp;
    char chunk[65536];
    int in, out, rc;

    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return avk_fail(err, errno == ENOENT ? AVK_EX_NOINPUT : AVK_EX_IOERR,
                        "cannot open '%s': %s", src, strerror(errno));
    avk_buf_init(&tmp);
    out = open_temp_beside(dst, &tmp, mode);
    if (out < 0) {
        rc = avk_fail(err, AVK_EX_CANTCREAT, "cannot create '%s': %s", dst,
                      strerror(errno));
        close(in);
        avk_buf_release(&tmp);
        return rc;
    }
    for (;;) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && write_all(out, chunk, (size_t)n) != 0)) {
            int e = errno;
            close(in);
            close(out);
            unlink(tmp.data);
            avk_buf_release(&tmp);
            return avk_fail(err, AVK_EX_IOERR, "cannot copy '%s' to '%s': %s",
                            src, dst, strerror(e));
        }
        if (n == 0)
            break;
    }
    close(in);
    rc = finish_temp(out, &tmp, dst, err);
    avk_buf_release(&tmp);
    return rc;
}

int avk_mkdirs(const char *path, mode_t mode, avk_err *err)
{
    char *p = strdup(path);
    char *s;

    if (!p)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) != 0 && errno != EEXIST) {
            int e = errno;
            int rc = avk_fail(err, AVK_EX_CANTCREAT,
                              "cannot create directory '%s': %s", p,
                              strerror(e));
            free(p);
            return rc;
        }
        *s = '/';
    }
    if (mkdir(p, mode) != 0 && errno != EEXIST) {
        int rc = avk_fail(err, AVK_EX_CANTCREAT,
                          "cannot create directory '%s': %s", p,
                          strerror(errno));
        free(p);
        return rc;
    }
    free(p);
    if (!avk_is_dir(path))
        return avk_fail(err, AVK_EX_CANTCREAT, "'%s' is not a directory",
                        path);
    return 0;
}

int avk_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int avk_rmtree(const char *path, avk_err *err)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0
                               : avk_fail(err, AVK_EX_IOERR, "cannot stat '%s'",
                                          path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0)
            return avk_fail(err, AVK_EX_IOERR, "cannot remove '%s': %s", path,
                            strerror(errno));
        return 0;
    }
    d = opendir(path);
    if (!d)
        return avk_fail(err, AVK_EX_IOERR, "cannot open '%s': %s", path,
                        strerror(errno));
    while (rc == 0 && (de = readdir(d)) != NULL) {
        char *sub;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        sub = avk_path_join(path, de->d_name);
        if (!sub) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        rc = avk_rmtree(sub, err);
        free(sub);
    }
    closedir(d);
    if (rc == 0 && rmdir(path) != 0)
        rc = avk_fail(err, AVK_EX_IOERR, "cannot remove '%s': %s", path,
                      strerror(errno));
    return rc;
}

char *avk_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), n = la + strlen(b) + 2;
    int slash = la > 0 && a[la - 1] != '/';
    char *p = malloc(n);

    if (!p)
        return NULL;
    snprintf(p, n, "%s%s%s", a, slash ? "/" : "", b);
    return p;
}

char *avk_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int avk_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int avk_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *avk_realpath(const char *path)
{
    return realpath(path, NULL);
}

void avk_time_iso(long long unix_seconds, char out[32])
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void avk_now_iso(char out[32])
{
    avk_time_iso((long long)time(NULL), out);
}

long long avk_parse_iso(const char *s)
{
    struct tm tm;
    const char *end;

    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || (*end && strcmp(end, "Z") != 0))
        return -1;
    return (long long)timegm(&tm);
}

long long avk_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void avk_sleep_ms(long long ms)
{
    struct timespec ts, rem;

    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
        ts = rem;
}

int avk_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;

    while (n) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return AVK_EX_OSERR;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}
