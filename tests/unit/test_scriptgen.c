/* Unit tests for the offline script writer (scriptgen), its wording
 * helpers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fsutil.h"
#include "knowledge.h"
#include "scriptgen.h"
#include "tap.h"
#include "wording.h"

static char tdir[1024], kdir[1024];

/* Case-insensitive strstr. */
static const char *strcasestr_pos(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

/* Case-insensitive: does word occur in hay? */
static int strcasestr_(const char *hay, const char *word)
{
    size_t n = strlen(word);
    for (; *hay; hay++)
        if (strncasecmp(hay, word, n) == 0)
            return 1;
    return 0;
}
static const char *dirs[1], *kdirs[1];

static const char *const formats[] = {"listicle",  "howto", "myth",
                                      "explainer", "story", "news",
                                      "mistakes",  NULL};
static const char *const styles[] = {"engaging",     "educational", "funny",
                                     "professional", "story",       NULL};
static const double durations[] = {15, 30, 60, 90};

static const char *trend_text =
    "{\"topic\":\"electric cars\",\"items\":["
    "{\"title\":\"City expands public charging network\",\"summary\":\"The "
    "city council approved 200 new public chargers. Installation starts in "
    "spring.\",\"link\":\"https://example.com/a\",\"source\":\"Example "
    "News\"},"
    "{\"title\":\"Battery recycling plant opens\",\"summary\":\"A new plant "
    "will recycle used car batteries. It aims to recover most of the "
    "lithium.\",\"link\":\"https://example.com/b\",\"source\":\"Daily "
    "Example\"},"
    "{\"title\":\"Used EV prices drop\",\"summary\":\"<p>Prices for used "
    "electric cars fell this quarter &amp; dealers expect more "
    "stock.</p>\",\"link\":\"https://example.com/c\"},"
    "{\"title\":\"Automaker announces cheaper compact model\",\"summary\":"
    "\"The company says the car will go on sale next year. Pricing details "
    "are expected in the summer.\",\"source\":\"Example Wire\"},"
    "{\"title\":\"Survey: drivers want faster chargers\",\"summary\":\"Most "
    "respondents said charging speed matters more than range. The survey "
    "polled drivers in five countries.\",\"source\":\"Sample Daily\"}]}";

/* Variant 1: topics that take the other version of a format (a pack
 * explainer, a questions listicle, generic how-to and myths); NULL when
 * the format has only one. */
static const char *topic_alt(const char *lang, const char *format)
{
    int es = strcmp(lang, "es") == 0;
    if (strcmp(format, "listicle") == 0)
        return es ? "7 alimentos que dan energía"
                  : "10 foods that boost energy";
    if (strcmp(format, "howto") == 0)
        return es ? "cómo aprender a programar" : "how to learn guitar";
    if (strcmp(format, "myth") == 0)
        return es ? "mitos sobre el café" : "myths about coffee";
    if (strcmp(format, "explainer") == 0)
        return es ? "consejos para ahorrar dinero" : "save money on groceries";
    return NULL;
}

static const char *topic_for(const char *lang, const char *format)
{
    int es = strcmp(lang, "es") == 0;
    if (strcmp(format, "listicle") == 0)
        return es ? "5 hábitos de la gente productiva"
                  : "5 habits of productive people";
    if (strcmp(format, "howto") == 0)
        return es ? "cómo ahorrar dinero" : "how to save money";
    if (strcmp(format, "myth") == 0)
        return es ? "mitos sobre el sueño" : "myths about sleep";
    if (strcmp(format, "story") == 0)
        return es ? "mi experiencia con el running" : "my journey with running";
    if (strcmp(format, "news") == 0)
        return es ? "coches eléctricos" : "electric cars";
    if (strcmp(format, "mistakes") == 0)
        return es ? "4 errores de principiante" : "4 mistakes beginners make";
    return es ? "los agujeros negros" : "black holes";
}

static void req_init(avk_script_req *r, const char *topic)
{
    memset(r, 0, sizeof *r);
    r->topic = topic;
    r->seed = 1;
    r->template_dirs = dirs;
    r->ntemplate_dirs = 1;
    r->knowledge_dirs = kdirs;
    r->nknowledge_dirs = 1;
}

static char *gen_dump(const avk_script_req *r, avk_err *e)
{
    json_t *s = NULL;
    char *out;
    if (avk_script_generate(r, &s, e) != 0)
        return NULL;
    out = json_dumps(s, JSON_COMPACT);
    json_decref(s);
    return out;
}

/* Every string in the script, concatenated with newlines. */
static void all_strings(const json_t *j, avk_buf *b)
{
    size_t i;
    const char *k;
    json_t *v;
    if (json_is_string(j)) {
        avk_buf_adds(b, json_string_value(j));
        avk_buf_addc(b, '\n');
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) all_strings(v, b);
    } else if (json_is_object(j)) {
        json_object_foreach((json_t *)j, k, v) all_strings(v, b);
    }
}

/* The narration split into sentences; 1 if a sentence repeats. */
static int repeats_sentence(const json_t *s)
{
    char *sent[512];
    size_t n = 0, i, j;
    json_t *sc;
    int dup = 0;

    json_array_foreach(json_object_get(s, "scenes"), i, sc)
    {
        const char *t = json_string_value(json_object_get(sc, "text"));
        const char *p = t;
        while (*p && n < 512) {
            size_t len = strcspn(p, ".!?");
            while (p[len] && strchr(".!?", p[len]))
                len++;
            sent[n] = strndup(p, len);
            n++;
            p += len;
            while (*p == ' ')
                p++;
        }
    }
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (strcmp(sent[i], sent[j]) == 0 && strlen(sent[i]) > 12) {
                printf("# repeated: '%s'\n", sent[i]);
                dup = 1;
            }
    for (i = 0; i < n; i++)
        free(sent[i]);
    return dup;
}

