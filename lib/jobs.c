/*
 * jobs.c - the job queue: add, claim with a lease, renew, record stage
 * runs, retries with backoff, user actions, metrics (see jobs.h).
 *
 * What always holds: every state change of a job happens in one
 * avk_store_tx (BEGIN IMMEDIATE) transaction, and every write a runner
 * makes is conditional on `state = 'running' AND lease_owner = owner`, so
 * a runner that lost its lease can never overwrite another's work.
 */
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"

#define JOB_COLS                                                               \
    "id, project_id, topic, input, doc, stages, args, platform, cron, tz, "    \
    "state, lease_owner, last_error, run_at_ms, lease_until_ms, "              \
    "created_ms, updated_ms, finished_ms, attempts, tries, max_attempts, "     \
    "stage_index, last_exit"

long long avk_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void avk_job_release(avk_job *j)
{
    if (!j)
        return;
    free(j->project_id);
    free(j->topic);
    free(j->input);
    free(j->doc);
    free(j->stages);
    free(j->args);
    free(j->platform);
    free(j->cron);
    free(j->tz);
    free(j->state);
    free(j->lease_owner);
    free(j->last_error);
    memset(j, 0, sizeof *j);
}

void avk_jobs_free(avk_job *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        avk_job_release(&v[i]);
    free(v);
}

static char *col_dup(avk_stmt *st, int col, int *oom)
{
    char *d;

    if (avk_stmt_is_null(st, col))
        return NULL;
    d = strdup(avk_stmt_text(st, col));
    if (!d)
        *oom = 1;
    return d;
}

static int read_row(avk_stmt *st, avk_job *j)
{
    int oom = 0;

    memset(j, 0, sizeof *j);
    j->id = avk_stmt_int(st, 0);
    j->project_id = col_dup(st, 1, &oom);
    j->topic = col_dup(st, 2, &oom);
    j->input = col_dup(st, 3, &oom);
    j->doc = col_dup(st, 4, &oom);
    j->stages = col_dup(st, 5, &oom);
    j->args = col_dup(st, 6, &oom);
    j->platform = col_dup(st, 7, &oom);
    j->cron = col_dup(st, 8, &oom);
    j->tz = col_dup(st, 9, &oom);
    j->state = col_dup(st, 10, &oom);
    j->lease_owner = col_dup(st, 11, &oom);
    j->last_error = col_dup(st, 12, &oom);
    j->run_at_ms = avk_stmt_int(st, 13);
    j->lease_until_ms = avk_stmt_int(st, 14);
    j->created_ms = avk_stmt_int(st, 15);
    j->updated_ms = avk_stmt_int(st, 16);
    j->finished_ms = avk_stmt_int(st, 17);
    j->attempts = (int)avk_stmt_int(st, 18);
    j->tries = (int)avk_stmt_int(st, 19);
    j->max_attempts = (int)avk_stmt_int(st, 20);
    j->stage_index = (int)avk_stmt_int(st, 21);
    j->last_exit = (int)avk_stmt_int(st, 22);
    if (oom || !j->state || !j->stages) {
        avk_job_release(j);
        return AVK_EX_OSERR;
    }
    return 0;
}

json_t *avk_job_stages(const avk_job *j)
{
    json_t *a = j->stages ? json_loads(j->stages, 0, NULL) : NULL;

    if (!json_is_array(a)) {
        json_decref(a);
        a = json_array();
    }
    return a;
}

