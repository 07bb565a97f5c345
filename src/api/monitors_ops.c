/* SPDX-License-Identifier: MIT */
#include "api/monitors_ops.h"
#include "api/types.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "base/yaml_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define REPORTS_MAX 1000

static const struct api_monitor_runner *runner;

void api_monitors_set_runner(const struct api_monitor_runner *r)
{
    runner = r;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* A stored JSON text as a value ({} when absent or unparsable). */
static json_t *text_json(const char *text)
{
    json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : json_object();
}

static char *json_text(json_t *j)
{
    return j && !json_is_null(j) ? fjson_dumps(j, JSON_COMPACT) : xstrdup("{}");
}

static char *dup_field(json_t *j, const char *key)
{
    return xstrdup(or_empty(json_string_value(json_object_get(j, key))));
}

static int64_t int_field(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

/* ---------- entity shapes ---------- */

json_t *api_monitor_to_json(const struct monitor *m)
{
    json_t *state = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s}", "last_window_start_ms",
                              (json_int_t)m->last_window_start_ms, "last_window_end_ms",
                              (json_int_t)m->last_window_end_ms, "last_run_ms",
                              (json_int_t)m->last_run_ms, "last_status", or_empty(m->last_status),
                              "last_error", or_empty(m->last_error), "run_id", or_empty(m->run_id));
    return json_pack("{s:s, s:I, s:o, s:I, s:I, s:s, s:s, s:o}", "name", or_empty(m->name),
                     "revision", (json_int_t)m->revision, "spec", monitor_spec_to_json(&m->spec),
                     "created_ms", (json_int_t)m->created_ms, "updated_ms",
                     (json_int_t)m->updated_ms, "created_by", or_empty(m->created_by), "applied_by",
                     or_empty(m->applied_by), "state", state);
}

static int monitor_from_json(json_t *j, struct monitor *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *spec = json_object_get(j, "spec"), *st = json_object_get(j, "state");
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "name")) || !json_is_object(spec))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed monitor");
    if (monitor_spec_parse(spec, &out->spec, err))
        return -1;
    out->name = dup_field(j, "name");
    out->revision = int_field(j, "revision");
    out->created_ms = int_field(j, "created_ms");
    out->updated_ms = int_field(j, "updated_ms");
    out->created_by = dup_field(j, "created_by");
    out->applied_by = dup_field(j, "applied_by");
    out->last_window_start_ms = int_field(st, "last_window_start_ms");
    out->last_window_end_ms = int_field(st, "last_window_end_ms");
    out->last_run_ms = int_field(st, "last_run_ms");
    out->last_status = dup_field(st, "last_status");
    out->last_error = dup_field(st, "last_error");
    out->run_id = dup_field(st, "run_id");
    return 0;
}

json_t *api_monitor_report_to_json(const struct monitor_report *r)
{
    json_t *j = json_pack(
        "{s:I, s:s, s:I, s:I, s:s, s:I, s:o, s:o, s:o, s:s, s:I}", "id", (json_int_t)r->id,
        "monitor", or_empty(r->monitor), "window_start_ms", (json_int_t)r->window_start_ms,
        "window_end_ms", (json_int_t)r->window_end_ms, "status", monitor_status_name(r->status),
        "n_rows", (json_int_t)r->n_rows, "dataset_drift",
        r->dataset_drift < 0 ? json_null() : json_boolean(r->dataset_drift),
        "share_of_drifted_columns",
        isfinite(r->share_of_drifted_columns) ? json_real(r->share_of_drifted_columns)
                                              : json_null(),
        "figures", text_json(r->figures), "error", or_empty(r->error), "created_ms",
        (json_int_t)r->created_ms);
    if (r->report)
        json_object_set_new(j, "report", text_json(r->report));
    return j;
}