/* 1 if a four-word phrase that has no word of the topic in it occurs
 * twice in the narration (a template phrase said twice). */
static int repeats_phrase(const json_t *s, const char *topic)
{
    char *w[2048];
    size_t n = 0, i, j, k;
    json_t *sc;
    int dup = 0;
    avk_buf all;

    avk_buf_init(&all);
    json_array_foreach(json_object_get(s, "scenes"), i, sc)
    {
        avk_buf_adds(&all, json_string_value(json_object_get(sc, "text")));
        avk_buf_addc(&all, ' ');
    }
    for (i = 0; all.data[i] && n < 2048;) {
        size_t len = 0;
        while (all.data[i + len] &&
               (isalnum((unsigned char)all.data[i + len]) ||
                (unsigned char)all.data[i + len] >= 0x80 ||
                all.data[i + len] == '\''))
            len++;
        if (len) {
            w[n] = strndup(all.data + i, len);
            for (k = 0; w[n][k]; k++)
                w[n][k] = (char)tolower((unsigned char)w[n][k]);
            n++;
            i += len;
        } else
            i++;
    }
    for (i = 0; i + 4 <= n && !dup; i++) {
        int in_topic = 0;
        for (k = 0; k < 4; k++)
            if (strcasestr_(topic, w[i + k]))
                in_topic = 1;
        if (in_topic)
            continue;
        for (j = i + 1; j + 4 <= n && !dup; j++) {
            for (k = 0; k < 4 && strcmp(w[i + k], w[j + k]) == 0; k++)
                ;
            if (k == 4) {
                printf("# repeated phrase: '%s %s %s %s'\n", w[i], w[i + 1],
                       w[i + 2], w[i + 3]);
                dup = 1;
            }
        }
    }
    for (i = 0; i < n; i++)
        free(w[i]);
    avk_buf_release(&all);
    return dup;
}

static void test_matrix(const char *lang, int variant)
{
    json_error_t je;
    json_t *trend = json_loads(trend_text, 0, &je);
    int f, st, d, bad_fit = 0, bad_ph = 0, bad_rep = 0, bad_val = 0,
                  bad_fmt = 0, bad_kw = 0, runs = 0;

    for (f = 0; formats[f]; f++)
        for (st = 0; styles[st]; st++)
            for (d = 0; d < 4; d++) {
                const char *topic = variant ? topic_alt(lang, formats[f])
                                            : topic_for(lang, formats[f]);
                avk_script_req r;
                avk_err e;
                json_t *s = NULL, *sc;
                avk_buf b;
                double W;
                size_t i;
                int words;
                if (!topic)
                    continue;
                req_init(&r, topic);
                r.lang = lang;
                r.style = styles[st];
                r.duration_s = durations[d];
                r.seed = (uint64_t)f * 100 + (uint64_t)st * 10 + (uint64_t)d;
                r.trend = strcmp(formats[f], "news") == 0 ? trend : NULL;
                runs++;
                if (avk_script_generate(&r, &s, &e) != 0) {
                    printf("# %s %s %s %g: %s\n", lang, formats[f], styles[st],
                           durations[d], e.msg);
                    bad_fit++;
                    continue;
                }
                W = durations[d] *
                    json_number_value(json_object_get(s, "wpm")) / 60;
                words = (int)json_integer_value(json_object_get(s, "words"));
                if (words < 0.9 * W || words > 1.1 * W) {
                    printf("# %s %s %s %g: %d words for a budget of %.1f\n",
                           lang, formats[f], styles[st], durations[d], words,
                           W);
                    bad_fit++;
                }
                if (strcmp(json_string_value(json_object_get(s, "format")),
                           formats[f]) != 0)
                    bad_fmt++;
                avk_buf_init(&b);
                all_strings(s, &b);
                if (strchr(b.data, '{') || strchr(b.data, '}') ||
                    strchr(b.data, '$') || strstr(b.data, "{{")) {
                    printf("# placeholder left in %s %s %s\n", lang, formats[f],
                           styles[st]);
                    bad_ph++;
                }
                avk_buf_release(&b);
                if (repeats_sentence(s) || repeats_phrase(s, topic))
                    bad_rep++;
                if (avk_script_validate(s, &e) != 0) {
                    printf("# invalid: %s\n", e.msg);
                    bad_val++;
                }
                json_array_foreach(json_object_get(s, "scenes"), i, sc)
                {
                    size_t nk =
                        json_array_size(json_object_get(sc, "keywords"));
                    if (nk < 2 || nk > 4)
                        bad_kw++;
                }
                json_decref(s);
            }
    ok(bad_fit == 0,
       "%s%s: %d scripts (every format x style x 15/30/60/90 s) "
       "fit their word budget within 10%%",
       lang, variant ? " (other versions)" : "", runs);
    ok(bad_ph == 0, "%s%s: no placeholder, {{, }} or $ left in any output",
       lang, variant ? " (other versions)" : "");
    ok(bad_rep == 0,
       "%s%s: no sentence or four-word phrase repeats within a "
       "script",
       lang, variant ? " (other versions)" : "");
    ok(bad_val == 0, "%s%s: every script passes the validator", lang,
       variant ? " (other versions)" : "");
    ok(bad_fmt == 0, "%s%s: the topic selects the expected format", lang,
       variant ? " (other versions)" : "");
    ok(bad_kw == 0, "%s%s: every scene has 2-4 keywords", lang,
       variant ? " (other versions)" : "");
    json_decref(trend);
}

