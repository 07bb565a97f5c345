/* SPDX-License-Identifier: MIT
 * The traces area, 3.x: what MLflow 3's client calls under /api/3.0/mlflow
 * for everyday tracing. StartTraceV3 (POST traces, a whole TraceInfoV3
 * once the trace is over; the client then uploads the spans to the
 * artifact location the answer names), GetTraceInfoV3 (GET
 * traces/{trace_id}), SearchTracesV3 (POST traces/search, over
 * trace_locations), DeleteTracesV3 (POST traces/delete-traces) and the
 * tags (PATCH and DELETE traces/{trace_id}/tags). The spans stay in the
 * artifact repository: answers never carry the tag that would send the
 * client to a span store, so its GetTrace and BatchGetTraces calls are not
 * needed; they are answered (the trace checked first) with NOT_IMPLEMENTED
 * and where the spans are, rather than read as GetTraceInfoV3 of a trace
 * named "get". Assessments are not kept. */
#include "api/traces_ops.h"
#include "base/json.h"
#include "api/types.h"
#include "base/xalloc.h"
#include "domain/validate.h"
#include "store/traces.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MLFLOW3 "/api/3.0/mlflow"

/* ---------- locations ---------- */

static void locations_release(void *dst)
{
    struct trace_locations *l = dst;
    for (size_t i = 0; i < l->n; i++)
        free(l->experiment_ids[i]);
    free(l->experiment_ids);
    memset(l, 0, sizeof(*l));
}

static int locations_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    struct trace_locations *l = dst;
    json_t *a = json_object_get(in, f->name), *it;
    size_t i;
    memset(l, 0, sizeof(*l));
    if (!a || json_is_null(a) || !json_array_size(a))
        return fjson_missing(err, f->name);
    if (!json_is_array(a))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter '%s': expected an array of trace locations",
                        f->name);
    l->experiment_ids = xcalloc(json_array_size(a), sizeof(char *));
    json_array_foreach(a, i, it)
    {
        json_t *exp = json_is_object(it) ? json_object_get(it, "mlflow_experiment") : NULL;
        json_t *id = json_is_object(exp) ? json_object_get(exp, "experiment_id") : NULL;
        char num[24];
        if (!json_is_object(it)) {
            locations_release(l);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter '%s': expected an array of trace "
                            "locations",
                            f->name);
        }
        if (json_is_integer(id)) {
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
            l->experiment_ids[l->n++] = xstrdup(num);
        } else if (json_is_string(id)) {
            l->experiment_ids[l->n++] = xstrdup(json_string_value(id));
        } /* other kinds of location: not here, as in MLflow */
    }
    /* Refused here, not only by the row's function: what is skipped is not
     * kept, so a server forwarding the request could not tell "none" from
     * "only other kinds" (server/forward.h). */
    if (!l->n) {
        locations_release(l);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "no MLflow experiment among the trace locations");
    }
    return 0;
}

static void locations_encode(json_t *out, const struct api_field *f, const void *src)
{
    const struct trace_locations *l = src;
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_pack("{s:s, s:{s:s}}", "type", "MLFLOW_EXPERIMENT",
                                           "mlflow_experiment", "experiment_id",
                                           l->experiment_ids[i]));
    json_object_set_new(out, f->name, a);
}

static const struct api_custom locations_field = {locations_decode, locations_encode,
                                                  locations_release};

/* ---------- messages ---------- */

static const struct api_field start_fields[] = {
    F_OBJ(struct rq_trace_v3, trace, "trace", AF_REQUIRED, &api_type_trace_v3),
};
static const struct api_msg start_req = API_MSG(struct rq_trace_v3, start_fields);
static const struct api_field trace_resp_fields[] = {
    F_OBJ(struct rs_trace_v3, trace, "trace", 0, &api_type_trace_v3),
};
static const struct api_msg trace_resp = API_MSG(struct rs_trace_v3, trace_resp_fields);

static const struct api_field id_fields[] = {
    F_STR(struct rq_trace_id, request_id, "trace_id", AF_IN_PATH),
};
static const struct api_msg id_req = API_MSG(struct rq_trace_id, id_fields);

