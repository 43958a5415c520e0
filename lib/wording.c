/*
 * wording.c - language tables and wording helpers (see wording.h).
 *
 * Invariants: every table below is a NULL-terminated constant; the
 * helpers only ever change ASCII letters (and the Latin-1 letters of a
 * capitalised first word), so any other byte of the input reaches the
 * output unchanged.
 */
#include "wording.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

struct lang_tab {
    const char *code;
    double wpm;
    int head_first;             /* the head noun comes first in a noun phrase */
    const char *const *numbers; /* 0..20 */
    const char *const *ordinals; /* 1..20 at [1] */
    const char *const *howto;    /* topic prefixes for a how-to */
    const char *const *myth_pre; /* "myths about " */
    const char *const *myth_suf; /* " myths" */
    const char *const *myth_nouns;
    const char *const *myth_preps; /* after "5 myths": "about " */
    const char *const *story_pre;
    const char *const *connectors; /* end of a counted noun phrase */
    const char *const *audiences;  /* words that name an audience */
    const char *audience_prep;     /* " for " */
    const char *const *stop;
};

static const char *const en_numbers[] = {
    "zero",     "one",      "two",      "three",   "four",    "five",
    "six",      "seven",    "eight",    "nine",    "ten",     "eleven",
    "twelve",   "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen", "twenty",   NULL};
static const char *const en_ordinals[] = {
    "",          "first",     "second",      "third",      "fourth",
    "fifth",     "sixth",     "seventh",     "eighth",     "ninth",
    "tenth",     "eleventh",  "twelfth",     "thirteenth", "fourteenth",
    "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth", NULL};
static const char *const en_howto[] = {
    "how to ",     "how do you ",  "how do i ",     "how can you ",
    "how can i ",  "how you can ", "learn how to ", "learn to ",
    "a guide to ", "guide to ",    "ways to ",      NULL};
static const char *const en_myth_pre[] = {"common myths about ",
                                          "biggest myths about ",
                                          "myths about ",
                                          "myths and facts about ",
                                          "myth vs fact: ",
                                          "myths vs facts: ",
                                          "myth vs. fact: ",
                                          "myth or fact: ",
                                          "the truth about ",
                                          "debunking myths about ",
                                          NULL};
static const char *const en_myth_suf[] = {" myths debunked", " myths and facts",
                                          " myths vs facts", " myths", NULL};
static const char *const en_myth_nouns[] = {"myths", "myth", "misconceptions",
                                            NULL};
static const char *const en_myth_preps[] = {"about ", "of ", "on ", "around ",
                                            NULL};
/* a personal journey; "the story of the Eiffel Tower" is an explainer */
static const char *const en_story_pre[] = {
    "my journey with ", "my journey into ",    "my journey to ",
    "my journey in ",   "my experience with ", NULL};
static const char *const en_connectors[] = {
    "of",   "to",     "for",  "that", "which",  "who",   "you",    "every",
    "in",   "on",     "from", "i",    "we",     "about", "with",   "everyone",
    "all",  "your",   "to",   "when", "before", "after", "nobody", "no",
    "most", "people", "and",  "at",   "by",     "like",  NULL};
static const char *const en_audiences[] = {"beginners",
                                           "students",
                                           "parents",
                                           "kids",
                                           "teens",
                                           "teenagers",
                                           "moms",
                                           "dads",
                                           "developers",
                                           "programmers",
                                           "writers",
                                           "runners",
                                           "freelancers",
                                           "founders",
                                           "managers",
                                           "teachers",
                                           "introverts",
                                           "everyone",
                                           "seniors",
                                           "women",
                                           "men",
                                           "nurses",
                                           "creators",
                                           "designers",
                                           "gamers",
                                           "travelers",
                                           "travellers",
                                           "entrepreneurs",
                                           "adults",
                                           "couples",
                                           "families",
                                           "athletes",
                                           "artists",
                                           "musicians",
                                           "engineers",
                                           "leaders",
                                           "dummies",
                                           "busy people",
                                           "remote workers",
                                           "new parents",
                                           "small businesses",
                                           "homeowners",
                                           "cooks",
                                           NULL};
