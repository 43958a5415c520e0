/*
 * workspace.h - finding and creating an av workspace.
 *
 * A workspace is a directory W holding W/.av/ (like git's .git/):
 *   W/.av/store.db      the SQLite store (see store.h)
 *   W/.av/assets/       content-addressed files (see assets.h)
 *   W/.av/config.yaml   optional workspace configuration (see config.h)
 * It is found by, in order: an explicit directory (--store DIR), $AV_HOME,
 * then the nearest directory above the current one that holds .av/.
 */
#ifndef AVK_WORKSPACE_H
#define AVK_WORKSPACE_H

#include "err.h"

/* Find the workspace root; *root is newly allocated and absolute.
 * explicit_dir may be NULL.  Fails with AVK_EX_NOINPUT and a message that
 * says how to make one. */
int avk_ws_find(const char *explicit_dir, char **root, avk_err *err);
/* Create W/.av/ and its subdirectories (idempotent); *created tells
 * whether it was new. */
int avk_ws_init(const char *dir, int *created, avk_err *err);
/* Newly allocated W/.av/NAME. */
char *avk_ws_path(const char *root, const char *name);

#endif
