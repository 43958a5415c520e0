/* Unit tests for feed: every format, text cleaning, dates, traffic numbers,
 * and clean failure on malformed, non-XML and unsafe input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "feed.h"
#include "fsutil.h"
#include "tap.h"

static avk_feed *parse_str(const char *src, const char *s, avk_feed_kind k,
                           avk_err *err)
{
    avk_feed *f = NULL;

    avk_err_clear(err);
    avk_feed_parse(src, s, strlen(s), k, NULL, &f, err);
    return f;
}

static avk_feed *parse_example(const char *name, avk_feed_kind k)
{
    char path[512];
    avk_buf b;
    avk_feed *f = NULL;
    avk_err err;
    const char *top = getenv("AVK_TOP");

    snprintf(path, sizeof path, "%s/examples/feeds/%s", top ? top : ".", name);
    avk_buf_init(&b);
    if (avk_read_file(path, &b, &err) == 0 &&
        avk_feed_parse(name, b.data, b.len, k, NULL, &f, &err) != 0)
        printf("# %s\n", err.msg);
    avk_buf_release(&b);
    return f;
}

static void test_text(void)
{
    char *s;

    s = avk_feed_html_to_text("<p>Hello&nbsp;<b>big</b>  world&#33; &amp;amp; "
                              "&eacute;t&#xE9;</p><script>var x=1;</script>"
                              "<br/>end &bogus; a < b",
                              0);
    is_str(s, "Hello big world! &amp; été end &bogus; a < b",
           "html_to_text strips tags, scripts, decodes entities");
    free(s);
    s = avk_feed_html_to_text("caf\xC3\xA9 caf\xC3\xA9", 8);
    is_str(s, "caf\xC3\xA9 ca", "cut at a character boundary, trimmed");
    free(s);
    s = avk_feed_html_to_text("a<!-- hidden -->b &#0; &#xD800;", 0);
    is_str(s, "ab \xEF\xBF\xBD \xEF\xBF\xBD", "comments dropped; bad code points replaced");
    free(s);
    s = avk_feed_clean_text("  x <b>y</b>\n\tz &lt; ", 0);
    is_str(s, "x <b>y</b> z <", "clean_text keeps tags, collapses space");
    free(s);
}

static void test_numbers(void)
{
    is_int(avk_feed_parse_traffic("200K+"), 200000, "200K+");
    is_int(avk_feed_parse_traffic("1,000+"), 1000, "1,000+");
    is_int(avk_feed_parse_traffic("2M+"), 2000000, "2M+");
    is_int(avk_feed_parse_traffic(" 1.5M "), 1500000, "1.5M");
    is_int(avk_feed_parse_traffic("50"), 50, "plain number");
    is_int(avk_feed_parse_traffic("lots"), -1, "garbage is -1");
    is_int(avk_feed_parse_traffic("5X+"), -1, "unknown suffix is -1");
    is_int(avk_feed_parse_traffic(""), -1, "empty is -1");
    is_int(avk_feed_parse_traffic("999999999999999B+"), -1, "absurdly large is -1");

    is_int(avk_feed_parse_date("Wed, 25 Nov 2026 08:00:00 GMT"), 1795593600,
           "RFC 822 GMT");
    is_int(avk_feed_parse_date("25 Nov 2026 09:00:00 +0100"), 1795593600,
           "RFC 822 without day name, numeric zone");
    is_int(avk_feed_parse_date("Wed, 25 Nov 26 03:00 EST"), 1795593600,
           "RFC 822 2-digit year, no seconds, EST");
    is_int(avk_feed_parse_date("Wed, 25 Nov 2026 00:00:00 -0800"), 1795593600,
           "RFC 822 negative offset");
    is_int(avk_feed_parse_date("2026-11-25T08:00:00Z"), 1795593600, "RFC 3339 Z");
    is_int(avk_feed_parse_date("2026-11-25T09:00:00.123+01:00"), 1795593600,
           "RFC 3339 fraction and offset");
    is_int(avk_feed_parse_date("2026-11-25"), 1795564800, "date only");
    is_int(avk_feed_parse_date("2026-02-30T00:00:00Z"), -1, "Feb 30 rejected");
    is_int(avk_feed_parse_date("Wed, 25 Foo 2026 08:00:00 GMT"), -1,
           "bad month rejected");
    is_int(avk_feed_parse_date("yesterday"), -1, "words rejected");
    is_int(avk_feed_parse_date("Wed, 25 Nov 2026 08:00:00 XYZ"), -1,
           "unknown zone rejected");
}

static void test_rss(void)
{
    avk_feed *f = parse_example("news-daily.rss", AVK_FEED_AUTO);

    ok(f != NULL, "news-daily.rss parses");
    if (!f)
        return;
    is_int(f->kind, AVK_FEED_RSS, "kind rss");
    is_int(f->n_items, 4, "four items");
    is_str(f->title, "The Daily Ledger & Review", "channel title decoded");
    is_str(f->lang, "en", "channel language subtag");
    is_str(f->items[0].title, "Lunar rover finds water ice near the Moon's south pole",
           "first title");
    is_str(f->items[0].link, "https://ledger.example/science/lunar-rover-water-ice",
           "link (atom:link self in channel ignored)");
    is_str(f->items[0].summary,
           "Instruments aboard the Tortoise rover detected frozen water in a "
           "shadowed crater \xE2\x80\x94 a find that could supply future crews.",
           "escaped HTML description stripped, entities decoded");
    is_str(f->items[1].summary,
           "Twelve schools will try a four-day week from January; parents\xE2\x80\x99 "
           "groups are split.",
           "CDATA HTML description stripped");
    is_int(f->items[0].published, 1795587000, "pubDate parsed");
    is_str(f->items[0].id, "ledger-1001", "guid");
    is_str(f->items[0].lang, "en", "item inherits language");
    is_str(f->items[0].source, "news-daily.rss", "source name");
    is_int(f->items[0].points, -1, "no points");
    avk_feed_free(f);

    f = parse_example("world-wire.rss", AVK_FEED_RSS);
    ok(f && f->n_items == 4, "world-wire.rss parses");
    if (f)
        is_int(f->items[0].published, 1795590120, "dc:date parsed");
    avk_feed_free(f);
}

static void test_rdf(void)
{
    avk_err err;
    avk_feed *f = parse_str(
        "rdf",
        "<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
        "<channel><title>Old style</title><dc:language>de-DE</dc:language></channel>"
        "<item><title>Erste  Meldung</title><link>https://x.example/1</link>"
        "<dc:date>2026-11-25T08:00:00+00:00</dc:date><description>Text &amp;amp; mehr</description>"
        "<media:title xmlns:media=\"http://search.yahoo.com/mrss/\">not this</media:title></item>"
        "</rdf:RDF>",
        AVK_FEED_AUTO, &err);

    ok(f && f->n_items == 1, "RSS 1.0 (RDF) items are siblings of the channel");
    if (f && f->n_items == 1) {
        is_str(f->items[0].title, "Erste Meldung", "RDF title, whitespace collapsed");
        is_str(f->items[0].lang, "de", "dc:language");
        is_int(f->items[0].published, 1795593600, "dc:date");
        is_str(f->items[0].summary, "Text & mehr", "double-escaped entity decoded once more");
    }
    avk_feed_free(f);
}

static void test_atom(void)
{
    avk_feed *f = parse_example("tech-notes.atom", AVK_FEED_AUTO);

    ok(f != NULL, "tech-notes.atom parses");
    if (!f)
        return;
    is_int(f->kind, AVK_FEED_ATOM, "kind atom");
    is_int(f->n_items, 3, "three entries");
    is_str(f->title, "Tech Notes", "feed title");
    is_str(f->items[0].link, "https://notes.example/2026/db-release",
           "alternate link chosen over replies");
    is_int(f->items[0].published, 1795579200, "published with offset wins over updated");
    is_str(f->items[0].summary, "Version 9 rewrites the WAL path & batches fsyncs.",
           "html summary");
    is_str(f->items[1].title, "How the lunar rover\xE2\x80\x99s ice drill works",
           "html title entity");
    is_str(f->items[1].summary,
           "A heated auger brings up soil. Ice near the south pole sublimates slowly.",
           "xhtml content flattened");
    is_int(f->items[1].published, 1795592700, "updated used without published");
    is_str(f->items[1].lang, "en", "xml:lang");
    is_str(f->items[0].id, "urn:uuid:7f7c7a3e-0000-4000-8000-000000000011", "id");
    avk_feed_free(f);
}

static void test_gtrends(void)
{
    avk_feed *f = parse_example("gtrends-US.xml", AVK_FEED_AUTO);
    const char *alt =
        "<rss version=\"2.0\" xmlns:ht=\"https://trends.google.com/trends/trendingsearches/daily\">"
        "<channel><item><title>x y</title><ht:approx_traffic>2M+</ht:approx_traffic>"
        "</item><item><title></title><ht:approx_traffic>9K+</ht:approx_traffic></item>"
        "</channel></rss>";
    avk_err err;

    ok(f != NULL, "gtrends-US.xml parses");
    if (!f)
        return;
    is_int(f->kind, AVK_FEED_GTRENDS, "kind gtrends");
    is_int(f->n_items, 4, "four searches");
    is_str(f->items[0].title, "moon water ice", "search term");
    is_int(f->items[0].traffic, 200000, "approx_traffic 200K+");
    is_int(f->items[3].traffic, 1000, "approx_traffic 1,000+");
    is_int(f->items[0].n_news, 1, "one news item");
    is_str(f->items[0].news[0].title,
           "Rover detects water ice at Moon's south pole, space agency says",
           "news title");
    is_str(f->items[0].news[0].snippet, "The rover's drill found ice mixed with soil.",
           "double-escaped snippet decoded");
    is_str(f->items[0].news[0].source, "World Wire", "news source");
    is_str(f->items[0].news[0].url, "https://wire.example/2026/11/25/moon-ice", "news url");
    is_str(f->items[0].summary, "The rover's drill found ice mixed with soil.",
           "summary from the first snippet");
    is_int(f->items[0].published, 1795595400, "pubDate -0800");
    avk_feed_free(f);

    f = parse_str("gt", alt, AVK_FEED_GTRENDS, &err);
    ok(f && f->n_items == 1 && f->items[0].traffic == 2000000,
       "old namespace URI matched by local name; empty title skipped");
    avk_feed_free(f);
}

static void test_json(void)
{
    avk_feed *f = parse_example("hn-topstories.json", AVK_FEED_AUTO);
    avk_err err;
    long long *ids;
    size_t n;

    ok(f != NULL, "hn set parses");
    if (f) {
        is_int(f->kind, AVK_FEED_HN, "kind hn");
        is_int(f->n_items, 4, "job and deleted skipped");
        is_str(f->items[0].title, "Ask HN: How do you keep a side project alive?",
               "topstories order kept");
        is_str(f->items[0].link, "https://news.ycombinator.com/item?id=41000003",
               "Ask HN links to the discussion");
        is_str(f->items[0].summary,
               "I keep starting things & dropping them. What habits actually work for you?",
               "HN text HTML stripped");
        is_int(f->items[1].points, 640, "score");
        is_int(f->items[1].comments, 212, "descendants");
        is_int(f->items[1].published, 1795590000, "time");
    }
    avk_feed_free(f);

    f = parse_str("hn", "{\"id\":7,\"type\":\"story\",\"title\":\"T\",\"score\":3}",
                  AVK_FEED_HN, &err);
    ok(f && f->n_items == 1 && f->items[0].points == 3, "single HN item");
    avk_feed_free(f);
    f = parse_str("hn", "null", AVK_FEED_HN, &err);
    ok(f && f->n_items == 0, "null HN item is no item");
    avk_feed_free(f);
    ok(avk_feed_hn_ids("top", "[5, 4, 3, 2]", 12, 3, &ids, &n, &err) == 0 &&
           n == 3 && ids[0] == 5 && ids[2] == 3,
       "hn ids read, capped");
    free(ids);
    ok(avk_feed_hn_ids("top", "[5, \"x\"]", 10, 10, &ids, &n, &err) == AVK_EX_DATAERR &&
           ids == NULL,
       "hn ids: non-integer refused");

    f = parse_example("reddit-worldnews.json", AVK_FEED_AUTO);
    ok(f != NULL, "reddit listing parses");
    if (f) {
        is_int(f->kind, AVK_FEED_REDDIT, "kind reddit");
        is_int(f->n_items, 3, "stickied and over_18 skipped");
        is_str(f->items[0].link,
               "https://www.reddit.com/r/worldnews/comments/abc102/rover_finds_water_ice/",
               "permalink made absolute");
        is_int(f->items[0].points, 15400, "score");
        is_int(f->items[0].comments, 1320, "num_comments");
        is_int(f->items[0].published, 1795597500, "created_utc float");
        is_str(f->items[2].summary,
               "Our district is one of the twelve. AMA about the plan & timetable.",
               "selftext");
    }
    avk_feed_free(f);

    f = parse_example("youtube-mostpopular.json", AVK_FEED_AUTO);
    ok(f != NULL, "youtube list parses");
    if (f) {
        is_int(f->kind, AVK_FEED_YOUTUBE, "kind youtube");
        is_int(f->n_items, 3, "three videos");
        is_int(f->items[0].views, 1834000, "viewCount string");
        is_int(f->items[0].points, 92000, "likeCount string");
        is_int(f->items[1].points, -1, "missing likeCount is -1");
        is_int(f->items[2].views, -1, "missing viewCount is -1");
        is_str(f->items[0].lang, "en", "defaultAudioLanguage");
        is_str(f->items[2].lang, "es", "defaultLanguage");
        is_str(f->items[0].link, "https://www.youtube.com/watch?v=vidMoonIce01", "watch link");
        is_int(f->items[0].published, 1795594500, "publishedAt");
    }
    avk_feed_free(f);
}

static avk_feed_kind det(const char *s)
{
    return avk_feed_detect(s, strlen(s));
}

static void test_detect(void)
{
    is_int(det("<?xml version='1.0'?><rss>"), AVK_FEED_RSS, "detect rss");
    is_int(det("<rss xmlns:ht=\"x\">"), AVK_FEED_GTRENDS, "detect gtrends");
    is_int(det("\xEF\xBB\xBF <feed xmlns='a'>"), AVK_FEED_ATOM,
           "detect atom after a BOM");
    is_int(det("{\"kind\":\"Listing\",\"data\":{}}"), AVK_FEED_REDDIT,
           "detect reddit");
    is_int(det("{\"kind\":\"youtube#videoListResponse\"}"),
           AVK_FEED_YOUTUBE, "detect youtube");
    is_int(det("[{\"id\":1,\"by\":\"x\"}]"), AVK_FEED_HN, "detect hn");
    is_int(det("<rd"), AVK_FEED_AUTO, "short input: unknown");
    is_int(det("hello"), AVK_FEED_AUTO, "text: unknown");
}

static void test_failures(void)
{
    avk_err err;
    avk_feed *f, *keep;
    const char *good = "<rss><channel><item><title>A</title></item></channel></rss>";
    avk_feed_limits lim;
    char big[4096];
    int i, rc;

    f = parse_str("bad.xml", "<rss><channel><item><title>A</title></item>"
                  "<item><title>B</titel></item></channel></rss>",
                  AVK_FEED_AUTO, &err);
    ok(f == NULL && err.code == AVK_EX_DATAERR, "mismatched tag fails");
    ok(strstr(err.msg, "'bad.xml'") && strstr(err.msg, "malformed XML at line 1"),
       "message names the source and position: %s", err.msg);

    f = parse_str("cut.xml", "<rss><channel><item><title>A</title></item><item><ti",
                  AVK_FEED_AUTO, &err);
    ok(f == NULL && err.code == AVK_EX_DATAERR, "truncated XML fails, nothing returned");

    f = parse_str("page.html", "Service Unavailable", AVK_FEED_AUTO, &err);
    ok(f == NULL && strstr(err.msg, "'page.html': neither XML nor JSON (starts with 'Service Unav')"),
       "non-XML fails: %s", err.msg);
    f = NULL;
    avk_feed_parse("bin", "\x01\x02zz", 4, AVK_FEED_AUTO, NULL, &f, &err);
    ok(f == NULL && strstr(err.msg, "starts with '??zz'"), "binary input shown safely: %s",
       err.msg);
    f = parse_str("empty", "  \n", AVK_FEED_AUTO, &err);
    ok(f == NULL && strstr(err.msg, "empty input"), "empty input fails");
    f = parse_str("h.html", "<html><body>hi</body></html>", AVK_FEED_AUTO, &err);
    ok(f == NULL && strstr(err.msg, "root element is <html>"), "HTML root refused: %s",
       err.msg);
    f = parse_str("j.json", "{\"a\":", AVK_FEED_AUTO, &err);
    ok(f == NULL && strstr(err.msg, "'j.json': malformed JSON"), "truncated JSON fails");
    f = parse_str("r.json", "{\"kind\":\"Listing\",\"data\":{}}", AVK_FEED_REDDIT, &err);
    ok(f == NULL && strstr(err.msg, "not a Reddit listing"), "bad listing shape");
    f = parse_str("x.json", "[1,2,3]", AVK_FEED_AUTO, &err);
    ok(f == NULL && strstr(err.msg, "id list"), "bare id list explained");
    f = parse_str("x.json", "{\"a\":1}", AVK_FEED_RSS, &err);
    ok(f == NULL && strstr(err.msg, "expected XML"), "kind mismatch");

    /* XXE and billion laughs. */
    f = parse_str("xxe.xml",
                  "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "
                  "\"file:///etc/passwd\">]><rss><channel><item><title>&xxe;</title>"
                  "</item></channel></rss>",
                  AVK_FEED_AUTO, &err);
    ok(f == NULL && err.code == AVK_EX_DATAERR && strstr(err.msg, "entity"),
       "external entity refused: %s", err.msg);
    f = parse_str("lol.xml",
                  "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                  "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                  "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
                  "<rss><channel><item><title>&lol3;</title></item></channel></rss>",
                  AVK_FEED_AUTO, &err);
    ok(f == NULL && err.code == AVK_EX_DATAERR, "entity expansion refused");
    f = parse_str("dtd.xml",
                  "<?xml version=\"1.0\"?><!DOCTYPE rss PUBLIC \"-//Netscape "
                  "Communications//DTD RSS 0.91//EN\" \"http://my.netscape.com/"
                  "publish/formats/rss-0.91.dtd\"><rss><channel><item><title>"
                  "Old &amp; fine</title></item></channel></rss>",
                  AVK_FEED_AUTO, &err);
    ok(f && f->n_items == 1 && strcmp(f->items[0].title, "Old & fine") == 0,
       "external DTD reference is not fetched, document still parses");
    avk_feed_free(f);

    /* Append keeps the feed untouched on failure. */
    keep = parse_str("k", good, AVK_FEED_AUTO, &err);
    rc = keep ? avk_feed_append(keep, "<rss><channel><item><title>B", 28,
                                AVK_FEED_AUTO, NULL, &err)
              : -1;
    ok(keep && rc == AVK_EX_DATAERR && keep->n_items == 1,
       "failed append leaves earlier items alone");
    avk_feed_free(keep);

    /* Limits. */
    avk_feed_limits_default(&lim);
    lim.max_items = 2;
    lim.max_title = 5;
    snprintf(big, sizeof big, "<rss><channel>");
    for (i = 0; i < 5; i++)
        strcat(big, "<item><title>Title number</title></item>");
    strcat(big, "</channel></rss>");
    f = NULL;
    avk_feed_parse("lim", big, strlen(big), AVK_FEED_AUTO, &lim, &f, &err);
    ok(f && f->n_items == 2 && strcmp(f->items[0].title, "Title") == 0,
       "max_items and max_title");
    avk_feed_free(f);
    lim.max_input = 10;
    f = NULL;
    ok(avk_feed_parse("lim", big, strlen(big), AVK_FEED_AUTO, &lim, &f, &err) ==
               AVK_EX_DATAERR && f == NULL && strstr(err.msg, "limit"),
       "max_input");
}

int main(void)
{
    test_text();
    test_numbers();
    test_rss();
    test_rdf();
    test_atom();
    test_gtrends();
    test_json();
    test_detect();
    test_failures();
    return tap_done();
}
