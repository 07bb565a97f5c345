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

int lease_decide(enum lease_op op, const char *name, const char *holder, int64_t epoch,
                 int64_t ttl_ms, const struct lease *cur, int found, int64_t *epoch_out,
                 int64_t *ttl_out, struct ferr *err)
{
    int held = found && cur->expires_ms > cur->now_ms;
    int mine = held && !strcmp(cur->holder, holder);
    *epoch_out = found ? cur->epoch : 0;
    *ttl_out = ttl_ms;
    switch (op) {
    case LEASE_ACQUIRE:
        if (held && !mine)
            return ferr_set(err, FERR_INVALID_STATE,
                            "lease '%.256s' is held by '%.256s' for %lld ms more", name,
                            cur->holder, (long long)(cur->expires_ms - cur->now_ms));
        if (!mine) /* free or expired: a new holder, a new epoch */
            ++*epoch_out;
        return 0;
    case LEASE_RENEW:
    case LEASE_RELEASE:
        if (!mine || cur->epoch != epoch)
            return ferr_set(err, FERR_INVALID_STATE,
                            "lease '%.256s' epoch %lld of '%.256s' has ended: %s", name,
                            (long long)epoch, holder, held ? "another holds it now" : "it expired");
        if (op == LEASE_RELEASE)
            *ttl_out = 0;
        return 0;
    }
    return ferr_set(err, FERR_INTERNAL_ERROR, "unknown lease change %d", (int)op);
}

static _Thread_local struct lease_fence fence;
static _Thread_local int fence_set;

int store_fence_set(const struct lease_fence *f, struct ferr *err)
{
    if (!f->name || !*f->name || strlen(f->name) > MAX_NAME || !f->holder || !*f->holder ||
        strlen(f->holder) > MAX_NAME)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a fenced write names its lease and holder (1 to %d characters each)",
                        MAX_NAME);
    if (f->epoch < 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a fenced write names its lease's epoch (1 or more), not %lld",
                        (long long)f->epoch);
    fence = *f;
    fence_set = 1;
    return 0;
}

void store_fence_clear(void)
{
    fence_set = 0;
    memset(&fence, 0, sizeof(fence));
}

const struct lease_fence *store_fence_current(void)
{
    return fence_set ? &fence : NULL;
}

int lease_fence_check(const struct lease_fence *f, const struct lease *cur, int found,
                      struct ferr *err)
{
    if (!found)
        return ferr_set(err, FERR_INVALID_STATE,
                        "lease '%.256s' epoch %lld is stale: the lease was never taken", f->name,
                        (long long)f->epoch);
    if (cur->epoch != f->epoch || strcmp(cur->holder, f->holder))
        return ferr_set(err, FERR_INVALID_STATE,
                        "lease '%.256s' epoch %lld is stale: '%.256s' holds epoch %lld", f->name,
                        (long long)f->epoch, cur->holder, (long long)cur->epoch);
    if (cur->expires_ms <= cur->now_ms)
        return ferr_set(err, FERR_INVALID_STATE,
                        "lease '%.256s' epoch %lld is stale: it expired %lld ms ago", f->name,
                        (long long)f->epoch, (long long)(cur->now_ms - cur->expires_ms));
    return 0;
}

int store_lease_get(struct store *s, const char *name, struct lease *out, struct ferr *err)
{
    if (check(s, name, NULL, -1, err))
        return -1;
    return s->leases->get(s, name, out, err);
}
