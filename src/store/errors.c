/* SPDX-License-Identifier: MIT */
#include "store/errors.h"

#include <inttypes.h>

#include "base/banned.h"

int store_err_run_not_found(struct ferr *err, const char *run_id)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Run with id=%.300s not found", run_id);
}

int store_err_run_not_active(struct ferr *err, const char *run_id)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "The run %.300s must be in the 'active' state. Current state is deleted.",
                    run_id);
}

int store_err_experiment_not_found(struct ferr *err, int64_t id)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No Experiment with id=%" PRId64 " exists",
                    id);
}

int store_err_experiment_name_not_found(struct ferr *err, const char *name)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                    "Could not find experiment with name '%.500s'", name);
}

int store_err_experiment_not_active(struct ferr *err, int64_t id)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "The experiment %" PRId64 " must be in the 'active' state. Current state is "
                    "deleted.",
                    id);
}

int store_err_experiment_exists(struct ferr *err, const char *name, const char *why)
{
    return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                    "Experiment(name=%.500s) already exists. Error: %s", name, why);
}

int store_err_run_tag_not_found(struct ferr *err, const char *key, const char *run_id)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No tag with name: %.250s in run with id %s",
                    key, run_id);
}

int store_err_param_changed(struct ferr *err, const char *key, const char *old, const char *run_id,
                            const char *value)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "Changing param values is not allowed. Param with key='%.250s' was already "
                    "logged with value='%.250s' for run ID='%s'. Attempted logging new value "
                    "'%.250s'.",
                    key, old, run_id, value);
}

int store_err_model_not_found(struct ferr *err, const char *name)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                    "Registered Model with name=%.300s not found", name);
}

int store_err_version_not_found(struct ferr *err, const char *name, int64_t version)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                    "Model Version (name=%.300s, version=%" PRId64 ") not found", name, version);
}

int store_err_model_exists(struct ferr *err, const char *name)
{
    return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                    "Registered Model (name=%.300s) already exists. Error: the name is taken",
                    name);
}

int store_err_trace_not_found(struct ferr *err, const char *request_id)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Trace with request_id '%.100s' not found.",
                    request_id);
}
