/* SPDX-License-Identifier: MIT */
#include "api/webhooks_ops.h"
#include "api/webhook_send.h"
#include "base/ids.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

#define MLFLOW "/api/2.0/mlflow"
#define FERRY  "/api/2.0/ferry"
/* the test's answer keeps this much of the receiver's body */
#define TEST_BODY_KEPT  4096
#define TEST_TIMEOUT_MS 30000L

/* ---------- entities ---------- */

json_t *api_webhook_to_json(const struct webhook *w)
{
    json_t *ev = json_array();
    for (size_t i = 0; i < w->nevents; i++)
        json_array_append_new(ev, webhook_event_json(w->events[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:I}", "webhook_id", w->id, "name",
                          w->name, "url", w->url, "events", ev, "status", w->status,
                          "creation_timestamp", (json_int_t)w->creation_timestamp,
                          "last_updated_timestamp", (json_int_t)w->last_updated_timestamp);
    if (w->description)
        json_object_set_new(o, "description", json_string(w->description));
    return o;
}

static json_t *webhook_to(const void *v)
{
    return api_webhook_to_json(v);
}

static char *dup_or_null(json_t *j, const char *k)
{
    const char *s = json_string_value(json_object_get(j, k));
    return s ? xstrdup(s) : NULL;
}

static int webhook_from(json_t *j, void *out, struct ferr *err)
{
    struct webhook *w = out;
    json_t *ev = json_object_get(j, "events"), *e;
    size_t i;
    memset(w, 0, sizeof(*w));
    w->id = dup_or_null(j, "webhook_id");
    w->name = dup_or_null(j, "name");
    w->url = dup_or_null(j, "url");
    w->status = dup_or_null(j, "status");
    w->description = dup_or_null(j, "description");
    if (!w->id || !w->name || !w->url || !w->status) {
        webhook_release(w);
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed webhook");
    }
    w->creation_timestamp = json_integer_value(json_object_get(j, "creation_timestamp"));
    w->last_updated_timestamp = json_integer_value(json_object_get(j, "last_updated_timestamp"));
    w->events = xcalloc(json_array_size(ev) + 1, sizeof(*w->events));
    json_array_foreach(ev, i, e)
    {
        struct ferr ignore = FERR_INIT;
        char *name = webhook_event_parse(e, &ignore);
        if (name)
            w->events[w->nevents++] = name;
    }
    return 0;
}

static void webhook_rel(void *v)
{
    webhook_release(v);
}

static const struct api_type webhook_type = {"webhook",    sizeof(struct webhook), webhook_to,
                                             webhook_from, webhook_rel,            NULL};

static json_t *delivery_to(const void *v)
{
    const struct webhook_delivery *d = v;
    char did[WEBHOOK_DELIVERY_ID_LEN + 1];
    webhook_delivery_id(d->webhook_id, d->event_id, did);
    json_t *payload = json_loads(d->payload ? d->payload : "null", JSON_DECODE_ANY, NULL);
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:o, s:I, s:I}", "id", (json_int_t)d->id,
        "webhook_id", d->webhook_id, "delivery_id", did, "event_id", (json_int_t)d->event_id,
        "event", d->event, "state", d->state, "attempts", (json_int_t)d->attempt,
        "next_attempt_ms", (json_int_t)d->next_attempt_ms, "http_status",
        (json_int_t)d->http_status, "payload", payload ? payload : json_null(), "created_ms",
        (json_int_t)d->created_ms, "updated_ms", (json_int_t)d->updated_ms);
    if (d->error)
        json_object_set_new(o, "error", json_string(d->error));
    return o;
}

static int delivery_from(json_t *j, void *out, struct ferr *err)
{
    struct webhook_delivery *d = out;
    memset(d, 0, sizeof(*d));
    d->webhook_id = dup_or_null(j, "webhook_id");
    d->event = dup_or_null(j, "event");
    d->state = dup_or_null(j, "state");
    d->error = dup_or_null(j, "error");
    if (!d->webhook_id || !d->event || !d->state) {
        webhook_delivery_release(d);
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed webhook delivery");
    }
    d->payload = json_dumps(json_object_get(j, "payload"), JSON_COMPACT | JSON_ENCODE_ANY);
    d->id = json_integer_value(json_object_get(j, "id"));
    d->event_id = json_integer_value(json_object_get(j, "event_id"));
    d->attempt = json_integer_value(json_object_get(j, "attempts"));
    d->next_attempt_ms = json_integer_value(json_object_get(j, "next_attempt_ms"));
    d->http_status = json_integer_value(json_object_get(j, "http_status"));
    d->created_ms = json_integer_value(json_object_get(j, "created_ms"));
    d->updated_ms = json_integer_value(json_object_get(j, "updated_ms"));
    return 0;
}

