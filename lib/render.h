/*
 * render.h - the render engine behind av-render: scenes (stills with Ken
 * Burns motion, or video clips), transitions, captions, narration and a
 * music bed, encoded straight into an MP4 (H.264 + AAC, moov first) through
 * the FFmpeg libraries.
 *
 * The job is a plain struct the caller owns; avk_render() borrows it for the
 * duration of the call.  The soundtrack is built first (narration, ducked
 * music bed, loudness normalisation: at most about 12 bytes per audio
 * frame, 0.55 MB per second, because integrated loudness needs the whole
 * mix), encoded to AAC at once (about 1 MB a minute, held by the muxer)
 * and freed; then frames are composed in a worker thread and streamed into
 * the video encoder one by one, so memory stays flat as the video gets
 * longer.  The output is written to a temporary file beside output_path
 * and renamed over it at the end: on any error nothing is left at
 * output_path (nor at the thumbnail/SRT/VTT/contact sheet paths).
 *
 * The contact sheet (optional) is a PNG grid with one picture per scene,
 * taken at the middle of the scene's span (without captions), downscaled
 * so that its longer side is AVK_SHEET_TILE px (or the frame's size when
 * that is smaller), with the scene's number and its start-end times drawn
 * on a strip of AVK_SHEET_LABEL px under it.  Columns: min(scenes,
 * AVK_SHEET_COLS); rows: as many as needed; AVK_SHEET_GAP px between and
 * around tiles.  avk_render_sheet_size() gives the resulting size.
 *
 * Text (captions, title) is only ever data: it is laid out and drawn, never
 * passed through any syntax (no filter graphs, no subtitle markup).
 */
#ifndef AVK_RENDER_H
#define AVK_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Motion of a still image over its scene. */
enum {
    AVK_MOTION_AUTO = 0, /* chosen per scene: alternates zoom in/out and pans */
    AVK_MOTION_NONE,
    AVK_MOTION_ZOOM_IN,
    AVK_MOTION_ZOOM_OUT,
    AVK_MOTION_PAN_LEFT,
    AVK_MOTION_PAN_RIGHT,
    AVK_MOTION_PAN_UP,
    AVK_MOTION_PAN_DOWN
};

/* Transition from the previous scene into this one. */
enum {
    AVK_TRANS_DEFAULT = 0, /* the job's default_transition */
    AVK_TRANS_CUT,
    AVK_TRANS_CROSSFADE,
    AVK_TRANS_SLIDE,
    AVK_TRANS_ZOOM
};

enum {
    AVK_CAPTIONS_WORD = 0, /* the current phrase, current word highlighted */
    AVK_CAPTIONS_PHRASE,   /* the current phrase, one colour */
    AVK_CAPTIONS_SENTENCE, /* the current sentence */
    AVK_CAPTIONS_NONE
};

typedef struct avk_render_scene {
    const char *path; /* image or video file */
    int is_video;
    double start, end; /* seconds on the output timeline */
    int motion;        /* AVK_MOTION_* (stills only) */
    int transition;    /* AVK_TRANS_* into this scene (ignored for scene 0) */
} avk_render_scene;

typedef struct avk_render_word {
    const char *text; /* UTF-8, any characters */
    double start, end;
    int scene;
} avk_render_word;

typedef struct avk_render_caption_style {
    const char *font;       /* fontconfig family name; NULL: a bold sans */
    double font_size;       /* pixels; 0: height/20 */
    uint32_t color;         /* 0xRRGGBBAA text colour */
    uint32_t highlight;     /* 0xRRGGBBAA colour of the current word */
    uint32_t outline_color; /* 0xRRGGBBAA */
    double outline;         /* outline width in pixels; <0: none, 0: auto */
    double position;        /* centre of the caption block, fraction of the
                               height from the top; 0: 0.70 (lower third) */
    double margin_x;        /* side safe margin, fraction of the width;
                               0: 0.08 */
    double margin_bottom;   /* bottom safe margin (platform UI), fraction of
                               the height; 0: 0.20 */
    int max_words;          /* words per phrase line; 0: 5 */
} avk_render_caption_style;

