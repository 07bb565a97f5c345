/* SPDX-License-Identifier: MIT
 * The store's deployments area (domain/deployment.h has the spec and the
 * status): deployments, their history of changes, the events stream, and
 * the traffic figures gateways report for the rollout controller. Same
 * conventions as store.h (0, or -1 with err set and nothing changed).
 *
 * Every change is decided here, in the front, once for both backends: a
 * backend reads the deployment's row (locked for the change's transaction),
 * hands it to the change's decide function, and writes what it decided:
 * the row, one history entry and one event, in the same transaction. So
 * two gateways, the CLI and the controller can change one deployment at
 * once and each change sees the one before it. */
#ifndef FERRY_STORE_DEPLOYMENTS_H
#define FERRY_STORE_DEPLOYMENTS_H

#include "base/ferr.h"
#include "domain/deployment.h"
#include "store/deployment_record.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

/* ---------- changes ---------- */

/* Applies spec (a JSON object; domain/deployment.h): its model URIs are
 * resolved to versions now (unknown model or version: RESOURCE_DOES_NOT_EXIST),
 * and the deployment is created or gets the next revision, its status
 * starting over (a rollout at its first step). expect_revision: -1 any; 0
 * the deployment must not exist; N the current revision must be N (else
 * INVALID_STATE: someone applied meanwhile; nothing is merged). A spec
 * equal to the current one changes nothing (*changed 0). */
int store_deployment_apply(struct store *s, json_t *spec, int64_t expect_revision, const char *user,
                           struct deployment *out, int *changed, struct ferr *err) WARN_UNUSED;

/* As store_deployment_apply, calling check(arg, resolved spec) after the
 * URIs resolved and before anything is written: its -1 (err set) refuses
 * the apply. */
typedef int (*deployment_check_fn)(void *arg, const struct deployment_spec *resolved,
                                   struct ferr *err);
int store_deployment_apply_checked(struct store *s, json_t *spec, int64_t expect_revision,
                                   const char *user, deployment_check_fn check, void *arg,
                                   struct deployment *out, int *changed,
                                   struct ferr *err) WARN_UNUSED;

enum deploy_action {
    DEPLOY_ACT_PAUSE,    /* a rollout in progress holds its step */
    DEPLOY_ACT_RESUME,   /* a paused rollout goes on; a rolled back one starts over */
    DEPLOY_ACT_ROLLBACK, /* the candidate's weight to 0 */
    DEPLOY_ACT_PROMOTE,  /* the candidate becomes the only target (a new revision) */
    DEPLOY_ACT_STEP,     /* the controller: the next step (the last one completes) */
};
const char *deploy_action_name(enum deploy_action a);

/* One action on a deployment. expect_change: -1 any, else the change the
 * caller decided on (the controller: INVALID_STATE when anything changed
 * since). A promote, or a step that completes a rollout at 100, also moves
 * the spec's promote_alias to the candidate after the change commits
 * (*alias_error, when not NULL, gets that move's failure; the change
 * stands). INVALID_STATE when the action does not apply ("not in a
 * rollout", "already paused"). */
int store_deployment_act(struct store *s, const char *name, enum deploy_action act,
                         int64_t expect_change, const char *reason, const char *user,
                         struct deployment *out, struct ferr *alias_error,
                         struct ferr *err) WARN_UNUSED;

int store_deployment_delete(struct store *s, const char *name, const char *user,
                            struct ferr *err) WARN_UNUSED;

/* ---------- reads ---------- */

int store_deployment_get(struct store *s, const char *name, struct deployment *out,
                         struct ferr *err) WARN_UNUSED;
/* Every deployment, by name. */
int store_deployment_list(struct store *s, struct deployment_list *out,
                          struct ferr *err) WARN_UNUSED;
/* The deployment's changes, oldest first. */
int store_deployment_history(struct store *s, const char *name, struct deployment_change_list *out,
                             struct ferr *err) WARN_UNUSED;
/* Events with id > after_id, oldest first, at most max (1..1000); kinds:
 * NULL or empty for all, else only those (exact, or "deployment.*"). */
int store_events_search(struct store *s, int64_t after_id, const char *const *kinds, size_t nkinds,
                        int64_t max, struct store_event_list *out, struct ferr *err) WARN_UNUSED;

/* ---------- traffic figures (the rollout controller's input) ---------- */

/* Writes the rows (one transaction) and drops rows older than an hour. */
int store_deploy_stats_put(struct store *s, const struct deploy_stats *rows, size_t n,
                           struct ferr *err) WARN_UNUSED;
/* Every gateway's rows of name's revision from since_ms on. */
int store_deploy_stats_read(struct store *s, const char *name, int64_t revision, int64_t since_ms,
                            struct deploy_stats_list *out, struct ferr *err) WARN_UNUSED;

/* ---------- the backend contract (see store/backend.h) ---------- */

/* What a change writes: the new row (NULL: delete it), the history entry
 * (action NULL: none) and the event (kind NULL: none). */
struct deployment_write {
    struct deployment *row;
    const char *action, *reason;
    const char *event_kind;
    json_t *event_payload; /* borrowed */
};
/* Decides a change from the current row (NULL when there is none): 0 with
 * w filled, 1 when there is nothing to write (the transaction ends
 * without a change), or -1 with err (nothing written). cur is the
 * backend's; w->row points at a deployment the decide function owns. */
typedef int (*deployment_decide_fn)(void *arg, const struct deployment *cur,
                                    struct deployment_write *w, struct ferr *err);

struct store_deployment_ops {
    /* Reads name's row (locked until the commit), calls decide, writes
     * w->row (insert, update or delete), the history entry (numbered
     * w->row->change) and the event, all in one transaction. */
    int (*change)(struct store *s, const char *name, deployment_decide_fn decide, void *arg,
                  const char *user, struct ferr *err);
    int (*get)(struct store *s, const char *name, struct deployment *out, struct ferr *err);
    int (*list)(struct store *s, struct deployment_list *out, struct ferr *err);
    int (*history)(struct store *s, const char *name, struct deployment_change_list *out,
                   struct ferr *err);
    /* kinds: ",a,b,deployment.*," (one comma-bounded list; "," for all):
     * an event matches its kind or its kind's "<area>.*". */
    int (*events)(struct store *s, int64_t after_id, const char *kinds, int64_t max,
                  struct store_event_list *out, struct ferr *err);
    int (*stats_put)(struct store *s, const struct deploy_stats *rows, size_t n, struct ferr *err);
    int (*stats_read)(struct store *s, const char *name, int64_t revision, int64_t since_ms,
                      struct deploy_stats_list *out, struct ferr *err);
};

#endif
