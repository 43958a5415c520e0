/*
 * test_tts_flite.c - flite speech: the text given to flite (emoji,
 * typography, accents, abbreviations), word timings (monotonic, inside
 * the audio, one per written word, numbers and amounts kept as one word),
 * scene spans and silent scenes, levels, every voice, rate and pitch,
 * errors, concurrent callers, and the word-boundary accuracy measured
 * against the audio itself.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tts_flite.h"

typedef struct run {
    avk_pcm pcm;
    avk_words w;
    double ss[8], se[8];
    avk_err err;
    int rc;
} run;

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

static void speak(run *r, const avk_tts_opts *o, const char *const *sc,
                  size_t n)
{
    r->rc = avk_tts_flite(o, sc, n, &r->pcm, &r->w, r->ss, r->se, &r->err);
    if (r->rc)
        printf("# error: %s\n", r->err.msg);
}

static void dump(const run *r)
{
    for (size_t i = 0; i < r->w.n; i++)
        printf("#   %-14s %7.3f %7.3f  scene %d\n", r->w.v[i].text,
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
        prev = w->end;
    }
    return 1;
}

static int texts_are(const run *r, const char *const *want, size_t n)
{
    if (r->w.n != n) {
        printf("#   %zu words, want %zu\n", r->w.n, n);
        dump(r);
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

static void test_text(void)
{
    static const struct {
        const char *in, *want;
    } c[] = {
        {"Hello world.", "Hello world."},
        {"Fire \xf0\x9f\x94\xa5 now", "Fire now"},
        {"e.g. this, i.e. that, cats vs. dogs", "for example this, that is "
                                                "that, cats versus dogs"},
        {"Tea & cake", "Tea and cake"},
        {"#1 pick, 10x faster, ~5 min, 10k views",
         "number 1 pick, 10 times faster, about 5 min, 10 thousand views"},
        {"Caf\xc3\xa9 cr\xc3\xa8me", "Cafe creme"},
        {"wait\xe2\x80\x94now", "wait , now"},
        {"\xe2\x80\x9cquoted\xe2\x80\x9d it\xe2\x80\x99s",
         "\"quoted\" it's"},
        {"\xe2\x82\xac" "5 and \xc2\xa3" "3.50", "5 euros and 3.50 pounds"},
        {"and so on etc. Next", "and so on et cetera. Next"},
        {"etc. and more", "et cetera and more"},
        {"(e.g. yes)", "(for example yes)"},
        {"\xe4\xbd\xa0\xe5\xa5\xbd ok", "ok"},
        {"...", "..."},
        {"wait \xe2\x80\x94 now", "wait, now"},
        {"Stop ! Now ?? \xc2\xbf \\ | ~ ^", "Stop! Now??"},
        {"25 \xc2\xb0 today", "25 degrees today"},
        {"", ""},
    };
    avk_buf b;
    avk_err err = {0, ""};

    avk_buf_init(&b);
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        int rc = avk_tts_flite_text(c[i].in, &b, &err);

        ok(rc == 0 && strcmp(b.data, c[i].want) == 0, "flite text of '%s'",
           c[i].in);
        if (rc == 0 && strcmp(b.data, c[i].want) != 0)
            printf("#   got '%s', want '%s'\n", b.data, c[i].want);
    }
    is_int(avk_tts_flite_text("bad \xff byte", &b, &err), AVK_EX_DATAERR,
           "invalid UTF-8: DATAERR");
    avk_buf_release(&b);
    ok(avk_tts_flite_has_voice("slt") && avk_tts_flite_has_voice("rms") &&
           avk_tts_flite_has_voice("awb") && avk_tts_flite_has_voice("kal"),
       "four voices");
    ok(!avk_tts_flite_has_voice("en-us") && !avk_tts_flite_has_voice(NULL) &&
           !avk_tts_flite_has_voice(""),
       "other names are not flite voices");
    ok(avk_tts_flite_lang_ok("en") && avk_tts_flite_lang_ok("en-GB") &&
           avk_tts_flite_lang_ok("EN_us") && avk_tts_flite_lang_ok(NULL),
       "English tags");
    ok(!avk_tts_flite_lang_ok("es") && !avk_tts_flite_lang_ok("eng") &&
           !avk_tts_flite_lang_ok("e"),
       "other tags");
}

static void test_basic(void)
{
    const char *sc[] = {
        "Hello, \"world\"! I have 42 cats (and $9.99) in 2026, Dr. Smith... "
        "e.g. NASA \xe2\x80\x94 done. \xf0\x9f\x94\xa5",
        "...",
        "\xf0\x9f\x9a\x80 Number one: 10x faster & #1 in 1,250 tries."};
    const char *want[] = {
        "Hello,", "\"world\"!", "I",        "have",  "42",   "cats",
        "(and",   "$9.99)",     "in",       "2026,", "Dr.",  "Smith...",
        "e.g.",   "NASA",       "done. \xf0\x9f\x94\xa5",
        "\xf0\x9f\x9a\x80 Number", "one:", "10x", "faster", "&", "#1", "in",
        "1,250",  "tries."};
    size_t nw = sizeof want / sizeof want[0];
    run r;
    avk_loudness m;
    int loud = 1;

    run_init(&r);
    speak(&r, NULL, sc, 3);
    is_int(r.rc, 0, "speak three scenes");
    ok(r.pcm.rate == 48000 && r.pcm.channels == 1, "48 kHz mono");
    ok(texts_are(&r, want, nw), "one entry per written word");
    ok(timings_sane(&r), "timings monotonic and inside the audio");
    if (!timings_sane(&r))
        dump(&r);
    ok(r.ss[0] == 0.0 && r.se[0] < r.ss[1] && r.se[1] < r.ss[2] &&
           r.se[2] <= avk_pcm_duration(&r.pcm) + 1e-9,
       "scene spans in order");
    ok(fabs(r.se[1] - r.ss[1] - 0.25) < 0.01,
       "the punctuation-only scene is 0.25 s of silence");
    ok(fabs(r.ss[1] - r.se[0] - 0.4) < 0.01, "default scene pause 0.4 s");
    ok(r.w.n == nw && r.w.v[14].scene == 0 && r.w.v[15].scene == 2,
       "words know their scene");
    /* "42" is "forty two", "$9.99) " five words: one span each */
    ok(r.w.n == nw && r.w.v[4].end - r.w.v[4].start > 0.3 &&
           r.w.v[7].end - r.w.v[7].start > 1.0,
       "a number's span covers all its spoken words (%.2f s, %.2f s)",
       r.w.n == nw ? r.w.v[4].end - r.w.v[4].start : 0,
       r.w.n == nw ? r.w.v[7].end - r.w.v[7].start : 0);
    avk_loudness_measure(&r.pcm, &m);
    ok(fabs(m.integrated_lufs + 16.0) <= 0.5, "loudness %.2f LUFS",
       m.integrated_lufs);
    ok(m.true_peak_dbtp <= -1.5, "true peak %.2f dBTP", m.true_peak_dbtp);
    for (size_t i = 0; i < r.w.n; i++) {
        double l = avk_pcm_rms_dbfs(&r.pcm, r.w.v[i].start, r.w.v[i].end);

        if (!(l > -35.0)) {
            printf("#   '%s' at %.1f dBFS\n", r.w.v[i].text, l);
            loud = 0;
        }
    }
    ok(loud, "every word's span is voiced (> -35 dBFS RMS)");
    ok(avk_pcm_rms_dbfs(&r.pcm, r.se[0] + 0.01, r.ss[2] - 0.01) < -80.0,
       "scene pauses are silent");
    run_release(&r);
}

