/* SPDX-License-Identifier: MIT
 * The REST transport: each operation is one MLflow REST call (or, for
 * metric history, one per page), encoded and decoded with the shared codec.
 * Methods follow MLflow's own client: GET with a query string for
 * experiments/get, experiments/get-by-name, runs/get and metrics/get-history;
 * POST with a JSON body for everything else (searches included). */
#include "client/client_int.h"
#include "client/remote_registry.h"
#include "client/rest.h"
#include "api/codec.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Points asked for per get-history page (MLflow's page size limit). */
#define HISTORY_PAGE 25000

/* A request built with json_pack: NULL means a string was not valid UTF-8
 * (the only way packing our own well-formed format can fail). */
static int packed(json_t *in, struct ferr *err)
{
    return in ? 0
              : ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                         "the request holds a string that is not valid UTF-8");
}

/* One call; takes the reference to in (which may be NULL after a failed
 * json_pack). out may be NULL. */
static int call(struct client *c, enum rest_method m, const char *path, json_t *in,
                enum rest_retry retry, json_t **out, struct ferr *err)
{
    if (packed(in, err))
        return -1;
    int rc = rest_call(c->rest, m, path, in, retry, out, err);
    json_decref(in);
    return rc;
}

static void r_close(struct client *c)
{
    rest_close(c->rest);
    c->rest = NULL;
}

static json_t *str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* Sets "page_token" and "filter" when given; MLflow treats "" as absent. */
static void set_optional(json_t *in, const char *key, const char *v)
{
    if (in && v && *v)
        json_object_set_new(in, key, json_string(v));
}

static int r_create_experiment(struct client *c, const char *name, const char *loc,
                               const struct kv_list *tags, char **id_out, struct ferr *err)
{
    json_t *out;
    json_t *in = json_pack("{s:s, s:o}", "name", name, "tags", codec_kv_list_to_json(tags));
    set_optional(in, "artifact_location", loc);
    if (call(c, REST_POST, "experiments/create", in, REST_ONCE, &out, err))
        return -1;
    const char *id = json_string_value(json_object_get(out, "experiment_id"));
    int rc = id ? 0 : ferr_set(err, FERR_IO_ERROR, "experiments/create: no experiment_id");
    if (id && id_out)
        *id_out = xstrdup(id);
    json_decref(out);
    return rc;
}

static int experiment_from(json_t *resp, struct experiment *out, struct ferr *err)
{
    int rc = codec_experiment_from_json(json_object_get(resp, "experiment"), out, err);
    json_decref(resp);
    return rc;
}

static int r_get_experiment(struct client *c, const char *id, struct experiment *out,
                            struct ferr *err)
{
    json_t *resp;
    if (call(c, REST_GET, "experiments/get", json_pack("{s:s}", "experiment_id", id),
             REST_IDEMPOTENT, &resp, err))
        return -1;
    return experiment_from(resp, out, err);
}

static int r_get_experiment_by_name(struct client *c, const char *name, struct experiment *out,
                                    struct ferr *err)
{
    json_t *resp;
    if (call(c, REST_GET, "experiments/get-by-name", json_pack("{s:s}", "experiment_name", name),
             REST_IDEMPOTENT, &resp, err))
        return -1;
    return experiment_from(resp, out, err);
}

static int r_search_experiments(struct client *c, const struct experiment_search *q,
                                struct experiment_list *out, struct ferr *err)
{
    json_t *resp, *arr, *it;
    size_t i;
    json_t *in =
        json_pack("{s:I, s:s, s:o}", "max_results", (json_int_t)q->max_results, "view_type",
                  view_type_name(q->view), "order_by", str_array(q->order_by, q->norder_by));
    set_optional(in, "filter", q->filter);
    set_optional(in, "page_token", q->page_token);
    memset(out, 0, sizeof(*out));
    if (call(c, REST_POST, "experiments/search", in, REST_IDEMPOTENT, &resp, err))
        return -1;
    arr = json_object_get(resp, "experiments");
    json_array_foreach(arr, i, it)
    {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        if (codec_experiment_from_json(it, &out->v[out->n], err)) {
            json_decref(resp);
            experiment_list_release(out);
            return -1;
        }
        out->n++;
    }
    out->next_page_token =
        xstrdup_or_null(json_string_value(json_object_get(resp, "next_page_token")));
    json_decref(resp);
    return 0;
}

static int r_rename_experiment(struct client *c, const char *id, const char *new_name,
                               struct ferr *err)
{
    return call(c, REST_POST, "experiments/update",
                json_pack("{s:s, s:s}", "experiment_id", id, "new_name", new_name), REST_IDEMPOTENT,
                NULL, err);
}

