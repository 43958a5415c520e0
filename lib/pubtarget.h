/*
 * pubtarget.h - the publish targets: dir:PATH and YouTube (videos.insert
 * resumable upload).
 *
 * A target works on an avk_pub_job: the video and its side files, the
 * fitted metadata, and the ledger row (rec) it resumes from and updates.
 * After every step that the remote side would remember (a session
 * opened, bytes confirmed, the video created) the target calls
 * job->save(), which writes rec to the store before the next byte is
 * sent, so that a process killed at any point resumes instead of
 * starting over.  Targets never print; progress goes through job->say.
 */
#ifndef AVK_PUBTARGET_H
#define AVK_PUBTARGET_H

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "http.h"
#include "publish.h"
#include "pubmeta.h"

typedef struct avk_pub_job {
    const char *project_id;
    const char *ws_root;
    const char *video_path;  /* absolute */
    long long video_bytes;
    const char *video_sha256;
    const char *thumb_path, *thumb_type; /* NULL when none */
    const char *srt_path, *vtt_path;     /* NULL when none */
    const avk_pub_meta *meta;
    const char *privacy;     /* private public unlisted (YouTube names) */
    const char *publish_at;  /* ISO time or NULL */
    int aigc;                /* declare synthetic media */
    int inbox;               /* TikTok: upload as a draft to the inbox */
    double duration;         /* probed, seconds */
    const char *public_url;  /* the video at a public https URL, or NULL */
    const avk_config *cfg;
    const avk_http_opts *http;
    const char *token;       /* bearer token, borrowed, never printed */
    const char *user_id;     /* Instagram: the logged-in account's id, used
                                when instagram.user_id is not set; or NULL */
    avk_pub_rec *rec;
    int (*save)(void *ud, avk_err *err);
    void (*say)(void *ud, const char *msg);
    /* Shared rate limiter: returns 0 once a slot of at most max calls per
     * window_ms for (platform, bucket) is taken, waiting when needed;
     * fails with AVK_EX_TEMPFAIL when the wait would pass the deadline. */
    int (*limit)(void *ud, const char *bucket, int max, long long window_ms,
                 avk_err *err);
    void *ud;
} avk_pub_job;

/* For the targets: a progress line through job->say (printf-style, cut
 * at 511 bytes; nothing when say is NULL), and job->save (0 when save is
 * NULL, else what it returns). */
void avk_pubjob_say(avk_pub_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int avk_pubjob_save(avk_pub_job *job, avk_err *err);

/* Copy the video, thumbnail, subtitles and a metadata JSON into dir, each
 * atomically, the metadata last (its presence means complete).  Names are
 * PROJECT.mp4, PROJECT.jpg/png, PROJECT.srt, PROJECT.vtt, PROJECT.json.
 * Fails with the file errors of fsutil. */
int avk_pub_dir(avk_pub_job *job, const char *dir, avk_err *err);

/*
 * Upload to YouTube: open a resumable session (or resume the recorded
 * one: status query, 404 = expired, new session from byte 0), send the
 * file in chunks of youtube.chunk_size bytes (default 8 MiB; real servers
 * want multiples of 256 KiB), each chunk answered by 308 with the Range
 * kept; after transport errors or 5xx, back off and ask the server where
 * it stands.  Then thumbnails.set (a failure there is only said).  Base URL
 * youtube.base_url (https://www.googleapis.com).  Fails with
 * AVK_EX_NOPERM (401/403 auth), AVK_EX_UNAVAILABLE (quotaExceeded,
 * uploadLimitExceeded, other final refusals), AVK_EX_DATAERR (400),
 * AVK_EX_TEMPFAIL (still failing after youtube.max_resumes tries).
 */
int avk_pub_youtube(avk_pub_job *job, avk_err *err);

/*
 * Post to TikTok (Content Posting API): creator_info query (privacy level
 * must be one of the creator's options; the video no longer than the
 * creator's maximum), direct post init with FILE_UPLOAD (or the inbox
 * init with job->inbox), sequential chunks with Content-Range (206 more,
 * 201 done; 416 realigns from the server's progress; 5xx retries the
 * chunk), then status polling until PUBLISH_COMPLETE (SEND_TO_USER_INBOX
 * for the inbox) or FAILED.  A resumed run asks status/fetch for
 * uploaded_bytes and continues from that chunk.  Base URL
 * tiktok.base_url (https://open.tiktokapis.com).  Errors inside a 200
 * envelope are failures.  Fails as avk_pub_youtube.
 */
int avk_pub_tiktok(avk_pub_job *job, avk_err *err);

/*
 * Publish a Reel on Instagram (Graph API): create a container with
 * upload_type=resumable (or video_url when job->public_url is set), send
 * the file to the rupload URI with offset/file_size headers (a resumed
 * run asks the URI for the offset it holds), poll the container until
 * FINISHED, then media_publish once.  Before any retry of media_publish,
 * and after a media_publish that timed out, the container's status_code
 * is checked, so a publication that went through is never repeated.
 * Settings: instagram.base_url (https://graph.facebook.com/v21.0),
 * instagram.user_id (else job->user_id, the account found at login;
 * one of them is required), instagram.poll_ms, instagram.poll_max_s,
 * instagram.publish_timeout_ms.  Fails as avk_pub_youtube.
 */
int avk_pub_instagram(avk_pub_job *job, avk_err *err);

/*
 * Copy the video, thumbnail, subtitles and a metadata JSON to an
 * S3-compatible store: target "s3://BUCKET/PREFIX", path-style requests to
 * s3.endpoint (https://s3.REGION.amazonaws.com) signed with Signature V4
 * (s3.region, s3.access_key, s3.secret_key).  Files up to
 * s3.multipart_threshold (64 MiB) go in one PUT; larger videos in a
 * multipart upload of s3.part_size parts (8 MiB; S3 wants at least
 * 5 MiB), whose UploadId is saved so that a resumed run lists the parts
 * already stored and sends only the rest.  The metadata JSON goes last.
 * The recorded url is s3.public_url/KEY when configured, else
 * s3://BUCKET/KEY.  Fails with AVK_EX_NOPERM (403: signature, access),
 * AVK_EX_TEMPFAIL (503 SlowDown, 500), AVK_EX_UNAVAILABLE (others).
 */
int avk_pub_s3(avk_pub_job *job, const char *target, avk_err *err);

/* TikTok chunking: chunk size and count for a file of size bytes with the
 * preferred chunk (5-64 MB by default; min_chunk lowers the floor for
 * tests).  The last chunk absorbs the remainder. */
void avk_tiktok_chunks(long long size, long long want, long long min_chunk,
                       long long *chunk, long long *count);

/* The JSON body of the videos.insert session request (new reference). */
json_t *avk_youtube_insert_body(const avk_pub_job *job);

#endif
