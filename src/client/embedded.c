/* SPDX-License-Identifier: MIT
 * The embedded transport: every operation is the store call of the same
 * name, in-process, on the caller's thread (no group commit: one program
 * writing its own runs has no concurrent writes to group). */
#include "client/client_int.h"
#include "store/metrics.h"
#include "store/model_uri.h"
#include "store/store.h"

#include "base/banned.h"

static void e_close(struct client *c)
{
    store_close(c->store);
    c->store = NULL;
}

static int e_create_experiment(struct client *c, const char *name, const char *loc,
                               const struct kv_list *tags, char **id_out, struct ferr *err)
{
    return store_create_experiment(c->store, name, loc, tags, id_out, err);
}

static int e_get_experiment(struct client *c, const char *id, struct experiment *out,
                            struct ferr *err)
{
    return store_get_experiment(c->store, id, out, err);
}

static int e_get_experiment_by_name(struct client *c, const char *name, struct experiment *out,
                                    struct ferr *err)
{
    return store_get_experiment_by_name(c->store, name, out, err);
}

static int e_search_experiments(struct client *c, const struct experiment_search *q,
                                struct experiment_list *out, struct ferr *err)
{
    return store_search_experiments(c->store, q, out, err);
}

static int e_rename_experiment(struct client *c, const char *id, const char *new_name,
                               struct ferr *err)
{
    return store_rename_experiment(c->store, id, new_name, err);
}

static int e_delete_experiment(struct client *c, const char *id, struct ferr *err)
{
    return store_delete_experiment(c->store, id, err);
}

static int e_restore_experiment(struct client *c, const char *id, struct ferr *err)
{
    return store_restore_experiment(c->store, id, err);
}

static int e_set_experiment_tag(struct client *c, const char *id, const char *key,
                                const char *value, struct ferr *err)
{
    return store_set_experiment_tag(c->store, id, key, value, err);
}

static int e_delete_experiment_tag(struct client *c, const char *id, const char *key,
                                   struct ferr *err)
{
    return store_delete_experiment_tag(c->store, id, key, err);
}

static int e_create_run(struct client *c, const struct run_create *rc, struct run *out,
                        struct ferr *err)
{
    return store_create_run(c->store, rc, out, err);
}

static int e_get_run(struct client *c, const char *run_id, struct run *out, struct ferr *err)
{
    return store_get_run(c->store, run_id, out, err);
}

static int e_update_run(struct client *c, const char *run_id, enum run_status status,
                        int64_t end_time, const char *run_name, struct ferr *err)
{
    return store_update_run(c->store, run_id, status, end_time, run_name, NULL, err);
}

static int e_delete_run(struct client *c, const char *run_id, struct ferr *err)
{
    return store_delete_run(c->store, run_id, err);
}

static int e_restore_run(struct client *c, const char *run_id, struct ferr *err)
{
    return store_restore_run(c->store, run_id, err);
}

static int e_search_runs(struct client *c, const struct run_search *q, struct run_list *out,
                         struct ferr *err)
{
    return store_search_runs(c->store, q, out, err);
}

static int e_log_batch(struct client *c, const char *run_id, const struct metric_list *metrics,
                       const struct kv_list *params, const struct kv_list *tags, struct ferr *err)
{
    return store_log_batch(c->store, run_id, metrics, params, tags, err);
}

static int e_delete_tag(struct client *c, const char *run_id, const char *key, struct ferr *err)
{
    return store_delete_tag(c->store, run_id, key, err);
}

static int e_log_inputs(struct client *c, const char *run_id, const struct dataset_input *inputs,
                        size_t n, struct ferr *err)
{
    return store_log_inputs(c->store, run_id, inputs, n, err);
}

static int e_metric_history(struct client *c, const char *run_id, const char *key,
                            struct metric_list *out, struct ferr *err)
{
    return store_get_metric_history(c->store, run_id, key, 0, NULL, out, NULL, err);
}

static int e_registry_write(struct client *c, struct reg_write *w, struct ferr *err)
{
    return store_registry_write(c->store, w, err);
}

static int e_get_registered_model(struct client *c, const char *name, struct registered_model *out,
                                  struct ferr *err)
{
    return store_get_registered_model(c->store, name, out, err);
}

static int e_search_registered_models(struct client *c, const struct registry_search *q,
                                      struct registered_model_list *out, struct ferr *err)
{
    return store_search_registered_models(c->store, q, out, err);
}

static int e_search_model_versions(struct client *c, const struct registry_search *q,
                                   struct model_version_list *out, struct ferr *err)
{
    return store_search_model_versions(c->store, q, out, err);
}

static int e_registry_events(struct client *c, const char *name, struct registry_event_list *out,
                             struct ferr *err)
{
    return store_registry_events(c->store, name, out, err);
}

static int e_resolve_model_uri(struct client *c, const char *uri, char **artifact_uri,
                               struct model_version *version, struct ferr *err)
{
    return store_resolve_model_uri(c->store, uri, artifact_uri, version, err);
}

static int e_log_model(struct client *c, const char *run_id, const char *model_json,
                       struct ferr *err)
{
    return store_log_model(c->store, run_id, model_json, err);
}

static const struct client_ops embedded_ops = {
    .name = "embedded",
    .close = e_close,
    .create_experiment = e_create_experiment,
    .get_experiment = e_get_experiment,
    .get_experiment_by_name = e_get_experiment_by_name,
    .search_experiments = e_search_experiments,
    .rename_experiment = e_rename_experiment,
    .delete_experiment = e_delete_experiment,
    .restore_experiment = e_restore_experiment,
    .set_experiment_tag = e_set_experiment_tag,
    .delete_experiment_tag = e_delete_experiment_tag,
    .create_run = e_create_run,
    .get_run = e_get_run,
    .update_run = e_update_run,
    .delete_run = e_delete_run,
    .restore_run = e_restore_run,
    .search_runs = e_search_runs,
    .log_batch = e_log_batch,
    .delete_tag = e_delete_tag,
    .log_model = e_log_model,
    .log_inputs = e_log_inputs,
    .metric_history = e_metric_history,
    .registry_write = e_registry_write,
    .get_registered_model = e_get_registered_model,
    .search_registered_models = e_search_registered_models,
    .search_model_versions = e_search_model_versions,
    .registry_events = e_registry_events,
    .resolve_model_uri = e_resolve_model_uri,
};

int client_embedded_open(struct client *c, struct ferr *err)
{
    struct store_opts opts = STORE_OPTS_INIT;
    opts.group_commit = 0;
    if (store_open(c->uri, &opts, &c->store, err))
        return -1;
    c->ops = &embedded_ops;
    return 0;
}
