/* SPDX-License-Identifier: MIT
 * The store's leases: how one of several servers on one database becomes
 * the decider for something (a rollout controller, scheduled monitors,
 * triggers). A lease has a name, a holder and an epoch, and lasts until its
 * expiry on the database's clock (not the servers'). Acquiring a free or
 * expired lease gives it a new epoch; the holder renews it before it
 * expires; work done under a lease names its epoch, and a write under a
 * stale epoch is refused (store_lease_check, in the same transaction as the
 * work on a backend that can). Same conventions as store.h. */
#ifndef FERRY_STORE_LEASES_H
#define FERRY_STORE_LEASES_H

#include "base/ferr.h"
#include "store/store.h"

#include <stdint.h>

struct lease {
    char *name, *holder;
    int64_t epoch;      /* 1 for the first holder, +1 for each new one */
    int64_t expires_ms; /* on the database's clock */
    int64_t now_ms;     /* the database's clock when answered */
};
void lease_release(struct lease *l);

/* Names and holders: 1..256 characters; ttl 1 ms .. 1 day. */
/* Takes name for holder for ttl_ms: free, expired or already holder's (then
 * extended, same epoch). INVALID_STATE "lease 'x' is held by 'y' for N ms
 * more" when another holds it. */
int store_lease_acquire(struct store *s, const char *name, const char *holder, int64_t ttl_ms,
                        struct lease *out, struct ferr *err) WARN_UNUSED;
/* Extends the holder's lease of that epoch: INVALID_STATE when it expired
 * or another holds it now (the work must stop). */
int store_lease_renew(struct store *s, const char *name, const char *holder, int64_t epoch,
                      int64_t ttl_ms, struct lease *out, struct ferr *err) WARN_UNUSED;
/* Gives it up (expires now); INVALID_STATE unless holder holds that epoch. */
int store_lease_release(struct store *s, const char *name, const char *holder, int64_t epoch,
                        struct ferr *err) WARN_UNUSED;
/* The lease as it stands; RESOURCE_DOES_NOT_EXIST when never taken. */
int store_lease_get(struct store *s, const char *name, struct lease *out,
                    struct ferr *err) WARN_UNUSED;

/* ---------- the leases backend contract (see store/backend.h) ---------- */

enum lease_op { LEASE_ACQUIRE, LEASE_RENEW, LEASE_RELEASE };

struct store_lease_ops {
    /* One of the three, atomically, on the database's clock; out filled
     * (except for a release). */
    int (*change)(struct store *s, enum lease_op op, const char *name, const char *holder,
                  int64_t epoch, int64_t ttl_ms, struct lease *out, struct ferr *err);
    int (*get)(struct store *s, const char *name, struct lease *out, struct ferr *err);
};

#endif
