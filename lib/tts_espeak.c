/*
 * tts_espeak.c - speech and word timings from libespeak-ng.
 *
 * How a scene is spoken:
 *   1. The scene text (which must be UTF-8) is cut at white space into
 *      tokens.  Each token gets a spoken form: emoji are removed, dashes
 *      become commas, and for English common abbreviations ("Dr.",
 *      "e.g.", "etc."), currency amounts ("$9.99" -> "9 dollars and 99
 *      cents"), years ("2026" -> "20 26"), "10x", "~5", "1/2", "5-10",
 *      "#1" and "&" are spelled out; espeak-ng reads numbers itself.  A token is a word
 *      when its spoken form has a letter or digit; an emoji-only token is
 *      not spoken and its text is joined (after a space) to the preceding
 *      word of the scene, or to the next one at the start of a scene;
 *      punctuation-only tokens are spoken (for the pauses) but are not
 *      words.  Chinese and Thai tokens (no spaces between words) are cut
 *      where espeak-ng reports a new word (a character, for Chinese);
 *      Japanese gets one word per space-separated run, since espeak-ng
 *      reports no positions inside it.
 *   2. The spoken forms, joined by spaces, are synthesised with
 *      AUDIO_OUTPUT_SYNCHRONOUS; the callback collects the 22050 Hz
 *      samples and the espeakEVENT_WORD events.  An event's text_position
 *      counts characters (code points), 1-based, in the spoken text; it is
 *      mapped back to the token whose spoken form holds it, and the first
 *      event of a token gives the token's start.
 *   3. Short-window energy (5 ms windows, voiced above -55 dBFS; espeak's
 *      pauses are digital silence) refines the times: a start moves to
 *      the first voiced window before the next word; the end is the end of
 *      the last voiced window before the next word's start, or that start
 *      itself when less than 30 ms of silence separates them.  Silence
 *      before the first and after the last voiced window of a scene is cut
 *      to 10 ms and 50 ms.
 *   4. Scenes are joined with scene_pause_s of silence, resampled to
 *      48 kHz and loudness-normalised (BS.1770, true-peak limited).
 *
 * espeak-ng keeps global state and is not thread-safe: it is initialised
 * once per process (pthread_once; espeak_Terminate runs at exit), and a
 * mutex serialises every use.  Those two statics are the module's only
 * global state; per-call state travels in the events' user_data.
 */
#include "tts.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <espeak-ng/speak_lib.h>

#include "buf.h"
#include "utf8.h"

#define VOICED_DBFS (-55.0)
#define WIN_S 0.005
#define SILENT_SCENE_S 0.25

/* ------------------------------------------------------------------ */
/* Word lists                                                          */

void avk_words_init(avk_words *w)
{
    memset(w, 0, sizeof *w);
}

void avk_words_release(avk_words *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i].text);
    free(w->v);
    memset(w, 0, sizeof *w);
}

int avk_words_add(avk_words *w, const char *text, size_t len, double start,
                  double end, int scene)
{
    char *t;

    if (w->n == w->cap) {
        size_t nc = w->cap ? 2 * w->cap : 64;
        avk_word *nv = realloc(w->v, nc * sizeof *nv);

        if (!nv)
            return AVK_EX_OSERR;
        w->v = nv;
        w->cap = nc;
    }
    t = malloc(len + 1);
    if (!t)
        return AVK_EX_OSERR;
    memcpy(t, text, len);
    t[len] = '\0';
    w->v[w->n].text = t;
    w->v[w->n].start = start;
    w->v[w->n].end = end;
    w->v[w->n].scene = scene;
    w->n++;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Options, voices, styles                                             */

void avk_tts_opts_init(avk_tts_opts *o)
{
    memset(o, 0, sizeof *o);
    o->lang = "en";
    o->style = "professional";
    o->scene_pause_s = 0.4;
    o->target_lufs = -16.0;
    o->max_true_peak_dbtp = -1.5;
}

static const struct {
    const char *tag, *voice;
} voices[] = {
    {"en", "en-us"},      {"en-us", "en-us"},   {"en-gb", "en"},
    {"en-uk", "en"},   {"es", "es"},         {"es-es", "es"},
    {"es-419", "es-419"}, {"es-mx", "es-419"},  {"de", "de"},
    {"fr", "fr"},         {"fr-fr", "fr"},      {"fr-be", "fr-be"},
    {"fr-ch", "fr-ch"},   {"pt", "pt-br"},      {"pt-br", "pt-br"},
    {"pt-pt", "pt"},      {"it", "it"},         {"hi", "hi"},
    {"ar", "ar"},         {"zh", "cmn"},        {"zh-cn", "cmn"},
    {"cmn", "cmn"},       {"zh-hk", "yue"},     {"yue", "yue"},
    {"ja", "ja"},         {"ko", "ko"},         {"ru", "ru"},
    {"nl", "nl"},         {"pl", "pl"},         {"tr", "tr"},
    {"sv", "sv"},         {"da", "da"},         {"nb", "nb"},
    {"no", "nb"},         {"fi", "fi"},         {"el", "el"},
    {"cs", "cs"},         {"sk", "sk"},         {"ro", "ro"},
    {"hu", "hu"},         {"uk", "uk"},         {"bg", "bg"},
    {"hr", "hr"},         {"sr", "sr"},         {"id", "id"},
    {"ms", "ms"},         {"vi", "vi"},         {"th", "th"},
    {"he", "he"},         {"fa", "fa"},         {"bn", "bn"},
    {"ta", "ta"},         {"te", "te"},         {"ur", "ur"},
    {"ca", "ca"},         {"sw", "sw"},         {"af", "af"},
};

/* Table lookup; with primary, "de-AT" falls back to "de". */
static const char *lookup_voice(const char *lang, int primary)
{
    char tag[32], *dash;
    size_t i, n;

    if (!lang || !*lang)
        lang = "en";
    n = strlen(lang);
    if (n >= sizeof tag)
        return NULL;
    for (i = 0; i <= n; i++)
        tag[i] = lang[i] == '_' ? '-' : (char)tolower((unsigned char)lang[i]);
    for (i = 0; i < sizeof voices / sizeof voices[0]; i++)
        if (strcmp(tag, voices[i].tag) == 0)
            return voices[i].voice;
    if (primary && (dash = strchr(tag, '-'))) {
        *dash = '\0';
        for (i = 0; i < sizeof voices / sizeof voices[0]; i++)
            if (strcmp(tag, voices[i].tag) == 0)
                return voices[i].voice;
    }
    return NULL;
}

const char *avk_tts_espeak_voice(const char *lang)
{
    return lookup_voice(lang, 1);
}

typedef struct style {
    const char *name;
    int rate, pitch, range;
} style;

static const style styles[] = {
    {"professional", 165, 48, 50},
    {"energetic", 185, 58, 80},
    {"calm", 140, 42, 30},
};

/* ------------------------------------------------------------------ */
/* espeak-ng process state                                             */

static pthread_once_t es_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t es_lock = PTHREAD_MUTEX_INITIALIZER;
static int es_rate; /* espeak's sample rate, or <= 0 when init failed */

static void es_terminate(void)
{
    pthread_mutex_lock(&es_lock);
    espeak_Terminate();
    pthread_mutex_unlock(&es_lock);
}

static void es_init(void)
{
    es_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 100, NULL,
                                espeakINITIALIZE_DONT_EXIT);
    if (es_rate > 0)
        atexit(es_terminate);
}

