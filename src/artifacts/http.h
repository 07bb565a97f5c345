/* SPDX-License-Identifier: MIT
 * A repository kept by a tracking server's artifact service (MLflow's
 * /api/2.0/mlflow-artifacts/, ferry's or a stock MLflow server's): what an
 * mlflow-artifacts:/ URI names. Files travel streamed both ways, retried as
 * idempotent transfers; a file written through a writer is spooled to a
 * local temporary file first, because a retry must be able to send it
 * again. A reader is a completed download kept in an unlinked temporary
 * file (artifact_get_fd downloads straight into its descriptor). */
#ifndef FERRY_ARTIFACTS_HTTP_H
#define FERRY_ARTIFACTS_HTTP_H

#include "artifacts/repo.h"

struct http_client;

/* root: the repository's place in the server's artifact root ("1/<run
 * id>/artifacts", "" for all of it). hc stays the caller's and must
 * outlive the repository. */
int artifact_http_open(struct http_client *hc, const char *root, struct artifact_repo **out,
                       struct ferr *err) WARN_UNUSED;

#endif
