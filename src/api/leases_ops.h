/* SPDX-License-Identifier: MIT
 * The leases area's rows (store/leases.h) under /api/2.0/ferry/leases/:
 * acquire, renew, release, get, for deciders outside the server (an
 * external controller). Admins only. */
#ifndef FERRY_API_LEASES_OPS_H
#define FERRY_API_LEASES_OPS_H

#include "api/op.h"
#include "store/leases.h"

extern const struct api_area api_leases_area;

struct rq_lease {
    const char *name, *holder;
    int64_t epoch, ttl_ms;
};
struct rs_lease {
    struct lease lease;
};

extern const struct api_op api_leases_acquire, api_leases_renew, api_leases_release, api_leases_get;

#endif