/* espeak-ng also loads a bare variant ("Alex") as a voice, over whatever
 * language was loaded before, and complains on stderr; accept only names
 * that start with a language ("en", "en-us+f3"). */
static int voice_name_ok(const char *name)
{
    if (!name || !(*name >= 'a' && *name <= 'z'))
        return 0;
    for (; *name; name++)
        if (!isalnum((unsigned char)*name) && !strchr("-+_", *name))
            return 0;
    return 1;
}

/* Load a voice by espeak-ng name, or by a language tag of the table
 * ("en-GB" is espeak's "en"); 0 or -1.  Call with es_lock held. */
static int set_voice(const char *name)
{
    const char *mapped;

    if (!voice_name_ok(name))
        return -1;
    if (espeak_SetVoiceByName(name) == EE_OK)
        return 0;
    mapped = lookup_voice(name, 0);
    return mapped && espeak_SetVoiceByName(mapped) == EE_OK ? 0 : -1;
}

int avk_tts_espeak_has_voice(const char *name)
{
    int ok;

    if (!voice_name_ok(name))
        return 0;
    pthread_once(&es_once, es_init);
    pthread_mutex_lock(&es_lock);
    ok = es_rate > 0 && set_voice(name) == 0;
    pthread_mutex_unlock(&es_lock);
    return ok;
}

/* ------------------------------------------------------------------ */
/* UTF-8 and tokens                                                    */

static int is_space(uint32_t c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 ||
           c < 0x20 || c == 0x7F;
}

/* Letters and digits, in any script: everything that is not ASCII
 * punctuation, a symbol block, or general/CJK punctuation. */
static int is_wordchar(uint32_t c)
{
    if (c < 0x80)
        return isalnum((int)c);
    if (avk_uc_is_emoji(c) || is_space(c))
        return 0;
    if ((c >= 0xA1 && c <= 0xBF && c != 0xAA && c != 0xB2 && c != 0xB3 &&
         c != 0xB5 && c != 0xB9 && c != 0xBA) ||
        c == 0xD7 || c == 0xF7)
        return 0;
    if ((c >= 0x2010 && c <= 0x206F) || (c >= 0x3001 && c <= 0x3003) ||
        (c >= 0x3008 && c <= 0x3011) || (c >= 0xFF01 && c <= 0xFF0F) ||
        (c >= 0xFF1A && c <= 0xFF20) || c == 0x060C || c == 0x061B ||
        c == 0x061F || c == 0x0964 || c == 0x0965)
        return 0;
    return 1;
}

/* Symbols the engine reads out ("you & me"): a token made of them is a
 * word. */
static int is_spoken_symbol(uint32_t c)
{
    return c == '&' || c == '+' || c == '=' || c == '%' || c == 0xB0 ||
           c == 0xD7 || c == 0x20AC || c == 0xA3 || c == '$';
}

static int is_dash(uint32_t c)
{
    return c == 0x2012 || c == 0x2013 || c == 0x2014 || c == 0x2015 ||
           c == 0x2212;
}

enum { TOK_WORD, TOK_EMOJI, TOK_PUNCT };

typedef struct tok {
    size_t b0, b1;  /* bytes of the token in the scene text */
    size_t c0, c1;  /* code points of its spoken form in the spoken text */
    size_t sb0, sb1; /* the same in bytes */
    int kind;
    int has_start;
    double start, end; /* scene-local seconds */
} tok;

typedef struct toks {
    tok *v;
    size_t n, cap;
} toks;

