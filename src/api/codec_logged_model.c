/* SPDX-License-Identifier: MIT */
#include "api/codec_logged_model.h"
#include "api/codec.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

json_t *codec_logged_model_to_json(const struct logged_model *m)
{
    json_t *info = json_object();
    set_str(info, "model_id", m->model_id);
    set_str(info, "experiment_id", m->experiment_id);
    set_str(info, "name", m->name);
    json_object_set_new(info, "creation_timestamp_ms", json_integer(m->creation_time));
    json_object_set_new(info, "last_updated_timestamp_ms", json_integer(m->last_updated_time));
    set_str(info, "artifact_uri", m->artifact_uri);
    json_object_set_new(info, "status", json_string(logged_model_status_name(m->status)));
    /* MLflow's server always sends these two, "" when unset */
    json_object_set_new(info, "model_type", json_string(m->model_type ? m->model_type : ""));
    json_object_set_new(info, "source_run_id",
                        json_string(m->source_run_id ? m->source_run_id : ""));
    set_str(info, "status_message", m->status_message);
    if (m->tags.n)
        json_object_set_new(info, "tags", codec_kv_list_to_json(&m->tags));
    json_t *data = json_object();
    if (m->params.n)
        json_object_set_new(data, "params", codec_kv_list_to_json(&m->params));
    if (m->metrics.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < m->metrics.n; i++)
            json_array_append_new(a, codec_metric_to_json(&m->metrics.v[i]));
        json_object_set_new(data, "metrics", a);
    }
    return json_pack("{s:o, s:o}", "info", info, "data", data);
}

static int dup_field(json_t *o, const char *k, char **out, struct ferr *err)
{
    const char *s = NULL;
    if (fjson_get_str(o, k, JSON_OPTIONAL, &s, err) < 0)
        return -1;
    *out = s ? xstrdup(s) : NULL;
    return 0;
}

int codec_logged_model_from_json(json_t *j, struct logged_model *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *info = json_object_get(j, "info"), *data = json_object_get(j, "data");
    const char *status = NULL;
    if (!json_is_object(info))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a logged model without its info");
    if (dup_field(info, "model_id", &out->model_id, err) ||
        dup_field(info, "experiment_id", &out->experiment_id, err) ||
        dup_field(info, "name", &out->name, err) ||
        dup_field(info, "artifact_uri", &out->artifact_uri, err) ||
        dup_field(info, "model_type", &out->model_type, err) ||
        dup_field(info, "source_run_id", &out->source_run_id, err) ||
        dup_field(info, "status_message", &out->status_message, err) ||
        fjson_get_int64(info, "creation_timestamp_ms", JSON_OPTIONAL, &out->creation_time, err) <
            0 ||
        fjson_get_int64(info, "last_updated_timestamp_ms", JSON_OPTIONAL, &out->last_updated_time,
                        err) < 0 ||
        fjson_get_str(info, "status", JSON_OPTIONAL, &status, err) < 0 ||
        codec_kv_list_from_json(json_object_get(info, "tags"), "tags", &out->tags, err))
        goto fail;
    if (status && logged_model_status_parse(status, &out->status))
        out->status = LOGGED_MODEL_STATUS_UNSPECIFIED;
    if (out->model_type && !*out->model_type) { /* "" is unset */
        free(out->model_type);
        out->model_type = NULL;
    }
    if (out->source_run_id && !*out->source_run_id) {
        free(out->source_run_id);
        out->source_run_id = NULL;
    }
    if (json_is_object(data) &&
        (codec_kv_list_from_json(json_object_get(data, "params"), "params", &out->params, err) ||
         codec_metric_list_from_json(json_object_get(data, "metrics"), &out->metrics, err)))
        goto fail;
    if (!out->model_id) {
        ferr_set(err, FERR_IO_ERROR, "the server sent a logged model without an id");
        goto fail;
    }
    return 0;
fail:
    logged_model_release(out);
    return -1;
}
