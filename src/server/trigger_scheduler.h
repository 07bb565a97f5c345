/* SPDX-License-Identifier: MIT
 * Triggers inside `ferry server` (issue 21): one thread that, while it holds
 * the store's lease "triggers" (store/leases.h; every write it makes is
 * fenced by it), turns events into firings and firings into pipeline runs.
 * Each tick:
 *   1. the events stream after the cursor "triggers" (at most 1000): each
 *      event that an enabled trigger matches (and that is newer than the
 *      trigger: id > since_event_id) becomes a firing with the key
 *      "event:<id>"; then the cursor moves past them. The key is unique per
 *      trigger, so a crash between the firing and the cursor fires nothing
 *      twice. A gap in the event ids (on PostgreSQL, a change not committed
 *      yet) holds the cursor for up to TRIGGER_GAP_WAIT_MS from when it was
 *      first seen, so a late commit still fires (server/event_follow.h);
 *   2. each schedule trigger whose newest due cron time (UTC) is newer than
 *      the last one considered and not older than the trigger fires with the
 *      key "schedule:<time ms>" (only the newest missed time: a server down
 *      for a day does not replay the day);
 *   3. queued firings start, oldest first, by the trigger's concurrency:
 *      skip (a run of the trigger is going: skipped), queue (waits for it),
 *      replace (the going one is stopped: TERM, KILL after 5 s, cancelled);
 *      a start is `ferry pipelines run` launched on behalf of the trigger's
 *      owner (auth/launch.h), with FERRY_TRIGGER / FERRY_TRIGGER_FIRING set
 *      so the pipeline run is tagged ferry.trigger.name / .firingId; a
 *      refusal (--no-execute, the owner's rights) is recorded as refused;
 *   4. ended processes are noticed without waiting: succeeded or failed
 *      ("exit N", "killed by signal N"), with the pipeline run's id.
 * On taking the lease, firings left running by another holder (a server
 * that died or lost the lease) become abandoned, never rerun: a firing runs
 * at most once. Stopping TERMs the running processes, KILLs them after 5 s
 * and records their firings cancelled ("the server stopped").
 * Settings (environment, FERRY_ then MLFLOW_): TRIGGER_TICK_MS (1000),
 * TRIGGER_LEASE_MS (15000), TRIGGER_GAP_WAIT_MS (5000, 0..600000); test hook TRIGGER_NOW_OFFSET_MS
 * (0): added to the clock the schedules are judged by, read once at start. A server that forwards
 * to another tracking server runs no triggers. */
#ifndef FERRY_SERVER_TRIGGER_SCHEDULER_H
#define FERRY_SERVER_TRIGGER_SCHEDULER_H

#include "auth/launch.h"
#include "base/ferr.h"
#include "store/store.h"

#define TRIGGER_LEASE_NAME  "triggers"
#define TRIGGER_CURSOR_NAME "triggers"

struct trigger_scheduler;

struct trigger_scheduler_opts {
    struct store *store;             /* borrowed; outlives the scheduler */
    const struct launcher *launcher; /* borrowed: how processes start (and whether) */
    const char *log_dir;             /* where each firing's output goes; NULL: $TMPDIR or /tmp */
};

/* Reads the settings and starts the thread. INVALID_PARAMETER_VALUE for a
 * bad setting. */
int trigger_scheduler_start(const struct trigger_scheduler_opts *o, struct trigger_scheduler **out,
                            struct ferr *err) WARN_UNUSED;
/* Stops the thread and the processes it started (their firings cancelled),
 * gives the lease up, frees s. Accepts NULL. */
void trigger_scheduler_stop(struct trigger_scheduler *s);

#endif
