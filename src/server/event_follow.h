/* SPDX-License-Identifier: MIT
 * Following the events stream (store/deployments.h: store_events_search)
 * after a stored cursor (store/triggers.h: store_cursor_*), shared by the
 * server's readers (webhook_dispatch.c, trigger_scheduler.c).
 *
 * Why the gaps: an event's id is taken when its change's transaction
 * inserts it and becomes visible when that commits. On PostgreSQL, with
 * several writers, id 11 can be read before id 10 commits; a reader that
 * moved its cursor past 10 would never read it. So a gap in the ids read
 * holds the cursor for up to a wait from when that gap was first seen; a
 * gap older than that (a rolled-back change's id never fills) is passed
 * with a log line. Each gap keeps its own first-seen time, so several gaps
 * in one batch are waited for at once, not one after another.
 *
 * Re-reading is harmless for the readers (a firing or a delivery is unique
 * per event), so the cursor moves after the events are handled. */
#ifndef FERRY_SERVER_EVENT_FOLLOW_H
#define FERRY_SERVER_EVENT_FOLLOW_H

#include "base/ferr.h"
#include "store/deployments.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define EVENT_FOLLOW_BATCH 1000 /* events read per call */
#define EVENT_FOLLOW_GAPS  64   /* gaps remembered; one beyond them is waited for */

/* Ids lo..hi were missing when first seen at seen_ms (a monotonic clock). */
struct event_gap {
    int64_t lo, hi, seen_ms;
};
struct event_gaps {
    struct event_gap v[EVENT_FOLLOW_GAPS];
    size_t n;
};

/* The gap decision, pure. ids[0..n-1]: the ids read after cursor, ascending,
 * each > cursor. Returns k: ids[0..k-1] may be handled and the cursor then
 * moved to ids[k-1] (k 0: it stays). The ids before ids[i] that are missing
 * form a gap; ids[i] is taken while every gap before it was first seen at
 * least wait_ms before now_ms. g (zeroed at first) is the memory of the
 * gaps' first-seen times: a gap overlapping a remembered one keeps the
 * earliest of their times, a new one is seen now; on return it holds the
 * gaps after the new cursor (at most EVENT_FOLLOW_GAPS: a gap beyond them
 * is not remembered and stops k there). */
size_t event_gap_decide(int64_t cursor, const int64_t *ids, size_t n, int64_t now_ms,
                        int64_t wait_ms, struct event_gaps *g);

/* A reader of one cursor. Fields are set by event_follow_init; gaps is its
 * memory across calls. Not shared between threads. */
struct event_follow {
    struct store *store;      /* borrowed */
    const char *cursor;       /* borrowed: the cursor's name */
    const char *const *kinds; /* borrowed: NULL for every kind, else exact or "prefix.*" */
    size_t nkinds;
    int64_t gap_wait_ms;
    const char *who; /* borrowed: the log lines' prefix, e.g. "triggers" */
    struct event_gaps gaps;
};

void event_follow_init(struct event_follow *f, struct store *s, const char *cursor,
                       const char *const *kinds, size_t nkinds, int64_t gap_wait_ms,
                       const char *who);

/* Reads the events after the cursor (every kind, at most EVENT_FOLLOW_BATCH:
 * a gap is a gap whatever its kind) and keeps the contiguous part by
 * event_gap_decide (logging each gap it passes). *from: the cursor; *upto:
 * where it may move once the events in out (those of f's kinds, oldest
 * first) are handled (*from when nothing may). The caller releases out. */
int event_follow_next(struct event_follow *f, struct store_event_list *out, int64_t *from,
                      int64_t *upto, struct ferr *err) WARN_UNUSED;

/* Moves the cursor from `from` to `to` (compare-and-set: INVALID_STATE when
 * another reader moved it; a fenced write under the caller's fence). `to`
 * is *upto, or an event's id - 1 when the caller stopped at that event.
 * Nothing when to <= from. */
int event_follow_commit(struct event_follow *f, int64_t from, int64_t to,
                        struct ferr *err) WARN_UNUSED;

#endif
