/* SPDX-License-Identifier: MIT */
#include "client/client_leases.h"
#include "api/leases_ops.h"
#include "client/transport.h"

#include <string.h>

#include "base/banned.h"

static int lease_call(struct client *c, const struct api_op *op, struct rq_lease *q,
                      struct lease *out, struct ferr *err)
{
    struct rs_lease r;
    memset(&r, 0, sizeof(r));
    if (out)
        memset(out, 0, sizeof(*out));
    if (client_call(c, op, q, out ? &r : NULL, err))
        return -1;
    if (out)
        *out = r.lease;
    return 0;
}

int client_lease_acquire(struct client *c, const char *name, const char *holder, int64_t ttl_ms,
                         struct lease *out, struct ferr *err)
{
    struct rq_lease q = {name, holder, 0, ttl_ms};
    return lease_call(c, &api_leases_acquire, &q, out, err);
}

int client_lease_renew(struct client *c, const char *name, const char *holder, int64_t epoch,
                       int64_t ttl_ms, struct lease *out, struct ferr *err)
{
    struct rq_lease q = {name, holder, epoch, ttl_ms};
    return lease_call(c, &api_leases_renew, &q, out, err);
}

int client_lease_release(struct client *c, const char *name, const char *holder, int64_t epoch,
                         struct ferr *err)
{
    struct rq_lease q = {name, holder, epoch, 0};
    return client_call(c, &api_leases_release, &q, NULL, err);
}
