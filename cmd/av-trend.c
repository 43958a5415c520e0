/*
 * av-trend - find trending topics and print them as pipeline documents.
 *
 *   av-trend --source SRC [--source SRC]... [options]
 *   av-trend history TOPIC [--json]
 *   av-trend sources [--json]
 *
 * Each source is read (file) or fetched (URL, hn, reddit:SUB, youtube,
 * gtrends:GEO), parsed by lib/feed, stored as a snapshot when a workspace
 * exists, and all items are ranked together by lib/trendscore against the
 * previous run over the same sources (velocity).  Topics go to stdout as
 * JSON Lines, best first; a source that fails is a warning naming it and
 * makes the exit status 1 (partial) when others succeeded.
 *
 * Only this file prints; the work is done by lib/ modules.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "doc.h"
#include "feed.h"
#include "fsutil.h"
#include "hash.h"
#include "http.h"
#include "paths.h"
#include "trendout.h"
#include "trendscore.h"
#include "trendsrc.h"
#include "trendstore.h"

#define PROG "av-trend"
#define USAGE                                                              \
    PROG " --source SRC [--source SRC]... [options]\n"                     \
    "       " PROG " history TOPIC [--json]\n"                             \
    "       " PROG " sources [--json]"

typedef struct opts {
    avk_strlist sources, include, exclude;
    const char *lang, *region, *since, *now;
    double half_life, min_score;
    long long limit, items, fetch_limit;
    int explain, json, no_store, no_projects;
} opts;

typedef struct run {
    avk_ctx *ctx;
    opts *o;
    avk_tsrc_cfg cfg;
    avk_http_opts http;
    avk_http_session *session; /* one connection cache for the run */
    int http_ready;
    avk_stopwords *sw;
    long long now;
} run;

/* ---- time options ---- */

/* ISO 8601 UTC time, or a duration before now: 90m, 36h, 7d. */
static int parse_since(const char *s, long long now, long long *out,
                       avk_err *err)
{
    char *end;
    double v;
    long long t = avk_parse_iso(s);

    if (t >= 0) {
        *out = t;
        return 0;
    }
    v = strtod(s, &end);
    if (end != s && v >= 0 && end[0] && !end[1]) {
        double mul = end[0] == 'm' ? 60 : end[0] == 'h' ? 3600
                     : end[0] == 'd' ? 86400 : 0;
        if (mul > 0) {
            *out = now - (long long)(v * mul);
            return 0;
        }
    }
    return avk_fail(err, AVK_EX_USAGE,
                    "--since wants an ISO time (2026-11-25T08:00:00Z) or a "
                    "duration such as 90m, 36h, 7d, not '%s'", s);
}

/* ---- fetching ---- */

