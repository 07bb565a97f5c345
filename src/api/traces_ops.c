/* SPDX-License-Identifier: MIT
 * The traces area, 2.x (MLflow 2.17's service.proto): StartTrace (POST
 * traces), EndTrace (PATCH traces/{request_id}), GetTraceInfo (GET
 * traces/{request_id}/info), SearchTraces (GET traces), DeleteTraces (POST
 * traces/delete-traces), SetTraceTag and DeleteTraceTag (PATCH and DELETE
 * traces/{request_id}/tags), with MLflow's methods, under /api/2.0/mlflow
 * and /ajax-api/2.0/mlflow; and the area's table, 3.x rows included
 * (traces_ops_v3.c). */
#include "api/traces_ops.h"
#include "api/types.h"
#include "base/json.h"
#include "domain/validate.h"
#include "store/traces.h"

#include <stdio.h>

#include "base/banned.h"

#define MLFLOW "/api/2.0/mlflow"

/* EndTrace's status: a TraceStatus by name or number; absent is
 * TRACE_STATUS_UNSPECIFIED, as MLflow stores it. */
static int status_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    json_t *v = json_object_get(in, f->name);
    char num[24];
    const char *s = json_string_value(v);
    *(enum trace_status *)dst = TRACE_STATUS_UNSPECIFIED;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
    }
    if (!s || trace_status_parse(s, dst))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter '%s': expected OK, ERROR, IN_PROGRESS or "
                        "TRACE_STATUS_UNSPECIFIED",
                        f->name);
    return 0;
}

static void status_encode(json_t *out, const struct api_field *f, const void *src)
{
    json_object_set_new(out, f->name,
                        json_string(trace_status_name(*(const enum trace_status *)src)));
}

static const struct api_custom status_field = {status_decode, status_encode, NULL};

static const struct api_field start_fields[] = {
    F_STR(struct rq_trace_start, experiment_id, "experiment_id", 0),
    F_INT(struct rq_trace_start, timestamp_ms, "timestamp_ms", AF_REQUIRED, 0),
    F_KV(struct rq_trace_start, request_metadata, "request_metadata", AF_OMIT_EMPTY),
    F_KV(struct rq_trace_start, tags, "tags", AF_OMIT_EMPTY),
};
static const struct api_msg start_req = API_MSG(struct rq_trace_start, start_fields);
static const struct api_field info_resp_fields[] = {
    F_OBJ(struct rs_trace_info, trace_info, "trace_info", 0, &api_type_trace_info),
};
static const struct api_msg info_resp = API_MSG(struct rs_trace_info, info_resp_fields);

static const struct api_field end_fields[] = {
    F_STR(struct rq_trace_end, request_id, "request_id", AF_IN_PATH),
    F_INT(struct rq_trace_end, timestamp_ms, "timestamp_ms", 0, TIME_NONE),
    F_CUSTOM(struct rq_trace_end, status, "status", &status_field),
    F_KV(struct rq_trace_end, request_metadata, "request_metadata", AF_OMIT_EMPTY),
    F_KV(struct rq_trace_end, tags, "tags", AF_OMIT_EMPTY),
};
static const struct api_msg end_req = API_MSG(struct rq_trace_end, end_fields);

static const struct api_field id_fields[] = {
    F_STR(struct rq_trace_id, request_id, "request_id", AF_IN_PATH),
};
static const struct api_msg id_req = API_MSG(struct rq_trace_id, id_fields);

