/* SPDX-License-Identifier: MIT
 * The prediction log's rows (store/predictions.h,
 * store/prediction_performance.h) under /api/2.0/ferry/:
 *   POST feedback/log            {deployment?, labels: [{request_id, label,
 *                                 timestamp?}]} -> {accepted,
 *                                 unknown_request_ids}
 *   GET|POST predictions/search  one page of logged rows
 *   GET predictions/get          one row and its labels' history
 *   GET deployments/performance  quality per target, buckets, slices, A/B
 *
 * Permissions follow deployments_ops.h: reading the log is READ on no
 * particular resource, as deployments/get (anyone signed in; the log
 * belongs to the deployment, which has no permissions of its own yet).
 * Feedback is EDIT on no particular resource, as the deployments' changes
 * (an admin's, or a gateway's credentials, with auth on): a label is a
 * write that moves the quality figures the rollout guard acts upon, so it
 * is not a reader's. When deployments gain permissions of their own, both
 * move with them. */
#ifndef FERRY_API_PREDICTIONS_OPS_H
#define FERRY_API_PREDICTIONS_OPS_H

#include "api/op.h"
#include "domain/prediction.h"
#include "store/prediction_performance.h"
#include "store/predictions.h"

#include <jansson.h>

extern const struct api_area api_predictions_area;

#define FEEDBACK_MAX_LABELS 10000
/* A request id (ferry's or a caller's) is at most this long. */
#define FEEDBACK_MAX_ID 256

/* Labels as the request carries them: the canonical texts live in an
 * arena the request owns (decoded) or the caller's (sent). */
struct feedback_labels {
    struct feedback_label *v;
    size_t n;
    char *arena; /* decoded: the labels' texts */
};
struct rq_feedback_log {
    const char *deployment; /* NULL: any */
    struct feedback_labels labels;
};

/* labeled, shadow: -1 any, 0, 1 (JSON booleans or "true"/"false"/"any");
 * status: "" any, "ok", "failed". */
struct rq_predictions_search {
    const char *deployment, *model;
    int64_t start_time, end_time;
    int labeled, shadow;
    const char *status;
    int64_t max_results;
    const char *page_token;
};
struct rs_predictions_search {
    struct pred_row_list rows;
    char *next_page_token;
};

struct rq_prediction_get {
    const char *deployment, *request_id;
};
struct rs_prediction_get {
    struct pred_row row;
    struct label_change_list history;
};

/* bucket: a duration ("1h", base/duration.h); NULL: none. */
struct rq_deploy_performance {
    const char *name;
    int64_t start_time, end_time;
    const char *bucket, *slice;
    int exact;
    int64_t resamples, seed;
};
/* The answer (store/prediction_performance.h) as the row's message: its
 * scalars, and its targets and A/B entries as JSON objects. */
struct api_json_item {
    json_t *j;
};
struct rs_deploy_performance {
    char *deployment, *slice;
    int64_t start_time, end_time, bucket_ms;
    int exact;
    struct api_json_item *targets;
    size_t ntargets, atargets;
    struct api_json_item *ab;
    size_t nab, aab;
};
/* The store's answer into the message (taking copies) and back. */
void api_performance_from_json(json_t *answer, struct rs_deploy_performance *out);
json_t *api_performance_json(const struct rs_deploy_performance *r);

extern const struct api_op api_feedback_log, api_predictions_search, api_prediction_get,
    api_deployments_performance;

/* A row as the API answers it (pred_row_json) back into a row: inputs and
 * outputs re-encoded in the answer's order of columns and classes. */
int api_pred_row_from_json(json_t *j, struct pred_row *out, struct ferr *err) WARN_UNUSED;
/* One entry of a row's labels' history as JSON. */
json_t *api_label_change_to_json(const struct label_change *c);

#endif