/* The narration of a script: its scene texts, joined by spaces. */
static char *narration(const json_t *s)
{
    avk_buf b;
    size_t i;
    json_t *sc;
    avk_buf_init(&b);
    avk_buf_adds(&b, "");
    json_array_foreach(json_object_get(s, "scenes"), i, sc)
    {
        avk_buf_adds(&b, json_string_value(json_object_get(sc, "text")));
        avk_buf_addc(&b, ' ');
    }
    return avk_buf_detach(&b);
}

/* How many of the points' names occur in text; *twice is set when one
 * occurs more than once. */
static int names_in(const char *text, const avk_kpoint *list, size_t n,
                    int *twice)
{
    size_t i;
    int found = 0;
    for (i = 0; i < n; i++) {
        const char *p = strcasestr_pos(text, list[i].name);
        if (!p)
            continue;
        found++;
        if (strcasestr_pos(p + 1, list[i].name))
            *twice = 1;
    }
    return found;
}

static const avk_kpack *pack_named(const avk_kbase *kb, const char *name)
{
    size_t i;
    for (i = 0; i < kb->n; i++)
        if (strcmp(kb->v[i].name, name) == 0)
            return &kb->v[i];
    return NULL;
}

static void test_knowledge(void)
{
    static const char *const stems[][2] = {
        {"habits", "habit"},
        {"studies", "study"},
        {"cooking", "cook"},
        {"saving", "sav"},
        {"save", "sav"},
        {"running", "run"},
        {"boxes", "box"},
        {"focus", "focus"},
        {"H\xC3\xA1"
         "bitos",
         "habito"},
        {"Sue\xC3\xB1o", "sueno"}};
    static const char *const picks[][3] = {
        {"en", "save money on groceries", "groceries"},
        {"en", "how to save money", "money"},
        {"en", "5 habits for better sleep", "sleep"},
        {"en", "5 habits of productive people", "productivity"},
        {"en", "Tips for PUBLIC Speaking", "speaking"},
        {"en", "kitchen cleaning hacks", "cleaning"},
        {"en", "learn to code", "coding"},
        {"en", "how to learn guitar", NULL},
        {"en", "why cats purr", NULL},
        {"es", "consejos para ahorrar dinero", "money"},
        {"es", "c\xC3\xB3mo dormir mejor", "sleep"}};
    avk_kbase en, es;
    avk_err e;
    size_t i;
    int rc, seed, bad = 0, orders = 0;
    char *first = NULL;

    for (i = 0; i < sizeof stems / sizeof stems[0]; i++) {
        char *st = avk_kstem(stems[i][0]), name[80];
        snprintf(name, sizeof name, "stem of '%s'", stems[i][0]);
        is_str(st, stems[i][1], name);
        free(st);
    }
    rc = avk_kbase_load(&en, kdirs, 1, "en", &e);
    ok(rc == 0 && en.n >= 15, "the shipped English packs load (%zu)", en.n);
    rc = avk_kbase_load(&es, kdirs, 1, "es", &e);
    ok(rc == 0 && es.n >= 4, "the shipped Spanish packs load (%zu)", es.n);
    for (i = 0; i < en.n + es.n; i++) {
        const avk_kpack *p = i < en.n ? &en.v[i] : &es.v[i - en.n];
        if (p->nitems < 8)
            printf("# %s.%s: %zu items\n", p->name, p->lang, p->nitems), bad++;
    }
    ok(bad == 0, "every shipped pack has at least eight items");
    for (i = 0; i < sizeof picks / sizeof picks[0]; i++) {
        const avk_kpack *p = avk_kbase_match(
            strcmp(picks[i][0], "es") == 0 ? &es : &en, picks[i][1], NULL);
        char name[120];
        snprintf(name, sizeof name, "'%s' -> pack %s", picks[i][1],
                 picks[i][2] ? picks[i][2] : "none");
        if (picks[i][2])
            is_str(p ? p->name : NULL, picks[i][2], name);
        else
            ok(p == NULL, "%s (got %s)", name, p ? p->name : "none");
    }

    /* the demo topic names real habits, each once, at every length */
    bad = 0;
    for (seed = 1; seed <= 8; seed++) {
        avk_script_req r;
        json_t *s = NULL;
        char *txt;
        int twice = 0, n;
        req_init(&r, "5 habits of productive people");
        r.seed = (uint64_t)seed;
        r.duration_s = durations[seed % 4];
        if (avk_script_generate(&r, &s, &e) != 0) {
            printf("# %s\n", e.msg);
            bad++;
            continue;
        }
        txt = narration(s);
        n = names_in(txt, pack_named(&en, "productivity")->items,
                     pack_named(&en, "productivity")->nitems, &twice);
        if (n != 5 || twice ||
            strcmp(json_string_value(json_object_get(s, "pack")) ?
                       json_string_value(json_object_get(s, "pack")) : "",
                   "productivity") != 0) {
            printf("# seed %d: %d habits named%s: %s\n", seed, n,
                   twice ? ", one twice" : "", txt);
            bad++;
        }
        if (!first)
            first = strdup(txt);
        else if (strcmp(first, txt) != 0)
            orders++;
        free(txt);
        json_decref(s);
    }
    ok(bad == 0, "'5 habits of productive people' names five habits of the "
                 "productivity pack, none twice, at 15-90 s");
    ok(orders > 0, "other seeds choose other habits or orders");
    free(first);

    /* topics no pack knows: no list of things it cannot name */
    {
        static const char *const none[] = {"why cats purr",
                                           "10 foods that boost energy",
                                           "5 reasons to visit Lisbon"};
        static const char *const frames[] = {
            "underestimate", "easy win", "the classic", "the quiet one",
            "the underdog", "everybody skips", "ties it all together"};
        size_t k, j;
        bad = 0;
        for (k = 0; k < 3; k++)
            for (seed = 1; seed <= 4; seed++) {
                avk_script_req r;
                json_t *s = NULL;
                char *txt;
                req_init(&r, none[k]);
                r.seed = (uint64_t)seed;
                r.duration_s = 30 * seed;
                if (avk_script_generate(&r, &s, &e) != 0) {
                    bad++;
                    continue;
                }
                txt = narration(s);
                if (json_object_get(s, "pack"))
                    bad++;
                for (j = 0; j < sizeof frames / sizeof frames[0]; j++)
                    if (strcasestr_pos(txt, frames[j])) {
                        printf("# '%s' in: %s\n", frames[j], txt);
                        bad++;
                    }
                if (k > 0 && !strstr(txt, "Question") &&
                    !strstr(txt, "question")) {
                    printf("# no questions: %s\n", txt);
                    bad++;
                }
                free(txt);
                json_decref(s);
            }
        ok(bad == 0, "topics no pack knows: no pack, no empty list frames; "
                     "counted ones become questions to ask");
    }

    /* how-to steps in the pack's order; myths from the pack; Spanish */
    {
        avk_script_req r;
        json_t *s = NULL;
        char *txt;
        int twice = 0;
        req_init(&r, "how to sleep better");
        r.duration_s = 45;
        ok(avk_script_generate(&r, &s, &e) == 0, "how to sleep better");
        txt = s ? narration(s) : strdup("");
        ok(strstr(txt, "Step one: pick a fixed wake-up time.") &&
               strstr(txt, "Step two: get morning light."),
           "how-to steps come from the sleep pack, in order");
        free(txt);
        json_decref(s);
        s = NULL;
        req_init(&r, "myths about sleep");
        r.duration_s = 45;
        avk_script_generate(&r, &s, &e);
        txt = s ? narration(s) : strdup("");
        ok(names_in(txt, pack_named(&en, "sleep")->myths,
                    pack_named(&en, "sleep")->nmyths, &twice) >= 2 &&
               !twice,
           "myths about sleep: the sleep pack's myths, each once");
        free(txt);
        json_decref(s);
        s = NULL;
        req_init(&r, "5 h\xC3\xA1" "bitos de la gente productiva");
        r.lang = "es";
        r.duration_s = 60;
        avk_script_generate(&r, &s, &e);
        txt = s ? narration(s) : strdup("");
        twice = 0;
        ok(names_in(txt, pack_named(&es, "productivity")->items,
                    pack_named(&es, "productivity")->nitems, &twice) == 5 &&
               !twice,
           "Spanish: five habits from the Spanish productivity pack");
        free(txt);
        json_decref(s);
    }
    /* every format can be forced on any topic, pack or no pack */
    {
        static const char *const forced[][2] = {{"en", "productivity"},
                                                {"en", "why cats purr"},
                                                {"es", "el sue\xC3\xB1o"},
                                                {"es", "los gatos"}};
        size_t k, f;
        bad = 0;
        for (k = 0; k < 4; k++)
            for (f = 0; formats[f]; f++) {
                avk_script_req r;
                json_t *s = NULL;
                if (strcmp(formats[f], "news") == 0)
                    continue;
                req_init(&r, forced[k][1]);
                r.lang = forced[k][0];
                r.format = formats[f];
                r.duration_s = 30;
                if (avk_script_generate(&r, &s, &e) != 0) {
                    printf("# %s --format %s: %s\n", forced[k][1], formats[f],
                           e.msg);
                    bad++;
                }
                json_decref(s);
            }
        ok(bad == 0, "--format forces any format on pack and no-pack topics");
    }
    avk_kbase_release(&en);
    avk_kbase_release(&es);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_user_packs(void)
{
    char tmp[] = "/tmp/avk-kp-XXXXXX", p1[1200], p2[1200];
    const char *kd[2], *td[2];
    avk_script_req r;
    avk_err e;
    json_t *s = NULL;
    char *txt;

    if (!mkdtemp(tmp)) {
        ok(0, "mkdtemp");
        return;
    }
    snprintf(p1, sizeof p1, "%s/tea.yaml", tmp);
    snprintf(p2, sizeof p2, "%s/mine.yaml", tmp);
    write_file(p1, "pack: tea\nlang: en\nmatch: [tea]\nitems:\n"
                   "  - name: \"warm the pot first\"\n"
                   "    text: \"Rinse it with hot water. The tea stays hot.\"\n"
                   "  - name: \"measure the leaves\"\n"
                   "    text: \"Use a spoon per cup.\"\n"
                   "  - name: \"mind the water temperature\"\n"
                   "    text: \"Green tea likes it cooler than black tea.\"\n");
    kd[0] = tmp;
    kd[1] = kdir;
    td[0] = tmp; /* a pack among the formats is skipped by their loader */
    td[1] = tdir;
    req_init(&r, "3 tea tips");
    r.knowledge_dirs = kd;
    r.nknowledge_dirs = 2;
    r.template_dirs = td;
    r.ntemplate_dirs = 2;
    r.duration_s = 30;
    ok(avk_script_generate(&r, &s, &e) == 0, "a user pack in a folder with "
                                             "formats: %s",
       s ? "ok" : e.msg);
    txt = s ? narration(s) : strdup("");
    ok(strstr(txt, "warm the pot first") && strstr(txt, "measure the leaves") &&
           strstr(txt, "mind the water temperature"),
       "a user pack names its items");
    is_str(s ? json_string_value(json_object_get(s, "pack")) : NULL, "tea",
           ".script.pack names it");
    free(txt);
    json_decref(s);
    s = NULL;
    /* a user pack with a shipped pack's name replaces it */
    write_file(p2, "pack: productivity\nlang: en\nmatch: [productive]\n"
                   "items:\n"
                   "  - {name: \"alpha habit\", text: \"One.\"}\n"
                   "  - {name: \"beta habit\", text: \"Two.\"}\n"
                   "  - {name: \"gamma habit\", text: \"Three.\"}\n");
    req_init(&r, "3 habits of productive people");
    r.knowledge_dirs = kd;
    r.nknowledge_dirs = 2;
    avk_script_generate(&r, &s, &e);
    txt = s ? narration(s) : strdup("");
    ok(strstr(txt, "alpha habit") && strstr(txt, "gamma habit"),
       "a user pack overrides the shipped one of the same name");
    free(txt);
    json_decref(s);
    s = NULL;
    /* broken packs are configuration errors naming the file */
    write_file(p2, "pack: x\nlang: en\nmatch: [tea]\nitems:\n"
                   "  - {name: \"{oops}\", text: \"Hi.\"}\n");
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_CONFIG &&
           strstr(e.msg, "mine.yaml"),
       "braces in a pack: config error naming the file");
    write_file(p2, "pack: x\nlang: en\nmatch: [tea]\nitems: []\n");
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_CONFIG &&
           strstr(e.msg, "mine.yaml") && strstr(e.msg, "items"),
       "a pack without items: config error (%s)", e.msg);
    unlink(p1);
    unlink(p2);
    rmdir(tmp);
}