static const struct api_field search_fields[] = {
    F_STRS(struct trace_search, experiment_ids, nexperiment_ids, "experiment_ids", 0),
    F_STR(struct trace_search, filter, "filter", AF_OMIT_EMPTY),
    F_INT(struct trace_search, max_results, "max_results", 0, DEFAULT_RESULTS_SEARCH_TRACES),
    F_STRS(struct trace_search, order_by, norder_by, "order_by", AF_OMIT_EMPTY),
    F_STR(struct trace_search, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg search_req = API_MSG(struct trace_search, search_fields);
static const struct api_field list_fields[] = {
    F_LIST(struct trace_info_list, v, n, alloc, "traces", AF_OMIT_EMPTY, &api_type_trace_info),
    F_STR(struct trace_info_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_resp = API_MSG(struct trace_info_list, list_fields);

static const struct api_field delete_fields[] = {
    F_STR(struct trace_delete, experiment_id, "experiment_id", AF_REQUIRED),
    F_INT(struct trace_delete, max_timestamp_millis, "max_timestamp_millis", AF_OMIT_EMPTY,
          TIME_NONE),
    F_INT(struct trace_delete, max_traces, "max_traces", AF_OMIT_EMPTY, TIME_NONE),
    F_STRS(struct trace_delete, request_ids, nrequest_ids, "request_ids", AF_OMIT_EMPTY),
};
static const struct api_msg delete_req = API_MSG(struct trace_delete, delete_fields);
static const struct api_field deleted_fields[] = {
    F_INT(struct rs_traces_deleted, traces_deleted, "traces_deleted", 0, 0),
};
static const struct api_msg deleted_resp = API_MSG(struct rs_traces_deleted, deleted_fields);

static const struct api_field tag_fields[] = {
    F_STR(struct rq_trace_tag, request_id, "request_id", AF_IN_PATH),
    F_STR(struct rq_trace_tag, key, "key", AF_REQUIRED),
    F_STR(struct rq_trace_tag, value, "value", 0),
};
static const struct api_msg tag_req = API_MSG(struct rq_trace_tag, tag_fields);
static const struct api_field tag_delete_fields[] = {
    F_STR(struct rq_trace_tag, request_id, "request_id", AF_IN_PATH),
    F_STR(struct rq_trace_tag, key, "key", AF_REQUIRED),
};
static const struct api_msg tag_delete_req = API_MSG(struct rq_trace_tag, tag_delete_fields);

static int x_start(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    (void)op;
    struct rq_trace_start *q = req;
    return store_start_trace(env->store, q->experiment_id, q->timestamp_ms, &q->request_metadata,
                             &q->tags, &((struct rs_trace_info *)resp)->trace_info, err);
}

static int x_end(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    struct rq_trace_end *q = req;
    return store_end_trace(env->store, q->request_id, q->timestamp_ms, q->status,
                           &q->request_metadata, &q->tags,
                           &((struct rs_trace_info *)resp)->trace_info, err);
}

static int x_get_info(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                      struct ferr *err)
{
    (void)op;
    return store_get_trace_info(env->store, ((struct rq_trace_id *)req)->request_id,
                                &((struct rs_trace_info *)resp)->trace_info, err);
}

static int x_search(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    return store_search_traces(env->store, req, resp, err);
}

static int x_delete(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    return store_delete_traces(env->store, req, &((struct rs_traces_deleted *)resp)->traces_deleted,
                               err);
}

/* set (arg 1) and delete (arg 0) */
static int x_tag(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)resp;
    struct rq_trace_tag *q = req;
    if (!op->arg)
        return store_delete_trace_tag(env->store, q->request_id, q->key, err);
    return store_set_trace_tag(env->store, q->request_id, q->key, q->value ? q->value : "", err);
}

#define TRACES_OP(nm, p, m, fl, rq, rs, fn, a, acc, loc, fld)                                      \
    {                                                                                              \
        .name = nm, .root = MLFLOW, .path = p, .methods = m, .call = m, .flags = OP_AJAX | (fl),   \
        .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = a, .res = {          \
            acc,                                                                                   \
            loc,                                                                                   \
            fld                                                                                    \
        }                                                                                          \
    }

const struct api_op api_traces_start =
    TRACES_OP("traces/start", "traces", HTTP_POST, 0, &start_req, &info_resp, x_start, 0,
              ACCESS_EDIT, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_traces_end =
    TRACES_OP("traces/end", "traces/{request_id}", HTTP_PATCH, OP_IDEMPOTENT, &end_req, &info_resp,
              x_end, 0, ACCESS_EDIT, LOC_TRACE_ID, "request_id");
const struct api_op api_traces_get_info =
    TRACES_OP("traces/get-info", "traces/{request_id}/info", HTTP_GET, OP_IDEMPOTENT, &id_req,
              &info_resp, x_get_info, 0, ACCESS_READ, LOC_TRACE_ID, "request_id");
const struct api_op api_traces_search =
    TRACES_OP("traces/search", "traces", HTTP_GET, OP_IDEMPOTENT, &search_req, &list_resp, x_search,
              0, ACCESS_READ, LOC_EXPERIMENT_IDS, "experiment_ids");
const struct api_op api_traces_delete =
    TRACES_OP("traces/delete-traces", "traces/delete-traces", HTTP_POST, 0, &delete_req,
              &deleted_resp, x_delete, 0, ACCESS_DELETE, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_traces_set_tag =
    TRACES_OP("traces/set-tag", "traces/{request_id}/tags", HTTP_PATCH, OP_IDEMPOTENT, &tag_req,
              NULL, x_tag, 1, ACCESS_EDIT, LOC_TRACE_ID, "request_id");
const struct api_op api_traces_delete_tag =
    TRACES_OP("traces/delete-tag", "traces/{request_id}/tags", HTTP_DELETE, 0, &tag_delete_req,
              NULL, x_tag, 0, ACCESS_EDIT, LOC_TRACE_ID, "request_id");

static const struct api_op *const traces_ops[] = {
    &api_traces_start,         &api_traces_end,       &api_traces_get_info,
    &api_traces_search,        &api_traces_delete,    &api_traces_set_tag,
    &api_traces_delete_tag,    &api_traces_start_v3,  &api_traces_get_info_v3,
    &api_traces_search_v3,     &api_traces_delete_v3, &api_traces_set_tag_v3,
    &api_traces_delete_tag_v3, &api_traces_get_v3,    &api_traces_batch_get_v3,
};
const struct api_area api_traces_area = {"traces", traces_ops,
                                         sizeof(traces_ops) / sizeof(*traces_ops)};
