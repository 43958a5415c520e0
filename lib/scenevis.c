/*
 * scenevis.c - one scene's still: library match or procedural art (see
 * scenevis.h).
 *
 * Invariant: a successful result holds an image of exactly the requested
 * size and names its source; a failed one holds nothing.
 */
#include "scenevis.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "procart.h"

void avk_scenevis_result_init(avk_scenevis_result *r)
{
    memset(r, 0, sizeof *r);
    avk_image_init(&r->image);
}

void avk_scenevis_result_release(avk_scenevis_result *r)
{
    avk_image_release(&r->image);
    free(r->path);
    free(r->title);
    avk_scenevis_result_init(r);
}

char *avk_scenevis_title(const char *const *keywords, size_t n)
{
    avk_buf b;
    size_t i, used = 0;

    avk_buf_init(&b);
    for (i = 0; i < n && used < 3; i++) {
        const char *k = keywords[i];
        size_t start;
        while (k && (*k == ' ' || *k == '\t'))
            k++;
        if (!k || !*k)
            continue;
        if (used && avk_buf_adds(&b, " \xc2\xb7 "))
            goto oom;
        start = b.len;
        if (avk_buf_adds(&b, k))
            goto oom;
        while (b.len > start &&
               (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\t'))
            b.data[--b.len] = '\0';
        if (b.data[start] >= 'a' && b.data[start] <= 'z')
            b.data[start] = (char)(b.data[start] - 'a' + 'A');
        used++;
    }
    if (!used) {
        avk_buf_release(&b);
        return NULL;
    }
    return avk_buf_detach(&b);
oom:
    avk_buf_release(&b);
    return NULL;
}

int avk_scenevis_make(const avk_scenevis_opts *o, const avk_scenevis_scene *s,
                      avk_scenevis_result *r, avk_err *err)
{
    avk_procart_opts po;
    int rc;

    avk_scenevis_result_release(r);
    if (o->library) {
        const char **kw = calloc(s->nkeywords + 1, sizeof *kw);
        const char *path = NULL;
        avk_image src;
        avk_media_info mi;
        avk_err e2;
        size_t i;

        if (!kw)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        for (i = 0; i < s->nkeywords; i++)
            kw[i] = s->keywords[i];
        kw[s->nkeywords] = s->visual;
        avk_image_init(&src);
        rc = avk_medialib_pick(o->library, kw, s->nkeywords + 1,
                               o->seed ^ (uint64_t)(s->index + 1) *
                                             0x9e3779b97f4a7c15ULL,
                               &path, &r->score, &src, &mi, &e2);
        free(kw);
        if (rc == AVK_EX_OSERR)
            return avk_fail(err, rc, "out of memory");
        if (rc == 0 && mi.kind == AVK_MEDIA_VIDEO) {
            if (!(r->path = strdup(path))) {
                avk_scenevis_result_release(r);
                return avk_fail(err, AVK_EX_OSERR, "out of memory");
            }
            r->kind = AVK_MEDIA_VIDEO;
            r->width = mi.width;
            r->height = mi.height;
            r->duration = mi.duration;
            strcpy(r->source, "library");
            return 0;
        }
        if (rc == 0) {
            rc = avk_image_cover(&src, o->width, o->height, &r->image, err);
            avk_image_release(&src);
            if (rc) {
                avk_scenevis_result_release(r);
                return rc;
            }
            if (!(r->path = strdup(path))) {
                avk_scenevis_result_release(r);
                return avk_fail(err, AVK_EX_OSERR, "out of memory");
            }
            strcpy(r->source, "library");
            r->kind = AVK_MEDIA_IMAGE;
            r->width = o->width;
            r->height = o->height;
            return 0;
        }
        r->score = 0;
    }
    avk_procart_opts_init(&po);
    po.width = o->width;
    po.height = o->height;
    po.seed = o->seed;
    po.topic = o->topic;
    po.scene = s->index;
    po.palette = o->palette;
    po.style = o->style;
    po.lang = o->lang;
    po.fonts = o->fonts;
    if (!o->no_title) {
        if (s->title && *s->title)
            r->title = strdup(s->title);
        else
            r->title = avk_scenevis_title(s->keywords, s->nkeywords);
        if ((s->title && *s->title && !r->title)) {
            avk_scenevis_result_release(r);
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
    }
    po.title = r->title;
    if ((rc = avk_procart_render(&po, &r->image, err))) {
        avk_scenevis_result_release(r);
        return rc;
    }
    strcpy(r->source, "local");
    r->kind = AVK_MEDIA_IMAGE;
    r->width = o->width;
    r->height = o->height;
    return 0;
}
