/* test_musicdir.c - picking a music bed for a mood from a folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "musicdir.h"
#include "tap.h"

static void touch(const char *dir, const char *name)
{
    char *p = avk_path_join(dir, name);
    FILE *f = p ? fopen(p, "w") : NULL;

    if (f) {
        fputs("x", f);
        fclose(f);
    }
    free(p);
}

static const char *base(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p ? p : "(null)";
}

int main(void)
{
    char dir[] = "/tmp/avk-musicXXXXXX", sub[128], empty[128];
    char *out = NULL, *again = NULL;
    avk_err err = {0, ""};
    int rc, i, seen_a = 0, seen_b = 0;

    ok(mkdtemp(dir) != NULL, "temp dir");
    ok(avk_music_is_audio_name("a.MP3") && avk_music_is_audio_name("x.flac") &&
           !avk_music_is_audio_name("notes.txt") &&
           !avk_music_is_audio_name(".wav"),
       "audio names by extension");
    touch(dir, "warm-guitar.ogg");
    touch(dir, "upbeat-drums.mp3");
    touch(dir, "readme.txt");
    snprintf(sub, sizeof sub, "%s/calm", dir);
    mkdir(sub, 0755);
    touch(sub, "a.wav");
    touch(sub, "b.wav");
    mkdir(strcat(strcpy(empty, dir), "/empty"), 0755);

    rc = avk_music_pick(dir, "warm", 7, &out, &err);
    is_str(rc == 0 ? base(out) : err.msg, "warm-guitar.ogg",
           "a name with the mood in it");
    free(out);
    for (i = 0; i < 8; i++) {
        rc = avk_music_pick(dir, "calm", (uint64_t)i, &out, &err);
        seen_a += rc == 0 && !strcmp(base(out), "a.wav");
        seen_b += rc == 0 && !strcmp(base(out), "b.wav");
        free(out);
    }
    ok(seen_a == 4 && seen_b == 4, "the mood's subfolder, the seed picks "
                                   "(%d a, %d b)", seen_a, seen_b);
    avk_music_pick(dir, "calm", 3, &out, &err);
    avk_music_pick(dir, "calm", 3, &again, &err);
    ok(out && again && !strcmp(out, again), "same seed, same track");
    free(out);
    free(again);
    rc = avk_music_pick(dir, "epic", 0, &out, &err);
    ok(rc == 0 && out && avk_music_is_audio_name(out) &&
           strstr(out, "/calm/") == NULL,
       "no match for the mood: any track directly in the folder (%s)",
       base(out));
    free(out);
    rc = avk_music_pick(dir, "../calm", 0, &out, &err);
    ok(rc == 0 && out && strstr(out, "/calm/") == NULL,
       "a mood is a word, never a path");
    free(out);
    rc = avk_music_pick(empty, "calm", 0, &out, &err);
    ok(rc == 0 && out == NULL, "an empty folder: no track, no error");
    rc = avk_music_pick("/nonexistent/music", "calm", 0, &out, &err);
    is_int(rc, AVK_EX_NOINPUT, "a missing folder: 66");
    ok(strstr(err.msg, "'/nonexistent/music'") != NULL, "names it: %s",
       err.msg);
    avk_rmtree(dir, NULL);
    return tap_done();
}
