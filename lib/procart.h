/*
 * procart.h - procedural scene art: the offline visual for a scene.
 *
 * An image is built from a curated palette, a dithered gradient, soft
 * colour blobs, one geometric motif (rings, stripes, dot grid or discs), a
 * fine grain, a darkened lower third where captions go, and the scene's
 * title set as a bold typographic card with lib/text.
 *
 * Deterministic: the same options give the same bytes on the same fonts
 * (own splitmix64 generator, no global state, no clock).  The palette
 * follows the topic (and seed), so scenes of one video share a family;
 * the scene index changes gradient, blobs and motif, so scenes differ.
 */
#ifndef AVK_PROCART_H
#define AVK_PROCART_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "image.h"
#include "text.h"

typedef struct avk_procart_opts {
    int width, height; /* output size, 1..AVK_IMAGE_MAX_DIM */
    uint64_t seed;
    const char *topic; /* the video's topic: palette family; may be NULL */
    int scene;         /* scene index: composition within the family */
    const char *title; /* text of the title card; NULL or "" for none */
    const char
        *palette;      /* NULL/"auto" or a name from avk_procart_palette_name */
    const char *style; /* NULL/"auto", "soft", "geometric" or "minimal" */
    const char *lang;  /* language hint for the title's fonts; may be NULL */
    avk_fonts *fonts;  /* borrowed font cache; NULL: a private one per call */
} avk_procart_opts;

/* Defaults: 1080x1920, seed 0, scene 0, automatic palette and style. */
void avk_procart_opts_init(avk_procart_opts *o);

/* Render into out (released first; opaque RGBA).  Fails with AVK_EX_USAGE
 * for an unknown palette or style name, AVK_EX_DATAERR for a bad size,
 * AVK_EX_CONFIG when a title is wanted but no font loads, AVK_EX_OSERR
 * when out of memory; out is then empty. */
int avk_procart_render(const avk_procart_opts *o, avk_image *out, avk_err *err);

/* Palette names, for help texts and validation: the i-th name or NULL. */
const char *avk_procart_palette_name(size_t i);
/* Style names likewise ("soft", "geometric", "minimal"). */
const char *avk_procart_style_name(size_t i);

#endif
