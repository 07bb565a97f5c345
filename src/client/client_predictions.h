/* SPDX-License-Identifier: MIT
 * The prediction log through a client, over either transport, with the
 * store's contracts (store/predictions.h, store/prediction_performance.h):
 * feedback labels, searching the logged rows, one row with its labels'
 * history, and a deployment's quality per target. Outputs are the
 * caller's, released with the store's and domain's *_release functions. */
#ifndef FERRY_CLIENT_CLIENT_PREDICTIONS_H
#define FERRY_CLIENT_CLIENT_PREDICTIONS_H

#include "client/client.h"
#include "domain/prediction.h"
#include "store/prediction_performance.h"
#include "store/predictions.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Labels rows (POST /api/2.0/ferry/feedback/log): deployment NULL: any.
 * labels[i].label is the canonical text (pred_label_text); it is sent as
 * a JSON string, which the server's canonical form leaves as it is. At
 * most 10,000 labels a call (the caller splits larger sets). out gets the
 * accepted count and the ids that named no row, in the given order. */
int client_feedback_log(struct client *c, const char *deployment,
                        const struct feedback_label *labels, size_t n, struct feedback_result *out,
                        struct ferr *err) WARN_UNUSED;

/* One page of logged rows (GET|POST /api/2.0/ferry/predictions/search);
 * *next_page_token NULL at the end. Over REST a row's inputs and outputs
 * are re-encoded from the answer's JSON (its columns and classes in the
 * answer's order). */
int client_predictions_search(struct client *c, const struct prediction_query *q,
                              struct pred_row_list *out, char **next_page_token,
                              struct ferr *err) WARN_UNUSED;

/* One row and its labels' history (GET /api/2.0/ferry/predictions/get);
 * id as feedback names it. history may be NULL. */
int client_prediction_get(struct client *c, const char *deployment, const char *id,
                          struct pred_row *out, struct label_change_list *history,
                          struct ferr *err) WARN_UNUSED;

/* A deployment's quality per target (GET
 * /api/2.0/ferry/deployments/performance): the answer as
 * store/prediction_performance.h describes it, a new reference in *out. */
int client_deployment_performance(struct client *c, const struct perf_query *q, json_t **out,
                                  struct ferr *err) WARN_UNUSED;

#endif
