/*
 * probe.h - what a video file is: container, codecs, duration, frame rate,
 * dimensions, size and whether the MP4/MOV moov box comes before mdat.
 *
 * Uses libavformat to read the streams and plain reads of the top-level
 * ISO-BMFF boxes for the box order.  Never decodes a frame.
 */
#ifndef AVK_PROBE_H
#define AVK_PROBE_H

#include "err.h"

typedef struct avk_probe {
    char container[64]; /* libavformat's short name list, "mov,mp4,m4a,..." */
    char vcodec[32];    /* "h264", "" when there is no video */
    char acodec[32];    /* "aac", "" when there is no audio */
    double duration;    /* seconds */
    double fps;
    int width, height;
    long long bytes;
    int is_isobmff;     /* the file is made of ISO-BMFF boxes */
    int moov_first;     /* 1: moov before mdat (only when is_isobmff) */
} avk_probe;

/* Probe path.  Fails with AVK_EX_NOINPUT (missing), AVK_EX_DATAERR (not a
 * media file libavformat can read). */
int avk_probe_file(const char *path, avk_probe *out, avk_err *err);

/* Order of the top-level boxes of an ISO-BMFF file: sets *isobmff and
 * *moov_first.  Fails with AVK_EX_NOINPUT or AVK_EX_IOERR. */
int avk_probe_moov_first(const char *path, int *isobmff, int *moov_first,
                         avk_err *err);

#endif