static void test_determinism(void)
{
    avk_script_req r;
    avk_err e;
    char *a, *b, *c[5];
    int i, j, distinct = 0;

    req_init(&r, "5 habits of productive people");
    r.seed = 42;
    a = gen_dump(&r, &e);
    b = gen_dump(&r, &e);
    ok(a && b && strcmp(a, b) == 0, "same request, byte-identical JSON");
    free(a);
    free(b);
    for (i = 0; i < 5; i++) {
        r.seed = (uint64_t)i + 1;
        c[i] = gen_dump(&r, &e);
    }
    for (i = 0; i < 5; i++) {
        int seen = 0;
        for (j = 0; j < i; j++)
            if (c[i] && c[j] && strcmp(c[i], c[j]) == 0)
                seen = 1;
        distinct += !seen;
    }
    ok(distinct >= 4, "different seeds give different scripts (%d of 5)",
       distinct);
    for (i = 0; i < 5; i++)
        free(c[i]);
}

static void test_odd_topics(void)
{
    static const char *const topics[] = {
        "\"quoted\" topics and 'single' ones",
        "back\\slash C:\\path and 100% of %s %n %%",
        "Ratios: 3:2 vs 16:9 {braces} {{double}} $HOME ${x}",
        "Rocket launches \xF0\x9F\x9A\x80 and emoji \xE2\x9C\xA8",
        "\xD7\x9C\xD7\x99\xD7\x9E\xD7\x95\xD7\x93 "
        "\xD7\xA2\xD7\x91\xD7\xA8\xD7\x99\xD7\xAA", /* Hebrew */
        "\xD8\xA7\xD9\x84\xD9\x82\xD9\x87\xD9\x88\xD8\xA9 "
        "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9", /* Arabic */
        "how to write {name} templates",
        "7 \"secret\" tips for 100% better sleep",
        NULL};
    int i;

    for (i = 0; topics[i]; i++) {
        avk_script_req r;
        avk_err e;
        json_t *s = NULL, *back;
        avk_buf b;
        char *txt;
        int rc;
        req_init(&r, topics[i]);
        r.duration_s = 30;
        rc = avk_script_generate(&r, &s, &e);
        if (!ok(rc == 0, "odd topic %d generates", i)) {
            printf("# %s\n", e.msg);
            continue;
        }
        avk_buf_init(&b);
        all_strings(s, &b);
        ok(strstr(b.data, topics[i]) != NULL, "odd topic %d appears intact", i);
        ok(avk_script_validate(s, &e) == 0, "odd topic %d validates", i);
        txt = json_dumps(s, JSON_COMPACT);
        back = txt ? json_loads(txt, 0, NULL) : NULL;
        ok(back && json_equal(back, s),
           "odd topic %d survives a JSON round trip", i);
        json_decref(back);
        free(txt);
        avk_buf_release(&b);
        json_decref(s);
    }
}

