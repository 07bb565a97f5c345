/* SPDX-License-Identifier: MIT
 * Internals of the SQLite backend, for the files of store/sqlite/ only.
 *
 * Connections: one writer connection, used under sq->write_mu (direct mode) or
 * only by the current group-commit leader; readers come from a pool, one
 * connection per concurrent reader, so reads never wait for writes (WAL).
 * Each connection caches prepared statements keyed by the address of their
 * static SQL text.
 *
 * The sq_* ops at the end fill the areas' ops tables (store/backend.h; the
 * tables are in sqlite.c, the ops in sqlite_<area>.c) and follow their contracts: arguments arrive
 * validated by the front. */
#ifndef FERRY_STORE_SQLITE_SQLITE_INT_H
#define FERRY_STORE_SQLITE_SQLITE_INT_H

#include "store/backend.h"
#include "store/auth.h"
#include "store/leases.h"
#include "store/gc.h"
#include "store/logged_models.h"
#include "store/import.h"
#include "store/metrics.h"
#include "store/registry.h"
#include "store/traces.h"
#include "store/sqlfrag.h"
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>

#define SQ_STMT_CACHE 64

struct sq_conn {
    sqlite3 *db;
    const char *keys[SQ_STMT_CACHE]; /* static SQL text, compared by address */
    sqlite3_stmt *stmts[SQ_STMT_CACHE];
    int nstmts;
    struct sq_conn *next; /* free-list link */
};

struct write_op;
struct sq_plog;

struct sq {
    struct store base; /* first: struct store * casts to struct sq * */
    char *path;
    int group_commit;
    /* sq_lease_fence, set at open: the write path checks fences through it
     * (sqlite_conn.c does not depend on the leases area's file). */
    int (*fence)(struct sq_conn *c, const struct lease_fence *f, struct ferr *err);

    pthread_mutex_t pool_mu;
    struct sq_conn *free_readers;

    struct sq_conn *writer;
    pthread_mutex_t write_mu; /* direct mode: serialises writers */

    /* group commit (leader/follower, see sqlite_conn.c) */
    pthread_mutex_t q_mu;
    pthread_cond_t q_idle; /* signalled when the queue empties and no one leads */
    struct write_op *q_head, *q_tail;
    int leading; /* a submitter is writing a group */
    int stopping;

    struct sq_plog *plog; /* the prediction log's partitions (sqlite_predictions.c) */
};

/* A write: fn runs inside a transaction (savepoint) on the writer connection.
 * It returns 0 or -1 with err set; on -1 its changes are rolled back. */
typedef int (*sq_write_fn)(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err);

/* sqlite_conn.c: a new connection on sq's database (pragmas set); closing
 * everything once queued writes are done; dropping idle caches. */
struct sq_conn *sq_conn_open(struct sq *sq, struct ferr *err);
void sq_free(struct sq *sq);
void sq_release_memory(struct sq *sq);

int sq_write(struct sq *sq, sq_write_fn fn, void *arg, struct ferr *err);
struct sq_conn *sq_reader_get(struct sq *sq, struct ferr *err);
void sq_reader_put(struct sq *sq, struct sq_conn *c);

/* The cached statement for static SQL text sql, reset and with bindings
 * cleared. NULL with err set when it does not prepare. */
sqlite3_stmt *sq_prep(struct sq_conn *c, const char *sql, struct ferr *err);
/* Binds f's values from index 1 on. */
int sq_bind_frag(sqlite3_stmt *st, const struct sql_frag *f);
/* An INTERNAL_ERROR carrying SQLite's message for what failed (no SQL text). */
int sq_fail(struct sq_conn *c, const char *what, struct ferr *err);
int sq_exec(struct sq_conn *c, const char *sql, struct ferr *err);
/* sqlite3_column_text as a new string ("" for NULL). */
char *sq_col_str(sqlite3_stmt *st, int col);
char *sq_col_str_or_null(sqlite3_stmt *st, int col);

