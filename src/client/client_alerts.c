/* SPDX-License-Identifier: MIT */
#include "client/client_alerts.h"
#include "api/alerts_ops.h"
#include "client/transport.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int client_alerts_list(struct client *c, const char *monitor, const char *deployment,
                       const char *states, int64_t max, const char *page_token,
                       struct monitor_alert_list *out, char **next_page_token, struct ferr *err)
{
    const char *st[1] = {states};
    struct rq_alerts_list q = {monitor,        deployment, states ? st : NULL,
                               states ? 1 : 0, max,        page_token};
    struct rs_alerts_list r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (next_page_token)
        *next_page_token = NULL;
    if (client_call(c, &api_alerts_list, &q, &r, err))
        return -1;
    out->v = r.v;
    out->n = r.n;
    out->alloc = r.alloc;
    if (next_page_token)
        *next_page_token = r.next_page_token;
    else
        free(r.next_page_token);
    return 0;
}

static int one(struct client *c, const struct api_op *op, int64_t id, struct monitor_alert *out,
               struct ferr *err)
{
    struct rq_alert_id q = {id};
    struct rs_alert r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (client_call(c, op, &q, &r, err))
        return -1;
    *out = r.alert;
    return 0;
}

int client_alert_get(struct client *c, int64_t id, struct monitor_alert *out, struct ferr *err)
{
    return one(c, &api_alerts_get, id, out, err);
}

int client_alert_ack(struct client *c, int64_t id, struct monitor_alert *out, struct ferr *err)
{
    return one(c, &api_alerts_ack, id, out, err);
}

int client_alert_resolve(struct client *c, int64_t id, struct monitor_alert *out, struct ferr *err)
{
    return one(c, &api_alerts_resolve, id, out, err);
}

int client_alert_deliveries(struct client *c, int64_t id, struct alert_delivery_list *out,
                            struct ferr *err)
{
    struct rq_alert_id q = {id};
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_alerts_deliveries, &q, out, err);
}
