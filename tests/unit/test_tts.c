/*
 * test_tts.c - espeak-ng speech: word timings (monotonic, inside the
 * audio, one per spoken word), text normalisation (numbers,
 * abbreviations, emoji, punctuation-only scenes), levels, errors, and a
 * measurement of the word-boundary accuracy against the audio itself.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tts.h"

typedef struct run {
    avk_pcm pcm;
    avk_words w;
    double ss[8], se[8];
    avk_err err;
    int rc;
} run;

static void speak(run *r, const avk_tts_opts *o, const char *const *sc,
                  size_t n)
{
    r->rc = avk_tts_espeak(o, sc, n, &r->pcm, &r->w, r->ss, r->se, &r->err);
    if (r->rc)
        printf("# error: %s\n", r->err.msg);
}

static void run_init(run *r)
{
    memset(r, 0, sizeof *r);
    avk_pcm_init(&r->pcm);
    avk_words_init(&r->w);
}

static void run_release(run *r)
{
    avk_pcm_release(&r->pcm);
    avk_words_release(&r->w);
}

static void dump(const run *r)
{
    for (size_t i = 0; i < r->w.n; i++)
        printf("#   %-12s %7.3f %7.3f  scene %d\n", r->w.v[i].text,
               r->w.v[i].start, r->w.v[i].end, r->w.v[i].scene);
}

/* start <= end <= next start, all inside [0, duration]. */
static int timings_sane(const run *r)
{
    double dur = avk_pcm_duration(&r->pcm), prev = 0;

    for (size_t i = 0; i < r->w.n; i++) {
        const avk_word *w = &r->w.v[i];

        if (w->start < prev - 1e-9 || w->end < w->start || w->end > dur)
            return 0;
        if (i + 1 < r->w.n && w->end > r->w.v[i + 1].start + 1e-9)
            return 0;
        prev = w->end;
    }
    return 1;
}

