/*
 * store_hammer ROOT PROJECT N TAG - append N entries to project PROJECT's
 * document (.hammer array) with read-modify-write transactions, as many
 * processes do at once in the concurrency test.  Every append must survive.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "store.h"

typedef struct job {
    const char *id, *tag;
    int i;
} job;

static int append(avk_store *s, void *ud, avk_err *err)
{
    job *j = ud;
    char *text = NULL, *line;
    json_t *doc, *arr;
    char entry[64];
    int rc;

    if ((rc = avk_project_get(s, j->id, &text, err)))
        return rc;
    doc = json_loads(text, 0, NULL);
    free(text);
    if (!doc)
        return avk_fail(err, AVK_EX_DATAERR, "bad stored document");
    arr = json_object_get(doc, "hammer");
    if (!arr) {
        arr = json_array();
        json_object_set_new(doc, "hammer", arr);
    }
    snprintf(entry, sizeof entry, "%s-%d", j->tag, j->i);
    json_array_append_new(arr, json_string(entry));
    line = json_dumps(doc, JSON_COMPACT);
    rc = avk_project_put(s, j->id, avk_doc_topic(doc), "en", "new", line, err);
    free(line);
    json_decref(doc);
    return rc;
}

int main(int argc, char **argv)
{
    avk_store *s = NULL;
    avk_err err = {0, ""};
    job j;
    int n, rc;

    if (argc != 5) {
        fprintf(stderr, "usage: store_hammer ROOT PROJECT N TAG\n");
        return 64;
    }
    if ((rc = avk_store_open(argv[1], 0, &s, &err))) {
        fprintf(stderr, "store_hammer: %s\n", err.msg);
        return rc;
    }
    j.id = argv[2];
    j.tag = argv[4];
    n = atoi(argv[3]);
    for (j.i = 0; j.i < n; j.i++) {
        if ((rc = avk_store_tx(s, append, &j, &err))) {
            fprintf(stderr, "store_hammer: %s\n", err.msg);
            break;
        }
    }
    avk_store_close(s);
    return rc;
}
