/* SPDX-License-Identifier: MIT
 * The monitoring counters of this process, for `ferry server`'s /metrics
 * (Prometheus text): alerts opened and resolved, alert deliveries by
 * result, monitor windows by status. Whoever does the thing counts it: the
 * monitor runner its windows and the alerts it opens or resolves, the
 * alert dispatcher its deliveries, the alerts REST rows a resolve by hand.
 * Counters are per process, as Prometheus expects (it sums replicas).
 * Thread-safe; nothing to set up. */
#ifndef FERRY_MONITOR_MONITOR_METRICS_H
#define FERRY_MONITOR_MONITOR_METRICS_H

#include "base/sbuf.h"

/* ferry_alerts_opened_total / ferry_alerts_resolved_total, +1. */
void monitor_metrics_alert_opened(void);
void monitor_metrics_alert_resolved(void);
/* ferry_alert_deliveries_total{result="<result>"}, +1: "delivered", "retry"
 * (an attempt failed, another is due), "failed" (out of attempts). */
void monitor_metrics_delivery(const char *result);
/* ferry_monitor_windows_total{status="<status>"}, +1: the window report's
 * status as the runner names it ("ok", "drift", "insufficient", ...). */
void monitor_metrics_window(const char *status);

/* Appends the counters (with # HELP and # TYPE lines). */
void monitor_metrics_write(struct sbuf *sb);
/* Back to zero (tests). */
void monitor_metrics_reset(void);

#endif
