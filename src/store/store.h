/* SPDX-License-Identifier: MIT
 * The store: opening and closing one, and its tracking area, every read and
 * write of experiments, runs, params, tags, latest metrics and dataset
 * inputs. The other areas have headers of their own: metric histories
 * (store/metrics.h), the model registry (store/registry.h), garbage
 * collection (store/gc.h), model URIs (store/model_uri.h). Backends sit
 * behind one ops table per area (store/backend.h): SQLite now
 * (store/sqlite/), PostgreSQL later. A backend may lack an area: its calls
 * then fail with NOT_IMPLEMENTED.
 *
 * Contract for every function: returns 0 on success, -1 with err set to an
 * MLflow code on failure; on failure nothing was changed. The store validates
 * its arguments itself (domain/validate.h), always in the same order and
 * before the backend checks what needs the database (existence, lifecycle,
 * param immutability), so a request fails the same way on every backend.
 * Outputs are owned by the caller and freed with the domain *_release function.
 *
 * Thread-safety: a struct store may be used from many threads at once. Writes
 * are serialised; with opts.group_commit concurrent writes are queued and
 * committed together in one transaction by whichever caller leads the group,
 * each acknowledged only after that transaction has committed (see
 * store/sqlite/sqlite_conn.c). */
#ifndef FERRY_STORE_STORE_H
#define FERRY_STORE_STORE_H

#include "base/ferr.h"
#include "base/ids.h"
#include "domain/domain.h"

struct store;

struct store_opts {
    /* Where new experiments put their artifacts: "<root>/<experiment_id>".
     * NULL means "mlruns" beside the database file, as an absolute path. */
    const char *default_artifact_root;
    /* 1: group commit, concurrent writes share transactions (for the
     * server). 0: each write runs in its own transaction (embedded use). */
    int group_commit;
};

#define STORE_OPTS_INIT                                                                            \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Opens (creating and migrating as needed) the store at uri: "sqlite:///abs/path",
 * "sqlite://relative", or a plain file path. Creates experiment 0 "Default". */
int store_open(const char *uri, const struct store_opts *opts, struct store **out,
               struct ferr *err) WARN_UNUSED;
/* Finishes queued writes, then closes every connection. Accepts NULL. */
void store_close(struct store *s);
/* Drops caches that idle connections hold (SQLite's page caches), for a
 * server that has gone quiet. Safe at any time from any thread; a busy
 * connection keeps its cache. */
void store_release_memory(struct store *s);
/* 0 when the store's database answers now, or -1 with err set
 * (TEMPORARILY_UNAVAILABLE): /health asks it, so that a load balancer takes
 * a replica that lost its database out of rotation. An embedded file always
 * answers. */
int store_ping(struct store *s, struct ferr *err);
/* The schema version this build writes, and the one the open store has. */
int store_schema_version(struct store *s);
const char *store_default_artifact_root(struct store *s);

/* Experiments. id_out is a new string the caller frees. */
int store_create_experiment(struct store *s, const char *name, const char *artifact_location,
                            const struct kv_list *tags, char **id_out,
                            struct ferr *err) WARN_UNUSED;
int store_get_experiment(struct store *s, const char *id, struct experiment *out,
                         struct ferr *err) WARN_UNUSED;
int store_get_experiment_by_name(struct store *s, const char *name, struct experiment *out,
                                 struct ferr *err) WARN_UNUSED;
int store_search_experiments(struct store *s, const struct experiment_search *q,
                             struct experiment_list *out, struct ferr *err) WARN_UNUSED;
int store_rename_experiment(struct store *s, const char *id, const char *new_name,
                            struct ferr *err) WARN_UNUSED;
/* Deleting marks the experiment and its runs deleted; restoring undoes both. */
int store_delete_experiment(struct store *s, const char *id, struct ferr *err) WARN_UNUSED;
int store_restore_experiment(struct store *s, const char *id, struct ferr *err) WARN_UNUSED;
int store_set_experiment_tag(struct store *s, const char *id, const char *key, const char *value,
                             struct ferr *err) WARN_UNUSED;
int store_delete_experiment_tag(struct store *s, const char *id, const char *key,
                                struct ferr *err) WARN_UNUSED;

/* Runs. */
int store_create_run(struct store *s, const struct run_create *rc, struct run *out,
                     struct ferr *err) WARN_UNUSED;
/* status RUN_STATUS_NONE, end_time TIME_NONE, run_name NULL: leave as is.
 * A new run_name also updates the mlflow.runName tag. out may be NULL. */
int store_update_run(struct store *s, const char *run_id, enum run_status status, int64_t end_time,
                     const char *run_name, struct run_info *out, struct ferr *err) WARN_UNUSED;
int store_delete_run(struct store *s, const char *run_id, struct ferr *err) WARN_UNUSED;
int store_restore_run(struct store *s, const char *run_id, struct ferr *err) WARN_UNUSED;
int store_get_run(struct store *s, const char *run_id, struct run *out,
                  struct ferr *err) WARN_UNUSED;
/* The experiment a run belongs to (decimal, owned by the caller), without
 * loading the run: the permission check's lookup on every request. */
int store_run_experiment(struct store *s, const char *run_id, char **experiment_id,
                         struct ferr *err) WARN_UNUSED;