static int toks_add(toks *t, size_t b0, size_t b1)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 32;
        tok *nv = realloc(t->v, nc * sizeof *nv);

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
static int tokenize(const char *s, toks *t)
{
    return avk_utf8_split(s, is_space, tok_span, t);
}

/* English abbreviations; "sentence" ones may end a sentence. */
static const struct {
    const char *abbr, *spoken;
    int icase, sentence;
} abbrevs_en[] = {
    {"Dr.", "Doctor", 0, 0},        {"Mr.", "Mister", 0, 0},
    {"Mrs.", "Missus", 0, 0},       {"Ms.", "Miz", 0, 0},
    {"Prof.", "Professor", 0, 0},   {"St.", "Saint", 0, 0},
    {"Jr.", "Junior", 0, 1},        {"Sr.", "Senior", 0, 1},
    {"vs.", "versus", 1, 0},        {"vs", "versus", 1, 0},
    {"etc.", "et cetera", 1, 1},    {"e.g.", "for example", 1, 0},
    {"eg.", "for example", 1, 0},   {"i.e.", "that is", 1, 0},
    {"ie.", "that is", 1, 0},       {"approx.", "approximately", 1, 0},
    {"Inc.", "Incorporated", 0, 1}, {"Ltd.", "Limited", 0, 1},
    {"Co.", "Company", 0, 1},       {"No.", "number", 0, 0},
    {"Mt.", "Mount", 0, 0},         {"min.", "minutes", 0, 1},
    {"hrs.", "hours", 1, 1},        {"&", "and", 0, 0},
    {"w/", "with", 1, 0},           {"w/o", "without", 1, 0},
};

static int is_open_punct(uint32_t c)
{
    return c == '"' || c == '\'' || c == '(' || c == '[' || c == 0x201C ||
           c == 0x2018 || c == 0xBF || c == 0xA1 || c == 0xAB;
}

static int is_close_punct(uint32_t c)
{
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == ',' ||
           c == ';' || c == ':' || c == '!' || c == '?' || c == 0x201D ||
           c == 0x2019 || c == 0xBB || c == 0x2026 || c == '.';
}

/* Length of the leading run of opening punctuation. */
static size_t lead_len(const unsigned char *p, size_t n)
{
    size_t i = 0, l;
    uint32_t c;

    while (i < n && (l = avk_utf8_dec(p + i, n - i, &c)) && is_open_punct(c))
        i += l;
    return i;
}

/* Start of the trailing run of closing punctuation (not counting dots,
 * which belong to abbreviations; those are handled by the caller). */
static size_t trail_start(const unsigned char *p, size_t n, int dots)
{
    size_t e = n;

    while (e > 0) {
        size_t b = e - 1;
        uint32_t c;

        while (b > 0 && (p[b] & 0xC0) == 0x80)
            b--;
        if (!avk_utf8_dec(p + b, e - b, &c) || !is_close_punct(c) ||
            (!dots && c == '.'))
            break;
        e = b;
    }
    return e;
}

/* Spoken form of an English core word (no surrounding punctuation):
 * abbreviations and currency; 1 when rewritten into out. */