static const struct api_field search_fields[] = {
    F_CUSTOM(struct rq_trace_search_v3, locations, "locations", &locations_field),
    F_STR(struct rq_trace_search_v3, filter, "filter", AF_OMIT_EMPTY),
    F_INT(struct rq_trace_search_v3, max_results, "max_results", 0, DEFAULT_RESULTS_SEARCH_TRACES),
    F_STRS(struct rq_trace_search_v3, order_by, norder_by, "order_by", AF_OMIT_EMPTY),
    F_STR(struct rq_trace_search_v3, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg search_req = API_MSG(struct rq_trace_search_v3, search_fields);
static const struct api_field list_fields[] = {
    F_LIST(struct trace_info_list, v, n, alloc, "traces", AF_OMIT_EMPTY, &api_type_trace_info_v3),
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
    F_STR(struct rq_trace_tag, request_id, "trace_id", AF_IN_PATH),
    F_STR(struct rq_trace_tag, key, "key", AF_REQUIRED),
    F_STR(struct rq_trace_tag, value, "value", 0),
};
static const struct api_msg tag_req = API_MSG(struct rq_trace_tag, tag_fields);
static const struct api_field tag_delete_fields[] = {
    F_STR(struct rq_trace_tag, request_id, "trace_id", AF_IN_PATH),
    F_STR(struct rq_trace_tag, key, "key", AF_REQUIRED),
};
static const struct api_msg tag_delete_req = API_MSG(struct rq_trace_tag, tag_delete_fields);

struct rq_trace_get {
    const char *trace_id;
    int allow_partial;
};
static const struct api_field get_fields[] = {
    F_STR(struct rq_trace_get, trace_id, "trace_id", AF_NONEMPTY),
    F_BOOL(struct rq_trace_get, allow_partial, "allow_partial", 0),
};
static const struct api_msg get_req = API_MSG(struct rq_trace_get, get_fields);
struct rq_trace_batch_get {
    const char **trace_ids;
    size_t n;
};
static const struct api_field batch_get_fields[] = {
    F_STRS(struct rq_trace_batch_get, trace_ids, n, "trace_ids", 0),
};
static const struct api_msg batch_get_req = API_MSG(struct rq_trace_batch_get, batch_get_fields);

/* ---------- functions ---------- */

static int no_span_store(const char *id, struct ferr *err)
{
    return ferr_set(err, FERR_NOT_IMPLEMENTED,
                    "this server keeps no spans: trace '%.100s' has them in traces.json at its "
                    "mlflow.artifactLocation (also served by get-trace-artifact)",
                    id);
}

/* GetTrace (arg 0) and BatchGetTraces (arg 1): the traces must exist. */
static int x_get_spans(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                       struct ferr *err)
{
    (void)resp;
    struct rq_trace_get *one = req;
    struct rq_trace_batch_get *many = req;
    const char *const *ids = op->arg ? many->trace_ids : &one->trace_id;
    size_t n = op->arg ? many->n : 1;
    if (!n)
        return fjson_missing(err, "trace_ids");
    if (n > MAX_RESULTS_SEARCH_TRACES)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "too many trace_ids (%zu, at most %d)",
                        n, MAX_RESULTS_SEARCH_TRACES);
    for (size_t i = 0; i < n; i++) {
        struct trace_info t;
        memset(&t, 0, sizeof(t));
        if (store_get_trace_info(env->store, ids[i], &t, err))
            return -1;
        trace_info_release(&t);
    }
    return no_span_store(ids[0], err);
}

static int x_start(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    (void)op;
    return store_log_trace(env->store, &((struct rq_trace_v3 *)req)->trace,
                           &((struct rs_trace_v3 *)resp)->trace, err);
}

static int x_get_info(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                      struct ferr *err)
{
    (void)op;
    return store_get_trace_info(env->store, ((struct rq_trace_id *)req)->request_id,
                                &((struct rs_trace_v3 *)resp)->trace, err);
}

static int x_search(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    struct rq_trace_search_v3 *q = req;
    struct trace_search s = {(const char **)q->locations.experiment_ids,
                             q->locations.n,
                             q->filter,
                             q->max_results,
                             q->order_by,
                             q->norder_by,
                             q->page_token};
    if (!s.nexperiment_ids) /* in-process callers skip the decoder's check */
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "no MLflow experiment among the trace locations");
    return store_search_traces(env->store, &s, resp, err);
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

#define TRACES3_OP(nm, p, m, fl, rq, rs, fn, a, acc, loc, fld)                                     \
    {                                                                                              \
        .name = nm, .root = MLFLOW3, .path = p, .methods = m, .call = m, .flags = OP_AJAX | (fl),  \
        .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = a, .res = {          \
            acc,                                                                                   \
            loc,                                                                                   \
            fld                                                                                    \
        }                                                                                          \
    }

/* Idempotent: a trace sent again overwrites itself. */
const struct api_op api_traces_start_v3 =
    TRACES3_OP("traces/start-v3", "traces", HTTP_POST, OP_IDEMPOTENT, &start_req, &trace_resp,
               x_start, 0, ACCESS_EDIT, LOC_NEW_TRACE, "trace");
const struct api_op api_traces_get_info_v3 =
    TRACES3_OP("traces/get-info-v3", "traces/{trace_id}", HTTP_GET, OP_IDEMPOTENT, &id_req,
               &trace_resp, x_get_info, 0, ACCESS_READ, LOC_TRACE_ID, "trace_id");
/* READ on every experiment the locations name, as the 2.x search asks of
 * its experiment_ids. */
const struct api_op api_traces_search_v3 =
    TRACES3_OP("traces/search-v3", "traces/search", HTTP_POST, OP_IDEMPOTENT, &search_req,
               &list_resp, x_search, 0, ACCESS_READ, LOC_TRACE_LOCATIONS, "locations");
const struct api_op api_traces_delete_v3 =
    TRACES3_OP("traces/delete-traces-v3", "traces/delete-traces", HTTP_POST, 0, &delete_req,
               &deleted_resp, x_delete, 0, ACCESS_DELETE, LOC_EXPERIMENT_ID, "experiment_id");
const struct api_op api_traces_get_v3 =
    TRACES3_OP("traces/get-v3", "traces/get", HTTP_GET, OP_IDEMPOTENT, &get_req, NULL, x_get_spans,
               0, ACCESS_READ, LOC_TRACE_ID, "trace_id");
const struct api_op api_traces_batch_get_v3 =
    TRACES3_OP("traces/batch-get-v3", "traces/batchGet", HTTP_GET, OP_IDEMPOTENT, &batch_get_req,
               NULL, x_get_spans, 1, ACCESS_READ, LOC_TRACE_IDS, "trace_ids");
const struct api_op api_traces_set_tag_v3 =
    TRACES3_OP("traces/set-tag-v3", "traces/{trace_id}/tags", HTTP_PATCH, OP_IDEMPOTENT, &tag_req,
               NULL, x_tag, 1, ACCESS_EDIT, LOC_TRACE_ID, "trace_id");
const struct api_op api_traces_delete_tag_v3 =
    TRACES3_OP("traces/delete-tag-v3", "traces/{trace_id}/tags", HTTP_DELETE, 0, &tag_delete_req,
               NULL, x_tag, 0, ACCESS_EDIT, LOC_TRACE_ID, "trace_id");
