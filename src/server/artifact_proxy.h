/* SPDX-License-Identifier: MIT
 * MLflow's proxied artifact service, /api/2.0/mlflow-artifacts/ (and under
 * /ajax-api/): clients upload, download, list and delete run artifacts
 * through the server, which keeps them in the repository given by
 * --artifacts-destination. `mlflow-artifacts:/<path>` URIs name files here.
 *
 *   GET    artifacts/<path>           the file, streamed from disk
 *   PUT    artifacts/<path>           upload, streamed to a temporary file that
 *                                     becomes visible only once complete
 *   DELETE artifacts/<path>           a file or a directory tree
 *   GET    artifacts?path=<dir>       {"files": [{path, is_dir, file_size}]}
 *   POST   mpu/create|complete|abort/<path>  multipart uploads: refused as
 *                                     MLflow refuses them for local storage
 *
 * Bodies never pass through memory whole: they are streamed to the route
 * (http/route.h's body ops). Internal to server/. */
#ifndef FERRY_SERVER_ARTIFACT_PROXY_H
#define FERRY_SERVER_ARTIFACT_PROXY_H

#include "artifacts/repo.h"
#include "api/op.h"

/* The service's rows (streaming: bodies go straight to the repository).
 * They find the repository in the server's context (server_int.h); a
 * server that serves no artifacts answers them with 404. */
extern const struct api_area proxy_area;

/* Answers a file of repo as a download (a type by extension, never one a
 * browser would run, as an attachment, nosniff). A file that cannot be
 * opened is -1 with err set, nothing answered. */
int artifact_send_file(struct http_request *rq, struct artifact_repo *repo, const char *path,
                       struct ferr *err) WARN_UNUSED;

#endif