static void test_long_topic(void)
{
    const char *topic =
        "a surprisingly long topic about the history of tea ceremonies in "
        "Japan and China and how they shaped caf\xC3\xA9 culture around the "
        "world today";
    avk_script_req r;
    avk_err e;
    json_t *s = NULL;
    const char *title;
    avk_buf b;

    req_init(&r, topic);
    r.duration_s = 20;
    ok(avk_script_generate(&r, &s, &e) == 0, "a long topic generates");
    title = json_string_value(json_object_get(s, "title"));
    ok(title && avk_utf8_len(title) <= 100, "its title fits in 100 characters");
    ok(title && strstr(title, "\xE2\x80\xA6"),
       "a cut title ends with an ellipsis");
    avk_buf_init(&b);
    all_strings(s, &b);
    ok(b.data && strstr(b.data, topic), "the whole topic is still narrated");
    avk_buf_release(&b);
    json_decref(s);
}

/* Topics glued from awkward fragments (counts, prefixes, quotes, braces,
 * emoji, Hebrew, broken UTF-8): every one gives a valid script or a data
 * error, never anything else. */
static void test_random_topics(void)
{
    static const char *const frags[] = {"5 ",
                                        "how to ",
                                        "myths about ",
                                        "my journey with ",
                                        " mistakes",
                                        "The ",
                                        "{x}",
                                        "$HOME",
                                        "%s",
                                        "\xF0\x9F\x9A\x80",
                                        "\xD7\xA9",
                                        "\xC3\xA1",
                                        "\"",
                                        "\\",
                                        ":",
                                        ".",
                                        "?",
                                        " ",
                                        "habits",
                                        "people",
                                        "a",
                                        "\xF0",
                                        "\xC3",
                                        "\x80",
                                        "10 ",
                                        "99 ",
                                        "ones",
                                        "ies"};
    uint64_t x = 12345;
    int it, bad = 0, made = 0;

    for (it = 0; it < 200; it++) {
        char topic[256] = "";
        int k, parts;
        avk_script_req r;
        json_t *s = NULL;
        avk_err e;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        parts = 1 + (int)((x >> 33) % 8);
        for (k = 0; k < parts; k++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            strncat(topic, frags[(x >> 33) % (sizeof frags / sizeof *frags)],
                    sizeof topic - strlen(topic) - 1);
        }
        req_init(&r, topic);
        r.seed = x;
        r.duration_s = 3 + (double)((x >> 20) % 120);
        r.scenes = (int)((x >> 40) % 6);
        r.lang = (x >> 45) & 1 ? "es" : "en";
        if (avk_script_generate(&r, &s, &e) == 0) {
            made++;
            if (avk_script_validate(s, &e) != 0)
                bad++;
        } else if (e.code != AVK_EX_DATAERR) {
            printf("# '%s': %s\n", topic, e.msg);
            bad++;
        }
        json_decref(s);
    }
    ok(bad == 0 && made > 100,
       "200 awkward topics: %d valid scripts, the rest data errors", made);
}

