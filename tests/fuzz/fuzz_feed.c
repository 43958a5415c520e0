/*
 * fuzz_feed.c - libFuzzer target for the feed parsers and the scorer.
 *
 * Each input is parsed as any format (AVK_FEED_AUTO) with small limits.
 * Besides what the sanitizers catch, the target aborts when a promise of
 * feed.h or trendscore.h breaks:
 *   - a failed parse returns no feed and a message naming the source;
 *   - a parsed item has a non-empty title, and every string is valid UTF-8
 *     within its byte limit;
 *   - ranking the items gives topics whose parts sum to the score, each
 *     item in exactly one topic.
 * The text helpers (dates, traffic, HTML to text) also see the raw input.
 * Built by tools/fuzz.sh with -DAVK_LIBFUZZER; without it, replay_main.h
 * makes it a plain program (tests/helpers/fuzz_replay_feed.c).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "trendscore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_utf8(const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);

    if (max && n > max)
        return 0;
    while (*p) {
        int k = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1
                          : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (k < 0)
            return 0;
        p++;
        while (k-- > 0) {
            if ((*p & 0xC0) != 0x80)
                return 0;
            p++;
        }
    }
    return 1;
}

static void check_str(const char *s, size_t max)
{
    if (s && !valid_utf8(s, max))
        abort();
}

static void check_feed(const avk_feed *f, const avk_feed_limits *lim)
{
    const avk_feed_item **items;
    avk_trend_opts o;
    avk_trend_result *r = NULL;
    size_t i, j, seen = 0;

    if (f->n_items > lim->max_items)
        abort();
    items = malloc((f->n_items ? f->n_items : 1) * sizeof *items);
    if (!items)
        return;
    for (i = 0; i < f->n_items; i++) {
        const avk_feed_item *it = &f->items[i];
        if (!it->title || !*it->title || !it->source)
            abort();
        check_str(it->title, lim->max_title);
        check_str(it->summary, lim->max_text);
        check_str(it->link, 0);
        check_str(it->id, 0);
        if (it->n_news > lim->max_news)
            abort();
        for (j = 0; j < it->n_news; j++) {
            check_str(it->news[j].title, lim->max_title);
            check_str(it->news[j].snippet, lim->max_text);
        }
        items[i] = it;
    }
    avk_trend_opts_default(&o, 1795608000);
    o.have_prev = 1;
    if (avk_trend_rank(items, f->n_items, NULL, 0, &o, NULL, &r, NULL) == 0) {
        for (i = 0; i < r->n_topics; i++) {
            double sum = 0;
            for (j = 0; j < AVK_TREND_NPARTS; j++)
                sum += r->topics[i].part[j];
            if (fabs(sum - r->topics[i].score) > 1e-9 || !r->topics[i].phrase)
                abort();
            check_str(r->topics[i].phrase, 0);
            seen += r->topics[i].n_items;
        }
        if (seen != f->n_items)
            abort();
        avk_trend_result_free(r);
    }
    free(items);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avk_feed_limits lim;
    avk_feed *f = NULL;
    avk_err err;
    char *text, *s;
    int rc;

    avk_feed_limits_default(&lim);
    lim.max_items = 50;
    lim.max_title = 100;
    lim.max_text = 300;
    rc = avk_feed_parse("fuzz", (const char *)data, size, AVK_FEED_AUTO, &lim,
                        &f, &err);
    if (rc) {
        if (f || strncmp(err.msg, "'fuzz'", 6) != 0)
            abort();
    } else {
        check_feed(f, &lim);
        avk_feed_free(f);
    }
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    (void)avk_feed_parse_date(text);
    (void)avk_feed_parse_traffic(text);
    if (valid_utf8(text, 0)) {
        s = avk_feed_html_to_text(text, 64);
        if (s && !valid_utf8(s, 64))
            abort();
        free(s);
    }
    free(text);
    return 0;
}

#include "replay_main.h"
