/* SPDX-License-Identifier: MIT */
#include "api/codec.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

static void set_time(json_t *o, const char *k, int64_t v)
{
    if (v != TIME_NONE)
        json_object_set_new(o, k, json_integer(v));
}

json_t *codec_kv_list_to_json(const struct kv_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; l && i < l->n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "key", l->v[i].key, "value",
                                           l->v[i].value ? l->v[i].value : ""));
    return a;
}

json_t *codec_metric_to_json(const struct metric *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(m->key));
    json_object_set_new(o, "value", fjson_double(m->value));
    json_object_set_new(o, "timestamp", json_integer(m->timestamp));
    json_object_set_new(o, "step", json_integer(m->step));
    set_str(o, "dataset_name", m->dataset_name);
    set_str(o, "dataset_digest", m->dataset_digest);
    set_str(o, "model_id", m->model_id);
    set_str(o, "run_id", m->run_id);
    return o;
}

static json_t *model_refs_to_json(const struct model_ref_list *l, int with_step)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++) {
        json_t *o = json_pack("{s:s}", "model_id", l->v[i].model_id);
        if (with_step)
            json_object_set_new(o, "step", json_integer(l->v[i].step));
        json_array_append_new(a, o);
    }
    return a;
}

json_t *codec_experiment_to_json(const struct experiment *e)
{
    json_t *o = json_object();
    set_str(o, "experiment_id", e->experiment_id);
    set_str(o, "name", e->name);
    set_str(o, "artifact_location", e->artifact_location);
    json_object_set_new(o, "lifecycle_stage", json_string(lifecycle_name(e->lifecycle_stage)));
    json_object_set_new(o, "last_update_time", json_integer(e->last_update_time));
    json_object_set_new(o, "creation_time", json_integer(e->creation_time));
    if (e->tags.n)
        json_object_set_new(o, "tags", codec_kv_list_to_json(&e->tags));
    return o;
}

json_t *codec_run_info_to_json(const struct run_info *ri)
{
    json_t *o = json_object();
    set_str(o, "run_id", ri->run_id);
    set_str(o, "run_uuid", ri->run_id); /* deprecated alias MLflow still sends */
    set_str(o, "run_name", ri->run_name);
    set_str(o, "experiment_id", ri->experiment_id);
    set_str(o, "user_id", ri->user_id);
    if (ri->status != RUN_STATUS_NONE)
        json_object_set_new(o, "status", json_string(run_status_name(ri->status)));
    set_time(o, "start_time", ri->start_time);
    set_time(o, "end_time", ri->end_time);
    set_str(o, "artifact_uri", ri->artifact_uri);
    json_object_set_new(o, "lifecycle_stage", json_string(lifecycle_name(ri->lifecycle_stage)));
    return o;
}

json_t *codec_dataset_input_to_json(const struct dataset_input *di)
{
    const struct dataset *d = &di->dataset;
    json_t *ds = json_object();
    set_str(ds, "name", d->name);
    set_str(ds, "digest", d->digest);
    set_str(ds, "source_type", d->source_type);
    set_str(ds, "source", d->source);
    set_str(ds, "schema", d->schema);
    set_str(ds, "profile", d->profile);
    json_t *o = json_object();
    if (di->tags.n)
        json_object_set_new(o, "tags", codec_kv_list_to_json(&di->tags));
    json_object_set_new(o, "dataset", ds);
    return o;
}

json_t *codec_run_to_json(const struct run *r)
{
    json_t *data = json_object();
    if (r->metrics.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->metrics.n; i++)
            json_array_append_new(a, codec_metric_to_json(&r->metrics.v[i]));
        json_object_set_new(data, "metrics", a);
    }
    if (r->params.n)
        json_object_set_new(data, "params", codec_kv_list_to_json(&r->params));
    if (r->tags.n)
        json_object_set_new(data, "tags", codec_kv_list_to_json(&r->tags));
    json_t *inputs = json_object();
    if (r->ninputs) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->ninputs; i++)
            json_array_append_new(a, codec_dataset_input_to_json(&r->inputs[i]));
        json_object_set_new(inputs, "dataset_inputs", a);
    }
    if (r->model_inputs.n)
        json_object_set_new(inputs, "model_inputs", model_refs_to_json(&r->model_inputs, 0));
    json_t *o = json_pack("{s:o, s:o, s:o}", "info", codec_run_info_to_json(&r->info), "data", data,
                          "inputs", inputs);
    if (r->model_outputs.n)
        json_object_set_new(
            o, "outputs",
            json_pack("{s:o}", "model_outputs", model_refs_to_json(&r->model_outputs, 1)));
    return o;
}

