/*
 * subs.h - captions from word timings: grouping words into cues (short
 * phrases or sentences), the on-screen timing of each cue, and SRT and
 * WebVTT files.
 *
 * Word text is data: it is copied verbatim into SRT, escaped (&, <, >)
 * into WebVTT, with line breaks turned into spaces so no text can end a
 * cue or forge a timing line.
 */
#ifndef AVK_SUBS_H
#define AVK_SUBS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "render.h"

typedef struct avk_cue {
    size_t first, count; /* words[first .. first+count-1] */
    double start, end;   /* spoken span */
    double show_end;     /* when the cue leaves the screen */
} avk_cue;

/*
 * Group words into cues.  mode is AVK_CAPTIONS_SENTENCE for sentences
 * (ending at . ! ? or a long pause, at most 16 words), anything else for
 * short phrases (at most max_words words and about 28 characters, broken at
 * punctuation and pauses).  Words without text are skipped.  *out is
 * malloc'ed (NULL when there are no cues); 0 or AVK_EX_OSERR.
 */
int avk_subs_group(const avk_render_word *words, size_t n, int mode,
                   int max_words, avk_cue **out, size_t *ncues);

/* The cue's text, words joined by single spaces, into out (reset first);
   offs (may be NULL) gets count+1 byte offsets: word i spans
   [offs[i], offs[i+1]-1).  0 or AVK_EX_OSERR. */
int avk_subs_cue_text(const avk_render_word *words, const avk_cue *cue,
                      avk_buf *out, size_t *offs);

/* The index of the cue on screen at t, or -1; hint speeds up sequential
   queries (pass the previous answer, or -1). */
long avk_subs_cue_at(const avk_cue *cues, size_t n, double t, long hint);

/* Write SRT / WebVTT atomically; fail with AVK_EX_CANTCREAT or
   AVK_EX_IOERR, AVK_EX_OSERR. */
int avk_subs_write_srt(const char *path, const avk_render_word *words,
                       const avk_cue *cues, size_t n, avk_err *err);
int avk_subs_write_vtt(const char *path, const avk_render_word *words,
                       const avk_cue *cues, size_t n, avk_err *err);

#endif