/* Logs metrics, params and tags to an active run atomically: all or nothing.
 * A param already logged with a different value is INVALID_PARAMETER_VALUE. */
int store_log_batch(struct store *s, const char *run_id, const struct metric_list *metrics,
                    const struct kv_list *params, const struct kv_list *tags,
                    struct ferr *err) WARN_UNUSED;
int store_delete_tag(struct store *s, const char *run_id, const char *key,
                     struct ferr *err) WARN_UNUSED;
int store_log_inputs(struct store *s, const char *run_id, const struct dataset_input *inputs,
                     size_t n, struct ferr *err) WARN_UNUSED;
/* Appends model_json (a JSON object with MLflow's mandatory fields) to the
 * run's mlflow.log-model.history tag, as MLflow does. */
int store_log_model(struct store *s, const char *run_id, const char *model_json,
                    struct ferr *err) WARN_UNUSED;
/* The datasets the runs of the experiments read, each with its context,
 * at most 1000 (MLflow's _search_datasets); 1 to 20 experiment ids, as
 * MLflow's handler allows. */
int store_search_datasets(struct store *s, const char *const *experiment_ids, size_t n,
                          struct dataset_summary_list *out, struct ferr *err) WARN_UNUSED;
int store_search_runs(struct store *s, const struct run_search *q, struct run_list *out,
                      struct ferr *err) WARN_UNUSED;

/* ---------- the tracking backend contract (see store/backend.h) ---------- */

/* One page of a search, as the front asks a backend for it. */
struct store_page {
    int64_t offset; /* rows to skip */
    int64_t limit;  /* rows at most (0: all, where an op says so) */
    int more;       /* out: set to 1 when rows follow the page */
};

/* For the fronts of every area: the page a search asks for, its limit
 * checked against max (INVALID_PARAMETER_VALUE) and its page token (may be
 * NULL or "") decoded into the offset; then the next page's token, when the
 * backend said rows follow (*next_token NULL otherwise). */
int store_page_open(struct store_page *page, int64_t limit, int64_t max, const char *token,
                    struct ferr *err) WARN_UNUSED;
void store_page_close(const struct store_page *page, char **next_token);

/* A run to create, as the front hands it over: validated, its name and user
 * resolved (given, else from the tags, else generated or ""). */
struct store_run_new {
    char run_id[RUN_ID_LEN + 1]; /* new */
    int64_t experiment_id;       /* parsed; existence not checked yet */
    const char *name;            /* also the value of the mlflow.runName tag */
    const char *user;            /* never NULL */
    int64_t start_time;          /* ms since the epoch */
    const struct kv_list *tags;  /* an mlflow.runName among them yields to name */
};

/* Experiments and runs. Arguments arrive validated as the functions above
 * validate them; experiment ids parsed. Searches return at most
 * page->limit rows after page->offset and set page->more when rows follow;
 * the filter and order_by are parsed by the backend (compiling them is
 * backend work: store/search_sql.h for SQL backends). */
struct store_tracking_ops {
    int (*create_experiment)(struct store *s, const char *name, const char *artifact_location,
                             const struct kv_list *tags, int64_t *id_out, struct ferr *err);
    int (*get_experiment)(struct store *s, int64_t id, struct experiment *out, struct ferr *err);
    int (*get_experiment_by_name)(struct store *s, const char *name, struct experiment *out,
                                  struct ferr *err);
    int (*search_experiments)(struct store *s, const struct experiment_search *q,
                              struct store_page *page, struct experiment_list *out,
                              struct ferr *err);
    int (*rename_experiment)(struct store *s, int64_t id, const char *new_name, struct ferr *err);
    int (*set_experiment_lifecycle)(struct store *s, int64_t id, enum lifecycle to,
                                    struct ferr *err);
    /* value NULL deletes the tag. */
    int (*set_experiment_tag)(struct store *s, int64_t id, const char *key, const char *value,
                              struct ferr *err);
    /* out may be NULL, here and in update_run. */
    int (*create_run)(struct store *s, const struct store_run_new *run, struct run *out,
                      struct ferr *err);
    int (*update_run)(struct store *s, const char *run_id, enum run_status status, int64_t end_time,
                      const char *run_name, struct run_info *out, struct ferr *err);
    int (*set_run_lifecycle)(struct store *s, const char *run_id, enum lifecycle to,
                             struct ferr *err);
    int (*get_run)(struct store *s, const char *run_id, struct run *out, struct ferr *err);
    int (*run_experiment)(struct store *s, const char *run_id, int64_t *experiment_id,
                          struct ferr *err);
    int (*log_batch)(struct store *s, const char *run_id, const struct metric_list *metrics,
                     const struct kv_list *params, const struct kv_list *tags, struct ferr *err);
    int (*delete_tag)(struct store *s, const char *run_id, const char *key, struct ferr *err);
    int (*log_inputs)(struct store *s, const char *run_id, const struct dataset_input *inputs,
                      size_t n, struct ferr *err);
    int (*log_model)(struct store *s, const char *run_id, const char *model_json, struct ferr *err);
    int (*search_datasets)(struct store *s, const int64_t *experiment_ids, size_t n, int64_t limit,
                           struct dataset_summary_list *out, struct ferr *err);
    int (*search_runs)(struct store *s, const struct run_search *q, struct store_page *page,
                       struct run_list *out, struct ferr *err);
};

#endif