static int bad(struct ferr *err, const char *field, const char *what)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid value for parameter '%s': %s",
                    field, what);
}

int codec_kv_list_from_json(json_t *arr, const char *field, struct kv_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return fjson_invalid(err, field, arr);
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        const char *k = NULL, *v = NULL;
        if (!json_is_object(it)) {
            bad(err, field, "expected an array of {\"key\", \"value\"} objects");
            goto fail;
        }
        if (fjson_get_str(it, "key", JSON_OPTIONAL, &k, err) < 0 ||
            fjson_get_str(it, "value", JSON_OPTIONAL, &v, err) < 0)
            goto fail;
        if (!k || !*k) {
            struct sbuf path = SBUF_INIT; /* MLflow names the element: tags[1].key */
            sbuf_addf(&path, "%s[%zu].key", field, i);
            fjson_missing(err, path.buf);
            sbuf_release(&path);
            goto fail;
        }
        kv_list_add(out, k, v ? v : "");
        if (!v) /* a NULL value stays distinguishable for params */
            out->v[out->n - 1].value[0] = '\0';
    }
    return 0;
fail:
    kv_list_release(out);
    return -1;
}

/* The error for field of the element at path ("metrics[2]"), in MLflow's
 * words: missing, or of the wrong type. */
static int element_error(json_t *j, const char *path, const char *field, struct ferr *err)
{
    struct sbuf full = SBUF_INIT;
    json_t *v = json_object_get(j, field);
    sbuf_addf(&full, "%s.%s", path, field);
    int rc = !v || json_is_null(v) ? fjson_missing(err, full.buf) : fjson_invalid(err, full.buf, v);
    sbuf_release(&full);
    return rc;
}

/* A metric; path names it in messages when it is an element of a list. */
static int metric_from_json_at(json_t *j, const char *path, struct metric *out, struct ferr *err)
{
    const char *key = NULL, *run_id = NULL, *model_id = NULL, *ds_name = NULL, *ds_digest = NULL;
    const char *failed = NULL;
    memset(out, 0, sizeof(*out));
    out->timestamp = TIME_NONE;
    if (!json_is_object(j))
        return fjson_invalid(err, path ? path : "metrics", j);
    if (fjson_get_str(j, failed = "key", JSON_REQUIRED, &key, err) < 0 ||
        fjson_get_double(j, failed = "value", JSON_REQUIRED, &out->value, err) < 0 ||
        fjson_get_int64(j, failed = "timestamp", JSON_REQUIRED, &out->timestamp, err) < 0 ||
        fjson_get_int64(j, failed = "step", JSON_OPTIONAL, &out->step, err) < 0 ||
        fjson_get_str(j, failed = "run_id", JSON_OPTIONAL, &run_id, err) < 0 ||
        fjson_get_str(j, failed = "model_id", JSON_OPTIONAL, &model_id, err) < 0 ||
        fjson_get_str(j, failed = "dataset_name", JSON_OPTIONAL, &ds_name, err) < 0 ||
        fjson_get_str(j, failed = "dataset_digest", JSON_OPTIONAL, &ds_digest, err) < 0)
        return path ? element_error(j, path, failed, err) : -1;
    out->key = xstrdup(key);
    out->run_id = xstrdup_or_null(run_id);
    /* "" is protobuf's absent */
    out->model_id = model_id && *model_id ? xstrdup(model_id) : NULL;
    out->dataset_name = ds_name && *ds_name ? xstrdup(ds_name) : NULL;
    out->dataset_digest = ds_digest && *ds_digest ? xstrdup(ds_digest) : NULL;
    return 0;
}

int codec_metric_from_json(json_t *j, struct metric *out, struct ferr *err)
{
    return metric_from_json_at(j, NULL, out, err);
}

/* [{"model_id": ..., "step": ...}] into l. */
static int model_refs_from_json(json_t *arr, const char *field, struct model_ref_list *l,
                                struct ferr *err)
{
    size_t i;
    json_t *it;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return bad(err, field, "expected an array");
    json_array_foreach(arr, i, it)
    {
        const char *id = NULL;
        int64_t step = 0;
        if (!json_is_object(it) || fjson_get_str(it, "model_id", JSON_REQUIRED, &id, err) < 0 ||
            fjson_get_int64(it, "step", JSON_OPTIONAL, &step, err) < 0)
            return json_is_object(it) ? -1 : bad(err, field, "expected objects");
        model_ref_list_add(l, id, step);
    }
    return 0;
}

