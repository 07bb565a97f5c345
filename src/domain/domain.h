/* SPDX-License-Identifier: MIT
 * The tracking domain as plain structs: experiments, runs, metrics, params,
 * tags, dataset inputs. No I/O here; every layer above hands these around.
 * Ownership: a struct owns every string it points at; *_release frees the
 * contents (and accepts NULL), *_init prepares an empty value. */
#ifndef FERRY_DOMAIN_DOMAIN_H
#define FERRY_DOMAIN_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

/* "No value" for optional timestamps (MLflow omits the field). */
#define TIME_NONE INT64_MIN

enum lifecycle { LIFECYCLE_ACTIVE = 0, LIFECYCLE_DELETED = 1 };
/* Values match MLflow's RunStatus enum in service.proto. */
enum run_status {
    RUN_STATUS_NONE = 0,
    RUN_RUNNING = 1,
    RUN_SCHEDULED = 2,
    RUN_FINISHED = 3,
    RUN_FAILED = 4,
    RUN_KILLED = 5,
};
/* Values match MLflow's ViewType. */
enum view_type { VIEW_ACTIVE_ONLY = 1, VIEW_DELETED_ONLY = 2, VIEW_ALL = 3 };

const char *lifecycle_name(enum lifecycle l);
int lifecycle_parse(const char *s, enum lifecycle *out);
const char *run_status_name(enum run_status s);
/* Accepts the name ("FINISHED") or its number ("3"); -1 when neither. */
int run_status_parse(const char *s, enum run_status *out);
int run_status_is_terminal(enum run_status s);
const char *view_type_name(enum view_type v);
int view_type_parse(const char *s, enum view_type *out);

struct kv {
    char *key;
    char *value;
};

struct kv_list {
    struct kv *v;
    size_t n, alloc;
};

void kv_list_add(struct kv_list *l, const char *key, const char *value);
/* Adds key=value, or replaces the value when key is present. */
void kv_list_set(struct kv_list *l, const char *key, const char *value);
const char *kv_list_get(const struct kv_list *l, const char *key);
void kv_list_release(struct kv_list *l);

struct metric {
    char *key;
    double value;      /* NaN and +-Inf are legal */
    int64_t timestamp; /* ms since the epoch */
    int64_t step;
    char *run_id; /* set only where a response carries it (bulk history) */
    /* MLflow 3: the logged model the value measures (NULL: none), and the
     * dataset it was measured on (NULL: none) */
    char *model_id;
    char *dataset_name, *dataset_digest;
    /* Set by metric_list_add_point: key is the string of an earlier point
     * of the same list, freed with that point, never with this one. Such a
     * point lives only as long as its list's points stay together. */
    int shares_key;
};

struct metric_list {
    struct metric *v;
    size_t n, alloc;
};

/* Appends a point with its own copy of key. */
void metric_list_add(struct metric_list *l, const char *key, double value, int64_t ts,
                     int64_t step);
/* Appends a point that shares the previous point's key string when it reads
 * the same as key (shares_key), else takes a copy: a history of 100,000
 * points holds one copy of its key, not 100,000. */
void metric_list_add_point(struct metric_list *l, const char *key, double value, int64_t ts,
                           int64_t step);
/* Frees what a point owns (not a shared key) and zeroes it. */
void metric_release(struct metric *m);
/* Releases every point and the array; l is left empty. Accepts NULL. */
void metric_list_release(struct metric_list *l);

struct experiment {
    char *experiment_id; /* decimal string, "0" for Default */
    char *name;
    char *artifact_location;
    enum lifecycle lifecycle_stage;
    int64_t creation_time;
    int64_t last_update_time;
    struct kv_list tags;
};

void experiment_release(struct experiment *e);

struct experiment_list {
    struct experiment *v;
    size_t n, alloc;
    char *next_page_token; /* NULL on the last page */
};

void experiment_list_release(struct experiment_list *l);

struct run_info {
    char *run_id;
    char *run_name;
    char *experiment_id;
    char *user_id;
    enum run_status status;
    int64_t start_time; /* TIME_NONE when unset */
    int64_t end_time;   /* TIME_NONE when unset */
    char *artifact_uri;
    enum lifecycle lifecycle_stage;
};

void run_info_release(struct run_info *ri);

struct dataset {
    char *name;
    char *digest;
    char *source_type;
    char *source;
    char *schema;  /* may be NULL */
    char *profile; /* may be NULL */
};

struct dataset_input {
    struct kv_list tags; /* input tags, e.g. mlflow.data.context */
    struct dataset dataset;
};

void dataset_input_release(struct dataset_input *di);

/* A logged model a run read (an input) or produced (an output, at a step). */
struct model_ref {
    char *model_id;
    int64_t step; /* outputs only */
};

struct model_ref_list {
    struct model_ref *v;
    size_t n, alloc;
};

void model_ref_list_add(struct model_ref_list *l, const char *model_id, int64_t step);
void model_ref_list_release(struct model_ref_list *l);

struct run {
    struct run_info info;
    struct metric_list metrics; /* latest value per key */
    struct kv_list params;
    struct kv_list tags;
    struct dataset_input *inputs;
    size_t ninputs, ainputs;
    struct model_ref_list model_inputs, model_outputs;
};

void run_release(struct run *r);

struct run_list {
    struct run *v;
    size_t n, alloc;
    char *next_page_token; /* NULL on the last page */
};

void run_list_release(struct run_list *l);

/* A dataset some run of an experiment read, with the run's context tag
 * (experiments/search-datasets). */
struct dataset_summary {
    char *experiment_id;
    char *name, *digest;
    char *context; /* NULL: no mlflow.data.context tag */
};

struct dataset_summary_list {
    struct dataset_summary *v;
    size_t n, alloc;
};

void dataset_summary_list_release(struct dataset_summary_list *l);

/* What runs/search takes. Strings are borrowed for the call. */
struct run_search {
    const char **experiment_ids;
    size_t nexperiment_ids;
    const char *filter; /* NULL or "" for none */
    enum view_type view;
    int64_t max_results; /* 1..50000 */
    const char **order_by;
    size_t norder_by;
    const char *page_token; /* NULL for the first page */
};

struct experiment_search {
    const char *filter;
    enum view_type view;
    int64_t max_results;
    const char **order_by;
    size_t norder_by;
    const char *page_token;
};

/* What creating a run takes (runs/create). Strings are borrowed for the
 * call; tags is a shallow copy of the caller's list (released by the
 * caller, once). */
struct run_create {
    const char *experiment_id; /* required */
    const char *user_id;       /* NULL: from the mlflow.user tag, else "" */
    const char *run_name;      /* NULL/"": from the mlflow.runName tag, else generated */
    int64_t start_time;        /* TIME_NONE: now */
    struct kv_list tags;
};

/* The well-known tags MLflow clients and UIs read. */
#define TAG_RUN_NAME      "mlflow.runName"
#define TAG_USER          "mlflow.user"
#define TAG_SOURCE_NAME   "mlflow.source.name"
#define TAG_SOURCE_TYPE   "mlflow.source.type"
#define TAG_PARENT_RUN_ID "mlflow.parentRunId"
#define TAG_NOTE          "mlflow.note.content"
#define TAG_LOGGED_MODELS "mlflow.log-model.history"

#endif
