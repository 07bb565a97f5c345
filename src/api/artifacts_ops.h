/* SPDX-License-Identifier: MIT
 * The artifacts area's rows: MLflow's artifacts/list (a run's files,
 * wherever the run keeps them). The proxied artifact service's streaming
 * routes are rows of the server's own (server/artifact_proxy.c). */
#ifndef FERRY_API_ARTIFACTS_OPS_H
#define FERRY_API_ARTIFACTS_OPS_H

#include "api/op.h"
#include "artifacts/repo.h"

extern const struct api_area api_artifacts_area;

struct rq_artifacts_list {
    const char *run_id;
    const char *path; /* a directory of the run's artifacts; "": the root */
    const char *page_token;
};
struct rs_artifacts_list {
    char *root_uri;
    struct artifact_list files; /* paths relative to the run's artifact root */
    char *next_page_token;
};

extern const struct api_op api_artifacts_list;

#endif
