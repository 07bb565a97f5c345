/* SPDX-License-Identifier: MIT
 * Routes MLflow's web UI uses to move files, beside get-artifact:
 *   GET  /model-versions/get-artifact?name=&version=&path=   a file of a
 *        registered version, wherever the registry says its files are;
 *   POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path=   the body
 *        (at most 10 MB, as MLflow) stored as a file of the run.
 * Errors in MLflow's words ("Invalid path", "Request must specify ..."). */
#ifndef FERRY_SERVER_UI_FILES_H
#define FERRY_SERVER_UI_FILES_H

#include "http/route.h"

int version_artifact_answer(struct http_request *rq, struct ferr *err);
int upload_artifact_answer(struct http_request *rq, struct ferr *err);
/* The body ops upload-artifact collects its body with. */
extern const struct http_body_ops upload_artifact_body;

#endif
