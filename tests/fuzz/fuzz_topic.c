/*
 * fuzz_topic.c - libFuzzer target for the offline script writer: any
 * topic text, in English or Spanish, any style, at 15/30/60/90 s, against
 * the shipped formats and knowledge packs ($AV_DATADIR, else ./share).
 * The first two bytes pick length, language, style and seed; the rest is
 * the topic.  Invariants: a script either validates or the failure says
 * why; never both, never neither.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scriptgen.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const styles[] = {"engaging", "educational", "funny",
                                         "professional", "story"};
    static const double lengths[] = {15, 30, 60, 90};
    char tdir[4096], kdir[4096], *topic;
    const char *dd = getenv("AV_DATADIR"), *dirs[1], *kdirs[1];
    avk_script_req r;
    avk_err err;
    json_t *s = NULL;
    int rc;

    if (size < 3 || size > 512)
        return 0;
    if (!(topic = malloc(size - 1)))
        return 0;
    memcpy(topic, data + 2, size - 2);
    topic[size - 2] = '\0';
    if (strlen(topic) != size - 2 || !avk_utf8_valid(topic)) {
        free(topic);
        return 0;
    }
    snprintf(tdir, sizeof tdir, "%s/templates/scripts", dd ? dd : "share");
    snprintf(kdir, sizeof kdir, "%s/templates/knowledge", dd ? dd : "share");
    dirs[0] = tdir;
    kdirs[0] = kdir;
    memset(&r, 0, sizeof r);
    r.topic = topic;
    r.duration_s = lengths[data[0] & 3];
    r.lang = data[0] & 4 ? "es" : "en";
    r.style = styles[(data[0] >> 3) % 5];
    r.seed = data[1];
    r.template_dirs = dirs;
    r.ntemplate_dirs = 1;
    r.knowledge_dirs = kdirs;
    r.nknowledge_dirs = 1;
    err.code = 0;
    err.msg[0] = '\0';
    rc = avk_script_generate(&r, &s, &err);
    if (rc == 0) {
        if (!s || avk_script_validate(s, &err) != 0)
            abort();
    } else if (s || !err.msg[0]) {
        abort();
    }
    json_decref(s);
    free(topic);
    return 0;
}

#include "replay_main.h"
