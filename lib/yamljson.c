/*
 * yamljson.c - YAML to JSON tree through libyaml's event parser.
 */
#include "yamljson.h"
#include "buf.h"
#include "fsutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64

static json_t *scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    char *end;

    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || len == 0)
        return len == 0 && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
                   ? json_null()
                   : json_stringn(v, len);
    if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "yes"))
        return json_true();
    if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "no"))
        return json_false();
    if (!strcmp(v, "null") || !strcmp(v, "~"))
        return json_null();
    errno = 0;
    {
        long long i = strtoll(v, &end, 10);
        if (!errno && end != v && *end == '\0')
            return json_integer(i);
    }
    errno = 0;
    {
        double d = strtod(v, &end);
        if (!errno && end != v && *end == '\0' && isfinite(d) &&
            strspn(v, "+-0123456789.eE") == len)
            return json_real(d);
    }
    return json_stringn(v, len);
}

typedef struct frame {
    json_t *node;
    char *key; /* pending key inside a mapping */
} frame;

static int fail_at(avk_err *err, const char *name, const yaml_mark_t *m,
                   const char *what)
{
    return avk_fail(err, AVK_EX_DATAERR, "%s:%zu:%zu: %s", name,
                    m->line + 1, m->column + 1, what);
}

/* Attach child to the frame on top; consumes child. */
static int attach(frame *top, json_t *child)
{
    int rc;

    if (json_is_array(top->node))
        return json_array_append_new(top->node, child) ? -1 : 0;
    rc = json_object_set_new(top->node, top->key, child) ? -1 : 0;
    free(top->key);
    top->key = NULL;
    return rc;
}

int avk_yaml_load_mem(const char *data, size_t len, const char *name,
                      json_t **out, avk_err *err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    frame st[MAX_DEPTH];
    int depth = 0, rc = 0, done = 0;
    json_t *root = NULL;

    *out = NULL;
    if (!yaml_parser_initialize(&p))
        return avk_fail(err, AVK_EX_OSERR, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    while (!done && rc == 0) {
        json_t *node = NULL;

        if (!yaml_parser_parse(&p, &ev)) {
            rc = fail_at(err, name, &p.problem_mark,
                         p.problem ? p.problem : "invalid YAML");
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_ALIAS_EVENT:
            rc = fail_at(err, name, &ev.start_mark,
                         "aliases are not supported");
            break;
        case YAML_SCALAR_EVENT:
            if (ev.data.scalar.anchor) {
                rc = fail_at(err, name, &ev.start_mark,
                             "anchors are not supported");
                break;
            }
            if (depth > 0 && json_is_object(st[depth - 1].node) &&
                !st[depth - 1].key) {
                st[depth - 1].key = strndup((const char *)ev.data.scalar.value,
                                            ev.data.scalar.length);
                if (!st[depth - 1].key)
                    rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                break;
            }
            node = scalar(&ev);
            if (!node)
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            else if (depth == 0)
                root = node;
            else if (attach(&st[depth - 1], node))
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth > 0 && json_is_object(st[depth - 1].node) &&
                !st[depth - 1].key) {
                rc = fail_at(err, name, &ev.start_mark,
                             "only scalar mapping keys are supported");
                break;
            }
            if (depth == MAX_DEPTH) {
                rc = fail_at(err, name, &ev.start_mark, "nested too deeply");
                break;
            }
            node = ev.type == YAML_MAPPING_START_EVENT ? json_object()
                                                       : json_array();
            if (!node) {
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
                break;
            }
            st[depth].node = node;
            st[depth].key = NULL;
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (depth == 0) {
                rc = fail_at(err, name, &ev.start_mark, "unbalanced YAML");
                break;
            }
            depth--;
            node = st[depth].node;
            free(st[depth].key);
            if (depth == 0)
                root = node;
            else if (attach(&st[depth - 1], node))
                rc = avk_fail(err, AVK_EX_OSERR, "out of memory");
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    while (depth > 0) {
        depth--;
        free(st[depth].key);
        json_decref(st[depth].node);
    }
    if (rc) {
        json_decref(root);
        return rc;
    }
    *out = root ? root : json_object();
    return 0;
}

int avk_yaml_load_file(const char *path, json_t **out, avk_err *err)
{
    avk_buf b;
    int rc;

    avk_buf_init(&b);
    rc = avk_read_file(path, &b, err);
    if (rc == 0)
        rc = avk_yaml_load_mem(b.data ? b.data : "", b.len, path, out, err);
    avk_buf_release(&b);
    return rc;
}

const char *avk_yaml_lib_version(void)
{
    return yaml_get_version_string();
}
