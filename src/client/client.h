/* SPDX-License-Identifier: MIT
 * The tracking client: the store's operations over one of two transports,
 * chosen by the tracking URI, both driven by the operation rows
 * (api/op.h; client/transport.c):
 *   embedded  "sqlite:///abs/path", "sqlite://rel/path" or a plain path: the
 *             rows' functions on the store in-process, no server needed;
 *   REST      "http://..." or "https://...": the rows' requests over
 *             MLflow's REST API with libcurl (http/client.h), against ferry
 *             or a stock MLflow server.
 * The CLI and the public ferry_* API are built on this, so both behave the
 * same against a file and against a server.
 *
 * Every function follows the store's contract (store/store.h): 0, or -1 with
 * err set to an MLflow code (transport failures are FERR_IO_ERROR); outputs
 * are the caller's, released with the domain *_release functions.
 *
 * Thread-safety: a struct client may be used by several threads at once; the
 * store is thread-safe and the REST transport serialises its calls. */
#ifndef FERRY_CLIENT_CLIENT_H
#define FERRY_CLIENT_CLIENT_H

#include "base/ferr.h"
#include "domain/domain.h"
#include "store/store.h" /* struct run_create */

struct client;

/* uri NULL or "": client_default_uri(). Unknown schemes fail as the store
 * reports them (e.g. "postgresql://" before that backend exists). */
int client_open(const char *uri, struct client **out, struct ferr *err) WARN_UNUSED;
/* Closes the transport. Accepts NULL. */
void client_close(struct client *c);
/* The tracking URI in use. */
const char *client_uri(const struct client *c);
/* 1 for the REST transport. */
int client_is_remote(const struct client *c);
/* $FERRY_TRACKING_URI, else $MLFLOW_TRACKING_URI, else "ferry.db". */
const char *client_default_uri(void);

/* Experiments. *id_out (may be NULL) receives a new string. */
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
int client_set_experiment_tag(struct client *c, const char *id, const char *key, const char *value,
                              struct ferr *err) WARN_UNUSED;
int client_delete_experiment_tag(struct client *c, const char *id, const char *key,
                                 struct ferr *err) WARN_UNUSED;

/* Runs. */
int client_create_run(struct client *c, const struct run_create *rc, struct run *out,
                      struct ferr *err) WARN_UNUSED;
int client_get_run(struct client *c, const char *run_id, struct run *out,
                   struct ferr *err) WARN_UNUSED;
/* status RUN_STATUS_NONE, end_time TIME_NONE, run_name NULL: left as is. */
int client_update_run(struct client *c, const char *run_id, enum run_status status,
                      int64_t end_time, const char *run_name, struct ferr *err) WARN_UNUSED;
int client_delete_run(struct client *c, const char *run_id, struct ferr *err) WARN_UNUSED;
int client_restore_run(struct client *c, const char *run_id, struct ferr *err) WARN_UNUSED;
int client_search_runs(struct client *c, const struct run_search *q, struct run_list *out,
                       struct ferr *err) WARN_UNUSED;
/* Logs metrics, params and tags (each list may be NULL). Everything is
 * validated first, so an invalid entry sends nothing. A batch within MLflow's
 * per-request limits (1000 metrics, 100 params, 100 tags, 1000 in all) is one
 * all-or-nothing request; a larger one is split, as MLflow's client does
 * (params first, then tags, then metrics), and a failure part-way leaves the
 * earlier parts logged. */
int client_log_batch(struct client *c, const char *run_id, const struct metric_list *metrics,
                     const struct kv_list *params, const struct kv_list *tags,
                     struct ferr *err) WARN_UNUSED;
int client_delete_tag(struct client *c, const char *run_id, const char *key,
                      struct ferr *err) WARN_UNUSED;
/* Appends model_json (an MLmodel as JSON) to the run's logged models. */
int client_log_model(struct client *c, const char *run_id, const char *model_json,
                     struct ferr *err) WARN_UNUSED;
int client_log_inputs(struct client *c, const char *run_id, const struct dataset_input *inputs,
                      size_t n, struct ferr *err) WARN_UNUSED;
/* The whole history of key, by step then timestamp; the REST transport
 * follows page tokens until the last page. */
int client_metric_history(struct client *c, const char *run_id, const char *key,
                          struct metric_list *out, struct ferr *err) WARN_UNUSED;

#endif