static int rewrite_en(const char *core, size_t n, const char *tail,
                      size_t tn, int next_upper, avk_buf *out)
{
    size_t i;

    for (i = 0; i < sizeof abbrevs_en / sizeof abbrevs_en[0]; i++) {
        const char *a = abbrevs_en[i].abbr;
        size_t al = strlen(a);
        int same = abbrevs_en[i].icase ? strncasecmp(core, a, al) == 0
                                       : strncmp(core, a, al) == 0;

        /* The core may have lost the abbreviation's final dot to tail. */
        if (al == n + 1 && a[al - 1] == '.' && tn && tail[0] == '.')
            same = abbrevs_en[i].icase ? strncasecmp(core, a, n) == 0
                                       : strncmp(core, a, n) == 0;
        else if (al != n)
            same = 0;
        if (same) {
            if (avk_buf_adds(out, abbrevs_en[i].spoken))
                return -1;
            /* Keep a sentence end after "etc." at the end or before a
             * capital; otherwise the dot was only the abbreviation's. */
            if (abbrevs_en[i].sentence && next_upper)
                return avk_buf_addc(out, '.') ? -1 : 2;
            return 2;
        }
    }
    /* $5, $1,250.50, €3 -> "5 dollars" */
    if (n >= 2) {
        const char *unit = NULL, *num = NULL;
        size_t ul = 0;

        if (core[0] == '$')
            unit = "dollars", num = core + 1, ul = 1;
        else if (strncmp(core, "\xe2\x82\xac", 3) == 0)
            unit = "euros", num = core + 3, ul = 3;
        else if (strncmp(core, "\xc2\xa3", 2) == 0)
            unit = "pounds", num = core + 2, ul = 2;
        if (unit && n > ul && isdigit((unsigned char)num[0])) {
            size_t k = 0, nl = n - ul;

            while (k < nl && (isdigit((unsigned char)num[k]) ||
                              num[k] == ',' || num[k] == '.'))
                k++;
            /* $9.99 -> 9 dollars and 99 cents */
            if (k == nl && k >= 4 && num[k - 3] == '.' &&
                isdigit((unsigned char)num[k - 2]) &&
                isdigit((unsigned char)num[k - 1])) {
                size_t w = k - 3;
                int one = w == 1 && num[0] == '1';
                const char *sub_unit = unit[0] == 'p' ? "pence" : "cents";

                if (avk_buf_add(out, num, w) || avk_buf_addc(out, ' ') ||
                    avk_buf_add(out, unit, strlen(unit) - (one ? 1 : 0)))
                    return -1;
                if (memcmp(num + k - 2, "00", 2) != 0 &&
                    (avk_buf_adds(out, " and ") ||
                     avk_buf_add(out, num + k - 2, 2) ||
                     avk_buf_addc(out, ' ') || avk_buf_adds(out, sub_unit)))
                    return -1;
                return 1;
            }
            if (avk_buf_add(out, num, k) || avk_buf_addc(out, ' '))
                return -1;
            if (k < nl && (num[k] == 'k' || num[k] == 'K') && k + 1 == nl) {
                if (avk_buf_adds(out, "thousand "))
                    return -1;
            } else if (k < nl && (num[k] == 'm' || num[k] == 'M') &&
                       k + 1 == nl) {
                if (avk_buf_adds(out, "million "))
                    return -1;
            } else if (k < nl && (num[k] == 'b' || num[k] == 'B') &&
                       k + 1 == nl) {
                if (avk_buf_adds(out, "billion "))
                    return -1;
            } else if (k < nl) {
                return 0;
            }
            if (k == 1 && num[0] == '1')
                return avk_buf_add(out, unit, strlen(unit) - 1) ? -1 : 1;
            return avk_buf_adds(out, unit) ? -1 : 1;
        }
    }
    /* years: 1999 -> 19 99, 2026 -> 20 26 (read as pairs) */
    if (n == 4 && isdigit((unsigned char)core[0]) &&
        isdigit((unsigned char)core[1]) && isdigit((unsigned char)core[2]) &&
        isdigit((unsigned char)core[3])) {
        int y = atoi(core);

        if ((y >= 1901 && y <= 1999) || (y >= 2010 && y <= 2099)) {
            if (avk_buf_add(out, core, 2) || avk_buf_addc(out, ' ') ||
                (core[2] == '0' && avk_buf_adds(out, "oh ")) ||
                avk_buf_add(out, core + (core[2] == '0' ? 3 : 2),
                            core[2] == '0' ? 1 : 2))
                return -1;
            return 1;
        }
        return 0;
    }
    /* 10x -> 10 times */
    if (n >= 2 && (core[n - 1] == 'x' || core[n - 1] == 'X')) {
        for (i = 0; i + 1 < n; i++)
            if (!isdigit((unsigned char)core[i]))
                return 0;
        if (avk_buf_add(out, core, n - 1) || avk_buf_adds(out, " times"))
            return -1;
        return 1;
    }
    /* simple fractions */
    {
        static const struct {
            const char *f, *spoken;
        } fr[] = {{"1/2", "one half"},      {"1/3", "one third"},
                  {"2/3", "two thirds"},    {"1/4", "one quarter"},
                  {"3/4", "three quarters"}};

        for (i = 0; i < sizeof fr / sizeof fr[0]; i++)
            if (n == 3 && memcmp(core, fr[i].f, 3) == 0)
                return avk_buf_adds(out, fr[i].spoken) ? -1 : 1;
    }
    /* 10k -> 10 thousand */
    if (n >= 2 && (core[n - 1] == 'k' || core[n - 1] == 'K')) {
        for (i = 0; i + 1 < n; i++)
            if (!isdigit((unsigned char)core[i]))
                return 0;
        if (avk_buf_add(out, core, n - 1) || avk_buf_adds(out, " thousand"))
            return -1;
        return 1;
    }
    return 0;
}

/* Append the spoken form of token s[0..n) to out; *kind receives the
 * token's kind.  next_upper: the following token starts with a capital
 * letter or there is none. */
