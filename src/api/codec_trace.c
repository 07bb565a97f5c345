/* SPDX-License-Identifier: MIT */
#include "api/codec_trace.h"
#include "api/codec.h"
#include "base/json.h"
#include "base/pbtime.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int bad(struct ferr *err, const char *field, const char *what)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid value for parameter '%s': %s",
                    field, what);
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

/* An optional string field into a new string (NULL when absent). */
static int get_str(json_t *j, const char *field, char **out, struct ferr *err)
{
    const char *s = NULL;
    if (fjson_get_str(j, field, JSON_OPTIONAL, &s, err) < 0)
        return -1;
    *out = s ? xstrdup(s) : NULL;
    return 0;
}

/* A status or state by name or number. */
static int get_status(json_t *j, const char *field, enum trace_status *out, struct ferr *err)
{
    json_t *v = json_object_get(j, field);
    char num[24];
    const char *s = json_string_value(v);
    *out = TRACE_STATUS_UNSPECIFIED;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
    }
    if (!s || trace_status_parse(s, out))
        return bad(err, field, "expected OK, ERROR or IN_PROGRESS");
    return 0;
}

/* ---------- 2.x ---------- */

json_t *codec_trace_info_to_json(const struct trace_info *t)
{
    json_t *o = json_pack("{s:s, s:s, s:I}", "request_id", t->request_id ? t->request_id : "",
                          "experiment_id", t->experiment_id ? t->experiment_id : "", "timestamp_ms",
                          (json_int_t)t->timestamp_ms);
    if (!o)
        return NULL;
    /* 0 while unknown, as MLflow 2.x answers */
    json_object_set_new(o, "execution_time_ms",
                        json_integer(t->execution_time_ms != TIME_NONE ? t->execution_time_ms : 0));
    json_object_set_new(o, "status", json_string(trace_status_name(t->status)));
    if (t->request_metadata.n)
        json_object_set_new(o, "request_metadata", codec_kv_list_to_json(&t->request_metadata));
    if (t->tags.n)
        json_object_set_new(o, "tags", codec_kv_list_to_json(&t->tags));
    return o;
}

int codec_trace_info_from_json(json_t *j, struct trace_info *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    out->execution_time_ms = TIME_NONE;
    if (!json_is_object(j))
        return bad(err, "trace_info", "expected an object");
    if (get_str(j, "request_id", &out->request_id, err) ||
        get_str(j, "experiment_id", &out->experiment_id, err) ||
        fjson_get_int64(j, "timestamp_ms", JSON_OPTIONAL, &out->timestamp_ms, err) < 0 ||
        fjson_get_int64(j, "execution_time_ms", JSON_OPTIONAL, &out->execution_time_ms, err) < 0 ||
        get_status(j, "status", &out->status, err) ||
        codec_kv_list_from_json(json_object_get(j, "request_metadata"), "request_metadata",
                                &out->request_metadata, err) ||
        codec_kv_list_from_json(json_object_get(j, "tags"), "tags", &out->tags, err)) {
        trace_info_release(out);
        return -1;
    }
    return 0;
}

/* ---------- 3.x ---------- */

static json_t *map_to_json(const struct kv_list *l)
{
    json_t *o = json_object();
    for (size_t i = 0; i < l->n; i++)
        json_object_set_new(o, l->v[i].key, json_string(l->v[i].value ? l->v[i].value : ""));
    return o;
}

/* A protobuf map<string, string>: a JSON object of strings. */
static int map_from_json(json_t *j, const char *field, struct kv_list *out, struct ferr *err)
{
    json_t *m = json_object_get(j, field), *v;
    const char *k;
    memset(out, 0, sizeof(*out));
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_object(m))
        return bad(err, field, "expected an object of strings");
    json_object_foreach(m, k, v)
    {
        if (!json_is_string(v)) {
            kv_list_release(out);
            return bad(err, field, "expected an object of strings");
        }
        kv_list_add(out, k, json_string_value(v));
    }
    return 0;
}

