/* SPDX-License-Identifier: MIT
 * The metrics area: metrics/get-history, metrics/get-history-bulk-interval
 * (MLflow) and ferry/metrics/get-history-downsampled. Histories can hold
 * millions of points, so their answers are written by the metric type's
 * fast writer, not through jansson. */
#include "api/metrics_ops.h"
#include "api/types.h"
#include "base/xalloc.h"
#include "domain/validate.h"
#include "store/metrics.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* MLflow's limits for the bulk interval endpoint. */
#define BULK_MAX_RUN_IDS     100
#define BULK_DEFAULT_RESULTS 2500
#define BULK_MAX_RESULTS     2500

static const struct api_field history_fields[] = {
    F_RUN_ID(struct rq_metric_history, run_id, AF_SEND_UUID),
    F_STR(struct rq_metric_history, metric_key, "metric_key", AF_REQUIRED),
    F_STR(struct rq_metric_history, page_token, "page_token", AF_OMIT_EMPTY),
    F_INT(struct rq_metric_history, max_results, "max_results", 0, 0),
};
static const struct api_msg history_req = API_MSG(struct rq_metric_history, history_fields);
static const struct api_field metrics_fields[] = {
    F_LIST(struct rs_metrics, metrics.v, metrics.n, metrics.alloc, "metrics", AF_OMIT_EMPTY,
           &api_type_metric),
    F_STR(struct rs_metrics, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg metrics_resp = API_MSG(struct rs_metrics, metrics_fields);

static const struct api_field bulk_fields[] = {
    F_STRS(struct rq_metric_bulk_interval, run_ids, nrun_ids, "run_ids", 0),
    F_STR(struct rq_metric_bulk_interval, metric_key, "metric_key", AF_REQUIRED),
    F_INT(struct rq_metric_bulk_interval, start_step, "start_step", AF_OMIT_EMPTY, TIME_NONE),
    F_INT(struct rq_metric_bulk_interval, end_step, "end_step", AF_OMIT_EMPTY, TIME_NONE),
    F_INT(struct rq_metric_bulk_interval, max_results, "max_results", 0, BULK_DEFAULT_RESULTS),
};
static const struct api_msg bulk_req = API_MSG(struct rq_metric_bulk_interval, bulk_fields);

struct rq_metric_bulk {
    const char **run_ids;
    size_t nrun_ids;
    const char *metric_key;
    int64_t max_results;
};
static const struct api_field history_bulk_fields[] = {
    F_STRS(struct rq_metric_bulk, run_ids, nrun_ids, "run_id", AF_OMIT_EMPTY),
    F_STR(struct rq_metric_bulk, metric_key, "metric_key", 0), /* the front says it MLflow's way */
    F_INT(struct rq_metric_bulk, max_results, "max_results", AF_OMIT_EMPTY, 25000),
};
static const struct api_msg history_bulk_req = API_MSG(struct rq_metric_bulk, history_bulk_fields);
static const struct api_field history_bulk_resp_fields[] = {
    F_LIST(struct rs_metrics, metrics.v, metrics.n, metrics.alloc, "metrics", 0, &api_type_metric),
};
static const struct api_msg history_bulk_resp =
    API_MSG(struct rs_metrics, history_bulk_resp_fields);

static const struct api_field downsampled_fields[] = {
    F_RUN_ID(struct rq_metric_downsampled, run_id, 0),
    F_STR(struct rq_metric_downsampled, metric_key, "metric_key", AF_REQUIRED),
    F_INT(struct rq_metric_downsampled, max_points, "max_points", 0, 2000),
};
static const struct api_msg downsampled_req =
    API_MSG(struct rq_metric_downsampled, downsampled_fields);
static const struct api_field downsampled_resp_fields[] = {
    F_LIST(struct rs_metric_downsampled, metrics.v, metrics.n, metrics.alloc, "metrics",
           AF_OMIT_EMPTY, &api_type_metric),
    F_INT(struct rs_metric_downsampled, total, "total", 0, 0),
    F_BOOL(struct rs_metric_downsampled, downsampled, "downsampled", 0),
};
static const struct api_msg downsampled_resp =
    API_MSG(struct rs_metric_downsampled, downsampled_resp_fields);

static void write_run_history(struct sbuf *sb, const void *h)
{
    codec_write_run_history(sb, h);
}
API_TYPE_OF(static, run_history_type, "run_history", struct run_history, codec_run_history_to_json,
            codec_run_history_from_json, run_history_release, write_run_history);

static const struct api_field histories_fields[] = {
    F_STRS(struct rq_metric_histories, run_ids, nrun_ids, "run_ids", 0),
    F_STR(struct rq_metric_histories, metric_key, "metric_key", AF_REQUIRED),
    F_INT(struct rq_metric_histories, max_points, "max_points", 0, 2000),
};
static const struct api_msg histories_req = API_MSG(struct rq_metric_histories, histories_fields);
static const struct api_field histories_resp_fields[] = {
    F_LIST(struct rs_metric_histories, v, n, alloc, "histories", 0, &run_history_type),
};
static const struct api_msg histories_resp =
    API_MSG(struct rs_metric_histories, histories_resp_fields);

static int x_history(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    struct rq_metric_history *q = req;
    struct rs_metrics *r = resp;
    return store_get_metric_history(env->store, q->run_id, q->metric_key, q->max_results,
                                    q->page_token, &r->metrics, &r->next_page_token, err);
}

static int x_bulk_interval(const struct api_env *env, const struct api_op *op, void *req,
                           void *resp, struct ferr *err)
{
    (void)op;
    struct rq_metric_bulk_interval *q = req;
    struct rs_metrics *r = resp;
    if (q->nrun_ids > BULK_MAX_RUN_IDS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "GetMetricHistoryBulkInterval request must specify at most %d run_ids. "
                        "Received %zu run_ids. See the API docs for more information about "
                        "request parameters.",
                        BULK_MAX_RUN_IDS, q->nrun_ids);
    if (q->max_results < 1 || q->max_results > BULK_MAX_RESULTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "max_results must be between 1 and %d. See the API docs for more "
                        "information about request parameters.",
                        BULK_MAX_RESULTS);
    if ((q->start_step == TIME_NONE) != (q->end_step == TIME_NONE))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "If either start step or end step are specified, both must be "
                        "specified.");
    return store_get_metric_history_bulk_interval(env->store, q->run_ids, q->nrun_ids,
                                                  q->metric_key, q->start_step, q->end_step,
                                                  q->max_results, &r->metrics, err);
}

static int x_history_bulk(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                          struct ferr *err)
{
    (void)op;
    struct rq_metric_bulk *q = req;
    return store_get_metric_history_bulk(env->store, q->run_ids, q->nrun_ids, q->metric_key,
                                         q->max_results, &((struct rs_metrics *)resp)->metrics,
                                         err);
}

static int x_downsampled(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    struct rq_metric_downsampled *q = req;
    struct rs_metric_downsampled *r = resp;
    if (store_get_metric_history_downsampled(env->store, q->run_id, q->metric_key, q->max_points,
                                             &r->metrics, &r->total, err))
        return -1;
    r->downsampled = (int64_t)r->metrics.n < r->total;
    return 0;
}

static int x_histories(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                       struct ferr *err)
{
    (void)op;
    struct rq_metric_histories *q = req;
    struct rs_metric_histories *r = resp;
    if (!q->nrun_ids)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'run_ids'. See the API docs for "
                        "more information about request parameters.");
    if (q->nrun_ids > HISTORIES_MAX_RUNS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "run_ids must name at most %d runs, got %zu", HISTORIES_MAX_RUNS,
                        q->nrun_ids);
    /* max_points itself is the store's to check, as for one run */
    if (q->max_points > 0 && (int64_t)q->nrun_ids * q->max_points > HISTORIES_MAX_POINTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%zu runs of max_points %lld would answer more than %d points; ask "
                        "fewer runs or fewer points",
                        q->nrun_ids, (long long)q->max_points, HISTORIES_MAX_POINTS);
    for (size_t i = 0; i < q->nrun_ids; i++) {
        ALLOC_GROW(r->v, r->n + 1, r->alloc);
        struct run_history *h = &r->v[r->n++];
        memset(h, 0, sizeof(*h));
        h->run_id = xstrdup(q->run_ids[i]);
        if (store_get_metric_history_downsampled(env->store, q->run_ids[i], q->metric_key,
                                                 q->max_points, &h->points, &h->total, err)) {
            /* a failed row's answer is not released for it */
            for (size_t k = 0; k < r->n; k++)
                run_history_release(&r->v[k]);
            free(r->v);
            memset(r, 0, sizeof(*r));
            return -1;
        }
        h->downsampled = (int64_t)h->points.n < h->total;
    }
    return 0;
}

