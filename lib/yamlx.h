/*
 * yamlx.h - load a YAML file into a jansson tree.
 *
 * Only the subset of YAML a configuration or template needs: mappings
 * become objects, sequences arrays, and every scalar a string (no type
 * guessing, so "no" stays "no" and "010" stays "010").  Anchors/aliases,
 * non-scalar keys and duplicate keys are refused, so a tree always means
 * exactly what the text says.  Only the first document of a stream is read.
 */
#ifndef AVK_YAMLX_H
#define AVK_YAMLX_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* Parse len bytes of YAML text.  On success *out is a new reference the
 * caller owns (an empty document gives a JSON null).  Fails with
 * AVK_EX_DATAERR ("NAME: line N: ...", name used only in the message) or
 * AVK_EX_OSERR; *out is then NULL. */
int avk_yaml_parse(const char *text, size_t len, const char *name,
                   json_t **out, avk_err *err);

/* Read and parse a file; fails as avk_yaml_parse or with the file
 * helpers' codes when the file cannot be read. */
int avk_yaml_load_file(const char *path, json_t **out, avk_err *err);

#endif