static json_t *ms_iso(long long ms)
{
    char b[32];

    if (ms <= 0)
        return json_null();
    avk_time_iso(ms / 1000, b);
    return json_string(b);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *avk_job_json(const avk_job *j)
{
    json_t *o = json_object(), *args;

    if (!o)
        return NULL;
    args = j->args ? json_loads(j->args, 0, NULL) : NULL;
    json_object_set_new(o, "id", json_integer(j->id));
    json_object_set_new(o, "state", json_string(j->state));
    json_object_set_new(o, "project", str_or_null(j->project_id));
    json_object_set_new(o, "topic", str_or_null(j->topic));
    json_object_set_new(o, "stages", avk_job_stages(j));
    json_object_set_new(o, "args", args ? args : json_object());
    json_object_set_new(o, "platform", str_or_null(j->platform));
    json_object_set_new(o, "cron", str_or_null(j->cron));
    json_object_set_new(o, "tz", str_or_null(j->tz));
    json_object_set_new(o, "run_at", ms_iso(j->run_at_ms));
    json_object_set_new(o, "attempts", json_integer(j->attempts));
    json_object_set_new(o, "tries", json_integer(j->tries));
    json_object_set_new(o, "max_attempts", json_integer(j->max_attempts));
    json_object_set_new(o, "stage_index", json_integer(j->stage_index));
    json_object_set_new(o, "lease_owner", str_or_null(j->lease_owner));
    json_object_set_new(o, "lease_until", ms_iso(j->lease_until_ms));
    json_object_set_new(o, "last_error", str_or_null(j->last_error));
    json_object_set_new(o, "last_exit",
                        j->last_error || j->last_exit
                            ? json_integer(j->last_exit)
                            : json_null());
    json_object_set_new(o, "created_at", ms_iso(j->created_ms));
    json_object_set_new(o, "updated_at", ms_iso(j->updated_ms));
    json_object_set_new(o, "finished_at", ms_iso(j->finished_ms));
    return o;
}

/* ---- add, get, list ---- */

int avk_jobs_add(avk_store *s, const avk_job_spec *sp, long long *id,
                 avk_err *err)
{
    avk_stmt *st;
    long long now = avk_now_ms();
    int rc;

    if ((rc = avk_stmt_prepare(
             s,
             "INSERT INTO jobs (project_id, topic, input, stages, args, "
             "platform, cron, tz, state, run_at_ms, max_attempts, "
             "created_ms, updated_ms) VALUES "
             "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
             &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, sp->project_id);
    avk_stmt_bind_text(st, 2, sp->topic ? sp->topic : "");
    avk_stmt_bind_text(st, 3, sp->input);
    avk_stmt_bind_text(st, 4, sp->stages_json);
    avk_stmt_bind_text(st, 5, sp->args_json ? sp->args_json : "{}");
    avk_stmt_bind_text(st, 6, sp->platform);
    avk_stmt_bind_text(st, 7, sp->cron);
    avk_stmt_bind_text(st, 8, sp->tz);
    avk_stmt_bind_text(st, 9, sp->paused ? "paused" : "queued");
    avk_stmt_bind_int(st, 10, sp->run_at_ms);
    avk_stmt_bind_int(st, 11, sp->max_attempts > 0 ? sp->max_attempts : 5);
    avk_stmt_bind_int(st, 12, now);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if (id) {
        if ((rc = avk_stmt_prepare(s, "SELECT last_insert_rowid()", &st, err)))
            return rc;
        *id = avk_stmt_step(st, NULL) == AVK_STMT_ROW ? avk_stmt_int(st, 0) : 0;
        avk_stmt_free(st);
    }
    return 0;
}

int avk_jobs_get(avk_store *s, long long id, avk_job *out, avk_err *err)
{
    avk_stmt *st;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = avk_stmt_prepare(s, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1",
                               &st, err)))
        return rc;
    avk_stmt_bind_int(st, 1, id);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW)
        rc = read_row(st, out) ? avk_fail(err, AVK_EX_OSERR, "out of memory")
                               : 0;
    else if (rc == AVK_STMT_DONE)
        rc = avk_fail(err, AVK_EX_NOINPUT, "no job %lld", id);
    avk_stmt_free(st);
    return rc;
}

