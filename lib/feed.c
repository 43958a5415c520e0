/*
 * feed.c - trend source parsers (see feed.h).
 *
 * XML is parsed by expat in a single streaming pass with a small state
 * machine: an <item>/<entry> opens an item, known child elements start a
 * text capture, and the capture's end stores the cleaned text into the
 * item.  Element names are matched by local name (prefix stripped), which
 * is what the Google Trends feed needs since its namespace URI changed.
 * JSON sources are loaded with jansson and walked.
 *
 * Invariants: everything is parsed into a private feed first and moved
 * into the caller's feed only when the whole input was good, so a failure
 * never leaves partial results behind.  Any document with an entity
 * declaration is refused before the entity can be used, and external
 * entities / DTDs are never fetched (parameter entity parsing is off and no
 * external entity handler loads anything).
 */
#include "feed.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ------------------------------------------------------------------ */
/* Text helpers                                                        */

static char *xstrdup(const char *s)
{
    size_t n;
    char *p;

    if (!s)
        return NULL;
    n = strlen(s);
    p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

/* Length of the longest prefix of s (len bytes) no longer than max that
 * ends on a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (max == 0 || len <= max)
        return len;
    len = max;
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--;
    return len;
}

static int put_utf8(avk_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;

    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        cp = 0xFFFD;
    if (cp < 0x20 || cp == 0x7F || cp == 0xA0 || (cp >= 0x80 && cp < 0xA0))
        cp = ' ';
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return avk_buf_add(b, u, n);
}

static const struct {
    const char *name;
    unsigned short cp;
} entities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},
    {"trade", 0x2122}, {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
    {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"bdquo", 0x201E}, {"laquo", 0xAB},   {"raquo", 0xBB},
    {"bull", 0x2022},  {"middot", 0xB7},  {"deg", 0xB0},     {"euro", 0x20AC},
    {"pound", 0xA3},   {"yen", 0xA5},     {"cent", 0xA2},    {"sect", 0xA7},
    {"times", 0xD7},   {"divide", 0xF7},  {"plusmn", 0xB1},  {"frac12", 0xBD},
    {"iexcl", 0xA1},   {"iquest", 0xBF},  {"szlig", 0xDF},   {"agrave", 0xE0},
    {"aacute", 0xE1},  {"acirc", 0xE2},   {"atilde", 0xE3},  {"auml", 0xE4},
    {"aring", 0xE5},   {"aelig", 0xE6},   {"ccedil", 0xE7},  {"egrave", 0xE8},
    {"eacute", 0xE9},  {"ecirc", 0xEA},   {"euml", 0xEB},    {"igrave", 0xEC},
    {"iacute", 0xED},  {"icirc", 0xEE},   {"iuml", 0xEF},    {"ntilde", 0xF1},
    {"ograve", 0xF2},  {"oacute", 0xF3},  {"ocirc", 0xF4},   {"otilde", 0xF5},
    {"ouml", 0xF6},    {"oslash", 0xF8},  {"ugrave", 0xF9},  {"uacute", 0xFA},
    {"ucirc", 0xFB},   {"uuml", 0xFC},    {"yacute", 0xFD},  {"yuml", 0xFF},
    {"Agrave", 0xC0},  {"Aacute", 0xC1},  {"Acirc", 0xC2},   {"Auml", 0xC4},
    {"Ccedil", 0xC7},  {"Egrave", 0xC8},  {"Eacute", 0xC9},  {"Ecirc", 0xCA},
    {"Iacute", 0xCD},  {"Ntilde", 0xD1},  {"Oacute", 0xD3},  {"Ouml", 0xD6},
    {"Uacute", 0xDA},  {"Uuml", 0xDC},    {"oelig", 0x153},  {"OElig", 0x152},
    {"zwj", 0x200D},   {"zwnj", 0x200C},  {"shy", 0xAD},     {"thinsp", 0x2009},
    {"ensp", 0x2002},  {"emsp", 0x2003},
};

/* Decode the entity at s (s[0] == '&'); on success append it to b and
 * return its length, else return 0 (the '&' is literal). */
static size_t decode_entity(const char *s, avk_buf *b, int *oom)
{
    size_t i = 1, k;
    unsigned long cp = 0;

    if (s[1] == '#') {
        int hex = (s[2] == 'x' || s[2] == 'X');
        size_t digits = 0;

        i = hex ? 3 : 2;
        for (; s[i] && digits < 8; i++, digits++) {
            int c = (unsigned char)s[i];
            if (hex && isxdigit(c))
                cp = cp * 16 + (unsigned long)(isdigit(c) ? c - '0'
                                                  : (tolower(c) - 'a' + 10));
            else if (!hex && isdigit(c))
                cp = cp * 10 + (unsigned long)(c - '0');
            else
                break;
        }
        if (digits == 0 || s[i] != ';')
            return 0;
        if (put_utf8(b, cp))
            *oom = 1;
        return i + 1;
    }
    while (i < 12 && isalnum((unsigned char)s[i]))
        i++;
    if (s[i] != ';' || i == 1)
        return 0;
    for (k = 0; k < sizeof entities / sizeof entities[0]; k++) {
        if (strlen(entities[k].name) == i - 1 &&
            memcmp(entities[k].name, s + 1, i - 1) == 0) {
            if (put_utf8(b, entities[k].cp))
                *oom = 1;
            return i + 1;
        }
    }
    return 0;
}

static int is_block_tag(const char *name, size_t n)
{
    static const char *const block[] = {
        "p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5",
        "h6", "tr", "td", "th", "table", "blockquote", "hr", "pre", "section",
        "article", "header", "footer", "figure", "figcaption", "dd", "dt",
        "img"};
    size_t k;

    for (k = 0; k < sizeof block / sizeof block[0]; k++)
        if (strlen(block[k]) == n && strncasecmp(block[k], name, n) == 0)
            return 1;
    return 0;
}

/* Finish: collapse whitespace, trim, cut at max. */
static char *finish_text(avk_buf *raw, size_t max)
{
    avk_buf out;
    const char *s = raw->data ? raw->data : "";
    int space = 0;
    size_t n;
    char *r;

    avk_buf_init(&out);
    if (avk_buf_grow(&out, raw->len + 1)) {
        avk_buf_release(raw);
        return NULL;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == 0x7F) {
            space = 1;
            continue;
        }
        if (space && out.len)
            avk_buf_addc(&out, ' ');
        space = 0;
        avk_buf_addc(&out, (char)c);
    }
    avk_buf_release(raw);
    if (!out.data)
        return avk_buf_detach(&out);
    n = utf8_cut(out.data, out.len, max);
    while (n > 0 && out.data[n - 1] == ' ')
        n--;
    out.data[n] = '\0';
    out.len = n;
    r = avk_buf_detach(&out);
    return r;
}

