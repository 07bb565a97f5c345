/* SPDX-License-Identifier: MIT
 * Inside client/ only: the transport ops table and struct client. A transport
 * implements every operation with the contract of the matching client_*
 * function in client.h; client.c checks arguments and splits batches before
 * calling it, so a transport sees log_batch requests within MLflow's limits. */
#ifndef FERRY_CLIENT_CLIENT_INT_H
#define FERRY_CLIENT_CLIENT_INT_H

#include "client/client.h"
#include "store/registry.h"

struct client_ops {
    const char *name; /* "embedded" or "rest", for messages */
    void (*close)(struct client *c);

    int (*create_experiment)(struct client *c, const char *name, const char *artifact_location,
                             const struct kv_list *tags, char **id_out, struct ferr *err);
    int (*get_experiment)(struct client *c, const char *id, struct experiment *out,
                          struct ferr *err);
    int (*get_experiment_by_name)(struct client *c, const char *name, struct experiment *out,
                                  struct ferr *err);
    int (*search_experiments)(struct client *c, const struct experiment_search *q,
                              struct experiment_list *out, struct ferr *err);
    int (*rename_experiment)(struct client *c, const char *id, const char *new_name,
                             struct ferr *err);
    int (*delete_experiment)(struct client *c, const char *id, struct ferr *err);
    int (*restore_experiment)(struct client *c, const char *id, struct ferr *err);
    int (*set_experiment_tag)(struct client *c, const char *id, const char *key, const char *value,
                              struct ferr *err);
    int (*delete_experiment_tag)(struct client *c, const char *id, const char *key,
                                 struct ferr *err);

    int (*create_run)(struct client *c, const struct run_create *rc, struct run *out,
                      struct ferr *err);
    int (*get_run)(struct client *c, const char *run_id, struct run *out, struct ferr *err);
    int (*update_run)(struct client *c, const char *run_id, enum run_status status,
                      int64_t end_time, const char *run_name, struct ferr *err);
    int (*delete_run)(struct client *c, const char *run_id, struct ferr *err);
    int (*restore_run)(struct client *c, const char *run_id, struct ferr *err);
    int (*search_runs)(struct client *c, const struct run_search *q, struct run_list *out,
                       struct ferr *err);
    int (*log_batch)(struct client *c, const char *run_id, const struct metric_list *metrics,
                     const struct kv_list *params, const struct kv_list *tags, struct ferr *err);
    int (*delete_tag)(struct client *c, const char *run_id, const char *key, struct ferr *err);
    int (*log_model)(struct client *c, const char *run_id, const char *model_json,
                     struct ferr *err);
    int (*log_inputs)(struct client *c, const char *run_id, const struct dataset_input *inputs,
                      size_t n, struct ferr *err);
    int (*metric_history)(struct client *c, const char *run_id, const char *key,
                          struct metric_list *out, struct ferr *err);

    /* the model registry (client_registry.h) */
    int (*registry_write)(struct client *c, struct reg_write *w, struct ferr *err);
    int (*get_registered_model)(struct client *c, const char *name, struct registered_model *out,
                                struct ferr *err);
    int (*search_registered_models)(struct client *c, const struct registry_search *q,
                                    struct registered_model_list *out, struct ferr *err);
    int (*search_model_versions)(struct client *c, const struct registry_search *q,
                                 struct model_version_list *out, struct ferr *err);
    int (*registry_events)(struct client *c, const char *name, struct registry_event_list *out,
                           struct ferr *err);
    int (*resolve_model_uri)(struct client *c, const char *uri, char **artifact_uri,
                             struct model_version *version, struct ferr *err);
};

struct client {
    const struct client_ops *ops;
    char *uri;
    struct store *store; /* embedded transport */
    struct rest *rest;   /* REST transport */
};

/* Each sets c->ops and opens its half of c (c->uri is set). */
int client_embedded_open(struct client *c, struct ferr *err) WARN_UNUSED;
int client_remote_open(struct client *c, struct ferr *err) WARN_UNUSED;

#endif
