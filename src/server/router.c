/* SPDX-License-Identifier: MIT
 * The REST route table (one row per MLflow endpoint) and the small helpers
 * every handler uses. Paths are relative to /api/2.0/mlflow/ (also served
 * under /ajax-api/2.0/mlflow/). Reads accept GET (query string) and POST (JSON
 * body); writes accept POST. Body limits live here, once per route. */
#include "server/http.h"
#include "server/handlers/handlers.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Large enough for a dataset profile (16 MB) plus its JSON framing. */
#define BODY_LARGE (MAX_DATASET_PROFILE_SIZE + MAX_DATASET_SCHEMA_SIZE + 65536)
#define BODY_SMALL (1024 * 1024)

static const struct route routes[] = {
    {"experiments/create", ROUTE_POST, h_experiments_create, BODY_SMALL},
    {"experiments/get", ROUTE_ANY, h_experiments_get, BODY_SMALL},
    {"experiments/get-by-name", ROUTE_ANY, h_experiments_get_by_name, BODY_SMALL},
    {"experiments/search", ROUTE_ANY, h_experiments_search, BODY_SMALL},
    {"experiments/update", ROUTE_POST, h_experiments_update, BODY_SMALL},
    {"experiments/delete", ROUTE_POST, h_experiments_delete, BODY_SMALL},
    {"experiments/restore", ROUTE_POST, h_experiments_restore, BODY_SMALL},
    {"experiments/set-experiment-tag", ROUTE_POST, h_experiments_set_tag, BODY_SMALL},
    {"experiments/delete-experiment-tag", ROUTE_POST, h_experiments_delete_tag, BODY_SMALL},
    {"runs/create", ROUTE_POST, h_runs_create, BODY_SMALL},
    {"runs/get", ROUTE_ANY, h_runs_get, BODY_SMALL},
    {"runs/update", ROUTE_POST, h_runs_update, BODY_SMALL},
    {"runs/delete", ROUTE_POST, h_runs_delete, BODY_SMALL},
    {"runs/restore", ROUTE_POST, h_runs_restore, BODY_SMALL},
    {"runs/search", ROUTE_ANY, h_runs_search, BODY_SMALL},
    {"runs/log-metric", ROUTE_POST, h_runs_log_metric, BODY_SMALL},
    {"runs/log-parameter", ROUTE_POST, h_runs_log_parameter, BODY_SMALL},
    {"runs/set-tag", ROUTE_POST, h_runs_set_tag, BODY_SMALL},
    {"runs/delete-tag", ROUTE_POST, h_runs_delete_tag, BODY_SMALL},
    /* MLflow's MAX_BATCH_LOG_REQUEST_SIZE: 1 MB for a log-batch request. */
    {"runs/log-batch", ROUTE_POST, h_runs_log_batch, MAX_REQUEST_BYTES},
    {"runs/log-inputs", ROUTE_POST, h_runs_log_inputs, BODY_LARGE},
    {"runs/log-model", ROUTE_POST, h_runs_log_model, BODY_SMALL},
    {"artifacts/list", ROUTE_ANY, h_artifacts_list, BODY_SMALL},
    /* the model registry: MLflow's methods, and POST besides PATCH/DELETE */
    {"registered-models/create", ROUTE_POST, h_models_create, BODY_SMALL},
    {"registered-models/get", ROUTE_ANY, h_models_get, BODY_SMALL},
    {"registered-models/rename", ROUTE_POST, h_models_rename, BODY_SMALL},
    {"registered-models/update", ROUTE_PATCH | ROUTE_POST, h_models_update, BODY_SMALL},
    {"registered-models/delete", ROUTE_DELETE | ROUTE_POST, h_models_delete, BODY_SMALL},
    {"registered-models/search", ROUTE_ANY, h_models_search, BODY_SMALL},
    {"registered-models/get-latest-versions", ROUTE_ANY, h_models_get_latest_versions, BODY_SMALL},
    {"registered-models/set-tag", ROUTE_POST, h_models_set_tag, BODY_SMALL},
    {"registered-models/delete-tag", ROUTE_DELETE | ROUTE_POST, h_models_delete_tag, BODY_SMALL},
    {"registered-models/alias", ROUTE_ANY | ROUTE_DELETE, h_models_alias, BODY_SMALL},
    {"model-versions/create", ROUTE_POST, h_versions_create, BODY_SMALL},
    {"model-versions/get", ROUTE_ANY, h_versions_get, BODY_SMALL},
    {"model-versions/update", ROUTE_PATCH | ROUTE_POST, h_versions_update, BODY_SMALL},
    {"model-versions/delete", ROUTE_DELETE | ROUTE_POST, h_versions_delete, BODY_SMALL},
    {"model-versions/search", ROUTE_ANY, h_versions_search, BODY_SMALL},
    {"model-versions/get-download-uri", ROUTE_ANY, h_versions_download_uri, BODY_SMALL},
    {"model-versions/transition-stage", ROUTE_POST, h_versions_transition, BODY_SMALL},
    {"model-versions/set-tag", ROUTE_POST, h_versions_set_tag, BODY_SMALL},
    {"model-versions/delete-tag", ROUTE_DELETE | ROUTE_POST, h_versions_delete_tag, BODY_SMALL},
    /* ferry's own API */
    {"ferry/registered-models/history", ROUTE_ANY, h_registry_history, BODY_SMALL},
    {"ferry/models/resolve", ROUTE_ANY, h_models_resolve, BODY_SMALL},
    {"ferry/model-versions/lineage", ROUTE_ANY, h_versions_lineage, BODY_SMALL},
    {"metrics/get-history", ROUTE_ANY, h_metrics_get_history, BODY_SMALL},
    {"metrics/get-history-bulk-interval", ROUTE_ANY, h_metrics_get_history_bulk_interval,
     BODY_SMALL},
    {"ferry/metrics/get-history-downsampled", ROUTE_ANY, h_metrics_get_history_downsampled,
     BODY_SMALL},
};

