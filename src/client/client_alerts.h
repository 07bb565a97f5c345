/* SPDX-License-Identifier: MIT
 * Alerts through a client, over either transport, with the store's
 * contracts (store/monitors.h, api/alerts_ops.h): list, get, acknowledge,
 * resolve, and an alert's delivery log. Outputs are the caller's, released
 * with the store's *_release functions. */
#ifndef FERRY_CLIENT_CLIENT_ALERTS_H
#define FERRY_CLIENT_CLIENT_ALERTS_H

#include "client/client.h"
#include "store/monitors.h"

#include <stdint.h>

/* states: NULL for any, else names as api/alerts_ops.h takes them ("open",
 * "active", "open,acknowledged"); monitor, deployment: NULL for any; max
 * 1..1000; page_token NULL for the first page. *next_page_token (a new
 * string, may be NULL at the end) when next_page_token is not NULL. */
int client_alerts_list(struct client *c, const char *monitor, const char *deployment,
                       const char *states, int64_t max, const char *page_token,
                       struct monitor_alert_list *out, char **next_page_token,
                       struct ferr *err) WARN_UNUSED;
int client_alert_get(struct client *c, int64_t id, struct monitor_alert *out,
                     struct ferr *err) WARN_UNUSED;
/* INVALID_STATE unless open. */
int client_alert_ack(struct client *c, int64_t id, struct monitor_alert *out,
                     struct ferr *err) WARN_UNUSED;
/* INVALID_STATE when already resolved. */
int client_alert_resolve(struct client *c, int64_t id, struct monitor_alert *out,
                         struct ferr *err) WARN_UNUSED;
/* The alert's deliveries, oldest first; RESOURCE_DOES_NOT_EXIST without it. */
int client_alert_deliveries(struct client *c, int64_t id, struct alert_delivery_list *out,
                            struct ferr *err) WARN_UNUSED;

#endif