static void delivery_rel(void *v)
{
    webhook_delivery_release(v);
}

static const struct api_type delivery_type = {
    "webhook_delivery", sizeof(struct webhook_delivery), delivery_to, delivery_from, delivery_rel,
    NULL};

static json_t *result_to(const void *v)
{
    const struct webhook_test_result *r = v;
    json_t *o = json_pack("{s:b}", "success", r->success);
    if (r->response_status)
        json_object_set_new(o, "response_status", json_integer(r->response_status));
    if (r->response_body)
        json_object_set_new(o, "response_body", json_string(r->response_body));
    if (r->error_message)
        json_object_set_new(o, "error_message", json_string(r->error_message));
    return o;
}

static int result_from(json_t *j, void *out, struct ferr *err)
{
    (void)err;
    struct webhook_test_result *r = out;
    memset(r, 0, sizeof(*r));
    r->success = json_is_true(json_object_get(j, "success"));
    r->response_status = json_integer_value(json_object_get(j, "response_status"));
    r->response_body = dup_or_null(j, "response_body");
    r->error_message = dup_or_null(j, "error_message");
    return 0;
}

static void result_rel(void *v)
{
    struct webhook_test_result *r = v;
    free(r->response_body);
    free(r->error_message);
    memset(r, 0, sizeof(*r));
}

static const struct api_type result_type = {"webhook_test_result",
                                            sizeof(struct webhook_test_result),
                                            result_to,
                                            result_from,
                                            result_rel,
                                            NULL};

/* ---------- custom request fields ---------- */

static int events_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    struct rq_webhook_events *l = dst;
    json_t *a = json_object_get(in, f->name), *e;
    size_t i;
    memset(l, 0, sizeof(*l));
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value for parameter '%s': expected a list of events", f->name);
    l->v = xcalloc(json_array_size(a) + 1, sizeof(*l->v));
    json_array_foreach(a, i, e)
    {
        char *name = webhook_event_parse(e, err);
        if (!name) {
            for (size_t k = 0; k < l->n; k++)
                free(l->v[k]);
            free(l->v);
            memset(l, 0, sizeof(*l));
            return -1;
        }
        l->v[l->n++] = name;
    }
    return 0;
}

static void events_encode(json_t *out, const struct api_field *f, const void *src)
{
    const struct rq_webhook_events *l = src;
    if (!l->n)
        return;
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, webhook_event_json(l->v[i]));
    json_object_set_new(out, f->name, a);
}

static void events_release(void *dst)
{
    struct rq_webhook_events *l = dst;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static const struct api_custom events_field = {events_decode, events_encode, events_release};

static int status_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    json_t *v = json_object_get(in, f->name);
    *(const char **)dst = NULL;
    if (!v || json_is_null(v))
        return 0;
    const char *st = webhook_status_parse(v);
    if (!st)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid value for parameter '%s': expected a WebhookStatus (ACTIVE, "
                        "DISABLED)",
                        f->name);
    *(const char **)dst = st;
    return 0;
}

static void status_encode(json_t *out, const struct api_field *f, const void *src)
{
    const char *st = *(const char *const *)src;
    if (st)
        json_object_set_new(out, f->name, json_string(st));
}

static void no_release(void *dst)
{
    (void)dst;
}

static const struct api_custom status_field = {status_decode, status_encode, no_release};

static int event_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    json_t *v = json_object_get(in, f->name);
    *(char **)dst = NULL;
    if (!v || json_is_null(v))
        return 0;
    return (*(char **)dst = webhook_event_parse(v, err)) ? 0 : -1;
}

static void event_encode(json_t *out, const struct api_field *f, const void *src)
{
    const char *ev = *(char *const *)src;
    if (ev)
        json_object_set_new(out, f->name, webhook_event_json(ev));
}

static void event_release(void *dst)
{
    free(*(char **)dst);
    *(char **)dst = NULL;
}

static const struct api_custom event_field = {event_decode, event_encode, event_release};

/* ---------- messages ---------- */