static int spoken_form(const char *s, size_t n, int english, int next_upper,
                       avk_buf *out, int *kind)
{
    const unsigned char *p = (const unsigned char *)s;
    avk_buf clean;
    size_t i = 0, l, lead, tstart;
    int emoji = 0, word = 0, rc = 0, r;
    uint32_t c;

    avk_buf_init(&clean);
    /* Drop emoji; dashes become pauses; '#tag' and '@name' lose the sign. */
    while (i < n) {
        l = avk_utf8_dec(p + i, n - i, &c);
        if (!l)
            l = 1, c = '?';
        if (avk_uc_is_emoji(c))
            emoji = 1;
        else if (is_dash(c))
            rc = avk_buf_adds(&clean, ", ");
        else if (c == '#' && english && clean.len == 0 && i + 1 < n &&
                 isdigit((unsigned char)s[i + 1]))
            rc = avk_buf_adds(&clean, "number "); /* #1 */
        else if ((c == '#' || c == '@') && clean.len == 0 && i + 1 < n)
            ; /* hashtag or handle: speak the name */
        else if (c == '-' && english && i > 0 && i + 1 < n &&
                 isdigit((unsigned char)s[i - 1]) &&
                 isdigit((unsigned char)s[i + 1]))
            rc = avk_buf_adds(&clean, " to "); /* 5-10 */
        else if (c == '/' && english && n == 4 && memcmp(s, "24/7", 4) == 0)
            rc = avk_buf_addc(&clean, ' ');
        else if (c == '~' && english && clean.len == 0 && i + 1 < n &&
                 isdigit((unsigned char)s[i + 1]))
            rc = avk_buf_adds(&clean, "about "); /* ~5 */
        else {
            if (is_wordchar(c) || is_spoken_symbol(c))
                word = 1;
            rc = avk_buf_add(&clean, s + i, l);
        }
        if (rc)
            goto done;
        i += l;
    }
    if (!word) {
        *kind = emoji ? TOK_EMOJI : TOK_PUNCT;
        if (*kind == TOK_PUNCT) {
            /* "-" or "--" alone is a pause, not "minus". */
            int dashes = clean.len > 0;

            for (i = 0; i < clean.len; i++)
                if (clean.data[i] != '-' && clean.data[i] != ',' &&
                    clean.data[i] != ' ')
                    dashes = 0;
            rc = avk_buf_adds(out, dashes ? "," : clean.len ? clean.data : "");
        }
        goto done;
    }
    *kind = TOK_WORD;
    if (english) {
        const unsigned char *q = (const unsigned char *)clean.data;

        lead = lead_len(q, clean.len);
        tstart = trail_start(q, clean.len, 0);
        if (tstart < lead)
            tstart = lead;
        /* A closing dot stays with the core so "e.g." and "etc." match;
         * try the core with and without it. */
        {
            size_t tdot = trail_start(q, clean.len, 1);
            const char *tail;
            avk_buf rw;

            if (tdot < lead)
                tdot = lead;
            avk_buf_init(&rw);
            tail = clean.data + tdot;
            r = rewrite_en(clean.data + lead, tdot - lead, tail,
                           clean.len - tdot, next_upper, &rw);
            if (r == 0) {
                avk_buf_reset(&rw);
                tail = clean.data + tstart;
                r = rewrite_en(clean.data + lead, tstart - lead, tail,
                               clean.len - tstart, next_upper, &rw);
                if (r > 0)
                    tdot = tstart;
            }
            if (r < 0) {
                rc = AVK_EX_OSERR;
            } else if (r > 0) {
                /* Keep the punctuation around, minus abbreviation dots. */
                size_t k = tdot;

                if (r == 2)
                    while (k < clean.len && clean.data[k] == '.')
                        k++;
                if (avk_buf_add(out, clean.data, lead) ||
                    avk_buf_add(out, rw.data, rw.len) ||
                    avk_buf_add(out, clean.data + k, clean.len - k))
                    rc = AVK_EX_OSERR;
            } else {
                rc = avk_buf_add(out, clean.data, clean.len);
            }
            avk_buf_release(&rw);
        }
    } else {
        rc = avk_buf_add(out, clean.data, clean.len);
    }
done:
    avk_buf_release(&clean);
    return rc ? AVK_EX_OSERR : 0;
}

static size_t count_cp(const char *s, size_t n)
{
    size_t c = 0;

    if (!s)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

/* ------------------------------------------------------------------ */
/* Synthesis                                                           */

typedef struct synth {
    avk_pcm pcm;     /* espeak rate, mono */
    size_t *ev_pos;  /* 0-based code point of each word event */
    double *ev_t;    /* its time in seconds */
    size_t nev, cap;
    int rate;
    int oom;
} synth;

static int synth_cb(short *wav, int n, espeak_EVENT *ev)
{
    synth *s = NULL;
    espeak_EVENT *e;

    for (e = ev; e; e++) {
        s = e->user_data;
        if (e->type == espeakEVENT_LIST_TERMINATED)
            break;
        if (s && e->type == espeakEVENT_WORD && e->text_position > 0) {
            if (s->nev == s->cap) {
                size_t nc = s->cap ? 2 * s->cap : 64;
                size_t *np = realloc(s->ev_pos, nc * sizeof *np);
                double *nt;

                if (np)
                    s->ev_pos = np;
                nt = np ? realloc(s->ev_t, nc * sizeof *nt) : NULL;
                if (!nt) {
                    s->oom = 1;
                    return 1;
                }
                s->ev_t = nt;
                s->cap = nc;
            }
            s->ev_pos[s->nev] = (size_t)e->text_position - 1;
            s->ev_t[s->nev] = (double)e->sample / s->rate;
            s->nev++;
        }
    }
    if (!s)
        return 0;
    if (wav && n > 0) {
        float tmp[1024];
        int i = 0;

        while (i < n) {
            int k = n - i < 1024 ? n - i : 1024;

            for (int j = 0; j < k; j++)
                tmp[j] = (float)wav[i + j] / 32768.0f;
            if (avk_pcm_append(&s->pcm, tmp, (size_t)k)) {
                s->oom = 1;
                return 1;
            }
            i += k;
        }
    }
    return 0;
}

/* Voiced flags of 5 ms windows of p. */
static unsigned char *voiced_windows(const avk_pcm *p, size_t win,
                                     size_t *nw)
{
    size_t n = p->frames / win + (p->frames % win ? 1 : 0);
    unsigned char *v = calloc(n ? n : 1, 1);
    double thr = pow(10.0, VOICED_DBFS / 10.0);

    if (!v)
        return NULL;
    for (size_t w = 0; w < n; w++) {
        size_t a = w * win, b = a + win < p->frames ? a + win : p->frames;
        double s = 0.0;

        for (size_t i = a; i < b; i++)
            s += (double)p->data[i] * p->data[i];
        v[w] = b > a && s / (double)(b - a) > thr;
    }
    *nw = n;
    return v;
}

typedef struct scene_out {
    size_t keep0, keep1; /* frames of the scene audio to keep */
} scene_out;

/* Scripts written without spaces between words. */
static int is_unspaced(uint32_t c)
{
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x0E00 && c <= 0x0E7F) ||
           (c >= 0x20000 && c <= 0x2FFFF);
}

