/* SPDX-License-Identifier: MIT
 * The store's triggers area (issue 21): triggers (a stored spec that starts
 * a pipeline on a schedule or on an event of the events stream), their
 * firings (one row per event that fired a trigger, through the pipeline
 * run it started), and the schedulers' cursors over the events stream.
 * The spec itself is domain/trigger_spec.h's; the store keeps its
 * canonical JSON text and its kind, and never parses it. Same conventions
 * as store.h (0, or -1 with err set and nothing changed); every function
 * may be called from many threads at once on one store.
 *
 * As in deployments.h and monitors.h, every change is decided here, in
 * the front, once for both backends: a backend reads the rows a change
 * needs (locked for its transaction), hands them to the change's decide
 * function and writes what it decided, all in one transaction, under the
 * calling thread's lease fence when one is set (store/leases.h: a write
 * under a stale epoch is refused with INVALID_STATE and nothing of it is
 * written). Every write here is fenced.
 *
 * At most once per event: a firing is unique on (trigger, event_key), and
 * store_trigger_fire inserts it together with its "trigger.fired" stream
 * event; firing the same key again changes nothing (*inserted 0, not an
 * error). Event keys: "event:<stream id>", "schedule:<cron time ms>",
 * "manual:<uuid>".
 *
 * Stream events written here (store_events_search, store/deployments.h):
 * "trigger.fired" when a firing is inserted and "trigger.finished" when it
 * reaches a final state, subject the trigger's name, payload {"trigger",
 * "firing_id", "event_id" (null for none), "state", "run_id" ("" none),
 * "detail"}. (The datasets backends write "dataset.version_created"
 * {"name", "version", "uri", "digest"} and "dataset.alias_set" {"name",
 * "alias", "version", "uri"} in the transaction of the change.) */
#ifndef FERRY_STORE_TRIGGERS_H
#define FERRY_STORE_TRIGGERS_H

#include "base/ferr.h"
#include "store/store.h"
#include "store/trigger_record.h"

#include <jansson.h>
#include <stdint.h>

/* ---------- triggers ---------- */

/* Names: [A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128 characters (as the spec's). */
#define TRIGGER_NAME_MAX 128
/* 0 when name is a valid trigger name; else INVALID_PARAMETER_VALUE. */
int trigger_name_check(const char *name, struct ferr *err) WARN_UNUSED;

/* Applies spec (a JSON object holding a string "name": the canonical spec
 * as domain/trigger_spec.h's trigger_spec_json makes it; the store keeps
 * its text) of kind ("schedule" | "alert" | "dataset" | "registry"),
 * enabled (1 or 0; the spec's own "enabled"), owner (the applying user; ""
 * with auth off). Creation: revision 1, since_event_id = the greatest
 * event id at that moment (older events never fire it), last_scheduled_ms
 * 0. A change (spec text, kind or enabled differ): revision + 1, owner
 * becomes owner, updated_ms now; since_event_id, last_scheduled_ms and
 * created_ms stay. An equal apply changes nothing (*changed 0, owner kept).
 * expect_revision: -1 any; 0 the trigger must not exist
 * (RESOURCE_ALREADY_EXISTS); N the current revision must be N (else
 * INVALID_STATE). out and changed may be NULL. */
int store_trigger_apply(struct store *s, json_t *spec, const char *kind, int enabled,
                        const char *owner, int64_t expect_revision, struct trigger *out,
                        int *changed, struct ferr *err) WARN_UNUSED;
/* RESOURCE_DOES_NOT_EXIST when absent. */
int store_trigger_get(struct store *s, const char *name, struct trigger *out,
                      struct ferr *err) WARN_UNUSED;
/* Every trigger, by name. */
int store_trigger_list(struct store *s, struct trigger_list *out, struct ferr *err) WARN_UNUSED;
/* Deletes the trigger; its firings stay (readable by its name, whatever
 * their state: a running one's process is the scheduler's business).
 * RESOURCE_DOES_NOT_EXIST when absent. */
int store_trigger_delete(struct store *s, const char *name, struct ferr *err) WARN_UNUSED;
/* Moves last_scheduled_ms forward to ms (>= 0); an ms not after the
 * stored one changes nothing. RESOURCE_DOES_NOT_EXIST when absent. */
int store_trigger_set_scheduled(struct store *s, const char *name, int64_t ms,
                                struct ferr *err) WARN_UNUSED;

/* ---------- firings ---------- */

struct trigger_fire {
    const char *trigger;   /* must exist (RESOURCE_DOES_NOT_EXIST); enabled or not */
    const char *event_key; /* 1..256 characters */
    int64_t event_id;      /* the stream id; 0: none */
    json_t *event;         /* borrowed JSON object: the event.X fields; NULL: {} */
    json_t *params;        /* borrowed JSON object: the rendered params; NULL: {} */
    const char *user;      /* on whose behalf it runs; NULL: "" */
    /* FIRING_QUEUED (the usual), or a final state for a firing that could
     * not even be queued (a params render error: FIRING_FAILED with the
     * reason in detail); running is refused. */
    enum firing_state state;
    const char *detail; /* NULL: "" */
};
/* Inserts the firing (created_ms now; a final state also sets ended_ms)
 * with its "trigger.fired" stream event, and for a final state its
 * "trigger.finished" event, in one transaction. When a firing of
 * (trigger, event_key) exists: *inserted 0, nothing changes, out gets the
 * existing one. out and inserted may be NULL. */
