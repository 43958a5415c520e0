/*
 * medialib.h - a local image library matched to scenes by keywords.
 *
 * A library is a directory tree of stills (png, jpg, jpeg, webp, bmp,
 * gif, tif, tiff) and, when asked for, video clips (mp4, mov, webm).  Each file
 * is described by words from three places, weighted by how deliberate they are:
 * tags in a sidecar text file (3), the file name (2) and the folder names below
 * the library root (1).  A sidecar is "NAME.EXT.tags", "NAME.tags",
 * "NAME.EXT.txt" or "NAME.txt" next to the image, holding words or phrases
 * separated by commas, newlines or spaces.  Words are compared
 * case-insensitively (ASCII) with a plural "s" or "ies" folded; UTF-8 words
 * match exactly.
 *
 * avk_medialib_pick() returns the best-scoring file not used yet in the
 * current video (avk_medialib_reset() starts a new one); a used file is
 * only picked again when no unused file matches.  Files that turn out
 * empty or undecodable are skipped with a warning and never offered again.
 * Hidden files and folders are ignored; symbolic links to folders are not
 * followed.
 */
#ifndef AVK_MEDIALIB_H
#define AVK_MEDIALIB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "image.h"

typedef struct avk_medialib avk_medialib;

/* Called with a one-line warning ("skipping 'x.jpg': ... is empty"). */
typedef void (*avk_medialib_warn_fn)(void *ctx, const char *msg);

/* Scan dir.  NULL with err filled: AVK_EX_NOINPUT when dir is not a
 * directory, AVK_EX_OSERR when out of memory.  An empty library is not an
 * error (every pick then finds nothing). */
avk_medialib *avk_medialib_open(const char *dir, avk_err *err);
void avk_medialib_free(avk_medialib *lib);
void avk_medialib_set_warn(avk_medialib *lib, avk_medialib_warn_fn fn,
                           void *ctx);

/* Number of candidate files found by the scan. */
size_t avk_medialib_count(const avk_medialib *lib);

/* SHA-256 over every candidate's path, size, time and words: it changes
 * when files are added, removed, renamed, replaced or re-tagged.  0 or
 * AVK_EX_OSERR. */
int avk_medialib_fingerprint(const avk_medialib *lib, char hex[65]);

/* Forget which files the current video used. */
void avk_medialib_reset(avk_medialib *lib);

/* Offer video clips too (off by default). */
void avk_medialib_set_videos(avk_medialib *lib, int on);

/* Choose a file for the keywords (each may hold several words).  A still
 * is decoded into img (released first); a clip is only probed (img stays
 * empty, info->kind is AVK_MEDIA_VIDEO).  info (may be NULL) receives the
 * probe.  Ties are broken by seed, so different videos vary.  Returns 0
 * and sets *path (owned by lib, valid until avk_medialib_free) and *score
 * (> 0), or AVK_EX_UNAVAILABLE when nothing usable matches (*path NULL,
 * img empty), AVK_EX_OSERR. */
int avk_medialib_pick(avk_medialib *lib, const char *const *keywords,
                      size_t nkeywords, uint64_t seed, const char **path,
                      double *score, avk_image *img, avk_media_info *info,
                      avk_err *err);

#endif
