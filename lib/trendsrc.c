/*
 * trendsrc.c - parse av-trend --source values and build their URLs (see
 * trendsrc.h).  Pure string work: nothing here touches the network.
 *
 * Invariant: every piece of user text put into a URL was checked first
 * (subreddit [A-Za-z0-9_], region [A-Z] and '-', key [A-Za-z0-9_-]).
 */
#include "trendsrc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void avk_tsrc_cfg_default(avk_tsrc_cfg *c)
{
    c->hn_base = "https://hacker-news.firebaseio.com/v0";
    c->reddit_base = "https://www.reddit.com";
    c->youtube_base = "https://www.googleapis.com/youtube/v3";
    c->gtrends_base = "https://trends.google.com";
    c->youtube_key = NULL;
    c->region = "US";
    c->limit = 25;
}

const char *avk_tsrc_type_name(avk_tsrc_type t)
{
    switch (t) {
    case AVK_TSRC_FILE: return "file";
    case AVK_TSRC_URL: return "url";
    case AVK_TSRC_HN: return "hn";
    case AVK_TSRC_REDDIT: return "reddit";
    case AVK_TSRC_YOUTUBE: return "youtube";
    case AVK_TSRC_GTRENDS: return "gtrends";
    }
    return "?";
}

void avk_tsrc_release(avk_tsrc *s)
{
    free(s->spec);
    free(s->name);
    free(s->arg);
    memset(s, 0, sizeof *s);
}

int avk_tsrc_is_remote(const avk_tsrc *s)
{
    return s->type != AVK_TSRC_FILE;
}

static int all_of(const char *s, const char *set, size_t min, size_t max)
{
    size_t n = strlen(s);

    return n >= min && n <= max && strspn(s, set) == n;
}

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define ALNUM_ "abcdefghijklmnopqrstuvwxyz" UPPER "0123456789_"

static int valid_geo(const char *g)
{
    /* "US", "GB", "US-CA" */
    if (!all_of(g, UPPER "-", 2, 6))
        return 0;
    return isupper((unsigned char)g[0]) && isupper((unsigned char)g[1]) &&
           (g[2] == '\0' || (g[2] == '-' && g[3]));
}

static char *join2(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s%s", a, b);
    return p;
}

int avk_tsrc_parse(const char *spec, const char *region, avk_tsrc *s,
                   avk_err *err)
{
    const char *colon = strchr(spec, ':');
    const char *arg = colon ? colon + 1 : NULL;
    char *upper = NULL;

    memset(s, 0, sizeof *s);
    if (!*spec)
        return avk_fail(err, AVK_EX_USAGE, "empty --source");
    if (strncmp(spec, "http://", 7) == 0 || strncmp(spec, "https://", 8) == 0) {
        s->type = AVK_TSRC_URL;
        s->arg = strdup(spec);
        s->name = strdup(spec);
    } else if (strcmp(spec, "hn") == 0) {
        s->type = AVK_TSRC_HN;
        s->kind = AVK_FEED_HN;
        s->name = strdup("hn");
        s->arg = strdup("topstories");
    } else if (strncmp(spec, "reddit:", 7) == 0) {
        arg = spec + 7;
        if (!all_of(arg, ALNUM_, 2, 21))
            return avk_fail(err, AVK_EX_USAGE,
                            "bad subreddit in '%s' (letters, digits, _)", spec);
        s->type = AVK_TSRC_REDDIT;
        s->kind = AVK_FEED_REDDIT;
        s->arg = strdup(arg);
        s->name = strdup(spec);
    } else if (strcmp(spec, "youtube") == 0 || strncmp(spec, "youtube:", 8) == 0 ||
               strcmp(spec, "gtrends") == 0 || strncmp(spec, "gtrends:", 8) == 0) {
        int yt = spec[0] == 'y';
        const char *geo = arg ? arg : region ? region : "US";
        size_t i;

        upper = strdup(geo);
        if (!upper)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        for (i = 0; upper[i]; i++)
            upper[i] = (char)toupper((unsigned char)upper[i]);
        if (!valid_geo(upper) || (yt && strlen(upper) != 2)) {
            free(upper);
            return avk_fail(err, AVK_EX_USAGE,
                            "bad region in '%s' (a country code such as US%s)",
                            spec, yt ? "" : " or US-CA");
        }
        s->type = yt ? AVK_TSRC_YOUTUBE : AVK_TSRC_GTRENDS;
        s->kind = yt ? AVK_FEED_YOUTUBE : AVK_FEED_GTRENDS;
        s->arg = upper;
        s->name = join2(yt ? "youtube:" : "gtrends:", upper);
    } else {
        const char *base = strrchr(spec, '/');
        s->type = AVK_TSRC_FILE;
        s->arg = strdup(spec);
        s->name = strdup(base && base[1] ? base + 1 : spec);
    }
    s->spec = strdup(spec);
    if (!s->spec || !s->arg || !s->name) {
        avk_tsrc_release(s);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    return 0;
}

static int add_base(avk_buf *url, const char *base)
{
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    return avk_buf_add(url, base, n);
}

int avk_tsrc_url(const avk_tsrc *s, const avk_tsrc_cfg *c, avk_buf *url,
                 avk_err *err)
{
    int rc = 0;
    int limit = c->limit > 0 && c->limit <= 100 ? c->limit : 25;

    switch (s->type) {
    case AVK_TSRC_FILE:
        return avk_fail(err, AVK_EX_USAGE, "'%s' is a file, not a URL",
                        s->spec);
    case AVK_TSRC_URL:
        rc = avk_buf_adds(url, s->arg);
        break;
    case AVK_TSRC_HN:
        rc = add_base(url, c->hn_base) || avk_buf_adds(url, "/topstories.json");
        break;
    case AVK_TSRC_REDDIT:
        rc = add_base(url, c->reddit_base) ||
             avk_buf_printf(url, "/r/%s/hot.json?limit=%d&raw_json=1", s->arg,
                            limit);
        break;
    case AVK_TSRC_GTRENDS:
        rc = add_base(url, c->gtrends_base) ||
             avk_buf_printf(url, "/trending/rss?geo=%s", s->arg);
        break;
    case AVK_TSRC_YOUTUBE:
        if (!c->youtube_key || !*c->youtube_key)
            return avk_fail(err, AVK_EX_CONFIG,
                            "'%s' needs a YouTube Data API key "
                            "(youtube.api_key or YOUTUBE_API_KEY)", s->spec);
        if (!all_of(c->youtube_key, ALNUM_ "-", 8, 200))
            return avk_fail(err, AVK_EX_CONFIG,
                            "the configured YouTube API key has unexpected "
                            "characters");
        rc = add_base(url, c->youtube_base) ||
             avk_buf_printf(url,
                            "/videos?part=snippet,statistics&chart=mostPopular"
                            "&regionCode=%s&maxResults=%d&key=%s",
                            s->arg, limit > 50 ? 50 : limit, c->youtube_key);
        break;
    }
    if (rc)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}

int avk_tsrc_hn_item_url(const avk_tsrc_cfg *c, long long id, avk_buf *url,
                         avk_err *err)
{
    if (id < 0)
        return avk_fail(err, AVK_EX_DATAERR, "bad Hacker News id %lld", id);
    if (add_base(url, c->hn_base) ||
        avk_buf_printf(url, "/item/%lld.json", id))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}