static void test_news(void)
{
    json_t *trend = json_loads(
        "{\"items\":[{\"title\":\"Library opens a repair caf\xC3\xA9\","
        "\"summary\":\"Volunteers fix lamps, bikes and toasters for free. "
        "The caf\xC3\xA9 runs every Saturday.\",\"link\":\"https://x.test/1\"},"
        "{\"title\":\"Park gets new trees?\",\"summary\":\"\"}]}",
        0, NULL);
    avk_script_req r;
    avk_err e;
    json_t *s = NULL;
    avk_buf b;

    req_init(&r, "local news");
    r.trend = trend;
    r.duration_s = 30;
    ok(avk_script_generate(&r, &s, &e) == 0, "news digest from a small trend");
    is_str(json_string_value(json_object_get(s, "format")), "news",
           "trend items select the news digest");
    avk_buf_init(&b);
    all_strings(json_object_get(s, "scenes"), &b);
    ok(b.data && strstr(b.data, "Library opens a repair caf\xC3\xA9"),
       "the first headline is narrated");
    ok(b.data && !strstr(b.data, "?."), "a headline's own ? ends its sentence");
    avk_buf_release(&b);
    json_decref(s);
    s = NULL;
    /* a trend topic that is its own first headline is said once */
    req_init(&r, "Library opens a repair caf\xC3\xA9");
    r.trend = trend;
    r.duration_s = 30;
    ok(avk_script_generate(&r, &s, &e) == 0, "headline topic");
    avk_buf_init(&b);
    {
        size_t i;
        json_t *sc;
        json_array_foreach(json_object_get(s, "scenes"), i, sc)
            avk_buf_adds(&b, json_string_value(json_object_get(sc, "text")));
    }
    {
        const char *p = b.data ? b.data : "";
        int n = 0;
        while ((p = strcasestr_pos(p, "repair caf\xC3\xA9")) != NULL) {
            n++;
            p++;
        }
        is_int(n, 1, "the headline topic is narrated once, not twice");
    }
    ok(b.data && strstr(b.data, "Volunteers fix lamps"),
       "its summary follows the hook");
    avk_buf_release(&b);
    json_decref(s);
    s = NULL;
    r.trend = NULL;
    r.format = "news";
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_DATAERR && !s,
       "news without trend items: data error");
    json_decref(trend);
}

static void test_selection(void)
{
    static const char *const cases[][3] = {
        {"en", "5 habits of productive people", "listicle"},
        {"en", "10 foods that boost energy", "listicle"},
        {"en", "how to learn guitar", "howto"},
        {"en", "myths about coffee", "myth"},
        {"en", "5 myths about coffee", "myth"},
        {"en", "my journey with running", "story"},
        {"en", "the story of the Eiffel Tower", "explainer"},
        {"en", "3 mistakes beginners make", "mistakes"},
        {"en", "common mistakes in chess", "mistakes"},
        {"en", "how to avoid mistakes", "howto"},
        {"en", "black holes", "explainer"},
        {"es", "5 hábitos de la gente productiva", "listicle"},
        {"es", "cómo aprender a programar", "howto"},
        {"es", "mitos sobre el café", "myth"},
        {"es", "la inteligencia artificial", "explainer"}};
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        avk_script_req r;
        avk_err e;
        json_t *s = NULL;
        char name[160];
        req_init(&r, cases[i][1]);
        r.lang = cases[i][0];
        r.duration_s = 30;
        snprintf(name, sizeof name, "'%s' -> %s", cases[i][1], cases[i][2]);
        if (avk_script_generate(&r, &s, &e) != 0)
            printf("# %s\n", e.msg);
        is_str(s ? json_string_value(json_object_get(s, "format")) : NULL,
               cases[i][2], name);
        json_decref(s);
    }
}

