/*
 * publish.h - the exactly-once ledger of publications (store tables
 * publications, quota_usage, rate_events).
 *
 * One row per (project, target, sha256 of the video): the intent is
 * written before the first byte is sent, and a row in state 'published'
 * is never published again.  A process works on a row only while it
 * holds the row's lease (owner + lease_until, renewed by every
 * avk_pub_save); another process waits for the lease, and takes it over
 * when it has run out or its owner (same host) is dead, so a killed
 * upload is resumed from the recorded session instead of creating a
 * second remote video.
 */
#ifndef AVK_PUBLISH_H
#define AVK_PUBLISH_H

#include <stddef.h>

#include "err.h"
#include "store.h"

typedef struct avk_pub_rec {
    long long id;
    char project_id[64];
    char target[512];
    char video_sha256[65];
    char state[16];     /* queued uploading processing published failed */
    char remote_id[256];
    char url[1024];
    char privacy[32];
    char session[2048]; /* resumable session URI, publish_id, container */
    long long offset;   /* bytes the server confirmed */
    int attempts;
    char error[1024];
    char created_at[32], updated_at[32], published_at[32];
} avk_pub_rec;

enum { AVK_PUB_DONE = 1, AVK_PUB_OWNED = 2 };

/* A lease owner name for this process: "host:pid:random" into out[96]. */
void avk_pub_owner(char out[96]);

/*
 * Record the intent (project, target, video) unless present and take its
 * lease for lease_ms.  *outcome is AVK_PUB_DONE when the row is already
 * published (rec holds the recorded result; nothing must be sent) or
 * AVK_PUB_OWNED when this process now holds it (rec holds the state to
 * resume from; attempts counted up).  While another live process holds
 * the lease, waits up to wait_ms, then fails with AVK_EX_TEMPFAIL.
 * Store failures as avk_store_tx.
 */
int avk_pub_claim(avk_store *s, const char *project, const char *target,
                  const char *video_sha256, const char *owner,
                  long long lease_ms, long long wait_ms, avk_pub_rec *rec,
                  int *outcome, avk_err *err);
/* Write rec's state, ids, session, offset and error, and renew the lease.
 * Fails with AVK_EX_TEMPFAIL when the lease was lost to another owner. */
int avk_pub_save(avk_store *s, const avk_pub_rec *rec, const char *owner,
                 long long lease_ms, avk_err *err);
/* Give the lease back (state unchanged). */
int avk_pub_release(avk_store *s, const avk_pub_rec *rec, const char *owner,
                    avk_err *err);
/* Rows of a project (all videos when video_sha256 is NULL), oldest first;
 * caller frees *rows. */
int avk_pub_list(avk_store *s, const char *project, const char *video_sha256,
                 avk_pub_rec **rows, size_t *n, avk_err *err);

/* Daily quota: units used by provider on day (e.g. "2026-11-25"). */
int avk_quota_used(avk_store *s, const char *provider, const char *day,
                   long long *units, avk_err *err);
/* Add units atomically when used + units <= limit; *ok tells whether it
 * was added. */
int avk_quota_take(avk_store *s, const char *provider, const char *day,
                   long long units, long long limit, int *ok, avk_err *err);

/* Sliding-window limiter shared by all processes: when fewer than max
 * events of (provider, bucket) happened in the last window_ms, record one
 * now and set *wait_ms = 0; otherwise record nothing and set *wait_ms to
 * the time until a slot frees. */
int avk_rate_try(avk_store *s, const char *provider, const char *bucket,
                 int max, long long window_ms, long long *wait_ms,
                 avk_err *err);

#endif
