/*
 * stage_echo - a minimal stage tool for testing the stage driver.
 *
 * Writes section NAME (--stage, default "echo") holding the topic in upper
 * case and an asset with the same text.  --fail-on WORD fails documents
 * whose topic contains WORD; --sleep-ms N waits before writing (to overlap
 * runs); --require SECTION makes the stage read .SECTION.text (so a bad
 * document can be tested).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "cli.h"
#include "doc.h"
#include "fsutil.h"

typedef struct eopts {
    const char *stage, *fail_on, *require;
    long long sleep_ms;
} eopts;

static int echo_stage(avk_ctx *ctx, json_t *doc, avk_stage_result *res,
                      void *ud, avk_err *err)
{
    eopts *o = ud;
    const char *topic = avk_doc_topic(doc);
    char *up = strdup(topic);
    avk_asset a;
    int rc;
    size_t i;

    if (!up)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (o->require) {
        json_t *sec;
        const char *text;
        char path[64];
        snprintf(path, sizeof path, ".%s", o->require);
        if ((rc = avk_get_object(doc, "", o->require, &sec, err)) ||
            (rc = avk_get_string(sec, path, "text", &text, err))) {
            free(up);
            return rc;
        }
    }
    if (o->fail_on && strstr(topic, o->fail_on)) {
        free(up);
        return avk_fail(err, AVK_EX_DATAERR, "topic contains '%s'", o->fail_on);
    }
    for (i = 0; up[i]; i++)
        up[i] = (char)toupper((unsigned char)up[i]);
    avk_sleep_ms(o->sleep_ms);
    rc = avk_asset_import_mem(ctx->ws_root, up, strlen(up), "text/plain", &a,
                              err);
    if (rc == 0) {
        res->section = json_pack("{s:s, s:o}", "text", up, "asset",
                                 avk_asset_to_json(&a));
        snprintf(res->provider, sizeof res->provider, "echo");
        res->cost = 0.001;
    }
    free(up);
    return rc;
}

int main(int argc, char **argv)
{
    avk_ctx ctx;
    eopts o = {"echo", NULL, NULL, 0};
    avk_opt common[AVK_COMMON_NOPTS + 1], stage[AVK_STAGE_NOPTS + 1];
    const avk_opt own[] = {
        {0, "stage", AVK_OPT_STR, "NAME", "section to write", &o.stage, NULL,
         NULL, 0},
        {0, "fail-on", AVK_OPT_STR, "WORD", "fail topics containing WORD",
         &o.fail_on, NULL, NULL, 0},
        {0, "require", AVK_OPT_STR, "SECTION", "read .SECTION.text",
         &o.require, NULL, NULL, 0},
        {0, "sleep-ms", AVK_OPT_INT, "MS", "wait before writing", &o.sleep_ms,
         NULL, NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {own, stage, common, NULL};
    static const char *const inputs[] = {"topic", "settings"};
    avk_stage_def def = {NULL, "echoed", inputs, 2};
    avk_args args;
    avk_err err = {0, ""};
    char fp[256];
    int rc;

    avk_ctx_init(&ctx, "stage_echo");
    avk_common_opts(&ctx, common);
    avk_stage_opts(&ctx, stage);
    rc = avk_opts_parse(tables, argc, argv, 1, &args, NULL, &err);
    if (rc) {
        rc = avk_usage_error(&ctx, &err, "stage_echo [options]");
        goto out;
    }
    avk_ctx_apply(&ctx);
    if (avk_handle_info(&args, "stage_echo", "stage_echo [options]", NULL,
                        tables))
        goto out;
    def.stage = o.stage;
    snprintf(fp, sizeof fp, "require=%s", o.require ? o.require : "");
    rc = avk_stage_run(&ctx, &def, fp, echo_stage, &o);
out:
    avk_args_release(&args);
    avk_ctx_release(&ctx);
    return rc;
}
