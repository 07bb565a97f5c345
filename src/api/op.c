/* SPDX-License-Identifier: MIT
 * The engine behind the rows (op.h): decoding and encoding requests and
 * responses field by field, both ways, with MLflow's conventions and error
 * messages (base/json.h), and finding what a request touches. */
#include "api/op.h"
#include "api/ajax_ops.h"
#include "api/alerts_ops.h"
#include "api/artifacts_ops.h"
#include "api/codec.h"
#include "api/datasets_ops.h"
#include "api/lineage_ops.h"
#include "api/deployments_ops.h"
#include "api/gc_ops.h"
#include "api/auth_ops.h"
#include "api/leases_ops.h"
#include "domain/auth.h"
#include "api/logged_models_ops.h"
#include "api/metrics_ops.h"
#include "api/monitors_ops.h"
#include "api/prediction_log_ops.h"
#include "api/predictions_ops.h"
#include "api/registry_ops.h"
#include "api/tracking_ops.h"
#include "api/webhooks_ops.h"
#include "api/traces_ops.h"
#include "api/triggers_ops.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "http/client.h"
#include "domain/artifact_uri.h"
#include "domain/registry.h"
#include "store/logged_models.h"
#include "store/store.h"
#include "store/traces.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AT(base, off, type)   ((type *)(void *)((char *)(base) + (off)))
#define AT_C(base, off, type) ((const type *)(const void *)((const char *)(base) + (off)))

const struct api_area *const api_areas[] = {
    &api_tracking_area,      /* experiments/..., runs/... */
    &api_metrics_area,       /* metric histories */
    &api_registry_area,      /* registered-models/..., model-versions/..., ferry's own */
    &api_artifacts_area,     /* artifacts/list */
    &api_gc_area,            /* ferry/gc */
    &api_logged_models_area, /* logged-models/..., runs/outputs (MLflow 3) */
    &api_traces_area,        /* traces (2.x and 3.x) */
    &api_ajax_area,          /* the UI's: search-datasets, create-promptlab-run */
    &api_auth_area,          /* users/..., .../permissions/..., ferry's tokens */
    &api_leases_area,        /* ferry's leases: one decider among replicas */
    &api_deployments_area,   /* ferry's deployments/..., events/search */
    &api_plog_ingest_area,   /* ferry's predictions/log (gateways' batches) */
    &api_predictions_area,   /* ferry's feedback/log, predictions/..., deployments/performance */
    &api_monitors_area,      /* ferry's monitors/... */
    &api_alerts_area,        /* ferry's alerts/... (monitors' alerts and their deliveries) */
    &api_datasets_area,      /* ferry's datasets/... (issue 19) */
    &api_lineage_area,       /* ferry's lineage/... (issue 20) */
    &api_triggers_area,      /* ferry's triggers/... (issue 21) */
    &api_webhooks_area,      /* MLflow 3's webhooks, ferry's webhooks/deliveries (issue 21) */
    NULL,
};

const struct api_op *api_op_find(const char *name)
{
    for (const struct api_area *const *a = api_areas; *a; a++)
        for (size_t i = 0; i < (*a)->n; i++)
            if (!strcmp((*a)->ops[i]->name, name))
                return (*a)->ops[i];
    return NULL;
}

/* ---------- server: request JSON -> struct ---------- */

static int missing(const char *name, struct ferr *err)
{
    return fjson_missing(err, name);
}

static int get_run_id(json_t *in, const char **out, struct ferr *err)
{
    *out = NULL;
    if (fjson_get_str(in, "run_id", JSON_OPTIONAL, out, err) < 0)
        return -1;
    if ((!*out || !**out) && fjson_get_str(in, "run_uuid", JSON_OPTIONAL, out, err) < 0)
        return -1;
    return !*out || !**out ? missing("run_id", err) : 0;
}

/* An enum given by name or by number (a JSON number becomes its decimal
 * string when the request is normalised). */
static const char *enum_text(json_t *v, char num[24])
{
    if (json_is_integer(v)) {
        snprintf(num, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return num;
    }
    return json_string_value(v);
}

static int get_view(json_t *in, const char *name, enum view_type *out, struct ferr *err)
{
    json_t *v = json_object_get(in, name);
    char num[24];
    *out = VIEW_ACTIVE_ONLY;
    if (!v || json_is_null(v))
        return 0;
    const char *s = enum_text(v, num);
    if (!s || view_type_parse(s, out))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter '%s': expected ACTIVE_ONLY, DELETED_ONLY "
                        "or ALL",
                        name);
    return 0;
}

