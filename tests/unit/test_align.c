/*
 * test_align.c - avk_align_words on synthetic speech: tone bursts for
 * words, silences for pauses; the target is the reference stretched
 * differently before and after a sentence break, so only the pause
 * anchor puts the second sentence right.
 */
#include <math.h>
#include <string.h>

#include "tap.h"
#include "tts.h"

#define R 48000

/* Bursts [a_i, b_i) of a 200 Hz tone in dur seconds of silence. */
static void bursts(avk_pcm *p, double dur, const double *ab, size_t n)
{
    size_t i, k;

    avk_pcm_alloc(p, (size_t)(dur * R), 1, R);
    for (i = 0; i < n; i++)
        for (k = (size_t)(ab[2 * i] * R); k < (size_t)(ab[2 * i + 1] * R);
             k++)
            p->data[k] = 0.5f * (float)sin(2 * M_PI * 200.0 * k / R);
}

int main(void)
{
    /* reference: "One two. Three four." */
    static const double ref_ab[] = {0.10, 0.40, 0.45, 0.80,
                                    1.20, 1.50, 1.55, 1.90};
    /* target: first sentence 1.5x, pause 0.6 s, second sentence 0.8x */
    static const double tgt_ab[] = {0.20, 0.65, 0.725, 1.25,
                                    1.85, 2.09, 2.13, 2.41};
    static const char *const txt[] = {"One", "two.", "Three", "four."};
    avk_pcm ref, tgt;
    avk_words rw, out;
    avk_err err;
    double worst = 0;
    size_t i;

    avk_pcm_init(&ref);
    avk_pcm_init(&tgt);
    avk_words_init(&rw);
    avk_words_init(&out);
    bursts(&ref, 2.1, ref_ab, 4);
    bursts(&tgt, 2.6, tgt_ab, 4);
    for (i = 0; i < 4; i++)
        avk_words_add(&rw, txt[i], strlen(txt[i]), ref_ab[2 * i],
                      ref_ab[2 * i + 1], 0);
    is_int(avk_align_words(&ref, &rw, &tgt, 3, &out, &err), 0, "aligns");
    is_int((int)out.n, 4, "one word out per word in");
    for (i = 0; i < out.n && i < 4; i++) {
        double e = fmax(fabs(out.v[i].start - tgt_ab[2 * i]),
                        fabs(out.v[i].end - tgt_ab[2 * i + 1]));
        worst = fmax(worst, e);
    }
    ok(worst < 0.03, "words land on the target's bursts (worst %.3f s)",
       worst);
    is_str(out.n ? out.v[2].text : "", "Three", "texts kept");
    ok(out.n && out.v[0].scene == 3, "scene set");
    for (i = 1; i < out.n; i++)
        if (out.v[i].start < out.v[i - 1].end)
            break;
    ok(i == out.n, "monotonic");
    avk_pcm_release(&ref);
    avk_pcm_release(&tgt);
    avk_words_release(&rw);
    avk_words_release(&out);
    return tap_done();
}