static char *text_convert(const char *s, size_t max, int strip_tags)
{
    avk_buf b;
    int oom = 0;
    int no_gt = 0, no_comment_end = 0; /* keep malformed markup linear */

    avk_buf_init(&b);
    if (avk_buf_grow(&b, strlen(s) + 1))
        return NULL;
    while (*s && !oom) {
        if (*s == '&') {
            size_t n = decode_entity(s, &b, &oom);
            if (n) {
                s += n;
                continue;
            }
        } else if (*s == '<' && strip_tags && !no_gt &&
                   (isalpha((unsigned char)s[1]) || s[1] == '/' ||
                    s[1] == '!' || s[1] == '?')) {
            const char *end, *name = s + 1 + (s[1] == '/');
            size_t nlen = 0;

            if (strncmp(s, "<!--", 4) == 0) {
                end = no_comment_end ? NULL : strstr(s + 4, "-->");
                if (end) {
                    s = end + 3;
                    continue;
                }
                no_comment_end = 1;
            } else if ((end = strchr(s, '>')) == NULL) {
                no_gt = 1;
            } else {
                while (isalnum((unsigned char)name[nlen]))
                    nlen++;
                if (s[1] != '/' &&
                    ((nlen == 6 && strncasecmp(name, "script", 6) == 0) ||
                     (nlen == 5 && strncasecmp(name, "style", 5) == 0))) {
                    /* Skip to the matching close tag. */
                    const char *p = end + 1;
                    const char *close = NULL;
                    for (; *p; p++)
                        if (p[0] == '<' && p[1] == '/' &&
                            strncasecmp(p + 2, name, nlen) == 0) {
                            close = strchr(p, '>');
                            break;
                        }
                    s = close ? close + 1 : p;
                    continue;
                }
                if (is_block_tag(name, nlen) && avk_buf_addc(&b, ' '))
                    oom = 1;
                s = end + 1;
                continue;
            }
        }
        if (avk_buf_addc(&b, *s))
            oom = 1;
        s++;
    }
    if (oom) {
        avk_buf_release(&b);
        return NULL;
    }
    return finish_text(&b, max);
}

char *avk_feed_html_to_text(const char *html, size_t max)
{
    return text_convert(html ? html : "", max, 1);
}

char *avk_feed_clean_text(const char *s, size_t max)
{
    return text_convert(s ? s : "", max, 0);
}

/* ------------------------------------------------------------------ */
/* Numbers and dates                                                   */

long long avk_feed_parse_traffic(const char *s)
{
    double v = 0, frac = 0, scale = 1;
    int digits = 0, in_frac = 0;

    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    for (; *s; s++) {
        if (isdigit((unsigned char)*s)) {
            if (in_frac) {
                scale /= 10;
                frac += (*s - '0') * scale;
            } else {
                v = v * 10 + (*s - '0');
            }
            digits++;
        } else if (*s == ',' && !in_frac) {
            continue;
        } else if (*s == '.' && !in_frac) {
            in_frac = 1;
        } else {
            break;
        }
    }
    if (!digits || v > 1e15)
        return -1;
    v += frac;
    if (*s == 'K' || *s == 'k')
        v *= 1e3, s++;
    else if (*s == 'M' || *s == 'm')
        v *= 1e6, s++;
    else if (*s == 'B' || *s == 'b')
        v *= 1e9, s++;
    if (*s == '+')
        s++;
    while (isspace((unsigned char)*s))
        s++;
    if (*s || v > 1e18)
        return -1;
    return (long long)(v + 0.5);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int read_num(const char **sp, int min_digits, int max_digits,
                    int *out)
{
    const char *s = *sp;
    int n = 0, v = 0;

    while (isdigit((unsigned char)*s) && n < max_digits) {
        v = v * 10 + (*s - '0');
        s++;
        n++;
    }
    if (n < min_digits)
        return -1;
    *sp = s;
    *out = v;
    return 0;
}

static long long make_time(int y, int mo, int d, int h, int mi, int sec,
                           int off_min)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};

    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return -1;
    return days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL +
           sec - off_min * 60LL;
}

/* "+0100", "-05:00", "+01"; minutes east in *off. */
static int read_offset(const char **sp, int *off)
{
    const char *s = *sp;
    int sign, h, m = 0;

    if (*s != '+' && *s != '-')
        return -1;
    sign = *s == '-' ? -1 : 1;
    s++;
    if (read_num(&s, 2, 2, &h))
        return -1;
    if (*s == ':')
        s++;
    if (isdigit((unsigned char)*s) && read_num(&s, 2, 2, &m))
        return -1;
    if (h > 23 || m > 59)
        return -1;
    *off = sign * (h * 60 + m);
    *sp = s;
    return 0;
}

static long long parse_rfc3339(const char *s)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;

    if (read_num(&s, 4, 4, &y) || *s++ != '-' || read_num(&s, 2, 2, &mo) ||
        *s++ != '-' || read_num(&s, 2, 2, &d))
        return -1;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (read_num(&s, 2, 2, &h) || *s++ != ':' || read_num(&s, 2, 2, &mi))
            return -1;
        if (*s == ':') {
            s++;
            if (read_num(&s, 2, 2, &sec))
                return -1;
            if (*s == '.' || *s == ',') {
                s++;
                if (!isdigit((unsigned char)*s))
                    return -1;
                while (isdigit((unsigned char)*s))
                    s++;
            }
        }
        if (*s == 'Z' || *s == 'z')
            s++;
        else if (*s == '+' || *s == '-') {
            if (read_offset(&s, &off))
                return -1;
        }
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s)
        return -1;
    return make_time(y, mo, d, h, mi, sec, off);
}

