/*
 * config.h - configuration from files, environment and flags.
 *
 * Sources, later wins:
 *   1. $XDG_CONFIG_HOME/av/config.yaml (default ~/.config/av/config.yaml)
 *   2. W/.av/config.yaml of the workspace, when there is one
 *   3. environment: AV_SECTION_KEY=value sets section.key (the first "_"
 *      after AV_ separates section and key: AV_OPENAI_BASE_URL sets
 *      openai.base_url); the providers' usual variables map too
 *      (OPENAI_API_KEY -> openai.api_key, ELEVENLABS_API_KEY, ...)
 *   4. flags, through avk_config_set()
 * Keys are dotted paths into the YAML tree ("render.template").  A config
 * file that holds a secret (a key named like *key, *token, *secret or
 * *password) and is readable by group or others is refused, as ssh does.
 */
#ifndef AVK_CONFIG_H
#define AVK_CONFIG_H

#include <jansson.h>

#include "err.h"

typedef struct avk_config avk_config;

/* ws_root may be NULL (no workspace). */
int avk_config_load(const char *ws_root, avk_config **out, avk_err *err);
avk_config *avk_config_new_empty(void);
void avk_config_free(avk_config *c);
/* Merge one YAML file (missing file: 0, nothing merged). */
int avk_config_merge_file(avk_config *c, const char *path, avk_err *err);
int avk_config_set(avk_config *c, const char *key, const char *value,
                   const char *source);

/* Borrowed node, or NULL. */
const json_t *avk_config_node(const avk_config *c, const char *key);
const char *avk_config_str(const avk_config *c, const char *key,
                           const char *def);
double avk_config_num(const avk_config *c, const char *key, double def);
int avk_config_bool(const avk_config *c, const char *key, int def);
/* Where a key's value came from ("env OPENAI_API_KEY", a file path,
 * "flag"), or NULL when unset. */
const char *avk_config_source(const avk_config *c, const char *key);
/* The files considered, for doctor: path and whether it exists. */
int avk_config_user_path(char *out, size_t cap);
/* Non-zero when the key names a secret (never print its value). */
int avk_config_is_secret_key(const char *key);
/* Check permissions of a config file that holds secrets. */
int avk_config_check_perms(const char *path, const json_t *tree,
                           avk_err *err);

#endif