/* Lookups shared across files (run on any connection). */
/* The internal id of run_id, and its lifecycle; RESOURCE_DOES_NOT_EXIST when absent. */
int sq_run_lookup(struct sq_conn *c, const char *run_id, int64_t *id, enum lifecycle *lc,
                  int64_t *experiment_id, struct ferr *err);
/* As sq_run_lookup, and INVALID_PARAMETER_VALUE when the run is deleted. */
int sq_run_active(struct sq_conn *c, const char *run_id, int64_t *id, int64_t *experiment_id,
                  struct ferr *err);
int sq_load_run(struct sq_conn *c, int64_t id, struct run *out, struct ferr *err);
/* The (key, value) rows sql selects for the id bound to its one parameter. */
int sq_load_kv(struct sq_conn *c, const char *sql, int64_t id, struct kv_list *out,
               struct ferr *err);
/* The internal id of an active logged model; RESOURCE_DOES_NOT_EXIST as
 * MLflow words it otherwise. */
int sq_logged_model_lookup(struct sq_conn *c, const char *model_id, int64_t *id, struct ferr *err);
/* Each point of ml that names a logged model, as that model's too. */
int sq_put_model_metrics(struct sq_conn *c, const char *run_id, const struct metric_list *ml,
                         struct ferr *err);

int sq_load_run_info(struct sq_conn *c, int64_t id, struct run_info *out, struct ferr *err);
int sq_set_run_tag(struct sq_conn *c, int64_t run, const char *key, const char *value,
                   struct ferr *err);

/* tracking: experiments.c */
int sq_create_experiment(struct store *s, const char *name, const char *artifact_location,
                         const struct kv_list *tags, int64_t *id_out, struct ferr *err);
int sq_get_experiment(struct store *s, int64_t id, struct experiment *out, struct ferr *err);
int sq_get_experiment_by_name(struct store *s, const char *name, struct experiment *out,
                              struct ferr *err);
int sq_search_experiments(struct store *s, const struct experiment_search *q,
                          struct store_page *page, struct experiment_list *out, struct ferr *err);
int sq_rename_experiment(struct store *s, int64_t id, const char *new_name, struct ferr *err);
int sq_set_experiment_lifecycle(struct store *s, int64_t id, enum lifecycle to, struct ferr *err);
int sq_set_experiment_tag(struct store *s, int64_t id, const char *key, const char *value,
                          struct ferr *err);
/* tracking: runs.c */
int sq_create_run(struct store *s, const struct store_run_new *run, struct run *out,
                  struct ferr *err);
int sq_update_run(struct store *s, const char *run_id, enum run_status status, int64_t end_time,
                  const char *run_name, struct run_info *out, struct ferr *err);
int sq_set_run_lifecycle(struct store *s, const char *run_id, enum lifecycle to, struct ferr *err);
int sq_get_run(struct store *s, const char *run_id, struct run *out, struct ferr *err);
int sq_run_experiment(struct store *s, const char *run_id, int64_t *experiment_id,
                      struct ferr *err);
int sq_log_batch(struct store *s, const char *run_id, const struct metric_list *metrics,
                 const struct kv_list *params, const struct kv_list *tags, struct ferr *err);
int sq_delete_tag(struct store *s, const char *run_id, const char *key, struct ferr *err);
int sq_log_inputs(struct store *s, const char *run_id, const struct dataset_input *inputs, size_t n,
                  struct ferr *err);
int sq_log_model(struct store *s, const char *run_id, const char *model_json, struct ferr *err);
/* The logged models a run read (outputs 0) or produced (outputs 1). */
int sq_log_model_refs(struct store *s, const char *run_id, int outputs,
                      const struct model_ref_list *models, struct ferr *err);
/* A run's model inputs and outputs into out. */
int sq_load_model_refs(struct sq_conn *c, int64_t run, struct run *out, struct ferr *err);
int sq_search_datasets(struct store *s, const int64_t *experiment_ids, size_t n, int64_t limit,
                       struct dataset_summary_list *out, struct ferr *err);
