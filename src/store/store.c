/* SPDX-License-Identifier: MIT
 * Picks a backend from the URI and forwards each call to its ops table. The
 * only logic here is what every backend shares: URI parsing, defaults and
 * page tokens. */
#include "store/store_int.h"
#include "base/b64.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int store_open(const char *uri, const struct store_opts *opts, struct store **out, struct ferr *err)
{
    static const struct store_opts defaults = STORE_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    if (!uri || !*uri)
        uri = "ferry.db";
    if (!strncmp(uri, "sqlite:///", 10))
        return store_sqlite_open(uri + 9, opts, out, err); /* keeps the leading '/' */
    if (!strncmp(uri, "sqlite://", 9))
        return store_sqlite_open(uri + 9, opts, out, err);
    if (!strncmp(uri, "postgresql://", 13) || !strncmp(uri, "postgres://", 11))
        return ferr_set(err, FERR_NOT_IMPLEMENTED,
                        "the postgresql backend is not built into this ferry yet");
    if (strstr(uri, "://"))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "unsupported backend store uri '%s' (use sqlite:///path or a file path)",
                        uri);
    return store_sqlite_open(uri, opts, out, err);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

void store_release_memory(struct store *s)
{
    if (s && s->ops->release_memory)
        s->ops->release_memory(s);
}

int store_schema_version(struct store *s)
{
    return s->ops->schema_version(s);
}

const char *store_default_artifact_root(struct store *s)
{
    return s->default_artifact_root;
}

int store_create_experiment(struct store *s, const char *name, const char *artifact_location,
                            const struct kv_list *tags, char **id_out, struct ferr *err)
{
    return s->ops->create_experiment(s, name, artifact_location, tags, id_out, err);
}

int store_get_experiment(struct store *s, const char *id, struct experiment *out, struct ferr *err)
{
    return s->ops->get_experiment(s, id, NULL, out, err);
}

int store_get_experiment_by_name(struct store *s, const char *name, struct experiment *out,
                                 struct ferr *err)
{
    return s->ops->get_experiment(s, NULL, name, out, err);
}

int store_search_experiments(struct store *s, const struct experiment_search *q,
                             struct experiment_list *out, struct ferr *err)
{
    return s->ops->search_experiments(s, q, out, err);
}

int store_rename_experiment(struct store *s, const char *id, const char *new_name, struct ferr *err)
{
    return s->ops->rename_experiment(s, id, new_name, err);
}

int store_delete_experiment(struct store *s, const char *id, struct ferr *err)
{
    return s->ops->set_experiment_lifecycle(s, id, LIFECYCLE_DELETED, err);
}

int store_restore_experiment(struct store *s, const char *id, struct ferr *err)
{
    return s->ops->set_experiment_lifecycle(s, id, LIFECYCLE_ACTIVE, err);
}

int store_set_experiment_tag(struct store *s, const char *id, const char *key, const char *value,
                             struct ferr *err)
{
    return s->ops->set_experiment_tag(s, id, key, value, err);
}

int store_delete_experiment_tag(struct store *s, const char *id, const char *key, struct ferr *err)
{
    return s->ops->set_experiment_tag(s, id, key, NULL, err);
}

int store_create_run(struct store *s, const struct run_create *rc, struct run *out,
                     struct ferr *err)
{
    return s->ops->create_run(s, rc, out, err);
}

int store_update_run(struct store *s, const char *run_id, enum run_status status, int64_t end_time,
                     const char *run_name, struct run_info *out, struct ferr *err)
{
    return s->ops->update_run(s, run_id, status, end_time, run_name, out, err);
}

int store_delete_run(struct store *s, const char *run_id, struct ferr *err)
{
    return s->ops->set_run_lifecycle(s, run_id, LIFECYCLE_DELETED, err);
}

int store_restore_run(struct store *s, const char *run_id, struct ferr *err)
{
    return s->ops->set_run_lifecycle(s, run_id, LIFECYCLE_ACTIVE, err);
}

int store_get_run(struct store *s, const char *run_id, struct run *out, struct ferr *err)
{
    return s->ops->get_run(s, run_id, out, err);
}

int store_log_batch(struct store *s, const char *run_id, const struct metric_list *metrics,
                    const struct kv_list *params, const struct kv_list *tags, struct ferr *err)
{
    return s->ops->log_batch(s, run_id, metrics, params, tags, err);
}

int store_delete_tag(struct store *s, const char *run_id, const char *key, struct ferr *err)
{
    return s->ops->delete_tag(s, run_id, key, err);
}

int store_log_inputs(struct store *s, const char *run_id, const struct dataset_input *inputs,
                     size_t n, struct ferr *err)
{
    return s->ops->log_inputs(s, run_id, inputs, n, err);
}

int store_gc_candidates(struct store *s, int64_t deleted_before, struct kv_list *runs,
                        struct kv_list *experiments, struct ferr *err)
{
    return s->ops->gc_candidates(s, deleted_before, runs, experiments, err);
}

int store_purge_run(struct store *s, const char *run_id, struct ferr *err)
{
    return s->ops->purge_run(s, run_id, err);
}

int store_purge_experiment(struct store *s, const char *experiment_id, struct ferr *err)
{
    return s->ops->purge_experiment(s, experiment_id, err);
}

int store_log_model(struct store *s, const char *run_id, const char *model_json, struct ferr *err)
{
    return s->ops->log_model(s, run_id, model_json, err);
}

int store_search_runs(struct store *s, const struct run_search *q, struct run_list *out,
                      struct ferr *err)
{
    return s->ops->search_runs(s, q, out, err);
}

int store_get_metric_history(struct store *s, const char *run_id, const char *key,
                             int64_t max_results, const char *page_token, struct metric_list *out,
                             char **next_token, struct ferr *err)
{
    return s->ops->metric_history(s, run_id, key, max_results, page_token, out, next_token, err);
}

int store_get_metric_history_downsampled(struct store *s, const char *run_id, const char *key,
                                         int64_t max_points, struct metric_list *out,
                                         int64_t *total, struct ferr *err)
{
    return s->ops->metric_downsampled(s, run_id, key, max_points, out, total, err);
}

int store_get_metric_history_bulk_interval(struct store *s, const char *const *run_ids,
                                           size_t nrun_ids, const char *key, int64_t start_step,
                                           int64_t end_step, int64_t max_results,
                                           struct metric_list *out, struct ferr *err)
{
    return s->ops->metric_bulk_interval(s, run_ids, nrun_ids, key, start_step, end_step,
                                        max_results, out, err);
}
