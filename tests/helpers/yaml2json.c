/*
 * yaml2json - print a YAML file as one line of JSON, read with the
 * project's libyaml loader (lib/yamljson), so that shell tests can check
 * YAML files such as examples/k8s-indexed-job.yaml without python3-yaml.
 *
 *   yaml2json FILE
 *
 * Exit 0 and the JSON on stdout; the loader's exit code and its message
 * on stderr when FILE is missing or is not YAML the loader takes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "yamljson.h"

int main(int argc, char **argv)
{
    avk_err err = {0, ""};
    json_t *doc = NULL;
    char *text;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: yaml2json FILE\n");
        return 64;
    }
    if ((rc = avk_yaml_load_file(argv[1], &doc, &err))) {
        fprintf(stderr, "yaml2json: %s\n", err.msg);
        return rc;
    }
    text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(doc);
    if (!text) {
        fprintf(stderr, "yaml2json: out of memory\n");
        return 71;
    }
    puts(text);
    free(text);
    return 0;
}
