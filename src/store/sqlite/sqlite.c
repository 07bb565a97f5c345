/* SPDX-License-Identifier: MIT
 * The SQLite backend: opening a database (schema, the Default experiment)
 * and the backend's ops tables, one per area. Connections and the write
 * path live in sqlite_conn.c; the operations in sqlite_experiments.c and
 * sqlite_runs.c (tracking), sqlite_metrics.c, sqlite_registry.c,
 * sqlite_logged_models.c, sqlite_traces.c, sqlite_gc.c and sqlite_import.c. */
#include "store/sqlite/sqlite.h"
#include "store/sqlite/sqlite_int.h"
#include "store/sqlite/schema.h"
#include "store/webhooks.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static void sq_close(struct store *s)
{
    sq_plog_free(((struct sq *)s)->plog);
    sq_free((struct sq *)s);
}

static void sq_release(struct store *s)
{
    sq_release_memory((struct sq *)s);
}

static int sq_schema_version(struct store *s)
{
    (void)s;
    return SCHEMA_VERSION;
}

static const struct store_backend_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .release_memory = sq_release,
};

static const struct store_tracking_ops sqlite_tracking = {
    .create_experiment = sq_create_experiment,
    .get_experiment = sq_get_experiment,
    .get_experiment_by_name = sq_get_experiment_by_name,
    .search_experiments = sq_search_experiments,
    .rename_experiment = sq_rename_experiment,
    .set_experiment_lifecycle = sq_set_experiment_lifecycle,
    .set_experiment_tag = sq_set_experiment_tag,
    .create_run = sq_create_run,
    .update_run = sq_update_run,
    .set_run_lifecycle = sq_set_run_lifecycle,
    .get_run = sq_get_run,
    .run_experiment = sq_run_experiment,
    .log_batch = sq_log_batch,
    .delete_tag = sq_delete_tag,
    .log_inputs = sq_log_inputs,
    .log_model = sq_log_model,
    .search_datasets = sq_search_datasets,
    .search_runs = sq_search_runs,
};

static const struct store_metrics_ops sqlite_metrics = {
    .history = sq_metric_history,
    .steps = sq_metric_steps,
    .points_at_steps = sq_metric_points_at_steps,
    .span = sq_metric_span,
    .scan = sq_metric_scan,
};

static const struct store_registry_ops sqlite_registry = {
    .write = sq_registry_write,
    .get_registered_model = sq_get_registered_model,
    .get_model_version = sq_get_model_version,
    .get_version_by_alias = sq_get_version_by_alias,
    .get_latest_versions = sq_get_latest_versions,
    .search_registered_models = sq_search_registered_models,
    .search_model_versions = sq_search_model_versions,
    .events = sq_registry_events,
};

static const struct store_logged_model_ops sqlite_logged_models = {
    .create = sq_lm_create,
    .get = sq_lm_get,
    .update = sq_lm_update,
    .tags = sq_lm_tags,
    .log_params = sq_lm_log_params,
    .search = sq_lm_search,
    .log_refs = sq_log_model_refs,
};

static const struct store_traces_ops sqlite_traces = {
    .create = sq_create_trace,
    .end = sq_end_trace,
    .get = sq_get_trace,
    .search = sq_search_traces,
    .delete_traces = sq_delete_traces,
    .set_tag = sq_set_trace_tag,
};

static const struct store_gc_ops sqlite_gc = {
    .candidates = sq_gc_candidates,
    .purge_run = sq_purge_run,
    .purge_experiment = sq_purge_experiment,
};

static const struct store_import_ops sqlite_import = {
    .begin = sq_import_begin,
    .commit = sq_import_commit,
    .abort = sq_import_abort,
    .experiment = sq_import_experiment,
    .experiment_tag = sq_import_experiment_tag,
    .run = sq_import_run,
    .param = sq_import_param,
    .tag = sq_import_tag,
    .points = sq_import_points,
    .input = sq_import_input,
    .run_done = sq_import_run_done,
    .model = sq_import_model,
    .model_tag = sq_import_model_tag,
    .version = sq_import_version,
    .version_tag = sq_import_version_tag,
    .alias = sq_import_alias,
    .model_done = sq_import_model_done,
    .count_run = sq_import_count_run,
    .count_model = sq_import_count_model,
    .count_experiment_tags = sq_import_count_experiment_tags,
};

/* "<dir of db>/mlruns" as an absolute path. */
static char *default_root_for(const char *db_path)
{
    struct sbuf sb = SBUF_INIT;
    char *abs = realpath(db_path, NULL);
    const char *p = abs ? abs : db_path;
    const char *slash = strrchr(p, '/');
    if (slash)
        sbuf_add(&sb, p, (size_t)(slash - p));
    else
        sbuf_addstr(&sb, ".");
    sbuf_addstr(&sb, "/mlruns");
    free(abs);
    return sbuf_detach(&sb, NULL);
}

/* Experiment 0 "Default" exists in every store, as in MLflow. */
static int ensure_default(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)arg;
    static const char sql[] =
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) VALUES (0, 'Default', ?, 'active', ?, ?) "
        "ON CONFLICT DO NOTHING";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    struct sbuf loc = SBUF_INIT;
    sbuf_addf(&loc, "%s/0", sq->base.default_artifact_root);
    int64_t now = ftime_now_ms();
    sqlite3_bind_text(st, 1, loc.buf, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, now);
    sbuf_release(&loc);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "creating the default experiment", err);
    return 0;
}

int store_sqlite_open(const char *path, const struct store_opts *opts, struct store **out,
                      struct ferr *err)
{
    if (!*path)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "empty database path");
    struct sq *sq = xcalloc(1, sizeof(*sq));
    sq->base.ops = &sqlite_ops;
    sq->base.tracking = &sqlite_tracking;
    sq->base.metrics = &sqlite_metrics;
    sq->base.registry = &sqlite_registry;
    sq->base.gc = &sqlite_gc;
    sq->base.logged_models = &sqlite_logged_models;
    sq->base.import = &sqlite_import;
    sq->base.traces = &sqlite_traces;
    sq->base.auth = &sqlite_auth;
    sq->base.leases = &sqlite_leases;
    sq->base.deployments = &sqlite_deployments;
    sq->base.predictions = &sqlite_predictions;
    sq->base.monitors = &sqlite_monitors;
    sq->base.datasets = &sqlite_datasets;
    sq->base.lineage = &sqlite_lineage;
    sq->base.triggers = &sqlite_triggers;
    sq->base.webhooks = &sqlite_webhooks;
    sq->path = xstrdup(path);
    sq->plog = sq_plog_new(path);
    pthread_mutex_init(&sq->pool_mu, NULL);
    pthread_mutex_init(&sq->write_mu, NULL);
    pthread_mutex_init(&sq->q_mu, NULL);
    pthread_cond_init(&sq->q_idle, NULL);

    sq->writer = sq_conn_open(sq, err);
    if (!sq->writer)
        goto fail;
    if (schema_migrate(sq->writer->db, NULL, err))
        goto fail;
    const char *root = opts->default_artifact_root;
    sq->base.default_artifact_root = root ? xstrdup(root) : default_root_for(path);
    size_t rl = strlen(sq->base.default_artifact_root);
    while (rl > 1 && sq->base.default_artifact_root[rl - 1] == '/') /* "root/" -> "root" */
        sq->base.default_artifact_root[--rl] = '\0';
    if (sq_write(sq, ensure_default, NULL, err))
        goto fail;
    sq->group_commit = opts->group_commit;
    sq->fence = sq_lease_fence;
    *out = &sq->base;
    return 0;
fail:
    sq_close(&sq->base);
    return -1;
}
