/* SPDX-License-Identifier: MIT
 * The webhooks area's rows: MLflow 3.x's webhook API at MLflow's paths
 * (mlflow/protos/webhooks.proto; store/webhooks.h has the semantics):
 *   POST   /api/2.0/mlflow/webhooks                 {name, url, events, description?,
 *                                                    secret?, status?} -> {webhook}
 *   GET    /api/2.0/mlflow/webhooks                 {max_results? (100, 1..1000),
 *                                                    page_token?} -> {webhooks, next_page_token}
 *   GET    /api/2.0/mlflow/webhooks/{webhook_id}    -> {webhook}
 *   PATCH  /api/2.0/mlflow/webhooks/{webhook_id}    {name?, description?, url?, events?,
 *                                                    secret?, status?} -> {webhook}
 *   DELETE /api/2.0/mlflow/webhooks/{webhook_id}    -> {}
 *   POST   /api/2.0/mlflow/webhooks/{webhook_id}/test {event?} -> {result: {success,
 *                                                    response_status, response_body,
 *                                                    error_message}}
 * and ferry's delivery log:
 *   GET    /api/2.0/ferry/webhooks/deliveries       {webhook_id?, max_results?, page_token?}
 *                                                   -> {deliveries: [{id, webhook_id,
 *                                                   delivery_id, event_id, event, state,
 *                                                   attempts, next_attempt_ms, http_status,
 *                                                   error, payload, created_ms, updated_ms}],
 *                                                   next_page_token}
 * A webhook's JSON: {webhook_id, name, description?, url, events: [{entity,
 * action}] (MLflow's enum names, upper case), status, creation_timestamp,
 * last_updated_timestamp}; the secret is never answered. An event in a
 * request is {entity, action} (names in any case, or enum numbers) or
 * "entity.action".
 *
 * Permissions: admins only, every row (a webhook sends the registry's
 * changes to a URL of its creator's choice and signs with a secret the
 * server keeps; MLflow's basic-auth app leaves the rows unguarded, which
 * ferry does not copy). */
#ifndef FERRY_API_WEBHOOKS_OPS_H
#define FERRY_API_WEBHOOKS_OPS_H

#include "api/op.h"
#include "store/webhooks.h"

extern const struct api_area api_webhooks_area;

/* Decoded events: canonical "entity.action" strings (owned). */
struct rq_webhook_events {
    char **v;
    size_t n;
};

struct rq_webhook {
    const char *webhook_id; /* update, get, delete, test */
    const char *name, *description, *url, *secret;
    const char *status; /* "ACTIVE" | "DISABLED" | NULL (absent) */
    struct rq_webhook_events events;
};
struct rs_webhook {
    struct webhook webhook;
};
struct rq_webhook_list {
    int64_t max_results;
    const char *page_token;
};
struct rs_webhook_list {
    struct webhook *v;
    size_t n, alloc;
    char *next_page_token;
};
struct rq_webhook_test {
    const char *webhook_id;
    char *event; /* canonical, owned; NULL: the webhook's first */
};
struct webhook_test_result {
    int success;
    int64_t response_status; /* 0: none */
    char *response_body, *error_message;
};
struct rs_webhook_test {
    struct webhook_test_result *result;
};
struct rq_webhook_deliveries {
    const char *webhook_id;
    int64_t max_results;
    const char *page_token;
};
struct rs_webhook_deliveries {
    struct webhook_delivery *v;
    size_t n, alloc;
    char *next_page_token;
};

/* The webhook's REST JSON (no secret). */
json_t *api_webhook_to_json(const struct webhook *w);

extern const struct api_op api_webhooks_create, api_webhooks_list, api_webhooks_get,
    api_webhooks_update, api_webhooks_delete, api_webhooks_test, api_webhooks_deliveries;

#endif
