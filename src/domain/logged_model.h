/* SPDX-License-Identifier: MIT
 * MLflow 3's logged models: a model a run (or no run) logged into an
 * experiment, with its own id ("m-" and 32 hex digits), artifact location
 * (<experiment artifact location>/models/<id>/artifacts), status, params,
 * tags and the metrics measured on it. Plain structs; ownership as
 * domain.h. */
#ifndef FERRY_DOMAIN_LOGGED_MODEL_H
#define FERRY_DOMAIN_LOGGED_MODEL_H

#include "domain/domain.h"

#include <stddef.h>
#include <stdint.h>

/* Values match MLflow's LoggedModelStatus in service.proto. */
enum logged_model_status {
    LOGGED_MODEL_STATUS_UNSPECIFIED = 0,
    LOGGED_MODEL_PENDING = 1,
    LOGGED_MODEL_READY = 2,
    LOGGED_MODEL_UPLOAD_FAILED = 3,
};

/* "LOGGED_MODEL_READY" */
const char *logged_model_status_name(enum logged_model_status s);
/* The name or its number; -1 when neither. */
int logged_model_status_parse(const char *s, enum logged_model_status *out);

#define LOGGED_MODEL_ID_LEN 34 /* "m-" + 32 hex digits */

/* 1 when s has the shape of a logged model id. */
int logged_model_id_valid(const char *s);

struct logged_model {
    char *model_id;
    char *experiment_id;
    char *name;
    char *artifact_uri;
    int64_t creation_time, last_updated_time; /* ms since the epoch */
    enum logged_model_status status;
    char *status_message; /* NULL: none */
    enum lifecycle lifecycle_stage;
    char *model_type;    /* NULL: none */
    char *source_run_id; /* NULL: none */
    struct kv_list tags;
    struct kv_list params;
    struct metric_list metrics; /* every point, with run, dataset and model */
};

void logged_model_release(struct logged_model *m);

struct logged_model_list {
    struct logged_model *v;
    size_t n, alloc;
    char *next_page_token; /* NULL on the last page */
};

void logged_model_list_release(struct logged_model_list *l);

/* What logged-models/create takes. Strings are borrowed for the call. */
struct logged_model_create {
    const char *experiment_id;
    const char *name; /* NULL or "": generated */
    const char *model_type;
    const char *source_run_id;
    struct kv_list params, tags; /* shallow copies of the caller's */
};

/* A dataset a search's metric clauses are restricted to. */
struct logged_model_dataset {
    const char *dataset_name;
    const char *dataset_digest; /* NULL: any digest */
};

struct logged_model_order {
    const char *field_name; /* an attribute, or metrics.<name> */
    int ascending;
    const char *dataset_name, *dataset_digest; /* metrics only; NULL: any */
};

/* What logged-models/search takes. Borrowed for the call. */
struct logged_model_search {
    const char **experiment_ids;
    size_t nexperiment_ids;
    const char *filter;
    struct logged_model_dataset *datasets;
    size_t ndatasets;
    int64_t max_results;
    struct logged_model_order *order_by;
    size_t norder_by;
    const char *page_token;
};

#endif
