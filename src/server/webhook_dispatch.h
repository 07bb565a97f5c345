/* SPDX-License-Identifier: MIT
 * The webhook dispatcher: a thread of `ferry server` (on a local store)
 * that turns the events stream into MLflow webhook deliveries
 * (store/webhooks.h) and sends them (api/webhook_send.h).
 *   - With several servers on one database one dispatches at a time: the
 *     holder of the store lease "webhooks" (store/leases.h), renewed every
 *     2 s; every write it makes is fenced by it.
 *   - Each tick it reads the events after the cursor "webhooks"
 *     (store/triggers.h's cursors; at most 1000), maps each
 *     (api/webhook_events.h) and enqueues one pending delivery per ACTIVE
 *     webhook subscribed to that event and created at or before it, unique
 *     per (webhook, event id), then moves the cursor (compare-and-set). A
 *     crash between the two enqueues nothing twice. A gap in the event ids
 *     (a change whose id was taken but not committed yet: PostgreSQL with
 *     several writers) stops the cursor for up to WEBHOOK_GAP_WAIT_MS (5 s)
 *     from when it was first seen, so a late commit is not skipped
 *     (server/event_follow.h, shared with the trigger scheduler).
 *   - Then it sends the due deliveries one by one: 2xx is delivered; else
 *     pending again after alert_backoff_ms(attempt, base, cap)
 *     (monitor/alert_sink.h), or failed after the last attempt. A delivery
 *     whose webhook was deleted or disabled meanwhile fails at once. Every
 *     attempt is recorded (state, attempts, HTTP status, error). Every
 *     attempt of one delivery carries the same X-MLflow-Delivery-Id.
 * Settings (environment, FERRY_ then MLFLOW_): WEBHOOK_RETRY_BASE_MS
 * (1000), WEBHOOK_RETRY_MAX_MS (300000), WEBHOOK_MAX_ATTEMPTS (5),
 * WEBHOOK_REQUEST_TIMEOUT_MS (30000, MLflow's 30 s), WEBHOOK_GAP_WAIT_MS
 * (5000); tests shorten them.
 * Sending is at least once: a receiver drops a delivery id it already took. */
#ifndef FERRY_SERVER_WEBHOOK_DISPATCH_H
#define FERRY_SERVER_WEBHOOK_DISPATCH_H

#include "base/ferr.h"
#include "store/store.h"

#define WEBHOOK_DISPATCH_LEASE  "webhooks"
#define WEBHOOK_DISPATCH_CURSOR "webhooks"

struct webhook_dispatch_opts {
    struct store *store; /* borrowed; outlives the dispatcher */
};

struct webhook_dispatch;
/* Reads the settings and starts the thread. INVALID_PARAMETER_VALUE for a
 * bad setting. A store without the webhooks area starts nothing (*out
 * NULL, 0). */
int webhook_dispatch_start(const struct webhook_dispatch_opts *o, struct webhook_dispatch **out,
                           struct ferr *err) WARN_UNUSED;
/* Stops the thread (after the attempt in flight), gives the lease up and
 * frees d. Accepts NULL. */
void webhook_dispatch_stop(struct webhook_dispatch *d);

#endif
