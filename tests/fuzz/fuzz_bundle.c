/*
 * fuzz_bundle.c - libFuzzer target for the bundle importer.
 *
 * Each input is imported with avk_bundle_import_mem into a scratch
 * workspace (created once under $TMPDIR, /dev/shm or /tmp, and removed at
 * exit); its .av/assets is wiped after every input.  Besides what the
 * sanitizers catch, the target aborts when the importer breaks a promise:
 *   - a refused import must leave the workspace as it was (here: no
 *     .av/assets at all) and must say why;
 *   - an accepted import must return a document and assets that exist as
 *     regular files whose content hashes to their names.
 * Built by tools/fuzz.sh with -DAVK_LIBFUZZER; without it, replay_main.h
 * makes it a plain program (tests/helpers/fuzz_replay_bundle.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "fsutil.h"
#include "hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's one piece of state: where its scratch workspace lives. */
static char fuzz_ws[512];

static void fuzz_ws_remove(void)
{
    if (fuzz_ws[0])
        avk_rmtree(fuzz_ws, NULL);
}

static const char *fuzz_workspace(void)
{
    const char *base = getenv("TMPDIR");
    char av[600];

    if (fuzz_ws[0])
        return fuzz_ws;
    if (!base || !*base)
        base = avk_is_dir("/dev/shm") ? "/dev/shm" : "/tmp";
    snprintf(fuzz_ws, sizeof fuzz_ws, "%s/avk-fuzz-bundle-XXXXXX", base);
    if (!mkdtemp(fuzz_ws))
        abort();
    snprintf(av, sizeof av, "%s/.av", fuzz_ws);
    if (mkdir(av, 0755) != 0)
        abort();
    atexit(fuzz_ws_remove);
    return fuzz_ws;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *ws = fuzz_workspace();
    struct avk_bundle_import imp;
    char assets[600];
    struct stat st;
    avk_err err;
    size_t i;
    int rc;

    snprintf(assets, sizeof assets, "%s/.av/assets", ws);
    err.msg[0] = '\0';
    rc = avk_bundle_import_mem(data, size, ws, &imp, &err);
    if (rc) {
        /* Refused: nothing may be left behind, and the reason is given. */
        if (lstat(assets, &st) == 0 || err.msg[0] == '\0' ||
            imp.doc_json || imp.nassets)
            abort();
        return 0;
    }
    if (!imp.doc_json)
        abort();
    for (i = 0; i < imp.nassets; i++) {
        char *full = avk_path_join(ws, imp.asset_paths[i]);
        char hex[AVK_SHA256_HEX];
        const char *slash = strrchr(imp.asset_paths[i], '/');

        if (!full || !slash || lstat(full, &st) != 0 || !S_ISREG(st.st_mode) ||
            avk_sha256_file(full, hex, NULL, NULL) != 0 ||
            strncmp(hex, slash + 1, 64) != 0)
            abort();
        free(full);
    }
    avk_bundle_import_release(&imp);
    if (avk_rmtree(assets, NULL) != 0)
        abort();
    return 0;
}

#include "replay_main.h"
