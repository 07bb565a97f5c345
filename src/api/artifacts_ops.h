/* SPDX-License-Identifier: MIT
 * The artifacts area's rows: MLflow's artifacts/list (a run's files,
 * wherever the run keeps them) and MLflow 3's listing of a logged model's
 * files (logged-models/{model_id}/artifacts/directories). The proxied artifact service's streaming
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

/* logged-models/{model_id}/artifacts/directories */
struct rq_logged_model_files {
    const char *model_id;
    const char *path; /* artifact_directory_path; "": the root */
    const char *page_token;
};

extern const struct api_op api_artifacts_list, api_logged_model_files;

/* One page of the entries directly in path (relative to the artifact root
 * uri, "" for the root) into r: through env's proxied repository for an
 * mlflow-artifacts:/ uri, else straight from the repository uri names. */
int api_list_artifacts_at(const struct api_env *env, const char *uri, const char *path,
                          const char *page_token, struct rs_artifacts_list *r,
                          struct ferr *err) WARN_UNUSED;

#endif
