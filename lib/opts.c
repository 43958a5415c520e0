/*
 * opts.c - table-driven option parsing, help and completion lists.
 */
#include "opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const avk_opt *find_long(const avk_opt *const *tables, const char *name,
                                size_t len)
{
    size_t t;
    const avk_opt *o;

    for (t = 0; tables[t]; t++)
        for (o = tables[t]; o->longname; o++)
            if (strlen(o->longname) == len && !strncmp(o->longname, name, len))
                return o;
    return NULL;
}

static const avk_opt *find_short(const avk_opt *const *tables, int c)
{
    size_t t;
    const avk_opt *o;

    for (t = 0; tables[t]; t++)
        for (o = tables[t]; o->longname; o++)
            if (o->shortname == c)
                return o;
    return NULL;
}

static int needs_arg(const avk_opt *o)
{
    switch (o->kind) {
    case AVK_OPT_FLAG:
    case AVK_OPT_COUNT:
        return 0;
    case AVK_OPT_CALL:
        return o->takes_arg;
    default:
        return 1;
    }
}

static int push(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc((void *)*v, (*n + 1) * sizeof **v);

    if (!nv)
        return AVK_EX_OSERR;
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

static int apply(const avk_opt *o, const char *val, void *cb_ud, avk_err *err)
{
    char *end;

    switch (o->kind) {
    case AVK_OPT_FLAG:
        *(int *)o->dest = 1;
        return 0;
    case AVK_OPT_COUNT:
        (*(int *)o->dest)++;
        return 0;
    case AVK_OPT_STR:
        *(const char **)o->dest = val;
        return 0;
    case AVK_OPT_INT: {
        long long v;
        errno = 0;
        v = strtoll(val, &end, 10);
        if (errno || end == val || *end)
            return avk_fail(err, AVK_EX_USAGE,
                            "option '--%s' needs an integer, not '%s'",
                            o->longname, val);
        *(long long *)o->dest = v;
        return 0;
    }
    case AVK_OPT_DOUBLE: {
        double v;
        errno = 0;
        v = strtod(val, &end);
        if (errno || end == val || *end)
            return avk_fail(err, AVK_EX_USAGE,
                            "option '--%s' needs a number, not '%s'",
                            o->longname, val);
        *(double *)o->dest = v;
        return 0;
    }
    case AVK_OPT_LIST: {
        avk_strlist *l = o->dest;
        if (push(&l->v, &l->n, val))
            return avk_fail(err, AVK_EX_OSERR, "out of memory");
        return 0;
    }
    case AVK_OPT_CALL:
        return o->cb(cb_ud, val, err);
    default:
        return avk_fail(err, AVK_EX_SOFTWARE, "bad option table");
    }
}

static int parse_long(const avk_opt *const *tables, int argc, char **argv,
                      int *i, avk_args *args, void *cb_ud, avk_err *err)
{
    const char *name = argv[*i] + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const avk_opt *o = find_long(tables, name, len);
    const char *val = eq ? eq + 1 : NULL;

    if (!o) {
        if (len == 4 && !strncmp(name, "help", 4)) {
            args->help = 1;
            return 0;
        }
        if (len == 7 && !strncmp(name, "version", 7)) {
            args->version = 1;
            return 0;
        }
        if (len == 12 && !strncmp(name, "list-options", 12)) {
            args->list_options = 1;
            return 0;
        }
        return avk_fail(err, AVK_EX_USAGE, "unknown option '--%.*s'",
                        (int)len, name);
    }
    if (!needs_arg(o)) {
        if (val)
            return avk_fail(err, AVK_EX_USAGE,
                            "option '--%s' takes no value", o->longname);
        return apply(o, NULL, cb_ud, err);
    }
    if (!val) {
        if (*i + 1 >= argc)
            return avk_fail(err, AVK_EX_USAGE, "option '--%s' needs a value",
                            o->longname);
        val = argv[++*i];
    }
    return apply(o, val, cb_ud, err);
}

static int parse_short(const avk_opt *const *tables, int argc, char **argv,
                       int *i, avk_args *args, void *cb_ud, avk_err *err)
{
    const char *p = argv[*i] + 1;

    for (; *p; p++) {
        const avk_opt *o = find_short(tables, (unsigned char)*p);
        int rc;

        if (!o) {
            if (*p == 'h') {
                args->help = 1;
                continue;
            }
            return avk_fail(err, AVK_EX_USAGE, "unknown option '-%c'", *p);
        }
        if (!needs_arg(o)) {
            if ((rc = apply(o, NULL, cb_ud, err)))
                return rc;
            continue;
        }
        if (p[1])
            return apply(o, p + 1, cb_ud, err);
        if (*i + 1 >= argc)
            return avk_fail(err, AVK_EX_USAGE, "option '-%c' needs a value",
                            *p);
        return apply(o, argv[++*i], cb_ud, err);
    }
    return 0;
}

int avk_opts_parse(const avk_opt *const *tables, int argc, char **argv,
                   int first, avk_args *args, void *cb_ud, avk_err *err)
{
    int i, rc, only_operands = 0;

    memset(args, 0, sizeof *args);
    for (i = first; i < argc; i++) {
        const char *a = argv[i];

        if (only_operands || a[0] != '-' || a[1] == '\0') {
            if (push(&args->v, &args->n, a))
                return avk_fail(err, AVK_EX_OSERR, "out of memory");
            continue;
        }
        if (!strcmp(a, "--")) {
            only_operands = 1;
            continue;
        }
        rc = a[1] == '-' ? parse_long(tables, argc, argv, &i, args, cb_ud, err)
                         : parse_short(tables, argc, argv, &i, args, cb_ud,
                                       err);
        if (rc)
            return rc;
    }
    return 0;
}

void avk_args_release(avk_args *args)
{
    free((void *)args->v);
    args->v = NULL;
    args->n = 0;
}

void avk_strlist_release(avk_strlist *l)
{
    free((void *)l->v);
    l->v = NULL;
    l->n = 0;
}

void avk_opts_help(FILE *f, const char *usage, const char *summary,
                   const avk_opt *const *tables)
{
    size_t t;
    const avk_opt *o;

    fprintf(f, "usage: %s\n", usage);
    if (summary)
        fprintf(f, "\n%s\n", summary);
    fprintf(f, "\noptions:\n");
    for (t = 0; tables[t]; t++) {
        for (o = tables[t]; o->longname; o++) {
            char left[64];
            if (o->shortname)
                snprintf(left, sizeof left, "-%c, --%s%s%s", o->shortname,
                         o->longname, needs_arg(o) ? " " : "",
                         needs_arg(o) ? o->argname : "");
            else
                snprintf(left, sizeof left, "    --%s%s%s", o->longname,
                         needs_arg(o) ? " " : "",
                         needs_arg(o) ? o->argname : "");
            if (strlen(left) > 26)
                fprintf(f, "  %s\n  %-26s  %s\n", left, "", o->help);
            else
                fprintf(f, "  %-26s  %s\n", left, o->help);
        }
    }
    fprintf(f, "  %-26s  %s\n  %-26s  %s\n", "-h, --help", "show this help",
            "    --version", "show the version");
}

void avk_opts_list(FILE *f, const avk_opt *const *tables)
{
    size_t t;
    const avk_opt *o;

    for (t = 0; tables[t]; t++)
        for (o = tables[t]; o->longname; o++)
            fprintf(f, "%s\t%c\t%s\t%s\t%s\n", o->longname,
                    o->shortname ? o->shortname : '-',
                    needs_arg(o) ? (o->argname ? o->argname : "ARG") : "-",
                    o->complete ? o->complete : "-", o->help);
    fprintf(f, "help\th\t-\t-\tshow this help\nversion\t-\t-\t-\tshow the version\n");
}
