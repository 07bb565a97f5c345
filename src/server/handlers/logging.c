/* SPDX-License-Identifier: MIT
 * REST handlers that log to a run: log-metric, log-parameter, set-tag,
 * delete-tag, log-batch, log-inputs, log-model. Single-item endpoints go
 * through the same store_log_batch as log-batch, so validation and the
 * write path are one. */
#include "server/handlers/handlers.h"
#include "api/codec.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int h_runs_log_metric(struct req *r)
{
    const char *id;
    struct metric_list ml = {0};
    struct metric m;
    if (req_run_id(r, &id) || codec_metric_from_json(r->in, &m, &r->err))
        return -1;
    free(m.run_id); /* the run id field, not a per-metric one */
    m.run_id = NULL;
    ml.v = &m;
    ml.n = ml.alloc = 1;
    int rc = store_log_batch(r->store, id, &ml, NULL, NULL, &r->err);
    free(m.key);
    if (rc)
        return -1;
    req_reply_empty(r);
    return 0;
}

/* A single key/value (param or tag) logged through log-batch. */
static int log_kv(struct req *r, int is_param)
{
    const char *id, *key = NULL, *value = NULL;
    if (req_run_id(r, &id) || fjson_get_str(r->in, "key", JSON_REQUIRED, &key, &r->err) < 0 ||
        fjson_get_str(r->in, "value", JSON_OPTIONAL, &value, &r->err) < 0)
        return -1;
    struct kv one = {(char *)key, (char *)(value ? value : "")};
    struct kv_list l = {&one, 1, 1};
    if (store_log_batch(r->store, id, NULL, is_param ? &l : NULL, is_param ? NULL : &l, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_runs_log_parameter(struct req *r)
{
    return log_kv(r, 1);
}

int h_runs_set_tag(struct req *r)
{
    return log_kv(r, 0);
}

int h_runs_delete_tag(struct req *r)
{
    const char *id, *key = NULL;
    if (req_run_id(r, &id) || fjson_get_str(r->in, "key", JSON_REQUIRED, &key, &r->err) < 0 ||
        store_delete_tag(r->store, id, key, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_runs_log_batch(struct req *r)
{
    const char *id;
    struct metric_list metrics = {0};
    struct kv_list params = {0}, tags = {0};
    int rc = -1;
    json_t *jm = json_object_get(r->in, "metrics");
    /* Count before decoding, so an oversized batch costs nothing. */
    if (req_run_id(r, &id))
        return -1;
    if (json_is_array(jm) && json_array_size(jm) > MAX_METRICS_PER_BATCH)
        return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                        "a batch logging request can contain at most %d metrics, got %zu",
                        MAX_METRICS_PER_BATCH, json_array_size(jm));
    if (codec_metric_list_from_json(jm, &metrics, &r->err) ||
        codec_kv_list_from_json(json_object_get(r->in, "params"), "params", &params, &r->err) ||
        codec_kv_list_from_json(json_object_get(r->in, "tags"), "tags", &tags, &r->err))
        goto out;
    if (store_log_batch(r->store, id, &metrics, &params, &tags, &r->err))
        goto out;
    req_reply_empty(r);
    rc = 0;
out:
    metric_list_release(&metrics);
    kv_list_release(&params);
    kv_list_release(&tags);
    return rc;
}

int h_runs_log_inputs(struct req *r)
{
    const char *id;
    json_t *arr = NULL;
    struct dataset_input *v = NULL;
    size_t n = 0, i;
    int rc = -1;
    if (req_run_id(r, &id) || fjson_get_array(r->in, "datasets", JSON_OPTIONAL, &arr, &r->err) < 0)
        return -1;
    if (arr) {
        v = xcalloc(json_array_size(arr) + 1, sizeof(*v));
        json_t *it;
        json_array_foreach(arr, i, it)
        {
            if (codec_dataset_input_from_json(it, &v[n], &r->err))
                goto out;
            n++;
        }
    }
    if (store_log_inputs(r->store, id, v, n, &r->err))
        goto out;
    req_reply_empty(r);
    rc = 0;
out:
    for (i = 0; i < n; i++)
        dataset_input_release(&v[i]);
    free(v);
    return rc;
}

int h_runs_log_model(struct req *r)
{
    const char *id, *model = NULL;
    if (req_run_id(r, &id) ||
        fjson_get_str(r->in, "model_json", JSON_REQUIRED, &model, &r->err) < 0 ||
        store_log_model(r->store, id, model, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}
