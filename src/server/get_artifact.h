/* SPDX-License-Identifier: MIT
 * MLflow's GET /get-artifact?run_id=<id>&path=<path> (run_uuid is accepted
 * too): one file of a run's artifacts, wherever the run keeps them: in the
 * proxied repository (mlflow-artifacts:/ roots) or in a local directory, as
 * runs logged straight to the database file by an embedded client do. This
 * is how the web UI previews and downloads any run's files. Internal to
 * server/. */
#ifndef FERRY_SERVER_GET_ARTIFACT_H
#define FERRY_SERVER_GET_ARTIFACT_H

#include "artifacts/repo.h"
#include "store/store.h"

#include <microhttpd.h>
#include <stddef.h>

#define GET_ARTIFACT_PATH "/get-artifact"

/* Answers the request: the file, or MLflow's JSON error (400 for a bad or
 * missing path, 404 for an unknown run or file). proxied is the server's
 * artifact repository (NULL when it serves none). */
enum MHD_Result get_artifact_answer(struct MHD_Connection *conn, struct store *store,
                                    struct artifact_repo *proxied, int *status, size_t *bytes);

#endif
