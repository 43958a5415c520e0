/*
 * av-voice - narrate each document's script: speech audio, duration,
 * scene spans, word timings and loudness in the document's .voice.
 *
 *   av-voice [options] < docs.jsonl > docs.jsonl
 *   av-voice --project ID [options]
 *   av-voice --text TEXT -o FILE.wav|FILE.flac [--words FILE.json]
 *
 * One scene of speech per .script.scenes[] entry (its .text), so that
 * .voice.scenes[i] lines up with .script.scenes[i] and the visuals.
 * Settings come from, later wins: the built-in defaults, configuration
 * (voice.provider, voice.voice, voice.style, voice.rate, voice.pitch,
 * voice.scene_pause, voice.loudness; for the network voices
 * elevenlabs.* and openai.*, see speak_net), the document (.settings.voice,
 * .settings.voice_style, .settings.style read leniently), then flags.
 * With no provider configured or given, English is spoken by flite
 * (unless an espeak-ng voice is asked for) and every other language by
 * espeak-ng; see EN_DEFAULT.
 * Only this file prints; the speech work is lib/tts_espeak.c and
 * lib/tts_flite.c.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assets.h"
#include "audio.h"
#include "buf.h"
#include "cli.h"
#include "doc.h"
#include "fsutil.h"
#include "http.h"
#include "tts.h"
#include "tts_flite.h"

#define PROG "av-voice"
#define USAGE                                                                \
    PROG " [options] < DOCS.jsonl\n"                                         \
         "       " PROG " --project ID [options]\n"                          \
         "       " PROG " --text TEXT -o FILE.wav [--words FILE.json]"

/* The provider for English when none is configured: flite's slt voice
 * was understood better than espeak-ng's by an automatic listener
 * (pocketsphinx; tools/listen-check.sh, figures in av-voice(1)). */
#define EN_DEFAULT "flite"

typedef struct vopts {
    const char *text, *output, *words, *voice, *style, *provider, *lang;
    const char *model;
    long long rate, pitch;
    double scene_pause, loudness;
} vopts;

/* What one synthesis uses, after flags, document and configuration. */
typedef struct vsettings {
    char lang[32], voice[64], style[32];
    char fvoice[16]; /* flite's voice (slt, rms, awb, kal) */
    char provider[16], model[64], netvoice[128];
    int rate, pitch;
    double pause, loudness;
} vsettings;

