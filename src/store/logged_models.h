/* SPDX-License-Identifier: MIT
 * The logged-model area of the store front (MLflow 3's LoggedModel API):
 * create, read, finalize, delete, tags, params, search, and the runs that
 * produced or read a model. Metrics measured on a model arrive with a
 * run's metrics (store_log_batch: a metric with a model_id is also the
 * model's). Contracts as store.h: 0, or -1 with err set and nothing
 * changed; outputs arrive zeroed and are released on failure.
 *
 * MLflow's answers, which clients match on:
 *   an unknown (or deleted) id  RESOURCE_DOES_NOT_EXIST
 *                               "Logged model with ID '<id>' not found."
 *   a bad name                  INVALID_PARAMETER_VALUE "Invalid model name (...)"
 *   a tag that is not there     RESOURCE_DOES_NOT_EXIST
 *                               "No tag with key '<k>' found for model with ID '<id>'." */
#ifndef FERRY_STORE_LOGGED_MODELS_H
#define FERRY_STORE_LOGGED_MODELS_H

#include "base/ferr.h"
#include "domain/logged_model.h"
#include "store/store.h"

/* A new model in the experiment (active), PENDING, its artifact location
 * under the experiment's: <artifact_location>/models/<model_id>/artifacts.
 * A missing name is generated. */
int store_create_logged_model(struct store *s, const struct logged_model_create *c,
                              struct logged_model *out, struct ferr *err) WARN_UNUSED;
int store_get_logged_model(struct store *s, const char *model_id, struct logged_model *out,
                           struct ferr *err) WARN_UNUSED;
/* Sets the status (READY, UPLOAD_FAILED, or back to PENDING) and answers
 * the model as it is now. */
int store_finalize_logged_model(struct store *s, const char *model_id,
                                enum logged_model_status status, struct logged_model *out,
                                struct ferr *err) WARN_UNUSED;
/* Marks the model deleted: get and search no longer see it. */
int store_delete_logged_model(struct store *s, const char *model_id, struct ferr *err) WARN_UNUSED;
/* Sets (adds or replaces) each tag. */
int store_set_logged_model_tags(struct store *s, const char *model_id, const struct kv_list *tags,
                                struct ferr *err) WARN_UNUSED;
int store_delete_logged_model_tag(struct store *s, const char *model_id, const char *key,
                                  struct ferr *err) WARN_UNUSED;
/* Params are immutable: logging the same value again is fine, another
 * value is INVALID_PARAMETER_VALUE. */
int store_log_logged_model_params(struct store *s, const char *model_id,
                                  const struct kv_list *params, struct ferr *err) WARN_UNUSED;
/* MLflow's search: experiment_ids required; the filter is AND-ed
 * comparisons over attributes (name, model_id, model_type, status,
 * source_run_id, creation_timestamp / creation_time,
 * last_updated_timestamp), metrics.<name>, params.<name> and tags.<name>;
 * order_by over attributes and metrics (the latest value, on the datasets
 * given); then creation time, newest first. Default page 100, at most
 * 1000 (MLflow sets no maximum; ferry bounds the cost of a request). */
int store_search_logged_models(struct store *s, const struct logged_model_search *q,
                               struct logged_model_list *out, struct ferr *err) WARN_UNUSED;
/* runs/outputs: the run (active) produced these models (step each);
 * log-inputs' models: the run read them (steps ignored). */
int store_log_model_refs(struct store *s, const char *run_id, int outputs,
                         const struct model_ref_list *models, struct ferr *err) WARN_UNUSED;

/* What a backend implements; arguments arrive validated. */
struct store_logged_model_ops {
    /* c->experiment_id parsed into experiment_id; model_id and name set */
    int (*create)(struct store *s, int64_t experiment_id, const char *model_id, const char *name,
                  const struct logged_model_create *c, struct logged_model *out, struct ferr *err);
    int (*get)(struct store *s, const char *model_id, struct logged_model *out, struct ferr *err);
    /* status: a new status, or -1 to leave it; deleted: mark deleted */
    int (*update)(struct store *s, const char *model_id, int status, int deleted, struct ferr *err);
    /* tags (set), or key (delete) */
    int (*tags)(struct store *s, const char *model_id, const struct kv_list *tags, const char *key,
                struct ferr *err);
    int (*log_params)(struct store *s, const char *model_id, const struct kv_list *params,
                      struct ferr *err);
    int (*search)(struct store *s, const struct logged_model_search *q, struct store_page *page,
                  struct logged_model_list *out, struct ferr *err);
    int (*log_refs)(struct store *s, const char *run_id, int outputs,
                    const struct model_ref_list *models, struct ferr *err);
};

#endif