/* Chinese (and Thai) text has no spaces, so a token may hold many words;
 * espeak-ng reports each.  A word token in such a script that espeak
 * reads unchanged and reports at two or more positions is cut at those
 * positions, so each piece becomes a word.  0 or AVK_EX_OSERR. */
static int split_unspaced(const synth *s, toks *t, const char *text,
                          const avk_buf *sp)
{
    toks nt = {0};
    size_t k, e, i;

    for (k = 0; k < t->n; k++) {
        tok *w = &t->v[k];
        const unsigned char *p = (const unsigned char *)text + w->b0;
        size_t n = w->b1 - w->b0, cuts = 0, l, pos, byte, last = SIZE_MAX;
        int unspaced = 0;
        uint32_t c;

        if (w->kind == TOK_WORD && n == w->sb1 - w->sb0 &&
            memcmp(p, sp->data + w->sb0, n) == 0) {
            for (i = 0; i < n && (l = avk_utf8_dec(p + i, n - i, &c)); i += l)
                if (is_unspaced(c))
                    unspaced = 1;
            for (e = 0; unspaced && e < s->nev; e++)
                if (s->ev_pos[e] > w->c0 && s->ev_pos[e] < w->c1 &&
                    s->ev_pos[e] != last) {
                    last = s->ev_pos[e];
                    cuts++;
                }
        }
        if (!cuts) {
            if (toks_add(&nt, w->b0, w->b1))
                goto oom;
            nt.v[nt.n - 1] = *w;
            continue;
        }
        /* Pieces [c0, cut1), [cut1, cut2), ..., [cutN, c1). */
        pos = w->c0;
        byte = w->b0;
        e = 0;
        while (pos < w->c1) {
            size_t next = w->c1, b = byte, q;

            for (; e < s->nev; e++)
                if (s->ev_pos[e] > pos && s->ev_pos[e] < w->c1) {
                    next = s->ev_pos[e];
                    break;
                }
            for (q = pos; q < next; q++) {
                if (!(l = avk_utf8_dec((const unsigned char *)text + b,
                                   w->b1 - b, &c)))
                    break;
                b += l;
            }
            if (toks_add(&nt, byte, b))
                goto oom;
            nt.v[nt.n - 1].kind = TOK_WORD;
            nt.v[nt.n - 1].c0 = pos;
            nt.v[nt.n - 1].c1 = next;
            nt.v[nt.n - 1].sb0 = w->sb0 + (byte - w->b0);
            nt.v[nt.n - 1].sb1 = w->sb0 + (b - w->b0);
            pos = next;
            byte = b;
        }
    }
    free(t->v);
    *t = nt;
    return 0;
oom:
    free(nt.v);
    return AVK_EX_OSERR;
}

/* Times of the word tokens from the events and the energy; fills
 * keep0/keep1. */
static void time_words(synth *s, toks *t, scene_out *so)
{
    size_t win = (size_t)(WIN_S * s->rate), nw = 0, i, k, e;
    unsigned char *v = voiced_windows(&s->pcm, win, &nw);
    double len = avk_pcm_duration(&s->pcm), wdur = (double)win / s->rate;
    size_t first = SIZE_MAX, last = 0;
    double prev = 0.0;

    /* Event -> token (events and tokens are both in text order). */
    for (e = 0, k = 0; e < s->nev; e++) {
        while (k < t->n && (t->v[k].kind != TOK_WORD ||
                            t->v[k].c1 <= s->ev_pos[e]))
            k++;
        if (k == t->n)
            break;
        if (s->ev_pos[e] >= t->v[k].c0 && !t->v[k].has_start) {
            t->v[k].has_start = 1;
            t->v[k].start = s->ev_t[e];
        }
    }
    /* Words espeak gave no event: start where the previous one did. */
    for (k = 0; k < t->n; k++) {
        if (t->v[k].kind != TOK_WORD)
            continue;
        if (!t->v[k].has_start)
            t->v[k].start = prev;
        if (t->v[k].start < prev)
            t->v[k].start = prev;
        if (t->v[k].start > len)
            t->v[k].start = len;
        prev = t->v[k].start;
    }
    if (v) {
        for (i = 0; i < nw; i++)
            if (v[i]) {
                if (first == SIZE_MAX)
                    first = i;
                last = i;
            }
        /* Starts: the first voiced window before the next word. */
        for (k = 0; k < t->n; k++) {
            size_t nx = k + 1, w0, wb;
            double b;

            if (t->v[k].kind != TOK_WORD || !t->v[k].has_start)
                continue;
            while (nx < t->n && t->v[nx].kind != TOK_WORD)
                nx++;
            b = nx < t->n ? t->v[nx].start : len;
            /* windows that start before b */
            w0 = (size_t)(t->v[k].start / wdur);
            wb = (size_t)ceil(b / wdur - 1e-6);
            for (i = w0; i < wb && i < nw; i++)
                if (v[i]) {
                    double ws = (double)i * wdur;

                    if (ws > t->v[k].start && ws < b)
                        t->v[k].start = ws;
                    break;
                }
        }
        /* Ends: the last voiced window before the next word's start. */
        for (k = 0; k < t->n; k++) {
            size_t nx = k + 1, w0, wb, lastv = SIZE_MAX;
            double b, end;

            if (t->v[k].kind != TOK_WORD)
                continue;
            while (nx < t->n && t->v[nx].kind != TOK_WORD)
                nx++;
            b = nx < t->n ? t->v[nx].start : len;
            /* windows that end by b */
            w0 = (size_t)(t->v[k].start / wdur);
            wb = (size_t)floor(b / wdur + 1e-6);
            for (i = w0; i < wb && i < nw; i++)
                if (v[i])
                    lastv = i;
            end = lastv == SIZE_MAX ? t->v[k].start + 0.05
                                    : (double)(lastv + 1) * wdur;
            if (end > b || b - end < 0.030)
                end = b;
            if (end < t->v[k].start)
                end = t->v[k].start;
            t->v[k].end = end;
        }
    }
    if (!v || first == SIZE_MAX) {
        so->keep0 = 0;
        so->keep1 = s->pcm.frames;
    } else {
        double a = (double)first * wdur - 0.010,
               b = (double)(last + 1) * wdur + 0.050;

        so->keep0 = a > 0 ? (size_t)(a * s->rate) : 0;
        so->keep1 = (size_t)(b * s->rate);
        if (so->keep1 > s->pcm.frames)
            so->keep1 = s->pcm.frames;
        if (so->keep0 > so->keep1)
            so->keep0 = so->keep1;
    }
    free(v);
}