const struct api_op api_metrics_get_history = {
    .name = "metrics/get-history",
    .root = "/api/2.0/mlflow",
    .path = "metrics/get-history",
    .methods = HTTP_GET | HTTP_POST,
    .call = HTTP_GET,
    .flags = OP_AJAX | OP_IDEMPOTENT,
    .max_body = API_BODY_SMALL,
    .req = &history_req,
    .resp = &metrics_resp,
    .exec = x_history,
    .res = {ACCESS_READ, LOC_RUN_ID, "run_id"},
};
const struct api_op api_metrics_get_history_bulk_interval = {
    .name = "metrics/get-history-bulk-interval",
    .root = "/api/2.0/mlflow",
    .path = "metrics/get-history-bulk-interval",
    .methods = HTTP_GET | HTTP_POST,
    .call = HTTP_GET,
    .flags = OP_AJAX | OP_IDEMPOTENT,
    .max_body = API_BODY_SMALL,
    .req = &bulk_req,
    .resp = &metrics_resp,
    .exec = x_bulk_interval,
    .res = {ACCESS_READ, LOC_RUN_IDS, "run_ids"},
};
/* MLflow serves this one under /ajax-api/ only, with GET: run ids come as
 * repeated run_id arguments. */
static const struct api_op history_bulk = {
    .name = "metrics/get-history-bulk",
    .root = "/ajax-api/2.0/mlflow",
    .path = "metrics/get-history-bulk",
    .methods = HTTP_GET,
    .call = HTTP_GET,
    .flags = OP_IDEMPOTENT,
    .max_body = API_BODY_SMALL,
    .req = &history_bulk_req,
    .resp = &history_bulk_resp,
    .exec = x_history_bulk,
    .res = {ACCESS_READ, LOC_RUN_IDS, "run_id"},
};
/* A history made small enough to draw without losing its spikes (see the
 * store's contract), with the number of points stored. */