static void test_keywords(void)
{
    avk_script_req r;
    avk_err e;
    json_t *s = NULL, *sc;
    size_t i;
    int good = 0;

    req_init(&r, "5 habits of productive people");
    r.duration_s = 30;
    avk_script_generate(&r, &s, &e);
    json_array_foreach(json_object_get(s, "scenes"), i, sc)
    {
        char want[32];
        snprintf(want, sizeof want, "habit %zu", i);
        if (i >= 1 && i <= 5 &&
            strcmp(json_string_value(
                       json_array_get(json_object_get(sc, "keywords"), 0)),
                   want) == 0)
            good++;
    }
    is_int(good, 5, "each item's first keyword is its title card: 'habit N'");
    sc = json_array_get(json_object_get(s, "scenes"), 0);
    ok(strcmp(json_string_value(
                  json_array_get(json_object_get(sc, "keywords"), 0)),
              "productive people") == 0,
       "the opening scene's keyword is the topic's phrase, not a stop word");
    json_decref(s);
}

static void test_scenes_option(void)
{
    int n, bad = 0;
    for (n = 1; n <= 9; n++) {
        const char *topics[] = {"5 habits of productive people", "black holes"};
        int t;
        for (t = 0; t < 2; t++) {
            avk_script_req r;
            avk_err e;
            json_t *s = NULL;
            req_init(&r, topics[t]);
            r.scenes = n;
            if (avk_script_generate(&r, &s, &e) != 0 ||
                json_array_size(json_object_get(s, "scenes")) != (size_t)n) {
                printf("# %s, %d scenes: %s\n", topics[t], n,
                       s ? "wrong count" : e.msg);
                bad++;
            }
            json_decref(s);
        }
    }
    ok(bad == 0, "--scenes 1..9 honoured at 60 s");
}

static void test_spanish(void)
{
    avk_script_req r;
    avk_err e;
    json_t *s = NULL;
    avk_buf b;

    req_init(&r, "cómo ahorrar dinero");
    r.lang = "es";
    r.duration_s = 30;
    ok(avk_script_generate(&r, &s, &e) == 0, "Spanish how-to generates");
    is_str(json_string_value(json_object_get(s, "lang")), "es", "lang es");
    avk_buf_init(&b);
    all_strings(json_object_get(s, "scenes"), &b);
    ok(b.data && strstr(b.data, "Paso uno") && strstr(b.data, "ahorrar dinero"),
       "Spanish narration: steps and the goal");
    avk_buf_release(&b);
    json_decref(s);
    req_init(&r, "x");
    r.lang = "fr";
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_DATAERR,
       "a language without templates is a data error");
}

static void test_errors_and_dirs(void)
{
    avk_script_req r;
    avk_err e;
    json_t *s = NULL;
    char tmp[] = "/tmp/avk-sg-XXXXXX", path[1200];
    const char *two[2];
    FILE *f;

    req_init(&r, "x");
    r.style = "sarcastic";
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_DATAERR, "unknown style");
    req_init(&r, "x");
    r.format = "limerick";
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_DATAERR &&
           strstr(e.msg, "limerick"),
       "unknown format names it");
    req_init(&r, "   ");
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_DATAERR, "empty topic");
    req_init(&r, "caf\xC3");
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_DATAERR &&
           strstr(e.msg, "UTF-8"),
       "a topic that is not UTF-8");
    req_init(&r, "x");
    r.scenes = 50;
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_DATAERR, "too many scenes");
    req_init(&r, "x");
    r.duration_s = 1;
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_DATAERR, "too short");

    if (!mkdtemp(tmp)) {
        ok(0, "mkdtemp");
        return;
    }
    /* a user template overrides the shipped one */
    snprintf(path, sizeof path, "%s/mine.yaml", tmp);
    f = fopen(path, "w");
    fputs("format: explainer\nlang: en\npriority: 0\nmatch: [any]\n"
          "title: \"Mine: {topic}\"\nhook: \"My own hook about {topic}.\"\n"
          "cta: \"Bye.\"\nbody:\n  units:\n    - lead: \"Point {i_word}.\"\n"
          "      more: [\"More on {{braces}}.\"]\n",
          f);
    fclose(f);
    two[0] = tmp;
    two[1] = tdir;
    req_init(&r, "cats");
    r.template_dirs = two;
    r.ntemplate_dirs = 2;
    r.duration_s = 15;
    ok(avk_script_generate(&r, &s, &e) == 0 &&
           strcmp(json_string_value(json_object_get(s, "title")),
                  "Mine: cats") == 0,
       "a user template directory comes first");
    json_decref(s);
    s = NULL;
    /* a broken one is a configuration error naming the file */
    f = fopen(path, "w");
    fputs("format: explainer\nlang: en\nbody:\n  units:\n    - lead: "
          "\"{nope}\"\n",
          f);
    fclose(f);
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_CONFIG &&
           strstr(e.msg, "mine.yaml") && strstr(e.msg, "nope"),
       "unknown slot: config error naming file and slot");
    f = fopen(path, "w");
    fputs("format: [x\n", f);
    fclose(f);
    ok(avk_script_generate(&r, &s, &e) == AVK_EX_CONFIG &&
           strstr(e.msg, "mine.yaml"),
       "bad YAML: config error naming the file");
    unlink(path);
    rmdir(tmp);
}

