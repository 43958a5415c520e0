/*
 * cli.h - what every av command shares: common options, the context a
 * main owns, and the stage driver that turns a per-document function into
 * a pipeline tool.
 *
 * A stage tool (av-script, av-voice, ...) is:
 *
 *     avk_ctx ctx;  avk_ctx_init(&ctx, "av-voice");
 *     ... build its option table with avk_common_opts() and
 *         avk_stage_opts(), parse, handle --help/--version ...
 *     rc = avk_stage_run(&ctx, &def, fingerprint, my_stage_fn, &my_opts);
 *     avk_ctx_release(&ctx);  return rc;
 *
 * The driver reads documents (JSON Lines on stdin, or --project IDs from
 * the store), validates them, skips documents whose stage inputs have not
 * changed (unless --force), calls the stage function, records the result
 * and a stage run in the store in one transaction, and prints the
 * enriched document, one line each, flushed.  Bad input is reported as
 * "av-voice: line 3: .script.scenes[2].text: expected a string"; without
 * --keep-going the first failure ends the run with its exit code, with it
 * the run goes on and exits 1 (partial) when some documents failed.
 *
 * Writes merge: a section present in the stored document but absent from
 * the incoming one (written meanwhile by another tool) is kept, so tools
 * running in parallel on one project never lose each other's work.
 */
#ifndef AVK_CLI_H
#define AVK_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "config.h"
#include "diag.h"
#include "err.h"
#include "opts.h"
#include "store.h"

typedef struct avk_ctx {
    avk_diag diag;
    /* common options */
    const char *store_dir;
    int verbose, quiet, log_json;
    /* stage options */
    avk_strlist projects;
    int force, keep_going;
    /* opened on demand */
    char *ws_root;
    avk_store *store;
    avk_config *cfg;
} avk_ctx;

void avk_ctx_init(avk_ctx *ctx, const char *prog);
void avk_ctx_release(avk_ctx *ctx);
/* Apply -v/-q/--log-json to the diagnostics after parsing. */
void avk_ctx_apply(avk_ctx *ctx);
/* Find the workspace, open the store and load the configuration. */
int avk_ctx_open_store(avk_ctx *ctx, avk_err *err);
/* Load the configuration only (workspace's too when one is found). */
int avk_ctx_load_config(avk_ctx *ctx, avk_err *err);

/* Fill tables (sized AVK_COMMON_NOPTS / AVK_STAGE_NOPTS + 1 for the end). */
#define AVK_COMMON_NOPTS 4
#define AVK_STAGE_NOPTS 3
void avk_common_opts(avk_ctx *ctx, avk_opt *out);
void avk_stage_opts(avk_ctx *ctx, avk_opt *out);

/* Handle --help, --version and --list-options; returns 1 when handled
 * (main should exit 0). */
int avk_handle_info(const avk_args *args, const char *prog,
                    const char *usage, const char *summary,
                    const avk_opt *const *tables);
/* Print a usage error and return AVK_EX_USAGE. */
int avk_usage_error(avk_ctx *ctx, const avk_err *err, const char *usage);

typedef struct avk_stage_def {
    const char *stage;  /* section written: "voice" */
    const char *status; /* project status after success: "voiced" */
    const char *const *inputs; /* top-level fields read, for the hash */
    size_t ninputs;
} avk_stage_def;

typedef struct avk_stage_result {
    json_t *section; /* set by the stage function; the driver takes it */
    char provider[64], model[128];
    double cost;
    long long tokens_in, tokens_out;
} avk_stage_result;

/* The per-document work.  doc may be changed (e.g. lang) but the section
 * goes into res->section.  Returns 0 or an AVK_EX_* code with err set. */
typedef int (*avk_stage_fn)(avk_ctx *ctx, json_t *doc, avk_stage_result *res,
                            void *ud, avk_err *err);

/* Run over stdin or --project documents; returns the exit code. */
int avk_stage_run(avk_ctx *ctx, const avk_stage_def *def,
                  const char *fingerprint, avk_stage_fn fn, void *ud);
/* Run one document (already validated); on success prints it. */
int avk_stage_one(avk_ctx *ctx, const avk_stage_def *def,
                  const char *fingerprint, avk_stage_fn fn, void *ud,
                  json_t *doc, avk_err *err);
/* Record a document in the store (merge-on-write) without a stage. */
int avk_doc_save(avk_ctx *ctx, json_t *doc, const char *status,
                 avk_err *err);
/* Print one document line to stdout and flush. */
int avk_doc_print(json_t *doc, avk_err *err);

#endif
