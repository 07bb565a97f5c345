/* SPDX-License-Identifier: MIT
 * Scheduled monitors inside `ferry server` (issue 18): one thread that,
 * while it holds the store's lease "monitors" (store/leases.h; renewed
 * every tick, and by a helper thread while a window is judged, since a
 * window may take longer than the lease; its epoch fencing every write the
 * thread makes), finds the
 * due window of each scheduled monitor and judges it once
 * (monitor/monitor_run.h).
 *
 * Windows are aligned: for a monitor with schedule.every E, the due window
 * ends at floor((now - grace) / E) * E (grace: a second or two, so the
 * gateways' log queues have written the window's last rows). A monitor
 * whose state already reached that end is skipped; otherwise the window is
 * run, and the report's unique (monitor, window start) row makes a second
 * run of it (another server, a restart, a lost lease mid-run) store
 * nothing. Only the newest due window is run: a server that was down for a
 * day does not replay every missed window.
 *
 * A server that forwards to another tracking server runs no monitors (the
 * other one does). */
#ifndef FERRY_SERVER_MONITOR_SCHEDULER_H
#define FERRY_SERVER_MONITOR_SCHEDULER_H

#include "base/ferr.h"
#include "store/store.h"

#include <stdint.h>

struct artifact_repo;
struct artifact_roots;
struct monitor_scheduler;

#define MONITOR_LEASE_NAME "monitors"

struct monitor_scheduler_opts {
    struct store *store;
    struct artifact_repo *artifacts;    /* the server's proxied repository; NULL: none */
    const struct artifact_roots *roots; /* the server's artifact roots; NULL: any */
    int64_t tick_ms;                    /* 0: 1000 */
    int64_t lease_ms;                   /* 0: 15000 */
    int64_t grace_ms;                   /* 0: 1500 */
};

/* Starts the thread. */
int monitor_scheduler_start(const struct monitor_scheduler_opts *o, struct monitor_scheduler **out,
                            struct ferr *err) WARN_UNUSED;
/* Stops it (a window being judged is finished first), gives the lease up
 * so another server (or this one restarted) takes over at once, frees s.
 * Accepts NULL. */
void monitor_scheduler_stop(struct monitor_scheduler *s);

/* The end of the newest window of a schedule every_ms that is due at
 * now_ms with grace_ms: floor((now - grace) / every) * every; 0 when none
 * is (every_ms <= 0, or before the first). */
int64_t monitor_due_end(int64_t every_ms, int64_t now_ms, int64_t grace_ms);

#endif
