/* SPDX-License-Identifier: MIT
 * The tracking client: the store's operations over one of two transports,
 * chosen by the tracking URI. Embedded ("sqlite:///path" or a plain path):
 * calls the store in-process. REST ("http(s)://"): MLflow's REST API through
 * libcurl and the shared codec. The CLI and the public ferry_* API are built
 * on this, so both work the same against a file and against a server.
 *
 * Every function follows the store's contract (store/store.h): 0, or -1 with
 * err set; outputs released by the caller with the domain *_release. */
#ifndef FERRY_CLIENT_CLIENT_H
#define FERRY_CLIENT_CLIENT_H

#include "base/ferr.h"
#include "domain/domain.h"
#include "store/store.h" /* struct run_create */

struct client;

/* uri NULL: FERRY_TRACKING_URI, else MLFLOW_TRACKING_URI, else ./ferry.db. */
int client_open(const char *uri, struct client **out, struct ferr *err) WARN_UNUSED;
void client_close(struct client *c);
/* The resolved tracking URI. */
const char *client_uri(const struct client *c);
int client_is_remote(const struct client *c);
/* What client_open would use for uri NULL. */
const char *client_default_uri(void);

int client_create_experiment(struct client *c, const char *name, const char *artifact_location,
                             const struct kv_list *tags, char **id_out,
                             struct ferr *err) WARN_UNUSED;
int client_get_experiment(struct client *c, const char *id, struct experiment *out,
                          struct ferr *err) WARN_UNUSED;
int client_get_experiment_by_name(struct client *c, const char *name, struct experiment *out,
                                  struct ferr *err) WARN_UNUSED;
int client_search_experiments(struct client *c, const struct experiment_search *q,
                              struct experiment_list *out, struct ferr *err) WARN_UNUSED;
int client_rename_experiment(struct client *c, const char *id, const char *new_name,
                             struct ferr *err) WARN_UNUSED;
int client_delete_experiment(struct client *c, const char *id, struct ferr *err) WARN_UNUSED;
int client_restore_experiment(struct client *c, const char *id, struct ferr *err) WARN_UNUSED;
int client_set_experiment_tag(struct client *c, const char *id, const char *key,
                              const char *value, struct ferr *err) WARN_UNUSED;

int client_create_run(struct client *c, const struct run_create *rc, struct run *out,
                      struct ferr *err) WARN_UNUSED;
int client_get_run(struct client *c, const char *run_id, struct run *out,
                   struct ferr *err) WARN_UNUSED;
int client_update_run(struct client *c, const char *run_id, enum run_status status,
                      int64_t end_time, const char *run_name, struct ferr *err) WARN_UNUSED;
int client_delete_run(struct client *c, const char *run_id, struct ferr *err) WARN_UNUSED;
int client_restore_run(struct client *c, const char *run_id, struct ferr *err) WARN_UNUSED;
int client_search_runs(struct client *c, const struct run_search *q, struct run_list *out,
                       struct ferr *err) WARN_UNUSED;
int client_log_batch(struct client *c, const char *run_id, const struct metric_list *metrics,
                     const struct kv_list *params, const struct kv_list *tags,
                     struct ferr *err) WARN_UNUSED;
int client_delete_tag(struct client *c, const char *run_id, const char *key,
                      struct ferr *err) WARN_UNUSED;
/* The whole history of key; the REST transport follows page tokens. */
int client_metric_history(struct client *c, const char *run_id, const char *key,
                          struct metric_list *out, struct ferr *err) WARN_UNUSED;

#endif