static int get_status(json_t *in, const char *name, enum run_status *out, struct ferr *err)
{
    const char *s = NULL;
    *out = RUN_STATUS_NONE;
    if (fjson_get_str(in, name, JSON_OPTIONAL, &s, err) < 0)
        return -1;
    if (s && run_status_parse(s, out))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value '%.40s' for parameter '%s': expected RUNNING, "
                        "SCHEDULED, FINISHED, FAILED or KILLED",
                        s, name);
    return 0;
}

/* A model version as a string ("3") or a number (3). */
static int get_version(json_t *in, const char *name, int64_t *out, struct ferr *err)
{
    json_t *v = json_object_get(in, name);
    char num[24];
    const char *s = json_is_integer(v) ? enum_text(v, num) : json_string_value(v);
    if (!s && v && !json_is_null(v))
        return fjson_invalid(err, name, v);
    return registry_parse_version(s, out, err);
}

/* An array of strings; a single string counts as one. The strings point
 * into in; the array is allocated. */
static int get_strs(json_t *in, const char *name, const char ***out, size_t *n, struct ferr *err)
{
    json_t *v = json_object_get(in, name), *it;
    size_t i;
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        *out = xmalloc(sizeof(**out));
        (*out)[0] = json_string_value(v);
        *n = 1;
        return 0;
    }
    if (!json_is_array(v))
        return fjson_invalid(err, name, v);
    *out = xcalloc(json_array_size(v) + 1, sizeof(**out));
    json_array_foreach(v, i, it)
    {
        if (!json_is_string(it)) {
            free(*out);
            *out = NULL;
            return fjson_invalid(err, name, v);
        }
        (*out)[i] = json_string_value(it);
    }
    *n = json_array_size(v);
    return 0;
}

/* Entities from a JSON array into a list (v, n, alloc at the field's
 * offsets). A failure leaves an empty list. */
static int list_from_json(json_t *arr, const struct api_field *f, void *msg, struct ferr *err)
{
    const struct api_type *t = f->type;
    size_t i, n = json_array_size(arr);
    json_t *it;
    char *v = n ? xcalloc(n, t->size) : NULL;
    json_array_foreach(arr, i, it)
    {
        if (t->from_json(it, v + i * t->size, err)) {
            for (size_t k = 0; k < i; k++)
                t->release(v + k * t->size);
            free(v);
            return -1;
        }
    }
    *AT(msg, f->off, void *) = v;
    *AT(msg, f->off_n, size_t) = n;
    if (f->off_alloc != f->off_n)
        *AT(msg, f->off_alloc, size_t) = n;
    return 0;
}

static int decode_field(const struct api_field *f, json_t *in, void *req, struct ferr *err)
{
    void *dst = AT(req, f->off, char);
    int required = f->flags & (AF_REQUIRED | AF_NONEMPTY) ? JSON_REQUIRED : JSON_OPTIONAL;
    json_t *arr;
    switch (f->kind) {
    case AK_STR: {
        const char *s = NULL;
        if (fjson_get_str(in, f->name, f->flags & AF_NONEMPTY ? JSON_OPTIONAL : required, &s, err) <
            0)
            return -1;
        if ((f->flags & AF_NONEMPTY) && (!s || !*s))
            return missing(f->name, err);
        *(const char **)dst = s;
        return 0;
    }
    case AK_RUN_ID:
        return get_run_id(in, (const char **)dst, err);
    case AK_INT64:
        *(int64_t *)dst = f->def;
        return fjson_get_int64(in, f->name, required, dst, err) < 0 ? -1 : 0;
    case AK_DOUBLE:
        return fjson_get_double(in, f->name, required, dst, err) < 0 ? -1 : 0;
    case AK_BOOL:
        return fjson_get_bool(in, f->name, required, dst, err) < 0 ? -1 : 0;
    case AK_VIEW:
        return get_view(in, f->name, dst, err);
    case AK_STATUS:
        return get_status(in, f->name, dst, err);
    case AK_VERSION:
        return get_version(in, f->name, dst, err);
    case AK_STRS:
        return get_strs(in, f->name, dst, AT(req, f->off_n, size_t), err);
    case AK_KV:
        return codec_kv_list_from_json(json_object_get(in, f->name), f->name, dst, err);
    case AK_LIST:
        if (fjson_get_array(in, f->name, required, &arr, err) < 0)
            return -1;
        return list_from_json(arr, f, req, err);
    case AK_INLINE:
        return f->type->from_json(in, dst, err);
    case AK_OBJ:
    case AK_OBJ_PTR: {
        json_t *o = json_object_get(in, f->name);
        if (!o || json_is_null(o))
            return required ? missing(f->name, err) : 0;
        void *v = f->kind == AK_OBJ ? dst : xcalloc(1, f->type->size);
        if (f->type->from_json(o, v, err)) {
            if (f->kind == AK_OBJ_PTR)
                free(v);
            return -1;
        }
        if (f->kind == AK_OBJ_PTR)
            *(void **)dst = v;
        return 0;
    }
    case AK_CUSTOM:
        return f->custom->decode(in, f, dst, err);
    }
    return ferr_set(err, FERR_INTERNAL_ERROR, "field '%s' has no codec", f->name);
}

