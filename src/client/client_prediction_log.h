/* SPDX-License-Identifier: MIT
 * Writing the prediction log's rows through a client (issue 17): straight
 * to the store for a local store, in batches over REST (api/
 * prediction_log_ops.h) for a ferry server. Used by the gateway's writer
 * thread (gateway/pred_logger.h). */
#ifndef FERRY_CLIENT_CLIENT_PREDICTION_LOG_H
#define FERRY_CLIENT_CLIENT_PREDICTION_LOG_H

#include "client/client.h"
#include "domain/prediction.h"

#include <stddef.h>

/* store_predictions_put's contract (a row already logged is skipped, so a
 * retried call logs once); rows stay the caller's. Over REST the rows go
 * in calls of at most 10,000. */
int client_predictions_put(struct client *c, const struct pred_row *rows, size_t n,
                           struct ferr *err) WARN_UNUSED;

#endif