static int report_from_json(json_t *j, struct monitor_report *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    const char *status = json_string_value(json_object_get(j, "status"));
    if (!json_is_object(j) || !status || monitor_status_parse(status, &out->status))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed monitor report");
    json_t *dd = json_object_get(j, "dataset_drift"),
           *share = json_object_get(j, "share_of_drifted_columns"),
           *body = json_object_get(j, "report");
    out->id = int_field(j, "id");
    out->monitor = dup_field(j, "monitor");
    out->window_start_ms = int_field(j, "window_start_ms");
    out->window_end_ms = int_field(j, "window_end_ms");
    out->n_rows = int_field(j, "n_rows");
    out->dataset_drift = json_is_boolean(dd) ? json_is_true(dd) : -1;
    out->share_of_drifted_columns = json_is_number(share) ? json_number_value(share) : NAN;
    out->figures = json_text(json_object_get(j, "figures"));
    out->report = body ? json_text(body) : NULL;
    out->error = dup_field(j, "error");
    out->created_ms = int_field(j, "created_ms");
    return 0;
}

#define TYPE(id, T, to, from, rel) API_TYPE_OF(static, id##_type, #id, T, to, from, rel, NULL)

TYPE(monitor, struct monitor, api_monitor_to_json, monitor_from_json, monitor_release);
TYPE(monitor_report, struct monitor_report, api_monitor_report_to_json, report_from_json,
     monitor_report_release);

/* ---------- messages ---------- */

static const struct api_field apply_fields[] = {
    F_CUSTOM(struct rq_monitor_apply, spec, "spec", &api_object_field),
    F_STR(struct rq_monitor_apply, spec_yaml, "spec_yaml", 0),
    F_INT(struct rq_monitor_apply, revision, "revision", AF_OMIT_EMPTY, -1),
};
static const struct api_msg apply_req = API_MSG(struct rq_monitor_apply, apply_fields);
static const struct api_field apply_resp_fields[] = {
    F_OBJ(struct rs_monitor_apply, monitor, "monitor", 0, &monitor_type),
    F_BOOL(struct rs_monitor_apply, changed, "changed", 0),
};
static const struct api_msg apply_resp = API_MSG(struct rs_monitor_apply, apply_resp_fields);

static const struct api_field name_fields[] = {
    F_STR(struct rq_monitor_name, name, "name", AF_NONEMPTY),
};
static const struct api_msg name_req = API_MSG(struct rq_monitor_name, name_fields);
static const struct api_field monitor_fields[] = {
    F_OBJ(struct rs_monitor, monitor, "monitor", 0, &monitor_type),
};
static const struct api_msg monitor_resp = API_MSG(struct rs_monitor, monitor_fields);

static const struct api_field list_fields[] = {
    F_STR(struct rq_monitor_list, deployment, "deployment", AF_OMIT_EMPTY),
};
static const struct api_msg list_req = API_MSG(struct rq_monitor_list, list_fields);
static const struct api_field list_resp_fields[] = {
    F_LIST(struct monitor_list, v, n, alloc, "monitors", 0, &monitor_type),
};
static const struct api_msg list_resp = API_MSG(struct monitor_list, list_resp_fields);

static const struct api_field run_fields[] = {
    F_STR(struct rq_monitor_run, name, "name", AF_NONEMPTY),
    F_INT(struct rq_monitor_run, end_time, "end_time", AF_OMIT_EMPTY, 0),
};
static const struct api_msg run_req = API_MSG(struct rq_monitor_run, run_fields);
static const struct api_field run_resp_fields[] = {
    F_OBJ(struct rs_monitor_run, report, "report", 0, &monitor_report_type),
    F_BOOL(struct rs_monitor_run, inserted, "inserted", 0),
};
static const struct api_msg run_resp = API_MSG(struct rs_monitor_run, run_resp_fields);

