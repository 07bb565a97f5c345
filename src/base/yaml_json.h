/* SPDX-License-Identifier: MIT
 * YAML documents as JSON values, with libyaml: enough for MLflow's MLmodel,
 * MLproject and conda/python_env files. Mappings become objects, sequences
 * arrays, scalars strings -- except plain (unquoted) null, ~ and empty
 * scalars, which become JSON null, and plain true/false, which become
 * booleans. Numbers stay strings: the reader decides what a field means. */
#ifndef FERRY_BASE_YAML_JSON_H
#define FERRY_BASE_YAML_JSON_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <jansson.h>
#include <stddef.h>

/* Parses the first document of text[0..n). 0 with *out (the caller's), or
 * -1 with INVALID_PARAMETER_VALUE naming the line and column. */
int yaml_to_json(const char *text, size_t n, json_t **out, struct ferr *err) WARN_UNUSED;

/* Appends doc as block-style YAML (keys in the object's order). */
int json_to_yaml(json_t *doc, struct sbuf *out, struct ferr *err) WARN_UNUSED;

#endif
