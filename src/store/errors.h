/* SPDX-License-Identifier: MIT
 * The errors every backend gives for the same situations, in the words of
 * MLflow's SQL store (mlflow/store/tracking/sqlalchemy_store.py), which
 * MLflow's clients and users' scripts match on. One place, so a second
 * backend says exactly what the first says. Each sets err and returns -1. */
#ifndef FERRY_STORE_ERRORS_H
#define FERRY_STORE_ERRORS_H

#include "base/ferr.h"

#include <stdint.h>

/* RESOURCE_DOES_NOT_EXIST "Run with id=<id> not found" */
int store_err_run_not_found(struct ferr *err, const char *run_id);
/* INVALID_PARAMETER_VALUE "The run <id> must be in the 'active' state.
 * Current state is deleted." */
int store_err_run_not_active(struct ferr *err, const char *run_id);
/* RESOURCE_DOES_NOT_EXIST "No Experiment with id=<id> exists" */
int store_err_experiment_not_found(struct ferr *err, int64_t id);
/* RESOURCE_DOES_NOT_EXIST "Could not find experiment with name '<name>'" */
int store_err_experiment_name_not_found(struct ferr *err, const char *name);
/* INVALID_PARAMETER_VALUE "The experiment <id> must be in the 'active'
 * state. Current state is deleted." */
int store_err_experiment_not_active(struct ferr *err, int64_t id);
/* RESOURCE_ALREADY_EXISTS "Experiment(name=<name>) already exists. Error:
 * <why>" */
int store_err_experiment_exists(struct ferr *err, const char *name, const char *why);
/* RESOURCE_DOES_NOT_EXIST "No tag with name: <key> in run with id <id>" */
int store_err_run_tag_not_found(struct ferr *err, const char *key, const char *run_id);
/* INVALID_PARAMETER_VALUE "Changing param values is not allowed. Param with
 * key='<k>' was already logged with value='<old>' for run ID='<id>'.
 * Attempted logging new value '<new>'." */
int store_err_param_changed(struct ferr *err, const char *key, const char *old, const char *run_id,
                            const char *value);

/* RESOURCE_DOES_NOT_EXIST "Registered Model with name=<name> not found" */
int store_err_model_not_found(struct ferr *err, const char *name);
/* RESOURCE_DOES_NOT_EXIST "Model Version (name=<name>, version=<n>) not found" */
int store_err_version_not_found(struct ferr *err, const char *name, int64_t version);
/* RESOURCE_ALREADY_EXISTS "Registered Model (name=<name>) already exists." */
int store_err_model_exists(struct ferr *err, const char *name);
/* RESOURCE_DOES_NOT_EXIST "Trace with request_id '<id>' not found." */
int store_err_trace_not_found(struct ferr *err, const char *request_id);

#endif