static const char *const en_stop[] = {
    "a",       "an",      "the",       "and",      "or",         "but",
    "nor",     "of",      "to",        "in",       "on",         "at",
    "for",     "with",    "about",     "from",     "by",         "as",
    "is",      "are",     "was",       "were",     "be",         "been",
    "being",   "it",      "its",       "it's",     "this",       "that",
    "that's",  "these",   "those",     "you",      "your",       "yours",
    "you're",  "you'll",  "you've",    "yourself", "i",          "i'm",
    "me",      "my",      "we",        "our",      "us",         "they",
    "their",   "them",    "he",        "she",      "his",        "her",
    "what",    "what's",  "which",     "who",      "whom",       "how",
    "why",     "when",    "where",     "there",    "here",       "here's",
    "there's", "than",    "then",      "so",       "if",         "not",
    "no",      "do",      "does",      "did",      "doing",      "done",
    "can",     "could",   "will",      "would",    "should",     "may",
    "might",   "must",    "just",      "very",     "really",     "more",
    "most",    "less",    "much",      "many",     "some",       "any",
    "all",     "each",    "every",     "one",      "ones",       "thing",
    "things",  "way",     "ways",      "number",   "first",      "second",
    "third",   "fourth",  "fifth",     "sixth",    "seventh",    "eighth",
    "ninth",   "tenth",   "next",      "last",     "also",       "still",
    "even",    "only",    "into",      "out",      "up",         "down",
    "over",    "under",   "again",     "off",      "too",        "own",
    "same",    "other",   "such",      "both",     "few",        "now",
    "let",     "let's",   "isn't",     "don't",    "can't",      "won't",
    "doesn't", "didn't",  "aren't",    "am",       "get",        "gets",
    "got",     "make",    "makes",     "made",     "like",       "actually",
    "try",     "keep",    "two",       "three",    "four",       "five",
    "six",     "seven",   "eight",     "nine",     "ten",        "step",
    "steps",   "part",    "bit",       "lot",      "kind",       "sure",
    "yes",     "okay",    "ok",        "well",     "because",    "while",
    "though",  "whether", "without",   "through",  "after",      "before",
    "since",   "until",   "something", "anything", "everything", "nothing",
    "someone", "anyone",  "everyone",  "stuff",    "good",       "great",
    "best",    "better",  "right",     "quick",    "little",     "big",
    "small",   "new",     "real",      "know",     "see",        "say",
    "says",    "said",    "tell",      "think",    "want",       "need",
    "needs",   "look",    "looks",     "take",     "takes",      "give",
    "go",      "goes",    "going",     "come",     "comes",      "put",
    "use",     "used",    "yet",       "ever",     "never",      "always",
    "often",   "usually", "maybe",     "probably", "quite",      "almost",
    "enough",  "already", "another",   "around",   "instead",    "today",
    "week",    "day",     "days",      "time",     "moment",     "once",
    "twice",   "start",   "started",   "end",      "means",      "mean",
    "matters", "matter",  "worth",     "whole",    "least",      "far",
    "lots",    "those",   "own",       "being",    "has",        "have",
    "had",     "having",  "i've",      "we're",    "they're",    "it'll",
    "that'll", "who's",   "hold",      "pick",     "stick",      "save",
    "share",   "follow",  "comment",   "list",     "video",      "idea",
    "ideas",   "point",   "question",  "answer",   "myth",       "fact",
    "story",   "holds",   "hold",      "sounds",   "sound",      "seems",
    "seem",    "feels",   "feel",      "works",    "happens",    "happen",
    "becomes", "become",  "helps",     "help",     "starts",     "settles",
    "hear",    "heard",   "read",      "learn",    "thinks",     "believe",
    "wants",   "knows",   "shows",     "show",     "turns",      "turn",
    "pays",    "adds",    "sticks",    "fits",     "fit",        "changes",
    "change",  "ties",    "together",  "most",     "probably",   "likely",
    "exactly", "notice",  "short",     "simple",   "clear",      "ask",
    "plain",   "words",   "knowing",   "worked",   "decide",     "imagine",
    "wish",    "knew",    "wrong",     "else",     "talk",       NULL};

static const char *const es_numbers[] = {
    "cero",      "uno",        "dos",     "tres",   "cuatro",    "cinco",
    "seis",      "siete",      "ocho",    "nueve",  "diez",      "once",
    "doce",      "trece",      "catorce", "quince", "dieciséis", "diecisiete",
    "dieciocho", "diecinueve", "veinte",  NULL};
static const char *const es_ordinals[] = {"",
                                          "primero",
                                          "segundo",
                                          "tercero",
                                          "cuarto",
                                          "quinto",
                                          "sexto",
                                          "séptimo",
                                          "octavo",
                                          "noveno",
                                          "décimo",
                                          "undécimo",
                                          "duodécimo",
                                          "decimotercero",
                                          "decimocuarto",
                                          "decimoquinto",
                                          "decimosexto",
                                          "decimoséptimo",
                                          "decimoctavo",
                                          "decimonoveno",
                                          "vigésimo",
                                          NULL};
static const char *const es_howto[] = {
    "cómo ",       "como ",      "guía para ",  "aprende a ",
    "aprender a ", "formas de ", "maneras de ", NULL};
static const char *const es_myth_pre[] = {
    "mitos comunes sobre ", "mitos sobre ",     "mitos de ", "mitos del ",
    "mito o realidad: ",    "la verdad sobre ", NULL};
static const char *const es_myth_suf[] = {NULL};
static const char *const es_myth_nouns[] = {"mitos", "mito", NULL};
static const char *const es_myth_preps[] = {"sobre ", "de ", "del ",
                                            "acerca de ", NULL};