int avk_jobs_list(avk_store *s, const char *state, avk_job **v, size_t *n,
                  avk_err *err)
{
    avk_stmt *st;
    avk_job *arr = NULL;
    size_t cnt = 0;
    int rc;

    *v = NULL;
    *n = 0;
    if ((rc = avk_stmt_prepare(s,
                               "SELECT " JOB_COLS " FROM jobs WHERE ?1 IS NULL "
                               "OR state = ?1 ORDER BY run_at_ms, id",
                               &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, state);
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        avk_job *na = realloc(arr, (cnt + 1) * sizeof *arr);
        if (!na) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        arr = na;
        if (read_row(st, &arr[cnt])) {
            rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        }
        cnt++;
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE) {
        avk_jobs_free(arr, cnt);
        return rc;
    }
    *v = arr;
    *n = cnt;
    return 0;
}

/* ---- claim, renew ---- */

typedef struct claim_ud {
    const char *owner;
    long long now, lease, max_running;
    avk_job *out;
    int *got;
} claim_ud;

static int exec_at(avk_store *s, const char *sql, long long now, avk_err *err)
{
    avk_stmt *st;
    int rc;

    if ((rc = avk_stmt_prepare(s, sql, &st, err)))
        return rc;
    avk_stmt_bind_int(st, 1, now);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE || rc == AVK_STMT_ROW ? 0 : rc;
}

static int claim_tx(avk_store *s, void *ud, avk_err *err)
{
    claim_ud *c = ud;
    avk_stmt *st;
    long long id = 0;
    int rc;

    *c->got = 0;
    if (avk_jobs_paused_all(s))
        return 0;
    /* runs whose runner vanished: close them as lost */
    if ((rc = exec_at(
             s,
             "UPDATE job_runs SET outcome = 'lost', finished_ms = ?1, "
             "duration_ms = ?1 - started_ms WHERE finished_ms IS NULL AND "
             "job_id IN (SELECT id FROM jobs WHERE state = 'running' AND "
             "lease_until_ms < ?1)",
             c->now, err)))
        return rc;
    /* expired leases with no tries left: dead */
    if ((rc = exec_at(s,
                      "UPDATE jobs SET state = 'dead', lease_owner = NULL, "
                      "last_error = 'the runner stopped during the job (lease "
                      "expired) and no attempts are left', updated_ms = ?1, "
                      "finished_ms = ?1 WHERE state = 'running' AND "
                      "lease_until_ms < ?1 AND tries >= max_attempts",
                      c->now, err)))
        return rc;
    if ((rc = avk_stmt_prepare(
             s,
             "UPDATE jobs SET state = 'running', lease_owner = ?1, "
             "lease_until_ms = ?2 + ?3, attempts = attempts + 1, "
             "tries = tries + 1, updated_ms = ?2 "
             "WHERE id = (SELECT id FROM jobs WHERE run_at_ms <= ?2 AND "
             "(state = 'queued' OR (state = 'running' AND "
             "lease_until_ms < ?2)) AND (?4 <= 0 OR (SELECT count(*) FROM "
             "jobs WHERE state = 'running' AND lease_until_ms >= ?2) < ?4) "
             "ORDER BY run_at_ms, id LIMIT 1) "
             "RETURNING id",
             &st, err)))
        return rc;
    avk_stmt_bind_text(st, 1, c->owner);
    avk_stmt_bind_int(st, 2, c->now);
    avk_stmt_bind_int(st, 3, c->lease);
    avk_stmt_bind_int(st, 4, c->max_running);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW)
        id = avk_stmt_int(st, 0);
    avk_stmt_free(st);
    if (rc != AVK_STMT_ROW && rc != AVK_STMT_DONE)
        return rc;
    if (!id)
        return 0;
    if ((rc = avk_jobs_get(s, id, c->out, err)))
        return rc;
    *c->got = 1;
    return 0;
}

int avk_jobs_claim_limited(avk_store *s, const char *owner, long long now_ms,
                           long long lease_ms, long long max_running,
                           avk_job *out, int *got, avk_err *err)
{
    claim_ud c = {owner, now_ms, lease_ms, max_running, out, got};
    int rc;

    memset(out, 0, sizeof *out);
    *got = 0;
    rc = avk_store_tx(s, claim_tx, &c, err);
    if (rc && *got) {
        avk_job_release(out);
        *got = 0;
    }
    return rc;
}

int avk_jobs_claim(avk_store *s, const char *owner, long long now_ms,
                   long long lease_ms, avk_job *out, int *got, avk_err *err)
{
    return avk_jobs_claim_limited(s, owner, now_ms, lease_ms, 0, out, got, err);
}

