/*
 * project.h - project-level operations behind av-project: batch input,
 * garbage collection of assets, statistics and the doctor's checks.
 */
#ifndef AVK_PROJECT_H
#define AVK_PROJECT_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "store.h"

/* Batch input: a topics file (one topic per line, # comments) or a CSV
 * whose header names a "topic" column and settings columns (style,
 * duration, lang, voice, template, aspect, ...). */
typedef struct avk_batch_item {
    char *topic;
    json_t *settings; /* NULL for plain topic lines */
    long line;
} avk_batch_item;
typedef struct avk_project_batch {
    avk_batch_item *items;
    size_t n;
} avk_project_batch;
int avk_project_parse_batch(const char *text, size_t len, const char *name,
                            avk_project_batch *out, avk_err *err);
void avk_project_batch_release(avk_project_batch *b);
/* Check .settings values that later stages depend on (duration > 0...). */
int avk_project_check_settings(const json_t *doc, avk_err *err);

typedef struct avk_gc_result {
    long long removed, bytes, kept;
} avk_gc_result;
/* Remove asset files that no project document and no cache entry refers
 * to, and temporary files older than an hour. */
int avk_project_gc(avk_store *s, int dry_run, avk_gc_result *r, avk_err *err);

/* {"projects":{status:count}, "stages":[{tool,stage,ok,skipped,failed,
 *  total_s,mean_s,cost}]} */
int avk_project_stats(avk_store *s, json_t **out, avk_err *err);

/* Bundles (see bundle.h): export writes the project's document and every
 * asset it references; import verifies and stores them, inserting the
 * project or replacing its document when it exists (a worker's result
 * coming back).  *id receives the imported project's id. */
int avk_project_export(avk_store *s, const char *id, const char *out_path,
                       avk_err *err);
int avk_project_import(avk_store *s, const char *archive, char **id,
                       avk_err *err);

/* Doctor: one line per check. */
enum { AVK_CHECK_OK, AVK_CHECK_WARN, AVK_CHECK_FAIL };
typedef struct avk_check {
    int level;
    char name[32];
    char detail[480];
} avk_check;
typedef struct avk_check_list {
    avk_check *v;
    size_t n;
} avk_check_list;
void avk_check_add(avk_check_list *l, int level, const char *name,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void avk_check_list_release(avk_check_list *l);
void avk_doctor_run(const char *store_dir, int online, avk_check_list *out);

#endif
