/* SPDX-License-Identifier: MIT
 * REST handlers for metrics/get-history and metrics/get-history-bulk-interval.
 * Histories can hold millions of points, so responses are written straight
 * into the output buffer by the codec's fast writer, not through jansson. */
#include "server/handlers/handlers.h"
#include "api/codec.h"
#include "base/json.h"
#include "domain/validate.h"
#include "store/metrics.h"

#include <stdlib.h>

#include "base/banned.h"

/* MLflow's limits for the bulk interval endpoint. */
#define BULK_MAX_RUN_IDS     100
#define BULK_DEFAULT_RESULTS 2500
#define BULK_MAX_RESULTS     2500

int h_metrics_get_history(struct req *r)
{
    const char *id, *key = NULL, *token = NULL;
    int64_t max = 0;
    struct metric_list l;
    char *next = NULL;
    if (req_run_id(r, &id) ||
        fjson_get_str(r->in, "metric_key", JSON_REQUIRED, &key, &r->err) < 0 ||
        fjson_get_str(r->in, "page_token", JSON_OPTIONAL, &token, &r->err) < 0 ||
        fjson_get_int64(r->in, "max_results", JSON_OPTIONAL, &max, &r->err) < 0)
        return -1;
    if (store_get_metric_history(r->store, id, key, max, token, &l, &next, &r->err))
        return -1;
    codec_write_metrics_response(r->out, &l, next);
    metric_list_release(&l);
    free(next);
    return 0;
}

/* /api/2.0/ferry/metrics/get-history-downsampled: a history made small
 * enough to draw without losing its spikes (see the store's contract), plus
 * "total" (points stored) and "downsampled". */
int h_metrics_get_history_downsampled(struct req *r)
{
    const char *id, *key = NULL;
    int64_t max = 2000, total = 0;
    struct metric_list l;
    if (req_run_id(r, &id) ||
        fjson_get_str(r->in, "metric_key", JSON_REQUIRED, &key, &r->err) < 0 ||
        fjson_get_int64(r->in, "max_points", JSON_OPTIONAL, &max, &r->err) < 0 ||
        store_get_metric_history_downsampled(r->store, id, key, max, &l, &total, &r->err))
        return -1;
    codec_write_metrics_response(r->out, &l, NULL);
    sbuf_setlen(r->out, r->out->len - 1); /* reopen the object */
    sbuf_addf(r->out, "%s\"total\":%lld,\"downsampled\":%s}", r->out->len > 1 ? "," : "",
              (long long)total, (int64_t)l.n < total ? "true" : "false");
    metric_list_release(&l);
    return 0;
}

int h_metrics_get_history_bulk_interval(struct req *r)
{
    const char **ids = NULL, *key = NULL;
    size_t n = 0;
    int64_t start = TIME_NONE, end = TIME_NONE, max = BULK_DEFAULT_RESULTS;
    struct metric_list l;
    int rc = -1;
    if (req_str_array(r, "run_ids", &ids, &n) ||
        fjson_get_str(r->in, "metric_key", JSON_REQUIRED, &key, &r->err) < 0 ||
        fjson_get_int64(r->in, "start_step", JSON_OPTIONAL, &start, &r->err) < 0 ||
        fjson_get_int64(r->in, "end_step", JSON_OPTIONAL, &end, &r->err) < 0 ||
        fjson_get_int64(r->in, "max_results", JSON_OPTIONAL, &max, &r->err) < 0)
        goto out;
    if (n > BULK_MAX_RUN_IDS) {
        ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                 "get-history-bulk-interval takes at most %d run ids, got %zu", BULK_MAX_RUN_IDS,
                 n);
        goto out;
    }
    if ((start == TIME_NONE) != (end == TIME_NONE)) {
        ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                 "if either start_step or end_step is given, both must be");
        goto out;
    }
    if (validate_max_results(max, BULK_MAX_RESULTS, &r->err))
        goto out;
    if (store_get_metric_history_bulk_interval(r->store, ids, n, key, start, end, max, &l, &r->err))
        goto out;
    codec_write_metrics_response(r->out, &l, NULL);
    metric_list_release(&l);
    rc = 0;
out:
    free(ids);
    return rc;
}
