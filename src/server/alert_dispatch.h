/* SPDX-License-Identifier: MIT
 * The alert dispatcher: a thread of `ferry server` (on a local store) that
 * sends alerts' deliveries to their monitors' sinks (monitor/alert_sink.h).
 *
 * The store enqueues the deliveries itself: opening or resolving an alert
 * writes one pending delivery per sink in the same transaction, unique on
 * (alert, sink, event) (store/monitors.h), so nothing is lost between an
 * alert's change and its sending, and a delivery exists once however many
 * servers saw the alert. This thread only sends:
 *   - with several servers on one database one sends at a time: the holder
 *     of the store lease "alert-sinks" (store/leases.h), renewed every
 *     between attempts; every write it makes (claims, attempts) is fenced
 *     by it;
 *   - each tick it claims the due pending deliveries (moving their next
 *     attempt past the claim, so a server that dies mid-attempt leaves them
 *     to be retried once the claim lapses), tries each once and records the
 *     attempt: delivered (2xx / exit 0); else pending again after the
 *     backoff base * 2^(attempt-1) capped, or failed after max attempts;
 *   - pending deliveries survive restarts: they are in the store;
 *   - it follows the events stream's alert.opened and alert.resolved and,
 *     while it holds the lease, logs each and counts it
 *     (monitor/monitor_metrics.h), so a cluster counts each once.
 * Settings (environment, FERRY_ then MLFLOW_): ALERT_RETRY_BASE_MS (1000),
 * ALERT_RETRY_MAX_MS (300000), ALERT_MAX_ATTEMPTS (8); tests shorten them.
 * Deliveries are sent one after the other: a slow sink delays the others by
 * at most its timeout (a webhook's capped at 45 s, a command's 30 s). A
 * crashed sender's lease passes on within 60 s, its claimed deliveries are
 * retried 90 s after the claim. Sending is at least once: a receiver drops a
 * delivery id it already took (X-Ferry-Delivery). */
#ifndef FERRY_SERVER_ALERT_DISPATCH_H
#define FERRY_SERVER_ALERT_DISPATCH_H

#include "base/ferr.h"
#include "store/store.h"

#define ALERT_DISPATCH_LEASE "alert-sinks"

struct alert_dispatch_opts {
    struct store *store; /* borrowed; outlives the dispatcher */
    int execute;         /* command sinks may run (not --no-execute) */
    const char *run_as;  /* who they run as (base/sandbox.h); NULL: nobody when root */
};

struct alert_dispatch;
/* Reads the settings and starts the thread. INVALID_PARAMETER_VALUE for a
 * bad setting. */
int alert_dispatch_start(const struct alert_dispatch_opts *o, struct alert_dispatch **out,
                         struct ferr *err) WARN_UNUSED;
/* Stops the thread (after the attempt in flight), gives the lease up and
 * frees d. Accepts NULL. */
void alert_dispatch_stop(struct alert_dispatch *d);

#endif