static int lookup_style(const avk_tts_opts *o, style *st, avk_err *err)
{
    const char *name = o->style && *o->style ? o->style : "professional";
    size_t i;

    for (i = 0; i < sizeof styles / sizeof styles[0]; i++)
        if (strcmp(name, styles[i].name) == 0)
            break;
    if (i == sizeof styles / sizeof styles[0])
        return avk_fail(err, AVK_EX_DATAERR,
                        "unknown voice style '%s' (professional, energetic, "
                        "calm)",
                        name);
    *st = styles[i];
    if (o->rate_wpm) {
        if (o->rate_wpm < espeakRATE_MINIMUM ||
            o->rate_wpm > espeakRATE_MAXIMUM)
            return avk_fail(err, AVK_EX_DATAERR,
                            "speech rate %d is out of range (%d..%d words "
                            "per minute)",
                            o->rate_wpm, espeakRATE_MINIMUM,
                            espeakRATE_MAXIMUM);
        st->rate = o->rate_wpm;
    }
    if (o->pitch) {
        if (o->pitch < 1 || o->pitch > 100)
            return avk_fail(err, AVK_EX_DATAERR,
                            "pitch %d is out of range (1..100)", o->pitch);
        st->pitch = o->pitch;
    }
    return 0;
}

/* Tokens of text and the text given to espeak-ng; *any: some token is a
 * word.  0 or AVK_EX_OSERR. */
static int build_spoken(const char *text, int english, toks *t, avk_buf *sp,
                        int *any)
{
    size_t k;
    int rc;

    *any = 0;
    if ((rc = tokenize(text, t)))
        return rc;
    for (k = 0; k < t->n; k++) {
        size_t before = sp->len;
        int next_upper = 1;

        if (k + 1 < t->n) {
            unsigned char c0 = (unsigned char)text[t->v[k + 1].b0];

            next_upper = isupper(c0) || c0 == '"' || c0 >= 0x80;
        }
        if ((rc = spoken_form(text + t->v[k].b0, t->v[k].b1 - t->v[k].b0,
                              english, next_upper, sp, &t->v[k].kind)))
            return rc;
        t->v[k].sb0 = before;
        t->v[k].sb1 = sp->len;
        t->v[k].c0 = count_cp(sp->data ? sp->data : "", before);
        t->v[k].c1 =
            t->v[k].c0 + count_cp(sp->data + before, sp->len - before);
        if (t->v[k].kind == TOK_WORD)
            *any = 1;
        if (sp->len > before && avk_buf_addc(sp, ' '))
            return AVK_EX_OSERR;
    }
    return 0;
}

int avk_tts_speech_text(const char *lang, const char *text, avk_buf *out,
                        avk_err *err)
{
    const char *voice = avk_tts_espeak_voice(lang);
    toks t = {0};
    int any, rc;

    if (!voice)
        return avk_fail(err, AVK_EX_DATAERR, "unknown language '%s'",
                        lang ? lang : "");
    if (!text || !avk_utf8_valid(text))
        return avk_fail(err, AVK_EX_DATAERR, "text is not valid UTF-8");
    avk_buf_reset(out);
    rc = build_spoken(text, strncmp(voice, "en", 2) == 0, &t, out, &any);
    free(t.v);
    if (!rc && out->len && out->data[out->len - 1] == ' ')
        out->data[--out->len] = '\0';
    if (!rc && !out->data && avk_buf_adds(out, ""))
        rc = AVK_EX_OSERR;
    return rc ? avk_fail(err, rc, "out of memory") : 0;
}

/* Speak one scene; appends its audio (trimmed) to all, its words to
 * words, offset by the current length of all. */