const struct api_op api_metrics_get_history_downsampled = {
    .name = "ferry/metrics/get-history-downsampled",
    .root = "/api/2.0/ferry",
    .path = "metrics/get-history-downsampled",
    .methods = HTTP_GET | HTTP_POST,
    .call = HTTP_GET,
    .flags = OP_IDEMPOTENT,
    .max_body = API_BODY_SMALL,
    .req = &downsampled_req,
    .resp = &downsampled_resp,
    .exec = x_downsampled,
    .res = {ACCESS_READ, LOC_RUN_ID, "run_id"},
};

/* The same for many runs at once, in columns (codec_history.h). */
const struct api_op api_metrics_get_histories_downsampled = {
    .name = "ferry/metrics/get-histories-downsampled",
    .root = "/api/2.0/ferry",
    .path = "metrics/get-histories-downsampled",
    .methods = HTTP_GET | HTTP_POST,
    .call = HTTP_GET,
    .flags = OP_IDEMPOTENT,
    .max_body = API_BODY_SMALL,
    .req = &histories_req,
    .resp = &histories_resp,
    .exec = x_histories,
    .res = {ACCESS_READ, LOC_RUN_IDS, "run_ids"},
};

static const struct api_op *const metrics_ops[] = {
    &api_metrics_get_history,
    &api_metrics_get_history_bulk_interval,
    &history_bulk,
    &api_metrics_get_history_downsampled,
    &api_metrics_get_histories_downsampled,
};
const struct api_area api_metrics_area = {"metrics", metrics_ops,
                                          sizeof(metrics_ops) / sizeof(*metrics_ops)};