typedef struct avk_render_job {
    int width, height, fps; /* 0: 1080x1920 at 30 */
    const char *encoder;    /* "libx264" (default), "h264_nvenc", "h264_vaapi",
                               "h264_qsv", "hevc_*": falls back to libx264
                               with a warning when it cannot be opened */
    int crf;                /* 0: 23 */
    const char *preset;     /* NULL: "veryfast" */
    int gop;                /* 0: fps/2, closed */
    int threads;            /* encoder threads; 0: automatic */

    const avk_render_scene *scenes;
    size_t nscenes;
    int default_transition; /* AVK_TRANS_*; DEFAULT means crossfade */
    double transition_s;    /* 0: 0.5 */

    const char *narration_path; /* any audio file FFmpeg reads; may be NULL */
    double duration;            /* 0: narration length, else the last
                                   scene's end */

    const avk_render_word *words;
    size_t nwords;
    int caption_mode; /* AVK_CAPTIONS_* */
    avk_render_caption_style caption;
    const char *title; /* drawn on the thumbnail; NULL: first caption */
    const char *watermark; /* small text in a top corner; NULL: none */

    const char *music_path; /* a music bed file; looped */
    int music_synth;        /* synthesise a bed when music_path is NULL */
    const char *music_mood; /* "warm", "upbeat", "calm", "dramatic" */
    uint64_t seed;
    double music_gain_db;   /* bed level before ducking; 0: -18 dB */
    double target_lufs;     /* 0: -14 */
    double max_true_peak;   /* 0: -1 dBTP */
    int audio_bitrate;      /* 0: 128000 */

    const char *output_path;    /* required */
    const char *thumbnail_path; /* optional JPEG */
    const char *srt_path;       /* optional */
    const char *vtt_path;       /* optional */
    const char *contact_sheet_path; /* optional PNG, one tile per scene */

    void (*progress)(void *ud, double done_s, double total_s);
    void (*warn)(void *ud, const char *msg);
    void *ud;
} avk_render_job;

typedef struct avk_render_result {
    double duration; /* seconds of the output */
    int width, height, fps;
    long long bytes; /* size of the output file */
    long long frames;
    char vcodec[32], acodec[32]; /* "h264", "aac" */
    char encoder[32];            /* the encoder actually used */
    double lufs, true_peak;      /* of the encoded mix (before AAC) */
    double seconds;              /* wall time of the render */
} avk_render_result;

/* Fill a job with the defaults above (all zero, crossfade, word captions
   with white text, yellow highlight and a black outline). */
void avk_render_job_init(avk_render_job *job);

/*
 * Render job to job->output_path.  res (optional) is filled on success.
 * Fails with AVK_EX_USAGE for an invalid job, AVK_EX_NOINPUT for a missing
 * input file, AVK_EX_DATAERR for an input that cannot be decoded (or a
 * narration without audio), AVK_EX_CANTCREAT when an output cannot be
 * created, AVK_EX_SOFTWARE for encoder failures, AVK_EX_OSERR when out of
 * memory.  On failure no output file is left behind.
 */
int avk_render(const avk_render_job *job, avk_render_result *res,
               avk_err *err);

#define AVK_SHEET_TILE 320
#define AVK_SHEET_LABEL 32
#define AVK_SHEET_GAP 8
#define AVK_SHEET_COLS 6

/* The contact sheet's size for nscenes scenes of a width x height video,
   and the size of one tile (tile_w/tile_h may be NULL). */
void avk_render_sheet_size(int width, int height, size_t nscenes,
                           int *sheet_w, int *sheet_h, int *tile_w,
                           int *tile_h);

/* Parse names used by templates and command lines ("zoom-in", "crossfade",
   "word"...); -1 for an unknown name. */
int avk_render_motion_from_name(const char *name);
int avk_render_transition_from_name(const char *name);
int avk_render_captions_from_name(const char *name);

#endif