/* Frees what decoding a field allocated (request or response). */
static void release_field(const struct api_field *f, void *msg, int owns_strings)
{
    void *p = AT(msg, f->off, char);
    switch (f->kind) {
    case AK_STR:
    case AK_RUN_ID:
        if (owns_strings)
            free(*(char **)p);
        *(char **)p = NULL;
        break;
    case AK_STRS:
        free(*(void **)p);
        *(void **)p = NULL;
        *AT(msg, f->off_n, size_t) = 0;
        break;
    case AK_KV:
        kv_list_release(p);
        break;
    case AK_LIST: {
        char *v = *(char **)p;
        size_t n = *AT(msg, f->off_n, size_t);
        for (size_t i = 0; i < n; i++)
            f->type->release(v + i * f->type->size);
        free(v);
        *(void **)p = NULL;
        *AT(msg, f->off_n, size_t) = 0;
        if (f->off_alloc != f->off_n)
            *AT(msg, f->off_alloc, size_t) = 0;
        break;
    }
    case AK_INLINE:
    case AK_OBJ:
        f->type->release(p);
        break;
    case AK_OBJ_PTR:
        if (*(void **)p)
            f->type->release(*(void **)p);
        free(*(void **)p);
        *(void **)p = NULL;
        break;
    case AK_CUSTOM:
        if (f->custom->release)
            f->custom->release(p);
        break;
    default:
        break;
    }
}

int api_decode_request(const struct api_op *op, json_t *in, void *req, struct ferr *err)
{
    for (size_t i = 0; i < op->req->nfields; i++) {
        if (decode_field(&op->req->fields[i], in, req, err)) {
            api_release_request(op, req);
            return -1;
        }
    }
    return 0;
}

void api_release_request(const struct api_op *op, void *req)
{
    for (size_t i = 0; i < op->req->nfields; i++)
        release_field(&op->req->fields[i], req, 0);
}

/* ---------- server: struct -> response JSON ---------- */

static void write_entity(struct sbuf *sb, const struct api_type *t, const void *v)
{
    if (t->write) {
        t->write(sb, v);
        return;
    }
    json_t *j = t->to_json(v);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s) {
        fprintf(stderr, "ferry: out of memory encoding a response\n");
        abort();
    }
    sbuf_addstr(sb, s);
    free(s);
}

static void write_kv(struct sbuf *sb, const struct kv_list *l)
{
    sbuf_addch(sb, '[');
    for (size_t i = 0; i < l->n; i++) {
        sbuf_addstr(sb, i ? ",{\"key\":" : "{\"key\":");
        fjson_add_string(sb, l->v[i].key);
        sbuf_addstr(sb, ",\"value\":");
        fjson_add_string(sb, l->v[i].value ? l->v[i].value : "");
        sbuf_addch(sb, '}');
    }
    sbuf_addch(sb, ']');
}

/* Writes "name":value for a field of resp, or nothing when it is absent;
 * returns whether it wrote. */
