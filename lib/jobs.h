/*
 * jobs.h - the job queue of av-schedule, kept in the workspace store.
 *
 * A job runs some stages of the pipeline (["script","voice",...]) for one
 * document: the document given when it was queued (input), or the
 * project's stored document.  After each stage the job keeps the stage's
 * output (doc) and the index of the next stage, so a retry resumes at the
 * stage that failed and a finished stage is never run again by the queue.
 *
 * What always holds:
 * - A job is run by at most one runner at a time: avk_jobs_claim() takes a
 *   due job in one IMMEDIATE transaction and gives it a lease (owner,
 *   lease_until_ms).  Every later write by the runner names the owner; when
 *   the lease was lost (it expired and another runner claimed the job, or
 *   the job was cancelled) the write changes nothing and says so.
 * - A job whose lease expired is claimable again; its unfinished run is
 *   recorded as 'lost' and counts as an attempt.
 * - A temporary failure (exit status 75) is retried after an exponential
 *   backoff with jitter until tries reach max_attempts, then the job is
 *   'dead'; any other failure makes it 'failed' at once.
 * - States: queued, running, done, failed, dead, cancelled, paused.  A
 *   recurring job (cron) goes back to queued with its next fire time after
 *   each run instead of done.
 * - Times are milliseconds since the epoch (UTC).
 * The tables are created by the store's migration "jobs, job_runs,
 * post_plans" (store.c).
 */
#ifndef AVK_JOBS_H
#define AVK_JOBS_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "store.h"

typedef struct avk_job {
    long long id;
    char *project_id; /* NULL when the job carries its document */
    char *topic;
    char *input;     /* JSON Lines given to the first stage, or NULL */
    char *doc;       /* output of the last finished stage, or NULL */
    char *stages;    /* JSON array text */
    char *args;      /* JSON object text: stage -> array of extra arguments */
    char *platform;  /* publish target for plans and the calendar, or NULL */
    char *cron, *tz; /* recurring jobs; NULL otherwise */
    char *state, *lease_owner, *last_error;
    long long run_at_ms, lease_until_ms, created_ms, updated_ms, finished_ms;
    int attempts, tries, max_attempts, stage_index, last_exit;
} avk_job;

void avk_job_release(avk_job *j);
void avk_jobs_free(avk_job *v, size_t n);
/* The job as a JSON object (stages and args parsed); NULL on OOM. */
json_t *avk_job_json(const avk_job *j);
/* The stage names as a new JSON array (caller decrefs); an empty array
 * when the text is bad, NULL on OOM. */
json_t *avk_job_stages(const avk_job *j);

typedef struct avk_job_spec {
    const char *project_id, *topic, *input, *stages_json, *args_json;
    const char *platform, *cron, *tz;
    long long run_at_ms;
    int max_attempts;
    int paused; /* queue it paused */
} avk_job_spec;

/* Queue a job; *id gets its number.  Fails only on store errors. */
int avk_jobs_add(avk_store *s, const avk_job_spec *spec, long long *id,
                 avk_err *err);
/* Read job id into out (caller releases).  AVK_EX_NOINPUT when absent. */
int avk_jobs_get(avk_store *s, long long id, avk_job *out, avk_err *err);
/* All jobs (state NULL) or those in a state, by run time. */
int avk_jobs_list(avk_store *s, const char *state, avk_job **v, size_t *n,
                  avk_err *err);

/* Claim the next due job for owner.  *got is 0 when none is due (or the
 * queue is paused); otherwise out holds the claimed job (state running,
 * attempts and tries counted).  Jobs whose lease expired with no tries
 * left are marked dead on the way. */
int avk_jobs_claim(avk_store *s, const char *owner, long long now_ms,
                   long long lease_ms, avk_job *out, int *got, avk_err *err);
/* The same, but only while fewer than max_running jobs hold a live lease
 * (counted in the same transaction, so the limit holds across runners);
 * max_running <= 0 is no limit. */