static void test_voices(void)
{
    static const char *const names[] = {"slt", "rms", "awb", "kal"};
    const char *sc[] = {"Plan the day before it starts."};

    for (size_t i = 0; i < 4; i++) {
        avk_tts_opts o;
        run r;

        avk_tts_opts_init(&o);
        o.voice = names[i];
        run_init(&r);
        speak(&r, &o, sc, 1);
        ok(r.rc == 0 && r.w.n == 6 && timings_sane(&r) &&
               r.pcm.rate == 48000 &&
               avk_pcm_rms_dbfs(&r.pcm, 0, avk_pcm_duration(&r.pcm)) > -30,
           "voice %s: %.2f s, %zu words", names[i],
           avk_pcm_duration(&r.pcm), r.w.n);
        run_release(&r);
    }
}

static void test_options(void)
{
    const char *sc[] = {"Small changes add up to big results over time, "
                        "so start with one habit today."};
    avk_tts_opts o;
    run a, b, c;
    double da, db;

    avk_tts_opts_init(&o);
    run_init(&a);
    run_init(&b);
    run_init(&c);
    o.rate_wpm = 120;
    speak(&a, &o, sc, 1);
    o.rate_wpm = 240;
    speak(&b, &o, sc, 1);
    da = avk_pcm_duration(&a.pcm);
    db = avk_pcm_duration(&b.pcm);
    ok(a.rc == 0 && b.rc == 0 && da / db > 1.6 && da / db < 2.4,
       "rate 120 vs 240 wpm: %.2f s vs %.2f s", da, db);
    /* 15 words at 120 wpm: about 7.5 s */
    ok(da > 6.0 && da < 9.5, "120 wpm is about right (%.2f s)", da);
    o.rate_wpm = 0;
    o.pitch = 90;
    o.style = "energetic";
    speak(&c, &o, sc, 1);
    ok(c.rc == 0 && c.w.n == 15, "pitch and style accepted");
    run_release(&c);
    run_init(&c);
    o.pitch = 0;
    o.style = "calm";
    o.scene_pause_s = 1.0;
    speak(&c, &o, (const char *const[]){"One.", "Two."}, 2);
    ok(c.rc == 0 && fabs(c.ss[1] - c.se[0] - 1.0) < 0.01,
       "scene pause 1.0 s");
    run_release(&a);
    run_release(&b);
    run_release(&c);
}