static int write_field(struct sbuf *sb, const struct api_field *f, const void *resp, int first)
{
    const void *p = AT_C(resp, f->off, char);
    int omit = f->flags & AF_OMIT_EMPTY;
    size_t mark = sb->len;
    if (!first)
        sbuf_addch(sb, ',');
    fjson_add_string(sb, f->name);
    sbuf_addch(sb, ':');
    switch (f->kind) {
    case AK_STR:
    case AK_RUN_ID: {
        const char *s = *(char *const *)p;
        if (!s || (omit && !*s))
            goto absent;
        fjson_add_string(sb, s);
        return 1;
    }
    case AK_INT64:
        if (omit && *(const int64_t *)p == f->def)
            goto absent;
        fjson_add_int64(sb, *(const int64_t *)p);
        return 1;
    case AK_VERSION:
        sbuf_addch(sb, '"');
        fjson_add_int64(sb, *(const int64_t *)p);
        sbuf_addch(sb, '"');
        return 1;
    case AK_DOUBLE:
        fjson_add_double(sb, *(const double *)p);
        return 1;
    case AK_BOOL:
        sbuf_addstr(sb, *(const int *)p ? "true" : "false");
        return 1;
    case AK_KV:
        if (omit && !((const struct kv_list *)p)->n)
            goto absent;
        write_kv(sb, p);
        return 1;
    case AK_LIST: {
        const char *v = *(char *const *)p;
        size_t n = *AT_C(resp, f->off_n, size_t);
        if (omit && !n)
            goto absent;
        /* Grow once for the long ones: a metric point is ~85 bytes, and a
         * guess short of the answer costs a copy of all of it into fresh
         * pages (8 MB for a 100,000-step history); room never written
         * costs nothing. */
        sbuf_grow(sb, n * 96 + 2);
        sbuf_addch(sb, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                sbuf_addch(sb, ',');
            write_entity(sb, f->type, v + i * f->type->size);
        }
        sbuf_addch(sb, ']');
        return 1;
    }
    case AK_OBJ:
        write_entity(sb, f->type, p);
        return 1;
    case AK_OBJ_PTR:
        if (!*(void *const *)p)
            goto absent;
        write_entity(sb, f->type, *(void *const *)p);
        return 1;
    default: /* request-only kinds */
        break;
    }
absent:
    sbuf_setlen(sb, mark);
    return 0;
}

void api_encode_response(const struct api_op *op, const void *resp, struct sbuf *out)
{
    int first = 1;
    sbuf_addch(out, '{');
    for (size_t i = 0; op->resp && i < op->resp->nfields; i++)
        if (write_field(out, &op->resp->fields[i], resp, first))
            first = 0;
    sbuf_addch(out, '}');
}

/* ---------- client: struct -> request JSON ---------- */

/* Sets key to v (a new reference); a NULL v (a string that is not UTF-8)
 * marks the whole request as failed. */
static void put(json_t *o, const char *key, json_t *v, int *failed)
{
    if (!v || json_object_set_new(o, key, v))
        *failed = 1;
}

static json_t *strs_to_json(const char *const *v, size_t n, int *failed)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_string(v[i]);
        if (!s || json_array_append_new(a, s))
            *failed = 1;
    }
    return a;
}

static void encode_field(const struct api_field *f, const void *req, json_t *out, int *failed)
{
    const void *p = AT_C(req, f->off, char);
    int omit = f->flags & AF_OMIT_EMPTY;
    char num[24];
    if (f->flags & AF_IN_PATH)
        return;
    switch (f->kind) {
    case AK_STR: {
        const char *s = *(char *const *)p;
        if (s && !(omit && !*s))
            put(out, f->name, json_string(s), failed);
        return;
    }
    case AK_RUN_ID: {
        const char *s = *(char *const *)p;
        put(out, "run_id", json_string(s ? s : ""), failed);
        if (f->flags & AF_SEND_UUID)
            put(out, "run_uuid", json_string(s ? s : ""), failed);
        return;
    }
    case AK_INT64:
        if (!(omit && *(const int64_t *)p == f->def))
            put(out, f->name, json_integer(*(const int64_t *)p), failed);
        return;
    case AK_DOUBLE:
        put(out, f->name, fjson_double(*(const double *)p), failed);
        return;
    case AK_BOOL:
        put(out, f->name, json_boolean(*(const int *)p), failed);
        return;
    case AK_VIEW:
        put(out, f->name, json_string(view_type_name(*(const enum view_type *)p)), failed);
        return;
    case AK_STATUS:
        if (*(const enum run_status *)p != RUN_STATUS_NONE)
            put(out, f->name, json_string(run_status_name(*(const enum run_status *)p)), failed);
        return;
    case AK_VERSION:
        snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)p);
        put(out, f->name, json_string(num), failed);
        return;
    case AK_STRS: {
        size_t n = *AT_C(req, f->off_n, size_t);
        if (!(omit && !n))
            put(out, f->name, strs_to_json(*(const char *const *const *)p, n, failed), failed);
        return;
    }
    case AK_KV:
        if (!(omit && !((const struct kv_list *)p)->n))
            put(out, f->name, codec_kv_list_to_json(p), failed);
        return;
    case AK_LIST: {
        const char *v = *(char *const *)p;
        size_t n = *AT_C(req, f->off_n, size_t);
        if (omit && !n)
            return;
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            if (json_array_append_new(a, f->type->to_json(v + i * f->type->size)))
                *failed = 1;
        put(out, f->name, a, failed);
        return;
    }
    case AK_INLINE: {
        json_t *o = f->type->to_json(p);
        if (!o || json_object_update(out, o))
            *failed = 1;
        json_decref(o);
        return;
    }
    case AK_OBJ:
        put(out, f->name, f->type->to_json(p), failed);
        return;
    case AK_OBJ_PTR:
        if (*(void *const *)p)
            put(out, f->name, f->type->to_json(*(void *const *)p), failed);
        return;
    case AK_CUSTOM:
        f->custom->encode(out, f, p);
        return;
    }
}

