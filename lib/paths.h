/*
 * paths.h - where av finds its shared data (templates, stop words).
 *
 * Order: $AV_DATADIR; the source tree when running uninstalled (the
 * binary in BUILD/bin with ../../share/templates beside it); the installed
 * prefix relative to the binary (PREFIX/bin -> PREFIX/share/av); then the
 * compiled-in AVK_DATADIR.  User overrides live in the user's config
 * directory ($XDG_CONFIG_HOME/av/templates/...), searched first.
 */
#ifndef AVK_PATHS_H
#define AVK_PATHS_H

#include <stddef.h>

/* Newly allocated data directory (the one that holds templates/). */
char *avk_datadir(void);
/* Newly allocated list of directories to search for templates of a kind
 * ("scripts", "render", ...): user's first, then the data directory's.
 * Returns the count; *dirs is a NULL-terminated array to free with
 * avk_dirs_free. */
size_t avk_template_dirs(const char *kind, char ***dirs);
void avk_dirs_free(char **dirs);

#endif
