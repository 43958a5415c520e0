/*
 * opts.h - command-line options declared once, in a table.
 *
 * A command declares its options as an array of avk_opt ending with
 * AVK_OPT_END.  The same table parses argv (GNU style: options and
 * operands may mix, "--" ends options, --name=value, -xVALUE, -vq),
 * prints --help, and prints the machine-readable list that
 * tools/gen-completions.sh turns into bash, zsh and fish completions
 * (the hidden option --list-options).
 */
#ifndef AVK_OPTS_H
#define AVK_OPTS_H

#include <stdio.h>

#include "err.h"

enum avk_opt_kind {
    AVK_OPT_FLAG,   /* int: set to 1 */
    AVK_OPT_COUNT,  /* int: incremented */
    AVK_OPT_STR,    /* const char *: last one wins */
    AVK_OPT_INT,    /* long long */
    AVK_OPT_DOUBLE, /* double */
    AVK_OPT_LIST,   /* avk_strlist: repeatable */
    AVK_OPT_CALL    /* function called with the value (or NULL for flags) */
};

typedef struct avk_strlist {
    const char **v; /* borrowed from argv */
    size_t n;
} avk_strlist;

typedef int (*avk_opt_cb)(void *ud, const char *value, avk_err *err);

typedef struct avk_opt {
    int shortname;        /* 0 when none */
    const char *longname; /* NULL ends the table */
    int kind;
    const char *argname; /* NULL for flags */
    const char *help;
    void *dest;
    const char *complete; /* "file", "dir", "project", "a|b|c", or NULL */
    avk_opt_cb cb;        /* AVK_OPT_CALL only */
    int takes_arg;        /* AVK_OPT_CALL only */
} avk_opt;

#define AVK_OPT_END { 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, 0 }

typedef struct avk_args {
    const char **v; /* operands, borrowed from argv */
    size_t n;
    int help, version, list_options;
} avk_args;

/* Parse argv[first..argc-1] against one or more tables (NULL-terminated
 * array of tables).  Operands are collected into args (caller frees
 * args->v with avk_args_release).  Fails with AVK_EX_USAGE. */
int avk_opts_parse(const avk_opt *const *tables, int argc, char **argv,
                   int first, avk_args *args, void *cb_ud, avk_err *err);
void avk_args_release(avk_args *args);
void avk_strlist_release(avk_strlist *l);
void avk_opts_help(FILE *f, const char *usage, const char *summary,
                   const avk_opt *const *tables);
void avk_opts_list(FILE *f, const avk_opt *const *tables);

#endif
