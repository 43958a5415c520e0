/*
 * stockvid.h - stock video search for av-image: Pexels
 * (GET {base}/videos/search, the raw key in the Authorization header) and
 * Pixabay (GET {base}/api/videos/?key=..., the key a secret query
 * parameter), by the scene's keywords.
 *
 * What always holds:
 *   - the rendition chosen is the one whose shape is closest to the
 *     wanted format, at least as large as the format when one is, and no
 *     larger than it needs to be; a clip at least as long as the scene is
 *     preferred; renditions listed as over the size cap, not MP4 or
 *     without dimensions are never chosen;
 *   - the file is downloaded with the size cap and its Content-Type must
 *     be video/mp4; then avk_stockvid_check() opens it with libavformat
 *     and decodes a frame with libavcodec.  Only a file that passed is
 *     left at the caller's path: on any failure nothing is left there;
 *   - author, licence and page are returned for the credits;
 *   - no hits is AVK_EX_UNAVAILABLE; a wrong content type, a corrupt or
 *     oversized file is AVK_EX_DATAERR; 401/403 AVK_EX_NOPERM; 429 after
 *     the retries AVK_EX_TEMPFAIL (so a fallback chain can move on);
 *   - keys never appear in a message.
 */
#ifndef AVK_STOCKVID_H
#define AVK_STOCKVID_H

#include "err.h"
#include "imgnet.h"

/* Default cap on one downloaded clip (config image.max_video_bytes). */
#define AVK_STOCKVID_MAX_BYTES (100LL * 1024 * 1024)

typedef struct avk_stockvid_req {
    const char *query;   /* the scene keywords */
    int width, height;   /* the output format */
    double min_duration; /* how long the scene lasts; 0 = any length */
    long long max_bytes; /* size cap; 0 = AVK_STOCKVID_MAX_BYTES */
} avk_stockvid_req;

/* One rendition as a provider lists it. */
typedef struct avk_stockvid_cand {
    int width, height;
    double duration; /* of the clip; 0 when not listed */
} avk_stockvid_cand;

/* The checked clip and its credits (strings heap, owned). */
typedef struct avk_stockvid_result {
    int width, height; /* decoded */
    double duration;   /* seconds, from the container */
    long long bytes;
    char vcodec[32];
    char *attribution; /* "Name on Pexels (https://...)" */
    char *license;     /* "Pexels License", "Pixabay Content License" */
    char *link;        /* the clip's page, or NULL */
} avk_stockvid_result;

void avk_stockvid_result_init(avk_stockvid_result *r);
void avk_stockvid_result_release(avk_stockvid_result *r);

/* Non-zero when provider name has a video search (pexels, pixabay). */
int avk_stockvid_known(const char *name);

/* How badly rendition c fits a w x h output and a scene of min_duration
 * seconds (0: any): lower is better, never negative.  Pure. */
double avk_stockvid_score(const avk_stockvid_cand *c, int w, int h,
                          double min_duration);

/* Search provider name for q->query, choose a rendition, download it to
 * path (which must not exist; it appears atomically) and check it with
 * avk_stockvid_check().  On success path holds the clip and out (init
 * before, release after) is filled; on failure path does not exist and
 * out holds nothing.  Fails as described at the top. */
int avk_stockvid_fetch(const avk_imgnet_env *e, const char *name,
                       const avk_stockvid_req *q, const char *path,
                       avk_stockvid_result *out, avk_err *err);

/* Check that path is a real video: at most cap bytes (0: no cap), an
 * MP4/MOV container with a video stream of 16 to 8192 pixels a side, a
 * duration above 0, and a first frame that decodes.  Fills out's width,
 * height, duration, bytes and vcodec.  Fails with AVK_EX_DATAERR (or
 * AVK_EX_NOINPUT, AVK_EX_OSERR). */
int avk_stockvid_check(const char *path, long long cap,
                       avk_stockvid_result *out, avk_err *err);

#endif
