/* SPDX-License-Identifier: MIT
 * Leases through a client, over either transport (store/leases.h's
 * contracts; over REST the leases rows, an admin's): for a decider outside
 * the server, e.g. the gateway's rollout controller. While a fence is set
 * on the calling thread (store_fence_set), every REST call carries it as
 * X-Ferry-Lease-* headers (client/transport.c), so the server fences the
 * call's writes as the embedded store does. */
#ifndef FERRY_CLIENT_CLIENT_LEASES_H
#define FERRY_CLIENT_CLIENT_LEASES_H

#include "client/client.h"
#include "store/leases.h"

int client_lease_acquire(struct client *c, const char *name, const char *holder, int64_t ttl_ms,
                         struct lease *out, struct ferr *err) WARN_UNUSED;
int client_lease_renew(struct client *c, const char *name, const char *holder, int64_t epoch,
                       int64_t ttl_ms, struct lease *out, struct ferr *err) WARN_UNUSED;
int client_lease_release(struct client *c, const char *name, const char *holder, int64_t epoch,
                         struct ferr *err) WARN_UNUSED;

#endif
