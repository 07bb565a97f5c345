/* SPDX-License-Identifier: MIT
 * Artifacts of imported runs, for `ferry db import --copy-artifacts`: where
 * an MLflow artifact URI keeps its files on this machine, and copying such a
 * folder into a ferry artifact repository (artifacts/repo.h), file by file,
 * each written whole before it appears. */
#ifndef FERRY_IMPORT_COPY_H
#define FERRY_IMPORT_COPY_H

#include "artifacts/repo.h"
#include "base/ferr.h"

#include <stdint.h>

/* The local folder an artifact URI names: a plain path (relative ones as
 * they are, from the current folder), "file:///abs" or "file:/abs", or
 * "mlflow-artifacts:/x" below mlflow_dest (the MLflow server's
 * --artifacts-destination, may be NULL). NULL when the URI names no local
 * folder (s3://, an mlflow-artifacts:/ URI without mlflow_dest, ...). A new
 * string the caller frees. */
char *copy_local_dir(const char *uri, const char *mlflow_dest);

struct copy_tally {
    int64_t files, bytes;
    int64_t not_files; /* links and other things that are no regular file */
};

/* Copies every regular file below src_dir to dest_prefix/<relative path>
 * in dest. A src_dir that does not exist copies nothing. */
int copy_tree(struct artifact_repo *dest, const char *src_dir, const char *dest_prefix,
              struct copy_tally *t, struct ferr *err) WARN_UNUSED;

#endif
