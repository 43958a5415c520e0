/*
 * subs.c - caption cues, SRT and WebVTT (subs.h).
 *
 * Invariants: cues are in time order and never overlap on screen
 * (show_end <= next start); every cue holds at least one word with text.
 */
#include "subs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

#define PHRASE_CHARS 28
#define SENTENCE_WORDS 16
#define PAUSE_PHRASE 0.45
#define PAUSE_SENTENCE 0.9
#define HOLD 0.6 /* how long a cue stays after its last word */

static int has_text(const avk_render_word *w)
{
    const char *s = w->text;

    if (!s)
        return 0;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 1;
    return 0;
}

/* Last non-space byte of the word text. */
static char last_char(const char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t'
                     || s[n - 1] == '"' || s[n - 1] == '\'' || s[n - 1] == ')'))
        n--;
    return n ? s[n - 1] : 0;
}

static int ends_sentence(const char *s)
{
    char c = last_char(s);
    return c == '.' || c == '!' || c == '?';
}

static int ends_clause(const char *s)
{
    char c = last_char(s);
    return ends_sentence(s) || c == ',' || c == ';' || c == ':';
}

int avk_subs_group(const avk_render_word *words, size_t n, int mode,
                   int max_words, avk_cue **out, size_t *ncues)
{
    avk_cue *cues = NULL, *c = NULL;
    size_t nc = 0, i, chars = 0;
    int sentence = mode == AVK_CAPTIONS_SENTENCE;

    *out = NULL;
    *ncues = 0;
    if (max_words <= 0)
        max_words = 5;
    if (sentence)
        max_words = SENTENCE_WORDS;
    for (i = 0; i < n; i++) {
        const avk_render_word *w = &words[i];
        size_t len;

        if (!has_text(w))
            continue;
        len = strlen(w->text);
        if (c) {
            const avk_render_word *prev = &words[c->first + c->count - 1];
            double gap = w->start - prev->end;
            int brk;
            if (sentence)
                brk = ends_sentence(prev->text) || gap > PAUSE_SENTENCE ||
                      (int)c->count >= max_words;
            else
                brk = ends_clause(prev->text) || gap > PAUSE_PHRASE ||
                      (int)c->count >= max_words ||
                      chars + 1 + len > PHRASE_CHARS ||
                      w->scene != prev->scene;
            if (brk)
                c = NULL;
        }
        if (!c) {
            avk_cue *nw = realloc(cues, (nc + 1) * sizeof *cues);
            if (!nw) {
                free(cues);
                return AVK_EX_OSERR;
            }
            cues = nw;
            c = &cues[nc++];
            /* Skipped empty words inside a cue are never counted: cues
               are contiguous runs, so an empty word ends a cue. */
            c->first = i;
            c->count = 0;
            c->start = w->start;
            chars = 0;
        }
        if (c->count > 0 && c->first + c->count != i) {
            /* an empty word sat in between: start a new cue */
            avk_cue *nw = realloc(cues, (nc + 1) * sizeof *cues);
            if (!nw) {
                free(cues);
                return AVK_EX_OSERR;
            }
            cues = nw;
            c = &cues[nc++];
            c->first = i;
            c->count = 0;
            c->start = w->start;
            chars = 0;
        }
        c->count++;
        c->end = w->end > w->start ? w->end : w->start;
        chars += (c->count > 1 ? 1 : 0) + len;
    }
    for (i = 0; i < nc; i++) {
        double e = cues[i].end + HOLD;
        if (cues[i].end < cues[i].start + 0.3)
            cues[i].end = cues[i].start + 0.3;
        if (e < cues[i].end)
            e = cues[i].end;
        if (i + 1 < nc && e > cues[i + 1].start)
            e = cues[i + 1].start;
        if (i + 1 < nc && cues[i].end > cues[i + 1].start)
            cues[i].end = cues[i + 1].start;
        cues[i].show_end = e;
    }
    *out = cues;
    *ncues = nc;
    return 0;
}

