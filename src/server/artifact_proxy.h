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
 * Bodies never pass through memory whole: each request's state lives in a
 * struct proxy_req from the first callback to the connection's completion.
 * Internal to server/. */
#ifndef FERRY_SERVER_ARTIFACT_PROXY_H
#define FERRY_SERVER_ARTIFACT_PROXY_H

#include "artifacts/repo.h"

#include <microhttpd.h>
#include <stddef.h>

#define PROXY_PREFIX      "/api/2.0/mlflow-artifacts/"
#define PROXY_AJAX_PREFIX "/ajax-api/2.0/mlflow-artifacts/"

struct proxy_req;

/* The part of url after the proxy prefix, or NULL if url is not the proxy's. */
const char *proxy_path(const char *url);

/* Starts a request; repo NULL means the server does not serve artifacts.
 * Errors are kept and answered by proxy_answer. */
struct proxy_req *proxy_begin(struct artifact_repo *repo, const char *method, const char *path);
/* Feeds n bytes of the request body. */
void proxy_body(struct proxy_req *p, const char *data, size_t n);
/* Once the body is complete: acts and queues the answer. */
enum MHD_Result proxy_answer(struct proxy_req *p, struct MHD_Connection *conn, int *status,
                             size_t *bytes);
/* Queues a file of repo as a download (a type by extension, never one a
 * browser would run, as an attachment, nosniff). When the file cannot be
 * opened, returns MHD_YES with err set and queues nothing: the caller
 * answers the error. */
enum MHD_Result artifact_send_file(struct MHD_Connection *conn, struct artifact_repo *repo,
                                   const char *path, int *status, size_t *bytes, struct ferr *err);
/* Frees p; an upload that did not complete leaves nothing behind. */
void proxy_end(struct proxy_req *p);

#endif