static double ms3(double t)
{
    return round(t * 1000.0) / 1000.0;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* A document's free-form style ("engaging") read as a voice style. */
static const char *lenient_style(const char *s)
{
    static const char *const energetic[] = {"energetic", "engaging", "funny",
                                            "hype", "fun", "excited"};
    static const char *const calm[] = {"calm", "relaxed", "story",
                                       "soothing", "gentle"};
    size_t i;

    if (!s)
        return NULL;
    for (i = 0; i < sizeof energetic / sizeof *energetic; i++)
        if (!strcmp(s, energetic[i]))
            return "energetic";
    for (i = 0; i < sizeof calm / sizeof *calm; i++)
        if (!strcmp(s, calm[i]))
            return "calm";
    return "professional";
}

/* Settings from the built-in defaults, configuration (cfg may be NULL),
 * the document (doc may be NULL) and flags. */
static int resolve(const vopts *o, const avk_config *cfg, const json_t *doc,
                   vsettings *v, avk_diag *diag, avk_err *err)
{
    const json_t *settings = doc ? json_object_get(doc, "settings") : NULL;
    const char *provider = NULL, *s;
    double d;

    memset(v, 0, sizeof *v);
    copy(v->lang, sizeof v->lang, "en");
    copy(v->style, sizeof v->style, "professional");
    v->pause = 0.4;
    v->loudness = -16.0;
    if (cfg) {
        provider = avk_config_str(cfg, "voice.provider", NULL);
        if (provider && !*provider)
            provider = NULL;
        s = avk_config_str(cfg, "voice.voice", "");
        /* a flite voice name there is flite's, anything else espeak's */
        copy(avk_tts_flite_has_voice(s) ? v->fvoice : v->voice,
             avk_tts_flite_has_voice(s) ? sizeof v->fvoice : sizeof v->voice,
             s);
        s = avk_config_str(cfg, "flite.voice", "");
        if (*s)
            copy(v->fvoice, sizeof v->fvoice, s);
        copy(v->style, sizeof v->style,
             avk_config_str(cfg, "voice.style", "professional"));
        v->rate = (int)avk_config_num(cfg, "voice.rate", 0);
        v->pitch = (int)avk_config_num(cfg, "voice.pitch", 0);
        v->pause = avk_config_num(cfg, "voice.scene_pause", v->pause);
        v->loudness = avk_config_num(cfg, "voice.loudness", v->loudness);
    }
    if (doc) {
        const json_t *script = json_object_get(doc, "script");

        if ((s = avk_doc_lang(doc)))
            copy(v->lang, sizeof v->lang, s);
        if ((s = json_string_value(json_object_get(script, "lang"))))
            copy(v->lang, sizeof v->lang, s);
        if ((s = json_string_value(json_object_get(settings, "style"))))
            copy(v->style, sizeof v->style, lenient_style(s));
        if ((s = json_string_value(json_object_get(settings, "voice_style"))))
            copy(v->style, sizeof v->style, lenient_style(s));
        if ((s = json_string_value(json_object_get(settings, "voice")))) {
            /* A voice name meant for another provider: keep the
             * language's espeak-ng voice. */
            copy(v->netvoice, sizeof v->netvoice, s);
            if (avk_tts_flite_has_voice(s))
                copy(v->fvoice, sizeof v->fvoice, s);
            else if (avk_tts_espeak_has_voice(s))
                copy(v->voice, sizeof v->voice, s);
            else if (diag)
                avk_info(diag, "voice '%s' is neither a flite nor an "
                               "espeak-ng voice; using the default",
                         s);
        }
        if (json_is_number(json_object_get(settings, "voice_rate")))
            v->rate = (int)json_number_value(
                json_object_get(settings, "voice_rate"));
    }
    if (o->provider)
        provider = o->provider;
    if (o->lang)
        copy(v->lang, sizeof v->lang, o->lang);
    if (o->voice && avk_tts_flite_has_voice(o->voice))
        copy(v->fvoice, sizeof v->fvoice, o->voice);
    else if (o->voice)
        copy(v->voice, sizeof v->voice, o->voice);
    if (o->style)
        copy(v->style, sizeof v->style, o->style);
    if (o->rate)
        v->rate = (int)o->rate;
    if (o->pitch)
        v->pitch = (int)o->pitch;
    if (o->scene_pause >= 0)
        v->pause = o->scene_pause;
    if (o->loudness < 0)
        v->loudness = o->loudness;
    if (!provider)
        /* English goes to EN_DEFAULT unless an espeak-ng voice is
         * asked for; other languages to espeak-ng */
        provider = avk_tts_flite_lang_ok(v->lang) && !v->voice[0]
                       ? EN_DEFAULT
                       : "espeak";
    copy(v->provider, sizeof v->provider, provider);
    if (strcmp(provider, "espeak") && strcmp(provider, "elevenlabs") &&
        strcmp(provider, "openai") && strcmp(provider, "flite"))
        return avk_fail(err, AVK_EX_UNAVAILABLE,
                        "voice provider '%s' is not available (espeak, "
                        "flite, elevenlabs, openai)",
                        provider);
    if (!strcmp(provider, "flite")) {
        if (o->voice && !avk_tts_flite_has_voice(o->voice))
            return avk_fail(err, AVK_EX_DATAERR,
                            "unknown flite voice '%s' (%s)", o->voice,
                            avk_tts_flite_voices());
        if (!avk_tts_flite_has_voice(v->fvoice)) {
            if (v->fvoice[0] && diag)
                avk_info(diag, "'%s' is not a flite voice; using slt",
                         v->fvoice);
            copy(v->fvoice, sizeof v->fvoice, "slt");
        }
        if (!avk_tts_flite_lang_ok(v->lang))
            return avk_fail(err, AVK_EX_UNAVAILABLE,
                            "flite speaks English only, not '%s' (use "
                            "--provider espeak)",
                            v->lang);
        v->voice[0] = '\0';
    } else if (strcmp(provider, "espeak")) {
        /* network voices: <provider>.voice / .model in the configuration,
         * then the document's .settings.voice, then the flags */
        char key[64];

        /* openai.model is the chat model of av-script: not a voice */
        snprintf(key, sizeof key, "%s.%s", provider,
                 strcmp(provider, "openai") ? "model" : "tts_model");
        copy(v->model, sizeof v->model,
             cfg ? avk_config_str(cfg, key, "") : "");
        snprintf(key, sizeof key, "%s.voice", provider);
        if (!v->netvoice[0] && cfg)
            copy(v->netvoice, sizeof v->netvoice,
                 avk_config_str(cfg, key, ""));
        if (o->voice)
            copy(v->netvoice, sizeof v->netvoice, o->voice);
        if (o->model)
            copy(v->model, sizeof v->model, o->model);
        v->voice[0] = '\0'; /* the espeak voice only times openai words */
    }
    if (!v->voice[0] && !avk_tts_espeak_voice(v->lang))
        return avk_fail(err, AVK_EX_DATAERR,
                        "no espeak-ng voice for language '%s'", v->lang);
    d = v->pause;
    if (!(d >= 0 && d <= 10))
        return avk_fail(err, AVK_EX_USAGE,
                        "scene pause %g is out of range (0..10 s)", d);
    if (!(v->loudness >= -40 && v->loudness <= -5))
        return avk_fail(err, AVK_EX_USAGE,
                        "loudness target %g is out of range (-40..-5 LUFS)",
                        v->loudness);
    return 0;
}

/* A network provider's request settings from the configuration:
 * <provider>.base_url, .api_key, .output_format (elevenlabs) or
 * .response_format and .speed (openai), and the http section. */
static int speak_net(avk_ctx *ctx, const vsettings *v,
                     const char *const *scenes, size_t n, avk_pcm *pcm,
                     avk_words *words, double *ss, double *se, avk_err *err)
{
    const avk_config *c = ctx->cfg;
    int eleven = !strcmp(v->provider, "elevenlabs");
    avk_http_opts h = avk_http_opts_default();
    avk_tts_net t;
    int rc;

    if (c ? (rc = avk_http_opts_config(&h, c, err))
          : (rc = avk_http_opts_env(&h, err)))
        return rc;
    avk_tts_net_init(&t);
    t.http = &h;
    t.lang = v->lang;
    t.scene_pause_s = v->pause;
    t.target_lufs = v->loudness;
    t.model = v->model[0] ? v->model : NULL;
    t.voice = v->netvoice[0] ? v->netvoice : NULL;
    t.store = ctx->store;
    t.ws_root = ctx->ws_root;
    if (eleven) {
        t.key_var = "ELEVENLABS_API_KEY";
        t.base_url = c ? avk_config_str(c, "elevenlabs.base_url",
                                        "https://api.elevenlabs.io")
                       : "https://api.elevenlabs.io";
        t.api_key = c ? avk_config_str(c, "elevenlabs.api_key", NULL) : NULL;
        t.format = c ? avk_config_str(c, "elevenlabs.output_format", NULL)
                     : NULL;
        rc = avk_tts_elevenlabs(&t, scenes, n, pcm, words, ss, se, err);
    } else {
        t.key_var = "OPENAI_API_KEY";
        t.base_url = c ? avk_config_str(c, "openai.base_url",
                                        "https://api.openai.com/v1")
                       : "https://api.openai.com/v1";
        t.api_key = c ? avk_config_str(c, "openai.api_key", NULL) : NULL;
        t.format = c ? avk_config_str(c, "openai.response_format", NULL)
                     : NULL;
        t.speed = c ? avk_config_num(c, "openai.speed", 0) : 0;
        rc = avk_tts_openai(&t, scenes, n, pcm, words, ss, se, err);
    }
    if (!rc)
        avk_debug(&ctx->diag, "%s: %d request%s, %d from the cache",
                  v->provider, t.requests, t.requests == 1 ? "" : "s",
                  t.cache_hits);
    return rc;
}

static int speak(avk_ctx *ctx, const vsettings *v,
                 const char *const *scenes, size_t n, avk_pcm *pcm,
                 avk_words *words, double *ss, double *se, avk_err *err)
{
    avk_tts_opts t;

    int flite = !strcmp(v->provider, "flite");

    if (strcmp(v->provider, "espeak") && !flite)
        return speak_net(ctx, v, scenes, n, pcm, words, ss, se, err);
    avk_tts_opts_init(&t);
    t.lang = v->lang;
    t.voice = flite ? v->fvoice : v->voice[0] ? v->voice : NULL;
    t.style = v->style;
    t.rate_wpm = v->rate;
    t.pitch = v->pitch;
    t.scene_pause_s = v->pause;
    t.target_lufs = v->loudness;
    if (flite)
        return avk_tts_flite(&t, scenes, n, pcm, words, ss, se, err);
    return avk_tts_espeak(&t, scenes, n, pcm, words, ss, se, err);
}

/* The voice name recorded for v's provider. */
static const char *voice_name(const vsettings *v)
{
    if (!strcmp(v->provider, "flite"))
        return v->fvoice;
    if (strcmp(v->provider, "espeak"))
        return v->netvoice;
    return v->voice[0] ? v->voice : avk_tts_espeak_voice(v->lang);
}

/* The .voice section without the audio asset. */
static json_t *section(const vsettings *v, const avk_pcm *pcm,
                       const avk_words *w, const double *ss,
                       const double *se, size_t n)
{
    avk_loudness m;
    json_t *sec, *scenes = json_array(), *words = json_array();
    const char *voice = voice_name(v);
    size_t i;

    avk_loudness_measure(pcm, &m);
    for (i = 0; i < n; i++)
        json_array_append_new(scenes,
                              json_pack("{s:f, s:f}", "start", ms3(ss[i]),
                                        "end", ms3(se[i])));
    for (i = 0; i < w->n; i++)
        json_array_append_new(
            words, json_pack("{s:s, s:f, s:f, s:i}", "text", w->v[i].text,
                             "start", ms3(w->v[i].start), "end",
                             ms3(w->v[i].end), "scene", w->v[i].scene));
    sec = json_pack("{s:f, s:s, s:s, s:s, s:s}", "duration",
                    ms3(avk_pcm_duration(pcm)), "provider", v->provider, "voice",
                    voice ? voice : "", "lang", v->lang, "style", v->style);
    if (v->model[0])
        json_object_set_new(sec, "model", json_string(v->model));
    if (v->rate)
        json_object_set_new(sec, "rate", json_integer(v->rate));
    json_object_set_new(sec, "loudness",
                        isfinite(m.integrated_lufs)
                            ? json_real(round(m.integrated_lufs * 10) / 10)
                            : json_null());
    json_object_set_new(sec, "true_peak",
                        isfinite(m.true_peak_dbtp)
                            ? json_real(round(m.true_peak_dbtp * 10) / 10)
                            : json_null());
    json_object_set_new(sec, "scenes", scenes);
    json_object_set_new(sec, "words", words);
    return sec;
}

typedef struct stage_ud {
    const vopts *o;
} stage_ud;

static int voice_stage(avk_ctx *ctx, json_t *doc, avk_stage_result *res,
                       void *ud, avk_err *err)
{
    const vopts *o = ((stage_ud *)ud)->o;
    json_t *script, *scenes;
    const char **texts = NULL;
    double *ss = NULL, *se = NULL;
    vsettings v;
    avk_pcm pcm;
    avk_words words;
    avk_asset a;
    char *tmp = NULL;
    size_t n, i;
    int rc;

    avk_pcm_init(&pcm);
    avk_words_init(&words);
    if ((rc = avk_get_object(doc, "", "script", &script, err)) ||
        (rc = avk_get_array(script, ".script", "scenes", &scenes, err)))
        return rc;
    n = json_array_size(scenes);
    if (n == 0)
        return avk_fail(err, AVK_EX_DATAERR, ".script.scenes: no scenes");
    texts = calloc(n, sizeof *texts);
    ss = calloc(n, sizeof *ss);
    se = calloc(n, sizeof *se);
    if (!texts || !ss || !se) {
        rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        char path[64];

        snprintf(path, sizeof path, ".script.scenes[%zu]", i);
        if (!json_is_object(json_array_get(scenes, i))) {
            rc = avk_fail(err, AVK_EX_DATAERR, "%s: expected an object", path);
            goto done;
        }
        if ((rc = avk_get_string(json_array_get(scenes, i), path, "text",
                                 &texts[i], err)))
            goto done;
    }
    if ((rc = resolve(o, ctx->cfg, doc, &v, &ctx->diag, err)) ||
        (rc = speak(ctx, &v, texts, n, &pcm, &words, ss, se, err)) ||
        (rc = avk_asset_tmp_path(ctx->ws_root, "wav", &tmp, err)))
        goto done;
    if ((rc = avk_audio_write_wav(tmp, &pcm, err)) ||
        (rc = avk_asset_adopt(ctx->ws_root, tmp, "audio/wav", &a, err))) {
        unlink(tmp);
        goto done;
    }
    res->section = section(&v, &pcm, &words, ss, se, n);
    json_object_set_new(res->section, "audio", avk_asset_to_json(&a));
    snprintf(res->provider, sizeof res->provider, "%s", v.provider);
    snprintf(res->model, sizeof res->model, "%s",
             strcmp(v.provider, "espeak") && strcmp(v.provider, "flite")
                 ? v.model
                 : voice_name(&v));
    avk_info(&ctx->diag, "project %s: %.1f s of speech, %zu words",
             avk_doc_id(doc), avk_pcm_duration(&pcm), words.n);
done:
    free(tmp);
    free(texts);
    free(ss);
    free(se);
    avk_pcm_release(&pcm);
    avk_words_release(&words);
    return rc;
}

/* Standalone: paragraphs (blank-line separated) of --text are scenes. */
static int standalone(avk_ctx *ctx, const vopts *o)
{
    avk_err err = {0, ""};
    avk_buf text;
    const char **scenes = NULL;
    double *ss = NULL, *se = NULL;
    size_t n = 0, cap = 0, i;
    avk_pcm pcm;
    avk_words words;
    vsettings v;
    const char *ext;
    char *p, *q;
    int rc;

    avk_buf_init(&text);
    avk_pcm_init(&pcm);
    avk_words_init(&words);
    if (!o->output) {
        avk_fail(&err, AVK_EX_USAGE, "--text needs -o FILE.wav or FILE.flac");
        return avk_usage_error(ctx, &err, USAGE);
    }
    ext = strrchr(o->output, '.');
    if (!ext || (strcmp(ext, ".wav") && strcmp(ext, ".flac"))) {
        avk_fail(&err, AVK_EX_USAGE, "'%s': the output must end in .wav or "
                                     ".flac",
                 o->output);
        return avk_usage_error(ctx, &err, USAGE);
    }
    avk_ctx_load_config(ctx, NULL); /* optional: defaults without it */
    if (o->provider && strcmp(o->provider, "espeak") &&
        strcmp(o->provider, "flite")) {
        /* the request cache, when run inside a workspace */
        avk_err ignored = {0, ""};

        if (avk_ctx_open_store(ctx, &ignored) && ctx->store == NULL)
            avk_debug(&ctx->diag, "no workspace: no request cache");
    }
    if (!strcmp(o->text, "-")) {
        if (avk_buf_read_fd(&text, 0))
            return avk_report(&ctx->diag,
                              (avk_fail(&err, AVK_EX_IOERR,
                                        "cannot read standard input"),
                               &err),
                              AVK_EX_IOERR);
    } else if (avk_buf_adds(&text, o->text)) {
        return AVK_EX_OSERR;
    }
    if (!text.data && avk_buf_adds(&text, ""))
        return AVK_EX_OSERR;
    /* cut at blank lines */
    for (p = text.data; p;) {
        q = strstr(p, "\n\n");
        if (q)
            *q = '\0';
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 8;
            const char **ns = realloc(scenes, nc * sizeof *ns);

            if (!ns) {
                rc = avk_fail(&err, AVK_EX_OSERR, "out of memory");
                goto done;
            }
            scenes = ns;
            cap = nc;
        }
        while (*p == '\n')
            p++;
        if (*p || n == 0)
            scenes[n++] = p;
        p = q ? q + 2 : NULL;
    }
    ss = calloc(n ? n : 1, sizeof *ss);
    se = calloc(n ? n : 1, sizeof *se);
    if (!ss || !se) {
        rc = avk_fail(&err, AVK_EX_OSERR, "out of memory");
        goto done;
    }
    if ((rc = resolve(o, ctx->cfg, NULL, &v, &ctx->diag, &err)) ||
        (rc = speak(ctx, &v, scenes, n, &pcm, &words, ss, se, &err)))
        goto done;
    rc = strcmp(ext, ".wav") == 0
             ? avk_audio_write_wav(o->output, &pcm, &err)
             : avk_audio_write_flac(o->output, &pcm, &err);
    if (rc)
        goto done;
    if (o->words) {
        json_t *sec = section(&v, &pcm, &words, ss, se, n);
        char *line;

        json_object_set_new(sec, "audio",
                            json_pack("{s:s}", "path", o->output));
        line = json_dumps(sec, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(sec);
        if (!line) {
            rc = avk_fail(&err, AVK_EX_OSERR, "out of memory");
            goto done;
        }
        if (!strcmp(o->words, "-")) {
            printf("%s\n", line);
            rc = fflush(stdout) ? avk_fail(&err, AVK_EX_IOERR,
                                           "cannot write standard output")
                                : 0;
        } else {
            size_t len = strlen(line);

            line[len] = '\n';
            rc = avk_write_file_atomic(o->words, line, len + 1, 0644, &err);
        }
        free(line);
        if (rc)
            goto done;
    }
    avk_info(&ctx->diag, "wrote %s: %.1f s, %zu words, %zu scene%s",
             o->output, avk_pcm_duration(&pcm), words.n, n,
             n == 1 ? "" : "s");
    for (i = 0; i < words.n && ctx->verbose; i++)
        avk_debug(&ctx->diag, "%8.3f %8.3f  %s", words.v[i].start,
                  words.v[i].end, words.v[i].text);
done:
    free(scenes);
    free(ss);
    free(se);
    avk_buf_release(&text);
    avk_pcm_release(&pcm);
    avk_words_release(&words);
    return rc ? avk_report(&ctx->diag, &err, rc) : 0;
}

int main(int argc, char **argv)
{
    avk_ctx ctx;
    vopts o;
    stage_ud ud = {&o};
    avk_opt common[AVK_COMMON_NOPTS + 1], stage[AVK_STAGE_NOPTS + 1];
    const avk_opt own[] = {
        {0, "text", AVK_OPT_STR, "TEXT",
         "speak TEXT (- for stdin; blank lines separate scenes) instead of "
         "documents",
         &o.text, NULL, NULL, 0},
        {'o', "output", AVK_OPT_STR, "FILE",
         "with --text: the audio to write (.wav or .flac)", &o.output, "file",
         NULL, 0},
        {0, "words", AVK_OPT_STR, "FILE",
         "with --text: write timings and loudness as JSON (- for stdout)",
         &o.words, "file", NULL, 0},
        {0, "provider", AVK_OPT_STR, "NAME",
         "speech engine: flite (default for English), espeak (default "
         "for other languages), elevenlabs or openai",
         &o.provider, "flite|espeak|elevenlabs|openai", NULL, 0},
        {0, "model", AVK_OPT_STR, "NAME",
         "network voice model (eleven_multilingual_v2, tts-1, ...)",
         &o.model, NULL, NULL, 0},
        {0, "lang", AVK_OPT_STR, "LANG",
         "language (default: the document's, or en)", &o.lang, NULL, NULL, 0},
        {0, "voice", AVK_OPT_STR, "NAME",
         "voice: flite's (slt, rms, awb, kal; default slt), espeak-ng's "
         "(en-gb, en-us+f3; default: the language's), an ElevenLabs voice "
         "id or an OpenAI voice (alloy, ...)",
         &o.voice, NULL, NULL, 0},
        {0, "style", AVK_OPT_STR, "STYLE", "professional, energetic or calm",
         &o.style, "professional|energetic|calm", NULL, 0},
        {0, "rate", AVK_OPT_INT, "WPM",
         "words per minute, 80..450 (default: the style's)", &o.rate, NULL,
         NULL, 0},
        {0, "pitch", AVK_OPT_INT, "N", "base pitch 1..100 (50 is normal)",
         &o.pitch, NULL, NULL, 0},
        {0, "scene-pause", AVK_OPT_DOUBLE, "SECONDS",
         "silence between scenes (default 0.4)", &o.scene_pause, NULL, NULL,
         0},
        {0, "loudness", AVK_OPT_DOUBLE, "LUFS",
         "loudness target (default -16)", &o.loudness, NULL, NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {own, stage, common, NULL};
    static const char *const inputs[] = {"script", "lang", "settings"};
    avk_stage_def def = {"voice", "voiced", inputs, 3};
    avk_args args;
    avk_err err = {0, ""};
    char fp[512];
    int rc;

    memset(&o, 0, sizeof o);
    o.scene_pause = -1;
    avk_ctx_init(&ctx, PROG);
    avk_common_opts(&ctx, common);
    avk_stage_opts(&ctx, stage);
    rc = avk_opts_parse(tables, argc, argv, 1, &args, NULL, &err);
    if (rc) {
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    avk_ctx_apply(&ctx);
    if (avk_handle_info(&args, PROG, USAGE,
                        "Narrate scripts: speech, scene spans and word "
                        "timings.",
                        tables))
        goto out;
    if (args.n) {
        avk_fail(&err, AVK_EX_USAGE, "unexpected argument '%s'", args.v[0]);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.style && strcmp(o.style, "professional") &&
        strcmp(o.style, "energetic") && strcmp(o.style, "calm")) {
        avk_fail(&err, AVK_EX_USAGE,
                 "unknown style '%s' (professional, energetic, calm)",
                 o.style);
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if ((o.rate && (o.rate < 80 || o.rate > 450)) ||
        (o.pitch && (o.pitch < 1 || o.pitch > 100))) {
        avk_fail(&err, AVK_EX_USAGE,
                 "--rate must be 80..450 and --pitch 1..100");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.loudness != 0 && (o.loudness < -40 || o.loudness > -5)) {
        avk_fail(&err, AVK_EX_USAGE, "--loudness must be -40..-5 LUFS");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    if (o.text) {
        rc = standalone(&ctx, &o);
        goto out;
    }
    if (o.output || o.words) {
        avk_fail(&err, AVK_EX_USAGE, "-o and --words go with --text");
        rc = avk_usage_error(&ctx, &err, USAGE);
        goto out;
    }
    /* Flags and configuration change the result: they are part of the
     * stage's input (the document's own settings are hashed with it). */
    if ((rc = avk_ctx_open_store(&ctx, &err))) {
        rc = avk_report(&ctx.diag, &err, rc);
        goto out;
    }
    {
        vsettings v;

        if ((rc = resolve(&o, ctx.cfg, NULL, &v, NULL, &err))) {
            rc = avk_report(&ctx.diag, &err, rc);
            goto out;
        }
        snprintf(fp, sizeof fp,
                 "provider=%s model=%s netvoice=%s lang=%s voice=%s "
                 "style=%s rate=%d pitch=%d pause=%g loudness=%g "
                 "flags=%s/%s/%s",
                 v.provider, v.model, v.netvoice, v.lang,
                 strcmp(v.provider, "flite") ? v.voice : v.fvoice, v.style,
                 v.rate, v.pitch, v.pause,
                 v.loudness, o.lang ? o.lang : "", o.voice ? o.voice : "",
                 o.style ? o.style : "");
    }
    rc = avk_stage_run(&ctx, &def, fp, voice_stage, &ud);
out:
    avk_args_release(&args);
    avk_ctx_release(&ctx);
    return rc;
}
