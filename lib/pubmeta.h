/*
 * pubmeta.h - publishing metadata fitted to each platform's rules, and the
 * local check of a video against a platform's upload limits.
 *
 * What always holds: every string produced is valid UTF-8 (invalid input
 * bytes are dropped), never cut in the middle of a character, and cut at
 * a word boundary when one exists in the kept part; limits are counted in
 * the platform's own unit (characters, bytes or UTF-16 code units).
 * Pure functions: no I/O except avk_pub_check_video's caller-supplied
 * probe result.
 */
#ifndef AVK_PUBMETA_H
#define AVK_PUBMETA_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "probe.h"

enum avk_unit { AVK_UNIT_CHARS, AVK_UNIT_BYTES, AVK_UNIT_UTF16 };

/* Length of valid UTF-8 s in the unit. */
size_t avk_text_len(const char *s, int unit);
/* Newly allocated copy of s, cleaned of invalid UTF-8 and cut to at most
 * max units, at the last whitespace of the kept part when there is one
 * in its second half (else at a character boundary), trailing blanks
 * removed.  NULL only when out of memory. */
char *avk_text_fit(const char *s, size_t max, int unit);

/* Source metadata, as taken from .script plus overrides; borrowed. */
typedef struct avk_pub_src {
    const char *title, *description;
    const char *const *hashtags; /* with or without the leading '#' */
    size_t nhashtags;
} avk_pub_src;

/* Metadata for one platform, every string newly allocated. */
typedef struct avk_pub_meta {
    char *title;       /* YouTube title; NULL elsewhere */
    char *description; /* YouTube description */
    char *caption;     /* TikTok / Instagram caption */
    json_t *tags;      /* YouTube tags (array of strings, no '#') */
} avk_pub_meta;

/* Fit src for platform "youtube", "tiktok", "instagram" or anything else
 * (kept as given, cleaned).  YouTube: title <= 100 characters without
 * '<' '>' (and never empty: falls back to "Untitled"), description <= 5000
 * bytes, tags <= 500 characters counted as YouTube does (commas between,
 * quotes around a tag with a space).  TikTok: caption = title, description
 * and hashtags, <= 2200 UTF-16 units.  Instagram: the same caption,
 * <= 2200 characters and <= 30 hashtags in all.  Fails only with
 * AVK_EX_OSERR.  Release with avk_pub_meta_release. */
int avk_pub_meta_fit(const char *platform, const avk_pub_src *src,
                     avk_pub_meta *out, avk_err *err);
void avk_pub_meta_release(avk_pub_meta *m);

/* Platform upload limits. */
typedef struct avk_pub_limits {
    const char *platform;
    const char *containers; /* "mp4,mov" names libavformat may report */
    const char *vcodecs;    /* "h264,hevc" */
    const char *acodecs;    /* "aac" or NULL = any */
    double min_duration, max_duration; /* seconds */
    double min_fps, max_fps;
    int min_side, max_side, max_width; /* 0 = no limit */
    long long max_bytes;
    int moov_first;         /* 1: the moov box must precede mdat */
    int vertical;           /* 1: height >= width (YouTube Shorts) */
} avk_pub_limits;

/* The limits for "youtube", "tiktok", "instagram", or NULL. */
const avk_pub_limits *avk_pub_limits_for(const char *platform);
/* Check a probed video; fails with AVK_EX_DATAERR and a message naming
 * the platform, the property, the value and the limit. */
int avk_pub_check_video(const avk_pub_limits *l, const avk_probe *p,
                        avk_err *err);

#endif
