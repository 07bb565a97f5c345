/* SPDX-License-Identifier: MIT
 * The tracking area's rows (service.proto's experiments/... and runs/...)
 * and the request and response structs libferry's client fills to call
 * them. Where an operation takes a domain struct (run_create,
 * run_search, experiment_search) that struct is the request. */
#ifndef FERRY_API_TRACKING_OPS_H
#define FERRY_API_TRACKING_OPS_H

#include "api/op.h"
#include "domain/domain.h"

extern const struct api_area api_tracking_area;

/* experiments/... */
struct rq_experiment_create {
    const char *name;
    const char *artifact_location; /* NULL or "": the default root */
    struct kv_list tags;
};
struct rs_experiment_id {
    char *experiment_id;
};
struct rq_experiment_id {
    const char *experiment_id;
};
struct rq_experiment_name {
    const char *experiment_name;
};
struct rs_experiment {
    struct experiment experiment;
};
struct rq_experiment_update {
    const char *experiment_id;
    const char *new_name;
};
struct rq_experiment_tag {
    const char *experiment_id;
    const char *key;
    const char *value; /* NULL: "" */
};
extern const struct api_op api_experiments_create, api_experiments_get, api_experiments_get_by_name,
    api_experiments_search, api_experiments_update, api_experiments_delete, api_experiments_restore,
    api_experiments_set_tag, api_experiments_delete_tag;

/* runs/... */
struct rs_run {
    struct run run;
};
struct rq_run_id {
    const char *run_id;
};
struct rq_run_update {
    const char *run_id;
    enum run_status status; /* RUN_STATUS_NONE: as it is */
    int64_t end_time;       /* TIME_NONE: as it is */
    const char *run_name;   /* NULL: as it is */
};
struct rs_run_info {
    struct run_info run_info;
};
struct rq_log_metric {
    const char *run_id;
    struct metric metric;
};
struct rq_run_kv { /* log-parameter, set-tag, delete-tag */
    const char *run_id;
    const char *key;
    const char *value; /* NULL: "" */
};
struct rq_log_batch {
    const char *run_id;
    struct metric_list metrics;
    struct kv_list params;
    struct kv_list tags;
};
struct rq_log_inputs {
    const char *run_id;
    struct dataset_input *v;
    size_t n, alloc;
    struct model_ref_list models; /* MLflow 3: logged models the run read */
    int has_datasets;             /* "datasets" was sent (an empty list counts) */
};
struct rq_log_model {
    const char *run_id;
    const char *model_json;
};
extern const struct api_op api_runs_create, api_runs_get, api_runs_update, api_runs_delete,
    api_runs_restore, api_runs_search, api_runs_log_metric, api_runs_log_parameter,
    api_runs_set_tag, api_runs_delete_tag, api_runs_log_batch, api_runs_log_inputs,
    api_runs_log_model;

#endif