json_t *api_encode_request(const struct api_op *op, const void *req)
{
    json_t *out = json_object();
    int failed = 0;
    for (size_t i = 0; i < op->req->nfields; i++)
        encode_field(&op->req->fields[i], req, out, &failed);
    if (failed) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* The value of the AF_IN_PATH field named name[0..n). */
static const char *path_value(const struct api_op *op, const void *req, const char *name, size_t n)
{
    for (size_t i = 0; i < op->req->nfields; i++) {
        const struct api_field *f = &op->req->fields[i];
        if ((f->flags & AF_IN_PATH) && strlen(f->name) == n && !strncmp(f->name, name, n))
            return *AT_C(req, f->off, char *);
    }
    return NULL;
}

void api_request_path(const struct api_op *op, const void *req, struct sbuf *out)
{
    for (const char *t = op->path; *t;) {
        if (*t != '{') {
            sbuf_addch(out, *t++);
            continue;
        }
        const char *close = strchr(t, '}');
        size_t n = (size_t)(close - t - 1);
        int rest = n > 3 && !strncmp(close - 3, "...", 3);
        const char *v = path_value(op, req, t + 1, rest ? n - 3 : n);
        http_url_escape(out, v ? v : "", rest);
        t = close + 1;
    }
}

/* ---------- client: response JSON -> struct ---------- */

static int decode_response_field(const struct api_field *f, json_t *in, void *resp,
                                 struct ferr *err)
{
    void *dst = AT(resp, f->off, char);
    json_t *v = json_object_get(in, f->name);
    switch (f->kind) {
    case AK_STR:
    case AK_RUN_ID: {
        const char *s = json_string_value(v);
        *(char **)dst = s && !(f->flags & AF_OMIT_EMPTY && !*s) ? xstrdup(s) : NULL;
        return 0;
    }
    case AK_LIST:
        if (v && !json_is_array(v) && !json_is_null(v))
            return ferr_set(err, FERR_IO_ERROR, "the answer's '%s' is not an array", f->name);
        return list_from_json(v, f, resp, err);
    case AK_OBJ:
        return f->type->from_json(v, dst, err);
    case AK_OBJ_PTR: {
        if (!v || json_is_null(v))
            return 0;
        void *o = xcalloc(1, f->type->size);
        if (f->type->from_json(v, o, err)) {
            free(o);
            return -1;
        }
        *(void **)dst = o;
        return 0;
    }
    default: /* numbers, booleans, key-value lists: as a request's, never required */
        return decode_field(f, in, resp, err);
    }
}

int api_decode_response(const struct api_op *op, json_t *in, void *resp, struct ferr *err)
{
    for (size_t i = 0; op->resp && i < op->resp->nfields; i++) {
        if (decode_response_field(&op->resp->fields[i], in, resp, err)) {
            api_release_response(op, resp);
            return -1;
        }
    }
    return 0;
}

void api_release_response(const struct api_op *op, void *resp)
{
    for (size_t i = 0; op->resp && i < op->resp->nfields; i++)
        release_field(&op->resp->fields[i], resp, 1);
}

int api_exec(const struct api_env *env, const struct api_op *op, void *req, void *resp,
             struct ferr *err)
{
    if (!op->exec)
        return ferr_set(err, FERR_NOT_IMPLEMENTED, "'%s' is answered only by a server", op->name);
    return op->exec(env, op, req, resp, err);
}

/* ---------- paging, for answers trimmed after the fact ---------- */

static const struct api_field *msg_field(const struct api_msg *m, const char *name,
                                         enum api_kind kind)
{
    for (size_t i = 0; m && i < m->nfields; i++)
        if (m->fields[i].kind == kind && (!name || !strcmp(m->fields[i].name, name)))
            return &m->fields[i];
    return NULL;
}

int api_page_request(const struct api_op *op, void *req, const char *page_token,
                     int64_t *max_results)
{
    const struct api_field *tok = msg_field(op->req, "page_token", AK_STR);
    const struct api_field *max = msg_field(op->req, "max_results", AK_INT64);
    if (!tok || !max)
        return -1;
    if (*max_results > 0)
        *AT(req, max->off, int64_t) = *max_results;
    else
        *max_results = *AT(req, max->off, int64_t);
    *AT(req, tok->off, const char *) = page_token;
    return 0;
}

const char *api_page_next(const struct api_op *op, const void *resp, size_t *n)
{
    const struct api_field *list = msg_field(op->resp, NULL, AK_LIST);
    const struct api_field *tok = msg_field(op->resp, "next_page_token", AK_STR);
    *n = list ? *AT_C(resp, list->off_n, size_t) : 0;
    return tok ? *AT_C(resp, tok->off, char *) : NULL;
}

void api_page_append(const struct api_op *op, void *resp, void *more)
{
    const struct api_field *list = msg_field(op->resp, NULL, AK_LIST);
    const struct api_field *tok = msg_field(op->resp, "next_page_token", AK_STR);
    size_t size = list->type->size;
    char **v = AT(resp, list->off, char *), **mv = AT(more, list->off, char *);
    size_t *n = AT(resp, list->off_n, size_t), *mn = AT(more, list->off_n, size_t);
    size_t *alloc = AT(resp, list->off_alloc, size_t);
    if (*mn) {
        if (*n + *mn > *alloc) {
            *v = xrealloc(*v, (*n + *mn) * size);
            *alloc = *n + *mn;
        }
        memcpy(*v + *n * size, *mv, *mn * size); /* the entities move, not copied */
        *n += *mn;
    }
    free(*mv);
    *mv = NULL;
    *mn = 0;
    free(*AT(resp, tok->off, char *));
    *AT(resp, tok->off, char *) = *AT(more, tok->off, char *);
    *AT(more, tok->off, char *) = NULL;
    api_release_response(op, more);
}

/* ---------- what a request touches ---------- */

const char *api_access_name(enum api_access a)
{
    static const char *const names[] = {"UNDECLARED", "PUBLIC", "READ",  "USE", "EDIT",
                                        "DELETE",     "MANAGE", "ADMIN", "SELF"};
    return (unsigned)a < sizeof(names) / sizeof(*names) ? names[a] : "?";
}

static const struct api_field *field_named(const struct api_op *op, const char *name)
{
    for (size_t i = 0; op->req && i < op->req->nfields; i++)
        if (!strcmp(op->req->fields[i].name, name))
            return &op->req->fields[i];
    return NULL;
}

static void add_experiment(struct api_target *t, const char *given)
{
    /* as the store reads it: "01" and "+1" are experiment 1, and must be
     * checked as "1" is (permissions are kept by the canonical id) */
    char canon[24];
    const char *id = given;
    if (!auth_canonical_id(given, canon, sizeof(canon)))
        id = canon;
    for (size_t i = 0; i < t->nexperiments; i++)
        if (!strcmp(t->experiment_ids[i], id))
            return;
    t->experiment_ids = xrealloc(t->experiment_ids, (t->nexperiments + 1) * sizeof(char *));
    t->experiment_ids[t->nexperiments++] = xstrdup(id);
}

static int add_run(struct api_target *t, struct store *s, const char *run_id, struct ferr *err)
{
    char *experiment_id;
    if (store_run_experiment(s, run_id, &experiment_id, err))
        return -1;
    add_experiment(t, experiment_id);
    free(experiment_id);
    return 0;
}

static int add_trace(struct api_target *t, struct store *s, const char *id, struct ferr *err)
{
    struct trace_info info;
    memset(&info, 0, sizeof(info));
    if (store_get_trace_info(s, id, &info, err))
        return -1;
    add_experiment(t, info.experiment_id);
    trace_info_release(&info);
    return 0;
}

/* models:/<name>/... or models:/<name>@alias: the name; runs:/<run>/...:
 * the run's experiment. */
static int add_model_uri(struct api_target *t, struct store *s, const char *uri, struct ferr *err)
{
    if (!strncmp(uri, "models:/", 8)) {
        const char *name = uri + 8;
        size_t n = strcspn(name, "/@");
        if (!n)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid model URI '%.200s'", uri);
        char *first = xmalloc(n + 1);
        memcpy(first, name, n);
        first[n] = '\0';
        /* models:/<model id> (MLflow 3) names a logged model, which lives
         * in an experiment, not a registered model of that name */
        struct logged_model m;
        struct ferr ignore = FERR_INIT;
        if (!name[n] && !store_get_logged_model(s, first, &m, &ignore)) {
            add_experiment(t, m.experiment_id);
            logged_model_release(&m);
            free(first);
            return 0;
        }
        t->model_name = first;
        return 0;
    }
    if (!strncmp(uri, "runs:/", 6)) {
        struct sbuf id = SBUF_INIT;
        const char *p = uri + 6;
        while (*p == '/')
            p++;
        sbuf_add(&id, p, strcspn(p, "/"));
        int rc = add_run(t, s, id.buf, err);
        sbuf_release(&id);
        return rc;
    }
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "unsupported model URI '%.200s'", uri);
}

