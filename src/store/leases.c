/* SPDX-License-Identifier: MIT */
#include "store/leases.h"
#include "store/backend.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_NAME 256
#define MAX_TTL  (24LL * 3600 * 1000)

void lease_release(struct lease *l)
{
    free(l->name);
    free(l->holder);
    memset(l, 0, sizeof(*l));
}

/* holder NULL: not asked; ttl_ms < 0: not asked. */
static int check(struct store *s, const char *name, const char *holder, int64_t ttl_ms,
                 struct ferr *err)
{
    if (!s->leases)
        return store_lacks(s, "leases", err);
    if (!name || !*name || strlen(name) > MAX_NAME)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a lease needs a name of 1 to %d characters", MAX_NAME);
    if (holder && (!*holder || strlen(holder) > MAX_NAME))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a lease needs a holder of 1 to %d characters", MAX_NAME);
    if (ttl_ms == 0 || ttl_ms < -1 || ttl_ms > MAX_TTL)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a lease lasts 1 ms to 1 day, not %lld ms", (long long)ttl_ms);
    return 0;
}

int store_lease_acquire(struct store *s, const char *name, const char *holder, int64_t ttl_ms,
                        struct lease *out, struct ferr *err)
{
    if (check(s, name, holder ? holder : "", ttl_ms, err))
        return -1;
    return s->leases->change(s, LEASE_ACQUIRE, name, holder, 0, ttl_ms, out, err);
}

int store_lease_renew(struct store *s, const char *name, const char *holder, int64_t epoch,
                      int64_t ttl_ms, struct lease *out, struct ferr *err)
{
    if (check(s, name, holder ? holder : "", ttl_ms, err))
        return -1;
    return s->leases->change(s, LEASE_RENEW, name, holder, epoch, ttl_ms, out, err);
}

int store_lease_release(struct store *s, const char *name, const char *holder, int64_t epoch,
                        struct ferr *err)
{
    if (check(s, name, holder ? holder : "", -1, err))
        return -1;
    return s->leases->change(s, LEASE_RELEASE, name, holder, epoch, 0, NULL, err);
}

int store_lease_get(struct store *s, const char *name, struct lease *out, struct ferr *err)
{
    if (check(s, name, NULL, -1, err))
        return -1;
    return s->leases->get(s, name, out, err);
}
