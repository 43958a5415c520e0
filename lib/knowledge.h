/*
 * knowledge.h - topic knowledge packs for the offline script writer.
 *
 * A pack (share/templates/knowledge/README.md describes the YAML) holds
 * concrete, named points about one niche - productivity habits, sleep,
 * saving money - in one language: `items` (tips, each a short name and a
 * sentence or two), optional ordered `steps`, and optional `myths` (a
 * myth and its fact).  The script writer fills a format's item slots
 * from the pack that best matches the topic, so a list names real
 * things instead of empty frames.
 *
 * Matching is by words: the topic and each pack's `match` (strong) and
 * `also` (weak) phrases are lower-cased, accent-folded and stemmed
 * (plural and -ing endings removed), and a phrase scores when all of its
 * stems occur in the topic in order; a pack needs at least one of its
 * `match` phrases to count at all.  A phrase several packs share
 * counts less (it is divided among them), so "save money on groceries"
 * goes to the groceries pack, not the general money one.  Ties go to the
 * pack loaded first (user folders first, then file names in order).
 *
 * Every string in a loaded pack has been checked: no braces and no '$'
 * (they would look like unfilled placeholders in a script).
 */
#ifndef AVK_KNOWLEDGE_H
#define AVK_KNOWLEDGE_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* One named point: for items and steps, name is the tip ("plan tomorrow
 * tonight"), text its first sentence, more the rest ("" when none); for
 * myths, name is the myth, text the first sentence of the fact, more the
 * rest of it.  All borrowed from the pack. */
typedef struct avk_kpoint {
    const char *name, *text, *more;
} avk_kpoint;

typedef struct avk_kpack {
    char *path;       /* the file it came from */
    const char *name; /* `pack` */
    const char *lang;
    const char *note; /* `note`: said before the call to action when
                         it fits ("talk to a doctor if ..."), or NULL */
    avk_kpoint *items, *steps, *myths;
    size_t nitems, nsteps, nmyths;
    json_t *root;  /* owns every string above */
    char **splits; /* sentence copies the points point into */
    size_t nsplits;
} avk_kpack;

typedef struct avk_kbase {
    avk_kpack *v;
    size_t n;
} avk_kbase;

/* Load every pack for language lang (NULL: all) from the directories,
 * in order; *.yaml / *.yml files with a top-level `pack` key are packs,
 * other files are skipped, missing directories add nothing.  A pack
 * whose name and language an earlier directory already gave is skipped
 * (user packs override shipped ones).  Fails with AVK_EX_CONFIG (a pack
 * that does not load or is malformed; the message names the file) or
 * AVK_EX_OSERR; kb is then empty.  Release with avk_kbase_release. */
int avk_kbase_load(avk_kbase *kb, const char *const *dirs, size_t ndirs,
                   const char *lang, avk_err *err);
void avk_kbase_release(avk_kbase *kb);

/* The pack that best matches topic, or NULL when none scores above
 * zero (or out of memory).  *score (optional) gets its score. */
const avk_kpack *avk_kbase_match(const avk_kbase *kb, const char *topic,
                                 double *score);

/* Is this parsed YAML file a knowledge pack (a top-level `pack` key)? */
int avk_kpack_is_pack(const json_t *root);

/* The stem used for matching, of one word: lower case, accents folded,
 * "habits" -> "habit", "studies" -> "study", "coding" -> "cod".  A new
 * string, NULL when out of memory. */
char *avk_kstem(const char *word);

#endif