static const struct api_field reports_fields[] = {
    F_STR(struct rq_monitor_reports, name, "name", AF_NONEMPTY),
    F_INT(struct rq_monitor_reports, max_results, "max_results", AF_OMIT_EMPTY, 0),
    F_INT(struct rq_monitor_reports, before_time, "before_time", AF_OMIT_EMPTY, 0),
    F_STR(struct rq_monitor_reports, page_token, "page_token", AF_OMIT_EMPTY),
    F_BOOL(struct rq_monitor_reports, with_report, "with_report", AF_OMIT_EMPTY),
};
static const struct api_msg reports_req = API_MSG(struct rq_monitor_reports, reports_fields);
static const struct api_field reports_resp_fields[] = {
    F_LIST(struct rs_monitor_reports, reports.v, reports.n, reports.alloc, "reports", 0,
           &monitor_report_type),
    F_STR(struct rs_monitor_reports, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg reports_resp = API_MSG(struct rs_monitor_reports, reports_resp_fields);

static const struct api_field report_fields[] = {
    F_STR(struct rq_monitor_report, name, "name", AF_NONEMPTY),
    F_INT(struct rq_monitor_report, window_start, "window_start", AF_REQUIRED, 0),
};
static const struct api_msg report_req = API_MSG(struct rq_monitor_report, report_fields);
static const struct api_field report_resp_fields[] = {
    F_OBJ(struct rs_monitor_report, report, "report", 0, &monitor_report_type),
};
static const struct api_msg report_resp = API_MSG(struct rs_monitor_report, report_resp_fields);

/* ---------- what the rows do ---------- */

static const char *user_of(const struct api_env *env)
{
    return env->user ? env->user : "";
}

static int x_apply(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    (void)op;
    struct rq_monitor_apply *q = req;
    struct rs_monitor_apply *r = resp;
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
    int rc = 0;
    if (runner && runner->check) {
        /* the spec's own rules first (the store checks them again), then
         * what it watches */
        struct monitor_spec spec;
        rc = monitor_spec_parse(doc, &spec, err);
        if (!rc) {
            rc = runner->check(env, &spec, err);
            monitor_spec_release(&spec);
        }
    }
    if (!rc)
        rc = store_monitor_apply(env->store, doc, q->revision, user_of(env), &r->monitor,
                                 &r->changed, err);
    json_decref(owned);
    return rc;
}

/* What a sink may carry that is a credential in practice: a webhook URL's
 * user info, path and query (Slack's and Teams' incoming webhooks are
 * their own secret), its extra header values (Authorization), a command's
 * arguments. Reads are anyone's who may sign in, changes an admin's: a
 * reader who is not an admin sees the URL's scheme and host only, and
 * "***" for the rest. */
#define REDACTED "***"

static void redact_url(char **url)
{
    const char *u = *url, *sep = strstr(u, "://");
    if (!sep)
        return;
    const char *host = sep + 3, *end = host + strcspn(host, "/?#");
    for (const char *at = host; at < end; at++)
        if (*at == '@')
            host = at + 1;
    struct sbuf sb = SBUF_INIT;
    sbuf_add(&sb, u, (size_t)(sep + 3 - u));
    sbuf_add(&sb, host, (size_t)(end - host));
    if (*end || host != sep + 3)
        sbuf_addstr(&sb, "/" REDACTED);
    free(*url);
    *url = sbuf_detach(&sb, NULL);
}

static void redact_sinks(const struct api_env *env, struct monitor *m)
{
    if (!env->authenticated || env->is_admin)
        return;
    for (size_t i = 0; i < m->spec.nsinks; i++) {
        struct monitor_sink *k = &m->spec.sinks[i];
        if (k->url)
            redact_url(&k->url);
        for (size_t h = 0; h < k->nheaders; h++) {
            free(k->header_values[h]);
            k->header_values[h] = xstrdup(REDACTED);
        }
        for (size_t a = 0; a < k->nargs; a++) {
            free(k->args[a]);
            k->args[a] = xstrdup(REDACTED);
        }
    }
}

static int x_get(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    struct monitor *m = &((struct rs_monitor *)resp)->monitor;
    if (store_monitor_get(env->store, ((struct rq_monitor_name *)req)->name, m, err))
        return -1;
    redact_sinks(env, m);
    return 0;
}

static int x_list(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    const char *d = ((struct rq_monitor_list *)req)->deployment;
    struct monitor_list *l = resp;
    if (store_monitor_list(env->store, d && *d ? d : NULL, l, err))
        return -1;
    for (size_t i = 0; i < l->n; i++)
        redact_sinks(env, &l->v[i]);
    return 0;
}

static int x_delete(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    (void)resp;
    return store_monitor_delete(env->store, ((struct rq_monitor_name *)req)->name, user_of(env),
                                err);
}

static int x_run(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    struct rq_monitor_run *q = req;
    struct rs_monitor_run *r = resp;
    if (q->end_time < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'end_time': expected ms since the epoch");
    if (!runner || !runner->run)
        return ferr_set(err, FERR_NOT_IMPLEMENTED,
                        "monitors are run by a ferry server or an in-process client");
    return runner->run(env, q->name, q->end_time, &r->report, &r->inserted, err);
}

static int x_reports(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    struct rq_monitor_reports *q = req;
    struct rs_monitor_reports *r = resp;
    if (q->max_results < 0 || q->max_results > REPORTS_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_results': expected 1 to %d", REPORTS_MAX);
    if (q->before_time < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'before_time': expected ms since the epoch");
    return store_monitor_reports(env->store, q->name, q->max_results, q->before_time, q->page_token,
                                 q->with_report, &r->reports, &r->next_page_token, err);
}

static int x_report(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    struct rq_monitor_report *q = req;
    return store_monitor_report_get(env->store, q->name, q->window_start,
                                    &((struct rs_monitor_report *)resp)->report, err);
}

/* ---------- rows ---------- */

#define ROW(nm, m, call_, fl, rq, rs, fn, acc)                                                     \
    {                                                                                              \
        .name = nm, .root = "/api/2.0/ferry", .path = nm, .methods = m, .call = call_,             \
        .flags = fl, .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = 0,      \
        .res = {                                                                                   \
            acc,                                                                                   \
            LOC_NONE,                                                                              \
            NULL                                                                                   \
        }                                                                                          \
    }
#define READ_ROW(nm, rq, rs, fn) ROW(nm, HTTP_GET, HTTP_GET, OP_IDEMPOTENT, rq, rs, fn, ACCESS_READ)
/* Changes: EDIT on no particular resource, as the deployments' changes. */
#define EDIT_ROW(nm, rq, rs, fn) ROW(nm, HTTP_POST, HTTP_POST, 0, rq, rs, fn, ACCESS_EDIT)

const struct api_op api_monitors_apply =
    EDIT_ROW("monitors/apply", &apply_req, &apply_resp, x_apply);
const struct api_op api_monitors_get = READ_ROW("monitors/get", &name_req, &monitor_resp, x_get);
const struct api_op api_monitors_list = READ_ROW("monitors/list", &list_req, &list_resp, x_list);
const struct api_op api_monitors_delete = ROW("monitors/delete", HTTP_POST | HTTP_DELETE, HTTP_POST,
                                              0, &name_req, NULL, x_delete, ACCESS_EDIT);
/* A window is stored at most once: a resend answers the stored report. */
const struct api_op api_monitors_run =
    ROW("monitors/run", HTTP_POST, HTTP_POST, 0, &run_req, &run_resp, x_run, ACCESS_EDIT);
const struct api_op api_monitors_reports =
    READ_ROW("monitors/reports", &reports_req, &reports_resp, x_reports);
const struct api_op api_monitors_report =
    READ_ROW("monitors/report", &report_req, &report_resp, x_report);

static const struct api_op *const monitors_ops[] = {
    &api_monitors_apply, &api_monitors_get,     &api_monitors_list,   &api_monitors_delete,
    &api_monitors_run,   &api_monitors_reports, &api_monitors_report,
};
const struct api_area api_monitors_area = {"monitors", monitors_ops,
                                           sizeof(monitors_ops) / sizeof(*monitors_ops)};
