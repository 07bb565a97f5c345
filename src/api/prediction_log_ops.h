/* SPDX-License-Identifier: MIT
 * The prediction log's ingest row (issue 17): a gateway that talks to a
 * ferry server over REST sends its batches of logged rows here,
 *   POST /api/2.0/ferry/predictions/log
 *   {"targets": [{"deployment", "revision", "model", "version", "shadow",
 *                 "columns", "classes", "task"}, ...],
 *    "rows": [{"target": index into targets, "rid": "<uuid>", "row",
 *              "nrows", "time_ms", "caller_id", "tags", "latency_us",
 *              "status", "inputs": base64, "outputs": base64}, ...]}
 * Blobs are domain/prediction.h's compact encoding in base64 (checked
 * before anything is written); targets are sent once a batch, not once a
 * row. At most 10,000 rows a call. Admins only (a gateway's credentials),
 * like deployments/stats/report; a resend does no harm (a row already
 * logged is skipped, store/predictions.h). */
#ifndef FERRY_API_PREDICTION_LOG_OPS_H
#define FERRY_API_PREDICTION_LOG_OPS_H

#include "api/op.h"
#include "domain/prediction.h"

#define PREDICTION_LOG_MAX_ROWS 10000

extern const struct api_area api_plog_ingest_area;

/* Client side: rows are borrowed (never released by the client). */
struct rq_predictions_log {
    struct pred_row_list rows;
};

extern const struct api_op api_predictions_log;

#endif
