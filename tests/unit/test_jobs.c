/* Unit tests for lib/jobs (claim, lease, renew, stage results, actions)
 * and lib/runner (exit status, stdin/stdout, stderr tail, timeout, tick). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobs.h"
#include "runner.h"
#include "store.h"
#include "tap.h"
#include "workspace.h"

static int ticks;
static int tick_stop(void *ud)
{
    (void)ud;
    return ++ticks >= 2;
}

static long long add(avk_store *s, const char *stages, long long at, int max)
{
    avk_job_spec sp;
    long long id = 0;

    memset(&sp, 0, sizeof sp);
    sp.topic = "t";
    sp.input = "{\"id\":\"x\"}\n";
    sp.stages_json = stages;
    sp.run_at_ms = at;
    sp.max_attempts = max;
    avk_jobs_add(s, &sp, &id, NULL);
    return id;
}

int main(void)
{
    char dir[] = "/tmp/avk-jobs-XXXXXX";
    avk_store *s = NULL, *s2 = NULL;
    avk_err err = {0, ""};
    avk_job j = {0}, k = {0};
    avk_retry_policy rp = {1000, 60000, 0};
    avk_stage_outcome oc;
    long long now = 1800000000000LL, id, id2, run;
    int got = 0, ours = 0;
    char state[16];

    signal(SIGPIPE, SIG_IGN);
    ok(mkdtemp(dir) != NULL, "temp dir");
    avk_ws_init(dir, NULL, &err);
    is_int(avk_store_open(dir, 1, &s, &err), 0, "store with the jobs tables");
    is_int(avk_store_open(dir, 0, &s2, &err), 0, "a second connection");

    id = add(s, "[\"script\",\"voice\"]", now, 3); /* a lost run counts */
    id2 = add(s, "[\"script\"]", now + 60000, 2);
    ok(id > 0 && id2 > id, "jobs added");
    is_int(avk_jobs_claim(s, "A", now, 1000, &j, &got, &err), 0, "claim");
    is_int(got, 1, "a due job claimed");
    is_int(j.id, id, "the due one");
    is_str(j.state, "running", "running");
    is_int(j.attempts, 1, "attempt counted");
    avk_jobs_claim(s2, "B", now, 1000, &k, &got, &err);
    is_int(got, 0, "a second runner gets nothing: the other is not due");
    avk_jobs_renew(s, id, "A", now + 5000, &ours, &err);
    is_int(ours, 1, "owner renews");
    avk_jobs_renew(s2, id, "B", now + 5000, &ours, &err);
    is_int(ours, 0, "another runner cannot renew");
    avk_jobs_claim(s2, "B", now + 4000, 1000, &k, &got, &err);
    is_int(got, 0, "renewed lease holds");

    /* first stage ok: job stays running for the next stage */
    avk_jobs_run_start(s, &j, "script", now, &run, &err);
    memset(&oc, 0, sizeof oc);
    oc.outcome = AVK_OUTCOME_OK;
    oc.output = "{\"id\":\"x\",\"script\":1}\n";
    is_int(avk_jobs_stage_done(s, &j, run, &oc, &rp, now, now + 1000, 0, state,
                               &err),
           0, "stage done");
    is_str(state, "running", "more stages: still running");
    /* lease expires: B takes over at stage 2 and A's result is lost */
    avk_jobs_claim(s2, "B", now + 10000, 1000, &k, &got, &err);
    is_int(got, 1, "expired lease: taken over");
    is_int(k.stage_index, 1, "at the next stage");
    ok(k.doc && strstr(k.doc, "\"script\":1"), "with the stage's output");
    is_int(k.attempts, 2, "the takeover is an attempt");
    j.stage_index = 1;
    avk_jobs_run_start(s, &j, "voice", now, &run, &err);
    oc.output = "late";
    avk_jobs_stage_done(s, &j, run, &oc, &rp, now + 10001, now + 11000, 0,
                        state, &err);
    is_str(state, "lost", "the old runner's result is refused");
    /* B: temporary failure, retry later, then dead */
    avk_jobs_run_start(s2, &k, "voice", now + 10000, &run, &err);
    oc.outcome = AVK_OUTCOME_TEMP;
    oc.exit_status = 75;
    oc.error = "av-voice exited with status 75";
    avk_jobs_stage_done(s2, &k, run, &oc, &rp, now + 10000, 0, 0, state, &err);
    is_str(state, "queued", "temporary: queued again");
    avk_job_release(&k);
    avk_jobs_get(s, id, &k, &err);
    is_int(k.run_at_ms, now + 10000 + 2000,
           "after the backoff (second try: doubled)");
    is_str(k.last_error, "av-voice exited with status 75", "last error kept");
    avk_job_release(&k);
    avk_jobs_claim(s2, "B", now + 11500, 1000, &k, &got, &err);
    is_int(got, 0, "not before the backoff");
    avk_jobs_claim(s2, "B", now + 12000, 1000, &k, &got, &err);
    is_int(got, 1, "claimed after it");
    avk_jobs_run_start(s2, &k, "voice", now + 12000, &run, &err);
    avk_jobs_stage_done(s2, &k, run, &oc, &rp, now + 12000, 0, 0, state, &err);
    is_str(state, "dead", "tries used up: dead");
    avk_job_release(&k);
    avk_job_release(&j);

    /* actions */
    is_int(avk_jobs_cancel(s, id, now, &err), 0, "cancel dead job");
    is_int(avk_jobs_cancel(s, id, now, &err), AVK_EX_USAGE, "cancel twice");
    is_int(avk_jobs_retry(s, id, now + 20000, &err), 0, "retry");
    avk_jobs_get(s, id, &k, &err);
    is_str(k.state, "queued", "queued again");
    is_int(k.tries, 0, "tries reset");
    is_int(k.stage_index, 1, "at the failed stage");
    avk_job_release(&k);
    is_int(avk_jobs_pause(s, id2, now, &err), 0, "pause");
    is_int(avk_jobs_resume(s, id2, now, &err), 0, "resume");
    is_int(avk_jobs_resume(s, id2, now, &err), AVK_EX_USAGE, "resume twice");
    is_int(avk_jobs_get(s, 999, &k, &err), AVK_EX_NOINPUT, "missing job");
    avk_jobs_pause_all(s, 1, &err);
    avk_jobs_claim(s, "A", now + 999999, 1000, &k, &got, &err);
    is_int(got, 0, "paused queue: nothing claimed");
    avk_jobs_pause_all(s, 0, &err);
    avk_jobs_claim(s, "A", now + 999999, 1000, &k, &got, &err);
    is_int(got, 1, "resumed queue");
    avk_job_release(&k);

    /* runner */
    {
        const char *cat[] = {"/bin/cat", NULL};
        const char *sh_fail[] = {"/bin/sh", "-c",
                                 "echo one >&2; echo two >&2; exit 75", NULL};
        const char *slow[] = {"/bin/sleep", "5", NULL};
        const char *none[] = {"/nonexistent/av-x", NULL};
        const char *env_argv[] = {"/bin/sh", "-c", "printf %s \"$AVK_T\"",
                                  NULL};
        const char *env[] = {"AVK_T=hello", NULL};
        avk_proc_spec sp;
        avk_proc_result r;
        memset(&sp, 0, sizeof sp);
        sp.argv = cat;
        sp.input = "doc line\n";
        sp.input_len = 9;
        is_int(avk_proc_run(&sp, &r, &err), 0, "cat runs");
        is_str(r.out.data, "doc line\n", "stdin to stdout");
        is_int(r.exit_status, 0, "status 0");
        avk_proc_result_release(&r);
        sp.argv = sh_fail;
        avk_proc_run(&sp, &r, &err);
        is_int(r.exit_status, 75, "status 75");
        is_str(r.err_tail.data, "one\ntwo\n", "stderr kept");
        avk_proc_result_release(&r);
        sp.argv = slow;
        sp.input = NULL;
        sp.timeout_ms = 200;
        avk_proc_run(&sp, &r, &err);
        ok(r.timed_out && r.signaled, "timeout kills");
        ok(r.duration_ms < 3000, "promptly");
        avk_proc_result_release(&r);
        sp.timeout_ms = 0;
        sp.tick_ms = 50;
        sp.tick = tick_stop;
        avk_proc_run(&sp, &r, &err);
        ok(r.stopped && ticks == 2, "tick callback stops the child");
        avk_proc_result_release(&r);
        sp.tick = NULL;
        sp.tick_ms = 0;
        sp.argv = none;
        is_int(avk_proc_run(&sp, &r, &err), AVK_EX_UNAVAILABLE,
               "missing program");
        ok(strstr(err.msg, "cannot run '/nonexistent/av-x'") != NULL,
           "says which: %s", err.msg);
        avk_proc_result_release(&r);
        sp.argv = env_argv;
        sp.env = env;
        avk_proc_run(&sp, &r, &err);
        is_str(r.out.data, "hello", "extra environment");
        avk_proc_result_release(&r);
    }

    avk_store_close(s);
    avk_store_close(s2);
    avk_rmtree(dir, NULL);
    return tap_done();
}