static long long parse_rfc822(const char *s)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr",
                                         "may", "jun", "jul", "aug",
                                         "sep", "oct", "nov", "dec"};
    static const struct {
        const char *name;
        int off;
    } zones[] = {{"GMT", 0},       {"UTC", 0},       {"UT", 0},
                 {"Z", 0},         {"EST", -5 * 60}, {"EDT", -4 * 60},
                 {"CST", -6 * 60}, {"CDT", -5 * 60}, {"MST", -7 * 60},
                 {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};
    int y, mo = 0, d, h, mi, sec = 0, off = 0, k;
    const char *p;

    while (isspace((unsigned char)*s))
        s++;
    if (isalpha((unsigned char)*s)) { /* day name */
        while (isalpha((unsigned char)*s))
            s++;
        if (*s == ',')
            s++;
        while (isspace((unsigned char)*s))
            s++;
    }
    if (read_num(&s, 1, 2, &d))
        return -1;
    while (isspace((unsigned char)*s) || *s == '-')
        s++;
    p = s;
    while (isalpha((unsigned char)*s))
        s++;
    if (s - p < 3)
        return -1;
    for (k = 0; k < 12; k++)
        if (strncasecmp(p, months[k], 3) == 0)
            mo = k + 1;
    if (!mo)
        return -1;
    while (isspace((unsigned char)*s) || *s == '-')
        s++;
    p = s;
    if (read_num(&s, 2, 4, &y) || s - p == 3)
        return -1;
    if (s - p == 2)
        y += y < 50 ? 2000 : 1900;
    while (isspace((unsigned char)*s))
        s++;
    if (read_num(&s, 1, 2, &h) || *s++ != ':' || read_num(&s, 2, 2, &mi))
        return -1;
    if (*s == ':') {
        s++;
        if (read_num(&s, 2, 2, &sec))
            return -1;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '+' || *s == '-') {
        if (read_offset(&s, &off))
            return -1;
    } else if (isalpha((unsigned char)*s)) {
        int found = 0;
        p = s;
        while (isalpha((unsigned char)*s))
            s++;
        for (k = 0; k < (int)(sizeof zones / sizeof zones[0]); k++)
            if (strlen(zones[k].name) == (size_t)(s - p) &&
                strncasecmp(zones[k].name, p, (size_t)(s - p)) == 0) {
                off = zones[k].off;
                found = 1;
            }
        if (!found)
            return -1;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s)
        return -1;
    return make_time(y, mo, d, h, mi, sec, off);
}

long long avk_feed_parse_date(const char *s)
{
    long long t;

    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    t = parse_rfc3339(s);
    if (t >= 0)
        return t;
    return parse_rfc822(s);
}

/* ------------------------------------------------------------------ */
/* Feed objects                                                        */

static void news_release(avk_feed_news *n)
{
    free(n->title);
    free(n->snippet);
    free(n->url);
    free(n->source);
    memset(n, 0, sizeof *n);
}

static void item_release(avk_feed_item *it)
{
    size_t i;

    free(it->source);
    free(it->id);
    free(it->title);
    free(it->link);
    free(it->summary);
    free(it->lang);
    for (i = 0; i < it->n_news; i++)
        news_release(&it->news[i]);
    free(it->news);
    memset(it, 0, sizeof *it);
}

static void item_init(avk_feed_item *it)
{
    memset(it, 0, sizeof *it);
    it->published = it->points = it->comments = it->traffic = it->views = -1;
}

void avk_feed_limits_default(avk_feed_limits *lim)
{
    lim->max_items = 500;
    lim->max_title = 300;
    lim->max_text = 2000;
    lim->max_input = 16u << 20;
    lim->max_news = 5;
}

avk_feed *avk_feed_new(const char *source)
{
    avk_feed *f = calloc(1, sizeof *f);

    if (!f)
        return NULL;
    f->source = xstrdup(source ? source : "feed");
    if (!f->source) {
        free(f);
        return NULL;
    }
    return f;
}

void avk_feed_free(avk_feed *feed)
{
    size_t i;

    if (!feed)
        return;
    for (i = 0; i < feed->n_items; i++)
        item_release(&feed->items[i]);
    free(feed->items);
    free(feed->source);
    free(feed->title);
    free(feed->lang);
    free(feed);
}

const char *avk_feed_kind_name(avk_feed_kind kind)
{
    switch (kind) {
    case AVK_FEED_RSS: return "rss";
    case AVK_FEED_ATOM: return "atom";
    case AVK_FEED_GTRENDS: return "gtrends";
    case AVK_FEED_HN: return "hn";
    case AVK_FEED_REDDIT: return "reddit";
    case AVK_FEED_YOUTUBE: return "youtube";
    default: return "auto";
    }
}

/* Parsing context shared by the XML and JSON parsers. */
typedef struct pctx {
    avk_feed *feed; /* private result */
    const avk_feed_limits *lim;
    avk_err *err;
    int rc;
} pctx;

/* Move a finished item into the private feed (or drop it past the item
 * limit); the item is consumed either way.  Returns 0 or AVK_EX_OSERR. */
static int push_item(pctx *c, avk_feed_item *it)
{
    avk_feed_item *n;

    if (!it->title || !*it->title || c->feed->n_items >= c->lim->max_items) {
        item_release(it);
        return 0;
    }
    if (it->summary && !*it->summary) {
        free(it->summary);
        it->summary = NULL;
    }
    if (it->link && !*it->link) {
        free(it->link);
        it->link = NULL;
    }
    if (!it->source && !(it->source = xstrdup(c->feed->source))) {
        item_release(it);
        return AVK_EX_OSERR;
    }
    n = realloc(c->feed->items, (c->feed->n_items + 1) * sizeof *n);
    if (!n) {
        item_release(it);
        return AVK_EX_OSERR;
    }
    c->feed->items = n;
    n[c->feed->n_items++] = *it;
    memset(it, 0, sizeof *it);
    return 0;
}

/* "en-US" -> "en"; NULL for empty or odd values. */
static char *lang_subtag(const char *s)
{
    char tag[9];
    size_t n = 0;

    if (!s)
        return NULL;
    while (isspace((unsigned char)*s))
        s++;
    while (n < 8 && isalpha((unsigned char)s[n])) {
        tag[n] = (char)tolower((unsigned char)s[n]);
        n++;
    }
    if (n < 2 || n > 3)
        return NULL;
    tag[n] = '\0';
    return xstrdup(tag);
}

