/* SPDX-License-Identifier: MIT */
#include "api/prediction_log_ops.h"
#include "base/b64.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/deployment.h"
#include "store/predictions.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_TARGETS 1024
#define MAX_NROWS   (1000 * 1000)
#define MAX_TEXT    (64 * 1024) /* a target's columns or classes */
#define MAX_ID      128         /* a caller's id */
#define MAX_TAGS    8192

/* ---------- client: rows -> JSON ---------- */

static json_t *target_json(const struct pred_target *t)
{
    return json_pack("{s:s, s:I, s:s, s:I, s:b, s:s, s:s, s:s}", "deployment",
                     t->deployment ? t->deployment : "", "revision", (json_int_t)t->revision,
                     "model", t->model ? t->model : "", "version", (json_int_t)t->version, "shadow",
                     t->shadow, "columns", t->columns ? t->columns : "[]", "classes",
                     t->classes ? t->classes : "[]", "task", t->task ? t->task : "");
}

static json_t *blob_json(const unsigned char *p, size_t n)
{
    struct sbuf sb = SBUF_INIT;
    b64_encode(&sb, p, n);
    json_t *j = json_stringn(sb.buf, sb.len);
    sbuf_release(&sb);
    return j;
}

static void rows_encode(json_t *out, const struct api_field *f, const void *src)
{
    (void)f;
    const struct pred_row_list *l = src;
    json_t *targets = json_array(), *rows = json_array();
    const struct pred_target *seen[MAX_TARGETS];
    size_t nseen = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct pred_row *r = &l->v[i];
        size_t t;
        /* rows of a batch share a few targets: a linear look is enough */
        for (t = 0; t < nseen; t++)
            if (seen[t] == &r->target || pred_target_equal(seen[t], &r->target))
                break;
        if (t == MAX_TARGETS)
            continue; /* more targets than a call may name: never a gateway's batch */
        if (t == nseen) {
            seen[nseen++] = &r->target;
            json_array_append_new(targets, target_json(&r->target));
        }
        char rid[37];
        pred_rid_text(r->rid, rid);
        json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:i}", "target", (json_int_t)t, "rid",
                              rid, "row", (json_int_t)r->row, "nrows", (json_int_t)r->nrows,
                              "time_ms", (json_int_t)r->time_ms, "latency_us",
                              (json_int_t)r->latency_us, "status", r->status);
        if (r->caller_id)
            json_object_set_new(o, "caller_id", json_string(r->caller_id));
        if (r->tags)
            json_object_set_new(o, "tags", json_string(r->tags));
        if (r->inputs)
            json_object_set_new(o, "inputs", blob_json(r->inputs, r->ninputs));
        if (r->outputs)
            json_object_set_new(o, "outputs", blob_json(r->outputs, r->noutputs));
        json_array_append_new(rows, o);
    }
    json_object_set_new(out, "targets", targets);
    json_object_set_new(out, "rows", rows);
}

/* ---------- server: JSON -> rows, checked ---------- */

static int bad(struct ferr *err, const char *what, size_t i)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid value for parameter '%s' of %zu",
                    what, i);
}

static int text_field(json_t *o, const char *k, size_t max, int required, char **out)
{
    json_t *v = json_object_get(o, k);
    *out = NULL;
    if (!v || json_is_null(v))
        return required ? -1 : 0;
    if (!json_is_string(v) || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    *out = xstrdup(json_string_value(v));
    return 0;
}

/* A JSON array text of at most MAX_TEXT bytes. */
static int array_text(const char *s)
{
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    int ok = j && json_is_array(j);
    json_decref(j);
    return ok ? 0 : -1;
}

static int target_from_json(json_t *j, struct pred_target *t, size_t i, struct ferr *err)
{
    memset(t, 0, sizeof(*t));
    json_t *rev = json_object_get(j, "revision"), *ver = json_object_get(j, "version");
    struct ferr nerr = FERR_INIT;
    if (!json_is_object(j) || text_field(j, "deployment", 256, 1, &t->deployment) ||
        text_field(j, "model", 1024, 1, &t->model) ||
        text_field(j, "columns", MAX_TEXT, 1, &t->columns) ||
        text_field(j, "classes", MAX_TEXT, 1, &t->classes) ||
        text_field(j, "task", 32, 0, &t->task) || !json_is_integer(rev) || !json_is_integer(ver) ||
        array_text(t->columns) || array_text(t->classes) ||
        deployment_name_check(t->deployment, &nerr)) {
        pred_target_release(t);
        return bad(err, "targets", i);
    }
    t->revision = json_integer_value(rev);
    t->version = json_integer_value(ver);
    t->shadow = json_is_true(json_object_get(j, "shadow"));
    if (!t->task)
        t->task = xstrdup("");
    return 0;
}

static int blob_field(json_t *o, const char *k, unsigned char **p, size_t *n)
{
    json_t *v = json_object_get(o, k);
    struct sbuf sb = SBUF_INIT;
    *p = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v) && !json_string_length(v))
        return 0; /* "": none */
    if (!json_is_string(v) || b64_decode(&sb, json_string_value(v))) {
        sbuf_release(&sb);
        return -1;
    }
    *p = (unsigned char *)sbuf_detach(&sb, n);
    return 0;
}