int store_trigger_fire(struct store *s, const struct trigger_fire *f, struct trigger_firing *out,
                       int *inserted, struct ferr *err) WARN_UNUSED;

/* Compare-and-set on a firing's state: from -> to, where from is queued or
 * running and to is running (from queued, or from running to update
 * run_id / holder / detail) or a final state. INVALID_STATE ("firing N is
 * <state>, not <from>") when the state is no longer from; INVALID_PARAMETER_VALUE
 * for a move not listed. Entering running sets started_ms; a final state
 * sets ended_ms and writes "trigger.finished" (same transaction). run_id,
 * holder, detail: NULL keeps the stored value. RESOURCE_DOES_NOT_EXIST
 * when absent. out may be NULL. */
int store_trigger_firing_update(struct store *s, int64_t id, enum firing_state from,
                                enum firing_state to, const char *run_id, const char *holder,
                                const char *detail, struct trigger_firing *out,
                                struct ferr *err) WARN_UNUSED;

struct firing_query {
    const char *trigger;    /* NULL: every trigger's */
    int states;             /* FIRING_F bits; 0: any */
    int oldest_first;       /* 0: newest first (by id), 1: oldest first */
    int64_t max;            /* 1..1000; 0: 100 */
    const char *page_token; /* NULL or "": the first page */
};
/* One page of firings; *next_page_token (a new string) NULL at the end.
 * A trigger that never existed answers an empty list (not an error). */
int store_trigger_firings(struct store *s, const struct firing_query *q,
                          struct trigger_firing_list *out, char **next_page_token,
                          struct ferr *err) WARN_UNUSED;
/* RESOURCE_DOES_NOT_EXIST when absent. */
int store_trigger_firing_get(struct store *s, int64_t id, struct trigger_firing *out,
                             struct ferr *err) WARN_UNUSED;

/* ---------- cursors over the events stream ---------- */

/* A reader's last handled event id ("triggers", "webhooks"; names as a
 * lease's: 1..256 characters). A cursor never set reads 0. */
int store_cursor_get(struct store *s, const char *name, int64_t *id, struct ferr *err) WARN_UNUSED;
/* Compare-and-set: from_id -> to_id (to_id >= from_id >= 0); INVALID_STATE
 * when the cursor is no longer at from_id (another reader moved it). */
int store_cursor_advance(struct store *s, const char *name, int64_t from_id, int64_t to_id,
                         struct ferr *err) WARN_UNUSED;

/* ---------- the backend contract (see store/backend.h) ---------- */

/* Decides an apply from the current row (NULL: none) and the greatest
 * event id: 0 with *row filled (a trigger the decide function owns), 1
 * when nothing changes (*row empty), or -1 with err. */
typedef int (*trigger_decide_fn)(void *arg, const struct trigger *cur, int64_t max_event_id,
                                 struct trigger *row, struct ferr *err);
/* Decides a firing's update from its current row: 0 with *row filled (the
 * whole new row, same id), or -1 with err. The backend writes
 * "trigger.finished" when row->state is final and cur->state was not. */
typedef int (*firing_decide_fn)(void *arg, const struct trigger_firing *cur,
                                struct trigger_firing *row, struct ferr *err);

struct store_trigger_ops {
    /* Reads name's row (locked) and max(events.id), calls decide, inserts
     * or updates the row it decided; out gets the row as stored (the
     * current one when decide answered 1); *changed 1 when written. */
    int (*apply)(struct store *s, const char *name, trigger_decide_fn decide, void *arg,
                 struct trigger *out, int *changed, struct ferr *err);
    int (*get)(struct store *s, const char *name, struct trigger *out, struct ferr *err);
    int (*list)(struct store *s, struct trigger_list *out, struct ferr *err);
    int (*remove)(struct store *s, const char *name, struct ferr *err);
    int (*set_scheduled)(struct store *s, const char *name, int64_t ms, struct ferr *err);
    /* f checked; row: the firing to insert (every field but id set).
     * Inserts it and its events unless (trigger, event_key) exists. */
    int (*fire)(struct store *s, const struct trigger_firing *row, struct trigger_firing *out,
                int *inserted, struct ferr *err);
    int (*firing_update)(struct store *s, int64_t id, firing_decide_fn decide, void *arg,
                         struct trigger_firing *out, struct ferr *err);
    /* At most limit firings (trigger NULL: any; states 0: any) in id
     * order (oldest_first: ascending, else descending), past bound (the
     * last id of the page before; 0: from the start): ids below it when
     * newest first, above it when oldest first. */
    int (*firings)(struct store *s, const char *trigger, int states, int oldest_first,
                   int64_t bound, int64_t limit, struct trigger_firing_list *out, struct ferr *err);
    int (*firing_get)(struct store *s, int64_t id, struct trigger_firing *out, struct ferr *err);
    int (*cursor_get)(struct store *s, const char *name, int64_t *id, struct ferr *err);
    int (*cursor_advance)(struct store *s, const char *name, int64_t from_id, int64_t to_id,
                          struct ferr *err);
};

#endif
