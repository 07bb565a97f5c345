/* SPDX-License-Identifier: MIT
 * The traces area's rows: MLflow Tracing's 2.x API under /api/2.0/mlflow/
 * (traces_ops.c) and the 3.x calls MLflow 3's client makes under
 * /api/3.0/mlflow/ (traces_ops_v3.c), with the structs a client fills to
 * call them. Where an operation takes a domain struct (trace_search,
 * trace_delete) that struct is the request. */
#ifndef FERRY_API_TRACES_OPS_H
#define FERRY_API_TRACES_OPS_H

#include "api/op.h"
#include "domain/trace.h"

extern const struct api_area api_traces_area;

/* 2.x */
struct rq_trace_start {
    const char *experiment_id;
    int64_t timestamp_ms;
    struct kv_list request_metadata;
    struct kv_list tags;
};
struct rq_trace_end {
    const char *request_id;
    int64_t timestamp_ms;
    enum trace_status status;
    struct kv_list request_metadata;
    struct kv_list tags;
};
struct rq_trace_id {
    const char *request_id; /* 3.x: trace_id */
};
struct rs_trace_info {
    struct trace_info trace_info;
};
struct rs_traces_deleted {
    int64_t traces_deleted;
};
struct rq_trace_tag {
    const char *request_id; /* 3.x: trace_id */
    const char *key;
    const char *value; /* NULL: "" */
};
extern const struct api_op api_traces_start, api_traces_end, api_traces_get_info, api_traces_search,
    api_traces_delete, api_traces_set_tag, api_traces_delete_tag;

/* 3.x */
struct rq_trace_v3 { /* StartTraceV3 */
    struct trace_info trace;
};
struct rs_trace_v3 { /* {"trace": {"trace_info": ...}} */
    struct trace_info trace;
};
/* The experiments of SearchTracesV3's locations (other kinds are skipped,
 * as MLflow skips them). */
struct trace_locations {
    char **experiment_ids;
    size_t n;
};
struct rq_trace_search_v3 {
    struct trace_locations locations;
    const char *filter;
    int64_t max_results;
    const char **order_by;
    size_t norder_by;
    const char *page_token;
};
extern const struct api_op api_traces_start_v3, api_traces_get_info_v3, api_traces_search_v3,
    api_traces_delete_v3, api_traces_set_tag_v3, api_traces_delete_tag_v3, api_traces_get_v3,
    api_traces_batch_get_v3;

#endif
