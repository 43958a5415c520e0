/*
 * pubmeta.c - platform metadata fitting and upload limit checks (see
 * pubmeta.h).
 *
 * Always holds: output strings are valid UTF-8 and within the limits of
 * the platform in the platform's unit; nothing is cut inside a character.
 */
#include "pubmeta.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Decode one UTF-8 character at s; returns its length in bytes (0 at the
 * end, -1 for an invalid sequence, which is then skipped one byte). */
static int u8_next(const unsigned char *s, unsigned long *cp)
{
    int n, i;
    unsigned long c;

    if (!s[0])
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        c = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        c = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        c = s[0] & 0x07;
    } else {
        return -1;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
        (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    return n;
}

static size_t cp_units(unsigned long cp, int len, int unit)
{
    if (unit == AVK_UNIT_BYTES)
        return (size_t)len;
    if (unit == AVK_UNIT_UTF16)
        return cp >= 0x10000 ? 2 : 1;
    return 1;
}

size_t avk_text_len(const char *s, int unit)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    unsigned long cp;
    int l;

    while ((l = u8_next(p, &cp)) != 0) {
        if (l < 0) {
            p++;
            continue;
        }
        n += cp_units(cp, l, unit);
        p += l;
    }
    return n;
}

static int is_space_cp(unsigned long cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
           cp == 0x3000 || cp == 0xA0;
}

char *avk_text_fit(const char *s, size_t max, int unit)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    avk_buf b;
    size_t units = 0, last_space = 0, last_space_units = 0;
    unsigned long cp;
    int l, cut = 0;

    avk_buf_init(&b);
    if (avk_buf_adds(&b, ""))
        return NULL;
    while ((l = u8_next(p, &cp)) != 0) {
        size_t u;
        if (l < 0) {
            p++;
            continue;
        }
        u = cp_units(cp, l, unit);
        if (units + u > max) {
            cut = 1;
            break;
        }
        if (is_space_cp(cp)) {
            last_space = b.len;
            last_space_units = units;
        }
        if (avk_buf_add(&b, p, (size_t)l)) {
            avk_buf_release(&b);
            return NULL;
        }
        units += u;
        p += l;
    }
    if (cut && last_space > 0 && last_space_units * 2 >= max) {
        b.len = last_space;
        b.data[b.len] = '\0';
    }
    while (b.len > 0 && strchr(" \t\r\n", b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    return avk_buf_detach(&b);
}

/* Copy of s without the bytes in drop, newlines turned into spaces when
 * flat != 0. */
static char *strip_chars(const char *s, const char *drop, int flat)
{
    size_t n = strlen(s ? s : ""), i, j = 0;
    char *o = malloc(n + 1);

    if (!o)
        return NULL;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (strchr(drop, c) && c)
            continue;
        if (flat && (c == '\n' || c == '\r' || c == '\t'))
            c = ' ';
        o[j++] = c;
    }
    o[j] = '\0';
    return o;
}

/* "#word" form of a hashtag (spaces removed), or "" for an empty one. */
static int add_hashtag(avk_buf *b, const char *tag)
{
    const char *p = tag;
    size_t start = b->len;
    int rc = 0;

    while (*p == '#' || *p == ' ')
        p++;
    if (!*p)
        return 0;
    if (b->len)
        rc |= avk_buf_addc(b, ' ');
    rc |= avk_buf_addc(b, '#');
    for (; *p; p++)
        if (!strchr(" \t\r\n#", *p))
            rc |= avk_buf_addc(b, *p);
    if (b->len == start + 2 && b->data[start] == ' ') {
        b->len = start;
        b->data[start] = '\0';
    }
    return rc;
}

/* Number of '#' words in s. */
static size_t count_hashtags(const char *s)
{
    size_t n = 0;
    const char *p;

    for (p = s; p && *p; p++)
        if (*p == '#' && (p == s || strchr(" \t\r\n", p[-1])) && p[1] &&
            !strchr(" \t\r\n#", p[1]))
            n++;
    return n;
}

