/* SPDX-License-Identifier: MIT
 * Monitors through a client, over either transport, with the store's
 * contracts (store/monitors.h; the rows in api/monitors_ops.h): apply,
 * get, list, delete, run a window now, and read the reports. Outputs are
 * the caller's, released with the store's *_release functions.
 *
 * Running a window in-process needs the runner installed
 * (api_monitors_set_runner; `ferry monitors` does), else NOT_IMPLEMENTED;
 * over REST the server runs it. */
#ifndef FERRY_CLIENT_CLIENT_MONITORS_H
#define FERRY_CLIENT_CLIENT_MONITORS_H

#include "client/client.h"
#include "store/monitors.h"

#include <jansson.h>
#include <stdint.h>

/* spec: a JSON object (domain/monitor.h). revision: -1 any, 0 must not
 * exist, N the current must be N. changed may be NULL. */
int client_monitor_apply(struct client *c, json_t *spec, int64_t revision, struct monitor *out,
                         int *changed, struct ferr *err) WARN_UNUSED;
int client_monitor_get(struct client *c, const char *name, struct monitor *out,
                       struct ferr *err) WARN_UNUSED;
/* deployment NULL: every monitor. */
int client_monitor_list(struct client *c, const char *deployment, struct monitor_list *out,
                        struct ferr *err) WARN_UNUSED;
int client_monitor_delete(struct client *c, const char *name, struct ferr *err) WARN_UNUSED;
/* Judges the window ending at end_ms (0: now): out gets the report as
 * stored, *inserted (may be NULL) 0 when the window had one already. */
int client_monitor_run(struct client *c, const char *name, int64_t end_ms,
                       struct monitor_report *out, int *inserted, struct ferr *err) WARN_UNUSED;
/* One page of reports, newest window first (max 1..1000, 0: 100;
 * before_ms 0: no bound); *next_page_token NULL at the end. */
int client_monitor_reports(struct client *c, const char *name, int64_t max, int64_t before_ms,
                           const char *page_token, int with_report, struct monitor_report_list *out,
                           char **next_page_token, struct ferr *err) WARN_UNUSED;
int client_monitor_report(struct client *c, const char *name, int64_t window_start_ms,
                          struct monitor_report *out, struct ferr *err) WARN_UNUSED;

#endif
