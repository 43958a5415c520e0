/*
 * workspace.c - locate and create workspaces (see workspace.h).
 */
#include "workspace.h"
#include "fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *avk_ws_path(const char *root, const char *name)
{
    char *dot = avk_path_join(root, ".av");
    char *p;

    if (!dot)
        return NULL;
    if (!name || !*name)
        return dot;
    p = avk_path_join(dot, name);
    free(dot);
    return p;
}

static int has_ws(const char *dir)
{
    char *p = avk_ws_path(dir, NULL);
    int ok = p && avk_is_dir(p);

    free(p);
    return ok;
}

static int explicit_root(const char *dir, const char *how, char **root,
                         avk_err *err)
{
    char *abs = avk_realpath(dir);

    if (!abs || !has_ws(abs)) {
        free(abs);
        return avk_fail(err, AVK_EX_NOINPUT,
                        "no workspace at '%s' (%s); create one with "
                        "'av-project init %s'",
                        dir, how, dir);
    }
    *root = abs;
    return 0;
}

int avk_ws_find(const char *explicit_dir, char **root, avk_err *err)
{
    const char *home = getenv("AV_HOME");
    char *cur;

    *root = NULL;
    if (explicit_dir && *explicit_dir)
        return explicit_root(explicit_dir, "--store", root, err);
    if (home && *home)
        return explicit_root(home, "$AV_HOME", root, err);
    cur = getcwd(NULL, 0);
    if (!cur)
        return avk_fail(err, AVK_EX_OSERR, "cannot get the current directory");
    for (;;) {
        char *slash;

        if (has_ws(cur)) {
            *root = cur;
            return 0;
        }
        slash = strrchr(cur, '/');
        if (!slash || slash == cur) {
            if (slash == cur && cur[1]) {
                cur[1] = '\0';
                continue;
            }
            break;
        }
        *slash = '\0';
    }
    free(cur);
    return avk_fail(err, AVK_EX_NOINPUT,
                    "no workspace found here or in any parent directory; "
                    "create one with 'av-project init', or use --store DIR "
                    "or $AV_HOME");
}

int avk_ws_init(const char *dir, int *created, avk_err *err)
{
    static const char *const subdirs[] = {"assets", "assets/tmp", "tmp"};
    char *dot;
    size_t i;
    int rc;

    if ((rc = avk_mkdirs(dir, 0755, err)))
        return rc;
    dot = avk_ws_path(dir, NULL);
    if (!dot)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (created)
        *created = !avk_is_dir(dot);
    rc = avk_mkdirs(dot, 0755, err);
    for (i = 0; rc == 0 && i < sizeof subdirs / sizeof *subdirs; i++) {
        char *p = avk_path_join(dot, subdirs[i]);
        rc = p ? avk_mkdirs(p, 0755, err) : avk_fail(err, AVK_EX_OSERR, "out of memory");
        free(p);
    }
    free(dot);
    return rc;
}