static const char *const es_story_pre[] = {
    "mi experiencia con ", "mi camino hacia ", "mi camino en ", NULL};
static const char *const es_connectors[] = {
    "de",  "del", "para", "que",    "sobre", "en",      "con", "a",    "al",
    "sin", "por", "y",    "cuando", "antes", "después", "si",  "como", NULL};
static const char *const es_audiences[] = {
    "principiantes", "estudiantes",   "padres",     "niños",
    "adolescentes",  "programadores", "escritores", "emprendedores",
    "todos",         "mayores",       "mujeres",    "hombres",
    "creadores",     "diseñadores",   "profesores", "familias",
    "deportistas",   "artistas",      "músicos",    NULL};
static const char *const es_stop[] = {
    "el",       "la",       "los",     "las",     "un",       "una",
    "unos",     "unas",     "y",       "e",       "o",        "u",
    "pero",     "de",       "del",     "al",      "a",        "en",
    "con",      "por",      "para",    "sin",     "sobre",    "que",
    "qué",      "como",     "cómo",    "cuando",  "cuándo",   "donde",
    "dónde",    "quien",    "quién",   "es",      "son",      "era",
    "ser",      "estar",    "está",    "están",   "esta",     "este",
    "estos",    "estas",    "ese",     "esa",     "esos",     "esas",
    "eso",      "esto",     "fue",     "hay",     "lo",       "le",
    "les",      "se",       "su",      "sus",     "tu",       "tus",
    "te",       "ti",       "mi",      "mis",     "me",       "yo",
    "nos",      "nosotros", "ellos",   "ellas",   "él",       "ella",
    "muy",      "más",      "menos",   "mucho",   "muchos",   "mucha",
    "muchas",   "poco",     "pocos",   "todo",    "todos",    "toda",
    "todas",    "cada",     "uno",     "dos",     "tres",     "cuatro",
    "cinco",    "seis",     "siete",   "ocho",    "nueve",    "diez",
    "también",  "ya",       "no",      "sí",      "si",       "solo",
    "sólo",     "así",      "porque",  "pues",    "entonces", "aquí",
    "allí",     "número",   "paso",    "pasos",   "primero",  "segundo",
    "tercero",  "cuarto",   "quinto",  "cosa",    "cosas",    "vez",
    "veces",    "día",      "días",    "semana",  "hoy",      "puede",
    "pueden",   "puedes",   "hacer",   "hace",    "haces",    "algo",
    "nada",     "otro",     "otra",    "otros",   "otras",    "mismo",
    "misma",    "bien",     "mal",     "mejor",   "peor",     "gran",
    "buen",     "bueno",    "buena",   "nuevo",   "nueva",    "tiene",
    "tienes",   "tener",    "parte",   "forma",   "manera",   "tipo",
    "idea",     "punto",    "después", "antes",   "mientras", "hasta",
    "desde",    "entre",    "tras",    "ahora",   "luego",    "siempre",
    "nunca",    "quizá",    "quizás",  "casi",    "suele",    "sigue",
    "sigues",   "empieza",  "empezar", "guarda",  "comparte", "sígueme",
    "comenta",  "lista",    "vídeo",   "video",   "mito",     "realidad",
    "historia", "ha",       "han",     "has",     "he",       "hemos",
    "sea",      "sin",      "vale",    "ves",     "ver",      "mira",
    "dice",     "dicen",    "creo",    "crees",   "estás",    "estoy",
    "ten",      "claro",    "nadie",   "explica", "elige",    "quieres",
    "quiero",   "mira",     "sigue",   "haz",     "dale",     "deja",
    "vamos",    "aquí",     "tienes",  NULL};

static const struct lang_tab langs[] = {
    {"en", 150.0, 0, en_numbers, en_ordinals, en_howto, en_myth_pre,
     en_myth_suf, en_myth_nouns, en_myth_preps, en_story_pre, en_connectors,
     en_audiences, " for ", en_stop},
    {"es", 160.0, 1, es_numbers, es_ordinals, es_howto, es_myth_pre,
     es_myth_suf, es_myth_nouns, es_myth_preps, es_story_pre, es_connectors,
     es_audiences, " para ", es_stop},
};

static const struct lang_tab *lang_find(const char *lang)
{
    size_t i, n;

    if (!lang || !*lang)
        return &langs[0];
    n = strcspn(lang, "-_");
    for (i = 0; i < sizeof langs / sizeof langs[0]; i++)
        if (n == strlen(langs[i].code) &&
            strncasecmp(lang, langs[i].code, n) == 0)
            return &langs[i];
    return NULL;
}

static const struct lang_tab *lang_or_en(const char *lang)
{
    const struct lang_tab *t = lang_find(lang);
    return t ? t : &langs[0];
}

static int in_list(const char *const *list, const char *w, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && strncasecmp(*list, w, n) == 0)
            return 1;
    return 0;
}

