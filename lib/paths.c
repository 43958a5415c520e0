/*
 * paths.c - locating shared data and template directories (see paths.h).
 */
#include "paths.h"
#include "config.h"
#include "fsutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef AVK_DATADIR
#define AVK_DATADIR "/usr/local/share/av"
#endif

static char *exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return avk_dirname(buf);
}

static char *try_dir(const char *base, const char *rel)
{
    char *p = avk_path_join(base, rel);
    char *t;

    if (!p)
        return NULL;
    t = avk_path_join(p, "templates");
    if (t && avk_is_dir(t)) {
        free(t);
        return p;
    }
    free(t);
    free(p);
    return NULL;
}

char *avk_datadir(void)
{
    const char *env = getenv("AV_DATADIR");
    char *dir, *p = NULL;

    if (env && *env)
        return strdup(env);
    dir = exe_dir();
    if (dir) {
        p = try_dir(dir, "../../share");
        if (!p)
            p = try_dir(dir, "../share/av");
        free(dir);
    }
    return p ? p : strdup(AVK_DATADIR);
}

size_t avk_template_dirs(const char *kind, char ***dirs)
{
    char user[4096];
    char *data = avk_datadir();
    char **v = calloc(3, sizeof *v);
    size_t n = 0;

    *dirs = v;
    if (!v) {
        free(data);
        return 0;
    }
    if (avk_config_user_path(user, sizeof user) == 0) {
        char *cfgdir = avk_dirname(user);
        char buf[4200];
        if (cfgdir) {
            snprintf(buf, sizeof buf, "%s/templates/%s", cfgdir, kind);
            if (avk_is_dir(buf) && (v[n] = strdup(buf)) != NULL)
                n++;
            free(cfgdir);
        }
    }
    if (data) {
        char buf[4200];
        snprintf(buf, sizeof buf, "%s/templates/%s", data, kind);
        if ((v[n] = strdup(buf)) != NULL)
            n++;
        free(data);
    }
    return n;
}

void avk_dirs_free(char **dirs)
{
    size_t i;

    if (!dirs)
        return;
    for (i = 0; dirs[i]; i++)
        free(dirs[i]);
    free(dirs);
}
