/*
 * fsutil.h - small file-system helpers: whole-file reads, atomic writes,
 * directory creation and path joining.
 *
 * Atomic writes go to a temporary file in the target's directory, are
 * fsync'ed, then renamed over the target, so a reader sees either the old
 * file or the complete new one, never a partial file.
 */
#ifndef AVK_FSUTIL_H
#define AVK_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

int avk_read_file(const char *path, avk_buf *out, avk_err *err);
int avk_write_file_atomic(const char *path, const void *data, size_t len,
                          mode_t mode, avk_err *err);
/* Copy src to dst atomically (dst appears complete or not at all). */
int avk_copy_file_atomic(const char *src, const char *dst, mode_t mode,
                         avk_err *err);
/* mkdir -p; 0 if it exists already as a directory. */
int avk_mkdirs(const char *path, mode_t mode, avk_err *err);
/* fsync a directory so a rename in it is durable. */
int avk_fsync_dir(const char *dir);
/* Remove a directory tree (no symlinks followed); 0 if absent. */
int avk_rmtree(const char *path, avk_err *err);
/* Newly allocated "a/b"; NULL when out of memory. */
char *avk_path_join(const char *a, const char *b);
/* Newly allocated directory part of path ("." when none). */
char *avk_dirname(const char *path);
int avk_is_dir(const char *path);
int avk_is_file(const char *path);
/* Newly allocated absolute path of an existing file or directory. */
char *avk_realpath(const char *path);

/* Current time: ISO 8601 UTC "2026-11-25T17:30:00Z" into out[32]. */
void avk_now_iso(char out[32]);
void avk_time_iso(long long unix_seconds, char out[32]);
/* Seconds since the epoch of an ISO 8601 UTC time, or -1. */
long long avk_parse_iso(const char *s);
/* Milliseconds on a monotonic clock. */
long long avk_mono_ms(void);
/* Sleep for ms milliseconds (restarts on EINTR). */
void avk_sleep_ms(long long ms);
/* Fill buf with n cryptographically random bytes; 0 or AVK_EX_OSERR. */
int avk_random_bytes(void *buf, size_t n);

#endif
