/* SPDX-License-Identifier: MIT
 * A deployment's closed loop on one time axis (issue 21): the alerts of
 * its monitors, the firings of the triggers that retrain it and their
 * pipeline runs, the gates those runs passed or failed, the versions
 * registered of its models, and its rollout's steps, promotions and
 * rollbacks. Nothing is stored for it: every event is read from the
 * records the areas keep (alerts, trigger firings, runs and their tags,
 * model versions, the deployment's history), through the store front, so
 * it is the same on every backend and says nothing the API does not.
 *
 * What belongs to deployment D:
 * - alerts whose deployment is D;
 * - firings of triggers on alerts of D's monitors (or of monitors whose
 *   alerts are D's) and of triggers on registry events of D's models (the
 *   models its history's specs name), and firings whose pipeline run
 *   registered a version of D's models (version tag ferry.pipeline.runId ->
 *   that run's tag ferry.trigger.firingId);
 * - each such firing's pipeline run, and the gate step runs of that run
 *   (tag ferry.pipeline.runId = the run, with a tag ferry.gate.verdict);
 * - the versions of D's models;
 * - D's history: step -> rollout_step (also an apply or resume that starts
 *   a rollout, step 0), complete at 100 or promote -> promoted, complete
 *   at a split below 100 -> rollout_step, rollback -> rolled_back. */
#ifndef FERRY_STORE_DEPLOYMENT_LOOP_H
#define FERRY_STORE_DEPLOYMENT_LOOP_H

#include "base/ferr.h"
#include "store/store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The fixed vocabulary, in the order a loop goes through it (the order of
 * events at the same millisecond). */
enum loop_kind {
    LOOP_ALERT_OPENED,
    LOOP_TRIGGER_FIRED,
    LOOP_PIPELINE_STARTED,
    LOOP_GATE_PASSED,
    LOOP_GATE_FAILED,
    LOOP_VERSION_REGISTERED,
    LOOP_ROLLOUT_STEP,
    LOOP_PROMOTED,
    LOOP_ROLLED_BACK,
    LOOP_PIPELINE_FINISHED,
};
const char *loop_kind_name(enum loop_kind k);

struct loop_event {
    int64_t time_ms;
    enum loop_kind kind;
    json_t *fields; /* owned: the event's own fields (strings and integers) */
};

struct loop_event_list {
    struct loop_event *v;
    size_t n, alloc;
};
void loop_event_list_release(struct loop_event_list *l);

/* The event as the API answers it: {time (ISO 8601 UTC with ms), event,
 * time_ms, ...its fields}. */
json_t *loop_event_to_json(const struct loop_event *e);

struct loop_query {
    const char *deployment;
    int64_t start_ms, end_ms; /* inclusive; end 0: no end */
    int64_t max;              /* 1..10000 */
};

#define LOOP_MAX_EVENTS 10000

/* Oldest first; when more than max events fall in the window the newest
 * max are kept and *truncated is 1. RESOURCE_DOES_NOT_EXIST when the
 * deployment does not exist. */
int store_deployment_loop(struct store *s, const struct loop_query *q, struct loop_event_list *out,
                          int *truncated, struct ferr *err) WARN_UNUSED;

#endif
