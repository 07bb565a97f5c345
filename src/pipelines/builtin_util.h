/* SPDX-License-Identifier: MIT
 * What the built-in pipeline steps (pipelines/builtin_*.c) share: reading
 * `with` values, JSON files in and out, a CSV from a path or a data: URI. */
#ifndef FERRY_PIPELINES_BUILTIN_UTIL_H
#define FERRY_PIPELINES_BUILTIN_UTIL_H

#include "base/ferr.h"

#include <jansson.h>

/* Writes j (indented, sorted keys) to out_dir/file. -1 with IO_ERROR. */
int builtin_write_json(const char *out_dir, const char *file, json_t *j,
                       struct ferr *err) WARN_UNUSED;
/* A number from a JSON number or a decimal string; -1 otherwise. */
int builtin_number(json_t *v, double *out);
/* A string value (or a number as text) of with[key], or NULL. */
const char *builtin_str(json_t *with, const char *key);
/* Reads a JSON file: the value of a `{steps.S.outputs.X}` reference. */
json_t *builtin_read_json(const char *path, struct ferr *err);
/* A CSV at `data`: a local path as it is; a data: URI fetched through
 * c (data/data_get.h) into a temp dir: *local receives the file's path
 * (free()), *tmp_dir the dir to remove afterwards (or NULL). */
int builtin_local_csv(const char *tracking_uri, const char *data, char **local, char **tmp_dir,
                      struct ferr *err) WARN_UNUSED;

#endif