static int r_delete_experiment(struct client *c, const char *id, struct ferr *err)
{
    return call(c, REST_POST, "experiments/delete", json_pack("{s:s}", "experiment_id", id),
                REST_ONCE, NULL, err);
}

static int r_restore_experiment(struct client *c, const char *id, struct ferr *err)
{
    return call(c, REST_POST, "experiments/restore", json_pack("{s:s}", "experiment_id", id),
                REST_ONCE, NULL, err);
}

static int r_set_experiment_tag(struct client *c, const char *id, const char *key,
                                const char *value, struct ferr *err)
{
    return call(c, REST_POST, "experiments/set-experiment-tag",
                json_pack("{s:s, s:s, s:s}", "experiment_id", id, "key", key, "value", value),
                REST_IDEMPOTENT, NULL, err);
}

static int r_delete_experiment_tag(struct client *c, const char *id, const char *key,
                                   struct ferr *err)
{
    return call(c, REST_POST, "experiments/delete-experiment-tag",
                json_pack("{s:s, s:s}", "experiment_id", id, "key", key), REST_ONCE, NULL, err);
}

static int run_from(json_t *resp, struct run *out, struct ferr *err)
{
    int rc = codec_run_from_json(json_object_get(resp, "run"), out, err);
    json_decref(resp);
    return rc;
}

static int r_create_run(struct client *c, const struct run_create *rc, struct run *out,
                        struct ferr *err)
{
    json_t *resp;
    json_t *in = json_pack("{s:s, s:o}", "experiment_id", rc->experiment_id, "tags",
                           codec_kv_list_to_json(&rc->tags));
    set_optional(in, "user_id", rc->user_id);
    set_optional(in, "run_name", rc->run_name);
    if (in && rc->start_time != TIME_NONE)
        json_object_set_new(in, "start_time", json_integer(rc->start_time));
    if (call(c, REST_POST, "runs/create", in, REST_ONCE, &resp, err))
        return -1;
    return run_from(resp, out, err);
}

static int r_get_run(struct client *c, const char *run_id, struct run *out, struct ferr *err)
{
    json_t *resp;
    if (call(c, REST_GET, "runs/get", json_pack("{s:s}", "run_id", run_id), REST_IDEMPOTENT, &resp,
             err))
        return -1;
    return run_from(resp, out, err);
}

static int r_update_run(struct client *c, const char *run_id, enum run_status status,
                        int64_t end_time, const char *run_name, struct ferr *err)
{
    /* run_uuid too: MLflow servers before 1.x's rename read only that one */
    json_t *in = json_pack("{s:s, s:s}", "run_id", run_id, "run_uuid", run_id);
    if (in && status != RUN_STATUS_NONE)
        json_object_set_new(in, "status", json_string(run_status_name(status)));
    if (in && end_time != TIME_NONE)
        json_object_set_new(in, "end_time", json_integer(end_time));
    set_optional(in, "run_name", run_name);
    return call(c, REST_POST, "runs/update", in, REST_IDEMPOTENT, NULL, err);
}

static int r_delete_run(struct client *c, const char *run_id, struct ferr *err)
{
    return call(c, REST_POST, "runs/delete", json_pack("{s:s}", "run_id", run_id), REST_ONCE, NULL,
                err);
}

static int r_restore_run(struct client *c, const char *run_id, struct ferr *err)
{
    return call(c, REST_POST, "runs/restore", json_pack("{s:s}", "run_id", run_id), REST_ONCE, NULL,
                err);
}

static int r_search_runs(struct client *c, const struct run_search *q, struct run_list *out,
                         struct ferr *err)
{
    json_t *resp, *arr, *it;
    size_t i;
    json_t *in = json_pack("{s:o, s:I, s:s, s:o}", "experiment_ids",
                           str_array(q->experiment_ids, q->nexperiment_ids), "max_results",
                           (json_int_t)q->max_results, "run_view_type", view_type_name(q->view),
                           "order_by", str_array(q->order_by, q->norder_by));
    set_optional(in, "filter", q->filter);
    set_optional(in, "page_token", q->page_token);
    memset(out, 0, sizeof(*out));
    if (call(c, REST_POST, "runs/search", in, REST_IDEMPOTENT, &resp, err))
        return -1;
    arr = json_object_get(resp, "runs");
    json_array_foreach(arr, i, it)
    {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        if (codec_run_from_json(it, &out->v[out->n], err)) {
            json_decref(resp);
            run_list_release(out);
            return -1;
        }
        out->n++;
    }
    out->next_page_token =
        xstrdup_or_null(json_string_value(json_object_get(resp, "next_page_token")));
    json_decref(resp);
    return 0;
}