static void test_errors(void)
{
    const char *sc[] = {"Hello."};
    avk_tts_opts o;
    run r;

    run_init(&r);
    avk_tts_opts_init(&o);
    o.voice = "en-us";
    r.rc = avk_tts_flite(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err);
    is_int(r.rc, AVK_EX_DATAERR, "unknown voice: DATAERR");
    ok(strstr(r.err.msg, "'en-us'") && strstr(r.err.msg, "slt"),
       "the message names the voice and the choices: %s", r.err.msg);
    avk_tts_opts_init(&o);
    o.lang = "de";
    r.rc = avk_tts_flite(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err);
    is_int(r.rc, AVK_EX_UNAVAILABLE, "German: UNAVAILABLE");
    ok(strstr(r.err.msg, "'de'") != NULL, "the message names the language");
    avk_tts_opts_init(&o);
    o.style = "shouty";
    is_int(avk_tts_flite(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err),
           AVK_EX_DATAERR, "unknown style: DATAERR");
    avk_tts_opts_init(&o);
    o.rate_wpm = 20;
    is_int(avk_tts_flite(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err),
           AVK_EX_DATAERR, "rate out of range: DATAERR");
    avk_tts_opts_init(&o);
    o.pitch = 101;
    is_int(avk_tts_flite(&o, sc, 1, &r.pcm, &r.w, NULL, NULL, &r.err),
           AVK_EX_DATAERR, "pitch out of range: DATAERR");
    is_int(avk_tts_flite(NULL, (const char *const[]){"bad \xc3"}, 1, &r.pcm,
                         &r.w, NULL, NULL, &r.err),
           AVK_EX_DATAERR, "invalid UTF-8: DATAERR");
    ok(r.pcm.frames == 0 && r.w.n == 0, "nothing left after an error");
    is_int(avk_tts_flite(NULL, NULL, 0, &r.pcm, &r.w, NULL, NULL, &r.err), 0,
           "no scenes");
    ok(r.pcm.frames == 4800 && r.w.n == 0, "no scenes: 0.1 s of silence");
    run_release(&r);
}

/* Word-boundary accuracy where the audio shows the truth: at pauses.
 * flite's pauses are near-silent but not digital silence, so sound is
 * anything within 35 dB of the loudest 10 ms window; the true end of a
 * word before a pause is where 60 ms of quiet begins, the true onset of
 * the next word the first loud ms after it.  A word that starts with a
 * stop starts audibly at its burst, up to ~50 ms after flite's segment
 * boundary (the closure). */
