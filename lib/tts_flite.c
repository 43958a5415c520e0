/*
 * tts_flite.c - English speech and word timings from libflite.
 *
 * How a scene is spoken:
 *   1. The scene text (UTF-8) is cut at white space into tokens.  Each
 *      token gets an ASCII spoken form (flite reads bytes, not UTF-8):
 *      emoji are dropped, typographic quotes, dashes and ellipses become
 *      their ASCII counterparts (a dash becomes a comma, for the pause),
 *      Latin-1 letters lose their accents, other non-ASCII characters are
 *      dropped, and the few abbreviations flite misreads are spelled out.
 *      A token is a word when it has a letter, a digit or a spoken symbol
 *      (&, $, %, ...); an emoji-only token is joined (after a space) to
 *      the preceding word of the scene, or to the next one at the start of
 *      a scene; of a punctuation-only token only . , ; : ! ? are kept,
 *      glued to the text before it (for flite's pauses), and it is no
 *      word.
 *   2. The spoken forms, each followed by one space, are synthesised as
 *      one utterance.  flite's Token relation holds its own tokens, each
 *      with a "file_pos" feature: the byte offset just past the token and
 *      the one white-space byte read after it.  A flite token belongs to
 *      the input token whose spoken bytes, with the space after them,
 *      hold file_pos - 1 (flite may cut one of our tokens into several;
 *      it never joins two).  The Token item's daughters are flite's words
 *      ("42" gives "forty two"); each word's syllables (SylStructure
 *      relation) hold its segments, whose "end" feature is a time in
 *      seconds.  An input token spans from the end of the segment before
 *      its first segment to the end of its last segment, over all its
 *      words.  A word flite says nothing for gets an empty span where the
 *      previous word ended.
 *   3. The scene's audio is trimmed to 20 ms before its first word and
 *      60 ms after its last; scenes are joined with scene_pause_s of
 *      silence, resampled to 48 kHz and loudness-normalised (BS.1770,
 *      true-peak limited), the path every provider's audio takes.
 *
 * flite keeps its voices, lexicon and error jump buffer in process-wide
 * state: flite_init() runs once (pthread_once) and a mutex serialises
 * every use; each call registers its voice and unregisters it before
 * unlocking.  Rate and pitch are features of the utterance, never of the
 * shared voice.  flite reports internal errors through cst_errjmp, which
 * is pointed at a local jmp_buf while the lock is held (an error there is
 * AVK_EX_UNAVAILABLE; flite may leak that utterance).  flite draws the
 * noise of its excitation from rand(): srand(1) before every utterance
 * makes the same text give the same audio whatever was spoken before
 * (nothing else in av uses rand()).  The once-control and the mutex are
 * the module's only global state.
 */
#include "tts_flite.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <flite/flite.h>
#include <flite/cst_cg.h>

#include "audio.h"
#include "utf8.h"

/* The voice libraries declare these only in their own sources. */
cst_voice *register_cmu_us_slt(const char *voxdir);
void unregister_cmu_us_slt(cst_voice *v);
cst_voice *register_cmu_us_rms(const char *voxdir);
void unregister_cmu_us_rms(cst_voice *v);
cst_voice *register_cmu_us_awb(const char *voxdir);
void unregister_cmu_us_awb(cst_voice *v);
cst_voice *register_cmu_us_kal(const char *voxdir);
void unregister_cmu_us_kal(cst_voice *v);

#define SILENT_SCENE_S 0.25
#define LEAD_S 0.020
#define TAIL_S 0.060

/* wpm: words per minute at duration_stretch 1, silences included,
 * measured on a few sentences of script-like text. */
static const struct fvoice {
    const char *name;
    cst_voice *(*reg)(const char *);
    void (*unreg)(cst_voice *);
    double wpm;
    int rate; /* the voice's sample rate */
} fvoices[] = {
    {"slt", register_cmu_us_slt, unregister_cmu_us_slt, 187, 16000},
    {"rms", register_cmu_us_rms, unregister_cmu_us_rms, 165, 16000},
    {"awb", register_cmu_us_awb, unregister_cmu_us_awb, 176, 16000},
    {"kal", register_cmu_us_kal, unregister_cmu_us_kal, 171, 8000},
};

