/* SPDX-License-Identifier: MIT
 * For files inside store/ only: the backend ops table. Each backend embeds
 * struct store as its first member and fills in ops. */
#ifndef FERRY_STORE_STORE_INT_H
#define FERRY_STORE_STORE_INT_H

#include "store/store.h"
#include "store/registry.h"
#include "base/page_token.h"

struct store_ops {
    const char *name;
    void (*close)(struct store *s);
    int (*schema_version)(struct store *s);
    void (*release_memory)(struct store *s); /* optional */
    int (*create_experiment)(struct store *s, const char *name, const char *artifact_location,
                             const struct kv_list *tags, char **id_out, struct ferr *err);
    int (*get_experiment)(struct store *s, const char *id, const char *name, struct experiment *out,
                          struct ferr *err);
    int (*search_experiments)(struct store *s, const struct experiment_search *q,
                              struct experiment_list *out, struct ferr *err);
    int (*rename_experiment)(struct store *s, const char *id, const char *new_name,
                             struct ferr *err);
    int (*set_experiment_lifecycle)(struct store *s, const char *id, enum lifecycle to,
                                    struct ferr *err);
    int (*set_experiment_tag)(struct store *s, const char *id, const char *key, const char *value,
                              struct ferr *err);
    int (*create_run)(struct store *s, const struct run_create *rc, struct run *out,
                      struct ferr *err);
    int (*update_run)(struct store *s, const char *run_id, enum run_status status, int64_t end_time,
                      const char *run_name, struct run_info *out, struct ferr *err);
    int (*set_run_lifecycle)(struct store *s, const char *run_id, enum lifecycle to,
                             struct ferr *err);
    int (*get_run)(struct store *s, const char *run_id, struct run *out, struct ferr *err);
    int (*log_batch)(struct store *s, const char *run_id, const struct metric_list *metrics,
                     const struct kv_list *params, const struct kv_list *tags, struct ferr *err);
    int (*delete_tag)(struct store *s, const char *run_id, const char *key, struct ferr *err);
    int (*log_inputs)(struct store *s, const char *run_id, const struct dataset_input *inputs,
                      size_t n, struct ferr *err);
    int (*gc_candidates)(struct store *s, int64_t deleted_before, struct kv_list *runs,
                         struct kv_list *experiments, struct ferr *err);
    int (*purge_run)(struct store *s, const char *run_id, struct ferr *err);
    int (*purge_experiment)(struct store *s, const char *experiment_id, struct ferr *err);
    /* the model registry (store/registry.h) */
    int (*registry_write)(struct store *s, struct reg_write *w, struct ferr *err);
    int (*get_registered_model)(struct store *s, const char *name, struct registered_model *out,
                                struct ferr *err);
    int (*get_model_version)(struct store *s, const char *name, int64_t version,
                             struct model_version *out, struct ferr *err);
    int (*get_version_by_alias)(struct store *s, const char *name, const char *alias,
                                struct model_version *out, struct ferr *err);
    int (*get_latest_versions)(struct store *s, const char *name, const char *const *stages,
                               size_t n, struct model_version_list *out, struct ferr *err);
    int (*search_registered_models)(struct store *s, const struct registry_search *q,
                                    struct registered_model_list *out, struct ferr *err);
    int (*search_model_versions)(struct store *s, const struct registry_search *q,
                                 struct model_version_list *out, struct ferr *err);
    int (*registry_events)(struct store *s, const char *name, struct registry_event_list *out,
                           struct ferr *err);
    int (*log_model)(struct store *s, const char *run_id, const char *model_json, struct ferr *err);
    int (*search_runs)(struct store *s, const struct run_search *q, struct run_list *out,
                       struct ferr *err);
    int (*metric_history)(struct store *s, const char *run_id, const char *key, int64_t max_results,
                          const char *page_token, struct metric_list *out, char **next_token,
                          struct ferr *err);
    int (*metric_bulk_interval)(struct store *s, const char *const *run_ids, size_t n,
                                const char *key, int64_t start_step, int64_t end_step,
                                int64_t max_results, struct metric_list *out, struct ferr *err);
    int (*metric_downsampled)(struct store *s, const char *run_id, const char *key,
                              int64_t max_points, struct metric_list *out, int64_t *total,
                              struct ferr *err);
};

struct store {
    const struct store_ops *ops;
    char *default_artifact_root;
};

/* Backends. */
int store_sqlite_open(const char *path, const struct store_opts *opts, struct store **out,
                      struct ferr *err);

#endif