int avk_jobs_renew(avk_store *s, long long id, const char *owner,
                   long long until_ms, int *ours, avk_err *err)
{
    avk_stmt *st;
    int rc;

    *ours = 0;
    if ((rc = avk_stmt_prepare(s,
                               "UPDATE jobs SET lease_until_ms = ?3 WHERE "
                               "id = ?1 AND state = 'running' AND "
                               "lease_owner = ?2",
                               &st, err)))
        return rc;
    avk_stmt_bind_int(st, 1, id);
    avk_stmt_bind_text(st, 2, owner);
    avk_stmt_bind_int(st, 3, until_ms);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    *ours = avk_store_changes(s) > 0;
    return 0;
}

int avk_jobs_run_start(avk_store *s, const avk_job *j, const char *stage,
                       long long now_ms, long long *run_id, avk_err *err)
{
    avk_stmt *st;
    int rc;

    *run_id = 0;
    if ((rc = avk_stmt_prepare(
             s,
             "INSERT INTO job_runs (job_id, attempt, stage, runner, "
             "started_ms) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
             &st, err)))
        return rc;
    avk_stmt_bind_int(st, 1, j->id);
    avk_stmt_bind_int(st, 2, j->attempts);
    avk_stmt_bind_text(st, 3, stage);
    avk_stmt_bind_text(st, 4, j->lease_owner ? j->lease_owner : "");
    avk_stmt_bind_int(st, 5, now_ms);
    rc = avk_stmt_step(st, err);
    if (rc == AVK_STMT_ROW)
        *run_id = avk_stmt_int(st, 0);
    avk_stmt_free(st);
    return rc == AVK_STMT_ROW ? 0 : rc;
}

/* ---- finishing a stage ---- */

long long avk_retry_delay(const avk_retry_policy *p, int tries)
{
    long long d = p->base_ms > 0 ? p->base_ms : 1;
    int i;

    for (i = 1; i < tries && d < p->cap_ms; i++)
        d *= 2;
    if (p->cap_ms > 0 && d > p->cap_ms)
        d = p->cap_ms;
    if (p->jitter && d >= 2) {
        unsigned int r = 0;
        avk_random_bytes(&r, sizeof r);
        d = d / 2 + (long long)(r % (unsigned long long)(d / 2 + 1));
    }
    return d;
}

typedef struct done_ud {
    const avk_job *j;
    long long run_id;
    const avk_stage_outcome *o;
    const avk_retry_policy *p;
    long long now, lease_until, next_fire;
    char *state;
} done_ud;

static const char *outcome_name(int o)
{
    switch (o) {
    case AVK_OUTCOME_OK:
        return "ok";
    case AVK_OUTCOME_TEMP:
        return "temporary";
    case AVK_OUTCOME_CANCELLED:
        return "cancelled";
    case AVK_OUTCOME_INTERRUPTED:
        return "interrupted";
    default:
        return "permanent";
    }
}

