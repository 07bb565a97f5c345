/* SPDX-License-Identifier: MIT */
#include "api/alerts_ops.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_ALERTS     1000
#define DEFAULT_ALERTS 100

/* ---------- entity shapes ---------- */

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* A stored JSON object text as a value ({} when it does not parse). */
static json_t *object_of(const char *text)
{
    json_t *j = text && *text ? json_loads(text, 0, NULL) : NULL;
    if (j && json_is_object(j))
        return j;
    json_decref(j);
    return json_object();
}

json_t *api_alert_to_json(const struct monitor_alert *a)
{
    json_t *j = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:I}", "id", (json_int_t)a->id,
        "monitor", or_empty(a->monitor), "deployment", or_empty(a->deployment), "condition",
        or_empty(a->condition), "state", alert_state_name(a->state), "severity",
        alert_severity_name(a->severity), "message", or_empty(a->message), "details",
        object_of(a->details), "opened_ms", (json_int_t)a->opened_ms, "opened_window_start_ms",
        (json_int_t)a->opened_window_start_ms, "last_window_start_ms",
        (json_int_t)a->last_window_start_ms, "breach_count", (json_int_t)a->breach_count);
    if (!j)
        return NULL;
    json_object_set_new(j, "acked_ms", json_integer(a->acked_ms));
    json_object_set_new(j, "acked_by", json_string(or_empty(a->acked_by)));
    json_object_set_new(j, "resolved_ms", json_integer(a->resolved_ms));
    json_object_set_new(j, "resolved_by", json_string(or_empty(a->resolved_by)));
    json_object_set_new(j, "updated_ms", json_integer(a->updated_ms));
    return j;
}

static char *dup_field(json_t *j, const char *key)
{
    return xstrdup(or_empty(json_string_value(json_object_get(j, key))));
}