const char *avk_lang_canon(const char *lang)
{
    const struct lang_tab *t = lang_find(lang);
    return t ? t->code : NULL;
}

double avk_lang_wpm(const char *lang)
{
    return lang_or_en(lang)->wpm;
}

const char *avk_number_word(const char *lang, int n)
{
    return n >= 0 && n <= 20 ? lang_or_en(lang)->numbers[n] : NULL;
}

const char *avk_ordinal_word(const char *lang, int n)
{
    return n >= 1 && n <= 20 ? lang_or_en(lang)->ordinals[n] : NULL;
}

int avk_is_stop_word(const char *lang, const char *word)
{
    return in_list(lang_or_en(lang)->stop, word, strlen(word));
}

/* ---- small string helpers ---- */

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static int starts_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_ci(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* Trim ASCII space and trailing ?!. ; a new string. */
static char *trim_phrase(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '?' ||
                     s[n - 1] == '!' || s[n - 1] == '.'))
        n--;
    return dupn(s, n);
}

/* Collapse runs of white space to one space and trim. */
static char *normalise_space(const char *s)
{
    size_t n = strlen(s), i, j = 0;
    char *out = calloc(n + 1, 1);
    int space = 1;

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
            c == '\f') {
            if (!space)
                out[j++] = ' ';
            space = 1;
        } else {
            out[j++] = (char)c;
            space = 0;
        }
    }
    while (j > 0 && out[j - 1] == ' ')
        j--;
    out[j] = '\0';
    return out;
}

/* ---- article, capitalisation, plural ---- */

const char *avk_article(const char *phrase)
{
    char w[16];
    size_t n = 0, i;
    int upper = 1;

    while (*phrase && !isalnum((unsigned char)*phrase) &&
           (unsigned char)*phrase < 0x80)
        phrase++;
    while (phrase[n] && isalnum((unsigned char)phrase[n]) && n < 15) {
        w[n] = phrase[n];
        n++;
    }
    w[n] = '\0';
    if (n == 0)
        return "a";
    if (isdigit((unsigned char)w[0])) {
        size_t d = strspn(w, "0123456789");
        if (w[0] == '8')
            return "an";
        if ((strncmp(w, "11", 2) == 0 || strncmp(w, "18", 2) == 0) &&
            (d == 2 || d == 5 || d == 8))
            return "an";
        return "a";
    }
    for (i = 0; i < n; i++)
        if (!isupper((unsigned char)w[i]))
            upper = 0;
    if (upper && n >= 2 && n <= 5)
        return strchr("AEFHILMNORSX", w[0]) ? "an" : "a";
    for (i = 0; i < n; i++)
        w[i] = (char)tolower((unsigned char)w[i]);
    {
        static const char *const a_words[] = {
            "uni", "use", "usu",  "uti", "ura", "ure", "uro", "eu",
            "ewe", "one", "once", "ubi", "uk",  "usa", NULL};
        static const char *const an_words[] = {"hour",   "honest", "honor",
                                               "honour", "heir",   NULL};
        const char *const *p;
        for (p = a_words; *p; p++)
            if (strncmp(w, *p, strlen(*p)) == 0)
                return "a";
        for (p = an_words; *p; p++)
            if (strncmp(w, *p, strlen(*p)) == 0)
                return "an";
    }
    return strchr("aeiou", w[0]) ? "an" : "a";
}

char *avk_capitalise(const char *s)
{
    size_t n = strlen(s), i = 0, k;
    char *out = dupn(s, n);

    if (!out)
        return NULL;
    /* skip opening punctuation: quotes, brackets, ¿ ¡ */
    while (i < n) {
        unsigned char c = (unsigned char)out[i];
        if (c == '"' || c == '\'' || c == '(' || c == '[' || c == '*')
            i++;
        else if (c == 0xC2 && i + 1 < n &&
                 ((unsigned char)out[i + 1] == 0xBF ||
                  (unsigned char)out[i + 1] == 0xA1 ||
                  (unsigned char)out[i + 1] == 0xAB))
            i += 2;
        else
            break;
    }
    if (i >= n)
        return out;
    /* leave a word with inner capitals alone (iPhone, eBay) */
    for (k = i + 1; k < n && out[k] != ' '; k++)
        if (isupper((unsigned char)out[k]))
            return out;
    if (islower((unsigned char)out[i]))
        out[i] = (char)toupper((unsigned char)out[i]);
    else if ((unsigned char)out[i] == 0xC3 && i + 1 < n) {
        unsigned char c = (unsigned char)out[i + 1];
        if (c >= 0xA0 && c <= 0xBE && c != 0xB7)
            out[i + 1] = (char)(c - 0x20);
    }
    return out;
}

