/*
 * av-schedule - a job queue in the workspace store, driven by cron.
 *
 *   av-schedule add [--at TIME | --in DURATION | --every CRON] [--tz ZONE]
 *                   [--stages LIST] [--to PLATFORM]... [--topic T | --project
 * ID] av-schedule run [--jobs N] [--loop] [--metrics FILE] av-schedule ls |
 * show ID | log ID | cancel ID... | retry ID... av-schedule pause [ID...] |
 * resume [ID...] av-schedule plan [PLATFORM --window HH:MM-HH:MM --cap N
 * --jitter DUR] av-schedule calendar [--days N] [--ics] | cron-line | next CRON
 * | metrics
 *
 * Only this file prints; the queue is lib/jobs, stages run through
 * lib/runner (argv arrays, never a shell), times come from lib/cron and
 * posting plans from lib/plan.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cron.h"
#include "doc.h"
#include "fsutil.h"
#include "jobs.h"
#include "plan.h"
#include "runner.h"
#include "workspace.h"

#define PROG "av-schedule"
#define USAGE                                                                  \
    PROG " add [--at TIME|--in DUR|--every CRON] [--stages LIST] [--to P]\n"   \
         "                   [--topic T|--project ID] [< documents]\n"         \
         "       " PROG " run [--jobs N] [--loop] [--metrics FILE]\n"          \
         "       " PROG                                                        \
         " ls | show ID | log ID | cancel ID... | retry ID...\n"               \
         "       " PROG " pause [ID...] | resume [ID...] | plan [PLATFORM]\n"  \
         "       " PROG " calendar [--ics] | cron-line | next CRON | metrics"

static const char *const known_stages[] = {"trend", "script", "voice",
                                           "image", "render", "publish"};
#define N_KNOWN (sizeof known_stages / sizeof *known_stages)

typedef struct opts {
    /* add */
    const char *at, *in, *every, *tz, *stages;
    avk_strlist to, topics, projects, args;
    long long max_attempts;
    int now_ok, paused;
    /* run */
    long long jobs, max_running;
    int loop, exit_idle, no_jitter;
    const char *lease, *poll, *timeout, *backoff, *backoff_max, *metrics;
    const char *bin_dir;
    avk_strlist notify;
    /* views */
    int json, ics;
    const char *state;
    long long days, count;
    /* plan */
    avk_strlist windows;
    long long cap;
    const char *jitter;
    int clear;
} opts;

typedef struct run_cfg {
    long long lease_ms, poll_ms, timeout_ms;
    avk_retry_policy retry;
    char *bin_dir;
    char owner[128];
} run_cfg;

typedef int (*subcmd_fn)(avk_ctx *ctx, opts *o, const avk_args *a);

/* The one piece of mutable file-scope state: set by the SIGTERM/SIGINT
 * handler of `run`, read by its loops.  A runner asked to stop takes no
 * new job, stops the running stage and puts its job back in the queue. */
static volatile int stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static int fail_report(avk_ctx *ctx, avk_err *err, int rc)
{
    if (rc == AVK_EX_USAGE)
        return avk_usage_error(ctx, err, USAGE);
    return avk_report(&ctx->diag, err, rc);
}

static const char *zone(const opts *o)
{
    return o->tz && *o->tz ? o->tz : NULL;
}

/* "2026-12-01 09:00" in the zone (local when tz is NULL). */
static void local_str(const char *tz, long long ms, char out[32])
{
    int y, mo, d, h, mi;

    if (ms <= 0 ||
        avk_tz_local(tz, ms / 1000, &y, &mo, &d, &h, &mi, NULL, NULL, NULL)) {
        snprintf(out, 32, "-");
        return;
    }
    snprintf(out, 32, "%04d-%02d-%02d %02d:%02d", y, mo, d, h, mi);
}

static int parse_id(const char *s, long long *id, avk_err *err)
{
    char *end;

    errno = 0;
    *id = strtoll(s, &end, 10);
    if (errno || *end || *id <= 0)
        return avk_fail(err, AVK_EX_USAGE, "bad job id '%s'", s);
    return 0;
}

/* ---- add ---- */

