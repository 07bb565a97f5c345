/* SPDX-License-Identifier: MIT
 * MLflow's limits and naming rules, enforced here and nowhere else. Every entry
 * point (REST handler, embedded client, CLI) reaches the store through these
 * checks, so a value that passes is safe to store. Each function returns 0 or
 * -1 with err set to INVALID_PARAMETER_VALUE and a message naming the value. */
#ifndef FERRY_DOMAIN_VALIDATE_H
#define FERRY_DOMAIN_VALIDATE_H

#include "base/ferr.h"
#include "domain/domain.h"

/* Limits from MLflow's mlflow/utils/validation.py (2.x). */
#define MAX_ENTITY_KEY_LENGTH              250
#define MAX_PARAM_VAL_LENGTH               6000
#define MAX_TAG_VAL_LENGTH                 8000
#define MAX_EXPERIMENT_TAG_KEY_LENGTH      250
#define MAX_EXPERIMENT_TAG_VAL_LENGTH      5000
#define MAX_EXPERIMENT_NAME_LENGTH         500
#define MAX_RUN_NAME_LENGTH                250
#define MAX_PARAMS_TAGS_PER_BATCH          100
#define MAX_METRICS_PER_BATCH              1000
#define MAX_ENTITIES_PER_BATCH             1000
#define MAX_REQUEST_BYTES                  (1000 * 1000)
#define MAX_DATASET_NAME_SIZE              500
#define MAX_DATASET_DIGEST_SIZE            36
#define MAX_DATASET_SOURCE_SIZE            65535
#define MAX_DATASET_SCHEMA_SIZE            1048575
#define MAX_DATASET_PROFILE_SIZE           16777215
#define MAX_INPUT_TAG_KEY_SIZE             255
#define MAX_INPUT_TAG_VALUE_SIZE           500
#define MAX_RESULTS_SEARCH_RUNS            50000
#define DEFAULT_RESULTS_SEARCH_RUNS        1000
#define MAX_RESULTS_SEARCH_EXPERIMENTS     50000
#define DEFAULT_RESULTS_SEARCH_EXPERIMENTS 1000
#define MAX_RESULTS_METRIC_HISTORY         25000000
/* Traces: MLflow's columns and its search handler's cap. */
#define MAX_TRACE_ID_LENGTH           50
#define MAX_TRACE_TAG_KEY_LENGTH      250
#define MAX_TRACE_TAG_VAL_LENGTH      8000
#define MAX_TRACE_PREVIEW_LENGTH      1000
#define MAX_RESULTS_SEARCH_TRACES     500
#define DEFAULT_RESULTS_SEARCH_TRACES 100
#define MAX_TRACE_IDS_PER_DELETE      10000

int validate_metric(const struct metric *m, struct ferr *err) WARN_UNUSED;
int validate_param(const char *key, const char *value, struct ferr *err) WARN_UNUSED;
int validate_tag(const char *key, const char *value, struct ferr *err) WARN_UNUSED;
int validate_experiment_tag(const char *key, const char *value, struct ferr *err) WARN_UNUSED;
int validate_experiment_name(const char *name, struct ferr *err) WARN_UNUSED;
int validate_run_name(const char *name, struct ferr *err) WARN_UNUSED;
/* Counts first (1000 metrics, 100 params, 100 tags, 1000 entities), then
 * every entry, so an oversized batch is refused before anything is looked at. */
int validate_batch(const struct metric_list *metrics, const struct kv_list *params,
                   const struct kv_list *tags, struct ferr *err) WARN_UNUSED;
int validate_dataset_input(const struct dataset_input *di, struct ferr *err) WARN_UNUSED;
/* A run id as the store issues them: 32 hex digits. */
int validate_run_id(const char *run_id, struct ferr *err) WARN_UNUSED;
/* An experiment id: a non-negative decimal integer. */
int validate_experiment_id(const char *id, struct ferr *err) WARN_UNUSED;
/* runs/log-model's model_json: a JSON object with MLflow's mandatory
 * fields artifact_path, flavors, run_id and utc_time_created. */
int validate_model_json(const char *model_json, struct ferr *err) WARN_UNUSED;
/* An experiment's artifact_location as MLflow's server takes it: no URL
 * fragment, no ;params, no '..' in the (percent-decoded) query. The path
 * itself is checked when artifacts are stored. */
int validate_artifact_location(const char *loc, struct ferr *err) WARN_UNUSED;
int validate_max_results(int64_t n, int64_t max, struct ferr *err) WARN_UNUSED;

/* A trace id as a client may choose it (3.x: "tr-<32 hex>"; 2.x: 32 hex):
 * 1..50 letters, digits, '-', '_' and '.', and not "." or "..", since it
 * names a folder of the artifact repository. */
int validate_trace_id(const char *id, struct ferr *err) WARN_UNUSED;
/* A tag set on its own (set-trace-tag): a tag's naming rules, a key of at
 * most 250 and a value of at most 8000 characters (the store front cuts
 * longer values first, as MLflow does). */
int validate_trace_tag(const char *key, const char *value, struct ferr *err) WARN_UNUSED;
/* A tag or request metadata entry (what names it) sent with a trace: a
 * non-empty key of at most 250 characters, a value of at most 8000. Keys
 * are not held to the naming rules: MLflow's clients send what users set. */
int validate_trace_entry(const char *what, const char *key, const char *value,
                         struct ferr *err) WARN_UNUSED;
/* A request or response preview (what names it): at most 1000 characters. */
int validate_trace_preview(const char *what, const char *text, struct ferr *err) WARN_UNUSED;

#endif
