/*
 * align.c - word timings for speech audio that comes without any: map a
 * reference timing of the same words (espeak-ng's, over its own audio)
 * onto the audio piecewise linearly.
 *
 * Anchors: the speech onset and offset of both audios, plus, for every
 * sentence break of the reference (the pause after a word ending in
 * . ! ? : ;), the pause of the target nearest to where a plain linear map
 * puts it.  What always holds: the anchors increase strictly in both
 * audios, so the output times are monotonic and inside the target audio.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tts.h"

#define FRAME_S 0.01      /* activity frames of 10 ms */
#define MIN_PAUSE_S 0.08  /* a pause is at least this long */

typedef struct span {
    double a, b;
} span;

/* Per-frame speech activity: RMS within 40 dB of the loudest frame and
 * above -60 dBFS.  Returns a malloc'd array of *n flags, or NULL. */
static unsigned char *activity(const avk_pcm *p, size_t *n)
{
    size_t fl = (size_t)(p->rate * FRAME_S), i, k;
    double *db, top = -INFINITY, thr;
    unsigned char *act;

    *n = fl ? p->frames / fl : 0;
    if (*n == 0)
        *n = 1;
    db = calloc(*n, sizeof *db);
    act = calloc(*n, 1);
    if (!db || !act) {
        free(db);
        free(act);
        return NULL;
    }
    for (i = 0; i < *n; i++) {
        double s = 0;
        size_t from = i * fl, cnt = 0;

        for (k = from; k < from + fl && k < p->frames; k++, cnt++) {
            double x = 0;
            int c;

            for (c = 0; c < p->channels; c++)
                x += p->data[k * (size_t)p->channels + (size_t)c];
            x /= p->channels;
            s += x * x;
        }
        db[i] = cnt && s > 0 ? 10 * log10(s / (double)cnt) : -200;
        if (db[i] > top)
            top = db[i];
    }
    thr = top - 40 > -60 ? top - 40 : -60;
    for (i = 0; i < *n; i++)
        act[i] = db[i] > thr;
    free(db);
    return act;
}

/* Onset and offset of speech, and the pauses (>= MIN_PAUSE_S) between. */
static int analyse(const avk_pcm *p, double *on, double *off, span **pauses,
                   size_t *npauses)
{
    size_t n, i, first, last, run = 0;
    unsigned char *act = activity(p, &n);
    span *v;

    *pauses = NULL;
    *npauses = 0;
    if (!act)
        return AVK_EX_OSERR;
    for (first = 0; first < n && !act[first]; first++)
        ;
    for (last = n; last > first && !act[last - 1]; last--)
        ;
    if (first >= last) { /* silence: the whole buffer */
        *on = 0;
        *off = avk_pcm_duration(p);
        free(act);
        return 0;
    }
    *on = (double)first * FRAME_S;
    *off = (double)last * FRAME_S;
    v = calloc(n / 2 + 1, sizeof *v);
    if (!v) {
        free(act);
        return AVK_EX_OSERR;
    }
    for (i = first; i <= last; i++) {
        if (i < last && !act[i]) {
            run++;
            continue;
        }
        if ((double)run * FRAME_S >= MIN_PAUSE_S) {
            v[*npauses].a = (double)(i - run) * FRAME_S;
            v[*npauses].b = (double)i * FRAME_S;
            (*npauses)++;
        }
        run = 0;
    }
    free(act);
    *pauses = v;
    return 0;
}

static int sentence_end(const char *w)
{
    size_t n = strlen(w);

    while (n && (w[n - 1] == '"' || w[n - 1] == '\'' || w[n - 1] == ')'))
        n--;
    return n && strchr(".!?:;", w[n - 1]) != NULL;
}

/* Piecewise linear map through the anchors (x increasing). */
static double map(const span *anc, size_t n, double x)
{
    size_t i;

    if (x <= anc[0].a)
        return anc[0].b + (x - anc[0].a);
    for (i = 1; i < n; i++)
        if (x <= anc[i].a) {
            double w = anc[i].a - anc[i - 1].a;

            return w > 0 ? anc[i - 1].b + (x - anc[i - 1].a) / w *
                                               (anc[i].b - anc[i - 1].b)
                         : anc[i].b;
        }
    return anc[n - 1].b + (x - anc[n - 1].a);
}

int avk_align_words(const avk_pcm *ref_pcm, const avk_words *ref,
                    const avk_pcm *pcm, int scene, avk_words *out,
                    avk_err *err)
{
    double ron, roff, ton, toff, scale, dur = avk_pcm_duration(pcm);
    double prev = 0;
    span *rp = NULL, *tp = NULL, *anc = NULL;
    size_t nrp, ntp, na = 0, i, j;

    avk_words_release(out);
    if (analyse(ref_pcm, &ron, &roff, &rp, &nrp) ||
        analyse(pcm, &ton, &toff, &tp, &ntp))
        goto oom;
    anc = calloc(2 * ref->n + 2, sizeof *anc);
    if (!anc)
        goto oom;
    scale = roff > ron ? (toff - ton) / (roff - ron) : 1;
    anc[na].a = ron;
    anc[na++].b = ton;
    for (i = 0; i + 1 < ref->n; i++) {
        double ga = ref->v[i].end, gb = ref->v[i + 1].start, want, best = 1e9;
        size_t pick = ntp;

        if (!sentence_end(ref->v[i].text))
            continue;
        /* the reference pause that holds this break, if any */
        for (j = 0; j < nrp; j++)
            if (rp[j].b >= ga - 0.05 && rp[j].a <= gb + 0.05) {
                ga = rp[j].a;
                gb = rp[j].b;
                break;
            }
        if (ga <= anc[na - 1].a || gb >= roff)
            continue;
        want = anc[na - 1].b + (ga - anc[na - 1].a) * scale;
        for (j = 0; j < ntp; j++) {
            double d = fabs(tp[j].a - want);

            if (tp[j].a > anc[na - 1].b && tp[j].b < toff && d < best) {
                best = d;
                pick = j;
            }
        }
        if (pick == ntp || best > 0.5 + 0.15 * (toff - ton))
            continue;
        anc[na].a = ga;
        anc[na++].b = tp[pick].a;
        anc[na].a = gb;
        anc[na++].b = tp[pick].b;
    }
    if (roff > anc[na - 1].a && toff > anc[na - 1].b) {
        anc[na].a = roff;
        anc[na++].b = toff;
    }
    for (i = 0; i < ref->n; i++) {
        double s = map(anc, na, ref->v[i].start);
        double e = map(anc, na, ref->v[i].end);

        if (s < prev)
            s = prev;
        if (s > dur)
            s = dur;
        if (e < s)
            e = s;
        if (e > dur)
            e = dur;
        prev = e;
        if (avk_words_add(out, ref->v[i].text, strlen(ref->v[i].text), s, e,
                          scene))
            goto oom;
    }
    free(rp);
    free(tp);
    free(anc);
    return 0;
oom:
    free(rp);
    free(tp);
    free(anc);
    avk_words_release(out);
    return avk_fail(err, AVK_EX_OSERR, "out of memory");
}