static int youtube_tags(const avk_pub_src *src, json_t **out)
{
    json_t *a = json_array();
    size_t i, total = 0;

    if (!a)
        return AVK_EX_OSERR;
    for (i = 0; i < src->nhashtags; i++) {
        const char *t = src->hashtags[i];
        char *clean, *fit;
        size_t len, cost;
        while (t && *t == '#')
            t++;
        if (!t || !*t)
            continue;
        clean = strip_chars(t, "<>,\"", 1);
        fit = clean ? avk_text_fit(clean, 100, AVK_UNIT_CHARS) : NULL;
        free(clean);
        if (!fit) {
            json_decref(a);
            return AVK_EX_OSERR;
        }
        len = avk_text_len(fit, AVK_UNIT_CHARS);
        cost = len + (strchr(fit, ' ') ? 2 : 0) + (json_array_size(a) ? 1 : 0);
        if (len > 0 && total + cost <= 500) {
            json_array_append_new(a, json_string(fit));
            total += cost;
        }
        free(fit);
    }
    *out = a;
    return 0;
}

/* Caption: title, description and hashtags; hashtags are kept whole and
 * the text before them is cut to fit max (in unit).  max_tags limits the
 * hashtags counted over the whole caption (0 = no limit). */
static char *caption(const avk_pub_src *src, size_t max, int unit,
                     size_t max_tags)
{
    avk_buf body, tags;
    size_t i, ntext = 0, tlen, budget;
    char *fitted_body = NULL, *fitted_tags = NULL, *res = NULL;
    int rc = 0;

    avk_buf_init(&body);
    avk_buf_init(&tags);
    rc |= avk_buf_adds(&body, "");
    rc |= avk_buf_adds(&tags, "");
    if (src->title && *src->title)
        rc |= avk_buf_adds(&body, src->title);
    if (src->description && *src->description &&
        (!src->title || strcmp(src->title, src->description))) {
        if (body.len)
            rc |= avk_buf_adds(&body, "\n\n");
        rc |= avk_buf_adds(&body, src->description);
    }
    if (max_tags) {
        ntext = count_hashtags(body.data);
        if (ntext > max_tags) {
            /* too many in the text itself: turn the extra ones into words */
            size_t seen = 0;
            char *p;
            for (p = body.data; *p; p++)
                if (*p == '#' && (p == body.data || strchr(" \t\r\n", p[-1])) &&
                    p[1] && !strchr(" \t\r\n#", p[1]) && ++seen > max_tags)
                    *p = ' ';
            ntext = max_tags;
        }
    }
    for (i = 0; i < src->nhashtags; i++) {
        size_t before = tags.len;
        if (max_tags && ntext + count_hashtags(tags.data) >= max_tags)
            break;
        rc |= add_hashtag(&tags, src->hashtags[i]);
        (void)before;
    }
    if (rc)
        goto out;
    fitted_tags = avk_text_fit(tags.data, max / 2, unit);
    if (!fitted_tags)
        goto out;
    tlen = avk_text_len(fitted_tags, unit);
    budget = max - (tlen ? tlen + 2 : 0);
    fitted_body = avk_text_fit(body.data, budget, unit);
    if (!fitted_body)
        goto out;
    avk_buf_reset(&body);
    rc |= avk_buf_adds(&body, fitted_body);
    if (tlen) {
        if (body.len)
            rc |= avk_buf_adds(&body, "\n\n");
        rc |= avk_buf_adds(&body, fitted_tags);
    }
    if (!rc)
        res = avk_buf_detach(&body);
out:
    free(fitted_body);
    free(fitted_tags);
    avk_buf_release(&body);
    avk_buf_release(&tags);
    return res;
}

int avk_pub_meta_fit(const char *platform, const avk_pub_src *src,
                     avk_pub_meta *out, avk_err *err)
{
    char *tmp;

    memset(out, 0, sizeof *out);
    if (!strcmp(platform, "youtube")) {
        tmp = strip_chars(src->title ? src->title : "", "<>", 1);
        out->title = tmp ? avk_text_fit(tmp, 100, AVK_UNIT_CHARS) : NULL;
        free(tmp);
        if (out->title && !*out->title) {
            free(out->title);
            out->title = strdup("Untitled");
        }
        out->description =
            avk_text_fit(src->description ? src->description : "", 5000,
                         AVK_UNIT_BYTES);
        if (!out->title || !out->description ||
            youtube_tags(src, &out->tags))
            goto oom;
        return 0;
    }
    if (!strcmp(platform, "tiktok"))
        out->caption = caption(src, 2200, AVK_UNIT_UTF16, 0);
    else if (!strcmp(platform, "instagram"))
        out->caption = caption(src, 2200, AVK_UNIT_CHARS, 30);
    else
        out->caption = caption(src, (size_t)-1 / 4, AVK_UNIT_CHARS, 0);
    out->title = avk_text_fit(src->title ? src->title : "", 1000,
                              AVK_UNIT_CHARS);
    out->description = avk_text_fit(
        src->description ? src->description : "", (size_t)-1 / 4,
        AVK_UNIT_BYTES);
    if (!out->caption || !out->title || !out->description)
        goto oom;
    return 0;
oom:
    avk_pub_meta_release(out);
    return avk_fail(err, AVK_EX_OSERR, "out of memory");
}