char *avk_lower_lead(const char *lang, const char *s)
{
    size_t n = strcspn(s, " "), k;
    char *out = dupn(s, strlen(s));

    if (!out || n == 0 || n > 12 || !isupper((unsigned char)s[0]))
        return out;
    for (k = 1; k < n; k++)
        if (!islower((unsigned char)s[k]) && s[k] != '\'')
            return out; /* "NASA", "McDonald's", digits: leave it */
    if (in_list(lang_or_en(lang)->stop, s, n))
        out[0] = (char)tolower((unsigned char)out[0]);
    return out;
}

char *avk_singular(const char *lang, const char *word)
{
    size_t n = strlen(word);
    const struct lang_tab *t = lang_or_en(lang);

    if (strcmp(t->code, "es") == 0) {
        if (n > 4 && ends_ci(word, n, "ones")) {
            /* canciones -> canción, razones -> razón */
            char *out = malloc(n + 2);
            if (!out)
                return NULL;
            memcpy(out, word, n - 4);
            memcpy(out + n - 4, "\xC3\xB3n", 4);
            return out;
        }
        if (n > 4 && ends_ci(word, n, "ces")) {
            char *out = dupn(word, n - 2);
            if (out)
                out[n - 3] = 'z';
            return out;
        }
        if (n > 3 && ends_ci(word, n, "es") &&
            strchr("rndjly", tolower((unsigned char)word[n - 3])) &&
            strchr("aeiou", tolower((unsigned char)word[n - 4])))
            return dupn(word, n - 2);
        if (n > 2 && (word[n - 1] == 's' || word[n - 1] == 'S'))
            return dupn(word, n - 1);
        return dupn(word, n);
    }
    {
        static const char *const irregular[][2] = {
            {"people", "person"},   {"men", "man"},
            {"women", "woman"},     {"children", "child"},
            {"feet", "foot"},       {"teeth", "tooth"},
            {"mice", "mouse"},      {"geese", "goose"},
            {"lives", "life"},      {"knives", "knife"},
            {"wives", "wife"},      {"leaves", "leaf"},
            {"halves", "half"},     {"series", "series"},
            {"species", "species"}, {"news", "news"},
            {"movies", "movie"},    {"cookies", "cookie"},
            {"shoes", "shoe"},      {"analyses", "analysis"},
            {"crises", "crisis"},   {"data", "data"}};
        size_t i;
        for (i = 0; i < sizeof irregular / sizeof irregular[0]; i++)
            if (strcasecmp(word, irregular[i][0]) == 0)
                return dupn(irregular[i][1], strlen(irregular[i][1]));
    }
    if (n > 4 && ends_ci(word, n, "ies")) {
        char *out = dupn(word, n - 2);
        if (out)
            out[n - 3] = 'y';
        return out;
    }
    if (n > 4 && (ends_ci(word, n, "sses") || ends_ci(word, n, "shes") ||
                  ends_ci(word, n, "ches") || ends_ci(word, n, "xes") ||
                  ends_ci(word, n, "zzes")))
        return dupn(word, n - 2);
    if (n > 2 && (word[n - 1] == 's' || word[n - 1] == 'S') &&
        !ends_ci(word, n, "ss") && !ends_ci(word, n, "us") &&
        !ends_ci(word, n, "is"))
        return dupn(word, n - 1);
    return dupn(word, n);
}

/* ---- counting ---- */

size_t avk_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Does the UTF-8 character at p (len bytes) carry meaning when spoken?
 * General punctuation, ¿ ¡ « » and emoji do not. */
static int spoken_char(const unsigned char *p, size_t len)
{
    if (len == 1)
        return isalnum(p[0]);
    if (len == 2 && p[0] == 0xC2)
        return 0;
    if (len == 3 && p[0] == 0xE2 && (p[1] == 0x80 || p[1] == 0x81))
        return 0;
    if (len == 4 && p[0] == 0xF0 && p[1] == 0x9F)
        return 0; /* emoji and pictographs */
    if (len == 3 && p[0] == 0xE2 && p[1] >= 0x98 && p[1] <= 0x9E)
        return 0; /* dingbats and misc symbols */
    return 1;
}

static size_t utf8_clen(unsigned char c);

/* Length of the character at p, never past the string's end (a broken
 * sequence counts as one byte). */
static size_t clen_at(const unsigned char *p)
{
    size_t k = utf8_clen(*p), j;
    for (j = 1; j < k; j++)
        if ((p[j] & 0xC0) != 0x80)
            return 1;
    return k;
}

static size_t utf8_clen(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0)
        return 2;
    if ((c & 0xF0) == 0xE0)
        return 3;
    if ((c & 0xF8) == 0xF0)
        return 4;
    return 1;
}

int avk_count_words(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    int words = 0, in = 0, spoken = 0;

    for (;;) {
        if (*p == '\0' || isspace(*p)) {
            if (in && spoken)
                words++;
            in = spoken = 0;
            if (*p == '\0')
                break;
            p++;
            continue;
        }
        {
            size_t k = utf8_clen(*p), j;
            for (j = 1; j < k; j++)
                if (p[j] == '\0')
                    k = j;
            in = 1;
            if (spoken_char(p, k))
                spoken = 1;
            p += k;
        }
    }
    return words;
}

