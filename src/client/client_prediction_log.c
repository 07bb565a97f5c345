/* SPDX-License-Identifier: MIT */
#include "client/client_prediction_log.h"
#include "api/prediction_log_ops.h"
#include "client/transport.h"

#include "base/banned.h"

int client_predictions_put(struct client *c, const struct pred_row *rows, size_t n,
                           struct ferr *err)
{
    for (size_t done = 0; done < n;) {
        size_t k = n - done < PREDICTION_LOG_MAX_ROWS ? n - done : PREDICTION_LOG_MAX_ROWS;
        /* the request borrows the rows: nothing of it is released here */
        struct rq_predictions_log q = {{(struct pred_row *)rows + done, k, k}};
        if (client_call(c, &api_predictions_log, &q, NULL, err))
            return -1;
        done += k;
    }
    return 0;
}