/* The locator's work on the field's value: str for a string field,
 * strs[0..n) for a list, obj for an entity (LOC_NEW_TRACE). */
static int resolve_values(const struct api_op *op, const char *str, const char *const *strs,
                          size_t n, const void *obj, struct store *s, struct api_target *out,
                          struct ferr *err);

/* An empty target for op; 1 when its locator finds nothing to look up. */
static int target_start(const struct api_op *op, struct api_target *out)
{
    memset(out, 0, sizeof(*out));
    out->access = op->res.access;
    out->loc = op->res.loc;
    return op->res.loc == LOC_NONE || op->res.loc == LOC_NEW_EXPERIMENT;
}

int api_resolve_target(const struct api_op *op, const void *req, struct store *s,
                       struct api_target *out, struct ferr *err)
{
    if (target_start(op, out))
        return 0;
    /* a trigger's experiment is in its spec, or in the stored trigger */
    if (op->res.loc == LOC_TRIGGER_SPEC || op->res.loc == LOC_TRIGGER_NAME) {
        int rc = api_triggers_target(op, req, s, out, err);
        if (rc)
            api_target_release(out);
        return rc;
    }
    const struct api_field *f = field_named(op, op->res.field);
    if (!f)
        return ferr_set(err, FERR_INTERNAL_ERROR, "'%s' declares no field '%s'", op->name,
                        op->res.field);
    const void *p = AT_C(req, f->off, char);
    const char *str = f->kind == AK_STR || f->kind == AK_RUN_ID ? *(const char *const *)p : NULL;
    const char *const *strs = f->kind == AK_STRS ? *(const char *const *const *)p : NULL;
    size_t n = f->kind == AK_STRS ? *AT_C(req, f->off_n, size_t) : 0;
    return resolve_values(op, str, strs, n, f->kind == AK_OBJ || f->kind == AK_CUSTOM ? p : NULL, s,
                          out, err);
}