/* ---- topic parsing ---- */

void avk_topic_release(avk_topic *t)
{
    free(t->topic);
    free(t->subject);
    free(t->things);
    free(t->thing);
    free(t->goal);
    free(t->audience);
    memset(t, 0, sizeof *t);
}

static int set_str(char **dst, const char *s, size_t n)
{
    char *p = trim_phrase(s, n);
    if (!p)
        return AVK_EX_OSERR;
    free(*dst);
    *dst = p;
    return 0;
}

/* The count at the start of the topic: digits 1..99 or a number word
 * 1..20.  Returns it and sets *len to its length, or 0. */
static int leading_count(const struct lang_tab *t, const char *s, size_t *len)
{
    size_t n = strspn(s, "0123456789");
    int i;

    if (n > 0 && n <= 2 && s[n] == ' ') {
        int v = atoi(s);
        *len = n;
        return v >= 1 ? v : 0;
    }
    if (n > 0)
        return 0;
    n = strcspn(s, " ");
    if (s[n] != ' ')
        return 0;
    for (i = 1; i <= 20; i++)
        if (strlen(t->numbers[i]) == n &&
            strncasecmp(s, t->numbers[i], n) == 0) {
            *len = n;
            return i;
        }
    if (strcmp(t->code, "es") == 0 && n == 3 && strncasecmp(s, "una", 3) == 0) {
        *len = n;
        return 1;
    }
    return 0;
}

static int parse_count(avk_topic *tp, const struct lang_tab *t)
{
    const char *s = tp->topic, *p, *phrase, *end;
    size_t len = 0, wn;
    int count = leading_count(t, s, &len);
    const char *head;
    size_t headn;
    char *sing;
    int rc;

    if (count == 0)
        return 0;
    phrase = s + len + 1;
    /* the counted phrase runs to the first connector word */
    p = phrase;
    end = phrase + strlen(phrase);
    while (*p) {
        wn = strcspn(p, " ");
        if (p != phrase && in_list(t->connectors, p, wn)) {
            end = p - 1;
            break;
        }
        p += wn;
        while (*p == ' ')
            p++;
    }
    if (end <= phrase)
        return 0;
    if (t->head_first) {
        head = phrase;
        headn = strcspn(phrase, " ");
        if (head + headn > end)
            headn = (size_t)(end - head);
    } else {
        head = end;
        while (head > phrase && head[-1] != ' ')
            head--;
        headn = (size_t)(end - head);
    }
    /* strip punctuation glued to the head noun ("habits:") */
    while (headn > 0 && strchr(":,;.!?", head[headn - 1]))
        headn--;
    if (headn == 0)
        return 0;
    tp->count = count;
    tp->flags |= AVK_TOPIC_COUNT;
    if ((rc = set_str(&tp->things, phrase, (size_t)(end - phrase))) != 0)
        return rc;
    {
        char *hw = dupn(head, headn);
        if (!hw)
            return AVK_EX_OSERR;
        sing = avk_singular(t->code, hw);
        free(hw);
        if (!sing)
            return AVK_EX_OSERR;
        free(tp->thing);
        tp->thing = sing;
    }
    if ((rc = set_str(&tp->subject, phrase, strlen(phrase))) != 0)
        return rc;
    /* "5 myths about sleep": a myth topic about "sleep" */
    if (in_list(t->myth_nouns, head, headn) && *end == ' ') {
        const char *const *q;
        for (q = t->myth_preps; *q; q++)
            if (starts_ci(end + 1, *q)) {
                tp->flags |= AVK_TOPIC_MYTH;
                return set_str(&tp->subject, end + 1 + strlen(*q),
                               strlen(end + 1 + strlen(*q)));
            }
    }
    /* "5 ways to save money": a goal */
    if (*end == ' ') {
        const char *to = strcmp(t->code, "es") == 0 ? "para " : "to ";
        if (starts_ci(end + 1, to) && strlen(end + 1) > strlen(to))
            return set_str(&tp->goal, end + 1 + strlen(to),
                           strlen(end + 1 + strlen(to)));
    }
    return 0;
}

