/* SPDX-License-Identifier: MIT
 * MLflow's GET /get-artifact?run_id=<id>&path=<path> (run_uuid is accepted
 * too): one file of a run's artifacts, wherever the run keeps them: in the
 * proxied repository (mlflow-artifacts:/ roots) or in a local directory, as
 * runs logged straight to the database file by an embedded client do. This
 * is how the web UI previews and downloads any run's files. Answers 400 for
 * a bad or missing path, 404 for an unknown run or file. Internal to
 * server/. */
#ifndef FERRY_SERVER_GET_ARTIFACT_H
#define FERRY_SERVER_GET_ARTIFACT_H

#include "http/route.h"

int get_artifact_answer(struct http_request *rq, struct ferr *err);

#endif