const char *api_request_string(const struct api_op *op, const void *req, const char *name)
{
    const struct api_field *f = field_named(op, name);
    if (!f || (f->kind != AK_STR && f->kind != AK_RUN_ID))
        return NULL;
    return *(const char *const *)AT_C(req, f->off, char);
}

int api_resolve_source(const char *source, const char *run_id, struct store *s,
                       struct api_target *out, struct ferr *err)
{
    int rc = 0;
    const char *proxied;
    memset(out, 0, sizeof(*out));
    out->access = ACCESS_READ;
    out->loc = LOC_RUN_ID;
    if (run_id && *run_id)
        rc = add_run(out, s, run_id, err);
    if (!rc && source && (!strncmp(source, "runs:/", 6) || !strncmp(source, "models:/", 8)))
        rc = add_model_uri(out, s, source, err);
    else if (!rc && source && (proxied = artifact_uri_proxied_path(source)) != NULL) {
        /* "<experiment id>/<run id>/artifacts/...": the experiment's files */
        struct sbuf id = SBUF_INIT;
        sbuf_add(&id, proxied, strcspn(proxied, "/"));
        if (id.len)
            add_experiment(out, id.buf);
        sbuf_release(&id);
    }
    if (rc)
        api_target_release(out);
    return rc;
}

