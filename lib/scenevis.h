/*
 * scenevis.h - make the still for one scene: from the local library when
 * one is given and something matches, else procedural art.
 *
 * This is av-image's testable core; the command adds documents, assets
 * and options around it.  A still is always exactly width x height
 * (library images are scaled to cover and centre-cropped); a library clip
 * (only when the library offers clips) is returned by path, as it is.
 */
#ifndef AVK_SCENEVIS_H
#define AVK_SCENEVIS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "image.h"
#include "medialib.h"
#include "text.h"

typedef struct avk_scenevis_opts {
    int width, height;
    uint64_t seed;         /* per video */
    const char *topic;     /* palette family of the procedural art */
    avk_medialib *library; /* borrowed; NULL: procedural art only */
    avk_fonts *fonts;      /* borrowed; NULL: a private cache per call */
    const char *palette, *style, *lang; /* for procedural art; may be NULL */
    int no_title; /* procedural art without its title card */
} avk_scenevis_opts;

typedef struct avk_scenevis_scene {
    int index;
    const char *title;  /* card text; NULL: made from the keywords */
    const char *visual; /* visual prompt; its words also match the library */
    const char *const *keywords;
    size_t nkeywords;
} avk_scenevis_scene;

typedef struct avk_scenevis_result {
    int kind;          /* AVK_MEDIA_IMAGE, or AVK_MEDIA_VIDEO for a clip */
    avk_image image;   /* the still; empty for a clip */
    int width, height; /* the still's size, or the clip's own */
    double duration;   /* a clip's length in seconds; 0 for stills */
    char source[16];   /* "library" or "local" */
    char *path;        /* library file used, or NULL */
    double score;      /* library match score; 0 for local */
    char *title;       /* text set on the local card, or NULL */
} avk_scenevis_result;

void avk_scenevis_result_init(avk_scenevis_result *r);
void avk_scenevis_result_release(avk_scenevis_result *r);

/* Make the scene's image.  With a library, a match is used (and marked
 * used for this video); with none, procedural art follows.  Fails with
 * the codes of avk_procart_render and avk_image_cover; r is then empty. */
int avk_scenevis_make(const avk_scenevis_opts *o, const avk_scenevis_scene *s,
                      avk_scenevis_result *r, avk_err *err);

/* The card text made from keywords: up to three, joined by " · ", the
 * first letter of each upper-cased (ASCII).  Newly allocated; NULL when
 * there are no keywords or memory runs out. */
char *avk_scenevis_title(const char *const *keywords, size_t n);

#endif