/* ------------------------------------------------------------------ */
/* XML (RSS, Atom, Google Trends)                                      */

enum field {
    F_NONE,
    F_CHTITLE,
    F_CHLANG,
    F_TITLE,
    F_LINK,
    F_DESC,
    F_CONTENT,
    F_PUBDATE,
    F_UPDATED,
    F_GUID,
    F_TRAFFIC,
    F_NEWS_TITLE,
    F_NEWS_SNIPPET,
    F_NEWS_URL,
    F_NEWS_SOURCE
};

typedef struct xstate {
    pctx *c;
    XML_Parser parser;
    int depth;
    int root; /* 0 none, 1 rss/rdf, 2 atom */
    int saw_ht;
    int item_depth; /* 0 when not in an item */
    int news_depth;
    avk_feed_item item;
    char *content; /* content:encoded / atom content, used without desc */
    char *updated;
    avk_feed_news news;
    enum field field;
    int field_depth;
    avk_buf text;
    char stop_msg[200];
} xstate;

static const char *local_name(const char *name)
{
    const char *p = strrchr(name, ':');
    return p ? p + 1 : name;
}

/* True when the element has no prefix or the atom/rss1 prefix. */
static int plain_name(const char *name)
{
    const char *p = strchr(name, ':');
    return !p || strncmp(name, "atom:", 5) == 0 || strncmp(name, "rss:", 4) == 0;
}

static const char *attr(const char **atts, const char *want)
{
    size_t i;

    for (i = 0; atts && atts[i]; i += 2)
        if (strcmp(local_name(atts[i]), want) == 0 &&
            (strchr(atts[i], ':') == NULL ||
             strncmp(atts[i], "xml:", 4) == 0))
            return atts[i + 1];
    return NULL;
}