static int r_log_batch(struct client *c, const char *run_id, const struct metric_list *metrics,
                       const struct kv_list *params, const struct kv_list *tags, struct ferr *err)
{
    json_t *ms = json_array();
    for (size_t i = 0; i < metrics->n; i++)
        json_array_append_new(ms, codec_metric_to_json(&metrics->v[i]));
    json_t *in = json_pack("{s:s, s:o, s:o, s:o}", "run_id", run_id, "metrics", ms, "params",
                           codec_kv_list_to_json(params), "tags", codec_kv_list_to_json(tags));
    /* Safe to resend: identical metric points are stored once, an identical
     * param is accepted again, a tag is overwritten with the same value. */
    return call(c, REST_POST, "runs/log-batch", in, REST_IDEMPOTENT, NULL, err);
}

static int r_delete_tag(struct client *c, const char *run_id, const char *key, struct ferr *err)
{
    return call(c, REST_POST, "runs/delete-tag",
                json_pack("{s:s, s:s}", "run_id", run_id, "key", key), REST_ONCE, NULL, err);
}

static int r_log_model(struct client *c, const char *run_id, const char *model_json,
                       struct ferr *err)
{
    return call(c, REST_POST, "runs/log-model",
                json_pack("{s:s, s:s}", "run_id", run_id, "model_json", model_json), REST_ONCE,
                NULL, err);
}

static int r_log_inputs(struct client *c, const char *run_id, const struct dataset_input *inputs,
                        size_t n, struct ferr *err)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, codec_dataset_input_to_json(&inputs[i]));
    return call(c, REST_POST, "runs/log-inputs",
                json_pack("{s:s, s:o}", "run_id", run_id, "datasets", a), REST_IDEMPOTENT, NULL,
                err);
}

/* Appends one page of history to out; *next gets the next token or NULL. */
static int history_page(struct client *c, const char *run_id, const char *key, const char *token,
                        struct metric_list *out, char **next, struct ferr *err)
{
    json_t *resp, *arr, *it;
    size_t i;
    int rc = 0;
    json_t *in = json_pack("{s:s, s:s, s:s, s:i}", "run_id", run_id, "run_uuid", run_id,
                           "metric_key", key, "max_results", HISTORY_PAGE);
    set_optional(in, "page_token", token);
    *next = NULL;
    if (call(c, REST_GET, "metrics/get-history", in, REST_IDEMPOTENT, &resp, err))
        return -1;
    arr = json_object_get(resp, "metrics");
    ALLOC_GROW(out->v, out->n + json_array_size(arr), out->alloc);
    json_array_foreach(arr, i, it)
    {
        if ((rc = codec_metric_from_json(it, &out->v[out->n], err)))
            break;
        out->n++;
    }
    const char *tok = json_string_value(json_object_get(resp, "next_page_token"));
    if (!rc && tok && *tok)
        *next = xstrdup(tok);
    json_decref(resp);
    return rc;
}

static int r_metric_history(struct client *c, const char *run_id, const char *key,
                            struct metric_list *out, struct ferr *err)
{
    char *token = NULL;
    memset(out, 0, sizeof(*out));
    do {
        char *next;
        int rc = history_page(c, run_id, key, token, out, &next, err);
        free(token);
        token = next;
        if (rc) {
            metric_list_release(out);
            return -1;
        }
    } while (token);
    return 0;
}

static const struct client_ops remote_ops = {
    .name = "rest",
    .close = r_close,
    .create_experiment = r_create_experiment,
    .get_experiment = r_get_experiment,
    .get_experiment_by_name = r_get_experiment_by_name,
    .search_experiments = r_search_experiments,
    .rename_experiment = r_rename_experiment,
    .delete_experiment = r_delete_experiment,
    .restore_experiment = r_restore_experiment,
    .set_experiment_tag = r_set_experiment_tag,
    .delete_experiment_tag = r_delete_experiment_tag,
    .create_run = r_create_run,
    .get_run = r_get_run,
    .update_run = r_update_run,
    .delete_run = r_delete_run,
    .restore_run = r_restore_run,
    .search_runs = r_search_runs,
    .log_batch = r_log_batch,
    .delete_tag = r_delete_tag,
    .log_model = r_log_model,
    .log_inputs = r_log_inputs,
    .metric_history = r_metric_history,
    .registry_write = r_registry_write,
    .get_registered_model = r_get_registered_model,
    .search_registered_models = r_search_registered_models,
    .search_model_versions = r_search_model_versions,
    .registry_events = r_registry_events,
    .resolve_model_uri = r_resolve_model_uri,
};

int client_remote_open(struct client *c, struct ferr *err)
{
    if (rest_open(c->uri, &c->rest, err))
        return -1;
    c->ops = &remote_ops;
    return 0;
}
