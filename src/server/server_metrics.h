/* SPDX-License-Identifier: MIT
 * `ferry server`'s /metrics, in Prometheus's text format: the monitoring
 * counters of this process (monitor/monitor_metrics.h) and, from the store,
 * the gauge ferry_alerts_open{monitor="..."} (active alerts: open or
 * acknowledged) when the store is local. Internal to server/. */
#ifndef FERRY_SERVER_SERVER_METRICS_H
#define FERRY_SERVER_SERVER_METRICS_H

#include "http/request.h"

/* The route's handler (http_ctx is the server's struct server_ctx). */
int server_metrics_answer(struct http_request *rq, struct ferr *err);

#endif