static int build_stages(const char *list, json_t **out, int *has_publish,
                        avk_err *err)
{
    json_t *a = json_array();
    char *copy = strdup(list), *save = NULL, *tok;
    int last = -1, rc = 0;

    *out = NULL;
    *has_publish = 0;
    if (!a || !copy) {
        json_decref(a);
        free(copy);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    for (tok = strtok_r(copy, ",", &save); tok && !rc;
         tok = strtok_r(NULL, ",", &save)) {
        int i;
        for (i = 0; i < (int)N_KNOWN; i++)
            if (!strcmp(tok, known_stages[i]))
                break;
        if (i == (int)N_KNOWN)
            rc = avk_fail(err, AVK_EX_USAGE,
                          "unknown stage '%s' (stages: trend, script, voice, "
                          "image, render, publish)",
                          tok);
        else if (i <= last)
            rc = avk_fail(err, AVK_EX_USAGE,
                          "stage '%s' is out of order or repeated (order: "
                          "trend, script, voice, image, render, publish)",
                          tok);
        else {
            last = i;
            json_array_append_new(a, json_string(tok));
            if (i == (int)N_KNOWN - 1)
                *has_publish = 1;
        }
    }
    free(copy);
    if (!rc && json_array_size(a) == 0)
        rc = avk_fail(err, AVK_EX_USAGE, "no stages given");
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

static int valid_platform(const char *p)
{
    if (!*p || strlen(p) > 40)
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

/* Extra arguments: --arg STAGE=ARG and --to PLATFORM for publish. */
static int build_args(const opts *o, const json_t *stages, const char *to,
                      char **out, avk_err *err)
{
    json_t *args = json_object();
    size_t i;
    int rc = 0;

    *out = NULL;
    if (!args)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    for (i = 0; i < o->args.n && !rc; i++) {
        const char *eq = strchr(o->args.v[i], '=');
        char stage[32];
        json_t *list;
        size_t k, found = 0;
        if (!eq || eq == o->args.v[i] ||
            (size_t)(eq - o->args.v[i]) >= sizeof stage) {
            rc = avk_fail(err, AVK_EX_USAGE, "bad --arg '%s' (want STAGE=ARG)",
                          o->args.v[i]);
            break;
        }
        snprintf(stage, sizeof stage, "%.*s", (int)(eq - o->args.v[i]),
                 o->args.v[i]);
        for (k = 0; k < json_array_size(stages); k++)
            if (!strcmp(json_string_value(json_array_get(stages, k)), stage))
                found = 1;
        if (!found) {
            rc = avk_fail(err, AVK_EX_USAGE,
                          "--arg '%s': stage '%s' is not in --stages",
                          o->args.v[i], stage);
            break;
        }
        if (!(list = json_object_get(args, stage))) {
            list = json_array();
            json_object_set_new(args, stage, list);
        }
        json_array_append_new(list, json_string(eq + 1));
    }
    if (!rc && to) {
        json_t *list = json_object_get(args, "publish");
        if (!list) {
            list = json_array();
            json_object_set_new(args, "publish", list);
        }
        json_array_append_new(list, json_string("--to"));
        json_array_append_new(list, json_string(to));
    }
    if (!rc && !(*out = json_dumps(args, JSON_COMPACT)))
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
    json_decref(args);
    return rc;
}

typedef struct add_item {
    char *project_id, *topic, *input;
} add_item;

static void items_free(add_item *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(v[i].project_id);
        free(v[i].topic);
        free(v[i].input);
    }
    free(v);
}

static int item_push(add_item **v, size_t *n, const char *pid,
                     const char *topic, const char *input, avk_err *err)
{
    add_item *nv = realloc(*v, (*n + 1) * sizeof **v);

    if (!nv)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    *v = nv;
    nv[*n].project_id = pid ? strdup(pid) : NULL;
    nv[*n].topic = strdup(topic ? topic : "");
    nv[*n].input = input ? strdup(input) : NULL;
    (*n)++;
    if ((pid && !nv[*n - 1].project_id) || !nv[*n - 1].topic ||
        (input && !nv[*n - 1].input))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    return 0;
}

/* Documents to schedule: --project, --topic, or JSON Lines on stdin.
 * Nothing is written to the store here, so bad input queues nothing. */
static int collect_items(avk_ctx *ctx, const opts *o, add_item **items,
                         size_t *n, json_t ***docs, avk_err *err)
{
    size_t i;
    int rc = 0;

    *items = NULL;
    *n = 0;
    *docs = NULL;
    for (i = 0; i < o->projects.n && !rc; i++) {
        char *id = NULL, *text = NULL;
        json_t *d;
        rc = avk_project_resolve(ctx->store, o->projects.v[i], &id, err);
        if (!rc)
            rc = avk_project_get(ctx->store, id, &text, err);
        d = text ? json_loads(text, 0, NULL) : NULL;
        if (!rc)
            rc = item_push(items, n, id, d ? avk_doc_topic(d) : "", NULL, err);
        json_decref(d);
        free(id);
        free(text);
    }
    if (o->projects.n || rc)
        return rc;
    if (o->topics.n) {
        *docs = calloc(o->topics.n + 1, sizeof **docs);
        if (!*docs)
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        for (i = 0; i < o->topics.n && !rc; i++) {
            avk_format f;
            json_t *d;
            char *line;
            if (!*o->topics.v[i])
                return avk_fail(err, AVK_EX_USAGE, "empty topic");
            avk_format_from_aspect("9:16", &f, NULL);
            d = avk_doc_new(NULL, o->topics.v[i], "en", &f);
            if (!d)
                return avk_fail(err, AVK_EX_DATAERR,
                                "topic is not valid UTF-8");
            (*docs)[i] = d;
            line = avk_doc_dump(d);
            if (!line)
                return avk_fail(err, AVK_EX_OSERR, "out of memory");
            rc =
                item_push(items, n, avk_doc_id(d), avk_doc_topic(d), line, err);
            free(line);
        }
        return rc;
    }
    {
        avk_buf text;
        char *p, *nl;
        long lineno = 0;
        size_t cap = 0;
        avk_buf_init(&text);
        if (avk_buf_read_fd(&text, 0)) {
            avk_buf_release(&text);
            return avk_fail(err, AVK_EX_IOERR, "cannot read standard input");
        }
        for (p = text.data; p && *p && !rc; p = nl ? nl + 1 : p + strlen(p)) {
            json_t *d = NULL;
            char *line;
            size_t len;
            nl = strchr(p, '\n');
            len = nl ? (size_t)(nl - p) : strlen(p);
            lineno++;
            if (len == 0 || (len == 1 && p[0] == '\r'))
                continue;
            rc = avk_doc_parse(p, len, lineno, &d, err);
            if (!rc && (rc = avk_doc_validate(d, err)))
                avk_err_prefix(err, "line %ld", lineno);
            if (rc) {
                json_decref(d);
                break;
            }
            if (*n + 1 >= cap) {
                json_t **nd = realloc(*docs, (cap * 2 + 8) * sizeof *nd);
                if (!nd) {
                    json_decref(d);
                    rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                    break;
                }
                memset(nd + cap, 0, (cap + 8) * sizeof *nd);
                cap = cap * 2 + 8;
                *docs = nd;
            }
            (*docs)[*n] = d;
            line = avk_doc_dump(d);
            rc = line ? item_push(items, n, avk_doc_id(d), avk_doc_topic(d),
                                  line, err)
                      : avk_fail(err, AVK_EX_OSERR, "out of memory");
            free(line);
        }
        avk_buf_release(&text);
        if (!rc && *n == 0)
            rc = avk_fail(err, AVK_EX_USAGE,
                          "nothing to schedule: give --topic, --project or "
                          "documents on standard input");
    }
    return rc;
}

static void docs_free(json_t **docs)
{
    size_t i;

    for (i = 0; docs && docs[i]; i++)
        json_decref(docs[i]);
    free(docs);
}

typedef struct add_tx_ud {
    avk_ctx *ctx;
    const opts *o;
    add_item *items;
    size_t n;
    json_t **docs;
    const char *stages_json;
    long long when_ms, now_ms;
    const char *cron;
    int has_publish;
    long long *ids;
    size_t nids;
} add_tx_ud;

static int add_tx(avk_store *s, void *ud, avk_err *err)
{
    add_tx_ud *u = ud;
    const opts *o = u->o;
    size_t i, k, nto = o->to.n ? o->to.n : 1;
    int rc = 0;
    json_t *stages = json_loads(u->stages_json, 0, NULL);

    u->nids = 0;
    for (i = 0; i < u->n && !rc; i++) {
        if (u->docs && u->docs[i])
            rc = avk_doc_save(u->ctx, u->docs[i], NULL, err);
        for (k = 0; k < nto && !rc; k++) {
            const char *to = o->to.n ? o->to.v[k] : NULL;
            char *args = NULL;
            avk_job_spec sp;
            long long t = u->when_ms;
            memset(&sp, 0, sizeof sp);
            if ((rc = build_args(o, stages, u->has_publish ? to : NULL, &args,
                                 err)))
                break;
            if (to &&
                (rc = avk_plan_pick(s, to, zone(o), t, u->now_ms, &t, err))) {
                free(args);
                break;
            }
            sp.project_id = u->items[i].project_id;
            sp.topic = u->items[i].topic;
            sp.input = u->items[i].input;
            sp.stages_json = u->stages_json;
            sp.args_json = args;
            sp.platform = to;
            sp.cron = u->cron;
            sp.tz = o->tz;
            sp.run_at_ms = t;
            sp.max_attempts = (int)o->max_attempts;
            sp.paused = o->paused;
            rc = avk_jobs_add(s, &sp, &u->ids[u->nids], err);
            if (!rc)
                u->nids++;
            free(args);
        }
    }
    json_decref(stages);
    return rc;
}

static int cmd_add(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    json_t *stages = NULL, **docs = NULL;
    add_item *items = NULL;
    size_t n = 0, i;
    char *stages_json = NULL;
    long long now = avk_now_ms(), when = now, *ids = NULL;
    int rc, has_publish = 0, nwhen = !!o->at + !!o->in + !!o->every;
    add_tx_ud u;

    if (a->n) {
        avk_fail(&err, AVK_EX_USAGE, "add takes no operands (use --topic)");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    if (nwhen > 1) {
        avk_fail(&err, AVK_EX_USAGE, "give only one of --at, --in, --every");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    if ((o->topics.n > 0) + (o->projects.n > 0) > 1) {
        avk_fail(&err, AVK_EX_USAGE, "give --topic or --project, not both");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    if (o->max_attempts < 0 || o->max_attempts > 100) {
        avk_fail(&err, AVK_EX_USAGE, "--max-attempts must be 1-100");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    for (i = 0; i < o->to.n; i++)
        if (!valid_platform(o->to.v[i])) {
            avk_fail(&err, AVK_EX_USAGE, "bad platform name '%s'", o->to.v[i]);
            return fail_report(ctx, &err, AVK_EX_USAGE);
        }
    if ((rc = avk_tz_check(zone(o), &err)) ||
        (rc = build_stages(o->stages ? o->stages
                           : o->to.n ? "script,voice,image,render,publish"
                                     : "script,voice,image,render",
                           &stages, &has_publish, &err)))
        return fail_report(ctx, &err, rc);
    if (o->to.n && !has_publish) {
        json_decref(stages);
        avk_fail(&err, AVK_EX_USAGE,
                 "--to needs the publish stage in --stages");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    if (o->at) {
        long long t;
        if ((rc = avk_time_parse(o->at, zone(o), now / 1000, &t, &err)))
            goto out;
        when = t * 1000;
        if (when < now - 1000 && !o->now_ok) {
            char b[32];
            local_str(zone(o), when, b);
            rc = avk_fail(&err, AVK_EX_USAGE,
                          "time '%s' (%s) is in the past; add --now-ok to run "
                          "it at once",
                          o->at, b);
            goto out;
        }
    } else if (o->in) {
        long long d;
        if ((rc = avk_duration_parse(o->in, &d, &err)))
            goto out;
        when = now + d;
    } else if (o->every) {
        avk_cron c;
        long long t;
        if ((rc = avk_cron_parse(o->every, &c, &err)) ||
            (rc = avk_cron_next(&c, zone(o), now / 1000, &t, &err)))
            goto out;
        when = t * 1000;
    }
    if ((rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = collect_items(ctx, o, &items, &n, &docs, &err)))
        goto out;
    stages_json = json_dumps(stages, JSON_COMPACT);
    ids = calloc(n * (o->to.n ? o->to.n : 1) + 1, sizeof *ids);
    if (!stages_json || !ids) {
        rc = avk_fail(&err, AVK_EX_OSERR, "out of memory");
        goto out;
    }
    memset(&u, 0, sizeof u);
    u.ctx = ctx;
    u.o = o;
    u.items = items;
    u.n = n;
    u.docs = docs;
    u.stages_json = stages_json;
    u.when_ms = when;
    u.now_ms = now;
    u.cron = o->every;
    u.has_publish = has_publish;
    u.ids = ids;
    if ((rc = avk_store_tx(ctx->store, add_tx, &u, &err)))
        goto out;
    for (i = 0; i < u.nids; i++) {
        avk_job j;
        char b[32];
        printf("%lld\n", ids[i]);
        if (avk_jobs_get(ctx->store, ids[i], &j, NULL) == 0) {
            local_str(zone(o), j.run_at_ms, b);
            avk_info(&ctx->diag, "queued job %lld (%s) for %s%s%s", j.id,
                     j.topic, b, j.platform ? " to " : "",
                     j.platform ? j.platform : "");
            avk_job_release(&j);
        }
    }
    rc = fflush(stdout) ? AVK_EX_IOERR : 0;
out:
    json_decref(stages);
    docs_free(docs);
    items_free(items, n);
    free(stages_json);
    free(ids);
    return rc ? fail_report(ctx, &err, rc) : 0;
}

/* ---- run ---- */

typedef struct tick_ud {
    avk_store *s;
    const avk_job *j;
    const run_cfg *cfg;
    int lost;
} tick_ud;

static int renew_tick(void *ud)
{
    tick_ud *t = ud;
    int ours = 1;

    if (avk_jobs_renew(t->s, t->j->id, t->j->lease_owner,
                       avk_now_ms() + t->cfg->lease_ms, &ours, NULL) == 0 &&
        !ours) {
        t->lost = 1;
        return 1;
    }
    return 0;
}

static void notify_failure(avk_ctx *ctx, const opts *o, long long id)
{
    avk_proc_spec sp;
    avk_proc_result res;
    avk_err err = {0, ""};
    avk_job j;
    json_t *js;
    char *text;
    const char **argv;
    size_t i;

    const json_t *cfgn =
        ctx->cfg ? avk_config_node(ctx->cfg, "schedule.notify") : NULL;
    size_t nargs = o->notify.n ? o->notify.n : json_array_size(cfgn);

    if (!nargs || avk_jobs_get(ctx->store, id, &j, NULL))
        return;
    js = avk_job_json(&j);
    avk_job_release(&j);
    text = js ? json_dumps(js, JSON_COMPACT) : NULL;
    json_decref(js);
    argv = calloc(nargs + 1, sizeof *argv);
    if (!text || !argv) {
        free(text);
        free(argv);
        return;
    }
    for (i = 0; i < nargs; i++) {
        argv[i] = o->notify.n ? o->notify.v[i]
                              : json_string_value(json_array_get(cfgn, i));
        if (!argv[i]) {
            avk_warn(&ctx->diag, "schedule.notify: expected a list of strings");
            free(text);
            free(argv);
            return;
        }
    }
    memset(&sp, 0, sizeof sp);
    sp.argv = argv;
    sp.input = text;
    sp.input_len = strlen(text);
    sp.timeout_ms = 60000;
    if (avk_proc_run(&sp, &res, &err))
        avk_warn(&ctx->diag, "notify: %s", err.msg);
    else if (res.exit_status)
        avk_warn(&ctx->diag, "notify: '%s' exited with status %d", argv[0],
                 res.exit_status);
    avk_proc_result_release(&res);
    free(argv);
    free(text);
}

/* The last non-empty line of a stderr tail, for last_error. */
static void last_line(const char *s, char *out, size_t cap)
{
    const char *end = s + strlen(s), *start;

    while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    start = end;
    while (start > s && start[-1] != '\n')
        start--;
    snprintf(out, cap, "%.*s", (int)(end - start), start);
}

static long long next_fire(avk_store *s, const avk_job *j, long long now_ms)
{
    avk_cron c;
    long long t, from = j->run_at_ms > now_ms ? j->run_at_ms : now_ms;

    if (!j->cron || avk_cron_parse(j->cron, &c, NULL) ||
        avk_cron_next(&c, j->tz, from / 1000, &t, NULL))
        return 0;
    t *= 1000;
    if (j->platform)
        avk_plan_pick(s, j->platform, j->tz, t, now_ms, &t, NULL);
    return t;
}

/* The document the job's next stage reads, newly allocated in *input.
 * AVK_EX_NOINPUT (message in gone) when the job's project was removed. */
static int job_input(avk_ctx *ctx, const avk_job *j, char **input,
                     avk_err *gone, avk_err *err)
{
    const char *src = NULL;
    char *text = NULL;
    size_t len;
    int rc;

    *input = NULL;
    if (j->stage_index > 0 && j->doc)
        src = j->doc;
    else if (j->input)
        src = j->input;
    if (src) {
        *input = strdup(src);
        return *input ? 0 : avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    if (!j->project_id)
        return avk_fail(err, AVK_EX_SOFTWARE, "job %lld has no document",
                        j->id);
    if ((rc = avk_project_get(ctx->store, j->project_id, &text, gone)))
        return rc == AVK_EX_NOINPUT ? rc : avk_fail(err, rc, "%s", gone->msg);
    len = strlen(text);
    *input = malloc(len + 2);
    if (*input)
        snprintf(*input, len + 2, "%s\n", text);
    free(text);
    return *input ? 0 : avk_fail(err, AVK_EX_OSERR, "out of memory");
}

/* Run the claimed job's remaining stages; returns its final state in
 * state[16]. */
static int run_job(avk_ctx *ctx, const opts *o, const run_cfg *cfg, avk_job *j,
                   char state[16], avk_err *err)
{
    json_t *stages = avk_job_stages(j), *args = NULL;
    char *input = NULL, *prog = NULL, envjob[64], envatt[64];
    avk_err gone = {0, ""};
    const char *env[3] = {envjob, envatt, NULL};
    size_t i;
    int rc = 0;

    snprintf(state, 16, "running");
    args = j->args ? json_loads(j->args, 0, NULL) : NULL;
    rc = job_input(ctx, j, &input, &gone, err);
    if (rc == AVK_EX_NOINPUT) {
        /* the project is gone: a permanent failure of this stage */
        avk_stage_outcome oc = {AVK_OUTCOME_PERM, AVK_EX_NOINPUT, 0, NULL, "",
                                gone.msg};
        long long run_id;
        const char *st =
            json_string_value(json_array_get(stages, (size_t)j->stage_index));
        rc = avk_jobs_run_start(ctx->store, j, st ? st : "?", avk_now_ms(),
                                &run_id, err);
        if (!rc)
            rc = avk_jobs_stage_done(ctx->store, j, run_id, &oc, &cfg->retry,
                                     avk_now_ms(), 0, 0, state, err);
        goto out;
    }
    if (rc)
        goto out;
    snprintf(envjob, sizeof envjob, "AV_SCHEDULE_JOB=%lld", j->id);
    snprintf(envatt, sizeof envatt, "AV_SCHEDULE_ATTEMPT=%d", j->attempts);
    for (i = (size_t)j->stage_index; i < json_array_size(stages); i++) {
        const char *stage = json_string_value(json_array_get(stages, i));
        json_t *extra = json_object_get(args, stage);
        const char **argv = calloc(json_array_size(extra) + 4, sizeof *argv);
        char name[64], line[512], error[1100];
        avk_proc_spec sp;
        avk_proc_result res;
        avk_stage_outcome oc;
        tick_ud tu = {ctx->store, j, cfg, 0};
        long long run_id = 0, now;
        size_t k, na = 0;
        int prc;

        snprintf(name, sizeof name, "av-%s", stage);
        free(prog);
        prog = avk_path_join(cfg->bin_dir, name);
        if (!argv || !prog) {
            free(argv);
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        argv[na++] = prog;
        argv[na++] = "--store";
        argv[na++] = ctx->ws_root;
        for (k = 0; k < json_array_size(extra); k++)
            argv[na++] = json_string_value(json_array_get(extra, k));
        if ((rc = avk_jobs_run_start(ctx->store, j, stage, avk_now_ms(),
                                     &run_id, err))) {
            free(argv);
            break;
        }
        avk_debug(&ctx->diag, "job %lld: %s (attempt %d)", j->id, name,
                  j->attempts);
        memset(&sp, 0, sizeof sp);
        sp.argv = argv;
        sp.env = env;
        sp.input = input;
        sp.input_len = input ? strlen(input) : 0;
        sp.timeout_ms = cfg->timeout_ms;
        sp.tick_ms = cfg->lease_ms / 3 > 0 ? cfg->lease_ms / 3 : 1;
        sp.tick = renew_tick;
        sp.tick_ud = &tu;
        sp.stop_flag = &stop_requested;
        prc = avk_proc_run(&sp, &res, err);
        free(argv);
        memset(&oc, 0, sizeof oc);
        oc.duration_ms = res.duration_ms;
        oc.output = res.out.data ? res.out.data : "";
        oc.stderr_tail = res.err_tail.data ? res.err_tail.data : "";
        last_line(oc.stderr_tail, line, sizeof line);
        oc.exit_status = res.exit_status;
        if (prc == AVK_EX_UNAVAILABLE) {
            oc.outcome = AVK_OUTCOME_PERM;
            oc.exit_status = 127;
            snprintf(error, sizeof error, "%s", err->msg);
        } else if (prc) {
            avk_proc_result_release(&res);
            rc = prc;
            break;
        } else if (res.stopped && !tu.lost && stop_requested) {
            oc.outcome = AVK_OUTCOME_INTERRUPTED;
            snprintf(error, sizeof error,
                     "%s stopped: the runner was asked to stop", name);
        } else if (res.stopped) {
            oc.outcome = AVK_OUTCOME_CANCELLED;
            snprintf(error, sizeof error,
                     "%s stopped: the job was cancelled or its lease lost",
                     name);
        } else if (res.timed_out) {
            oc.outcome = AVK_OUTCOME_TEMP;
            snprintf(error, sizeof error, "%s timed out after %lld ms", name,
                     cfg->timeout_ms);
        } else if (res.exit_status == 0 && !res.out.len) {
            oc.outcome = AVK_OUTCOME_PERM;
            snprintf(error, sizeof error, "%s printed no document", name);
        } else if (res.exit_status == 0) {
            oc.outcome = AVK_OUTCOME_OK;
            error[0] = '\0';
        } else {
            oc.outcome = res.exit_status == AVK_EX_TEMPFAIL || res.signaled
                             ? AVK_OUTCOME_TEMP
                             : AVK_OUTCOME_PERM;
            snprintf(error, sizeof error, "%s %s %d%s%s", name,
                     res.signaled ? "killed by signal" : "exited with status",
                     res.signaled ? res.exit_status - 128 : res.exit_status,
                     *line ? ": " : "", line);
        }
        oc.error = error;
        now = avk_now_ms();
        rc = avk_jobs_stage_done(ctx->store, j, run_id, &oc, &cfg->retry, now,
                                 now + cfg->lease_ms,
                                 next_fire(ctx->store, j, now), state, err);
        if (!rc && oc.outcome == AVK_OUTCOME_OK && !strcmp(state, "running")) {
            free(input);
            input = strdup(oc.output);
            if (!input)
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            j->stage_index++;
            j->tries = 1;
        }
        if (!rc && oc.outcome != AVK_OUTCOME_OK)
            avk_info(&ctx->diag, "job %lld: %s -> %s", j->id, error, state);
        if (!rc && oc.outcome != AVK_OUTCOME_OK && strcmp(state, "lost")) {
            free(j->last_error);
            j->last_error = strdup(error);
        }
        avk_proc_result_release(&res);
        if (rc || strcmp(state, "running") || !input)
            break;
    }
    if (!rc && (!strcmp(state, "failed") || !strcmp(state, "dead")))
        notify_failure(ctx, o, j->id);
out:
    free(prog);
    free(input);
    json_decref(args);
    json_decref(stages);
    return rc;
}

static int write_metrics(avk_ctx *ctx, const char *path, avk_err *err)
{
    avk_buf b;
    int rc;

    avk_buf_init(&b);
    rc = avk_jobs_metrics(ctx->store, avk_now_ms(), &b, err);
    if (!rc)
        rc =
            avk_write_file_atomic(path, b.data ? b.data : "", b.len, 0644, err);
    avk_buf_release(&b);
    return rc;
}

static int queue_active(avk_store *s)
{
    avk_stmt *st;
    int rc;

    if (avk_stmt_prepare(s,
                         "SELECT 1 FROM jobs WHERE state IN ('queued', "
                         "'running') LIMIT 1",
                         &st, NULL))
        return 1;
    rc = avk_stmt_step(st, NULL) == AVK_STMT_ROW;
    avk_stmt_free(st);
    return rc;
}

static int worker(avk_ctx *ctx, const opts *o, run_cfg *cfg)
{
    avk_err err = {0, ""};
    char host[64] = "localhost";
    unsigned int r = 0;
    int rc, failures = 0;

    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    avk_random_bytes(&r, sizeof r);
    snprintf(cfg->owner, sizeof cfg->owner, "%s:%ld:%08x", host, (long)getpid(),
             r);
    if ((rc = avk_ctx_open_store(ctx, &err)))
        return avk_report(&ctx->diag, &err, rc);
    for (;;) {
        avk_job j;
        int got = 0;
        char state[16];

        memset(&j, 0, sizeof j);
        if (stop_requested)
            break;
        rc = avk_jobs_claim_limited(ctx->store, cfg->owner, avk_now_ms(),
                                    cfg->lease_ms, o->max_running, &j, &got,
                                    &err);
        if (rc) {
            avk_report(&ctx->diag, &err, rc);
            if (!o->loop)
                return rc;
            avk_sleep_ms(cfg->poll_ms);
            continue;
        }
        if (got) {
            rc = run_job(ctx, o, cfg, &j, state, &err);
            if (rc) {
                avk_report(&ctx->diag, &err, rc);
                failures++;
            } else if (!strcmp(state, "failed") || !strcmp(state, "dead")) {
                avk_warn(&ctx->diag, "job %lld: %s: %s", j.id, state,
                         j.last_error ? j.last_error : "");
            } else {
                avk_debug(&ctx->diag, "job %lld: %s", j.id, state);
            }
            avk_job_release(&j);
            if (o->metrics && (rc = write_metrics(ctx, o->metrics, &err)))
                avk_report(&ctx->diag, &err, rc);
            continue;
        }
        if (o->metrics && (rc = write_metrics(ctx, o->metrics, &err)))
            avk_report(&ctx->diag, &err, rc);
        if (!o->loop)
            break;
        if (o->exit_idle && !queue_active(ctx->store))
            break;
        {
            long long waited;
            for (waited = 0; waited < cfg->poll_ms && !stop_requested;
                 waited += 50)
                avk_sleep_ms(cfg->poll_ms - waited < 50 ? cfg->poll_ms - waited
                                                        : 50);
        }
    }
    return failures ? AVK_EX_SOFTWARE : 0;
}

static char *self_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

    if (n <= 0)
        return strdup(".");
    buf[n] = '\0';
    return avk_dirname(buf);
}

static int dur_opt(const char *s, long long def, long long *out, avk_err *err)
{
    *out = def;
    return s ? avk_duration_parse(s, out, err) : 0;
}

static int cmd_run(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    run_cfg cfg;
    const char *bd = o->bin_dir ? o->bin_dir : getenv("AV_BIN_DIR");
    long long n, i;
    int rc;

    memset(&cfg, 0, sizeof cfg);
    if (a->n) {
        avk_fail(&err, AVK_EX_USAGE, "run takes no operands");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    if ((rc = dur_opt(o->lease, 300000, &cfg.lease_ms, &err)) ||
        (rc = dur_opt(o->poll, 5000, &cfg.poll_ms, &err)) ||
        (rc = dur_opt(o->timeout, 3600000, &cfg.timeout_ms, &err)) ||
        (rc = dur_opt(o->backoff, 30000, &cfg.retry.base_ms, &err)) ||
        (rc = dur_opt(o->backoff_max, 3600000, &cfg.retry.cap_ms, &err)))
        return fail_report(ctx, &err, rc);
    if (cfg.lease_ms < 30) {
        avk_fail(&err, AVK_EX_USAGE, "--lease is too short");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    cfg.retry.jitter = !o->no_jitter;
    n = o->jobs > 0 ? o->jobs : 1;
    if (n > 64) {
        avk_fail(&err, AVK_EX_USAGE, "--jobs must be 1-64");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    cfg.bin_dir = bd && *bd ? strdup(bd) : self_dir();
    if (!cfg.bin_dir)
        return avk_report(&ctx->diag, &err,
                          avk_fail(&err, AVK_EX_OSERR, "out of memory"));
    signal(SIGPIPE, SIG_IGN);
    catch_stop_signals();
    if (n == 1) {
        rc = worker(ctx, o, &cfg);
    } else {
        /* N workers, each its own process with its own store connection
         * (opened after the fork); they share only the database. */
        pid_t *pids = calloc((size_t)n, sizeof *pids);
        int bad = 0;
        if (!pids) {
            free(cfg.bin_dir);
            return avk_report(&ctx->diag, &err,
                              avk_fail(&err, AVK_EX_OSERR, "out of memory"));
        }
        fflush(NULL);
        for (i = 0; i < n; i++) {
            pids[i] = fork();
            if (pids[i] == 0) {
                /* the worker's own resources are released here; the
                 * copies of main's argument tables belong to the parent,
                 * so leave with _exit, not exit */
                int wrc = worker(ctx, o, &cfg);
                avk_ctx_release(ctx);
                free(cfg.bin_dir);
                free(pids);
                fflush(NULL);
                _exit(wrc);
            }
            if (pids[i] < 0) {
                avk_error(&ctx->diag, "fork: %s", strerror(errno));
                bad = AVK_EX_OSERR;
                break;
            }
        }
        for (i = 0; i < n; i++) {
            int st;
            if (pids[i] <= 0)
                continue;
            while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR) {
                /* asked to stop: pass it on to every worker */
                long long w;
                for (w = 0; w < n; w++)
                    if (pids[w] > 0)
                        kill(pids[w], SIGTERM);
            }
            if (!WIFEXITED(st) || WEXITSTATUS(st))
                bad = bad             ? bad
                      : WIFEXITED(st) ? WEXITSTATUS(st)
                                      : AVK_EX_SOFTWARE;
        }
        free(pids);
        rc = bad;
    }
    free(cfg.bin_dir);
    return rc;
}

/* ---- ls, show, log ---- */

static void print_trunc(const char *s, int width)
{
    int chars = 0;
    const unsigned char *p = (const unsigned char *)s;

    for (; *p; p++) {
        if ((*p & 0xC0) != 0x80 && ++chars > width)
            break;
        putchar(*p);
    }
}

static int cmd_ls(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    avk_job *v = NULL;
    size_t n = 0, i;
    int rc;

    (void)a;
    if ((rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = avk_jobs_list(ctx->store, o->state, &v, &n, &err)))
        return fail_report(ctx, &err, rc);
    if (!o->json)
        printf("%-6s %-9s %-16s %5s  %-10s %-28s %s\n", "ID", "STATE", "RUN AT",
               "TRIES", "TO", "STAGES", "TOPIC");
    for (i = 0; i < n && !rc; i++) {
        if (o->json) {
            json_t *js = avk_job_json(&v[i]);
            rc = js ? avk_doc_print(js, &err)
                    : avk_fail(&err, AVK_EX_OSERR, "out of memory");
            json_decref(js);
        } else {
            char b[32], st[256] = "";
            json_t *sa = avk_job_stages(&v[i]);
            size_t k;
            for (k = 0; k < json_array_size(sa); k++)
                snprintf(st + strlen(st), sizeof st - strlen(st), "%s%s",
                         k ? "," : "",
                         json_string_value(json_array_get(sa, k)));
            json_decref(sa);
            local_str(zone(o), v[i].run_at_ms, b);
            printf("%-6lld %-9s %-16s %2d/%-2d  %-10s %-28s ", v[i].id,
                   v[i].state, b, v[i].tries, v[i].max_attempts,
                   v[i].platform ? v[i].platform : "-", st);
            print_trunc(v[i].topic ? v[i].topic : "", 40);
            putchar('\n');
        }
    }
    avk_jobs_free(v, n);
    if (rc)
        return fail_report(ctx, &err, rc);
    return fflush(stdout) ? AVK_EX_IOERR : 0;
}

static int cmd_show(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    size_t i;
    int rc;

    if (!a->n) {
        avk_fail(&err, AVK_EX_USAGE, "show needs a job ID");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    if ((rc = avk_ctx_open_store(ctx, &err)))
        return fail_report(ctx, &err, rc);
    for (i = 0; i < a->n && !rc; i++) {
        long long id;
        avk_job j;
        json_t *js;
        if ((rc = parse_id(a->v[i], &id, &err)) ||
            (rc = avk_jobs_get(ctx->store, id, &j, &err)))
            break;
        js = avk_job_json(&j);
        if (js && j.doc)
            json_object_set_new(js, "output", json_string(j.doc));
        avk_job_release(&j);
        if (!js) {
            rc = avk_fail(&err, AVK_EX_OSERR, "out of memory");
            break;
        }
        if (o->json) {
            rc = avk_doc_print(js, &err);
        } else {
            const char *k;
            json_t *val;
            json_object_foreach(js, k, val)
            {
                char *t;
                if (json_is_null(val))
                    continue;
                t = json_is_string(val)
                        ? NULL
                        : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
                printf("%-13s %s\n", k, t ? t : json_string_value(val));
                free(t);
            }
            if (i + 1 < a->n)
                putchar('\n');
        }
        json_decref(js);
    }
    if (rc)
        return fail_report(ctx, &err, rc);
    return fflush(stdout) ? AVK_EX_IOERR : 0;
}

static int cmd_log(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    long long id;
    json_t *runs = NULL, *r;
    avk_job j;
    size_t i;
    int rc;

    if (a->n != 1) {
        avk_fail(&err, AVK_EX_USAGE, "log needs one job ID");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    if ((rc = parse_id(a->v[0], &id, &err)) ||
        (rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = avk_jobs_get(ctx->store, id, &j, &err)))
        return fail_report(ctx, &err, rc);
    avk_job_release(&j);
    if ((rc = avk_jobs_runs(ctx->store, id, &runs, &err)))
        return fail_report(ctx, &err, rc);
    if (!o->json)
        printf("%-5s %-7s %-8s %-20s %9s %4s  %s\n", "RUN", "ATTEMPT", "STAGE",
               "STARTED", "SECONDS", "EXIT", "OUTCOME");
    json_array_foreach(runs, i, r)
    {
        if (o->json) {
            if ((rc = avk_doc_print(r, &err)))
                break;
            continue;
        }
        {
            json_t *ex = json_object_get(r, "exit_status"),
                   *du = json_object_get(r, "duration_ms");
            const char *tail = json_string_value(json_object_get(r, "stderr"));
            char exs[16] = "-", dus[32] = "-";
            if (json_is_integer(ex))
                snprintf(exs, sizeof exs, "%lld",
                         (long long)json_integer_value(ex));
            if (json_is_integer(du))
                snprintf(dus, sizeof dus, "%.2f",
                         json_integer_value(du) / 1000.0);
            printf("%-5lld %-7lld %-8s %-20s %9s %4s  %s\n",
                   (long long)json_integer_value(json_object_get(r, "run")),
                   (long long)json_integer_value(json_object_get(r, "attempt")),
                   json_string_value(json_object_get(r, "stage")),
                   json_string_value(json_object_get(r, "started_at")), dus,
                   exs, json_string_value(json_object_get(r, "outcome")));
            if (tail && *tail) {
                const char *p = tail;
                while (*p) {
                    size_t len = strcspn(p, "\n");
                    printf("      | %.*s\n", (int)len, p);
                    p += len;
                    if (*p)
                        p++;
                }
            }
        }
    }
    json_decref(runs);
    if (rc)
        return fail_report(ctx, &err, rc);
    return fflush(stdout) ? AVK_EX_IOERR : 0;
}

/* ---- cancel, retry, pause, resume ---- */

static int each_id(avk_ctx *ctx, const avk_args *a, const char *verb,
                   int (*fn)(avk_store *, long long, long long, avk_err *))
{
    avk_err err = {0, ""};
    size_t i;
    int rc;

    if ((rc = avk_ctx_open_store(ctx, &err)))
        return fail_report(ctx, &err, rc);
    for (i = 0; i < a->n; i++) {
        long long id;
        if ((rc = parse_id(a->v[i], &id, &err)) ||
            (rc = fn(ctx->store, id, avk_now_ms(), &err)))
            return rc == AVK_EX_USAGE && strncmp(err.msg, "bad", 3)
                       ? avk_report(&ctx->diag, &err, rc)
                       : fail_report(ctx, &err, rc);
        avk_info(&ctx->diag, "%s job %lld", verb, id);
    }
    return 0;
}

static int need_ids(avk_ctx *ctx, const avk_args *a, const char *what)
{
    avk_err err = {0, ""};

    (void)a;
    avk_fail(&err, AVK_EX_USAGE, "%s needs a job ID", what);
    return fail_report(ctx, &err, AVK_EX_USAGE);
}

static int cmd_cancel(avk_ctx *ctx, opts *o, const avk_args *a)
{
    (void)o;
    if (!a->n)
        return need_ids(ctx, a, "cancel");
    return each_id(ctx, a, "cancelled", avk_jobs_cancel);
}

static int cmd_retry(avk_ctx *ctx, opts *o, const avk_args *a)
{
    (void)o;
    if (!a->n)
        return need_ids(ctx, a, "retry");
    return each_id(ctx, a, "queued again", avk_jobs_retry);
}

static int pause_all(avk_ctx *ctx, int paused)
{
    avk_err err = {0, ""};
    int rc;

    if ((rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = avk_jobs_pause_all(ctx->store, paused, &err)))
        return fail_report(ctx, &err, rc);
    avk_info(&ctx->diag, "queue %s", paused ? "paused" : "resumed");
    return 0;
}

static int cmd_pause(avk_ctx *ctx, opts *o, const avk_args *a)
{
    (void)o;
    return a->n ? each_id(ctx, a, "paused", avk_jobs_pause) : pause_all(ctx, 1);
}

static int cmd_resume(avk_ctx *ctx, opts *o, const avk_args *a)
{
    (void)o;
    return a->n ? each_id(ctx, a, "resumed", avk_jobs_resume)
                : pause_all(ctx, 0);
}

/* ---- plan ---- */

static int cmd_plan(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    avk_plan *v = NULL;
    size_t n = 0, i;
    int rc;

    if ((rc = avk_ctx_open_store(ctx, &err)))
        return fail_report(ctx, &err, rc);
    if (a->n > 1) {
        avk_fail(&err, AVK_EX_USAGE, "plan takes one PLATFORM");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    if (a->n == 1) {
        avk_plan p;
        long long jit = 0;
        size_t k;
        char wins[256] = "";
        if (!valid_platform(a->v[0])) {
            avk_fail(&err, AVK_EX_USAGE, "bad platform name '%s'", a->v[0]);
            return fail_report(ctx, &err, AVK_EX_USAGE);
        }
        if (o->clear)
            return (rc = avk_plan_clear(ctx->store, a->v[0], &err))
                       ? fail_report(ctx, &err, rc)
                       : 0;
        for (k = 0; k < o->windows.n; k++)
            snprintf(wins + strlen(wins), sizeof wins - strlen(wins), "%s%s",
                     k ? "," : "", o->windows.v[k]);
        if ((rc = dur_opt(o->jitter, 0, &jit, &err)) ||
            (rc = avk_tz_check(zone(o), &err)))
            return fail_report(ctx, &err, rc);
        memset(&p, 0, sizeof p);
        snprintf(p.platform, sizeof p.platform, "%s", a->v[0]);
        if ((rc = avk_plan_parse_windows(wins, &p, &err)))
            return fail_report(ctx, &err, rc);
        p.daily_cap = (int)o->cap;
        p.jitter_ms = jit;
        snprintf(p.tz, sizeof p.tz, "%s", zone(o) ? zone(o) : "");
        if ((rc = avk_plan_set(ctx->store, &p, &err)))
            return fail_report(ctx, &err, rc);
    }
    if ((rc = avk_plan_list(ctx->store, &v, &n, &err)))
        return fail_report(ctx, &err, rc);
    if (!o->json)
        printf("%-12s %-24s %4s %8s  %s\n", "PLATFORM", "WINDOWS", "CAP",
               "JITTER", "TZ");
    for (i = 0; i < n; i++) {
        char wins[256];
        avk_plan_format_windows(&v[i], wins, sizeof wins);
        if (o->json) {
            json_t *js =
                json_pack("{s:s, s:s, s:i, s:I, s:s?}", "platform",
                          v[i].platform, "windows", wins, "cap", v[i].daily_cap,
                          "jitter_s", (json_int_t)(v[i].jitter_ms / 1000), "tz",
                          v[i].tz[0] ? v[i].tz : NULL);
            if (js)
                avk_doc_print(js, NULL);
            json_decref(js);
        } else {
            printf("%-12s %-24s %4d %7llds  %s\n", v[i].platform,
                   wins[0] ? wins : "any", v[i].daily_cap,
                   v[i].jitter_ms / 1000, v[i].tz[0] ? v[i].tz : "local");
        }
    }
    free(v);
    return fflush(stdout) ? AVK_EX_IOERR : 0;
}

/* ---- calendar ---- */

typedef struct cal_ev {
    long long t_ms;
    long long id;
    char platform[48];
    char topic[200];
} cal_ev;

static int ev_cmp(const void *a, const void *b)
{
    const cal_ev *x = a, *y = b;
    int c = strcmp(x->platform, y->platform);

    if (x->t_ms / 86400000 != y->t_ms / 86400000 || !c)
        return x->t_ms < y->t_ms ? -1 : x->t_ms > y->t_ms;
    return c;
}

static void ics_text(FILE *f, const char *prop, const char *text)
{
    /* escape and fold at 75 octets (RFC 5545 3.1, 3.3.11) */
    size_t col = strlen(prop) + 1;
    const unsigned char *p = (const unsigned char *)text;

    fprintf(f, "%s:", prop);
    for (; *p; p++) {
        char esc[3] = {0, 0, 0};
        size_t w;
        if (*p == '\\' || *p == ';' || *p == ',') {
            esc[0] = '\\';
            esc[1] = (char)*p;
        } else if (*p == '\n') {
            esc[0] = '\\';
            esc[1] = 'n';
        } else if (*p < 0x20) {
            continue;
        } else {
            esc[0] = (char)*p;
        }
        w = strlen(esc);
        /* never split a UTF-8 sequence: fold only before a lead byte */
        if (col + w > 75 && (*p & 0xC0) != 0x80) {
            fputs("\r\n ", f);
            col = 1;
        }
        fputs(esc, f);
        col += w;
    }
    fputs("\r\n", f);
}

static int cmd_calendar(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    avk_job *v = NULL;
    size_t n = 0, i, nev = 0, cap = 0;
    cal_ev *ev = NULL;
    long long now = avk_now_ms(), days = o->days > 0 ? o->days : 14,
              end = now + days * 86400000LL;
    int rc;

    (void)a;
    if ((rc = avk_tz_check(zone(o), &err)) ||
        (rc = avk_ctx_open_store(ctx, &err)) ||
        (rc = avk_jobs_list(ctx->store, NULL, &v, &n, &err)))
        return fail_report(ctx, &err, rc);
    for (i = 0; i < n; i++) {
        avk_job *j = &v[i];
        long long t = j->run_at_ms;
        avk_cron c;
        int have_cron, guard = 0;
        if (strcmp(j->state, "queued") && strcmp(j->state, "running") &&
            strcmp(j->state, "paused"))
            continue;
        have_cron = j->cron && avk_cron_parse(j->cron, &c, NULL) == 0;
        while (t < end && guard++ < 1000) {
            if (nev == cap) {
                cal_ev *ne = realloc(ev, (cap * 2 + 16) * sizeof *ne);
                if (!ne)
                    break;
                ev = ne;
                cap = cap * 2 + 16;
            }
            ev[nev].t_ms = t < now && !strcmp(j->state, "queued") ? now : t;
            ev[nev].id = j->id;
            snprintf(ev[nev].platform, sizeof ev[nev].platform, "%s",
                     j->platform ? j->platform : "-");
            snprintf(ev[nev].topic, sizeof ev[nev].topic, "%s",
                     j->topic ? j->topic : "");
            nev++;
            if (!have_cron)
                break;
            {
                long long nx;
                if (avk_cron_next(&c, j->tz, t / 1000, &nx, NULL))
                    break;
                t = nx * 1000;
            }
        }
    }
    if (nev > 1)
        qsort(ev, nev, sizeof *ev, ev_cmp);
    if (o->ics) {
        char stamp[32];
        int k, m;
        avk_time_iso(now / 1000, stamp);
        for (k = 0, m = 0; stamp[k]; k++)
            if (stamp[k] != '-' && stamp[k] != ':')
                stamp[m++] = stamp[k];
        stamp[m] = '\0';
        fputs("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//av//"
              "av-schedule " AVK_VERSION
              "//EN\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n",
              stdout);
        for (i = 0; i < nev; i++) {
            char t[32], uid[96], sum[300];
            avk_time_iso(ev[i].t_ms / 1000, t);
            /* 2026-12-01T09:00:00Z -> 20261201T090000Z */
            for (k = 0, m = 0; t[k]; k++)
                if (t[k] != '-' && t[k] != ':')
                    t[m++] = t[k];
            t[m] = '\0';
            snprintf(uid, sizeof uid, "job-%lld-%s@av-schedule", ev[i].id, t);
            fputs("BEGIN:VEVENT\r\n", stdout);
            printf("UID:%s\r\nDTSTAMP:%s\r\n", uid, stamp);
            printf("DTSTART:%s\r\nDURATION:PT15M\r\n", t);
            snprintf(sum, sizeof sum, "%s: %s", ev[i].platform, ev[i].topic);
            ics_text(stdout, "SUMMARY", sum);
            snprintf(sum, sizeof sum, "av-schedule job %lld", ev[i].id);
            ics_text(stdout, "DESCRIPTION", sum);
            fputs("END:VEVENT\r\n", stdout);
        }
        fputs("END:VCALENDAR\r\n", stdout);
    } else {
        char prev_day[16] = "";
        for (i = 0; i < nev; i++) {
            int y, mo, d, h, mi, wd;
            char day[16];
            static const char *const wdn[] = {"Sun", "Mon", "Tue", "Wed",
                                              "Thu", "Fri", "Sat"};
            avk_tz_local(zone(o), ev[i].t_ms / 1000, &y, &mo, &d, &h, &mi, &wd,
                         NULL, NULL);
            snprintf(day, sizeof day, "%04d-%02d-%02d", y, mo, d);
            if (strcmp(day, prev_day)) {
                printf("%s%s %s\n", i ? "\n" : "", day, wdn[wd % 7]);
                snprintf(prev_day, sizeof prev_day, "%s", day);
            }
            printf("  %-10s %02d:%02d  #%-5lld ", ev[i].platform, h, mi,
                   ev[i].id);
            print_trunc(ev[i].topic, 50);
            putchar('\n');
        }
        if (!nev)
            printf("nothing scheduled in the next %lld days\n", days);
    }
    free(ev);
    avk_jobs_free(v, n);
    return fflush(stdout) ? AVK_EX_IOERR : 0;
}

/* ---- cron-line, next, metrics ---- */

static void shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else if (*s == '%')
            fputs("\\%", f); /* crontab turns a bare % into a newline */
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static int cmd_cron_line(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    char *dir = self_dir(), *self, *log;
    int rc;

    (void)a;
    if ((rc = avk_ws_find(ctx->store_dir, &ctx->ws_root, &err))) {
        free(dir);
        return fail_report(ctx, &err, rc);
    }
    self = dir ? avk_path_join(dir, PROG) : NULL;
    log = avk_ws_path(ctx->ws_root, "schedule.log");
    if (!self || !log) {
        free(dir);
        free(self);
        free(log);
        return avk_report(&ctx->diag, &err,
                          avk_fail(&err, AVK_EX_OSERR, "out of memory"));
    }
    printf("* * * * * ");
    shell_quote(stdout, self);
    printf(" run --quiet --store ");
    shell_quote(stdout, ctx->ws_root);
    if (o->metrics) {
        printf(" --metrics ");
        shell_quote(stdout, o->metrics);
    }
    printf(" >>");
    shell_quote(stdout, log);
    printf(" 2>&1\n");
    free(dir);
    free(self);
    free(log);
    return fflush(stdout) ? AVK_EX_IOERR : 0;
}

static int cmd_next(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    avk_cron c;
    long long t, count = o->count > 0 ? o->count : 5, i;
    int rc;

    if (a->n != 1) {
        avk_fail(&err, AVK_EX_USAGE, "next needs one cron expression");
        return fail_report(ctx, &err, AVK_EX_USAGE);
    }
    t = avk_now_ms() / 1000;
    if (o->at && (rc = avk_time_parse(o->at, zone(o), t, &t, &err)))
        return fail_report(ctx, &err, rc);
    if ((rc = avk_cron_parse(a->v[0], &c, &err)))
        return fail_report(ctx, &err, rc);
    for (i = 0; i < count; i++) {
        char iso[32], loc[32];
        long gmtoff = 0;
        if ((rc = avk_cron_next(&c, zone(o), t, &t, &err)))
            return fail_report(ctx, &err, rc);
        avk_time_iso(t, iso);
        local_str(zone(o), t * 1000, loc);
        avk_tz_local(zone(o), t, NULL, NULL, NULL, NULL, NULL, NULL, &gmtoff,
                     NULL);
        printf("%s  %s %+03ld%02ld\n", iso, loc, gmtoff / 3600,
               (labs(gmtoff) % 3600) / 60);
    }
    return fflush(stdout) ? AVK_EX_IOERR : 0;
}

static int cmd_metrics(avk_ctx *ctx, opts *o, const avk_args *a)
{
    avk_err err = {0, ""};
    avk_buf b;
    int rc;

    (void)a;
    if ((rc = avk_ctx_open_store(ctx, &err)))
        return fail_report(ctx, &err, rc);
    if (o->metrics)
        return (rc = write_metrics(ctx, o->metrics, &err))
                   ? fail_report(ctx, &err, rc)
                   : 0;
    avk_buf_init(&b);
    rc = avk_jobs_metrics(ctx->store, avk_now_ms(), &b, &err);
    if (!rc)
        fputs(b.data ? b.data : "", stdout);
    avk_buf_release(&b);
    if (rc)
        return fail_report(ctx, &err, rc);
    return fflush(stdout) ? AVK_EX_IOERR : 0;
}

/* ---- main ---- */

static const struct {
    const char *name;
    subcmd_fn fn;
    const char *summary;
} subcmds[] = {
    {"add", cmd_add, "queue jobs (a topic, projects, or documents on stdin)"},
    {"run", cmd_run, "run due jobs (what cron calls every minute)"},
    {"ls", cmd_ls, "list jobs"},
    {"show", cmd_show, "print a job"},
    {"log", cmd_log, "print a job's stage runs with their stderr"},
    {"cancel", cmd_cancel, "cancel jobs (a running one is stopped)"},
    {"retry", cmd_retry, "queue failed, dead or cancelled jobs again"},
    {"pause", cmd_pause, "hold jobs, or the whole queue without IDs"},
    {"resume", cmd_resume, "release held jobs, or the whole queue"},
    {"plan", cmd_plan, "show or set a platform's posting windows and cap"},
    {"calendar", cmd_calendar, "coming posts per platform per day (--ics)"},
    {"cron-line", cmd_cron_line, "print the crontab line for this workspace"},
    {"next", cmd_next, "print the next fire times of a cron expression"},
    {"metrics", cmd_metrics, "print Prometheus metrics (or write --metrics)"},
};

static void help(FILE *f, const avk_opt *const *tables)
{
    size_t i;

    avk_opts_help(f, USAGE, "A job queue for av pipelines, driven by cron.",
                  tables);
    fprintf(f, "\ncommands:\n");
    for (i = 0; i < sizeof subcmds / sizeof *subcmds; i++)
        fprintf(f, "  %-10s %s\n", subcmds[i].name, subcmds[i].summary);
}

int main(int argc, char **argv)
{
    avk_ctx ctx;
    opts o;
    avk_opt common[AVK_COMMON_NOPTS + 1];
    const avk_opt own[] = {
        {0, "at", AVK_OPT_STR, "TIME",
         "add: run at TIME (2026-12-01T09:00, 09:00); next: start from TIME",
         &o.at, NULL, NULL, 0},
        {0, "in", AVK_OPT_STR, "DURATION", "add: run after DURATION (2h, 90m)",
         &o.in, NULL, NULL, 0},
        {0, "every", AVK_OPT_STR, "CRON",
         "add: recurring, a 5-field cron expression", &o.every, NULL, NULL, 0},
        {0, "tz", AVK_OPT_STR, "ZONE",
         "IANA time zone for times and cron (default: local)", &o.tz, NULL,
         NULL, 0},
        {0, "stages", AVK_OPT_STR, "LIST",
         "add: stages to run, comma-separated (default script..render, "
         "+publish with --to)",
         &o.stages, "trend|script|voice|image|render|publish", NULL, 0},
        {0, "to", AVK_OPT_LIST, "PLATFORM",
         "add: publish target (one job per platform; repeatable)", &o.to,
         "tiktok|youtube|instagram", NULL, 0},
        {0, "topic", AVK_OPT_LIST, "TEXT", "add: a new project on TEXT",
         &o.topics, NULL, NULL, 0},
        {0, "project", AVK_OPT_LIST, "ID", "add: an existing project",
         &o.projects, "project", NULL, 0},
        {0, "arg", AVK_OPT_LIST, "STAGE=ARG",
         "add: pass ARG to a stage's tool (repeatable)", &o.args, NULL, NULL,
         0},
        {0, "max-attempts", AVK_OPT_INT, "N",
         "add: tries per stage before a job is dead (default 5)",
         &o.max_attempts, NULL, NULL, 0},
        {0, "now-ok", AVK_OPT_FLAG, NULL,
         "add: accept a time in the past (run at once)", &o.now_ok, NULL, NULL,
         0},
        {0, "paused", AVK_OPT_FLAG, NULL, "add: queue the jobs paused",
         &o.paused, NULL, NULL, 0},
        {'j', "jobs", AVK_OPT_INT, "N", "run: run up to N jobs at once",
         &o.jobs, NULL, NULL, 0},
        {0, "max-running", AVK_OPT_INT, "N",
         "run: start no job while N jobs are running (all runners together)",
         &o.max_running, NULL, NULL, 0},
        {0, "loop", AVK_OPT_FLAG, NULL,
         "run: stay in the foreground (for a service manager)", &o.loop, NULL,
         NULL, 0},
        {0, "exit-when-idle", AVK_OPT_FLAG, NULL,
         "run --loop: stop once no job is queued or running", &o.exit_idle,
         NULL, NULL, 0},
        {0, "lease", AVK_OPT_STR, "DURATION",
         "run: lease length (default 5m; renewed every third of it)", &o.lease,
         NULL, NULL, 0},
        {0, "poll", AVK_OPT_STR, "DURATION",
         "run --loop: wait between polls (default 5s)", &o.poll, NULL, NULL, 0},
        {0, "timeout", AVK_OPT_STR, "DURATION",
         "run: stop a stage after DURATION (default 1h)", &o.timeout, NULL,
         NULL, 0},
        {0, "backoff", AVK_OPT_STR, "DURATION",
         "run: first retry delay, doubled each time (default 30s)", &o.backoff,
         NULL, NULL, 0},
        {0, "backoff-max", AVK_OPT_STR, "DURATION",
         "run: longest retry delay (default 1h)", &o.backoff_max, NULL, NULL,
         0},
        {0, "no-jitter", AVK_OPT_FLAG, NULL, "run: exact retry delays",
         &o.no_jitter, NULL, NULL, 0},
        {0, "metrics", AVK_OPT_STR, "FILE",
         "run, metrics: write Prometheus metrics to FILE atomically",
         &o.metrics, "file", NULL, 0},
        {0, "notify", AVK_OPT_LIST, "WORD",
         "run: command run for a failed job, one argv word per option "
         "(job JSON on stdin)",
         &o.notify, NULL, NULL, 0},
        {0, "bin-dir", AVK_OPT_STR, "DIR",
         "run: where the av tools are (default: beside av-schedule)",
         &o.bin_dir, "dir", NULL, 0},
        {0, "json", AVK_OPT_FLAG, NULL, "ls, show, log, plan: JSON lines",
         &o.json, NULL, NULL, 0},
        {0, "state", AVK_OPT_STR, "STATE", "ls: only jobs in STATE", &o.state,
         "queued|running|done|failed|dead|cancelled|paused", NULL, 0},
        {0, "days", AVK_OPT_INT, "N", "calendar: days ahead (default 14)",
         &o.days, NULL, NULL, 0},
        {0, "ics", AVK_OPT_FLAG, NULL, "calendar: iCalendar output", &o.ics,
         NULL, NULL, 0},
        {0, "count", AVK_OPT_INT, "N", "next: how many (default 5)", &o.count,
         NULL, NULL, 0},
        {0, "window", AVK_OPT_LIST, "HH:MM-HH:MM",
         "plan: posting window (repeatable)", &o.windows, NULL, NULL, 0},
        {0, "cap", AVK_OPT_INT, "N", "plan: at most N posts a day (0: none)",
         &o.cap, NULL, NULL, 0},
        {0, "jitter", AVK_OPT_STR, "DURATION",
         "plan: random delay of up to DURATION", &o.jitter, NULL, NULL, 0},
        {0, "clear", AVK_OPT_FLAG, NULL, "plan: remove the platform's plan",
         &o.clear, NULL, NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {own, common, NULL};
    avk_args args;
    avk_err err = {0, ""};
    const char *sub = NULL;
    size_t i;
    int rc, shifted = 0;

    memset(&o, 0, sizeof o);
    avk_ctx_init(&ctx, PROG);
    avk_common_opts(&ctx, common);
    rc = avk_opts_parse(tables, argc, argv, 1, &args, NULL, &err);
    if (rc) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    avk_ctx_apply(&ctx);
    if (args.help) {
        help(stdout, tables);
        goto out;
    }
    if (avk_handle_info(&args, PROG, USAGE, NULL, tables))
        goto out;
    if (args.n > 0) {
        sub = args.v[0];
        args.v++;
        args.n--;
        shifted = 1;
    }
    if (!sub) {
        avk_fail(&err, AVK_EX_USAGE, "no command given");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    for (i = 0; i < sizeof subcmds / sizeof *subcmds; i++)
        if (!strcmp(sub, subcmds[i].name))
            break;
    if (i == sizeof subcmds / sizeof *subcmds) {
        avk_fail(&err, AVK_EX_USAGE, "unknown command '%s'", sub);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    rc = subcmds[i].fn(&ctx, &o, &args);
out:
    if (shifted)
        args.v--;
    avk_args_release(&args);
    avk_strlist_release(&o.to);
    avk_strlist_release(&o.topics);
    avk_strlist_release(&o.projects);
    avk_strlist_release(&o.args);
    avk_strlist_release(&o.notify);
    avk_strlist_release(&o.windows);
    avk_ctx_release(&ctx);
    return rc;
}
