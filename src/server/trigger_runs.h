/* SPDX-License-Identifier: MIT
 * The pipeline processes the triggers' thread (server/trigger_scheduler.h)
 * started: how a queued firing starts (`ferry pipelines run` launched on
 * behalf of its user, auth/launch.h), how an ended one is noticed without
 * waiting and recorded, and how going ones are stopped (TERM, KILL after
 * 5 s). Used by that one thread only (not thread-safe); every store write
 * it makes is under that thread's lease fence.
 *
 * A start records the firing running (holder: this scheduler) before the
 * process starts, so a crash in between leaves it running, to be
 * abandoned by the next holder, never run twice. Refusals (--no-execute,
 * the user's rights, a user that no longer exists) end it refused with the
 * reason; any other failure to start ends it failed. */
#ifndef FERRY_SERVER_TRIGGER_RUNS_H
#define FERRY_SERVER_TRIGGER_RUNS_H

#include "auth/launch.h"
#include "base/ferr.h"
#include "domain/trigger_spec.h"
#include "store/store.h"
#include "store/trigger_record.h"

#include <stdint.h>

#define TRIGGER_KILL_AFTER_MS 5000

struct trigger_runs;

int trigger_runs_new(struct store *store, const struct launcher *launcher, const char *holder,
                     const char *log_dir, struct trigger_runs **out, struct ferr *err) WARN_UNUSED;
/* Frees r; its processes must have been stopped (trigger_runs_stop_all). */
void trigger_runs_free(struct trigger_runs *r);

/* The firing id of trigger's going run (not one being cancelled), 0: none. */
int64_t trigger_runs_going(struct trigger_runs *r, const char *trigger);
/* Starts queued firing f of spec t (see above). */
void trigger_runs_start(struct trigger_runs *r, const struct trigger_firing *f,
                        const struct trigger_spec *t);
/* Ends queued firing f directly in state st (skipped, cancelled, ...). */
void trigger_runs_end_queued(struct trigger_runs *r, const struct trigger_firing *f,
                             enum firing_state st, const char *detail);
/* Stops firing_id's process: TERM now, KILL TRIGGER_KILL_AFTER_MS later
 * (by trigger_runs_poll); it ends cancelled with detail. */
void trigger_runs_cancel(struct trigger_runs *r, int64_t firing_id, const char *detail);
/* Records every process that ended (never waits); KILLs the cancelled ones
 * past their time. */
void trigger_runs_poll(struct trigger_runs *r);
/* Stops every process (TERM, KILL after TRIGGER_KILL_AFTER_MS), waits for
 * them and records their firings cancelled with detail. */
void trigger_runs_stop_all(struct trigger_runs *r, const char *detail);

#endif
