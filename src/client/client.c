/* SPDX-License-Identifier: MIT
 * The client's two transports. Each operation is a store call (embedded) or
 * a REST call encoded with the shared codec (remote); nothing else differs. */
#include "client/client.h"
#include "client/rest.h"
#include "api/codec.h"
#include "store/store.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct client {
    char *uri;
    struct store *store; /* embedded */
    struct rest *rest;   /* remote */
    pthread_mutex_t mu;  /* one request at a time on the REST handle */
};

const char *client_default_uri(void)
{
    const char *u = getenv("FERRY_TRACKING_URI");
    if (!u || !*u)
        u = getenv("MLFLOW_TRACKING_URI");
    return u && *u ? u : "ferry.db";
}

int client_open(const char *uri, struct client **out, struct ferr *err)
{
    struct client *c = xcalloc(1, sizeof(*c));
    c->uri = xstrdup(uri && *uri ? uri : client_default_uri());
    pthread_mutex_init(&c->mu, NULL);
    int rc;
    if (!strncmp(c->uri, "http://", 7) || !strncmp(c->uri, "https://", 8))
        rc = rest_open(c->uri, &c->rest, err);
    else
        rc = store_open(c->uri, NULL, &c->store, err);
    if (rc) {
        client_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

void client_close(struct client *c)
{
    if (!c)
        return;
    store_close(c->store);
    rest_close(c->rest);
    pthread_mutex_destroy(&c->mu);
    free(c->uri);
    free(c);
}

const char *client_uri(const struct client *c)
{
    return c->uri;
}

int client_is_remote(const struct client *c)
{
    return c->rest != NULL;
}

/* One REST call under the client's lock; takes the reference to in. */
static int call(struct client *c, const char *method, const char *path, json_t *in, int retry,
                json_t **out, struct ferr *err)
{
    json_t *ignored = NULL;
    pthread_mutex_lock(&c->mu);
    int rc = rest_call(c->rest, method, path, in, retry, out ? out : &ignored, err);
    pthread_mutex_unlock(&c->mu);
    json_decref(in);
    json_decref(ignored);
    return rc;
}

int client_create_experiment(struct client *c, const char *name, const char *artifact_location,
                             const struct kv_list *tags, char **id_out, struct ferr *err)
{
    if (c->store)
        return store_create_experiment(c->store, name, artifact_location, tags, id_out, err);
    json_t *in = json_pack("{s:s?, s:s?, s:o}", "name", name, "artifact_location",
                           artifact_location, "tags", codec_kv_list_to_json(tags));
    json_t *out;
    if (call(c, "POST", "experiments/create", in, 0, &out, err))
        return -1;
    const char *id = json_string_value(json_object_get(out, "experiment_id"));
    if (id_out)
        *id_out = xstrdup(id ? id : "");
    json_decref(out);
    return 0;
}

static int get_experiment(struct client *c, const char *path, json_t *in, struct experiment *out,
                          struct ferr *err)
{
    json_t *resp;
    if (call(c, "GET", path, in, 1, &resp, err))
        return -1;
    int rc = codec_experiment_from_json(json_object_get(resp, "experiment"), out, err);
    json_decref(resp);
    return rc;
}

int client_get_experiment(struct client *c, const char *id, struct experiment *out,
                          struct ferr *err)
{
    if (c->store)
        return store_get_experiment(c->store, id, out, err);
    return get_experiment(c, "experiments/get", json_pack("{s:s}", "experiment_id", id), out,
                          err);
}

int client_get_experiment_by_name(struct client *c, const char *name, struct experiment *out,
                                  struct ferr *err)
{
    if (c->store)
        return store_get_experiment_by_name(c->store, name, out, err);
    return get_experiment(c, "experiments/get-by-name",
                          json_pack("{s:s}", "experiment_name", name), out, err);
}

static json_t *str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

int client_search_experiments(struct client *c, const struct experiment_search *q,
                              struct experiment_list *out, struct ferr *err)
{
    if (c->store)
        return store_search_experiments(c->store, q, out, err);
    json_t *in = json_pack("{s:I, s:s, s:o}", "max_results", (json_int_t)q->max_results,
                           "view_type", view_type_name(q->view), "order_by",
                           str_array(q->order_by, q->norder_by));
    if (q->filter && *q->filter)
        json_object_set_new(in, "filter", json_string(q->filter));
    if (q->page_token && *q->page_token)
        json_object_set_new(in, "page_token", json_string(q->page_token));
    json_t *resp;
    memset(out, 0, sizeof(*out));
    if (call(c, "POST", "experiments/search", in, 1, &resp, err))
        return -1;
    json_t *arr = json_object_get(resp, "experiments"), *it;
    size_t i;
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

int client_rename_experiment(struct client *c, const char *id, const char *new_name,
                             struct ferr *err)
{
    if (c->store)
        return store_rename_experiment(c->store, id, new_name, err);
    return call(c, "POST", "experiments/update",
                json_pack("{s:s, s:s}", "experiment_id", id, "new_name", new_name), 0, NULL, err);
}

int client_delete_experiment(struct client *c, const char *id, struct ferr *err)
{
    if (c->store)
        return store_delete_experiment(c->store, id, err);
    return call(c, "POST", "experiments/delete", json_pack("{s:s}", "experiment_id", id), 0,
                NULL, err);
}

int client_restore_experiment(struct client *c, const char *id, struct ferr *err)
{
    if (c->store)
        return store_restore_experiment(c->store, id, err);
    return call(c, "POST", "experiments/restore", json_pack("{s:s}", "experiment_id", id), 0,
                NULL, err);
}

int client_set_experiment_tag(struct client *c, const char *id, const char *key,
                              const char *value, struct ferr *err)
{
    if (c->store)
        return value ? store_set_experiment_tag(c->store, id, key, value, err)
                     : store_delete_experiment_tag(c->store, id, key, err);
    if (!value)
        return call(c, "POST", "experiments/delete-experiment-tag",
                    json_pack("{s:s, s:s}", "experiment_id", id, "key", key), 0, NULL, err);
    return call(c, "POST", "experiments/set-experiment-tag",
                json_pack("{s:s, s:s, s:s}", "experiment_id", id, "key", key, "value", value), 1,
                NULL, err);
}

static int run_from(json_t *resp, struct run *out, struct ferr *err)
{
    int rc = codec_run_from_json(json_object_get(resp, "run"), out, err);
    json_decref(resp);
    return rc;
}

int client_create_run(struct client *c, const struct run_create *rc, struct run *out,
                      struct ferr *err)
{
    if (c->store)
        return store_create_run(c->store, rc, out, err);
    json_t *in = json_pack("{s:s, s:o}", "experiment_id", rc->experiment_id, "tags",
                           codec_kv_list_to_json(rc->tags));
    if (rc->user_id)
        json_object_set_new(in, "user_id", json_string(rc->user_id));
    if (rc->run_name && *rc->run_name)
        json_object_set_new(in, "run_name", json_string(rc->run_name));
    json_object_set_new(in, "start_time",
                        json_integer(rc->start_time == TIME_NONE ? 0 : rc->start_time));
    if (rc->start_time == TIME_NONE)
        json_object_del(in, "start_time");
    json_t *resp;
    if (call(c, "POST", "runs/create", in, 0, &resp, err))
        return -1;
    return run_from(resp, out, err);
}

int client_get_run(struct client *c, const char *run_id, struct run *out, struct ferr *err)
{
    if (c->store)
        return store_get_run(c->store, run_id, out, err);
    json_t *resp;
    if (call(c, "GET", "runs/get", json_pack("{s:s}", "run_id", run_id), 1, &resp, err))
        return -1;
    return run_from(resp, out, err);
}

int client_update_run(struct client *c, const char *run_id, enum run_status status,
                      int64_t end_time, const char *run_name, struct ferr *err)
{
    if (c->store)
        return store_update_run(c->store, run_id, status, end_time, run_name, NULL, err);
    json_t *in = json_pack("{s:s, s:s}", "run_id", run_id, "run_uuid", run_id);
    if (status != RUN_STATUS_NONE)
        json_object_set_new(in, "status", json_string(run_status_name(status)));
    if (end_time != TIME_NONE)
        json_object_set_new(in, "end_time", json_integer(end_time));
    if (run_name)
        json_object_set_new(in, "run_name", json_string(run_name));
    return call(c, "POST", "runs/update", in, 1, NULL, err);
}

int client_delete_run(struct client *c, const char *run_id, struct ferr *err)
{
    if (c->store)
        return store_delete_run(c->store, run_id, err);
    return call(c, "POST", "runs/delete", json_pack("{s:s}", "run_id", run_id), 0, NULL, err);
}

int client_restore_run(struct client *c, const char *run_id, struct ferr *err)
{
    if (c->store)
        return store_restore_run(c->store, run_id, err);
    return call(c, "POST", "runs/restore", json_pack("{s:s}", "run_id", run_id), 0, NULL, err);
}

int client_search_runs(struct client *c, const struct run_search *q, struct run_list *out,
                       struct ferr *err)
{
    if (c->store)
        return store_search_runs(c->store, q, out, err);
    json_t *in = json_pack("{s:o, s:I, s:s, s:o}", "experiment_ids",
                           str_array(q->experiment_ids, q->nexperiment_ids), "max_results",
                           (json_int_t)q->max_results, "run_view_type", view_type_name(q->view),
                           "order_by", str_array(q->order_by, q->norder_by));
    if (q->filter && *q->filter)
        json_object_set_new(in, "filter", json_string(q->filter));
    if (q->page_token && *q->page_token)
        json_object_set_new(in, "page_token", json_string(q->page_token));
    json_t *resp;
    memset(out, 0, sizeof(*out));
    if (call(c, "POST", "runs/search", in, 1, &resp, err))
        return -1;
    json_t *arr = json_object_get(resp, "runs"), *it;
    size_t i;
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

int client_log_batch(struct client *c, const char *run_id, const struct metric_list *metrics,
                     const struct kv_list *params, const struct kv_list *tags, struct ferr *err)
{
    if (c->store)
        return store_log_batch(c->store, run_id, metrics, params, tags, err);
    /* Check locally first: the server would refuse the same, after a round trip. */
    if (validate_batch(metrics, params, tags, err))
        return -1;
    json_t *ms = json_array();
    for (size_t i = 0; metrics && i < metrics->n; i++)
        json_array_append_new(ms, codec_metric_to_json(&metrics->v[i]));
    json_t *in = json_pack("{s:s, s:o, s:o, s:o}", "run_id", run_id, "metrics", ms, "params",
                           codec_kv_list_to_json(params), "tags", codec_kv_list_to_json(tags));
    /* log-batch is idempotent in effect: same metrics dedupe, same params pass */
    return call(c, "POST", "runs/log-batch", in, 1, NULL, err);
}

int client_delete_tag(struct client *c, const char *run_id, const char *key, struct ferr *err)
{
    if (c->store)
        return store_delete_tag(c->store, run_id, key, err);
    return call(c, "POST", "runs/delete-tag", json_pack("{s:s, s:s}", "run_id", run_id, "key", key),
                0, NULL, err);
}

static int history_page(struct client *c, const char *run_id, const char *key, const char *token,
                        struct metric_list *out, char **next, struct ferr *err)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:i}", "run_id", run_id, "run_uuid", run_id,
                           "metric_key", key, "max_results", 25000);
    if (token)
        json_object_set_new(in, "page_token", json_string(token));
    json_t *resp;
    if (call(c, "GET", "metrics/get-history", in, 1, &resp, err))
        return -1;
    json_t *arr = json_object_get(resp, "metrics"), *it;
    size_t i;
    int rc = 0;
    ALLOC_GROW(out->v, out->n + json_array_size(arr), out->alloc);
    json_array_foreach(arr, i, it)
    {
        if ((rc = codec_metric_from_json(it, &out->v[out->n], err)))
            break;
        out->n++;
    }
    *next = rc ? NULL
               : xstrdup_or_null(json_string_value(json_object_get(resp, "next_page_token")));
    json_decref(resp);
    return rc;
}

int client_metric_history(struct client *c, const char *run_id, const char *key,
                          struct metric_list *out, struct ferr *err)
{
    if (c->store)
        return store_get_metric_history(c->store, run_id, key, 0, NULL, out, NULL, err);
    memset(out, 0, sizeof(*out));
    char *token = NULL;
    do {
        char *next = NULL;
        int rc = history_page(c, run_id, key, token, out, &next, err);
        free(token);
        if (rc) {
            metric_list_release(out);
            return -1;
        }
        token = next && *next ? next : (free(next), NULL);
    } while (token);
    return 0;
}
