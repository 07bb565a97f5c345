/* SPDX-License-Identifier: MIT */
#include "api/deployments_ops.h"
#include "api/types.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "base/yaml_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_KINDS           64
#define MAX_WINDOW_MS       (3600 * 1000) /* figures are kept for an hour */
#define MAX_EVENTS          1000
#define DEFAULT_EVENTS      100
#define DEFAULT_WINDOW_MS   60000
#define DEFAULT_LOOP_EVENTS 1000

/* ---------- entity shapes ---------- */

/* A stored JSON text as a value (a string when it does not parse). */
static json_t *text_json(const char *text)
{
    json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : json_string(text ? text : "");
}

/* A value as text for a struct that keeps it so; NULL when absent. */
static char *json_text(json_t *j)
{
    return j && !json_is_null(j) ? fjson_dumps(j, JSON_COMPACT) : NULL;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

json_t *api_deployment_to_json(const struct deployment *d)
{
    return json_pack("{s:s, s:I, s:I, s:o, s:o, s:I, s:I, s:s, s:s}", "name", or_empty(d->name),
                     "revision", (json_int_t)d->revision, "change", (json_int_t)d->change, "spec",
                     deployment_spec_to_json(&d->spec), "status",
                     deployment_status_to_json(&d->status, d->spec.ntargets), "created_ms",
                     (json_int_t)d->created_ms, "updated_ms", (json_int_t)d->updated_ms,
                     "created_by", or_empty(d->created_by), "updated_by", or_empty(d->updated_by));
}

static int deployment_from_json(json_t *j, struct deployment *out, struct ferr *err)
{
    const char *name = json_string_value(json_object_get(j, "name"));
    char *spec = json_text(json_object_get(j, "spec"));
    char *status = json_text(json_object_get(j, "status"));
    memset(out, 0, sizeof(*out));
    int rc = -1;
    if (!name || !spec || !status) {
        ferr_set(err, FERR_IO_ERROR, "the server sent a malformed deployment");
    } else {
        rc = deployment_from_row(name, json_integer_value(json_object_get(j, "revision")),
                                 json_integer_value(json_object_get(j, "change")), spec, status,
                                 json_integer_value(json_object_get(j, "created_ms")),
                                 json_integer_value(json_object_get(j, "updated_ms")),
                                 or_empty(json_string_value(json_object_get(j, "created_by"))),
                                 or_empty(json_string_value(json_object_get(j, "updated_by"))), out,
                                 err);
    }
    free(spec);
    free(status);
    return rc;
}

static json_t *change_to_json(const struct deployment_change *c)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:I, s:s, s:o, s:o}", "change", (json_int_t)c->change,
                     "revision", (json_int_t)c->revision, "action", or_empty(c->action), "user_id",
                     or_empty(c->user_id), "time_ms", (json_int_t)c->time_ms, "reason",
                     or_empty(c->reason), "spec", text_json(c->spec_json), "status",
                     text_json(c->status_json));
}

static void change_release(struct deployment_change *c)
{
    free(c->action);
    free(c->user_id);
    free(c->reason);
    free(c->spec_json);
    free(c->status_json);
    memset(c, 0, sizeof(*c));
}

static char *dup_field(json_t *j, const char *key)
{
    return xstrdup(or_empty(json_string_value(json_object_get(j, key))));
}

static int change_from_json(json_t *j, struct deployment_change *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "action")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed deployment change");
    out->change = json_integer_value(json_object_get(j, "change"));
    out->revision = json_integer_value(json_object_get(j, "revision"));
    out->time_ms = json_integer_value(json_object_get(j, "time_ms"));
    out->action = dup_field(j, "action");
    out->user_id = dup_field(j, "user_id");
    out->reason = dup_field(j, "reason");
    out->spec_json = json_text(json_object_get(j, "spec"));
    out->status_json = json_text(json_object_get(j, "status"));
    if (!out->spec_json)
        out->spec_json = xstrdup("{}");
    if (!out->status_json)
        out->status_json = xstrdup("{}");
    return 0;
}

static json_t *event_to_json(const struct store_event *e)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)e->id, "time_ms",
                     (json_int_t)e->time_ms, "kind", or_empty(e->kind), "subject",
                     or_empty(e->subject), "user_id", or_empty(e->user_id), "payload",
                     text_json(e->payload ? e->payload : "{}"));
}

static void event_release(struct store_event *e)
{
    free(e->kind);
    free(e->subject);
    free(e->user_id);
    free(e->payload);
    memset(e, 0, sizeof(*e));
}