static int done_tx(avk_store *s, void *ud, avk_err *err)
{
    done_ud *d = ud;
    const avk_job *j = d->j;
    const avk_stage_outcome *o = d->o;
    avk_stmt *st;
    json_t *stages;
    size_t nstages;
    const char *state;
    long long run_at = 0;
    int rc, ours, last;

    if ((rc = avk_stmt_prepare(
             s,
             "UPDATE job_runs SET finished_ms = ?2, duration_ms = ?3, "
             "exit_status = ?4, outcome = ?5, output = ?6, stderr_tail = ?7 "
             "WHERE id = ?1",
             &st, err)))
        return rc;
    avk_stmt_bind_int(st, 1, d->run_id);
    avk_stmt_bind_int(st, 2, d->now);
    avk_stmt_bind_int(st, 3, o->duration_ms);
    avk_stmt_bind_int(st, 4, o->exit_status);
    avk_stmt_bind_text(st, 5, outcome_name(o->outcome));
    avk_stmt_bind_text(st, 6, o->output);
    avk_stmt_bind_text(st, 7, o->stderr_tail);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    if (o->outcome == AVK_OUTCOME_CANCELLED) {
        snprintf(d->state, 16, "lost");
        return 0;
    }
    /* still ours? */
    if ((rc = avk_stmt_prepare(s,
                               "SELECT 1 FROM jobs WHERE id = ?1 AND state = "
                               "'running' AND lease_owner = ?2",
                               &st, err)))
        return rc;
    avk_stmt_bind_int(st, 1, j->id);
    avk_stmt_bind_text(st, 2, j->lease_owner);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    if (rc != AVK_STMT_ROW && rc != AVK_STMT_DONE)
        return rc;
    ours = rc == AVK_STMT_ROW;
    if (!ours) {
        snprintf(d->state, 16, "lost");
        return 0;
    }
    stages = avk_job_stages(j);
    nstages = json_array_size(stages);
    json_decref(stages);
    last = (size_t)j->stage_index + 1 >= nstages;

    if (o->outcome == AVK_OUTCOME_INTERRUPTED) {
        snprintf(d->state, 16, "queued");
        if ((rc = avk_stmt_prepare(
                 s,
                 "UPDATE jobs SET state = 'queued', lease_owner = NULL, "
                 "lease_until_ms = NULL, run_at_ms = ?2, updated_ms = ?2, "
                 "tries = max(tries - 1, 0) WHERE id = ?1",
                 &st, err)))
            return rc;
        avk_stmt_bind_int(st, 1, j->id);
        avk_stmt_bind_int(st, 2, d->now);
        rc = avk_stmt_step(st, err);
        avk_stmt_free(st);
        return rc == AVK_STMT_DONE ? 0 : rc;
    }
    if (o->outcome == AVK_OUTCOME_OK && !last) {
        state = "running";
    } else if (o->outcome == AVK_OUTCOME_OK && d->next_fire > 0) {
        state = "queued";
        run_at = d->next_fire;
    } else if (o->outcome == AVK_OUTCOME_OK) {
        state = "done";
    } else if (o->outcome == AVK_OUTCOME_TEMP && j->tries < j->max_attempts) {
        state = "queued";
        run_at = d->now + avk_retry_delay(d->p, j->tries);
    } else if (o->outcome == AVK_OUTCOME_TEMP) {
        state = "dead";
    } else {
        state = "failed";
    }
    snprintf(d->state, 16, "%s", state);

    if (o->outcome == AVK_OUTCOME_OK) {
        int recur = !strcmp(state, "queued");
        rc = avk_stmt_prepare(
            s,
            "UPDATE jobs SET state = ?2, stage_index = ?3, doc = ?4, "
            "tries = CASE WHEN ?2 = 'running' THEN 1 ELSE 0 END, "
            "lease_owner = CASE WHEN ?2 = 'running' THEN "
            "lease_owner END, lease_until_ms = CASE WHEN ?2 = 'running' "
            "THEN ?5 END, run_at_ms = CASE WHEN ?6 > 0 THEN ?6 ELSE "
            "run_at_ms END, last_error = NULL, last_exit = 0, "
            "updated_ms = ?7, finished_ms = CASE WHEN ?2 = 'running' THEN "
            "finished_ms ELSE ?7 END WHERE id = ?1",
            &st, err);
        if (rc)
            return rc;
        avk_stmt_bind_int(st, 1, j->id);
        avk_stmt_bind_text(st, 2, state);
        avk_stmt_bind_int(st, 3, recur ? 0 : j->stage_index + 1);
        avk_stmt_bind_text(st, 4, recur ? NULL : o->output);
        avk_stmt_bind_int(st, 5, d->lease_until);
        avk_stmt_bind_int(st, 6, run_at);
        avk_stmt_bind_int(st, 7, d->now);
    } else {
        /* a recurring job that failed or died waits for its next time,
         * from its first stage; *state still says what happened */
        int recur = d->next_fire > 0 &&
                    (!strcmp(state, "failed") || !strcmp(state, "dead"));
        rc = avk_stmt_prepare(
            s,
            "UPDATE jobs SET state = ?2, lease_owner = NULL, "
            "lease_until_ms = NULL, run_at_ms = CASE WHEN ?3 > 0 THEN ?3 "
            "ELSE run_at_ms END, last_error = ?4, last_exit = ?5, "
            "updated_ms = ?6, finished_ms = CASE WHEN ?2 = 'queued' THEN "
            "NULL ELSE ?6 END, stage_index = CASE WHEN ?7 THEN 0 ELSE "
            "stage_index END, doc = CASE WHEN ?7 THEN NULL ELSE doc END, "
            "tries = CASE WHEN ?7 THEN 0 ELSE tries END WHERE id = ?1",
            &st, err);
        if (rc)
            return rc;
        avk_stmt_bind_int(st, 1, j->id);
        avk_stmt_bind_text(st, 2, recur ? "queued" : state);
        avk_stmt_bind_int(st, 3, recur ? d->next_fire : run_at);
        avk_stmt_bind_int(st, 7, recur);
        avk_stmt_bind_text(st, 4, o->error ? o->error : "failed");
        avk_stmt_bind_int(st, 5, o->exit_status);
        avk_stmt_bind_int(st, 6, d->now);
    }
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_jobs_stage_done(avk_store *s, const avk_job *j, long long run_id,
                        const avk_stage_outcome *o, const avk_retry_policy *p,
                        long long now_ms, long long lease_until_ms,
                        long long next_fire_ms, char state[16], avk_err *err)
{
    done_ud d = {j, run_id, o, p, now_ms, lease_until_ms, next_fire_ms, state};

    state[0] = '\0';
    return avk_store_tx(s, done_tx, &d, err);
}

/* ---- user actions ---- */

typedef struct action_ud {
    long long id, now;
    const char *from_states; /* comma-separated */
    const char *to_state;
    const char *verb;
} action_ud;

static int in_list(const char *state, const char *list)
{
    size_t n;
    const char *p = list;

    if (!state || !*state)
        return 0;
    n = strlen(state);
    while ((p = strstr(p, state))) {
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p += n;
    }
    return 0;
}

static int action_tx(avk_store *s, void *ud, avk_err *err)
{
    action_ud *a = ud;
    avk_job j;
    avk_stmt *st;
    int rc, retry = !strcmp(a->verb, "retry");

    if ((rc = avk_jobs_get(s, a->id, &j, err)))
        return rc;
    if (!in_list(j.state, a->from_states)) {
        rc = avk_fail(err, AVK_EX_USAGE, "cannot %s job %lld: it is %s",
                      a->verb, a->id, j.state);
        avk_job_release(&j);
        return rc;
    }
    avk_job_release(&j);
    if ((rc = avk_stmt_prepare(
             s,
             "UPDATE jobs SET state = ?2, updated_ms = ?3, "
             "run_at_ms = CASE WHEN ?4 THEN ?3 ELSE run_at_ms END, "
             "tries = CASE WHEN ?4 THEN 0 ELSE tries END, "
             "finished_ms = CASE WHEN ?2 = 'cancelled' THEN ?3 "
             "WHEN ?4 THEN NULL ELSE finished_ms END, "
             "lease_owner = CASE WHEN ?2 = 'cancelled' THEN NULL "
             "ELSE lease_owner END WHERE id = ?1",
             &st, err)))
        return rc;
    avk_stmt_bind_int(st, 1, a->id);
    avk_stmt_bind_text(st, 2, a->to_state);
    avk_stmt_bind_int(st, 3, a->now);
    avk_stmt_bind_int(st, 4, retry);
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

static int action(avk_store *s, long long id, long long now, const char *from,
                  const char *to, const char *verb, avk_err *err)
{
    action_ud a = {id, now, from, to, verb};
    return avk_store_tx(s, action_tx, &a, err);
}

int avk_jobs_cancel(avk_store *s, long long id, long long now_ms, avk_err *err)
{
    return action(s, id, now_ms, "queued,running,paused,failed,dead",
                  "cancelled", "cancel", err);
}

int avk_jobs_retry(avk_store *s, long long id, long long now_ms, avk_err *err)
{
    return action(s, id, now_ms, "failed,dead,cancelled", "queued", "retry",
                  err);
}

int avk_jobs_pause(avk_store *s, long long id, long long now_ms, avk_err *err)
{
    return action(s, id, now_ms, "queued", "paused", "pause", err);
}

int avk_jobs_resume(avk_store *s, long long id, long long now_ms, avk_err *err)
{
    return action(s, id, now_ms, "paused", "queued", "resume", err);
}

int avk_jobs_pause_all(avk_store *s, int paused, avk_err *err)
{
    avk_stmt *st;
    int rc;

    if ((rc = avk_stmt_prepare(s,
                               paused ? "INSERT OR REPLACE INTO meta (key, "
                                        "value) VALUES ('schedule.paused', "
                                        "'1')"
                                      : "DELETE FROM meta WHERE key = "
                                        "'schedule.paused'",
                               &st, err)))
        return rc;
    rc = avk_stmt_step(st, err);
    avk_stmt_free(st);
    return rc == AVK_STMT_DONE ? 0 : rc;
}

int avk_jobs_paused_all(avk_store *s)
{
    avk_stmt *st;
    int rc;

    if (avk_stmt_prepare(s, "SELECT 1 FROM meta WHERE key = 'schedule.paused'",
                         &st, NULL))
        return 0;
    rc = avk_stmt_step(st, NULL) == AVK_STMT_ROW;
    avk_stmt_free(st);
    return rc;
}

/* ---- runs, metrics ---- */

int avk_jobs_runs(avk_store *s, long long id, json_t **runs, avk_err *err)
{
    avk_stmt *st;
    json_t *a;
    int rc;

    *runs = NULL;
    if ((rc = avk_stmt_prepare(
             s,
             "SELECT id, attempt, stage, runner, started_ms, finished_ms, "
             "duration_ms, exit_status, outcome, output, stderr_tail "
             "FROM job_runs WHERE job_id = ?1 ORDER BY id",
             &st, err)))
        return rc;
    avk_stmt_bind_int(st, 1, id);
    if (!(a = json_array())) {
        avk_stmt_free(st);
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    }
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        json_t *r = json_object();
        json_object_set_new(r, "run", json_integer(avk_stmt_int(st, 0)));
        json_object_set_new(r, "attempt", json_integer(avk_stmt_int(st, 1)));
        json_object_set_new(r, "stage", json_string(avk_stmt_text(st, 2)));
        json_object_set_new(r, "runner", json_string(avk_stmt_text(st, 3)));
        json_object_set_new(r, "started_at", ms_iso(avk_stmt_int(st, 4)));
        json_object_set_new(r, "finished_at",
                            avk_stmt_is_null(st, 5)
                                ? json_null()
                                : ms_iso(avk_stmt_int(st, 5)));
        json_object_set_new(r, "duration_ms",
                            avk_stmt_is_null(st, 6)
                                ? json_null()
                                : json_integer(avk_stmt_int(st, 6)));
        json_object_set_new(r, "exit_status",
                            avk_stmt_is_null(st, 7)
                                ? json_null()
                                : json_integer(avk_stmt_int(st, 7)));
        json_object_set_new(r, "outcome",
                            avk_stmt_is_null(st, 8)
                                ? json_string("running")
                                : json_string(avk_stmt_text(st, 8)));
        json_object_set_new(r, "output",
                            avk_stmt_is_null(st, 9)
                                ? json_null()
                                : json_string(avk_stmt_text(st, 9)));
        json_object_set_new(r, "stderr", json_string(avk_stmt_text(st, 10)));
        json_array_append_new(a, r);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE) {
        json_decref(a);
        return rc;
    }
    *runs = a;
    return 0;
}

static void label_escape(avk_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            avk_buf_addc(b, '\\');
        if (*s == '\n') {
            avk_buf_adds(b, "\\n");
            continue;
        }
        avk_buf_addc(b, *s);
    }
}