int avk_topic_parse(avk_topic *tp, const char *topic, const char *lang,
                    avk_err *err)
{
    const struct lang_tab *t = lang_or_en(lang);
    const char *const *q;
    const char *s;
    size_t n;

    memset(tp, 0, sizeof *tp);
    tp->topic = normalise_space(topic ? topic : "");
    tp->subject = strdup("");
    tp->things = strdup("");
    tp->thing = strdup("");
    tp->goal = strdup("");
    tp->audience = strdup("");
    if (!tp->topic || !tp->subject || !tp->things || !tp->thing || !tp->goal ||
        !tp->audience)
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    if (tp->topic[0] == '\0')
        return avk_fail(err, AVK_EX_DATAERR, "the topic is empty");
    s = tp->topic;
    n = strlen(s);
    if (set_str(&tp->subject, s, n) != 0)
        goto oom;
    for (q = t->howto; *q; q++)
        if (starts_ci(s, *q) && n > strlen(*q)) {
            tp->flags |= AVK_TOPIC_HOWTO;
            if (set_str(&tp->goal, s + strlen(*q), n - strlen(*q)) ||
                set_str(&tp->subject, s + strlen(*q), n - strlen(*q)))
                goto oom;
            break;
        }
    for (q = t->myth_pre; !(tp->flags & AVK_TOPIC_HOWTO) && *q; q++)
        if (starts_ci(s, *q) && n > strlen(*q)) {
            tp->flags |= AVK_TOPIC_MYTH;
            if (set_str(&tp->subject, s + strlen(*q), n - strlen(*q)))
                goto oom;
            break;
        }
    for (q = t->myth_suf;
         !(tp->flags & (AVK_TOPIC_HOWTO | AVK_TOPIC_MYTH)) && *q; q++)
        if (ends_ci(s, n, *q) && n > strlen(*q)) {
            tp->flags |= AVK_TOPIC_MYTH;
            if (set_str(&tp->subject, s, n - strlen(*q)))
                goto oom;
            break;
        }
    for (q = t->story_pre;
         !(tp->flags & (AVK_TOPIC_HOWTO | AVK_TOPIC_MYTH)) && *q; q++)
        if (starts_ci(s, *q) && n > strlen(*q)) {
            tp->flags |= AVK_TOPIC_STORY;
            if (set_str(&tp->subject, s + strlen(*q), n - strlen(*q)))
                goto oom;
            break;
        }
    if (!(tp->flags & (AVK_TOPIC_HOWTO | AVK_TOPIC_MYTH | AVK_TOPIC_STORY)) &&
        parse_count(tp, t) != 0)
        goto oom;
    /* "... for beginners" */
    {
        const char *p = NULL, *x = s;
        while ((x = strstr(x, t->audience_prep)) != NULL) {
            p = x;
            x++;
        }
        if (p) {
            const char *who = p + strlen(t->audience_prep);
            char *w = trim_phrase(who, strlen(who));
            if (!w)
                goto oom;
            if (in_list(t->audiences, w, strlen(w))) {
                free(tp->audience);
                tp->audience = w;
            } else
                free(w);
        }
    }
    if (tp->subject[0] == '\0') { /* all punctuation: "?" stays "?" */
        char *whole = dupn(s, n);
        if (!whole)
            goto oom;
        free(tp->subject);
        tp->subject = whole;
    }
    return 0;
oom:
    return avk_fail(err, AVK_EX_OSERR, "out of memory");
}

/* ---- keywords ---- */

struct kw_tok {
    const char *p; /* start in text */
    size_t n;
    int content;
    int brk;  /* a break (punctuation) precedes this token */
    int keep; /* keep the original case */
    int hint; /* occurs in the hint */
};

static int is_word_byte(const unsigned char *p)
{
    if (*p >= 0x80) {
        size_t k = clen_at(p);
        return spoken_char(p, k);
    }
    return isalnum(*p) || *p == '\'' || *p == '-';
}

static int word_in(const char *hint, const char *w, size_t n)
{
    const char *f;

    if (!hint)
        return 0;
    for (f = hint; *f; f++) {
        if (f != hint && is_word_byte((const unsigned char *)f - 1))
            continue;
        if (strncasecmp(f, w, n) != 0)
            continue;
        if (is_word_byte((const unsigned char *)f + n))
            continue;
        return 1;
    }
    return 0;
}

static char *kw_form(const struct kw_tok *a, const struct kw_tok *b)
{
    avk_buf out;
    const struct kw_tok *t[2];
    int k, i;

    t[0] = a;
    t[1] = b;
    avk_buf_init(&out);
    for (k = 0; k < 2 && t[k]; k++) {
        if (k > 0 && avk_buf_addc(&out, ' ') != 0)
            goto oom;
        if (avk_buf_add(&out, t[k]->p, t[k]->n) != 0)
            goto oom;
        if (!t[k]->keep)
            for (i = (int)(out.len - t[k]->n); i < (int)out.len; i++)
                out.data[i] = (char)tolower((unsigned char)out.data[i]);
    }
    return avk_buf_detach(&out);
oom:
    avk_buf_release(&out);
    return NULL;
}