int avk_jobs_claim_limited(avk_store *s, const char *owner, long long now_ms,
                           long long lease_ms, long long max_running,
                           avk_job *out, int *got, avk_err *err);
/* Extend the lease; *ours is 0 when the job is no longer ours. */
int avk_jobs_renew(avk_store *s, long long id, const char *owner,
                   long long until_ms, int *ours, avk_err *err);
/* Record the start of a stage run; *run_id names it for _stage_done. */
int avk_jobs_run_start(avk_store *s, const avk_job *j, const char *stage,
                       long long now_ms, long long *run_id, avk_err *err);

enum {
    AVK_OUTCOME_OK = 0,
    AVK_OUTCOME_TEMP,
    AVK_OUTCOME_PERM,
    AVK_OUTCOME_CANCELLED,
    AVK_OUTCOME_INTERRUPTED
};

typedef struct avk_stage_outcome {
    int outcome;     /* AVK_OUTCOME_* */
    int exit_status; /* exit status, 128+signal, or -1 */
    long long duration_ms;
    const char *output; /* stdout (documents) */
    const char *stderr_tail;
    const char *error; /* one line for last_error */
} avk_stage_outcome;

typedef struct avk_retry_policy {
    long long base_ms, cap_ms; /* delay = min(cap, base * 2^(tries-1)) */
    int jitter;                /* then a random part of up to half of it */
} avk_retry_policy;

/* The delay before retry number `tries` (1 = first retry). */
long long avk_retry_delay(const avk_retry_policy *p, int tries);

/* Record a finished stage and move the job on, in one transaction:
 *   ok:   next stage (job stays running, lease renewed to lease_until_ms),
 *         or, after the last stage, done -- or queued again at
 *         next_fire_ms for a recurring job (next_fire_ms > 0);
 *   temp: queued at now + backoff, or dead when no tries are left;
 *   perm: failed;  cancelled: the run is closed, the job is left alone;
 *   a recurring job (next_fire_ms > 0) that fails or dies is queued again
 *         at next_fire_ms from its first stage (*state still says
 *         "failed" or "dead");
 *   interrupted (the runner is shutting down): the job goes back to the
 *         queue at once, due now, and the try does not count.
 * *state gets the job's new state ("running", "done", "queued", "dead",
 * "failed") or "lost" when the job is no longer ours (nothing changed but
 * the run record). */
int avk_jobs_stage_done(avk_store *s, const avk_job *j, long long run_id,
                        const avk_stage_outcome *o, const avk_retry_policy *p,
                        long long now_ms, long long lease_until_ms,
                        long long next_fire_ms, char state[16], avk_err *err);

/* User actions.  Each fails with AVK_EX_NOINPUT for an unknown job and
 * AVK_EX_USAGE when the job's state does not allow it (message says
 * which state it is in). */
int avk_jobs_cancel(avk_store *s, long long id, long long now_ms, avk_err *err);
int avk_jobs_retry(avk_store *s, long long id, long long now_ms, avk_err *err);
int avk_jobs_pause(avk_store *s, long long id, long long now_ms, avk_err *err);
int avk_jobs_resume(avk_store *s, long long id, long long now_ms, avk_err *err);
/* The whole queue: while paused, claim finds nothing. */
int avk_jobs_pause_all(avk_store *s, int paused, avk_err *err);
int avk_jobs_paused_all(avk_store *s);

/* Runs of a job, oldest first, as JSON objects in a new array. */
int avk_jobs_runs(avk_store *s, long long id, json_t **runs, avk_err *err);

/* Prometheus text format: jobs by state, attempts, stage durations, last
 * success per platform.  Appends to out. */
int avk_jobs_metrics(avk_store *s, long long now_ms, avk_buf *out,
                     avk_err *err);

/* Milliseconds since the epoch, real time. */
long long avk_now_ms(void);

#endif