static void xstop(xstate *x, int rc, const char *msg)
{
    if (!x->c->rc) {
        x->c->rc = rc;
        snprintf(x->stop_msg, sizeof x->stop_msg, "%s", msg);
    }
    XML_StopParser(x->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const char *name, const char **atts)
{
    xstate *x = ud;
    const char *ln = local_name(name);
    int plain = plain_name(name);

    if (x->c->rc)
        return;
    x->depth++;
    if (strncmp(name, "ht:", 3) == 0)
        x->saw_ht = 1;
    if (x->depth == 1) {
        if (strcmp(ln, "rss") == 0 || strcmp(ln, "RDF") == 0) {
            x->root = 1;
        } else if (strcmp(ln, "feed") == 0) {
            const char *l = attr(atts, "lang");
            x->root = 2;
            if (l && !x->c->feed->lang)
                x->c->feed->lang = lang_subtag(l);
        } else {
            char m[160];
            snprintf(m, sizeof m,
                     "not a feed: the root element is <%.80s>, not <rss>, "
                     "<feed> or <rdf:RDF>", name);
            xstop(x, AVK_EX_DATAERR, m);
        }
        return;
    }
    if (x->field != F_NONE) {
        /* Markup inside a captured field (XHTML content): keep words
         * apart. */
        if (avk_buf_addc(&x->text, ' '))
            xstop(x, AVK_EX_OSERR, "out of memory");
        return;
    }
    if (!x->item_depth) {
        if (plain && (strcmp(ln, "item") == 0 || strcmp(ln, "entry") == 0)) {
            const char *l = attr(atts, "lang");
            item_init(&x->item);
            x->item_depth = x->depth;
            if (l)
                x->item.lang = lang_subtag(l);
        } else if (strcmp(ln, "language") == 0 && !x->c->feed->lang) {
            x->field = F_CHLANG;
        } else if (plain && strcmp(ln, "title") == 0 && !x->c->feed->title &&
                   x->depth <= 3) {
            x->field = F_CHTITLE;
        }
    } else if (x->news_depth) {
        if (strcmp(ln, "news_item_title") == 0)
            x->field = F_NEWS_TITLE;
        else if (strcmp(ln, "news_item_snippet") == 0)
            x->field = F_NEWS_SNIPPET;
        else if (strcmp(ln, "news_item_url") == 0)
            x->field = F_NEWS_URL;
        else if (strcmp(ln, "news_item_source") == 0)
            x->field = F_NEWS_SOURCE;
    } else if (strcmp(ln, "news_item") == 0) {
        x->saw_ht = 1;
        x->news_depth = x->depth;
        memset(&x->news, 0, sizeof x->news);
    } else if (strcmp(ln, "approx_traffic") == 0) {
        x->saw_ht = 1;
        x->field = F_TRAFFIC;
    } else if (x->depth == x->item_depth + 1) {
        if (plain && strcmp(ln, "title") == 0) {
            x->field = F_TITLE;
        } else if (plain && strcmp(ln, "link") == 0) {
            const char *href = attr(atts, "href");
            const char *rel = attr(atts, "rel");
            if (!href)
                x->field = F_LINK;
            else if (!x->item.link && (!rel || strcmp(rel, "alternate") == 0))
                if (!(x->item.link = avk_feed_clean_text(href, 2048)))
                    xstop(x, AVK_EX_OSERR, "out of memory");
        } else if (plain && (strcmp(ln, "description") == 0 ||
                             strcmp(ln, "summary") == 0)) {
            x->field = F_DESC;
        } else if ((plain && strcmp(ln, "content") == 0) ||
                   strcmp(name, "content:encoded") == 0) {
            x->field = F_CONTENT;
        } else if (strcmp(ln, "pubDate") == 0 ||
                   strcmp(ln, "published") == 0 ||
                   strcmp(name, "dc:date") == 0) {
            x->field = F_PUBDATE;
        } else if (strcmp(ln, "updated") == 0) {
            x->field = F_UPDATED;
        } else if (plain && (strcmp(ln, "guid") == 0 || strcmp(ln, "id") == 0)) {
            x->field = F_GUID;
        }
    }
    if (x->field != F_NONE) {
        x->field_depth = x->depth;
        avk_buf_reset(&x->text);
    }
}

static void set_str(xstate *x, char **dst, char *val)
{
    if (!val) {
        xstop(x, AVK_EX_OSERR, "out of memory");
        return;
    }
    free(*dst);
    *dst = val;
}

static void end_field(xstate *x)
{
    const avk_feed_limits *lim = x->c->lim;
    const char *raw = x->text.data ? x->text.data : "";
    avk_feed_item *it = &x->item;

    switch (x->field) {
    case F_CHTITLE:
        set_str(x, &x->c->feed->title, avk_feed_clean_text(raw, lim->max_title));
        break;
    case F_CHLANG:
        free(x->c->feed->lang);
        x->c->feed->lang = lang_subtag(raw);
        break;
    case F_TITLE:
        set_str(x, &it->title, avk_feed_html_to_text(raw, lim->max_title));
        break;
    case F_LINK:
        set_str(x, &it->link, avk_feed_clean_text(raw, 2048));
        break;
    case F_DESC:
        set_str(x, &it->summary, avk_feed_html_to_text(raw, lim->max_text));
        break;
    case F_CONTENT:
        set_str(x, &x->content, avk_feed_html_to_text(raw, lim->max_text));
        break;
    case F_PUBDATE:
        it->published = avk_feed_parse_date(raw);
        break;
    case F_UPDATED:
        set_str(x, &x->updated, avk_feed_clean_text(raw, 64));
        break;
    case F_GUID:
        set_str(x, &it->id, avk_feed_clean_text(raw, 512));
        break;
    case F_TRAFFIC:
        it->traffic = avk_feed_parse_traffic(raw);
        break;
    case F_NEWS_TITLE:
        set_str(x, &x->news.title, avk_feed_html_to_text(raw, lim->max_title));
        break;
    case F_NEWS_SNIPPET:
        set_str(x, &x->news.snippet, avk_feed_html_to_text(raw, lim->max_text));
        break;
    case F_NEWS_URL:
        set_str(x, &x->news.url, avk_feed_clean_text(raw, 2048));
        break;
    case F_NEWS_SOURCE:
        set_str(x, &x->news.source, avk_feed_clean_text(raw, lim->max_title));
        break;
    case F_NONE:
        break;
    }
    x->field = F_NONE;
}

static void end_news(xstate *x)
{
    avk_feed_item *it = &x->item;
    avk_feed_news *n;

    x->news_depth = 0;
    if ((!x->news.title || !*x->news.title) ||
        it->n_news >= x->c->lim->max_news) {
        news_release(&x->news);
        return;
    }
    n = realloc(it->news, (it->n_news + 1) * sizeof *n);
    if (!n) {
        news_release(&x->news);
        xstop(x, AVK_EX_OSERR, "out of memory");
        return;
    }
    it->news = n;
    n[it->n_news++] = x->news;
    memset(&x->news, 0, sizeof x->news);
}

static void end_item(xstate *x)
{
    avk_feed_item *it = &x->item;
    int rc;

    x->item_depth = 0;
    if (it->summary && !*it->summary) {
        free(it->summary);
        it->summary = NULL;
    }
    if (!it->summary && x->content && *x->content) {
        it->summary = x->content;
        x->content = NULL;
    }
    if (it->published < 0 && x->updated)
        it->published = avk_feed_parse_date(x->updated);
    free(x->content);
    free(x->updated);
    x->content = x->updated = NULL;
    if (!it->summary && it->n_news && it->news[0].snippet &&
        !(it->summary = xstrdup(it->news[0].snippet))) {
        item_release(it);
        xstop(x, AVK_EX_OSERR, "out of memory");
        return;
    }
    if (!it->lang && x->c->feed->lang &&
        !(it->lang = xstrdup(x->c->feed->lang))) {
        item_release(it);
        xstop(x, AVK_EX_OSERR, "out of memory");
        return;
    }
    rc = push_item(x->c, it);
    if (rc)
        xstop(x, rc, "out of memory");
}

static void XMLCALL on_end(void *ud, const char *name)
{
    xstate *x = ud;

    (void)name;
    if (x->c->rc)
        return;
    if (x->field != F_NONE && x->depth == x->field_depth)
        end_field(x);
    else if (x->field == F_NONE && x->news_depth && x->depth == x->news_depth)
        end_news(x);
    else if (x->field == F_NONE && x->item_depth && x->depth == x->item_depth)
        end_item(x);
    x->depth--;
}

static void XMLCALL on_text(void *ud, const char *s, int len)
{
    xstate *x = ud;

    if (x->c->rc || x->field == F_NONE)
        return;
    /* Raw text beyond a generous bound cannot reach the output. */
    if (x->text.len > x->c->lim->max_text * 4 + 65536)
        return;
    if (avk_buf_add(&x->text, s, (size_t)len))
        xstop(x, AVK_EX_OSERR, "out of memory");
}

static void XMLCALL on_entity_decl(void *ud, const char *name, int is_param,
                                   const char *value, int value_length,
                                   const char *base, const char *system_id,
                                   const char *public_id,
                                   const char *notation)
{
    xstate *x = ud;
    char m[160];

    (void)is_param, (void)value, (void)value_length, (void)base;
    (void)public_id, (void)notation;
    snprintf(m, sizeof m, "refusing a document that declares %s entity '%.40s'",
             system_id ? "the external" : "the", name);
    xstop(x, AVK_EX_DATAERR, m);
}

static int XMLCALL on_external_entity(XML_Parser p, const char *context,
                                      const char *base, const char *system_id,
                                      const char *public_id)
{
    (void)p, (void)context, (void)base, (void)system_id, (void)public_id;
    return XML_STATUS_ERROR; /* never load anything */
}

static void XMLCALL on_skipped(void *ud, const char *name, int is_param)
{
    (void)ud, (void)name, (void)is_param; /* undefined entity: drop it */
}

static int parse_xml(pctx *c, const char *data, size_t len)
{
    xstate x;
    enum XML_Status st;

    memset(&x, 0, sizeof x);
    x.c = c;
    avk_buf_init(&x.text);
    item_init(&x.item);
    x.parser = XML_ParserCreate(NULL);
    if (!x.parser)
        return avk_fail(c->err, AVK_EX_OSERR, "'%s': out of memory",
                        c->feed->source);
    XML_SetUserData(x.parser, &x);
    XML_SetElementHandler(x.parser, on_start, on_end);
    XML_SetCharacterDataHandler(x.parser, on_text);
    XML_SetEntityDeclHandler(x.parser, on_entity_decl);
    XML_SetExternalEntityRefHandler(x.parser, on_external_entity);
    XML_SetSkippedEntityHandler(x.parser, on_skipped);
    XML_SetParamEntityParsing(x.parser, XML_PARAM_ENTITY_PARSING_NEVER);
    st = XML_STATUS_OK;
    /* Feed it in chunks so no int overflow on huge input. */
    while (st == XML_STATUS_OK && len > 0) {
        int n = len > (1u << 20) ? (1 << 20) : (int)len;
        st = XML_Parse(x.parser, data, n, 0);
        data += n;
        len -= (size_t)n;
    }
    if (st == XML_STATUS_OK)
        st = XML_Parse(x.parser, "", 0, 1);
    if (c->rc) {
        avk_fail(c->err, c->rc, "'%s': %s", c->feed->source, x.stop_msg);
    } else if (st != XML_STATUS_OK) {
        enum XML_Error e = XML_GetErrorCode(x.parser);
        c->rc = avk_fail(c->err,
                         e == XML_ERROR_NO_MEMORY ? AVK_EX_OSERR
                                                  : AVK_EX_DATAERR,
                         "'%s': malformed XML at line %lu, column %lu: %s",
                         c->feed->source,
                         (unsigned long)XML_GetCurrentLineNumber(x.parser),
                         (unsigned long)XML_GetCurrentColumnNumber(x.parser) + 1,
                         XML_ErrorString(e));
    } else if (!x.root) {
        c->rc = avk_fail(c->err, AVK_EX_DATAERR, "'%s': no feed found",
                         c->feed->source);
    } else {
        c->feed->kind = x.root == 2 ? AVK_FEED_ATOM
                        : x.saw_ht  ? AVK_FEED_GTRENDS
                                    : AVK_FEED_RSS;
    }
    XML_ParserFree(x.parser);
    item_release(&x.item);
    news_release(&x.news);
    free(x.content);
    free(x.updated);
    avk_buf_release(&x.text);
    return c->rc;
}

/* ------------------------------------------------------------------ */
/* JSON (Hacker News, Reddit, YouTube)                                 */

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) >= 0 &&
        json_real_value(v) < 9e15)
        return (long long)json_real_value(v);
    return -1;
}

