/* SPDX-License-Identifier: MIT
 * The triggers area's records as the store hands them out (store/triggers.h
 * has the operations): a trigger, one firing of a trigger, their lists and
 * release functions, and the firing states. */
#ifndef FERRY_STORE_TRIGGER_RECORD_H
#define FERRY_STORE_TRIGGER_RECORD_H

#include "base/ferr.h"

#include <stddef.h>
#include <stdint.h>

/* A firing's life: queued -> running -> one of the final states; queued may
 * also end directly (skipped, cancelled, refused, failed, abandoned). */
enum firing_state {
    FIRING_QUEUED,
    FIRING_RUNNING,
    FIRING_SUCCEEDED,
    FIRING_FAILED,
    FIRING_SKIPPED,
    FIRING_CANCELLED,
    FIRING_REFUSED,
    FIRING_ABANDONED,
    FIRING_STATE_COUNT
};
/* "queued", "running", "succeeded", "failed", "skipped", "cancelled",
 * "refused", "abandoned". */
const char *firing_state_name(enum firing_state st);
/* 0, or -1 with INVALID_PARAMETER_VALUE naming the valid states. */
int firing_state_parse(const char *text, enum firing_state *out, struct ferr *err) WARN_UNUSED;
/* 1 for the final states (every state but queued and running). */
int firing_state_final(enum firing_state st);

/* State filter bits for store_trigger_firings; 0: every state. */
#define FIRING_F(st)    (1 << (st))
#define FIRING_F_ACTIVE (FIRING_F(FIRING_QUEUED) | FIRING_F(FIRING_RUNNING))

struct trigger {
    char *name;
    char *spec;       /* canonical JSON object text (domain/trigger_spec.h's trigger_spec_json) */
    char *kind;       /* "schedule" | "alert" | "dataset" | "registry" */
    int enabled;      /* 1 or 0 */
    char *owner;      /* the user of the last apply that changed it; "" with auth off */
    int64_t revision; /* 1 on creation, +1 per apply that changes it */
    int64_t created_ms, updated_ms;
    /* max(events.id) when it was created: events with this id or older never fire it */
    int64_t since_event_id;
    int64_t last_scheduled_ms; /* the newest cron time considered; 0 none yet */
};
void trigger_release(struct trigger *t);
int trigger_copy(const struct trigger *from, struct trigger *to);

struct trigger_list {
    struct trigger *v;
    size_t n, alloc;
};
void trigger_list_release(struct trigger_list *l);

struct trigger_firing {
    int64_t id;
    char *trigger;    /* the trigger's name (it may since have been deleted) */
    char *event_key;  /* "event:<stream id>" | "schedule:<cron time ms>" | "manual:<uuid>" */
    int64_t event_id; /* the stream id; 0 when none (schedule, manual) */
    char *event;      /* JSON object text: the event.X fields */
    char *params;     /* JSON object text: the rendered params */
    char *user_id;    /* on whose behalf it runs: the owner, or the manual firer */
    enum firing_state state;
    char *run_id; /* the pipeline run; "" none (yet) */
    char *holder; /* the scheduler (lease holder) that started it; "" none */
    int64_t created_ms, started_ms, ended_ms; /* started/ended 0: not yet */
    char *detail; /* why it ended as it did ("exit 1", a refusal); "" none */
};
void trigger_firing_release(struct trigger_firing *f);
int trigger_firing_copy(const struct trigger_firing *from, struct trigger_firing *to);

struct trigger_firing_list {
    struct trigger_firing *v;
    size_t n, alloc;
};
void trigger_firing_list_release(struct trigger_firing_list *l);

/* For backends: the payload of a firing's "trigger.fired" / "trigger.finished"
 * stream event (a new string): {"trigger", "firing_id", "event_id" (null
 * when none), "state", "run_id", "detail"}. NULL when out of memory. */
char *trigger_firing_event_payload(const struct trigger_firing *f);

#endif