static int http_get(run *R, const char *url, const char *accept,
                    avk_buf *body, avk_err *err)
{
    avk_http_req q;
    avk_http_resp r;
    int rc;

    if (!R->http_ready) {
        if ((rc = avk_http_global_init(err)))
            return rc;
        R->http_ready = 1;
        /* Hacker News is one request per story: reuse the connection. */
        if (!(R->session = avk_http_session_new()))
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        R->http.session = R->session;
    }
    rc = avk_http_req_init(&q, "GET", url);
    if (!rc)
        rc = avk_http_req_header(&q, "Accept", accept);
    q.max_redirects = 5;
    q.max_body = 16LL << 20;
    if (rc) {
        avk_http_req_release(&q);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = avk_http_do(&R->http, &q, &r, err);
    if (!rc)
        rc = avk_http_status_error(&q, &r, NULL, err);
    if (!rc) {
        avk_buf_release(body);
        *body = r.body;
        avk_buf_init(&r.body);
    }
    avk_http_resp_release(&r);
    avk_http_req_release(&q);
    return rc;
}

static int http_setup(run *R, avk_ctx *ctx, avk_err *err)
{
    int rc;

    R->http = avk_http_opts_default();
    R->http.user_agent = avk_config_str(ctx->cfg, "trend.user_agent",
                                        "unix:av-trend:" AVK_VERSION
                                        " (by /u/av_toolkit)");
    if ((rc = avk_http_opts_config(&R->http, ctx->cfg, err)))
        return rc;
    if (ctx->verbose) {
        R->http.log = avk_diag_log_cb;
        R->http.log_ud = &ctx->diag;
    }
    return 0;
}

static void http_done(run *R)
{
    avk_http_session_free(R->session);
    R->session = NULL;
    if (R->http_ready)
        avk_http_global_cleanup();
}

#define ACCEPT_FEED                                                        \
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, "   \
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"

/* Read or fetch one source completely into *out; sha gets the hash of all
 * bytes read.  Nothing is returned on failure. */
static int load_source(run *R, const avk_tsrc *src, avk_feed **out,
                       char sha[AVK_SHA256_HEX], avk_err *err)
{
    avk_buf data, url;
    avk_feed *f = NULL;
    avk_sha256 *h = NULL;
    long long *ids = NULL;
    size_t n_ids = 0, i;
    int rc;

    *out = NULL;
    avk_buf_init(&data);
    avk_buf_init(&url);
    if (src->type == AVK_TSRC_FILE) {
        rc = avk_read_file(src->arg, &data, err);
        if (!rc)
            rc = avk_feed_parse(src->name, data.data ? data.data : "",
                                data.len, src->kind, NULL, &f, err);
        if (!rc)
            rc = avk_sha256_hex(data.data ? data.data : "", data.len, sha)
                     ? avk_fail(err, AVK_EX_SOFTWARE, "cannot hash")
                     : 0;
        goto out;
    }
    if ((rc = avk_tsrc_url(src, &R->cfg, &url, err)))
        goto out;
    rc = http_get(R, url.data, src->type == AVK_TSRC_URL ? ACCEPT_FEED
                                                         : "application/json, "
                                                           "application/rss+xml;q=0.9, */*;q=0.5",
                  &data, err);
    if (rc)
        goto out;
    if (!(h = avk_sha256_new())) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    avk_sha256_update(h, data.data ? data.data : "", data.len);
    if (src->type != AVK_TSRC_HN) {
        rc = avk_feed_parse(src->name, data.data ? data.data : "", data.len,
                            src->kind, NULL, &f, err);
        goto out;
    }
    /* Hacker News: the id list, then one request per item. */
    rc = avk_feed_hn_ids(src->name, data.data ? data.data : "", data.len,
                         (size_t)R->cfg.limit, &ids, &n_ids, err);
    if (!rc && !(f = avk_feed_new(src->name)))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (i = 0; !rc && i < n_ids; i++) {
        avk_buf_reset(&url);
        rc = avk_tsrc_hn_item_url(&R->cfg, ids[i], &url, err);
        if (!rc)
            rc = http_get(R, url.data, "application/json", &data, err);
        if (!rc) {
            avk_sha256_update(h, data.data ? data.data : "", data.len);
            rc = avk_feed_append(f, data.data ? data.data : "", data.len,
                                 AVK_FEED_HN, NULL, err);
        }
    }
    if (!rc && f)
        f->kind = AVK_FEED_HN;
out:
    if (h) {
        if (rc)
            avk_sha256_free(h);
        else
            avk_sha256_final(h, sha);
    }
    free(ids);
    avk_buf_release(&data);
    avk_buf_release(&url);
    if (rc) {
        avk_feed_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

/* ---- ranking ---- */

/* Stop words from DATADIR/stopwords.  A missing list is a warning, not an
 * error: ranking still works, only keywords and merging get noisier. */
static int load_stopwords(avk_ctx *ctx, avk_stopwords **out, avk_err *err)
{
    char *datadir = avk_datadir();
    char *dir = datadir ? avk_path_join(datadir, "stopwords") : NULL;
    int rc;

    *out = NULL;
    if (!dir) {
        free(datadir);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    rc = avk_stopwords_load(dir, "en,es,de,fr", out, err);
    if (rc == AVK_EX_CONFIG) {
        avk_warn(&ctx->diag, "%s; going on without stop words", err->msg);
        avk_err_clear(err);
        rc = 0;
    }
    free(dir);
    free(datadir);
    return rc;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void trend_opts(run *R, avk_trend_opts *t)
{
    avk_trend_opts_default(t, R->now);
    if (R->o->half_life > 0)
        t->half_life_hours = R->o->half_life;
    t->weight[AVK_TREND_VELOCITY] =
        avk_config_num(R->ctx->cfg, "trend.weight_velocity", 0.30);
    t->weight[AVK_TREND_RECENCY] =
        avk_config_num(R->ctx->cfg, "trend.weight_recency", 0.25);
    t->weight[AVK_TREND_AGREEMENT] =
        avk_config_num(R->ctx->cfg, "trend.weight_agreement", 0.20);
    t->weight[AVK_TREND_ENGAGEMENT] =
        avk_config_num(R->ctx->cfg, "trend.weight_engagement", 0.25);
    t->merge_threshold =
        avk_config_num(R->ctx->cfg, "trend.merge_threshold", 0.5);
}

/* The document for a topic: the stored project with the same topic when
 * there is one (its other sections kept), else a new one.  New reference
 * in *out. */
static int topic_doc(run *R, const avk_trend_topic *tp,
                     const avk_project_row *rows, size_t n_rows, json_t **out,
                     int *existing, avk_err *err)
{
    const char *lang = tp->lang ? tp->lang : R->o->lang ? R->o->lang : "en";
    avk_format f;
    size_t i;

    *out = NULL;
    *existing = 0;
    for (i = 0; i < n_rows; i++) {
        char *text = NULL;
        int rc;

        if (strcmp(rows[i].topic, tp->phrase) != 0)
            continue;
        if ((rc = avk_project_get(R->ctx->store, rows[i].id, &text, err)))
            return rc;
        rc = avk_doc_parse(text, strlen(text), 0, out, err);
        free(text);
        if (rc)
            return avk_err_prefix(err, "project %s", rows[i].id);
        *existing = 1;
        return 0;
    }
    if (avk_format_from_aspect("9:16", &f, err))
        return err ? err->code : AVK_EX_SOFTWARE;
    *out = avk_doc_new(NULL, tp->phrase, lang, &f);
    return *out ? 0 : avk_fail(err, AVK_EX_DATAERR,
                               "topic '%.80s' is not valid UTF-8", tp->phrase);
}

/* Print every topic as a document; with a workspace each one also starts
 * (or refreshes) the project of that topic. */
static int print_topics(run *R, const avk_trend_result *res,
                        const avk_feed_item *const *items,
                        const avk_trend_opts *t, const char *input_hash,
                        const char *at, avk_err *err)
{
    avk_project_row *rows = NULL;
    size_t i, n_rows = 0;
    int save = R->ctx->store && !R->o->no_projects;
    int rc = 0;

    if (save && (rc = avk_project_list(R->ctx->store, &rows, &n_rows, err)))
        return rc;
    for (i = 0; i < res->n_topics && !rc; i++) {
        const avk_trend_topic *tp = &res->topics[i];
        json_t *doc = NULL, *sec, *stages, *stamp;
        int existing = 0;

        if ((rc = topic_doc(R, tp, save ? rows : NULL, save ? n_rows : 0,
                            &doc, &existing, err)))
            break;
        /* json_object_set_new takes the value even when it fails. */
        sec = avk_trend_section(tp, items, (size_t)R->o->items, t,
                                R->o->explain);
        if (json_object_set_new(doc, "trend", sec) != 0)
            goto oom;
        stages = json_object_get(doc, "stages");
        if (!json_is_object(stages)) {
            stages = json_object();
            if (json_object_set_new(doc, "stages", stages) != 0)
                goto oom;
        }
        stamp = json_pack("{s:s, s:s, s:s}", "input", input_hash, "tool",
                          PROG, "at", at);
        if (json_object_set_new(stages, "trend", stamp) != 0)
            goto oom;
        if (save)
            rc = avk_doc_save(R->ctx, doc, existing ? NULL : "new", err);
        if (!rc)
            rc = avk_doc_print(doc, err);
        json_decref(doc);
        continue;
    oom:
        json_decref(doc);
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    avk_project_rows_free(rows, n_rows);
    return rc;
}

/* The sample feeds every install ships (DATADIR/feeds), so that a bare
   av-trend works offline. */
static const char *const SAMPLE_FEEDS[] = {"news-daily.rss", "world-wire.rss",
                                           "tech-notes.atom"};

/* With no --source: the configuration's trend.sources (a list or one
   string), else the sample feeds with a notice.  The strings are owned by
   *owned (a NULL-terminated array for avk_dirs_free); list->v is a new
   array of borrowed pointers into it.  Fails with AVK_EX_USAGE (nothing
   to read), AVK_EX_CONFIG, AVK_EX_OSERR. */
static int default_sources(avk_ctx *ctx, avk_strlist *list, char ***owned,
                           avk_err *err)
{
    const json_t *node = avk_config_node(ctx->cfg, "trend.sources");
    size_t n = 0, i, cap = sizeof SAMPLE_FEEDS / sizeof *SAMPLE_FEEDS;
    char *dir = NULL;
    char **v;

    if (json_is_array(node))
        cap = json_array_size(node);
    else if (node)
        cap = 1;
    if (cap == 0)
        return avk_fail(err, AVK_EX_CONFIG, "trend.sources is an empty list");
    if (!(v = calloc(cap + 1, sizeof *v)))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    *owned = v;
    if (node) {
        for (i = 0; i < cap; i++) {
            const json_t *e = json_is_array(node) ? json_array_get(node, i)
                                                  : node;
            if (!json_is_string(e) || !*json_string_value(e))
                return avk_fail(err, AVK_EX_CONFIG,
                                "trend.sources: expected a list of sources");
            if (!(v[n++] = strdup(json_string_value(e))))
                return avk_fail(err, AVK_EX_OSERR, "out of memory");
        }
    } else {
        if (!(dir = avk_datadir()))
            return avk_fail(err, AVK_EX_USAGE, "no --source given and no "
                            "sample feeds found");
        for (i = 0; i < cap; i++) {
            avk_buf b;
            avk_buf_init(&b);
            if (avk_buf_printf(&b, "%s/feeds/%s", dir, SAMPLE_FEEDS[i])) {
                avk_buf_release(&b);
                free(dir);
                return avk_fail(err, AVK_EX_OSERR, "out of memory");
            }
            v[n++] = avk_buf_detach(&b);
        }
        if (access(v[0], R_OK) != 0) {
            avk_fail(err, AVK_EX_USAGE,
                     "no --source given and no sample feeds in '%s/feeds'",
                     dir);
            free(dir);
            return AVK_EX_USAGE;
        }
        avk_info(&ctx->diag, "no --source given: reading the sample feeds "
                 "in %s/feeds (set trend.sources in the configuration)",
                 dir);
        free(dir);
    }
    if (!(list->v = calloc(n + 1, sizeof *list->v)))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (i = 0; i < n; i++)
        list->v[i] = v[i];
    list->n = n;
    return 0;
}

static int cmd_rank(avk_ctx *ctx, opts *o)
{
    run R;
    avk_err err = {0, ""};
    avk_tsrc *srcs = NULL;
    avk_feed **feeds = NULL;
    const avk_feed_item **items = NULL;
    char **names = NULL;
    avk_buf key;
    avk_tstore_prev prev;
    avk_trend_opts t;
    avk_trend_result *all = NULL, *shown = NULL;
    size_t i, j, nf = 0, n_items = 0, n_ok = 0, failed = 0;
    int rc = 0, last_rc = 0;
    char at[32], input_hash[AVK_SHA256_HEX] = "";
    char **dflt = NULL; /* owns the default sources' strings */
    long long since = 0;
    avk_sha256 *ih = NULL;
    avk_buf ostr;

    memset(&R, 0, sizeof R);
    memset(&prev, 0, sizeof prev);
    avk_buf_init(&key);
    avk_buf_init(&ostr);
    R.ctx = ctx;
    R.o = o;
    R.now = o->now ? avk_parse_iso(o->now) : (long long)time(NULL);
    if (R.now < 0) {
        avk_fail(&err, AVK_EX_USAGE, "--now wants an ISO time, not '%s'", o->now);
        return avk_usage_error(ctx, &err, USAGE);
    }
    if (o->since && parse_since(o->since, R.now, &since, &err))
        return avk_usage_error(ctx, &err, USAGE);
    if ((rc = avk_ctx_load_config(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    if (o->sources.n == 0 &&
        (rc = default_sources(ctx, &o->sources, &dflt, &err))) {
        avk_dirs_free(dflt);
        return rc == AVK_EX_USAGE ? avk_usage_error(ctx, &err, USAGE)
                                  : avk_report(&ctx->diag, &err, rc);
    }
    if (o->sources.n == 0) { /* not reached: default_sources gives one */
        avk_dirs_free(dflt);
        avk_fail(&err, AVK_EX_USAGE, "no --source given");
        return avk_usage_error(ctx, &err, USAGE);
    }
    srcs = calloc(o->sources.n, sizeof *srcs);
    feeds = calloc(o->sources.n, sizeof *feeds);
    names = calloc(o->sources.n, sizeof *names);
    if (!srcs || !feeds || !names) {
        rc = avk_report(&ctx->diag, &err,
                        avk_fail(&err, AVK_EX_OSERR, "out of memory"));
        goto out;
    }
    for (nf = 0; nf < o->sources.n; nf++)
        if (avk_tsrc_parse(o->sources.v[nf], o->region, &srcs[nf], &err)) {
            rc = avk_usage_error(ctx, &err, USAGE);
            goto out;
        }
    /* The store is optional: without a workspace nothing is remembered. */
    if (!o->no_store) {
        int r = avk_ctx_open_store(ctx, &err);
        if (r == AVK_EX_NOINPUT && !ctx->store_dir) {
            avk_debug(&ctx->diag, "no workspace; snapshots are not stored");
        } else if (r) {
            rc = avk_report(&ctx->diag, &err, r);
            goto out;
        }
    }
    if (!ctx->cfg && (rc = avk_ctx_load_config(ctx, &err))) {
        rc = avk_report(&ctx->diag, &err, rc);
        goto out;
    }
    avk_tsrc_cfg_default(&R.cfg);
    R.cfg.hn_base = avk_config_str(ctx->cfg, "trend.hn_url", R.cfg.hn_base);
    R.cfg.reddit_base =
        avk_config_str(ctx->cfg, "trend.reddit_url", R.cfg.reddit_base);
    R.cfg.youtube_base =
        avk_config_str(ctx->cfg, "trend.youtube_url", R.cfg.youtube_base);
    R.cfg.gtrends_base =
        avk_config_str(ctx->cfg, "trend.gtrends_url", R.cfg.gtrends_base);
    R.cfg.youtube_key = avk_config_str(ctx->cfg, "youtube.api_key",
                                       getenv("YOUTUBE_API_KEY"));
    R.cfg.region = o->region ? o->region : "US";
    R.cfg.limit = o->fetch_limit > 0 ? (int)o->fetch_limit : 25;
    if ((rc = http_setup(&R, ctx, &err))) {
        rc = avk_report(&ctx->diag, &err, rc);
        goto out;
    }
    if (load_stopwords(ctx, &R.sw, &err)) {
        rc = avk_report(&ctx->diag, &err, err.code);
        goto out;
    }

    /* Read every source; each stored snapshot is its own transaction.
     * With --now the records carry that time too (reproducible runs). */
    if (o->now)
        avk_time_iso(R.now, at);
    else
        avk_now_iso(at);
    if (!(ih = avk_sha256_new())) {
        rc = avk_report(&ctx->diag, &err,
                        avk_fail(&err, AVK_EX_OSERR, "out of memory"));
        goto out;
    }
    avk_sha256_update(ih, PROG " " AVK_VERSION "\n",
                      strlen(PROG " " AVK_VERSION "\n"));
    for (i = 0; i < nf; i++) {
        char sha[AVK_SHA256_HEX] = "";
        avk_err e = {0, ""};
        avk_feed *fd = NULL;
        int r = load_source(&R, &srcs[i], &fd, sha, &e);

        if (!r && !fd)
            r = avk_fail(&e, AVK_EX_SOFTWARE, "no feed");
        if (!r && ctx->store)
            r = avk_tstore_add_snapshot(ctx->store, fd, srcs[i].spec, sha, at,
                                        NULL, &e);
        if (r || !fd) {
            if (strncmp(e.msg, "'", 1) != 0)
                avk_err_prefix(&e, "'%s'", srcs[i].name);
            avk_warn(&ctx->diag, "%s", e.msg);
            avk_feed_free(fd);
            failed++;
            last_rc = r;
            continue;
        }
        avk_debug(&ctx->diag, "'%s': %zu items (%s)", srcs[i].name,
                  fd->n_items, avk_feed_kind_name(fd->kind));
        feeds[i] = fd;
        avk_sha256_update(ih, srcs[i].name, strlen(srcs[i].name) + 1);
        avk_sha256_update(ih, sha, strlen(sha) + 1);
        names[n_ok++] = srcs[i].name;
        n_items += fd->n_items;
    }
    if (n_ok == 0) {
        avk_error(&ctx->diag, "no source could be read");
        rc = last_rc ? last_rc : AVK_EX_UNAVAILABLE;
        goto out;
    }
    items = calloc(n_items ? n_items : 1, sizeof *items);
    if (!items) {
        rc = avk_report(&ctx->diag, &err, avk_fail(&err, AVK_EX_OSERR, "out of memory"));
        goto out;
    }
    n_items = 0;
    for (i = 0; i < nf; i++)
        for (j = 0; feeds[i] && j < feeds[i]->n_items; j++)
            items[n_items++] = &feeds[i]->items[j];
    qsort(names, n_ok, sizeof *names, cmp_strp);
    for (i = 0; i < n_ok; i++)
        if ((i && avk_buf_addc(&key, ',')) || avk_buf_adds(&key, names[i])) {
            rc = avk_report(&ctx->diag, &err, avk_fail(&err, AVK_EX_OSERR, "out of memory"));
            goto out;
        }

    /* Rank everything (stored for the next run's velocity), then the
     * filtered view that is printed. */
    trend_opts(&R, &t);
    if (ctx->store &&
        (rc = avk_tstore_prev_topics(ctx->store, key.data, 0, &prev, &err))) {
        rc = avk_report(&ctx->diag, &err, rc);
        goto out;
    }
    t.have_prev = prev.found;
    if ((rc = avk_trend_rank(items, n_items, prev.v, prev.n, &t, R.sw, &all,
                             &err))) {
        rc = avk_report(&ctx->diag, &err, rc);
        goto out;
    }
    if (ctx->store &&
        (rc = avk_tstore_add_run(ctx->store, key.data, at, all, NULL, &err))) {
        rc = avk_report(&ctx->diag, &err, rc);
        goto out;
    }
    t.lang = o->lang;
    t.since = since;
    t.include = o->include.v;
    t.n_include = o->include.n;
    t.exclude = o->exclude.v;
    t.n_exclude = o->exclude.n;
    t.min_score = o->min_score;
    t.limit = o->limit > 0 ? (size_t)o->limit : 0;
    /* The stage stamp's input: the sources' bytes and what shapes the
     * ranking. */
    avk_buf_printf(&ostr, "lang=%s since=%lld min=%g limit=%lld items=%lld "
                   "explain=%d half=%g now=%lld weights=%g,%g,%g,%g",
                   o->lang ? o->lang : "", t.since, o->min_score, o->limit,
                   o->items, o->explain, t.half_life_hours, R.now,
                   t.weight[0], t.weight[1], t.weight[2], t.weight[3]);
    for (i = 0; i < o->include.n; i++)
        avk_buf_printf(&ostr, " +%s", o->include.v[i]);
    for (i = 0; i < o->exclude.n; i++)
        avk_buf_printf(&ostr, " -%s", o->exclude.v[i]);
    avk_sha256_update(ih, ostr.data ? ostr.data : "", ostr.len);
    avk_sha256_final(ih, input_hash);
    ih = NULL;
    if ((rc = avk_trend_rank(items, n_items, prev.v, prev.n, &t, R.sw, &shown,
                             &err)) ||
        (rc = print_topics(&R, shown, items, &t, input_hash, at, &err))) {
        rc = avk_report(&ctx->diag, &err, rc);
        goto out;
    }
    avk_info(&ctx->diag, "%zu topic%s from %zu item%s of %zu source%s%s",
             shown->n_topics, shown->n_topics == 1 ? "" : "s", n_items,
             n_items == 1 ? "" : "s", n_ok, n_ok == 1 ? "" : "s",
             prev.found ? "" : " (no earlier run: velocity steady)");
    rc = failed ? AVK_EX_PARTIAL : 0;
out:
    avk_trend_result_free(all);
    avk_trend_result_free(shown);
    avk_tstore_prev_release(&prev);
    for (i = 0; srcs && i < o->sources.n; i++) {
        avk_tsrc_release(&srcs[i]);
        if (feeds)
            avk_feed_free(feeds[i]);
    }
    free(srcs);
    free(feeds);
    free(names);
    if (dflt) {
        avk_strlist_release(&o->sources);
        avk_dirs_free(dflt);
    }
    free(items);
    avk_buf_release(&key);
    avk_buf_release(&ostr);
    avk_sha256_free(ih);
    avk_stopwords_free(R.sw);
    http_done(&R);
    return rc;
}

/* ---- history ---- */

typedef struct hist {
    const char *query;
    const avk_stopwords *sw;
    int json;
    long long cur_run;
    avk_tstore_topic_row best;
    char *best_topic, *best_sources;
    int have;
    size_t shown;
    int oom;
} hist;

static void hist_flush(hist *h)
{
    if (!h->have)
        return;
    if (h->json) {
        json_t *o = json_pack("{s:s,s:I,s:I,s:s,s:f,s:f,s:f,s:f,s:f,s:I,s:s}",
                              "at", h->best.at, "run", (json_int_t)h->best.run_id,
                              "rank", (json_int_t)h->best.rank, "topic",
                              h->best_topic, "score", avk_trend_round6(h->best.score),
                              "growth", avk_trend_round6(h->best.growth),
                              "recency", avk_trend_round6(h->best.recency),
                              "agreement", avk_trend_round6(h->best.agreement),
                              "engagement", avk_trend_round6(h->best.engagement),
                              "items", (json_int_t)h->best.items, "sources",
                              h->best_sources);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s)
            printf("%s\n", s);
        else
            h->oom = 1;
        free(s);
        json_decref(o);
    } else {
        if (h->shown == 0)
            printf("%-20s %4s %8s %8s %5s  %s\n", "AT", "RANK", "SCORE",
                   "GROWTH", "ITEMS", "TOPIC");
        printf("%-20s %4lld %8.3f %+8.3f %5lld  %s\n", h->best.at,
               h->best.rank, h->best.score, h->best.growth, h->best.items,
               h->best_topic);
    }
    fflush(stdout);
    h->shown++;
    h->have = 0;
    free(h->best_topic);
    free(h->best_sources);
    h->best_topic = h->best_sources = NULL;
}

static int hist_row(const avk_tstore_topic_row *row, void *ud)
{
    hist *h = ud;
    double c;

    if (row->run_id != h->cur_run) {
        hist_flush(h);
        h->cur_run = row->run_id;
    }
    if (h->have)
        return 0; /* rows come best rank first: keep the first match */
    c = avk_trend_coverage(h->query, row->key, h->sw);
    if (c < 1.0)
        c = avk_trend_coverage(h->query, row->topic, h->sw);
    if (c < 1.0)
        return 0;
    h->best = *row;
    h->best_topic = strdup(row->topic);
    h->best_sources = strdup(row->sources);
    if (!h->best_topic || !h->best_sources) {
        free(h->best_topic);
        free(h->best_sources);
        h->best_topic = h->best_sources = NULL;
        return AVK_EX_OSERR;
    }
    h->have = 1;
    return 0;
}

static int open_store_or_fail(avk_ctx *ctx, avk_err *err)
{
    return avk_ctx_open_store(ctx, err);
}

static int cmd_history(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    hist h;
    avk_stopwords *sw = NULL;
    int rc;

    if (a->n != 1 || !*a->v[0]) {
        avk_fail(&err, AVK_EX_USAGE, "history takes one TOPIC");
        return avk_usage_error(ctx, &err, USAGE);
    }
    if ((rc = open_store_or_fail(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    if (load_stopwords(ctx, &sw, &err))
        return avk_report(&ctx->diag, &err, err.code);
    memset(&h, 0, sizeof h);
    h.query = a->v[0];
    h.sw = sw;
    h.json = o->json;
    h.cur_run = -1;
    rc = avk_tstore_each_topic(ctx->store, hist_row, &h, &err);
    if (rc == AVK_EX_OSERR && !err.msg[0])
        avk_fail(&err, rc, "out of memory");
    if (!rc)
        hist_flush(&h);
    free(h.best_topic);
    free(h.best_sources);
    avk_stopwords_free(sw);
    if (rc)
        return avk_report(&ctx->diag, &err, rc);
    if (h.oom)
        return avk_report(&ctx->diag, &err,
                          avk_fail(&err, AVK_EX_OSERR, "out of memory"));
    if (h.shown == 0) {
        avk_fail(&err, AVK_EX_NOINPUT, "no stored run has a topic matching '%s'",
                 a->v[0]);
        return avk_report(&ctx->diag, &err, AVK_EX_NOINPUT);
    }
    return 0;
}

/* ---- sources ---- */

typedef struct srcs_ud {
    int json;
    size_t n;
} srcs_ud;

static int source_row(const avk_tstore_source_row *row, void *ud)
{
    srcs_ud *u = ud;

    if (u->json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:I}", "source",
                              row->source, "kind", row->kind, "spec", row->spec,
                              "snapshots", (json_int_t)row->snapshots,
                              "last_fetched", row->last_at, "last_items",
                              (json_int_t)row->last_items, "items",
                              (json_int_t)row->items);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!s)
            return AVK_EX_OSERR;
        printf("%s\n", s);
        free(s);
    } else {
        if (u->n == 0)
            printf("%-28s %-8s %9s %-20s %5s\n", "SOURCE", "KIND", "SNAPSHOTS",
                   "LAST FETCH", "ITEMS");
        printf("%-28s %-8s %9lld %-20s %5lld\n", row->source, row->kind,
               row->snapshots, row->last_at, row->last_items);
    }
    u->n++;
    return 0;
}

static int cmd_sources(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    srcs_ud u = {o->json, 0};
    int rc;

    if (a->n) {
        avk_fail(&err, AVK_EX_USAGE, "sources takes no operands");
        return avk_usage_error(ctx, &err, USAGE);
    }
    if ((rc = open_store_or_fail(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    rc = avk_tstore_each_source(ctx->store, source_row, &u, &err);
    if (rc == AVK_EX_OSERR && !err.msg[0])
        avk_fail(&err, rc, "out of memory");
    fflush(stdout);
    if (rc)
        return avk_report(&ctx->diag, &err, rc);
    if (u.n == 0 && !o->json)
        avk_info(&ctx->diag, "no source has been read in this workspace yet");
    return 0;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    avk_ctx ctx;
    opts o;
    avk_opt common[AVK_COMMON_NOPTS + 1];
    const avk_opt own[] = {
        {'s', "source", AVK_OPT_LIST, "SRC",
         "FILE, URL, hn, reddit:SUB, youtube[:GEO] or gtrends[:GEO] "
         "(repeatable)",
         &o.sources, "file", NULL, 0},
        {0, "explain", AVK_OPT_FLAG, NULL,
         "add each score component's value, weight and facts", &o.explain,
         NULL, NULL, 0},
        {0, "lang", AVK_OPT_STR, "LANG",
         "keep items in LANG (and items of unknown language)", &o.lang, NULL,
         NULL, 0},
        {0, "region", AVK_OPT_STR, "GEO",
         "default region for gtrends and youtube (US)", &o.region, NULL, NULL,
         0},
        {0, "since", AVK_OPT_STR, "TIME",
         "keep items published after TIME (ISO) or within 90m, 36h, 7d",
         &o.since, NULL, NULL, 0},
        {'n', "limit", AVK_OPT_INT, "N", "print at most N topics (10; 0 = all)",
         &o.limit, NULL, NULL, 0},
        {0, "min-score", AVK_OPT_DOUBLE, "X", "drop topics scoring below X",
         &o.min_score, NULL, NULL, 0},
        {0, "include", AVK_OPT_LIST, "WORD",
         "keep only topics mentioning WORD (repeatable: any)", &o.include,
         NULL, NULL, 0},
        {0, "exclude", AVK_OPT_LIST, "WORD",
         "drop topics mentioning WORD (repeatable)", &o.exclude, NULL, NULL,
         0},
        {0, "items", AVK_OPT_INT, "N", "items listed per topic (5)", &o.items,
         NULL, NULL, 0},
        {0, "fetch-limit", AVK_OPT_INT, "N",
         "items asked of each network source (25)", &o.fetch_limit, NULL,
         NULL, 0},
        {0, "half-life", AVK_OPT_DOUBLE, "HOURS",
         "recency half-life (12)", &o.half_life, NULL, NULL, 0},
        {0, "now", AVK_OPT_STR, "TIME",
         "rank as if it were TIME (ISO; for reproducible output)", &o.now,
         NULL, NULL, 0},
        {0, "no-store", AVK_OPT_FLAG, NULL,
         "do not read or write the workspace store", &o.no_store, NULL, NULL,
         0},
        {0, "no-projects", AVK_OPT_FLAG, NULL,
         "keep snapshots but start no projects in the store", &o.no_projects,
         NULL, NULL, 0},
        {0, "json", AVK_OPT_FLAG, NULL, "history, sources: JSON Lines output",
         &o.json, NULL, NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {own, common, NULL};
    avk_args args;
    avk_err err = {0, ""};
    int rc;

    memset(&o, 0, sizeof o);
    o.limit = 10;
    o.items = 5;
    o.min_score = -1e9;
    avk_ctx_init(&ctx, PROG);
    avk_common_opts(&ctx, common);
    rc = avk_opts_parse(tables, argc, argv, 1, &args, NULL, &err);
    if (rc) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    avk_ctx_apply(&ctx);
    if (avk_handle_info(&args, PROG, USAGE,
                        "Find trending topics and print them as pipeline "
                        "documents.",
                        tables))
        goto out;
    if (o.items < 0 || o.limit < 0) {
        avk_fail(&err, AVK_EX_USAGE, "--limit and --items must be >= 0");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (args.n > 0 && !strcmp(args.v[0], "history")) {
        avk_args sub = args;
        sub.v++;
        sub.n--;
        rc = cmd_history(&ctx, &o, &sub);
    } else if (args.n > 0 && !strcmp(args.v[0], "sources")) {
        avk_args sub = args;
        sub.v++;
        sub.n--;
        rc = cmd_sources(&ctx, &o, &sub);
    } else if (args.n > 0) {
        avk_fail(&err, AVK_EX_USAGE, "unknown command '%s'", args.v[0]);
        rc = avk_usage_error(&ctx, &err, USAGE);
    } else {
        rc = cmd_rank(&ctx, &o);
    }
out:
    avk_args_release(&args);
    avk_strlist_release(&o.sources);
    avk_strlist_release(&o.include);
    avk_strlist_release(&o.exclude);
    avk_ctx_release(&ctx);
    return rc;
}
