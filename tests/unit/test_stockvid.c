/*
 * test_stockvid.c - the rendition score of lib/stockvid and the refusals
 * of avk_stockvid_check() (files that are missing, not media, a still, or
 * over the cap).  Real clips are covered by tests/43-image-stockvideo.t.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "stockvid.h"
#include "tap.h"

static double sc(int w, int h, double dur, int tw, int th, double mind)
{
    avk_stockvid_cand c;

    c.width = w;
    c.height = h;
    c.duration = dur;
    return avk_stockvid_score(&c, tw, th, mind);
}

/* A 1x1 grey PNG. */
static int write_png(const char *path)
{
    static const unsigned char png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00,
        0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b, 0x55,
        0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63,
        0x68, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81, 0x4c, 0x17, 0xd7, 0xdf,
        0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
        0x82};
    return avk_write_file_atomic(path, png, sizeof png, 0644, NULL);
}

int main(void)
{
    char dir[] = "/tmp/avk-stockvid-XXXXXX";
    char *junk = NULL, *still = NULL, *none = NULL;
    avk_stockvid_result r;
    avk_err err;
    unsigned char bytes[4096];
    size_t i;

    /* shape and size */
    ok(sc(1080, 1920, 10, 1080, 1920, 0) < sc(1920, 1080, 10, 1080, 1920, 0),
       "portrait beats landscape for 9:16");
    ok(sc(1080, 1920, 10, 1080, 1920, 0) < sc(2160, 3840, 10, 1080, 1920, 0),
       "the exact size beats 4K");
    ok(sc(2160, 3840, 10, 1080, 1920, 0) < sc(720, 1280, 10, 1080, 1920, 0),
       "too large beats too small");
    ok(sc(720, 1280, 10, 1080, 1920, 0) < sc(3840, 2160, 10, 1080, 1920, 0),
       "a small portrait clip beats cropping a landscape one");
    ok(sc(540, 960, 10, 90, 160, 0) < sc(1080, 1920, 10, 90, 160, 0),
       "the smallest rendition that covers wins");
    ok(sc(1080, 1080, 10, 1080, 1080, 0) == 0, "a perfect fit scores 0");
    /* length */
    ok(sc(540, 960, 15, 90, 160, 5) < sc(360, 640, 2, 90, 160, 5),
       "a clip as long as the scene beats a shorter one");
    ok(sc(360, 640, 2, 90, 160, 0) < sc(540, 960, 15, 90, 160, 0),
       "length does not count without timings");
    ok(sc(360, 640, 5, 90, 160, 5) == sc(360, 640, 50, 90, 160, 5),
       "any clip long enough is as good");
    ok(sc(0, 640, 5, 90, 160, 0) >= 1e9 && sc(360, 0, 5, 90, 160, 0) >= 1e9,
       "no dimensions: never chosen");
    ok(avk_stockvid_known("pexels") && avk_stockvid_known("pixabay") &&
           !avk_stockvid_known("openai") && !avk_stockvid_known(NULL),
       "providers with video search");

    /* the check's refusals */
    ok(mkdtemp(dir) != NULL, "temp dir");
    junk = avk_path_join(dir, "junk.mp4");
    still = avk_path_join(dir, "still.png");
    none = avk_path_join(dir, "none.mp4");
    for (i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 7 + 3);
    ok(junk && still && none &&
           avk_write_file_atomic(junk, bytes, sizeof bytes, 0644, NULL) == 0 &&
           write_png(still) == 0,
       "fixtures");
    avk_stockvid_result_init(&r);
    avk_err_clear(&err);
    is_int(avk_stockvid_check(none, 0, &r, &err), AVK_EX_NOINPUT,
           "missing file");
    is_int(avk_stockvid_check(junk, 0, &r, &err), AVK_EX_DATAERR,
           "random bytes are not a video");
    ok(strstr(err.msg, "not a readable video") != NULL, "says why: %s",
       err.msg);
    is_int(avk_stockvid_check(still, 0, &r, &err), AVK_EX_DATAERR,
           "a still is not a video");
    is_int(avk_stockvid_check(junk, 100, &r, &err), AVK_EX_DATAERR,
           "over the cap");
    ok(strstr(err.msg, "cap") != NULL, "says why: %s", err.msg);
    is_int(r.width, 0, "nothing filled on failure");
    avk_stockvid_result_release(&r);
    unlink(junk);
    unlink(still);
    rmdir(dir);
    free(junk);
    free(still);
    free(none);
    return tap_done();
}