int codec_metric_list_from_json(json_t *arr, struct metric_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return fjson_invalid(err, "metrics", arr);
    size_t i;
    json_t *it;
    ALLOC_GROW(out->v, json_array_size(arr), out->alloc);
    json_array_foreach(arr, i, it)
    {
        char path[40];
        snprintf(path, sizeof(path), "metrics[%zu]", i);
        if (metric_from_json_at(it, path, &out->v[out->n], err)) {
            metric_list_release(out);
            return -1;
        }
        out->n++;
    }
    return 0;
}

static int get_dup(json_t *j, const char *field, char **out, struct ferr *err)
{
    const char *s = NULL;
    if (fjson_get_str(j, field, JSON_OPTIONAL, &s, err) < 0)
        return -1;
    *out = xstrdup_or_null(s);
    return 0;
}

int codec_experiment_from_json(json_t *j, struct experiment *out, struct ferr *err)
{
    const char *lc = NULL;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return bad(err, "experiment", "expected an object");
    if (get_dup(j, "experiment_id", &out->experiment_id, err) ||
        get_dup(j, "name", &out->name, err) ||
        get_dup(j, "artifact_location", &out->artifact_location, err) ||
        fjson_get_str(j, "lifecycle_stage", JSON_OPTIONAL, &lc, err) < 0 ||
        fjson_get_int64(j, "creation_time", JSON_OPTIONAL, &out->creation_time, err) < 0 ||
        fjson_get_int64(j, "last_update_time", JSON_OPTIONAL, &out->last_update_time, err) < 0 ||
        codec_kv_list_from_json(json_object_get(j, "tags"), "tags", &out->tags, err))
        goto fail;
    if (lc && lifecycle_parse(lc, &out->lifecycle_stage)) {
        bad(err, "lifecycle_stage", "expected 'active' or 'deleted'");
        goto fail;
    }
    return 0;
fail:
    experiment_release(out);
    return -1;
}

int codec_run_info_from_json(json_t *j, struct run_info *out, struct ferr *err)
{
    const char *status = NULL, *lc = NULL;
    memset(out, 0, sizeof(*out));
    out->start_time = out->end_time = TIME_NONE;
    if (!json_is_object(j))
        return bad(err, "info", "expected an object");
    if (get_dup(j, "run_id", &out->run_id, err) || get_dup(j, "run_name", &out->run_name, err) ||
        get_dup(j, "experiment_id", &out->experiment_id, err) ||
        get_dup(j, "user_id", &out->user_id, err) ||
        get_dup(j, "artifact_uri", &out->artifact_uri, err) ||
        fjson_get_str(j, "status", JSON_OPTIONAL, &status, err) < 0 ||
        fjson_get_str(j, "lifecycle_stage", JSON_OPTIONAL, &lc, err) < 0 ||
        fjson_get_int64(j, "start_time", JSON_OPTIONAL, &out->start_time, err) < 0 ||
        fjson_get_int64(j, "end_time", JSON_OPTIONAL, &out->end_time, err) < 0)
        goto fail;
    if (!out->run_id && get_dup(j, "run_uuid", &out->run_id, err))
        goto fail;
    if (status && run_status_parse(status, &out->status)) {
        bad(err, "status", "unknown run status");
        goto fail;
    }
    if (lc && lifecycle_parse(lc, &out->lifecycle_stage)) {
        bad(err, "lifecycle_stage", "expected 'active' or 'deleted'");
        goto fail;
    }
    return 0;
fail:
    run_info_release(out);
    return -1;
}

int codec_dataset_input_from_json(json_t *j, struct dataset_input *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *ds = json_is_object(j) ? json_object_get(j, "dataset") : NULL;
    if (!json_is_object(ds))
        return bad(err, "datasets", "each input needs a 'dataset' object");
    struct dataset *d = &out->dataset;
    if (codec_kv_list_from_json(json_object_get(j, "tags"), "tags", &out->tags, err) ||
        get_dup(ds, "name", &d->name, err) || get_dup(ds, "digest", &d->digest, err) ||
        get_dup(ds, "source_type", &d->source_type, err) ||
        get_dup(ds, "source", &d->source, err) || get_dup(ds, "schema", &d->schema, err) ||
        get_dup(ds, "profile", &d->profile, err)) {
        dataset_input_release(out);
        return -1;
    }
    return 0;
}