void avk_pub_meta_release(avk_pub_meta *m)
{
    free(m->title);
    free(m->description);
    free(m->caption);
    json_decref(m->tags);
    memset(m, 0, sizeof *m);
}

static const avk_pub_limits limits[] = {
    /* Shorts: square or taller, at most 3 min; uploads up to 256 GB */
    {"youtube", "mov,mp4", "h264,hevc,vp9,av1", NULL, 0.5, 180.0, 1.0, 120.0,
     0, 0, 0, 256LL * 1000 * 1000 * 1000, 1, 1},
    {"tiktok", "mov,mp4,webm,matroska", "h264,hevc,vp8,vp9", NULL, 1.0, 600.0,
     23.0, 60.0, 360, 4096, 0, 4LL * 1000 * 1000 * 1000, 0, 0},
    {"instagram", "mov,mp4", "h264,hevc", "aac", 3.0, 900.0, 23.0, 60.0, 0, 0,
     1920, 300LL * 1000 * 1000, 1, 0},
};

const avk_pub_limits *avk_pub_limits_for(const char *platform)
{
    size_t i;

    for (i = 0; i < sizeof limits / sizeof *limits; i++)
        if (!strcmp(limits[i].platform, platform))
            return &limits[i];
    return NULL;
}

/* Is one of the comma-separated names of have in the list want? */
static int name_in(const char *have, const char *want)
{
    char buf[128], *save = NULL, *t;

    snprintf(buf, sizeof buf, "%s", have);
    for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const char *p = want;
        size_t n = strlen(t);
        while (p && *p) {
            const char *e = strchr(p, ',');
            size_t m = e ? (size_t)(e - p) : strlen(p);
            if (m == n && !strncmp(p, t, n))
                return 1;
            p = e ? e + 1 : NULL;
        }
    }
    return 0;
}

int avk_pub_check_video(const avk_pub_limits *l, const avk_probe *p,
                        avk_err *err)
{
    const char *pf = l->platform;

    if (!name_in(p->container, l->containers))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: container '%s' is not accepted (%s)", pf,
                        p->container, l->containers);
    if (!p->vcodec[0] || !name_in(p->vcodec, l->vcodecs))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: video codec '%s' is not accepted (%s)", pf,
                        p->vcodec, l->vcodecs);
    if (l->acodecs && p->acodec[0] && !name_in(p->acodec, l->acodecs))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: audio codec '%s' is not accepted (%s)", pf,
                        p->acodec, l->acodecs);
    if (p->duration < l->min_duration || p->duration > l->max_duration)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: duration %.1f s is outside %.0f-%.0f s", pf,
                        p->duration, l->min_duration, l->max_duration);
    if (p->fps > 0 && (p->fps < l->min_fps - 0.01 || p->fps > l->max_fps + 0.01))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: frame rate %.2f is outside %.0f-%.0f fps", pf,
                        p->fps, l->min_fps, l->max_fps);
    if (l->min_side && (p->width < l->min_side || p->height < l->min_side ||
                        p->width > l->max_side || p->height > l->max_side))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: size %dx%d is outside %d-%d pixels a side", pf,
                        p->width, p->height, l->min_side, l->max_side);
    if (l->max_width && p->width > l->max_width)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: width %d is over %d pixels", pf, p->width,
                        l->max_width);
    if (l->vertical && p->height < p->width)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: %dx%d is wider than tall (not a Short)", pf,
                        p->width, p->height);
    if (p->bytes > l->max_bytes)
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: file of %lld bytes is over %lld", pf, p->bytes,
                        l->max_bytes);
    if (l->moov_first && (!p->is_isobmff || !p->moov_first))
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: the moov box is not before the media data "
                        "(render with +faststart)",
                        pf);
    return 0;
}
