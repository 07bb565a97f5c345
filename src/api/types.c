/* SPDX-License-Identifier: MIT */
#include "api/types.h"
#include "api/codec.h"
#include "api/codec_registry.h"
#include "api/codec_logged_model.h"
#include "api/codec_trace.h"
#include "artifacts/repo.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Each entity's codec behind the untyped signatures of struct api_type. */
#define API_TYPE(id, T, to, from, rel, wr) API_TYPE_OF(, api_type_##id, #id, T, to, from, rel, wr)

static void write_metric(struct sbuf *sb, const void *m)
{
    codec_write_metric(sb, m, 1);
}

static json_t *artifact_file_to_json(const struct artifact_file *f)
{
    json_t *o = json_pack("{s:s, s:b}", "path", f->path, "is_dir", f->is_dir);
    if (o && !f->is_dir)
        json_object_set_new(o, "file_size", json_integer(f->size));
    return o;
}

static int artifact_file_from_json(json_t *j, struct artifact_file *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    const char *path = json_string_value(json_object_get(j, "path"));
    if (!path)
        return ferr_set(err, FERR_IO_ERROR, "the server sent a file without a path");
    out->path = xstrdup(path);
    out->is_dir = json_is_true(json_object_get(j, "is_dir"));
    json_t *size = json_object_get(j, "file_size"); /* a number, or a string (protobuf int64) */
    out->size = out->is_dir             ? 0
                : json_is_integer(size) ? (int64_t)json_integer_value(size)
                : json_is_string(size)  ? strtoll(json_string_value(size), NULL, 10)
                                        : 0;
    return 0;
}

static void artifact_file_release(struct artifact_file *f)
{
    free(f->path);
    f->path = NULL;
}

API_TYPE(experiment, struct experiment, codec_experiment_to_json, codec_experiment_from_json,
         experiment_release, NULL);
API_TYPE(run, struct run, codec_run_to_json, codec_run_from_json, run_release, NULL);
API_TYPE(run_info, struct run_info, codec_run_info_to_json, codec_run_info_from_json,
         run_info_release, NULL);
API_TYPE(metric, struct metric, codec_metric_to_json, codec_metric_from_json, metric_release,
         write_metric);
API_TYPE(dataset_input, struct dataset_input, codec_dataset_input_to_json,
         codec_dataset_input_from_json, dataset_input_release, NULL);
API_TYPE(registered_model, struct registered_model, codec_registered_model_to_json,
         codec_registered_model_from_json, registered_model_release, NULL);
API_TYPE(model_version, struct model_version, codec_model_version_to_json,
         codec_model_version_from_json, model_version_release, NULL);
API_TYPE(registry_event, struct registry_event, codec_registry_event_to_json,
         codec_registry_event_from_json, registry_event_release, NULL);
API_TYPE(artifact_file, struct artifact_file, artifact_file_to_json, artifact_file_from_json,
         artifact_file_release, NULL);
API_TYPE(logged_model, struct logged_model, codec_logged_model_to_json,
         codec_logged_model_from_json, logged_model_release, NULL);
API_TYPE(trace_info, struct trace_info, codec_trace_info_to_json, codec_trace_info_from_json,
         trace_info_release, NULL);
API_TYPE(trace_info_v3, struct trace_info, codec_trace_info_v3_to_json,
         codec_trace_info_v3_from_json, trace_info_release, NULL);
API_TYPE(trace_v3, struct trace_info, codec_trace_v3_to_json, codec_trace_v3_from_json,
         trace_info_release, NULL);

/* ---------- a JSON object field, borrowed ---------- */

static int object_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    json_t *v = json_object_get(in, f->name);
    *(json_t **)dst = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter '%s': expected a JSON object", f->name);
    *(json_t **)dst = v;
    return 0;
}

static void object_encode(json_t *out, const struct api_field *f, const void *src)
{
    json_t *v = *(json_t *const *)src;
    if (v)
        json_object_set(out, f->name, v);
}

static void object_release(void *dst)
{
    *(json_t **)dst = NULL;
}

const struct api_custom api_object_field = {object_decode, object_encode, object_release};