const char *api_locator_string(const struct api_op *op, const void *req)
{
    const struct api_field *f = op->res.field ? field_named(op, op->res.field) : NULL;
    if (!f || (f->kind != AK_STR && f->kind != AK_RUN_ID))
        return NULL;
    return *(const char *const *)AT_C(req, f->off, char);
}

int api_resolve_value(const struct api_op *op, const char *value, struct store *s,
                      struct api_target *out, struct ferr *err)
{
    if (target_start(op, out))
        return 0;
    if (op->res.loc == LOC_NEW_TRACE || op->res.loc == LOC_TRACE_LOCATIONS)
        return ferr_set(err, FERR_INTERNAL_ERROR, "'%s' locates by an entity", op->name);
    return resolve_values(op, value, value ? &value : NULL, value ? 1 : 0, NULL, s, out, err);
}

static int resolve_values(const struct api_op *op, const char *str, const char *const *strs,
                          size_t n, const void *obj, struct store *s, struct api_target *out,
                          struct ferr *err)
{
    struct experiment e;
    int rc = 0;
    switch (op->res.loc) {
    case LOC_EXPERIMENT_ID:
        if (str)
            add_experiment(out, str);
        break;
    case LOC_EXPERIMENT_NAME:
        if (str && (rc = store_get_experiment_by_name(s, str, &e, err)) == 0) {
            add_experiment(out, e.experiment_id);
            experiment_release(&e);
        }
        break;
    case LOC_EXPERIMENT_IDS:
        for (size_t i = 0; i < n; i++)
            add_experiment(out, strs[i]);
        break;
    case LOC_RUN_ID:
        rc = str ? add_run(out, s, str, err) : 0;
        break;
    case LOC_RUN_IDS:
        for (size_t i = 0; !rc && i < n; i++)
            rc = add_run(out, s, strs[i], err);
        break;
    case LOC_MODEL_NAME:
    case LOC_NEW_MODEL:
        out->model_name = str ? xstrdup(str) : NULL;
        break;
    case LOC_MODEL_URI:
        rc = str ? add_model_uri(out, s, str, err) : 0;
        break;
    case LOC_LOGGED_MODEL:
        if (str && *str) {
            struct logged_model m;
            if ((rc = store_get_logged_model(s, str, &m, err)) == 0) {
                add_experiment(out, m.experiment_id);
                logged_model_release(&m);
            }
        }
        break;
    case LOC_TRACE_ID:
        rc = str ? add_trace(out, s, str, err) : 0;
        break;
    case LOC_NEW_TRACE:
        if (obj && ((const struct trace_info *)obj)->experiment_id)
            add_experiment(out, ((const struct trace_info *)obj)->experiment_id);
        break;
    case LOC_USERNAME:
        out->username = str ? xstrdup(str) : NULL;
        break;
    case LOC_TRACE_LOCATIONS:
        for (size_t i = 0; obj && i < ((const struct trace_locations *)obj)->n; i++)
            add_experiment(out, ((const struct trace_locations *)obj)->experiment_ids[i]);
        break;
    case LOC_TRACE_IDS:
        for (size_t i = 0; !rc && i < n; i++)
            rc = add_trace(out, s, strs[i], err);
        break;
    case LOC_ARTIFACT_PATH: /* "<experiment id>/<run id>/artifacts/...": its first segment */
        if (str && *str) {
            struct sbuf id = SBUF_INIT;
            sbuf_add(&id, str, strcspn(str, "/"));
            add_experiment(out, id.buf);
            sbuf_release(&id);
        }
        break;
    default:
        break;
    }
    if (rc)
        api_target_release(out);
    return rc;
}

void api_target_release(struct api_target *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nexperiments; i++)
        free(t->experiment_ids[i]);
    free(t->experiment_ids);
    free(t->model_name);
    free(t->username);
    memset(t, 0, sizeof(*t));
}