int avk_keywords(const char *lang, const char *text, const char *hint,
                 char **out, int max)
{
    struct kw_tok *tok = NULL;
    struct cand {
        int a, b; /* token indexes, b = -1 for one word */
        int score;
    } *cand = NULL;
    size_t ntok = 0, cap = 0, nc = 0, i, j;
    const unsigned char *p = (const unsigned char *)text;
    int brk = 1, sentence_start = 1, got = 0;
    char word[64];

    while (*p) {
        if (!is_word_byte(p)) {
            if (strchr(".!?:;,()\"", *p) || *p >= 0x80)
                brk = 1;
            if (strchr(".!?:", *p))
                sentence_start = 1;
            p += clen_at(p);
            continue;
        }
        {
            const unsigned char *s = p;
            size_t n, k;
            int upper = 0, alpha = 0, inner_upper = 0;
            while (*p && is_word_byte(p))
                p += clen_at(p);
            n = (size_t)(p - s);
            while (n > 0 && (s[0] == '\'' || s[0] == '-')) {
                s++;
                n--;
            }
            while (n > 0 && (s[n - 1] == '\'' || s[n - 1] == '-'))
                n--;
            if (n == 0)
                continue;
            if (ntok == cap) {
                size_t nc2 = cap ? cap * 2 : 32;
                struct kw_tok *t2 = realloc(tok, nc2 * sizeof *t2);
                if (!t2)
                    goto oom;
                tok = t2;
                cap = nc2;
            }
            for (k = 0; k < n; k++) {
                if (isupper(s[k])) {
                    upper++;
                    if (k > 0)
                        inner_upper = 1;
                }
                if (isalpha(s[k]) || s[k] >= 0x80)
                    alpha++;
            }
            tok[ntok].p = (const char *)s;
            tok[ntok].n = n;
            tok[ntok].brk = brk;
            tok[ntok].keep = inner_upper || (upper > 0 && !sentence_start);
            if (n < sizeof word) {
                memcpy(word, s, n);
                word[n] = '\0';
                /* "else's" is as empty as "else" */
                if (n > 2 && strcmp(word + n - 2, "'s") == 0)
                    word[n - 2] = '\0';
            } else
                word[0] = '\0';
            tok[ntok].content = alpha > 0 && avk_utf8_len(word) >= 3 &&
                                !avk_is_stop_word(lang, word);
            tok[ntok].hint =
                tok[ntok].content && word_in(hint, (const char *)s, n);
            ntok++;
            brk = 0;
            sentence_start = 0;
        }
    }
    cand = calloc(ntok * 2 + 1, sizeof *cand);
    if (!cand)
        goto oom;
    for (i = 0; i < ntok; i++) {
        int pair;
        if (!tok[i].content)
            continue;
        pair = i + 1 < ntok && tok[i + 1].content && !tok[i + 1].brk;
        if (pair) {
            cand[nc].a = (int)i;
            cand[nc].b = (int)i + 1;
            cand[nc].score = 40 + 10 * (tok[i].hint + tok[i + 1].hint);
            nc++;
        }
        cand[nc].a = (int)i;
        cand[nc].b = -1;
        cand[nc].score = 20 + 10 * tok[i].hint + (tok[i].n >= 6 ? 5 : 0);
        nc++;
    }
    /* stable selection: best score first, earlier text on ties */
    while (got < max) {
        int best = -1;
        for (i = 0; i < nc; i++) {
            if (cand[i].score < 0)
                continue;
            if (best < 0 || cand[i].score > cand[best].score)
                best = (int)i;
        }
        if (best < 0)
            break;
        {
            char *kw = kw_form(&tok[cand[best].a],
                               cand[best].b >= 0 ? &tok[cand[best].b] : NULL);
            int dup = 0;
            if (!kw)
                goto oom;
            for (j = 0; j < (size_t)got; j++)
                if (strcasecmp(out[j], kw) == 0)
                    dup = 1;
            if (dup)
                free(kw);
            else
                out[got++] = kw;
        }
        /* words already used cannot appear again */
        {
            int a = cand[best].a, b = cand[best].b;
            for (i = 0; i < nc; i++)
                if (cand[i].a == a || cand[i].b == a ||
                    (b >= 0 && (cand[i].a == b || cand[i].b == b)))
                    cand[i].score = -1;
            /* the same word elsewhere in the text */
            for (i = 0; i < nc; i++) {
                const struct kw_tok *x = &tok[cand[i].a];
                const struct kw_tok *y =
                    cand[i].b >= 0 ? &tok[cand[i].b] : NULL;
                const struct kw_tok *u = &tok[a];
                const struct kw_tok *v = b >= 0 ? &tok[b] : NULL;
                if (cand[i].score < 0)
                    continue;
                if ((x->n == u->n && strncasecmp(x->p, u->p, u->n) == 0) ||
                    (v && x->n == v->n && strncasecmp(x->p, v->p, v->n) == 0) ||
                    (y && y->n == u->n && strncasecmp(y->p, u->p, u->n) == 0) ||
                    (y && v && y->n == v->n &&
                     strncasecmp(y->p, v->p, v->n) == 0))
                    cand[i].score = -1;
            }
        }
    }
    free(cand);
    free(tok);
    return got;
oom:
    while (got > 0)
        free(out[--got]);
    free(cand);
    free(tok);
    return -1;
}
