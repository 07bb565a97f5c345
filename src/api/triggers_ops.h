/* SPDX-License-Identifier: MIT
 * The triggers area's rows (issue 21; store/triggers.h keeps the rows,
 * domain/trigger_spec.h the spec) under /api/2.0/ferry/:
 *   POST triggers/apply    {spec: {...} | spec_yaml: "...", expect_revision?}
 *                          -> {trigger, changed} (expect_revision: -1 any, the
 *                          default; 0 must not exist; N the current must be N)
 *   GET  triggers/get      {name} -> {trigger}
 *   GET  triggers/list     {} -> {triggers: [...]} (by name)
 *   POST triggers/delete   {name} -> {} (its firings stay, readable by name)
 *   GET  triggers/history  {name?, max_results? (1..1000, default 100),
 *                          page_token?} -> {firings: [...], next_page_token?}
 *                          newest first; without name every trigger's
 *   POST triggers/fire     {name, params?: {k: "v"}} -> {firing}: a manual
 *                          firing (event key manual:<uuid>) recorded queued;
 *                          the server's trigger scheduler starts it. Keys
 *                          "event.X" give the kind's event fields, others
 *                          override the spec's params (trigger_manual_firing).
 *
 * Entities: trigger {name, spec (the canonical spec object), kind, enabled,
 * owner, revision, created_ms, updated_ms, since_event_id,
 * last_scheduled_ms, last_firing? (its newest firing)}; firing {id,
 * trigger, event_key, event_id (null: none), event {X: "v"}, params
 * {k: "v"}, user_id, state, run_id, holder, created_ms, started_ms,
 * ended_ms, detail}.
 *
 * A pipeline's uri must be a git URL (scheme://..., git@...) or an
 * absolute local path: the server runs it, from its own directory.
 *
 * PERMISSIONS (auth on). A trigger runs its pipeline on behalf of its
 * owner in the pipeline's experiment (spec pipeline.experiment), so the
 * right to change a trigger is the right to run that pipeline there:
 *   apply, fire, delete  EDIT on the experiment when it exists, else the
 *                        right to create experiments (any signed-in user,
 *                        not a token scoped below EDIT on experiments);
 *                        a spec that names no experiment counts as one
 *                        that does not exist yet (the pipeline's default
 *                        is only known when it runs; the launch checks
 *                        the owner's rights again then). apply over an
 *                        existing trigger also needs that right on the
 *                        experiment of the spec it replaces.
 *   get, list, history   any signed-in user, as the other ferry areas'
 *                        reads (deployments, monitors, lineage).
 * The rows locate their experiment with the locators LOC_TRIGGER_SPEC
 * (apply: the request's spec) and LOC_TRIGGER_NAME (fire, delete: the
 * stored trigger), resolved by api_triggers_target; auth/guard.c checks
 * the target like any other. The owner is the authenticated user ("" with
 * auth off); a manual firing's user the firer. */
#ifndef FERRY_API_TRIGGERS_OPS_H
#define FERRY_API_TRIGGERS_OPS_H

#include "api/op.h"
#include "store/trigger_record.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

extern const struct api_area api_triggers_area;

#define TRIGGER_HISTORY_DEFAULT 100
#define TRIGGER_HISTORY_MAX     1000

/* A trigger as the rows answer it: the stored row and its newest firing. */
struct api_trigger {
    struct trigger t;
    struct trigger_firing *last_firing; /* NULL: never fired */
};
void api_trigger_release(struct api_trigger *t);
struct api_trigger_list {
    struct api_trigger *v;
    size_t n, alloc;
};
void api_trigger_list_release(struct api_trigger_list *l);

struct rq_trigger_apply {
    json_t *spec; /* borrowed; NULL: absent */
    const char *spec_yaml;
    int64_t expect_revision;
};
struct rs_trigger_apply {
    struct api_trigger trigger;
    int changed;
};
struct rq_trigger_name {
    const char *name;
};
struct rs_trigger {
    struct api_trigger trigger;
};
struct rq_trigger_history {
    const char *name;
    int64_t max_results;
    const char *page_token;
};
struct rs_trigger_history {
    struct trigger_firing *v;
    size_t n, alloc;
    char *next_page_token;
};
struct rq_trigger_fire {
    const char *name;
    json_t *params; /* borrowed {k: "v"}; NULL: none */
};
struct rs_trigger_fire {
    struct trigger_firing firing;
};

extern const struct api_op api_triggers_apply, api_triggers_get, api_triggers_list,
    api_triggers_delete, api_triggers_history, api_triggers_fire;

/* The experiment a trigger row touches, for api_resolve_target (the
 * locators LOC_TRIGGER_SPEC and LOC_TRIGGER_NAME): out gets the ids of
 * the named experiments that exist, and loc LOC_NEW_EXPERIMENT when none
 * does (see PERMISSIONS above). A spec that does not parse is its parse
 * error and an unknown trigger RESOURCE_DOES_NOT_EXIST, as the row itself
 * would answer. out is started by the caller (api_target zeroed, access
 * and loc set). */
int api_triggers_target(const struct api_op *op, const void *req, struct store *s,
                        struct api_target *out, struct ferr *err) WARN_UNUSED;

/* JSON shapes, for the CLI's --json and the UI. */
json_t *api_trigger_to_json(const struct api_trigger *t);
json_t *api_trigger_firing_to_json(const struct trigger_firing *f);

#endif
