/* SPDX-License-Identifier: MIT
 * Logging a model directory to a run as MLflow's log_model does: the files
 * under artifact_path, the MLmodel completed with artifact_path, run_id,
 * utc_time_created and a model_uuid, and the model appended to the run's
 * mlflow.log-model.history tag (runs/log-model). Used by libferry's
 * ferry_log_model and by `ferry models log`. */
#ifndef FERRY_MODELS_MODEL_LOG_H
#define FERRY_MODELS_MODEL_LOG_H

#include "base/ferr.h"
#include "client/client.h"

/* model_dir must hold an MLmodel. */
int model_log_dir(struct client *c, const char *run_id, const char *model_dir,
                  const char *artifact_path, struct ferr *err) WARN_UNUSED;

#endif