const struct route *router_routes(size_t *n)
{
    *n = sizeof(routes) / sizeof(*routes);
    return routes;
}

void req_reply_json(struct req *r, json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!s) {
        fprintf(stderr, "ferry: out of memory encoding a response\n");
        abort();
    }
    sbuf_addstr(r->out, s);
    free(s);
}

void req_reply_empty(struct req *r)
{
    sbuf_addstr(r->out, "{}");
}

int req_run_id(struct req *r, const char **out)
{
    *out = NULL;
    int rc = fjson_get_str(r->in, "run_id", JSON_OPTIONAL, out, &r->err);
    if (rc < 0)
        return -1;
    if (!*out || !**out) {
        rc = fjson_get_str(r->in, "run_uuid", JSON_OPTIONAL, out, &r->err);
        if (rc < 0)
            return -1;
    }
    if (!*out || !**out)
        return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'run_id'");
    return 0;
}

int req_str_array(struct req *r, const char *field, const char ***out, size_t *n)
{
    json_t *v = json_object_get(r->in, field);
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        *out = xmalloc(sizeof(**out));
        (*out)[0] = json_string_value(v);
        *n = 1;
        return 0;
    }
    if (!json_is_array(v))
        return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter '%s': expected an array of strings", field);
    *out = xcalloc(json_array_size(v) + 1, sizeof(**out));
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it)
    {
        if (!json_is_string(it)) {
            free(*out);
            *out = NULL;
            return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter '%s': expected an array of strings",
                            field);
        }
        (*out)[i] = json_string_value(it);
    }
    *n = json_array_size(v);
    return 0;
}

int req_view_type(struct req *r, const char *field, enum view_type *out)
{
    json_t *v = json_object_get(r->in, field);
    *out = VIEW_ACTIVE_ONLY;
    if (!v || json_is_null(v))
        return 0;
    char num[24];
    const char *s = json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        s = num;
    }
    if (!s || view_type_parse(s, out))
        return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter '%s': expected ACTIVE_ONLY, DELETED_ONLY "
                        "or ALL",
                        field);
    return 0;
}
