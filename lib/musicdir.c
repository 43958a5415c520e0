/*
 * musicdir.c - choosing a music bed for a mood from a folder (musicdir.h).
 *
 * Always holds: only regular files with an audio extension are candidates;
 * the choice depends on the folder's names, the mood and the seed alone
 * (never on readdir order); nothing is opened but directories.
 */
#include "musicdir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fsutil.h"

static const char *const AUDIO_EXT[] = {".mp3", ".m4a", ".aac", ".ogg",
                                        ".oga",  ".opus", ".flac", ".wav"};

int avk_music_is_audio_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t i;

    if (!dot || dot == name)
        return 0;
    for (i = 0; i < sizeof AUDIO_EXT / sizeof *AUDIO_EXT; i++)
        if (strcasecmp(dot, AUDIO_EXT[i]) == 0)
            return 1;
    return 0;
}

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static void names_release(names *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Case-insensitive: does the file name hold the mood as a word part? */
static int name_has(const char *name, const char *word)
{
    size_t k = strlen(word), i;

    for (i = 0; name[i]; i++)
        if (strncasecmp(name + i, word, k) == 0)
            return 1;
    return 0;
}

static int is_regular(const char *dir, const char *name, int want_dir)
{
    struct stat st;
    char *p = avk_path_join(dir, name);
    int r;

    if (!p)
        return -1;
    r = stat(p, &st) == 0 &&
        (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
    free(p);
    return r;
}

/* The audio files directly in dir whose names hold word (NULL: any),
   prefixed with prefix ("" or "mood/"). */
static int scan(const char *dir, const char *word, const char *prefix,
                names *out, avk_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;

    if (!d)
        return avk_fail(err, AVK_EX_NOINPUT, "cannot read music folder '%s': %s",
                        dir, strerror(errno));
    while (!rc && (e = readdir(d)) != NULL) {
        int reg;
        size_t len;
        char *s;
        if (e->d_name[0] == '.' || !avk_music_is_audio_name(e->d_name) ||
            (word && !name_has(e->d_name, word)))
            continue;
        if ((reg = is_regular(dir, e->d_name, 0)) < 0) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        if (!reg)
            continue;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 16;
            char **v = realloc(out->v, cap * sizeof *v);
            if (!v) {
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                break;
            }
            out->v = v;
            out->cap = cap;
        }
        len = strlen(prefix) + strlen(e->d_name) + 1;
        if (!(s = malloc(len))) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        memcpy(s, prefix, strlen(prefix));
        memcpy(s + strlen(prefix), e->d_name, strlen(e->d_name) + 1);
        out->v[out->n++] = s;
    }
    closedir(d);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A mood is a plain word: never a path. */
static int plain_word(const char *s)
{
    size_t i;

    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (i = 0; s[i]; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

int avk_music_pick(const char *dir, const char *mood, uint64_t seed,
                   char **out, avk_err *err)
{
    names l = {NULL, 0, 0};
    int rc = 0, sub;

    *out = NULL;
    if (plain_word(mood)) {
        if ((sub = is_regular(dir, mood, 1)) < 0)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        if (sub) {
            char *p = avk_path_join(dir, mood), prefix[80];
            if (!p)
                return avk_fail(err, AVK_EX_OSERR, "out of memory");
            snprintf(prefix, sizeof prefix, "%s/", mood);
            rc = scan(p, NULL, prefix, &l, err);
            free(p);
        }
        if (!rc && l.n == 0)
            rc = scan(dir, mood, "", &l, err);
    }
    if (!rc && l.n == 0)
        rc = scan(dir, NULL, "", &l, err);
    if (!rc && l.n > 0) {
        qsort(l.v, l.n, sizeof *l.v, by_name);
        if (!(*out = avk_path_join(dir, l.v[seed % l.n])))
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    names_release(&l);
    return rc;
}
