/* SPDX-License-Identifier: MIT
 * The deployments area's rows (store/deployments.h) under
 * /api/2.0/ferry/: deployments/apply, get, list, history, status, the
 * actions (pause, resume, rollback, promote, and step, the controller's),
 * delete, the gateways' traffic figures (deployments/stats/report and
 * deployments/stats), the deployment's closed loop on one time axis
 * (deployments/loop, store/deployment_loop.h), and the events stream
 * (events/search). Reads need
 * READ; changes EDIT on no particular resource, which with auth on is an
 * admin's (per-deployment permissions later); reporting figures is an
 * admin's (a gateway's credentials). */
#ifndef FERRY_API_DEPLOYMENTS_OPS_H
#define FERRY_API_DEPLOYMENTS_OPS_H

#include "api/op.h"
#include "store/deployment_figures.h"
#include "store/deployment_loop.h"
#include "store/deployments.h"

#include <jansson.h>

extern const struct api_area api_deployments_area;

/* spec: the spec as an object, or spec_yaml: as YAML text (one of them).
 * revision: -1 any; 0 must not exist; N the current must be N. */
struct rq_deploy_apply {
    json_t *spec; /* borrowed */
    const char *spec_yaml;
    int64_t revision;
    int no_check; /* apply without the server's check of the versions' files */
};
struct rs_deploy_apply {
    struct deployment deployment;
    int changed;
};
struct rq_deploy_name {
    const char *name;
};
/* An action's answer also says why a promote could not move the alias
 * (the change itself stands). */
struct rs_deployment {
    struct deployment deployment;
    char *alias_error; /* NULL: none */
};
/* change: -1 any, else the change the caller decided on. */
struct rq_deploy_act {
    const char *name, *reason;
    int64_t change;
};
struct rq_deploy_status {
    const char *name;
    int64_t window_ms;
};
struct rs_deploy_status {
    struct deployment deployment;
    struct target_figures *targets;
    size_t ntargets, alloc;
};
struct rq_deploy_stats_report {
    struct deploy_stats *v;
    size_t n, alloc;
};
struct rq_deploy_stats_read {
    const char *name;
    int64_t revision, since_ms;
};
/* kinds: each may also be a comma-separated list. */
struct rq_events_search {
    int64_t after_id;
    const char **kinds;
    size_t nkinds;
    int64_t max_results;
};

/* start_time/end_time: ms, inclusive (end 0: up to now); max_results
 * 1..LOOP_MAX_EVENTS (default 1000). */
struct rq_deploy_loop {
    const char *name;
    int64_t start_time, end_time, max_results;
};
struct rs_deploy_loop {
    struct loop_event *v;
    size_t n, alloc;
    int truncated; /* more events than max_results: the newest are answered */
};

extern const struct api_op api_deployments_apply, api_deployments_get, api_deployments_list,
    api_deployments_history, api_deployments_delete, api_deployments_status,
    api_deployments_stats_report, api_deployments_stats, api_deployments_loop, api_events_search;
/* The row of an action. */
const struct api_op *api_deployment_act_op(enum deploy_action act);

/* JSON shapes, for the CLI's --json. */
json_t *api_deployment_to_json(const struct deployment *d);
json_t *api_target_figures_to_json(const struct target_figures *f);
json_t *api_loop_event_to_json(const struct loop_event *e);

#endif
