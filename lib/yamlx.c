/*
 * yamlx.c - YAML text to a jansson tree (see yamlx.h).
 *
 * A stack of open containers follows libyaml's event stream.  Invariant:
 * every stack entry holds one reference to its container, and a mapping
 * entry holds the pending key (or NULL) until its value arrives; whatever
 * is on the stack is released on every error path.
 */
#include "yamlx.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "buf.h"
#include "fsutil.h"

#define MAX_DEPTH 64

struct frame {
    json_t *node;
    char *key; /* mapping only: key waiting for its value */
};

struct loader {
    struct frame stack[MAX_DEPTH];
    int depth;
    json_t *root;
    const char *name;
};

static void loader_release(struct loader *l)
{
    while (l->depth > 0) {
        l->depth--;
        json_decref(l->stack[l->depth].node);
        free(l->stack[l->depth].key);
    }
    json_decref(l->root);
    l->root = NULL;
}

/* Attach a finished value (stolen) to the current container or make it
 * the root. */
static int attach(struct loader *l, json_t *v, const yaml_event_t *ev,
                  avk_err *err)
{
    struct frame *f;
    size_t line = ev->start_mark.line + 1;

    if (!v)
        return avk_fail(err, AVK_EX_OSERR, "%s: out of memory", l->name);
    if (l->depth == 0) {
        l->root = v;
        return 0;
    }
    f = &l->stack[l->depth - 1];
    if (json_is_array(f->node)) {
        if (json_array_append_new(f->node, v) != 0)
            return avk_fail(err, AVK_EX_OSERR, "%s: out of memory", l->name);
        return 0;
    }
    if (!f->key) {
        if (!json_is_string(v)) {
            json_decref(v);
            return avk_fail(err, AVK_EX_DATAERR,
                            "%s: line %zu: a key must be a plain scalar",
                            l->name, line);
        }
        f->key = strdup(json_string_value(v));
        json_decref(v);
        if (!f->key)
            return avk_fail(err, AVK_EX_OSERR, "%s: out of memory", l->name);
        if (json_object_get(f->node, f->key))
            return avk_fail(err, AVK_EX_DATAERR,
                            "%s: line %zu: duplicate key '%s'", l->name, line,
                            f->key);
        return 0;
    }
    if (json_object_set_new(f->node, f->key, v) != 0)
        return avk_fail(err, AVK_EX_OSERR, "%s: out of memory", l->name);
    free(f->key);
    f->key = NULL;
    return 0;
}

static int push(struct loader *l, json_t *node, const yaml_event_t *ev,
                avk_err *err)
{
    if (!node)
        return avk_fail(err, AVK_EX_OSERR, "%s: out of memory", l->name);
    if (l->depth == MAX_DEPTH) {
        json_decref(node);
        return avk_fail(err, AVK_EX_DATAERR, "%s: line %zu: nested too deeply",
                        l->name, (size_t)ev->start_mark.line + 1);
    }
    if (l->depth > 0 && json_is_object(l->stack[l->depth - 1].node) &&
        !l->stack[l->depth - 1].key) {
        json_decref(node);
        return avk_fail(err, AVK_EX_DATAERR,
                        "%s: line %zu: a key must be a plain scalar", l->name,
                        (size_t)ev->start_mark.line + 1);
    }
    l->stack[l->depth].node = node;
    l->stack[l->depth].key = NULL;
    l->depth++;
    return 0;
}

static int pop(struct loader *l, const yaml_event_t *ev, avk_err *err)
{
    json_t *node;

    l->depth--;
    node = l->stack[l->depth].node;
    free(l->stack[l->depth].key); /* NULL for a well-formed stream */
    l->stack[l->depth].key = NULL;
    return attach(l, node, ev, err);
}

int avk_yaml_parse(const char *text, size_t len, const char *name,
                   json_t **out, avk_err *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct loader l;
    int rc = 0, done = 0;

    *out = NULL;
    memset(&l, 0, sizeof l);
    l.name = name ? name : "<yaml>";
    if (!yaml_parser_initialize(&parser))
        return avk_fail(err, AVK_EX_OSERR, "%s: out of memory", l.name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = avk_fail(err, AVK_EX_DATAERR, "%s: line %zu: %s", l.name,
                          (size_t)parser.problem_mark.line + 1,
                          parser.problem ? parser.problem : "syntax error");
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_END_EVENT:
            done = 1; /* only the first document */
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_MAPPING_START_EVENT:
            rc = push(&l, json_object(), &ev, err);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = push(&l, json_array(), &ev, err);
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            rc = pop(&l, &ev, err);
            break;
        case YAML_SCALAR_EVENT:
            rc = attach(&l,
                        json_stringn((const char *)ev.data.scalar.value,
                                     ev.data.scalar.length),
                        &ev, err);
            break;
        case YAML_ALIAS_EVENT:
            rc = avk_fail(err, AVK_EX_DATAERR,
                          "%s: line %zu: aliases are not supported", l.name,
                          (size_t)ev.start_mark.line + 1);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc != 0) {
        loader_release(&l);
        return rc;
    }
    *out = l.root ? l.root : json_null();
    return 0;
}

int avk_yaml_load_file(const char *path, json_t **out, avk_err *err)
{
    avk_buf b;
    int rc;

    *out = NULL;
    avk_buf_init(&b);
    rc = avk_read_file(path, &b, err);
    if (rc == 0)
        rc = avk_yaml_parse(b.data ? b.data : "", b.len, path, out, err);
    avk_buf_release(&b);
    return rc;
}