static int texts_are(const run *r, const char *const *want, size_t n)
{
    if (r->w.n != n) {
        printf("#   %zu words, want %zu\n", r->w.n, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(r->w.v[i].text, want[i]) != 0) {
            printf("#   word %zu is '%s', want '%s'\n", i, r->w.v[i].text,
                   want[i]);
            return 0;
        }
    return 1;
}

static void test_basic(void)
{
    const char *sc[] = {"Five habits of productive people.",
                        "Number one: wake up early!"};
    const char *want[] = {"Five", "habits", "of", "productive", "people.",
                          "Number", "one:", "wake", "up", "early!"};
    run r;
    avk_loudness m;
    int loud = 1;

    run_init(&r);
    speak(&r, NULL, sc, 2);
    is_int(r.rc, 0, "speak two scenes");
    ok(r.pcm.rate == 48000 && r.pcm.channels == 1, "48 kHz mono");
    ok(texts_are(&r, want, 10), "one entry per word, as written");
    ok(timings_sane(&r), "timings monotonic and inside the audio");
    if (!timings_sane(&r))
        dump(&r);
    ok(r.ss[0] == 0.0 && r.se[0] < r.ss[1] && r.se[1] <= avk_pcm_duration(&r.pcm) + 1e-9,
       "scene spans in order (%.2f-%.2f, %.2f-%.2f)", r.ss[0], r.se[0],
       r.ss[1], r.se[1]);
    ok(fabs(r.ss[1] - r.se[0] - 0.4) < 0.01, "default scene pause 0.4 s");
    ok(r.w.v[0].scene == 0 && r.w.v[9].scene == 1, "words know their scene");
    avk_loudness_measure(&r.pcm, &m);
    ok(fabs(m.integrated_lufs + 16.0) <= 0.5, "loudness %.2f LUFS",
       m.integrated_lufs);
    ok(m.true_peak_dbtp <= -1.5, "true peak %.2f dBTP", m.true_peak_dbtp);
    for (size_t i = 0; i < r.w.n; i++) {
        double l = avk_pcm_rms_dbfs(&r.pcm, r.w.v[i].start, r.w.v[i].end);

        if (!(l > -30.0)) {
            printf("#   '%s' at %.1f dBFS\n", r.w.v[i].text, l);
            loud = 0;
        }
    }
    ok(loud, "every word's span is clearly voiced (> -30 dBFS RMS)");
    ok(avk_pcm_rms_dbfs(&r.pcm, r.se[0] + 0.05, r.ss[1] - 0.05) < -80.0,
       "the scene pause is silent (%.1f dBFS)",
       avk_pcm_rms_dbfs(&r.pcm, r.se[0] + 0.05, r.ss[1] - 0.05));
    {
        /* ratio of voiced 20 ms windows inside scene 0 */
        size_t v = 0, n = 0;

        for (double t = r.ss[0]; t + 0.02 <= r.se[0]; t += 0.02, n++)
            if (avk_pcm_rms_dbfs(&r.pcm, t, t + 0.02) > -45.0)
                v++;
        ok(n && (double)v / n > 0.6 && (double)v / n < 1.0,
           "voiced frames %.0f %% of the scene", 100.0 * v / (n ? n : 1));
    }
    run_release(&r);
}

static void test_normalisation(void)
{
    const char *sc[] = {"Dr. Smith paid $1,250 for 3 books, e.g. novels.",
                        "\xF0\x9F\x94\xA5\xF0\x9F\x94\xA5", "... !", "",
                        "\xF0\x9F\x8E\x89 Wow \xF0\x9F\x8E\x89 amazing!"};
    const char *want[] = {"Dr.",   "Smith",  "paid",
                          "$1,250", "for",   "3",
                          "books,", "e.g.",  "novels.",
                          "\xF0\x9F\x8E\x89 Wow \xF0\x9F\x8E\x89",
                          "amazing!"};
    run r;

    run_init(&r);
    speak(&r, NULL, sc, 5);
    is_int(r.rc, 0, "numbers, abbreviations, emoji, punctuation scenes");
    ok(texts_are(&r, want, 11), "words as written, emoji joined");
    if (r.w.n != 11)
        dump(&r);
    ok(timings_sane(&r), "timings sane");
    ok(fabs(r.se[1] - r.ss[1] - 0.25) < 0.01 &&
           fabs(r.se[2] - r.ss[2] - 0.25) < 0.01 &&
           fabs(r.se[3] - r.ss[3] - 0.25) < 0.01,
       "emoji-only, punctuation-only and empty scenes: 0.25 s silences");
    /* "$1,250" is spoken as several words: it takes much longer than
     * "for". */
    if (r.w.n == 11)
        ok(r.w.v[3].end - r.w.v[3].start > 3 * (r.w.v[4].end - r.w.v[4].start),
           "the amount is read out (%.2f s)", r.w.v[3].end - r.w.v[3].start);
    else
        ok(0, "the amount is read out");
    /* "Dr." must not end a sentence: no pause before "Smith". */
    if (r.w.n == 11)
        ok(r.w.v[1].start - r.w.v[0].end < 0.03,
           "no sentence pause after 'Dr.' (%.3f s)",
           r.w.v[1].start - r.w.v[0].end);
    else
        ok(0, "no sentence pause after 'Dr.'");
    run_release(&r);
}

static void test_languages(void)
{
    /* Multi-byte text: text_position counts code points, not bytes. */
    const char *es[] = {"Hola, \xC2\xBF" "c\xC3\xB3mo est\xC3\xA1s? Ni\xC3\xB1o peque\xC3\xB1o."};
    const char *hi[] = {"\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0"
                        "\xA4\xA4\xE0\xA5\x87 \xE0\xA4\xA6\xE0\xA5\x81\xE0"
                        "\xA4\xA8\xE0\xA4\xBF\xE0\xA4\xAF\xE0\xA4\xBE "
                        "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D"
                        "\xE0\xA4\xA4\xE0\xA5\x87"};
    avk_tts_opts o;
    run r;
    int distinct = 1;

    avk_tts_opts_init(&o);
    run_init(&r);
    o.lang = "es";
    speak(&r, &o, es, 1);
    ok(r.rc == 0 && r.w.n == 5 && timings_sane(&r), "Spanish: 5 words");
    for (size_t i = 1; i < r.w.n; i++)
        if (r.w.v[i].start <= r.w.v[i - 1].start)
            distinct = 0;
    ok(distinct && r.w.n == 5, "each with its own start");
    if (!distinct)
        dump(&r);
    o.lang = "hi";
    speak(&r, &o, hi, 1);
    if (!ok(r.rc == 0 && r.w.n == 3 && timings_sane(&r) &&
                r.w.v[1].start > r.w.v[0].start + 0.1 &&
                r.w.v[2].start > r.w.v[1].start + 0.1,
            "Hindi: 3 words with distinct starts"))
        dump(&r);
    o.lang = "zh";
    speak(&r, &o,
          (const char *const[]){"\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96"
                                "\xE7\x95\x8C\xE3\x80\x82"},
          1);
    if (!ok(r.rc == 0 && r.w.n == 4 && timings_sane(&r) &&
                strcmp(r.w.v[3].text, "\xE7\x95\x8C\xE3\x80\x82") == 0 &&
                r.w.v[3].start > r.w.v[2].start,
            "Chinese without spaces: one word per character"))
        dump(&r);
    o.lang = "pt-BR";
    speak(&r, &o, (const char *const[]){"Bom dia."}, 1);
    ok(r.rc == 0 && r.w.n == 2, "pt-BR");
    is_str(avk_tts_espeak_voice("zh"), "cmn", "zh maps to cmn");
    is_str(avk_tts_espeak_voice("de-AT"), "de", "de-AT falls back to de");
    ok(avk_tts_espeak_voice("xx") == NULL, "xx is unknown");
    ok(avk_tts_espeak_has_voice("en") && avk_tts_espeak_has_voice("en-us+f3") &&
           !avk_tts_espeak_has_voice("Rachel") && !avk_tts_espeak_has_voice("Alex") &&
           avk_tts_espeak_has_voice("en-GB"),
       "espeak voice names known or not");
    {
        /* every language in the table has a working voice */
        static const char *langs[] = {"en", "en-GB", "es", "es-419", "de",
                                      "fr", "fr-BE", "pt", "pt-PT", "it",
                                      "hi", "ar", "zh", "yue", "ja", "ko",
                                      "ru", "nb", "uk", "vi", "th"};
        int all = 1;

        for (size_t i = 0; i < sizeof langs / sizeof *langs; i++)
            if (!avk_tts_espeak_has_voice(avk_tts_espeak_voice(langs[i]))) {
                printf("#   %s -> %s missing\n", langs[i],
                       avk_tts_espeak_voice(langs[i]));
                all = 0;
            }
        ok(all, "every mapped language loads");
    }
    run_release(&r);
}

static void test_errors(void)
{
    const char *sc[] = {"Hello."};
    const char *bad[] = {"caf\xC3"};
    avk_tts_opts o;
    run r;

    run_init(&r);
    avk_tts_opts_init(&o);
    o.lang = "xx";
    r.rc = avk_tts_espeak(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err);
    ok(r.rc == AVK_EX_DATAERR && strstr(r.err.msg, "'xx'"),
       "unknown language: %s", r.err.msg);
    avk_tts_opts_init(&o);
    o.style = "shouty";
    r.rc = avk_tts_espeak(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err);
    ok(r.rc == AVK_EX_DATAERR && strstr(r.err.msg, "'shouty'"),
       "unknown style: %s", r.err.msg);
    avk_tts_opts_init(&o);
    o.rate_wpm = 20;
    r.rc = avk_tts_espeak(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err);
    ok(r.rc == AVK_EX_DATAERR, "rate out of range: %s", r.err.msg);
    avk_tts_opts_init(&o);
    o.voice = "no-such-voice";
    r.rc = avk_tts_espeak(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err);
    ok(r.rc == AVK_EX_DATAERR, "unknown voice: %s", r.err.msg);
    r.rc = avk_tts_espeak(NULL, bad, 1, &r.pcm, &r.w, NULL, NULL, &r.err);
    ok(r.rc == AVK_EX_DATAERR && r.pcm.frames == 0 && r.w.n == 0,
       "invalid UTF-8: %s", r.err.msg);
    r.rc = avk_tts_espeak(NULL, NULL, 0, &r.pcm, &r.w, NULL, NULL, &r.err);
    ok(r.rc == 0 && r.pcm.frames > 0 && r.w.n == 0, "no scenes: a blip");
    run_release(&r);
}

static void test_styles(void)
{
    const char *sc[] = {"This sentence is spoken in three different styles."};
    avk_tts_opts o;
    run r;
    double d[3];
    const char *names[] = {"calm", "professional", "energetic"};

    run_init(&r);
    for (int i = 0; i < 3; i++) {
        avk_tts_opts_init(&o);
        o.style = names[i];
        speak(&r, &o, sc, 1);
        d[i] = r.rc ? 0 : r.se[0] - r.ss[0];
    }
    ok(d[0] > d[1] && d[1] > d[2] && d[2] > 0,
       "calm %.2f s > professional %.2f s > energetic %.2f s", d[0], d[1],
       d[2]);
    avk_tts_opts_init(&o);
    o.style = "energetic";
    o.rate_wpm = 140;
    speak(&r, &o, sc, 1);
    ok(r.rc == 0 && fabs((r.se[0] - r.ss[0]) - d[0]) < 0.25 * d[0],
       "rate_wpm overrides the style (%.2f s)", r.se[0] - r.ss[0]);
    o.scene_pause_s = 1.0;
    speak(&r, &o, (const char *const[]){"One.", "Two."}, 2);
    ok(r.rc == 0 && fabs(r.ss[1] - r.se[0] - 1.0) < 0.01,
       "scene pause 1.0 s");
    run_release(&r);
}

/* Word-boundary accuracy where the audio shows the truth: at pauses.  The
 * reference is a 1 ms energy scan of the final 48 kHz audio (anything
 * above -60 dBFS is sound): the true end of a word before a pause and the
 * true onset of the word after it. */
static void test_accuracy(void)
{
    const char *sc[] = {
        "First, we start. Then, we pause; and after that, we continue. "
        "Really? Yes! Seven, eight, nine, ten."};
    run r;
    double maxe = 0, sume = 0, maxs = 0, sums = 0;
    int ne = 0, ns = 0;

    run_init(&r);
    speak(&r, NULL, sc, 1);
    ok(r.rc == 0 && timings_sane(&r), "accuracy text spoken");
    for (size_t i = 0; r.rc == 0 && i + 1 < r.w.n; i++) {
        const avk_word *w = &r.w.v[i], *nx = &r.w.v[i + 1];
        double t, tend = -1, tstart = -1;

        if (nx->start - w->end < 0.1)
            continue; /* no pause here */
        /* true end: where the first 90 ms of silence after the word's
         * start begins (longer than a stop closure; the resampler's
         * ringing keeps the last ms before the next onset above the
         * threshold) */
        {
            double run0 = -1;

            for (int k = 0; (t = w->start + k * 0.001) < nx->start; k++) {
                if (avk_pcm_rms_dbfs(&r.pcm, t, t + 0.001) > -60.0)
                    run0 = -1;
                else if (run0 < 0)
                    run0 = t;
                if (run0 >= 0 && t + 0.001 - run0 >= 0.090) {
                    tend = run0;
                    break;
                }
            }
        }
        /* true onset: the first sounding ms after that silence */
        for (int k = 0;
             (t = (tend > 0 ? tend + 0.09 : w->end) + k * 0.001) <
             nx->start + 0.2;
             k++)
            if (avk_pcm_rms_dbfs(&r.pcm, t, t + 0.001) > -60.0) {
                tstart = t;
                break;
            }
        if (tend > 0) {
            double e = fabs(tend - w->end);

            sume += e;
            maxe = e > maxe ? e : maxe;
            ne++;
        }
        if (tstart > 0) {
            double e = fabs(tstart - nx->start);

            sums += e;
            maxs = e > maxs ? e : maxs;
            ns++;
        }
    }
    printf("# word ends before pauses: %d, mean error %.1f ms, max %.1f ms\n",
           ne, ne ? 1000 * sume / ne : 0.0, 1000 * maxe);
    printf("# word starts after pauses: %d, mean error %.1f ms, max %.1f ms\n",
           ns, ns ? 1000 * sums / ns : 0.0, 1000 * maxs);
    ok(ne >= 6 && maxe < 0.05, "word ends within 50 ms of the audio");
    ok(ns >= 6 && maxs < 0.05, "word starts within 50 ms of the audio");
    run_release(&r);
}

static void test_speech_text(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Dr. Smith paid $1,250.", "Doctor Smith paid 1,250 dollars."},
        {"e.g. this, i.e. that", "for example this, that is that"},
        {"Tools etc. Then more.", "Tools et cetera. Then more."},
        {"Great \xF0\x9F\x94\xA5 news", "Great news"},
        {"5-10 minutes, #1 tip", "5 to 10 minutes, number 1 tip"},
        {"you & me \xE2\x80\x94 10k users", "you and me , 10 thousand users"},
        {"#productivity @someone", "productivity someone"},
        {"$1 bill", "1 dollar bill"},
        {"$9.99 or \xC2\xA3" "3.20", "9 dollars and 99 cents or 3 pounds and 20 pence"},
        {"In 2026, 10x more; 1500 of ~5 min 1/2", "In 20 26, 10 times more; 1500 of about 5 min one half"},
    };
    avk_buf b;
    avk_err err;

    avk_buf_init(&b);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = avk_tts_speech_text("en", cases[i].in, &b, &err);

        ok(rc == 0 && strcmp(b.data, cases[i].out) == 0, "speech text '%s'",
           cases[i].out);
        if (rc == 0 && strcmp(b.data, cases[i].out) != 0)
            printf("#   got '%s'\n", b.data);
    }
    avk_tts_speech_text("de", "Dr. M\xC3\xBCller", &b, &err);
    is_str(b.data, "Dr. M\xC3\xBCller", "no English rewriting in German");
    avk_buf_release(&b);
}

