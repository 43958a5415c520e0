/* Unit tests for trendsrc: --source parsing and URL building. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "trendsrc.h"

static void url_is(const char *spec, const avk_tsrc_cfg *c, const char *want)
{
    avk_tsrc s;
    avk_buf u;
    avk_err err;

    avk_buf_init(&u);
    if (avk_tsrc_parse(spec, "us", &s, &err) == 0 &&
        avk_tsrc_url(&s, c, &u, &err) == 0)
        is_str(u.data, want, spec);
    else
        ok(0, "%s: %s", spec, err.msg);
    avk_buf_release(&u);
    avk_tsrc_release(&s);
}

int main(void)
{
    avk_tsrc_cfg c;
    avk_tsrc s;
    avk_buf u;
    avk_err err;
    static const char *const bad[] = {"reddit:", "reddit:a/b", "reddit:x?y=1",
                                      "gtrends:U", "gtrends:US&x", "youtube:US-CA",
                                      "gtrends:12", ""};
    size_t i;

    avk_tsrc_cfg_default(&c);
    url_is("hn", &c, "https://hacker-news.firebaseio.com/v0/topstories.json");
    url_is("reddit:worldnews", &c,
           "https://www.reddit.com/r/worldnews/hot.json?limit=25&raw_json=1");
    url_is("gtrends", &c, "https://trends.google.com/trending/rss?geo=US");
    url_is("gtrends:gb", &c, "https://trends.google.com/trending/rss?geo=GB");
    url_is("gtrends:US-CA", &c, "https://trends.google.com/trending/rss?geo=US-CA");
    url_is("https://x.example/feed?a=1", &c, "https://x.example/feed?a=1");
    c.hn_base = "http://127.0.0.1:9/hn/";
    url_is("hn", &c, "http://127.0.0.1:9/hn/topstories.json");
    avk_buf_init(&u);
    ok(avk_tsrc_hn_item_url(&c, 42, &u, &err) == 0 &&
           strcmp(u.data, "http://127.0.0.1:9/hn/item/42.json") == 0,
       "hn item url");
    avk_buf_release(&u);

    ok(avk_tsrc_parse("youtube", "de", &s, &err) == 0 && strcmp(s.name, "youtube:DE") == 0,
       "youtube takes the region");
    avk_buf_init(&u);
    ok(avk_tsrc_url(&s, &c, &u, &err) == AVK_EX_CONFIG && strstr(err.msg, "API key"),
       "youtube without a key: config error");
    c.youtube_key = "sekrit\"&x";
    ok(avk_tsrc_url(&s, &c, &u, &err) == AVK_EX_CONFIG && !strstr(err.msg, "sekrit"),
       "odd key refused without showing it");
    c.youtube_key = "AIzaFAKEKEY_123";
    ok(avk_tsrc_url(&s, &c, &u, &err) == 0 && strstr(u.data, "regionCode=DE") &&
           strstr(u.data, "chart=mostPopular"),
       "youtube url");
    ok(strstr(s.name, "AIza") == NULL, "name never holds the key");
    avk_buf_release(&u);
    avk_tsrc_release(&s);

    ok(avk_tsrc_parse("examples/feeds/news-daily.rss", "US", &s, &err) == 0 &&
           s.type == AVK_TSRC_FILE && strcmp(s.name, "news-daily.rss") == 0 &&
           !avk_tsrc_is_remote(&s),
       "file source named by its base name");
    avk_tsrc_release(&s);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = avk_tsrc_parse(bad[i], "US", &s, &err);
        ok(rc == AVK_EX_USAGE, "refused: '%s' (%s)", bad[i], err.msg);
        if (!rc)
            avk_tsrc_release(&s);
    }
    return tap_done();
}