/* An inputs blob: a count and that many values, nothing after. */
static int inputs_ok(const unsigned char *p, size_t n)
{
    struct pred_reader r = {p, p + n};
    uint64_t count;
    struct pred_value v;
    if (pred_dec_count(&r, &count) || count > n)
        return 0;
    for (uint64_t i = 0; i < count; i++)
        if (pred_dec_value(&r, &v))
            return 0;
    return r.p == r.end;
}

static int int_field(json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static int row_from_json(json_t *j, const struct pred_target *targets, size_t nt,
                         struct pred_row *r, size_t i, struct ferr *err)
{
    int64_t t, row, nrows, time_ms, lat, status;
    const char *rid = json_string_value(json_object_get(j, "rid"));
    struct pred_outputs po;
    memset(r, 0, sizeof(*r));
    if (!json_is_object(j) || int_field(j, "target", 0, (int64_t)nt - 1, &t) ||
        int_field(j, "row", 0, MAX_NROWS - 1, &row) ||
        int_field(j, "nrows", 1, MAX_NROWS, &nrows) || row >= nrows ||
        int_field(j, "time_ms", 0, INT64_MAX, &time_ms) ||
        int_field(j, "latency_us", 0, UINT32_MAX, &lat) ||
        int_field(j, "status", 100, 599, &status) || !rid ||
        pred_rid_parse(rid, strlen(rid), r->rid) ||
        text_field(j, "caller_id", MAX_ID, 0, &r->caller_id) ||
        text_field(j, "tags", MAX_TAGS, 0, &r->tags) ||
        blob_field(j, "inputs", &r->inputs, &r->ninputs) ||
        blob_field(j, "outputs", &r->outputs, &r->noutputs) ||
        (r->inputs && !inputs_ok(r->inputs, r->ninputs)) ||
        (r->outputs && pred_outputs_decode(r->outputs, r->noutputs, &po))) {
        pred_row_release(r);
        return bad(err, "rows", i);
    }
    r->row = (uint32_t)row;
    r->nrows = (uint32_t)nrows;
    r->time_ms = time_ms;
    r->latency_us = (uint32_t)lat;
    r->status = (int)status;
    pred_target_copy(&targets[t], &r->target);
    return 0;
}

static int rows_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    (void)f;
    struct pred_row_list *l = dst;
    json_t *targets = json_object_get(in, "targets"), *rows = json_object_get(in, "rows");
    memset(l, 0, sizeof(*l));
    if (!json_is_array(rows))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'rows'");
    if (!json_is_array(targets) || json_array_size(targets) > MAX_TARGETS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'targets': a list of at most %d", MAX_TARGETS);
    if (json_array_size(rows) > PREDICTION_LOG_MAX_ROWS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "at most %d rows a call",
                        PREDICTION_LOG_MAX_ROWS);
    size_t nt = json_array_size(targets);
    struct pred_target *tv = xcalloc(nt + 1, sizeof(*tv));
    int rc = 0;
    size_t k = 0;
    for (; k < nt && !rc; k++)
        rc = target_from_json(json_array_get(targets, k), &tv[k], k, err);
    if (!rc) {
        l->alloc = json_array_size(rows);
        l->v = xcalloc(l->alloc + 1, sizeof(*l->v));
        for (size_t i = 0; i < l->alloc && !rc; i++) {
            rc = row_from_json(json_array_get(rows, i), tv, nt, &l->v[i], i, err);
            if (!rc)
                l->n++;
        }
    }
    for (size_t i = 0; i < nt; i++)
        pred_target_release(&tv[i]);
    free(tv);
    if (rc)
        pred_row_list_release(l);
    return rc;
}

static void rows_release(void *dst)
{
    pred_row_list_release(dst);
}

static const struct api_custom rows_field = {rows_decode, rows_encode, rows_release};

static const struct api_field log_fields[] = {
    F_CUSTOM(struct rq_predictions_log, rows, "rows", &rows_field),
};
static const struct api_msg log_req = API_MSG(struct rq_predictions_log, log_fields);

static int x_log(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_predictions_log *q = req;
    if (!q->rows.n)
        return 0;
    return store_predictions_put(env->store, q->rows.v, q->rows.n, err);
}

/* Rows of up to 10,000 requests' worth of inputs: larger than MLflow's 1 MB. */
const struct api_op api_predictions_log = {
    .name = "predictions/log",
    .root = "/api/2.0/ferry",
    .path = "predictions/log",
    .methods = HTTP_POST,
    .call = HTTP_POST,
    .flags = OP_IDEMPOTENT,
    .max_body = 64 * 1024 * 1024,
    .req = &log_req,
    .resp = NULL,
    .exec = x_log,
    .arg = 0,
    .res = {ACCESS_ADMIN, LOC_NONE, NULL},
};

static const struct api_op *const prediction_log_ops[] = {&api_predictions_log};
const struct api_area api_plog_ingest_area = {
    "prediction_log", prediction_log_ops, sizeof(prediction_log_ops) / sizeof(*prediction_log_ops)};