int sq_search_runs(struct store *s, const struct run_search *q, struct store_page *page,
                   struct run_list *out, struct ferr *err);
/* metrics: metrics.c */
int sq_metric_history(struct store *s, const char *run_id, const char *key, struct store_page *page,
                      struct metric_list *out, struct ferr *err);
int sq_metric_steps(struct store *s, const char *run_id, const char *key, int64_t lo, int64_t hi,
                    struct store_steps *out, struct ferr *err);
int sq_metric_points_at_steps(struct store *s, const char *run_id, const char *key,
                              const struct store_steps *steps, int64_t max, struct metric_list *out,
                              struct ferr *err);
int sq_metric_span(struct store *s, const char *run_id, const char *key, int64_t cap,
                   struct store_metric_span *out, struct ferr *err);
int sq_metric_scan(struct store *s, const char *run_id, const char *key, store_point_fn fn,
                   void *arg, struct ferr *err);
/* registry: registry.c */
int sq_registry_write(struct store *s, struct reg_write *w, struct ferr *err);
int sq_get_registered_model(struct store *s, const char *name, struct registered_model *out,
                            struct ferr *err);
int sq_get_model_version(struct store *s, const char *name, int64_t version,
                         struct model_version *out, struct ferr *err);
int sq_get_version_by_alias(struct store *s, const char *name, const char *alias,
                            struct model_version *out, struct ferr *err);
int sq_get_latest_versions(struct store *s, const char *name, const char *const *stages, size_t n,
                           struct model_version_list *out, struct ferr *err);
int sq_search_registered_models(struct store *s, const struct registry_search *q,
                                struct store_page *page, struct registered_model_list *out,
                                struct ferr *err);
int sq_search_model_versions(struct store *s, const struct registry_search *q,
                             struct store_page *page, struct model_version_list *out,
                             struct ferr *err);
int sq_registry_events(struct store *s, const char *name, struct registry_event_list *out,
                       struct ferr *err);
/* logged models: logged_models.c */
int sq_lm_create(struct store *s, int64_t experiment_id, const char *model_id, const char *name,
                 const struct logged_model_create *c, struct logged_model *out, struct ferr *err);
int sq_lm_get(struct store *s, const char *model_id, struct logged_model *out, struct ferr *err);
int sq_lm_update(struct store *s, const char *model_id, int status, int deleted, struct ferr *err);
int sq_lm_tags(struct store *s, const char *model_id, const struct kv_list *tags, const char *key,
               struct ferr *err);
int sq_lm_log_params(struct store *s, const char *model_id, const struct kv_list *params,
                     struct ferr *err);
int sq_lm_search(struct store *s, const struct logged_model_search *q, struct store_page *page,
                 struct logged_model_list *out, struct ferr *err);
/* traces: traces.c */
int sq_create_trace(struct store *s, const struct trace_info *t, int64_t experiment_id, int replace,
                    struct trace_info *out, struct ferr *err);
int sq_end_trace(struct store *s, const char *request_id, int64_t end_ms, enum trace_status status,
                 const struct kv_list *request_metadata, const struct kv_list *tags,
                 struct trace_info *out, struct ferr *err);
int sq_get_trace(struct store *s, const char *request_id, struct trace_info *out, struct ferr *err);
int sq_search_traces(struct store *s, const struct trace_search *q, struct store_page *page,
                     struct trace_info_list *out, struct ferr *err);
int sq_delete_traces(struct store *s, int64_t experiment_id, const struct trace_delete *q,
                     int64_t *deleted, struct ferr *err);
int sq_set_trace_tag(struct store *s, const char *request_id, const char *key, const char *value,
                     struct ferr *err);
/* gc: gc.c */
int sq_gc_candidates(struct store *s, int64_t deleted_before, struct kv_list *runs,
                     struct kv_list *experiments, struct ferr *err);
