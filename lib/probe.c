/*
 * probe.c - video facts for the publish checks (see probe.h).
 *
 * Always holds: the file is only read; libavformat contexts are closed on
 * every path; box walking stops at the first malformed size.
 */
#include "probe.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libavformat/avformat.h>
#include <libavutil/avutil.h>

static uint64_t be32(const unsigned char *p)
{
    return ((uint64_t)p[0] << 24) | ((uint64_t)p[1] << 16) |
           ((uint64_t)p[2] << 8) | p[3];
}

int avk_probe_moov_first(const char *path, int *isobmff, int *moov_first,
                         avk_err *err)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[16];
    uint64_t pos = 0, size;
    int first = 1, seen_moov = 0;

    *isobmff = 0;
    *moov_first = 0;
    if (!f)
        return avk_fail(err, AVK_EX_NOINPUT, "cannot open '%s': %s", path,
                        strerror(errno));
    for (;;) {
        size_t hl = 8;
        if (fseeko(f, (off_t)pos, SEEK_SET) != 0 || fread(h, 1, 8, f) != 8)
            break;
        size = be32(h);
        if (size == 1) {
            if (fread(h + 8, 1, 8, f) != 8)
                break;
            size = (be32(h + 8) << 32) | be32(h + 12);
            hl = 16;
        }
        if (first) {
            if (memcmp(h + 4, "ftyp", 4) != 0)
                break;
            *isobmff = 1;
            first = 0;
        }
        if (!memcmp(h + 4, "moov", 4)) {
            seen_moov = 1;
            *moov_first = 1;
            break;
        }
        if (!memcmp(h + 4, "mdat", 4))
            break; /* mdat before moov */
        if (size == 0 || size < hl)
            break;
        pos += size;
    }
    (void)seen_moov;
    fclose(f);
    return 0;
}

int avk_probe_file(const char *path, avk_probe *out, avk_err *err)
{
    AVFormatContext *fc = NULL;
    struct stat st;
    unsigned i;
    int rc;

    memset(out, 0, sizeof *out);
    if (stat(path, &st) != 0)
        return avk_fail(err, AVK_EX_NOINPUT, "cannot open '%s': %s", path,
                        strerror(errno));
    out->bytes = (long long)st.st_size;
    if (avformat_open_input(&fc, path, NULL, NULL) < 0)
        return avk_fail(err, AVK_EX_DATAERR, "'%s': not a media file", path);
    if (avformat_find_stream_info(fc, NULL) < 0) {
        avformat_close_input(&fc);
        return avk_fail(err, AVK_EX_DATAERR, "'%s': unreadable streams",
                        path);
    }
    snprintf(out->container, sizeof out->container, "%s",
             fc->iformat && fc->iformat->name ? fc->iformat->name : "");
    if (fc->duration != AV_NOPTS_VALUE && fc->duration > 0)
        out->duration = (double)fc->duration / AV_TIME_BASE;
    for (i = 0; i < fc->nb_streams; i++) {
        AVStream *s = fc->streams[i];
        AVCodecParameters *cp = s->codecpar;
        const char *name = avcodec_get_name(cp->codec_id);
        if (cp->codec_type == AVMEDIA_TYPE_VIDEO && !out->vcodec[0] &&
            !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            snprintf(out->vcodec, sizeof out->vcodec, "%s", name);
            out->width = cp->width;
            out->height = cp->height;
            if (s->avg_frame_rate.num > 0 && s->avg_frame_rate.den > 0)
                out->fps = av_q2d(s->avg_frame_rate);
            else if (s->r_frame_rate.num > 0 && s->r_frame_rate.den > 0)
                out->fps = av_q2d(s->r_frame_rate);
        } else if (cp->codec_type == AVMEDIA_TYPE_AUDIO && !out->acodec[0]) {
            snprintf(out->acodec, sizeof out->acodec, "%s", name);
        }
    }
    avformat_close_input(&fc);
    rc = avk_probe_moov_first(path, &out->is_isobmff, &out->moov_first, err);
    return rc;
}