static void test_accuracy(void)
{
    const char *sc[] = {
        "First, we start. Then, we pause; and after that, we continue. "
        "Really? Yes! Seven, eight, nine, ten."};
    run r;
    double maxe = 0, sume = 0, maxs = 0, sums = 0, peak = -200, thr, t;
    int ne = 0, ns = 0;

    run_init(&r);
    speak(&r, NULL, sc, 1);
    ok(r.rc == 0 && timings_sane(&r), "accuracy text spoken");
    for (t = 0; t + 0.01 < avk_pcm_duration(&r.pcm); t += 0.01) {
        double l = avk_pcm_rms_dbfs(&r.pcm, t, t + 0.01);

        peak = l > peak ? l : peak;
    }
    thr = peak - 35.0;
    for (size_t i = 0; r.rc == 0 && i + 1 < r.w.n; i++) {
        const avk_word *w = &r.w.v[i], *nx = &r.w.v[i + 1];
        double tend = -1, tstart = -1, run0 = -1;

        if (nx->start - w->end < 0.1)
            continue; /* no pause here */
        /* (from 100 ms before the claimed end: stop closures inside a
         * word are quiet too) */
        double from = w->end - 0.1 > w->start ? w->end - 0.1 : w->start;

        for (int k = 0; (t = from + k * 0.001) < nx->start; k++) {
            if (avk_pcm_rms_dbfs(&r.pcm, t, t + 0.001) > thr)
                run0 = -1;
            else if (run0 < 0)
                run0 = t;
            if (run0 >= 0 && t + 0.001 - run0 >= 0.060) {
                tend = run0;
                break;
            }
        }
        for (int k = 0;
             (t = (tend > 0 ? tend + 0.06 : w->end) + k * 0.001) <
             nx->start + 0.2;
             k++)
            if (avk_pcm_rms_dbfs(&r.pcm, t, t + 0.001) > thr) {
                tstart = t;
                break;
            }
        if (getenv("AVK_TEST_VERBOSE"))
            printf("#   %-10s end %.3f (audio %.3f), next %.3f (audio "
                   "%.3f)\n",
                   w->text, w->end, tend, nx->start, tstart);
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
    ok(ne >= 6 && sume / ne < 0.025 && maxe < 0.06,
       "word ends within 25 ms of the audio on average, 60 ms at most");
    ok(ns >= 6 && sums / ns < 0.025 && maxs < 0.06,
       "word starts within 25 ms of the audio on average, 60 ms at most");
    if (!(ne >= 6 && sume / ne < 0.025 && maxe < 0.06 && ns >= 6 &&
          sums / ns < 0.025 && maxs < 0.06))
        dump(&r);
    run_release(&r);
}

/* Random mixes of the awkward cases: every call succeeds with sane
 * timings, and every token with a letter or digit is one word. */
static void test_random_text(void)
{
    static const char *const pool[] = {
        "word", "42", "$9.99", "2026,", "e.g.", "Dr.", "...", "\xe2\x80\x94",
        "\xf0\x9f\x94\xa5", "(x)", "\"quote\"", "caf\xc3\xa9", "#1", "10x",
        "&", "%", "\xe6\x97\xa5\xe6\x9c\xac", "!", "U.S.A.", "1,250", "3:30pm",
        "-", "/", "a/b", "it\xe2\x80\x99s", "~5", "10k", "\xc2\xb0", "?", "x^2"};
    const size_t np = sizeof pool / sizeof pool[0];
    unsigned seed = 12345;
    int good = 1;

    for (int i = 0; i < 20 && good; i++) {
        char text[512] = "";
        size_t ntok = 1 + (seed % 12), want = 0;
        run r;

        for (size_t k = 0; k < ntok; k++) {
            const char *tk;

            seed = seed * 1103515245u + 12345u;
            tk = pool[(seed >> 8) % np];
            strcat(text, tk);
            strcat(text, " ");
            for (const char *c = tk; *c; c++)
                if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || (unsigned char)*c == 0xe6 ||
                    *c == '&' || *c == '%' || (unsigned char)*c == 0xb0) {
                    want++;
                    break;
                }
        }
        run_init(&r);
        speak(&r, NULL, (const char *const[]){text}, 1);
        if (r.rc != 0 || !timings_sane(&r) || r.w.n != want) {
            printf("#   '%s': rc %d, %zu words (want %zu)\n", text, r.rc,
                   r.w.n, want);
            dump(&r);
            good = 0;
        }
        run_release(&r);
    }
    ok(good, "random mixes of awkward tokens");
}

static void *thread_main(void *arg)
{
    run *r = arg;
    const char *sc[] = {"Two callers at once are taken in turn."};

    speak(r, NULL, sc, 1);
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[2];
    run r[2];

    for (int i = 0; i < 2; i++) {
        run_init(&r[i]);
        pthread_create(&th[i], NULL, thread_main, &r[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    ok(r[0].rc == 0 && r[1].rc == 0 && r[0].w.n == 8 && r[1].w.n == 8 &&
           r[0].pcm.frames == r[1].pcm.frames &&
           memcmp(r[0].pcm.data, r[1].pcm.data,
                  r[0].pcm.frames * sizeof(float)) == 0,
       "concurrent calls give the same result, sample for sample");
    run_release(&r[0]);
    run_release(&r[1]);
}

int main(void)
{
    test_text();
    test_basic();
    test_voices();
    test_options();
    test_errors();
    test_accuracy();
    test_random_text();
    test_threads();
    return tap_done();
}