int codec_run_from_json(json_t *j, struct run *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return bad(err, "run", "expected an object");
    json_t *data = json_object_get(j, "data");
    json_t *inputs = json_object_get(j, "inputs");
    json_t *dis = json_is_object(inputs) ? json_object_get(inputs, "dataset_inputs") : NULL;
    if (codec_run_info_from_json(json_object_get(j, "info"), &out->info, err))
        return -1;
    if (json_is_object(data) &&
        (codec_metric_list_from_json(json_object_get(data, "metrics"), &out->metrics, err) ||
         codec_kv_list_from_json(json_object_get(data, "params"), "params", &out->params, err) ||
         codec_kv_list_from_json(json_object_get(data, "tags"), "tags", &out->tags, err)))
        goto fail;
    if (json_is_array(dis)) {
        size_t i;
        json_t *it;
        json_array_foreach(dis, i, it)
        {
            ALLOC_GROW(out->inputs, out->ninputs + 1, out->ainputs);
            if (codec_dataset_input_from_json(it, &out->inputs[out->ninputs], err))
                goto fail;
            out->ninputs++;
        }
    }
    json_t *outputs = json_object_get(j, "outputs");
    if ((json_is_object(inputs) && model_refs_from_json(json_object_get(inputs, "model_inputs"),
                                                        "model_inputs", &out->model_inputs, err)) ||
        (json_is_object(outputs) &&
         model_refs_from_json(json_object_get(outputs, "model_outputs"), "model_outputs",
                              &out->model_outputs, err)))
        goto fail;
    return 0;
fail:
    run_release(out);
    return -1;
}

void codec_write_metric(struct sbuf *sb, const struct metric *m, int with_run_id)
{
    sbuf_addstr(sb, "{\"key\":");
    fjson_add_string(sb, m->key);
    sbuf_addstr(sb, ",\"value\":");
    fjson_add_double(sb, m->value);
    sbuf_addstr(sb, ",\"timestamp\":");
    fjson_add_int64(sb, m->timestamp);
    sbuf_addstr(sb, ",\"step\":");
    fjson_add_int64(sb, m->step);
    if (m->dataset_name) {
        sbuf_addstr(sb, ",\"dataset_name\":");
        fjson_add_string(sb, m->dataset_name);
    }
    if (m->dataset_digest) {
        sbuf_addstr(sb, ",\"dataset_digest\":");
        fjson_add_string(sb, m->dataset_digest);
    }
    if (m->model_id) {
        sbuf_addstr(sb, ",\"model_id\":");
        fjson_add_string(sb, m->model_id);
    }
    if (with_run_id && m->run_id) {
        sbuf_addstr(sb, ",\"run_id\":");
        fjson_add_string(sb, m->run_id);
    }
    sbuf_addch(sb, '}');
}

void codec_write_metrics_response(struct sbuf *sb, const struct metric_list *l,
                                  const char *next_page_token)
{
    /* ~85 bytes a point: grow once instead of doubling through the loop
     * (a short guess copies the whole answer at the end). */
    sbuf_grow(sb, 96 * l->n + 64);
    sbuf_addch(sb, '{');
    /* Like MLflow's protobuf JSON, an empty list is left out: `{}`. */
    if (l->n) {
        sbuf_addstr(sb, "\"metrics\":[");
        for (size_t i = 0; i < l->n; i++) {
            if (i)
                sbuf_addch(sb, ',');
            codec_write_metric(sb, &l->v[i], 1);
        }
        sbuf_addch(sb, ']');
    }
    if (next_page_token) {
        if (l->n)
            sbuf_addch(sb, ',');
        sbuf_addstr(sb, "\"next_page_token\":");
        fjson_add_string(sb, next_page_token);
    }
    sbuf_addch(sb, '}');
}

static json_t *integer_as_string(json_t *v)
{
    char num[24];
    snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
    return json_string(num);
}

void codec_normalize_request(json_t *in)
{
    static const char *const scalar[] = {"experiment_id", "status", "run_view_type", "view_type"};
    for (size_t i = 0; i < sizeof(scalar) / sizeof(scalar[0]); i++) {
        json_t *v = json_object_get(in, scalar[i]);
        if (json_is_integer(v))
            json_object_set_new(in, scalar[i], integer_as_string(v));
    }
    json_t *ids = json_object_get(in, "experiment_ids"), *v;
    size_t i;
    if (!json_is_array(ids))
        return;
    json_array_foreach(ids, i, v)
    {
        if (json_is_integer(v))
            json_array_set_new(ids, i, integer_as_string(v));
    }
}

const char *codec_or_empty(const char *s)
{
    return s ? s : "";
}

char *codec_str_field(json_t *j, const char *key)
{
    return xstrdup(codec_or_empty(json_string_value(json_object_get(j, key))));
}

int64_t codec_int_field(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    int64_t n = 0;
    if (json_is_string(v) && fjson_parse_int64(json_string_value(v), &n))
        n = 0;
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : n;
}
