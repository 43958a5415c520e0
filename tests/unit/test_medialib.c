/* Unit tests for lib/medialib: keyword scoring from folders, file names
 * and sidecars, no reuse while unused files match, bad files skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "fsutil.h"
#include "image.h"
#include "medialib.h"
#include "tap.h"

static int nwarn;
static char lastwarn[1200];

static void warn(void *ctx, const char *msg)
{
    (void)ctx;
    nwarn++;
    snprintf(lastwarn, sizeof lastwarn, "%s", msg);
}

static void png(const char *dir, const char *name, uint32_t color)
{
    avk_image im;
    char *p = avk_path_join(dir, name);
    char *d = avk_dirname(p);

    avk_mkdirs(d, 0755, NULL);
    avk_image_init(&im);
    avk_image_alloc(&im, 8, 8);
    avk_image_fill(&im, color);
    avk_image_save_png(p, &im, NULL);
    avk_image_release(&im);
    free(p);
    free(d);
}

static void text(const char *dir, const char *name, const char *s)
{
    char *p = avk_path_join(dir, name);
    avk_write_file_atomic(p, s, strlen(s), 0644, NULL);
    free(p);
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int main(void)
{
    char dir[] = "/tmp/avk-medialib-XXXXXX";
    avk_medialib *lib;
    avk_image im;
    avk_err err;
    const char *path, *kw[2];
    double score;
    int rc;

    av_log_set_level(AV_LOG_QUIET);
    ok(mkdtemp(dir) != NULL, "temp dir");
    png(dir, "beach/sunset.png", 0xff8000ffu);
    png(dir, "beach/waves.png", 0x0080ffffu);
    png(dir, "coffee-morning.png", 0x603010ffu);
    text(dir, "coffee-morning.tags", "routine, productivity\nfocus");
    png(dir, "Desk_Setup_2021.png", 0x808080ffu);
    text(dir, "habits.png", "");                  /* zero bytes */
    text(dir, "habit-tracker.jpg", "not a jpeg"); /* corrupt */
    png(dir, ".hidden/focus.png", 0x000000ffu);
    text(dir, "notes.txt", "focus focus focus");

    avk_image_init(&im);
    ok(avk_medialib_open("/nonexistent/lib", &err) == NULL &&
           err.code == AVK_EX_NOINPUT,
       "missing library directory");
    lib = avk_medialib_open(dir, &err);
    ok(lib != NULL, "open library");
    if (!lib)
        return tap_done();
    avk_medialib_set_warn(lib, warn, NULL);
    is_int(avk_medialib_count(lib), 6,
           "six candidate images (hidden and text ignored)");

    kw[0] = "morning routine";
    rc = avk_medialib_pick(lib, kw, 1, 1, &path, &score, &im, NULL, &err);
    ok(rc == 0 && strcmp(base(path), "coffee-morning.png") == 0,
       "sidecar and name words win: %s", path ? base(path) : err.msg);
    ok(im.w == 8 && im.h == 8, "picked image is decoded");
    kw[0] = "Focus";
    rc = avk_medialib_pick(lib, kw, 1, 1, &path, &score, &im, NULL, &err);
    ok(rc == 0 && strcmp(base(path), "coffee-morning.png") == 0,
       "a used file is reused only when nothing unused matches");

    kw[0] = "beach";
    rc = avk_medialib_pick(lib, kw, 1, 3, &path, &score, &im, NULL, &err);
    ok(rc == 0 && strstr(path, "/beach/") != NULL, "folder names match");
    {
        const char *first = path;
        rc = avk_medialib_pick(lib, kw, 1, 3, &path, &score, &im, NULL, &err);
        ok(rc == 0 && strstr(path, "/beach/") && strcmp(path, first) != 0,
           "second pick takes the other beach image");
    }
    kw[0] = "sunsets";
    kw[1] = "desk setup";
    rc = avk_medialib_pick(lib, kw, 2, 3, &path, &score, &im, NULL, &err);
    ok(rc == 0 && strcmp(base(path), "Desk_Setup_2021.png") == 0,
       "plural and case folded; unused file preferred");

    nwarn = 0;
    kw[0] = "habits";
    rc = avk_medialib_pick(lib, kw, 1, 1, &path, &score, &im, NULL, &err);
    is_int(rc, AVK_EX_UNAVAILABLE, "only bad files match: unavailable");
    is_int(nwarn, 2, "each bad file warned about once");
    ok(strstr(lastwarn, "skipping") != NULL, "warning text: %s", lastwarn);
    ok(im.px == NULL, "no image on failure");
    is_int(avk_medialib_pick(lib, kw, 1, 1, &path, &score, &im, NULL, &err),
           AVK_EX_UNAVAILABLE, "still unavailable");
    is_int(nwarn, 2, "bad files are not retried");

    {
        char h1[65], h2[65];
        avk_medialib *l2;
        is_int(avk_medialib_fingerprint(lib, h1), 0, "fingerprint");
        text(dir, "beach/waves.tags", "surf");
        l2 = avk_medialib_open(dir, &err);
        ok(l2 && avk_medialib_fingerprint(l2, h2) == 0 && strcmp(h1, h2) != 0,
           "a new sidecar changes the fingerprint");
        avk_medialib_free(l2);
    }
    avk_medialib_reset(lib);
    kw[0] = "morning";
    rc = avk_medialib_pick(lib, kw, 1, 1, &path, &score, &im, NULL, &err);
    ok(rc == 0 && strcmp(base(path), "coffee-morning.png") == 0,
       "reset makes files available again");
    kw[0] = "zebra";
    is_int(avk_medialib_pick(lib, kw, 1, 1, &path, &score, &im, NULL, &err),
           AVK_EX_UNAVAILABLE, "no match");

    {
        /* clips are offered only when asked for; a fake clip is skipped */
        char *sub = avk_path_join(dir, "clips");
        avk_medialib *vl;
        avk_media_info mi;
        avk_mkdirs(sub, 0755, NULL);
        text(sub, "ocean-walk.mp4", "RIFF....WAVEfmt not really");
        png(sub, "ocean.png", 0x0000ffffu);
        vl = avk_medialib_open(sub, &err);
        kw[0] = "ocean walk";
        rc = avk_medialib_pick(vl, kw, 1, 1, &path, &score, &im, &mi, &err);
        ok(rc == 0 && strcmp(base(path), "ocean.png") == 0 &&
               mi.kind == AVK_MEDIA_IMAGE,
           "clips are not offered by default");
        avk_medialib_reset(vl);
        avk_medialib_set_videos(vl, 1);
        nwarn = 0;
        avk_medialib_set_warn(vl, warn, NULL);
        rc = avk_medialib_pick(vl, kw, 1, 1, &path, &score, &im, &mi, &err);
        ok(rc == 0 && strcmp(base(path), "ocean.png") == 0 && nwarn == 1,
           "a clip that is not a video is skipped with a warning");
        avk_medialib_free(vl);
        free(sub);
    }
    avk_image_release(&im);
    avk_medialib_free(lib);
    avk_medialib_free(NULL);
    avk_rmtree(dir, NULL);
    return tap_done();
}