static int event_from_json(json_t *j, struct store_event *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "kind")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed event");
    out->id = json_integer_value(json_object_get(j, "id"));
    out->time_ms = json_integer_value(json_object_get(j, "time_ms"));
    out->kind = dup_field(j, "kind");
    out->subject = dup_field(j, "subject");
    out->user_id = dup_field(j, "user_id");
    out->payload = json_text(json_object_get(j, "payload"));
    if (!out->payload)
        out->payload = xstrdup("{}");
    return 0;
}

static json_t *stats_to_json(const struct deploy_stats *s)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "deployment",
                     or_empty(s->deployment), "revision", (json_int_t)s->revision, "gateway",
                     or_empty(s->gateway), "target", or_empty(s->target), "second_ms",
                     (json_int_t)s->second_ms, "requests", (json_int_t)s->requests, "errors",
                     (json_int_t)s->errors, "client_errors", (json_int_t)s->client_errors, "hist",
                     s->hist ? s->hist : "v1;0;");
}

static void stats_release(struct deploy_stats *s)
{
    free(s->deployment);
    free(s->gateway);
    free(s->target);
    free(s->hist);
    memset(s, 0, sizeof(*s));
}

/* A gateway's row, checked (this is a request's entity on the server). */
static int stats_from_json(json_t *j, struct deploy_stats *out, struct ferr *err)
{
    const char *dep = NULL, *gw = NULL, *tgt = NULL, *hist = NULL;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return fjson_invalid(err, "stats", j);
    if (fjson_get_str(j, "deployment", JSON_REQUIRED, &dep, err) < 0 ||
        fjson_get_str(j, "gateway", JSON_REQUIRED, &gw, err) < 0 ||
        fjson_get_str(j, "target", JSON_REQUIRED, &tgt, err) < 0 ||
        fjson_get_str(j, "hist", JSON_OPTIONAL, &hist, err) < 0 ||
        fjson_get_int64(j, "revision", JSON_REQUIRED, &out->revision, err) < 0 ||
        fjson_get_int64(j, "second_ms", JSON_REQUIRED, &out->second_ms, err) < 0 ||
        fjson_get_int64(j, "requests", JSON_OPTIONAL, &out->requests, err) < 0 ||
        fjson_get_int64(j, "errors", JSON_OPTIONAL, &out->errors, err) < 0 ||
        fjson_get_int64(j, "client_errors", JSON_OPTIONAL, &out->client_errors, err) < 0)
        return -1;
    if (!hist)
        hist = "v1;0;";
    struct latency_hist h;
    struct ferr herr = FERR_INIT;
    if (latency_hist_decode(hist, strlen(hist), &h, &herr))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid 'hist' of %.200s: %s", tgt,
                        herr.msg);
    out->deployment = xstrdup(dep);
    out->gateway = xstrdup(gw);
    out->target = xstrdup(tgt);
    out->hist = xstrdup(hist);
    return 0;
}