/* Rates as espeak's styles; pitch 50 is the voice's own mean F0, range
 * scales its F0 spread (50: the voice's own). */
static const struct fstyle {
    const char *name;
    int rate, pitch, range;
} fstyles[] = {
    {"professional", 165, 50, 50},
    {"energetic", 185, 56, 70},
    {"calm", 140, 46, 40},
};

static pthread_once_t fl_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t fl_lock = PTHREAD_MUTEX_INITIALIZER;

static void fl_init(void)
{
    flite_init();
}

static const struct fvoice *find_voice(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof fvoices / sizeof fvoices[0]; i++)
        if (name && strcmp(name, fvoices[i].name) == 0)
            return &fvoices[i];
    return NULL;
}

int avk_tts_flite_has_voice(const char *name)
{
    return find_voice(name) != NULL;
}

const char *avk_tts_flite_voices(void)
{
    return "slt, rms, awb, kal";
}

int avk_tts_flite_lang_ok(const char *lang)
{
    if (!lang || !*lang)
        return 1;
    return tolower((unsigned char)lang[0]) == 'e' &&
           tolower((unsigned char)lang[1]) == 'n' &&
           (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_');
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */

static int is_space(uint32_t c)
{
    return c <= 0x20 || c == 0x7F || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* A letter or digit in any script (not punctuation, symbols, emoji). */
static int is_wordchar(uint32_t c)
{
    if (c < 0x80)
        return isalnum((int)c);
    if (avk_uc_is_emoji(c) || is_space(c))
        return 0;
    if ((c >= 0xA1 && c <= 0xBF) || c == 0xD7 || c == 0xF7 ||
        (c >= 0x2010 && c <= 0x206F) || (c >= 0x20A0 && c <= 0x20CF) ||
        (c >= 0x3001 && c <= 0x3011) || (c >= 0xFF01 && c <= 0xFF0F))
        return 0;
    return 1;
}

/* Symbols flite reads out: a token with one is a word. */
static int is_spoken_symbol(uint32_t c)
{
    return c == '&' || c == '$' || c == '%' || c == '+' || c == '=' ||
           c == 0x20AC || c == 0xA3 || c == 0xB0;
}

/* ASCII for a Latin-1 letter (accents removed), or NULL. */
static const char *latin1_ascii(uint32_t c)
{
    static const char *const up[] = {
        "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E",
        "I", "I", "I", "I", "D", "N", "O", "O", "O", "O", "O", NULL,
        "O", "U", "U", "U", "U", "Y", "Th", "ss"};
    static const char *const lo[] = {
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
        "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", NULL,
        "o", "u", "u", "u", "u", "y", "th", "y"};

    if (c >= 0xC0 && c <= 0xDF)
        return up[c - 0xC0];
    if (c >= 0xE0 && c <= 0xFF)
        return lo[c - 0xE0];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Tokens and their spoken forms                                       */

enum { TOK_WORD, TOK_EMOJI, TOK_PUNCT };

typedef struct ftok {
    size_t b0, b1;   /* bytes of the token in the scene text */
    size_t sb0, sb1; /* bytes of its spoken form in the spoken text */
    int kind;
    int timed;
    double start, end; /* utterance seconds */
} ftok;

typedef struct ftoks {
    ftok *v;
    size_t n, cap;
} ftoks;

static int toks_add(ftoks *t, size_t b0, size_t b1)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 32;
        ftok *nv = realloc(t->v, nc * sizeof *nv);

        if (!nv)
            return AVK_EX_OSERR;
        t->v = nv;
        t->cap = nc;
    }
    memset(&t->v[t->n], 0, sizeof t->v[0]);
    t->v[t->n].b0 = b0;
    t->v[t->n].b1 = b1;
    t->n++;
    return 0;
}

static int tok_span(void *ud, size_t b0, size_t b1)
{
    return toks_add(ud, b0, b1);
}

/* Cut s at white space; s is valid UTF-8. */
static int tokenize(const char *s, ftoks *t)
{
    return avk_utf8_split(s, is_space, tok_span, t);
}

/* Abbreviations flite reads letter by letter or not at all; "sentence"
 * ones may end a sentence (their dot is kept before a capital). */
static const struct {
    const char *abbr, *spoken;
    int sentence;
} abbrevs[] = {
    {"e.g.", "for example", 0}, {"eg.", "for example", 0},
    {"i.e.", "that is", 0},     {"ie.", "that is", 0},
    {"etc.", "et cetera", 1},   {"vs.", "versus", 0},
    {"vs", "versus", 0},        {"approx.", "approximately", 0},
    {"w/", "with", 0},          {"w/o", "without", 0},
    {"&", "and", 0},            {"hrs.", "hours", 1},
    {"min.", "minutes", 1},     {"Inc.", "Incorporated", 1},
    {"Ltd.", "Limited", 1},     {"Co.", "Company", 1},
};

static int all_digits(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && s[i] != ',' && s[i] != '.')
            return 0;
    return isdigit((unsigned char)s[0]);
}

/* Rewrite the core of an ASCII token (no surrounding punctuation) when
 * flite would misread it; 1 when written to out, 0 when not, -1 on OOM.
 * tail: the trailing punctuation; *dot_used: the abbreviation took the
 * tail's first dot. */
static int rewrite(const char *core, size_t n, const char *tail, size_t tn,
                   int next_upper, avk_buf *out, int *dot_used)
{
    size_t i;

    *dot_used = 0;
    for (i = 0; i < sizeof abbrevs / sizeof abbrevs[0]; i++) {
        const char *a = abbrevs[i].abbr;
        size_t al = strlen(a);
        int same = 0;

        if (al == n && strncasecmp(core, a, n) == 0)
            same = 1;
        else if (al == n + 1 && a[al - 1] == '.' && tn && tail[0] == '.' &&
                 strncasecmp(core, a, n) == 0)
            same = 1, *dot_used = 1;
        if (!same)
            continue;
        if (avk_buf_adds(out, abbrevs[i].spoken))
            return -1;
        if (*dot_used && abbrevs[i].sentence && next_upper)
            *dot_used = 0; /* keep the sentence's dot */
        return 1;
    }
    /* #1 -> number 1 */
    if (n >= 2 && core[0] == '#' && all_digits(core + 1, n - 1))
        return avk_buf_adds(out, "number ") || avk_buf_add(out, core + 1, n - 1)
                   ? -1
                   : 1;
    /* ~5 -> about 5 */
    if (n >= 2 && core[0] == '~' && all_digits(core + 1, n - 1))
        return avk_buf_adds(out, "about ") || avk_buf_add(out, core + 1, n - 1)
                   ? -1
                   : 1;
    /* 10x -> 10 times; 10k, 5M, 2B */
    if (n >= 2 && all_digits(core, n - 1)) {
        const char *unit = NULL;

        switch (core[n - 1]) {
        case 'x':
        case 'X':
            unit = " times";
            break;
        case 'k':
        case 'K':
            unit = " thousand";
            break;
        case 'M':
            unit = " million";
            break;
        case 'B':
            unit = " billion";
            break;
        default:
            break;
        }
        if (unit)
            return avk_buf_add(out, core, n - 1) || avk_buf_adds(out, unit)
                       ? -1
                       : 1;
    }
    return 0;
}

static int is_open(char c)
{
    return c == '"' || c == '\'' || c == '(' || c == '[' || c == '{';
}

static int is_close(char c)
{
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' ||
           c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
           c == '.';
}

/* Append the spoken form of token s[0..n) to out and classify it. */
static int spoken_form(const char *s, size_t n, int next_upper, avk_buf *out,
                       int *kind)
{
    const unsigned char *p = (const unsigned char *)s;
    avk_buf a; /* the token in ASCII */
    size_t i = 0, l, lead, tail;
    int emoji = 0, word = 0, r, dot_used = 0, rc = 0;
    uint32_t c;
    const char *m;

    avk_buf_init(&a);
    while (i < n && !rc) {
        if (!(l = avk_utf8_dec(p + i, n - i, &c)))
            l = 1, c = '?';
        i += l;
        if (is_wordchar(c) || is_spoken_symbol(c))
            word = 1;
        if (c < 0x80)
            rc = avk_buf_addc(&a, (char)c);
        else if (avk_uc_is_emoji(c))
            emoji = 1;
        else if ((m = latin1_ascii(c)))
            rc = avk_buf_adds(&a, m);
        else if (c == 0x2018 || c == 0x2019 || c == 0x201A || c == 0x2032)
            rc = avk_buf_addc(&a, '\'');
        else if (c == 0x201C || c == 0x201D || c == 0x201E || c == 0xAB ||
                 c == 0xBB)
            rc = avk_buf_addc(&a, '"');
        else if (c >= 0x2010 && c <= 0x2015)
            rc = avk_buf_adds(&a, c <= 0x2011 ? "-" : " , ");
        else if (c == 0x2212)
            rc = avk_buf_addc(&a, '-');
        else if (c == 0x2026)
            rc = avk_buf_adds(&a, "...");
        else if (c == 0x20AC)
            rc = avk_buf_adds(&a, "EUR");
        else if (c == 0xA3)
            rc = avk_buf_adds(&a, "GBP");
        else if (c == 0xB0)
            rc = avk_buf_adds(&a, a.len ? " degrees" : "degrees");
        /* anything else flite cannot read (inverted marks, other
         * scripts) is dropped */
    }
    if (rc)
        goto oom;
    *kind = word ? TOK_WORD : emoji ? TOK_EMOJI : TOK_PUNCT;
    if (*kind == TOK_WORD && a.len == 0)
        goto done; /* a word flite cannot read at all ("½", other scripts) */
    if (*kind != TOK_WORD) {
        /* no word: only what makes a pause, never a symbol's name */
        for (i = 0; i < a.len; i++)
            if (strchr(".,;:!?", a.data[i]) &&
                avk_buf_addc(out, a.data[i]))
                goto oom;
        goto done;
    }
    /* EUR5 / GBP5 -> 5 euros / pounds */
    for (i = 0; i < 2; i++) {
        const char *cur = i ? "GBP" : "EUR";

        if (a.len > 3 && !memcmp(a.data, cur, 3) &&
            isdigit((unsigned char)a.data[3])) {
            size_t k = 3;

            while (k < a.len && (isdigit((unsigned char)a.data[k]) ||
                                 a.data[k] == '.' || a.data[k] == ','))
                k++;
            if (k > 3 && a.data[k - 1] != '.' && a.data[k - 1] != ',') {
                if (avk_buf_add(out, a.data + 3, k - 3) ||
                    avk_buf_adds(out, i ? " pounds" : " euros") ||
                    avk_buf_add(out, a.data + k, a.len - k))
                    goto oom;
                goto done;
            }
        }
    }
    lead = 0;
    while (lead < a.len && is_open(a.data[lead]))
        lead++;
    tail = a.len;
    while (tail > lead && is_close(a.data[tail - 1]))
        tail--;
    /* Keep the dots of "e.g." inside the core. */
    while (tail < a.len && a.data[tail] == '.' && tail + 1 < a.len &&
           isalpha((unsigned char)a.data[tail + 1]))
        tail += 2;
    if (avk_buf_add(out, a.data, lead))
        goto oom;
    r = rewrite(a.data + lead, tail - lead, a.data + tail, a.len - tail,
                next_upper, out, &dot_used);
    if (r < 0)
        goto oom;
    if (r == 0 && avk_buf_add(out, a.data + lead, tail - lead))
        goto oom;
    if (avk_buf_add(out, a.data + tail + (size_t)dot_used,
                    a.len - tail - (size_t)dot_used))
        goto oom;
done:
    avk_buf_release(&a);
    return 0;
oom:
    avk_buf_release(&a);
    return AVK_EX_OSERR;
}

/* Tokens of text and the text given to flite (each non-empty spoken form
 * followed by one space); *any: some token is a word with something to
 * say. */
static int build_spoken(const char *text, ftoks *t, avk_buf *sp, int *any)
{
    size_t k;
    int rc;

    *any = 0;
    if ((rc = tokenize(text, t)))
        return rc;
    for (k = 0; k < t->n; k++) {
        size_t before = sp->len, j;
        int next_upper = 1, alnum = 0, said;

        if (k + 1 < t->n) {
            unsigned char c0 = (unsigned char)text[t->v[k + 1].b0];

            next_upper = isupper(c0) || c0 == '"' || c0 >= 0x80;
        }
        if ((rc = spoken_form(text + t->v[k].b0, t->v[k].b1 - t->v[k].b0,
                              next_upper, sp, &t->v[k].kind)))
            return rc;
        t->v[k].sb0 = before;
        t->v[k].sb1 = sp->len;
        said = sp->len > before;
        if (t->v[k].kind != TOK_WORD && sp->len > before && before > 0 &&
            sp->data[before - 1] == ' ') {
            /* a lone "," or "!": glued to the text before it, where flite
             * makes it a pause (alone it would be dropped) */
            size_t j0 = k;

            memmove(sp->data + before - 1, sp->data + before,
                    sp->len - before + 1);
            sp->len--;
            while (j0 > 0 && t->v[j0 - 1].sb1 == t->v[j0 - 1].sb0)
                j0--;
            if (j0 > 0)
                t->v[j0 - 1].sb1 = sp->len;
            t->v[k].sb0 = t->v[k].sb1 = sp->len;
        }
        for (j = before; j < sp->len; j++)
            if (isalnum((unsigned char)sp->data[j]))
                alnum = 1;
        if (t->v[k].kind == TOK_WORD && alnum)
            *any = 1;
        if (said && avk_buf_addc(sp, ' '))
            return AVK_EX_OSERR;
    }
    return 0;
}

int avk_tts_flite_text(const char *text, avk_buf *out, avk_err *err)
{
    ftoks t = {0};
    int any, rc;

    if (!text || !avk_utf8_valid(text))
        return avk_fail(err, AVK_EX_DATAERR, "text is not valid UTF-8");
    avk_buf_reset(out);
    rc = build_spoken(text, &t, out, &any);
    free(t.v);
    if (!rc && out->len && out->data[out->len - 1] == ' ')
        out->data[--out->len] = '\0';
    if (!rc && !out->data && avk_buf_adds(out, ""))
        rc = AVK_EX_OSERR;
    return rc ? avk_fail(err, rc, "out of memory") : 0;
}

/* ------------------------------------------------------------------ */
/* Synthesis                                                           */

typedef struct params {
    double stretch;  /* duration_stretch */
    double f0_mean;  /* int_f0_target_mean; 0: the voice's */
    double f0_std;   /* int_f0_target_stddev; 0: the voice's */
} params;

/* Synthesise text; NULL when flite reported an error.  Call with fl_lock
 * held.  The jump buffer is only reached from inside utt_synth(). */
static cst_utterance *synth_utt(cst_voice *v, const char *text,
                                const params *pp)
{
    jmp_buf jb;
    cst_utterance *u = new_utterance();

    utt_set_input_text(u, text);
    utt_init(u, v);
    feat_set_float(u->features, "duration_stretch", (float)pp->stretch);
    if (pp->f0_mean > 0)
        feat_set_float(u->features, "int_f0_target_mean", (float)pp->f0_mean);
    if (pp->f0_std > 0)
        feat_set_float(u->features, "int_f0_target_stddev",
                       (float)pp->f0_std);
    srand(1); /* flite's noise excitation: the same text, the same audio */
    cst_errjmp = &jb;
    if (setjmp(jb)) {
        /* u's state is unknown after a jump: it is not freed */
        cst_errjmp = NULL;
        return NULL;
    }
    utt_synth(u);
    cst_errjmp = NULL;
    return u;
}

/* Start and end of an item's segments (an item of the Word relation). */
static int word_span(cst_item *word, double *start, double *end)
{
    cst_item *ss = item_as(word, "SylStructure"), *syl, *first = NULL,
             *last = NULL, *prev;

    if (!ss)
        return 0;
    for (syl = item_daughter(ss); syl; syl = item_next(syl)) {
        cst_item *s0 = item_daughter(syl), *s1 = item_last_daughter(syl);

        if (s0 && !first)
            first = s0;
        if (s1)
            last = s1;
    }
    if (!first || !last)
        return 0;
    prev = item_prev(item_as(first, "Segment"));
    *start = prev ? item_feat_float(prev, "end") : 0.0;
    *end = item_feat_float(last, "end");
    return *end >= *start;
}

/* Widen [*first, *last] to the utterance's first and last non-pause
 * segments. */
static void speech_span(cst_utterance *u, double *first, double *last)
{
    cst_relation *rel = utt_relation(u, "Segment");
    cst_item *s, *prev = NULL;
    int seen = 0;

    for (s = rel ? relation_head(rel) : NULL; s; prev = s, s = item_next(s)) {
        double a = prev ? item_feat_float(prev, "end") : 0.0,
               b = item_feat_float(s, "end");

        if (strcmp(item_feat_string(s, "name"), "pau") == 0)
            continue;
        if (!seen && a < *first)
            *first = a;
        seen = 1;
        if (b > *last)
            *last = b;
    }
}

/* Map the utterance's tokens onto ours and time them. */
static void time_tokens(cst_utterance *u, ftoks *t)
{
    cst_relation *rel = utt_relation(u, "Token");
    cst_item *ti, *w;
    size_t k = 0;

    for (ti = rel ? relation_head(rel) : NULL; ti; ti = item_next(ti)) {
        int pos = item_feat_int(ti, "file_pos");

        /* the first of our tokens whose bytes and space hold pos - 1 */
        while (k < t->n && (t->v[k].sb1 == t->v[k].sb0 ||
                            (long)t->v[k].sb1 + 1 < (long)pos))
            k++;
        if (k == t->n)
            break;
        for (w = item_daughter(ti); w; w = item_next(w)) {
            double a, b;

            if (!word_span(w, &a, &b))
                continue;
            if (!t->v[k].timed) {
                t->v[k].timed = 1;
                t->v[k].start = a;
                t->v[k].end = b;
            } else {
                if (a < t->v[k].start)
                    t->v[k].start = a;
                if (b > t->v[k].end)
                    t->v[k].end = b;
            }
        }
    }
}

/* Speak one scene; appends its audio (trimmed) to all and its words to
 * words, offset by the length of all.  Call with fl_lock held. */
static int speak_scene(cst_voice *v, const params *pp, const char *text,
                       int scene, avk_pcm *all, avk_words *words,
                       avk_err *err)
{
    ftoks t = {0};
    avk_buf sp, wtext;
    cst_utterance *u = NULL;
    cst_wave *wave;
    double off = avk_pcm_duration(all), first = -1, last = 0, prev = 0,
           shift, lim, rate;
    size_t k, keep0, keep1, i, pending = 0, pend_b0 = 0, nbefore;
    float *tmp = NULL;
    int any = 0, rc = 0;

    avk_buf_init(&sp);
    avk_buf_init(&wtext);
    if (build_spoken(text, &t, &sp, &any))
        goto oom;
    if (any) {
        u = synth_utt(v, sp.data, pp);
        if (!u) {
            rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                          "flite failed on scene %d", scene + 1);
            goto done;
        }
        time_tokens(u, &t);
    }
    wave = u ? utt_wave(u) : NULL;
    if (wave && wave->num_samples > 0 && wave->sample_rate != all->rate) {
        rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                      "flite gave %d Hz audio for scene %d, not %d Hz",
                      wave->sample_rate, scene + 1, all->rate);
        goto done;
    }
    for (k = 0; k < t.n; k++)
        if (t.v[k].kind == TOK_WORD && t.v[k].timed) {
            if (first < 0)
                first = t.v[k].start;
            last = t.v[k].end;
        }
    /* sound outside the words (should flite say something that is no
     * word of ours) is kept too */
    if (first >= 0)
        speech_span(u, &first, &last);
    if (!wave || wave->num_samples <= 0 || wave->num_channels != 1 ||
        first < 0) {
        /* Nothing to say: a short silence. */
        if (avk_pcm_append_silence(all,
                                   (size_t)(SILENT_SCENE_S * all->rate)))
            goto oom;
        lim = 0;
        shift = 0;
    } else {
        rate = wave->sample_rate;
        keep0 = first - LEAD_S > 0 ? (size_t)((first - LEAD_S) * rate) : 0;
        keep1 = (size_t)((last + TAIL_S) * rate);
        if (keep1 > (size_t)wave->num_samples)
            keep1 = (size_t)wave->num_samples;
        if (keep0 > keep1)
            keep0 = keep1;
        tmp = malloc((keep1 - keep0 + 1) * sizeof *tmp);
        if (!tmp)
            goto oom;
        for (i = keep0; i < keep1; i++)
            tmp[i - keep0] = (float)wave->samples[i] / 32768.0f;
        if (avk_pcm_append(all, tmp, keep1 - keep0))
            goto oom;
        shift = (double)keep0 / rate;
        lim = (double)(keep1 - keep0) / rate;
    }
    if (!words)
        goto done;
    /* Words, with emoji-only tokens joined to their neighbour. */
    nbefore = words->n;
    for (k = 0; k < t.n; k++) {
        ftok *w = &t.v[k];
        double a, b;

        if (w->kind == TOK_EMOJI) {
            if (words->n > nbefore) {
                avk_word *pw = &words->v[words->n - 1];
                size_t ol = strlen(pw->text), el = w->b1 - w->b0;
                char *nt = realloc(pw->text, ol + 1 + el + 1);

                if (!nt)
                    goto oom;
                nt[ol] = ' ';
                memcpy(nt + ol + 1, text + w->b0, el);
                nt[ol + 1 + el] = '\0';
                pw->text = nt;
            } else if (!pending) {
                pend_b0 = w->b0;
                pending = w->b1 - w->b0;
            } else {
                pending = w->b1 - pend_b0;
            }
            continue;
        }
        if (w->kind != TOK_WORD)
            continue;
        avk_buf_reset(&wtext);
        if (pending && (avk_buf_add(&wtext, text + pend_b0, pending) ||
                        avk_buf_addc(&wtext, ' ')))
            goto oom;
        pending = 0;
        if (avk_buf_add(&wtext, text + w->b0, w->b1 - w->b0))
            goto oom;
        a = w->timed ? w->start - shift : prev;
        b = w->timed ? w->end - shift : prev;
        a = a < prev ? prev : a > lim ? lim : a;
        b = b < a ? a : b > lim ? lim : b;
        prev = b;
        if (avk_words_add(words, wtext.data, wtext.len, off + a, off + b,
                          scene))
            goto oom;
    }
    goto done;
