/*
 * yamljson.h - load a YAML document (libyaml) as a jansson tree.
 *
 * Mappings become objects, sequences arrays.  Plain (unquoted) scalars
 * that read as integers, reals, true/false or null become those JSON
 * types; everything else, and every quoted scalar, is a string.  Anchors
 * and aliases are refused (no billion-laughs expansion); only the first
 * document of a stream is read.
 */
#ifndef AVK_YAMLJSON_H
#define AVK_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

int avk_yaml_load_mem(const char *data, size_t len, const char *name,
                      json_t **out, avk_err *err);
const char *avk_yaml_lib_version(void);
int avk_yaml_load_file(const char *path, json_t **out, avk_err *err);

#endif
