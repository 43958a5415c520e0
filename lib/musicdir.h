/*
 * musicdir.h - choosing a music bed for a mood from a folder of tracks.
 *
 * A music folder holds audio files (.mp3 .m4a .aac .ogg .oga .opus .flac
 * .wav), in subfolders named after moods (DIR/calm/piano.mp3) or with the
 * mood in the file name (DIR/calm-piano.mp3), or just as they are.  The
 * candidates are the mood's subfolder, else the files whose names hold the
 * mood word, else every track directly in DIR; sorted by name, the seed
 * picks one, so a project always gets the same track.
 */
#ifndef AVK_MUSICDIR_H
#define AVK_MUSICDIR_H

#include <stdint.h>

#include "err.h"

/* Is name an audio file name by its extension (case-insensitive)? */
int avk_music_is_audio_name(const char *name);

/*
 * Pick a track for mood (NULL: any) from dir.  On success *out is a newly
 * allocated path (dir joined with the file), or NULL when the folder holds
 * no audio file at all.  Fails with AVK_EX_NOINPUT (dir cannot be read)
 * or AVK_EX_OSERR.
 */
int avk_music_pick(const char *dir, const char *mood, uint64_t seed,
                   char **out, avk_err *err);

#endif
