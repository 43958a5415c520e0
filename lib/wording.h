/*
 * wording.h - small language helpers for the offline script writer:
 * per-language tables (number words, ordinals, stop words, speaking
 * rate), topic parsing, a/an, capitalisation, singular nouns, word
 * counting and keyword extraction.
 *
 * Every function takes UTF-8 and returns UTF-8; text it does not
 * understand (emoji, right-to-left scripts, punctuation) passes through
 * byte for byte.  Nothing here allocates hidden state: returned strings
 * are new heap strings the caller frees, tables are static constants.
 */
#ifndef AVK_WORDING_H
#define AVK_WORDING_H

#include <stddef.h>

#include "err.h"

/* What a topic looks like, as parsed by avk_topic_parse. */
enum {
    AVK_TOPIC_COUNT = 1 << 0, /* starts with a count: "5 habits of ..." */
    AVK_TOPIC_HOWTO = 1 << 1, /* "how to ...": goal is set */
    AVK_TOPIC_MYTH = 1 << 2,  /* "myths about ...", "... myths" */
    AVK_TOPIC_STORY = 1 << 3  /* "the story of ...", "my journey ..." */
};

typedef struct avk_topic {
    char *topic;    /* trimmed, single-spaced */
    char *subject;  /* what it is about: "habits of productive people" */
    char *things;   /* the counted noun phrase: "habits" ("" if none) */
    char *thing;    /* its head noun, singular: "habit" ("" if none) */
    char *goal;     /* how-to goal: "save money" ("" if none) */
    char *audience; /* "beginners" in "... for beginners" ("" if none) */
    int count;      /* the leading count, 0 when none */
    unsigned flags; /* AVK_TOPIC_* */
} avk_topic;

/* Language code ("en", "es"; "en-US" counts as "en") known to the
 * tables?  Returns the canonical code or NULL. */
const char *avk_lang_canon(const char *lang);
/* Typical speaking rate in words per minute (150 for English). */
double avk_lang_wpm(const char *lang);
/* Number word ("five", "cinco") for 0..20, else NULL. */
const char *avk_number_word(const char *lang, int n);
/* Ordinal word ("first", "primero") for 1..20, else NULL. */
const char *avk_ordinal_word(const char *lang, int n);
/* Stop word (case-insensitive ASCII)? */
int avk_is_stop_word(const char *lang, const char *word);

/* Parse a topic.  Fills *t (caller releases with avk_topic_release even
 * on failure); fails with AVK_EX_DATAERR for an empty topic or
 * AVK_EX_OSERR. */
int avk_topic_parse(avk_topic *t, const char *topic, const char *lang,
                    avk_err *err);
void avk_topic_release(avk_topic *t);

/* "a" or "an" for an English phrase ("an hour", "a user", "an 8"). */
const char *avk_article(const char *phrase);
/* Copy with the first letter upper-cased, unless the first word already
 * mixes cases ("iPhone").  NULL when out of memory. */
char *avk_capitalise(const char *s);
/* Copy for use inside a sentence: "The story of X" -> "the story of X"
 * when the first word is a capitalised function word of the language
 * ("The", "How", "My", "La"); anything else (names, "iPhone", "NASA")
 * is left alone.  NULL when out of memory. */
char *avk_lower_lead(const char *lang, const char *s);
/* English or Spanish singular of one plural word; a new string. */
char *avk_singular(const char *lang, const char *word);
/* Number of spoken words: tokens with a letter or digit in them. */
int avk_count_words(const char *text);
/* Count of Unicode code points in UTF-8 text. */
size_t avk_utf8_len(const char *s);

/* Up to max keywords (1-2 word phrases, stop words removed, most useful
 * first) from text, preferring words that also occur in hint (may be
 * NULL).  Fills out[] with new strings and returns how many, or -1 when
 * out of memory (nothing is left allocated). */
int avk_keywords(const char *lang, const char *text, const char *hint,
                 char **out, int max);

#endif