#define WID(flags) F_STR(struct rq_webhook, webhook_id, "webhook_id", flags)
static const struct api_field create_fields[] = {
    F_STR(struct rq_webhook, name, "name", AF_REQUIRED),
    F_STR(struct rq_webhook, url, "url", AF_REQUIRED),
    F_CUSTOM(struct rq_webhook, events, "events", &events_field),
    F_STR(struct rq_webhook, description, "description", AF_OMIT_EMPTY),
    F_STR(struct rq_webhook, secret, "secret", AF_OMIT_EMPTY),
    F_CUSTOM(struct rq_webhook, status, "status", &status_field),
};
static const struct api_msg create_req = API_MSG(struct rq_webhook, create_fields);
static const struct api_field update_fields[] = {
    WID(AF_NONEMPTY | AF_IN_PATH),
    F_STR(struct rq_webhook, name, "name", AF_OMIT_EMPTY),
    F_STR(struct rq_webhook, description, "description", AF_OMIT_EMPTY),
    F_STR(struct rq_webhook, url, "url", AF_OMIT_EMPTY),
    F_CUSTOM(struct rq_webhook, events, "events", &events_field),
    F_STR(struct rq_webhook, secret, "secret", AF_OMIT_EMPTY),
    F_CUSTOM(struct rq_webhook, status, "status", &status_field),
};
static const struct api_msg update_req = API_MSG(struct rq_webhook, update_fields);
static const struct api_field id_fields[] = {WID(AF_NONEMPTY | AF_IN_PATH)};
static const struct api_msg id_req = API_MSG(struct rq_webhook, id_fields);
static const struct api_field webhook_fields[] = {
    F_OBJ(struct rs_webhook, webhook, "webhook", 0, &webhook_type),
};
static const struct api_msg webhook_resp = API_MSG(struct rs_webhook, webhook_fields);
static const struct api_field list_fields[] = {
    F_INT(struct rq_webhook_list, max_results, "max_results", AF_OMIT_EMPTY, 0),
    F_STR(struct rq_webhook_list, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_req = API_MSG(struct rq_webhook_list, list_fields);
static const struct api_field list_resp_fields[] = {
    F_LIST(struct rs_webhook_list, v, n, alloc, "webhooks", 0, &webhook_type),
    F_STR(struct rs_webhook_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_resp = API_MSG(struct rs_webhook_list, list_resp_fields);
static const struct api_field test_fields[] = {
    F_STR(struct rq_webhook_test, webhook_id, "webhook_id", AF_NONEMPTY | AF_IN_PATH),
    F_CUSTOM(struct rq_webhook_test, event, "event", &event_field),
};
static const struct api_msg test_req = API_MSG(struct rq_webhook_test, test_fields);
static const struct api_field test_resp_fields[] = {
    F_PTR(struct rs_webhook_test, result, "result", &result_type),
};
static const struct api_msg test_resp = API_MSG(struct rs_webhook_test, test_resp_fields);
static const struct api_field deliveries_fields[] = {
    F_STR(struct rq_webhook_deliveries, webhook_id, "webhook_id", AF_OMIT_EMPTY),
    F_INT(struct rq_webhook_deliveries, max_results, "max_results", AF_OMIT_EMPTY, 0),
    F_STR(struct rq_webhook_deliveries, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg deliveries_req = API_MSG(struct rq_webhook_deliveries,
                                                     deliveries_fields);
static const struct api_field deliveries_resp_fields[] = {
    F_LIST(struct rs_webhook_deliveries, v, n, alloc, "deliveries", 0, &delivery_type),
    F_STR(struct rs_webhook_deliveries, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg deliveries_resp = API_MSG(struct rs_webhook_deliveries,
                                                      deliveries_resp_fields);

/* ---------- functions ---------- */

enum { W_CREATE, W_LIST, W_GET, W_UPDATE, W_DELETE };

static void fill(const struct rq_webhook *q, struct webhook *w)
{
    memset(w, 0, sizeof(*w));
    w->name = (char *)q->name;
    w->description = (char *)q->description;
    w->url = (char *)q->url;
    w->secret = (char *)q->secret;
    w->status = (char *)q->status;
    w->events = q->events.v;
    w->nevents = q->events.n;
}

static int x_webhook(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    struct webhook w;
    switch (op->arg) {
    case W_CREATE: {
        struct rq_webhook *q = req;
        fill(q, &w);
        if (!q->events.n)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "Missing value for required parameter 'events'. See the API docs for "
                            "more information about request parameters.");
        return store_webhook_create(env->store, &w, &((struct rs_webhook *)resp)->webhook, err);
    }
    case W_LIST: {
        struct rq_webhook_list *q = req;
        struct rs_webhook_list *r = resp;
        struct webhook_list l = {NULL, 0, 0};
        if (store_webhook_list(env->store, q->max_results, q->page_token, &l, &r->next_page_token,
                               err))
            return -1;
        r->v = l.v;
        r->n = l.n;
        r->alloc = l.alloc;
        return 0;
    }
    case W_GET:
        return store_webhook_get(env->store, ((struct rq_webhook *)req)->webhook_id,
                                 &((struct rs_webhook *)resp)->webhook, err);
    case W_UPDATE: {
        struct rq_webhook *q = req;
        fill(q, &w);
        return store_webhook_update(env->store, q->webhook_id, &w,
                                    &((struct rs_webhook *)resp)->webhook, err);
    }
    default:
        return store_webhook_delete(env->store, ((struct rq_webhook *)req)->webhook_id, err);
    }
}

static int x_test(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_webhook_test *q = req;
    struct webhook w;
    struct http_post_result out;
    char did[REQUEST_ID_LEN + 1];
    if (store_webhook_get(env->store, q->webhook_id, &w, err))
        return -1;
    const char *ev = q->event ? q->event : w.nevents ? w.events[0] : "model_version.created";
    json_t *data = webhook_example_data(ev);
    size_t n;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* a test is no event of the stream: a delivery id of its own */
    ids_new_request_id(did);
    char *body = webhook_body(ev, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, data, &n);
    json_decref(data);
    int rc = webhook_send(&w, did, 0, body, n, TEST_TIMEOUT_MS, TEST_BODY_KEPT, &out);
    free(body);
    webhook_release(&w);
    struct webhook_test_result *r = xcalloc(1, sizeof(*r));
    if (rc) {
        struct sbuf sb = SBUF_INIT;
        sbuf_addf(&sb, "Failed to test webhook: %s", out.error);
        r->error_message = sbuf_detach(&sb, NULL);
    } else {
        r->response_status = out.status;
        r->success = out.status < 400;
        r->response_body = xstrdup(out.body ? out.body : "");
    }
    http_post_result_release(&out);
    ((struct rs_webhook_test *)resp)->result = r;
    return 0;
}

static int x_deliveries(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                        struct ferr *err)
{
    (void)op;
    struct rq_webhook_deliveries *q = req;
    struct rs_webhook_deliveries *r = resp;
    struct webhook_delivery_list l = {NULL, 0, 0};
    if (store_webhook_deliveries(env->store, q->webhook_id, q->max_results, q->page_token, &l,
                                 &r->next_page_token, err))
        return -1;
    r->v = l.v;
    r->n = l.n;
    r->alloc = l.alloc;
    return 0;
}

#define WH_ROW(nm, rt, p, m, rq, rs, fn, a)                                                        \
    {                                                                                              \
        .name = nm, .root = rt, .path = p, .methods = m, .call = m, .flags = OP_AJAX,              \
        .max_body = API_BODY_SMALL, .req = rq, .resp = rs, .exec = fn, .arg = a, .res = {          \
            ACCESS_ADMIN,                                                                          \
            LOC_NONE,                                                                              \
            NULL                                                                                   \
        }                                                                                          \
    }

const struct api_op api_webhooks_create = WH_ROW("webhooks/create", MLFLOW, "webhooks", HTTP_POST,
                                                 &create_req, &webhook_resp, x_webhook, W_CREATE);
const struct api_op api_webhooks_list = WH_ROW("webhooks/list", MLFLOW, "webhooks", HTTP_GET,
                                               &list_req, &list_resp, x_webhook, W_LIST);
const struct api_op api_webhooks_get = WH_ROW("webhooks/get", MLFLOW, "webhooks/{webhook_id}",
                                              HTTP_GET, &id_req, &webhook_resp, x_webhook, W_GET);
const struct api_op api_webhooks_update =
    WH_ROW("webhooks/update", MLFLOW, "webhooks/{webhook_id}", HTTP_PATCH, &update_req,
           &webhook_resp, x_webhook, W_UPDATE);
const struct api_op api_webhooks_delete =
    WH_ROW("webhooks/delete", MLFLOW, "webhooks/{webhook_id}", HTTP_DELETE, &id_req, NULL,
           x_webhook, W_DELETE);
const struct api_op api_webhooks_test =
    WH_ROW("webhooks/test", MLFLOW, "webhooks/{webhook_id}/test", HTTP_POST, &test_req,
           &test_resp, x_test, 0);
const struct api_op api_webhooks_deliveries =
    WH_ROW("webhooks/deliveries", FERRY, "webhooks/deliveries", HTTP_GET, &deliveries_req,
           &deliveries_resp, x_deliveries, 0);

static const struct api_op *const webhooks_ops[] = {
    &api_webhooks_create, &api_webhooks_list,   &api_webhooks_get,       &api_webhooks_update,
    &api_webhooks_delete, &api_webhooks_test, &api_webhooks_deliveries};
const struct api_area api_webhooks_area = {"webhooks", webhooks_ops,
                                           sizeof(webhooks_ops) / sizeof(*webhooks_ops)};