/* A quantile or NAN as JSON (null: no latencies in the window). */
static json_t *ms_json(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

json_t *api_target_figures_to_json(const struct target_figures *f)
{
    return json_pack("{s:s, s:b, s:i, s:I, s:I, s:I, s:f, s:o, s:o, s:f}", "target",
                     or_empty(f->target), "shadow", f->shadow, "weight", f->weight, "requests",
                     (json_int_t)f->requests, "errors", (json_int_t)f->errors, "client_errors",
                     (json_int_t)f->client_errors, "error_rate", f->error_rate, "p50_ms",
                     ms_json(f->p50_ms), "p99_ms", ms_json(f->p99_ms), "rps", f->rps);
}

static double num_or_nan(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int figures_from_json(json_t *j, struct target_figures *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    latency_hist_init(&out->hist);
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "target")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent malformed target figures");
    out->target = dup_field(j, "target");
    out->shadow = json_is_true(json_object_get(j, "shadow"));
    out->weight = (int)json_integer_value(json_object_get(j, "weight"));
    out->requests = json_integer_value(json_object_get(j, "requests"));
    out->errors = json_integer_value(json_object_get(j, "errors"));
    out->client_errors = json_integer_value(json_object_get(j, "client_errors"));
    out->error_rate = json_number_value(json_object_get(j, "error_rate"));
    out->p50_ms = num_or_nan(json_object_get(j, "p50_ms"));
    out->p99_ms = num_or_nan(json_object_get(j, "p99_ms"));
    out->rps = json_number_value(json_object_get(j, "rps"));
    return 0;
}

static void figures_release(struct target_figures *f)
{
    free(f->target);
    f->target = NULL;
}

json_t *api_loop_event_to_json(const struct loop_event *e)
{
    return loop_event_to_json(e);
}

/* A client's view of an event: its own fields are what is left of the
 * object once time_ms, time and event are taken out. */
static int loop_event_from_json(json_t *j, struct loop_event *out, struct ferr *err)
{
    const char *ev = json_string_value(json_object_get(j, "event"));
    json_t *t = json_object_get(j, "time_ms");
    memset(out, 0, sizeof(*out));
    for (int k = LOOP_ALERT_OPENED; ev && k <= LOOP_PIPELINE_FINISHED; k++)
        if (!strcmp(ev, loop_kind_name((enum loop_kind)k))) {
            if (!json_is_integer(t))
                break;
            out->time_ms = json_integer_value(t);
            out->kind = (enum loop_kind)k;
            out->fields = json_deep_copy(j);
            json_object_del(out->fields, "time_ms");
            json_object_del(out->fields, "time");
            json_object_del(out->fields, "event");
            return 0;
        }
    return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed loop event");
}

static void loop_event_release(struct loop_event *e)
{
    json_decref(e->fields);
    e->fields = NULL;
}

#define TYPE(id, T, to, from, rel) API_TYPE_OF(static, id##_type, #id, T, to, from, rel, NULL)

TYPE(deployment, struct deployment, api_deployment_to_json, deployment_from_json,
     deployment_release);
TYPE(deployment_change, struct deployment_change, change_to_json, change_from_json, change_release);
TYPE(store_event, struct store_event, event_to_json, event_from_json, event_release);
TYPE(loop_event, struct loop_event, api_loop_event_to_json, loop_event_from_json,
     loop_event_release);
TYPE(deploy_stats, struct deploy_stats, stats_to_json, stats_from_json, stats_release);
TYPE(target_figures, struct target_figures, api_target_figures_to_json, figures_from_json,
     figures_release);

/* ---------- messages ---------- */

static const struct api_field apply_fields[] = {
    F_CUSTOM(struct rq_deploy_apply, spec, "spec", &api_object_field),
    F_STR(struct rq_deploy_apply, spec_yaml, "spec_yaml", 0),
    F_INT(struct rq_deploy_apply, revision, "revision", AF_OMIT_EMPTY, -1),
    F_BOOL(struct rq_deploy_apply, no_check, "no_check", AF_OMIT_EMPTY),
};
static const struct api_msg apply_req = API_MSG(struct rq_deploy_apply, apply_fields);
static const struct api_field apply_resp_fields[] = {
    F_OBJ(struct rs_deploy_apply, deployment, "deployment", 0, &deployment_type),
    F_BOOL(struct rs_deploy_apply, changed, "changed", 0),
};
static const struct api_msg apply_resp = API_MSG(struct rs_deploy_apply, apply_resp_fields);

static const struct api_field name_fields[] = {
    F_STR(struct rq_deploy_name, name, "name", AF_NONEMPTY),
};
static const struct api_msg name_req = API_MSG(struct rq_deploy_name, name_fields);
static const struct api_field deployment_fields[] = {
    F_OBJ(struct rs_deployment, deployment, "deployment", 0, &deployment_type),
    F_STR(struct rs_deployment, alias_error, "alias_error", AF_OMIT_EMPTY),
};
static const struct api_msg deployment_resp = API_MSG(struct rs_deployment, deployment_fields);

static const struct api_msg list_req = {sizeof(int), NULL, 0};
static const struct api_field list_fields[] = {
    F_LIST(struct deployment_list, v, n, alloc, "deployments", 0, &deployment_type),
};
static const struct api_msg list_resp = API_MSG(struct deployment_list, list_fields);

static const struct api_field history_fields[] = {
    F_LIST(struct deployment_change_list, v, n, alloc, "changes", 0, &deployment_change_type),
};
static const struct api_msg history_resp = API_MSG(struct deployment_change_list, history_fields);

static const struct api_field act_fields[] = {
    F_STR(struct rq_deploy_act, name, "name", AF_NONEMPTY),
    F_STR(struct rq_deploy_act, reason, "reason", AF_OMIT_EMPTY),
    F_INT(struct rq_deploy_act, change, "change", AF_OMIT_EMPTY, -1),
};
static const struct api_msg act_req = API_MSG(struct rq_deploy_act, act_fields);

static const struct api_field status_fields[] = {
    F_STR(struct rq_deploy_status, name, "name", AF_NONEMPTY),
    F_INT(struct rq_deploy_status, window_ms, "window_ms", AF_OMIT_EMPTY, DEFAULT_WINDOW_MS),
};
static const struct api_msg status_req = API_MSG(struct rq_deploy_status, status_fields);
static const struct api_field status_resp_fields[] = {
    F_OBJ(struct rs_deploy_status, deployment, "deployment", 0, &deployment_type),
    F_LIST(struct rs_deploy_status, targets, ntargets, alloc, "targets", 0, &target_figures_type),
};
static const struct api_msg status_resp = API_MSG(struct rs_deploy_status, status_resp_fields);

static const struct api_field report_fields[] = {
    F_LIST(struct rq_deploy_stats_report, v, n, alloc, "stats", AF_REQUIRED, &deploy_stats_type),
};
static const struct api_msg report_req = API_MSG(struct rq_deploy_stats_report, report_fields);

static const struct api_field stats_read_fields[] = {
    F_STR(struct rq_deploy_stats_read, name, "name", AF_NONEMPTY),
    F_INT(struct rq_deploy_stats_read, revision, "revision", AF_REQUIRED, 0),
    F_INT(struct rq_deploy_stats_read, since_ms, "since_ms", 0, 0),
};
static const struct api_msg stats_read_req =
    API_MSG(struct rq_deploy_stats_read, stats_read_fields);
static const struct api_field stats_fields[] = {
    F_LIST(struct deploy_stats_list, v, n, alloc, "stats", 0, &deploy_stats_type),
};
static const struct api_msg stats_resp = API_MSG(struct deploy_stats_list, stats_fields);

static const struct api_field loop_fields[] = {
    F_STR(struct rq_deploy_loop, name, "name", AF_NONEMPTY),
    F_INT(struct rq_deploy_loop, start_time, "start_time", AF_OMIT_EMPTY, 0),
    F_INT(struct rq_deploy_loop, end_time, "end_time", AF_OMIT_EMPTY, 0),
    F_INT(struct rq_deploy_loop, max_results, "max_results", AF_OMIT_EMPTY, DEFAULT_LOOP_EVENTS),
};
static const struct api_msg loop_req = API_MSG(struct rq_deploy_loop, loop_fields);
static const struct api_field loop_resp_fields[] = {
    F_LIST(struct rs_deploy_loop, v, n, alloc, "events", 0, &loop_event_type),
    F_BOOL(struct rs_deploy_loop, truncated, "truncated", 0),
};
static const struct api_msg loop_resp = API_MSG(struct rs_deploy_loop, loop_resp_fields);

static const struct api_field events_fields[] = {
    F_INT(struct rq_events_search, after_id, "after_id", AF_OMIT_EMPTY, 0),
    F_STRS(struct rq_events_search, kinds, nkinds, "kinds", AF_OMIT_EMPTY),
    F_INT(struct rq_events_search, max_results, "max_results", AF_OMIT_EMPTY, DEFAULT_EVENTS),
};
static const struct api_msg events_req = API_MSG(struct rq_events_search, events_fields);
static const struct api_field events_resp_fields[] = {
    F_LIST(struct store_event_list, v, n, alloc, "events", 0, &store_event_type),
};
static const struct api_msg events_resp = API_MSG(struct store_event_list, events_resp_fields);

/* ---------- what the rows do ---------- */

static const char *user_of(const struct api_env *env)
{
    return env->user ? env->user : "";
}

static int x_apply(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    (void)op;
    struct rq_deploy_apply *q = req;
    struct rs_deploy_apply *r = resp;
    json_t *doc = q->spec, *owned = NULL;
    if (q->spec && q->spec_yaml)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "give the spec as 'spec' or as 'spec_yaml', not both");
    if (!q->spec && !q->spec_yaml)
        return fjson_missing(err, "spec");
    if (q->revision < -1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'revision': expected 0 or more");
    if (!doc) {
        if (yaml_to_json(q->spec_yaml, strlen(q->spec_yaml), &owned, err))
            return -1;
        if (!json_is_object(owned)) {
            json_decref(owned);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'spec_yaml': expected a mapping");
        }
        doc = owned;
    }
    int rc = store_deployment_apply_checked(env->store, doc, q->revision, user_of(env),
                                            q->no_check ? NULL : env->check_spec,
                                            env->check_spec_arg, &r->deployment, &r->changed, err);
    json_decref(owned);
    return rc;
}

static int x_get(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    return store_deployment_get(env->store, ((struct rq_deploy_name *)req)->name,
                                &((struct rs_deployment *)resp)->deployment, err);
}

static int x_list(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    (void)req;
    return store_deployment_list(env->store, resp, err);
}

static int x_history(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    return store_deployment_history(env->store, ((struct rq_deploy_name *)req)->name, resp, err);
}

static int x_act(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    struct rq_deploy_act *q = req;
    struct rs_deployment *r = resp;
    struct ferr alias = FERR_INIT;
    if (q->change < -1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'change': expected 0 or more");
    if (store_deployment_act(env->store, q->name, (enum deploy_action)op->arg, q->change, q->reason,
                             user_of(env), &r->deployment, &alias, err))
        return -1;
    if (alias.code != FERR_OK)
        r->alias_error = xstrdup(alias.msg);
    return 0;
}

static int x_delete(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    (void)resp;
    return store_deployment_delete(env->store, ((struct rq_deploy_name *)req)->name, user_of(env),
                                   err);
}

static int x_status(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    struct rq_deploy_status *q = req;
    struct rs_deploy_status *r = resp;
    struct deploy_stats_list rows = {NULL, 0, 0};
    struct target_figures_list figs = {NULL, 0, 0};
    if (q->window_ms < 1000 || q->window_ms > MAX_WINDOW_MS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'window_ms': expected 1000 to %d",
                        MAX_WINDOW_MS);
    if (store_deployment_get(env->store, q->name, &r->deployment, err))
        return -1;
    /* The figures of the last window_ms, the second now being filled included. */
    int64_t now = ftime_now_ms(), since = now - q->window_ms;
    if (store_deploy_stats_read(env->store, q->name, r->deployment.revision, since, &rows, err) ||
        deployment_figures(&r->deployment, &rows, since, now + 1, &figs, err)) {
        deploy_stats_list_release(&rows);
        deployment_release(&r->deployment);
        return -1;
    }
    deploy_stats_list_release(&rows);
    r->targets = figs.v;
    r->ntargets = figs.n;
    r->alloc = figs.alloc;
    return 0;
}

static int x_stats_report(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                          struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_deploy_stats_report *q = req;
    return store_deploy_stats_put(env->store, q->v, q->n, err);
}

static int x_stats_read(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                        struct ferr *err)
{
    (void)op;
    struct rq_deploy_stats_read *q = req;
    return store_deploy_stats_read(env->store, q->name, q->revision, q->since_ms, resp, err);
}

static int x_loop(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_deploy_loop *q = req;
    struct rs_deploy_loop *r = resp;
    if (q->start_time < 0 || q->end_time < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter '%s': expected milliseconds since the epoch",
                        q->start_time < 0 ? "start_time" : "end_time");
    if (q->end_time && q->end_time < q->start_time)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'end_time': before start_time");
    if (q->max_results < 1 || q->max_results > LOOP_MAX_EVENTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_results': expected 1 to %d",
                        LOOP_MAX_EVENTS);
    struct loop_query lq = {q->name, q->start_time, q->end_time, q->max_results};
    struct loop_event_list l;
    if (store_deployment_loop(env->store, &lq, &l, &r->truncated, err))
        return -1;
    r->v = l.v;
    r->n = l.n;
    r->alloc = l.alloc;
    return 0;
}

static int x_events(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    struct rq_events_search *q = req;
    char *copies[MAX_KINDS];
    const char *kinds[MAX_KINDS];
    size_t n = 0;
    int rc = -1;
    if (q->after_id < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'after_id': expected 0 or more");
    if (q->max_results < 1 || q->max_results > MAX_EVENTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_results': expected 1 to %d", MAX_EVENTS);
    /* kinds=a,b and kinds=a&kinds=b alike */
    for (size_t i = 0; i < q->nkinds; i++) {
        const char *s = q->kinds[i];
        while (s && *s) {
            size_t len = strcspn(s, ",");
            if (len) {
                if (n == MAX_KINDS) {
                    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                             "invalid value for parameter 'kinds': at most %d kinds", MAX_KINDS);
                    goto out;
                }
                copies[n] = xstrndup(s, len);
                kinds[n] = copies[n];
                n++;
            }
            s += len + (s[len] == ',');
        }
    }
    rc = store_events_search(env->store, q->after_id, n ? kinds : NULL, n, q->max_results, resp,
                             err);
out:
    for (size_t i = 0; i < n; i++)
        free(copies[i]);
    return rc;
}

/* ---------- rows ---------- */

#define ROW(nm, m, call_, fl, rq, rs, fn, a, acc)                                                  \
    {                                                                                              \
        .name = nm, .root = "/api/2.0/ferry", .path = nm, .methods = m, .call = call_,             \
        .flags = fl, .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = a,      \
        .res = {                                                                                   \
            acc,                                                                                   \
            LOC_NONE,                                                                              \
            NULL                                                                                   \
        }                                                                                          \
    }
#define READ_ROW(nm, rq, rs, fn)                                                                   \
    ROW(nm, HTTP_GET, HTTP_GET, OP_IDEMPOTENT, rq, rs, fn, 0, ACCESS_READ)
/* Changes: EDIT on no particular resource, an admin's with auth on
 * (per-deployment permissions later). */
#define EDIT_ROW(nm, rq, rs, fn, a) ROW(nm, HTTP_POST, HTTP_POST, 0, rq, rs, fn, a, ACCESS_EDIT)

const struct api_op api_deployments_apply =
    EDIT_ROW("deployments/apply", &apply_req, &apply_resp, x_apply, 0);
const struct api_op api_deployments_get =
    READ_ROW("deployments/get", &name_req, &deployment_resp, x_get);
const struct api_op api_deployments_list =
    READ_ROW("deployments/list", &list_req, &list_resp, x_list);
const struct api_op api_deployments_history =
    READ_ROW("deployments/history", &name_req, &history_resp, x_history);
static const struct api_op act_pause =
    EDIT_ROW("deployments/pause", &act_req, &deployment_resp, x_act, DEPLOY_ACT_PAUSE);
static const struct api_op act_resume =
    EDIT_ROW("deployments/resume", &act_req, &deployment_resp, x_act, DEPLOY_ACT_RESUME);
static const struct api_op act_rollback =
    EDIT_ROW("deployments/rollback", &act_req, &deployment_resp, x_act, DEPLOY_ACT_ROLLBACK);
static const struct api_op act_promote =
    EDIT_ROW("deployments/promote", &act_req, &deployment_resp, x_act, DEPLOY_ACT_PROMOTE);
/* The rollout controller's next step (a gateway's, with EDIT). */
static const struct api_op act_step =
    EDIT_ROW("deployments/step", &act_req, &deployment_resp, x_act, DEPLOY_ACT_STEP);
const struct api_op api_deployments_delete =
    ROW("deployments/delete", HTTP_POST | HTTP_DELETE, HTTP_POST, 0, &name_req, NULL, x_delete, 0,
        ACCESS_EDIT);
const struct api_op api_deployments_status =
    READ_ROW("deployments/status", &status_req, &status_resp, x_status);
/* Gateways' figures: a replace per (gateway, target, second), so a resend
 * does no harm. */
const struct api_op api_deployments_stats_report =
    ROW("deployments/stats/report", HTTP_POST, HTTP_POST, OP_IDEMPOTENT, &report_req, NULL,
        x_stats_report, 0, ACCESS_ADMIN);
const struct api_op api_deployments_stats =
    READ_ROW("deployments/stats", &stats_read_req, &stats_resp, x_stats_read);
const struct api_op api_deployments_loop =
    READ_ROW("deployments/loop", &loop_req, &loop_resp, x_loop);
const struct api_op api_events_search =
    READ_ROW("events/search", &events_req, &events_resp, x_events);

const struct api_op *api_deployment_act_op(enum deploy_action act)
{
    switch (act) {
    case DEPLOY_ACT_PAUSE:
        return &act_pause;
    case DEPLOY_ACT_RESUME:
        return &act_resume;
    case DEPLOY_ACT_ROLLBACK:
        return &act_rollback;
    case DEPLOY_ACT_PROMOTE:
        return &act_promote;
    case DEPLOY_ACT_STEP:
        return &act_step;
    }
    return NULL;
}

static const struct api_op *const deployments_ops[] = {
    &api_deployments_apply,
    &api_deployments_get,
    &api_deployments_list,
    &api_deployments_history,
    &act_pause,
    &act_resume,
    &act_rollback,
    &act_promote,
    &act_step,
    &api_deployments_delete,
    &api_deployments_status,
    &api_deployments_stats_report,
    &api_deployments_stats,
    &api_deployments_loop,
    &api_events_search,
};
const struct api_area api_deployments_area = {"deployments", deployments_ops,
                                              sizeof(deployments_ops) / sizeof(*deployments_ops)};
