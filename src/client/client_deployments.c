/* SPDX-License-Identifier: MIT */
#include "client/client_deployments.h"
#include "api/deployments_ops.h"
#include "client/transport.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int need_name(const char *name, struct ferr *err)
{
    return name && *name
               ? 0
               : ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the deployment's name");
}

static int apply(struct client *c, json_t *spec, const char *yaml, int64_t revision, int no_check,
                 struct deployment *out, int *changed, struct ferr *err)
{
    struct rq_deploy_apply q = {spec, yaml, revision, no_check};
    struct rs_deploy_apply r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (client_call(c, &api_deployments_apply, &q, &r, err))
        return -1;
    *out = r.deployment;
    if (changed)
        *changed = r.changed;
    return 0;
}

int client_deployment_apply(struct client *c, json_t *spec, int64_t revision,
                            struct deployment *out, int *changed, struct ferr *err)
{
    if (!json_is_object(spec)) {
        memset(out, 0, sizeof(*out));
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a deployment spec is a JSON object");
    }
    return apply(c, spec, NULL, revision, 0, out, changed, err);
}

int client_deployment_apply_unchecked(struct client *c, json_t *spec, int64_t revision,
                                      struct deployment *out, int *changed, struct ferr *err)
{
    if (!json_is_object(spec)) {
        memset(out, 0, sizeof(*out));
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a deployment spec is a JSON object");
    }
    return apply(c, spec, NULL, revision, 1, out, changed, err);
}

int client_deployment_apply_yaml(struct client *c, const char *yaml, int64_t revision,
                                 struct deployment *out, int *changed, struct ferr *err)
{
    if (!yaml) {
        memset(out, 0, sizeof(*out));
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the deployment's spec");
    }
    return apply(c, NULL, yaml, revision, 0, out, changed, err);
}

int client_deployment_get(struct client *c, const char *name, struct deployment *out,
                          struct ferr *err)
{
    struct rq_deploy_name q = {name};
    struct rs_deployment r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (need_name(name, err) || client_call(c, &api_deployments_get, &q, &r, err))
        return -1;
    *out = r.deployment;
    free(r.alias_error);
    return 0;
}

int client_deployment_list(struct client *c, struct deployment_list *out, struct ferr *err)
{
    int none = 0;
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_deployments_list, &none, out, err);
}

int client_deployment_history(struct client *c, const char *name,
                              struct deployment_change_list *out, struct ferr *err)
{
    struct rq_deploy_name q = {name};
    memset(out, 0, sizeof(*out));
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_deployments_history, &q, out, err);
}

int client_deployment_loop(struct client *c, const struct loop_query *q,
                           struct loop_event_list *out, int *truncated, struct ferr *err)
{
    struct rq_deploy_loop rq = {q->deployment, q->start_ms, q->end_ms, q->max};
    struct rs_deploy_loop r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (need_name(q->deployment, err) || client_call(c, &api_deployments_loop, &rq, &r, err))
        return -1;
    out->v = r.v;
    out->n = r.n;
    out->alloc = r.alloc;
    *truncated = r.truncated;
    return 0;
}

int client_deployment_act(struct client *c, const char *name, enum deploy_action act,
                          int64_t expect_change, const char *reason, struct deployment *out,
                          struct ferr *alias_error, struct ferr *err)
{
    const struct api_op *op = api_deployment_act_op(act);
    struct rq_deploy_act q = {name, reason, expect_change < 0 ? -1 : expect_change};
    struct rs_deployment r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (alias_error)
        *alias_error = (struct ferr)FERR_INIT;
    if (!op)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "unknown deployment action %d",
                        (int)act);
    if (need_name(name, err) || client_call(c, op, &q, &r, err))
        return -1;
    *out = r.deployment;
    if (r.alias_error && alias_error)
        ferr_set(alias_error, FERR_INVALID_STATE, "%s", r.alias_error);
    free(r.alias_error);
    return 0;
}

int client_deployment_delete(struct client *c, const char *name, struct ferr *err)
{
    struct rq_deploy_name q = {name};
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_deployments_delete, &q, NULL, err);
}

int client_deployment_status(struct client *c, const char *name, int64_t window_ms,
                             struct deployment *out, struct target_figures_list *figures,
                             struct ferr *err)
{
    struct rq_deploy_status q = {name, window_ms};
    struct rs_deploy_status r;
    memset(out, 0, sizeof(*out));
    memset(figures, 0, sizeof(*figures));
    memset(&r, 0, sizeof(r));
    if (need_name(name, err) || client_call(c, &api_deployments_status, &q, &r, err))
        return -1;
    *out = r.deployment;
    figures->v = r.targets;
    figures->n = r.ntargets;
    figures->alloc = r.alloc;
    return 0;
}

int client_deploy_stats_report(struct client *c, const struct deploy_stats *rows, size_t n,
                               struct ferr *err)
{
    /* The request borrows the rows (nothing of it is released here). */
    struct rq_deploy_stats_report q = {(struct deploy_stats *)rows, n, n};
    if (!n)
        return 0;
    return client_call(c, &api_deployments_stats_report, &q, NULL, err);
}

int client_deploy_stats_read(struct client *c, const char *name, int64_t revision, int64_t since_ms,
                             struct deploy_stats_list *out, struct ferr *err)
{
    struct rq_deploy_stats_read q = {name, revision, since_ms};
    memset(out, 0, sizeof(*out));
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_deployments_stats, &q, out, err);
}

int client_events_search(struct client *c, int64_t after_id, const char *const *kinds,
                         size_t nkinds, int64_t max, struct store_event_list *out, struct ferr *err)
{
    struct rq_events_search q = {after_id, (const char **)kinds, kinds ? nkinds : 0, max};
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_events_search, &q, out, err);
}
