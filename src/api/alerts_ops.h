/* SPDX-License-Identifier: MIT
 * The alerts rows (store/monitors.h's alerts and their delivery log) under
 * /api/2.0/ferry/:
 *   GET  alerts/list        monitor, deployment, state (open, acknowledged,
 *                           resolved or active; several: a list or commas),
 *                           max_results (1..1000, default 100), page_token
 *                           -> {"alerts": [...], "next_page_token"}
 *   GET  alerts/get         alert_id -> {"alert"}
 *   POST alerts/ack         alert_id -> {"alert"}  (INVALID_STATE unless open)
 *   POST alerts/resolve     alert_id -> {"alert"}  (INVALID_STATE when resolved)
 *   GET  alerts/deliveries  alert_id -> {"deliveries": [...]}, oldest first
 * An unknown alert is RESOURCE_DOES_NOT_EXIST (404). Reads need READ;
 * ack and resolve EDIT on no particular resource (an admin's with auth on),
 * as the deployments area's changes. */
#ifndef FERRY_API_ALERTS_OPS_H
#define FERRY_API_ALERTS_OPS_H

#include "api/op.h"
#include "store/monitors.h"

#include <jansson.h>

extern const struct api_area api_alerts_area;

struct rq_alerts_list {
    const char *monitor, *deployment;
    const char **states; /* names; each may be a comma-separated list */
    size_t nstates;
    int64_t max_results;
    const char *page_token;
};
struct rs_alerts_list {
    struct monitor_alert *v;
    size_t n, alloc;
    char *next_page_token;
};
struct rq_alert_id {
    int64_t alert_id;
};
struct rs_alert {
    struct monitor_alert alert;
};

extern const struct api_op api_alerts_list, api_alerts_get, api_alerts_ack, api_alerts_resolve,
    api_alerts_deliveries;

/* JSON shapes (the CLI's --json, webhook bodies): an alert {"id", "monitor",
 * "deployment", "condition", "state", "severity", "message", "details"
 * (object), "opened_ms", "opened_window_start_ms", "last_window_start_ms",
 * "breach_count", "acked_ms", "acked_by", "resolved_ms", "resolved_by",
 * "updated_ms"}; a delivery {"id", "alert_id", "monitor", "sink_index",
 * "sink_kind", "event", "attempt", "state", "http_status", "error",
 * "created_ms", "next_attempt_ms", "delivered_ms"}. */
json_t *api_alert_to_json(const struct monitor_alert *a);
json_t *api_delivery_to_json(const struct alert_delivery *d);
/* "open,resolved" ... into ALERT_F_* bits ("active": open and
 * acknowledged); INVALID_PARAMETER_VALUE naming the bad word. */
int api_alert_states_parse(const char *const *words, size_t n, int *bits,
                           struct ferr *err) WARN_UNUSED;

#endif
