/* SPDX-License-Identifier: MIT
 * A registry webhook's delivery on the wire, as MLflow 3.x sends it (see
 * store/webhooks.h): the body, the signature, the delivery id, one POST
 * (through http/post.h), and the example payloads of a test. Used by the
 * dispatcher (server/webhook_dispatch.h) and by the test row
 * (api/webhooks_ops.h). No store, no retries. */
#ifndef FERRY_API_WEBHOOK_SEND_H
#define FERRY_API_WEBHOOK_SEND_H

#include "http/post.h"
#include "store/webhooks.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The body (a new string, *len its length):
 *   {"entity": "model_version", "action": "created",
 *    "timestamp": "<time_ms as ISO 8601 UTC, microseconds, +00:00>",
 *    "data": data}
 * ev: "entity.action". data is borrowed. */
char *webhook_body(const char *ev, int64_t time_ms, json_t *data, size_t *len);

/* X-MLflow-Signature's value into out: "v1," and the standard base64 of
 * HMAC-SHA256 keyed by secret's bytes over
 * "<delivery_id>.<timestamp_s>.<body>". -1 when OpenSSL fails. */
#define WEBHOOK_SIGNATURE_MAX 64
int webhook_sign(const char *secret, const char *delivery_id, int64_t timestamp_s,
                 const char *body, size_t n, char out[WEBHOOK_SIGNATURE_MAX]) WARN_UNUSED;

/* The delivery id of (webhook_id, event_id): a UUID (version 8, RFC 9562)
 * made of the SHA-256 of "<webhook_id>:<event_id>", so every attempt of one
 * delivery carries the same id and no two deliveries share one. */
#define WEBHOOK_DELIVERY_ID_LEN 36
void webhook_delivery_id(const char *webhook_id, int64_t event_id,
                         char out[WEBHOOK_DELIVERY_ID_LEN + 1]);

/* One attempt: POSTs body to w->url with Content-Type, X-MLflow-Delivery-Id,
 * X-MLflow-Timestamp (now, or timestamp_s when > 0) and, when w has a
 * secret, X-MLflow-Signature. keep_body: bytes of the answer kept in
 * out->body. 0 when an answer came (whatever its status; 2xx is delivered),
 * -1 with out->error when none did. Release out with
 * http_post_result_release. */
int webhook_send(const struct webhook *w, const char *delivery_id, int64_t timestamp_s,
                 const char *body, size_t n, long timeout_ms, size_t keep_body,
                 struct http_post_result *out);

/* An example payload ("data") of ev for a test delivery (a new reference);
 * NULL for an event that is not known. */
json_t *webhook_example_data(const char *ev);

#endif