static void test_validator(void)
{
    avk_script_req r;
    avk_err e;
    json_t *s = NULL, *c, *schema;
    req_init(&r, "black holes");
    avk_script_generate(&r, &s, &e);

    c = json_deep_copy(s);
    json_object_del(c, "cta");
    ok(avk_script_validate(c, &e) == AVK_EX_DATAERR, "missing cta rejected");
    ok(strncmp(e.msg, ".cta: missing", 13) == 0, "path .cta (%s)", e.msg);
    json_decref(c);

    c = json_deep_copy(s);
    json_object_set_new(json_array_get(json_object_get(c, "scenes"), 2), "text",
                        json_integer(3));
    avk_script_validate(c, &e);
    is_str(e.msg, ".scenes[2].text: expected a string", "mistyped scene text");
    json_decref(c);

    c = json_deep_copy(s);
    json_array_append_new(
        json_object_get(json_array_get(json_object_get(c, "scenes"), 1),
                        "keywords"),
        json_true());
    avk_script_validate(c, &e);
    ok(strncmp(e.msg, ".scenes[1].keywords[", 20) == 0, "mistyped keyword (%s)",
       e.msg);
    json_decref(c);

    c = json_deep_copy(s);
    json_array_append_new(json_object_get(c, "hashtags"),
                          json_string("nohash"));
    ok(avk_script_validate(c, &e) != 0 && strstr(e.msg, ".hashtags["),
       "hashtag without # (%s)", e.msg);
    json_decref(c);

    c = json_deep_copy(s);
    json_object_set_new(c, "words", json_real(1.5));
    avk_script_validate(c, &e);
    is_str(e.msg, ".words: expected an integer", "words must be an integer");
    json_object_set_new(c, "scenes", json_array());
    avk_script_validate(c, &e);
    is_str(e.msg, ".scenes: must not be empty", "empty scenes");
    json_decref(c);

    ok(avk_script_validate(json_array_get(json_object_get(s, "scenes"), 0),
                           &e) != 0,
       "an object that is not a script is rejected");
    /* an LLM reply: only the content fields */
    c = json_pack("{s:s,s:s,s:[{s:s,s:s,s:[s]}],s:s,s:s,s:[s]}", "title", "T",
                  "hook", "H", "scenes", "text", "Hello.", "visual", "sky",
                  "keywords", "sky", "cta", "Bye.", "description", "D",
                  "hashtags", "#t");
    ok(avk_script_validate_reply(c, &e) == 0, "a minimal reply validates");
    ok(avk_script_validate(c, &e) != 0 && strstr(e.msg, ".lang"),
       "...but is not a full script (%s)", e.msg);
    json_decref(c);

    schema = avk_script_json_schema();
    ok(schema != NULL, "schema builds");
    {
        json_t *props = json_object_get(schema, "properties");
        json_t *req = json_object_get(schema, "required");
        json_t *item =
            json_object_get(json_object_get(props, "scenes"), "items");
        ok(json_is_false(json_object_get(schema, "additionalProperties")) &&
               json_is_false(json_object_get(item, "additionalProperties")),
           "schema: additionalProperties false at every level");
        ok(json_array_size(req) == json_object_size(props) &&
               json_array_size(json_object_get(item, "required")) ==
                   json_object_size(json_object_get(item, "properties")),
           "schema: every property required");
    }
    json_decref(schema);
    json_decref(s);
}

static void test_wording(void)
{
    avk_topic t;
    char *s;
    char *kw[4];
    int n, i;

    avk_topic_parse(&t, "  5   habits of productive people ", "en", NULL);
    is_int(t.count, 5, "count parsed");
    is_str(t.thing, "habit", "head noun singular");
    is_str(t.subject, "habits of productive people", "subject");
    avk_topic_release(&t);
    avk_topic_parse(&t, "ten easy recipes for beginners", "en", NULL);
    is_int(t.count, 10, "number word count");
    is_str(t.thing, "recipe", "recipes -> recipe");
    is_str(t.audience, "beginners", "audience");
    avk_topic_release(&t);
    avk_topic_parse(&t, "How to Save Money?", "en", NULL);
    is_str(t.goal, "Save Money", "how-to goal, question mark dropped");
    avk_topic_release(&t);
    avk_topic_parse(&t, "3 razones para aprender idiomas", "es", NULL);
    is_str(t.thing, "raz\xC3\xB3n", "razones -> razón");
    avk_topic_release(&t);
    is_str(avk_article("hour"), "an", "an hour");
    is_str(avk_article("user"), "a", "a user");
    is_str(avk_article("apple"), "an", "an apple");
    is_str(avk_article("FAQ"), "an", "an FAQ");
    is_str(avk_article("8-step plan"), "an", "an 8-step plan");
    s = avk_lower_lead("en", "The story of Rome");
    is_str(s, "the story of Rome", "a leading function word is lowered");
    free(s);
    s = avk_lower_lead("en", "Tesla earnings");
    is_str(s, "Tesla earnings", "a leading name is kept");
    free(s);
    s = avk_capitalise("iPhone tips");
    is_str(s, "iPhone tips", "iPhone keeps its case");
    free(s);
    s = avk_capitalise("\xC3\xA1rboles");
    is_str(s, "\xC3\x81rboles", "á -> Á");
    free(s);
    is_int(avk_count_words(
               "Hello, world \xE2\x80\x94 it's 5 o'clock \xF0\x9F\x9A\x80"),
           5, "word count skips dashes and emoji");
    n = avk_keywords("en", "Keep a steady sleep schedule on weekends.", NULL,
                     kw, 4);
    ok(n >= 1 && strcmp(kw[0], "steady sleep") == 0, "keywords: '%s'",
       n > 0 ? kw[0] : "");
    for (i = 0; i < n; i++)
        free(kw[i]);
}

int main(void)
{
    const char *dd = getenv("AV_DATADIR");
    snprintf(tdir, sizeof tdir, "%s/templates/scripts", dd ? dd : "share");
    dirs[0] = tdir;
    snprintf(kdir, sizeof kdir, "%s/templates/knowledge", dd ? dd : "share");
    kdirs[0] = kdir;
    test_wording();
    test_matrix("en", 0);
    test_matrix("es", 0);
    test_matrix("en", 1);
    test_matrix("es", 1);
    test_knowledge();
    test_user_packs();
    test_determinism();
    test_odd_topics();
    test_long_topic();
    test_random_topics();
    test_news();
    test_selection();
    test_keywords();
    test_scenes_option();
    test_spanish();
    test_errors_and_dirs();
    test_validator();
    return tap_done();
}
