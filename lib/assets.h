/*
 * assets.h - content-addressed files under W/.av/assets/.
 *
 * An asset's file is W/.av/assets/XY/<sha256>.<ext> where XY are the first
 * two hex digits; the document refers to it by that workspace-relative
 * path plus sha256, size and media type, never by an absolute path.
 * Files appear atomically (temp file in W/.av/assets/tmp, fsync, rename),
 * so importing never leaves a partial asset behind; an identical asset
 * already present is kept.  Assets are never modified once written.
 */
#ifndef AVK_ASSETS_H
#define AVK_ASSETS_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

typedef struct avk_asset {
    char path[128]; /* workspace-relative */
    char sha256[65];
    long long bytes;
    char type[64]; /* media type, e.g. "audio/wav" */
} avk_asset;

/* File extension for a media type ("bin" when unknown). */
const char *avk_asset_ext(const char *type);
/* Media type guessed from a file name's extension. */
const char *avk_asset_type_for(const char *filename);

/* Copy a file into the workspace as an asset. */
int avk_asset_import_file(const char *ws_root, const char *src,
                          const char *type, avk_asset *out, avk_err *err);
/* Store bytes as an asset. */
int avk_asset_import_mem(const char *ws_root, const void *data, size_t len,
                         const char *type, avk_asset *out, avk_err *err);
/* A fresh temporary path inside the workspace (W/.av/assets/tmp/...) for a
 * producer that writes a large file itself; then avk_asset_adopt() moves
 * it into place (or unlink it on failure).  ext may be NULL. */
int avk_asset_tmp_path(const char *ws_root, const char *ext, char **path,
                       avk_err *err);
int avk_asset_adopt(const char *ws_root, const char *tmp_path,
                    const char *type, avk_asset *out, avk_err *err);
/* Absolute path of an asset's file; newly allocated. */
char *avk_asset_abspath(const char *ws_root, const avk_asset *a);
/* Check that the file exists with the recorded size (and hash when
 * full != 0). */
int avk_asset_verify(const char *ws_root, const avk_asset *a, int full,
                     avk_err *err);

json_t *avk_asset_to_json(const avk_asset *a);
int avk_asset_from_json(const json_t *v, const char *path, avk_asset *out,
                        avk_err *err);

#endif
