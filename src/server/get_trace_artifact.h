/* SPDX-License-Identifier: MIT
 * MLflow's GET /ajax-api/2.0/mlflow/get-trace-artifact?request_id=<id>: a
 * trace's spans, the file traces.json the client uploaded to the trace's
 * artifact location (its mlflow.artifactLocation tag), from the proxied
 * repository (mlflow-artifacts:/ locations) or a local directory. The file
 * is sent as it was stored, as a traces.json attachment. Answers 400
 * BAD_REQUEST without request_id, 404 for an unknown trace or a trace whose
 * file was never uploaded. Internal to server/. */
#ifndef FERRY_SERVER_GET_TRACE_ARTIFACT_H
#define FERRY_SERVER_GET_TRACE_ARTIFACT_H

#include "http/route.h"

int get_trace_artifact_answer(struct http_request *rq, struct ferr *err);

#endif