json_t *codec_trace_info_v3_to_json(const struct trace_info *t)
{
    char ts[PBTIME_MAX];
    json_t *o = json_object();
    json_object_set_new(o, "trace_id", json_string(t->request_id ? t->request_id : ""));
    set_str(o, "client_request_id", t->client_request_id);
    json_object_set_new(o, "trace_location",
                        json_pack("{s:s, s:{s:s}}", "type", "MLFLOW_EXPERIMENT",
                                  "mlflow_experiment", "experiment_id",
                                  t->experiment_id ? t->experiment_id : ""));
    set_str(o, "request_preview", t->request_preview);
    set_str(o, "response_preview", t->response_preview);
    if (t->timestamp_ms != TIME_NONE) { /* a client's request may lack it */
        pbtime_timestamp_format(t->timestamp_ms, ts);
        json_object_set_new(o, "request_time", json_string(ts));
    }
    if (t->execution_time_ms != TIME_NONE) {
        pbtime_duration_format(t->execution_time_ms, ts);
        json_object_set_new(o, "execution_duration", json_string(ts));
    }
    json_object_set_new(o, "state", json_string(trace_state_name(t->status)));
    if (t->request_metadata.n)
        json_object_set_new(o, "trace_metadata", map_to_json(&t->request_metadata));
    if (t->tags.n)
        json_object_set_new(o, "tags", map_to_json(&t->tags));
    return o;
}

/* trace_location: an MLflow experiment's (the only kind ferry keeps). */
static int location_from_json(json_t *j, struct trace_info *out, struct ferr *err)
{
    json_t *loc = json_object_get(j, "trace_location");
    if (!loc || json_is_null(loc))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'trace_location'");
    json_t *exp = json_is_object(loc) ? json_object_get(loc, "mlflow_experiment") : NULL;
    json_t *id = json_is_object(exp) ? json_object_get(exp, "experiment_id") : NULL;
    char num[24];
    if (json_is_integer(id)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        out->experiment_id = xstrdup(num);
        return 0;
    }
    if (!json_is_string(id))
        return bad(err, "trace_location",
                   "expected an MLflow experiment location: {\"type\": \"MLFLOW_EXPERIMENT\", "
                   "\"mlflow_experiment\": {\"experiment_id\": ...}}");
    out->experiment_id = xstrdup(json_string_value(id));
    return 0;
}

static int time_from_json(json_t *j, const char *field, int duration, int64_t *out,
                          struct ferr *err)
{
    json_t *v = json_object_get(j, field);
    *out = TIME_NONE;
    if (!v || json_is_null(v))
        return 0;
    const char *s = json_string_value(v);
    if (!s || (duration ? pbtime_duration_parse(s, out) : pbtime_timestamp_parse(s, out)))
        return bad(err, field,
                   duration ? "expected a duration such as \"1.500s\""
                            : "expected a UTC timestamp such as \"2024-05-01T10:00:00.250Z\"");
    return 0;
}

int codec_trace_info_v3_from_json(json_t *j, struct trace_info *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    out->timestamp_ms = out->execution_time_ms = TIME_NONE;
    if (!json_is_object(j))
        return bad(err, "trace_info", "expected an object");
    if (get_str(j, "trace_id", &out->request_id, err) ||
        get_str(j, "client_request_id", &out->client_request_id, err) ||
        location_from_json(j, out, err) ||
        get_str(j, "request_preview", &out->request_preview, err) ||
        get_str(j, "response_preview", &out->response_preview, err) ||
        time_from_json(j, "request_time", 0, &out->timestamp_ms, err) ||
        time_from_json(j, "execution_duration", 1, &out->execution_time_ms, err) ||
        get_status(j, "state", &out->status, err) ||
        map_from_json(j, "trace_metadata", &out->request_metadata, err) ||
        map_from_json(j, "tags", &out->tags, err)) {
        trace_info_release(out);
        return -1;
    }
    return 0;
}

json_t *codec_trace_v3_to_json(const struct trace_info *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "trace_info", codec_trace_info_v3_to_json(t));
    return o;
}

int codec_trace_v3_from_json(json_t *j, struct trace_info *out, struct ferr *err)
{
    json_t *info = json_is_object(j) ? json_object_get(j, "trace_info") : NULL;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return bad(err, "trace", "expected an object");
    if (!info || json_is_null(info))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'trace.trace_info'");
    return codec_trace_info_v3_from_json(info, out, err);
}
