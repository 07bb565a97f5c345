/* SPDX-License-Identifier: MIT
 * Where a model version's files may come from: MLflow's rules for the
 * `source` of model-versions/create (mlflow/server/handlers.py,
 * _validate_source and _validate_non_local_source_contains_relative_paths),
 * as pure functions on strings. URIs are split as Python's urllib.parse
 * splits them (scheme, authority, path), because that is what MLflow's
 * checks see. Messages are MLflow's, word for word. */
#ifndef FERRY_DOMAIN_MODEL_SOURCE_H
#define FERRY_DOMAIN_MODEL_SOURCE_H

#include "base/ferr.h"

/* 1 when uri names a local file (no scheme, or file: on this host), 0 when
 * not; -1 with err set (INTERNAL_ERROR, as MLflow) for a file: URI on
 * another host. */
int model_source_is_local(const char *uri, struct ferr *err) WARN_UNUSED;

/* A non-local source must not reach elsewhere once percent-decoded (again
 * and again, '+' as a space): no ".." segment, no NUL, and a path that is
 * already normal (absolute, no "." segment, no doubled or trailing '/').
 * 0, or -1 with err set to INVALID_PARAMETER_VALUE. */
int model_source_check_remote(const char *source, struct ferr *err) WARN_UNUSED;

/* The absolute, lexically normalised path of a local uri (a path or a
 * file: URI, percent-decoded; a relative path is taken from the current
 * directory): a new string. */
char *model_source_local_path(const char *uri);

/* 1 when path is dir or lies below it (both normalised, absolute). */
int model_source_path_within(const char *dir, const char *path);

/* The message MLflow gives for a local source outside its run's (or
 * logged model's) artifacts; who is "run" or "model". Sets err, returns -1. */
int model_source_local_refused(const char *shown, const char *who, struct ferr *err);

#endif