static int speak_scene(const char *text, int scene, int english, int rate,
                       avk_pcm *all, avk_words *words, avk_err *err)
{
    toks t = {0};
    synth s;
    scene_out so = {0, 0};
    avk_buf sp, wtext;
    double off = avk_pcm_duration(all);
    size_t k;
    int rc, any = 0;

    memset(&s, 0, sizeof s);
    avk_pcm_init(&s.pcm);
    avk_buf_init(&sp);
    avk_buf_init(&wtext);
    s.rate = rate;
    if (avk_pcm_alloc(&s.pcm, 0, 1, rate) ||
        build_spoken(text, english, &t, &sp, &any))
        goto oom;
    if (any) {
        espeak_ERROR er = espeak_Synth(sp.data, sp.len + 1, 0, POS_CHARACTER,
                                       0, espeakCHARS_UTF8 | espeakENDPAUSE,
                                       NULL, &s);

        if (s.oom)
            goto oom;
        if (er != EE_OK) {
            rc = avk_fail(err, AVK_EX_SOFTWARE,
                          "espeak-ng failed on scene %d", scene + 1);
            goto done;
        }
        if ((rc = split_unspaced(&s, &t, text, &sp)))
            goto oom;
        time_words(&s, &t, &so);
    }
    if (!any || so.keep1 <= so.keep0) {
        /* Nothing to say: a short silence. */
        rc = avk_pcm_append_silence(all, (size_t)(SILENT_SCENE_S * all->rate));
        if (rc)
            goto oom;
        goto done;
    }
    if (avk_pcm_append(all, s.pcm.data + so.keep0, so.keep1 - so.keep0))
        goto oom;
    /* Words, with emoji-only tokens joined to their neighbour. */
    {
        double shift = (double)so.keep0 / rate,
               lim = (double)(so.keep1 - so.keep0) / rate;
        size_t pending = 0; /* bytes of emoji waiting for the next word */
        size_t pend_b0 = 0, nbefore = words ? words->n : 0;

        for (k = 0; k < t.n && words; k++) {
            tok *w = &t.v[k];

            if (w->kind == TOK_EMOJI) {
                if (words->n > nbefore) {
                    /* join to the previous word of this scene */
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
            if (pending &&
                (avk_buf_add(&wtext, text + pend_b0, pending) ||
                 avk_buf_addc(&wtext, ' ')))
                goto oom;
            pending = 0;
            if (avk_buf_add(&wtext, text + w->b0, w->b1 - w->b0))
                goto oom;
            {
                double a = w->start - shift, b = w->end - shift;

                a = a < 0 ? 0 : a > lim ? lim : a;
                b = b < a ? a : b > lim ? lim : b;
                if (avk_words_add(words, wtext.data, wtext.len, off + a,
                                  off + b, scene))
                    goto oom;
            }
        }
    }
    goto done;
oom:
    rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
done:
    free(t.v);
    free(s.ev_pos);
    free(s.ev_t);
    avk_pcm_release(&s.pcm);
    avk_buf_release(&sp);
    avk_buf_release(&wtext);
    return rc;
}

int avk_tts_espeak(const avk_tts_opts *o, const char *const *scenes,
                   size_t nscenes, avk_pcm *out, avk_words *words,
                   double *scene_start, double *scene_end, avk_err *err)
{
    avk_tts_opts def;
    const char *voice;
    style st = styles[0];
    double pause, target, ceiling;
    int rc = 0, english;
    size_t i;

    avk_pcm_release(out);
    if (words)
        avk_words_release(words);
    if (!o) {
        avk_tts_opts_init(&def);
        o = &def;
    }
    if ((rc = lookup_style(o, &st, err)))
        return rc;
    voice = o->voice && *o->voice ? o->voice : avk_tts_espeak_voice(o->lang);
    if (!voice)
        return avk_fail(err, AVK_EX_DATAERR,
                        "unknown language '%s' for espeak-ng (e.g. en, es, "
                        "de, fr, pt, it, hi, ar, zh, ja)",
                        o->lang);
    english = strncmp(voice, "en", 2) == 0;
    for (i = 0; i < nscenes; i++)
        if (!scenes[i] || !avk_utf8_valid(scenes[i]))
            return avk_fail(err, AVK_EX_DATAERR,
                            "scene %zu text is not valid UTF-8", i + 1);
    pause = o->scene_pause_s < 0 ? 0.4 : o->scene_pause_s;
    if (pause > 10.0)
        pause = 10.0;
    target = o->target_lufs != 0.0 ? o->target_lufs : -16.0;
    ceiling = o->max_true_peak_dbtp != 0.0 ? o->max_true_peak_dbtp : -1.5;

    pthread_once(&es_once, es_init);
    pthread_mutex_lock(&es_lock);
    if (es_rate <= 0) {
        rc = avk_fail(err, AVK_EX_UNAVAILABLE,
                      "cannot start espeak-ng (is espeak-ng-data "
                      "installed?)");
        goto unlock;
    }
    espeak_SetSynthCallback(synth_cb);
    if (set_voice(voice) != 0) {
        rc = avk_fail(err, AVK_EX_DATAERR, "unknown espeak-ng voice '%s'",
                      voice);
        goto unlock;
    }
    espeak_SetParameter(espeakRATE, st.rate, 0);
    espeak_SetParameter(espeakPITCH, st.pitch, 0);
    espeak_SetParameter(espeakRANGE, st.range, 0);
    espeak_SetParameter(espeakPUNCTUATION, espeakPUNCT_NONE, 0);
    espeak_SetParameter(espeakWORDGAP, 0, 0);
    if ((rc = avk_pcm_alloc(out, 0, 1, es_rate))) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto unlock;
    }
    for (i = 0; i < nscenes; i++) {
        if (i > 0 &&
            avk_pcm_append_silence(out, (size_t)(pause * es_rate + 0.5))) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        if (scene_start)
            scene_start[i] = avk_pcm_duration(out);
        if ((rc = speak_scene(scenes[i], (int)i, english, es_rate, out,
                              words, err)))
            break;
        if (scene_end)
            scene_end[i] = avk_pcm_duration(out);
    }
unlock:
    pthread_mutex_unlock(&es_lock);
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