int sq_purge_run(struct store *s, const char *run_id, struct ferr *err);
int sq_purge_experiment(struct store *s, int64_t experiment_id, struct ferr *err);
/* import: import.c */
int sq_import_begin(struct store *s, struct store_import **out, struct ferr *err);
int sq_import_commit(struct store_import *tx, struct ferr *err);
void sq_import_abort(struct store_import *tx);
int sq_import_experiment(struct store_import *tx, const struct import_experiment *e,
                         enum import_outcome *out, struct ferr *err);
int sq_import_experiment_tag(struct store_import *tx, int64_t experiment_id, const char *key,
                             const char *value, enum import_outcome *out, struct ferr *err);
int sq_import_run(struct store_import *tx, const struct import_run *r, enum import_outcome *out,
                  struct ferr *err);
int sq_import_param(struct store_import *tx, const char *key, const char *value,
                    enum import_outcome *out, struct ferr *err);
int sq_import_tag(struct store_import *tx, const char *key, const char *value,
                  enum import_outcome *out, struct ferr *err);
int sq_import_points(struct store_import *tx, const struct import_point *v, size_t n,
                     size_t *written, struct ferr *err);
int sq_import_input(struct store_import *tx, const struct dataset_input *in,
                    enum import_outcome *out, struct ferr *err);
int sq_import_run_done(struct store_import *tx, struct ferr *err);
int sq_import_model(struct store_import *tx, const struct import_model *m, enum import_outcome *out,
                    struct ferr *err);
int sq_import_model_tag(struct store_import *tx, const char *key, const char *value,
                        enum import_outcome *out, struct ferr *err);
int sq_import_version(struct store_import *tx, const struct import_version *v,
                      enum import_outcome *out, struct ferr *err);
int sq_import_version_tag(struct store_import *tx, int64_t version, const char *key,
                          const char *value, enum import_outcome *out, struct ferr *err);
int sq_import_alias(struct store_import *tx, const char *alias, int64_t version,
                    enum import_outcome *out, struct ferr *err);
int sq_import_model_done(struct store_import *tx, int64_t highest, struct ferr *err);
int sq_import_count_run(struct store_import *tx, const char *run_id, struct import_counts *out,
                        struct ferr *err);
int sq_import_count_model(struct store_import *tx, const char *name, struct import_counts *out,
                          struct ferr *err);
int sq_import_count_experiment_tags(struct store_import *tx, int64_t experiment_id, int64_t *out,
                                    struct ferr *err);

/* sqlite_auth.c: the auth area's table, exported whole. */
extern const struct store_auth_ops sqlite_auth;
/* sqlite_leases.c: the leases area's table. */
extern const struct store_lease_ops sqlite_leases;
/* sqlite_deployments.c: the deployments area's table. */
extern const struct store_deployment_ops sqlite_deployments;
/* sqlite_monitors.c: the monitors area's table. */
extern const struct store_monitor_ops sqlite_monitors;
/* sqlite_datasets.c: the datasets area's table. */
extern const struct store_dataset_ops sqlite_datasets;
/* sqlite_lineage.c: the lineage area's table. */
extern const struct store_lineage_ops sqlite_lineage;
/* sqlite_triggers.c: the triggers area's table. */
extern const struct store_trigger_ops sqlite_triggers;
/* sqlite_webhooks.c: the webhooks area's table. */
extern const struct store_webhook_ops sqlite_webhooks;
/* sqlite_predictions.c: the prediction log's table, and its partitions'
 * cache beside the tracking file at tracking_path (made at open, freed at
 * close). */
extern const struct store_prediction_ops sqlite_predictions;
struct sq_plog *sq_plog_new(const char *tracking_path);
void sq_plog_free(struct sq_plog *pl);
/* sqlite_leases.c: refuses a write under f unless f's epoch holds (store/leases.h). */
int sq_lease_fence(struct sq_conn *c, const struct lease_fence *f, struct ferr *err);

#endif
