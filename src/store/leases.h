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

/* ---------- fencing: no write under a stale epoch ---------- */

/* Work done under a lease names it. While a fence is set on a thread, every
 * write that thread makes through the store checks first, in the write's
 * own transaction, that holder still holds name at epoch and the lease has
 * not expired; otherwise the write is refused with INVALID_STATE ("lease
 * 'x' epoch 3 is stale: ...") and nothing of it is written. On PostgreSQL
 * the check locks the lease's row (FOR SHARE) until the write commits, so
 * another replica's acquire waits for the write: no write under an old
 * epoch lands after a new epoch was granted. SQLite's writes are one at a
 * time, which gives the same.
 *
 * "At most once" is the other half of such work, and belongs to the area
 * that does it: a unique row (trigger + event id, monitor + window start)
 * inserted in the same transaction as the work it guards. */
struct lease_fence {
    const char *name, *holder; /* borrowed while set */
    int64_t epoch;
};
/* Sets f (validated as a lease's name and holder, epoch >= 1) for this
 * thread's writes until store_fence_clear. */
int store_fence_set(const struct lease_fence *f, struct ferr *err) WARN_UNUSED;
void store_fence_clear(void);
/* For backends: the calling thread's fence, or NULL. */
const struct lease_fence *store_fence_current(void);
/* For backends: the decision, once the lease's row was read in the write's
 * transaction (found: cur holds it). 0 when f may write. */
int lease_fence_check(const struct lease_fence *f, const struct lease *cur, int found,
                      struct ferr *err);

/* ---------- the leases backend contract (see store/backend.h) ---------- */

enum lease_op { LEASE_ACQUIRE, LEASE_RENEW, LEASE_RELEASE };

/* For backends: the rules of a change, once the lease's row was read (and
 * locked) in the change's transaction (found: cur holds it). 0 with the
 * row to write (*epoch_out, *ttl_out: 0 for a release, which expires it
 * now), or -1 with INVALID_STATE. */
int lease_decide(enum lease_op op, const char *name, const char *holder, int64_t epoch,
                 int64_t ttl_ms, const struct lease *cur, int found, int64_t *epoch_out,
                 int64_t *ttl_out, struct ferr *err);

struct store_lease_ops {
    /* One of the three, atomically, on the database's clock; out filled
     * (except for a release). */
    int (*change)(struct store *s, enum lease_op op, const char *name, const char *holder,
                  int64_t epoch, int64_t ttl_ms, struct lease *out, struct ferr *err);
    int (*get)(struct store *s, const char *name, struct lease *out, struct ferr *err);
};

#endif
