/* SPDX-License-Identifier: MIT */
#include "client/client_predictions.h"
#include "api/predictions_ops.h"
#include "client/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int need(const char *v, const char *what, struct ferr *err)
{
    return v && *v ? 0 : ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing %s", what);
}

int client_feedback_log(struct client *c, const char *deployment,
                        const struct feedback_label *labels, size_t n, struct feedback_result *out,
                        struct ferr *err)
{
    /* the request borrows the labels (nothing of it is released here) */
    struct rq_feedback_log q = {deployment, {(struct feedback_label *)labels, n, NULL}};
    memset(out, 0, sizeof(*out));
    if (n > FEEDBACK_MAX_LABELS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "at most %d labels a call, not %zu (send them in batches)",
                        FEEDBACK_MAX_LABELS, n);
    for (size_t i = 0; i < n; i++)
        if (!labels[i].id || !*labels[i].id || !labels[i].label || !*labels[i].label)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "label %zu has no request id or no label", i);
    return client_call(c, &api_feedback_log, &q, out, err);
}

int client_predictions_search(struct client *c, const struct prediction_query *q,
                              struct pred_row_list *out, char **next_page_token, struct ferr *err)
{
    struct rq_predictions_search rq = {q->deployment,
                                       q->model,
                                       q->start_ms,
                                       q->end_ms,
                                       q->labeled < 0 ? -1 : !!q->labeled,
                                       q->shadow < 0 ? -1 : !!q->shadow,
                                       q->status == 1   ? "ok"
                                       : q->status == 2 ? "failed"
                                                        : NULL,
                                       q->max_results ? q->max_results : 1000,
                                       q->page_token};
    struct rs_predictions_search r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    *next_page_token = NULL;
    if (need(q->deployment, "the deployment's name", err) ||
        client_call(c, &api_predictions_search, &rq, &r, err))
        return -1;
    *out = r.rows;
    *next_page_token = r.next_page_token;
    return 0;
}

int client_prediction_get(struct client *c, const char *deployment, const char *id,
                          struct pred_row *out, struct label_change_list *history, struct ferr *err)
{
    struct rq_prediction_get q = {deployment, id};
    struct rs_prediction_get r;
    memset(out, 0, sizeof(*out));
    if (history)
        memset(history, 0, sizeof(*history));
    memset(&r, 0, sizeof(r));
    if (need(deployment, "the deployment's name", err) || need(id, "the request id", err) ||
        client_call(c, &api_prediction_get, &q, &r, err))
        return -1;
    *out = r.row;
    if (history)
        *history = r.history;
    else
        label_change_list_release(&r.history);
    return 0;
}

int client_deployment_performance(struct client *c, const struct perf_query *q, json_t **out,
                                  struct ferr *err)
{
    char bucket[32] = "";
    struct rq_deploy_performance rq = {q->deployment, q->start_ms, q->end_ms,    NULL,
                                       q->slice,      q->exact,    q->resamples, q->seed};
    struct rs_deploy_performance r;
    *out = NULL;
    memset(&r, 0, sizeof(r));
    if (q->bucket_ms) {
        /* whole seconds: the server reads a duration */
        if (q->bucket_ms % 1000)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "a bucket is a whole number of seconds");
        snprintf(bucket, sizeof(bucket), "%llds", (long long)(q->bucket_ms / 1000));
        rq.bucket = bucket;
    }
    if (need(q->deployment, "the deployment's name", err) ||
        client_call(c, &api_deployments_performance, &rq, &r, err))
        return -1;
    *out = api_performance_json(&r);
    api_release_response(&api_deployments_performance, &r);
    return 0;
}
