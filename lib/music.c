/*
 * music.c - synthesised music bed, looping and ducking (music.h).
 *
 * The pad: each chord of a mood's progression is a few wavetable voices
 * (slightly detuned between left and right) plus a sine sub-bass, shaped by
 * a raised-cosine envelope that overlaps the next chord, so chord changes
 * never click; every voice starts and ends at zero amplitude.
 * Invariant: output is deterministic for (mood, seed, rate, n).
 */
#include "music.h"

#include <math.h>
#include <string.h>

#define TABLE 2048
#define MAXNOTES 5

typedef struct chord {
    int root;    /* semitones above the key */
    int iv[4];   /* chord tones above the root */
    int nv;
} chord;

typedef struct mood {
    const char *name;
    double chord_s;     /* seconds per chord */
    double timbre[4];   /* harmonic amplitudes of the pad */
    double pluck;       /* arpeggio level (0: none) */
    double pluck_step;  /* seconds per arpeggio note */
    int nprog;
    chord prog[4];
} mood;

#define MAJ {0, 4, 7, 0}, 3
#define MIN {0, 3, 7, 0}, 3
#define MAJ7 {0, 4, 7, 11}, 4
#define MIN7 {0, 3, 7, 10}, 4

static const mood moods[] = {
    {"warm", 4.0, {1.0, 0.35, 0.15, 0.06}, 0.0, 0.0, 4,
     {{0, MAJ}, {7, MAJ}, {9, MIN}, {5, MAJ}}},
    {"upbeat", 2.0, {1.0, 0.45, 0.25, 0.12}, 0.55, 0.25, 4,
     {{0, MAJ}, {7, MAJ}, {9, MIN}, {5, MAJ}}},
    {"calm", 6.0, {1.0, 0.18, 0.05, 0.0}, 0.0, 0.0, 2,
     {{0, MAJ7}, {5, MAJ7}, {0, MAJ7}, {5, MAJ7}}},
    {"dramatic", 4.0, {1.0, 0.5, 0.3, 0.2}, 0.0, 0.0, 4,
     {{0, MIN}, {8, MAJ}, {3, MAJ}, {10, MAJ}}},
    {"inspiring", 3.0, {1.0, 0.4, 0.2, 0.1}, 0.35, 0.375, 4,
     {{5, MAJ7}, {7, MAJ}, {4, MIN7}, {9, MIN}}},
};

static const mood *find_mood(const char *name)
{
    size_t i;

    for (i = 0; name && i < sizeof moods / sizeof moods[0]; i++)
        if (!strcmp(moods[i].name, name))
            return &moods[i];
    return &moods[0];
}