static int64_t int_field(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

static int alert_from_json(json_t *j, struct monitor_alert *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    const char *state = json_string_value(json_object_get(j, "state"));
    const char *sev = json_string_value(json_object_get(j, "severity"));
    if (!json_is_object(j) || !json_is_integer(json_object_get(j, "id")) || !state ||
        alert_state_parse(state, &out->state) || !sev || alert_severity_parse(sev, &out->severity))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed alert");
    json_t *details = json_object_get(j, "details");
    out->id = int_field(j, "id");
    out->monitor = dup_field(j, "monitor");
    out->deployment = dup_field(j, "deployment");
    out->condition = dup_field(j, "condition");
    out->message = dup_field(j, "message");
    out->details = json_is_object(details) ? fjson_dumps(details, JSON_COMPACT) : xstrdup("{}");
    out->opened_ms = int_field(j, "opened_ms");
    out->opened_window_start_ms = int_field(j, "opened_window_start_ms");
    out->last_window_start_ms = int_field(j, "last_window_start_ms");
    out->breach_count = int_field(j, "breach_count");
    out->acked_ms = int_field(j, "acked_ms");
    out->acked_by = dup_field(j, "acked_by");
    out->resolved_ms = int_field(j, "resolved_ms");
    out->resolved_by = dup_field(j, "resolved_by");
    out->updated_ms = int_field(j, "updated_ms");
    return 0;
}

json_t *api_delivery_to_json(const struct alert_delivery *d)
{
    json_t *j = json_pack("{s:I, s:I, s:s, s:i, s:s, s:s, s:I, s:s, s:i, s:s}", "id",
                          (json_int_t)d->id, "alert_id", (json_int_t)d->alert_id, "monitor",
                          or_empty(d->monitor), "sink_index", d->sink_index, "sink_kind",
                          or_empty(d->sink_kind), "event", delivery_event_name(d->event), "attempt",
                          (json_int_t)d->attempt, "state", delivery_state_name(d->state),
                          "http_status", d->http_status, "error", or_empty(d->error));
    if (!j)
        return NULL;
    json_object_set_new(j, "created_ms", json_integer(d->created_ms));
    json_object_set_new(j, "next_attempt_ms", json_integer(d->next_attempt_ms));
    json_object_set_new(j, "delivered_ms", json_integer(d->delivered_ms));
    return j;
}

static int delivery_from_json(json_t *j, struct alert_delivery *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    const char *ev = json_string_value(json_object_get(j, "event"));
    const char *st = json_string_value(json_object_get(j, "state"));
    if (!json_is_object(j) || !ev || delivery_event_parse(ev, &out->event) || !st ||
        delivery_state_parse(st, &out->state))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed delivery");
    out->id = int_field(j, "id");
    out->alert_id = int_field(j, "alert_id");
    out->monitor = dup_field(j, "monitor");
    out->sink_index = (int)int_field(j, "sink_index");
    out->sink_kind = dup_field(j, "sink_kind");
    out->attempt = int_field(j, "attempt");
    out->http_status = (int)int_field(j, "http_status");
    out->error = dup_field(j, "error");
    out->created_ms = int_field(j, "created_ms");
    out->next_attempt_ms = int_field(j, "next_attempt_ms");
    out->delivered_ms = int_field(j, "delivered_ms");
    return 0;
}

#define TYPE(id, T, to, from, rel) API_TYPE_OF(static, id##_type, #id, T, to, from, rel, NULL)

TYPE(monitor_alert, struct monitor_alert, api_alert_to_json, alert_from_json,
     monitor_alert_release);
TYPE(alert_delivery, struct alert_delivery, api_delivery_to_json, delivery_from_json,
     alert_delivery_release);

/* ---------- messages ---------- */

static const struct api_field list_fields[] = {
    F_STR(struct rq_alerts_list, monitor, "monitor", AF_OMIT_EMPTY),
    F_STR(struct rq_alerts_list, deployment, "deployment", AF_OMIT_EMPTY),
    F_STRS(struct rq_alerts_list, states, nstates, "state", AF_OMIT_EMPTY),
    F_INT(struct rq_alerts_list, max_results, "max_results", AF_OMIT_EMPTY, DEFAULT_ALERTS),
    F_STR(struct rq_alerts_list, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_req = API_MSG(struct rq_alerts_list, list_fields);
static const struct api_field list_resp_fields[] = {
    F_LIST(struct rs_alerts_list, v, n, alloc, "alerts", 0, &monitor_alert_type),
    F_STR(struct rs_alerts_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_resp = API_MSG(struct rs_alerts_list, list_resp_fields);

static const struct api_field id_fields[] = {
    F_INT(struct rq_alert_id, alert_id, "alert_id", AF_REQUIRED, 0),
};
static const struct api_msg id_req = API_MSG(struct rq_alert_id, id_fields);
static const struct api_field alert_fields[] = {
    F_OBJ(struct rs_alert, alert, "alert", 0, &monitor_alert_type),
};
static const struct api_msg alert_resp = API_MSG(struct rs_alert, alert_fields);
static const struct api_field deliveries_fields[] = {
    F_LIST(struct alert_delivery_list, v, n, alloc, "deliveries", 0, &alert_delivery_type),
};
static const struct api_msg deliveries_resp =
    API_MSG(struct alert_delivery_list, deliveries_fields);

/* ---------- what the rows do ---------- */

int api_alert_states_parse(const char *const *words, size_t n, int *bits, struct ferr *err)
{
    *bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = words[i];
        while (s && *s) {
            size_t len = strcspn(s, ",");
            char word[32];
            enum alert_state st;
            snprintf(word, sizeof(word), "%.*s", (int)(len < 31 ? len : 31), s);
            if (!len) {
                /* empty between commas: nothing */
            } else if (len == 6 && !strncmp(s, "active", 6)) {
                *bits |= ALERT_F_ACTIVE;
            } else if (len < 31 && !alert_state_parse(word, &st)) {
                *bits |= 1 << st;
            } else {
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "invalid value for parameter 'state': '%.*s' (expected open, "
                                "acknowledged, resolved or active)",
                                (int)(len < 64 ? len : 64), s);
            }
            s += len + (s[len] == ',');
        }
    }
    return 0;
}

static int x_list(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_alerts_list *q = req;
    struct rs_alerts_list *r = resp;
    struct monitor_alert_list l = {NULL, 0, 0};
    struct alert_query aq = {q->monitor && *q->monitor ? q->monitor : NULL,
                             q->deployment && *q->deployment ? q->deployment : NULL, 0,
                             q->max_results, q->page_token};
    if (q->max_results < 1 || q->max_results > MAX_ALERTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_results': expected 1 to %d", MAX_ALERTS);
    if (api_alert_states_parse(q->states, q->nstates, &aq.states, err) ||
        store_alerts_list(env->store, &aq, &l, &r->next_page_token, err))
        return -1;
    r->v = l.v;
    r->n = l.n;
    r->alloc = l.alloc;
    return 0;
}

static const char *user_of(const struct api_env *env)
{
    return env->user ? env->user : "";
}

static int x_alert(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                   struct ferr *err)
{
    int64_t id = ((struct rq_alert_id *)req)->alert_id;
    struct monitor_alert *a = &((struct rs_alert *)resp)->alert;
    switch (op->arg) {
    case 1:
        return store_alert_ack(env->store, id, user_of(env), a, err);
    case 2:
        return store_alert_resolve(env->store, id, user_of(env), a, err);
    default:
        return store_alert_get(env->store, id, a, err);
    }
}

static int x_deliveries(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                        struct ferr *err)
{
    (void)op;
    int64_t id = ((struct rq_alert_id *)req)->alert_id;
    struct monitor_alert a;
    /* an unknown alert is 404, not an empty log */
    if (store_alert_get(env->store, id, &a, err))
        return -1;
    monitor_alert_release(&a);
    return store_deliveries_of_alert(env->store, id, resp, err);
}

/* ---------- rows ---------- */

#define ROW(nm, m, fl, rq, rs, fn, a, acc)                                                         \
    {                                                                                              \
        .name = nm, .root = "/api/2.0/ferry", .path = nm, .methods = m, .call = m, .flags = fl,    \
        .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = a, .res = {          \
            acc,                                                                                   \
            LOC_NONE,                                                                              \
            NULL                                                                                   \
        }                                                                                          \
    }

const struct api_op api_alerts_list =
    ROW("alerts/list", HTTP_GET, OP_IDEMPOTENT, &list_req, &list_resp, x_list, 0, ACCESS_READ);
const struct api_op api_alerts_get =
    ROW("alerts/get", HTTP_GET, OP_IDEMPOTENT, &id_req, &alert_resp, x_alert, 0, ACCESS_READ);
const struct api_op api_alerts_ack =
    ROW("alerts/ack", HTTP_POST, 0, &id_req, &alert_resp, x_alert, 1, ACCESS_EDIT);
const struct api_op api_alerts_resolve =
    ROW("alerts/resolve", HTTP_POST, 0, &id_req, &alert_resp, x_alert, 2, ACCESS_EDIT);
const struct api_op api_alerts_deliveries =
    ROW("alerts/deliveries", HTTP_GET, OP_IDEMPOTENT, &id_req, &deliveries_resp, x_deliveries, 0,
        ACCESS_READ);

static const struct api_op *const alerts_ops[] = {
    &api_alerts_list, &api_alerts_get, &api_alerts_ack, &api_alerts_resolve, &api_alerts_deliveries,
};
const struct api_area api_alerts_area = {"alerts", alerts_ops,
                                         sizeof(alerts_ops) / sizeof(*alerts_ops)};