oom:
    rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
done:
    if (u)
        delete_utterance(u);
    free(tmp);
    free(t.v);
    avk_buf_release(&sp);
    avk_buf_release(&wtext);
    return rc;
}

/* The voice's own mean and spread of F0 (Hz). */
static void voice_f0(cst_voice *v, double *mean, double *std)
{
    *mean = 0;
    *std = 0;
    if (feat_present(v->features, "cg_db")) {
        const cst_cg_db *db = val_cg_db(feat_val(v->features, "cg_db"));

        if (db) {
            *mean = db->f0_mean;
            *std = db->f0_stddev;
        }
    }
    if (*mean <= 0) {
        *mean = get_param_float(v->features, "int_f0_target_mean", 100.0f);
        *std = get_param_float(v->features, "int_f0_target_stddev", 12.0f);
    }
}

int avk_tts_flite(const avk_tts_opts *o, const char *const *scenes,
                  size_t nscenes, avk_pcm *out, avk_words *words,
                  double *scene_start, double *scene_end, avk_err *err)
{
    avk_tts_opts def;
    const struct fvoice *fv;
    struct fstyle st;
    const char *sname, *vname;
    cst_voice *v;
    params pp;
    double pause, target, ceiling, mean, std;
    int rc = 0, rate;
    size_t i;

    avk_pcm_release(out);
    if (words)
        avk_words_release(words);
    if (!o) {
        avk_tts_opts_init(&def);
        o = &def;
    }
    if (!avk_tts_flite_lang_ok(o->lang))
        return avk_fail(err, AVK_EX_UNAVAILABLE,
                        "flite speaks English only, not '%s' (use the "
                        "espeak provider)",
                        o->lang);
    vname = o->voice && *o->voice ? o->voice : "slt";
    if (!(fv = find_voice(vname)))
        return avk_fail(err, AVK_EX_DATAERR,
                        "unknown flite voice '%s' (%s)", vname,
                        avk_tts_flite_voices());
    sname = o->style && *o->style ? o->style : "professional";
    for (i = 0; i < sizeof fstyles / sizeof fstyles[0]; i++)
        if (strcmp(sname, fstyles[i].name) == 0)
            break;
    if (i == sizeof fstyles / sizeof fstyles[0])
        return avk_fail(err, AVK_EX_DATAERR,
                        "unknown voice style '%s' (professional, energetic, "
                        "calm)",
                        sname);
    st = fstyles[i];
    if (o->rate_wpm) {
        if (o->rate_wpm < 80 || o->rate_wpm > 450)
            return avk_fail(err, AVK_EX_DATAERR,
                            "speech rate %d is out of range (80..450 words "
                            "per minute)",
                            o->rate_wpm);
        st.rate = o->rate_wpm;
    }
    if (o->pitch) {
        if (o->pitch < 1 || o->pitch > 100)
            return avk_fail(err, AVK_EX_DATAERR,
                            "pitch %d is out of range (1..100)", o->pitch);
        st.pitch = o->pitch;
    }
    for (i = 0; i < nscenes; i++)
        if (!scenes[i] || !avk_utf8_valid(scenes[i]))
            return avk_fail(err, AVK_EX_DATAERR,
                            "scene %zu text is not valid UTF-8", i + 1);
    pause = o->scene_pause_s < 0 ? 0.4 : o->scene_pause_s;
    if (pause > 10.0)
        pause = 10.0;
    target = o->target_lufs != 0.0 ? o->target_lufs : -16.0;
    ceiling = o->max_true_peak_dbtp != 0.0 ? o->max_true_peak_dbtp : -1.5;

    pthread_once(&fl_once, fl_init);
    pthread_mutex_lock(&fl_lock);
    v = fv->reg(NULL);
    if (!v) {
        rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                      "cannot load the flite voice '%s'", fv->name);
        goto unlock;
    }
    voice_f0(v, &mean, &std);
    pp.stretch = fv->wpm / st.rate;
    /* pitch 1..100 spans two octaves around the voice's mean */
    pp.f0_mean = mean * pow(2.0, (st.pitch - 50) / 50.0);
    pp.f0_std = std * st.range / 50.0;
    rate = fv->rate;
    if (avk_pcm_alloc(out, 0, 1, rate)) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto unreg;
    }
    for (i = 0; i < nscenes; i++) {
        if (i > 0 &&
            avk_pcm_append_silence(out, (size_t)(pause * rate + 0.5))) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        if (scene_start)
            scene_start[i] = avk_pcm_duration(out);
        if ((rc = speak_scene(v, &pp, scenes[i], (int)i, out, words, err)))
            break;
        if (scene_end)
            scene_end[i] = avk_pcm_duration(out);
    }
unreg:
    fv->unreg(v);
unlock:
    pthread_mutex_unlock(&fl_lock);
    if (!rc)
        rc = avk_pcm_resample(out, 48000, err);
    if (!rc && out->frames == 0)
        rc = avk_pcm_append_silence(out, 4800); /* no scenes: 0.1 s */
    if (!rc && avk_loudness_normalize(out, target, ceiling, NULL))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (rc) {
        avk_pcm_release(out);
        if (words)
            avk_words_release(words);
    }
    return rc;
}
