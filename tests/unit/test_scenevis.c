/* Unit tests for lib/scenevis: card titles, local art, library matches
 * scaled to cover, fallback to local art when nothing matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "fsutil.h"
#include "scenevis.h"
#include "tap.h"

int main(void)
{
    char dir[] = "/tmp/avk-scenevis-XXXXXX";
    const char *kw[] = {"morning routine", " coffee ", "focus", "sleep"};
    avk_scenevis_opts o;
    avk_scenevis_scene s;
    avk_scenevis_result r;
    avk_image im;
    avk_err err;
    char *t, *p;

    av_log_set_level(AV_LOG_QUIET);
    t = avk_scenevis_title(kw, 4);
    is_str(t, "Morning routine \xc2\xb7 Coffee \xc2\xb7 Focus",
           "title from keywords");
    free(t);
    ok(avk_scenevis_title(kw, 0) == NULL, "no keywords, no title");

    memset(&o, 0, sizeof o);
    o.width = 72;
    o.height = 128;
    o.seed = 5;
    o.topic = "mornings";
    memset(&s, 0, sizeof s);
    s.index = 2;
    s.keywords = kw;
    s.nkeywords = 2;
    s.visual = "a steaming coffee cup on a desk";
    avk_scenevis_result_init(&r);
    is_int(avk_scenevis_make(&o, &s, &r, &err), 0, "local art");
    ok(r.image.w == 72 && r.image.h == 128, "exact size");
    is_str(r.source, "local", "source local");
    ok(r.title && strstr(r.title, "Coffee"), "card title recorded");

    ok(mkdtemp(dir) != NULL, "temp dir");
    avk_image_init(&im);
    avk_image_alloc(&im, 40, 30);
    avk_image_fill(&im, 0x336699ffu);
    p = avk_path_join(dir, "desk-coffee.png");
    avk_image_save_png(p, &im, NULL);
    free(p);
    avk_image_release(&im);
    o.library = avk_medialib_open(dir, &err);
    ok(o.library != NULL, "library");
    is_int(avk_scenevis_make(&o, &s, &r, &err), 0, "library scene");
    is_str(r.source, "library", "source library");
    ok(r.path && strstr(r.path, "desk-coffee.png"), "path recorded");
    ok(r.image.w == 72 && r.image.h == 128 && r.image.px[2] == 0x99,
       "library image covers the frame");
    s.keywords = kw + 3;
    s.nkeywords = 1;
    s.visual = NULL;
    is_int(avk_scenevis_make(&o, &s, &r, &err), 0, "no match");
    is_str(r.source, "local", "falls back to local art");
    o.width = 0;
    ok(avk_scenevis_make(&o, &s, &r, &err) != 0 && r.image.px == NULL,
       "bad size fails and leaves nothing");
    avk_scenevis_result_release(&r);
    avk_medialib_free(o.library);
    avk_rmtree(dir, NULL);
    return tap_done();
}