int avk_jobs_metrics(avk_store *s, long long now_ms, avk_buf *b, avk_err *err)
{
    static const char *const states[] = {
        "queued", "running", "done", "failed", "dead", "cancelled", "paused"};
    avk_stmt *st;
    size_t i;
    int rc;

    avk_buf_adds(b, "# HELP av_schedule_jobs Jobs in the queue by state.\n"
                    "# TYPE av_schedule_jobs gauge\n");
    for (i = 0; i < sizeof states / sizeof *states; i++) {
        long long n = 0;
        if ((rc = avk_stmt_prepare(
                 s, "SELECT count(*) FROM jobs WHERE state = ?1", &st, err)))
            return rc;
        avk_stmt_bind_text(st, 1, states[i]);
        if ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW)
            n = avk_stmt_int(st, 0);
        avk_stmt_free(st);
        if (rc != AVK_STMT_ROW)
            return rc;
        avk_buf_printf(b, "av_schedule_jobs{state=\"%s\"} %lld\n", states[i],
                       n);
    }
    avk_buf_adds(b, "# HELP av_schedule_stage_runs_total Stage runs by stage "
                    "and outcome.\n# TYPE av_schedule_stage_runs_total "
                    "counter\n");
    if ((rc = avk_stmt_prepare(s,
                               "SELECT stage, coalesce(outcome, 'running'), "
                               "count(*) FROM job_runs GROUP BY 1, 2 "
                               "ORDER BY 1, 2",
                               &st, err)))
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        avk_buf_adds(b, "av_schedule_stage_runs_total{stage=\"");
        label_escape(b, avk_stmt_text(st, 0));
        avk_buf_printf(b, "\",outcome=\"%s\"} %lld\n", avk_stmt_text(st, 1),
                       avk_stmt_int(st, 2));
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    avk_buf_adds(b, "# HELP av_schedule_stage_duration_seconds Time spent in "
                    "finished stage runs.\n# TYPE "
                    "av_schedule_stage_duration_seconds summary\n");
    if ((rc = avk_stmt_prepare(s,
                               "SELECT stage, sum(duration_ms), count(*) FROM "
                               "job_runs WHERE finished_ms IS NOT NULL "
                               "GROUP BY 1 ORDER BY 1",
                               &st, err)))
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        avk_buf_adds(b, "av_schedule_stage_duration_seconds_sum{stage=\"");
        label_escape(b, avk_stmt_text(st, 0));
        avk_buf_printf(b, "\"} %.3f\n", avk_stmt_int(st, 1) / 1000.0);
        avk_buf_adds(b, "av_schedule_stage_duration_seconds_count{stage=\"");
        label_escape(b, avk_stmt_text(st, 0));
        avk_buf_printf(b, "\"} %lld\n", avk_stmt_int(st, 2));
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    avk_buf_adds(b, "# HELP av_schedule_job_attempts_total Attempts made, "
                    "over all jobs.\n# TYPE av_schedule_job_attempts_total "
                    "counter\n");
    if ((rc = avk_stmt_prepare(s, "SELECT coalesce(sum(attempts), 0) FROM jobs",
                               &st, err)))
        return rc;
    if ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW)
        avk_buf_printf(b, "av_schedule_job_attempts_total %lld\n",
                       avk_stmt_int(st, 0));
    avk_stmt_free(st);
    if (rc != AVK_STMT_ROW)
        return rc;
    avk_buf_adds(b, "# HELP av_schedule_last_success_timestamp_seconds When a "
                    "job for the platform last finished all its stages.\n"
                    "# TYPE av_schedule_last_success_timestamp_seconds "
                    "gauge\n");
    if ((rc = avk_stmt_prepare(
             s,
             "SELECT coalesce(j.platform, 'none'), max(r.finished_ms) FROM "
             "job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.outcome = "
             "'ok' AND r.stage = json_extract(j.stages, '$[#-1]') "
             "GROUP BY 1 ORDER BY 1",
             &st, err)))
        return rc;
    while ((rc = avk_stmt_step(st, err)) == AVK_STMT_ROW) {
        avk_buf_adds(b, "av_schedule_last_success_timestamp_seconds{"
                        "platform=\"");
        label_escape(b, avk_stmt_text(st, 0));
        avk_buf_printf(b, "\"} %lld\n", avk_stmt_int(st, 1) / 1000);
    }
    avk_stmt_free(st);
    if (rc != AVK_STMT_DONE)
        return rc;
    avk_buf_printf(b,
                   "# HELP av_schedule_metrics_timestamp_seconds When "
                   "these metrics were written.\n# TYPE "
                   "av_schedule_metrics_timestamp_seconds gauge\n"
                   "av_schedule_metrics_timestamp_seconds %lld\n",
                   now_ms / 1000);
    return 0;
}