int avk_music_mood_known(const char *name)
{
    size_t i;

    for (i = 0; name && i < sizeof moods / sizeof moods[0]; i++)
        if (!strcmp(moods[i].name, name))
            return 1;
    return 0;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double urand(uint64_t *s)
{
    return (double)(splitmix(s) >> 11) / 9007199254740992.0;
}

/* Linear-interpolated wavetable lookup; phase in cycles [0, 1). */
static float wt(const float *t, double ph)
{
    double x = ph * TABLE;
    int i = (int)x;
    float f = (float)(x - i);

    i &= TABLE - 1;
    return t[i] + (t[(i + 1) & (TABLE - 1)] - t[i]) * f;
}

static double note_hz(double key_hz, int semis)
{
    return key_hz * pow(2.0, semis / 12.0);
}

void avk_music_synth(float *stereo, size_t n, int rate,
                     const char *mood_name, uint64_t seed)
{
    const mood *m = find_mood(mood_name);
    float pad[TABLE], sine[TABLE];
    uint64_t rs = seed ^ 0x6d75736963ULL;
    double key_hz = 110.0 * pow(2.0, (double)((int)(splitmix(&rs) % 8) - 3)
                                        / 12.0);
    int start = (int)(splitmix(&rs) % (uint64_t)m->nprog);
    double chord_n = m->chord_s * rate, xf = 0.6 * rate, peak = 0.0;
    double fade = 1.5 * rate;
    size_t i, c, nchords;
    int k, h;

    if (!n)
        return;
    for (i = 0; i < TABLE; i++) {
        double ph = 2.0 * M_PI * (double)i / TABLE, v = 0.0;
        for (h = 0; h < 4; h++)
            v += m->timbre[h] * sin((h + 1) * ph);
        pad[i] = (float)v;
        sine[i] = (float)sin(ph);
    }
    memset(stereo, 0, 2 * n * sizeof *stereo);
    nchords = (size_t)ceil((double)n / chord_n) + 1;
    for (c = 0; c < nchords; c++) {
        const chord *ch = &m->prog[(start + (int)c) % m->nprog];
        double a = c * chord_n - xf, b = (c + 1) * chord_n + xf;
        size_t s0 = a < 0 ? 0 : (size_t)a, s1 = b > (double)n ? n : (size_t)b;
        double fr[MAXNOTES], phl[MAXNOTES], phr[MAXNOTES], amp[MAXNOTES];
        double det = 0.0012 + 0.0008 * urand(&rs);
        int nn = 0;

        /* Bass (sine) at the root, then the chord tones an octave up,
           folded into one octave for smooth voice leading. */
        fr[nn] = note_hz(key_hz / 2.0, ch->root % 12);
        amp[nn++] = 0.16;
        for (k = 0; k < ch->nv && nn < MAXNOTES; k++) {
            int s = (ch->root + ch->iv[k]) % 12 + 12;
            fr[nn] = note_hz(key_hz, s);
            amp[nn++] = 0.085;
        }
        for (k = 0; k < nn; k++)
            phl[k] = phr[k] = urand(&rs);
        for (i = s0; i < s1; i++) {
            double pos = (double)i - a, len = b - a, env;
            double l = 0.0, r = 0.0;
            if (pos < 2 * xf)
                env = 0.5 - 0.5 * cos(M_PI * pos / (2 * xf));
            else if (pos > len - 2 * xf)
                env = 0.5 - 0.5 * cos(M_PI * (len - pos) / (2 * xf));
            else
                env = 1.0;
            for (k = 0; k < nn; k++) {
                const float *t = k == 0 ? sine : pad;
                double inc = fr[k] / rate;
                double dl = k == 0 ? 0.0 : det;
                l += amp[k] * wt(t, phl[k]);
                r += amp[k] * wt(t, phr[k]);
                phl[k] += inc * (1.0 - dl);
                phr[k] += inc * (1.0 + dl);
                phl[k] -= floor(phl[k]);
                phr[k] -= floor(phr[k]);
            }
            stereo[2 * i] += (float)(env * l);
            stereo[2 * i + 1] += (float)(env * r);
        }
        /* Arpeggio: decaying notes through the chord, panned side to side. */
        if (m->pluck > 0.0) {
            double step = m->pluck_step * rate;
            double c0 = c * chord_n, c1 = (c + 1) * chord_n;
            int j = 0;
            double st;
            for (st = c0; st < c1 && st < (double)n; st += step, j++) {
                int s = (ch->root + ch->iv[j % ch->nv]) % 12 + 24;
                double f = note_hz(key_hz, s) / rate, ph = 0.0;
                double pan = (j & 1) ? 0.35 : 0.65;
                size_t e = (size_t)(st + 0.9 * rate);
                for (i = (size_t)st; i < e && i < n; i++) {
                    double tt = (i - st) / rate;
                    double env = (1.0 - exp(-tt * 400.0)) * exp(-tt * 5.0);
                    double v = m->pluck * 0.1 * env * wt(sine, ph);
                    stereo[2 * i] += (float)(v * (1.0 - pan));
                    stereo[2 * i + 1] += (float)(v * pan);
                    ph += f;
                    ph -= floor(ph);
                }
            }
        }
    }
    /* Slow swell, fades at both ends, then normalise to a 0.5 peak. */
    for (i = 0; i < n; i++) {
        double t = (double)i / rate, g;
        g = 0.88 + 0.12 * sin(2.0 * M_PI * 0.07 * t);
        if ((double)i < fade)
            g *= 0.5 - 0.5 * cos(M_PI * i / fade);
        if ((double)(n - 1 - i) < fade)
            g *= 0.5 - 0.5 * cos(M_PI * (n - 1 - i) / fade);
        stereo[2 * i] = (float)(stereo[2 * i] * g);
        stereo[2 * i + 1] = (float)(stereo[2 * i + 1] * g);
        if (fabsf(stereo[2 * i]) > peak)
            peak = fabsf(stereo[2 * i]);
        if (fabsf(stereo[2 * i + 1]) > peak)
            peak = fabsf(stereo[2 * i + 1]);
    }
    if (peak > 0.0) {
        float s = (float)(0.5 / peak);
        for (i = 0; i < 2 * n; i++)
            stereo[i] *= s;
    }
}

void avk_music_loop(float *dst, size_t n, const float *src, size_t m,
                    size_t fade_n)
{
    size_t period, k;

    if (!m) {
        memset(dst, 0, 2 * n * sizeof *dst);
        return;
    }
    if (fade_n * 2 > m)
        fade_n = m / 2;
    period = m - fade_n;
    if (!period)
        period = 1;
    for (k = 0; k < n; k++) {
        size_t j = k / period, o = k % period;
        int c;
        for (c = 0; c < 2; c++) {
            if (j > 0 && o < fade_n) {
                double x = (double)o / fade_n;
                double gin = sin(M_PI_2 * x), gout = cos(M_PI_2 * x);
                dst[2 * k + (size_t)c] =
                    (float)(src[2 * o + (size_t)c] * gin +
                            src[2 * (period + o) + (size_t)c] * gout);
            } else {
                dst[2 * k + (size_t)c] = src[2 * o + (size_t)c];
            }
        }
    }
}

void avk_music_duck(float *stereo, size_t n, const float *voice, size_t nv,
                    int rate, double depth_db)
{
    size_t blk = (size_t)(rate / 100), nb, b, i;
    double att = exp(-1.0 / 3.0), rel = exp(-1.0 / 30.0); /* in blocks */
    double env = 0.0, maxr = 0.0, thr_lo, thr_hi, prev_g = 1.0;

    if (!blk || !nv || depth_db <= 0.0)
        return;
    nb = (nv + blk - 1) / blk;
    /* Pass 1: the loudest 10 ms block sets the speech thresholds. */
    for (b = 0; b < nb; b++) {
        double s = 0.0;
        size_t e = (b + 1) * blk > nv ? nv : (b + 1) * blk, j;
        for (j = b * blk; j < e; j++)
            s += (double)voice[j] * voice[j];
        s = sqrt(s / (double)(e - b * blk));
        if (s > maxr)
            maxr = s;
    }
    if (maxr <= 0.0)
        return;
    thr_lo = maxr * pow(10.0, -30.0 / 20.0);
    thr_hi = maxr * pow(10.0, -12.0 / 20.0);
    /* Pass 2: envelope per block, gain interpolated across the block. */
    for (b = 0; b * blk < n; b++) {
        double s = 0.0, x, g;
        size_t s0 = b * blk, e = s0 + blk;
        if (s0 < nv) {
            size_t ve = e > nv ? nv : e, j;
            for (j = s0; j < ve; j++)
                s += (double)voice[j] * voice[j];
            s = sqrt(s / (double)(ve - s0));
        }
        env = s > env ? att * env + (1.0 - att) * s : rel * env + (1.0 - rel) * s;
        x = env <= thr_lo ? 0.0 : env >= thr_hi ? 1.0
            : log(env / thr_lo) / log(thr_hi / thr_lo);
        g = pow(10.0, -depth_db * x / 20.0);
        for (i = s0; i < e && i < n; i++) {
            double f = (double)(i - s0) / blk;
            float gi = (float)(prev_g + (g - prev_g) * f);
            stereo[2 * i] *= gi;
            stereo[2 * i + 1] *= gi;
        }
        prev_g = g;
    }
}