/* Random mixes of the awkward pieces: the text rewriting never breaks
 * (sanitizers watch), and a few of them are spoken with sane timings. */
static void test_random_text(void)
{
    static const char *parts[] = {
        "Dr.", "e.g.", "$", "5", "1,250", "-", "\xE2\x80\x94", "&", "#",
        "@", "%", "k", ".", ",", "...", "?", " ", " ", " ", "word",
        "\xF0\x9F\x94\xA5", "\xE2\x9D\xA4\xEF\xB8\x8F", "\xC3\xA9",
        "\xE4\xBD\xA0", "\"", "(", ")", "etc.", "24/7", "\t", "\n"};
    unsigned seed = 12345;
    char text[256];
    avk_buf b;
    avk_err err;
    int fails = 0, spoken_ok = 1;
    run r;

    avk_buf_init(&b);
    run_init(&r);
    for (int i = 0; i < 3000; i++) {
        size_t len = 0;
        int n = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;

        text[0] = '\0';
        for (int j = 0; j < n; j++) {
            const char *p = parts[((seed = seed * 1103515245u + 12345u) >>
                                   16) %
                                  (sizeof parts / sizeof parts[0])];

            if (len + strlen(p) + 1 < sizeof text) {
                memcpy(text + len, p, strlen(p) + 1);
                len += strlen(p);
            }
        }
        if (avk_tts_speech_text("en", text, &b, &err))
            fails++;
        if (i % 600 == 0) {
            const char *sc[] = {text};

            speak(&r, NULL, sc, 1);
            if (r.rc || !timings_sane(&r))
                spoken_ok = 0;
        }
    }
    ok(fails == 0, "3000 random texts rewritten");
    ok(spoken_ok, "5 of them spoken with sane timings");
    avk_buf_release(&b);
    run_release(&r);
}