/* A count given as a decimal string ("12345"); -1 when absent or not
 * digits only. */
static long long jcount_str(json_t *o, const char *key)
{
    const char *s = jstr(o, key);
    long long v = 0;
    int n = 0;

    if (!s)
        return jint(o, key);
    for (; *s; s++, n++) {
        if (!isdigit((unsigned char)*s) || n >= 18)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return n ? v : -1;
}

static int jbool(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/* Set *dst to a converted copy of s (NULL stays NULL); AVK_EX_OSERR when
 * out of memory. */
static int conv(char **dst, const char *s, size_t max, int html)
{
    if (!s)
        return 0;
    *dst = html ? avk_feed_html_to_text(s, max) : avk_feed_clean_text(s, max);
    return *dst ? 0 : AVK_EX_OSERR;
}

static int hn_item(pctx *c, json_t *o)
{
    avk_feed_item it;
    const char *type, *url;
    long long id;
    char buf[96];
    int rc;

    if (!json_is_object(o) || jbool(o, "deleted") || jbool(o, "dead"))
        return 0;
    type = jstr(o, "type");
    if (type && strcmp(type, "story") != 0 && strcmp(type, "poll") != 0)
        return 0;
    id = jint(o, "id");
    item_init(&it);
    url = jstr(o, "url");
    if (id >= 0)
        snprintf(buf, sizeof buf, "https://news.ycombinator.com/item?id=%lld",
                 id);
    rc = conv(&it.title, jstr(o, "title"), c->lim->max_title, 1);
    if (!rc)
        rc = conv(&it.link, url && *url ? url : id >= 0 ? buf : NULL, 2048, 0);
    if (!rc)
        rc = conv(&it.summary, jstr(o, "text"), c->lim->max_text, 1);
    if (!rc && id >= 0) {
        snprintf(buf, sizeof buf, "%lld", id);
        rc = conv(&it.id, buf, 64, 0);
    }
    if (rc) {
        item_release(&it);
        return rc;
    }
    it.published = jint(o, "time");
    it.points = jint(o, "score");
    it.comments = jint(o, "descendants");
    return push_item(c, &it);
}

static int parse_hn(pctx *c, json_t *root)
{
    size_t i;
    json_t *v;
    int rc = 0;

    if (json_is_object(root) && json_object_get(root, "topstories")) {
        json_t *ids = json_object_get(root, "topstories");
        json_t *items = json_object_get(root, "items");

        if (!json_is_array(ids) || !(json_is_array(items) || json_is_object(items)))
            return avk_fail(c->err, AVK_EX_DATAERR,
                            "'%s': a Hacker News set needs \"topstories\" "
                            "(array) and \"items\"", c->feed->source);
        json_array_foreach(ids, i, v) {
            json_t *it = NULL;
            char key[32];

            if (!json_is_integer(v))
                continue;
            snprintf(key, sizeof key, "%lld", (long long)json_integer_value(v));
            if (json_is_object(items)) {
                it = json_object_get(items, key);
            } else {
                size_t j;
                json_t *w;
                json_array_foreach(items, j, w) {
                    if (jint(w, "id") == (long long)json_integer_value(v)) {
                        it = w;
                        break;
                    }
                }
            }
            if ((rc = hn_item(c, it)) != 0)
                break;
        }
    } else if (json_is_array(root)) {
        if (json_array_size(root) && json_is_integer(json_array_get(root, 0)))
            return avk_fail(c->err, AVK_EX_DATAERR,
                            "'%s': this is a Hacker News id list; it needs "
                            "its items", c->feed->source);
        json_array_foreach(root, i, v) {
            if ((rc = hn_item(c, v)) != 0)
                break;
        }
    } else if (json_is_object(root) && json_object_get(root, "id")) {
        rc = hn_item(c, root);
    } else if (json_is_null(root)) {
        rc = 0; /* item/<id>.json of a missing item */
    } else {
        return avk_fail(c->err, AVK_EX_DATAERR,
                        "'%s': not Hacker News item JSON", c->feed->source);
    }
    if (rc)
        return avk_fail(c->err, rc, "'%s': out of memory", c->feed->source);
    c->feed->kind = AVK_FEED_HN;
    return 0;
}

static int parse_reddit(pctx *c, json_t *root)
{
    json_t *children = json_object_get(json_object_get(root, "data"),
                                       "children");
    json_t *ch;
    size_t i;

    if (!json_is_array(children))
        return avk_fail(c->err, AVK_EX_DATAERR,
                        "'%s': not a Reddit listing (no data.children)",
                        c->feed->source);
    json_array_foreach(children, i, ch) {
        json_t *d = json_object_get(ch, "data");
        const char *kind = jstr(ch, "kind");
        const char *perma, *url;
        avk_feed_item it;
        char *link = NULL;
        int rc;

        if (!json_is_object(d) || (kind && strcmp(kind, "t3") != 0) ||
            jbool(d, "stickied") || jbool(d, "over_18"))
            continue;
        item_init(&it);
        perma = jstr(d, "permalink");
        url = jstr(d, "url");
        if (perma && perma[0] == '/') {
            size_t n = strlen(perma) + 32;
            link = malloc(n);
            if (link)
                snprintf(link, n, "https://www.reddit.com%s", perma);
        }
        rc = (perma && perma[0] == '/' && !link) ? AVK_EX_OSERR : 0;
        if (!rc)
            rc = conv(&it.title, jstr(d, "title"), c->lim->max_title, 1);
        if (!rc)
            rc = conv(&it.link, link ? link : url, 2048, 0);
        if (!rc)
            rc = conv(&it.summary, jstr(d, "selftext"), c->lim->max_text, 1);
        if (!rc)
            rc = conv(&it.id, jstr(d, "name"), 64, 0);
        free(link);
        if (rc) {
            item_release(&it);
            return avk_fail(c->err, rc, "'%s': out of memory", c->feed->source);
        }
        it.points = jint(d, "score");
        it.comments = jint(d, "num_comments");
        it.published = jint(d, "created_utc");
        if ((rc = push_item(c, &it)) != 0)
            return avk_fail(c->err, rc, "'%s': out of memory", c->feed->source);
    }
    c->feed->kind = AVK_FEED_REDDIT;
    return 0;
}

static int parse_youtube(pctx *c, json_t *root)
{
    json_t *items = json_object_get(root, "items");
    json_t *v;
    size_t i;

    if (!json_is_array(items))
        return avk_fail(c->err, AVK_EX_DATAERR,
                        "'%s': not a YouTube videos list (no items array)",
                        c->feed->source);
    json_array_foreach(items, i, v) {
        json_t *sn = json_object_get(v, "snippet");
        json_t *stats = json_object_get(v, "statistics");
        const char *id = jstr(v, "id");
        const char *lang;
        avk_feed_item it;
        char link[160];
        int rc;

        if (!json_is_object(sn))
            continue;
        item_init(&it);
        lang = jstr(sn, "defaultAudioLanguage");
        if (!lang)
            lang = jstr(sn, "defaultLanguage");
        rc = conv(&it.title, jstr(sn, "title"), c->lim->max_title, 0);
        if (!rc)
            rc = conv(&it.summary, jstr(sn, "description"), c->lim->max_text, 0);
        if (!rc)
            rc = conv(&it.id, id, 64, 0);
        if (!rc && id && strlen(id) < 64) {
            snprintf(link, sizeof link, "https://www.youtube.com/watch?v=%s", id);
            rc = conv(&it.link, link, sizeof link, 0);
        }
        if (!rc && lang && !(it.lang = lang_subtag(lang)))
            rc = 0; /* odd language tag: unknown */
        if (rc) {
            item_release(&it);
            return avk_fail(c->err, rc, "'%s': out of memory", c->feed->source);
        }
        it.published = avk_feed_parse_date(jstr(sn, "publishedAt"));
        if (json_is_object(stats)) {
            it.views = jcount_str(stats, "viewCount");
            it.points = jcount_str(stats, "likeCount");
            it.comments = jcount_str(stats, "commentCount");
        }
        if ((rc = push_item(c, &it)) != 0)
            return avk_fail(c->err, rc, "'%s': out of memory", c->feed->source);
    }
    c->feed->kind = AVK_FEED_YOUTUBE;
    return 0;
}

static avk_feed_kind detect_json(json_t *root)
{
    json_t *items;
    const char *kind;

    if (json_is_array(root) || json_is_null(root))
        return AVK_FEED_HN;
    if (!json_is_object(root))
        return AVK_FEED_AUTO;
    kind = jstr(root, "kind");
    if (kind && strcmp(kind, "Listing") == 0)
        return AVK_FEED_REDDIT;
    if (kind && strncmp(kind, "youtube#", 8) == 0)
        return AVK_FEED_YOUTUBE;
    if (json_object_get(root, "topstories") || json_object_get(root, "by") ||
        (json_object_get(root, "id") && json_object_get(root, "type")))
        return AVK_FEED_HN;
    items = json_object_get(root, "items");
    if (json_is_array(items) &&
        json_object_get(json_array_get(items, 0), "snippet"))
        return AVK_FEED_YOUTUBE;
    if (json_object_get(json_object_get(root, "data"), "children"))
        return AVK_FEED_REDDIT;
    return AVK_FEED_AUTO;
}

static int parse_json(pctx *c, const char *data, size_t len,
                      avk_feed_kind kind)
{
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_DECODE_ANY, &je);
    int rc;

    if (!root)
        return avk_fail(c->err, AVK_EX_DATAERR,
                        "'%s': malformed JSON at line %d, column %d: %s",
                        c->feed->source, je.line, je.column, je.text);
    if (kind == AVK_FEED_AUTO)
        kind = detect_json(root);
    switch (kind) {
    case AVK_FEED_HN: rc = parse_hn(c, root); break;
    case AVK_FEED_REDDIT: rc = parse_reddit(c, root); break;
    case AVK_FEED_YOUTUBE: rc = parse_youtube(c, root); break;
    default:
        rc = avk_fail(c->err, AVK_EX_DATAERR,
                      "'%s': JSON that is not a Hacker News, Reddit or "
                      "YouTube document", c->feed->source);
    }
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

static const char *skip_bom_ws(const char *data, size_t len, size_t *rest)
{
    size_t i = 0;

    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && isspace((unsigned char)data[i]))
        i++;
    *rest = len - i;
    return data + i;
}

avk_feed_kind avk_feed_detect(const char *data, size_t len)
{
    size_t n;
    const char *p = skip_bom_ws(data, len, &n);
    json_t *root;
    avk_feed_kind k;

    if (n == 0)
        return AVK_FEED_AUTO;
    if (*p == '<') {
        size_t lim = n < 4096 ? n : 4096, i, j;
        for (i = 0; i < lim; i++) {
            const char *q = p + i;
            size_t left = n - i;
            if (left >= 5 && memcmp(q, "<feed", 5) == 0)
                return AVK_FEED_ATOM;
            if ((left >= 4 && memcmp(q, "<rss", 4) == 0) ||
                (left >= 8 && memcmp(q, "<rdf:RDF", 8) == 0)) {
                for (j = i; j < n; j++)
                    if ((n - j >= 9 && memcmp(p + j, "xmlns:ht=", 9) == 0) ||
                        (n - j >= 4 && memcmp(p + j, "<ht:", 4) == 0))
                        return AVK_FEED_GTRENDS;
                return AVK_FEED_RSS;
            }
        }
        return AVK_FEED_AUTO;
    }
    if (*p != '{' && *p != '[')
        return AVK_FEED_AUTO;
    root = json_loadb(data, len, JSON_DECODE_ANY, NULL);
    if (!root)
        return AVK_FEED_AUTO;
    k = detect_json(root);
    json_decref(root);
    return k;
}

int avk_feed_append(avk_feed *feed, const char *data, size_t len,
                    avk_feed_kind kind, const avk_feed_limits *lim,
                    avk_err *err)
{
    avk_feed_limits dl;
    pctx c;
    size_t n, i;
    const char *p;
    avk_feed_item *items;
    int rc;

    if (!lim) {
        avk_feed_limits_default(&dl);
        lim = &dl;
    }
    if (len > lim->max_input)
        return avk_fail(err, AVK_EX_DATAERR,
                        "'%s': input of %zu bytes is over the %zu byte limit",
                        feed->source, len, lim->max_input);
    p = skip_bom_ws(data, len, &n);
    if (n == 0)
        return avk_fail(err, AVK_EX_DATAERR, "'%s': empty input",
                        feed->source);
    memset(&c, 0, sizeof c);
    c.lim = lim;
    c.err = err;
    c.feed = avk_feed_new(feed->source);
    if (!c.feed)
        return avk_fail(err, AVK_EX_OSERR, "'%s': out of memory",
                        feed->source);
    if (*p == '<') {
        if (kind == AVK_FEED_HN || kind == AVK_FEED_REDDIT ||
            kind == AVK_FEED_YOUTUBE)
            rc = avk_fail(err, AVK_EX_DATAERR, "'%s': expected %s JSON, got XML",
                          feed->source, avk_feed_kind_name(kind));
        else
            rc = parse_xml(&c, p, n);
    } else if (*p == '{' || *p == '[' || (n >= 4 && memcmp(p, "null", 4) == 0)) {
        if (kind == AVK_FEED_RSS || kind == AVK_FEED_ATOM ||
            kind == AVK_FEED_GTRENDS)
            rc = avk_fail(err, AVK_EX_DATAERR, "'%s': expected XML, got JSON",
                          feed->source);
        else
            rc = parse_json(&c, p, n, kind);
    } else {
        char head[16];
        size_t k;

        /* Show the start of the input, printable ASCII only. */
        for (k = 0; k < n && k < 12; k++)
            head[k] = p[k] >= ' ' && p[k] < 0x7F ? p[k] : '?';
        head[k] = '\0';
        rc = avk_fail(err, AVK_EX_DATAERR,
                      "'%s': neither XML nor JSON (starts with '%s')",
                      feed->source, head);
    }
    if (rc) {
        avk_feed_free(c.feed);
        return rc;
    }
    if (c.feed->n_items) {
        items = realloc(feed->items,
                        (feed->n_items + c.feed->n_items) * sizeof *items);
        if (!items) {
            avk_feed_free(c.feed);
            return avk_fail(err, AVK_EX_OSERR, "'%s': out of memory",
                            feed->source);
        }
        feed->items = items;
        for (i = 0; i < c.feed->n_items; i++)
            feed->items[feed->n_items++] = c.feed->items[i];
        c.feed->n_items = 0;
    }
    if (!feed->title) {
        feed->title = c.feed->title;
        c.feed->title = NULL;
    }
    if (!feed->lang) {
        feed->lang = c.feed->lang;
        c.feed->lang = NULL;
    }
    feed->kind = c.feed->kind;
    avk_feed_free(c.feed);
    return 0;
}

int avk_feed_parse(const char *source, const char *data, size_t len,
                   avk_feed_kind kind, const avk_feed_limits *lim,
                   avk_feed **out, avk_err *err)
{
    avk_feed *f = avk_feed_new(source);
    int rc;

    *out = NULL;
    if (!f)
        return avk_fail(err, AVK_EX_OSERR, "'%s': out of memory",
                        source ? source : "feed");
    rc = avk_feed_append(f, data, len, kind, lim, err);
    if (rc) {
        avk_feed_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int avk_feed_hn_ids(const char *source, const char *data, size_t len,
                    size_t max, long long **ids, size_t *n, avk_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(data, len, 0, &je);
    json_t *v;
    size_t i, k = 0, cnt;

    *ids = NULL;
    *n = 0;
    if (!root)
        return avk_fail(err, AVK_EX_DATAERR,
                        "'%s': malformed JSON at line %d, column %d: %s",
                        source, je.line, je.column, je.text);
    if (!json_is_array(root)) {
        json_decref(root);
        return avk_fail(err, AVK_EX_DATAERR, "'%s': not a Hacker News id list",
                        source);
    }
    cnt = json_array_size(root);
    if (cnt > max)
        cnt = max;
    *ids = malloc((cnt ? cnt : 1) * sizeof **ids);
    if (!*ids) {
        json_decref(root);
        return avk_fail(err, AVK_EX_OSERR, "'%s': out of memory", source);
    }
    json_array_foreach(root, i, v) {
        if (k >= cnt)
            break;
        if (!json_is_integer(v)) {
            free(*ids);
            *ids = NULL;
            json_decref(root);
            return avk_fail(err, AVK_EX_DATAERR,
                            "'%s': id list entry %zu is not an integer",
                            source, i);
        }
        (*ids)[k++] = (long long)json_integer_value(v);
    }
    *n = k;
    json_decref(root);
    return 0;
}
