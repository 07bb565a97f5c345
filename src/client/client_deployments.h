/* SPDX-License-Identifier: MIT
 * Deployments through a client, over either transport, with the store's
 * contracts (store/deployments.h): apply, read, act, delete, the
 * gateways' traffic figures and the events stream. Outputs are the
 * caller's, released with the store's *_release functions. */
#ifndef FERRY_CLIENT_CLIENT_DEPLOYMENTS_H
#define FERRY_CLIENT_CLIENT_DEPLOYMENTS_H

#include "client/client.h"
#include "store/deployment_figures.h"
#include "store/deployment_loop.h"
#include "store/deployments.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* spec stays the caller's. revision: -1 any; 0 must not exist; N the
 * current must be N (else INVALID_STATE). *changed: 0 when the spec equals
 * the current one. */
int client_deployment_apply(struct client *c, json_t *spec, int64_t revision,
                            struct deployment *out, int *changed, struct ferr *err) WARN_UNUSED;
/* The same from YAML text (parsed where the row runs). */
/* As client_deployment_apply, asking the server to skip its check that the
 * versions' files load (`ferry deployments apply --no-check`). */
int client_deployment_apply_unchecked(struct client *c, json_t *spec, int64_t revision,
                                      struct deployment *out, int *changed,
                                      struct ferr *err) WARN_UNUSED;
int client_deployment_apply_yaml(struct client *c, const char *yaml, int64_t revision,
                                 struct deployment *out, int *changed,
                                 struct ferr *err) WARN_UNUSED;
int client_deployment_get(struct client *c, const char *name, struct deployment *out,
                          struct ferr *err) WARN_UNUSED;
int client_deployment_list(struct client *c, struct deployment_list *out,
                           struct ferr *err) WARN_UNUSED;
int client_deployment_history(struct client *c, const char *name,
                              struct deployment_change_list *out, struct ferr *err) WARN_UNUSED;
/* The deployment's closed loop (store/deployment_loop.h), oldest first. */
int client_deployment_loop(struct client *c, const struct loop_query *q,
                           struct loop_event_list *out, int *truncated,
                           struct ferr *err) WARN_UNUSED;
/* expect_change: -1 any. alias_error (may be NULL) gets a promote's failed
 * alias move (the change stands); FERR_OK when none. */
int client_deployment_act(struct client *c, const char *name, enum deploy_action act,
                          int64_t expect_change, const char *reason, struct deployment *out,
                          struct ferr *alias_error, struct ferr *err) WARN_UNUSED;
int client_deployment_delete(struct client *c, const char *name, struct ferr *err) WARN_UNUSED;
/* The deployment and its figures per target over the last window_ms (the
 * server's clock). Over REST the figures carry no histogram. */
int client_deployment_status(struct client *c, const char *name, int64_t window_ms,
                             struct deployment *out, struct target_figures_list *figures,
                             struct ferr *err) WARN_UNUSED;
int client_deploy_stats_report(struct client *c, const struct deploy_stats *rows, size_t n,
                               struct ferr *err) WARN_UNUSED;
int client_deploy_stats_read(struct client *c, const char *name, int64_t revision, int64_t since_ms,
                             struct deploy_stats_list *out, struct ferr *err) WARN_UNUSED;
/* kinds: NULL or nkinds 0 for all; max 1..1000. */
int client_events_search(struct client *c, int64_t after_id, const char *const *kinds,
                         size_t nkinds, int64_t max, struct store_event_list *out,
                         struct ferr *err) WARN_UNUSED;

#endif
