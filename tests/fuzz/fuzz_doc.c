/*
 * fuzz_doc.c - libFuzzer target for the document reader: every input is
 * split into lines and each line goes through parse, validate, the asset
 * walk, the input hash and a dump/parse round trip, as the stage driver
 * does with stdin.  Invariants: a document that validates dumps to one
 * line that parses and validates again to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "doc.h"

static int asset_cb(const json_t *a, const char *path, void *ud)
{
    avk_asset as;
    (void)ud;
    avk_asset_from_json(a, path, &as, NULL);
    return 0;
}

static void one_line(const char *p, size_t n, long lineno)
{
    static const char *const secs[] = {"topic", "script", "voice"};
    json_t *doc = NULL, *again = NULL;
    avk_err err;
    char hex[65];
    char *dump;

    if (avk_doc_parse(p, n, lineno, &doc, &err) != 0) {
        if (!err.msg[0])
            abort(); /* every failure must say why */
        return;
    }
    if (avk_doc_validate(doc, &err) == 0) {
        avk_doc_each_asset(doc, asset_cb, NULL);
        avk_doc_input_hash(doc, secs, 3, "fuzz", hex);
        dump = avk_doc_dump(doc);
        if (!dump || strchr(dump, '\n'))
            abort();
        if (avk_doc_parse(dump, strlen(dump), 1, &again, &err) != 0 ||
            avk_doc_validate(again, &err) != 0 || !json_equal(doc, again))
            abort();
        free(dump);
        json_decref(again);
    } else if (!err.msg[0]) {
        abort();
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t start = 0, i;
    long lineno = 1;

    for (i = 0; i <= size; i++) {
        if (i == size || p[i] == '\n') {
            if (i > start)
                one_line(p + start, i - start, lineno);
            start = i + 1;
            lineno++;
        }
    }
    return 0;
}

#include "replay_main.h"
