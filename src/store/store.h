/* SPDX-License-Identifier: MIT
 * The tracking store: every read and write of experiments, runs, metrics,
 * params, tags and dataset inputs. One interface, backends behind an ops table
 * (store_int.h): SQLite now, PostgreSQL later.
 *
 * Contract for every function: returns 0 on success, -1 with err set to an
 * MLflow code on failure; on failure nothing was changed. Inputs are validated
 * by the caller through domain/validate.h except where noted; the store checks
 * what needs the database (existence, lifecycle, param immutability).
 * Outputs are owned by the caller and freed with the domain *_release function.
 *
 * Thread-safety: a struct store may be used from many threads at once. Writes
 * are serialised; with opts.group_commit concurrent writes are queued and
 * committed together in one transaction by whichever caller leads the group,
 * each acknowledged only after that transaction has committed (see
 * store/sqlite.c). */
#ifndef FERRY_STORE_STORE_H
#define FERRY_STORE_STORE_H

#include "base/ferr.h"
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
/* Logs metrics, params and tags to an active run atomically: all or nothing.
 * A param already logged with a different value is INVALID_PARAMETER_VALUE. */
int store_log_batch(struct store *s, const char *run_id, const struct metric_list *metrics,
                    const struct kv_list *params, const struct kv_list *tags,
                    struct ferr *err) WARN_UNUSED;
int store_delete_tag(struct store *s, const char *run_id, const char *key,
                     struct ferr *err) WARN_UNUSED;
int store_log_inputs(struct store *s, const char *run_id, const struct dataset_input *inputs,
                     size_t n, struct ferr *err) WARN_UNUSED;
/* Appends model_json (already validated as a JSON object) to the run's
 * mlflow.log-model.history tag, as MLflow does. */
/* Garbage collection (ferry gc). The runs to purge -- deleted at or before
 * deleted_before (ms since the epoch), or in an experiment deleted by then --
 * as (run_id, artifact_uri) pairs, and the deleted experiments as
 * (experiment_id, artifact_location). */
int store_gc_candidates(struct store *s, int64_t deleted_before, struct kv_list *runs,
                        struct kv_list *experiments, struct ferr *err) WARN_UNUSED;
/* Removes a run and everything recorded for it, for good. Only a deleted
 * run (or one in a deleted experiment): INVALID_STATE otherwise. */
int store_purge_run(struct store *s, const char *run_id, struct ferr *err) WARN_UNUSED;
/* Removes a deleted experiment that has no runs left. */
int store_purge_experiment(struct store *s, const char *experiment_id,
                           struct ferr *err) WARN_UNUSED;
int store_log_model(struct store *s, const char *run_id, const char *model_json,
                    struct ferr *err) WARN_UNUSED;
int store_search_runs(struct store *s, const struct run_search *q, struct run_list *out,
                      struct ferr *err) WARN_UNUSED;

/* Metric history of one key, ordered by step, then timestamp, then value.
 * max_results 0 means all; next_token (may be NULL) gets the next page's token
 * or NULL. An unknown run is RESOURCE_DOES_NOT_EXIST. */
int store_get_metric_history(struct store *s, const char *run_id, const char *key,
                             int64_t max_results, const char *page_token, struct metric_list *out,
                             char **next_token, struct ferr *err) WARN_UNUSED;
/* For each run, up to max_results points of key sampled evenly over the steps
 * in [start_step, end_step] (TIME_NONE: unbounded), always keeping the first
 * and last step. Each metric's run_id is set. */
int store_get_metric_history_bulk_interval(struct store *s, const char *const *run_ids,
                                           size_t nrun_ids, const char *key, int64_t start_step,
                                           int64_t end_step, int64_t max_results,
                                           struct metric_list *out, struct ferr *err) WARN_UNUSED;

/* The history of one key in at most max_points points, for drawing: all of
 * it when it is that small, else the lowest and the highest value of each of
 * (max_points - 2) / 2 equal step ranges (so no spike is lost) and the first
 * and last points, in step order; max_points is 4..100000.
 * NaN values are left out. *total gets the number of points stored. */
int store_get_metric_history_downsampled(struct store *s, const char *run_id, const char *key,
                                         int64_t max_points, struct metric_list *out,
                                         int64_t *total, struct ferr *err) WARN_UNUSED;

#endif