/* Append s with runs of whitespace (line breaks included) as one space
   and no leading or trailing space. */
static int add_clean(avk_buf *b, const char *s)
{
    int space = 0, any = 0;

    for (; *s; s++) {
        char ch = *s;
        if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') {
            space = any;
            continue;
        }
        if (space && avk_buf_addc(b, ' '))
            return AVK_EX_OSERR;
        space = 0;
        any = 1;
        if (avk_buf_addc(b, ch))
            return AVK_EX_OSERR;
    }
    return 0;
}

int avk_subs_cue_text(const avk_render_word *words, const avk_cue *cue,
                      avk_buf *out, size_t *offs)
{
    size_t i;

    avk_buf_reset(out);
    if (avk_buf_adds(out, ""))
        return AVK_EX_OSERR;
    for (i = 0; i < cue->count; i++) {
        if (i > 0 && avk_buf_addc(out, ' '))
            return AVK_EX_OSERR;
        if (offs)
            offs[i] = out->len;
        if (add_clean(out, words[cue->first + i].text))
            return AVK_EX_OSERR;
    }
    if (offs)
        offs[cue->count] = out->len + 1;
    return 0;
}

long avk_subs_cue_at(const avk_cue *cues, size_t n, double t, long hint)
{
    size_t i = hint >= 0 && (size_t)hint < n && cues[hint].start <= t
                   ? (size_t)hint : 0;

    for (; i < n; i++) {
        if (t < cues[i].start)
            return -1;
        if (t < cues[i].show_end)
            return (long)i;
    }
    return -1;
}

static void stamp(avk_buf *b, double t, char sep)
{
    long long ms = llround(t < 0 ? 0 : t * 1000.0);

    avk_buf_printf(b, "%02lld:%02lld:%02lld%c%03lld", ms / 3600000,
                   ms / 60000 % 60, ms / 1000 % 60, sep, ms % 1000);
}

static int write_cues(const char *path, const avk_render_word *words,
                      const avk_cue *cues, size_t n, int vtt, avk_err *err)
{
    avk_buf b, t;
    size_t i, j;
    int r = 0;

    avk_buf_init(&b);
    avk_buf_init(&t);
    if (vtt)
        avk_buf_adds(&b, "WEBVTT\n\n");
    for (i = 0; i < n && !r; i++) {
        if (!vtt)
            avk_buf_printf(&b, "%zu\n", i + 1);
        stamp(&b, cues[i].start, vtt ? '.' : ',');
        avk_buf_adds(&b, " --> ");
        stamp(&b, cues[i].show_end, vtt ? '.' : ',');
        avk_buf_addc(&b, '\n');
        if (avk_subs_cue_text(words, &cues[i], &t, NULL)) {
            r = AVK_EX_OSERR;
            break;
        }
        if (!vtt) {
            avk_buf_add(&b, t.data, t.len);
        } else {
            for (j = 0; j < t.len; j++) {
                char ch = t.data[j];
                if (ch == '&')
                    avk_buf_adds(&b, "&amp;");
                else if (ch == '<')
                    avk_buf_adds(&b, "&lt;");
                else if (ch == '>')
                    avk_buf_adds(&b, "&gt;");
                else
                    avk_buf_addc(&b, ch);
            }
        }
        if (avk_buf_adds(&b, "\n\n"))
            r = AVK_EX_OSERR;
    }
    if (r)
        avk_fail(err, r, "out of memory");
    else
        r = avk_write_file_atomic(path, b.data ? b.data : "", b.len, 0644,
                                  err);
    avk_buf_release(&b);
    avk_buf_release(&t);
    return r;
}

int avk_subs_write_srt(const char *path, const avk_render_word *words,
                       const avk_cue *cues, size_t n, avk_err *err)
{
    return write_cues(path, words, cues, n, 0, err);
}

int avk_subs_write_vtt(const char *path, const avk_render_word *words,
                       const avk_cue *cues, size_t n, avk_err *err)
{
    return write_cues(path, words, cues, n, 1, err);
}