static void *speak_thread(void *arg)
{
    run *r = arg;
    const char *sc[] = {"Two threads speak at once."};

    speak(r, NULL, sc, 1);
    return NULL;
}

/* espeak-ng has global state: concurrent calls must be serialised. */
static void test_threads(void)
{
    pthread_t th[2];
    run r[2];

    for (int i = 0; i < 2; i++) {
        run_init(&r[i]);
        pthread_create(&th[i], NULL, speak_thread, &r[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    ok(r[0].rc == 0 && r[1].rc == 0 && r[0].w.n == 5 && r[1].w.n == 5 &&
           r[0].pcm.frames == r[1].pcm.frames,
       "two threads get identical results (%zu, %zu frames)",
       r[0].pcm.frames, r[1].pcm.frames);
    for (int i = 0; i < 2; i++)
        run_release(&r[i]);
}

/* The one long synthesis: ~150 words at 150 wpm. */
static void test_long(void)
{
    static const char *sent[] = {
        "Productive people plan their day before it begins.",
        "They keep their phones away during deep work.",
        "Short breaks help them stay focused for hours.",
        "They write down every idea so nothing gets lost.",
        "Saying no to small requests protects their time.",
        "They review their goals at the end of each week.",
    };
    char text[4096] = "";
    size_t words = 0, len = 0;
    avk_tts_opts o;
    run r;
    const char *sc[1];

    for (int i = 0; words < 150; i++) {
        const char *s = sent[i % 6];

        len += (size_t)snprintf(text + len, sizeof text - len, "%s ", s);
        for (const char *p = s; *p; p++)
            if (*p == ' ')
                words++;
        words++;
    }
    sc[0] = text;
    avk_tts_opts_init(&o);
    o.rate_wpm = 150;
    run_init(&r);
    speak(&r, &o, sc, 1);
    ok(r.rc == 0 && r.w.n == words, "%zu words timed", r.w.n);
    ok(avk_pcm_duration(&r.pcm) >= 50.0 && avk_pcm_duration(&r.pcm) <= 70.0,
       "%zu words at 150 wpm last %.1f s", words, avk_pcm_duration(&r.pcm));
    ok(timings_sane(&r), "long timings sane");
    run_release(&r);
}

int main(void)
{
    test_speech_text();
    test_random_text();
    test_basic();
    test_threads();
    test_normalisation();
    test_languages();
    test_errors();
    test_styles();
    test_accuracy();
    test_long();
    return tap_done();
}
